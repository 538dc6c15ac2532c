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
#include "random.hpp"

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

// ---- creation options -----------------------------------------------------------
// Note [Creation options]: PyTorch's factories take keyword arguments
// (torch.randn(3, 4, requires_grad=True)); tapegrad's take a trailing
// aggregate written with designated initializers,
// tg::randn<float>({3, 4}, {.requires_grad = true}). The dtype stays the
// template argument (it decides the C++ type of the result) and the device is
// always the CPU, so requires_grad is the one keyword left. The random
// factories keep their Generator where LibTorch has it, before the options:
// tg::randn<float>({3}, g, {.requires_grad = true}) reads as
// torch.randn(3, generator=g, requires_grad=True) in PyTorch's keyword order,
// and a call without options is unchanged.
/// PyTorch's factory keywords; `{.requires_grad = true}`.
struct TensorOptions {
  bool requires_grad = false;
};

namespace detail {
/// t with the options applied: a leaf that requires grad if asked.
template <Element T>
Tensor<T> with_options(Tensor<T> t, const TensorOptions& o, const char* op) {
  if (!o.requires_grad) return t;
  if constexpr (FloatingElement<T>) {
    t.requires_grad_(true);
  } else {
    TAPEGRAD_CHECK(false, DTypeError, op, ": only floating tensors (float, double) can require gradients, got ",
                   dtype_name<T>());
  }
  return t;
}

// Note [Untyped tensor literals]: tg::tensor({...}) without a type gives the
// dtype torch.tensor infers: bool if every value is a bool, int64 if every
// value is an integer (or bool), else float32 (the default dtype). The C++
// type of the result has to come from overload resolution, so there is one
// overload per dtype, each taking a list of Literal<K>, a value or a nested
// brace list whose values K accepts (Bool: bool; Int: integers and bool;
// Float: any number). A list with a double in it is then no Literal<Int>, so
// only the float overload is viable. Where several are, the C++ rules rank
// them: a std::initializer_list parameter beats a class parameter (the float
// overload takes FloatLiterals, a class), so an all-integer list is int64, and
// a non-template beats a template (the int overload is one) so an all-bool
// list is bool. A Literal holds its children as the brace list's own array
// (alive until the call returns): nesting depth and raggedness are found at
// run time by one recursive walk, with no template per depth or per literal.
// tensor<T>({...}) takes a list of Literal<Any> (any number, converted to T
// at run time as torch.tensor(data, dtype=T) converts it: refused when an
// integer T cannot hold it), a single overload for any depth.
enum class LiteralKind { Bool, Int, Float, Any };
template <LiteralKind K, class V>
concept LiteralValue = std::is_arithmetic_v<V> &&
                       (K == LiteralKind::Float || K == LiteralKind::Any || std::is_same_v<V, bool> ||
                        (K == LiteralKind::Int && std::is_integral_v<V>));

template <LiteralKind K>
class Literal {
 public:
  template <class V>
    requires LiteralValue<K, V>
  Literal(V v) {  // NOLINT(google-explicit-constructor): a literal in braces
    if constexpr (std::is_floating_point_v<V>) float_ = static_cast<double>(v), is_float_ = true;
    else int_ = checked_scalar<int64_t>(v, "tensor");
  }
  // The brace list's array outlives the literal: both end with the call's
  // full expression, which GCC cannot see.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
#endif
  Literal(std::initializer_list<Literal> items) : items_(items.begin()), size_(items.size()), list_(true) {}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

  bool is_list() const { return list_; }
  int64_t size() const { return static_cast<int64_t>(size_); }
  const Literal* begin() const { return items_; }
  const Literal* end() const { return items_ + size_; }
  /// The value as T: rounded to a floating T (1e40 is inf in float), checked
  /// for an integer T, truncated from a floating value as PyTorch.
  template <Element T>
  T as() const {
    if constexpr (FloatingElement<T>) return is_float_ ? static_cast<T>(float_) : static_cast<T>(int_);
    else return is_float_ ? checked_scalar<T>(float_, "tensor") : checked_scalar<T>(int_, "tensor");
  }

