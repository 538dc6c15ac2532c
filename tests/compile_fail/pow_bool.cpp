// pow of bool tensors does not compile (PyTorch: "pow" not implemented for 'Bool').
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto a = tapegrad::tensor<bool>({true, false});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  auto c = tapegrad::pow(a, a);  // refused: bool ** bool
#else
  auto c = tapegrad::pow(a.to<int64_t>(), a.to<int64_t>());
#endif
  (void)c;
}
