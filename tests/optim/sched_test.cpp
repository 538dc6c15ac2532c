// Learning-rate schedulers of optim/lr_scheduler.hpp against
// tests/reference/sched.txt (tools/gen_ref_sched.py, PyTorch 1.13): each case
// runs 30 rounds of optimizer.step(); scheduler.step() on a one-parameter
// SGD (momentum 0.9) or Adam (betas 0.9, 0.99) and compares every lr (and
// OneCycleLR's momentum) with PyTorch's doubles exactly (Note [Recursive
// schedules]); then a scheduler made afresh is given state_dict() after 12
// rounds and must continue with the same 18 values.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "support/reference.hpp"

namespace {

namespace tg = tapegrad;
namespace optim = tapegrad::optim;

const char* const kFile = "sched.txt";

const std::vector<double>& golden(const std::string& name) { return tapegrad_test::ref(kFile, name).values; }
std::string error_text(const std::string& name) { return tapegrad_test::ref(kFile, name).text; }

// One parameter and its optimizer, as the generator's make_opt.
struct Setup {
  tg::Tensor<float> p = tg::zeros<float>({2}).requires_grad_();
  std::unique_ptr<optim::Optimizer<float>> opt;
  Setup(bool adam, double lr) {
    if (adam) opt = std::make_unique<optim::Adam<float>>(std::vector{p}, optim::AdamOptions{.lr = lr, .betas = {0.9, 0.99}});
    else opt = std::make_unique<optim::SGD<float>>(std::vector{p}, optim::SGDOptions{.lr = lr, .momentum = 0.9});
  }
  double momentum() const { return *opt->cycled_momentum(); }
  void train_step() {
    p.mutable_grad() = tg::ones<float>({2});
    opt->step();
  }
};

// A scheduler of either kind behind one interface: step (with the metric for
// ReduceLROnPlateau), get_last_lr, state_dict and load_state_dict.
struct Driver {
  std::function<void(int)> step;
  std::function<double()> last_lr;
  std::function<optim::SchedulerState()> save;
  std::function<void(const optim::SchedulerState&)> load;
  std::vector<std::shared_ptr<void>> keep;  // the scheduler(s), kept alive
};

template <class S>
Driver epoch_driver(std::shared_ptr<S> s, std::vector<std::shared_ptr<void>> keep = {}) {
  keep.push_back(s);
  return Driver{[s](int) { s->step(); }, [s] { return s->get_last_lr(); }, [s] { return s->state_dict(); },
                [s](const optim::SchedulerState& st) { s->load_state_dict(st); }, std::move(keep)};
}

Driver plateau_driver(std::shared_ptr<optim::ReduceLROnPlateau<float>> s, const std::vector<double>& metric) {
  return Driver{[s, metric](int i) { s->step(metric[static_cast<size_t>(i)]); }, [s] { return s->get_last_lr(); },
                [s] { return s->state_dict(); }, [s](const optim::SchedulerState& st) { s->load_state_dict(st); },
                {s}};
}

using Make = std::function<Driver(optim::Optimizer<float>&)>;

// The generator's run(): 30 rounds against <c>.lr (and <c>.momentum), then the resume.
void check_case(const std::string& c, bool adam, double lr, const Make& make, bool momentum = false) {
  CAPTURE(c);
  Setup a(adam, lr);
  Driver d = make(*a.opt);
  std::vector<double> lrs{a.opt->lr()}, moms{a.momentum()};
  CHECK(d.last_lr() == a.opt->lr());
  optim::SchedulerState saved;
  double saved_lr = 0;
  for (int i = 0; i < 30; ++i) {
    a.train_step();
    d.step(i);
    CHECK(d.last_lr() == a.opt->lr());
    lrs.push_back(d.last_lr());
    moms.push_back(a.momentum());
    if (i == 11) saved = d.save(), saved_lr = a.opt->lr();
  }
  const auto& want = golden(c + ".lr");
  CHECK(lrs == want);  // exact doubles
  if (momentum) CHECK(moms == golden(c + ".momentum"));

  Setup b(adam, lr);
  Driver d2 = make(*b.opt);
  d2.load(saved);
  b.opt->set_lr(saved_lr);  // the optimizer's own state, as PyTorch's resume loads it
  std::vector<double> resumed;
  for (int i = 12; i < 30; ++i) {
    b.train_step();
    d2.step(i);
    resumed.push_back(d2.last_lr());
  }
  CHECK(resumed == std::vector<double>(want.begin() + 13, want.end()));
}

template <template <class> class S, class... A>
Make plain(A... args) {
  return [=](optim::Optimizer<float>& o) { return epoch_driver(std::make_shared<S<float>>(o, args...)); };
}

}  // namespace

