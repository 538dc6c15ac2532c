#pragma once
// Indexing with index tensors and masks: gather / scatter / scatter_add,
// index_select and the index_* family, masked_fill / masked_select,
// nonzero / argwhere / where(cond), take_along_dim and one_hot, each with
// PyTorch's gradient. The general indexer (x.index({...})) is ops/indexer.hpp.
//
// Note [Index dtypes]: as PyTorch 1.13, gather, scatter*, index_fill and
// index_copy take int64 indices only; index_select and index_add take int32
// or int64. A refused index dtype does not compile: an int64-only op takes a
// Tensor<int64_t> (the compiler says it cannot convert the argument), the
// others, and the indexer, have a static_assert naming the dtypes they take.
//
// Note [Negative indices]: PyTorch wraps negative indices in index_fill_ and
// in x[idx] (ops/indexer.hpp) only; gather, scatter*, index_select,
// index_add_ and index_copy_ reject them as out of bounds. tapegrad does the
// same, with the message "<op>: index -1 is out of bounds for dimension 1
// with size 10" (IndexError) for every op.
//
// Note [Duplicate indices]: scatter_add / index_add_ (and index_put_ with
// accumulate) add every source element, duplicates included. scatter,
// index_copy_ and index_put_ without accumulate write duplicates in an order
// PyTorch leaves unspecified ("any one wins"); tapegrad's loop keeps the last
// in row-major order of the index, but code must not rely on it.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

#include "../autograd/node.hpp"
#include "../tensor/factory.hpp"
#include "../tensor/iterator.hpp"
#include "elementwise.hpp"
#include "reduce.hpp"
#include "shape.hpp"

