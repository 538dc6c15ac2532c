#pragma once
// nn::Module<T>: the base of layers and models, as torch.nn.Module: named
// parameters, buffers and children, train()/eval(), apply(), zero_grad(),
// to<U>() and PyTorch's printed form.
#include <functional>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "../ops/shape.hpp"

namespace tapegrad::nn {

template <FloatingElement T = float>
class Module {
 public:
  using value_type = T;
  template <class U>
  using NamedList = std::vector<std::pair<std::string, U>>;

  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = default;
  Module(Module&&) noexcept = default;
  Module& operator=(const Module&) = default;
  Module& operator=(Module&&) noexcept = default;

  /// The layer's computation: x -> y.
  virtual Tensor<T> forward(const Tensor<T>& x) = 0;
  Tensor<T> operator()(const Tensor<T>& x) { return forward(x); }

  /// "Linear", as in PyTorch's repr.
  virtual std::string name() const = 0;
  /// What the repr shows in parentheses ("in_features=784, ...").
  virtual std::string extra_repr() const { return ""; }

  /// This module converted to dtype U (a new module with converted copies of
  /// the parameters and buffers; requires_grad kept). Works for the built-in
  /// layers and for modules derived from Cloneable (Note [Lazy dtype
  /// conversion]); defined in layers.hpp.
  template <FloatingElement U>
  std::shared_ptr<Module<U>> to() const;

  /// Conversion of a module the built-in list does not know: Cloneable
  /// overrides these; to<U>() calls them. The default throws.
  virtual std::shared_ptr<Module<float>> to_float() const { throw not_convertible("float"); }
  virtual std::shared_ptr<Module<double>> to_double() const { throw not_convertible("double"); }

  // ---- parameters, buffers, children ------------------------------------------------
  /// Parameters with dotted names ("0.weight", "2.bias"), children's after own.
  NamedList<Tensor<T>> named_parameters(bool recurse = true) const {
    NamedList<Tensor<T>> out;
    collect(out, "", recurse, &Module::params_);
    return out;
  }
  std::vector<Tensor<T>> parameters(bool recurse = true) const { return values(named_parameters(recurse)); }
  NamedList<Tensor<T>> named_buffers(bool recurse = true) const {
    NamedList<Tensor<T>> out;
    collect(out, "", recurse, &Module::buffers_);
    return out;
  }
  std::vector<Tensor<T>> buffers(bool recurse = true) const { return values(named_buffers(recurse)); }
  const NamedList<std::shared_ptr<Module>>& named_children() const { return children_; }
  std::vector<std::shared_ptr<Module>> children() const {
    std::vector<std::shared_ptr<Module>> out;
    for (const auto& [n, m] : children_) out.push_back(m);
    return out;
  }

  /// This module as M (nullptr if it is not one): `if (auto* l = m.as<Linear<>>())`.
  template <class M>
  M* as() { return dynamic_cast<M*>(this); }
  template <class M>
  const M* as() const { return dynamic_cast<const M*>(this); }

  // ---- modes and whole-model operations -------------------------------------------------
  void train(bool on = true) {
    training_ = on;
    for (auto& [n, m] : children_) m->train(on);
  }
  void eval() { train(false); }
  bool is_training() const { return training_; }

  /// fn on every submodule (children first, then this), as PyTorch's apply.
  void apply(const std::function<void(Module&)>& fn) {
    for (auto& [n, m] : children_) m->apply(fn);
    fn(*this);
  }

  /// Reset the gradients: undefined with set_to_none, else zero in place
  /// (PyTorch 1.13's default).
  void zero_grad(bool set_to_none = false) {
    for (auto& p : parameters()) {
      if (set_to_none) p.mutable_grad() = Tensor<T>();
      else if (p.grad().defined()) {
        NoGradGuard no_grad;
        p.grad().zero_();
      }
    }
  }

  /// PyTorch's repr: `Linear(in_features=2, out_features=1, bias=True)`, and
  /// containers with one indented line per child.
  std::string repr() const {
    std::ostringstream os;
    os << name() << '(' << extra_repr();
    if (!children_.empty()) {
      os << '\n';
      for (const auto& [n, m] : children_) {
        std::string child = m->repr(), indented;
        for (char ch : child) indented += ch == '\n' ? std::string("\n  ") : std::string(1, ch);
        os << "  (" << n << "): " << indented << '\n';
      }
    }
    os << ')';
    return os.str();
  }

