// ops/index.hpp: gather, scatter, scatter_add, index_select, index_add,
// index_copy, index_fill, masked_fill, masked_select, nonzero, argwhere,
// where(cond), take_along_dim and one_hot against PyTorch's values
// (tests/reference/indexing.txt, tools/gen_ref_indexing.py), their gradients
// (gradcheck, with non-contiguous, broadcast, empty and 0-d inputs), the
// in-place forms and the error texts.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "support/golden.hpp"

using namespace tapegrad;
using namespace tapegrad_test;

namespace {
GOLDEN_FILE("indexing.txt")

}  // namespace

TEST_CASE("gather: PyTorch's values along each dim, with an index smaller than self") {
  for (const char* c : {"d1", "small", "3d"}) {
    INFO(c);
    const std::string p = std::string("gather.") + c;
    const int64_t dim = std::string(c) == "3d" ? -1 : 1;
    CHECK(mismatch(L(p + ".x").gather(dim, L<int64_t>(p + ".index")), R(p + ".out")) == "");
    CHECK(mismatch(gather(strided_copy(L(p + ".x")), dim, strided_copy(L<int64_t>(p + ".index"))), R(p + ".out")) == "");
  }
  CHECK(mismatch(gather(L("gather.d0.x"), 0, L<int64_t>("gather.d0.index")), R("gather.d0.out")) == "");
}

TEST_CASE("gather: 0-d and empty inputs") {
  auto s = tensor<float>(2.5f);
  auto g = gather(s, 0, tensor<int64_t>(int64_t{0}));
  CHECK(g.dim() == 0);
  CHECK(g.item() == 2.5f);
  auto e = gather(ones<float>({3, 4}), 1, zeros<int64_t>({3, 0}));
  CHECK(e.sizes() == Shape{3, 0});
}

TEST_CASE("gather: gradient adds up at repeated indices (gradcheck, strided, 0-d, empty)") {
  const auto idx = L<int64_t>("gather.d1.index");
  check_grad([&](const auto& v) { return gather(v[0], 1, idx); }, {leaf("gather.d1.x")});
  check_grad([&](const auto& v) { return gather(v[0], 1, idx); }, {leaf("gather.d1.x", true)});
  check_grad([&](const auto& v) { return gather(v[0], 0, L<int64_t>("gather.d0.index")); }, {leaf("gather.d0.x")});
  check_grad([](const auto& v) { return gather(v[0], 0, tensor<int64_t>(int64_t{0})); },
             {tensor<double>(1.5).requires_grad_()});
  check_grad([](const auto& v) { return gather(v[0], 1, zeros<int64_t>({2, 0})); },
             {ones<double>({2, 3}).requires_grad_()});
  // all of row 0's reads go to element [0, 1]: its gradient is their count
  auto x = zeros<double>({2, 3}).requires_grad_();
  gather(x, 1, tensor<int64_t>({{1, 1, 1, 1}, {0, 2, 2, 2}})).sum().backward();
  CHECK(x.grad().to_vector() == std::vector<double>{0, 4, 0, 1, 0, 3});
}

TEST_CASE("gather: rejects bad indices and shapes with PyTorch's messages") {
  auto x = zeros<float>({3, 10});
  CHECK_THROWS_WITH_AS(gather(x, 1, tensor<int64_t>({{10}})),
                       "gather: index 10 is out of bounds for dimension 1 with size 10", IndexError);
  CHECK_THROWS_WITH_AS(gather(x, 1, tensor<int64_t>({{-1}})),
                       "gather: index -1 is out of bounds for dimension 1 with size 10", IndexError);
  CHECK_THROWS_WITH_AS(gather(x, 1, zeros<int64_t>({4, 1})),
                       "gather: size does not match at dimension 0: expected index [4, 1] to be smaller than self "
                       "[3, 10] apart from dimension 1",
                       ShapeError);
  CHECK_THROWS_WITH_AS(gather(x, 1, zeros<int64_t>({1, 1, 1})),
                       "gather: index tensor must have the same number of dimensions as input tensor, got index "
                       "[1, 1, 1] and input [3, 10]",
                       ShapeError);
  CHECK_THROWS_WITH_AS(gather(x, 2, zeros<int64_t>({1, 1})),
                       "gather: dimension out of range (expected to be in range of [-2, 1], but got 2)", IndexError);
}

TEST_CASE("scatter: PyTorch's values with a src, a value, along dims 0 and 1") {
  const auto x = L("scatter.x");
  CHECK(mismatch(scatter(x, 1, L<int64_t>("scatter.index"), L("scatter.src")), R("scatter.out")) == "");
  CHECK(mismatch(x.scatter(1, L<int64_t>("scatter.index"), 1.5), R("scatter.value.out")) == "");
  CHECK(mismatch(x.scatter(0, L<int64_t>("scatter.d0.index"), L("scatter.d0.src")), R("scatter.d0.out")) == "");
  CHECK(mismatch(scatter(strided_copy(x), 1, L<int64_t>("scatter.index"), strided_copy(L("scatter.src"))),
                 R("scatter.out")) == "");
  CHECK(x.to_vector() == R("scatter.x").as<float>());  // out of place
  auto y = x.clone();
  CHECK(&y.scatter_(1, L<int64_t>("scatter.index"), L("scatter.src")) == &y);
  CHECK(mismatch(y, R("scatter.out")) == "");
  y = x.clone();
  y.scatter_(1, L<int64_t>("scatter.index"), 1.5);
  CHECK(mismatch(y, R("scatter.value.out")) == "");
}

