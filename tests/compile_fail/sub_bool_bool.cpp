// bool - bool does not compile (PyTorch: "Subtraction, the `-` operator, with two bool
// tensors is not supported. If you are trying to invert a mask, use the `~` or
// `logical_not()` operator instead."); ^ / logical_xor is the spelling.
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto a = tapegrad::tensor<bool>({true, false});
  const auto b = tapegrad::tensor<bool>({true, true});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  auto c = a - b;  // refused: bool - bool
#else
  auto c = a ^ b;
#endif
  (void)c;
}
