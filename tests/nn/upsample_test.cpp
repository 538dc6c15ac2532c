// Upsample, UpsamplingNearest2d, UpsamplingBilinear2d: PyTorch's printed form
// and outputs (tests/reference/interp.txt, tools/gen_ref_interp.py).
#include "support/conv_ref.hpp"

#include <string>

namespace {

namespace tg = tapegrad;
namespace nn = tapegrad::nn;

const char* const kFile = "interp.txt";

TEST_CASE("Upsample: prints as PyTorch for sizes, scale factors and modes") {
  auto repr = [](const std::string& name) { return conv_test::rec("repr." + name, kFile).text; };
  CHECK(nn::Upsample<>({}, 2).repr() == repr("upsample"));
  CHECK(nn::Upsample<>({3, 4}, {}, "bilinear", true).repr() == repr("upsample_size"));
  CHECK(nn::Upsample<>(5, {}, "linear").repr() == repr("upsample_size1"));
  CHECK(nn::Upsample<>({}, {2, 1.5}).repr() == repr("upsample_tuple"));
  CHECK(nn::Upsample<>({}, 2.5, "bicubic", std::nullopt, true).repr() == repr("upsample_bicubic"));
  CHECK(nn::UpsamplingNearest2d<>({}, 2).repr() == repr("nearest2d"));
  CHECK(nn::UpsamplingBilinear2d<>(3).repr() == repr("bilinear2d"));
  CHECK(nn::UpsamplingBilinear2d<>(3).clone()->repr() == repr("bilinear2d"));
}

TEST_CASE_TEMPLATE("Upsample: UpsamplingNearest2d and UpsamplingBilinear2d (align_corners) give PyTorch's outputs", T,
                   float, double) {
  const auto x = conv_test::load<T>("module.x", kFile);
  CHECK(conv_test::mismatch(nn::UpsamplingBilinear2d<T>({4, 6})(x), "module.bilinear2d", kFile) == "");
  CHECK(conv_test::mismatch(nn::UpsamplingNearest2d<T>({}, 2)(x), "module.nearest2d", kFile) == "");
  nn::Upsample<T> up({}, 2, "bilinear");
  CHECK(up(x).sizes() == tg::Shape{1, 2, 6, 8});
  CHECK(nn::Upsample<double>(up).repr() == up.repr());
}

TEST_CASE("Upsample: passes F::interpolate's errors on") {
  CHECK_THROWS_WITH_AS(nn::Upsample<>({}, 2, "bilinear")(tg::zeros<float>({1, 2, 3})),
                       "interpolate: Got 3D input, but bilinear mode needs 4D input", tg::ShapeError);
}

}  // namespace
