#pragma once
// The x86-64 micro-kernels of kernels/gemm.hpp (Note [GEMM dispatch]), for
// GCC and Clang; empty elsewhere (TAPEGRAD_GEMM_X86 says which).
// Internal: everything here is in kernels::detail; users call kernels::gemm.
//
// Note [Micro-kernels without <immintrin.h>]: the kernels use the compilers'
// vector types (vector_size) and the FMA builtins that the vendor intrinsics
// (_mm512_fmadd_ps, _mm256_fmadd_ps, ...) are one-line wrappers of; the two
// compilers spell them identically. Including <immintrin.h> would add a
// noticeable compile time to every translation unit that includes tapegrad
// (bench/compile_time.sh --breakdown), for nothing else. Each kernel carries a
// target attribute, so the rest of the library stays baseline x86-64 and the
// kernel is only called after the CPU check in gemm.hpp.
//
// A kernel keeps an MR x (2 vectors) tile of C in registers: per k it loads two
// vectors of the packed B row, broadcasts MR values of the packed A column and
// issues 2*MR FMAs (AVX-512: 24 of the 32 zmm registers hold the tile). The
// narrow kernels hold MR x (one vector) and read A in place. The
// rows are spelled out by macros rather than loops so that the accumulators
// are registers at every optimisation level.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include "gemm_pack.hpp"

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#define TAPEGRAD_GEMM_X86 1

