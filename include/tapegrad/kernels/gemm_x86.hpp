#pragma once
// The x86-64 micro-kernels of kernels/gemm.hpp (Note [GEMM dispatch]), for
// GCC and Clang; empty elsewhere (TAPEGRAD_GEMM_X86 says which).
//
// Note [Micro-kernels without <immintrin.h>]: the kernels use the compilers'
// vector types (vector_size) and the FMA builtins that the vendor intrinsics
// (_mm512_fmadd_ps, _mm256_fmadd_ps, ...) are one-line wrappers of; the two
// compilers spell them identically. Including <immintrin.h> would add about
// 0.2 s of CPU time to every translation unit that includes tapegrad (g++ 12,
// measured in bench/README.md), for nothing else. Each kernel carries a
// target attribute, so the rest of the library stays baseline x86-64 and the
// kernel is only called after the CPU check in gemm.hpp.
//
// A kernel keeps an MR x (2 vectors) tile of C in registers: per k it loads two
// vectors of the packed B row, broadcasts MR values of the packed A column and
// issues 2*MR FMAs (AVX-512: 24 of the 32 zmm registers hold the tile). The
// narrow kernels hold MR x (one vector) and read A in place. The
// rows are spelled out by macros rather than loops so that the accumulators
// are registers at every optimisation level.
#include <cstdint>

#include "gemm_pack.hpp"

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#define TAPEGRAD_GEMM_X86 1

