// ops/indexer.hpp: x.index({...}), x.index_put_({...}, v), index_put and
// x[mask] / x[idx] against PyTorch's x[...] (tests/reference/indexing.txt):
// basic indices give views, advanced ones copies placed by PyTorch's rule,
// gradients (gradcheck), duplicates, errors.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <string>
#include <vector>

#include "support/golden.hpp"

using namespace tapegrad;
using namespace tapegrad_test;

namespace {
GOLDEN_FILE("indexing.txt")

Tensor<float> make_x() { return arange<float>(120).view({2, 3, 4, 5}); }

// The cases of gen_ref_indexing.py's "index." records, spelled as there.
std::vector<std::pair<std::string, std::vector<TensorIndex>>> index_cases(const Tensor<float>& x) {
  const auto ia = L<int64_t>("index.ia"), ib = L<int64_t>("index.ib"), ic = L<int64_t>("index.ic");
  const auto ja = L<int64_t>("index.ja"), jb = L<int64_t>("index.jb");
  const auto m23 = L<bool>("index.m23"), m4 = L<bool>("index.m4");
  return {
      {"int", {1}},
      {"basic", {0, Slice(1, None, 2), None, Ellipsis}},
      {"neg", {-1, -2}},
      {"clamp", {Slice(), Slice(1, 10), Slice(-3, None)}},
      {"ell_none", {"...", None, 2}},
      {"adv0", {ia}},
      {"adv_mid", {Slice(), ib}},
      {"adv_sep", {ia, Slice(), ib.slice(0, 0, 2)}},
      {"adv_adj", {Slice(), ic, ib}},
      {"adv_int", {1, Slice(), ib}},
      {"adv_end", {Ellipsis, ib}},
      {"adv_none", {None, ia}},
      {"mask", {m23}},
      {"mask_mid", {Slice(), Slice(), m4}},
      {"mask_adv", {ia, Slice(), m4}},
      {"mask_full", {x > 100.0f}},
      {"true", {tensor<bool>(true)}},
      {"false", {tensor<bool>(false)}},
      {"empty", {zeros<int64_t>({0})}},
      {"slice_adv_slice", {Slice(), ib, Slice(1, 3)}},
      {"sl_ja_none_jb", {Slice(), ja, None, jb}},
      {"sl_ja_int_jb", {Slice(), ja, 1, jb}},
      {"sl_ja_ell_jb", {Slice(), ja, Ellipsis, jb}},
      {"sl_none_ja_jb", {Slice(), None, ja, jb}},
  };
}

bool advanced(const std::vector<TensorIndex>& ix) {
  for (const auto& i : ix)
    if (i.kind() == TensorIndex::Kind::tensor || i.kind() == TensorIndex::Kind::mask) return true;
  return false;
}
}  // namespace

TEST_CASE("index: every case of indexing.txt has PyTorch's shape and values; basic indices give views") {
  const auto x = make_x();
  for (const auto& c : index_cases(x)) {
    const std::string& name = c.first;  // not a structured binding: INFO captures it
    const std::vector<TensorIndex>& ix = c.second;
    INFO("case ", name);
    const auto y = x.index(ix);
    CHECK(mismatch(y, R("index." + name + ".out")) == "");
    CHECK(shares_storage(y, x) == !advanced(ix));
    // the same through a non-contiguous x
    CHECK(mismatch(strided_copy(x).index(ix), R("index." + name + ".out")) == "");
  }
  auto v = x.index({0, Slice(1, None, 2)});
  v.fill_(-1.0f);  // a view: writes reach x
  CHECK(x(0, 1, 0, 0) == -1.0f);
  CHECK(x(0, 0, 0, 0) == 0.0f);
}

TEST_CASE("index: operator[] with a mask or an index tensor; x[int] stays a view") {
  const auto x = make_x();
  CHECK(mismatch(x[L<bool>("index.m23")], R("index.mask.out")) == "");
  CHECK(mismatch(x[L<int64_t>("index.ia")], R("index.adv0.out")) == "");
  CHECK(mismatch(x[x > 100.0f], R("index.mask_full.out")) == "");
  CHECK(shares_storage(x[1], x));
  CHECK(mismatch(x[1], R("index.int.out")) == "");
}

