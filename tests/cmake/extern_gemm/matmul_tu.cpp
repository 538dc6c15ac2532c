// A translation unit of a program built with TAPEGRAD_EXTERN_GEMM (Note
// [Extern GEMM] in kernels/gemm.hpp): it multiplies float and double
// matrices, and tests/cmake/extern_gemm.cmake checks that its object file
// leaves kernels::gemm undefined (and defines it when compiled without the macro).
#include <tapegrad/tapegrad.hpp>

double product_sum() {
  auto a = tapegrad::ones<float>({3, 4});
  auto b = tapegrad::ones<double>({4, 2});
  return static_cast<double>(tapegrad::matmul(a, a.t()).sum().item()) + tapegrad::matmul(b.t(), b).sum().item();
}
