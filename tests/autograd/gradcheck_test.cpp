// Gradients of every differentiable op against central finite differences
// (tapegrad::gradcheck, double precision): elementwise, reductions, matmul,
// views and copies, on broadcast, non-contiguous and 0-d inputs, inputs used
// twice and values reused in two branches. Kinks (relu at 0, abs at 0, clamp
// at its bounds, ties of maximum/minimum/max) are kept out of the random
// inputs and checked with exact values instead; so is the float round trip
// to<float>().to<double>(), whose rounding defeats finite differences.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace {

namespace tg = tapegrad;
using TD = tg::Tensor<double>;
using Inputs = std::vector<TD>;
using Fn = std::function<TD(const Inputs&)>;

// A leaf of uniform values in [lo, hi).
TD leaf(const tg::Shape& shape, double lo = -1, double hi = 1, uint64_t seed = 7) {
  tg::Generator gen(seed + static_cast<uint64_t>(tg::shape_numel(shape)) * 131);
  auto t = tg::empty<double>(shape);
  t.uniform_(lo, hi, gen);
  t.requires_grad_();
  return t;
}

// A leaf whose elements are at least `gap` away from 0, with random signs.
TD leaf_away_from_zero(const tg::Shape& shape, double gap = 0.2, uint64_t seed = 11) {
  tg::Generator gen(seed);
  auto mag = tg::empty<double>(shape);
  mag.uniform_(gap, 1.5, gen);
  auto sign = tg::empty<double>(shape);
  sign.uniform_(-1, 1, gen);
  auto t = tg::where(sign >= 0.0, mag, tg::neg(mag));
  t.requires_grad_();
  return t;
}

TD leaf_of(std::vector<double> values, const tg::Shape& shape) {
  auto t = tg::from_vector(values, shape);
  t.requires_grad_();
  return t;
}

void zero_grad(const TD& t) { t.mutable_grad() = TD(); }

// gradcheck, reporting the worst element on failure.
void check(const Fn& f, const Inputs& inputs, double atol = 1e-5, double rtol = 1e-3) {
  const auto r = tg::gradcheck(f, inputs, 1e-6, atol, rtol);
  CHECK_MESSAGE(r.ok, r.message);
}

// d sum(f(x) * w) / dx after one backward from the summed output.
std::vector<double> grad_of_sum(const TD& x, const std::function<TD(const TD&)>& f) {
  zero_grad(x);
  f(x).sum().backward();
  REQUIRE(x.grad().defined());
  return x.grad().to_vector();
}

}  // namespace

// ---- gradcheck itself -----------------------------------------------------------------------

TEST_CASE("gradcheck: accepts a correct gradient and reports a wrong one") {
  auto x = leaf({3}, 0.5, 1.5);
  check([](const Inputs& v) { return v[0] * v[0] * v[0]; }, {x});
  // x * (x * x computed without recording): autograd sees d/dx = x^2, the truth is 3 x^2.
  const auto r = tg::gradcheck([](const Inputs& v) { return v[0] * tg::no_grad([&] { return v[0] * v[0]; }); }, {x});
  CHECK_FALSE(r.ok);
  CHECK_FALSE(static_cast<bool>(r));
  CHECK(r.message.find("gradcheck: input 0 (shape [3]), element ") == 0);
}

TEST_CASE("gradcheck: every input must require grad") {
  auto x = tg::ones<double>({2, 3});
  CHECK_THROWS_WITH_AS(tg::gradcheck([](const Inputs& v) { return v[0] * 2.0; }, {x}),
                       "gradcheck: every input must require grad, got one of shape [2, 3] that does not",
                       tg::ValueError);
}

// ---- binary arithmetic ------------------------------------------------------------------------

TEST_CASE("add/sub/mul/div: gradients of tensor-tensor forms") {
  auto a = leaf({2, 3}, -1, 1, 1);
  auto b = leaf_away_from_zero({2, 3}, 0.3, 2);
  check([](const Inputs& v) { return v[0] + v[1]; }, {a, b});
  check([](const Inputs& v) { return v[0] - v[1]; }, {a, b});
  check([](const Inputs& v) { return v[0] * v[1]; }, {a, b});
  check([](const Inputs& v) { return v[0] / v[1]; }, {a, b});
  check([](const Inputs& v) { return tg::add(v[0], v[1]) - tg::sub(v[1], v[0]) * tg::mul(v[0], v[1]); }, {a, b});
}

TEST_CASE("add/sub/mul/div: gradients with a broadcast operand") {
  struct Case {
    tg::Shape sa, sb;
  };
  for (const Case& c : {Case{{2, 3}, {3}}, Case{{2, 1}, {1, 4}}, Case{{4, 1, 3}, {2, 1}}, Case{{2, 3}, {}},
                        Case{{}, {2, 3}}, Case{{3}, {2, 3}}, Case{{1}, {2, 3}}}) {
    CAPTURE(c.sa);
    CAPTURE(c.sb);
    auto a = leaf(c.sa, -1, 1, 3);
    auto b = leaf_away_from_zero(c.sb, 0.3, 4);
    check([](const Inputs& v) { return v[0] + v[1]; }, {a, b});
    check([](const Inputs& v) { return v[0] - v[1]; }, {a, b});
    check([](const Inputs& v) { return v[0] * v[1]; }, {a, b});
    check([](const Inputs& v) { return v[0] / v[1]; }, {a, b});
  }
}

