#pragma once
// Convolution kernels on raw NCHW memory (float and double): im2col / col2im
// and the forward, backward-input and backward-weight passes of a grouped,
// strided, padded, dilated 2-D convolution. A 1-D convolution is the 2-D one
// with H = kH = 1; a transposed convolution is the backward-input pass run
// forward (ops/conv.hpp).
//
// Note [Convolution as GEMM]: forward and backward-input unfold the input
// patches of a chunk of samples into one [C * kH * kW, chunk * OH * OW]
// matrix (im2col, the samples side by side); the output of group g is
// weight_g [Og, Cg * kH * kW] @ its rows of that matrix: one call of the
// packed GEMM (kernels/gemm.hpp) per chunk and group, whose n (chunk * OH *
// OW) is wide enough for the GEMM's tiles and threads even where one
// sample's is not (LeNet's second layer: Og = 16, OH * OW = 100). The [O,
// chunk * OH * OW] result is then copied into the NCHW output (adding the
// bias), which costs a K-th of the product. Backward-input is weight^T @ dy
// (dy's chunk laid out the same way) followed by col2im (adding the patches
// back). A chunk holds at most kConvColumnBudget elements of the unfolded
// matrix. Backward-weight, dy @ col^T summed over the samples, stays per
// sample: batching it makes the GEMM's inner dimension long and its m, n
// small (6 x 25 for LeNet's first layer), a shape the GEMM's threads do not
// split, and measured slower with one and two threads (bench/conv_bench).
// The unfolded matrix is rebuilt in backward rather than kept from forward:
// it is kH * kW times the input's size.
//
// Note [Convolution threads]: in forward and backward-input the GEMMs use
// their own threads (the product is wide); im2col, col2im and the layout
// copies split the chunk's samples over the thread pool. Backward-weight
// splits a batch of at least as many samples as threads into per-thread runs,
// each with its own unfolding buffer and partial sum, its GEMMs serial (the
// pool runs nested parallel_for calls on the caller's thread); a smaller
// batch runs its samples in turn with GEMM's own threads.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>
#include <vector>

#include "../core/allocator.hpp"
#include "../core/parallel.hpp"
#include "../core/threads.hpp"
#include "gemm.hpp"

namespace tapegrad::kernels {

/// The shape of one 2-D convolution: input [n, c, h, w], weight
/// [o, c / groups, kh, kw], output [n, o, oh, ow]. pt and pl are the top and
/// left zero padding; bottom and right padding are implied by oh and ow.
struct ConvGeometry {
  int64_t n, c, h, w, o, kh, kw;
  int64_t sh = 1, sw = 1, pt = 0, pl = 0, dh = 1, dw = 1, groups = 1;
  int64_t oh = 0, ow = 0;

