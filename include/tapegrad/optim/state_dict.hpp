#pragma once
// StateDict<T>: torch's optimizer.state_dict() (the structure an optimizer
// saves and loads to resume training), and the visitor through which every
// optimizer lists its hyper-parameters and per-parameter state by PyTorch's
// names.
//
// Note [Optimizer state_dict]: PyTorch's dict is
//   {"state": {0: {"step": tensor(5.), "exp_avg": ..., ...}, 1: {...}},
//    "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), ..., "params": [0, 1]}]}
// StateDict keeps that shape: `state` maps a parameter's index to its state
// tensors by PyTorch's names (scalars such as "step" and NAdam's "mu_product"
// as 0-d tensors, as torch keeps them), and `param_groups` holds tapegrad's one
// group, its hyper-parameters by PyTorch's names as lists of doubles ("lr" ->
// {0.001}, "betas" -> {0.9, 0.999}, booleans 0/1, "params" -> {0, 1, ...}).
// A parameter that has no state yet (no step taken) has no entry, as in
// PyTorch. Differences from PyTorch: the tensors are copies taken when
// state_dict() is called, not references into the live state; load_state_dict
// checks every key and shape before it changes anything, and refuses unknown
// and missing keys (PyTorch loads whatever it is given). optim::save/load
// (io/optim_state.hpp) write and read one as a safetensors file.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "../tensor/factory.hpp"

namespace tapegrad::optim {

/// torch's optimizer.state_dict(): state[i][name] are parameter i's state
/// tensors (each shaped as the parameter, scalars 0-d); param_groups[0] maps
/// each hyper-parameter's name to its value(s) and "params" to 0..n-1.
template <FloatingElement T>
struct StateDict {
  std::map<int64_t, std::map<std::string, Tensor<T>>> state;
  std::vector<std::map<std::string, std::vector<double>>> param_groups;
};

namespace detail {
/// What an optimizer calls for each of its options (visit_options) and each
/// field of a parameter's state (visit_state); a saver reads the fields, a
/// loader checks or writes them.
template <FloatingElement T>
class StateVisitor {
 public:
  virtual ~StateVisitor() = default;
  virtual void option(const char* name, double& value) = 0;
  virtual void option(const char* name, bool& value) = 0;
  virtual void option(const char* name, std::array<double, 2>& value) = 0;
  /// A step counter.
  virtual void scalar(const char* name, int64_t& value) = 0;
  /// A float32 scalar whatever T is (NAdam's mu_product, a float32 tensor in PyTorch).
  virtual void scalar(const char* name, float& value) = 0;
  /// A tensor shaped as the parameter; `required`: a parameter with state
  /// must have it (an optional one is undefined when absent).
  virtual void tensor(const char* name, Tensor<T>& value, bool required) = 0;
};
}  // namespace detail

}  // namespace tapegrad::optim
