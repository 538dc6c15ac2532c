#pragma once
// Learning-rate schedules: torch.optim.lr_scheduler's StepLR and
// CosineAnnealingLR. Call step() once per epoch, after optimizer.step():
//   optim::SGD opt(params, {.lr = 0.1});
//   optim::StepLR sched(opt, /*step_size=*/30, /*gamma=*/0.1);
//   for (int epoch = 0; epoch < 100; ++epoch) { train(opt); sched.step(); }
//
// Note [Recursive schedules]: PyTorch's step() computes each new lr from the
// optimizer's current one (the "chainable" form), not from the closed form in
// the docs; the two differ in the last bits, so these do as PyTorch does.
#include <cmath>
#include <cstdint>
#include <numbers>

#include "optimizer.hpp"

namespace tapegrad::optim {

/// The base of the schedulers: holds the optimizer (which must outlive it).
template <FloatingElement T>
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  /// End of an epoch: advance the schedule and set the optimizer's lr.
  void step() {
    ++last_epoch_;
    optimizer_->set_lr(next_lr());
    last_lr_ = optimizer_->lr();
  }
  /// The lr this scheduler last set (the optimizer's lr at construction before any step()).
  double get_last_lr() const { return last_lr_; }
  /// Epochs stepped so far (PyTorch's last_epoch; 0 after construction).
  int64_t last_epoch() const { return last_epoch_; }
  /// The optimizer's lr when the scheduler was made.
  double base_lr() const { return base_lr_; }

 protected:
  explicit LRScheduler(Optimizer<T>& optimizer)
      : optimizer_(&optimizer), base_lr_(optimizer.lr()), last_lr_(optimizer.lr()) {}
  /// The lr for epoch last_epoch_, given the current one.
  virtual double next_lr() const = 0;
  double current_lr() const { return optimizer_->lr(); }

 private:
  Optimizer<T>* optimizer_;
  double base_lr_;
  double last_lr_;
  int64_t last_epoch_ = 0;
};

/// lr = base_lr * gamma^(epoch / step_size) (integer division): decays by
/// gamma every step_size epochs.
template <FloatingElement T>
class StepLR : public LRScheduler<T> {
 public:
  StepLR(Optimizer<T>& optimizer, int64_t step_size, double gamma = 0.1)
      : LRScheduler<T>(optimizer), step_size_(step_size), gamma_(gamma) {
    TAPEGRAD_CHECK(step_size > 0, ValueError, "StepLR: step_size must be positive, got ", step_size);
  }

 private:
  double next_lr() const override {
    const int64_t e = this->last_epoch();
    return e % step_size_ != 0 ? this->current_lr() : this->current_lr() * gamma_;
  }
  int64_t step_size_;
  double gamma_;
};

/// lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2:
/// half a cosine from base_lr down to eta_min over T_max epochs, then back up
/// (SGDR without restarts), computed recursively as PyTorch (Note [Recursive schedules]).
template <FloatingElement T>
class CosineAnnealingLR : public LRScheduler<T> {
 public:
  CosineAnnealingLR(Optimizer<T>& optimizer, int64_t T_max, double eta_min = 0)
      : LRScheduler<T>(optimizer), t_max_(T_max), eta_min_(eta_min) {
    TAPEGRAD_CHECK(T_max > 0, ValueError, "CosineAnnealingLR: T_max must be positive, got ", T_max);
  }

 private:
  double next_lr() const override {
    constexpr double pi = std::numbers::pi;
    const int64_t e = this->last_epoch();
    const double lr = this->current_lr(), base = this->base_lr(), tm = static_cast<double>(t_max_);
    // After the minimum (where the ratio below would divide by 0), step back up.
    if ((e - 1 - t_max_) % (2 * t_max_) == 0)
      return lr + (base - eta_min_) * (1 - std::cos(pi / tm)) / 2;
    // the product rounded before the sum, as in Python (Note [No FMA contraction])
    return tapegrad::detail::unfused((1 + std::cos(pi * static_cast<double>(e) / tm)) /
                                     (1 + std::cos(pi * static_cast<double>(e - 1) / tm)) * (lr - eta_min_)) +
           eta_min_;
  }
  int64_t t_max_;
  double eta_min_;
};

}  // namespace tapegrad::optim
