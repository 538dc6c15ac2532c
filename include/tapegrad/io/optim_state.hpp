#pragma once
// An optimizer's state_dict as a safetensors file, to resume training:
//   optim::save(opt.state_dict(), "opt.safetensors");     // torch.save(opt.state_dict(), path)
//   opt.load_state_dict(optim::load<float>("opt.safetensors"));  // opt.load_state_dict(torch.load(path))
// or, as nn::save(model, path) / nn::load(model, path) for a model:
//   optim::save(opt, "opt.safetensors");  optim::load(opt, "opt.safetensors");
//
// Note [Optimizer state files]: the state tensors are stored as
// "state.<parameter index>.<key>" ("state.0.exp_avg", "state.0.step" 0-d),
// the names of PyTorch's state_dict flattened as a module's are; the one
// param group goes in the metadata as "param_groups.0" =
// "lr=0.001;betas=0.9,0.999;...;params=0,1" (17 significant digits, so the
// doubles come back exactly), with "format" = "tapegrad.optim.state_dict".
// safetensors cannot hold PyTorch's pickled dict, so this file is tapegrad's;
// the tensors keep PyTorch's keys so a Python script can rebuild the dict.
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../optim/optimizer.hpp"
#include "safetensors.hpp"

namespace tapegrad::optim {

namespace detail {
inline constexpr const char* kStateFileFormat = "tapegrad.optim.state_dict";

inline std::string format_group(const std::map<std::string, std::vector<double>>& group) {
  std::ostringstream os;
  os.precision(17);
  bool first = true;
  for (const auto& [name, values] : group) {
    os << (first ? "" : ";") << name << "=";
    first = false;
    for (size_t k = 0; k < values.size(); ++k) os << (k ? "," : "") << values[k];
  }
  return os.str();
}

inline std::map<std::string, std::vector<double>> parse_group(const std::string& text, const std::string& path) {
  std::map<std::string, std::vector<double>> group;
  std::istringstream items(text);
  std::string item;
  while (std::getline(items, item, ';')) {
    const auto eq = item.find('=');
    TAPEGRAD_CHECK(eq != std::string::npos && eq > 0, IOError, "optim::load: ", path,
                   ": malformed param_groups.0 entry '", item, "'");
    std::vector<double>& values = group[item.substr(0, eq)];
    std::istringstream list(item.substr(eq + 1));
    std::string v;
    while (std::getline(list, v, ',')) {
      char* end = nullptr;
      const double x = std::strtod(v.c_str(), &end);
      TAPEGRAD_CHECK(!v.empty() && end == v.c_str() + v.size(), IOError, "optim::load: ", path,
                     ": malformed value '", v, "' of '", item.substr(0, eq), "' in param_groups.0");
      values.push_back(x);
    }
  }
  return group;
}
}  // namespace detail

/// Write an optimizer's state_dict to path as a safetensors file (Note [Optimizer state files]).
template <FloatingElement T>
void save(const StateDict<T>& sd, const std::string& path) {
  TAPEGRAD_CHECK(sd.param_groups.size() == 1, ValueError, "optim::save: a state dict with ",
                 sd.param_groups.size(), " parameter groups; tapegrad's optimizers have 1");
  io::NamedTensors tensors;
  for (const auto& [i, entry] : sd.state)
    for (const auto& [key, t] : entry) tensors.emplace_back("state." + std::to_string(i) + "." + key, t);
  io::save_safetensors(path, tensors,
                       {{"format", detail::kStateFileFormat},
                        {"param_groups.0", detail::format_group(sd.param_groups[0])}});
}

/// Read a state_dict written by optim::save; IOError naming the file if it is not one.
template <FloatingElement T>
StateDict<T> load(const std::string& path) {
  std::map<std::string, std::string> metadata;
  const io::NamedTensors file = io::load_safetensors(path, &metadata);
  TAPEGRAD_CHECK(metadata["format"] == detail::kStateFileFormat, IOError, "optim::load: ", path,
                 " is not an optimizer state file (its metadata has no format = ", detail::kStateFileFormat,
                 "; a model saved by nn::save?)");
  StateDict<T> sd;
  sd.param_groups.push_back(detail::parse_group(metadata["param_groups.0"], path));
  for (const auto& [name, any] : file) {
    // "state.<index>.<key>"
    const auto dot = name.find('.', 6);
    char* end = nullptr;
    const long long i = name.rfind("state.", 0) == 0 && dot != std::string::npos
                            ? std::strtoll(name.c_str() + 6, &end, 10)
                            : -1;
    TAPEGRAD_CHECK(i >= 0 && end == name.c_str() + dot && dot > 6, IOError, "optim::load: ", path,
                   " has a tensor '", name, "' that is not named state.<parameter index>.<key>");
    sd.state[i][name.substr(dot + 1)] = io::get_as<T>(any, "optim::load: " + path + ": tensor '" + name + "'");
  }
  return sd;
}

/// save(opt.state_dict(), path), as nn::save(model, path).
template <FloatingElement T>
void save(const Optimizer<T>& opt, const std::string& path) {
  save(opt.state_dict(), path);
}

/// opt.load_state_dict(load<T>(path)), as nn::load(model, path).
template <FloatingElement T>
void load(Optimizer<T>& opt, const std::string& path) {
  opt.load_state_dict(load<T>(path));
}

}  // namespace tapegrad::optim
