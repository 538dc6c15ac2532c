// kernels/sort.hpp's network (Note [Rows side by side in a network]) against
// std::sort lane by lane: every length 0..kNetMax, the 8 lanes holding
// different rows (random words, and words of few distinct keys above their
// column as ops/sort.hpp packs them), and net_select's k smallest for every k.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace {

namespace tk = tapegrad::kernels;

/// Lane l of w[0, n) as a vector.
std::vector<uint64_t> lane(const tk::NetSlot* w, int64_t n, int64_t l) {
  std::vector<uint64_t> v(static_cast<size_t>(n));
  for (int64_t e = 0; e < n; ++e) v[static_cast<size_t>(e)] = w[e][l];
  return v;
}

/// Fills w[0, n) with distinct words per lane: `few` distinct high halves
/// (0 for any) above the column, or full random words.
void fill(tk::NetSlot* w, int64_t n, uint64_t few, std::mt19937_64& rng) {
  for (int64_t e = 0; e < n; ++e)
    for (int64_t l = 0; l < tk::kNetLanes; ++l)
      w[e][l] = few ? ((rng() % few) << 32 | static_cast<uint64_t>(e)) : rng();
}

}  // namespace

TEST_CASE("net_sort: every lane of every length up to kNetMax comes out as std::sort orders it") {
  std::mt19937_64 rng(5);
  std::vector<tk::NetSlot> w(static_cast<size_t>(tk::kNetMax));
  for (int64_t n = 0; n <= tk::kNetMax; ++n)
    for (const uint64_t few : {uint64_t{0}, uint64_t{3}}) {
      CAPTURE(n);
      CAPTURE(few);
      fill(w.data(), n, few, rng);
      std::vector<std::vector<uint64_t>> want;
      for (int64_t l = 0; l < tk::kNetLanes; ++l) {
        want.push_back(lane(w.data(), n, l));
        std::sort(want.back().begin(), want.back().end());
      }
      tk::net_sort(w.data(), n);
      for (int64_t l = 0; l < tk::kNetLanes; ++l) CHECK(lane(w.data(), n, l) == want[static_cast<size_t>(l)]);
    }
}

TEST_CASE("net_select: the k smallest words of every lane, ascending, for every k up to kNetSelectMax") {
  std::mt19937_64 rng(6);
  std::vector<tk::NetSlot> w(static_cast<size_t>(tk::kNetMax)), out(static_cast<size_t>(tk::kNetSelectMax));
  for (const int64_t n : {1, 2, 5, 8, 9, 64, 200, 256})
    for (int64_t k = 1; k <= std::min(n, tk::kNetSelectMax); ++k) {
      CAPTURE(n);
      CAPTURE(k);
      fill(w.data(), n, k % 2 ? 0 : 4, rng);
      tk::net_select(w.data(), n, k, out.data());
      for (int64_t l = 0; l < tk::kNetLanes; ++l) {
        auto want = lane(w.data(), n, l);
        std::sort(want.begin(), want.end());
        want.resize(static_cast<size_t>(k));
        CHECK(lane(out.data(), k, l) == want);
      }
    }
}
