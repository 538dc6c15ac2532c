// isclose / allclose / equal against tests/reference/isclose.txt (PyTorch 1.13).
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "support/reference.hpp"
#include "support/tensor_check.hpp"

namespace {

namespace tg = tapegrad;
using tapegrad_test::RefTensor;
using tapegrad_test::shape_of;

const char* const kFile = "isclose.txt";

const RefTensor& rec(const std::string& name) { return tapegrad_test::ref(kFile, name); }

template <class T>
tg::Tensor<T> load(const std::string& name) {
  const RefTensor& r = rec(name);
  return tg::from_vector(r.as<T>(), shape_of(r));
}

// Empty when the bool tensor has exactly the reference's shape and values.
std::string mismatch(const tg::Tensor<bool>& got, const RefTensor& want) {
  std::ostringstream os;
  if (!(got.sizes() == shape_of(want))) {
    os << "shape " << got.sizes() << " != " << shape_of(want);
    return os.str();
  }
  const std::vector<bool> g = got.to_vector();
  for (size_t i = 0; i < g.size(); ++i)
    if (static_cast<int64_t>(g[i]) != want.ints[i]) os << "[" << i << "] got " << g[i] << "; ";
  return os.str();
}

#define CHECK_REF(got, record)                            \
  do {                                                    \
    const std::string mm_ = mismatch((got), rec(record)); \
    CHECK_MESSAGE(mm_.empty(), (record), ": ", mm_);      \
  } while (0)

// The variants of the reference file: name, rtol, atol, equal_nan.
struct Variant {
  const char* name;
  double rtol, atol;
  bool equal_nan;
};
const Variant kVariants[] = {
    {"default", 1e-5, 1e-8, false}, {"equal_nan", 1e-5, 1e-8, true}, {"r1e-3_a0", 1e-3, 0.0, false},
    {"r0_a1e-2", 0.0, 1e-2, false}, {"exact", 0.0, 0.0, false},
};

template <class T>
void check_case(const std::string& c) {
  CAPTURE(c);
  auto a = load<T>(c + ".a"), b = load<T>(c + ".b");
  // the same values, non-contiguous
  auto at = a.t().contiguous().t();
  for (const Variant& v : kVariants) {
    CAPTURE(v.name);
    const std::string is = "isclose." + c + "." + v.name + ".out";
    const std::string all = "allclose." + c + "." + v.name + ".out";
    CHECK_REF(tg::isclose(a, b, v.rtol, v.atol, v.equal_nan), is);
    CHECK_REF(tg::isclose(at, b, v.rtol, v.atol, v.equal_nan), is);
    CHECK(tg::allclose(a, b, v.rtol, v.atol, v.equal_nan) == (rec(all).ints.at(0) == 1));
    if (std::string(v.name) == "default") {  // the defaults are PyTorch's
      CHECK_REF(tg::isclose(a, b), is);
      CHECK(tg::allclose(a, b) == (rec(all).ints.at(0) == 1));
    }
  }
}

}  // namespace

TEST_CASE("isclose/allclose: default and custom rtol/atol, equal_nan and inf match PyTorch") {
  check_case<float>("mixed.f32");
  check_case<double>("mixed.f64");
  check_case<double>("close.f64");
  check_case<float>("close.f32");
  check_case<float>("close_nonan.f32");
  check_case<double>("asym.f64");
  check_case<int64_t>("int.i64");
}

TEST_CASE("isclose: is asymmetric, b is the reference (|a - b| <= atol + rtol * |b|)") {
  auto a = load<double>("asym.f64.a"), b = load<double>("asym.f64.b");
  CHECK_REF(tg::isclose(a, b, 0.1, 0.0), "isclose.asym.f64.r0.1_a0.out");
  // swapping the operands swaps the answers
  auto swapped = tg::isclose(b, a, 0.1, 0.0);
  CHECK(swapped.to_vector() == std::vector<bool>{false, true});
}

