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


// One step of a chain: its words (op first), its integer arguments (all but
// slice's), and where it stands (the case's name and the step's index, for a
// second operand the generator recorded).
struct Step {
  std::vector<std::string> w;
  tg::Shape a;
  const std::string& name;
  size_t index;
};

template <class T>
using ViewFn = tg::Tensor<T> (*)(const tg::Tensor<T>& cur, const Step& st);

// cat/stack of the step's recorded second operand (catb/stackb).
template <class T>
tg::Tensor<T> with_b(const tg::Tensor<T>& cur, const Step& st, bool cat) {
  const auto b = tapegrad_test::load<T>(kFile, st.name + ".b" + std::to_string(st.index));
  return cat ? tg::cat({cur, b}, st.a[0]) : tg::stack({cur, b}, st.a[0]);
}

// The registry (Note [Fuzz registries]): op name -> the tapegrad call.
template <class T>
tapegrad_test::Registry<ViewFn<T>> registry() {
  using X = const tg::Tensor<T>&;
  using S = const Step&;
  static constexpr tapegrad_test::Entry<ViewFn<T>> r[] = {
      // [fuzz registry views: view]
      {"view", [](X c, S s) { return c.view(s.a); }},
      {"reshape", [](X c, S s) { return c.reshape(s.a); }},
      {"flatten", [](X c, S s) { return c.flatten(s.a[0], s.a[1]); }},
      {"unsqueeze", [](X c, S s) { return c.unsqueeze(s.a[0]); }},
      {"squeeze", [](X c, S s) { return s.a.empty() ? c.squeeze() : c.squeeze(s.a[0]); }},
      {"transpose", [](X c, S s) { return c.transpose(s.a[0], s.a[1]); }},
      {"t", [](X c, S) { return c.t(); }},
      {"permute", [](X c, S s) { return c.permute(s.a); }},
      {"expand", [](X c, S s) { return c.expand(s.a); }},
      {"expand_as", [](X c, S s) { return c.expand_as(tg::zeros<float>(s.a)); }},
      {"narrow", [](X c, S s) { return c.narrow(s.a[0], s.a[1], s.a[2]); }},
      {"select", [](X c, S s) { return c.select(s.a[0], s.a[1]); }},
      {"slice", [](X c, S s) {
         return c.slice(to_int(s.w.at(1)), opt_int(s.w.at(2)), opt_int(s.w.at(3)), to_int(s.w.at(4)));
       }},
      {"index", [](X c, S s) { return c[s.a[0]]; }},
      {"contiguous", [](X c, S) { return c.contiguous(); }},
      {"clone", [](X c, S) { return c.clone(); }},
      {"resize", [](X c, S s) {
         c.resize_(s.a);
         return c;
       }},
      {"cat", [](X c, S s) { return tg::cat(std::vector<tg::Tensor<T>>(static_cast<size_t>(s.a[0]), c), s.a[1]); }},
      {"stack", [](X c, S s) { return tg::stack(std::vector<tg::Tensor<T>>(static_cast<size_t>(s.a[0]), c), s.a[1]); }},
      {"catb", [](X c, S s) { return with_b(c, s, true); }},
      {"stackb", [](X c, S s) { return with_b(c, s, false); }},
      // [end fuzz registry]
  };
  return r;
}

// One op line of the generator's grammar applied to cur (step i of case `name`).
template <class T>
tg::Tensor<T> apply(const tg::Tensor<T>& cur, const std::string& line, const std::string& name, size_t step) {
  Step st{words(line), {}, name, step};
  if (st.w.at(0) != "slice")
    for (size_t i = 1; i < st.w.size(); ++i) st.a.push_back(to_int(st.w[i]));
  return tapegrad_test::lookup(registry<T>(), st.w.at(0), "fuzz views")(cur, st);
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
