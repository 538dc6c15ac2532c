// Reductions of ops/reduce_extra.hpp against tests/reference/reduce_extra.txt
// (tools/gen_ref_arith.py, PyTorch 1.13). amax/amin, counts and the logical
// reductions are exact; sums in a different order than PyTorch's are held
// to rtol 1e-6 (float32) / 1e-12 (float64).
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

const tapegrad_test::Golden kGolden{"reduce_extra.txt"};
template <class T>
constexpr Tol kTol = std::is_same_v<T, float> ? Tol{1e-6, 1e-6} : Tol{1e-12, 1e-12};

}  // namespace

TEST_CASE_TEMPLATE("amax/amin/logsumexp/var_mean/std_mean: over lists of dims match PyTorch", T, float, double) {
  const std::string t = std::is_same_v<T, float> ? "f32" : "f64";
  const auto x0 = kGolden.load<T>("x." + t);
  for (const auto& x : {x0, strided_copy(x0), reversed_layout(x0)}) {
    CAPTURE(tg::to_string(x.strides()));
    CHECK_REF(tg::amax(x, {1}), "amax.d1." + t, Tol{});
    CHECK_REF(x.amin({0, 2}, true), "amin.d02_keep." + t, Tol{});
    CHECK_REF(x.amax(), "amax.all." + t, Tol{});
    CHECK_REF(tg::logsumexp(x, {0, 2}), "logsumexp.d02." + t, kTol<T>);
    CHECK_REF(x.logsumexp({1, 2}, true), "logsumexp.d12_keep." + t, kTol<T>);
    auto [v, m] = tg::var_mean(x, {1});
    CHECK_REF(v, "var_mean.d1.var." + t, kTol<T>);
    CHECK_REF(m, "var_mean.d1.mean." + t, kTol<T>);
    CHECK_REF(std::get<0>(tg::std_mean(x, {}, 0)), "std_mean.all_c0.std." + t, kTol<T>);
  }
}

TEST_CASE("amax/nansum/nanmean/count_nonzero/all/any: NaN and zeros as PyTorch") {
  const auto xt = kGolden.load<double>("xt.f64");
  CHECK_REF(tg::amax(xt, {1}), "amax.xt.d1", Tol{});
  CHECK_REF(tg::nansum(xt, {1}), "nansum.xt.d1", Tol{});
  CHECK_REF(xt.nansum(), "nansum.xt.all", Tol{});
  CHECK_REF(tg::nanmean(xt, {0}), "nanmean.xt.d0", Tol{});
  CHECK_REF(xt.nanmean({1}, true), "nanmean.xt.d1_keep", Tol{});
  CHECK_REF(tg::count_nonzero(xt, {0}), "count_nonzero.xt.d0", Tol{});
  CHECK_REF(xt.count_nonzero(), "count_nonzero.xt.all", Tol{});
  CHECK_REF(tg::all(xt, {1}), "all.xt.d1", Tol{});
  CHECK_REF(tg::any(xt, {1}), "any.xt.d1", Tol{});
  CHECK_REF(tg::all(xt), "all.xt.all", Tol{});
  CHECK_REF(tg::any(xt.narrow(0, 2, 1), {0}, true), "any.zero.d0_keep", Tol{});
  static_assert(std::is_same_v<decltype(tg::all(tg::ones<uint8_t>({2}))), tg::Tensor<uint8_t>>);
  static_assert(std::is_same_v<decltype(tg::nansum(tg::ones<int32_t>({2}))), tg::Tensor<int64_t>>);
  CHECK(tg::any(tg::tensor<uint8_t>({0, 2})).item() == 1);
  CHECK(std::isnan(tg::nanmean(tg::tensor<float>({NAN})).item()));
}

TEST_CASE("aminmax: min and max at once; backward throws as PyTorch has no derivative") {
  const auto x = kGolden.load<double>("x.f64");
  const auto r = tg::aminmax(x, 1);
  CHECK(tg::equal(r.min, tg::amin(x, {1})));
  CHECK(tg::equal(r.max, tg::amax(x, {1})));
  CHECK(tg::aminmax(x, 0, true).max.sizes() == tg::Shape{1, 4, 5});
  CHECK(tg::aminmax(x).min.item() == tg::min(x).item());
  CHECK_THROWS_WITH_AS(tg::aminmax(tg::zeros<float>({0, 3})),
                       "aminmax: cannot compute aminmax over an empty dimension as the operation has no identity "
                       "(shape [0, 3])",
                       tg::IndexError);
  auto y = x.clone();
  y.requires_grad_();
  CHECK_THROWS_WITH_AS(tg::aminmax(y).max.backward(),
                       "aminmax: the derivative for aminmax is not implemented (as PyTorch); use amin and amax",
                       tg::ValueError);
}

