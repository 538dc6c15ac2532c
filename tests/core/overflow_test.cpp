// Note [Checked sizes] (core/shape.hpp): element counts, strides and byte
// sizes that overflow int64 are refused with a ValueError naming the op and
// the shape, before anything is allocated; and the public Tensor(storage,
// sizes, strides, offset) constructor refuses layouts that reach outside
// the storage (issue 31, defects 1 and 3).
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cstdint>
#include <memory>

using namespace tapegrad;

namespace {
constexpr int64_t k2_62 = int64_t{1} << 62;
constexpr int64_t k2_39 = int64_t{1} << 39;
constexpr int64_t k2_25 = int64_t{1} << 25;
constexpr int64_t k2_32 = int64_t{1} << 32;
}  // namespace

TEST_CASE("checked_mul: the product of two non-negative int64, or false when it does not fit") {
  int64_t out = -1;
  CHECK(detail::checked_mul(3, 4, out));
  CHECK(out == 12);
  CHECK(detail::checked_mul(0, INT64_MAX, out));
  CHECK(out == 0);
  CHECK(detail::checked_mul(INT64_MAX, 1, out));
  CHECK(out == INT64_MAX);
  CHECK(detail::checked_mul(k2_32, k2_32 / 2 - 1, out));
  CHECK_FALSE(detail::checked_mul(k2_32, k2_32 / 2, out));  // 2^63
  CHECK_FALSE(detail::checked_mul(k2_39, k2_25, out));      // 2^64, which wraps to 0 unchecked
  CHECK(detail::checked_add(INT64_MAX - 1, 1, out));
  CHECK_FALSE(detail::checked_add(INT64_MAX, 1, out));
}

TEST_CASE("zeros: a shape whose byte size does not fit throws before allocating") {
  // the reproducer: 2^62 floats wrapped to a 0-byte buffer
  CHECK_THROWS_WITH_AS(zeros<float>({k2_62}),
                       "zeros: shape [4611686018427387904] of float32 needs more than 2^63 - 1 bytes", ValueError);
  CHECK_THROWS_WITH_AS(ones<double>({int64_t{1} << 60}),
                       "ones: shape [1152921504606846976] of float64 needs more than 2^63 - 1 bytes", ValueError);
}

TEST_CASE("zeros: a shape whose element count does not fit throws instead of giving numel() == 0") {
  // the reproducer: [2^39, 2^25] had numel() == 0
  CHECK_THROWS_WITH_AS(zeros<float>({k2_39, k2_25}),
                       "zeros: shape [549755813888, 33554432] has more than 2^63 - 1 elements", ValueError);
  CHECK_THROWS_WITH_AS(empty<bool>({k2_32, k2_32}), "empty: shape [4294967296, 4294967296] has more than 2^63 - 1 elements",
                       ValueError);
  CHECK_THROWS_WITH_AS(rand<float>({3, k2_32, k2_32}),
                       "rand: shape [3, 4294967296, 4294967296] has more than 2^63 - 1 elements", ValueError);
  CHECK_THROWS_WITH_AS(randn<double>({k2_32, k2_32}),
                       "randn: shape [4294967296, 4294967296] has more than 2^63 - 1 elements", ValueError);
  CHECK_THROWS_WITH_AS(randint(0, 5, {k2_32, k2_32}),
                       "randint: shape [4294967296, 4294967296] has more than 2^63 - 1 elements", ValueError);
  CHECK_THROWS_WITH_AS(full<int32_t>({k2_32, k2_32}, 1),
                       "full: shape [4294967296, 4294967296] has more than 2^63 - 1 elements", ValueError);
  CHECK_THROWS_WITH_AS(from_vector<float>({1.0f}, Shape{k2_32, k2_32}),
                       "from_vector: shape [4294967296, 4294967296] has more than 2^63 - 1 elements", ValueError);
}

TEST_CASE("arange: a length whose byte size does not fit throws before allocating, naming arange") {
  volatile double end = 4.6e18;  // (a constant lets GCC warn about the loop it never runs)
  volatile int64_t steps = k2_62;
  CHECK_THROWS_WITH_AS(arange<double>(0, end),
                       "arange: shape [4600000000000000000] of float64 needs more than 2^63 - 1 bytes", ValueError);
  CHECK_THROWS_WITH_AS(linspace<float>(0, 1, steps),
                       "linspace: shape [4611686018427387904] of float32 needs more than 2^63 - 1 bytes", ValueError);
}

