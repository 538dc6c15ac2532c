// Randomized differential test of the elementwise ops against PyTorch 1.13:
// replays every case of tests/reference/fuzz_elementwise.txt (written by
// tools/gen_fuzz_elementwise.py, whose docstring describes the cases) and
// compares tapegrad's result dtype, shape and values with PyTorch's, or
// checks that tapegrad throws a tapegrad::Error where PyTorch raised.
//
// Compile time: dtypes are template arguments, so every (op, dtype pair) the
// file may hold is an instantiation. The test dispatches all 8 same-dtype
// pairs but only the mixed pairs of kMixedPair (the generator's MIXED_PAIRS),
// and the comparison, loading and reporting are plain functions.
//
// Cases marked bug=<label> hit one of the bugs this fuzzer found when it was
// written (fixed since: the labels are given by known_bug() in the
// generator); a regression's failure message names the label. They run after
// the other cases of their test case, so that one that crashes (undefined
// behaviour under the sanitizers) cannot hide the rest.
// Regenerate the file with: /usr/bin/python3 tools/gen_fuzz_elementwise.py
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "support/fuzz_replay.hpp"
#include "support/tensor_check.hpp"

namespace {

namespace tg = tapegrad;
using tapegrad_test::RefTensor;

const char* const kFile = "fuzz_elementwise.txt";

using Any = tapegrad_test::AnyTensor;
using Num = std::variant<bool, int64_t, double>;  // a C++ scalar operand

// The test has no instantiation for this dtype combination (the generator and
// kMixedPair disagree): a failure of the test itself.
struct NotDispatched : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// tapegrad refuses this combination at compile time (a static_assert), so the
// test cannot run it: matches a case where PyTorch raised.
struct CompileRefused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class T>
using value_t = typename std::decay_t<T>::value_type;
template <class T>
inline constexpr bool is_bool = std::is_same_v<T, bool>;
template <class A, class B, class X, class Y>
inline constexpr bool is_pair = std::is_same_v<A, X> && std::is_same_v<B, Y>;

// ---- what is instantiated ----------------------------------------------------
// Mixed dtype pairs (a, b) of the binary ops, where() and the tensor-scalar
// forms; keep equal to MIXED_PAIRS in tools/gen_fuzz_elementwise.py.
template <class A, class B>
inline constexpr bool kMixedPair =
    is_pair<A, B, uint8_t, int8_t> || is_pair<A, B, int8_t, uint8_t> || is_pair<A, B, int16_t, int64_t> ||
    is_pair<A, B, int8_t, int32_t> || is_pair<A, B, float, double> || is_pair<A, B, int32_t, double> ||
    is_pair<A, B, bool, int64_t> || is_pair<A, B, int64_t, bool> || is_pair<A, B, bool, float> ||
    is_pair<A, B, float, bool> || is_pair<A, B, uint8_t, float> || is_pair<A, B, float, uint8_t> ||
    is_pair<A, B, int32_t, float> || is_pair<A, B, float, int32_t> || is_pair<A, B, int64_t, float> ||
    is_pair<A, B, float, int64_t>;
template <class A, class B>
inline constexpr bool kPair = std::is_same_v<A, B> || kMixedPair<A, B>;
// (destination, other) of the in-place ops; INPLACE_MIXED in the generator.
template <class A, class B>
inline constexpr bool kInplacePair = std::is_same_v<A, B> || is_pair<A, B, uint8_t, int8_t> ||
                                     is_pair<A, B, int8_t, uint8_t> || is_pair<A, B, float, double> ||
                                     is_pair<A, B, float, int32_t> || is_pair<A, B, int64_t, bool> ||
                                     is_pair<A, B, float, bool>;

// ---- tapegrad's compile-time refusals ------------------------------------------
// What tapegrad refuses with a static_assert where PyTorch raises; the test
// treats a refusal as matching a case where PyTorch raised.
template <class A, class B>  // tg::sub(a, b), a - b: no bool operand (tensor or scalar)
inline constexpr bool kSubCompiles = !(is_bool<A> || is_bool<B>);
template <class T, class S>  // tensor - scalar (scalar - tensor: the same)
inline constexpr bool kSubScalarCompiles = kSubCompiles<T, S>;
template <class T, class U>  // a.sub_(b), a -= b; U a tensor's element or a scalar type
inline constexpr bool kSubInplaceCompiles = kSubCompiles<T, U>;
template <class A, class B>  // tg::pow(a, b), a.pow(b); B may be a scalar type: no bool result
inline constexpr bool kPowCompiles = !(is_bool<A> && is_bool<B>);
template <class T>
inline constexpr bool kNonBoolUnaryCompiles = !is_bool<T>;  // abs, neg, relu, clamp (and _)

// ---- inputs ----------------------------------------------------------------------

Any load_any(const RefTensor& r, const std::string& view) {
  return tapegrad_test::laid_out_any(r, view);
}

Num parse_num(const std::string& type, const std::string& text) {
  if (type == "bool") return text == "1";
  if (type == "int") return static_cast<int64_t>(std::stoll(text));
  if (type == "float") return std::strtod(text.c_str(), nullptr);
  throw std::runtime_error("unknown scalar type '" + type + "'");
}

std::optional<double> parse_bound(const std::string& text) {
  if (text == "none") return std::nullopt;
  return std::strtod(text.c_str(), nullptr);
}

// op(s, x) (reverse) or op(x, s), when the pair of the tensor's dtype T and
// the result's R is dispatched in that order (kPair); op is generic, so a pair
// that is not dispatched instantiates nothing.
template <class T, class S, class Op>
Any in_order(bool reverse, const tg::Tensor<T>& x, S s, Op op) {
  using R = tg::scalar_promote_t<T, S>;
  if (reverse) {
    if constexpr (kPair<R, T>) return op(s, x);
    else throw NotDispatched("scalar op tensor");
  } else {
    if constexpr (kPair<T, R>) return op(x, s);
    else throw NotDispatched("tensor op scalar");
  }
}

// ---- the registries (Note [Fuzz registries]), one dtype combination at a time ------------
// form: "fn" (tg::op), "method" (a.op(b)) or "op" (the operator); each entry
// holds its compile-time refusals.
template <class A, class B>
using BinaryFn = Any (*)(const std::string& form, const tg::Tensor<A>& a, const tg::Tensor<B>& b);

// op(a, b): the same dtype or a pair of kMixedPair.
template <class A, class B>
tapegrad_test::Registry<BinaryFn<A, B>> binary_registry() {
  using S = const std::string&;
  using TA = const tg::Tensor<A>&;
  using TB = const tg::Tensor<B>&;
  static constexpr tapegrad_test::Entry<BinaryFn<A, B>> r[] = {
      // [fuzz registry elementwise: bin_arith bin_cmp bin_logic bin_other]
      {"add", [](S f, TA a, TB b) -> Any { return f == "op" ? Any(a + b) : Any(tg::add(a, b)); }},
      {"sub", [](S f, TA a, TB b) -> Any {
         if constexpr (kSubCompiles<A, B>) return f == "op" ? Any(a - b) : Any(tg::sub(a, b));
         else throw CompileRefused("sub");
       }},
      {"mul", [](S f, TA a, TB b) -> Any { return f == "op" ? Any(a * b) : Any(tg::mul(a, b)); }},
      {"div", [](S f, TA a, TB b) -> Any { return f == "op" ? Any(a / b) : Any(tg::div(a, b)); }},
      {"eq", [](S f, TA a, TB b) -> Any { return f == "op" ? Any(a == b) : Any(tg::eq(a, b)); }},
      {"ne", [](S f, TA a, TB b) -> Any { return f == "op" ? Any(a != b) : Any(tg::ne(a, b)); }},
      {"lt", [](S f, TA a, TB b) -> Any { return f == "op" ? Any(a < b) : Any(tg::lt(a, b)); }},
      {"le", [](S f, TA a, TB b) -> Any { return f == "op" ? Any(a <= b) : Any(tg::le(a, b)); }},
      {"gt", [](S f, TA a, TB b) -> Any { return f == "op" ? Any(a > b) : Any(tg::gt(a, b)); }},
      {"ge", [](S f, TA a, TB b) -> Any { return f == "op" ? Any(a >= b) : Any(tg::ge(a, b)); }},
      {"logical_and", [](S f, TA a, TB b) -> Any {
         if constexpr (is_bool<A> && is_bool<B>) return f == "op" ? Any(a & b) : Any(tg::logical_and(a, b));
         else return f == "op" ? throw std::runtime_error("& is for bool tensors only") : Any(tg::logical_and(a, b));
       }},
      {"logical_or", [](S f, TA a, TB b) -> Any {
         if constexpr (is_bool<A> && is_bool<B>) return f == "op" ? Any(a | b) : Any(tg::logical_or(a, b));
         else return f == "op" ? throw std::runtime_error("| is for bool tensors only") : Any(tg::logical_or(a, b));
       }},
      {"logical_xor", [](S f, TA a, TB b) -> Any {
         if constexpr (is_bool<A> && is_bool<B>) return f == "op" ? Any(a ^ b) : Any(tg::logical_xor(a, b));
         else return f == "op" ? throw std::runtime_error("^ is for bool tensors only") : Any(tg::logical_xor(a, b));
       }},
      {"pow", [](S f, TA a, TB b) -> Any {
         if constexpr (kPowCompiles<A, B>) return f == "method" ? Any(a.pow(b)) : Any(tg::pow(a, b));
         else throw CompileRefused("pow");
       }},
      {"maximum", [](S f, TA a, TB b) -> Any { return f == "method" ? Any(a.maximum(b)) : Any(tg::maximum(a, b)); }},
      {"minimum", [](S f, TA a, TB b) -> Any { return f == "method" ? Any(a.minimum(b)) : Any(tg::minimum(a, b)); }},
      // [end fuzz registry]
  };
  return r;
}

Any binary(const std::string& op, const std::string& form, const Any& a, const Any& b) {
  return std::visit(
      [&](const auto& x, const auto& y) -> Any {
        using A = value_t<decltype(x)>;
        using B = value_t<decltype(y)>;
        if constexpr (kPair<A, B>) return tapegrad_test::lookup(binary_registry<A, B>(), op, "fuzz elementwise")(form, x, y);
        else throw NotDispatched(std::string("binary ") + tg::dtype_name<A>() + ", " + tg::dtype_name<B>());
      },
      a, b);
}

// x op s, or s op x (reverse); the result's dtype R must be dispatched with T.
template <class T, class S>
using ScalarFn = Any (*)(const std::string& form, bool reverse, const tg::Tensor<T>& x, S s);

template <class T, class S>
tapegrad_test::Registry<ScalarFn<T, S>> scalar_registry() {
  using F = const std::string&;
  using X = const tg::Tensor<T>&;
  using R = tg::scalar_promote_t<T, S>;
  static constexpr tapegrad_test::Entry<ScalarFn<T, S>> r[] = {
      // [fuzz registry elementwise: scalar]
      {"add", [](F, bool rev, X x, S s) -> Any { return in_order(rev, x, s, [](const auto& p, const auto& q) { return p + q; }); }},
      {"sub", [](F, bool rev, X x, S s) -> Any {
         if constexpr (kSubScalarCompiles<T, S>)
           return in_order(rev, x, s, [](const auto& p, const auto& q) { return p - q; });
         else throw CompileRefused("sub");
       }},
      {"mul", [](F, bool rev, X x, S s) -> Any { return in_order(rev, x, s, [](const auto& p, const auto& q) { return p * q; }); }},
      {"div", [](F, bool rev, X x, S s) -> Any { return in_order(rev, x, s, [](const auto& p, const auto& q) { return p / q; }); }},
      {"eq", [](F, bool rev, X x, S s) -> Any { return in_order(rev, x, s, [](const auto& p, const auto& q) { return p == q; }); }},
      {"ne", [](F, bool rev, X x, S s) -> Any { return in_order(rev, x, s, [](const auto& p, const auto& q) { return p != q; }); }},
      {"lt", [](F, bool rev, X x, S s) -> Any { return in_order(rev, x, s, [](const auto& p, const auto& q) { return p < q; }); }},
      {"le", [](F, bool rev, X x, S s) -> Any { return in_order(rev, x, s, [](const auto& p, const auto& q) { return p <= q; }); }},
      {"gt", [](F, bool rev, X x, S s) -> Any { return in_order(rev, x, s, [](const auto& p, const auto& q) { return p > q; }); }},
      {"ge", [](F, bool rev, X x, S s) -> Any { return in_order(rev, x, s, [](const auto& p, const auto& q) { return p >= q; }); }},
      {"pow", [](F f, bool rev, X x, S s) -> Any {
         if (rev) throw std::runtime_error("scalar ** tensor is not in tapegrad");
         if constexpr (!kPowCompiles<T, S>) throw CompileRefused("pow");
         else if constexpr (kPair<T, R>) return f == "method" ? Any(x.pow(s)) : Any(tg::pow(x, s));
         else throw NotDispatched("pow scalar");
       }},
      // [end fuzz registry]
  };
  return r;
}

Any with_scalar(const std::string& op, const std::string& form, bool reverse, const Any& x, const Num& s) {
  return std::visit(
      [&](const auto& t, auto v) -> Any {
        using T = value_t<decltype(t)>;
        return tapegrad_test::lookup(scalar_registry<T, decltype(v)>(), op, "fuzz elementwise")(form, reverse, t, v);
      },
      x, s);
}

Any where_tt(const Any& c, const Any& a, const Any& b) {
  const auto& cond = std::get<tg::Tensor<bool>>(c);
  return std::visit(
      [&](const auto& x, const auto& y) -> Any {
        using A = value_t<decltype(x)>;
        using B = value_t<decltype(y)>;
        if constexpr (kPair<A, B>) return tg::where(cond, x, y);
        else throw NotDispatched("where");
      },
      a, b);
}

Any where_scalar(bool reverse, const Any& c, const Any& x, const Num& s) {
  const auto& cond = std::get<tg::Tensor<bool>>(c);
  return std::visit(
      [&](const auto& t, auto v) -> Any {
        using T = value_t<decltype(t)>;
        using R = tg::scalar_promote_t<T, decltype(v)>;
        if constexpr (kPair<T, R> && kPair<R, T>) return reverse ? Any(tg::where(cond, v, t)) : Any(tg::where(cond, t, v));
        else throw NotDispatched("where with a scalar");
      },
      x, s);
}

// op(x), with clamp's bounds; the in-place clamp_ and relu_ give x afterwards.
template <class T>
using UnaryFn = Any (*)(const std::string& form, const tg::Tensor<T>& x, std::optional<double> lo,
                        std::optional<double> hi);

// g(x) where tapegrad compiles `op` for T (not bool); else a compile-time refusal.
template <class T, class G>
Any non_bool(const char* op, const tg::Tensor<T>& x, G g) {
  if constexpr (kNonBoolUnaryCompiles<T>) return g(x);
  else throw CompileRefused(op);
}

template <class T>
tapegrad_test::Registry<UnaryFn<T>> unary_registry() {
  using F = const std::string&;
  using X = const tg::Tensor<T>&;
  using B = std::optional<double>;
  static constexpr tapegrad_test::Entry<UnaryFn<T>> r[] = {
      // [fuzz registry elementwise: unary_float unary_other unary_inplace]
      {"exp", [](F f, X x, B, B) -> Any { return Any(f == "method" ? x.exp() : tg::exp(x)); }},
      {"log", [](F f, X x, B, B) -> Any { return Any(f == "method" ? x.log() : tg::log(x)); }},
      {"log1p", [](F f, X x, B, B) -> Any { return Any(f == "method" ? x.log1p() : tg::log1p(x)); }},
      {"sqrt", [](F f, X x, B, B) -> Any { return Any(f == "method" ? x.sqrt() : tg::sqrt(x)); }},
      {"rsqrt", [](F f, X x, B, B) -> Any { return Any(f == "method" ? x.rsqrt() : tg::rsqrt(x)); }},
      {"sigmoid", [](F f, X x, B, B) -> Any { return Any(f == "method" ? x.sigmoid() : tg::sigmoid(x)); }},
      {"tanh", [](F f, X x, B, B) -> Any { return Any(f == "method" ? x.tanh() : tg::tanh(x)); }},
      {"abs", [](F f, X x, B, B) -> Any {
         return non_bool("abs", x, [&](const auto& t) { return f == "method" ? t.abs() : tg::abs(t); });
       }},
      {"neg", [](F f, X x, B, B) -> Any {
         return non_bool("neg", x, [&](const auto& t) { return f == "op" ? -t : (f == "method" ? t.neg() : tg::neg(t)); });
       }},
      {"relu", [](F f, X x, B, B) -> Any {
         return non_bool("relu", x, [&](const auto& t) { return f == "method" ? t.relu() : tg::relu(t); });
       }},
      {"logical_not", [](F f, X x, B, B) -> Any {
         if (f == "op") {
           if constexpr (is_bool<T>) return ~x;
           else throw std::runtime_error("~ is for bool tensors only");
         }
         return f == "method" ? x.logical_not() : tg::logical_not(x);
       }},
      {"clamp", [](F f, X x, B lo, B hi) -> Any {
         return non_bool("clamp", x, [&](const auto& t) { return f == "method" ? t.clamp(lo, hi) : tg::clamp(t, lo, hi); });
       }},
      {"clamp_", [](F, X x, B lo, B hi) -> Any { return non_bool("clamp_", x, [&](const auto& t) { return t.clamp_(lo, hi); }); }},
      {"relu_", [](F, X x, B, B) -> Any { return non_bool("relu_", x, [](const auto& t) { return t.relu_(); }); }},
      // [end fuzz registry]
  };
  return r;
}

Any unary(const std::string& op, const std::string& form, const Any& x, std::optional<double> lo,
          std::optional<double> hi) {
  return std::visit(
      [&](const auto& t) -> Any {
        return tapegrad_test::lookup(unary_registry<value_t<decltype(t)>>(), op, "fuzz elementwise")(form, t, lo, hi);
      },
      x);
}

template <class U>
struct operand_type {  // a scalar operand's type
  using type = U;
};
template <class X>
struct operand_type<tg::Tensor<X>> {  // a tensor operand's element type
  using type = X;
};

// a.op_(b) or a op= b (form "op"); the result is a afterwards. U is a tensor
// or a scalar type, R the dtype b joins the op as.
template <class T, class U>
using InplaceFn = Any (*)(const std::string& form, const tg::Tensor<T>& a, const U& b);

template <class T, class U, class R>
tapegrad_test::Registry<InplaceFn<T, U>> inplace_registry() {
  using F = const std::string&;
  using X = const tg::Tensor<T>&;
  constexpr bool result_fits = tg::can_cast_v<tg::promote_t<T, R>, T>;
  static constexpr tapegrad_test::Entry<InplaceFn<T, U>> r[] = {
      // [fuzz registry elementwise: inplace]
      {"add_", [](F f, X a, const U& b) -> Any {
         if constexpr (result_fits) {
           f == "op" ? (void)(a += b) : (void)a.add_(b);
           return a;
         }
         else throw CompileRefused("add_");
       }},
      {"sub_", [](F f, X a, const U& b) -> Any {
         if constexpr (result_fits && kSubInplaceCompiles<T, typename operand_type<U>::type>)
           {
           f == "op" ? (void)(a -= b) : (void)a.sub_(b);
           return a;
         }
         else throw CompileRefused("sub_");
       }},
      {"mul_", [](F f, X a, const U& b) -> Any {
         if constexpr (result_fits) {
           f == "op" ? (void)(a *= b) : (void)a.mul_(b);
           return a;
         }
         else throw CompileRefused("mul_");
       }},
      {"div_", [](F f, X a, const U& b) -> Any {
         if constexpr (tg::can_cast_v<tg::true_div_t<T, R>, T>) {
           f == "op" ? (void)(a /= b) : (void)a.div_(b);
           return a;
         }
         else throw CompileRefused("div_");
       }},
      // [end fuzz registry]
  };
  return r;
}

template <class T, class U, class R>
Any inplace_typed(const std::string& op, const std::string& form, const tg::Tensor<T>& a, const U& b) {
  return tapegrad_test::lookup(inplace_registry<T, U, R>(), op, "fuzz elementwise")(form, a, b);
}

Any inplace(const std::string& op, const std::string& form, const Any& a, const Any& b) {
  return std::visit(
      [&](const auto& x, const auto& y) -> Any {
        using T = value_t<decltype(x)>;
        using U = value_t<decltype(y)>;
        if constexpr (kInplacePair<T, U>) return inplace_typed<T, tg::Tensor<U>, U>(op, form, x, y);
        else throw NotDispatched("in-place");
      },
      a, b);
}

Any inplace_scalar(const std::string& op, const std::string& form, const Any& a, const Num& s) {
  return std::visit(
      [&](const auto& x, auto v) -> Any {
        using T = value_t<decltype(x)>;
        using R = tg::scalar_promote_t<T, decltype(v)>;
        if constexpr (kInplacePair<T, R>) return inplace_typed<T, decltype(v), R>(op, form, x, v);
        else if constexpr (!tg::can_cast_v<R, T>) throw CompileRefused(op);
        else throw NotDispatched("in-place with a scalar");
      },
      a, s);
}

// ---- comparing with PyTorch's record -----------------------------------------------
struct Result {
  std::string dtype;
  tg::Shape shape;
  bool floating = false;
  std::vector<double> values;  // floating results
  std::vector<int64_t> ints;   // integer and bool results
};

Result result_of(const Any& any) {
  return std::visit(
      [](const auto& t) {
        using T = value_t<decltype(t)>;
        Result r;
        r.dtype = tg::dtype_name<T>();
        r.shape = t.sizes();
        r.floating = tg::FloatingElement<T>;
        for (T v : t.to_vector()) {
          if constexpr (tg::FloatingElement<T>) r.values.push_back(static_cast<double>(v));
          else r.ints.push_back(static_cast<int64_t>(v));
        }
        return r;
      },
      any);
}

// Empty when `got` is PyTorch's result: dtype, shape, integers exactly, floats
// within rtol (plus a few subnormal steps), NaN where PyTorch has NaN, the
// same infinities, and (with signed_zeros) a zero where PyTorch has a zero
// carries its sign.
std::string compare(const Result& got, const RefTensor& want, bool signed_zeros) {
  std::ostringstream os;
  os.precision(17);
  if (got.dtype != want.dtype) os << "dtype " << got.dtype << " != PyTorch's " << want.dtype << "; ";
  if (!(got.shape == tapegrad_test::shape_of(want))) {
    os << "shape " << got.shape << " != PyTorch's " << tapegrad_test::shape_of(want);
    return os.str();
  }
  const bool f32 = want.dtype == "float32";
  const double rtol = f32 ? 1e-6 : 1e-12, atol = f32 ? 1e-44 : 4e-323;
  int shown = 0;
  const size_t n = want.values.size();
  for (size_t i = 0; i < n && shown < 4; ++i) {
    bool ok;
    double g;
    if (got.floating) g = got.values[i];
    else g = static_cast<double>(got.ints[i]);
    if (!want.is_float() && !got.floating) {
      ok = got.ints[i] == want.ints[i];
    } else {
      const double w = want.values[i];
      if (std::isnan(w) || std::isnan(g)) ok = std::isnan(w) && std::isnan(g);
      else if (std::isinf(w) || std::isinf(g)) ok = g == w;
      else if (w == 0 && g == 0) ok = !signed_zeros || std::signbit(g) == std::signbit(w);
      else ok = std::abs(g - w) <= atol + rtol * std::abs(w);
    }
    if (!ok) {
      os << "[" << i << "] got " << g << " want " << want.values[i] << "; ";
      ++shown;
    }
  }
  return os.str();
}

// ---- cases --------------------------------------------------------------------------
using Case = tapegrad_test::OpCase;
std::vector<Case> all_cases() { return tapegrad_test::op_cases(kFile); }

Any input(const Case& c, const std::string& letter) {
  return load_any(tapegrad_test::ref(kFile, c.name + "." + letter), c.get("v" + letter));
}

// Runs the case through tapegrad: the result, or throws.
Any run(const Case& c) {
  const std::string kind = c.get("kind"), op = c.get("op"), form = c.get("form");
  if (kind == "tt") return binary(op, form, input(c, "a"), input(c, "b"));
  if (kind == "ts") return with_scalar(op, form, false, input(c, "a"), parse_num(c.get("st"), c.get("s")));
  if (kind == "st") return with_scalar(op, form, true, input(c, "b"), parse_num(c.get("st"), c.get("s")));
  if (kind == "u") {
    std::optional<double> lo, hi;
    if (c.kv.count("lo")) lo = parse_bound(c.get("lo"));
    if (c.kv.count("hi")) hi = parse_bound(c.get("hi"));
    return unary(op, form, input(c, "a"), lo, hi);
  }
  if (kind == "w") return where_tt(input(c, "c"), input(c, "a"), input(c, "b"));
  if (kind == "ws") return where_scalar(false, input(c, "c"), input(c, "a"), parse_num(c.get("st"), c.get("s")));
  if (kind == "sw") return where_scalar(true, input(c, "c"), input(c, "b"), parse_num(c.get("st"), c.get("s")));
  if (kind == "ip") return inplace(op, form, input(c, "a"), input(c, "b"));
  if (kind == "ips") return inplace_scalar(op, form, input(c, "a"), parse_num(c.get("st"), c.get("s")));
  throw std::runtime_error("unknown kind '" + kind + "'");
}

// Ops whose zeros must carry PyTorch's sign: all but maximum and minimum,
// where PyTorch's own scalar and SIMD paths disagree (maximum(-0., 0.) is -0.
// for 8 floats and 0. for 17).
bool sign_matters(const std::string& op) { return !(op == "maximum" || op == "minimum"); }

std::string describe_inputs(const Case& c) {
  std::ostringstream os;
  for (const char* l : {"c", "a", "b"}) {
    const std::string name = c.name + "." + l;
    if (!tapegrad_test::has_ref(kFile, name)) continue;
    const RefTensor& r = tapegrad_test::ref(kFile, name);
    os << l << ": " << r.dtype << tapegrad_test::shape_of(r) << " ";
  }
  return os.str();
}

// Empty when tapegrad agrees with PyTorch on the case, else what differs.
std::string check_case(const Case& c) {
  const bool want_error = tapegrad_test::has_ref(kFile, c.name + ".err");
  std::optional<Any> got;
  std::string threw;
  try {
    got = run(c);
  } catch (const CompileRefused&) {
    return want_error ? "" : "tapegrad refuses this at compile time, PyTorch gives a value";
  } catch (const NotDispatched& e) {
    return std::string("TEST SETUP: no instantiation for ") + e.what() + " (generator and kMixedPair differ)";
  } catch (const tg::Error& e) {
    threw = e.what();
  } catch (const std::exception& e) {
    return std::string("threw a non-tapegrad exception: ") + e.what();
  }
  if (want_error) {
    if (got) {
      const Result r = result_of(*got);
      std::ostringstream os;
      os << "PyTorch raised (" << tapegrad_test::ref(kFile, c.name + ".err").text << ") but tapegrad returned "
         << r.dtype << r.shape;
      return os.str();
    }
    return "";
  }
  if (!got) return "tapegrad threw (" + threw + ") where PyTorch gives a value";
  return compare(result_of(*got), tapegrad_test::ref(kFile, c.name + ".out"), sign_matters(c.get("op")));
}

// Runs the cases of the given kinds (bug-labelled cases last) and reports each
// mismatch as a failed check naming the case, its bug label and what differs.
void run_kinds(std::initializer_list<const char*> kinds) {
  std::vector<Case> cases;
  for (auto& c : all_cases())
    if (std::find_if(kinds.begin(), kinds.end(), [&](const char* k) { return c.kv["kind"] == k; }) != kinds.end())
      cases.push_back(std::move(c));
  std::stable_partition(cases.begin(), cases.end(), [](const Case& c) { return c.bug().empty(); });
  tapegrad_test::check_op_cases(cases, [](const Case& c) {
    const std::string mm = check_case(c);
    return mm.empty() ? mm : describe_inputs(c) + "| " + mm;
  });
}

}  // namespace

TEST_CASE("fuzz elementwise: binary ops of two tensors match PyTorch") { run_kinds({"tt"}); }
TEST_CASE("fuzz elementwise: tensor-scalar and scalar-tensor ops match PyTorch") { run_kinds({"ts", "st"}); }
TEST_CASE("fuzz elementwise: where matches PyTorch") { run_kinds({"w", "ws", "sw"}); }
TEST_CASE("fuzz elementwise: in-place ops match PyTorch") { run_kinds({"ip", "ips"}); }
TEST_CASE("fuzz elementwise: unary ops and clamp match PyTorch") { run_kinds({"u"}); }
