#pragma once
// Shape and composition: chunk, split, unbind, tensor_split, repeat, tile,
// repeat_interleave, flip, roll, tril, triu, diag, diagonal, movedim,
// unflatten, broadcast_to, meshgrid. Views where PyTorch returns views
// (chunk, split, unbind, tensor_split, diagonal, movedim, unflatten,
// broadcast_to, meshgrid), copies elsewhere. Most are built from the
// recorded views and copies of ops/shape.hpp and ops/index.hpp, so they need
// no backward of their own; diagonal and diag have theirs here.
#include <cstdint>
#include <string_view>
#include <vector>

#include "index.hpp"
#include "shape.hpp"

namespace tapegrad {

// ---- splitting (views) ----------------------------------------------------------------

/// split(x, split_size, dim): views of split_size along dim (the last may be smaller).
template <Element T>
std::vector<Tensor<T>> split(const Tensor<T>& x, int64_t split_size, int64_t dim = 0) {
  TAPEGRAD_CHECK(x.dim() > 0, ShapeError, "split: expected at least a 1-dimensional tensor");
  const int64_t d = wrap_dim(dim, x.dim(), "split"), size = x.sizes()[d];
  TAPEGRAD_CHECK(split_size >= 0, ValueError, "split: split_size must be non-negative, got ", split_size);
  TAPEGRAD_CHECK(split_size > 0 || size == 0, ValueError,
                 "split: split_size can only be 0 if dimension size is 0, but got dimension size of ", size);
  std::vector<Tensor<T>> out;
  const int64_t n = split_size == 0 ? 1 : std::max<int64_t>((size + split_size - 1) / split_size, 1);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t start = i * split_size;
    out.push_back(autograd::renamed(x.narrow(d, start, std::min(split_size, size - start)), "SplitBackward0"));
  }
  return out;
}

/// split(x, split_sizes, dim): views of the given sizes along dim (summing to its size).
template <Element T>
std::vector<Tensor<T>> split(const Tensor<T>& x, const std::vector<int64_t>& split_sizes, int64_t dim = 0) {
  TAPEGRAD_CHECK(x.dim() > 0, ShapeError, "split: expected at least a 1-dimensional tensor");
  const int64_t d = wrap_dim(dim, x.dim(), "split"), size = x.sizes()[d];
  int64_t total = 0;
  for (int64_t s : split_sizes) {
    TAPEGRAD_CHECK(s >= 0, ValueError, "split: split_sizes must be non-negative, got ", Shape(split_sizes.begin(), split_sizes.end()));
    total += s;
  }
  TAPEGRAD_CHECK(total == size, ValueError, "split: split_sizes must sum exactly to ", size,
                 " (input tensor's size at dimension ", d, "), but got split_sizes=",
                 Shape(split_sizes.begin(), split_sizes.end()));
  std::vector<Tensor<T>> out;
  int64_t start = 0;
  for (int64_t s : split_sizes) {
    out.push_back(autograd::renamed(x.narrow(d, start, s), "SplitWithSizesBackward0"));
    start += s;
  }
  return out;
}

/// chunk(x, chunks, dim): at most `chunks` views of equal size along dim (the last may be smaller).
template <Element T>
std::vector<Tensor<T>> chunk(const Tensor<T>& x, int64_t chunks, int64_t dim = 0) {
  TAPEGRAD_CHECK(x.dim() > 0, ShapeError, "chunk: expected at least a 1-dimensional tensor");
  TAPEGRAD_CHECK(chunks > 0, ValueError, "chunk: chunks must be greater than 0, got ", chunks);
  const int64_t d = wrap_dim(dim, x.dim(), "chunk"), size = x.sizes()[d];
  const int64_t split_size = (size + chunks - 1) / chunks;
  if (split_size == 0 && size == 0) return split(x, std::vector<int64_t>(static_cast<size_t>(chunks), 0), d);
  return split(x, split_size, d);
}

