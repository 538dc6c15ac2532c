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

// ---- the ops, one dtype combination at a time -------------------------------------
template <class A, class B>
Any binary_typed(const std::string& op, const std::string& form, const tg::Tensor<A>& a, const tg::Tensor<B>& b) {
  const bool sym = form == "op";
  const bool method = form == "method";
  if (op == "add") return sym ? Any(a + b) : Any(tg::add(a, b));
  if (op == "sub") {
    if constexpr (kSubCompiles<A, B>) return sym ? Any(a - b) : Any(tg::sub(a, b));
    else throw CompileRefused("sub");
  }
  if (op == "mul") return sym ? Any(a * b) : Any(tg::mul(a, b));
  if (op == "div") return sym ? Any(a / b) : Any(tg::div(a, b));
  if (op == "pow") {
    if constexpr (kPowCompiles<A, B>) return method ? Any(a.pow(b)) : Any(tg::pow(a, b));
    else throw CompileRefused("pow");
  }
  if (op == "maximum") return method ? Any(a.maximum(b)) : Any(tg::maximum(a, b));
  if (op == "minimum") return method ? Any(a.minimum(b)) : Any(tg::minimum(a, b));
  if (op == "eq") return sym ? Any(a == b) : Any(tg::eq(a, b));
  if (op == "ne") return sym ? Any(a != b) : Any(tg::ne(a, b));
  if (op == "lt") return sym ? Any(a < b) : Any(tg::lt(a, b));
  if (op == "le") return sym ? Any(a <= b) : Any(tg::le(a, b));
  if (op == "gt") return sym ? Any(a > b) : Any(tg::gt(a, b));
  if (op == "ge") return sym ? Any(a >= b) : Any(tg::ge(a, b));
  if (op == "logical_and" || op == "logical_or" || op == "logical_xor") {
    if (sym) {
      if constexpr (is_bool<A> && is_bool<B>) {
        if (op == "logical_and") return a & b;
        if (op == "logical_or") return a | b;
        return a ^ b;
      } else {
        throw std::runtime_error("&, |, ^ are for bool tensors only");
      }
    }
    if (op == "logical_and") return tg::logical_and(a, b);
    if (op == "logical_or") return tg::logical_or(a, b);
    return tg::logical_xor(a, b);
  }
  throw std::runtime_error("unknown binary op '" + op + "'");
}

Any binary(const std::string& op, const std::string& form, const Any& a, const Any& b) {
  return std::visit(
      [&](const auto& x, const auto& y) -> Any {
        using A = value_t<decltype(x)>;
        using B = value_t<decltype(y)>;
        if constexpr (kPair<A, B>) return binary_typed(op, form, x, y);
        else throw NotDispatched(std::string("binary ") + tg::dtype_name<A>() + ", " + tg::dtype_name<B>());
      },
      a, b);
}

// x op s (reverse: s op x).
template <class T, class S>
Any scalar_typed(const std::string& op, const std::string& form, bool reverse, const tg::Tensor<T>& x, S s) {
  using R = tg::scalar_promote_t<T, S>;
  if (op == "pow") {
    if (reverse) throw std::runtime_error("scalar ** tensor is not in tapegrad");
    if constexpr (!kPowCompiles<T, S>) throw CompileRefused("pow");
    else if constexpr (kPair<T, R>) return form == "method" ? Any(x.pow(s)) : Any(tg::pow(x, s));
    else throw NotDispatched("pow scalar");
  }
  if (reverse) {
    if constexpr (kPair<R, T>) {
      if (op == "add") return s + x;
      if (op == "sub") {
        if constexpr (kSubScalarCompiles<T, S>) return s - x;
        else throw CompileRefused("sub");
      }
      if (op == "mul") return s * x;
      if (op == "div") return s / x;
      if (op == "eq") return s == x;
      if (op == "ne") return s != x;
      if (op == "lt") return s < x;
      if (op == "le") return s <= x;
      if (op == "gt") return s > x;
      if (op == "ge") return s >= x;
    } else {
      throw NotDispatched("scalar op tensor");
    }
  } else {
    if constexpr (kPair<T, R>) {
      if (op == "add") return x + s;
      if (op == "sub") {
        if constexpr (kSubScalarCompiles<T, S>) return x - s;
        else throw CompileRefused("sub");
      }
      if (op == "mul") return x * s;
      if (op == "div") return x / s;
      if (op == "eq") return x == s;
      if (op == "ne") return x != s;
      if (op == "lt") return x < s;
      if (op == "le") return x <= s;
      if (op == "gt") return x > s;
      if (op == "ge") return x >= s;
    } else {
      throw NotDispatched("tensor op scalar");
    }
  }
  throw std::runtime_error("unknown tensor-scalar op '" + op + "'");
}

