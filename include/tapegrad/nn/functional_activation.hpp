#pragma once
// torch.nn.functional's activations beyond relu/sigmoid/tanh: leaky_relu, elu,
// selu, celu, gelu, silu, mish, softplus, softsign, hardtanh, relu6,
// hardsigmoid, hardswish, logsigmoid, softmin, prelu, threshold. Each takes a
// floating tensor of any shape and returns one of the same shape.
#include <cmath>
#include <numbers>
#include <string_view>

#include "functional.hpp"

namespace tapegrad::nn::functional {
namespace detail {
// Note [Pointwise activations]: an activation is a function f and its
// derivative df of the input, both scalar: one pass for the forward and one
// fused pass g * df(x) for the backward (saving the input), rather than a
// graph of tensor ops. The derivative at a kink is the one PyTorch's
// backward kernel uses there, which the tests check.
template <FloatingElement T, class Fn, class DFn>
Tensor<T> pointwise(const Tensor<T>& x, Fn f, DFn df, const char* backward_name) {
  auto out = tapegrad::detail::map1<T, T>(x, f);
  tapegrad::detail::record_unary(out, backward_name, x, x, [df](T g, T v) { return g * df(v); });
  return out;
}
template <FloatingElement T>
T softplus1(T x) {  // log(1 + exp(x)) without overflow
  return std::max(x, T(0)) + std::log1p(std::exp(-std::abs(x)));
}
template <FloatingElement T>
T sigmoid1(T x) {
  return x >= 0 ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x));
}
}  // namespace detail

/// leaky_relu(x, negative_slope = 0.01): x > 0 ? x : slope x; the gradient
/// at 0 is the slope, as PyTorch.
template <FloatingElement T>
Tensor<T> leaky_relu(const Tensor<T>& x, double negative_slope = 0.01) {
  const T s = static_cast<T>(negative_slope);
  return detail::pointwise(x, [s](T v) { return v > 0 ? v : v * s; }, [s](T v) { return v > 0 ? T(1) : s; },
                           "LeakyReluBackward0");
}

/// elu(x, alpha = 1): x > 0 ? x : alpha (exp(x) - 1).
template <FloatingElement T>
Tensor<T> elu(const Tensor<T>& x, double alpha = 1.0) {
  const T a = static_cast<T>(alpha);
  return detail::pointwise(x, [a](T v) { return v > 0 ? v : a * std::expm1(v); },
                           [a](T v) { return v > 0 ? T(1) : a * std::exp(v); }, "EluBackward0");
}

/// selu(x) = scale * elu(x, alpha) with PyTorch's constants.
template <FloatingElement T>
Tensor<T> selu(const Tensor<T>& x) {
  constexpr double kAlpha = 1.6732632423543772848170429916717, kScale = 1.0507009873554804934193349852946;
  const T a = static_cast<T>(kAlpha), sc = static_cast<T>(kScale);
  return detail::pointwise(x, [a, sc](T v) { return v > 0 ? sc * v : sc * a * std::expm1(v); },
                           [a, sc](T v) { return v > 0 ? sc : sc * a * std::exp(v); }, "EluBackward0");
}

/// celu(x, alpha = 1): max(0, x) + min(0, alpha (exp(x / alpha) - 1)).
template <FloatingElement T>
Tensor<T> celu(const Tensor<T>& x, double alpha = 1.0) {
  TAPEGRAD_CHECK(alpha != 0, ValueError, "celu: ZeroDivisionError: alpha cannot be 0");
  const T a = static_cast<T>(alpha), inv = static_cast<T>(1 / alpha);
  return detail::pointwise(x, [a, inv](T v) { return v > 0 ? v : a * std::expm1(v * inv); },
                           [inv](T v) { return v > 0 ? T(1) : std::exp(v * inv); }, "CeluBackward0");
}

