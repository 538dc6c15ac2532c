// Elementwise ops (unary math, pow, clamp, maximum/minimum, where,
// comparisons, logical ops, integer arithmetic, in-place forms) against
// tests/reference/elementwise.txt (PyTorch 1.13).
//
// Tolerances: ops whose result is one correctly rounded operation (abs, neg,
// relu, clamp, x*x, sqrt, +, -, *, /) must match PyTorch exactly. exp, log,
// log1p, tanh, sigmoid, rsqrt and pow go through libm or Eigen's SIMD
// polynomials on our side and Sleef on PyTorch's: the largest difference
// observed is 2 ulp (float32, tanh: 1.2e-7 relative; double: 1.9e-16), so
// float32 is held to rtol 1e-6 and float64 to rtol 1e-13, with atol 0 so that
// tiny results (exp(-30), denormals) are checked relatively too.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "support/reference.hpp"
#include "support/tensor_check.hpp"

namespace {

namespace tg = tapegrad;
using tapegrad_test::RefTensor;

const char* const kFile = "elementwise.txt";

using tapegrad_test::mismatch;
using tapegrad_test::reversed_layout;
using tapegrad_test::strided_copy;
using tapegrad_test::tag;
using Tol = tapegrad_test::Tol;

const RefTensor& rec(const std::string& name) { return tapegrad_test::ref(kFile, name); }

template <class T>
tg::Tensor<T> load(const std::string& name) {
  return tapegrad_test::load<T>(kFile, name);
}

// Signed zeros count here: abs(-0.) is +0. and neg(0.) is -0. in PyTorch.
constexpr Tol kExact{0, 0, true};
template <class T>
constexpr Tol kMath = std::is_same_v<T, float> ? Tol{1e-6, 0, true} : Tol{1e-13, 0, true};

#define CHECK_REF(got, record, tol)                                      \
  do {                                                                   \
    const std::string mm_ = mismatch((got), rec(record), (tol));         \
    CHECK_MESSAGE(mm_.empty(), (record), ": ", mm_);                     \
  } while (0)

template <class T>
struct Unary {
  std::string name;
  std::function<tg::Tensor<T>(const tg::Tensor<T>&)> fn;
  Tol tol;
};

// Every unary op of the reference file, with the arguments gen_reference.py used.
template <class T>
std::vector<Unary<T>> unary_ops() {
  using X = const tg::Tensor<T>&;
  return {
      {"exp", [](X x) { return tg::exp(x); }, kMath<T>},
      {"abs", [](X x) { return tg::abs(x); }, kExact},
      {"neg", [](X x) { return tg::neg(x); }, kExact},
      {"sigmoid", [](X x) { return tg::sigmoid(x); }, kMath<T>},
      {"tanh", [](X x) { return tg::tanh(x); }, kMath<T>},
      {"relu", [](X x) { return tg::relu(x); }, kExact},
      {"pow2", [](X x) { return tg::pow(x, 2); }, kExact},
      {"clamp", [](X x) { return tg::clamp(x, -0.5, 0.5); }, kExact},
      {"clamp_min", [](X x) { return tg::clamp_min(x, -0.5); }, kExact},
      {"clamp_max", [](X x) { return tg::clamp_max(x, 0.5); }, kExact},
      {"log", [](X x) { return tg::log(x); }, kMath<T>},
      {"sqrt", [](X x) { return tg::sqrt(x); }, kExact},
      {"rsqrt", [](X x) { return tg::rsqrt(x); }, kMath<T>},
      {"pow_half", [](X x) { return tg::pow(x, 0.5); }, kExact},
      {"log1p", [](X x) { return tg::log1p(x); }, kMath<T>},
  };
}

}  // namespace

// ---- unary math ---------------------------------------------------------------------------

TEST_CASE_TEMPLATE("exp/abs/neg/sigmoid/tanh/relu/pow/clamp/log/sqrt/rsqrt/log1p: match PyTorch", T,
                   float, double) {
  for (const auto& op : unary_ops<T>()) {
    const std::string base = op.name + "." + tag<T>();
    CAPTURE(base);
    auto a = load<T>(base + ".a");
    CHECK_REF(op.fn(a), base + ".out", op.tol);
    // the strided (scalar) loop must agree with the contiguous (SIMD) one
    CHECK_REF(op.fn(strided_copy(a)), base + ".out", op.tol);
    CHECK_REF(op.fn(reversed_layout(a)), base + ".out", op.tol);
    CHECK(a.to_vector() == load<T>(base + ".a").to_vector());  // input untouched
  }
}

TEST_CASE_TEMPLATE("unary ops: nan, +-inf, +-0, tiny and huge inputs match PyTorch, zero signs included",
                   T, float, double) {
  auto e = load<T>("edge." + tag<T>() + ".a");
  for (const auto& op : unary_ops<T>()) {
    const std::string out = op.name + ".edge." + tag<T>() + ".out";
    CHECK_REF(op.fn(e), out, op.tol);
    CHECK_REF(op.fn(strided_copy(e)), out, op.tol);
  }
}

TEST_CASE_TEMPLATE("sigmoid/tanh/exp: inputs from -100 to 100 match PyTorch (saturation, underflow)",
                   T, float, double) {
  auto a = load<T>("sigmoid_wide." + tag<T>() + ".a");
  for (const auto& x : {a, strided_copy(a)}) {
    CHECK_REF(tg::sigmoid(x), "sigmoid_wide." + tag<T>() + ".out", kMath<T>);
    CHECK_REF(tg::tanh(x), "tanh_wide." + tag<T>() + ".out", kMath<T>);
    CHECK_REF(tg::exp(x), "exp_wide." + tag<T>() + ".out", kMath<T>);
  }
}

