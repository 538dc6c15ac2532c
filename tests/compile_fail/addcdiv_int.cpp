// addcdiv of integer tensors does not compile (PyTorch: "Integer division with addcdiv is no longer supported").
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto a = tapegrad::ones<int64_t>({3});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  auto c = tapegrad::addcdiv(a, a, a);  // refused: integer division
#else
  auto c = tapegrad::addcdiv(a, a, a.to<float>());
#endif
  (void)c;
}
