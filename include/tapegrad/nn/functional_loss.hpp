#pragma once
// torch.nn.functional's regression and embedding losses: l1_loss,
// smooth_l1_loss, huber_loss, kl_div, margin_ranking_loss,
// cosine_embedding_loss, triplet_margin_loss (cross_entropy, nll_loss,
// mse_loss and the BCEs are in functional.hpp).
#include <limits>

#include "functional_activation.hpp"

namespace tapegrad::nn::functional {

/// l1_loss(input, target): |input - target|, reduced. Shapes must match
/// (PyTorch broadcasts with a warning; Note [Loss target shapes]).
template <FloatingElement T>
Tensor<T> l1_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction = Reduction::mean) {
  detail::check_same_shape(input, target, "l1_loss");
  return detail::reduce_loss(abs(input - target), reduction);
}

/// smooth_l1_loss(input, target, reduction, beta = 1): 0.5 d^2 / beta where
/// |d| < beta, else |d| - 0.5 beta (d = input - target); beta 0 is l1_loss.
template <FloatingElement T>
Tensor<T> smooth_l1_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction = Reduction::mean,
                         double beta = 1.0) {
  detail::check_same_shape(input, target, "smooth_l1_loss");
  TAPEGRAD_CHECK(beta >= 0, ValueError, "smooth_l1_loss: beta must be non-negative, got ", beta);
  if (beta == 0) return l1_loss(input, target, reduction);
  const T b = static_cast<T>(beta);
  auto loss = detail::pointwise(
      input - target, [b](T d) { return std::abs(d) < b ? T(0.5) * d * d / b : std::abs(d) - T(0.5) * b; },
      [b](T d) { return d < -b ? T(-1) : (d > b ? T(1) : d / b); }, "SmoothL1LossBackward0");
  return autograd::renamed(detail::reduce_loss(loss, reduction), "SmoothL1LossBackward0");
}

/// huber_loss(input, target, reduction, delta = 1): 0.5 d^2 where |d| <=
/// delta, else delta (|d| - 0.5 delta).
template <FloatingElement T>
Tensor<T> huber_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction = Reduction::mean,
                     double delta = 1.0) {
  detail::check_same_shape(input, target, "huber_loss");
  TAPEGRAD_CHECK(delta > 0, ValueError, "huber_loss: delta must be positive, got ", delta);
  const T dl = static_cast<T>(delta);
  auto loss = detail::pointwise(
      input - target, [dl](T d) { return std::abs(d) <= dl ? T(0.5) * d * d : dl * (std::abs(d) - T(0.5) * dl); },
      [dl](T d) { return d < -dl ? -dl : (d > dl ? dl : d); }, "HuberLossBackward0");
  return autograd::renamed(detail::reduce_loss(loss, reduction), "HuberLossBackward0");
}

/// How kl_div reduces: PyTorch's 'batchmean' (sum / N) next to none/mean/sum.
enum class KLDivReduction { none, mean, sum, batchmean };

/// kl_div(input, target, reduction, log_target): input holds log-probabilities;
/// target probabilities (t (log t - x), 0 where t = 0) or, with log_target,
/// log-probabilities (exp(t) (t - x)). 'mean' averages over every element as
/// PyTorch does; 'batchmean' divides the sum by the batch size.
template <FloatingElement T>
Tensor<T> kl_div(const Tensor<T>& input, const Tensor<T>& target, KLDivReduction reduction = KLDivReduction::mean,
                 bool log_target = false) {
  detail::check_same_shape(input, target, "kl_div");
  Tensor<T> loss;
  if (log_target) {
    loss = exp(target) * (target - input);
  } else {
    // t log t with its limit 0 at t = 0; d/dt = log t + 1, and NaN at t = 0
    // as PyTorch's xlogy backward gives there (0 / 0)
    auto tlogt = detail::pointwise(target, [](T t) { return t > 0 ? t * std::log(t) : T(0); },
                                   [](T t) { return t == 0 ? std::numeric_limits<T>::quiet_NaN() : std::log(t) + T(1); },
                                   "XlogyBackward0");
    loss = tlogt - target * input;
  }
  switch (reduction) {
    case KLDivReduction::none: return loss;
    case KLDivReduction::sum: return sum(loss);
    case KLDivReduction::mean: return mean(loss);
    case KLDivReduction::batchmean: break;
  }
  return input.dim() == 0 ? sum(loss) : sum(loss) / static_cast<T>(input.sizes()[0]);
}

namespace detail {
template <FloatingElement T>
void check_three(const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& c, const char* op, const char* names) {
  TAPEGRAD_CHECK(a.sizes() == b.sizes() && b.sizes() == c.sizes(), ShapeError, op, ": ", names,
                 " must have the same shape, got ", a.sizes(), ", ", b.sizes(), " and ", c.sizes());
}
}  // namespace detail

