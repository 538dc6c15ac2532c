#pragma once
// Convolutional layers: Conv1d, Conv2d, ConvTranspose2d, the pooling layers,
// BatchNorm1d/2d, GroupNorm, InstanceNorm2d and Dropout2d, with PyTorch 1.13's
// arguments, defaults, initialisation, state_dict names and printed form; and
// their functional forms in F (F::conv2d, F::max_pool2d, F::batch_norm, ...).
//
// Note [Conv modules and to<U>()]: Module::to<U>() converts only the layers
// of layers.hpp (Note [Lazy dtype conversion]); the layers here have a
// converting constructor instead (`nn::Conv2d<double> d(conv)`), so that a
// float program does not compile the double convolution.
#include <cmath>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "../ops/conv.hpp"
#include "../ops/normalization.hpp"
#include "../ops/pad.hpp"
#include "../ops/pool.hpp"
#include "functional.hpp"
#include "init.hpp"
#include "module.hpp"

namespace tapegrad::nn {

namespace functional {
using tapegrad::adaptive_avg_pool2d;
using tapegrad::adaptive_max_pool2d;
using tapegrad::adaptive_max_pool2d_with_indices;
using tapegrad::avg_pool1d;
using tapegrad::avg_pool2d;
using tapegrad::batch_norm;
using tapegrad::conv1d;
using tapegrad::conv2d;
using tapegrad::conv_transpose2d;
using tapegrad::fold;
using tapegrad::group_norm;
using tapegrad::instance_norm;
using tapegrad::max_pool1d;
using tapegrad::max_pool1d_with_indices;
using tapegrad::max_pool2d;
using tapegrad::max_pool2d_with_indices;
using tapegrad::max_unpool2d;
using tapegrad::unfold;

/// dropout2d(x [N, C, *], p, training): zero whole channels (each (n, c) with
/// probability p) and scale the rest by 1 / (1 - p); identity when not training.
/// As PyTorch 1.13, a 3-D input is read as [N, C, L].
template <FloatingElement T>
Tensor<T> dropout2d(const Tensor<T>& x, double p = 0.5, bool training = true, Generator& gen = default_generator()) {
  TAPEGRAD_CHECK(p >= 0 && p <= 1, ValueError, "dropout2d: probability has to be between 0 and 1, but got ", p);
  TAPEGRAD_CHECK(x.dim() >= 2, ShapeError, "dropout2d: expected an input [N, C, *] of at least 2 dimensions, got input",
                 x.sizes());
  if (!training || p == 0) return x;
  Shape mask_shape(x.dim(), 1);
  mask_shape[0] = x.sizes()[0], mask_shape[1] = x.sizes()[1];
  auto mask = empty<T>(mask_shape);
  const T keep = static_cast<T>(1 - p), scale = p == 1 ? T(0) : static_cast<T>(1 / (1 - p));
  {
    NoGradGuard no_grad;
    mask.uniform_(0, 1, gen);
    tapegrad::detail::map1_<T>(mask, [=](T u) { return u < keep ? scale : T(0); }, "dropout2d");
  }
  return mul(x, mask);
}
}  // namespace functional

namespace detail {
// py_float (Python's repr of a float) is module.hpp's.
/// A module argument as PyTorch prints it: 2, or (2, 2) when given as a tuple.
template <int D>
std::string as_given(const ExpandingArray<D>& a) {
  std::ostringstream os;
  if (a.scalar) os << a[0];
  else os << a;
  return os.str();
}
template <int D>
std::string as_tuple(const ExpandingArray<D>& a) {
  std::ostringstream os;
  os << a;
  return os.str();
}
inline const char* py_bool(bool b) { return b ? "True" : "False"; }

}  // namespace detail

/// The shared part of Conv1d, Conv2d and ConvTranspose2d (PyTorch's _ConvNd).
template <FloatingElement T, int D, bool Transposed>
class ConvNd : public Module<T> {
 public:
  Tensor<T> weight;  // [out, in / groups, k...] ([in, out / groups, k...] when transposed)
  Tensor<T> bias;    // [out], undefined when bias = false

  int64_t in_channels() const { return in_; }
  int64_t out_channels() const { return out_; }
  const ExpandingArray<D>& kernel_size() const { return k_; }
  const ExpandingArray<D>& stride() const { return s_; }
  const ConvPadding<D>& padding() const { return p_; }
  const ExpandingArray<D>& dilation() const { return d_; }
  const ExpandingArray<D>& output_padding() const { return op_; }
  int64_t groups() const { return groups_; }
  const std::string& padding_mode() const { return mode_; }

