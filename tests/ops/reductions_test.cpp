// Reductions (sum, mean, prod, max/min, argmax/argmin, var/std, logsumexp,
// softmax/log_softmax) against tests/reference/reductions.txt (PyTorch 1.13).
//
// Tolerances: our summation order differs from PyTorch's (Eigen's tree sum,
// row-wise accumulation), so float32 results are held to rtol 1e-6 and atol
// 1e-6 (the inputs are O(1), sums of up to 60 of them; the largest difference
// seen is 2.2e-7 relative, in the float32 sum of all 60), float64 to 1e-12.
// Indices, integer sums, NaN positions and infinities are exact.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cmath>
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

const char* const kFile = "reductions.txt";

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

constexpr Tol kExact{};
template <class T>
constexpr Tol kTol = std::is_same_v<T, float> ? Tol{1e-6, 1e-6} : Tol{1e-12, 1e-12};

#define CHECK_REF(got, record, tol)                              \
  do {                                                           \
    const std::string mm_ = mismatch((got), rec(record), (tol)); \
    CHECK_MESSAGE(mm_.empty(), (record), ": ", mm_);             \
  } while (0)

// Close (kTol) to `want`, which we computed ourselves on a contiguous copy.
template <class T>
bool close_to(const tg::Tensor<T>& got, const tg::Tensor<T>& want) {
  if (!(got.sizes() == want.sizes())) return false;
  return tg::allclose(got, want, kTol<T>.rtol, kTol<T>.atol, /*equal_nan=*/true);
}

// The [3, 4, 5] input as stored, plus two non-contiguous tensors with the same values.
template <class T>
std::vector<tg::Tensor<T>> layouts_of_x() {
  auto x = load<T>("x." + tag<T>());
  return {x, strided_copy(x), reversed_layout(x)};
}

}  // namespace

// ---- sum / mean / prod ------------------------------------------------------------------------

TEST_CASE_TEMPLATE("sum/mean/prod: all elements and the listed dims match PyTorch", T, float, double) {
  const std::string t = "." + tag<T>() + ".out";
  for (const auto& x : layouts_of_x<T>()) {
    CAPTURE(tg::to_string(x.strides()));
    CHECK_REF(tg::sum(x), "sum_all" + t, kTol<T>);
    CHECK_REF(x.sum(), "sum_all" + t, kTol<T>);
    CHECK_REF(tg::sum(x, 0), "sum_d0" + t, kTol<T>);
    CHECK_REF(tg::sum(x, -3), "sum_d0" + t, kTol<T>);
    CHECK_REF(x.sum(1, true), "sum_d1_keep" + t, kTol<T>);
    CHECK_REF(tg::sum(x, tg::Shape{0, 2}), "sum_d02" + t, kTol<T>);
    CHECK_REF(tg::sum(x, tg::Shape{2, 0}), "sum_d02" + t, kTol<T>);
    CHECK_REF(tg::sum(x, tg::Shape{-1, -3}), "sum_d02" + t, kTol<T>);
    CHECK_REF(tg::mean(x), "mean_all" + t, kTol<T>);
    CHECK_REF(x.mean(), "mean_all" + t, kTol<T>);
    CHECK_REF(tg::mean(x, -1), "mean_dm1" + t, kTol<T>);
    CHECK_REF(x.mean(2), "mean_dm1" + t, kTol<T>);
    CHECK_REF(tg::prod(x, 1), "prod_d1" + t, kTol<T>);
    CHECK_REF(x.prod(-2), "prod_d1" + t, kTol<T>);
  }
  auto x = load<T>("x." + tag<T>());
  static_assert(std::is_same_v<decltype(tg::sum(x)), tg::Tensor<T>>);
  static_assert(std::is_same_v<decltype(tg::mean(x, 0)), tg::Tensor<T>>);
  static_assert(std::is_same_v<decltype(tg::prod(x)), tg::Tensor<T>>);
}

