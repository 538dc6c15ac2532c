#pragma once
// nn::Module<T>: the base of layers and models, as torch.nn.Module: named
// parameters, buffers and children, train()/eval(), apply(), zero_grad(),
// state_dict()/load_state_dict(), to<U>(), clone() and PyTorch's printed form.
//
// Note [Modules are handles]: a module object is a handle to its registered
// state (parameters, buffers, children, training flag), as a LibTorch
// TORCH_MODULE holder is: copying a module shares that state, so a member
// `nn::Linear<> fc1` and the child register_module stored are one layer, and
// net.eval() reaches a member Dropout. clone() deep-copies. Fields a derived
// class keeps outside the registered state (a layer's sizes) are copied with
// the handle; `nn::Linear<> fc1{nullptr}` is an empty handle to assign later.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>
#if __has_include(<cxxabi.h>)
#include <cxxabi.h>
#endif

#include "../core/py_repr.hpp"
#include "../ops/shape.hpp"
#include "../tensor/print.hpp"

namespace tapegrad::nn {

template <FloatingElement T>
class Module;

namespace detail {
/// "Linear" for tapegrad::nn::Linear<float>, "Net" for (anonymous
/// namespace)::Net: the class name without namespaces and template
/// arguments, as PyTorch's repr shows type(self).__name__.
inline std::string class_name(const std::type_info& type) {
  std::string full = type.name();
#if __has_include(<cxxabi.h>)
  int status = 0;
  if (char* d = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status)) {
    if (status == 0) full = d;
    std::free(d);
  }
#endif
  // the last "::"-separated part outside <...> and (...), without its <...>
  size_t begin = 0, end = full.size();
  int depth = 0;
  for (size_t i = 0; i < full.size(); ++i) {
    const char ch = full[i];
    if (ch == '<' || ch == '(') {
      if (depth == 0 && ch == '<' && end == full.size()) end = i;
      ++depth;
    } else if (ch == '>' || ch == ')') {
      --depth;
    } else if (depth == 0 && ch == ':' && i + 1 < full.size() && full[i + 1] == ':') {
      begin = i + 2;
      end = full.size();
      ++i;
    }
  }
  return full.substr(begin, end - begin);
}

using tapegrad::detail::py_float;

/// A Python tuple of ints: "(4,)", "(2, 3)".
inline std::string py_tuple(const Shape& s) {
  std::string out = "(";
  for (int64_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

/// A shape as PyTorch prints a torch.Size: "torch.Size([8, 4])".
inline std::string torch_size(const Shape& s) {
  std::string out = "torch.Size([";
  for (int64_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "])";
}

/// Quoted, comma-separated names: "a", "b" (as PyTorch's load_state_dict lists them).
inline std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "\"" : ", \"") + n + "\"";
  return out;
}
}  // namespace detail

/// `nullptr` itself: the argument of a layer's empty-handle constructor
/// (`nn::Linear<> fc1{nullptr}`). A template on it, so that a literal 0
/// (`nn::Dropout(0)`, `nn::Softmax(0)`) still means the number.
template <class N>
concept NullHandle = std::same_as<N, std::nullptr_t>;

/// What load_state_dict(strict = false) found missing or left over.
struct IncompatibleKeys {
  std::vector<std::string> missing_keys, unexpected_keys;
};

template <FloatingElement T = float>
class Module {
 public:
  using value_type = T;
  template <class U>
  using NamedList = std::vector<std::pair<std::string, U>>;

  virtual ~Module() = default;
  Module() : s_(std::make_shared<State>()) {}
  /// An empty handle (`nn::Linear<> fc1{nullptr};`), to be assigned a module.
  explicit Module(std::nullptr_t) {}
  // Copies (and moves, which copy) share the state (Note [Modules are handles]).
  Module(const Module&) = default;
  Module& operator=(const Module&) = default;

  /// The layer's computation: x -> y. A module without one (ModuleList) throws.
  virtual Tensor<T> forward(const Tensor<T>& x) {
    (void)x;
    tapegrad::detail::throw_error<ValueError>("Module [", name(), "] is missing the required \"forward\" function");
  }
  Tensor<T> operator()(const Tensor<T>& x) { return forward(x); }

  /// The class name, as PyTorch's repr shows it ("Linear", "Net"); override
  /// to print another.
  virtual std::string name() const { return detail::class_name(typeid(*this)); }
  /// What the repr shows in parentheses ("in_features=784, ...").
  virtual std::string extra_repr() const { return ""; }
  /// True for a handle made with nullptr and not yet assigned.
  bool is_empty() const { return s_ == nullptr; }

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

