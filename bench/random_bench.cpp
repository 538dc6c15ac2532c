// Sampling throughput: rand, randn and normal_ on 2^20 elements (float and
// double), and the bare generator. PyTorch's figures for the same calls come
// from bench/random_compare.sh, which runs this binary and torch one after
// the other and prints the ratios (bench/README.md).
//
//   BM_rand<T>/<n>    tg::rand<T>({n}): allocate + fill, as torch.rand(n)
//   BM_randn<T>/<n>   tg::randn<T>({n}): the blocks-of-16 Box-Muller path
//   BM_normal_<T>/<n> x.normal_(): the same fill into an existing tensor
//   BM_random/<n>     n 32-bit MT19937 draws under one lock
// Items are elements; Google Benchmark prints items_per_second.
#include <benchmark/benchmark.h>

#include <tapegrad/tapegrad.hpp>

namespace {

namespace tg = tapegrad;

// n elements per iteration of `make(n)`, a fresh tensor each time
template <class Make>
void run_factory(benchmark::State& state, Make make) {
  const int64_t n = state.range(0);
  tg::manual_seed(0);
  for (auto _ : state) {
    auto x = make(n);
    benchmark::DoNotOptimize(x.data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * n);
}

template <class T>
void BM_rand(benchmark::State& state) {
  run_factory(state, [](int64_t n) { return tg::rand<T>({n}); });
}

template <class T>
void BM_randn(benchmark::State& state) {
  run_factory(state, [](int64_t n) { return tg::randn<T>({n}); });
}

template <class T>
void BM_normal_(benchmark::State& state) {
  const int64_t n = state.range(0);
  tg::manual_seed(0);
  auto x = tg::empty<T>({n});
  for (auto _ : state) {
    x.normal_();
    benchmark::DoNotOptimize(x.data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * n);
}

void BM_random(benchmark::State& state) {
  const int64_t n = state.range(0);
  tg::Generator g(0);
  for (auto _ : state) {
    tg::Generator::Draws d(g);
    uint32_t acc = 0;
    for (int64_t i = 0; i < n; ++i) acc ^= d.random();
    benchmark::DoNotOptimize(acc);
  }
  state.SetItemsProcessed(state.iterations() * n);
}

constexpr int64_t kN = 1 << 20;
BENCHMARK(BM_rand<float>)->Arg(kN)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_rand<double>)->Arg(kN)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_randn<float>)->Arg(kN)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_randn<double>)->Arg(kN)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_normal_<float>)->Arg(kN)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_random)->Arg(kN)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
