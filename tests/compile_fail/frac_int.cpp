// frac of an integer tensor does not compile (PyTorch: "frac_cpu" not implemented for 'Long').
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto a = tapegrad::ones<int64_t>({3});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  auto c = tapegrad::frac(a);  // refused: integer
#else
  auto c = tapegrad::frac(a.to<float>());
#endif
  (void)c;
}
