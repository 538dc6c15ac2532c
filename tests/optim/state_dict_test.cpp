// Optimizer::state_dict()/load_state_dict() (optim/state_dict.hpp,
// optim/optimizer_state.hpp): PyTorch's structure and keys (from
// tests/reference/optim2.txt), a round trip in memory for every optimizer,
// and mismatched dicts refused with the key and shapes named, changing nothing.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cmath>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/reference.hpp"

namespace {

namespace tg = tapegrad;
namespace optim = tapegrad::optim;

const char* const kFile = "optim2.txt";

std::set<std::string> lines(const std::string& record) {
  std::set<std::string> out;
  std::istringstream is(tapegrad_test::ref(kFile, record).text);
  for (std::string line; std::getline(is, line);) out.insert(line);
  return out;
}

std::set<std::string> keys(const std::map<std::string, std::vector<double>>& m) {
  std::set<std::string> out;
  for (const auto& kv : m) out.insert(kv.first);
  return out;
}
std::set<std::string> keys(const std::map<std::string, tg::Tensor<float>>& m) {
  std::set<std::string> out;
  for (const auto& kv : m) out.insert(kv.first);
  return out;
}

struct Params {
  tg::Tensor<float> w = tg::arange<float>(6).reshape({2, 3}) * 0.25f - 0.5f;
  tg::Tensor<float> b = tg::full<float>({3}, 0.5f);
  Params() {
    w.requires_grad_();
    b.requires_grad_();
  }
  std::vector<tg::Tensor<float>> list() const { return {w, b}; }
  // a few steps of a fixed problem whose gradients differ from step to step
  void train(optim::Optimizer<float>& opt, int steps) const {
    const auto x = tg::arange<float>(8).reshape({4, 2}) * 0.5f - 1.0f;
    for (int i = 0; i < steps; ++i) {
      opt.zero_grad();
      (tg::matmul(x, w) + b).tanh().pow(2).sum().backward();
      opt.step();
    }
  }
};

using Factory = std::function<std::unique_ptr<optim::Optimizer<float>>(const std::vector<tg::Tensor<float>>&)>;

// A Factory of Opt with the given options.
template <class Opt, class Options>
Factory factory(Options o) {
  return [o](const std::vector<tg::Tensor<float>>& ps) -> std::unique_ptr<optim::Optimizer<float>> {
    return std::make_unique<Opt>(ps, o);
  };
}

// Every optimizer with options that create all of its state (PyTorch's key in .first).
std::vector<std::pair<std::string, Factory>> all_optimizers() {
  return {
      {"sgd", factory<optim::SGD<float>>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9})},
      {"adam", factory<optim::Adam<float>>(optim::AdamOptions{.lr = 0.05, .amsgrad = true})},
      {"adamw", factory<optim::AdamW<float>>(optim::AdamWOptions{.lr = 0.05})},
      {"rmsprop", factory<optim::RMSprop<float>>(optim::RMSpropOptions{.momentum = 0.5, .centered = true})},
      {"adagrad", factory<optim::Adagrad<float>>(optim::AdagradOptions{.lr = 0.1, .lr_decay = 0.01})},
      {"adadelta", factory<optim::Adadelta<float>>(optim::AdadeltaOptions{})},
      {"nadam", factory<optim::NAdam<float>>(optim::NAdamOptions{})},
      {"radam", factory<optim::RAdam<float>>(optim::RAdamOptions{.lr = 0.05})},
  };
}

bool same(const tg::Tensor<float>& a, const tg::Tensor<float>& b) {
  return a.sizes() == b.sizes() && a.to_vector() == b.to_vector();
}

}  // namespace

