// The activations of activation.hpp / functional_activation.hpp: values and
// gradients (kinks included) against PyTorch, gradcheck, reprs, to<double>()
// and clone().
#include "nn/surface_ref.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace surface;

template <class T>
using Fn = std::function<tg::Tensor<T>(const tg::Tensor<T>&)>;

template <class T>
std::vector<std::pair<std::string, Fn<T>>> functional_forms() {
  return {
      {"leaky_relu", [](const auto& x) { return F::leaky_relu(x); }},
      {"leaky_relu_0.2", [](const auto& x) { return F::leaky_relu(x, 0.2); }},
      {"elu", [](const auto& x) { return F::elu(x); }},
      {"elu_0.5", [](const auto& x) { return F::elu(x, 0.5); }},
      {"selu", [](const auto& x) { return F::selu(x); }},
      {"celu", [](const auto& x) { return F::celu(x); }},
      {"celu_2", [](const auto& x) { return F::celu(x, 2.0); }},
      {"gelu", [](const auto& x) { return F::gelu(x); }},
      {"gelu_tanh", [](const auto& x) { return F::gelu(x, "tanh"); }},
      {"silu", [](const auto& x) { return F::silu(x); }},
      {"mish", [](const auto& x) { return F::mish(x); }},
      {"softplus", [](const auto& x) { return F::softplus(x); }},
      {"softplus_2_5", [](const auto& x) { return F::softplus(x, 2, 5); }},
      {"softsign", [](const auto& x) { return F::softsign(x); }},
      {"hardtanh", [](const auto& x) { return F::hardtanh(x); }},
      {"hardtanh_m2_3", [](const auto& x) { return F::hardtanh(x, -2.0, 3.0); }},
      {"relu6", [](const auto& x) { return F::relu6(x); }},
      {"hardsigmoid", [](const auto& x) { return F::hardsigmoid(x); }},
      {"hardswish", [](const auto& x) { return F::hardswish(x); }},
      {"logsigmoid", [](const auto& x) { return F::logsigmoid(x); }},
      {"threshold", [](const auto& x) { return F::threshold(x, 0.5, 20.0); }},
      {"softmin", [](const auto& x) { return F::softmin(x, 1); }},
  };
}

// The same activations as modules, named as the golden records.
template <class T>
std::vector<std::pair<std::string, std::shared_ptr<nn::Module<T>>>> modules() {
  return {
      {"leaky_relu", std::make_shared<nn::LeakyReLU<T>>()},
      {"leaky_relu_0.2", std::make_shared<nn::LeakyReLU<T>>(0.2)},
      {"elu", std::make_shared<nn::ELU<T>>()},
      {"elu_0.5", std::make_shared<nn::ELU<T>>(nn::ELUOptions{.alpha = 0.5})},
      {"selu", std::make_shared<nn::SELU<T>>()},
      {"celu", std::make_shared<nn::CELU<T>>()},
      {"celu_2", std::make_shared<nn::CELU<T>>(2.0)},
      {"gelu", std::make_shared<nn::GELU<T>>()},
      {"gelu_tanh", std::make_shared<nn::GELU<T>>("tanh")},
      {"silu", std::make_shared<nn::SiLU<T>>()},
      {"mish", std::make_shared<nn::Mish<T>>()},
      {"softplus", std::make_shared<nn::Softplus<T>>()},
      {"softplus_2_5", std::make_shared<nn::Softplus<T>>(2, 5)},
      {"softsign", std::make_shared<nn::Softsign<T>>()},
      {"hardtanh", std::make_shared<nn::Hardtanh<T>>()},
      {"hardtanh_m2_3", std::make_shared<nn::Hardtanh<T>>(-2.0, 3.0)},
      {"relu6", std::make_shared<nn::ReLU6<T>>()},
      {"hardsigmoid", std::make_shared<nn::Hardsigmoid<T>>()},
      {"hardswish", std::make_shared<nn::Hardswish<T>>()},
      {"logsigmoid", std::make_shared<nn::LogSigmoid<T>>()},
      {"threshold", std::make_shared<nn::Threshold<T>>(0.5, 20.0)},
      {"softmin", std::make_shared<nn::Softmin<T>>(1)},
  };
}

}  // namespace

TEST_CASE_TEMPLATE("activations: values and gradients match PyTorch, at the kinks and for |x| = 90 too", T, float,
                   double) {
  for (const auto& entry : functional_forms<T>()) {  // no structured bindings: clang < 16 cannot capture them
    const auto& name = entry.first;
    const auto& fn = entry.second;
    check_case<T>("act." + name, [&](const auto& v) { return fn(v[0]); }, {surface::leaf<T>("act.x")});
  }
}

TEST_CASE_TEMPLATE("activations: the modules compute their functional forms and print as PyTorch", T, float,
                   double) {
  for (const auto& entry : modules<T>()) {  // no structured bindings: clang < 16 cannot capture them
    const auto& name = entry.first;
    const auto& m = entry.second;
    check_case<T>("act." + name, [&](const auto& v) { return (*m)(v[0]); }, {surface::leaf<T>("act.x")});
    CHECK(m->repr() == surface::rec("repr." + name).text);
  }
  CHECK(nn::Identity().repr() == surface::rec("repr.identity").text);
  CHECK(nn::PReLU().repr() == surface::rec("repr.prelu").text);
  CHECK(nn::PReLU(3).repr() == surface::rec("repr.prelu3").text);
}

