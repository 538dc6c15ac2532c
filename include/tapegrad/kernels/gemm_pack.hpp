#pragma once
// The parts of kernels/gemm.hpp that the micro-kernel headers share: the
// micro-kernel and packing signatures, the blocking record, packing and the
// portable micro-kernel (Note [Packed GEMM] in gemm.hpp). Internal
// (kernels::detail), but for GemmIsa, the public name of a micro-kernel path.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>

namespace tapegrad::kernels {

enum class GemmIsa : int { generic = 0, avx2 = 1, avx512 = 2 };

inline const char* to_string(GemmIsa isa) {
  return isa == GemmIsa::avx512 ? "avx512" : isa == GemmIsa::avx2 ? "avx2" : "generic";
}

namespace detail {

/// Per-thread scratch buffers of T, six slots, kept between calls (64-byte
/// aligned; the packed GEMM uses slots 0 and 1, the sparse one 2 to 5).
template <class T>
T* pack_buffer(int which, size_t count) {
  struct Buf {
    T* p = nullptr;
    size_t n = 0;
    ~Buf() { ::operator delete(p, std::align_val_t{64}); }
  };
  thread_local Buf bufs[6];
  Buf& b = bufs[which];
  if (b.n < count) {
    ::operator delete(b.p, std::align_val_t{64});
    b.p = nullptr, b.n = 0;
    b.p = static_cast<T*>(::operator new(count * sizeof(T), std::align_val_t{64}));
    b.n = count;
  }
  return b.p;
}

/// micro-kernel: C[mr x nr] (strides rs_c, cs_c) = alpha * pa @ pb + beta * C for
/// packed panels pa (kc x MR) and pb (kc x NR); beta == 0 never reads C.
template <class T>
using MicroKernel = void (*)(int64_t kc, const T* pa, const T* pb, T* c, int64_t rs_c, int64_t cs_c,
                             int64_t mr, int64_t nr, T alpha, T beta);
template <class T>
using PackFn = void (*)(int64_t rows, int64_t kc, const T* src, int64_t s_row, int64_t s_k, T* dst);
/// narrow kernel (Note [Narrow GEMM]): like MicroKernel, but A is read in place
/// through strides (rs_a, cs_a) and the tile is MR x (one vector).
template <class T>
using NarrowKernel = void (*)(int64_t kc, const T* a, int64_t rs_a, int64_t cs_a, const T* pb, T* c, int64_t rs_c,
                              int64_t cs_c, int64_t mr, int64_t nr, T alpha, T beta);

/// dot kernel (Note [Dot GEMM]): C[mr x nr] (mr <= 8) = alpha * A @ B + beta * C
/// as dot products along k; A's rows are read in place (unit stride along k,
/// row stride rs_a), B^T's rows are packed at pb with row stride ld_b,
/// zero-padded to whole vectors and an even count; beta == 0 never reads C.
template <class T>
using DotKernel = void (*)(int64_t kc, const T* a, int64_t rs_a, const T* pb, int64_t ld_b, T* c, int64_t rs_c,
                           int64_t cs_c, int64_t mr, int64_t nr, T alpha, T beta);

/// One micro-kernel and the blocking sized for it, and optionally a narrow kernel.
template <class T>
struct GemmConfig {
  int64_t mr, nr, mc, kc, nc;
  MicroKernel<T> kernel;
  PackFn<T> pack_a, pack_b;
  int64_t mr_narrow = 0, nr_narrow = 0;
  NarrowKernel<T> narrow = nullptr;
  PackFn<T> pack_a_narrow = nullptr, pack_b_narrow = nullptr;
  /// the MR x NR kernel reading A in place (Note [Direct A]); null: always pack A
  NarrowKernel<T> direct = nullptr;
  /// a kernel for the last row panel when it has at most mr_edge rows (Note
  /// [Edge tile] in gemm_x86.hpp; reads the MR-row packed panel); null: none
  int64_t mr_edge = 0;
  MicroKernel<T> kernel_edge = nullptr;
  /// the 8 x 2 dot kernel for C of at most nr_narrow - 2 columns (Note [Dot
  /// GEMM]) and its vector's lanes; null: the narrow kernel takes them
  DotKernel<T> dot = nullptr;
  int64_t dot_lanes = 0;
};

/// pack_panels for any strides and partial panels, with R at run time: one
/// copy per element type rather than one per panel width (Note [Packing
/// compile cost]).
template <class T>
void pack_panels_any(int64_t R, int64_t rows, int64_t kc, const T* src, int64_t s_row, int64_t s_k, T* dst) {
  for (int64_t i0 = 0; i0 < rows; i0 += R, dst += R * kc) {
    const int64_t r = std::min<int64_t>(R, rows - i0);
    const T* s = src + i0 * s_row;
    if (r < R)
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t i = r; i < R; ++i) dst[p * R + i] = T(0);
    if (s_k == 1) {  // each row contiguous along k: read rows, write with stride R
      for (int64_t i = 0; i < r; ++i)
        for (int64_t p = 0; p < kc; ++p) dst[p * R + i] = s[i * s_row + p];
    } else {
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t i = 0; i < r; ++i) dst[p * R + i] = s[i * s_row + p * s_k];
    }
  }
}

