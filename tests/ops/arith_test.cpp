// Arithmetic of ops/arith.hpp against tests/reference/arith.txt
// (tools/gen_ref_arith.py, PyTorch 1.13). The division family, rounding,
// classifiers and bitwise ops are exact (same IEEE operations as PyTorch's
// kernels); lerp/addcmul/addcdiv within 1 ulp-ish tolerances.
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
using tapegrad_test::strided_copy;
using Tol = tapegrad_test::Tol;

const tapegrad_test::Golden kGolden{"arith.txt"};
constexpr Tol kExact{0, 0, true};

template <class T>
std::string ftag() {
  return std::is_same_v<T, float> ? "f32" : "f64";
}
template <class T>
std::string itag() {
  return std::is_same_v<T, int64_t> ? "i64" : std::is_same_v<T, int32_t> ? "i32" : "i8";
}

auto requiring(tg::Tensor<double> t) {
  t.requires_grad_();
  return t;
}

}  // namespace

TEST_CASE_TEMPLATE("floor_divide/div/remainder/fmod: float values match PyTorch, incl. zeros, inf, NaN", T, float,
                   double) {
  const std::string t = "." + ftag<T>();
  const auto a0 = kGolden.load<T>("a" + t), b0 = kGolden.load<T>("b" + t);
  for (const auto& a : {a0, strided_copy(a0)}) {
    const auto b = strided_copy(b0);
    CHECK_REF(tg::floor_divide(a, b), "floor_divide" + t, kExact);
    CHECK_REF(a.floor_divide(b), "floor_divide" + t, kExact);
    CHECK_REF(tg::div(a, b, "trunc"), "div_trunc" + t, kExact);
    CHECK_REF(a.div(b, "floor"), "div_floor" + t, kExact);
    CHECK_REF(tg::remainder(a, b), "remainder" + t, kExact);
    CHECK_REF(a % b, "remainder" + t, kExact);
    CHECK_REF(a.remainder(b0), "remainder" + t, kExact);
    CHECK_REF(tg::fmod(a, b), "fmod" + t, kExact);
    CHECK_REF(a.fmod(b), "fmod" + t, kExact);
    CHECK_REF(tg::copysign(a, b), "copysign" + t, kExact);
    CHECK_REF(a % -2.5, "remainder_s" + t, kExact);
    CHECK_REF(5 % b, "rremainder_s" + t, kExact);
    CHECK_REF(tg::floor_divide(a, 0.75), "floor_divide_s" + t, kExact);
    CHECK_REF(a.fmod(-2.5), "fmod_s" + t, kExact);
  }
  static_assert(std::is_same_v<decltype(tg::remainder(a0, 2)), tg::Tensor<T>>);
}

TEST_CASE("remainder/floor_divide: broadcast operands match PyTorch") {
  const auto a = kGolden.load<double>("ab"), b = kGolden.load<double>("bb");
  CHECK_REF(a % b, "remainder_bcast", kExact);
  CHECK_REF(tg::floor_divide(a, b), "floor_divide_bcast", kExact);
  CHECK(tg::floor_divide(tg::zeros<double>({0, 3}), tg::ones<double>({3})).sizes() == tg::Shape{0, 3});
  CHECK(tg::remainder(tg::tensor<double>(-1.0), tg::tensor<double>(3.0)).item() == 2.0);
}

TEST_CASE_TEMPLATE("floor_divide/div/remainder/fmod: integer values match PyTorch and keep the dtype", T, int64_t,
                   int32_t, int8_t) {
  const std::string t = "." + itag<T>();
  const auto a = kGolden.load<T>("ai" + t), b = kGolden.load<T>("bi" + t);
  static_assert(std::is_same_v<decltype(tg::floor_divide(a, b)), tg::Tensor<T>>);
  static_assert(std::is_same_v<decltype(a % 3), tg::Tensor<T>>);
  CHECK_REF(tg::floor_divide(a, b), "floor_divide" + t, kExact);
  CHECK_REF(tg::div(a, b, "trunc"), "div_trunc" + t, kExact);
  CHECK_REF(a % b, "remainder" + t, kExact);
  CHECK_REF(tg::fmod(strided_copy(a), b), "fmod" + t, kExact);
  CHECK_REF(a.sign(), "sign" + t, kExact);
  CHECK_REF(a % -3, "remainder_s" + t, kExact);
  CHECK_REF(a.floor_divide(4), "floor_divide_s" + t, kExact);
}

