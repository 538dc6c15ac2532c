// The suite is built the way a program of many translation units can be
// (Note [Extern GEMM] in kernels/gemm.hpp): every test file is compiled with
// TAPEGRAD_EXTERN_GEMM, and this file holds the one copy of kernels::gemm.
#include <tapegrad/kernels/gemm_instantiate.hpp>
