#pragma once
// What the optimizer tests against PyTorch's goldens share
// (tests/optim/optim_test.cpp: optim.txt, tests/optim/optim2_test.cpp:
// optim2.txt): loading a record as a tensor, the cases of an optimizer, the
// dtype tag of the record names, PyTorch's error message as tapegrad words it.
#include <tapegrad/tapegrad.hpp>

#include <cctype>
#include <string>
#include <type_traits>
#include <vector>

#include "reference.hpp"

namespace tapegrad_test {

/// "f32" or "f64", as the records' names spell the dtype.
template <class T>
std::string float_tag() {
  return std::is_same_v<T, float> ? "f32" : "f64";
}

/// Record `name` of `file` as a tensor of T (float32 records are exact in double and float).
template <class T>
tapegrad::Tensor<T> load_ref(const std::string& file, const std::string& name) {
  const RefTensor& r = ref(file, name);
  return tapegrad::from_vector(r.as<T>(), tapegrad::Shape(r.shape.begin(), r.shape.end()));
}

/// The names of the cases of `file` whose records start with `prefix`
/// ("adam.default", ...), from their ".opts" records.
inline std::vector<std::string> ref_cases(const std::string& file, const std::string& prefix) {
  std::vector<std::string> out;
  const std::string suffix = ".opts";
  for (const auto& [name, r] : ref_file(file)) {
    if (name.rfind(prefix, 0) == 0 && name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(name.substr(0, name.size() - suffix.size()));
  }
  return out;
}

/// The message PyTorch gives (record "error.<record>"), as tapegrad words it:
/// "<Optimizer>: " + lowercase first letter.
inline std::string torch_message(const std::string& file, const char* optimizer, const std::string& record) {
  std::string text = ref(file, "error." + record).text;
  text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return std::string(optimizer) + ": " + text;
}

}  // namespace tapegrad_test
