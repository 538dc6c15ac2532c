#pragma once
// Creating tensors (torch.tensor, zeros, ones, full, empty, eye, arange,
// linspace, rand, randn, randint, randperm, *_like, from_blob), casting and
// copying between them, and in-place fills.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <limits>
#include <type_traits>
#include <vector>

#include "iterator.hpp"
#include "tensor.hpp"

namespace tapegrad {

namespace detail {
// Cast one value, with bool as "nonzero" (PyTorch's conversion to bool).
template <Element To, class From>
inline To cast(From v) {
  if constexpr (std::is_same_v<To, bool>) return v != From(0);
  else return static_cast<To>(v);
}

/// dst[...] = cast(src[...]) with src broadcast to dst's shape.
template <Element D, Element S>
void copy_into(const Tensor<D>& dst, const Tensor<S>& src) {
  D* pd = dst.data_ptr();
  const S* ps = src.data_ptr();
  if constexpr (std::is_same_v<D, S>) {
    if (dst.sizes() == src.sizes() && dst.is_contiguous() && src.is_contiguous()) {
      if (dst.numel() > 0 && pd != ps)
        std::memcpy(pd, ps, sizeof(D) * static_cast<size_t>(dst.numel()));
      return;
    }
  }
  for_each_strided<2>(dst.sizes(), {dst.strides(), broadcast_strides(src, dst.sizes())},
                      [&](const Offsets<2>& b, int64_t n, const Offsets<2>& s) {
                        D* o = pd + b[0];
                        const S* i = ps + b[1];
                        for (int64_t k = 0; k < n; ++k) o[k * s[0]] = cast<D>(i[k * s[1]]);
                      });
}

template <Element T>
Tensor<T> filled(const Shape& shape, T value, const char* op = "full") {
  auto t = make_empty<T>(shape, op);
  std::fill_n(t.data_ptr(), t.numel(), value);
  return t;
}

// Nested initializer lists: collect the shape and the values, checking that
// the lists are rectangular.
template <class T>
void nested_shape(const T&, Shape&, int64_t) {}
template <class T>
void nested_shape(std::initializer_list<T> list, Shape& shape, int64_t depth) {
  if (shape.size() == depth) {
    shape.push_back(static_cast<int64_t>(list.size()));
    if (list.size() > 0) nested_shape(*list.begin(), shape, depth + 1);
  }
}
template <Element T, class V>
void nested_values(const V& v, const Shape&, int64_t, std::vector<T>& out) {
  out.push_back(static_cast<T>(v));
}
template <Element T, class V>
void nested_values(std::initializer_list<V> list, const Shape& shape, int64_t depth,
                   std::vector<T>& out) {
  TAPEGRAD_CHECK(static_cast<int64_t>(list.size()) == shape[depth], ValueError,
                 "tensor: expected sequence of length ", shape[depth], " at dim ", depth, " (got ",
                 list.size(), ")");
  for (const auto& v : list) nested_values<T>(v, shape, depth + 1, out);
}
template <Element T, class L>
Tensor<T> from_nested(const L& list) {
  Shape shape;
  nested_shape(list, shape, 0);
  std::vector<T> values;
  values.reserve(static_cast<size_t>(shape_numel(shape)));
  nested_values<T>(list, shape, 0, values);
  auto t = make_empty<T>(shape);
  std::copy(values.begin(), values.end(), t.data_ptr());
  return t;
}

// A C++ number as R, refused where R cannot hold it, as c10's
// checked_convert: "value cannot be converted to type int8_t without
// overflow". A negative value may wrap into an unsigned R when its magnitude
// fits (-1 is 255 in uint8); inf and NaN are kept by a floating R, and a
// finite value out of its range is refused.
template <Element R, Scalar S>
R checked_scalar(S s, const char* op) {
  if constexpr (std::is_same_v<R, bool> || std::is_same_v<S, bool>) {
    return static_cast<R>(s);
  } else {
    using L = std::numeric_limits<R>;
    bool fits;
    if constexpr (std::is_floating_point_v<R>) {
      fits = !std::is_floating_point_v<S> || !std::isfinite(static_cast<double>(s)) ||
             (static_cast<long double>(s) >= L::lowest() && static_cast<long double>(s) <= L::max());
    } else if constexpr (std::is_floating_point_v<S>) {
      const long double v = s, low = std::is_signed_v<R> ? L::lowest() : -static_cast<long double>(L::max());
      fits = v >= low && v <= static_cast<long double>(L::max());  // false for NaN
    } else if (s < 0) {
      fits = std::is_signed_v<R> ? static_cast<long long>(s) >= static_cast<long long>(L::min())
                                 : 0ULL - static_cast<unsigned long long>(s) <= static_cast<unsigned long long>(L::max());
    } else {
      fits = static_cast<unsigned long long>(s) <= static_cast<unsigned long long>(L::max());
    }
    TAPEGRAD_CHECK(fits, ValueError, op, ": value ", +s, " cannot be converted to type ", dtype_name<R>(),
                   " without overflow");
    if constexpr (!std::is_floating_point_v<R> && std::is_floating_point_v<S>)
      return static_cast<R>(static_cast<long long>(s));  // (a negative value wraps as an integer's would)
    else
      return static_cast<R>(s);
  }
}
template <Element R, Scalar S>
Tensor<R> checked_scalar_tensor(S s, const char* op) {
  return filled<R>({}, checked_scalar<R>(s, op));
}

}  // namespace detail

// ---- from values --------------------------------------------------------------
/// torch.tensor: a 0-d tensor, or one built from nested braces,
/// `tensor<float>({{1, 0, 0}, {1, 1, 0}})`.
template <Element T>
Tensor<T> tensor(T value) { return detail::filled<T>({}, value); }
template <Element T>
Tensor<T> tensor(std::initializer_list<T> v) { return detail::from_nested<T>(v); }
template <Element T>
Tensor<T> tensor(std::initializer_list<std::initializer_list<T>> v) {
  return detail::from_nested<T>(v);
}
template <Element T>
Tensor<T> tensor(std::initializer_list<std::initializer_list<std::initializer_list<T>>> v) {
  return detail::from_nested<T>(v);
}
template <Element T>
Tensor<T> tensor(
    std::initializer_list<std::initializer_list<std::initializer_list<std::initializer_list<T>>>>
        v) {
  return detail::from_nested<T>(v);
}

/// A tensor holding a copy of `values` with the given shape (1-D by default).
template <Element T>
Tensor<T> from_vector(const std::vector<T>& values, std::optional<Shape> shape = std::nullopt) {
  Shape s = shape ? *shape : Shape{static_cast<int64_t>(values.size())};
  const int64_t n = detail::checked_numel(s, "from_vector");
  TAPEGRAD_CHECK(n == static_cast<int64_t>(values.size()), ShapeError,
                 "from_vector: shape ", s, " has ", n, " elements but ",
                 values.size(), " values were given");
  auto t = detail::make_empty<T>(s);
  std::copy(values.begin(), values.end(), t.data_ptr());
  return t;
}

/// torch.from_blob: a tensor viewing `data` without copying or owning it.
/// `deleter`, if given, runs when the last tensor using the memory goes away.
template <Element T>
Tensor<T> from_blob(T* data, const Shape& sizes, std::optional<Shape> strides = std::nullopt,
                    std::type_identity_t<std::function<void(T*)>> deleter = {}) {
  Shape st = strides ? *strides : contiguous_strides(sizes);
  TAPEGRAD_CHECK(st.size() == sizes.size(), ShapeError, "from_blob: sizes ", sizes,
                 " and strides ", st, " have different lengths");
  for (int64_t i = 0; i < sizes.size(); ++i)
    TAPEGRAD_CHECK(sizes[i] >= 0 && st[i] >= 0, ValueError,
                   "from_blob: sizes and strides must be non-negative, got ", sizes, " and ", st);
  const int64_t extent = detail::storage_extent(sizes, st, "from_blob");  // elements reachable from data
  detail::check_nbytes(extent, sizeof(T), sizes, dtype_name<T>(), "from_blob");
  return Tensor<T>(detail::unchecked_layout, std::make_shared<Storage<T>>(data, extent, std::move(deleter)), sizes,
                   st, 0);
}

// ---- constant fills -------------------------------------------------------------
/// torch.empty: uninitialised memory.
template <Element T = float>
Tensor<T> empty(const Shape& shape) { return detail::make_empty<T>(shape); }
template <Element T = float>
Tensor<T> zeros(const Shape& shape) { return detail::filled<T>(shape, T(0), "zeros"); }
template <Element T = float>
Tensor<T> ones(const Shape& shape) { return detail::filled<T>(shape, T(1), "ones"); }
template <Element T = float>
Tensor<T> full(const Shape& shape, T value) { return detail::filled<T>(shape, value); }

/// torch.eye: ones on the diagonal of an [n, m] matrix (m defaults to n).
template <Element T = float>
Tensor<T> eye(int64_t n, std::optional<int64_t> m = std::nullopt) {
  int64_t cols = m.value_or(n);
  TAPEGRAD_CHECK(n >= 0 && cols >= 0, ValueError, "eye: n and m must be non-negative, got n=", n,
                 " m=", cols);
  auto t = zeros<T>({n, cols});
  for (int64_t i = 0; i < std::min(n, cols); ++i) t.data_ptr()[i * cols + i] = T(1);
  return t;
}

/// torch.arange: [start, end) in steps of `step`. An integer T steps in
/// int64 as PyTorch: the step is truncated first (0.5 is a zero step), and
/// values past T's range wrap.
template <Element T = int64_t>
Tensor<T> arange(double start, double end, double step = 1) {
  // PyTorch's order: finite bounds before the sign, so inf and NaN report
  // "unsupported range".
  TAPEGRAD_CHECK(step != 0, ValueError, "arange: step must be nonzero");
  TAPEGRAD_CHECK(FloatingElement<T> || std::trunc(step) != 0, ValueError, "arange: step must be nonzero (the ",
                 dtype_name<T>(), " step of ", step, " is 0)");
  TAPEGRAD_CHECK(std::isfinite(start) && std::isfinite(end), ValueError,
                 "arange: unsupported range: ", start, " -> ", end);
  TAPEGRAD_CHECK((step > 0 && end >= start) || (step < 0 && end <= start), ValueError,
                 "arange: upper bound and larger bound inconsistent with step sign (start=", start,
                 ", end=", end, ", step=", step, ")");
  const double size = std::ceil((end - start) / step);
  TAPEGRAD_CHECK(size >= 0 && size < 9.2e18, ValueError, "arange: invalid size ", size,
                 ", possible overflow? (start=", start, ", end=", end, ", step=", step, ")");
  const auto n = static_cast<int64_t>(size);
  auto t = detail::make_empty<T>({n}, "arange");
  T* p = t.data_ptr();
  if constexpr (FloatingElement<T>) {
    // Note [No FMA contraction] (core/dtype.hpp), here and below
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + detail::unfused(static_cast<double>(i) * step));
  } else {
    // start and step as int64 (checked); unsigned arithmetic wraps without UB
    const auto s0 = static_cast<uint64_t>(detail::checked_scalar<int64_t>(std::trunc(start), "arange"));
    const auto ds = static_cast<uint64_t>(detail::checked_scalar<int64_t>(std::trunc(step), "arange"));
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(static_cast<int64_t>(s0 + ds * static_cast<uint64_t>(i)));
  }
  return t;
}
template <Element T = int64_t>
Tensor<T> arange(double end) { return arange<T>(0, end, 1); }

