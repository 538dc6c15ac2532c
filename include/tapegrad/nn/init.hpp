#pragma once
// torch.nn.init: in-place initialisers, run under no_grad and drawn from the
// global generator (manual_seed) unless one is passed.
#include <cmath>
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

/// U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)).
template <FloatingElement T>
const Tensor<T>& xavier_uniform_(const Tensor<T>& t, double gain = 1, Generator& gen = default_generator()) {
  auto [in, out] = detail::fans(t, "xavier_uniform_");
  const double b = gain * std::sqrt(6.0 / static_cast<double>(in + out));
  return uniform_(t, -b, b, gen);
}
/// N(0, s^2) with s = gain * sqrt(2 / (fan_in + fan_out)).
template <FloatingElement T>
const Tensor<T>& xavier_normal_(const Tensor<T>& t, double gain = 1, Generator& gen = default_generator()) {
  auto [in, out] = detail::fans(t, "xavier_normal_");
  return normal_(t, 0, gain * std::sqrt(2.0 / static_cast<double>(in + out)), gen);
}

/// Which fan kaiming_* scales by.
enum class FanMode { fan_in, fan_out };

/// U(-b, b) with b = gain(nonlinearity, a) * sqrt(3 / fan).
template <FloatingElement T>
const Tensor<T>& kaiming_uniform_(const Tensor<T>& t, double a = 0, FanMode mode = FanMode::fan_in,
                                  std::string_view nonlinearity = "leaky_relu",
                                  Generator& gen = default_generator()) {
  auto [in, out] = detail::fans(t, "kaiming_uniform_");
  const double fan = static_cast<double>(mode == FanMode::fan_in ? in : out);
  const double b = calculate_gain(nonlinearity, a) * std::sqrt(3.0 / fan);
  return uniform_(t, -b, b, gen);
}
/// N(0, s^2) with s = gain(nonlinearity, a) / sqrt(fan).
template <FloatingElement T>
const Tensor<T>& kaiming_normal_(const Tensor<T>& t, double a = 0, FanMode mode = FanMode::fan_in,
                                 std::string_view nonlinearity = "leaky_relu",
                                 Generator& gen = default_generator()) {
  auto [in, out] = detail::fans(t, "kaiming_normal_");
  const double fan = static_cast<double>(mode == FanMode::fan_in ? in : out);
  return normal_(t, 0, calculate_gain(nonlinearity, a) / std::sqrt(fan), gen);
}

}  // namespace tapegrad::nn::init
