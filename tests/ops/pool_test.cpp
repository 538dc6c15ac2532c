// max_pool1d/2d, avg_pool1d/2d, adaptive average and max pooling and
// max_unpool2d: values, indices and gradients against PyTorch
// (tests/reference/conv.txt), gradcheck in double, errors.
#include "support/conv_ref.hpp"

#include <tapegrad/ops/pool.hpp>

#include <functional>
#include <string>
#include <tuple>
#include <vector>

namespace {

namespace tg = tapegrad;
using tg::Tensor;
using conv_test::leaf;
using conv_test::load;

using Pooled = std::tuple<Tensor<double>, Tensor<int64_t>>;

/// Runs f on the case's .x (as `view`); checks .out, .out1 (indices, when f
/// gives them) and the input's gradient for .gout.
template <class T, class F>
void check_pool(const std::string& base, F f, const std::string& view = "c") {
  CAPTURE(base);
  CAPTURE(view);
  auto x = leaf<T>(base + ".x", view);
  auto r = f(x);
  Tensor<T> out;
  if constexpr (std::is_same_v<decltype(r), Tensor<T>>) {
    out = r;
  } else {
    out = std::get<0>(r);
    const auto idx = std::get<1>(r);
    const auto& want = conv_test::rec(base + ".out1");
    CHECK(idx.sizes() == tapegrad_test::shape_of(want));
    CHECK(idx.to_vector() == want.ints);
  }
  CONV_CHECK_REF(out, base + ".out");
  out.backward(load<T>(base + ".gout"));
  CONV_CHECK_REF(x.grad(), base + ".gx");
}

}  // namespace

TEST_CASE_TEMPLATE("max_pool2d: values, indices and gradients match PyTorch", T, float, double) {
  for (const char* view : {"c", "s"}) {
    check_pool<T>("max_pool2d.k2", [](const Tensor<T>& x) { return tg::max_pool2d_with_indices(x, 2); }, view);
    check_pool<T>("max_pool2d.k3s2p1_ceil",
                  [](const Tensor<T>& x) { return tg::max_pool2d_with_indices(x, 3, 2, 1, 1, true); }, view);
    check_pool<T>("max_pool2d.rect_dil",
                  [](const Tensor<T>& x) { return tg::max_pool2d_with_indices(x, {3, 2}, {2, 1}, {1, 0}, 2); }, view);
    check_pool<T>("max_pool2d.unbatched_ceil",
                  [](const Tensor<T>& x) { return tg::max_pool2d_with_indices(x, 2, 2, 0, 1, true); }, view);
  }
}

TEST_CASE_TEMPLATE("avg_pool2d: count_include_pad, ceil_mode and divisor_override match PyTorch", T, float, double) {
  check_pool<T>("avg_pool2d.k2", [](const Tensor<T>& x) { return tg::avg_pool2d(x, 2); });
  check_pool<T>("avg_pool2d.k3s2p1_ceil_nopad", [](const Tensor<T>& x) { return tg::avg_pool2d(x, 3, 2, 1, true, false); });
  check_pool<T>("avg_pool2d.k3s2p1_ceil_pad", [](const Tensor<T>& x) { return tg::avg_pool2d(x, 3, 2, 1, true, true); },
                "t");
  check_pool<T>("avg_pool2d.divisor",
                [](const Tensor<T>& x) { return tg::avg_pool2d(x, {3, 2}, {2, 1}, {1, 1}, false, true, 5); });
}

TEST_CASE_TEMPLATE("adaptive_avg_pool2d and adaptive_max_pool2d: overlapping windows match PyTorch", T, float, double) {
  check_pool<T>("adaptive_avg_pool2d.a", [](const Tensor<T>& x) { return tg::adaptive_avg_pool2d(x, {3, 2}); });
  check_pool<T>("adaptive_avg_pool2d.b", [](const Tensor<T>& x) { return tg::adaptive_avg_pool2d(x, 4); }, "s");
  check_pool<T>("adaptive_max_pool2d.a",
                [](const Tensor<T>& x) { return tg::adaptive_max_pool2d_with_indices(x, {3, 2}); });
  check_pool<T>("adaptive_max_pool2d.b", [](const Tensor<T>& x) { return tg::adaptive_max_pool2d_with_indices(x, 4); });
}

TEST_CASE_TEMPLATE("max_pool1d and avg_pool1d: values and gradients match PyTorch", T, float, double) {
  check_pool<T>("max_pool1d.a", [](const Tensor<T>& x) { return tg::max_pool1d_with_indices(x, 3, 2, 1, 1, true); });
  check_pool<T>("avg_pool1d.a", [](const Tensor<T>& x) { return tg::avg_pool1d(x, 3, 2, 1, true, false); });
}

