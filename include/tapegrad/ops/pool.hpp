#pragma once
// Pooling with PyTorch's semantics on NCHW tensors (batched or not):
// max_pool1d/2d (with indices, dilation, ceil_mode), avg_pool1d/2d
// (count_include_pad, ceil_mode, divisor_override), adaptive average and
// max pooling, max_unpool2d. Kernels in kernels/pool.hpp.
#include <optional>
#include <tuple>

#include "../kernels/pool.hpp"
#include "conv.hpp"

namespace tapegrad {

namespace detail {

// The planes and their size for a pooling op over the last `spatial` dims of
// a (spatial + 1)- or (spatial + 2)-D input.
inline void check_pool_input(const char* op, const Shape& s, int spatial) {
  TAPEGRAD_CHECK(s.size() == spatial + 1 || s.size() == spatial + 2, ShapeError, op, ": expected a ", spatial + 1,
                 "-D (unbatched) or ", spatial + 2, "-D (batched) input, got input", s);
  for (int64_t d = s.size() == spatial + 2 ? 1 : 0; d < s.size(); ++d)
    TAPEGRAD_CHECK(s[d] > 0, ShapeError, op, ": expected input", s,
                   " to have non-zero sizes in every dimension but the batch");
}

/// PyTorch's pooling_output_shape: with ceil_mode the last window may run
/// past the input but must start inside it (or inside the left padding).
inline int64_t pool_out_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dil, bool ceil_mode) {
  const int64_t num = in + 2 * pad - dil * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  int64_t out = (num >= 0 ? num / stride : -((-num + stride - 1) / stride)) + 1;  // floor division
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

/// The geometry of a max or average pooling (spatial 1 or 2) and its output shape.
inline kernels::PoolGeometry pool_geometry(const char* op, const Shape& s, int spatial, ExpandingArray<2> k,
                                           ExpandingArray<2> stride, ExpandingArray<2> pad, ExpandingArray<2> dil,
                                           bool ceil_mode, Shape& out_shape) {
  check_pool_input(op, s, spatial);
  TAPEGRAD_CHECK(!k.any_below(1), ValueError, op, ": kernel_size must be greater than zero, got ", k);
  TAPEGRAD_CHECK(!stride.any_below(1), ValueError, op, ": stride must be greater than zero, got ", stride);
  TAPEGRAD_CHECK(!dil.any_below(1), ValueError, op, ": dilation must be greater than zero, got ", dil);
  TAPEGRAD_CHECK(!pad.any_below(0) && pad[0] <= k[0] / 2 && pad[1] <= k[1] / 2, ValueError, op,
                 ": pad should be at most half of kernel size, got padding ", pad, " and kernel_size ", k);
  kernels::PoolGeometry g{};
  g.h = spatial == 2 ? s[s.size() - 2] : 1;
  g.w = s[s.size() - 1];
  g.planes = g.h * g.w == 0 ? 0 : shape_numel(s) / (g.h * g.w);
  g.kh = k[0], g.kw = k[1], g.sh = stride[0], g.sw = stride[1], g.ph = pad[0], g.pw = pad[1];
  g.dh = dil[0], g.dw = dil[1];
  g.oh = pool_out_size(g.h, g.kh, g.ph, g.sh, g.dh, ceil_mode);
  g.ow = pool_out_size(g.w, g.kw, g.pw, g.sw, g.dw, ceil_mode);
  TAPEGRAD_CHECK(g.oh > 0 && g.ow > 0, ShapeError, op, ": input", s, " is too small: the output would be ", g.oh,
                 " x ", g.ow, " (kernel_size ", k, ", stride ", stride, ", padding ", pad, ", dilation ", dil, ")");
  out_shape = s;
  if (spatial == 2) out_shape[s.size() - 2] = g.oh;
  out_shape[s.size() - 1] = g.ow;
  return g;
}

/// A 1-D pooling's argument as the 2-D one over [1, L].
inline ExpandingArray<2> as_2d(ExpandingArray<1> a, int64_t h) { return ExpandingArray<2>{h, a[0]}; }

template <FloatingElement T>
std::tuple<Tensor<T>, Tensor<int64_t>> max_pool_impl(const char* op, int spatial, const Tensor<T>& x,
                                                     ExpandingArray<2> k, ExpandingArray<2> stride,
                                                     ExpandingArray<2> pad, ExpandingArray<2> dil, bool ceil_mode) {
  Shape out_shape;
  const auto g = pool_geometry(op, x.sizes(), spatial, k, stride, pad, dil, ceil_mode, out_shape);
  const Tensor<T> xd = contiguous_data(x);
  auto out = make_empty<T>(out_shape);
  auto idx = make_empty<int64_t>(out_shape);
  if (g.planes > 0) kernels::max_pool2d_forward<T>(g, xd.data_ptr(), out.data_ptr(), idx.data_ptr());
  if (autograd::needs_grad(x))
    // d max = the gradient at the winner (summed where windows share one)
    autograd::record(out, spatial == 2 ? "MaxPool2DWithIndicesBackward0" : "SqueezeBackward1",  // as avg_pool1d
        [idx, x_shape = x.sizes(), g](const Tensor<T>& grad, autograd::Needs) {
          const Tensor<T> dy = contiguous_data(grad);
          auto dx = make_empty<T>(x_shape);
          if (g.planes > 0)
            kernels::scatter_planes<T>(g.planes, g.oh * g.ow, g.h * g.w, dy.data_ptr(), idx.data_ptr(),
                                       dx.data_ptr(), true);
          return autograd::Grads<T>{dx, {}, {}};
        }, x);
  return {out, idx};
}

template <FloatingElement T>
Tensor<T> avg_pool_impl(const char* op, int spatial, const Tensor<T>& x, ExpandingArray<2> k,
                        ExpandingArray<2> stride, ExpandingArray<2> pad, bool ceil_mode, bool count_include_pad,
                        std::optional<int64_t> divisor_override) {
  Shape out_shape;
  const auto g = pool_geometry(op, x.sizes(), spatial, k, stride, pad, 1, ceil_mode, out_shape);
  TAPEGRAD_CHECK(!divisor_override || *divisor_override != 0, ValueError, op, ": divisor must be not zero");
  const int64_t div = divisor_override.value_or(0);
  const Tensor<T> xd = contiguous_data(x);
  auto out = make_empty<T>(out_shape);
  if (g.planes > 0) kernels::avg_pool2d_forward<T>(g, xd.data_ptr(), out.data_ptr(), count_include_pad, div);
  if (autograd::needs_grad(x))
    // d mean = the gradient spread evenly over the window, by the same divisor
    // PyTorch runs a 1-D pool as the 2-D one on an unsqueezed input, squeezed back (SqueezeBackward1)
    autograd::record(out, spatial == 2 ? "AvgPool2DBackward0" : "SqueezeBackward1",
        [x_shape = x.sizes(), g, count_include_pad, div](const Tensor<T>& grad, autograd::Needs) {
          const Tensor<T> dy = contiguous_data(grad);
          auto dx = make_empty<T>(x_shape);
          if (g.planes > 0) kernels::avg_pool2d_backward<T>(g, dy.data_ptr(), dx.data_ptr(), count_include_pad, div);
          return autograd::Grads<T>{dx, {}, {}};
        }, x);
  return out;
}

template <FloatingElement T>
std::tuple<Tensor<T>, Tensor<int64_t>> adaptive_pool_impl(const char* op, const Tensor<T>& x,
                                                          ExpandingArray<2> output_size, bool max) {
  check_pool_input(op, x.sizes(), 2);
  TAPEGRAD_CHECK(!output_size.any_below(1), ValueError, op, ": output_size must be positive, got ", output_size);
  const Shape& s = x.sizes();
  const int64_t h = s[s.size() - 2], w = s[s.size() - 1], oh = output_size[0], ow = output_size[1];
  const int64_t planes = shape_numel(s) / (h * w);
  Shape out_shape = s;
  out_shape[s.size() - 2] = oh, out_shape[s.size() - 1] = ow;
  const Tensor<T> xd = contiguous_data(x);
  auto out = make_empty<T>(out_shape);
  auto idx = max ? make_empty<int64_t>(out_shape) : Tensor<int64_t>();
  if (planes > 0)
    kernels::adaptive_pool2d_forward<T>(planes, h, w, oh, ow, xd.data_ptr(), out.data_ptr(),
                                        max ? idx.data_ptr() : nullptr);
  if (autograd::needs_grad(x))
    // PyTorch's average pool to 1x1 is x.mean({-1, -2}, keepdim) (MeanBackward1)
    autograd::record(out, max ? "AdaptiveMaxPool2DBackward0"
                          : oh == 1 && ow == 1 ? "MeanBackward1" : "AdaptiveAvgPool2DBackward0",
        [idx, x_shape = s, planes, h, w, oh, ow, max](const Tensor<T>& grad, autograd::Needs) {
          const Tensor<T> dy = contiguous_data(grad);
          auto dx = make_empty<T>(x_shape);
          if (planes > 0) {
            if (max) kernels::scatter_planes<T>(planes, oh * ow, h * w, dy.data_ptr(), idx.data_ptr(), dx.data_ptr(), true);
            else kernels::adaptive_avg_pool2d_backward<T>(planes, h, w, oh, ow, dy.data_ptr(), dx.data_ptr());
          }
          return autograd::Grads<T>{dx, {}, {}};
        }, x);
  return {out, idx};
}

}  // namespace detail

/// max_pool2d_with_indices(input [N, C, H, W] or [C, H, W], kernel_size, stride = kernel_size,
/// padding, dilation, ceil_mode) -> (values, indices) [N, C, OH, OW]; indices
/// into each H * W plane. stride: ExpandingArray<2>::none() means kernel_size.
template <FloatingElement T>
std::tuple<Tensor<T>, Tensor<int64_t>> max_pool2d_with_indices(const Tensor<T>& input, ExpandingArray<2> kernel_size,
                                                              ExpandingArray<2> stride = ExpandingArray<2>::none(),
                                                              ExpandingArray<2> padding = 0,
                                                              ExpandingArray<2> dilation = 1, bool ceil_mode = false) {
  return detail::max_pool_impl("max_pool2d", 2, input, kernel_size, stride.or_else(kernel_size), padding, dilation,
                               ceil_mode);
}
/// max_pool2d: the values of max_pool2d_with_indices.
template <FloatingElement T>
Tensor<T> max_pool2d(const Tensor<T>& input, ExpandingArray<2> kernel_size,
                     ExpandingArray<2> stride = ExpandingArray<2>::none(), ExpandingArray<2> padding = 0,
                     ExpandingArray<2> dilation = 1, bool ceil_mode = false) {
  return std::get<0>(max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode));
}

