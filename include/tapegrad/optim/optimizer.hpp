#pragma once
// Optimizer<T>: the base of every optimizer (SGD, Adam, AdamW, RMSprop, ...), as
// torch.optim.Optimizer with one parameter group. It owns handles to the
// parameters (sharing their data), a learning rate that schedulers adjust
// through lr()/set_lr(), zero_grad() and state_dict()/load_state_dict(); each
// optimizer's step() updates the parameters in place.
//
// Note [Optimizer steps]: a step reads each parameter's grad() and writes the
// parameter and its state (momentum, moment estimates) in one fused loop per
// parameter, with the scalars cast to T first and the arithmetic in PyTorch's
// order, so float results round as torch's do. Nothing is recorded on the tape
// (the step runs under NoGradGuard, as torch's @torch.no_grad() step), nothing
// is allocated after a parameter's state exists, and the parameter's version
// counter is bumped as by any in-place op: a graph that saved the old value
// refuses to backward. The loop runs in flush-to-zero mode (Note [Denormals]
// in core/denormal.hpp): a state decaying towards zero becomes zero instead
// of denormal. A new optimizer gets this by writing its update through
// detail::zip_apply (or by holding a tapegrad::detail::FlushDenormalScope
// around its own loops).
#include <array>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "../autograd/engine.hpp"
#include "../tensor/factory.hpp"
#include "../tensor/iterator.hpp"
#include "../tensor/map.hpp"
#include "state_dict.hpp"

namespace tapegrad::optim {

namespace detail {
/// f(a[i], b[i], ...) for every element of same-shaped tensors, by reference:
/// the update loop of Note [Optimizer steps]. Contiguous operands (the usual
/// case) run one flat loop the compiler can vectorise, split over threads for
/// large tensors (Note [Parallel elementwise] in tensor/map.hpp).
template <FloatingElement T, class F, class... Rest>
void zip_apply(F&& f, const Tensor<T>& first, const Rest&... rest) {
  tapegrad::detail::FlushDenormalScope flush;  // Note [Denormals] in core/denormal.hpp
  constexpr size_t N = 1 + sizeof...(Rest);
  const std::array<T*, N> ptr{first.data_ptr(), rest.data_ptr()...};
  [&]<size_t... I>(std::index_sequence<I...>) {
    if ((first.is_contiguous() && ... && rest.is_contiguous())) {
      // Note [Parallel elementwise]: f touches element k of each tensor only
      tapegrad::detail::parallel_range(first.numel(), [&](int64_t lo, int64_t n) {
        for (int64_t k = lo; k < lo + n; ++k) f(ptr[I][k]...);
      });
      return;
    }
    tapegrad::detail::for_each_strided<N>(
        first.sizes(), {first.strides(), rest.strides()...},
        [&](const tapegrad::detail::Offsets<N>& base, int64_t n, const tapegrad::detail::Offsets<N>& st) {
          for (int64_t k = 0; k < n; ++k) f(ptr[I][base[I] + k * st[I]]...);
        });
  }(std::make_index_sequence<N>{});
}

}  // namespace detail

/// The base of every optimizer: parameters, learning rate, zero_grad(), step().
template <FloatingElement T>
class Optimizer {
 public:
  using value_type = T;

  virtual ~Optimizer() = default;
  // Schedulers keep a reference to their optimizer, so it stays where it is.
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One update of every parameter that has a grad(); the others are skipped.
  virtual void step() = 0;

  /// Reset the gradients before the next backward(): zero them in place
  /// (PyTorch 1.13's default), or with set_to_none make them undefined, so
  /// the next step skips parameters that the next backward does not reach.
  void zero_grad(bool set_to_none = false) {
    NoGradGuard no_grad;
    for (const auto& p : params_) {
      Tensor<T>& g = p.mutable_grad();
      if (!g.defined()) continue;
      if (set_to_none) {
        g = Tensor<T>();
      } else {
        // A grad with history loses it (torch's detach_() / requires_grad_(False)).
        if (!g.is_leaf()) g = g.detach();
        else if (g.requires_grad()) g.requires_grad_(false);
        g.zero_();
      }
    }
  }

