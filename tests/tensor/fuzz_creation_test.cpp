// Randomized differential test of the creation, indexing and comparison
// utilities against PyTorch 1.13: replays every case of
// tests/reference/fuzz_creation.txt (written by tools/gen_fuzz_misc.py, whose
// docstring describes the cases): arange, linspace, eye, zeros, ones, full,
// empty, the *_like factories, tensor() from nested braces, element access
// x(i, j) and x.at({i, j}), item(), x[i], select, narrow, slice, cat, stack,
// isclose, allclose and equal. Each result must have PyTorch's dtype, shape
// and values (floats bit for bit, signed zeros and NaN included, except where
// the case says tol=ulp), the views PyTorch's strides and storage offset;
// where PyTorch raised, tapegrad must throw a tapegrad::Error.
//
// Compile time: every op is a function of one dtype (8 instantiations each;
// equal() also takes the mixed pairs of kEqualPair); nothing per case.
//
// Cases marked bug=<label> hit a mismatch this fuzzer found, fixed since (the labels are
// listed in tools/gen_fuzz_misc.py's docstring); the failure message names the
// label. They run in the last test case, so that one that stops the program
// (undefined behaviour under the sanitizers) cannot hide the other cases; in
// a sanitizer build each is named on stderr before it runs.
// Regenerate the file with: /usr/bin/python3 tools/gen_fuzz_misc.py
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "support/fuzz_replay.hpp"
#include "support/reference.hpp"
#include "support/tensor_check.hpp"

namespace {

namespace tg = tapegrad;
using tapegrad_test::RefTensor;

const char* const kFile = "fuzz_creation.txt";

const RefTensor& rec(const std::string& name) { return tapegrad_test::ref(kFile, name); }
bool has(const std::string& name) { return tapegrad_test::has_ref(kFile, name); }

using Any = tapegrad_test::AnyTensor;
template <class T>
using value_t = typename std::decay_t<T>::value_type;
template <class A, class B, class X, class Y>
inline constexpr bool is_pair = std::is_same_v<A, X> && std::is_same_v<B, Y>;

// The mixed dtype pairs of equal(); keep equal to EQUAL_MIXED in tools/gen_fuzz_misc.py.
template <class A, class B>
inline constexpr bool kEqualPair =
    std::is_same_v<A, B> || is_pair<A, B, int64_t, float> || is_pair<A, B, float, int64_t> ||
    is_pair<A, B, uint8_t, int8_t> || is_pair<A, B, int8_t, uint8_t> || is_pair<A, B, bool, int64_t> ||
    is_pair<A, B, uint8_t, float> || is_pair<A, B, float, double> || is_pair<A, B, int32_t, int64_t> ||
    is_pair<A, B, bool, uint8_t>;

// The test itself is wrong (a case it cannot run): reported as such.
struct SetupError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---- cases ---------------------------------------------------------------------------
struct Case : tapegrad_test::OpCase {
  int64_t i64(const std::string& k) const { return std::stoll(get(k)); }
  double f64(const std::string& k) const { return std::strtod(get(k).c_str(), nullptr); }
};
std::vector<Case> all_cases() {
  std::vector<Case> out;
  for (auto& c : tapegrad_test::op_cases(kFile)) out.push_back(Case{std::move(c)});
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep))
    if (!part.empty()) out.push_back(part);
  return out;
}

std::vector<int64_t> parse_ints(const std::string& s) {  // "1,-2,3"; "" is none
  std::vector<int64_t> out;
  for (const std::string& p : split(s, ',')) out.push_back(std::stoll(p));
  return out;
}

std::optional<int64_t> opt_int(const std::string& s) {
  return s == "none" ? std::nullopt : std::optional<int64_t>(std::stoll(s));
}

// A value token (fnum in the generator) as T: integers exactly, doubles by strtod.
template <class T>
T parse_value(const std::string& s) {
  if constexpr (std::is_same_v<T, bool>) return s == "1";
  else if constexpr (tg::FloatingElement<T>) return static_cast<T>(std::strtod(s.c_str(), nullptr));
  else return static_cast<T>(std::stoll(s));
}

