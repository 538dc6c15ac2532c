#pragma once
// Helpers for the tests of the convolution, pooling and normalization ops and
// modules against tests/reference/conv.txt (tools/gen_ref_conv.py): records as
// tensors, and a comparison whose tolerance scales with the record's largest
// value (the outputs are sums of up to a few hundred products, computed by
// PyTorch in float64).
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>
#include <tapegrad/ops/conv.hpp>

#include <string>
#include <type_traits>

#include "support/tensor_check.hpp"

namespace conv_test {

namespace tg = tapegrad;

// `file`: conv.txt, or interp.txt / pad.txt (tools/gen_ref_interp.py)
inline const tapegrad_test::RefTensor& rec(const std::string& name, const std::string& file = "conv.txt") {
  return tapegrad_test::ref(file, name);
}

template <class T>
tg::Tensor<T> load(const std::string& name, const std::string& file = "conv.txt") {
  return tapegrad_test::load<T>(file, name);
}
/// A leaf requiring grad holding record `name`, laid out as `view` ("c"
/// contiguous, "s" every other element of a longer buffer, "t" reversed strides).
template <class T>
tg::Tensor<T> leaf(const std::string& name, const std::string& view = "c", const std::string& file = "conv.txt") {
  auto t = tapegrad_test::laid_out(load<T>(name, file), view);
  t.requires_grad_();
  return t;
}

/// Relative to the record's largest value: float to ~10 ulp of it, double to 1e-12.
template <class T>
constexpr double kRtol = std::is_same_v<T, float> ? 2e-6 : 1e-12;

template <class T>
std::string mismatch(const tg::Tensor<T>& got, const std::string& name, const std::string& file = "conv.txt") {
  const auto& want = rec(name, file);
  if (!got.defined()) return "undefined";
  if (!(got.sizes() == tapegrad_test::shape_of(want))) {
    std::ostringstream os;
    os << "shape " << got.sizes() << " != " << tapegrad_test::shape_of(want);
    return os.str();
  }
  return tapegrad_test::tolerance_mismatches(got, want, kRtol<T>, 1e-3, 4);
}

/// Runs op on record `base`.x of `file` laid out as `view`, and checks .out and
/// the input's gradient for upstream .gout against the records .out and .gx.
template <class T, class Op>
void check_unary_case(const std::string& base, const std::string& view, const std::string& file, const Op& op) {
  CAPTURE(base);
  CAPTURE(view);
  auto x = leaf<T>(base + ".x", view, file);
  auto out = op(x);
  CHECK(mismatch(out, base + ".out", file) == "");
  out.backward(load<T>(base + ".gout", file));
  CHECK(mismatch(x.grad(), base + ".gx", file) == "");
}

}  // namespace conv_test

#define CONV_CHECK_REF(got, name)                                          \
  do {                                                                     \
    const std::string conv_mismatch_ = ::conv_test::mismatch((got), (name)); \
    CHECK_MESSAGE(conv_mismatch_.empty(), (name), ": ", conv_mismatch_);   \
  } while (0)
