// Broadcasting in the binary arithmetic ops (add, sub, mul, div and their
// operators) against tests/reference/broadcasting.txt (PyTorch 1.13).
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "support/tensor_check.hpp"

namespace {

namespace tg = tapegrad;
using tapegrad_test::RefTensor;

const char* const kFile = "broadcasting.txt";

// The shape pairs of the bcast.<sa>_<sb> records.
const char* const kPairs[] = {"3_3",   "2x3_3",     "2x1_1x4", "4x1x3_2x1", "2x3_0d", "0d_0d",
                              "0x3_1x3", "5x1_1x6", "2x3x4_3x1", "3_2x3",   "1_2x3"};

tg::Tensor<float> load(const std::string& name) { return tapegrad_test::load<float>(kFile, name); }

// Broadcasting must not change a single bit: exact comparison, NaN where the
// reference has NaN.
std::string mismatch(const tg::Tensor<float>& got, const RefTensor& want) {
  return tapegrad_test::mismatch(got, want, tapegrad_test::Tol{0, 0});
}
using tapegrad_test::reversed_layout;
using tapegrad_test::strided_copy;

#define CHECK_MATCHES(got, record)                                   \
  do {                                                               \
    const std::string mm_ = mismatch((got), tapegrad_test::ref(kFile, (record))); \
    CHECK_MESSAGE(mm_.empty(), (record), ": ", mm_);                 \
  } while (0)

struct Op {
  const char* name;
  std::function<tg::Tensor<float>(const tg::Tensor<float>&, const tg::Tensor<float>&)> fn;
};

const std::vector<Op>& ops() {
  static const std::vector<Op> v = {
      {"add", [](const auto& a, const auto& b) { return a + b; }},
      {"sub", [](const auto& a, const auto& b) { return a - b; }},
      {"mul", [](const auto& a, const auto& b) { return a * b; }},
      {"div", [](const auto& a, const auto& b) { return a / b; }},
  };
  return v;
}

}  // namespace

TEST_CASE("add/sub/mul/div: broadcast shapes and values match PyTorch") {
  for (const char* pair : kPairs) {
    const std::string c = std::string("bcast.") + pair;
    CAPTURE(c);
    auto a = load(c + ".a"), b = load(c + ".b");
    CHECK_MATCHES(a + b, c + ".add.out");
    CHECK_MATCHES(a - b, c + ".sub.out");
    CHECK_MATCHES(a * b, c + ".mul.out");
    CHECK_MATCHES(a / b, c + ".div.out");
    // the named functions are the operators
    CHECK_MATCHES(tg::add(a, b), c + ".add.out");
    CHECK_MATCHES(tg::sub(a, b), c + ".sub.out");
    CHECK_MATCHES(tg::mul(a, b), c + ".mul.out");
    CHECK_MATCHES(tg::div(a, b), c + ".div.out");
  }
}

TEST_CASE("add/sub/mul: swapping the operands broadcasts to the same shape") {
  for (const char* pair : kPairs) {
    const std::string c = std::string("bcast.") + pair;
    CAPTURE(c);
    auto a = load(c + ".a"), b = load(c + ".b");
    CHECK_MATCHES(b + a, c + ".add.out");
    CHECK_MATCHES(b * a, c + ".mul.out");
    CHECK_MATCHES(-(b - a), c + ".sub.out");
    // b / a is the reciprocal of a / b where a is nonzero; same shape always
    auto q = b / a;
    CHECK(q.sizes() == tg::Shape(tapegrad_test::ref(kFile, c + ".div.out").shape.begin(),
                                 tapegrad_test::ref(kFile, c + ".div.out").shape.end()));
  }
}