Any load_any(const std::string& name, const std::string& view) {
  return tapegrad_test::laid_out_any(rec(name), view);
}

// Calls f(T{}) for the dtype named dt.
template <class F>
decltype(auto) with_dtype(const std::string& dt, F&& f) {
  if (dt == "bool") return f(bool{});
  if (dt == "uint8") return f(uint8_t{});
  if (dt == "int8") return f(int8_t{});
  if (dt == "int16") return f(int16_t{});
  if (dt == "int32") return f(int32_t{});
  if (dt == "int64") return f(int64_t{});
  if (dt == "float32") return f(float{});
  if (dt == "float64") return f(double{});
  throw SetupError("unknown dtype '" + dt + "'");
}

// ---- what tapegrad gave -------------------------------------------------------------------
struct Got {
  std::string dtype;
  tg::Shape shape;
  bool floating = false;
  std::vector<double> values;  // floating results
  std::vector<int64_t> ints;   // integer and bool results
  std::optional<tg::Shape> strides;
  std::optional<int64_t> offset;
  bool values_known = true;  // false for empty()/empty_like(): uninitialised memory
};

template <class T>
Got got_of(const tg::Tensor<T>& t, bool layout = false) {
  Got g;
  g.dtype = tg::dtype_name<T>();
  g.shape = t.sizes();
  g.floating = tg::FloatingElement<T>;
  if (layout) {
    g.strides = t.strides();
    g.offset = t.storage_offset();
  }
  // (no values read from a tensor whose shape is already wrong: it may claim
  // more elements than its storage holds)
  return g;
}

template <class T>
void read_values(Got& g, const tg::Tensor<T>& t) {
  for (T v : t.to_vector()) {
    if constexpr (tg::FloatingElement<T>) g.values.push_back(static_cast<double>(v));
    else g.ints.push_back(static_cast<int64_t>(v));
  }
}

// The result and, when its shape is PyTorch's, its values.
template <class T>
Got result(const tg::Tensor<T>& t, const Case& c, bool layout = false) {
  Got g = got_of(t, layout);
  if (has(c.name + ".out") && g.shape == tapegrad_test::shape_of(rec(c.name + ".out"))) read_values(g, t);
  return g;
}

template <class T>
Got scalar_result(T v) {  // a 0-d result (an element, item())
  Got g;
  g.dtype = tg::dtype_name<T>();
  g.floating = tg::FloatingElement<T>;
  if constexpr (tg::FloatingElement<T>) g.values.push_back(static_cast<double>(v));
  else g.ints.push_back(static_cast<int64_t>(v));
  return g;
}

Got bool_result(bool v) { return scalar_result<bool>(v); }

// ---- the ops, one dtype at a time -----------------------------------------------------------
template <class T>
Got creation_typed(const Case& c) {
  const std::string kind = c.get("kind");
  if (kind == "arange" || kind == "linspace") {
    if constexpr (std::is_same_v<T, bool>) {
      throw SetupError("arange/linspace of bool are not generated");
    } else {
      if (kind == "linspace") return result(tg::linspace<T>(c.f64("start"), c.f64("end"), c.i64("steps")), c);
      const int64_t n = c.i64("n");
      if (n == 1) return result(tg::arange<T>(c.f64("end")), c);
      if (n == 2) return result(tg::arange<T>(c.f64("start"), c.f64("end")), c);
      return result(tg::arange<T>(c.f64("start"), c.f64("end"), c.f64("step")), c);
    }
  }
  if (kind == "eye") return result(tg::eye<T>(c.i64("n"), opt_int(c.get("m"))), c);
  const tg::Shape shape = tapegrad_test::parse_x_shape(c.get("shape"));
  if (kind == "zeros") return result(tg::zeros<T>(shape), c);
  if (kind == "ones") return result(tg::ones<T>(shape), c);
  if (kind == "full") return result(tg::full<T>(shape, parse_value<T>(c.get("value"))), c);
  if (kind == "empty") {
    Got g = got_of(tg::empty<T>(shape));
    g.values_known = false;
    return g;
  }
  throw SetupError("unknown creation kind '" + kind + "'");
}

