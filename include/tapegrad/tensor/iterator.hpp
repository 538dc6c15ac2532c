#pragma once
// The strided loop behind every elementwise op, copy and reduction: visit N
// operands of one (broadcast) shape, each with its own element strides, by
// calling `inner(base, n, inner_strides)` once per innermost row.
// Note [Coalescing]: size-1 dims are dropped and adjacent dims merged wherever
// every operand steps through them as one, so contiguous and many broadcast
// cases reduce to a few long rows, whose loops the compiler can vectorise.
#include <array>
#include <cstdint>

#include "../core/shape.hpp"
#include "tensor.hpp"

namespace tapegrad::detail {

/// Strides of `t` as seen when broadcast to `shape` (0 along broadcast dims).
/// The caller has checked that the shapes broadcast.
template <Element T>
Shape broadcast_strides(const Tensor<T>& t, const Shape& shape) {
  const int64_t n = shape.size(), k = t.dim();
  Shape st(n, 0);
  for (int64_t i = 0; i < k; ++i)
    if (t.sizes()[i] != 1) st[n - k + i] = t.strides()[i];
  return st;
}

template <size_t N>
using Offsets = std::array<int64_t, N>;

/// The row function behind for_each_strided: `ctx` is the caller's functor.
template <size_t N>
using RowFn = void (*)(const void* ctx, const Offsets<N>& base, int64_t n, const Offsets<N>& stride);

// Note [Type-erased loop nest]: the loop nest is compiled once per operand
// count N, out of line, and calls the op's row function through a pointer.
// Inlining it into every op (with the row loop in three places: one element,
// one row, the outer loops) made for_each_strided the largest single item in
// the compile time of every program at -O2. One indirect call per row costs
// nothing next to the row; contiguous operands never get here (map.hpp).
template <size_t N>
[[gnu::noinline]] void for_each_row(const Shape& shape, const std::array<Shape, N>& strides, RowFn<N> row,
                                    const void* ctx) {
  // Coalesce (Note [Coalescing]).
  Shape sz;
  std::array<Shape, N> st;
  for (int64_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) return;
    if (shape[d] == 1) continue;
    bool merge = !sz.empty();
    for (size_t k = 0; k < N && merge; ++k) merge = st[k].back() == strides[k][d] * shape[d];
    if (merge) {
      sz.back() *= shape[d];
      for (size_t k = 0; k < N; ++k) st[k].back() = strides[k][d];
    } else {
      sz.push_back(shape[d]);
      for (size_t k = 0; k < N; ++k) st[k].push_back(strides[k][d]);
    }
  }
  Offsets<N> base{};
  if (sz.empty()) {  // a single element
    row(ctx, base, int64_t{1}, Offsets<N>{});
    return;
  }
  const int64_t nd = sz.size(), n = sz[nd - 1];
  Offsets<N> inner_stride;
  for (size_t k = 0; k < N; ++k) inner_stride[k] = st[k][nd - 1];
  int64_t outer = 1;
  for (int64_t d = 0; d + 1 < nd; ++d) outer *= sz[d];
  Shape idx(nd, 0);
  for (int64_t o = 0; o < outer; ++o) {
    row(ctx, base, n, inner_stride);
    for (int64_t d = nd - 2; d >= 0; --d) {
      for (size_t k = 0; k < N; ++k) base[k] += st[k][d];
      if (++idx[d] < sz[d]) break;
      for (size_t k = 0; k < N; ++k) base[k] -= st[k][d] * sz[d];
      idx[d] = 0;
    }
  }
}

/// Calls `inner(base, n, inner_strides)` once per innermost row of `shape`,
/// with each operand's element offsets in `base` (Note [Type-erased loop nest]).
template <size_t N, class Inner>
void for_each_strided(const Shape& shape, const std::array<Shape, N>& strides, const Inner& inner) {
  for_each_row<N>(
      shape, strides,
      [](const void* ctx, const Offsets<N>& b, int64_t n, const Offsets<N>& s) {
        (*static_cast<const Inner*>(ctx))(b, n, s);
      },
      &inner);
}

}  // namespace tapegrad::detail