/// gelu(x, approximate = "none"): x Phi(x) with Phi the normal CDF; "tanh":
/// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
template <FloatingElement T>
Tensor<T> gelu(const Tensor<T>& x, std::string_view approximate = "none") {
  if (approximate == "none") {
    const T r2 = static_cast<T>(std::numbers::sqrt2 / 2), k = static_cast<T>(0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2);
    return detail::pointwise(x, [r2](T v) { return v * T(0.5) * (T(1) + std::erf(v * r2)); },
                             [r2, k](T v) { return T(0.5) * (T(1) + std::erf(v * r2)) + v * k * std::exp(T(-0.5) * v * v); },
                             "GeluBackward0");
  }
  TAPEGRAD_CHECK(approximate == "tanh", ValueError, "gelu: approximate must be 'none' or 'tanh', got '",
                 approximate, "'");
  const T b = static_cast<T>(std::numbers::sqrt2 * 2 * std::numbers::inv_sqrtpi / 2), c = T(0.044715);
  return detail::pointwise(x, [b, c](T v) { return T(0.5) * v * (T(1) + std::tanh(b * (v + c * v * v * v))); },
                           [b, c](T v) {
                             const T t = std::tanh(b * (v + c * v * v * v));
                             return T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * b * (T(1) + T(3) * c * v * v);
                           },
                           "GeluBackward0");
}

/// silu(x) = x sigmoid(x).
template <FloatingElement T>
Tensor<T> silu(const Tensor<T>& x) {
  return detail::pointwise(x, [](T v) { return v * detail::sigmoid1(v); },
                           [](T v) {
                             const T s = detail::sigmoid1(v);
                             return s * (T(1) + v * (T(1) - s));
                           },
                           "SiluBackward0");
}

/// mish(x) = x tanh(softplus(x)).
template <FloatingElement T>
Tensor<T> mish(const Tensor<T>& x) {
  return detail::pointwise(x, [](T v) { return v * std::tanh(detail::softplus1(v)); },
                           [](T v) {
                             const T t = std::tanh(detail::softplus1(v));
                             return t + v * detail::sigmoid1(v) * (T(1) - t * t);
                           },
                           "MishBackward0");
}

/// softplus(x, beta = 1, threshold = 20): log(1 + exp(beta x)) / beta, and x
/// itself where beta x > threshold.
template <FloatingElement T>
Tensor<T> softplus(const Tensor<T>& x, double beta = 1, double threshold = 20) {
  const T b = static_cast<T>(beta), th = static_cast<T>(threshold);
  return detail::pointwise(x, [b, th](T v) { return v * b > th ? v : std::log1p(std::exp(v * b)) / b; },
                           [b, th](T v) {
                             if (v * b > th) return T(1);
                             const T z = std::exp(v * b);
                             return z / (z + T(1));
                           },
                           "SoftplusBackward0");
}

/// softsign(x) = x / (1 + |x|).
template <FloatingElement T>
Tensor<T> softsign(const Tensor<T>& x) {
  return detail::pointwise(x, [](T v) { return v / (T(1) + std::abs(v)); },
                           [](T v) {
                             const T d = T(1) + std::abs(v);
                             return T(1) / (d * d);
                           },
                           "DivBackward0");
}

/// hardtanh(x, min_val = -1, max_val = 1): x clamped; the gradient is 0 at
/// and beyond the bounds, as PyTorch.
template <FloatingElement T>
Tensor<T> hardtanh(const Tensor<T>& x, double min_val = -1, double max_val = 1) {
  TAPEGRAD_CHECK(max_val >= min_val, ValueError, "hardtanh: max_val (", max_val, ") cannot be less than min_val (",
                 min_val, ")");
  const T lo = static_cast<T>(min_val), hi = static_cast<T>(max_val);
  return detail::pointwise(x, [lo, hi](T v) { return v < lo ? lo : (v > hi ? hi : v); },
                           [lo, hi](T v) { return v <= lo || v >= hi ? T(0) : T(1); }, "HardtanhBackward0");
}

