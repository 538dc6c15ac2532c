#pragma once
// Ordering: sort, argsort, topk, kthvalue, median, mode, unique, bincount,
// histc, searchsorted, bucketize. Along a dim, each op works on contiguous
// rows: the dim is moved last (a copy unless it is already last).
// Note [NaN sorts largest]: as PyTorch, NaN compares greater than every
// number (sort ascending puts NaNs last, descending first; topk's largest
// are NaNs first); sort is stable, so equal values keep their index order.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <utility>
#include <vector>

#include "../kernels/sort.hpp"
#include "reduce.hpp"

namespace tapegrad {

namespace detail {
/// a < b with NaN the largest value (Note [NaN sorts largest]).
template <class T>
inline bool less_nan(T a, T b) {
  if constexpr (FloatingElement<T>) return a < b || (b != b && a == a);
  else return a < b;
}
template <class T>
inline bool greater_nan(T a, T b) {
  return less_nan(b, a);
}
template <class T>
inline bool equal_nan(T a, T b) {
  if constexpr (FloatingElement<T>) return a == b || (a != a && b != b);
  else return a == b;
}

// Note [Sorting by keys]: sort and topk order each row by an integer key per
// element whose signed order is less_nan's: a float's bits with the negative
// ones' magnitude bits flipped, -0.0 as 0.0 and every NaN as the largest key
// (equal to each other, as less_nan says); descending or largest flips every
// bit of the key, which reverses the order and keeps equal keys equal. Ties
// are broken by index, so the order is a function of the keys alone (the
// stable order) and any correct sort of the keys gives it. Rows of up to
// kernels::kNetMax elements with 32-bit keys (every dtype but double and
// int64) go through a sorting network, kNetLanes rows at a time, as words
// (key << 32 | index) (net_rows; Note [Rows side by side in a network]),
// except one or two rows left after the groups of kNetLanes; topk's k <=
// kernels::kNetSelectMax first words are picked by insertion instead. Other
// short rows are sorted by rank: an element's place is the number of keys
// below its own plus the number of equal keys before it, counted in loops the
// compiler vectorises with no branch to mispredict (a comparison sort of
// random data mispredicts about one branch in two); that is n * n
// comparisons, so rows longer than kRankSortMax are sorted as (key, index)
// pairs by std::sort.
// topk with k <= kFirstKeysMax keeps the k best in one pass (first_keys).
// The values are read back at the sorted indices, so NaN payloads and
// signed zeros come out as they went in.
template <class T>
using order_key_t = std::conditional_t<(sizeof(T) <= 4), int32_t, int64_t>;
/// v as a signed integer ordered as less_nan orders v (Note [Sorting by keys]).
template <Element T>
inline order_key_t<T> order_key(T v) {
  using K = order_key_t<T>;
  if constexpr (FloatingElement<T>) {
    static_assert(sizeof(K) == sizeof(T));
    // selects rather than branches, so that loops over a row vectorise
    K b;
    std::memcpy(&b, &v, sizeof b);
    const K neg = b >> (8 * sizeof(K) - 1);  // all ones for a negative sign
    const K key = b ^ (neg & std::numeric_limits<K>::max());
    return v != v ? std::numeric_limits<K>::max() : (v == T(0) ? K(0) : key);
  } else {
    return static_cast<K>(v);
  }
}
/// keys = the order keys of row[0, len), all bits flipped when `flip`
/// (descending, or topk's largest).
template <Element T>
void row_keys(const T* row, int64_t len, bool flip, std::vector<order_key_t<T>>& keys) {
  using K = order_key_t<T>;
  const K mask = flip ? K(-1) : K(0);
  keys.resize(static_cast<size_t>(len));
  for (int64_t j = 0; j < len; ++j) keys[static_cast<size_t>(j)] = order_key(row[j]) ^ mask;
}
inline constexpr int64_t kRankSortMax = 128;
/// sort_keys for a small k (topk's usual case): one pass keeping the k best
/// (key, index) in order, so each element costs a comparison with the k-th
/// best unless it enters. Later elements enter only below a strictly greater
/// key, which keeps equal keys in index order.
template <class K>
void first_keys(const K* keys, int64_t n, int64_t k, int64_t* order, std::vector<K>& best) {
  if (k == 0) return;
  best.resize(static_cast<size_t>(k));
  K* bk = best.data();
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) {
    const K key = keys[i];
    if (count == k && !(key < bk[k - 1])) continue;
    int64_t p = count < k ? count++ : k - 1;
    for (; p > 0 && key < bk[p - 1]; --p) {
      bk[p] = bk[p - 1];
      order[p] = order[p - 1];
    }
    bk[p] = key;
    order[p] = i;
  }
}
inline constexpr int64_t kFirstKeysMax = 16;

/// For `rows` rows of x (row r at x + r * n, n <= kernels::kNetMax, 32-bit
/// keys): v and ix (row r at r * k) get the first k values and indices in
/// ascending (key, index) order, every key flipped when `flip` (Note [Sorting
/// by keys]). The keys are made row by row, as unsigned numbers, and go into
/// the network's words (key << 32 | column) eight columns at a time.
template <Element T>
void net_rows(const T* x, int64_t rows, int64_t n, int64_t k, bool flip, T* v, int64_t* ix) {
  static_assert(sizeof(order_key_t<T>) == 4);
  if (k == 0) return;
  constexpr int64_t kLanes = kernels::kNetLanes, kMax = kernels::kNetMax;
  kernels::NetSlot w[kMax], best[kernels::kNetSelectMax];
  uint32_t keys[kLanes * kMax];
  int64_t cols[kLanes * kMax];
  // the key's order as an unsigned number: the sign bit flipped
  const uint32_t mask = flip ? ~0x80000000u : 0x80000000u;
  const bool select = k <= kernels::kNetSelectMax && k < n;
  const int64_t n8 = n / 8 * 8, k8 = k / 8 * 8;
  for (int64_t r0 = 0; r0 < rows; r0 += kLanes) {
    const int64_t lanes = std::min(kLanes, rows - r0);
    const T* xr = x + r0 * n;
    for (int64_t l = 0; l < kLanes; ++l) {
      uint32_t* kl = keys + l * kMax;
      if (l < lanes)
        for (int64_t e = 0; e < n; ++e) kl[e] = static_cast<uint32_t>(order_key(xr[l * n + e])) ^ mask;
      else
        std::fill_n(kl, n, 0u);  // (unused lanes)
    }
    for (int64_t e = 0; e < n8; e += 8) kernels::net_pack8(keys, kMax, e, w);
    for (int64_t e = n8; e < n; ++e)
      for (int64_t l = 0; l < kLanes; ++l) w[e][l] = uint64_t{keys[l * kMax + e]} << 32 | static_cast<uint64_t>(e);
    if (select) kernels::net_select(w, n, k, best);
    else kernels::net_sort(w, n);
    const kernels::NetSlot* first = select ? best : w;
    for (int64_t j = 0; j < k8; j += 8) kernels::net_columns8(first, j, cols, kMax);
    for (int64_t j = k8; j < k; ++j)
      for (int64_t l = 0; l < kLanes; ++l)
        cols[l * kMax + j] = static_cast<int64_t>(static_cast<uint32_t>(first[j][l]));
    for (int64_t l = 0; l < lanes; ++l) {
      const int64_t* cl = cols + l * kMax;
      const T* xl = xr + l * n;
      T* vr = v + (r0 + l) * k;
      std::copy_n(cl, k, ix + (r0 + l) * k);
      for (int64_t j = 0; j < k; ++j) vr[j] = xl[cl[j]];
    }
  }
}

/// Fills order[0, k) with the indices of the first k of keys[0, n) in
/// ascending (key, index) order (Note [Sorting by keys]); rank and pairs
/// are scratch.
template <class K>
void sort_keys(const K* keys, int64_t n, int64_t k, int64_t* order, std::vector<int32_t>& rank,
               std::vector<std::pair<K, int64_t>>& pairs) {
  if (n <= kRankSortMax) {
    // 16 ranks at a time held in registers while every key j goes past
    // them; the keys are padded to a multiple of 16 (the pads' ranks unused)
    constexpr int32_t kLanes = 16;
    const auto m = static_cast<int32_t>(n);
    const int32_t padded = (m + kLanes - 1) / kLanes * kLanes;
    K kp[kRankSortMax + kLanes];
    std::copy_n(keys, n, kp);
    std::fill(kp + m, kp + padded, std::numeric_limits<K>::max());
    rank.resize(static_cast<size_t>(padded));
    int32_t* rk = rank.data();
    for (int32_t i0 = 0; i0 < padded; i0 += kLanes) {
      // j precedes i when its key is lower, or equal and j < i: for the j
      // below the block every lane has j < i, for those above none has
      int32_t acc[kLanes] = {};
      const int32_t mid = std::min(i0, m), hi = std::min(i0 + kLanes, m);
      for (int32_t j = 0; j < mid; ++j)
        for (int32_t b = 0; b < kLanes; ++b) acc[b] += static_cast<int32_t>(kp[i0 + b] >= kp[j]);
      for (int32_t j = mid; j < hi; ++j)
        for (int32_t b = 0; b < kLanes; ++b)
          acc[b] += static_cast<int32_t>((kp[i0 + b] > kp[j]) | ((kp[i0 + b] == kp[j]) & (i0 + b > j)));
      for (int32_t j = hi; j < m; ++j)
        for (int32_t b = 0; b < kLanes; ++b) acc[b] += static_cast<int32_t>(kp[i0 + b] > kp[j]);
      std::copy_n(acc, kLanes, rk + i0);
    }
    for (int32_t i = 0; i < m; ++i)
      if (rk[i] < k) order[rk[i]] = i;
    return;
  }
  pairs.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) pairs[static_cast<size_t>(i)] = {keys[i], i};
  if (k < n) std::partial_sort(pairs.begin(), pairs.begin() + k, pairs.end());
  else std::sort(pairs.begin(), pairs.end());
  for (int64_t i = 0; i < k; ++i) order[i] = pairs[static_cast<size_t>(i)].second;
}