namespace tapegrad {

namespace detail {
template <class I>
inline constexpr bool is_index_dtype_v = std::is_same_v<I, int32_t> || std::is_same_v<I, int64_t>;

/// i checked against a dim of `size`; with `wrap`, a negative i counts from the end.
inline int64_t checked_index(int64_t i, int64_t size, int64_t dim, bool wrap, const char* op) {
  const int64_t j = wrap && i < 0 ? i + size : i;
  TAPEGRAD_CHECK(j >= 0 && j < size, IndexError, op, ": index ", i, " is out of bounds for dimension ", dim,
                 " with size ", size);
  return j;
}

/// The dim an index addresses, for index_walk's checks.
struct IndexedDim {
  int64_t dim, size, stride;
  bool wrap;
  const char* op;
};

// Note [Index loops]: gather, scatter and the index_* ops are one loop. It
// walks a shape with three operands: the indexed tensor (whose stride along
// the indexed dim is given as 0), the index, and the other tensor (gather's
// output, scatter's source). At each position it reads the index value i,
// checks it, and calls f(offset into the indexed tensor + i * its stride
// along the dim, offset into the other tensor). index_select, index_add_,
// index_copy_ and index_fill_ walk their 1-D index expanded over the other
// dims (stride 0): one kernel, one set of checks.
template <Element I, class F>
void index_walk(const Shape& shape, const Shape& self_strides, const IndexedDim& ax, const I* pi,
                const Shape& index_strides, const Shape& other_strides, const F& f) {
  for_each_strided<3>(shape, {self_strides, index_strides, other_strides},
                      [&](const Offsets<3>& b, int64_t n, const Offsets<3>& s) {
                        for (int64_t k = 0; k < n; ++k) {
                          const int64_t i = checked_index(static_cast<int64_t>(pi[b[1] + k * s[1]]), ax.size,
                                                          ax.dim, ax.wrap, ax.op);
                          f(b[0] + k * s[0] + i * ax.stride, b[2] + k * s[2]);
                        }
                      });
}

/// t as a 1-D tensor of one element when it is 0-d (PyTorch's gather and
/// scatter treat a 0-d tensor as 1-D), else t; not recorded.
template <Element T>
Tensor<T> at_least_1d(const Tensor<T>& t) {
  return t.dim() > 0 ? t : make_view(t, Shape{1}, Shape{1}, t.storage_offset());
}

/// t's strides with the one along d set to 0 (index_walk's indexed operand).
template <Element T>
Shape strides_without(const Tensor<T>& t, int64_t d) {
  Shape st = t.strides();
  st[d] = 0;
  return st;
}

/// A 1-D (or 0-d) index seen over `ndim` dims, moving along d only.
template <Element I>
Shape expanded_index_strides(const Tensor<I>& index, int64_t ndim, int64_t d) {
  Shape st(std::max<int64_t>(ndim, 1), 0);
  st[d] = index.dim() > 0 ? index.strides()[0] : 0;
  return st;
}

/// o[0, n) = s[0, n) for short runs, inline: GCC turns a plain copy loop
/// into a call to memcpy, whose fixed cost is a large part of a copy of a few
/// hundred bytes (index_select's slices, scatter's rows).
template <Element T>
inline void copy_run(T* __restrict o, const T* __restrict s, int64_t n) {
  constexpr int64_t kChunk = 16;
  int64_t i = 0;
  for (; i + kChunk <= n; i += kChunk)
    for (int64_t j = 0; j < kChunk; ++j) o[i + j] = s[i + j];
  for (; i < n; ++i) o[i] = s[i];
}

// Note [Blocked index loops]: the usual gather/scatter has contiguous
// operands and an index of self's shape apart from dim d (picking along the
// last dim per row, a gradient of gather). Seen as [outer, size, inner] (self)
// and [outer, n, inner] (index and the other operand), it needs no stride
// arithmetic per element. Both loops check each index where they use it (an
// unsigned compare, which catches negatives too, and a branch that is never
// taken): a checking pass before each row cost as much as a quarter of a call
// on short rows (its reduction and branch per row), and vector gathers were
// no faster than these scalar loads, unrolled so that a taken branch closes
// several elements. A bad index throws the general loop's error (Note [Index
// loops]) for the first bad one in walk order (the index's memory order);
// scatter has added the elements before it, as the general loop and PyTorch
// do (gather's output is a fresh tensor, which nobody sees). Short
// self rows are prefetched a few rows ahead: within a row the reads go in
// index order, which the hardware prefetchers do not follow. The loops'
// pointers are __restrict: scatter into a tensor that shares storage with its
// src or index takes the general loop. Out of place, scatter writes a fresh
// tensor and copies each block of self into it just before scattering into
// that block: one pass over the output instead of a copy and then the scatter.
struct Blocks {
  int64_t outer, n, inner, size, dim;
};

/// The [outer, n, inner] / [outer, size, inner] view of Note [Blocked index
/// loops] when self, index and other are contiguous, other has index's shape
/// and index has self's shape apart from d; nullopt otherwise.
template <Element T, Element U>
std::optional<Blocks> blocks_of(const Tensor<T>& self, int64_t d, const Tensor<int64_t>& index,
                                const Tensor<U>& other) {
  if (self.dim() == 0 || index.dim() != self.dim() || index.numel() == 0 || other.sizes() != index.sizes() ||
      !self.is_contiguous() || !index.is_contiguous() || !other.is_contiguous())
    return std::nullopt;
  Blocks b{1, index.sizes()[d], 1, self.sizes()[d], d};
  for (int64_t k = 0; k < self.dim(); ++k) {
    if (k == d) continue;
    if (index.sizes()[k] != self.sizes()[k]) return std::nullopt;
    (k < d ? b.outer : b.inner) *= self.sizes()[k];
  }
  return b;
}

/// Asks for the self row a few rows ahead of row o when rows are short
/// (Note [Blocked index loops]): a row's reads go in index order, which a
/// hardware prefetcher following the index reads does not fetch ahead.
template <Element T>
inline void prefetch_row_ahead(const Blocks& b, const T* row, int64_t o) {
#if defined(__GNUC__)
  constexpr int64_t kAhead = 4, kLine = 64;
  const int64_t bytes = b.size * b.inner * static_cast<int64_t>(sizeof(T));
  if (bytes > 16 * kLine || o + kAhead >= b.outer) return;
  const char* ahead = reinterpret_cast<const char*>(row + kAhead * b.size * b.inner);
  for (int64_t c = 0; c < bytes; c += kLine) __builtin_prefetch(ahead + c);
#else
  (void)b, (void)row, (void)o;
#endif
}

/// The k-th index of a blocked loop's row, checked against size (Note
/// [Blocked index loops]): a compare and a branch that is never taken.
struct CheckedAt {
  const int64_t* pi;
  uint64_t limit;
  int64_t dim;
  const char* op;
  int64_t operator()(int64_t k) const {
    const auto u = static_cast<uint64_t>(pi[k]);
    if (u >= limit) [[unlikely]]
      checked_index(pi[k], static_cast<int64_t>(limit), dim, false, op);
    return static_cast<int64_t>(u);
  }
};

/// gather over the blocked view (Note [Blocked index loops]).
template <Element T>
void blocked_gather(const Blocks& b, const T* __restrict ps, const int64_t* __restrict pi, T* __restrict po,
                    const char* op) {
  const int64_t m = b.n * b.inner;
  for (int64_t o = 0; o < b.outer; ++o, ps += b.size * b.inner, pi += m, po += m) {
    prefetch_row_ahead(b, ps, o);
    const CheckedAt at{pi, static_cast<uint64_t>(b.size), b.dim, op};
    if (b.inner == 1) {
      int64_t l = 0;
      for (; l + 8 <= b.n; l += 8) {  // eight at a time: fewer taken branches per element
        const int64_t a0 = at(l), a1 = at(l + 1), a2 = at(l + 2), a3 = at(l + 3);
        const int64_t a4 = at(l + 4), a5 = at(l + 5), a6 = at(l + 6), a7 = at(l + 7);
        po[l] = ps[a0], po[l + 1] = ps[a1], po[l + 2] = ps[a2], po[l + 3] = ps[a3];
        po[l + 4] = ps[a4], po[l + 5] = ps[a5], po[l + 6] = ps[a6], po[l + 7] = ps[a7];
      }
      for (; l < b.n; ++l) po[l] = ps[at(l)];
    } else {
      for (int64_t l = 0; l < b.n; ++l)
        for (int64_t i = 0; i < b.inner; ++i) po[l * b.inner + i] = ps[at(l * b.inner + i) * b.inner + i];
    }
  }
}

/// self[...] = f(self[...], src[...]) over the blocked view (Note [Blocked
/// index loops]); with `init`, each block of self is first copied from init's
/// (scatter out of place: one pass over the output instead of a copy, then the scatter).
template <Element T, class F>
void blocked_scatter(const Blocks& b, T* __restrict ps, const int64_t* __restrict pi, const T* __restrict psrc,
                     const char* op, const F& f, const T* __restrict init = nullptr) {
  const int64_t m = b.n * b.inner, block = b.size * b.inner;
  for (int64_t o = 0; o < b.outer; ++o, ps += block, pi += m, psrc += m) {
    if (init) copy_run(ps, init + o * block, block);
    prefetch_row_ahead(b, init ? init + o * block : ps, o);
    const CheckedAt at{pi, static_cast<uint64_t>(b.size), b.dim, op};
    if (b.inner == 1) {
      const auto one = [&](int64_t l) {
        T& t = ps[at(l)];
        t = f(t, psrc[l]);
      };
      int64_t l = 0;
      for (; l + 4 <= b.n; l += 4) one(l), one(l + 1), one(l + 2), one(l + 3);
      for (; l < b.n; ++l) one(l);
    } else {
      for (int64_t l = 0; l < b.n; ++l)
        for (int64_t i = 0; i < b.inner; ++i) {
          T& t = ps[at(l * b.inner + i) * b.inner + i];
          t = f(t, psrc[l * b.inner + i]);
        }
    }
  }
}

/// out[pos] = self[pos with dim d replaced by index[pos]], pos over index's
/// shape; out has index's shape (any strides). Not recorded.
template <Element T>
void gather_into(const Tensor<T>& out, const Tensor<T>& self, int64_t d, const Tensor<int64_t>& index,
                 const char* op) {
  if (index.numel() == 0) return;
  if (const auto b = blocks_of(self, d, index, out)) {
    blocked_gather(*b, self.data_ptr(), index.data_ptr(), out.data_ptr(), op);
    return;
  }
  const auto s1 = at_least_1d(self), o1 = at_least_1d(out);
  const auto i1 = at_least_1d(index);
  const T* ps = s1.data_ptr();
  T* po = o1.data_ptr();
  index_walk(i1.sizes(), strides_without(s1, d), {d, s1.sizes()[d], s1.strides()[d], false, op}, i1.data_ptr(),
             i1.strides(), o1.strides(), [&](int64_t a, int64_t b) { po[b] = ps[a]; });
}

/// self[pos with d replaced by index[pos]] = f(that, src[pos]) over `walk`
/// (index's shape, or the expanded 1-D index's); src may be expanded.
/// Not recorded, no in-place checks; bumps self's version.
template <Element T, Element I, class F>
void scatter_walk(const Tensor<T>& self, int64_t d, const Shape& walk, const I* pi, const Shape& index_strides,
                  const T* psrc, const Shape& src_strides, bool wrap, const char* op, const F& f) {
  if (shape_numel(walk) > 0) {
    auto s1 = at_least_1d(self);
    T* ps = s1.data_ptr();
    index_walk(walk, strides_without(s1, d), {d, s1.sizes()[d], s1.strides()[d], wrap, op}, pi, index_strides,
               src_strides, [&](int64_t a, int64_t b) { ps[a] = f(ps[a], psrc[b]); });
  }
  self.storage()->bump_version();
}

struct Assign {
  template <class V> V operator()(V, V b) const { return b; }
};

/// scatter(self, d, index, src) with f into self: index's shape is the walk.
template <Element T, class F>
void scatter_into(const Tensor<T>& self, int64_t d, const Tensor<int64_t>& index, const Tensor<T>& src,
                  const char* op, const F& f) {
  if (const auto b = blocks_of(self, d, index, src);
      b && !shares_storage(self, src) && !shares_storage(self, index)) {  // Note [Blocked index loops]
    blocked_scatter(*b, self.data_ptr(), index.data_ptr(), src.data_ptr(), op, f);
    self.storage()->bump_version();
    return;
  }
  auto i1 = at_least_1d(index);
  Shape sst = src.dim() == 0 ? Shape(i1.dim(), 0) : src.strides();  // a value: one element for all
  scatter_walk(self, d, i1.sizes(), i1.data_ptr(), i1.strides(), src.data_ptr(), sst, false, op, f);
}

/// The shape checks of gather (PyTorch's gather_shape_check).
template <Element T>
void check_gather_shapes(const Tensor<T>& self, int64_t d, const Tensor<int64_t>& index, const char* op) {
  const int64_t nd = std::max<int64_t>(self.dim(), 1);
  TAPEGRAD_CHECK(std::max<int64_t>(index.dim(), 1) == nd, ShapeError, op,
                 ": index tensor must have the same number of dimensions as input tensor, got index ",
                 index.sizes(), " and input ", self.sizes());
  for (int64_t k = 0; k < index.dim() && self.dim() > 0; ++k)
    TAPEGRAD_CHECK(k == d || index.sizes()[k] <= self.sizes()[k], ShapeError, op,
                   ": size does not match at dimension ", k, ": expected index ", index.sizes(),
                   " to be smaller than self ", self.sizes(), " apart from dimension ", d);
}

/// The shape checks of scatter (PyTorch's scatter_shape_check); src null for a value.
template <Element T>
void check_scatter_shapes(const Tensor<T>& self, int64_t d, const Tensor<int64_t>& index, const Tensor<T>* src,
                          const char* op) {
  const int64_t nd = std::max<int64_t>(self.dim(), 1);
  TAPEGRAD_CHECK(std::max<int64_t>(index.dim(), 1) == nd, ShapeError, op,
                 ": index tensor must have the same number of dimensions as self tensor, got index ",
                 index.sizes(), " and self ", self.sizes());
  if (src)
    TAPEGRAD_CHECK(std::max<int64_t>(src->dim(), 1) == nd, ShapeError, op,
                   ": index tensor must have the same number of dimensions as src tensor, got index ",
                   index.sizes(), " and src ", src->sizes());
  if (index.numel() == 0) return;  // as PyTorch: an empty index is never too large
  for (int64_t k = 0; k < index.dim() && self.dim() > 0; ++k) {
    const bool fits_self = k == d || index.sizes()[k] <= self.sizes()[k];
    const bool fits_src = !src || src->dim() == 0 || index.sizes()[k] <= src->sizes()[k];
    if (!fits_self || !fits_src) {
      if (src)
        throw_error<ShapeError>(op, ": expected index ", index.sizes(), " to be smaller than self ", self.sizes(),
                                " apart from dimension ", d, " and to be smaller size than src ", src->sizes());
      throw_error<ShapeError>(op, ": expected index ", index.sizes(), " to be smaller than self ", self.sizes(),
                              " apart from dimension ", d);
    }
  }
}

/// The checks of the index_* ops taking a source: index 1-D (or 0-d), source
/// of self's shape but index.numel() along d.
template <Element T, Element I>
void check_index_source(const Tensor<T>& self, int64_t d, const Tensor<I>& index, const Tensor<T>& source,
                        const char* op) {
  TAPEGRAD_CHECK(index.dim() <= 1, IndexError, op, ": index should have dimension 1 or 0, got shape ",
                 index.sizes());
  const int64_t n = source.dim() == 0 ? 1 : source.sizes()[d];
  TAPEGRAD_CHECK(source.dim() == self.dim(), ShapeError, op,
                 ": source and self must have the same number of dimensions, got source ", source.sizes(),
                 " and self ", self.sizes());
  TAPEGRAD_CHECK(index.numel() == n, IndexError, op, ": number of indices (", index.numel(),
                 ") should be equal to source.size(dim) (", n, "), for dim ", d);
  for (int64_t k = 0; k < self.dim(); ++k)
    TAPEGRAD_CHECK(k == d || source.sizes()[k] == self.sizes()[k], ShapeError, op, ": source ", source.sizes(),
                   " and self ", self.sizes(), " must match apart from dimension ", d);
}

/// self[..., index[j], ...] (along d) = f(that, src[..., j, ...]) for a 1-D index.
template <Element T, Element I, class F>
void index_scatter_into(const Tensor<T>& self, int64_t d, const Tensor<I>& index, const Tensor<T>& src, bool wrap,
                        const char* op, const F& f) {
  Shape walk = self.dim() == 0 ? Shape{1} : Shape(self.sizes());
  walk[d] = index.numel();
  const Shape sst = src.dim() == 0 ? Shape(walk.size(), 0) : src.strides();
  scatter_walk(self, d, walk, index.data_ptr(), expanded_index_strides(index, self.dim(), d), src.data_ptr(), sst,
               wrap, op, f);
}

/// self's gradient region picked by index, placed in zeros of src's shape
/// (scatter's gradient for src, whose shape may exceed index's).
template <FloatingElement T>
Tensor<T> gather_into_zeros(const Tensor<T>& g, int64_t d, const Tensor<int64_t>& index, const Shape& src_sizes,
                            const char* op) {
  auto z = zeros<T>(src_sizes);
  if (src_sizes.size() == 0) {
    gather_into(z, g, d, index, op);
    return z;
  }
  gather_into(make_view(z, index.sizes(), z.strides(), 0), g, d, index, op);
  return z;
}

/// True when a tensor of shape `from` broadcasts to `to` (expand would take it).
inline bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) return false;
  for (int64_t i = 1; i <= from.size(); ++i) {
    const int64_t f = from[from.size() - i], t = to[to.size() - i];
    if (f != t && f != 1) return false;
  }
  return true;
}