  /// kaiming_uniform_(a = sqrt(5)) for the weight, U(-1/sqrt(fan_in), 1/sqrt(fan_in))
  /// for the bias, fan_in = weight.size(1) * prod(kernel_size), as PyTorch; drawn
  /// from gen (the default generator unless given), as nn::Linear.
  void reset_parameters(Generator& gen = default_generator()) {
    init::kaiming_uniform_(weight, std::sqrt(5.0), init::FanMode::fan_in, "leaky_relu", gen);
    if (bias.defined()) {
      int64_t fan_in = weight.sizes()[1];
      for (int i = 0; i < D; ++i) fan_in *= k_[i];
      const double bound = fan_in > 0 ? 1 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
      init::uniform_(bias, -bound, bound, gen);
    }
  }

  std::string extra_repr() const override {
    std::ostringstream os;
    os << in_ << ", " << out_ << ", kernel_size=" << k_ << ", stride=" << s_;
    if (p_.mode != ConvPadding<D>::Mode::explicit_) os << ", padding=" << (p_.mode == ConvPadding<D>::Mode::same ? "same" : "valid");
    else if (!p_.size.all(0)) os << ", padding=" << p_.size;
    if (!d_.all(1)) os << ", dilation=" << d_;
    if (!op_.all(0)) os << ", output_padding=" << op_;
    if (groups_ != 1) os << ", groups=" << groups_;
    if (!bias.defined()) os << ", bias=False";
    if (mode_ != "zeros") os << ", padding_mode=" << mode_;
    return os.str();
  }

 protected:
  /// An empty handle (`nn::Conv2d<> conv1{nullptr};`), to be assigned a layer.
  explicit ConvNd(std::nullptr_t)
      : Module<T>(nullptr), in_(0), out_(0), k_(0), s_(0), p_(0), d_(0), op_(0), groups_(0) {}
  ConvNd(const char* name, int64_t in, int64_t out, ExpandingArray<D> k, ExpandingArray<D> s, ConvPadding<D> p,
         ExpandingArray<D> d, ExpandingArray<D> op, int64_t groups, bool bias, std::string mode, Generator& gen)
      : in_(in), out_(out), k_(k), s_(s), p_(p), d_(d), op_(op), groups_(groups), mode_(std::move(mode)) {
    k_.scalar = s_.scalar = d_.scalar = op_.scalar = p_.size.scalar = false;  // printed as tuples
    TAPEGRAD_CHECK(groups > 0, ValueError, name, ": groups must be a positive integer, got ", groups);
    TAPEGRAD_CHECK(in > 0 && out > 0, ValueError, name, ": in_channels and out_channels must be positive, got ", in,
                   " and ", out);
    TAPEGRAD_CHECK(in % groups == 0, ValueError, name, ": in_channels must be divisible by groups, got ", in,
                   " and groups ", groups);
    TAPEGRAD_CHECK(out % groups == 0, ValueError, name, ": out_channels must be divisible by groups, got ", out,
                   " and groups ", groups);
    TAPEGRAD_CHECK(mode_ == "zeros" || mode_ == "reflect" || mode_ == "replicate" || mode_ == "circular", ValueError,
                   name, ": padding_mode must be one of ['zeros', 'reflect', 'replicate', 'circular'], but got "
                   "padding_mode='", mode_, "'");
    TAPEGRAD_CHECK(!k.any_below(1) && !s.any_below(1) && !d.any_below(1), ValueError, name,
                   ": kernel_size, stride and dilation must be positive, got kernel_size ", k, ", stride ", s,
                   ", dilation ", d);
    TAPEGRAD_CHECK(p.mode != ConvPadding<D>::Mode::same || s.all(1), ValueError, name,
                   ": padding='same' is not supported for strided convolutions");
    Shape wshape{Transposed ? in : out, (Transposed ? out : in) / groups};
    for (int i = 0; i < D; ++i) wshape.push_back(k[i]);
    weight = this->register_parameter("weight", empty<T>(wshape));
    if (bias) this->bias = this->register_parameter("bias", empty<T>({out}));
    reset_parameters(gen);
  }

  /// The input checked as the layer's: rank D + 1 or D + 2, in_channels channels.
  void check_input(const char* name, const Tensor<T>& x) const {
    TAPEGRAD_CHECK(x.dim() == D + 1 || x.dim() == D + 2, ShapeError, name, ": expected a ", D + 1, "-D (unbatched) or ",
                   D + 2, "-D (batched) input, got input", x.sizes());
    const int64_t c = x.sizes()[x.dim() == D + 2 ? 1 : 0];
    TAPEGRAD_CHECK(c == in_, ShapeError, name, ": expected input", x.sizes(), " to have ", in_,
                   in_ == 1 ? " channel" : " channels", ", got ", c);
  }
  /// x padded by padding_mode (not zeros), and the padding left for the convolution.
  Tensor<T> pad_input(const Tensor<T>& x, ConvPadding<D>& conv_padding) const {
    conv_padding = p_;
    if (mode_ == "zeros" || p_.mode == ConvPadding<D>::Mode::valid) return x;
    std::vector<int64_t> pads;  // F.pad's order: last dim first
    for (int i = D - 1; i >= 0; --i) {
      int64_t lo = p_.size[i], hi = lo;
      if (p_.mode == ConvPadding<D>::Mode::same) {
        const int64_t total = d_[i] * (k_[i] - 1);
        lo = total / 2, hi = total - lo;
      }
      pads.push_back(lo), pads.push_back(hi);
    }
    conv_padding = ConvPadding<D>(0);
    // circular padding takes only a batched input in PyTorch 1.13 (a bug its
    // convolutions hit on unbatched input, fixed in 2.0): pad a batch of one
    if (x.dim() == D + 1) return tapegrad::pad(x.unsqueeze(0), pads, mode_).squeeze(0);
    return tapegrad::pad(x, pads, mode_);
  }

