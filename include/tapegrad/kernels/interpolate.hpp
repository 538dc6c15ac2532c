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
/// src[j * k + t] with weight w[j * k + t], t < k.
struct ResampleTaps {
  int64_t in = 0, out = 0, k = 1;
  std::vector<int64_t> src;
  std::vector<double> w;
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
        if (inner == 1) {
          T acc = 0;
          for (int64_t q = 0; q < tp.k; ++q) acc += wj[q] * xo[s[q]];
          *yj = acc;
          continue;
        }
        std::fill(yj, yj + inner, T(0));
        for (int64_t q = 0; q < tp.k; ++q) {
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
        for (int64_t q = 0; q < tp.k; ++q) {
          T* xs = xo + s[q] * inner;
          const T wq = wj[q];
          for (int64_t i = 0; i < inner; ++i) xs[i] += wq * yj[i];
        }
      }
    }
  });
}

}  // namespace tapegrad::kernels
