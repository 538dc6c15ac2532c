// kernels/conv.hpp: the direct kernels of few-input-channel layers (Note
// [Direct convolution for few input channels]) against the definition of a
// convolution summed in long double, on odd sizes, padding, dilation and row
// strides, with one and two threads.
#include <doctest/doctest.h>
#include <tapegrad/kernels/conv.hpp>

#include <cmath>
#include <random>
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

/// The input element of output (s, oc, oy, ox)'s tap (ci, ki, kj), or 0 in the padding.
double tap(const kn::ConvGeometry& g, const std::vector<double>& x, int64_t s, int64_t ci, int64_t oy, int64_t ox,
           int64_t ki, int64_t kj) {
  const int64_t iy = oy * g.sh - g.pt + ki * g.dh, ix = ox * g.sw - g.pl + kj * g.dw;
  if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) return 0;
  return x[static_cast<size_t>(((s * g.c + ci) * g.h + iy) * g.w + ix)];
}

TEST_CASE("conv2d_forward, conv2d_backward_weight: the direct kernels of few-channel layers match the definition") {
  kn::ConvGeometry small{};
  small.n = 1, small.c = 1, small.h = small.w = 28, small.o = 32, small.kh = small.kw = 3, small.oh = small.ow = 26;
  CHECK(!kn::detail::conv_direct(small));  // 9 taps: the GEMM
  struct Case {
    int64_t n, c, h, w, o, kh, kw, sh, pt, pl, dh, dw;
  };
  const Case cases[] = {
      {3, 1, 28, 28, 6, 5, 5, 1, 2, 2, 1, 1},    // LeNet's first layer
      {2, 2, 28, 28, 32, 3, 3, 1, 0, 0, 1, 1},   // 32 output channels
      {2, 3, 11, 19, 9, 3, 2, 2, 1, 0, 2, 3},    // row stride, dilation, odd sizes, 9 channels
      {1, 3, 9, 13, 5, 2, 3, 1, 0, 1, 1, 1},
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
      CAPTURE(g.o);
      CAPTURE(g.ow);
      CAPTURE(threads);
      REQUIRE(kn::detail::conv_direct(g));
      const int64_t K = g.patch(), P = g.out_plane();
      const auto x = random_values(g.n * g.c * g.h * g.w, 1), w = random_values(g.o * K, 2),
                 b = random_values(g.o, 3), dy = random_values(g.n * g.o * P, 4);
      std::vector<double> y(static_cast<size_t>(g.n * g.o * P)), dw(static_cast<size_t>(g.o * K)),
          db(static_cast<size_t>(g.o));
      std::vector<double> work(static_cast<size_t>(std::max(kn::conv2d_workspace(g), kn::conv2d_weight_workspace(g))));
      kn::conv2d_forward<double>(g, x.data(), w.data(), b.data(), y.data(), work.data());
      kn::conv2d_backward_weight<double>(g, x.data(), dy.data(), dw.data(), db.data(), work.data());
      double worst_y = 0, worst_w = 0;
      for (int64_t s = 0; s < g.n; ++s)
        for (int64_t oc = 0; oc < g.o; ++oc)
          for (int64_t oy = 0; oy < g.oh; ++oy)
            for (int64_t ox = 0; ox < g.ow; ++ox) {
              long double want = b[static_cast<size_t>(oc)];
              for (int64_t ci = 0; ci < g.c; ++ci)
                for (int64_t ki = 0; ki < g.kh; ++ki)
                  for (int64_t kj = 0; kj < g.kw; ++kj)
                    want += w[static_cast<size_t>(((oc * g.c + ci) * g.kh + ki) * g.kw + kj)] *
                            tap(g, x, s, ci, oy, ox, ki, kj);
              const double got = y[static_cast<size_t>(((s * g.o + oc) * g.oh + oy) * g.ow + ox)];
              worst_y = std::max(worst_y, std::abs(got - static_cast<double>(want)));
            }
      for (int64_t oc = 0; oc < g.o; ++oc)
        for (int64_t ci = 0; ci < g.c; ++ci)
          for (int64_t ki = 0; ki < g.kh; ++ki)
            for (int64_t kj = 0; kj < g.kw; ++kj) {
              long double want = 0;
              for (int64_t s = 0; s < g.n; ++s)
                for (int64_t oy = 0; oy < g.oh; ++oy)
                  for (int64_t ox = 0; ox < g.ow; ++ox)
                    want += dy[static_cast<size_t>(((s * g.o + oc) * g.oh + oy) * g.ow + ox)] *
                            tap(g, x, s, ci, oy, ox, ki, kj);
              const double got = dw[static_cast<size_t>(((oc * g.c + ci) * g.kh + ki) * g.kw + kj)];
              worst_w = std::max(worst_w, std::abs(got - static_cast<double>(want)));
            }
      CHECK(worst_y < 1e-12);
      CHECK(worst_w < 1e-11);
    }
  }
  tapegrad::set_num_threads(threads_before);
}

}  // namespace
