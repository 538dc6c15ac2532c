#pragma once
// Pooling kernels on raw memory: planes of [h, w] (every (sample, channel) of
// an NCHW tensor is one plane) pooled to [oh, ow]. Max pooling records the
// winner's index within its input plane (iy * w + ix), as PyTorch's
// indices, so backward, max_unpool2d and adaptive max pooling share one
// scatter / gather.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "../core/parallel.hpp"
#include "../core/threads.hpp"

namespace tapegrad::kernels {

/// A pooling window: planes [h, w] -> [oh, ow], kernel kh x kw, stride,
/// top/left padding, dilation.
struct PoolGeometry {
  int64_t planes, h, w, oh, ow, kh, kw;
  int64_t sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
};

namespace detail {
/// f(first, last) over the planes [0, n), on several threads when there is
/// enough work (`per_plane` elements touched per plane).
template <class F>
void plane_runs(int64_t n, int64_t per_plane, F&& f) {
  const int nt = get_num_threads();
  if (nt <= 1 || n < 2 || n * per_plane < (int64_t(1) << 15)) return f(int64_t(0), n);
  const int64_t parts = std::min<int64_t>(nt, n), per = (n + parts - 1) / parts;
  tapegrad::detail::parallel_for(parts, static_cast<int>(parts),
                                 [&](int64_t t) { f(t * per, std::min(n, (t + 1) * per)); });
}
}  // namespace detail

/// y, idx [planes, oh, ow] = the max (NaN wins, as PyTorch) over each window of x.
template <class T>
void max_pool2d_forward(const PoolGeometry& g, const T* x, T* y, int64_t* idx) {
  detail::plane_runs(g.planes, g.oh * g.ow * g.kh * g.kw, [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p) {
      const T* xp = x + p * g.h * g.w;
      T* yp = y + p * g.oh * g.ow;
      int64_t* ip = idx + p * g.oh * g.ow;
      for (int64_t oy = 0; oy < g.oh; ++oy)
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          const int64_t y0 = oy * g.sh - g.ph, x0 = ox * g.sw - g.pw;
          T best = -std::numeric_limits<T>::infinity();
          int64_t at = std::max<int64_t>(y0, 0) * g.w + std::max<int64_t>(x0, 0);
          for (int64_t ki = 0; ki < g.kh; ++ki) {
            const int64_t iy = y0 + ki * g.dh;
            if (iy < 0 || iy >= g.h) continue;
            for (int64_t kj = 0; kj < g.kw; ++kj) {
              const int64_t ix = x0 + kj * g.dw;
              if (ix < 0 || ix >= g.w) continue;
              const T v = xp[iy * g.w + ix];
              if (v > best || std::isnan(v)) {
                best = v;
                at = iy * g.w + ix;
                if (std::isnan(v)) goto done;
              }
            }
          }
        done:
          yp[oy * g.ow + ox] = best;
          ip[oy * g.ow + ox] = at;
        }
    }
  });
}

/// dst [planes, dst_plane]: add (or assign) src [planes, src_plane] at the
/// positions idx [planes, src_plane]; dst is zeroed first. The backward of
/// max pooling (add) and max_unpool2d's forward (assign).
template <class T>
void scatter_planes(int64_t planes, int64_t src_plane, int64_t dst_plane, const T* src, const int64_t* idx, T* dst,
                    bool add) {
  detail::plane_runs(planes, src_plane + dst_plane, [&](int64_t first, int64_t last) {
    std::fill(dst + first * dst_plane, dst + last * dst_plane, T(0));
    for (int64_t p = first; p < last; ++p) {
      T* d = dst + p * dst_plane;
      const T* s = src + p * src_plane;
      const int64_t* ip = idx + p * src_plane;
      if (add)
        for (int64_t i = 0; i < src_plane; ++i) d[ip[i]] += s[i];
      else
        for (int64_t i = 0; i < src_plane; ++i) d[ip[i]] = s[i];
    }
  });
}

/// dst [planes, idx_plane] = src [planes, src_plane] read at idx (max_unpool2d's backward).
template <class T>
void gather_planes(int64_t planes, int64_t idx_plane, int64_t src_plane, const T* src, const int64_t* idx, T* dst) {
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < idx_plane; ++i) dst[p * idx_plane + i] = src[p * src_plane + idx[p * idx_plane + i]];
}

/// The divisor of one average-pooling window, as PyTorch: the window clipped
/// to the padded input (count_include_pad) or to the input, or the override.
struct AvgWindow {
  int64_t y0, y1, x0, x1;  // clipped to the input
  int64_t divisor;
};
inline AvgWindow avg_window(const PoolGeometry& g, int64_t oy, int64_t ox, bool count_include_pad,
                            int64_t divisor_override) {
  int64_t y0 = oy * g.sh - g.ph, x0 = ox * g.sw - g.pw;
  int64_t y1 = std::min(y0 + g.kh, g.h + g.ph), x1 = std::min(x0 + g.kw, g.w + g.pw);
  const int64_t padded = (y1 - y0) * (x1 - x0);
  y0 = std::max<int64_t>(y0, 0), x0 = std::max<int64_t>(x0, 0);
  y1 = std::min(y1, g.h), x1 = std::min(x1, g.w);
  const int64_t div = divisor_override != 0 ? divisor_override : count_include_pad ? padded : (y1 - y0) * (x1 - x0);
  return {y0, y1, x0, x1, div};
}

