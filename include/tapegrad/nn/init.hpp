#pragma once
// torch.nn.init: in-place initialisers, run under no_grad and drawn from the
// global generator (manual_seed) unless one is passed.
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <numbers>
#include <string_view>

#include "../core/libm.hpp"
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

/// calculate_gain(nonlinearity, param): PyTorch's recommended gains: 1 for
/// linear, conv1d..conv3d, conv_transpose1d..3d, sigmoid (and identity);
/// 5/3 tanh; sqrt(2) relu; sqrt(2 / (1 + slope^2)) leaky_relu (param is the
/// slope, 0.01 by default); 3/4 selu.
inline double calculate_gain(std::string_view nonlinearity, double param = 0.01) {
  for (std::string_view linear : {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                                  "conv_transpose3d", "sigmoid", "identity"})
    if (nonlinearity == linear) return 1;
  if (nonlinearity == "tanh") return 5.0 / 3;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") {
    TAPEGRAD_CHECK(std::isfinite(param), ValueError, "calculate_gain: negative_slope ", param,
                   " not a valid number");
    return std::sqrt(2.0 / (1 + param * param));
  }
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
// coefficients), then two Newton steps on erf; log, erf and exp as x86-64
// glibc's on every platform (Note [Portable libm]).
template <FloatingElement T>
T erfinv(T y) {
  namespace libm = tapegrad::detail::libm;
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
    const T z = std::sqrt(-libm::log((T(1) - ay) / T(2)));
    const T num = horner(z, {T(1.641345311), T(3.429567803), T(-1.624906493), T(-1.970840454)});
    const T dem = horner(z, {T(1.637067800), T(3.543889200), T(1)});
    x = std::copysign(num, y) / dem;
  }
  const T two_over_sqrt_pi = T(2) / static_cast<T>(std::sqrt(std::numbers::pi));
  for (int i = 0; i < 2; ++i) x = x - (libm::erf(x) - y) / (two_over_sqrt_pi * libm::exp(-x * x));
  return x;
}
}  // namespace detail

/// N(mean, std^2) truncated to [a, b], by PyTorch's inverse-CDF method:
/// uniform_(2 l - 1, 2 u - 1), erfinv, scale, shift, clamp.
template <FloatingElement T>
const Tensor<T>& trunc_normal_(const Tensor<T>& t, double mean = 0, double std = 1, double a = -2, double b = 2,
                               Generator& gen = default_generator()) {
  NoGradGuard no_grad;
  // Python's math.erf is the C library's: x86-64 glibc's bits (Note [Portable libm])
  auto norm_cdf = [](double x) { return (1. + tapegrad::detail::libm::erf(x / std::sqrt(2.))) / 2.; };
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

/// eye_(t): the identity matrix in a 2-D tensor (ones on the diagonal).
template <FloatingElement T>
const Tensor<T>& eye_(const Tensor<T>& t) {
  TAPEGRAD_CHECK(t.dim() == 2, ShapeError, "eye_: only tensors with 2 dimensions are supported, got shape ",
                 t.sizes());
  NoGradGuard no_grad;
  t.zero_();
  for (int64_t i = 0; i < std::min(t.sizes()[0], t.sizes()[1]); ++i) t(i, i) = T(1);
  return t;
}

/// orthogonal_(t, gain = 1): t viewed as [rows, numel / rows] filled with a
/// (semi-)orthogonal matrix times gain: the Q of a QR decomposition of a
/// standard normal matrix with R's diagonal made positive, as PyTorch.
/// Orthonormal rows when rows <= cols, else orthonormal columns.
template <FloatingElement T>
const Tensor<T>& orthogonal_(const Tensor<T>& t, double gain = 1, Generator& gen = default_generator()) {
  TAPEGRAD_CHECK(t.dim() >= 2, ShapeError, "orthogonal_: only tensors with 2 or more dimensions are supported, got shape ",
                 t.sizes());
  if (t.numel() == 0) return t;
  const int64_t rows = t.sizes()[0], cols = t.numel() / rows;
  const bool wide = rows < cols;
  const int64_t m = wide ? cols : rows, n = wide ? rows : cols;  // a is m x n with m >= n
  auto a = empty<double>({n, m});                                 // its columns as rows
  a.normal_(0, 1, gen);
  double* q = a.data_ptr();
  // modified Gram-Schmidt, twice for orthogonality to rounding: the columns
  // of Q with R's diagonal positive
  for (int64_t j = 0; j < n; ++j) {
    double* v = q + j * m;
    for (int pass = 0; pass < 2; ++pass)
      for (int64_t k = 0; k < j; ++k) {
        const double* u = q + k * m;
        double dot = 0;
        for (int64_t i = 0; i < m; ++i) dot += u[i] * v[i];
        for (int64_t i = 0; i < m; ++i) v[i] -= dot * u[i];
      }
    double norm = 0;
    for (int64_t i = 0; i < m; ++i) norm += v[i] * v[i];
    norm = std::sqrt(norm);
    for (int64_t i = 0; i < m; ++i) v[i] /= norm;
  }
  // a holds Q^T [n, m]: the result [rows, cols] is Q^T when wide, else Q
  auto result = wide ? a : a.t().contiguous();
  NoGradGuard no_grad;
  t.view({rows, cols}).copy_(result);
  t.mul_(gain);
  return t;
}

}  // namespace tapegrad::nn::init
