#pragma once
// Layers: Linear, ReLU/Sigmoid/Tanh, Flatten, Unflatten, Identity, Dropout,
// Embedding, LayerNorm, Bilinear and Sequential; the other activations are in
// activation.hpp, ModuleList/ModuleDict/ParameterList in containers.hpp.
#include <cmath>
#include <initializer_list>

#include "activation.hpp"
#include "containers.hpp"
#include "functional.hpp"
#include "functional_layer.hpp"
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
  /// An empty handle, to be assigned (`nn::Linear<> fc1{nullptr};`).
  template <NullHandle N> explicit Linear(N) : Module<T>(nullptr), in_(0), out_(0) {}
  /// A copy converted to T; draws nothing from any generator.
  template <FloatingElement U>
  explicit Linear(const Linear<U>& other)
      : Linear(other.in_features(), other.out_features(), other.bias.defined(), Uninitialised{}) {
    this->convert_from(other);
  }
  std::shared_ptr<Module<T>> clone() const override {
    auto c = this->clone_as(*this);
    c->weight = c->parameter("weight");
    if (bias.defined()) c->bias = c->parameter("bias");
    return c;
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

// Parameterless layers: forward is a function of x alone
// (TAPEGRAD_PLAIN_ACTIVATION is defined in activation.hpp).
TAPEGRAD_PLAIN_ACTIVATION(ReLU, relu(x))
TAPEGRAD_PLAIN_ACTIVATION(Sigmoid, sigmoid(x))
TAPEGRAD_PLAIN_ACTIVATION(Tanh, tanh(x))
TAPEGRAD_PLAIN_ACTIVATION(Identity, x)
#undef TAPEGRAD_PLAIN_ACTIVATION

/// softmax / log_softmax along `dim`.
#define TAPEGRAD_DIM_LAYER(Name, fn)                                                      \
  template <FloatingElement T = float>                                                   \
  class Name : public Module<T> {                                                        \
   public:                                                                               \
    explicit Name(int64_t dim) : dim_(dim) {}                                            \
    template <NullHandle N> explicit Name(N) : Module<T>(nullptr), dim_(0) {}                       \
    std::shared_ptr<Module<T>> clone() const override { return this->clone_as(*this); }   \
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
  template <NullHandle N> explicit Flatten(N) : Module<T>(nullptr), start_(1), end_(-1) {}
  template <FloatingElement U>
  explicit Flatten(const Flatten<U>& o) : start_(o.start_dim()), end_(o.end_dim()) { this->convert_from(o); }
  Tensor<T> forward(const Tensor<T>& x) override { return x.flatten(start_, end_); }
  std::shared_ptr<Module<T>> clone() const override { return this->clone_as(*this); }
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
  template <NullHandle N> explicit Dropout(N) : Module<T>(nullptr), p_(0) {}
  template <FloatingElement U>
  explicit Dropout(const Dropout<U>& o) : p_(o.p()) { this->convert_from(o); }
  Tensor<T> forward(const Tensor<T>& x) override { return F::dropout(x, p_, this->is_training()); }
  std::shared_ptr<Module<T>> clone() const override { return this->clone_as(*this); }
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

/// Unflatten(dim, sizes): dim split into sizes, as x.unflatten(dim, sizes).
template <FloatingElement T = float>
class Unflatten : public Module<T> {
 public:
  Unflatten(int64_t dim, Shape sizes) : dim_(dim), sizes_(std::move(sizes)) {}
  template <NullHandle N> explicit Unflatten(N) : Module<T>(nullptr), dim_(0) {}
  template <FloatingElement U>
  explicit Unflatten(const Unflatten<U>& o) : dim_(o.dim()), sizes_(o.unflattened_size()) { this->convert_from(o); }
  Tensor<T> forward(const Tensor<T>& x) override { return F::unflatten(x, dim_, sizes_); }
  std::string name() const override { return "Unflatten"; }
  std::string extra_repr() const override {
    return "dim=" + std::to_string(dim_) + ", unflattened_size=" + detail::py_tuple(sizes_);
  }
  std::shared_ptr<Module<T>> clone() const override { return this->clone_as(*this); }
  int64_t dim() const { return dim_; }
  const Shape& unflattened_size() const { return sizes_; }

 private:
  int64_t dim_;
  Shape sizes_;
};

/// Embedding(num_embeddings, embedding_dim, padding_idx): a lookup table
/// weight [num, dim] drawn from N(0, 1), the padding row zero. Its input is
/// an int64 index tensor of any shape: emb(idx) -> [*idx.shape, dim].
template <FloatingElement T = float>
class Embedding : public Module<T> {
 public:
  Tensor<T> weight;
  Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx = std::nullopt)
      : num_(num_embeddings), dim_(embedding_dim) {
    TAPEGRAD_CHECK(num_embeddings > 0 && embedding_dim > 0, ValueError,
                   "Embedding: num_embeddings and embedding_dim must be positive, got ", num_embeddings, " and ",
                   embedding_dim);
    if (padding_idx) {
      TAPEGRAD_CHECK(*padding_idx >= -num_ && *padding_idx < num_, ValueError,
                     "Embedding: padding_idx must be within num_embeddings");
      padding_idx_ = *padding_idx < 0 ? *padding_idx + num_ : *padding_idx;
    }
    weight = this->register_parameter("weight", empty<T>({num_embeddings, embedding_dim}));
    reset_parameters();
  }
  template <NullHandle N> explicit Embedding(N) : Module<T>(nullptr), num_(0), dim_(0) {}
  template <FloatingElement U>
  explicit Embedding(const Embedding<U>& o) : Embedding(o.num_embeddings(), o.embedding_dim(), o.padding_idx()) {
    this->convert_from(o);
  }
  void reset_parameters() {
    init::normal_(weight);
    if (padding_idx_) {
      NoGradGuard no_grad;
      weight[*padding_idx_].zero_();
    }
  }
  /// idx: int64 [*] -> [*, embedding_dim].
  Tensor<T> forward(const Tensor<int64_t>& indices) { return F::embedding(indices, weight, padding_idx_); }
  Tensor<T> operator()(const Tensor<int64_t>& indices) { return forward(indices); }
  Tensor<T> forward(const Tensor<T>& x) override {
    TAPEGRAD_CHECK(false, DTypeError, "Embedding: expected an int64 tensor of indices, got a floating tensor of shape ",
                   x.sizes());
    return x;
  }
  std::string name() const override { return "Embedding"; }
  std::string extra_repr() const override {
    std::string s = std::to_string(num_) + ", " + std::to_string(dim_);
    if (padding_idx_) s += ", padding_idx=" + std::to_string(*padding_idx_);
    return s;
  }
  std::shared_ptr<Module<T>> clone() const override {
    auto c = this->clone_as(*this);
    c->weight = c->parameter("weight");
    return c;
  }
  int64_t num_embeddings() const { return num_; }
  int64_t embedding_dim() const { return dim_; }
  std::optional<int64_t> padding_idx() const { return padding_idx_; }

 private:
  int64_t num_, dim_;
  std::optional<int64_t> padding_idx_;
};

/// LayerNorm(normalized_shape, eps = 1e-5, elementwise_affine = true):
/// normalise over the last dims; weight (ones) and bias (zeros) of
/// normalized_shape when elementwise_affine.
template <FloatingElement T = float>
class LayerNorm : public Module<T> {
 public:
  Tensor<T> weight, bias;  // undefined without elementwise_affine
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true)
      : shape_(std::move(normalized_shape)), eps_(eps) {
    TAPEGRAD_CHECK(shape_.size() > 0, ValueError, "LayerNorm: normalized_shape must be non-empty");
    if (elementwise_affine) {
      weight = this->register_parameter("weight", ones<T>(shape_));
      bias = this->register_parameter("bias", zeros<T>(shape_));
    }
  }
  explicit LayerNorm(int64_t normalized_shape, double eps = 1e-5, bool elementwise_affine = true)
      : LayerNorm(Shape{normalized_shape}, eps, elementwise_affine) {}
  template <NullHandle N> explicit LayerNorm(N) : Module<T>(nullptr), eps_(0) {}
  template <FloatingElement U>
  explicit LayerNorm(const LayerNorm<U>& o) : LayerNorm(o.normalized_shape(), o.eps(), o.weight.defined()) {
    this->convert_from(o);
  }
  Tensor<T> forward(const Tensor<T>& x) override { return F::layer_norm(x, shape_, weight, bias, eps_); }
  std::string name() const override { return "LayerNorm"; }
  std::string extra_repr() const override {
    return detail::py_tuple(shape_) + ", eps=" + detail::py_float(eps_) +
           ", elementwise_affine=" + (weight.defined() ? "True" : "False");
  }
  std::shared_ptr<Module<T>> clone() const override {
    auto c = this->clone_as(*this);
    if (weight.defined()) {
      c->weight = c->parameter("weight");
      c->bias = c->parameter("bias");
    }
    return c;
  }
  const Shape& normalized_shape() const { return shape_; }
  double eps() const { return eps_; }

 private:
  Shape shape_;
  double eps_;
};

