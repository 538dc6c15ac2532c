// int_tensor.div_(...) does not compile: true division gives a float result, which
// can't be cast to the int destination (PyTorch: "result type Float can't be cast to
// the desired output type Long").
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto x = tapegrad::arange(6);
  const auto y = tapegrad::full<int64_t>({6}, 2);
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  x.div_(y);  // refused: float result into an int64 tensor
#else
  auto q = x / y;  // out of place: a float32 tensor
#endif
  (void)q;
}
