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
// at all, and by GCC 12 only behind a test-and-branch on the data.) The words
// go in and the columns come out through 8 x 8 transposes in registers
// (transpose8). Powers of two from 8 are sorted by a bitonic network whose
// steps within eight slots run on registers (net_sort_pow2); other lengths by
// Knuth's merge exchange, Batcher's odd-even merge sort for any n, so a row
// needs no padding (543 compare-exchanges for 64 elements, against 4096
// comparisons a row for a rank sort). Fewer rows than kNetLanes leave lanes
// unused, which costs time but not correctness. topk's few first words are
// instead kept in k slots that every word goes down through, as an insertion
// (net_select).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

namespace tapegrad::kernels {

/// Rows sorted side by side (a 512-bit vector of uint64_t).
inline constexpr int64_t kNetLanes = 8;
/// The longest row the network sorts.
inline constexpr int64_t kNetMax = 256;
/// One element slot of kNetLanes rows (passed by reference only: a vector
/// passed by value changes the ABI between ISAs, -Wpsabi).
typedef uint64_t NetSlot __attribute__((vector_size(8 * kNetLanes)));

/// Eight 32-bit keys (a row's, or a slot's of kNetLanes rows).
typedef uint32_t NetKeys __attribute__((vector_size(32)));

/// An 8 x 8 transpose in registers (V a vector of eight elements of any
/// width): afterwards r[c][l] holds what r[l][c] held. Three rounds of two-input
/// shuffles (also ops/cumulative.hpp's float sums across rows), written out
/// without loops so that everything stays in registers at -O2 too.
template <class V>
[[gnu::always_inline]] inline void transpose8(V* r) {
  // pairs of rows interleaved: t0 = columns 0 1 4 5 of rows 0 1, t1 = columns 2 3 6 7
  const V t0 = __builtin_shufflevector(r[0], r[1], 0, 8, 1, 9, 4, 12, 5, 13);
  const V t1 = __builtin_shufflevector(r[0], r[1], 2, 10, 3, 11, 6, 14, 7, 15);
  const V t2 = __builtin_shufflevector(r[2], r[3], 0, 8, 1, 9, 4, 12, 5, 13);
  const V t3 = __builtin_shufflevector(r[2], r[3], 2, 10, 3, 11, 6, 14, 7, 15);
  const V t4 = __builtin_shufflevector(r[4], r[5], 0, 8, 1, 9, 4, 12, 5, 13);
  const V t5 = __builtin_shufflevector(r[4], r[5], 2, 10, 3, 11, 6, 14, 7, 15);
  const V t6 = __builtin_shufflevector(r[6], r[7], 0, 8, 1, 9, 4, 12, 5, 13);
  const V t7 = __builtin_shufflevector(r[6], r[7], 2, 10, 3, 11, 6, 14, 7, 15);
  // then pairs of pairs: u<c> = columns c and c + 4 of rows 0-3, u<c + 4> of rows 4-7
  const V u0 = __builtin_shufflevector(t0, t2, 0, 1, 8, 9, 4, 5, 12, 13);
  const V u1 = __builtin_shufflevector(t0, t2, 2, 3, 10, 11, 6, 7, 14, 15);
  const V u2 = __builtin_shufflevector(t1, t3, 0, 1, 8, 9, 4, 5, 12, 13);
  const V u3 = __builtin_shufflevector(t1, t3, 2, 3, 10, 11, 6, 7, 14, 15);
  const V u4 = __builtin_shufflevector(t4, t6, 0, 1, 8, 9, 4, 5, 12, 13);
  const V u5 = __builtin_shufflevector(t4, t6, 2, 3, 10, 11, 6, 7, 14, 15);
  const V u6 = __builtin_shufflevector(t5, t7, 0, 1, 8, 9, 4, 5, 12, 13);
  const V u7 = __builtin_shufflevector(t5, t7, 2, 3, 10, 11, 6, 7, 14, 15);
  // then halves: column c of all eight rows
  r[0] = __builtin_shufflevector(u0, u4, 0, 1, 2, 3, 8, 9, 10, 11);
  r[4] = __builtin_shufflevector(u0, u4, 4, 5, 6, 7, 12, 13, 14, 15);
  r[1] = __builtin_shufflevector(u1, u5, 0, 1, 2, 3, 8, 9, 10, 11);
  r[5] = __builtin_shufflevector(u1, u5, 4, 5, 6, 7, 12, 13, 14, 15);
  r[2] = __builtin_shufflevector(u2, u6, 0, 1, 2, 3, 8, 9, 10, 11);
  r[6] = __builtin_shufflevector(u2, u6, 4, 5, 6, 7, 12, 13, 14, 15);
  r[3] = __builtin_shufflevector(u3, u7, 0, 1, 2, 3, 8, 9, 10, 11);
  r[7] = __builtin_shufflevector(u3, u7, 4, 5, 6, 7, 12, 13, 14, 15);
}

/// w[e0 + c] (c < 8) = the words of keys[l * stride + e0 + c] at column
/// e0 + c: key << 32 | column, lane l. The eight rows' eight keys are
/// transposed in registers instead of being stored word by word.
inline void net_pack8(const uint32_t* keys, int64_t stride, int64_t e0, NetSlot* w) {
  NetKeys r[8];
  const auto load = [&](int64_t l) { std::memcpy(&r[l], keys + l * stride + e0, sizeof(NetKeys)); };
  const auto store = [&](int64_t c) {
    w[e0 + c] = __builtin_convertvector(r[c], NetSlot) << 32 | static_cast<uint64_t>(e0 + c);
  };
  // (written out: GCC 12 at -O2 leaves such loops rolled, r in memory)
  load(0), load(1), load(2), load(3), load(4), load(5), load(6), load(7);
  transpose8(r);
  store(0), store(1), store(2), store(3), store(4), store(5), store(6), store(7);
}

/// cols[l * stride + j0 + j] (j < 8) = the column (low half) of slot
/// w[j0 + j]'s lane l, for every lane: transpose8 of the 64-bit words.
inline void net_columns8(const NetSlot* w, int64_t j0, int64_t* cols, int64_t stride) {
  NetSlot r[8] = {w[j0], w[j0 + 1], w[j0 + 2], w[j0 + 3], w[j0 + 4], w[j0 + 5], w[j0 + 6], w[j0 + 7]};
  transpose8(r);
  const NetSlot low = NetSlot{} + 0xffffffffu;
  const auto store = [&](int64_t l) {
    const NetSlot c = r[l] & low;
    std::memcpy(cols + l * stride + j0, &c, sizeof c);
  };
  store(0), store(1), store(2), store(3), store(4), store(5), store(6), store(7);
}

/// Slots a and b (a before b) get the lane-wise min and max of the two.
[[gnu::always_inline]] inline void net_exchange(NetSlot& a, NetSlot& b) {
  const NetSlot x = a, y = b;
  a = x < y ? x : y;
  b = x < y ? y : x;
}

/// The exchanges (A, B), (Rest...) of r, unrolled (constant indices and
/// inlining keep r in registers).
template <int64_t A, int64_t B, int64_t... Rest>
[[gnu::always_inline]] inline void net_pairs(NetSlot* r) {
  net_exchange(r[A], r[B]);
  if constexpr (sizeof...(Rest) > 0) net_pairs<Rest...>(r);
}
/// The exchanges Pairs (a, b, a, b, ...) of the eight slots w[0, 8).
template <int64_t... Pairs>
void net_block8(NetSlot* w) {
  NetSlot r[8];
  for (int64_t e = 0; e < 8; ++e) r[e] = w[e];
  net_pairs<Pairs...>(r);
  for (int64_t e = 0; e < 8; ++e) w[e] = r[e];
}

/// Sorts every lane of w[0, n) ascending, n a power of two >= 8: a bitonic
/// sort whose merges compare slot i with the mirror of i in its block and
/// then halve the distance, all in ascending order; every step within blocks
/// of eight slots runs on registers (an optimal 19-exchange network to sort
/// them, 12 exchanges to end each merge).
inline void net_sort_pow2(NetSlot* w, int64_t n) {
  for (int64_t b = 0; b < n; b += 8)
    net_block8<0, 2, 1, 3, 4, 6, 5, 7, 0, 4, 1, 5, 2, 6, 3, 7, 0, 1, 2, 3, 4, 5, 6, 7, 2, 4, 3, 5, 1, 4, 3, 6, 1, 2,
               3, 4, 5, 6>(w + b);
  for (int64_t k = 16; k <= n; k *= 2) {
    for (int64_t b = 0; b < n; b += k)
      for (int64_t i = 0; i < k / 2; ++i) net_exchange(w[b + i], w[b + k - 1 - i]);
    for (int64_t d = k / 4; d >= 8; d /= 2)
      for (int64_t b = 0; b < n; b += 2 * d)
        for (int64_t i = b; i < b + d; ++i) net_exchange(w[i], w[i + d]);
    for (int64_t b = 0; b < n; b += 8)
      net_block8<0, 4, 1, 5, 2, 6, 3, 7, 0, 2, 1, 3, 4, 6, 5, 7, 0, 1, 2, 3, 4, 5, 6, 7>(w + b);
  }
}

/// Sorts every lane of w[0, n) ascending (Note [Rows side by side in a
/// network]): net_sort_pow2 for powers of two from 8, otherwise Knuth's
/// merge exchange, TAOCP 5.2.2 algorithm M.
inline void net_sort(NetSlot* w, int64_t n) {
  if (n < 2) return;
  if (n >= 8 && (n & (n - 1)) == 0) return net_sort_pow2(w, n);
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
