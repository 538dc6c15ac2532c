// Optimizers (SGD, Adam, AdamW) and learning-rate schedulers (StepLR,
// CosineAnnealingLR) against tests/reference/optim.txt (PyTorch 1.13).
//
// The file's problem is loss = ((x @ w + b).tanh() ** 2).sum(), trained
// 3 steps (zero_grad, backward, step). The gradients come from tapegrad's own
// autograd, whose tanh differs from PyTorch's by an ulp or two: float32 is
// held to rtol 1e-5 (atol 1e-6 for values near 0), float64 to rtol 1e-13.
// The updates themselves are checked bit for bit, with PyTorch's recorded
// gradients, in optim2_test.cpp. The schedules are scalar double arithmetic
// done in PyTorch's order: exact.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cmath>
#include <functional>
#include <sstream>
#include <utility>
#include <string>
#include <type_traits>
#include <vector>

#include "support/optim_ref.hpp"
#include "support/reference.hpp"

namespace {

namespace tg = tapegrad;
namespace optim = tapegrad::optim;
using tapegrad_test::RefTensor;

const char* const kFile = "optim.txt";

const RefTensor& rec(const std::string& name) { return tapegrad_test::ref(kFile, name); }

template <class T>
tg::Tensor<T> load(const std::string& name) {
  return tapegrad_test::load_ref<T>(kFile, name);
}

template <class T>
std::string close_mismatch(const tg::Tensor<T>& got, const RefTensor& want) {
  const double rtol = std::is_same_v<T, float> ? 1e-5 : 1e-13;
  const double atol = std::is_same_v<T, float> ? 1e-6 : 1e-14;
  std::ostringstream os;
  if (!(got.sizes() == tg::Shape(want.shape.begin(), want.shape.end()))) {
    os << "shape " << got.sizes();
    return os.str();
  }
  const std::vector<T> g = got.to_vector();
  os.precision(17);
  for (size_t i = 0; i < g.size(); ++i) {
    const double x = static_cast<double>(g[i]), w = want.values[i];
    if (!(std::abs(x - w) <= atol + rtol * std::abs(w))) os << "[" << i << "] got " << x << " want " << w << "; ";
  }
  return os.str();
}

#define CHECK_REF(got, record)                                   \
  do {                                                           \
    const std::string name_ = (record);                          \
    const std::string mm_ = close_mismatch((got), rec(name_));       \
    CHECK_MESSAGE(mm_.empty(), name_, ": ", mm_);                \
  } while (0)

// The problem of the reference file: parameters w [3, 2], b [2] and input x [4, 3].
template <class T>
struct Problem {
  tg::Tensor<T> x = load<T>("problem.x");
  tg::Tensor<T> w = load<T>("problem.w");
  tg::Tensor<T> b = load<T>("problem.b");
  Problem() {
    w.requires_grad_();
    b.requires_grad_();
  }
  std::vector<tg::Tensor<T>> params() const { return {w, b}; }
  tg::Tensor<T> loss() const { return (tg::matmul(x, w) + b).tanh().pow(2).sum(); }
  // PyTorch's training loop, as gen_reference.py runs it.
  void train(optim::Optimizer<T>& opt, int steps = 3) const {
    for (int i = 0; i < steps; ++i) {
      opt.zero_grad();
      loss().backward();
      opt.step();
    }
  }
};

}  // namespace

// ---- the problem ---------------------------------------------------------------------------

TEST_CASE_TEMPLATE("optim reference problem: tapegrad's loss and gradients match PyTorch's", T, float, double) {
  Problem<T> pb;
  auto loss = pb.loss();
  loss.backward();
  CHECK_REF(loss, "problem." + tapegrad_test::float_tag<T>() + ".loss");
  CHECK_REF(pb.w.grad(), "problem." + tapegrad_test::float_tag<T>() + ".grad_w");
  CHECK_REF(pb.b.grad(), "problem." + tapegrad_test::float_tag<T>() + ".grad_b");
}

// ---- parity with PyTorch ------------------------------------------------------------------

// SGD's, Adam's and AdamW's updates are checked bit for bit against PyTorch, every
// option, in tests/optim/optim2_test.cpp (recorded gradients).