  int64_t in_, out_;
  ExpandingArray<D> k_, s_;
  ConvPadding<D> p_;
  ExpandingArray<D> d_, op_;
  int64_t groups_;
  std::string mode_;
};

/// Conv2d(in, out, kernel_size, stride, padding, dilation, groups, bias, padding_mode, gen):
/// x [N, in, H, W] or [in, H, W] -> [N, out, OH, OW] (F::conv2d). Every layer here
/// draws its initial parameters from gen, the default generator unless given.
template <FloatingElement T = float>
class Conv2d : public ConvNd<T, 2, false> {
 public:
  template <NullHandle N> explicit Conv2d(N) : ConvNd<T, 2, false>(nullptr) {}
  Conv2d(int64_t in_channels, int64_t out_channels, ExpandingArray<2> kernel_size, ExpandingArray<2> stride = 1,
         ConvPadding<2> padding = 0, ExpandingArray<2> dilation = 1, int64_t groups = 1, bool bias = true,
         std::string padding_mode = "zeros", Generator& gen = default_generator())
      : ConvNd<T, 2, false>("Conv2d", in_channels, out_channels, kernel_size, stride, padding, dilation, 0, groups,
                            bias, std::move(padding_mode), gen) {}
  template <FloatingElement U>
  explicit Conv2d(const Conv2d<U>& o)
      : Conv2d(o.in_channels(), o.out_channels(), o.kernel_size(), o.stride(), o.padding(), o.dilation(), o.groups(),
               o.bias.defined(), o.padding_mode()) {
    this->convert_from(o);
  }
  Tensor<T> forward(const Tensor<T>& x) override {
    this->check_input("Conv2d", x);
    ConvPadding<2> p = 0;
    const Tensor<T> xp = this->pad_input(x, p);
    return tapegrad::conv2d(xp, this->weight, this->bias, this->s_, p, this->d_, this->groups_);
  }
  std::string name() const override { return "Conv2d"; }
};

/// Conv1d(in, out, kernel_size, ...): x [N, in, L] or [in, L] -> [N, out, OL] (F::conv1d).
template <FloatingElement T = float>
class Conv1d : public ConvNd<T, 1, false> {
 public:
  template <NullHandle N> explicit Conv1d(N) : ConvNd<T, 1, false>(nullptr) {}
  Conv1d(int64_t in_channels, int64_t out_channels, ExpandingArray<1> kernel_size, ExpandingArray<1> stride = 1,
         ConvPadding<1> padding = 0, ExpandingArray<1> dilation = 1, int64_t groups = 1, bool bias = true,
         std::string padding_mode = "zeros", Generator& gen = default_generator())
      : ConvNd<T, 1, false>("Conv1d", in_channels, out_channels, kernel_size, stride, padding, dilation, 0, groups,
                            bias, std::move(padding_mode), gen) {}
  template <FloatingElement U>
  explicit Conv1d(const Conv1d<U>& o)
      : Conv1d(o.in_channels(), o.out_channels(), o.kernel_size(), o.stride(), o.padding(), o.dilation(), o.groups(),
               o.bias.defined(), o.padding_mode()) {
    this->convert_from(o);
  }
  Tensor<T> forward(const Tensor<T>& x) override {
    this->check_input("Conv1d", x);
    ConvPadding<1> p = 0;
    const Tensor<T> xp = this->pad_input(x, p);
    return tapegrad::conv1d(xp, this->weight, this->bias, this->s_, p, this->d_, this->groups_);
  }
  std::string name() const override { return "Conv1d"; }
};

/// ConvTranspose2d(in, out, kernel_size, stride, padding, output_padding, groups, bias,
/// dilation, padding_mode, gen): x [N, in, H, W] -> [N, out, OH, OW] (F::conv_transpose2d); weight
/// [in, out / groups, kH, kW]. Only padding_mode zeros, as PyTorch.
template <FloatingElement T = float>
class ConvTranspose2d : public ConvNd<T, 2, true> {
 public:
  template <NullHandle N> explicit ConvTranspose2d(N) : ConvNd<T, 2, true>(nullptr) {}
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, ExpandingArray<2> kernel_size,
                  ExpandingArray<2> stride = 1, ExpandingArray<2> padding = 0, ExpandingArray<2> output_padding = 0,
                  int64_t groups = 1, bool bias = true, ExpandingArray<2> dilation = 1,
                  std::string padding_mode = "zeros", Generator& gen = default_generator())
      : ConvNd<T, 2, true>("ConvTranspose2d", in_channels, out_channels, kernel_size, stride,
                           ConvPadding<2>({padding[0], padding[1]}), dilation, output_padding, groups, bias,
                           padding_mode, gen) {
    TAPEGRAD_CHECK(padding_mode == "zeros", ValueError,
                   "ConvTranspose2d: only \"zeros\" padding mode is supported, got '", padding_mode, "'");
  }
  template <FloatingElement U>
  explicit ConvTranspose2d(const ConvTranspose2d<U>& o)
      : ConvTranspose2d(o.in_channels(), o.out_channels(), o.kernel_size(), o.stride(),
                        ExpandingArray<2>{o.padding().size[0], o.padding().size[1]}, o.output_padding(), o.groups(),
                        o.bias.defined(), o.dilation()) {
    this->convert_from(o);
  }
  Tensor<T> forward(const Tensor<T>& x) override {
    this->check_input("ConvTranspose2d", x);
    return tapegrad::conv_transpose2d(x, this->weight, this->bias, this->s_,
                                      ExpandingArray<2>{this->p_.size[0], this->p_.size[1]}, this->op_, this->groups_,
                                      this->d_);
  }
  std::string name() const override { return "ConvTranspose2d"; }
};

