#pragma once
// Learning-rate schedules: torch.optim.lr_scheduler's StepLR, MultiStepLR,
// ExponentialLR, CosineAnnealingLR, LinearLR, LambdaLR, OneCycleLR,
// SequentialLR and ReduceLROnPlateau. Call step() once per epoch (OneCycleLR:
// once per batch), after optimizer.step():
//   optim::SGD opt(params, {.lr = 0.1});
//   optim::StepLR sched(opt, /*step_size=*/30, /*gamma=*/0.1);
//   for (int epoch = 0; epoch < 100; ++epoch) { train(opt); sched.step(); }
// ReduceLROnPlateau's step takes the metric it watches: sched.step(val_loss).
//
// Note [Recursive schedules]: PyTorch's step() computes each new lr from the
// optimizer's current one (the "chainable" form), not from the closed form in
// the docs; the two differ in the last bits, so these do as PyTorch does.
// PyTorch uses the closed form only for step(epoch), which SequentialLR calls
// as step(0) when it switches to the next scheduler (step_to_epoch here).
//
// Note [Scheduler base lr]: a scheduler's base_lr is the optimizer's lr when
// the scheduler is made (OneCycleLR: max_lr / div_factor). PyTorch keeps one
// 'initial_lr' per optimizer, set by the first scheduler made on it; the two
// agree except when a second scheduler is made after the first changed the
// lr. SequentialLR gives all its schedulers the first one's base_lr, as
// PyTorch's shared initial_lr does.
//
// Note [Scheduler state]: state_dict() holds what step() changes (last_epoch,
// last_lr, base_lr; ReduceLROnPlateau's best, num_bad_epochs and
// cooldown_counter; SequentialLR's schedulers under "schedulers.<i>.") as
// numbers; the options are the constructor's. As in PyTorch, resuming a
// chainable schedule also needs the optimizer's lr back (its own state).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <numbers>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "optimizer.hpp"

namespace tapegrad::optim {

/// A scheduler's state_dict(): named numbers (Note [Scheduler state]).
using SchedulerState = std::map<std::string, double>;

namespace detail {
inline double state_at(const SchedulerState& s, const std::string& key, const char* who) {
  const auto it = s.find(key);
  TAPEGRAD_CHECK(it != s.end(), ValueError, who, ": load_state_dict: missing key '", key, "'");
  return it->second;
}
}  // namespace detail

template <FloatingElement T>
class SequentialLR;

/// The base of the epoch schedulers: holds the optimizer (which must outlive it).
template <FloatingElement T>
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  /// End of an epoch: advance the schedule and set the optimizer's lr.
  void step() {
    ++last_epoch_;
    apply(next_lr());
  }
  /// The lr this scheduler last set (the optimizer's lr at construction before any step()).
  double get_last_lr() const { return last_lr_; }
  /// Epochs stepped so far (PyTorch's last_epoch; 0 after construction).
  int64_t last_epoch() const { return last_epoch_; }
  /// The lr the schedule starts from (Note [Scheduler base lr]).
  double base_lr() const { return base_lr_; }

  /// {last_epoch, last_lr, base_lr} (Note [Scheduler state]).
  virtual SchedulerState state_dict() const {
    return {{"last_epoch", static_cast<double>(last_epoch_)}, {"last_lr", last_lr_}, {"base_lr", base_lr_}};
  }
  /// Continue from a state_dict() of a scheduler made with the same options.
  virtual void load_state_dict(const SchedulerState& state) {
    last_epoch_ = static_cast<int64_t>(detail::state_at(state, "last_epoch", name_));
    last_lr_ = detail::state_at(state, "last_lr", name_);
    base_lr_ = detail::state_at(state, "base_lr", name_);
  }

 protected:
  explicit LRScheduler(Optimizer<T>& optimizer, const char* name = "LRScheduler")
      : optimizer_(&optimizer), base_lr_(optimizer.lr()), last_lr_(optimizer.lr()), name_(name) {}
  /// The lr for epoch last_epoch(), from the current one (Note [Recursive schedules]).
  virtual double next_lr() = 0;
  /// The lr for epoch last_epoch() from base_lr alone, where PyTorch has such a form.
  virtual double closed_form_lr() { return next_lr(); }
  /// PyTorch's initial step at construction, for schedules whose epoch 0 changes the lr.
  void initial_step() { apply(next_lr()); }
  void set_base_lr(double lr) { base_lr_ = lr; }
  void apply(double lr) {
    optimizer_->set_lr(lr);
    last_lr_ = optimizer_->lr();
  }
  double current_lr() const { return optimizer_->lr(); }

