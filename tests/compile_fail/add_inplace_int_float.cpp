// int_tensor.add_(float_tensor) does not compile: the float result can't be cast to the
// int destination (PyTorch: "result type Float can't be cast to the desired output type Long").
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto x = tapegrad::arange(6);
  const auto y = tapegrad::ones<float>({6});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  x.add_(y);  // refused: float result into an int64 tensor
#else
  x.add_(y.to<int64_t>());
#endif
}
