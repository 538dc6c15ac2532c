// kernels/conv.hpp: the direct kernels of few-input-channel layers (Note
// [Direct convolution for few input channels]) against the definition of a
// convolution summed in long double, in float and double, on odd sizes,
// padding, dilation, row strides and rows narrower than a vector, with one and
// two threads. Also built with -march=native (tests/CMakeLists.txt), as the
// tiles follow the target's vector width.
#include <doctest/doctest.h>
#include <tapegrad/kernels/conv.hpp>

#include <cmath>
#include <random>
#include <type_traits>
#include <vector>

namespace {

namespace kn = tapegrad::kernels;

std::vector<double> random_values(int64_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> v(static_cast<size_t>(n));
  for (auto& e : v) e = u(gen);
  return v;
}

template <class T>
std::vector<double> as_double(const std::vector<T>& v) {
  return std::vector<double>(v.begin(), v.end());
}

/// The input element of output (s, oc, oy, ox)'s tap (ci, ki, kj), or 0 in the padding.
double tap(const kn::ConvGeometry& g, const std::vector<double>& x, int64_t s, int64_t ci, int64_t oy, int64_t ox,
           int64_t ki, int64_t kj) {
  const int64_t iy = oy * g.sh - g.pt + ki * g.dh, ix = ox * g.sw - g.pl + kj * g.dw;
  if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) return 0;
  return x[static_cast<size_t>(((s * g.c + ci) * g.h + iy) * g.w + ix)];
}