/// x (unrecorded) with dim moved last, contiguous: rows of x.size(dim).
template <Element T>
Tensor<T> rows_along(const Tensor<T>& x, int64_t dim) {
  auto d = x.detach();
  if (d.dim() > 0 && dim != d.dim() - 1) d = d.transpose(dim, -1);
  return d.contiguous();
}
/// The inverse of rows_along for a result y of x's rank (dim last), contiguous.
template <Element T>
Tensor<T> rows_back(const Tensor<T>& y, int64_t dim) {
  if (y.dim() == 0 || dim == y.dim() - 1) return y;
  return y.transpose(dim, -1).contiguous();
}

// The gradient of an op that picks elements along dim (sort, topk, kthvalue,
// median, mode, cummax): g scattered (added) into zeros of the input's
// shape at the picked indices, PyTorch's value_selecting_reduction_backward.
// indices and g have the input's rank (keepdim), dim of any length.
template <FloatingElement T>
Tensor<T> scatter_add_along(const Shape& sizes, int64_t dim, const Tensor<int64_t>& indices, const Tensor<T>& g) {
  auto out = zeros<T>(sizes);
  if (sizes.empty()) {
    if (g.numel() > 0) out.fill_(g.item());
    return out;
  }
  auto gr = rows_along(g, dim);
  auto ir = rows_along(indices, dim);
  auto orow = rows_along(out, dim);  // a contiguous copy to fill, moved back below
  const int64_t n = gr.dim() ? gr.sizes().back() : 1, len = sizes[dim];
  const int64_t rows = n ? gr.numel() / n : 0;
  const T* pg = gr.data_ptr();
  const int64_t* pi = ir.data_ptr();
  T* po = orow.data_ptr();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j) po[r * len + pi[r * n + j]] += pg[r * n + j];
  return rows_back(orow, dim);
}