/// self and mask broadcast together (the error names `op`, not where).
template <Element T>
void check_mask_broadcasts(const Tensor<T>& self, const Tensor<bool>& mask, const char* op) {
  Shape store;
  broadcast_shapes(self.sizes(), mask.sizes(), store, op);
}

template <Element T>
void check_mask_fits(const Tensor<T>& self, const Tensor<bool>& mask, const char* op) {
  TAPEGRAD_CHECK(broadcasts_to(mask.sizes(), self.sizes()), ShapeError, op, ": mask of shape ", mask.sizes(),
                 " cannot be broadcast to the tensor's shape ", self.sizes());
}

// Note [Branch-free masked_fill]: a mask that is true at random defeats the
// branch predictor, so `if (mask) out = value` costs a misprediction every
// other element once the mask is longer than the predictor can learn. The
// loops below are selects (out = mask ? value : x) that the compiler turns
// into vector blends: runs where all operands step by 1 are one loop with
// __restrict pointers (the in-place form reads and writes one pointer, which
// a run-time overlap check would send to the scalar loop), a run with one
// mask element for all is a fill or a copy, anything else a strided select.

// The mask is read as bytes and x unconditionally: GCC 12 vectorises neither
// a bool load nor a load under the condition.
/// po[k] = pm[k] ? v : px[k] for k < n (po and px distinct).
template <Element T>
inline void masked_select_run(T* __restrict po, const T* __restrict px, const bool* pmask, int64_t n, T v) {
  const auto* __restrict pm = reinterpret_cast<const unsigned char*>(pmask);
  for (int64_t k = 0; k < n; ++k) {
    const T x = px[k];
    po[k] = pm[k] ? v : x;
  }
}
/// p[k] = pm[k] ? v : p[k] for k < n (in place).
template <Element T>
inline void masked_fill_run(T* __restrict p, const bool* pmask, int64_t n, T v) {
  const auto* __restrict pm = reinterpret_cast<const unsigned char*>(pmask);
  for (int64_t k = 0; k < n; ++k) {
    const T x = p[k];
    p[k] = pm[k] ? v : x;
  }
}

