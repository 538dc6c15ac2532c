// Note [No FMA contraction] (core/dtype.hpp): arange, linspace and
// CosineAnnealingLR round a product before adding it, and normal_ and
// uniform_ fuse it as PyTorch's x86-64 build does, so they give PyTorch's
// numbers, and the same numbers on every platform. The unit
// build cannot tell (x86-64's baseline has no FMA); this file also runs in
// the -march=native binary (native/no_fma_contraction) and in the aarch64
// build (tools/check-aarch64.sh), where GCC fuses a + b * c unless prevented:
// there linspace, arange, normal_ and the schedule below each failed.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

namespace {

namespace tg = tapegrad;

// a + b * c with the product rounded first, as Python and PyTorch compute it
// (the volatile keeps the compiler from fusing the two).
template <class T>
T sum_of_rounded(T a, T b, T c) {
  volatile T p = b * c;
  return a + p;
}

}  // namespace

TEST_CASE("linspace: PyTorch's float values where a fused multiply-add rounds differently") {
  // torch.linspace(0, 1, 16) and torch.linspace(2.5, -4.6, 16) (tests/reference/fuzz_creation.txt)
  CHECK(tg::linspace<float>(0, 1, 16)(12) == 0.79999995f);
  const auto x = tg::linspace<float>(2.5, -4.6, 16);
  CHECK(x(5) == 0.133333445f);
  CHECK(x(6) == -0.339999914f);
}

TEST_CASE("arange: start + (i * step rounded) for every element") {
  const auto x = tg::arange<double>(-1, 1, 0.001).to_vector();
  REQUIRE(x.size() == 2000);
  int64_t mismatches = 0;
  for (size_t i = 0; i < x.size(); ++i) mismatches += x[i] != sum_of_rounded(-1.0, static_cast<double>(i), 0.001);
  CHECK(mismatches == 0);
}

// The sampling kernels fuse on purpose (Note [PyTorch's AVX2 normal path],
// tensor/random.hpp): PyTorch's x86-64 build computes mean + std * n and
// from + u (to - from) as one fused multiply-add, and tapegrad does so on
// every platform, with or without an FMA instruction.
TEST_CASE_TEMPLATE("normal_(mean, std) and uniform_(from, to): the product fused into the sum, as PyTorch's build",
                   T, float, double) {
  constexpr int64_t n = 20000;
  tg::manual_seed(0);
  const std::vector<T> z = tg::randn<T>({n}).to_vector();
  tg::manual_seed(0);
  const std::vector<T> x = tg::empty<T>({n}).normal_(1.5, 0.3).to_vector();
  tg::manual_seed(0);
  const std::vector<T> u = tg::rand<T>({n}).to_vector();
  tg::manual_seed(0);
  const std::vector<T> y = tg::empty<T>({n}).uniform_(-0.3, 0.9).to_vector();
  const T width = T(0.9) - T(-0.3);
  int64_t normal_mismatches = 0, uniform_mismatches = 0, normal_unfused = 0, uniform_unfused = 0;
  for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
    normal_mismatches += x[i] != std::fma(z[i], T(0.3), T(1.5));
    uniform_mismatches += y[i] != std::fma(u[i], width, T(-0.3));
    normal_unfused += x[i] != sum_of_rounded(T(1.5), T(0.3), z[i]);
    uniform_unfused += y[i] != sum_of_rounded(T(-0.3), width, u[i]);
  }
  CHECK(normal_mismatches == 0);
  CHECK(uniform_mismatches == 0);
  // the check can fail: rounding the product first gives other bits
  CHECK(normal_unfused > 0);
  CHECK(uniform_unfused > 0);
}

TEST_CASE("CosineAnnealingLR: PyTorch's learning rates to the last bit") {
  // torch.optim.lr_scheduler.CosineAnnealingLR(SGD(lr=0.1), T_max=3, eta_min=0.01)
  // (tests/reference/optim.txt, cosine.t3_min0.01.lr)
  const std::vector<double> want{0.1,  0.0775, 0.032500000000000015, 0.01, 0.0325, 0.07750000000000005,
                                 0.10000000000000007, 0.07750000000000007, 0.03250000000000006, 0.01, 0.0325};
  auto p = tg::zeros<float>({2});
  p.requires_grad_();
  tg::optim::SGD<float> opt({p}, {.lr = 0.1});
  tg::optim::CosineAnnealingLR sched(opt, 3, 0.01);
  std::vector<double> got{sched.get_last_lr()};
  for (int epoch = 0; epoch < 10; ++epoch) {
    sched.step();
    got.push_back(sched.get_last_lr());
  }
  CHECK(got == want);
}
