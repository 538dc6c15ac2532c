// Only floating tensors can require gradients (PyTorch: "only Tensors of
// floating point dtype can require gradients"); here it is a compile error.
#include <tapegrad/tapegrad.hpp>

int main() {
  auto counts = tapegrad::tensor<int64_t>({1, 2, 3});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  counts.requires_grad_();  // refused: an integer tensor
#else
  counts.to<float>().requires_grad_();  // the allowed spelling
#endif
  return 0;
}
