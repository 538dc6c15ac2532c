// The matmul kernel suite: every kernel behind one interface, GFLOPS and
// share of the machine's FMA peak. tools/matmul-report runs it and prints the
// table and an SVG chart; bench/README.md has the latest figures, bench/history/ older ones.
//
//   BM_gemm/<kernel>/<f32|f64>/<shape>/threads:<t>
//     kernels: naive (i-j-k), ikj (vectorisable i-k-j), blocked (cache tiles
//     around i-k-j), tapegrad (kernels::gemm, the library's GEMM), eigen
//     (Eigen 3.4's GEMM), openblas (cblas_?gemm), blis (bli_?gemm); the last
//     two only when CMake found them.
//     shapes: square n, tall-skinny, and the MNIST-MLP products at batch 256,
//     forward and backward, with their transposed operands as strides (no
//     copies): fc1 X[256,784] @ W1[784,256], fc2 H[256,256] @ W2[256,10],
//     dW1 X^T[784,256] @ G[256,256], dH G[256,10] @ W2^T[10,256].
//   BM_fma_peak/threads:<t>   FMA throughput: 12 independent vector FMA
//     chains on each thread (the widest FMA this CPU has); "1 core" and "all
//     cores" peaks for the share-of-peak column.
//
// Counters: GFLOPS = 2*M*N*K per iteration (rate), pct_peak = GFLOPS as a
// percent of the FMA peak measured at start-up with the same thread count
// (tools/matmul-report recomputes it from BM_fma_peak of the same run).
// Single-thread figures are per CPU time; threads:2 uses wall time.
// Each kernel is checked against the naive one at start-up (odd shapes,
// transposes, alpha/beta, 1 and 2 threads); a wrong result aborts the run.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC bug 105593 in Eigen's AVX-512 path
#endif
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <new>
#include <vector>
#include <tapegrad/tapegrad.hpp>

#if defined(_OPENMP)
#include <omp.h>
#endif
#if TAPEGRAD_BENCH_OPENBLAS
#include <cblas.h>
#endif
#if TAPEGRAD_BENCH_BLIS
#include <blis.h>  // types and prototypes only: BLIS is dlopen()ed, see blis_api()
#endif
#include <time.h>

