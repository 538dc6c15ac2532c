// Randomised differential test of the reductions and the matmul family
// against PyTorch: replays every case of tests/reference/fuzz_reductions.txt
// (tools/gen_fuzz_reductions.py, which documents the record layout).
//
// Each case is an input of any dtype (bool .. float64), made non-contiguous
// by the view ops of its spec (transpose, permute, slice with a step,
// expand), and one op with its dims/keepdim/correction or beta/alpha. The
// result must have PyTorch's dtype and shape and its values: exactly for
// integers, bool, indices and the results the generator proved exactly
// representable (tol=exact: sums/products of multiples of 0.25, max/min, the
// matmul family on such values); otherwise within rtol 1e-5, atol 1e-6
// (float32) or rtol 1e-12, atol 1e-14 (float64); NaN where PyTorch has NaN.
// Where PyTorch raised, tapegrad must throw a tapegrad::Error.
//
// The `min.<what>` cases are hand-minimised reproductions of mismatches the
// random cases found, fixed since (tools/gen_fuzz_reductions.py says what
// each shows); `min.ub_*` gave the right values and failed only under
// -fsanitize=undefined (pointer arithmetic on the null data of an empty
// storage).
//
// Compile time: the runners are templates over the 8 dtypes (6 for the
// floating-only ops, 2 for the matmul family), each op instantiated once per
// dtype; nothing is instantiated per case.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <variant>
#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/fuzz_replay.hpp"
#include "support/reference.hpp"
#include "support/tensor_check.hpp"

