#pragma once
// Resampling kernels on raw memory for interpolate / Upsample: one spatial dim
// at a time, each output position a weighted sum of a few input positions
// ("taps"), Note [Separable resampling].
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "pool.hpp"

namespace tapegrad::kernels {

// Note [Separable resampling]: every mode of interpolate is a product of 1-D
// resamplings, one per spatial dim: nearest / nearest-exact take one input
// position, linear two, cubic four (clamped at the edges), area the mean of
// its adaptive-pooling window. So one kernel applies one dim's taps
// (out[o, j, i] = sum_t w[j, t] x[o, src[j, t], i]) and its transpose gives
// the gradient; interpolate runs it over the dims from last to first, the
// order in which PyTorch's bilinear and bicubic kernels combine them.

/// The taps of one dim resampled from `in` to `out` positions: output j reads
/// src[j * k + t] with weight w[j * k + t], t < n[j] (t < k when n is empty).
struct ResampleTaps {
  int64_t in = 0, out = 0, k = 1;
  std::vector<int64_t> src;
  std::vector<double> w;
  std::vector<int64_t> n;  // taps actually read per output (antialias windows vary in width)
  int64_t count(int64_t j) const { return n.empty() ? k : n[static_cast<size_t>(j)]; }
};

/// The taps of a dim of size in -> out for `mode` (nearest, nearest-exact,
/// linear, cubic, area). scale: the user's scale factor for this dim, or a
/// value <= 0 when the sizes define it (PyTorch's compute_scales_value).
inline ResampleTaps resample_taps(std::string_view mode, int64_t in, int64_t out, bool align_corners, double scale) {
  ResampleTaps t;
  t.in = in, t.out = out;
  t.k = mode == "cubic" ? 4 : mode == "linear" ? 2 : 1;
  if (mode == "area") {  // adaptive average pooling's windows [floor(j in / out), ceil((j + 1) in / out))
    for (int64_t j = 0; j < out; ++j) t.k = std::max(t.k, ((j + 1) * in + out - 1) / out - j * in / out);
  }
  t.src.assign(static_cast<size_t>(out * t.k), 0);
  t.w.assign(static_cast<size_t>(out * t.k), 0.0);
  if (mode == "nearest" || mode == "nearest-exact") {
    // as PyTorch, the source index is computed in float
    const float s = scale > 0 ? static_cast<float>(1.0 / scale) : static_cast<float>(in) / static_cast<float>(out);
    for (int64_t j = 0; j < out; ++j) {
      // nearest: floor(j * s) in float; nearest-exact: floor((j + 0.5) * s), the product in double
      const float at = mode == "nearest" ? static_cast<float>(j) * s
                                         : static_cast<float>((static_cast<double>(j) + 0.5) * static_cast<double>(s));
      const auto i = static_cast<int64_t>(std::floor(at));
      t.src[static_cast<size_t>(j)] = std::min(i, in - 1);
      t.w[static_cast<size_t>(j)] = 1.0;
    }
    return t;
  }
  if (mode == "area") {
    for (int64_t j = 0; j < out; ++j) {
      const int64_t lo = j * in / out, hi = ((j + 1) * in + out - 1) / out;
      for (int64_t q = 0; q < t.k; ++q) {
        const auto at = static_cast<size_t>(j * t.k + q);
        t.src[at] = lo + q < hi ? lo + q : lo;
        t.w[at] = lo + q < hi ? 1.0 / static_cast<double>(hi - lo) : 0.0;
      }
    }
    return t;
  }
  // linear and cubic: PyTorch's area_pixel_compute_scale / _source_index
  const double s = align_corners ? (out > 1 ? static_cast<double>(in - 1) / static_cast<double>(out - 1) : 0.0)
                                 : (scale > 0 ? 1.0 / scale : static_cast<double>(in) / static_cast<double>(out));
  for (int64_t j = 0; j < out; ++j) {
    double x = align_corners ? s * static_cast<double>(j) : s * (static_cast<double>(j) + 0.5) - 0.5;
    const size_t at = static_cast<size_t>(j * t.k);
    if (t.k == 2) {
      x = std::max(x, 0.0);
      const auto i0 = static_cast<int64_t>(x);
      const double l1 = x - static_cast<double>(i0);
      t.src[at] = i0, t.src[at + 1] = i0 + (i0 < in - 1 ? 1 : 0);
      t.w[at] = 1.0 - l1, t.w[at + 1] = l1;
    } else {  // Keys' cubic convolution with A = -0.75, taps i - 1 .. i + 2 clamped to the input
      const double f = std::floor(x), u = x - f, a = -0.75;
      auto near = [a](double d) { return ((a + 2) * d - (a + 3)) * d * d + 1; };     // |d| <= 1
      auto far = [a](double d) { return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a; };  // 1 < |d| < 2
      const double c[4] = {far(u + 1), near(u), near(1 - u), far(2 - u)};
      const auto i = static_cast<int64_t>(f);
      for (int64_t q = 0; q < 4; ++q) {
        t.src[at + static_cast<size_t>(q)] = std::clamp<int64_t>(i - 1 + q, 0, in - 1);
        t.w[at + static_cast<size_t>(q)] = c[q];
      }
    }
  }
  return t;
}

// Note [Antialiased resampling]: PyTorch 1.13's antialias=True (bilinear and
// bicubic on 4-D input, the "_aa" ops) resamples as PIL does: output j is
// centred at c = scale * (j + 0.5) in input pixels (scale = in / out, or
// (in - 1) / (out - 1) with align_corners, which changes only the scale), and
// reads the inputs i in [trunc(c - support + 0.5), trunc(c + support + 0.5))
// clipped to the input, weighted filter((i - c + 0.5) / max(scale, 1)) and
// normalised to sum 1. The filter is the triangle (bilinear, support 1) or
// Keys' cubic with a = -0.5 (bicubic, support 2); when downscaling, the
// support is stretched by the scale, so the filter averages every input pixel
// under the output one instead of sampling between two. Upscaling keeps the
// plain support: antialiased bilinear then equals plain bilinear without
// align_corners, but not with it (the centres stay at j + 0.5), and bicubic
// differs from plain bicubic (a = -0.5 against -0.75, normalised windows
// instead of clamped taps). PyTorch computes the weights in the tensor's
// dtype, with some intermediate steps in double; the float32 path repeats
// those roundings so the windows and weights are the ones PyTorch uses.

/// The antialiased taps of a dim of size in -> out (Note [Antialiased
/// resampling]), computed in T as PyTorch does; `cubic` picks the filter.
/// scale: the user's scale factor for this dim, or <= 0 when the sizes define it.
template <class T>
ResampleTaps resample_taps_aa(bool cubic, int64_t in, int64_t out, bool align_corners, double scale) {
  const T s = align_corners ? (out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0))
                            : (scale > 0 ? static_cast<T>(1.0 / scale) : static_cast<T>(in) / static_cast<T>(out));
  const double half_width = cubic ? 2.0 : 1.0;  // the filter's support at scale 1
  const T support = static_cast<T>(s >= T(1) ? half_width * static_cast<double>(s) : half_width);
  const T inv = s >= T(1) ? static_cast<T>(1.0 / static_cast<double>(s)) : T(1);
  // the near piece in double, the far one in T but for its last product, as PyTorch's filters
  auto filter = [cubic](T x) -> T {
    const T u = std::abs(x);
    const auto d = static_cast<double>(u);
    if (!cubic) return static_cast<T>(d < 1.0 ? 1.0 - d : 0.0);
    const double a = -0.5;
    if (d < 1.0) return static_cast<T>(((a + 2.0) * d - (a + 3.0)) * d * d + 1.0);
    if (d < 2.0) return static_cast<T>(static_cast<double>(((u - T(5)) * u + T(8)) * u - T(4)) * a);
    return T(0);
  };
  ResampleTaps t;
  t.in = in, t.out = out;
  std::vector<int64_t> lo(static_cast<size_t>(out));
  std::vector<T> centre(static_cast<size_t>(out));
  t.n.resize(static_cast<size_t>(out));
  for (int64_t j = 0; j < out; ++j) {  // the windows first: k is the widest
    const T c = static_cast<T>(static_cast<double>(s) * (static_cast<double>(j) + 0.5));
    centre[static_cast<size_t>(j)] = c;
    const int64_t first = std::max<int64_t>(static_cast<int64_t>(static_cast<double>(c - support) + 0.5), 0);
    const int64_t last = std::min<int64_t>(static_cast<int64_t>(static_cast<double>(c + support) + 0.5), in);
    lo[static_cast<size_t>(j)] = first;
    t.n[static_cast<size_t>(j)] = std::max<int64_t>(last - first, 0);
    t.k = std::max(t.k, last - first);
  }
  t.src.resize(static_cast<size_t>(out * t.k));
  t.w.resize(static_cast<size_t>(out * t.k));
  std::vector<T> w(static_cast<size_t>(t.k));
  for (int64_t j = 0; j < out; ++j) {
    const T c = centre[static_cast<size_t>(j)];
    const int64_t first = lo[static_cast<size_t>(j)], n = t.n[static_cast<size_t>(j)];
    T total = 0;
    for (int64_t q = 0; q < n; ++q) {
      // the offset from the centre: (i - c) in T, the + 0.5 and / scale in double
      const T x = static_cast<T>((static_cast<double>(static_cast<T>(first + q) - c) + 0.5) * static_cast<double>(inv));
      w[static_cast<size_t>(q)] = filter(x);
      total += w[static_cast<size_t>(q)];
    }
    for (int64_t q = 0; q < t.k; ++q) {  // the taps past n[j] stay at weight 0, reading `first`
      const auto at = static_cast<size_t>(j * t.k + q);
      t.src[at] = q < n ? first + q : first;
      const T wq = q < n ? w[static_cast<size_t>(q)] : T(0);
      t.w[at] = static_cast<double>(total != T(0) ? wq / total : wq);
    }
  }
  return t;
}