TEST_CASE_TEMPLATE("sum/mean/prod: keepdim keeps the reduced dims as size 1", T, float, double) {
  auto x = load<T>("x." + tag<T>());
  CHECK(tg::sum(x, 1, true).sizes() == tg::Shape{3, 1, 5});
  CHECK(tg::sum(x, tg::Shape{0, 2}, true).sizes() == tg::Shape{1, 4, 1});
  CHECK(tg::sum(x, tg::Shape{}, true).sizes() == tg::Shape{1, 1, 1});
  CHECK(tg::mean(x, -1, true).sizes() == tg::Shape{3, 4, 1});
  CHECK(tg::prod(x, 0, true).sizes() == tg::Shape{1, 4, 5});
  CHECK(tg::max(x, 2, true).values.sizes() == tg::Shape{3, 4, 1});
  CHECK(tg::max(x, 2, true).indices.sizes() == tg::Shape{3, 4, 1});
  CHECK(tg::var(x, 1, 1, true).sizes() == tg::Shape{3, 1, 5});
  CHECK(tg::logsumexp(x, 0, true).sizes() == tg::Shape{1, 4, 5});
  // keepdim values are the plain values with the dim put back
  CHECK(tg::equal(tg::sum(x, 1, true).squeeze(1), tg::sum(x, 1)));
  CHECK(tg::equal(tg::mean(x, -1, true).squeeze(-1), tg::mean(x, -1)));
  CHECK(tg::equal(tg::prod(x, 0, true).squeeze(0), tg::prod(x, 0)));
  CHECK(tg::equal(tg::argmin(x, 0, true).squeeze(0), tg::argmin(x, 0)));
}

TEST_CASE("sum/prod/max: integer and bool tensors sum and multiply in int64") {
  auto i = load<int32_t>("sum_int32.a");
  static_assert(std::is_same_v<decltype(tg::sum(i)), tg::Tensor<int64_t>>);
  static_assert(std::is_same_v<decltype(i.sum(1)), tg::Tensor<int64_t>>);
  static_assert(std::is_same_v<decltype(tg::prod(i, 1)), tg::Tensor<int64_t>>);
  static_assert(std::is_same_v<decltype(tg::max(i, 1).values), tg::Tensor<int32_t>>);
  CHECK_REF(tg::sum(i), "sum_int32.out", kExact);
  CHECK_REF(tg::sum(i, 1), "sum_int32_d1.out", kExact);
  CHECK_REF(tg::sum(reversed_layout(i), 1), "sum_int32_d1.out", kExact);
  CHECK_REF(tg::prod(i, 1), "prod_int32_d1.out", kExact);
  CHECK_REF(tg::max(i, 1).values, "max_int32_d1.values", kExact);
  CHECK_REF(tg::max(i, 1).indices, "max_int32_d1.indices", kExact);

  auto b = load<bool>("sum_bool.a");
  static_assert(std::is_same_v<decltype(tg::sum(b)), tg::Tensor<int64_t>>);
  CHECK_REF(tg::sum(b), "sum_bool.out", kExact);
  CHECK_REF(tg::sum(b, 0), "sum_bool_d0.out", kExact);

  auto u = load<uint8_t>("sum_uint8.a");  // 200 + 100 + 50 does not wrap at 256
  static_assert(std::is_same_v<decltype(tg::sum(u)), tg::Tensor<int64_t>>);
  CHECK_REF(tg::sum(u), "sum_uint8.out", kExact);
  // (mean of an integer tensor does not compile, where PyTorch raises:)
  CHECK(rec("mean_int32.error").text.find("mean(): could not infer output dtype") != std::string::npos);
}

// ---- max / min / argmax / argmin ------------------------------------------------------------------

TEST_CASE_TEMPLATE("max/min/argmax/argmin: values and indices match PyTorch", T, float, double) {
  const std::string t = "." + tag<T>();
  for (const auto& x : layouts_of_x<T>()) {
    CAPTURE(tg::to_string(x.strides()));
    CHECK_REF(tg::max(x), "max_all" + t + ".out", kExact);
    CHECK_REF(x.min(), "min_all" + t + ".out", kExact);
    auto [v1, i1] = tg::max(x, 1);
    CHECK_REF(v1, "max_d1" + t + ".values", kExact);
    CHECK_REF(i1, "max_d1" + t + ".indices", kExact);
    auto [v2, i2] = x.min(-1);
    CHECK_REF(v2, "min_d2" + t + ".values", kExact);
    CHECK_REF(i2, "min_d2" + t + ".indices", kExact);
    CHECK_REF(tg::argmax(x), "argmax_all" + t + ".out", kExact);
    CHECK_REF(x.argmax(1), "argmax_d1" + t + ".out", kExact);
    CHECK_REF(tg::argmin(x, 0, true), "argmin_d0_keep" + t + ".out", kExact);
    CHECK_REF(x.argmin(-3, true), "argmin_d0_keep" + t + ".out", kExact);
  }
}

