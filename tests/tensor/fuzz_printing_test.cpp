// Randomized differential test of printing against PyTorch 1.13: replays
// every case of tests/reference/fuzz_printing.txt (written by
// tools/gen_fuzz_misc.py, whose docstring describes the cases) and compares
// `os << tensor` with PyTorch's str(tensor), character for character: every
// dtype, ranks 0 to 4, empty tensors, values of mixed magnitudes (integral,
// fixed and scientific styles and their thresholds, nan, inf, -0.), rows that
// wrap at 80 columns, summarised tensors (more than 1000 elements), the
// dtype suffix, non-contiguous layouts, and tensors that require grad.
//
// Compile time: one builder per dtype (8 instantiations); nothing per case.
//
// Cases marked bug=<label> hit a mismatch this fuzzer found, fixed since (the labels are
// listed in tools/gen_fuzz_misc.py's docstring); a failure message names the
// label. They run after the other cases.
// Regenerate the file with: /usr/bin/python3 tools/gen_fuzz_misc.py
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/fuzz_replay.hpp"
#include "support/reference.hpp"
#include "support/tensor_check.hpp"

namespace {

namespace tg = tapegrad;
using tapegrad_test::RefTensor;

const char* const kFile = "fuzz_printing.txt";

const RefTensor& rec(const std::string& name) { return tapegrad_test::ref(kFile, name); }

using Case = tapegrad_test::OpCase;
std::vector<Case> all_cases(const std::string& prefix) { return tapegrad_test::op_cases(kFile, prefix); }

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep)) out.push_back(part);
  return out;
}

// The base tensor of a case (fill=rec|pool|range, see the generator).
template <class T>
tg::Tensor<T> base_tensor(const Case& c) {
  const tg::Shape shape = tapegrad_test::parse_x_shape(c.get("base"));
  const std::vector<std::string> fill = split(c.get("fill"), ':');
  if (fill[0] == "rec") return tg::from_vector(rec(c.name + ".a").as<T>(), shape);
  const int64_t n = tg::shape_numel(shape);
  std::vector<T> vals(static_cast<size_t>(n));
  if (fill[0] == "pool" && fill.size() == 3) {
    const std::vector<T> pool = rec(c.name + ".pool").as<T>();
    const int64_t a = std::stoll(fill[1]), b = std::stoll(fill[2]), k = static_cast<int64_t>(pool.size());
    for (int64_t i = 0; i < n; ++i) vals[static_cast<size_t>(i)] = pool[static_cast<size_t>((a * i + b) % k)];
  } else if (fill[0] == "range" && fill.size() == 3) {
    const double start = std::strtod(fill[1].c_str(), nullptr), step = std::strtod(fill[2].c_str(), nullptr);
    // the product rounded first, as the generator's Python (Note [No FMA contraction])
    for (int64_t i = 0; i < n; ++i)
      vals[static_cast<size_t>(i)] = static_cast<T>(start + tg::detail::unfused(step * static_cast<double>(i)));
  } else {
    throw std::runtime_error(c.name + ": unknown fill '" + c.get("fill") + "'");
  }
  return tg::from_vector(vals, shape);
}

// What `std::cout << t` writes for the case's tensor.
template <class T>
std::string printed(const Case& c) {
  const tg::Tensor<T> x = tapegrad_test::laid_out(base_tensor<T>(c), c.get("va"));
  const std::string grad = c.get("grad");
  std::ostringstream os;
  if (grad == "none") {
    os << x;
  } else if constexpr (tg::FloatingElement<T>) {
    x.requires_grad_();
    if (grad == "leaf") os << x;
    else if (grad == "mul") os << x * 1;
    else throw std::runtime_error("unknown grad '" + grad + "'");
  } else {
    throw std::runtime_error("grad= on a non-floating dtype");
  }
  return os.str();
}

std::string print_case(const Case& c) {
  const std::string dt = c.get("dt");
  if (dt == "bool") return printed<bool>(c);
  if (dt == "uint8") return printed<uint8_t>(c);
  if (dt == "int8") return printed<int8_t>(c);
  if (dt == "int16") return printed<int16_t>(c);
  if (dt == "int32") return printed<int32_t>(c);
  if (dt == "int64") return printed<int64_t>(c);
  if (dt == "float32") return printed<float>(c);
  if (dt == "float64") return printed<double>(c);
  throw std::runtime_error(c.name + ": unknown dtype '" + dt + "'");
}

// The first line where the two texts differ, both shown.
std::string first_difference(const std::string& got, const std::string& want) {
  const std::vector<std::string> g = split(got, '\n'), w = split(want, '\n');
  for (size_t i = 0; i < std::max(g.size(), w.size()); ++i) {
    const std::string gl = i < g.size() ? g[i] : "<none>", wl = i < w.size() ? w[i] : "<none>";
    if (gl != wl) return "line " + std::to_string(i + 1) + ": got '" + gl + "', PyTorch '" + wl + "'";
  }
  return "same lines";
}

// Runs the cases whose names start with prefix (bug-labelled ones last) and
// reports each mismatch as a failed check naming the case and its label.
void run_cases(const std::string& prefix) {
  std::vector<Case> cases = all_cases(prefix);
  std::stable_partition(cases.begin(), cases.end(), [](const Case& c) { return c.bug().empty(); });
  tapegrad_test::check_op_cases(cases, [](const Case& c) {
    std::string got, why;
    try {
      got = print_case(c);
    } catch (const std::exception& e) {
      why = std::string("threw: ") + e.what();
    }
    const std::string& want = rec(c.name + ".out").text;
    if (why.empty() && got == want) return std::string();
    if (why.empty()) why = first_difference(got, want);
    return why + "\n--- tapegrad:\n" + got + "\n--- PyTorch:\n" + want;
  });
}

}  // namespace

TEST_CASE("fuzz printing: random tensors print as PyTorch's str()") { run_cases("p"); }
TEST_CASE("fuzz printing: curated corners print as PyTorch's str()") { run_cases("k"); }
