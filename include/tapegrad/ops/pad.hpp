#pragma once
// pad (torch.nn.functional.pad): constant, reflect, replicate and circular
// padding with PyTorch 1.13's semantics, the one implementation behind F::pad,
// the padding modules and the convolutions' padding_mode. Runs on
// kernels/pad.hpp.
//
// Note [One pad]: every mode is a gather through one source-index table per
// padded dim (a negative pad crops, in every mode) and its gradient the
// matching scatter-add, so the modes differ only in how a position outside
// the kept input maps back into it: the constant (-1), mirrored about the
// edge element (reflect), clamped (replicate), or wrapped around the kept
// part (circular, as PyTorch's _pad_circular copies from its cropped centre).
#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "../autograd/node.hpp"
#include "../kernels/pad.hpp"
#include "../tensor/factory.hpp"

namespace tapegrad {

namespace detail {

/// The source of each of the n + lo + hi positions of a dim of size n padded
/// by (lo, hi) in `mode` (a negative pad crops), -1 for the constant.
inline std::vector<int64_t> pad_sources(int64_t n, int64_t lo, int64_t hi, std::string_view mode) {
  const int64_t len = std::max<int64_t>(n + lo + hi, 0);
  std::vector<int64_t> src(static_cast<size_t>(len));
  // circular wraps within the kept part [keep_lo, keep_lo + keep)
  const int64_t keep_lo = std::max<int64_t>(-lo, 0), keep = n - keep_lo - std::max<int64_t>(-hi, 0);
  for (int64_t j = 0; j < len; ++j) {
    int64_t s = j - lo;  // the position in the input's coordinates
    if (mode == "reflect") s = s < 0 ? -s : (s >= n ? 2 * (n - 1) - s : s);
    else if (mode == "replicate") s = std::clamp<int64_t>(s, 0, n - 1);
    else if (mode == "circular") s = keep_lo + (((j - std::max<int64_t>(lo, 0)) % keep) + keep) % keep;
    else if (s < 0 || s >= n) s = -1;
    src[static_cast<size_t>(j)] = s;
  }
  return src;
}

inline std::string pad_list(const std::vector<int64_t>& p) {
  std::ostringstream os;
  os << Shape(p.begin(), p.end());
  return os.str();
}

/// The checks of PyTorch 1.13's at::pad for a non-constant mode, which pads
/// the last np = 1, 2 or 3 dims of an input of np + 1 (unbatched) or np + 2 dims.
inline void check_nonconstant_pad(const Shape& s, const std::vector<int64_t>& pad, std::string_view mode) {
  const auto np = static_cast<int64_t>(pad.size()) / 2, dim = static_cast<int64_t>(s.size());
  TAPEGRAD_CHECK(np >= 1 && np <= 3 && (dim == np + 1 || dim == np + 2), ShapeError,
                 "pad: Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now (got padding ",
                 pad_list(pad), " in mode ", mode, " for input", s, ")");
  if (mode == "circular") {
    TAPEGRAD_CHECK(dim == np + 2, ShapeError, "pad: Invalid padding size, expected ", 2 * (dim - 2), " but got ",
                   pad.size(), " (circular padding needs a batched input [N, C, *], got input", s, ")");
  } else {
    // reflect and replicate: a batch of 0 is fine, other empty dims are not
    bool ok = true;
    for (int64_t d = dim - np - 1; d < dim; ++d) ok = ok && (s[d] > 0 || (d == 0 && dim == np + 2));
    TAPEGRAD_CHECK(ok, ShapeError, "pad: Expected ", np + 1, "D or ", np + 2,
                   "D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: ",
                   s);
  }
  const char* names[3] = {"D", "H", "W"};
  bool big_enough = true;
  std::ostringstream in, out;
  for (int64_t k = np - 1; k >= 0; --k) {  // k: 0 = the last dim
    const int64_t d = dim - 1 - k, n = s[d], l = pad[static_cast<size_t>(2 * k)], r = pad[static_cast<size_t>(2 * k + 1)];
    if (mode == "reflect")
      TAPEGRAD_CHECK(l < n && r < n, ValueError, "pad: Argument #", 4 + 2 * k,
                     ": Padding size should be less than the corresponding input dimension, but got: padding (", l,
                     ", ", r, ") at dimension ", d, " of input ", s);
    if (mode == "circular") {
      TAPEGRAD_CHECK(l <= n && r <= n, ValueError, "pad: Padding value causes wrapping around more than once.");
      TAPEGRAD_CHECK(n + l + r >= 0, ValueError, "pad: Negative padding value is resulting in an empty dimension");
      // wrapping needs something kept to wrap around
      TAPEGRAD_CHECK(n + std::min<int64_t>(l, 0) + std::min<int64_t>(r, 0) > 0 || (l <= 0 && r <= 0), ValueError,
                     "pad: Padding value causes wrapping around more than once.");
    }
    const char* sep = k == np - 1 ? "" : ", ";
    in << sep << names[3 - np + (np - 1 - k)] << ": " << n;
    out << sep << names[3 - np + (np - 1 - k)] << ": " << n + l + r;
    big_enough = big_enough && n + l + r >= (np == 1 ? 1 : 0);  // as PyTorch: 1-D pads may not empty the dim
  }
  if (mode != "circular")
    TAPEGRAD_CHECK(big_enough, ValueError, "pad: input (", in.str(), ") is too small. Calculated output ", out.str());
}

}  // namespace detail

/// pad(input, pad, mode = "constant", value = 0): pad = {left, right} of the last
/// dim, then of the dim before it, ...; a negative pad crops. "constant" pads
/// any number of dims with value; "reflect", "replicate" and "circular" pad the
/// last 1, 2 or 3 dims of an input with 1 (circular: 2) more dims, as PyTorch 1.13.
template <Element T>
Tensor<T> pad(const Tensor<T>& input, const std::vector<int64_t>& pad, std::string_view mode = "constant",
              double value = 0) {
  const bool constant = mode == "constant";
  TAPEGRAD_CHECK(constant || mode == "reflect" || mode == "replicate" || mode == "circular", ValueError,
                 "pad: Unrecognised padding mode ", mode);
  const Shape& s = input.sizes();
  const auto np = static_cast<int64_t>(pad.size()) / 2, dim = input.dim();
  TAPEGRAD_CHECK(pad.size() % 2 == 0, ValueError, "pad: Padding length must be divisible by 2, got padding ",
                 detail::pad_list(pad));
  TAPEGRAD_CHECK(np <= dim, ValueError, "pad: Padding length too large: padding ", detail::pad_list(pad),
                 " for input", s);
  kernels::PadGeometry g;
  Shape out_shape = s;
  if (constant) {
    // as PyTorch's constant_pad_nd: a dim may end up empty only when nothing is added anywhere
    const bool grows = std::any_of(pad.begin(), pad.end(), [](int64_t p) { return p > 0; });
    for (int64_t k = np - 1; k >= 0; --k) {
      const int64_t d = dim - 1 - k, l = pad[static_cast<size_t>(2 * k)], r = pad[static_cast<size_t>(2 * k + 1)];
      TAPEGRAD_CHECK(s[d] + l + r > 0 || (!grows && s[d] + l + r == 0), ValueError, "pad: The input size ", s[d],
                     ", plus negative padding ", l, " and ", r,
                     " resulted in a negative output size, which is invalid. Check dimension ", d, " of your input.");
    }
  } else {
    TAPEGRAD_CHECK(value == 0, ValueError, "pad: Padding mode \"", mode, "\" doesn't take in value argument");
    detail::check_nonconstant_pad(s, pad, mode);
  }
  for (int64_t d = 0; d < dim - np; ++d) g.outer *= s[d];
  for (int64_t k = np - 1; k >= 0; --k) {
    const int64_t d = dim - 1 - k;
    g.in.push_back(s[d]);
    g.src.push_back(detail::pad_sources(s[d], pad[static_cast<size_t>(2 * k)], pad[static_cast<size_t>(2 * k + 1)], mode));
    out_shape[d] = static_cast<int64_t>(g.src.back().size());
  }
  auto out = detail::make_empty<T>(out_shape);
  if (np == 0) {
    detail::copy_into(out, input);
  } else if (out.numel() > 0) {
    const Tensor<T> xd = input.is_contiguous() ? input.detach() : detail::copy_of(input.detach());
    kernels::pad_gather<T>(g, xd.data_ptr(), detail::checked_scalar<T>(value, "pad"), out.data_ptr());
  }
  if constexpr (FloatingElement<T>) {
    if (autograd::needs_grad(input)) {
      static const char* const names[4][3] = {
          {"ConstantPadNdBackward0", "ConstantPadNdBackward0", "ConstantPadNdBackward0"},
          {"ReflectionPad1DBackward0", "ReflectionPad2DBackward0", "ReflectionPad3DBackward0"},
          {"ReplicationPad1DBackward0", "ReplicationPad2DBackward0", "ReplicationPad3DBackward0"},
          // PyTorch 1.13 pads circularly in Python, by slice assignments
          {"CopySlices", "CopySlices", "CopySlices"}};
      const int row = constant ? 0 : mode == "reflect" ? 1 : mode == "replicate" ? 2 : 3;
      // d/dx: each output's gradient is added to the input element it was copied from
      autograd::record(out, names[row][std::clamp<int64_t>(np, 1, 3) - 1],
          [g = std::move(g), x_shape = s](const Tensor<T>& grad, autograd::Needs) {
            auto dx = detail::make_empty<T>(x_shape);
            if (g.src.empty()) {
              detail::copy_into(dx, grad);
            } else if (dx.numel() > 0) {
              const Tensor<T> dy = grad.is_contiguous() ? grad.detach() : detail::copy_of(grad.detach());
              kernels::pad_scatter<T>(g, dy.data_ptr(), dx.data_ptr());
            }
            return autograd::Grads<T>{dx, {}, {}};
          }, input);
    }
  }
  return out;
}

}  // namespace tapegrad
