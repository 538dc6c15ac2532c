// The regression tutorial (shared/seeds/003) as tests: the linear-regression
// table with mv, nn::Linear(2, 1) under manual_seed, the AND gate learned by
// logistic regression, and softmax along each dim of a (2, 3, 4) tensor.
#include "nn/nn_ref.hpp"
#include "support/rng_ref.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

namespace {

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
namespace optim = tapegrad::optim;
using nn_test::load;

// The AND truth table: inputs [4, 2] and labels [4, 1].
const auto kAndInputs = [] { return tg::tensor<float>({{0, 0}, {1, 0}, {0, 1}, {1, 1}}); };
const auto kAndLabels = [] { return tg::tensor<float>({{0}, {0}, {0}, {1}}); };

}  // namespace

TEST_CASE("mv: the linear-regression table z = -0.2 + 0.15 x1 + 0.15 x2") {
  // columns: bias, x1, x2
  auto x = tg::tensor<float>({{1, 0, 0}, {1, 1, 0}, {1, 0, 1}, {1, 1, 1}});
  auto w = tg::tensor<float>({-0.2f, 0.15f, 0.15f});
  auto z = tg::tensor<float>({-0.2f, -0.05f, -0.05f, 0.1f});
  auto zhat = tg::mv(x, w);
  NN_CHECK_REF(zhat, "tutorial.zhat", nn_test::Tol{0, 0});  // bit for bit PyTorch's float32 answer
  // float32 rounding: == fails where PyTorch's fails, allclose accepts all four
  const auto eq = (zhat == z).to_vector();
  const auto& want = nn_test::rec("tutorial.eq").ints;
  for (size_t i = 0; i < eq.size(); ++i) CHECK(static_cast<int64_t>(eq[i]) == want[i]);
  CHECK(tg::allclose(zhat, z));
  // in double the table's values come out within 1e-16
  CHECK(tg::allclose(tg::mv(x.to<double>(), w.to<double>()), z.to<double>(), 0, 1e-7));
  CHECK(tg::allclose(tg::mv(x.to<double>(), tg::tensor<double>({-0.2, 0.15, 0.15})),
                     tg::tensor<double>({-0.2, -0.05, -0.05, 0.1}), 0, 1e-15));
}

TEST_CASE("Linear(2, 1): with and without bias, reproducible under manual_seed") {
  auto X = kAndInputs();
  tg::manual_seed(250);
  nn::Linear output(2, 1);
  auto zhat = output(X);
  CHECK(zhat.sizes() == tg::Shape{4, 1});
  // row [0, 0] gives the bias alone; the rows add up as a linear map
  CHECK(zhat.at({0, 0}) == output.bias.item());
  CHECK(zhat.at({3, 0}) == doctest::Approx(zhat.at({1, 0}) + zhat.at({2, 0}) - zhat.at({0, 0})));
  tg::manual_seed(250);
  nn::Linear again(2, 1);
  CHECK(tg::equal(again(X), zhat));
  nn::Linear<float> nobias(2, 1, /*bias=*/false);
  CHECK(nobias.parameters().size() == 1);
  CHECK(nobias(X).at({0, 0}) == 0.0f);
}

TEST_CASE("Linear(2, 1): manual_seed(250) gives the tutorial's weights and its AND-gate cell's answer") {
  // the tutorial prints weight [[0.6838, -0.5888]], and its untrained cell
  // `y = [int(x) for x in sigmoid(dense(X)) > 0.5]` answers [1, 1, 0, 1]
  tg::manual_seed(250);
  nn::Linear dense(2, 1);
  RNG_CHECK_BITS(dense.weight, "linear.250.f32.weight");
  RNG_CHECK_BITS(dense.bias, "linear.250.f32.bias");
  CHECK(dense.weight.at({0, 0}) == doctest::Approx(0.6838).epsilon(1e-4));
  CHECK(dense.weight.at({0, 1}) == doctest::Approx(-0.5888).epsilon(1e-4));
  auto zhat = dense(kAndInputs());
  RNG_CHECK_BITS(zhat, "tutorial.linear250.zhat");
  const auto y = (tg::sigmoid(zhat) > 0.5f).to<int64_t>().view({4}).to_vector();
  CHECK(y == std::vector<int64_t>{1, 1, 0, 1});
}

