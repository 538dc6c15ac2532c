// SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, NAdam and RAdam against tests/reference/optim2.txt
// (PyTorch 1.13, tools/gen_ref_optim2.py).
//
// Every case runs 8 steps on two parameters (SGD, Adam, AdamW: three) with the gradients PyTorch was
// given (recorded, not recomputed), so the parameters after each step and
// the final state must equal PyTorch's bit for bit, in float32 and float64
// (Note [Optimizer rounding] in optim/common.hpp).
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "support/optim_ref.hpp"
#include "support/reference.hpp"

namespace {

namespace tg = tapegrad;
namespace optim = tapegrad::optim;
using tapegrad_test::RefTensor;

const char* const kFile = "optim2.txt";
constexpr int kSteps = 8;

const RefTensor& rec(const std::string& name) { return tapegrad_test::ref(kFile, name); }

template <class T>
tg::Tensor<T> load(const std::string& name) {
  return tapegrad_test::load_ref<T>(kFile, name);
}

// Empty when got equals the record bit for bit (the record's doubles are exact
// in T; integer bit patterns compared, so -0 differs from +0).
template <class T>
std::string mismatch(const tg::Tensor<T>& got, const RefTensor& want) {
  using Bits = std::conditional_t<std::is_same_v<T, float>, uint32_t, uint64_t>;
  std::ostringstream os;
  if (!(got.sizes() == tg::Shape(want.shape.begin(), want.shape.end()))) {
    os << "shape " << got.sizes();
    return os.str();
  }
  const std::vector<T> g = got.to_vector();
  const std::vector<T> w = want.as<T>();
  os.precision(17);
  for (size_t i = 0; i < g.size(); ++i)
    if (std::bit_cast<Bits>(g[i]) != std::bit_cast<Bits>(w[i]) && !(std::isnan(g[i]) && std::isnan(w[i])))
      os << "[" << i << "] got " << g[i] << " want " << w[i] << "; ";
  return os.str();
}

#define CHECK_REF(got, record)                           \
  do {                                                   \
    const std::string name_ = (record);                  \
    const std::string mm_ = mismatch((got), rec(name_)); \
    CHECK_MESSAGE(mm_.empty(), name_, ": ", mm_);        \
  } while (0)


// Runs every case of `kind`: make(params, opts) builds the optimizer from the case's options.
// SGD, Adam and AdamW step a third, wider parameter (params.p2: whole vectors
// and a tail on both sides) and multiply lr by their last option, lr_gamma,
// after every step, as the generator does.
template <class T, class MakeT>
void check_cases(const std::string& kind, size_t n_cases, MakeT make, bool wide = false) {
  const auto names = tapegrad_test::ref_cases(kFile, kind + ".");
  CHECK(names.size() == n_cases);
  const std::string tag = tapegrad_test::float_tag<T>();
  for (const auto& c : names) {
    CAPTURE(c);
    std::vector<tg::Tensor<T>> ps{load<T>("params.p0"), load<T>("params.p1")};
    if (wide) ps.push_back(load<T>("params.p2"));
    for (auto& p : ps) p.requires_grad_();
    const std::vector<double>& opts = rec(c + ".opts").values;
    std::unique_ptr<optim::Optimizer<T>> opt = make(ps, opts);
    for (int k = 1; k <= kSteps; ++k) {
      for (size_t i = 0; i < ps.size(); ++i)
        ps[i].mutable_grad() = load<T>("grads.s" + std::to_string(k) + ".p" + std::to_string(i));
      opt->step();
      if (wide) opt->set_lr(opt->lr() * opts.back());
      for (size_t i = 0; i < ps.size(); ++i)
        CHECK_REF(ps[i], c + "." + tag + ".s" + std::to_string(k) + ".p" + std::to_string(i));
    }
    // The state, through state_dict() with PyTorch's keys (Note [Optimizer state_dict]).
    const auto sd = opt->state_dict();
    const std::string state_prefix = c + "." + tag + ".state.";
    std::set<std::string> want_keys, got_keys;
    for (const auto& [name, r] : tapegrad_test::ref_file(kFile))
      if (name.rfind(state_prefix, 0) == 0) want_keys.insert(name.substr(state_prefix.size()));
    // (no structured bindings here: clang before 16 cannot capture them in CHECK_MESSAGE)
    for (const auto& entry : sd.state)
      for (const auto& field : entry.second) {
        const tg::Tensor<T>& t = field.second;
        const std::string k = std::to_string(entry.first) + "." + field.first;
        got_keys.insert(k);
        if (want_keys.count(k)) {
          // a python number (RMSprop's, Adadelta's step) is a 0-d tensor here
          const RefTensor& r = rec(state_prefix + k);
          CHECK_MESSAGE(t.numel() == r.numel(), k);
          if (t.numel() == r.numel())
            CHECK_REF(t.reshape(tg::Shape(r.shape.begin(), r.shape.end())), state_prefix + k);
        }
      }
    CHECK(got_keys == want_keys);
  }
}

template <class Opt, class T, class Options>
std::unique_ptr<optim::Optimizer<T>> make_unique_opt(std::vector<tg::Tensor<T>> ps, Options o) {
  return std::make_unique<Opt>(std::move(ps), o);
}

}  // namespace