 private:
  friend class SequentialLR<T>;
  /// PyTorch's step(epoch): jump to an epoch by the closed form.
  void step_to_epoch(int64_t epoch) {
    last_epoch_ = epoch;
    apply(closed_form_lr());
  }

  Optimizer<T>* optimizer_;
  double base_lr_;
  double last_lr_;
  const char* name_;
  int64_t last_epoch_ = 0;
};

/// lr = base_lr * gamma^(epoch / step_size) (integer division): decays by
/// gamma every step_size epochs.
template <FloatingElement T>
class StepLR : public LRScheduler<T> {
 public:
  StepLR(Optimizer<T>& optimizer, int64_t step_size, double gamma = 0.1)
      : LRScheduler<T>(optimizer, "StepLR"), step_size_(step_size), gamma_(gamma) {
    TAPEGRAD_CHECK(step_size > 0, ValueError, "StepLR: step_size must be positive, got ", step_size);
  }

 private:
  double next_lr() override {
    const int64_t e = this->last_epoch();
    return e == 0 || e % step_size_ != 0 ? this->current_lr() : this->current_lr() * gamma_;
  }
  double closed_form_lr() override {
    return this->base_lr() * std::pow(gamma_, static_cast<double>(this->last_epoch() / step_size_));
  }
  int64_t step_size_;
  double gamma_;
};

/// lr = base_lr * gamma^(number of milestones <= epoch): decays by gamma at
/// each milestone epoch (a milestone listed twice decays by gamma^2).
template <FloatingElement T>
class MultiStepLR : public LRScheduler<T> {
 public:
  MultiStepLR(Optimizer<T>& optimizer, std::vector<int64_t> milestones, double gamma = 0.1)
      : LRScheduler<T>(optimizer, "MultiStepLR"), milestones_(std::move(milestones)), gamma_(gamma) {
    std::sort(milestones_.begin(), milestones_.end());
  }

 private:
  double next_lr() override {
    const auto hits = std::count(milestones_.begin(), milestones_.end(), this->last_epoch());
    return hits == 0 ? this->current_lr() : this->current_lr() * std::pow(gamma_, static_cast<double>(hits));
  }
  double closed_form_lr() override {
    const auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), this->last_epoch()) -
                        milestones_.begin();
    return this->base_lr() * std::pow(gamma_, static_cast<double>(passed));
  }
  std::vector<int64_t> milestones_;
  double gamma_;
};

/// lr = base_lr * gamma^epoch.
template <FloatingElement T>
class ExponentialLR : public LRScheduler<T> {
 public:
  ExponentialLR(Optimizer<T>& optimizer, double gamma)
      : LRScheduler<T>(optimizer, "ExponentialLR"), gamma_(gamma) {}

 private:
  double next_lr() override { return this->last_epoch() == 0 ? this->current_lr() : this->current_lr() * gamma_; }
  double closed_form_lr() override {
    return this->base_lr() * std::pow(gamma_, static_cast<double>(this->last_epoch()));
  }
  double gamma_;
};

/// lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2:
/// half a cosine from base_lr down to eta_min over T_max epochs, then back up
/// (SGDR without restarts), computed recursively as PyTorch (Note [Recursive schedules]).
template <FloatingElement T>
class CosineAnnealingLR : public LRScheduler<T> {
 public:
  CosineAnnealingLR(Optimizer<T>& optimizer, int64_t T_max, double eta_min = 0)
      : LRScheduler<T>(optimizer, "CosineAnnealingLR"), t_max_(T_max), eta_min_(eta_min) {
    TAPEGRAD_CHECK(T_max > 0, ValueError, "CosineAnnealingLR: T_max must be positive, got ", T_max);
  }

