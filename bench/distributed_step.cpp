// The program behind bench/distributed_bench.sh (run under mpirun):
//
//   distributed_step allreduce MAX_MIB ROUNDS
//     all_reduce (SUM, float) of 1 KiB .. MAX_MIB MiB: tapegrad's
//     dist::all_reduce and DDP's bucket sum (detail::RingAllReduce, Note
//     [Ring all-reduce]) next to a raw MPI_Allreduce loop on the same buffer
//     size, in turns (each goes first in a third of the rounds), in the same
//     run. Prints per size the median seconds of each, their ratios to raw,
//     and all_reduce's bus bandwidth 2 (p - 1) / p * bytes / s.
//   distributed_step ddp HIDDEN GLOBAL_BATCH STEPS MODE THREADS
//     SGD steps of a 784-HIDDEN-...-10 MLP (HIDDEN: "256" or "4096,4096") on
//     random data, GLOBAL_BATCH split over the ranks. MODE: ddp (bucketed,
//     overlapped with backward: DistributedDataParallel), after (one
//     all_reduce of all gradients after backward), local (no communication:
//     the compute alone); THREADS per rank. Prints the median step time of
//     the slowest rank and samples/s.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <tapegrad/core/threads.hpp>
#include <tapegrad/distributed.hpp>
#include <tapegrad/tapegrad.hpp>