TEST_CASE("state_dict: param_groups and state keys are PyTorch's for all eight optimizers") {
  // (no structured bindings: clang before 16 cannot capture them in CAPTURE)
  for (const auto& named : all_optimizers()) {
    const std::string& kind = named.first;
    const Factory& make = named.second;
    CAPTURE(kind);
    Params p;
    auto opt = make(p.list());
    p.train(*opt, 2);
    const auto sd = opt->state_dict();
    REQUIRE(sd.param_groups.size() == 1);
    CHECK(keys(sd.param_groups[0]) == lines(kind + ".group_keys"));
    CHECK(sd.param_groups[0].at("params") == std::vector<double>{0, 1});
    CHECK(sd.param_groups[0].at("lr") == std::vector<double>{opt->lr()});
    REQUIRE(sd.state.size() == 2);
    const std::string state_record = kind + ".state_keys";
    if (tapegrad_test::has_ref(kFile, state_record)) {
      std::set<std::string> want = lines(state_record);
      if (kind == "rmsprop") want.insert({"momentum_buffer", "grad_avg"});  // the default case has neither
      CHECK(keys(sd.state.at(0)) == want);
    }
    for (const auto& entry : sd.state)
      for (const auto& field : entry.second) {
        const std::string& key = field.first;
        CAPTURE(key);
        if (key == "step" || key == "mu_product") CHECK(field.second.dim() == 0);
        else CHECK(field.second.sizes() == p.list()[static_cast<size_t>(entry.first)].sizes());
      }
  }
}

TEST_CASE("state_dict/load_state_dict: a fresh optimizer loaded from a dict continues bit for bit, for all eight "
          "optimizers") {
  for (const auto& named : all_optimizers()) {
    const std::string& kind = named.first;
    const Factory& make = named.second;
    CAPTURE(kind);
    Params a;
    auto opt_a = make(a.list());
    a.train(*opt_a, 5);
    const auto sd = opt_a->state_dict();
    Params b;  // same starting values
    {
      tg::NoGradGuard no_grad;
      b.w.copy_(a.w);
      b.b.copy_(a.b);
    }
    auto opt_b = make(b.list());
    opt_b->set_lr(123.0);  // replaced by the dict's
    opt_b->load_state_dict(sd);
    CHECK(opt_b->lr() == opt_a->lr());
    a.train(*opt_a, 5);
    b.train(*opt_b, 5);
    CHECK(same(a.w, b.w));
    CHECK(same(a.b, b.b));
    // the dict is a snapshot: continuing did not change it
    CHECK_FALSE(same(opt_a->state_dict().state.begin()->second.begin()->second,
                     sd.state.begin()->second.begin()->second));
  }
}

TEST_CASE("load_state_dict: options come from the dict (amsgrad turns on with its max_exp_avg_sq)") {
  Params a, b;
  optim::Adam<float> src(a.list(), {.lr = 0.01, .betas = {0.8, 0.9}, .amsgrad = true});
  a.train(src, 3);
  optim::Adam<float> dst(b.list());
  dst.load_state_dict(src.state_dict());
  CHECK(dst.options().amsgrad);
  CHECK(dst.options().betas == std::array<double, 2>{0.8, 0.9});
  CHECK(dst.options().lr == 0.01);
  CHECK(dst.state(0).step == 3);
  CHECK(same(dst.state(1).max_exp_avg_sq, src.state(1).max_exp_avg_sq));
  // a parameter without an entry loses its state
  auto sd = src.state_dict();
  sd.state.erase(1);
  dst.load_state_dict(sd);
  CHECK(dst.state(1).step == 0);
  CHECK_FALSE(dst.state(1).exp_avg.defined());
  CHECK(dst.state(0).step == 3);
}

