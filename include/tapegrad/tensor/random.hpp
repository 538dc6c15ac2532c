#pragma once
// The sampling kernels behind rand/randn/normal_/uniform_/bernoulli_/
// exponential_: raw loops over one Generator::Draws, PyTorch 1.13's CPU
// arithmetic reproduced operation for operation (Note [PyTorch's random
// numbers], core/generator.hpp).
//
// Note [PyTorch's AVX2 normal path]: PyTorch fills a contiguous float tensor
// of 16 or more elements with uniforms and then turns each block of 16 into
// normals by Box-Muller, 8 pairs at a time, with its AVX2 kernel: a Cephes
// log and sincos in float (avx_mathfun), compiled by GCC with -mfma, which
// fuses each product that only feeds an addition into a fused multiply-add.
// The bits depend on exactly which pairs fuse. Debian's torch on x86-64 runs
// this path, so tapegrad reproduces it on every platform: the same Cephes
// steps in scalar float, a fused multiply-add (fma32) where the AVX2 build fuses and plain
// products where it does not (products the kernel computes exactly, such as
// e * 0.693359375, are written unfused; fusing them changes nothing). An
// incomplete last block is redrawn: 16 fresh uniforms for the last 16
// elements, overwriting normals already written, as PyTorch does.
//
// The double draws (normal_distribution<double> for small or non-contiguous
// tensors of either type, the 16-blocks of double tensors, exponential_ and
// so multinomial without replacement) go through the C library's log, sin
// and cos in PyTorch; tapegrad uses its own with x86-64 glibc's bits (Note
// [Portable libm], Note [Portable sin and cos] in core/libm.hpp), so these
// too are the same on every platform. (sqrt is correctly rounded everywhere.)
#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>

#include "../core/dtype.hpp"
#include "../core/generator.hpp"
#include "../core/libm.hpp"

