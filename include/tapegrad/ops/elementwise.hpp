#pragma once
// Elementwise ops with NumPy/PyTorch broadcasting and dtype promotion:
// arithmetic, comparisons, logical ops, unary math, pow, clamp,
// maximum/minimum, where. Each op is a small functor with a scalar form and,
// where Eigen has one, an array form (Note [Elementwise fast paths]).
#include <cmath>
#include <optional>

#include "../tensor/map.hpp"

namespace tapegrad {

namespace detail {
// A C++ number as a 0-d tensor of the result dtype, so scalar forms reuse the
// broadcasting kernels (a stride-0 operand is a vectorised constant).
template <Element R, Scalar S>
Tensor<R> scalar_tensor(S s) {
  return filled<R>({}, static_cast<R>(s));
}

// NaN-propagating max/min as PyTorch's maximum/minimum/clamp.
template <class V>
inline V max_nan(V a, V b) {
  if constexpr (FloatingElement<V>) {
    if (a != a) return a;
    if (b != b) return b;
  }
  return a > b ? a : b;
}
template <class V>
inline V min_nan(V a, V b) {
  if constexpr (FloatingElement<V>) {
    if (a != a) return a;
    if (b != b) return b;
  }
  return a < b ? a : b;
}
template <class V>
inline V int_pow(V base, V exp) {
  if (exp < 0) {
    // PyTorch raises here; 1 and -1 are the only bases with integer results.
    TAPEGRAD_CHECK(base == 1 || base == -1, ValueError,
                   "pow: integers to negative integer powers are not allowed (", +base, " ** ",
                   +exp, ")");
    return (base == 1 || exp % 2 == 0) ? V(1) : V(-1);
  }
  V r = 1;
  while (exp) {
    if (exp & 1) r = static_cast<V>(r * base);
    base = static_cast<V>(base * base);
    exp = static_cast<V>(exp >> 1);
  }
  return r;
}

// clamp bounds on an integer tensor must be integers: the result keeps the
// tensor's dtype (PyTorch would promote to float instead).
template <Element T>
T clamp_bound(double v, const char* op) {
  if constexpr (!FloatingElement<T>) {
    TAPEGRAD_CHECK(std::trunc(v) == v, ValueError, op, ": bound ", v, " is not an integer for a ",
                   dtype_name<T>(), " tensor; convert the tensor with to<float>() first");
  }
  return static_cast<T>(v);
}

struct Add {
  template <class V> V operator()(V a, V b) const { return static_cast<V>(a + b); }
  template <class X, class Y> auto array(const X& a, const Y& b) const { return a + b; }
};
struct Sub {
  template <class V> V operator()(V a, V b) const { return static_cast<V>(a - b); }
  template <class X, class Y> auto array(const X& a, const Y& b) const { return a - b; }
};
struct Mul {
  template <class V> V operator()(V a, V b) const {
    if constexpr (std::is_same_v<V, bool>) return a && b;
    else return static_cast<V>(a * b);
  }
  template <class X, class Y> auto array(const X& a, const Y& b) const { return a * b; }
};
struct Div {
  template <class V> V operator()(V a, V b) const { return a / b; }
  template <class X, class Y> auto array(const X& a, const Y& b) const { return a / b; }
};
struct Pow {
  template <class V> V operator()(V a, V b) const {
    if constexpr (FloatingElement<V>) return std::pow(a, b);
    else if constexpr (std::is_same_v<V, bool>) return a || !b;
    else return int_pow(a, b);
  }
  template <class X, class Y> auto array(const X& a, const Y& b) const { return a.pow(b); }
};
struct Maximum {
  template <class V> V operator()(V a, V b) const { return max_nan(a, b); }
};
struct Minimum {
  template <class V> V operator()(V a, V b) const { return min_nan(a, b); }
};
#define TAPEGRAD_COMPARE_OP(Name, expr)                   \
  struct Name {                                           \
    template <class V> bool operator()(V a, V b) const { return expr; } \
  };
TAPEGRAD_COMPARE_OP(Eq, a == b)
TAPEGRAD_COMPARE_OP(Ne, a != b)
TAPEGRAD_COMPARE_OP(Lt, a < b)
TAPEGRAD_COMPARE_OP(Le, a <= b)
TAPEGRAD_COMPARE_OP(Gt, a > b)
TAPEGRAD_COMPARE_OP(Ge, a >= b)
TAPEGRAD_COMPARE_OP(LogicalAnd, (a != V(0)) && (b != V(0)))
TAPEGRAD_COMPARE_OP(LogicalOr, (a != V(0)) || (b != V(0)))
TAPEGRAD_COMPARE_OP(LogicalXor, (a != V(0)) != (b != V(0)))
#undef TAPEGRAD_COMPARE_OP

#define TAPEGRAD_UNARY_OP(Name, scalar_expr, array_expr)                       \
  struct Name {                                                                \
    template <class V> V operator()(V x) const { return scalar_expr; }         \
    template <class X> auto array(const X& x) const { return array_expr; }     \
  };
TAPEGRAD_UNARY_OP(Exp, std::exp(x), x.exp())
TAPEGRAD_UNARY_OP(Log, std::log(x), x.log())
TAPEGRAD_UNARY_OP(Log1p, std::log1p(x), x.log1p())
TAPEGRAD_UNARY_OP(Sqrt, std::sqrt(x), x.sqrt())
TAPEGRAD_UNARY_OP(Rsqrt, V(1) / std::sqrt(x), x.rsqrt())
TAPEGRAD_UNARY_OP(Sigmoid, V(1) / (V(1) + std::exp(-x)), x.logistic())
TAPEGRAD_UNARY_OP(Tanh, std::tanh(x), x.tanh())
TAPEGRAD_UNARY_OP(Abs, static_cast<V>(x < 0 ? -x : x), x.abs())
TAPEGRAD_UNARY_OP(Neg, static_cast<V>(-x), -x)
#undef TAPEGRAD_UNARY_OP
// relu keeps NaN (NaN < 0 is false), as PyTorch's clamp_min(0) does.
struct Relu {
  template <class V> V operator()(V x) const { return x < V(0) ? V(0) : x; }
};
template <class T>
struct Clamp {
  std::optional<T> lo, hi;
  template <class V> V operator()(V x) const {
    if (lo) x = max_nan(x, *lo);
    if (hi) x = min_nan(x, *hi);
    return x;
  }
};
struct Identity {
  template <class V> V operator()(V x) const { return x; }
};
}  // namespace detail

// ---- binary arithmetic --------------------------------------------------------------
/// a + b with broadcasting; the dtype is promote_t<A, B>.
template <Element A, Element B>
Tensor<promote_t<A, B>> add(const Tensor<A>& a, const Tensor<B>& b) {
  using R = promote_t<A, B>;
  return detail::map2<R, R>(a, b, detail::Add{}, "add");
}
template <Element A, Element B>
Tensor<promote_t<A, B>> sub(const Tensor<A>& a, const Tensor<B>& b) {
  static_assert(!(std::is_same_v<A, bool> && std::is_same_v<B, bool>),
                "sub: subtraction, the `-` operator, with two bool tensors is not supported; "
                "use logical_xor() or the `^` operator instead (as PyTorch)");
  using R = promote_t<A, B>;
  return detail::map2<R, R>(a, b, detail::Sub{}, "sub");
}
template <Element A, Element B>
Tensor<promote_t<A, B>> mul(const Tensor<A>& a, const Tensor<B>& b) {
  using R = promote_t<A, B>;
  return detail::map2<R, R>(a, b, detail::Mul{}, "mul");
}
/// True division: integer operands give a float32 result, as in PyTorch.
template <Element A, Element B>
Tensor<true_div_t<A, B>> div(const Tensor<A>& a, const Tensor<B>& b) {
  using R = true_div_t<A, B>;
  return detail::map2<R, R>(a, b, detail::Div{}, "div");
}
template <Element A, Element B>
Tensor<promote_t<A, B>> pow(const Tensor<A>& a, const Tensor<B>& b) {
  using R = promote_t<A, B>;
  return detail::map2<R, R>(a, b, detail::Pow{}, "pow");
}
/// x ** exponent; exponent 2 is computed as x * x, as PyTorch does.
template <Element T, Scalar S>
Tensor<scalar_promote_t<T, S>> pow(const Tensor<T>& a, S exponent) {
  using R = scalar_promote_t<T, S>;
  if (exponent == S(2)) return detail::map1<R, R>(a, [](R x) { return static_cast<R>(x * x); });
  return detail::map2<R, R>(a, detail::scalar_tensor<R>(exponent), detail::Pow{}, "pow");
}
/// Elementwise max; NaN wins, as in PyTorch.
template <Element A, Element B>
Tensor<promote_t<A, B>> maximum(const Tensor<A>& a, const Tensor<B>& b) {
  using R = promote_t<A, B>;
  return detail::map2<R, R>(a, b, detail::Maximum{}, "maximum");
}
template <Element A, Element B>
Tensor<promote_t<A, B>> minimum(const Tensor<A>& a, const Tensor<B>& b) {
  using R = promote_t<A, B>;
  return detail::map2<R, R>(a, b, detail::Minimum{}, "minimum");
}

// ---- comparisons and logic (Tensor<bool> results) ------------------------------------
#define TAPEGRAD_BOOL_BINARY(name, Op)                                              \
  template <Element A, Element B>                                                   \
  Tensor<bool> name(const Tensor<A>& a, const Tensor<B>& b) {                       \
    return detail::map2<bool, promote_t<A, B>>(a, b, detail::Op{}, #name);          \
  }
TAPEGRAD_BOOL_BINARY(eq, Eq)
TAPEGRAD_BOOL_BINARY(ne, Ne)
TAPEGRAD_BOOL_BINARY(lt, Lt)
TAPEGRAD_BOOL_BINARY(le, Le)
TAPEGRAD_BOOL_BINARY(gt, Gt)
TAPEGRAD_BOOL_BINARY(ge, Ge)
TAPEGRAD_BOOL_BINARY(logical_and, LogicalAnd)
TAPEGRAD_BOOL_BINARY(logical_or, LogicalOr)
TAPEGRAD_BOOL_BINARY(logical_xor, LogicalXor)
#undef TAPEGRAD_BOOL_BINARY

template <Element T>
Tensor<bool> logical_not(const Tensor<T>& a) {
  return detail::map1<bool, T>(a, [](T x) { return x == T(0); });
}

/// where(cond, a, b): a where cond is true, else b, all broadcast together.
template <Element A, Element B>
Tensor<promote_t<A, B>> where(const Tensor<bool>& cond, const Tensor<A>& a, const Tensor<B>& b) {
  using R = promote_t<A, B>;
  return detail::map3<R, R>(cond, a, b, [](bool c, R x, R y) { return c ? x : y; }, "where");
}
template <Element A, Scalar S>
Tensor<scalar_promote_t<A, S>> where(const Tensor<bool>& cond, const Tensor<A>& a, S b) {
  using R = scalar_promote_t<A, S>;
  return where(cond, a, detail::scalar_tensor<R>(b));
}
template <Element B, Scalar S>
Tensor<scalar_promote_t<B, S>> where(const Tensor<bool>& cond, S a, const Tensor<B>& b) {
  using R = scalar_promote_t<B, S>;
  return where(cond, detail::scalar_tensor<R>(a), b);
}

// ---- unary math -------------------------------------------------------------------------
// Floating results; integer and bool inputs compute in float32 (as PyTorch).
#define TAPEGRAD_FLOAT_UNARY(name, Op)                                  \
  template <Element T>                                                  \
  Tensor<to_floating_t<T>> name(const Tensor<T>& x) {                   \
    using R = to_floating_t<T>;                                         \
    return detail::map1<R, R>(x, detail::Op{});                         \
  }                                                                     \
  template <Element T>                                                  \
  Tensor<to_floating_t<T>> Tensor<T>::name() const { return tapegrad::name(*this); }
TAPEGRAD_FLOAT_UNARY(exp, Exp)
TAPEGRAD_FLOAT_UNARY(log, Log)
TAPEGRAD_FLOAT_UNARY(log1p, Log1p)
TAPEGRAD_FLOAT_UNARY(sqrt, Sqrt)
TAPEGRAD_FLOAT_UNARY(rsqrt, Rsqrt)
TAPEGRAD_FLOAT_UNARY(sigmoid, Sigmoid)
TAPEGRAD_FLOAT_UNARY(tanh, Tanh)
#undef TAPEGRAD_FLOAT_UNARY

template <Element T>
Tensor<T> abs(const Tensor<T>& x) {
  static_assert(!std::is_same_v<T, bool>, "abs: not supported for bool tensors (as PyTorch)");
  return detail::map1<T, T>(x, detail::Abs{});
}
template <Element T>
Tensor<T> neg(const Tensor<T>& x) {
  static_assert(!std::is_same_v<T, bool>,
                "neg: negation, the `-` operator, on a bool tensor is not supported; use "
                "logical_not() or the `~` operator instead (as PyTorch)");
  return detail::map1<T, T>(x, detail::Neg{});
}
/// max(x, 0); the gradient at 0 is 0 (as PyTorch).
template <Element T>
Tensor<T> relu(const Tensor<T>& x) {
  static_assert(!std::is_same_v<T, bool>, "relu: not supported for bool tensors (as PyTorch)");
  return detail::map1<T, T>(x, detail::Relu{});
}
/// clamp(x, min, max): min(max(x, min), max), NaN kept; either bound optional.
template <Element T>
Tensor<T> clamp(const Tensor<T>& x, std::optional<double> min, std::optional<double> max = std::nullopt) {
  static_assert(!std::is_same_v<T, bool>, "clamp: not supported for bool tensors (as PyTorch)");
  TAPEGRAD_CHECK(min || max, ValueError, "clamp: at least one of 'min' or 'max' must not be None");
  detail::Clamp<T> f;
  if (min) f.lo = detail::clamp_bound<T>(*min, "clamp");
  if (max) f.hi = detail::clamp_bound<T>(*max, "clamp");
  return detail::map1<T, T>(x, f);
}
template <Element T>
Tensor<T> clamp_min(const Tensor<T>& x, double min) { return clamp(x, min, std::nullopt); }
template <Element T>
Tensor<T> clamp_max(const Tensor<T>& x, double max) { return clamp(x, std::nullopt, max); }

template <Element T> Tensor<T> Tensor<T>::abs() const { return tapegrad::abs(*this); }
template <Element T> Tensor<T> Tensor<T>::neg() const { return tapegrad::neg(*this); }
template <Element T> Tensor<T> Tensor<T>::relu() const { return tapegrad::relu(*this); }
template <Element T>
Tensor<T> Tensor<T>::clamp(std::optional<double> min, std::optional<double> max) const {
  return tapegrad::clamp(*this, min, max);
}
template <Element T>
template <Element U>
Tensor<promote_t<T, U>> Tensor<T>::pow(const Tensor<U>& e) const { return tapegrad::pow(*this, e); }
template <Element T>
template <Scalar S>
Tensor<scalar_promote_t<T, S>> Tensor<T>::pow(S e) const { return tapegrad::pow(*this, e); }
template <Element T>
template <Element U>
Tensor<promote_t<T, U>> Tensor<T>::maximum(const Tensor<U>& o) const { return tapegrad::maximum(*this, o); }
template <Element T>
template <Element U>
Tensor<promote_t<T, U>> Tensor<T>::minimum(const Tensor<U>& o) const { return tapegrad::minimum(*this, o); }
template <Element T>
Tensor<bool> Tensor<T>::logical_not() const { return tapegrad::logical_not(*this); }

// ---- operators --------------------------------------------------------------------------
// Tensor op Tensor, Tensor op scalar and scalar op Tensor; the scalar joins as
// a 0-d tensor of the result dtype (a scalar does not widen within a category).
#define TAPEGRAD_BINARY_OPERATOR(sym, fn)                                               \
  template <Element A, Element B>                                                       \
  auto operator sym(const Tensor<A>& a, const Tensor<B>& b) { return fn(a, b); }         \
  template <Element T, Scalar S>                                                        \
  auto operator sym(const Tensor<T>& a, S b) {                                          \
    return fn(a, detail::scalar_tensor<scalar_promote_t<T, S>>(b));                     \
  }                                                                                     \
  template <Scalar S, Element T>                                                        \
  auto operator sym(S a, const Tensor<T>& b) {                                          \
    return fn(detail::scalar_tensor<scalar_promote_t<T, S>>(a), b);                     \
  }
TAPEGRAD_BINARY_OPERATOR(+, add)
TAPEGRAD_BINARY_OPERATOR(-, sub)
TAPEGRAD_BINARY_OPERATOR(*, mul)
TAPEGRAD_BINARY_OPERATOR(/, div)
TAPEGRAD_BINARY_OPERATOR(==, eq)
TAPEGRAD_BINARY_OPERATOR(!=, ne)
TAPEGRAD_BINARY_OPERATOR(<, lt)
TAPEGRAD_BINARY_OPERATOR(<=, le)
TAPEGRAD_BINARY_OPERATOR(>, gt)
TAPEGRAD_BINARY_OPERATOR(>=, ge)
#undef TAPEGRAD_BINARY_OPERATOR

template <Element T>
Tensor<T> operator-(const Tensor<T>& x) { return neg(x); }

// On bool tensors &, |, ^ and ~ are the logical ops (PyTorch's bitwise ops on bool).
inline Tensor<bool> operator&(const Tensor<bool>& a, const Tensor<bool>& b) { return logical_and(a, b); }
inline Tensor<bool> operator|(const Tensor<bool>& a, const Tensor<bool>& b) { return logical_or(a, b); }
inline Tensor<bool> operator^(const Tensor<bool>& a, const Tensor<bool>& b) { return logical_xor(a, b); }
inline Tensor<bool> operator~(const Tensor<bool>& a) { return logical_not(a); }

// ---- in place ------------------------------------------------------------------------------
// x.add_(y): x's shape must be the broadcast shape and the promoted dtype must
// be castable to x's (PyTorch: "result type Float can't be cast to Long").
#define TAPEGRAD_INPLACE(name, fn, Op, sym)                                                        \
  template <Element T>                                                                             \
  template <Element U>                                                                             \
  const Tensor<T>& Tensor<T>::name(const Tensor<U>& other) const {                                 \
    using C = typename decltype(fn(std::declval<Tensor<T>>(), std::declval<Tensor<U>>()))::value_type;     \
    static_assert(can_cast_v<C, T>, #name ": the result dtype of the op can't be cast to the "     \
                                    "destination's dtype (e.g. a float result into an int tensor)"); \
    detail::map2_<C>(*this, other, detail::Op{}, #name);                                           \
    return *this;                                                                                  \
  }                                                                                                \
  template <Element T>                                                                             \
  template <Scalar S>                                                                              \
  const Tensor<T>& Tensor<T>::name(S other) const {                                                \
    return name(detail::scalar_tensor<scalar_promote_t<T, S>>(other));                             \
  }                                                                                                \
  template <Element T, class O>                                                                    \
  const Tensor<T>& operator sym(const Tensor<T>& a, const O& b) { return a.name(b); }
TAPEGRAD_INPLACE(add_, add, Add, +=)
TAPEGRAD_INPLACE(sub_, sub, Sub, -=)
TAPEGRAD_INPLACE(mul_, mul, Mul, *=)
TAPEGRAD_INPLACE(div_, div, Div, /=)
#undef TAPEGRAD_INPLACE

template <Element T>
const Tensor<T>& Tensor<T>::clamp_(std::optional<double> min, std::optional<double> max) const {
  TAPEGRAD_CHECK(min || max, ValueError, "clamp_: at least one of 'min' or 'max' must not be None");
  detail::Clamp<T> f;
  if (min) f.lo = detail::clamp_bound<T>(*min, "clamp_");
  if (max) f.hi = detail::clamp_bound<T>(*max, "clamp_");
  detail::map1_<T>(*this, f, "clamp_");
  return *this;
}
template <Element T>
const Tensor<T>& Tensor<T>::relu_() const {
  detail::map1_<T>(*this, detail::Relu{}, "relu_");
  return *this;
}

}  // namespace tapegrad
