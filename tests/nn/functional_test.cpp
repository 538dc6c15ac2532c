// nn::functional (F::) against PyTorch 1.13 (tests/reference/nn.txt): every
// loss's value and input gradient for every reduction and option, the
// extreme logits that overflow a naive softmax, linear on a 3-D input;
// gradcheck of each loss in double; the error messages.
#include "nn/nn_ref.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace {

using namespace nn_test;
using TD = tg::Tensor<double>;
using Inputs = std::vector<TD>;

// Backward from a loss: with the recorded upstream gradient for reduction none.
template <class T>
void backward(const tg::Tensor<T>& out, nn::Reduction reduction, const std::string& gout) {
  if (reduction == nn::Reduction::none) out.backward(load<T>(gout));
  else out.backward();
}

void check_gradcheck(const std::function<TD(const Inputs&)>& f, const Inputs& inputs) {
  const auto r = tg::gradcheck(f, inputs, 1e-6, 1e-6, 1e-4);
  CHECK_MESSAGE(r.ok, r.message);
}

// A double leaf of uniform values in [lo, hi).
TD uniform_leaf(const tg::Shape& shape, double lo, double hi, uint64_t seed) {
  tg::Generator gen(seed);
  auto t = tg::empty<double>(shape);
  t.uniform_(lo, hi, gen);
  t.requires_grad_();
  return t;
}

struct CeCase {
  const char* name;
  const char* target;
  nn::Reduction reduction;
  int64_t ignore_index;
  double label_smoothing;
  bool weighted;
};
constexpr auto kMean = nn::Reduction::mean, kSum = nn::Reduction::sum, kNone = nn::Reduction::none;
const CeCase kCeCases[] = {
    {"mean", "ce.target", kMean, -100, 0, false},
    {"sum", "ce.target", kSum, -100, 0, false},
    {"none", "ce.target", kNone, -100, 0, false},
    {"ignore_default", "ce.target_ign", kMean, -100, 0, false},
    {"ignore1", "ce.target", kMean, 1, 0, false},
    {"ignore1_sum", "ce.target", kSum, 1, 0, false},
    {"ignore1_none", "ce.target", kNone, 1, 0, false},
    {"smooth", "ce.target", kMean, -100, 0.1, false},
    {"smooth_sum", "ce.target", kSum, -100, 0.1, false},
    {"smooth_none", "ce.target", kNone, -100, 0.1, false},
    {"weight", "ce.target", kMean, -100, 0, true},
    {"weight_sum", "ce.target", kSum, -100, 0, true},
    {"weight_none", "ce.target", kNone, -100, 0, true},
    {"smooth_ignore1", "ce.target", kMean, 1, 0.1, false},
    {"all", "ce.target", kMean, 1, 0.1, true},
    {"all_sum", "ce.target", kSum, 1, 0.1, true},
    {"all_none", "ce.target", kNone, 1, 0.1, true},
};

template <class T>
nn::CrossEntropyOptions<T> ce_options(const CeCase& c) {
  nn::CrossEntropyOptions<T> o;
  o.reduction = c.reduction;
  o.ignore_index = c.ignore_index;
  o.label_smoothing = c.label_smoothing;
  if (c.weighted) o.weight = load<T>("ce.weight");
  return o;
}

}  // namespace

// ---- cross_entropy -------------------------------------------------------------------------

TEST_CASE_TEMPLATE("cross_entropy: values and gradients match PyTorch for every reduction and option", T, float,
                   double) {
  for (const CeCase& c : kCeCases) {
    CAPTURE(c.name);
    auto z = leaf<T>("ce.logits");
    auto out = F::cross_entropy(z, load_index(c.target), ce_options<T>(c));
    backward(out, c.reduction, "ce.gout");
    const std::string base = std::string("ce.") + c.name + "." + tag<T>();
    NN_CHECK_REF(out, base + ".out");
    NN_CHECK_REF(z.grad(), base + ".grad");
  }
}