/// unbind(x, dim): the views x.select(dim, i) for every i.
template <Element T>
std::vector<Tensor<T>> unbind(const Tensor<T>& x, int64_t dim = 0) {
  TAPEGRAD_CHECK(x.dim() > 0, IndexError, "unbind: dimension specified as ", dim, " but tensor has no dimensions");
  const int64_t d = wrap_dim(dim, x.dim(), "unbind");
  std::vector<Tensor<T>> out;
  for (int64_t i = 0; i < x.sizes()[d]; ++i) out.push_back(autograd::renamed(x.select(d, i), "UnbindBackward0"));
  return out;
}

/// tensor_split(x, sections, dim): `sections` views along dim, the first
/// size % sections of them one longer.
template <Element T>
std::vector<Tensor<T>> tensor_split(const Tensor<T>& x, int64_t sections, int64_t dim = 0) {
  TAPEGRAD_CHECK(x.dim() > 0, ShapeError,
                 "tensor_split: expected at least a 1-dimensional tensor, but got a tensor with 0 dims");
  TAPEGRAD_CHECK(sections > 0, ValueError, "tensor_split: number of sections must be larger than 0, got ", sections);
  const int64_t d = wrap_dim(dim, x.dim(), "tensor_split"), size = x.sizes()[d];
  const int64_t base = size / sections, extra = size % sections;
  std::vector<Tensor<T>> out;
  int64_t start = 0;
  for (int64_t i = 0; i < sections; ++i) {
    const int64_t len = base + (i < extra ? 1 : 0);
    out.push_back(x.narrow(d, start, len));
    start += len;
  }
  return out;
}

/// tensor_split(x, indices, dim): the views x[:i0], x[i0:i1], ..., x[ik:]
/// along dim (Python slicing: bounds clamped, negatives from the end).
template <Element T>
std::vector<Tensor<T>> tensor_split(const Tensor<T>& x, const std::vector<int64_t>& indices, int64_t dim = 0) {
  TAPEGRAD_CHECK(x.dim() > 0, ShapeError,
                 "tensor_split: expected at least a 1-dimensional tensor, but got a tensor with 0 dims");
  const int64_t d = wrap_dim(dim, x.dim(), "tensor_split");
  std::vector<Tensor<T>> out;
  std::optional<int64_t> start = 0;
  for (int64_t i : indices) {
    out.push_back(x.slice(d, start, i));
    start = i;
  }
  out.push_back(x.slice(d, start, std::nullopt));
  return out;
}

// ---- repeating (copies) ---------------------------------------------------------------

/// repeat(x, repeats): x tiled repeats[i] times along dim i; repeats may have
/// more dims than x (x gets leading dims of size 1).
template <Element T>
Tensor<T> repeat(const Tensor<T>& x, const Shape& repeats) {
  TAPEGRAD_CHECK(repeats.size() >= x.dim(), ShapeError,
                 "repeat: number of dimensions of repeat dims can not be smaller than number of dimensions of "
                 "tensor, got repeats ", repeats, " for a tensor of shape ", x.sizes());
  const int64_t n = repeats.size(), lead = n - x.dim();
  Shape interleaved, expanded, result;
  for (int64_t i = 0; i < n; ++i) {
    TAPEGRAD_CHECK(repeats[i] >= 0, ValueError, "repeat: repeats can not be negative, got ", repeats);
    const int64_t s = i < lead ? 1 : x.sizes()[i - lead];
    interleaved.push_back(1);
    interleaved.push_back(s);
    expanded.push_back(repeats[i]);
    expanded.push_back(s);
    result.push_back(repeats[i] * s);
  }
  // [1, s0, 1, s1, ...] expanded to [r0, s0, r1, s1, ...]: the copies' gradients add up (expand).
  // A copy always, as PyTorch's (with every repeat 1 the reshapes are views of x).
  Tensor<T> out = x.reshape(interleaved).expand(expanded).reshape(result);
  if (shares_storage(out, x)) out = out.clone();
  return autograd::renamed(out, "RepeatBackward0");
}

