#pragma once
// GEMM with a mostly-zero operand (Note [Sparse operand GEMM]), used by
// kernels::gemm before the packed path. Internal (kernels::detail).
//
// Note [Sparse operand GEMM]: the first layer of an MLP multiplies its input,
// and about four fifths of MNIST's pixels are zero (half of Fashion-MNIST's): X @ W^T in the
// forward pass and G^T @ X for the weight gradient spend most of a training
// step multiplying zeros. When one operand S of C = S @ D (or C = D @ S,
// computed as C^T = S^T @ D^T) has at most kSparseMaxDensity nonzeros, gemm
// lists S's nonzeros row by row (compressed sparse rows) and computes
//   C[r, :] = alpha * sum over nonzero S[r, p] of S[r, p] * D[p, :] + beta * C[r, :]
// in strips of C's columns held in registers (the strip of D, k rows, stays
// in L2 across all rows of C and is taken an L1 block of rows at a time).
// Only the multiplications by zero are left out, so the result is the dense
// product up to the order of the additions, with one exception handled
// here: 0 * inf and 0 * NaN are NaN, so D must be all finite (checked;
// otherwise the dense path runs). Deciding costs a pass
// over S that stops as soon as the nonzeros pass the limit or, early on,
// twice their share of it (sparse_limit_at), so a dense operand is turned
// away after a few rows, a small fraction of the dense product.
// TAPEGRAD_GEMM_SPARSE=0 in the environment, or kernels::set_gemm_sparse(false),
// turns it off. Only kernels::gemm tries it, not kernels::gemm_dense; which
// ops call which: Note [Dense and sparse entries] in gemm.hpp.
// bench/history/2026-11-22_to_2026-12-05.md has the measurements behind the
// constants.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <type_traits>
#include <vector>

#if __has_include(<unistd.h>)
#include <unistd.h>  // sysconf
#endif

#include "../core/parallel.hpp"
#include "../core/threads.hpp"
#include "gemm_pack.hpp"
#include "gemm_x86.hpp"

