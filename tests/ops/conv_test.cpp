// conv2d, conv1d, conv_transpose2d, unfold, fold and pad: values and
// gradients against PyTorch (tests/reference/conv.txt, tools/gen_ref_conv.py)
// for a grid of shapes, gradcheck in double, and the errors.
#include "support/conv_ref.hpp"

#include <functional>
#include <string>
#include <vector>

namespace {

namespace tg = tapegrad;
using tg::Tensor;
using conv_test::leaf;
using conv_test::load;

template <class T>
using Op3 = std::function<Tensor<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&)>;

/// Runs op on the case's .x (laid out as `view`), .w and .b (if recorded), and
/// checks .out and the gradients for upstream .gout against the record.
template <class T>
void check_case(const std::string& base, const Op3<T>& op, const std::string& view = "c") {
  CAPTURE(base);
  CAPTURE(view);
  auto x = leaf<T>(base + ".x", view);
  auto w = leaf<T>(base + ".w");
  const bool has_b = tapegrad_test::has_ref("conv.txt", base + ".b");
  auto b = has_b ? leaf<T>(base + ".b") : Tensor<T>();
  auto out = op(x, w, b);
  CONV_CHECK_REF(out, base + ".out");
  out.backward(load<T>(base + ".gout"));
  CONV_CHECK_REF(x.grad(), base + ".gx");
  CONV_CHECK_REF(w.grad(), base + ".gw");
  if (has_b) CONV_CHECK_REF(b.grad(), base + ".gb");
}

template <class T>
std::vector<std::pair<std::string, Op3<T>>> conv2d_cases() {
  using A = const Tensor<T>&;
  return {
      {"basic", [](A x, A w, A b) { return tg::conv2d(x, w, b); }},
      {"batch_pad", [](A x, A w, A b) { return tg::conv2d(x, w, b, 1, 1); }},
      {"stride", [](A x, A w, A b) { return tg::conv2d(x, w, b, {2, 3}, {1, 0}); }},
      {"dilation", [](A x, A w, A b) { return tg::conv2d(x, w, b, 1, 2, {2, 1}); }},
      {"groups", [](A x, A w, A b) { return tg::conv2d(x, w, b, 1, 1, 1, 2); }},
      {"depthwise", [](A x, A w, A b) { return tg::conv2d(x, w, b, 2, 1, 1, 3); }},
      {"same_even", [](A x, A w, A b) { return tg::conv2d(x, w, b, 1, "same", {2, 1}); }},
      {"valid", [](A x, A w, A b) { return tg::conv2d(x, w, b, 1, "valid"); }},
      {"pointwise", [](A x, A w, A b) { return tg::conv2d(x, w, b); }},
      {"lenet", [](A x, A w, A b) { return tg::conv2d(x, w, b, 1, 2); }},
      {"empty_batch", [](A x, A w, A b) { return tg::conv2d(x, w, b, 1, 1); }},
      {"unbatched", [](A x, A w, A b) { return tg::conv2d(x, w, b, {1, 2}, {1, 1}); }},
  };
}

}  // namespace

TEST_CASE_TEMPLATE("conv2d: values and gradients match PyTorch over strides, padding, dilation and groups", T, float,
                   double) {
  for (const auto& [name, op] : conv2d_cases<T>()) check_case<T>("conv2d." + name, op);
}

TEST_CASE_TEMPLATE("conv2d: a non-contiguous input gives the same values and gradients", T, float, double) {
  for (const auto& [name, op] : conv2d_cases<T>())
    if (name != "empty_batch") {
      check_case<T>("conv2d." + name, op, "s");
      check_case<T>("conv2d." + name, op, "t");
    }
}

TEST_CASE_TEMPLATE("conv2d: two threads give the same values and gradients", T, float, double) {
  const int before = tg::get_num_threads();
  tg::set_num_threads(2);
  for (const auto& [name, op] : conv2d_cases<T>()) check_case<T>("conv2d." + name, op);
  tg::set_num_threads(before);
}

TEST_CASE_TEMPLATE("conv1d: values and gradients match PyTorch", T, float, double) {
  using A = const Tensor<T>&;
  check_case<T>("conv1d.basic", [](A x, A w, A b) { return tg::conv1d(x, w, b, 2, 1); });
  check_case<T>("conv1d.same_dil", [](A x, A w, A b) { return tg::conv1d(x, w, b, 1, "same", 2, 2); });
  check_case<T>("conv1d.unbatched", [](A x, A w, A b) { return tg::conv1d(x, w, b); });
}

TEST_CASE_TEMPLATE("conv_transpose2d: values and gradients match PyTorch", T, float, double) {
  using A = const Tensor<T>&;
  check_case<T>("conv_transpose2d.basic", [](A x, A w, A b) { return tg::conv_transpose2d(x, w, b, 2, 1, 1); });
  check_case<T>("conv_transpose2d.groups_dil",
                [](A x, A w, A b) { return tg::conv_transpose2d(x, w, b, {1, 2}, {1, 0}, {0, 1}, 2, 2); });
  check_case<T>("conv_transpose2d.unbatched", [](A x, A w, A b) { return tg::conv_transpose2d(x, w, b); });
  check_case<T>("conv_transpose2d.basic", [](A x, A w, A b) { return tg::conv_transpose2d(x, w, b, 2, 1, 1); }, "s");
}