/// tile(x, reps): repeat, with reps padded by leading 1s to x's rank.
template <Element T>
Tensor<T> tile(const Tensor<T>& x, const Shape& reps) {
  Shape r;
  for (int64_t i = reps.size(); i < x.dim(); ++i) r.push_back(1);
  for (int64_t v : reps) r.push_back(v);
  return repeat(x, r);
}

/// repeat_interleave(x, repeats, dim): each element (slice along dim)
/// repeated `repeats` times in place; without dim, of the flattened x.
template <Element T>
Tensor<T> repeat_interleave(const Tensor<T>& x, int64_t repeats, std::optional<int64_t> dim = std::nullopt) {
  TAPEGRAD_CHECK(repeats >= 0, ValueError, "repeat_interleave: repeats can not be negative, got ", repeats);
  if (!dim) return repeat_interleave(x.reshape({-1}), repeats, 0);
  const int64_t d = wrap_dim(*dim, x.dim(), "repeat_interleave");
  if (x.dim() == 0) return repeat_interleave(x.reshape({1}), repeats, 0);
  Shape e = x.sizes();
  e.insert(d + 1, repeats);
  return x.unsqueeze(d + 1).expand(e).flatten(d, d + 1);
}

/// repeat_interleave(repeats): [sum(repeats)] int64, i repeated repeats[i] times
/// (a template: Note [Templates against compile time] in ops/index.hpp).
template <Element I>
  requires std::same_as<I, int64_t>
Tensor<int64_t> repeat_interleave(const Tensor<I>& repeats) {
  TAPEGRAD_CHECK(repeats.dim() <= 1, ShapeError, "repeat_interleave: repeats must be 0-dim or 1-dim tensor, got shape ",
                 repeats.sizes());
  const std::vector<int64_t> r = repeats.to_vector();
  int64_t total = 0;
  for (int64_t v : r) {
    TAPEGRAD_CHECK(v >= 0, ValueError, "repeat_interleave: repeats can not be negative, got ", v);
    total += v;
  }
  auto out = detail::make_empty<int64_t>({total});
  int64_t* p = out.data_ptr();
  for (size_t i = 0; i < r.size(); ++i)
    for (int64_t k = 0; k < r[i]; ++k) *p++ = static_cast<int64_t>(i);
  return out;
}

/// repeat_interleave(x, repeats, dim): slice i along dim repeated repeats[i]
/// times (repeats: one count per slice, or one for all).
template <Element T>
Tensor<T> repeat_interleave(const Tensor<T>& x, const Tensor<int64_t>& repeats,
                            std::optional<int64_t> dim = std::nullopt) {
  if (!dim) return repeat_interleave(x.reshape({-1}), repeats, 0);
  if (x.dim() == 0) return repeat_interleave(x.reshape({1}), repeats, 0);
  const int64_t d = wrap_dim(*dim, x.dim(), "repeat_interleave");
  const int64_t size = x.sizes()[d];
  if (repeats.numel() == 1 && repeats.dim() <= 1 && size != 1)
    return repeat_interleave(x, repeats.reshape({1}).expand({size}).contiguous(), d);
  TAPEGRAD_CHECK(repeats.dim() <= 1 && repeats.numel() == size, ShapeError,
                 "repeat_interleave: repeats must have the same size as input along dim, got repeats ",
                 repeats.sizes(), " for dim ", d, " of shape ", x.sizes());
  return index_select(x, d, repeat_interleave(repeats.reshape({-1})));
}

// ---- reordering (copies) --------------------------------------------------------------

/// flip(x, dims): x with the order of elements reversed along each of dims.
template <Element T>
Tensor<T> flip(const Tensor<T>& x, const Shape& dims) {
  std::vector<bool> seen(static_cast<size_t>(std::max<int64_t>(x.dim(), 1)), false);
  Tensor<T> out = x;
  for (int64_t dim : dims) {
    const int64_t d = wrap_dim(dim, x.dim(), "flip");
    TAPEGRAD_CHECK(!seen[static_cast<size_t>(d)], ValueError, "flip: dim ", d,
                   " appears multiple times in the list of dims ", dims);
    seen[static_cast<size_t>(d)] = true;
    const int64_t size = x.dim() == 0 ? 1 : x.sizes()[d];
    auto rev = detail::make_empty<int64_t>({size});
    for (int64_t i = 0; i < size; ++i) rev.data_ptr()[i] = size - 1 - i;
    out = index_select(out, d, rev);  // d/dx flip = flip of the gradient (index_select's backward)
  }
  return autograd::renamed(out.is_same(x) ? x.clone() : out, "FlipBackward0");
}