template <class T>
Got whole(const tg::Tensor<T>& t) {
  Got g = got_of(t);
  read_values(g, t);
  return g;
}

// tg::tensor<T>(nested braces): the lists of NESTED in tools/gen_fuzz_misc.py, by id
// (keep the two tables equal).
Got nested(int64_t id) {
  switch (id) {
    case 0: return whole(tg::tensor<float>({1.0f, 2.5f, -3.0f}));
    case 1: return whole(tg::tensor<float>({{1, 0}, {0, 1}}));
    case 2: return whole(tg::tensor<double>({{{1, 2}, {3, 4}, {5, 6}}}));
    case 3: return whole(tg::tensor<int64_t>({{{{1, 2}}, {{3, 4}}}, {{{5, 6}}, {{7, 8}}}}));
    case 4: return whole(tg::tensor<int32_t>({{1, -2, 3}}));
    case 5: return whole(tg::tensor<bool>({{true, false}, {false, true}, {true, true}}));
    case 6: return whole(tg::tensor<uint8_t>({0, 255, 7}));
    case 7: return whole(tg::tensor<int8_t>({{-128}, {127}}));
    case 8: return whole(tg::tensor<int16_t>({{{-3}}}));
    case 9: return whole(tg::tensor<float>({}));
    case 10: return whole(tg::tensor<float>({{}, {}}));
    case 11: return whole(tg::tensor<int64_t>({{{}}}));
    case 12: return whole(tg::tensor<double>({{{}, {}}, {{}, {}}}));
    case 13: return whole(tg::tensor<float>({{1.5f}}));
    case 14: return whole(tg::tensor<float>({{1, 2}, {3}}));
    case 15: return whole(tg::tensor<int64_t>({{{1, 2}, {3, 4}}, {{5, 6}, {7}}}));
    case 16: return whole(tg::tensor<double>({{1}, {2, 3}}));
    case 17: return whole(tg::tensor<float>({{{{1, 2}}}, {{{3, 4, 5}}}}));
    default: break;
  }
  throw SetupError("unknown nested id " + std::to_string(id));
}

// zeros_like and friends of the input (its strides are compared too).
template <class T>
Got like_typed(const Case& c, const tg::Tensor<T>& x) {
  const std::string kind = c.get("kind");
  Got g;
  if (kind == "zeros_like") g = result(tg::zeros_like(x), c, true);
  else if (kind == "ones_like") g = result(tg::ones_like(x), c, true);
  else if (kind == "full_like") g = result(tg::full_like(x, parse_value<T>(c.get("value"))), c, true);
  else if (kind == "empty_like") {
    g = got_of(tg::empty_like(x), true);
    g.values_known = false;
  } else {
    throw SetupError("unknown kind '" + kind + "'");
  }
  g.offset.reset();  // (a fresh tensor: PyTorch's offset is 0, tapegrad's too; not compared)
  return g;
}

// x(i, j, ..) or x.at({i, j, ..}) with dim() indices.
template <class T>
Got elem_typed(const Case& c, const tg::Tensor<T>& x) {
  const std::vector<int64_t> i = parse_ints(c.get("idx"));
  const bool call = c.get("form") == "call";
  switch (i.size()) {
    case 0: return scalar_result<T>(call ? x() : x.at({}));
    case 1: return scalar_result<T>(call ? x(i[0]) : x.at({i[0]}));
    case 2: return scalar_result<T>(call ? x(i[0], i[1]) : x.at({i[0], i[1]}));
    case 3: return scalar_result<T>(call ? x(i[0], i[1], i[2]) : x.at({i[0], i[1], i[2]}));
    case 4: return scalar_result<T>(call ? x(i[0], i[1], i[2], i[3]) : x.at({i[0], i[1], i[2], i[3]}));
    default: break;
  }
  throw SetupError("elem: too many indices");
}