TEST_CASE("add/sub/mul/div: gradients of the scalar forms") {
  auto x = leaf_away_from_zero({2, 3}, 0.3, 5);
  check([](const Inputs& v) { return v[0] + 2.5; }, {x});
  check([](const Inputs& v) { return 2.5 + v[0]; }, {x});
  check([](const Inputs& v) { return v[0] - 1.5; }, {x});
  check([](const Inputs& v) { return 1.5 - v[0]; }, {x});
  check([](const Inputs& v) { return v[0] * -3.0; }, {x});
  check([](const Inputs& v) { return 3 * v[0]; }, {x});
  check([](const Inputs& v) { return v[0] / 4.0; }, {x});
  check([](const Inputs& v) { return 2.0 / v[0]; }, {x});
}

TEST_CASE("add/mul: exact gradients of the scalar forms") {
  auto x = leaf({4});
  CHECK(grad_of_sum(x, [](const TD& t) { return t + 2.0; }) == std::vector<double>(4, 1.0));
  CHECK(grad_of_sum(x, [](const TD& t) { return 2.0 - t; }) == std::vector<double>(4, -1.0));
  CHECK(grad_of_sum(x, [](const TD& t) { return t * 3.0; }) == std::vector<double>(4, 3.0));
  CHECK(grad_of_sum(x, [](const TD& t) { return t / 4.0; }) == std::vector<double>(4, 0.25));
}

TEST_CASE("pow: gradients of tensor ** tensor, both inputs, with broadcasting") {
  auto base = leaf({2, 3}, 0.5, 2, 6);
  auto expo = leaf({2, 3}, -2, 2, 7);
  check([](const Inputs& v) { return tg::pow(v[0], v[1]); }, {base, expo});
  check([](const Inputs& v) { return v[0].pow(v[1]); }, {base, expo});
  auto e_row = leaf({3}, -2, 2, 8);
  check([](const Inputs& v) { return tg::pow(v[0], v[1]); }, {base, e_row});
  auto b_col = leaf({2, 1}, 0.5, 2, 9);
  check([](const Inputs& v) { return tg::pow(v[0], v[1]); }, {b_col, expo});
  auto e0 = leaf({}, 0.5, 1.5, 10);
  check([](const Inputs& v) { return tg::pow(v[0], v[1]); }, {base, e0});
}

TEST_CASE("pow: gradients of x ** scalar (2 is x * x, 0 gives zeros)") {
  auto x = leaf_away_from_zero({2, 3}, 0.3, 12);
  auto pos = leaf({2, 3}, 0.5, 2, 13);
  check([](const Inputs& v) { return v[0].pow(2); }, {x});
  check([](const Inputs& v) { return v[0].pow(2.0); }, {x});
  check([](const Inputs& v) { return v[0].pow(3); }, {x});
  check([](const Inputs& v) { return v[0].pow(-1.0); }, {x});
  check([](const Inputs& v) { return v[0].pow(0.5); }, {pos});
  check([](const Inputs& v) { return v[0].pow(-2.5); }, {pos});
  check([](const Inputs& v) { return v[0].pow(0); }, {x});
  CHECK(grad_of_sum(x, [](const TD& t) { return t.pow(0.0); }) == std::vector<double>(6, 0.0));
  auto y = leaf_of({-1.5, 0, 2}, {3});
  CHECK(grad_of_sum(y, [](const TD& t) { return t.pow(2); }) == std::vector<double>{-3, 0, 4});
}

TEST_CASE("pow: the base's gradient is 0 where the exponent is 0, also at a base of 0 (as PyTorch)") {
  auto base = leaf_of({0, 4, 0}, {3});
  auto expo = leaf_of({0, 0, 2}, {3});
  tg::pow(base, expo).sum().backward();
  CHECK(base.grad().to_vector() == std::vector<double>{0, 0, 0});
  // and for a scalar exponent 0
  zero_grad(base);
  base.pow(0.0).sum().backward();
  CHECK(base.grad().to_vector() == std::vector<double>{0, 0, 0});
}

TEST_CASE("pow: the exponent's gradient is 0 where the base is 0, as PyTorch") {
  auto base = leaf_of({0, 0, 2}, {3});
  auto expo = leaf_of({2, 1.5, 3}, {3});
  tg::pow(base, expo).sum().backward();
  const auto ge = expo.grad().to_vector();
  CHECK(ge[0] == 0.0);
  CHECK(ge[1] == 0.0);
  CHECK(ge[2] == doctest::Approx(8 * std::log(2.0)));
  CHECK(base.grad().to_vector() == std::vector<double>{0, 0, 12});
}

// ---- maximum / minimum / where ------------------------------------------------------------------

TEST_CASE("maximum/minimum: gradients away from ties, with broadcasting") {
  auto a = leaf({2, 3}, -1, 1, 14);
  // b differs from a by at least 0.1 everywhere, on both sides
  auto offset = leaf_away_from_zero({2, 3}, 0.1, 15).detach();
  auto b = (a.detach() + offset).detach();
  b.requires_grad_();
  check([](const Inputs& v) { return tg::maximum(v[0], v[1]); }, {a, b});
  check([](const Inputs& v) { return tg::minimum(v[0], v[1]); }, {a, b});
  check([](const Inputs& v) { return v[0].maximum(v[1]) * v[0].minimum(v[1]); }, {a, b});
  auto row = leaf_of({-2.5, 0.05, 2.5}, {3});
  check([](const Inputs& v) { return tg::maximum(v[0], v[1]); }, {a, row});
  check([](const Inputs& v) { return tg::minimum(v[1], v[0]); }, {a, row});
  auto zero_d = leaf_of({0.05}, {});
  check([](const Inputs& v) { return tg::maximum(v[0], v[1]); }, {a, zero_d});
}