 private:
  double next_lr() override {
    constexpr double pi = std::numbers::pi;
    const int64_t e = this->last_epoch();
    const double lr = this->current_lr(), base = this->base_lr(), tm = static_cast<double>(t_max_);
    if (e == 0) return lr;
    // After the minimum (where the ratio below would divide by 0), step back up.
    if ((e - 1 - t_max_) % (2 * t_max_) == 0)
      return lr + (base - eta_min_) * (1 - std::cos(pi / tm)) / 2;
    // the product rounded before the sum, as in Python (Note [No FMA contraction])
    return tapegrad::detail::unfused((1 + std::cos(pi * static_cast<double>(e) / tm)) /
                                     (1 + std::cos(pi * static_cast<double>(e - 1) / tm)) * (lr - eta_min_)) +
           eta_min_;
  }
  double closed_form_lr() override {
    const double e = static_cast<double>(this->last_epoch()), tm = static_cast<double>(t_max_);
    return eta_min_ + (this->base_lr() - eta_min_) * (1 + std::cos(std::numbers::pi * e / tm)) / 2;
  }
  int64_t t_max_;
  double eta_min_;
};

struct LinearLROptions {
  double start_factor = 1.0 / 3;
  double end_factor = 1.0;
  int64_t total_iters = 5;
};

/// lr = base_lr * (start_factor + (end_factor - start_factor) * min(epoch, total_iters) / total_iters):
/// a linear ramp of the factor over total_iters epochs (warm-up), then constant.
template <FloatingElement T>
class LinearLR : public LRScheduler<T> {
 public:
  explicit LinearLR(Optimizer<T>& optimizer, LinearLROptions options = {})
      : LRScheduler<T>(optimizer, "LinearLR"), o_(options) {
    TAPEGRAD_CHECK(0.0 <= o_.start_factor && o_.start_factor <= 1.0, ValueError,
                   "LinearLR: Starting multiplicative factor expected to be between 0 and 1.");
    TAPEGRAD_CHECK(0.0 <= o_.end_factor && o_.end_factor <= 1.0, ValueError,
                   "LinearLR: Ending multiplicative factor expected to be between 0 and 1.");
    this->initial_step();
  }

 private:
  double next_lr() override {
    using tapegrad::detail::unfused;
    const int64_t e = this->last_epoch();
    const double lr = this->current_lr(), delta = o_.end_factor - o_.start_factor;
    if (e == 0) return lr * o_.start_factor;
    if (e > o_.total_iters) return lr;
    return lr * (1.0 + delta / (unfused(static_cast<double>(o_.total_iters) * o_.start_factor) +
                                unfused(static_cast<double>(e - 1) * delta)));
  }
  double closed_form_lr() override {
    const double reached = static_cast<double>(std::min(o_.total_iters, this->last_epoch()));
    return this->base_lr() *
           (o_.start_factor + (o_.end_factor - o_.start_factor) * reached / static_cast<double>(o_.total_iters));
  }
  LinearLROptions o_;
};

/// lr = base_lr * lr_lambda(epoch), for any factor function of the epoch.
template <FloatingElement T>
class LambdaLR : public LRScheduler<T> {
 public:
  LambdaLR(Optimizer<T>& optimizer, std::function<double(int64_t)> lr_lambda)
      : LRScheduler<T>(optimizer, "LambdaLR"), lambda_(std::move(lr_lambda)) {
    TAPEGRAD_CHECK(static_cast<bool>(lambda_), ValueError, "LambdaLR: lr_lambda is an empty function");
    this->initial_step();
  }

 private:
  double next_lr() override { return this->base_lr() * lambda_(this->last_epoch()); }
  std::function<double(int64_t)> lambda_;
};

struct OneCycleLROptions {
  std::optional<int64_t> total_steps = std::nullopt;  // or epochs * steps_per_epoch
  std::optional<int64_t> epochs = std::nullopt;
  std::optional<int64_t> steps_per_epoch = std::nullopt;
  double pct_start = 0.3;
  std::string anneal_strategy = "cos";     // or "linear"
  bool cycle_momentum = true;
  double base_momentum = 0.85;
  double max_momentum = 0.95;
  double div_factor = 25.0;
  double final_div_factor = 1e4;
  bool three_phase = false;
};

