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

// The entries of an ix= spec (tools/gen_fuzz_indexing.py).
std::vector<tg::TensorIndex> parse_index(const std::string& spec) {
  std::vector<tg::TensorIndex> ix;
  for (const std::string& e : split(spec, ';')) {
    const auto f = split(e, ':');
    auto bound = [](const std::string& b) { return b == "_" ? std::optional<int64_t>() : to_int(b); };
    if (f[0] == "i") ix.emplace_back(to_int(f.at(1)));
    else if (f[0] == "s") ix.emplace_back(tg::Slice(bound(f.at(1)), bound(f.at(2)), bound(f.at(3))));
    else if (f[0] == "n") ix.emplace_back(tg::None);
    else if (f[0] == "e") ix.emplace_back(tg::Ellipsis);
    else if (f[0] == "t") ix.emplace_back(filled<int64_t>(f.at(1), f.at(2)));
    else if (f[0] == "m") ix.emplace_back(filled<bool>(f.at(1), f.at(2)));
    else throw std::runtime_error("fuzz spec: bad index entry '" + e + "'");
  }
  return ix;
}

bool has(const std::string& name) { return tapegrad_test::has_ref(kFile, name); }
const tapegrad_test::RefTensor& rec(const std::string& name) { return tapegrad_test::ref(kFile, name); }
tg::Tensor<float> make_x() { return tg::arange<float>(120).view({2, 3, 4, 5}); }

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
    const std::string r = c.name + "." + what;
    if (!has(r)) continue;
    auto p = make_x();
    try {
      p.index_put_(ix, v, std::string(what) == "acc");
    } catch (const tg::Error& e) {
      return std::string("index_put_ (") + what + ") threw: " + e.what();
    }
    if (auto mm = tapegrad_test::mismatch(p, rec(r)); !mm.empty()) return std::string("index_put_ (") + what + "): " + mm;
  }
  return "";
}

}  // namespace

TEST_CASE("index, index_put_: random indices of every kind give PyTorch's results (fuzz_indexing.txt)") {
  tapegrad_test::check_op_cases(tapegrad_test::op_cases(kFile), run_case);
}
