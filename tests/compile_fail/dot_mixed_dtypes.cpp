// dot of Tensor<float> and Tensor<double> does not compile (PyTorch refuses mixed dtypes).
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto a = tapegrad::ones<float>({3});
  const auto b = tapegrad::ones<double>({3});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  auto c = tapegrad::dot(a, b);  // refused: mixed dtypes
#else
  auto c = tapegrad::dot(a.to<double>(), b);
#endif
  (void)c;
}