namespace tapegrad::kernels::detail {

/// k steps between two C prefetches (Note [Spread C prefetch]).
inline constexpr int64_t kPrefetchEvery = 10;
/// K blocks shorter than this do not prefetch C (Note [Spread C prefetch]).
inline constexpr int64_t kPrefetchMinK = 32;

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
#define TAPEGRAD_X86_REP4(X) X(0) X(1) X(2) X(3)

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
// Both cache lines of a full tile row (2 * W elements: 128 bytes when C is
// 64-byte aligned), with write intent: C is stored at the end. The second
// line matters for large products, whose C comes from L3 or memory on every
// K block.
#define TAPEGRAD_X86_PREFETCH(i) \
  __builtin_prefetch(c + (i) * rs_c, 1);  \
  __builtin_prefetch(c + (i) * rs_c + 2 * W - 1, 1);

// The tile's store: alpha * acc + beta * C, straight from the registers for a
// full tile with unit column stride, else through a spilled tile.
#define TAPEGRAD_X86_EPILOGUE(T, V, W, MR, REP)                                  \
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

// The kernel body for element T, vector V (W lanes), unaligned vector VU and
// REP = the row repetition macro (MR rows), PS = the rows of the packed A
// panel (its k stride; MR but for the edge kernel).
// Note [Spread C prefetch]: with a long K block the tile's 2 * MR cache lines
// of C are prefetched one per kPrefetchEvery steps of the k loop rather than
// all at its start, where they took every L1 fill buffer at once while the
// A stream needed them (large products were faster spread out,
// bench/matmul_kernels_bench.cpp). Shorter K blocks prefetch at the start,
// and blocks of fewer than kPrefetchMinK steps not at all: there the 2 * MR
// prefetches are about a tenth of the tile's instructions, and the short
// products (dH of an MNIST MLP, k = 10, C in L2) ran faster without them
// (bench/history/2026-12-08_gemm_dot_kernel.md).
#define TAPEGRAD_X86_KERNEL_BODY(T, V, VU, W, MR, REP, PS)                        \
  REP(TAPEGRAD_X86_DECL)                                                         \
  int64_t p = 0;                                                                 \
  if (cs_c == 1 && kc >= 2 * MR * kPrefetchEvery) {                              \
    for (int64_t q = 0; q < 2 * MR; ++q) {                                       \
      __builtin_prefetch(c + (q >> 1) * rs_c + (q & 1) * (2 * W - 1), 1);        \
      for (const int64_t end = p + kPrefetchEvery; p < end; ++p, pa += PS, pb += 2 * W) { \
        const V b0 = *reinterpret_cast<const V*>(pb);                             \
        const V b1 = *reinterpret_cast<const V*>(pb + W);                         \
        REP(TAPEGRAD_X86_STEP)                                                   \
      }                                                                          \
    }                                                                            \
  } else if (cs_c == 1 && kc >= kPrefetchMinK) {                                \
    REP(TAPEGRAD_X86_PREFETCH)                                                   \
  }                                                                              \
  for (; p < kc; ++p, pa += PS, pb += 2 * W) {                                   \
    const V b0 = *reinterpret_cast<const V*>(pb);                                 \
    const V b1 = *reinterpret_cast<const V*>(pb + W);                             \
    REP(TAPEGRAD_X86_STEP)                                                       \
  }                                                                              \
  TAPEGRAD_X86_EPILOGUE(T, V, W, MR, REP)

// The same tile with A read in place (Note [Direct A] in gemm.hpp): row i of
// the tile is base[i / 4][off[i % 4]], A's rows r0..r0+MR-1 at column p.
#define TAPEGRAD_X86_DSTEP(i)                                              \
  {                                                                        \
    const V ai = TAPEGRAD_X86_BCAST(base[(i) / 4][off[(i) % 4]]);          \
    c##i##a = TAPEGRAD_X86_FMA(ai, b0, c##i##a);                             \
    c##i##b = TAPEGRAD_X86_FMA(ai, b1, c##i##b);                             \
  }
#define TAPEGRAD_X86_DIRECT_BODY(T, V, VU, W, MR, REP)                            \
  REP(TAPEGRAD_X86_DECL)                                                         \
  if (cs_c == 1 && kc >= kPrefetchMinK) { REP(TAPEGRAD_X86_PREFETCH) }          \
  const int64_t off[4] = {0, rs_a, 2 * rs_a, 3 * rs_a};                          \
  const T* base[(MR + 3) / 4];                                                   \
  for (int q = 0; q < (MR + 3) / 4; ++q) base[q] = a + 4 * q * rs_a;             \
  for (int64_t p = 0; p < kc; ++p, pb += 2 * W) {                                \
    const V b0 = *reinterpret_cast<const V*>(pb);                                 \
    const V b1 = *reinterpret_cast<const V*>(pb + W);                             \
    REP(TAPEGRAD_X86_DSTEP)                                                      \
    for (int q = 0; q < (MR + 3) / 4; ++q) base[q] += cs_a;                      \
  }                                                                              \
  TAPEGRAD_X86_EPILOGUE(T, V, W, MR, REP)

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

// The dot kernels (Note [Dot GEMM] in gemm.hpp): 8 rows of C and all nr of
// its columns, two at a time: an 8 x 2 tile as 16 dot products along k, with
// vectors along k. Row i reads A's row a<i> in place (rows past mr repeat the
// last one and are not stored), column j the packed row pb + j * ld_b of B^T
// (zero-padded to a multiple of W and to an even count, so a partial last
// vector of k needs only A's part copied, once). The 16 accumulators are then
// folded into 16 sums by TAPEGRAD_X86_FOLD (x86::fold512 below).
#define TAPEGRAD_X86_REP8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define TAPEGRAD_X86_DOTROW(i) const T* a##i = a + std::min<int64_t>(i, mr - 1) * rs_a;
#define TAPEGRAD_X86_DOTDECL(i) V c##i = {}, d##i = {};
// The empty asm keeps A's vector in a register: as a memory operand of both
// FMAs it would be loaded twice (18 loads per 16 FMAs, the loop's limit).
#define TAPEGRAD_X86_DOTSTEP(i)                               \
  {                                                           \
    V ai = *reinterpret_cast<const VU*>(a##i + p);            \
    __asm__("" : "+v"(ai));                                   \
    c##i = TAPEGRAD_X86_FMA(ai, b0, c##i);                    \
    d##i = TAPEGRAD_X86_FMA(ai, b1, d##i);                    \
  }
#define TAPEGRAD_X86_DOTCOPY(i) \
  for (int64_t q = tail; q < kc; ++q) rest[i][q - tail] = a##i[q];
#define TAPEGRAD_X86_DOTREST(i)                               \
  {                                                           \
    const V ai = *reinterpret_cast<const V*>(rest[i]);        \
    c##i = TAPEGRAD_X86_FMA(ai, b0, c##i);                    \
    d##i = TAPEGRAD_X86_FMA(ai, b1, d##i);                    \
  }
// C's row i gets the pair of sums of its two columns (one 8- or 16-byte copy).
#define TAPEGRAD_X86_DOTSTORE(i) std::memcpy(c + (i) * rs_c, sums + 2 * (i), 2 * sizeof(T));
#define TAPEGRAD_X86_DOT_BODY(T, V, VU, W)                                                  \
  TAPEGRAD_X86_REP8(TAPEGRAD_X86_DOTROW)                                                   \
  const int64_t tail = kc / W * W;                                                         \
  const V va = TAPEGRAD_X86_BCAST(alpha);                                                  \
  alignas(64) T rest[8][W] = {};                                                           \
  if (tail < kc) { TAPEGRAD_X86_REP8(TAPEGRAD_X86_DOTCOPY) }                               \
  for (int64_t j0 = 0; j0 < nr; j0 += 2, pb += 2 * ld_b, c += 2 * cs_c) {                  \
    TAPEGRAD_X86_REP8(TAPEGRAD_X86_DOTDECL)                                                \
    const T* pb1 = pb + ld_b;                                                              \
    for (int64_t p = 0; p < tail; p += W) {                                                \
      const V b0 = *reinterpret_cast<const VU*>(pb + p), b1 = *reinterpret_cast<const VU*>(pb1 + p); \
      TAPEGRAD_X86_REP8(TAPEGRAD_X86_DOTSTEP)                                              \
    }                                                                                      \
    if (tail < kc) {                                                                       \
      const V b0 = *reinterpret_cast<const VU*>(pb + tail), b1 = *reinterpret_cast<const VU*>(pb1 + tail); \
      TAPEGRAD_X86_REP8(TAPEGRAD_X86_DOTREST)                                              \
    }                                                                                      \
    /* sums[2 * i + j]: row i, column j0 + j, times alpha */                              \
    alignas(64) T sums[16];                                                                \
    {                                                                                      \
      const V t0 = TAPEGRAD_X86_FOLD(W, c0, d0), t1 = TAPEGRAD_X86_FOLD(W, c1, d1);        \
      const V t2 = TAPEGRAD_X86_FOLD(W, c2, d2), t3 = TAPEGRAD_X86_FOLD(W, c3, d3);        \
      const V t4 = TAPEGRAD_X86_FOLD(W, c4, d4), t5 = TAPEGRAD_X86_FOLD(W, c5, d5);        \
      const V t6 = TAPEGRAD_X86_FOLD(W, c6, d6), t7 = TAPEGRAD_X86_FOLD(W, c7, d7);        \
      const V u0 = TAPEGRAD_X86_FOLD(W / 2, t0, t1), u1 = TAPEGRAD_X86_FOLD(W / 2, t2, t3); \
      const V u2 = TAPEGRAD_X86_FOLD(W / 2, t4, t5), u3 = TAPEGRAD_X86_FOLD(W / 2, t6, t7); \
      const V v0 = TAPEGRAD_X86_FOLD(W / 4, u0, u1), v1 = TAPEGRAD_X86_FOLD(W / 4, u2, u3); \
      if constexpr (W == 8) {                                                              \
        *reinterpret_cast<V*>(sums) = va * v0;                                             \
        *reinterpret_cast<V*>(sums + 8) = va * v1;                                         \
      } else {                                                                             \
        *reinterpret_cast<V*>(sums) = va * TAPEGRAD_X86_FOLD(W / 8, v0, v1);               \
      }                                                                                    \
    }                                                                                      \
    if (mr == 8 && j0 + 2 <= nr && cs_c == 1 && beta == T(0)) {                            \
      TAPEGRAD_X86_REP8(TAPEGRAD_X86_DOTSTORE)                                             \
      continue;                                                                            \
    }                                                                                      \
    for (int64_t i = 0; i < mr; ++i)                                                       \
      for (int64_t j = 0; j < std::min<int64_t>(2, nr - j0); ++j) {                        \
        T& dst = c[i * rs_c + j * cs_c];                                                   \
        dst = beta == T(0) ? sums[2 * i + j] : sums[2 * i + j] + beta * dst;               \
      }                                                                                    \
  }

namespace x86 {
// Lane o of fold<S>(x, y, HI): x and y each hold W / S groups of S lanes
// (partial sums of one accumulator each); the result holds the first (HI = 0)
// or second (HI = 1) halves of x's groups, then of y's, so that adding the two
// halves leaves groups of S / 2 lanes for twice as many accumulators, in order.
template <int W, int S, int HI>
constexpr int fold_lane(int o) {
  const int h = S > 1 ? S / 2 : 1, g = W / S, q = o / h;
  return (q < g ? 0 : W) + (q % g) * S + o % h + HI * h;
}
template <int S, class V, int... O>
__attribute__((target("avx512f"), always_inline)) inline V fold512(V x, V y, std::integer_sequence<int, O...>) {
  constexpr int W = sizeof...(O);
  return __builtin_shufflevector(x, y, fold_lane<W, S, 0>(O)...) +
         __builtin_shufflevector(x, y, fold_lane<W, S, 1>(O)...);
}
}  // namespace x86

// ---- AVX-512 ----------------------------------------------------------------
#define TAPEGRAD_X86_FOLD(S, x, y) x86::fold512<(S)>(x, y, std::make_integer_sequence<int, W>{})
#define TAPEGRAD_X86_BCAST(x) TAPEGRAD_X86_SPLAT16(x)
#define TAPEGRAD_X86_FMA(a, b, c) __builtin_ia32_vfmaddps512_mask(a, b, c, static_cast<unsigned short>(-1), 4)
__attribute__((target("avx512f,fma"))) inline void micro_kernel_avx512_f32(
    int64_t kc, const float* pa, const float* pb, float* c, int64_t rs_c, int64_t cs_c, int64_t mr, int64_t nr,
    float alpha, float beta) {
  using V = x86::f32x16;
  using VU = x86::f32x16u;
  constexpr int W = 16;
  TAPEGRAD_X86_KERNEL_BODY(float, V, VU, W, 12, TAPEGRAD_X86_REP12, 12)
}
// Note [Edge tile]: the last row panel of a block with at most 4 rows (m = 256
// is 21 panels of 12 and one of 4) in 4 rows of the 12-row packed panel: 8
// FMAs per k instead of 24 that mostly multiply the panel's zero padding.
__attribute__((target("avx512f,fma"))) inline void edge_kernel_avx512_f32(
    int64_t kc, const float* pa, const float* pb, float* c, int64_t rs_c, int64_t cs_c, int64_t mr, int64_t nr,
    float alpha, float beta) {
  using V = x86::f32x16;
  using VU = x86::f32x16u;
  constexpr int W = 16;
  TAPEGRAD_X86_KERNEL_BODY(float, V, VU, W, 4, TAPEGRAD_X86_REP4, 12)
}
__attribute__((target("avx512f,fma"))) inline void direct_kernel_avx512_f32(
    int64_t kc, const float* a, int64_t rs_a, int64_t cs_a, const float* pb, float* c, int64_t rs_c, int64_t cs_c,
    int64_t mr, int64_t nr, float alpha, float beta) {
  using V = x86::f32x16;
  using VU = x86::f32x16u;
  constexpr int W = 16;
  TAPEGRAD_X86_DIRECT_BODY(float, V, VU, W, 12, TAPEGRAD_X86_REP12)
}
__attribute__((target("avx512f,fma"))) inline void narrow_kernel_avx512_f32(
    int64_t kc, const float* a, int64_t rs_a, int64_t cs_a, const float* pb, float* c, int64_t rs_c, int64_t cs_c,
    int64_t mr, int64_t nr, float alpha, float beta) {
  using V = x86::f32x16;
  using VU = x86::f32x16u;
  constexpr int W = 16;
  TAPEGRAD_X86_NARROW_BODY(float, V, VU, W, 16, TAPEGRAD_X86_REP16)
}
__attribute__((target("avx512f,fma"))) inline void dot_kernel_avx512_f32(
    int64_t kc, const float* a, int64_t rs_a, const float* pb, int64_t ld_b, float* c, int64_t rs_c, int64_t cs_c,
    int64_t mr, int64_t nr, float alpha, float beta) {
  using T = float;
  using V = x86::f32x16;
  using VU = x86::f32x16u;
  constexpr int W = 16;
  TAPEGRAD_X86_DOT_BODY(T, V, VU, W)
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
  TAPEGRAD_X86_KERNEL_BODY(double, V, VU, W, 12, TAPEGRAD_X86_REP12, 12)
}
__attribute__((target("avx512f,fma"))) inline void direct_kernel_avx512_f64(
    int64_t kc, const double* a, int64_t rs_a, int64_t cs_a, const double* pb, double* c, int64_t rs_c, int64_t cs_c,
    int64_t mr, int64_t nr, double alpha, double beta) {
  using V = x86::f64x8;
  using VU = x86::f64x8u;
  constexpr int W = 8;
  TAPEGRAD_X86_DIRECT_BODY(double, V, VU, W, 12, TAPEGRAD_X86_REP12)
}
__attribute__((target("avx512f,fma"))) inline void narrow_kernel_avx512_f64(
    int64_t kc, const double* a, int64_t rs_a, int64_t cs_a, const double* pb, double* c, int64_t rs_c, int64_t cs_c,
    int64_t mr, int64_t nr, double alpha, double beta) {
  using V = x86::f64x8;
  using VU = x86::f64x8u;
  constexpr int W = 8;
  TAPEGRAD_X86_NARROW_BODY(double, V, VU, W, 16, TAPEGRAD_X86_REP16)
}
__attribute__((target("avx512f,fma"))) inline void dot_kernel_avx512_f64(
    int64_t kc, const double* a, int64_t rs_a, const double* pb, int64_t ld_b, double* c, int64_t rs_c,
    int64_t cs_c, int64_t mr, int64_t nr, double alpha, double beta) {
  using T = double;
  using V = x86::f64x8;
  using VU = x86::f64x8u;
  constexpr int W = 8;
  TAPEGRAD_X86_DOT_BODY(T, V, VU, W)
}
#undef TAPEGRAD_X86_BCAST
#undef TAPEGRAD_X86_FMA
#undef TAPEGRAD_X86_FOLD

// ---- AVX2 + FMA -------------------------------------------------------------
#define TAPEGRAD_X86_BCAST(x) TAPEGRAD_X86_SPLAT8(x)
#define TAPEGRAD_X86_FMA(a, b, c) __builtin_ia32_vfmaddps256(a, b, c)
__attribute__((target("avx2,fma"))) inline void micro_kernel_avx2_f32(
    int64_t kc, const float* pa, const float* pb, float* c, int64_t rs_c, int64_t cs_c, int64_t mr, int64_t nr,
    float alpha, float beta) {
  using V = x86::f32x8;
  using VU = x86::f32x8u;
  constexpr int W = 8;
  TAPEGRAD_X86_KERNEL_BODY(float, V, VU, W, 6, TAPEGRAD_X86_REP6, 6)
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
  TAPEGRAD_X86_KERNEL_BODY(double, V, VU, W, 6, TAPEGRAD_X86_REP6, 6)
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
#undef TAPEGRAD_X86_DIRECT_BODY
#undef TAPEGRAD_X86_EPILOGUE
#undef TAPEGRAD_X86_DSTEP
#undef TAPEGRAD_X86_NARROW_BODY
#undef TAPEGRAD_X86_DOT_BODY
#undef TAPEGRAD_X86_DOTREST
#undef TAPEGRAD_X86_DOTSTORE
#undef TAPEGRAD_X86_DOTCOPY
#undef TAPEGRAD_X86_DOTSTEP
#undef TAPEGRAD_X86_DOTDECL
#undef TAPEGRAD_X86_DOTROW
#undef TAPEGRAD_X86_REP8
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
#undef TAPEGRAD_X86_REP4
#undef TAPEGRAD_X86_SPLAT16
#undef TAPEGRAD_X86_SPLAT8
#undef TAPEGRAD_X86_SPLAT4

// Note [Packing a row-major A]: a micro-panel of A holds, for each k, the MR
// values of its rows, so packing an A whose rows are contiguous along k (a
// plain row-major A, the common case: X of X @ W, G of G @ W^T) is a
// transpose. Element by element it is a large part of a small product's time
// (bench/matmul_kernels_bench.cpp). Here blocks of 8 rows x 8 k
// (and 4 rows x 8 k) are loaded as vectors and transposed in registers
// (unpack, shuffle, lane swap), so each packed element costs a fraction of a
// load, a shuffle and a store. The same holds for B read through a transposed
// view (x @ weight.t() in every nn::Linear, G @ W^T in backward): its NR
// columns are then contiguous along k. Other layouts, edges and partial
// panels go through pack_panels.
namespace x86 {
typedef float f32x4u __attribute__((vector_size(16), aligned(4), may_alias));

// Straight-line code (no arrays or loops) so that every value stays in a
// register at -O2 as well.
#define TAPEGRAD_X86_LO(a, b) __builtin_shufflevector(a, b, 0, 8, 1, 9, 4, 12, 5, 13)
#define TAPEGRAD_X86_HI(a, b) __builtin_shufflevector(a, b, 2, 10, 3, 11, 6, 14, 7, 15)
#define TAPEGRAD_X86_LO2(a, b) __builtin_shufflevector(a, b, 0, 1, 8, 9, 4, 5, 12, 13)
#define TAPEGRAD_X86_HI2(a, b) __builtin_shufflevector(a, b, 2, 3, 10, 11, 6, 7, 14, 15)
#define TAPEGRAD_X86_ROW(i) (*reinterpret_cast<const f32x8u*>(src + (i) * s_row))

// Rows 0-3 of an 8-column block, transposed within 128-bit lanes: u<k> holds
// column k (rows 0-3) in its low half and column k + 4 in its high half.
#define TAPEGRAD_X86_TRANSPOSE4(r0, r1, r2, r3, u0, u1, u2, u3)          \
  const f32x8 u0##t0 = TAPEGRAD_X86_LO(r0, r1), u0##t1 = TAPEGRAD_X86_HI(r0, r1); \
  const f32x8 u0##t2 = TAPEGRAD_X86_LO(r2, r3), u0##t3 = TAPEGRAD_X86_HI(r2, r3); \
  const f32x8 u0 = TAPEGRAD_X86_LO2(u0##t0, u0##t2), u1 = TAPEGRAD_X86_HI2(u0##t0, u0##t2); \
  const f32x8 u2 = TAPEGRAD_X86_LO2(u0##t1, u0##t3), u3 = TAPEGRAD_X86_HI2(u0##t1, u0##t3);

// dst[k * ld + r] = src[r * s_row + k] for r < 8, k < 8.
__attribute__((target("avx2"), always_inline)) inline void transpose_8x8(const float* src, int64_t s_row, float* dst,
                                                                        int64_t ld) {
  TAPEGRAD_X86_TRANSPOSE4(TAPEGRAD_X86_ROW(0), TAPEGRAD_X86_ROW(1), TAPEGRAD_X86_ROW(2), TAPEGRAD_X86_ROW(3), a0, a1,
                          a2, a3)
  TAPEGRAD_X86_TRANSPOSE4(TAPEGRAD_X86_ROW(4), TAPEGRAD_X86_ROW(5), TAPEGRAD_X86_ROW(6), TAPEGRAD_X86_ROW(7), b0, b1,
                          b2, b3)
#define TAPEGRAD_X86_OUT8(k, a, b)                                                                  \
  *reinterpret_cast<f32x8u*>(dst + (k) * ld) = __builtin_shufflevector(a, b, 0, 1, 2, 3, 8, 9, 10, 11); \
  *reinterpret_cast<f32x8u*>(dst + ((k) + 4) * ld) = __builtin_shufflevector(a, b, 4, 5, 6, 7, 12, 13, 14, 15);
  TAPEGRAD_X86_OUT8(0, a0, b0)
  TAPEGRAD_X86_OUT8(1, a1, b1)
  TAPEGRAD_X86_OUT8(2, a2, b2)
  TAPEGRAD_X86_OUT8(3, a3, b3)
#undef TAPEGRAD_X86_OUT8
}

// dst[k * ld + r] = src[r * s_row + k] for r < 4, k < 8.
__attribute__((target("avx2"), always_inline)) inline void transpose_4x8(const float* src, int64_t s_row, float* dst,
                                                                        int64_t ld) {
  TAPEGRAD_X86_TRANSPOSE4(TAPEGRAD_X86_ROW(0), TAPEGRAD_X86_ROW(1), TAPEGRAD_X86_ROW(2), TAPEGRAD_X86_ROW(3), a0, a1,
                          a2, a3)
#define TAPEGRAD_X86_OUT4(k, a)                                                                 \
  *reinterpret_cast<f32x4u*>(dst + (k) * ld) = __builtin_shufflevector(a, a, 0, 1, 2, 3);        \
  *reinterpret_cast<f32x4u*>(dst + ((k) + 4) * ld) = __builtin_shufflevector(a, a, 4, 5, 6, 7);
  TAPEGRAD_X86_OUT4(0, a0)
  TAPEGRAD_X86_OUT4(1, a1)
  TAPEGRAD_X86_OUT4(2, a2)
  TAPEGRAD_X86_OUT4(3, a3)
#undef TAPEGRAD_X86_OUT4
}
#undef TAPEGRAD_X86_TRANSPOSE4
#undef TAPEGRAD_X86_ROW
#undef TAPEGRAD_X86_HI2
#undef TAPEGRAD_X86_LO2
#undef TAPEGRAD_X86_HI
#undef TAPEGRAD_X86_LO
}  // namespace x86

/// pack_panels<float, R> for operands whose packed rows are contiguous along k
/// (Note [Packing a row-major A]); a partial last panel is zero-padded. One
/// function for every R (a run-time argument): compiled once per program,
/// not once per panel width.
__attribute__((target("avx2"), noinline)) inline void pack_rows_avx2_f32(int64_t R, int64_t rows, int64_t kc,
                                                                        const float* src, int64_t s_row, float* dst) {
  for (int64_t i0 = 0; i0 < rows; i0 += R, dst += R * kc) {
    const float* s = src + i0 * s_row;
    const int64_t n = std::min<int64_t>(R, rows - i0);
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
      int64_t r = 0;
      for (; r + 8 <= n; r += 8) x86::transpose_8x8(s + r * s_row + p, s_row, dst + p * R + r, R);
      for (; r + 4 <= n; r += 4) x86::transpose_4x8(s + r * s_row + p, s_row, dst + p * R + r, R);
      for (; r < n; ++r)
        for (int k = 0; k < 8; ++k) dst[(p + k) * R + r] = s[r * s_row + p + k];
      for (; r < R; ++r)
        for (int k = 0; k < 8; ++k) dst[(p + k) * R + r] = 0.0f;
    }
    for (; p < kc; ++p) {
      for (int64_t r = 0; r < n; ++r) dst[p * R + r] = s[r * s_row + p];
      for (int64_t r = n; r < R; ++r) dst[p * R + r] = 0.0f;
    }
  }
}
template <int R>
void pack_rows_f32(int64_t rows, int64_t kc, const float* src, int64_t s_row, int64_t s_k, float* dst) {
  if (s_k != 1 || s_row == 1) return pack_panels<float, R>(rows, kc, src, s_row, s_k, dst);
  pack_rows_avx2_f32(R, rows, kc, src, s_row, dst);
}

// Blocking: a B micro-panel (KC x NR, 32 KiB) stays in L1 (48 KiB here) while
// A micro-panels stream past it; the A block (MC x KC) is 192 KiB, because the
// packed B block (KC x NC) shares the 2 MiB L2 with it. MC = 192 beat 480 and
// 288, and KC = 256 beat 192 and 384, on one thread
// (bench/matmul_kernels_bench.cpp).
template <class T>
GemmConfig<T> x86_avx512_config() {
  if constexpr (sizeof(T) == 4)
    return {12, 32, 192, 256, 3072, &micro_kernel_avx512_f32, &pack_rows_f32<12>, &pack_rows_f32<32>,
            16, 16, &narrow_kernel_avx512_f32, &pack_rows_f32<16>, &pack_rows_f32<16>,
            &direct_kernel_avx512_f32, 4, &edge_kernel_avx512_f32, &dot_kernel_avx512_f32, 16};
  else
    return {12, 16, 96, 256, 2048, &micro_kernel_avx512_f64, &pack_panels<double, 12>, &pack_panels<double, 16>,
            16, 8, &narrow_kernel_avx512_f64, &pack_panels<double, 16>, &pack_panels<double, 8>,
            &direct_kernel_avx512_f64, 0, nullptr, &dot_kernel_avx512_f64, 8};
}
template <class T>
GemmConfig<T> x86_avx2_config() {
  if constexpr (sizeof(T) == 4)
    return {6, 16, 288, 256, 3072, &micro_kernel_avx2_f32, &pack_rows_f32<6>, &pack_rows_f32<16>,
            12, 8, &narrow_kernel_avx2_f32, &pack_rows_f32<12>, &pack_rows_f32<8>};
  else
    return {6, 8, 144, 256, 2048, &micro_kernel_avx2_f64, &pack_panels<double, 6>, &pack_panels<double, 8>,
            12, 4, &narrow_kernel_avx2_f64, &pack_panels<double, 12>, &pack_panels<double, 4>};
}

/// The lowest micro-kernel this build can need (Note [Kernels the flags rule out] in gemm.hpp).
#if defined(__AVX512F__)
inline constexpr GemmIsa kLowestGemmIsa = GemmIsa::avx512;
#elif defined(__AVX2__) && defined(__FMA__)
inline constexpr GemmIsa kLowestGemmIsa = GemmIsa::avx2;
#else
inline constexpr GemmIsa kLowestGemmIsa = GemmIsa::generic;
#endif

}  // namespace tapegrad::kernels::detail

#else
#define TAPEGRAD_GEMM_X86 0
namespace tapegrad::kernels::detail {
inline constexpr GemmIsa kLowestGemmIsa = GemmIsa::generic;
}  // namespace tapegrad::kernels::detail
#endif