TEST_CASE("MultiStepLR: lr of 30 epochs matches PyTorch's exactly, a repeated milestone decaying twice") {
  check_case("multistep.m3_7_7_12_g0.5", false, 0.1, plain<optim::MultiStepLR>(std::vector<int64_t>{3, 7, 7, 12}, 0.5));
  check_case("multistep.m5_10_20_gdefault", false, 0.05, [](optim::Optimizer<float>& o) {
    return epoch_driver(std::make_shared<optim::MultiStepLR<float>>(o, std::vector<int64_t>{5, 10, 20}));
  });
}

TEST_CASE("ExponentialLR: lr of 30 epochs matches PyTorch's exactly") {
  check_case("exponential.g0.9", false, 0.1, plain<optim::ExponentialLR>(0.9));
  check_case("exponential.g0.5_lr0.3", false, 0.3, plain<optim::ExponentialLR>(0.5));
}

// RMSprop, NAdam and RAdam: OneCycleLR cycles what PyTorch's cycles in them
// (RMSprop's momentum, NAdam's and RAdam's betas[0]). The schedule is the one
// of the SGD and Adam goldens (it depends on OneCycleLR's options only), and
// the step uses the cycled value: the first step equals that of an optimizer
// built with the scheduled lr and momentum.
template <class Opt, class Options, class SetMomentum>
void check_cycled(const std::string& golden_case, Options options, SetMomentum set_momentum, double max_lr,
                  const optim::OneCycleLROptions& oc) {
  CAPTURE(golden_case);
  auto p = tg::zeros<float>({2}).requires_grad_();
  Opt opt(std::vector{p}, options);
  optim::OneCycleLR<float> sched(opt, max_lr, oc);
  REQUIRE(opt.cycled_momentum() != nullptr);
  std::vector<double> moms{*opt.cycled_momentum()};

  auto q = tg::zeros<float>({2}).requires_grad_();
  Options first = options;
  first.lr = opt.lr();
  set_momentum(first, *opt.cycled_momentum());
  Opt ref(std::vector{q}, first);
  p.mutable_grad() = tg::full<float>({2}, 0.5f);
  q.mutable_grad() = tg::full<float>({2}, 0.5f);
  opt.step();
  ref.step();
  CHECK(p.to_vector() == q.to_vector());

  sched.step();
  moms.push_back(*opt.cycled_momentum());
  for (int i = 1; i < 30; ++i) {
    p.mutable_grad() = tg::ones<float>({2});
    opt.step();
    sched.step();
    moms.push_back(*opt.cycled_momentum());
  }
  CHECK(moms == golden(golden_case + ".momentum"));
}