// Record values = x picked at indices along dim (keepdim layout unless
// squeezed: `keepdim` false means dim was removed from values/indices).
template <Element T>
void record_pick(const ValuesIndices<T>& r, const Tensor<T>& x, int64_t dim, bool keepdim, const char* name) {
  if constexpr (FloatingElement<T>) {
    if (autograd::needs_grad(x))
      autograd::record(r.values, name, [idx = r.indices, sizes = x.sizes(), dim, keepdim](const Tensor<T>& g, autograd::Needs) {
        if (sizes.empty()) return autograd::Grads<T>{g.clone(), {}, {}};
        auto gk = keepdim ? g : g.unsqueeze(dim);
        auto ik = keepdim ? idx : idx.unsqueeze(dim);
        return autograd::Grads<T>{scatter_add_along(sizes, dim, ik, gk), {}, {}};
      }, x);
  }
}

// The rows of x along dim, turned into k (values, index) pairs each by
// fn(rows_in, row_count, n, values_out, indices_out) (row r at r * n in,
// r * k out); the results have x's shape with dim of size k.
template <Element T, class Fn>
ValuesIndices<T> per_rows(const Tensor<T>& x, int64_t dim, int64_t k, const Fn& fn) {
  auto xr = rows_along(x, dim);
  const int64_t n = x.dim() ? x.sizes()[dim] : 1;
  Shape rs = xr.sizes();
  if (!rs.empty()) rs.back() = k;
  auto values = make_empty<T>(rs);
  auto indices = make_empty<int64_t>(rs);
  int64_t rows = 1;
  for (int64_t d = 0; d + 1 < rs.size(); ++d) rows *= rs[d];
  const T* px = xr.data_ptr();
  T* pv = values.data_ptr();
  int64_t* pi = indices.data_ptr();
  if (n > 0) fn(px, rows, n, pv, pi);
  return {rows_back(values, dim), rows_back(indices, dim)};
}
// per_rows with fn(row, n, values_out, indices_out) called on each row.
template <Element T, class Fn>
ValuesIndices<T> per_row(const Tensor<T>& x, int64_t dim, int64_t k, const Fn& fn) {
  return per_rows(x, dim, k, [&](const T* px, int64_t rows, int64_t n, T* pv, int64_t* pi) {
    for (int64_t r = 0; r < rows; ++r) fn(px + r * n, n, pv + r * k, pi + r * k);
  });
}

