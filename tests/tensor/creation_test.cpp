// Creating tensors: tensor(), from_vector, from_blob, the constant and range
// factories (checked against PyTorch in tests/reference/creation.txt), the
// random factories, copy_/fill_/to<U>() casts, element access and Eigen interop.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "support/reference.hpp"

using namespace tapegrad;
using tapegrad_test::ref;

namespace {

Shape ref_shape(const tapegrad_test::RefTensor& r) { return Shape(r.shape.begin(), r.shape.end()); }

// dtype, shape and every value exactly as PyTorch made them.
template <Element T>
void check_creation(const Tensor<T>& t, const std::string& record) {
  INFO("record: ", record);
  const auto& r = ref("creation.txt", record);
  CHECK(std::string(dtype_name<T>()) == r.dtype);
  REQUIRE(t.sizes() == ref_shape(r));
  CHECK(t.is_contiguous());
  CHECK(t.to_vector() == r.as<T>());
}

template <Element T>
std::vector<T> values(std::initializer_list<T> v) { return std::vector<T>(v); }

}  // namespace

// ---- tensor() from nested lists ------------------------------------------------------------
TEST_CASE("tensor: a scalar gives a 0-d tensor") {
  auto t = tensor<float>(2.5f);
  CHECK(t.dim() == 0);
  CHECK(t.sizes() == Shape{});
  CHECK(t.numel() == 1);
  CHECK(t.item() == 2.5f);
}

TEST_CASE("tensor: 1-level lists match torch.tensor") {
  check_creation(tensor<int64_t>({1, 2, 3}), "tensor_int_list.out");
  check_creation(tensor<float>({1.0f, 2.0f}), "tensor_float_list.out");
  check_creation(tensor<float>({1, 2.5}), "tensor_mixed_list.out");
  check_creation(tensor<bool>({true, false}), "tensor_bool_list.out");
}

