#pragma once
// The definitions of kernels::gemm<float> and gemm<double> for a program
// built with TAPEGRAD_EXTERN_GEMM (Note [Extern GEMM] in gemm.hpp): include
// this header in exactly one of its translation units.
#include "gemm.hpp"

namespace tapegrad::kernels {
template void gemm<float>(int64_t, int64_t, int64_t, float, const float*, int64_t, int64_t, const float*, int64_t,
                          int64_t, float, float*, int64_t, int64_t);
template void gemm<double>(int64_t, int64_t, int64_t, double, const double*, int64_t, int64_t, const double*,
                           int64_t, int64_t, double, double*, int64_t, int64_t);
}  // namespace tapegrad::kernels
