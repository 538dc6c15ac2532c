#pragma once
// Reductions: sum, mean, prod, max/min (values and indices), argmax/argmin,
// var/std with a correction, logsumexp, and the numerically stable
// softmax/log_softmax. Result shapes and dtypes follow PyTorch (keepdim keeps
// reduced dims as size 1; sum/prod of integers and bool give int64).
#include <cmath>
#include <limits>
#include <vector>

#include "../tensor/map.hpp"
#include "../tensor/reduction.hpp"
#include "elementwise.hpp"
#include "shape.hpp"

namespace tapegrad {

namespace detail {
// Which dims a reduction covers; an empty list means all (PyTorch's dim=None).
inline std::vector<bool> reduce_mask(const Shape& dims, int64_t ndim, const char* op) {
  std::vector<bool> mask(static_cast<size_t>(ndim), dims.empty());
  bool seen_0d = false;  // a 0-d tensor's one dim, 0 or -1, has no slot in mask
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(d, ndim, op);
    const bool twice = ndim == 0 ? seen_0d : static_cast<bool>(mask[static_cast<size_t>(w)]);
    TAPEGRAD_CHECK(!twice, ValueError, op, ": dim ", d, " appears multiple times in the list of dims ", dims);
    if (ndim == 0) seen_0d = true;
    else mask[static_cast<size_t>(w)] = true;
  }
  return mask;
}

template <Element T>
int64_t reduced_count(const Tensor<T>& x, const std::vector<bool>& mask) {
  int64_t n = 1;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (mask[static_cast<size_t>(d)]) n *= x.sizes()[d];
  return n;
}

// max/min along one dim with the index of the first extreme (NaN counts as
// the extreme, as in PyTorch).
template <Element T, bool IsMax>
ValuesIndices<T> extreme_dim(const Tensor<T>& x, int64_t dim, bool keepdim, const char* op) {
  if (x.dim() == 0) {  // PyTorch: a 0-d tensor reduces to itself, index 0
    wrap_dim(dim, 0, op);
    return {x.clone(), zeros<int64_t>({})};
  }
  dim = wrap_dim(dim, x.dim(), op);
  const int64_t len = x.sizes()[dim], stride = x.strides()[dim];
  TAPEGRAD_CHECK(len > 0, IndexError, op, ": cannot compute over a zero-size dimension (dim ", dim,
                 " of shape ", x.sizes(), ")");
  Shape kept = x.sizes();
  kept[dim] = 1;
  auto values = make_empty<T>(kept);
  auto indices = make_empty<int64_t>(kept);
  Shape xst = x.strides();
  xst[dim] = 0;
  T* pv = values.data_ptr();
  int64_t* pi = indices.data_ptr();
  const T* px = x.data_ptr();
  for_each_strided<3>(kept, {values.strides(), indices.strides(), xst},
                      [&](const Offsets<3>& b, int64_t n, const Offsets<3>& s) {
                        for (int64_t k = 0; k < n; ++k) {
                          const T* row = px + b[2] + k * s[2];
                          T best = row[0];
                          int64_t at = 0;
                          for (int64_t j = 1; j < len && best == best; ++j) {
                            T v = row[j * stride];
                            if (v != v || (IsMax ? v > best : v < best)) {
                              best = v;
                              at = j;
                            }
                          }
                          pv[b[0] + k * s[0]] = best;
                          pi[b[1] + k * s[1]] = at;
                        }
                      });
  if (keepdim) return {values, indices};
  return {values.squeeze(dim), indices.squeeze(dim)};
}

template <Element T, bool IsMax>
int64_t extreme_index(const Tensor<T>& x, const char* op) {
  TAPEGRAD_CHECK(x.numel() > 0, IndexError, op,
                 ": expected a non-empty tensor when no dim is given, got shape ", x.sizes());
  auto c = x.contiguous();
  const T* p = c.data_ptr();
  int64_t at = 0;
  for (int64_t j = 1; j < c.numel() && p[at] == p[at]; ++j)
    if (p[j] != p[j] || (IsMax ? p[j] > p[at] : p[j] < p[at])) at = j;
  return at;
}

template <Element T>
void check_floating_reduction() {
  static_assert(FloatingElement<T>,
                "this reduction needs a floating tensor (PyTorch refuses integer inputs for "
                "mean/var/std/softmax/log_softmax); convert with to<float>() first");
}

// Note [Stable softmax]: subtract the row max before exp so no exp overflows;
// log_softmax is then x - max - log(sum(exp(x - max))), finite for logits
// such as [1000, 1000, -1000]. As PyTorch's, a row holding +inf, or of -inf
// only, gives NaN throughout (inf - inf); logsumexp alone replaces an
// infinite max by 0 (logsumexp([inf, 1]) = inf, of [-inf, -inf] = -inf).
template <Element T, bool Log>
Tensor<T> softmax_impl(const Tensor<T>& x, int64_t dim) {
  dim = wrap_dim(dim, x.dim(), Log ? "log_softmax" : "softmax");
  if (x.dim() == 0) {  // a row of one: 1 (log: 0), NaN for an infinite or NaN x
    const T v = x.item(), r = v - v;
    return full<T>({}, Log ? r : std::exp(r));
  }
  auto out = make_empty<T>(x.sizes());
  if (out.numel() == 0) return out;  // (the row loop below would offset a null pointer)
  const int64_t len = x.sizes()[dim], xs = x.strides()[dim], os = out.strides()[dim];
  Shape kept = x.sizes();
  kept[dim] = 1;
  Shape xst = x.strides(), ost = out.strides();
  xst[dim] = ost[dim] = 0;
  const T* px = x.data_ptr();
  T* po = out.data_ptr();
  for_each_strided<2>(kept, {ost, xst}, [&](const Offsets<2>& b, int64_t n, const Offsets<2>& s) {
    for (int64_t k = 0; k < n; ++k) {
      const T* in = px + b[1] + k * s[1];
      T* o = po + b[0] + k * s[0];
      T m = -std::numeric_limits<T>::infinity();
      for (int64_t j = 0; j < len; ++j) m = max_nan(m, in[j * xs]);
      T total = 0;
      if (xs == 1 && os == 1) {  // contiguous row: Eigen's vectorised exp
        ArrayMap<T> orow(o, len);
        orow = (ConstArrayMap<T>(in, len) - m).exp();
        for (int64_t j = 0; j < len; ++j)  // below Eigen's exp range, e.g. -inf (masked) logits
          if (in[j] - m < simd_exp_min<T>) o[j] = std::exp(in[j] - m);
        total = orow.sum();
        if constexpr (Log) orow = (ConstArrayMap<T>(in, len) - m) - std::log(total);
        else orow /= total;
        continue;
      }
      for (int64_t j = 0; j < len; ++j) total += (o[j * os] = std::exp(in[j * xs] - m));
      const T log_total = std::log(total);  // (x - m) - log_total keeps the digits of x - m
      for (int64_t j = 0; j < len; ++j) {
        if constexpr (Log) o[j * os] = (in[j * xs] - m) - log_total;
        else o[j * os] /= total;
      }
    }
  });
  return out;
}
}  // namespace detail