TEST_CASE_TEMPLATE("max/min/argmax/argmin: ties give the first index", T, float, double) {
  const std::string t = "." + tag<T>();
  auto x = load<T>("ties" + t + ".a");
  for (const auto& y : {x, strided_copy(x), reversed_layout(x)}) {
    CHECK_REF(tg::max(y, 1).values, "max_ties_d1" + t + ".values", kExact);
    CHECK_REF(tg::max(y, 1).indices, "max_ties_d1" + t + ".indices", kExact);
    CHECK_REF(tg::min(y, 1).values, "min_ties_d1" + t + ".values", kExact);
    CHECK_REF(tg::min(y, 1).indices, "min_ties_d1" + t + ".indices", kExact);
    CHECK_REF(tg::argmax(y, 1), "argmax_ties_d1" + t + ".out", kExact);
    CHECK_REF(tg::argmin(y, 1), "argmin_ties_d1" + t + ".out", kExact);
    CHECK_REF(tg::argmax(y), "argmax_ties_all" + t + ".out", kExact);
    CHECK_REF(tg::argmin(y), "argmin_ties_all" + t + ".out", kExact);
    CHECK_REF(tg::max(y, 0).values, "max_ties_d0" + t + ".values", kExact);
    CHECK_REF(tg::max(y, 0).indices, "max_ties_d0" + t + ".indices", kExact);
  }
}

TEST_CASE_TEMPLATE("sum/max/argmax/argmin: NaN propagates and is the extreme (first NaN's index)", T,
                   float, double) {
  const std::string t = "." + tag<T>();
  auto x = load<T>("nan" + t + ".a");
  for (const auto& y : {x, strided_copy(x), reversed_layout(x)}) {
    CHECK_REF(tg::sum(y, 1), "nan_sum_d1" + t + ".out", kExact);
    CHECK_REF(tg::max(y), "nan_max_all" + t + ".out", kExact);
    CHECK_REF(tg::max(y, 1).values, "nan_max_d1" + t + ".values", kExact);
    CHECK_REF(tg::max(y, 1).indices, "nan_max_d1" + t + ".indices", kExact);
    CHECK_REF(tg::argmax(y, 1), "nan_argmax_d1" + t + ".out", kExact);
    CHECK_REF(tg::argmin(y, 1), "nan_argmin_d1" + t + ".out", kExact);
  }
  CHECK(std::isnan(tg::min(x).item()));
  CHECK(tg::argmax(x).item() == 1);  // the first NaN in row-major order
  CHECK(tg::argmin(x).item() == 1);
}

TEST_CASE("max/min: a 0-d tensor reduces to itself with index 0") {
  auto s = tg::tensor<float>(2.5f);
  auto [v, i] = tg::max(s, 0);
  CHECK(v.dim() == 0);
  CHECK(v.item() == 2.5f);
  CHECK(i.item() == 0);
  CHECK(tg::min(s, -1).values.item() == 2.5f);
  CHECK(tg::argmax(s).item() == 0);
  CHECK_THROWS_WITH_AS(tg::max(s, 1), "max: dimension out of range (expected to be in range of [-1, 0], but got 1)",
                       tg::IndexError);
}

// ---- var / std -------------------------------------------------------------------------------------

TEST_CASE_TEMPLATE("var/std: unbiased and correction-0 estimates match PyTorch", T, float, double) {
  const std::string t = "." + tag<T>() + ".out";
  for (const auto& x : layouts_of_x<T>()) {
    CAPTURE(tg::to_string(x.strides()));
    CHECK_REF(tg::var(x, tg::Shape{}), "var_all" + t, kTol<T>);
    CHECK_REF(x.var(), "var_all" + t, kTol<T>);
    CHECK_REF(tg::var(x, 1, 0), "var_d1_c0" + t, kTol<T>);
    CHECK_REF(x.var(-2, 0), "var_d1_c0" + t, kTol<T>);
    CHECK_REF(tg::std(x, 0), "std_d0" + t, kTol<T>);
    CHECK_REF(x.std(0, 1), "std_d0" + t, kTol<T>);
    CHECK_REF(tg::std(x, tg::Shape{}), "std_all" + t, kTol<T>);
    CHECK_REF(x.std(), "std_all" + t, kTol<T>);
  }
  // one element: N - 1 = 0 gives NaN, correction 0 gives 0
  auto s = load<T>("single." + tag<T>() + ".a");
  CHECK_REF(s.var(), "var_single" + t, kExact);
  CHECK_REF(s.var(0), "var_single_c0" + t, kExact);
}