TEST_CASE_TEMPLATE("cross_entropy: every target ignored gives nan for mean and a zero gradient", T, float, double) {
  auto z = leaf<T>("ce.logits");
  auto out = F::cross_entropy(z, tg::ones<int64_t>({5}), {.ignore_index = 1});
  out.backward();
  CHECK(std::isnan(static_cast<double>(out.item())));
  NN_CHECK_REF(out, "ce.all_ignored." + tag<T>() + ".out");
  NN_CHECK_REF(z.grad(), "ce.all_ignored." + tag<T>() + ".grad");
}

TEST_CASE_TEMPLATE("CrossEntropyLoss: calls cross_entropy with its options", T, float, double) {
  const CeCase& c = kCeCases[14];  // "all": weight + label smoothing + ignore_index
  REQUIRE(std::string(c.name) == "all");
  auto z = leaf<T>("ce.logits");
  nn::CrossEntropyLoss<T> loss(ce_options<T>(c));
  CHECK(loss.options().ignore_index == 1);
  auto out = loss(z, load_index("ce.target"));
  out.backward();
  NN_CHECK_REF(out, std::string("ce.all.") + tag<T>() + ".out");
  NN_CHECK_REF(z.grad(), std::string("ce.all.") + tag<T>() + ".grad");
}

TEST_CASE_TEMPLATE("cross_entropy: logits like [1000, 1000, -1000] and [-1e4, 0, 1e4] stay finite", T, float,
                   double) {
  const std::string base = "extreme." + tag<T>();
  auto z = leaf<T>("extreme.logits");
  auto target = load_index("extreme.target");
  NN_CHECK_REF(F::log_softmax(z, 1), base + ".log_softmax");
  NN_CHECK_REF(F::softmax(z, 1), base + ".softmax");
  NN_CHECK_REF(z.log_softmax(-1), base + ".log_softmax");
  auto ce = F::cross_entropy(z, target);
  ce.backward();
  NN_CHECK_REF(ce, base + ".ce");
  NN_CHECK_REF(z.grad(), base + ".ce_grad");
  NN_CHECK_REF(F::cross_entropy(z, target, {.reduction = nn::Reduction::none}), base + ".ce_none");
  for (T g : z.grad().to_vector()) CHECK(std::isfinite(g));
}

TEST_CASE_TEMPLATE("cross_entropy: the upstream gradient of reduction none may be a broadcast view", T, float,
                   double) {
  // sum()'s backward hands an expanded (stride-0) gradient to the loss's backward.
  auto z = leaf<T>("ce.logits");
  F::cross_entropy(z, load_index("ce.target"), {.reduction = nn::Reduction::none}).sum().backward();
  NN_CHECK_REF(z.grad(), std::string("ce.sum.") + tag<T>() + ".grad");
}

TEST_CASE_TEMPLATE("cross_entropy: accepts non-contiguous logits and targets", T, float, double) {
  auto zt = load<T>("ce.logits").t().contiguous();  // [4, 5]; zt.t() is the logits, transposed strides
  zt.requires_grad_();
  std::vector<int64_t> interleaved;
  for (int64_t v : load_index("ce.target").to_vector()) interleaved.insert(interleaved.end(), {v, 99});
  auto target = tg::from_vector(interleaved, tg::Shape{5, 2}).select(1, 0);  // stride 2
  REQUIRE_FALSE(zt.t().is_contiguous());
  REQUIRE_FALSE(target.is_contiguous());
  auto out = F::cross_entropy(zt.t(), target, {.label_smoothing = 0.1});
  out.backward();
  const std::string base = "ce.smooth." + tag<T>();
  NN_CHECK_REF(out, base + ".out");
  NN_CHECK_REF(zt.grad().t(), base + ".grad");
}

TEST_CASE("cross_entropy: gradcheck in double for every option") {
  const auto target = load_index("ce.target");
  for (const CeCase& c : kCeCases) {
    CAPTURE(c.name);
    auto o = ce_options<double>(c);
    check_gradcheck([&](const Inputs& v) { return F::cross_entropy(v[0], target, o); },
                    {uniform_leaf({5, 4}, -3, 3, 11)});
  }
}

