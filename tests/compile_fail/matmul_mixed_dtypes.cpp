// matmul of Tensor<float> and Tensor<double> does not compile (PyTorch raises
// "expected scalar type Float but found Double"); convert one operand with .to<T>().
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto a = tapegrad::ones<float>({2, 3});
  const auto b = tapegrad::ones<double>({3, 4});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  auto c = tapegrad::matmul(a, b);  // refused: mixed dtypes
#else
  auto c = tapegrad::matmul(a, b.to<float>());  // the allowed spelling
#endif
  (void)c;
}
