#pragma once
// Reductions beyond ops/reduce.hpp: amax/amin over dims (the gradient shared
// by ties), aminmax, logsumexp over a list of dims, nansum/nanmean,
// count_nonzero, all/any over dims, std_mean/var_mean, and argmax/argmin
// with keepdim but no dim. Shapes and dtypes as PyTorch's.
#include <cmath>
#include <limits>
#include <optional>
#include <tuple>

#include "arith.hpp"
#include "reduce.hpp"

namespace tapegrad {

namespace detail {
template <Element T>
void check_nonempty_reduction(const Tensor<T>& x, const std::vector<bool>& mask, const char* op) {
  for (int64_t d = 0; d < x.dim(); ++d)
    TAPEGRAD_CHECK(!mask[static_cast<size_t>(d)] || x.sizes()[d] > 0, IndexError, op,
                   ": expected reduction dim ", d, " to have non-zero size (shape ", x.sizes(), ")");
}

// amax/amin over the masked dims, NaN propagating.
template <Element T, bool IsMax>
Tensor<T> extreme_dims(const Tensor<T>& x, const std::vector<bool>& mask, bool keepdim) {
  using L = std::numeric_limits<T>;
  const T init = IsMax ? (L::has_infinity ? -L::infinity() : L::lowest()) : (L::has_infinity ? L::infinity() : L::max());
  return reduce<T>(x, mask, keepdim, init, [](T a, T b) { return IsMax ? max_nan(a, b) : min_nan(a, b); });
}

// The gradient of amax/amin: g shared evenly by the elements of each group
// equal to its result (NaN equal to NaN), as PyTorch.
template <FloatingElement T>
void record_extreme_dims(const Tensor<T>& out, const Tensor<T>& x, const std::vector<bool>& mask, bool keepdim,
                         const char* name) {
  autograd::record(out, name, [sx = autograd::save(x), so = autograd::save(out), mask, keepdim](const Tensor<T>& g, autograd::Needs) {
    const auto& xv = sx.get();
    auto hit = map2<T, T>(xv, expand_reduced(so.get(), xv.sizes(), mask, keepdim),
                          [](T v, T m) { return v == m || (v != v && m != m) ? T(1) : T(0); }, "backward");
    auto count = expand_reduced(sum_impl(hit, mask, keepdim), xv.sizes(), mask, keepdim);
    return autograd::Grads<T>{map3<T, T>(hit, expand_reduced(g, xv.sizes(), mask, keepdim), count,
                                         [](T h, T gv, T c) { return h != T(0) ? gv / c : T(0); }, "backward"),
                              {}, {}};
  }, x);
}

template <Element T, bool IsMax>
Tensor<T> amax_amin(const Tensor<T>& x, const Shape& dims, bool keepdim, const char* op, const char* backward) {
  auto mask = reduce_mask(dims, x.dim(), op);
  check_nonempty_reduction(x, mask, op);
  auto out = extreme_dims<T, IsMax>(x, mask, keepdim);
  if constexpr (FloatingElement<T>)
    if (autograd::needs_grad(x)) record_extreme_dims(out, x, mask, keepdim, backward);
  return out;
}

// A reduction's result when x is uint8: uint8, else bool (PyTorch's all/any).
template <Element T>
using logical_reduce_t = std::conditional_t<std::is_same_v<T, uint8_t>, uint8_t, bool>;
}  // namespace detail

/// amax(x, dims, keepdim): the largest values over dims (all for {}); NaN
/// propagates; the gradient is shared evenly by ties.
template <Element T>
Tensor<T> amax(const Tensor<T>& x, const Shape& dims = {}, bool keepdim = false) {
  return detail::amax_amin<T, true>(x, dims, keepdim, "amax", "AmaxBackward0");
}
template <Element T>
Tensor<T> amin(const Tensor<T>& x, const Shape& dims = {}, bool keepdim = false) {
  return detail::amax_amin<T, false>(x, dims, keepdim, "amin", "AminBackward0");
}

/// What aminmax returns.
template <Element T>
struct MinMax {
  Tensor<T> min;
  Tensor<T> max;
};
/// aminmax(x, dim, keepdim): amin and amax at once (over all elements
/// without a dim). As in PyTorch, it has no derivative: backward through it
/// throws.
template <Element T>
MinMax<T> aminmax(const Tensor<T>& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false) {
  const Shape dims = dim ? Shape{*dim} : Shape{};
  auto mask = detail::reduce_mask(dims, x.dim(), "aminmax");
  TAPEGRAD_CHECK(x.numel() > 0 || (dim && x.dim() > 0 && x.sizes()[wrap_dim(*dim, x.dim(), "aminmax")] > 0),
                 IndexError, "aminmax: cannot compute aminmax over an empty dimension as the operation has no identity "
                             "(shape ", x.sizes(), ")");
  MinMax<T> r{detail::extreme_dims<T, false>(x, mask, keepdim), detail::extreme_dims<T, true>(x, mask, keepdim)};
  if constexpr (FloatingElement<T>) {
    if (autograd::needs_grad(x)) {
      auto fail = [](const Tensor<T>&, autograd::Needs) -> autograd::Grads<T> {
        throw ValueError("aminmax: the derivative for aminmax is not implemented (as PyTorch); use amin and amax");
      };
      autograd::record(r.min, "AminmaxBackward0", fail, x);
      autograd::record(r.max, "AminmaxBackward0", fail, x);
    }
  }
  return r;
}

/// logsumexp(x, dims, keepdim): log(sum(exp(x))) over dims (all for {})
/// without overflow; integers in float32.
template <Element T>
Tensor<to_floating_t<T>> logsumexp(const Tensor<T>& x, const Shape& dims, bool keepdim = false) {
  using R = to_floating_t<T>;
  if (dims.size() == 1) return logsumexp(x, dims[0], keepdim);
  if constexpr (!FloatingElement<T>) {
    return logsumexp(x.template to<R>(), dims, keepdim);
  } else {
    auto mask = detail::reduce_mask(dims, x.dim(), "logsumexp");
    // composed of recorded ops around a constant shift m (the max, 0 where
    // it is infinite: Note [Stable softmax])
    Tensor<T> m;
    if (x.numel() == 0) {
      m = zeros<T>(detail::reduced_shape(x.sizes(), mask, true));
    } else {
      NoGradGuard no_record;
      m = detail::extreme_dims<T, true>(x.detach(), mask, true);
      detail::map1_<T>(m, [](T v) { return std::isinf(v) ? T(0) : v; }, "logsumexp");
    }
    auto out = add(log(sum(exp(sub(x, m)), dims, true)), m);
    return keepdim ? out : out.reshape(detail::reduced_shape(x.sizes(), mask, false));
  }
}

/// nansum(x, dims, keepdim): sum with NaN counted as 0 (integers: sum).
template <Element T>
Tensor<sum_t<T>> nansum(const Tensor<T>& x, const Shape& dims = {}, bool keepdim = false) {
  if constexpr (!FloatingElement<T>) {
    return sum(x, dims, keepdim);
  } else {
    auto mask = detail::reduce_mask(dims, x.dim(), "nansum");
    Tensor<T> out;
    {
      NoGradGuard no_record;  // recorded below as one op
      out = sum(where(isnan(x), T(0), x), dims, keepdim);
    }
    // The gradient is g * (x is not NaN), a product as PyTorch's: an infinite
    // or NaN g gives NaN at the NaN elements too (nanmean of an all-NaN slice
    // divides g by a count of 0), where selecting 0 would hide it.
    if (autograd::needs_grad(x))
      detail::record_reduction(out, "NansumBackward0", x, mask, keepdim, [sx = autograd::save(x)](const Tensor<T>& g) {
        return mul(g, logical_not(isnan(sx.get())));
      });
    return out;
  }
}
/// nanmean(x, dims, keepdim): the mean of the non-NaN elements (NaN if none).
template <Element T>
Tensor<T> nanmean(const Tensor<T>& x, const Shape& dims = {}, bool keepdim = false) {
  static_assert(FloatingElement<T>, "nanmean: expected a floating tensor (as PyTorch); convert with to<float>()");
  if constexpr (FloatingElement<T>) {
    Tensor<T> count;
    {
      NoGradGuard no_record;
      count = sum(logical_not(isnan(x)), dims, keepdim).template to<T>();
    }
    return div(nansum(x, dims, keepdim), count);
  }
}

/// count_nonzero(x, dims): the number of non-zero elements over dims -> int64.
template <Element T>
Tensor<int64_t> count_nonzero(const Tensor<T>& x, const Shape& dims = {}) {
  auto mask = detail::reduce_mask(dims, x.dim(), "count_nonzero");
  return detail::sum_impl(detail::map1<bool, T>(x, [](T v) { return v != T(0); }), mask, false);
}

/// all(x, dims, keepdim), any(x, dims, keepdim): whether every / some
/// element over dims is non-zero (NaN is); bool, or uint8 for uint8 x.
template <Element T>
Tensor<detail::logical_reduce_t<T>> all(const Tensor<T>& x, const Shape& dims = {}, bool keepdim = false) {
  using R = detail::logical_reduce_t<T>;
  auto mask = detail::reduce_mask(dims, x.dim(), "all");
  return detail::reduce<R>(detail::map1<bool, T>(x, [](T v) { return v != T(0); }), mask, keepdim, R(1),
                           [](R a, R b) { return static_cast<R>(a && b); });
}
template <Element T>
Tensor<detail::logical_reduce_t<T>> any(const Tensor<T>& x, const Shape& dims = {}, bool keepdim = false) {
  using R = detail::logical_reduce_t<T>;
  auto mask = detail::reduce_mask(dims, x.dim(), "any");
  return detail::reduce<R>(detail::map1<bool, T>(x, [](T v) { return v != T(0); }), mask, keepdim, R(0),
                           [](R a, R b) { return static_cast<R>(a || b); });
}

/// var_mean(x, dims, correction, keepdim) and std_mean: both in one call,
/// `auto [v, m] = var_mean(x)`.
template <Element T>
std::tuple<Tensor<T>, Tensor<T>> var_mean(const Tensor<T>& x, const Shape& dims = {}, int64_t correction = 1,
                                          bool keepdim = false) {
  // both outputs named as PyTorch's one node for the two
  return {autograd::renamed(var(x, dims, correction, keepdim), "VarMeanBackward0"),
          autograd::renamed(mean(x, dims, keepdim), "VarMeanBackward0")};
}
template <Element T>
std::tuple<Tensor<T>, Tensor<T>> std_mean(const Tensor<T>& x, const Shape& dims = {}, int64_t correction = 1,
                                          bool keepdim = false) {
  return {autograd::renamed(std(x, dims, correction, keepdim), "StdMeanBackward0"),
          autograd::renamed(mean(x, dims, keepdim), "StdMeanBackward0")};
}

/// argmax(x, dim, keepdim) with an optional dim: without one, the index into
/// the flattened tensor, shaped [1, ..., 1] (x's rank) when keepdim.
template <Element T>
Tensor<int64_t> argmax(const Tensor<T>& x, std::optional<int64_t> dim, bool keepdim) {
  if (dim) return argmax(x, *dim, keepdim);
  auto r = argmax(x);
  return keepdim ? r.reshape(Shape(x.dim(), 1)) : r;
}
template <Element T>
Tensor<int64_t> argmin(const Tensor<T>& x, std::optional<int64_t> dim, bool keepdim) {
  if (dim) return argmin(x, *dim, keepdim);
  auto r = argmin(x);
  return keepdim ? r.reshape(Shape(x.dim(), 1)) : r;
}

template <Element T> Tensor<T> Tensor<T>::amax(const Shape& d, bool k) const { return tapegrad::amax(*this, d, k); }
template <Element T> Tensor<T> Tensor<T>::amin(const Shape& d, bool k) const { return tapegrad::amin(*this, d, k); }
template <Element T>
Tensor<to_floating_t<T>> Tensor<T>::logsumexp(const Shape& d, bool k) const { return tapegrad::logsumexp(*this, d, k); }
template <Element T> Tensor<sum_t<T>> Tensor<T>::nansum(const Shape& d, bool k) const { return tapegrad::nansum(*this, d, k); }
template <Element T> Tensor<T> Tensor<T>::nanmean(const Shape& d, bool k) const { return tapegrad::nanmean(*this, d, k); }
template <Element T>
Tensor<int64_t> Tensor<T>::count_nonzero(const Shape& d) const { return tapegrad::count_nonzero(*this, d); }
template <Element T>
Tensor<int64_t> Tensor<T>::argmax(std::optional<int64_t> d, bool k) const { return tapegrad::argmax(*this, d, k); }
template <Element T>
Tensor<int64_t> Tensor<T>::argmin(std::optional<int64_t> d, bool k) const { return tapegrad::argmin(*this, d, k); }

}  // namespace tapegrad