TEST_CASE("scatter_add: duplicate indices add up, as PyTorch") {
  const auto x = L("scatter_add.x");
  CHECK(mismatch(scatter_add(x, 1, L<int64_t>("scatter_add.index"), L("scatter_add.src")), R("scatter_add.out")) == "");
  CHECK(mismatch(x.scatter_add(0, L<int64_t>("scatter_add.d0.index"), L("scatter_add.d0.src")),
                 R("scatter_add.d0.out")) == "");
  auto y = strided_copy(x);
  y.scatter_add_(1, L<int64_t>("scatter_add.index"), L("scatter_add.src"));
  CHECK(mismatch(y, R("scatter_add.out")) == "");
  auto i = zeros<int64_t>({1, 2});  // an int tensor too
  CHECK(scatter_add(zeros<int64_t>({1, 3}), 1, i, tensor<int64_t>({{5, 7}})).to_vector() ==
        std::vector<int64_t>{12, 0, 0});
}

TEST_CASE("scatter: gradients of self and src (gradcheck, strided, src larger than index, 0-d)") {
  const auto i = L<int64_t>("scatter.index");
  check_grad([&](const auto& v) { return scatter(v[0], 1, i, v[1]); }, {leaf("scatter.x"), leaf("scatter.src")});
  check_grad([&](const auto& v) { return scatter(v[0], 1, i, v[1]); },
             {leaf("scatter.x", true), leaf("scatter.src", true)});
  check_grad([&](const auto& v) { return scatter(v[0], 1, i, 2.0); }, {leaf("scatter.x")});
  const auto ia = L<int64_t>("scatter_add.index");
  check_grad([&](const auto& v) { return scatter_add(v[0], 1, ia, v[1]); },
             {leaf("scatter_add.x"), leaf("scatter_add.src")});
  check_grad([](const auto& v) { return scatter_add(v[0], 0, tensor<int64_t>(int64_t{0}), v[1]); },
             {tensor<double>(1.0).requires_grad_(), tensor<double>(2.0).requires_grad_()});
  // src [2, 4] with index [2, 3]: src's last column gets no gradient
  auto src = ones<double>({2, 4}).requires_grad_();
  scatter(zeros<double>({3, 5}), 1, i, src).sum().backward();
  CHECK(src.grad().to_vector() == std::vector<double>{1, 1, 1, 0, 1, 1, 1, 0});
}

TEST_CASE("scatter: rejects bad indices and shapes") {
  auto x = zeros<float>({3, 10});
  CHECK_THROWS_WITH_AS(x.scatter_(1, tensor<int64_t>({{10}}), 1.0),
                       "scatter_: index 10 is out of bounds for dimension 1 with size 10", IndexError);
  CHECK_THROWS_WITH_AS(scatter_add(x, 1, tensor<int64_t>({{10}}), x),
                       "scatter_add: index 10 is out of bounds for dimension 1 with size 10", IndexError);
  CHECK_THROWS_WITH_AS(scatter_add(x, 1, zeros<int64_t>({1, 11}), x),
                       "scatter_add: expected index [1, 11] to be smaller than self [3, 10] apart from dimension 1 "
                       "and to be smaller size than src [3, 10]",
                       ShapeError);
  CHECK(scatter(x, 0, zeros<int64_t>({4, 1}), 2.0).sum().item() == 2.0f);  // longer than self along dim: fine
  CHECK_THROWS_WITH_AS(scatter(x, 1, zeros<int64_t>({4, 1}), 2.0),
                       "scatter: expected index [4, 1] to be smaller than self [3, 10] apart from dimension 1",
                       ShapeError);
  CHECK_THROWS_WITH_AS(scatter(x, 0, zeros<int64_t>({1}), x),
                       "scatter: index tensor must have the same number of dimensions as self tensor, got index [1] "
                       "and self [3, 10]",
                       ShapeError);
}

