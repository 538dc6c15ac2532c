#pragma once
// The general indexer, in LibTorch's spelling: x.index({...}) is Python's
// x[...] and x.index_put_({...}, v) is x[...] = v, with integers, slices,
// None (a new axis), Ellipsis, int64 index tensors and bool masks:
//
//   using namespace tapegrad::indexing;   // or tg::Slice, tg::None, tg::Ellipsis
//   x.index({0, Slice(1, None, 2), None, Ellipsis, idx, mask})
//
// Note [Basic and advanced indexing]: integers, slices, None and Ellipsis
// ("basic" indices) become select/slice/unsqueeze views, recorded as such, so
// an index of basic indices only returns a view sharing x's memory, as
// PyTorch. Index tensors ("advanced" indices; a k-dim mask is k index tensors,
// its nonzero()) are broadcast together to one shape B and copy: the result
// has B where the indexed dims were when they are adjacent, and B in front
// when a basic index separates them (NumPy's and PyTorch's rule:
// x[:, i, :, j] of a 4-D x is [B..., x.size(0), x.size(2)]). Negative
// integers and index values count from the end.
//
// Note [Advanced index kernel]: the indexed dims are permuted to the front of
// the (basic) view, the index values checked and wrapped once, and
// off[b] = sum_k idx_k[b] * stride_k computed per index position; the copy is
// then the gather loop (Note [Index loops]) with off as the index along a
// dim of stride 1. Its backward adds the gradient back at the same
// positions of a zero tensor (index_put_ with accumulate).
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include "index.hpp"

namespace tapegrad {

namespace indexing {
struct EllipsisIndexType {};
/// Python's `...`.
inline constexpr EllipsisIndexType Ellipsis{};
/// Python's None: a new axis as an index, an omitted bound in a Slice.
inline constexpr std::nullopt_t None = std::nullopt;

/// Python's start:stop:step; a missing bound is None.
class Slice {
 public:
  Slice(std::optional<int64_t> start = std::nullopt, std::optional<int64_t> stop = std::nullopt,
        std::optional<int64_t> step = std::nullopt)
      : start_(start), stop_(stop), step_(step.value_or(1)) {
    TAPEGRAD_CHECK(step_ != 0, ValueError, "index: slice step cannot be zero");
    TAPEGRAD_CHECK(step_ > 0, ValueError, "index: step must be greater than zero, got ", step_);
  }
  std::optional<int64_t> start() const { return start_; }
  std::optional<int64_t> stop() const { return stop_; }
  int64_t step() const { return step_; }

 private:
  std::optional<int64_t> start_, stop_;
  int64_t step_;
};

/// One entry of an index: an integer, a Slice, None, Ellipsis (or "..."),
/// an int64 index tensor or a bool mask.
class TensorIndex {
 public:
  enum class Kind { integer, slice, none, ellipsis, tensor, mask };
  TensorIndex(std::nullopt_t) : kind_(Kind::none) {}
  TensorIndex(EllipsisIndexType) : kind_(Kind::ellipsis) {}
  TensorIndex(const char* s) : kind_(Kind::ellipsis) {
    TAPEGRAD_CHECK(std::string_view(s) == "...", IndexError, "index: expected \"...\" as a string index, got \"",
                   s, "\"");
  }
  template <std::integral I>
    requires(!std::same_as<I, bool>)
  TensorIndex(I i) : kind_(Kind::integer), integer_(static_cast<int64_t>(i)) {}
  TensorIndex(Slice s) : kind_(Kind::slice), slice_(s) {}
  TensorIndex(Tensor<int64_t> t) : kind_(Kind::tensor), tensor_(std::move(t)) {}
  TensorIndex(Tensor<bool> m) : kind_(Kind::mask), mask_(std::move(m)) {}
  /// Any other index dtype is refused, as PyTorch 1.13 refuses it at run time.
  template <Element I>
    requires(!std::same_as<I, int64_t> && !std::same_as<I, bool>)
  TensorIndex(const Tensor<I>&) : kind_(Kind::none) {
    static_assert(!sizeof(I), "index: tensors used as indices must be int64 index tensors or bool masks");
  }