namespace {

namespace tk = tapegrad::kernels;

// ---- the interface -----------------------------------------------------------
// C[m, n] = alpha * op(A) @ op(B) + beta * C, row-major. op(A) is A, or A^T
// when ta (A stored [k, m]); likewise B ([n, k] when tb). Leading dims lda,
// ldb, ldc are the row lengths in memory.
template <class T>
struct Gemm {
  int64_t m, n, k;
  bool ta, tb;
  T alpha;
  const T* a;
  int64_t lda;
  const T* b;
  int64_t ldb;
  T beta;
  T* c;
  int64_t ldc;
  // strides of op(A) and op(B) as (row, column)
  int64_t rsa() const { return ta ? 1 : lda; }
  int64_t csa() const { return ta ? lda : 1; }
  int64_t rsb() const { return tb ? 1 : ldb; }
  int64_t csb() const { return tb ? ldb : 1; }
  T A(int64_t i, int64_t p) const { return a[i * rsa() + p * csa()]; }
  T B(int64_t p, int64_t j) const { return b[p * rsb() + j * csb()]; }
};

template <class T>
void scale_c(const Gemm<T>& g) {
  for (int64_t i = 0; i < g.m; ++i)
    for (int64_t j = 0; j < g.n; ++j) g.c[i * g.ldc + j] = g.beta == T(0) ? T(0) : g.beta * g.c[i * g.ldc + j];
}

// 1. naive: one dot product per element of C.
template <class T>
void naive(const Gemm<T>& g) {
  for (int64_t i = 0; i < g.m; ++i)
    for (int64_t j = 0; j < g.n; ++j) {
      T acc(0);
      for (int64_t p = 0; p < g.k; ++p) acc += g.A(i, p) * g.B(p, j);
      T& c = g.c[i * g.ldc + j];
      c = g.beta == T(0) ? g.alpha * acc : g.alpha * acc + g.beta * c;
    }
}

// 2. i-k-j: the inner loop runs along a row of B and of C (vectorised when B is row-major).
template <class T>
void ikj_range(const Gemm<T>& g, int64_t i0, int64_t i1, int64_t p0, int64_t p1, int64_t j0, int64_t j1) {
  const int64_t rsb = g.rsb(), csb = g.csb();
  for (int64_t i = i0; i < i1; ++i) {
    T* __restrict c = g.c + i * g.ldc;
    for (int64_t p = p0; p < p1; ++p) {
      const T aip = g.alpha * g.A(i, p);
      const T* __restrict b = g.b + p * rsb;
      if (csb == 1)
        for (int64_t j = j0; j < j1; ++j) c[j] += aip * b[j];
      else
        for (int64_t j = j0; j < j1; ++j) c[j] += aip * b[j * csb];
    }
  }
}
template <class T>
void ikj(const Gemm<T>& g) {
  scale_c(g);
  ikj_range(g, 0, g.m, 0, g.k, 0, g.n);
}

// 3. cache-blocked: 64 x 256 x 512 tiles (C tile 128 KiB in L2, a 256 x 512 B slab reused per row).
template <class T>
void blocked(const Gemm<T>& g) {
  scale_c(g);
  constexpr int64_t MB = 64, KB = 256, NB = 512;
  for (int64_t j0 = 0; j0 < g.n; j0 += NB)
    for (int64_t p0 = 0; p0 < g.k; p0 += KB)
      for (int64_t i0 = 0; i0 < g.m; i0 += MB)
        ikj_range(g, i0, std::min(g.m, i0 + MB), p0, std::min(g.k, p0 + KB), j0, std::min(g.n, j0 + NB));
}

// 4. tapegrad's own packed GEMM (what tapegrad::matmul runs).
template <class T>
void own(const Gemm<T>& g) {
  tk::gemm<T>(g.m, g.n, g.k, g.alpha, g.a, g.rsa(), g.csa(), g.b, g.rsb(), g.csb(), g.beta, g.c, g.ldc, 1);
}

// 5. Eigen 3.4's GEMM on maps of the same memory.
template <class T>
void eigen(const Gemm<T>& g) {
  using M = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Map = Eigen::Map<const M, Eigen::Unaligned, Eigen::OuterStride<>>;
  using MapC = Eigen::Map<M, Eigen::Unaligned, Eigen::OuterStride<>>;
  const auto idx = [](int64_t v) { return static_cast<Eigen::Index>(v); };
  const Map a(g.a, idx(g.ta ? g.k : g.m), idx(g.ta ? g.m : g.k), Eigen::OuterStride<>(idx(g.lda)));
  const Map b(g.b, idx(g.tb ? g.n : g.k), idx(g.tb ? g.k : g.n), Eigen::OuterStride<>(idx(g.ldb)));
  MapC c(g.c, idx(g.m), idx(g.n), Eigen::OuterStride<>(idx(g.ldc)));
  if (g.beta == T(0)) c.setZero();
  else if (g.beta != T(1)) c *= g.beta;
  if (!g.ta && !g.tb) c.noalias() += g.alpha * a * b;
  else if (g.ta && !g.tb) c.noalias() += g.alpha * a.transpose() * b;
  else if (!g.ta && g.tb) c.noalias() += g.alpha * a * b.transpose();
  else c.noalias() += g.alpha * a.transpose() * b.transpose();
}

#if TAPEGRAD_BENCH_OPENBLAS
// 6. OpenBLAS.
template <class T>
void openblas(const Gemm<T>& g) {
  const auto ta = g.ta ? CblasTrans : CblasNoTrans, tb = g.tb ? CblasTrans : CblasNoTrans;
  const auto i = [](int64_t v) { return static_cast<blasint>(v); };
  if constexpr (sizeof(T) == 4)
    cblas_sgemm(CblasRowMajor, ta, tb, i(g.m), i(g.n), i(g.k), g.alpha, g.a, i(g.lda), g.b, i(g.ldb), g.beta, g.c,
                i(g.ldc));
  else
    cblas_dgemm(CblasRowMajor, ta, tb, i(g.m), i(g.n), i(g.k), g.alpha, g.a, i(g.lda), g.b, i(g.ldb), g.beta, g.c,
                i(g.ldc));
}
#endif

#if TAPEGRAD_BENCH_BLIS
// 7. BLIS, through its typed API with general strides. BLIS also exports
// cblas_* and sgemm_, which would interpose OpenBLAS's when both are linked,
// so BLIS is loaded with dlopen(RTLD_LOCAL | RTLD_DEEPBIND) instead.
struct BlisApi {
  decltype(&bli_sgemm) sgemm = nullptr;
  decltype(&bli_dgemm) dgemm = nullptr;
  decltype(&bli_thread_set_num_threads) set_threads = nullptr;
  decltype(&bli_arch_query_id) arch_id = nullptr;
  decltype(&bli_arch_string) arch_string = nullptr;
  std::string path;
};
const BlisApi& blis_api() {
  static const BlisApi api = [] {
    BlisApi a;
    a.path = TAPEGRAD_BENCH_BLIS_LIBRARY;
    void* h = dlopen(TAPEGRAD_BENCH_BLIS_LIBRARY, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (h == nullptr) {
      std::fprintf(stderr, "matmul_kernels_bench: cannot load BLIS: %s\n", dlerror());
      std::exit(1);
    }
    a.sgemm = reinterpret_cast<decltype(&bli_sgemm)>(dlsym(h, "bli_sgemm"));
    a.dgemm = reinterpret_cast<decltype(&bli_dgemm)>(dlsym(h, "bli_dgemm"));
    a.set_threads = reinterpret_cast<decltype(&bli_thread_set_num_threads)>(dlsym(h, "bli_thread_set_num_threads"));
    a.arch_id = reinterpret_cast<decltype(&bli_arch_query_id)>(dlsym(h, "bli_arch_query_id"));
    a.arch_string = reinterpret_cast<decltype(&bli_arch_string)>(dlsym(h, "bli_arch_string"));
    if (!a.sgemm || !a.dgemm || !a.set_threads || !a.arch_id || !a.arch_string) {
      std::fprintf(stderr, "matmul_kernels_bench: %s lacks bli_?gemm\n", TAPEGRAD_BENCH_BLIS_LIBRARY);
      std::exit(1);
    }
    return a;
  }();
  return api;
}
template <class T>
void blis(const Gemm<T>& g) {
  T alpha = g.alpha, beta = g.beta;
  if constexpr (sizeof(T) == 4)
    blis_api().sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, g.m, g.n, g.k, &alpha, const_cast<T*>(g.a), g.rsa(),
                     g.csa(), const_cast<T*>(g.b), g.rsb(), g.csb(), &beta, g.c, g.ldc, 1);
  else
    blis_api().dgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, g.m, g.n, g.k, &alpha, const_cast<T*>(g.a), g.rsa(),
                     g.csa(), const_cast<T*>(g.b), g.rsb(), g.csb(), &beta, g.c, g.ldc, 1);
}
#endif