namespace dist = tapegrad::distributed;
namespace nn = tapegrad::nn;
using Clock = std::chrono::steady_clock;

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void bench_allreduce(int64_t max_mib, int rounds) {
  const int world = dist::get_world_size(), rank = dist::get_rank();
  if (rank == 0)
    std::printf("%10s %12s %12s %8s %12s %8s %12s\n", "bytes", "raw_mpi_s", "tapegrad_s", "ratio", "ring_s", "ratio",
                "busbw_GB/s");
  dist::detail::RingAllReduce<float> ring;
  for (int64_t bytes = 1024; bytes <= max_mib * 1024 * 1024; bytes *= 4) {
    const int64_t n = bytes / 4;
    auto t = tapegrad::ones<float>({n});
    std::vector<float> raw(static_cast<size_t>(n), 1.0f);
    const int reps = bytes <= (1 << 20) ? 50 : bytes <= (16 << 20) ? 8 : 3;
    std::vector<double> raw_s, tg_s, ring_s;
    // the three take turns going first, round by round
    auto timed = [reps](std::vector<double>& out, auto&& call) {
      dist::barrier();
      const auto t0 = Clock::now();
      for (int i = 0; i < reps; ++i) call();
      out.push_back(seconds_since(t0) / reps);
    };
    auto run_raw = [&] {
      timed(raw_s, [&] {
        MPI_Allreduce(MPI_IN_PLACE, raw.data(), static_cast<int>(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      });
    };
    auto run_tapegrad = [&] { timed(tg_s, [&] { dist::all_reduce(t); }); };
    auto run_ring = [&] {
      timed(ring_s, [&] {
        ring.start(t, 0);
        ring.wait("ring");
      });
    };
    for (int r = 0; r < rounds; ++r) {
      if (r % 3 == 0) run_raw(), run_tapegrad(), run_ring();
      else if (r % 3 == 1) run_tapegrad(), run_ring(), run_raw();
      else run_ring(), run_raw(), run_tapegrad();
    }
    // the slowest rank's median decides
    auto worst = [](double v) {
      auto x = tapegrad::full<double>({1}, v);
      dist::all_reduce(x, dist::ReduceOp::MAX);
      return x.item();
    };
    const double a = worst(median(raw_s)), b = worst(median(tg_s)), c = worst(median(ring_s));
    const double busbw = 2.0 * (world - 1) / std::max(world, 1) * static_cast<double>(bytes) / b / 1e9;
    if (rank == 0)
      std::printf("%10lld %12.3e %12.3e %8.3f %12.3e %8.3f %12.3f\n", static_cast<long long>(bytes), a, b, b / a, c,
                  c / a, busbw);
  }
}

std::shared_ptr<nn::Sequential<float>> make_mlp(const std::string& hidden) {
  tapegrad::manual_seed(1);
  auto m = std::make_shared<nn::Sequential<float>>();
  int64_t in = 784;
  std::stringstream ss(hidden);
  for (std::string w; std::getline(ss, w, ',');) {
    const int64_t h = std::stoll(w);
    m->push_back(std::make_shared<nn::Linear<float>>(in, h));
    m->push_back(std::make_shared<nn::ReLU<float>>());
    in = h;
  }
  m->push_back(std::make_shared<nn::Linear<float>>(in, 10));
  return m;
}

void bench_ddp(const std::string& hidden, int64_t global_batch, int steps, const std::string& mode) {
  const int world = dist::get_world_size(), rank = dist::get_rank();
  const int64_t b = global_batch / world;
  auto model = make_mlp(hidden);
  std::shared_ptr<nn::Module<float>> train = model;
  if (mode == "ddp") train = std::make_shared<nn::parallel::DistributedDataParallel<float>>(model);
  tapegrad::optim::SGD<float> opt(model->parameters(), {.lr = 0.01});
  tapegrad::Generator gen(static_cast<uint64_t>(rank) + 1);
  auto x = tapegrad::randn<float>({b, 784}, gen);
  auto y = tapegrad::randint<int64_t>(0, 10, {b}, gen);
  std::vector<tapegrad::Tensor<float>> params = model->parameters();
  int64_t total = 0;
  for (auto& p : params) total += p.numel();
  auto flat = tapegrad::zeros<float>({total});
  std::vector<double> times;
  for (int s = 0; s < steps; ++s) {
    dist::barrier();
    const auto t0 = Clock::now();
    auto loss = nn::functional::cross_entropy(train->forward(x), y);
    opt.zero_grad(true);
    loss.backward();
    if (mode == "after") {
      // one all_reduce of every gradient once backward is done
      int64_t off = 0;
      for (auto& p : params) {
        flat.narrow(0, off, p.numel()).copy_(p.grad().view({-1}));
        off += p.numel();
      }
      dist::all_reduce(flat, dist::ReduceOp::AVG);
      off = 0;
      for (auto& p : params) {
        p.grad().view({-1}).copy_(flat.narrow(0, off, p.numel()));
        off += p.numel();
      }
    }
    opt.step();
    if (s >= 2) times.push_back(seconds_since(t0));  // two warm-up steps
  }
  auto worst = tapegrad::full<double>({1}, median(times));
  dist::all_reduce(worst, dist::ReduceOp::MAX);
  if (rank == 0)
    std::printf("mlp 784-%s-10 ranks %d threads %d mode %-5s global_batch %lld: %.4f s/step, %.0f samples/s\n",
                hidden.c_str(), world, tapegrad::get_num_threads(), mode.c_str(), static_cast<long long>(global_batch),
                worst.item(),
                static_cast<double>(global_batch) / worst.item());
}
}  // namespace

int main(int argc, char** argv) {
  dist::init_process_group();
  const std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 3 && a[0] == "allreduce") {
    bench_allreduce(std::stoll(a[1]), std::stoi(a[2]));
  } else if (a.size() == 6 && a[0] == "ddp") {
    tapegrad::set_num_threads(std::stoi(a[5]));
    bench_ddp(a[1], std::stoll(a[2]), std::stoi(a[3]), a[4]);
  } else {
    if (dist::get_rank() == 0)
      std::fprintf(stderr, "usage: distributed_step allreduce MAX_MIB ROUNDS | ddp HIDDEN GLOBAL_BATCH STEPS "
                           "ddp|after|local THREADS\n");
    dist::destroy_process_group();
    return 2;
  }
  dist::destroy_process_group();
  return 0;
}
