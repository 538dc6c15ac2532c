#pragma once
// exp, log and erf in float and double, sin and cos in double, with the bits
// of x86-64 glibc 2.36 on every platform (Note [Portable libm], Note
// [Portable sin and cos]).
//
// Note [Portable libm]: PyTorch's trunc_normal_ goes through the C library
// three times: Python's math.erf for the bounds, then calc_erfinv's log,
// erf and exp (std::erf is erf or erff by type). glibc computes these with
// the same C source everywhere, but the compiler decides where products
// fuse into fused multiply-adds: x86-64's libm builds erf/erff for the
// baseline ISA (no FMA) and exp, log, expf, logf twice, picking the -mfma
// build at run time on CPUs that have it (every x86-64 CPU PyTorch's goldens
// come from here), while aarch64's libm is compiled with contraction on
// everywhere. The last bits differ, and erfinv's Newton steps carry them into
// trunc_normal_'s output. So tapegrad evaluates the same algorithms itself,
// operation for operation as x86-64 glibc 2.36 runs them (read from its
// machine code): explicit std::fma where that build fuses, unfused()
// products (Note [No FMA contraction]) where it does not.
// - erf, erff: Sun's fdlibm s_erf.c / s_erff.c (SunPro 1993, freely
//   redistributable), in glibc's form: the double version's polynomials
//   split in Estrin-like halves (Naohiko Shimizu's rearrangement), the float
//   one by Horner; erfc's exp(-x^2) factor split as exp(-z^2 - 0.5625) *
//   exp((z - x)(z + x) + R/S) with z = x's high bits.
// - exp, log, expf, logf: Szabolcs Nagy's table-driven algorithms (ARM
//   optimized-routines, as merged into glibc 2.28+); their constants are in
//   core/libm_tables.hpp (tools/gen_libm_tables.py).
// Checked against the x86-64 libm: every float input and 5e7 doubles per
// function when written (in a -march=native build; and 5e6 per function
// built for aarch64 under qemu), 1e5 per function and type in CI
// (tests/core/libm_test.cpp, tests/reference/libm.txt).
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "dtype.hpp"
#include "libm_tables.hpp"

