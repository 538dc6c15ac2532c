// ops/compose.hpp and nn/padding.hpp: chunk, split, unbind, tensor_split,
// repeat, tile, repeat_interleave, flip, roll, tril, triu, diag, diagonal,
// movedim, unflatten, broadcast_to, resize_as_, meshgrid and F::pad against
// PyTorch (tests/reference/compose.txt, tools/gen_ref_indexing.py), views
// where PyTorch has views, gradients (gradcheck), errors.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <string>
#include <vector>

#include "support/golden.hpp"

using namespace tapegrad;
using namespace tapegrad_test;

namespace {
GOLDEN_FILE("compose.txt")

// The parts against <name>.n and <name>.p<i>, each a view of base.
void check_parts(const std::string& name, const std::vector<Tensor<float>>& parts, const Tensor<float>& base) {
  INFO("case ", name);
  REQUIRE(static_cast<int64_t>(parts.size()) == R(name + ".n").ints.at(0));
  for (size_t k = 0; k < parts.size(); ++k) {
    CHECK(mismatch(parts[k], R(name + ".p" + std::to_string(k))) == "");
    CHECK(shares_storage(parts[k], base));
  }
}

// the parts of a split joined again, so that gradcheck sees all of them
Tensor<double> joined(const std::vector<Tensor<double>>& parts) {
  std::vector<Tensor<double>> flat;
  for (const auto& p : parts) flat.push_back(p.reshape({-1}) * double(flat.size() + 1));
  return cat(flat);
}
}  // namespace

TEST_CASE("chunk, split, unbind, tensor_split: PyTorch's parts, as views") {
  const auto x = L("split.x");
  check_parts("chunk.c2", chunk(x, 2, 0), x);
  check_parts("chunk.c3d1", x.chunk(3, 1), x);
  const auto six = arange<float>(6);
  check_parts("chunk.c4of6", six.chunk(4), six);
  check_parts("split.s2d0", split(x, 2, 0), x);
  check_parts("split.sizes", x.split(std::vector<int64_t>{1, 3}, 1), x);
  check_parts("unbind.d1", unbind(x, 1), x);
  const auto y = L("tensor_split.x");
  check_parts("tensor_split.s3", tensor_split(y, 3), y);
  check_parts("tensor_split.idx", y.tensor_split(std::vector<int64_t>{1, 4}), y);
  check_parts("tensor_split.clamp", tensor_split(y, std::vector<int64_t>{-1, 10}), y);
}

TEST_CASE("chunk, split, unbind, tensor_split: gradients reach the input (gradcheck, strided)") {
  check_grad([](const auto& v) { return joined(chunk(v[0], 3, 1)); }, {leaf("split.x", true)});
  check_grad([](const auto& v) { return joined(v[0].split(std::vector<int64_t>{1, 3}, 1)); }, {leaf("split.x")});
  check_grad([](const auto& v) { return joined(unbind(v[0], 0)); }, {leaf("split.x")});
  check_grad([](const auto& v) { return joined(tensor_split(v[0], 3)); }, {leaf("tensor_split.x")});
}

TEST_CASE("split family: errors") {
  const auto x = zeros<float>({3, 4});
  CHECK_THROWS_WITH_AS(split(x, std::vector<int64_t>{1, 1}, 0),
                       "split: split_sizes must sum exactly to 3 (input tensor's size at dimension 0), but got "
                       "split_sizes=[1, 1]",
                       ValueError);
  CHECK_THROWS_WITH_AS(split(x, 0, 0), "split: split_size can only be 0 if dimension size is 0, but got dimension size of 3",
                       ValueError);
  CHECK_THROWS_WITH_AS(chunk(x, 0), "chunk: chunks must be greater than 0, got 0", ValueError);
  CHECK_THROWS_WITH_AS(tensor_split(tensor<float>(1.0f), 2),
                       "tensor_split: expected at least a 1-dimensional tensor, but got a tensor with 0 dims",
                       ShapeError);
  CHECK_THROWS_WITH_AS(unbind(tensor<float>(1.0f)), "unbind: dimension specified as 0 but tensor has no dimensions",
                       IndexError);  // PyTorch's IndexError
}