/// The first k of every row of x along dim in ascending (key, index) order,
/// keys flipped when `flip` (sort and topk; Note [Sorting by keys]).
template <Element T>
ValuesIndices<T> sort_rows(const Tensor<T>& x, int64_t dim, int64_t k, bool flip) {
  using K = order_key_t<T>;
  std::vector<K> keys, best;
  std::vector<int32_t> rank;
  std::vector<std::pair<K, int64_t>> pairs;
  return per_rows(x, dim, k, [&](const T* px, int64_t rows, int64_t n, T* pv, int64_t* pi) {
    int64_t done = 0;
    if constexpr (sizeof(K) == 4) {
      if (n <= kernels::kNetMax) {
        // the network costs the same for one row as for eight: a lone row
        // left after the groups (two for topk's one pass) costs less alone
        const int64_t alone = k < n && k <= kFirstKeysMax ? 2 : 1;
        done = rows % kernels::kNetLanes <= alone ? rows - rows % kernels::kNetLanes : rows;
        net_rows(px, done, n, k, flip, pv, pi);
      }
    }
    for (int64_t r = done; r < rows; ++r) {
      const T* row = px + r * n;
      T* v = pv + r * k;
      int64_t* ix = pi + r * k;
      row_keys(row, n, flip, keys);
      if (k <= kFirstKeysMax && k < n) first_keys(keys.data(), n, k, ix, best);
      else sort_keys(keys.data(), n, k, ix, rank, pairs);
      for (int64_t j = 0; j < k; ++j) v[j] = row[ix[j]];
    }
  });
}
}  // namespace detail

/// sort(x, dim, descending, stable): values and indices along dim, x's
/// shape. Always stable (Note [NaN sorts largest]).
template <Element T>
ValuesIndices<T> sort(const Tensor<T>& x, int64_t dim = -1, bool descending = false, bool stable = false) {
  (void)stable;  // a stable sort is one of the orders an unstable one may give
  dim = x.dim() ? wrap_dim(dim, x.dim(), "sort") : (wrap_dim(dim, 0, "sort"), 0);
  const int64_t n = x.dim() ? x.sizes()[dim] : 1;
  auto r = detail::sort_rows(x, dim, n, descending);
  detail::record_pick(r, x, dim, true, "SortBackward0");
  return r;
}
/// argsort(x, dim, descending, stable): the indices of sort.
template <Element T>
Tensor<int64_t> argsort(const Tensor<T>& x, int64_t dim = -1, bool descending = false, bool stable = false) {
  NoGradGuard no_record;
  return sort(x, dim, descending, stable).indices;
}