  /// A deep copy: new parameters and buffers with the same values, children
  /// cloned, the same mode. The built-in layers implement it; a custom module
  /// overrides it (clone_as() does the copying, Note [Cloning a custom module]).
  virtual std::shared_ptr<Module> clone() const {
    tapegrad::detail::throw_error<ValueError>(
        name(), ": clone() is not implemented for this module; override clone() with clone_as(*this) and "
                "re-point the members at the copy's children and parameters");
  }

  // ---- parameters, buffers, children ------------------------------------------------
  /// Parameters with dotted names ("0.weight", "2.bias"), children's after own.
  NamedList<Tensor<T>> named_parameters(bool recurse = true) const {
    NamedList<Tensor<T>> out;
    collect(out, "", recurse, &State::params);
    return out;
  }
  std::vector<Tensor<T>> parameters(bool recurse = true) const { return values(named_parameters(recurse)); }
  NamedList<Tensor<T>> named_buffers(bool recurse = true) const {
    NamedList<Tensor<T>> out;
    collect(out, "", recurse, &State::buffers);
    return out;
  }
  std::vector<Tensor<T>> buffers(bool recurse = true) const { return values(named_buffers(recurse)); }
  const NamedList<std::shared_ptr<Module>>& named_children() const { return st().children; }
  std::vector<std::shared_ptr<Module>> children() const { return values(named_children()); }
  /// This module ("") and every descendant ("1", "1.0", ...), each once, in
  /// PyTorch's order (preorder). The entry for this module does not own it.
  NamedList<std::shared_ptr<Module>> named_modules() const {
    NamedList<std::shared_ptr<Module>> out;
    std::vector<const State*> seen;
    add_modules(out, seen, std::shared_ptr<Module>(std::shared_ptr<Module>(), const_cast<Module*>(this)), "");
    return out;
  }
  std::vector<std::shared_ptr<Module>> modules() const { return values(named_modules()); }

  /// This module as M (nullptr if it is not one): `if (auto* l = m.as<Linear<>>())`.
  template <class M>
  M* as() { return dynamic_cast<M*>(this); }
  template <class M>
  const M* as() const { return dynamic_cast<const M*>(this); }

  // ---- modes and whole-model operations -------------------------------------------------
  Module& train(bool on = true) {
    st().training = on;
    for (auto& [n, m] : st().children) m->train(on);
    return *this;
  }
  Module& eval() { return train(false); }
  bool is_training() const { return st().training; }

  /// Every parameter requires grad (or not): freezing a part of a model.
  Module& requires_grad_(bool requires_grad = true) {
    NoGradGuard no_grad;
    for (auto& p : parameters()) p.requires_grad_(requires_grad);
    return *this;
  }

