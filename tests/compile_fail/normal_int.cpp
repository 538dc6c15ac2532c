// normal_ on an integer tensor does not compile (PyTorch: "normal_kernel_cpu" not implemented for 'Long').
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto x = tapegrad::zeros<int64_t>({4});
  const auto y = tapegrad::zeros<float>({4});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  x.normal_();  // refused: integer tensor
#else
  y.normal_();
#endif
  (void)x;
}
