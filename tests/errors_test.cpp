// One place for the exact text and type of representative errors across ops
// (design notes, section 3: op first, shapes as [a, b], the offending dim
// named, lowercase, no trailing period), and for the promise that a failed op
// leaves its inputs as they were.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <stdexcept>
#include <string>
#include <vector>

using namespace tapegrad;

TEST_CASE("errors: every exception derives from tapegrad::Error and std::runtime_error") {
  CHECK_THROWS_AS(zeros<float>({2}) + zeros<float>({3}), Error);
  CHECK_THROWS_AS(ones<float>({2}).item(), std::runtime_error);
  CHECK_THROWS_AS(zeros<float>({2})(5), Error);
  CHECK_THROWS_AS(randint(1, 1, {1}), Error);
}

TEST_CASE("matmul: names both shapes and the mismatched inner dimensions") {
  const auto a = zeros<float>({256, 784});
  const auto b = zeros<float>({256, 10});
  CHECK_THROWS_WITH_AS(matmul(a, b), "matmul: inner dimensions must match, got [256, 784] @ [256, 10] (784 != 256)",
                       ShapeError);
  CHECK_THROWS_WITH_AS(a.matmul(b), "matmul: inner dimensions must match, got [256, 784] @ [256, 10] (784 != 256)",
                       ShapeError);
  CHECK_THROWS_WITH_AS(mm(zeros<double>({2, 3}), zeros<double>({4, 5})),
                       "mm: inner dimensions must match, got [2, 3] @ [4, 5] (3 != 4)", ShapeError);
  CHECK_THROWS_WITH_AS(mv(zeros<double>({2, 3}), zeros<double>({2})),
                       "mv: inner dimensions must match, got [2, 3] @ [2] (3 != 2)", ShapeError);
  CHECK_THROWS_WITH_AS(matmul(zeros<float>({}), zeros<float>({3})),
                       "matmul: both arguments need to be at least 1-D, got [] and [3]", ShapeError);
}

TEST_CASE("mm/dot: reject the wrong number of dims and vectors of different lengths") {
  CHECK_THROWS_WITH_AS(mm(zeros<float>({2, 3, 4}), zeros<float>({4, 5})),
                       "mm: expected 2-D tensors, got [2, 3, 4] and [4, 5]", ShapeError);
  CHECK_THROWS_WITH_AS(dot(zeros<float>({3}), zeros<float>({4})), "dot: inner dimensions must match, got [3] @ [4] (3 != 4)",
                       ShapeError);
  CHECK_THROWS_WITH_AS(dot(zeros<float>({3, 1}), zeros<float>({3})), "dot: expected 1-D tensors, got [3, 1] and [3]",
                       ShapeError);
  CHECK_THROWS_WITH_AS(bmm(zeros<float>({2, 3, 4}), zeros<float>({3, 4, 5})),
                       "bmm: batch sizes must match, got [2, 3, 4] and [3, 4, 5] (2 != 3)", ShapeError);
}

TEST_CASE("add: names the shapes and the first mismatching dim from the right") {
  const auto a = zeros<float>({4, 3});
  const auto b = zeros<float>({2, 3});
  CHECK_THROWS_WITH_AS(add(a, b), "add: shapes [4, 3] and [2, 3] are not broadcastable: dim 0 is 4 vs 2", ShapeError);
  CHECK_THROWS_WITH_AS(a + b, "add: shapes [4, 3] and [2, 3] are not broadcastable: dim 0 is 4 vs 2", ShapeError);
  CHECK_THROWS_WITH_AS(a * zeros<double>({5}), "mul: shapes [4, 3] and [5] are not broadcastable: dim 1 is 3 vs 5",
                       ShapeError);
  CHECK_THROWS_WITH_AS(where(zeros<bool>({2}), a, 1.0f),
                       "where: shapes [2] and [4, 3] are not broadcastable: dim 1 is 2 vs 3", ShapeError);
}