/// max_pool1d_with_indices(input [N, C, L] or [C, L], ...) -> (values, indices) [N, C, OL].
template <FloatingElement T>
std::tuple<Tensor<T>, Tensor<int64_t>> max_pool1d_with_indices(const Tensor<T>& input, ExpandingArray<1> kernel_size,
                                                              ExpandingArray<1> stride = ExpandingArray<1>::none(),
                                                              ExpandingArray<1> padding = 0,
                                                              ExpandingArray<1> dilation = 1, bool ceil_mode = false) {
  using detail::as_2d;
  return detail::max_pool_impl("max_pool1d", 1, input, as_2d(kernel_size, 1), as_2d(stride.or_else(kernel_size), 1),
                               as_2d(padding, 0), as_2d(dilation, 1), ceil_mode);
}
template <FloatingElement T>
Tensor<T> max_pool1d(const Tensor<T>& input, ExpandingArray<1> kernel_size,
                     ExpandingArray<1> stride = ExpandingArray<1>::none(), ExpandingArray<1> padding = 0,
                     ExpandingArray<1> dilation = 1, bool ceil_mode = false) {
  return std::get<0>(max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode));
}

/// avg_pool2d(input [N, C, H, W] or [C, H, W], kernel_size, stride = kernel_size, padding,
/// ceil_mode, count_include_pad, divisor_override) -> [N, C, OH, OW].
template <FloatingElement T>
Tensor<T> avg_pool2d(const Tensor<T>& input, ExpandingArray<2> kernel_size,
                     ExpandingArray<2> stride = ExpandingArray<2>::none(), ExpandingArray<2> padding = 0,
                     bool ceil_mode = false, bool count_include_pad = true,
                     std::optional<int64_t> divisor_override = std::nullopt) {
  return detail::avg_pool_impl("avg_pool2d", 2, input, kernel_size, stride.or_else(kernel_size), padding, ceil_mode,
                               count_include_pad, divisor_override);
}
/// avg_pool1d(input [N, C, L] or [C, L], kernel_size, stride, padding, ceil_mode, count_include_pad).
template <FloatingElement T>
Tensor<T> avg_pool1d(const Tensor<T>& input, ExpandingArray<1> kernel_size,
                     ExpandingArray<1> stride = ExpandingArray<1>::none(), ExpandingArray<1> padding = 0,
                     bool ceil_mode = false, bool count_include_pad = true) {
  using detail::as_2d;
  return detail::avg_pool_impl("avg_pool1d", 1, input, as_2d(kernel_size, 1), as_2d(stride.or_else(kernel_size), 1),
                               as_2d(padding, 0), ceil_mode, count_include_pad, std::nullopt);
}