TEST_CASE("index_select: PyTorch's values with int64 and int32 indices, repeats, a 0-d index") {
  const auto x = L("index_select.x");
  const auto i = L<int64_t>("index_select.index");
  CHECK(mismatch(index_select(x, 0, i), R("index_select.d0.out")) == "");
  CHECK(mismatch(x.index_select(1, i.slice(0, 0, 3).clamp_max(2)), R("index_select.d1.out")) == "");
  CHECK(mismatch(x.index_select(1, L<int32_t>("index_select.i32.index")), R("index_select.i32.out")) == "");
  CHECK(mismatch(index_select(x, 0, tensor<int64_t>(int64_t{2})), R("index_select.0d.out")) == "");
  CHECK(mismatch(index_select(x.t().contiguous().t(), 0, strided_copy(i)), R("index_select.d0.out")) == "");
  CHECK(index_select(x, 0, zeros<int64_t>({0})).sizes() == Shape{0, 3});
  const auto x3 = L("index_select.3d.x");
  const auto i3 = L<int64_t>("index_select.3d.index");
  CHECK(mismatch(x3.index_select(1, i3), R("index_select.3d.out")) == "");
  CHECK(mismatch(x3.index_select(1, strided_copy(i3).to<int32_t>()), R("index_select.3d.out")) == "");
  CHECK(mismatch(strided_copy(x3).index_select(1, i3), R("index_select.3d.out")) == "");  // the general loop
}

TEST_CASE("index_select: gradient is index_add of the output's (gradcheck, strided, empty, 0-d)") {
  const auto i = L<int64_t>("index_select.index");
  check_grad([&](const auto& v) { return index_select(v[0], 0, i); }, {leaf("index_select.x")});
  check_grad([&](const auto& v) { return index_select(v[0], 1, L<int32_t>("index_select.i32.index")); },
             {leaf("index_select.x", true)});
  check_grad([](const auto& v) { return index_select(v[0], 0, zeros<int64_t>({0})); },
             {ones<double>({2, 2}).requires_grad_()});
  check_grad([](const auto& v) { return index_select(v[0], 0, tensor<int64_t>({0, 0})); },
             {tensor<double>(3.0).requires_grad_()});
}

TEST_CASE("index_select: rejects bad indices") {
  auto x = zeros<float>({3, 10});
  CHECK_THROWS_WITH_AS(index_select(x, 1, tensor<int64_t>({10})),
                       "index_select: index 10 is out of bounds for dimension 1 with size 10", IndexError);
  CHECK_THROWS_WITH_AS(index_select(x, 1, tensor<int32_t>({-1})),
                       "index_select: index -1 is out of bounds for dimension 1 with size 10", IndexError);
  CHECK_THROWS_WITH_AS(index_select(x, 1, tensor<int64_t>({{1}})),
                       "index_select: index is supposed to be a vector, got shape [1, 1]", IndexError);
}

TEST_CASE("index_add: PyTorch's values, duplicates summed, alpha, an int32 index") {
  const auto x = L("index_add.x");
  const auto i = L<int64_t>("index_add.index");
  CHECK(mismatch(index_add(x, 0, i, L("index_add.src")), R("index_add.out")) == "");
  CHECK(mismatch(x.index_add(0, i, L("index_add.src"), 2), R("index_add.alpha.out")) == "");
  CHECK(mismatch(x.index_add(1, L<int32_t>("index_add.d1.index"), L("index_add.d1.src")), R("index_add.d1.out")) == "");
  auto y = strided_copy(x);
  y.index_add_(0, i, L("index_add.src"));
  CHECK(mismatch(y, R("index_add.out")) == "");
}

TEST_CASE("index_copy and index_fill: PyTorch's values; index_fill wraps negative indices") {
  const auto x = L("index_add.x");
  CHECK(mismatch(index_copy(x, 0, L<int64_t>("index_copy.index"), L("index_add.src")), R("index_copy.out")) == "");
  CHECK(mismatch(x.index_fill(1, L<int64_t>("index_fill.index"), -2.5), R("index_fill.out")) == "");
  auto y = x.clone();
  y.index_copy_(0, L<int64_t>("index_copy.index"), L("index_add.src"));
  CHECK(mismatch(y, R("index_copy.out")) == "");
  y = strided_copy(x);
  y.index_fill_(1, L<int64_t>("index_fill.index"), -2.5);
  CHECK(mismatch(y, R("index_fill.out")) == "");
}

TEST_CASE("index_add, index_copy, index_fill: gradients of self and source (gradcheck)") {
  const auto i = L<int64_t>("index_add.index");
  check_grad([&](const auto& v) { return index_add(v[0], 0, i, v[1], 2.0); },
             {leaf("index_add.x"), leaf("index_add.src", true)});
  check_grad([&](const auto& v) { return index_copy(v[0], 0, L<int64_t>("index_copy.index"), v[1]); },
             {leaf("index_add.x", true), leaf("index_add.src")});
  check_grad([&](const auto& v) { return index_fill(v[0], 1, L<int64_t>("index_fill.index"), 3.0); },
             {leaf("index_add.x")});
  check_grad([](const auto& v) { return index_add(v[0], 0, zeros<int64_t>({0}), v[1]); },
             {ones<double>({2, 2}).requires_grad_(), ones<double>({0, 2}).requires_grad_()});
}