// ---- nll_loss ------------------------------------------------------------------------------

TEST_CASE_TEMPLATE("nll_loss: values and gradients match PyTorch", T, float, double) {
  struct Case {
    const char* name;
    nn::Reduction reduction;
    int64_t ignore_index;
    bool weighted;
  };
  const Case cases[] = {{"mean", kMean, -100, false},  {"sum", kSum, -100, false},
                        {"none", kNone, -100, false},  {"weight", kMean, -100, true},
                        {"ignore1", kMean, 1, false},  {"weight_ignore1_none", kNone, 1, true}};
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto lp = leaf<T>("nll.input");
    nn::CrossEntropyOptions<T> o{.reduction = c.reduction, .ignore_index = c.ignore_index};
    if (c.weighted) o.weight = load<T>("nll.weight");
    auto out = F::nll_loss(lp, load_index("ce.target"), o);
    backward(out, c.reduction, "ce.gout");
    const std::string base = std::string("nll.") + c.name + "." + tag<T>();
    NN_CHECK_REF(out, base + ".out");
    NN_CHECK_REF(lp.grad(), base + ".grad");
  }
}

TEST_CASE("nll_loss: NLLLoss and log_softmax compose to cross_entropy") {
  auto z = load<double>("ce.logits");
  auto target = load_index("ce.target");
  nn::NLLLoss<double> nll;
  CHECK(tg::allclose(nll(F::log_softmax(z, 1), target), F::cross_entropy(z, target), 1e-12, 1e-12));
}

TEST_CASE("nll_loss: gradcheck in double") {
  const auto target = load_index("ce.target");
  const auto weight = load<double>("nll.weight");
  for (auto reduction : {kMean, kSum, kNone}) {
    check_gradcheck([&](const Inputs& v) {
      return F::nll_loss(v[0], target, {.reduction = reduction, .ignore_index = 1, .weight = weight});
    }, {uniform_leaf({5, 4}, -3, 0, 12)});
  }
}

// ---- mse_loss ------------------------------------------------------------------------------

TEST_CASE_TEMPLATE("mse_loss: values and gradients for input and target match PyTorch", T, float, double) {
  for (auto c : {std::pair{"mean", kMean}, std::pair{"sum", kSum}, std::pair{"none", kNone}}) {
    const char* name = c.first;
    const nn::Reduction reduction = c.second;
    CAPTURE(name);
    auto a = leaf<T>("mse.input"), b = leaf<T>("mse.target");
    auto out = F::mse_loss(a, b, reduction);
    backward(out, reduction, "mse.gout");
    const std::string base = std::string("mse.") + name + "." + tag<T>();
    NN_CHECK_REF(out, base + ".out");
    NN_CHECK_REF(a.grad(), base + ".grad_input");
    NN_CHECK_REF(b.grad(), base + ".grad_target");
  }
  nn::MSELoss<T> loss(kSum);
  NN_CHECK_REF(loss(load<T>("mse.input"), load<T>("mse.target")), "mse.sum." + tag<T>() + ".out");
}

TEST_CASE("mse_loss: gradcheck in double") {
  for (auto reduction : {kMean, kSum, kNone})
    check_gradcheck([&](const Inputs& v) { return F::mse_loss(v[0], v[1], reduction); },
                    {uniform_leaf({3, 4}, -2, 2, 13), uniform_leaf({3, 4}, -2, 2, 14)});
}

// ---- binary_cross_entropy ------------------------------------------------------------------