TEST_CASE("repeat, tile, repeat_interleave: PyTorch's values and gradients") {
  const auto x = L("repeat.x");
  CHECK(mismatch(x.repeat({2, 1, 3}), R("repeat.out")) == "");
  CHECK(mismatch(tile(x, {2}), R("tile.out")) == "");
  CHECK(mismatch(repeat_interleave(x, 2, 0), R("repeat_interleave.d0.out")) == "");
  CHECK(mismatch(x.repeat_interleave(2), R("repeat_interleave.flat.out")) == "");
  const auto rep = L<int64_t>("repeat_interleave.rep");
  CHECK(mismatch(x.repeat_interleave(rep, 1), R("repeat_interleave.t.out")) == "");
  CHECK(mismatch(repeat_interleave(rep), R("repeat_interleave.idx.out")) == "");
  check_grad([](const auto& v) { return v[0].repeat({2, 1, 3}); }, {leaf("repeat.x", true)});
  check_grad([](const auto& v) { return tile(v[0], {2}); }, {leaf("repeat.x")});
  check_grad([](const auto& v) { return repeat_interleave(v[0], 2, 0); }, {leaf("repeat.x")});
  check_grad([&](const auto& v) { return repeat_interleave(v[0], rep, 1); }, {leaf("repeat.x")});
  check_grad([](const auto& v) { return v[0].repeat({3}); }, {tensor<double>(1.5).requires_grad_()});
  CHECK(repeat(zeros<float>({2, 0}), {2, 2}).sizes() == Shape{4, 0});
  CHECK_THROWS_WITH_AS(x.repeat({2}),
                       "repeat: number of dimensions of repeat dims can not be smaller than number of dimensions of "
                       "tensor, got repeats [2] for a tensor of shape [2, 3]",
                       ShapeError);
  CHECK_THROWS_WITH_AS(repeat_interleave(x, tensor<int64_t>({1, 2}), 1),
                       "repeat_interleave: repeats must have the same size as input along dim, got repeats [2] for dim "
                       "1 of shape [2, 3]",
                       ShapeError);
}

TEST_CASE("flip, roll: PyTorch's values, copies, gradients") {
  const auto x = L("flip.x");
  CHECK(mismatch(flip(x, {0, 1}), R("flip.01.out")) == "");
  CHECK(mismatch(strided_copy(x).flip({-1}), R("flip.last.out")) == "");
  CHECK(mismatch(roll(x, {1, -2}, {0, 2}), R("roll.two.out")) == "");
  CHECK(mismatch(x.roll({3}), R("roll.flat.out")) == "");
  CHECK_FALSE(shares_storage(flip(x, {}), x));
  CHECK_FALSE(shares_storage(roll(x, {0}, {1}), x));
  check_grad([](const auto& v) { return flip(v[0], {0, 2}); }, {leaf("flip.x", true)});
  check_grad([](const auto& v) { return roll(v[0], {1, -2}, {0, 2}); }, {leaf("flip.x")});
  check_grad([](const auto& v) { return roll(v[0], {5}); }, {leaf("flip.x")});
  CHECK_THROWS_WITH_AS(flip(x, {0, -3}), "flip: dim 0 appears multiple times in the list of dims [0, -3]", ValueError);
  CHECK_THROWS_WITH_AS(roll(x, {1}, {0, 1}), "roll: shifts and dimensions must align, shifts: 1, dims: 2", ValueError);
}

TEST_CASE("tril, triu: PyTorch's values for diagonals 0, 1, -1 and batches; gradients") {
  const auto x = L("tri.x");
  for (const auto& [k, name] : {std::pair{0, "k0"}, {1, "k1"}, {-1, "km1"}}) {
    const std::string tag = name;  // a plain variable: INFO captures it
    INFO(tag);
    CHECK(mismatch(tril(x, k), R(std::string("tril.") + tag + ".out")) == "");
    CHECK(mismatch(x.triu(k), R(std::string("triu.") + tag + ".out")) == "");
  }
  CHECK(mismatch(tril(strided_copy(L("tri.xb"))), R("tril.batch.out")) == "");
  CHECK(mismatch(triu(L("tri.xb"), 1), R("triu.batch.out")) == "");
  check_grad([](const auto& v) { return tril(v[0], -1); }, {leaf("tri.x", true)});
  check_grad([](const auto& v) { return triu(v[0], 1); }, {leaf("tri.xb")});
  CHECK_THROWS_WITH_AS(tril(zeros<float>({3})), "tril: input tensor must have at least 2 dimensions, got shape [3]",
                       ShapeError);
}

