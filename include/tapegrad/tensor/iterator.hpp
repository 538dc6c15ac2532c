#pragma once
// The strided loop behind every elementwise op, copy and reduction: visit N
// operands of one (broadcast) shape, each with its own element strides, by
// calling `inner(base, n, inner_strides)` once per innermost row. Internal
// (namespace detail).
// Note [Coalescing]: size-1 dims are dropped and adjacent dims merged wherever
// every operand steps through them as one, so contiguous and many broadcast
// cases reduce to a few long rows, whose loops the compiler can vectorise.
#include <array>
#include <cstdint>

#include "../core/denormal.hpp"
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

/// The function behind for_each_strided: `rows` rows of n elements, row r of
/// operand k starting at base[k] + r * row_stride[k]; `ctx` is the caller's functor.
template <size_t N>
using RowsFn = void (*)(const void* ctx, const Offsets<N>& base, int64_t n, const Offsets<N>& stride, int64_t rows,
                        const Offsets<N>& row_stride);

// Note [Type-erased loop nest]: the loop nest is compiled once per operand
// count N, out of line, and calls the op's code through a pointer, once per
// block of the two innermost dims. Inlining the nest into every op (with the
// row loop in three places: one element, one row, the outer loops) made
// for_each_strided the largest single item in the compile time of every
// program at -O2. Handing over two dims rather than one row keeps the
// indirect call off short rows ([64, 10] + [10] is one call; one call per
// short row is a large part of the op). Contiguous operands never get here (map.hpp).
template <size_t N>
[[gnu::noinline]] void for_each_block(const Shape& shape, const std::array<Shape, N>& strides, RowsFn<N> fn,
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
  Offsets<N> base{}, inner_stride{}, row_stride{};
  const int64_t nd = sz.size();
  if (nd == 0) {  // a single element
    fn(ctx, base, int64_t{1}, inner_stride, int64_t{1}, row_stride);
    return;
  }
  const int64_t n = sz[nd - 1], rows = nd >= 2 ? sz[nd - 2] : 1;
  FlushDenormalScope flush(shape_numel(sz) >= kFlushMinElements);  // Note [Denormals] in core/denormal.hpp
  for (size_t k = 0; k < N; ++k) {
    inner_stride[k] = st[k][nd - 1];
    row_stride[k] = nd >= 2 ? st[k][nd - 2] : 0;
  }
  if (nd <= 2) {
    fn(ctx, base, n, inner_stride, rows, row_stride);
    return;
  }
  int64_t outer = 1;
  for (int64_t d = 0; d + 2 < nd; ++d) outer *= sz[d];
  Shape idx(nd, 0);
  for (int64_t o = 0; o < outer; ++o) {
    fn(ctx, base, n, inner_stride, rows, row_stride);
    for (int64_t d = nd - 3; d >= 0; --d) {
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
  for_each_block<N>(
      shape, strides,
      [](const void* ctx, const Offsets<N>& base, int64_t n, const Offsets<N>& s, int64_t rows,
         const Offsets<N>& rs) {
        const Inner& f = *static_cast<const Inner*>(ctx);
        Offsets<N> b = base;
        for (int64_t r = 0; r < rows; ++r) {
          f(b, n, s);
          for (size_t k = 0; k < N; ++k) b[k] += rs[k];
        }
      },
      &inner);
}

}  // namespace tapegrad::detail
