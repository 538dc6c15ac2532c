#pragma once
// tapegrad's own GEMM: C = alpha * A @ B + beta * C for float and double, in
// the BLIS / GotoBLAS design.
//
// Note [Packed GEMM]: five loops around a micro-kernel. B is packed in blocks
// of KC x NC (NR-column micro-panels) and A in blocks of MC x KC (MR-row
// micro-panels); the micro-kernel multiplies one A micro-panel with one B
// micro-panel into an MR x NR tile of C held in registers. Loop order (outer
// to inner): jc (NC), pc (KC), ic (MC), jr (NR), ir (MR), so a B micro-panel
// (KC * NR) stays in L1 while the A block (MC * KC) streams from L2. Packing
// reads A and B through arbitrary row/column strides, so transposed views and
// slices need no copy; it also zero-pads partial panels, so the micro-kernel
// always runs full tiles and only its store handles edges (a last panel of
// at most 4 rows has a kernel of its own, Note [Edge tile] in gemm_x86.hpp).
// K is cut into blocks of equal depth up to 1.1 KC, so that a short last
// block does not cost a pass over C of its own.
//
// Note [GEMM dispatch]: the micro-kernel is picked at run time: AVX-512
// (12x32 float, 12x16 double; narrow 16x16, 16x8) or AVX2+FMA (6x16, 6x8;
// narrow 12x8, 12x4) on x86-64 when the CPU has them (kernels/gemm_x86.hpp),
// else a portable C++ one. The library
// compiles for baseline x86-64; only the micro-kernels carry target
// attributes. TAPEGRAD_GEMM_ISA=generic|avx2|avx512 in the environment, or
// set_gemm_isa(), forces a lower path (tests run every path this way).
//
// Note [Kernels the flags rule out]: a translation unit compiled for a CPU
// that has AVX-512 (-mavx512f, or -march=native on such a machine), or AVX2
// and FMA, can only run where those exist, so the kernels below that level
// would never be picked. Such a build compiles only the kernels it can run:
// lowest_gemm_isa() is the lowest path it has, and forcing a lower one gives
// that. It saves the compile time of the unused kernels in every such build
// (bench/compile_time.sh). A build without such flags (the default) has all
// three paths.
//
// Note [GEMM threads]: products of at least kParallelMinWork multiply-adds are
// cut into get_num_threads() parts along n (or m when n is narrow), run by the
// thread pool (Note [Thread pool] in core/parallel.hpp); each part packs its
// own operands, so no barrier is needed. The price is that the operand not
// cut is packed by every part: along n every part packs all of A (m x k),
// along m all of B (k x n). So a product whose A is packed (not read in
// place, Note [Direct A]) and is the larger operand (m > n) is cut along m:
// for dW1 of an MNIST MLP (X^T 784x256 @ G 256x256) each of two threads then
// packs 100K elements of A and 65K of B instead of 200K and 33K, next to 26M
// multiply-adds each.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "../core/parallel.hpp"
#include "../core/threads.hpp"
#include "gemm_pack.hpp"
#include "gemm_x86.hpp"  // empty unless x86-64 with GCC or Clang (TAPEGRAD_GEMM_X86)
#include "gemm_sparse.hpp"