/// torch.linspace: `steps` evenly spaced values from start to end inclusive,
/// filled from both ends as PyTorch does so the last value is exactly `end`.
/// As in PyTorch, a floating T computes in T itself, an integer T in double
/// (PyTorch's vectorised kernel, and FMA contraction in some builds, can
/// differ from this formula in the last bit); a bound T cannot hold is refused.
template <Element T = float>
Tensor<T> linspace(double start, double end, int64_t steps) {
  TAPEGRAD_CHECK(steps >= 0, ValueError, "linspace: number of steps must be non-negative, got ",
                 steps);
  using S = std::conditional_t<FloatingElement<T>, T, double>;
  auto t = detail::make_empty<T>({steps}, "linspace");
  T* p = t.data_ptr();
  if (steps == 1) p[0] = detail::checked_scalar<T>(start, "linspace");  // (end is never converted)
  if (steps > 1) {
    const auto s0 = static_cast<S>(detail::checked_scalar<T>(start, "linspace"));
    const auto s1 = static_cast<S>(detail::checked_scalar<T>(end, "linspace"));
    const S step = (s1 - s0) / static_cast<S>(steps - 1);
    const int64_t half = steps / 2;
    for (int64_t i = 0; i < steps; ++i)
      p[i] = static_cast<T>(i < half ? s0 + detail::unfused(step * static_cast<S>(i))
                                     : s1 - detail::unfused(step * static_cast<S>(steps - i - 1)));
  }
  return t;
}

