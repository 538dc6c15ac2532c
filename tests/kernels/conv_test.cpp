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

/// The largest differences of conv2d_forward (y), conv2d_backward_weight (dweight, dbias) and
/// conv2d_backward_input (dx) on g from the definition summed in long double.
struct Worst {
  double y = 0, w = 0, b = 0, x = 0;
};
template <class T>
Worst worst_differences(const kn::ConvGeometry& g) {
  const int64_t K = g.patch(), P = g.out_plane(), cg = g.cg(), og = g.og();
  const auto as_t = [](const std::vector<double>& v) { return std::vector<T>(v.begin(), v.end()); };
  const auto xt = as_t(random_values(g.n * g.c * g.h * g.w, 1)), wt = as_t(random_values(g.o * K, 2)),
             bt = as_t(random_values(g.o, 3)), dyt = as_t(random_values(g.n * g.o * P, 4));
  const auto xd = as_double(xt);
  std::vector<T> y(static_cast<size_t>(g.n * g.o * P)), dw(static_cast<size_t>(g.o * K)), db(static_cast<size_t>(g.o)),
      dx(static_cast<size_t>(g.n * g.c * g.h * g.w), T(7));
  std::vector<T> work(static_cast<size_t>(std::max(kn::conv2d_workspace(g), kn::conv2d_weight_workspace(g))));
  kn::conv2d_forward<T>(g, xt.data(), wt.data(), bt.data(), y.data(), work.data());
  kn::conv2d_backward_weight<T>(g, xt.data(), dyt.data(), dw.data(), db.data(), work.data());
  kn::conv2d_backward_input<T>(g, dyt.data(), wt.data(), dx.data(), work.data());
  // the inputs are T's values, so the definition in long double is exact up to the sum's rounding
  const auto value = [](T v) { return static_cast<long double>(v); };
  std::vector<long double> want_w(static_cast<size_t>(g.o * K)), want_x(dx.size()), want_b(static_cast<size_t>(g.o));
  Worst worst;
  for (int64_t s = 0; s < g.n; ++s)
    for (int64_t oc = 0; oc < g.o; ++oc) {
      const int64_t c0 = oc / og * cg;  // the group's first input channel
      for (int64_t oy = 0; oy < g.oh; ++oy)
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          const size_t at = static_cast<size_t>(((s * g.o + oc) * g.oh + oy) * g.ow + ox);
          const long double d = value(dyt[at]);
          long double want = value(bt[static_cast<size_t>(oc)]);
          want_b[static_cast<size_t>(oc)] += d;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t ki = 0; ki < g.kh; ++ki)
              for (int64_t kj = 0; kj < g.kw; ++kj) {
                const size_t wi = static_cast<size_t>(((oc * cg + ci) * g.kh + ki) * g.kw + kj);
                const long double xv = tap(g, xd, s, c0 + ci, oy, ox, ki, kj);
                want += value(wt[wi]) * xv;
                want_w[wi] += d * xv;
                const int64_t iy = oy * g.sh - g.pt + ki * g.dh, ix = ox * g.sw - g.pl + kj * g.dw;
                if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w)
                  want_x[static_cast<size_t>(((s * g.c + c0 + ci) * g.h + iy) * g.w + ix)] += d * value(wt[wi]);
              }
          worst.y = std::max(worst.y, std::abs(static_cast<double>(y[at]) - static_cast<double>(want)));
        }
    }
  for (size_t i = 0; i < dw.size(); ++i)
    worst.w = std::max(worst.w, std::abs(static_cast<double>(dw[i]) - static_cast<double>(want_w[i])));
  for (size_t i = 0; i < db.size(); ++i)
    worst.b = std::max(worst.b, std::abs(static_cast<double>(db[i]) - static_cast<double>(want_b[i])));
  for (size_t i = 0; i < dx.size(); ++i)
    worst.x = std::max(worst.x, std::abs(static_cast<double>(dx[i]) - static_cast<double>(want_x[i])));
  return worst;
}

/// Checks the three passes on g against the definition. Float: a few units in
/// the last place of sums of up to ~3000 terms of magnitude <= 1.
template <class T>
void check_against_definition(const kn::ConvGeometry& g) {
  const Worst worst = worst_differences<T>(g);
  const double tol_y = std::is_same_v<T, float> ? 2e-4 : 1e-12, tol_w = std::is_same_v<T, float> ? 2e-3 : 1e-10;
  CHECK(worst.y < tol_y);
  CHECK(worst.w < tol_w);
  CHECK(worst.b < tol_w);
  CHECK(worst.x < tol_y);
}

struct Case {
  int64_t n, c, h, w, o, kh, kw, sh, pt, pl, dh, dw, groups = 1, sw = 1;
  kn::ConvGeometry geometry() const {
    kn::ConvGeometry g{};
    g.n = n, g.c = c, g.h = h, g.w = w, g.o = o, g.kh = kh, g.kw = kw, g.sh = sh, g.sw = sw, g.pt = pt, g.pl = pl,
    g.dh = dh, g.dw = dw, g.groups = groups;
    g.oh = (g.h + 2 * g.pt - g.dh * (g.kh - 1) - 1) / g.sh + 1;
    g.ow = (g.w + 2 * g.pl - g.dw * (g.kw - 1) - 1) / g.sw + 1;
    return g;
  }
};