TEST_CASE("index_add, index_copy, index_fill: reject bad indices and sources") {
  auto x = zeros<float>({3, 10});
  CHECK_THROWS_WITH_AS(x.index_add_(1, tensor<int64_t>({10}), zeros<float>({3, 1})),
                       "index_add_: index 10 is out of bounds for dimension 1 with size 10", IndexError);
  CHECK_THROWS_WITH_AS(x.index_add_(1, tensor<int64_t>({-1}), zeros<float>({3, 1})),
                       "index_add_: index -1 is out of bounds for dimension 1 with size 10", IndexError);
  CHECK_THROWS_WITH_AS(x.index_add_(1, tensor<int64_t>({1, 2}), zeros<float>({3, 1})),
                       "index_add_: number of indices (2) should be equal to source.size(dim) (1), for dim 1",
                       IndexError);
  CHECK_THROWS_WITH_AS(x.index_copy_(1, tensor<int64_t>({-1}), zeros<float>({3, 1})),
                       "index_copy_: index -1 is out of bounds for dimension 1 with size 10", IndexError);
  CHECK_THROWS_WITH_AS(x.index_copy(1, tensor<int64_t>({1}), zeros<float>({2, 1})),
                       "index_copy: source [2, 1] and self [3, 10] must match apart from dimension 1", ShapeError);
  CHECK_THROWS_WITH_AS(x.index_fill_(1, tensor<int64_t>({10}), 1.0),
                       "index_fill_: index 10 is out of bounds for dimension 1 with size 10", IndexError);
  CHECK_THROWS_WITH_AS(x.index_fill_(1, tensor<int64_t>({-11}), 1.0),
                       "index_fill_: index -11 is out of bounds for dimension 1 with size 10", IndexError);
}

TEST_CASE("scatter_ and index_add_: in place on a tensor that requires grad throws, as other in-place ops") {
  auto w = zeros<double>({2, 3}).requires_grad_();
  CHECK_THROWS_WITH_AS(w.scatter_(1, zeros<int64_t>({1, 1}), 1.0),
                       "scatter_: a leaf tensor that requires grad is being used in an in-place operation; wrap the "
                       "update in NoGradGuard (torch.no_grad())",
                       ValueError);
  auto y = zeros<double>({2, 3});
  CHECK_THROWS_WITH_AS(y.index_add_(0, tensor<int64_t>({0}), w.slice(0, 0, 1)),
                       "index_add_: the source requires grad, but in-place operations are not recorded by autograd; "
                       "use the out-of-place form, or NoGradGuard if no gradient should flow",
                       ValueError);
  NoGradGuard ng;
  w.index_fill_(1, tensor<int64_t>({0}), 2.0);
  CHECK(w.to_vector() == std::vector<double>{2, 0, 0, 2, 0, 0});
}

TEST_CASE("masked_fill: PyTorch's values, broadcast mask, out of place and in place") {
  const auto x = L("mask.x");
  CHECK(mismatch(masked_fill(x, L<bool>("mask.m"), 0.75), R("masked_fill.out")) == "");
  CHECK(mismatch(x.masked_fill(L<bool>("mask.m2"), -1.0), R("masked_fill.bcast.out")) == "");
  auto y = strided_copy(x);
  y.masked_fill_(L<bool>("mask.m"), 0.75);
  CHECK(mismatch(y, R("masked_fill.out")) == "");
  CHECK_THROWS_WITH_AS(y.masked_fill_(L<bool>("mask.m2"), 1.0),
                       "masked_fill_: mask of shape [2, 1, 4] cannot be broadcast to the tensor's shape [3, 4]",
                       ShapeError);
  CHECK_THROWS_WITH_AS(x.masked_fill(L<bool>("mask.m"), ones<float>({1})),
                       "masked_fill: only supports a 0-dimensional value tensor, but got tensor with 1 dimension(s)",
                       ShapeError);
}

TEST_CASE("masked_fill: gradient is zero where filled; a 0-d value gets the filled positions' sum") {
  const auto m = L<bool>("mask.m");
  check_grad([&](const auto& v) { return masked_fill(v[0], m, 2.0); }, {leaf("mask.x", true)});
  check_grad([&](const auto& v) { return masked_fill(v[0], L<bool>("mask.m2"), v[1]); },
             {leaf("mask.x"), tensor<double>(0.5).requires_grad_()});
}

TEST_CASE("masked_select: PyTorch's values, broadcast both ways, and the gradient") {
  const auto x = L("mask.x");
  CHECK(mismatch(masked_select(x, L<bool>("mask.m")), R("masked_select.out")) == "");
  CHECK(mismatch(x.masked_select(L<bool>("mask.m2")), R("masked_select.bcast.out")) == "");
  CHECK(mismatch(strided_copy(x).masked_select(L<bool>("mask.m3")), R("masked_select.same.out")) == "");
  check_grad([&](const auto& v) { return masked_select(v[0], L<bool>("mask.m2")); }, {leaf("mask.x", true)});
  check_grad([](const auto& v) { return masked_select(v[0], zeros<bool>({2})); }, {ones<double>({2}).requires_grad_()});
}

