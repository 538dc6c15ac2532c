// Indexing ops on 1e3..1e7 float elements (bench/indexing_compare.sh runs
// them next to PyTorch 1.13 and prints the ratios):
//
//   BM_gather/<n>         x.gather(1, idx): x [n/64, 64], idx [n/64, 64] in [0, 64)
//   BM_scatter_add/<n>    zeros.scatter_add(1, idx, src), the same shapes (out of place)
//   BM_index_select/<n>   x.index_select(0, rows): rows [n/64] in [0, n/64)
//   BM_masked_fill/<n>    x.masked_fill(mask, 0.0): mask [n/64, 64], half true
//   BM_sort/<n>           x.sort(1): each row of 64 ascending, values and indices
//   BM_topk/<n>           x.topk(5, 1): the 5 largest of each row, sorted
//   BM_cumsum/<n>         x.cumsum(1)
//
// Each reports bytes read plus written per iteration (bytes_per_second).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC bug 105593, as elementwise_bench.cpp
#endif
#include <benchmark/benchmark.h>

#include <tapegrad/tapegrad.hpp>

namespace {

namespace tg = tapegrad;
constexpr int64_t kCols = 64;

struct Inputs {
  tg::Tensor<float> x, src;
  tg::Tensor<int64_t> idx, rows;
  tg::Tensor<bool> mask;
};

Inputs make_inputs(int64_t n) {
  tg::Generator gen(7);
  const int64_t r = std::max<int64_t>(n / kCols, 1);
  Inputs in;
  in.x = tg::rand<float>({r, kCols}, gen);
  in.src = tg::rand<float>({r, kCols}, gen);
  in.idx = (tg::rand<float>({r, kCols}, gen) * float(kCols)).to<int64_t>().clamp_max(kCols - 1);
  in.rows = (tg::rand<float>({r}, gen) * float(r)).to<int64_t>().clamp_max(r - 1);
  in.mask = tg::rand<float>({r, kCols}, gen) < 0.5f;
  return in;
}

void set_bytes(benchmark::State& state, int64_t bytes) { state.SetBytesProcessed(state.iterations() * bytes); }

void BM_gather(benchmark::State& state) {
  const auto in = make_inputs(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(in.x.gather(1, in.idx));
  set_bytes(state, in.x.numel() * (4 + 8 + 4));
}
void BM_scatter_add(benchmark::State& state) {
  const auto in = make_inputs(state.range(0));
  const auto z = tg::zeros<float>(in.x.sizes());
  for (auto _ : state) benchmark::DoNotOptimize(z.scatter_add(1, in.idx, in.src));
  set_bytes(state, in.x.numel() * (4 + 4 + 8 + 4 + 4));
}
void BM_index_select(benchmark::State& state) {
  const auto in = make_inputs(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(in.x.index_select(0, in.rows));
  set_bytes(state, in.x.numel() * (4 + 4));
}
void BM_masked_fill(benchmark::State& state) {
  const auto in = make_inputs(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(in.x.masked_fill(in.mask, 0.0));
  set_bytes(state, in.x.numel() * (4 + 1 + 4));
}

void BM_sort(benchmark::State& state) {
  const auto in = make_inputs(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(in.x.sort(1));
  set_bytes(state, in.x.numel() * (4 + 4 + 8));
}
void BM_topk(benchmark::State& state) {
  const auto in = make_inputs(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(in.x.topk(5, 1));
  set_bytes(state, in.x.numel() * 4);
}
void BM_cumsum(benchmark::State& state) {
  const auto in = make_inputs(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(in.x.cumsum(1));
  set_bytes(state, in.x.numel() * (4 + 4));
}

void sizes(benchmark::internal::Benchmark* b) {
  for (int64_t n = 1000; n <= 10000000; n *= 10) b->Arg(n);
}
BENCHMARK(BM_gather)->Apply(sizes);
BENCHMARK(BM_scatter_add)->Apply(sizes);
BENCHMARK(BM_index_select)->Apply(sizes);
BENCHMARK(BM_masked_fill)->Apply(sizes);
BENCHMARK(BM_sort)->Apply(sizes);
BENCHMARK(BM_topk)->Apply(sizes);
BENCHMARK(BM_cumsum)->Apply(sizes);

}  // namespace

BENCHMARK_MAIN();
