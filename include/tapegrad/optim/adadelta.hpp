#pragma once
// Adadelta: torch.optim.Adadelta (1.13, the single-tensor loop), with weight
// decay and maximize.
//   optim::Adadelta opt(model.parameters(), {.lr = 1.0});
#include <cmath>
#include <vector>

#include "common.hpp"

namespace tapegrad::optim {

struct AdadeltaOptions {
  double lr = 1.0;   // scales the delta, as PyTorch's
  double rho = 0.9;  // smoothing constant of both running means
  double eps = 1e-6;
  double weight_decay = 0;  // L2 penalty added to the gradient
  bool maximize = false;
};

/// Per-parameter state (torch's optimizer.state[p]), allocated at the first step.
template <FloatingElement T>
struct AdadeltaState {
  int64_t step = 0;
  Tensor<T> square_avg;  // running mean of g^2
  Tensor<T> acc_delta;   // running mean of delta^2
};

/// Each step, for every parameter p with gradient g (Note [Optimizer rounding]):
///   g = maximize ? -g : g;   g += weight_decay * p
///   v = rho v + (1 - rho) g^2
///   delta = sqrt(u + eps) / sqrt(v + eps) * g;   u = rho u + (1 - rho) delta^2
///   p -= lr delta
template <FloatingElement T>
class Adadelta : public detail::OptimizerWithState<T, AdadeltaOptions, AdadeltaState<T>> {
  using Base = detail::OptimizerWithState<T, AdadeltaOptions, AdadeltaState<T>>;
  using Base::options_;
  using Base::state_;

 public:
  explicit Adadelta(std::vector<Tensor<T>> params, AdadeltaOptions options = {})
      : Base(std::move(params), validate(options), "Adadelta") {}
  explicit Adadelta(std::initializer_list<Tensor<T>> params, AdadeltaOptions options = {})
      : Adadelta(std::vector<Tensor<T>>(params), options) {}

  void step() override {
    NoGradGuard no_grad;
    const AdadeltaOptions& o = options_;
    const bool maximize = o.maximize, decay = o.weight_decay != 0;
    const T wd = static_cast<T>(o.weight_decay), rho = static_cast<T>(o.rho);
    const T one_minus_rho = static_cast<T>(1 - o.rho), eps = static_cast<T>(o.eps);
    const T neg_lr = static_cast<T>(-this->lr());
    for (size_t i = 0; i < this->params_.size(); ++i) {
      const Tensor<T> g = this->grad_of(i);
      if (!g.defined()) continue;
      const Tensor<T>& p = this->params_[i];
      AdadeltaState<T>& s = state_[i];
      if (s.step == 0) {
        s.square_avg = zeros<T>(p.sizes());
        s.acc_delta = zeros<T>(p.sizes());
      }
      ++s.step;
      detail::zip_apply(
          [=](T& pv, T& gv_ref, T& v, T& u) {
            T gv = maximize ? -gv_ref : gv_ref;
            if (decay) gv = detail::torch_add(gv, pv, wd);
            v = detail::torch_addcmul(v * rho, gv, gv, one_minus_rho);
            const T std_ = std::sqrt(v + eps);
            const T delta = std::sqrt(u + eps) / std_ * gv;
            u = detail::torch_addcmul(u * rho, delta, delta, one_minus_rho);
            pv = detail::torch_add(pv, delta, neg_lr);
          },
          p, g, s.square_avg, s.acc_delta);
      this->mark_updated(i);
    }
  }

 protected:
  void visit_options(detail::StateVisitor<T>& v) override {
    v.option("rho", options_.rho);
    v.option("eps", options_.eps);
    v.option("weight_decay", options_.weight_decay);
    v.option("maximize", options_.maximize);
  }
  void visit_state(size_t i, detail::StateVisitor<T>& v) override {
    v.scalar("step", state_[i].step);
    v.tensor("square_avg", state_[i].square_avg, true);
    v.tensor("acc_delta", state_[i].acc_delta, true);
  }

 private:
  // The options are checked before the parameters, in PyTorch's order.
  static const AdadeltaOptions& validate(const AdadeltaOptions& o) {
    TAPEGRAD_CHECK(0.0 <= o.lr, ValueError, "Adadelta: invalid learning rate: ", o.lr);
    TAPEGRAD_CHECK(0.0 <= o.rho && o.rho <= 1.0, ValueError, "Adadelta: invalid rho value: ", o.rho);
    TAPEGRAD_CHECK(0.0 <= o.eps, ValueError, "Adadelta: invalid epsilon value: ", o.eps);
    TAPEGRAD_CHECK(0.0 <= o.weight_decay, ValueError, "Adadelta: invalid weight_decay value: ", o.weight_decay);
    return o;
  }
};

}  // namespace tapegrad::optim
