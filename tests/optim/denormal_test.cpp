// Optimizer steps on states full of denormals (Note [Denormals] in
// core/denormal.hpp): tapegrad reads a denormal state as zero and writes no
// denormal back, so a step from such a state gives exactly the values of the
// same step from a zero state; with set_flush_denormal(false) the state keeps
// PyTorch's (IEEE) values. Each case runs a small parameter on one thread and
// one large enough to be split over the pool on two threads.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "support/denormal.hpp"

namespace {

namespace tg = tapegrad;
namespace optim = tapegrad::optim;
using tapegrad_test::all_equal;
using tapegrad_test::caller_flushes;
using tapegrad_test::DenormalModeRestorer;
using tapegrad_test::kDenormal;
using tapegrad_test::same_values;

using MakeOptimizer = std::function<std::unique_ptr<optim::Optimizer<float>>(const tg::Tensor<float>&)>;
// The state tensors of parameter 0, each with the factor by which a step
// with zero gradient multiplies it (momentum, beta1, beta2).
using StateOf = std::function<std::vector<std::pair<tg::Tensor<float>, float>>(optim::Optimizer<float>&)>;

struct Run {
  tg::Tensor<float> p;
  std::vector<tg::Tensor<float>> state;
  std::vector<float> factor;
};

// A step with gradient 0.5 (which makes the state), the state filled with
// `fill`, then a step with gradient g: the parameter and the state after it.
Run run(int64_t n, const MakeOptimizer& make, const StateOf& state_of, float fill, float g) {
  tg::manual_seed(7);
  auto p = tg::randn<float>({n});
  p.requires_grad_();
  auto opt = make(p);
  p.mutable_grad() = tg::full<float>({n}, 0.5f);
  opt->step();
  for (const auto& s : state_of(*opt)) s.first.fill_(fill);
  p.mutable_grad() = tg::full<float>({n}, g);
  opt->step();
  Run r{p.detach().clone(), {}, {}};
  for (const auto& [s, factor] : state_of(*opt)) {
    r.state.push_back(s.clone());
    r.factor.push_back(factor);
  }
  return r;
}

void check_denormal_state(const MakeOptimizer& make, const StateOf& state_of) {
  if (!tg::detail::kCanFlushDenormal) return;
  for (int64_t n : {int64_t{10}, 4 * tg::detail::kParallelGrain}) {
    CAPTURE(n);
    tg::set_num_threads(n > 10 ? 2 : 1);
    for (float g : {0.0f, 0.25f}) {
      CAPTURE(g);
      const Run den = run(n, make, state_of, kDenormal, g), zero = run(n, make, state_of, 0.0f, g);
      CHECK(same_values(den.p, zero.p));
      for (size_t k = 0; k < den.state.size(); ++k) CHECK(same_values(den.state[k], zero.state[k]));
      if (g == 0.0f)
        for (const auto& s : den.state) CHECK(all_equal(s, 0.0f));
      CHECK_FALSE(caller_flushes());
    }
    {
      DenormalModeRestorer restore;
      tg::set_flush_denormal(false);  // PyTorch's bits: state * factor, a denormal
      const Run den = run(n, make, state_of, kDenormal, 0.0f);
      for (size_t k = 0; k < den.state.size(); ++k) CHECK(all_equal(den.state[k], kDenormal * den.factor[k]));
    }
  }
  tg::set_num_threads(tg::detail::default_num_threads());
}

}  // namespace

TEST_CASE("SGD: a momentum buffer full of denormals steps as a zero buffer") {
  check_denormal_state(
      [](const tg::Tensor<float>& p) {
        return std::make_unique<optim::SGD<float>>(std::vector{p}, optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
      },
      [](optim::Optimizer<float>& o) {
        return std::vector{std::pair{static_cast<optim::SGD<float>&>(o).state(0).momentum_buffer, 0.9f}};
      });
}

template <class Opt, class Options>
void check_adam() {
  check_denormal_state(
      [](const tg::Tensor<float>& p) { return std::make_unique<Opt>(std::vector{p}, Options{.lr = 0.01}); },
      [](optim::Optimizer<float>& o) {
        const auto& s = static_cast<Opt&>(o).state(0);
        return std::vector{std::pair{s.exp_avg, 0.9f}, std::pair{s.exp_avg_sq, 0.999f}};
      });
}

TEST_CASE("Adam: moment estimates full of denormals step as zero ones") {
  check_adam<optim::Adam<float>, optim::AdamOptions>();
}

TEST_CASE("AdamW: moment estimates full of denormals step as zero ones") {
  check_adam<optim::AdamW<float>, optim::AdamWOptions>();
}
