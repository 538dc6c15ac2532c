// mv of a Tensor<float> matrix and a Tensor<int64_t> vector does not compile (PyTorch refuses mixed dtypes).
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto a = tapegrad::ones<float>({2, 3});
  const auto v = tapegrad::ones<int64_t>({3});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  auto c = tapegrad::mv(a, v);  // refused: mixed dtypes
#else
  auto c = tapegrad::mv(a, v.to<float>());
#endif
  (void)c;
}