TEST_CASE("maximum/minimum: a tie splits the gradient evenly, as PyTorch") {
  auto a = leaf_of({1, 2, 3, -1}, {4});
  auto b = leaf_of({1, 5, 0, -1}, {4});
  SUBCASE("maximum") {
    tg::maximum(a, b).backward(tg::from_vector<double>({2, 2, 2, 4}));
    CHECK(a.grad().to_vector() == std::vector<double>{1, 0, 2, 2});
    CHECK(b.grad().to_vector() == std::vector<double>{1, 2, 0, 2});
  }
  SUBCASE("minimum") {
    tg::minimum(a, b).backward(tg::from_vector<double>({2, 2, 2, 4}));
    CHECK(a.grad().to_vector() == std::vector<double>{1, 2, 0, 2});
    CHECK(b.grad().to_vector() == std::vector<double>{1, 0, 2, 2});
  }
  SUBCASE("a broadcast operand collects its share from every tie") {
    auto s = leaf_of({1}, {});
    auto x = leaf_of({1, 1, 0, 3}, {4});
    tg::maximum(x, s).sum().backward();
    CHECK(x.grad().to_vector() == std::vector<double>{0.5, 0.5, 0, 1});
    CHECK(s.grad().item() == 2.0);
  }
}

TEST_CASE("where: gradients go to the chosen input, with broadcasting") {
  auto cond = tg::tensor<bool>({{true, false, true}, {false, false, true}});
  auto a = leaf({2, 3}, -1, 1, 16);
  auto b = leaf({2, 3}, -1, 1, 17);
  check([&](const Inputs& v) { return tg::where(cond, v[0], v[1]); }, {a, b});
  auto row = leaf({3}, -1, 1, 18);
  auto col = leaf({2, 1}, -1, 1, 19);
  check([&](const Inputs& v) { return tg::where(cond, v[0], v[1]); }, {row, col});
  check([&](const Inputs& v) { return tg::where(cond, v[0], 0.5); }, {a});
  check([&](const Inputs& v) { return tg::where(cond, 0.5, v[0]); }, {b});
  auto ccol = tg::tensor<bool>({{true}, {false}});
  check([&](const Inputs& v) { return tg::where(ccol, v[0], v[1]); }, {a, row});
  // exact: the chosen entries get 1, the others 0; a row broadcast sums
  zero_grad(a);
  zero_grad(row);
  tg::where(cond, a, row).sum().backward();
  CHECK(a.grad().to_vector() == std::vector<double>{1, 0, 1, 0, 0, 1});
  CHECK(row.grad().to_vector() == std::vector<double>{1, 2, 0});
}

// ---- unary math ----------------------------------------------------------------------------------

TEST_CASE("exp/log/log1p/sqrt/rsqrt/sigmoid/tanh/neg: gradients") {
  auto x = leaf({3, 4}, -2, 2, 20);
  auto pos = leaf({3, 4}, 0.2, 3, 21);
  auto gt_m1 = leaf({3, 4}, -0.8, 2, 22);
  check([](const Inputs& v) { return tg::exp(v[0]); }, {x});
  check([](const Inputs& v) { return v[0].exp(); }, {x});
  check([](const Inputs& v) { return tg::log(v[0]); }, {pos});
  check([](const Inputs& v) { return tg::log1p(v[0]); }, {gt_m1});
  check([](const Inputs& v) { return tg::sqrt(v[0]); }, {pos});
  check([](const Inputs& v) { return tg::rsqrt(v[0]); }, {pos});
  check([](const Inputs& v) { return tg::sigmoid(v[0]); }, {x});
  check([](const Inputs& v) { return tg::tanh(v[0]); }, {x});
  check([](const Inputs& v) { return tg::neg(v[0]); }, {x});
  check([](const Inputs& v) { return -v[0]; }, {x});
}

TEST_CASE("abs/relu/clamp: gradients away from the kinks") {
  auto x = leaf_away_from_zero({3, 4}, 0.1, 23);
  check([](const Inputs& v) { return tg::abs(v[0]); }, {x});
  check([](const Inputs& v) { return v[0].relu(); }, {x});
  check([](const Inputs& v) { return tg::relu(v[0]); }, {x});
  // x's magnitudes are in [0.1, 1.5): the bounds +-0.05 are at least 0.05 away
  // from every element, +-2 outside them all.
  check([](const Inputs& v) { return tg::clamp(v[0], -0.05, 0.05); }, {x});
  check([](const Inputs& v) { return tg::clamp(v[0], std::nullopt, 0.05); }, {x});
  check([](const Inputs& v) { return v[0].clamp_min(-0.05); }, {x});
  check([](const Inputs& v) { return v[0].clamp_max(0.05); }, {x});
  check([](const Inputs& v) { return v[0].clamp(-0.05); }, {x});
  check([](const Inputs& v) { return v[0].clamp(-2.0, 2.0); }, {x});
}

TEST_CASE("relu: the gradient at exactly 0 is 0, as PyTorch") {
  auto x = leaf_of({-1, 0, 2, 0}, {4});
  tg::relu(x).sum().backward();
  CHECK(x.grad().to_vector() == std::vector<double>{0, 0, 1, 0});
}