// x[i][j].., select, narrow, slice: views, compared with their strides and offset.
template <class T>
Got view_typed(const Case& c, const tg::Tensor<T>& x) {
  const std::string kind = c.get("kind");
  if (kind == "item") return scalar_result<T>(x.item());
  if (kind == "elem") return elem_typed(c, x);
  if (kind == "index") {
    tg::Tensor<T> y = x;
    for (int64_t i : parse_ints(c.get("idx"))) y = y[i];
    return result(y, c, true);
  }
  if (kind.size() > 5 && kind.compare(kind.size() - 5, 5, "_like") == 0) return like_typed(c, x);
  const int64_t d = c.i64("dim");
  if (kind == "select") return result(x.select(d, c.i64("i")), c, true);
  if (kind == "narrow") return result(x.narrow(d, c.i64("start"), c.i64("len")), c, true);
  if (kind == "slice") return result(x.slice(d, opt_int(c.get("start")), opt_int(c.get("end")), c.i64("step")), c, true);
  throw SetupError("unknown kind '" + kind + "'");
}

template <class T>
Got cat_typed(const Case& c) {
  std::vector<tg::Tensor<T>> xs;
  const int64_t k = c.i64("k");
  for (int64_t i = 0; i < k; ++i) {
    // std::string(...) + ...: "lit" + string&& trips GCC 12's -Wrestrict on aarch64 (bug 105329)
    const std::string index = std::to_string(i);
    xs.push_back(std::get<tg::Tensor<T>>(load_any(c.name + ".x" + index, c.get(std::string("v") + index))));
  }
  const int64_t d = c.i64("dim");
  return result(c.get("kind") == "cat" ? tg::cat(xs, d) : tg::stack(xs, d), c);
}

template <class T>
Got close_typed(const Case& c, const tg::Tensor<T>& a, const tg::Tensor<T>& b) {
  const double rtol = c.f64("rtol"), atol = c.f64("atol");
  const bool equal_nan = c.get("equal_nan") == "1";
  if (c.get("kind") == "allclose") return bool_result(tg::allclose(a, b, rtol, atol, equal_nan));
  return result(tg::isclose(a, b, rtol, atol, equal_nan), c);
}

Got compare_any(const Case& c) {
  const Any a = load_any(c.name + ".a", c.get("va")), b = load_any(c.name + ".b", c.get("vb"));
  return std::visit(
      [&](const auto& x, const auto& y) -> Got {
        using A = value_t<decltype(x)>;
        using B = value_t<decltype(y)>;
        if (c.get("kind") == "equal") {
          if constexpr (kEqualPair<A, B>) return bool_result(tg::equal(x, y));
          else throw SetupError("equal: mixed pair not dispatched (kEqualPair and EQUAL_MIXED differ)");
        }
        if constexpr (std::is_same_v<A, B>) return close_typed(c, x, y);
        else throw SetupError("isclose of two dtypes is not generated");
      },
      a, b);
}

// Runs the case through tapegrad: what it gave, or throws.
Got run(const Case& c) {
  const std::string kind = c.get("kind");
  if (kind == "nested") return nested(c.i64("id"));
  if (kind == "arange" || kind == "linspace" || kind == "eye" || kind == "zeros" || kind == "ones" ||
      kind == "full" || kind == "empty")
    return with_dtype(c.get("dt"), [&](auto t) { return creation_typed<decltype(t)>(c); });
  if (kind == "cat" || kind == "stack")
    return with_dtype(c.get("dt"), [&](auto t) { return cat_typed<decltype(t)>(c); });
  if (kind == "isclose" || kind == "allclose" || kind == "equal") return compare_any(c);
  const Any x = load_any(c.name + ".a", c.get("va"));
  return std::visit([&](const auto& t) { return view_typed(c, t); }, x);
}