/// y [planes, oh, ow] = the mean over each window of x (no dilation).
template <class T>
void avg_pool2d_forward(const PoolGeometry& g, const T* x, T* y, bool count_include_pad, int64_t divisor_override) {
  detail::plane_runs(g.planes, g.oh * g.ow * g.kh * g.kw, [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p)
      for (int64_t oy = 0; oy < g.oh; ++oy)
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          const AvgWindow a = avg_window(g, oy, ox, count_include_pad, divisor_override);
          T acc(0);
          for (int64_t iy = a.y0; iy < a.y1; ++iy)
            for (int64_t ix = a.x0; ix < a.x1; ++ix) acc += x[(p * g.h + iy) * g.w + ix];
          y[(p * g.oh + oy) * g.ow + ox] = acc / static_cast<T>(a.divisor);
        }
  });
}

/// dx [planes, h, w] (overwritten) = the adjoint of avg_pool2d_forward on dy.
template <class T>
void avg_pool2d_backward(const PoolGeometry& g, const T* dy, T* dx, bool count_include_pad, int64_t divisor_override) {
  detail::plane_runs(g.planes, g.oh * g.ow * g.kh * g.kw, [&](int64_t first, int64_t last) {
    std::fill(dx + first * g.h * g.w, dx + last * g.h * g.w, T(0));
    for (int64_t p = first; p < last; ++p)
      for (int64_t oy = 0; oy < g.oh; ++oy)
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          const AvgWindow a = avg_window(g, oy, ox, count_include_pad, divisor_override);
          const T v = dy[(p * g.oh + oy) * g.ow + ox] / static_cast<T>(a.divisor);
          for (int64_t iy = a.y0; iy < a.y1; ++iy)
            for (int64_t ix = a.x0; ix < a.x1; ++ix) dx[(p * g.h + iy) * g.w + ix] += v;
        }
  });
}

/// Adaptive pooling's window along one dim: [floor(o i / out), ceil((o + 1) i / out)).
inline int64_t adaptive_start(int64_t o, int64_t in, int64_t out) { return o * in / out; }
inline int64_t adaptive_end(int64_t o, int64_t in, int64_t out) { return ((o + 1) * in + out - 1) / out; }

/// y [planes, oh, ow]: the mean (or max, with its index in idx) over each
/// adaptive window of x [planes, h, w]; idx is null for the mean.
template <class T>
void adaptive_pool2d_forward(int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow, const T* x, T* y,
                             int64_t* idx) {
  detail::plane_runs(planes, h * w + oh * ow, [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p)
      for (int64_t oy = 0; oy < oh; ++oy) {
        const int64_t y0 = adaptive_start(oy, h, oh), y1 = adaptive_end(oy, h, oh);
        for (int64_t ox = 0; ox < ow; ++ox) {
          const int64_t x0 = adaptive_start(ox, w, ow), x1 = adaptive_end(ox, w, ow);
          const T* xp = x + p * h * w;
          T acc = idx ? -std::numeric_limits<T>::infinity() : T(0);
          int64_t at = y0 * w + x0;
          for (int64_t iy = y0; iy < y1; ++iy)
            for (int64_t ix = x0; ix < x1; ++ix) {
              const T v = xp[iy * w + ix];
              if (!idx) acc += v;
              else if (v > acc || (std::isnan(v) && !std::isnan(acc))) acc = v, at = iy * w + ix;
            }
          const int64_t o = (p * oh + oy) * ow + ox;
          if (idx) y[o] = acc, idx[o] = at;
          else y[o] = acc / static_cast<T>((y1 - y0) * (x1 - x0));
        }
      }
  });
}

/// dx [planes, h, w] (overwritten) = the adjoint of the adaptive mean on dy.
template <class T>
void adaptive_avg_pool2d_backward(int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow, const T* dy, T* dx) {
  detail::plane_runs(planes, h * w + oh * ow, [&](int64_t first, int64_t last) {
    std::fill(dx + first * h * w, dx + last * h * w, T(0));
    for (int64_t p = first; p < last; ++p)
      for (int64_t oy = 0; oy < oh; ++oy) {
        const int64_t y0 = adaptive_start(oy, h, oh), y1 = adaptive_end(oy, h, oh);
        for (int64_t ox = 0; ox < ow; ++ox) {
          const int64_t x0 = adaptive_start(ox, w, ow), x1 = adaptive_end(ox, w, ow);
          const T v = dy[(p * oh + oy) * ow + ox] / static_cast<T>((y1 - y0) * (x1 - x0));
          for (int64_t iy = y0; iy < y1; ++iy)
            for (int64_t ix = x0; ix < x1; ++ix) dx[(p * h + iy) * w + ix] += v;
        }
      }
  });
}

}  // namespace tapegrad::kernels