// ---- random -------------------------------------------------------------------------
/// torch.rand: uniform on [0, 1).
template <FloatingElement T = float>
Tensor<T> rand(const Shape& shape, Generator& gen = default_generator()) {
  auto t = detail::make_empty<T>(shape, "rand");
  t.uniform_(0, 1, gen);
  return t;
}
/// torch.randn: standard normal.
template <FloatingElement T = float>
Tensor<T> randn(const Shape& shape, Generator& gen = default_generator()) {
  auto t = detail::make_empty<T>(shape, "randn");
  t.normal_(0, 1, gen);
  return t;
}
/// torch.randint: uniform integers in [low, high).
template <Element T = int64_t>
Tensor<T> randint(int64_t low, int64_t high, const Shape& shape,
                  Generator& gen = default_generator()) {
  TAPEGRAD_CHECK(low < high, ValueError, "randint: expected low < high, but got low=", low,
                 " high=", high);
  auto t = detail::make_empty<T>(shape, "randint");
  const auto range = static_cast<uint64_t>(high - low);
  T* p = t.data_ptr();
  for (int64_t i = 0; i < t.numel(); ++i)
    p[i] = static_cast<T>(low + static_cast<int64_t>(gen.below(range)));
  return t;
}
/// torch.randperm: a random permutation of 0..n-1 (Fisher-Yates).
template <Element T = int64_t>
Tensor<T> randperm(int64_t n, Generator& gen = default_generator()) {
  TAPEGRAD_CHECK(n >= 0, ValueError, "randperm: n must be non-negative, got ", n);
  auto t = arange<T>(0, static_cast<double>(n));
  T* p = t.data_ptr();
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(p[i], p[gen.below(static_cast<uint64_t>(i) + 1)]);
  return t;
}