/// The 1cycle policy, stepped once per batch: lr rises from max_lr / div_factor
/// to max_lr over pct_start of total_steps, then anneals to
/// max_lr / div_factor / final_div_factor (three_phase: back down to the start
/// first, then to the minimum), cos or linear; with cycle_momentum the
/// optimizer's momentum (SGD) or beta1 (Adam) moves the other way between
/// max_momentum and base_momentum.
template <FloatingElement T>
class OneCycleLR : public LRScheduler<T> {
 public:
  OneCycleLR(Optimizer<T>& optimizer, double max_lr, const OneCycleLROptions& options = {})
      : LRScheduler<T>(optimizer, "OneCycleLR"), max_lr_(max_lr), o_(options) {
    const char* who = "OneCycleLR: ";
    if (o_.total_steps) {
      TAPEGRAD_CHECK(*o_.total_steps > 0, ValueError, who, "Expected positive integer total_steps, but got ",
                     *o_.total_steps);
      total_steps_ = *o_.total_steps;
    } else {
      TAPEGRAD_CHECK(o_.epochs && o_.steps_per_epoch, ValueError, who,
                     "You must define either total_steps OR (epochs AND steps_per_epoch)");
      TAPEGRAD_CHECK(*o_.epochs > 0, ValueError, who, "Expected positive integer epochs, but got ", *o_.epochs);
      TAPEGRAD_CHECK(*o_.steps_per_epoch > 0, ValueError, who, "Expected positive integer steps_per_epoch, but got ",
                     *o_.steps_per_epoch);
      total_steps_ = *o_.epochs * *o_.steps_per_epoch;
    }
    TAPEGRAD_CHECK(0.0 <= o_.pct_start && o_.pct_start <= 1.0, ValueError, who,
                   "Expected float between 0 and 1 pct_start, but got ", o_.pct_start);
    TAPEGRAD_CHECK(o_.anneal_strategy == "cos" || o_.anneal_strategy == "linear", ValueError, who,
                   "anneal_strategy must by one of 'cos' or 'linear', instead got ", o_.anneal_strategy);
    const double total = static_cast<double>(total_steps_), initial = max_lr / o_.div_factor;
    const double min_lr = initial / o_.final_div_factor, up_end = tapegrad::detail::unfused(o_.pct_start * total) - 1;
    const double mmax = o_.max_momentum, mbase = o_.base_momentum;
    if (o_.three_phase)
      phases_ = {Phase{up_end, initial, max_lr, mmax, mbase},
                 Phase{tapegrad::detail::unfused(2 * o_.pct_start * total) - 2, max_lr, initial, mbase, mmax},
                 Phase{total - 1, initial, min_lr, mmax, mmax}};
    else
      phases_ = {Phase{up_end, initial, max_lr, mmax, mbase}, Phase{total - 1, max_lr, min_lr, mbase, mmax}};
    if (o_.cycle_momentum) {
      momentum_ = optimizer.cycled_momentum();
      TAPEGRAD_CHECK(momentum_ != nullptr, ValueError, who,
                     "optimizer must support momentum with `cycle_momentum` option enabled");
      *momentum_ = mmax;
    }
    this->set_base_lr(initial);  // PyTorch's initial_lr (Note [Scheduler base lr])
    this->initial_step();
  }
  int64_t total_steps() const { return total_steps_; }

 private:
  struct Phase {
    double end_step, start_lr, end_lr, start_momentum, end_momentum;
  };
  double anneal(double start, double end, double pct) const {
    using tapegrad::detail::unfused;
    if (o_.anneal_strategy == "cos")
      return end + unfused((start - end) / 2.0 * (std::cos(std::numbers::pi * pct) + 1));
    return unfused((end - start) * pct) + start;
  }
  double next_lr() override {
    const int64_t step = this->last_epoch();
    TAPEGRAD_CHECK(step <= total_steps_, ValueError, "OneCycleLR: Tried to step ", step + 1,
                   " times. The specified number of total steps is ", total_steps_);
    double start_step = 0;
    for (size_t i = 0; i < phases_.size(); ++i) {
      const Phase& ph = phases_[i];
      if (static_cast<double>(step) <= ph.end_step || i + 1 == phases_.size()) {
        TAPEGRAD_CHECK(ph.end_step != start_step, ValueError, "OneCycleLR: phase ", i,
                       " has no steps (pct_start * total_steps = ", o_.pct_start * static_cast<double>(total_steps_),
                       "); PyTorch divides by zero here");
        const double pct = (static_cast<double>(step) - start_step) / (ph.end_step - start_step);
        if (momentum_ != nullptr) *momentum_ = anneal(ph.start_momentum, ph.end_momentum, pct);
        return anneal(ph.start_lr, ph.end_lr, pct);
      }
      start_step = ph.end_step;
    }
    return this->current_lr();  // not reached: the last phase always matches
  }
  double max_lr_;
  OneCycleLROptions o_;
  int64_t total_steps_ = 0;
  std::vector<Phase> phases_;
  double* momentum_ = nullptr;
};