/// out = mask ? v : x over `shape` (Note [Branch-free masked_fill]); x and
/// mask given with their (broadcast) strides; out may be x itself (in place)
/// but no other overlap.
template <Element T>
void masked_fill_into(T* po, const Shape& out_strides, const T* px, const Shape& x_strides, const bool* pm,
                      const Shape& mask_strides, const Shape& shape, T v) {
  for_each_strided<3>(shape, {out_strides, x_strides, mask_strides},
                      [&](const Offsets<3>& b, int64_t n, const Offsets<3>& s) {
                        T* o = po + b[0];
                        const T* x = px + b[1];
                        const bool* m = pm + b[2];
                        if (s[2] == 0 && s[0] == 1 && s[1] == 1) {  // one mask element for the run
                          if (*m) std::fill_n(o, n, v);
                          else if (o != x) std::copy_n(x, n, o);
                        } else if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
                          if (o == x) masked_fill_run(o, m, n, v);
                          else masked_select_run(o, x, m, n, v);
                        } else {
                          for (int64_t k = 0; k < n; ++k) {
                            const T xk = x[k * s[1]];
                            o[k * s[0]] = m[k * s[2]] ? v : xk;
                          }
                        }
                      });
}
}  // namespace detail

// ---- gather / scatter -------------------------------------------------------------------

/// gather(self, dim, index): out[i][j] = self[index[i][j]][j] (dim 0), ...;
/// index: int64 of self's rank, no larger than self apart from dim -> out of index's shape.
template <Element T>
Tensor<T> gather(const Tensor<T>& self, int64_t dim, const Tensor<int64_t>& index) {
  const int64_t d = wrap_dim(dim, self.dim(), "gather");
  detail::check_gather_shapes(self, d, index, "gather");
  auto out = detail::make_empty<T>(index.sizes());
  detail::gather_into(out, self, d, index, "gather");
  if constexpr (FloatingElement<T>) {
    // d/dself: each output's gradient is added back where it was read from
    if (autograd::needs_grad(self))
      autograd::record(out, "GatherBackward0",
                       [d, in = self.sizes(), idx = autograd::save(index)](const Tensor<T>& g, autograd::Needs) {
                         auto z = zeros<T>(in);
                         detail::scatter_into(z, d, idx.get(), g.contiguous(), "gather", detail::Add{});
                         return autograd::Grads<T>{z, {}, {}};
                       },
                       self);
  }
  return out;
}

namespace detail {
// scatter and scatter_add out of place: a copy of self with src scattered in,
// recorded. Add: d/dself = g; assign: d/dself = g with the overwritten
// positions zeroed. d/dsrc = g read at index (gather), zero past index's extent.
template <Element T, bool Add>
Tensor<T> scatter_impl(const Tensor<T>& self, int64_t dim, const Tensor<int64_t>& index, const Tensor<T>& src,
                       const char* op, const char* node) {
  const int64_t d = wrap_dim(dim, self.dim(), op);
  check_scatter_shapes(self, d, index, &src, op);
  using F = std::conditional_t<Add, detail::Add, Assign>;
  Tensor<T> out;
  if (const auto b = blocks_of(self, d, index, src)) {  // a fresh out: no overlap
    out = make_empty<T>(self.sizes());
    blocked_scatter(*b, out.data_ptr(), index.data_ptr(), src.data_ptr(), op, F{}, self.data_ptr());
  } else {
    out = copy_of(self);
    scatter_into(out, d, index, src, op, F{});
  }
  if constexpr (FloatingElement<T>) {
    if (autograd::needs_grad(self, src))
      autograd::record(out, node,
                       [d, op, ss = src.sizes(), idx = autograd::save(index)](const Tensor<T>& g, autograd::Needs n) {
                         autograd::Grads<T> grads;
                         if (n[0]) {
                           if constexpr (Add) {
                             grads[0] = g;
                           } else {
                             grads[0] = copy_of(g);
                             scatter_into(grads[0], d, idx.get(), zeros<T>({}), op, Assign{});
                           }
                         }
                         if (n[1]) grads[1] = gather_into_zeros(g, d, idx.get(), ss, op);
                         return grads;
                       },
                       self, src);
  }
  return out;
}
}  // namespace detail

