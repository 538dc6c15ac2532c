// A float tensor minus a C++ bool does not compile (PyTorch refuses `-` with a
// bool operand, a tensor or a Python bool).
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto x = tapegrad::tensor<float>({1, 2});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  auto y = x - true;  // refused: a bool operand
#else
  auto y = x - 1.0f;
#endif
  (void)y;
}