TEST_CASE("add/sub/mul/div: a C++ scalar acts as a 0-d tensor and keeps float32") {
  const std::string c = "bcast.2x3_0d";
  auto a = load(c + ".a");
  const float s = load(c + ".b").item();
  CHECK_MATCHES(a + s, c + ".add.out");
  CHECK_MATCHES(a - s, c + ".sub.out");
  CHECK_MATCHES(a * s, c + ".mul.out");
  CHECK_MATCHES(a / s, c + ".div.out");
  CHECK_MATCHES(s + a, c + ".add.out");
  CHECK_MATCHES(s * a, c + ".mul.out");
  CHECK_MATCHES(-(s - a), c + ".sub.out");
  // double and int scalars do not widen a float32 tensor
  static_assert(std::is_same_v<decltype(a + 2), tg::Tensor<float>>);
  static_assert(std::is_same_v<decltype(2 - a), tg::Tensor<float>>);
  static_assert(std::is_same_v<decltype(a / 2), tg::Tensor<float>>);
  static_assert(std::is_same_v<decltype(a * 2.0), tg::Tensor<float>>);
  CHECK_MATCHES(a * static_cast<double>(s), c + ".mul.out");

  // x + 2, 2 - x, x / 2 elementwise on a broadcast record's input
  auto x = load("bcast.2x3_3.a");
  const std::vector<float> xv = x.to_vector();
  const std::vector<float> plus = (x + 2).to_vector(), minus = (2 - x).to_vector(),
                           half = (x / 2).to_vector();
  CHECK((x + 2).sizes() == x.sizes());
  for (size_t i = 0; i < xv.size(); ++i) {
    CHECK(plus[i] == xv[i] + 2.0f);
    CHECK(minus[i] == 2.0f - xv[i]);
    CHECK(half[i] == xv[i] / 2.0f);
  }
}

TEST_CASE("add/sub/mul/div: non-contiguous operands give the contiguous result") {
  for (const char* pair : kPairs) {
    const std::string c = std::string("bcast.") + pair;
    CAPTURE(c);
    auto a = load(c + ".a"), b = load(c + ".b");
    const tg::Tensor<float> as[] = {a, strided_copy(a), reversed_layout(a)};
    const tg::Tensor<float> bs[] = {b, strided_copy(b), reversed_layout(b)};
    for (const auto& x : as) {
      for (const auto& y : bs) {
        for (const Op& op : ops()) CHECK_MATCHES(op.fn(x, y), c + "." + op.name + ".out");
      }
    }
  }
}

TEST_CASE("add/sub/mul/div: operands expanded to the result shape give the same result") {
  for (const char* pair : kPairs) {
    const std::string c = std::string("bcast.") + pair;
    CAPTURE(c);
    auto a = load(c + ".a"), b = load(c + ".b");
    const tg::Shape out = tg::broadcast_shapes(a.sizes(), b.sizes(), "test");
    auto ax = a.expand(out), bx = b.expand(out);
    for (const Op& op : ops()) {
      const std::string rec = c + "." + op.name + ".out";
      CHECK_MATCHES(op.fn(ax, b), rec);
      CHECK_MATCHES(op.fn(a, bx), rec);
      CHECK_MATCHES(op.fn(ax, bx), rec);
    }
  }
}

TEST_CASE("add: a transposed operand is read through its strides") {
  // a [2, 3] + b.t() where b is [3, 2]: elementwise a[i][j] + b[j][i]
  auto a = load("bcast.2x3_3.a");
  auto bt = load("bcast.2x3_3.a").t().contiguous();  // [3, 2], values of a transposed
  auto sum = a + bt.t();
  CHECK_FALSE(bt.t().is_contiguous());
  CHECK_MATCHES(sum / 2, "bcast.2x3_3.a");
  CHECK_MATCHES(sum - a, "bcast.2x3_3.a");
}

