// mm of Tensor<double> and Tensor<float> does not compile (PyTorch refuses mixed dtypes).
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto a = tapegrad::ones<double>({2, 3});
  const auto b = tapegrad::ones<float>({3, 4});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  auto c = a.mm(b);  // refused: mixed dtypes
#else
  auto c = a.mm(b.to<double>());
#endif
  (void)c;
}