TEST_CASE("SGDOptions/AdamOptions/AdamWOptions: the defaults are PyTorch's") {
  const optim::SGDOptions s;
  CHECK(std::isnan(s.lr));  // required, as in PyTorch
  CHECK(rec("sgd.defaults").values ==
        std::vector<double>{s.momentum, s.dampening, s.weight_decay, double(s.nesterov), double(s.maximize)});
  const optim::AdamOptions a;
  CHECK(rec("adam.defaults").values == std::vector<double>{a.lr, a.betas[0], a.betas[1], a.eps, a.weight_decay,
                                                           double(a.amsgrad), double(a.maximize)});
  const optim::AdamWOptions w;
  CHECK(rec("adamw.defaults").values == std::vector<double>{w.lr, w.betas[0], w.betas[1], w.eps, w.weight_decay,
                                                            double(w.amsgrad), double(w.maximize)});
  // ...and Adam(params) with no options uses them (the "default" records).
  Problem<float> pb;
  optim::Adam opt(pb.params());
  pb.train(opt);
  CHECK_REF(pb.w, "adam.default.f32.w");
}

// ---- learning-rate schedules ----------------------------------------------------------------

template <class Make>
void check_schedule(const std::string& c, Make make) {
  CAPTURE(c);
  const auto& o = rec(c + ".opts").values;
  const auto& want = rec(c + ".lr").values;
  auto p = tg::zeros<float>({2});
  p.requires_grad_();
  optim::SGD opt({p}, {.lr = o[0]});
  auto sched = make(opt, o);
  std::vector<double> got{sched.get_last_lr()};
  float expected_p = 0;
  for (int epoch = 0; epoch < 10; ++epoch) {
    p.mutable_grad() = tg::ones<float>({2});
    opt.step();  // uses the scheduled lr
    expected_p -= static_cast<float>(opt.lr());
    sched.step();
    CHECK(opt.lr() == sched.get_last_lr());
    got.push_back(sched.get_last_lr());
  }
  CHECK(sched.last_epoch() == 10);
  CHECK(got == want);  // exactly PyTorch's doubles (Note [Recursive schedules])
  CHECK(p(0) == doctest::Approx(expected_p).epsilon(1e-6));
}

TEST_CASE("StepLR: learning rates of 10 epochs match PyTorch's exactly") {
  for (const char* c : {"steplr.s3_g0.5", "steplr.s2_gdefault"}) {
    check_schedule(c, [&](optim::SGD<float>& opt, const std::vector<double>& o) {
      const auto step_size = static_cast<int64_t>(o[1]);
      // the default gamma is PyTorch's 0.1
      return std::string(c).find("gdefault") != std::string::npos ? optim::StepLR(opt, step_size)
                                                                   : optim::StepLR(opt, step_size, o[2]);
    });
  }
}

TEST_CASE("CosineAnnealingLR: learning rates of 10 epochs match PyTorch's recursive form exactly, past T_max too") {
  for (const char* c : {"cosine.t10_min0", "cosine.t3_min0.01", "cosine.t4_min0.02"}) {
    check_schedule(c, [](optim::SGD<float>& opt, const std::vector<double>& o) {
      return optim::CosineAnnealingLR(opt, static_cast<int64_t>(o[1]), o[2]);
    });
  }
  // The recursion differs from the closed form in the last bits, so the comparison above
  // would catch a closed-form implementation.
  const auto& lr = rec("cosine.t3_min0.01.lr").values;
  CHECK(lr[6] != 0.1);
}

TEST_CASE("StepLR/CosineAnnealingLR: reject a non-positive period") {
  auto p = tg::zeros<float>({2});
  p.requires_grad_();
  optim::SGD opt({p}, {.lr = 0.1});
  CHECK_THROWS_WITH_AS(optim::StepLR(opt, 0), "StepLR: step_size must be positive, got 0", tg::ValueError);
  CHECK_THROWS_WITH_AS(optim::CosineAnnealingLR(opt, -1), "CosineAnnealingLR: T_max must be positive, got -1",
                       tg::ValueError);
}

// ---- errors ---------------------------------------------------------------------------------

