// Where one epoch of an examples/mnist_mlp recipe goes, next to its physical
// limits (bench/breakdown.md has the runs and their reading).
//
//   epoch_breakdown --preset fc500 [--dataset fashion] [--data DIR] [--threads N]
//                   [--warmup-epochs N] [--json FILE] [--clock cpu|wall]
//
// Two passes over the same epoch:
//  1. The recipe's training loop exactly as mnist_mlp runs it (Sequential,
//     CrossEntropyLoss, zero_grad(set_to_none), backward, step, running loss
//     and accuracy, then the test set in chunks of 1000 under no_grad), with
//     a clock around each top-level phase: data loading, forward, loss,
//     backward (with zero_grad), optimizer step, metrics, evaluation.
//  2. The kernels that forward, loss and backward consist of, replayed batch
//     by batch on the same shapes and values with a clock around each: the
//     GEMMs (split by whether tapegrad's GEMM took its sparse-operand path,
//     Note [Sparse operand GEMM]), the elementwise ops (relu and dropout
//     forward and backward, bias gradients) and the loss (log-softmax, NLL and
//     its gradient). Forward + loss + backward of pass 1 minus the replay is
//     what the tape costs (recording, the backward walk, gradient hand-over):
//     "autograd and other".
// Limits: the epoch's GEMM FLOPs at the FMA peak measured here (independent
// vector FMA chains on every thread, -march=native); the sparse products'
// nonzero FLOPs likewise; the optimizer's bytes (parameters and gradients
// read, parameters and states written) at the memory bandwidth measured here
// (a triad over arrays larger than the last-level cache).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <tapegrad/data.hpp>
#include <tapegrad/tapegrad.hpp>

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
namespace optim = tapegrad::optim;
namespace F = tapegrad::nn::functional;
using Clock = std::chrono::steady_clock;

namespace {

// The timers read the process's CPU time by default (--clock cpu): on a
// shared, loaded machine the wall clock counts the time other programs ran.
// With several threads the CPU time adds up every thread's, spin-waits of the
// pool included (and peak and bandwidth are then per CPU-second), so a
// 2-thread part above its 1-thread figure is what splitting it costs.
// --clock wall reads the steady clock instead.
bool g_cpu_clock = true;
struct Stamp {
  Clock::time_point wall;
  timespec cpu;
};
Stamp now() {
  Stamp s{Clock::now(), {}};
  if (g_cpu_clock) clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &s.cpu);
  return s;
}
double secs(const Stamp& a, const Stamp& b) {
  if (!g_cpu_clock) return std::chrono::duration<double>(b.wall - a.wall).count();
  return static_cast<double>(b.cpu.tv_sec - a.cpu.tv_sec) + 1e-9 * static_cast<double>(b.cpu.tv_nsec - a.cpu.tv_nsec);
}

struct Recipe {
  std::vector<int64_t> hidden;
  std::string optimizer;
  double lr, weight_decay = 0, dropout = 0;
  int64_t batch;
  bool tutorial_init;
};

Recipe recipe(const std::string& preset) {
  if (preset == "d2l") return {{256}, "sgd", 0.1, 0, 0, 256, true};
  if (preset == "fc500") return {{500}, "adam", 1e-3, 0, 0, 100, false};
  if (preset == "best") return {{1024, 1024}, "adamw", 1e-3, 1e-2, 0.2, 128, false};
  std::fprintf(stderr, "epoch_breakdown: unknown preset '%s' (d2l, fc500, best)\n", preset.c_str());
  std::exit(2);
}

// ---- the machine's limits ----------------------------------------------------------------------
#if defined(__AVX512F__)
constexpr int kLanes = 16;
#elif defined(__AVX__)
constexpr int kLanes = 8;
#else
constexpr int kLanes = 4;
#endif
typedef float VecF __attribute__((vector_size(kLanes * sizeof(float))));
// keeps the compiler from folding or vectorising the chains away
#if defined(__x86_64__)
#define KEEP(v) asm volatile("" : "+v"(v))
#elif defined(__aarch64__)
#define KEEP(v) asm volatile("" : "+w"(v))
#else
#define KEEP(v) asm volatile("" : : "r"(&v) : "memory")
#endif