/// MaxPool2d(kernel_size, stride = kernel_size, padding, dilation, return_indices, ceil_mode).
/// forward gives the values; forward_with_indices also the indices (for MaxUnpool2d).
template <FloatingElement T = float>
class MaxPool2d : public Module<T> {
 public:
  explicit MaxPool2d(ExpandingArray<2> kernel_size, ExpandingArray<2> stride = ExpandingArray<2>::none(),
                     ExpandingArray<2> padding = 0, ExpandingArray<2> dilation = 1, bool return_indices = false,
                     bool ceil_mode = false)
      : k_(kernel_size), s_(stride.or_else(kernel_size)), p_(padding), d_(dilation), ri_(return_indices),
        ceil_(ceil_mode) {}
  template <FloatingElement U>
  explicit MaxPool2d(const MaxPool2d<U>& o)
      : k_(o.kernel_size()), s_(o.stride()), p_(o.padding()), d_(o.dilation()), ri_(o.return_indices()),
        ceil_(o.ceil_mode()) {
    this->convert_from(o);
  }
  Tensor<T> forward(const Tensor<T>& x) override { return tapegrad::max_pool2d(x, k_, s_, p_, d_, ceil_); }
  std::tuple<Tensor<T>, Tensor<int64_t>> forward_with_indices(const Tensor<T>& x) {
    return tapegrad::max_pool2d_with_indices(x, k_, s_, p_, d_, ceil_);
  }
  std::string name() const override { return "MaxPool2d"; }
  std::string extra_repr() const override {
    return "kernel_size=" + detail::as_given(k_) + ", stride=" + detail::as_given(s_) + ", padding=" +
           detail::as_given(p_) + ", dilation=" + detail::as_given(d_) + ", ceil_mode=" + detail::py_bool(ceil_);
  }
  const ExpandingArray<2>& kernel_size() const { return k_; }
  const ExpandingArray<2>& stride() const { return s_; }
  const ExpandingArray<2>& padding() const { return p_; }
  const ExpandingArray<2>& dilation() const { return d_; }
  bool return_indices() const { return ri_; }
  bool ceil_mode() const { return ceil_; }

 private:
  ExpandingArray<2> k_, s_, p_, d_;
  bool ri_, ceil_;
};

