#pragma once
// Elementwise ops with NumPy/PyTorch broadcasting and dtype promotion:
// arithmetic, comparisons, logical ops, unary math, pow, clamp,
// maximum/minimum, where. Each op is a small functor with a scalar form and,
// where Eigen has one, an array form (Note [Elementwise fast paths]).
#include <cmath>
#include <limits>
#include <optional>

#include "../autograd/node.hpp"
#include "../tensor/map.hpp"
#include "../tensor/reduction.hpp"  // sum_to
#include "shape.hpp"  // resize_ (out variants)

namespace tapegrad {

namespace detail {
// A C++ number as a 0-d tensor of the result dtype, so scalar forms reuse the
// broadcasting kernels (a stride-0 operand is a vectorised constant).
template <Element R, Scalar S>
Tensor<R> scalar_tensor(S s) {
  return filled<R>({}, static_cast<R>(s));
}

// An integer to a negative integer power, elementwise, is 0 but for the
// bases 1 and -1 (PyTorch's integral pow; a negative scalar exponent is
// refused by pow(tensor, scalar) instead).
template <class V>
inline V int_pow(V base, V exp) {
  if (exp < 0) {
    if (base == 1) return V(1);
    if constexpr (std::is_signed_v<V>)
      if (base == -1) return exp % 2 == 0 ? V(1) : V(-1);
    return V(0);
  }
  V r = 1;
  while (exp) {
    if (exp & 1) r = wrap_mul(r, base);
    base = wrap_mul(base, base);
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
  return checked_scalar<T>(v, op);
}

// PyTorch refuses `-` with a bool operand, tensor or scalar (Op = Sub).
template <class Op, class A, class B>
inline constexpr bool refuses_bool_operand = false;
template <class A, class B>
inline constexpr bool refuses_bool_operand<Sub, A, B> = std::is_same_v<A, bool> || std::is_same_v<B, bool>;
#define TAPEGRAD_SUB_BOOL_MESSAGE                                                                 \
  "sub: subtraction, the `-` operator, with a bool tensor is not supported; use logical_xor() " \
  "or the `^` operator, or logical_not() or `~` to invert a mask (as PyTorch)"

struct Pow {
  template <class V> V operator()(V a, V b) const {
    if constexpr (FloatingElement<V>) return std::pow(a, b);
    else return int_pow(a, b);
  }
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
TAPEGRAD_UNARY_OP(Log1p, std::log1p(x), x.log1p())
TAPEGRAD_UNARY_OP(Tanh, std::tanh(x), x.tanh())
#undef TAPEGRAD_UNARY_OP
// fabs clears the sign of -0 (abs(-0.) is 0., as PyTorch); integers wrap
// (abs and neg of INT_MIN are INT_MIN).
struct Abs {
  template <class V> V operator()(V x) const {
    if constexpr (FloatingElement<V>) return std::abs(x);
    else return x < V(0) ? wrap_sub(V(0), x) : x;
  }
  template <class X> auto array(const X& x) const { return x.abs(); }
};
// No array form: Eigen's AVX-512 negation is 0 - x, which gives +0 for +0
// (PyTorch: -0.); the plain loop's -x flips the sign bit and vectorises.
struct Neg {
  template <class V> V operator()(V x) const {
    if constexpr (FloatingElement<V>) return -x;
    else return wrap_sub(V(0), x);
  }
};
// Eigen's SIMD log raises a subnormal argument to the smallest normal number
// (log(1e-40f) came out -87.34, not -92.10): arguments below it, subnormal,
// zero or negative, take the scalar form (Note [Range-limited array forms]).
struct Log {
  template <class V> V operator()(V x) const { return std::log(x); }
  template <class X> auto array(const X& x) const { return x.log(); }
  template <class P> P packet(const P& x) const { return Eigen::internal::plog(x); }
  template <class V> static constexpr V array_min = std::numeric_limits<V>::min();
};
// Eigen's SIMD exp clamps its argument below at about -88.7 (float) / -709.4
// (double) and then returns ~3e-39 / ~5e-309, even for -inf: arguments below
// array_min take the scalar form (Note [Range-limited array forms]).
template <class V>
inline constexpr V simd_exp_min = std::is_same_v<V, float> ? V(-87) : V(-708);
struct Exp {
  template <class V> V operator()(V x) const { return std::exp(x); }
  template <class X> auto array(const X& x) const { return x.exp(); }
  template <class P> P packet(const P& x) const { return Eigen::internal::pexp(x); }
  template <class V> static constexpr V array_min = simd_exp_min<V>;
};
// The same formula as PyTorch (1 / (1 + exp(-x)), 0 once exp(-x) overflows);
// Eigen's logistic() is a rational approximation 4 ulp off in float.
struct Sigmoid {
  template <class V> V operator()(V x) const { return V(1) / (V(1) + std::exp(-x)); }
  template <class X> auto array(const X& x) const {
    using V = typename X::Scalar;
    return (V(1) + (-x).exp()).inverse();
  }
  // the array form's operations, packet by packet
  template <class P> P packet(const P& x) const {
    namespace ei = Eigen::internal;
    const P one = ei::pset1<P>(typename ei::unpacket_traits<P>::type(1));
    return ei::pdiv(one, ei::padd(one, ei::pexp(ei::pnegate(x))));
  }
  template <class V> static constexpr V array_min = simd_exp_min<V>;
};
// Eigen's SIMD sqrt is the hardware's, exact, except where EIGEN_FAST_MATH
// (on by default) swaps in an rsqrt approximation with Newton steps: float on
// SSE and AVX, float and double on AVX-512. Those give sqrt(inf) = NaN,
// sqrt(-0.) = 0. and results a few ulp off (double on AVX-512: found by the
// unit tests built with -march=native), so they take the scalar loop.
#if defined(EIGEN_VECTORIZE_AVX512) && EIGEN_FAST_MATH
inline constexpr bool kExactSimdSqrtDouble = false;
#else
inline constexpr bool kExactSimdSqrtDouble = true;
#endif
template <class X>
concept ExactSimdSqrt = std::is_same_v<typename X::Scalar, double> && kExactSimdSqrtDouble;
struct Sqrt {
  template <class V> V operator()(V x) const { return std::sqrt(x); }
  template <ExactSimdSqrt X> auto array(const X& x) const { return x.sqrt(); }
};
struct Rsqrt {
  template <class V> V operator()(V x) const { return V(1) / std::sqrt(x); }
  template <ExactSimdSqrt X> auto array(const X& x) const { return x.sqrt().inverse(); }
};
// relu keeps NaN (NaN < 0 is false), as PyTorch's clamp_min(0) does.
struct Relu {
  template <class V> V operator()(V x) const { return x < V(0) ? V(0) : x; }
};
// x itself at a bound (clamp(-0., 0.) is -0., as PyTorch); a NaN x or bound
// gives NaN; min > max gives max.
template <class T>
struct Clamp {
  std::optional<T> lo, hi;
  template <class V> V operator()(V x) const {
    if (lo) {
      if (*lo != *lo) return *lo;
      if (x < *lo) x = *lo;
    }
    if (hi) {
      if (*hi != *hi) return *hi;
      if (x > *hi) x = *hi;
    }
    return x;
  }
};
struct Identity {
  template <class V> V operator()(V x) const { return x; }
};
}  // namespace detail

// Note [Broadcasting in backward]: an input that was broadcast in the forward
// receives the gradient summed over the broadcast dims, sum_to(grad, its shape)
// (tensor/reduction.hpp).

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
  auto out = detail::map3<R, R>(cond, a, b, [](bool c, R x, R y) { return c ? x : y; }, "where");
  if constexpr (FloatingElement<R>) {
    if (autograd::needs_grad(a, b))
      // the gradient goes to whichever input was chosen
      autograd::record(out, "WhereBackward0",
          [c = autograd::save(cond), sa = a.sizes(), sb = b.sizes()](const Tensor<R>& g, autograd::Needs n) {
            const R zero(0);
            return autograd::Grads<R>{n[0] ? sum_to(where(c.get(), g, zero), sa) : Tensor<R>(),
                                      n[1] ? sum_to(where(c.get(), zero, g), sb) : Tensor<R>(), {}};
          }, a, b);
  }
  return out;
}
template <Element A, Scalar S>
Tensor<scalar_promote_t<A, S>> where(const Tensor<bool>& cond, const Tensor<A>& a, S b) {
  using R = scalar_promote_t<A, S>;
  return where(cond, a, detail::checked_scalar_tensor<R>(b, "where"));
}
template <Element B, Scalar S>
Tensor<scalar_promote_t<B, S>> where(const Tensor<bool>& cond, S a, const Tensor<B>& b) {
  using R = scalar_promote_t<B, S>;
  return where(cond, detail::checked_scalar_tensor<R>(a, "where"), b);
}

namespace detail {
// Note [Shared unary backward]: the record of a unary op whose gradient
// formula is a captureless lambda is one type per dtype, UnaryBackward<T>,
// holding the saved tensor and a pointer to the op's own map (the only code
// that has to differ per op). With a closure type per op, every unary op a
// program used compiled a FunctionNode (vtable, three overrides) and a
// record() of its own; now they are compiled once per dtype, and the op adds
// only its map2. One indirect call per backward step.
template <FloatingElement T>
struct UnaryBackward {
  autograd::SavedTensor<T> saved;
  Tensor<T> (*grad)(const Tensor<T>& g, const Tensor<T>& saved);
  autograd::Grads<T> operator()(const Tensor<T>& g, autograd::Needs) const { return {grad(g, saved.get()), {}, {}}; }
};
template <FloatingElement T, class GradFn>
Tensor<T> unary_grad(const Tensor<T>& g, const Tensor<T>& saved) {
  return map2<T, T>(g, saved, GradFn{}, "backward");
}
// Record a unary op whose backward is an elementwise function of (g, saved):
// one fused pass and one buffer rather than a tensor op per term.
template <Element T, class GradFn>
void record_unary(const Tensor<T>& out, const char* name, const Tensor<T>& input,
                  const Tensor<T>& saved, GradFn grad_fn) {
  if constexpr (FloatingElement<T>) {
    if (!autograd::needs_grad(input)) return;
    if constexpr (std::is_empty_v<GradFn> && std::is_default_constructible_v<GradFn>) {
      autograd::record(out, name, UnaryBackward<T>{autograd::save(saved), &unary_grad<T, GradFn>}, input);
    } else {  // a formula with captures (clamp's bounds)
      autograd::record(out, name,
          [s = autograd::save(saved), grad_fn](const Tensor<T>& g, autograd::Needs) {
            return autograd::Grads<T>{map2<T, T>(g, s.get(), grad_fn, "backward"), {}, {}};
          }, input);
    }
  }
}
}  // namespace detail

// ---- unary math -------------------------------------------------------------------------
// Floating results; integer and bool inputs compute in float32 (as PyTorch).
// The backward is `grad(g, v)`, elementwise, with v the saved input or output.
#define TAPEGRAD_FLOAT_UNARY(name, Op, Backward, saved, grad)                       \
  template <Element T>                                                             \
  Tensor<to_floating_t<T>> name(const Tensor<T>& input) {                           \
    using R = to_floating_t<T>;                                                    \
    auto output = detail::map1<R, R>(input, detail::Op{});                         \
    if constexpr (FloatingElement<T>)                                              \
      detail::record_unary(output, Backward, input, saved,                         \
                           [](R g, R v) { return grad; });                         \
    return output;                                                                 \
  }                                                                                \
  template <Element T>                                                             \
  Tensor<to_floating_t<T>> Tensor<T>::name() const { return tapegrad::name(*this); }
// d/dx exp(x) = exp(x): reuse the saved output
TAPEGRAD_FLOAT_UNARY(exp, Exp, "ExpBackward0", output, g * v)
// d/dx log(x) = 1 / x
TAPEGRAD_FLOAT_UNARY(log, Log, "LogBackward0", input, g / v)
// d/dx log1p(x) = 1 / (1 + x)
TAPEGRAD_FLOAT_UNARY(log1p, Log1p, "Log1PBackward0", input, g / (v + R(1)))
// d/dx sqrt(x) = 1 / (2 sqrt(x))
TAPEGRAD_FLOAT_UNARY(sqrt, Sqrt, "SqrtBackward0", output, g / (v * R(2)))
// d/dx x^(-1/2) = -1/2 x^(-3/2) = -1/2 y^3
TAPEGRAD_FLOAT_UNARY(rsqrt, Rsqrt, "RsqrtBackward0", output, g * v * v * v * R(-0.5))
// d/dx sigmoid(x) = y (1 - y)
TAPEGRAD_FLOAT_UNARY(sigmoid, Sigmoid, "SigmoidBackward0", output, g * v * (R(1) - v))
// d/dx tanh(x) = 1 - y^2
TAPEGRAD_FLOAT_UNARY(tanh, Tanh, "TanhBackward0", output, g * (R(1) - v * v))
#undef TAPEGRAD_FLOAT_UNARY

template <Element T>
Tensor<T> abs(const Tensor<T>& x) {
  static_assert(!std::is_same_v<T, bool>, "abs: not supported for bool tensors (as PyTorch)");
  auto out = detail::map1<T, T>(x, detail::Abs{});
  // d/dx |x| = g * sign(x), sign(0) = 0 (so an inf g gives NaN there, as PyTorch)
  detail::record_unary(out, "AbsBackward0", x, x, [](T g, T v) { return g * (v > T(0) ? T(1) : v < T(0) ? T(-1) : T(0)); });
  return out;
}
template <Element T>
Tensor<T> neg(const Tensor<T>& x) {
  static_assert(!std::is_same_v<T, bool>,
                "neg: negation, the `-` operator, on a bool tensor is not supported; use "
                "logical_not() or the `~` operator instead (as PyTorch)");
  auto out = detail::map1<T, T>(x, detail::Neg{});
  if constexpr (FloatingElement<T>) {
    if (autograd::needs_grad(x))
      // d/dx -x = -1
      autograd::record(out, "NegBackward0", [](const Tensor<T>& g, autograd::Needs) {
        return autograd::Grads<T>{neg(g), {}, {}};
      }, x);
  }
  return out;
}
/// max(x, 0); the gradient at 0 is 0 (as PyTorch).
template <Element T>
Tensor<T> relu(const Tensor<T>& x) {
  static_assert(!std::is_same_v<T, bool>, "relu: not supported for bool tensors (as PyTorch)");
  auto out = detail::map1<T, T>(x, detail::Relu{});
  // d/dx relu(x) = 0 where the output is <= 0 (so 0 at the kink), else 1; NaN
  // passes its gradient, as PyTorch's threshold_backward
  detail::record_unary(out, "ReluBackward0", x, out, [](T g, T y) { return y <= T(0) ? T(0) : g; });
  return out;
}
/// clamp(x, min, max): min(max(x, min), max), NaN kept; either bound optional.
template <Element T>
Tensor<T> clamp(const Tensor<T>& x, std::optional<double> min, std::optional<double> max = std::nullopt) {
  static_assert(!std::is_same_v<T, bool>, "clamp: not supported for bool tensors (as PyTorch)");
  TAPEGRAD_CHECK(min || max, ValueError, "clamp: at least one of 'min' or 'max' must not be None");
  detail::Clamp<T> f;
  if (min) f.lo = detail::clamp_bound<T>(*min, "clamp");
  if (max) f.hi = detail::clamp_bound<T>(*max, "clamp");
  auto out = detail::map1<T, T>(x, f);
  // d/dx clamp(x) = 1 inside [min, max] (bounds included), else 0
  detail::record_unary(out, "ClampBackward1", x, x, [f](T g, T v) {
    return (!f.lo || v >= *f.lo) && (!f.hi || v <= *f.hi) ? g : T(0);
  });
  return out;
}
template <Element T>
Tensor<T> clamp_min(const Tensor<T>& x, double min) { return autograd::renamed(clamp(x, min, std::nullopt), "ClampMinBackward0"); }
template <Element T>
Tensor<T> clamp_max(const Tensor<T>& x, double max) { return autograd::renamed(clamp(x, std::nullopt, max), "ClampMaxBackward0"); }
template <Element T>
Tensor<T> Tensor<T>::clamp_min(double min) const { return tapegrad::clamp_min(*this, min); }
template <Element T>
Tensor<T> Tensor<T>::clamp_max(double max) const { return tapegrad::clamp_max(*this, max); }

// ---- binary arithmetic --------------------------------------------------------------
/// a + b with broadcasting; the dtype is promote_t<A, B>.
template <Element A, Element B>
Tensor<promote_t<A, B>> add(const Tensor<A>& a, const Tensor<B>& b) {
  using R = promote_t<A, B>;
  auto out = detail::map2<R, R>(a, b, detail::Add{}, "add");
  if constexpr (FloatingElement<R>) {
    if (autograd::needs_grad(a, b))
      // d(a + b) = da + db
      autograd::record(out, "AddBackward0", [sa = a.sizes(), sb = b.sizes()](const Tensor<R>& g, autograd::Needs n) {
        return autograd::Grads<R>{n[0] ? sum_to(g, sa) : Tensor<R>(), n[1] ? sum_to(g, sb) : Tensor<R>(), {}};
      }, a, b);
  }
  return out;
}
template <Element A, Element B>
Tensor<promote_t<A, B>> sub(const Tensor<A>& a, const Tensor<B>& b) {
  static_assert(!detail::refuses_bool_operand<detail::Sub, A, B>, TAPEGRAD_SUB_BOOL_MESSAGE);
  using R = promote_t<A, B>;
  auto out = detail::map2<R, R>(a, b, detail::Sub{}, "sub");
  if constexpr (FloatingElement<R>) {
    if (autograd::needs_grad(a, b))
      // d(a - b) = da - db
      autograd::record(out, "SubBackward0", [sa = a.sizes(), sb = b.sizes()](const Tensor<R>& g, autograd::Needs n) {
        return autograd::Grads<R>{n[0] ? sum_to(g, sa) : Tensor<R>(), n[1] ? neg(sum_to(g, sb)) : Tensor<R>(), {}};
      }, a, b);
  }
  return out;
}
template <Element A, Element B>
Tensor<promote_t<A, B>> mul(const Tensor<A>& a, const Tensor<B>& b) {
  using R = promote_t<A, B>;
  auto out = detail::map2<R, R>(a, b, detail::Mul{}, "mul");
  if constexpr (FloatingElement<R>) {
    if (autograd::needs_grad(a, b))
      // d(a b) = b da + a db; each side saves only what the other's gradient needs
      autograd::record(out, "MulBackward0",
          [sa = b.requires_grad() ? autograd::save(a) : autograd::SavedTensor<A>(),
           sb = a.requires_grad() ? autograd::save(b) : autograd::SavedTensor<B>(),
           shape_a = a.sizes(), shape_b = b.sizes()](const Tensor<R>& g, autograd::Needs n) {
            return autograd::Grads<R>{n[0] ? sum_to(mul(g, sb.get()), shape_a) : Tensor<R>(),
                                      n[1] ? sum_to(mul(g, sa.get()), shape_b) : Tensor<R>(), {}};
          }, a, b);
  }
  return out;
}
/// True division: integer operands give a float32 result, as in PyTorch.
template <Element A, Element B>
Tensor<true_div_t<A, B>> div(const Tensor<A>& a, const Tensor<B>& b) {
  using R = true_div_t<A, B>;
  auto out = detail::map2<R, R>(a, b, detail::Div{}, "div");
  if constexpr (FloatingElement<A> || FloatingElement<B>) {
    if (autograd::needs_grad(a, b))
      // d(a / b) = da / b - a db / b^2
      autograd::record(out, "DivBackward0",
          [sa = b.requires_grad() ? autograd::save(a) : autograd::SavedTensor<A>(), sb = autograd::save(b),
           shape_a = a.sizes(), shape_b = b.sizes()](const Tensor<R>& g, autograd::Needs n) {
            const auto& bv = sb.get();
            Tensor<R> ga, gb;
            if (n[0]) ga = sum_to(div(g, bv), shape_a);
            if (n[1]) gb = sum_to(neg(div(mul(g, sa.get()), mul(bv, bv))), shape_b);
            return autograd::Grads<R>{ga, gb, {}};
          }, a, b);
  }
  return out;
}
template <Element A, Element B>
Tensor<promote_t<A, B>> pow(const Tensor<A>& a, const Tensor<B>& b) {
  using R = promote_t<A, B>;
  static_assert(!std::is_same_v<R, bool>, "pow: bool tensors are refused (as PyTorch refuses them)");
  auto out = detail::map2<R, R>(a, b, detail::Pow{}, "pow");
  if constexpr (FloatingElement<R>) {
    if (autograd::needs_grad(a, b))
      // d(a^b) = b a^(b-1) da + a^b log(a) db, the latter 0 where a = 0 and b >= 0
      autograd::record(out, "PowBackward1",
          [sa = autograd::save(a), sb = autograd::save(b), so = autograd::save(out)](const Tensor<R>& g, autograd::Needs n) {
            const auto& av = sa.get();
            const auto& bv = sb.get();
            Tensor<R> ga, gb;
            // 0 where the exponent is 0, even at a base of 0 (as PyTorch; not 0 * 0^-1 = NaN)
            if (n[0]) ga = sum_to(where(eq(bv, tensor<R>(R(0))), R(0), mul(g, mul(bv, pow(av, sub(bv.template to<R>(), tensor<R>(R(1))))))),
                                  av.sizes());
            if (n[1]) {
              auto d = detail::map3<R, R>(logical_and(eq(av, tensor<R>(R(0))), ge(bv, tensor<R>(R(0)))), so.get(), av,
                                          [](bool zero, R o, R x) { return zero ? R(0) : o * std::log(x); }, "pow");
              gb = sum_to(mul(g, d), bv.sizes());
            }
            return autograd::Grads<R>{ga, gb, {}};
          }, a, b);
  }
  return out;
}
/// x ** exponent; exponent 2 is computed as x * x, as PyTorch does.
template <Element T, Scalar S>
Tensor<scalar_promote_t<T, S>> pow(const Tensor<T>& a, S exponent) {
  using R = scalar_promote_t<T, S>;
  static_assert(!std::is_same_v<R, bool>, "pow: bool tensors are refused (as PyTorch refuses them)");
  if constexpr (!FloatingElement<R> && std::is_signed_v<S>)
    TAPEGRAD_CHECK(exponent >= 0, ValueError, "pow: integers to negative integer powers are not allowed (",
                   dtype_name<R>(), " tensor ** ", +exponent, ")");
  // 0.5 and -0.5 are sqrt and rsqrt as in PyTorch (pow(-0., 0.5) is -0. and
  // pow(-inf, 0.5) NaN, where std::pow gives 0. and inf); a bool exponent
  // is 1 or 0, not 2
  auto out = [&] {
    if constexpr (!std::is_same_v<S, bool>) {
      if (exponent == S(2)) return detail::map1<R, R>(a, [](R x) { return detail::wrap_mul(x, x); });
      if constexpr (std::is_floating_point_v<S>) {
        if (exponent == S(0.5)) return detail::map1<R, R>(a, detail::Sqrt{});
        if (exponent == S(-0.5)) return detail::map1<R, R>(a, detail::Rsqrt{});
      }
    }
    return detail::map2<R, R>(a, detail::checked_scalar_tensor<R>(exponent, "pow"), detail::Pow{}, "pow");
  }();
  if constexpr (FloatingElement<T>) {
    if (autograd::needs_grad(a))
      // d/dx x^e = e x^(e-1) (0 for e = 0)
      autograd::record(out, "PowBackward0", [sa = autograd::save(a), e = static_cast<R>(exponent)](const Tensor<R>& g, autograd::Needs) {
        if (e == R(0)) return autograd::Grads<R>{zeros<R>(g.sizes()), {}, {}};
        const auto& x = sa.get();
        auto d = e == R(2) ? mul(x, tensor<R>(R(2))) : mul(pow(x, e - R(1)), tensor<R>(e));
        return autograd::Grads<R>{mul(g, d), {}, {}};
      }, a);
  }
  return out;
}

namespace detail {
// maximum/minimum backward: the chosen input gets the gradient, ties split it
// evenly, as PyTorch: where(a == b, g / 2, g) masked to 0 where a lost.
template <Element R, bool IsMax, Element A, Element B>
void record_extremum(const Tensor<R>& out, const char* name, const Tensor<A>& a, const Tensor<B>& b) {
  if constexpr (FloatingElement<R>) {
    if (autograd::needs_grad(a, b))
      autograd::record(out, name, [sa = autograd::save(a), sb = autograd::save(b), name](const Tensor<R>& g, autograd::Needs n) {
        auto share = [](bool lost, R tie, R gv) { return lost ? R(0) : (tie != R(0) ? gv / R(2) : gv); };
        const auto& av = sa.get();
        const auto& bv = sb.get();
        Tensor<R> ga, gb;
        if (n[0]) ga = sum_to(map3<R, R>(IsMax ? lt(av, bv) : gt(av, bv), eq(av, bv), g, share, name), av.sizes());
        if (n[1]) gb = sum_to(map3<R, R>(IsMax ? gt(av, bv) : lt(av, bv), eq(av, bv), g, share, name), bv.sizes());
        return autograd::Grads<R>{ga, gb, {}};
      }, a, b);
  }
}
}  // namespace detail

/// Elementwise max; NaN wins, as in PyTorch.
template <Element A, Element B>
Tensor<promote_t<A, B>> maximum(const Tensor<A>& a, const Tensor<B>& b) {
  using R = promote_t<A, B>;
  auto out = detail::map2<R, R>(a, b, detail::Maximum{}, "maximum");
  detail::record_extremum<R, true>(out, "MaximumBackward0", a, b);
  return out;
}
template <Element A, Element B>
Tensor<promote_t<A, B>> minimum(const Tensor<A>& a, const Tensor<B>& b) {
  using R = promote_t<A, B>;
  auto out = detail::map2<R, R>(a, b, detail::Minimum{}, "minimum");
  detail::record_extremum<R, false>(out, "MinimumBackward0", a, b);
  return out;
}

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
// Division converts the scalar to the (floating) result dtype, not to an
// integer tensor's own: int8 tensor / 1000 divides by 1000.f, as PyTorch.
#define TAPEGRAD_BINARY_OPERATOR(sym, fn, Op, ScalarAs)                                  \
  template <Element A, Element B>                                                       \
  auto operator sym(const Tensor<A>& a, const Tensor<B>& b) { return fn(a, b); }         \
  template <Element T, Scalar S>                                                        \
  auto operator sym(const Tensor<T>& a, S b) {                                          \
    static_assert(!detail::refuses_bool_operand<detail::Op, T, S>, TAPEGRAD_SUB_BOOL_MESSAGE); \
    return fn(a, detail::scalar_tensor<ScalarAs<T, scalar_promote_t<T, S>>>(b));         \
  }                                                                                     \
  template <Scalar S, Element T>                                                        \
  auto operator sym(S a, const Tensor<T>& b) {                                          \
    static_assert(!detail::refuses_bool_operand<detail::Op, S, T>, TAPEGRAD_SUB_BOOL_MESSAGE); \
    return fn(detail::scalar_tensor<ScalarAs<T, scalar_promote_t<T, S>>>(a), b);         \
  }
namespace detail {
template <class T, class P>
using as_promoted = P;
}  // namespace detail
TAPEGRAD_BINARY_OPERATOR(+, add, Add, detail::as_promoted)
TAPEGRAD_BINARY_OPERATOR(-, sub, Sub, detail::as_promoted)
TAPEGRAD_BINARY_OPERATOR(*, mul, Mul, detail::as_promoted)
TAPEGRAD_BINARY_OPERATOR(/, div, Div, true_div_t)
TAPEGRAD_BINARY_OPERATOR(==, eq, Eq, detail::as_promoted)
TAPEGRAD_BINARY_OPERATOR(!=, ne, Ne, detail::as_promoted)
TAPEGRAD_BINARY_OPERATOR(<, lt, Lt, detail::as_promoted)
TAPEGRAD_BINARY_OPERATOR(<=, le, Le, detail::as_promoted)
TAPEGRAD_BINARY_OPERATOR(>, gt, Gt, detail::as_promoted)
TAPEGRAD_BINARY_OPERATOR(>=, ge, Ge, detail::as_promoted)
#undef TAPEGRAD_BINARY_OPERATOR

template <Element T>
Tensor<T> operator-(const Tensor<T>& x) { return neg(x); }

// On bool tensors &, |, ^ and ~ are the logical ops (PyTorch's bitwise ops on bool).
// Templates (B is bool) so that a program that does not use them does not
// compile the bool map kernels (Note [Compile-time guard], bench/compile_time.sh).
template <std::same_as<bool> B>
Tensor<B> operator&(const Tensor<B>& a, const Tensor<B>& b) { return logical_and(a, b); }
template <std::same_as<bool> B>
Tensor<B> operator|(const Tensor<B>& a, const Tensor<B>& b) { return logical_or(a, b); }
template <std::same_as<bool> B>
Tensor<B> operator^(const Tensor<B>& a, const Tensor<B>& b) { return logical_xor(a, b); }
template <std::same_as<bool> B>
Tensor<B> operator~(const Tensor<B>& a) { return logical_not(a); }

// ---- in place ------------------------------------------------------------------------------
// x.add_(y): x's shape must be the broadcast shape and the promoted dtype must
// be castable to x's (PyTorch: "result type Float can't be cast to Long").
#define TAPEGRAD_INPLACE(name, fn, Op, sym)                                                        \
  template <Element T>                                                                             \
  template <Element U>                                                                             \
  const Tensor<T>& Tensor<T>::name(const Tensor<U>& other) const {                                 \
    using C = typename decltype(tapegrad::fn(std::declval<Tensor<T>>(), std::declval<Tensor<U>>()))::value_type; \
    static_assert(!detail::refuses_bool_operand<detail::Op, T, U>, TAPEGRAD_SUB_BOOL_MESSAGE);     \
    static_assert(can_cast_v<C, T>, #name ": the result dtype of the op can't be cast to the "     \
                                    "destination's dtype (e.g. a float result into an int tensor)"); \
    detail::map2_<C>(*this, other, detail::Op{}, #name);                                           \
    return *this;                                                                                  \
  }                                                                                                \
  template <Element T>                                                                             \
  template <Scalar S>                                                                              \
  const Tensor<T>& Tensor<T>::name(S other) const {                                                \
    static_assert(!detail::refuses_bool_operand<detail::Op, T, S>, TAPEGRAD_SUB_BOOL_MESSAGE);     \
    return name(detail::scalar_tensor<scalar_promote_t<T, S>>(other));                             \
  }                                                                                                \
  template <Element T, class O>                                                                    \
  const Tensor<T>& operator sym(const Tensor<T>& a, const O& b) { return a.name(b); }
TAPEGRAD_INPLACE(add_, add, Add, +=)
TAPEGRAD_INPLACE(sub_, sub, Sub, -=)
TAPEGRAD_INPLACE(mul_, mul, Mul, *=)
TAPEGRAD_INPLACE(div_, div, Div, /=)
#undef TAPEGRAD_INPLACE

// ---- out variants ----------------------------------------------------------------------
// Note [Out variants]: add_out(out, a, b) is PyTorch's torch.add(a, b, out=out)
// (LibTorch's at::add_out): the result goes into an existing tensor, so a loop
// that reuses its buffers allocates nothing (bench/elementwise_bench.cpp: a
// fresh tensor is most of the cost of a 1000-element add). out's dtype must be
// one the result can be cast to (a compile error otherwise, as the in-place
// forms). An out of the result's shape is written in place, whatever its
// strides; an out with no elements is resized to the result's shape (as
// PyTorch); any other shape is a ShapeError (PyTorch resizes it with a
// deprecation warning). out may be one of the inputs (exp_out(x, x)); any
// other overlap goes through a temporary. As in PyTorch, out variants are not
// differentiable: with grad mode on, an out or input that requires grad is an
// error.
namespace detail {
template <Element R>
void prepare_out(const Tensor<R>& out, const Shape& shape, bool inputs_require_grad, const char* op) {
  TAPEGRAD_CHECK(out.defined(), ValueError, op, ": out is an undefined tensor");
  TAPEGRAD_CHECK(!GradMode::is_enabled() || (!inputs_require_grad && !out.requires_grad()), ValueError, op,
                 ": functions with out=... arguments don't support automatic differentiation, "
                 "but one of the arguments requires grad");
  if (out.sizes() != shape) {
    TAPEGRAD_CHECK(out.numel() == 0, ShapeError, op, ": out has shape ", out.sizes(),
                   " but the result has shape ", shape, " (only an out with no elements is resized)");
    out.resize_(shape);
  }
  check_writable(out, op);
}
/// True when out shares x's storage with another layout: writing out could
/// then change an element of x that is still to be read.
template <Element R, Element X>
bool overlaps_differently(const Tensor<R>& out, const Tensor<X>& x) {
  if constexpr (!std::is_same_v<R, X>) return false;
  else
    return shares_storage(out, x) && !(out.sizes() == x.sizes() && out.strides() == x.strides() &&
                                       out.storage_offset() == x.storage_offset());
}
}  // namespace detail

/// add_out(out, a, b) and sub_out, mul_out, div_out: out = a op b with
/// broadcasting, written into out (Note [Out variants]); returns out.
#define TAPEGRAD_BINARY_OUT(name, fn, Op)                                                              \
  template <Element O, Element A, Element B>                                                           \
  const Tensor<O>& name(const Tensor<O>& out, const Tensor<A>& a, const Tensor<B>& b) {                \
    using C = typename decltype(fn(std::declval<Tensor<A>>(), std::declval<Tensor<B>>()))::value_type; \
    static_assert(!detail::refuses_bool_operand<detail::Op, A, B>, TAPEGRAD_SUB_BOOL_MESSAGE);         \
    static_assert(can_cast_v<C, O>, #name ": the result dtype of the op can't be cast to out's dtype "  \
                                    "(e.g. a float result into an int tensor)");                      \
    if (detail::map2_plain_into<O, C>(out, a, b, detail::Op{})) /* Note [Contiguous fast path] */    \
      return out;                                                                                      \
    Shape store;                                                                                       \
    const Shape& shape = broadcast_shapes(a.sizes(), b.sizes(), store, #name);                         \
    detail::prepare_out(out, shape, a.requires_grad() || b.requires_grad(), #name);                  \
    if (detail::overlaps_differently(out, a) || detail::overlaps_differently(out, b))                 \
      detail::copy_into(out, fn(a, b));                                                                \
    else                                                                                               \
      detail::map2_into<O, C>(out, a, b, detail::Op{});                                                \
    out.storage()->bump_version();                                                                     \
    return out;                                                                                        \
  }
TAPEGRAD_BINARY_OUT(add_out, add, Add)
TAPEGRAD_BINARY_OUT(sub_out, sub, Sub)
TAPEGRAD_BINARY_OUT(mul_out, mul, Mul)
TAPEGRAD_BINARY_OUT(div_out, div, Div)
#undef TAPEGRAD_BINARY_OUT

/// exp_out(out, x) and log_out, sqrt_out, sigmoid_out, tanh_out, abs_out,
/// neg_out: out = op(x), written into out (Note [Out variants]); returns out.
#define TAPEGRAD_UNARY_OUT(name, Op)                                                                   \
  template <Element O, Element T>                                                                      \
  const Tensor<O>& name##_out(const Tensor<O>& out, const Tensor<T>& x) {                              \
    using C = typename decltype(name(std::declval<Tensor<T>>()))::value_type;                         \
    static_assert(can_cast_v<C, O>, #name "_out: the result dtype of the op can't be cast to out's "  \
                                    "dtype (e.g. a float result into an int tensor)");                \
    detail::prepare_out(out, x.sizes(), x.requires_grad(), #name "_out");                            \
    if (detail::overlaps_differently(out, x))                                                          \
      detail::copy_into(out, name(x));                                                                 \
    else                                                                                               \
      detail::map1_into<O, C>(out, x, detail::Op{});                                                   \
    out.storage()->bump_version();                                                                     \
    return out;                                                                                        \
  }
TAPEGRAD_UNARY_OUT(exp, Exp)
TAPEGRAD_UNARY_OUT(log, Log)
TAPEGRAD_UNARY_OUT(sqrt, Sqrt)
TAPEGRAD_UNARY_OUT(sigmoid, Sigmoid)
TAPEGRAD_UNARY_OUT(tanh, Tanh)
TAPEGRAD_UNARY_OUT(abs, Abs)
TAPEGRAD_UNARY_OUT(neg, Neg)
#undef TAPEGRAD_UNARY_OUT

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
