// Does the tape free itself? Runs a small graph for 1e6 iterations and prints
// the resident set size (VmRSS from /proc/self/status) before the loop and
// after 1e3, 1e5 and 1e6 iterations, in three modes:
//
//   backward       forward + backward(), grads reset each iteration (as
//                  optimizer.zero_grad(set_to_none=True)): the records are
//                  released by backward() and by dropping the loss
//   forward_only   the same forward, recorded (w and b require grad), never
//                  backpropagated: each graph must free itself when the loss
//                  tensor goes away (Note [Tape ownership])
//   no_grad        the same forward under NoGradGuard, the baseline
//
// The graph: h = relu(x @ W + b) (broadcast bias), loss = mean(h * h) + sum(sigmoid(h)),
// x [16, 8], W [8, 4], b [4]. Flat RSS from 1e3 on is the target.
//
//   build/bench/bench/autograd_memory [--iterations N] [--mode backward|forward_only|no_grad]
// GCC 12's AVX-512 intrinsics headers trip -Wmaybe-uninitialized inside
// Eigen's packet math under -march=native (GCC bug 105593, fixed in GCC 13).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <tapegrad/tapegrad.hpp>

namespace tg = tapegrad;

namespace {

// Resident set size in kB, or -1 where /proc is missing.
long rss_kb(const char* key = "VmRSS:") {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(key, 0) == 0) return std::strtol(line.c_str() + std::strlen(key), nullptr, 10);
  return -1;
}

struct Model {
  tg::Tensor<float> x, W, b;
  Model() {
    tg::manual_seed(0);
    x = tg::randn<float>({16, 8});
    W = tg::randn<float>({8, 4}).requires_grad_();
    b = tg::randn<float>({4}).requires_grad_();
  }
  tg::Tensor<float> loss() const {
    auto h = (x.matmul(W) + b).relu();
    return (h * h).mean() + h.sigmoid().sum();
  }
};

// Returns false when the checkpoints are not flat.
bool run(const std::string& mode, long iterations) {
  Model m;
  std::vector<long> checkpoints{1'000, 100'000, 1'000'000};
  std::printf("%-13s %12s %12s %14s\n", mode.c_str(), "iterations", "VmRSS kB", "vs 1e3 (kB)");
  const long before = rss_kb();
  std::printf("%-13s %12s %12ld %14s\n", "", "before", before, "");
  long at_1e3 = -1, last = before;
  float sink = 0;
  for (long i = 1; i <= iterations; ++i) {
    if (mode == "backward") {
      m.W.mutable_grad() = tg::Tensor<float>();
      m.b.mutable_grad() = tg::Tensor<float>();
      auto loss = m.loss();
      loss.backward();
      sink += m.b.grad().data_ptr()[0];
    } else if (mode == "forward_only") {
      auto loss = m.loss();
      if (!loss.requires_grad()) {
        std::fprintf(stderr, "forward_only: the loss was not recorded\n");
        return false;
      }
      sink += loss.item();
    } else {
      tg::NoGradGuard no_grad;
      sink += m.loss().item();
    }
    bool report = i == iterations;
    for (long c : checkpoints) report = report || i == c;
    if (report) {
      last = rss_kb();
      if (i == 1'000) at_1e3 = last;
      if (at_1e3 >= 0)
        std::printf("%-13s %12ld %12ld %+14ld\n", "", i, last, last - at_1e3);
      else
        std::printf("%-13s %12ld %12ld %14s\n", "", i, last, "");
    }
  }
  // Flat: under 256 kB of growth from iteration 1e3 to the end (allocator
  // noise is a few pages; a leak of even one 10-float tensor a step would be
  // hundreds of MB by 1e6).
  const bool flat = at_1e3 < 0 || last - at_1e3 < 256;
  std::printf("%-13s peak VmHWM %ld kB; %s (checksum %g)\n\n", "", rss_kb("VmHWM:"),
              flat ? "flat" : "GROWING", static_cast<double>(sink));
  return flat;
}

}  // namespace

int main(int argc, char** argv) {
  long iterations = 1'000'000;
  std::vector<std::string> modes{"backward", "forward_only", "no_grad"};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::puts("usage: autograd_memory [--iterations N] [--mode backward|forward_only|no_grad]\n"
                "Prints VmRSS before and after 1e3, 1e5, 1e6 iterations of a small graph;\n"
                "exits 1 if the resident set grows by 256 kB or more after iteration 1e3.");
      return 0;
    } else if (a == "--iterations" && i + 1 < argc) {
      iterations = std::strtol(argv[++i], nullptr, 10);
    } else if (a == "--mode" && i + 1 < argc) {
      modes = {argv[++i]};
      if (modes[0] != "backward" && modes[0] != "forward_only" && modes[0] != "no_grad") {
        std::fprintf(stderr, "autograd_memory: unknown mode '%s'\n", modes[0].c_str());
        return 2;
      }
    } else {
      std::fprintf(stderr, "autograd_memory: unknown argument '%s' (try --help)\n", a.c_str());
      return 2;
    }
  }
  bool ok = true;
  for (const auto& mode : modes) ok = run(mode, iterations) && ok;
  return ok ? 0 : 1;
}