/// roll(x, shifts, dims): elements shifted along dims, wrapping around;
/// without dims, of the flattened x (one shift).
template <Element T>
Tensor<T> roll(const Tensor<T>& x, const Shape& shifts, const Shape& dims = {}) {
  if (dims.empty()) {
    TAPEGRAD_CHECK(shifts.size() == 1, ValueError, "roll: shifts and dimensions must align, shifts: ", shifts.size(),
                   ", dims: 0");
    return autograd::renamed(roll(x.reshape({-1}), shifts, {0}).view(x.sizes()), "RollBackward0");
  }
  TAPEGRAD_CHECK(shifts.size() == dims.size(), ValueError, "roll: shifts and dimensions must align, shifts: ",
                 shifts.size(), ", dims: ", dims.size());
  Tensor<T> out = x;
  for (int64_t k = 0; k < dims.size(); ++k) {
    const int64_t d = wrap_dim(dims[k], x.dim(), "roll"), size = x.dim() == 0 ? 1 : x.sizes()[d];
    if (size == 0) continue;
    const int64_t s = ((shifts[k] % size) + size) % size;
    if (s != 0) out = cat({out.narrow(d, size - s, s), out.narrow(d, 0, size - s)}, d);
  }
  return autograd::renamed(out.is_same(x) ? x.clone() : out, "RollBackward0");
}

namespace detail {
// x with the elements off the kept triangle (col - row <= k for tril, >= k
// for triu) zeroed; the gradient is zeroed there too (where's backward).
template <Element T>
Tensor<T> triangle(const Tensor<T>& x, int64_t k, bool lower, const char* op) {
  TAPEGRAD_CHECK(x.dim() >= 2, ShapeError, op, ": input tensor must have at least 2 dimensions, got shape ",
                 x.sizes());
  const int64_t rows = x.sizes()[x.dim() - 2], cols = x.sizes()[x.dim() - 1];
  auto keep = make_empty<bool>({rows, cols});
  bool* p = keep.data_ptr();
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) p[i * cols + j] = lower ? j - i <= k : j - i >= k;
  return autograd::renamed(where(keep, x, zeros<T>({})), lower ? "TrilBackward0" : "TriuBackward0");
}
}  // namespace detail

/// tril(x, diagonal): the lower triangle of the last two dims (col - row <= diagonal), the rest 0.
template <Element T>
Tensor<T> tril(const Tensor<T>& x, int64_t diagonal = 0) { return detail::triangle(x, diagonal, true, "tril"); }
/// triu(x, diagonal): the upper triangle of the last two dims (col - row >= diagonal), the rest 0.
template <Element T>
Tensor<T> triu(const Tensor<T>& x, int64_t diagonal = 0) { return detail::triangle(x, diagonal, false, "triu"); }

// ---- diagonals --------------------------------------------------------------------------