/// scatter(self, dim, index, src): a copy of self with self[index[i][j]][j] =
/// src[i][j] (dim 0); duplicates: any one wins (Note [Duplicate indices]).
template <Element T>
Tensor<T> scatter(const Tensor<T>& self, int64_t dim, const Tensor<int64_t>& index, const Tensor<T>& src) {
  return detail::scatter_impl<T, false>(self, dim, index, src, "scatter", "ScatterBackward0");
}
/// scatter(self, dim, index, value): a copy of self with value at the indexed positions.
template <Element T, Scalar S>
Tensor<T> scatter(const Tensor<T>& self, int64_t dim, const Tensor<int64_t>& index, S value) {
  const int64_t d = wrap_dim(dim, self.dim(), "scatter");
  detail::check_scatter_shapes<T>(self, d, index, nullptr, "scatter");
  auto out = detail::copy_of(self);
  detail::scatter_into(out, d, index, detail::checked_scalar_tensor<T>(value, "scatter"), "scatter",
                       detail::Assign{});
  // d/dself: g with the overwritten positions zeroed
  return detail::recorded(out, self, "ScatterBackward0", [d, idx = autograd::save(index)](const Tensor<T>& g) {
    auto gs = detail::copy_of(g);
    detail::scatter_into(gs, d, idx.get(), zeros<T>({}), "scatter", detail::Assign{});
    return gs;
  });
}
/// scatter_add(self, dim, index, src): a copy of self with src added at the
/// indexed positions, duplicates summed.
template <Element T>
Tensor<T> scatter_add(const Tensor<T>& self, int64_t dim, const Tensor<int64_t>& index, const Tensor<T>& src) {
  return detail::scatter_impl<T, true>(self, dim, index, src, "scatter_add", "ScatterAddBackward0");
}

// ---- index_select and the index_* family ------------------------------------------------

/// index_select(self, dim, index): the slices of self along dim at the
/// entries of index (1-D or 0-d, int32 or int64) -> self's shape with
/// index.numel() along dim.
template <Element T, Element I>
Tensor<T> index_select(const Tensor<T>& self, int64_t dim, const Tensor<I>& index) {
  static_assert(detail::is_index_dtype_v<I>, "index_select: the index must be an int32 or int64 tensor");
  const int64_t d = wrap_dim(dim, self.dim(), "index_select");
  TAPEGRAD_CHECK(index.dim() <= 1, IndexError, "index_select: index is supposed to be a vector, got shape ",
                 index.sizes());
  if (self.dim() == 0) {  // as PyTorch: any number of indices (each 0) select the one element
    TAPEGRAD_CHECK(index.numel() > 0, IndexError, "index_select: index of a 0-dim tensor must not be empty");
    const Tensor<I> c = index.is_contiguous() ? index : detail::copy_of(index);
    for (int64_t k = 0; k < c.numel(); ++k) detail::checked_index(c.data_ptr()[k], 1, 0, false, "index_select");
    return self.clone();
  }
  Shape sz = self.sizes();
  sz[d] = index.numel();
  auto out = detail::make_empty<T>(sz);
  if (out.numel() > 0) {
    const T* ps = self.data_ptr();
    T* po = out.data_ptr();
    if (self.is_contiguous()) {
      // Note [index_select by slices]: of a contiguous self, each index value
      // picks `inner` consecutive elements per outer position; check every
      // index once and copy those runs, instead of checking the index again
      // for each element as the general loop does.
      const Tensor<I> ic = index.is_contiguous() ? index : detail::copy_of(index);
      const int64_t n = index.numel(), size = self.sizes()[d];
      std::vector<int64_t> at(static_cast<size_t>(n));
      for (int64_t k = 0; k < n; ++k)
        at[static_cast<size_t>(k)] = detail::checked_index(static_cast<int64_t>(ic.data_ptr()[k]), size, d, false,
                                                           "index_select");
      int64_t outer = 1, inner = 1;
      for (int64_t k = 0; k < d; ++k) outer *= self.sizes()[k];
      for (int64_t k = d + 1; k < self.dim(); ++k) inner *= self.sizes()[k];
      // the slices are read in the index's order, which the hardware
      // prefetchers cannot guess: short ones are asked for a few ahead
      constexpr int64_t kAhead = 8;
      const auto bytes = inner * static_cast<int64_t>(sizeof(T));
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t k = 0; k < n; ++k) {
#if defined(__GNUC__)
          if (k + kAhead < n && bytes <= 1024) {
            const auto* ahead = reinterpret_cast<const char*>(ps + (o * size + at[static_cast<size_t>(k + kAhead)]) * inner);
            for (int64_t c = 0; c < bytes; c += 64) __builtin_prefetch(ahead + c);
          }
#endif
          const T* from = ps + (o * size + at[static_cast<size_t>(k)]) * inner;
          if (bytes <= 1024) detail::copy_run(po + (o * n + k) * inner, from, inner);
          else std::copy_n(from, inner, po + (o * n + k) * inner);
        }
    } else {
      detail::index_walk(out.sizes(), detail::strides_without(self, d),
                         {d, self.sizes()[d], self.strides()[d], false, "index_select"}, index.data_ptr(),
                         detail::expanded_index_strides(index, self.dim(), d), out.strides(),
                         [&](int64_t a, int64_t b) { po[b] = ps[a]; });
    }
  }
  if constexpr (FloatingElement<T>) {
    // d/dself: the slices' gradients added back at their indices (index_add)
    if (autograd::needs_grad(self))
      autograd::record(out, "IndexSelectBackward0",
                       [d, in = self.sizes(), idx = autograd::save(index)](const Tensor<T>& g, autograd::Needs) {
                         auto z = zeros<T>(in);
                         detail::index_scatter_into(z, d, idx.get(), g, false, "index_select", detail::Add{});
                         return autograd::Grads<T>{z, {}, {}};
                       },
                       self);
  }
  return out;
}

namespace detail {
template <Element T>
struct AddScaled {
  T alpha;
  T operator()(T a, T b) const { return wrap_add(a, wrap_mul(alpha, b)); }
};
}  // namespace detail

/// index_add(self, dim, index, source, alpha): a copy of self with alpha *
/// source's slices added at index along dim (duplicates summed); index int32
/// or int64, source: self's shape with index.numel() along dim.
template <Element T, Element I, Scalar S = int>
Tensor<T> index_add(const Tensor<T>& self, int64_t dim, const Tensor<I>& index, const Tensor<T>& source,
                    S alpha = 1) {
  static_assert(detail::is_index_dtype_v<I>, "index_add: the index must be an int32 or int64 tensor");
  const int64_t d = wrap_dim(dim, self.dim(), "index_add");
  detail::check_index_source(self, d, index, source, "index_add");
  const T a = detail::checked_scalar<T>(alpha, "index_add");
  auto out = detail::copy_of(self);
  detail::index_scatter_into(out, d, index, source, false, "index_add", detail::AddScaled<T>{a});
  if constexpr (FloatingElement<T>) {
    // d/dself = g; d/dsource = alpha * g's slices at index
    if (autograd::needs_grad(self, source))
      autograd::record(out, "IndexAddBackward0",
                       [d, a, idx = autograd::save(index)](const Tensor<T>& g, autograd::Needs n) {
                         autograd::Grads<T> grads;
                         if (n[0]) grads[0] = g;
                         if (n[1]) {
                           NoGradGuard ng;
                           grads[1] = index_select(g, d, idx.get());
                           if (a != T(1)) grads[1] = grads[1] * a;
                         }
                         return grads;
                       },
                       self, source);
  }
  return out;
}