namespace tapegrad::detail::libm {

namespace impl {
inline double dbl(uint64_t bits) { return std::bit_cast<double>(bits); }
inline uint64_t bits(double x) { return std::bit_cast<uint64_t>(x); }
inline float flt(uint32_t b) { return std::bit_cast<float>(b); }
inline uint32_t bits(float x) { return std::bit_cast<uint32_t>(x); }
// a product rounded on its own, never fused with the sum it feeds
template <class F>
F mul(F a, F b) {
  return tapegrad::detail::unfused(a * b);
}
}  // namespace impl

/// e^x in double as glibc 2.36's exp (its FMA build).
inline double exp(double x) {
  using namespace impl;
  namespace t = tables;
  const double inv_ln2_n = dbl(t::exp_consts[0]), neg_ln2_hi_n = dbl(t::exp_consts[1]),
               neg_ln2_lo_n = dbl(t::exp_consts[2]), c2 = dbl(t::exp_consts[3]), c3 = dbl(t::exp_consts[4]),
               c4 = dbl(t::exp_consts[5]), c5 = dbl(t::exp_consts[6]), shift = dbl(t::exp_consts[7]);
  uint32_t abstop = static_cast<uint32_t>(bits(x) >> 52) & 0x7ff;
  constexpr uint32_t top_tiny = 0x3c9, top_512 = 0x408, top_1024 = 0x409;  // 2^-54, 512, 1024
  if (abstop - top_tiny >= top_512 - top_tiny) {
    if (abstop - top_tiny >= 0x80000000U) return 1.0 + x;  // |x| < 2^-54
    if (abstop >= top_1024) {
      if (bits(x) == bits(-std::numeric_limits<double>::infinity())) return 0.0;
      if (abstop >= 0x7ff) return 1.0 + x;  // inf, nan
      return (bits(x) >> 63) != 0 ? 0.0 : std::numeric_limits<double>::infinity();
    }
    abstop = 0;  // 512 <= |x| < 1024: the scale may over- or underflow below
  }
  // x = k ln2/N + r, |r| <= ln2/2N; e^x = 2^(k/N) e^r
  double kd = std::fma(x, inv_ln2_n, shift);
  const uint64_t ki = bits(kd);
  kd -= shift;
  double r = std::fma(kd, neg_ln2_hi_n, x);
  r = std::fma(kd, neg_ln2_lo_n, r);
  const uint64_t idx = 2 * (ki % 128);
  const uint64_t top = ki << 45;
  const double tail = dbl(t::exp_tab[idx]);
  uint64_t sbits = t::exp_tab[idx + 1] + top;
  const double r2 = r * r;
  double tmp = std::fma(std::fma(r, c3, c2), r2, tail + r);
  tmp = std::fma(r2 * r2, std::fma(r, c5, c4), tmp);
  if (abstop == 0) {
    if ((ki & 0x80000000U) == 0) {  // k > 0: the scale's exponent overflowed by at most 460
      sbits -= 1009ULL << 52;
      const double scale = dbl(sbits);
      return 0x1p1009 * std::fma(scale, tmp, scale);
    }
    sbits += 1022ULL << 52;  // k < 0: round once in the subnormal range
    const double scale = dbl(sbits);
    const double st = mul(scale, tmp);
    double y = scale + st;
    if (y < 1.0) {
      double lo = (scale - y) + st;
      const double hi = 1.0 + y;
      lo = ((1.0 - hi) + y) + lo;
      y = (hi + lo) - 1.0;
      if (y == 0.0) y = 0.0;  // +0, not -0
    }
    return 0x1p-1022 * y;
  }
  const double scale = dbl(sbits);
  return std::fma(scale, tmp, scale);
}

/// log(x) in double as glibc 2.36's log (its FMA build).
inline double log(double x) {
  using namespace impl;
  namespace t = tables;
  auto k_ = [](int i) { return dbl(t::log_consts[i]); };
  const double ln2_hi = k_(0), ln2_lo = k_(1);
  uint64_t ix = bits(x);
  const auto top = static_cast<uint32_t>(ix >> 48);
  constexpr uint64_t lo_bound = 0x3fee000000000000ULL;  // 1 - 2^-4
  constexpr uint64_t hi_bound = 0x3ff1090000000000ULL;  // 1 + 0x1.09p-4
  if (ix - lo_bound < hi_bound - lo_bound) {
    if (ix == bits(1.0)) return 0.0;
    // B[0..10] = k_(7..17)
    const double r = x - 1.0;
    const double r2 = r * r, r3 = r * r2;
    const double p1 = std::fma(r2, k_(10), std::fma(r, k_(9), k_(8)));
    const double p2 = std::fma(r2, k_(13), std::fma(r, k_(12), k_(11)));
    const double p3 = std::fma(r3, k_(17), std::fma(r2, k_(16), std::fma(r, k_(15), k_(14))));
    const double poly = std::fma(std::fma(p3, r3, p2), r3, p1);
    // hi + lo = r - r^2/2 exactly, r split in 26-bit halves
    const double rhi = std::fma(-0x1p27, r, std::fma(r, 0x1p27, r));
    const double rlo = r - rhi;
    const double w = mul(rhi, rhi);
    const double hi = std::fma(w, k_(7), r);
    double lo = std::fma(w, k_(7), r - hi);
    lo = std::fma(mul(k_(7), rlo), rhi + r, lo);
    return hi + std::fma(poly, r3, lo);
  }
  if (top - 0x0010 >= 0x7ff0 - 0x0010) {
    if (ix * 2 == 0) return -std::numeric_limits<double>::infinity();
    if (ix == bits(std::numeric_limits<double>::infinity())) return x;
    if ((top & 0x8000) != 0 || (top & 0x7ff0) == 0x7ff0) return std::numeric_limits<double>::quiet_NaN();
    ix = bits(x * 0x1p52);  // subnormal: normalise
    ix -= 52ULL << 52;
  }
  // x = 2^k z, z in [0x1.6p-1, 0x1.6p0); log(x) = log1p(z/c - 1) + log(c) + k ln2
  constexpr uint64_t off = 0x3fe6000000000000ULL;
  const uint64_t tmp = ix - off;
  const auto i = static_cast<int>((tmp >> 45) % 128);
  const auto k = static_cast<int>(static_cast<int64_t>(tmp) >> 52);
  const uint64_t iz = ix - (tmp & (0xfffULL << 52));
  const double invc = dbl(t::log_tab[2 * i]), logc = dbl(t::log_tab[2 * i + 1]);
  const double z = dbl(iz);
  const double r = std::fma(z, invc, -1.0);
  const auto kd = static_cast<double>(k);
  const double w = std::fma(kd, ln2_hi, logc);
  const double hi = r + w;
  const double lo = std::fma(kd, ln2_lo, (w - hi) + r);
  const double r2 = r * r;
  const double a21 = std::fma(r, k_(4), k_(3));
  const double a43 = std::fma(r, k_(6), k_(5));
  const double y = std::fma(r * r2, std::fma(a43, r2, a21), std::fma(r2, k_(2), lo));
  return y + hi;
}

/// e^x in float as glibc 2.36's expf (its FMA build).
inline float exp(float x) {
  using namespace impl;
  namespace t = tables;
  const double inv_ln2_n = dbl(t::expf_consts[0]), c0 = dbl(t::expf_consts[1]), c1 = dbl(t::expf_consts[2]),
               c2 = dbl(t::expf_consts[3]), shift = dbl(t::expf_consts[4]);
  const double xd = x;
  const uint32_t abstop = (bits(x) >> 20) & 0x7ff;
  if (abstop >= 0x42b) {  // |x| >= 88 or nan
    if (bits(x) == bits(-std::numeric_limits<float>::infinity())) return 0.0f;
    if (abstop >= 0x7f8) return x + x;
    if (x > 0x1.62e42ep6f) return std::numeric_limits<float>::infinity();
    if (x < -0x1.9fe368p6f) return 0.0f;
  }
  double kd = std::fma(inv_ln2_n, xd, shift);
  const uint64_t ki = bits(kd);
  kd -= shift;
  const double r = std::fma(inv_ln2_n, xd, -kd);
  const uint64_t tb = t::expf_tab[ki % 32] + (ki << 47);
  const double s = dbl(tb);
  const double z = std::fma(r, c0, c1);
  const double r2 = r * r;
  const double y = std::fma(z, r2, std::fma(r, c2, 1.0));
  return static_cast<float>(y * s);
}

/// log(x) in float as glibc 2.36's logf (its FMA build).
inline float log(float x) {
  using namespace impl;
  namespace t = tables;
  const double ln2 = dbl(t::logf_consts[0]), a0 = dbl(t::logf_consts[1]), a1 = dbl(t::logf_consts[2]),
               a2 = dbl(t::logf_consts[3]);
  uint32_t ix = bits(x);
  if (ix == 0x3f800000U) return 0.0f;
  if (ix - 0x00800000U >= 0x7f800000U - 0x00800000U) {
    if (ix * 2 == 0) return -std::numeric_limits<float>::infinity();
    if (ix == 0x7f800000U) return x;
    if ((ix & 0x80000000U) != 0 || ix * 2 >= 0xff000000U) return std::numeric_limits<float>::quiet_NaN();
    ix = bits(x * 0x1p23f);  // subnormal: normalise
    ix -= 23U << 23;
  }
  const uint32_t tmp = ix - 0x3f330000U;
  const auto i = static_cast<int>((tmp >> 19) % 16);
  const int k = static_cast<int32_t>(tmp) >> 23;
  const uint32_t iz = ix - (tmp & 0xff800000U);
  const double invc = dbl(t::logf_tab[2 * i]), logc = dbl(t::logf_tab[2 * i + 1]);
  const double z = flt(iz);
  const double r = std::fma(z, invc, -1.0);
  const double y0 = std::fma(static_cast<double>(k), ln2, logc);
  const double r2 = r * r;
  const double y = std::fma(r2, a0, std::fma(r, a1, a2));
  return static_cast<float>(std::fma(r2, y, r + y0));
}

/// erf(x) in double as glibc 2.36's erf (fdlibm's, no FMA).
inline double erf(double x) {
  using namespace impl;
  constexpr double erx = 8.45062911510467529297e-01;
  constexpr double efx = 1.28379167095512586316e-01;
  constexpr double pp[] = {1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02,
                           -5.77027029648944159157e-03, -2.37630166566501626084e-05};
  constexpr double qq[] = {0.0, 3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03,
                           1.32494738004321644526e-04, -3.96022827877536812320e-06};
  constexpr double pa[] = {-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01,
                           3.18346619901161753674e-01,  -1.10894694282396677476e-01, 3.54783043256182359371e-02,
                           -2.16637559486879084300e-03};
  constexpr double qa[] = {0.0, 1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02,
                           1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02};
  constexpr double ra[] = {-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e+01,
                           -6.23753324503260060396e+01, -1.62396669462573470355e+02, -1.84605092906711035994e+02,
                           -8.12874355063065934246e+01, -9.81432934416914548592e+00};
  constexpr double sa[] = {0.0,
                           1.96512716674392571292e+01,
                           1.37657754143519042600e+02,
                           4.34565877475229228821e+02,
                           6.45387271733267880336e+02,
                           4.29008140027567833386e+02,
                           1.08635005541779435134e+02,
                           6.57024977031928170135e+00,
                           -6.04244152148580987438e-02};
  constexpr double rb[] = {-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e+01,
                           -1.60636384855821916062e+02, -6.37566443368389627722e+02, -1.02509513161107724954e+03,
                           -4.83519191608651397019e+02};
  constexpr double sb[] = {0.0,
                           3.03380607434824582924e+01,
                           3.25792512996573918826e+02,
                           1.53672958608443695994e+03,
                           3.19985821950859553908e+03,
                           2.55305040643316442583e+03,
                           4.74528541206955367215e+02,
                           -2.24409524465858183362e+01};
  // a + s b, the product rounded first, as the no-FMA build
  auto lin = [](double a, double s, double b) { return a + mul(s, b); };
  const auto hx = static_cast<int32_t>(bits(x) >> 32);
  const int32_t ix = hx & 0x7fffffff;
  if (ix >= 0x7ff00000) return (hx < 0 ? -1.0 : 1.0) + 1.0 / x;  // nan, +-1 for +-inf
  if (ix < 0x3feb0000) {  // |x| < 0.84375
    if (ix < 0x3e300000) {  // |x| < 2^-28
      if (ix < 0x00800000) return 0.0625 * lin(16.0 * x, 16.0 * efx, x);
      return lin(x, efx, x);
    }
    const double z = mul(x, x);
    const double r1 = lin(pp[0], z, pp[1]), z2 = mul(z, z);
    const double r2 = lin(pp[2], z, pp[3]), z4 = mul(z2, z2);
    const double s1 = lin(1.0, z, qq[1]), s2 = lin(qq[2], z, qq[3]), s3 = lin(qq[4], z, qq[5]);
    const double r = lin(lin(r1, z2, r2), z4, pp[4]);
    const double s = lin(lin(s1, z2, s2), z4, s3);
    return lin(x, x, r / s);
  }
  if (ix < 0x3ff40000) {  // 0.84375 <= |x| < 1.25
    const double s = std::fabs(x) - 1.0;
    const double s2 = mul(s, s), s4 = mul(s2, s2), s6 = mul(s4, s2);
    const double p = lin(lin(lin(lin(pa[0], s, pa[1]), s2, lin(pa[2], s, pa[3])), s4, lin(pa[4], s, pa[5])), s6, pa[6]);
    const double q = lin(lin(lin(lin(1.0, s, qa[1]), s2, lin(qa[2], s, qa[3])), s4, lin(qa[4], s, qa[5])), s6, qa[6]);
    return hx >= 0 ? erx + p / q : -erx - p / q;
  }
  if (ix >= 0x40180000) return hx >= 0 ? 1.0 - 1e-300 : 1e-300 - 1.0;  // |x| >= 6
  x = std::fabs(x);
  const double s = 1.0 / mul(x, x);
  const double s2 = mul(s, s), s4 = mul(s2, s2), s6 = mul(s4, s2);
  double big_r, big_s;
  if (ix < 0x4006db6e) {  // |x| < 1/0.35
    const double s8 = mul(s4, s4);
    big_r = lin(lin(lin(lin(ra[0], s, ra[1]), s2, lin(ra[2], s, ra[3])), s4, lin(ra[4], s, ra[5])), s6,
                lin(ra[6], s, ra[7]));
    big_s = lin(lin(lin(lin(lin(1.0, s, sa[1]), s2, lin(sa[2], s, sa[3])), s4, lin(sa[4], s, sa[5])), s6,
                    lin(sa[6], s, sa[7])),
                s8, sa[8]);
  } else {
    big_r = lin(lin(lin(lin(rb[0], s, rb[1]), s2, lin(rb[2], s, rb[3])), s4, lin(rb[4], s, rb[5])), s6, rb[6]);
    big_s = lin(lin(lin(lin(1.0, s, sb[1]), s2, lin(sb[2], s, sb[3])), s4, lin(sb[4], s, sb[5])), s6,
                lin(sb[6], s, sb[7]));
  }
  const double z = dbl(bits(x) & 0xffffffff00000000ULL);
  const double r = mul(libm::exp(mul(-z, z) - 0.5625), libm::exp(lin(big_r / big_s, z - x, z + x)));
  return hx >= 0 ? 1.0 - r / x : r / x - 1.0;
}

/// erf(x) in float as glibc 2.36's erff (fdlibm's, no FMA).
inline float erf(float x) {
  using namespace impl;
  constexpr float erx = 8.4506291151e-01f, efx = 1.2837916613e-01f;
  constexpr float pp[] = {1.2837916613e-01f, -3.2504209876e-01f, -2.8481749818e-02f, -5.7702702470e-03f,
                          -2.3763017452e-05f};
  constexpr float qq[] = {1.0f, 3.9791721106e-01f, 6.5022252500e-02f, 5.0813062117e-03f, 1.3249473704e-04f,
                          -3.9602282413e-06f};
  constexpr float pa[] = {-2.3621185683e-03f, 4.1485610604e-01f, -3.7220788002e-01f, 3.1834661961e-01f,
                          -1.1089469492e-01f, 3.5478305072e-02f,  -2.1663755178e-03f};
  constexpr float qa[] = {1.0f, 1.0642088205e-01f, 5.4039794207e-01f, 7.1828655899e-02f,
                          1.2617121637e-01f, 1.3637083583e-02f, 1.1984500103e-02f};
  constexpr float ra[] = {-9.8649440333e-03f, -6.9385856390e-01f, -1.0558626175e+01f, -6.2375331879e+01f,
                          -1.6239666748e+02f, -1.8460508728e+02f, -8.1287437439e+01f, -9.8143291473e+00f};
  constexpr float sa[] = {1.0f,
                          1.9651271820e+01f,
                          1.3765776062e+02f,
                          4.3456588745e+02f,
                          6.4538726807e+02f,
                          4.2900814819e+02f,
                          1.0863500214e+02f,
                          6.5702495575e+00f,
                          -6.0424413532e-02f};
  constexpr float rb[] = {-9.8649431020e-03f, -7.9928326607e-01f, -1.7757955551e+01f, -1.6063638306e+02f,
                          -6.3756646729e+02f, -1.0250950928e+03f, -4.8351919556e+02f};
  constexpr float sb[] = {1.0f,
                          3.0338060379e+01f,
                          3.2579251099e+02f,
                          1.5367296143e+03f,
                          3.1998581543e+03f,
                          2.5530502930e+03f,
                          4.7452853394e+02f,
                          -2.2440952301e+01f};
  // c[0] + s (c[1] + s (... + s c[n-1])), each product rounded first
  auto horner = [](float s, const float* c, int n) {
    float acc = c[n - 1];
    for (int i = n - 2; i >= 0; --i) acc = c[i] + mul(s, acc);
    return acc;
  };
  const auto hx = static_cast<int32_t>(bits(x));
  const int32_t ix = hx & 0x7fffffff;
  if (ix >= 0x7f800000) return (hx < 0 ? -1.0f : 1.0f) + 1.0f / x;  // nan, +-1 for +-inf
  if (ix < 0x3f580000) {  // |x| < 0.84375
    if (ix < 0x31800000) {  // |x| < 2^-28
      if (ix < 0x04000000) return 0.0625f * (16.0f * x + mul(16.0f * efx, x));
      return x + mul(efx, x);
    }
    const float z = mul(x, x);
    return x + mul(x, horner(z, pp, 5) / horner(z, qq, 6));
  }
  if (ix < 0x3fa00000) {  // 0.84375 <= |x| < 1.25
    const float s = std::fabs(x) - 1.0f;
    const float pq = horner(s, pa, 7) / horner(s, qa, 7);
    return hx >= 0 ? erx + pq : -erx - pq;
  }
  if (ix >= 0x40c00000) return hx >= 0 ? 1.0f - 1e-30f : 1e-30f - 1.0f;  // |x| >= 6
  x = std::fabs(x);
  const float s = 1.0f / mul(x, x);
  float big_r, big_s;
  if (ix < 0x4036db6e) {  // |x| < 1/0.35
    big_r = horner(s, ra, 8);
    big_s = horner(s, sa, 9);
  } else {
    big_r = horner(s, rb, 7);
    big_s = horner(s, sb, 8);
  }
  const float z = flt(bits(x) & 0xfffff000U);
  const float r = mul(libm::exp(mul(-z, z) - 0.5625f), libm::exp(mul(z - x, z + x) + big_r / big_s));
  return hx >= 0 ? 1.0f - r / x : r / x - 1.0f;
}

// ---- Note [Portable sin and cos] ----------------------------------------------------
// PyTorch's Box-Muller in double (normal_distribution<double>, which also
// serves float tensors below 16 elements or non-contiguous, and
// normal_fill_16 for double tensors) calls std::sin and std::cos on
// theta = 2 pi u, u in [0, 1). x86-64 glibc 2.36 picks __sin_fma/__cos_fma
// at run time on CPUs with FMA: IBM's Accurate Mathematical Library
// (sysdeps/ieee754/dbl-64/s_sin.c) compiled with -mfma -mavx2. Elsewhere
// the bits are up to the compiler's contraction choices (glibc on aarch64,
// which Debian 12's happened to match on 3.5e6 inputs under qemu) or to
// other algorithms (other C libraries and versions).
// tapegrad evaluates the algorithm itself, operation for operation as the
// x86-64 FMA build runs it (read from its machine code: std::fma where it
// fuses, and every other product feeds only a multiplication or an fma):
// - |x| < 0.855469: sin by a Taylor polynomial below 0.126, else from the
//   table of sin and cos at i/128 (tables::sincos_tab, read out of libm by
//   tools/gen_libm_tables.py) and short polynomials for the remainder;
//   cos from the table.
// - 0.855469 <= |x| < 2.426265: sin(x) = cos(pi/2 - |x|) and vice versa,
//   pi/2 in two doubles.
// - 2.426265 <= |x| < 105414350: x - n pi/2 in a double-double (pi/2 in
//   four parts), then the quadrant's sin or cos as above.
// - larger finite |x|: glibc reduces with a multi-precision table
//   (__branred), which tapegrad does not reproduce: there these fall back
//   to the C library's sin and cos (no portable bits). The generator's
//   arguments are below 2 pi.
// Checked against the x86-64 libm when written (sin and cos of each input):
// 5e8 generator arguments 2 pi k 2^-53 (k uniform, and 1e8 of them with k
// log-uniform), 7.7e7 consecutive ones and neighbouring doubles around the
// branch points and multiples of pi/4, 2e8 random doubles of magnitude up
// to 105414350 and 1e8 raw bit patterns below it (with infinities and NaNs),
// no bit different; also built with -ffp-contract=fast and without -mfma
// (2e7 each), and for aarch64 under qemu against the same values. In CI:
// tests/core/libm_test.cpp (1e5 inputs each, also under qemu-aarch64) and
// tests/tensor/random_test.cpp's 1e5-draw hashes of PyTorch's randn,
// normal_ and exponential_.
namespace impl {
namespace sincos_k {
// the polynomial coefficients and splits of pi/2 of glibc's usncs.h/s_sin.c
inline constexpr double s1 = -0x1.5555555555555p-3, s2 = 0x1.1111111110ECEp-7, s3 = -0x1.A01A019DB08B8p-13,
                        s4 = 0x1.71DE27B9A7ED9p-19, s5 = -0x1.ADDFFC2FCDF59p-26;  // sin, Taylor
inline constexpr double sn3 = -0x1.5555555555515p-3, sn5 = 0x1.11110e829872fp-7;  // sin of the remainder
inline constexpr double cs2 = 0x1p-1, cs4 = -0x1.5555555555535p-5, cs6 = 0x1.6c16bedd9e239p-10;  // 1 - cos
inline constexpr double big = 0x1.8p45;  // big + |x| rounds |x| to a multiple of 1/128
inline constexpr double hp0 = 0x1.921FB54442D18p0, hp1 = 0x1.1A62633145C07p-54;  // pi/2 = hp0 + hp1
inline constexpr double mp1 = 0x1.921FB58000000p0, mp2 = -0x1.DDE973C000000p-27,
                        pp3 = -0x1.CB3B398000000p-55, pp4 = -0x1.d747f23e32ed7p-83;  // pi/2 in four parts
inline constexpr double hpinv = 0x1.45F306DC9C883p-1, toint = 0x1.8p52;          // 2/pi, round to integer
}  // namespace sincos_k

// the table's sin hi, sin lo, cos hi, cos lo at the multiple of 1/128 nearest |x| (u = big + |x|)
struct SinCosRow {
  double sn, ssn, cs, ccs;
};
inline SinCosRow sincos_row(double u) {
  const uint32_t k = 4 * static_cast<uint32_t>(bits(u));  // (u's low bits: the multiple, below 110)
  return {dbl(tables::sincos_tab[k]), dbl(tables::sincos_tab[k + 1]), dbl(tables::sincos_tab[k + 2]),
          dbl(tables::sincos_tab[k + 3])};
}

/// sin(x + dx) for |x| < 0.855469, dx a small correction (glibc's do_sin).
inline double sin_near0(double x, double dx) {
  using namespace sincos_k;
  if (std::fabs(x) < 0.126) {
    const double xx = x * x;
    const double p = std::fma(std::fma(std::fma(std::fma(s5, xx, s4), xx, s3), xx, s2), xx, s1);
    return x + std::fma(std::fma(p, x, -(0.5 * dx)), xx, dx);
  }
  if (x <= 0) dx = -dx;
  const double u = big + std::fabs(x);
  const double r = std::fabs(x) - (u - big);
  const double rr = r * r;
  const double s = r + std::fma(r * rr, std::fma(rr, sn5, sn3), dx);
  const double c = std::fma(r, dx, rr * std::fma(rr, std::fma(rr, cs6, cs4), cs2));
  const SinCosRow t = sincos_row(u);
  const double cor = std::fma(t.cs, s, std::fma(-t.sn, c, std::fma(s, t.ccs, t.ssn)));
  return std::copysign(t.sn + cor, x);
}

/// cos(x + dx) for |x| < 0.855469 (glibc's do_cos).
inline double cos_near0(double x, double dx) {
  using namespace sincos_k;
  if (x < 0) dx = -dx;
  const double u = big + std::fabs(x);
  const double r = std::fabs(x) - (u - big) + dx;
  const double rr = r * r;
  const double s = std::fma(r * rr, std::fma(rr, sn5, sn3), r);
  const double c = rr * std::fma(rr, std::fma(rr, cs6, cs4), cs2);
  const SinCosRow t = sincos_row(u);
  const double cor = std::fma(-t.sn, s, std::fma(-t.cs, c, std::fma(-s, t.ssn, t.ccs)));
  return t.cs + cor;
}

/// sin(x) if q is even, cos(x) if odd, for 2.426265 <= |x| < 105414350: x
/// reduced to a + da = x - n pi/2 (glibc's reduce_sincos and do_sincos).
inline double sincos_reduced(double x, unsigned q) {
  using namespace sincos_k;
  const double t = std::fma(x, hpinv, toint);
  const double xn = t - toint;
  q += static_cast<unsigned>(bits(t));
  const double y = std::fma(-xn, mp2, std::fma(-xn, mp1, x));
  // (the error terms fuse too, as the FMA build computes them)
  const double t2 = std::fma(-xn, pp3, y);
  double da = std::fma(-xn, pp3, y - t2);
  const double a = std::fma(-xn, pp4, t2);
  da += std::fma(-xn, pp4, t2 - a);
  const double v = (q & 1) != 0 ? cos_near0(a, da) : sin_near0(a, da);
  return (q & 2) != 0 ? -v : v;
}

inline uint32_t sincos_top(double x) { return static_cast<uint32_t>(bits(x) >> 32) & 0x7fffffffU; }
}  // namespace impl

/// sin(x) in double as x86-64 glibc 2.36's sin (its FMA build) for
/// |x| < 105414350 and non-finite x; the C library's beyond (Note [Portable sin and cos]).
inline double sin(double x) {
  using namespace impl;
  const uint32_t k = sincos_top(x);
  if (k < 0x3e500000) return x;                   // |x| < 2^-26
  if (k < 0x3feb6000) return sin_near0(x, 0.0);  // |x| < 0.855469
  if (k < 0x400368fd)                             // |x| < 2.426265
    return std::copysign(cos_near0(sincos_k::hp0 - std::fabs(x), sincos_k::hp1), x);
  if (k < 0x419921fb) return sincos_reduced(x, 0);  // |x| < 105414350
  if (k < 0x7ff00000) return std::sin(x);
  return x / x;  // inf, nan
}

/// cos(x) in double as x86-64 glibc 2.36's cos (its FMA build) for
/// |x| < 105414350 and non-finite x; the C library's beyond (Note [Portable sin and cos]).
inline double cos(double x) {
  using namespace impl;
  const uint32_t k = sincos_top(x);
  if (k < 0x3e400000) return 1.0;                 // |x| < 2^-27
  if (k < 0x3feb6000) return cos_near0(x, 0.0);  // |x| < 0.855469
  if (k < 0x400368fd) {                           // |x| < 2.426265
    const double y = sincos_k::hp0 - std::fabs(x);
    const double a = y + sincos_k::hp1;
    return sin_near0(a, (y - a) + sincos_k::hp1);
  }
  if (k < 0x419921fb) return sincos_reduced(x, 1);  // |x| < 105414350
  if (k < 0x7ff00000) return std::cos(x);
  return x / x;  // inf, nan
}

}  // namespace tapegrad::detail::libm