Any with_scalar(const std::string& op, const std::string& form, bool reverse, const Any& x, const Num& s) {
  return std::visit([&](const auto& t, auto v) -> Any { return scalar_typed(op, form, reverse, t, v); }, x, s);
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

template <class T>
Any unary_typed(const std::string& op, const std::string& form, const tg::Tensor<T>& x, std::optional<double> lo,
                std::optional<double> hi) {
  const bool method = form == "method";
  if (op == "exp") return method ? x.exp() : tg::exp(x);
  if (op == "log") return method ? x.log() : tg::log(x);
  if (op == "log1p") return method ? x.log1p() : tg::log1p(x);
  if (op == "sqrt") return method ? x.sqrt() : tg::sqrt(x);
  if (op == "rsqrt") return method ? x.rsqrt() : tg::rsqrt(x);
  if (op == "sigmoid") return method ? x.sigmoid() : tg::sigmoid(x);
  if (op == "tanh") return method ? x.tanh() : tg::tanh(x);
  if (op == "logical_not") {
    if (form == "op") {
      if constexpr (is_bool<T>) return ~x;
      else throw std::runtime_error("~ is for bool tensors only");
    }
    return method ? x.logical_not() : tg::logical_not(x);
  }
  if constexpr (kNonBoolUnaryCompiles<T>) {
    if (op == "abs") return method ? x.abs() : tg::abs(x);
    if (op == "neg") return form == "op" ? -x : (method ? x.neg() : tg::neg(x));
    if (op == "relu") return method ? x.relu() : tg::relu(x);
    if (op == "clamp") return method ? x.clamp(lo, hi) : tg::clamp(x, lo, hi);
    if (op == "clamp_") return x.clamp_(lo, hi);
    if (op == "relu_") return x.relu_();
  } else {
    if (op == "abs" || op == "neg" || op == "relu" || op == "clamp" || op == "clamp_" || op == "relu_")
      throw CompileRefused(op);
  }
  throw std::runtime_error("unknown unary op '" + op + "'");
}

Any unary(const std::string& op, const std::string& form, const Any& x, std::optional<double> lo,
          std::optional<double> hi) {
  return std::visit([&](const auto& t) -> Any { return unary_typed(op, form, t, lo, hi); }, x);
}

template <class U>
struct operand_type {  // a scalar operand's type
  using type = U;
};
template <class X>
struct operand_type<tg::Tensor<X>> {  // a tensor operand's element type
  using type = X;
};

// a.op_(b) or a op= b; the result is a afterwards. U is a tensor or a scalar
// type, R the dtype b joins the op as.
template <class T, class U, class R>
Any inplace_typed(const std::string& op, const std::string& form, const tg::Tensor<T>& a, const U& b) {
  const bool sym = form == "op";
  constexpr bool result_fits = tg::can_cast_v<tg::promote_t<T, R>, T>;
  if (op == "add_" || op == "mul_") {
    if constexpr (result_fits) {
      if (op == "add_") sym ? (void)(a += b) : (void)a.add_(b);
      else sym ? (void)(a *= b) : (void)a.mul_(b);
      return a;
    } else {
      throw CompileRefused(op);
    }
  }
  if (op == "sub_") {
    if constexpr (result_fits && kSubInplaceCompiles<T, typename operand_type<U>::type>) {
      sym ? (void)(a -= b) : (void)a.sub_(b);
      return a;
    } else {
      throw CompileRefused(op);
    }
  }
  if (op == "div_") {
    if constexpr (tg::can_cast_v<tg::true_div_t<T, R>, T>) {
      sym ? (void)(a /= b) : (void)a.div_(b);
      return a;
    } else {
      throw CompileRefused(op);
    }
  }
  throw std::runtime_error("unknown in-place op '" + op + "'");
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
