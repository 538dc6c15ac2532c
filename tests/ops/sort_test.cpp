// Ordering ops of ops/sort.hpp against tests/reference/sort.txt
// (tools/gen_ref_arith.py, PyTorch 1.13): values and indices exact, ties in
// index order, NaN sorting as the largest value.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "support/golden.hpp"
#include "support/reference.hpp"
#include "support/tensor_check.hpp"

namespace {

namespace tg = tapegrad;
using tapegrad_test::mismatch;
using tapegrad_test::reversed_layout;
using tapegrad_test::strided_copy;
using Tol = tapegrad_test::Tol;

const tapegrad_test::Golden kGolden{"sort.txt"};

#define CHECK_VI(got, record)                   \
  do {                                          \
    const auto r_ = (got);                      \
    CHECK_REF(r_.values, record ".values");     \
    CHECK_REF(r_.indices, record ".indices");   \
  } while (0)

template <class T>
void check_family(const std::vector<tg::Tensor<T>>& layouts, const std::string& tag) {
  for (const auto& t : layouts) {
    CAPTURE(tg::to_string(t.strides()));
    const std::string p = "sort." + tag;
    CHECK_REF(tg::sort(t, 1).values, p + ".d1.values");
    CHECK_REF(tg::sort(t, 1).indices, p + ".d1.indices");
    CHECK_REF(t.sort(0, true).values, p + ".d0_desc.values");
    CHECK_REF(t.sort(0, true).indices, p + ".d0_desc.indices");
    CHECK_REF(tg::sort(t, -1, true, true).indices, p + ".stable_desc.indices");
    CHECK_REF(tg::argsort(t, 1), "argsort." + tag + ".d1");
    CHECK_REF(t.kthvalue(2, 1).values, "kthvalue." + tag + ".k2.values");
    CHECK_REF(tg::kthvalue(t, 1, 0, true).values, "kthvalue." + tag + ".k1_d0_keep.values");
    if (tag != "x") {  // no ties among the k-th values
      CHECK_REF(t.kthvalue(2, 1).indices, "kthvalue." + tag + ".k2.indices");
      CHECK_REF(tg::kthvalue(t, 1, 0, true).indices, "kthvalue." + tag + ".k1_d0_keep.indices");
    } else {  // PyTorch's quickselect picks any of equal values: the index must hold the value
      const auto r = tg::kthvalue(t, 2, 1);
      for (int64_t i = 0; i < t.size(0); ++i) {
        const T v = t(i, r.indices(i)), want = r.values(i);
        CHECK((v == want || (v != v && want != want)));
      }
    }
    CHECK_REF(tg::median(t, 1).values, "median." + tag + ".d1.values");
    CHECK_REF(tg::median(t, 1).indices, "median." + tag + ".d1.indices");
    CHECK_REF(t.median(0, true).values, "median." + tag + ".d0_keep.values");
    CHECK_REF(t.median(0, true).indices, "median." + tag + ".d0_keep.indices");
    CHECK_REF(t.median(), "median." + tag + ".all");
  }
}

}  // namespace

TEST_CASE("sort/argsort/kthvalue/median: match PyTorch with ties and NaN (NaN sorts largest)") {
  const auto x = kGolden.load<float>("x.f32");
  check_family<float>({x, strided_copy(x), reversed_layout(x)}, "x");
  const auto xd = kGolden.load<double>("xd.f64");
  check_family<double>({xd, reversed_layout(xd)}, "xd");
  const auto xi = kGolden.load<int64_t>("xi.i64");
  check_family<int64_t>({xi, strided_copy(xi)}, "xi");
}

TEST_CASE("topk: largest and smallest along a dim match PyTorch; NaN is the largest") {
  const auto xd = kGolden.load<double>("xd.f64");
  for (const auto& t : {xd, reversed_layout(xd)}) {
    CHECK_VI(tg::topk(t, 3), "topk.xd.k3");
    CHECK_VI(t.topk(2, 0, false), "topk.xd.k2_d0_smallest");
  }
  CHECK_VI(tg::topk(tg::tensor<double>({1.0, NAN, 3.0, -INFINITY}), 2), "topk.x_nan.k2");
  // k = 0 and k = n
  CHECK(tg::topk(xd, 0).values.sizes() == tg::Shape{4, 0});
  CHECK(tg::equal(tg::topk(xd, 6, 1, false).values, tg::sort(xd, 1).values));
  // equal values come in index order
  CHECK(tg::topk(tg::tensor<float>({2, 5, 5, 1, 5}), 2).indices.to_vector() == std::vector<int64_t>{1, 2});
}

