#pragma once
// RMSprop: torch.optim.RMSprop (1.13, the single-tensor loop), with momentum,
// the centered variant, weight decay and maximize.
//   optim::RMSprop opt(model.parameters(), {.lr = 1e-2, .alpha = 0.99});
#include <cmath>
#include <vector>

#include "common.hpp"

namespace tapegrad::optim {

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;  // smoothing constant of the running mean of g^2
  double eps = 1e-8;
  double weight_decay = 0;  // L2 penalty added to the gradient
  double momentum = 0;
  bool centered = false;  // divide by the estimated variance instead of the mean square
  bool maximize = false;
};

/// Per-parameter state (torch's optimizer.state[p]), allocated at the first step.
template <FloatingElement T>
struct RMSpropState {
  int64_t step = 0;
  Tensor<T> square_avg;       // running mean of g^2
  Tensor<T> momentum_buffer;  // momentum > 0 only
  Tensor<T> grad_avg;         // centered only: running mean of g
};

/// Each step, for every parameter p with gradient g (Note [Optimizer rounding]):
///   g = maximize ? -g : g;   g += weight_decay * p
///   v = alpha v + (1 - alpha) g^2
///   avg = sqrt(v - gavg^2) + eps, gavg = alpha gavg + (1 - alpha) g   (centered)
///   avg = sqrt(v) + eps                                              (otherwise)
///   momentum > 0: buf = momentum buf + g / avg;  p -= lr buf
///   otherwise:    p -= lr g / avg
template <FloatingElement T>
class RMSprop : public detail::OptimizerWithState<T, RMSpropOptions, RMSpropState<T>> {
  using Base = detail::OptimizerWithState<T, RMSpropOptions, RMSpropState<T>>;
  using Base::options_;
  using Base::state_;

 public:
  explicit RMSprop(std::vector<Tensor<T>> params, RMSpropOptions options = {})
      : Base(std::move(params), validate(options), "RMSprop") {}
  explicit RMSprop(std::initializer_list<Tensor<T>> params, RMSpropOptions options = {})
      : RMSprop(std::vector<Tensor<T>>(params), options) {}

  /// What OneCycleLR(cycle_momentum) cycles, as PyTorch's `momentum`; step() reads it each time.
  double* cycled_momentum() override { return &options_.momentum; }

  void step() override {
    NoGradGuard no_grad;
    const RMSpropOptions& o = options_;
    const bool maximize = o.maximize, centered = o.centered, decay = o.weight_decay != 0;
    const bool momentum_on = o.momentum > 0;
    const T wd = static_cast<T>(o.weight_decay), alpha = static_cast<T>(o.alpha);
    const T one_minus_alpha = static_cast<T>(1 - o.alpha), eps = static_cast<T>(o.eps);
    const T mom = static_cast<T>(o.momentum), neg_lr = static_cast<T>(-this->lr());
    for (size_t i = 0; i < this->params_.size(); ++i) {
      const Tensor<T> g = this->grad_of(i);
      if (!g.defined()) continue;
      const Tensor<T>& p = this->params_[i];
      RMSpropState<T>& s = state_[i];
      if (s.step == 0) {
        s.square_avg = zeros<T>(p.sizes());
        if (momentum_on) s.momentum_buffer = zeros<T>(p.sizes());
        if (centered) s.grad_avg = zeros<T>(p.sizes());
      }
      // momentum turned on after the first step (e.g. by a scheduler): the
      // buffer starts at zero then (PyTorch 1.13 raises a KeyError there)
      if (momentum_on && !s.momentum_buffer.defined()) s.momentum_buffer = zeros<T>(p.sizes());
      ++s.step;
      // buf.mul_(momentum) in a pass of its own: the addition below must not
      // fuse with this product (Note [Optimizer rounding]).
      if (momentum_on) detail::zip_apply([=](T& buf) { buf = buf * mom; }, s.momentum_buffer);
      // Absent buffers alias square_avg and are neither read nor written.
      const Tensor<T>& buf_t = momentum_on ? s.momentum_buffer : s.square_avg;
      const Tensor<T>& gavg_t = centered ? s.grad_avg : s.square_avg;
      detail::zip_apply(
          [=](T& pv, T& gv_ref, T& v, T& buf, T& gavg) {
            T gv = maximize ? -gv_ref : gv_ref;
            if (decay) gv = detail::torch_add(gv, pv, wd);         // grad.add(p, alpha=wd)
            v = detail::torch_addcmul(v * alpha, gv, gv, one_minus_alpha);
            T avg;
            if (centered) {
              gavg = detail::torch_add(gavg * alpha, gv, one_minus_alpha);
              avg = std::sqrt(detail::torch_addcmul(v, gavg, gavg, T(-1)));
            } else {
              avg = std::sqrt(v);
            }
            avg = avg + eps;
            if (momentum_on) {
              buf = detail::torch_addcdiv(buf, gv, avg, T(1));
              pv = detail::torch_add(pv, buf, neg_lr);
            } else {
              pv = detail::torch_addcdiv(pv, gv, avg, neg_lr);
            }
          },
          p, g, s.square_avg, buf_t, gavg_t);
      this->mark_updated(i);
    }
  }

 protected:
  void visit_options(detail::StateVisitor<T>& v) override {
    v.option("momentum", options_.momentum);
    v.option("alpha", options_.alpha);
    v.option("eps", options_.eps);
    v.option("centered", options_.centered);
    v.option("weight_decay", options_.weight_decay);
    v.option("maximize", options_.maximize);
  }
  void visit_state(size_t i, detail::StateVisitor<T>& v) override {
    RMSpropState<T>& s = state_[i];
    v.scalar("step", s.step);
    v.tensor("square_avg", s.square_avg, true);
    v.tensor("momentum_buffer", s.momentum_buffer, options_.momentum > 0);
    v.tensor("grad_avg", s.grad_avg, options_.centered);
  }

 private:
  // The options are checked before the parameters, in PyTorch's order.
  static const RMSpropOptions& validate(const RMSpropOptions& o) {
    TAPEGRAD_CHECK(0.0 <= o.lr, ValueError, "RMSprop: invalid learning rate: ", o.lr);
    TAPEGRAD_CHECK(0.0 <= o.eps, ValueError, "RMSprop: invalid epsilon value: ", o.eps);
    TAPEGRAD_CHECK(0.0 <= o.momentum, ValueError, "RMSprop: invalid momentum value: ", o.momentum);
    TAPEGRAD_CHECK(0.0 <= o.weight_decay, ValueError, "RMSprop: invalid weight_decay value: ", o.weight_decay);
    TAPEGRAD_CHECK(0.0 <= o.alpha, ValueError, "RMSprop: invalid alpha value: ", o.alpha);
    return o;
  }
};

}  // namespace tapegrad::optim
