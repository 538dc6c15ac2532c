// One training step of the tutorials' MLP (shared/seeds/001): Flatten ->
// Linear(784, 256) -> ReLU -> Linear(256, 10), CrossEntropyLoss, SGD lr 0.1,
// batch 256, on fixed random data:
//
//   BM_train_step/256        opt.zero_grad(); loss = CE(net(x), y);
//                            loss.backward(); opt.step()
//   BM_forward_loss/256      the recorded forward and loss only (no backward)
//   BM_forward_no_grad/256   the forward and loss under NoGradGuard (evaluation)
//
// Times are per step in microseconds: wall time (UseRealTime: Eigen's GEMM
// runs on OMP_NUM_THREADS OpenMP threads) and the process's CPU time, all
// threads (MeasureProcessCPUTime; with 1 thread the steadier measure on a
// loaded machine, as other processes' time does not count). The
// FLOPS counter is the GEMM work: F1 + F2 for the forward, with
// F1 = 2*B*784*256 and F2 = 2*B*256*10; F1 + 2*F2 for the backward (dW1;
// dW2 and dH; no dX, as the input does not require grad).
// bench/train_step_compare.sh runs PyTorch's same step next to it and prints
// the ratio.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC bug 105593, see matmul_bench.cpp
#endif
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <tapegrad/tapegrad.hpp>

namespace {

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
namespace optim = tapegrad::optim;

constexpr int64_t kIn = 784, kHidden = 256, kOut = 10;

struct Problem {
  nn::Sequential<float> net;
  tg::Tensor<float> x;
  tg::Tensor<int64_t> y;
};

Problem make_problem(int64_t batch) {
  tg::manual_seed(0);
  auto net = nn::Sequential(nn::Flatten(), nn::Linear(kIn, kHidden), nn::ReLU(), nn::Linear(kHidden, kOut));
  // d2l's init: weights N(0, 0.01), biases 0
  net.apply([](nn::Module<float>& m) {
    if (auto* l = m.as<nn::Linear<float>>()) {
      nn::init::normal_(l->weight, 0, 0.01);
      nn::init::zeros_(l->bias);
    }
  });
  auto x = tg::rand<float>({batch, 1, 28, 28});  // pixels in [0, 1), as ToTensor gives
  auto y = tg::randint<int64_t>(0, kOut, {batch});
  return {std::move(net), x, y};
}

double layer1_flops(int64_t batch) { return 2.0 * double(batch) * double(kIn * kHidden); }
double layer2_flops(int64_t batch) { return 2.0 * double(batch) * double(kHidden * kOut); }
double forward_flops(int64_t batch) { return layer1_flops(batch) + layer2_flops(batch); }
double step_flops(int64_t batch) { return 2 * layer1_flops(batch) + 3 * layer2_flops(batch); }

void set_counters(benchmark::State& state, int64_t batch, double flops_per_iter) {
  state.counters["FLOPS"] = benchmark::Counter(flops_per_iter, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["samples/s"] = benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel("threads=" + std::to_string(Eigen::nbThreads()));
}

void BM_train_step(benchmark::State& state) {
  const int64_t batch = state.range(0);
  auto p = make_problem(batch);
  optim::SGD opt(p.net.parameters(), {.lr = 0.1});
  nn::CrossEntropyLoss<float> loss_fn;
  float loss_value = 0;
  for (auto _ : state) {
    opt.zero_grad();
    auto loss = loss_fn(p.net(p.x), p.y);
    loss.backward();
    opt.step();
    loss_value = loss.item();
    benchmark::DoNotOptimize(loss_value);
  }
  // the last step's loss: from ln(10) = 2.30 towards 0 as the net memorises the one batch
  state.counters["loss"] = loss_value;
  set_counters(state, batch, step_flops(batch));
}

void BM_forward_loss(benchmark::State& state) {
  const int64_t batch = state.range(0);
  auto p = make_problem(batch);
  nn::CrossEntropyLoss<float> loss_fn;
  for (auto _ : state) {
    auto loss = loss_fn(p.net(p.x), p.y);
    benchmark::DoNotOptimize(loss.data_ptr());
  }
  set_counters(state, batch, forward_flops(batch));
}

void BM_forward_no_grad(benchmark::State& state) {
  const int64_t batch = state.range(0);
  auto p = make_problem(batch);
  nn::CrossEntropyLoss<float> loss_fn;
  tg::NoGradGuard no_grad;
  for (auto _ : state) {
    auto loss = loss_fn(p.net(p.x), p.y);
    benchmark::DoNotOptimize(loss.data_ptr());
  }
  set_counters(state, batch, forward_flops(batch));
}

}  // namespace

BENCHMARK(BM_train_step)->Arg(256)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_forward_loss)->Arg(256)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_forward_no_grad)->Arg(256)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime()->UseRealTime();

BENCHMARK_MAIN();
