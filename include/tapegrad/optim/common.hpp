#pragma once
// What the optimizers share: the three in-place tensor updates torch.optim's
// single-tensor loops are written with, rounded as PyTorch 1.13's CPU kernels
// round them (all eight optimizers); Adam's option checks; the holder of
// options and per-parameter state, and NAdam's and RAdam's common part.
//
// Note [Optimizer rounding]: PyTorch's vectorised CPU kernels (AVX2/AVX-512,
// what x86-64 users run) compute a.add_(b, alpha=s) as one fused multiply-add
// fma(s, b, a), a.addcmul_(b, c, value=s) as fma(s * b, c, a), and
// a.addcdiv_(b, c, value=s) as a + (s * b) / c without fusion; tensor * scalar,
// tensor / scalar and tensor + scalar round once (the scalar cast to the
// tensor's dtype first), and `scalar / tensor` is tensor.reciprocal() * scalar.
// Checked bit for bit in float32 and float64 by tools/gen_ref_optim2.py (its
// gradients are recorded, not recomputed, so nothing else differs). std::fma
// is exact on every platform (one instruction with -march=native or on
// aarch64, a libm call otherwise), so the updates round as PyTorch's on x86-64
// builds of PyTorch whatever tapegrad is compiled for (and SGD's and Adam's
// vectorised loops stay fast without -mfma: Note [Optimizer loops at -O2] in
// optim/detail/step_kernels.hpp).
// The other direction matters as much: where PyTorch rounds a product before
// an addition (two kernels, or Python's scalar arithmetic), the compiler must
// not fuse them (Note [No FMA contraction] in core/dtype.hpp: GCC does across
// inlined calls wherever the target has FMA). So no update adds to a product
// computed in the same loop (RMSprop scales its momentum buffer in a loop of
// its own, which keeps both loops vectorisable), and scalar formulas with a
// product under an addition wrap it in unfused(). tests/optim/optim2_test.cpp
// also runs in the -march=native test binary, built at -O2, where GCC fuses.
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "optimizer.hpp"

namespace tapegrad::optim::detail {

/// a.add_(b, alpha=s)
template <FloatingElement T>
T torch_add(T a, T b, T s) {
  return std::fma(s, b, a);
}
/// a.addcmul_(b, c, value=s)
template <FloatingElement T>
T torch_addcmul(T a, T b, T c, T s) {
  return std::fma(s * b, c, a);
}
/// a.addcdiv_(b, c, value=s)
template <FloatingElement T>
T torch_addcdiv(T a, T b, T c, T s) {
  return a + s * b / c;
}

/// The option checks NAdam and RAdam share with Adam, in PyTorch's order and words.
template <class Options>
void check_adam_like_options(const Options& o, const char* name) {
  TAPEGRAD_CHECK(0.0 <= o.lr, ValueError, name, ": invalid learning rate: ", o.lr);
  TAPEGRAD_CHECK(0.0 <= o.eps, ValueError, name, ": invalid epsilon value: ", o.eps);
  for (size_t k = 0; k < 2; ++k)
    TAPEGRAD_CHECK(0.0 <= o.betas[k] && o.betas[k] < 1.0, ValueError, name, ": invalid beta parameter at index ", k,
                   ": ", o.betas[k]);
  TAPEGRAD_CHECK(0.0 <= o.weight_decay, ValueError, name, ": invalid weight_decay value: ", o.weight_decay);
}

/// An optimizer with options (lr kept by Optimizer, which schedulers change)
/// and a State per parameter (torch's optimizer.state[p]).
template <FloatingElement T, class Options, class State>
class OptimizerWithState : public Optimizer<T> {
 public:
  /// The options, with lr the current learning rate.
  Options options() const {
    Options o = options_;
    o.lr = this->lr();
    return o;
  }
  /// Parameter i's state (torch's optimizer.state[params[i]]).
  const State& state(size_t i) const {
    this->check_state_index(i);
    return state_[i];
  }

 protected:
  /// `options` checked by the caller first: PyTorch checks them before the parameters.
  OptimizerWithState(std::vector<Tensor<T>> params, const Options& options, const char* name)
      : Optimizer<T>(std::move(params), options.lr, name), options_(options), state_(this->params_.size()) {}
  void reset_state(size_t i) override { state_[i] = State{}; }

  Options options_;
  std::vector<State> state_;
};

/// The state NAdam and RAdam share (torch's optimizer.state[p]); the tensors
/// are allocated at the parameter's first step.
template <FloatingElement T>
struct AdamLikeState {
  int64_t step = 0;
  Tensor<T> exp_avg;     // m: running mean of the gradient
  Tensor<T> exp_avg_sq;  // v: running mean of its square
};

/// NAdam's and RAdam's common part: Adam's betas, eps and weight_decay
/// (checked by check_adam_like_options in the derived class's validate, so
/// that its own options are checked in PyTorch's order), betas[0] cycled by
/// OneCycleLR, and Adam's moment update.
template <FloatingElement T, class Options, class State>
class AdamLike : public OptimizerWithState<T, Options, State> {
 public:
  /// What OneCycleLR(cycle_momentum) cycles, as PyTorch's `betas[0]`; step() reads it each time.
  double* cycled_momentum() override { return &this->options_.betas[0]; }

 protected:
  using OptimizerWithState<T, Options, State>::OptimizerWithState;

  /// Adam's moments for one element, rounded as PyTorch's (Note [Optimizer rounding]):
  ///   g += weight_decay * p;   m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2
  /// returning the decayed g.
  struct Moments {
    bool decay;
    T wd, b1, b2, one_minus_b1, one_minus_b2;
    T operator()(T pv, T gv, T& m, T& v) const {
      if (decay) gv = torch_add(gv, pv, wd);  // grad.add(param, alpha=weight_decay)
      m = torch_add(m * b1, gv, one_minus_b1);
      v = torch_addcmul(v * b2, gv, gv, one_minus_b2);
      return gv;
    }
  };
  Moments moments() const {
    const Options& o = this->options_;
    return {o.weight_decay != 0,
            static_cast<T>(o.weight_decay),
            static_cast<T>(o.betas[0]),
            static_cast<T>(o.betas[1]),
            static_cast<T>(1 - o.betas[0]),
            static_cast<T>(1 - o.betas[1])};
  }

  /// Parameter i's state, at a step of parameter p: its moments allocated at
  /// the first step, the step counted.
  State& next_step(size_t i, const Tensor<T>& p) {
    State& s = this->state_[i];
    if (s.step == 0) {
      s.exp_avg = zeros<T>(p.sizes());
      s.exp_avg_sq = zeros<T>(p.sizes());
    }
    ++s.step;
    return s;
  }

  void visit_options(StateVisitor<T>& v) override {
    v.option("betas", this->options_.betas);
    v.option("eps", this->options_.eps);
    v.option("weight_decay", this->options_.weight_decay);
  }
};

}  // namespace tapegrad::optim::detail
