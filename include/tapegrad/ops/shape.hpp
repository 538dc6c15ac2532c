#pragma once
// Views: new sizes/strides/offset over the same storage, no data copied
// (reshape and contiguous copy only when they must, as in PyTorch).
#include <array>
#include <initializer_list>
#include <optional>
#include <utility>
#include <vector>

#include "../autograd/node.hpp"
#include "../tensor/factory.hpp"
#include "../tensor/reduction.hpp"  // sum_to (expand's backward)
#include "../tensor/tensor.hpp"

namespace tapegrad {

namespace detail {
template <Element T>
Tensor<T> make_view(const Tensor<T>& t, Shape sizes, Shape strides, int64_t offset) {
  return Tensor<T>(unchecked_layout, t.storage(), std::move(sizes), std::move(strides), offset);
}
/// t with dims d0 and d1 (already wrapped) swapped, not recorded.
template <Element T>
Tensor<T> swapped_view(const Tensor<T>& t, int64_t d0, int64_t d1) {
  Shape sz = t.sizes(), st = t.strides();
  std::swap(sz[d0], sz[d1]);
  std::swap(st[d0], st[d1]);
  return make_view(t, std::move(sz), std::move(st), t.storage_offset());
}

// Record a view (or copy) op whose backward is grad_fn(g) -> gradient of input.
template <Element T, class GradFn>
Tensor<T> recorded(const Tensor<T>& out, const Tensor<T>& input, const char* name, GradFn grad_fn) {
  if constexpr (FloatingElement<T>) {
    if (autograd::needs_grad(input))
      autograd::record(out, name, [grad_fn](const Tensor<T>& g, autograd::Needs) {
        return autograd::Grads<T>{grad_fn(g), {}, {}};
      }, input);
  }
  return out;
}

// Backward of narrow/select/slice: the gradient lands in the selected part of
// a zero tensor of the input's shape.
template <Element T, class Select>
Tensor<T> scatter_into_zeros(const Tensor<T>& g, const Shape& sizes, Select select) {
  auto gin = zeros<T>(sizes);
  select(gin).copy_(g);
  return gin;
}

// Resolve one -1 in a requested shape against numel.
inline Shape infer_size(const Shape& shape, int64_t numel, const char* op) {
  Shape out = shape;
  int64_t infer = -1;
  for (int64_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      TAPEGRAD_CHECK(infer < 0, ValueError, op, ": only one dimension can be inferred, got shape ",
                     shape);
      infer = i;
      out[i] = 1;
    } else {
      TAPEGRAD_CHECK(shape[i] >= 0, ValueError, op, ": invalid shape dimension ", shape[i],
                     " in shape ", shape);
    }
  }
  // Note [Checked sizes]: a product past int64 cannot be numel; with a zero
  // dim it would still overflow the strides.
  int64_t known = 1;
  bool zero = false, fits = true;
  for (int64_t d : out) {
    zero = zero || d == 0;
    fits = fits && detail::checked_mul(known, d == 0 ? 1 : d, known);
  }
  TAPEGRAD_CHECK(fits || zero, ShapeError, op, ": shape ", shape, " is invalid for input of size ", numel);
  TAPEGRAD_CHECK(fits, ValueError, op, ": shape ", shape, " has more than 2^63 - 1 elements in its nonzero dimensions");
  if (zero) known = 0;
  if (infer >= 0) {
    TAPEGRAD_CHECK(known != 0 && numel % known == 0, ShapeError, op, ": shape ", shape,
                   " is invalid for input of size ", numel);
    out[infer] = numel / known;
  }
  TAPEGRAD_CHECK(shape_numel(out) == numel, ShapeError, op, ": shape ", shape,
                 " is invalid for input of size ", numel);
  return out;
}

// Note [View strides]: strides for viewing (old sizes, old strides) as `shape`
// without a copy, or nullopt. The old dims are split into chunks that are
// contiguous among themselves; each chunk must map onto whole new dims (the
// algorithm of ATen's computeStride).
inline std::optional<Shape> view_strides(const Shape& old_sizes, const Shape& old_strides,
                                         const Shape& shape) {
  const int64_t numel = shape_numel(old_sizes);
  if (old_sizes.empty()) return Shape(shape.size(), 1);
  if (numel == 0) return old_sizes == shape ? old_strides : contiguous_strides(shape);
  Shape st(shape.size(), 0);
  int64_t view_d = shape.size() - 1;
  int64_t chunk_stride = old_strides.back(), tensor_numel = 1, view_numel = 1;
  for (int64_t d = old_sizes.size() - 1; d >= 0; --d) {
    tensor_numel *= old_sizes[d];
    if (d == 0 || (old_sizes[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        st[view_d] = view_numel * chunk_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_stride = old_strides[d - 1];
        tensor_numel = view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return st;
}
}  // namespace detail

/// x.view(shape): the same data with a new shape; one dim may be -1. Throws
/// where PyTorch throws: bad numel, two -1, strides that need a copy.
template <Element T>
Tensor<T> Tensor<T>::view(const Shape& shape) const {
  Shape target = detail::infer_size(shape, numel(), "view");
  auto st = detail::view_strides(sizes(), strides(), target);
  TAPEGRAD_CHECK(st.has_value(), ShapeError, "view: shape ", target,
                 " is incompatible with input shape ", sizes(), " and strides ", strides(),
                 "; use reshape()");
  return detail::recorded(detail::make_view(*this, target, *st, storage_offset()), *this, "ViewBackward0",
                          [in = sizes()](const Tensor<T>& g) { return g.reshape(in); });
}

/// x.reshape(shape): a view when the strides allow one, else a copy.
template <Element T>
Tensor<T> Tensor<T>::reshape(const Shape& shape) const {
  Shape target = detail::infer_size(shape, numel(), "reshape");
  if (auto st = detail::view_strides(sizes(), strides(), target))
    return detail::recorded(detail::make_view(*this, target, *st, storage_offset()), *this,
                            "ReshapeAliasBackward0", [in = sizes()](const Tensor<T>& g) { return g.reshape(in); });
  // A copy, as PyTorch's clone + _unsafe_view: one node, UnsafeViewBackward0.
  const auto copy = detail::copy_of(*this);
  return detail::recorded(detail::make_view(copy, target, contiguous_strides(target), 0), *this,
                          "UnsafeViewBackward0", [in = sizes()](const Tensor<T>& g) { return g.reshape(in); });
}

/// x.flatten(start_dim, end_dim): merge dims start..end into one.
template <Element T>
Tensor<T> Tensor<T>::flatten(int64_t start_dim, int64_t end_dim) const {
  int64_t s = wrap_dim(start_dim, dim(), "flatten"), e = wrap_dim(end_dim, dim(), "flatten");
  if (dim() == 0) return reshape({1});
  TAPEGRAD_CHECK(s <= e, ValueError, "flatten: start_dim (", start_dim,
                 ") cannot come after end_dim (", end_dim, ")");
  if (s == e) return *this;
  Shape shape;
  for (int64_t i = 0; i < s; ++i) shape.push_back(sizes()[i]);
  int64_t merged = 1;
  for (int64_t i = s; i <= e; ++i) merged *= sizes()[i];
  shape.push_back(merged);
  for (int64_t i = e + 1; i < dim(); ++i) shape.push_back(sizes()[i]);
  return reshape(shape);
}

/// x.unsqueeze(d): insert a dim of size 1 at d (-1 appends).
template <Element T>
Tensor<T> Tensor<T>::unsqueeze(int64_t d) const {
  d = wrap_dim(d, dim() + 1, "unsqueeze");
  Shape sz = sizes(), st = strides();
  sz.insert(d, 1);
  st.insert(d, d < dim() ? sizes()[d] * strides()[d] : 1);
  return detail::recorded(detail::make_view(*this, sz, st, storage_offset()), *this, "UnsqueezeBackward0",
                          [d](const Tensor<T>& g) { return g.squeeze(d); });
}

/// x.squeeze(): drop every dim of size 1.
template <Element T>
Tensor<T> Tensor<T>::squeeze() const {
  Shape sz, st;
  for (int64_t i = 0; i < dim(); ++i)
    if (sizes()[i] != 1) {
      sz.push_back(sizes()[i]);
      st.push_back(strides()[i]);
    }
  return detail::recorded(detail::make_view(*this, sz, st, storage_offset()), *this, "SqueezeBackward0",
                          [in = sizes()](const Tensor<T>& g) { return g.reshape(in); });
}

/// x.squeeze(d): drop dim d if its size is 1 (else the same shape).
template <Element T>
Tensor<T> Tensor<T>::squeeze(int64_t d) const {
  if (dim() == 0) {
    wrap_dim(d, 0, "squeeze");
    return detail::recorded(detail::make_view(*this, sizes(), strides(), storage_offset()), *this,
                            "SqueezeBackward1", [](const Tensor<T>& g) { return g; });
  }
  d = wrap_dim(d, dim(), "squeeze");
  Shape sz = sizes(), st = strides();
  if (sz[d] == 1) {
    sz.erase(d);
    st.erase(d);
  }
  return detail::recorded(detail::make_view(*this, sz, st, storage_offset()), *this, "SqueezeBackward1",
                          [in = sizes()](const Tensor<T>& g) { return g.reshape(in); });
}

/// x.transpose(d0, d1): swap two dims.
template <Element T>
Tensor<T> Tensor<T>::transpose(int64_t d0, int64_t d1) const {
  if (dim() == 0) {
    wrap_dim(d0, 0, "transpose");
    wrap_dim(d1, 0, "transpose");
  } else {
    d0 = wrap_dim(d0, dim(), "transpose");
    d1 = wrap_dim(d1, dim(), "transpose");
  }
  auto out = dim() == 0 ? detail::make_view(*this, sizes(), strides(), storage_offset())
                        : detail::swapped_view(*this, d0, d1);
  return detail::recorded(out, *this, "TransposeBackward0",
                          [d0, d1](const Tensor<T>& g) { return g.transpose(d0, d1); });
}

/// x.t(): transpose of a matrix; 0-d and 1-d tensors are returned as is.
template <Element T>
Tensor<T> Tensor<T>::t() const {
  TAPEGRAD_CHECK(dim() <= 2, ShapeError, "t: expects a tensor with <= 2 dimensions, but got shape ",
                 sizes(), " (", dim(), "-D); use transpose() or permute()");
  return autograd::renamed(dim() < 2 ? transpose(0, 0) : transpose(0, 1), "TBackward0");
}

/// x.permute(dims): reorder the dims; `dims` must be a permutation.
template <Element T>
Tensor<T> Tensor<T>::permute(const Shape& dims) const {
  TAPEGRAD_CHECK(dims.size() == dim(), ShapeError, "permute: number of dims don't match: got ",
                 dims, " for a tensor of shape ", sizes());
  Shape sz(dim()), st(dim()), inverse(dim());
  std::vector<bool> seen(static_cast<size_t>(dim()), false);
  for (int64_t i = 0; i < dim(); ++i) {
    int64_t d = wrap_dim(dims[i], dim(), "permute");
    TAPEGRAD_CHECK(!seen[static_cast<size_t>(d)], ValueError, "permute: repeated dim ", dims[i],
                   " in ", dims);
    seen[static_cast<size_t>(d)] = true;
    sz[i] = sizes()[d];
    st[i] = strides()[d];
    inverse[d] = i;
  }
  return detail::recorded(detail::make_view(*this, sz, st, storage_offset()), *this, "PermuteBackward0",
                          [inverse](const Tensor<T>& g) { return g.permute(inverse); });
}

/// x.expand(shape): broadcast size-1 dims (stride 0) and prepend new dims;
/// -1 keeps a size.
template <Element T>
Tensor<T> Tensor<T>::expand(const Shape& shape) const {
  TAPEGRAD_CHECK(shape.size() >= dim(), ShapeError, "expand: the number of sizes provided (",
                 shape.size(), ") must be greater or equal to the number of dimensions in the tensor (",
                 dim(), "); target ", shape, ", tensor ", sizes());
  const int64_t n = shape.size(), lead = n - dim();
  Shape sz(n), st(n);
  // from the back, as ATen's inferExpandGeometry: a new leading dim of size 1
  // gets the stride a contiguous layout would give it (that of the dims
  // after it), so that expand({1, 3}) of a [3] is [3, 1] strided like view
  for (int64_t i = n - 1; i >= 0; --i) {
    if (i < lead) {
      TAPEGRAD_CHECK(shape[i] >= 0, ValueError, "expand: -1 is not allowed in a leading, non-existing dimension (",
                     i, "); target ", shape);
      sz[i] = shape[i];
      st[i] = shape[i] != 1 || dim() == 0 ? 0 : sz[i + 1] * st[i + 1];
      continue;
    }
    int64_t have = sizes()[i - lead], want = shape[i] == -1 ? have : shape[i];
    TAPEGRAD_CHECK(have == want || have == 1, ShapeError, "expand: the expanded size of the tensor (",
                   want, ") must match the existing size (", have, ") at non-singleton dimension ",
                   i, "; target ", shape, ", tensor ", sizes());
    sz[i] = want;
    st[i] = have == want ? strides()[i - lead] : 0;
  }
  detail::checked_numel(sz, "expand");  // a view, but its numel must fit (Note [Checked sizes])
  // d/dx expand(x): the copies' gradients add up (Note [Broadcasting in backward])
  if constexpr (FloatingElement<T>)
    return detail::recorded(detail::make_view(*this, sz, st, storage_offset()), *this, "ExpandBackward0",
                            [in = sizes()](const Tensor<T>& g) { return sum_to(g, in); });
  else
    return detail::make_view(*this, sz, st, storage_offset());
}

/// x.narrow(dim, start, length): elements start..start+length-1 of dim.
template <Element T>
Tensor<T> Tensor<T>::narrow(int64_t d, int64_t start, int64_t length) const {
  TAPEGRAD_CHECK(dim() > 0, ShapeError, "narrow: cannot be applied to a 0-dim tensor");
  d = wrap_dim(d, dim(), "narrow");
  const int64_t size = sizes()[d];
  TAPEGRAD_CHECK(start >= -size && start <= size, IndexError, "narrow: start (", start,
                 ") is out of range for dimension ", d, " of size ", size);
  if (start < 0) start += size;
  TAPEGRAD_CHECK(length >= 0 && length <= size - start, IndexError, "narrow: start (", start,
                 ") + length (", length, ") exceeds dimension size (", size, ") of shape ", sizes());
  Shape sz = sizes();
  sz[d] = length;
  return detail::recorded(detail::make_view(*this, sz, strides(), storage_offset() + start * strides()[d]),
                          *this, "SliceBackward0", [in = sizes(), d, start, length](const Tensor<T>& g) {
                            return detail::scatter_into_zeros(g, in, [&](const Tensor<T>& z) { return z.narrow(d, start, length); });
                          });
}

/// x.select(dim, i): the slice at index i of dim, with that dim removed.
template <Element T>
Tensor<T> Tensor<T>::select(int64_t d, int64_t index) const {
  TAPEGRAD_CHECK(dim() > 0, IndexError, "select: cannot select from a 0-dim tensor");
  d = wrap_dim(d, dim(), "select");
  const int64_t size = sizes()[d];
  TAPEGRAD_CHECK(index >= -size && index < size, IndexError, "select: index ", index,
                 " out of range for tensor of shape ", sizes(), " at dimension ", d);
  if (index < 0) index += size;
  Shape sz = sizes(), st = strides();
  sz.erase(d);
  st.erase(d);
  return detail::recorded(detail::make_view(*this, sz, st, storage_offset() + index * strides()[d]), *this,
                          "SelectBackward0", [in = sizes(), d, index](const Tensor<T>& g) {
                            return detail::scatter_into_zeros(g, in, [&](const Tensor<T>& z) { return z.select(d, index); });
                          });
}

template <Element T>
Tensor<T> Tensor<T>::operator[](int64_t i) const {
  TAPEGRAD_CHECK(dim() > 0, IndexError, "index: invalid index of a 0-dim tensor");
  return select(0, i);
}

/// x.slice(dim, start, end, step): Python's x[..., start:end:step, ...];
/// out-of-range bounds are clamped as in Python.
template <Element T>
Tensor<T> Tensor<T>::slice(int64_t d, std::optional<int64_t> start, std::optional<int64_t> end,
                           int64_t step) const {
  TAPEGRAD_CHECK(dim() > 0, IndexError, "slice: cannot be applied to a 0-dim tensor");
  TAPEGRAD_CHECK(step > 0, ValueError, "slice: step must be positive, got ", step);
  d = wrap_dim(d, dim(), "slice");
  const int64_t size = sizes()[d];
  auto clampi = [&](int64_t v) {
    if (v < 0) v += size;
    return std::clamp<int64_t>(v, 0, size);
  };
  int64_t s = start ? clampi(*start) : 0, e = end ? clampi(*end) : size;
  if (e < s) e = s;
  Shape sz = sizes(), st = strides();
  sz[d] = (e - s + step - 1) / step;
  st[d] *= step;
  return detail::recorded(detail::make_view(*this, sz, st, storage_offset() + s * strides()[d]), *this,
                          "SliceBackward0", [in = sizes(), d, s, e, step](const Tensor<T>& g) {
                            return detail::scatter_into_zeros(g, in, [&](const Tensor<T>& z) { return z.slice(d, s, e, step); });
                          });
}

namespace detail {
/// x's copy, recorded: the gradient passes straight through.
template <Element T>
Tensor<T> recorded_copy(const Tensor<T>& x, const Tensor<T>& copy) {
  copy_into(copy, x);
  return recorded(copy, x, "CloneBackward0", [](const Tensor<T>& g) { return g; });
}
}  // namespace detail

/// x.clone(): a copy with x's strides when x is dense (a transpose's clone
/// is transposed too), else contiguous: PyTorch's preserve_format. The
/// gradient passes straight through.
template <Element T>
Tensor<T> Tensor<T>::clone() const {
  return detail::recorded_copy(*this, detail::empty_preserving<T>(*this));
}

/// x.contiguous(): x itself when already contiguous, else a contiguous copy.
template <Element T>
Tensor<T> Tensor<T>::contiguous() const {
  return is_contiguous() ? *this : detail::recorded_copy(*this, detail::make_empty<T>(sizes()));
}

/// x.to<U>(): a copy converted to U (x itself when U is T, as PyTorch);
/// between floating types the gradient is converted back.
template <Element T>
template <Element U>
Tensor<U> Tensor<T>::to() const {
  if constexpr (std::is_same_v<T, U>) {
    return *this;
  } else {
    auto out = detail::make_empty<U>(sizes());
    detail::copy_into(out, *this);
    if constexpr (FloatingElement<T> && FloatingElement<U>) {
      if (autograd::needs_grad(*this))
        autograd::record(out, "ToCopyBackward0", [](const Tensor<U>& g, autograd::Needs) {
          return autograd::Grads<U>{g, {}, {}};  // converted to T by the input's node
        }, *this);
    }
    return out;
  }
}

/// x.resize_(shape): give x this shape with contiguous strides, keeping its
/// storage and offset and growing the storage when needed (new elements are
/// zero). Views of the old storage see the new memory, as in PyTorch; x's
/// own shape leaves x as it is.
template <Element T>
const Tensor<T>& Tensor<T>::resize_(const Shape& shape) const {
  TAPEGRAD_CHECK(!requires_grad(), ValueError,
                 "resize_: cannot resize a tensor that requires grad (shape ", sizes(), ")");
  const int64_t n = detail::checked_numel(shape, "resize_");
  if (shape == sizes()) return *this;  // strides and values untouched, as PyTorch
  int64_t need = 0;
  TAPEGRAD_CHECK(detail::checked_add(storage_offset(), n, need), ValueError, "resize_: shape ", shape,
                 " at storage offset ", storage_offset(), " reaches past 2^63 - 1 elements");
  detail::check_nbytes(need, sizeof(T), shape, dtype_name<T>(), "resize_");
  storage()->grow(need, "resize_");
  impl().set_sizes(shape, contiguous_strides(shape));
  return *this;
}

// ---- cat and stack ---------------------------------------------------------------------
// Note [Cat backward]: cat takes any number of inputs, a node at most
// kMaxInputs edges. The gradient of the output is split along `dim` by a tree
// of nodes: the output's grad_fn cuts it into up to three slices, each for a
// contiguous group of inputs, and a group of more than one input gets a node
// that cuts its slice again. Every slice is a view of the output's gradient
// (no copies); n inputs take about n / 2 nodes.
namespace detail {
inline bool cat_skipped(const Shape& s) { return s.size() == 1 && s[0] == 0; }

/// The edge taking the gradient slice of inputs [lo, hi) (offsets along dim in off).
template <FloatingElement T>
std::shared_ptr<autograd::Node> cat_edge(const std::vector<Tensor<T>>& in, const std::vector<int64_t>& off,
                                         int64_t dim, size_t lo, size_t hi);

/// Up to three groups of [lo, hi) with their edges, and the backward cutting
/// a gradient that starts at off[lo] into the groups' slices.
template <FloatingElement T>
auto cat_split(const std::vector<Tensor<T>>& in, const std::vector<int64_t>& off, int64_t dim, size_t lo,
               size_t hi) {
  std::array<size_t, autograd::kMaxInputs + 1> b{};
  std::array<std::shared_ptr<autograd::Node>, autograd::kMaxInputs> next{};
  for (size_t j = 0; j <= autograd::kMaxInputs; ++j) b[j] = lo + (hi - lo) * j / autograd::kMaxInputs;
  for (size_t j = 0; j < autograd::kMaxInputs; ++j)
    if (b[j] < b[j + 1]) next[j] = cat_edge(in, off, dim, b[j], b[j + 1]);
  std::array<int64_t, autograd::kMaxInputs + 1> at{};
  for (size_t j = 0; j <= autograd::kMaxInputs; ++j) at[j] = off[b[j]] - off[lo];
  // a group of one left-out 1-D input of size 0: its gradient is a [0] tensor
  std::array<bool, autograd::kMaxInputs> left_out{};
  for (size_t j = 0; j < autograd::kMaxInputs; ++j)
    left_out[j] = b[j + 1] - b[j] == 1 && cat_skipped(in[b[j]].sizes());
  auto fn = [at, left_out, dim](const Tensor<T>& g, autograd::Needs needs) {
    autograd::Grads<T> grads;
    for (size_t j = 0; j < autograd::kMaxInputs; ++j) {
      if (!needs[j]) continue;
      if (left_out[j]) {
        grads[j] = make_empty<T>({0});
        continue;
      }
      Shape sz = g.sizes();
      sz[dim] = at[j + 1] - at[j];
      grads[j] = make_view(g, sz, g.strides(), g.storage_offset() + at[j] * g.strides()[dim]);
    }
    return grads;
  };
  return std::make_pair(fn, next);
}

template <FloatingElement T>
std::shared_ptr<autograd::Node> cat_edge(const std::vector<Tensor<T>>& in, const std::vector<int64_t>& off,
                                         int64_t dim, size_t lo, size_t hi) {
  if (hi - lo == 1) return autograd::gradient_edge(in[lo]);
  auto [fn, next] = cat_split(in, off, dim, lo, hi);
  bool any = false;
  for (const auto& e : next) any = any || e != nullptr;
  return any ? autograd::make_node<T>("CatBackward0", std::move(fn), next) : nullptr;
}
}  // namespace detail

/// torch.cat: the tensors joined along dim, which all of them have; their
/// other sizes must match. As PyTorch, 1-D tensors of size 0 are left out
/// whatever their shape (their gradient is a [0] tensor).
template <Element T>
Tensor<T> cat(const std::vector<Tensor<T>>& tensors, int64_t dim = 0) {
  TAPEGRAD_CHECK(!tensors.empty(), ValueError, "cat: expected a non-empty list of tensors");
  for (size_t i = 0; i < tensors.size(); ++i) {
    TAPEGRAD_CHECK(tensors[i].defined(), ValueError, "cat: tensor number ", i, " in the list is undefined");
    TAPEGRAD_CHECK(tensors[i].dim() > 0, ShapeError, "cat: zero-dimensional tensor (at position ", i,
                   ") cannot be concatenated");
  }
  size_t ref = 0;
  while (ref < tensors.size() && detail::cat_skipped(tensors[ref].sizes())) ++ref;
  const bool all_left_out = ref == tensors.size();  // all [0]: PyTorch gives [0]
  const Shape first = all_left_out ? Shape{0} : Shape(tensors[ref].sizes());
  const int64_t d = all_left_out ? 0 : wrap_dim(dim, first.size(), "cat");
  std::vector<int64_t> off(tensors.size() + 1, 0);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Shape& s = tensors[i].sizes();
    off[i + 1] = off[i];
    if (detail::cat_skipped(s)) continue;
    TAPEGRAD_CHECK(s.size() == first.size(), ShapeError, "cat: tensors must have same number of dimensions: got ",
                   first.size(), " and ", s.size(), " (shapes ", first, " and ", s, " for tensors number ", ref,
                   " and ", i, " in the list)");
    for (int64_t k = 0; k < s.size(); ++k)
      TAPEGRAD_CHECK(k == d || s[k] == first[k], ShapeError, "cat: sizes of tensors must match except in dimension ",
                     d, ": expected size ", first[k], " but got size ", s[k], " for tensor number ", i,
                     " in the list (shapes ", first, " and ", s, ")");
    TAPEGRAD_CHECK(detail::checked_add(off[i + 1], s[d], off[i + 1]), ValueError, "cat: the sizes along dimension ",
                   d, " add up to more than 2^63 - 1");
  }
  Shape sz = first;
  sz[d] = off.back();
  Tensor<T> out = detail::make_empty<T>(sz);
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (off[i + 1] == off[i]) continue;  // skipped, or size 0 along dim
    Shape part = sz;
    part[d] = off[i + 1] - off[i];
    detail::copy_into(detail::make_view(out, part, out.strides(), off[i] * out.strides()[d]), tensors[i]);
  }
  if constexpr (FloatingElement<T>) {
    bool grad = false;
    for (const auto& t : tensors) grad = grad || autograd::needs_grad(t);
    if (grad) {
      auto [fn, next] = detail::cat_split(tensors, off, d, 0, tensors.size());
      autograd::record_edges(out, "CatBackward0", std::move(fn), next);
    }
  }
  return out;
}

/// cat({a, b, c}, dim): the same for a braced list.
template <Element T>
Tensor<T> cat(std::initializer_list<Tensor<T>> tensors, int64_t dim = 0) {
  return cat(std::vector<Tensor<T>>(tensors), dim);
}

/// torch.stack: the tensors, all of one shape, joined along a new dim.
template <Element T>
Tensor<T> stack(const std::vector<Tensor<T>>& tensors, int64_t dim = 0) {
  TAPEGRAD_CHECK(!tensors.empty(), ValueError, "stack: expected a non-empty list of tensors");
  for (size_t i = 0; i < tensors.size(); ++i) {
    TAPEGRAD_CHECK(tensors[i].defined(), ValueError, "stack: tensor number ", i, " in the list is undefined");
    TAPEGRAD_CHECK(tensors[i].sizes() == tensors[0].sizes(), ShapeError,
                   "stack: expects each tensor to be equal size, but got ", tensors[0].sizes(), " at entry 0 and ",
                   tensors[i].sizes(), " at entry ", i);
  }
  const int64_t d = wrap_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor<T>> parts;
  parts.reserve(tensors.size());
  for (const auto& t : tensors) parts.push_back(t.unsqueeze(d));
  return autograd::renamed(cat(parts, d), "StackBackward0");
}
/// stack({a, b, c}, dim): the same for a braced list.
template <Element T>
Tensor<T> stack(std::initializer_list<Tensor<T>> tensors, int64_t dim = 0) {
  return stack(std::vector<Tensor<T>>(tensors), dim);
}

}  // namespace tapegrad
