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

#include <cstdint>
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

template <class T>
std::string run_reduction(const std::string& name, const Spec& spec) {
  auto x = tapegrad_test::load<T>(kFile, name + ".x");
  for (const auto& [who, line] : spec.layout) x = apply_layout(x, line);
  const std::string& op = spec.at("op");
  const bool exact = spec.at("tol") == "exact";
  const bool keep = spec.has("keepdim") && spec.at("keepdim") == "1";
  const bool all = spec.has("dims") && spec.at("dims") == "all";
  const bool one = spec.has("dim");
  const int64_t d = one ? to_int(spec.at("dim")) : 0;
  const tg::Shape dims = (!all && !one) ? int_list(spec.at("dims")) : tg::Shape{};
  const std::string out = name + ".out";
  return outcome(name, [&]() -> std::string {
    if (op == "sum") {
      if (all) return compare(tg::sum(x), out, exact);
      if (one) return compare(tg::sum(x, d, keep), out, exact);
      return compare(tg::sum(x, dims, keep), out, exact);
    }
    if (op == "prod") return compare(all ? tg::prod(x) : tg::prod(x, d, keep), out, exact);
    if (op == "max" || op == "min") {
      const bool mx = op == "max";
      if (all) return compare(mx ? tg::max(x) : tg::min(x), out, exact);
      const auto r = mx ? tg::max(x, d, keep) : tg::min(x, d, keep);
      return compare(r.values, name + ".values", true) + compare(r.indices, name + ".indices", true);
    }
    if (op == "argmax") return compare(all ? tg::argmax(x) : tg::argmax(x, d, keep), out, true);
    if (op == "argmin") return compare(all ? tg::argmin(x) : tg::argmin(x, d, keep), out, true);
    if constexpr (tg::FloatingElement<T>) {
      if (op == "mean") {
        if (all) return compare(tg::mean(x), out, exact);
        if (one) return compare(tg::mean(x, d, keep), out, exact);
        return compare(tg::mean(x, dims, keep), out, exact);
      }
      if (op == "var" || op == "std") {
        const int64_t c = to_int(spec.at("correction"));
        const bool v = op == "var";
        if (all) return compare(v ? x.var(c) : x.std(c), out, exact);
        if (one) return compare(v ? tg::var(x, d, c, keep) : tg::std(x, d, c, keep), out, exact);
        return compare(v ? tg::var(x, dims, c, keep) : tg::std(x, dims, c, keep), out, exact);
      }
      if (op == "logsumexp") return compare(tg::logsumexp(x, d, keep), out, exact);
      if (op == "softmax") return compare(tg::softmax(x, d), out, exact);
      if (op == "log_softmax") return compare(tg::log_softmax(x, d), out, exact);
    }
    throw std::runtime_error("fuzz spec: op '" + op + "' not runnable for " + std::string(tg::dtype_name<T>()));
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

TEST_CASE("fuzz reductions: random reductions of every dtype, layout and dim choice match PyTorch") {
  CHECK(replay("red.") >= 600);
}

TEST_CASE("fuzz reductions: random matmul/mm/mv/dot/bmm/outer/addmm cases match PyTorch") {
  CHECK(replay("mm.") >= 300);
}

TEST_CASE("fuzz reductions: minimised mismatches found by the fuzzer match PyTorch") {
  CHECK(replay("min.") >= 1);
}