/// Runs schedulers one after the other: schedulers[i] from epoch milestones[i - 1]
/// on, restarted there at its epoch 0. The schedulers must outlive it.
template <FloatingElement T>
class SequentialLR : public LRScheduler<T> {
 public:
  SequentialLR(Optimizer<T>& optimizer, std::vector<LRScheduler<T>*> schedulers, std::vector<int64_t> milestones)
      : LRScheduler<T>(optimizer, "SequentialLR"), schedulers_(std::move(schedulers)), milestones_(std::move(milestones)) {
    TAPEGRAD_CHECK(!schedulers_.empty(), ValueError, "SequentialLR: expects at least one scheduler");
    for (size_t i = 0; i < schedulers_.size(); ++i)
      TAPEGRAD_CHECK(schedulers_[i] != nullptr && schedulers_[i]->optimizer_ == &optimizer, ValueError,
                     "SequentialLR: Sequential Schedulers expects all schedulers to belong to the same optimizer, "
                     "but got schedulers at index ", i, " to be different than the optimizer passed in.");
    TAPEGRAD_CHECK(milestones_.size() + 1 == schedulers_.size(), ValueError,
                   "SequentialLR: Sequential Schedulers expects number of schedulers provided to be one more than "
                   "the number of milestone points, but got number of schedulers ", schedulers_.size(),
                   " and the number of milestones to be equal to ", milestones_.size());
    // Back to the start: the first scheduler's base lr, its epoch 0 (PyTorch
    // undoes the construction steps of all and redoes the first's).
    const double base = schedulers_[0]->base_lr();
    for (LRScheduler<T>* s : schedulers_) s->base_lr_ = base;
    this->base_lr_ = base;
    this->apply(base);
    schedulers_[0]->last_epoch_ = 0;
    schedulers_[0]->initial_step();
    this->last_lr_ = schedulers_[0]->get_last_lr();
  }

  /// Its own {last_epoch, last_lr, base_lr} and each scheduler's under "schedulers.<i>.".
  SchedulerState state_dict() const override {
    SchedulerState s = LRScheduler<T>::state_dict();
    for (size_t i = 0; i < schedulers_.size(); ++i)
      for (const auto& [k, v] : schedulers_[i]->state_dict()) s["schedulers." + std::to_string(i) + "." + k] = v;
    return s;
  }
  void load_state_dict(const SchedulerState& state) override {
    LRScheduler<T>::load_state_dict(state);
    for (size_t i = 0; i < schedulers_.size(); ++i) {
      const std::string prefix = "schedulers." + std::to_string(i) + ".";
      SchedulerState sub;
      for (const auto& [k, v] : state)
        if (k.rfind(prefix, 0) == 0) sub[k.substr(prefix.size())] = v;
      schedulers_[i]->load_state_dict(sub);
    }
  }

 private:
  double next_lr() override {
    const int64_t e = this->last_epoch();
    const size_t idx = static_cast<size_t>(std::upper_bound(milestones_.begin(), milestones_.end(), e) -
                                           milestones_.begin());
    LRScheduler<T>* s = schedulers_[idx];
    if (idx > 0 && milestones_[idx - 1] == e) s->step_to_epoch(0);
    else s->step();
    return s->get_last_lr();
  }
  std::vector<LRScheduler<T>*> schedulers_;
  std::vector<int64_t> milestones_;
};

struct ReduceLROnPlateauOptions {
  std::string mode = "min";  // "min": the metric should fall; "max": rise
  double factor = 0.1;
  int64_t patience = 10;
  double threshold = 1e-4;
  std::string threshold_mode = "rel";  // or "abs"
  int64_t cooldown = 0;
  double min_lr = 0;
  double eps = 1e-8;
};

