// nn::utils (utils.hpp): clip_grad_norm_ against PyTorch for the 1, 2, 3 and
// inf norms, error_if_nonfinite, clip_grad_value_, parameters_to_vector and
// vector_to_parameters.
#include "nn/surface_ref.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

namespace {

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
using surface::load;

template <class T>
std::vector<tg::Tensor<T>> params_with_grads(const tg::Tensor<T>& g1, const tg::Tensor<T>& g2) {
  auto p1 = tg::zeros<T>({3, 2}), p2 = tg::zeros<T>({4});
  p1.requires_grad_();
  p2.requires_grad_();
  (p1 * g1).sum().backward();
  (p2 * g2).sum().backward();
  return {p1, p2};
}

}  // namespace

TEST_CASE_TEMPLATE("clip_grad_norm_: the total norm and the scaled gradients match PyTorch for norms 1, 2, 3, inf", T,
                   float, double) {
  const std::vector<std::tuple<std::string, double, double>> cases = {
      {"l2", 1.0, 2.0}, {"l2_big", 100.0, 2.0}, {"inf", 0.5, INFINITY}, {"l1", 2.0, 1.0}, {"l3", 1.5, 3.0}};
  for (const auto& c : cases) {  // no structured bindings: clang < 16 cannot capture them (CAPTURE)
    const std::string& name = std::get<0>(c);
    const double max_norm = std::get<1>(c), norm_type = std::get<2>(c);
    CAPTURE(name);
    auto ps = params_with_grads(load<T>("clip.g1"), load<T>("clip.g2"));
    auto no_grad = tg::zeros<T>({2});
    no_grad.requires_grad_();
    ps.push_back(no_grad);  // skipped: no gradient
    const auto total = nn::utils::clip_grad_norm_(ps, max_norm, norm_type);
    const std::string key = "clip." + name + "." + surface::tag<T>();
    SURFACE_CHECK(total, key + ".total", surface::tol<T>());
    SURFACE_CHECK(ps[0].grad(), key + ".g1", surface::tol<T>());
    SURFACE_CHECK(ps[1].grad(), key + ".g2", surface::tol<T>());
  }
}

TEST_CASE("clip_grad_norm_: no gradients give 0; a non-finite total is an error only with error_if_nonfinite") {
  auto p = tg::zeros<float>({2});
  p.requires_grad_();
  CHECK(nn::utils::clip_grad_norm_<float>({p}, 1.0).item() == 0);
  auto ps = params_with_grads(tg::full<float>({3, 2}, std::numeric_limits<float>::infinity()), tg::ones<float>({4}));
  CHECK_THROWS_WITH_AS(nn::utils::clip_grad_norm_(ps, 1.0, 2, true),
                       "clip_grad_norm_: the total norm of order 2 for gradients from `parameters` is non-finite, so "
                       "it cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
                       "anyway, set `error_if_nonfinite=false`",
                       tg::ValueError);
  CHECK(std::isinf(nn::utils::clip_grad_norm_(ps, 1.0).item()));
  CHECK(ps[1].grad().to_vector() == std::vector<float>(4, 0.0f));  // scaled by 1 / inf, as PyTorch
  CHECK_THROWS_WITH_AS(nn::utils::clip_grad_norm_(ps, 1.0, -1.0),
                       "clip_grad_norm_: norm_type must be positive or inf, got -1", tg::ValueError);
}

TEST_CASE("clip_grad_value_: every gradient clamped to [-v, v]; parameters without one are skipped") {
  auto ps = params_with_grads(load<double>("clip.g1"), load<double>("clip.g2"));
  auto bare = tg::zeros<double>({1});
  ps.push_back(bare);
  nn::utils::clip_grad_value_(ps, 0.5);
  for (int i = 0; i < 2; ++i) {
    const auto g = ps[static_cast<size_t>(i)].grad();
    const auto want = tg::clamp(load<double>(i == 0 ? "clip.g1" : "clip.g2"), -0.5, 0.5);
    CHECK(tg::equal(g, want));
  }
  CHECK_FALSE(bare.grad().defined());
}

TEST_CASE("parameters_to_vector / vector_to_parameters: flatten in order and copy back; a wrong length is an error") {
  nn::Linear<double> lin(3, 2);
  const auto v = nn::utils::parameters_to_vector(lin.parameters());
  CHECK(v.sizes() == tg::Shape{8});
  CHECK(tg::equal(v.narrow(0, 0, 6), lin.weight.reshape({-1})));
  CHECK(tg::equal(v.narrow(0, 6, 2), lin.bias));
  nn::utils::vector_to_parameters(tg::arange<double>(8), lin.parameters());
  CHECK(lin.weight.to_vector() == std::vector<double>{0, 1, 2, 3, 4, 5});
  CHECK(lin.bias.to_vector() == std::vector<double>{6, 7});
  CHECK_FALSE(lin.weight.grad_fn());
  CHECK(lin.weight.requires_grad());
  CHECK(nn::utils::parameters_to_vector(std::vector<tg::Tensor<float>>{}).sizes() == tg::Shape{0});
  CHECK_THROWS_WITH_AS(nn::utils::vector_to_parameters(tg::zeros<double>({7}), lin.parameters()),
                       "vector_to_parameters: the vector has 7 elements but the parameters have 8", tg::ShapeError);
  CHECK_THROWS_WITH_AS(nn::utils::vector_to_parameters(tg::zeros<double>({2, 4}), lin.parameters()),
                       "vector_to_parameters: expected a 1-D vector, got shape [2, 4]", tg::ShapeError);
}
