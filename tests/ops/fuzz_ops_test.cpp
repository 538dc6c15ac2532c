// Randomised differential test of the ops of the fuzz op table
// (tools/fuzz_ops.py, rows of fuzz="ops": the division family, rounding,
// lerp/addcmul/addcdiv, nan_to_num, sort/argsort/topk, the cumulative ops and
// the list-of-dims reductions and norms) against PyTorch 1.13: replays every
// case of tests/reference/fuzz_ops.txt (tools/gen_fuzz_ops.py documents the
// records) through the registry of tests/support/fuzz_ops.hpp.
//
// A case must give PyTorch's dtype, shape and values for each output
// (integers and indices exactly; float32 within rtol 1e-5, float64 within
// 1e-10, NaN where PyTorch has NaN), or throw a tapegrad::Error where PyTorch
// raised. A gradient case (float64) then runs backward with the recorded
// gradient of the first output and compares each input's gradient with
// PyTorch's; where PyTorch has none, tapegrad's must be undefined or zero.
// Regenerate the file with: /usr/bin/python3 tools/gen_fuzz_ops.py
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "support/fuzz_ops.hpp"
#include "support/fuzz_replay.hpp"
#include "support/tensor_check.hpp"

namespace {

namespace tg = tapegrad;
namespace fz = tapegrad_test::fuzz;
using tapegrad_test::OpCase;

const char* const kFile = "fuzz_ops.txt";

bool has(const std::string& name) { return tapegrad_test::has_ref(kFile, name); }
const tapegrad_test::RefTensor& rec(const std::string& name) { return tapegrad_test::ref(kFile, name); }

template <class R>
tapegrad_test::Tol tol_for() {
  if constexpr (std::is_same_v<R, float>) return {1e-5, 1e-6};
  else if constexpr (std::is_same_v<R, double>) return {1e-10, 1e-12};
  else return {};
}

// Empty when `got` has the dtype, shape and values of record `name`.
std::string compare(const tapegrad_test::AnyTensor& got, const std::string& name) {
  return std::visit(
      [&](const auto& t) -> std::string {
        using R = typename std::decay_t<decltype(t)>::value_type;
        const auto& want = rec(name);
        if (want.dtype != tg::dtype_name<R>()) return name + ": dtype " + tg::dtype_name<R>() + " != " + want.dtype + "; ";
        const std::string m = tapegrad_test::mismatch(t, want, tol_for<R>());
        return m.empty() ? m : name + ": " + m + "; ";
      },
      got);
}

template <class T>
std::string run_typed(const OpCase& c) {
  const auto& reg = fz::registry<T>();
  const auto entry = reg.find(c.get("op"));
  if (entry == reg.end()) return "no registry entry for op '" + c.get("op") + "'";
  std::vector<tg::Tensor<T>> in;
  for (int i = 0; has(c.name + ".x" + std::to_string(i)); ++i)
    in.push_back(tapegrad_test::laid_out<T>(rec(c.name + ".x" + std::to_string(i)), c.get("v" + std::to_string(i))));
  const bool grad = c.get("grad") == "1";
  if constexpr (tg::FloatingElement<T>)
    if (grad)
      for (auto& t : in) t.requires_grad_();
  const bool torch_raised = has(c.name + ".error");
  fz::Outs got;
  try {
    got = entry->second(in, fz::Params{c});
  } catch (const tg::Error& e) {
    return torch_raised ? "" : std::string("tapegrad threw '") + e.what() + "' where PyTorch gives a value";
  }
  if (torch_raised) return "PyTorch raised '" + rec(c.name + ".error").text + "' but tapegrad gave a result";
  const auto names = tapegrad_test::split(c.get("outs"), ',');
  if (names.size() != got.size()) return "the registry entry gives " + std::to_string(got.size()) + " outputs";
  std::string diff;
  for (size_t k = 0; k < got.size(); ++k) diff += compare(got[k], c.name + "." + names[k]);
  if (!grad || !diff.empty()) return diff;
  if constexpr (tg::FloatingElement<T>) {
    std::get<tg::Tensor<T>>(got[0]).backward(tapegrad_test::load<T>(kFile, c.name + ".g"));
    for (size_t i = 0; i < in.size(); ++i) {
      const std::string g = c.name + ".grad" + std::to_string(i);
      const tg::Tensor<T> mine = in[i].grad();
      if (has(g)) {
        if (!mine.defined()) diff += g + ": tapegrad has no gradient; ";
        else diff += compare(mine, g);
      } else if (mine.defined() && tg::any(mine != T(0)).item()) {
        diff += g + ": PyTorch has no gradient, tapegrad's is non-zero; ";
      }
    }
  }
  return diff;
}

std::string run_case(const OpCase& c) {
  const std::string dt = c.get("dt");
  if (dt == "float32") return run_typed<float>(c);
  if (dt == "float64") return run_typed<double>(c);
  if (dt == "int64") return run_typed<int64_t>(c);
  return "unexpected dtype " + dt;
}

void replay(const std::string& grad) {
  std::vector<OpCase> cases;
  for (auto& c : tapegrad_test::op_cases(kFile))
    if (c.get("grad") == grad) cases.push_back(c);
  tapegrad_test::check_op_cases(cases, [](const OpCase& c) {
    try {
      return run_case(c);
    } catch (const std::exception& e) {
      return std::string("test harness error or non-tapegrad exception: ") + e.what();
    }
  });
}

}  // namespace

TEST_CASE("fuzz ops: the registry holds exactly the table's ops") {
  std::vector<std::string> table = tapegrad_test::split(rec("table.names").text, '\n');
  std::sort(table.begin(), table.end());
  std::vector<std::string> cpp;
  for (const auto& entry : fz::registry<double>()) cpp.push_back(entry.first);  // a std::map: sorted
  CHECK(table == cpp);
  for (const auto& n : table)
    if (!fz::registry<double>().count(n)) FAIL_CHECK(n << ": a row of tools/fuzz_ops.py with no entry in tests/support/fuzz_ops.hpp");
  for (const auto& n : cpp)
    if (std::find(table.begin(), table.end(), n) == table.end())
      FAIL_CHECK(n << ": an entry of tests/support/fuzz_ops.hpp with no row in tools/fuzz_ops.py");
}

TEST_CASE("fuzz ops: random cases of the table's ops match PyTorch's values, dtypes and errors") { replay("0"); }

TEST_CASE("fuzz ops: random gradient cases of the table's ops match PyTorch's gradients") { replay("1"); }
