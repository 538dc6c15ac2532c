// batch_norm (training and eval, running statistics), group_norm and
// instance_norm: values, gradients and running statistics against PyTorch
// (tests/reference/conv.txt), gradcheck in double, errors.
#include "support/conv_ref.hpp"

#include <tapegrad/ops/normalization.hpp>

#include <functional>
#include <string>
#include <vector>

namespace {

namespace tg = tapegrad;
using tg::Tensor;
using conv_test::leaf;
using conv_test::load;

}  // namespace

TEST_CASE_TEMPLATE("batch_norm: training and eval values, gradients and running statistics match PyTorch", T, float,
                   double) {
  for (const char* mode : {"train", "eval"})
    for (const char* shape : {"4d", "2d", "3d"}) {
      const std::string base = std::string("batch_norm.") + mode + "." + shape;
      CAPTURE(base);
      auto x = leaf<T>(base + ".x", "s"), w = leaf<T>(base + ".w"), b = leaf<T>(base + ".b");
      auto rm = load<T>(base + ".rm0"), rv = load<T>(base + ".rv0");
      auto y = tg::batch_norm(x, rm, rv, w, b, std::string(mode) == "train", 0.1, 1e-5);
      CONV_CHECK_REF(y, base + ".out");
      CONV_CHECK_REF(rm, base + ".rm");
      CONV_CHECK_REF(rv, base + ".rv");
      y.backward(load<T>(base + ".gout"));
      CONV_CHECK_REF(x.grad(), base + ".gx");
      CONV_CHECK_REF(w.grad(), base + ".gw");
      CONV_CHECK_REF(b.grad(), base + ".gb");
    }
}

TEST_CASE_TEMPLATE("group_norm: values and gradients match PyTorch, with and without affine", T, float, double) {
  auto x = leaf<T>("group_norm.a.x"), w = leaf<T>("group_norm.a.w"), b = leaf<T>("group_norm.a.b");
  auto y = tg::group_norm(x, 3, w, b, 1e-5);
  CONV_CHECK_REF(y, "group_norm.a.out");
  y.backward(load<T>("group_norm.a.gout"));
  CONV_CHECK_REF(x.grad(), "group_norm.a.gx");
  CONV_CHECK_REF(w.grad(), "group_norm.a.gw");
  CONV_CHECK_REF(b.grad(), "group_norm.a.gb");
  auto x2 = leaf<T>("group_norm.noaffine.x", "t");
  auto y2 = tg::group_norm(x2, 2);
  CONV_CHECK_REF(y2, "group_norm.noaffine.out");
  y2.backward(load<T>("group_norm.noaffine.gout"));
  CONV_CHECK_REF(x2.grad(), "group_norm.noaffine.gx");
}

TEST_CASE_TEMPLATE("instance_norm: values, gradients and running statistics match PyTorch", T, float, double) {
  auto x = leaf<T>("instance_norm.a.x"), w = leaf<T>("instance_norm.a.w"), b = leaf<T>("instance_norm.a.b");
  auto rm = load<T>("instance_norm.a.rm0"), rv = load<T>("instance_norm.a.rv0");
  auto y = tg::instance_norm(x, rm, rv, w, b, true, 0.1, 1e-5);
  CONV_CHECK_REF(y, "instance_norm.a.out");
  CONV_CHECK_REF(rm, "instance_norm.a.rm");
  CONV_CHECK_REF(rv, "instance_norm.a.rv");
  y.backward(load<T>("instance_norm.a.gout"));
  CONV_CHECK_REF(x.grad(), "instance_norm.a.gx");
  CONV_CHECK_REF(w.grad(), "instance_norm.a.gw");
  CONV_CHECK_REF(b.grad(), "instance_norm.a.gb");
}

TEST_CASE("batch_norm, group_norm, instance_norm: gradcheck in double") {
  tg::manual_seed(6);
  using V = const std::vector<Tensor<double>>&;
  auto check = [](const std::function<Tensor<double>(V)>& f, std::vector<Tensor<double>> in) {
    for (auto& t : in) t.requires_grad_();
    const auto r = tg::gradcheck(f, in);
    CHECK_MESSAGE(r.ok, r.message);
  };
  const Tensor<double> none;
  check([&](V v) { return tg::batch_norm(v[0], none, none, v[1], v[2], true); },
        {tg::randn<double>({3, 2, 2, 3}), tg::randn<double>({2}), tg::randn<double>({2})});
  auto rm = tg::randn<double>({2}), rv = tg::rand<double>({2}) + 0.5;
  check([&](V v) { return tg::batch_norm(v[0], rm, rv, v[1], v[2], false); },
        {tg::randn<double>({3, 2, 4}), tg::randn<double>({2}), tg::randn<double>({2})});
  check([&](V v) { return tg::group_norm(v[0], 2, v[1], v[2]); },
        {tg::randn<double>({2, 4, 3}), tg::randn<double>({4}), tg::randn<double>({4})});
  check([&](V v) { return tg::instance_norm(v[0], none, none, v[1], v[2]); },
        {tg::randn<double>({2, 2, 2, 3}), tg::randn<double>({2}), tg::randn<double>({2})});
  check([&](V v) { return tg::batch_norm(v[0], none, none, none, none, true); }, {tg::randn<double>({4, 3})});
}

TEST_CASE("batch_norm, group_norm: reject mismatched channel vectors and groups, and one value per channel in training") {
  auto x = tg::zeros<float>({1, 3});
  CHECK_THROWS_WITH_AS(tg::batch_norm(x, Tensor<float>(), Tensor<float>(), Tensor<float>(), Tensor<float>(), true),
                       "batch_norm: expected more than 1 value per channel when training, got input[1, 3]",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::batch_norm(tg::zeros<float>({2, 3}), tg::zeros<float>({4}), tg::ones<float>({3})),
                       "batch_norm: expected running_mean [3] for input[2, 3], got running_mean[4]", tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::batch_norm(tg::zeros<float>({2, 3}), Tensor<float>(), Tensor<float>()),
                       "batch_norm: running_mean and running_var must be defined in evaluation mode", tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::group_norm(tg::zeros<float>({2, 6, 4}), 4),
                       "group_norm: expected the number of channels of input[2, 6, 4] to be divisible by num_groups (4)",
                       tg::ValueError);
}
