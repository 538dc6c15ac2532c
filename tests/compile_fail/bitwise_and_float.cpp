// bitwise_and of a float tensor does not compile (PyTorch: "bitwise_and_cpu" not implemented for 'Float').
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto a = tapegrad::ones<float>({3});
  const auto b = tapegrad::ones<int64_t>({3});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  auto c = a & b;  // refused: floating operand
#else
  auto c = a.to<int64_t>() & b;
#endif
  (void)c;
}