/// adaptive_avg_pool2d(input [N, C, H, W] or [C, H, W], output_size) -> [N, C, oh, ow].
template <FloatingElement T>
Tensor<T> adaptive_avg_pool2d(const Tensor<T>& input, ExpandingArray<2> output_size) {
  return std::get<0>(detail::adaptive_pool_impl("adaptive_avg_pool2d", input, output_size, false));
}
/// adaptive_max_pool2d_with_indices(input, output_size) -> (values, indices) [N, C, oh, ow].
template <FloatingElement T>
std::tuple<Tensor<T>, Tensor<int64_t>> adaptive_max_pool2d_with_indices(const Tensor<T>& input,
                                                                       ExpandingArray<2> output_size) {
  return detail::adaptive_pool_impl("adaptive_max_pool2d", input, output_size, true);
}
template <FloatingElement T>
Tensor<T> adaptive_max_pool2d(const Tensor<T>& input, ExpandingArray<2> output_size) {
  return std::get<0>(adaptive_max_pool2d_with_indices(input, output_size));
}

/// max_unpool2d(input [N, C, H, W] or [C, H, W], indices (from max_pool2d), kernel_size,
/// stride = kernel_size, padding, output_size) -> [N, C, OH, OW], zero but at the indices;
/// OH = (H - 1) sH - 2 pH + kH unless output_size (the last two dims, or all) is given.
template <FloatingElement T>
Tensor<T> max_unpool2d(const Tensor<T>& input, const Tensor<int64_t>& indices, ExpandingArray<2> kernel_size,
                       ExpandingArray<2> stride = ExpandingArray<2>::none(), ExpandingArray<2> padding = 0,
                       std::optional<Shape> output_size = std::nullopt) {
  const char* op = "max_unpool2d";
  detail::check_pool_input(op, input.sizes(), 2);
  TAPEGRAD_CHECK(indices.sizes() == input.sizes(), ShapeError, op, ": expected indices", indices.sizes(),
                 " to have the shape of input", input.sizes());
  stride = stride.or_else(kernel_size);
  const Shape& s = input.sizes();
  const int64_t nd = s.size(), h = s[nd - 2], w = s[nd - 1];
  int64_t oh = (h - 1) * stride[0] - 2 * padding[0] + kernel_size[0];
  int64_t ow = (w - 1) * stride[1] - 2 * padding[1] + kernel_size[1];
  if (output_size) {
    const Shape& o = *output_size;
    TAPEGRAD_CHECK(o.size() == 2 || o.size() == nd, ShapeError, op, ": output_size must have 2 or ", nd,
                   " elements, got ", o);
    const int64_t want[2] = {o[o.size() - 2], o[o.size() - 1]}, dflt[2] = {oh, ow};
    for (int d = 0; d < 2; ++d)  // PyTorch accepts sizes strictly within a stride of the default
      TAPEGRAD_CHECK(want[d] > dflt[d] - stride[d] && want[d] < dflt[d] + stride[d], ValueError, op,
                     ": invalid output_size ", o, " (dim ", d, " must be between ", dflt[d] - stride[d], " and ",
                     dflt[d] + stride[d], ")");
    oh = want[0], ow = want[1];
  }
  TAPEGRAD_CHECK(oh > 0 && ow > 0, ShapeError, op, ": output size ", oh, " x ", ow, " must be positive");
  Shape out_shape = s;
  out_shape[nd - 2] = oh, out_shape[nd - 1] = ow;
  const int64_t planes = shape_numel(s) / (h * w), in_plane = h * w, out_plane = oh * ow;
  const Tensor<int64_t> id = indices.is_contiguous() ? indices : detail::copy_of(indices);
  for (int64_t i = 0; i < id.numel(); ++i) {
    const int64_t v = id.data_ptr()[i];
    TAPEGRAD_CHECK(v >= 0 && v < out_plane, IndexError, op, ": found an invalid max index ", v,
                   " (output volumes are of size ", oh, "x", ow, ")");
  }
  const Tensor<T> xd = detail::contiguous_data(input);
  auto out = detail::make_empty<T>(out_shape);
  if (planes > 0) kernels::scatter_planes<T>(planes, in_plane, out_plane, xd.data_ptr(), id.data_ptr(), out.data_ptr(), false);
  if (autograd::needs_grad(input))
    // d unpool = the gradient read back at the indices
    autograd::record(out, "MaxUnpool2DBackward0",
        [id, x_shape = s, planes, in_plane, out_plane](const Tensor<T>& grad, autograd::Needs) {
          const Tensor<T> dy = detail::contiguous_data(grad);
          auto dx = detail::make_empty<T>(x_shape);
          if (planes > 0) kernels::gather_planes<T>(planes, in_plane, out_plane, dy.data_ptr(), id.data_ptr(), dx.data_ptr());
          return autograd::Grads<T>{dx, {}, {}};
        }, input);
  return out;
}

}  // namespace tapegrad
