// Conv2d forward, backward-data and backward-weights: tapegrad's kernels
// (kernels/conv.hpp) next to oneDNN called directly, on the same shapes in
// the same process.
//
//   BM_conv/<side>/<pass>/<layer>   side: tapegrad | onednn; pass: fwd | bwd_data | bwd_weights
//
// Layers: the convolutions of examples/mnist_cnn.cpp's recipes at batch 64
// (lenet5: 1->6 5x5 pad 2 on 28x28, 6->16 5x5 on 14x14; pytorch-example:
// 1->32 3x3 on 28x28, 32->64 3x3 on 26x26) and ResNet-style 3x3 layers at
// batch 32 (64 channels 56x56, 128 28x28, 256 14x14, pad 1).
// Counters: GFLOPS (2 * N * O * OH * OW * C * kH * kW per pass, per CPU
// second of the benchmark's thread: run single-threaded, OMP_NUM_THREADS=1,
// since on a shared machine CPU time is steadier than wall time) and
// peak_GFLOPS, this CPU's FMA peak for one thread measured the same way at
// start-up by a loop of independent vector FMAs (GCC/Clang vector
// extensions). oneDNN gets its preferred (blocked) memory formats, chosen by
// format_tag::any, with the reorders outside the timed loop: its best case.
// Both sides' threads follow OMP_NUM_THREADS (e.g. 1). Built with oneDNN when libdnnl-dev is installed
// (TAPEGRAD_BENCH_ONEDNN), else tapegrad alone.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>
#include <tapegrad/tapegrad.hpp>

#if TAPEGRAD_BENCH_ONEDNN
#include <dnnl.hpp>
#endif

namespace {

namespace tg = tapegrad;
namespace kn = tapegrad::kernels;

struct Layer {
  const char* name;
  int64_t n, c, h, w, o, k, s, p;
  kn::ConvGeometry geometry() const {
    kn::ConvGeometry g{};
    g.n = n, g.c = c, g.h = h, g.w = w, g.o = o, g.kh = k, g.kw = k, g.sh = s, g.sw = s, g.pt = p, g.pl = p;
    g.oh = (h + 2 * p - k) / s + 1, g.ow = (w + 2 * p - k) / s + 1;
    return g;
  }
  double flops() const {
    const auto g = geometry();
    return 2.0 * static_cast<double>(n * o * g.oh * g.ow * c * k * k);
  }
};

const std::vector<Layer>& layers() {
  static const std::vector<Layer> all{
      {"lenet5_conv1", 64, 1, 28, 28, 6, 5, 1, 2},      {"lenet5_conv2", 64, 6, 14, 14, 16, 5, 1, 0},
      {"pyexample_conv1", 64, 1, 28, 28, 32, 3, 1, 0},  {"pyexample_conv2", 64, 32, 26, 26, 64, 3, 1, 0},
      {"resnet_64x56", 32, 64, 56, 56, 64, 3, 1, 1},    {"resnet_128x28", 32, 128, 28, 28, 128, 3, 1, 1},
      {"resnet_256x14", 32, 256, 14, 14, 256, 3, 1, 1},
  };
  return all;
}

std::vector<float> random_vector(int64_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& e : v) e = u(gen);
  return v;
}

double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Peak single-precision FMA GFLOPS of one thread: 12 independent chains of
// 64-byte vector FMAs (as many as the CPU issues per cycle, hidden latency).
double fma_peak_gflops() {
  static const double peak = [] {
    typedef float v16 __attribute__((vector_size(64)));
    v16 acc[12];
    for (int i = 0; i < 12; ++i) acc[i] = v16{} + static_cast<float>(i) * 1e-3f;
    v16 a = v16{} + 0.999999f, b = v16{} + 1e-7f;
    const int64_t iters = 20000000;
    double best = 0;
    for (int rep = 0; rep < 5; ++rep) {
      const double t0 = thread_seconds();
      for (int64_t it = 0; it < iters; ++it)
        for (int i = 0; i < 12; ++i) acc[i] = acc[i] * a + b;
      const double s = thread_seconds() - t0;
      best = std::max(best, 2.0 * 16 * 12 * static_cast<double>(iters) / s / 1e9);
    }
    float sink = 0;
    for (int i = 0; i < 12; ++i) sink += acc[i][0];
    benchmark::DoNotOptimize(sink);
    return best;
  }();
  return peak;
}