TEST_CASE("diag, diagonal: PyTorch's values; diagonal is a view with PyTorch's strides and offset") {
  const auto v = L("diag.v");
  const auto x = L("tri.x");
  for (auto [k, tag] : {std::pair{0, "k0"}, {1, "k1"}, {-2, "km2"}})
    CHECK(mismatch(diag(v, k), R(std::string("diag.embed.") + tag + ".out")) == "");
  for (auto [k, tag] : {std::pair{0, "k0"}, {1, "k1"}, {-1, "km1"}})
    CHECK(mismatch(x.diag(k), R(std::string("diag.take.") + tag + ".out")) == "");
  const auto x3 = L("diagonal.x");
  auto d = diagonal(x3, 1, 1, 2);
  CHECK(mismatch(d, R("diagonal.out")) == "");
  CHECK(d.strides() == Shape(R("diagonal.strides").ints.begin(), R("diagonal.strides").ints.end()));
  CHECK(d.storage_offset() == R("diagonal.offset").ints.at(0));
  CHECK(shares_storage(d, x3));
  d = x3.diagonal(-1, 2, 0);
  CHECK(mismatch(d, R("diagonal.neg.out")) == "");
  CHECK(d.strides() == Shape(R("diagonal.neg.strides").ints.begin(), R("diagonal.neg.strides").ints.end()));
  CHECK(d.storage_offset() == R("diagonal.neg.offset").ints.at(0));
  check_grad([](const auto& in) { return diag(in[0], -2); }, {leaf("diag.v")});
  check_grad([](const auto& in) { return diag(in[0], 1); }, {leaf("tri.x", true)});
  check_grad([](const auto& in) { return diagonal(in[0], -1, 2, 0); }, {leaf("diagonal.x")});
  CHECK(diagonal(zeros<float>({2, 3}), 5).sizes() == Shape{0});
  CHECK_THROWS_WITH_AS(diagonal(x3, 0, 1, -2), "diagonal: diagonal dimensions cannot be identical 1, -2", ValueError);
  CHECK_THROWS_WITH_AS(diag(x3), "diag: supports 1D or 2D tensors, got 3D (shape [2, 3, 4])", ShapeError);
}

TEST_CASE("movedim, moveaxis, unflatten, broadcast_to: PyTorch's values, as views") {
  const auto x3 = L("diagonal.x");
  CHECK(mismatch(movedim(x3, 0, 2), R("movedim.one.out")) == "");
  CHECK(mismatch(x3.moveaxis({0, 1}, {2, 0}), R("movedim.two.out")) == "");
  CHECK(shares_storage(x3.movedim(0, 2), x3));
  CHECK(mismatch(moveaxis(x3, 0, 2), R("movedim.one.out")) == "");
  const auto u = L("unflatten.x");
  CHECK(mismatch(u.unflatten(1, {2, -1}), R("unflatten.out")) == "");
  CHECK(shares_storage(unflatten(u, 1, {2, -1}), u));
  CHECK(broadcast_to(u, {2, 3, 6}).sizes() == Shape{2, 3, 6});
  check_grad([](const auto& v) { return v[0].movedim({0, 1}, {2, 0}); }, {leaf("diagonal.x")});
  check_grad([](const auto& v) { return broadcast_to(v[0], {2, 3, 6}); }, {leaf("unflatten.x")});
  CHECK_THROWS_WITH_AS(movedim(x3, {0, 0}, {1, 2}), "movedim: repeated dim in `source` ([0, 0])", ValueError);
  CHECK_THROWS_WITH_AS(movedim(x3, {0}, {1, 2}),
                       "movedim: Invalid source or destination dims: source ([0]) and destination ([1, 2]) dims must "
                       "have same number of elements",
                       ValueError);
  CHECK_THROWS_WITH_AS(u.unflatten(1, {4, -1}),
                       "unflatten: provided sizes [4, -1] don't multiply up to the size of dim 1 (6) in the input "
                       "tensor of shape [3, 6]",
                       ShapeError);
  auto r = zeros<float>({2});
  r.resize_as_(u);
  CHECK(r.sizes() == u.sizes());
}

TEST_CASE("meshgrid: PyTorch's grids for ij and xy indexing, expanded views") {
  const auto a = L("meshgrid.a"), b = L("meshgrid.b"), c = L("meshgrid.c");
  auto ij = meshgrid({a, b, c});
  REQUIRE(ij.size() == 3);
  for (size_t k = 0; k < 3; ++k) CHECK(mismatch(ij[k], R("meshgrid.ij.p" + std::to_string(k))) == "");
  auto xy = meshgrid({a, b, c}, "xy");
  REQUIRE(xy.size() == 3);
  for (size_t k = 0; k < 3; ++k) CHECK(mismatch(xy[k], R("meshgrid.xy.p" + std::to_string(k))) == "");
  CHECK(shares_storage(ij[1], b));
  CHECK_THROWS_WITH_AS(meshgrid({a, b}, "ji"), "meshgrid: indexing must be one of \"xy\" or \"ij\", but received: ji",
                       ValueError);
}

