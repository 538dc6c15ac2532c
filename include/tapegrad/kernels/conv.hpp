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

/// y [n, o, oh, ow] = conv(x [n, c, h, w], weight [o, c/groups, kh, kw]) + bias [o]
/// (bias may be null). work: conv2d_workspace(g) elements.
template <class T>
void conv2d_forward(const ConvGeometry& g, const T* x, const T* weight, const T* bias, T* y, T* work) {
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
