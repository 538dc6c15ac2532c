// Elementwise kernels against the same Eigen array expressions, in one binary.
//
//   BM_<op>/tapegrad/<n>     c = a + b (tapegrad allocates c, as PyTorch does)
//   BM_<op>/eigen/<n>        c = a + b into a preallocated Eigen::ArrayXf
//   BM_<op>/eigen_alloc/<n>  ArrayXf c = a + b (allocates c each iteration)
//
// ops: add, mul (3 floats of traffic per element) and exp (2 floats), on
// 1e3..1e7 contiguous floats. Broadcast add [N, 1] + [1, M] runs against
// Eigen's replicate expression and against a row loop (the best Eigen can do,
// and what tapegrad's kernel does). Throughput counts the bytes read plus
// written per iteration (SetBytesProcessed), which Google Benchmark prints as
// bytes_per_second (GB/s). bench/elementwise.sh runs it and writes the result
// that bench/README.md shows.
// GCC 12's AVX-512 intrinsics headers trip -Wmaybe-uninitialized inside
// Eigen's packet math under -march=native (GCC bug 105593, fixed in GCC 13);
// silenced here so -Werror builds of the benches pass on AVX-512 machines.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <tapegrad/tapegrad.hpp>

namespace {

namespace tg = tapegrad;
using Eigen::ArrayXf;
using RowArrayXf = Eigen::Array<float, 1, Eigen::Dynamic>;
using RowMajorArrayXXf = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void set_bytes(benchmark::State& state, int64_t floats_per_iteration) {
  state.SetBytesProcessed(state.iterations() * floats_per_iteration *
                          static_cast<int64_t>(sizeof(float)));
}

// ---- contiguous binary / unary ops ------------------------------------------------
struct AddOp {
  static constexpr int kTraffic = 3;  // read a, read b, write c
  static tg::Tensor<float> tapegrad(const tg::Tensor<float>& a, const tg::Tensor<float>& b) {
    return a + b;
  }
  static void tapegrad_out(const tg::Tensor<float>& c, const tg::Tensor<float>& a, const tg::Tensor<float>& b) {
    tg::add_out(c, a, b);
  }
  static auto eigen(const ArrayXf& a, const ArrayXf& b) { return a + b; }
};
struct MulOp {
  static constexpr int kTraffic = 3;
  static tg::Tensor<float> tapegrad(const tg::Tensor<float>& a, const tg::Tensor<float>& b) {
    return a * b;
  }
  static void tapegrad_out(const tg::Tensor<float>& c, const tg::Tensor<float>& a, const tg::Tensor<float>& b) {
    tg::mul_out(c, a, b);
  }
  static auto eigen(const ArrayXf& a, const ArrayXf& b) { return a * b; }
};
struct ExpOp {
  static constexpr int kTraffic = 2;  // read a, write c
  static tg::Tensor<float> tapegrad(const tg::Tensor<float>& a, const tg::Tensor<float>&) {
    return tg::exp(a);
  }
  static void tapegrad_out(const tg::Tensor<float>& c, const tg::Tensor<float>& a, const tg::Tensor<float>&) {
    tg::exp_out(c, a);
  }
  static auto eigen(const ArrayXf& a, const ArrayXf&) { return a.exp(); }
};

template <class Op>
void BM_tapegrad(benchmark::State& state) {
  const int64_t n = state.range(0);
  tg::manual_seed(0);
  auto a = tg::rand<float>({n}), b = tg::rand<float>({n});
  for (auto _ : state) {
    auto c = Op::tapegrad(a, b);
    benchmark::DoNotOptimize(c.data_ptr());
    benchmark::ClobberMemory();
  }
  set_bytes(state, Op::kTraffic * n);
}

// The out variant (Note [Out variants]): c preallocated once, as Eigen's c below.
template <class Op>
void BM_tapegrad_out(benchmark::State& state) {
  const int64_t n = state.range(0);
  tg::manual_seed(0);
  auto a = tg::rand<float>({n}), b = tg::rand<float>({n}), c = tg::empty<float>({n});
  for (auto _ : state) {
    Op::tapegrad_out(c, a, b);
    benchmark::DoNotOptimize(c.data_ptr());
    benchmark::ClobberMemory();
  }
  set_bytes(state, Op::kTraffic * n);
}

template <class Op>
void BM_eigen(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  ArrayXf a = ArrayXf::Random(n), b = ArrayXf::Random(n), c(n);
  for (auto _ : state) {
    c = Op::eigen(a, b);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, Op::kTraffic * state.range(0));
}

template <class Op>
void BM_eigen_alloc(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  ArrayXf a = ArrayXf::Random(n), b = ArrayXf::Random(n);
  for (auto _ : state) {
    ArrayXf c = Op::eigen(a, b);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, Op::kTraffic * state.range(0));
}

void sizes(benchmark::internal::Benchmark* b) {
  for (int64_t n : {1000, 10000, 100000, 1000000, 10000000}) b->Arg(n);
}

#define TAPEGRAD_ELEMENTWISE_BENCH(name, Op)                                            \
  BENCHMARK(BM_tapegrad<Op>)->Name("BM_" name "/tapegrad")->Apply(sizes);              \
  BENCHMARK(BM_tapegrad_out<Op>)->Name("BM_" name "/tapegrad_out")->Apply(sizes);      \
  BENCHMARK(BM_eigen<Op>)->Name("BM_" name "/eigen")->Apply(sizes);                    \
  BENCHMARK(BM_eigen_alloc<Op>)->Name("BM_" name "/eigen_alloc")->Apply(sizes);

TAPEGRAD_ELEMENTWISE_BENCH("add", AddOp)
TAPEGRAD_ELEMENTWISE_BENCH("mul", MulOp)
TAPEGRAD_ELEMENTWISE_BENCH("exp", ExpOp)

// ---- broadcast add: [N, 1] + [1, M] -> [N, M] -------------------------------------
int64_t broadcast_traffic(int64_t n) { return n + n + n * n; }  // read a, b; write c

void BM_broadcast_add_tapegrad(benchmark::State& state) {
  const int64_t n = state.range(0);
  tg::manual_seed(0);
  auto a = tg::rand<float>({n, 1}), b = tg::rand<float>({1, n});
  for (auto _ : state) {
    auto c = a + b;
    benchmark::DoNotOptimize(c.data_ptr());
    benchmark::ClobberMemory();
  }
  set_bytes(state, broadcast_traffic(n));
}

// Eigen's broadcasting idiom: replicate the column, then rowwise() + the row.
// The output is row-major like tapegrad's.
void BM_broadcast_add_eigen(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  ArrayXf a = ArrayXf::Random(n);
  RowArrayXf b = RowArrayXf::Random(n);
  RowMajorArrayXXf c(n, n);
  for (auto _ : state) {
    c = a.replicate(1, n).rowwise() + b;
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, broadcast_traffic(n));
}

void BM_broadcast_add_eigen_alloc(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  ArrayXf a = ArrayXf::Random(n);
  RowArrayXf b = RowArrayXf::Random(n);
  for (auto _ : state) {
    RowMajorArrayXXf c = a.replicate(1, n).rowwise() + b;
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, broadcast_traffic(n));
}

// The same result one vectorised row at a time (scalar + row), preallocated:
// Eigen's Replicate has no packet access, so this is Eigen's fast form.
void BM_broadcast_add_eigen_rowloop(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  ArrayXf a = ArrayXf::Random(n);
  RowArrayXf b = RowArrayXf::Random(n);
  RowMajorArrayXXf c(n, n);
  for (auto _ : state) {
    for (Eigen::Index i = 0; i < n; ++i) c.row(i) = b + a(i);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, broadcast_traffic(n));
}

void broadcast_sizes(benchmark::internal::Benchmark* b) {
  for (int64_t n : {1000, 3000}) b->Arg(n);
}

BENCHMARK(BM_broadcast_add_tapegrad)->Name("BM_broadcast_add/tapegrad")->Apply(broadcast_sizes);
BENCHMARK(BM_broadcast_add_eigen)->Name("BM_broadcast_add/eigen")->Apply(broadcast_sizes);
BENCHMARK(BM_broadcast_add_eigen_alloc)->Name("BM_broadcast_add/eigen_alloc")->Apply(broadcast_sizes);
BENCHMARK(BM_broadcast_add_eigen_rowloop)
    ->Name("BM_broadcast_add/eigen_rowloop")
    ->Apply(broadcast_sizes);

}  // namespace

BENCHMARK_MAIN();
