// Randomised differential test of the general indexer against PyTorch:
// replays every case of tests/reference/fuzz_indexing.txt
// (tools/gen_fuzz_indexing.py, which documents the record layout).
//
// Each case indexes x = arange(120).view({2, 3, 4, 5}) with 1 to 4 random
// integers, slices, None, Ellipsis, int64 index tensors and bool masks. x.index
// must give PyTorch's shape and values, or throw a tapegrad::Error where
// PyTorch raised; x.index_put_ (and with accumulate, for index tensors and
// masks only) must leave x as PyTorch's x[ix] = v does.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/fuzz_replay.hpp"
#include "support/reference.hpp"
#include "support/tensor_check.hpp"

namespace {

namespace tg = tapegrad;
using tapegrad_test::split;
using tapegrad_test::to_int;

const char* const kFile = "fuzz_indexing.txt";

tg::Shape ints(const std::string& s) {
  tg::Shape out;
  if (s == "-") return out;
  for (const std::string& v : split(s, ',')) out.push_back(to_int(v));
  return out;
}

// A tensor of `shape` with the listed values.
template <class T>
tg::Tensor<T> filled(const std::string& values, const std::string& shape) {
  const tg::Shape v = ints(values);
  auto t = tg::zeros<T>(ints(shape));
  for (int64_t i = 0; i < v.size(); ++i) t.data_ptr()[i] = static_cast<T>(v[i]);
  return t;
}

std::optional<int64_t> bound(const std::string& b) { return b == "_" ? std::optional<int64_t>() : to_int(b); }

// The registry (Note [Fuzz registries]): an index entry's kind (the letter
// before its first ':') -> the tapegrad index it stands for; f the fields.
using EntryFn = tg::TensorIndex (*)(const std::vector<std::string>& f);
tapegrad_test::Registry<EntryFn> entries() {
  using F = const std::vector<std::string>&;
  static constexpr tapegrad_test::Entry<EntryFn> r[] = {
      // [fuzz registry indexing: entry]
      {"i", [](F f) { return tg::TensorIndex(to_int(f.at(1))); }},
      {"s", [](F f) { return tg::TensorIndex(tg::Slice(bound(f.at(1)), bound(f.at(2)), bound(f.at(3)))); }},
      {"n", [](F) { return tg::TensorIndex(tg::None); }},
      {"e", [](F) { return tg::TensorIndex(tg::Ellipsis); }},
      {"t", [](F f) { return tg::TensorIndex(filled<int64_t>(f.at(1), f.at(2))); }},
      {"m", [](F f) { return tg::TensorIndex(filled<bool>(f.at(1), f.at(2))); }},
      // [end fuzz registry]
  };
  return r;
}

// The entries of an ix= spec (tools/gen_fuzz_indexing.py).
std::vector<tg::TensorIndex> parse_index(const std::string& spec) {
  std::vector<tg::TensorIndex> ix;
  for (const std::string& e : split(spec, ';')) {
    const auto f = split(e, ':');
    ix.push_back(tapegrad_test::lookup(entries(), f.at(0), "fuzz indexing")(f));
  }
  return ix;
}

bool has(const std::string& name) { return tapegrad_test::has_ref(kFile, name); }
const tapegrad_test::RefTensor& rec(const std::string& name) { return tapegrad_test::ref(kFile, name); }
tg::Tensor<float> make_x() { return tg::arange<float>(120).view({2, 3, 4, 5}); }

// x with the recorded differences (rows of flat position, value) applied:
// PyTorch's whole result, the golden holding only what differs from x.
tg::Tensor<float> x_with(const tapegrad_test::RefTensor& diff) {
  auto want = make_x().contiguous();
  if (diff.ints.size() % 2 != 0) throw std::runtime_error("fuzz spec: a difference record of odd length");
  for (size_t k = 0; k < diff.ints.size(); k += 2) {
    if (diff.ints[k] < 0 || diff.ints[k] >= want.numel()) throw std::runtime_error("fuzz spec: a position out of x");
    want.data_ptr()[diff.ints[k]] = static_cast<float>(diff.ints[k + 1]);
  }
  return want;
}

// Empty when got equals want element for element (both whole numbers: exactly).
std::string differences(const tg::Tensor<float>& got, const tg::Tensor<float>& want) {
  if (!(got.sizes() == want.sizes())) return "shape differs";
  const auto g = got.to_vector(), w = want.to_vector();
  for (size_t i = 0; i < w.size(); ++i)
    if (g[i] != w[i]) return "[" + std::to_string(i) + "] got " + std::to_string(g[i]) + " want " + std::to_string(w[i]);
  return "";
}

std::string run_case(const tapegrad_test::OpCase& c) {
  const auto ix = parse_index(c.get("ix"));
  const auto x = make_x();
  if (has(c.name + ".err")) {
    try {
      (void)x.index(ix);
    } catch (const tg::Error&) {
      return "";
    }
    return "index: PyTorch raised (" + rec(c.name + ".err").text + "), tapegrad did not";
  }
  tg::Tensor<float> y;
  try {
    y = x.index(ix);
  } catch (const tg::Error& e) {
    return std::string("index threw: ") + e.what();
  }
  if (auto mm = tapegrad_test::mismatch(y, rec(c.name + ".out")); !mm.empty()) return "index: " + mm;
  const auto v = (tg::arange<float>(y.numel()) + 1000.0f).view(y.sizes());
  for (const char* what : {"put", "acc"}) {
    const std::string r = c.name + "." + what + "d";
    if (!has(r)) continue;
    auto p = make_x();
    try {
      p.index_put_(ix, v, std::string(what) == "acc");
    } catch (const tg::Error& e) {
      return std::string("index_put_ (") + what + ") threw: " + e.what();
    }
    if (auto mm = differences(p, x_with(rec(r))); !mm.empty()) return std::string("index_put_ (") + what + "): " + mm;
  }
  return "";
}

}  // namespace

TEST_CASE("index, index_put_: random indices of every kind give PyTorch's results (fuzz_indexing.txt)") {
  tapegrad_test::check_op_cases(tapegrad_test::op_cases(kFile), run_case);
}