TEST_CASE_TEMPLATE("binary_cross_entropy: values and gradients match PyTorch, p = 0 and 1 included", T, float,
                   double) {
  for (auto c : {std::pair{"mean", kMean}, std::pair{"sum", kSum}, std::pair{"none", kNone},
                 std::pair{"weight", kMean}}) {
    const char* name = c.first;
    const nn::Reduction reduction = c.second;
    CAPTURE(name);
    auto p = leaf<T>("bce.input");
    const bool weighted = std::string(name) == "weight";
    auto out = F::binary_cross_entropy(p, load<T>("bce.target"), weighted ? load<T>("bce.weight") : tg::Tensor<T>(),
                                       reduction);
    backward(out, reduction, "bce.gout");
    const std::string base = std::string("bce.") + name + "." + tag<T>();
    NN_CHECK_REF(out, base + ".out");
    // d/dp at p = 0 or 1 is (p - y) / 1e-12: large, and relative error applies
    NN_CHECK_REF(p.grad(), base + ".grad");
  }
  // the logs are clamped at -100: log(0) for a wrong certain prediction costs 100
  auto worst = F::binary_cross_entropy(tg::tensor<T>({T(0), T(1)}), tg::tensor<T>({T(1), T(0)}));
  CHECK(static_cast<double>(worst.item()) == doctest::Approx(100.0));
}

TEST_CASE_TEMPLATE("BCELoss: applies its weight and reduction", T, float, double) {
  nn::BCELoss<T> loss(load<T>("bce.weight"));
  NN_CHECK_REF(loss(load<T>("bce.input"), load<T>("bce.target")), "bce.weight." + tag<T>() + ".out");
}

TEST_CASE("binary_cross_entropy: gradcheck in double away from 0 and 1") {
  auto target = tg::empty<double>({2, 3});
  tg::Generator gen(3);
  target.uniform_(0, 1, gen);
  const auto weight = tg::tensor<double>({0.5, 1.0, 2.0});
  for (auto reduction : {kMean, kSum, kNone})
    check_gradcheck([&](const Inputs& v) { return F::binary_cross_entropy(v[0], target, weight, reduction); },
                    {uniform_leaf({2, 3}, 0.05, 0.95, 15)});
}

// ---- binary_cross_entropy_with_logits ------------------------------------------------------

TEST_CASE_TEMPLATE("binary_cross_entropy_with_logits: values and gradients match PyTorch, |x| = 100 included", T,
                   float, double) {
  struct Case {
    const char* name;
    nn::Reduction reduction;
    bool weighted, pos_weighted;
  };
  const Case cases[] = {{"mean", kMean, false, false},   {"sum", kSum, false, false},
                        {"none", kNone, false, false},   {"weight", kMean, true, false},
                        {"pos_weight", kMean, false, true}, {"both", kSum, true, true}};
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto x = leaf<T>("bcel.input");
    auto out = F::binary_cross_entropy_with_logits(x, load<T>("bcel.target"),
                                                   c.weighted ? load<T>("bcel.weight") : tg::Tensor<T>(),
                                                   c.pos_weighted ? load<T>("bcel.pos_weight") : tg::Tensor<T>(),
                                                   c.reduction);
    backward(out, c.reduction, "bcel.gout");
    const std::string base = std::string("bcel.") + c.name + "." + tag<T>();
    NN_CHECK_REF(out, base + ".out");
    NN_CHECK_REF(x.grad(), base + ".grad");
  }
  nn::BCEWithLogitsLoss<T> loss(load<T>("bcel.weight"), kSum, load<T>("bcel.pos_weight"));
  NN_CHECK_REF(loss(load<T>("bcel.input"), load<T>("bcel.target")), "bcel.both." + tag<T>() + ".out");
}

TEST_CASE("binary_cross_entropy_with_logits: gradcheck in double with weight and pos_weight") {
  auto target = tg::tensor<double>({{0.0, 1.0, 0.25}, {1.0, 0.5, 0.0}});
  const auto weight = tg::tensor<double>({0.5, 1.0, 2.0});
  const auto pos_weight = tg::tensor<double>({3.0, 0.5, 1.0});
  for (auto reduction : {kMean, kSum, kNone})
    check_gradcheck([&](const Inputs& v) {
      return F::binary_cross_entropy_with_logits(v[0], target, weight, pos_weight, reduction);
    }, {uniform_leaf({2, 3}, -4, 4, 16)});
}