// 12 independent a = a * x + y chains (FMAs under -march=native's
// -ffp-contract=fast), in named variables: held in an array, GCC kept them on
// the stack and every FMA waited for a store and a load, which halved the
// "peak" (the dense GEMM then ran above it).
[[gnu::noinline]] float fma_chains(int64_t iters) {
  VecF x, y;
  for (int l = 0; l < kLanes; ++l) x[l] = 0.999999f, y[l] = 1e-7f;
  VecF a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
  for (int64_t i = 0; i < iters; ++i) {
    a0 = a0 * x + y, a1 = a1 * x + y, a2 = a2 * x + y, a3 = a3 * x + y, a4 = a4 * x + y, a5 = a5 * x + y;
    a6 = a6 * x + y, a7 = a7 * x + y, a8 = a8 * x + y, a9 = a9 * x + y, a10 = a10 * x + y, a11 = a11 * x + y;
    KEEP(a0); KEEP(a1); KEEP(a2); KEEP(a3); KEEP(a4); KEEP(a5);
    KEEP(a6); KEEP(a7); KEEP(a8); KEEP(a9); KEEP(a10); KEEP(a11);
  }
  const VecF s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
  return s[0];
}

// FLOP/s of `threads` threads running FMA chains at once; best of 5.
double fma_peak(int threads) {
  const int64_t iters = 20'000'000;
  double best = 0;
  for (int r = 0; r < 5; ++r) {
    std::vector<float> sink(static_cast<size_t>(threads));
    const auto t0 = now();
    tg::detail::parallel_for(threads, threads, [&](int64_t t) { sink[static_cast<size_t>(t)] = fma_chains(iters); });
    // in CPU time (summed over the threads, as the parts are) the rate per
    // CPU-second, i.e. one thread's; in wall time all threads'
    const double s = secs(t0, now());
    best = std::max(best, 12.0 * 2 * kLanes * static_cast<double>(iters) * threads / s);
    if (sink[0] == 42.0f) std::printf(" ");
  }
  return best;
}

// Bytes/s of a = b + 0.5 * c over 3 x 64 MiB (12 bytes per element moved), best of 5.
double triad_bandwidth() {
  const int64_t n = int64_t{16} << 20;
  auto a = tg::empty<float>({n}), b = tg::rand<float>({n}), c = tg::rand<float>({n});
  double best = 0;
  for (int r = 0; r < 5; ++r) {
    const auto t0 = now();
    tg::detail::parallel_range(n, [&](int64_t lo, int64_t m) {
      float* pa = a.data_ptr() + lo;
      const float *pb = b.data_ptr() + lo, *pc = c.data_ptr() + lo;
      for (int64_t i = 0; i < m; ++i) pa[i] = pb[i] + 0.5f * pc[i];
    });
    best = std::max(best, 12.0 * static_cast<double>(n) / secs(t0, now()));  // per CPU-second with --clock cpu
  }
  return best;
}

// Seconds per 32-bit word of the generator's engine drawn in bulk
// (Generator::Draws::random_fill, as dropout's mask draws them; a double
// uniform is two words), best of 5.
double generator_word_secs() {
  tg::Generator gen(1);
  const int64_t n = int64_t{1} << 10, reps = 8192;
  std::vector<uint32_t> w(static_cast<size_t>(n));
  double best = 1e9;
  uint32_t sink = 0;
  for (int r = 0; r < 5; ++r) {
    tg::Generator::Draws d(gen);
    const auto t0 = now();
    for (int64_t i = 0; i < reps; ++i) d.random_fill(w.data(), n), sink ^= w[static_cast<size_t>(i % n)];
    best = std::min(best, secs(t0, now()) / static_cast<double>(n * reps));
  }
  if (sink == 42) std::printf(" ");
  return best;
}

// ---- timers -------------------------------------------------------------------------------------
struct Timers {
  std::map<std::string, double> s;
  template <class Fn>
  auto time(const std::string& name, Fn&& fn) {
    const auto t0 = now();
    if constexpr (std::is_void_v<decltype(fn())>) {
      fn();
      s[name] += secs(t0, now());
    } else {
      auto r = fn();
      s[name] += secs(t0, now());
      return r;
    }
  }
};