TEST_CASE("amax/amin/argmax: shapes of empty, 0-d and keepdim-without-dim cases as PyTorch") {
  CHECK_THROWS_WITH_AS(tg::amax(tg::zeros<float>({0, 3}), {0}),
                       "amax: expected reduction dim 0 to have non-zero size (shape [0, 3])", tg::IndexError);
  CHECK(tg::amax(tg::zeros<float>({0, 3}), {1}).sizes() == tg::Shape{0});
  CHECK(tg::amax(tg::tensor<float>(3.f), {0}).item() == 3.f);
  CHECK_THROWS_WITH_AS(tg::amin(tg::zeros<float>({2}), {0, -1}),
                       "amin: dim -1 appears multiple times in the list of dims [0, -1]", tg::ValueError);
  const auto a = tg::tensor<int64_t>({{1, 5}, {7, 2}});
  const auto k = tg::argmax(a, std::nullopt, true);
  CHECK(k.sizes() == tg::Shape{1, 1});
  CHECK(k.item() == 2);
  CHECK(a.argmin(std::nullopt, true).item() == 0);
  CHECK(a.argmax(std::nullopt, false).dim() == 0);
  CHECK(tg::argmax(a, 1, true).sizes() == tg::Shape{2, 1});
}

TEST_CASE("amax/amin/logsumexp/nansum/nanmean: gradients match PyTorch (ties share the gradient)") {
  const auto g = kGolden.load<double>("g"), w = kGolden.load<double>("gw"), xt = kGolden.load<double>("xt.f64");
  auto check = [&](const std::string& name, auto fn, const tg::Tensor<double>& input, const tg::Tensor<double>& weight) {
    auto x = input.clone();
    x.requires_grad_();
    auto out = fn(x);
    (weight.defined() ? out * weight : out).sum().backward();
    CHECK_REF(x.grad(), "grad." + name + ".0", (Tol{1e-14, 1e-14}));
  };
  const tg::Tensor<double> none;
  check("amax_d1", [](const auto& x) { return tg::amax(x, {1}); }, g, w.select(1, 0));
  check("amin_all", [](const auto& x) { return tg::amin(x); }, g, none);
  check("logsumexp_d01", [](const auto& x) { return tg::logsumexp(x, {0, 1}); }, g, none);
  check("nansum", [](const auto& x) { return tg::nansum(x, {1}); }, xt, none);
  check("nanmean", [](const auto& x) { return tg::nanmean(x, {0}); }, xt, none);
}

TEST_CASE("amax/amin/logsumexp/nansum/nanmean/var_mean: gradcheck incl. non-contiguous, empty and 0-d inputs") {
  using V = std::vector<tg::Tensor<double>>;
  auto gc = [](auto f, V in) {
    for (auto& t : in) t.requires_grad_();
    const auto r = tg::gradcheck(f, in);
    CHECK_MESSAGE(r.ok, r.message);
  };
  const auto x = tg::tensor<double>({{0.3, -1.2, 2.5, 0.9}, {1.7, 0.1, -0.4, 3.3}, {-2.2, 0.8, 1.1, 0.0}});
  gc([](const V& v) { return tg::amax(v[0], {0}); }, {x.clone()});
  gc([](const V& v) { return tg::amin(v[0], {0, 1}, true); }, {reversed_layout(x)});
  gc([](const V& v) { return tg::logsumexp(v[0], {0, 1}); }, {strided_copy(x)});
  gc([](const V& v) { return tg::logsumexp(v[0], tg::Shape{1}, true); }, {x.clone()});
  gc([](const V& v) { return tg::nansum(v[0], {1}); }, {x.clone()});
  gc([](const V& v) { return tg::nanmean(v[0], {0}); }, {x.clone()});
  gc([](const V& v) { return std::get<0>(tg::var_mean(v[0], {1})) + std::get<1>(tg::var_mean(v[0], {1})); }, {x.clone()});
  gc([](const V& v) { return tg::amax(v[0]); }, {tg::tensor<double>(1.5)});
  gc([](const V& v) { return tg::logsumexp(v[0], {0, 1}); }, {tg::zeros<double>({0, 2})});
  gc([](const V& v) { return tg::nansum(v[0]); }, {tg::zeros<double>({0})});
}