/// diagonal(x, offset, dim1, dim2): a view of the diagonal of dims dim1 and
/// dim2 (above it for offset > 0), as the last dim; those two dims removed.
template <Element T>
Tensor<T> diagonal(const Tensor<T>& x, int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1) {
  TAPEGRAD_CHECK(x.dim() >= 2, ShapeError, "diagonal: expected a tensor with at least 2 dimensions, got shape ",
                 x.sizes());
  const int64_t d1 = wrap_dim(dim1, x.dim(), "diagonal"), d2 = wrap_dim(dim2, x.dim(), "diagonal");
  TAPEGRAD_CHECK(d1 != d2, ValueError, "diagonal: diagonal dimensions cannot be identical ", dim1, ", ", dim2);
  const int64_t s1 = x.sizes()[d1], s2 = x.sizes()[d2], st1 = x.strides()[d1], st2 = x.strides()[d2];
  int64_t len, off = x.storage_offset();
  if (offset >= 0) {
    len = std::max<int64_t>(std::min(s1, s2 - offset), 0);
    if (len > 0) off += offset * st2;
  } else {
    len = std::max<int64_t>(std::min(s1 + offset, s2), 0);
    if (len > 0) off -= offset * st1;
  }
  Shape sz, st;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (d != d1 && d != d2) {
      sz.push_back(x.sizes()[d]);
      st.push_back(x.strides()[d]);
    }
  sz.push_back(len);
  st.push_back(st1 + st2);
  // d/dx: the gradient on the diagonal of a zero tensor
  return detail::recorded(detail::make_view(x, sz, st, off), x, "DiagonalBackward0",
                          [in = x.sizes(), offset, d1, d2](const Tensor<T>& g) {
                            return detail::scatter_into_zeros(
                                g, in, [&](const Tensor<T>& z) { return tapegrad::diagonal(z, offset, d1, d2); });
                          });
}

/// diag(x, diagonal): of a 1-D x, the square matrix with x on that diagonal;
/// of a 2-D x, a copy of that diagonal.
template <Element T>
Tensor<T> diag(const Tensor<T>& x, int64_t k = 0) {
  TAPEGRAD_CHECK(x.dim() == 1 || x.dim() == 2, ShapeError, "diag: supports 1D or 2D tensors, got ", x.dim(),
                 "D (shape ", x.sizes(), ")");
  if (x.dim() == 2) return autograd::renamed(diagonal(x, k, 0, 1).clone(), "DiagBackward0");
  const int64_t n = x.sizes()[0] + (k < 0 ? -k : k);
  auto out = zeros<T>({n, n});
  detail::copy_into(diagonal(out, k, 0, 1), x);
  return detail::recorded(out, x, "DiagBackward0", [k](const Tensor<T>& g) { return diagonal(g, k, 0, 1); });
}

// ---- dims (views) ----------------------------------------------------------------------

/// movedim(x, source, destination): dims source[i] moved to destination[i],
/// the others keeping their order (a permute view).
template <Element T>
Tensor<T> movedim(const Tensor<T>& x, const Shape& source, const Shape& destination) {
  TAPEGRAD_CHECK(source.size() == destination.size(), ValueError,
                 "movedim: Invalid source or destination dims: source (", source, ") and destination (",
                 destination, ") dims must have same number of elements");
  const int64_t n = std::max<int64_t>(x.dim(), 1);
  Shape perm(n, -1);
  std::vector<bool> used_src(static_cast<size_t>(n), false), used_dst(static_cast<size_t>(n), false);
  for (int64_t i = 0; i < source.size(); ++i) {
    const int64_t s = wrap_dim(source[i], x.dim(), "movedim"), t = wrap_dim(destination[i], x.dim(), "movedim");
    TAPEGRAD_CHECK(!used_src[static_cast<size_t>(s)], ValueError, "movedim: repeated dim in `source` (", source, ")");
    TAPEGRAD_CHECK(!used_dst[static_cast<size_t>(t)], ValueError, "movedim: repeated dim in `destination` (",
                   destination, ")");
    used_src[static_cast<size_t>(s)] = used_dst[static_cast<size_t>(t)] = true;
    perm[t] = s;
  }
  if (x.dim() == 0) return x.view({});
  int64_t next = 0;
  for (int64_t t = 0; t < n; ++t) {
    if (perm[t] >= 0) continue;
    while (used_src[static_cast<size_t>(next)]) ++next;
    perm[t] = next++;
  }
  return x.permute(perm);
}
/// movedim(x, source, destination) for one dim.
template <Element T>
Tensor<T> movedim(const Tensor<T>& x, int64_t source, int64_t destination) {
  return movedim(x, Shape{source}, Shape{destination});
}
/// moveaxis: movedim.
template <Element T>
Tensor<T> moveaxis(const Tensor<T>& x, const Shape& source, const Shape& destination) {
  return movedim(x, source, destination);
}
/// moveaxis for one dim: movedim.
template <Element T>
Tensor<T> moveaxis(const Tensor<T>& x, int64_t source, int64_t destination) {
  return movedim(x, Shape{source}, Shape{destination});
}

