#pragma once
// RAdam: torch.optim.RAdam (1.13, the single-tensor loop): Adam with the
// variance rectification of Liu et al. (2019), plain momentum SGD while the
// approximated SMA length rho_t is at most 5. PyTorch 1.13's RAdam has no
// maximize option, so neither has this one.
//   optim::RAdam opt(model.parameters(), {.lr = 1e-3});
#include <array>
#include <cmath>
#include <vector>

#include "common.hpp"

namespace tapegrad::optim {

struct RAdamOptions {
  double lr = 1e-3;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0;  // L2 penalty added to the gradient
};

/// Per-parameter state (torch's optimizer.state[p]); the tensors are allocated
/// at the parameter's first step.
template <FloatingElement T>
using RAdamState = detail::AdamLikeState<T>;

/// Each step t, for every parameter p with gradient g (Note [Optimizer rounding]):
///   g += weight_decay * p
///   m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2;   m_hat = m / (1 - beta1^t)
///   rho_inf = 2 / (1 - beta2) - 1;   rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
///   rho_t > 5: r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
///              p -= m_hat lr sqrt(1 - beta2^t) / (sqrt(v) + eps) r
///   otherwise: p -= m_hat lr
template <FloatingElement T>
class RAdam : public detail::AdamLike<T, RAdamOptions, RAdamState<T>> {
  using Base = detail::AdamLike<T, RAdamOptions, RAdamState<T>>;
  using Base::options_;
  using Base::state_;

 public:
  explicit RAdam(std::vector<Tensor<T>> params, RAdamOptions options = {})
      : Base(std::move(params), validate(options), "RAdam") {}
  explicit RAdam(std::initializer_list<Tensor<T>> params, RAdamOptions options = {})
      : RAdam(std::vector<Tensor<T>>(params), options) {}

  void step() override {
    NoGradGuard no_grad;
    const RAdamOptions& o = options_;
    const double beta2 = o.betas[1];
    const T lr = static_cast<T>(this->lr());
    const T eps = static_cast<T>(o.eps);
    const auto moments = this->moments();
    for (size_t i = 0; i < this->params_.size(); ++i) {
      const Tensor<T> g = this->grad_of(i);
      if (!g.defined()) continue;
      const Tensor<T>& p = this->params_[i];
      RAdamState<T>& s = this->next_step(i, p);
      const auto t = static_cast<double>(s.step);
      const double bias_correction1 = 1 - std::pow(o.betas[0], t);
      const double bias_correction2 = 1 - std::pow(beta2, t);
      const T bc1 = static_cast<T>(bias_correction1);
      const double rho_inf = 2 / (1 - beta2) - 1;
      const double rho_t = rho_inf - 2 * t * std::pow(beta2, t) / bias_correction2;
      const bool rectify = rho_t > 5.;
      const T rect = rectify ? static_cast<T>(std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf /
                                                        ((rho_inf - 4) * (rho_inf - 2) * rho_t)))
                             : T(0);
      const T bc2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
      detail::zip_apply(
          [=](T& pv, T& gv, T& m, T& v) {
            moments(pv, gv, m, v);
            const T m_hat = m / bc1;
            if (rectify) {
              // math.sqrt(bc2) / tensor is tensor.reciprocal() * scalar in PyTorch
              const T adaptive_lr = T(1) / (std::sqrt(v) + eps) * bc2_sqrt;
              pv = detail::torch_add(pv, m_hat * lr * adaptive_lr * rect, T(-1));
            } else {
              pv = detail::torch_add(pv, m_hat * lr, T(-1));
            }
          },
          p, g, s.exp_avg, s.exp_avg_sq);
      this->mark_updated(i);
    }
  }

 protected:
  void visit_state(size_t i, detail::StateVisitor<T>& v) override {
    v.scalar("step", state_[i].step);
    v.tensor("exp_avg", state_[i].exp_avg, true);
    v.tensor("exp_avg_sq", state_[i].exp_avg_sq, true);
  }

 private:
  // The options are checked before the parameters, in PyTorch's order.
  static const RAdamOptions& validate(const RAdamOptions& o) {
    detail::check_adam_like_options(o, "RAdam");
    return o;
  }
};

}  // namespace tapegrad::optim
