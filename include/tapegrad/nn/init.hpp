#pragma once
// torch.nn.init: in-place initialisers, run under no_grad and drawn from the
// global generator (manual_seed) unless one is passed.
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <numbers>
#include <string_view>

#include "../tensor/factory.hpp"

namespace tapegrad::nn::init {

namespace detail {
template <FloatingElement T>
std::pair<int64_t, int64_t> fans(const Tensor<T>& t, const char* op) {
  TAPEGRAD_CHECK(t.dim() >= 2, ShapeError, op,
                 ": fan in and fan out can not be computed for a tensor with fewer than 2 "
                 "dimensions, got shape ", t.sizes());
  int64_t receptive = 1;
  for (int64_t d = 2; d < t.dim(); ++d) receptive *= t.sizes()[d];
  return {t.sizes()[1] * receptive, t.sizes()[0] * receptive};
}
}  // namespace detail

/// calculate_gain(nonlinearity, param): PyTorch's recommended gains.
inline double calculate_gain(std::string_view nonlinearity, double param = 0.01) {
  if (nonlinearity == "linear" || nonlinearity == "sigmoid" || nonlinearity == "identity") return 1;
  if (nonlinearity == "tanh") return 5.0 / 3;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") return std::sqrt(2.0 / (1 + param * param));
  if (nonlinearity == "selu") return 3.0 / 4;
  tapegrad::detail::throw_error<ValueError>("calculate_gain: unsupported nonlinearity '", nonlinearity, "'");
}

template <FloatingElement T>
const Tensor<T>& normal_(const Tensor<T>& t, double mean = 0, double std = 1, Generator& gen = default_generator()) {
  NoGradGuard no_grad;
  return t.normal_(mean, std, gen);
}
template <FloatingElement T>
const Tensor<T>& uniform_(const Tensor<T>& t, double a = 0, double b = 1, Generator& gen = default_generator()) {
  NoGradGuard no_grad;
  return t.uniform_(a, b, gen);
}
template <FloatingElement T>
const Tensor<T>& constant_(const Tensor<T>& t, double value) {
  NoGradGuard no_grad;
  return t.fill_(static_cast<T>(value));
}
template <FloatingElement T>
const Tensor<T>& zeros_(const Tensor<T>& t) { return constant_(t, 0); }
template <FloatingElement T>
const Tensor<T>& ones_(const Tensor<T>& t) { return constant_(t, 1); }

// Note [init bounds as PyTorch computes them]: the bounds and standard
// deviations are computed in double in the order of torch.nn.init's Python
// (std = gain / sqrt(fan), bound = sqrt(3) * std, ...), then uniform_ and
// normal_ round them to T as PyTorch's kernels do, so the same seed gives the
// same bits.

/// U(-a, a) with a = sqrt(3) * gain * sqrt(2 / (fan_in + fan_out)).
template <FloatingElement T>
const Tensor<T>& xavier_uniform_(const Tensor<T>& t, double gain = 1, Generator& gen = default_generator()) {
  auto [in, out] = detail::fans(t, "xavier_uniform_");
  const double std = gain * std::sqrt(2.0 / static_cast<double>(in + out));
  const double a = std::sqrt(3.0) * std;
  return uniform_(t, -a, a, gen);
}
/// N(0, s^2) with s = gain * sqrt(2 / (fan_in + fan_out)).
template <FloatingElement T>
const Tensor<T>& xavier_normal_(const Tensor<T>& t, double gain = 1, Generator& gen = default_generator()) {
  auto [in, out] = detail::fans(t, "xavier_normal_");
  return normal_(t, 0, gain * std::sqrt(2.0 / static_cast<double>(in + out)), gen);
}

/// Which fan kaiming_* scales by.
enum class FanMode { fan_in, fan_out };

/// U(-b, b) with b = sqrt(3) * gain(nonlinearity, a) / sqrt(fan).
template <FloatingElement T>
const Tensor<T>& kaiming_uniform_(const Tensor<T>& t, double a = 0, FanMode mode = FanMode::fan_in,
                                  std::string_view nonlinearity = "leaky_relu",
                                  Generator& gen = default_generator()) {
  auto [in, out] = detail::fans(t, "kaiming_uniform_");
  if (t.numel() == 0) return t;  // PyTorch warns and draws nothing
  const double fan = static_cast<double>(mode == FanMode::fan_in ? in : out);
  const double std = calculate_gain(nonlinearity, a) / std::sqrt(fan);
  const double b = std::sqrt(3.0) * std;
  return uniform_(t, -b, b, gen);
}
/// N(0, s^2) with s = gain(nonlinearity, a) / sqrt(fan).
template <FloatingElement T>
const Tensor<T>& kaiming_normal_(const Tensor<T>& t, double a = 0, FanMode mode = FanMode::fan_in,
                                 std::string_view nonlinearity = "leaky_relu",
                                 Generator& gen = default_generator()) {
  auto [in, out] = detail::fans(t, "kaiming_normal_");
  if (t.numel() == 0) return t;
  const double fan = static_cast<double>(mode == FanMode::fan_in ? in : out);
  return normal_(t, 0, calculate_gain(nonlinearity, a) / std::sqrt(fan), gen);
}

namespace detail {
// c[0] z^n + ... + c[n] with each step fused, as PyTorch's AVX2 build
// compiles calc_erfinv's polynomials (Note [PyTorch's AVX2 normal path]).
template <FloatingElement T>
T horner(T z, std::initializer_list<T> c) {
  T acc = *c.begin();
  for (auto it = c.begin() + 1; it != c.end(); ++it) acc = std::fma(acc, z, *it);
  return acc;
}
// erfinv in T as PyTorch's calc_erfinv: a rational first guess (Pavlis's
// coefficients), then two Newton steps on erf.
template <FloatingElement T>
T erfinv(T y) {
  const T ay = std::abs(y);
  if (ay > T(1)) return std::numeric_limits<T>::quiet_NaN();
  if (ay == T(1)) return std::copysign(std::numeric_limits<T>::infinity(), y);
  T x;
  if (ay <= T(0.7)) {
    const T z = y * y;
    const T num = horner(z, {T(-0.140543331), T(0.914624893), T(-1.645349621), T(0.886226899)});
    const T dem = horner(z, {T(0.012229801), T(-0.329097515), T(1.442710462), T(-2.118377725), T(1)});
    x = y * num / dem;
  } else {
    const T z = std::sqrt(-std::log((T(1) - ay) / T(2)));
    const T num = horner(z, {T(1.641345311), T(3.429567803), T(-1.624906493), T(-1.970840454)});
    const T dem = horner(z, {T(1.637067800), T(3.543889200), T(1)});
    x = std::copysign(num, y) / dem;
  }
  const T two_over_sqrt_pi = T(2) / static_cast<T>(std::sqrt(std::numbers::pi));
  for (int i = 0; i < 2; ++i) x = x - (std::erf(x) - y) / (two_over_sqrt_pi * std::exp(-x * x));
  return x;
}
}  // namespace detail

/// N(mean, std^2) truncated to [a, b], by PyTorch's inverse-CDF method:
/// uniform_(2 l - 1, 2 u - 1), erfinv, scale, shift, clamp.
template <FloatingElement T>
const Tensor<T>& trunc_normal_(const Tensor<T>& t, double mean = 0, double std = 1, double a = -2, double b = 2,
                               Generator& gen = default_generator()) {
  NoGradGuard no_grad;
  auto norm_cdf = [](double x) { return (1. + std::erf(x / std::sqrt(2.))) / 2.; };
  const double l = norm_cdf((a - mean) / std), u = norm_cdf((b - mean) / std);
  t.uniform_(2 * l - 1, 2 * u - 1, gen);
  const T scale = static_cast<T>(std * std::sqrt(2.)), shift = static_cast<T>(mean);
  const T lo = static_cast<T>(a), hi = static_cast<T>(b);
  T* p = t.data_ptr();
  // erfinv_, mul_, add_ and clamp_ as PyTorch's separate kernels: each step rounded to T
  tapegrad::detail::for_each_strided<1>(
      t.sizes(), {t.strides()},
      [&](const tapegrad::detail::Offsets<1>& base, int64_t n, const tapegrad::detail::Offsets<1>& st) {
        for (int64_t k = 0; k < n; ++k) {
          T& v = p[base[0] + k * st[0]];
          const T w = tapegrad::detail::unfused(detail::erfinv(v) * scale) + shift;
          v = std::min(std::max(w, lo), hi);
        }
      });
  t.storage()->bump_version();
  return t;
}

}  // namespace tapegrad::nn::init
