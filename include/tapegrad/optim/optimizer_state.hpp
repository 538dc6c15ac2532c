#pragma once
// Optimizer<T>::state_dict() and load_state_dict() (Note [Optimizer state_dict]
// in optim/state_dict.hpp), through the visit_options/visit_state hooks every
// optimizer defines. Included at the end of optimizer.hpp.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "optimizer.hpp"
#include "../ops/shape.hpp"  // Tensor::clone (the saved and loaded state are copies)

namespace tapegrad::optim {

namespace detail {

using ParamGroup = std::map<std::string, std::vector<double>>;

inline bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

/// Reads an optimizer's options into a param group and a parameter's state into a dict entry.
template <FloatingElement T>
class StateSaver final : public StateVisitor<T> {
 public:
  ParamGroup* group = nullptr;
  std::map<std::string, Tensor<T>>* entry = nullptr;
  bool has_tensor = false;  // a parameter without state tensors has no entry

  void option(const char* name, double& v) override { (*group)[name] = {v}; }
  void option(const char* name, bool& v) override { (*group)[name] = {v ? 1.0 : 0.0}; }
  void option(const char* name, std::array<double, 2>& v) override { (*group)[name] = {v[0], v[1]}; }
  void scalar(const char* name, int64_t& v) override { (*entry)[name] = full<T>({}, static_cast<T>(v)); }
  void scalar(const char* name, float& v) override { (*entry)[name] = full<T>({}, static_cast<T>(v)); }
  void tensor(const char* name, Tensor<T>& v, bool) override {
    if (!v.defined()) return;
    (*entry)[name] = v.clone();
    has_tensor = true;
  }
};

/// Checks a loaded param group against the options an optimizer lists, and writes them.
template <FloatingElement T>
class OptionLoader final : public StateVisitor<T> {
 public:
  OptionLoader(const ParamGroup& group, const char* op) : group_(group), op_(op) {}
  std::vector<std::string> seen{"lr", "params"};  // (a vector: <set> stays out of the umbrella)

  void option(const char* name, double& v) override { v = get(name, 1)[0]; }
  void option(const char* name, bool& v) override { v = get(name, 1)[0] != 0; }
  void option(const char* name, std::array<double, 2>& v) override {
    const auto& x = get(name, 2);
    v = {x[0], x[1]};
  }
  void scalar(const char*, int64_t&) override {}
  void scalar(const char*, float&) override {}
  void tensor(const char*, Tensor<T>&, bool) override {}

  const std::vector<double>& get(const char* name, size_t n) {
    auto it = group_.find(name);
    TAPEGRAD_CHECK(it != group_.end(), ValueError, op_, ": load_state_dict: param_groups[0] has no '", name,
                   "'");
    TAPEGRAD_CHECK(it->second.size() == n, ValueError, op_, ": load_state_dict: param_groups[0]['", name,
                   "'] has ", it->second.size(), " values, expected ", n);
    seen.emplace_back(name);
    return it->second;
  }

 private:
  const ParamGroup& group_;
  const char* op_;
};

/// Checks a loaded entry state[i] against parameter i (write = false), or copies it in (write = true).
template <FloatingElement T>
class StateLoader final : public StateVisitor<T> {
 public:
  StateLoader(const std::map<std::string, Tensor<T>>& entry, size_t index, const Shape& shape, const char* op,
              bool write)
      : entry_(entry), index_(index), shape_(shape), op_(op), write_(write) {}
  std::vector<std::string> seen;

  void option(const char*, double&) override {}
  void option(const char*, bool&) override {}
  void option(const char*, std::array<double, 2>&) override {}
  void scalar(const char* name, int64_t& v) override {
    const T step = find_scalar(name)->item();
    // a corrupt file's step must not reach the integer conversion (undefined for nan or 1e30)
    TAPEGRAD_CHECK(step >= 0 && step <= T(1e15) && step == std::floor(step), ValueError, op_, ": load_state_dict: ",
                   key(name), " must be a whole number of steps, got ", step);
    if (write_) v = static_cast<int64_t>(step);
  }
  void scalar(const char* name, float& v) override {
    if (const Tensor<T>* t = find_scalar(name); write_) v = static_cast<float>(t->item());
  }
  void tensor(const char* name, Tensor<T>& v, bool required) override {
    auto it = entry_.find(name);
    if (it == entry_.end()) {
      TAPEGRAD_CHECK(!required, ValueError, op_, ": load_state_dict: missing key ", key(name),
                     " (expected shape ", shape_, ", as parameter ", index_, ")");
      if (write_) v = Tensor<T>();
      return;
    }
    seen.emplace_back(name);
    TAPEGRAD_CHECK(it->second.defined() && it->second.sizes() == shape_, ValueError, op_, ": load_state_dict: ",
                   key(name), " has shape ", (it->second.defined() ? Shape(it->second.sizes()) : Shape{}),
                   " but parameter ", index_, " has shape ", shape_);
    if (write_) v = it->second.clone();
  }

