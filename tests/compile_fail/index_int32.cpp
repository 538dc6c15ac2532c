// An int32 index tensor in x.index({...}) does not compile (PyTorch 1.13: "tensors used as
// indices must be long, byte or bool tensors").
#include <tapegrad/tapegrad.hpp>

int main() {
  const auto x = tapegrad::zeros<float>({3, 4});
  const auto i = tapegrad::tensor<int32_t>({2, 0});
#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
  auto y = x.index({tapegrad::Slice(), i});  // refused: int32 indices
#else
  auto y = x.index({tapegrad::Slice(), i.to<int64_t>()});
#endif
  (void)y;
}