 private:
  const Literal* items_ = nullptr;
  size_t size_ = 0;
  int64_t int_ = 0;  // a bool or integer value
  double float_ = 0;
  bool list_ = false, is_float_ = false;
};

/// The shape of a nested literal, from its first elements (as PyTorch's compute_sizes).
template <LiteralKind K>
Shape literal_shape(const Literal<K>& l) {
  Shape shape;
  for (const Literal<K>* p = &l; p->is_list(); p = p->begin()) {
    shape.push_back(p->size());
    if (p->size() == 0) break;
  }
  return shape;
}
/// Writes the values of l (of depth dim in shape) to out, checking that it is rectangular.
template <Element T, LiteralKind K>
void literal_store(const Literal<K>& l, const Shape& shape, int64_t dim, T*& out) {
  if (dim == shape.size()) {
    TAPEGRAD_CHECK(!l.is_list(), ValueError, "tensor: expected a number at dim ", dim, ", got a sequence of length ",
                   l.size());
    *out++ = l.template as<T>();
    return;
  }
  TAPEGRAD_CHECK(l.is_list(), ValueError, "tensor: expected a sequence at dim ", dim, ", got a number");
  TAPEGRAD_CHECK(l.size() == shape[dim], ValueError, "tensor: expected sequence of length ", shape[dim],
                 " at dim ", dim, " (got ", l.size(), ")");
  for (const auto& item : l) literal_store(item, shape, dim + 1, out);
}
template <Element T, LiteralKind K>
Tensor<T> from_literal(const Literal<K>& l, const TensorOptions& o) {
  const Shape shape = literal_shape(l);
  auto t = make_empty<T>(shape, "tensor");
  TAPEGRAD_CHECK(K == LiteralKind::Float || K == LiteralKind::Any || t.numel() > 0, ValueError, "tensor: the literal of shape ", shape,
                 " has no values to infer a dtype from; name one, e.g. zeros<float>(", shape, ")");
  T* out = t.data_ptr();
  literal_store(l, shape, 0, out);
  return with_options(std::move(t), o, "tensor");
}
/// A list of float literals as a class, ranked below the std::initializer_list
/// overloads (Note [Untyped tensor literals]).
struct FloatLiterals {
  FloatLiterals(std::initializer_list<Literal<LiteralKind::Float>> l) : list(l) {}  // NOLINT
  Literal<LiteralKind::Float> list;
};
}  // namespace detail

// ---- from values --------------------------------------------------------------
/// torch.tensor without a dtype: bool, int64 or float32 as PyTorch infers it
/// from the values (Note [Untyped tensor literals]), nested to any depth:
/// `tensor({{1.0, 0}, {1, 1.5}})` is a float32 [2, 2].
inline Tensor<bool> tensor(std::initializer_list<detail::Literal<detail::LiteralKind::Bool>> values,
                           TensorOptions options = {}) {
  return detail::from_literal<bool>(detail::Literal<detail::LiteralKind::Bool>(values), options);
}
template <int = 0>
Tensor<int64_t> tensor(std::initializer_list<detail::Literal<detail::LiteralKind::Int>> values,
                       TensorOptions options = {}) {
  return detail::from_literal<int64_t>(detail::Literal<detail::LiteralKind::Int>(values), options);
}
// (a template, as the int overload, so that a program that never writes a
// float literal does not compile from_literal<float>; the ranking above does
// not depend on it: a class parameter loses to any std::initializer_list one)
template <int = 0>
Tensor<float> tensor(detail::FloatLiterals values, TensorOptions options = {}) {
  return detail::from_literal<float>(values.list, options);
}
/// torch.tensor of one number: a 0-d bool, int64 or float32 tensor as PyTorch
/// infers it (`tensor(2.5)` is float32, `tensor(2)` int64).
template <int = 0, class V>
  requires std::is_arithmetic_v<V>
auto tensor(V value, TensorOptions options = {}) {
  using T = std::conditional_t<std::is_same_v<V, bool>, bool,
                               std::conditional_t<std::is_integral_v<V>, int64_t, float>>;
  return detail::with_options(detail::filled<T>({}, detail::checked_scalar<T>(value, "tensor")), options, "tensor");
}

