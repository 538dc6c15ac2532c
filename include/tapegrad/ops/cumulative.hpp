#pragma once
// Scans along a dim: cumsum, cumprod, cummax, cummin, logcumsumexp, each with
// its backward. Rows are walked contiguously (ops/sort.hpp's rows_along).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "sort.hpp"

namespace tapegrad {

namespace detail {
// A scan: acc = step(acc, x[j]), out[j] = acc, from acc = x[0]. float32
// rows accumulate in double, as PyTorch's CPU scans (acc_type), rounding each
// output once.
template <class R>
using scan_acc_t = std::conditional_t<std::is_same_v<R, float>, double, R>;
// Note [Scans across rows]: a row's scan is a chain of dependent steps
// (each add waits for the previous one), so one row at a time runs at the
// step's latency. kScanRows rows advance side by side instead: their chains
// are independent and overlap. When the accumulator type differs from the
// input's or output's (float rows in double), the conversions, not the adds,
// bound the loop; they go through a small buffer, converted a chunk at a
// time in loops the compiler vectorises, and the steps run on the buffer.
// Each row still steps in its own order from its own first element, so
// every output is the same value, bit for bit.
inline constexpr int64_t kScanRows = 4;
template <int64_t G, class A, Element R, Element T, class Step>
void scan_block(const T* in, R* o, int64_t n, const Step& step) {
  constexpr bool convert = !std::is_same_v<A, T> || !std::is_same_v<A, R>;
  constexpr int64_t kChunk = convert ? 256 : 1;
  A acc[G];
  for (int64_t b = 0; b < G; ++b) acc[b] = static_cast<A>(in[b * n]);
  for (int64_t j0 = 0; j0 < n; j0 += kChunk) {
    if constexpr (convert) {
      const int64_t m = std::min(kChunk, n - j0);
      A buf[G][kChunk];
      for (int64_t b = 0; b < G; ++b)
        for (int64_t j = 0; j < m; ++j) buf[b][j] = static_cast<A>(in[b * n + j0 + j]);
      for (int64_t j = j0 == 0 ? 1 : 0; j < m; ++j)
        for (int64_t b = 0; b < G; ++b) buf[b][j] = acc[b] = step(acc[b], buf[b][j]);
      for (int64_t b = 0; b < G; ++b)
        for (int64_t j = 0; j < m; ++j) o[b * n + j0 + j] = static_cast<R>(buf[b][j]);
    } else {
      for (int64_t b = 0; b < G; ++b)
        o[b * n + j0] = j0 == 0 ? acc[b] : (acc[b] = step(acc[b], static_cast<A>(in[b * n + j0])));
    }
  }
}
// Note [Float sums across rows]: cumsum of float rows, eight rows at a
// time, keeps the eight rows' double sums in one vector: eight columns of the
// eight rows are transposed in registers (kernels::transpose8), converted to
// double and added column by column, then converted back and transposed
// again. Each row still adds its own elements in order from its first, in
// double, and rounds each output once: the same values, bit for bit.
inline void cumsum_f32_rows8(const float* in, float* o, int64_t n) {
  typedef float F8 __attribute__((vector_size(32)));
  typedef double D8 __attribute__((vector_size(64)));
  D8 acc{};
  const int64_t n8 = n / 8 * 8;
  for (int64_t j0 = 0; j0 < n8; j0 += 8) {
    F8 r[8];
    const auto load = [&](int64_t l) { std::memcpy(&r[l], in + l * n + j0, sizeof(F8)); };
    const auto add = [&](int64_t c) {
      const D8 d = __builtin_convertvector(r[c], D8);
      acc = j0 + c == 0 ? d : acc + d;
      r[c] = __builtin_convertvector(acc, F8);
    };
    const auto store = [&](int64_t l) { std::memcpy(o + l * n + j0, &r[l], sizeof(F8)); };
    // (written out: GCC 12 at -O2 leaves such loops rolled, r in memory)
    load(0), load(1), load(2), load(3), load(4), load(5), load(6), load(7);
    kernels::transpose8(r);
    add(0), add(1), add(2), add(3), add(4), add(5), add(6), add(7);
    kernels::transpose8(r);
    store(0), store(1), store(2), store(3), store(4), store(5), store(6), store(7);
  }
  for (int64_t j = n8; j < n; ++j)
    for (int64_t l = 0; l < 8; ++l) {
      const double d = static_cast<double>(in[l * n + j]);
      acc[l] = j == 0 ? d : acc[l] + d;
      o[l * n + j] = static_cast<float>(acc[l]);
    }
}
// out row = scan of the x row (Note [Scans across rows]); x and out have x's
// shape (dim moved last inside). kSum: step is the sum (float rows take
// Note [Float sums across rows]).
template <Element R, bool kSum = false, Element T, class Step>
Tensor<R> scan_rows(const Tensor<T>& x, int64_t dim, const Step& step) {
  auto xr = rows_along(x, dim);
  auto out = make_empty<R>(xr.sizes());
  const int64_t n = xr.dim() ? xr.sizes().back() : 1;
  const int64_t rows = n ? xr.numel() / n : 0;
  const T* px = xr.data_ptr();
  R* po = out.data_ptr();
  using A = scan_acc_t<R>;
  if constexpr (kSum && std::is_same_v<T, float> && std::is_same_v<R, float>) {
    if (rows >= 8) {
      for (int64_t next = 0; next < rows; next += 8) {  // the last 8 overlap as below
        const int64_t r = std::min(next, rows - 8);
        cumsum_f32_rows8(px + r * n, po + r * n, n);
      }
      return rows_back(out, dim);
    }
  }
  if (rows >= kScanRows) {
    // the last block ends at the last row, overlapping the one before (its
    // rows are written twice, with the same values) rather than leaving a tail
    for (int64_t next = 0; next < rows; next += kScanRows) {
      const int64_t r = std::min(next, rows - kScanRows);
      scan_block<kScanRows, A>(px + r * n, po + r * n, n, step);
    }
  } else {
    for (int64_t r = 0; r < rows; ++r) scan_block<1, A>(px + r * n, po + r * n, n, step);
  }
  return rows_back(out, dim);
}
// A backward over rows: fn(g row, a row, b row, out row, n) with g, a, b of
// the input's shape (dim moved last), writing the gradient row.
template <FloatingElement T, class Fn>
Tensor<T> backward_rows(const Tensor<T>& g, const Tensor<T>& a, const Tensor<T>& b, int64_t dim, const Fn& fn) {
  auto gr = rows_along(g, dim), ar = rows_along(a, dim), br = rows_along(b, dim);
  auto out = make_empty<T>(gr.sizes());
  const int64_t n = gr.dim() ? gr.sizes().back() : 1;
  const int64_t rows = n ? gr.numel() / n : 0;
  for (int64_t r = 0; r < rows; ++r)
    fn(gr.data_ptr() + r * n, ar.data_ptr() + r * n, br.data_ptr() + r * n, out.data_ptr() + r * n, n);
  return rows_back(out, dim);
}
inline int64_t scan_dim(int64_t dim, int64_t ndim, const char* op) {
  const int64_t d = wrap_dim(dim, ndim, op);
  return ndim == 0 ? 0 : d;
}
}  // namespace detail

/// cumsum(x, dim): running sums along dim, x's shape; integers and bool in int64.
template <Element T>
Tensor<sum_t<T>> cumsum(const Tensor<T>& x, int64_t dim) {
  using R = sum_t<T>;
  dim = detail::scan_dim(dim, x.dim(), "cumsum");
  auto out = detail::scan_rows<R, true>(x, dim, [](auto a, auto b) { return detail::wrap_add(a, b); });
  if constexpr (FloatingElement<T>) {
    // d/dx_k = sum of g_j for j >= k: a reversed running sum
    if (autograd::needs_grad(x))
      autograd::record(out, "CumsumBackward0", [dim](const Tensor<T>& g, autograd::Needs) {
        return autograd::Grads<T>{detail::backward_rows(g, g, g, dim, [](const T* gr, const T*, const T*, T* o, int64_t n) {
          T acc(0);
          for (int64_t j = n - 1; j >= 0; --j) o[j] = acc += gr[j];
        }), {}, {}};
      }, x);
  }
  return out;
}
/// cumprod(x, dim): running products along dim; integers and bool in int64.
template <Element T>
Tensor<sum_t<T>> cumprod(const Tensor<T>& x, int64_t dim) {
  using R = sum_t<T>;
  dim = detail::scan_dim(dim, x.dim(), "cumprod");
  auto out = detail::scan_rows<R>(x, dim, [](auto a, auto b) { return detail::wrap_mul(a, b); });
  if constexpr (FloatingElement<T>) {
    // d/dx_k = prod(x_i, i < k) * R_k with R_k = g_k + x_{k+1} R_{k+1}: the
    // products of the other elements, without dividing (exact with zeros)
    if (autograd::needs_grad(x))
      autograd::record(out, "CumprodBackward0", [sx = autograd::save(x), dim](const Tensor<T>& g, autograd::Needs) {
        return autograd::Grads<T>{detail::backward_rows(g, sx.get(), sx.get(), dim, [](const T* gr, const T* xr, const T*, T* o, int64_t n) {
          T acc(0);
          for (int64_t k = n - 1; k >= 0; --k) o[k] = acc = gr[k] + (k + 1 < n ? xr[k + 1] * acc : T(0));
          T prefix(1);
          for (int64_t k = 0; k < n; ++k) {
            o[k] *= prefix;
            prefix *= xr[k];
          }
        }), {}, {}};
      }, x);
  }
  return out;
}

namespace detail {
// cummax/cummin: a later equal value, or any NaN, takes over (PyTorch's
// `x >= best || isnan(x)`), so NaN propagates with the index of the latest NaN.
template <Element T, bool IsMax>
ValuesIndices<T> cum_extreme(const Tensor<T>& x, int64_t dim, const char* op, const char* backward) {
  dim = scan_dim(dim, x.dim(), op);
  auto r = per_row(x, dim, x.dim() ? x.sizes()[dim] : 1, [](const T* row, int64_t n, T* v, int64_t* ix) {
    T best = row[0];
    int64_t at = 0;
    for (int64_t j = 0; j < n; ++j) {
      const T e = row[j];
      if ((IsMax ? e >= best : e <= best) || e != e) {
        best = e;
        at = j;
      }
      v[j] = best;
      ix[j] = at;
    }
  });
  record_pick(r, x, dim, true, backward);
  return r;
}
}  // namespace detail

/// cummax(x, dim), cummin(x, dim): running maxima/minima and their indices.
template <Element T>
ValuesIndices<T> cummax(const Tensor<T>& x, int64_t dim) {
  return detail::cum_extreme<T, true>(x, dim, "cummax", "CummaxBackward0");
}
template <Element T>
ValuesIndices<T> cummin(const Tensor<T>& x, int64_t dim) {
  return detail::cum_extreme<T, false>(x, dim, "cummin", "CumminBackward0");
}

/// logcumsumexp(x, dim): log(cumsum(exp(x))) without overflow; floating only.
template <Element T>
Tensor<T> logcumsumexp(const Tensor<T>& x, int64_t dim) {
  static_assert(FloatingElement<T>, "logcumsumexp: only floating tensors are supported (as PyTorch)");
  if constexpr (FloatingElement<T>) {
    dim = detail::scan_dim(dim, x.dim(), "logcumsumexp");
    // log(exp(a) + exp(b)) from the larger; equal infinities stay as they are
    auto out = detail::scan_rows<T>(x, dim, [](auto a, auto b) {
      const auto lo = std::min(a, b), hi = std::max(a, b);
      if (a != a || b != b) return a + b;
      if (lo != hi || std::isfinite(lo)) return hi + std::log1p(std::exp(lo - hi));
      return a;
    });
    // d/dx_k = sum_{j >= k} g_j exp(x_k - out_j) = exp(x_k - out_k) B_k with
    // B_k = g_k + exp(out_k - out_{k+1}) B_{k+1}: every exp is of a value <= 0
    if (autograd::needs_grad(x))
      autograd::record(out, "LogcumsumexpBackward0", [sx = autograd::save(x), so = autograd::save(out), dim](const Tensor<T>& g, autograd::Needs) {
        return autograd::Grads<T>{detail::backward_rows(g, sx.get(), so.get(), dim, [](const T* gr, const T* xr, const T* orow, T* o, int64_t n) {
          const T ninf = -std::numeric_limits<T>::infinity();
          T acc(0);
          for (int64_t k = n - 1; k >= 0; --k) {
            const T carry = k + 1 < n && orow[k] != ninf ? std::exp(orow[k] - orow[k + 1]) * acc : T(0);
            acc = gr[k] + carry;
            o[k] = xr[k] == ninf ? T(0) : std::exp(xr[k] - orow[k]) * acc;
          }
        }), {}, {}};
      }, x);
    return out;
  }
}

template <Element T> Tensor<sum_t<T>> Tensor<T>::cumsum(int64_t d) const { return tapegrad::cumsum(*this, d); }
template <Element T> Tensor<sum_t<T>> Tensor<T>::cumprod(int64_t d) const { return tapegrad::cumprod(*this, d); }
template <Element T> ValuesIndices<T> Tensor<T>::cummax(int64_t d) const { return tapegrad::cummax(*this, d); }
template <Element T> ValuesIndices<T> Tensor<T>::cummin(int64_t d) const { return tapegrad::cummin(*this, d); }
template <Element T> Tensor<T> Tensor<T>::logcumsumexp(int64_t d) const { return tapegrad::logcumsumexp(*this, d); }

}  // namespace tapegrad