TEST_CASE_TEMPLATE("max_unpool2d: places values at the indices, as PyTorch, with and without output_size", T, float,
                   double) {
  const auto idx = load<int64_t>("max_unpool2d.a.indices");
  check_pool<T>("max_unpool2d.a", [&](const Tensor<T>& x) { return tg::max_unpool2d(x, idx, 2); });
  auto x = load<T>("max_unpool2d.a.x");
  CONV_CHECK_REF(tg::max_unpool2d(x, idx, 2, tg::ExpandingArray<2>::none(), 0, tg::Shape{7, 5}),
                 "max_unpool2d.a.out_size");
  CHECK_THROWS_WITH_AS(tg::max_unpool2d(x, idx, 2, tg::ExpandingArray<2>::none(), 0, tg::Shape{9, 4}),
                       "max_unpool2d: invalid output_size [9, 4] (dim 0 must be between 4 and 8)", tg::ValueError);
}

TEST_CASE("max_pool2d, avg_pool2d, adaptive pooling: gradcheck in double") {
  tg::manual_seed(5);
  using V = const std::vector<Tensor<double>>&;
  auto check = [](const std::function<Tensor<double>(V)>& f, const tg::Shape& shape) {
    // distinct values a few eps apart would make max pooling's numeric gradient jump: spread them
    auto x = tg::randperm<double>(tg::shape_numel(shape)).view(shape) * 0.1;
    x.requires_grad_();
    const auto r = tg::gradcheck(f, {x});
    CHECK_MESSAGE(r.ok, r.message);
  };
  check([](V v) { return tg::max_pool2d(v[0], 3, 2, 1, {1, 2}, true); }, {2, 2, 6, 7});
  check([](V v) { return tg::avg_pool2d(v[0], 3, 2, 1, true, false); }, {1, 2, 5, 6});
  check([](V v) { return tg::avg_pool2d(v[0], 2, 1, 1, false, true, 3); }, {1, 1, 4, 4});
  check([](V v) { return tg::adaptive_avg_pool2d(v[0], {3, 4}); }, {1, 2, 5, 7});
  check([](V v) { return tg::adaptive_max_pool2d(v[0], 3); }, {1, 2, 5, 5});
  check([](V v) { return tg::max_pool1d(v[0], 2, 1, 1); }, {2, 7});
  check([](V v) { return tg::avg_pool1d(v[0], 3, 2, 1); }, {1, 2, 7});
}

TEST_CASE("max_pool2d: an empty batch gives an empty output and gradient") {
  auto x = tg::zeros<float>({0, 3, 4, 4});
  x.requires_grad_();
  auto y = tg::max_pool2d(x, 2);
  CHECK(y.sizes() == tg::Shape{0, 3, 2, 2});
  y.sum().backward();
  CHECK(x.grad().sizes() == tg::Shape{0, 3, 4, 4});
}

TEST_CASE("max_pool2d: NaN wins its window, as in PyTorch") {
  auto x = tg::tensor<float>({{{1, NAN}, {3, 2}}});  // [1, 2, 2]
  auto [v, i] = tg::max_pool2d_with_indices(x, 2);
  CHECK(std::isnan(v.item()));
  CHECK(i.item() == 1);
}

TEST_CASE("max_pool2d, avg_pool2d: reject bad ranks, padding, strides and inputs too small") {
  auto x = tg::zeros<float>({1, 1, 4, 4});
  CHECK_THROWS_WITH_AS(tg::max_pool2d(tg::zeros<float>({4, 4}), 2),
                       "max_pool2d: expected a 3-D (unbatched) or 4-D (batched) input, got input[4, 4]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::max_pool2d(x, 2, 2, 2),
                       "max_pool2d: pad should be at most half of kernel size, got padding (2, 2) and kernel_size (2, 2)",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::avg_pool2d(x, 2, 0), "avg_pool2d: stride must be greater than zero, got (0, 0)",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::max_pool2d(x, 5),
                       "max_pool2d: input[1, 1, 4, 4] is too small: the output would be 0 x 0 (kernel_size (5, 5), "
                       "stride (5, 5), padding (0, 0), dilation (1, 1))",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::avg_pool2d(x, 2, 2, 0, false, true, 0), "avg_pool2d: divisor must be not zero",
                       tg::ValueError);
}