// ---- logsumexp / softmax / log_softmax --------------------------------------------------------------

TEST_CASE_TEMPLATE("logsumexp/softmax/log_softmax: every dim matches PyTorch", T, float, double) {
  const std::string t = "." + tag<T>() + ".out";
  for (const auto& x : layouts_of_x<T>()) {
    CAPTURE(tg::to_string(x.strides()));
    CHECK_REF(tg::logsumexp(x, 1), "logsumexp_d1" + t, kTol<T>);
    CHECK_REF(x.logsumexp(-2), "logsumexp_d1" + t, kTol<T>);
    for (int64_t d = 0; d < 3; ++d) {
      CAPTURE(d);
      CHECK_REF(tg::softmax(x, d), "softmax_d" + std::to_string(d) + t, kTol<T>);
      CHECK_REF(x.softmax(d - 3), "softmax_d" + std::to_string(d) + t, kTol<T>);
      CHECK_REF(tg::log_softmax(x, d), "log_softmax_d" + std::to_string(d) + t, kTol<T>);
      CHECK_REF(x.log_softmax(d - 3), "log_softmax_d" + std::to_string(d) + t, kTol<T>);
    }
  }
}

TEST_CASE_TEMPLATE("softmax: sums to 1 along the softmax dim of a (2, 3, 4) tensor", T, float, double) {
  tg::Generator gen(7);
  auto x = tg::randn<T>({2, 3, 4}, gen) * T(3);
  for (int64_t d = 0; d < 3; ++d) {
    CAPTURE(d);
    auto y = tg::softmax(x, d);
    CHECK(y.sizes() == x.sizes());
    auto s = tg::sum(y, d);
    CHECK(tg::allclose(s, tg::ones_like(s), 0, 4 * std::numeric_limits<T>::epsilon()));
    // ... and not along the others (they sum to other values)
    CHECK_FALSE(tg::allclose(tg::sum(y, (d + 1) % 3), tg::ones<T>(tg::sum(y, (d + 1) % 3).sizes())));
    // exp(log_softmax) is softmax
    CHECK(tg::allclose(tg::exp(tg::log_softmax(x, d)), y, 4 * std::numeric_limits<T>::epsilon(),
                       4 * std::numeric_limits<T>::epsilon()));
  }
}

TEST_CASE_TEMPLATE("softmax/log_softmax/logsumexp: logits of +-1000 and 1e4 stay finite", T, float, double) {
  const std::string t = "." + tag<T>();
  auto e = load<T>("extreme" + t + ".a");
  for (const auto& y : {e, reversed_layout(e)}) {
    CHECK_REF(tg::softmax(y, 1), "softmax_extreme" + t + ".out", kTol<T>);
    CHECK_REF(tg::log_softmax(y, 1), "log_softmax_extreme" + t + ".out", kTol<T>);
    CHECK_REF(tg::logsumexp(y, 1), "logsumexp_extreme" + t + ".out", kTol<T>);
  }
}

TEST_CASE_TEMPLATE("softmax/log_softmax: -inf logits get probability exactly 0; an all -inf row is NaN",
                   T, float, double) {
  const std::string t = "." + tag<T>();
  auto a = load<T>("softmax_inf" + t + ".a");
  for (const auto& y : {a, strided_copy(a), reversed_layout(a)}) {
    CHECK_REF(tg::softmax(y, 1), "softmax_inf" + t + ".out", kTol<T>);
    CHECK_REF(tg::log_softmax(y, 1), "log_softmax_inf" + t + ".out", kTol<T>);
    CHECK(tg::softmax(y, 1)(0, 0) == T(0));  // exactly, not a denormal
  }
  // a masked row of a wider, contiguous tensor (the SIMD path)
  const T inf = std::numeric_limits<T>::infinity();
  auto m = tg::zeros<T>({2, 16});
  for (int64_t j = 0; j < 16; j += 3) m(1, j) = -inf;
  auto p = tg::softmax(m, 1);
  for (int64_t j = 0; j < 16; ++j) CHECK(p(1, j) == (j % 3 == 0 ? T(0) : T(1) / T(10)));
  // logsumexp of a row of -inf is -inf
  auto all = tg::full<T>({1, 3}, -inf);
  CHECK(tg::logsumexp(all, 1).item() == -inf);
}