/// relu6(x) = hardtanh(x, 0, 6).
template <FloatingElement T>
Tensor<T> relu6(const Tensor<T>& x) { return hardtanh(x, 0, 6); }

/// hardsigmoid(x) = relu6(x + 3) / 6; the gradient is 1/6 strictly inside
/// (-3, 3), with 1/6 rounded to float also in double, as PyTorch's kernel.
template <FloatingElement T>
Tensor<T> hardsigmoid(const Tensor<T>& x) {
  return detail::pointwise(x, [](T v) { return v <= T(-3) ? T(0) : (v >= T(3) ? T(1) : v / T(6) + T(0.5)); },
                           [](T v) { return v > T(-3) && v < T(3) ? static_cast<T>(1.0f / 6.0f) : T(0); }, "HardsigmoidBackward0");
}

/// hardswish(x) = x relu6(x + 3) / 6; the gradient is 0 below -3 and 1 from
/// 3 on, as PyTorch's kernel.
template <FloatingElement T>
Tensor<T> hardswish(const Tensor<T>& x) {
  return detail::pointwise(x, [](T v) { return v <= T(-3) ? T(0) : (v >= T(3) ? v : v * (v + T(3)) / T(6)); },
                           [](T v) { return v < T(-3) ? T(0) : (v < T(3) ? v / T(3) + T(0.5) : T(1)); },
                           "HardswishBackward0");
}

/// logsigmoid(x) = log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)).
template <FloatingElement T>
Tensor<T> logsigmoid(const Tensor<T>& x) {
  return detail::pointwise(x, [](T v) { return std::min(v, T(0)) - std::log1p(std::exp(-std::abs(v))); },
                           [](T v) {
                             const T z = std::exp(-std::abs(v));
                             return v < 0 ? T(1) - z / (T(1) + z) : z / (T(1) + z);
                           },
                           "LogSigmoidBackward0");
}

/// softmin(x, dim) = softmax(-x, dim).
template <FloatingElement T>
Tensor<T> softmin(const Tensor<T>& x, int64_t dim) { return tapegrad::softmax(neg(x), dim); }

/// threshold(x, threshold, value): x where x > threshold, else value.
template <FloatingElement T>
Tensor<T> threshold(const Tensor<T>& x, double threshold, double value) {
  const T th = static_cast<T>(threshold), val = static_cast<T>(value);
  return detail::pointwise(x, [th, val](T v) { return v > th ? v : val; },
                           [th](T v) { return v > th ? T(1) : T(0); }, "ThresholdBackward0");
}

/// prelu(x, weight): x > 0 ? x : weight x, with weight [1] shared or [C]
/// per channel (dim 1 of x; dim 0 of a 1-D x).
template <FloatingElement T>
Tensor<T> prelu(const Tensor<T>& x, const Tensor<T>& weight) {
  TAPEGRAD_CHECK(weight.dim() <= 1, ShapeError, "prelu: weight must be 0-d or 1-D, got shape ", weight.sizes());
  Tensor<T> w = weight;
  if (weight.numel() != 1) {
    TAPEGRAD_CHECK(x.dim() >= 1, ShapeError, "prelu: a 0-d input needs a one-element weight, got weight ",
                   weight.sizes());
    const int64_t cdim = x.dim() >= 2 ? 1 : 0;
    TAPEGRAD_CHECK(weight.numel() == x.sizes()[cdim], ShapeError, "prelu: mismatch of parameter numbers and input channel size: weight has ",
                   weight.numel(), " elements, input ", x.sizes(), " has ", x.sizes()[cdim], " channels");
    Shape s(x.dim() - cdim, 1);
    s[0] = weight.numel();
    w = weight.reshape(s);
  } else {
    w = weight.reshape({});
  }
  return where(gt(x, zeros<T>({})), x, mul(w, x));
}

}  // namespace tapegrad::nn::functional
