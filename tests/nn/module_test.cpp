// nn::Module and the layers: parameter names and registration, children,
// train()/eval(), Dropout, apply(), zero_grad(), to<double>(), PyTorch's repr,
// Sequential indexing, Linear's checks and default init, and nn::init.
#include "nn/nn_ref.hpp"

#include <cmath>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace tg = tapegrad;
namespace nn = tapegrad::nn;

auto d2l_net() {
  return nn::Sequential(nn::Flatten(), nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 10));
}

template <class List>
std::vector<std::string> names_of(const List& list) {
  std::vector<std::string> out;
  for (const auto& [n, v] : list) out.push_back(n);
  return out;
}

// A module written as the tutorials write one: a class with named submodules
// and a parameter of its own (PyTorch: class Net(nn.Module) with self.fc1 ...).
template <tg::FloatingElement T = float>
class TwoLayer : public nn::Cloneable<TwoLayer, T> {
 public:
  std::shared_ptr<nn::Linear<T>> fc1, fc2;
  tg::Tensor<T> scale;

  TwoLayer() {
    fc1 = this->register_module("fc1", std::make_shared<nn::Linear<T>>(3, 4));
    fc2 = this->register_module("fc2", std::make_shared<nn::Linear<T>>(4, 2));
    scale = this->register_parameter("scale", tg::ones<T>({1}));
    this->register_buffer("steps", tg::zeros<T>({}));
  }
  template <tg::FloatingElement U>
  explicit TwoLayer(const TwoLayer<U>& other) : TwoLayer() {
    tg::NoGradGuard no_grad;
    const auto mine = this->named_parameters();
    const auto theirs = other.named_parameters();
    for (size_t i = 0; i < mine.size(); ++i) mine[i].second.copy_(theirs[i].second);
    this->train(other.is_training());
  }
  tg::Tensor<T> forward(const tg::Tensor<T>& x) override { return (*fc2)(tg::relu((*fc1)(x))) * scale; }
  std::string name() const override { return "TwoLayer"; }
  // exposes the protected registration for the error tests
  void add_parameter(const std::string& n) { this->register_parameter(n, tg::zeros<T>({1})); }
};

// Statistics of a tensor's values.
struct Stats {
  double min, max, mean, std;
};
template <class T>
Stats stats(const tg::Tensor<T>& t) {
  const auto v = t.to_vector();
  double lo = INFINITY, hi = -INFINITY, s = 0, s2 = 0;
  for (T x : v) {
    lo = std::min(lo, double(x));
    hi = std::max(hi, double(x));
    s += double(x);
  }
  const double mean = s / double(v.size());
  for (T x : v) s2 += (double(x) - mean) * (double(x) - mean);
  return {lo, hi, mean, std::sqrt(s2 / double(v.size() - 1))};
}

}  // namespace

// ---- parameters, names, children -------------------------------------------------------------

TEST_CASE("named_parameters: Sequential names its children's parameters \"1.weight\", \"3.bias\" as PyTorch") {
  auto net = d2l_net();
  CHECK(names_of(net.named_parameters()) == std::vector<std::string>{"1.weight", "1.bias", "3.weight", "3.bias"});
  const auto params = net.parameters();
  REQUIRE(params.size() == 4);
  auto& fc1 = *net[1].as<nn::Linear<float>>();
  CHECK(params[0].is_same(fc1.weight));
  CHECK(params[1].is_same(fc1.bias));
  CHECK(params[0].sizes() == tg::Shape{256, 784});
  CHECK(params[3].sizes() == tg::Shape{10});
  for (const auto& p : params) {
    CHECK(p.requires_grad());
    CHECK(p.is_leaf());
  }
  CHECK(net.named_parameters(false).empty());  // a Sequential has none of its own
  CHECK(net[1].named_parameters(false).size() == 2);
}

TEST_CASE("named_parameters: nested modules join names with dots, own parameters first") {
  auto net = nn::Sequential(nn::Linear(3, 4), nn::Sequential(nn::ReLU(), nn::Linear(4, 4, false)),
                            nn::Linear(4, 1));
  CHECK(names_of(net.named_parameters()) ==
        std::vector<std::string>{"0.weight", "0.bias", "1.1.weight", "2.weight", "2.bias"});
  TwoLayer<float> m;
  CHECK(names_of(m.named_parameters()) ==
        std::vector<std::string>{"scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"});
  CHECK(names_of(m.named_buffers()) == std::vector<std::string>{"steps"});
  CHECK(m.buffers().size() == 1);
  CHECK_FALSE(m.buffers()[0].requires_grad());
  CHECK(names_of(m.named_children()) == std::vector<std::string>{"fc1", "fc2"});
}