TEST_CASE("tensor: nested lists of 2, 3 and 4 levels give row-major tensors") {
  SUBCASE("2 levels") {
    auto t = tensor<float>({{1, 2, 3}, {4, 5, 6}});
    CHECK(t.sizes() == Shape{2, 3});
    CHECK(t.strides() == Shape{3, 1});
    CHECK(t.to_vector() == values<float>({1, 2, 3, 4, 5, 6}));
    CHECK(t(1, 0) == 4);
  }
  SUBCASE("3 levels") {
    auto t = tensor<int32_t>({{{1, 2}, {3, 4}, {5, 6}}, {{7, 8}, {9, 10}, {11, 12}}});
    CHECK(t.sizes() == Shape{2, 3, 2});
    CHECK(t.strides() == Shape{6, 2, 1});
    CHECK(t(1, 2, 0) == 11);
    CHECK(t.to_vector() == values<int32_t>({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
  }
  SUBCASE("4 levels") {
    auto t = tensor<double>({{{{1, 2}}, {{3, 4}}}, {{{5, 6}}, {{7, 8}}}});
    CHECK(t.sizes() == Shape{2, 2, 1, 2});
    CHECK(t.strides() == Shape{4, 2, 2, 1});
    CHECK(t(1, 0, 0, 1) == 6);
    CHECK(t.to_vector() == values<double>({1, 2, 3, 4, 5, 6, 7, 8}));
  }
}

TEST_CASE("tensor: ragged lists throw ValueError naming the dim (as torch.tensor)") {
  // torch: "ValueError: expected sequence of length 2 at dim 1 (got 1)"
  CHECK_THROWS_WITH_AS(tensor<float>({{1, 2}, {3}}), "tensor: expected sequence of length 2 at dim 1 (got 1)",
                       ValueError);
  CHECK_THROWS_WITH_AS(tensor<float>({{1}, {2, 3}}), "tensor: expected sequence of length 1 at dim 1 (got 2)",
                       ValueError);
  CHECK_THROWS_WITH_AS(tensor<int64_t>({{{1, 2}, {3, 4}}, {{5, 6}, {7}}}),
                       "tensor: expected sequence of length 2 at dim 2 (got 1)", ValueError);
  CHECK_THROWS_WITH_AS(tensor<int64_t>({{{1, 2}, {3, 4}}, {{5, 6}}}),
                       "tensor: expected sequence of length 2 at dim 1 (got 1)", ValueError);
  CHECK_THROWS_WITH_AS(tensor<float>({{{{1, 2}}}, {{{3, 4, 5}}}}),
                       "tensor: expected sequence of length 2 at dim 3 (got 3)", ValueError);
}

// ---- from_vector ---------------------------------------------------------------------------
TEST_CASE("from_vector: copies the values into the given shape") {
  std::vector<float> v{1, 2, 3, 4, 5, 6};
  auto t = from_vector(v, Shape{3, 2});
  CHECK(t.sizes() == Shape{3, 2});
  CHECK(t(2, 1) == 6);
  v[0] = 100;  // a copy: the tensor does not see later changes
  CHECK(t(0, 0) == 1);
  auto flat = from_vector(v);
  CHECK(flat.sizes() == Shape{6});
  CHECK(flat.to_vector() == v);
  auto none = from_vector(std::vector<int64_t>{}, Shape{0, 4});
  CHECK(none.sizes() == Shape{0, 4});
  CHECK(none.numel() == 0);
}

TEST_CASE("from_vector: rejects a shape whose numel differs from the number of values") {
  const std::vector<float> v{1, 2, 3, 4, 5, 6};
  CHECK_THROWS_WITH_AS(from_vector(v, Shape{4, 2}), "from_vector: shape [4, 2] has 8 elements but 6 values were given",
                       ShapeError);
  CHECK_THROWS_WITH_AS(from_vector(v, Shape{}), "from_vector: shape [] has 1 elements but 6 values were given",
                       ShapeError);
}

// ---- from_blob -----------------------------------------------------------------------------
TEST_CASE("from_blob: views user memory without copying, in both directions") {
  float buf[6] = {0, 1, 2, 3, 4, 5};
  auto t = from_blob(buf, {2, 3});
  CHECK(t.data_ptr() == buf);
  CHECK(t.strides() == Shape{3, 1});
  CHECK(t(1, 2) == 5);
  t(1, 2) = 42;  // tensor -> buffer
  CHECK(buf[5] == 42);
  buf[0] = -7;  // buffer -> tensor
  CHECK(t(0, 0) == -7);
  t.fill_(1.5f);
  CHECK(std::all_of(buf, buf + 6, [](float v) { return v == 1.5f; }));
  // A view of the blob writes through to the buffer as well.
  t.t()[2].fill_(9);
  CHECK(buf[2] == 9);
  CHECK(buf[5] == 9);
  CHECK(buf[1] == 1.5f);
}

TEST_CASE("from_blob: custom strides describe the layout of the buffer") {
  double buf[6] = {0, 1, 2, 3, 4, 5};
  // A column-major [3, 2] matrix: element (i, j) is buf[i + 3 j].
  auto t = from_blob(buf, {3, 2}, Shape{1, 3});
  CHECK(t.strides() == Shape{1, 3});
  CHECK_FALSE(t.is_contiguous());
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 2; ++j) CHECK(t(i, j) == buf[i + 3 * j]);
  CHECK(t.to_vector() == values<double>({0, 3, 1, 4, 2, 5}));
  // Every other element of a buffer.
  auto every_other = from_blob(buf, {3}, Shape{2});
  CHECK(every_other.to_vector() == values<double>({0, 2, 4}));
  every_other.zero_();
  CHECK(buf[0] == 0);
  CHECK(buf[1] == 1);
  CHECK(buf[2] == 0);
  CHECK(buf[3] == 3);
}

TEST_CASE("from_blob: the deleter runs exactly once, when the last tensor using the memory dies") {
  std::vector<float> buf{1, 2, 3, 4, 5, 6};
  int calls = 0;
  float* seen = nullptr;
  Tensor<float> survivor_copy;
  {
    auto t = from_blob(buf.data(), {6}, std::nullopt, [&](float* p) {
      ++calls;
      seen = p;
    });
    auto v = t.view({2, 3});
    auto row = v[1];
    auto copy = t;
    survivor_copy = t.clone();  // owns its own memory: does not keep the blob alive
    t = Tensor<float>();
    v = Tensor<float>();
    CHECK(calls == 0);
    CHECK(row(0) == 4);  // still alive through `row` and `copy`
    copy = Tensor<float>();
    CHECK(calls == 0);
  }
  CHECK(calls == 1);
  CHECK(seen == buf.data());
  CHECK(survivor_copy.to_vector() == buf);
}

TEST_CASE("from_blob: rejects mismatched or negative sizes and strides") {
  float buf[6] = {};
  CHECK_THROWS_WITH_AS(from_blob(buf, {2, 3}, Shape{1}), "from_blob: sizes [2, 3] and strides [1] have different lengths",
                       ShapeError);
  CHECK_THROWS_WITH_AS(from_blob(buf, {2}, Shape{-1}),
                       "from_blob: sizes and strides must be non-negative, got [2] and [-1]", ValueError);
}

// ---- constant and range factories vs PyTorch ----------------------------------------------------
TEST_CASE("zeros/ones/full: match torch.zeros/ones/full") {
  check_creation(zeros<float>({2, 3}), "zeros_2x3.out");
  check_creation(ones<float>({2, 3}), "ones_2x3.out");
  check_creation(zeros<float>({}), "zeros_0d.out");
  check_creation(ones<float>({0, 2}), "ones_0x2.out");
  check_creation(full<float>({2, 2}, 7.0f), "full_2x2_7.0.out");
  check_creation(full<int64_t>({2}, 7), "full_2_7.out");
  check_creation(full<bool>({2}, true), "full_2_true.out");
}

TEST_CASE("empty: has the requested shape, contiguous strides and its own storage") {
  auto a = empty<float>({2, 3, 4});
  CHECK(a.sizes() == Shape{2, 3, 4});
  CHECK(a.strides() == Shape{12, 4, 1});
  CHECK(a.storage_offset() == 0);
  CHECK(a.storage()->size() == 24);
  auto b = empty<float>({2, 3, 4});
  CHECK_FALSE(shares_storage(a, b));
  CHECK(empty<double>({0}).numel() == 0);
  CHECK_THROWS_WITH_AS(empty<float>({2, -1}), "empty: negative dimension -1 in shape [2, -1]", ValueError);
}

TEST_CASE("eye: matches torch.eye for square and rectangular shapes") {
  check_creation(eye<float>(3), "eye_3.out");
  check_creation(eye<float>(2, 4), "eye_2x4.out");
  check_creation(eye<float>(4, 2), "eye_4x2.out");
  CHECK(eye<int64_t>(0).sizes() == Shape{0, 0});
  CHECK_THROWS_WITH_AS(eye<float>(-1), "eye: n and m must be non-negative, got n=-1 m=-1", ValueError);
  CHECK_THROWS_WITH_AS(eye<float>(2, -3), "eye: n and m must be non-negative, got n=2 m=-3", ValueError);
}

TEST_CASE("arange: matches torch.arange, including fractional and negative steps") {
  check_creation(arange(5), "arange_5.out");
  check_creation(arange<float>(1, 2.5, 0.5), "arange_1_2.5_0.5.out");
  check_creation(arange(10, 0, -3), "arange_10_0_m3.out");
  check_creation(arange<float>(0, 1, 0.1), "arange_0_1_0.1.out");
  check_creation(arange<float>(5.0), "arange_5.0.out");
  check_creation(arange(3, 3), "arange_empty.out");
}

TEST_CASE("arange: rejects a zero step, a step of the wrong sign and infinite bounds") {
  // torch: "step must be nonzero", "upper bound and larger bound inconsistent
  // with step sign", "unsupported range: 0 -> inf" (finiteness is checked before the sign).
  CHECK_THROWS_WITH_AS(arange<float>(0, 5, 0), "arange: step must be nonzero", ValueError);
  CHECK_THROWS_WITH_AS(arange(0, 5, -1),
                       "arange: upper bound and larger bound inconsistent with step sign (start=0, end=5, step=-1)",
                       ValueError);
  CHECK_THROWS_WITH_AS(arange(5, 0, 1),
                       "arange: upper bound and larger bound inconsistent with step sign (start=5, end=0, step=1)",
                       ValueError);
  const double inf = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH_AS(arange<float>(0, inf), "arange: unsupported range: 0 -> inf", ValueError);
  CHECK_THROWS_WITH_AS(arange<float>(5, -inf), "arange: unsupported range: 5 -> -inf", ValueError);
}

TEST_CASE("linspace: matches torch.linspace in float32 and float64") {
  check_creation(linspace<float>(0, 1, 5), "linspace_0_1_5.out");
  check_creation(linspace<float>(-1, 1, 1), "linspace_m1_1_1.out");
  check_creation(linspace<float>(0, 1, 0), "linspace_0_1_0.out");
  check_creation(linspace<float>(0, 1, 7), "linspace_0_1_7.out");
  check_creation(linspace<double>(0, 1, 7), "linspace_0_1_7.f64.out");
  CHECK_THROWS_WITH_AS(linspace<float>(0, 1, -1), "linspace: number of steps must be non-negative, got -1",
                       ValueError);
}

TEST_CASE("*_like: same shape and dtype as the argument, fresh storage") {
  auto x = arange<float>(6).view({2, 3}).t();  // non-contiguous [3, 2]
  auto z = zeros_like(x);
  auto o = ones_like(x);
  auto f = full_like(x, 2.5f);
  auto e = empty_like(x);
  for (const auto* t : {&z, &o, &f, &e}) {
    CHECK(t->sizes() == Shape{3, 2});
    CHECK_FALSE(shares_storage(*t, x));
  }
  CHECK(z.to_vector() == std::vector<float>(6, 0.0f));
  CHECK(o.to_vector() == std::vector<float>(6, 1.0f));
  CHECK(f.to_vector() == std::vector<float>(6, 2.5f));
  auto i = zeros_like(arange(4));
  static_assert(std::is_same_v<decltype(i), Tensor<int64_t>>);
  CHECK(i.sizes() == Shape{4});

  manual_seed(3);
  auto r1 = randn_like(x);
  auto u1 = rand_like(x);
  manual_seed(3);
  CHECK(equal(randn_like(x), r1));
  CHECK(equal(rand_like(x), u1));
  CHECK(r1.sizes() == Shape{3, 2});
  static_assert(std::is_same_v<decltype(u1), Tensor<float>>);
}

// ---- random ----------------------------------------------------------------------------------
TEST_CASE_TEMPLATE("randn/rand: the same seed gives the same values, a different seed different ones", T, float,
                   double) {
  manual_seed(42);
  auto a = randn<T>({257});
  auto u = rand<T>({3, 5});
  auto next = randn<T>({257});  // the stream moves on
  manual_seed(42);
  CHECK(equal(randn<T>({257}), a));
  CHECK(equal(rand<T>({3, 5}), u));
  CHECK_FALSE(equal(next, a));
  manual_seed(43);
  CHECK_FALSE(equal(randn<T>({257}), a));

  // An explicit generator is independent of the global one.
  Generator g1(42), g2(42);
  auto b = randn<T>({16}, g1);
  manual_seed(7);
  (void)randn<T>({16});
  CHECK(equal(randn<T>({16}, g2), b));
  CHECK(g1.initial_seed() == 42);
}

TEST_CASE("randint/randperm: the same seed gives the same values") {
  manual_seed(5);
  auto a = randint(0, 100, {50});
  auto p = randperm(50);
  manual_seed(5);
  CHECK(equal(randint(0, 100, {50}), a));
  CHECK(equal(randperm(50), p));
  manual_seed(6);
  CHECK_FALSE(equal(randint(0, 100, {50}), a));
}

// Note [PyTorch's random numbers] (core/generator.hpp): manual_seed(s) gives
// PyTorch 1.13's numbers, the same on every compiler, standard library and
// platform. These literals are torch's (manual_seed(0), then torch.randn(6,
// dtype=torch.float64), torch.rand(6), torch.randint(0, 1000, (6,)),
// torch.randperm(8)); tests/tensor/random_test.cpp checks many more against
// tests/reference/rng.txt.
TEST_CASE("manual_seed: pins the first values of randn, rand and randint to PyTorch's on every platform") {
  manual_seed(0);
  const std::vector<double> n = randn<double>({6}).to_vector();
  CHECK(n == std::vector<double>{0x1.8a7eb8902be3ap+0, -0x1.2c78a087c6feap-2, -0x1.16e2920a70ee5p+1,
                                 0x1.23096ca3e350dp-1, -0x1.15a341987e136p+0, -0x1.660a590b74404p+0});
  manual_seed(0);
  const std::vector<float> u = rand<float>({6}).to_vector();
  // uniform floats are multiples of 2^-24: exact as hex literals
  CHECK(u == std::vector<float>{0x1.fc2ab0p-2f, 0x1.89545ep-1f, 0x1.6a6750p-4f, 0x1.0e6600p-3f, 0x1.3acd0cp-2f,
                                0x1.44a5f6p-1f});
  manual_seed(0);
  CHECK(randint(0, 1000, {6}).to_vector() == std::vector<int64_t>{44, 239, 933, 760, 963, 379});
  manual_seed(0);
  CHECK(randperm(8).to_vector() == std::vector<int64_t>{4, 0, 7, 3, 2, 5, 1, 6});
  // under 16 elements, randn<float> is the float rounding of the same double stream (as PyTorch's)
  manual_seed(0);
  const std::vector<float> nf = randn<float>({6}).to_vector();
  for (size_t i = 0; i < nf.size(); ++i) CHECK(nf[i] == static_cast<float>(n[i]));
}

TEST_CASE_TEMPLATE("randn: 1e5 samples have mean ~0 and std ~1", T, float, double) {
  manual_seed(1234);
  auto x = randn<T>({100000});
  // standard error of the mean is 1/sqrt(1e5) = 0.0032; 0.02 is ~6 sigma
  CHECK(std::abs(static_cast<double>(x.mean().item())) < 0.02);
  CHECK(std::abs(static_cast<double>(x.std().item()) - 1.0) < 0.02);
  // ~68% within one sigma
  const double within = static_cast<double>((x.abs() < T(1)).sum().item()) / 1e5;
  CHECK(std::abs(within - 0.6827) < 0.01);
}

TEST_CASE_TEMPLATE("rand: samples lie in [0, 1) with mean ~0.5", T, float, double) {
  manual_seed(99);
  auto x = rand<T>({100000});
  CHECK(x.min().item() >= T(0));
  CHECK(x.max().item() < T(1));
  CHECK(std::abs(static_cast<double>(x.mean().item()) - 0.5) < 0.01);
  // variance of U(0, 1) is 1/12
  CHECK(std::abs(static_cast<double>(x.var().item()) - 1.0 / 12) < 0.005);
}

TEST_CASE("randint: values lie in [low, high) and every value occurs") {
  manual_seed(7);
  auto x = randint(-2, 3, {10000});
  static_assert(std::is_same_v<decltype(x), Tensor<int64_t>>);
  const auto v = x.to_vector();
  const std::set<int64_t> seen(v.begin(), v.end());
  CHECK(seen == std::set<int64_t>{-2, -1, 0, 1, 2});
  // roughly uniform: each of 5 values about 2000 times
  for (int64_t k = -2; k < 3; ++k) CHECK(std::abs(std::count(v.begin(), v.end(), k) - 2000) < 200);

  auto small = randint<int8_t>(100, 103, {300});
  const auto sv = small.to_vector();
  CHECK(std::set<int8_t>(sv.begin(), sv.end()) == std::set<int8_t>{100, 101, 102});
  CHECK(randint(0, 1, {4}).to_vector() == std::vector<int64_t>(4, 0));
  CHECK_THROWS_WITH_AS(randint(3, 3, {2}), "randint: expected low < high, but got low=3 high=3", ValueError);
  CHECK_THROWS_WITH_AS(randint(5, 1, {2}), "randint: expected low < high, but got low=5 high=1", ValueError);
}

TEST_CASE("randperm: is a permutation of 0..n-1") {
  manual_seed(11);
  auto p = randperm(100);
  auto v = p.to_vector();
  CHECK(v != arange(100).to_vector());  // 1/100! chance of a false failure
  std::sort(v.begin(), v.end());
  CHECK(v == arange(100).to_vector());
  CHECK(randperm(0).numel() == 0);
  CHECK(randperm(1).to_vector() == std::vector<int64_t>{0});
  auto pi = randperm<int32_t>(10);
  static_assert(std::is_same_v<decltype(pi), Tensor<int32_t>>);
  CHECK_THROWS_WITH_AS(randperm(-1), "randperm: n must be non-negative, got -1", ValueError);
}

TEST_CASE_TEMPLATE("normal_/uniform_: use their parameters, also on non-contiguous views", T, float, double) {
  manual_seed(21);
  auto x = empty<T>({200, 300});
  x.normal_(3.0, 0.5);
  CHECK(std::abs(static_cast<double>(x.mean().item()) - 3.0) < 0.01);
  CHECK(std::abs(static_cast<double>(x.std().item()) - 0.5) < 0.01);

  x.uniform_(-2.0, 5.0);
  CHECK(x.min().item() >= T(-2));
  CHECK(x.max().item() < T(5));
  CHECK(std::abs(static_cast<double>(x.mean().item()) - 1.5) < 0.05);

  // A strided view: only its elements change.
  auto y = zeros<T>({4, 6});
  y.slice(1, 0, std::nullopt, 2).uniform_(1.0, 2.0);
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 6; ++j) {
      if (j % 2 == 0) CHECK((y(i, j) >= T(1) && y(i, j) < T(2)));
      else CHECK(y(i, j) == T(0));
    }
  // std = 0 and from == to are allowed (constant fills).
  y.normal_(1.25, 0.0);
  CHECK(y.to_vector() == std::vector<T>(24, T(1.25)));
  y.uniform_(-3.0, -3.0);
  CHECK(y.to_vector() == std::vector<T>(24, T(-3)));
}

TEST_CASE("normal_/uniform_: reject a negative std and from > to") {
  auto x = empty<float>({3});
  CHECK_THROWS_WITH_AS(x.normal_(0.0, -1.0), "normal_: expects std >= 0.0, but found std -1", ValueError);
  CHECK_THROWS_WITH_AS(x.uniform_(1.0, 0.0), "uniform_: expects to return a [from, to) range, but found from=1 > to=0",
                       ValueError);
}

// ---- copy_ / fill_ / zero_ -------------------------------------------------------------------------
TEST_CASE("copy_: broadcasts the source to the destination's shape") {
  auto dst = zeros<float>({2, 3});
  const auto& ret = dst.copy_(tensor<float>({1, 2, 3}));
  CHECK(ret.is_same(dst));
  CHECK(dst.to_vector() == values<float>({1, 2, 3, 1, 2, 3}));
  dst.copy_(tensor<float>({{-1}, {-2}}));
  CHECK(dst.to_vector() == values<float>({-1, -1, -1, -2, -2, -2}));
  dst.copy_(tensor<float>(4.0f));
  CHECK(dst.to_vector() == std::vector<float>(6, 4.0f));
  CHECK_THROWS_WITH_AS(dst.copy_(zeros<float>({2, 2, 3})),
                       "copy_: source shape [2, 2, 3] cannot be broadcast to destination shape [2, 3]", ShapeError);
  CHECK_THROWS_WITH_AS(dst.copy_(zeros<float>({2})), "copy_: shapes [2, 3] and [2] are not broadcastable: dim 1 is 3 vs 2",
                       ShapeError);
  CHECK(dst.to_vector() == std::vector<float>(6, 4.0f));  // untouched by the failed copies
}

TEST_CASE("copy_: casts between dtypes (float to int truncates, nonzero to true)") {
  auto i = zeros<int32_t>({4});
  i.copy_(tensor<float>({1.7f, -2.7f, 0.5f, 3.0f}));
  CHECK(i.to_vector() == values<int32_t>({1, -2, 0, 3}));
  auto b = zeros<bool>({3});
  b.copy_(tensor<double>({0.0, -0.25, 2.0}));
  CHECK(b.to_vector() == std::vector<bool>{false, true, true});
  auto d = zeros<double>({2, 2});
  d.copy_(tensor<bool>({true, false}));
  CHECK(d.to_vector() == values<double>({1, 0, 1, 0}));
}

TEST_CASE("copy_: into a non-contiguous destination") {
  auto base = zeros<float>({3, 2});
  base.t().copy_(tensor<float>({{1, 2, 3}, {4, 5, 6}}));
  CHECK(base.to_vector() == values<float>({1, 4, 2, 5, 3, 6}));
}

TEST_CASE("copy_: overlapping source and destination give the non-aliased result") {
  // PyTorch refuses these ("some elements of the input tensor and the
  // written-to tensor refer to a single memory location"); tapegrad copies
  // through a temporary, so the result is as if src had been cloned first.
  SUBCASE("x[:-1] = x[1:] (shift left)") {
    auto x = arange<float>(5);
    x.slice(0, std::nullopt, -1).copy_(x.slice(0, 1));
    CHECK(x.to_vector() == values<float>({1, 2, 3, 4, 4}));
  }
  SUBCASE("x[1:] = x[:-1] (shift right: a naive forward loop would smear x[0])") {
    auto x = arange<float>(5);
    x.slice(0, 1).copy_(x.slice(0, std::nullopt, -1));
    CHECK(x.to_vector() == values<float>({0, 0, 1, 2, 3}));
  }
  SUBCASE("m = m.t()") {
    auto m = arange<float>(9).view({3, 3});
    m.copy_(m.t());
    CHECK(m.to_vector() == values<float>({0, 3, 6, 1, 4, 7, 2, 5, 8}));
  }
  SUBCASE("x = x is a no-op") {
    auto x = arange<double>(4);
    x.copy_(x);
    CHECK(x.to_vector() == values<double>({0, 1, 2, 3}));
  }
}

TEST_CASE("copy_/fill_: bump the storage version that views share") {
  auto x = zeros<float>({4});
  auto v = x.slice(0, 1, 3);
  const auto before = x.storage()->version();
  v.fill_(1);
  CHECK(x.storage()->version() == before + 1);
  x.copy_(ones<float>({4}));
  CHECK(v.storage()->version() == before + 2);
}

TEST_CASE_TEMPLATE("fill_/zero_: write only the elements of a non-contiguous view", T, float, double) {
  auto x = arange<T>(12).view({3, 4});
  x.slice(1, 0, std::nullopt, 2).fill_(T(-1));  // columns 0 and 2
  CHECK(x.to_vector() == values<T>({-1, 1, -1, 3, -1, 5, -1, 7, -1, 9, -1, 11}));
  x.t()[1].zero_();  // column 1
  CHECK(x.to_vector() == values<T>({-1, 0, -1, 3, -1, 0, -1, 7, -1, 0, -1, 11}));
  x.select(0, -1).fill_(T(8));  // last row
  CHECK(x.to_vector() == values<T>({-1, 0, -1, 3, -1, 0, -1, 7, 8, 8, 8, 8}));
  auto z = tensor<T>(T(3));
  z.zero_();
  CHECK(z.item() == T(0));
  auto none = empty<T>({0, 3});
  none.fill_(T(1));  // nothing to do
  CHECK(none.numel() == 0);
}

// ---- to<U>() ------------------------------------------------------------------------------------------
TEST_CASE("to: float to int truncates toward zero, nonzero to bool is true") {
  auto f = tensor<float>({2.7f, -2.7f, 0.5f, -0.5f, 100.0f});
  CHECK(f.to<int64_t>().to_vector() == values<int64_t>({2, -2, 0, 0, 100}));
  CHECK(f.to<int32_t>().to_vector() == values<int32_t>({2, -2, 0, 0, 100}));
  auto b = tensor<double>({0.0, 0.5, -1.0, std::numeric_limits<double>::quiet_NaN(), -0.0}).to<bool>();
  CHECK(b.to_vector() == std::vector<bool>{false, true, true, true, false});
  CHECK(tensor<int64_t>({0, 3, -2}).to<bool>().to_vector() == std::vector<bool>{false, true, true});
  CHECK(tensor<bool>({true, false}).to<float>().to_vector() == values<float>({1, 0}));
  CHECK(tensor<int32_t>({-3, 7}).to<double>().to_vector() == values<double>({-3, 7}));
}

TEST_CASE("to: the same dtype returns the tensor itself, another dtype a contiguous copy") {
  auto x = arange<float>(6).view({2, 3});
  auto same = x.to<float>();
  CHECK(same.is_same(x));
  auto xt = x.t();
  auto d = xt.to<double>();
  CHECK(d.sizes() == Shape{3, 2});
  CHECK(d.is_contiguous());
  CHECK(d.to_vector() == values<double>({0, 3, 1, 4, 2, 5}));
  x(0, 0) = 50;
  CHECK(d(0, 0) == 0);  // a copy
}

// ---- item, x(i, j), at() ---------------------------------------------------------------------------------
TEST_CASE("item: returns the single element of any one-element tensor") {
  CHECK(tensor<float>(3.5f).item() == 3.5f);
  CHECK(full<int64_t>({1, 1, 1}, 9).item() == 9);
  CHECK(arange<double>(6).view({2, 3}).select(1, 2).select(0, 1).item() == 5);
}

TEST_CASE("item: rejects tensors with more or fewer than one element") {
  CHECK_THROWS_WITH_AS(ones<float>({2, 3}).item(),
                       "item: a tensor with 6 elements cannot be converted to a scalar (shape [2, 3])", ValueError);
  CHECK_THROWS_WITH_AS(zeros<float>({0}).item(), "item: a tensor with 0 elements cannot be converted to a scalar (shape [0])",
                       ValueError);
}

TEST_CASE("operator(): x(i, j) and at() accept negative indices and return references") {
  auto x = arange<float>(6).view({2, 3});
  CHECK(x(0, 0) == 0);
  CHECK(x(-1, -1) == 5);
  CHECK(x(1, -3) == 3);
  CHECK(x.at({-2, 1}) == 1);
  CHECK(x.at({1, 2}) == 5);
  x(-1, 0) = 30;
  x.at({0, -1}) = 20;
  CHECK(x.to_vector() == values<float>({0, 1, 20, 30, 4, 5}));
  // Through a view: the indices are the view's.
  auto xt = x.t();
  CHECK(xt(2, 0) == 20);
  CHECK(xt(-3, -1) == 30);
  // 0-d: no indices.
  auto s = tensor<int32_t>(4);
  CHECK(s() == 4);
  CHECK(s.at({}) == 4);
}

TEST_CASE("operator(): rejects out-of-bounds indices and the wrong number of indices") {
  auto x = arange<float>(6).view({2, 3});
  CHECK_THROWS_WITH_AS(x(2, 0), "index: index 2 is out of bounds for dimension 0 with size 2", IndexError);
  CHECK_THROWS_WITH_AS(x(0, -4), "index: index -4 is out of bounds for dimension 1 with size 3", IndexError);
  CHECK_THROWS_WITH_AS(x.at({0, 3}), "index: index 3 is out of bounds for dimension 1 with size 3", IndexError);
  CHECK_THROWS_WITH_AS(x(1), "index: expected 2 indices for a tensor of shape [2, 3], got 1", IndexError);
  CHECK_THROWS_WITH_AS(x.at({0, 0, 0}), "index: expected 2 indices for a tensor of shape [2, 3], got 3", IndexError);
  CHECK_THROWS_WITH_AS(zeros<float>({0})(0), "index: index 0 is out of bounds for dimension 0 with size 0", IndexError);
}

// ---- Eigen interop ------------------------------------------------------------------------------------------
TEST_CASE("from_eigen: copies row-major and column-major matrices in logical order") {
  Eigen::Matrix<float, 2, 3, Eigen::RowMajor> r;
  r << 0, 1, 2, 10, 11, 12;
  Eigen::Matrix<float, 2, 3, Eigen::ColMajor> c = r;
  Eigen::MatrixXd dyn(3, 2);
  dyn << 1, 2, 3, 4, 5, 6;
  auto tr = from_eigen(r);
  auto tc = from_eigen(c);
  CHECK(tr.sizes() == Shape{2, 3});
  CHECK(tr.is_contiguous());
  CHECK(tr.to_vector() == values<float>({0, 1, 2, 10, 11, 12}));
  CHECK(tc.to_vector() == tr.to_vector());
  auto td = from_eigen(dyn);
  static_assert(std::is_same_v<decltype(td), Tensor<double>>);
  CHECK(td.to_vector() == values<double>({1, 2, 3, 4, 5, 6}));
  CHECK(from_eigen(dyn.transpose()).to_vector() == values<double>({1, 3, 5, 2, 4, 6}));
  // A copy: later changes to the matrix do not show.
  dyn(0, 0) = 100;
  CHECK(td(0, 0) == 1);
  CHECK(from_eigen(Eigen::MatrixXf(0, 3)).sizes() == Shape{0, 3});
}

TEST_CASE("as_eigen: maps a tensor without copying, writes go both ways") {
  auto t = zeros<float>({2, 3});
  auto m = as_eigen(t);
  CHECK(m.rows() == 2);
  CHECK(m.cols() == 3);
  CHECK(m.data() == t.data_ptr());
  m(1, 2) = 5;
  CHECK(t(1, 2) == 5);
  t(0, 1) = 7;
  CHECK(m(0, 1) == 7);
  m.row(0).setConstant(-1);
  CHECK(t.to_vector() == values<float>({-1, -1, -1, 0, 0, 5}));
}

TEST_CASE("as_eigen: works on row and column slices, refuses transposed tensors") {
  // (as_eigen of a temporary does not compile: tests/compile_fail/as_eigen_temporary.cpp)
  auto t = arange<double>(12).view({4, 3});
  const auto row_slice = t.slice(0, 1, 3), col_slice = t.slice(1, 1, 3), tt = t.t();
  auto rows = as_eigen(row_slice);  // rows 1..2
  CHECK(rows.rows() == 2);
  CHECK(rows(0, 0) == 3);
  CHECK(rows(1, 2) == 8);
  rows(1, 2) = -1;
  CHECK(t(2, 2) == -1);
  auto cols = as_eigen(col_slice);  // columns 1..2: row stride 3
  CHECK(cols.cols() == 2);
  CHECK(cols(3, 0) == 10);
  cols(0, 1) = -2;
  CHECK(t(0, 2) == -2);
  CHECK_THROWS_WITH_AS(as_eigen(tt),
                       "as_eigen: the rows of a tensor of shape [3, 4] with strides [1, 3] are not contiguous; call "
                       "contiguous() first",
                       ShapeError);
  const auto tc = tt.contiguous(), v = arange<double>(3);
  CHECK(as_eigen(tc)(0, 3) == 9);
  CHECK_THROWS_WITH_AS(as_eigen(v), "as_eigen: expected a 2-D tensor, got shape [3]", ShapeError);
}
