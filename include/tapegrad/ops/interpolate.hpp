#pragma once
// interpolate (torch.nn.functional.interpolate): nearest, nearest-exact,
// linear, bilinear, bicubic, trilinear and area resampling of [N, C, W],
// [N, C, H, W] and [N, C, D, H, W] inputs to a size or by a scale factor, as
// PyTorch 1.13, with its gradient, and antialiased bilinear / bicubic
// downscaling. Runs on kernels/interpolate.hpp (Note [Separable resampling],
// Note [Antialiased resampling]).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../autograd/node.hpp"
#include "../core/py_repr.hpp"
#include "../kernels/interpolate.hpp"
#include "../tensor/factory.hpp"

namespace tapegrad {

/// PyTorch's `size` / `scale_factor` argument of interpolate and Upsample:
/// None (`{}` or std::nullopt), one value for every spatial dim (`2`), or one
/// per spatial dim (`{2, 3}`). Remembers which, for errors and printing.
template <class V>
struct ScalarOrTuple {
  std::vector<V> v;
  bool scalar = false;
  ScalarOrTuple() = default;
  ScalarOrTuple(std::nullopt_t) {}                                 // NOLINT: implicit, as Python's None
  ScalarOrTuple(V x) : v{x}, scalar(true) {}                       // NOLINT
  ScalarOrTuple(std::initializer_list<V> xs) : v(xs) {}            // NOLINT
  ScalarOrTuple(std::vector<V> xs) : v(std::move(xs)) {}           // NOLINT
  bool has_value() const { return !v.empty(); }
  /// The value as Python prints it: `2`, `2.0`, `(2, 3)`, `(2.0,)`.
  std::string repr() const {
    std::ostringstream os;
    auto one = [&os](V x) {
      if constexpr (std::is_floating_point_v<V>) {
        os << detail::py_float(x);
      } else {
        os << x;
      }
    };
    if (scalar) {
      one(v[0]);
      return os.str();
    }
    os << '(';
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) os << ", ";
      one(v[i]);
    }
    os << (v.size() == 1 ? ",)" : ")");
    return os.str();
  }
};

namespace detail {

/// PyTorch 1.13's grad_fn name for interpolate's mode over nd spatial dims:
/// F.interpolate calls the upsample ops' .vec overloads (Backward1); area mode
/// is adaptive average pooling (1-D through a squeezed 2-D pool); antialias
/// calls the _aa ops.
inline const char* interpolate_node_name(std::string_view mode, int64_t nd, bool antialias = false) {
  if (antialias) return mode == "bicubic" ? "UpsampleBicubic2DAaBackward1" : "UpsampleBilinear2DAaBackward1";
  static const char* const upsample[6][3] = {
      {"UpsampleNearest1DBackward1", "UpsampleNearest2DBackward1", "UpsampleNearest3DBackward1"},
      {"UpsampleNearestExact1DBackward1", "UpsampleNearestExact2DBackward1", "UpsampleNearestExact3DBackward1"},
      {"UpsampleLinear1DBackward1", "UpsampleLinear1DBackward1", "UpsampleLinear1DBackward1"},
      {"UpsampleBilinear2DBackward1", "UpsampleBilinear2DBackward1", "UpsampleBilinear2DBackward1"},
      {"UpsampleBicubic2DBackward1", "UpsampleBicubic2DBackward1", "UpsampleBicubic2DBackward1"},
      {"UpsampleTrilinear3DBackward1", "UpsampleTrilinear3DBackward1", "UpsampleTrilinear3DBackward1"}};
  static const char* const area[3] = {"SqueezeBackward1", "AdaptiveAvgPool2DBackward0", "AdaptiveAvgPool3DBackward0"};
  const auto col = static_cast<size_t>(std::clamp<int64_t>(nd, 1, 3) - 1);
  if (mode == "area") return area[col];
  const std::string_view modes[6] = {"nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear"};
  for (size_t r = 0; r < 6; ++r)
    if (mode == modes[r]) return upsample[r][col];
  return "UpsampleBackward0";
}

/// x's data as contiguous memory (x itself when it is; a copy otherwise), not recorded.
template <FloatingElement T>
Tensor<T> interp_contiguous(const Tensor<T>& x) {
  return x.is_contiguous() ? x.detach() : copy_of(x.detach());
}

/// Applies the taps of every spatial dim (last first) to the data of an input
/// of shape s; backward: their transposes in the reverse order.
template <FloatingElement T>
void resample_all(const std::vector<kernels::ResampleTaps>& taps, const Shape& s, const T* in, T* out,
                  bool backward) {
  const int64_t nd = static_cast<int64_t>(taps.size());
  std::vector<int64_t> cur(static_cast<size_t>(nd));  // each spatial dim's size in the current buffer
  for (int64_t d = 0; d < nd; ++d) cur[static_cast<size_t>(d)] = backward ? taps[d].out : taps[d].in;
  const int64_t planes = s[0] * s[1];
  std::vector<T> a, b;
  const T* src = in;
  for (int64_t step = 0; step < nd; ++step) {
    const int64_t d = backward ? step : nd - 1 - step;
    int64_t outer = planes, inner = 1;
    for (int64_t e = 0; e < d; ++e) outer *= cur[static_cast<size_t>(e)];
    for (int64_t e = d + 1; e < nd; ++e) inner *= cur[static_cast<size_t>(e)];
    cur[static_cast<size_t>(d)] = backward ? taps[d].in : taps[d].out;
    T* dst = out;
    if (step + 1 < nd) {  // intermediate results alternate between two buffers
      auto& buf = step % 2 == 0 ? a : b;
      buf.resize(static_cast<size_t>(outer * cur[static_cast<size_t>(d)] * inner));
      dst = buf.data();
    }
    if (backward) kernels::resample_backward(taps[d], outer, inner, src, dst);
    else kernels::resample_forward(taps[d], outer, inner, src, dst);
    src = dst;
  }
}

inline std::string spatial_sizes(const std::vector<int64_t>& v) {
  static const char* names[3] = {"D", "H", "W"};
  std::ostringstream os;
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << names[3 - v.size() + i] << ": " << v[i];
  return os.str();
}

}  // namespace detail