namespace tapegrad::kernels {
namespace detail {

inline GemmIsa detect_gemm_isa() {
#if TAPEGRAD_GEMM_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return GemmIsa::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return GemmIsa::avx2;
#endif
  return GemmIsa::generic;
}

inline GemmIsa isa_from_env(GemmIsa best) {
  const char* env = std::getenv("TAPEGRAD_GEMM_ISA");
  if (env == nullptr) return best;
  GemmIsa want = best;
  if (std::strcmp(env, "generic") == 0) want = GemmIsa::generic;
  else if (std::strcmp(env, "avx2") == 0) want = GemmIsa::avx2;
  else if (std::strcmp(env, "avx512") == 0) want = GemmIsa::avx512;
  return std::max(kLowestGemmIsa, std::min(want, best));
}

inline std::atomic<int>& active_isa() {
  static std::atomic<int> isa{static_cast<int>(isa_from_env(detect_gemm_isa()))};
  return isa;
}

}  // namespace detail

/// The best micro-kernel this CPU supports.
inline GemmIsa best_gemm_isa() {
  static const GemmIsa best = detail::detect_gemm_isa();
  return best;
}
/// The lowest micro-kernel this build has: generic unless the compiler's
/// flags require AVX2 and FMA, or AVX-512 (Note [Kernels the flags rule out]).
inline constexpr GemmIsa lowest_gemm_isa() { return detail::kLowestGemmIsa; }
/// The micro-kernel gemm() uses now.
inline GemmIsa gemm_isa() { return static_cast<GemmIsa>(detail::active_isa().load(std::memory_order_relaxed)); }
/// Forces a micro-kernel (capped at what the CPU supports, and at least
/// lowest_gemm_isa()); returns the previous one.
inline GemmIsa set_gemm_isa(GemmIsa isa) {
  const GemmIsa use = std::max(lowest_gemm_isa(), std::min(isa, best_gemm_isa()));
  return static_cast<GemmIsa>(detail::active_isa().exchange(static_cast<int>(use)));
}

namespace detail {
inline std::atomic<bool>& sparse_state() {
  static std::atomic<bool> on{[] {
    const char* env = std::getenv("TAPEGRAD_GEMM_SPARSE");
    return env == nullptr || std::strcmp(env, "0") != 0;
  }()};
  return on;
}
inline std::atomic<uint64_t>& sparse_count() {
  static std::atomic<uint64_t> n{0};
  return n;
}
}  // namespace detail
/// How many products gemm() has computed by the sparse path so far (to see
/// whether a model's products take it).
inline uint64_t gemm_sparse_count() { return detail::sparse_count().load(std::memory_order_relaxed); }
/// Whether gemm() takes the sparse path for a mostly-zero operand (Note [Sparse operand GEMM]).
inline bool gemm_sparse_enabled() { return detail::sparse_state().load(std::memory_order_relaxed); }
/// Turns the sparse path on or off; returns the previous setting.
inline bool set_gemm_sparse(bool on) { return detail::sparse_state().exchange(on); }

namespace detail {

template <class T, GemmIsa I>
const GemmConfig<T>& config_of() {
  static const GemmConfig<T> g = [] {
#if TAPEGRAD_GEMM_X86
    if constexpr (I == GemmIsa::avx512) return x86_avx512_config<T>();
    else if constexpr (I == GemmIsa::avx2) return x86_avx2_config<T>();
    else
#endif
      return generic_config<T>();
  }();
  return g;
}

/// The blocking and kernels of `isa`; only those of this build's paths are
/// compiled (Note [Kernels the flags rule out]).
template <class T>
const GemmConfig<T>& gemm_config(GemmIsa isa) {
#if TAPEGRAD_GEMM_X86
  if (isa == GemmIsa::avx512) return config_of<T, GemmIsa::avx512>();
  if constexpr (kLowestGemmIsa <= GemmIsa::avx2)
    if (isa == GemmIsa::avx2) return config_of<T, GemmIsa::avx2>();
#endif
  (void)isa;
  return config_of<T, kLowestGemmIsa>();
}

/// TAPEGRAD_GEMM_DIRECT_A=0 turns Note [Direct A] off (for measurements).
inline bool direct_a_enabled() {
  static const bool on = [] {
    const char* env = std::getenv("TAPEGRAD_GEMM_DIRECT_A");
    return env == nullptr || std::strcmp(env, "0") != 0;
  }();
  return on;
}

// Note [Narrow GEMM]: when C has at most one vector of columns (n <= W, e.g.
// the n = 10 of an MNIST output layer), packing A buys nothing: each A
// element is used once per vector of C, and packing a row-major A is a
// transposing gather that costs more than the product (the packed path was
// well behind OpenBLAS on 256x256 @ 256x10; bench/matmul_kernels_bench.cpp).
// The narrow kernel reads A in place (any layout with a unit stride), 16 rows
// per tile on AVX-512 (16 divides the usual batch sizes, where 24 rows leave
// a packed remainder); only B (k x n, small) and a partial last row panel are
// packed.
template <class T>
void gemm_narrow(const GemmConfig<T>& g, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t rsa,
                 int64_t csa, const T* b, int64_t rsb, int64_t csb, T beta, T* c, int64_t rsc, int64_t csc) {
  const int64_t mr = g.mr_narrow;
  T* pb = pack_buffer<T>(0, static_cast<size_t>(k * g.nr_narrow));
  g.pack_b_narrow(n, k, b, csb, rsb, pb);
  const bool direct = rsa == 1 || csa == 1;
  for (int64_t i0 = 0; i0 < m; i0 += mr) {
    const int64_t rows = std::min(mr, m - i0);
    if (rows == mr && direct) {
      g.narrow(k, a + i0 * rsa, rsa, csa, pb, c + i0 * rsc, rsc, csc, rows, n, alpha, beta);
    } else {
      T* pa = pack_buffer<T>(1, static_cast<size_t>(k * mr));
      g.pack_a_narrow(rows, k, a + i0 * rsa, rsa, csa, pa);
      g.narrow(k, pa, 1, mr, pb, c + i0 * rsc, rsc, csc, rows, n, alpha, beta);
    }
  }
}

// Note [Dot GEMM]: the narrow kernel vectorises along C's columns, so C of
// n < W columns uses n of W lanes (fc2 of an MNIST MLP, 256x256 @ 256x10: 10 of
// 16, at most 62 % of the FMA peak). When A's rows are contiguous along k (a
// row-major A: H @ W2, H @ W^T in nn::Linear) and k is long, C is computed as
// dot products along k instead: every lane does useful work but in the last
// partial vector of k, and the price is folding 16 accumulators into 16 sums
// per 8 x 2 tile (about three shuffles and adds a sum, next to k / W FMAs).
// Packing a row-major A for a kernel vectorised along m would be a transposing
// gather costing as much as this whole product (Note [Narrow GEMM]). B^T is
// packed (n x k, small); A is read in place. K is cut into blocks of at most
// kDotBlockBytes a row, so that the 8 A rows of a tile stay in L1 while the
// tile's column pairs pass over them. The 8 x 2 tile: 16 accumulators hide the
// FMA latency, a pair of columns wastes at most one on odd n, and A's rows are
// read once per pair of columns (10 loads per 16 FMAs).
inline constexpr int64_t kDotBlockBytes = 2048;

/// Note [Dot GEMM]; k > 0, n <= g.nr_narrow - 2, A's rows contiguous along k (csa == 1).
template <class T>
void gemm_dot(const GemmConfig<T>& g, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t rsa,
              const T* b, int64_t rsb, int64_t csb, T beta, T* c, int64_t rsc, int64_t csc) {
  const int64_t w = g.dot_lanes, ld = (k + w - 1) / w * w, n2 = (n + 1) / 2 * 2;
  T* pb = pack_buffer<T>(0, static_cast<size_t>(n2 * ld));
  for (int64_t j = 0; j < n2; ++j) {
    T* row = pb + j * ld;
    if (j < n)
      for (int64_t p = 0; p < k; ++p) row[p] = b[p * rsb + j * csb];
    std::fill(row + (j < n ? k : 0), row + ld, T(0));
  }
  const int64_t block = kDotBlockBytes / static_cast<int64_t>(sizeof(T));
  const int64_t kblocks = (k + block - 1) / block;
  const int64_t kc_max = ((k + kblocks - 1) / kblocks + w - 1) / w * w;  // whole vectors but in the last block
  for (int64_t pc = 0; pc < k; pc += kc_max) {
    const int64_t kc = std::min(kc_max, k - pc);
    const T beta_p = pc == 0 ? beta : T(1);  // later K blocks accumulate
    for (int64_t i0 = 0; i0 < m; i0 += 8)
      g.dot(kc, a + i0 * rsa + pc, rsa, pb + pc, ld, c + i0 * rsc, rsc, csc, std::min<int64_t>(8, m - i0), n, alpha,
            beta_p);
  }
}

/// Whether a product takes Note [Dot GEMM]: the narrow kernel would leave at
/// least two lanes idle (with one idle, n = 15 floats or 7 doubles, it was
/// as fast or faster), A's rows are contiguous along k and k is long enough
/// for the fold to be a small part.
template <class T>
bool use_dot(const GemmConfig<T>& g, int64_t n, int64_t k, int64_t csa) {
  return g.dot != nullptr && n <= g.nr_narrow - 2 && csa == 1 && k >= 8 * g.dot_lanes;
}

// Note [Direct A]: when A's rows are contiguous along k (a row-major A, the
// common case), the micro-kernel can broadcast its MR values per k straight
// from A's rows instead of from a packed micro-panel: A's block is read from
// L1/L2 in place, and the transposing pack (Note [Packing a row-major A] in
// gemm_x86.hpp) is skipped. Only a partial last row panel is packed. Used
// with the AVX-512 kernels (12 rows) when C has at most kDirectMaxN columns,
// where it was faster on one thread for every size measured
// (bench/matmul_kernels_bench.cpp). The whole product's C counts, not a
// thread's part of it: with 2 threads a 1024 x 1024 product is two
// 512-column parts, whose A rows 4 KiB apart share L1 sets when read in
// place, which made them slower than packed. For wide C a packed A block
// serves many B panels, and reading A's rows in place was slower (at 2048
// the rows are 8 KiB apart and share L1 sets). The AVX2 kernel (6 rows) was
// slower with it from n = 256 on, so it always packs.
inline constexpr int64_t kDirectMaxN = 512;

/// The five loops of Note [Packed GEMM] on one thread; k > 0 here. n_full:
/// the columns of the whole product this is a part of (Note [Direct A]).
template <class T>
void gemm_serial(const GemmConfig<T>& g, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t rsa,
                 int64_t csa, const T* b, int64_t rsb, int64_t csb, T beta, T* c, int64_t rsc, int64_t csc,
                 int64_t n_full) {
  if (use_dot(g, n, k, csa)) return gemm_dot(g, m, n, k, alpha, a, rsa, b, rsb, csb, beta, c, rsc, csc);
  if (g.narrow != nullptr && n <= g.nr_narrow)
    return gemm_narrow(g, m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc);
  // K blocks of equal depth (Note [Packed GEMM]): k = 784 in 3 x 262
  // instead of 3 x 256 + 16, which spares a pass over C for a short block
  const int64_t kblocks = std::max<int64_t>(1, (10 * k + 11 * g.kc - 1) / (11 * g.kc));
  const int64_t kc_max = (k + kblocks - 1) / kblocks;
  const int64_t nc_max = std::min((n + g.nr - 1) / g.nr * g.nr, g.nc);
  const int64_t mc_max = std::min((m + g.mr - 1) / g.mr * g.mr, g.mc);
  const bool direct = g.direct != nullptr && csa == 1 && n_full <= kDirectMaxN && direct_a_enabled();
  T* pb = pack_buffer<T>(0, static_cast<size_t>(kc_max * nc_max));
  T* pa = pack_buffer<T>(1, static_cast<size_t>(kc_max * mc_max));
  for (int64_t jc = 0; jc < n; jc += g.nc) {
    const int64_t nc = std::min(g.nc, n - jc);
    for (int64_t pc = 0; pc < k; pc += kc_max) {
      const int64_t kc = std::min(kc_max, k - pc);
      const T beta_p = pc == 0 ? beta : T(1);  // later K blocks accumulate
      g.pack_b(nc, kc, b + jc * csb + pc * rsb, csb, rsb, pb);
      for (int64_t ic = 0; ic < m; ic += g.mc) {
        const int64_t mc = std::min(g.mc, m - ic);
        // with a direct A, only the rows past the last full panel are packed
        const int64_t full = direct ? mc / g.mr * g.mr : 0;
        if (full < mc) g.pack_a(mc - full, kc, a + (ic + full) * rsa + pc * csa, rsa, csa, pa);
        for (int64_t jr = 0; jr < nc; jr += g.nr) {
          const int64_t nr = std::min(g.nr, nc - jr);
          T* cj = c + (jc + jr) * csc;
          for (int64_t ir = 0; ir < full; ir += g.mr)
            g.direct(kc, a + (ic + ir) * rsa + pc, rsa, 1, pb + jr * kc, cj + (ic + ir) * rsc, rsc, csc, g.mr, nr,
                     alpha, beta_p);
          for (int64_t ir = full; ir < mc; ir += g.mr) {
            const int64_t mr = std::min(g.mr, mc - ir);
            (mr <= g.mr_edge ? g.kernel_edge : g.kernel)(kc, pa + (ir - full) * kc, pb + jr * kc,
                                                         cj + (ic + ir) * rsc, rsc, csc, mr, nr, alpha, beta_p);
          }
        }
      }
    }
  }
}

/// Share of useful work when an extent is cut into tiles of `tile`.
inline double tile_use(int64_t extent, int64_t tile) {
  return static_cast<double>(extent) / static_cast<double>((extent + tile - 1) / tile * tile);
}

/// Below this many multiply-adds a product runs on one thread (Note [GEMM threads]).
inline constexpr double kParallelMinWork = 96.0 * 96.0 * 96.0;

}  // namespace detail

namespace detail {
/// The micro-kernel path of a call: at least this build's lowest, whatever
/// another translation unit set.
inline GemmIsa gemm_isa_now() { return std::max(gemm_isa(), lowest_gemm_isa()); }
}  // namespace detail

// Note [Dense and sparse entries]: kernels::gemm_dense is the packed GEMM
// alone; kernels::gemm tries the sparse path first (Note [Sparse operand
// GEMM]) and falls back to gemm_dense. The sparse path is as large as the
// dense drivers, and a call that can reach it compiles it, so each op
// chooses its entry at compile time: the products of F::linear (nn::Linear)
// and their gradients, whose operands are the mostly-zero inputs, ReLU and
// dropout outputs the path was made for, and convolution's GEMMs, call
// gemm; mm, matmul, mv, dot, bmm, addmm and the out variants call
// gemm_dense, so a program that only multiplies with them never compiles the
// sparse path. mm_skip_zeros (ops/matmul.hpp) is mm through gemm, for
// programs that multiply mostly-zero operands by hand. The choice is the
// op's, never the program's: the same op on the same values gives the same
// bits whatever else a program contains (the two paths differ in the order
// of the additions only).

/// C = alpha * A @ B + beta * C, all row/column-strided: A is m x k with element
/// (i, p) at a[i * rsa + p * csa], B is k x n at b[p * rsb + j * csb], C is m x n
/// at c[i * rsc + j * csc]. A transposed operand is the same memory with its
/// strides swapped. beta == 0 overwrites C without reading it (NaN in C does not
/// propagate), as BLAS and PyTorch. The packed path only (Note [Dense and
/// sparse entries]).
template <class T>
void gemm_dense(int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t rsa, int64_t csa, const T* b,
                int64_t rsb, int64_t csb, T beta, T* c, int64_t rsc, int64_t csc) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "kernels::gemm: float or double");
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == T(0)) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        T& dst = c[i * rsc + j * csc];
        dst = beta == T(0) ? T(0) : beta * dst;
      }
    return;
  }
  tapegrad::detail::FlushDenormalScope flush;  // Note [Denormals] in core/denormal.hpp
  const detail::GemmConfig<T>& g = detail::gemm_config<T>(detail::gemm_isa_now());
  // C^T = B^T A^T when m, not n, fits the narrow kernel (Note [Narrow GEMM]),
  // or when that wastes less of the tiles.
  const bool narrow_n = g.narrow != nullptr && n <= g.nr_narrow, narrow_m = g.narrow != nullptr && m <= g.nr_narrow;
  if ((narrow_m && !narrow_n) ||
      (!narrow_n && detail::tile_use(n, g.mr) * detail::tile_use(m, g.nr) >
                        1.15 * detail::tile_use(m, g.mr) * detail::tile_use(n, g.nr))) {
    const int64_t rsa_t = csb, csa_t = rsb, rsb_t = csa, csb_t = rsa;  // A' = B^T, B' = A^T
    std::swap(m, n), std::swap(a, b), std::swap(rsc, csc);
    rsa = rsa_t, csa = csa_t, rsb = rsb_t, csb = csb_t;
  }
  const int nt = get_num_threads();
  if (nt > 1 && static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) >= detail::kParallelMinWork) {
    // Split along n in multiples of NR, or along m in multiples of MR (Note
    // [GEMM threads]): along m when n is too narrow, or when every part
    // packing all of A (the n split) costs more than every part packing all of B.
    const bool a_packed = !(g.direct != nullptr && csa == 1 && n <= detail::kDirectMaxN && detail::direct_a_enabled());
    const bool n_ok = n >= 2 * g.nr * nt || n >= m, m_ok = m >= 2 * g.mr * nt;
    const bool split_n = n_ok && !(m_ok && a_packed && m > n);
    const int64_t extent = split_n ? n : m, unit = split_n ? g.nr : g.mr;
    const int64_t units = (extent + unit - 1) / unit;
    const int parts = static_cast<int>(std::min<int64_t>(nt, units));
    const int64_t per = (units + parts - 1) / parts;
    tapegrad::detail::parallel_for(parts, parts, [&](int64_t t) {
      const int64_t lo = std::min(extent, t * per * unit), hi = std::min(extent, (t + 1) * per * unit);
      if (lo >= hi) return;
      if (split_n)
        detail::gemm_serial(g, m, hi - lo, k, alpha, a, rsa, csa, b + lo * csb, rsb, csb, beta, c + lo * csc, rsc, csc,
                            n);
      else
        detail::gemm_serial(g, hi - lo, n, k, alpha, a + lo * rsa, rsa, csa, b, rsb, csb, beta, c + lo * rsc, rsc, csc,
                            n);
    });
    return;
  }
  detail::gemm_serial(g, m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc, n);
}