TEST_CASE("add: size-0 dimensions broadcast like any other size") {
  struct Case {
    tg::Shape a, b, out;
  };
  const Case cases[] = {
      {{0, 3}, {1, 3}, {0, 3}}, {{0, 3}, {3}, {0, 3}}, {{2, 0}, {2, 1}, {2, 0}},
      {{0}, {}, {0}},           {{1, 0}, {3, 1}, {3, 0}}, {{4, 1, 0}, {5, 1}, {4, 5, 0}},
  };
  for (const Case& k : cases) {
    CAPTURE(tg::to_string(k.a));
    CAPTURE(tg::to_string(k.b));
    auto a = tg::ones<float>(k.a), b = tg::ones<float>(k.b);
    for (const Op& op : ops()) {
      CHECK(op.fn(a, b).sizes() == k.out);
      CHECK(op.fn(b, a).sizes() == k.out);
      CHECK(op.fn(a, b).numel() == 0);
    }
  }
  CHECK_MATCHES(load("bcast.0x3_1x3.a") + load("bcast.0x3_1x3.b"), "bcast.0x3_1x3.add.out");
}

TEST_CASE("add/sub/mul/div: shapes that do not broadcast throw ShapeError naming the dim") {
  for (int i = 0; tapegrad_test::has_ref(kFile, "notbroadcast." + std::to_string(i)); ++i) {
    const std::string c = "notbroadcast." + std::to_string(i);
    CAPTURE(c);
    const RefTensor& ra = tapegrad_test::ref(kFile, c + ".shape_a");
    const RefTensor& rb = tapegrad_test::ref(kFile, c + ".shape_b");
    const tg::Shape sa(ra.ints.begin(), ra.ints.end()), sb(rb.ints.begin(), rb.ints.end());
    // PyTorch's text names the sizes and the (output) dim; ours must agree.
    long long da = 0, db = 0, dim = 0;
    REQUIRE(std::sscanf(tapegrad_test::ref(kFile, c).text.c_str(),
                        "RuntimeError: The size of tensor a (%lld) must match the size of tensor b "
                        "(%lld) at non-singleton dimension %lld",
                        &da, &db, &dim) == 3);
    auto a = tg::zeros<float>(sa), b = tg::zeros<float>(sb);
    for (const Op& op : ops()) {
      std::ostringstream ab, ba;
      ab << op.name << ": shapes " << sa << " and " << sb << " are not broadcastable: dim " << dim
         << " is " << da << " vs " << db;
      ba << op.name << ": shapes " << sb << " and " << sa << " are not broadcastable: dim " << dim
         << " is " << db << " vs " << da;
      CHECK_THROWS_WITH_AS(op.fn(a, b), ab.str().c_str(), tg::ShapeError);
      CHECK_THROWS_WITH_AS(op.fn(b, a), ba.str().c_str(), tg::ShapeError);
    }
  }
  // one spelled out, so the format itself is pinned down
  CHECK_THROWS_WITH_AS(tg::zeros<float>({4, 3}) + tg::zeros<float>({2, 3}),
                       "add: shapes [4, 3] and [2, 3] are not broadcastable: dim 0 is 4 vs 2",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::zeros<float>({2, 3}) * 2.0f + tg::zeros<float>({3, 2}),
                       "add: shapes [2, 3] and [3, 2] are not broadcastable: dim 1 is 3 vs 2",
                       tg::ShapeError);
}

TEST_CASE("broadcast_shapes: aligns trailing dims and keeps the non-1 size") {
  CHECK(tg::broadcast_shapes({4, 1, 3}, {2, 1}, "op") == tg::Shape{4, 2, 3});
  CHECK(tg::broadcast_shapes({}, {2, 3}, "op") == tg::Shape{2, 3});
  CHECK(tg::broadcast_shapes({}, {}, "op") == tg::Shape{});
  CHECK(tg::broadcast_shapes({1, 0}, {3, 1}, "op") == tg::Shape{3, 0});
  CHECK_THROWS_WITH_AS(tg::broadcast_shapes({0}, {2}, "op"),
                       "op: shapes [0] and [2] are not broadcastable: dim 0 is 0 vs 2", tg::ShapeError);
}