// FLOPs per timer name: all products as if dense, and the products whose
// factors are both nonzero (the work the sparse-operand path cannot skip)
struct Flops {
  std::map<std::string, double> dense, nonzero;
  // per product ("layer 1 forward", ...): time, FLOPs as above, and how many
  // of its calls took the sparse path
  std::map<std::string, double> t, pdense, pnonzero;
  std::map<std::string, int64_t> calls, sparse_calls;
};

double density_of(const tg::Tensor<float>& x) {
  return tg::mean(tg::ne(x, tg::zeros<float>({})).to<float>()).item();
}

// a GEMM call a (m x k) @ b (k x n), filed under "sparse GEMM" when the
// sparse-operand path ran it (whichever layer: the ReLU and dropout outputs of
// hidden layers can be sparse enough too), with its FLOPs; for a sparse call
// the nonzero FLOPs count the sparser operand's nonzeros only
template <class Fn>
tg::Tensor<float> gemm(Timers& t, Flops& f, const std::string& what, const tg::Tensor<float>& a, const tg::Tensor<float>& b,
                       Fn&& fn) {
  const uint64_t before = tg::kernels::gemm_sparse_count();
  const auto t0 = now();
  auto r = fn();
  const double d = secs(t0, now());
  const bool sparse = tg::kernels::gemm_sparse_count() != before;
  const std::string name = sparse ? "sparse GEMM" : "GEMM";
  t.s[name] += d;
  const double flops = 2.0 * static_cast<double>(a.size(0)) * static_cast<double>(a.size(1)) * static_cast<double>(b.size(1));
  f.dense[name] += flops;
  const double nz = sparse ? flops * std::min(density_of(a), density_of(b)) : flops;
  f.nonzero[name] += nz;
  f.t[what] += d, f.pdense[what] += flops, f.pnonzero[what] += nz, ++f.calls[what], f.sparse_calls[what] += sparse;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::string preset = "fc500", dataset = "mnist", data_dir, json;
  int threads = 1, warmup = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string f = argv[i], v = argv[i + 1];
    if (f == "--preset") preset = v;
    else if (f == "--dataset") dataset = v;
    else if (f == "--data") data_dir = v;
    else if (f == "--threads") threads = std::stoi(v);
    else if (f == "--warmup-epochs") warmup = std::stoi(v);
    else if (f == "--json") json = v;
    else if (f == "--clock" && (v == "cpu" || v == "wall")) g_cpu_clock = v == "cpu";
    else {
      std::fprintf(stderr, "epoch_breakdown: unknown flag %s (see the comment at the top of the file)\n", f.c_str());
      return 2;
    }
  }
  if (data_dir.empty()) data_dir = dataset == "mnist" ? "data/mnist" : "data/fashion-mnist";
  const Recipe rc = recipe(preset);
  tg::set_num_threads(threads);
  tg::manual_seed(42);

  const double peak = fma_peak(threads), bandwidth = triad_bandwidth(), word_secs = generator_word_secs();
  tg::data::MNIST train(data_dir, true), test(data_dir, false);

  auto net = std::make_shared<nn::Sequential<float>>();
  net->push_back(std::make_shared<nn::Flatten<float>>());
  std::vector<nn::Linear<float>*> linears;
  int64_t width = 784;
  for (int64_t h : rc.hidden) {
    auto l = std::make_shared<nn::Linear<float>>(width, h);
    linears.push_back(l.get());
    net->push_back(l);
    net->push_back(std::make_shared<nn::ReLU<float>>());
    if (rc.dropout > 0) net->push_back(std::make_shared<nn::Dropout<float>>(rc.dropout));
    width = h;
  }
  auto last = std::make_shared<nn::Linear<float>>(width, 10);
  linears.push_back(last.get());
  net->push_back(last);
  if (rc.tutorial_init)
    for (auto* l : linears) nn::init::normal_(l->weight, 0, 0.01), nn::init::zeros_(l->bias);

  std::unique_ptr<optim::Optimizer<float>> opt;
  int states = 0;  // state tensors per parameter
  if (rc.optimizer == "sgd") opt = std::make_unique<optim::SGD<float>>(net->parameters(), optim::SGDOptions{.lr = rc.lr});
  if (rc.optimizer == "adam") opt = std::make_unique<optim::Adam<float>>(net->parameters(), optim::AdamOptions{.lr = rc.lr}), states = 2;
  if (rc.optimizer == "adamw")
    opt = std::make_unique<optim::AdamW<float>>(net->parameters(), optim::AdamWOptions{.lr = rc.lr, .weight_decay = rc.weight_decay}),
    states = 2;
  nn::CrossEntropyLoss<float> loss_fn;
  tg::data::DataLoader loader(train.pixels(), train.labels(), {.batch_size = rc.batch, .shuffle = true}, 255.0f);

  // ---- pass 1: the real epoch, phase by phase (after `warmup` untimed epochs) ----
  Timers real;
  int64_t steps = 0;
  double loss_sum = 0;
  for (int e = 0; e <= warmup; ++e) {
    real = Timers{};
    steps = 0;
    const auto t_epoch = now();
    auto it = loader.begin();
    for (;;) {
      const bool done = real.time("data loading", [&] { return !(it != loader.end()); });
      if (done) break;
      auto& batch = *it;
      auto logits = real.time("forward", [&] { return (*net)(batch.x); });
      auto loss = real.time("loss", [&] { return loss_fn(logits, batch.y); });
      real.time("backward", [&] {
        opt->zero_grad(true);
        loss.backward();
      });
      real.time("optimizer step", [&] { opt->step(); });
      real.time("metrics", [&] {
        loss_sum += static_cast<double>(loss.item());
        tg::NoGradGuard no_grad;
        (void)tg::sum(tg::eq(logits.argmax(1), batch.y)).item();
      });
      ++steps;
      real.time("data loading", [&] { ++it; });
    }
    real.time("evaluation", [&] {
      tg::NoGradGuard no_grad;
      net->eval();
      for (int64_t s = 0; s < test.size(); s += 1000) {
        const int64_t len = std::min<int64_t>(1000, test.size() - s);
        (void)tg::sum(tg::eq((*net)(test.images().narrow(0, s, len)).argmax(1), test.labels().narrow(0, s, len))).item();
      }
      net->train();
    });
    real.s["epoch"] = secs(t_epoch, now());
  }

  // ---- pass 2: the kernels of forward, loss and backward, replayed ----
  Timers k;
  Flops fl;
  double density = 0;
  const auto zero = tg::zeros<float>({});
  {
    tg::NoGradGuard no_grad;
    int64_t batches = 0;
    for (auto& batch : loader) {
      density += density_of(batch.x);
      ++batches;
      std::vector<tg::Tensor<float>> in{batch.x}, pre, mask;
      for (size_t l = 0; l < linears.size(); ++l) {
        auto* L = linears[l];
        const std::string layer = "layer " + std::to_string(l + 1);
        auto y = gemm(k, fl, layer + " forward", in.back(), L->weight.t(), [&] { return F::linear(in.back(), L->weight, L->bias); });
        if (l + 1 == linears.size()) {
          in.push_back(y);
          break;
        }
        pre.push_back(y);
        auto h = k.time("relu", [&] { return tg::relu(y); });
        if (rc.dropout > 0) {
          auto d = k.time("dropout", [&] { return F::dropout(h, rc.dropout, true); });
          mask.push_back(tg::ne(d, zero).to<float>() * static_cast<float>(1 / (1 - rc.dropout)));
          h = d;
        }
        in.push_back(h);
      }
      auto g = k.time("loss", [&] {
        auto z = in.back().detach().requires_grad_();
        tg::EnableGradGuard grad_on;
        F::cross_entropy(z, batch.y).backward();
        return z.grad();
      });
      for (size_t l = linears.size(); l-- > 0;) {
        auto* L = linears[l];
        const auto& x = in[l];
        const std::string layer = "layer " + std::to_string(l + 1);
        (void)gemm(k, fl, layer + " dW", g.t(), x, [&] { return tg::mm_skip_zeros(g.t(), x); });  // dW = g^T x
        (void)k.time("bias gradient", [&] { return tg::sum(g, 0); });          // db
        if (l == 0) break;
        g = gemm(k, fl, layer + " dX", g, L->weight, [&] { return tg::mm_skip_zeros(g, L->weight); });  // dx = g W
        if (rc.dropout > 0) g = k.time("dropout backward", [&] { return tg::mul(g, mask[l - 1]); });
        g = k.time("relu backward", [&] {  // relu', one fused map as ReluBackward's
          return tg::detail::map2<float, float>(g, in[l], [](float gv, float y) { return y <= 0 ? 0.0f : gv; }, "relu'");
        });
      }
    }
    density /= static_cast<double>(std::max<int64_t>(batches, 1));
  }

  // ---- limits ----
  int64_t params = 0;
  for (auto* l : linears) params += l->weight.numel() + l->bias.numel();
  // evaluation: the first layer's products at the training input's density
  // (the test images are alike), the other layers dense
  double eval_ma = 0;
  for (size_t l = 0; l < linears.size(); ++l)
    eval_ma += static_cast<double>(linears[l]->weight.numel()) * (l == 0 ? density : 1.0);
  const double flops_eval = 2 * eval_ma * static_cast<double>(test.size());
  const double flops_dense = fl.dense["GEMM"], flops_sparse = fl.dense["sparse GEMM"],
               flops_sparse_nz = fl.nonzero["sparse GEMM"];
  // hidden activations over the epoch (batch x width of every hidden layer, every step)
  double act = 0;
  for (int64_t h : rc.hidden) act += static_cast<double>(h) * static_cast<double>(rc.batch) * static_cast<double>(steps);
  const double opt_bytes = static_cast<double>(steps) * static_cast<double>(params) * 4.0 * (3 + 2 * states);

  const double epoch = real.s["epoch"];
  const double fb = real.s["forward"] + real.s["loss"] + real.s["backward"];
  double replay = 0;
  for (auto& [n, v] : k.s) replay += v;
  std::vector<std::pair<std::string, double>> rows = {
      {"GEMM", k.s["GEMM"]},
      {"sparse GEMM", k.s["sparse GEMM"]},
      {"relu", k.s["relu"]},
      {"dropout", k.s["dropout"]},
      {"relu backward", k.s["relu backward"]},
      {"dropout backward", k.s["dropout backward"]},
      {"bias gradient", k.s["bias gradient"]},
      {"loss", k.s["loss"]},
      {"autograd and other", fb - replay},
      {"optimizer step", real.s["optimizer step"]},
      {"data loading", real.s["data loading"]},
      {"metrics (running loss, accuracy)", real.s["metrics"]},
      {"evaluation", real.s["evaluation"]},
  };
  auto limit = [&](const std::string& name) -> std::string {
    char buf[256];
    if (name == "GEMM")
      std::snprintf(buf, sizeof buf, "%.1f ms (%.2f GFLOP at %.0f GFLOPS)", 1e3 * flops_dense / peak, flops_dense * 1e-9, peak * 1e-9);
    else if (name == "sparse GEMM")
      std::snprintf(buf, sizeof buf, "%.1f ms dense, %.1f ms nonzeros only (%.2f GFLOP dense, %.2f nonzero; inputs %.0f%% nonzero)",
                    1e3 * flops_sparse / peak, 1e3 * flops_sparse_nz / peak, flops_sparse * 1e-9, flops_sparse_nz * 1e-9,
                    100 * density);
    else if (name == "optimizer step")
      std::snprintf(buf, sizeof buf, "%.1f ms (%.0f MB at %.1f GB/s, memory; less when it all stays in cache)",
                    1e3 * opt_bytes / bandwidth, opt_bytes * 1e-6,
                    bandwidth * 1e-9);
    else if (name == "relu" || name == "relu backward" || name == "dropout backward" || name == "bias gradient") {
      // floats moved per hidden activation: relu reads x and writes y; the
      // backward maps read g and y (g and the mask) and write g'; db reads g
      const double per = name == "relu" ? 8 : name == "bias gradient" ? 4 : 12;
      std::snprintf(buf, sizeof buf, "%.1f ms (%.0f MB at %.1f GB/s; in cache it is faster)", 1e3 * per * act / bandwidth,
                    per * act * 1e-6, bandwidth * 1e-9);
    } else if (name == "dropout")
      std::snprintf(buf, sizeof buf, "%.1f ms (generator: 2 words per element at %.2f ns) + %.1f ms (x read, y written at %.1f GB/s)",
                    1e3 * 2 * act * word_secs, 1e9 * word_secs, 1e3 * 8 * act / bandwidth, bandwidth * 1e-9);
    else if (name == "evaluation")
      std::snprintf(buf, sizeof buf, "%.1f ms (%.2f GFLOP at peak, first layer's nonzeros)", 1e3 * flops_eval / peak, flops_eval * 1e-9);
    else
      return "";
    return buf;
  };
  std::printf("preset %s on %s, %d thread%s, %lld steps of batch %lld, %lld parameters, optimizer %s\n", preset.c_str(),
              dataset.c_str(), threads, threads == 1 ? "" : "s", static_cast<long long>(steps),
              static_cast<long long>(rc.batch), static_cast<long long>(params), rc.optimizer.c_str());
  std::printf("FMA peak %.1f GFLOPS (%d thread%s, %d-float vectors), triad bandwidth %.1f GB/s%s\n", peak * 1e-9, threads,
              threads == 1 ? "" : "s", kLanes, bandwidth * 1e-9,
              g_cpu_clock ? " (per CPU-second: parts and limits are CPU time summed over the threads)" : "");
  std::printf("epoch %.1f ms (of which forward+loss+backward %.1f ms, their kernels replayed %.1f ms)\n\n", 1e3 * epoch,
              1e3 * fb, 1e3 * replay);
  std::printf("| part | ms | share of epoch | physical limit |\n|---|---:|---:|---|\n");
  for (auto& [name, v] : rows)
    std::printf("| %s | %.1f | %.1f%% | %s |\n", name.c_str(), 1e3 * v, 100 * v / epoch, limit(name).c_str());
  const double limit_total = (flops_dense + flops_sparse_nz + flops_eval) / peak + opt_bytes / bandwidth;
  std::printf("| **epoch** | **%.1f** | 100%% | %.1f ms (GEMM nonzero FLOPs at peak + optimizer bytes at bandwidth) |\n",
              1e3 * epoch, 1e3 * limit_total);
  std::printf("\nThe products one by one (limit: their FLOPs at the FMA peak, for calls that took the sparse path\n"
              "only the products by the sparser operand's nonzeros):\n\n"
              "| product | calls on the sparse path | ms | limit ms | at %% of limit |\n|---|---:|---:|---:|---:|\n");
  for (auto& [what, v] : fl.t) {
    const double lim = fl.pnonzero[what] / peak;
    std::printf("| %s | %lld of %lld | %.1f | %.1f | %.0f%% |\n", what.c_str(), static_cast<long long>(fl.sparse_calls[what]),
                static_cast<long long>(fl.calls[what]), 1e3 * v, 1e3 * lim, 100 * lim / v);
  }
  if (!json.empty()) {
    std::ofstream out(json);
    out << "{\"preset\":\"" << preset << "\",\"dataset\":\"" << dataset << "\",\"threads\":" << threads
        << ",\"steps\":" << steps << ",\"epoch_ms\":" << 1e3 * epoch << ",\"fma_peak_gflops\":" << peak * 1e-9
        << ",\"triad_gbs\":" << bandwidth * 1e-9 << ",\"input_density\":" << density << ",\"parts_ms\":{";
    for (size_t i = 0; i < rows.size(); ++i) out << (i ? "," : "") << "\"" << rows[i].first << "\":" << 1e3 * rows[i].second;
    out << "},\"limit_ms\":{\"GEMM\":" << 1e3 * flops_dense / peak << ",\"sparse GEMM nonzeros\":"
        << 1e3 * flops_sparse_nz / peak << ",\"optimizer step\":" << 1e3 * opt_bytes / bandwidth
        << ",\"evaluation\":" << 1e3 * flops_eval / peak << ",\"epoch\":" << 1e3 * limit_total << "}}\n";
  }
  return 0;
}