TEST_CASE_TEMPLATE("conv2d_forward, conv2d_backward_weight: the direct kernels match the definition", T, float,
                   double) {
  kn::ConvGeometry grouped{};
  grouped.n = 1, grouped.c = 2, grouped.h = grouped.w = 8, grouped.o = 4, grouped.kh = grouped.kw = 3,
  grouped.groups = 2, grouped.oh = grouped.ow = 6;
  CHECK(!kn::detail::conv_direct(grouped));  // groups: the GEMM
  const Case cases[] = {
      {3, 1, 28, 28, 6, 5, 5, 1, 2, 2, 1, 1},    // LeNet's first layer (25 taps)
      {2, 1, 28, 28, 32, 3, 3, 1, 0, 0, 1, 1},   // PyTorch's example's first layer (9 taps)
      {2, 2, 28, 28, 32, 3, 3, 1, 0, 0, 1, 1},   // 32 output channels, 18 taps
      {2, 3, 11, 19, 9, 3, 2, 2, 1, 0, 2, 3},    // row stride, dilation, odd sizes, 9 channels
      {1, 3, 9, 13, 5, 2, 3, 1, 0, 1, 1, 1},     // rows narrower than a vector
      {2, 1, 6, 40, 7, 1, 1, 3, 0, 0, 1, 1},     // one tap, 7 channels, row stride 3
      {2, 6, 14, 14, 16, 5, 5, 1, 0, 0, 1, 1},   // LeNet's second layer (150 taps: forward only)
      {1, 5, 12, 37, 13, 2, 5, 2, 1, 3, 2, 2},   // 50 taps, 13 channels, odd width
      // rows of 5 and 10 pixels, whose vectors of the whole plane are fewer
      // (DirectPlanes): with 16-, 8- and 4-lane vectors; with a row stride
      // (a plane per row tap); a plane of 12 pixels
      {1, 2, 12, 7, 6, 3, 3, 1, 0, 0, 1, 1},
      {2, 2, 17, 12, 5, 3, 3, 2, 0, 0, 1, 1},
      {2, 2, 4, 5, 3, 2, 2, 1, 0, 0, 1, 1},
  };
  const int64_t lanes = kn::detail::DirectVec<T>::lanes;
  int planes = 0;
  const int threads_before = tapegrad::get_num_threads();
  for (const int threads : {1, 2}) {
    tapegrad::set_num_threads(threads);
    for (const auto& c : cases) {
      const kn::ConvGeometry g = c.geometry();
      planes += kn::detail::direct_planes(g, lanes) ? 1 : 0;
      CAPTURE(g.c);
      CAPTURE(g.o);
      CAPTURE(g.kh);
      CAPTURE(g.ow);
      CAPTURE(threads);
      REQUIRE(kn::detail::conv_direct(g));
      CHECK(kn::detail::conv_direct_weight(g) == (g.patch() <= kn::kDirectMaxWeightPatch));
      check_against_definition<T>(g);
    }
  }
  tapegrad::set_num_threads(threads_before);
  // both layouts of the forward kernel were run (two-lane vectors: rows only)
  if (lanes > 2) CHECK(planes > 0);
  CHECK(planes < 2 * static_cast<int>(std::size(cases)));
}

TEST_CASE_TEMPLATE("conv2d_forward, conv2d_backward_input, conv2d_backward_weight: the implicit GEMM and row blocks "
                   "match the definition", T, float, double) {
  // Note [Implicit GEMM] (forward) and Note [Row blocks] (backward-weight):
  // unfolded samples of at least kImplicitMinColumns elements, too many taps
  // for the direct kernels; the first two larger than kConvColumnBudget
  const Case cases[] = {
      // 216 taps, 13 output channels (a row panel and an edge), 33-wide rows
      // across the B panels, 1221 pixels: full and partial blocks of columns
      {2, 24, 37, 33, 13, 3, 3, 1, 1, 1, 1, 1},
      // groups, row stride 2, column stride 3, dilation 2, a 3 x 2 kernel
      {2, 16, 75, 222, 10, 3, 2, 2, 1, 0, 2, 2, 2, 3},
      // 360 taps: two K blocks; rows of 14 (within one B panel)
      {3, 40, 14, 14, 30, 3, 3, 1, 1, 1, 1, 1},
  };
  const int threads_before = tapegrad::get_num_threads();
  for (const int threads : {1, 2}) {
    tapegrad::set_num_threads(threads);
    for (const auto& c : cases) {
      const kn::ConvGeometry g = c.geometry();
      CAPTURE(g.c);
      CAPTURE(g.o);
      CAPTURE(g.groups);
      CAPTURE(g.ow);
      CAPTURE(threads);
      REQUIRE(!kn::detail::conv_direct(g));
      REQUIRE(kn::detail::conv_implicit(g));
      CHECK((kn::conv2d_row_block(g) > 0) == (g.c < 40));
      check_against_definition<T>(g);
    }
  }
  tapegrad::set_num_threads(threads_before);
}

}  // namespace