  std::string key(const std::string& name) const { return "state." + std::to_string(index_) + "." + name; }

 private:
  const Tensor<T>* find_scalar(const char* name) {
    auto it = entry_.find(name);
    TAPEGRAD_CHECK(it != entry_.end(), ValueError, op_, ": load_state_dict: missing key ", key(name));
    TAPEGRAD_CHECK(it->second.defined() && it->second.numel() == 1, ValueError, op_, ": load_state_dict: ",
                   key(name), " must hold one value, got shape ",
                   (it->second.defined() ? Shape(it->second.sizes()) : Shape{}));
    seen.emplace_back(name);
    return &it->second;
  }

  const std::map<std::string, Tensor<T>>& entry_;
  size_t index_;
  Shape shape_;
  const char* op_;
  bool write_;
};

}  // namespace detail

template <FloatingElement T>
StateDict<T> Optimizer<T>::state_dict() const {
  // The hooks take the visitor by reference for both directions; a saver only reads.
  auto& self = const_cast<Optimizer<T>&>(*this);
  StateDict<T> sd;
  detail::ParamGroup& group = sd.param_groups.emplace_back();
  detail::StateSaver<T> saver;
  saver.group = &group;
  group["lr"] = {lr_};
  self.visit_options(saver);
  std::vector<double>& indices = group["params"];
  for (size_t i = 0; i < params_.size(); ++i) {
    indices.push_back(static_cast<double>(i));
    std::map<std::string, Tensor<T>> entry;
    saver.entry = &entry;
    saver.has_tensor = false;
    self.visit_state(i, saver);
    if (saver.has_tensor) sd.state.emplace(static_cast<int64_t>(i), std::move(entry));
  }
  return sd;
}

template <FloatingElement T>
void Optimizer<T>::load_state_dict(const StateDict<T>& sd) {
  TAPEGRAD_CHECK(sd.param_groups.size() == 1, ValueError, name_, ": load_state_dict: loaded state dict has ",
                 sd.param_groups.size(), " parameter groups, this optimizer has 1");
  const detail::ParamGroup& group = sd.param_groups[0];
  auto ids = group.find("params");
  TAPEGRAD_CHECK(ids != group.end(), ValueError, name_, ": load_state_dict: param_groups[0] has no 'params'");
  TAPEGRAD_CHECK(ids->second.size() == params_.size(), ValueError, name_,
                 ": load_state_dict: loaded state dict contains a parameter group of ", ids->second.size(),
                 " parameters that doesn't match the size of optimizer's group (", params_.size(), ")");
  for (const auto& entry : sd.state) {
    const int64_t i = entry.first;
    TAPEGRAD_CHECK(0 <= i && static_cast<size_t>(i) < params_.size(), ValueError, name_,
                   ": load_state_dict: state has an entry for parameter ", i, " but the optimizer has ",
                   params_.size(), " parameters");
  }
  // The options first (a state tensor may be required by them: amsgrad's
  // max_exp_avg_sq), restored if anything does not fit.
  detail::ParamGroup old_group;
  detail::StateSaver<T> saver;
  saver.group = &old_group;
  visit_options(saver);
  double lr = lr_;
  try {
    detail::OptionLoader<T> options(group, name_);
    lr = options.get("lr", 1)[0];
    visit_options(options);
    for (const auto& kv : group)
      TAPEGRAD_CHECK(detail::contains(options.seen, kv.first), ValueError, name_,
                     ": load_state_dict: unexpected key '", kv.first, "' in param_groups[0]");
    for (const auto& entry : sd.state) {
      const auto i = static_cast<size_t>(entry.first);
      detail::StateLoader<T> check(entry.second, i, params_[i].sizes(), name_, false);
      visit_state(i, check);
      for (const auto& kv : entry.second)
        TAPEGRAD_CHECK(detail::contains(check.seen, kv.first), ValueError, name_,
                       ": load_state_dict: unexpected key ", check.key(kv.first));
    }
  } catch (...) {
    detail::OptionLoader<T> restore(old_group, name_);
    visit_options(restore);
    throw;
  }
  lr_ = lr;
  for (size_t i = 0; i < params_.size(); ++i) {
    auto it = sd.state.find(static_cast<int64_t>(i));
    if (it == sd.state.end()) {
      reset_state(i);
      continue;
    }
    detail::StateLoader<T> write(it->second, i, params_[i].sizes(), name_, true);
    visit_state(i, write);
  }
}

}  // namespace tapegrad::optim