TEST_CASE_TEMPLATE("unfold and fold: values and gradients match PyTorch", T, float, double) {
  auto x = leaf<T>("unfold.x");
  auto u = tg::unfold(x, {2, 3}, {1, 2}, 1, {2, 1});
  CONV_CHECK_REF(u, "unfold.out");
  u.backward(load<T>("unfold.gout"));
  CONV_CHECK_REF(x.grad(), "unfold.gx");
  auto c = leaf<T>("fold.x", "s");
  auto f = tg::fold(c, {4, 5}, 2, 1, 1, 2);
  CONV_CHECK_REF(f, "fold.out");
  f.backward(load<T>("fold.gout"));
  CONV_CHECK_REF(c.grad(), "fold.gx");
}

TEST_CASE("conv2d: gradcheck in double over stride, padding, dilation and groups") {
  tg::manual_seed(3);
  struct Case {
    tg::Shape x, w;
    tg::ExpandingArray<2> s, d;
    tg::ConvPadding<2> p;
    int64_t g;
  };
  const std::vector<Case> cases{
      {{2, 2, 5, 4}, {3, 2, 3, 2}, 1, 1, 1, 1},
      {{1, 4, 6, 5}, {4, 2, 3, 3}, {2, 1}, {1, 2}, {2, 1}, 2},
      {{2, 3, 4, 4}, {3, 1, 2, 2}, 1, 1, "same", 3},
      {{1, 2, 5, 5}, {2, 2, 1, 1}, 1, 1, 0, 1},
      // the direct kernels (Note [Direct convolution for few input channels]): row stride and dilation;
      // 75 taps (forward direct, backward-weight on the GEMM)
      {{2, 1, 9, 7}, {5, 1, 3, 3}, {2, 1}, {2, 1}, {1, 2}, 1},
      {{1, 3, 7, 6}, {2, 3, 5, 5}, 1, 1, 1, 1},
  };
  for (const auto& c : cases) {
    std::vector<Tensor<double>> in{tg::randn<double>(c.x), tg::randn<double>(c.w), tg::randn<double>({c.w[0]})};
    for (auto& t : in) t.requires_grad_();
    const auto r = tg::gradcheck(
        [&](const std::vector<Tensor<double>>& v) { return tg::conv2d(v[0], v[1], v[2], c.s, c.p, c.d, c.g); }, in);
    CHECK_MESSAGE(r.ok, r.message);
  }
}

TEST_CASE("conv_transpose2d, conv1d, unfold, fold and pad: gradcheck in double") {
  tg::manual_seed(4);
  auto check = [](const std::function<Tensor<double>(const std::vector<Tensor<double>>&)>& f,
                  std::vector<Tensor<double>> in) {
    for (auto& t : in) t.requires_grad_();
    const auto r = tg::gradcheck(f, in);
    CHECK_MESSAGE(r.ok, r.message);
  };
  using V = const std::vector<Tensor<double>>&;
  check([](V v) { return tg::conv_transpose2d(v[0], v[1], v[2], 2, 1, 1, 2, {1, 2}); },
        {tg::randn<double>({2, 4, 3, 3}), tg::randn<double>({4, 1, 3, 2}), tg::randn<double>({2})});
  check([](V v) { return tg::conv1d(v[0], v[1], v[2], 2, 1, 2); },
        {tg::randn<double>({2, 3, 9}), tg::randn<double>({2, 3, 3}), tg::randn<double>({2})});
  check([](V v) { return tg::unfold(v[0], {2, 3}, 1, 1, {1, 2}); }, {tg::randn<double>({1, 2, 4, 5})});
  check([](V v) { return tg::fold(v[0], {3, 4}, 2, 1, 0, 1); }, {tg::randn<double>({1, 8, 6})});
  for (const char* mode : {"constant", "reflect", "replicate", "circular"})
    check([mode](V v) { return tg::pad(v[0], {2, 1, 1, 2}, mode, mode == std::string("constant") ? 0.5 : 0.0); },
          {tg::randn<double>({2, 1, 3, 4})});
}

TEST_CASE("pad: reflect, replicate and circular padding place the expected values") {
  auto x = tg::tensor<float>({{1, 2, 3}});  // [1, 3]
  CHECK(tg::pad(x, {2, 1}, "reflect").to_vector() == std::vector<float>{3, 2, 1, 2, 3, 2});
  CHECK(tg::pad(x, {2, 1}, "replicate").to_vector() == std::vector<float>{1, 1, 1, 2, 3, 3});
  CHECK(tg::pad(x.unsqueeze(0), {2, 1}, "circular").to_vector() == std::vector<float>{2, 3, 1, 2, 3, 1});
  CHECK(tg::pad(x, {1, 1}, "constant", 7).to_vector() == std::vector<float>{7, 1, 2, 3, 7});
  CHECK_THROWS_WITH_AS(tg::pad(x, {3, 0}, "reflect"),
                       "pad: Argument #4: Padding size should be less than the corresponding input dimension, but got: "
                       "padding (3, 0) at dimension 1 of input [1, 3]",
                       tg::ValueError);
}

