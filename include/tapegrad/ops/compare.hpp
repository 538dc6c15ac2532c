#pragma once
// Whole-tensor comparisons: isclose, allclose (PyTorch's tolerances) and equal.
#include <cmath>

#include "reduce.hpp"

namespace tapegrad {

/// isclose(a, b): |a - b| <= atol + rtol * |b| elementwise (b is the
/// reference, as in PyTorch), computed in float (double for double tensors);
/// infinities are close only to themselves, NaN only to NaN and only with
/// equal_nan.
template <Element A, Element B>
Tensor<bool> isclose(const Tensor<A>& a, const Tensor<B>& b, double rtol = 1e-5,
                     double atol = 1e-8, bool equal_nan = false) {
  static_assert(std::is_same_v<A, B>,
                "isclose/allclose: both tensors must have the same dtype (as PyTorch); convert "
                "one with .to<T>()");
  TAPEGRAD_CHECK(rtol >= 0 && atol >= 0, ValueError,
                 "isclose: rtol and atol must be non-negative, got rtol=", rtol, " atol=", atol);
  return detail::map2<bool, A>(
      a, b,
      [=](A x, A y) {
        if (x == y) return true;
        if constexpr (FloatingElement<A>) {
          if (x != x || y != y) return equal_nan && x != x && y != y;
          if (std::isinf(x) || std::isinf(y)) return false;
        }
        // in float as PyTorch (integers and bool converted first), double for double
        using F = std::conditional_t<std::is_same_v<A, double>, double, float>;
        const F actual = std::abs(static_cast<F>(x) - static_cast<F>(y));
        return actual <= static_cast<F>(atol) + std::abs(static_cast<F>(rtol) * static_cast<F>(y));
      },
      "isclose");
}

/// allclose(a, b): every element isclose; shapes must broadcast.
template <Element A, Element B>
bool allclose(const Tensor<A>& a, const Tensor<B>& b, double rtol = 1e-5, double atol = 1e-8,
              bool equal_nan = false) {
  auto c = isclose(a, b, rtol, atol, equal_nan);
  const bool* p = c.data_ptr();
  return std::all_of(p, p + c.numel(), [](bool v) { return v; });
}

/// equal(a, b): same shape and exactly the same elements (NaN != NaN).
template <Element A, Element B>
bool equal(const Tensor<A>& a, const Tensor<B>& b) {
  if (!(a.sizes() == b.sizes())) return false;
  auto c = eq(a, b);
  const bool* p = c.data_ptr();
  return std::all_of(p, p + c.numel(), [](bool v) { return v; });
}

}  // namespace tapegrad
