// % of two bool tensors does not compile (PyTorch: "remainder_cpu" not implemented for 'Bool').
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto a = tapegrad::ones<bool>({3});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  auto c = a % a;  // refused: bool % bool
#else
  auto c = a.to<int64_t>() % a;
#endif
  (void)c;
}
