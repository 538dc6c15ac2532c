// nn::init, the default nn::Linear init and dropout masks against PyTorch
// 1.13's numbers for the same seeds, bit for bit (tests/reference/rng.txt);
// calculate_gain (against PyTorch), eye_ and orthogonal_.
#include "nn/surface_ref.hpp"
#include "support/rng_ref.hpp"

#include <sstream>
#include <string>

#include <cmath>
#include <thread>

namespace {
namespace tg = tapegrad;
namespace nn = tapegrad::nn;
namespace init = tapegrad::nn::init;
}  // namespace

TEST_CASE_TEMPLATE("nn::init: uniform_, normal_, kaiming_*, xavier_* give PyTorch's bits in its draw order", T, float,
                   double) {
  const std::string t = "init." + rng_test::tag<T>() + ".";
  tg::manual_seed(12);
  RNG_CHECK_BITS(init::uniform_(tg::empty<T>({3, 4}), -0.3, 0.7), t + "uniform");
  RNG_CHECK_BITS(init::normal_(tg::empty<T>({3, 6}), 0.1, 0.02), t + "normal");
  RNG_CHECK_BITS(init::kaiming_uniform_(tg::empty<T>({5, 4}), std::sqrt(5.0)), t + "kaiming_uniform");
  RNG_CHECK_BITS(init::kaiming_uniform_(tg::empty<T>({4, 3, 2}), 0, init::FanMode::fan_out, "relu"),
                 t + "kaiming_uniform_relu_out");
  RNG_CHECK_BITS(init::kaiming_normal_(tg::empty<T>({6, 5})), t + "kaiming_normal");
  RNG_CHECK_BITS(init::kaiming_normal_(tg::empty<T>({8, 4}), 0, init::FanMode::fan_in, "relu"),
                 t + "kaiming_normal_big");
  RNG_CHECK_BITS(init::xavier_uniform_(tg::empty<T>({3, 5}), 2.0), t + "xavier_uniform");
  RNG_CHECK_BITS(init::xavier_normal_(tg::empty<T>({4, 7})), t + "xavier_normal");
  // bit for bit on every platform: erfinv's log, erf and exp are x86-64
  // glibc's everywhere (Note [Portable libm])
  RNG_CHECK_BITS(init::trunc_normal_(tg::empty<T>({50})), t + "trunc_normal");
  RNG_CHECK_BITS(init::trunc_normal_(tg::empty<T>({30}), 0.5, 0.3, 0.0, 1.0), t + "trunc_normal_ab");
  // a draw after trunc_normal_ continues PyTorch's stream
  RNG_CHECK_BITS(tg::rand<T>({3}), t + "after_trunc_normal");
}

TEST_CASE_TEMPLATE("nn::init: an explicit generator gives the same numbers as the seeded default one", T, float,
                   double) {
  tg::manual_seed(12);
  auto a = init::kaiming_uniform_(tg::empty<T>({5, 4}), std::sqrt(5.0));
  auto b = init::trunc_normal_(tg::empty<T>({9}));
  tg::Generator g(12);
  tg::manual_seed(99);
  auto before = tg::get_rng_state();
  CHECK(tg::equal(init::kaiming_uniform_(tg::empty<T>({5, 4}), std::sqrt(5.0), init::FanMode::fan_in, "leaky_relu", g), a));
  CHECK(tg::equal(init::trunc_normal_(tg::empty<T>({9}), 0, 1, -2, 2, g), b));
  CHECK(tg::equal(tg::get_rng_state(), before));  // the default generator was not touched
  auto c = init::trunc_normal_(tg::empty<T>({1000}), 0.5, 0.3, 0.0, 1.0, g);
  CHECK(c.min().item() >= T(0));
  CHECK(c.max().item() <= T(1));
}

TEST_CASE_TEMPLATE("Linear: manual_seed(s) then Linear(in, out) has PyTorch's weight and bias", T, float, double) {
  const std::string t = rng_test::tag<T>();
  tg::manual_seed(250);
  nn::Linear<T> a(2, 1);
  RNG_CHECK_BITS(a.weight, "linear.250." + t + ".weight");
  RNG_CHECK_BITS(a.bias, "linear.250." + t + ".bias");
  tg::manual_seed(13);
  nn::Linear<T> b(20, 3);
  RNG_CHECK_BITS(b.weight, "linear.13." + t + ".weight");
  RNG_CHECK_BITS(b.bias, "linear.13." + t + ".bias");
  // an explicit generator: the same numbers, the default generator untouched
  tg::Generator g(13);
  auto before = tg::get_rng_state();
  nn::Linear<T> c(20, 3, true, g);
  CHECK(tg::equal(c.weight, b.weight));
  CHECK(tg::equal(c.bias, b.bias));
  CHECK(tg::equal(tg::get_rng_state(), before));
  // converting to another dtype draws nothing
  using U = std::conditional_t<std::is_same_v<T, float>, double, float>;
  nn::Linear<U> d(a);
  CHECK(tg::equal(tg::get_rng_state(), before));
}

TEST_CASE_TEMPLATE("dropout: PyTorch's masks for the same seed (functional, module, non-contiguous input)", T, float,
                   double) {
  const std::string t = "dropout." + rng_test::tag<T>() + ".";
  auto x = tg::arange<T>(1, 41).reshape({5, 8});
  tg::manual_seed(11);
  RNG_CHECK_BITS(tg::F::dropout(x, 0.3), t + "p03");
  nn::Dropout<T> drop(0.5);
  drop.train();
  RNG_CHECK_BITS(drop(x), t + "module05");
  RNG_CHECK_BITS(tg::F::dropout(x.t(), 0.9), t + "p09_t");
}

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