TEST_CASE("isclose/allclose: broadcast their operands") {
  auto a = load<float>("bcast.a"), b = load<float>("bcast.b");
  CHECK_REF(tg::isclose(a, b), "isclose.bcast.default.out");
  CHECK_FALSE(tg::allclose(a, b));
  CHECK(tg::allclose(tg::full<float>({2, 3}, 2.0f), tg::tensor<float>(2.0f)));
  CHECK_THROWS_WITH_AS(tg::isclose(tg::zeros<float>({2}), tg::zeros<float>({3})),
                       "isclose: shapes [2] and [3] are not broadcastable: dim 0 is 2 vs 3", tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::allclose(tg::zeros<float>({2, 3}), tg::zeros<float>({3, 2})),
                       "isclose: shapes [2, 3] and [3, 2] are not broadcastable: dim 1 is 3 vs 2", tg::ShapeError);
}

TEST_CASE("isclose: infinities are close only to themselves, at any tolerance") {
  const double inf = std::numeric_limits<double>::infinity();
  auto a = tg::tensor<double>({inf, inf, -inf, 1e308});
  auto b = tg::tensor<double>({inf, -inf, -inf, inf});
  CHECK(tg::isclose(a, b, 1.0, 1e300).to_vector() == std::vector<bool>{true, false, true, false});
  CHECK(tg::isclose(a, b, 0.0, 0.0).to_vector() == std::vector<bool>{true, false, true, false});
}

TEST_CASE("isclose: rejects negative tolerances") {
  auto x = tg::zeros<float>({2});
  CHECK_THROWS_WITH_AS(tg::isclose(x, x, -1.0), "isclose: rtol and atol must be non-negative, got rtol=-1 atol=1e-08",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::allclose(x, x, 1e-5, -0.5),
                       "isclose: rtol and atol must be non-negative, got rtol=1e-05 atol=-0.5", tg::ValueError);
}

TEST_CASE("isclose/allclose: empty tensors are all close") {
  auto e = tg::zeros<float>({0, 3});
  CHECK(tg::isclose(e, e).sizes() == tg::Shape{0, 3});
  CHECK(tg::allclose(e, e));
  CHECK(tg::allclose(e, tg::ones<float>({3})));  // broadcast to [0, 3]
}

TEST_CASE("equal: same shape and exactly the same values; NaN is never equal") {
  auto a = tg::tensor<float>({{1.0f, 2.0f}, {3.0f, 4.0f}});
  CHECK(tg::equal(a, a.clone()));
  CHECK(tg::equal(a, a.t().contiguous().t()));  // layout does not matter
  CHECK_FALSE(tg::equal(a, a.t()));
  CHECK_FALSE(tg::equal(a, a + 1e-6f));
  // a different shape is not equal, even when it broadcasts or has the same numel
  CHECK_FALSE(tg::equal(a, a.view({4})));
  CHECK_FALSE(tg::equal(tg::ones<float>({2, 2}), tg::ones<float>({2})));
  CHECK_FALSE(tg::equal(tg::ones<float>({1, 2}), tg::ones<float>({2})));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto n = tg::tensor<float>({1.0f, nan});
  CHECK_FALSE(tg::equal(n, n));
  CHECK(tg::equal(tg::zeros<float>({0}), tg::zeros<float>({0})));
  CHECK_FALSE(tg::equal(tg::zeros<float>({0}), tg::zeros<float>({0, 1})));
  // -0 equals 0; mixed dtypes compare by value
  CHECK(tg::equal(tg::tensor<float>({-0.0f}), tg::tensor<float>({0.0f})));
  CHECK(tg::equal(tg::tensor<int32_t>({1, 2}), tg::tensor<double>({1.0, 2.0})));
  CHECK_FALSE(tg::equal(tg::tensor<int32_t>({1, 2}), tg::tensor<double>({1.0, 2.5})));
}