/// Bilinear(in1, in2, out, bias = true): y = x1^T W x2 + b with weight
/// [out, in1, in2] and bias [out] from U(-1/sqrt(in1), 1/sqrt(in1)).
/// Called with two inputs: bil(x1, x2).
template <FloatingElement T = float>
class Bilinear : public Module<T> {
 public:
  Tensor<T> weight, bias;
  Bilinear(int64_t in1_features, int64_t in2_features, int64_t out_features, bool bias = true)
      : in1_(in1_features), in2_(in2_features), out_(out_features) {
    TAPEGRAD_CHECK(in1_features > 0 && in2_features > 0 && out_features > 0, ValueError,
                   "Bilinear: the feature sizes must be positive, got ", in1_features, ", ", in2_features, ", ",
                   out_features);
    weight = this->register_parameter("weight", empty<T>({out_features, in1_features, in2_features}));
    if (bias) this->bias = this->register_parameter("bias", empty<T>({out_features}));
    reset_parameters();
  }
  template <NullHandle N> explicit Bilinear(N) : Module<T>(nullptr), in1_(0), in2_(0), out_(0) {}
  template <FloatingElement U>
  explicit Bilinear(const Bilinear<U>& o)
      : Bilinear(o.in1_features(), o.in2_features(), o.out_features(), o.bias.defined()) {
    this->convert_from(o);
  }
  void reset_parameters() {
    const double bound = 1 / std::sqrt(static_cast<double>(in1_));
    init::uniform_(weight, -bound, bound);
    if (bias.defined()) init::uniform_(bias, -bound, bound);
  }
  /// x1: [..., in1], x2: [..., in2] -> [..., out].
  Tensor<T> forward(const Tensor<T>& x1, const Tensor<T>& x2) { return F::bilinear(x1, x2, weight, bias); }
  Tensor<T> operator()(const Tensor<T>& x1, const Tensor<T>& x2) { return forward(x1, x2); }
  Tensor<T> forward(const Tensor<T>& x) override {
    TAPEGRAD_CHECK(false, ValueError, "Bilinear: forward takes two inputs (x1, x2), got one of shape ", x.sizes());
    return x;
  }
  std::string name() const override { return "Bilinear"; }
  std::string extra_repr() const override {
    return "in1_features=" + std::to_string(in1_) + ", in2_features=" + std::to_string(in2_) +
           ", out_features=" + std::to_string(out_) + ", bias=" + (bias.defined() ? "True" : "False");
  }
  std::shared_ptr<Module<T>> clone() const override {
    auto c = this->clone_as(*this);
    c->weight = c->parameter("weight");
    if (bias.defined()) c->bias = c->parameter("bias");
    return c;
  }
  int64_t in1_features() const { return in1_; }
  int64_t in2_features() const { return in2_; }
  int64_t out_features() const { return out_; }