namespace {

using tapegrad_test::split;
using tapegrad_test::words;
using tapegrad_test::to_int;

namespace tg = tapegrad;
using tapegrad_test::RefTensor;

const char* const kFile = "fuzz_reductions.txt";

const RefTensor& rec(const std::string& name) { return tapegrad_test::ref(kFile, name); }
bool has(const std::string& name) { return tapegrad_test::has_ref(kFile, name); }




// One case's spec: the layout lines per operand ("" for a reduction's x) and the op's key=value pairs.
struct Spec {
  std::vector<std::pair<std::string, std::string>> layout;
  std::map<std::string, std::string> kv;
  bool has(const std::string& k) const { return kv.count(k) != 0; }
  const std::string& at(const std::string& k) const {
    auto it = kv.find(k);
    if (it == kv.end()) throw std::runtime_error("fuzz spec: missing key '" + k + "'");
    return it->second;
  }
};

Spec parse_spec(const std::string& text) {
  Spec s;
  for (const std::string& line : split(text, '\n')) {
    if (line.empty()) continue;
    if (line[0] == 'L') {
      const auto sp = line.find(' ');
      s.layout.emplace_back(line.substr(1, sp - 1), line.substr(sp + 1));
      continue;
    }
    for (const std::string& w : words(line)) {
      const auto eq = w.find('=');
      if (eq == std::string::npos) throw std::runtime_error("fuzz spec: bad token '" + w + "'");
      s.kv[w.substr(0, eq)] = w.substr(eq + 1);
    }
  }
  return s;
}

tg::Shape int_list(const std::string& csv) {
  tg::Shape out;
  if (csv.empty()) return out;
  for (const std::string& p : split(csv, ',')) out.push_back(to_int(p));
  return out;
}


// The layout ops of the generator's grammar that turn a base into a non-contiguous input.
template <class T>
tg::Tensor<T> apply_layout(const tg::Tensor<T>& x, const std::string& line) {
  const auto w = words(line);
  tg::Shape a;
  if (w[0] != "slice")
    for (size_t i = 1; i < w.size(); ++i) a.push_back(to_int(w[i]));
  if (w[0] == "transpose") return x.transpose(a[0], a[1]);
  if (w[0] == "permute") return x.permute(a);
  if (w[0] == "expand") return x.expand(a);
  if (w[0] == "slice") {
    auto opt = [](const std::string& v) { return v == "_" ? std::nullopt : std::optional<int64_t>(to_int(v)); };
    return x.slice(to_int(w[1]), opt(w[2]), opt(w[3]), to_int(w[4]));
  }
  throw std::runtime_error("fuzz spec: unknown layout op '" + line + "'");
}

// Empty when `got` has the record's dtype, shape and values (within tol unless exact).
template <class R>
std::string compare(const tg::Tensor<R>& got, const std::string& record, bool exact) {
  if (!has(record)) return "";  // PyTorch raised: outcome() reports that tapegrad did not
  const RefTensor& want = rec(record);
  if (std::string(tg::dtype_name<R>()) != want.dtype) {
    std::ostringstream os;
    os << record << ": dtype " << std::string(tg::dtype_name<R>()) << " != PyTorch's " << want.dtype << " (shape "
       << got.sizes() << " vs " << tapegrad_test::shape_of(want) << ")";
    return os.str();
  }
  tapegrad_test::Tol tol{};
  if (!exact) tol = std::is_same_v<R, float> ? tapegrad_test::Tol{1e-5, 1e-6} : tapegrad_test::Tol{1e-12, 1e-14};
  const std::string m = tapegrad_test::mismatch(got, want, tol);
  return m.empty() ? m : record + ": " + m;
}

// Runs `f` (the tapegrad side of a case, returning a mismatch text) and holds it
// to PyTorch's outcome: a value, or an error (then a tapegrad::Error is due).
template <class F>
std::string outcome(const std::string& name, F&& f) {
  const bool torch_raised = has(name + ".error");
  std::string result;
  try {
    result = f();
  } catch (const tg::Error& e) {
    if (torch_raised) return "";
    return std::string("tapegrad threw '") + e.what() + "' where PyTorch gives a value";
  } catch (const std::exception& e) {
    return std::string("non-tapegrad exception '") + e.what() + "'" +
           (torch_raised ? " (PyTorch: " + rec(name + ".error").text + ")" : "");
  }
  if (torch_raised) return "PyTorch raised '" + rec(name + ".error").text + "' but tapegrad gave a result";
  return result;
}

// ---- reductions ---------------------------------------------------------------------------------

// A reduction case's dims: all (the no-dim overload), one dim, or a list.
struct Dims {
  bool all = false, one = false, keep = false;
  int64_t d = 0, correction = 0;
  tg::Shape list;
};
// One output, or values and indices (max/min along a dim).
template <class T>
struct Result {
  tapegrad_test::AnyTensor out;
  std::optional<tg::ValuesIndices<T>> vi;
  Result(tapegrad_test::AnyTensor o) : out(std::move(o)) {}  // NOLINT: implicit, for the entries
  Result(tg::ValuesIndices<T> r) : out(r.values), vi(std::move(r)) {}  // NOLINT
};
template <class T>
using ReduceFn = std::function<Result<T>(const tg::Tensor<T>& x, const Dims& k)>;
// An entry for the floating dtypes only: mean, var, ... of an integer tensor do
// not compile in tapegrad (PyTorch raises), and the generator never asks.
template <class T, class F>
ReduceFn<T> floating(F f) {
  if constexpr (tg::FloatingElement<T>) return f;
  else return [](const tg::Tensor<T>&, const Dims&) -> Result<T> {
    throw std::logic_error("fuzz spec: a floating-only reduction asked for an integer dtype");
  };
}

// The registry: one entry per reduction of the op table (tools/fuzz_ops.py, fuzz="reductions").
template <class T>
const std::map<std::string, ReduceFn<T>>& reductions() {
  using A = tapegrad_test::AnyTensor;
  static const std::map<std::string, ReduceFn<T>> r = {
      // [fuzz registry reductions: red_any red_float]
      {"sum", [](const auto& x, const Dims& k) -> Result<T> {
         return k.all ? A(tg::sum(x)) : k.one ? A(tg::sum(x, k.d, k.keep)) : A(tg::sum(x, k.list, k.keep));
       }},
      {"prod", [](const auto& x, const Dims& k) -> Result<T> { return k.all ? A(tg::prod(x)) : A(tg::prod(x, k.d, k.keep)); }},
      {"max", [](const auto& x, const Dims& k) -> Result<T> { return k.all ? Result<T>(A(tg::max(x))) : Result<T>(tg::max(x, k.d, k.keep)); }},
      {"min", [](const auto& x, const Dims& k) -> Result<T> { return k.all ? Result<T>(A(tg::min(x))) : Result<T>(tg::min(x, k.d, k.keep)); }},
      {"argmax", [](const auto& x, const Dims& k) -> Result<T> { return k.all ? A(tg::argmax(x)) : A(tg::argmax(x, k.d, k.keep)); }},
      {"argmin", [](const auto& x, const Dims& k) -> Result<T> { return k.all ? A(tg::argmin(x)) : A(tg::argmin(x, k.d, k.keep)); }},
      {"mean", floating<T>([](const auto& x, const Dims& k) -> Result<T> {
         return k.all ? A(tg::mean(x)) : k.one ? A(tg::mean(x, k.d, k.keep)) : A(tg::mean(x, k.list, k.keep));
       })},
      {"var", floating<T>([](const auto& x, const Dims& k) -> Result<T> {
         return k.all ? A(x.var(k.correction)) : k.one ? A(tg::var(x, k.d, k.correction, k.keep)) : A(tg::var(x, k.list, k.correction, k.keep));
       })},
      {"std", floating<T>([](const auto& x, const Dims& k) -> Result<T> {
         return k.all ? A(x.std(k.correction)) : k.one ? A(tg::std(x, k.d, k.correction, k.keep)) : A(tg::std(x, k.list, k.correction, k.keep));
       })},
      {"logsumexp", floating<T>([](const auto& x, const Dims& k) -> Result<T> { return A(tg::logsumexp(x, k.d, k.keep)); })},
      {"softmax", floating<T>([](const auto& x, const Dims& k) -> Result<T> { return A(tg::softmax(x, k.d)); })},
      {"log_softmax", floating<T>([](const auto& x, const Dims& k) -> Result<T> { return A(tg::log_softmax(x, k.d)); })},
      // [end fuzz registry]
  };
  return r;
}

template <class T>
std::string run_reduction(const std::string& name, const Spec& spec) {
  auto x = tapegrad_test::load<T>(kFile, name + ".x");
  for (const auto& [who, line] : spec.layout) x = apply_layout(x, line);
  const auto entry = reductions<T>().find(spec.at("op"));
  if (entry == reductions<T>().end()) return "no registry entry for '" + spec.at("op") + "'";
  const bool exact = spec.at("tol") == "exact";
  Dims k;
  k.keep = spec.has("keepdim") && spec.at("keepdim") == "1";
  k.all = spec.has("dims") && spec.at("dims") == "all";
  k.one = spec.has("dim");
  k.d = k.one ? to_int(spec.at("dim")) : 0;
  k.list = (!k.all && !k.one) ? int_list(spec.at("dims")) : tg::Shape{};
  k.correction = spec.has("correction") ? to_int(spec.at("correction")) : 0;
  return outcome(name, [&]() -> std::string {
    const Result<T> r = entry->second(x, k);
    if (r.vi) return compare(r.vi->values, name + ".values", true) + compare(r.vi->indices, name + ".indices", true);
    return std::visit([&](const auto& t) { return compare(t, name + ".out", exact); }, r.out);
  });
}

// ---- the matmul family -----------------------------------------------------------------------

template <class T>
std::string run_matmul(const std::string& name, const Spec& spec) {
  const std::string& op = spec.at("op");
  std::map<std::string, tg::Tensor<T>> in;
  in["a"] = tapegrad_test::load<T>(kFile, name + ".a");
  in["b"] = tapegrad_test::load<T>(kFile, name + ".b");
  if (op == "addmm") in["bias"] = tapegrad_test::load<T>(kFile, name + ".bias");
  for (const auto& [who, line] : spec.layout) in.at(who) = apply_layout(in.at(who), line);
  const auto& a = in.at("a");
  const auto& b = in.at("b");
  const bool exact = spec.at("tol") == "exact";
  const std::string out = name + ".out";
  return outcome(name, [&]() -> std::string {
    if (op == "matmul") return compare(tg::matmul(a, b), out, exact);
    if (op == "mm") return compare(tg::mm(a, b), out, exact);
    if (op == "mv") return compare(tg::mv(a, b), out, exact);
    if (op == "dot") return compare(tg::dot(a, b), out, exact);
    if (op == "bmm") return compare(tg::bmm(a, b), out, exact);
    if (op == "outer") return compare(tg::outer(a, b), out, exact);
    if (op == "addmm") {
      const double beta = std::strtod(spec.at("beta").c_str(), nullptr);
      const double alpha = std::strtod(spec.at("alpha").c_str(), nullptr);
      return compare(tg::addmm(in.at("bias"), a, b, beta, alpha), out, exact);
    }
    throw std::runtime_error("fuzz spec: unknown matmul op '" + op + "'");
  });
}

bool is_matmul(const std::string& op) {
  return op == "matmul" || op == "mm" || op == "mv" || op == "dot" || op == "bmm" || op == "outer" ||
         op == "addmm";
}

// One case: its dtype (of .x or .a) picks the instantiation.
std::string run_case(const std::string& name) {
  const Spec spec = parse_spec(rec(name + ".spec").text);
  if (is_matmul(spec.at("op"))) {
    const std::string& dt = rec(name + ".a").dtype;
    if (dt == "float32") return run_matmul<float>(name, spec);
    if (dt == "float64") return run_matmul<double>(name, spec);
    return "unexpected matmul dtype " + dt;
  }
  const std::string& dt = rec(name + ".x").dtype;
  if (dt == "bool") return run_reduction<bool>(name, spec);
  if (dt == "uint8") return run_reduction<uint8_t>(name, spec);
  if (dt == "int8") return run_reduction<int8_t>(name, spec);
  if (dt == "int16") return run_reduction<int16_t>(name, spec);
  if (dt == "int32") return run_reduction<int32_t>(name, spec);
  if (dt == "int64") return run_reduction<int64_t>(name, spec);
  if (dt == "float32") return run_reduction<float>(name, spec);
  if (dt == "float64") return run_reduction<double>(name, spec);
  return "unexpected dtype " + dt;
}

int replay(const std::string& prefix) { return tapegrad_test::replay_specs(kFile, prefix, run_case); }

}  // namespace

TEST_CASE("fuzz reductions: the registry holds exactly the op table's reductions") {
  std::vector<std::string> table = split(rec("table.names").text, '\n');
  std::sort(table.begin(), table.end());
  std::vector<std::string> cpp;
  for (const auto& entry : reductions<double>()) cpp.push_back(entry.first);  // a std::map: sorted
  CHECK(table == cpp);
}

TEST_CASE("fuzz reductions: random reductions of every dtype, layout and dim choice match PyTorch") {
  CHECK(replay("red.") >= 600);
}

TEST_CASE("fuzz reductions: random matmul/mm/mv/dot/bmm/outer/addmm cases match PyTorch") {
  CHECK(replay("mm.") >= 300);
}

TEST_CASE("fuzz reductions: minimised mismatches found by the fuzzer match PyTorch") {
  CHECK(replay("min.") >= 1);
}