TEST_CASE_TEMPLATE("SGD: matches torch.optim.SGD bit for bit over 8 steps (momentum, dampening, nesterov, "
                   "weight decay, maximize, lr changed between steps)",
                   T, float, double) {
  check_cases<T>(
      "sgd", 8,
      [](std::vector<tg::Tensor<T>> ps, const std::vector<double>& o) {
        return make_unique_opt<optim::SGD<T>>(
            std::move(ps), optim::SGDOptions{.lr = o[0], .momentum = o[1], .dampening = o[2], .weight_decay = o[3],
                                             .nesterov = o[4] != 0, .maximize = o[5] != 0});
      },
      true);
}

template <class Opt, class Options, class T>
std::unique_ptr<optim::Optimizer<T>> make_adam(std::vector<tg::Tensor<T>> ps, const std::vector<double>& o) {
  return make_unique_opt<Opt>(std::move(ps), Options{.lr = o[0], .betas = {o[1], o[2]}, .eps = o[3],
                                                     .weight_decay = o[4], .amsgrad = o[5] != 0,
                                                     .maximize = o[6] != 0});
}

TEST_CASE_TEMPLATE("Adam: matches torch.optim.Adam bit for bit over 8 steps (betas, eps, weight decay, amsgrad, "
                   "maximize, lr changed between steps)",
                   T, float, double) {
  check_cases<T>("adam", 7, make_adam<optim::Adam<T>, optim::AdamOptions, T>, true);
}

TEST_CASE_TEMPLATE("AdamW: matches torch.optim.AdamW bit for bit over 8 steps (decoupled weight decay, betas, eps, "
                   "amsgrad, maximize, lr changed between steps)",
                   T, float, double) {
  check_cases<T>("adamw", 6, make_adam<optim::AdamW<T>, optim::AdamWOptions, T>, true);
}

TEST_CASE_TEMPLATE("RMSprop: matches torch.optim.RMSprop bit for bit over 8 steps (alpha, eps, weight decay, "
                   "momentum, centered, maximize)",
                   T, float, double) {
  check_cases<T>("rmsprop", 6, [](std::vector<tg::Tensor<T>> ps, const std::vector<double>& o) {
    return make_unique_opt<optim::RMSprop<T>>(
        std::move(ps), optim::RMSpropOptions{.lr = o[0], .alpha = o[1], .eps = o[2], .weight_decay = o[3],
                                             .momentum = o[4], .centered = o[5] != 0, .maximize = o[6] != 0});
  });
}

