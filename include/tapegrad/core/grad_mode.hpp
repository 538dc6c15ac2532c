#pragma once
// Whether differentiable ops record onto the autograd tape (torch.is_grad_enabled).
// Thread-local, like PyTorch's: a NoGradGuard in one thread leaves others alone.

namespace tapegrad {

class GradMode {
 public:
  static bool is_enabled() { return enabled(); }
  static void set_enabled(bool on) { enabled() = on; }

 private:
  static bool& enabled() {
    thread_local bool on = true;
    return on;
  }
};

/// RAII: no op records a gradient while it lives (with torch.no_grad()).
class NoGradGuard {
 public:
  NoGradGuard() : prev_(GradMode::is_enabled()) { GradMode::set_enabled(false); }
  ~NoGradGuard() { GradMode::set_enabled(prev_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

/// RAII: recording on again inside a no-grad region (torch.enable_grad()).
class EnableGradGuard {
 public:
  EnableGradGuard() : prev_(GradMode::is_enabled()) { GradMode::set_enabled(true); }
  ~EnableGradGuard() { GradMode::set_enabled(prev_); }
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;

 private:
  bool prev_;
};

/// Run fn with recording off and return its result: no_grad([&] { ... }).
template <class F>
decltype(auto) no_grad(F&& fn) {
  NoGradGuard guard;
  return fn();
}

}  // namespace tapegrad
