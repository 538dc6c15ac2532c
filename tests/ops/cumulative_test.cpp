// Scans of ops/cumulative.hpp against tests/reference/cumulative.txt
// (tools/gen_ref_arith.py, PyTorch 1.13). float32 sums accumulate in double
// as PyTorch's CPU kernel does, so cumsum/cumprod are exact; logcumsumexp is
// held to a few ulp (std::log1p/exp vs PyTorch's).
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "support/golden.hpp"
#include "support/reference.hpp"
#include "support/tensor_check.hpp"

namespace {

namespace tg = tapegrad;
using tapegrad_test::mismatch;
using tapegrad_test::reversed_layout;
using tapegrad_test::strided_copy;
using Tol = tapegrad_test::Tol;

const tapegrad_test::Golden kGolden{"cumulative.txt"};

template <class T>
void check_scans(const tg::Tensor<T>& x0, const std::string& tag) {
  const Tol exact{}, close = std::is_same_v<T, float> ? Tol{1e-6, 1e-6} : Tol{1e-14, 1e-14};
  for (const auto& x : {x0, strided_copy(x0), reversed_layout(x0)}) {
    CAPTURE(tg::to_string(x.strides()));
    CHECK_REF(tg::cumsum(x, 1), "cumsum." + tag + ".d1", exact);
    CHECK_REF(x.cumsum(-2), "cumsum." + tag + ".d0", exact);
    CHECK_REF(x.cumprod(1), "cumprod." + tag + ".d1", close);
    CHECK_REF(tg::logcumsumexp(x, 1), "logcumsumexp." + tag + ".d1", close);
    CHECK_REF(x.logcumsumexp(0), "logcumsumexp." + tag + ".d0", close);
    CHECK_REF(tg::cummax(x, 1).values, "cummax." + tag + ".d1.values", exact);
    CHECK_REF(x.cummax(1).indices, "cummax." + tag + ".d1.indices", exact);
    CHECK_REF(tg::cummin(x, 1).values, "cummin." + tag + ".d1.values", exact);
    CHECK_REF(x.cummin(1).indices, "cummin." + tag + ".d1.indices", exact);
  }
}

}  // namespace

TEST_CASE("cumsum/cumprod/cummax/cummin/logcumsumexp: match PyTorch incl. NaN and -inf") {
  check_scans(kGolden.load<float>("x.f32"), "x");
  check_scans(kGolden.load<double>("xn.f64"), "xn");
}

TEST_CASE("cumsum/cumprod: integers accumulate in int64 (as PyTorch); cummax keeps the dtype") {
  const auto xi = kGolden.load<int8_t>("xi.i8");
  static_assert(std::is_same_v<decltype(tg::cumsum(xi, 1)), tg::Tensor<int64_t>>);
  CHECK_REF(tg::cumsum(xi, 1), "cumsum.xi.d1", Tol{});
  CHECK_REF(tg::cumprod(xi, 1), "cumprod.xi.d1", Tol{});
  CHECK_REF(tg::cummax(xi, 1).values, "cummax.xi.d1.values", Tol{});
  CHECK_REF(tg::cummax(xi, 1).indices, "cummax.xi.d1.indices", Tol{});
  CHECK(tg::cumsum(tg::tensor<bool>({true, true, false}), 0).to_vector() == std::vector<int64_t>{1, 2, 2});
}

TEST_CASE("cumsum/cumprod/cummax/logcumsumexp: 0-d and empty inputs, and dims out of range") {
  CHECK(tg::cumsum(tg::tensor<float>(2.f), 0).item() == 2.f);
  CHECK(tg::cumsum(tg::tensor<float>(2.f), -1).dim() == 0);
  CHECK(tg::cummax(tg::tensor<float>(2.f), 0).indices.item() == 0);
  CHECK(tg::cumprod(tg::zeros<float>({0, 3}), 0).sizes() == tg::Shape{0, 3});
  CHECK(tg::logcumsumexp(tg::zeros<double>({2, 0}), 1).sizes() == tg::Shape{2, 0});
  CHECK_THROWS_AS(tg::cumsum(tg::zeros<float>({2, 3}), 2), tg::IndexError);
  CHECK_THROWS_AS(tg::cummin(tg::zeros<float>({2}), -2), tg::IndexError);
}

TEST_CASE("cumsum/cumprod/cummax/cummin/logcumsumexp: gradients match PyTorch (cumprod with zeros)") {
  const auto g = kGolden.load<double>("g"), w = kGolden.load<double>("gw");
  auto check = [&](const std::string& name, auto fn) {
    auto x = g.clone();
    x.requires_grad_();
    (fn(x) * w).sum().backward();
    CHECK_REF(x.grad(), "grad." + name + ".0", (Tol{1e-14, 1e-14}));
  };
  check("cumsum", [](const auto& x) { return tg::cumsum(x, 1); });
  check("cumprod", [](const auto& x) { return tg::cumprod(x, 1); });
  check("cummax", [](const auto& x) { return tg::cummax(x, 1).values; });
  check("cummin", [](const auto& x) { return tg::cummin(x, 0).values; });
  check("logcumsumexp", [](const auto& x) { return tg::logcumsumexp(x, 1); });
}

TEST_CASE("cumsum/cumprod/cummax/cummin/logcumsumexp: gradcheck incl. non-contiguous, empty and 0-d inputs") {
  using V = std::vector<tg::Tensor<double>>;
  auto gc = [](auto f, V in) {
    for (auto& t : in) t.requires_grad_();
    const auto r = tg::gradcheck(f, in);
    CHECK_MESSAGE(r.ok, r.message);
  };
  const auto x = tg::tensor<double>({{0.3, -1.2, 2.5, 0.9}, {1.7, 0.0, -0.4, 3.3}, {-2.2, 0.8, 0.0, 0.5}});
  gc([](const V& v) { return tg::cumsum(v[0], 0); }, {x.clone()});
  gc([](const V& v) { return tg::cumprod(v[0], 1); }, {reversed_layout(x)});  // zeros included
  gc([](const V& v) { return tg::cumprod(v[0], 0); }, {strided_copy(x)});
  gc([](const V& v) { return tg::cummax(v[0], 1).values; }, {x.clone()});
  gc([](const V& v) { return tg::cummin(v[0], 0).values; }, {strided_copy(x)});
  gc([](const V& v) { return tg::logcumsumexp(v[0], 1); }, {x.clone()});
  gc([](const V& v) { return tg::logcumsumexp(v[0], 0); }, {tg::tensor<double>({-1000.0, 1000.0, 999.0})});
  gc([](const V& v) { return tg::cumprod(v[0], 0); }, {tg::tensor<double>(1.5)});
  gc([](const V& v) { return tg::cumsum(v[0], 1); }, {tg::zeros<double>({2, 0})});
}