  /// fn on every submodule (children first, then this), as PyTorch's apply.
  Module& apply(const std::function<void(Module&)>& fn) {
    for (auto& [n, m] : st().children) m->apply(fn);
    fn(*this);
    return *this;
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

  // ---- state_dict -----------------------------------------------------------------------
  /// Parameters and buffers under PyTorch's names, module by module (own
  /// parameters, own buffers, then each child's), detached: the tensors share
  /// the module's storage, as PyTorch's state_dict().
  NamedList<Tensor<T>> state_dict() const {
    NamedList<Tensor<T>> out;
    add_state(out, "");
    return out;
  }

  /// Copy the values of `state` into the parameters and buffers of the same
  /// names. strict: every name must match both ways (PyTorch's default).
  /// A shape mismatch is an error in either mode; on any error nothing is
  /// copied. The message lists the names as PyTorch's does.
  IncompatibleKeys load_state_dict(const NamedList<Tensor<T>>& state, bool strict = true) {
    const auto mine = state_dict();
    IncompatibleKeys keys;
    std::vector<std::string> errors;
    std::vector<std::pair<Tensor<T>, Tensor<T>>> copies;  // (destination, source)
    for (const auto& [name, dst] : mine) {
      const auto it = find(state, name);
      if (it == state.end()) {
        keys.missing_keys.push_back(name);
        continue;
      }
      if (it->second.sizes() != dst.sizes()) {
        errors.push_back("size mismatch for " + name + ": copying a param with shape " +
                         detail::torch_size(it->second.sizes()) + " from checkpoint, the shape in current model is " +
                         detail::torch_size(dst.sizes()) + ".");
        continue;
      }
      copies.emplace_back(dst, it->second);
    }
    for (const auto& [name, src] : state)
      if (find(mine, name) == mine.end()) keys.unexpected_keys.push_back(name);
    if (strict && !keys.unexpected_keys.empty())
      errors.insert(errors.begin(),
                    "Unexpected key(s) in state_dict: " + detail::quoted_list(keys.unexpected_keys) + ". ");
    if (strict && !keys.missing_keys.empty())
      errors.insert(errors.begin(),
                    "Missing key(s) in state_dict: " + detail::quoted_list(keys.missing_keys) + ". ");
    if (!errors.empty()) {
      std::string msg = "Error(s) in loading state_dict for " + name() + ":";
      for (const auto& e : errors) msg += "\n\t" + e;
      tapegrad::detail::throw_error<ValueError>(msg);
    }
    NoGradGuard no_grad;
    for (const auto& [dst, src] : copies) dst.copy_(src);
    return keys;
  }

  /// PyTorch's repr: `Linear(in_features=2, out_features=1, bias=True)`, and
  /// containers with one indented line per child.
  std::string repr() const {
    std::vector<std::string> lines;
    const std::string extra = extra_repr();
    if (!extra.empty()) {
      std::istringstream in(extra);
      for (std::string line; std::getline(in, line);) lines.push_back(line);
    }
    const size_t extra_lines = lines.size();
    for (const auto& [n, m] : st().children) lines.push_back("(" + n + "): " + indent(m->repr()));
    std::string out = name() + "(";
    if (extra_lines == 1 && lines.size() == 1) out += lines[0];
    else if (!lines.empty()) {
      for (const auto& l : lines) out += "\n  " + l;
      out += "\n";
    }
    return out + ")";
  }

  // ---- registration ---------------------------------------------------------------------
  /// Register a parameter (made a leaf requiring grad) under `name`; returns it.
  Tensor<T> register_parameter(std::string name, Tensor<T> t, bool requires_grad = true) {
    check_new_name(name);
    if (requires_grad) t.requires_grad_();
    st().params.emplace_back(std::move(name), t);
    return t;
  }
  /// Register a tensor that is state but not a parameter (running statistics).
  Tensor<T> register_buffer(std::string name, Tensor<T> t) {
    check_new_name(name);
    st().buffers.emplace_back(std::move(name), t);
    return t;
  }
  /// Register a child held by shared_ptr; returns it.
  template <class M>
    requires std::derived_from<M, Module>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> m) {
    check_new_name(name);
    TAPEGRAD_CHECK(m != nullptr && !m->is_empty(), ValueError, this->name(), ": cannot register an empty module as '",
                   name, "'");
    // Module::s_: a derived module may have a member s_ of its own (ConvNd's stride).
    TAPEGRAD_CHECK(m->Module::s_ != s_, ValueError, this->name(), ": cannot register a module as its own child '", name, "'");
    st().children.emplace_back(std::move(name), m);
    return m;
  }
  /// Register a child given by value (`fc1 = register_module("fc1",
  /// nn::Linear(784, 256))`); returns a handle sharing it.
  template <class M>
    requires std::derived_from<std::decay_t<M>, Module>
  std::decay_t<M> register_module(std::string name, M&& m) {
    return *register_module(std::move(name), std::make_shared<std::decay_t<M>>(std::forward<M>(m)));
  }

 protected:
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
    copy(sp, st().params);
    copy(sb, st().buffers);
    for (size_t i = 0; i < st().params.size(); ++i)
      if (!sp[i].second.requires_grad()) {
        NoGradGuard no_grad;
        st().params[i].second.requires_grad_(false);
      }
    st().training = src.is_training();
  }

  // Note [Cloning a custom module]: C++ cannot find a module's members, so
  // clone() copies the object (a handle sharing the state), gives the copy a
  // deep copy of the registered state, and the class then re-points its own
  // members: `auto c = clone_as(*this); c->weight = c->parameter("weight");`.
  /// A copy of `self` (this module's dynamic type) with its own deep copy of
  /// the registered state.
  template <class M>
  std::shared_ptr<M> clone_as(const M& self) const {
    auto c = std::make_shared<M>(self);
    auto s = std::make_shared<State>();
    NoGradGuard no_grad;
    for (const auto& [n, p] : st().params) {
      Tensor<T> q = p.defined() ? p.detach().clone() : p;
      if (p.requires_grad()) q.requires_grad_();
      s->params.emplace_back(n, q);
    }
    for (const auto& [n, b] : st().buffers) s->buffers.emplace_back(n, b.defined() ? b.detach().clone() : b);
    for (const auto& [n, m] : st().children) s->children.emplace_back(n, m->clone());
    s->training = st().training;
    static_cast<Module&>(*c).s_ = std::move(s);
    return c;
  }
  /// This module's own parameter or buffer `name` (for clone()).
  Tensor<T> parameter(const std::string& name) const { return own(st().params, name); }
  Tensor<T> buffer(const std::string& name) const { return own(st().buffers, name); }
  /// This module's child `name` as a handle of type M (for clone()).
  template <class M>
  M child(const std::string& name) const {
    for (const auto& [n, m] : st().children)
      if (n == name)
        if (auto* p = dynamic_cast<M*>(m.get())) return *p;
    tapegrad::detail::throw_error<ValueError>(this->name(), ": no child '", name, "' of the requested type");
  }

