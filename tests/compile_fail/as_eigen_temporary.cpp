// as_eigen() of a temporary tensor does not compile: the map would outlive
// the tensor (and, for a fresh tensor, its memory), a heap-use-after-free.
#include <tapegrad/tapegrad.hpp>

int main() {
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  auto m = tapegrad::as_eigen(tapegrad::zeros<float>({2, 3}));  // refused: a dangling map
#else
  const auto t = tapegrad::zeros<float>({2, 3});
  auto m = tapegrad::as_eigen(t);  // the allowed spelling: the tensor outlives the map
#endif
  m(0, 0) = 1;
}