  Kind kind() const { return kind_; }
  int64_t integer() const { return integer_; }
  const Slice& slice() const { return slice_; }
  const Tensor<int64_t>& tensor() const { return tensor_; }
  const Tensor<bool>& mask() const { return mask_; }

 private:
  Kind kind_;
  int64_t integer_ = 0;
  Slice slice_;
  Tensor<int64_t> tensor_;
  Tensor<bool> mask_;
};
}  // namespace indexing

using indexing::Ellipsis;
using indexing::None;
using indexing::Slice;
using indexing::TensorIndex;

namespace detail {
/// An index tensor at dim `pos` of the basic view (dim `orig` of the indexed tensor).
struct AdvancedIndex {
  int64_t pos, orig;
  Tensor<int64_t> index;
};

/// The basic indices applied as views (Note [Basic and advanced indexing]),
/// and the advanced ones left to apply.
template <Element T>
std::pair<Tensor<T>, std::vector<AdvancedIndex>> apply_basic(const Tensor<T>& self, const TensorIndex* first,
                                                             size_t n, const char* op) {
  using K = TensorIndex::Kind;
  int64_t consumed = 0, ellipses = 0;
  for (size_t k = 0; k < n; ++k) {
    const TensorIndex& ix = first[k];
    if (ix.kind() == K::integer || ix.kind() == K::slice || ix.kind() == K::tensor) ++consumed;
    else if (ix.kind() == K::mask) consumed += ix.mask().dim();
    else if (ix.kind() == K::ellipsis) ++ellipses;
  }
  TAPEGRAD_CHECK(ellipses <= 1, IndexError, op, ": an index can only have a single ellipsis ('...')");
  TAPEGRAD_CHECK(consumed <= self.dim(), IndexError, op, ": too many indices for tensor of dimension ",
                 self.dim());
  Tensor<T> v = self;
  std::vector<AdvancedIndex> adv;
  int64_t d = 0, od = 0;  // the dim in v, the dim of self
  for (size_t k = 0; k < n; ++k) {
    const TensorIndex& ix = first[k];
    switch (ix.kind()) {
      case K::integer:
        v = v.select(d, checked_index(ix.integer(), v.sizes()[d], od, true, op));
        ++od;
        break;
      case K::slice:
        v = v.slice(d, ix.slice().start(), ix.slice().stop(), ix.slice().step());
        ++d, ++od;
        break;
      case K::none:
        v = v.unsqueeze(d);
        ++d;
        break;
      case K::ellipsis:
        d += self.dim() - consumed;
        od += self.dim() - consumed;
        break;
      case K::tensor:
        TAPEGRAD_CHECK(ix.tensor().defined(), ValueError, op, ": an index tensor is undefined");
        adv.push_back({d, od, ix.tensor()});
        ++d, ++od;
        break;
      case K::mask: {
        const Tensor<bool>& m = ix.mask();
        TAPEGRAD_CHECK(m.defined(), ValueError, op, ": an index mask is undefined");
        if (m.dim() == 0) {  // x[True] adds a dim of size 1, x[False] one of size 0
          v = v.unsqueeze(d);
          adv.push_back({d, od, zeros<int64_t>({m.item() ? 1 : 0})});
          ++d;
          break;
        }
        for (int64_t j = 0; j < m.dim(); ++j)
          TAPEGRAD_CHECK(m.sizes()[j] == v.sizes()[d + j], IndexError, op, ": the shape of the mask ", m.sizes(),
                         " at index ", j, " does not match the shape of the indexed tensor ", self.sizes(),
                         " at index ", od + j);
        auto nz = nonzero(m);
        for (int64_t j = 0; j < m.dim(); ++j) adv.push_back({d + j, od + j, nz.select(1, j)});
        d += m.dim();
        od += m.dim();
        break;
      }
    }
  }
  return {v, std::move(adv)};
}

/// Where advanced indices go (Note [Basic and advanced indexing]).
struct AdvancedPlan {
  Shape perm;    // the basic view's dims, indexed ones first
  Shape shape;   // B, the index tensors' broadcast shape
  std::vector<Tensor<int64_t>> idx;  // each index over B, checked and wrapped, contiguous
  int64_t at = 0;  // where B goes in the result: the first indexed dim, or 0 when separated
};

template <Element T>
AdvancedPlan plan_advanced(const Tensor<T>& v, const std::vector<AdvancedIndex>& adv, const char* op) {
  AdvancedPlan p;
  p.shape = adv[0].index.sizes();
  for (size_t k = 1; k < adv.size(); ++k) {
    const Shape& s = adv[k].index.sizes();
    Shape out(std::max(p.shape.size(), s.size()), 1);
    for (int64_t i = out.size() - 1; i >= 0; --i) {
      const int64_t ia = p.shape.size() - out.size() + i, ib = s.size() - out.size() + i;
      const int64_t da = ia >= 0 ? p.shape[ia] : 1, db = ib >= 0 ? s[ib] : 1;
      if (da != db && da != 1 && db != 1) {
        std::ostringstream shapes;
        for (size_t j = 0; j < adv.size(); ++j) shapes << (j ? ", " : "") << static_cast<const Shape&>(adv[j].index.sizes());
        throw_error<IndexError>(op, ": shape mismatch: indexing tensors could not be broadcast together with shapes ",
                                shapes.str());
      }
      out[i] = da == 1 ? db : da;
    }
    p.shape = out;
  }
  bool adjacent = true;
  for (size_t k = 1; k < adv.size(); ++k) adjacent = adjacent && adv[k].pos == adv[k - 1].pos + 1;
  p.at = adjacent ? adv[0].pos : 0;
  std::vector<bool> indexed(static_cast<size_t>(v.dim()), false);
  for (const auto& a : adv) {
    p.perm.push_back(a.pos);
    indexed[static_cast<size_t>(a.pos)] = true;
  }
  for (int64_t d = 0; d < v.dim(); ++d)
    if (!indexed[static_cast<size_t>(d)]) p.perm.push_back(d);
  const int64_t nb = shape_numel(p.shape);
  for (const auto& a : adv) {
    auto w = make_empty<int64_t>(p.shape, nb);
    copy_into(w, a.index.expand(p.shape));
    int64_t* pw = w.data_ptr();
    const int64_t size = v.sizes()[a.pos];
    for (int64_t j = 0; j < nb; ++j) pw[j] = checked_index(pw[j], size, a.orig, true, op);
    p.idx.push_back(std::move(w));
  }
  return p;
}

/// off[b] = sum_k idx[k][b] * strides[k] (Note [Advanced index kernel]); a
/// template for Note [Templates against compile time] (in ops/index.hpp).
template <Element I>
Tensor<I> index_offsets(const std::vector<Tensor<I>>& idx, const Shape& strides) {
  auto off = zeros<I>(idx[0].sizes());
  int64_t* po = off.data_ptr();
  const int64_t n = off.numel();
  for (size_t k = 0; k < idx.size(); ++k) {
    const int64_t* pi = idx[k].data_ptr();
    const int64_t st = strides[static_cast<int64_t>(k)];
    for (int64_t j = 0; j < n; ++j) po[j] += pi[j] * st;
  }
  return off;
}

/// f(offset into base, offset into other) over other = [B..., rest of base...],
/// base the permuted view with m indexed dims in front.
template <Element T, class F>
void advanced_walk(const Tensor<T>& base, int64_t m, const Tensor<int64_t>& off, const Shape& shape,
                   const Shape& other_strides, const F& f) {
  const int64_t nb = off.dim();
  Shape bst(shape.size(), 0), ist(shape.size(), 0);
  for (int64_t d = 0; d < nb; ++d) ist[d] = off.strides()[d];
  for (int64_t d = m; d < base.dim(); ++d) bst[nb + d - m] = base.strides()[d];
  index_walk(shape, bst, IndexedDim{0, INT64_MAX, 1, false, "index"}, off.data_ptr(), ist, other_strides, f);
}

/// [B..., rest...] shape for base with m indexed dims in front.
inline Shape advanced_shape(const Shape& b, const Shape& base_sizes, int64_t m) {
  Shape s = b;
  for (int64_t d = m; d < base_sizes.size(); ++d) s.push_back(base_sizes[d]);
  return s;
}

/// The permutation taking [B..., rest...] to the result's order (B at `at`),
/// or its inverse.
inline Shape b_to(int64_t nb, int64_t at, int64_t ndim, bool inverse) {
  Shape perm;
  for (int64_t d = 0; d < at; ++d) perm.push_back(nb + d);
  for (int64_t d = 0; d < nb; ++d) perm.push_back(d);
  for (int64_t d = at + nb; d < ndim; ++d) perm.push_back(d);
  if (!inverse) return perm;
  Shape inv(ndim);
  for (int64_t d = 0; d < ndim; ++d) inv[perm[d]] = d;
  return inv;
}

template <Element T>
Tensor<T> index_impl(const Tensor<T>& self, const TensorIndex* first, size_t n) {
  auto [v, adv] = apply_basic(self, first, n, "index");
  if (adv.empty()) return v;
  AdvancedPlan p = plan_advanced(v, adv, "index");
  const Tensor<T> base = v.permute(p.perm);
  const int64_t m = static_cast<int64_t>(adv.size());
  const Shape shape = advanced_shape(p.shape, base.sizes(), m);
  auto out = make_empty<T>(shape);
  if (out.numel() > 0) {
    const T* pb = base.data_ptr();
    T* po = out.data_ptr();
    advanced_walk(base, m, index_offsets(p.idx, base.strides()), shape, out.strides(),
                  [&](int64_t a, int64_t b) { po[b] = pb[a]; });
  }
  if constexpr (FloatingElement<T>) {
    // d/dbase: the gradient added back where each element was read from
    if (autograd::needs_grad(base))
      autograd::record(out, "IndexBackward0",
                       [idx = p.idx, in = base.sizes(), m](const Tensor<T>& g, autograd::Needs) {
                         auto z = zeros<T>(in);
                         T* pz = z.data_ptr();
                         const T* pg = g.data_ptr();
                         advanced_walk(z, m, index_offsets(idx, z.strides()), g.sizes(), g.strides(),
                                       [&](int64_t a, int64_t b) { pz[a] += pg[b]; });
                         return autograd::Grads<T>{z, {}, {}};
                       },
                       base);
  }
  if (p.at == 0) return out;
  return out.permute(b_to(p.shape.size(), p.at, out.dim(), false)).contiguous();
}

template <Element T>
void index_put_impl(const Tensor<T>& self, const TensorIndex* first, size_t n, Tensor<T> values, bool accumulate) {
  check_inplace(self, values, "index_put_");
  check_writable(self, "index_put_");
  if (shares_storage(self, values)) values = copy_of(values);  // x[i] = x[j]: read all before writing
  auto [v, adv] = apply_basic(self, first, n, "index_put_");
  if (adv.empty()) {
    if (accumulate) v.add_(values);
    else v.copy_(values);
    return;
  }
  AdvancedPlan p = plan_advanced(v, adv, "index_put_");
  const Tensor<T> base = v.permute(p.perm);
  const int64_t m = static_cast<int64_t>(adv.size()), nb = p.shape.size();
  const Shape shape = advanced_shape(p.shape, base.sizes(), m);
  // the values broadcast to the indexing result's shape, seen in [B..., rest...] order
  Shape result = p.at == 0 ? shape : Shape();
  if (p.at != 0) {
    const Shape perm = b_to(nb, p.at, shape.size(), false);
    for (int64_t d = 0; d < shape.size(); ++d) result.push_back(shape[perm[d]]);
  }
  TAPEGRAD_CHECK(broadcasts_to(values.sizes(), result), ShapeError,
                 "index_put_: shape mismatch: value tensor of shape ", values.sizes(),
                 " cannot be broadcast to indexing result of shape ", result);
  Tensor<T> ve = make_view(values, result, broadcast_strides(values, result), values.storage_offset());
  if (p.at != 0) ve = ve.permute(b_to(nb, p.at, shape.size(), true));
  if (shape_numel(shape) > 0) {
    T* pb = base.data_ptr();
    const T* pv = ve.data_ptr();
    const Tensor<int64_t> off = index_offsets(p.idx, base.strides());
    if (accumulate)
      advanced_walk(base, m, off, shape, ve.strides(), [&](int64_t a, int64_t b) { pb[a] = wrap_add(pb[a], pv[b]); });
    else
      advanced_walk(base, m, off, shape, ve.strides(), [&](int64_t a, int64_t b) { pb[a] = pv[b]; });
  }
  self.storage()->bump_version();
}
}  // namespace detail

/// index(x, {...}): x[...] (Note [Basic and advanced indexing]).
template <Element T>
Tensor<T> index(const Tensor<T>& x, const std::vector<TensorIndex>& indices) {
  return detail::index_impl(x, indices.data(), indices.size());
}

/// index_put(x, {...}, values, accumulate): a copy of x with x[...] = values
/// (+= with accumulate; duplicates: Note [Duplicate indices]); values
/// broadcast to x[...]'s shape. Differentiable in x and values.
template <Element T>
Tensor<T> index_put(const Tensor<T>& x, const std::vector<TensorIndex>& indices, const Tensor<T>& values,
                    bool accumulate = false) {
  auto out = detail::copy_of(x);
  {
    NoGradGuard no_grad;
    detail::index_put_impl(out, indices.data(), indices.size(), values, accumulate);
  }
  if constexpr (FloatingElement<T>) {
    // d/dx = g (accumulate) or g with the written positions zeroed;
    // d/dvalues = g[...], summed over the dims values were broadcast along
    if (autograd::needs_grad(x, values))
      autograd::record(out, "IndexPutBackward0",
                       [indices, accumulate, vs = values.sizes()](const Tensor<T>& g, autograd::Needs n) {
                         autograd::Grads<T> grads;
                         if (n[0]) {
                           grads[0] = accumulate ? g : detail::copy_of(g);
                           if (!accumulate)
                             detail::index_put_impl(grads[0], indices.data(), indices.size(), zeros<T>({}), false);
                         }
                         if (n[1]) grads[1] = sum_to(index(g, indices), vs);
                         return grads;
                       },
                       x, values);
  }
  return out;
}

template <Element T>
Tensor<T> Tensor<T>::index(std::initializer_list<TensorIndex> indices) const {
  return detail::index_impl(*this, indices.begin(), indices.size());
}
template <Element T>
Tensor<T> Tensor<T>::index(const std::vector<TensorIndex>& indices) const {
  return detail::index_impl(*this, indices.data(), indices.size());
}
template <Element T>
const Tensor<T>& Tensor<T>::index_put_(std::initializer_list<TensorIndex> indices, const Tensor& values,
                                       bool accumulate) const {
  detail::index_put_impl(*this, indices.begin(), indices.size(), values, accumulate);
  return *this;
}
template <Element T>
const Tensor<T>& Tensor<T>::index_put_(const std::vector<TensorIndex>& indices, const Tensor& values,
                                       bool accumulate) const {
  detail::index_put_impl(*this, indices.data(), indices.size(), values, accumulate);
  return *this;
}
template <Element T>
template <Scalar S>
const Tensor<T>& Tensor<T>::index_put_(std::initializer_list<TensorIndex> indices, S value) const {
  detail::index_put_impl(*this, indices.begin(), indices.size(), detail::checked_scalar_tensor<T>(value, "index_put_"),
                         false);
  return *this;
}
template <Element T>
template <Scalar S>
const Tensor<T>& Tensor<T>::index_put_(const std::vector<TensorIndex>& indices, S value) const {
  detail::index_put_impl(*this, indices.data(), indices.size(), detail::checked_scalar_tensor<T>(value, "index_put_"),
                         false);
  return *this;
}
template <Element T>
Tensor<T> Tensor<T>::operator[](const Tensor<bool>& mask) const {
  return index({TensorIndex(mask)});
}
template <Element T>
Tensor<T> Tensor<T>::operator[](const Tensor<int64_t>& idx) const {
  return index({TensorIndex(idx)});
}

}  // namespace tapegrad
