#pragma once
// Adagrad: torch.optim.Adagrad (1.13, the single-tensor loop, dense gradients),
// with learning-rate decay, weight decay and maximize.
//   optim::Adagrad opt(model.parameters(), {.lr = 1e-2});
#include <cmath>
#include <vector>

#include "common.hpp"

namespace tapegrad::optim {

struct AdagradOptions {
  double lr = 1e-2;
  double lr_decay = 0;  // step t uses lr / (1 + (t - 1) lr_decay)
  double weight_decay = 0;  // L2 penalty added to the gradient
  double initial_accumulator_value = 0;
  double eps = 1e-10;
  bool maximize = false;
};

/// Per-parameter state (torch's optimizer.state[p]); as in PyTorch it exists
/// from construction: sum is filled with initial_accumulator_value.
template <FloatingElement T>
struct AdagradState {
  int64_t step = 0;
  Tensor<T> sum;  // sum of g^2 so far
};

/// Each step t, for every parameter p with gradient g (Note [Optimizer rounding]):
///   g = maximize ? -g : g;   g += weight_decay * p
///   sum += g^2;   p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(sum) + eps)
template <FloatingElement T>
class Adagrad : public detail::OptimizerWithState<T, AdagradOptions, AdagradState<T>> {
  using Base = detail::OptimizerWithState<T, AdagradOptions, AdagradState<T>>;
  using Base::options_;
  using Base::state_;

 public:
  explicit Adagrad(std::vector<Tensor<T>> params, AdagradOptions options = {})
      : Base(std::move(params), validate(options), "Adagrad") {
    for (size_t i = 0; i < state_.size(); ++i) reset_state(i);
  }
  explicit Adagrad(std::initializer_list<Tensor<T>> params, AdagradOptions options = {})
      : Adagrad(std::vector<Tensor<T>>(params), options) {}

  void step() override {
    NoGradGuard no_grad;
    const AdagradOptions& o = options_;
    const bool maximize = o.maximize, decay = o.weight_decay != 0;
    const T wd = static_cast<T>(o.weight_decay), eps = static_cast<T>(o.eps);
    for (size_t i = 0; i < this->params_.size(); ++i) {
      const Tensor<T> g = this->grad_of(i);
      if (!g.defined()) continue;
      const Tensor<T>& p = this->params_[i];
      AdagradState<T>& s = state_[i];
      const auto t = static_cast<double>(++s.step);
      // the product rounded before the sum, as in Python (Note [No FMA contraction])
      const T neg_clr = static_cast<T>(-(this->lr() / (1 + tapegrad::detail::unfused((t - 1) * o.lr_decay))));
      detail::zip_apply(
          [=](T& pv, T& gv_ref, T& sum) {
            T gv = maximize ? -gv_ref : gv_ref;
            if (decay) gv = detail::torch_add(gv, pv, wd);
            sum = detail::torch_addcmul(sum, gv, gv, T(1));
            const T std_ = std::sqrt(sum) + eps;
            pv = detail::torch_addcdiv(pv, gv, std_, neg_clr);
          },
          p, g, s.sum);
      this->mark_updated(i);
    }
  }

 protected:
  void visit_options(detail::StateVisitor<T>& v) override {
    v.option("lr_decay", options_.lr_decay);
    v.option("eps", options_.eps);
    v.option("weight_decay", options_.weight_decay);
    v.option("initial_accumulator_value", options_.initial_accumulator_value);
    v.option("maximize", options_.maximize);
  }
  void visit_state(size_t i, detail::StateVisitor<T>& v) override {
    v.scalar("step", state_[i].step);
    v.tensor("sum", state_[i].sum, true);
  }
  void reset_state(size_t i) override {
    state_[i] = {0, full<T>(this->params_[i].sizes(), static_cast<T>(options_.initial_accumulator_value))};
  }

 private:
  // The options are checked before the parameters, in PyTorch's order.
  static const AdagradOptions& validate(const AdagradOptions& o) {
    TAPEGRAD_CHECK(0.0 <= o.lr, ValueError, "Adagrad: invalid learning rate: ", o.lr);
    TAPEGRAD_CHECK(0.0 <= o.lr_decay, ValueError, "Adagrad: invalid lr_decay value: ", o.lr_decay);
    TAPEGRAD_CHECK(0.0 <= o.weight_decay, ValueError, "Adagrad: invalid weight_decay value: ", o.weight_decay);
    TAPEGRAD_CHECK(0.0 <= o.initial_accumulator_value, ValueError,
                   "Adagrad: invalid initial_accumulator_value value: ", o.initial_accumulator_value);
    TAPEGRAD_CHECK(0.0 <= o.eps, ValueError, "Adagrad: invalid epsilon value: ", o.eps);
    return o;
  }
};

}  // namespace tapegrad::optim