TEST_CASE_TEMPLATE("Adagrad: matches torch.optim.Adagrad bit for bit over 8 steps (lr_decay, weight decay, "
                   "initial_accumulator_value, eps, maximize)",
                   T, float, double) {
  check_cases<T>("adagrad", 4, [](std::vector<tg::Tensor<T>> ps, const std::vector<double>& o) {
    return make_unique_opt<optim::Adagrad<T>>(
        std::move(ps), optim::AdagradOptions{.lr = o[0], .lr_decay = o[1], .weight_decay = o[2],
                                             .initial_accumulator_value = o[3], .eps = o[4], .maximize = o[5] != 0});
  });
}

TEST_CASE_TEMPLATE("Adadelta: matches torch.optim.Adadelta bit for bit over 8 steps (lr, rho, eps, weight decay, "
                   "maximize)",
                   T, float, double) {
  check_cases<T>("adadelta", 4, [](std::vector<tg::Tensor<T>> ps, const std::vector<double>& o) {
    return make_unique_opt<optim::Adadelta<T>>(
        std::move(ps),
        optim::AdadeltaOptions{.lr = o[0], .rho = o[1], .eps = o[2], .weight_decay = o[3], .maximize = o[4] != 0});
  });
}

TEST_CASE_TEMPLATE("NAdam: matches torch.optim.NAdam bit for bit over 8 steps (betas, eps, weight decay, "
                   "momentum_decay), mu_product included",
                   T, float, double) {
  check_cases<T>("nadam", 4, [](std::vector<tg::Tensor<T>> ps, const std::vector<double>& o) {
    return make_unique_opt<optim::NAdam<T>>(
        std::move(ps), optim::NAdamOptions{.lr = o[0], .betas = {o[1], o[2]}, .eps = o[3], .weight_decay = o[4],
                                           .momentum_decay = o[5]});
  });
}

TEST_CASE_TEMPLATE("RAdam: matches torch.optim.RAdam bit for bit over 8 steps, before and after rectification "
                   "(rho_t > 5)",
                   T, float, double) {
  check_cases<T>("radam", 4, [](std::vector<tg::Tensor<T>> ps, const std::vector<double>& o) {
    return make_unique_opt<optim::RAdam<T>>(
        std::move(ps), optim::RAdamOptions{.lr = o[0], .betas = {o[1], o[2]}, .eps = o[3], .weight_decay = o[4]});
  });
  // The default case crosses the threshold within the 8 steps: rho_t is 5 or less at step 5, above 5 at 6.
  const double beta2 = 0.999, rho_inf = 2 / (1 - beta2) - 1;
  auto rho = [&](double t) { return rho_inf - 2 * t * std::pow(beta2, t) / (1 - std::pow(beta2, t)); };
  CHECK(rho(5) <= 5);
  CHECK(rho(6) > 5);
}

TEST_CASE("RMSpropOptions/AdagradOptions/AdadeltaOptions/NAdamOptions/RAdamOptions: the defaults are PyTorch's") {
  const optim::RMSpropOptions r;
  CHECK(rec("rmsprop.defaults").values == std::vector<double>{r.lr, r.alpha, r.eps, r.weight_decay, r.momentum,
                                                              double(r.centered), double(r.maximize)});
  const optim::AdagradOptions a;
  CHECK(rec("adagrad.defaults").values == std::vector<double>{a.lr, a.lr_decay, a.weight_decay,
                                                              a.initial_accumulator_value, a.eps, double(a.maximize)});
  const optim::AdadeltaOptions d;
  CHECK(rec("adadelta.defaults").values ==
        std::vector<double>{d.lr, d.rho, d.eps, d.weight_decay, double(d.maximize)});
  const optim::NAdamOptions n;
  CHECK(rec("nadam.defaults").values ==
        std::vector<double>{n.lr, n.betas[0], n.betas[1], n.eps, n.weight_decay, n.momentum_decay});
  const optim::RAdamOptions ra;
  CHECK(rec("radam.defaults").values ==
        std::vector<double>{ra.lr, ra.betas[0], ra.betas[1], ra.eps, ra.weight_decay});
  // ...and the default cases of the file were run with them: a constructor without options reproduces them.
  auto p = load<float>("params.p1");
  p.requires_grad_();
  optim::Adadelta opt({p});
  for (int k = 1; k <= kSteps; ++k) {
    p.mutable_grad() = load<float>("grads.s" + std::to_string(k) + ".p1");
    opt.step();
  }
  CHECK_REF(p, "adadelta.default.f32.s8.p1");
}