TEST_CASE("zeros: an empty shape whose other sizes overflow the strides is refused") {
  CHECK_THROWS_WITH_AS(zeros<float>({0, k2_62, k2_62}),
                       "zeros: shape [0, 4611686018427387904, 4611686018427387904] has more than 2^63 - 1 elements in "
                       "its nonzero dimensions",
                       ValueError);
  // within range, empty shapes keep their contiguous strides
  auto e = zeros<float>({0, k2_32, 4});
  CHECK(e.numel() == 0);
  CHECK(e.strides() == Shape{4 * k2_32, 4, 1});
}

TEST_CASE("zeros: negative sizes are still refused first, naming the op") {
  CHECK_THROWS_WITH_AS(zeros<float>({k2_32, -1, k2_32}), "zeros: negative dimension -1 in shape [4294967296, -1, 4294967296]",
                       ValueError);
  CHECK_THROWS_WITH_AS(empty<float>({2, -1}), "empty: negative dimension -1 in shape [2, -1]", ValueError);
}

TEST_CASE("add: a broadcast whose result does not fit is refused before allocating") {
  auto a = ones<float>({1}).expand({k2_32, 1});
  auto b = ones<float>({1}).expand({1, k2_32});
  CHECK_THROWS_WITH_AS(a + b, "add: shape [4294967296, 4294967296] has more than 2^63 - 1 elements", ValueError);
}

TEST_CASE("expand: a target shape whose element count does not fit is refused") {
  auto x = ones<float>({1});
  CHECK_THROWS_WITH_AS(x.expand({k2_32, k2_32}), "expand: shape [4294967296, 4294967296] has more than 2^63 - 1 elements",
                       ValueError);
  // as large as fits is a view of the one element
  auto big = x.expand({k2_32, k2_32 / 4});
  CHECK(big.numel() == k2_62);
  CHECK(big.strides() == Shape{0, 0});
}

TEST_CASE("view: a shape whose product overflows is invalid for the input, not a wrapped match") {
  auto e = zeros<float>({0});
  // [2^32, 2^32] multiplied to 2^64 wrapped to 0, which "matched" the 0 elements
  CHECK_THROWS_WITH_AS(e.view({k2_32, k2_32, 0}),
                       "view: shape [4294967296, 4294967296, 0] has more than 2^63 - 1 elements in its nonzero dimensions",
                       ValueError);
  auto x = zeros<float>({4});
  CHECK_THROWS_WITH_AS(x.view({k2_39, k2_25}), "view: shape [549755813888, 33554432] is invalid for input of size 4",
                       ShapeError);
  CHECK_THROWS_WITH_AS(x.reshape({-1, k2_39, k2_25}),
                       "reshape: shape [-1, 549755813888, 33554432] is invalid for input of size 4", ShapeError);
  CHECK(x.view({-1, 2}).sizes() == Shape{2, 2});
}

TEST_CASE("resize_: a shape or storage end that does not fit is refused, the tensor left as it was") {
  auto x = zeros<float>({3});
  CHECK_THROWS_WITH_AS(x.resize_({k2_39, k2_25}), "resize_: shape [549755813888, 33554432] has more than 2^63 - 1 elements",
                       ValueError);
  CHECK_THROWS_WITH_AS(x.resize_({k2_62}),
                       "resize_: shape [4611686018427387904] of float32 needs more than 2^63 - 1 bytes", ValueError);
  auto tail = zeros<uint8_t>({4}).narrow(0, 2, 2);  // storage offset 2
  CHECK_THROWS_WITH_AS(tail.resize_({INT64_MAX}),
                       "resize_: shape [9223372036854775807] at storage offset 2 reaches past 2^63 - 1 elements",
                       ValueError);
  CHECK(x.sizes() == Shape{3});
  CHECK(tail.sizes() == Shape{2});
}

TEST_CASE("cat: sizes along the dimension that add up past int64 are refused") {
  auto big = ones<float>({1}).expand({k2_62});
  CHECK_THROWS_WITH_AS(cat<float>({big, big, big}, 0), "cat: the sizes along dimension 0 add up to more than 2^63 - 1",
                       ValueError);
}

TEST_CASE("from_blob: sizes and strides that reach past int64 are refused") {
  float data[4] = {1, 2, 3, 4};
  CHECK_THROWS_WITH_AS(from_blob(data, {k2_32, k2_32}), "from_blob: shape [4294967296, 4294967296] has more than 2^63 - 1 elements",
                       ValueError);
  CHECK_THROWS_WITH_AS(from_blob(data, {3, 3}, Shape{k2_62, k2_62}),
                       "from_blob: sizes [3, 3] with strides [4611686018427387904, 4611686018427387904] reach past 2^63 - 1 "
                       "elements",
                       ValueError);
  auto t = from_blob(data, {2, 2}, Shape{1, 2});
  CHECK(t.storage()->size() == 4);
  CHECK(t(1, 0) == 2);
}