TEST_CASE_TEMPLATE("exp/sigmoid: -inf anywhere in a row gives exactly 0 in every position", T, float,
                   double) {
  // Eigen's SIMD exp returns ~3e-39 for -inf; rows holding one use the scalar path.
  const T inf = std::numeric_limits<T>::infinity();
  for (int64_t n : {1, 3, 4, 8, 17}) {
    CAPTURE(n);
    for (int64_t at = 0; at < n; ++at) {
      auto x = tg::zeros<T>({n});
      x(at) = -inf;
      auto ex = tg::exp(x), sg = tg::sigmoid(x);
      for (int64_t i = 0; i < n; ++i) {
        CHECK(ex(i) == (i == at ? T(0) : T(1)));
        CHECK(sg(i) == (i == at ? T(0) : T(0.5)));
      }
    }
  }
  auto big = tg::full<T>({9}, T(-1000));
  CHECK(tg::exp(big).to_vector() == std::vector<T>(9, T(0)));
  CHECK(tg::sigmoid(big).to_vector() == std::vector<T>(9, T(0)));
  CHECK(tg::sigmoid(-big).to_vector() == std::vector<T>(9, T(1)));
}

TEST_CASE_TEMPLATE("unary methods: x.exp() etc. equal the free functions", T, float, double) {
  auto x = load<T>("exp." + tag<T>() + ".a");
  auto p = load<T>("log." + tag<T>() + ".a");
  CHECK(tg::equal(x.exp(), tg::exp(x)));
  CHECK(tg::equal(x.abs(), tg::abs(x)));
  CHECK(tg::equal(x.neg(), tg::neg(x)));
  CHECK(tg::equal(-x, tg::neg(x)));
  CHECK(tg::equal(x.sigmoid(), tg::sigmoid(x)));
  CHECK(tg::equal(x.tanh(), tg::tanh(x)));
  CHECK(tg::equal(x.relu(), tg::relu(x)));
  CHECK(tg::equal(x.clamp(-0.5, 0.5), tg::clamp(x, -0.5, 0.5)));
  CHECK(tg::equal(x.clamp_min(-0.5), tg::clamp_min(x, -0.5)));
  CHECK(tg::equal(x.clamp_max(0.5), tg::clamp_max(x, 0.5)));
  CHECK(tg::equal(x.pow(2), tg::pow(x, 2)));
  CHECK(tg::equal(p.log(), tg::log(p)));
  CHECK(tg::equal(p.log1p(), tg::log1p(p)));
  CHECK(tg::equal(p.sqrt(), tg::sqrt(p)));
  CHECK(tg::equal(p.rsqrt(), tg::rsqrt(p)));
  CHECK(tg::equal(p.pow(0.5), tg::pow(p, 0.5)));
}

TEST_CASE("unary ops: a size-0 or 0-d input keeps its shape") {
  CHECK(tg::exp(tg::zeros<float>({0, 3})).sizes() == tg::Shape{0, 3});
  CHECK(tg::abs(tg::zeros<double>({2, 0})).sizes() == tg::Shape{2, 0});
  auto s = tg::exp(tg::tensor<float>(0.0f));
  CHECK(s.dim() == 0);
  CHECK(s.item() == 1.0f);
}

// ---- pow ---------------------------------------------------------------------------------

TEST_CASE_TEMPLATE("pow: tensor ** tensor matches PyTorch (0^0, negative bases, 0^-1, 1^1e6)", T,
                   float, double) {
  const std::string base = "pow_tt." + tag<T>();
  auto a = load<T>(base + ".a"), b = load<T>(base + ".b");
  CHECK_REF(tg::pow(a, b), base + ".out", kMath<T>);
  CHECK_REF(a.pow(b), base + ".out", kMath<T>);
  CHECK_REF(tg::pow(strided_copy(a), reversed_layout(b)), base + ".out", kMath<T>);
}

TEST_CASE_TEMPLATE("pow: a scalar exponent equals the tensor exponent broadcast", T, float, double) {
  auto a = load<T>("pow_tt." + tag<T>() + ".a");
  for (double e : {3.0, -1.0, 0.0, 1.0, 2.5, -2.0}) {
    CAPTURE(e);
    auto want = tg::pow(a, tg::full<T>(a.sizes(), static_cast<T>(e)));
    CHECK(tg::allclose(tg::pow(a, e), want, 0, 0, /*equal_nan=*/true));
  }
  // 0.5 and -0.5 are sqrt and rsqrt, also at -0 and -inf (not std::pow's +0 and +inf)
  const T inf = std::numeric_limits<T>::infinity();
  auto z = tg::tensor<T>({T(-0.0), -inf, T(4)});
  auto h = tg::pow(z, 0.5), r = tg::pow(z, -0.5);
  CHECK(h(0) == 0);
  CHECK(std::signbit(h(0)));
  CHECK(std::isnan(h(1)));
  CHECK(h(2) == 2);
  CHECK(r(0) == -inf);
  CHECK(std::isnan(r(1)));
  CHECK(r(2) == T(0.5));
  static_assert(std::is_same_v<decltype(tg::pow(a, 2)), tg::Tensor<T>>);
  static_assert(std::is_same_v<decltype(tg::pow(a, 0.5)), tg::Tensor<T>>);
}

TEST_CASE("pow: integer tensors stay integer; negative exponents give 0 elementwise, a negative scalar is refused") {
  auto a = tg::tensor<int64_t>({2, -3, 0, 1, -1, 7});
  auto b = tg::tensor<int64_t>({10, 3, 0, 5, 3, 2});
  static_assert(std::is_same_v<decltype(tg::pow(a, b)), tg::Tensor<int64_t>>);
  CHECK(tg::pow(a, b).to_vector() == std::vector<int64_t>{1024, -27, 1, 1, -1, 49});
  CHECK(tg::pow(a, 3).to_vector() == std::vector<int64_t>{8, -27, 0, 1, -1, 343});
  // 1 and -1 are the bases with an integer result
  CHECK(tg::pow(tg::tensor<int64_t>({1, -1, -1}), tg::tensor<int64_t>({-4, -3, -2})).to_vector() ==
        std::vector<int64_t>{1, -1, 1});
  // other bases to a negative exponent tensor give 0, as PyTorch's integral pow
  CHECK(tg::pow(tg::tensor<int64_t>({2, -3, 0}), tg::tensor<int64_t>({-1, -1, -2})).to_vector() ==
        std::vector<int64_t>{0, 0, 0});
  // a negative scalar exponent is refused outright, as PyTorch, even for the bases 1 and -1
  CHECK_THROWS_WITH_AS(tg::pow(tg::tensor<int64_t>({1, -1}), -1),
                       "pow: integers to negative integer powers are not allowed (int64 tensor ** -1)",
                       tg::ValueError);
  // int32 powers wrap around like int32 multiplication
  CHECK(tg::pow(tg::tensor<int32_t>({3}), 21).item() ==
        static_cast<int32_t>(static_cast<uint32_t>(10460353203LL % 4294967296LL)));
}