/// MaxPool1d(kernel_size, stride = kernel_size, padding, dilation, return_indices, ceil_mode).
template <FloatingElement T = float>
class MaxPool1d : public Module<T> {
 public:
  explicit MaxPool1d(ExpandingArray<1> kernel_size, ExpandingArray<1> stride = ExpandingArray<1>::none(),
                     ExpandingArray<1> padding = 0, ExpandingArray<1> dilation = 1, bool return_indices = false,
                     bool ceil_mode = false)
      : k_(kernel_size), s_(stride.or_else(kernel_size)), p_(padding), d_(dilation), ri_(return_indices),
        ceil_(ceil_mode) {}
  template <FloatingElement U>
  explicit MaxPool1d(const MaxPool1d<U>& o)
      : k_(o.kernel_size()), s_(o.stride()), p_(o.padding()), d_(o.dilation()), ri_(o.return_indices()),
        ceil_(o.ceil_mode()) {
    this->convert_from(o);
  }
  Tensor<T> forward(const Tensor<T>& x) override { return tapegrad::max_pool1d(x, k_, s_, p_, d_, ceil_); }
  std::tuple<Tensor<T>, Tensor<int64_t>> forward_with_indices(const Tensor<T>& x) {
    return tapegrad::max_pool1d_with_indices(x, k_, s_, p_, d_, ceil_);
  }
  std::string name() const override { return "MaxPool1d"; }
  std::string extra_repr() const override {
    return "kernel_size=" + detail::as_given(k_) + ", stride=" + detail::as_given(s_) + ", padding=" +
           detail::as_given(p_) + ", dilation=" + detail::as_given(d_) + ", ceil_mode=" + detail::py_bool(ceil_);
  }
  const ExpandingArray<1>& kernel_size() const { return k_; }
  const ExpandingArray<1>& stride() const { return s_; }
  const ExpandingArray<1>& padding() const { return p_; }
  const ExpandingArray<1>& dilation() const { return d_; }
  bool return_indices() const { return ri_; }
  bool ceil_mode() const { return ceil_; }

 private:
  ExpandingArray<1> k_, s_, p_, d_;
  bool ri_, ceil_;
};

/// MaxUnpool2d(kernel_size, stride = kernel_size, padding): forward(x, indices[, output_size]).
template <FloatingElement T = float>
class MaxUnpool2d : public Module<T> {
 public:
  explicit MaxUnpool2d(ExpandingArray<2> kernel_size, ExpandingArray<2> stride = ExpandingArray<2>::none(),
                       ExpandingArray<2> padding = 0)
      : k_(kernel_size), s_(stride.or_else(kernel_size)), p_(padding) {}
  template <FloatingElement U>
  explicit MaxUnpool2d(const MaxUnpool2d<U>& o) : k_(o.kernel_size()), s_(o.stride()), p_(o.padding()) {
    this->convert_from(o);
  }
  /// Refused: unpooling needs the indices (forward(x, indices)).
  Tensor<T> forward(const Tensor<T>& x) override {
    tapegrad::detail::throw_error<ValueError>("MaxUnpool2d: forward needs the indices of the max pooling, "
                                              "call forward(input, indices), got only input", x.sizes());
  }
  Tensor<T> forward(const Tensor<T>& x, const Tensor<int64_t>& indices,
                    std::optional<Shape> output_size = std::nullopt) {
    return tapegrad::max_unpool2d(x, indices, k_, s_, p_, std::move(output_size));
  }
  using Module<T>::operator();
  Tensor<T> operator()(const Tensor<T>& x, const Tensor<int64_t>& indices,
                       std::optional<Shape> output_size = std::nullopt) {
    return forward(x, indices, std::move(output_size));
  }
  std::string name() const override { return "MaxUnpool2d"; }
  std::string extra_repr() const override {
    return "kernel_size=" + detail::as_tuple(k_) + ", stride=" + detail::as_tuple(s_) + ", padding=" +
           detail::as_tuple(p_);
  }
  const ExpandingArray<2>& kernel_size() const { return k_; }
  const ExpandingArray<2>& stride() const { return s_; }
  const ExpandingArray<2>& padding() const { return p_; }

 private:
  ExpandingArray<2> k_, s_, p_;
};

/// AvgPool2d(kernel_size, stride = kernel_size, padding, ceil_mode, count_include_pad,
/// divisor_override).
template <FloatingElement T = float>
class AvgPool2d : public Module<T> {
 public:
  explicit AvgPool2d(ExpandingArray<2> kernel_size, ExpandingArray<2> stride = ExpandingArray<2>::none(),
                     ExpandingArray<2> padding = 0, bool ceil_mode = false, bool count_include_pad = true,
                     std::optional<int64_t> divisor_override = std::nullopt)
      : k_(kernel_size), s_(stride.or_else(kernel_size)), p_(padding), ceil_(ceil_mode), cip_(count_include_pad),
        div_(divisor_override) {}
  template <FloatingElement U>
  explicit AvgPool2d(const AvgPool2d<U>& o)
      : k_(o.kernel_size()), s_(o.stride()), p_(o.padding()), ceil_(o.ceil_mode()), cip_(o.count_include_pad()),
        div_(o.divisor_override()) {
    this->convert_from(o);
  }
  Tensor<T> forward(const Tensor<T>& x) override { return tapegrad::avg_pool2d(x, k_, s_, p_, ceil_, cip_, div_); }
  std::string name() const override { return "AvgPool2d"; }
  std::string extra_repr() const override {
    return "kernel_size=" + detail::as_given(k_) + ", stride=" + detail::as_given(s_) + ", padding=" +
           detail::as_given(p_);
  }
  const ExpandingArray<2>& kernel_size() const { return k_; }
  const ExpandingArray<2>& stride() const { return s_; }
  const ExpandingArray<2>& padding() const { return p_; }
  bool ceil_mode() const { return ceil_; }
  bool count_include_pad() const { return cip_; }
  std::optional<int64_t> divisor_override() const { return div_; }

