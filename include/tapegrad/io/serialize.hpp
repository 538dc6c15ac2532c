#pragma once
// save(module, path) / load(module, path): a model's parameters and buffers
// as a safetensors file, named as PyTorch names them ("1.weight"), so a model
// saved by PyTorch's safetensors loads here and the other way round.
// In io/ rather than nn/ because it reads and writes files: the io layer sits
// above nn (README.md, "Layout"); the functions keep PyTorch's nn namespace.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "../nn/module.hpp"
#include "safetensors.hpp"

namespace tapegrad::nn {

/// Write every parameter and buffer of m to path, with optional string
/// metadata (safetensors' __metadata__, e.g. what the model was trained on).
template <FloatingElement T>
void save(const Module<T>& m, const std::string& path, const std::map<std::string, std::string>& metadata = {}) {
  io::NamedTensors tensors;
  for (auto& [n, t] : m.named_parameters()) tensors.emplace_back(n, t.detach());
  for (auto& [n, t] : m.named_buffers()) tensors.emplace_back(n, t.detach());
  io::save_safetensors(path, tensors, metadata);
}

/// Load every parameter and buffer of m from path. Strict, like PyTorch's
/// load_state_dict: every name must be present with m's dtype and shape and
/// no other tensor may be in the file. Everything is checked before any value
/// is copied, so a failed load leaves the model unchanged. metadata, if
/// given, receives the file's string metadata as soon as the file is read
/// (also when the tensors then do not fit m).
template <FloatingElement T>
void load(Module<T>& m, const std::string& path, std::map<std::string, std::string>* metadata = nullptr);

namespace detail {
/// nn::load's checks and copies on tensors already read from `path` (the
/// fuzz target, tests/fuzz/safetensors_fuzz.cpp, calls this directly).
template <FloatingElement T>
void load_named(Module<T>& m, const io::NamedTensors& file, const std::string& path) {
  auto targets = m.named_parameters();
  const size_t n_params = targets.size();
  for (auto& b : m.named_buffers()) targets.push_back(b);
  std::vector<Tensor<T>> sources;
  // (no structured bindings here: clang before 16 cannot capture them in the lambdas)
  for (const auto& target : targets) {
    const std::string& name = target.first;
    const Tensor<T>& t = target.second;
    auto it = std::find_if(file.begin(), file.end(), [&](const auto& e) { return e.first == name; });
    TAPEGRAD_CHECK(it != file.end(), IOError, "load: ", path, " has no tensor '", name, "' (", m.name(),
                   " expects it with shape ", t.sizes(), ")");
    // a buffer takes any dtype, converted (PyTorch's num_batches_tracked is
    // int64: Note [num_batches_tracked dtype] in nn/conv.hpp); a parameter must match
    const bool buffer = static_cast<size_t>(&target - targets.data()) >= n_params;
    auto src = buffer ? std::visit([](const auto& t) { return t.template to<T>(); }, it->second)
                      : io::get_as<T>(it->second, "load: " + path + ": tensor '" + name + "'");
    TAPEGRAD_CHECK(src.sizes() == t.sizes(), ShapeError, "load: ", path, ": tensor '", name, "' has shape ",
                   src.sizes(), " but the model's has shape ", t.sizes());
    sources.push_back(src);
  }
  for (const auto& entry : file) {
    const std::string& name = entry.first;
    const bool known = std::any_of(targets.begin(), targets.end(), [&](const auto& e) { return e.first == name; });
    TAPEGRAD_CHECK(known, IOError, "load: ", path, " has an unexpected tensor '", name, "' that ", m.name(),
                   " does not have");
  }
  NoGradGuard no_grad;
  for (size_t i = 0; i < targets.size(); ++i) targets[i].second.copy_(sources[i]);
}
}  // namespace detail

template <FloatingElement T>
void load(Module<T>& m, const std::string& path, std::map<std::string, std::string>* metadata) {
  detail::load_named(m, io::load_safetensors(path, metadata), path);
}

}  // namespace tapegrad::nn