// ---- linear --------------------------------------------------------------------------------

TEST_CASE_TEMPLATE("linear: a 3-D input folds its leading dims, values and gradients match PyTorch", T, float,
                   double) {
  const std::string base = "linear3d." + tag<T>();
  auto x = leaf<T>("linear3d.x"), w = leaf<T>("linear3d.w"), b = leaf<T>("linear3d.b");
  auto out = F::linear(x, w, b);
  out.backward(load<T>("linear3d.gout"));
  NN_CHECK_REF(out, base + ".out");
  NN_CHECK_REF(x.grad(), base + ".grad_x");
  NN_CHECK_REF(w.grad(), base + ".grad_w");
  NN_CHECK_REF(b.grad(), base + ".grad_b");
  NN_CHECK_REF(F::linear(x, w), base + ".nobias.out");
}

TEST_CASE("linear: gradcheck in double for 1-D, 2-D and 3-D inputs, with and without bias") {
  for (tg::Shape shape : {tg::Shape{4}, tg::Shape{3, 4}, tg::Shape{2, 3, 4}}) {
    CAPTURE(shape);
    check_gradcheck([](const Inputs& v) { return F::linear(v[0], v[1], v[2]); },
                    {uniform_leaf(shape, -1, 1, 17), uniform_leaf({5, 4}, -1, 1, 18), uniform_leaf({5}, -1, 1, 19)});
    check_gradcheck([](const Inputs& v) { return F::linear(v[0], v[1]); },
                    {uniform_leaf(shape, -1, 1, 20), uniform_leaf({5, 4}, -1, 1, 21)});
  }
}

TEST_CASE_TEMPLATE("linear: the weight's gradient arrives contiguous, as PyTorch's", T, float, double) {
  // weight.t() goes into the GEMM; its gradient is produced in the weight's
  // layout, so accumulation and the optimizer run over contiguous memory
  for (bool bias : {true, false}) {
    CAPTURE(bias);
    auto x = leaf<T>("linear3d.x"), w = leaf<T>("linear3d.w"), b = leaf<T>("linear3d.b");
    auto out = bias ? F::linear(x, w, b) : F::linear(x, w);
    out.backward(load<T>("linear3d.gout"));
    CHECK(w.grad().is_contiguous());
    CHECK(x.grad().is_contiguous());
    NN_CHECK_REF(w.grad(), "linear3d." + tag<T>() + ".grad_w");
    NN_CHECK_REF(x.grad(), "linear3d." + tag<T>() + ".grad_x");
  }
}

// ---- activations and dropout ---------------------------------------------------------------

TEST_CASE("relu, sigmoid, tanh: the functional forms are the tensor ops") {
  auto x = tg::tensor<float>({-2.0f, -0.5f, 0.0f, 0.5f, 2.0f});
  CHECK(tg::equal(F::relu(x), tg::relu(x)));
  CHECK(tg::equal(F::sigmoid(x), tg::sigmoid(x)));
  CHECK(tg::equal(F::tanh(x), tg::tanh(x)));
}

TEST_CASE("dropout: identity when not training or p = 0; zeros for p = 1; scales survivors by 1/(1-p)") {
  auto x = tg::full<float>({1000}, 2.0f);
  CHECK(F::dropout(x, 0.5, false).is_same(x));
  CHECK(F::dropout(x, 0.0, true).is_same(x));
  CHECK(tg::equal(F::dropout(x, 1.0, true), tg::zeros<float>({1000})));
  tg::Generator gen(5);
  auto y = F::dropout(x, 0.25, true, gen);
  int64_t zeros = 0, wrong = 0;
  for (float v : y.to_vector()) {
    if (v == 0.0f) ++zeros;
    else wrong += v != 2.0f * static_cast<float>(1 / 0.75);
  }
  CHECK(wrong == 0);
  CHECK(zeros > 180);  // expected 250, sd 14
  CHECK(zeros < 320);
  CHECK_THROWS_WITH_AS(F::dropout(x, 1.5), "dropout: probability has to be between 0 and 1, but got 1.5",
                       tg::ValueError);
}