  int64_t cg() const { return c / groups; }
  int64_t og() const { return o / groups; }
  int64_t patch() const { return cg() * kh * kw; }  // rows of the unfolded matrix
  int64_t out_plane() const { return oh * ow; }
  int64_t in_plane() const { return h * w; }
};

/// Bytes of one vector register of the target (the direct kernels' unit; their
/// tiles, kDirectTiles, follow the number of such registers: 32 with AVX-512
/// and on aarch64, 16 otherwise).
#if defined(__AVX512F__)
inline constexpr int64_t kDirectVecBytes = 64;
#elif defined(__AVX__)
inline constexpr int64_t kDirectVecBytes = 32;
#elif defined(__aarch64__)
inline constexpr int64_t kDirectVecBytes = 16;
#else
inline constexpr int64_t kDirectVecBytes = 16;
#endif

namespace detail {
/// One vector register of T (GCC/Clang vector type), loaded and stored without alignment.
template <class T>
struct DirectVec {
  typedef T type __attribute__((vector_size(kDirectVecBytes)));
  // lanes of all ones or zeros, to select lanes with &
  typedef std::conditional_t<sizeof(T) == 4, int32_t, int64_t> lane_int;
  typedef lane_int mask __attribute__((vector_size(kDirectVecBytes)));
  static constexpr int64_t lanes = kDirectVecBytes / static_cast<int64_t>(sizeof(T));
  // by reference: a vector returned by value changes the ABI between ISAs (-Wpsabi)
  static void load(type& v, const T* p) { std::memcpy(&v, p, sizeof(type)); }
};

/// dst[0, n) = src[0, n) in whole vectors (a short row element by element): the
/// rows of the direct kernels' padded copies are a few dozen elements, too
/// short for a call of memmove each (im2col's rows measured no faster this way).
template <class T>
void direct_copy(T* dst, const T* src, int64_t n) {
  using V = typename DirectVec<T>::type;
  constexpr int64_t W = DirectVec<T>::lanes;
  V v;
  if (n < W) {
    for (int64_t l = 0; l < W - 1; ++l)
      if (l < n) dst[l] = src[l];
    return;
  }
  for (int64_t i = 0; i + W <= n; i += W) {
    DirectVec<T>::load(v, src + i);
    std::memcpy(dst + i, &v, sizeof(V));
  }
  if (n % W != 0) {  // the last vector ends at n, overlapping the one before
    DirectVec<T>::load(v, src + n - W);
    std::memcpy(dst + n - W, &v, sizeof(V));
  }
}

// The output columns [lo, hi) whose input column ox * s - p + k * d is in [0, w).
inline void valid_range(int64_t ow, int64_t w, int64_t s, int64_t p, int64_t off, int64_t& lo, int64_t& hi) {
  // ix = ox * s + off - p >= 0  <=>  ox >= ceil((p - off) / s)
  const int64_t first = p - off;
  lo = first <= 0 ? 0 : (first + s - 1) / s;
  // ix <= w - 1  <=>  ox <= floor((w - 1 + p - off) / s)
  const int64_t last = w - 1 + p - off;
  hi = last < 0 ? 0 : std::min(ow, last / s + 1);
  lo = std::min(lo, hi);
}
}  // namespace detail

/// im2col: x [c, h, w] -> col [c * kh * kw, oh * ow] (rows ld apart, oh * ow
/// by default), row (ci, ki, kj), column (oy, ox) = x[ci, oy * sh - pt + ki * dh,
/// ox * sw - pl + kj * dw], 0 outside. With oy0, oy1: only the output rows
/// [oy0, oy1), column (oy - oy0, ox).
template <class T>
void im2col(const ConvGeometry& g, int64_t channels, const T* x, T* col, int64_t ld = 0, int64_t oy0 = 0,
            int64_t oy1 = -1) {
  if (oy1 < 0) oy1 = g.oh;
  const int64_t plane = ld > 0 ? ld : (oy1 - oy0) * g.ow;
  for (int64_t ci = 0; ci < channels; ++ci)
    for (int64_t ki = 0; ki < g.kh; ++ki)
      for (int64_t kj = 0; kj < g.kw; ++kj) {
        T* row = col + ((ci * g.kh + ki) * g.kw + kj) * plane;
        int64_t lo, hi;
        detail::valid_range(g.ow, g.w, g.sw, g.pl, kj * g.dw, lo, hi);
        for (int64_t oy = oy0; oy < oy1; ++oy) {
          T* dst = row + (oy - oy0) * g.ow;
          const int64_t iy = oy * g.sh - g.pt + ki * g.dh;
          if (iy < 0 || iy >= g.h) {
            std::fill(dst, dst + g.ow, T(0));
            continue;
          }
          const T* src = x + (ci * g.h + iy) * g.w + kj * g.dw - g.pl;
          std::fill(dst, dst + lo, T(0));
          if (g.sw == 1) {
            std::memcpy(dst + lo, src + lo, sizeof(T) * static_cast<size_t>(hi - lo));
          } else {
            for (int64_t ox = lo; ox < hi; ++ox) dst[ox] = src[ox * g.sw];
          }
          std::fill(dst + hi, dst + g.ow, T(0));
        }
      }
}

/// col2im: the adjoint of im2col, x [c, h, w] += the patches of col (rows ld apart).
template <class T>
void col2im(const ConvGeometry& g, int64_t channels, const T* col, T* x, int64_t ld = 0) {
  const int64_t plane = ld > 0 ? ld : g.oh * g.ow;
  for (int64_t ci = 0; ci < channels; ++ci)
    for (int64_t ki = 0; ki < g.kh; ++ki)
      for (int64_t kj = 0; kj < g.kw; ++kj) {
        const T* row = col + ((ci * g.kh + ki) * g.kw + kj) * plane;
        int64_t lo, hi;
        detail::valid_range(g.ow, g.w, g.sw, g.pl, kj * g.dw, lo, hi);
        for (int64_t oy = 0; oy < g.oh; ++oy) {
          const int64_t iy = oy * g.sh - g.pt + ki * g.dh;
          if (iy < 0 || iy >= g.h) continue;
          const T* src = row + oy * g.ow;
          T* dst = x + (ci * g.h + iy) * g.w + kj * g.dw - g.pl;
          for (int64_t ox = lo; ox < hi; ++ox) dst[ox * g.sw] += src[ox];
        }
      }
}

namespace detail {
/// Runs body(first, last, thread) over the samples [0, n) in per-thread runs
/// (Note [Convolution threads]); returns the number of runs.
template <class F>
int conv_sample_runs(int64_t n, F&& body) {
  const int nt = get_num_threads();
  if (nt <= 1 || n < nt) {
    body(int64_t(0), n, 0);
    return 1;
  }
  const int64_t per = (n + nt - 1) / nt;
  const int runs = static_cast<int>((n + per - 1) / per);
  tapegrad::detail::parallel_for(runs, runs, [&](int64_t t) {
    body(t * per, std::min(n, (t + 1) * per), static_cast<int>(t));
  });
  return runs;
}
/// Threads' runs conv_sample_runs will make for n samples.
inline int conv_runs(int64_t n) {
  const int nt = get_num_threads();
  if (nt <= 1 || n < nt) return 1;
  const int64_t per = (n + nt - 1) / nt;
  return static_cast<int>((n + per - 1) / per);
}

/// At most this many elements of unfolded columns per chunk (Note [Convolution as GEMM]).
inline constexpr int64_t kConvColumnBudget = int64_t(1) << 18;

/// f(s) for the samples [first, last) of a chunk, on the pool's threads.
template <class F>
void for_samples(int64_t first, int64_t last, int64_t per_sample, F&& f) {
  const int nt = get_num_threads();
  if (nt <= 1 || last - first < 2 || (last - first) * per_sample < (int64_t(1) << 14)) {
    for (int64_t s = first; s < last; ++s) f(s);
    return;
  }
  tapegrad::detail::parallel_for(last - first, nt, [&](int64_t i) { f(first + i); });
}
}  // namespace detail

/// Samples per chunk of the unfolded matrix.
inline int64_t conv2d_chunk(const ConvGeometry& g) {
  const int64_t per = std::max<int64_t>(1, g.c * g.kh * g.kw * g.out_plane());
  return std::max<int64_t>(1, std::min<int64_t>(g.n, detail::kConvColumnBudget / per));
}

// Note [Row blocks]: when one sample's unfolded matrix is larger than
// kConvColumnBudget elements (the ResNet-style layers: 576 x 3136 for 64
// channels on 56 x 56, 7 MiB), it leaves the L2 cache between im2col
// writing it and the GEMM packing it. Backward-weight then unfolds blocks of
// whole output rows of a sample into a matrix of about kConvRowBlockBudget
// elements and adds each block's product (dy's columns of those rows, read
// in place) to the gradient (PyTorch's example's second layer, 288 x 576,
// measured slower in blocks). A block keeps at least kConvRowBlockMinColumns
// columns, the product's inner dimension, so that its packing pays. (Forward
// takes Note [Implicit GEMM] on such layers; backward-input measured no
// faster in row blocks.)
namespace detail {
inline constexpr int64_t kConvRowBlockBudget = int64_t(1) << 16, kConvRowBlockMinColumns = 256;
}
/// Output rows per block of Note [Row blocks] in conv2d_backward_weight; 0: whole samples.
inline int64_t conv2d_row_block(const ConvGeometry& g) {
  const int64_t per_row = std::max<int64_t>(1, g.c * g.kh * g.kw * g.ow);
  if (per_row * g.oh <= detail::kConvColumnBudget) return 0;  // the sample's matrix fits L2
  const int64_t rows = std::max(detail::kConvRowBlockBudget / per_row,
                                (detail::kConvRowBlockMinColumns + g.ow - 1) / std::max<int64_t>(1, g.ow));
  return rows >= g.oh ? 0 : rows;
}
/// Elements of the workspace the conv2d kernels need: the unfolded chunk and
/// the chunk's [O, chunk * OH * OW] side.
inline int64_t conv2d_workspace(const ConvGeometry& g) {
  return conv2d_chunk(g) * g.out_plane() * (g.c * g.kh * g.kw + g.o);
}
/// Elements of the workspace conv2d_backward_weight needs: per thread's run
/// of samples one sample's unfolded matrix (or a row block's) and a partial sum.
inline int64_t conv2d_weight_workspace(const ConvGeometry& g) {
  const int runs = detail::conv_runs(g.n);
  const int64_t rows = conv2d_row_block(g);
  return (g.patch() * (rows > 0 ? rows * g.ow : g.out_plane()) + (runs > 1 ? g.o * g.patch() : 0)) * runs;
}

namespace detail {
/// p[0] + ... + p[n - 1] in 32 interleaved partial sums (one running sum
/// would be a chain of dependent adds the compiler may not reorder).
template <class T>
T sum_run(const T* p, int64_t n) {
  constexpr int64_t kParts = 32;
  T part[kParts] = {};
  int64_t i = 0;
  for (; i + kParts <= n; i += kParts)
    for (int64_t l = 0; l < kParts; ++l) part[l] += p[i + l];
  T total(0);
  for (; i < n; ++i) total += p[i];
  for (int64_t l = 0; l < kParts; ++l) total += part[l];
  return total;
}
}  // namespace detail

/// out [c] = x [n, c, plane] summed over n and the plane (a bias gradient).
template <class T>
void channel_sum(int64_t n, int64_t c, int64_t plane, const T* x, T* out) {
  std::fill(out, out + c, T(0));
  for (int64_t s = 0; s < n; ++s)
    for (int64_t ci = 0; ci < c; ++ci) out[ci] += detail::sum_run(x + (s * c + ci) * plane, plane);
}

namespace detail {
/// col [C * kh * kw, (last - first) * P] = the patches of samples [first, last) of x.
template <class T>
void unfold_chunk(const ConvGeometry& g, const T* x, int64_t first, int64_t last, T* col) {
  const int64_t P = g.out_plane(), ld = (last - first) * P;
  for_samples(first, last, g.c * g.kh * g.kw * P, [&](int64_t s) {
    im2col(g, g.c, x + s * g.c * g.in_plane(), col + (s - first) * P, ld);
  });
}
}  // namespace detail

// Note [Direct convolution for few input channels]: a first layer (1 input
// channel, 3x3 or 5x5) has a patch of K = 9 or 25 rows, so its GEMM (forward
// [O, K] @ [K, N * OH * OW], backward-weight [O, P] @ [P, K]) has one tiny
// dimension that the micro-kernel's tiles waste; LeNet's second layer (K =
// 150, O = 16, OH * OW = 100) is small in two. For such layers (no groups,
// unit column stride, K up to the limits below) the kernels below convolve
// directly on a zero-padded copy of each sample, with a register tile of Q
// output channels x U vectors of the target's own width (DirectVec):
// - forward: the U vectors are U runs of output columns (a row's last run
//   ends at the row's end, overlapping the one before, so every store is
//   whole); each tap loads U runs of the padded input and Q broadcast
//   weights for Q * U FMAs, and the tile is stored straight into y. When
//   rows waste a fifth of the lanes or more (LeNet's second layer: rows of
//   10 in 16 lanes), the kernel reads DirectPlanes instead, a copy of the
//   sample per (input channel, column tap) holding the input under each
//   output pixel: a tap's pixels are then one contiguous run, and the U
//   vectors are runs of the whole output plane (7 vectors for 100 pixels
//   instead of 10).
// - backward-weight: dW[oc, tap] = sum over pixels of dy[oc, pixel] *
//   x[pixel + offset(tap)], where a tap is a fixed offset in the padded
//   sample. The tile is Q channels x U taps: each dy vector (read in place,
//   in the same runs of columns, the overlapping lanes of a row's last run
//   masked off) feeds U FMAs and each input vector Q. The tile's vector sums
//   are added to per-run partials and reduced across lanes once per run;
//   dbias is summed from each sample's dy while it is in cache. A batch of
//   rows narrower than a vector reads its last sample's dy from a copy with
//   room past the end.
// Q and U are chosen per layer from a few fixed tiles (kDirectTiles, sized
// to the target's vector registers) by the FMAs and loads they spend,
// counting channels and units padded to whole tiles (computed on a repeated
// channel or tap and not stored). The fixed sizes let the compiler keep the
// tile in registers on any ISA (GCC/Clang vector types, no intrinsics).
// A masked lane of dy is +0, so an infinite input value met only in a
// masked lane would give 0 * inf = NaN in dW where the definition has no
// such term; a non-finite input makes other taps' gradients non-finite anyway.
// Forward stays direct up to kDirectMaxPatch taps (LeNet's second layer, 150,
// measured faster than its GEMM, bench/conv.md); backward-weight, whose
// per-tile partial sums weigh more, up to kDirectMaxWeightPatch.
inline constexpr int64_t kDirectMaxPatch = 192, kDirectMaxWeightPatch = 64;

namespace detail {
/// A register tile: q output channels x u vectors (forward: runs of columns;
/// backward-weight: taps); q * u accumulators plus min(q, u) + 1 operands fit
/// the target's registers.
struct DirectTile {
  int q, u;
};
#if defined(__AVX512F__) || defined(__aarch64__)
inline constexpr DirectTile kDirectTiles[4] = {{8, 3}, {6, 4}, {4, 6}, {3, 8}};
#else
inline constexpr DirectTile kDirectTiles[4] = {{4, 2}, {3, 3}, {2, 5}, {2, 6}};
#endif

/// The tile of kDirectTiles spending the fewest FMAs (x2) and loads on
/// `channels` x `units` padded to whole tiles.
inline int direct_pick(int64_t channels, int64_t units) {
  int best = 0;
  int64_t best_cost = -1;
  for (int i = 0; i < 4; ++i) {
    const int64_t q = kDirectTiles[i].q, u = kDirectTiles[i].u;
    const int64_t cost = (channels + q - 1) / q * ((units + u - 1) / u) * (2 * q * u + q + u);
    if (best_cost < 0 || cost < best_cost) best = i, best_cost = cost;
  }
  return best;
}

/// f.template operator()<Q, U>() for tile i of kDirectTiles.
template <class F>
void with_direct_tile(int i, F&& f) {
  switch (i) {
    case 0: return f.template operator()<kDirectTiles[0].q, kDirectTiles[0].u>();
    case 1: return f.template operator()<kDirectTiles[1].q, kDirectTiles[1].u>();
    case 2: return f.template operator()<kDirectTiles[2].q, kDirectTiles[2].u>();
    default: return f.template operator()<kDirectTiles[3].q, kDirectTiles[3].u>();
  }
}

/// Whether conv2d_forward takes the direct kernel.
inline bool conv_direct(const ConvGeometry& g) {
  return g.groups == 1 && g.sw == 1 && g.patch() <= kDirectMaxPatch && g.n > 0 && g.oh > 0 && g.ow > 0;
}
/// Whether conv2d_backward_weight takes the direct kernel.
inline bool conv_direct_weight(const ConvGeometry& g) { return conv_direct(g) && g.patch() <= kDirectMaxWeightPatch; }

/// The padded copy of one sample the direct kernels read: [c, hp, wp] and
/// `tail` more zeros; rows hold at least `cols` + (kw - 1) * dw columns.
struct DirectLayout {
  int64_t hp, wp, tail = 0;
  DirectLayout(const ConvGeometry& g, int64_t cols) {
    hp = std::max(g.pt + g.h, (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1);
    wp = std::max(g.pl + g.w, cols + (g.kw - 1) * g.dw);
  }
  int64_t plane() const { return hp * wp; }
  int64_t size(int64_t c) const { return c * plane() + tail; }
  /// The offset of tap k = (ci, ki, kj) of the patch.
  int64_t offset(const ConvGeometry& g, int64_t k) const {
    const int64_t ci = k / (g.kh * g.kw), ki = k / g.kw % g.kh, kj = k % g.kw;
    return ci * plane() + ki * g.dh * wp + kj * g.dw;
  }
};

/// Copies sample x [c, h, w] into xp (whose padding is zero and stays so).
template <class T>
void direct_pad_sample(const ConvGeometry& g, const DirectLayout& L, const T* x, T* xp) {
  for (int64_t ci = 0; ci < g.c; ++ci)
    for (int64_t iy = 0; iy < g.h; ++iy)
      direct_copy(xp + ci * L.plane() + (iy + g.pt) * L.wp + g.pl, x + (ci * g.h + iy) * g.w, g.w);
}

/// The forward kernel's view of a sample (Note [Direct convolution for few
/// input channels]): per input channel, column tap kj and (with a row stride)
/// row tap ki a plane of `rows` x ow, the input element under each output
/// column, so that every tap reads the output plane's pixels as one
/// contiguous run at offset(k) + pixel.
struct DirectPlanes {
  int64_t row_taps, rows, count;
  explicit DirectPlanes(const ConvGeometry& g)
      : row_taps(g.sh == 1 ? 1 : g.kh), rows(g.sh == 1 ? g.oh + (g.kh - 1) * g.dh : g.oh),
        count(g.c * g.kw * row_taps) {}
  int64_t size(const ConvGeometry& g, int64_t tail) const { return count * rows * g.ow + tail; }
  int64_t offset(const ConvGeometry& g, int64_t k) const {
    const int64_t ci = k / (g.kh * g.kw), ki = k / g.kw % g.kh, kj = k % g.kw;
    return row_taps == 1 ? ((ci * g.kw + kj) * rows + ki * g.dh) * g.ow
                         : (((ci * g.kw + kj) * g.kh + ki) * rows) * g.ow;
  }
  /// Fills planes from the padded sample xp (rows of L.wp with a tail of a vector).
  template <class T>
  void fill(const ConvGeometry& g, const DirectLayout& L, const T* xp, T* planes) const {
    using V = typename DirectVec<T>::type;
    constexpr int64_t W = DirectVec<T>::lanes;
    V v;
    T* dst = planes;
    for (int64_t ci = 0; ci < g.c; ++ci)
      for (int64_t kj = 0; kj < g.kw; ++kj)
        for (int64_t kq = 0; kq < row_taps; ++kq)
          for (int64_t r = 0; r < rows; ++r, dst += g.ow) {
            const T* src = xp + ci * L.plane() + (r * g.sh + kq * g.dh) * L.wp + kj * g.dw;
            // whole vectors: the next row (or the tail) takes a row's excess
            for (int64_t i = 0; i < g.ow; i += W) {
              DirectVec<T>::load(v, src + i);
              std::memcpy(dst + i, &v, sizeof(V));
            }
          }
  }
};

/// Whether the forward kernel reads DirectPlanes (rather than the padded
/// sample's rows): when they take at most 4/5 of the vectors of whole rows,
/// which pays for building them (LeNet's second layer, rows of 10 pixels).
inline bool direct_planes(const ConvGeometry& g, int64_t W) {
  const int64_t per_row = (g.ow + W - 1) / W;
  return 5 * ((g.out_plane() + W - 1) / W) <= 4 * g.oh * per_row;
}

template <class T, int Q, int U>
void conv2d_forward_direct_tile(const ConvGeometry& g, const T* x, const T* weight, const T* bias, T* y) {
  using DV = DirectVec<T>;
  using V = typename DV::type;
  constexpr int64_t W = DV::lanes;
  const int64_t K = g.patch(), P = g.out_plane(), blocks = (g.o + Q - 1) / Q;
  const bool use_planes = direct_planes(g, W);
  // vectors of output pixels: the plane's, or each row's (a row's last vector
  // ends at the row's end, overlapping the one before)
  const int64_t per_row = (g.ow + W - 1) / W, units = use_planes ? (P + W - 1) / W : g.oh * per_row;
  const int64_t tiles = (units + U - 1) / U;
  DirectLayout L(g, use_planes ? g.ow : per_row * W);
  L.tail = use_planes ? W : 0;
  const DirectPlanes planes(g);
  // the weight as [blocks][K][Q], zeros past o
  std::vector<T> wr(static_cast<size_t>(blocks * K * Q), T(0));
  for (int64_t oc = 0; oc < g.o; ++oc)
    for (int64_t k = 0; k < K; ++k) wr[static_cast<size_t>(((oc / Q) * K + k) * Q + oc % Q)] = weight[oc * K + k];
  std::vector<int64_t> off(static_cast<size_t>(K));
  for (int64_t k = 0; k < K; ++k) off[static_cast<size_t>(k)] = use_planes ? planes.offset(g, k) : L.offset(g, k);
  // each vector's first input and output element; the last tile repeats the last vector
  std::vector<int64_t> xpos(static_cast<size_t>(tiles * U)), ypos(static_cast<size_t>(tiles * U));
  for (int64_t r = 0; r < tiles * U; ++r) {
    const int64_t rr = std::min(r, units - 1);
    if (use_planes) {
      xpos[static_cast<size_t>(r)] = ypos[static_cast<size_t>(r)] = P >= W ? std::min(rr * W, P - W) : 0;
    } else {
      const int64_t oy = rr / per_row, ox0 = g.ow >= W ? std::min(rr % per_row * W, g.ow - W) : 0;
      xpos[static_cast<size_t>(r)] = oy * g.sh * L.wp + ox0;
      ypos[static_cast<size_t>(r)] = oy * g.ow + ox0;
    }
  }
  const int64_t nw = std::min(W, use_planes ? P : g.ow);  // pixels stored per vector
  const int runs = conv_runs(g.n);
  const int64_t stride = L.size(g.c) + (use_planes ? planes.size(g, W) : 0);
  std::vector<T> work(static_cast<size_t>(runs * stride), T(0));
  conv_sample_runs(g.n, [&](int64_t first, int64_t last, int t) {
    T* xp = work.data() + t * stride;
    T* xv = use_planes ? xp + L.size(g.c) : xp;  // what the taps read
    for (int64_t s = first; s < last; ++s) {
      direct_pad_sample(g, L, x + s * g.c * g.in_plane(), xp);
      if (use_planes) planes.fill(g, L, xp, xv);
      for (int64_t b = 0; b < blocks; ++b) {
        const int64_t o0 = b * Q, no = std::min<int64_t>(Q, g.o - o0);
        for (int64_t tile = 0; tile < tiles; ++tile) {
          const int64_t* at = xpos.data() + tile * U;
          const int64_t* yat = ypos.data() + tile * U;
          V acc[Q][U];
          for (int q = 0; q < Q; ++q) {
            const T b0 = bias != nullptr && q < no ? bias[o0 + q] : T(0);
            for (int u = 0; u < U; ++u) acc[q][u] = V{} + b0;
          }
          const T* wk = wr.data() + b * K * Q;
          for (int64_t k = 0; k < K; ++k, wk += Q) {
            const T* base = xv + off[static_cast<size_t>(k)];
            V xs[U];
            for (int u = 0; u < U; ++u) DV::load(xs[u], base + at[u]);
            for (int q = 0; q < Q; ++q)
              for (int u = 0; u < U; ++u) acc[q][u] += wk[q] * xs[u];
          }
          // fixed trip counts and whole-vector copies keep the tile in registers
          for (int q = 0; q < Q; ++q) {
            if (q >= no) break;
            T* dst = y + (s * g.o + o0 + q) * P;
            for (int u = 0; u < U; ++u) {
              if (nw == W) {
                std::memcpy(dst + yat[u], &acc[q][u], sizeof(V));
              } else {
                T lanes[W];
                std::memcpy(lanes, &acc[q][u], sizeof(V));
                std::copy(lanes, lanes + nw, dst + yat[u]);
              }
            }
          }
        }
      }
    }
  });
}

template <class T, int Q, int U>
void conv2d_backward_weight_direct_tile(const ConvGeometry& g, const T* x, const T* dy, T* dweight, T* dbias) {
  using DV = DirectVec<T>;
  using V = typename DV::type;
  using M = typename DV::mask;
  constexpr int64_t W = DV::lanes;
  const int64_t K = g.patch(), P = g.out_plane(), blocks = (g.o + Q - 1) / Q, groups = (K + U - 1) / U;
  const DirectLayout L(g, std::max(g.ow, W));
  // a row's runs of columns: the last ends at the row's end and counts only the lanes the one before did not
  const int64_t per_row = (g.ow + W - 1) / W;
  std::vector<int64_t> col0(static_cast<size_t>(per_row));
  std::vector<M> keep(static_cast<size_t>(per_row));
  for (int64_t r = 0; r < per_row; ++r) {
    const int64_t ox0 = g.ow >= W ? std::min(r * W, g.ow - W) : 0;
    col0[static_cast<size_t>(r)] = ox0;
    for (int64_t l = 0; l < W; ++l) keep[static_cast<size_t>(r)][l] = ox0 + l >= r * W && ox0 + l < g.ow ? -1 : 0;
  }
  std::vector<int64_t> off(static_cast<size_t>(groups * U));
  for (int64_t k = 0; k < groups * U; ++k) off[static_cast<size_t>(k)] = L.offset(g, k < K ? k : 0);
  const int runs = conv_runs(g.n);
  // per run: the padded sample, the tile's vector sums [blocks * Q][groups * U] and dbias's partial sum
  const int64_t nsums = blocks * Q * groups * U * W, stride = L.size(g.c) + nsums + g.o;
  std::vector<T> work(static_cast<size_t>(runs * stride), T(0));
  // rows narrower than a vector read past their end: the batch's last sample is read from a copy with room
  std::vector<T> last_dy(static_cast<size_t>(g.ow < W ? g.o * P + W : 0), T(0));
  if (g.ow < W) std::copy(dy + (g.n - 1) * g.o * P, dy + g.n * g.o * P, last_dy.begin());
  conv_sample_runs(g.n, [&](int64_t first, int64_t last, int t) {
    T* xp = work.data() + t * stride;
    T* sums = xp + L.size(g.c);
    T* db = sums + nsums;
    for (int64_t s = first; s < last; ++s) {
      direct_pad_sample(g, L, x + s * g.c * g.in_plane(), xp);
      const T* dys = g.ow < W && s == g.n - 1 ? last_dy.data() : dy + s * g.o * P;
      for (int64_t b = 0; b < blocks; ++b)
        for (int64_t gr = 0; gr < groups; ++gr) {
          const T* dq[Q];
          const T* xu[U];
          for (int q = 0; q < Q; ++q) dq[q] = dys + std::min<int64_t>(b * Q + q, g.o - 1) * P;
          for (int u = 0; u < U; ++u) xu[u] = xp + off[static_cast<size_t>(gr * U + u)];
          V acc[Q][U] = {};
          for (int64_t oy = 0; oy < g.oh; ++oy)
            for (int64_t r = 0; r < per_row; ++r) {
              const int64_t xi = oy * g.sh * L.wp + col0[static_cast<size_t>(r)], di = oy * g.ow + col0[static_cast<size_t>(r)];
              const M mk = keep[static_cast<size_t>(r)];
              V xs[U];
              for (int u = 0; u < U; ++u) DV::load(xs[u], xu[u] + xi);
              for (int q = 0; q < Q; ++q) {
                V d;
                DV::load(d, dq[q] + di);
                d = reinterpret_cast<V>(reinterpret_cast<M>(d) & mk);
                for (int u = 0; u < U; ++u) acc[q][u] += d * xs[u];
              }
            }
          for (int q = 0; q < Q; ++q)
            for (int u = 0; u < U; ++u) {
              T* sum = sums + ((b * Q + q) * groups * U + gr * U + u) * W;
              V part;
              DV::load(part, sum);
              part += acc[q][u];
              std::memcpy(sum, &part, sizeof(V));
            }
        }
      if (dbias != nullptr)
        for (int64_t oc = 0; oc < g.o; ++oc) db[oc] += sum_run(dys + oc * P, P);
    }
  });
  std::fill(dweight, dweight + g.o * K, T(0));
  if (dbias != nullptr) std::fill(dbias, dbias + g.o, T(0));
  for (int r = 0; r < runs; ++r) {
    const T* sums = work.data() + r * stride + L.size(g.c);
    for (int64_t oc = 0; oc < g.o; ++oc)
      for (int64_t k = 0; k < K; ++k) {
        const T* lanes = sums + (oc * groups * U + k) * W;
        T total(0);
        for (int64_t l = 0; l < W; ++l) total += lanes[l];
        dweight[oc * K + k] += total;
      }
    if (dbias != nullptr)
      for (int64_t oc = 0; oc < g.o; ++oc) dbias[oc] += sums[nsums + oc];
  }
}
}  // namespace detail

/// conv2d_forward for detail::conv_direct(g) (Note [Direct convolution for few input channels]).
template <class T>
void conv2d_forward_direct(const ConvGeometry& g, const T* x, const T* weight, const T* bias, T* y) {
  const int64_t W = detail::DirectVec<T>::lanes;
  const int64_t units = detail::direct_planes(g, W) ? (g.out_plane() + W - 1) / W : g.oh * ((g.ow + W - 1) / W);
  detail::with_direct_tile(detail::direct_pick(g.o, units), [&]<int Q, int U>() {
    detail::conv2d_forward_direct_tile<T, Q, U>(g, x, weight, bias, y);
  });
}

/// conv2d_backward_weight for detail::conv_direct_weight(g) (Note [Direct convolution for few input channels]).
template <class T>
void conv2d_backward_weight_direct(const ConvGeometry& g, const T* x, const T* dy, T* dweight, T* dbias) {
  detail::with_direct_tile(detail::direct_pick(g.o, g.patch()), [&]<int Q, int U>() {
    detail::conv2d_backward_weight_direct_tile<T, Q, U>(g, x, dy, dweight, dbias);
  });
}

// Note [Implicit GEMM]: a layer whose unfolded sample is large (the
// ResNet-style layers, PyTorch's example's second layer) spent as much time
// unfolding (im2col writes kH * kW times the input, out of cache when a
// sample's matrix is megabytes) and packing that matrix into the GEMM's
// panels as in the micro-kernel. Forward runs the packed GEMM's loops here
// instead (Note [Packed GEMM] in gemm.hpp, with its micro-kernels and
// blocking): the weight is packed once per call, and each block of B
// (kc taps x nc output pixels of one sample) is packed straight from a
// zero-padded copy of the sample, a tap's NR pixels being runs of an input
// row; C is the sample's [O, OH * OW] output in place, the bias added while
// a block is in cache. Samples are split into per-thread runs (Note
// [Convolution threads]); a batch smaller than the threads takes the
// threaded GEMM on unfolded chunks instead. (Backward-input run as the
// forward convolution of dy with the flipped weight, the same kernels,
// measured slower than its GEMM and col2im on every layer of
// bench/conv_bench, so it stays there.)
namespace detail {
/// At least this many unfolded elements per sample send a layer to Note [Implicit GEMM].
inline constexpr int64_t kImplicitMinColumns = int64_t(1) << 16;
/// Output pixels per packed block of B (Note [Implicit GEMM]): kc x this in about half of L2.
inline constexpr int64_t kImplicitNc = 512;

/// n elements of T, 64-byte aligned (the micro-kernels' packed operands), zero-filled; from the
/// tensors' block cache (core/allocator.hpp), so a convolution called every step reuses its blocks.
template <class T>
struct AlignedBuffer {
  size_t bytes;
  T* p;
  explicit AlignedBuffer(int64_t n)
      : bytes(sizeof(T) * static_cast<size_t>(std::max<int64_t>(n, 1))),
        p(static_cast<T*>(tapegrad::detail::allocate_bytes(bytes))) {
    std::fill(p, p + n, T(0));
  }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { tapegrad::detail::deallocate_bytes(p, bytes); }
  T* data() const { return p; }
};

/// Whether conv2d_forward takes Note [Implicit GEMM].
inline bool conv_implicit(const ConvGeometry& g) {
  return g.n >= get_num_threads() && g.oh > 0 && g.ow > 0 && g.patch() * g.out_plane() >= kImplicitMinColumns;
}

template <class T>
void conv2d_forward_implicit(const ConvGeometry& g, const T* x, const T* weight, const T* bias, T* y) {
  tapegrad::detail::FlushDenormalScope flush;  // as gemm() (Note [Denormals] in core/denormal.hpp)
  const GemmConfig<T>& cfg = gemm_config<T>(std::max(gemm_isa(), lowest_gemm_isa()));
  const int64_t K = g.patch(), P = g.out_plane(), og = g.og(), cg = g.cg(), MR = cfg.mr, NR = cfg.nr;
  constexpr int64_t W = DirectVec<T>::lanes;
  // K blocks of equal depth, as gemm_serial
  const int64_t kblocks = std::max<int64_t>(1, (10 * K + 11 * cfg.kc - 1) / (11 * cfg.kc));
  const int64_t kc_max = (K + kblocks - 1) / kblocks, og_pad = (og + MR - 1) / MR * MR;
  const int64_t nc_max = std::min((P + NR - 1) / NR * NR, kImplicitNc);
  // the weight of group gi, K block at pc: og_pad x kc in panels of MR at pa[(gi * K + pc) * og_pad]
  AlignedBuffer<T> pa(g.groups * K * og_pad);
  for (int64_t gi = 0; gi < g.groups; ++gi)
    for (int64_t pc = 0; pc < K; pc += kc_max)
      cfg.pack_a(og, std::min(kc_max, K - pc), weight + gi * og * K + pc, K, 1,
                 pa.data() + (gi * K + pc) * og_pad);
  // the padded sample: every tap of every output pixel inside it
  const int64_t hp = std::max(g.pt + g.h, (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1);
  const int64_t wp = std::max(g.pl + g.w, (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1), plane = hp * wp;
  std::vector<int64_t> off(static_cast<size_t>(K));  // tap k's offset in a group's channels
  for (int64_t k = 0; k < K; ++k)
    off[static_cast<size_t>(k)] = k / (g.kh * g.kw) * plane + k / g.kw % g.kh * g.dh * wp + k % g.kw * g.dw;
  conv_sample_runs(g.n, [&](int64_t first, int64_t last, int) {
    // xp: room for a vector read past the last row (the whole-vector runs below)
    AlignedBuffer<T> xp(g.c * plane + W), pb(kc_max * nc_max);
    typename DirectVec<T>::type v;
    for (int64_t s = first; s < last; ++s) {
      const T* xs = x + s * g.c * g.in_plane();
      for (int64_t ci = 0; ci < g.c; ++ci)
        for (int64_t iy = 0; iy < g.h; ++iy)
          direct_copy(xp.data() + ci * plane + (iy + g.pt) * wp + g.pl, xs + (ci * g.h + iy) * g.w, g.w);
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        const T* xg = xp.data() + gi * cg * plane;
        T* yg = y + (s * g.o + gi * og) * P;
        for (int64_t jc = 0; jc < P; jc += nc_max) {
          const int64_t nc = std::min(nc_max, P - jc);
          for (int64_t pc = 0; pc < K; pc += kc_max) {
            const int64_t kc = std::min(kc_max, K - pc);
            // B's block: panel of columns [j0, j0 + NR), dst[panel][p][r] = tap pc + p of pixel j0 + r
            for (int64_t j0 = 0; j0 < nc; j0 += NR) {
              T* panel = pb.data() + j0 * kc;
              const int64_t nr = std::min(NR, nc - j0);
              for (int64_t r = 0; r < nr;) {  // runs of one output row
                const int64_t j = jc + j0 + r, oy = j / g.ow, ox = j % g.ow, len = std::min(nr - r, g.ow - ox);
                const T* src = xg + oy * g.sh * wp + ox * g.sw;
                for (int64_t p = 0; p < kc; ++p) {
                  const T* sp = src + off[static_cast<size_t>(pc + p)];
                  T* dp = panel + p * NR + r;
                  if (g.sw != 1) {
                    for (int64_t i = 0; i < len; ++i) dp[i] = sp[i * g.sw];
                  } else if (len < W && r + W <= NR) {  // a whole vector; the next run overwrites its excess
                    DirectVec<T>::load(v, sp);
                    std::memcpy(dp, &v, sizeof(v));
                  } else {
                    direct_copy(dp, sp, len);
                  }
                }
                r += len;
              }
              if (nr < NR)
                for (int64_t p = 0; p < kc; ++p) std::fill(panel + p * NR + nr, panel + (p + 1) * NR, T(0));
            }
            const T beta = pc == 0 ? T(0) : T(1);
            for (int64_t ic = 0; ic < og; ic += cfg.mc) {
              const int64_t mc = std::min(cfg.mc, og - ic);
              for (int64_t j0 = 0; j0 < nc; j0 += NR)
                for (int64_t ir = ic; ir < ic + mc; ir += MR) {
                  const int64_t mr = std::min(MR, ic + mc - ir);
                  (mr <= cfg.mr_edge ? cfg.kernel_edge : cfg.kernel)(
                      kc, pa.data() + (gi * K + pc) * og_pad + ir * kc, pb.data() + j0 * kc, yg + ir * P + jc + j0, P,
                      1, mr, std::min(NR, nc - j0), T(1), beta);
                }
            }
          }
          if (bias != nullptr)
            for (int64_t oc = 0; oc < og; ++oc) {
              T* row = yg + oc * P + jc;
              const T b = bias[gi * og + oc];
              for (int64_t i = 0; i < nc; ++i) row[i] += b;
            }
        }
      }
    }
  });
}
}  // namespace detail

/// y [n, o, oh, ow] = conv(x [n, c, h, w], weight [o, c/groups, kh, kw]) + bias [o]
/// (bias may be null). work: conv2d_workspace(g) elements.
template <class T>
void conv2d_forward(const ConvGeometry& g, const T* x, const T* weight, const T* bias, T* y, T* work) {
  if (detail::conv_direct(g)) return conv2d_forward_direct(g, x, weight, bias, y);
  if (detail::conv_implicit(g)) return detail::conv2d_forward_implicit(g, x, weight, bias, y);
  const int64_t K = g.patch(), P = g.out_plane(), og = g.og(), chunk = conv2d_chunk(g);
  T* col = work;
  T* out = work + chunk * P * g.c * g.kh * g.kw;
  for (int64_t first = 0; first < g.n; first += chunk) {
    const int64_t last = std::min(g.n, first + chunk), ld = (last - first) * P;
    detail::unfold_chunk(g, x, first, last, col);
    // one sample and no bias: the product is already the NCHW output
    T* dst = last - first == 1 && bias == nullptr ? y + first * g.o * P : out;
    for (int64_t gi = 0; gi < g.groups; ++gi)
      gemm<T>(og, ld, K, T(1), weight + gi * og * K, K, 1, col + gi * K * ld, ld, 1, T(0), dst + gi * og * ld, ld, 1);
    if (dst == out)
      detail::for_samples(first, last, g.o * P, [&](int64_t s) {
        for (int64_t oc = 0; oc < g.o; ++oc) {
          const T* src = out + oc * ld + (s - first) * P;
          T* d = y + (s * g.o + oc) * P;
          const T b = bias != nullptr ? bias[oc] : T(0);
          for (int64_t i = 0; i < P; ++i) d[i] = src[i] + b;
        }
      });
  }
}

/// dx [n, c, h, w] = the adjoint of conv2d_forward applied to dy [n, o, oh, ow]
/// (dx is overwritten). work: conv2d_workspace(g) elements.
template <class T>
void conv2d_backward_input(const ConvGeometry& g, const T* dy, const T* weight, T* dx, T* work) {
  const int64_t K = g.patch(), P = g.out_plane(), og = g.og(), chunk = conv2d_chunk(g);
  T* col = work;
  T* dyc = work + chunk * P * g.c * g.kh * g.kw;
  for (int64_t first = 0; first < g.n; first += chunk) {
    const int64_t last = std::min(g.n, first + chunk), ld = (last - first) * P;
    const T* src = dy + first * g.o * P;
    if (last - first > 1) {  // dy's chunk as [o, chunk * P]
      detail::for_samples(first, last, g.o * P, [&](int64_t s) {
        for (int64_t oc = 0; oc < g.o; ++oc)
          std::copy(dy + (s * g.o + oc) * P, dy + (s * g.o + oc + 1) * P, dyc + oc * ld + (s - first) * P);
      });
      src = dyc;
    }
    // col [K, ld] = weight_g^T [K, og] @ dy_g [og, ld]
    for (int64_t gi = 0; gi < g.groups; ++gi)
      gemm<T>(K, ld, og, T(1), weight + gi * og * K, 1, K, src + gi * og * ld, ld, 1, T(0), col + gi * K * ld, ld, 1);
    detail::for_samples(first, last, g.c * g.in_plane() + K * P, [&](int64_t s) {
      T* dxs = dx + s * g.c * g.in_plane();
      std::fill(dxs, dxs + g.c * g.in_plane(), T(0));
      col2im(g, g.c, col + (s - first) * P, dxs, ld);
    });
  }
}

/// dweight [o, c/groups, kh, kw] (overwritten) = sum over samples of dy @ col^T;
/// dbias [o] (if not null, overwritten) = dy summed over samples and pixels.
/// work: conv2d_weight_workspace(g) elements (Note [Convolution threads]).
template <class T>
void conv2d_backward_weight(const ConvGeometry& g, const T* x, const T* dy, T* dweight, T* dbias, T* work) {
  if (detail::conv_direct_weight(g)) return conv2d_backward_weight_direct(g, x, dy, dweight, dbias);
  const int64_t K = g.patch(), P = g.out_plane(), og = g.og(), cg = g.cg(), wsize = g.o * K;
  // whole samples, or blocks of output rows (Note [Row blocks])
  const int64_t rows = conv2d_row_block(g) > 0 ? conv2d_row_block(g) : g.oh, col_size = K * rows * g.ow;
  const int runs = detail::conv_runs(g.n);
  const int64_t stride = col_size + (runs > 1 ? wsize : 0);
  if (g.n == 0) std::fill(dweight, dweight + wsize, T(0));
  detail::conv_sample_runs(g.n, [&](int64_t first, int64_t last, int t) {
    T* col = work + t * stride;
    T* dw = runs > 1 ? col + col_size : dweight;  // a run's partial sum
    for (int64_t s = first; s < last; ++s)
      for (int64_t gi = 0; gi < g.groups; ++gi)
        for (int64_t oy0 = 0; oy0 < g.oh; oy0 += rows) {
          const int64_t oy1 = std::min(g.oh, oy0 + rows), ld = (oy1 - oy0) * g.ow;
          im2col(g, cg, x + (s * g.c + gi * cg) * g.in_plane(), col, ld, oy0, oy1);
          // dw_g [og, K] (+)= dy_g [og, the block's columns] @ col^T [columns, K]
          gemm<T>(og, K, ld, T(1), dy + (s * g.o + gi * og) * P + oy0 * g.ow, P, 1, col, 1, ld,
                  s == first && oy0 == 0 ? T(0) : T(1), dw + gi * og * K, K, 1);
        }
  });
  if (runs > 1) {
    std::copy(work + col_size, work + col_size + wsize, dweight);
    for (int t = 1; t < runs; ++t) {
      const T* part = work + t * stride + col_size;
      for (int64_t i = 0; i < wsize; ++i) dweight[i] += part[i];
    }
  }
  if (dbias != nullptr) channel_sum(g.n, g.o, P, dy, dbias);
}

}  // namespace tapegrad::kernels
