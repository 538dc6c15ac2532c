// Autograd overhead: what recording and backward() cost on top of the
// forward kernels. bench/autograd_compare.sh runs these next to the same
// graphs in PyTorch (bench/autograd_pytorch.py) and prints the ratios;
// bench/autograd.md has the command and the results.
//
//   BM_tiny_graph/tapegrad          y = (w * x + b).sigmoid().sum(); y.backward()
//                                   on 10 floats, w and b requiring grad: per-op
//                                   cost of the tape (5 nodes, ~12 small tensors)
//   BM_tiny_graph/forward_recorded  the same forward, recorded, no backward
//                                   (the graph frees itself when y goes away)
//   BM_tiny_graph/forward_no_grad   the same forward with nothing recorded
//   BM_forward_1e6/no_grad          (w * x + b).sigmoid() on 1e6 floats, no input
//                                   requiring grad
//   BM_forward_1e6/requires_grad    the same with w and b requiring grad: the
//                                   recording overhead on a real-size forward
//   BM_forward_1e6/paired           both forwards in each iteration, in turn
//                                   (which goes first alternates), each timed in
//                                   thread CPU time: counters no_grad_us,
//                                   requires_grad_us (medians over the iterations)
//                                   and overhead_pct; wall_overhead_pct is the same
//                                   from the wall clock. Pairs see the same machine
//                                   and allocator state, so they resolve a few
//                                   percent where two separate benchmarks on a
//                                   loaded machine cannot; CPU time, because under
//                                   load the scheduler's time slices can fall on
//                                   one member of each pair (bench/autograd.md)
//
// Times are per iteration, in microseconds.
// GCC 12's AVX-512 intrinsics headers trip -Wmaybe-uninitialized inside
// Eigen's packet math under -march=native (GCC bug 105593, fixed in GCC 13).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <vector>

#include <tapegrad/tapegrad.hpp>

namespace {

namespace tg = tapegrad;

struct Inputs {
  tg::Tensor<float> w, x, b;
  Inputs(int64_t n, bool requires_grad) {
    tg::manual_seed(0);
    w = tg::randn<float>({n});
    x = tg::randn<float>({n});
    b = tg::randn<float>({n});
    if (requires_grad) {
      w.requires_grad_();
      b.requires_grad_();
    }
  }
};

void BM_tiny_graph(benchmark::State& state) {
  Inputs in(10, true);
  for (auto _ : state) {
    // Reset, as PyTorch's `w.grad = None`, so memory stays flat.
    in.w.mutable_grad() = tg::Tensor<float>();
    in.b.mutable_grad() = tg::Tensor<float>();
    auto y = (in.w * in.x + in.b).sigmoid().sum();
    y.backward();
    benchmark::DoNotOptimize(in.w.grad().data_ptr());
  }
  // The gradients are right (a benchmark of a wrong computation is worthless):
  // d/db sum(sigmoid(z)) = s (1 - s), d/dw = x s (1 - s).
  auto s = (in.w.detach() * in.x + in.b.detach()).sigmoid();
  auto ds = s * (1.0f - s);
  if (!tg::allclose(in.b.grad(), ds) || !tg::allclose(in.w.grad(), in.x * ds))
    state.SkipWithError("wrong gradients");
}

void BM_tiny_forward(benchmark::State& state, bool requires_grad) {
  Inputs in(10, requires_grad);
  for (auto _ : state) {
    auto y = (in.w * in.x + in.b).sigmoid().sum();
    benchmark::DoNotOptimize(y.data_ptr());
  }
}

void BM_forward_1e6(benchmark::State& state, bool requires_grad) {
  Inputs in(1'000'000, requires_grad);
  for (auto _ : state) {
    auto y = (in.w * in.x + in.b).sigmoid();
    benchmark::DoNotOptimize(y.data_ptr());
    benchmark::ClobberMemory();
  }
  if ((in.w * in.x + in.b).sigmoid().requires_grad() != requires_grad)
    state.SkipWithError("recorded when it should not, or the reverse");
  // w * x: 3 floats of traffic per element, + b: 3, sigmoid: 2.
  state.SetBytesProcessed(state.iterations() * 1'000'000 * 8 * static_cast<int64_t>(sizeof(float)));
}

// CPU time of this thread in microseconds (the process's where POSIX is missing).
double cpu_us() {
#if defined(CLOCK_THREAD_CPUTIME_ID)
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) * 1e-3;
#else
  return static_cast<double>(std::clock()) * 1e6 / CLOCKS_PER_SEC;
#endif
}

double wall_us() {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void BM_forward_1e6_paired(benchmark::State& state) {
  Inputs plain(1'000'000, false), recorded(1'000'000, true);  // the same values
  std::vector<double> cpu[2], wall[2];  // [0]: no grad, [1]: requires grad
  bool recorded_first = false;
  for (auto _ : state) {
    for (int k = 0; k < 2; ++k) {
      const int rec = (k == 0) == recorded_first;
      const Inputs& in = rec ? recorded : plain;
      const double c0 = cpu_us(), w0 = wall_us();
      {
        auto y = (in.w * in.x + in.b).sigmoid();
        benchmark::DoNotOptimize(y.data_ptr());
        benchmark::ClobberMemory();
      }
      cpu[rec].push_back(cpu_us() - c0);
      wall[rec].push_back(wall_us() - w0);
    }
    recorded_first = !recorded_first;
  }
  const double a = median(cpu[0]), b = median(cpu[1]);
  const double wa = median(wall[0]), wb = median(wall[1]);
  state.counters["no_grad_us"] = a;
  state.counters["requires_grad_us"] = b;
  state.counters["overhead_pct"] = a > 0 ? 100 * (b / a - 1) : 0;
  state.counters["wall_overhead_pct"] = wa > 0 ? 100 * (wb / wa - 1) : 0;
}

}  // namespace

BENCHMARK(BM_tiny_graph)->Name("BM_tiny_graph/tapegrad")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_tiny_forward, forward_recorded, true)
    ->Name("BM_tiny_graph/forward_recorded")
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_tiny_forward, forward_no_grad, false)
    ->Name("BM_tiny_graph/forward_no_grad")
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_forward_1e6, no_grad, false)
    ->Name("BM_forward_1e6/no_grad")
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_forward_1e6, requires_grad, true)
    ->Name("BM_forward_1e6/requires_grad")
    ->Unit(benchmark::kMicrosecond);

BENCHMARK(BM_forward_1e6_paired)->Name("BM_forward_1e6/paired")->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