TEST_CASE("nonzero: PyTorch's indices for 2-D, 3-D int, 0-d and empty inputs; argwhere and where(cond)") {
  CHECK(mismatch(nonzero(L("nonzero.x")), R("nonzero.out")) == "");
  CHECK(mismatch(strided_copy(L("nonzero.x")).nonzero(), R("nonzero.out")) == "");
  CHECK(mismatch(argwhere(L<int32_t>("nonzero.3d.x")), R("nonzero.3d.out")) == "");
  CHECK(mismatch(nonzero(tensor<float>(3.0f)), R("nonzero.0d.out")) == "");
  CHECK(mismatch(nonzero(tensor<float>(0.0f)), R("nonzero.0d_zero.out")) == "");
  CHECK(mismatch(nonzero(zeros<float>({0, 3})), R("nonzero.empty.out")) == "");
  const auto nz = L<int64_t>("nonzero.out");
  const auto cols = where(L("nonzero.x") != 0.0f);
  REQUIRE(cols.size() == 2);
  for (int64_t d = 0; d < 2; ++d) CHECK(cols[d].to_vector() == nz.select(1, d).to_vector());
  CHECK(nonzero_numpy(tensor<float>(2.0f)).size() == 1);
}

TEST_CASE("one_hot: PyTorch's values, inferred and given num_classes, and its errors") {
  const auto c = L<int64_t>("one_hot.x");
  CHECK(mismatch(one_hot(c), R("one_hot.out")) == "");
  CHECK(mismatch(F::one_hot(c, 6), R("one_hot.n6.out")) == "");
  CHECK_THROWS_WITH_AS(one_hot(tensor<int64_t>({3}), 3),
                       "one_hot: class values must be smaller than num_classes (3), got 3", ValueError);
  CHECK_THROWS_WITH_AS(one_hot(tensor<int64_t>({-1}), 3), "one_hot: class values must be non-negative, got -1",
                       ValueError);
  CHECK_THROWS_WITH_AS(one_hot(zeros<int64_t>({0})),
                       "one_hot: can not infer total number of classes from empty tensor", ValueError);
  CHECK(one_hot(zeros<int64_t>({0}), 4).sizes() == Shape{0, 4});
}

TEST_CASE("take_along_dim: PyTorch's values with broadcasting and flattened, and the gradient") {
  const auto x = L("take_along_dim.x");
  CHECK(mismatch(take_along_dim(x, L<int64_t>("take_along_dim.index"), 1), R("take_along_dim.out")) == "");
  CHECK(mismatch(x.take_along_dim(L<int64_t>("take_along_dim.flat.index")), R("take_along_dim.flat.out")) == "");
  check_grad([&](const auto& v) { return take_along_dim(v[0], L<int64_t>("take_along_dim.index"), 1); },
             {leaf("take_along_dim.x", true)});
  CHECK_THROWS_WITH_AS(take_along_dim(x, zeros<int64_t>({1, 1, 1}), 1),
                       "take_along_dim: input and indices should have the same number of dimensions, but got 2 "
                       "dimensions for input, and 3 dimensions for indices",
                       ShapeError);
  // the typical use: values at argmax
  auto am = x.argmax(1, true);
  CHECK(take_along_dim(x, am, 1).view({-1}).to_vector() == x.max(1).values.to_vector());
}

TEST_CASE("gather, scatter, index_add, index_fill, masked_*, take_along_dim, one_hot: 0-d inputs as PyTorch") {
  const auto s = L("zerod.x");
  const auto i0 = tensor<int64_t>(int64_t{0});
  CHECK(mismatch(gather(s, 0, i0), R("zerod.gather.out")) == "");
  CHECK(mismatch(scatter(s, 0, i0, tensor<float>(-0.5f)), R("zerod.scatter.out")) == "");
  CHECK(mismatch(index_add(s, 0, i0, tensor<float>(2.0f)), R("zerod.index_add.out")) == "");
  CHECK(mismatch(index_fill(s, 0, i0, 3.0), R("zerod.index_fill.out")) == "");
  CHECK(mismatch(masked_select(s, tensor<bool>(true)), R("zerod.masked_select.out")) == "");
  CHECK(mismatch(masked_fill(s, tensor<bool>(true), 0.5), R("zerod.masked_fill.out")) == "");
  CHECK(mismatch(take_along_dim(s, i0), R("zerod.take_along_dim.out")) == "");
  CHECK(mismatch(one_hot(tensor<int64_t>(int64_t{2}), 4), R("zerod.one_hot.out")) == "");
  CHECK_THROWS_WITH_AS(take_along_dim(s, i0, 0), "take_along_dim: dimension specified as 0 but tensor has no dimensions",
                       IndexError);
  const auto z = [] { return tensor<double>(1.25).requires_grad_(); };
  check_grad([&](const auto& v) { return scatter(v[0], 0, i0, v[1]); }, {z(), z()});
  check_grad([&](const auto& v) { return index_add(v[0], 0, i0, v[1], 3.0); }, {z(), z()});
  check_grad([&](const auto& v) { return index_copy(v[0], 0, i0, v[1]); }, {z(), z()});
  check_grad([&](const auto& v) { return index_fill(v[0], 0, i0, 3.0); }, {z()});
  check_grad([](const auto& v) { return masked_select(v[0], tensor<bool>(true)); }, {z()});
  check_grad([](const auto& v) { return masked_fill(v[0], tensor<bool>(false), 2.0); }, {z()});
  check_grad([&](const auto& v) { return take_along_dim(v[0], i0); }, {z()});
}