/// topk(x, k, dim, largest, sorted): the k largest (smallest) along dim;
/// x's shape with dim of size k. Equal values come in index order (PyTorch
/// leaves their order unspecified).
template <Element T>
ValuesIndices<T> topk(const Tensor<T>& x, int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true) {
  (void)sorted;  // always sorted: one of the orders sorted=false allows
  dim = x.dim() ? wrap_dim(dim, x.dim(), "topk") : (wrap_dim(dim, 0, "topk"), 0);
  const int64_t n = x.dim() ? x.sizes()[dim] : 1;
  TAPEGRAD_CHECK(k >= 0 && k <= n, IndexError, "topk: k (", k, ") is out of range for dimension ", dim,
                 " with size ", n);
  // A 0-d x gives itself for k = 0 too, as PyTorch's (the output is 0-d, one
  // element, whatever k: it must be written).
  if (x.dim() == 0) k = 1;
  auto r = detail::sort_rows(x, dim, k, largest);
  detail::record_pick(r, x, dim, true, "TopkBackward0");
  return r;
}

namespace detail {
// The k-th smallest (0-based) of each row along dim: values and indices with
// dim kept (size 1). Equal values: the first in index order of the sorted row.
// With nan_wins, a row holding NaN gives its first NaN instead (median).
template <Element T>
ValuesIndices<T> kth_along(const Tensor<T>& x, int64_t k, int64_t dim, bool nan_wins = false) {
  std::vector<int64_t> order;
  return per_row(x, dim, 1, [&](const T* row, int64_t len, T* v, int64_t* ix) {
    if constexpr (FloatingElement<T>) {
      if (nan_wins) {
        const T* first = std::find_if(row, row + len, [](T e) { return e != e; });
        if (first != row + len) {
          *ix = first - row;
          *v = *first;
          return;
        }
      }
    }
    order.resize(static_cast<size_t>(len));
    std::iota(order.begin(), order.end(), int64_t{0});
    std::nth_element(order.begin(), order.begin() + k, order.end(), [row](int64_t a, int64_t b) {
      return less_nan(row[a], row[b]) || (!less_nan(row[b], row[a]) && a < b);
    });
    *ix = order[static_cast<size_t>(k)];
    *v = row[*ix];
  });
}
template <Element T>
ValuesIndices<T> squeeze_unless(ValuesIndices<T> r, int64_t dim, bool keepdim) {
  if (keepdim || r.values.dim() == 0) return r;
  return {r.values.squeeze(dim), r.indices.squeeze(dim)};
}
}  // namespace detail

/// kthvalue(x, k, dim, keepdim): the k-th smallest (k from 1) along dim.
template <Element T>
ValuesIndices<T> kthvalue(const Tensor<T>& x, int64_t k, int64_t dim = -1, bool keepdim = false) {
  dim = x.dim() ? wrap_dim(dim, x.dim(), "kthvalue") : (wrap_dim(dim, 0, "kthvalue"), 0);
  const int64_t n = x.dim() ? x.sizes()[dim] : 1;
  TAPEGRAD_CHECK(k >= 1 && k <= n, IndexError, "kthvalue: k (", k, ") is out of range for dimension ", dim,
                 " with size ", n);
  auto r = detail::squeeze_unless(detail::kth_along(x, k - 1, dim), dim, keepdim);
  detail::record_pick(r, x, dim, keepdim, "KthvalueBackward0");
  return r;
}

