// mean of an integer tensor does not compile (PyTorch: "mean(): could not infer output dtype.
// Input dtype must be either a floating point or complex dtype. Got: Long").
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto x = tapegrad::arange(6);
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  auto m = x.mean();  // refused: integer input
#else
  auto m = x.to<float>().mean();
#endif
  (void)m;
}