namespace {
// out against PyTorch's `ref` everywhere but at `pos`, where it must hold one of `candidates`.
void check_one_wins(const Tensor<float>& out, const std::string& ref, int64_t pos, const std::vector<float>& candidates) {
  INFO(ref);
  auto expect = R(ref).as<float>();
  auto got = out.to_vector();
  REQUIRE(got.size() == expect.size());
  CHECK(std::find(candidates.begin(), candidates.end(), got[pos]) != candidates.end());
  got[pos] = expect[pos] = 0.0f;
  CHECK(got == expect);
}
}  // namespace

TEST_CASE("scatter, index_copy, index_put_: a repeated index gets one of its values; index_add, accumulate sum them") {
  // index [1, 3, 1, 1] with values [1, 2, 3, 4]: position 1 is written three times
  const auto v = L("dup.v");
  const auto i = L<int64_t>("dup.index");
  const std::vector<float> at1 = {1.0f, 3.0f, 4.0f};
  check_one_wins(scatter(zeros<float>({5}), 0, i, v), "dup.scatter.out", 1, at1);
  check_one_wins(index_copy(zeros<float>({5}), 0, i, v), "dup.index_copy.out", 1, at1);
  auto y = zeros<float>({5});
  y.index_put_({i}, v);
  check_one_wins(y, "dup.index_put.out", 1, at1);
  y = zeros<float>({5});
  y.index_put_({i}, v, true);
  CHECK(mismatch(y, R("dup.index_put_acc.out")) == "");
  CHECK(mismatch(index_add(zeros<float>({5}), 0, i, v), R("dup.index_add.out")) == "");
  CHECK(mismatch(scatter_add(zeros<float>({5}), 0, i, v), R("dup.index_add.out")) == "");
}

TEST_CASE("masked_select, masked_fill, one_hot: errors name the op and the shapes") {
  const auto x = zeros<float>({3, 4});
  CHECK_THROWS_WITH_AS(masked_select(x, zeros<bool>({2})),
                       "masked_select: shapes [3, 4] and [2] are not broadcastable: dim 1 is 4 vs 2", ShapeError);
  CHECK_THROWS_WITH_AS(masked_fill(x, zeros<bool>({2}), 1.0),
                       "masked_fill: shapes [3, 4] and [2] are not broadcastable: dim 1 is 4 vs 2", ShapeError);
  CHECK_THROWS_WITH_AS(x.masked_fill(zeros<bool>({2}), tensor<float>(1.0f)),
                       "masked_fill: shapes [3, 4] and [2] are not broadcastable: dim 1 is 4 vs 2", ShapeError);
  CHECK_THROWS_WITH_AS(one_hot(tensor<int64_t>({1}), -2), "one_hot: num_classes must be -1 or non-negative, got -2",
                       ValueError);
  CHECK_THROWS_WITH_AS(index_fill(x, 1, zeros<int64_t>({1, 1}), 1.0),
                       "index_fill: index should have dimension 1 or 0, got shape [1, 1]", IndexError);
  CHECK_THROWS_WITH_AS(index_copy(x, 1, zeros<int64_t>({1}), zeros<float>({1})),
                       "index_copy: source and self must have the same number of dimensions, got source [1] and self "
                       "[3, 4]",
                       ShapeError);
  CHECK_THROWS_WITH_AS(scatter(x, 1, zeros<int64_t>({1, 1}), zeros<float>({1})),
                       "scatter: index tensor must have the same number of dimensions as src tensor, got index [1, 1] "
                       "and src [1]",
                       ShapeError);
}

TEST_CASE("gather, scatter_add: contiguous operands of self's shape (the blocked loop) agree with strided ones, along every dim") {
  // Note [Blocked index loops]: contiguous self, index and src with index of
  // self's shape apart from dim take the blocked loop; strided copies of the
  // same values take the general one, which the golden tests above check.
  Generator gen(11);
  const auto x = rand<float>({3, 5, 4}, gen);
  for (int64_t d = 0; d < 3; ++d) {
    INFO("dim " << d);
    Shape is = x.sizes();
    is[d] = 7;  // longer than self along d: repeated picks
    const auto idx = (rand<float>(is, gen) * float(x.sizes()[d])).to<int64_t>().clamp_max(x.sizes()[d] - 1);
    CHECK(gather(x, d, idx).to_vector() == gather(strided_copy(x), d, strided_copy(idx)).to_vector());
    // scatter's index is no longer than self along d: self-shaped index and src
    const auto sidx = (rand<float>(x.sizes(), gen) * float(x.sizes()[d])).to<int64_t>().clamp_max(x.sizes()[d] - 1);
    const auto src = rand<float>(x.sizes(), gen);
    CHECK(scatter_add(x, d, sidx, src).to_vector() ==
          scatter_add(strided_copy(x), d, strided_copy(sidx), strided_copy(src)).to_vector());
    CHECK(scatter_add(zeros<float>(x.sizes()), d, sidx, src).sum().item() ==
          doctest::Approx(src.sum().item()).epsilon(1e-5));
    // out of place, the blocked loop copies self's rows as it goes; duplicates: the last wins in both loops
    CHECK(scatter(x, d, sidx, src).to_vector() ==
          scatter(strided_copy(x), d, strided_copy(sidx), strided_copy(src)).to_vector());
  }
}

