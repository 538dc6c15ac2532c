// Randomised differential test of the shape and view ops against PyTorch:
// replays every chain of tests/reference/fuzz_views.txt
// (tools/gen_fuzz_reductions.py, which documents the record layout).
//
// Each case starts from a contiguous tensor of any dtype and applies 1 to 4
// of view, reshape, flatten, unsqueeze, squeeze, transpose, t, permute,
// expand, expand_as, narrow, select, slice (with a step), x[i], contiguous,
// clone, resize_, cat and stack. The final tensor must have PyTorch's shape,
// dtype, values (exactly), strides, storage offset and contiguity, and share
// storage with the starting tensor exactly when PyTorch's does. Where PyTorch
// raised at step i, the steps before must run and step i must throw a
// tapegrad::Error.
//
// The `min.<what>` cases are hand-minimised reproductions of mismatches the
// random chains found, fixed since (tools/gen_fuzz_reductions.py says what
// each shows); `min.ub_*` gave the right result and failed only under
// -fsanitize=undefined.
//
// Compile time: one chain runner per dtype (8 instantiations); nothing is
// instantiated per case.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "support/fuzz_replay.hpp"
#include "support/reference.hpp"
#include "support/tensor_check.hpp"

namespace {

using tapegrad_test::words;
using tapegrad_test::to_int;

namespace tg = tapegrad;
using tapegrad_test::RefTensor;

const char* const kFile = "fuzz_views.txt";

const RefTensor& rec(const std::string& name) { return tapegrad_test::ref(kFile, name); }
bool has(const std::string& name) { return tapegrad_test::has_ref(kFile, name); }

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == '\n') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}



std::optional<int64_t> opt_int(const std::string& s) {
  return s == "_" ? std::nullopt : std::optional<int64_t>(to_int(s));
}


// One op line of the generator's grammar applied to cur (step i of case `name`).
template <class T>
tg::Tensor<T> apply(const tg::Tensor<T>& cur, const std::string& line, const std::string& name, size_t step) {
  const auto w = words(line);
  const std::string& op = w.at(0);
  tg::Shape a;
  if (op != "slice")
    for (size_t i = 1; i < w.size(); ++i) a.push_back(to_int(w[i]));
  if (op == "view") return cur.view(a);
  if (op == "reshape") return cur.reshape(a);
  if (op == "flatten") return cur.flatten(a[0], a[1]);
  if (op == "unsqueeze") return cur.unsqueeze(a[0]);
  if (op == "squeeze") return a.empty() ? cur.squeeze() : cur.squeeze(a[0]);
  if (op == "transpose") return cur.transpose(a[0], a[1]);
  if (op == "t") return cur.t();
  if (op == "permute") return cur.permute(a);
  if (op == "expand") return cur.expand(a);
  if (op == "expand_as") return cur.expand_as(tg::zeros<float>(a));
  if (op == "narrow") return cur.narrow(a[0], a[1], a[2]);
  if (op == "select") return cur.select(a[0], a[1]);
  if (op == "slice") return cur.slice(to_int(w.at(1)), opt_int(w.at(2)), opt_int(w.at(3)), to_int(w.at(4)));
  if (op == "index") return cur[a[0]];
  if (op == "contiguous") return cur.contiguous();
  if (op == "clone") return cur.clone();
  if (op == "resize") {
    cur.resize_(a);
    return cur;
  }
  if (op == "cat") return tg::cat(std::vector<tg::Tensor<T>>(static_cast<size_t>(a[0]), cur), a[1]);
  if (op == "stack") return tg::stack(std::vector<tg::Tensor<T>>(static_cast<size_t>(a[0]), cur), a[1]);
  if (op == "catb" || op == "stackb") {
    const auto b = tapegrad_test::load<T>(kFile, name + ".b" + std::to_string(step));
    return op == "catb" ? tg::cat({cur, b}, a[0]) : tg::stack({cur, b}, a[0]);
  }
  throw std::runtime_error("fuzz spec: unknown op '" + line + "'");
}