TEST_CASE("relu/clamp/abs: gradients at NaN follow PyTorch (1, 0 and 0)") {
  auto x = leaf_of({std::nan(""), 0.5}, {2});
  tg::relu(x).sum().backward();
  CHECK(x.grad().to_vector() == std::vector<double>{1, 1});  // threshold_backward passes NaN's
  zero_grad(x);
  tg::clamp(x, 0.0, 1.0).sum().backward();
  CHECK(x.grad().to_vector() == std::vector<double>{0, 1});
  zero_grad(x);
  tg::abs(x).sum().backward();
  CHECK(x.grad().to_vector() == std::vector<double>{0, 1});
}

TEST_CASE("abs: the gradient at exactly 0 is 0, as PyTorch") {
  auto x = leaf_of({-1, 0, 2}, {3});
  tg::abs(x).backward(tg::from_vector<double>({3, 3, 3}));
  CHECK(x.grad().to_vector() == std::vector<double>{-3, 0, 3});
}

TEST_CASE("clamp: the gradient at a bound is 1, outside 0, as PyTorch") {
  auto x = leaf_of({-2, -1, 0, 1, 2}, {5});
  SUBCASE("both bounds") {
    tg::clamp(x, -1.0, 1.0).sum().backward();
    CHECK(x.grad().to_vector() == std::vector<double>{0, 1, 1, 1, 0});
  }
  SUBCASE("min only") {
    tg::clamp_min(x, 0.0).sum().backward();
    CHECK(x.grad().to_vector() == std::vector<double>{0, 0, 1, 1, 1});
  }
  SUBCASE("max only") {
    tg::clamp_max(x, 0.0).sum().backward();
    CHECK(x.grad().to_vector() == std::vector<double>{1, 1, 1, 0, 0});
  }
}

// ---- reductions --------------------------------------------------------------------------------

TEST_CASE("sum/mean: gradients over all, one and several dims, with keepdim") {
  auto x = leaf({2, 3, 4}, -1, 1, 24);
  check([](const Inputs& v) { return v[0].sum(); }, {x});
  check([](const Inputs& v) { return v[0].mean(); }, {x});
  for (int64_t d : {0, 1, 2, -1})
    for (bool keep : {false, true}) {
      CAPTURE(d);
      CAPTURE(keep);
      check([d, keep](const Inputs& v) { return v[0].sum(d, keep); }, {x});
      check([d, keep](const Inputs& v) { return v[0].mean(d, keep); }, {x});
    }
  for (bool keep : {false, true}) {
    check([keep](const Inputs& v) { return v[0].sum(tg::Shape{0, 2}, keep); }, {x});
    check([keep](const Inputs& v) { return v[0].mean(tg::Shape{-1, 1}, keep); }, {x});
  }
  CHECK(grad_of_sum(x, [](const TD& t) { return t.mean(); }) == std::vector<double>(24, 1.0 / 24));
}

TEST_CASE("prod: gradients over all and over one dim, also with zeros") {
  auto x = leaf({2, 3, 2}, 0.5, 1.5, 25);
  check([](const Inputs& v) { return v[0].prod(); }, {x});
  for (int64_t d : {0, 1, 2})
    for (bool keep : {false, true}) check([d, keep](const Inputs& v) { return v[0].prod(d, keep); }, {x});
  auto nt = leaf({3, 2}, 0.5, 1.5, 26).t().detach();  // non-contiguous leaf
  nt.requires_grad_();
  check([](const Inputs& v) { return v[0].prod(1); }, {nt});
  SUBCASE("one zero: only the zero's gradient is non-zero") {
    auto z = leaf_of({2, 0, 3, 0.5}, {4});
    check([](const Inputs& v) { return v[0].prod(); }, {z});
    zero_grad(z);
    z.prod().backward();
    CHECK(z.grad().to_vector() == std::vector<double>{0, 3, 0, 0});
  }
  SUBCASE("two zeros: every gradient is 0") {
    auto z = leaf_of({2, 0, 3, 0}, {4});
    check([](const Inputs& v) { return v[0].prod(); }, {z});
    zero_grad(z);
    z.prod().backward();
    CHECK(z.grad().to_vector() == std::vector<double>{0, 0, 0, 0});
  }
  SUBCASE("zeros in some rows") {
    auto z = leaf_of({2, 0, 3, 0, 1, 4, 5, 6, 0.5}, {3, 3});
    check([](const Inputs& v) { return v[0].prod(1); }, {z});
    check([](const Inputs& v) { return v[0].prod(0, true); }, {z});
    zero_grad(z);
    z.prod(1).sum().backward();
    CHECK(z.grad().to_vector() == std::vector<double>{0, 6, 0, 4, 0, 0, 3, 2.5, 30});
  }
}

TEST_CASE("max/min: gradients with and without dim, with keepdim") {
  // distinct values, at least 0.1 apart: a permutation of 0.0, 0.1, ..., 2.3
  auto idx = tg::randperm(24).to<double>();
  auto x = (idx * 0.1 - 1.0).view({2, 3, 4}).detach();
  x.requires_grad_();
  check([](const Inputs& v) { return v[0].max(); }, {x});
  check([](const Inputs& v) { return v[0].min(); }, {x});
  for (int64_t d : {0, 1, 2, -1})
    for (bool keep : {false, true}) {
      CAPTURE(d);
      CAPTURE(keep);
      check([d, keep](const Inputs& v) { return v[0].max(d, keep).values; }, {x});
      check([d, keep](const Inputs& v) { return tg::min(v[0], d, keep).values; }, {x});
    }
  auto nt = x.detach().transpose(0, 2);
  nt.requires_grad_();
  check([](const Inputs& v) { return v[0].max(1).values; }, {nt});
  auto s = leaf({}, -1, 1, 27);
  check([](const Inputs& v) { return v[0].max(0).values; }, {s});
  check([](const Inputs& v) { return v[0].min(); }, {s});
}

