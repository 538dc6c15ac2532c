// A translation unit that multiplies float and double matrices. The build/
// tests driven by tests/cmake/gemm_objects.cmake compile it and read its
// object's symbols: with TAPEGRAD_EXTERN_GEMM it must leave kernels::gemm_dense
// (matmul's) and kernels::gemm (F::linear's) undefined (Note [Extern GEMM] in kernels/gemm.hpp), and built with
// -mavx512f or -mavx2 -mfma it must hold only the kernels such a CPU runs
// (Note [Kernels the flags rule out]).
#include <tapegrad/tapegrad.hpp>

double product_sum() {
  auto a = tapegrad::ones<float>({3, 4});
  auto b = tapegrad::ones<double>({4, 2});
  return static_cast<double>(tapegrad::matmul(a, a.t()).sum().item()) + tapegrad::matmul(b.t(), b).sum().item() +
         static_cast<double>(tapegrad::nn::functional::linear(a, a).sum().item()) + tapegrad::nn::functional::linear(b.t(), b.t()).sum().item();
}