TEST_CASE("index_select: slices short and long (inline copy or memcpy) agree with the strided loop") {
  Generator gen(13);
  for (int64_t cols : {1, 15, 16, 17, 64, 255, 256, 300}) {  // 300 floats: past the inline copy's 1 KB
    INFO("cols " << cols);
    const auto x = rand<float>({9, cols}, gen);
    const auto idx = tensor<int64_t>({8, 0, 3, 3, 7, 1});
    const auto want = index_select(strided_copy(x), 0, idx).to_vector();
    CHECK(index_select(x, 0, idx).to_vector() == want);
    CHECK(index_select(x, 0, idx).select(0, 2).to_vector() == x.select(0, 3).to_vector());
  }
}

TEST_CASE("gather, scatter_add: a bad index in the blocked loop gives the general loop's message, the first bad one") {
  auto x = zeros<float>({2, 3});
  CHECK_THROWS_WITH_AS(gather(x, 1, tensor<int64_t>({{0, 1, 2}, {2, -4, 3}})),
                       "gather: index -4 is out of bounds for dimension 1 with size 3", IndexError);
  CHECK_THROWS_WITH_AS(gather(x, 0, tensor<int64_t>({{0, 1, 1}, {2, 0, 5}})),
                       "gather: index 2 is out of bounds for dimension 0 with size 2", IndexError);
  CHECK_THROWS_WITH_AS(scatter_add(x, 1, tensor<int64_t>({{0, 3, 0}, {0, 0, 0}}), ones<float>({2, 3})),
                       "scatter_add: index 3 is out of bounds for dimension 1 with size 3", IndexError);
  // each index is checked before it is used: the elements before the bad one
  // were added, as in the general loop and in PyTorch (torch.zeros(2, 3).scatter_add_
  // of this index leaves [[2, 1, 0], [1, 0, 0]])
  auto y = zeros<float>({2, 3});
  CHECK_THROWS_AS(y.scatter_add_(1, tensor<int64_t>({{0, 0, 1}, {0, 7, 0}}), ones<float>({2, 3})), IndexError);
  CHECK(y.to_vector() == std::vector<float>{2, 1, 0, 1, 0, 0});
  // the bad index far into a larger tensor, and with inner dims (dim 0 of 3-D):
  // the blocked and the general loop throw the same text and leave the same state
  Generator gen(5);
  for (const auto& dp : {std::pair<int64_t, int64_t>{1, 627}, {1, 75}, {0, 117}, {0, 25}}) {
    const int64_t d = dp.first, pos = dp.second;  // not a structured binding: INFO captures them
    INFO("dim " << d << ", bad index at " << pos);  // in a row's unrolled part or its tail
    const Shape sz = d == 1 ? Shape{9, 70} : Shape{6, 4, 5};
    auto idx = (rand<float>(sz, gen) * float(sz[d])).to<int64_t>().clamp_max(sz[d] - 1);
    idx.view({-1})[pos].fill_(d == 1 ? -71 : 6);
    const auto src = rand<float>(sz, gen);
    auto blocked = zeros<float>(sz), general = zeros<float>(sz);
    const std::string msg = d == 1 ? "scatter_add_: index -71 is out of bounds for dimension 1 with size 70"
                                   : "scatter_add_: index 6 is out of bounds for dimension 0 with size 6";
    CHECK_THROWS_WITH_AS(blocked.scatter_add_(d, idx, src), msg.c_str(), IndexError);
    CHECK_THROWS_WITH_AS(strided_copy(general).scatter_add_(d, strided_copy(idx), strided_copy(src)), msg.c_str(),
                         IndexError);
    auto g2 = strided_copy(general);
    CHECK_THROWS_AS(g2.scatter_add_(d, strided_copy(idx), strided_copy(src)), IndexError);
    CHECK(blocked.to_vector() == g2.to_vector());
    CHECK(blocked.sum().item() != 0.0f);
    const std::string gmsg = d == 1 ? "gather: index -71 is out of bounds for dimension 1 with size 70"
                                    : "gather: index 6 is out of bounds for dimension 0 with size 6";
    CHECK_THROWS_WITH_AS(gather(src, d, idx), gmsg.c_str(), IndexError);
  }
}