TEST_CASE("F::pad: constant, negative, reflect and replicate padding as PyTorch, with gradients") {
  const auto x = L("pad.x");
  CHECK(mismatch(F::pad(x, {1, 2}, "constant", 0.5), R("pad.c12.out")) == "");
  CHECK(mismatch(F::pad(strided_copy(x), {1, 1, 2, 0}), R("pad.c1120.out")) == "");
  CHECK(mismatch(F::pad(x, {-1, 2}), R("pad.neg.out")) == "");
  const auto xr = L("pad.r.x"), x4 = L("pad.r4.x");
  CHECK(mismatch(F::pad(xr, {2, 1}, "reflect"), R("pad.reflect.out")) == "");
  CHECK(mismatch(F::pad(xr, {2, 3}, "replicate"), R("pad.replicate.out")) == "");
  CHECK(mismatch(F::pad(x4, {1, 3, 2, 0}, "reflect"), R("pad.reflect2d.out")) == "");
  CHECK(mismatch(F::pad(x4, {0, 1, 1, 2}, "replicate"), R("pad.replicate2d.out")) == "");
  check_grad([](const auto& v) { return F::pad(v[0], {1, 1, 2, 0}); }, {leaf("pad.x", true)});
  check_grad([](const auto& v) { return F::pad(v[0], {-1, 2}); }, {leaf("pad.x")});
  check_grad([](const auto& v) { return F::pad(v[0], {2, 1}, "reflect"); }, {leaf("pad.r.x")});
  check_grad([](const auto& v) { return F::pad(v[0], {0, 1, 1, 2}, "replicate"); }, {leaf("pad.r4.x")});
  CHECK_THROWS_WITH_AS(F::pad(x, {1}), "pad: Padding length must be divisible by 2, got padding [1]", ValueError);
  CHECK_THROWS_WITH_AS(F::pad(xr, {4, 0}, "reflect"),
                       "pad: Argument #4: Padding size should be less than the corresponding input dimension, but got: "
                       "padding (4, 0) at dimension 2 of input [1, 2, 4]",
                       ValueError);
  // PyTorch 1.13 pads circularly only a batched input [N, C, *]
  CHECK_THROWS_WITH_AS(F::pad(x, {1, 1}, "circular"),
                       "pad: Invalid padding size, expected 0 but got 2 (circular padding needs a batched input [N, C, "
                       "*], got input[2, 3])",
                       ShapeError);
}

TEST_CASE("flip, roll, tile, repeat, repeat_interleave, movedim, meshgrid: 0-d inputs as PyTorch, with gradients") {
  const auto s = L("zerod.x");
  CHECK(mismatch(s.flip({0}), R("zerod.flip.out")) == "");
  CHECK(mismatch(s.roll({1}), R("zerod.roll.out")) == "");
  CHECK(mismatch(s.tile({2}), R("zerod.tile.out")) == "");
  CHECK(mismatch(s.repeat({3, 1}), R("zerod.repeat.out")) == "");
  CHECK(mismatch(s.repeat_interleave(3), R("zerod.repeat_interleave.out")) == "");
  CHECK(mismatch(s.movedim(0, 0), R("zerod.movedim.out")) == "");
  const auto b = L("meshgrid.b");
  const auto grid = meshgrid({s, b}, "xy");
  REQUIRE(grid.size() == 2);
  for (size_t k = 0; k < 2; ++k) CHECK(mismatch(grid[k], R("meshgrid.zerod.p" + std::to_string(k))) == "");
  check_grad([](const auto& v) { return v[0].flip({0}); }, {leaf("zerod.x")});
  check_grad([](const auto& v) { return v[0].roll({1}); }, {leaf("zerod.x")});
  check_grad([](const auto& v) { return v[0].tile({2}); }, {leaf("zerod.x")});
  check_grad([](const auto& v) { return v[0].repeat_interleave(3); }, {leaf("zerod.x")});
  check_grad([](const auto& v) { return v[0].movedim(0, 0); }, {leaf("zerod.x")});
  check_grad([](const auto& v) { return meshgrid({v[0], v[1]}, "xy")[0] * meshgrid({v[0], v[1]}, "xy")[1]; },
             {leaf("zerod.x"), leaf("meshgrid.b")});
}