// Sets every library's thread count (our kernels and Eigen via set_num_threads).
void set_threads(int t) {
  tapegrad::set_num_threads(t);
#if TAPEGRAD_BENCH_OPENBLAS
  openblas_set_num_threads(t);
#endif
#if TAPEGRAD_BENCH_BLIS
  blis_api().set_threads(t);
#endif
}

template <class T>
struct Kernel {
  const char* name;
  void (*fn)(const Gemm<T>&);
  int64_t max_work;  // skip products with more multiply-adds than this (slow kernels)
  bool threaded;     // also run with all threads
};

template <class T>
std::vector<Kernel<T>> kernels() {
  std::vector<Kernel<T>> k = {{"naive", &naive<T>, int64_t(1) << 27, false},
                              {"ikj", &ikj<T>, int64_t(1) << 30, false},
                              {"blocked", &blocked<T>, int64_t(1) << 30, false},
                              {"tapegrad", &own<T>, INT64_MAX, true},
                              {"eigen", &eigen<T>, INT64_MAX, true}};
#if TAPEGRAD_BENCH_OPENBLAS
  k.push_back({"openblas", &openblas<T>, INT64_MAX, true});
#endif
#if TAPEGRAD_BENCH_BLIS
  k.push_back({"blis", &blis<T>, INT64_MAX, true});
#endif
  return k;
}