namespace {
/// masked_fill by its definition: value where the (broadcast) mask is true, else x.
template <class T>
std::vector<T> masked_fill_def(const Tensor<T>& x, const Tensor<bool>& m, T v) {
  const Shape b = broadcast_shapes(x.sizes(), m.sizes(), "test");
  const auto xs = x.expand(b).contiguous().to_vector();
  const auto ms = m.expand(b).contiguous().to_vector();
  std::vector<T> out(xs.size());
  for (size_t k = 0; k < xs.size(); ++k) out[k] = ms[k] ? v : xs[k];
  return out;
}

template <class T>
void check_masked_fill_paths(Generator& gen) {
  // negative values only for signed types (a negative float to uint8 is undefined), both values for bool
  const auto u = rand<float>({5, 67}, gen);
  const auto x = std::is_same_v<T, bool> ? (u < 0.5f).template to<T>()
                                         : (u * 200.0f - (std::is_signed_v<T> ? 100.0f : 0.0f)).template to<T>();
  const T v = T(1);
  const Tensor<bool> masks[] = {
      rand<float>({5, 67}, gen) < 0.5f,                                  // contiguous, same shape
      rand<float>({1, 67}, gen) < 0.5f,                                  // broadcast over rows
      rand<float>({5, 1}, gen) < 0.5f,                                   // one element per row
      (rand<float>({67, 5}, gen) < 0.5f).transpose(0, 1),                // non-contiguous
      strided_copy(rand<float>({5, 67}, gen) < 0.5f),                    // strided
      tensor<bool>(true),                                                // 0-d
  };
  for (size_t i = 0; i < std::size(masks); ++i) {
    INFO("mask " << i);
    const auto& m = masks[i];
    const auto want = masked_fill_def(x, m, v);
    CHECK(masked_fill(x, m, v).to_vector() == want);
    CHECK(masked_fill(strided_copy(x), m, v).to_vector() == want);
    CHECK(masked_fill(x, m, v).to_vector() == where(m, tensor<T>(v), x).to_vector());
    auto y = x.clone();
    y.masked_fill_(m, v);
    CHECK(y.to_vector() == want);
    auto z = strided_copy(x);
    z.masked_fill_(m, v);
    CHECK(z.to_vector() == want);
  }
  // x broadcast by the mask: the result has the mask's shape
  const auto row = x.select(0, 0);
  const auto m = rand<float>({5, 67}, gen) < 0.5f;
  CHECK(masked_fill(row, m, v).sizes() == Shape{5, 67});
  CHECK(masked_fill(row, m, v).to_vector() == masked_fill_def(row, m, v));
}
}  // namespace

TEST_CASE("masked_fill: the vector loops (contiguous, broadcast, strided, 0-d mask) agree with the definition for every dtype, in place and out of place") {
  // Note [Branch-free masked_fill]: same-shape contiguous operands take one
  // vector loop, a mask constant along the run a fill or copy, others a strided select
  Generator gen(3);
  SUBCASE("float") { check_masked_fill_paths<float>(gen); }
  SUBCASE("double") { check_masked_fill_paths<double>(gen); }
  SUBCASE("int64") { check_masked_fill_paths<int64_t>(gen); }
  SUBCASE("int32") { check_masked_fill_paths<int32_t>(gen); }
  SUBCASE("uint8") { check_masked_fill_paths<uint8_t>(gen); }
  SUBCASE("bool") { check_masked_fill_paths<bool>(gen); }
}

TEST_CASE("masked_fill: empty inputs, and a bool tensor as its own mask") {
  CHECK(masked_fill(ones<float>({0, 3}), zeros<bool>({0, 3}), 2.0).sizes() == Shape{0, 3});
  CHECK(masked_fill(ones<float>({2, 3}), zeros<bool>({0, 1, 3}), 2.0).sizes() == Shape{0, 2, 3});
  auto e = ones<float>({0, 3});
  e.masked_fill_(zeros<bool>({3}), 2.0);
  CHECK(e.numel() == 0);
  auto b = tensor<bool>({true, false, true, true});
  CHECK(masked_fill(b, b, false).to_vector() == std::vector<bool>{false, false, false, false});
  b.masked_fill_(b, false);
  CHECK(b.to_vector() == std::vector<bool>{false, false, false, false});
}

TEST_CASE("masked_fill: gradient of a self broadcast by the mask (gradcheck)") {
  // self [4] broadcast to the mask's [2, 3, 4], and [3, 4] to [2, 3, 4]: the gradient sums over the new dims
  Generator gen(9);
  const auto mb = rand<float>({2, 3, 4}, gen) < 0.5f;
  check_grad([&](const auto& v) { return masked_fill(v[0], mb, -1.0); },
             {tensor<double>({0.5, -1.5, 2.0, 3.0}).requires_grad_()});
  check_grad([&](const auto& v) { return masked_fill(v[0], L<bool>("mask.m2"), 2.0); }, {leaf("mask.x", true)});
}
