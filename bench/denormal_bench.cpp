// Denormal inputs against normal ones, in the same run (Note [Denormals] in
// core/denormal.hpp). Each iteration times the same operation twice, once on
// data of ordinary magnitude and once on data full of denormals, and the
// benchmark reports both medians and their ratio (counter `ratio`, denormal
// over normal; 1.0 = no slowdown):
//
//   BM_<op>/ieee:0/n:<n>   tapegrad's default (its loops flush denormals)
//   BM_<op>/ieee:1/n:<n>   after set_flush_denormal(false): denormals kept, as
//                          PyTorch's default: the slowdown the flush removes
//
// ops: one optimizer step (sgd: SGD with momentum 0.9, adam, adamw) on a
// parameter of n floats with a zero gradient (the always-zero gradient of
// MNIST's border pixels) and a state refilled before every step (not timed)
// with ordinary values (1e-3) or denormals (1e-39); mm of two n x n matrices,
// one of them ordinary or denormal; mul_out of n floats by 0.5.
//
//   OMP_NUM_THREADS=1 build/bench/bench/denormal_bench --benchmark_repetitions=3
//
// The iteration time Google Benchmark reports is the sum of both timed runs.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <tapegrad/tapegrad.hpp>

namespace {

namespace tg = tapegrad;
namespace optim = tapegrad::optim;

constexpr float kNormal = 1e-3f, kDenormal = 1e-39f;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

// The mode of a benchmark: arg 0 is tapegrad's default, 1 is
// set_flush_denormal(false), given back at the end.
struct Mode {
  explicit Mode(int64_t ieee) : ieee_(ieee != 0) {
    if (ieee_) tg::set_flush_denormal(false);
  }
  ~Mode() {
    if (ieee_) tg::detail::flush_denormal_in_kernels.store(true);
  }
  bool ieee_;
};

// prepare(value) outside the clock, then run() on it: first with kNormal,
// then with kDenormal, each iteration.
void time_pair(benchmark::State& state, const std::function<void(float)>& prepare,
               const std::function<void()>& run) {
  using Clock = std::chrono::steady_clock;
  std::vector<double> normal, denormal;
  for (auto _ : state) {
    double t[2];
    for (int k = 0; k < 2; ++k) {
      prepare(k == 0 ? kNormal : kDenormal);
      const auto t0 = Clock::now();
      run();
      t[k] = std::chrono::duration<double>(Clock::now() - t0).count();
    }
    normal.push_back(t[0]);
    denormal.push_back(t[1]);
    state.SetIterationTime(t[0] + t[1]);
  }
  const double n = median(normal), d = median(denormal);
  state.counters["normal_ns"] = n * 1e9;
  state.counters["denormal_ns"] = d * 1e9;
  state.counters["ratio"] = d / n;
}

enum class Opt { sgd, adam, adamw };

template <Opt O>
void BM_step(benchmark::State& state) {
  const Mode mode(state.range(0));
  const int64_t n = state.range(1);
  tg::manual_seed(0);
  auto p = tg::randn<float>({n});
  p.requires_grad_();
  std::unique_ptr<optim::Optimizer<float>> opt;
  if constexpr (O == Opt::sgd) opt = std::make_unique<optim::SGD<float>>(std::vector{p}, optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
  if constexpr (O == Opt::adam) opt = std::make_unique<optim::Adam<float>>(std::vector{p});
  if constexpr (O == Opt::adamw) opt = std::make_unique<optim::AdamW<float>>(std::vector{p});
  p.mutable_grad() = tg::zeros<float>({n});
  opt->step();  // makes the state
  std::vector<tg::Tensor<float>> states;
  if constexpr (O == Opt::sgd) {
    states = {static_cast<optim::SGD<float>&>(*opt).state(0).momentum_buffer};
  } else {
    const auto& s = static_cast<optim::detail::AdamBase<float, std::conditional_t<O == Opt::adam, optim::AdamOptions,
                                                                                   optim::AdamWOptions>>&>(*opt)
                        .state(0);
    states = {s.exp_avg, s.exp_avg_sq};
  }
  time_pair(
      state, [&](float v) { for (const auto& s : states) s.fill_(v); }, [&] { opt->step(); });
  state.SetBytesProcessed(state.iterations() * 2 * n * int64_t{sizeof(float)} *
                          static_cast<int64_t>(3 + 2 * states.size()));  // p, g, states
}

void BM_mm(benchmark::State& state) {
  const Mode mode(state.range(0));
  const int64_t n = state.range(1);
  tg::manual_seed(0);
  auto a = tg::empty<float>({n, n});
  const auto b = tg::rand<float>({n, n});
  auto c = tg::empty<float>({n, n});
  time_pair(
      state, [&](float v) { a.fill_(v); }, [&] { tg::mm_out(c, a, b); benchmark::DoNotOptimize(c.data_ptr()); });
  state.counters["GFLOPS"] = benchmark::Counter(2.0 * 2 * static_cast<double>(n * n * n) * static_cast<double>(state.iterations()),
                                                benchmark::Counter::kIsRate);
}

void BM_mul(benchmark::State& state) {
  const Mode mode(state.range(0));
  const int64_t n = state.range(1);
  auto a = tg::empty<float>({n});
  const auto half = tg::full<float>({n}, 0.5f);
  auto c = tg::empty<float>({n});
  time_pair(
      state, [&](float v) { a.fill_(v); }, [&] { tg::mul_out(c, a, half); benchmark::DoNotOptimize(c.data_ptr()); });
}

void modes(benchmark::internal::Benchmark* b, std::initializer_list<int64_t> sizes) {
  b->ArgNames({"ieee", "n"})->UseManualTime();
  for (int64_t ieee : {0, 1})
    for (int64_t n : sizes) b->Args({ieee, n});
}
// fc500's first layer (500 x 784) and a bias-sized parameter.
void step_sizes(benchmark::internal::Benchmark* b) { modes(b, {500, 500 * 784}); }
void mm_sizes(benchmark::internal::Benchmark* b) { modes(b, {64, 256}); }
// below and above kFlushMinElements
void mul_sizes(benchmark::internal::Benchmark* b) { modes(b, {1000, 100000}); }

BENCHMARK(BM_step<Opt::sgd>)->Name("BM_sgd_step")->Apply(step_sizes);
BENCHMARK(BM_step<Opt::adam>)->Name("BM_adam_step")->Apply(step_sizes);
BENCHMARK(BM_step<Opt::adamw>)->Name("BM_adamw_step")->Apply(step_sizes);
BENCHMARK(BM_mm)->Apply(mm_sizes);
BENCHMARK(BM_mul)->Apply(mul_sizes);

}  // namespace

BENCHMARK_MAIN();