/// median(x, dim, keepdim): the lower of the two middle values along dim
/// (NaN if the row has one) and its index.
template <Element T>
ValuesIndices<T> median(const Tensor<T>& x, int64_t dim, bool keepdim = false) {
  dim = x.dim() ? wrap_dim(dim, x.dim(), "median") : (wrap_dim(dim, 0, "median"), 0);
  const int64_t n = x.dim() ? x.sizes()[dim] : 1;
  TAPEGRAD_CHECK(n > 0, IndexError, "median: cannot compute over a zero-size dimension (dim ", dim, " of shape ",
                 x.sizes(), ")");
  auto r = detail::squeeze_unless(detail::kth_along(x, (n - 1) / 2, dim, true), dim, keepdim);
  detail::record_pick(r, x, dim, keepdim, "MedianBackward0");
  return r;
}
/// median(x): the lower middle of all elements as a 0-d tensor (NaN if any
/// element is; NaN for no elements); the gradient is shared evenly by the
/// elements equal to it, as PyTorch.
template <Element T>
Tensor<T> median(const Tensor<T>& x) {
  Tensor<T> out;
  if (x.numel() == 0) {
    if constexpr (FloatingElement<T>) out = full<T>({}, std::numeric_limits<T>::quiet_NaN());
    else TAPEGRAD_CHECK(false, IndexError, "median: cannot compute the median of an empty ", dtype_name<T>(), " tensor");
  } else {
    NoGradGuard no_record;
    out = detail::kth_along(x.detach().reshape({-1}), (x.numel() - 1) / 2, 0, true).values.reshape({});
  }
  if constexpr (FloatingElement<T>) {
    if (autograd::needs_grad(x))
      autograd::record(out, "MedianBackward0", [sx = autograd::save(x), so = autograd::save(out)](const Tensor<T>& g, autograd::Needs) {
        const T m = so.get().item();
        auto hit = detail::map1<T, T>(sx.get(), [m](T v) { return detail::equal_nan(v, m) ? T(1) : T(0); });
        const T share = g.item() / sum(hit).item();
        return autograd::Grads<T>{detail::map1<T, T>(hit, [share](T h) { return h != T(0) ? share : T(0); }), {}, {}};
      }, x);
  }
  return out;
}

/// mode(x, dim, keepdim): the most frequent value along dim (the smallest of
/// equally frequent ones) and the index of its last occurrence, as PyTorch
/// (rows with NaN: NaNs count as equal here; PyTorch's result differs).
template <Element T>
ValuesIndices<T> mode(const Tensor<T>& x, int64_t dim = -1, bool keepdim = false) {
  dim = x.dim() ? wrap_dim(dim, x.dim(), "mode") : (wrap_dim(dim, 0, "mode"), 0);
  const int64_t n = x.dim() ? x.sizes()[dim] : 1;
  TAPEGRAD_CHECK(n > 0, IndexError, "mode: cannot compute over a zero-size dimension (dim ", dim, " of shape ",
                 x.sizes(), ")");
  std::vector<int64_t> order;
  auto r = detail::per_row(x, dim, 1, [&](const T* row, int64_t len, T* v, int64_t* ix) {
    order.resize(static_cast<size_t>(len));
    std::iota(order.begin(), order.end(), int64_t{0});
    std::stable_sort(order.begin(), order.end(), [row](int64_t a, int64_t b) { return detail::less_nan(row[a], row[b]); });
    int64_t best = 0, best_count = 0;
    for (int64_t i = 0; i < len;) {
      int64_t j = i;
      while (j < len && detail::equal_nan(row[order[static_cast<size_t>(j)]], row[order[static_cast<size_t>(i)]])) ++j;
      if (j - i > best_count) {
        best_count = j - i;
        best = j - 1;  // the last occurrence: stable, so the largest index
      }
      i = j;
    }
    *ix = order[static_cast<size_t>(best)];
    *v = row[*ix];
  });
  r = detail::squeeze_unless(r, dim, keepdim);
  detail::record_pick(r, x, dim, keepdim, "ModeBackward0");
  return r;
}

/// What unique returns: the values, and when asked for, each input
/// element's index into them (x's shape) and each value's count.
template <Element T>
struct UniqueResult {
  Tensor<T> values;
  Tensor<int64_t> inverse;
  Tensor<int64_t> counts;
};
/// unique(x, sorted, return_inverse, return_counts): the distinct values of
/// x, flattened, in ascending order (also for sorted=false, one of the
/// orders PyTorch allows); NaNs are each distinct, as PyTorch's.
template <Element T>
UniqueResult<T> unique(const Tensor<T>& x, bool sorted = true, bool return_inverse = false,
                       bool return_counts = false) {
  (void)sorted;
  auto flat = x.detach().contiguous();
  const T* p = flat.data_ptr();
  const int64_t n = flat.numel();
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [p](int64_t a, int64_t b) { return detail::less_nan(p[a], p[b]); });
  std::vector<T> values;
  std::vector<int64_t> counts, inverse(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const T v = p[order[static_cast<size_t>(i)]];
    if (values.empty() || !(values.back() == v)) {  // NaN != NaN: each its own value
      values.push_back(v);
      counts.push_back(0);
    }
    ++counts.back();
    inverse[static_cast<size_t>(order[static_cast<size_t>(i)])] = static_cast<int64_t>(values.size()) - 1;
  }
  UniqueResult<T> r;
  r.values = from_vector(values);
  if (return_inverse) r.inverse = from_vector(inverse, x.sizes());
  if (return_counts) r.counts = from_vector(counts);
  return r;
}