// The mask as bernoulli_(1 - p) then a product by 1 / (1 - p), the way
// Note [Dropout's mask] says the one-pass mask must match, and x times it.
template <class T>
tg::Tensor<T> dropout_by_bernoulli(const tg::Tensor<T>& x, double p, tg::Generator& gen) {
  auto noise = tg::empty<T>(x.sizes());
  noise.bernoulli_(1 - p, gen);
  return tg::mul(x, tg::mul(noise, tg::full<T>({}, T(1) / static_cast<T>(1 - p))));
}

TEST_CASE_TEMPLATE("dropout: the one-pass mask is bernoulli_(1 - p) scaled, bit for bit, for any size and p", T, float,
                   double) {
  // sizes around the mask's blocks of 512 and the generator's twists (624
  // words, two per element); p from nearly none to nearly all dropped
  for (int64_t n : {1, 311, 512, 513, 1247, 5001}) {
    for (double p : {1e-12, 0.2, 0.5, 0.9, 1 - 1e-12}) {
      auto x = tg::randn<T>({n});
      if (n > 3) {  // non-finite inputs: a dropped inf or NaN is NaN (0 * inf), as PyTorch's product
        x.data_ptr()[0] = std::numeric_limits<T>::infinity();
        x.data_ptr()[1] = -std::numeric_limits<T>::infinity();
        x.data_ptr()[2] = std::numeric_limits<T>::quiet_NaN();
      }
      tg::Generator a(static_cast<uint64_t>(n) * 7 + 3), b = a;
      (void)a.random(), (void)b.random();  // start mid-state
      const auto got = F::dropout(x, p, true, a).to_vector(), want = dropout_by_bernoulli(x, p, b).to_vector();
      CAPTURE(n);
      CAPTURE(p);
      REQUIRE(got.size() == want.size());
      CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(T)) == 0);
      CHECK(a.random() == b.random());  // the same number of words drawn
    }
  }
}

// ---- errors --------------------------------------------------------------------------------

TEST_CASE("cross_entropy: an out-of-range label names the label, the class count and the row") {
  auto z = load<float>("ce.logits");
  CHECK_THROWS_WITH_AS(F::cross_entropy(z, tg::tensor<int64_t>({1, 0, 4, 1, 2})),
                       "cross_entropy: target 4 is out of bounds for 4 classes (row 2)", tg::IndexError);
  CHECK_THROWS_WITH_AS(F::cross_entropy(z, tg::tensor<int64_t>({1, -1, 3, 1, 2})),
                       "cross_entropy: target -1 is out of bounds for 4 classes (row 1)", tg::IndexError);
  CHECK_THROWS_WITH_AS(F::nll_loss(z, tg::tensor<int64_t>({1, 0, 3, 9, 2})),
                       "nll_loss: target 9 is out of bounds for 4 classes (row 3)", tg::IndexError);
  // -100 is ignored by default, so it is no error
  CHECK_NOTHROW(F::cross_entropy(z, tg::tensor<int64_t>({1, -100, 3, 1, 2})));
}

