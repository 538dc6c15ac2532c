#pragma once
// ModuleList, ModuleDict, ParameterList: containers that register what they
// hold, so parameters(), state_dict(), train() and to<U>() see it, under
// PyTorch's names ("layers.0.weight", "heads.cls.bias", "params.1").
// Sequential is in layers.hpp.
#include <string>

#include "module.hpp"

namespace tapegrad::nn {

namespace detail {
template <FloatingElement T, class M>
std::shared_ptr<Module<T>> shared_module(M&& m) {
  if constexpr (std::is_convertible_v<std::decay_t<M>, std::shared_ptr<Module<T>>>) return m;
  else return std::make_shared<std::decay_t<M>>(std::forward<M>(m));
}
}  // namespace detail

/// ModuleList: modules in order, named "0", "1", ...; no forward of its own.
template <FloatingElement T = float>
class ModuleList : public Module<T> {
 public:
  ModuleList() = default;
  /// ModuleList(Linear(2, 3), ReLU(), ...) or shared_ptrs.
  template <class... M>
    requires(sizeof...(M) > 0 && !(sizeof...(M) == 1 && (std::is_same_v<std::decay_t<M>, ModuleList> && ...)))
  explicit ModuleList(M&&... modules) {  // (the constraint keeps copies copies)
    (push_back(std::forward<M>(modules)), ...);
  }
  template <FloatingElement U>
  explicit ModuleList(const ModuleList<U>& other) {
    for (const auto& m : other.children()) push_back(m->template to<T>());
    this->train(other.is_training());
  }

  /// Append a module (by value or shared_ptr), named by its position.
  template <class M>
  ModuleList& push_back(M&& m) {
    auto p = detail::shared_module<T>(std::forward<M>(m));
    TAPEGRAD_CHECK(p != nullptr, ValueError, this->name(), ": cannot add a null module");
    this->register_module(std::to_string(size()), std::move(p));
    return *this;
  }
  /// PyTorch's append.
  template <class M>
  ModuleList& append(M&& m) { return push_back(std::forward<M>(m)); }
  /// Append every module of another list (shared, not copied).
  ModuleList& extend(const ModuleList& other) {
    for (const auto& m : other.children()) push_back(m);
    return *this;
  }
  int64_t size() const { return static_cast<int64_t>(this->named_children().size()); }
  /// list[i]: the i-th module (negative counts from the end).
  Module<T>& operator[](int64_t i) const { return *ptr(i); }
  /// list.at<Linear<>>(i): the i-th module as M (an error if it is not one).
  template <class M>
  M& at(int64_t i) const {
    auto* m = dynamic_cast<M*>(ptr(i).get());
    TAPEGRAD_CHECK(m != nullptr, ValueError, this->name(), ": module ", i, " is a ", ptr(i)->name(),
                   ", not the type asked for");
    return *m;
  }
  const std::shared_ptr<Module<T>>& ptr(int64_t i) const {
    TAPEGRAD_CHECK(i >= -size() && i < size(), IndexError, this->name(), ": index ", i, " is out of range for ", size(),
                   " modules");
    return this->named_children()[static_cast<size_t>(i < 0 ? i + size() : i)].second;
  }
  auto begin() const { return ChildIterator{this->named_children().begin()}; }
  auto end() const { return ChildIterator{this->named_children().end()}; }

  std::string name() const override { return "ModuleList"; }
  std::shared_ptr<Module<T>> clone() const override { return this->clone_as(*this); }

 private:
  // for (auto& m : list): each module as Module<T>&
  struct ChildIterator {
    typename Module<T>::template NamedList<std::shared_ptr<Module<T>>>::const_iterator it;
    Module<T>& operator*() const { return *it->second; }
    ChildIterator& operator++() {
      ++it;
      return *this;
    }
    bool operator!=(const ChildIterator& o) const { return it != o.it; }
  };
};

/// ModuleDict: modules by key, in insertion order; no forward of its own.
template <FloatingElement T = float>
class ModuleDict : public Module<T> {
 public:
  ModuleDict() = default;
  template <FloatingElement U>
  explicit ModuleDict(const ModuleDict<U>& other) {
    for (const auto& [k, m] : other.named_children()) insert(k, m->template to<T>());
    this->train(other.is_training());
  }
  /// Add `m` (by value or shared_ptr) under `key`; a key must be new.
  template <class M>
  ModuleDict& insert(const std::string& key, M&& m) {
    this->register_module(key, detail::shared_module<T>(std::forward<M>(m)));
    return *this;
  }
  bool contains(const std::string& key) const {
    for (const auto& [k, m] : this->named_children())
      if (k == key) return true;
    return false;
  }
  /// dict["key"]: the module under key (an IndexError naming it if absent).
  Module<T>& operator[](const std::string& key) const { return *ptr(key); }
  const std::shared_ptr<Module<T>>& ptr(const std::string& key) const {
    for (const auto& [k, m] : this->named_children())
      if (k == key) return m;
    tapegrad::detail::throw_error<IndexError>(this->name(), ": no module with key '", key, "'");
  }
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& [k, m] : this->named_children()) out.push_back(k);
    return out;
  }
  int64_t size() const { return static_cast<int64_t>(this->named_children().size()); }
  std::string name() const override { return "ModuleDict"; }
  std::shared_ptr<Module<T>> clone() const override { return this->clone_as(*this); }
};

/// ParameterList: parameters in order, named "0", "1", ...
template <FloatingElement T = float>
class ParameterList : public Module<T> {
 public:
  ParameterList() = default;
  ParameterList(std::initializer_list<Tensor<T>> params) {
    for (const auto& p : params) append(p);
  }
  template <FloatingElement U>
  explicit ParameterList(const ParameterList<U>& other) {
    for (const auto& p : other.parameters(false)) {
      NoGradGuard no_grad;
      append(p.template to<T>().detach().clone(), p.requires_grad());
    }
    this->train(other.is_training());
  }
  /// Append t as a parameter (a leaf requiring grad unless asked not to).
  ParameterList& append(const Tensor<T>& t, bool requires_grad = true) {
    TAPEGRAD_CHECK(t.defined(), ValueError, this->name(), ": cannot append an undefined tensor");
    this->register_parameter(std::to_string(size()), t, requires_grad);
    return *this;
  }
  int64_t size() const { return static_cast<int64_t>(this->named_parameters(false).size()); }
  Tensor<T> operator[](int64_t i) const {
    TAPEGRAD_CHECK(i >= -size() && i < size(), IndexError, this->name(), ": index ", i, " is out of range for ", size(),
                   " parameters");
    return this->parameters(false)[static_cast<size_t>(i < 0 ? i + size() : i)];
  }
  std::string name() const override { return "ParameterList"; }
  /// PyTorch's: `(0): Parameter containing: [torch.float32 of size 2x3]` per entry.
  std::string extra_repr() const override {
    std::string out;
    for (const auto& [n, p] : this->named_parameters(false)) {
      std::string size;
      for (int64_t d = 0; d < p.dim(); ++d) size += (d ? "x" : "") + std::to_string(p.sizes()[d]);
      out += (out.empty() ? "" : "\n") + std::string("  (") + n + "): Parameter containing: [torch." +
             (std::is_same_v<T, float> ? "float32" : "float64") + " of size " + size + "]";
    }
    return out;
  }
  std::shared_ptr<Module<T>> clone() const override { return this->clone_as(*this); }
};

}  // namespace tapegrad::nn