// ---- operands ------------------------------------------------------------------
struct Shape {
  std::string name;
  int64_t m, n, k;
  bool ta = false, tb = false;
};

// 64-byte aligned storage, as tapegrad's tensors (and PyTorch's) are. A plain
// std::vector's large blocks start 16 bytes past a page boundary, so every
// 32-float row of a C tile spans three cache lines instead of two: tapegrad's
// 2048^3 product ran about 10 % slower on such buffers (runs A to D below
// used them; run E and later use these).
template <class T>
struct Aligned64 {
  using value_type = T;
  Aligned64() = default;
  template <class U>
  Aligned64(const Aligned64<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64})); }
  void deallocate(T* p, size_t) { ::operator delete(p, std::align_val_t{64}); }
  friend bool operator==(const Aligned64&, const Aligned64&) { return true; }
};

template <class T>
struct Operands {
  std::vector<T, Aligned64<T>> a, b, c;
  Gemm<T> g;
  Operands(const Shape& s, T alpha, T beta, int64_t pad, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<double> u(-1, 1);
    const int64_t lda = (s.ta ? s.m : s.k) + pad, ldb = (s.tb ? s.k : s.n) + pad, ldc = s.n + pad;
    a.resize(static_cast<size_t>((s.ta ? s.k : s.m) * lda));
    b.resize(static_cast<size_t>((s.tb ? s.n : s.k) * ldb));
    c.resize(static_cast<size_t>(s.m * ldc));
    for (auto* v : {&a, &b, &c})
      for (T& x : *v) x = static_cast<T>(u(gen));
    g = {s.m, s.n, s.k, s.ta, s.tb, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc};
  }
};

// ---- FMA peak ---------------------------------------------------------------------
// 12 independent accumulator chains per thread hide the FMA latency (4 cycles x 2 ports).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
typedef float f32x16 __attribute__((vector_size(64)));
typedef float f32x8 __attribute__((vector_size(32)));
#define FMA_CHAINS(V, FMA, LANES)                                                    \
  V x = {}, y = {};                                                                  \
  for (int l = 0; l < LANES; ++l) x[l] = 1.0f, y[l] = 0.999999f;                      \
  V a0 = {}, a1 = {}, a2 = {}, a3 = {}, a4 = {}, a5 = {}, a6 = {}, a7 = {}, a8 = {}, a9 = {}, a10 = {}, a11 = {}; \
  for (int64_t i = 0; i < iters; ++i) {                                              \
    a0 = FMA(x, y, a0), a1 = FMA(x, y, a1), a2 = FMA(x, y, a2), a3 = FMA(x, y, a3);    \
    a4 = FMA(x, y, a4), a5 = FMA(x, y, a5), a6 = FMA(x, y, a6), a7 = FMA(x, y, a7);    \
    a8 = FMA(x, y, a8), a9 = FMA(x, y, a9), a10 = FMA(x, y, a10), a11 = FMA(x, y, a11); \
    __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5)); \
    __asm__ volatile("" : "+v"(a6), "+v"(a7), "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11)); \
  }                                                                                  \
  V s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;                  \
  return s[0];
#define FMA512(a, b, c) __builtin_ia32_vfmaddps512_mask(a, b, c, static_cast<unsigned short>(-1), 4)
#define FMA256(a, b, c) __builtin_ia32_vfmaddps256(a, b, c)
__attribute__((target("avx512f,fma"), noinline)) float fma_chains_avx512(int64_t iters) { FMA_CHAINS(f32x16, FMA512, 16) }
__attribute__((target("avx2,fma"), noinline)) float fma_chains_avx2(int64_t iters) { FMA_CHAINS(f32x8, FMA256, 8) }
#endif

// Runs the chains; returns flops done.
double fma_chains(int64_t iters, float* sink) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (tk::best_gemm_isa() == tk::GemmIsa::avx512) return *sink = fma_chains_avx512(iters), 12.0 * 2 * 16 * iters;
  if (tk::best_gemm_isa() == tk::GemmIsa::avx2) return *sink = fma_chains_avx2(iters), 12.0 * 2 * 8 * iters;
#endif
  float a[12] = {};
  for (int64_t i = 0; i < iters; ++i)
    for (float& v : a) v = std::fma(1.0f, 0.999999f, v);
  *sink = a[0];
  return 12.0 * 2 * iters;
}