TEST_CASE("max/min: ties share the gradient without dim, go to the first index with dim (as PyTorch)") {
  auto x = leaf_of({1, 3, 3, 0, 3, 0}, {2, 3});
  SUBCASE("max() splits evenly among the maxima") {
    x.max().backward();
    CHECK(x.grad().to_vector() == std::vector<double>{0, 1.0 / 3, 1.0 / 3, 0, 1.0 / 3, 0});
  }
  SUBCASE("min() splits evenly among the minima") {
    x.min().backward(tg::tensor<double>(4.0));
    CHECK(x.grad().to_vector() == std::vector<double>{0, 0, 0, 2, 0, 2});
  }
  SUBCASE("max(dim) sends each row's gradient to its index") {
    auto [values, indices] = x.max(1);
    CHECK(indices.to_vector() == std::vector<int64_t>{1, 1});
    values.backward(tg::from_vector<double>({5, 7}));
    CHECK(x.grad().to_vector() == std::vector<double>{0, 5, 0, 0, 7, 0});
  }
  SUBCASE("min(dim, keepdim) likewise") {
    auto r = x.min(1, true);
    CHECK(r.indices.to_vector() == std::vector<int64_t>{0, 0});
    r.values.backward(tg::from_vector<double>({5, 7}, tg::Shape{2, 1}));
    CHECK(x.grad().to_vector() == std::vector<double>{5, 0, 0, 7, 0, 0});
  }
}

TEST_CASE("var/std: gradients over all and one dim, corrections 0 and 1, keepdim") {
  auto x = leaf({3, 4}, -1, 1, 28);
  check([](const Inputs& v) { return v[0].var(); }, {x});
  check([](const Inputs& v) { return v[0].std(); }, {x});
  check([](const Inputs& v) { return v[0].var(0); }, {x});
  check([](const Inputs& v) { return v[0].std(0); }, {x});
  for (int64_t d : {0, 1, -1})
    for (int64_t c : {0, 1})
      for (bool keep : {false, true}) {
        CAPTURE(d);
        CAPTURE(c);
        CAPTURE(keep);
        check([=](const Inputs& v) { return v[0].var(d, c, keep); }, {x});
        check([=](const Inputs& v) { return v[0].std(d, c, keep); }, {x});
      }
  auto y = leaf({2, 3, 4}, -1, 1, 29);
  check([](const Inputs& v) { return tg::var(v[0], tg::Shape{0, 2}, 1, true); }, {y});
  check([](const Inputs& v) { return tg::std(v[0], tg::Shape{1, 2}, 0); }, {y});
}

TEST_CASE("logsumexp/softmax/log_softmax: gradients over each dim") {
  auto x = leaf({2, 3, 4}, -2, 2, 30);
  for (int64_t d : {0, 1, 2, -1}) {
    CAPTURE(d);
    check([d](const Inputs& v) { return v[0].logsumexp(d); }, {x});
    check([d](const Inputs& v) { return v[0].logsumexp(d, true); }, {x});
    check([d](const Inputs& v) { return v[0].softmax(d); }, {x});
    check([d](const Inputs& v) { return v[0].log_softmax(d); }, {x});
  }
  auto nt = leaf({4, 3}, -2, 2, 31).t().detach();
  nt.requires_grad_();
  check([](const Inputs& v) { return tg::softmax(v[0], 1); }, {nt});
  check([](const Inputs& v) { return tg::log_softmax(v[0], 0); }, {nt});
  check([](const Inputs& v) { return tg::logsumexp(v[0], 1); }, {nt});
  auto big = leaf_of({1000, 1001, -1000, 3}, {2, 2});
  check([](const Inputs& v) { return tg::log_softmax(v[0], 1); }, {big});
  check([](const Inputs& v) { return tg::logsumexp(v[0], 1); }, {big});
}

TEST_CASE("logsumexp/softmax/log_softmax: a 0-d input has gradient 1, 0 and 0") {
  auto s = leaf_of({0.3}, {});
  check([](const Inputs& v) { return v[0].logsumexp(0); }, {s});
  check([](const Inputs& v) { return v[0].softmax(0); }, {s});
  check([](const Inputs& v) { return v[0].log_softmax(-1); }, {s});
  zero_grad(s);
  s.logsumexp(0).backward();
  CHECK(s.grad().item() == doctest::Approx(1.0));
}

// ---- matmul family -------------------------------------------------------------------------------

