// The key paths of ops/sort.hpp (Note [Sorting by keys]: rank sort for rows
// up to 128, (key, index) pairs above, topk's one pass for k <= 16) and the
// row-interleaved scans of ops/cumulative.hpp (Note [Scans across rows])
// against tests/reference/sort_keys.txt (tools/gen_sort_keys.py, PyTorch
// 1.13): ties in index order (PyTorch's stable sort), NaN of either sign the
// largest, -0.0 equal to 0.0 and kept as it was, every dtype's key.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cstdint>
#include <cstring>
#include <string>

#include "support/golden.hpp"
#include "support/reference.hpp"
#include "support/tensor_check.hpp"

namespace {

namespace tg = tapegrad;
using tapegrad_test::mismatch;
using tapegrad_test::reversed_layout;
using Tol = tapegrad_test::Tol;

const tapegrad_test::Golden kGolden{"sort_keys.txt"};
const Tol kExactSigned{0, 0, true};

/// a and b hold the same bytes (NaN payloads and zero signs included).
template <class T>
bool same_bits(const tg::Tensor<T>& a, const tg::Tensor<T>& b) {
  const auto ca = a.contiguous(), cb = b.contiguous();
  return ca.sizes() == cb.sizes() &&
         (ca.numel() == 0 || std::memcmp(ca.data_ptr(), cb.data_ptr(), static_cast<size_t>(ca.numel()) * sizeof(T)) == 0);
}

template <class T>
void check_sorts(const std::string& tag) {
  const auto x = kGolden.load<T>(tag);
  for (const auto& t : {x, reversed_layout(x)}) {
    CAPTURE(tag);
    CAPTURE(tg::to_string(t.strides()));
    for (const bool desc : {false, true}) {
      const std::string name = "sort." + tag + (desc ? ".desc" : ".asc");
      const auto s = tg::sort(t, 1, desc);
      CHECK_REF(s.values, name + ".values", kExactSigned);
      CHECK_REF(s.indices, name + ".indices");
      CHECK_REF(tg::argsort(t, -1, desc), name + ".indices");
      for (const int64_t k : {int64_t{0}, int64_t{1}, int64_t{5}, int64_t{16}, int64_t{17}, int64_t{40}}) {
        CAPTURE(k);
        const auto top = tg::topk(t, k, 1, /*largest=*/desc);
        CHECK(tg::equal(top.indices, s.indices.narrow(1, 0, k).contiguous()));
        CHECK(same_bits(top.values, s.values.narrow(1, 0, k)));
      }
    }
  }
}

}  // namespace

TEST_CASE("sort: rows of 100 (rank sort) and 300 (pairs) match PyTorch's stable sort, ties, NaN and -0.0 included") {
  check_sorts<float>("f32_100");
  check_sorts<float>("f32_300");
  check_sorts<double>("f64_100");
  check_sorts<double>("f64_300");
  check_sorts<int32_t>("i32_100");
  check_sorts<int32_t>("i32_300");
  check_sorts<int64_t>("i64_100");
  check_sorts<int64_t>("i64_300");
  check_sorts<uint8_t>("u8_100");
}

TEST_CASE("sort: a row of one key repeated keeps index order; NaN of both signs sort last ascending, first descending") {
  const auto same = tg::full<float>({1, 130}, -0.0f);
  CHECK(tg::equal(tg::sort(same, 1).indices, tg::arange<int64_t>(130).reshape({1, 130})));
  CHECK(tg::equal(tg::sort(same, 1, true).indices, tg::arange<int64_t>(130).reshape({1, 130})));
  CHECK(tg::equal(tg::topk(same, 3).indices, tg::tensor<int64_t>({0, 1, 2}).reshape({1, 3})));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const auto x = tg::tensor<float>({nan, -nan, 1.0f, -0.0f, 0.0f, -INFINITY});
  CHECK(tg::sort(x).indices.to_vector() == std::vector<int64_t>{5, 3, 4, 2, 0, 1});
  CHECK(tg::sort(x, 0, true).indices.to_vector() == std::vector<int64_t>{0, 1, 2, 3, 4, 5});
  CHECK(std::signbit(tg::sort(x).values(1)));  // -0.0 comes out as -0.0
  CHECK(tg::topk(x, 2).indices.to_vector() == std::vector<int64_t>{0, 1});
  CHECK(tg::topk(x, 2, 0, false).indices.to_vector() == std::vector<int64_t>{5, 3});
}

TEST_CASE("cumsum/cumprod/logcumsumexp: 1 to 6 rows side by side, rows of 260 in chunks, match PyTorch") {
  for (const char* tag : {"1x40", "3x40", "4x16", "6x21", "5x260"}) {
    CAPTURE(tag);
    const std::string t = tag;
    const auto x = kGolden.load<float>("c.f32." + t);
    CHECK_REF(tg::cumsum(x, 1), "cumsum.f32." + t);
    CHECK_REF(tg::cumsum(reversed_layout(x), 1), "cumsum.f32." + t);
    CHECK_REF(tg::cumsum(kGolden.load<int32_t>("c.i32." + t), 1), "cumsum.i32." + t);
    if (t == "5x260") continue;
    CHECK_REF(tg::logcumsumexp(x, 1), "logcumsumexp.f32." + t, Tol{1e-6, 1e-6});
    CHECK_REF(tg::cumsum(kGolden.load<double>("c.f64." + t), 1), "cumsum.f64." + t);
    CHECK_REF(tg::cumprod(kGolden.load<float>("c.p." + t), 1), "cumprod.f32." + t);
  }
}