/// y [outer, taps.out, inner] = x [outer, taps.in, inner] resampled along its middle dim.
template <class T>
void resample_forward(const ResampleTaps& tp, int64_t outer, int64_t inner, const T* x, T* y) {
  std::vector<T> w(tp.w.begin(), tp.w.end());
  detail::plane_runs(outer, tp.out * tp.k * inner, [&](int64_t first, int64_t last) {
    for (int64_t o = first; o < last; ++o) {
      const T* xo = x + o * tp.in * inner;
      T* yo = y + o * tp.out * inner;
      for (int64_t j = 0; j < tp.out; ++j) {
        T* yj = yo + j * inner;
        const int64_t* s = tp.src.data() + j * tp.k;
        const T* wj = w.data() + j * tp.k;
        const int64_t n = tp.count(j);
        if (inner == 1) {
          T acc = 0;
          for (int64_t q = 0; q < n; ++q) acc += wj[q] * xo[s[q]];
          *yj = acc;
          continue;
        }
        std::fill(yj, yj + inner, T(0));
        for (int64_t q = 0; q < n; ++q) {
          const T* xs = xo + s[q] * inner;
          const T wq = wj[q];
          for (int64_t i = 0; i < inner; ++i) yj[i] += wq * xs[i];
        }
      }
    }
  });
}

/// dx [outer, taps.in, inner] = the transpose of resample_forward applied to dy.
template <class T>
void resample_backward(const ResampleTaps& tp, int64_t outer, int64_t inner, const T* dy, T* dx) {
  std::vector<T> w(tp.w.begin(), tp.w.end());
  detail::plane_runs(outer, tp.out * tp.k * inner, [&](int64_t first, int64_t last) {
    for (int64_t o = first; o < last; ++o) {
      T* xo = dx + o * tp.in * inner;
      const T* yo = dy + o * tp.out * inner;
      std::fill(xo, xo + tp.in * inner, T(0));
      for (int64_t j = 0; j < tp.out; ++j) {
        const T* yj = yo + j * inner;
        const int64_t* s = tp.src.data() + j * tp.k;
        const T* wj = w.data() + j * tp.k;
        for (int64_t q = 0, n = tp.count(j); q < n; ++q) {
          T* xs = xo + s[q] * inner;
          const T wq = wj[q];
          for (int64_t i = 0; i < inner; ++i) xs[i] += wq * yj[i];
        }
      }
    }
  });
}

}  // namespace tapegrad::kernels