TEST_CASE("RMSprop/Adagrad/Adadelta/NAdam/RAdam: invalid options give PyTorch's messages, prefixed with the "
          "optimizer") {
  auto p = tg::zeros<float>({2});
  p.requires_grad_();
  const std::vector<tg::Tensor<float>> ps{p};
  struct Case {
    std::function<void()> make;
    const char* message;
    const char* optimizer;
    const char* record;
  };
  const std::vector<Case> table{
      {[&] { optim::RMSprop o(ps, {.lr = -1}); }, "RMSprop: invalid learning rate: -1", "RMSprop", "rmsprop_lr"},
      {[&] { optim::RMSprop o(ps, {.eps = -0.5}); }, "RMSprop: invalid epsilon value: -0.5", "RMSprop",
       "rmsprop_eps"},
      {[&] { optim::RMSprop o(ps, {.momentum = -0.9}); }, "RMSprop: invalid momentum value: -0.9", "RMSprop",
       "rmsprop_momentum"},
      {[&] { optim::RMSprop o(ps, {.weight_decay = -0.01}); }, "RMSprop: invalid weight_decay value: -0.01",
       "RMSprop", "rmsprop_weight_decay"},
      {[&] { optim::RMSprop o(ps, {.alpha = -0.99}); }, "RMSprop: invalid alpha value: -0.99", "RMSprop",
       "rmsprop_alpha"},
      {[&] { optim::Adagrad o(ps, {.lr = -0.01}); }, "Adagrad: invalid learning rate: -0.01", "Adagrad",
       "adagrad_lr"},
      {[&] { optim::Adagrad o(ps, {.lr_decay = -0.1}); }, "Adagrad: invalid lr_decay value: -0.1", "Adagrad",
       "adagrad_lr_decay"},
      {[&] { optim::Adagrad o(ps, {.weight_decay = -1}); }, "Adagrad: invalid weight_decay value: -1", "Adagrad",
       "adagrad_weight_decay"},
      {[&] { optim::Adagrad o(ps, {.initial_accumulator_value = -0.5}); },
       "Adagrad: invalid initial_accumulator_value value: -0.5", "Adagrad", "adagrad_initial_accumulator_value"},
      {[&] { optim::Adagrad o(ps, {.eps = -1e-10}); }, "Adagrad: invalid epsilon value: -1e-10", "Adagrad",
       "adagrad_eps"},
      {[&] { optim::Adadelta o(ps, {.lr = -1}); }, "Adadelta: invalid learning rate: -1", "Adadelta",
       "adadelta_lr"},
      {[&] { optim::Adadelta o(ps, {.rho = 1.5}); }, "Adadelta: invalid rho value: 1.5", "Adadelta",
       "adadelta_rho"},
      {[&] { optim::Adadelta o(ps, {.eps = -1e-6}); }, "Adadelta: invalid epsilon value: -1e-06", "Adadelta",
       "adadelta_eps"},
      {[&] { optim::Adadelta o(ps, {.weight_decay = -0.1}); }, "Adadelta: invalid weight_decay value: -0.1",
       "Adadelta", "adadelta_weight_decay"},
      {[&] { optim::NAdam o(ps, {.lr = -0.002}); }, "NAdam: invalid learning rate: -0.002", "NAdam", "nadam_lr"},
      {[&] { optim::NAdam o(ps, {.betas = {1.5, 0.999}}); }, "NAdam: invalid beta parameter at index 0: 1.5",
       "NAdam", "nadam_beta0"},
      {[&] { optim::NAdam o(ps, {.momentum_decay = -0.004}); }, "NAdam: invalid momentum_decay value: -0.004",
       "NAdam", "nadam_momentum_decay"},
      {[&] { optim::RAdam o(ps, {.eps = -1e-8}); }, "RAdam: invalid epsilon value: -1e-08", "RAdam", "radam_eps"},
      {[&] { optim::RAdam o(ps, {.betas = {0.9, 1.5}}); }, "RAdam: invalid beta parameter at index 1: 1.5",
       "RAdam", "radam_beta1"},
      {[&] { optim::RAdam o(ps, {.weight_decay = -0.5}); }, "RAdam: invalid weight_decay value: -0.5", "RAdam",
       "radam_weight_decay"},
  };
  for (const auto& c : table) {
    CAPTURE(c.message);
    CHECK_THROWS_WITH_AS(c.make(), c.message, tg::ValueError);
    CHECK(tapegrad_test::torch_message(kFile, c.optimizer, c.record) == c.message);
  }
  // The upper bounds PyTorch checks: rho may be 1, a beta may not.
  CHECK_NOTHROW(optim::Adadelta(ps, {.rho = 1.0}));
  CHECK_THROWS_WITH_AS(optim::RAdam(ps, {.betas = {1.0, 0.999}}), "RAdam: invalid beta parameter at index 0: 1",
                       tg::ValueError);
  // The options are checked before the parameters, as in PyTorch.
  CHECK_THROWS_WITH_AS(optim::Adagrad(std::vector<tg::Tensor<float>>{}, {.lr = -0.01}),
                       "Adagrad: invalid learning rate: -0.01", tg::ValueError);
}