/// unflatten(x, dim, sizes): dim split into sizes (one may be -1), a view.
template <Element T>
Tensor<T> unflatten(const Tensor<T>& x, int64_t dim, const Shape& sizes) {
  TAPEGRAD_CHECK(x.dim() > 0, ShapeError, "unflatten: cannot be applied to a 0-dim tensor");
  TAPEGRAD_CHECK(!sizes.empty(), ValueError, "unflatten: sizes must be non-empty");
  const int64_t d = wrap_dim(dim, x.dim(), "unflatten");
  int64_t known = 1, infer = -1;
  for (int64_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == -1) {
      TAPEGRAD_CHECK(infer < 0, ValueError, "unflatten: only one dimension can be inferred, got sizes ", sizes);
      infer = i;
    } else {
      known *= sizes[i];
    }
  }
  const int64_t size = x.sizes()[d];
  Shape s = sizes;
  if (infer >= 0 && known != 0 && size % known == 0) s[infer] = size / known;
  TAPEGRAD_CHECK(shape_numel(s) == size && (infer < 0 || known != 0), ShapeError, "unflatten: provided sizes ", sizes,
                 " don't multiply up to the size of dim ", d, " (", size, ") in the input tensor of shape ", x.sizes());
  Shape shape;
  for (int64_t i = 0; i < x.dim(); ++i) {
    if (i != d) shape.push_back(x.sizes()[i]);
    else for (int64_t v : s) shape.push_back(v);
  }
  return x.view(shape);
}

/// broadcast_to(x, shape): expand (a view); -1 keeps a size.
template <Element T>
Tensor<T> broadcast_to(const Tensor<T>& x, const Shape& shape) {
  const int64_t lead = shape.size() - x.dim();
  bool ok = lead >= 0;
  for (int64_t i = 0; ok && i < shape.size(); ++i) {
    const int64_t have = i < lead ? 1 : x.sizes()[i - lead];
    ok = i < lead ? shape[i] >= 0 : shape[i] == -1 || shape[i] == have || have == 1;
  }
  TAPEGRAD_CHECK(ok, ShapeError, "broadcast_to: a tensor of shape ", x.sizes(), " cannot be broadcast to shape ",
                 shape);
  return x.expand(shape);
}

/// meshgrid(tensors, indexing): coordinate grids of 0-d/1-d tensors, all of
/// the shape [n0, n1, ...] ("ij") or [n1, n0, ...] ("xy"); expanded views.
template <Element T>
std::vector<Tensor<T>> meshgrid(const std::vector<Tensor<T>>& tensors, std::string_view indexing = "ij") {
  TAPEGRAD_CHECK(!tensors.empty(), ValueError, "meshgrid: expects a non-empty list of tensors");
  TAPEGRAD_CHECK(indexing == "ij" || indexing == "xy", ValueError,
                 "meshgrid: indexing must be one of \"xy\" or \"ij\", but received: ", std::string(indexing));
  const int64_t n = static_cast<int64_t>(tensors.size());
  const bool xy = indexing == "xy" && n >= 2;
  auto pos = [&](int64_t i) { return xy && i < 2 ? 1 - i : i; };
  Shape shape(n, 0);
  for (int64_t i = 0; i < n; ++i) {
    TAPEGRAD_CHECK(tensors[static_cast<size_t>(i)].dim() <= 1, ShapeError,
                   "meshgrid: expects all tensors to be 0-D or 1-D, got shape ", tensors[static_cast<size_t>(i)].sizes(),
                   " for tensor ", i);
    shape[pos(i)] = tensors[static_cast<size_t>(i)].numel();
  }
  std::vector<Tensor<T>> out;
  for (int64_t i = 0; i < n; ++i) {
    Shape view(n, 1);
    view[pos(i)] = -1;
    out.push_back(tensors[static_cast<size_t>(i)].reshape(view).expand(shape));
  }
  return out;
}
/// meshgrid({a, b}, indexing) for a braced list.
template <Element T>
std::vector<Tensor<T>> meshgrid(std::initializer_list<Tensor<T>> tensors, std::string_view indexing = "ij") {
  return meshgrid(std::vector<Tensor<T>>(tensors), indexing);
}

