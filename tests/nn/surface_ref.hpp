#pragma once
// Helpers for the tests against tests/reference/nn_surface.txt
// (tools/gen_ref_nn_surface.py): records as tensors, and one check of a
// case's output and gradients in float32 or float64. The test files say
// `using namespace surface;` (it also brings the tg, nn and F aliases).
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <string>
#include <vector>

#include "support/golden.hpp"

namespace surface {

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
namespace F = tapegrad::nn::functional;
using tapegrad_test::tag;

inline const tapegrad_test::Golden kSurfaceGolden{"nn_surface.txt"};
GOLDEN_RECORDS(kSurfaceGolden)  // rec, has, load<T>, load_index, leaf<T>

// float32: a few ulp of O(1) values (our formulas and summation orders are
// not PyTorch's); float64: 1e-11.
template <class T>
tapegrad_test::Tol tol() {
  return std::is_same_v<T, float> ? tapegrad_test::Tol{2e-5, 2e-6} : tapegrad_test::Tol{1e-11, 1e-12};
}

#define SURFACE_CHECK(got, name, ...) \
  CHECK_NO_MISMATCH(name, tapegrad_test::mismatch((got), ::surface::rec(name), __VA_ARGS__))

/// fn(leaves) against `<c>.<tag>.out`, and the gradients of sum(out * up)
/// against `<c>.<tag>.grad<i>` (each input that has a record).
template <class T, class Fn>
void check_case(const std::string& c, Fn fn, std::vector<tg::Tensor<T>> inputs) {
  CAPTURE(c);
  CAPTURE(tag<T>());
  auto y = fn(inputs);
  SURFACE_CHECK(y, c + "." + tag<T>() + ".out", tol<T>());
  (y * load<T>(c + ".up")).sum().backward();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string g = c + "." + tag<T>() + ".grad" + std::to_string(i);
    if (!has(g)) continue;
    REQUIRE_MESSAGE(inputs[i].grad().defined(), g);
    SURFACE_CHECK(inputs[i].grad(), g, tol<T>());
  }
}

/// gradcheck in double, reporting its message.
template <class Fn>
void check_gradcheck(Fn fn, std::vector<tg::Tensor<double>> inputs, double atol = 1e-5, double rtol = 1e-3) {
  for (auto& x : inputs) x.requires_grad_();
  const auto r = tg::gradcheck(fn, inputs, 1e-6, atol, rtol);
  CHECK_MESSAGE(r.ok, r.message);
}

}  // namespace surface