// ---- *_like ---------------------------------------------------------------------------
namespace detail {
/// t's elements fill exactly numel() consecutive slots in some order of its
/// dims (size-1 and size-0 dims aside): ATen's is_non_overlapping_and_dense.
inline bool non_overlapping_and_dense(const Shape& sizes, const Shape& strides) {
  std::vector<int64_t> order;  // the dims of size >= 2, by stride
  for (int64_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 0) return true;
    if (sizes[d] >= 2) order.push_back(d);
  }
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return strides[a] < strides[b]; });
  int64_t expected = 1;
  for (int64_t d : order) {
    if (strides[d] != expected) return false;
    expected *= sizes[d];
  }
  return true;
}
/// A fresh tensor of t's shape with t's strides when t is dense (a
/// transpose's is transposed too), else contiguous: PyTorch's
/// preserve_format, of clone() and the *_like factories.
template <Element T, Element U>
Tensor<T> empty_preserving(const Tensor<U>& t) {
  auto out = make_empty<T>(t.sizes());
  if (out.strides() != t.strides() && non_overlapping_and_dense(t.sizes(), t.strides()))
    out.impl_ptr()->set_sizes(t.sizes(), t.strides());  // the same numel() slots, in t's order
  return out;
}
}  // namespace detail

// The *_like factories keep a dense t's strides, as PyTorch's (preserve_format).
template <Element T>
Tensor<T> empty_like(const Tensor<T>& t) { return detail::empty_preserving<T>(t); }
template <Element T>
Tensor<T> full_like(const Tensor<T>& t, T value) {
  auto out = detail::empty_preserving<T>(t);
  out.fill_(value);
  return out;
}
template <Element T>
Tensor<T> zeros_like(const Tensor<T>& t) { return full_like(t, T(0)); }
template <Element T>
Tensor<T> ones_like(const Tensor<T>& t) { return full_like(t, T(1)); }
template <FloatingElement T>
Tensor<T> rand_like(const Tensor<T>& t, Generator& gen = default_generator()) {
  auto out = detail::empty_preserving<T>(t);
  out.uniform_(0, 1, gen);
  return out;
}
template <FloatingElement T>
Tensor<T> randn_like(const Tensor<T>& t, Generator& gen = default_generator()) {
  auto out = detail::empty_preserving<T>(t);
  out.normal_(0, 1, gen);
  return out;
}