/// index_copy(self, dim, index, source): a copy of self with source's slices
/// written at index along dim (int64 index; duplicates: any one wins).
template <Element T>
Tensor<T> index_copy(const Tensor<T>& self, int64_t dim, const Tensor<int64_t>& index, const Tensor<T>& source);

/// index_fill(self, dim, index, value): a copy of self with the slices at
/// index along dim set to value (int64 index; negative indices wrap).
template <Element T, Scalar S>
Tensor<T> index_fill(const Tensor<T>& self, int64_t dim, const Tensor<int64_t>& index, S value) {
  const int64_t d = wrap_dim(dim, self.dim(), "index_fill");
  TAPEGRAD_CHECK(index.dim() <= 1, IndexError, "index_fill: index should have dimension 1 or 0, got shape ",
                 index.sizes());
  auto out = detail::copy_of(self);
  detail::index_scatter_into(out, d, index, detail::checked_scalar_tensor<T>(value, "index_fill"), true,
                             "index_fill", detail::Assign{});
  // d/dself: g with the filled slices zeroed
  return detail::recorded(out, self, "IndexFillBackward0", [d, idx = autograd::save(index)](const Tensor<T>& g) {
    return index_fill(g, d, idx.get(), 0);
  });
}

template <Element T>
Tensor<T> index_copy(const Tensor<T>& self, int64_t dim, const Tensor<int64_t>& index, const Tensor<T>& source) {
  const int64_t d = wrap_dim(dim, self.dim(), "index_copy");
  detail::check_index_source(self, d, index, source, "index_copy");
  auto out = detail::copy_of(self);
  detail::index_scatter_into(out, d, index, source, false, "index_copy", detail::Assign{});
  if constexpr (FloatingElement<T>) {
    // d/dself = g with the overwritten slices zeroed; d/dsource = g's slices at index
    if (autograd::needs_grad(self, source))
      autograd::record(out, "IndexCopyBackward0",
                       [d, idx = autograd::save(index)](const Tensor<T>& g, autograd::Needs n) {
                         NoGradGuard ng;
                         autograd::Grads<T> grads;
                         if (n[0]) grads[0] = index_fill(g, d, idx.get(), 0);
                         if (n[1]) grads[1] = index_select(g, d, idx.get());
                         return grads;
                       },
                       self, source);
  }
  return out;
}

// ---- in-place forms: not recorded (Note [In-place ops and autograd]) ---------------------
namespace detail {
template <Element T>
void check_inplace_target(const Tensor<T>& self, const char* op) {
  check_inplace(self, op);
  check_writable(self, op);
}
template <Element T>
void check_inplace_target(const Tensor<T>& self, const Tensor<T>& src, const char* op) {
  check_inplace(self, src, op);
  check_writable(self, op);
}
}  // namespace detail

/// self.scatter_(dim, index, src): in place (see scatter).
template <Element T>
const Tensor<T>& scatter_(const Tensor<T>& self, int64_t dim, const Tensor<int64_t>& index, const Tensor<T>& src) {
  const int64_t d = wrap_dim(dim, self.dim(), "scatter_");
  detail::check_scatter_shapes(self, d, index, &src, "scatter_");
  detail::check_inplace_target(self, src, "scatter_");
  detail::scatter_into(self, d, index, src, "scatter_", detail::Assign{});
  return self;
}
/// self.scatter_(dim, index, value): in place (see scatter).
template <Element T, Scalar S>
const Tensor<T>& scatter_(const Tensor<T>& self, int64_t dim, const Tensor<int64_t>& index, S value) {
  const int64_t d = wrap_dim(dim, self.dim(), "scatter_");
  detail::check_scatter_shapes<T>(self, d, index, nullptr, "scatter_");
  detail::check_inplace_target(self, "scatter_");
  detail::scatter_into(self, d, index, detail::checked_scalar_tensor<T>(value, "scatter_"), "scatter_",
                       detail::Assign{});
  return self;
}
/// self.scatter_add_(dim, index, src): in place (see scatter_add).
template <Element T>
const Tensor<T>& scatter_add_(const Tensor<T>& self, int64_t dim, const Tensor<int64_t>& index,
                              const Tensor<T>& src) {
  const int64_t d = wrap_dim(dim, self.dim(), "scatter_add_");
  detail::check_scatter_shapes(self, d, index, &src, "scatter_add_");
  detail::check_inplace_target(self, src, "scatter_add_");
  detail::scatter_into(self, d, index, src, "scatter_add_", detail::Add{});
  return self;
}
/// self.index_add_(dim, index, source, alpha): in place (see index_add).
template <Element T, Element I, Scalar S = int>
const Tensor<T>& index_add_(const Tensor<T>& self, int64_t dim, const Tensor<I>& index, const Tensor<T>& source,
                            S alpha = 1) {
  static_assert(detail::is_index_dtype_v<I>, "index_add_: the index must be an int32 or int64 tensor");
  const int64_t d = wrap_dim(dim, self.dim(), "index_add_");
  detail::check_index_source(self, d, index, source, "index_add_");
  detail::check_inplace_target(self, source, "index_add_");
  detail::index_scatter_into(self, d, index, source, false, "index_add_",
                             detail::AddScaled<T>{detail::checked_scalar<T>(alpha, "index_add_")});
  return self;
}
/// self.index_copy_(dim, index, source): in place (see index_copy).
template <Element T>
const Tensor<T>& index_copy_(const Tensor<T>& self, int64_t dim, const Tensor<int64_t>& index,
                             const Tensor<T>& source) {
  const int64_t d = wrap_dim(dim, self.dim(), "index_copy_");
  detail::check_index_source(self, d, index, source, "index_copy_");
  detail::check_inplace_target(self, source, "index_copy_");
  detail::index_scatter_into(self, d, index, source, false, "index_copy_", detail::Assign{});
  return self;
}
/// self.index_fill_(dim, index, value): in place (see index_fill).
template <Element T, Scalar S>
const Tensor<T>& index_fill_(const Tensor<T>& self, int64_t dim, const Tensor<int64_t>& index, S value) {
  const int64_t d = wrap_dim(dim, self.dim(), "index_fill_");
  TAPEGRAD_CHECK(index.dim() <= 1, IndexError, "index_fill_: index should have dimension 1 or 0, got shape ",
                 index.sizes());
  detail::check_inplace_target(self, "index_fill_");
  detail::index_scatter_into(self, d, index, detail::checked_scalar_tensor<T>(value, "index_fill_"), true,
                             "index_fill_", detail::Assign{});
  return self;
}

