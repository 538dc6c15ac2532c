#pragma once
// Adam and AdamW: torch.optim.Adam / AdamW (1.13, the single-tensor loop),
// including amsgrad and maximize.
//   optim::Adam opt(model.parameters(), {.lr = 1e-3});
//   optim::AdamW opt(model.parameters(), {.lr = 1e-3, .weight_decay = 0.05});
#include <array>
#include <cmath>
#include <type_traits>
#include <vector>

#include "common.hpp"
#include "detail/step_kernels.hpp"

namespace tapegrad::optim {

struct AdamOptions {
  double lr = 1e-3;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0;  // L2 penalty added to the gradient
  bool amsgrad = false;
  bool maximize = false;
};

/// AdamW's options differ from Adam's in the default weight decay, which is
/// decoupled: p *= 1 - lr * weight_decay, not added to the gradient.
struct AdamWOptions {
  double lr = 1e-3;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
  bool maximize = false;
};

/// Per-parameter state (torch's optimizer.state[p]); the tensors are allocated
/// at the parameter's first step.
template <FloatingElement T>
struct AdamState {
  int64_t step = 0;
  Tensor<T> exp_avg;         // m: running mean of the gradient
  Tensor<T> exp_avg_sq;      // v: running mean of its square
  Tensor<T> max_exp_avg_sq;  // max of v so far (amsgrad only)
};

namespace detail {
/// Adam's update; `decoupled` selects AdamW's weight decay. For every
/// parameter p with gradient g, at step t (rounded as PyTorch's kernels,
/// Note [Optimizer rounding] in optim/common.hpp):
///   g = maximize ? -g : g
///   Adam: g += weight_decay * p        AdamW: p *= 1 - lr * weight_decay
///   m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2
///   v_hat = amsgrad ? (vmax = max(vmax, v)) : v
///   p -= lr / (1 - beta1^t) * m / (sqrt(v_hat) / sqrt(1 - beta2^t) + eps)
template <FloatingElement T, class Options>
class AdamBase : public Optimizer<T> {
 public:
  void step() override {
    NoGradGuard no_grad;
    const Options& o = options_;
    const bool maximize = o.maximize, amsgrad = o.amsgrad;
    const bool decay = o.weight_decay != 0;
    const auto max_m = pick_mask<T>(maximize), decay_m = pick_mask<T>(decay);
    const double lr = this->lr();
    const T wd = static_cast<T>(o.weight_decay);
    const T shrink = static_cast<T>(1 - lr * o.weight_decay);  // AdamW
    const T b1 = static_cast<T>(o.betas[0]), b2 = static_cast<T>(o.betas[1]);
    const T one_minus_b1 = static_cast<T>(1 - o.betas[0]), one_minus_b2 = static_cast<T>(1 - o.betas[1]);
    const T eps = static_cast<T>(o.eps);
    for (size_t i = 0; i < this->params_.size(); ++i) {
      const Tensor<T> g = this->grad_of(i);
      if (!g.defined()) continue;
      const Tensor<T>& p = this->params_[i];
      AdamState<T>& s = state_[i];
      if (s.step == 0) {
        s.exp_avg = zeros<T>(p.sizes());
        s.exp_avg_sq = zeros<T>(p.sizes());
        if (amsgrad) s.max_exp_avg_sq = zeros<T>(p.sizes());
      }
      const auto t = static_cast<double>(++s.step);
      const double bias_correction1 = 1 - std::pow(o.betas[0], t);
      const double bias_correction2 = 1 - std::pow(o.betas[1], t);
      const T neg_step_size = static_cast<T>(-(lr / bias_correction1));
      const T bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
      // Up to the sqrt's argument: the moments (and vmax), returning v_hat.
      auto moments = [=](T& pv, T gv, T& m, T& v) {
        // options pick between values computed for every element (detail::pick)
        gv = pick(max_m, -gv, gv);
        if constexpr (kDecoupled) {
          pv = pv * shrink;
        } else {
          gv = pick(decay_m, torch_add(gv, pv, wd), gv);  // grad.add(param, alpha=weight_decay)
        }
        m = torch_add(m * b1, gv, one_minus_b1);           // exp_avg.mul_(beta1).add_(g, alpha=1-beta1)
        v = torch_addcmul(v * b2, gv, gv, one_minus_b2);  // exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1-beta2)
        return v;
      };
      // From sqrt(v_hat): p.addcdiv_(m, sqrt(v_hat) / sqrt(bias_correction2) + eps, value=-step_size)
      auto update = [=](T root, T& pv, T m) {
        const T denom = root / bias_correction2_sqrt + eps;
        pv = torch_addcdiv(pv, m, denom, neg_step_size);
      };
      // Note [Vectorised optimizer steps] (detail/step_kernels.hpp): two
      // loops around a vector sqrt; without amsgrad vmax is not touched.
      if (amsgrad) {
        zip_apply_sqrt(
            [=](T& pv, T& gv, T& m, T& v, T& vmax) {
              vmax = tapegrad::detail::max_nan(vmax, moments(pv, gv, m, v));  // torch.maximum(vmax, v, out=vmax)
              return vmax;
            },
            [=](T root, T& pv, T&, T& m, T&, T&) { update(root, pv, m); }, p, g, s.exp_avg, s.exp_avg_sq,
            s.max_exp_avg_sq);
      } else {
        zip_apply_sqrt([=](T& pv, T& gv, T& m, T& v) { return moments(pv, gv, m, v); },
                       [=](T root, T& pv, T&, T& m, T&) { update(root, pv, m); }, p, g, s.exp_avg, s.exp_avg_sq);
      }
      this->mark_updated(i);
    }
  }