TEST_CASE("OneCycleLR: cycles RMSprop's momentum and NAdam's and RAdam's beta1 as PyTorch's, and their step uses it") {
  const optim::OneCycleLROptions plain_oc{.total_steps = 30};
  check_cycled<optim::RMSprop<float>>(
      "onecycle.default_max0.1_total30", optim::RMSpropOptions{.lr = 0.1, .momentum = 0.9},
      [](optim::RMSpropOptions& o, double m) { o.momentum = m; }, 0.1, plain_oc);
  const optim::OneCycleLROptions linear_oc{.epochs = 3,
                                           .steps_per_epoch = 10,
                                           .pct_start = 0.25,
                                           .anneal_strategy = "linear",
                                           .base_momentum = 0.8,
                                           .max_momentum = 0.92,
                                           .div_factor = 10.0,
                                           .final_div_factor = 10.0,
                                           .three_phase = true};
  check_cycled<optim::NAdam<float>>(
      "onecycle.adam_linear_three_phase", optim::NAdamOptions{.lr = 0.01, .betas = {0.9, 0.99}},
      [](optim::NAdamOptions& o, double m) { o.betas[0] = m; }, 0.5, linear_oc);
  check_cycled<optim::RAdam<float>>(
      "onecycle.adam_linear_three_phase", optim::RAdamOptions{.lr = 0.01, .betas = {0.9, 0.99}},
      [](optim::RAdamOptions& o, double m) { o.betas[0] = m; }, 0.5, linear_oc);
}

TEST_CASE("OneCycleLR: lr and momentum (SGD momentum, Adam beta1) of 30 steps match PyTorch's exactly") {
  check_case("onecycle.default_max0.1_total30", false, 0.1,
             plain<optim::OneCycleLR>(0.1, optim::OneCycleLROptions{.total_steps = 30}), true);
  check_case("onecycle.adam_linear_three_phase", true, 0.01,
             plain<optim::OneCycleLR>(0.5, optim::OneCycleLROptions{.epochs = 3,
                                                                    .steps_per_epoch = 10,
                                                                    .pct_start = 0.25,
                                                                    .anneal_strategy = "linear",
                                                                    .base_momentum = 0.8,
                                                                    .max_momentum = 0.92,
                                                                    .div_factor = 10.0,
                                                                    .final_div_factor = 10.0,
                                                                    .three_phase = true}),
             true);
  // without cycle_momentum the optimizer's momentum stays 0.9
  check_case("onecycle.no_momentum_pct0.5_three_phase_cos", false, 0.01,
             plain<optim::OneCycleLR>(
                 1.0, optim::OneCycleLROptions{
                          .total_steps = 32, .pct_start = 0.5, .cycle_momentum = false, .three_phase = true}),
             true);
}

TEST_CASE("OneCycleLR: the lr at step 0 is max_lr / div_factor and a step past total_steps throws") {
  Setup a(false, 0.1);
  optim::OneCycleLR sched(*a.opt, 0.1, {.total_steps = 30});
  CHECK(sched.base_lr() == 0.1 / 25.0);
  // PyTorch's cos anneal at pct 0, max_lr + (initial - max_lr) / 2 * 2, rounds to just above it
  CHECK(a.opt->lr() == golden("onecycle.default_max0.1_total30.lr")[0]);
  CHECK(a.opt->lr() == doctest::Approx(0.1 / 25.0).epsilon(1e-14));
  CHECK(sched.total_steps() == 30);
  for (int i = 0; i < 30; ++i) {
    a.train_step();
    sched.step();
  }
  a.train_step();
  CHECK_THROWS_WITH_AS(sched.step(), ("OneCycleLR: " + error_text("error.onecycle_past_total")).c_str(),
                       tg::ValueError);
}

TEST_CASE("ReduceLROnPlateau: lr of 30 epochs of a metric matches PyTorch's, min/rel with cooldown and max/abs with min_lr") {
  const auto& down = golden("plateau.metric");
  const auto& up = golden("plateau.metric_up");
  check_case("plateau.min_rel_p2_f0.5_cd1", false, 0.1, [&](optim::Optimizer<float>& o) {
    return plateau_driver(std::make_shared<optim::ReduceLROnPlateau<float>>(
                              o, optim::ReduceLROnPlateauOptions{.factor = 0.5, .patience = 2, .cooldown = 1}),
                          down);
  });
  check_case("plateau.max_abs_p0_min0.02_eps", false, 0.1, [&](optim::Optimizer<float>& o) {
    return plateau_driver(std::make_shared<optim::ReduceLROnPlateau<float>>(
                              o, optim::ReduceLROnPlateauOptions{.mode = "max",
                                                                 .factor = 0.3,
                                                                 .patience = 0,
                                                                 .threshold = 0.05,
                                                                 .threshold_mode = "abs",
                                                                 .min_lr = 0.02,
                                                                 .eps = 1e-3}),
                          up);
  });
}