TEST_CASE("load_state_dict: a dict that does not fit is refused with the key and shapes named, changing nothing") {
  Params a;
  optim::Adam<float> src(a.list(), {.lr = 0.01, .amsgrad = true});
  a.train(src, 2);
  const auto good = src.state_dict();

  Params b;
  optim::Adam<float> dst(b.list(), {.lr = 0.5});
  b.train(dst, 1);
  const auto before = dst.state_dict();
  auto unchanged = [&] {
    const auto now = dst.state_dict();
    CHECK(now.param_groups == before.param_groups);
    CHECK(dst.state(0).step == 1);
    CHECK(same(dst.state(0).exp_avg, before.state.at(0).at("exp_avg")));
    CHECK_FALSE(dst.options().amsgrad);
  };

  auto sd = good;
  sd.param_groups[0]["params"] = {0, 1, 2};
  CHECK_THROWS_WITH_AS(dst.load_state_dict(sd),
                       "Adam: load_state_dict: loaded state dict contains a parameter group of 3 parameters that "
                       "doesn't match the size of optimizer's group (2)",
                       tg::ValueError);
  unchanged();

  sd = good;
  sd.state[1]["exp_avg"] = tg::zeros<float>({2, 3});
  CHECK_THROWS_WITH_AS(dst.load_state_dict(sd),
                       "Adam: load_state_dict: state.1.exp_avg has shape [2, 3] but parameter 1 has shape [3]",
                       tg::ValueError);
  unchanged();  // amsgrad from the dict was rolled back as well

  sd = good;
  sd.state[0].erase("max_exp_avg_sq");
  CHECK_THROWS_WITH_AS(dst.load_state_dict(sd),
                       "Adam: load_state_dict: missing key state.0.max_exp_avg_sq (expected shape [2, 3], as "
                       "parameter 0)",
                       tg::ValueError);
  unchanged();

  sd = good;
  sd.state[0].erase("step");
  CHECK_THROWS_WITH_AS(dst.load_state_dict(sd), "Adam: load_state_dict: missing key state.0.step", tg::ValueError);
  sd = good;
  sd.state[0]["step"] = tg::zeros<float>({2});
  CHECK_THROWS_WITH_AS(dst.load_state_dict(sd),
                       "Adam: load_state_dict: state.0.step must hold one value, got shape [2]", tg::ValueError);
  sd = good;
  sd.state[0]["step"] = tg::full<float>({}, std::nanf(""));
  CHECK_THROWS_WITH_AS(dst.load_state_dict(sd),
                       "Adam: load_state_dict: state.0.step must be a whole number of steps, got nan", tg::ValueError);
  sd.state[0]["step"] = tg::full<float>({}, 2.5f);
  CHECK_THROWS_WITH_AS(dst.load_state_dict(sd),
                       "Adam: load_state_dict: state.0.step must be a whole number of steps, got 2.5", tg::ValueError);
  sd = good;
  sd.state[0]["momentum_buffer"] = tg::zeros<float>({2, 3});
  CHECK_THROWS_WITH_AS(dst.load_state_dict(sd), "Adam: load_state_dict: unexpected key state.0.momentum_buffer",
                       tg::ValueError);
  sd = good;
  sd.state[2] = sd.state[0];
  CHECK_THROWS_WITH_AS(dst.load_state_dict(sd),
                       "Adam: load_state_dict: state has an entry for parameter 2 but the optimizer has 2 parameters",
                       tg::ValueError);
  sd = good;
  sd.param_groups[0]["momentum"] = {0.9};
  CHECK_THROWS_WITH_AS(dst.load_state_dict(sd), "Adam: load_state_dict: unexpected key 'momentum' in param_groups[0]",
                       tg::ValueError);
  sd = good;
  sd.param_groups[0].erase("eps");
  CHECK_THROWS_WITH_AS(dst.load_state_dict(sd), "Adam: load_state_dict: param_groups[0] has no 'eps'",
                       tg::ValueError);
  sd = good;
  sd.param_groups[0]["betas"] = {0.9};
  CHECK_THROWS_WITH_AS(dst.load_state_dict(sd),
                       "Adam: load_state_dict: param_groups[0]['betas'] has 1 values, expected 2", tg::ValueError);
  sd = good;
  sd.param_groups.push_back(sd.param_groups[0]);
  CHECK_THROWS_WITH_AS(dst.load_state_dict(sd),
                       "Adam: load_state_dict: loaded state dict has 2 parameter groups, this optimizer has 1",
                       tg::ValueError);
  unchanged();

  // An SGD dict does not load into Adam: the keys say so.
  Params c;
  optim::SGD<float> sgd(c.list(), {.lr = 0.1, .momentum = 0.9});
  c.train(sgd, 1);
  CHECK_THROWS_WITH_AS(dst.load_state_dict(sgd.state_dict()), "Adam: load_state_dict: param_groups[0] has no 'betas'",
                       tg::ValueError);
  unchanged();
}