TEST_CASE("floor_divide/remainder: the int8 minimum divided by -1 wraps as in PyTorch") {
  const auto m = kGolden.load<int8_t>("int8_min");
  CHECK_REF(tg::floor_divide(m, tg::tensor<int8_t>({-1, 1, -1})), "int8_min.floor_divide", kExact);
  CHECK_REF(tg::remainder(m, tg::tensor<int8_t>({-1, 3, -1})), "int8_min.remainder", kExact);
}

TEST_CASE("floor_divide/div/remainder/fmod: integer division by zero throws, float follows IEEE") {
  const auto a = tg::tensor<int64_t>({5, -5, 7});
  const auto z = tg::tensor<int64_t>({1, 0, 2});
  const char* msg = ": ZeroDivisionError (integer division or remainder by zero)";
  CHECK_THROWS_WITH_AS(tg::floor_divide(a, z), (std::string("floor_divide") + msg).c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(a % z, (std::string("remainder") + msg).c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(a % 0, (std::string("remainder") + msg).c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::fmod(a, z), (std::string("fmod") + msg).c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::div(a, z, "trunc"), (std::string("div") + msg).c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::div(a, a, "round"),
                       "div: expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'round'",
                       tg::ValueError);
  // bool divisor false is zero too; float by zero is inf/NaN
  CHECK_THROWS_AS(tg::floor_divide(a, tg::tensor<bool>({true, false, true})), tg::ValueError);
  const auto f = tg::floor_divide(tg::tensor<float>({1.f, -1.f, 0.f}), tg::zeros<float>({3}));
  CHECK(f(0) == INFINITY);
  CHECK(f(1) == -INFINITY);
  CHECK(std::isnan(f(2)));
}

TEST_CASE("copysign: integers compute in float32, a double operand gives float64") {
  const auto a = kGolden.load<int64_t>("ai.i64"), b = kGolden.load<int64_t>("bi.i64");
  static_assert(std::is_same_v<decltype(tg::copysign(a, b)), tg::Tensor<float>>);
  CHECK_REF(tg::copysign(a, b), "copysign.i64", kExact);
  auto mixed = tg::copysign(a.to<int32_t>(), tg::full<double>({12}, -1.0));
  static_assert(std::is_same_v<decltype(mixed), tg::Tensor<double>>);
  CHECK_REF(mixed, "copysign_mixed", kExact);
}

TEST_CASE_TEMPLATE("floor/ceil/trunc/frac/round/sign/isnan/isinf/isfinite/nan_to_num: match PyTorch", T, float,
                   double) {
  const std::string t = "." + ftag<T>();
  const auto a0 = kGolden.load<T>("a" + t);
  for (const auto& a : {a0, strided_copy(a0)}) {
    CHECK_REF(tg::floor(a), "floor" + t, kExact);
    CHECK_REF(a.ceil(), "ceil" + t, kExact);
    CHECK_REF(a.trunc(), "trunc" + t, kExact);
    CHECK_REF(tg::frac(a), "frac" + t, kExact);
    CHECK_REF(a.round(), "round" + t, kExact);
    CHECK_REF(tg::sign(a), "sign" + t, kExact);
    CHECK_REF(a.isnan(), "isnan" + t, kExact);
    CHECK_REF(tg::isinf(a), "isinf" + t, kExact);
    CHECK_REF(a.isfinite(), "isfinite" + t, kExact);
    CHECK_REF(a.nan_to_num(), "nan_to_num" + t, kExact);
    CHECK_REF(tg::nan_to_num(a, 1.5, 100.0, -1e300), "nan_to_num_args" + t, kExact);
  }
  const auto v = kGolden.load<T>("rv" + t);
  for (int d : {1, 2, 3, -1, -2}) {
    const std::string name = "round_d" + (d < 0 ? "m" + std::to_string(-d) : std::to_string(d)) + t;
    CHECK_REF(tg::round(v, d), name, kExact);
  }
}

TEST_CASE("floor/ceil/trunc/round/sign/isnan/nan_to_num: integer and bool tensors as PyTorch") {
  const auto a = tg::tensor<int64_t>({-3, 0, 4});
  CHECK(tg::equal(tg::floor(a), a));
  CHECK(tg::equal(a.round(), a));
  CHECK(tg::equal(tg::nan_to_num(a), a));
  CHECK(!tg::floor(a).is_same(a));  // a copy, as PyTorch's
  CHECK(tg::equal(tg::isnan(a), tg::zeros<bool>({3})));
  CHECK(tg::equal(tg::isinf(a), tg::zeros<bool>({3})));
  CHECK(tg::equal(tg::isfinite(a), tg::ones<bool>({3})));
  CHECK_THROWS_WITH_AS(tg::round(a, 2),
                       "round: decimals is not supported for int64 tensors (only decimals=0 for integers, as PyTorch)",
                       tg::ValueError);
  CHECK_REF(tg::sign(kGolden.load<bool>("bx")), "sign.bool", kExact);
  CHECK(tg::isposinf(tg::tensor<float>({INFINITY, -INFINITY, 1.f})).to_vector() == std::vector<bool>{true, false, false});
  CHECK(tg::isneginf(tg::tensor<float>({INFINITY, -INFINITY, 1.f})).to_vector() == std::vector<bool>{false, true, false});
}

TEST_CASE_TEMPLATE("lerp/addcmul/addcdiv: match PyTorch", T, float, double) {
  const std::string t = "." + ftag<T>();
  const auto s = kGolden.load<T>("s" + t), e = kGolden.load<T>("e" + t), w = kGolden.load<T>("w" + t);
  const Tol tol = std::is_same_v<T, float> ? Tol{1e-6, 1e-7} : Tol{1e-14, 1e-15};
  CHECK_REF(tg::lerp(s, e, w), "lerp" + t, tol);
  CHECK_REF(tg::lerp(strided_copy(s), e, 0.7), "lerp_s" + t, tol);
  CHECK_REF(tg::addcmul(s, e, w, 0.3), "addcmul" + t, tol);
  CHECK_REF(tg::addcdiv(s, e, w + T(0.1), -1.7), "addcdiv" + t, tol);
  // weight 1 gives end exactly, weight 0 start exactly
  CHECK(tg::equal(tg::lerp(s, e, 1.0), e));
  CHECK(tg::equal(tg::lerp(s, e, 0.0), s));
}

TEST_CASE("addcmul: integers truncate value and keep their dtype, as PyTorch") {
  const auto a = tg::tensor<int64_t>({5, -5, 7});
  const auto z = tg::tensor<int64_t>({0, 1, 2});
  CHECK(tg::addcmul(a, a, z).to_vector() == std::vector<int64_t>{5, -10, 21});
  CHECK(tg::addcmul(a, a, z, 0.5).to_vector() == std::vector<int64_t>{5, -5, 7});
  CHECK_THROWS_AS(tg::lerp(tg::ones<float>({2}), tg::ones<float>({3}), 0.5), tg::ShapeError);
}

TEST_CASE("bitwise_and/or/xor/not and shifts: integer values match PyTorch") {
  const auto p = kGolden.load<int8_t>("p.i8"), q = kGolden.load<int8_t>("q.i8"), sh = kGolden.load<int8_t>("sh.i8");
  CHECK_REF(p & q, "and.i8", kExact);
  CHECK_REF(tg::bitwise_or(p, q), "or.i8", kExact);
  CHECK_REF(p ^ strided_copy(q), "xor.i8", kExact);
  CHECK_REF(~p, "not.i8", kExact);
  CHECK_REF(p.bitwise_not(), "not.i8", kExact);
  CHECK_REF(p << sh, "shl.i8", kExact);
  CHECK_REF(tg::bitwise_right_shift(p, sh), "shr.i8", kExact);
  const auto pu = kGolden.load<uint8_t>("p.u8");
  CHECK_REF(~pu, "not.u8", kExact);
  CHECK_REF(pu >> tg::clamp(sh.to<uint8_t>(), 0, 9), "shr.u8", kExact);
  CHECK_REF(pu << 3, "shl.u8", kExact);
  const auto pl = kGolden.load<int64_t>("p.i64");
  CHECK_REF(pl << tg::tensor<int64_t>({0, 1, 63, 2, 5, 0, 40, 3}), "shl.i64", kExact);
  // counts of the width or more, or negative: 0, or the sign fill for >>
  // (PyTorch 1.13's int64 kernel leaves them to the hardware; see README.md's differences from PyTorch)
  CHECK((tg::tensor<int64_t>({5, -5, 5}) << tg::tensor<int64_t>({64, 65, -1})).to_vector() == std::vector<int64_t>{0, 0, 0});
  CHECK((tg::tensor<int64_t>({5, -5, -5}) >> tg::tensor<int64_t>({64, 100, -1})).to_vector() == std::vector<int64_t>{0, -1, -1});
  CHECK_REF(pl >> 3, "shr.i64", kExact);
  CHECK_REF(pl & 0xff, "and_s.i64", kExact);
  CHECK_REF(pl ^ tg::tensor<bool>(true), "xor_bool.i64", kExact);
}

TEST_CASE("bitwise_and/or/xor/not: bool tensors are the logical ops") {
  const auto x = kGolden.load<bool>("bx"), y = kGolden.load<bool>("by");
  CHECK_REF(tg::bitwise_and(x, y), "and.bool", kExact);
  CHECK_REF(tg::bitwise_or(x, y), "or.bool", kExact);
  CHECK_REF(tg::bitwise_xor(x, y), "xor.bool", kExact);
  CHECK_REF(tg::bitwise_not(x), "not.bool", kExact);
  CHECK_REF(x ^ y, "xor.bool", kExact);
}

// ---- gradients -----------------------------------------------------------------------------------

TEST_CASE("remainder/fmod/copysign/div/lerp/addcdiv/nan_to_num/frac/round: gradients match PyTorch") {
  const auto ga = kGolden.load<double>("ga"), gb = kGolden.load<double>("gb"), w = kGolden.load<double>("gw");
  auto check = [&](const std::string& name, auto fn, std::vector<tg::Tensor<double>> ins) {
    for (auto& i : ins) i = requiring(i.clone().detach());
    (fn(ins) * w).sum().backward();
    // (addcdiv is composed of mul and div here: its gradient rounds differently)
    const Tol tol = name == "addcdiv" ? Tol{1e-15, 1e-15} : kExact;
    for (size_t k = 0; k < ins.size(); ++k) CHECK_REF(ins[k].grad(), "grad." + name + "." + std::to_string(k), tol);
  };
  using V = std::vector<tg::Tensor<double>>;
  check("remainder", [](const V& v) { return tg::remainder(v[0], v[1]); }, {ga, gb});
  check("fmod", [](const V& v) { return tg::fmod(v[0], v[1]); }, {ga, gb});
  check("copysign", [](const V& v) { return tg::copysign(v[0], v[1]); },
        {tg::tensor<double>({{0.0, -0.0, 2.0}, {-3.0, 1.0, 0.5}}), gb});
  check("div_floor", [](const V& v) { return tg::div(v[0], v[1], "floor"); }, {ga, gb});
  check("lerp", [](const V& v) { return tg::lerp(v[0], v[1], v[2]); },
        {ga, tg::tensor<double>({0.75, -1.5, 2.0}), tg::tensor<double>({0.25, 0.75, -0.5})});
  check("addcdiv", [](const V& v) { return tg::addcdiv(v[0], v[1], v[2], 0.5); },
        {ga, gb, tg::tensor<double>({0.75, -1.5, 2.0})});
  check("nan_to_num", [](const V& v) { return tg::nan_to_num(v[0]); },
        {tg::tensor<double>({{NAN, INFINITY, 1.0}, {-INFINITY, 2.0, -3.0}})});
  check("frac", [](const V& v) { return tg::frac(v[0]); }, {ga});
  check("round", [](const V& v) { return tg::round(v[0], 1); }, {ga});
}

TEST_CASE("floor_divide: backward throws, as PyTorch has no derivative for it") {
  auto a = requiring(tg::tensor<double>({1.5, -2.5}));
  auto q = tg::floor_divide(a, 2.0);
  CHECK(q.requires_grad());
  CHECK_THROWS_WITH_AS(q.sum().backward(),
                       "floor_divide: the derivative for floor_divide is not implemented (as PyTorch); use "
                       "div(a, b, \"floor\"), whose gradient is 0",
                       tg::ValueError);
}

TEST_CASE("remainder/fmod/copysign/lerp/addcmul/addcdiv/frac/nan_to_num: gradcheck incl. broadcast, "
          "non-contiguous, empty and 0-d inputs") {
  using V = std::vector<tg::Tensor<double>>;
  // away from the jumps of remainder/fmod (a / b not near an integer)
  const auto a = tg::tensor<double>({{-7.3, 2.2, 3.1}, {0.55, -1.15, 6.4}});
  const auto b = tg::tensor<double>({2.0, -1.5, 0.75});
  const auto bn = strided_copy(b);
  const auto c = tg::tensor<double>({{0.3}, {-1.7}});
  auto gc = [](auto f, V in) {
    for (auto& t : in) t.requires_grad_();
    const auto r = tg::gradcheck(f, in);
    CHECK_MESSAGE(r.ok, r.message);
  };
  gc([](const V& v) { return tg::remainder(v[0], v[1]); }, {a.clone(), bn.clone()});
  gc([](const V& v) { return tg::fmod(v[0], v[1]); }, {a.t().contiguous().t().clone(), b.clone()});
  gc([](const V& v) { return v[0] % 2.5; }, {tg::tensor<double>(3.3)});
  gc([](const V& v) { return tg::copysign(v[0], v[1]); }, {a.clone(), c.clone()});
  gc([](const V& v) { return tg::lerp(v[0], v[1], v[2]); }, {a.clone(), b.clone(), c.clone()});
  gc([](const V& v) { return tg::lerp(v[0], v[1], 0.3); }, {tg::tensor<double>(1.5), b.clone()});
  gc([](const V& v) { return tg::addcmul(v[0], v[1], v[2], -0.7); }, {b.clone(), a.clone(), c.clone()});
  gc([](const V& v) { return tg::addcdiv(v[0], v[1], v[2], 1.3); }, {c.clone(), a.clone(), bn.clone()});
  gc([](const V& v) { return tg::frac(v[0]); }, {a.clone()});
  gc([](const V& v) { return tg::nan_to_num(v[0]); }, {a.clone()});
  gc([](const V& v) { return tg::remainder(v[0], v[1]); }, {tg::zeros<double>({0, 3}), b.clone()});
  gc([](const V& v) { return tg::lerp(v[0], v[1], v[2]); }, {tg::zeros<double>({0}), b.narrow(0, 0, 0).clone(), tg::tensor<double>(0.5)});
  // rounding ops: the gradient is 0 (and defined) everywhere
  auto x = requiring(a.clone());
  (tg::floor(x) + tg::ceil(x) + tg::trunc(x) + tg::round(x) + tg::sign(x) + tg::div(x, b, "trunc")).sum().backward();
  CHECK(tg::equal(x.grad(), tg::zeros<double>({2, 3})));
}
