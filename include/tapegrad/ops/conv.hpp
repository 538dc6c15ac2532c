#pragma once
// Convolutions with PyTorch's semantics on NCHW tensors: conv1d, conv2d,
// conv_transpose2d (stride, padding incl. "same"/"valid", dilation, groups,
// bias), and unfold / fold (im2col as an op). Forward and backward run on
// kernels/conv.hpp (Note [Convolution as GEMM]).
#include <array>
#include <initializer_list>
#include <ostream>
#include <string_view>
#include <vector>

#include "../kernels/conv.hpp"
#include "elementwise.hpp"
#include "shape.hpp"

namespace tapegrad {

/// An int or a D-tuple of ints, as PyTorch's _pair / LibTorch's
/// ExpandingArray: `2` means (2, 2). Remembers which was given, for printing
/// modules as PyTorch does (`kernel_size=2` vs `kernel_size=(2, 2)`).
template <int D>
struct ExpandingArray {
  std::array<int64_t, D> v{};
  bool scalar = false;
  bool is_none = false;  // PyTorch's None (a pooling's default stride)
  ExpandingArray(int64_t x) : scalar(true) { v.fill(x); }  // NOLINT: implicit, as in PyTorch
  ExpandingArray(std::initializer_list<int64_t> xs) {
    TAPEGRAD_CHECK(static_cast<int>(xs.size()) == D, ValueError, "expected ", D, " values, got ", xs.size());
    std::copy(xs.begin(), xs.end(), v.begin());
  }
  static ExpandingArray none() {
    ExpandingArray a(0);
    a.is_none = true;
    return a;
  }
  /// This, or `fallback` when this is none().
  ExpandingArray or_else(const ExpandingArray& fallback) const { return is_none ? fallback : *this; }
  int64_t operator[](int i) const { return v[static_cast<size_t>(i)]; }
  bool all(int64_t x) const { return std::all_of(v.begin(), v.end(), [x](int64_t e) { return e == x; }); }
  bool any_below(int64_t x) const { return std::any_of(v.begin(), v.end(), [x](int64_t e) { return e < x; }); }
  /// PyTorch's tuple form: (2, 2), (3,).
  friend std::ostream& operator<<(std::ostream& os, const ExpandingArray& a) {
    os << '(';
    for (int i = 0; i < D; ++i) os << (i ? ", " : "") << a.v[static_cast<size_t>(i)];
    return os << (D == 1 ? ",)" : ")");
  }
};

/// A convolution's padding: an int, a D-tuple, or "same" / "valid".
template <int D>
struct ConvPadding {
  enum class Mode { explicit_, same, valid };
  ExpandingArray<D> size{0};
  Mode mode = Mode::explicit_;
  ConvPadding(int64_t p) : size(p) {}  // NOLINT
  ConvPadding(std::initializer_list<int64_t> p) : size(p) {}  // NOLINT
  explicit ConvPadding(std::string_view s) : size(0) {
    TAPEGRAD_CHECK(s == "same" || s == "valid", ValueError, "Invalid padding string '", s,
                   "', should be one of {'valid', 'same'}");
    mode = s == "same" ? Mode::same : Mode::valid;
  }
  // a literal "same" binds here exactly (a const char* overload would make
  // a literal 0 ambiguous with the int one)
  template <size_t N>
  ConvPadding(const char (&s)[N]) : ConvPadding(std::string_view(s, N - 1)) {}  // NOLINT
};

namespace detail {

/// "[8, 3, 32, 32]" for messages.
inline std::string dims(const Shape& s) {
  std::ostringstream os;
  os << s;
  return os.str();
}

// The checks every convolution shares; `in_channels` is what the weight expects.
template <FloatingElement T>
void check_conv_common(const char* op, int dims_spatial, const Tensor<T>& x, const Tensor<T>& w,
                       const Tensor<T>& b, int64_t groups, const std::array<int64_t, 2>& stride,
                       const std::array<int64_t, 2>& dilation, bool transposed) {
  const int64_t batched = dims_spatial + 2;
  TAPEGRAD_CHECK(x.dim() == batched || x.dim() == batched - 1, ShapeError, op, ": expected a ", batched - 1,
                 "-D (unbatched) or ", batched, "-D (batched) input, got input", x.sizes());
  TAPEGRAD_CHECK(w.dim() == batched, ShapeError, op, ": expected a ", batched, "-D weight ",
                 transposed ? "[in_channels, out_channels / groups, " : "[out_channels, in_channels / groups, ",
                 dims_spatial == 2 ? "kH, kW]" : "kL]", ", got weight", w.sizes());
  TAPEGRAD_CHECK(groups > 0, ValueError, op, ": non-positive groups is not supported, got ", groups);
  for (int d = 0; d < 2; ++d) {
    TAPEGRAD_CHECK(stride[d] > 0, ValueError, op, ": stride must be positive, got ", stride[d]);
    TAPEGRAD_CHECK(dilation[d] > 0, ValueError, op, ": dilation must be positive, got ", dilation[d]);
  }
  const int64_t c = x.sizes()[x.dim() == batched ? 1 : 0];
  if (!transposed) {
    TAPEGRAD_CHECK(w.sizes()[0] % groups == 0, ValueError, op, ": out_channels (weight", w.sizes(),
                   ") must be divisible by groups (", groups, ")");
    const int64_t want = w.sizes()[1] * groups;
    TAPEGRAD_CHECK(c == want, ShapeError, op, ": expected input", x.sizes(), " to have ", want,
                   want == 1 ? " channel" : " channels", " (weight", w.sizes(), ", groups ", groups, "), got ", c);
  } else {
    TAPEGRAD_CHECK(c == w.sizes()[0], ShapeError, op, ": expected input", x.sizes(), " to have ", w.sizes()[0],
                   w.sizes()[0] == 1 ? " channel" : " channels", " (weight", w.sizes(), "), got ", c);
    TAPEGRAD_CHECK(c % groups == 0, ValueError, op, ": in_channels (weight", w.sizes(),
                   ") must be divisible by groups (", groups, ")");
  }
  const int64_t out_c = transposed ? w.sizes()[1] * groups : w.sizes()[0];
  if (b.defined())
    TAPEGRAD_CHECK(b.dim() == 1 && b.sizes()[0] == out_c, ShapeError, op, ": expected bias [", out_c,
                   "], got bias", b.sizes());
}

/// x's data as contiguous memory (x itself when it is; a copy otherwise), not recorded.
template <FloatingElement T>
Tensor<T> contiguous_data(const Tensor<T>& x) {
  return x.is_contiguous() ? x.detach() : copy_of(x.detach());
}

// Note [Convolution record]: every convolution (1-D, 2-D, transposed) is one
// ConvolutionBackward record over (input, weight, bias) whose backward calls
// the kernels on the saved input and weight; 1-D and unbatched inputs are
// reshaped as raw memory, not through recorded views.

/// The convolution of g on x (any [n, c, h, w]-compatible layout of n * c * h * w
/// elements) with weight w and bias b, as a tensor of out_shape. transposed:
/// x is g's output side and the result its input side (conv_transpose2d).
template <FloatingElement T>
Tensor<T> convolution(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b, const kernels::ConvGeometry& g,
                      bool transposed, const Shape& out_shape) {
  const Tensor<T> xd = contiguous_data(x), wd = contiguous_data(w);
  const Tensor<T> bd = b.defined() ? contiguous_data(b) : Tensor<T>();
  auto out = make_empty<T>(out_shape);
  if (!transposed) {
    auto work = make_empty<T>({kernels::conv2d_workspace(g)});
    kernels::conv2d_forward<T>(g, xd.data_ptr(), wd.data_ptr(), b.defined() ? bd.data_ptr() : nullptr,
                               out.data_ptr(), work.data_ptr());
  } else {
    auto work = make_empty<T>({kernels::conv2d_workspace(g)});
    if (g.n > 0) kernels::conv2d_backward_input<T>(g, xd.data_ptr(), wd.data_ptr(), out.data_ptr(), work.data_ptr());
    if (b.defined() && out.numel() > 0) {
      const int64_t plane = g.in_plane();
      T* o = out.data_ptr();
      for (int64_t s = 0; s < g.n; ++s)
        for (int64_t c = 0; c < g.c; ++c)
          for (int64_t i = 0; i < plane; ++i) o[(s * g.c + c) * plane + i] += bd.data_ptr()[c];
    }
  }
  if (autograd::needs_grad(x, w, b)) {
    // conv: dx = conv^T(dy, w), dw = dy (x) x; transposed: the roles of the
    // forward and backward-input passes swap (Note [Convolution record])
    autograd::record(out, "ConvolutionBackward0",
        [sx = autograd::save(xd), sw = autograd::save(wd), x_shape = x.sizes(), w_shape = w.sizes(),
         has_b = b.defined(), g, transposed](const Tensor<T>& grad, autograd::Needs n) {
          const Tensor<T> dy = contiguous_data(grad);
          autograd::Grads<T> r;
          const T* xs = sx.get().data_ptr();
          const T* ws = sw.get().data_ptr();
          if (n[0]) {
            r[0] = make_empty<T>(x_shape);
            auto work = make_empty<T>({kernels::conv2d_workspace(g)});
            if (transposed) kernels::conv2d_forward<T>(g, dy.data_ptr(), ws, nullptr, r[0].data_ptr(), work.data_ptr());
            else if (g.n > 0) kernels::conv2d_backward_input<T>(g, dy.data_ptr(), ws, r[0].data_ptr(), work.data_ptr());
          }
          if (n[1]) {
            r[1] = make_empty<T>(w_shape);
            auto work = make_empty<T>({kernels::conv2d_weight_workspace(g)});
            // transposed: the kernels' input side is dy, their output side x
            kernels::conv2d_backward_weight<T>(g, transposed ? dy.data_ptr() : xs, transposed ? xs : dy.data_ptr(),
                                               r[1].data_ptr(), nullptr, work.data_ptr());
          }
          if (n[2] && has_b) {
            const int64_t c = transposed ? g.c : g.o;
            r[2] = make_empty<T>({c});
            kernels::channel_sum<T>(g.n, c, transposed ? g.in_plane() : g.out_plane(), dy.data_ptr(),
                                    r[2].data_ptr());
          }
          return r;
        }, x, w, b);
  }
  return out;
}

/// One spatial dim of a convolution: output size, or a message naming the
/// mismatch (kernel larger than the padded input).
inline int64_t conv_out_size(const char* op, const Shape& xs, int64_t in, int64_t k, int64_t s, int64_t p_lo,
                             int64_t p_hi, int64_t d) {
  const int64_t padded = in + p_lo + p_hi, eff = d * (k - 1) + 1;
  TAPEGRAD_CHECK(padded >= eff, ShapeError, op, ": kernel size ", k, " (", eff,
                 " with dilation) is larger than the padded input size ", padded, " of input", xs);
  return (padded - eff) / s + 1;
}

/// conv2d on a 4-D x (or 3-D unbatched) for conv1d (H = kH = 1) and conv2d.
template <FloatingElement T>
Tensor<T> conv_nd(const char* op, int spatial, const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b,
                  std::array<int64_t, 2> stride, ConvPadding<2> padding, std::array<int64_t, 2> dilation,
                  int64_t groups) {
  check_conv_common(op, spatial, x, w, b, groups, stride, dilation, false);
  const bool batched = x.dim() == spatial + 2;
  kernels::ConvGeometry g{};
  g.n = batched ? x.sizes()[0] : 1;
  g.c = x.sizes()[batched ? 1 : 0];
  g.h = spatial == 2 ? x.sizes()[x.dim() - 2] : 1;
  g.w = x.sizes()[x.dim() - 1];
  g.o = w.sizes()[0];
  g.kh = spatial == 2 ? w.sizes()[2] : 1;
  g.kw = w.sizes()[w.dim() - 1];
  g.sh = stride[0], g.sw = stride[1], g.dh = dilation[0], g.dw = dilation[1], g.groups = groups;
  std::array<int64_t, 2> lo{padding.size[0], padding.size[1]}, hi = lo;
  if (padding.mode == ConvPadding<2>::Mode::valid) {
    lo = hi = {0, 0};
  } else if (padding.mode == ConvPadding<2>::Mode::same) {
    TAPEGRAD_CHECK(stride[0] == 1 && stride[1] == 1, ValueError, op,
                   ": padding='same' is not supported for strided convolutions");
    // PyTorch pads the extra one of an odd total at the end (bottom, right)
    const int64_t th = g.dh * (g.kh - 1), tw = g.dw * (g.kw - 1);
    lo = {th / 2, tw / 2}, hi = {th - th / 2, tw - tw / 2};
  } else {
    TAPEGRAD_CHECK(lo[0] >= 0 && lo[1] >= 0, ValueError, op, ": padding must be non-negative, got ",
                   std::min(lo[0], lo[1]));
  }
  g.pt = lo[0], g.pl = lo[1];
  g.oh = conv_out_size(op, x.sizes(), g.h, g.kh, g.sh, lo[0], hi[0], g.dh);
  g.ow = conv_out_size(op, x.sizes(), g.w, g.kw, g.sw, lo[1], hi[1], g.dw);
  Shape out_shape;
  if (batched) out_shape.push_back(g.n);
  out_shape.push_back(g.o);
  if (spatial == 2) out_shape.push_back(g.oh);
  out_shape.push_back(g.ow);
  return convolution(x, w, b, g, false, out_shape);
}

}  // namespace detail

/// conv2d(input [N, C, H, W] or [C, H, W], weight [O, C / groups, kH, kW],
/// bias [O]) -> [N, O, OH, OW], OH = (H + 2 pH - dH (kH - 1) - 1) / sH + 1.
template <FloatingElement T>
Tensor<T> conv2d(const Tensor<T>& input, const Tensor<T>& weight, const Tensor<T>& bias = Tensor<T>(),
                 ExpandingArray<2> stride = 1, ConvPadding<2> padding = 0, ExpandingArray<2> dilation = 1,
                 int64_t groups = 1) {
  return detail::conv_nd("conv2d", 2, input, weight, bias, stride.v, padding, dilation.v, groups);
}

/// conv1d(input [N, C, L] or [C, L], weight [O, C / groups, kL], bias [O]) -> [N, O, OL].
template <FloatingElement T>
Tensor<T> conv1d(const Tensor<T>& input, const Tensor<T>& weight, const Tensor<T>& bias = Tensor<T>(),
                 ExpandingArray<1> stride = 1, ConvPadding<1> padding = 0, ExpandingArray<1> dilation = 1,
                 int64_t groups = 1) {
  ConvPadding<2> p = 0;
  p.size = {0, padding.size[0]};
  p.mode = static_cast<ConvPadding<2>::Mode>(static_cast<int>(padding.mode));
  return detail::conv_nd("conv1d", 1, input, weight, bias, {1, stride[0]}, p, {1, dilation[0]}, groups);
}

/// conv_transpose2d(input [N, C_in, H, W] or [C_in, H, W], weight [C_in, C_out / groups, kH, kW],
/// bias [C_out]) -> [N, C_out, OH, OW], OH = (H - 1) sH - 2 pH + dH (kH - 1) + output_padding + 1:
/// the adjoint of conv2d with the same weight.
template <FloatingElement T>
Tensor<T> conv_transpose2d(const Tensor<T>& input, const Tensor<T>& weight, const Tensor<T>& bias = Tensor<T>(),
                           ExpandingArray<2> stride = 1, ExpandingArray<2> padding = 0,
                           ExpandingArray<2> output_padding = 0, int64_t groups = 1,
                           ExpandingArray<2> dilation = 1) {
  const char* op = "conv_transpose2d";
  detail::check_conv_common(op, 2, input, weight, bias, groups, stride.v, dilation.v, true);
  TAPEGRAD_CHECK(!padding.any_below(0) && !output_padding.any_below(0), ValueError, op,
                 ": padding and output_padding must be non-negative, got ", padding, " and ", output_padding);
  for (int d = 0; d < 2; ++d)
    TAPEGRAD_CHECK(output_padding[d] < stride[d] || output_padding[d] < dilation[d], ValueError, op,
                   ": output padding must be smaller than either stride or dilation, got output_padding ",
                   output_padding, ", stride ", stride, ", dilation ", dilation);
  const bool batched = input.dim() == 4;
  kernels::ConvGeometry g{};
  g.n = batched ? input.sizes()[0] : 1;
  g.o = input.sizes()[batched ? 1 : 0];  // the kernels' output side is this op's input
  g.oh = input.sizes()[input.dim() - 2], g.ow = input.sizes()[input.dim() - 1];
  g.c = weight.sizes()[1] * groups;
  g.kh = weight.sizes()[2], g.kw = weight.sizes()[3];
  g.sh = stride[0], g.sw = stride[1], g.pt = padding[0], g.pl = padding[1];
  g.dh = dilation[0], g.dw = dilation[1], g.groups = groups;
  g.h = (g.oh - 1) * g.sh - 2 * g.pt + g.dh * (g.kh - 1) + output_padding[0] + 1;
  g.w = (g.ow - 1) * g.sw - 2 * g.pl + g.dw * (g.kw - 1) + output_padding[1] + 1;
  TAPEGRAD_CHECK(g.h > 0 && g.w > 0, ShapeError, op, ": input", input.sizes(), " with padding ", padding,
                 " gives a non-positive output size ", g.h, " x ", g.w);
  Shape out_shape;
  if (batched) out_shape.push_back(g.n);
  out_shape.push_back(g.c), out_shape.push_back(g.h), out_shape.push_back(g.w);
  return detail::convolution(input, weight, bias, g, true, out_shape);
}

namespace detail {
// unfold and fold share one geometry: the image side [n, c, h, w] and the
// column side [n, c * kh * kw, oh * ow].
inline kernels::ConvGeometry fold_geometry(const char* op, const Shape& xs, int64_t n, int64_t c, int64_t h,
                                           int64_t w, ExpandingArray<2> k, ExpandingArray<2> d,
                                           ExpandingArray<2> p, ExpandingArray<2> s) {
  TAPEGRAD_CHECK(!k.any_below(1) && !d.any_below(1) && !s.any_below(1) && !p.any_below(0), ValueError, op,
                 ": kernel_size, dilation and stride must be positive and padding non-negative, got kernel_size ",
                 k, ", dilation ", d, ", padding ", p, ", stride ", s);
  kernels::ConvGeometry g{};
  g.n = n, g.c = c, g.h = h, g.w = w, g.o = c, g.kh = k[0], g.kw = k[1];
  g.sh = s[0], g.sw = s[1], g.pt = p[0], g.pl = p[1], g.dh = d[0], g.dw = d[1];
  g.oh = conv_out_size(op, xs, h, k[0], s[0], p[0], p[0], d[0]);
  g.ow = conv_out_size(op, xs, w, k[1], s[1], p[1], p[1], d[1]);
  return g;
}
// im2col (to_cols) or col2im over every sample of g: each is the other's adjoint.
template <FloatingElement T>
Tensor<T> fold_pass(const Tensor<T>& src, const kernels::ConvGeometry& g, bool to_cols, const Shape& out_shape) {
  const Tensor<T> sd = contiguous_data(src);
  auto out = to_cols ? make_empty<T>(out_shape) : zeros<T>(out_shape);
  const int64_t img = g.c * g.h * g.w, cols = g.c * g.kh * g.kw * g.oh * g.ow;
  for (int64_t s = 0; s < g.n; ++s) {
    if (to_cols) kernels::im2col<T>(g, g.c, sd.data_ptr() + s * img, out.data_ptr() + s * cols);
    else kernels::col2im<T>(g, g.c, sd.data_ptr() + s * cols, out.data_ptr() + s * img);
  }
  if (autograd::needs_grad(src)) {
    autograd::record(out, to_cols ? "Im2ColBackward0" : "Col2ImBackward0",
        [g, to_cols, src_shape = src.sizes()](const Tensor<T>& grad, autograd::Needs) {
          return autograd::Grads<T>{fold_pass(grad.detach(), g, !to_cols, src_shape), {}, {}};
        }, src);
  }
  return out;
}
}  // namespace detail

/// unfold(input [N, C, H, W] or [C, H, W], kernel_size, dilation, padding, stride)
/// -> [N, C * kH * kW, L]: the sliding blocks as columns (im2col).
template <FloatingElement T>
Tensor<T> unfold(const Tensor<T>& input, ExpandingArray<2> kernel_size, ExpandingArray<2> dilation = 1,
                 ExpandingArray<2> padding = 0, ExpandingArray<2> stride = 1) {
  TAPEGRAD_CHECK(input.dim() == 3 || input.dim() == 4, ShapeError,
                 "unfold: expected a 3-D (unbatched) or 4-D (batched) input, got input", input.sizes());
  const bool batched = input.dim() == 4;
  const auto& s = input.sizes();
  const auto g = detail::fold_geometry("unfold", s, batched ? s[0] : 1, s[s.size() - 3], s[s.size() - 2],
                                       s[s.size() - 1], kernel_size, dilation, padding, stride);
  Shape out{g.c * g.kh * g.kw, g.oh * g.ow};
  if (batched) out.insert(0, g.n);
  return detail::fold_pass(input, g, true, out);
}

/// fold(input [N, C * kH * kW, L] or [C * kH * kW, L], output_size, kernel_size, dilation,
/// padding, stride) -> [N, C, H, W]: sums the columns back into the image (col2im).
template <FloatingElement T>
Tensor<T> fold(const Tensor<T>& input, ExpandingArray<2> output_size, ExpandingArray<2> kernel_size,
               ExpandingArray<2> dilation = 1, ExpandingArray<2> padding = 0, ExpandingArray<2> stride = 1) {
  TAPEGRAD_CHECK(input.dim() == 2 || input.dim() == 3, ShapeError,
                 "fold: expected a 2-D (unbatched) or 3-D (batched) input, got input", input.sizes());
  const bool batched = input.dim() == 3;
  const auto& s = input.sizes();
  const int64_t kk = kernel_size[0] * kernel_size[1];
  const int64_t rows = s[s.size() - 2];
  TAPEGRAD_CHECK(kk > 0 && rows % kk == 0, ShapeError, "fold: expected size of input's dimension ",
                 batched ? 1 : 0, " to be divisible by the product of kernel_size (", kk, "), got input", s);
  const auto g = detail::fold_geometry("fold", s, batched ? s[0] : 1, rows / kk, output_size[0], output_size[1],
                                       kernel_size, dilation, padding, stride);
  TAPEGRAD_CHECK(s[s.size() - 1] == g.oh * g.ow, ShapeError, "fold: expected input", s,
                 " to have ", g.oh * g.ow, " blocks in its last dimension (", g.oh, " x ", g.ow,
                 " for output_size ", output_size, "), got ", s[s.size() - 1]);
  Shape out{g.c, g.h, g.w};
  if (batched) out.insert(0, g.n);
  return detail::fold_pass(input, g, false, out);
}

}  // namespace tapegrad