// ---- comparing with PyTorch's record -----------------------------------------------------------
// Empty when `got` is PyTorch's result: dtype, shape, values (integers exactly,
// floats bit for bit with NaN where PyTorch has NaN, or within 4 ulps of the
// larger bound where tol=ulp, and integers within 1 there), strides and offset.
std::string compare(const Case& c, const Got& got) {
  const RefTensor& want = rec(c.name + ".out");
  std::ostringstream os;
  os.precision(17);
  if (got.dtype != want.dtype) os << "dtype " << got.dtype << " != PyTorch's " << want.dtype << "; ";
  if (!(got.shape == tapegrad_test::shape_of(want))) {
    os << "shape " << got.shape << " != PyTorch's " << tapegrad_test::shape_of(want);
    return os.str();
  }
  if (got.values_known) {
    const bool ulp = c.kv.count("tol") && c.get("tol") == "ulp";
    double atol = 0;
    if (ulp && want.is_float()) {
      const double eps = want.dtype == "float32" ? 0x1p-23 : 0x1p-52;
      atol = 4 * eps * std::max(std::abs(c.f64("start")), std::abs(c.f64("end")));
    }
    int shown = 0;
    for (size_t i = 0; i < want.values.size() && shown < 4; ++i) {
      bool ok;
      double g;
      if (got.floating) {
        g = got.values[i];
        const double w = want.values[i];
        if (std::isnan(w) || std::isnan(g)) ok = std::isnan(w) && std::isnan(g);
        else if (ulp) ok = g == w || std::abs(g - w) <= atol;
        else ok = g == w && std::signbit(g) == std::signbit(w);
      } else {
        g = static_cast<double>(got.ints[i]);
        const int64_t diff = got.ints[i] - want.ints[i];
        ok = diff == 0 || (ulp && (diff == 1 || diff == -1));
      }
      if (!ok) {
        os << "[" << i << "] got " << g << " want " << want.values[i] << "; ";
        ++shown;
      }
    }
  }
  if (got.strides && has(c.name + ".strides")) {
    const std::vector<int64_t>& ws = rec(c.name + ".strides").ints;
    const tg::Shape& gs = *got.strides;
    bool same = gs.size() == static_cast<int64_t>(ws.size());
    const bool like = c.get("kind").find("_like") != std::string::npos;
    for (size_t d = 0; same && d < ws.size(); ++d)  // (*_like: the strides of dims of size 1 are free)
      same = gs[d] == ws[d] || (like && (got.shape[d] == 1 || tg::shape_numel(got.shape) == 0));
    if (!same) {
      os << "strides " << gs << " != PyTorch's [";
      for (size_t d = 0; d < ws.size(); ++d) os << (d ? ", " : "") << ws[d];
      os << "]; ";
    }
  }
  if (got.offset && has(c.name + ".offset") && *got.offset != rec(c.name + ".offset").ints.at(0))
    os << "storage offset " << *got.offset << " != PyTorch's " << rec(c.name + ".offset").ints.at(0) << "; ";
  return os.str();
}

// Empty when tapegrad agrees with PyTorch on the case, else what differs.
std::string check_case(const Case& c) {
  const bool want_error = has(c.name + ".err");
  std::optional<Got> got;
  std::string threw;
  try {
    got = run(c);
  } catch (const SetupError& e) {
    return std::string("TEST SETUP: ") + e.what();
  } catch (const tg::Error& e) {
    threw = e.what();
  } catch (const std::exception& e) {
    return std::string("threw a non-tapegrad exception: ") + e.what();
  }
  if (want_error) {
    if (!got) return "";
    std::ostringstream os;
    os << "PyTorch raised (" << rec(c.name + ".err").text << ") but tapegrad returned " << got->dtype << got->shape;
    if (!got->ints.empty() || !got->values.empty()) {
      os << " {";
      const size_t n = got->floating ? got->values.size() : got->ints.size();
      for (size_t i = 0; i < std::min<size_t>(n, 8); ++i)
        os << (i ? ", " : "") << (got->floating ? got->values[i] : static_cast<double>(got->ints[i]));
      os << (n > 8 ? ", ...}" : "}");
    }
    return os.str();
  }
  if (!got) return "tapegrad threw (" + threw + ") where PyTorch gives a value";
  return compare(c, *got);
}

