#pragma once
// Layers: Linear, the activations, Flatten, Identity, Dropout and Sequential.
#include <cmath>
#include <initializer_list>

#include "functional.hpp"
#include "init.hpp"
#include "module.hpp"

namespace tapegrad::nn {

/// y = x W^T + b. x: [..., in_features] -> [..., out_features]. Weight
/// [out, in] and bias [out] start as PyTorch's: kaiming_uniform(a = sqrt(5)),
/// i.e. U(-1/sqrt(in), 1/sqrt(in)), for both, weight first, drawn from `gen`
/// (the default generator unless given): after manual_seed(s), PyTorch's bits.
template <FloatingElement T = float>
class Linear : public Module<T> {
 public:
  Tensor<T> weight;
  Tensor<T> bias;  // undefined when bias = false

  Linear(int64_t in_features, int64_t out_features, bool bias = true, Generator& gen = default_generator())
      : Linear(in_features, out_features, bias, Uninitialised{}) {
    reset_parameters(gen);
  }
  /// A copy converted to T; draws nothing from any generator.
  template <FloatingElement U>
  explicit Linear(const Linear<U>& other)
      : Linear(other.in_features(), other.out_features(), other.bias.defined(), Uninitialised{}) {
    this->convert_from(other);
  }

  void reset_parameters(Generator& gen = default_generator()) {
    init::kaiming_uniform_(weight, std::sqrt(5.0), init::FanMode::fan_in, "leaky_relu", gen);
    if (bias.defined()) {
      const double bound = 1 / std::sqrt(static_cast<double>(in_));
      init::uniform_(bias, -bound, bound, gen);
    }
  }

  Tensor<T> forward(const Tensor<T>& x) override {
    TAPEGRAD_CHECK(x.dim() >= 1 && x.sizes()[x.dim() - 1] == in_, ShapeError, "Linear(", in_, " -> ", out_,
                   "): expected input [..., ", in_, "], got ", x.sizes());
    return F::linear(x, weight, bias);
  }
  std::string name() const override { return "Linear"; }
  std::string extra_repr() const override {
    std::ostringstream os;
    os << "in_features=" << in_ << ", out_features=" << out_ << ", bias=" << (bias.defined() ? "True" : "False");
    return os.str();
  }
  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }

 private:
  struct Uninitialised {};
  Linear(int64_t in_features, int64_t out_features, bool bias, Uninitialised) : in_(in_features), out_(out_features) {
    TAPEGRAD_CHECK(in_features > 0 && out_features > 0, ValueError,
                   "Linear: in_features and out_features must be positive, got ", in_features, " and ",
                   out_features);
    weight = this->register_parameter("weight", empty<T>({out_features, in_features}));
    if (bias) this->bias = this->register_parameter("bias", empty<T>({out_features}));
  }

  int64_t in_, out_;
};

