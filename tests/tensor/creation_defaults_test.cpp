// tensor() without a dtype infers it as torch.tensor does, and the factories
// take PyTorch's keywords as TensorOptions (tests/reference/surface2.txt).
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "support/reference.hpp"

namespace tg = tapegrad;
using tapegrad_test::ref;

namespace {

constexpr const char* kFile = "surface2.txt";

// dtype (the C++ type), shape and values of t are the record's.
template <tg::Element T>
void check_literal(const tg::Tensor<T>& t, const std::string& name) {
  INFO("record: lit.", name);
  const auto& r = ref(kFile, "lit." + name);
  CHECK(std::string(tg::dtype_name<T>()) == r.dtype);
  CHECK(t.sizes() == tg::Shape(r.shape.begin(), r.shape.end()));
  CHECK(t.to_vector() == r.as<T>());
}

}  // namespace

TEST_CASE("tensor: an untyped literal has the dtype and values torch.tensor gives it") {
  check_literal(tg::tensor({1, 2, 3}), "ints_1d");
  check_literal(tg::tensor({{1, 2}, {3, 4}}), "ints_2x2");
  check_literal(tg::tensor({1.5, -2.0}), "floats_1d");
  check_literal(tg::tensor({{1.0, 0}, {1, 1.5}}), "mixed_2x2");
  check_literal(tg::tensor({true, false, true}), "bools");
  check_literal(tg::tensor({true, 2}), "bool_int");
  check_literal(tg::tensor({{true}, {2.5}}), "bool_float");
  check_literal(tg::tensor({{{1, 2}}, {{3, 4}}}), "ints_2x1x2");
  check_literal(tg::tensor({{{{{0.5}}}, {{{1}}}}}), "floats_depth5");
  check_literal(tg::tensor({9007199254740993LL, INT64_MIN}), "big_int");
  check_literal(tg::tensor({7}), "single");
}

TEST_CASE("tensor: an untyped literal's C++ type follows its values") {
  static_assert(std::is_same_v<decltype(tg::tensor({1, 2})), tg::Tensor<int64_t>>);
  static_assert(std::is_same_v<decltype(tg::tensor({1u, 2ul})), tg::Tensor<int64_t>>);
  static_assert(std::is_same_v<decltype(tg::tensor({1.0f, 2.0})), tg::Tensor<float>>);
  static_assert(std::is_same_v<decltype(tg::tensor({{1}, {2.0}})), tg::Tensor<float>>);
  static_assert(std::is_same_v<decltype(tg::tensor({false})), tg::Tensor<bool>>);
  static_assert(std::is_same_v<decltype(tg::tensor(2.5)), tg::Tensor<float>>);
  static_assert(std::is_same_v<decltype(tg::tensor(2)), tg::Tensor<int64_t>>);
  static_assert(std::is_same_v<decltype(tg::tensor(true)), tg::Tensor<bool>>);
  // A dtype given keeps today's typed overloads.
  static_assert(std::is_same_v<decltype(tg::tensor<double>({1, 2})), tg::Tensor<double>>);
  static_assert(std::is_same_v<decltype(tg::tensor<int32_t>({{1, 2}})), tg::Tensor<int32_t>>);
  static_assert(std::is_same_v<decltype(tg::tensor<float>(2)), tg::Tensor<float>>);
  CHECK(tg::tensor(2.5).item() == 2.5f);
  CHECK(tg::tensor(-7).item() == -7);
  CHECK(tg::tensor(2.5).dim() == 0);
}

TEST_CASE("tensor: a ragged literal throws PyTorch's ValueError") {
  CHECK_THROWS_WITH_AS(tg::tensor({{1, 2}, {3, 4, 5}}), (std::string("tensor: ") + ref(kFile, "lit.ragged_dim1.err").text).c_str(),
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::tensor({{{1}, {2}}, {{3}, {4, 5}}}),
                       (std::string("tensor: ") + ref(kFile, "lit.ragged_dim2.err").text).c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::tensor({{1.5, 2}, {}}), (std::string("tensor: ") + ref(kFile, "lit.ragged_empty.err").text).c_str(),
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::tensor<float>({{1, 2}, {3, 4, 5}}), "tensor: expected sequence of length 2 at dim 1 (got 3)",
                       tg::ValueError);
}

TEST_CASE("tensor: a literal mixing numbers and lists at one depth names the dim") {
  CHECK_THROWS_WITH_AS(tg::tensor({{1, 2}, 3}), "tensor: expected a sequence at dim 1, got a number", tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::tensor({1.5, {2}}), "tensor: expected a number at dim 1, got a sequence of length 1",
                       tg::ValueError);
}