namespace tapegrad::detail::rng {

/// Fused a * b + c in float, one rounding: the FMA instruction where the
/// target has one; elsewhere (x86-64 without -mfma, where std::fma is a
/// library call) from the exact double product, the sum rounded to odd and
/// then to float, which rounds once correctly since double carries more than
/// 24 + 2 bits.
inline float fma32(float a, float b, float c) {
#if defined(__FMA__) || defined(__aarch64__) || defined(__ARM_FEATURE_FMA) || !defined(__x86_64__)
  return std::fma(a, b, c);
#else
  const double p = static_cast<double>(a) * static_cast<double>(b);  // exact: 48 bits
  const double cd = c, s = p + cd;
  const double bb = s - p, err = (p - (s - bb)) + (cd - bb);  // s + err == p + c exactly
  auto bits = std::bit_cast<uint64_t>(s);
  if (err != 0 && (bits & 1) == 0) bits = (err > 0) == (s > 0) ? bits + 1 : bits - 1;
  return static_cast<float>(std::bit_cast<double>(bits));
#endif
}

/// PyTorch's uniform_real_distribution: from + x (to - from) with the
/// product fused into the sum, as the AVX2 build compiles it.
inline float uniform(Generator::Draws& d, float from, float to) {
  return fma32(d.uniform_float(), to - from, from);
}
inline double uniform(Generator::Draws& d, double from, double to) {
  return std::fma(d.uniform_double(), to - from, from);
}

/// PyTorch's normal_distribution<double>: the cached second sample of the
/// last pair if there is one, else a new Box-Muller pair (caching its sine
/// half); mean + std * n fused.
inline double normal(Generator::Draws& d, double mean, double std) {
  double n;
  if (auto cached = d.take_cached_normal()) {
    n = *cached;
  } else {
    const double u1 = d.uniform_double();
    const double u2 = d.uniform_double();
    const double r = std::sqrt(-2.0 * libm::log(1.0 - u2));
    const double theta = 2.0 * std::numbers::pi * u1;
    d.cache_normal(r * libm::sin(theta));
    n = r * libm::cos(theta);
  }
  return std::fma(n, std, mean);
}

/// PyTorch's exponential_distribution<double>: -1/lambda log(1 - u).
inline double exponential(Generator::Draws& d, double lambda) {
  return -1.0 / lambda * libm::log(1.0 - d.uniform_double());
}

// ---- Note [PyTorch's AVX2 normal path] --------------------------------------------
namespace avx2 {
inline float f(double literal) { return static_cast<float>(literal); }  // a C float constant from its literal

/// avx_mathfun's log256_ps for one lane, x in [2^-24, 1] (1 - a uniform).
inline float log(float x) {
  // (the kernel's max(x, min_norm_pos) first changes nothing for x >= 2^-24;
  // left out, since as a branch it keeps the compiler from vectorising)
  uint32_t bits = std::bit_cast<uint32_t>(x);
  const auto exponent = static_cast<int32_t>(bits >> 23) - 0x7f;
  x = std::bit_cast<float>((bits & ~0x7f800000U) | 0x3f000000U);  // mantissa in [0.5, 1)
  float e = static_cast<float>(exponent) + 1.0f;
  // the kernel's comparison mask, applied with bitwise ands (branch free)
  const uint32_t small = 0U - static_cast<uint32_t>(x < f(0.707106781186547524));
  const float tmp = std::bit_cast<float>(std::bit_cast<uint32_t>(x) & small);
  x = x - 1.0f;
  e = e - std::bit_cast<float>(std::bit_cast<uint32_t>(1.0f) & small);
  x = x + tmp;
  const float z = x * x;
  float y = f(7.0376836292E-2);
  y = fma32(y, x, f(-1.1514610310E-1));
  y = fma32(y, x, f(1.1676998740E-1));
  y = fma32(y, x, f(-1.2420140846E-1));
  y = fma32(y, x, f(1.4249322787E-1));
  y = fma32(y, x, f(-1.6668057665E-1));
  y = fma32(y, x, f(2.0000714765E-1));
  y = fma32(y, x, f(-2.4999993993E-1));
  y = fma32(y, x, f(3.3333331174E-1));
  y = y * x;
  y = fma32(y, z, e * f(-2.12194440e-4));
  y = y - z * 0.5f;  // (exact product)
  x = x + y;
  return x + e * 0.693359375f;  // (exact product)
}

/// avx_mathfun's sincos256_ps for one lane, 0 <= x < 2 pi.
inline void sincos(float x, float& s, float& c) {
  const uint32_t sign_in = std::bit_cast<uint32_t>(x) & 0x80000000U;
  x = std::fabs(x);
  auto j = static_cast<int32_t>(x * f(1.27323954473516));  // x * 4/pi, truncated
  j = (j + 1) & ~1;
  const auto y = static_cast<float>(j);
  const uint32_t sign_sin = sign_in ^ (static_cast<uint32_t>(j & 4) << 29);
  const uint32_t sign_cos = static_cast<uint32_t>(~(j - 2) & 4) << 29;
  const bool sine_poly_first = (j & 2) == 0;
  x = x + y * f(-0.78515625);                  // (exact product)
  x = x + y * f(-2.4187564849853515625e-4);  // (exact product)
  x = fma32(y, f(-3.77489497744594108e-8), x);
  const float z = x * x;
  float yc = fma32(f(2.443315711809948E-005), z, f(-1.388731625493765E-003));
  yc = fma32(yc, z, f(4.166664568298827E-002));
  yc = yc * z;
  yc = fma32(yc, z, -(z * 0.5f));
  yc = yc + 1.0f;
  float ys = fma32(f(-1.9515295891E-4), z, f(8.3321608736E-3));
  ys = fma32(ys, z, f(-1.6666654611E-1));
  ys = ys * z;
  ys = fma32(ys, x, x);
  // the kernel's masked selects, including the signs of zeros they produce
  const float sin_from_s = sine_poly_first ? ys : 0.0f, sin_from_c = sine_poly_first ? 0.0f : yc;
  const float sv = sin_from_c + sin_from_s;
  const float cv = (yc - sin_from_c) + (ys - sin_from_s);
  s = std::bit_cast<float>(std::bit_cast<uint32_t>(sv) ^ sign_sin);
  c = std::bit_cast<float>(std::bit_cast<uint32_t>(cv) ^ sign_cos);
}
}  // namespace avx2

/// Box-Muller on one block of 16 uniforms: u[j], u[j + 8] -> two normals.
/// (Lane by lane in separate loops, as the AVX2 kernel runs them: loops
/// without a library call can be vectorised by the compiler; std::sqrt keeps
/// its own loop.)
inline void normal_block16(float* d, float mean, float std) {
  const float two_pi = static_cast<float>(2.0f * std::numbers::pi);
  float radius[8], s[8], c[8];
  for (int j = 0; j < 8; ++j) radius[j] = 1.0f - d[j];
  for (int j = 0; j < 8; ++j) radius[j] = -2.0f * avx2::log(radius[j]);
  for (int j = 0; j < 8; ++j) radius[j] = std::sqrt(radius[j]);
  for (int j = 0; j < 8; ++j) avx2::sincos(two_pi * d[j + 8], s[j], c[j]);
  for (int j = 0; j < 8; ++j) {
    d[j] = fma32(radius[j] * c[j], std, mean);
    d[j + 8] = fma32(radius[j] * s[j], std, mean);
  }
}
inline void normal_block16(double* d, double mean, double std) {
  for (int j = 0; j < 8; ++j) {
    const double u1 = 1 - d[j];
    const double u2 = d[j + 8];
    const double radius = std::sqrt(-2 * libm::log(u1));
    const double theta = 2.0 * std::numbers::pi * u2;
    d[j] = std::fma(radius * libm::cos(theta), std, mean);
    d[j + 8] = std::fma(radius * libm::sin(theta), std, mean);
  }
}

/// PyTorch's normal_fill: n >= 16 contiguous values (Note [PyTorch's AVX2 normal path]).
template <class T>
void normal_fill(T* data, int64_t n, double mean, double std, Generator::Draws& d) {
  const auto m = static_cast<T>(mean), s = static_cast<T>(std);
  for (int64_t i = 0; i < n; ++i) data[i] = uniform(d, T(0), T(1));
  for (int64_t i = 0; i + 16 <= n; i += 16) normal_block16(data + i, m, s);
  if (n % 16 != 0) {
    T* tail = data + n - 16;
    for (int i = 0; i < 16; ++i) tail[i] = uniform(d, T(0), T(1));
    normal_block16(tail, m, s);
  }
}

}  // namespace tapegrad::detail::rng