 protected:
  /// Register a parameter (made a leaf requiring grad) under `name`.
  Tensor<T> register_parameter(std::string name, Tensor<T> t, bool requires_grad = true) {
    check_new_name(name);
    if (requires_grad) t.requires_grad_();
    params_.emplace_back(std::move(name), t);
    return t;
  }
  Tensor<T> register_buffer(std::string name, Tensor<T> t) {
    check_new_name(name);
    buffers_.emplace_back(std::move(name), t);
    return t;
  }
  template <class M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> m) {
    check_new_name(name);
    children_.emplace_back(std::move(name), m);
    return m;
  }
  /// Copy parameters, buffers and mode from `src` (a module of the same
  /// structure and another dtype) into this one: the body of to<U>().
  template <FloatingElement U>
  void convert_from(const Module<U>& src) {
    auto copy = [](const auto& from, auto& to) {
      TAPEGRAD_ASSERT(from.size() == to.size());
      NoGradGuard no_grad;
      for (size_t i = 0; i < from.size(); ++i) to[i].second.copy_(from[i].second);
    };
    auto sp = src.named_parameters(false);
    auto sb = src.named_buffers(false);
    copy(sp, params_);
    copy(sb, buffers_);
    for (size_t i = 0; i < params_.size(); ++i)
      if (!sp[i].second.requires_grad()) {
        NoGradGuard no_grad;
        params_[i].second.requires_grad_(false);
      }
    training_ = src.is_training();
  }

 private:
  ValueError not_convertible(const char* dtype) const {
    const std::string n = name();
    return ValueError(n + ": to<" + dtype + ">() cannot convert this module: derive it from nn::Cloneable<" + n +
                      ", T> and give it a converting constructor " + n + "(const " + n + "<U>&)");
  }
  void check_new_name(const std::string& name) const {
    TAPEGRAD_CHECK(!name.empty() && name.find('.') == std::string::npos, ValueError, this->name(),
                   ": invalid name '", name, "' (must be non-empty and contain no '.')");
    auto taken = [&](const auto& list) {
      for (const auto& [n, v] : list)
        if (n == name) return true;
      return false;
    };
    TAPEGRAD_CHECK(!taken(params_) && !taken(buffers_) && !taken(children_), ValueError,
                   this->name(), ": attribute '", name, "' already exists");
  }
  void collect(NamedList<Tensor<T>>& out, const std::string& prefix, bool recurse,
               NamedList<Tensor<T>> Module::*list) const {
    for (const auto& [n, t] : this->*list) out.emplace_back(prefix + n, t);
    if (recurse)
      for (const auto& [n, m] : children_) m->collect(out, prefix + n + ".", true, list);
  }
  static std::vector<Tensor<T>> values(const NamedList<Tensor<T>>& list) {
    std::vector<Tensor<T>> out;
    out.reserve(list.size());
    for (const auto& [n, t] : list) out.push_back(t);
    return out;
  }
  template <FloatingElement U>
  friend class Module;

  NamedList<Tensor<T>> params_;
  NamedList<Tensor<T>> buffers_;
  NamedList<std::shared_ptr<Module>> children_;
  bool training_ = true;
};

template <FloatingElement T>
std::ostream& operator<<(std::ostream& os, const Module<T>& m) {
  return os << m.repr();
}

/// Base for a user-defined module template Derived<T> that has a converting
/// constructor `Derived(const Derived<U>&)`: makes to<float>() and
/// to<double>() work for it. It instantiates Derived<U> (and its forward) for
/// the other dtype in every program that uses Derived<T>, which the built-in
/// layers avoid (Note [Lazy dtype conversion] in layers.hpp).
template <template <class> class Derived, FloatingElement T>
class Cloneable : public Module<T> {
 public:
  std::shared_ptr<Module<float>> to_float() const override { return convert<float>(); }
  std::shared_ptr<Module<double>> to_double() const override { return convert<double>(); }

 private:
  template <FloatingElement U>
  std::shared_ptr<Module<U>> convert() const {
    return std::make_shared<Derived<U>>(static_cast<const Derived<T>&>(*this));
  }
};

}  // namespace tapegrad::nn