/// Multiplies the lr by factor (not below min_lr) when the metric given to
/// step(metric) has not improved by threshold for more than patience epochs,
/// then waits cooldown epochs before counting again.
template <FloatingElement T>
class ReduceLROnPlateau {
 public:
  explicit ReduceLROnPlateau(Optimizer<T>& optimizer, ReduceLROnPlateauOptions options = {})
      : optimizer_(&optimizer), o_(std::move(options)), last_lr_(optimizer.lr()) {
    TAPEGRAD_CHECK(o_.factor < 1.0, ValueError, "ReduceLROnPlateau: Factor should be < 1.0.");
    TAPEGRAD_CHECK(o_.mode == "min" || o_.mode == "max", ValueError, "ReduceLROnPlateau: mode ", o_.mode,
                   " is unknown!");
    TAPEGRAD_CHECK(o_.threshold_mode == "rel" || o_.threshold_mode == "abs", ValueError,
                   "ReduceLROnPlateau: threshold mode ", o_.threshold_mode, " is unknown!");
    best_ = worst();
  }
  ReduceLROnPlateau(const ReduceLROnPlateau&) = delete;
  ReduceLROnPlateau& operator=(const ReduceLROnPlateau&) = delete;

  /// End of an epoch with the watched metric (e.g. the validation loss).
  void step(double metric) {
    ++last_epoch_;
    if (is_better(metric)) {
      best_ = metric;
      num_bad_epochs_ = 0;
    } else {
      ++num_bad_epochs_;
    }
    if (cooldown_counter_ > 0) {
      --cooldown_counter_;
      num_bad_epochs_ = 0;  // bad epochs in the cooldown do not count
    }
    if (num_bad_epochs_ > o_.patience) {
      const double old_lr = optimizer_->lr(), new_lr = std::max(old_lr * o_.factor, o_.min_lr);
      if (old_lr - new_lr > o_.eps) optimizer_->set_lr(new_lr);
      cooldown_counter_ = o_.cooldown;
      num_bad_epochs_ = 0;
    }
    last_lr_ = optimizer_->lr();
  }
  double get_last_lr() const { return last_lr_; }
  int64_t last_epoch() const { return last_epoch_; }
  /// The best metric so far (+inf for "min", -inf for "max" before the first step).
  double best() const { return best_; }
  int64_t num_bad_epochs() const { return num_bad_epochs_; }
  int64_t cooldown_counter() const { return cooldown_counter_; }

  /// {last_epoch, last_lr, best, num_bad_epochs, cooldown_counter} (Note [Scheduler state]).
  SchedulerState state_dict() const {
    return {{"last_epoch", static_cast<double>(last_epoch_)},
            {"last_lr", last_lr_},
            {"best", best_},
            {"num_bad_epochs", static_cast<double>(num_bad_epochs_)},
            {"cooldown_counter", static_cast<double>(cooldown_counter_)}};
  }
  void load_state_dict(const SchedulerState& state) {
    const char* who = "ReduceLROnPlateau";
    last_epoch_ = static_cast<int64_t>(detail::state_at(state, "last_epoch", who));
    last_lr_ = detail::state_at(state, "last_lr", who);
    best_ = detail::state_at(state, "best", who);
    num_bad_epochs_ = static_cast<int64_t>(detail::state_at(state, "num_bad_epochs", who));
    cooldown_counter_ = static_cast<int64_t>(detail::state_at(state, "cooldown_counter", who));
  }

 private:
  double worst() const {
    const double inf = std::numeric_limits<double>::infinity();
    return o_.mode == "min" ? inf : -inf;
  }
  bool is_better(double a) const {
    const bool rel = o_.threshold_mode == "rel";
    if (o_.mode == "min") return rel ? a < best_ * (1.0 - o_.threshold) : a < best_ - o_.threshold;
    return rel ? a > best_ * (o_.threshold + 1.0) : a > best_ + o_.threshold;
  }

  Optimizer<T>* optimizer_;
  ReduceLROnPlateauOptions o_;
  double last_lr_;
  double best_ = 0;
  int64_t last_epoch_ = 0;
  int64_t num_bad_epochs_ = 0;
  int64_t cooldown_counter_ = 0;
};

}  // namespace tapegrad::optim