// ---- masks -------------------------------------------------------------------------------

/// masked_fill(self, mask, value): value where mask (broadcast with self) is
/// true, else self -> the broadcast shape. The gradient is zero where filled.
template <Element T, Scalar S>
Tensor<T> masked_fill(const Tensor<T>& self, const Tensor<bool>& mask, S value) {
  Shape store;
  const Shape& shape = broadcast_shapes(self.sizes(), mask.sizes(), store, "masked_fill");
  const T v = detail::checked_scalar<T>(value, "masked_fill");
  auto out = detail::make_empty<T>(shape);
  if (self.is_contiguous() && mask.is_contiguous() && self.sizes() == shape && mask.sizes() == shape)
    detail::masked_select_run(out.data_ptr(), self.data_ptr(), mask.data_ptr(), out.numel(), v);
  else
    detail::masked_fill_into(out.data_ptr(), out.strides(), self.data_ptr(), detail::broadcast_strides(self, shape),
                             mask.data_ptr(), detail::broadcast_strides(mask, shape), shape, v);
  if constexpr (FloatingElement<T>) {
    // d/dself: g with the filled positions zeroed, summed back to self's shape
    return detail::recorded(out, self, "MaskedFillBackward0",
                            [m = autograd::save(mask), sz = self.sizes()](const Tensor<T>& g) {
                              return sum_to(masked_fill(g, m.get(), 0), sz);
                            });
  }
  return out;
}
/// masked_fill(self, mask, value): value a 0-d tensor (it gets the filled
/// positions' summed gradient).
template <Element T>
Tensor<T> masked_fill(const Tensor<T>& self, const Tensor<bool>& mask, const Tensor<T>& value) {
  TAPEGRAD_CHECK(value.dim() == 0, ShapeError,
                 "masked_fill: only supports a 0-dimensional value tensor, but got tensor with ", value.dim(),
                 " dimension(s)");
  detail::check_mask_broadcasts(self, mask, "masked_fill");
  return autograd::renamed(where(mask, value, self), "MaskedFillBackward0");
}
/// self.masked_fill_(mask, value): in place; mask must broadcast to self's shape.
template <Element T, Scalar S>
const Tensor<T>& masked_fill_(const Tensor<T>& self, const Tensor<bool>& mask, S value) {
  detail::check_mask_fits(self, mask, "masked_fill_");
  detail::check_inplace_target(self, "masked_fill_");
  const T v = detail::checked_scalar<T>(value, "masked_fill_");
  // a bool self may be its own mask: the loops' pointers are __restrict
  const Tensor<bool> m = shares_storage(self, mask) ? detail::copy_of(mask) : mask;
  if (self.is_contiguous() && m.is_contiguous() && self.sizes() == m.sizes())
    detail::masked_fill_run(self.data_ptr(), m.data_ptr(), self.numel(), v);
  else
    detail::masked_fill_into(self.data_ptr(), self.strides(), self.data_ptr(), self.strides(), m.data_ptr(),
                             detail::broadcast_strides(m, self.sizes()), self.sizes(), v);
  self.storage()->bump_version();
  return self;
}

/// nonzero(x): the indices of x's nonzero elements, [n, x.dim()] int64 in
/// row-major order (argwhere is the same).
template <Element T>
Tensor<int64_t> nonzero(const Tensor<T>& x) {
  const Tensor<T> c = x.is_contiguous() ? x : detail::copy_of(x);
  const T* p = c.data_ptr();
  const int64_t total = c.numel(), nd = c.dim();
  int64_t n = 0;
  for (int64_t k = 0; k < total; ++k) n += p[k] != T(0);
  auto out = detail::make_empty<int64_t>({n, nd});
  int64_t* po = out.data_ptr();
  Shape pos(nd, 0);
  for (int64_t k = 0; k < total; ++k) {
    if (p[k] != T(0))
      for (int64_t d = 0; d < nd; ++d) *po++ = pos[d];
    for (int64_t d = nd - 1; d >= 0; --d) {  // the next row-major position
      if (++pos[d] < c.sizes()[d]) break;
      pos[d] = 0;
    }
  }
  return out;
}
/// argwhere(x): nonzero(x).
template <Element T>
Tensor<int64_t> argwhere(const Tensor<T>& x) { return nonzero(x); }
/// nonzero_numpy(x) (torch.nonzero(x, as_tuple=True)): one [n] int64 index
/// tensor per dim of x (one for a 0-d x).
template <Element T>
std::vector<Tensor<int64_t>> nonzero_numpy(const Tensor<T>& x) {
  auto nz = nonzero(x.dim() == 0 ? x.reshape({1}) : x);
  std::vector<Tensor<int64_t>> out;
  for (int64_t d = 0; d < nz.sizes()[1]; ++d) out.push_back(nz.select(1, d).contiguous());
  return out;
}
/// where(cond) (one argument): nonzero_numpy(cond).
// Note [Templates against compile time]: the few functions here with no
// tensor dtype of their own (where(cond), one_hot, repeat_interleave(repeats),
// the indexer's and pad's index helpers) are templates anyway, so that the
// ops they call are instantiated only in programs that call them: an inline
// function's body is compiled in every translation unit of the umbrella header.
template <Element B>
  requires std::same_as<B, bool>
std::vector<Tensor<int64_t>> where(const Tensor<B>& cond) { return nonzero_numpy(cond); }

/// masked_select(self, mask): the elements of self (broadcast with mask)
/// where mask is true, as a 1-D tensor in row-major order.
template <Element T>
Tensor<T> masked_select(const Tensor<T>& self, const Tensor<bool>& mask) {
  Shape store;
  const Shape b = broadcast_shapes(self.sizes(), mask.sizes(), store, "masked_select");
  // the flat positions of the true elements, then a gather along the flat dim
  auto pos = nonzero(mask.expand(b).reshape({-1})).view({-1});
  return autograd::renamed(index_select(self.expand(b).reshape({-1}), 0, pos), "MaskedSelectBackward0");
}