TEST_CASE("ReduceLROnPlateau: best and the bad-epoch count follow the metric") {
  Setup a(false, 0.1);
  optim::ReduceLROnPlateau sched(*a.opt, {.patience = 1});
  CHECK(sched.best() == std::numeric_limits<double>::infinity());
  sched.step(1.0);
  CHECK(sched.best() == 1.0);
  sched.step(1.0);  // not better by the relative threshold
  CHECK(sched.num_bad_epochs() == 1);
  CHECK(a.opt->lr() == 0.1);
  sched.step(0.99995);  // better, but by less than 1e-4 relative
  CHECK(a.opt->lr() == doctest::Approx(0.01).epsilon(1e-15));
  CHECK(sched.num_bad_epochs() == 0);
  CHECK(sched.last_epoch() == 3);
}

TEST_CASE("LambdaLR: lr = base_lr * lr_lambda(epoch) matches PyTorch's exactly") {
  check_case("lambda.pow0.95", false, 0.1,
             plain<optim::LambdaLR>(std::function<double(int64_t)>(
                 [](int64_t e) { return std::pow(0.95, static_cast<double>(e)); })));
  check_case("lambda.inv_e_plus_1", false, 0.2,
             plain<optim::LambdaLR>(std::function<double(int64_t)>(
                 [](int64_t e) { return 1.0 / static_cast<double>(e + 1); })));
}

TEST_CASE("LinearLR: lr of 30 epochs matches PyTorch's recursive form exactly, default and decaying") {
  check_case("linear.default", false, 0.1, plain<optim::LinearLR>(optim::LinearLROptions{}));
  check_case("linear.s1_e0.1_t20", false, 0.1,
             plain<optim::LinearLR>(optim::LinearLROptions{.start_factor = 1.0, .end_factor = 0.1, .total_iters = 20}));
}

TEST_CASE("SequentialLR: switching schedulers at the milestones restarts each at epoch 0, as PyTorch's") {
  check_case("sequential.linear_exponential_m5", false, 0.1, [](optim::Optimizer<float>& o) {
    auto warm = std::make_shared<optim::LinearLR<float>>(o, optim::LinearLROptions{.start_factor = 0.1, .total_iters = 4});
    auto decay = std::make_shared<optim::ExponentialLR<float>>(o, 0.9);
    return epoch_driver(std::make_shared<optim::SequentialLR<float>>(
                            o, std::vector<optim::LRScheduler<float>*>{warm.get(), decay.get()}, std::vector<int64_t>{5}),
                        {warm, decay});
  });
  check_case("sequential.lambda_cosine_multistep_m4_14", false, 0.1, [](optim::Optimizer<float>& o) {
    auto a = std::make_shared<optim::LambdaLR<float>>(o, [](int64_t e) { return 1.0 / static_cast<double>(e + 1); });
    auto b = std::make_shared<optim::CosineAnnealingLR<float>>(o, 10, 0.001);
    auto c = std::make_shared<optim::MultiStepLR<float>>(o, std::vector<int64_t>{3, 6}, 0.5);
    return epoch_driver(std::make_shared<optim::SequentialLR<float>>(
                            o, std::vector<optim::LRScheduler<float>*>{a.get(), b.get(), c.get()},
                            std::vector<int64_t>{4, 14}),
                        {a, b, c});
  });
}