TEST_CASE("mm/mv/dot/bmm/outer: gradients") {
  auto a = leaf({3, 4}, -1, 1, 32);
  auto b = leaf({4, 5}, -1, 1, 33);
  auto v = leaf({4}, -1, 1, 34);
  auto w = leaf({4}, -1, 1, 35);
  check([](const Inputs& in) { return tg::mm(in[0], in[1]); }, {a, b});
  check([](const Inputs& in) { return in[0].mm(in[1]); }, {a, b});
  check([](const Inputs& in) { return tg::mv(in[0], in[1]); }, {a, v});
  check([](const Inputs& in) { return tg::dot(in[0], in[1]); }, {v, w});
  check([](const Inputs& in) { return in[0].dot(in[0]); }, {v});
  check([](const Inputs& in) { return tg::outer(in[0], in[1]); }, {v, w});
  auto ba = leaf({2, 3, 4}, -1, 1, 36);
  auto bb = leaf({2, 4, 5}, -1, 1, 37);
  check([](const Inputs& in) { return tg::bmm(in[0], in[1]); }, {ba, bb});
  SUBCASE("transposed operands") {
    auto at = leaf({4, 3}, -1, 1, 38).t().detach();
    at.requires_grad_();
    check([](const Inputs& in) { return tg::mm(in[0], in[1]); }, {at, b});
    check([](const Inputs& in) { return tg::mm(in[1].t(), in[0].t()); }, {at, b});
    check([](const Inputs& in) { return tg::bmm(in[0].transpose(1, 2), in[1].transpose(1, 2)); },
          {leaf({2, 4, 3}, -1, 1, 39), leaf({2, 5, 4}, -1, 1, 40)});
  }
}

TEST_CASE("matmul: gradients for 1-D, 2-D, batched, broadcast-batch and folded shapes") {
  struct Case {
    tg::Shape sa, sb;
  };
  for (const Case& c : {Case{{4}, {4}}, Case{{4}, {4, 3}}, Case{{3, 4}, {4}}, Case{{3, 4}, {4, 5}},
                        Case{{2, 3, 4}, {2, 4, 5}}, Case{{2, 1, 3, 4}, {3, 4, 2}}, Case{{5, 3, 4}, {4}},
                        Case{{4}, {5, 4, 3}}, Case{{1, 3, 4}, {2, 4, 2}}, Case{{2, 3, 4}, {4, 5}},
                        Case{{3, 4}, {2, 4, 5}}, Case{{2, 2, 3, 4}, {4}}}) {
    CAPTURE(c.sa);
    CAPTURE(c.sb);
    auto a = leaf(c.sa, -1, 1, 41);
    auto b = leaf(c.sb, -1, 1, 42);
    check([](const Inputs& in) { return tg::matmul(in[0], in[1]); }, {a, b});
    check([](const Inputs& in) { return in[0].matmul(in[1]); }, {a, b});
    CHECK(tg::matmul(a, b).requires_grad());
  }
  SUBCASE("only one operand requires grad") {
    auto a = leaf({2, 3, 4}, -1, 1, 43);
    auto b = tg::rand<double>({4, 5});
    check([&](const Inputs& in) { return tg::matmul(in[0], b); }, {a});
    check([&](const Inputs& in) { return tg::matmul(b.t(), in[0].transpose(1, 2)); }, {a});
  }
}

TEST_CASE("addmm: gradients of bias, a and b with beta and alpha") {
  auto a = leaf({3, 4}, -1, 1, 44);
  auto b = leaf({4, 5}, -1, 1, 45);
  for (const tg::Shape& bias_shape : {tg::Shape{3, 5}, tg::Shape{5}, tg::Shape{1, 5}, tg::Shape{3, 1}, tg::Shape{}}) {
    CAPTURE(bias_shape);
    auto bias = leaf(bias_shape, -1, 1, 46);
    check([](const Inputs& in) { return tg::addmm(in[0], in[1], in[2]); }, {bias, a, b});
    check([](const Inputs& in) { return tg::addmm(in[0], in[1], in[2], 0.5, 2.0); }, {bias, a, b});
  }
  auto bias = leaf({5}, -1, 1, 47);
  check([](const Inputs& in) { return tg::addmm(in[0], in[1].t(), in[2].t(), -1.5, 0.25); },
        {bias, leaf({4, 3}, -1, 1, 48), leaf({5, 4}, -1, 1, 49)});
  // beta = 0 ignores the bias, so its gradient is 0
  zero_grad(bias);
  tg::addmm(bias, a, b, 0.0).sum().backward();
  CHECK(bias.grad().to_vector() == std::vector<double>(5, 0.0));
}

// ---- views and copies ----------------------------------------------------------------------------

TEST_CASE("view/reshape/flatten/unsqueeze/squeeze: gradients") {
  auto x = leaf({2, 3, 4}, -1, 1, 50);
  // Multiplying by a fixed pattern makes every position of the view count differently.
  check([](const Inputs& v) { return v[0].view({6, 4}); }, {x});
  check([](const Inputs& v) { return v[0].view({-1}); }, {x});
  check([](const Inputs& v) { return v[0].view({2, -1, 2}).exp(); }, {x});
  check([](const Inputs& v) { return v[0].reshape({4, 6}); }, {x});
  // the copy path: a transposed tensor cannot be viewed
  check([](const Inputs& v) { return v[0].transpose(0, 2).reshape({-1}); }, {x});
  check([](const Inputs& v) { return v[0].transpose(0, 1).reshape({3, 8}) * v[0].view({3, 8}); }, {x});
  check([](const Inputs& v) { return v[0].flatten(); }, {x});
  check([](const Inputs& v) { return v[0].flatten(1); }, {x});
  check([](const Inputs& v) { return v[0].transpose(1, 2).flatten(0, 1); }, {x});
  check([](const Inputs& v) { return v[0].unsqueeze(0); }, {x});
  check([](const Inputs& v) { return v[0].unsqueeze(-1) * v[0].unsqueeze(1).sum(2, true); }, {x});
  auto s = leaf({1, 3, 1}, -1, 1, 51);
  check([](const Inputs& v) { return v[0].squeeze(); }, {s});
  check([](const Inputs& v) { return v[0].squeeze(0); }, {s});
  check([](const Inputs& v) { return v[0].squeeze(1); }, {s});
  check([](const Inputs& v) { return v[0].squeeze(-1); }, {s});
  auto z = leaf({}, -1, 1, 52);
  check([](const Inputs& v) { return v[0].flatten(); }, {z});
  check([](const Inputs& v) { return v[0].squeeze(0) * 2.0; }, {z});
  check([](const Inputs& v) { return v[0].squeeze(-1).exp(); }, {z});
  CHECK(z.squeeze(0).requires_grad());  // as PyTorch, even though nothing is squeezed
  check([](const Inputs& v) { return v[0].unsqueeze(0).unsqueeze(0).squeeze(); }, {z});
  check([](const Inputs& v) { return v[0].view({1, 1}); }, {z});
}

