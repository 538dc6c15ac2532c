#pragma once
// SGD with optional momentum, dampening, Nesterov momentum, weight decay and
// maximize: torch.optim.SGD (1.13, the single-tensor loop).
//   optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
#include <cmath>
#include <limits>
#include <vector>

#include "common.hpp"
#include "detail/step_kernels.hpp"

namespace tapegrad::optim {

struct SGDOptions {
  /// Required, as in PyTorch: the NaN default means "not given".
  double lr = std::numeric_limits<double>::quiet_NaN();
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  bool maximize = false;
};

/// Per-parameter state (torch's optimizer.state[p]).
template <FloatingElement T>
struct SGDState {
  Tensor<T> momentum_buffer;  // undefined until the first step with momentum
};

/// Each step, for every parameter p with a gradient g (Note [Optimizer rounding]):
///   g = maximize ? -g : g;   g += weight_decay * p
///   buf = g (first step), else buf = momentum * buf + (1 - dampening) * g
///   g = nesterov ? g + momentum * buf : buf          (when momentum != 0)
///   p -= lr * g
/// Every `+=`/`+ x *` above is one of PyTorch's add(alpha=) calls, a fused
/// multiply-add in its kernels; momentum * buf is rounded first (buf.mul_).
template <FloatingElement T>
class SGD : public Optimizer<T> {
 public:
  SGD(std::vector<Tensor<T>> params, SGDOptions options)
      : Optimizer<T>(std::move(params), validate(options).lr, "SGD"), options_(options),
        state_(this->params_.size()) {}
  SGD(std::initializer_list<Tensor<T>> params, SGDOptions options)
      : SGD(std::vector<Tensor<T>>(params), options) {}

  /// One fused loop per parameter (Note [Optimizer steps]), vectorised at -O2
  /// (Note [Optimizer loops at -O2] in optim/detail/step_kernels.hpp).
  void step() override {
    NoGradGuard no_grad;
    const bool maximize = options_.maximize, nesterov = options_.nesterov;
    const bool decay = options_.weight_decay != 0, momentum_on = options_.momentum != 0;
    const T wd = static_cast<T>(options_.weight_decay);
    const T mom = static_cast<T>(options_.momentum);
    const T keep = static_cast<T>(1 - options_.dampening);
    const T neg_lr = static_cast<T>(-this->lr());
    for (size_t i = 0; i < this->params_.size(); ++i) {
      const Tensor<T> g = this->grad_of(i);
      if (!g.defined()) continue;
      const Tensor<T>& p = this->params_[i];
      // Options pick between values computed for every element (detail::pick).
      const auto max_m = detail::pick_mask<T>(maximize), decay_m = detail::pick_mask<T>(decay);
      const auto nesterov_m = detail::pick_mask<T>(nesterov);
      auto direction = [=](T pv, T gv) {
        const T d = detail::pick(max_m, -gv, gv);
        return detail::pick(decay_m, detail::torch_add(d, pv, wd), d);  // d_p.add(param, alpha=weight_decay)
      };
      if (!momentum_on) {
        detail::zip_apply_step([=](T& pv, T& gv) { pv = detail::torch_add(pv, direction(pv, gv), neg_lr); }, p, g);
      } else {
        Tensor<T>& buf = state_[i].momentum_buffer;
        const bool first = !buf.defined();  // then buf = torch.clone(d_p)
        if (first) buf = zeros<T>(p.sizes());
        const auto first_m = detail::pick_mask<T>(first);
        detail::zip_apply_step(
            [=](T& pv, T& gv, T& bv) {
              const T d = direction(pv, gv);
              // buf.mul_(momentum).add_(d_p, alpha=1-dampening)
              bv = detail::pick(first_m, d, detail::torch_add(bv * mom, d, keep));
              const T ahead = detail::torch_add(d, bv, mom);  // d_p.add(buf, alpha=momentum)
              pv = detail::torch_add(pv, detail::pick(nesterov_m, ahead, bv), neg_lr);  // param.add_(d_p, alpha=-lr)
            },
            p, g, buf);
      }
      this->mark_updated(i);
    }
  }

  /// The options, with lr the current learning rate.
  SGDOptions options() const {
    SGDOptions o = options_;
    o.lr = this->lr();
    return o;
  }
  double* cycled_momentum() override { return &options_.momentum; }
  /// Parameter i's state (torch's optimizer.state[params[i]]).
  const SGDState<T>& state(size_t i) const {
    this->check_state_index(i);
    return state_[i];
  }

 protected:
  // state_dict()/load_state_dict() (Note [Optimizer state_dict] in optim/state_dict.hpp);
  // a parameter without a momentum buffer (momentum 0, or no step yet) has no entry.
  void visit_options(detail::StateVisitor<T>& v) override {
    v.option("momentum", options_.momentum);
    v.option("dampening", options_.dampening);
    v.option("weight_decay", options_.weight_decay);
    v.option("nesterov", options_.nesterov);
    v.option("maximize", options_.maximize);
  }
  void visit_state(size_t i, detail::StateVisitor<T>& v) override {
    v.tensor("momentum_buffer", state_[i].momentum_buffer, false);
  }
  void reset_state(size_t i) override { state_[i] = {}; }

 private:
  // The options are checked before the parameters, as in PyTorch.
  static const SGDOptions& validate(const SGDOptions& o) {
    TAPEGRAD_CHECK(!std::isnan(o.lr), ValueError, "SGD: a learning rate is required: SGD(params, {.lr = 0.01})");
    TAPEGRAD_CHECK(!(o.lr < 0.0), ValueError, "SGD: invalid learning rate: ", o.lr);
    TAPEGRAD_CHECK(!(o.momentum < 0.0), ValueError, "SGD: invalid momentum value: ", o.momentum);
    TAPEGRAD_CHECK(!(o.weight_decay < 0.0), ValueError, "SGD: invalid weight_decay value: ", o.weight_decay);
    TAPEGRAD_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0), ValueError,
                   "SGD: nesterov momentum requires a momentum and zero dampening");
    return o;
  }

  SGDOptions options_;
  std::vector<SGDState<T>> state_;
};

}  // namespace tapegrad::optim