TEST_CASE_TEMPLATE("conv2d_forward, conv2d_backward_weight: the direct kernels match the definition", T, float,
                   double) {
  kn::ConvGeometry grouped{};
  grouped.n = 1, grouped.c = 2, grouped.h = grouped.w = 8, grouped.o = 4, grouped.kh = grouped.kw = 3,
  grouped.groups = 2, grouped.oh = grouped.ow = 6;
  CHECK(!kn::detail::conv_direct(grouped));  // groups: the GEMM
  struct Case {
    int64_t n, c, h, w, o, kh, kw, sh, pt, pl, dh, dw;
  };
  const Case cases[] = {
      {3, 1, 28, 28, 6, 5, 5, 1, 2, 2, 1, 1},    // LeNet's first layer (25 taps)
      {2, 1, 28, 28, 32, 3, 3, 1, 0, 0, 1, 1},   // PyTorch's example's first layer (9 taps)
      {2, 2, 28, 28, 32, 3, 3, 1, 0, 0, 1, 1},   // 32 output channels, 18 taps
      {2, 3, 11, 19, 9, 3, 2, 2, 1, 0, 2, 3},    // row stride, dilation, odd sizes, 9 channels
      {1, 3, 9, 13, 5, 2, 3, 1, 0, 1, 1, 1},     // rows narrower than a vector
      {2, 1, 6, 40, 7, 1, 1, 3, 0, 0, 1, 1},     // one tap, 7 channels, row stride 3
      {2, 6, 14, 14, 16, 5, 5, 1, 0, 0, 1, 1},   // LeNet's second layer (150 taps: forward only)
      {1, 5, 12, 37, 13, 2, 5, 2, 1, 3, 2, 2},   // 50 taps, 13 channels, odd width
  };
  const int threads_before = tapegrad::get_num_threads();
  for (const int threads : {1, 2}) {
    tapegrad::set_num_threads(threads);
    for (const auto& c : cases) {
      kn::ConvGeometry g{};
      g.n = c.n, g.c = c.c, g.h = c.h, g.w = c.w, g.o = c.o, g.kh = c.kh, g.kw = c.kw, g.sh = c.sh, g.pt = c.pt,
      g.pl = c.pl, g.dh = c.dh, g.dw = c.dw;
      g.oh = (g.h + 2 * g.pt - g.dh * (g.kh - 1) - 1) / g.sh + 1;
      g.ow = (g.w + 2 * g.pl - g.dw * (g.kw - 1) - 1) + 1;
      CAPTURE(g.c);
      CAPTURE(g.o);
      CAPTURE(g.kh);
      CAPTURE(g.ow);
      CAPTURE(threads);
      REQUIRE(kn::detail::conv_direct(g));
      CHECK(kn::detail::conv_direct_weight(g) == (g.patch() <= kn::kDirectMaxWeightPatch));
      const int64_t K = g.patch(), P = g.out_plane();
      const auto x = random_values(g.n * g.c * g.h * g.w, 1), w = random_values(g.o * K, 2),
                 b = random_values(g.o, 3), dy = random_values(g.n * g.o * P, 4);
      const auto as_t = [](const std::vector<double>& v) { return std::vector<T>(v.begin(), v.end()); };
      const auto xt = as_t(x), wt = as_t(w), bt = as_t(b), dyt = as_t(dy);
      const auto xd = as_double(xt);
      std::vector<T> y(static_cast<size_t>(g.n * g.o * P)), dw(static_cast<size_t>(g.o * K)),
          db(static_cast<size_t>(g.o));
      std::vector<T> work(static_cast<size_t>(std::max(kn::conv2d_workspace(g), kn::conv2d_weight_workspace(g))));
      kn::conv2d_forward<T>(g, xt.data(), wt.data(), bt.data(), y.data(), work.data());
      kn::conv2d_backward_weight<T>(g, xt.data(), dyt.data(), dw.data(), db.data(), work.data());
      // the inputs are T's values, so the definition in long double is exact up to the sum's rounding
      const auto value = [](T v) { return static_cast<long double>(v); };
      double worst_y = 0, worst_w = 0, worst_b = 0;
      for (int64_t s = 0; s < g.n; ++s)
        for (int64_t oc = 0; oc < g.o; ++oc)
          for (int64_t oy = 0; oy < g.oh; ++oy)
            for (int64_t ox = 0; ox < g.ow; ++ox) {
              long double want = value(bt[static_cast<size_t>(oc)]);
              for (int64_t ci = 0; ci < g.c; ++ci)
                for (int64_t ki = 0; ki < g.kh; ++ki)
                  for (int64_t kj = 0; kj < g.kw; ++kj)
                    want += value(wt[static_cast<size_t>(((oc * g.c + ci) * g.kh + ki) * g.kw + kj)]) *
                            static_cast<long double>(tap(g, xd, s, ci, oy, ox, ki, kj));
              const double got = static_cast<double>(y[static_cast<size_t>(((s * g.o + oc) * g.oh + oy) * g.ow + ox)]);
              worst_y = std::max(worst_y, std::abs(got - static_cast<double>(want)));
            }
      for (int64_t oc = 0; oc < g.o; ++oc) {
        long double want_b = 0;
        for (int64_t s = 0; s < g.n; ++s)
          for (int64_t i = 0; i < P; ++i) want_b += value(dyt[static_cast<size_t>((s * g.o + oc) * P + i)]);
        worst_b = std::max(worst_b, std::abs(static_cast<double>(db[static_cast<size_t>(oc)]) - static_cast<double>(want_b)));
        for (int64_t ci = 0; ci < g.c; ++ci)
          for (int64_t ki = 0; ki < g.kh; ++ki)
            for (int64_t kj = 0; kj < g.kw; ++kj) {
              long double want = 0;
              for (int64_t s = 0; s < g.n; ++s)
                for (int64_t oy = 0; oy < g.oh; ++oy)
                  for (int64_t ox = 0; ox < g.ow; ++ox)
                    want += value(dyt[static_cast<size_t>(((s * g.o + oc) * g.oh + oy) * g.ow + ox)]) *
                            static_cast<long double>(tap(g, xd, s, ci, oy, ox, ki, kj));
              const double got = static_cast<double>(dw[static_cast<size_t>(((oc * g.c + ci) * g.kh + ki) * g.kw + kj)]);
              worst_w = std::max(worst_w, std::abs(got - static_cast<double>(want)));
            }
      }
      // float: a few units in the last place of sums of up to ~2000 terms of magnitude <= 1
      const double tol_y = std::is_same_v<T, float> ? 2e-4 : 1e-12, tol_w = std::is_same_v<T, float> ? 2e-3 : 1e-10;
      CHECK(worst_y < tol_y);
      CHECK(worst_w < tol_w);
      CHECK(worst_b < tol_w);
    }
  }
  tapegrad::set_num_threads(threads_before);
}

}  // namespace