TEST_CASE("children: the direct submodules in order, not the grandchildren") {
  auto net = nn::Sequential(nn::Linear(3, 4), nn::Sequential(nn::ReLU(), nn::Linear(4, 4)), nn::Tanh());
  const auto kids = net.children();
  REQUIRE(kids.size() == 3);
  CHECK(kids[0]->name() == "Linear");
  CHECK(kids[1]->name() == "Sequential");
  CHECK(kids[1]->children().size() == 2);
  CHECK(kids[2]->name() == "Tanh");
  CHECK(names_of(net.named_children()) == std::vector<std::string>{"0", "1", "2"});
  CHECK(kids[0]->as<nn::Linear<float>>() != nullptr);
  CHECK(kids[2]->as<nn::Linear<float>>() == nullptr);
}

TEST_CASE("register_parameter: a name must be new, non-empty and without dots") {
  TwoLayer<float> m;
  CHECK_THROWS_WITH_AS(m.add_parameter("scale"), "TwoLayer: attribute 'scale' already exists", tg::ValueError);
  CHECK_THROWS_WITH_AS(m.add_parameter("fc1"), "TwoLayer: attribute 'fc1' already exists", tg::ValueError);
  CHECK_THROWS_WITH_AS(m.add_parameter("a.b"), "TwoLayer: invalid name 'a.b' (must be non-empty and contain no '.')",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(m.add_parameter(""), "TwoLayer: invalid name '' (must be non-empty and contain no '.')",
                       tg::ValueError);
}

// ---- train / eval, Dropout -------------------------------------------------------------------

TEST_CASE("train/eval: the mode propagates to every descendant") {
  auto net = nn::Sequential(nn::Linear(3, 4), nn::Sequential(nn::Dropout(0.5), nn::Linear(4, 4)));
  CHECK(net.is_training());
  net.eval();
  CHECK_FALSE(net.is_training());
  CHECK_FALSE(net[0].is_training());
  CHECK_FALSE(net[1].is_training());
  CHECK_FALSE(net[1].children()[0]->is_training());
  net.train();
  CHECK(net[1].children()[0]->is_training());
  net.train(false);
  CHECK_FALSE(net[1].children()[0]->is_training());
}

TEST_CASE("Dropout: active only in train mode, zeroing about p and scaling the rest by 1/(1-p)") {
  tg::manual_seed(3);
  nn::Dropout<double> drop(0.2);
  auto x = tg::full<double>({100, 100}, 3.0);
  x.requires_grad_();
  auto y = drop(x);
  int64_t zeros = 0, wrong = 0;
  for (double v : y.to_vector()) {
    if (v == 0) ++zeros;
    else wrong += v != 3.0 * (1 / 0.8);
  }
  CHECK(wrong == 0);
  CHECK(zeros > 1850);  // expected 2000, sd 40
  CHECK(zeros < 2150);
  // the gradient is the same mask and scale
  y.sum().backward();
  const auto g = x.grad().to_vector(), yv = y.to_vector();
  for (size_t i = 0; i < g.size(); ++i) wrong += g[i] != (yv[i] == 0 ? 0.0 : 1 / 0.8);
  CHECK(wrong == 0);
  drop.eval();
  CHECK(tg::equal(drop(x), x));
  CHECK_THROWS_WITH_AS(nn::Dropout<float>(-0.1), "Dropout: probability has to be between 0 and 1, but got -0.1",
                       tg::ValueError);
}

// ---- apply, zero_grad ------------------------------------------------------------------------

TEST_CASE("apply: visits children first, then the module itself, as PyTorch") {
  auto net = nn::Sequential(nn::Linear(2, 3), nn::Sequential(nn::ReLU(), nn::Linear(3, 1)));
  std::vector<std::string> order;
  net.apply([&](nn::Module<float>& m) { order.push_back(m.name()); });
  CHECK(order == std::vector<std::string>{"Linear", "ReLU", "Linear", "Sequential", "Sequential"});
  // the tutorials' init_weights: normal(0, 0.01) on every Linear's weight
  tg::manual_seed(0);
  net.apply([](nn::Module<float>& m) {
    if (auto* l = m.as<nn::Linear<float>>()) {
      nn::init::normal_(l->weight, 0, 0.01);
      nn::init::zeros_(l->bias);
    }
  });
  for (const auto& np : net.named_parameters()) {
    const std::string& name = np.first;
    const auto& p = np.second;
    CAPTURE(name);
    const auto s = stats(p);
    if (name.find("bias") != std::string::npos) CHECK(s.max == 0);
    CHECK(std::abs(s.max) < 0.06);
    CHECK(p.requires_grad());
    CHECK(p.is_leaf());
  }
}

TEST_CASE("zero_grad: zeroes the gradients in place, or drops them with set_to_none") {
  auto net = nn::Sequential(nn::Linear(3, 4), nn::ReLU(), nn::Linear(4, 2));
  auto x = tg::ones<float>({5, 3});
  net(x).sum().backward();
  const auto params = net.parameters();
  for (const auto& p : params) REQUIRE(p.grad().defined());
  const auto grad0 = params[0].grad();
  net.zero_grad();
  for (const auto& p : params) {
    REQUIRE(p.grad().defined());
    CHECK(tg::equal(p.grad(), tg::zeros_like(p)));
  }
  CHECK(params[0].grad().is_same(grad0));  // in place: the same tensor
  net(x).sum().backward();
  net.zero_grad(/*set_to_none=*/true);
  for (const auto& p : params) CHECK_FALSE(p.grad().defined());
}

// ---- to<U>() -------------------------------------------------------------------------------

TEST_CASE("to<double>: converts values and keeps the structure, mode and requires_grad") {
  tg::manual_seed(1);
  auto net = nn::Sequential(nn::Flatten(), nn::Linear(6, 5), nn::ReLU(), nn::Dropout(0.3),
                            nn::Sequential(nn::Linear(5, 3, false), nn::Softmax(1)));
  net.eval();
  std::shared_ptr<nn::Module<double>> d = net.to<double>();
  CHECK(d->repr() == net.repr());
  CHECK_FALSE(d->is_training());
  CHECK_FALSE(d->children()[4]->is_training());
  const auto pf = net.named_parameters();
  const auto pd = d->named_parameters();
  REQUIRE(pd.size() == pf.size());
  for (size_t i = 0; i < pf.size(); ++i) {
    CHECK(pd[i].first == pf[i].first);
    CHECK(pd[i].second.requires_grad());
    CHECK(tg::equal(pd[i].second, pf[i].second.to<double>()));
  }
  // same computation, in double
  auto x = tg::rand<float>({2, 2, 3});
  CHECK(tg::allclose((*d)(x.to<double>()), net(x).to<double>(), 1e-5, 1e-6));
  // and back
  auto f = d->to<float>();
  CHECK(f->repr() == net.repr());
  CHECK(tg::equal(f->parameters()[1], pf[1].second));
  // a copy: changing the original does not change the converted module
  tg::no_grad([&] { pf[0].second.fill_(7.0f); });
  CHECK(pd[0].second.max().item() < 7.0);
  // a custom module through Cloneable
  TwoLayer<float> m;
  auto md = m.to<double>();
  CHECK(names_of(md->named_parameters()) == names_of(m.named_parameters()));
  CHECK(tg::allclose((*md)(tg::ones<double>({2, 3})), m(tg::ones<float>({2, 3})).to<double>(), 1e-5, 1e-6));
}

TEST_CASE("to<double>: every built-in layer converts; a module that cannot convert says how to fix it") {
  tg::manual_seed(2);
  auto net = nn::Sequential(nn::Linear(4, 3), nn::Tanh(), nn::Sigmoid(), nn::Identity(), nn::LogSoftmax(1));
  auto d = net.to<double>();
  CHECK(d->repr() == net.repr());
  REQUIRE(d->children().size() == 5);
  CHECK(d->children()[1]->as<nn::Tanh<double>>() != nullptr);
  CHECK(d->children()[4]->as<nn::LogSoftmax<double>>() != nullptr);
  auto x = tg::rand<float>({2, 4});
  CHECK(tg::allclose((*d)(x.to<double>()), net(x).to<double>(), 1e-5, 1e-6));

  // a module that is neither built in nor Cloneable
  struct Plain : nn::Module<float> {
    tg::Tensor<float> forward(const tg::Tensor<float>& x) override { return x; }
    std::string name() const override { return "Plain"; }
  };
  const std::string msg =
      "Plain: to<double>() cannot convert this module: derive it from nn::Cloneable<Plain, T> and give it a "
      "converting constructor Plain(const Plain<U>&)";
  Plain plain;
  CHECK_THROWS_WITH_AS(plain.to<double>(), msg.c_str(), tg::ValueError);
  // inside a container too, and the container is left as it was
  nn::Sequential<float> seq{std::make_shared<nn::Linear<float>>(2, 2), std::make_shared<Plain>()};
  CHECK_THROWS_WITH_AS(seq.to<double>(), msg.c_str(), tg::ValueError);
  CHECK(seq.size() == 2);
}

// ---- printing --------------------------------------------------------------------------------

TEST_CASE("repr: the d2l Sequential prints as PyTorch prints it") {
  auto net = d2l_net();
  CHECK(net.repr() == nn_test::rec("repr.d2l").text);
  std::ostringstream os;
  os << net;
  CHECK(os.str() == nn_test::rec("repr.d2l").text);
}

TEST_CASE("repr: every layer, nested containers and Linear without bias print as PyTorch") {
  auto net = nn::Sequential(nn::Flatten(), nn::Linear(6, 4, false), nn::Tanh(), nn::Dropout(0.2),
                            nn::Sequential(nn::Linear(4, 4), nn::Sigmoid(), nn::Identity()), nn::Linear(4, 3),
                            nn::Softmax(1), nn::LogSoftmax(-1));
  CHECK(net.repr() == nn_test::rec("repr.every_layer").text);
  CHECK(nn::Linear(2, 1, false).repr() == nn_test::rec("repr.linear_nobias").text);
}

// ---- Sequential ------------------------------------------------------------------------------

TEST_CASE("Sequential: indexing from the front and the back; out of range is an IndexError") {
  auto net = d2l_net();
  CHECK(net.size() == 4);
  CHECK(net[0].name() == "Flatten");
  CHECK(net[1].as<nn::Linear<float>>()->in_features() == 784);
  CHECK(net[-1].as<nn::Linear<float>>()->out_features() == 10);
  CHECK(net[-4].name() == "Flatten");
  CHECK(&net[-2] == &net[2]);
  CHECK_THROWS_WITH_AS(net[4], "Sequential: index 4 is out of range for 4 modules", tg::IndexError);
  CHECK_THROWS_WITH_AS(net[-5], "Sequential: index -5 is out of range for 4 modules", tg::IndexError);
  nn::Sequential<float> empty;
  CHECK_THROWS_WITH_AS(empty[0], "Sequential: index 0 is out of range for 0 modules", tg::IndexError);
}

TEST_CASE("Sequential: built from shared modules or by push_back, it applies them in order") {
  auto fc = std::make_shared<nn::Linear<double>>(2, 2);
  nn::Sequential<double> net{fc, std::make_shared<nn::ReLU<double>>()};
  net.push_back(fc);  // shared: both entries are the same layer, as in PyTorch
  CHECK(net.size() == 3);
  CHECK(names_of(net.named_parameters()) ==
        std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  auto x = tg::tensor<double>({{1.0, -2.0}, {0.5, 3.0}});
  auto want = tg::relu(x.matmul(fc->weight.t()) + fc->bias).matmul(fc->weight.t()) + fc->bias;
  CHECK(tg::allclose(net(x), want, 1e-12, 1e-12));
  CHECK_THROWS_WITH_AS(net.push_back(nullptr), "Sequential: cannot add a null module", tg::ValueError);
  // an empty Sequential is the identity
  nn::Sequential<double> empty;
  CHECK(empty(x).is_same(x));
}

TEST_CASE("Flatten, Identity, Softmax, LogSoftmax: forward as the functions") {
  auto x = tg::arange<float>(24).view({2, 3, 4});
  CHECK(nn::Flatten()(x).sizes() == tg::Shape{2, 12});
  CHECK(nn::Flatten(0)(x).sizes() == tg::Shape{24});
  CHECK(nn::Flatten(1, 1)(x).sizes() == tg::Shape{2, 3, 4});
  CHECK(nn::Identity()(x).is_same(x));
  CHECK(tg::equal(nn::Softmax(2)(x), tg::softmax(x, 2)));
  CHECK(tg::equal(nn::LogSoftmax(0)(x), tg::log_softmax(x, 0)));
  CHECK(tg::equal(nn::Tanh()(x), tg::tanh(x)));
  CHECK(tg::equal(nn::Sigmoid()(x), tg::sigmoid(x)));
}

// ---- Linear ----------------------------------------------------------------------------------

TEST_CASE("Linear: a wrong input width is an error naming the layer") {
  nn::Linear fc(784, 128);
  CHECK_THROWS_WITH_AS(fc(tg::zeros<float>({32, 100})), "Linear(784 -> 128): expected input [..., 784], got [32, 100]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(fc(tg::zeros<float>({})), "Linear(784 -> 128): expected input [..., 784], got []",
                       tg::ShapeError);
  // in a Sequential, the unflattened image reaches the Linear
  auto net = nn::Sequential(nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 10));
  CHECK_THROWS_WITH_AS(net(tg::zeros<float>({4, 28, 28})), "Linear(784 -> 256): expected input [..., 784], got [4, 28, 28]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(nn::Linear(0, 3), "Linear: in_features and out_features must be positive, got 0 and 3",
                       tg::ValueError);
}

TEST_CASE("Linear: 1-D and batched inputs, with and without bias") {
  nn::Linear<double> fc(3, 2), nobias(3, 2, false);
  CHECK_FALSE(nobias.bias.defined());
  CHECK(nobias.parameters().size() == 1);
  auto x = tg::tensor<double>({0.5, -1.0, 2.0});
  CHECK(fc(x).sizes() == tg::Shape{2});
  CHECK(tg::allclose(fc(x), fc.weight.mv(x) + fc.bias, 1e-12, 1e-12));
  auto xb = tg::rand<double>({4, 5, 3});
  CHECK(fc(xb).sizes() == tg::Shape{4, 5, 2});
  CHECK(tg::allclose(nobias(xb), tg::matmul(xb, nobias.weight.t()), 1e-12, 1e-12));
}

TEST_CASE("Linear: default init is U(-1/sqrt(fan_in), 1/sqrt(fan_in)) and reproducible under manual_seed") {
  tg::manual_seed(42);
  nn::Linear a(400, 300);
  tg::manual_seed(42);
  nn::Linear b(400, 300);
  nn::Linear c(400, 300);  // the generator moved on
  CHECK(tg::equal(a.weight, b.weight));
  CHECK(tg::equal(a.bias, b.bias));
  CHECK_FALSE(tg::equal(a.weight, c.weight));
  const double bound = 1 / std::sqrt(400.0);  // kaiming_uniform(a = sqrt(5)) on fan_in 400
  const auto w = stats(a.weight), bs = stats(a.bias);
  CHECK(w.min >= -bound);
  CHECK(w.max <= bound);
  CHECK(w.min < -0.99 * bound);  // the range is used: 120000 samples
  CHECK(w.max > 0.99 * bound);
  CHECK(std::abs(w.mean) < 0.01 * bound);
  CHECK(w.std == doctest::Approx(bound / std::sqrt(3.0)).epsilon(0.01));
  CHECK(bs.min >= -bound);
  CHECK(bs.max <= bound);
  CHECK(bs.std == doctest::Approx(bound / std::sqrt(3.0)).epsilon(0.15));  // 300 samples
}

// ---- nn::init --------------------------------------------------------------------------------

TEST_CASE_TEMPLATE("init: uniform_, normal_, constant_, zeros_, ones_ fill as asked, without recording", T, float,
                   double) {
  auto t = tg::empty<T>({200, 500});
  t.requires_grad_();
  tg::manual_seed(9);
  nn::init::uniform_(t, -2, 3);
  CHECK(t.is_leaf());
  auto s = stats(t);
  CHECK(s.min >= -2);
  CHECK(s.max < 3);
  CHECK(s.mean == doctest::Approx(0.5).epsilon(0.02));
  CHECK(s.std == doctest::Approx(5 / std::sqrt(12.0)).epsilon(0.01));
  nn::init::normal_(t, 1.5, 0.25);
  s = stats(t);
  CHECK(s.mean == doctest::Approx(1.5).epsilon(0.002));
  CHECK(s.std == doctest::Approx(0.25).epsilon(0.01));
  nn::init::constant_(t, 0.75);
  CHECK(tg::equal(t, tg::full<T>({200, 500}, T(0.75))));
  nn::init::zeros_(t);
  CHECK(tg::equal(t, tg::zeros<T>({200, 500})));
  nn::init::ones_(t);
  CHECK(tg::equal(t, tg::ones<T>({200, 500})));
  CHECK(t.is_leaf());
  CHECK(t.requires_grad());
  // reproducible from the seed
  tg::manual_seed(9);
  auto u = tg::empty<T>({200, 500});
  nn::init::uniform_(u, -2, 3);
  tg::manual_seed(9);
  auto v = tg::empty<T>({200, 500});
  nn::init::uniform_(v, -2, 3);
  CHECK(tg::equal(u, v));
}

TEST_CASE("init: xavier and kaiming use PyTorch's fans, gains and bounds") {
  tg::manual_seed(11);
  // weight [out, in, k] = [200, 100, 3]: fan_in 300, fan_out 600
  auto w = tg::empty<double>({200, 100, 3});
  const double fan_in = 300, fan_out = 600;

  nn::init::xavier_uniform_(w);
  double b = std::sqrt(6 / (fan_in + fan_out));
  auto s = stats(w);
  CHECK(s.min >= -b);
  CHECK(s.max <= b);
  CHECK(s.max > 0.99 * b);
  CHECK(s.std == doctest::Approx(b / std::sqrt(3.0)).epsilon(0.01));

  nn::init::xavier_uniform_(w, nn::init::calculate_gain("relu"));
  s = stats(w);
  CHECK(s.max <= std::sqrt(2.0) * b);
  CHECK(s.max > 0.99 * std::sqrt(2.0) * b);

  nn::init::xavier_normal_(w, 2.0);
  CHECK(stats(w).std == doctest::Approx(2 * std::sqrt(2 / (fan_in + fan_out))).epsilon(0.01));

  nn::init::kaiming_uniform_(w);  // a = 0, fan_in, leaky_relu: gain sqrt(2)
  b = std::sqrt(2.0) * std::sqrt(3 / fan_in);
  s = stats(w);
  CHECK(s.min >= -b);
  CHECK(s.max <= b);
  CHECK(s.max > 0.99 * b);

  nn::init::kaiming_uniform_(w, 0, nn::init::FanMode::fan_out, "relu");
  s = stats(w);
  CHECK(s.max <= std::sqrt(2.0) * std::sqrt(3 / fan_out));
  CHECK(s.max > 0.99 * std::sqrt(2.0) * std::sqrt(3 / fan_out));

  nn::init::kaiming_normal_(w);
  CHECK(stats(w).std == doctest::Approx(std::sqrt(2.0) / std::sqrt(fan_in)).epsilon(0.01));
  nn::init::kaiming_normal_(w, 0, nn::init::FanMode::fan_out, "tanh");
  CHECK(stats(w).std == doctest::Approx(5.0 / 3 / std::sqrt(fan_out)).epsilon(0.01));
}

TEST_CASE("init: calculate_gain follows PyTorch; fans need at least 2 dims") {
  using nn::init::calculate_gain;
  CHECK(calculate_gain("linear") == 1);
  CHECK(calculate_gain("sigmoid") == 1);
  CHECK(calculate_gain("tanh") == doctest::Approx(5.0 / 3));
  CHECK(calculate_gain("relu") == doctest::Approx(std::sqrt(2.0)));
  CHECK(calculate_gain("leaky_relu", std::sqrt(5.0)) == doctest::Approx(std::sqrt(1.0 / 3)));
  CHECK(calculate_gain("selu") == doctest::Approx(0.75));
  CHECK_THROWS_WITH_AS(calculate_gain("gelu"), "calculate_gain: unsupported nonlinearity 'gelu'", tg::ValueError);
  auto v = tg::empty<float>({5});
  CHECK_THROWS_WITH_AS(nn::init::xavier_uniform_(v),
                       "xavier_uniform_: fan in and fan out can not be computed for a tensor with fewer than 2 "
                       "dimensions, got shape [5]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(nn::init::kaiming_normal_(v),
                       "kaiming_normal_: fan in and fan out can not be computed for a tensor with fewer than 2 "
                       "dimensions, got shape [5]",
                       tg::ShapeError);
}