TEST_CASE("index: gradients of basic and advanced indexing, duplicates accumulate (gradcheck)") {
  const auto ia = L<int64_t>("index.ia"), ib = L<int64_t>("index.ib");
  const auto m4 = L<bool>("index.m4");
  auto base = [] { return (arange<double>(120).view({2, 3, 4, 5}) / 7.0).requires_grad_(); };
  std::vector<std::vector<TensorIndex>> cases = {
      {0, Slice(1, None, 2), None, Ellipsis}, {ia},          {Slice(), ib},
      {ia, Slice(), ib.slice(0, 0, 2)},      {1, Slice(), ib}, {ia, Slice(), m4},
      {Slice(), Slice(), m4},                {zeros<int64_t>({0})},
      {Slice(), L<int64_t>("index.ja"), 1, L<int64_t>("index.jb")},
      {Slice(), L<int64_t>("index.ja"), None, L<int64_t>("index.jb")},
  };
  for (size_t k = 0; k < cases.size(); ++k) {
    INFO("case ", k);
    const auto ix = cases[k];
    const auto r = gradcheck([&](const auto& v) { return v[0].index(ix); }, {base()});
    INFO(r.message);
    CHECK(r.ok);
  }
  const auto strided = strided_copy(arange<double>(12).view({3, 4})).requires_grad_();
  const auto r = gradcheck([&](const auto& v) { return v[0].index({Slice(), tensor<int64_t>({3, 3, -1})}); }, {strided});
  CHECK(r.ok);
  // x[[0, 0, 0]].sum(): element 0 read three times
  auto w = zeros<double>({3}).requires_grad_();
  w.index({tensor<int64_t>({0, 0, 0})}).sum().backward();
  CHECK(w.grad().to_vector() == std::vector<double>{3, 0, 0});
  // 0-d: x[None] and x[True]
  auto s = tensor<double>(2.0).requires_grad_();
  CHECK(gradcheck([](const auto& v) { return v[0].index({None}); }, {s}).ok);
  CHECK(gradcheck([](const auto& v) { return v[0].index({tensor<bool>(true)}); }, {s}).ok);
}

TEST_CASE("index_put_: PyTorch's values with accumulate, a mask, a slice, separated indices") {
  const auto ir = L<int64_t>("put.ir"), ic = L<int64_t>("put.ic");
  const auto v = L("put.v");
  auto y = zeros<float>({3, 4});
  y.index_put_({ir, ic}, v, true);  // (0, 1) appears twice: both added
  CHECK(mismatch(y, R("put.acc.out")) == "");
  y = zeros<float>({3, 4});
  y.index_put_({ir.slice(0, 0, 2), ic.slice(0, 0, 2)}, v.slice(0, 0, 2));
  CHECK(mismatch(y, R("put.uniq.out")) == "");
  y = zeros<float>({3, 4});
  y.index_put_({tensor<bool>({true, false, true})}, 5.0);
  CHECK(mismatch(y, R("put.mask.out")) == "");
  y = strided_copy(zeros<float>({3, 4}));
  y.index_put_({Slice(), tensor<int64_t>({3, 0})}, L("put.vb"));
  CHECK(mismatch(y, R("put.slice.out")) == "");
  auto y3 = zeros<float>({2, 3, 4});
  y3.index_put_({tensor<int64_t>({1, 0}), Slice(), tensor<int64_t>({3, 1})}, L("put.v3"));
  CHECK(mismatch(y3, R("put.sep.out")) == "");
  // basic indices only: a plain write into the view
  y = zeros<float>({3, 4});
  y.index_put_({1, Slice(1, 3)}, tensor<float>({7.0f, 8.0f}));
  CHECK(y.to_vector() == std::vector<float>{0, 0, 0, 0, 0, 7, 8, 0, 0, 0, 0, 0});
  y.index_put_({1, Slice(1, 3)}, tensor<float>({1.0f, 1.0f}), true);
  CHECK(y(1, 2) == 9.0f);
  // x[i] = x[j] reads before it writes
  auto a = arange<float>(4);
  a.index_put_({tensor<int64_t>({1, 2, 3})}, a.slice(0, 0, 3));
  CHECK(a.to_vector() == std::vector<float>{0, 0, 1, 2});
}

TEST_CASE("index_put: out of place, gradients of x and the values (gradcheck)") {
  const std::vector<TensorIndex> ix = {tensor<int64_t>({0, 2, 0}), tensor<int64_t>({1, 3, 1})};
  auto x = (arange<double>(12).view({3, 4}) / 3.0).requires_grad_();
  auto v = tensor<double>({1.5, -2.0, 0.25}).requires_grad_();
  CHECK(gradcheck([&](const auto& in) { return index_put(in[0], ix, in[1], true); }, {x, v}).ok);
  const std::vector<TensorIndex> uniq = {Slice(), tensor<int64_t>({3, 0})};
  auto vb = tensor<double>({{1.0}, {2.0}, {3.0}}).requires_grad_();  // broadcast over the 2 columns
  const auto r = gradcheck([&](const auto& in) { return index_put(in[0], uniq, in[1]); }, {x, vb});
  INFO(r.message);
  CHECK(r.ok);
  auto out = index_put(x, uniq, vb);
  CHECK(out.grad_fn_name() == "IndexPutBackward0");
  CHECK(x.to_vector() == (arange<double>(12) / 3.0).to_vector());
}

