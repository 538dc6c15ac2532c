#pragma once
// Arithmetic beyond + - * /: the rounding divisions (floor_divide, div with a
// rounding mode), remainder and fmod, copysign, lerp, addcmul/addcdiv, the
// rounding functions (floor, ceil, trunc, frac, round, sign), the float
// classifiers (isnan, isinf, isfinite, nan_to_num) and the bitwise ops on
// integer and bool tensors (&, |, ^, ~, <<, >>). Dtypes as PyTorch's; the
// mixes PyTorch refuses do not compile (Note [Refusals come first]).
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>

#include "elementwise.hpp"

namespace tapegrad {

// Note [Refusals come first]: a refused dtype mix is a static_assert written
// in the op's own body, followed by `if constexpr (ok) { body }`: the
// compiler reports the static_assert where it meets it, and the discarded
// body instantiates nothing that could fail first with an unrelated template
// error (a check in a helper function template is only instantiated after the
// body that calls it, so its message came after the body's errors).

namespace detail {
template <class T>
inline constexpr bool is_bool_v = std::is_same_v<T, bool>;

// Note [Integer division by zero]: PyTorch raises "ZeroDivisionError" for an
// integer division or remainder by zero (float follows IEEE: inf, NaN). The
// kernels run on the thread pool, where they cannot throw, so the divisor is
// scanned for a zero first: one more pass, for integer divisors only.
template <Element T>
void check_int_divisor(const Tensor<T>& b, const char* op) {
  if constexpr (!FloatingElement<T>) {
    const auto c = b.contiguous();
    const T* p = c.data_ptr();
    const bool zero = std::find(p, p + c.numel(), T(0)) != p + c.numel();
    TAPEGRAD_CHECK(!zero, ValueError, op, ": ZeroDivisionError (integer division or remainder by zero)");
  }
}

// Python's floor division for floats: exact where floor(a / b) is not (the
// quotient is rounded before floor sees it); the quotient's sign at 0.
struct FloorDivide {
  template <class V> V operator()(V a, V b) const {
    if constexpr (FloatingElement<V>) {
      if (b == V(0)) return a / b;
      const V mod = std::fmod(a, b);
      V q = (a - mod) / b;
      if (mod != V(0) && (b < V(0)) != (mod < V(0))) q -= V(1);
      if (q == V(0)) return std::copysign(V(0), a / b);
      V f = std::floor(q);
      if (q - f > V(0.5)) f += V(1);
      return f;
    } else {
      if constexpr (std::is_signed_v<V>)
        if (b == V(-1)) return wrap_sub(V(0), a);  // INT_MIN / -1 wraps, as PyTorch
      V q = static_cast<V>(a / b);
      if (a % b != 0 && (a < V(0)) != (b < V(0))) q = static_cast<V>(q - 1);
      return q;
    }
  }
};
struct TruncDivide {
  template <class V> V operator()(V a, V b) const {
    if constexpr (FloatingElement<V>) {
      return std::trunc(a / b);
    } else {
      if constexpr (std::is_signed_v<V>)
        if (b == V(-1)) return wrap_sub(V(0), a);
      return static_cast<V>(a / b);
    }
  }
};
// The result takes the divisor's sign (Python's %).
struct Remainder {
  template <class V> V operator()(V a, V b) const {
    if constexpr (FloatingElement<V>) {
      V m = std::fmod(a, b);
      if (m != V(0) && (b < V(0)) != (m < V(0))) m += b;
      return m;
    } else {
      if constexpr (std::is_signed_v<V>)
        if (b == V(-1)) return V(0);
      V m = static_cast<V>(a % b);
      if (m != 0 && (m < V(0)) != (b < V(0))) m = static_cast<V>(m + b);
      return m;
    }
  }
};
// The result takes the dividend's sign (C's fmod and %).
struct Fmod {
  template <class V> V operator()(V a, V b) const {
    if constexpr (FloatingElement<V>) {
      return std::fmod(a, b);
    } else {
      if constexpr (std::is_signed_v<V>)
        if (b == V(-1)) return V(0);
      return static_cast<V>(a % b);
    }
  }
};
struct Copysign {
  template <class V> V operator()(V a, V b) const { return std::copysign(a, b); }
};
struct BitwiseAnd {
  template <class V> V operator()(V a, V b) const {
    if constexpr (is_bool_v<V>) return a && b;
    else return static_cast<V>(a & b);
  }
};
struct BitwiseOr {
  template <class V> V operator()(V a, V b) const {
    if constexpr (is_bool_v<V>) return a || b;
    else return static_cast<V>(a | b);
  }
};
struct BitwiseXor {
  template <class V> V operator()(V a, V b) const {
    if constexpr (is_bool_v<V>) return a != b;
    else return static_cast<V>(a ^ b);
  }
};
// Shifts by a negative amount or by the width or more: 0 to the left, the
// sign fill to the right (PyTorch's; C++ leaves them undefined).
struct LeftShift {
  template <class V> V operator()(V a, V b) const {
    constexpr V bits = static_cast<V>(sizeof(V) * 8);
    if (b < V(0) || b >= bits) return V(0);
    return static_cast<V>(static_cast<wrap_t<V>>(a) << b);
  }
};
struct RightShift {
  template <class V> V operator()(V a, V b) const {
    constexpr V bits = static_cast<V>(sizeof(V) * 8);
    if (b < V(0) || b >= bits) return a < V(0) ? V(-1) : V(0);
    return static_cast<V>(a >> b);
  }
};

// The shared forward of the binary ops here: R = promote_t<A, B>, computing in R.
template <class Op, Element A, Element B>
Tensor<promote_t<A, B>> binary(const Tensor<A>& a, const Tensor<B>& b, const char* op) {
  using R = promote_t<A, B>;
  if constexpr (std::is_same_v<Op, FloorDivide> || std::is_same_v<Op, TruncDivide> ||
                std::is_same_v<Op, Remainder> || std::is_same_v<Op, Fmod>)
    check_int_divisor(b, op);
  return map2<R, R>(a, b, Op{}, op);
}

// A scalar operand as a 0-d tensor of the tensor's category (as the
// operators of ops/elementwise.hpp).
template <Element T, Scalar S>
Tensor<scalar_promote_t<T, S>> scalar_operand(S s, const char* op) {
  return checked_scalar_tensor<scalar_promote_t<T, S>>(s, op);
}

// Record an op whose gradient is zero wherever it is defined (rounding,
// sign): the output requires grad, as PyTorch's, and backward gives zeros.
template <Element R, Element... In>
void record_zero_grad(const Tensor<R>& out, const char* name, const Tensor<In>&... in) {
  if constexpr (FloatingElement<R>) {
    if (autograd::needs_grad(in...))
      autograd::record(out, name, [shapes = std::array<Shape, sizeof...(In)>{in.sizes()...}](
                                      const Tensor<R>&, autograd::Needs n) {
        autograd::Grads<R> grads;
        for (size_t i = 0; i < shapes.size(); ++i)
          if (n[i]) grads[i] = zeros<R>(shapes[i]);
        return grads;
      }, in...);
  }
}
}  // namespace detail

// ---- rounding divisions, remainder, fmod -------------------------------------------------
#define TAPEGRAD_NO_BOOL_DIVISION(op)                                                              \
  static_assert(!(detail::is_bool_v<A> && detail::is_bool_v<B>),                                   \
                op ": not supported for two bool tensors (PyTorch has no bool kernel); convert " \
                   "one with to<int64_t>()")

/// floor_divide(a, b): a / b rounded toward -inf (Python's //), broadcast;
/// dtype promote_t<A, B>. Integer division by zero throws ValueError.
template <Element A, Element B>
Tensor<promote_t<A, B>> floor_divide(const Tensor<A>& a, const Tensor<B>& b) {
  TAPEGRAD_NO_BOOL_DIVISION("floor_divide");
  if constexpr (!(detail::is_bool_v<A> && detail::is_bool_v<B>)) {
    using R = promote_t<A, B>;
    auto out = detail::binary<detail::FloorDivide>(a, b, "floor_divide");
    if constexpr (FloatingElement<R>) {
      // PyTorch records floor_divide but has no derivative for it: its
      // backward raises (div(a, b, "floor") has the zero gradient)
      if (autograd::needs_grad(a, b))
        autograd::record(out, "FloorDivideBackward0", [](const Tensor<R>&, autograd::Needs) -> autograd::Grads<R> {
          throw ValueError("floor_divide: the derivative for floor_divide is not implemented (as PyTorch); "
                           "use div(a, b, \"floor\"), whose gradient is 0");
        }, a, b);
    }
    return out;
  }
}

/// div(a, b, rounding_mode): "trunc" rounds the quotient toward 0, "floor"
/// toward -inf; dtype promote_t<A, B> (true division is div(a, b)).
template <Element A, Element B>
Tensor<promote_t<A, B>> div(const Tensor<A>& a, const Tensor<B>& b, std::string_view rounding_mode) {
  TAPEGRAD_NO_BOOL_DIVISION("div");
  if constexpr (!(detail::is_bool_v<A> && detail::is_bool_v<B>)) {
    const bool trunc = rounding_mode == "trunc";
    TAPEGRAD_CHECK(trunc || rounding_mode == "floor", ValueError,
                   "div: expected rounding_mode to be one of None, 'trunc', or 'floor' but found '",
                   std::string(rounding_mode), "'");
    auto out = trunc ? detail::binary<detail::TruncDivide>(a, b, "div")
                     : detail::binary<detail::FloorDivide>(a, b, "div");
    detail::record_zero_grad(out, "DivBackward2", a, b);
    return out;
  }
}

namespace detail {
// remainder and fmod: a - q * b with q = a / b rounded (floor for remainder,
// trunc for fmod), so d/da = 1 and d/db = -q.
template <class Op, class QOp, Element A, Element B>
Tensor<promote_t<A, B>> mod_op(const Tensor<A>& a, const Tensor<B>& b, const char* op, const char* backward) {
  using R = promote_t<A, B>;
  auto out = binary<Op>(a, b, op);
  if constexpr (FloatingElement<R>) {
    if (autograd::needs_grad(a, b))
      autograd::record(out, backward, [sa = autograd::save(a), sb = autograd::save(b)](const Tensor<R>& g, autograd::Needs n) {
        const auto& av = sa.get();
        const auto& bv = sb.get();
        return autograd::Grads<R>{
            n[0] ? sum_to(g, av.sizes()) : Tensor<R>(),
            n[1] ? sum_to(map3<R, R>(g, av, bv, [](R gv, R x, R y) { return -gv * QOp{}(x, y); }, "backward"),
                          bv.sizes())
                 : Tensor<R>(),
            {}};
      }, a, b);
  }
  return out;
}
}  // namespace detail

/// remainder(a, b), a % b: a - floor(a / b) * b, the sign of the divisor
/// (Python's %); dtype promote_t<A, B>. Integer remainder by zero throws.
template <Element A, Element B>
Tensor<promote_t<A, B>> remainder(const Tensor<A>& a, const Tensor<B>& b) {
  TAPEGRAD_NO_BOOL_DIVISION("remainder");
  if constexpr (!(detail::is_bool_v<A> && detail::is_bool_v<B>))
    return detail::mod_op<detail::Remainder, detail::FloorDivide>(a, b, "remainder", "RemainderBackward1");
}
/// fmod(a, b): a - trunc(a / b) * b, the sign of the dividend (C's fmod).
template <Element A, Element B>
Tensor<promote_t<A, B>> fmod(const Tensor<A>& a, const Tensor<B>& b) {
  TAPEGRAD_NO_BOOL_DIVISION("fmod");
  if constexpr (!(detail::is_bool_v<A> && detail::is_bool_v<B>))
    return detail::mod_op<detail::Fmod, detail::TruncDivide>(a, b, "fmod", "FmodBackward1");
}

namespace detail {
// PyTorch names the Tensor-Scalar overload's node ...Backward0 and the
// Tensor-Tensor one ...Backward1 (Note [grad_fn names]); null: no node.
template <Element T>
Tensor<T> scalar_overload_node(Tensor<T> out, const char* node) {
  if constexpr (FloatingElement<T>)
    if (node) return autograd::renamed(std::move(out), node);
  return out;
}
}  // namespace detail

// Tensor op scalar forms: the scalar joins as a 0-d tensor of the tensor's
// category (a scalar does not widen a tensor: int8 % 3 is int8).
#define TAPEGRAD_ARITH_SCALAR(name, node)                                                   \
  template <Element T, Scalar S>                                                            \
  Tensor<scalar_promote_t<T, S>> name(const Tensor<T>& a, S b) {                            \
    return detail::scalar_overload_node(name(a, detail::scalar_operand<T>(b, #name)), node); \
  }                                                                                         \
  template <Scalar S, Element T>                                                            \
  Tensor<scalar_promote_t<T, S>> name(S a, const Tensor<T>& b) {                            \
    return name(detail::scalar_operand<T>(a, #name), b);                                    \
  }
TAPEGRAD_ARITH_SCALAR(floor_divide, nullptr)
TAPEGRAD_ARITH_SCALAR(remainder, "RemainderBackward0")
TAPEGRAD_ARITH_SCALAR(fmod, "FmodBackward0")
#undef TAPEGRAD_ARITH_SCALAR
template <Element T, Scalar S>
Tensor<scalar_promote_t<T, S>> div(const Tensor<T>& a, S b, std::string_view rounding_mode) {
  return div(a, detail::scalar_operand<T>(b, "div"), rounding_mode);
}

template <Element A, Element B>
auto operator%(const Tensor<A>& a, const Tensor<B>& b) { return remainder(a, b); }
template <Element T, Scalar S>
auto operator%(const Tensor<T>& a, S b) { return remainder(a, b); }
template <Scalar S, Element T>
auto operator%(S a, const Tensor<T>& b) { return remainder(a, b); }

// ---- copysign, lerp, addcmul, addcdiv --------------------------------------------------------
/// copysign(a, b): |a| with the sign of b (signed zeros and NaN signs too);
/// floating result, integers computing in float32.
template <Element A, Element B>
Tensor<to_floating_t<promote_t<A, B>>> copysign(const Tensor<A>& a, const Tensor<B>& b) {
  using R = to_floating_t<promote_t<A, B>>;
  auto out = detail::map2<R, R>(a, b, detail::Copysign{}, "copysign");
  if constexpr (FloatingElement<R>) {
    if (autograd::needs_grad(a, b))
      // d/da copysign(a, b) = sign(a) * sign(out), 0 where a = 0; none for b
      autograd::record(out, "CopysignBackward0",
          [sa = autograd::save(a), so = autograd::save(out), sb = b.sizes()](const Tensor<R>& g, autograd::Needs n) {
            const auto& av = sa.get();
            auto ga = n[0] ? sum_to(detail::map3<R, R>(g, av, so.get(), [](R gv, R x, R o) {
                                      return x == R(0) ? R(0) : gv * (o / x);
                                    }, "backward"), av.sizes())
                           : Tensor<R>();
            return autograd::Grads<R>{ga, n[1] ? zeros<R>(sb) : Tensor<R>(), {}};
          }, a, b);
  }
  return out;
}
template <Element T, Scalar S>
Tensor<to_floating_t<T>> copysign(const Tensor<T>& a, S b) {
  return copysign(a, detail::checked_scalar_tensor<to_floating_t<T>>(b, "copysign"));
}

namespace detail {
// PyTorch's lerp formula: from the nearer end, so weight 1 gives end exactly.
template <class V>
inline V lerp_value(V s, V e, V w) {
  // PyTorch 1.13 picks the formula by w < 0.5, not |w| < 0.5: for w <= -0.5
  // the two differ at infinities and near the end of the range
  return w < V(0.5) ? s + w * (e - s) : e - (e - s) * (V(1) - w);
}
}  // namespace detail

/// lerp(start, end, weight): start + weight * (end - start), all broadcast;
/// floating tensors of one dtype (PyTorch refuses a mix).
template <Element T, Element U, Element W>
Tensor<T> lerp(const Tensor<T>& start, const Tensor<U>& end, const Tensor<W>& weight) {
  static_assert(FloatingElement<T> && std::is_same_v<T, U> && std::is_same_v<T, W>,
                "lerp: start, end and weight must be floating tensors of one dtype (as PyTorch); "
                "convert with to<T>()");
  if constexpr (FloatingElement<T> && std::is_same_v<T, U> && std::is_same_v<T, W>) {
    auto out = detail::map3<T, T>(weight, start, end, [](T w, T s, T e) { return detail::lerp_value(s, e, w); }, "lerp");
    if (autograd::needs_grad(start, end, weight))
      // d/dstart = 1 - w, d/dend = w, d/dweight = end - start
      autograd::record(out, "LerpBackward1",  // a tensor weight; a scalar one: LerpBackward0
          [ss = autograd::save(start), se = autograd::save(end), sw = autograd::save(weight)](const Tensor<T>& g, autograd::Needs n) {
            const auto& s = ss.get();
            const auto& e = se.get();
            const auto& w = sw.get();
            autograd::Grads<T> r;
            if (n[0]) r[0] = sum_to(mul(g, sub(tensor<T>(T(1)), w)), s.sizes());
            if (n[1]) r[1] = sum_to(mul(g, w), e.sizes());
            if (n[2]) r[2] = sum_to(mul(g, sub(e, s)), w.sizes());
            return r;
          }, start, end, weight);
    return out;
  }
}
template <Element T, Element U>
Tensor<T> lerp(const Tensor<T>& start, const Tensor<U>& end, double weight) {
  return autograd::renamed(lerp(start, end, detail::checked_scalar_tensor<T>(weight, "lerp")), "LerpBackward0");
}

/// addcmul(x, t1, t2, value): x + value * t1 * t2, all broadcast; dtype
/// promote_t of the three (an integer result truncates value, as PyTorch).
template <Element X, Element A, Element B>
Tensor<promote_t<X, promote_t<A, B>>> addcmul(const Tensor<X>& x, const Tensor<A>& t1, const Tensor<B>& t2,
                                              double value = 1) {
  using R = promote_t<X, promote_t<A, B>>;
  // composed of recorded ops, in PyTorch's order (value * t1) * t2 + x
  return autograd::renamed(add(x, mul(mul(detail::checked_scalar_tensor<R>(value, "addcmul"), t1), t2)),
                           "AddcmulBackward0");
}
/// addcdiv(x, t1, t2, value): x + value * t1 / t2, all broadcast; floating
/// (PyTorch no longer supports integer division here).
template <Element X, Element A, Element B>
Tensor<promote_t<X, promote_t<A, B>>> addcdiv(const Tensor<X>& x, const Tensor<A>& t1, const Tensor<B>& t2,
                                              double value = 1) {
  using R = promote_t<X, promote_t<A, B>>;
  static_assert(FloatingElement<R>,
                "addcdiv: integer division with addcdiv is not supported (as PyTorch); use "
                "x + value * trunc(t1 / t2) or convert to a floating dtype");
  if constexpr (FloatingElement<R>)
    return autograd::renamed(add(x, div(mul(detail::checked_scalar_tensor<R>(value, "addcdiv"), t1), t2)),
                             "AddcdivBackward0");
}

// ---- rounding ------------------------------------------------------------------------------
namespace detail {
struct Floor {
  template <class V> V operator()(V x) const { return std::floor(x); }
};
struct Ceil {
  template <class V> V operator()(V x) const { return std::ceil(x); }
};
struct Trunc {
  template <class V> V operator()(V x) const { return std::trunc(x); }
};
// half to even, as PyTorch's round (std::nearbyint in the default rounding mode)
struct Round {
  template <class V> V operator()(V x) const { return std::nearbyint(x); }
};
struct Frac {
  template <class V> V operator()(V x) const { return x - std::trunc(x); }
};
// 0 for 0 and NaN, as PyTorch's (0 < x) - (x < 0)
struct Sign {
  template <class V> V operator()(V x) const {
    if constexpr (is_bool_v<V>) return x;
    else return static_cast<V>((V(0) < x) - (x < V(0)));
  }
};

// floor/ceil/trunc/round of an integer tensor is a copy (PyTorch's); a float
// one is rounded with a zero gradient.
template <class Op, Element T>
Tensor<T> rounding(const Tensor<T>& x, const char* backward) {
  if constexpr (!FloatingElement<T>) {
    return x.clone();
  } else {
    auto out = map1<T, T>(x, Op{});
    record_zero_grad(out, backward, x);
    return out;
  }
}
}  // namespace detail

/// floor(x), ceil(x), trunc(x): same shape and dtype; integers are copied.
template <Element T>
Tensor<T> floor(const Tensor<T>& x) {
  static_assert(!detail::is_bool_v<T>, "floor: not supported for bool tensors (as PyTorch)");
  if constexpr (!detail::is_bool_v<T>) return detail::rounding<detail::Floor>(x, "FloorBackward0");
}
template <Element T>
Tensor<T> ceil(const Tensor<T>& x) {
  static_assert(!detail::is_bool_v<T>, "ceil: not supported for bool tensors (as PyTorch)");
  if constexpr (!detail::is_bool_v<T>) return detail::rounding<detail::Ceil>(x, "CeilBackward0");
}
template <Element T>
Tensor<T> trunc(const Tensor<T>& x) {
  static_assert(!detail::is_bool_v<T>, "trunc: not supported for bool tensors (as PyTorch)");
  if constexpr (!detail::is_bool_v<T>) return detail::rounding<detail::Trunc>(x, "TruncBackward0");
}
/// frac(x) = x - trunc(x), the sign of x; floating only (as PyTorch).
template <Element T>
Tensor<T> frac(const Tensor<T>& x) {
  static_assert(FloatingElement<T>, "frac: only floating tensors are supported (as PyTorch)");
  if constexpr (FloatingElement<T>) {
    auto out = detail::map1<T, T>(x, detail::Frac{});
    // d/dx frac(x) = 1
    if (autograd::needs_grad(x))
      autograd::record(out, "FracBackward0", [](const Tensor<T>& g, autograd::Needs) {
        return autograd::Grads<T>{g, {}, {}};
      }, x);
    return out;
  }
}
/// round(x, decimals): to the nearest multiple of 10^-decimals, ties to even
/// (as PyTorch: x * 10^d rounded, then / 10^d; for d < 0, x / 10^-d rounded,
/// then * 10^-d). Integer tensors only with decimals 0 (a copy).
template <Element T>
Tensor<T> round(const Tensor<T>& x, int64_t decimals = 0) {
  static_assert(!detail::is_bool_v<T>, "round: not supported for bool tensors (as PyTorch)");
  if constexpr (!detail::is_bool_v<T>) {
    if (decimals == 0) return detail::rounding<detail::Round>(x, "RoundBackward0");
    if constexpr (!FloatingElement<T>) {
      throw ValueError(std::string("round: decimals is not supported for ") + dtype_name<T>() +
                       " tensors (only decimals=0 for integers, as PyTorch)");
    } else {
      const bool neg = decimals < 0;
      const T ten = static_cast<T>(std::pow(10.0, static_cast<double>(neg ? -decimals : decimals)));
      auto out = detail::map1<T, T>(x, [ten, neg](T v) {
        return neg ? std::nearbyint(v / ten) * ten : std::nearbyint(v * ten) / ten;
      });
      detail::record_zero_grad(out, "RoundBackward0", x);
      return out;
    }
  }
}
/// sign(x): -1, 0 or 1 in x's dtype (0 for NaN); bool stays bool.
template <Element T>
Tensor<T> sign(const Tensor<T>& x) {
  auto out = detail::map1<T, T>(x, detail::Sign{});
  detail::record_zero_grad(out, "SignBackward0", x);
  return out;
}

// ---- float classes ------------------------------------------------------------------------------
/// isnan(x), isinf(x), isfinite(x): bool of x's shape (integers: never NaN
/// or infinite).
template <Element T>
Tensor<bool> isnan(const Tensor<T>& x) {
  return detail::map1<bool, T>(x, [](T v) { return v != v; });
}
template <Element T>
Tensor<bool> isinf(const Tensor<T>& x) {
  if constexpr (FloatingElement<T>) return detail::map1<bool, T>(x, [](T v) { return std::isinf(v); });
  else return zeros<bool>(x.sizes());
}
template <Element T>
Tensor<bool> isfinite(const Tensor<T>& x) {
  if constexpr (FloatingElement<T>) return detail::map1<bool, T>(x, [](T v) { return std::isfinite(v); });
  else return ones<bool>(x.sizes());
}
/// isposinf/isneginf: x == +inf / -inf.
template <Element T>
Tensor<bool> isposinf(const Tensor<T>& x) {
  return detail::map1<bool, T>(x, [](T v) { return v == std::numeric_limits<T>::infinity(); });
}
template <Element T>
Tensor<bool> isneginf(const Tensor<T>& x) {
  if constexpr (FloatingElement<T>) return detail::map1<bool, T>(x, [](T v) { return v == -std::numeric_limits<T>::infinity(); });
  else return zeros<bool>(x.sizes());
}

/// nan_to_num(x, nan, posinf, neginf): NaN -> nan, +inf -> posinf (default
/// the dtype's largest value), -inf -> neginf (default its lowest); integer
/// tensors are copied.
template <Element T>
Tensor<T> nan_to_num(const Tensor<T>& x, double nan = 0, std::optional<double> posinf = std::nullopt,
                     std::optional<double> neginf = std::nullopt) {
  if constexpr (!FloatingElement<T>) {
    return x.clone();
  } else {
    // out-of-range replacements saturate to inf, as a cast in PyTorch's kernel
    using L = std::numeric_limits<T>;
    auto to_t = [](double v) {  // (a double out of float's range would be undefined to cast)
      return v > static_cast<double>(L::max()) ? L::infinity() : v < static_cast<double>(L::lowest()) ? -L::infinity() : static_cast<T>(v);
    };
    const T n = to_t(nan);
    const T p = posinf ? to_t(*posinf) : L::max();
    const T m = neginf ? to_t(*neginf) : L::lowest();
    auto out = detail::map1<T, T>(x, [n, p, m](T v) { return v != v ? n : v == L::infinity() ? p : v == -L::infinity() ? m : v; });
    // d/dx = 1 where x is finite, else 0
    detail::record_unary(out, "NanToNumBackward0", x, x, [](T g, T v) { return std::isfinite(v) ? g : T(0); });
    return out;
  }
}

// ---- bitwise -----------------------------------------------------------------------------------
#define TAPEGRAD_BITWISE(name, Op, sym, allow_bool, kinds)                                                  \
  template <Element A, Element B>                                                                         \
  Tensor<promote_t<A, B>> name(const Tensor<A>& a, const Tensor<B>& b) {                                  \
    constexpr bool ok = !FloatingElement<A> && !FloatingElement<B> &&                                    \
                        (allow_bool || !detail::is_bool_v<promote_t<A, B>>);                             \
    static_assert(ok, #name ": only " kinds " tensors are supported (as PyTorch)");                       \
    if constexpr (ok) return detail::map2<promote_t<A, B>, promote_t<A, B>>(a, b, detail::Op{}, #name);    \
  }                                                                                                       \
  template <Element T, Scalar S>                                                                          \
  Tensor<scalar_promote_t<T, S>> name(const Tensor<T>& a, S b) {                                          \
    return name(a, detail::scalar_operand<T>(b, #name));                                                  \
  }                                                                                                       \
  template <Scalar S, Element T>                                                                          \
  Tensor<scalar_promote_t<T, S>> name(S a, const Tensor<T>& b) {                                          \
    return name(detail::scalar_operand<T>(a, #name), b);                                                  \
  }                                                                                                       \
  template <Element A, Element B>                                                                         \
  Tensor<promote_t<A, B>> operator sym(const Tensor<A>& a, const Tensor<B>& b) { return name(a, b); }    \
  template <Element T, Scalar S>                                                                          \
  Tensor<scalar_promote_t<T, S>> operator sym(const Tensor<T>& a, S b) { return name(a, b); }             \
  template <Scalar S, Element T>                                                                          \
  Tensor<scalar_promote_t<T, S>> operator sym(S a, const Tensor<T>& b) { return name(a, b); }
/// bitwise_and/or/xor(a, b), a & b, a | b, a ^ b: integer or bool tensors
/// (bool: the logical op), broadcast, promote_t; floating tensors do not compile.
TAPEGRAD_BITWISE(bitwise_and, BitwiseAnd, &, true, "integer and bool")
TAPEGRAD_BITWISE(bitwise_or, BitwiseOr, |, true, "integer and bool")
TAPEGRAD_BITWISE(bitwise_xor, BitwiseXor, ^, true, "integer and bool")
/// bitwise_left_shift/right_shift(a, b), a << b, a >> b: integer tensors;
/// shifts by a negative amount or the width or more give 0 (>> of a
/// negative value: -1), as PyTorch.
TAPEGRAD_BITWISE(bitwise_left_shift, LeftShift, <<, false, "integer")
TAPEGRAD_BITWISE(bitwise_right_shift, RightShift, >>, false, "integer")
#undef TAPEGRAD_BITWISE

/// bitwise_not(x), ~x: integer or bool tensors (bool: logical not).
template <Element T>
Tensor<T> bitwise_not(const Tensor<T>& x) {
  static_assert(!FloatingElement<T>,
                "bitwise_not: only integer and bool tensors are supported, not floating ones (as PyTorch)");
  if constexpr (!FloatingElement<T>) {
    if constexpr (detail::is_bool_v<T>) return detail::map1<bool, bool>(x, [](bool v) { return !v; });
    else return detail::map1<T, T>(x, [](T v) { return static_cast<T>(~v); });
  }
}
template <Element T>
Tensor<T> operator~(const Tensor<T>& x) { return bitwise_not(x); }

#undef TAPEGRAD_NO_BOOL_DIVISION

// ---- Tensor methods ----------------------------------------------------------------------------
template <Element T> template <Element U>
Tensor<promote_t<T, U>> Tensor<T>::floor_divide(const Tensor<U>& o) const { return tapegrad::floor_divide(*this, o); }
template <Element T> template <Element U>
Tensor<promote_t<T, U>> Tensor<T>::div(const Tensor<U>& o, std::string_view mode) const { return tapegrad::div(*this, o, mode); }
template <Element T> template <Element U>
Tensor<promote_t<T, U>> Tensor<T>::remainder(const Tensor<U>& o) const { return tapegrad::remainder(*this, o); }
template <Element T> template <Element U>
Tensor<promote_t<T, U>> Tensor<T>::fmod(const Tensor<U>& o) const { return tapegrad::fmod(*this, o); }
template <Element T> template <Scalar S>
Tensor<scalar_promote_t<T, S>> Tensor<T>::floor_divide(S o) const { return tapegrad::floor_divide(*this, o); }
template <Element T> template <Scalar S>
Tensor<scalar_promote_t<T, S>> Tensor<T>::remainder(S o) const { return tapegrad::remainder(*this, o); }
template <Element T> template <Scalar S>
Tensor<scalar_promote_t<T, S>> Tensor<T>::fmod(S o) const { return tapegrad::fmod(*this, o); }
template <Element T> Tensor<T> Tensor<T>::floor() const { return tapegrad::floor(*this); }
template <Element T> Tensor<T> Tensor<T>::ceil() const { return tapegrad::ceil(*this); }
template <Element T> Tensor<T> Tensor<T>::trunc() const { return tapegrad::trunc(*this); }
template <Element T> Tensor<T> Tensor<T>::frac() const { return tapegrad::frac(*this); }
template <Element T> Tensor<T> Tensor<T>::round(int64_t d) const { return tapegrad::round(*this, d); }
template <Element T> Tensor<T> Tensor<T>::sign() const { return tapegrad::sign(*this); }
template <Element T> Tensor<bool> Tensor<T>::isnan() const { return tapegrad::isnan(*this); }
template <Element T> Tensor<bool> Tensor<T>::isinf() const { return tapegrad::isinf(*this); }
template <Element T> Tensor<bool> Tensor<T>::isfinite() const { return tapegrad::isfinite(*this); }
template <Element T>
Tensor<T> Tensor<T>::nan_to_num(double n, std::optional<double> p, std::optional<double> m) const {
  return tapegrad::nan_to_num(*this, n, p, m);
}
template <Element T> Tensor<T> Tensor<T>::bitwise_not() const { return tapegrad::bitwise_not(*this); }

}  // namespace tapegrad
