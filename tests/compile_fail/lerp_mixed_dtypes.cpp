// lerp of float and double tensors does not compile (PyTorch: "expected dtype float for `end`").
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto a = tapegrad::ones<float>({3});
  const auto b = tapegrad::ones<double>({3});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  auto c = tapegrad::lerp(a, b, 0.5);  // refused: mixed dtypes
#else
  auto c = tapegrad::lerp(a, b.to<float>(), 0.5);
#endif
  (void)c;
}
