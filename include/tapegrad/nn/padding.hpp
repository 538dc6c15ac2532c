#pragma once
// torch.nn.functional.pad (constant, reflect, replicate) and one_hot, in
// tapegrad::nn::functional (tapegrad::F).
#include <algorithm>
#include <string>
#include <string_view>

#include "../ops/compose.hpp"
#include "../ops/index.hpp"

namespace tapegrad::detail {
// The source index of every output position along one padded dim of `size`:
// -left .. size + right - 1 mapped into the input (reflect: mirrored about
// the edge element, which is not repeated; replicate: clamped to the edge).
// (a template: Note [Templates against compile time] in ops/index.hpp)
template <Element I>
Tensor<I> pad_source_index(int64_t size, int64_t left, int64_t right, bool reflect) {
  auto idx = make_empty<I>({size + left + right});
  I* p = idx.data_ptr();
  for (int64_t j = -left; j < size + right; ++j) {
    int64_t s = j;
    if (reflect) s = j < 0 ? -j : (j >= size ? 2 * (size - 1) - j : j);
    else s = std::clamp<int64_t>(j, 0, size - 1);
    *p++ = s;
  }
  return idx;
}
}  // namespace tapegrad::detail

namespace tapegrad::nn::functional {

using tapegrad::one_hot;

/// pad(x, pad, mode, value): pad = {left, right} of the last dim, then of the
/// dim before it, ...; mode "constant" (value; negative pads crop), "reflect"
/// or "replicate" (those pad the last 1, 2 or 3 dims of a batched input).
template <Element T>
Tensor<T> pad(const Tensor<T>& x, const Shape& pad, std::string_view mode = "constant", double value = 0) {
  TAPEGRAD_CHECK(pad.size() % 2 == 0, ValueError, "pad: padding length must be divisible by 2, got ", pad);
  TAPEGRAD_CHECK(pad.size() / 2 <= x.dim(), ValueError, "pad: padding length too large: ", pad,
                 " for an input of shape ", x.sizes());
  const int64_t np = pad.size() / 2;
  if (mode == "constant") {
    Shape out_sz = x.sizes();
    for (int64_t k = 0; k < np; ++k) {
      const int64_t d = x.dim() - 1 - k;
      out_sz[d] = x.sizes()[d] + pad[2 * k] + pad[2 * k + 1];
      TAPEGRAD_CHECK(out_sz[d] >= 0, ValueError, "pad: the input size ", x.sizes()[d], ", plus negative padding ",
                     pad[2 * k], " and ", pad[2 * k + 1], " resulted in a negative output size, which is invalid. "
                     "Check dimension ", d, " of your input");
    }
    auto out = full<T>(out_sz, tapegrad::detail::checked_scalar<T>(value, "pad"));
    // the part of x that survives (negative pads crop) and where it goes
    auto regions = [np, pad](Tensor<T> in, Tensor<T> o) {
      for (int64_t k = 0; k < np; ++k) {
        const int64_t d = in.dim() - 1 - k, l = pad[2 * k], r = pad[2 * k + 1];
        const int64_t len = in.sizes()[d] + std::min<int64_t>(l, 0) + std::min<int64_t>(r, 0);
        if (len <= 0) return std::make_pair(Tensor<T>(), Tensor<T>());
        in = in.narrow(d, std::max<int64_t>(-l, 0), len);
        o = o.narrow(d, std::max<int64_t>(l, 0), len);
      }
      return std::make_pair(in, o);
    };
    {
      NoGradGuard no_grad;
      auto [src, dst] = regions(x, out);
      if (src.defined()) tapegrad::detail::copy_into(dst, src);
    }
    // d/dx: the gradient of the positions x was copied to
    return tapegrad::detail::recorded(out, x, "ConstantPadNdBackward0", [regions, in = x.sizes()](const Tensor<T>& g) {
      auto z = zeros<T>(in);
      auto [dst, src] = regions(z, g);
      if (dst.defined()) tapegrad::detail::copy_into(dst, src);
      return z;
    });
  }
  const bool reflect = mode == "reflect";
  TAPEGRAD_CHECK(reflect || mode == "replicate", ValueError, "pad: unsupported mode \"", std::string(mode),
                 "\" (constant, reflect or replicate)");
  TAPEGRAD_CHECK(np >= 1 && np <= 3 && (x.dim() == np + 1 || x.dim() == np + 2), ValueError, "pad: ",
                 std::string(mode), " padding of ", np, " dims expects a ", np + 1, "-D or ", np + 2,
                 "-D input, got shape ", x.sizes());
  Tensor<T> out = x;
  for (int64_t k = 0; k < np; ++k) {
    const int64_t d = x.dim() - 1 - k, size = x.sizes()[d], l = pad[2 * k], r = pad[2 * k + 1];
    TAPEGRAD_CHECK(l >= 0 && r >= 0, ValueError, "pad: ", std::string(mode), " padding must be non-negative, got ",
                   pad);
    if (reflect)
      TAPEGRAD_CHECK(l < size && r < size, ValueError, "pad: padding size should be less than the corresponding "
                     "input dimension, but got: padding (", l, ", ", r, ") at dimension ", d, " of input ", x.sizes());
    else
      TAPEGRAD_CHECK(size > 0 || l + r == 0, ValueError, "pad: cannot replicate-pad dimension ", d,
                     " of size 0 (input ", x.sizes(), ")");
    // d/dx: index_select's backward adds each output's gradient to its source
    if (l != 0 || r != 0) out = index_select(out, d, tapegrad::detail::pad_source_index<int64_t>(size, l, r, reflect));
  }
  return out.is_same(x) ? x.clone() : out;
}

}  // namespace tapegrad::nn::functional
