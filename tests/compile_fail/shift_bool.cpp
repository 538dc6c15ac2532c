// << of bool tensors does not compile (PyTorch: "lshift_cpu" not implemented for 'Bool').
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto a = tapegrad::ones<bool>({3});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  auto c = a << a;  // refused: bool
#else
  auto c = a.to<uint8_t>() << a.to<uint8_t>();
#endif
  (void)c;
}