// Seconds of this thread's CPU time (one thread), else of wall time.
double now(int threads) {
  timespec t{};
  clock_gettime(threads == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// FMA flops per second on `threads` threads (OpenMP), best of 3; per CPU time
// for one thread, as the single-thread GEMM figures.
double measure_peak(int threads) {
  double best = 0;
  for (int r = 0; r < 3; ++r) {
    const int64_t iters = 20'000'000;
    const double t0 = now(threads);
    double flops = 0;
    float sink = 0;
#if defined(_OPENMP)
#pragma omp parallel num_threads(threads) reduction(+ : flops)
    flops += fma_chains(iters, &sink);
#else
    (void)threads;
    flops = fma_chains(iters, &sink);
#endif
    benchmark::DoNotOptimize(sink);
    best = std::max(best, flops / (now(threads) - t0));
  }
  return best;
}

double g_peak[3] = {0, 0, 0};  // by thread count 1, 2

void bm_fma_peak(benchmark::State& state, int threads) {
  const int64_t iters = 1'000'000;
  double flops = 0;
  for (auto _ : state) {
    float sink = 0;
    double f = 0;
#if defined(_OPENMP)
#pragma omp parallel num_threads(threads) reduction(+ : f)
    f += fma_chains(iters, &sink);
#else
    f = fma_chains(iters, &sink);
#endif
    benchmark::DoNotOptimize(sink);
    flops = f;
  }
  state.counters["GFLOPS"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// ---- the gemm benchmark ------------------------------------------------------------
template <class T>
void bm_gemm(benchmark::State& state, void (*fn)(const Gemm<T>&), Shape s, int threads) {
  set_threads(threads);
  Operands<T> op(s, T(1), T(0), 0, 1);
  for (auto _ : state) {
    fn(op.g);
    benchmark::DoNotOptimize(op.c.data());
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
  state.counters["GFLOPS"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["pct_peak"] =
      benchmark::Counter(flops * 100.0 / g_peak[threads], benchmark::Counter::kIsIterationInvariantRate);
  set_threads(1);
}

std::vector<Shape> shapes() {
  std::vector<Shape> s;
  for (int64_t n : {32, 64, 128, 255, 256, 257, 512, 1000, 1024, 2048})
    s.push_back({std::to_string(n), n, n, n});
  s.push_back({"tall_4096x64@64x64", 4096, 64, 64});
  s.push_back({"skinny_64x4096@4096x64", 64, 64, 4096});
  s.push_back({"wide_64x64@64x4096", 64, 4096, 64});
  s.push_back({"mlp_fc1_256x784@784x256", 256, 256, 784});
  s.push_back({"mlp_fc2_256x256@256x10", 256, 10, 256});
  s.push_back({"mlp_dW1_XT784x256@256x256", 784, 256, 256, true, false});
  s.push_back({"mlp_dH_256x10@W2T10x256", 256, 256, 10, false, true});
  return s;
}

// ---- start-up self-test -------------------------------------------------------------
template <class T>
bool self_test() {
  const std::vector<Shape> cases = {{"", 1, 1, 1}, {"", 7, 33, 1}, {"", 33, 7, 257, true, false},
                                    {"", 257, 33, 7, false, true}, {"", 100, 257, 33, true, true},
                                    {"", 300, 300, 300}, {"", 1000, 7, 33},
                                    // large enough for the OpenMP split along m (n narrow), packed and narrow paths
                                    {"", 1000, 40, 300, true, false}, {"", 2000, 10, 300, false, true}};
  bool ok = true;
  for (const Kernel<T>& k : kernels<T>())
    for (int threads : {1, 2})
      for (const Shape& s : cases) {
        set_threads(threads);
        Operands<T> want(s, T(1.5), T(0.5), 3, 7), got(s, T(1.5), T(0.5), 3, 7);
        naive(want.g);
        k.fn(got.g);
        double err = 0;
        for (size_t i = 0; i < want.c.size(); ++i)
          err = std::max(err, std::abs(static_cast<double>(want.c[i]) - static_cast<double>(got.c[i])));
        const double tol = (sizeof(T) == 4 ? 1e-5 : 1e-13) * static_cast<double>(s.k + 2) * 2;
        if (!(err <= tol)) {
          std::fprintf(stderr, "self-test FAILED: %s %s m=%lld n=%lld k=%lld ta=%d tb=%d threads=%d: error %g\n",
                       k.name, sizeof(T) == 4 ? "f32" : "f64", static_cast<long long>(s.m),
                       static_cast<long long>(s.n), static_cast<long long>(s.k), s.ta, s.tb, threads, err);
          ok = false;
        }
      }
  set_threads(1);
  return ok;
}

#if TAPEGRAD_BENCH_OPENBLAS || TAPEGRAD_BENCH_BLIS
// The shared object a symbol came from (which BLAS answered cblas_sgemm).
std::string library_of(void* symbol) {
  Dl_info info{};
  return dladdr(symbol, &info) && info.dli_fname ? info.dli_fname : "?";
}
#endif

template <class T>
void register_all(const char* type, const std::vector<Shape>& all, bool all_shapes, int max_threads) {
  for (const Kernel<T>& k : kernels<T>())
    for (const Shape& s : all) {
      if (!all_shapes && s.name != "256" && s.name != "1024" && s.name != "mlp_fc1_256x784@784x256") continue;
      if (s.m * s.n * s.k > k.max_work) continue;
      for (int t = 1; t <= (k.threaded ? max_threads : 1); ++t) {
        const std::string name =
            "BM_gemm/" + std::string(k.name) + "/" + type + "/" + s.name + "/threads:" + std::to_string(t);
        auto* b = benchmark::RegisterBenchmark(name.c_str(), [fn = k.fn, s, t](benchmark::State& st) {
          bm_gemm<T>(st, fn, s, t);
        });
        if (t > 1) b->UseRealTime();
      }
    }
}

}  // namespace

int main(int argc, char** argv) {
  const int cores = tapegrad::get_num_threads();  // OMP_NUM_THREADS, else every core
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (!self_test<float>() || !self_test<double>()) return 1;
  tapegrad::set_num_threads(cores);
  for (int t = 1; t <= std::min(cores, 2); ++t) g_peak[t] = measure_peak(t);
  benchmark::AddCustomContext("tapegrad_gemm_isa", tk::to_string(tk::gemm_isa()));
  benchmark::AddCustomContext("fma_peak_gflops_1core", std::to_string(g_peak[1] * 1e-9));
  if (cores >= 2) benchmark::AddCustomContext("fma_peak_gflops_2cores", std::to_string(g_peak[2] * 1e-9));
#if TAPEGRAD_BENCH_OPENBLAS
  benchmark::AddCustomContext("openblas_corename", openblas_get_corename());
  benchmark::AddCustomContext("openblas_config", openblas_get_config());
  benchmark::AddCustomContext("cblas_sgemm_from", library_of(reinterpret_cast<void*>(&cblas_sgemm)));
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  benchmark::AddCustomContext("OPENBLAS_CORETYPE", coretype ? coretype : "(unset)");
#endif
#if TAPEGRAD_BENCH_BLIS
  benchmark::AddCustomContext("blis_arch", blis_api().arch_string(blis_api().arch_id()));
  benchmark::AddCustomContext("bli_sgemm_from", library_of(reinterpret_cast<void*>(blis_api().sgemm)));
#endif
  for (int t = 1; t <= std::min(cores, 2); ++t) {
    auto* b = benchmark::RegisterBenchmark(("BM_fma_peak/threads:" + std::to_string(t)).c_str(),
                                           [t](benchmark::State& st) { bm_fma_peak(st, t); });
    if (t > 1) b->UseRealTime();
  }
  register_all<float>("f32", shapes(), true, std::min(cores, 2));
  register_all<double>("f64", shapes(), false, std::min(cores, 2));
  set_threads(1);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