TEST_CASE("transpose/t/permute/expand: gradients") {
  auto x = leaf({2, 3, 4}, -1, 1, 53);
  check([](const Inputs& v) { return v[0].transpose(0, 2); }, {x});
  check([](const Inputs& v) { return v[0].transpose(-1, 1).exp(); }, {x});
  check([](const Inputs& v) { return v[0].permute({2, 0, 1}); }, {x});
  check([](const Inputs& v) { return v[0].permute({1, 2, 0}).contiguous(); }, {x});
  auto m = leaf({3, 4}, -1, 1, 54);
  check([](const Inputs& v) { return v[0].t(); }, {m});
  check([](const Inputs& v) { return v[0].t().t() * v[0]; }, {m});
  auto col = leaf({3, 1}, -1, 1, 55);
  check([](const Inputs& v) { return v[0].expand({3, 4}); }, {col});
  check([](const Inputs& v) { return v[0].expand({2, 3, 4}); }, {col});
  check([](const Inputs& v) { return v[0].expand({-1, 5}) * v[0].t().expand({5, 3}).t(); }, {col});
  check([&](const Inputs& v) { return v[0].expand_as(m); }, {col});
  auto z = leaf({}, -1, 1, 56);
  check([](const Inputs& v) { return v[0].expand({2, 3}); }, {z});
  // exact: every copy of an expanded element adds its gradient
  zero_grad(col);
  col.expand({2, 3, 4}).sum().backward();
  CHECK(col.grad().to_vector() == std::vector<double>(3, 8.0));
}

TEST_CASE("narrow/select/slice/x[i]: gradients land in the selected part") {
  auto x = leaf({4, 5, 3}, -1, 1, 57);
  check([](const Inputs& v) { return v[0].narrow(1, 1, 3); }, {x});
  check([](const Inputs& v) { return v[0].narrow(0, -2, 2); }, {x});
  check([](const Inputs& v) { return v[0].select(1, 2); }, {x});
  check([](const Inputs& v) { return v[0].select(2, -1); }, {x});
  check([](const Inputs& v) { return v[0].slice(1, 0, 5, 2); }, {x});
  check([](const Inputs& v) { return v[0].slice(0, 1, std::nullopt, 3); }, {x});
  check([](const Inputs& v) { return v[0].slice(-1, -2); }, {x});
  check([](const Inputs& v) { return v[0][2]; }, {x});
  check([](const Inputs& v) { return v[0][-1][1] * v[0][0][3]; }, {x});
  // overlapping selections add up
  check([](const Inputs& v) { return v[0].narrow(1, 0, 3) + v[0].narrow(1, 2, 3); }, {x});
  auto y = leaf_of({1, 2, 3, 4, 5, 6}, {6});
  (y.slice(0, 1, 6, 2) * 2.0).sum().backward();
  CHECK(y.grad().to_vector() == std::vector<double>{0, 2, 0, 2, 0, 2});
  zero_grad(y);
  (y[3] + y.select(0, 3) + y.narrow(0, 2, 2).sum()).backward();
  CHECK(y.grad().to_vector() == std::vector<double>{0, 0, 1, 3, 0, 0});
}

TEST_CASE("contiguous/clone: the gradient passes straight through") {
  auto x = leaf({3, 4}, -1, 1, 58);
  check([](const Inputs& v) { return v[0].clone(); }, {x});
  check([](const Inputs& v) { return v[0].contiguous(); }, {x});
  check([](const Inputs& v) { return v[0].t().contiguous(); }, {x});
  check([](const Inputs& v) { return v[0].t().clone().exp(); }, {x});
  CHECK(grad_of_sum(x, [](const TD& t) { return t.t().contiguous() * 2.0; }) == std::vector<double>(12, 2.0));
}

TEST_CASE("to: a float round trip passes the gradient back exactly") {
  auto x = leaf({2, 3}, -1, 1, 59);
  auto y = x.to<float>();
  CHECK(y.requires_grad());
  CHECK(y.grad_fn_name() == "ToCopyBackward0");
  y.to<double>().sum().backward();
  CHECK(x.grad().to_vector() == std::vector<double>(6, 1.0));
  // a weight exactly representable in float comes back unchanged
  zero_grad(x);
  auto w = tg::from_vector<double>({0.5, -2, 3, 0.25, 8, -1}, tg::Shape{2, 3});
  (x.to<float>().to<double>() * w).sum().backward();
  CHECK(x.grad().to_vector() == w.to_vector());
  // to<T>() of the same dtype is the tensor itself
  CHECK(x.to<double>().is_same(x));
}

// ---- input layouts and graph shapes -----------------------------------------------------------