 private:
  ExpandingArray<2> k_, s_, p_;
  bool ceil_, cip_;
  std::optional<int64_t> div_;
};

/// AvgPool1d(kernel_size, stride = kernel_size, padding, ceil_mode, count_include_pad).
template <FloatingElement T = float>
class AvgPool1d : public Module<T> {
 public:
  explicit AvgPool1d(ExpandingArray<1> kernel_size, ExpandingArray<1> stride = ExpandingArray<1>::none(),
                     ExpandingArray<1> padding = 0, bool ceil_mode = false, bool count_include_pad = true)
      : k_(kernel_size), s_(stride.or_else(kernel_size)), p_(padding), ceil_(ceil_mode), cip_(count_include_pad) {}
  template <FloatingElement U>
  explicit AvgPool1d(const AvgPool1d<U>& o)
      : k_(o.kernel_size()), s_(o.stride()), p_(o.padding()), ceil_(o.ceil_mode()), cip_(o.count_include_pad()) {
    this->convert_from(o);
  }
  Tensor<T> forward(const Tensor<T>& x) override { return tapegrad::avg_pool1d(x, k_, s_, p_, ceil_, cip_); }
  std::string name() const override { return "AvgPool1d"; }
  std::string extra_repr() const override {  // PyTorch prints AvgPool1d's arguments as 1-tuples
    return "kernel_size=" + detail::as_tuple(k_) + ", stride=" + detail::as_tuple(s_) + ", padding=" +
           detail::as_tuple(p_);
  }
  const ExpandingArray<1>& kernel_size() const { return k_; }
  const ExpandingArray<1>& stride() const { return s_; }
  const ExpandingArray<1>& padding() const { return p_; }
  bool ceil_mode() const { return ceil_; }
  bool count_include_pad() const { return cip_; }

 private:
  ExpandingArray<1> k_, s_, p_;
  bool ceil_, cip_;
};

/// AdaptiveAvgPool2d(output_size) / AdaptiveMaxPool2d(output_size): x [N, C, H, W] -> [N, C, oh, ow].
template <FloatingElement T, bool Max>
class AdaptivePool2d : public Module<T> {
 public:
  explicit AdaptivePool2d(ExpandingArray<2> output_size) : o_(output_size) {}
  Tensor<T> forward(const Tensor<T>& x) override {
    return Max ? tapegrad::adaptive_max_pool2d(x, o_) : tapegrad::adaptive_avg_pool2d(x, o_);
  }
  std::string name() const override { return Max ? "AdaptiveMaxPool2d" : "AdaptiveAvgPool2d"; }
  std::string extra_repr() const override { return "output_size=" + detail::as_given(o_); }
  const ExpandingArray<2>& output_size() const { return o_; }

 private:
  ExpandingArray<2> o_;
};
template <FloatingElement T = float>
class AdaptiveAvgPool2d : public AdaptivePool2d<T, false> {
 public:
  using AdaptivePool2d<T, false>::AdaptivePool2d;
  template <FloatingElement U>
  explicit AdaptiveAvgPool2d(const AdaptiveAvgPool2d<U>& o) : AdaptivePool2d<T, false>(o.output_size()) {
    this->convert_from(o);
  }
};
template <FloatingElement T = float>
class AdaptiveMaxPool2d : public AdaptivePool2d<T, true> {
 public:
  using AdaptivePool2d<T, true>::AdaptivePool2d;
  template <FloatingElement U>
  explicit AdaptiveMaxPool2d(const AdaptiveMaxPool2d<U>& o) : AdaptivePool2d<T, true>(o.output_size()) {
    this->convert_from(o);
  }
};

/// The shared part of BatchNorm1d/2d and InstanceNorm2d (PyTorch's _NormBase):
/// weight (ones) and bias (zeros) when affine; buffers running_mean (zeros),
/// running_var (ones) and num_batches_tracked (0) when track_running_stats.
// Note [num_batches_tracked dtype]: Module's buffers are Tensor<T>, so
// num_batches_tracked is a 0-d float or double here where PyTorch's is
// int64; nn::load converts PyTorch's int64 into it, and PyTorch's
// load_state_dict converts ours back.
template <FloatingElement T>
class NormBase : public Module<T> {
 public:
  Tensor<T> weight, bias, running_mean, running_var, num_batches_tracked;