// ---- Tensor members: copying out, filling ---------------------------------------------
namespace detail {
/// A contiguous copy of t, not recorded by autograd (see Tensor::clone()).
template <Element T>
Tensor<T> copy_of(const Tensor<T>& t) {
  auto out = make_empty<T>(t.sizes());
  copy_into(out, t);
  return out;
}
}  // namespace detail

template <Element T>
std::vector<T> Tensor<T>::to_vector() const {
  auto c = is_contiguous() ? *this : detail::copy_of(*this);
  return std::vector<T>(c.data_ptr(), c.data_ptr() + c.numel());
}

template <Element T>
const Tensor<T>& Tensor<T>::fill_(T value) const {
  detail::check_inplace(*this, "fill_");
  T* p = data_ptr();
  detail::for_each_strided<1>(sizes(), {strides()},
                              [&](const detail::Offsets<1>& b, int64_t n, const detail::Offsets<1>& s) {
                                for (int64_t k = 0; k < n; ++k) p[b[0] + k * s[0]] = value;
                              });
  storage()->bump_version();
  return *this;
}

/// x.copy_(src): copy src (broadcast to x's shape, cast to x's dtype) into x.
template <Element T>
template <Element U>
const Tensor<T>& Tensor<T>::copy_(const Tensor<U>& src) const {
  detail::check_inplace(*this, src, "copy_");
  TAPEGRAD_CHECK(broadcast_shapes(sizes(), src.sizes(), "copy_") == sizes(), ShapeError,
                 "copy_: source shape ", src.sizes(), " cannot be broadcast to destination shape ",
                 sizes());
  // Overlapping memory: read from a private copy so no element is read after
  // it was overwritten.
  bool overlap = false;
  if constexpr (std::is_same_v<T, U>) overlap = shares_storage(*this, src) && !is_same(src);
  if (overlap) detail::copy_into(*this, detail::copy_of(src));
  else detail::copy_into(*this, src);
  storage()->bump_version();
  return *this;
}

namespace detail {
// Fill every element of t (any strides) with gen(), drawn in row-major order.
template <Element T, class Draw>
void fill_with(const Tensor<T>& t, Draw draw, const char* op) {
  check_inplace(t, op);
  T* p = t.data_ptr();
  for_each_strided<1>(t.sizes(), {t.strides()},
                      [&](const Offsets<1>& b, int64_t n, const Offsets<1>& s) {
                        for (int64_t k = 0; k < n; ++k) p[b[0] + k * s[0]] = draw();
                      });
  t.storage()->bump_version();
}
}  // namespace detail

/// x.normal_(mean, std): fill with N(mean, std^2) samples.
template <Element T>
const Tensor<T>& Tensor<T>::normal_(double mean, double std, Generator& gen) const {
  static_assert(FloatingElement<T>, "normal_: only floating tensors (float, double) can be filled with normal samples");
  TAPEGRAD_CHECK(std >= 0, ValueError, "normal_: expects std >= 0.0, but found std ", std);
  // Note [No FMA contraction] (core/dtype.hpp): the same numbers on every platform
  detail::fill_with(*this, [&] { return static_cast<T>(mean + detail::unfused(std * gen.normal())); }, "normal_");
  return *this;
}

/// x.uniform_(from, to): fill with samples uniform on [from, to).
template <Element T>
const Tensor<T>& Tensor<T>::uniform_(double from, double to, Generator& gen) const {
  static_assert(FloatingElement<T>, "uniform_: only floating tensors (float, double) can be filled with uniform samples");
  TAPEGRAD_CHECK(from <= to, ValueError,
                 "uniform_: expects to return a [from, to) range, but found from=", from,
                 " > to=", to);
  const double width = to - from;
  if constexpr (std::is_same_v<T, float>) {
    detail::fill_with(*this, [&] {
      // Note [No FMA contraction] (core/dtype.hpp): the same numbers on every platform
      float v = static_cast<float>(from + detail::unfused(width * static_cast<double>(gen.uniform_float())));
      return v < static_cast<float>(to) || width == 0 ? v : std::nextafter(static_cast<float>(to), static_cast<float>(from));
    }, "uniform_");
  } else {
    detail::fill_with(*this, [&] { return from + detail::unfused(width * gen.uniform_double()); }, "uniform_");
  }
  return *this;
}

}  // namespace tapegrad