TEST_CASE("chunk, split, tensor_split, flip, roll, tril, repeat, diag, unflatten, F::pad: empty inputs as PyTorch") {
  const auto e = zeros<float>({0, 3});
  check_parts("chunk.empty", e.chunk(2), e);
  check_parts("split.empty", e.split(2), e);
  check_parts("tensor_split.empty", e.tensor_split(3), e);
  CHECK(mismatch(e.flip({0}), R("empty.flip.out")) == "");
  CHECK(mismatch(e.roll({1}, {0}), R("empty.roll.out")) == "");
  CHECK(mismatch(e.tril(), R("empty.tril.out")) == "");
  CHECK(mismatch(e.repeat({2, 2}), R("empty.repeat.out")) == "");
  CHECK(mismatch(diag(zeros<float>({0})), R("empty.diag.out")) == "");
  CHECK(mismatch(e.unflatten(0, {0, 5}), R("empty.unflatten.out")) == "");
  CHECK(mismatch(F::pad(e, {1, 1}), R("empty.pad.out")) == "");
  // the backward of each runs on the empty gradient and gives the input's shape
  const auto z = [] { return zeros<double>({0, 3}).requires_grad_(); };
  check_grad([](const auto& v) { return joined(v[0].chunk(2)); }, {z()});
  check_grad([](const auto& v) { return v[0].flip({0, 1}); }, {z()});
  check_grad([](const auto& v) { return v[0].roll({1}, {1}); }, {z()});
  check_grad([](const auto& v) { return v[0].triu(); }, {z()});
  check_grad([](const auto& v) { return v[0].repeat({2, 2}); }, {z()});
  check_grad([](const auto& v) { return F::pad(v[0], {1, 1}); }, {z()});
  check_grad([](const auto& v) { return diag(v[0]); }, {zeros<double>({0}).requires_grad_()});
  // the gradient of an empty input keeps its shape
  auto x = zeros<double>({0, 3}).requires_grad_();
  F::pad(x, {1, 1}).sum().backward();
  CHECK(x.grad().sizes() == Shape{0, 3});
}

TEST_CASE("broadcast_to, tensor_split, repeat, repeat_interleave, unflatten, movedim, meshgrid, F::pad: errors") {
  const auto x = zeros<float>({3, 4});
  CHECK(shares_storage(x.broadcast_to({2, -1, 4}), x));
  CHECK(x.broadcast_to({2, -1, 4}).sizes() == Shape{2, 3, 4});
  CHECK_THROWS_WITH_AS(broadcast_to(x, {2, 3}), "broadcast_to: a tensor of shape [3, 4] cannot be broadcast to shape [2, 3]",
                       ShapeError);
  CHECK_THROWS_WITH_AS(x.broadcast_to({4}), "broadcast_to: a tensor of shape [3, 4] cannot be broadcast to shape [4]",
                       ShapeError);
  CHECK_THROWS_WITH_AS(x.broadcast_to({-1, 3, 4}),
                       "broadcast_to: a tensor of shape [3, 4] cannot be broadcast to shape [-1, 3, 4]", ShapeError);
  CHECK_THROWS_WITH_AS(tensor_split(x, 0), "tensor_split: number of sections must be larger than 0, got 0", ValueError);
  CHECK_THROWS_WITH_AS(split(x, -1), "split: split_size must be non-negative, got -1", ValueError);
  CHECK_THROWS_WITH_AS(x.repeat({1, -1}), "repeat: repeats can not be negative, got [1, -1]", ValueError);
  CHECK_THROWS_WITH_AS(repeat_interleave(x, -1), "repeat_interleave: repeats can not be negative, got -1", ValueError);
  CHECK_THROWS_WITH_AS(x.unflatten(1, {-1, -1}), "unflatten: only one dimension can be inferred, got sizes [-1, -1]",
                       ValueError);
  CHECK_THROWS_WITH_AS(x.movedim({0, 1}, {1, 1}), "movedim: repeated dim in `destination` ([1, 1])", ValueError);
  CHECK_THROWS_WITH_AS(meshgrid({x, x}), "meshgrid: expects all tensors to be 0-D or 1-D, got shape [3, 4] for tensor 0",
                       ShapeError);
  CHECK_THROWS_WITH_AS(flip(x, {2}), "flip: dimension out of range (expected to be in range of [-2, 1], but got 2)",
                       IndexError);
  // a negative pad crops in every mode, as PyTorch (tests/ops/pad_test.cpp checks the values)
  CHECK(F::pad(x.unsqueeze(0), {-1, 1}, "replicate").sizes() == Shape{1, 3, 4});
  CHECK_THROWS_WITH_AS(F::pad(x, {-3, -2}),
                       "pad: The input size 4, plus negative padding -3 and -2 resulted in a negative output size, "
                       "which is invalid. Check dimension 1 of your input.",
                       ValueError);
  CHECK_THROWS_WITH_AS(F::pad(x, {1, 1, 1, 1, 1, 1}),
                       "pad: Padding length too large: padding [1, 1, 1, 1, 1, 1] for input[3, 4]", ValueError);
}