namespace tapegrad::kernels::detail {

/// Densest operand the sparse path takes (nonzeros / elements).
inline constexpr double kSparseMaxDensity = 0.3;
/// Narrowest D (columns of C) and smallest product (multiply-adds) it takes.
inline constexpr int64_t kSparseMinWidth = 32;
inline constexpr double kSparseMinWork = 64.0 * 128.0 * 128.0;
/// Smallest product (m x n x k multiply-adds, zeros included) that it splits
/// between threads.
inline constexpr double kSparseParallelMinWork = 128.0 * 128.0 * 128.0;
/// Bytes of D's strip that the x86 kernels keep in L1 at a time: the L1 data
/// cache, where the C library tells its size, less 16 KiB for everything else
/// the kernel touches (a row's partial sums, the nonzeros, C), clamped to 16
/// to 40 KiB: 16 KiB on a 32 KiB L1, 32 KiB on a 48 KiB one (the larger
/// block was faster on a 48 KiB L1 both for the products and for an MNIST
/// epoch: bench/matmul_kernels_bench.cpp, bench/README.md).
inline size_t sparse_block_bytes() {
  static const size_t bytes = [] {
    long l1 = 0;
#ifdef _SC_LEVEL1_DCACHE_SIZE
    l1 = ::sysconf(_SC_LEVEL1_DCACHE_SIZE);
#endif
    return l1 > 0 ? static_cast<size_t>(std::clamp<long>(l1 - 16384, 16384, 40960)) : size_t{16384};
  }();
  return bytes;
}

/// Rows [r0, r1) of C = alpha * S @ D + beta * C: S as compressed rows (row
/// r's nonzeros are idx/val[ptr[r] .. ptr[r + 1]), column indices ascending),
/// D (k x n) in panels of the kernel's sparse_panel_width P: D[p, j] at
/// d[(j / P) * k * P + p * P + j % P]. Contiguous panels keep a strip of D
/// free of cache-set conflicts whatever D's leading dimension (with 256
/// floats, 64 rows of a strip fell into 16 of L1's 64 sets).
template <class T>
using SparseKernel = void (*)(int64_t r0, int64_t r1, const int64_t* ptr, const int32_t* idx, const T* val,
                              const T* d, int64_t k, int64_t n, T alpha, T beta, T* c, int64_t rsc, int64_t csc);

/// c[j * csc] = alpha * acc[j] (+ beta * c[j * csc]) for j < nn; beta == 0 never reads C.
template <class T>
inline void sparse_store(const T* acc, int64_t nn, T* c, int64_t csc, T alpha, T beta) {
  if (beta == T(0)) {
    for (int64_t j = 0; j < nn; ++j) c[j * csc] = alpha * acc[j];
  } else {
    for (int64_t j = 0; j < nn; ++j) c[j * csc] = alpha * acc[j] + beta * c[j * csc];
  }
}

/// Columns [j0, j0 + nn) of rows [r0, r1), nn <= P, in plain loops; D's
/// panel starts at dpan (row stride P). The portable kernel and the x86
/// kernels' last columns.
template <class T, int64_t P>
void sparse_rows_scalar(int64_t r0, int64_t r1, const int64_t* ptr, const int32_t* idx, const T* val,
                        const T* dpan, int64_t j0, int64_t nn, T alpha, T beta, T* c, int64_t rsc, int64_t csc) {
  for (int64_t r = r0; r < r1; ++r) {
    T acc[P] = {};
    for (int64_t e = ptr[r]; e < ptr[r + 1]; ++e) {
      const T v = val[e];
      const T* dp = dpan + idx[e] * P;
      if (nn == P) {
        for (int64_t j = 0; j < P; ++j) acc[j] += v * dp[j];
      } else {
        for (int64_t j = 0; j < nn; ++j) acc[j] += v * dp[j];
      }
    }
    sparse_store(acc, nn, c + r * rsc + j0 * csc, csc, alpha, beta);
  }
}

/// The portable SparseKernel (panel width 32).
template <class T>
void sparse_rows_generic(int64_t r0, int64_t r1, const int64_t* ptr, const int32_t* idx, const T* val, const T* d,
                         int64_t k, int64_t n, T alpha, T beta, T* c, int64_t rsc, int64_t csc) {
  constexpr int64_t P = 32;
  for (int64_t j0 = 0; j0 < n; j0 += P)
    sparse_rows_scalar<T, P>(r0, r1, ptr, idx, val, d + j0 * k, j0, std::min(P, n - j0), alpha, beta, c, rsc, csc);
}

#if TAPEGRAD_GEMM_X86
/// A full panel's sums (rows x P, row stride P) into C as sparse_store does
/// row by row. With unit column stride the rows are stored as vectors; a C
/// stored by columns (rsc == 1: the weight gradient, computed transposed) in
/// float with beta = 0 by 8 x 8 register transposes, scaled first (a scalar
/// store per element was a visible part of the kernel's time).
template <class T, int64_t P>
__attribute__((target("avx2"))) inline void sparse_store_panel(T* sums, int64_t rows, T* c, int64_t rsc, int64_t csc,
                                                               T alpha, T beta) {
  if (csc == 1) {
    for (int64_t r = 0; r < rows; ++r) sparse_store(sums + r * P, P, c + r * rsc, 1, alpha, beta);
    return;
  }
  if constexpr (std::is_same_v<T, float> && P % 8 == 0) {
    if (rsc == 1 && beta == 0.0f) {
      if (alpha != 1.0f)
        for (int64_t i = 0; i < rows * P; ++i) sums[i] *= alpha;
      const int64_t r8 = rows / 8 * 8;
      for (int64_t r = 0; r < r8; r += 8)
        for (int64_t j = 0; j < P; j += 8) x86::transpose_8x8(sums + r * P + j, P, c + r + j * csc, csc);
      for (int64_t r = r8; r < rows; ++r) sparse_store(sums + r * P, P, c + r, csc, 1.0f, 0.0f);
      return;
    }
  }
  for (int64_t r = 0; r < rows; ++r) sparse_store(sums + r * P, P, c + r * rsc, csc, alpha, beta);
}

// The x86 kernels (vector types and FMA builtins as Note [Micro-kernels
// without <immintrin.h>] in gemm_x86.hpp), panel width 8 vectors: a full
// panel's columns are held in 8 accumulators, per nonzero one broadcast and
// 8 FMAs with D's row read from L1. To keep it there, the panel is taken
// sparse_block_bytes() of rows at a time, every row of C accumulating its
// nonzeros in that block into a partial sum (part, per thread); cur holds
// each row's next nonzero. A last, narrower panel goes by single vectors
// and then scalars.
#define TAPEGRAD_SPARSE_FMA8(i) a##i = TAPEGRAD_SPARSE_FMA(v, dp[i], a##i);
#define TAPEGRAD_SPARSE_REP8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define TAPEGRAD_SPARSE_SAVE8(i) pr[i] = a##i;
#define TAPEGRAD_SPARSE_LOAD8(i) a##i = pr[i];
#define TAPEGRAD_SPARSE_BODY(T, V, VU)                                                               \
  constexpr int64_t W = static_cast<int64_t>(sizeof(V) / sizeof(T)), P = 8 * W;                    \
  const auto KB = static_cast<int64_t>(sparse_block_bytes() / (P * sizeof(T)));                      \
  T* part = pack_buffer<T>(5, static_cast<size_t>((r1 - r0) * P));                                  \
  int64_t* cur = pack_buffer<int64_t>(5, static_cast<size_t>(r1 - r0));                             \
  for (int64_t j0 = 0; j0 < n; j0 += P) {                                                           \
    const T* dpan = d + j0 * k;                                                                     \
    const int64_t nn = std::min(P, n - j0);                                                         \
    if (nn < P) {                                                                                   \
      int64_t jv = 0;                                                                               \
      for (; jv + W <= nn; jv += W)                                                                 \
        for (int64_t r = r0; r < r1; ++r) {                                                         \
          V a0 = {};                                                                                \
          for (int64_t e = ptr[r]; e < ptr[r + 1]; ++e) {                                           \
            const V v = V{} + val[e];                                                               \
            const VU* dp = reinterpret_cast<const VU*>(dpan + idx[e] * P + jv);                     \
            TAPEGRAD_SPARSE_FMA8(0)                                                                 \
          }                                                                                         \
          T acc[W];                                                                                 \
          *reinterpret_cast<VU*>(acc) = a0;                                                         \
          sparse_store(acc, W, c + r * rsc + (j0 + jv) * csc, csc, alpha, beta);                    \
        }                                                                                           \
      if (jv < nn)                                                                                  \
        sparse_rows_scalar<T, P>(r0, r1, ptr, idx, val, dpan + jv, j0 + jv, nn - jv, alpha, beta, c, \
                                 rsc, csc);                                                         \
      break;                                                                                        \
    }                                                                                               \
    for (int64_t r = r0; r < r1; ++r) cur[r - r0] = ptr[r];                                         \
    for (int64_t p1 = KB; p1 - KB < k; p1 += KB)                                                    \
      for (int64_t r = r0; r < r1; ++r) {                                                           \
        int64_t e = cur[r - r0];                                                                    \
        const int64_t end = ptr[r + 1];                                                             \
        if (e == end || idx[e] >= p1) continue;                                                     \
        VU* pr = reinterpret_cast<VU*>(part + (r - r0) * P);                                        \
        V a0 = {}, a1 = {}, a2 = {}, a3 = {}, a4 = {}, a5 = {}, a6 = {}, a7 = {};                   \
        if (e != ptr[r]) {                                                                          \
          TAPEGRAD_SPARSE_REP8(TAPEGRAD_SPARSE_LOAD8)                                               \
        }                                                                                           \
        for (; e < end && idx[e] < p1; ++e) {                                                       \
          const V v = V{} + val[e];                                                                 \
          const VU* dp = reinterpret_cast<const VU*>(dpan + idx[e] * P);                            \
          TAPEGRAD_SPARSE_REP8(TAPEGRAD_SPARSE_FMA8)                                                \
        }                                                                                           \
        cur[r - r0] = e;                                                                            \
        TAPEGRAD_SPARSE_REP8(TAPEGRAD_SPARSE_SAVE8)                                                 \
      }                                                                                             \
    for (int64_t r = r0; r < r1; ++r)                                                               \
      if (ptr[r] == ptr[r + 1]) std::fill(part + (r - r0) * P, part + (r - r0 + 1) * P, T(0));      \
    sparse_store_panel<T, P>(part, r1 - r0, c + r0 * rsc + j0 * csc, rsc, csc, alpha, beta);        \
  }

#define TAPEGRAD_SPARSE_KERNEL(name, isa, T, V, VU)                                                              \
  __attribute__((target(isa))) inline void name(int64_t r0, int64_t r1, const int64_t* ptr, const int32_t* idx,  \
                                                const T* val, const T* d, int64_t k, int64_t n, T alpha, T beta, \
                                                T* c, int64_t rsc, int64_t csc) {                                \
    TAPEGRAD_SPARSE_BODY(T, V, VU)                                                                               \
  }
#define TAPEGRAD_SPARSE_FMA(a, b, c) __builtin_ia32_vfmaddps512_mask(a, b, c, static_cast<unsigned short>(-1), 4)
TAPEGRAD_SPARSE_KERNEL(sparse_rows_avx512_f32, "avx512f,fma", float, x86::f32x16, x86::f32x16u)
#undef TAPEGRAD_SPARSE_FMA
#define TAPEGRAD_SPARSE_FMA(a, b, c) __builtin_ia32_vfmaddpd512_mask(a, b, c, static_cast<unsigned char>(-1), 4)
TAPEGRAD_SPARSE_KERNEL(sparse_rows_avx512_f64, "avx512f,fma", double, x86::f64x8, x86::f64x8u)
#undef TAPEGRAD_SPARSE_FMA
#define TAPEGRAD_SPARSE_FMA(a, b, c) __builtin_ia32_vfmaddps256(a, b, c)
TAPEGRAD_SPARSE_KERNEL(sparse_rows_avx2_f32, "avx2,fma", float, x86::f32x8, x86::f32x8u)
#undef TAPEGRAD_SPARSE_FMA
#define TAPEGRAD_SPARSE_FMA(a, b, c) __builtin_ia32_vfmaddpd256(a, b, c)
TAPEGRAD_SPARSE_KERNEL(sparse_rows_avx2_f64, "avx2,fma", double, x86::f64x4, x86::f64x4u)
#undef TAPEGRAD_SPARSE_FMA
#undef TAPEGRAD_SPARSE_KERNEL
#undef TAPEGRAD_SPARSE_BODY
#undef TAPEGRAD_SPARSE_SAVE8
#undef TAPEGRAD_SPARSE_LOAD8
#undef TAPEGRAD_SPARSE_REP8
#undef TAPEGRAD_SPARSE_FMA8
#endif

// Preparation (Note [Sparse operand GEMM]): listing S's nonzeros, packing D
// and checking it is finite cost about as much as the sparse product itself
// when written as scalar loops, so each has an AVX2 float version.

/// Most nonzeros rows [0, done) of `outer` may hold: the limit, and early on
/// twice its share so far plus a row, so that a dense operand is turned away
/// after a few rows (rows need not be alike; a wrong refusal only costs time).
inline int64_t sparse_limit_at(int64_t done, int64_t outer, int64_t inner, int64_t limit) {
  return std::min(limit, 2 * limit / outer * done + inner);
}

/// Lists the nonzeros of rows [0, outer) of a matrix (row o's element i at
/// s[o * so + i * si]): row o's are idx/val[ptr[o] .. ptr[o + 1]). Stops and
/// returns false once there are more than sparse_limit_at allows; idx and
/// val need room for limit + inner + 8 (each row is written branch-free, one
/// slot per element, advancing past nonzeros only). NaN counts as nonzero,
/// -0 as zero.
template <class T>
bool sparse_compress_generic(const T* s, int64_t outer, int64_t inner, int64_t so, int64_t si, int64_t limit,
                             int64_t* ptr, int32_t* idx, T* val) {
  int64_t e = 0;
  ptr[0] = 0;
  for (int64_t o = 0; o < outer; ++o) {
    const T* row = s + o * so;
    for (int64_t i = 0; i < inner; ++i) {
      const T x = row[i * si];
      idx[e] = static_cast<int32_t>(i);
      val[e] = x;
      e += x != T(0);
    }
    ptr[o + 1] = e;
    if (e > sparse_limit_at(o + 1, outer, inner, limit)) return false;
  }
  return true;
}

/// True when no element of the rows x cols matrix d (row stride ld, unit
/// column stride) is inf or NaN (an all-ones exponent).
template <class T>
bool all_finite_generic(const T* d, int64_t rows, int64_t cols, int64_t ld) {
  using U = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  constexpr U kExp = sizeof(T) == 4 ? U(0x7f800000u) : U(0x7ff0000000000000ull);
  for (int64_t p = 0; p < rows; ++p) {
    const T* row = d + p * ld;
    U bad = 0;
    for (int64_t j = 0; j < cols; ++j) bad |= U((std::bit_cast<U>(row[j]) & kExp) == kExp);
    if (bad) return false;
  }
  return true;
}

/// D (k x n, D[p, j] at d[p * rsd + j * csd]) into panels of width P as
/// SparseKernel reads it.
template <class T>
void sparse_pack_generic(const T* d, int64_t k, int64_t n, int64_t rsd, int64_t csd, int64_t P, T* dst) {
  for (int64_t j0 = 0; j0 < n; j0 += P) {
    const int64_t nn = std::min(P, n - j0);
    T* pan = dst + j0 * k;
    if (csd == 1) {
      for (int64_t p = 0; p < k; ++p) std::copy(d + p * rsd + j0, d + p * rsd + j0 + nn, pan + p * P);
      continue;
    }
    constexpr int64_t B = 32;
    for (int64_t p0 = 0; p0 < k; p0 += B)
      for (int64_t j = 0; j < nn; ++j)
        for (int64_t p = p0; p < std::min(k, p0 + B); ++p) pan[p * P + j] = d[p * rsd + (j0 + j) * csd];
  }
}

#if TAPEGRAD_GEMM_X86
namespace x86 {
typedef int32_t i32x8 __attribute__((vector_size(32)));
typedef int32_t i32x8u __attribute__((vector_size(32), aligned(4), may_alias));
typedef uint32_t u32x8u __attribute__((vector_size(32), aligned(4), may_alias));

/// For each 8-bit mask, the positions of its set bits, in order: the
/// vpermps control that moves a vector's selected elements to its front.
struct CompressLut {
  alignas(32) int32_t perm[256][8];
};
inline constexpr CompressLut kCompressLut = [] {
  CompressLut lut{};
  for (int mask = 0; mask < 256; ++mask) {
    int n = 0;
    for (int b = 0; b < 8; ++b)
      if (mask >> b & 1) lut.perm[mask][n++] = b;
  }
  return lut;
}();
}  // namespace x86

/// The last elements [i, inner) of a row for the SIMD compresses below;
/// returns the new count.
inline int64_t sparse_compress_rest(const float* row, int64_t i, int64_t inner, int32_t* idx, float* val, int64_t e) {
  for (; i < inner; ++i) {
    idx[e] = static_cast<int32_t>(i);
    val[e] = row[i];
    e += row[i] != 0.0f;
  }
  return e;
}

/// sparse_compress_generic for float rows with unit stride, 8 elements at a
/// time: compare with zero, look up the permutation for the mask, store the
/// compressed values and their indices, advance by the mask's popcount.
__attribute__((target("avx2,popcnt"), noinline)) inline bool sparse_compress_avx2_f32(
    const float* s, int64_t outer, int64_t inner, int64_t so, int64_t limit, int64_t* ptr, int32_t* idx,
    float* val) {
  int64_t e = 0;
  ptr[0] = 0;
  for (int64_t o = 0; o < outer; ++o) {
    const float* row = s + o * so;
    int64_t i = 0;
    for (; i + 8 <= inner; i += 8) {
      const x86::f32x8 v = *reinterpret_cast<const x86::f32x8u*>(row + i);
      const int mask = __builtin_ia32_movmskps256(__builtin_ia32_cmpps256(v, x86::f32x8{}, 4 /* NEQ_UQ */));
      const x86::i32x8 perm = *reinterpret_cast<const x86::i32x8*>(x86::kCompressLut.perm[mask]);
      *reinterpret_cast<x86::f32x8u*>(val + e) = __builtin_ia32_permvarsf256(v, perm);
      *reinterpret_cast<x86::i32x8u*>(idx + e) = perm + static_cast<int32_t>(i);
      e += __builtin_popcount(static_cast<unsigned>(mask));
    }
    e = sparse_compress_rest(row, i, inner, idx, val, e);
    ptr[o + 1] = e;
    if (e > sparse_limit_at(o + 1, outer, inner, limit)) return false;
  }
  return true;
}

/// The same with AVX-512, 16 elements at a time: vcompressps does the
/// permutation (to a register: its memory form is microcoded on AMD's cores).
__attribute__((target("avx512f,popcnt"), noinline)) inline bool sparse_compress_avx512_f32(
    const float* s, int64_t outer, int64_t inner, int64_t so, int64_t limit, int64_t* ptr, int32_t* idx,
    float* val) {
  typedef int32_t i32x16 __attribute__((vector_size(64)));
  typedef int32_t i32x16u __attribute__((vector_size(64), aligned(4), may_alias));
  const i32x16 iota = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  int64_t e = 0;
  ptr[0] = 0;
  for (int64_t o = 0; o < outer; ++o) {
    const float* row = s + o * so;
    int64_t i = 0;
    for (; i + 16 <= inner; i += 16) {
      const x86::f32x16 v = *reinterpret_cast<const x86::f32x16u*>(row + i);
      const auto mask = static_cast<unsigned short>(
          __builtin_ia32_cmpps512_mask(v, x86::f32x16{}, 4 /* NEQ_UQ */, static_cast<unsigned short>(-1), 4));
      *reinterpret_cast<x86::f32x16u*>(val + e) = __builtin_ia32_compresssf512_mask(v, x86::f32x16{}, mask);
      *reinterpret_cast<i32x16u*>(idx + e) =
          __builtin_ia32_compresssi512_mask(iota + static_cast<int32_t>(i), i32x16{}, mask);
      e += __builtin_popcount(mask);
    }
    e = sparse_compress_rest(row, i, inner, idx, val, e);
    ptr[o + 1] = e;
    if (e > sparse_limit_at(o + 1, outer, inner, limit)) return false;
  }
  return true;
}

__attribute__((target("avx2"), noinline)) inline bool all_finite_avx2_f32(const float* d, int64_t rows, int64_t cols,
                                                                         int64_t ld) {
  typedef uint32_t u32x8 __attribute__((vector_size(32)));
  const u32x8 exp = u32x8{} + 0x7f800000u;
  for (int64_t p = 0; p < rows; ++p) {
    const float* row = d + p * ld;
    u32x8 bad = {};
    int64_t j = 0;
    for (; j + 8 <= cols; j += 8) {
      const u32x8 x = *reinterpret_cast<const x86::u32x8u*>(row + j) & exp;
      bad |= reinterpret_cast<u32x8>(x == exp);
    }
    uint32_t any = 0;
    for (int i = 0; i < 8; ++i) any |= bad[i];
    if (any != 0 || !all_finite_generic(row + j, 1, cols - j, 0)) return false;
  }
  return true;
}

/// sparse_pack_generic for a float D with unit row stride (a transposed
/// view, x @ weight.t()): 8 x 8 blocks transposed in registers (Note
/// [Packing a row-major A]); P a multiple of 8.
__attribute__((target("avx2"), noinline)) inline void sparse_pack_avx2_f32(const float* d, int64_t k, int64_t n,
                                                                          int64_t csd, int64_t P, float* dst) {
  const int64_t k8 = k / 8 * 8;
  for (int64_t j0 = 0; j0 < n; j0 += P) {
    const int64_t nn = std::min(P, n - j0), nn8 = nn / 8 * 8;
    float* pan = dst + j0 * k;
    // by 8 rows of the panel, each written whole before the next (by columns
    // of the panel each 8 x 8 block goes to 8 cache lines far apart in a
    // large panel, which is much slower)
    for (int64_t p = 0; p < k8; p += 8)
      for (int64_t j = 0; j < nn8; j += 8) x86::transpose_8x8(d + (j0 + j) * csd + p, csd, pan + p * P + j, P);
    for (int64_t j = 0; j < nn; ++j)
      for (int64_t p = j < nn8 ? k8 : 0; p < k; ++p) pan[p * P + j] = d[(j0 + j) * csd + p];
  }
}
/// dst[q * k + p] = src[q + p * css] for q < rows, p < k: rows of S stored by
/// columns, made contiguous (8 x 8 register transposes) for compressing.
__attribute__((target("avx2"), noinline)) inline void sparse_rows_of_columns_avx2_f32(const float* src, int64_t rows,
                                                                                     int64_t k, int64_t css,
                                                                                     float* dst) {
  int64_t q0 = 0;
  for (; q0 + 8 <= rows; q0 += 8) {
    int64_t p = 0;
    for (; p + 8 <= k; p += 8) x86::transpose_8x8(src + q0 + p * css, css, dst + q0 * k + p, k);
    for (; p < k; ++p)
      for (int64_t q = q0; q < q0 + 8; ++q) dst[q * k + p] = src[q + p * css];
  }
  for (int64_t q = q0; q < rows; ++q)
    for (int64_t p = 0; p < k; ++p) dst[q * k + p] = src[q + p * css];
}
#endif

/// Panel width of sparse_kernel<T>(isa): 8 vectors, or 32 for the portable one.
template <class T>
int64_t sparse_panel_width(GemmIsa isa) {
#if TAPEGRAD_GEMM_X86
  if (isa == GemmIsa::avx512) return 8 * 64 / static_cast<int64_t>(sizeof(T));
  if (isa == GemmIsa::avx2) return 8 * 32 / static_cast<int64_t>(sizeof(T));
#endif
  (void)isa;
  return 32;
}

template <class T, GemmIsa I>
SparseKernel<T> sparse_kernel_of() {
#if TAPEGRAD_GEMM_X86
  constexpr bool kFloat = sizeof(T) == 4;
  if constexpr (I == GemmIsa::avx512 && kFloat) return &sparse_rows_avx512_f32;
  else if constexpr (I == GemmIsa::avx512) return &sparse_rows_avx512_f64;
  else if constexpr (I == GemmIsa::avx2 && kFloat) return &sparse_rows_avx2_f32;
  else if constexpr (I == GemmIsa::avx2) return &sparse_rows_avx2_f64;
  else
#endif
    return &sparse_rows_generic<T>;
}

/// The SparseKernel of `isa`; only those of this build's paths are compiled
/// (Note [Kernels the flags rule out] in gemm.hpp).
template <class T>
SparseKernel<T> sparse_kernel(GemmIsa isa) {
#if TAPEGRAD_GEMM_X86
  if (isa == GemmIsa::avx512) return sparse_kernel_of<T, GemmIsa::avx512>();
  if constexpr (kLowestGemmIsa <= GemmIsa::avx2)
    if (isa == GemmIsa::avx2) return sparse_kernel_of<T, GemmIsa::avx2>();
#endif
  (void)isa;
  return sparse_kernel_of<T, kLowestGemmIsa>();
}

/// C (m x n) = alpha * S @ D + beta * C by Note [Sparse operand GEMM], S m x k
/// at s[r * rss + p * css], D k x n at d[p * rsd + j * csd], C at c[r * rsc +
/// j * csc]. Returns false, having written nothing, when S is too dense or D
/// not all finite. Scratch: pack_buffer slots 2-5.
///
/// With several threads the preparation is split as the product: thread t
/// lists the nonzeros of its share of S's rows into its own compressed rows
/// and packs its share of D's panels; after a join every thread multiplies
/// its rows.
template <class T>
bool gemm_sparse(GemmIsa isa, int64_t m, int64_t n, int64_t k, T alpha, const T* s, int64_t rss, int64_t css,
                 const T* d, int64_t rsd, int64_t csd, T beta, T* c, int64_t rsc, int64_t csc) {
  if (k > INT32_MAX || m > INT32_MAX) return false;
  const int nt = get_num_threads();
  const double dense_work = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  const int parts = nt > 1 && dense_work >= kSparseParallelMinWork ? static_cast<int>(std::min<int64_t>(nt, m)) : 1;
  const int64_t P = sparse_panel_width<T>(isa);
  const int64_t panels = (n + P - 1) / P;
  const auto row_of = [&](int64_t t) { return m * t / parts; };
  const auto limit_of = [&](int64_t rows) {
    return static_cast<int64_t>(kSparseMaxDensity * static_cast<double>(rows) * static_cast<double>(k));
  };
  const bool by_rows = css == 1 || (rss != 1 && std::abs(css) <= std::abs(rss));
  {
    // A dense S is turned away before any buffer is set up or thread woken:
    // its first lines in memory order (rows, or columns when stored by
    // columns; up to 4) hold more than twice their share of the limit.
    const int64_t outer = by_rows ? m : k, inner = by_rows ? k : m;
    const int64_t so = by_rows ? rss : css, si = by_rows ? css : rss, look = std::min<int64_t>(outer, 4);
    int64_t nz = 0;
    for (int64_t o = 0; o < look; ++o)
      for (int64_t i = 0; i < inner; ++i) nz += s[o * so + i * si] != T(0);
    if (static_cast<double>(nz) > 2 * kSparseMaxDensity * static_cast<double>(look * inner)) return false;
  }
#if TAPEGRAD_GEMM_X86
  constexpr bool kFloat = std::is_same_v<T, float>;
  const bool avx2 = kFloat && isa != GemmIsa::generic;
  // float columns with unit stride: 16 rows at a time transposed, then compressed
  const bool blocked = !by_rows && avx2 && rss == 1;
#else
  constexpr bool blocked = false;
#endif
  const bool sort = !by_rows && !blocked;
  // Part t's rows, its compressed rows (ptr, idx, val: room for the limit and
  // the compresses' one slot per element of a row) and, for the sort, its
  // compressed columns (cidx, cval; cptr has k + 1 entries a part).
  struct Part {
    int64_t r0, rows, o_ptr, o_nz, o_cnz;
    int64_t* ptr;
    int32_t* idx;
    T* val;
    bool ok;
  };
  std::vector<Part> part(static_cast<size_t>(parts));
  int64_t n_ptr = 0, n_nz = 0, n_cnz = 0;
  for (int64_t t = 0; t < parts; ++t) {
    const int64_t r0 = row_of(t), rows = row_of(t + 1) - r0;
    part[static_cast<size_t>(t)] = {r0, rows, n_ptr, n_nz, n_cnz, nullptr, nullptr, nullptr, false};
    n_ptr += rows + 1;
    n_nz += sort ? limit_of(rows) : limit_of(rows) + k + 8;
    n_cnz += limit_of(rows) + rows + 8;
  }
  int64_t* ptr_buf = pack_buffer<int64_t>(2, static_cast<size_t>(n_ptr));
  int32_t* idx_buf = pack_buffer<int32_t>(2, static_cast<size_t>(n_nz));
  T* val_buf = pack_buffer<T>(2, static_cast<size_t>(n_nz));
  int64_t* cptr_buf = sort ? pack_buffer<int64_t>(3, static_cast<size_t>(parts * (k + 1))) : nullptr;
  int32_t* cidx_buf = sort ? pack_buffer<int32_t>(3, static_cast<size_t>(n_cnz)) : nullptr;
  T* cval_buf = sort ? pack_buffer<T>(3, static_cast<size_t>(n_cnz)) : nullptr;
  int64_t* next_buf = sort ? pack_buffer<int64_t>(4, static_cast<size_t>(m)) : nullptr;
  T* dp = pack_buffer<T>(4, static_cast<size_t>(k * panels * P));  // the last panel is P wide too
  const auto compress = [&](const T* src, int64_t outer, int64_t inner, int64_t so, int64_t si, int64_t limit,
                            int64_t* ptr, int32_t* idx, T* val) {
#if TAPEGRAD_GEMM_X86
    if constexpr (kFloat) {
      if (isa == GemmIsa::avx512 && si == 1)
        return sparse_compress_avx512_f32(src, outer, inner, so, limit, ptr, idx, val);
      if (avx2 && si == 1) return sparse_compress_avx2_f32(src, outer, inner, so, limit, ptr, idx, val);
    }
#endif
    return sparse_compress_generic(src, outer, inner, so, si, limit, ptr, idx, val);
  };
  // D's columns [j0, j0 + nn), j0 a multiple of P: each panel 32 rows at a
  // time, checked while the rows are still in L1.
  const auto pack = [&](int64_t j0, int64_t nn) {
    constexpr int64_t RB = 32;
    for (int64_t j = j0; j < j0 + nn; j += P) {
      const int64_t w = std::min(P, j0 + nn - j);
      for (int64_t p0 = 0; p0 < k; p0 += RB) {
        const int64_t kb = std::min(RB, k - p0);
        const T* src = d + j * csd + p0 * rsd;
        T* dst = dp + j * k + p0 * P;
#if TAPEGRAD_GEMM_X86
        if constexpr (kFloat) {
          if (avx2) {
            if (rsd == 1) {
              sparse_pack_avx2_f32(src, kb, w, csd, P, dst);
            } else {
              sparse_pack_generic(src, kb, w, rsd, csd, P, dst);
            }
            if (!all_finite_avx2_f32(dst, kb, w, P)) return false;
            continue;
          }
        }
#endif
        sparse_pack_generic(src, kb, w, rsd, csd, P, dst);
        if (!all_finite_generic(dst, kb, w, P)) return false;
      }
    }
    return true;
  };
  // Part t: rows [row_of(t), row_of(t + 1)) of S in memory order: straight
  // when its rows are contiguous; float columns with unit stride by blocks
  // of 16 rows transposed; else by columns and then sorted into rows (a
  // counting sort over the nonzeros, stable, so each row's indices ascend).
  // Then its share of D's panels.
  const auto prepare = [&](int64_t t) {
    Part& pt = part[static_cast<size_t>(t)];
    const int64_t r0 = pt.r0, rows = pt.rows;
    pt.ptr = ptr_buf + pt.o_ptr, pt.idx = idx_buf + pt.o_nz, pt.val = val_buf + pt.o_nz;
    if (by_rows) {
      if (!compress(s + r0 * rss, rows, k, rss, css, limit_of(rows), pt.ptr, pt.idx, pt.val)) return;
    } else if (blocked) {
#if TAPEGRAD_GEMM_X86
      if constexpr (kFloat) {
        // 16 rows at a time into this thread's scratch, each block's lists
        // appended; the limit and its early refusal as for the whole part
        float* rows16 = pack_buffer<float>(3, static_cast<size_t>(16 * k));
        const int64_t limit = limit_of(rows);
        int64_t e0 = 0;
        for (int64_t b = 0; b < rows; b += 16) {
          const int64_t nb = std::min<int64_t>(16, rows - b);
          sparse_rows_of_columns_avx2_f32(s + r0 + b, nb, k, css, rows16);
          if (!compress(rows16, nb, k, k, 1, limit - e0, pt.ptr + b, pt.idx + e0, pt.val + e0)) return;
          for (int64_t q = 0; q <= nb; ++q) pt.ptr[b + q] += e0;
          e0 = pt.ptr[b + nb];
          if (e0 > sparse_limit_at(b + nb, rows, k, limit)) return;
        }
      }
#endif
    } else {
      int64_t* cptr = cptr_buf + t * (k + 1);
      int32_t* cidx = cidx_buf + pt.o_cnz;
      T* cval = cval_buf + pt.o_cnz;
      if (!compress(s + r0 * rss, k, rows, css, rss, limit_of(rows), cptr, cidx, cval)) return;
      int64_t* next = next_buf + r0;
      std::fill(next, next + rows, int64_t{0});
      for (int64_t e = 0; e < cptr[k]; ++e) ++next[cidx[e]];
      pt.ptr[0] = 0;
      for (int64_t r = 0; r < rows; ++r) {
        pt.ptr[r + 1] = pt.ptr[r] + next[r];
        next[r] = pt.ptr[r];
      }
      for (int64_t p = 0; p < k; ++p)
        for (int64_t e = cptr[p]; e < cptr[p + 1]; ++e) {
          const int64_t at = next[cidx[e]]++;
          pt.idx[at] = static_cast<int32_t>(p);
          pt.val[at] = cval[e];
        }
    }
    const int64_t q0 = panels * t / parts * P, q1 = std::min(n, panels * (t + 1) / parts * P);
    pt.ok = q0 >= q1 || pack(q0, q1 - q0);
  };
  const SparseKernel<T> kernel = sparse_kernel<T>(isa);
  const auto multiply = [&](int64_t t) {
    const Part& pt = part[static_cast<size_t>(t)];
    kernel(0, pt.rows, pt.ptr, pt.idx, pt.val, dp, k, n, alpha, beta, c + pt.r0 * rsc, rsc, csc);
  };
  if (parts == 1) {
    prepare(0);
    if (!part[0].ok) return false;
    multiply(0);
    return true;
  }
  tapegrad::detail::parallel_for(parts, parts, prepare);
  for (const Part& pt : part)
    if (!pt.ok) return false;
  tapegrad::detail::parallel_for(parts, parts, multiply);
  return true;
}

}  // namespace tapegrad::kernels::detail