TEST_CASE("conv2d: rejects wrong ranks, channel counts, groups, strides and kernels larger than the input") {
  auto x = tg::zeros<float>({8, 3, 32, 32});
  auto w = tg::zeros<float>({6, 1, 5, 5});
  CHECK_THROWS_WITH_AS(tg::conv2d(x, w),
                       "conv2d: expected input[8, 3, 32, 32] to have 1 channel (weight[6, 1, 5, 5], groups 1), got 3",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::conv2d(tg::zeros<float>({3, 32}), w),
                       "conv2d: expected a 3-D (unbatched) or 4-D (batched) input, got input[3, 32]", tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::conv2d(x, tg::zeros<float>({6, 3, 5})),
                       "conv2d: expected a 4-D weight [out_channels, in_channels / groups, kH, kW], got weight[6, 3, 5]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::conv2d(x, tg::zeros<float>({4, 1, 3, 3}), {}, 1, 0, 1, 3),
                       "conv2d: out_channels (weight[4, 1, 3, 3]) must be divisible by groups (3)", tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::conv2d(x, tg::zeros<float>({6, 3, 3, 3}), {}, {1, 0}),
                       "conv2d: stride must be positive, got 0", tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::conv2d(x, tg::zeros<float>({6, 3, 3, 3}), {}, 1, -1),
                       "conv2d: padding must be non-negative, got -1", tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::conv2d(tg::zeros<float>({1, 1, 2, 2}), tg::zeros<float>({1, 1, 5, 5}), {}, 1, 1),
                       "conv2d: kernel size 5 (5 with dilation) is larger than the padded input size 4 of "
                       "input[1, 1, 2, 2]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::conv2d(x, tg::zeros<float>({6, 3, 3, 3}), tg::zeros<float>({5})),
                       "conv2d: expected bias [6], got bias[5]", tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::conv2d(x, tg::zeros<float>({6, 3, 3, 3}), {}, 2, "same"),
                       "conv2d: padding='same' is not supported for strided convolutions", tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::conv2d(x, tg::zeros<float>({6, 3, 3, 3}), {}, 1, tg::ConvPadding<2>(std::string_view("full"))),
                       "Invalid padding string 'full', should be one of {'valid', 'same'}", tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::conv_transpose2d(tg::zeros<float>({1, 2, 3, 3}), tg::zeros<float>({2, 1, 3, 3}), {}, 1, 0, 1),
                       "conv_transpose2d: output padding must be smaller than either stride or dilation, got "
                       "output_padding (1, 1), stride (1, 1), dilation (1, 1)",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::fold(tg::zeros<float>({1, 8, 5}), {3, 4}, 2),
                       "fold: expected input[1, 8, 5] to have 6 blocks in its last dimension (2 x 3 for output_size "
                       "(3, 4)), got 5",
                       tg::ShapeError);
}

TEST_CASE("conv2d: a batch split into several column chunks gives each sample's own result and gradients") {
  // 4 * 3 * 3 * 16 * 16 unfolded elements per sample: 28 samples per chunk
  // (kConvColumnBudget, Note [Convolution as GEMM]), so 30 samples take a full
  // chunk and a partial one; two groups read their own rows of each chunk
  static_assert(tg::kernels::detail::kConvColumnBudget / (4 * 3 * 3 * 16 * 16) == 28);
  tg::manual_seed(11);
  auto x = tg::randn<float>({30, 4, 16, 16}), w = tg::randn<float>({6, 2, 3, 3}), b = tg::randn<float>({6});
  w.requires_grad_();
  x.requires_grad_();
  auto y = tg::conv2d(x, w, b, 1, 1, 1, 2);
  y.sum().backward();
  auto gw_sum = tg::zeros<float>({6, 2, 3, 3});
  for (int64_t s = 0; s < 30; ++s) {
    CAPTURE(s);
    auto xs = x.detach()[s].unsqueeze(0).contiguous();
    xs.requires_grad_();
    auto w1 = w.detach().clone();
    w1.requires_grad_();
    auto ys = tg::conv2d(xs, w1, b, 1, 1, 1, 2);
    ys.sum().backward();
    CHECK(tg::allclose(ys[0], y.detach()[s], 1e-5, 1e-5));
    CHECK(tg::allclose(xs.grad()[0], x.grad()[s], 1e-5, 1e-5));
    tg::NoGradGuard no_grad;
    gw_sum.add_(w1.grad());
  }
  CHECK(tg::allclose(w.grad(), gw_sum, 1e-4, 1e-4));
}
