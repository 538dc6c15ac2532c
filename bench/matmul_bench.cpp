// tapegrad::matmul against Eigen's GEMM called directly, in one binary.
//
//   BM_matmul/tapegrad/<shape>   C = matmul(A, B)       (allocates C, as PyTorch)
//   BM_matmul/eigen/<shape>      C.noalias() = A * B    (row-major, C preallocated)
//
// Shapes: square n = 64..2048; the MNIST MLP forward products
// (X[256,784] @ W1[784,256], H[256,256] @ W2[256,10]) and the backward
// products with a transposed operand, passed as a transposed view (x.t())
// on the tapegrad side and as .transpose() on the Eigen side:
//   dW1 = X^T @ G1   [784,256] @ [256,256]   (left operand transposed)
//   dW2 = H^T @ G2   [256,256] @ [256,10]    (left operand transposed)
//   dH  = G2 @ W2^T  [256,10]  @ [10,256]    (right operand transposed)
//   dX  = G1 @ W1^T  [256,256] @ [256,784]   (right operand transposed)
// and the two products of the first layer with MNIST-like input, 19 % of X's
// entries nonzero (the mean of MNIST's training images), as nn::Linear runs
// them: X @ W1^T forward and G1^T @ X for the weight gradient:
//   mlp_fc1_x19      X[256,784] @ W1^T, W1 stored [256,784]
//   mlp_dW1_x19      G1^T @ X, G1 stored [256,256], X [256,784]
// There BM_matmul/tapegrad_dense/... is tapegrad with its sparse-operand path
// switched off (kernels::set_gemm_sparse(false)); Eigen does not skip zeros.
// The counter is 2*M*N*K flops per iteration, printed as FLOP/s of wall time
// (UseRealTime): Eigen's GEMM runs on OMP_NUM_THREADS OpenMP threads (benches
// link OpenMP), whose CPU time would add up. See bench/README.md.
// GCC 12's AVX-512 intrinsics headers trip -Wmaybe-uninitialized inside
// Eigen's packet math under -march=native (GCC bug 105593, fixed in GCC 13);
// silenced here so -Werror builds of the benches pass on AVX-512 machines.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <cmath>
#include <random>
#include <string>
#include <utility>
#include <vector>
#include <tapegrad/tapegrad.hpp>

