#pragma once
// NAdam: torch.optim.NAdam (1.13, the single-tensor loop): Adam with Nesterov
// momentum and the momentum-decay schedule of Dozat (2016). PyTorch 1.13's
// NAdam has no maximize option, so neither has this one.
//   optim::NAdam opt(model.parameters(), {.lr = 2e-3});
#include <array>
#include <cmath>
#include <vector>

#include "common.hpp"

namespace tapegrad::optim {

struct NAdamOptions {
  double lr = 2e-3;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0;  // L2 penalty added to the gradient
  double momentum_decay = 4e-3;
};

/// Per-parameter state (torch's optimizer.state[p]); the tensors are allocated
/// at the parameter's first step.
template <FloatingElement T>
struct NAdamState : detail::AdamLikeState<T> {
  /// The product of the momentum coefficients mu_1 ... mu_t. A float32 tensor
  /// in PyTorch whatever the parameter's dtype (torch.tensor(1.)), so float
  /// here: it is rounded to float32 at every step, as PyTorch's.
  float mu_product = 1;
};

/// Each step t, for every parameter p with gradient g (Note [Optimizer rounding]):
///   g += weight_decay * p
///   mu_t = beta1 (1 - 0.5 * 0.96^(t momentum_decay)),  mu_product *= mu_t
///   m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2
///   denom = sqrt(v / (1 - beta2^t)) + eps
///   p -= lr (1 - mu_t) / (1 - mu_product) * g / denom
///   p -= lr mu_{t+1} / (1 - mu_product mu_{t+1}) * m / denom
template <FloatingElement T>
class NAdam : public detail::AdamLike<T, NAdamOptions, NAdamState<T>> {
  using Base = detail::AdamLike<T, NAdamOptions, NAdamState<T>>;
  using Base::options_;
  using Base::state_;

 public:
  explicit NAdam(std::vector<Tensor<T>> params, NAdamOptions options = {})
      : Base(std::move(params), validate(options), "NAdam") {}
  explicit NAdam(std::initializer_list<Tensor<T>> params, NAdamOptions options = {})
      : NAdam(std::vector<Tensor<T>>(params), options) {}

  void step() override {
    NoGradGuard no_grad;
    const NAdamOptions& o = options_;
    const double lr = this->lr(), beta1 = o.betas[0];
    const T eps = static_cast<T>(o.eps);
    const auto moments = this->moments();
    for (size_t i = 0; i < this->params_.size(); ++i) {
      const Tensor<T> g = this->grad_of(i);
      if (!g.defined()) continue;
      const Tensor<T>& p = this->params_[i];
      NAdamState<T>& s = this->next_step(i, p);
      const auto t = static_cast<double>(s.step);
      const T bias_correction2 = static_cast<T>(1 - std::pow(o.betas[1], t));
      const double mu = beta1 * (1. - 0.5 * std::pow(0.96, t * o.momentum_decay));
      const double mu_next = beta1 * (1. - 0.5 * std::pow(0.96, (t + 1) * o.momentum_decay));
      s.mu_product = s.mu_product * static_cast<float>(mu);  // float32 tensor *= Python float
      const float mu_product_next = s.mu_product * static_cast<float>(mu) * static_cast<float>(mu_next);
      const T grad_step = static_cast<T>(-lr * (1. - mu) / (1. - static_cast<double>(s.mu_product)));
      const T avg_step = static_cast<T>(-lr * mu_next / (1. - static_cast<double>(mu_product_next)));
      detail::zip_apply(
          [=](T& pv, T& gv_ref, T& m, T& v) {
            const T gv = moments(pv, gv_ref, m, v);
            const T denom = std::sqrt(v / bias_correction2) + eps;
            pv = detail::torch_addcdiv(pv, gv, denom, grad_step);
            pv = detail::torch_addcdiv(pv, m, denom, avg_step);
          },
          p, g, s.exp_avg, s.exp_avg_sq);
      this->mark_updated(i);
    }
  }

 protected:
  void visit_options(detail::StateVisitor<T>& v) override {
    Base::visit_options(v);
    v.option("momentum_decay", options_.momentum_decay);
  }
  void visit_state(size_t i, detail::StateVisitor<T>& v) override {
    NAdamState<T>& s = state_[i];
    v.scalar("step", s.step);
    v.scalar("mu_product", s.mu_product);
    v.tensor("exp_avg", s.exp_avg, true);
    v.tensor("exp_avg_sq", s.exp_avg_sq, true);
  }

 private:
  // The options are checked before the parameters, in PyTorch's order.
  static const NAdamOptions& validate(const NAdamOptions& o) {
    detail::check_adam_like_options(o, "NAdam");
    TAPEGRAD_CHECK(0.0 <= o.momentum_decay, ValueError, "NAdam: invalid momentum_decay value: ", o.momentum_decay);
    return o;
  }
};

}  // namespace tapegrad::optim
