#pragma once
// Vector norms: linalg::vector_norm and norm (p = 1, 2, inf, -inf, 0 or any
// p, over dims), dist, cdist (p = 2). Gradients as PyTorch's norm_backward:
// 0, not NaN, where the norm is 0 (and, for p < 1, where an element is 0).
#include <cmath>
#include <limits>

#include "reduce_extra.hpp"

namespace tapegrad {

namespace linalg {
/// vector_norm(x, ord, dims, keepdim): (sum |x|^ord)^(1/ord) over dims (all
/// for {}); ord inf / -inf: max / min |x|; ord 0: the count of non-zeros.
/// Floating tensors only (as PyTorch).
template <Element T>
Tensor<T> vector_norm(const Tensor<T>& x, double ord = 2, const Shape& dims = {}, bool keepdim = false) {
  static_assert(FloatingElement<T>,
                "linalg::vector_norm/norm: expected a floating tensor (as PyTorch); convert with to<float>()");
  if constexpr (FloatingElement<T>) {
    const auto mask = detail::reduce_mask(dims, x.dim(), "linalg.vector_norm");
    const bool inf = std::isinf(ord);
    if (inf || ord < 0)  // no identity: PyTorch refuses a reduction over an empty dim (ord 0..inf: 0)
      TAPEGRAD_CHECK(detail::reduced_count(x, mask) > 0, IndexError, "linalg.vector_norm: cannot compute the ", ord,
                     " norm on an empty tensor because the operation does not have an identity");
    Tensor<T> out;
    {
      NoGradGuard no_record;  // recorded below as one op
      const auto xd = x.detach();
      if (inf) out = detail::extreme_dims<T, true>(abs(xd), mask, keepdim);
      if (inf && ord < 0) out = detail::extreme_dims<T, false>(abs(xd), mask, keepdim);
      else if (ord == 0) out = detail::sum_impl(detail::map1<T, T>(xd, [](T v) { return v != T(0) ? T(1) : T(0); }), mask, keepdim);
      else if (ord == 1) out = detail::sum_impl(abs(xd), mask, keepdim);
      else if (ord == 2) out = sqrt(detail::sum_impl(mul(xd, xd), mask, keepdim));
      else if (!inf) out = pow(detail::sum_impl(pow(abs(xd), ord), mask, keepdim), 1.0 / ord);
    }
    if (autograd::needs_grad(x))
      autograd::record(out, "LinalgVectorNormBackward0", [sx = autograd::save(x), so = autograd::save(out), mask, keepdim, ord](const Tensor<T>& g, autograd::Needs) {
        const auto& xv = sx.get();
        const auto n = detail::expand_reduced(so.get(), xv.sizes(), mask, keepdim);
        const auto ge = detail::expand_reduced(g, xv.sizes(), mask, keepdim);
        const T p = static_cast<T>(ord);
        if (ord == 0) return autograd::Grads<T>{zeros<T>(xv.sizes()), {}, {}};
        if (std::isinf(ord)) {  // shared evenly by the elements at the extreme, with x's sign
          auto hit = detail::map2<T, T>(xv, n, [](T v, T m) { return std::abs(v) == m ? T(1) : T(0); }, "backward");
          auto count = detail::expand_reduced(detail::sum_impl(hit, mask, keepdim), xv.sizes(), mask, keepdim);
          auto share = detail::map3<T, T>(hit, ge, count, [](T h, T gv, T c) { return h != T(0) ? gv / c : T(0); }, "backward");
          return autograd::Grads<T>{mul(share, sign(xv)), {}, {}};
        }
        auto sgn = [](T v) { return static_cast<T>((T(0) < v) - (v < T(0))); };
        // d/dx (sum |x|^p)^(1/p) = sign(x) |x|^(p-1) / norm^(p-1)
        auto dx = detail::map2<T, T>(xv, n, [p, sgn](T v, T m) {
          if (p == T(1)) return sgn(v);
          if (p < T(1)) return v == T(0) ? T(0) : sgn(v) * std::pow(std::abs(v), p - T(1)) * std::pow(m, T(1) - p);
          if (m == T(0)) return T(0);
          return p == T(2) ? v / m : v * std::pow(std::abs(v), p - T(2)) / std::pow(m, p - T(1));
        }, "backward");
        return autograd::Grads<T>{mul(ge, dx), {}, {}};
      }, x);
    return out;
  }
}
}  // namespace linalg

/// norm(x, p, dims, keepdim): linalg::vector_norm (torch.norm with a number p),
/// except that an empty reduction is 0 for every p, as torch.norm's.
template <Element T>
Tensor<T> norm(const Tensor<T>& x, double p = 2, const Shape& dims = {}, bool keepdim = false) {
  if ((std::isinf(p) || p < 0) && detail::reduced_count(x, detail::reduce_mask(dims, x.dim(), "norm")) == 0)
    return autograd::renamed(sum(abs(x), dims, keepdim), "NormBackward1");  // zeros of the result's shape (vector_norm refuses these ords here)
  return autograd::renamed(linalg::vector_norm(x, p, dims, keepdim), "NormBackward1");
}
template <Element T>
Tensor<T> Tensor<T>::norm(double p, const Shape& dims, bool keepdim) const { return tapegrad::norm(*this, p, dims, keepdim); }

/// dist(a, b, p): the p-norm of a - b (broadcast) -> 0-d.
template <Element A, Element B>
Tensor<promote_t<A, B>> dist(const Tensor<A>& a, const Tensor<B>& b, double p = 2) {
  return autograd::renamed(linalg::vector_norm(sub(a, b), p), "DistBackward0");
}

/// cdist(x1, x2, p): distances between the rows: [.., P, M] and [.., R, M]
/// -> [.., P, R] (batch dims broadcast); computed from the differences, so
/// a zero distance has gradient 0. One dtype, floating.
template <Element T, Element U>
Tensor<T> cdist(const Tensor<T>& x1, const Tensor<U>& x2, double p = 2) {
  static_assert(FloatingElement<T> && std::is_same_v<T, U>,
                "cdist: both inputs must be floating tensors of one dtype (as PyTorch)");
  if constexpr (FloatingElement<T> && std::is_same_v<T, U>) {
    TAPEGRAD_CHECK(x1.dim() >= 2 && x2.dim() >= 2, ShapeError, "cdist: only supports at least 2D tensors, got ",
                   x1.sizes(), " and ", x2.sizes());
    TAPEGRAD_CHECK(x1.sizes().back() == x2.sizes().back(), ShapeError,
                   "cdist: X1 and X2 must have the same number of columns, got ", x1.sizes(), " and ", x2.sizes());
    TAPEGRAD_CHECK(p >= 0, ValueError, "cdist: only supports non-negative p values, got ", p);
    return autograd::renamed(linalg::vector_norm(sub(x1.unsqueeze(-2), x2.unsqueeze(-3)), p, {-1}), "CdistBackward0");
  }
}

}  // namespace tapegrad