 private:
  int64_t in1_, in2_, out_;
};

/// Sequential(m0, m1, ...): applies the children in order; they are named
/// "0", "1", ... as in PyTorch, so parameter names read "1.weight".
template <FloatingElement T = float>
class Sequential : public Module<T> {
 public:
  Sequential() = default;
  /// From layer objects: Sequential(Flatten(), Linear(784, 256), ReLU(), ...).
  template <class... M>
    requires(sizeof...(M) > 0 && (std::derived_from<std::decay_t<M>, Module<T>> && ...) &&
             !(sizeof...(M) == 1 && (std::is_same_v<std::decay_t<M>, Sequential> && ...)))  // not a copy
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
  /// Append a module given by value (a handle sharing it).
  template <class M>
    requires std::derived_from<std::decay_t<M>, Module<T>>
  void push_back(M&& m) {
    push_back(std::static_pointer_cast<Module<T>>(std::make_shared<std::decay_t<M>>(std::forward<M>(m))));
  }
  std::shared_ptr<Module<T>> clone() const override { return this->clone_as(*this); }
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
                                         Flatten, Dropout, Sequential, ModuleList, ModuleDict, ParameterList,
                                         Unflatten, Embedding, LayerNorm, Bilinear, LeakyReLU, ELU, CELU, GELU,
                                         Softplus, Hardtanh, Softmin, Threshold, SELU, SiLU, Mish, Softsign, ReLU6,
                                         Hardsigmoid, Hardswish, LogSigmoid, PReLU>(*this))
    return out;
  if constexpr (std::is_same_v<U, float>) return to_float();
  else return to_double();
}

}  // namespace tapegrad::nn
