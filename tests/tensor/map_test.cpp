// The unary kernel's range-limited SIMD path (tensor/map.hpp, Note
// [Range-limited array forms]): exp and sigmoid on rows long enough for
// several blocks, with arguments below Eigen's SIMD range (and NaN, which must
// not hide them) at block and packet boundaries, out of place and in place;
// and the split of large contiguous maps over threads (Note [Parallel
// elementwise]).
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace {

namespace tg = tapegrad;

// exp of one argument as the kernel computes it alone (the rest of its row 0).
template <class T>
T exp_alone(T x, int64_t n, int64_t at) {
  auto t = tg::zeros<T>({n});
  t(at) = x;
  return tg::exp(t)(at);
}

}  // namespace

TEST_CASE_TEMPLATE("exp/sigmoid: arguments below the SIMD range are exact at any position of a long row",
                   T, float, double) {
  const T inf = std::numeric_limits<T>::infinity();
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const int64_t n = 2600;  // two full blocks of 1024 and a tail
  for (int64_t at : {0, 15, 16, 1023, 1024, 1025, 2047, 2048, 2590, 2599}) {
    CAPTURE(at);
    const T simd_min = tg::detail::simd_exp_min<T>;  // -87 (float), -708 (double)
    for (T small : {-inf, simd_min - T(1.5), T(2) * simd_min, T(-1e4)}) {
      CAPTURE(small);
      auto x = tg::full<T>({n}, T(0.5));
      x(at) = small;
      // a NaN earlier in the same block must not hide the small argument
      if (at > 0) x(at - 1) = nan;
      auto ex = tg::exp(x);
      auto sg = tg::sigmoid(x);
      CHECK(ex(at) == std::exp(small));
      CHECK(sg(at) == T(1) / (T(1) + std::exp(-small)));
      if (at > 0) {
        CHECK(std::isnan(ex(at - 1)));
        CHECK(std::isnan(sg(at - 1)));
      }
      // the neighbours keep the SIMD result they have in a row without it
      const int64_t other = at + 1 < n ? at + 1 : 0;
      CHECK(ex(other) == exp_alone(T(0.5), n, other));
    }
  }
}

TEST_CASE_TEMPLATE("exp: a random wide row matches std::exp elementwise, its result independent of neighbours",
                   T, float, double) {
  tg::manual_seed(3);
  const int64_t n = 5000;
  const T simd_min = tg::detail::simd_exp_min<T>;
  // [1.5 simd_min, -0.5 simd_min): about 1/4 below the SIMD range
  auto x = tg::rand<T>({n}) * (-2 * simd_min) + T(1.5) * simd_min;
  auto ex = tg::exp(x);
  const T rtol = std::is_same_v<T, float> ? T(1e-6) : T(1e-13);
  for (int64_t i = 0; i < n; ++i) {
    const T v = x(i), want = std::exp(v);
    if (v < simd_min) {
      REQUIRE(ex(i) == want);
    } else {
      REQUIRE(std::abs(ex(i) - want) <= rtol * want);
    }
  }
  for (int64_t at : {7, 1024, 3001, 4999}) CHECK(ex(at) == exp_alone(x(at), n, at));
}

TEST_CASE_TEMPLATE("exp/sigmoid kernel: in place on a long row equals out of place", T, float, double) {
  tg::manual_seed(4);
  const int64_t n = 3000;
  const T simd_min = tg::detail::simd_exp_min<T>;
  auto x = tg::rand<T>({n}) * (-2 * simd_min) + T(1.5) * simd_min;
  x(1500) = std::numeric_limits<T>::quiet_NaN();
  for (int which = 0; which < 2; ++which) {
    CAPTURE(which);
    auto want = which == 0 ? tg::exp(x) : tg::sigmoid(x);
    auto y = x.clone();
    if (which == 0) tg::detail::map1_<T>(y, tg::detail::Exp{}, "exp_");
    else tg::detail::map1_<T>(y, tg::detail::Sigmoid{}, "sigmoid_");
    CHECK(std::isnan(y(1500)));
    y(1500) = want(1500) = 0;
    CHECK(tg::equal(y, want));
  }
}

namespace {
// Sets the thread count for a scope.
struct Threads {
  int saved = tg::get_num_threads();
  explicit Threads(int n) { tg::set_num_threads(n); }
  ~Threads() { tg::set_num_threads(saved); }
};
}  // namespace

TEST_CASE_TEMPLATE("parallel elementwise: 1 to 4 threads give bit-identical results, in and out of place", T, float,
                   double) {
  // Sizes below, at and above two grains (2 * 32768), and uneven splits.
  for (int64_t n : {int64_t{1000}, int64_t{65535}, int64_t{65536}, int64_t{3 * 32768 + 5}, int64_t{200003}}) {
    CAPTURE(n);
    tg::manual_seed(11);
    const auto a = tg::randn<T>({n}), b = tg::randn<T>({n});
    std::vector<std::vector<T>> results;
    for (int threads : {1, 2, 3, 4}) {
      Threads scope(threads);
      std::vector<T> r;
      auto append = [&r](const tg::Tensor<T>& t) {
        const auto v = t.to_vector();
        r.insert(r.end(), v.begin(), v.end());
      };
      append(tg::exp(a));
      append(a + b);
      append(a * b);
      append(a.relu());
      auto c = a.clone();
      c.add_(b);
      c.mul_(b);
      c.relu_();
      c.clamp_(-0.5, 0.5);
      append(c);
      tg::optim::SGD sgd({a.clone().requires_grad_()}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01});
      sgd.params()[0].mutable_grad() = b.clone();
      sgd.step();
      sgd.step();
      append(sgd.params()[0]);
      results.push_back(std::move(r));
    }
    for (size_t t = 1; t < results.size(); ++t) {
      CAPTURE(t + 1);
      CHECK(results[t] == results[0]);
    }
    // and the serial result is the elementwise definition
    const auto av = a.to_vector(), bv = b.to_vector();
    int64_t wrong = 0;
    for (int64_t i = 0; i < n; ++i) {
      wrong += results[0][static_cast<size_t>(n + i)] != av[static_cast<size_t>(i)] + bv[static_cast<size_t>(i)];
      wrong += results[0][static_cast<size_t>(2 * n + i)] != av[static_cast<size_t>(i)] * bv[static_cast<size_t>(i)];
    }
    CHECK(wrong == 0);
  }
}