tg::Shape ints_of(const RefTensor& r) { return tg::Shape(r.ints.begin(), r.ints.end()); }

template <class T>
std::string run_chain(const std::string& name) {
  const auto x = tapegrad_test::load<T>(kFile, name + ".x");
  const std::vector<std::string> steps = lines_of(rec(name + ".spec").text);
  // PyTorch raised at step err_step (or never: steps.size())
  size_t err_step = steps.size();
  std::string torch_error;
  if (has(name + ".error")) {
    torch_error = rec(name + ".error").text;
    const auto w = words(torch_error);
    err_step = static_cast<size_t>(to_int(w.at(1).substr(0, w.at(1).size() - 1)));  // "step <i>: ..."
  }
  tg::Tensor<T> cur = x;
  for (size_t i = 0; i < steps.size(); ++i) {
    try {
      cur = apply(cur, steps[i], name, i);
    } catch (const tg::Error& e) {
      if (i == err_step) return "";
      std::ostringstream os;
      os << "tapegrad threw at step " << i << " (" << steps[i] << "): '" << e.what() << "'; PyTorch "
         << (torch_error.empty() ? std::string("ran every step") : torch_error);
      return os.str();
    }
    if (i == err_step) {
      std::ostringstream os;
      os << "PyTorch raised at step " << i << " (" << steps[i] << "): '" << torch_error
         << "' but tapegrad gave shape " << cur.sizes() << " strides " << cur.strides();
      return os.str();
    }
  }
  std::ostringstream os;
  const RefTensor& out = rec(name + ".out");
  if (std::string(tg::dtype_name<T>()) != out.dtype) os << "dtype " << std::string(tg::dtype_name<T>()) << " != " << out.dtype << "; ";
  const std::string vals = tapegrad_test::mismatch(cur, out);
  if (!vals.empty()) os << "values/shape: " << vals << "; ";
  if (!(cur.strides() == ints_of(rec(name + ".strides"))))
    os << "strides " << cur.strides() << " != PyTorch's " << ints_of(rec(name + ".strides")) << " (shape "
       << cur.sizes() << "); ";
  if (cur.storage_offset() != rec(name + ".offset").ints.at(0))
    os << "storage offset " << cur.storage_offset() << " != PyTorch's " << rec(name + ".offset").ints.at(0) << "; ";
  const bool shares = rec(name + ".shares").ints.at(0) != 0;
  if (tg::shares_storage(cur, x) != shares)
    os << (shares ? "copies where PyTorch shares storage; " : "shares storage where PyTorch copies; ");
  const bool contiguous = rec(name + ".contiguous").ints.at(0) != 0;
  if (cur.is_contiguous() != contiguous) os << "is_contiguous " << cur.is_contiguous() << " != " << contiguous << "; ";
  return os.str();
}

std::string run_case(const std::string& name) {
  const std::string& dt = rec(name + ".x").dtype;
  if (dt == "bool") return run_chain<bool>(name);
  if (dt == "uint8") return run_chain<uint8_t>(name);
  if (dt == "int8") return run_chain<int8_t>(name);
  if (dt == "int16") return run_chain<int16_t>(name);
  if (dt == "int32") return run_chain<int32_t>(name);
  if (dt == "int64") return run_chain<int64_t>(name);
  if (dt == "float32") return run_chain<float>(name);
  if (dt == "float64") return run_chain<double>(name);
  return "unexpected dtype " + dt;
}

int replay(const std::string& prefix) { return tapegrad_test::replay_specs(kFile, prefix, run_case); }

}  // namespace

TEST_CASE("fuzz views: random chains of view and shape ops match PyTorch") {
  CHECK(replay("view.") >= 800);
}

TEST_CASE("fuzz views: minimised mismatches found by the fuzzer match PyTorch") {
  CHECK(replay("min.") >= 1);
}