TEST_CASE_TEMPLATE("RMSprop/Adagrad/Adadelta/NAdam/RAdam: parameters without a gradient are skipped, state and all",
                   T, float, double) {
  auto a = tg::ones<T>({2}), b = tg::ones<T>({3});
  a.requires_grad_();
  b.requires_grad_();
  std::vector<std::unique_ptr<optim::Optimizer<T>>> opts;
  opts.push_back(std::make_unique<optim::RMSprop<T>>(std::vector{a, b}, optim::RMSpropOptions{.momentum = 0.9}));
  opts.push_back(std::make_unique<optim::Adagrad<T>>(std::vector{a, b}));
  opts.push_back(std::make_unique<optim::Adadelta<T>>(std::vector{a, b}));
  opts.push_back(std::make_unique<optim::NAdam<T>>(std::vector{a, b}));
  opts.push_back(std::make_unique<optim::RAdam<T>>(std::vector{a, b}));
  for (auto& opt : opts) {
    CAPTURE(opt->name());
    a.mutable_grad() = tg::full<T>({2}, T(0.5));
    b.mutable_grad() = tg::Tensor<T>();
    const auto b_before = b.to_vector();
    opt->step();
    CHECK(b.to_vector() == b_before);
    CHECK(a.to_vector() != std::vector<T>{1, 1});
    const auto sd = opt->state_dict();
    // Adagrad's state exists from construction, as PyTorch's; the others' from a parameter's first step.
    CHECK(sd.state.count(0) == 1);
    CHECK(sd.state.count(1) == (std::string(opt->name()) == "Adagrad" ? 1u : 0u));
    tg::NoGradGuard no_grad;
    a.fill_(T(1));
  }
}

TEST_CASE("RMSprop/NAdam: steps record nothing on the tape and bump the parameter's version") {
  auto w = tg::ones<float>({3});
  w.requires_grad_();
  optim::NAdam opt({w});
  auto saved = w * w;  // saves w for backward
  w.mutable_grad() = tg::ones<float>({3});
  opt.step();
  CHECK(w.is_leaf());
  CHECK(w.requires_grad());
  CHECK_THROWS_AS(saved.sum().backward(), tg::Error);
}