TEST_CASE("tensor: an untyped literal without values asks for a dtype") {
  CHECK_THROWS_WITH_AS(tg::tensor({}),
                       "tensor: the literal of shape [0] has no values to infer a dtype from; name one, e.g. "
                       "zeros<float>([0])",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::tensor({{}, {}}),
                       "tensor: the literal of shape [2, 0] has no values to infer a dtype from; name one, e.g. "
                       "zeros<float>([2, 0])",
                       tg::ValueError);
}

TEST_CASE("tensor: an integer literal int64 cannot hold is refused") {
  CHECK_THROWS_WITH_AS(tg::tensor({1ULL << 63}),
                       "tensor: value 9223372036854775808 cannot be converted to type int64 without overflow",
                       tg::ValueError);
}

TEST_CASE("factories: {.requires_grad = true} makes a leaf that requires grad") {
  tg::Generator g(26);
  std::vector<tg::Tensor<float>> made = {
      tg::randn<float>({3, 4}, {.requires_grad = true}),
      tg::randn<float>({3}, g, {.requires_grad = true}),
      tg::rand<float>({2}, {.requires_grad = true}),
      tg::rand<float>({2}, g, {.requires_grad = true}),
      tg::zeros<float>({2, 2}, {.requires_grad = true}),
      tg::ones<float>({2}, {.requires_grad = true}),
      tg::full<float>({2}, 3.5f, {.requires_grad = true}),
      tg::empty<float>({2}, {.requires_grad = true}),
      tg::arange<float>(5, {.requires_grad = true}),
      tg::arange<float>(1, 5, {.requires_grad = true}),
      tg::arange<float>(1, 5, 2, {.requires_grad = true}),
      tg::eye<float>(3, {.requires_grad = true}),
      tg::eye<float>(3, 2, {.requires_grad = true}),
      tg::linspace<float>(0, 1, 5, {.requires_grad = true}),
      tg::tensor({1.5, 2.0}, {.requires_grad = true}),
      tg::tensor<float>({{1, 2}}, {.requires_grad = true}),
      tg::tensor(2.5, {.requires_grad = true}),
  };
  const auto x = tg::ones<float>({2, 3});
  made.push_back(tg::zeros_like(x, {.requires_grad = true}));
  made.push_back(tg::ones_like(x, {.requires_grad = true}));
  made.push_back(tg::full_like(x, 2, {.requires_grad = true}));
  made.push_back(tg::empty_like(x, {.requires_grad = true}));
  made.push_back(tg::rand_like(x, {.requires_grad = true}));
  made.push_back(tg::randn_like(x, g, {.requires_grad = true}));
  for (size_t i = 0; i < made.size(); ++i) {
    CAPTURE(i);
    CHECK(made[i].requires_grad());
    CHECK(made[i].is_leaf());
  }
  // Without options nothing requires grad; *_like never copies it from x.
  const auto y = tg::randn<float>({2}, {.requires_grad = true});
  CHECK_FALSE(tg::zeros_like(y).requires_grad());
  CHECK_FALSE(tg::randn<float>({3}, g).requires_grad());
  CHECK_FALSE(tg::tensor({1.5}).requires_grad());
}

TEST_CASE("randn: a generator with options draws what it draws without them") {
  tg::Generator a(7), b(7);
  const auto with = tg::randn<float>({5}, a, {.requires_grad = true});
  CHECK(with.to_vector() == tg::randn<float>({5}, b).to_vector());
  tg::manual_seed(3);
  const auto r1 = tg::rand<double>({4}, {.requires_grad = true});
  tg::manual_seed(3);
  CHECK(r1.to_vector() == tg::rand<double>({4}).to_vector());
}

TEST_CASE("factories: an integer dtype cannot require grad") {
  CHECK_THROWS_WITH_AS(tg::tensor({1, 2}, {.requires_grad = true}),
                       "tensor: only floating tensors (float, double) can require gradients, got int64",
                       tg::DTypeError);
  CHECK_THROWS_WITH_AS(tg::arange(5, {.requires_grad = true}),
                       "arange: only floating tensors (float, double) can require gradients, got int64",
                       tg::DTypeError);
  CHECK_THROWS_WITH_AS(tg::zeros<int32_t>({2}, {.requires_grad = true}),
                       "zeros: only floating tensors (float, double) can require gradients, got int32",
                       tg::DTypeError);
}

TEST_CASE("tensor<T>: a braced single value is a 1-D list and a bare value a 0-d tensor, with every compiler") {
  // tensor<T>(T) once competed with the list overload for {3}: GCC chose the
  // list, clang the scalar.
  CHECK(tg::tensor<int32_t>({3}).sizes() == tg::Shape{1});
  CHECK(tg::tensor<float>({1.5f}).sizes() == tg::Shape{1});
  CHECK(tg::tensor<int32_t>(3).sizes() == tg::Shape{});
  CHECK(tg::tensor<double>(2.5).item() == 2.5);
  CHECK(tg::tensor<float>(2.5, {.requires_grad = true}).requires_grad());
}