  const std::vector<Tensor<T>>& params() const { return params_; }
  /// The current learning rate (what a scheduler last set).
  double lr() const { return lr_; }
  void set_lr(double lr) {
    TAPEGRAD_CHECK(!(lr < 0.0), ValueError, name_, ": invalid learning rate: ", lr);
    lr_ = lr;
  }
  /// The momentum option that OneCycleLR cycles (SGD's momentum, Adam's beta1),
  /// or nullptr for an optimizer without one (torch: no 'momentum' or 'betas').
  virtual double* cycled_momentum() { return nullptr; }
  /// "SGD", "Adam", ... (the prefix of this optimizer's error messages).
  const char* name() const { return name_; }

  /// torch's optimizer.state_dict(): copies of every parameter's state, keyed
  /// by the parameter's index, and the hyper-parameters (Note [Optimizer state_dict]).
  virtual StateDict<T> state_dict() const;
  /// torch's optimizer.load_state_dict(): every key and shape is checked
  /// against this optimizer's parameters before anything changes (ValueError
  /// naming the key and the shapes); then the hyper-parameters and the state
  /// are replaced by copies of sd's.
  virtual void load_state_dict(const StateDict<T>& sd);

 protected:
  Optimizer(std::vector<Tensor<T>> params, double lr, const char* name)
      : params_(std::move(params)), lr_(lr), name_(name) {
    TAPEGRAD_CHECK(!params_.empty(), ValueError, name_, ": optimizer got an empty parameter list");
    for (size_t i = 0; i < params_.size(); ++i) {
      const auto& p = params_[i];
      TAPEGRAD_CHECK(p.defined(), ValueError, name_, ": parameter ", i, " is an undefined tensor");
      TAPEGRAD_CHECK(p.is_leaf(), ValueError, name_, ": can't optimize a non-leaf tensor: parameter ", i,
                     " (shape ", p.sizes(), ") was computed by ", p.grad_fn_name(),
                     "; pass the leaf tensors that you called requires_grad_() on");
      TAPEGRAD_CHECK(p.requires_grad(), ValueError, name_, ": parameter ", i, " (shape ", p.sizes(),
                     ") does not require grad; call requires_grad_() on it, or leave it out");
      tapegrad::detail::check_writable(p, name_);
      for (size_t j = 0; j < i; ++j)
        TAPEGRAD_CHECK(!params_[j].is_same(p), ValueError, name_, ": parameter ", i,
                       " is the same tensor as parameter ", j, "; pass each parameter once");
    }
  }

  /// Parameter i's gradient, or undefined when it has none (then skip it).
  Tensor<T> grad_of(size_t i) const {
    const auto& p = params_[i];
    Tensor<T> g = p.grad();
    if (g.defined())
      TAPEGRAD_CHECK(g.sizes() == p.sizes(), ShapeError, name_, ": parameter ", i, " has shape ",
                     p.sizes(), " but its grad has shape ", g.sizes());
    return g;
  }

  /// After parameter i was written in place: the version bump of any in-place op.
  void mark_updated(size_t i) const { params_[i].storage()->bump_version(); }

  /// The hooks of state_dict()/load_state_dict(): each optimizer lists its
  /// options besides lr, and parameter i's state fields, by PyTorch's names;
  /// reset_state(i) forgets parameter i's state (no entry in a loaded dict).
  virtual void visit_options(detail::StateVisitor<T>&) {}
  virtual void visit_state(size_t, detail::StateVisitor<T>&) {}
  virtual void reset_state(size_t) {}

  void check_state_index(size_t i) const {
    TAPEGRAD_CHECK(i < params_.size(), IndexError, name_, ": state index ", i, " is out of range for ",
                   params_.size(), " parameters");
  }

  std::vector<Tensor<T>> params_;
  double lr_;
  const char* name_;
};

}  // namespace tapegrad::optim

#include "optimizer_state.hpp"  // the definitions of state_dict()/load_state_dict()