TEST_CASE("sigmoid: the tutorial's fixed weights already give the AND gate") {
  auto X = tg::tensor<float>({{1, 0, 0}, {1, 1, 0}, {1, 0, 1}, {1, 1, 1}});
  auto w = tg::tensor<float>({-0.2f, 0.15f, 0.15f});
  auto sigma = tg::sigmoid(tg::mv(X, w));
  auto andhat = (sigma >= 0.5f).to<float>();
  CHECK(tg::equal(andhat, tg::tensor<float>({0, 0, 0, 1})));
  // and sigmoid's derivative s (1 - s) is largest, 1/4, at 0
  auto x = tg::linspace<double>(-10, 10, 401);
  x.requires_grad_();
  auto s = tg::sigmoid(x);
  s.sum().backward();
  CHECK(tg::allclose(x.grad(), tg::no_grad([&] { return s * (1.0 - s); }), 1e-12, 1e-15));
  CHECK(x.grad().argmax().item() == 200);
  CHECK(x.grad().max().item() == doctest::Approx(0.25));
}

TEST_CASE("Linear + SGD: logistic regression learns the AND gate") {
  tg::manual_seed(250);
  nn::Linear dense(2, 1);
  optim::SGD opt(dense.parameters(), {.lr = 1.0});
  auto X = kAndInputs(), y = kAndLabels();
  nn::BCEWithLogitsLoss<float> loss_fn;
  auto predict = [&] { return tg::no_grad([&] { return (tg::sigmoid(dense(X)) > 0.5f).to<float>(); }); };
  int steps = 0;
  float first_loss = 0, loss_value = 0;
  for (; steps < 2000 && !tg::equal(predict(), y); ++steps) {
    opt.zero_grad();
    auto loss = loss_fn(dense(X), y);
    loss.backward();
    opt.step();
    loss_value = loss.item();
    if (steps == 0) first_loss = loss_value;
  }
  INFO("steps: ", steps);
  CHECK(tg::equal(predict(), y));
  CHECK(steps < 2000);
  if (steps > 0) CHECK(loss_value < first_loss);
  // trained on: the decision margin grows and the gate stays right
  for (int i = 0; i < 500; ++i) {
    opt.zero_grad();
    loss_fn(dense(X), y).backward();
    opt.step();
  }
  auto p = tg::no_grad([&] { return tg::sigmoid(dense(X)); }).to_vector();
  CHECK(p[0] < 0.1f);
  CHECK(p[1] < 0.3f);
  CHECK(p[2] < 0.3f);
  CHECK(p[3] > 0.7f);
}

TEST_CASE("softmax: along dim 0, 1 and 2 of a (2, 3, 4) tensor each slice sums to 1") {
  auto z = load<float>("softmax3d.z");
  REQUIRE(z.sizes() == tg::Shape{2, 3, 4});
  for (int64_t d = 0; d < 3; ++d) {
    CAPTURE(d);
    auto s = tg::F::softmax(z, d);
    NN_CHECK_REF(s, "softmax3d.dim" + std::to_string(d));
    auto sums = s.sum(d);
    CHECK(tg::allclose(sums, tg::ones_like(sums), 0, 1e-6));
    CHECK(tg::equal(nn::Softmax(d)(z), s));
  }
  // naive exp overflows at 1000; softmax subtracts the max first
  auto big = tg::tensor<float>({1000.0f, 1001.0f, 1002.0f});
  CHECK(std::isinf(tg::exp(big).sum().item()));
  auto s = tg::softmax(big, 0);
  CHECK(tg::allclose(s, tg::softmax(tg::tensor<float>({0.0f, 1.0f, 2.0f}), 0), 1e-6, 1e-7));
}