TEST_CASE("non-contiguous leaves: transposed, sliced and stepped inputs") {
  auto base = leaf({4, 6}, -1, 1, 60).detach();
  auto tr = base.t();
  tr.requires_grad_();
  auto sl = base.slice(1, 1, 6, 2);
  sl.requires_grad_();
  REQUIRE_FALSE(tr.is_contiguous());
  REQUIRE_FALSE(sl.is_contiguous());
  auto w = leaf({4, 3}, -1, 1, 61);
  check([](const Inputs& v) { return v[0].exp() * v[0]; }, {tr});
  check([](const Inputs& v) { return v[0] * v[1]; }, {sl, w});
  check([](const Inputs& v) { return tg::mm(v[0], v[1]); }, {tr, w});
  check([](const Inputs& v) { return v[0].softmax(1).sum(0); }, {sl});
  check([](const Inputs& v) { return v[0].sum(1) + v[0].max(0).values.sum(); }, {sl});
}

TEST_CASE("expanded inputs: an expanded intermediate sums its gradient back") {
  auto x = leaf({3, 1}, -1, 1, 62);
  auto y = leaf({4}, 0.5, 1.5, 63);
  check([](const Inputs& v) { return v[0].expand({3, 4}) * v[1]; }, {x, y});
  check([](const Inputs& v) { return (v[0].expand({3, 4}) / v[1].expand({3, 4})).exp(); }, {x, y});
  check([](const Inputs& v) { return tg::mm(v[0].expand({3, 4}), v[1].unsqueeze(1).expand({4, 2})); }, {x, y});
}

TEST_CASE("0-d inputs: gradients of scalars through every kind of op") {
  auto s = leaf({}, 0.5, 1.5, 64);
  auto t = leaf({}, -1, 1, 65);
  auto m = leaf({2, 3}, -1, 1, 66);
  check([](const Inputs& v) { return v[0] * v[1] + v[0].exp() - v[1].tanh() / v[0]; }, {s, t});
  check([](const Inputs& v) { return v[0].log() * v[1].sigmoid() + v[0].sqrt(); }, {s, t});
  check([](const Inputs& v) { return v[0] * v[2] + v[1]; }, {s, t, m});
  check([](const Inputs& v) { return (v[2] * v[0]).sum() * v[1]; }, {s, t, m});
  check([](const Inputs& v) { return v[0].sum() + v[0].mean() + v[0].prod() + v[0].max(); }, {s});
  zero_grad(s);
  (s * 3.0).backward();
  CHECK(s.grad().dim() == 0);
  CHECK(s.grad().item() == 3.0);
}

TEST_CASE("reuse: a tensor used twice gets both contributions") {
  auto x = leaf({2, 3}, -1, 1, 67);
  check([](const Inputs& v) { return v[0] * v[0]; }, {x});
  check([](const Inputs& v) { return v[0] + v[0]; }, {x});
  check([](const Inputs& v) { return v[0] / (v[0] * v[0] + 1.0); }, {x});
  check([](const Inputs& v) { return tg::mm(v[0], v[0].t()); }, {x});
  auto y = leaf_of({1, -2, 3}, {3});
  (y * y).sum().backward();
  CHECK(y.grad().to_vector() == std::vector<double>{2, -4, 6});
  zero_grad(y);
  (y + y + y).sum().backward();
  CHECK(y.grad().to_vector() == std::vector<double>{3, 3, 3});
}

TEST_CASE("reuse: a value feeding two branches sums the branches' gradients") {
  auto x = leaf({2, 3}, -1, 1, 68);
  // y = exp(x); z = y * y + tanh(y): dz/dx = (2 y + 1 - tanh(y)^2) y
  check([](const Inputs& v) {
    auto y = v[0].exp();
    return y * y + y.tanh();
  }, {x});
  check([](const Inputs& v) {
    auto y = v[0].sigmoid();
    auto a = y.sum(0);
    auto b = y.max(1).values;
    return a.sum() * b.sum() + y.softmax(1).sum();
  }, {x});
  // a diamond: two paths of different lengths from x to the output
  check([](const Inputs& v) {
    auto h = v[0] * 2.0;
    auto p = h.exp().log().tanh();
    auto q = h.sigmoid();
    return p * q + h;
  }, {x});
  // exact values of the first one
  zero_grad(x);
  auto y = x.exp();
  auto z = (y * y + y.tanh()).sum();
  z.backward();
  const auto yv = y.detach().to_vector();
  const auto g = x.grad().to_vector();
  for (size_t i = 0; i < yv.size(); ++i) {
    const double th = std::tanh(yv[i]);
    CHECK(g[i] == doctest::Approx((2 * yv[i] + 1 - th * th) * yv[i]).epsilon(1e-12));
  }
}

TEST_CASE("composites: a small network's loss has correct gradients for every parameter") {
  auto x = leaf({5, 4}, -1, 1, 69);
  auto w1 = leaf({4, 6}, -1, 1, 70);
  auto b1 = leaf({6}, -0.1, 0.1, 71);
  auto w2 = leaf({6, 3}, -1, 1, 72);
  check([](const Inputs& v) {
    // tanh keeps the hidden layer smooth (relu's kink would defeat finite differences)
    auto h = tg::addmm(v[2], v[0], v[1]).tanh();
    auto logits = h.matmul(v[3]);
    return -logits.log_softmax(1).select(1, 0).mean() + (v[1] * v[1]).sum() * 0.01;
  }, {x, w1, b1, w2});
}
