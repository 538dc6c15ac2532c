#pragma once
// Normalization kernels on raw memory seen as planes: x [planes, plane], one
// plane per (sample, channel) of an [N, C, *] tensor. Batch, group and
// instance norm differ only in which planes share statistics, so the
// kernels work per plane and ops/normalization.hpp combines them.
//
// Note [Normalization as per-plane affine maps]: forward is y = scale[p] * x
// + shift[p] per plane p, and every backward is dx = a[p] * dy + b[p] * x +
// c[p]; the per-plane coefficients follow from a few per-plane sums (of dy
// and of dy * x), combined over the planes that share statistics. The two
// passes over the data in each direction are these kernels.
#include <algorithm>
#include <cstdint>

#include "pool.hpp"  // detail::plane_runs

namespace tapegrad::kernels {

/// mean[p] and m2[p] = sum (x - mean[p])^2 of each plane (two passes, in double).
template <class T>
void plane_stats(int64_t planes, int64_t plane, const T* x, double* mean, double* m2) {
  detail::plane_runs(planes, plane, [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p) {
      const T* xp = x + p * plane;
      double s = 0;
      for (int64_t i = 0; i < plane; ++i) s += static_cast<double>(xp[i]);
      const double m = plane > 0 ? s / static_cast<double>(plane) : 0.0;
      double q = 0;
      for (int64_t i = 0; i < plane; ++i) {
        const double d = static_cast<double>(xp[i]) - m;
        q += d * d;
      }
      mean[p] = m, m2[p] = q;
    }
  });
}

/// y[p, i] = scale[p] * x[p, i] + shift[p].
template <class T>
void plane_affine(int64_t planes, int64_t plane, const T* x, const T* scale, const T* shift, T* y) {
  detail::plane_runs(planes, plane, [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p) {
      const T a = scale[p], b = shift[p];
      const T* xp = x + p * plane;
      T* yp = y + p * plane;
      for (int64_t i = 0; i < plane; ++i) yp[i] = a * xp[i] + b;
    }
  });
}

/// sum_dy[p] = sum dy[p, :], sum_dyx[p] = sum dy[p, :] * x[p, :] (in double).
template <class T>
void plane_grad_sums(int64_t planes, int64_t plane, const T* dy, const T* x, double* sum_dy, double* sum_dyx) {
  detail::plane_runs(planes, plane, [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p) {
      const T* d = dy + p * plane;
      const T* xp = x + p * plane;
      double s = 0, sx = 0;
      for (int64_t i = 0; i < plane; ++i) {
        s += static_cast<double>(d[i]);
        sx += static_cast<double>(d[i]) * static_cast<double>(xp[i]);
      }
      sum_dy[p] = s, sum_dyx[p] = sx;
    }
  });
}

/// dx[p, i] = a[p] * dy[p, i] + b[p] * x[p, i] + c[p].
template <class T>
void plane_affine2(int64_t planes, int64_t plane, const T* dy, const T* x, const T* a, const T* b, const T* c,
                   T* dx) {
  detail::plane_runs(planes, plane, [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p) {
      const T ap = a[p], bp = b[p], cp = c[p];
      const T* d = dy + p * plane;
      const T* xp = x + p * plane;
      T* o = dx + p * plane;
      for (int64_t i = 0; i < plane; ++i) o[i] = ap * d[i] + bp * xp[i] + cp;
    }
  });
}

}  // namespace tapegrad::kernels
