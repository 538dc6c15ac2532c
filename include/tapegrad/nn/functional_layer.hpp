#pragma once
// torch.nn.functional's embedding, layer_norm, bilinear and unflatten.
#include <string>

#include "functional.hpp"

namespace tapegrad::nn::functional {

/// embedding(indices, weight, padding_idx): rows of weight [num, dim] picked
/// by int64 indices of any shape -> [*indices.shape, dim]. The row at
/// padding_idx (if given, may be negative) gets no gradient, as PyTorch.
template <FloatingElement T>
Tensor<T> embedding(const Tensor<int64_t>& indices, const Tensor<T>& weight,
                    std::optional<int64_t> padding_idx = std::nullopt) {
  TAPEGRAD_CHECK(weight.dim() == 2, ShapeError, "embedding: weight must be 2-D [num_embeddings, embedding_dim], got ",
                 weight.sizes());
  const int64_t num = weight.sizes()[0], dim = weight.sizes()[1];
  int64_t pad = -1;
  if (padding_idx) {
    TAPEGRAD_CHECK(*padding_idx >= -num && *padding_idx < num, ValueError,
                   "embedding: padding_idx must be within num_embeddings (", num, "), got ", *padding_idx);
    pad = *padding_idx < 0 ? *padding_idx + num : *padding_idx;
  }
  const auto idx = indices.contiguous();
  const int64_t n = idx.numel();
  const int64_t* ip = idx.data_ptr();
  for (int64_t i = 0; i < n; ++i)
    TAPEGRAD_CHECK(ip[i] >= 0 && ip[i] < num, IndexError, "embedding: index ", ip[i], " is out of range for ", num,
                   " embeddings");
  Shape out_shape = indices.sizes();
  out_shape.push_back(dim);
  auto out = tapegrad::detail::make_empty<T>(out_shape);
  const auto w = weight.detach().contiguous();
  for (int64_t i = 0; i < n; ++i)
    std::copy(w.data_ptr() + ip[i] * dim, w.data_ptr() + (ip[i] + 1) * dim, out.data_ptr() + i * dim);
  if (autograd::needs_grad(weight))
    // d/dweight: each output row's gradient added to the row it was read from
    autograd::record(out, "EmbeddingBackward0", [idx, num, dim, pad](const Tensor<T>& g, autograd::Needs) {
      auto gw = zeros<T>({num, dim});
      const auto gc = g.contiguous();
      const int64_t* ip = idx.data_ptr();
      for (int64_t i = 0; i < idx.numel(); ++i) {
        if (ip[i] == pad) continue;
        T* row = gw.data_ptr() + ip[i] * dim;
        const T* src = gc.data_ptr() + i * dim;
        for (int64_t j = 0; j < dim; ++j) row[j] += src[j];
      }
      return autograd::Grads<T>{gw, {}, {}};
    }, weight);
  return out;
}

/// layer_norm(x, normalized_shape, weight, bias, eps): normalise over the
/// last len(normalized_shape) dims (biased variance), then x * weight + bias.
template <FloatingElement T>
Tensor<T> layer_norm(const Tensor<T>& x, const Shape& normalized_shape, const Tensor<T>& weight = Tensor<T>(),
                     const Tensor<T>& bias = Tensor<T>(), double eps = 1e-5) {
  const int64_t k = normalized_shape.size();
  bool fits = k >= 1 && x.dim() >= k;
  for (int64_t i = 0; fits && i < k; ++i) fits = x.sizes()[x.dim() - k + i] == normalized_shape[i];
  TAPEGRAD_CHECK(fits, ShapeError, "layer_norm: expected input with shape [*, ", [&] {
    std::string s;
    for (int64_t i = 0; i < k; ++i) s += (i ? ", " : "") + std::to_string(normalized_shape[i]);
    return s;
  }(), "], but got input of size ", x.sizes());
  for (const Tensor<T>* p : {&weight, &bias})
    if (p->defined())
      TAPEGRAD_CHECK(p->sizes() == normalized_shape, ShapeError, "layer_norm: weight and bias must have shape ",
                     normalized_shape, ", got ", p->sizes());
  Shape dims;
  for (int64_t i = x.dim() - k; i < x.dim(); ++i) dims.push_back(i);
  auto centered = x - mean(x, dims, true);
  auto y = centered * rsqrt(mean(centered * centered, dims, true) + static_cast<T>(eps));
  if (weight.defined()) y = y * weight;
  if (bias.defined()) y = y + bias;
  return autograd::renamed(y, "NativeLayerNormBackward0");
}

/// bilinear(x1, x2, weight, bias): y_k = x1^T W_k x2 + b_k.
/// x1: [..., in1], x2: [..., in2], weight: [out, in1, in2], bias: [out] -> [..., out].
template <FloatingElement T>
Tensor<T> bilinear(const Tensor<T>& x1, const Tensor<T>& x2, const Tensor<T>& weight,
                   const Tensor<T>& bias = Tensor<T>()) {
  TAPEGRAD_CHECK(weight.dim() == 3, ShapeError, "bilinear: weight must be 3-D [out, in1, in2], got ", weight.sizes());
  const int64_t out = weight.sizes()[0], in1 = weight.sizes()[1], in2 = weight.sizes()[2];
  TAPEGRAD_CHECK(x1.dim() >= 1 && x2.dim() == x1.dim() && x1.sizes()[x1.dim() - 1] == in1 &&
                     x2.sizes()[x2.dim() - 1] == in2 &&
                     Shape(x1.sizes().begin(), x1.sizes().end() - 1) == Shape(x2.sizes().begin(), x2.sizes().end() - 1),
                 ShapeError, "bilinear: inputs ", x1.sizes(), " and ", x2.sizes(), " do not fit weight ",
                 weight.sizes(), " (expected [..., ", in1, "] and [..., ", in2, "] with the same leading dims)");
  if (bias.defined())
    TAPEGRAD_CHECK(bias.dim() == 1 && bias.sizes()[0] == out, ShapeError, "bilinear: bias of shape ", bias.sizes(),
                   " does not fit weight of shape ", weight.sizes());
  auto a = x1.reshape({-1, in1}), b = x2.reshape({-1, in2});
  // x2 W_k^T for every k at once: [N, in2] @ [in2, out * in1] -> [N, out, in1], then dot with x1
  auto u = mm(b, weight.permute({2, 0, 1}).reshape({in2, out * in1})).view({-1, out, in1});
  auto y = sum(u * a.unsqueeze(1), -1);
  if (bias.defined()) y = y + bias;
  Shape out_shape = x1.sizes();
  out_shape.back() = out;
  return y.view(out_shape);
}

/// unflatten(x, dim, sizes): dim split into sizes (one may be -1).
template <Element T>
Tensor<T> unflatten(const Tensor<T>& x, int64_t dim, const Shape& sizes) {
  const int64_t d = wrap_dim(dim, x.dim(), "unflatten");
  TAPEGRAD_CHECK(sizes.size() > 0, ValueError, "unflatten: sizes must be non-empty");
  Shape s(x.sizes().begin(), x.sizes().begin() + d);
  for (int64_t v : sizes) s.push_back(v);
  for (int64_t i = d + 1; i < x.dim(); ++i) s.push_back(x.sizes()[i]);
  return x.view(s);
}

}  // namespace tapegrad::nn::functional