/// take_along_dim(self, indices, dim): gather along dim after broadcasting
/// self and indices over the other dims; without dim, of the flattened tensors.
template <Element T>
Tensor<T> take_along_dim(const Tensor<T>& self, const Tensor<int64_t>& indices,
                         std::optional<int64_t> dim = std::nullopt) {
  if (!dim) return gather(self.reshape({-1}), 0, indices.reshape({-1}));
  TAPEGRAD_CHECK(self.dim() == indices.dim(), ShapeError,
                 "take_along_dim: input and indices should have the same number of dimensions, but got ",
                 self.dim(), " dimensions for input, and ", indices.dim(), " dimensions for indices");
  TAPEGRAD_CHECK(self.dim() > 0, IndexError, "take_along_dim: dimension specified as ", *dim,
                 " but tensor has no dimensions");  // as PyTorch, which flattens only without a dim
  const int64_t d = wrap_dim(*dim, self.dim(), "take_along_dim");
  Shape a = self.sizes(), i = indices.sizes();
  a[d] = 1;
  i[d] = 1;
  Shape b = broadcast_shapes(a, i, "take_along_dim");
  Shape bs = b, bi = b;
  bs[d] = self.sizes()[d];
  bi[d] = indices.sizes()[d];
  return gather(self.expand(bs), d, indices.expand(bi));
}

/// one_hot(index, num_classes = -1): int64 [..., C] with a 1 at each index
/// (C = max + 1 when num_classes is -1). A template for Note [Templates against compile time].
template <Element I>
Tensor<int64_t> one_hot(const Tensor<I>& index, int64_t num_classes = -1) {
  static_assert(std::is_same_v<I, int64_t>, "one_hot: the index must be an int64 tensor (as PyTorch)");
  const Tensor<int64_t> c = index.is_contiguous() ? index : detail::copy_of(index);
  const int64_t* p = c.data_ptr();
  const int64_t n = c.numel();
  if (num_classes == -1) {
    TAPEGRAD_CHECK(n > 0, ValueError, "one_hot: can not infer total number of classes from empty tensor");
    num_classes = *std::max_element(p, p + n) + 1;
  }
  TAPEGRAD_CHECK(num_classes >= 0, ValueError, "one_hot: num_classes must be -1 or non-negative, got ", num_classes);
  Shape sz = c.sizes();
  sz.push_back(num_classes);
  auto out = zeros<int64_t>(sz);
  int64_t* po = out.data_ptr();
  for (int64_t k = 0; k < n; ++k) {
    TAPEGRAD_CHECK(p[k] >= 0, ValueError, "one_hot: class values must be non-negative, got ", p[k]);
    TAPEGRAD_CHECK(p[k] < num_classes, ValueError, "one_hot: class values must be smaller than num_classes (",
                   num_classes, "), got ", p[k]);
    po[k * num_classes + p[k]] = 1;
  }
  return out;
}

// ---- methods -----------------------------------------------------------------------------
template <Element T>
Tensor<T> Tensor<T>::gather(int64_t dim, const Tensor<int64_t>& index) const {
  return tapegrad::gather(*this, dim, index);
}
template <Element T>
Tensor<T> Tensor<T>::scatter(int64_t dim, const Tensor<int64_t>& index, const Tensor& src) const {
  return tapegrad::scatter(*this, dim, index, src);
}
template <Element T>
template <Scalar S>
Tensor<T> Tensor<T>::scatter(int64_t dim, const Tensor<int64_t>& index, S value) const {
  return tapegrad::scatter(*this, dim, index, value);
}
template <Element T>
Tensor<T> Tensor<T>::scatter_add(int64_t dim, const Tensor<int64_t>& index, const Tensor& src) const {
  return tapegrad::scatter_add(*this, dim, index, src);
}
template <Element T>
const Tensor<T>& Tensor<T>::scatter_(int64_t dim, const Tensor<int64_t>& index, const Tensor& src) const {
  return tapegrad::scatter_(*this, dim, index, src);
}
template <Element T>
template <Scalar S>
const Tensor<T>& Tensor<T>::scatter_(int64_t dim, const Tensor<int64_t>& index, S value) const {
  return tapegrad::scatter_(*this, dim, index, value);
}
template <Element T>
const Tensor<T>& Tensor<T>::scatter_add_(int64_t dim, const Tensor<int64_t>& index, const Tensor& src) const {
  return tapegrad::scatter_add_(*this, dim, index, src);
}
template <Element T>
template <Element I>
Tensor<T> Tensor<T>::index_select(int64_t dim, const Tensor<I>& index) const {
  return tapegrad::index_select(*this, dim, index);
}
template <Element T>
template <Element I, Scalar S>
Tensor<T> Tensor<T>::index_add(int64_t dim, const Tensor<I>& index, const Tensor& source, S alpha) const {
  return tapegrad::index_add(*this, dim, index, source, alpha);
}
template <Element T>
template <Element I, Scalar S>
const Tensor<T>& Tensor<T>::index_add_(int64_t dim, const Tensor<I>& index, const Tensor& source, S alpha) const {
  return tapegrad::index_add_(*this, dim, index, source, alpha);
}
template <Element T>
Tensor<T> Tensor<T>::index_copy(int64_t dim, const Tensor<int64_t>& index, const Tensor& source) const {
  return tapegrad::index_copy(*this, dim, index, source);
}
template <Element T>
const Tensor<T>& Tensor<T>::index_copy_(int64_t dim, const Tensor<int64_t>& index, const Tensor& source) const {
  return tapegrad::index_copy_(*this, dim, index, source);
}
template <Element T>
template <Scalar S>
Tensor<T> Tensor<T>::index_fill(int64_t dim, const Tensor<int64_t>& index, S value) const {
  return tapegrad::index_fill(*this, dim, index, value);
}
template <Element T>
template <Scalar S>
const Tensor<T>& Tensor<T>::index_fill_(int64_t dim, const Tensor<int64_t>& index, S value) const {
  return tapegrad::index_fill_(*this, dim, index, value);
}
template <Element T>
template <Scalar S>
Tensor<T> Tensor<T>::masked_fill(const Tensor<bool>& mask, S value) const {
  return tapegrad::masked_fill(*this, mask, value);
}
template <Element T>
Tensor<T> Tensor<T>::masked_fill(const Tensor<bool>& mask, const Tensor& value) const {
  return tapegrad::masked_fill(*this, mask, value);
}
template <Element T>
template <Scalar S>
const Tensor<T>& Tensor<T>::masked_fill_(const Tensor<bool>& mask, S value) const {
  return tapegrad::masked_fill_(*this, mask, value);
}
template <Element T>
Tensor<T> Tensor<T>::masked_select(const Tensor<bool>& mask) const {
  return tapegrad::masked_select(*this, mask);
}
template <Element T>
Tensor<int64_t> Tensor<T>::nonzero() const { return tapegrad::nonzero(*this); }
template <Element T>
Tensor<int64_t> Tensor<T>::argwhere() const { return tapegrad::nonzero(*this); }
template <Element T>
Tensor<T> Tensor<T>::take_along_dim(const Tensor<int64_t>& indices, std::optional<int64_t> dim) const {
  return tapegrad::take_along_dim(*this, indices, dim);
}

}  // namespace tapegrad