TEST_CASE("softmax/log_softmax/logsumexp: a 0-d tensor gives 1, 0 and itself") {
  auto s = tg::tensor<double>(3.5);
  CHECK(tg::softmax(s, 0).item() == 1.0);
  CHECK(tg::log_softmax(s, -1).item() == 0.0);
  CHECK(tg::logsumexp(s, 0).item() == 3.5);
}

// ---- empty tensors ----------------------------------------------------------------------------------

TEST_CASE_TEMPLATE("sum/prod/mean: empty reductions give 0, 1 and NaN; max needs a dim", T, float, double) {
  const std::string t = "." + tag<T>();
  auto e = load<T>("empty" + t + ".a");
  CHECK_REF(tg::sum(e), "sum_empty" + t + ".out", kExact);
  CHECK_REF(tg::prod(e), "prod_empty" + t + ".out", kExact);
  CHECK_REF(tg::mean(e), "mean_empty" + t + ".out", kExact);
  auto e2 = load<T>("empty_0x3" + t + ".a");
  CHECK_REF(tg::sum(e2, 0), "sum_empty_0x3_d0" + t + ".out", kExact);
  CHECK_REF(tg::sum(e2, 1), "sum_empty_0x3_d1" + t + ".out", kExact);
  CHECK_REF(tg::mean(e2, 0), "mean_empty_0x3_d0" + t + ".out", kExact);
  CHECK(tg::prod(e2, 0).to_vector() == std::vector<T>{1, 1, 1});
  // PyTorch: "max(): Expected reduction dim to be specified for input.numel() == 0."
  REQUIRE(rec("max_empty" + t + ".error").text.find("input.numel() == 0") != std::string::npos);
  CHECK_THROWS_WITH_AS(tg::max(e), "max: expected a non-empty tensor when no dim is given, got shape [0]",
                       tg::IndexError);
  CHECK_THROWS_WITH_AS(tg::min(e2), "min: expected a non-empty tensor when no dim is given, got shape [0, 3]",
                       tg::IndexError);
  REQUIRE(rec("argmax_empty" + t + ".error").text.find("IndexError: argmax()") == 0);
  CHECK_THROWS_WITH_AS(tg::argmax(e), "argmax: expected a non-empty tensor when no dim is given, got shape [0]",
                       tg::IndexError);
  CHECK_THROWS_WITH_AS(tg::max(e2, 0), "max: cannot compute over a zero-size dimension (dim 0 of shape [0, 3])",
                       tg::IndexError);
  // ... but a dim of nonzero size works: [0, 3] reduced over dim 1 is [0]
  CHECK(tg::max(e2, 1).values.sizes() == tg::Shape{0});
  CHECK(tg::argmin(e2, 1).sizes() == tg::Shape{0});
  CHECK(tg::softmax(e2, 0).sizes() == tg::Shape{0, 3});
}

// ---- non-contiguous inputs, dims --------------------------------------------------------------------