TEST_CASE("view: an incompatible layout points to reshape()") {
  const auto x = zeros<float>({4, 6}).t();
  CHECK_THROWS_WITH_AS(x.view({24}),
                       "view: shape [24] is incompatible with input shape [6, 4] and strides [1, 6]; use reshape()",
                       ShapeError);
  CHECK(x.reshape({24}).sizes() == Shape{24});  // which works
}

TEST_CASE("item/index: report the element count and the offending index") {
  CHECK_THROWS_WITH_AS(zeros<float>({2, 5}).item(),
                       "item: a tensor with 10 elements cannot be converted to a scalar (shape [2, 5])", ValueError);
  const auto x = zeros<int64_t>({2, 3});
  CHECK_THROWS_WITH_AS(x(1, 3), "index: index 3 is out of bounds for dimension 1 with size 3", IndexError);
  CHECK_THROWS_WITH_AS(x[-3], "select: index -3 out of range for tensor of shape [2, 3] at dimension 0", IndexError);
}

TEST_CASE("add_: an in-place op whose broadcast shape differs from the destination fails, leaving it intact") {
  const auto dst = tensor<float>({1, 2, 3});
  const auto version = dst.storage()->version();
  CHECK_THROWS_WITH_AS(dst.add_(ones<float>({2, 3})), "add_: output with shape [3] doesn't match the broadcast shape [2, 3]",
                       ShapeError);
  CHECK_THROWS_WITH_AS(dst += ones<float>({2, 3}), "add_: output with shape [3] doesn't match the broadcast shape [2, 3]",
                       ShapeError);
  CHECK_THROWS_WITH_AS(dst.mul_(ones<float>({4})), "mul_: shapes [3] and [4] are not broadcastable: dim 0 is 3 vs 4",
                       ShapeError);
  CHECK(dst.to_vector() == std::vector<float>{1, 2, 3});
  CHECK(dst.storage()->version() == version);  // nothing was written
  dst.add_(ones<float>({1}));  // a broadcast that fits is fine
  CHECK(dst.to_vector() == std::vector<float>{2, 3, 4});
}

TEST_CASE("add_: writing into an expanded tensor is refused before anything is written") {
  const auto base = tensor<float>({1, 2, 3});
  const auto expanded = base.expand({2, 3});
  CHECK_THROWS_WITH_AS(expanded.add_(ones<float>({2, 3})),
                       "add_: unsupported operation: more than one element of the written-to tensor refers to a "
                       "single memory location (shape [2, 3], strides [0, 1]); call clone() first",
                       ValueError);
  CHECK_THROWS_WITH_AS(expanded.relu_(),
                       "relu_: unsupported operation: more than one element of the written-to tensor refers to a "
                       "single memory location (shape [2, 3], strides [0, 1]); call clone() first",
                       ValueError);
  CHECK(base.to_vector() == std::vector<float>{1, 2, 3});
  auto owned = expanded.clone();  // the suggested fix
  owned.add_(ones<float>({2, 3}));
  CHECK(owned.to_vector() == std::vector<float>{2, 3, 4, 2, 3, 4});
}

TEST_CASE("wrap_dim: names the op, the valid range and the dim") {
  const auto x = zeros<float>({2, 3});
  CHECK_THROWS_WITH_AS(x.sum(2), "sum: dimension out of range (expected to be in range of [-2, 1], but got 2)", IndexError);
  CHECK_THROWS_WITH_AS(x.softmax(-3), "softmax: dimension out of range (expected to be in range of [-2, 1], but got -3)",
                       IndexError);
  CHECK_THROWS_WITH_AS(x.size(5), "size: dimension out of range (expected to be in range of [-2, 1], but got 5)",
                       IndexError);
  CHECK_THROWS_WITH_AS(x.sum(Shape{1, -1}), "sum: dim -1 appears multiple times in the list of dims [1, -1]", ValueError);
}