// ---- clamp, maximum, minimum -------------------------------------------------------------------

TEST_CASE_TEMPLATE("clamp: NaN stays NaN, min > max gives max, bounds are optional", T, float, double) {
  const T nan = std::numeric_limits<T>::quiet_NaN();
  auto x = tg::tensor<T>({T(-2), T(0.25), T(3), nan});
  auto c = tg::clamp(x, 1.0, 0.0);  // PyTorch: every element becomes max
  CHECK(c(0) == 0);
  CHECK(c(1) == 0);
  CHECK(c(2) == 0);
  CHECK(std::isnan(c(3)));
  CHECK_THROWS_WITH_AS(tg::clamp(x, std::nullopt, std::nullopt),
                       "clamp: at least one of 'min' or 'max' must not be None", tg::ValueError);
  CHECK_THROWS_WITH_AS(x.clamp_(std::nullopt, std::nullopt),
                       "clamp_: at least one of 'min' or 'max' must not be None", tg::ValueError);
}

TEST_CASE("clamp: an integer tensor needs integer bounds and keeps its dtype") {
  auto x = tg::tensor<int32_t>({-5, 0, 5});
  static_assert(std::is_same_v<decltype(tg::clamp(x, -1.0, 1.0)), tg::Tensor<int32_t>>);
  CHECK(tg::clamp(x, -1.0, 1.0).to_vector() == std::vector<int32_t>{-1, 0, 1});
  CHECK(tg::clamp_min(x, 2.0).to_vector() == std::vector<int32_t>{2, 2, 5});
  CHECK_THROWS_WITH_AS(tg::clamp(x, 0.5, std::nullopt),
                       "clamp: bound 0.5 is not an integer for a int32 tensor; convert the tensor "
                       "with to<float>() first",
                       tg::ValueError);
}

TEST_CASE_TEMPLATE("maximum/minimum: match PyTorch, NaN in either operand wins", T, float, double) {
  for (const char* op : {"maximum", "minimum"}) {
    const std::string base = std::string(op) + "." + tag<T>();
    CAPTURE(base);
    auto a = load<T>(base + ".a"), b = load<T>(base + ".b");
    const bool is_max = std::string(op) == "maximum";
    CHECK_REF(is_max ? tg::maximum(a, b) : tg::minimum(a, b), base + ".out", kExact);
    CHECK_REF(is_max ? tg::maximum(b, a) : tg::minimum(b, a), base + ".out", kExact);
    CHECK_REF(is_max ? a.maximum(b) : a.minimum(b), base + ".out", kExact);
    CHECK_REF(is_max ? tg::maximum(strided_copy(a), b) : tg::minimum(a, strided_copy(b)), base + ".out",
              kExact);
  }
  // broadcasting: a row against a column
  auto row = tg::tensor<T>({T(1), T(5)}), col = tg::tensor<T>({{T(3)}, {T(0)}});
  CHECK(tg::maximum(row, col).to_vector() == std::vector<T>{3, 5, 1, 5});
  CHECK(tg::minimum(row, col).to_vector() == std::vector<T>{1, 3, 0, 0});
}

// ---- where ------------------------------------------------------------------------------------

TEST_CASE_TEMPLATE("where: tensor and scalar forms match PyTorch", T, float, double) {
  const std::string base = "where." + tag<T>();
  auto c = load<bool>(base + ".cond");
  auto a = load<T>(base + ".a"), b = load<T>(base + ".b");
  CHECK_REF(tg::where(c, a, b), base + ".out", kExact);
  CHECK_REF(tg::where(strided_copy(c), reversed_layout(a), strided_copy(b)), base + ".out", kExact);

  const std::vector<bool> cv = rec(base + ".cond").as<bool>();
  const std::vector<T> av = a.to_vector(), bv = b.to_vector();
  auto ws = tg::where(c, a, T(7));
  auto sw = tg::where(c, T(7), b);
  static_assert(std::is_same_v<decltype(ws), tg::Tensor<T>>);
  static_assert(std::is_same_v<decltype(tg::where(c, a, 7)), tg::Tensor<T>>);
  REQUIRE(ws.sizes() == a.sizes());
  const std::vector<T> wsv = ws.to_vector(), swv = sw.to_vector();
  for (size_t i = 0; i < cv.size(); ++i) {
    CHECK(wsv[i] == (cv[i] ? av[i] : T(7)));
    CHECK(swv[i] == (cv[i] ? T(7) : bv[i]));
  }
}

TEST_CASE("where: condition, a and b broadcast together; mixed dtypes promote") {
  auto cond = tg::tensor<bool>({{true}, {false}});          // [2, 1]
  auto a = tg::tensor<float>({1.0f, 2.0f, 3.0f});           // [3]
  auto b = tg::tensor<double>(-1.0);                        // []
  auto w = tg::where(cond, a, b);
  static_assert(std::is_same_v<decltype(w), tg::Tensor<double>>);
  CHECK(w.sizes() == tg::Shape{2, 3});
  CHECK(w.to_vector() == std::vector<double>{1, 2, 3, -1, -1, -1});
  CHECK_THROWS_WITH_AS(tg::where(tg::tensor<bool>({true, false}), a, b),
                       "where: shapes [2] and [3] are not broadcastable: dim 0 is 2 vs 3",
                       tg::ShapeError);
}

// ---- comparisons and logic ----------------------------------------------------------------------

