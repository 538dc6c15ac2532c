#pragma once
// One golden file's records as tensors, CHECK_REF against them, and gradcheck
// with its report, for the tests that read a tests/reference/<file>: a test
// file declares `const tapegrad_test::Golden kGolden{"<file>"};` and reads its
// records with kGolden.load<T>(name) / kGolden.ref(name), or says
// GOLDEN_FILE("<file>") for that and the short names L / R / leaf. The
// helper headers of other folders bind their own file the same way
// (nn/nn_ref.hpp, nn/surface_ref.hpp).
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
  bool has(const std::string& name) const { return has_ref(file, name); }
  /// Record `name` as a leaf requiring grad (double unless told), laid out
  /// non-contiguously when `strided`.
  template <class T = double>
  tapegrad::Tensor<T> leaf(const std::string& name, bool strided = false) const {
    auto t = load<T>(name);
    if (strided) t = strided_copy(t);
    return t.requires_grad_();
  }
};

/// CHECK_NO_MISMATCH(record, text): `text` (a mismatch() report) is empty;
/// a failure names the record. The CHECK_REF macros of every golden file.
#define CHECK_NO_MISMATCH(record, ...)                     \
  do {                                                     \
    const std::string mm_ = (__VA_ARGS__);                 \
    CHECK_MESSAGE(mm_.empty(), (record), ": ", mm_);       \
  } while (0)

/// CHECK_REF(got, record[, tol]): `got` has the shape and values of
/// record `record` of the test file's `kGolden` (a Golden at
/// namespace scope), within tol (default: exact); a failure names the record.
#define CHECK_REF(got, record, ...) \
  CHECK_NO_MISMATCH(record, tapegrad_test::mismatch((got), kGolden.ref(record) __VA_OPT__(, ) __VA_ARGS__))

/// GOLDEN_FILE("<file>"), at namespace scope: this test file's kGolden, and
/// the short names of the tests that read a record on nearly every line:
/// L<T>(name) the record as a Tensor<T> (float unless told), R(name) the
/// record, leaf(name[, strided]) a double leaf.
#define GOLDEN_FILE(file)                                                                               \
  const tapegrad_test::Golden kGolden{file};                                                            \
  template <class T = float>                                                                            \
  tapegrad::Tensor<T> L(const std::string& name) { return kGolden.load<T>(name); }                      \
  [[maybe_unused]] const tapegrad_test::RefTensor& R(const std::string& name) { return kGolden.ref(name); } \
  [[maybe_unused]] tapegrad::Tensor<double> leaf(const std::string& name, bool strided = false) {        \
    return kGolden.leaf(name, strided);                                                                 \
  }

/// GOLDEN_RECORDS(golden), in a helper header's namespace: the functions of
/// its test files over the records of `golden` (a Golden at namespace scope):
/// rec(name), has(name), load<T>(name), load_index(name) (int64) and
/// leaf<T>(name) (nn/nn_ref.hpp, nn/surface_ref.hpp).
#define GOLDEN_RECORDS(golden)                                                                                 \
  inline const tapegrad_test::RefTensor& rec(const std::string& name) { return (golden).ref(name); }          \
  inline bool has(const std::string& name) { return (golden).has(name); }                                      \
  template <class T>                                                                                           \
  tapegrad::Tensor<T> load(const std::string& name) { return (golden).template load<T>(name); }               \
  inline tapegrad::Tensor<int64_t> load_index(const std::string& name) { return load<int64_t>(name); }       \
  template <class T>                                                                                           \
  tapegrad::Tensor<T> leaf(const std::string& name) { return (golden).template leaf<T>(name); }

using DoubleFn = std::function<tapegrad::Tensor<double>(const std::vector<tapegrad::Tensor<double>>&)>;
/// gradcheck(f, in) passes; its message is shown when not.
inline void check_grad(const DoubleFn& f, const std::vector<tapegrad::Tensor<double>>& in) {
  const auto r = tapegrad::gradcheck(f, in);
  INFO(r.message);
  CHECK(r.ok);
}

}  // namespace tapegrad_test