TEST_CASE("cross_entropy: shape mismatches and bad options are errors") {
  auto z = load<float>("ce.logits");
  CHECK_THROWS_WITH_AS(F::cross_entropy(z, tg::tensor<int64_t>({1, 0, 3})),
                       "cross_entropy: expected input [N, C] and target [N], got input [5, 4] and target [3]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(F::cross_entropy(z.view({20}), tg::zeros<int64_t>({20})),
                       "cross_entropy: expected input [C], [N, C] or [N, C, d1, ...] and target [], [N] or [N, d1, ...], got "
                       "input [20] and target [20]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(F::cross_entropy(z, tg::zeros<int64_t>({5, 4})),
                       "cross_entropy: expected input [N, C] and target [N], got input [5, 4] and target [5, 4]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(F::cross_entropy(z, load_index("ce.target"), {.weight = tg::ones<float>({3})}),
                       "cross_entropy: weight must have one entry per class, got shape [3] for 4 classes",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(F::cross_entropy(z, load_index("ce.target"), {.label_smoothing = 1.5}),
                       "cross_entropy: label_smoothing must be between 0.0 and 1.0, got 1.5", tg::ValueError);
  CHECK_THROWS_WITH_AS(F::nll_loss(z, load_index("ce.target"), {.label_smoothing = 0.1}),
                       "nll_loss: label_smoothing is an option of cross_entropy, not nll_loss", tg::ValueError);
  auto w = tg::ones<float>({4});
  w.requires_grad_();
  auto zl = leaf<float>("ce.logits");
  CHECK_THROWS_WITH_AS(F::cross_entropy(zl, load_index("ce.target"), {.weight = w}),
                       "cross_entropy: gradients with respect to the class weight are not supported", tg::ValueError);
}

TEST_CASE("mse_loss, binary_cross_entropy: target shape must match, BCE input must lie in [0, 1]") {
  auto a = tg::zeros<float>({3, 4});
  CHECK_THROWS_WITH_AS(F::mse_loss(a, tg::zeros<float>({4})),
                       "mse_loss: target shape [4] must match input shape [3, 4]", tg::ShapeError);
  CHECK_THROWS_WITH_AS(F::binary_cross_entropy(a, tg::zeros<float>({3, 1})),
                       "binary_cross_entropy: target shape [3, 1] must match input shape [3, 4]", tg::ShapeError);
  CHECK_THROWS_WITH_AS(F::binary_cross_entropy_with_logits(a, tg::zeros<float>({2, 4})),
                       "binary_cross_entropy_with_logits: target shape [2, 4] must match input shape [3, 4]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(F::binary_cross_entropy(tg::tensor<float>({0.5f, 1.5f}), tg::zeros<float>({2})),
                       "binary_cross_entropy: all elements of input should be between 0 and 1, got 1.5",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(F::binary_cross_entropy(tg::tensor<double>({-0.25, 0.5}), tg::zeros<double>({2})),
                       "binary_cross_entropy: all elements of input should be between 0 and 1, got -0.25",
                       tg::ValueError);
  CHECK_THROWS_AS(F::binary_cross_entropy(tg::tensor<float>({std::numeric_limits<float>::quiet_NaN()}),
                                          tg::zeros<float>({1})),
                  tg::ValueError);
  auto p = tg::full<float>({2}, 0.5f);
  auto y = tg::full<float>({2}, 1.0f);
  y.requires_grad_();
  // the target is differentiated, as PyTorch: d/dy = (log(1 - p) - log p) / N, 0 at p = 0.5
  // (tests/reference/fuzz_nn.txt checks other values against PyTorch)
  F::binary_cross_entropy(p, y).backward();
  REQUIRE(y.grad().defined());
  CHECK(y.grad().to_vector() == std::vector<float>{0.0f, 0.0f});
}

TEST_CASE("linear: weight, input and bias shapes are checked") {
  auto w = tg::zeros<float>({5, 4});
  CHECK_THROWS_WITH_AS(F::linear(tg::zeros<float>({2, 3}), w),
                       "linear: input of shape [2, 3] does not fit weight of shape [5, 4] (expected input [..., 4])",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(F::linear(tg::zeros<float>({2, 4}), tg::zeros<float>({4})),
                       "linear: weight must be 2-D [out, in], got shape [4]", tg::ShapeError);
  CHECK_THROWS_WITH_AS(F::linear(tg::zeros<float>({2, 4}), w, tg::zeros<float>({4})),
                       "linear: bias of shape [4] does not fit weight of shape [5, 4] (expected [5])", tg::ShapeError);
}
