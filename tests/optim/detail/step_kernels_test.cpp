// The vectorised optimizer steps (Note [Vectorised optimizer steps] in
// optim/detail/step_kernels.hpp): sqrt_n gives std::sqrt's bits, and Adam's
// and AdamW's and SGD's step of a contiguous parameter (the blocked, vectorised path)
// gives exactly the bits of the element-by-element loop that a
// non-contiguous parameter takes, for every option, on sizes with whole
// blocks and a tail, on one thread and split over two.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "support/denormal.hpp"

namespace {

namespace tg = tapegrad;
namespace optim = tapegrad::optim;

// Special values first, then a spread of magnitudes; 37 elements: whole
// vectors of every width and a scalar tail.
template <class T>
std::vector<T> sqrt_inputs() {
  using L = std::numeric_limits<T>;
  std::vector<T> x{T(0),     T(-0.0),       L::denorm_min(), L::min() / T(3), L::min(), L::max(),
                   L::infinity(), -L::infinity(), L::quiet_NaN(), T(-1),      T(-1e-30), T(2),
                   T(0.5),   T(1e-3)};
  for (int k = 0; x.size() < 37; ++k) x.push_back(std::ldexp(T(1) + T(k) / T(7), k % 60 - 30));
  return x;
}

// Whether a and b hold the same bits (NaNs compare by payload, -0 != +0).
template <class T>
bool same_bits(const T* a, const T* b, size_t n) {
  return n == 0 || std::memcmp(a, b, n * sizeof(T)) == 0;  // memcmp may not get null (an empty vector's data())
}

template <class T>
void check_sqrt_n() {
  const std::vector<T> x = sqrt_inputs<T>();
  for (size_t n : {x.size(), size_t{1}, size_t{0}}) {
    CAPTURE(n);
    std::vector<T> got(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n)), want = got;
    optim::detail::sqrt_n(got.data(), static_cast<int64_t>(n));
    for (T& w : want) w = std::sqrt(w);
    CHECK(same_bits(got.data(), want.data(), n));
  }
  // In flush-to-zero mode both read a denormal as zero.
  std::vector<T> got = x, want = x;
  {
    tg::detail::FlushDenormalScope flush;
    optim::detail::sqrt_n(got.data(), static_cast<int64_t>(got.size()));
    for (T& w : want) w = std::sqrt(w);
  }
  CHECK(same_bits(got.data(), want.data(), x.size()));
  if (tg::detail::kCanFlushDenormal) CHECK(got[2] == T(0));
}

TEST_CASE_TEMPLATE("sqrt_n: the bits of std::sqrt for zeros, denormals, infinities, NaN, negatives and normals", T,
                   float, double) {
  check_sqrt_n<T>();
}

// Parameter, gradient and state of one Adam(W) over 5 steps with fresh
// gradients (some zero, as MNIST's border pixels): contiguous or laid out
// column-major (non-contiguous), with the same values.
template <class T, class Opt, class Options>
std::vector<tg::Tensor<T>> adam_run(int64_t rows, int64_t cols, const Options& options, bool contiguous) {
  tg::manual_seed(11);
  const auto w0 = tg::randn<T>({rows, cols});
  auto w = contiguous ? w0.clone() : w0.t().contiguous().t();
  w.requires_grad_();
  Opt opt({w}, options);
  for (int step = 0; step < 5; ++step) {
    auto g = tg::randn<T>({rows, cols});
    if (step % 2 == 1) g = tg::relu(g);  // zero where negative
    w.mutable_grad() = contiguous ? g : g.t().contiguous().t();
    opt.step();
  }
  const auto& s = opt.state(0);
  std::vector<tg::Tensor<T>> out{w.detach(), s.exp_avg, s.exp_avg_sq};
  if (options.amsgrad) out.push_back(s.max_exp_avg_sq);
  for (auto& t : out) t = t.contiguous();
  return out;
}

