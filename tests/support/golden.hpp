#pragma once
// One golden file's records as tensors, and gradcheck with its report, for
// the op tests that read tests/reference/<file> (indexing.txt, compose.txt).
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "support/reference.hpp"
#include "support/tensor_check.hpp"

namespace tapegrad_test {

/// Records of one golden file.
struct Golden {
  std::string file;
  /// Record `name` as a Tensor<T>.
  template <class T = float>
  tapegrad::Tensor<T> load(const std::string& name) const { return tapegrad_test::load<T>(file, name); }
  const RefTensor& ref(const std::string& name) const { return tapegrad_test::ref(file, name); }
  /// Record `name` as a double leaf requiring grad, laid out non-contiguously when `strided`.
  tapegrad::Tensor<double> leaf(const std::string& name, bool strided = false) const {
    auto t = load<double>(name);
    if (strided) t = strided_copy(t);
    return t.requires_grad_();
  }
};

using DoubleFn = std::function<tapegrad::Tensor<double>(const std::vector<tapegrad::Tensor<double>>&)>;
/// gradcheck(f, in) passes; its message is shown when not.
inline void check_grad(const DoubleFn& f, const std::vector<tapegrad::Tensor<double>>& in) {
  const auto r = tapegrad::gradcheck(f, in);
  INFO(r.message);
  CHECK(r.ok);
}

}  // namespace tapegrad_test
