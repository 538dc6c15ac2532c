// index_select takes int32 or int64 indices only, as PyTorch 1.13 ("index_select(): Expected
// dtype int32 or int64 for index").
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto x = tapegrad::zeros<float>({3, 4});
  const auto i = tapegrad::tensor<int16_t>({2, 0});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  auto y = x.index_select(0, i);  // refused: int16 indices
#else
  auto y = x.index_select(0, i.to<int32_t>());
#endif
  (void)y;
}