namespace tapegrad::kernels::detail {

namespace x86 {
typedef float f32x16 __attribute__((vector_size(64)));
typedef double f64x8 __attribute__((vector_size(64)));
typedef float f32x8 __attribute__((vector_size(32)));
typedef double f64x4 __attribute__((vector_size(32)));
// unaligned, aliasing views of C for loads and stores
typedef float f32x16u __attribute__((vector_size(64), aligned(4), may_alias));
typedef double f64x8u __attribute__((vector_size(64), aligned(8), may_alias));
typedef float f32x8u __attribute__((vector_size(32), aligned(4), may_alias));
typedef double f64x4u __attribute__((vector_size(32), aligned(8), may_alias));
}  // namespace x86

#define TAPEGRAD_X86_SPLAT4(x) {x, x, x, x}
#define TAPEGRAD_X86_SPLAT8(x) {x, x, x, x, x, x, x, x}
#define TAPEGRAD_X86_SPLAT16(x) {x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x}
#define TAPEGRAD_X86_REP6(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define TAPEGRAD_X86_REP12(X) TAPEGRAD_X86_REP6(X) X(6) X(7) X(8) X(9) X(10) X(11)

// Row i of the tile: two accumulators c<i>a, c<i>b.
#define TAPEGRAD_X86_DECL(i) V c##i##a = {}, c##i##b = {};
#define TAPEGRAD_X86_STEP(i)                  \
  {                                           \
    const V ai = TAPEGRAD_X86_BCAST(pa[i]);   \
    c##i##a = TAPEGRAD_X86_FMA(ai, b0, c##i##a); \
    c##i##b = TAPEGRAD_X86_FMA(ai, b1, c##i##b); \
  }
#define TAPEGRAD_X86_STORE_BETA0(i)                    \
  {                                                    \
    VU* ci = reinterpret_cast<VU*>(c + (i) * rs_c);     \
    ci[0] = va * c##i##a;                              \
    *reinterpret_cast<VU*>(c + (i) * rs_c + W) = va * c##i##b; \
  }
#define TAPEGRAD_X86_STORE(i)                                             \
  {                                                                       \
    VU* c0 = reinterpret_cast<VU*>(c + (i) * rs_c);                        \
    VU* c1 = reinterpret_cast<VU*>(c + (i) * rs_c + W);                    \
    *c0 = va * c##i##a + vb * *c0;                                        \
    *c1 = va * c##i##b + vb * *c1;                                        \
  }
#define TAPEGRAD_X86_SPILL(i)                                      \
  *reinterpret_cast<V*>(tile + (i) * 2 * W) = c##i##a;             \
  *reinterpret_cast<V*>(tile + (i) * 2 * W + W) = c##i##b;
#define TAPEGRAD_X86_PREFETCH(i) __builtin_prefetch(c + (i) * rs_c);

// The kernel body for element T, vector V (W lanes), unaligned vector VU and
// REP = the row repetition macro (MR rows).
#define TAPEGRAD_X86_KERNEL_BODY(T, V, VU, W, MR, REP)                            \
  REP(TAPEGRAD_X86_DECL)                                                         \
  if (cs_c == 1) { REP(TAPEGRAD_X86_PREFETCH) }                                  \
  for (int64_t p = 0; p < kc; ++p, pa += MR, pb += 2 * W) {                      \
    const V b0 = *reinterpret_cast<const V*>(pb);                                 \
    const V b1 = *reinterpret_cast<const V*>(pb + W);                             \
    REP(TAPEGRAD_X86_STEP)                                                       \
  }                                                                              \
  if (mr == MR && nr == 2 * W && cs_c == 1) {                                    \
    const V va = TAPEGRAD_X86_BCAST(alpha);                                      \
    if (beta == T(0)) {                                                          \
      REP(TAPEGRAD_X86_STORE_BETA0)                                              \
    } else {                                                                     \
      const V vb = TAPEGRAD_X86_BCAST(beta);                                     \
      REP(TAPEGRAD_X86_STORE)                                                    \
    }                                                                            \
    return;                                                                      \
  }                                                                              \
  alignas(64) T tile[MR * 2 * W];                                                \
  REP(TAPEGRAD_X86_SPILL)                                                        \
  store_tile<T>(tile, 2 * W, c, rs_c, cs_c, mr, nr, alpha, beta);

// The narrow kernels (Note [Narrow GEMM] in gemm.hpp): one vector of C per
// row, A read in place through its strides (rs_a, cs_a), B packed kc x W.
#define TAPEGRAD_X86_REP16(X) TAPEGRAD_X86_REP12(X) X(12) X(13) X(14) X(15)
#define TAPEGRAD_X86_NDECL(i) V c##i = {};
// Row i is base[i / 8][off[i % 8]]: eight offsets and three bases fit in
// registers, where 24 separate row offsets would be reloaded from the stack.
#define TAPEGRAD_X86_NSTEP(i) \
  c##i = TAPEGRAD_X86_FMA(V TAPEGRAD_X86_BCAST(base[(i) / 8][off[(i) % 8]]), b0, c##i);
#define TAPEGRAD_X86_NSTORE_BETA0(i) *reinterpret_cast<VU*>(c + (i) * rs_c) = va * c##i;
#define TAPEGRAD_X86_NSTORE(i)                               \
  {                                                          \
    VU* ci = reinterpret_cast<VU*>(c + (i) * rs_c);           \
    *ci = va * c##i + vb * *ci;                              \
  }
#define TAPEGRAD_X86_NSPILL(i) *reinterpret_cast<V*>(tile + (i) * W) = c##i;
#define TAPEGRAD_X86_NARROW_BODY(T, V, VU, W, MR, REP)                 \
  REP(TAPEGRAD_X86_NDECL)                                              \
  const int64_t off[8] = {0, rs_a, 2 * rs_a, 3 * rs_a, 4 * rs_a, 5 * rs_a, 6 * rs_a, 7 * rs_a}; \
  const T* base[3] = {a, a + 8 * rs_a, a + 16 * rs_a};                \
  for (int64_t p = 0; p < kc; ++p, pb += W) {                          \
    const V b0 = *reinterpret_cast<const V*>(pb);                      \
    REP(TAPEGRAD_X86_NSTEP)                                            \
    base[0] += cs_a, base[1] += cs_a, base[2] += cs_a;                 \
  }                                                                    \
  if (mr == MR && nr == W && cs_c == 1) {                              \
    const V va = TAPEGRAD_X86_BCAST(alpha);                            \
    if (beta == T(0)) {                                                \
      REP(TAPEGRAD_X86_NSTORE_BETA0)                                   \
    } else {                                                           \
      const V vb = TAPEGRAD_X86_BCAST(beta);                           \
      REP(TAPEGRAD_X86_NSTORE)                                         \
    }                                                                  \
    return;                                                            \
  }                                                                    \
  alignas(64) T tile[MR * W];                                          \
  REP(TAPEGRAD_X86_NSPILL)                                             \
  store_tile<T>(tile, W, c, rs_c, cs_c, mr, nr, alpha, beta);

// ---- AVX-512 ----------------------------------------------------------------
#define TAPEGRAD_X86_BCAST(x) TAPEGRAD_X86_SPLAT16(x)
#define TAPEGRAD_X86_FMA(a, b, c) __builtin_ia32_vfmaddps512_mask(a, b, c, static_cast<unsigned short>(-1), 4)
__attribute__((target("avx512f,fma"))) inline void micro_kernel_avx512_f32(
    int64_t kc, const float* pa, const float* pb, float* c, int64_t rs_c, int64_t cs_c, int64_t mr, int64_t nr,
    float alpha, float beta) {
  using V = x86::f32x16;
  using VU = x86::f32x16u;
  constexpr int W = 16;
  TAPEGRAD_X86_KERNEL_BODY(float, V, VU, W, 12, TAPEGRAD_X86_REP12)
}
__attribute__((target("avx512f,fma"))) inline void narrow_kernel_avx512_f32(
    int64_t kc, const float* a, int64_t rs_a, int64_t cs_a, const float* pb, float* c, int64_t rs_c, int64_t cs_c,
    int64_t mr, int64_t nr, float alpha, float beta) {
  using V = x86::f32x16;
  using VU = x86::f32x16u;
  constexpr int W = 16;
  TAPEGRAD_X86_NARROW_BODY(float, V, VU, W, 16, TAPEGRAD_X86_REP16)
}
#undef TAPEGRAD_X86_BCAST
#undef TAPEGRAD_X86_FMA

#define TAPEGRAD_X86_BCAST(x) TAPEGRAD_X86_SPLAT8(x)
#define TAPEGRAD_X86_FMA(a, b, c) __builtin_ia32_vfmaddpd512_mask(a, b, c, static_cast<unsigned char>(-1), 4)
__attribute__((target("avx512f,fma"))) inline void micro_kernel_avx512_f64(
    int64_t kc, const double* pa, const double* pb, double* c, int64_t rs_c, int64_t cs_c, int64_t mr,
    int64_t nr, double alpha, double beta) {
  using V = x86::f64x8;
  using VU = x86::f64x8u;
  constexpr int W = 8;
  TAPEGRAD_X86_KERNEL_BODY(double, V, VU, W, 12, TAPEGRAD_X86_REP12)
}
__attribute__((target("avx512f,fma"))) inline void narrow_kernel_avx512_f64(
    int64_t kc, const double* a, int64_t rs_a, int64_t cs_a, const double* pb, double* c, int64_t rs_c, int64_t cs_c,
    int64_t mr, int64_t nr, double alpha, double beta) {
  using V = x86::f64x8;
  using VU = x86::f64x8u;
  constexpr int W = 8;
  TAPEGRAD_X86_NARROW_BODY(double, V, VU, W, 16, TAPEGRAD_X86_REP16)
}
#undef TAPEGRAD_X86_BCAST
#undef TAPEGRAD_X86_FMA

// ---- AVX2 + FMA -------------------------------------------------------------
#define TAPEGRAD_X86_BCAST(x) TAPEGRAD_X86_SPLAT8(x)
#define TAPEGRAD_X86_FMA(a, b, c) __builtin_ia32_vfmaddps256(a, b, c)
__attribute__((target("avx2,fma"))) inline void micro_kernel_avx2_f32(
    int64_t kc, const float* pa, const float* pb, float* c, int64_t rs_c, int64_t cs_c, int64_t mr, int64_t nr,
    float alpha, float beta) {
  using V = x86::f32x8;
  using VU = x86::f32x8u;
  constexpr int W = 8;
  TAPEGRAD_X86_KERNEL_BODY(float, V, VU, W, 6, TAPEGRAD_X86_REP6)
}
__attribute__((target("avx2,fma"))) inline void narrow_kernel_avx2_f32(
    int64_t kc, const float* a, int64_t rs_a, int64_t cs_a, const float* pb, float* c, int64_t rs_c, int64_t cs_c,
    int64_t mr, int64_t nr, float alpha, float beta) {
  using V = x86::f32x8;
  using VU = x86::f32x8u;
  constexpr int W = 8;
  TAPEGRAD_X86_NARROW_BODY(float, V, VU, W, 12, TAPEGRAD_X86_REP12)
}
#undef TAPEGRAD_X86_BCAST
#undef TAPEGRAD_X86_FMA

#define TAPEGRAD_X86_BCAST(x) TAPEGRAD_X86_SPLAT4(x)
#define TAPEGRAD_X86_FMA(a, b, c) __builtin_ia32_vfmaddpd256(a, b, c)
__attribute__((target("avx2,fma"))) inline void micro_kernel_avx2_f64(
    int64_t kc, const double* pa, const double* pb, double* c, int64_t rs_c, int64_t cs_c, int64_t mr,
    int64_t nr, double alpha, double beta) {
  using V = x86::f64x4;
  using VU = x86::f64x4u;
  constexpr int W = 4;
  TAPEGRAD_X86_KERNEL_BODY(double, V, VU, W, 6, TAPEGRAD_X86_REP6)
}
__attribute__((target("avx2,fma"))) inline void narrow_kernel_avx2_f64(
    int64_t kc, const double* a, int64_t rs_a, int64_t cs_a, const double* pb, double* c, int64_t rs_c, int64_t cs_c,
    int64_t mr, int64_t nr, double alpha, double beta) {
  using V = x86::f64x4;
  using VU = x86::f64x4u;
  constexpr int W = 4;
  TAPEGRAD_X86_NARROW_BODY(double, V, VU, W, 12, TAPEGRAD_X86_REP12)
}
#undef TAPEGRAD_X86_BCAST
#undef TAPEGRAD_X86_FMA

#undef TAPEGRAD_X86_KERNEL_BODY
#undef TAPEGRAD_X86_NARROW_BODY
#undef TAPEGRAD_X86_NSPILL
#undef TAPEGRAD_X86_NSTORE
#undef TAPEGRAD_X86_NSTORE_BETA0
#undef TAPEGRAD_X86_NSTEP
#undef TAPEGRAD_X86_NDECL
#undef TAPEGRAD_X86_REP16
#undef TAPEGRAD_X86_PREFETCH
#undef TAPEGRAD_X86_SPILL
#undef TAPEGRAD_X86_STORE
#undef TAPEGRAD_X86_STORE_BETA0
#undef TAPEGRAD_X86_STEP
#undef TAPEGRAD_X86_DECL
#undef TAPEGRAD_X86_REP12
#undef TAPEGRAD_X86_REP6
#undef TAPEGRAD_X86_SPLAT16
#undef TAPEGRAD_X86_SPLAT8
#undef TAPEGRAD_X86_SPLAT4

// Blocking: a B micro-panel (KC x NR, 32 KiB) stays in L1 (48 KiB here) while
// A micro-panels stream past it; the A block (MC x KC) is 192 KiB, because the
// packed B block (KC x NC) shares the 2 MiB L2 with it. MC = 192 beat 480 and
// 288 (184 vs 161 and 171 GFLOPS at n = 1024, one thread, CPU time); KC = 256
// beat 192 and 384.
template <class T>
GemmConfig<T> x86_avx512_config() {
  if constexpr (sizeof(T) == 4)
    return {12, 32, 192, 256, 3072, &micro_kernel_avx512_f32, &pack_panels<float, 12>, &pack_panels<float, 32>,
            16, 16, &narrow_kernel_avx512_f32, &pack_panels<float, 16>, &pack_panels<float, 16>};
  else
    return {12, 16, 96, 256, 2048, &micro_kernel_avx512_f64, &pack_panels<double, 12>, &pack_panels<double, 16>,
            16, 8, &narrow_kernel_avx512_f64, &pack_panels<double, 16>, &pack_panels<double, 8>};
}
template <class T>
GemmConfig<T> x86_avx2_config() {
  if constexpr (sizeof(T) == 4)
    return {6, 16, 288, 256, 3072, &micro_kernel_avx2_f32, &pack_panels<float, 6>, &pack_panels<float, 16>,
            12, 8, &narrow_kernel_avx2_f32, &pack_panels<float, 12>, &pack_panels<float, 8>};
  else
    return {6, 8, 144, 256, 2048, &micro_kernel_avx2_f64, &pack_panels<double, 6>, &pack_panels<double, 8>,
            12, 4, &narrow_kernel_avx2_f64, &pack_panels<double, 12>, &pack_panels<double, 4>};
}

}  // namespace tapegrad::kernels::detail

#else
#define TAPEGRAD_GEMM_X86 0
#endif