// Parameterless layers: forward is a function of x alone.
#define TAPEGRAD_SIMPLE_LAYER(Name, expr)                                                 \
  template <FloatingElement T = float>                                                   \
  class Name : public Module<T> {                                                        \
   public:                                                                               \
    Name() = default;                                                                    \
    template <FloatingElement U>                                                         \
    explicit Name(const Name<U>& other) { this->convert_from(other); }                   \
    Tensor<T> forward(const Tensor<T>& x) override { return expr; }                      \
    std::string name() const override { return #Name; }                                  \
  };
TAPEGRAD_SIMPLE_LAYER(ReLU, relu(x))
TAPEGRAD_SIMPLE_LAYER(Sigmoid, sigmoid(x))
TAPEGRAD_SIMPLE_LAYER(Tanh, tanh(x))
TAPEGRAD_SIMPLE_LAYER(Identity, x)
#undef TAPEGRAD_SIMPLE_LAYER

/// softmax / log_softmax along `dim`.
#define TAPEGRAD_DIM_LAYER(Name, fn)                                                      \
  template <FloatingElement T = float>                                                   \
  class Name : public Module<T> {                                                        \
   public:                                                                               \
    explicit Name(int64_t dim) : dim_(dim) {}                                            \
    template <FloatingElement U>                                                         \
    explicit Name(const Name<U>& other) : dim_(other.dim()) { this->convert_from(other); } \
    Tensor<T> forward(const Tensor<T>& x) override { return fn(x, dim_); }               \
    std::string name() const override { return #Name; }                                  \
    std::string extra_repr() const override { return std::string("dim=").append(std::to_string(dim_)); } \
    int64_t dim() const { return dim_; }                                                 \
                                                                                         \
   private:                                                                              \
    int64_t dim_;                                                                        \
  };
TAPEGRAD_DIM_LAYER(Softmax, softmax)
TAPEGRAD_DIM_LAYER(LogSoftmax, log_softmax)
#undef TAPEGRAD_DIM_LAYER

/// Flatten dims start_dim..end_dim (default: all but the batch dim).
template <FloatingElement T = float>
class Flatten : public Module<T> {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1) : start_(start_dim), end_(end_dim) {}
  template <FloatingElement U>
  explicit Flatten(const Flatten<U>& o) : start_(o.start_dim()), end_(o.end_dim()) { this->convert_from(o); }
  Tensor<T> forward(const Tensor<T>& x) override { return x.flatten(start_, end_); }
  std::string name() const override { return "Flatten"; }
  std::string extra_repr() const override {
    std::ostringstream os;
    os << "start_dim=" << start_ << ", end_dim=" << end_;
    return os.str();
  }
  int64_t start_dim() const { return start_; }
  int64_t end_dim() const { return end_; }

 private:
  int64_t start_, end_;
};

/// Dropout(p): in train mode zero each element with probability p and scale
/// the rest by 1/(1-p); the identity in eval mode.
template <FloatingElement T = float>
class Dropout : public Module<T> {
 public:
  explicit Dropout(double p = 0.5) : p_(p) {
    TAPEGRAD_CHECK(p >= 0 && p <= 1, ValueError, "Dropout: probability has to be between 0 and 1, but got ", p);
  }
  template <FloatingElement U>
  explicit Dropout(const Dropout<U>& o) : p_(o.p()) { this->convert_from(o); }
  Tensor<T> forward(const Tensor<T>& x) override { return F::dropout(x, p_, this->is_training()); }
  std::string name() const override { return "Dropout"; }
  std::string extra_repr() const override {
    std::ostringstream os;
    os << "p=" << p_ << ", inplace=False";
    return os.str();
  }
  double p() const { return p_; }

 private:
  double p_;
};

/// Sequential(m0, m1, ...): applies the children in order; they are named
/// "0", "1", ... as in PyTorch, so parameter names read "1.weight".
template <FloatingElement T = float>
class Sequential : public Module<T> {
 public:
  Sequential() = default;
  /// From layer objects: Sequential(Flatten(), Linear(784, 256), ReLU(), ...).
  template <class... M>
    requires(sizeof...(M) > 0 && (std::derived_from<std::decay_t<M>, Module<T>> && ...))
  explicit Sequential(M&&... modules) {
    (push_back(std::make_shared<std::decay_t<M>>(std::forward<M>(modules))), ...);
  }
  /// From shared modules (to share them with other code).
  Sequential(std::initializer_list<std::shared_ptr<Module<T>>> modules) {
    for (const auto& m : modules) push_back(m);
  }
  template <FloatingElement U>
  explicit Sequential(const Sequential<U>& other) {
    for (const auto& m : other.children()) push_back(m->template to<T>());
    this->train(other.is_training());
  }

  void push_back(std::shared_ptr<Module<T>> m) {
    TAPEGRAD_CHECK(m != nullptr, ValueError, "Sequential: cannot add a null module");
    this->register_module(std::to_string(size()), std::move(m));
  }
  int64_t size() const { return static_cast<int64_t>(this->named_children().size()); }
  /// net[i]: the i-th child (negative counts from the end).
  Module<T>& operator[](int64_t i) const {
    TAPEGRAD_CHECK(i >= -size() && i < size(), IndexError, "Sequential: index ", i,
                   " is out of range for ", size(), " modules");
    return *this->named_children()[static_cast<size_t>(i < 0 ? i + size() : i)].second;
  }

  Tensor<T> forward(const Tensor<T>& x) override {
    Tensor<T> y = x;
    for (const auto& [n, m] : this->named_children()) y = m->forward(y);
    return y;
  }
  std::string name() const override { return "Sequential"; }
};

template <class M0, class... M>
Sequential(M0&&, M&&...) -> Sequential<typename std::decay_t<M0>::value_type>;

// Note [Lazy dtype conversion]: to<U>() finds a built-in layer's type with
// dynamic_cast and calls its converting constructor, so Linear<double> and
// the double ops and GEMM behind its forward are compiled only in programs
// that call to<double>(). A virtual to_double() in every layer (how Cloneable
// works) compiled the whole double model into every float program, a large
// part of examples/mnist_mlp.cpp's compile time. Other modules go
// through the virtual to_float()/to_double(), which Cloneable implements.
namespace detail {
template <FloatingElement U, FloatingElement T, template <class> class L, template <class> class... Rest>
std::shared_ptr<Module<U>> convert_builtin(const Module<T>& m) {
  if (const auto* p = dynamic_cast<const L<T>*>(&m)) return std::make_shared<L<U>>(*p);
  if constexpr (sizeof...(Rest) > 0) return convert_builtin<U, T, Rest...>(m);
  else return nullptr;
}
}  // namespace detail

template <FloatingElement T>
template <FloatingElement U>
std::shared_ptr<Module<U>> Module<T>::to() const {
  if (auto out = detail::convert_builtin<U, T, Linear, ReLU, Sigmoid, Tanh, Identity, Softmax, LogSoftmax,
                                         Flatten, Dropout, Sequential>(*this))
    return out;
  if constexpr (std::is_same_v<U, float>) return to_float();
  else return to_double();
}

}  // namespace tapegrad::nn