TEST_CASE("mode: the smallest most frequent value and its last index, as PyTorch") {
  const auto xi = kGolden.load<int64_t>("xi.i64");
  CHECK_VI(tg::mode(xi, 1), "mode.xi.d1");
  CHECK_VI(xi.mode(0, true), "mode.xi.d0_keep");
}

TEST_CASE("sort/topk/kthvalue/median/mode: 0-d and empty inputs") {
  const auto s = tg::tensor<float>(5.f);
  CHECK(tg::sort(s).values.item() == 5.f);
  CHECK(tg::sort(s).indices.dim() == 0);
  CHECK(tg::topk(s, 1).indices.item() == 0);
  CHECK(tg::kthvalue(s, 1).values.item() == 5.f);
  CHECK(tg::median(s, 0).indices.item() == 0);
  CHECK(tg::sort(tg::zeros<float>({2, 0}), 1).values.sizes() == tg::Shape{2, 0});
  CHECK(std::isnan(tg::median(tg::zeros<float>({0})).item()));
  CHECK(tg::mode(tg::tensor<int64_t>(7), 0).values.item() == 7);
}

TEST_CASE("topk/kthvalue/median/mode/sort: errors name the op, k and the dim") {
  const auto x = tg::zeros<float>({2, 3});
  CHECK_THROWS_WITH_AS(tg::topk(x, 4), "topk: k (4) is out of range for dimension 1 with size 3", tg::IndexError);
  CHECK_THROWS_WITH_AS(tg::kthvalue(x, 0, 0), "kthvalue: k (0) is out of range for dimension 0 with size 2",
                       tg::IndexError);
  CHECK_THROWS_WITH_AS(tg::median(tg::zeros<float>({2, 0}), 1),
                       "median: cannot compute over a zero-size dimension (dim 1 of shape [2, 0])", tg::IndexError);
  CHECK_THROWS_WITH_AS(tg::mode(tg::zeros<float>({0}), 0),
                       "mode: cannot compute over a zero-size dimension (dim 0 of shape [0])", tg::IndexError);
  CHECK_THROWS_AS(tg::sort(x, 2), tg::IndexError);
  CHECK_THROWS_WITH_AS(tg::median(tg::zeros<int64_t>({0})), "median: cannot compute the median of an empty int64 tensor",
                       tg::IndexError);
}

TEST_CASE("unique/bincount/histc/searchsorted/bucketize: match PyTorch") {
  const auto u = kGolden.load<int64_t>("u");
  const auto r = tg::unique(u, true, true, true);
  CHECK_REF(r.values, "unique.values");
  CHECK_REF(r.inverse, "unique.inverse");
  CHECK_REF(r.counts, "unique.counts");
  CHECK(!tg::unique(u).inverse.defined());
  CHECK_REF(tg::bincount(u), "bincount");
  CHECK_REF(tg::bincount(u, 10), "bincount.min10");
  auto wf = tg::bincount(u, tg::linspace<float>(0, 1, 7));
  static_assert(std::is_same_v<decltype(wf), tg::Tensor<float>>);
  CHECK_MESSAGE(mismatch(wf, kGolden.ref("bincount.w_f32"), Tol{1e-6, 1e-7}).empty(), "bincount.w_f32");
  auto wi = tg::bincount(u, tg::arange(7));
  static_assert(std::is_same_v<decltype(wi), tg::Tensor<double>>);
  CHECK_REF(wi, "bincount.w_i64");
  const auto h = kGolden.load<float>("h.f32");
  CHECK_REF(tg::histc(h, 4, 0, 3), "histc.b4");
  CHECK_REF(tg::histc(strided_copy(h), 5), "histc.auto");
  const auto seq = kGolden.load<double>("seq"), vals = kGolden.load<double>("vals");
  CHECK_REF(tg::searchsorted(seq, vals), "searchsorted");
  CHECK_REF(tg::searchsorted(seq, strided_copy(vals), true), "searchsorted.right");
  CHECK_REF(tg::searchsorted(kGolden.load<double>("seq2"), vals), "searchsorted.nd");
  CHECK_REF(tg::bucketize(vals, seq), "bucketize");
  CHECK_REF(tg::bucketize(vals, seq, true), "bucketize.right");
}

