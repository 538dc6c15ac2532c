// matmul of two bool tensors does not compile (PyTorch: not implemented for 'Bool').
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto a = tapegrad::ones<bool>({2, 2});
  const auto b = tapegrad::ones<bool>({2, 2});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  auto c = tapegrad::matmul(a, b);  // refused: bool
#else
  auto c = tapegrad::matmul(a.to<float>(), b.to<float>());
#endif
  (void)c;
}
