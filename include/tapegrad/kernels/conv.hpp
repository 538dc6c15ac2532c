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
#include <vector>

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

namespace detail {
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
/// ox * sw - pl + kj * dw], 0 outside.
template <class T>
void im2col(const ConvGeometry& g, int64_t channels, const T* x, T* col, int64_t ld = 0) {
  const int64_t plane = ld > 0 ? ld : g.oh * g.ow;
  for (int64_t ci = 0; ci < channels; ++ci)
    for (int64_t ki = 0; ki < g.kh; ++ki)
      for (int64_t kj = 0; kj < g.kw; ++kj) {
        T* row = col + ((ci * g.kh + ki) * g.kw + kj) * plane;
        int64_t lo, hi;
        detail::valid_range(g.ow, g.w, g.sw, g.pl, kj * g.dw, lo, hi);
        for (int64_t oy = 0; oy < g.oh; ++oy) {
          T* dst = row + oy * g.ow;
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
/// Elements of the workspace the conv2d kernels need: the unfolded chunk and
/// the chunk's [O, chunk * OH * OW] side.
inline int64_t conv2d_workspace(const ConvGeometry& g) {
  return conv2d_chunk(g) * g.out_plane() * (g.c * g.kh * g.kw + g.o);
}
/// Elements of the workspace conv2d_backward_weight needs: per thread's run
/// of samples one sample's unfolded matrix and a partial sum.
inline int64_t conv2d_weight_workspace(const ConvGeometry& g) {
  const int runs = detail::conv_runs(g.n);
  return (g.patch() * g.out_plane() + (runs > 1 ? g.o * g.patch() : 0)) * runs;
}

/// out [c] = x [n, c, plane] summed over n and the plane (a bias gradient).
template <class T>
void channel_sum(int64_t n, int64_t c, int64_t plane, const T* x, T* out) {
  std::fill(out, out + c, T(0));
  for (int64_t s = 0; s < n; ++s)
    for (int64_t ci = 0; ci < c; ++ci) {
      const T* p = x + (s * c + ci) * plane;
      T acc(0);
      for (int64_t i = 0; i < plane; ++i) acc += p[i];
      out[ci] += acc;
    }
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
// dimension that the micro-kernel's tiles waste. For kDirectMinPatch <= K <=
// kDirectMaxPatch (no groups, unit column stride) the kernels below convolve directly: each
// sample is copied once into a zero-padded buffer, and a register tile of
// kDirectO output channels x kDirectW output columns accumulates the K taps,
// each a broadcast weight times a contiguous run of the padded row (forward),
// or dy's run times the padded row's run (backward-weight, reduced over the
// tile's columns at the end). The fixed tile sizes let the compiler keep the
// tile in vector registers on any ISA (GCC/Clang vector types, no
// intrinsics); output channels and columns past the layer's are computed on
// zeros and not stored.
inline constexpr int64_t kDirectO = 8, kDirectMinPatch = 16, kDirectMaxPatch = 64;
/// Columns per tile: one 64-byte vector (measured faster than 32 bytes on an
/// AVX2 build, bench/conv.md).
template <class T>
inline constexpr int64_t kDirectW = 64 / static_cast<int64_t>(sizeof(T));

namespace detail {
/// kDirectW values of T as one GCC/Clang vector (any ISA: the compiler splits
/// it into the target's registers), loaded and stored without alignment.
template <class T>
struct DirectVec {
  typedef T type __attribute__((vector_size(64)));
  // by reference: a vector returned by value changes the ABI between ISAs (-Wpsabi)
  static void load(type& v, const T* p) { std::memcpy(&v, p, sizeof(type)); }
};

/// Whether conv2d_forward / conv2d_backward_weight take the direct kernels:
/// below kDirectMinPatch taps a tile's set-up and stores outweigh its FMAs and
/// the GEMM measured faster (PyTorch's example's 3x3 first layer, bench/conv.md).
inline bool conv_direct(const ConvGeometry& g) {
  return g.groups == 1 && g.sw == 1 && g.patch() >= kDirectMinPatch && g.patch() <= kDirectMaxPatch && g.ow >= 8 &&
         g.n > 0;
}

/// The padded copy of one sample the direct kernels read: [c, hp, wp], every
/// row long enough for a whole tile of columns at every tap.
struct DirectLayout {
  int64_t hp, wp, owp;  // owp: ow rounded up to whole tiles of tw columns
  DirectLayout(const ConvGeometry& g, int64_t tw) {
    owp = (g.ow + tw - 1) / tw * tw;
    hp = std::max(g.pt + g.h, (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1);
    wp = std::max(g.pl + g.w, owp + (g.kw - 1) * g.dw);
  }
  int64_t sample() const { return hp * wp; }
};

template <class T>
void direct_pad_sample(const ConvGeometry& g, const DirectLayout& L, const T* x, T* xp) {
  std::fill(xp, xp + g.c * L.sample(), T(0));
  for (int64_t ci = 0; ci < g.c; ++ci)
    for (int64_t iy = 0; iy < g.h; ++iy)
      std::copy(x + (ci * g.h + iy) * g.w, x + (ci * g.h + iy + 1) * g.w, xp + ci * L.sample() + (iy + g.pt) * L.wp + g.pl);
}

/// The weight [o, K] as [blocks of kDirectO channels][K][kDirectO], zeros past o.
template <class T>
std::vector<T> direct_pack_weight(const ConvGeometry& g, const T* weight) {
  const int64_t K = g.patch(), blocks = (g.o + kDirectO - 1) / kDirectO;
  std::vector<T> wr(static_cast<size_t>(blocks * K * kDirectO), T(0));
  for (int64_t oc = 0; oc < g.o; ++oc)
    for (int64_t k = 0; k < K; ++k) wr[static_cast<size_t>(((oc / kDirectO) * K + k) * kDirectO + oc % kDirectO)] = weight[oc * K + k];
  return wr;
}
}  // namespace detail

/// conv2d_forward for detail::conv_direct(g) (Note [Direct convolution for few input channels]).
template <class T>
void conv2d_forward_direct(const ConvGeometry& g, const T* x, const T* weight, const T* bias, T* y) {
  using V = typename detail::DirectVec<T>::type;
  const detail::DirectLayout L(g, kDirectW<T>);
  const int64_t K = g.patch(), P = g.out_plane(), blocks = (g.o + kDirectO - 1) / kDirectO;
  const std::vector<T> wr = detail::direct_pack_weight(g, weight);
  const int runs = detail::conv_runs(g.n);
  std::vector<T> pads(static_cast<size_t>(runs * g.c * L.sample()));
  detail::conv_sample_runs(g.n, [&](int64_t first, int64_t last, int t) {
    T* xp = pads.data() + t * g.c * L.sample();
    for (int64_t s = first; s < last; ++s) {
      detail::direct_pad_sample(g, L, x + s * g.c * g.in_plane(), xp);
      for (int64_t b = 0; b < blocks; ++b) {
        const int64_t o0 = b * kDirectO, no = std::min(kDirectO, g.o - o0);
        for (int64_t oy = 0; oy < g.oh; ++oy)
          for (int64_t tile = 0; tile < g.ow; tile += kDirectW<T>) {
            // the last tile ends at the row's end (overlapping the one before), so every store is whole
            const int64_t ox0 = g.ow >= kDirectW<T> ? std::min(tile, g.ow - kDirectW<T>) : tile;
            V acc[kDirectO];
            for (int64_t q = 0; q < kDirectO; ++q) acc[q] = V{} + (bias != nullptr && q < no ? bias[o0 + q] : T(0));
            const T* wk = wr.data() + b * K * kDirectO;
            for (int64_t ci = 0; ci < g.c; ++ci)
              for (int64_t ki = 0; ki < g.kh; ++ki) {
                const T* row = xp + ci * L.sample() + (oy * g.sh + ki * g.dh) * L.wp + ox0;
                for (int64_t kj = 0; kj < g.kw; ++kj, wk += kDirectO) {
                  V xs;
                  detail::DirectVec<T>::load(xs, row + kj * g.dw);
                  for (int64_t q = 0; q < kDirectO; ++q) acc[q] += wk[q] * xs;
                }
              }
            const int64_t nw = std::min(kDirectW<T>, g.ow - ox0);
            for (int64_t q = 0; q < no; ++q) {
              T* dst = y + (s * g.o + o0 + q) * P + oy * g.ow + ox0;
              if (nw == kDirectW<T>) std::memcpy(dst, &acc[q], sizeof(V));  // one vector store
              else std::memcpy(dst, &acc[q], static_cast<size_t>(nw) * sizeof(T));
            }
          }
      }
    }
  });
}

/// conv2d_backward_weight for detail::conv_direct(g) (Note [Direct convolution for few input channels]).
template <class T>
void conv2d_backward_weight_direct(const ConvGeometry& g, const T* x, const T* dy, T* dweight, T* dbias) {
  using V = typename detail::DirectVec<T>::type;
  const detail::DirectLayout L(g, kDirectW<T>);
  const int64_t K = g.patch(), P = g.out_plane(), blocks = (g.o + kDirectO - 1) / kDirectO;
  const int64_t orows = blocks * kDirectO, dyp_size = orows * g.oh * L.owp;
  const int runs = detail::conv_runs(g.n);
  // per run: the padded sample, dy padded to whole tiles (zeros past o and ow), and a partial sum
  const int64_t stride = g.c * L.sample() + dyp_size + orows * K;
  std::vector<T> work(static_cast<size_t>(runs * stride), T(0));
  detail::conv_sample_runs(g.n, [&](int64_t first, int64_t last, int t) {
    T* xp = work.data() + t * stride;
    T* dyp = xp + g.c * L.sample();
    T* dw = dyp + dyp_size;  // [orows, K]
    for (int64_t s = first; s < last; ++s) {
      detail::direct_pad_sample(g, L, x + s * g.c * g.in_plane(), xp);
      for (int64_t oc = 0; oc < g.o; ++oc)
        for (int64_t oy = 0; oy < g.oh; ++oy)
          std::copy(dy + (s * g.o + oc) * P + oy * g.ow, dy + (s * g.o + oc) * P + (oy + 1) * g.ow,
                    dyp + (oc * g.oh + oy) * L.owp);
      for (int64_t b = 0; b < blocks; ++b)
        for (int64_t ci = 0; ci < g.c; ++ci)
          for (int64_t ki = 0; ki < g.kh; ++ki)
            for (int64_t kj = 0; kj < g.kw; ++kj) {
              V acc[kDirectO] = {};
              for (int64_t oy = 0; oy < g.oh; ++oy) {
                const T* row = xp + ci * L.sample() + (oy * g.sh + ki * g.dh) * L.wp + kj * g.dw;
                const T* drow = dyp + (b * kDirectO * g.oh + oy) * L.owp;
                for (int64_t ox0 = 0; ox0 < L.owp; ox0 += kDirectW<T>) {
                  V xs, d;
                  detail::DirectVec<T>::load(xs, row + ox0);
                  for (int64_t q = 0; q < kDirectO; ++q) {
                    detail::DirectVec<T>::load(d, drow + q * g.oh * L.owp + ox0);
                    acc[q] += d * xs;
                  }
                }
              }
              const int64_t k = (ci * g.kh + ki) * g.kw + kj;
              for (int64_t q = 0; q < kDirectO; ++q) {
                T lanes[kDirectW<T>];
                std::memcpy(lanes, &acc[q], sizeof(V));
                T sum(0);
                for (int64_t l = 0; l < kDirectW<T>; ++l) sum += lanes[l];
                dw[(b * kDirectO + q) * K + k] += sum;
              }
            }
    }
  });
  std::fill(dweight, dweight + g.o * K, T(0));
  for (int r = 0; r < runs; ++r) {
    const T* part = work.data() + r * stride + g.c * L.sample() + dyp_size;
    for (int64_t i = 0; i < g.o * K; ++i) dweight[i] += part[i];
  }
  if (dbias != nullptr) channel_sum(g.n, g.o, P, dy, dbias);
}

/// y [n, o, oh, ow] = conv(x [n, c, h, w], weight [o, c/groups, kh, kw]) + bias [o]
/// (bias may be null). work: conv2d_workspace(g) elements.
template <class T>
void conv2d_forward(const ConvGeometry& g, const T* x, const T* weight, const T* bias, T* y, T* work) {
  if (detail::conv_direct(g)) return conv2d_forward_direct(g, x, weight, bias, y);
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
  if (detail::conv_direct(g)) return conv2d_backward_weight_direct(g, x, dy, dweight, dbias);
  const int64_t K = g.patch(), P = g.out_plane(), og = g.og(), cg = g.cg(), wsize = g.o * K, col_size = K * P;
  const int runs = detail::conv_runs(g.n);
  const int64_t stride = col_size + (runs > 1 ? wsize : 0);
  if (g.n == 0) std::fill(dweight, dweight + wsize, T(0));
  detail::conv_sample_runs(g.n, [&](int64_t first, int64_t last, int t) {
    T* col = work + t * stride;
    T* dw = runs > 1 ? col + col_size : dweight;  // a run's partial sum
    for (int64_t s = first; s < last; ++s)
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        im2col(g, cg, x + (s * g.c + gi * cg) * g.in_plane(), col);
        // dw_g [og, K] (+)= dy_g [og, P] @ col^T [P, K]
        gemm<T>(og, K, P, T(1), dy + (s * g.o + gi * og) * P, P, 1, col, 1, P, s == first ? T(0) : T(1),
                dw + gi * og * K, K, 1);
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