TEST_CASE("SGD/Adam/AdamW: invalid options give PyTorch's messages, prefixed with the optimizer") {
  Problem<float> pb;
  const auto ps = pb.params();
  struct Case {
    std::function<void()> make;
    const char* message;
    const char* optimizer;
    const char* record;
  };
  const std::vector<Case> table{
      {[&] { optim::SGD o(ps, {.lr = -0.1}); }, "SGD: invalid learning rate: -0.1", "SGD", "sgd_lr"},
      {[&] { optim::SGD o(ps, {.lr = 0.1, .momentum = -0.5}); }, "SGD: invalid momentum value: -0.5", "SGD",
       "sgd_momentum"},
      {[&] { optim::SGD o(ps, {.lr = 0.1, .weight_decay = -0.01}); }, "SGD: invalid weight_decay value: -0.01",
       "SGD", "sgd_weight_decay"},
      {[&] { optim::SGD o(ps, {.lr = 0.1, .nesterov = true}); },
       "SGD: nesterov momentum requires a momentum and zero dampening", "SGD", "sgd_nesterov_no_momentum"},
      {[&] { optim::SGD o(ps, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5, .nesterov = true}); },
       "SGD: nesterov momentum requires a momentum and zero dampening", "SGD", "sgd_nesterov_dampening"},
      {[&] { optim::Adam o(ps, {.lr = -0.001}); }, "Adam: invalid learning rate: -0.001", "Adam", "adam_lr"},
      {[&] { optim::Adam o(ps, {.eps = -1e-8}); }, "Adam: invalid epsilon value: -1e-08", "Adam", "adam_eps"},
      {[&] { optim::Adam o(ps, {.betas = {1.5, 0.999}}); }, "Adam: invalid beta parameter at index 0: 1.5", "Adam",
       "adam_beta0"},
      {[&] { optim::Adam o(ps, {.betas = {0.9, -0.5}}); }, "Adam: invalid beta parameter at index 1: -0.5", "Adam",
       "adam_beta1"},
      {[&] { optim::Adam o(ps, {.weight_decay = -0.25}); }, "Adam: invalid weight_decay value: -0.25", "Adam",
       "adam_weight_decay"},
      {[&] { optim::AdamW o(ps, {.betas = {0.9, 1.5}}); }, "AdamW: invalid beta parameter at index 1: 1.5", "AdamW",
       "adamw_beta1"},
      {[&] { optim::SGD o(std::vector<tg::Tensor<float>>{}, {.lr = 0.1}); },
       "SGD: optimizer got an empty parameter list", "SGD", "empty"},
  };
  for (const auto& c : table) {
    CAPTURE(c.message);
    CHECK_THROWS_WITH_AS(c.make(), c.message, tg::ValueError);
    CHECK(tapegrad_test::torch_message(kFile, c.optimizer, c.record) == c.message);
  }
  CHECK_THROWS_WITH_AS(optim::SGD(ps, {}), "SGD: a learning rate is required: SGD(params, {.lr = 0.01})",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(optim::Adam(ps, {.lr = std::nan("")}), "Adam: invalid learning rate: nan", tg::ValueError);
  // The options are checked before the parameters, as in PyTorch.
  CHECK_THROWS_WITH_AS(optim::SGD(std::vector<tg::Tensor<float>>{}, {.lr = -0.1}),
                       "SGD: invalid learning rate: -0.1", tg::ValueError);
}