TEST_CASE("bincount/searchsorted/bucketize/histc: bad input is an error naming the op") {
  CHECK_THROWS_WITH_AS(tg::bincount(tg::tensor<int64_t>({1, -1})),
                       "bincount: only supports 1-d non-negative integral inputs, got -1 at index 1", tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::bincount(tg::zeros<int64_t>({2, 2})),
                       "bincount: only supports 1-d non-negative integral inputs, got shape [2, 2]", tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::bincount(tg::zeros<int64_t>({2}), tg::ones<float>({3})),
                       "bincount: weights of shape [3] should have the input's shape [2]", tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::searchsorted(tg::zeros<float>({3, 2}), tg::zeros<float>({2, 2})),
                       "searchsorted: boundaries tensor should be 1 dimension or the first N-1 dimensions of "
                       "boundaries tensor and input value tensor must match, but we got boundaries tensor [3, 2] "
                       "and input value tensor [2, 2]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::bucketize(tg::zeros<float>({2}), tg::zeros<float>({2, 2})),
                       "bucketize: boundaries tensor must be 1 dimension, but got dim(2)", tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::histc(tg::zeros<float>({2}), 0), "histc: bins must be > 0, got 0", tg::ValueError);
}

// ---- gradients --------------------------------------------------------------------------------

TEST_CASE("sort/topk/kthvalue/median: gradients match PyTorch") {
  const auto g = kGolden.load<double>("g"), w = kGolden.load<double>("gw");
  auto check = [&](const std::string& name, auto fn, const tg::Tensor<double>& input, const tg::Tensor<double>& weight) {
    auto x = input.clone();
    x.requires_grad_();
    auto out = fn(x);
    (weight.defined() ? out * weight : out).sum().backward();
    CHECK_REF(x.grad(), "grad." + name + ".0");
  };
  check("sort", [](const auto& x) { return tg::sort(x, 1, true).values; }, g, w);
  check("topk", [](const auto& x) { return tg::topk(x, 2, 0).values; }, g, w.narrow(0, 0, 2));
  check("kthvalue", [](const auto& x) { return tg::kthvalue(x, 2, 1).values; }, g, w.select(1, 0));
  check("median_dim", [](const auto& x) { return tg::median(x, 1).values; }, g, w.select(1, 0));
  check("median_all", [](const auto& x) { return tg::median(x); }, tg::tensor<double>({{1.0, 2.0, 2.0}, {3.0, 3.0, 0.0}}),
        tg::Tensor<double>());
}

TEST_CASE("sort/topk/kthvalue/median/mode: gradcheck incl. non-contiguous, empty and 0-d inputs") {
  using V = std::vector<tg::Tensor<double>>;
  auto gc = [](auto f, V in) {
    for (auto& t : in) t.requires_grad_();
    const auto r = tg::gradcheck(f, in);
    CHECK_MESSAGE(r.ok, r.message);
  };
  const auto x = tg::tensor<double>({{0.3, -1.2, 2.5, 0.9}, {1.7, 0.1, -0.4, 3.3}, {-2.2, 0.8, 1.1, 0.0}});
  gc([](const V& v) { return tg::sort(v[0], 0).values; }, {x.clone()});
  gc([](const V& v) { return tg::sort(v[0], 1, true).values; }, {reversed_layout(x)});
  gc([](const V& v) { return tg::topk(v[0], 2, 1).values; }, {strided_copy(x)});
  gc([](const V& v) { return tg::kthvalue(v[0], 2, 0, true).values; }, {x.clone()});
  gc([](const V& v) { return tg::median(v[0], 1).values; }, {x.clone()});
  gc([](const V& v) { return tg::median(v[0]); }, {x.clone()});
  gc([](const V& v) { return tg::mode(v[0], 1).values; }, {x.clone()});
  gc([](const V& v) { return tg::sort(v[0]).values; }, {tg::tensor<double>(1.5)});
  gc([](const V& v) { return tg::topk(v[0], 1).values; }, {tg::tensor<double>(1.5)});
  gc([](const V& v) { return tg::sort(v[0], 1).values; }, {tg::zeros<double>({2, 0})});
}