  /// The options, with lr the current learning rate.
  Options options() const {
    Options o = options_;
    o.lr = this->lr();
    return o;
  }
  double* cycled_momentum() override { return &options_.betas[0]; }
  /// Parameter i's state (torch's optimizer.state[params[i]]).
  const AdamState<T>& state(size_t i) const {
    this->check_state_index(i);
    return state_[i];
  }

 protected:
  static constexpr bool kDecoupled = std::is_same_v<Options, AdamWOptions>;

  // state_dict()/load_state_dict() (Note [Optimizer state_dict] in optim/state_dict.hpp)
  void visit_options(StateVisitor<T>& v) override {
    v.option("betas", options_.betas);
    v.option("eps", options_.eps);
    v.option("weight_decay", options_.weight_decay);
    v.option("amsgrad", options_.amsgrad);
    v.option("maximize", options_.maximize);
  }
  void visit_state(size_t i, StateVisitor<T>& v) override {
    AdamState<T>& s = state_[i];
    v.scalar("step", s.step);
    v.tensor("exp_avg", s.exp_avg, true);
    v.tensor("exp_avg_sq", s.exp_avg_sq, true);
    v.tensor("max_exp_avg_sq", s.max_exp_avg_sq, options_.amsgrad);
  }
  void reset_state(size_t i) override { state_[i] = {}; }

  AdamBase(std::vector<Tensor<T>> params, const Options& options, const char* name)
      : Optimizer<T>(std::move(params), validate(options, name).lr, name), options_(options),
        state_(this->params_.size()) {}

 private:
  // The options are checked before the parameters, as in PyTorch.
  static const Options& validate(const Options& o, const char* name) {
    TAPEGRAD_CHECK(0.0 <= o.lr, ValueError, name, ": invalid learning rate: ", o.lr);
    TAPEGRAD_CHECK(0.0 <= o.eps, ValueError, name, ": invalid epsilon value: ", o.eps);
    for (size_t k = 0; k < 2; ++k)
      TAPEGRAD_CHECK(0.0 <= o.betas[k] && o.betas[k] < 1.0, ValueError, name,
                     ": invalid beta parameter at index ", k, ": ", o.betas[k]);
    TAPEGRAD_CHECK(0.0 <= o.weight_decay, ValueError, name, ": invalid weight_decay value: ", o.weight_decay);
    return o;
  }

  Options options_;
  std::vector<AdamState<T>> state_;
};
}  // namespace detail

/// Adam (Kingma & Ba), weight decay as an L2 term in the gradient.
template <FloatingElement T>
class Adam : public detail::AdamBase<T, AdamOptions> {
 public:
  explicit Adam(std::vector<Tensor<T>> params, AdamOptions options = {})
      : detail::AdamBase<T, AdamOptions>(std::move(params), options, "Adam") {}
  explicit Adam(std::initializer_list<Tensor<T>> params, AdamOptions options = {})
      : Adam(std::vector<Tensor<T>>(params), options) {}
};

/// AdamW (Loshchilov & Hutter): Adam with decoupled weight decay.
template <FloatingElement T>
class AdamW : public detail::AdamBase<T, AdamWOptions> {
 public:
  explicit AdamW(std::vector<Tensor<T>> params, AdamWOptions options = {})
      : detail::AdamBase<T, AdamWOptions>(std::move(params), options, "AdamW") {}
  explicit AdamW(std::initializer_list<Tensor<T>> params, AdamWOptions options = {})
      : AdamW(std::vector<Tensor<T>>(params), options) {}
};

}  // namespace tapegrad::optim