TEST_CASE_TEMPLATE("eq/ne/lt/le/gt/ge: match PyTorch with NaN, signed zeros and infinities", T, float,
                   double) {
  using Cmp = std::function<tg::Tensor<bool>(const tg::Tensor<T>&, const tg::Tensor<T>&)>;
  struct C {
    const char* name;
    Cmp fn, op;
  };
  const C cmps[] = {
      {"eq", [](auto& a, auto& b) { return tg::eq(a, b); }, [](auto& a, auto& b) { return a == b; }},
      {"ne", [](auto& a, auto& b) { return tg::ne(a, b); }, [](auto& a, auto& b) { return a != b; }},
      {"lt", [](auto& a, auto& b) { return tg::lt(a, b); }, [](auto& a, auto& b) { return a < b; }},
      {"le", [](auto& a, auto& b) { return tg::le(a, b); }, [](auto& a, auto& b) { return a <= b; }},
      {"gt", [](auto& a, auto& b) { return tg::gt(a, b); }, [](auto& a, auto& b) { return a > b; }},
      {"ge", [](auto& a, auto& b) { return tg::ge(a, b); }, [](auto& a, auto& b) { return a >= b; }},
  };
  for (const C& c : cmps) {
    const std::string base = std::string(c.name) + "." + tag<T>();
    CAPTURE(base);
    auto a = load<T>(base + ".a"), b = load<T>(base + ".b");
    CHECK_REF(c.fn(a, b), base + ".out", kExact);
    CHECK_REF(c.op(a, b), base + ".out", kExact);
    CHECK_REF(c.op(strided_copy(a), reversed_layout(b)), base + ".out", kExact);
  }
}

TEST_CASE("comparisons: scalars and mixed dtypes compare in the promoted dtype") {
  auto x = tg::tensor<float>({-1.0f, 0.0f, 0.5f, 2.0f});
  CHECK((x > 0).to_vector() == std::vector<bool>{false, false, true, true});
  CHECK((0 >= x).to_vector() == std::vector<bool>{true, true, false, false});
  CHECK((x == 0.5).to_vector() == std::vector<bool>{false, false, true, false});
  auto i = tg::tensor<int32_t>({-1, 0, 1, 2});
  CHECK(tg::lt(i, x).to_vector() == std::vector<bool>{false, false, false, false});
  CHECK(tg::eq(i, x).to_vector() == std::vector<bool>{true, true, false, true});
  // int64 values above 2^24 compare exactly against each other
  auto big = tg::tensor<int64_t>({16777217});
  CHECK_FALSE((big == tg::tensor<int64_t>({16777216})).item());
}

TEST_CASE("logical_and/or/xor/not and & | ^ ~: match PyTorch on bool tensors") {
  struct L {
    const char* name;
    std::function<tg::Tensor<bool>(const tg::Tensor<bool>&, const tg::Tensor<bool>&)> fn, op;
  };
  const L ls[] = {
      {"logical_and", [](auto& a, auto& b) { return tg::logical_and(a, b); },
       [](auto& a, auto& b) { return a & b; }},
      {"logical_or", [](auto& a, auto& b) { return tg::logical_or(a, b); },
       [](auto& a, auto& b) { return a | b; }},
      {"logical_xor", [](auto& a, auto& b) { return tg::logical_xor(a, b); },
       [](auto& a, auto& b) { return a ^ b; }},
  };
  for (const L& l : ls) {
    const std::string base = l.name;
    CAPTURE(base);
    auto a = load<bool>(base + ".a"), b = load<bool>(base + ".b");
    CHECK_REF(l.fn(a, b), base + ".out", kExact);
    CHECK_REF(l.op(a, b), base + ".out", kExact);
    CHECK_REF(l.op(reversed_layout(a), strided_copy(b)), base + ".out", kExact);
  }
  auto a = load<bool>("logical_not.a");
  CHECK_REF(tg::logical_not(a), "logical_not.out", kExact);
  CHECK_REF(~a, "logical_not.out", kExact);
  CHECK_REF(a.logical_not(), "logical_not.out", kExact);
  CHECK_REF(~strided_copy(a), "logical_not.out", kExact);
  // bool * bool is logical and, bool + bool is logical or (as PyTorch)
  CHECK_REF(load<bool>("logical_and.a") * load<bool>("logical_and.b"), "logical_and.out", kExact);
  CHECK_REF(load<bool>("logical_or.a") + load<bool>("logical_or.b"), "logical_or.out", kExact);
}

TEST_CASE("logical_not/logical_and: on floats nonzero is true, NaN and -0 as PyTorch") {
  auto a = load<float>("logical_not.f32.a");
  CHECK_REF(tg::logical_not(a), "logical_not.f32.out", kExact);
  CHECK_REF(tg::logical_and(a, load<float>("logical_and.f32.b")), "logical_and.f32.out", kExact);
  CHECK_REF(tg::logical_and(strided_copy(a), load<float>("logical_and.f32.b")), "logical_and.f32.out",
            kExact);
}

// ---- arithmetic --------------------------------------------------------------------------------

TEST_CASE_TEMPLATE("add/sub/mul/div: floating values match PyTorch exactly", T, float, double) {
  const std::string base = "arith." + tag<T>();
  auto a = load<T>(base + ".a"), b = load<T>(base + ".b");
  CHECK_REF(a + b, base + ".add.out", kExact);
  CHECK_REF(a - b, base + ".sub.out", kExact);
  CHECK_REF(a * b, base + ".mul.out", kExact);
  CHECK_REF(a / b, base + ".div.out", kExact);
  CHECK_REF(strided_copy(a) / reversed_layout(b), base + ".div.out", kExact);
}

