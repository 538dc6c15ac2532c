#pragma once
// torch.nn.utils: clip_grad_norm_, clip_grad_value_, parameters_to_vector,
// vector_to_parameters. They take the parameter list (module.parameters()).
#include <cmath>
#include <limits>
#include <vector>

#include "../ops/elementwise.hpp"
#include "../ops/reduce.hpp"
#include "../ops/shape.hpp"

namespace tapegrad::nn::utils {

/// clip_grad_norm_(params, max_norm, norm_type = 2, error_if_nonfinite =
/// false): scale every gradient by max_norm / (total + 1e-6) when that is
/// below 1, total being the norm of all gradients together (norm_type inf:
/// the largest |g|). Returns the total norm (0-d), as PyTorch; parameters
/// without a gradient are skipped.
template <FloatingElement T>
Tensor<T> clip_grad_norm_(const std::vector<Tensor<T>>& parameters, double max_norm, double norm_type = 2,
                          bool error_if_nonfinite = false) {
  NoGradGuard no_grad;
  std::vector<Tensor<T>> grads;
  for (const auto& p : parameters)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return zeros<T>({});
  const bool inf_norm = std::isinf(norm_type);
  TAPEGRAD_CHECK(inf_norm || norm_type > 0, ValueError, "clip_grad_norm_: norm_type must be positive or inf, got ",
                 norm_type);
  // the norm of the per-parameter norms, as PyTorch computes it
  std::vector<Tensor<T>> norms;
  for (const auto& g : grads) {
    if (g.numel() == 0) {
      norms.push_back(zeros<T>({}));
    } else if (inf_norm) {
      norms.push_back(max(abs(g)));
    } else if (norm_type == 2) {
      norms.push_back(sqrt(sum(g * g)));
    } else {
      norms.push_back(pow(sum(pow(abs(g), norm_type)), 1 / norm_type));
    }
  }
  auto all = stack(norms);
  const Tensor<T> total = inf_norm ? max(all)
                          : norm_type == 2 ? sqrt(sum(all * all))
                                           : pow(sum(pow(all, norm_type)), 1 / norm_type);
  const T t = total.item();
  TAPEGRAD_CHECK(!error_if_nonfinite || std::isfinite(t), ValueError, "clip_grad_norm_: the total norm of order ",
                 norm_type, " for gradients from `parameters` is non-finite, so it cannot be clipped. To disable "
                 "this error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=false`");
  const T coef = static_cast<T>(max_norm) / (t + static_cast<T>(1e-6));
  // clamp(coef, max=1) keeps NaN, so a NaN total spreads into the gradients as in PyTorch
  const T clamped = std::isnan(coef) ? coef : std::min(coef, T(1));
  for (const auto& g : grads) g.mul_(clamped);
  return total;
}

/// clip_grad_value_(params, clip_value): every gradient clamped to [-v, v].
template <FloatingElement T>
void clip_grad_value_(const std::vector<Tensor<T>>& parameters, double clip_value) {
  NoGradGuard no_grad;
  for (const auto& p : parameters)
    if (p.grad().defined()) p.grad().clamp_(-clip_value, clip_value);
}

/// parameters_to_vector(params): all parameters flattened and joined -> [total numel].
template <FloatingElement T>
Tensor<T> parameters_to_vector(const std::vector<Tensor<T>>& parameters) {
  std::vector<Tensor<T>> flat;
  for (const auto& p : parameters) flat.push_back(p.reshape({-1}));
  return flat.empty() ? zeros<T>({0}) : cat(flat);
}

/// vector_to_parameters(vec, params): copy consecutive slices of vec [total
/// numel] into the parameters (in place, not recorded).
template <FloatingElement T>
void vector_to_parameters(const Tensor<T>& vec, const std::vector<Tensor<T>>& parameters) {
  TAPEGRAD_CHECK(vec.dim() == 1, ShapeError, "vector_to_parameters: expected a 1-D vector, got shape ", vec.sizes());
  int64_t total = 0;
  for (const auto& p : parameters) total += p.numel();
  TAPEGRAD_CHECK(total == vec.numel(), ShapeError, "vector_to_parameters: the vector has ", vec.numel(),
                 " elements but the parameters have ", total);
  NoGradGuard no_grad;
  int64_t offset = 0;
  for (const auto& p : parameters) {
    p.copy_(vec.narrow(0, offset, p.numel()).view(p.sizes()));
    offset += p.numel();
  }
}

}  // namespace tapegrad::nn::utils