/// Packs `rows` rows (of A, or columns of B) of length kc into micro-panels of R:
/// dst[panel][p][r] = src[(panel * R + r) * s_row + p * s_k], zero beyond `rows`.
// Note [Packing compile cost]: only the common layout, whose R values of each
// k are contiguous (a row-major B, a column-major A), is specialised on R
// here: fixed-size copies of R elements. With every layout specialised, the
// six panel widths in use made packing the most expensive part of compiling
// the GEMM into a program.
template <class T, int R>
void pack_panels(int64_t rows, int64_t kc, const T* src, int64_t s_row, int64_t s_k, T* dst) {
  const int64_t full = s_row == 1 ? rows / R * R : 0;
  for (int64_t i0 = 0; i0 < full; i0 += R, dst += R * kc)
    for (int64_t p = 0; p < kc; ++p) std::memcpy(dst + p * R, src + i0 + p * s_k, sizeof(T) * R);
  if (full < rows) pack_panels_any<T>(R, rows - full, kc, src + full * s_row, s_row, s_k, dst);
}

/// C tile update from an accumulator tile acc[MR][NR] (row-major), for edges
/// and non-unit column strides.
template <class T>
inline void store_tile(const T* acc, int64_t ld_acc, T* c, int64_t rs_c, int64_t cs_c, int64_t mr,
                       int64_t nr, T alpha, T beta) {
  for (int64_t i = 0; i < mr; ++i)
    for (int64_t j = 0; j < nr; ++j) {
      T& dst = c[i * rs_c + j * cs_c];
      dst = beta == T(0) ? alpha * acc[i * ld_acc + j] : alpha * acc[i * ld_acc + j] + beta * dst;
    }
}

/// The portable micro-kernel: plain loops the compiler may vectorise.
template <class T, int MR, int NR>
void micro_kernel_generic(int64_t kc, const T* pa, const T* pb, T* c, int64_t rs_c, int64_t cs_c,
                          int64_t mr, int64_t nr, T alpha, T beta) {
  T acc[MR * NR] = {};
  for (int64_t p = 0; p < kc; ++p, pa += MR, pb += NR)
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) acc[i * NR + j] += pa[i] * pb[j];
  store_tile(acc, NR, c, rs_c, cs_c, mr, nr, alpha, beta);
}

template <class T>
GemmConfig<T> generic_config() {
  constexpr int MR = 4, NR = sizeof(T) == 4 ? 16 : 8;
  return {MR, NR, 128, 256, 2048, &micro_kernel_generic<T, MR, NR>, &pack_panels<T, MR>, &pack_panels<T, NR>};
}

}  // namespace detail
}  // namespace tapegrad::kernels