TEST_CASE("LRScheduler: load_state_dict names a missing key") {
  Setup a(false, 0.1);
  optim::ExponentialLR sched(*a.opt, 0.9);
  CHECK_THROWS_WITH_AS(sched.load_state_dict({{"last_epoch", 3}}),
                       "ExponentialLR: load_state_dict: missing key 'last_lr'", tg::ValueError);
  optim::ReduceLROnPlateau plateau(*a.opt);
  CHECK_THROWS_WITH_AS(plateau.load_state_dict({}), "ReduceLROnPlateau: load_state_dict: missing key 'last_epoch'",
                       tg::ValueError);
}

TEST_CASE("OneCycleLR/ReduceLROnPlateau/LinearLR/SequentialLR: invalid arguments give PyTorch's messages") {
  auto check = [](const std::string& who, const std::string& c, auto&& fn) {
    CAPTURE(c);
    CHECK_THROWS_WITH_AS(fn(), (who + ": " + error_text("error." + c)).c_str(), tg::ValueError);
  };
  Setup a(false, 0.1);
  auto& o = *a.opt;
  using OC = optim::OneCycleLROptions;
  check("OneCycleLR", "onecycle_no_total", [&] { optim::OneCycleLR(o, 0.1); });
  check("OneCycleLR", "onecycle_total0", [&] { optim::OneCycleLR(o, 0.1, OC{.total_steps = 0}); });
  check("OneCycleLR", "onecycle_epochs0", [&] { optim::OneCycleLR(o, 0.1, OC{.epochs = 0, .steps_per_epoch = 3}); });
  check("OneCycleLR", "onecycle_spe0", [&] { optim::OneCycleLR(o, 0.1, OC{.epochs = 2, .steps_per_epoch = 0}); });
  check("OneCycleLR", "onecycle_pct1.5", [&] { optim::OneCycleLR(o, 0.1, OC{.total_steps = 10, .pct_start = 1.5}); });
  check("OneCycleLR", "onecycle_anneal",
        [&] { optim::OneCycleLR(o, 0.1, OC{.total_steps = 10, .anneal_strategy = "exp"}); });
  check("ReduceLROnPlateau", "plateau_factor", [&] { optim::ReduceLROnPlateau(o, {.factor = 1.0}); });
  check("ReduceLROnPlateau", "plateau_mode", [&] { optim::ReduceLROnPlateau(o, {.mode = "avg"}); });
  check("ReduceLROnPlateau", "plateau_threshold_mode",
        [&] { optim::ReduceLROnPlateau(o, {.threshold_mode = "pct"}); });
  check("LinearLR", "linear_start", [&] { optim::LinearLR(o, {.start_factor = 1.5}); });
  check("LinearLR", "linear_end", [&] { optim::LinearLR(o, {.end_factor = -0.5}); });
  optim::ExponentialLR e1(o, 0.9), e2(o, 0.5);
  check("SequentialLR", "sequential_milestones", [&] { optim::SequentialLR(o, {&e1, &e2}, {2, 4}); });
  Setup other(false, 0.1);
  optim::ExponentialLR foreign(*other.opt, 0.5);
  check("SequentialLR", "sequential_optimizer", [&] { optim::SequentialLR(o, {&e1, &foreign}, {2}); });
  // the optimizer is unchanged by the refused constructions above
  CHECK(o.lr() == 0.1);
  // an optimizer with neither momentum nor betas (PyTorch's Adagrad)
  struct Plain : optim::Optimizer<float> {
    explicit Plain(tg::Tensor<float> p) : optim::Optimizer<float>({std::move(p)}, 0.1, "Plain") {}
    void step() override {}
  };
  Plain plain_opt(tg::zeros<float>({2}).requires_grad_());
  check("OneCycleLR", "onecycle_no_momentum", [&] { optim::OneCycleLR(plain_opt, 0.1, OC{.total_steps = 10}); });
  optim::OneCycleLR fine(plain_opt, 0.1, OC{.total_steps = 10, .cycle_momentum = false});
  CHECK(plain_opt.lr() == doctest::Approx(0.1 / 25.0).epsilon(1e-14));
}
