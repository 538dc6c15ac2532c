// x.sub_(mask) with a bool tensor does not compile: the in-place form
// refuses a bool operand as sub() does (PyTorch: "Subtraction, the `-`
// operator, with a bool tensor is not supported").
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto x = tapegrad::tensor<float>({1, 2});
  const auto mask = tapegrad::tensor<bool>({true, false});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  x.sub_(mask);  // refused: a bool operand
#else
  x.sub_(mask.to<float>());
#endif
}