TEST_CASE("tensor: using an undefined (default-constructed) tensor throws instead of crashing") {
  const Tensor<float> undefined;
  CHECK_FALSE(undefined.defined());
  const char* msg = "tensor: operation on an undefined tensor (default-constructed Tensor)";
  CHECK_THROWS_WITH_AS(undefined.sizes(), msg, ValueError);
  CHECK_THROWS_WITH_AS(undefined.numel(), msg, ValueError);
  CHECK_THROWS_WITH_AS(undefined.item(), msg, ValueError);
  CHECK_THROWS_WITH_AS(undefined + ones<float>({2}), msg, ValueError);
  CHECK_THROWS_WITH_AS(ones<float>({2}).add_(undefined), msg, ValueError);
  CHECK_THROWS_WITH_AS(undefined.view({1}), msg, ValueError);
}

TEST_CASE("clamp: a fractional bound on an integer tensor is refused, the tensor unchanged") {
  const auto x = arange(5);
  CHECK_THROWS_WITH_AS(x.clamp(0.5), "clamp: bound 0.5 is not an integer for a int64 tensor; convert the tensor with "
                                     "to<float>() first",
                       ValueError);
  CHECK_THROWS_WITH_AS(x.clamp_(std::nullopt, 2.25),
                       "clamp_: bound 2.25 is not an integer for a int64 tensor; convert the tensor with to<float>() "
                       "first",
                       ValueError);
  CHECK(x.to_vector() == std::vector<int64_t>{0, 1, 2, 3, 4});
  CHECK(x.clamp(1.0, 3.0).to_vector() == std::vector<int64_t>{1, 1, 2, 3, 3});  // integral doubles are fine
  CHECK_THROWS_WITH_AS(x.clamp(std::nullopt, std::nullopt), "clamp: at least one of 'min' or 'max' must not be None",
                       ValueError);
}

TEST_CASE("randint: low must be below high") {
  CHECK_THROWS_WITH_AS(randint(5, 5, {3}), "randint: expected low < high, but got low=5 high=5", ValueError);
  CHECK_THROWS_WITH_AS(randint<int32_t>(0, -1, {3}), "randint: expected low < high, but got low=0 high=-1", ValueError);
}

TEST_CASE("errors: a failed op leaves every input as it was") {
  SUBCASE("an integer tensor to a negative scalar power") {
    const auto base = tensor<int64_t>({2, 3, 4});
    CHECK_THROWS_WITH_AS(pow(base, -1),
                         "pow: integers to negative integer powers are not allowed (int64 tensor ** -1)", ValueError);
    CHECK(base.to_vector() == std::vector<int64_t>{2, 3, 4});
  }
  SUBCASE("copy_ with an unbroadcastable source") {
    const auto dst = tensor<double>({{1, 2}, {3, 4}});
    CHECK_THROWS_WITH_AS(dst.copy_(zeros<double>({3, 2})),
                         "copy_: shapes [2, 2] and [3, 2] are not broadcastable: dim 0 is 2 vs 3", ShapeError);
    CHECK(dst.to_vector() == std::vector<double>{1, 2, 3, 4});
  }
  SUBCASE("a sub_ of a view that broadcasts too far") {
    const auto x = arange<float>(6).view({2, 3});
    CHECK_THROWS_WITH_AS(x[0].sub_(ones<float>({2, 3})), "sub_: output with shape [3] doesn't match the broadcast shape [2, 3]",
                         ShapeError);
    CHECK(x.to_vector() == std::vector<float>{0, 1, 2, 3, 4, 5});
  }
  SUBCASE("resize_ of from_blob memory") {
    float buf[2] = {5, 6};
    const auto t = from_blob(buf, {2});
    CHECK_THROWS_AS(t.resize_({3}), ValueError);
    CHECK(t.sizes() == Shape{2});
    CHECK(buf[0] == 5);
    CHECK(buf[1] == 6);
  }
}
