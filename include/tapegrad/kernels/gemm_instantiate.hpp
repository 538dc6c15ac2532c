#pragma once
// The definitions of kernels::gemm_dense and kernels::gemm (float and double) for a program
// built with TAPEGRAD_EXTERN_GEMM (Note [Extern GEMM] in gemm.hpp): include
// this header in exactly one of its translation units.
#include "gemm.hpp"

namespace tapegrad::kernels {
template TAPEGRAD_GEMM_INSTANCE(gemm_dense, float);
template TAPEGRAD_GEMM_INSTANCE(gemm_dense, double);
template TAPEGRAD_GEMM_INSTANCE(gemm, float);
template TAPEGRAD_GEMM_INSTANCE(gemm, double);
}  // namespace tapegrad::kernels