TEST_CASE_TEMPLATE("reductions: transposed and sliced inputs equal their contiguous copies", T, float,
                   double) {
  auto x = load<T>("x." + tag<T>());
  const tg::Tensor<T> views[] = {
      x.transpose(0, 2),                      // [5, 4, 3]
      x.permute({1, 2, 0}),                   // [4, 5, 3]
      x.slice(1, 1, 3),                       // [3, 2, 5]
      x.slice(2, 0, std::nullopt, 2),         // [3, 4, 3], step 2
      x.select(1, 2),                         // [3, 5]
      x.slice(0, 0, 1).expand({4, 4, 5}),     // [4, 4, 5], stride 0
  };
  for (const auto& v : views) {
    CAPTURE(tg::to_string(v.sizes()));
    CAPTURE(tg::to_string(v.strides()));
    const auto c = v.contiguous();
    CHECK(close_to(tg::sum(v), tg::sum(c)));
    CHECK(close_to(tg::mean(v, 0), tg::mean(c, 0)));
    CHECK(close_to(tg::prod(v, -1), tg::prod(c, -1)));
    CHECK(tg::equal(tg::max(v, 1).values, tg::max(c, 1).values));
    CHECK(tg::equal(tg::max(v, 1).indices, tg::max(c, 1).indices));
    CHECK(tg::equal(tg::argmin(v, -1), tg::argmin(c, -1)));
    CHECK(tg::argmax(v).item() == tg::argmax(c).item());
    CHECK(close_to(tg::var(v, 0), tg::var(c, 0)));
    CHECK(close_to(tg::std(v, tg::Shape{}), tg::std(c, tg::Shape{})));
    CHECK(close_to(tg::logsumexp(v, -1), tg::logsumexp(c, -1)));
    for (int64_t d = 0; d < v.dim(); ++d) {
      CHECK(close_to(tg::softmax(v, d), tg::softmax(c, d)));
      CHECK(close_to(tg::log_softmax(v, d), tg::log_softmax(c, d)));
      CHECK(close_to(tg::sum(v, d, true), tg::sum(c, d, true)));
    }
  }
  // sum over dim 2 of the transpose is the transposed sum over dim 0
  CHECK_REF(tg::sum(x.transpose(0, 2), 2).t(), "sum_d0." + tag<T>() + ".out", kTol<T>);
  CHECK_REF(tg::softmax(x.transpose(0, 2), 2).transpose(0, 2), "softmax_d0." + tag<T>() + ".out", kTol<T>);
}

TEST_CASE("reductions: out-of-range and repeated dims are errors") {
  auto x = tg::zeros<float>({3, 4, 5});
  CHECK_THROWS_WITH_AS(tg::sum(x, 3), "sum: dimension out of range (expected to be in range of [-3, 2], but got 3)",
                       tg::IndexError);
  CHECK_THROWS_WITH_AS(tg::mean(x, -4),
                       "mean: dimension out of range (expected to be in range of [-3, 2], but got -4)",
                       tg::IndexError);
  CHECK_THROWS_WITH_AS(tg::sum(x, tg::Shape{0, 0}), "sum: dim 0 appears multiple times in the list of dims [0, 0]",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::sum(x, tg::Shape{2, -1}),
                       "sum: dim -1 appears multiple times in the list of dims [2, -1]", tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::mean(x, tg::Shape{1, 0, 1}),
                       "mean: dim 1 appears multiple times in the list of dims [1, 0, 1]", tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::prod(x, tg::Shape{-3, 0}),
                       "prod: dim 0 appears multiple times in the list of dims [-3, 0]", tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::var(x, tg::Shape{1, 1}), "var: dim 1 appears multiple times in the list of dims [1, 1]",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::max(x, 3), "max: dimension out of range (expected to be in range of [-3, 2], but got 3)",
                       tg::IndexError);
  CHECK_THROWS_WITH_AS(tg::argmin(x, -4),
                       "argmin: dimension out of range (expected to be in range of [-3, 2], but got -4)",
                       tg::IndexError);
  CHECK_THROWS_WITH_AS(tg::softmax(x, 3),
                       "softmax: dimension out of range (expected to be in range of [-3, 2], but got 3)",
                       tg::IndexError);
  CHECK_THROWS_WITH_AS(tg::log_softmax(x, -4),
                       "log_softmax: dimension out of range (expected to be in range of [-3, 2], but got -4)",
                       tg::IndexError);
  CHECK_THROWS_WITH_AS(tg::logsumexp(x, 5),
                       "logsumexp: dimension out of range (expected to be in range of [-3, 2], but got 5)",
                       tg::IndexError);
}

TEST_CASE("sum/prod: int64 accumulation wraps around on overflow as PyTorch") {
  constexpr int64_t hi = std::numeric_limits<int64_t>::max(), lo = std::numeric_limits<int64_t>::min();
  CHECK(tg::sum(tg::tensor<int64_t>({hi, 1})).item() == lo);
  CHECK(tg::prod(tg::tensor<int64_t>({int64_t{1} << 62, 4})).item() == 0);
  CHECK(tg::prod(tg::tensor<int32_t>({65536, 65536, 65536})).item() == int64_t{1} << 48);
}
