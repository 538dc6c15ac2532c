#pragma once
// torch.nn.functional's normalize and cosine_similarity (tapegrad::F).
#include "../ops/norm.hpp"
#include "functional.hpp"

namespace tapegrad::nn::functional {

/// normalize(x, p, dim, eps): x / max(||x||_p along dim, eps), x's shape.
template <FloatingElement T>
Tensor<T> normalize(const Tensor<T>& x, double p = 2, int64_t dim = 1, double eps = 1e-12) {
  return div(x, clamp_min(linalg::vector_norm(x, p, {dim}, true), eps).expand_as(x));
}

/// cosine_similarity(a, b, dim, eps): sum over dim of (a / max(||a||, eps)) *
/// (b / max(||b||, eps)), a and b broadcast; the dim is removed (PyTorch
/// 1.13's formula: each norm clamped, not their product).
template <FloatingElement T>
Tensor<T> cosine_similarity(const Tensor<T>& a, const Tensor<T>& b, int64_t dim = 1, double eps = 1e-8) {
  Shape store;
  const Shape shape = broadcast_shapes(a.sizes(), b.sizes(), store, "cosine_similarity");
  auto unit = [&](const Tensor<T>& x) {
    auto xe = x.expand(shape);
    return div(xe, clamp_min(linalg::vector_norm(xe, 2, {dim}, true), eps));
  };
  return sum(mul(unit(a), unit(b)), dim);
}

}  // namespace tapegrad::nn::functional