 private:
  struct State {
    NamedList<Tensor<T>> params;
    NamedList<Tensor<T>> buffers;
    NamedList<std::shared_ptr<Module>> children;
    bool training = true;
  };
  State& st() const {
    TAPEGRAD_CHECK(s_ != nullptr, ValueError, name(),
                   ": the module is empty (made with nullptr); assign a module to it first");
    return *s_;
  }
  ValueError not_convertible(const char* dtype) const {
    const std::string n = name();
    return ValueError(n + ": to<" + dtype + ">() cannot convert this module: derive it from nn::Cloneable<" + n +
                      ", T> and give it a converting constructor " + n + "(const " + n + "<U>&)");
  }
  void check_new_name(const std::string& name) const {
    TAPEGRAD_CHECK(!name.empty() && name.find('.') == std::string::npos, ValueError, this->name(),
                   ": invalid name '", name, "' (must be non-empty and contain no '.')");
    auto taken = [&](const auto& list) { return find(list, name) != list.end(); };
    TAPEGRAD_CHECK(!taken(st().params) && !taken(st().buffers) && !taken(st().children), ValueError,
                   this->name(), ": attribute '", name, "' already exists");
  }
  template <class List>
  static auto find(const List& list, const std::string& name) {
    return std::find_if(list.begin(), list.end(), [&](const auto& e) { return e.first == name; });
  }
  Tensor<T> own(const NamedList<Tensor<T>>& list, const std::string& name) const {
    const auto it = find(list, name);
    TAPEGRAD_CHECK(it != list.end(), ValueError, this->name(), ": no parameter or buffer '", name, "'");
    return it->second;
  }
  static std::string indent(const std::string& s) {
    std::string out;
    for (char ch : s) out += ch == '\n' ? std::string("\n  ") : std::string(1, ch);
    return out;
  }
  void collect(NamedList<Tensor<T>>& out, const std::string& prefix, bool recurse,
               NamedList<Tensor<T>> State::*list) const {
    for (const auto& [n, t] : st().*list) out.emplace_back(prefix + n, t);
    if (recurse)
      for (const auto& [n, m] : st().children) m->collect(out, prefix + n + ".", true, list);
  }
  void add_state(NamedList<Tensor<T>>& out, const std::string& prefix) const {
    for (const auto& [n, t] : st().params)
      if (t.defined()) out.emplace_back(prefix + n, t.detach());
    for (const auto& [n, t] : st().buffers)
      if (t.defined()) out.emplace_back(prefix + n, t.detach());
    for (const auto& [n, m] : st().children) m->add_state(out, prefix + n + ".");
  }
  void add_modules(NamedList<std::shared_ptr<Module>>& out, std::vector<const State*>& seen,
                   const std::shared_ptr<Module>& self, const std::string& prefix) const {
    if (std::find(seen.begin(), seen.end(), s_.get()) != seen.end()) return;
    seen.push_back(s_.get());
    out.emplace_back(prefix, self);
    for (const auto& [n, m] : st().children) m->add_modules(out, seen, m, prefix.empty() ? n : prefix + "." + n);
  }
  template <class U>
  static std::vector<U> values(const NamedList<U>& list) {
    std::vector<U> out;
    out.reserve(list.size());
    for (const auto& [n, t] : list) out.push_back(t);
    return out;
  }
  template <FloatingElement U>
  friend class Module;

  std::shared_ptr<State> s_;
};

template <FloatingElement T>
std::ostream& operator<<(std::ostream& os, const Module<T>& m) {
  return os << m.repr();
}

/// nn::Parameter(t): t as a leaf that requires grad (or not), the tensor a
/// module registers with register_parameter. Printed as PyTorch prints one:
/// `Parameter containing:` over the tensor.
template <FloatingElement T>
class Parameter : public Tensor<T> {
 public:
  Parameter() = default;
  explicit Parameter(Tensor<T> t, bool requires_grad = true) : Tensor<T>(std::move(t)) {
    TAPEGRAD_CHECK(this->defined(), ValueError, "Parameter: the tensor is undefined");
    TAPEGRAD_CHECK(this->is_leaf(), ValueError,
                   "Parameter: the tensor must be a leaf (the result of an op needs detach() first)");
    this->requires_grad_(requires_grad);
  }
};
template <FloatingElement T>
std::ostream& operator<<(std::ostream& os, const Parameter<T>& p) {
  return os << "Parameter containing:\n" << static_cast<const Tensor<T>&>(p);
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