TEST_CASE("add/sub/mul/div: int32 values match PyTorch; true division gives float32") {
  auto a = load<int32_t>("int.i32.a"), b = load<int32_t>("int.i32.b");
  static_assert(std::is_same_v<decltype(a + b), tg::Tensor<int32_t>>);
  static_assert(std::is_same_v<decltype(a * b), tg::Tensor<int32_t>>);
  static_assert(std::is_same_v<decltype(a / b), tg::Tensor<float>>);
  static_assert(std::is_same_v<decltype(a / 2), tg::Tensor<float>>);
  static_assert(std::is_same_v<decltype(a + 2.5), tg::Tensor<float>>);
  static_assert(std::is_same_v<decltype(a + int64_t{2}), tg::Tensor<int32_t>>);
  CHECK_REF(a + b, "int.i32.add.out", kExact);
  CHECK_REF(a - b, "int.i32.sub.out", kExact);
  CHECK_REF(a * b, "int.i32.mul.out", kExact);
  CHECK_REF(a / b, "int.i32.div.out", kExact);
  CHECK_REF(strided_copy(a) * reversed_layout(b), "int.i32.mul.out", kExact);
}

TEST_CASE("div: integer division by zero gives inf, -inf and nan (true division)") {
  auto a = load<int32_t>("int_divzero.i32.a"), b = load<int32_t>("int_divzero.i32.b");
  CHECK_REF(a / b, "int_divzero.i32.div.out", kExact);
  CHECK_REF(tg::div(a, b), "int_divzero.i32.div.out", kExact);
}

TEST_CASE("add/sub/mul/neg/abs: int32 and int64 wrap around on overflow as PyTorch") {
  auto a = load<int32_t>("int_wrap.i32.a"), b = load<int32_t>("int_wrap.i32.b");
  CHECK_REF(a * b, "int_wrap.i32.mul.out", kExact);
  CHECK_REF(a + b, "int_wrap.i32.add.out", kExact);
  CHECK_REF(b * a, "int_wrap.i32.mul.out", kExact);
  CHECK_REF(strided_copy(a) + b, "int_wrap.i32.add.out", kExact);
  constexpr int32_t lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
  CHECK((tg::tensor<int32_t>({lo}) - 1).item() == hi);
  CHECK((tg::tensor<int32_t>({hi}) + 1).item() == lo);
  CHECK(tg::neg(tg::tensor<int32_t>({lo})).item() == lo);
  CHECK(tg::abs(tg::tensor<int32_t>({lo})).item() == lo);
  constexpr int64_t lo64 = std::numeric_limits<int64_t>::min(), hi64 = std::numeric_limits<int64_t>::max();
  CHECK((tg::tensor<int64_t>({hi64}) + tg::tensor<int64_t>({1})).item() == lo64);
  CHECK((tg::tensor<int64_t>({hi64}) * tg::tensor<int64_t>({2})).item() == -2);
  CHECK((-tg::tensor<int64_t>({lo64})).item() == lo64);
  // int16 * int16 must not overflow a promoted int either
  CHECK((tg::tensor<int16_t>({-32768}) * tg::tensor<int16_t>({-32768})).item() == 0);
  CHECK((tg::tensor<int16_t>({32767}) * tg::tensor<int16_t>({32767})).item() == 1);
}

TEST_CASE("abs/neg: int64 values match PyTorch") {
  auto a = load<int64_t>("abs.i64.a");
  static_assert(std::is_same_v<decltype(tg::abs(a)), tg::Tensor<int64_t>>);
  CHECK_REF(tg::abs(a), "abs.i64.out", kExact);
  CHECK_REF(tg::neg(load<int64_t>("neg.i64.a")), "neg.i64.out", kExact);
  CHECK_REF(-strided_copy(load<int64_t>("neg.i64.a")), "neg.i64.out", kExact);
}

TEST_CASE("exp/sqrt/sigmoid: integer and bool inputs compute in float32") {
  auto i = load<int64_t>("exp.i64.a");
  static_assert(std::is_same_v<decltype(tg::exp(i)), tg::Tensor<float>>);
  static_assert(std::is_same_v<decltype(i.exp()), tg::Tensor<float>>);
  CHECK_REF(tg::exp(i), "exp.i64.out", kMath<float>);
  auto s = load<int32_t>("sqrt.i32.a");
  static_assert(std::is_same_v<decltype(tg::sqrt(s)), tg::Tensor<float>>);
  CHECK_REF(tg::sqrt(s), "sqrt.i32.out", kExact);
  auto u = load<uint8_t>("sigmoid.u8.a");
  static_assert(std::is_same_v<decltype(tg::sigmoid(u)), tg::Tensor<float>>);
  CHECK_REF(tg::sigmoid(u), "sigmoid.u8.out", kMath<float>);
  auto b = load<bool>("exp.bool.a");
  static_assert(std::is_same_v<decltype(tg::exp(b)), tg::Tensor<float>>);
  CHECK_REF(tg::exp(b), "exp.bool.out", kMath<float>);
}

// ---- in place ----------------------------------------------------------------------------------

TEST_CASE_TEMPLATE("add_/sub_/mul_/div_ and += -= *= /=: equal the out-of-place ops", T, float, double) {
  const std::string base = "arith." + tag<T>();
  auto a = load<T>(base + ".a"), b = load<T>(base + ".b");
  {
    auto x = a.clone();
    CHECK(&x.add_(b) == &x);
    CHECK_REF(x, base + ".add.out", kExact);
  }
  {
    auto x = a.clone();
    x.sub_(b);
    CHECK_REF(x, base + ".sub.out", kExact);
  }
  {
    auto x = a.clone();
    x.mul_(b);
    CHECK_REF(x, base + ".mul.out", kExact);
  }
  {
    auto x = a.clone();
    x.div_(b);
    CHECK_REF(x, base + ".div.out", kExact);
  }
  {
    auto x = a.clone();
    CHECK(&(x += b) == &x);
    CHECK_REF(x, base + ".add.out", kExact);
    x = a.clone();
    x -= b;
    CHECK_REF(x, base + ".sub.out", kExact);
    x = a.clone();
    x *= b;
    CHECK_REF(x, base + ".mul.out", kExact);
    x = a.clone();
    x /= b;
    CHECK_REF(x, base + ".div.out", kExact);
  }
  // scalars
  auto x = a.clone();
  x.add_(2);
  CHECK(tg::equal(x, a + 2));
  x = a.clone();
  x -= 0.5;
  CHECK(tg::equal(x, a - 0.5));
  x = a.clone();
  x.mul_(3);
  CHECK(tg::equal(x, a * 3));
  x = a.clone();
  x /= 4.0f;
  CHECK(tg::equal(x, a / 4.0f));
  x = a.clone();
  x.div_(3);
  CHECK(tg::equal(x, a / 3));
}

