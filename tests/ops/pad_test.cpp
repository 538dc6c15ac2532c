// pad (F::pad): every mode on 1 to 3 padded dims, negative pads, unbatched and
// empty-batch inputs against PyTorch (tests/reference/pad.txt,
// tools/gen_ref_interp.py), gradcheck in double, integer tensors, and PyTorch's errors.
#include "support/conv_ref.hpp"

#include <functional>
#include <string>
#include <vector>

#include <tapegrad/ops/pad.hpp>

namespace {

namespace tg = tapegrad;
using tg::Tensor;

const char* const kFile = "pad.txt";

struct PadCase {
  std::string name;
  std::vector<int64_t> pad;
  std::string mode;
  double value;
};

/// The cases of tools/gen_ref_interp.py, with the same arguments.
const std::vector<PadCase>& pad_cases() {
  static const std::vector<PadCase> cases = {
      {"constant.1d", {1, 2}, "constant", 0.5},
      {"constant.2d", {1, 1, 2, 0}, "constant", 0.0},
      {"constant.neg", {-1, 2}, "constant", 0.0},
      {"constant.mixed", {-2, -1, 1, -1}, "constant", -1.5},
      {"constant.every_dim", {1, 1, 1, 1, 1, 1}, "constant", 2.0},
      {"constant.crop", {-1, -2}, "constant", 0.0},
      {"constant.crop_all", {-2, -3}, "constant", 0.0},
      {"reflect.1d", {2, 1}, "reflect", 0},
      {"reflect.1d_unbatched", {1, 3}, "reflect", 0},
      {"reflect.1d_neg", {-1, 3}, "reflect", 0},
      {"reflect.2d", {1, 3, 2, 0}, "reflect", 0},
      {"reflect.2d_neg", {-1, 2, 3, -2}, "reflect", 0},
      {"reflect.3d", {1, 2, 0, 2, 2, 1}, "reflect", 0},
      {"reflect.3d_unbatched", {1, 0, 1, 2, 2, 0}, "reflect", 0},
      {"reflect.empty_batch", {1, 1}, "reflect", 0},
      {"replicate.1d", {2, 3}, "replicate", 0},
      {"replicate.1d_neg", {-2, 1}, "replicate", 0},
      {"replicate.2d", {0, 1, 1, 2}, "replicate", 0},
      {"replicate.2d_unbatched", {3, 1, 0, 2}, "replicate", 0},
      {"replicate.2d_neg", {2, -1, -2, 1}, "replicate", 0},
      {"replicate.3d", {1, 1, 2, 0, 0, 2}, "replicate", 0},
      {"circular.1d", {2, 1}, "circular", 0},
      {"circular.1d_neg", {-1, 2}, "circular", 0},
      {"circular.2d", {1, 2, 3, 0}, "circular", 0},
      {"circular.2d_neg", {-2, 3, 1, -1}, "circular", 0},
      {"circular.3d", {1, 1, 2, 1, 0, 2}, "circular", 0},
      {"circular.empty_batch", {1, 1}, "circular", 0},
  };
  return cases;
}

TEST_CASE_TEMPLATE("pad: every mode's values and input gradient as PyTorch, on any input layout", T, float, double) {
  for (const auto& c : pad_cases()) {
    for (const char* view : {"c", "s", "t"})
      conv_test::check_unary_case<T>("pad." + c.name, view, kFile,
                                     [&c](const Tensor<T>& x) { return tg::pad(x, c.pad, c.mode, c.value); });
  }
}

TEST_CASE("pad: gradcheck in double for every mode, with negative pads") {
  tg::manual_seed(12);
  using V = const std::vector<Tensor<double>>&;
  for (const char* mode : {"constant", "reflect", "replicate", "circular"}) {
    CAPTURE(mode);
    auto check = [](const std::function<Tensor<double>(V)>& f, Tensor<double> x) {
      x.requires_grad_();
      const auto r = tg::gradcheck(f, {x});
      CHECK_MESSAGE(r.ok, r.message);
    };
    check([mode](V v) { return tg::pad(v[0], {2, -1}, mode); }, tg::randn<double>({2, 2, 4}));
    check([mode](V v) { return tg::pad(v[0], {1, 2, -1, 2}, mode); }, tg::randn<double>({1, 2, 3, 4}).transpose(2, 3));
    check([mode](V v) { return tg::pad(v[0], {1, 0, 0, 1, 2, 1}, mode); }, tg::randn<double>({1, 1, 3, 2, 3}));
  }
  auto check0 = [](const std::function<Tensor<double>(V)>& f) {
    const auto r = tg::gradcheck(f, {tg::zeros<double>({0, 2, 3}).requires_grad_()});
    CHECK_MESSAGE(r.ok, r.message);
  };
  check0([](V v) { return tg::pad(v[0], {1, 1}, "reflect"); });
  check0([](V v) { return tg::pad(v[0], {1, 1}); });
}

TEST_CASE("pad: integer tensors, no padding and F::pad are the same op") {
  const auto x = tg::tensor<int64_t>({{1, 2, 3}});
  CHECK(tg::pad(x, {1, -1}, "constant", 7).to_vector() == std::vector<int64_t>{7, 1, 2});
  CHECK(tg::pad(x, {2, 1}, "reflect").to_vector() == std::vector<int64_t>{3, 2, 1, 2, 3, 2});
  CHECK(tg::pad(x.unsqueeze(0), {2, 1}, "circular").to_vector() == std::vector<int64_t>{2, 3, 1, 2, 3, 1});
  const auto y = tg::pad(x, {});
  CHECK(y.to_vector() == x.to_vector());
  CHECK(!tg::shares_storage(y, x));
  CHECK(tg::nn::functional::pad(x, {1, 0}).to_vector() == tg::pad(x, {1, 0}).to_vector());
}

TEST_CASE("pad: rejects what PyTorch 1.13 rejects, with its messages") {
  const auto x = tg::zeros<float>({1, 2, 3}), x4 = tg::zeros<float>({1, 2, 3, 4});
  CHECK_THROWS_WITH_AS(tg::pad(x, {1}), "pad: Padding length must be divisible by 2, got padding [1]", tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::pad(x, {1, 1, 1, 1, 1, 1, 1, 1}),
                       "pad: Padding length too large: padding [1, 1, 1, 1, 1, 1, 1, 1] for input[1, 2, 3]",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::pad(x, {1, 1}, "mirror"), "pad: Unrecognised padding mode mirror", tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::pad(x, {1, 1}, "reflect", 2.0),
                       "pad: Padding mode \"reflect\" doesn't take in value argument", tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::pad(x, {-3, -2}),
                       "pad: The input size 3, plus negative padding -3 and -2 resulted in a negative output size, "
                       "which is invalid. Check dimension 2 of your input.",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::pad(tg::zeros<float>({3, 2}), {1, 0, -3, 0}),
                       "pad: The input size 3, plus negative padding -3 and 0 resulted in a negative output size, "
                       "which is invalid. Check dimension 0 of your input.",
                       tg::ValueError);
  CHECK(tg::pad(tg::zeros<float>({3}), {-1, -2}).sizes() == tg::Shape{0});
  CHECK_THROWS_WITH_AS(tg::pad(tg::zeros<float>({3}), {1, 1}, "reflect"),
                       "pad: Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now (got padding "
                       "[1, 1] in mode reflect for input[3])",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::pad(x, {1, 1, 1, 1, 1, 1}, "replicate"),
                       "pad: Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now (got padding "
                       "[1, 1, 1, 1, 1, 1] in mode replicate for input[1, 2, 3])",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::pad(x.select(0, 0), {1, 1}, "circular"),
                       "pad: Invalid padding size, expected 0 but got 2 (circular padding needs a batched input [N, C, "
                       "*], got input[2, 3])",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::pad(x, {4, 0}, "circular"), "pad: Padding value causes wrapping around more than once.",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::pad(x, {-3, 1}, "circular"), "pad: Padding value causes wrapping around more than once.",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::pad(x, {3, 0}, "reflect"),
                       "pad: Argument #4: Padding size should be less than the corresponding input dimension, but got: "
                       "padding (3, 0) at dimension 2 of input [1, 2, 3]",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::pad(x4, {1, 1, 3, 0}, "reflect"),
                       "pad: Argument #6: Padding size should be less than the corresponding input dimension, but got: "
                       "padding (3, 0) at dimension 2 of input [1, 2, 3, 4]",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::pad(tg::zeros<float>({1, 0, 3}), {1, 1}, "replicate"),
                       "pad: Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and other non-zero "
                       "dimensions for input, but got: [1, 0, 3]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::pad(x, {-2, -1}, "replicate"), "pad: input (W: 3) is too small. Calculated output W: 0",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::pad(x4, {-3, -2, 0, 0}, "reflect"),
                       "pad: input (H: 3, W: 4) is too small. Calculated output H: 3, W: -1", tg::ValueError);
  CHECK(tg::pad(x4, {0, 0, -2, -1}, "reflect").sizes() == tg::Shape{1, 2, 0, 4});
}

}  // namespace
