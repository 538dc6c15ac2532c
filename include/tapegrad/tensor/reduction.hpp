#pragma once
// The reduction kernel (not recorded): detail::reduce over a mask of dims,
// detail::sum_impl, and sum_to, which backward functions of broadcasting ops
// use. It lives in the tensor layer so that ops/shape.hpp (expand),
// ops/elementwise.hpp and ops/matmul.hpp can define their backward with
// sum_to without including ops/reduce.hpp, which includes them.
#include <algorithm>
#include <vector>

#include "factory.hpp"
#include "iterator.hpp"
#include "map.hpp"
#include "tensor.hpp"

namespace tapegrad {

namespace detail {
inline Shape reduced_shape(const Shape& sizes, const std::vector<bool>& mask, bool keepdim) {
  Shape out;
  for (int64_t d = 0; d < sizes.size(); ++d) {
    if (!mask[static_cast<size_t>(d)]) out.push_back(sizes[d]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}

// Note [Reduction loop order]: the reduction walks x in its own dim order with
// the output broadcast over the reduced dims (stride 0). A reduction over the
// last dim then runs along contiguous rows into one accumulator, and one over
// dim 0 of [N, C] adds whole rows into the C outputs; both vectorise.
template <Element R, Element T, class Combine>
Tensor<R> reduce(const Tensor<T>& x, const std::vector<bool>& mask, bool keepdim, R init,
                 const Combine& combine) {
  auto out = filled<R>(reduced_shape(x.sizes(), mask, true), init);
  Shape ost = out.strides();
  for (int64_t d = 0; d < x.dim(); ++d)
    if (mask[static_cast<size_t>(d)]) ost[d] = 0;
  R* po = out.data_ptr();
  const T* px = x.data_ptr();
  for_each_strided<2>(x.sizes(), {ost, x.strides()},
                      [&](const Offsets<2>& b, int64_t n, const Offsets<2>& s) {
                        R* o = po + b[0];
                        const T* i = px + b[1];
                        if (s[0] == 0) {
                          R acc = *o;
                          for (int64_t k = 0; k < n; ++k) acc = combine(acc, static_cast<R>(i[k * s[1]]));
                          *o = acc;
                        } else {
                          for (int64_t k = 0; k < n; ++k)
                            o[k * s[0]] = combine(o[k * s[0]], static_cast<R>(i[k * s[1]]));
                        }
                      });
  if (keepdim) return out;
  Shape shape = reduced_shape(x.sizes(), mask, false);  // out is contiguous: a plain new shape
  Shape st = contiguous_strides(shape);
  return Tensor<R>(out.storage(), std::move(shape), std::move(st), 0);
}

template <Element T>
Tensor<sum_t<T>> sum_impl(const Tensor<T>& x, const std::vector<bool>& mask, bool keepdim) {
  using R = sum_t<T>;
  if constexpr (FloatingElement<T>) {
    // Whole contiguous tensor: Eigen's tree-shaped SIMD sum (also more exact).
    bool all = std::all_of(mask.begin(), mask.end(), [](bool m) { return m; });
    if (all && x.is_contiguous()) {
      auto out = filled<R>(reduced_shape(x.sizes(), mask, keepdim), R(0));
      if (x.numel() > 0) *out.data_ptr() = ConstArrayMap<T>(x.data_ptr(), x.numel()).sum();
      return out;
    }
  }
  return reduce<R>(x, mask, keepdim, R(0), [](R a, R b) { return wrap_add(a, b); });
}

}  // namespace detail

/// sum_to(grad, shape): sum grad over the dims that broadcasting added or
/// stretched, so it has `shape` again (Note [Broadcasting in backward]).
template <FloatingElement T>
Tensor<T> sum_to(const Tensor<T>& grad, const Shape& shape) {
  if (grad.sizes() == shape) return grad;
  const int64_t lead = grad.dim() - shape.size();
  std::vector<bool> mask(static_cast<size_t>(grad.dim()), false);
  for (int64_t d = 0; d < grad.dim(); ++d)
    mask[static_cast<size_t>(d)] = d < lead || (shape[d - lead] == 1 && grad.sizes()[d] != 1);
  auto s = detail::sum_impl(grad, mask, true);  // contiguous: the view is just new sizes
  return Tensor<T>(detail::unchecked_layout, s.storage(), shape, contiguous_strides(shape), 0);
}

}  // namespace tapegrad