std::string describe_inputs(const Case& c) {
  std::ostringstream os;
  for (const std::string l : {"a", "b", "x0", "x1", "x2", "x3", "x4"}) {
    const std::string name = c.name + "." + l;
    if (!has(name)) continue;
    const RefTensor& r = rec(name);
    os << l << ": " << r.dtype << tapegrad_test::shape_of(r) << " ";
  }
  return os.str();
}

#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_SANITIZED 1
#endif
#endif

// Under the sanitizers a bug-labelled case may stop the program (undefined
// behaviour, -fno-sanitize-recover) before doctest reports anything: name it first.
void announce([[maybe_unused]] const Case& c) {
#ifdef FUZZ_SANITIZED
  if (c.bug().empty()) return;
  std::cout.flush();  // (what doctest reported so far)
  std::fprintf(stderr, "fuzz_creation: running %s [%s]\n", c.name.c_str(), c.bug().c_str());
#endif
}

// Runs the cases of the given kinds, in that order: those without a bug
// label, or (bugs) only the bug-labelled ones. Reports each mismatch as a
// failed check naming the case, its bug label and what differs.
void run_kinds(std::initializer_list<const char*> kinds, bool bugs = false) {
  std::vector<Case> all = all_cases(), cases;
  for (const char* k : kinds)
    for (const Case& c : all)
      if (c.kv.at("kind") == k && c.bug().empty() != bugs) cases.push_back(c);
  tapegrad_test::check_op_cases(cases, [](const Case& c) {
    announce(c);
    const std::string mm = check_case(c);
    return mm.empty() ? mm : describe_inputs(c) + "| " + mm;
  });
}

}  // namespace

TEST_CASE("fuzz creation: arange matches PyTorch") { run_kinds({"arange"}); }
TEST_CASE("fuzz creation: linspace matches PyTorch") { run_kinds({"linspace"}); }
TEST_CASE("fuzz creation: eye, zeros, ones, full, empty match PyTorch") {
  run_kinds({"eye", "zeros", "ones", "full", "empty"});
}
TEST_CASE("fuzz creation: the *_like factories match PyTorch") {
  run_kinds({"zeros_like", "ones_like", "full_like", "empty_like"});
}
TEST_CASE("fuzz creation: tensor() from nested braces matches torch.tensor") { run_kinds({"nested"}); }
TEST_CASE("fuzz indexing: element access and item() match PyTorch") { run_kinds({"elem", "item"}); }
TEST_CASE("fuzz indexing: x[i], select, narrow and slice match PyTorch") {
  run_kinds({"index", "select", "narrow", "slice"});
}
TEST_CASE("fuzz indexing: cat and stack match PyTorch") { run_kinds({"cat", "stack"}); }
TEST_CASE("fuzz comparison: isclose, allclose and equal match PyTorch") { run_kinds({"isclose", "allclose", "equal"}); }
// Last, so that under the sanitizers (where undefined behaviour stops the
// program) every other case has run: the cases of the mismatches this fuzzer
// found, those that are not undefined behaviour first.
TEST_CASE("fuzz creation, indexing, comparison: the cases of known bugs match PyTorch") {
  run_kinds({"zeros_like", "ones_like", "full_like", "empty_like", "isclose", "allclose", "equal", "nested", "elem",
             "item", "cat", "stack", "index", "select", "narrow", "slice", "eye", "zeros", "ones", "full", "empty",
             "linspace", "arange"},
            true);
}