/// interpolate(input [N, C, *spatial] (1 to 3 spatial dims), size, scale_factor,
/// mode, align_corners, recompute_scale_factor) -> [N, C, *out]: out = size, or
/// floor(spatial * scale_factor). Modes: nearest, nearest-exact, area (any of
/// the three ranks), linear (3-D), bilinear and bicubic (4-D), trilinear (5-D);
/// align_corners only for the interpolating modes; antialias only for bilinear
/// and bicubic (4-D), where it low-pass filters when downscaling (Note
/// [Antialiased resampling]).
template <FloatingElement T>
Tensor<T> interpolate(const Tensor<T>& input, ScalarOrTuple<int64_t> size = {},
                      ScalarOrTuple<double> scale_factor = {}, std::string_view mode = "nearest",
                      std::optional<bool> align_corners = std::nullopt,
                      std::optional<bool> recompute_scale_factor = std::nullopt, bool antialias = false) {
  const char* op = "interpolate: ";
  const std::string m(mode);
  const bool interpolating = m == "linear" || m == "bilinear" || m == "bicubic" || m == "trilinear";
  const bool known = interpolating || m == "nearest" || m == "nearest-exact" || m == "area";
  if (!interpolating)
    TAPEGRAD_CHECK(!align_corners.has_value() || !known, ValueError, op,
                   "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | "
                   "trilinear");
  const int64_t nd = input.dim() - 2;
  const Shape& s = input.sizes();
  std::vector<int64_t> in_sp, out_sp;
  for (int64_t d = 0; d < nd; ++d) in_sp.push_back(s[d + 2]);
  std::ostringstream in_repr;
  in_repr << Shape(in_sp.begin(), in_sp.end());
  std::vector<double> scales;
  TAPEGRAD_CHECK(!(size.has_value() && scale_factor.has_value()), ValueError, op,
                 "only one of size or scale_factor should be defined");
  if (size.has_value()) {
    TAPEGRAD_CHECK(size.scalar || static_cast<int64_t>(size.v.size()) == nd, ValueError, op,
                   "Input and output must have the same number of spatial dimensions, but got input with spatial "
                   "dimensions of ", in_repr.str(), " and output size of ", size.repr(),
                   ". Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                   "format.");
    out_sp = size.scalar ? std::vector<int64_t>(static_cast<size_t>(std::max<int64_t>(nd, 0)), size.v[0]) : size.v;
  } else {
    TAPEGRAD_CHECK(scale_factor.has_value(), ValueError, op, "either size or scale_factor should be defined");
    TAPEGRAD_CHECK(scale_factor.scalar || static_cast<int64_t>(scale_factor.v.size()) == nd, ValueError, op,
                   "Input and scale_factor must have the same number of spatial dimensions, but got input with "
                   "spatial dimensions of ", in_repr.str(), " and scale_factor of shape ", scale_factor.repr(),
                   ". Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                   "format.");
    scales = scale_factor.scalar ? std::vector<double>(static_cast<size_t>(std::max<int64_t>(nd, 0)),
                                                       scale_factor.v[0])
                                 : scale_factor.v;
  }
  TAPEGRAD_CHECK(!(recompute_scale_factor.value_or(false) && size.has_value()), ValueError, op,
                 "recompute_scale_factor is not meaningful with an explicit size.");
  // Note [Recomputed scale factor]: with recompute_scale_factor (and always in
  // area mode) the output size floor(in * scale) is computed here and the
  // kernels derive the scale from the sizes; otherwise they use 1 / scale_factor.
  const bool recompute = recompute_scale_factor.value_or(false) || (m == "area" && !size.has_value());
  if (!size.has_value()) {
    for (int64_t d = 0; d < nd; ++d) {
      const double o = static_cast<double>(in_sp[static_cast<size_t>(d)]) * scales[static_cast<size_t>(d)];
      out_sp.push_back(static_cast<int64_t>(recompute ? std::floor(o) : o));
    }
    if (recompute) scales.clear();
  }
  TAPEGRAD_CHECK(!antialias || ((m == "bilinear" || m == "bicubic") && input.dim() == 4), ValueError, op,
                 "Anti-alias option is only supported for bilinear and bicubic modes");
  // which modes take which ranks, and PyTorch's words for the rest
  const bool rank_ok = nd >= 1 && nd <= 3;
  if (rank_ok && interpolating && m != "bicubic") {
    const char* needs[3] = {"linear", "bilinear", "trilinear"};
    for (int64_t want = 1; want <= 3; ++want)
      TAPEGRAD_CHECK(m != needs[want - 1] || nd == want, ShapeError, op, "Got ", input.dim(), "D input, but ", m,
                     " mode needs ", want + 2, "D input");
  }
  if (!(rank_ok && known && (m != "bicubic" || nd == 2))) {
    std::ostringstream os;
    os << op << "Input Error: Only 3D, 4D and 5D input Tensors supported (got " << input.dim()
       << "D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got " << m
       << ")";
    if (known) throw ShapeError(os.str());
    throw ValueError(os.str());
  }
  bool positive = true;
  for (int64_t d = 0; d < nd; ++d) positive = positive && in_sp[static_cast<size_t>(d)] > 0 && out_sp[static_cast<size_t>(d)] > 0;
  TAPEGRAD_CHECK(positive, ValueError, op, "Input and output sizes should be greater than 0, but got input (",
                 detail::spatial_sizes(in_sp), ")", nd == 1 ? " and" : "", " output (", detail::spatial_sizes(out_sp),
                 ")");
  TAPEGRAD_CHECK(s[1] > 0, ShapeError, op, "Non-empty ", input.dim(),
                 "D data tensor expected but got a tensor with sizes ", s);
  std::vector<kernels::ResampleTaps> taps;
  const std::string_view kind = m == "bicubic" ? "cubic" : interpolating ? "linear" : std::string_view(m);
  for (int64_t d = 0; d < nd; ++d) {
    const int64_t i = in_sp[static_cast<size_t>(d)], o = out_sp[static_cast<size_t>(d)];
    const double sc = scales.empty() ? -1.0 : scales[static_cast<size_t>(d)];
    taps.push_back(antialias ? kernels::resample_taps_aa<T>(m == "bicubic", i, o, align_corners.value_or(false), sc)
                             : kernels::resample_taps(kind, i, o, align_corners.value_or(false), sc));
  }
  Shape out_shape = s;
  for (int64_t d = 0; d < nd; ++d) out_shape[d + 2] = out_sp[static_cast<size_t>(d)];
  auto out = detail::make_empty<T>(out_shape);
  if (out.numel() > 0) {
    const Tensor<T> xd = detail::interp_contiguous(input);
    detail::resample_all<T>(taps, s, xd.data_ptr(), out.data_ptr(), false);
  }
  if (autograd::needs_grad(input))
    // d/dx: each output's gradient goes back to the input positions it read, times their weights
    autograd::record(out,
        // PyTorch's adaptive average pooling to a 2-D or 3-D output of ones is a mean
        m == "area" && nd >= 2 && std::all_of(out_sp.begin(), out_sp.end(), [](int64_t v) { return v == 1; })
            ? "MeanBackward1"
            : detail::interpolate_node_name(m, nd, antialias),
        [taps = std::move(taps), x_shape = s, out_shape](const Tensor<T>& grad, autograd::Needs) {
          auto dx = detail::make_empty<T>(x_shape);
          if (dx.numel() > 0) {
            const Tensor<T> dy = detail::interp_contiguous(grad);
            detail::resample_all<T>(taps, out_shape, dy.data_ptr(), dx.data_ptr(), true);
          }
          return autograd::Grads<T>{dx, {}, {}};
        }, input);
  return out;
}

}  // namespace tapegrad
