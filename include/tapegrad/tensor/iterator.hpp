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

// The coalesced loop nest of for_each_strided (Note [Coalescing]).
template <size_t N>
struct StridedPlan {
  bool none = false;         // a size-0 dim: nothing to visit
  Shape sz;                  // coalesced sizes; empty for a single element
  std::array<Shape, N> st;   // each operand's strides over sz
};

// Out of line and templated on N only: one copy per operand count rather than
// one per op and functor, which shortens the compile of every program (the
// call costs nothing next to an op).
template <size_t N>
[[gnu::noinline]] StridedPlan<N> plan_strided(const Shape& shape, const std::array<Shape, N>& strides) {
  StridedPlan<N> p;
  auto& sz = p.sz;
  auto& st = p.st;
  for (int64_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) {
      p.none = true;
      return p;
    }
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
  return p;
}

template <size_t N, class Inner>
void for_each_strided(const Shape& shape, const std::array<Shape, N>& strides, Inner&& inner) {
  const StridedPlan<N> p = plan_strided<N>(shape, strides);
  if (p.none) return;
  const auto& sz = p.sz;
  const auto& st = p.st;
  Offsets<N> base{};
  if (sz.empty()) {  // a single element
    inner(base, int64_t{1}, Offsets<N>{});
    return;
  }
  const int64_t nd = sz.size(), n = sz[nd - 1];
  Offsets<N> inner_stride;
  for (size_t k = 0; k < N; ++k) inner_stride[k] = st[k][nd - 1];
  if (nd == 1) {  // one row: the contiguous and the fully coalesced cases
    inner(base, n, inner_stride);
    return;
  }
  int64_t outer = 1;
  for (int64_t d = 0; d + 1 < nd; ++d) outer *= sz[d];
  Shape idx(nd, 0);
  for (int64_t o = 0; o < outer; ++o) {
    inner(base, n, inner_stride);
    for (int64_t d = nd - 2; d >= 0; --d) {
      for (size_t k = 0; k < N; ++k) base[k] += st[k][d];
      if (++idx[d] < sz[d]) break;
      for (size_t k = 0; k < N; ++k) base[k] -= st[k][d] * sz[d];
      idx[d] = 0;
    }
  }
}

}  // namespace tapegrad::detail