namespace {

namespace tg = tapegrad;
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

enum class Trans { None, Left, Right };

// A product M x K @ K x N. With Trans::Left the left operand is stored as
// [K, M] and used transposed; with Trans::Right the right one is stored [N, K].
struct Case {
  std::string name;
  int64_t m, k, n;
  Trans trans = Trans::None;
  char sparse = 0;  // 'a' or 'b': that operand has 19 % nonzeros
};

// Keeps 19 % of the count values at p (made nonnegative, as pixels), zeros the
// rest; the same pattern for the same count on both sides.
void thin(float* p, int64_t count) {
  std::mt19937 gen(42);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (int64_t i = 0; i < count; ++i) p[i] = u(gen) < 0.19f ? std::abs(p[i]) + 0.01f : 0.0f;
}

void set_flops(benchmark::State& state, const Case& c) {
  state.counters["FLOPS"] =
      benchmark::Counter(2.0 * static_cast<double>(c.m) * static_cast<double>(c.n) *
                             static_cast<double>(c.k),
                         benchmark::Counter::kIsIterationInvariantRate);
}

// thin() on the operand the case names, Eigen side.
void thin_operand(const Case& c, RowMatrix& a, RowMatrix& b) {
  if (!c.sparse) return;
  RowMatrix& x = c.sparse == 'a' ? a : b;
  thin(x.data(), x.size());
}

void bm_tapegrad(benchmark::State& state, const Case& c, bool sparse_path) {
  tg::manual_seed(0);
  auto a = c.trans == Trans::Left ? tg::randn<float>({c.k, c.m}) : tg::randn<float>({c.m, c.k});
  auto b = c.trans == Trans::Right ? tg::randn<float>({c.n, c.k}) : tg::randn<float>({c.k, c.n});
  if (c.sparse) {
    tg::Tensor<float>& x = c.sparse == 'a' ? a : b;
    thin(x.data_ptr(), x.numel());
  }
  if (c.trans == Trans::Left) a = a.t();
  if (c.trans == Trans::Right) b = b.t();
  const bool was = tg::kernels::set_gemm_sparse(sparse_path);
  for (auto _ : state) {
    // matmul is dense-only; nn::Linear's products go through the sparse-capable
    // entry, which mm_skip_zeros calls (Note [Dense and sparse entries]).
    auto out = tg::mm_skip_zeros(a, b);
    benchmark::DoNotOptimize(out.data_ptr());
    benchmark::ClobberMemory();
  }
  tg::kernels::set_gemm_sparse(was);
  set_flops(state, c);
}

void bm_eigen(benchmark::State& state, const Case& c) {
  const auto m = static_cast<Eigen::Index>(c.m), k = static_cast<Eigen::Index>(c.k),
             n = static_cast<Eigen::Index>(c.n);
  RowMatrix out(m, n);
  if (c.trans == Trans::Left) {
    RowMatrix a = RowMatrix::Random(k, m), b = RowMatrix::Random(k, n);
    thin_operand(c, a, b);
    for (auto _ : state) {
      out.noalias() = a.transpose() * b;
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
    }
  } else if (c.trans == Trans::Right) {
    RowMatrix a = RowMatrix::Random(m, k), b = RowMatrix::Random(n, k);
    thin_operand(c, a, b);
    for (auto _ : state) {
      out.noalias() = a * b.transpose();
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
    }
  } else {
    RowMatrix a = RowMatrix::Random(m, k), b = RowMatrix::Random(k, n);
    thin_operand(c, a, b);
    for (auto _ : state) {
      out.noalias() = a * b;
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
    }
  }
  set_flops(state, c);
}

std::vector<Case> cases() {
  std::vector<Case> v;
  for (int64_t s : {64, 128, 256, 512, 1024, 2048})
    v.push_back({std::to_string(s) + "x" + std::to_string(s), s, s, s});
  v.push_back({"mlp_fc1_256x784@784x256", 256, 784, 256});
  v.push_back({"mlp_fc2_256x256@256x10", 256, 256, 10});
  v.push_back({"mlp_dW1_XT784x256@256x256", 784, 256, 256, Trans::Left});
  v.push_back({"mlp_dW2_HT256x256@256x10", 256, 256, 10, Trans::Left});
  v.push_back({"mlp_dH_256x10@W2T10x256", 256, 10, 256, Trans::Right});
  v.push_back({"mlp_dX_256x256@W1T256x784", 256, 256, 784, Trans::Right});
  v.push_back({"mlp_fc1_x19_256x784@W1T784x256", 256, 784, 256, Trans::Right, 'a'});
  v.push_back({"mlp_dW1_x19_G1T256x256@256x784", 256, 256, 784, Trans::Left, 'b'});
  return v;
}

// Registered at static-init time so --benchmark_filter and --benchmark_list_tests work.
const bool registered = [] {
  for (const Case& c : cases()) {
    const double flops = 2.0 * static_cast<double>(c.m * c.n * c.k);
    // Bounded run time: 0.2 s per run (0.5 s for 2048^3, ~3 iterations).
    const double min_time = flops > 4e9 ? 0.5 : 0.2;
    const auto add = [&](const char* impl, auto fn) {
      benchmark::RegisterBenchmark((std::string("BM_matmul/") + impl + "/" + c.name).c_str(), fn, c)
          ->MinTime(min_time)
          ->UseRealTime()  // Eigen's GEMM may run on several OpenMP threads
          ->Unit(flops > 1e9 ? benchmark::kMillisecond : benchmark::kMicrosecond);
    };
    add("tapegrad", [](benchmark::State& st, const Case& cs) { bm_tapegrad(st, cs, true); });
    if (c.sparse) add("tapegrad_dense", [](benchmark::State& st, const Case& cs) { bm_tapegrad(st, cs, false); });
    add("eigen", &bm_eigen);
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