TEST_CASE("add_/mul_: the source broadcasts to the destination's shape") {
  auto a = load<float>("arith.f32.a");  // [2, 5]
  auto row = tg::tensor<float>({1.0f, -2.0f, 0.5f, 4.0f, 0.0f});
  auto col = tg::tensor<float>({{10.0f}, {-1.0f}});
  auto x = a.clone();
  x.add_(row);
  CHECK(tg::equal(x, a + row));
  x = a.clone();
  x *= col;
  CHECK(tg::equal(x, a * col));
  x = a.clone();
  x.sub_(tg::tensor<float>(1.5f));
  CHECK(tg::equal(x, a - 1.5f));
}

TEST_CASE("add_/div_: dtype rules, int += int and float += int are fine") {
  auto i = tg::tensor<int32_t>({1, -2, 3});
  i += tg::tensor<int32_t>({10, 20, 30});
  CHECK(i.to_vector() == std::vector<int32_t>{11, 18, 33});
  i += 5;
  CHECK(i.to_vector() == std::vector<int32_t>{16, 23, 38});
  i.mul_(tg::tensor<int64_t>({2, 2, 2}));  // int64 result cast back to int32, as PyTorch
  CHECK(i.to_vector() == std::vector<int32_t>{32, 46, 76});
  i.add_(tg::tensor<bool>({true, false, true}));  // (sub_ with a bool operand does not compile, as PyTorch refuses it)
  CHECK(i.to_vector() == std::vector<int32_t>{33, 46, 77});
  auto f = tg::tensor<float>({1.0f, 2.0f});
  f += tg::tensor<int64_t>({3, 4});
  CHECK(f.to_vector() == std::vector<float>{4.0f, 6.0f});
  f /= tg::tensor<int32_t>({2, 4});
  CHECK(f.to_vector() == std::vector<float>{2.0f, 1.5f});
  f.add_(tg::tensor<double>({0.25, 0.5}));  // double result stored as float
  CHECK(f.to_vector() == std::vector<float>{2.25f, 2.0f});
  // int32 wrap-around in place too
  auto w = tg::tensor<int32_t>({std::numeric_limits<int32_t>::max()});
  w += 1;
  CHECK(w.item() == std::numeric_limits<int32_t>::min());
  // (int32 /= int32 and int += 0.5 are compile errors: a float result can't be cast to int)
}

TEST_CASE("add_: the destination must have the broadcast shape") {
  auto x = tg::zeros<float>({3});
  CHECK_THROWS_WITH_AS(x.add_(tg::ones<float>({2, 3})),
                       "add_: output with shape [3] doesn't match the broadcast shape [2, 3]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(x -= tg::ones<float>({2, 3}),
                       "sub_: output with shape [3] doesn't match the broadcast shape [2, 3]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(x.mul_(tg::ones<float>({4})),
                       "mul_: shapes [3] and [4] are not broadcastable: dim 0 is 3 vs 4", tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::zeros<float>({1, 3}).div_(tg::ones<float>({2, 1})),
                       "div_: output with shape [1, 3] doesn't match the broadcast shape [2, 3]",
                       tg::ShapeError);
  CHECK(x.to_vector() == std::vector<float>{0, 0, 0});  // untouched
}

TEST_CASE("add_: an expanded destination (one element written twice) is refused") {
  auto base = tg::zeros<float>({1, 3});
  auto e = base.expand({2, 3});
  CHECK_THROWS_WITH_AS(e.add_(1.0f),
                       "add_: unsupported operation: more than one element of the written-to tensor "
                       "refers to a single memory location (shape [2, 3], strides [0, 1]); call "
                       "clone() first",
                       tg::ValueError);
}

TEST_CASE("add_/mul_/clamp_/relu_: a non-contiguous destination is written through its strides") {
  auto a = load<float>("arith.f32.a"), b = load<float>("arith.f32.b");  // [2, 5]
  // a transposed view
  auto base = a.t().contiguous();  // [5, 2]
  auto view = base.t();            // [2, 5], non-contiguous, values of a
  REQUIRE_FALSE(view.is_contiguous());
  view.add_(b);
  CHECK_REF(view, "arith.f32.add.out", kExact);
  CHECK_REF(base.t().contiguous(), "arith.f32.add.out", kExact);
  // every other column of a wider buffer; the other columns stay 0
  auto wide = tg::zeros<float>({2, 10});
  auto cols = wide.slice(1, 0, std::nullopt, 2);
  cols.copy_(a);
  cols.mul_(b);
  CHECK_REF(cols, "arith.f32.mul.out", kExact);
  CHECK(tg::equal(wide.slice(1, 1, std::nullopt, 2), tg::zeros<float>({2, 5})));
  // clamp_ and relu_
  auto c = strided_copy(load<float>("clamp.f32.a"));
  c.clamp_(-0.5, 0.5);
  CHECK_REF(c, "clamp.f32.out", kExact);
  auto r = reversed_layout(load<float>("relu.f32.a"));
  r.relu_();
  CHECK_REF(r, "relu.f32.out", kExact);
}

TEST_CASE("add_/sub_: aliased operands give the out-of-place result") {
  auto a = load<float>("arith.f32.a");
  auto x = a.clone();
  x.add_(x);
  CHECK(tg::equal(x, a + a));
  x = a.clone();
  x.mul_(x);
  CHECK(tg::equal(x, a * a));
  // a square matrix plus its own transpose: elements are read after others were written
  auto m = tg::arange<float>(0, 16).view({4, 4}) * 1.5f - 3.0f;
  for (int k = 0; k < 2; ++k) {
    auto y = m.clone();
    auto want = k == 0 ? y + y.t() : y - y.t();
    if (k == 0) y.add_(y.t());
    else y -= y.t();
    CHECK(tg::equal(y, want));
  }
  // overlapping shifted views of one buffer: v[1:] += v[:-1]
  auto v = tg::arange<float>(1, 9);
  auto want = v.slice(0, 1) + v.slice(0, 0, 7);
  v.slice(0, 1).add_(v.slice(0, 0, 7));
  CHECK(tg::equal(v.slice(0, 1), want));
  CHECK(v(0) == 1.0f);
}