TEST_CASE("Optimizer: rejects parameters that can't be optimized, naming the index and shape") {
  auto w = tg::ones<float>({3, 2});
  w.requires_grad_();
  auto frozen = tg::ones<float>({2});
  auto computed = w * 2.0f;
  CHECK_THROWS_WITH_AS(optim::SGD({w, frozen}, {.lr = 0.1}),
                       "SGD: parameter 1 (shape [2]) does not require grad; call requires_grad_() on it, or "
                       "leave it out",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(optim::Adam({computed}),
                       "Adam: can't optimize a non-leaf tensor: parameter 0 (shape [3, 2]) was computed by "
                       "MulBackward0; pass the leaf tensors that you called requires_grad_() on",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(optim::AdamW({w, tg::Tensor<float>()}), "AdamW: parameter 1 is an undefined tensor",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(optim::SGD({w, w}, {.lr = 0.1}),
                       "SGD: parameter 1 is the same tensor as parameter 0; pass each parameter once",
                       tg::ValueError);
  auto expanded = tg::ones<float>({1, 2});
  expanded = expanded.expand({3, 2});
  expanded.requires_grad_();
  CHECK_THROWS_AS(optim::SGD({expanded}, {.lr = 0.1}), tg::ValueError);  // steps would write one element twice
}

TEST_CASE("SGD/Adam: a gradient of the wrong shape is refused at step()") {
  auto w = tg::ones<float>({3, 2});
  w.requires_grad_();
  optim::SGD sgd({w}, {.lr = 0.1});
  w.mutable_grad() = tg::ones<float>({2});
  CHECK_THROWS_WITH_AS(sgd.step(), "SGD: parameter 0 has shape [3, 2] but its grad has shape [2]",
                       tg::ShapeError);
  optim::Adam adam({w});
  CHECK_THROWS_WITH_AS(adam.step(), "Adam: parameter 0 has shape [3, 2] but its grad has shape [2]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(adam.state(1), "Adam: state index 1 is out of range for 1 parameters", tg::IndexError);
}

// ---- behaviour --------------------------------------------------------------------------------

TEST_CASE_TEMPLATE("zero_grad: zeroes gradients in place by default, makes them undefined with set_to_none",
                   T, float, double) {
  Problem<T> pb;
  optim::SGD opt(pb.params(), {.lr = 0.1});
  opt.zero_grad();  // no grads yet: stays undefined
  CHECK_FALSE(pb.w.grad().defined());
  pb.loss().backward();
  const T* buffer = pb.w.grad().data_ptr();
  opt.zero_grad();
  REQUIRE(pb.w.grad().defined());
  CHECK(pb.w.grad().data_ptr() == buffer);  // the same buffer, zeroed
  CHECK(tg::equal(pb.w.grad(), tg::zeros<T>({3, 2})));
  CHECK(tg::equal(pb.b.grad(), tg::zeros<T>({2})));
  // The zeroed buffer accumulates the next backward, which equals a fresh one.
  pb.loss().backward();
  CHECK(pb.w.grad().data_ptr() == buffer);
  CHECK_REF(pb.w.grad(), "problem." + tapegrad_test::float_tag<T>() + ".grad_w");
  opt.zero_grad(/*set_to_none=*/true);
  CHECK_FALSE(pb.w.grad().defined());
  CHECK_FALSE(pb.b.grad().defined());
}

TEST_CASE("zero_grad: a gradient that requires grad or has history is detached, as PyTorch") {
  auto w = tg::ones<float>({2});
  w.requires_grad_();
  optim::SGD opt({w}, {.lr = 0.1});
  auto leaf = tg::ones<float>({2});
  leaf.requires_grad_();
  w.mutable_grad() = leaf * 3.0f;  // a grad with a grad_fn
  opt.zero_grad();
  CHECK(w.grad().is_leaf());
  CHECK_FALSE(w.grad().requires_grad());
  CHECK(tg::equal(w.grad(), tg::zeros<float>({2})));
  w.mutable_grad() = leaf;  // a leaf that requires grad
  opt.zero_grad();
  CHECK_FALSE(leaf.requires_grad());
  CHECK(tg::equal(leaf, tg::zeros<float>({2})));
}

TEST_CASE_TEMPLATE("step: parameters without a gradient are skipped, state and all", T, float, double) {
  auto used = tg::full<T>({2}, T(1));
  auto unused = tg::full<T>({3}, T(1));
  used.requires_grad_();
  unused.requires_grad_();
  optim::SGD sgd({used, unused}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.1});
  optim::Adam adam({used, unused}, {.lr = 0.1, .weight_decay = 0.1});
  optim::AdamW adamw({used, unused}, {.lr = 0.1});
  for (optim::Optimizer<T>* opt : std::vector<optim::Optimizer<T>*>{&sgd, &adam, &adamw}) {
    CAPTURE(opt->name());
    opt->zero_grad();
    (used * used).sum().backward();
    const auto before = used.to_vector();
    opt->step();
    CHECK(used.to_vector() != before);
    CHECK(tg::equal(unused, tg::full<T>({3}, T(1))));  // not even weight decay
  }
  CHECK(sgd.state(0).momentum_buffer.defined());
  CHECK_FALSE(sgd.state(1).momentum_buffer.defined());
  CHECK(adam.state(0).step == 1);
  CHECK(adam.state(1).step == 0);
  CHECK_FALSE(adam.state(1).exp_avg.defined());
  CHECK(adamw.state(1).step == 0);
}

TEST_CASE("step: records nothing under grad mode; parameters stay leaves that require grad") {
  Problem<float> pb;
  optim::SGD sgd(pb.params(), {.lr = 0.1, .momentum = 0.9});
  optim::Adam adam(pb.params());
  REQUIRE(tg::GradMode::is_enabled());
  for (optim::Optimizer<float>* opt : std::vector<optim::Optimizer<float>*>{&sgd, &adam}) {
    CAPTURE(opt->name());
    pb.train(*opt, 2);
    CHECK(tg::GradMode::is_enabled());
    for (const auto& p : pb.params()) {
      CHECK(p.is_leaf());
      CHECK(p.grad_fn() == nullptr);
      CHECK(p.requires_grad());
      CHECK_FALSE(p.grad().requires_grad());
    }
  }
  CHECK_FALSE(sgd.state(0).momentum_buffer.requires_grad());
  CHECK_FALSE(adam.state(0).exp_avg.requires_grad());
}

TEST_CASE("step: updates in place, so a graph that saved a parameter refuses to backward afterwards") {
  Problem<float> pb;
  optim::SGD opt(pb.params(), {.lr = 0.1});
  pb.loss().backward();
  const float* data = pb.w.data_ptr();
  auto pending = (pb.w * pb.w).sum();  // saves w
  opt.step();
  CHECK(pb.w.data_ptr() == data);
  CHECK_THROWS_AS(pending.backward(), tg::ValueError);
}

TEST_CASE("step: state tensors are allocated once, at a parameter's first step") {
  Problem<double> pb;
  optim::SGD sgd(pb.params(), {.lr = 0.01, .momentum = 0.9});
  optim::Adam adam(pb.params(), {.lr = 0.01, .amsgrad = true});
  pb.train(sgd, 1);
  pb.train(adam, 1);
  const double* buf = sgd.state(0).momentum_buffer.data_ptr();
  const double* m = adam.state(0).exp_avg.data_ptr();
  const double* v = adam.state(0).exp_avg_sq.data_ptr();
  const double* vmax = adam.state(0).max_exp_avg_sq.data_ptr();
  pb.train(sgd, 3);
  pb.train(adam, 3);
  CHECK(sgd.state(0).momentum_buffer.data_ptr() == buf);
  CHECK(adam.state(0).exp_avg.data_ptr() == m);
  CHECK(adam.state(0).exp_avg_sq.data_ptr() == v);
  CHECK(adam.state(0).max_exp_avg_sq.data_ptr() == vmax);
  CHECK(adam.state(0).step == 4);
  CHECK(adam.state(0).max_exp_avg_sq.sizes() == pb.w.sizes());
}

TEST_CASE_TEMPLATE("step: a non-contiguous parameter and gradient get the same update as contiguous ones", T,
                   float, double) {
  // w_t: a transposed (column-major) leaf; w: the same values laid out row-major.
  Problem<T> pb;
  auto w_t = pb.w.detach().t().contiguous().t();
  auto w = pb.w.detach().clone();
  w_t.requires_grad_();
  w.requires_grad_();
  REQUIRE_FALSE(w_t.is_contiguous());
  optim::Adam a({w_t}, {.lr = 0.1, .weight_decay = 0.1, .amsgrad = true});
  optim::Adam b({w}, {.lr = 0.1, .weight_decay = 0.1, .amsgrad = true});
  optim::SGD c({w_t}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.1, .nesterov = true});
  optim::SGD d({w}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.1, .nesterov = true});
  for (int i = 0; i < 3; ++i) {
    const std::vector<std::pair<optim::Optimizer<T>*, tg::Tensor<T>>> runs{{&a, w_t}, {&b, w}, {&c, w_t}, {&d, w}};
    for (const auto& [opt, p] : runs) {
      const auto g = (w.detach() * T(3)).tanh();  // same values for both layouts
      p.mutable_grad() = p.is_contiguous() ? g.clone() : g.t().contiguous().t();
      opt->step();
    }
    CHECK(tg::equal(w_t, w));
  }
  CHECK_FALSE(w_t.is_contiguous());
}

TEST_CASE("SGD/Adam: class template argument deduction from the parameters") {
  auto w = tg::zeros<double>({2});
  w.requires_grad_();
  std::vector<tg::Tensor<double>> ps{w};
  optim::SGD a(ps, {.lr = 0.1});
  optim::SGD b({w}, {.lr = 0.1, .momentum = 0.9});
  optim::Adam c(ps);
  optim::AdamW d({w}, {.lr = 0.01});
  static_assert(std::is_same_v<decltype(a), optim::SGD<double>>);
  static_assert(std::is_same_v<decltype(b), optim::SGD<double>>);
  static_assert(std::is_same_v<decltype(c), optim::Adam<double>>);
  static_assert(std::is_same_v<decltype(d), optim::AdamW<double>>);
  CHECK(b.options().momentum == 0.9);
  CHECK(d.options().weight_decay == 1e-2);  // AdamW's default
  d.set_lr(0.5);
  CHECK(d.options().lr == 0.5);
  CHECK(d.lr() == 0.5);
  CHECK_THROWS_WITH_AS(d.set_lr(-1), "AdamW: invalid learning rate: -1", tg::ValueError);
}

// ---- training -------------------------------------------------------------------------------

TEST_CASE("SGD: fits y = 2x + 1 within 1e-3, step for step the tutorials' update rule w -= lr * w.grad") {
  const auto x = tg::linspace<float>(-1, 1, 20).reshape({20, 1});
  const auto y = x * 2.0f + 1.0f;
  auto fit = [&](auto update) {
    auto w = tg::zeros<float>({1, 1});
    auto b = tg::zeros<float>({1});
    w.requires_grad_();
    b.requires_grad_();
    update(w, b);
    return std::pair{w.item(), b.item()};
  };
  auto loss = [&](const tg::Tensor<float>& w, const tg::Tensor<float>& b) {
    return (tg::matmul(x, w) + b - y).pow(2).mean();
  };
  const float lr = 0.1f;
  const int steps = 300;
  const auto [w_sgd, b_sgd] = fit([&](const tg::Tensor<float>& w, const tg::Tensor<float>& b) {
    optim::SGD opt({w, b}, {.lr = lr});
    for (int i = 0; i < steps; ++i) {
      opt.zero_grad();
      loss(w, b).backward();
      opt.step();
    }
  });
  const auto [w_manual, b_manual] = fit([&](const tg::Tensor<float>& w, const tg::Tensor<float>& b) {
    for (int i = 0; i < steps; ++i) {
      loss(w, b).backward();
      tg::NoGradGuard no_grad;
      w -= w.grad() * lr;
      b -= b.grad() * lr;
      w.mutable_grad().zero_();
      b.mutable_grad().zero_();
    }
  });
  CHECK(std::abs(w_sgd - 2.0f) < 1e-3f);
  CHECK(std::abs(b_sgd - 1.0f) < 1e-3f);
  CHECK(w_sgd == w_manual);  // bit for bit
  CHECK(b_sgd == b_manual);
  // Momentum and Adam get there too.
  const auto [w_mom, b_mom] = fit([&](const tg::Tensor<float>& w, const tg::Tensor<float>& b) {
    optim::SGD opt({w, b}, {.lr = 0.05, .momentum = 0.9, .nesterov = true});
    for (int i = 0; i < steps; ++i) {
      opt.zero_grad(true);
      loss(w, b).backward();
      opt.step();
    }
  });
  CHECK(std::abs(w_mom - 2.0f) < 1e-3f);
  CHECK(std::abs(b_mom - 1.0f) < 1e-3f);
  const auto [w_adam, b_adam] = fit([&](const tg::Tensor<float>& w, const tg::Tensor<float>& b) {
    optim::Adam opt({w, b}, {.lr = 0.05});
    optim::CosineAnnealingLR sched(opt, steps);
    for (int i = 0; i < steps; ++i) {
      opt.zero_grad();
      loss(w, b).backward();
      opt.step();
      sched.step();
    }
  });
  CHECK(std::abs(w_adam - 2.0f) < 1e-3f);
  CHECK(std::abs(b_adam - 1.0f) < 1e-3f);
}