void set_counters(benchmark::State& state, const Layer& l) {
  state.counters["GFLOPS"] =
      benchmark::Counter(l.flops() * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
  state.counters["peak_GFLOPS"] = fma_peak_gflops();
}

enum class Pass { fwd, bwd_data, bwd_weights };

void bm_tapegrad(benchmark::State& state, const Layer& l, Pass pass) {
  const auto g = l.geometry();
  auto x = random_vector(g.n * g.c * g.h * g.w, 1), w = random_vector(g.o * g.c * g.kh * g.kw, 2);
  auto b = random_vector(g.o, 3), y = random_vector(g.n * g.o * g.oh * g.ow, 4);
  std::vector<float> work(static_cast<size_t>(std::max(kn::conv2d_workspace(g), kn::conv2d_weight_workspace(g))));
  std::vector<float> dw(w.size()), db(b.size());
  for (auto _ : state) {
    if (pass == Pass::fwd) kn::conv2d_forward<float>(g, x.data(), w.data(), b.data(), y.data(), work.data());
    else if (pass == Pass::bwd_data) kn::conv2d_backward_input<float>(g, y.data(), w.data(), x.data(), work.data());
    else kn::conv2d_backward_weight<float>(g, x.data(), y.data(), dw.data(), db.data(), work.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, l);
}

#if TAPEGRAD_BENCH_ONEDNN
void bm_onednn(benchmark::State& state, const Layer& l, Pass pass) {
  using namespace dnnl;
  using tag = memory::format_tag;
  using dt = memory::data_type;
  const auto g = l.geometry();
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  const memory::dims src{g.n, g.c, g.h, g.w}, wei{g.o, g.c, g.kh, g.kw}, bia{g.o}, dst{g.n, g.o, g.oh, g.ow};
  const memory::dims strides{g.sh, g.sw}, pad{g.pt, g.pl};
  auto any = [](const memory::dims& d) { return memory::desc(d, dt::f32, tag::any); };
  auto fwd_pd = convolution_forward::primitive_desc(
      convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, any(src), any(wei),
                                any(bia), any(dst), strides, pad, pad),
      eng);
  auto filled = [&](const memory::desc& md, unsigned seed) {
    memory m(md, eng);
    const auto v = random_vector(static_cast<int64_t>(md.get_size() / sizeof(float)), seed);
    std::copy(v.begin(), v.end(), static_cast<float*>(m.get_data_handle()));
    return m;
  };
  if (pass == Pass::fwd) {
    convolution_forward prim(fwd_pd);
    auto ms = filled(fwd_pd.src_desc(), 1), mw = filled(fwd_pd.weights_desc(), 2),
         mb = filled(fwd_pd.bias_desc(), 3), md = filled(fwd_pd.dst_desc(), 4);
    for (auto _ : state) {
      prim.execute(s, {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_BIAS, mb}, {DNNL_ARG_DST, md}});
      s.wait();
    }
  } else if (pass == Pass::bwd_data) {
    auto pd = convolution_backward_data::primitive_desc(
        convolution_backward_data::desc(algorithm::convolution_direct, any(src), any(wei), any(dst), strides, pad, pad),
        eng, fwd_pd);
    convolution_backward_data prim(pd);
    auto mds = filled(pd.diff_src_desc(), 1), mw = filled(pd.weights_desc(), 2), mdd = filled(pd.diff_dst_desc(), 4);
    for (auto _ : state) {
      prim.execute(s, {{DNNL_ARG_DIFF_SRC, mds}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_DIFF_DST, mdd}});
      s.wait();
    }
  } else {
    auto pd = convolution_backward_weights::primitive_desc(
        convolution_backward_weights::desc(algorithm::convolution_direct, any(src), any(wei), any(bia), any(dst),
                                           strides, pad, pad),
        eng, fwd_pd);
    convolution_backward_weights prim(pd);
    auto ms = filled(pd.src_desc(), 1), mdw = filled(pd.diff_weights_desc(), 2), mdb = filled(pd.diff_bias_desc(), 3),
         mdd = filled(pd.diff_dst_desc(), 4);
    for (auto _ : state) {
      prim.execute(s, {{DNNL_ARG_SRC, ms}, {DNNL_ARG_DIFF_WEIGHTS, mdw}, {DNNL_ARG_DIFF_BIAS, mdb},
                       {DNNL_ARG_DIFF_DST, mdd}});
      s.wait();
    }
  }
  set_counters(state, l);
}
#endif

const int registered = [] {
  const std::pair<Pass, const char*> passes[] = {
      {Pass::fwd, "fwd"}, {Pass::bwd_data, "bwd_data"}, {Pass::bwd_weights, "bwd_weights"}};
  for (const auto& l : layers())
    for (const auto& [pass, pname] : passes) {
      const std::string suffix = std::string(pname) + "/" + l.name;
      benchmark::RegisterBenchmark(("BM_conv/tapegrad/" + suffix).c_str(),
                                   [l, pass = pass](benchmark::State& st) { bm_tapegrad(st, l, pass); })
          ->Unit(benchmark::kMillisecond);

#if TAPEGRAD_BENCH_ONEDNN
      benchmark::RegisterBenchmark(("BM_conv/onednn/" + suffix).c_str(),
                                   [l, pass = pass](benchmark::State& st) { bm_onednn(st, l, pass); })
          ->Unit(benchmark::kMillisecond);

#endif
    }
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