/// torch.tensor(data, dtype=T): a 0-d tensor, or one built from nested braces,
/// `tensor<float>({{1, 0, 0}, {1, 1, 0}})`.
// The value's type is deduced, not T itself: a braced list cannot deduce it, so
// `tensor<T>({3})` is always the 1-D list below (with a parameter of type T,
// GCC took the list and clang the 0-d scalar).
template <Element T, class V>
  requires std::is_arithmetic_v<V>
Tensor<T> tensor(V value, TensorOptions options = {}) {
  return detail::with_options(detail::filled<T>({}, static_cast<T>(value)), options, "tensor");
}
template <Element T>
Tensor<T> tensor(std::initializer_list<detail::Literal<detail::LiteralKind::Any>> values, TensorOptions options = {}) {
  return detail::from_literal<T>(detail::Literal<detail::LiteralKind::Any>(values), options);
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
/// Every factory takes PyTorch's keywords last (Note [Creation options]).
template <Element T = float>
Tensor<T> empty(const Shape& shape, TensorOptions options = {}) {
  return detail::with_options(detail::make_empty<T>(shape), options, "empty");
}
template <Element T = float>
Tensor<T> zeros(const Shape& shape, TensorOptions options = {}) {
  return detail::with_options(detail::filled<T>(shape, T(0), "zeros"), options, "zeros");
}
template <Element T = float>
Tensor<T> ones(const Shape& shape, TensorOptions options = {}) {
  return detail::with_options(detail::filled<T>(shape, T(1), "ones"), options, "ones");
}
template <Element T = float>
Tensor<T> full(const Shape& shape, T value, TensorOptions options = {}) {
  return detail::with_options(detail::filled<T>(shape, value), options, "full");
}

/// torch.eye: ones on the diagonal of an [n, m] matrix (m defaults to n).
template <Element T = float>
Tensor<T> eye(int64_t n, std::optional<int64_t> m = std::nullopt, TensorOptions options = {}) {
  int64_t cols = m.value_or(n);
  TAPEGRAD_CHECK(n >= 0 && cols >= 0, ValueError, "eye: n and m must be non-negative, got n=", n,
                 " m=", cols);
  auto t = zeros<T>({n, cols});
  for (int64_t i = 0; i < std::min(n, cols); ++i) t.data_ptr()[i * cols + i] = T(1);
  return detail::with_options(std::move(t), options, "eye");
}
template <Element T = float>
Tensor<T> eye(int64_t n, TensorOptions options) { return eye<T>(n, std::nullopt, options); }

/// torch.arange: [start, end) in steps of `step`. An integer T steps in
/// int64 as PyTorch: the step is truncated first (0.5 is a zero step), and
/// values past T's range wrap.
template <Element T = int64_t>
Tensor<T> arange(double start, double end, double step = 1, TensorOptions options = {}) {
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
  return detail::with_options(std::move(t), options, "arange");
}
template <Element T = int64_t>
Tensor<T> arange(double start, double end, TensorOptions options) { return arange<T>(start, end, 1, options); }
template <Element T = int64_t>
Tensor<T> arange(double end, TensorOptions options = {}) { return arange<T>(0, end, 1, options); }

/// torch.linspace: `steps` evenly spaced values from start to end inclusive,
/// filled from both ends as PyTorch does so the last value is exactly `end`.
/// As in PyTorch, a floating T computes in T itself, an integer T in double
/// (PyTorch's vectorised kernel, and FMA contraction in some builds, can
/// differ from this formula in the last bit); a bound T cannot hold is refused.
template <Element T = float>
Tensor<T> linspace(double start, double end, int64_t steps, TensorOptions options = {}) {
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
  return detail::with_options(std::move(t), options, "linspace");
}

// ---- random ----------------------------------------------------------------------
// Note [PyTorch's random numbers] (core/generator.hpp): each function below
// draws what PyTorch 1.13's CPU kernel draws, in the same order.

/// torch.rand: uniform on [0, 1).
template <FloatingElement T = float>
Tensor<T> rand(const Shape& shape, Generator& gen = default_generator(), TensorOptions options = {}) {
  auto t = detail::make_empty<T>(shape, "rand");
  t.uniform_(0, 1, gen);
  return detail::with_options(std::move(t), options, "rand");
}
template <FloatingElement T = float>
Tensor<T> rand(const Shape& shape, TensorOptions options) { return rand<T>(shape, default_generator(), options); }
/// torch.randn: standard normal.
template <FloatingElement T = float>
Tensor<T> randn(const Shape& shape, Generator& gen = default_generator(), TensorOptions options = {}) {
  auto t = detail::make_empty<T>(shape, "randn");
  t.normal_(0, 1, gen);
  return detail::with_options(std::move(t), options, "randn");
}
template <FloatingElement T = float>
Tensor<T> randn(const Shape& shape, TensorOptions options) { return randn<T>(shape, default_generator(), options); }

namespace detail {
// PyTorch's uniform_int_from_to_distribution: 64 random bits for ranges of
// 2^32 or more (int64 and floating outputs), else 32, reduced modulo the
// range (with its slight bias, as PyTorch).
// For a floating T, PyTorch first moves a bound that T cannot hold inward
// past the nearest representable integer (update_from/update_to), so
// randint<float>(0, 2^33) draws from [0, 2^33 - 512).
template <FloatingElement T>
int64_t representable_bound(int64_t bound, int64_t step) {
  const int64_t near = bound + step;  // from + 1 or to - 1
  const auto as_t = static_cast<int64_t>(static_cast<T>(near));
  if (step > 0 ? as_t >= bound : as_t < bound) return bound;
  uint64_t mag = near < 0 ? 0 - static_cast<uint64_t>(near) : static_cast<uint64_t>(near);
  int n = 0;
  while (mag >>= 1) ++n;
  const int64_t ulp = int64_t{1} << (n - std::numeric_limits<T>::digits + 1);
  return step > 0 ? as_t + ulp : as_t - ulp;
}
template <Element T>
void fill_randint(const Tensor<T>& t, int64_t low, int64_t high, Generator& gen, const char* op) {
  TAPEGRAD_CHECK(low < high, ValueError, op, ": expected low < high, but got low=", low, " high=", high);
  if constexpr (FloatingElement<T>) {
    low = representable_bound<T>(low, 1);
    high = representable_bound<T>(high, -1);
    TAPEGRAD_CHECK(low < high, ValueError, op, ": expected low < high once cast to ", dtype_name<T>(),
                   ", but got low=", low, " high=", high);
  }
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  const bool wide = range >= (1ULL << 32) && (std::is_same_v<T, int64_t> || FloatingElement<T>);
  Generator::Draws d(gen);
  fill_in_memory_order(t, [&] {
    const uint64_t bits = wide ? d.random64() : d.random();
    return static_cast<T>(static_cast<int64_t>(bits % range + static_cast<uint64_t>(low)));
  }, op);
}
}  // namespace detail

/// torch.randint: uniform integers in [low, high).
template <Element T = int64_t>
Tensor<T> randint(int64_t low, int64_t high, const Shape& shape,
                  Generator& gen = default_generator()) {
  auto t = detail::make_empty<T>(shape, "randint");
  detail::fill_randint(t, low, high, gen, "randint");
  return t;
}
/// torch.randint(high, size): uniform integers in [0, high).
template <Element T = int64_t>
Tensor<T> randint(int64_t high, const Shape& shape, Generator& gen = default_generator()) {
  return randint<T>(0, high, shape, gen);
}
/// torch.randperm: a random permutation of 0..n-1. PyTorch 1.13's
/// algorithm for every n: for i = 0..n-2, swap element i with element
/// i + random() % (n - i) (32 random bits, even when n exceeds 2^32).
template <Element T = int64_t>
Tensor<T> randperm(int64_t n, Generator& gen = default_generator()) {
  TAPEGRAD_CHECK(n >= 0, ValueError, "randperm: n must be non-negative, got ", n);
  auto t = arange<T>(0, static_cast<double>(n));
  T* p = t.data_ptr();
  Generator::Draws d(gen);
  for (int64_t i = 0; i + 1 < n; ++i)
    std::swap(p[i], p[i + static_cast<int64_t>(d.random() % static_cast<uint64_t>(n - i))]);
  return t;
}

/// torch.get_rng_state: the default generator's state as 5056 bytes,
/// interchangeable with PyTorch's.
/// (Templates on the generator's type, G = Generator, so that a program that
/// does not call them does not compile the uint8 tensor code they use.)
template <class G = Generator>
Tensor<uint8_t> get_rng_state(const G& gen = default_generator()) {
  return from_vector(gen.get_state());
}
/// torch.set_rng_state: restore a get_rng_state() (1-D uint8, 5056 bytes).
template <class G = Generator>
void set_rng_state(const Tensor<uint8_t>& state, G& gen = default_generator()) {
  TAPEGRAD_CHECK(state.dim() == 1, ShapeError, "set_rng_state: expected a 1-D uint8 tensor, got shape ",
                 state.sizes());
  gen.set_state(state.to_vector());
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
  for (size_t i = 1; i < order.size(); ++i)  // stable insertion sort: a few dims (std::stable_sort costs compile time)
    for (size_t j = i; j > 0 && strides[order[j]] < strides[order[j - 1]]; --j) std::swap(order[j], order[j - 1]);
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

// The *_like factories keep a dense t's strides, as PyTorch's (preserve_format),
// and never t's requires_grad: that comes from the options, as in PyTorch.
template <Element T>
Tensor<T> empty_like(const Tensor<T>& t, TensorOptions options = {}) {
  return detail::with_options(detail::empty_preserving<T>(t), options, "empty_like");
}
template <Element T>
Tensor<T> full_like(const Tensor<T>& t, std::type_identity_t<T> value, TensorOptions options = {}) {
  auto out = detail::empty_preserving<T>(t);
  out.fill_(value);
  return detail::with_options(std::move(out), options, "full_like");
}
template <Element T>
Tensor<T> zeros_like(const Tensor<T>& t, TensorOptions options = {}) { return full_like(t, T(0), options); }
template <Element T>
Tensor<T> ones_like(const Tensor<T>& t, TensorOptions options = {}) { return full_like(t, T(1), options); }
template <FloatingElement T>
Tensor<T> rand_like(const Tensor<T>& t, Generator& gen = default_generator(), TensorOptions options = {}) {
  auto out = detail::empty_preserving<T>(t);
  out.uniform_(0, 1, gen);
  return detail::with_options(std::move(out), options, "rand_like");
}
template <FloatingElement T>
Tensor<T> rand_like(const Tensor<T>& t, TensorOptions options) { return rand_like(t, default_generator(), options); }
template <FloatingElement T>
Tensor<T> randn_like(const Tensor<T>& t, Generator& gen = default_generator(), TensorOptions options = {}) {
  auto out = detail::empty_preserving<T>(t);
  out.normal_(0, 1, gen);
  return detail::with_options(std::move(out), options, "randn_like");
}
template <FloatingElement T>
Tensor<T> randn_like(const Tensor<T>& t, TensorOptions options) { return randn_like(t, default_generator(), options); }
/// torch.randint_like: t's shape (and dense strides), integers in [low, high).
template <Element T>
Tensor<T> randint_like(const Tensor<T>& t, int64_t low, int64_t high, Generator& gen = default_generator()) {
  auto out = detail::empty_preserving<T>(t);
  detail::fill_randint(out, low, high, gen, "randint_like");
  return out;
}
template <Element T>
Tensor<T> randint_like(const Tensor<T>& t, int64_t high, Generator& gen = default_generator()) {
  return randint_like(t, 0, high, gen);
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
std::vector<std::vector<T>> Tensor<T>::to_vector2d() const {
  TAPEGRAD_CHECK(dim() == 2, ShapeError, "to_vector2d: expected a 2-D tensor, got shape ", sizes());
  const auto flat = to_vector();
  std::vector<std::vector<T>> rows(static_cast<size_t>(size(0)));
  const auto cols = static_cast<size_t>(size(1));
  for (size_t i = 0; i < rows.size(); ++i)
    rows[i].assign(flat.begin() + static_cast<std::ptrdiff_t>(i * cols),
                   flat.begin() + static_cast<std::ptrdiff_t>((i + 1) * cols));
  return rows;
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
// Fill every element of t with draw(), in memory order: PyTorch's
// TensorIterator walks an output by increasing stride, so a transposed
// tensor receives the same stream, slot by slot, as a contiguous one.
template <Element T, class Draw>
void fill_in_memory_order(const Tensor<T>& t, Draw draw, const char* op) {
  check_inplace(t, op);
  std::vector<int64_t> order(static_cast<size_t>(t.dim()));
  for (int64_t d = 0; d < t.dim(); ++d) order[static_cast<size_t>(d)] = d;
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return t.strides()[a] > t.strides()[b]; });
  Shape sizes, strides;
  for (int64_t d : order) {
    sizes.push_back(t.sizes()[d]);
    strides.push_back(t.strides()[d]);
  }
  T* p = t.data_ptr();
  for_each_strided<1>(sizes, {strides}, [&](const Offsets<1>& b, int64_t n, const Offsets<1>& s) {
    for (int64_t k = 0; k < n; ++k) p[b[0] + k * s[0]] = draw();
  });
  t.storage()->bump_version();
}
}  // namespace detail

/// x.normal_(mean, std): fill with N(mean, std^2) samples. PyTorch's two
/// paths: 16 or more contiguous elements are drawn as uniforms and turned
/// into normals in blocks of 16 (Note [PyTorch's AVX2 normal path]); others
/// one at a time in double, using the generator's cached second sample.
template <Element T>
const Tensor<T>& Tensor<T>::normal_(double mean, double std, Generator& gen) const {
  static_assert(FloatingElement<T>, "normal_: only floating tensors (float, double) can be filled with normal samples");
  TAPEGRAD_CHECK(std >= 0, ValueError, "normal_: expects std >= 0.0, but found std ", std);
  Generator::Draws d(gen);
  if (numel() >= 16 && is_contiguous()) {
    detail::check_inplace(*this, "normal_");
    detail::rng::normal_fill(data_ptr(), numel(), mean, std, d);
    storage()->bump_version();
  } else {
    detail::fill_in_memory_order(*this, [&] { return static_cast<T>(detail::rng::normal(d, mean, std)); }, "normal_");
  }
  return *this;
}

/// x.uniform_(from, to): fill with samples uniform on [from, to), computed
/// in T as PyTorch (from + u (to - from) can round up to `to` in float).
template <Element T>
const Tensor<T>& Tensor<T>::uniform_(double from, double to, Generator& gen) const {
  static_assert(FloatingElement<T>, "uniform_: only floating tensors (float, double) can be filled with uniform samples");
  TAPEGRAD_CHECK(from <= to, ValueError,
                 "uniform_: expects to return a [from, to) range, but found from=", from,
                 " > to=", to);
  const auto lo = static_cast<T>(from), hi = static_cast<T>(to);
  Generator::Draws d(gen);
  detail::fill_in_memory_order(*this, [&] { return detail::rng::uniform(d, lo, hi); }, "uniform_");
  return *this;
}

/// x.bernoulli_(p): 1 with probability p, else 0 (any dtype), from a
/// double uniform per element as PyTorch.
template <Element T>
const Tensor<T>& Tensor<T>::bernoulli_(double p, Generator& gen) const {
  TAPEGRAD_CHECK(p >= 0 && p <= 1, ValueError, "bernoulli_: expects p to be in [0, 1], but got p=", p);
  Generator::Draws d(gen);
  detail::fill_in_memory_order(*this, [&] { return static_cast<T>(d.uniform_double() < p); }, "bernoulli_");
  return *this;
}

/// x.exponential_(lambd): samples of density lambd exp(-lambd x).
template <Element T>
const Tensor<T>& Tensor<T>::exponential_(double lambd, Generator& gen) const {
  static_assert(FloatingElement<T>, "exponential_: only floating tensors (float, double) can be filled with exponential samples");
  TAPEGRAD_CHECK(lambd >= 0, ValueError, "exponential_: expects lambda >= 0.0, but found lambda=", lambd);
  Generator::Draws d(gen);
  detail::fill_in_memory_order(*this, [&] { return static_cast<T>(detail::rng::exponential(d, lambd)); },
                               "exponential_");
  return *this;
}

/// torch.multinomial: `num_samples` category indices per row of `probs`
/// ([C] -> [num_samples], [N, C] -> [N, num_samples]), weights need not sum
/// to 1. PyTorch 1.13's algorithms: without replacement (or one sample) the
/// categories with the largest p / q, q ~ Exp(1) drawn for every entry;
/// with replacement a binary search of a double uniform in the normalised
/// cumulative sum (in T), one uniform per sample, row by row.
template <FloatingElement T>
Tensor<int64_t> multinomial(const Tensor<T>& probs, int64_t num_samples, bool replacement = false,
                            Generator& gen = default_generator()) {
  TAPEGRAD_CHECK(probs.dim() == 1 || probs.dim() == 2, ShapeError,
                 "multinomial: prob_dist must be 1 or 2 dim, got shape ", probs.sizes());
  const int64_t cats = probs.sizes()[probs.dim() - 1], rows = probs.dim() == 2 ? probs.sizes()[0] : 1;
  TAPEGRAD_CHECK(num_samples > 0, ValueError, "multinomial: cannot sample n_sample <= 0 samples");
  TAPEGRAD_CHECK(replacement || num_samples <= cats, ValueError,
                 "multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement");
  const auto p = detail::copy_of(probs);
  const T* pp = p.data_ptr();
  for (int64_t i = 0; i < rows; ++i) {
    T sum = 0;
    for (int64_t j = 0; j < cats; ++j) {
      const T v = pp[i * cats + j];
      TAPEGRAD_CHECK(std::isfinite(v) && v >= 0, ValueError,
                     "multinomial: probability tensor contains either `inf`, `nan` or element < 0");
      sum += v;
    }
    TAPEGRAD_CHECK(sum > 0, ValueError, "multinomial: invalid multinomial distribution (sum of probabilities <= 0)");
  }
  Shape out_shape = probs.sizes();
  out_shape[out_shape.size() - 1] = num_samples;
  auto out = detail::make_empty<int64_t>(out_shape);
  int64_t* po = out.data_ptr();
  if (!replacement || num_samples == 1) {
    auto q = detail::make_empty<T>(p.sizes());
    q.exponential_(1, gen);
    T* pq = q.data_ptr();
    for (int64_t k = 0; k < rows * cats; ++k) pq[k] = pp[k] / pq[k];
    std::vector<int64_t> idx(static_cast<size_t>(cats));
    for (int64_t i = 0; i < rows; ++i) {
      const T* row = pq + i * cats;
      for (int64_t j = 0; j < cats; ++j) idx[static_cast<size_t>(j)] = j;
      std::partial_sort(idx.begin(), idx.begin() + num_samples, idx.end(), [&](int64_t a, int64_t b) {
        return row[a] > row[b] || (row[a] == row[b] && a < b);
      });
      std::copy_n(idx.begin(), num_samples, po + i * num_samples);
    }
    return out;
  }
  std::vector<T> cum(static_cast<size_t>(cats));
  Generator::Draws d(gen);
  for (int64_t i = 0; i < rows; ++i) {
    T sum = 0;
    for (int64_t j = 0; j < cats; ++j) cum[static_cast<size_t>(j)] = sum += pp[i * cats + j];
    for (auto& c : cum) c /= sum;
    cum.back() = 1;
    for (int64_t s = 0; s < num_samples; ++s) {
      const double u = d.uniform_double();
      po[i * num_samples + s] = std::lower_bound(cum.begin(), cum.end(), u, [](T c, double v) { return c < v; }) - cum.begin();
    }
  }
  return out;
}

}  // namespace tapegrad