TEST_CASE("Storage: a byte size past 2^63 - 1 or a negative size is refused (the backstop)") {
  CHECK_THROWS_WITH_AS(Storage<double>{k2_62}, "storage: 4611686018427387904 elements of float64 do not fit in 2^63 - 1 bytes",
                       ValueError);
  CHECK_THROWS_WITH_AS(Storage<float>{-1}, "storage: -1 elements of float32 do not fit in 2^63 - 1 bytes", ValueError);
}

// ---- the public Tensor(storage, sizes, strides, offset) constructor (defect 3) -----------------

TEST_CASE("Tensor: the storage constructor accepts every layout inside the storage") {
  auto st = std::make_shared<Storage<float>>(6);
  for (int64_t i = 0; i < 6; ++i) st->data()[i] = static_cast<float>(i);
  Tensor<float> full(st, {2, 3}, {3, 1}, 0);
  CHECK(full(1, 2) == 5);
  Tensor<float> last(st, {1}, {1}, 5);  // the largest element exactly
  CHECK(last(0) == 5);
  Tensor<float> transposed(st, {3, 2}, {1, 3}, 0);
  CHECK(transposed(2, 1) == 5);
  Tensor<float> broadcast(st, {4, 6}, {0, 1}, 0);
  CHECK(broadcast(3, 5) == 5);
  Tensor<float> scalar(st, {}, {}, 3);
  CHECK(scalar.item() == 3);
  Tensor<float> none(st, {0, 100}, {100, 1}, 40);  // no elements: nothing is reached, as in PyTorch
  CHECK(none.numel() == 0);
}

TEST_CASE("Tensor: the storage constructor refuses layouts that reach outside the storage") {
  auto st = std::make_shared<Storage<float>>(6);
  CHECK_THROWS_WITH_AS(Tensor<float>(st, {7}, {1}, 0),
                       "Tensor: sizes [7], strides [1] and storage offset 0 need a storage of 7 elements, but the "
                       "storage has 6",
                       ValueError);
  CHECK_THROWS_WITH_AS(Tensor<float>(st, {2, 3}, {3, 1}, 1),
                       "Tensor: sizes [2, 3], strides [3, 1] and storage offset 1 need a storage of 7 elements, but the "
                       "storage has 6",
                       ValueError);
  CHECK_THROWS_WITH_AS(Tensor<float>(st, {2}, {1}, -1), "Tensor: invalid storage offset -1", ValueError);
  CHECK_THROWS_WITH_AS(Tensor<float>(st, {2}, {-1}, 3), "Tensor: negative strides are not supported, got strides [-1]",
                       ValueError);
  CHECK_THROWS_WITH_AS(Tensor<float>(st, {-2}, {1}, 0), "Tensor: negative dimension -2 in shape [-2]", ValueError);
  CHECK_THROWS_WITH_AS(Tensor<float>(st, {2, 3}, {1}, 0), "Tensor: sizes [2, 3] and strides [1] have different lengths",
                       ShapeError);
  CHECK_THROWS_WITH_AS(Tensor<float>(nullptr, {2}, {1}, 0), "Tensor: the storage is null", ValueError);
  CHECK_THROWS_WITH_AS(Tensor<float>(st, {2}, {k2_62}, k2_62 + (k2_62 - 1)),
                       "Tensor: sizes [2], strides [4611686018427387904] and storage offset 9223372036854775807 reach "
                       "past 2^63 - 1 elements",
                       ValueError);
  CHECK_THROWS_WITH_AS(Tensor<float>(st, {k2_39, k2_25}, {0, 0}, 0),
                       "Tensor: shape [549755813888, 33554432] has more than 2^63 - 1 elements", ValueError);
}

TEST_CASE("Tensor: views made by the library take the unchecked path and stay correct") {
  auto x = arange<float>(0, 24).view({2, 3, 4});
  auto v = x.transpose(0, 2).select(1, 2).narrow(0, 1, 2);
  CHECK(v.sizes() == Shape{2, 2});
  CHECK(v(1, 1) == x(1, 2, 2));
  auto d = v.detach();
  CHECK(d.storage() == x.storage());
  CHECK(d.storage_offset() == v.storage_offset());
  CHECK(d.strides() == v.strides());
}