namespace detail {
template <Element W>
using bincount_t = std::conditional_t<FloatingElement<W>, W, double>;
}
/// bincount(x, minlength): counts of each value of a 1-D non-negative
/// integer tensor -> int64 [max(x) + 1, at least minlength].
template <Element T>
Tensor<int64_t> bincount(const Tensor<T>& x, int64_t minlength = 0);
/// bincount(x, weights, minlength): sums of weights per value; floating
/// weights keep their dtype, others give float64 (as PyTorch).
template <Element T, Element W>
Tensor<detail::bincount_t<W>> bincount(const Tensor<T>& x, const Tensor<W>& weights, int64_t minlength = 0) {
  static_assert(!FloatingElement<T>, "bincount: only integer tensors can be counted (as PyTorch)");
  if constexpr (!FloatingElement<T>) {
    using R = detail::bincount_t<W>;
    TAPEGRAD_CHECK(x.dim() == 1, ValueError, "bincount: only supports 1-d non-negative integral inputs, got shape ",
                   x.sizes());
    TAPEGRAD_CHECK(minlength >= 0, ValueError, "bincount: minlength should be >= 0, got ", minlength);
    const bool weighted = weights.defined();
    if (weighted)
      TAPEGRAD_CHECK(weights.sizes() == x.sizes(), ShapeError, "bincount: weights of shape ", weights.sizes(),
                     " should have the input's shape ", x.sizes());
    const auto xs = x.contiguous();
    const T* px = xs.data_ptr();
    int64_t top = -1;
    for (int64_t i = 0; i < xs.numel(); ++i) {
      TAPEGRAD_CHECK(px[i] >= T(0), ValueError, "bincount: only supports 1-d non-negative integral inputs, got ",
                     +px[i], " at index ", i);
      top = std::max<int64_t>(top, static_cast<int64_t>(px[i]));
    }
    auto out = zeros<R>({std::max(top + 1, minlength)});
    R* po = out.data_ptr();
    const auto ws = weighted ? weights.template to<R>().contiguous() : Tensor<R>();
    for (int64_t i = 0; i < xs.numel(); ++i) po[static_cast<int64_t>(px[i])] += weighted ? ws.data_ptr()[i] : R(1);
    return out;
  }
}
template <Element T>
Tensor<int64_t> bincount(const Tensor<T>& x, int64_t minlength) {
  return bincount(x, Tensor<double>(), minlength).template to<int64_t>();
}

/// histc(x, bins, min, max): counts of x in `bins` equal bins over
/// [min, max] (both 0: x's own range), in x's dtype; values outside are
/// ignored, max falls in the last bin. Floating tensors only.
template <Element T>
Tensor<T> histc(const Tensor<T>& x, int64_t bins = 100, double min = 0, double max = 0) {
  static_assert(FloatingElement<T>, "histc: only floating tensors are supported (as PyTorch)");
  if constexpr (FloatingElement<T>) {
    TAPEGRAD_CHECK(bins > 0, ValueError, "histc: bins must be > 0, got ", bins);
    const auto xs = x.detach().contiguous();
    const T* p = xs.data_ptr();
    T lo = static_cast<T>(min), hi = static_cast<T>(max);
    if (lo == hi && xs.numel() > 0) {
      lo = *std::min_element(p, p + xs.numel(), [](T a, T b) { return a < b; });
      hi = *std::max_element(p, p + xs.numel(), [](T a, T b) { return a < b; });
    }
    if (lo == hi) {
      lo -= T(1);
      hi += T(1);
    }
    TAPEGRAD_CHECK(!(lo > hi) && std::isfinite(lo) && std::isfinite(hi), ValueError,
                   "histc: range of [", lo, ", ", hi, "] is not finite or max < min");
    auto out = zeros<T>({bins});
    T* po = out.data_ptr();
    for (int64_t i = 0; i < xs.numel(); ++i) {
      const T v = p[i];
      if (!(v >= lo && v <= hi)) continue;  // (NaN too)
      int64_t b = static_cast<int64_t>((v - lo) * static_cast<T>(bins) / (hi - lo));
      if (b == bins) b = bins - 1;
      po[b] += T(1);
    }
    return out;
  }
}

