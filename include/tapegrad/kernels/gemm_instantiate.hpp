#pragma once
// The definitions of kernels::gemm<float> and gemm<double> for a program
// built with TAPEGRAD_EXTERN_GEMM (Note [Extern GEMM] in gemm.hpp): include
// this header in exactly one of its translation units.
#include "gemm.hpp"

namespace tapegrad::kernels {
template TAPEGRAD_GEMM_INSTANCE(float);
template TAPEGRAD_GEMM_INSTANCE(double);
}  // namespace tapegrad::kernels
