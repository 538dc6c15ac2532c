// nn::init additions of issue 26: calculate_gain for every nonlinearity
// PyTorch lists (against PyTorch), eye_ and orthogonal_.
#include "nn/surface_ref.hpp"

#include <sstream>
#include <string>

namespace {

namespace tg = tapegrad;
namespace nn = tapegrad::nn;

}  // namespace

TEST_CASE("calculate_gain: every nonlinearity PyTorch lists, and leaky_relu with a slope, as PyTorch") {
  std::istringstream names(surface::rec("gain.names").text);
  std::vector<double> got;
  for (std::string n; std::getline(names, n);) got.push_back(nn::init::calculate_gain(n));
  REQUIRE(got.size() == 12);
  SURFACE_CHECK(tg::from_vector(got, tg::Shape{12}), "gain.values", tapegrad_test::Tol{1e-15, 0});
  SURFACE_CHECK(tg::full<double>({}, nn::init::calculate_gain("leaky_relu", 0.2)), "gain.leaky_0.2",
                tapegrad_test::Tol{1e-15, 0});
  CHECK_THROWS_WITH_AS(nn::init::calculate_gain("softmax"), "calculate_gain: unsupported nonlinearity 'softmax'",
                       tg::ValueError);
}

TEST_CASE("eye_: ones on the diagonal of a 2-D tensor, wide or tall, without recording") {
  auto w = tg::full<float>({2, 3}, 5.0f);
  w.requires_grad_();
  nn::init::eye_(w);
  CHECK(w.to_vector() == std::vector<float>{1, 0, 0, 0, 1, 0});
  CHECK(w.is_leaf());
  auto t = tg::empty<double>({3, 2});
  CHECK(nn::init::eye_(t).to_vector() == std::vector<double>{1, 0, 0, 1, 0, 0});
  CHECK_THROWS_WITH_AS(nn::init::eye_(tg::zeros<float>({3})),
                       "eye_: only tensors with 2 dimensions are supported, got shape [3]", tg::ShapeError);
}

TEST_CASE("orthogonal_: orthonormal rows (wide) or columns (tall) times gain; reproducible under manual_seed") {
  for (const auto& shape : {tg::Shape{3, 5}, tg::Shape{5, 3}, tg::Shape{4, 2, 2}}) {
    CAPTURE(shape);
    auto w = tg::empty<double>(shape);
    tg::manual_seed(7);
    nn::init::orthogonal_(w, 2.0);
    const int64_t rows = shape[0], cols = w.numel() / rows;
    const auto m = w.reshape({rows, cols});
    const auto gram = rows <= cols ? tg::mm(m, m.t()) : tg::mm(m.t(), m);
    const int64_t k = std::min(rows, cols);
    CHECK(tg::allclose(gram, tg::eye<double>(k) * 4.0, 1e-12, 1e-12));
    auto again = tg::empty<double>(shape);
    tg::manual_seed(7);
    CHECK(tg::equal(nn::init::orthogonal_(again, 2.0), w));
  }
  CHECK_THROWS_WITH_AS(nn::init::orthogonal_(tg::zeros<float>({3})),
                       "orthogonal_: only tensors with 2 or more dimensions are supported, got shape [3]",
                       tg::ShapeError);
}
