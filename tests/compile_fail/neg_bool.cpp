// Unary minus on a Tensor<bool> does not compile (PyTorch: "Negation, the `-` operator, on a
// bool tensor is not supported"); ~ / logical_not is the spelling.
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto a = tapegrad::tensor<bool>({true, false});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  auto c = -a;  // refused: negating bools
#else
  auto c = ~a;
#endif
  (void)c;
}