TEST_CASE("add_/sub_/mul_/div_/clamp_/relu_: each bumps the storage version, views share it") {
  auto x = tg::ones<float>({2, 3});
  auto view = x.t();
  const auto& st = x.storage();
  auto v0 = st->version();
  x.add_(tg::ones<float>({3}));
  CHECK(st->version() > v0);
  v0 = st->version();
  x -= 1;
  CHECK(st->version() > v0);
  v0 = st->version();
  x.mul_(2.0f);
  CHECK(st->version() > v0);
  v0 = st->version();
  x /= tg::full<float>({2, 3}, 2.0f);
  CHECK(st->version() > v0);
  v0 = st->version();
  view.clamp_(0.0, 1.0);
  CHECK(st->version() > v0);
  CHECK(view.storage()->version() == st->version());
  v0 = st->version();
  view.relu_();
  CHECK(st->version() > v0);
  // an out-of-place op leaves the version alone
  v0 = st->version();
  auto y = x + 1;
  CHECK(st->version() == v0);
  CHECK(y.storage()->version() == 0);
}

// ---- out variants (Note [Out variants]) ------------------------------------------------------

TEST_CASE_TEMPLATE("add_out/sub_out/mul_out/div_out: match PyTorch in a given out, whatever its layout", T,
                   float, double) {
  const std::string t = tag<T>();
  auto a = load<T>("arith." + t + ".a"), b = load<T>("arith." + t + ".b");  // [2, 5]
  using Fn = std::function<const tg::Tensor<T>&(const tg::Tensor<T>&, const tg::Tensor<T>&, const tg::Tensor<T>&)>;
  const std::vector<std::pair<std::string, Fn>> ops = {
      {"add", [](auto& o, auto& x, auto& y) -> const tg::Tensor<T>& { return tg::add_out(o, x, y); }},
      {"sub", [](auto& o, auto& x, auto& y) -> const tg::Tensor<T>& { return tg::sub_out(o, x, y); }},
      {"mul", [](auto& o, auto& x, auto& y) -> const tg::Tensor<T>& { return tg::mul_out(o, x, y); }},
      {"div", [](auto& o, auto& x, auto& y) -> const tg::Tensor<T>& { return tg::div_out(o, x, y); }}};
  for (const auto& [name, fn] : ops) {
    const std::string want = "arith." + t + "." + name + ".out";
    CAPTURE(want);
    auto out = tg::full<T>({2, 5}, T(7));
    const auto* data = out.data_ptr();
    const tg::Tensor<T>& ret = fn(out, a, b);
    CHECK(&ret == &out);
    CHECK(out.data_ptr() == data);  // written in place, not replaced
    CHECK_REF(out, want, kExact);
    // strided operands and a transposed out
    auto base = tg::zeros<T>({5, 2});
    auto tout = base.t();
    REQUIRE_FALSE(tout.is_contiguous());
    fn(tout, strided_copy(a), reversed_layout(b));
    CHECK_REF(tout, want, kExact);
    CHECK_REF(base.t().contiguous(), want, kExact);
  }
}

TEST_CASE("add_out: broadcasts like add, converts to out's dtype, resizes only an empty out") {
  auto col = tg::tensor<float>({{1}, {2}}), row = tg::tensor<float>({10, 20, 30});
  auto out = tg::empty<float>({2, 3});
  tg::add_out(out, col, row);
  CHECK(tg::equal(out, col + row));
  // int64 + int64 into a float64 out: computed in int64, then converted (as PyTorch)
  auto d = tg::zeros<double>({3});
  tg::mul_out(d, tg::tensor<int64_t>({3, -4, 5}), tg::tensor<int64_t>({2, 2, 2}));
  CHECK(d.to_vector() == std::vector<double>{6, -8, 10});
  // integer true division into a float out
  auto q = tg::zeros<float>({2});
  tg::div_out(q, tg::tensor<int64_t>({1, 7}), tg::tensor<int64_t>({2, 2}));
  CHECK(q.to_vector() == std::vector<float>{0.5f, 3.5f});
  // an out with no elements takes the result's shape
  auto e = tg::empty<float>({0});
  tg::sub_out(e, col, row);
  CHECK(e.sizes() == tg::Shape{2, 3});
  CHECK(tg::equal(e, col - row));
  // any other shape is refused, and out is left as it was
  auto wrong = tg::zeros<float>({3});
  CHECK_THROWS_WITH_AS(tg::add_out(wrong, col, row),
                       "add_out: out has shape [3] but the result has shape [2, 3] (only an out with no "
                       "elements is resized)",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::add_out(wrong, tg::ones<float>({2}), row),
                       "add_out: shapes [2] and [3] are not broadcastable: dim 0 is 2 vs 3", tg::ShapeError);
  CHECK(wrong.to_vector() == std::vector<float>{0, 0, 0});
  CHECK_THROWS_WITH_AS(tg::exp_out(tg::Tensor<float>(), row), "exp_out: out is an undefined tensor",
                       tg::ValueError);
  auto expanded = tg::zeros<float>({1, 3}).expand({2, 3});
  CHECK_THROWS_WITH_AS(tg::add_out(expanded, col, row),
                       "add_out: unsupported operation: more than one element of the written-to tensor "
                       "refers to a single memory location (shape [2, 3], strides [0, 1]); call clone() first",
                       tg::ValueError);
  // (add_out of a float result into an int64 out does not compile: tests/compile_fail/add_out_int_float.cpp)
}