  int64_t num_features() const { return c_; }
  double eps() const { return eps_; }
  std::optional<double> momentum() const { return momentum_; }
  bool affine() const { return affine_; }
  bool track_running_stats() const { return track_; }

  void reset_running_stats() {
    if (!track_) return;
    NoGradGuard no_grad;
    running_mean.zero_(), running_var.fill_(T(1)), num_batches_tracked.zero_();
  }
  std::string extra_repr() const override {
    std::ostringstream os;
    os << c_ << ", eps=" << detail::py_float(eps_)
       << ", momentum=" << (momentum_ ? detail::py_float(*momentum_) : std::string("None"))
       << ", affine=" << detail::py_bool(affine_) << ", track_running_stats=" << detail::py_bool(track_);
    return os.str();
  }

 protected:
  NormBase(const char* name, int64_t num_features, double eps, std::optional<double> momentum, bool affine,
           bool track_running_stats)
      : c_(num_features), eps_(eps), momentum_(momentum), affine_(affine), track_(track_running_stats) {
    TAPEGRAD_CHECK(num_features > 0, ValueError, name, ": num_features must be positive, got ", num_features);
    if (affine) {
      weight = this->register_parameter("weight", ones<T>({c_}));
      bias = this->register_parameter("bias", zeros<T>({c_}));
    }
    if (track_running_stats) {
      running_mean = this->register_buffer("running_mean", zeros<T>({c_}));
      running_var = this->register_buffer("running_var", ones<T>({c_}));
      num_batches_tracked = this->register_buffer("num_batches_tracked", zeros<T>({}));
    }
  }
  /// The momentum of this training step (1 / num_batches_tracked for the
  /// cumulative average of momentum None), after counting the step.
  double step_momentum() {
    if (!(this->is_training() && track_)) return momentum_.value_or(0.0);
    NoGradGuard no_grad;
    num_batches_tracked.add_(T(1));
    return momentum_ ? *momentum_ : 1.0 / static_cast<double>(num_batches_tracked.item());
  }
  void check_channels(const char* name, const Tensor<T>& x, int64_t channel_dim) const {
    TAPEGRAD_CHECK(x.sizes()[channel_dim] == c_, ShapeError, name, ": expected input", x.sizes(), " to have ", c_,
                   c_ == 1 ? " channel" : " channels", ", got ", x.sizes()[channel_dim]);
  }

  int64_t c_;
  double eps_;
  std::optional<double> momentum_;
  bool affine_, track_;
};

/// BatchNorm over the channels of [N, C] / [N, C, L] (D = 1) or [N, C, H, W] (D = 2).
template <FloatingElement T, int D>
class BatchNormNd : public NormBase<T> {
 public:
  Tensor<T> forward(const Tensor<T>& x) override {
    const char* nm = D == 1 ? "BatchNorm1d" : "BatchNorm2d";
    if (D == 1)
      TAPEGRAD_CHECK(x.dim() == 2 || x.dim() == 3, ShapeError, nm, ": expected a 2-D or 3-D input, got input",
                     x.sizes());
    else
      TAPEGRAD_CHECK(x.dim() == 4, ShapeError, nm, ": expected a 4-D input, got input", x.sizes());
    this->check_channels(nm, x, 1);
    const double m = this->step_momentum();
    // batch statistics in training, or when there are no running ones (which
    // are then undefined and not updated)
    return tapegrad::batch_norm(x, this->running_mean, this->running_var, this->weight, this->bias,
                                this->is_training() || !this->track_, m, this->eps_);
  }
  std::string name() const override { return D == 1 ? "BatchNorm1d" : "BatchNorm2d"; }

 protected:
  BatchNormNd(int64_t num_features, double eps, std::optional<double> momentum, bool affine, bool track)
      : NormBase<T>(D == 1 ? "BatchNorm1d" : "BatchNorm2d", num_features, eps, momentum, affine, track) {}
};

/// BatchNorm2d(num_features, eps, momentum (nullopt: cumulative average), affine,
/// track_running_stats): x [N, C, H, W].
template <FloatingElement T = float>
class BatchNorm2d : public BatchNormNd<T, 2> {
 public:
  explicit BatchNorm2d(int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,
                       bool affine = true, bool track_running_stats = true)
      : BatchNormNd<T, 2>(num_features, eps, momentum, affine, track_running_stats) {}
  template <FloatingElement U>
  explicit BatchNorm2d(const BatchNorm2d<U>& o)
      : BatchNorm2d(o.num_features(), o.eps(), o.momentum(), o.affine(), o.track_running_stats()) {
    this->convert_from(o);
  }
};