/// margin_ranking_loss(x1, x2, y, margin = 0): max(0, -y (x1 - x2) + margin),
/// y in {1, -1}; all three of one shape.
template <FloatingElement T>
Tensor<T> margin_ranking_loss(const Tensor<T>& input1, const Tensor<T>& input2, const Tensor<T>& target,
                              double margin = 0, Reduction reduction = Reduction::mean) {
  detail::check_three(input1, input2, target, "margin_ranking_loss", "input1, input2 and target");
  return detail::reduce_loss(clamp_min(neg(target) * (input1 - input2) + static_cast<T>(margin), 0.0), reduction);
}

/// cosine_embedding_loss(x1, x2, y, margin = 0): 1 - cos(x1, x2) where y = 1,
/// max(0, cos(x1, x2) - margin) where y = -1. x1, x2: [N, D] (or [D]),
/// y: [N] (or []).
template <FloatingElement T>
Tensor<T> cosine_embedding_loss(const Tensor<T>& input1, const Tensor<T>& input2, const Tensor<T>& target,
                                double margin = 0, Reduction reduction = Reduction::mean) {
  TAPEGRAD_CHECK(input1.sizes() == input2.sizes() && (input1.dim() == 1 || input1.dim() == 2) &&
                     target.dim() == input1.dim() - 1 && (target.dim() == 0 || target.sizes()[0] == input1.sizes()[0]),
                 ShapeError, "cosine_embedding_loss: expected inputs [N, D] or [D] and target [N] or [], got ",
                 input1.sizes(), ", ", input2.sizes(), " and ", target.sizes());
  // as PyTorch: an epsilon of 1e-12 in each squared magnitude
  const int64_t d = input1.dim() - 1;
  auto prod = sum(input1 * input2, d);
  auto m1 = sum(input1 * input1, d) + static_cast<T>(1e-12);
  auto m2 = sum(input2 * input2, d) + static_cast<T>(1e-12);
  auto cos = prod / sqrt(m1 * m2);
  auto zero = zeros<T>({});
  auto pos = where(eq(target, ones<T>({})), T(1) - cos, zero);
  auto negative = where(eq(target, full<T>({}, T(-1))), clamp_min(cos - static_cast<T>(margin), 0.0), zero);
  return detail::reduce_loss(pos + negative, reduction);
}

/// pairwise_distance(a, b, p = 2, eps = 1e-6): ||a - b + eps||_p over the last dim.
template <FloatingElement T>
Tensor<T> pairwise_distance(const Tensor<T>& a, const Tensor<T>& b, double p = 2, double eps = 1e-6) {
  auto d = a - b + static_cast<T>(eps);
  const int64_t last = std::max<int64_t>(d.dim() - 1, 0);
  // named as PyTorch's output node (it computes torch.norm of the difference)
  if (p == 2) return autograd::renamed(sqrt(sum(d * d, last)), "NormBackward1");
  if (p == 1) return autograd::renamed(sum(abs(d), last), "NormBackward1");
  TAPEGRAD_CHECK(p > 0, ValueError, "pairwise_distance: p must be positive, got ", p);
  return autograd::renamed(pow(sum(pow(abs(d), p), last), 1.0 / p), "NormBackward1");
}

/// triplet_margin_loss(anchor, positive, negative, margin = 1, p = 2, eps =
/// 1e-6, swap = false): max(d(a, p) - d(a, n) + margin, 0) with d the
/// pairwise p-norm distance. Inputs [N, D] (or [D]).
template <FloatingElement T>
Tensor<T> triplet_margin_loss(const Tensor<T>& anchor, const Tensor<T>& positive, const Tensor<T>& negative,
                              double margin = 1.0, double p = 2, double eps = 1e-6, bool swap = false,
                              Reduction reduction = Reduction::mean) {
  detail::check_three(anchor, positive, negative, "triplet_margin_loss", "anchor, positive and negative");
  TAPEGRAD_CHECK(anchor.dim() == 1 || anchor.dim() == 2, ShapeError,
                 "triplet_margin_loss: expected inputs [N, D] or [D], got ", anchor.sizes());
  TAPEGRAD_CHECK(margin > 0, ValueError, "triplet_margin_loss: margin must be greater than 0, got ", margin);
  auto d_pos = pairwise_distance(anchor, positive, p, eps);
  auto d_neg = pairwise_distance(anchor, negative, p, eps);
  if (swap) d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps));
  return detail::reduce_loss(clamp_min(d_pos - d_neg + static_cast<T>(margin), 0.0), reduction);
}

}  // namespace tapegrad::nn::functional