TEST_CASE_TEMPLATE("exp_out/log_out/sqrt_out/sigmoid_out/tanh_out/abs_out/neg_out: match PyTorch", T, float,
                   double) {
  using Fn = std::function<void(const tg::Tensor<T>&, const tg::Tensor<T>&)>;
  const std::vector<std::tuple<std::string, Fn, Tol>> ops = {
      {"exp", [](auto& o, auto& x) { tg::exp_out(o, x); }, kMath<T>},
      {"log", [](auto& o, auto& x) { tg::log_out(o, x); }, kMath<T>},
      {"sqrt", [](auto& o, auto& x) { tg::sqrt_out(o, x); }, kExact},
      {"sigmoid", [](auto& o, auto& x) { tg::sigmoid_out(o, x); }, kMath<T>},
      {"tanh", [](auto& o, auto& x) { tg::tanh_out(o, x); }, kMath<T>},
      {"abs", [](auto& o, auto& x) { tg::abs_out(o, x); }, kExact},
      {"neg", [](auto& o, auto& x) { tg::neg_out(o, x); }, kExact}};
  for (const auto& [name, fn, tol] : ops) {
    const std::string base = name + "." + tag<T>();
    CAPTURE(base);
    auto a = load<T>(base + ".a");
    auto out = tg::empty_like(a);
    fn(out, a);
    CHECK_REF(out, base + ".out", tol);
    auto strided = strided_copy(tg::zeros_like(a));
    fn(strided, reversed_layout(a));
    CHECK_REF(strided, base + ".out", tol);
    // out may be the input itself
    auto x = a.clone();
    fn(x, x);
    CHECK_REF(x, base + ".out", tol);
  }
}

TEST_CASE("add_out/exp_out: out overlapping an input in another layout gives the out-of-place result") {
  auto m = tg::arange<float>(0, 16).view({4, 4}) * 1.5f - 3.0f;
  auto y = m.clone();
  tg::add_out(y, y, y.t());
  CHECK(tg::equal(y, m + m.t()));
  // out = v[1:], input = v[:-1]: shifted views of one buffer
  auto v = tg::arange<float>(1, 9);
  auto want = tg::neg(v.slice(0, 0, 7));
  tg::neg_out(v.slice(0, 1), v.slice(0, 0, 7));
  CHECK(tg::equal(v.slice(0, 1), want));
  CHECK(v(0) == 1.0f);
}

TEST_CASE("add_out/add_: contiguous operands of one shape (the fast path) alias, overlap and thread correctly") {
  // Note [Contiguous fast path]: out may be an input exactly; an out shifted
  // within an input's storage must still give the out-of-place result.
  auto x = tg::arange<float>(1, 9), y = tg::arange<float>(0, 8) * 0.5f;
  const auto x0 = x.clone(), y0 = y.clone();
  tg::add_out(x, x, y);
  CHECK(tg::equal(x, x0 + y0));
  tg::mul_out(y, x0, y);
  CHECK(tg::equal(y, x0 * y0));
  auto z = x0.clone();
  tg::sub_out(z, z, z);
  CHECK(tg::equal(z, tg::zeros<float>({8})));
  for (int which = 0; which < 2; ++which) {
    CAPTURE(which);
    auto v = tg::arange<float>(1, 9);
    auto ones = tg::ones<float>({7});
    auto src = v.slice(0, 0, 7), dst = v.slice(0, 1);
    REQUIRE(src.is_contiguous());
    REQUIRE(dst.is_contiguous());
    auto want = which == 0 ? src - ones * 2.0f : ones * 2.0f - src;
    if (which == 0) tg::sub_out(dst, src, ones * 2.0f);
    else tg::sub_out(dst, ones * 2.0f, src);
    CHECK(tg::equal(dst, want));
    CHECK(v(0) == 1.0f);
    // the same overlap in place: v[:-1] -= v[1:]
    auto w = tg::arange<float>(1, 9);
    auto want_ip = w.slice(0, 0, 7) - w.slice(0, 1);
    w.slice(0, 0, 7).sub_(w.slice(0, 1));
    CHECK(tg::equal(w.slice(0, 0, 7), want_ip));
    CHECK(w(7) == 8.0f);
  }
  // an undefined operand is an error, not a crash
  auto out = tg::zeros<float>({8});
  CHECK_THROWS_AS(tg::add_out(out, tg::Tensor<float>(), y0), tg::ValueError);
  CHECK_THROWS_AS(tg::add_out(out, x0, tg::Tensor<float>()), tg::ValueError);
  CHECK_THROWS_AS(out.add_(tg::Tensor<float>()), tg::ValueError);
  // long enough to be split over threads (Note [Parallel elementwise]); each element checked
  const int64_t n = 70001;
  const int threads = tg::get_num_threads();
  tg::set_num_threads(3);
  auto a = tg::arange<float>(0, n), b = tg::arange<float>(0, n) * 2.0f, c = tg::empty<float>({n});
  tg::add_out(c, a, b);
  a.mul_(b);
  tg::set_num_threads(threads);
  int64_t bad = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float fi = static_cast<float>(i);
    bad += c.data_ptr()[i] != fi + 2.0f * fi;
    bad += a.data_ptr()[i] != fi * (2.0f * fi);
  }
  CHECK(bad == 0);
}

TEST_CASE("add_out: not differentiable; bumps out's version") {
  auto w = tg::ones<float>({3}).requires_grad_();
  auto out = tg::zeros<float>({3});
  const char* msg =
      "add_out: functions with out=... arguments don't support automatic differentiation, but one of the "
      "arguments requires grad";
  CHECK_THROWS_WITH_AS(tg::add_out(out, w, tg::ones<float>({3})), msg, tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::add_out(w, out, out), msg, tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::exp_out(out, w),
                       "exp_out: functions with out=... arguments don't support automatic differentiation, "
                       "but one of the arguments requires grad",
                       tg::ValueError);
  CHECK(out.to_vector() == std::vector<float>{0, 0, 0});
  {
    tg::NoGradGuard guard;  // the parameter-update idiom: allowed without grad mode
    const auto v0 = out.storage()->version();
    tg::add_out(out, w, w);
    CHECK(out.to_vector() == std::vector<float>{2, 2, 2});
    CHECK(out.storage()->version() > v0);
    CHECK_FALSE(out.requires_grad());
  }
}