namespace detail {
// The gradient of a reduction, broadcast back over the input: the reduced
// dims (re-inserted unless keepdim) get stride 0, a view with no copy. Built
// directly rather than with unsqueeze() and expand(): backward functions run
// unrecorded, and the recorded forms would instantiate their own records.
template <FloatingElement T>
Tensor<T> expand_reduced(const Tensor<T>& g, const Shape& in_sizes, const std::vector<bool>& mask,
                         bool keepdim) {
  Shape st(in_sizes.size(), 0);
  for (int64_t d = 0, j = 0; d < in_sizes.size(); ++d) {
    const bool reduced = mask[static_cast<size_t>(d)];
    if (!reduced) st[d] = g.strides()[j];
    if (!reduced || keepdim) ++j;
  }
  return make_view(g, in_sizes, std::move(st), g.storage_offset());
}

// Product of the other elements of each reduction group (exact with zeros):
// prefix and suffix products along each group's run of elements.
template <FloatingElement T>
Tensor<T> prod_of_others(const Tensor<T>& x, const std::vector<bool>& mask) {
  Shape perm, kept, reduced;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (!mask[static_cast<size_t>(d)]) perm.push_back(d);
  for (int64_t d = 0; d < x.dim(); ++d)
    if (mask[static_cast<size_t>(d)]) perm.push_back(d);
  auto xp = x.permute(perm).contiguous();
  const int64_t group = reduced_count(x, mask), groups = group ? x.numel() / group : 0;
  auto out = make_empty<T>(xp.sizes());
  const T* px = xp.data_ptr();
  T* po = out.data_ptr();
  for (int64_t r = 0; r < groups; ++r) {
    T acc(1);
    for (int64_t j = 0; j < group; ++j) { po[r * group + j] = acc; acc *= px[r * group + j]; }
    acc = T(1);
    for (int64_t j = group - 1; j >= 0; --j) { po[r * group + j] *= acc; acc *= px[r * group + j]; }
  }
  Shape inverse(perm.size());
  for (int64_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = i;
  return out.permute(inverse);
}

// Record a reduction whose backward is `fn(g expanded to the input shape)`.
template <FloatingElement T, class Fn>
void record_reduction(const Tensor<T>& out, const char* name, const Tensor<T>& x,
                      const std::vector<bool>& mask, bool keepdim, Fn fn) {
  autograd::record(out, name,
      [fn, mask, keepdim, sizes = x.sizes()](const Tensor<T>& g, autograd::Needs) {
        return autograd::Grads<T>{fn(expand_reduced(g, sizes, mask, keepdim)), {}, {}};
      }, x);
}
}  // namespace detail

// ---- sum / mean / prod -----------------------------------------------------------------
/// sum(x) over all elements -> 0-d; sum(x, dims, keepdim) over the given dims.
template <Element T>
Tensor<sum_t<T>> sum(const Tensor<T>& x, const Shape& dims = {}, bool keepdim = false) {
  auto mask = detail::reduce_mask(dims, x.dim(), "sum");
  auto out = detail::sum_impl(x, mask, keepdim);
  if constexpr (FloatingElement<T>) {
    // d/dx sum(x) = 1 for every element of the group
    if (autograd::needs_grad(x))
      detail::record_reduction(out, dims.empty() ? "SumBackward0" : "SumBackward1", x, mask, keepdim, [](const Tensor<T>& g) { return g; });
  }
  return out;
}
template <Element T>
Tensor<sum_t<T>> sum(const Tensor<T>& x, int64_t dim, bool keepdim = false) {
  return sum(x, Shape{dim}, keepdim);
}
template <Element T>
Tensor<T> mean(const Tensor<T>& x, const Shape& dims = {}, bool keepdim = false) {
  detail::check_floating_reduction<T>();
  auto mask = detail::reduce_mask(dims, x.dim(), "mean");
  auto out = detail::sum_impl(x, mask, keepdim);
  const auto count = static_cast<T>(detail::reduced_count(x, mask));
  detail::map1_<T>(out, [count](T v) { return v / count; }, "mean");  // 0/0 = NaN for empty, as PyTorch
  // d/dx mean(x) = 1 / N
  if (autograd::needs_grad(x))
    detail::record_reduction(out, dims.empty() ? "MeanBackward0" : "MeanBackward1", x, mask, keepdim,
                             [count](const Tensor<T>& g) { return div(g, tensor<T>(count)); });
  return out;
}
template <Element T>
Tensor<T> mean(const Tensor<T>& x, int64_t dim, bool keepdim = false) {
  return mean(x, Shape{dim}, keepdim);
}
template <Element T>
Tensor<sum_t<T>> prod(const Tensor<T>& x, const Shape& dims = {}, bool keepdim = false) {
  using R = sum_t<T>;
  auto mask = detail::reduce_mask(dims, x.dim(), "prod");
  auto out = detail::reduce<R>(x, mask, keepdim, R(1), [](R a, R b) { return detail::wrap_mul(a, b); });
  if constexpr (FloatingElement<T>) {
    // d/dx_i prod(x) = product of the other elements (exact where x has zeros)
    if (autograd::needs_grad(x))
      detail::record_reduction(out, dims.empty() ? "ProdBackward0" : "ProdBackward1", x, mask, keepdim,
                               [sx = autograd::save(x), mask](const Tensor<T>& g) {
                                 return mul(g, detail::prod_of_others(sx.get(), mask));
                               });
  }
  return out;
}
template <Element T>
Tensor<sum_t<T>> prod(const Tensor<T>& x, int64_t dim, bool keepdim = false) {
  return prod(x, Shape{dim}, keepdim);
}

// ---- max / min / argmax / argmin --------------------------------------------------------
namespace detail {
template <Element T, bool IsMax>
Tensor<T> extreme_all(const Tensor<T>& x, const char* op, const char* backward) {
  auto out = tensor<T>(x.contiguous().data_ptr()[extreme_index<T, IsMax>(x, op)]);
  if constexpr (FloatingElement<T>) {
    // the gradient is shared evenly by all elements equal to the result (as PyTorch)
    if (autograd::needs_grad(x))
      autograd::record(out, backward, [sx = autograd::save(x), so = autograd::save(out)](const Tensor<T>& g, autograd::Needs) {
        const T best = so.get().item();
        auto hit = map1<T, T>(sx.get(), [best](T v) { return (v == best || (v != v && best != best)) ? T(1) : T(0); });
        // selected, not multiplied: an inf or NaN g stays out of the other elements
        const T share = g.item() / sum(hit).item();
        return autograd::Grads<T>{map1<T, T>(hit, [share](T h) { return h != T(0) ? share : T(0); }), {}, {}};
      }, x);
  }
  return out;
}

template <Element T, bool IsMax>
ValuesIndices<T> extreme_dim_recorded(const Tensor<T>& x, int64_t dim, bool keepdim, const char* op,
                                      const char* backward) {
  auto r = extreme_dim<T, IsMax>(x, dim, keepdim, op);
  if constexpr (FloatingElement<T>) {
    // the gradient goes to the chosen index of each row
    if (autograd::needs_grad(x)) {
      const int64_t d = x.dim() == 0 ? 0 : wrap_dim(dim, x.dim(), op);
      autograd::record(r.values, backward,
          [idx = r.indices, sizes = x.sizes(), d, keepdim](const Tensor<T>& g, autograd::Needs) {
            auto gin = zeros<T>(sizes);
            if (sizes.empty()) return autograd::Grads<T>{g.clone(), {}, {}};
            auto gk = keepdim ? g : g.unsqueeze(d);
            auto ik = keepdim ? idx : idx.unsqueeze(d);
            Shape gst = gin.strides();
            const int64_t step = gst[d];
            gst[d] = 0;
            T* pg = gin.data_ptr();
            const T* pgk = gk.data_ptr();
            const int64_t* pi = ik.data_ptr();
            for_each_strided<3>(gk.sizes(), {gst, gk.strides(), ik.strides()},
                                [&](const Offsets<3>& b, int64_t n, const Offsets<3>& s) {
                                  for (int64_t k = 0; k < n; ++k)
                                    pg[b[0] + k * s[0] + pi[b[2] + k * s[2]] * step] += pgk[b[1] + k * s[1]];
                                });
            return autograd::Grads<T>{gin, {}, {}};
          }, x);
    }
  }
  return r;
}
}  // namespace detail

/// max(x): the largest element as a 0-d tensor (NaN if any element is NaN).
template <Element T>
Tensor<T> max(const Tensor<T>& x) { return detail::extreme_all<T, true>(x, "max", "MaxBackward1"); }
template <Element T>
Tensor<T> min(const Tensor<T>& x) { return detail::extreme_all<T, false>(x, "min", "MinBackward1"); }
/// max(x, dim): values and (first) indices of the maxima along dim.
template <Element T>
ValuesIndices<T> max(const Tensor<T>& x, int64_t dim, bool keepdim = false) {
  return detail::extreme_dim_recorded<T, true>(x, dim, keepdim, "max", "MaxBackward0");
}
template <Element T>
ValuesIndices<T> min(const Tensor<T>& x, int64_t dim, bool keepdim = false) {
  return detail::extreme_dim_recorded<T, false>(x, dim, keepdim, "min", "MinBackward0");
}
/// argmax(x): index into the flattened tensor.
template <Element T>
Tensor<int64_t> argmax(const Tensor<T>& x) { return tensor<int64_t>(detail::extreme_index<T, true>(x, "argmax")); }
template <Element T>
Tensor<int64_t> argmin(const Tensor<T>& x) { return tensor<int64_t>(detail::extreme_index<T, false>(x, "argmin")); }
template <Element T>
Tensor<int64_t> argmax(const Tensor<T>& x, int64_t dim, bool keepdim = false) {
  return detail::extreme_dim<T, true>(x, dim, keepdim, "argmax").indices;
}
template <Element T>
Tensor<int64_t> argmin(const Tensor<T>& x, int64_t dim, bool keepdim = false) {
  return detail::extreme_dim<T, false>(x, dim, keepdim, "argmin").indices;
}

// ---- var / std / logsumexp ------------------------------------------------------------------
namespace detail {
// var recorded as one op; for a float x, *acc (when given) receives its value
// in double before the cast (Note [float32 var in double]).
template <Element T>
Tensor<T> var_impl(const Tensor<T>& x, const Shape& dims, int64_t correction, bool keepdim, Tensor<double>* acc) {
  check_floating_reduction<T>();
  auto mask = detail::reduce_mask(dims, x.dim(), "var");
  const int64_t n = detail::reduced_count(x, mask);
  const T denom = n > correction ? static_cast<T>(n - correction) : T(0);  // else inf/NaN, as PyTorch
  Tensor<T> centered, out;
  {
    NoGradGuard no_record;  // recorded below as one op
    if constexpr (std::is_same_v<T, float>) {
      // Note [float32 var in double]: the squares of float32 deviations
      // overflow from |x - mean| > 1.8e19 on; PyTorch accumulates a float32
      // var in double, so that only a result beyond float's range is inf.
      // (D is double, spelled dependent on T: with Tensor<double> the double
      // ops below were compiled into every program, var or not.)
      using D = std::conditional_t<std::is_same_v<T, float>, double, T>;
      const Tensor<D> xd = x.template to<D>();
      const Tensor<D> cd = xd - detail::sum_impl(xd, mask, true) / static_cast<D>(n);
      Tensor<D> od = detail::sum_impl(cd * cd, mask, keepdim);
      od.div_(n > correction ? static_cast<D>(n - correction) : D(0));
      centered = cd.template to<T>();
      out = od.template to<T>();
      if (acc) *acc = od;
    } else {
      centered = x - detail::sum_impl(x, mask, true) / static_cast<T>(n);
      out = detail::sum_impl(centered * centered, mask, keepdim);
      out.div_(denom);
    }
  }
  // d/dx var(x) = 2 (x - mean) / (N - correction), with N - correction as it
  // is (as PyTorch's): for N < correction a finite factor, 0 at N = 1
  if (autograd::needs_grad(x))
    detail::record_reduction(out, "VarBackward0", x, mask, keepdim,
                             [c = autograd::save(centered), f = T(2) / static_cast<T>(n - correction)](const Tensor<T>& g) {
      return mul(g, mul(c.get(), tensor<T>(f)));
    });
  return out;
}
}  // namespace detail

/// var(x, dims, correction, keepdim): sum((x - mean)^2) / (N - correction);
/// correction 1 is the unbiased estimate (PyTorch's default).
template <Element T>
Tensor<T> var(const Tensor<T>& x, const Shape& dims, int64_t correction = 1, bool keepdim = false) {
  return detail::var_impl(x, dims, correction, keepdim, nullptr);
}
template <Element T>
Tensor<T> var(const Tensor<T>& x, int64_t dim, int64_t correction = 1, bool keepdim = false) {
  return var(x, Shape{dim}, correction, keepdim);
}
/// std(x, dims, correction, keepdim) = sqrt(var(...)); where it is 0 the
/// gradient is 0, as PyTorch's (not inf * 0 = NaN through sqrt).
template <Element T>
Tensor<T> std(const Tensor<T>& x, const Shape& dims, int64_t correction = 1, bool keepdim = false) {
  Tensor<double> vd;  // float: the var before its cast, whose root may be in float's range when it is not
  auto v = detail::var_impl(x, dims, correction, keepdim, &vd);
  Tensor<T> out;
  if constexpr (std::is_same_v<T, float>) out = detail::map1<double, double>(vd, detail::Sqrt{}).template to<float>();
  else out = detail::map1<T, T>(v, detail::Sqrt{});
  detail::record_unary(out, "StdBackward0", v, out, [](T g, T s) { return s == T(0) ? T(0) : g / (T(2) * s); });
  return out;
}
template <Element T>
Tensor<T> std(const Tensor<T>& x, int64_t dim, int64_t correction = 1, bool keepdim = false) {
  return std(x, Shape{dim}, correction, keepdim);
}

namespace detail {
template <FloatingElement T>
Tensor<T> logsumexp_impl(const Tensor<T>& x, int64_t dim, bool keepdim) {
  Tensor<T> out;
  if (x.dim() == 0) {
    wrap_dim(dim, 0, "logsumexp");
    out = x.detach().clone();
  } else {
    dim = wrap_dim(dim, x.dim(), "logsumexp");
    NoGradGuard no_record;  // recorded below as one op
    if (x.numel() == 0) {  // no max to take: log of an empty sum is -inf, as PyTorch
      out = log(sum(exp(x), dim, true));
    } else {
      auto m = detail::extreme_dim<T, true>(x, dim, true, "logsumexp").values;
      // An infinite max would give inf - inf = NaN below (Note [Stable softmax]).
      detail::map1_<T>(m, [](T v) { return std::isinf(v) ? T(0) : v; }, "logsumexp");
      out = log(sum(exp(x - m), dim, true)) + m;
    }
    if (!keepdim) out = out.squeeze(dim);
  }
  // d/dx logsumexp(x) = softmax(x) = exp(x - out)
  if (autograd::needs_grad(x)) {
    std::vector<bool> mask(static_cast<size_t>(x.dim()), false);
    if (x.dim() > 0) mask[static_cast<size_t>(dim)] = true;
    detail::record_reduction(out, "LogsumexpBackward0", x, mask, keepdim,
        [sx = autograd::save(x), so = autograd::save(out), mask, keepdim](const Tensor<T>& g) {
          return mul(g, exp(sub(sx.get(), detail::expand_reduced(so.get(), sx.sizes(), mask, keepdim))));
        });
  }
  return out;
}
}  // namespace detail

/// logsumexp(x, dim): log(sum(exp(x))) along dim without overflow; of an
/// integer or bool tensor in float, as PyTorch.
template <Element T>
Tensor<to_floating_t<T>> logsumexp(const Tensor<T>& x, int64_t dim, bool keepdim = false) {
  if constexpr (FloatingElement<T>) return detail::logsumexp_impl(x, dim, keepdim);
  else return detail::logsumexp_impl(x.template to<float>(), dim, keepdim);
}

// ---- softmax / log_softmax -------------------------------------------------------------------
/// softmax(x, dim): exp(x) / sum(exp(x)) along dim, stable (Note [Stable softmax]).
template <Element T>
Tensor<T> softmax(const Tensor<T>& x, int64_t dim) {
  detail::check_floating_reduction<T>();
  auto y = detail::softmax_impl<T, false>(x, dim);
  if (autograd::needs_grad(x))
    // dx = y * (g - sum(g * y, dim))
    autograd::record(y, "SoftmaxBackward0", [sy = autograd::save(y), dim](const Tensor<T>& g, autograd::Needs) {
      const auto& yv = sy.get();  // (a 0-d y too: 0, NaN for an inf or NaN x or g, as PyTorch)
      return autograd::Grads<T>{mul(yv, sub(g, sum(mul(g, yv), dim, true))), {}, {}};
    }, x);
  return y;
}
/// log_softmax(x, dim): x - logsumexp(x, dim), stable (Note [Stable softmax]).
template <Element T>
Tensor<T> log_softmax(const Tensor<T>& x, int64_t dim) {
  detail::check_floating_reduction<T>();
  auto y = detail::softmax_impl<T, true>(x, dim);
  if (autograd::needs_grad(x))
    // dx = g - softmax(x) * sum(g, dim), softmax(x) = exp(y)
    autograd::record(y, "LogSoftmaxBackward0", [sy = autograd::save(y), dim](const Tensor<T>& g, autograd::Needs) {
      const auto& yv = sy.get();
      return autograd::Grads<T>{sub(g, mul(exp(yv), sum(g, dim, true))), {}, {}};
    }, x);
  return y;
}

}  // namespace tapegrad

