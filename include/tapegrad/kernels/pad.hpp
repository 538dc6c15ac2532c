#pragma once
// Padding kernels on raw memory: a gather through one source-index table per
// padded (trailing) dim, and its adjoint, for every mode of pad (constant,
// reflect, replicate, circular; negative pads crop).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "pool.hpp"

namespace tapegrad::kernels {

/// The geometry of a pad: blocks of `outer` leading elements, each a tensor
/// of in[k] -> src[k].size() positions along the padded dims k (last = the
/// fastest); src[k][j] is the input position output position j reads, or -1
/// for the constant.
struct PadGeometry {
  int64_t outer = 1;
  std::vector<int64_t> in;
  std::vector<std::vector<int64_t>> src;
  int64_t in_block() const {
    int64_t n = 1;
    for (auto s : in) n *= s;
    return n;
  }
  int64_t out_block() const {
    int64_t n = 1;
    for (const auto& s : src) n *= static_cast<int64_t>(s.size());
    return n;
  }
};

namespace detail {
/// Visits the output positions of dims k.. of one block: f(y offset, x offset
/// or -1 for the constant), with the offsets of the dims before k given.
template <class F>
void pad_walk(const PadGeometry& g, size_t k, int64_t y_off, int64_t x_off, const std::vector<int64_t>& x_stride,
              const std::vector<int64_t>& y_stride, F&& f) {
  const auto& src = g.src[k];
  const auto n = static_cast<int64_t>(src.size());
  for (int64_t j = 0; j < n; ++j) {
    const int64_t s = src[static_cast<size_t>(j)];
    const int64_t xo = x_off < 0 || s < 0 ? -1 : x_off + s * x_stride[k];
    if (k + 1 == g.src.size()) f(y_off + j, xo);
    else pad_walk(g, k + 1, y_off + j * y_stride[k], xo, x_stride, y_stride, f);
  }
}

template <class F>
void pad_blocks(const PadGeometry& g, F&& f) {
  const size_t nd = g.src.size();
  std::vector<int64_t> xs(nd, 1), ys(nd, 1);
  for (size_t k = nd - 1; k > 0; --k) {
    xs[k - 1] = xs[k] * g.in[k];
    ys[k - 1] = ys[k] * static_cast<int64_t>(g.src[k].size());
  }
  const int64_t ib = g.in_block(), ob = g.out_block();
  plane_runs(g.outer, ob, [&](int64_t first, int64_t last) {
    for (int64_t o = first; o < last; ++o)
      pad_walk(g, 0, 0, 0, xs, ys, [&](int64_t yo, int64_t xo) { f(o * ob + yo, xo < 0 ? -1 : o * ib + xo); });
  });
}
}  // namespace detail

/// y = x padded: y[o, j...] = x[o, src[j]...], or `fill` where a source is -1.
template <class T>
void pad_gather(const PadGeometry& g, const T* x, T fill, T* y) {
  if (g.src.empty()) return;
  detail::pad_blocks(g, [&](int64_t yo, int64_t xo) { y[yo] = xo < 0 ? fill : x[xo]; });
}

/// The adjoint of pad_gather: dx (overwritten) = the sum of dy over the
/// output positions that read each input element.
template <class T>
void pad_scatter(const PadGeometry& g, const T* dy, T* dx) {
  std::fill(dx, dx + g.outer * g.in_block(), T(0));
  if (g.src.empty()) return;
  detail::pad_blocks(g, [&](int64_t yo, int64_t xo) {
    if (xo >= 0) dx[xo] += dy[yo];
  });
}

}  // namespace tapegrad::kernels