// ---- methods --------------------------------------------------------------------------
template <Element T>
std::vector<Tensor<T>> Tensor<T>::chunk(int64_t chunks, int64_t dim) const { return tapegrad::chunk(*this, chunks, dim); }
template <Element T>
std::vector<Tensor<T>> Tensor<T>::split(int64_t split_size, int64_t dim) const {
  return tapegrad::split(*this, split_size, dim);
}
template <Element T>
std::vector<Tensor<T>> Tensor<T>::split(const std::vector<int64_t>& split_sizes, int64_t dim) const {
  return tapegrad::split(*this, split_sizes, dim);
}
template <Element T>
std::vector<Tensor<T>> Tensor<T>::unbind(int64_t dim) const { return tapegrad::unbind(*this, dim); }
template <Element T>
std::vector<Tensor<T>> Tensor<T>::tensor_split(int64_t sections, int64_t dim) const {
  return tapegrad::tensor_split(*this, sections, dim);
}
template <Element T>
std::vector<Tensor<T>> Tensor<T>::tensor_split(const std::vector<int64_t>& indices, int64_t dim) const {
  return tapegrad::tensor_split(*this, indices, dim);
}
template <Element T>
Tensor<T> Tensor<T>::repeat(const Shape& repeats) const { return tapegrad::repeat(*this, repeats); }
template <Element T>
Tensor<T> Tensor<T>::tile(const Shape& reps) const { return tapegrad::tile(*this, reps); }
template <Element T>
Tensor<T> Tensor<T>::repeat_interleave(int64_t repeats, std::optional<int64_t> dim) const {
  return tapegrad::repeat_interleave(*this, repeats, dim);
}
template <Element T>
Tensor<T> Tensor<T>::repeat_interleave(const Tensor<int64_t>& repeats, std::optional<int64_t> dim) const {
  return tapegrad::repeat_interleave(*this, repeats, dim);
}
template <Element T>
Tensor<T> Tensor<T>::flip(const Shape& dims) const { return tapegrad::flip(*this, dims); }
template <Element T>
Tensor<T> Tensor<T>::roll(const Shape& shifts, const Shape& dims) const { return tapegrad::roll(*this, shifts, dims); }
template <Element T>
Tensor<T> Tensor<T>::tril(int64_t diagonal) const { return tapegrad::tril(*this, diagonal); }
template <Element T>
Tensor<T> Tensor<T>::triu(int64_t diagonal) const { return tapegrad::triu(*this, diagonal); }
template <Element T>
Tensor<T> Tensor<T>::diag(int64_t diagonal) const { return tapegrad::diag(*this, diagonal); }
template <Element T>
Tensor<T> Tensor<T>::diagonal(int64_t offset, int64_t dim1, int64_t dim2) const {
  return tapegrad::diagonal(*this, offset, dim1, dim2);
}
template <Element T>
Tensor<T> Tensor<T>::movedim(const Shape& source, const Shape& destination) const {
  return tapegrad::movedim(*this, source, destination);
}
template <Element T>
Tensor<T> Tensor<T>::movedim(int64_t source, int64_t destination) const {
  return tapegrad::movedim(*this, source, destination);
}
template <Element T>
Tensor<T> Tensor<T>::unflatten(int64_t dim, const Shape& sizes) const { return tapegrad::unflatten(*this, dim, sizes); }
template <Element T>
Tensor<T> Tensor<T>::broadcast_to(const Shape& shape) const { return tapegrad::broadcast_to(*this, shape); }

}  // namespace tapegrad
