// The key paths of ops/sort.hpp (Note [Sorting by keys]: the sorting network
// of 32-bit keys for rows up to 256, 8 rows side by side, and its insertion
// for topk's k <= 8; rank sort of 64-bit keys for rows up to 128, (key,
// index) pairs above, topk's one pass for k <= 16) and the
// row-interleaved scans of ops/cumulative.hpp (Note [Scans across rows])
// against tests/reference/sort_keys.txt (tools/gen_sort_keys.py, PyTorch
// 1.13): ties in index order (PyTorch's stable sort), NaN of either sign the
// largest, -0.0 equal to 0.0 and kept as it was, every dtype's key.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

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

/// sort, argsort and topk on the rows of `tag` (length n) against the
/// indices of PyTorch's stable sort; the values must be the input's elements
/// at those indices, bit for bit. Also on the rows three times over, so that
/// the network sees groups of eight rows, of six (2 x 3) and a remainder of
/// three rows (9 x 3), which go through it for topk too (Note [Sorting by
/// keys]: one or two rows left over take the other paths).
template <class T>
void check_indices(const std::string& tag) {
  const auto once = kGolden.load<T>(tag);
  const int64_t n = once.size(1);
  for (const int64_t copies : {1, 3}) {
    const auto x = tg::cat(std::vector<tg::Tensor<T>>(static_cast<size_t>(copies), once), 0);
    for (const auto& t : {x, reversed_layout(x)}) {
      CAPTURE(tag);
      CAPTURE(copies);
      CAPTURE(tg::to_string(t.strides()));
      for (const bool desc : {false, true}) {
        const auto ref_once = kGolden.load<int64_t>("sort." + tag + (desc ? ".desc" : ".asc") + ".indices");
        const auto ref = tg::cat(std::vector<tg::Tensor<int64_t>>(static_cast<size_t>(copies), ref_once), 0);
        const auto s = tg::sort(t, 1, desc, /*stable=*/true);
        CHECK(tg::equal(s.indices, ref));
        CHECK(same_bits(s.values, x.gather(1, ref)));
        CHECK(tg::equal(tg::argsort(t, 1, desc), ref));
        for (const int64_t k : {int64_t{0}, int64_t{1}, int64_t{2}, int64_t{5}, int64_t{8}, int64_t{9}, int64_t{16},
                                int64_t{17}, n - 1, n}) {
          if (k < 0 || k > n) continue;
          CAPTURE(k);
          const auto first = ref.narrow(1, 0, k).contiguous();
          const auto top = tg::topk(t, k, 1, /*largest=*/desc);
          CHECK(tg::equal(top.indices, first));
          CHECK(same_bits(top.values, x.gather(1, first)));
        }
      }
    }
  }
}

}  // namespace

TEST_CASE("sort: rows of 1 to 257 (the network's and the rank sort's limits) match PyTorch's stable sort for every dtype") {
  for (const int n : {1, 2, 3, 63, 64, 65, 127, 128, 129, 255, 256, 257}) {
    const std::string len = "_n" + std::to_string(n);
    check_indices<float>("f32" + len);
    check_indices<double>("f64" + len);
    check_indices<int32_t>("i32" + len);
    check_indices<int64_t>("i64" + len);
    check_indices<int16_t>("i16" + len);
    check_indices<int8_t>("i8" + len);
    check_indices<uint8_t>("u8" + len);
    check_indices<bool>("b" + len);
  }
}

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

TEST_CASE("cumsum: float rows eight at a time (8 to 17 rows, rows of 1 to 259) match PyTorch bit for bit") {
  for (const char* tag : {"8x64", "9x64", "15x64", "8x1", "17x5", "10x13", "8x259"}) {
    CAPTURE(tag);
    const std::string t = tag;
    const auto x = kGolden.load<float>("c8.f32." + t);
    CHECK_REF(tg::cumsum(x, 1), "cumsum8.f32." + t, kExactSigned);
    CHECK_REF(tg::cumsum(reversed_layout(x), 1), "cumsum8.f32." + t, kExactSigned);
    CHECK_REF(tg::cumsum(x.t(), 0).t(), "cumsum8.f32." + t, kExactSigned);
  }
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