/// BatchNorm1d(num_features, ...): x [N, C] or [N, C, L].
template <FloatingElement T = float>
class BatchNorm1d : public BatchNormNd<T, 1> {
 public:
  explicit BatchNorm1d(int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,
                       bool affine = true, bool track_running_stats = true)
      : BatchNormNd<T, 1>(num_features, eps, momentum, affine, track_running_stats) {}
  template <FloatingElement U>
  explicit BatchNorm1d(const BatchNorm1d<U>& o)
      : BatchNorm1d(o.num_features(), o.eps(), o.momentum(), o.affine(), o.track_running_stats()) {
    this->convert_from(o);
  }
};

/// InstanceNorm2d(num_features, eps, momentum, affine = false, track_running_stats = false):
/// x [N, C, H, W] or [C, H, W], each (sample, channel) plane normalized.
template <FloatingElement T = float>
class InstanceNorm2d : public NormBase<T> {
 public:
  explicit InstanceNorm2d(int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,
                          bool affine = false, bool track_running_stats = false)
      : NormBase<T>("InstanceNorm2d", num_features, eps, momentum, affine, track_running_stats) {}
  template <FloatingElement U>
  explicit InstanceNorm2d(const InstanceNorm2d<U>& o)
      : InstanceNorm2d(o.num_features(), o.eps(), o.momentum(), o.affine(), o.track_running_stats()) {
    this->convert_from(o);
  }
  Tensor<T> forward(const Tensor<T>& x) override {
    TAPEGRAD_CHECK(x.dim() == 3 || x.dim() == 4, ShapeError,
                   "InstanceNorm2d: expected a 3-D (unbatched) or 4-D (batched) input, got input", x.sizes());
    this->check_channels("InstanceNorm2d", x, x.dim() - 3);
    const double m = this->momentum_.value_or(0.0);  // PyTorch's InstanceNorm counts no batches
    const Tensor<T> xb = x.dim() == 3 ? x.unsqueeze(0) : x;
    auto y = tapegrad::instance_norm(xb, this->running_mean, this->running_var, this->weight, this->bias,
                                     this->is_training() || !this->track_, m, this->eps_);
    return x.dim() == 3 ? y.squeeze(0) : y;
  }
  std::string name() const override { return "InstanceNorm2d"; }
};

/// GroupNorm(num_groups, num_channels, eps, affine): x [N, C, *].
template <FloatingElement T = float>
class GroupNorm : public Module<T> {
 public:
  Tensor<T> weight, bias;
  GroupNorm(int64_t num_groups, int64_t num_channels, double eps = 1e-5, bool affine = true)
      : g_(num_groups), c_(num_channels), eps_(eps), affine_(affine) {
    TAPEGRAD_CHECK(num_groups > 0 && num_channels % num_groups == 0, ValueError,
                   "GroupNorm: num_channels must be divisible by num_groups, got ", num_channels, " and ", num_groups);
    if (affine) {
      weight = this->register_parameter("weight", ones<T>({c_}));
      bias = this->register_parameter("bias", zeros<T>({c_}));
    }
  }
  template <FloatingElement U>
  explicit GroupNorm(const GroupNorm<U>& o) : GroupNorm(o.num_groups(), o.num_channels(), o.eps(), o.affine()) {
    this->convert_from(o);
  }
  Tensor<T> forward(const Tensor<T>& x) override {
    TAPEGRAD_CHECK(x.dim() >= 2 && x.sizes()[1] == c_, ShapeError, "GroupNorm: expected input[N, ", c_,
                   ", *], got input", x.sizes());
    return tapegrad::group_norm(x, g_, weight, bias, eps_);
  }
  std::string name() const override { return "GroupNorm"; }
  std::string extra_repr() const override {
    return std::to_string(g_) + ", " + std::to_string(c_) + ", eps=" + detail::py_float(eps_) +
           ", affine=" + detail::py_bool(affine_);
  }
  int64_t num_groups() const { return g_; }
  int64_t num_channels() const { return c_; }
  double eps() const { return eps_; }
  bool affine() const { return affine_; }

 private:
  int64_t g_, c_;
  double eps_;
  bool affine_;
};

/// Dropout2d(p): in train mode zero whole channels with probability p (F::dropout2d).
template <FloatingElement T = float>
class Dropout2d : public Module<T> {
 public:
  explicit Dropout2d(double p = 0.5) : p_(p) {
    TAPEGRAD_CHECK(p >= 0 && p <= 1, ValueError, "Dropout2d: probability has to be between 0 and 1, but got ", p);
  }
  template <FloatingElement U>
  explicit Dropout2d(const Dropout2d<U>& o) : p_(o.p()) { this->convert_from(o); }
  Tensor<T> forward(const Tensor<T>& x) override { return F::dropout2d(x, p_, this->is_training()); }
  std::string name() const override { return "Dropout2d"; }
  std::string extra_repr() const override { return "p=" + detail::py_float(p_) + ", inplace=False"; }
  double p() const { return p_; }

 private:
  double p_;
};

}  // namespace tapegrad::nn