TEST_CASE("index: errors name the op, the dim and the shapes") {
  const auto x = zeros<float>({3, 10});
  CHECK_THROWS_WITH_AS(x.index({3}), "index: index 3 is out of bounds for dimension 0 with size 3", IndexError);
  CHECK_THROWS_WITH_AS(x.index({Slice(), 10}), "index: index 10 is out of bounds for dimension 1 with size 10",
                       IndexError);
  CHECK_THROWS_WITH_AS(x.index({tensor<int64_t>({-4})}), "index: index -4 is out of bounds for dimension 0 with size 3",
                       IndexError);
  CHECK_THROWS_WITH_AS(x.index({0, 0, 0}), "index: too many indices for tensor of dimension 2", IndexError);
  CHECK_THROWS_WITH_AS(x.index({ones<bool>({4})}),
                       "index: the shape of the mask [4] at index 0 does not match the shape of the indexed tensor "
                       "[3, 10] at index 0",
                       IndexError);
  CHECK_THROWS_WITH_AS(x.index({tensor<int64_t>({0, 1}), tensor<int64_t>({0, 1, 2})}),
                       "index: shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]",
                       IndexError);
  CHECK_THROWS_WITH_AS(x.index({Ellipsis, Ellipsis}), "index: an index can only have a single ellipsis ('...')",
                       IndexError);
  CHECK_THROWS_WITH_AS(x.index({Slice(0, 3, -1)}), "index: step must be greater than zero, got -1", ValueError);
  CHECK_THROWS_WITH_AS(x.index({"::"}), "index: expected \"...\" as a string index, got \"::\"", IndexError);
  auto y = zeros<float>({3, 4});
  CHECK_THROWS_WITH_AS(y.index_put_({tensor<int64_t>({0, 1})}, ones<float>({3, 4})),
                       "index_put_: shape mismatch: value tensor of shape [3, 4] cannot be broadcast to indexing "
                       "result of shape [2, 4]",
                       ShapeError);
  auto w = zeros<double>({3}).requires_grad_();
  CHECK_THROWS_WITH_AS(w.index_put_({0}, 1.0),
                       "index_put_: a leaf tensor that requires grad is being used in an in-place operation; wrap the "
                       "update in NoGradGuard (torch.no_grad())",
                       ValueError);
}

TEST_CASE("index: indices after a k-dim mask act on the dims after its k dims (NumPy's rule, not PyTorch 1.13's bug)") {
  // PyTorch 1.13 raises for these or, for the slice, applies it to the wrong dim
  // (pytorch/pytorch#71673); the records are NumPy's results (tools/gen_ref_indexing.py)
  const auto x = make_x();
  const auto m = L<bool>("index.m23");
  CHECK(mismatch(x.index({m, Slice(None, 3)}), R("index.np.mask_slice.out")) == "");
  CHECK(mismatch(x.index({m, 2}), R("index.np.mask_int.out")) == "");
  CHECK(mismatch(x.index({m, None}), R("index.np.mask_none.out")) == "");
  CHECK(mismatch(x.index({m, Ellipsis, 1}), R("index.np.mask_ell_int.out")) == "");
  const auto r = gradcheck([&](const auto& v) { return v[0].index({m, Slice(None, 3)}); },
                           {(arange<double>(120).view({2, 3, 4, 5}) / 7.0).requires_grad_()});
  INFO(r.message);
  CHECK(r.ok);
}

TEST_CASE("index: an out-of-range index throws even when the result is empty") {
  // PyTorch 1.13 returns the empty result unchecked (NumPy deprecates that)
  const auto x = make_x();
  CHECK_THROWS_WITH_AS(x.index({tensor<int64_t>({0, 2}), Slice(2, 2)}),
                       "index: index 2 is out of bounds for dimension 0 with size 2", IndexError);
  CHECK(x.index({tensor<int64_t>({0, 1}), Slice(2, 2)}).sizes() == Shape{2, 0, 4, 5});
}
