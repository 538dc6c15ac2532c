#pragma once
// Sorting networks over short rows, several rows side by side (ops/sort.hpp's
// sort and topk on rows of up to kNetMax elements).
//
// Note [Rows side by side in a network]: a row's elements become 64-bit
// words that sort as the row should (ops/sort.hpp packs a 32-bit order key
// above the column index, so that equal keys sort in index order and no two
// words are equal). The words of kNetLanes rows are interleaved, element e of
// row l at w[e][l], so that one compare-exchange of two element slots is a
// min and a max of two vectors of kNetLanes words (GCC/Clang vector types:
// vpminuq/vpmaxuq with AVX-512, compares and blends or scalar code on other
// targets) with no branch on the data and no shuffle between lanes. (Plain
// uint64_t[8] loops with std::min/std::max were not vectorised by Clang 14
// at all and by GCC 12 only behind a test-and-branch on the data.) The network is Knuth's merge
// exchange (Batcher's odd-even merge sort for any n: 543 compare-exchanges
// for 64 elements, against 4096 comparisons a row for a rank sort); a row
// needs no padding because the network is defined for every n. Fewer rows
// than kNetLanes leave lanes unused, which costs time but not correctness.
// topk's few first words are instead kept in k slots that every word goes
// down through, as an insertion (net_select).
#include <algorithm>
#include <cstdint>
#include <limits>

namespace tapegrad::kernels {

/// Rows sorted side by side (a 512-bit vector of uint64_t).
inline constexpr int64_t kNetLanes = 8;
/// The longest row the network sorts.
inline constexpr int64_t kNetMax = 256;
/// One element slot of kNetLanes rows (passed by reference only: a vector
/// passed by value changes the ABI between ISAs, -Wpsabi).
typedef uint64_t NetSlot __attribute__((vector_size(8 * kNetLanes)));

/// Slots a and b (a before b) get the lane-wise min and max of the two.
inline void net_exchange(NetSlot& a, NetSlot& b) {
  const NetSlot x = a, y = b;
  a = x < y ? x : y;
  b = x < y ? y : x;
}

/// Sorts every lane of w[0, n) ascending (Note [Rows side by side in a
/// network]): Knuth's merge exchange, TAOCP 5.2.2 algorithm M.
inline void net_sort(NetSlot* w, int64_t n) {
  if (n < 2) return;
  int64_t top = 1;  // 2^(t-1) with 2^t the power of two >= n
  while (2 * top < n) top *= 2;
  for (int64_t p = top; p > 0; p /= 2) {
    int64_t q = top, r = 0, d = p;
    for (;;) {
      // every i < n - d whose bit p is r meets i + d
      for (int64_t base = r; base < n - d; base += 2 * p)
        for (int64_t i = base, end = std::min(base + p, n - d); i < end; ++i) net_exchange(w[i], w[i + d]);
      if (q == p) break;
      d = q - p;
      q /= 2;
      r = p;
    }
  }
}

/// out[0, K) = the K smallest words of every lane of w[0, n), ascending
/// (K <= n). Each word goes down the K best so far as a chain of
/// compare-exchanges, 2K vector instructions a slot; the K best stay in
/// registers (K is a constant), so the chains of successive words overlap.
template <int64_t K>
void net_select(const NetSlot* w, int64_t n, NetSlot* out) {
  NetSlot best[K];
  for (int64_t j = 0; j < K; ++j) best[j] = NetSlot{} + std::numeric_limits<uint64_t>::max();
  for (int64_t e = 0; e < n; ++e) {
    NetSlot c = w[e];
    for (int64_t j = 0; j < K; ++j) net_exchange(best[j], c);
  }
  for (int64_t j = 0; j < K; ++j) out[j] = best[j];
}
/// The largest K of net_select.
inline constexpr int64_t kNetSelectMax = 8;
/// net_select<k> for 1 <= k <= kNetSelectMax.
inline void net_select(const NetSlot* w, int64_t n, int64_t k, NetSlot* out) {
  switch (k) {
    case 1: return net_select<1>(w, n, out);
    case 2: return net_select<2>(w, n, out);
    case 3: return net_select<3>(w, n, out);
    case 4: return net_select<4>(w, n, out);
    case 5: return net_select<5>(w, n, out);
    case 6: return net_select<6>(w, n, out);
    case 7: return net_select<7>(w, n, out);
    default: return net_select<8>(w, n, out);
  }
}

}  // namespace tapegrad::kernels
