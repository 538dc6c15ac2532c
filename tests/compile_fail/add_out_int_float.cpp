// add_out(int_out, a, float_b) does not compile: the float result can't be cast to
// the int out (PyTorch: "result type Float can't be cast to the desired output type Long").
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto out = tapegrad::zeros<int64_t>({6});
  const auto x = tapegrad::arange(6);
  const auto y = tapegrad::ones<float>({6});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  tapegrad::add_out(out, x, y);  // refused: float result into an int64 out
#else
  tapegrad::add_out(out, x, y.to<int64_t>());
#endif
}
