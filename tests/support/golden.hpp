#pragma once
// One golden file's records as tensors, CHECK_REF against them, and gradcheck
// with its report, for the op tests that read one tests/reference/<file>: a
// test file declares `const tapegrad_test::Golden kGolden{"<file>"};` and
// reads its records with kGolden.load<T>(name) / kGolden.ref(name).
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

/// CHECK_REF(got, record[, tol]): `got` has the shape and values of
/// record `record` of the test file's `kGolden` (a Golden at
/// namespace scope), within tol (default: exact); a failure names the record.
#define CHECK_REF(got, record, ...)                                                                   \
  do {                                                                                                \
    const std::string mm_ = tapegrad_test::mismatch((got), kGolden.ref(record) __VA_OPT__(, ) __VA_ARGS__); \
    CHECK_MESSAGE(mm_.empty(), (record), ": ", mm_);                                                  \
  } while (0)

using DoubleFn = std::function<tapegrad::Tensor<double>(const std::vector<tapegrad::Tensor<double>>&)>;
/// gradcheck(f, in) passes; its message is shown when not.
inline void check_grad(const DoubleFn& f, const std::vector<tapegrad::Tensor<double>>& in) {
  const auto r = tapegrad::gradcheck(f, in);
  INFO(r.message);
  CHECK(r.ok);
}

}  // namespace tapegrad_test