namespace tapegrad {
// ---- Tensor methods ---------------------------------------------------------------------------
template <Element T> Tensor<sum_t<T>> Tensor<T>::sum() const { return tapegrad::sum(*this); }
template <Element T> Tensor<sum_t<T>> Tensor<T>::sum(int64_t d, bool k) const { return tapegrad::sum(*this, d, k); }
template <Element T> Tensor<sum_t<T>> Tensor<T>::sum(const Shape& d, bool k) const { return tapegrad::sum(*this, d, k); }
template <Element T> Tensor<to_floating_t<T>> Tensor<T>::mean() const { return tapegrad::mean(*this); }
template <Element T> Tensor<to_floating_t<T>> Tensor<T>::mean(int64_t d, bool k) const { return tapegrad::mean(*this, d, k); }
template <Element T> Tensor<to_floating_t<T>> Tensor<T>::mean(const Shape& d, bool k) const { return tapegrad::mean(*this, d, k); }
template <Element T> Tensor<sum_t<T>> Tensor<T>::prod() const { return tapegrad::prod(*this); }
template <Element T> Tensor<sum_t<T>> Tensor<T>::prod(int64_t d, bool k) const { return tapegrad::prod(*this, d, k); }
template <Element T> Tensor<T> Tensor<T>::max() const { return tapegrad::max(*this); }
template <Element T> ValuesIndices<T> Tensor<T>::max(int64_t d, bool k) const { return tapegrad::max(*this, d, k); }
template <Element T> Tensor<T> Tensor<T>::min() const { return tapegrad::min(*this); }
template <Element T> ValuesIndices<T> Tensor<T>::min(int64_t d, bool k) const { return tapegrad::min(*this, d, k); }
template <Element T> Tensor<int64_t> Tensor<T>::argmax() const { return tapegrad::argmax(*this); }
template <Element T> Tensor<int64_t> Tensor<T>::argmax(int64_t d, bool k) const { return tapegrad::argmax(*this, d, k); }
template <Element T> Tensor<int64_t> Tensor<T>::argmin() const { return tapegrad::argmin(*this); }
template <Element T> Tensor<int64_t> Tensor<T>::argmin(int64_t d, bool k) const { return tapegrad::argmin(*this, d, k); }
template <Element T> Tensor<to_floating_t<T>> Tensor<T>::var(int64_t c) const { return tapegrad::var(*this, Shape{}, c); }
template <Element T> Tensor<to_floating_t<T>> Tensor<T>::var(int64_t d, int64_t c, bool k) const { return tapegrad::var(*this, d, c, k); }
template <Element T> Tensor<to_floating_t<T>> Tensor<T>::std(int64_t c) const { return tapegrad::std(*this, Shape{}, c); }
template <Element T> Tensor<to_floating_t<T>> Tensor<T>::std(int64_t d, int64_t c, bool k) const { return tapegrad::std(*this, d, c, k); }
template <Element T> Tensor<to_floating_t<T>> Tensor<T>::logsumexp(int64_t d, bool k) const { return tapegrad::logsumexp(*this, d, k); }
template <Element T> Tensor<to_floating_t<T>> Tensor<T>::softmax(int64_t d) const { return tapegrad::softmax(*this, d); }
template <Element T> Tensor<to_floating_t<T>> Tensor<T>::log_softmax(int64_t d) const { return tapegrad::log_softmax(*this, d); }
}  // namespace tapegrad