/// searchsorted(sorted, values, right): for each value, the index where it
/// would be inserted into the innermost rows of `sorted` to keep them
/// sorted (the first such index; right: the last). sorted is 1-D, or has
/// values' leading dims. -> int64 of values' shape.
template <Element S, Element V>
Tensor<int64_t> searchsorted(const Tensor<S>& sorted_sequence, const Tensor<V>& values, bool right = false) {
  using C = promote_t<S, V>;
  const bool one_d = sorted_sequence.dim() == 1;
  if (!one_d) {
    bool leading = sorted_sequence.dim() == values.dim() && values.dim() > 0;
    for (int64_t d = 0; leading && d + 1 < values.dim(); ++d) leading = sorted_sequence.sizes()[d] == values.sizes()[d];
    TAPEGRAD_CHECK(leading, ShapeError, "searchsorted: boundaries tensor should be 1 dimension or the first N-1 "
                   "dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor ",
                   sorted_sequence.sizes(), " and input value tensor ", values.sizes());
  }
  const auto seq = sorted_sequence.detach().contiguous();
  const auto vals = values.detach().contiguous();
  auto out = detail::make_empty<int64_t>(values.sizes());
  const int64_t len = seq.dim() ? seq.sizes().back() : 1;
  const int64_t per_row = one_d || vals.dim() == 0 ? vals.numel() : vals.sizes().back();
  const S* ps = seq.data_ptr();
  const V* pv = vals.data_ptr();
  int64_t* po = out.data_ptr();
  for (int64_t i = 0; i < vals.numel(); ++i) {
    const S* row = ps + (one_d ? 0 : (i / std::max<int64_t>(per_row, 1)) * len);
    const C v = static_cast<C>(pv[i]);
    const S* at = right ? std::upper_bound(row, row + len, v, [](C a, S b) { return detail::less_nan(a, static_cast<C>(b)); })
                        : std::lower_bound(row, row + len, v, [](S a, C b) { return detail::less_nan(static_cast<C>(a), b); });
    po[i] = at - row;
  }
  return out;
}
/// bucketize(x, boundaries, right): searchsorted with 1-D boundaries.
template <Element T, Element B>
Tensor<int64_t> bucketize(const Tensor<T>& x, const Tensor<B>& boundaries, bool right = false) {
  TAPEGRAD_CHECK(boundaries.dim() == 1, ShapeError, "bucketize: boundaries tensor must be 1 dimension, but got dim(",
                 boundaries.dim(), ")");
  return searchsorted(boundaries, x, right);
}

// ---- Tensor methods ---------------------------------------------------------------------------
template <Element T>
ValuesIndices<T> Tensor<T>::sort(int64_t dim, bool descending, bool stable) const {
  return tapegrad::sort(*this, dim, descending, stable);
}
template <Element T>
Tensor<int64_t> Tensor<T>::argsort(int64_t dim, bool descending, bool stable) const {
  return tapegrad::argsort(*this, dim, descending, stable);
}
template <Element T>
ValuesIndices<T> Tensor<T>::topk(int64_t k, int64_t dim, bool largest, bool sorted) const {
  return tapegrad::topk(*this, k, dim, largest, sorted);
}
template <Element T>
ValuesIndices<T> Tensor<T>::kthvalue(int64_t k, int64_t dim, bool keepdim) const {
  return tapegrad::kthvalue(*this, k, dim, keepdim);
}
template <Element T> Tensor<T> Tensor<T>::median() const { return tapegrad::median(*this); }
template <Element T>
ValuesIndices<T> Tensor<T>::median(int64_t dim, bool keepdim) const { return tapegrad::median(*this, dim, keepdim); }
template <Element T>
ValuesIndices<T> Tensor<T>::mode(int64_t dim, bool keepdim) const { return tapegrad::mode(*this, dim, keepdim); }

}  // namespace tapegrad
