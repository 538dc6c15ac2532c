// F::interpolate on an ImageNet-sized image, float32 (bench/interpolate_compare.sh
// runs them next to PyTorch 1.13's F.interpolate and prints the ratios):
//
//   BM_bilinear_aa     [1, 3, 224, 224] -> [1, 3, 112, 112], bilinear, antialias=True
//   BM_bicubic_aa      the same, bicubic, antialias=True
//   BM_bilinear        the same, plain bilinear (for scale: 2 taps a dim instead of 5)
//
// Forward only, no autograd. Threads follow OMP_NUM_THREADS (the compare script sets 1);
// the script reads the CPU time, less disturbed than wall time on a shared machine.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC bug 105593, as elementwise_bench.cpp
#endif
#include <benchmark/benchmark.h>

#include <optional>

#include <tapegrad/tapegrad.hpp>

namespace {

namespace tg = tapegrad;

void run(benchmark::State& state, const char* mode, bool antialias) {
  tg::Generator gen(3);
  const auto x = tg::rand<float>({1, 3, 224, 224}, gen);
  for (auto _ : state) {
    auto y = tg::interpolate(x, {112, 112}, {}, mode, std::nullopt, std::nullopt, antialias);
    benchmark::DoNotOptimize(y.data_ptr());
  }
}

void BM_bilinear_aa(benchmark::State& state) { run(state, "bilinear", true); }
void BM_bicubic_aa(benchmark::State& state) { run(state, "bicubic", true); }
void BM_bilinear(benchmark::State& state) { run(state, "bilinear", false); }

BENCHMARK(BM_bilinear_aa)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_bicubic_aa)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_bilinear)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