TEST_CASE("leaky_relu: the gradient at 0 is the slope, as PyTorch") {
  auto x = tg::zeros<double>({3});
  x.requires_grad_();
  F::leaky_relu(x, 0.3).sum().backward();
  CHECK(x.grad().to_vector() == std::vector<double>{0.3, 0.3, 0.3});
}

TEST_CASE("activations: gradcheck in double away from the kinks, 0-d, empty and non-contiguous inputs") {
  // act.x's first 24 values: random multiples of 0.001, none at a kink
  const auto x = load<double>("act.x").reshape({-1}).narrow(0, 0, 24).reshape({4, 6});
  for (const auto& entry : functional_forms<double>()) {  // no structured bindings: clang < 16 cannot capture them
    const auto& name = entry.first;
    const auto& fn = entry.second;
    CAPTURE(name);
    surface::check_gradcheck([&](const auto& v) { return fn(v[0]); }, {x.clone()});
    surface::check_gradcheck([&](const auto& v) { return fn(v[0].t()); }, {x.clone()});
    if (name != "softmin") {
      surface::check_gradcheck([&](const auto& v) { return fn(v[0]); }, {tg::full<double>({}, 0.37)});
      CHECK(fn(tg::zeros<double>({0, 3})).sizes() == tg::Shape{0, 3});
    }
  }
}

TEST_CASE_TEMPLATE("prelu: one shared and one weight per channel, values and gradients match PyTorch", T, float,
                   double) {
  check_case<T>("prelu.c3", [](const auto& v) { return F::prelu(v[0], v[1]); },
                {surface::leaf<T>("prelu.x"), surface::leaf<T>("prelu.w3")});
  check_case<T>("prelu.c1", [](const auto& v) { return F::prelu(v[0], v[1]); },
                {surface::leaf<T>("prelu.x"), surface::leaf<T>("prelu.w1")});
  nn::PReLU<T> m(3, 0.25);
  CHECK(m.named_parameters()[0].first == "weight");
  tg::NoGradGuard no_grad;
  m.weight.copy_(load<T>("prelu.w3"));
  SURFACE_CHECK(m(load<T>("prelu.x")), "prelu.c3." + surface::tag<T>() + ".out", surface::tol<T>());
}

TEST_CASE("prelu: gradcheck in double for both weights; a weight that fits no channel is an error") {
  const auto x = load<double>("prelu.x");
  x(0, 0, 0) = 0.4;  // the record's kink at 0, moved
  surface::check_gradcheck([](const auto& v) { return F::prelu(v[0], v[1]); },
                           {x.clone(), tg::tensor<double>({0.25, -0.5, 1.5})});
  surface::check_gradcheck([](const auto& v) { return F::prelu(v[0], v[1]); }, {x.clone(), tg::tensor<double>({0.3})});
  CHECK_THROWS_WITH_AS(F::prelu(x, tg::ones<double>({4})),
                       "prelu: mismatch of parameter numbers and input channel size: weight has 4 elements, input "
                       "[2, 3, 4] has 3 channels",
                       tg::ShapeError);
}

TEST_CASE("activations: bad options are errors naming the module") {
  CHECK_THROWS_WITH_AS(F::gelu(tg::ones<float>({2}), "fast"), "gelu: approximate must be 'none' or 'tanh', got 'fast'",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(nn::GELU("erf"), "GELU: approximate must be 'none' or 'tanh', got 'erf'", tg::ValueError);
  CHECK_THROWS_WITH_AS(nn::Hardtanh(1.0, -1.0), "Hardtanh: max_val (-1) cannot be less than min_val (1)",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(nn::CELU(0.0), "CELU: alpha cannot be 0", tg::ValueError);
  CHECK_THROWS_WITH_AS(nn::PReLU(0), "PReLU: num_parameters must be positive, got 0", tg::ValueError);
}

TEST_CASE("activations: to<double>() and clone() keep the options; PReLU's clone has its own weight") {
  auto net = nn::Sequential(nn::LeakyReLU(0.2), nn::GELU("tanh"), nn::Softplus(2, 5), nn::PReLU(1, 0.1),
                            nn::Threshold(0.5, 20.0), nn::Softmin(1), nn::Hardswish());
  auto d = net.to<double>();
  CHECK(d->repr() == net.repr());
  const auto x = load<double>("act.x");
  CHECK(tg::allclose((*d)(x), net(x.to<float>()).to<double>(), 1e-5, 1e-5));
  auto c = net.clone();
  CHECK(c->repr() == net.repr());
  const auto pn = net.parameters(), pc = c->parameters();
  REQUIRE(pc.size() == 1);
  CHECK_FALSE(pc[0].is_same(pn[0]));
  CHECK(tg::equal(pc[0], pn[0]));
  CHECK(pc[0].requires_grad());
  tg::no_grad([&] { pn[0].fill_(3.0f); });
  CHECK(pc[0].item() == doctest::Approx(0.1));
  CHECK(c->children()[3]->as<nn::PReLU<float>>()->weight.is_same(pc[0]));
}
