// End-to-end training on small synthetic data sets generated here under
// manual_seed: nn::Sequential + DataLoader + cross_entropy + SGD/Adam must
// learn them to high accuracy. These are the MNIST example's pieces on
// problems small enough to run in well under a second under ASan.
#include <doctest/doctest.h>
#include <tapegrad/data.hpp>
#include <tapegrad/tapegrad.hpp>

#include <cmath>
#include <cstdint>
#include <memory>
#include <utility>

using namespace tapegrad;

namespace {

// XOR of four Gaussian blobs in 2-D: centres (+-1, +-1), std 0.25, class 1
// where the signs differ. No linear model separates it.
std::pair<Tensor<float>, Tensor<int64_t>> xor_blobs(int64_t n, Generator& gen) {
  auto corner = randint<int64_t>(0, 4, {n}, gen);
  auto x = randn<float>({n, 2}, gen) * 0.25f;
  auto y = empty<int64_t>({n});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = corner(i);
    const float sx = (c & 1) ? 1.0f : -1.0f, sy = (c & 2) ? 1.0f : -1.0f;
    x(i, 0) += sx;
    x(i, 1) += sy;
    y(i) = (sx > 0) != (sy > 0) ? 1 : 0;
  }
  return {x, y};
}

// k Gaussian blobs in d dimensions around the given centres, std 1 (classes
// are the blob index).
std::pair<Tensor<float>, Tensor<int64_t>> blobs(int64_t n, const Tensor<float>& centres, Generator& gen) {
  const int64_t k = centres.size(0), d = centres.size(1);
  auto y = randint<int64_t>(0, k, {n}, gen);
  auto x = randn<float>({n, d}, gen);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) x(i, j) += centres(y(i), j);
  return {x, y};
}

double accuracy(nn::Module<float>& net, const Tensor<float>& x, const Tensor<int64_t>& y) {
  NoGradGuard no_grad;
  net.eval();
  const auto correct = sum(eq(net(x).argmax(1), y)).item();
  net.train();
  return static_cast<double>(correct) / static_cast<double>(y.size(0));
}

double mean_loss(nn::Module<float>& net, const Tensor<float>& x, const Tensor<int64_t>& y) {
  NoGradGuard no_grad;
  return static_cast<double>(F::cross_entropy(net(x), y).item());
}

// Trains for `epochs` over shuffled mini-batches; returns the last epoch's
// mean training loss.
template <class Opt>
double fit(nn::Module<float>& net, Opt& opt, const Tensor<float>& x, const Tensor<int64_t>& y, int64_t epochs,
           int64_t batch, Generator& gen) {
  data::DataLoader loader(x, y, {.batch_size = batch, .shuffle = true, .generator = &gen});
  double last = 0;
  for (int64_t e = 0; e < epochs; ++e) {
    double sum_loss = 0;
    int64_t seen = 0;
    for (auto& [xb, yb] : loader) {
      auto loss = F::cross_entropy(net(xb), yb);
      opt.zero_grad();
      loss.backward();
      opt.step();
      sum_loss += static_cast<double>(loss.item()) * static_cast<double>(xb.size(0));
      seen += xb.size(0);
    }
    last = sum_loss / static_cast<double>(seen);
  }
  return last;
}

}  // namespace

TEST_CASE("training: an MLP with Adam learns XOR blobs to >= 98% on held-out points; a linear model can't") {
  manual_seed(7);
  Generator gen(7);
  auto [x, y] = xor_blobs(512, gen);
  auto [xt, yt] = xor_blobs(512, gen);

  nn::Sequential<float> net(nn::Linear<float>(2, 16), nn::ReLU<float>(), nn::Linear<float>(16, 2));
  optim::Adam<float> opt(net.parameters(), {.lr = 0.02});
  const double before = mean_loss(net, x, y);
  const double last_epoch = fit(net, opt, x, y, 40, 32, gen);
  const double after = mean_loss(net, x, y);
  CAPTURE(before);
  CAPTURE(last_epoch);
  CAPTURE(after);
  CHECK(before > 0.6);  // ~ln 2 at the start
  CHECK(after < before / 10);
  CHECK(accuracy(net, x, y) >= 0.98);
  CHECK(accuracy(net, xt, yt) >= 0.98);

  // The same data through one Linear layer stays near chance: the hidden
  // ReLU layer is what solves it, so the check above means something.
  nn::Sequential<float> linear(nn::Linear<float>(2, 2));
  optim::Adam<float> lopt(linear.parameters(), {.lr = 0.02});
  fit(linear, lopt, x, y, 40, 32, gen);
  CHECK(accuracy(linear, xt, yt) < 0.8);
}

TEST_CASE("training: Flatten -> Linear -> ReLU -> Linear with SGD learns 4 Gaussian blobs in 20-d, as the MNIST example") {
  manual_seed(3);
  Generator gen(3);
  // Centres N(0, 1) in 20-d lie ~6 apart, so the blobs overlap a little
  // (std 1): the Bayes error is well under 1%, but not 0.
  const auto centres = randn<float>({4, 20}, gen);
  auto [x, y] = blobs(600, centres, gen);
  auto [xt, yt] = blobs(600, centres, gen);
  // Samples as [N, 4, 5] images, flattened by the model like MNIST's [N, 1, 28, 28].
  auto images = x.reshape({600, 4, 5});
  auto test_images = xt.reshape({600, 4, 5});

  nn::Sequential<float> net(nn::Flatten<float>(), nn::Linear<float>(20, 32), nn::ReLU<float>(),
                            nn::Linear<float>(32, 4));
  // d2l's initialisation: weights N(0, 0.01), bias 0.
  net.apply([](nn::Module<float>& m) {
    if (auto* l = m.as<nn::Linear<float>>()) {
      nn::init::normal_(l->weight, 0, 0.01);
      nn::init::zeros_(l->bias);
    }
  });
  optim::SGD<float> opt(net.parameters(), {.lr = 0.1, .momentum = 0.9});
  const double before = mean_loss(net, images, y);
  fit(net, opt, images, y, 15, 50, gen);
  const double after = mean_loss(net, images, y);
  CAPTURE(before);
  CAPTURE(after);
  CHECK(before == doctest::Approx(std::log(4.0)).epsilon(0.01));  // tiny weights: uniform predictions
  CHECK(after < before / 20);
  CHECK(accuracy(net, images, y) >= 0.98);
  CHECK(accuracy(net, test_images, yt) >= 0.98);
}
