#pragma once
// Activation modules beyond ReLU/Sigmoid/Tanh (layers.hpp): each calls its
// functional form (functional_activation.hpp) and prints as PyTorch's does.
// PyTorch's positional arguments work (`nn::LeakyReLU(0.2)`), and so do
// LibTorch-style options (`nn::ELU(nn::ELUOptions{.alpha = 0.5})`).
#include <string>

#include "functional_activation.hpp"
#include "module.hpp"

namespace tapegrad::nn {

struct LeakyReLUOptions { double negative_slope = 0.01; };
struct ELUOptions { double alpha = 1.0; };
struct CELUOptions { double alpha = 1.0; };
struct GELUOptions { std::string approximate = "none"; };
struct SoftplusOptions { double beta = 1, threshold = 20; };
struct HardtanhOptions { double min_val = -1, max_val = 1; };
struct SoftminOptions { int64_t dim = 0; };
struct ThresholdOptions { double threshold = 0, value = 0; };

// The parts every activation with options shares: conversion from another
// dtype (for to<U>()), clone(), the name and the options.
#define TAPEGRAD_ACTIVATION_COMMON(Name)                                                      \
  explicit Name(Name##Options options) : options_(std::move(options)) { check(); }          \
  template <NullHandle N> explicit Name(N) : Module<T>(nullptr) {}                                      \
  template <FloatingElement U>                                                               \
  explicit Name(const Name<U>& o) : options_(o.options()) { this->convert_from(o); }          \
  const Name##Options& options() const { return options_; }                                  \
  std::string name() const override { return #Name; }                                       \
  std::shared_ptr<Module<T>> clone() const override { return this->clone_as(*this); }        \
                                                                                             \
 private:                                                                                    \
  Name##Options options_;                                                                    \
                                                                                             \
 public:

/// LeakyReLU(negative_slope = 0.01).
template <FloatingElement T = float>
class LeakyReLU : public Module<T> {
 public:
  explicit LeakyReLU(double negative_slope = 0.01) : LeakyReLU(LeakyReLUOptions{negative_slope}) {}
  TAPEGRAD_ACTIVATION_COMMON(LeakyReLU)
  Tensor<T> forward(const Tensor<T>& x) override { return F::leaky_relu(x, options_.negative_slope); }
  std::string extra_repr() const override { return "negative_slope=" + detail::py_float(options_.negative_slope); }
  void check() const {}
};

/// ELU(alpha = 1).
template <FloatingElement T = float>
class ELU : public Module<T> {
 public:
  explicit ELU(double alpha = 1.0) : ELU(ELUOptions{alpha}) {}
  TAPEGRAD_ACTIVATION_COMMON(ELU)
  Tensor<T> forward(const Tensor<T>& x) override { return F::elu(x, options_.alpha); }
  std::string extra_repr() const override { return "alpha=" + detail::py_float(options_.alpha); }
  void check() const {}
};

/// CELU(alpha = 1).
template <FloatingElement T = float>
class CELU : public Module<T> {
 public:
  explicit CELU(double alpha = 1.0) : CELU(CELUOptions{alpha}) {}
  TAPEGRAD_ACTIVATION_COMMON(CELU)
  Tensor<T> forward(const Tensor<T>& x) override { return F::celu(x, options_.alpha); }
  std::string extra_repr() const override { return "alpha=" + detail::py_float(options_.alpha); }
  void check() const { TAPEGRAD_CHECK(options_.alpha != 0, ValueError, "CELU: alpha cannot be 0"); }
};

/// GELU(approximate = "none" | "tanh").
template <FloatingElement T = float>
class GELU : public Module<T> {
 public:
  explicit GELU(std::string approximate = "none") : GELU(GELUOptions{std::move(approximate)}) {}
  explicit GELU(const char* approximate) : GELU(GELUOptions{approximate}) {}
  TAPEGRAD_ACTIVATION_COMMON(GELU)
  Tensor<T> forward(const Tensor<T>& x) override { return F::gelu(x, options_.approximate); }
  std::string extra_repr() const override { return "approximate='" + options_.approximate + "'"; }
  void check() const {
    TAPEGRAD_CHECK(options_.approximate == "none" || options_.approximate == "tanh", ValueError,
                   "GELU: approximate must be 'none' or 'tanh', got '", options_.approximate, "'");
  }
};

/// Softplus(beta = 1, threshold = 20).
template <FloatingElement T = float>
class Softplus : public Module<T> {
 public:
  explicit Softplus(double beta = 1, double threshold = 20) : Softplus(SoftplusOptions{beta, threshold}) {}
  TAPEGRAD_ACTIVATION_COMMON(Softplus)
  Tensor<T> forward(const Tensor<T>& x) override { return F::softplus(x, options_.beta, options_.threshold); }
  // PyTorch prints the arguments as given; its defaults are the ints 1 and 20,
  // so integral values print without ".0" here.
  std::string extra_repr() const override {
    return "beta=" + number(options_.beta) + ", threshold=" + number(options_.threshold);
  }
  void check() const {}

 private:
  static std::string number(double v) {
    return v == std::floor(v) && std::abs(v) < 1e15 ? std::to_string(static_cast<int64_t>(v)) : detail::py_float(v);
  }
};

/// Hardtanh(min_val = -1, max_val = 1).
template <FloatingElement T = float>
class Hardtanh : public Module<T> {
 public:
  explicit Hardtanh(double min_val = -1, double max_val = 1) : Hardtanh(HardtanhOptions{min_val, max_val}) {}
  TAPEGRAD_ACTIVATION_COMMON(Hardtanh)
  Tensor<T> forward(const Tensor<T>& x) override { return F::hardtanh(x, options_.min_val, options_.max_val); }
  std::string extra_repr() const override {
    return "min_val=" + detail::py_float(options_.min_val) + ", max_val=" + detail::py_float(options_.max_val);
  }
  void check() const {
    TAPEGRAD_CHECK(options_.max_val >= options_.min_val, ValueError, "Hardtanh: max_val (", options_.max_val,
                   ") cannot be less than min_val (", options_.min_val, ")");
  }
};

/// Softmin(dim): softmax(-x, dim).
template <FloatingElement T = float>
class Softmin : public Module<T> {
 public:
  explicit Softmin(int64_t dim) : Softmin(SoftminOptions{dim}) {}
  TAPEGRAD_ACTIVATION_COMMON(Softmin)
  Tensor<T> forward(const Tensor<T>& x) override { return F::softmin(x, options_.dim); }
  std::string extra_repr() const override { return "dim=" + std::to_string(options_.dim); }
  void check() const {}
};

/// Threshold(threshold, value): x where x > threshold, else value.
template <FloatingElement T = float>
class Threshold : public Module<T> {
 public:
  Threshold(double threshold, double value) : Threshold(ThresholdOptions{threshold, value}) {}
  TAPEGRAD_ACTIVATION_COMMON(Threshold)
  Tensor<T> forward(const Tensor<T>& x) override { return F::threshold(x, options_.threshold, options_.value); }
  std::string extra_repr() const override {
    return "threshold=" + detail::py_float(options_.threshold) + ", value=" + detail::py_float(options_.value);
  }
  void check() const {}
};
#undef TAPEGRAD_ACTIVATION_COMMON

// Activations without options: forward is `expr` of x. (layers.hpp uses it
// for ReLU, Sigmoid, Tanh and Identity, and undefines it.)
#define TAPEGRAD_PLAIN_ACTIVATION(Name, expr)                                                \
  template <FloatingElement T = float>                                                      \
  class Name : public Module<T> {                                                           \
   public:                                                                                  \
    Name() = default;                                                                       \
    template <NullHandle N> explicit Name(N) : Module<T>(nullptr) {}                                   \
    template <FloatingElement U>                                                            \
    explicit Name(const Name<U>& other) { this->convert_from(other); }                      \
    Tensor<T> forward(const Tensor<T>& x) override { return expr; }                         \
    std::string name() const override { return #Name; }                                     \
    std::shared_ptr<Module<T>> clone() const override { return this->clone_as(*this); }      \
  };
TAPEGRAD_PLAIN_ACTIVATION(SELU, F::selu(x))
TAPEGRAD_PLAIN_ACTIVATION(SiLU, F::silu(x))
TAPEGRAD_PLAIN_ACTIVATION(Mish, F::mish(x))
TAPEGRAD_PLAIN_ACTIVATION(Softsign, F::softsign(x))
TAPEGRAD_PLAIN_ACTIVATION(ReLU6, F::relu6(x))
TAPEGRAD_PLAIN_ACTIVATION(Hardsigmoid, F::hardsigmoid(x))
TAPEGRAD_PLAIN_ACTIVATION(Hardswish, F::hardswish(x))
TAPEGRAD_PLAIN_ACTIVATION(LogSigmoid, F::logsigmoid(x))

/// PReLU(num_parameters = 1, init = 0.25): a learnt slope, one shared or one
/// per channel (dim 1 of the input). weight: [num_parameters].
template <FloatingElement T = float>
class PReLU : public Module<T> {
 public:
  Tensor<T> weight;
  explicit PReLU(int64_t num_parameters = 1, double init = 0.25) : num_(num_parameters) {
    TAPEGRAD_CHECK(num_parameters > 0, ValueError, "PReLU: num_parameters must be positive, got ", num_parameters);
    weight = this->register_parameter("weight", full<T>({num_parameters}, static_cast<T>(init)));
  }
  template <NullHandle N> explicit PReLU(N) : Module<T>(nullptr), num_(0) {}
  template <FloatingElement U>
  explicit PReLU(const PReLU<U>& o) : PReLU(o.num_parameters()) { this->convert_from(o); }
  Tensor<T> forward(const Tensor<T>& x) override { return F::prelu(x, weight); }
  std::string name() const override { return "PReLU"; }
  std::string extra_repr() const override { return "num_parameters=" + std::to_string(num_); }
  std::shared_ptr<Module<T>> clone() const override {
    auto c = this->clone_as(*this);
    c->weight = c->parameter("weight");
    return c;
  }
  int64_t num_parameters() const { return num_; }

 private:
  int64_t num_;
};

}  // namespace tapegrad::nn