template <class T, class Opt, class Options>
void check_adam_layouts(double weight_decay) {
  for (const bool amsgrad : {false, true})
    for (const bool maximize : {false, true})
      // (no structured bindings: clang 14 cannot capture them in CAPTURE)
      for (const std::array<int64_t, 3>& size : std::vector<std::array<int64_t, 3>>{{3, 5, 1}, {40, 33, 1}, {300, 300, 2}}) {
        const int64_t rows = size[0], cols = size[1];
        CAPTURE(amsgrad);
        CAPTURE(maximize);
        CAPTURE(rows);
        CAPTURE(cols);
        tg::set_num_threads(static_cast<int>(size[2]));
        Options o;
        o.lr = 0.01;
        o.weight_decay = weight_decay;
        o.amsgrad = amsgrad;
        o.maximize = maximize;
        const auto vec = adam_run<T, Opt>(rows, cols, o, true), scalar = adam_run<T, Opt>(rows, cols, o, false);
        REQUIRE(vec.size() == scalar.size());
        for (size_t k = 0; k < vec.size(); ++k) {
          CAPTURE(k);
          CHECK(same_bits(vec[k].data_ptr(), scalar[k].data_ptr(), static_cast<size_t>(vec[k].numel())));
        }
      }
  tg::set_num_threads(tg::detail::default_num_threads());
}

// The same for SGD: parameter and momentum buffer after 5 steps.
template <class T>
std::vector<tg::Tensor<T>> sgd_run(int64_t rows, int64_t cols, const optim::SGDOptions& options, bool contiguous) {
  tg::manual_seed(12);
  const auto w0 = tg::randn<T>({rows, cols});
  auto w = contiguous ? w0.clone() : w0.t().contiguous().t();
  w.requires_grad_();
  optim::SGD<T> opt({w}, options);
  for (int step = 0; step < 5; ++step) {
    auto g = tg::randn<T>({rows, cols});
    if (step % 2 == 1) g = tg::relu(g);
    w.mutable_grad() = contiguous ? g : g.t().contiguous().t();
    opt.step();
  }
  std::vector<tg::Tensor<T>> out{w.detach().contiguous()};
  if (options.momentum != 0) out.push_back(opt.state(0).momentum_buffer.contiguous());
  return out;
}

TEST_CASE_TEMPLATE("SGD: the vectorised step of a contiguous parameter has the bits of the scalar loop, every option",
                   T, float, double) {
  const std::vector<optim::SGDOptions> options{
      {.lr = 0.1},
      {.lr = 0.1, .weight_decay = 0.01, .maximize = true},
      {.lr = 0.1, .momentum = 0.9},
      {.lr = 0.05, .momentum = 0.9, .dampening = 0.3, .weight_decay = 0.1},
      {.lr = 0.05, .momentum = 0.8, .nesterov = true, .maximize = true},
      {.lr = 0.05, .momentum = 0.8, .weight_decay = 0.1, .nesterov = true}};
  for (size_t c = 0; c < options.size(); ++c)
    for (const std::array<int64_t, 3>& size : std::vector<std::array<int64_t, 3>>{{3, 5, 1}, {40, 33, 1}, {300, 300, 2}}) {
      CAPTURE(c);
      CAPTURE(size[0]);
      CAPTURE(size[1]);
      tg::set_num_threads(static_cast<int>(size[2]));
      const auto vec = sgd_run<T>(size[0], size[1], options[c], true);
      const auto scalar = sgd_run<T>(size[0], size[1], options[c], false);
      REQUIRE(vec.size() == scalar.size());
      for (size_t k = 0; k < vec.size(); ++k) {
        CAPTURE(k);
        CHECK(same_bits(vec[k].data_ptr(), scalar[k].data_ptr(), static_cast<size_t>(vec[k].numel())));
      }
    }
  tg::set_num_threads(tg::detail::default_num_threads());
}

TEST_CASE_TEMPLATE("Adam: the vectorised step of a contiguous parameter has the bits of the scalar loop, every option",
                   T, float, double) {
  for (double wd : {0.0, 0.1}) {
    CAPTURE(wd);
    check_adam_layouts<T, optim::Adam<T>, optim::AdamOptions>(wd);
  }
}

TEST_CASE_TEMPLATE("AdamW: the vectorised step of a contiguous parameter has the bits of the scalar loop, every option",
                   T, float, double) {
  for (double wd : {0.0, 0.05}) {
    CAPTURE(wd);
    check_adam_layouts<T, optim::AdamW<T>, optim::AdamWOptions>(wd);
  }
}

}  // namespace