/// gemm_dense's product, by Note [Sparse operand GEMM] when A or B is mostly
/// zeros (the same product up to the order of the additions): the entry of
/// the ops that multiply such operands (Note [Dense and sparse entries]).
template <class T>
void gemm(int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t rsa, int64_t csa, const T* b,
          int64_t rsb, int64_t csb, T beta, T* c, int64_t rsc, int64_t csc) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "kernels::gemm: float or double");
  if (m > 0 && n > 0 && k > 0 && alpha != T(0) && gemm_sparse_enabled() &&
      static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) >= detail::kSparseMinWork) {
    tapegrad::detail::FlushDenormalScope flush;  // Note [Denormals] in core/denormal.hpp
    const GemmIsa isa = detail::gemm_isa_now();
    // A mostly-zero A (C = A @ B), else B (C^T = B^T @ A^T): Note [Sparse operand GEMM]
    if ((n >= detail::kSparseMinWidth &&
         detail::gemm_sparse(isa, m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)) ||
        (m >= detail::kSparseMinWidth &&
         detail::gemm_sparse(isa, n, m, k, alpha, b, csb, rsb, a, csa, rsa, beta, c, csc, rsc))) {
      detail::sparse_count().fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  gemm_dense<T>(m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc);
}

// Note [Extern GEMM]: gemm_dense and gemm (float and double) with everything
// they reach (the drivers, the sparse path and the micro-kernels of every ISA) are
// the largest code a translation unit that multiplies matrices compiles: at
// -O2 a large part of the compile time of bench/compile_time.sh's small
// program, and again in every such translation
// unit of a program. A program of several translation units can compile them
// once: define TAPEGRAD_EXTERN_GEMM in all of them (e.g. with
// target_compile_definitions) and include <tapegrad/kernels/gemm_instantiate.hpp>
// in exactly one. The explicit instantiation declarations below then keep the
// other translation units from instantiating them; the code that runs is the
// same. Without the macro nothing changes (the library stays header-only).
// The test suite is built this way.

// The declarator of gemm_dense<T> and gemm<T> (name), shared with
// gemm_instantiate.hpp's definitions.
#define TAPEGRAD_GEMM_INSTANCE(name, T)                                                                 \
  void name<T>(int64_t, int64_t, int64_t, T, const T*, int64_t, int64_t, const T*, int64_t, int64_t, T, T*, \
               int64_t, int64_t)
#ifdef TAPEGRAD_EXTERN_GEMM
extern template TAPEGRAD_GEMM_INSTANCE(gemm_dense, float);
extern template TAPEGRAD_GEMM_INSTANCE(gemm_dense, double);
extern template TAPEGRAD_GEMM_INSTANCE(gemm, float);
extern template TAPEGRAD_GEMM_INSTANCE(gemm, double);
#endif

}  // namespace tapegrad::kernels
