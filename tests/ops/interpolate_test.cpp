// interpolate: values and gradients against PyTorch (tests/reference/interp.txt,
// tools/gen_ref_interp.py) for every mode on 3-D, 4-D and 5-D inputs and for
// antialiased bilinear / bicubic, gradcheck in double, and PyTorch's errors.
#include "support/conv_ref.hpp"

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <tapegrad/ops/interpolate.hpp>

namespace {

namespace tg = tapegrad;
using tg::Tensor;

template <class T>
using Op = std::function<Tensor<T>(const Tensor<T>&)>;

const char* const kFile = "interp.txt";

/// The cases of tools/gen_ref_interp.py, with the same arguments.
template <class T>
std::vector<std::pair<std::string, Op<T>>> interp_cases() {
  using A = const Tensor<T>&;
  const auto none = std::nullopt;
  return {
      {"nearest1d.size", [](A x) { return tg::interpolate(x, 7); }},
      {"nearest1d.scale2", [](A x) { return tg::interpolate(x, {}, 2); }},
      {"nearest1d.down", [](A x) { return tg::interpolate(x, {}, 0.5); }},
      {"nearest1d.scale17", [](A x) { return tg::interpolate(x, {}, 1.7); }},
      {"nearest1d.scale17r", [none](A x) { return tg::interpolate(x, {}, 1.7, "nearest", none, true); }},
      {"nearest2d.size", [](A x) { return tg::interpolate(x, {5, 3}); }},
      {"nearest2d.scale", [](A x) { return tg::interpolate(x, {}, {2, 1.5}); }},
      {"nearest3d.scale", [](A x) { return tg::interpolate(x, {}, 2); }},
      {"exact1d.size", [](A x) { return tg::interpolate(x, 8, {}, "nearest-exact"); }},
      {"exact2d.size", [](A x) { return tg::interpolate(x, {3, 7}, {}, "nearest-exact"); }},
      {"exact2d.scale", [](A x) { return tg::interpolate(x, {}, 1.3, "nearest-exact"); }},
      {"linear.up", [](A x) { return tg::interpolate(x, 9, {}, "linear"); }},
      {"linear.up_ac", [](A x) { return tg::interpolate(x, 9, {}, "linear", true); }},
      {"linear.down", [](A x) { return tg::interpolate(x, 4, {}, "linear"); }},
      {"linear.down_ac", [](A x) { return tg::interpolate(x, 4, {}, "linear", true); }},
      {"linear.scale17", [](A x) { return tg::interpolate(x, {}, 1.7, "linear"); }},
      {"linear.scale17r", [none](A x) { return tg::interpolate(x, {}, 1.7, "linear", none, true); }},
      {"linear.to1", [](A x) { return tg::interpolate(x, 1, {}, "linear"); }},
      {"bilinear.up", [](A x) { return tg::interpolate(x, {5, 7}, {}, "bilinear"); }},
      {"bilinear.up_ac", [](A x) { return tg::interpolate(x, {5, 7}, {}, "bilinear", true); }},
      {"bilinear.down", [](A x) { return tg::interpolate(x, {2, 3}, {}, "bilinear"); }},
      {"bilinear.down_ac", [](A x) { return tg::interpolate(x, {2, 3}, {}, "bilinear", true); }},
      {"bilinear.scale", [](A x) { return tg::interpolate(x, {}, 2.5, "bilinear"); }},
      {"bilinear.scale_r", [none](A x) { return tg::interpolate(x, {}, 2.5, "bilinear", none, true); }},
      {"bilinear.empty", [](A x) { return tg::interpolate(x, {4, 5}, {}, "bilinear"); }},
      {"bicubic.up", [](A x) { return tg::interpolate(x, {7, 9}, {}, "bicubic"); }},
      {"bicubic.up_ac", [](A x) { return tg::interpolate(x, {7, 9}, {}, "bicubic", true); }},
      {"bicubic.down", [](A x) { return tg::interpolate(x, {3, 4}, {}, "bicubic"); }},
      {"bicubic.scale", [](A x) { return tg::interpolate(x, {}, {1.5, 2.2}, "bicubic"); }},
      {"trilinear.up", [](A x) { return tg::interpolate(x, {3, 5, 6}, {}, "trilinear"); }},
      {"trilinear.up_ac", [](A x) { return tg::interpolate(x, {3, 5, 6}, {}, "trilinear", true); }},
      {"area1d.size", [](A x) { return tg::interpolate(x, 3, {}, "area"); }},
      {"area2d.size", [](A x) { return tg::interpolate(x, {3, 4}, {}, "area"); }},
      {"area2d.scale", [](A x) { return tg::interpolate(x, {}, 0.5, "area"); }},
      {"area3d.size", [](A x) { return tg::interpolate(x, {2, 3, 2}, {}, "area"); }},
  };
}

/// interpolate(x, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias=true)
template <class T>
Tensor<T> aa(const Tensor<T>& x, tg::ScalarOrTuple<int64_t> size, tg::ScalarOrTuple<double> scale,
             const std::string& mode, std::optional<bool> ac = std::nullopt,
             std::optional<bool> recompute = std::nullopt) {
  return tg::interpolate(x, std::move(size), std::move(scale), mode, ac, recompute, true);
}

/// The antialias cases of tools/gen_ref_interp.py (AA_CASES), with the same arguments.
template <class T>
std::vector<std::pair<std::string, Op<T>>> aa_cases() {
  using A = const Tensor<T>&;
  std::vector<std::pair<std::string, Op<T>>> cases;
  for (const std::string m : {"bilinear", "bicubic"}) {
    auto add = [&](const std::string& name, tg::ScalarOrTuple<int64_t> size, tg::ScalarOrTuple<double> scale,
                   std::optional<bool> ac = std::nullopt, std::optional<bool> recompute = std::nullopt) {
      cases.emplace_back(m + "." + name, [=](A x) { return aa(x, size, scale, m, ac, recompute); });
    };
    add("down2", {3, 4}, {});
    add("down2_ac", {3, 4}, {}, true);
    add("down3", {3, 4}, {});
    add("scale3", {}, 1.0 / 3);
    add("down17", {10, 3}, {});
    add("scale17", {}, {1 / 1.7, 0.55});
    add("scale17r", {}, 1 / 1.7, std::nullopt, true);
    add("up2", {}, 2);
    add("up2_ac", {}, 2, true);
    add("mixed", {3, 5}, {});
    add("mixed_ac", {3, 5}, {}, true);
    add("to1", {1, 2}, {});
    add("to1_ac", {1, 2}, {}, true);
  }
  cases.emplace_back("bilinear.empty", [](A x) { return aa(x, {3, 3}, {}, "bilinear"); });
  cases.emplace_back("bicubic.empty", [](A x) { return aa(x, 2, {}, "bicubic"); });
  return cases;
}

TEST_CASE_TEMPLATE("interpolate: antialiased bilinear and bicubic give PyTorch's values and input gradients", T, float,
                   double) {
  for (const auto& [name, op] : aa_cases<T>()) {
    for (const char* view : {"c", "s", "t"}) conv_test::check_unary_case<T>("aa." + name, view, kFile, op);
  }
}

TEST_CASE("interpolate: antialias in float32 is within a few float ulp of PyTorch's float32 kernel") {
  // PyTorch's float32 outputs, not float64's: the window bounds and weights are
  // computed in float as PyTorch does, the separable sums run in its order; what
  // remains is that x86-64 PyTorch fuses its multiply-adds (an -mfma
  // -ffp-contract=fast build of this test matches its bilinear bit for bit)
  for (const auto& c : aa_cases<float>()) {  // not a structured binding: CAPTURE's lambda uses the name
    const std::string base = "aa.f32." + c.first;
    if (!tapegrad_test::has_ref(kFile, base + ".out")) continue;
    CAPTURE(base);
    const auto got = c.second(conv_test::load<float>(base + ".x", kFile));
    CHECK(tapegrad_test::tolerance_mismatches(got, conv_test::rec(base + ".out", kFile), 8 * 1.2e-7, 1e-3, 4) == "");
  }
}

TEST_CASE("interpolate: antialias records PyTorch's _aa grad_fn names") {
  for (const std::string m : {"bilinear", "bicubic"}) {
    auto x = tg::zeros<double>({1, 1, 4, 4}).requires_grad_();
    CHECK(aa(x, 2, {}, m).grad_fn_name() == conv_test::rec("aa.name." + m, kFile).text);
  }
}

TEST_CASE("interpolate: antialiased upscaling equals plain bilinear only without align_corners") {
  // Note [Antialiased resampling]: upscaling keeps the triangle's support 1, the
  // same taps as bilinear's half-pixel sampling; with align_corners the centres differ
  tg::manual_seed(5);
  const auto x = tg::randn<double>({2, 3, 4, 5});
  auto gap = [](const Tensor<double>& a, const Tensor<double>& b) { return (a - b).abs().max().item(); };
  CHECK(gap(aa(x, {7, 11}, {}, "bilinear"), tg::interpolate(x, {7, 11}, {}, "bilinear")) < 1e-14);
  CHECK(gap(aa(x, {7, 11}, {}, "bilinear", true), tg::interpolate(x, {7, 11}, {}, "bilinear", true)) > 0.01);
  CHECK(gap(aa(x, {7, 11}, {}, "bicubic"), tg::interpolate(x, {7, 11}, {}, "bicubic")) > 0.01);
}

TEST_CASE_TEMPLATE("interpolate: every mode's values and input gradient as PyTorch, on any input layout", T, float,
                   double) {
  for (const auto& [name, op] : interp_cases<T>()) {
    for (const char* view : {"c", "s", "t"}) conv_test::check_unary_case<T>("interp." + name, view, kFile, op);
  }
}

TEST_CASE("interpolate: gradcheck in double for every mode and antialias, with non-contiguous inputs") {
  tg::manual_seed(11);
  using V = const std::vector<Tensor<double>>&;
  auto check = [](const std::function<Tensor<double>(V)>& f, Tensor<double> x) {
    x.requires_grad_();
    const auto r = tg::gradcheck(f, {x});
    CHECK_MESSAGE(r.ok, r.message);
  };
  const auto x3 = tg::randn<double>({2, 2, 5}), x4 = tg::randn<double>({1, 2, 4, 3});
  check([](V v) { return tg::interpolate(v[0], 8); }, x3);
  check([](V v) { return tg::interpolate(v[0], 3, {}, "nearest-exact"); }, x3);
  check([](V v) { return tg::interpolate(v[0], {}, 1.7, "linear"); }, x3);
  check([](V v) { return tg::interpolate(v[0], 3, {}, "area"); }, x3);
  check([](V v) { return tg::interpolate(v[0], {6, 5}, {}, "bilinear", true); }, x4.transpose(2, 3));
  check([](V v) { return tg::interpolate(v[0], {}, {1.5, 2}, "bilinear"); }, x4);
  check([](V v) { return tg::interpolate(v[0], {5, 2}, {}, "bicubic"); }, x4);
  check([](V v) { return tg::interpolate(v[0], {}, 2, "bicubic", true); }, x4);
  check([](V v) { return tg::interpolate(v[0], {3, 2}, {}, "area"); }, x4);
  check([](V v) { return tg::interpolate(v[0], {3, 3, 4}, {}, "trilinear"); }, tg::randn<double>({1, 1, 2, 2, 3}));
  for (const std::string m : {"bilinear", "bicubic"}) {  // antialiased: 7x9 -> 4x3, 9x7 by 1/1.7 x 0.5, 7x5 -> 3x12
    CAPTURE(m);
    check([m](V v) { return aa(v[0], {4, 3}, {}, m); }, tg::randn<double>({2, 2, 7, 9}));
    check([m](V v) { return aa(v[0], {}, {1 / 1.7, 0.5}, m, true); }, tg::randn<double>({2, 2, 7, 9}).transpose(2, 3));
    check([m](V v) { return aa(v[0], {3, 12}, {}, m); }, tg::randn<double>({1, 2, 7, 9}).slice(3, 0, 9, 2));
  }
}

TEST_CASE("interpolate: an empty batch gives an empty output and gradient") {
  auto x = tg::zeros<float>({0, 3, 4, 4}).requires_grad_();
  auto y = tg::interpolate(x, {}, 2, "bilinear");
  CHECK(y.sizes() == tg::Shape{0, 3, 8, 8});
  y.sum().backward();
  CHECK(x.grad().sizes() == tg::Shape{0, 3, 4, 4});
}

TEST_CASE("interpolate: rejects what PyTorch rejects, with its messages") {
  const auto x3 = tg::zeros<float>({2, 1, 3}), x4 = tg::zeros<float>({2, 1, 3, 3});
  const std::string modes = "for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact";
  CHECK_THROWS_WITH_AS(tg::interpolate(tg::zeros<float>({2, 3}), {}, 2),
                       ("interpolate: Input Error: Only 3D, 4D and 5D input Tensors supported (got 2D) " + modes +
                        " (got nearest)").c_str(),
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::interpolate(tg::zeros<float>({1, 1, 2, 2, 2, 2}), {}, 2),
                       ("interpolate: Input Error: Only 3D, 4D and 5D input Tensors supported (got 6D) " + modes +
                        " (got nearest)").c_str(),
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::interpolate(x3, 4, {}, "bicubic"),
                       ("interpolate: Input Error: Only 3D, 4D and 5D input Tensors supported (got 3D) " + modes +
                        " (got bicubic)").c_str(),
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::interpolate(x3, 4, {}, "cubic"),
                       ("interpolate: Input Error: Only 3D, 4D and 5D input Tensors supported (got 3D) " + modes +
                        " (got cubic)").c_str(),
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::interpolate(x3, 4, {}, "bilinear"),
                       "interpolate: Got 3D input, but bilinear mode needs 4D input", tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::interpolate(x4, 4, {}, "linear"), "interpolate: Got 4D input, but linear mode needs 3D input",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::interpolate(x4, 4, {}, "trilinear"),
                       "interpolate: Got 4D input, but trilinear mode needs 5D input", tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::interpolate(x3, 4, {}, "nearest", true),
                       "interpolate: align_corners option can only be set with the interpolating modes: linear | "
                       "bilinear | bicubic | trilinear",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::interpolate(x3, 4, 2.0), "interpolate: only one of size or scale_factor should be defined",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::interpolate(x3), "interpolate: either size or scale_factor should be defined",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::interpolate(x3, 4, {}, "nearest", std::nullopt, true),
                       "interpolate: recompute_scale_factor is not meaningful with an explicit size.", tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::interpolate(x3, {2, 3}),
                       "interpolate: Input and output must have the same number of spatial dimensions, but got input "
                       "with spatial dimensions of [3] and output size of (2, 3). Please provide input tensor in (N, "
                       "C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::interpolate(x3, {}, {2, 3}),
                       "interpolate: Input and scale_factor must have the same number of spatial dimensions, but got "
                       "input with spatial dimensions of [3] and scale_factor of shape (2.0, 3.0). Please provide "
                       "input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::interpolate(x3, 0),
                       "interpolate: Input and output sizes should be greater than 0, but got input (W: 3) and output "
                       "(W: 0)",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::interpolate(x3, {}, -1),
                       "interpolate: Input and output sizes should be greater than 0, but got input (W: 3) and output "
                       "(W: -3)",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::interpolate(tg::zeros<float>({2, 1, 0, 3}), {2, 2}, {}, "bilinear"),
                       "interpolate: Input and output sizes should be greater than 0, but got input (H: 0, W: 3) output "
                       "(H: 2, W: 2)",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::interpolate(tg::zeros<float>({1, 1, 3, 3, 3}), {0, 2, 2}, {}, "trilinear"),
                       "interpolate: Input and output sizes should be greater than 0, but got input (D: 3, H: 3, W: 3) "
                       "output (D: 0, H: 2, W: 2)",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::interpolate(tg::zeros<float>({2, 0, 3, 3}), {2, 2}, {}, "bilinear"),
                       "interpolate: Non-empty 4D data tensor expected but got a tensor with sizes [2, 0, 3, 3]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(aa(tg::zeros<float>({2, 0, 3, 3}), {2, 2}, {}, "bilinear"),
                       "interpolate: Non-empty 4D data tensor expected but got a tensor with sizes [2, 0, 3, 3]",
                       tg::ShapeError);
}

TEST_CASE("interpolate: antialias only with bilinear and bicubic on 4-D input, as PyTorch") {
  const std::string msg = "interpolate: Anti-alias option is only supported for bilinear and bicubic modes";
  auto on = [](const std::vector<int64_t>& shape, const char* mode) {
    return aa(tg::zeros<float>(tg::Shape(shape.begin(), shape.end())), std::vector<int64_t>(shape.size() - 2, 2), {},
              mode);
  };
  for (const char* mode : {"nearest", "nearest-exact", "area", "cubic"})
    CHECK_THROWS_WITH_AS(on({1, 1, 4, 4}, mode), msg.c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(on({1, 1, 4}, "linear"), msg.c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(on({1, 1, 4, 4, 4}, "trilinear"), msg.c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(on({1, 1, 4}, "bilinear"), msg.c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(on({1, 1, 4, 4, 4}, "bicubic"), msg.c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(on({1, 1, 1, 4, 4}, "bilinear"), msg.c_str(), tg::ValueError);
  // PyTorch's earlier checks come first
  CHECK_THROWS_WITH_AS(aa(tg::zeros<float>({1, 1, 4}), 2, {}, "nearest", true),
                       "interpolate: align_corners option can only be set with the interpolating modes: linear | "
                       "bilinear | bicubic | trilinear",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(aa(tg::zeros<float>({1, 1, 4, 4}), {2, 2}, {}, "bilinear", std::nullopt, true),
                       "interpolate: recompute_scale_factor is not meaningful with an explicit size.", tg::ValueError);
  CHECK_THROWS_WITH_AS(aa(tg::zeros<float>({2, 1, 6, 6}), {0, 3}, {}, "bilinear"),
                       "interpolate: Input and output sizes should be greater than 0, but got input (H: 6, W: 6) output "
                       "(H: 0, W: 3)",
                       tg::ValueError);
}

}  // namespace
