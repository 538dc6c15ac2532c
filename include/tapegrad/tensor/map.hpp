#pragma once
// Elementwise kernels: map a functor over 1, 2 or 3 broadcast operands into a
// fresh tensor (map1/map2/map3), into a given output (map1_into/map2_into), or
// in place (map1_/map2_). Internal (namespace detail): the ops of ops/ are
// built from them; users call those ops.
//
// Note [Elementwise fast paths]: a unary functor may offer `array(x)`, the
// same op on an Eigen array. For contiguous floating rows it goes through
// Eigen, which vectorises exp, log, tanh and logistic with SIMD polynomials
// the compiler cannot produce from std::exp; everything else runs plain
// loops, written so that unit and zero strides vectorise.
#include <Eigen/Core>
#include <algorithm>
#include <type_traits>

#include "../core/parallel.hpp"
#include "../core/threads.hpp"
#include "factory.hpp"
#include "iterator.hpp"
#include "tensor.hpp"

namespace tapegrad::detail {

template <class T>
using ArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstArrayMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

template <class F, class C>
concept HasArray1 = requires(const F& f, ConstArrayMap<C> x) { f.array(x); };
// A functor whose array form is exact only for arguments >= F::array_min<C>.
template <class F, class C>
concept HasArrayMin = requires { { F::template array_min<C> } -> std::convertible_to<C>; };

// Note [Range-limited array forms]: Eigen's SIMD exp is exact only for
// arguments >= F::array_min; an element below it takes the scalar form, so
// its result never depends on its neighbours. The check is fused into the
// SIMD loop (F::packet plus one running minimum per packet): a SIMD exp takes
// under a cycle per element, so a separate checking pass, or even a
// compare-and-OR per packet, costs a large share of it (the AVX-512 ports
// are the bottleneck; bench/elementwise_bench.cpp). A block (kBlock elements, still in L1) whose minimum
// is below array_min, or NaN, has its elements below array_min recomputed
// with the scalar form. pmin(m, x) is `x < m ? x : m` (Eigen follows
// std::min), so on x86 a NaN argument never enters m; where the hardware
// minimum propagates NaN (NEON), the block just takes the careful branch.
// In-place rows (o == a), rare, check each block before writing it instead,
// since the arguments are gone afterwards.
template <class C, class F>
inline void row1_limited(C* o, const C* a, int64_t n, const F& f) {
  namespace ei = Eigen::internal;
  using P = typename ei::packet_traits<C>::type;
  constexpr int64_t w = ei::packet_traits<C>::size;
  constexpr int64_t kBlock = 1024;
  const C lo = C(F::template array_min<C>);
  const P plo = ei::pset1<P>(lo);
  // dst[0..m) = SIMD f(src[0..m)): whole packets, then the tail as Eigen
  // computes it. Returns false when surely no src[k] < lo. dst may be src.
  auto simd = [&](C* dst, const C* src, int64_t m) {
    P mn = plo;
    int64_t k = 0;
    for (; k + w <= m; k += w) {
      const P x = ei::ploadu<P>(src + k);
      mn = ei::pmin(mn, x);
      ei::pstoreu(dst + k, f.packet(x));
    }
    bool maybe_below = !(ei::predux_min(mn) >= lo);
    for (int64_t j = k; j < m; ++j) maybe_below |= src[j] < lo;
    if (k < m) ArrayMap<C>(dst + k, m - k) = f.array(ConstArrayMap<C>(src + k, m - k));
    return maybe_below;
  };
  for (int64_t i = 0; i < n; i += kBlock) {
    const int64_t m = std::min(kBlock, n - i);
    C* ob = o + i;
    const C* ab = a + i;
    if (o != a) {
      if (simd(ob, ab, m))
        for (int64_t k = 0; k < m; ++k)
          if (ab[k] < lo) ob[k] = f(ab[k]);
      continue;
    }
    bool any = false;  // in place: look before writing
    for (int64_t k = 0; k < m; ++k) any |= ab[k] < lo;
    if (!any) {
      simd(ob, ab, m);
    } else {
      C tmp[kBlock];
      simd(tmp, ab, m);
      for (int64_t k = 0; k < m; ++k) ob[k] = ab[k] < lo ? f(ab[k]) : tmp[k];
    }
  }
}

// out[k*so] = f(a[k*sa]) for k < n, computing in C.
template <class R, class C, class A, class F>
inline void row1(R* o, int64_t so, const A* a, int64_t sa, int64_t n, const F& f) {
  if constexpr (std::is_same_v<R, C> && std::is_same_v<A, C> && FloatingElement<C> &&
                HasArray1<F, C>) {
    if (so == 1 && sa == 1) {
      if constexpr (HasArrayMin<F, C>) row1_limited(o, a, n, f);
      else ArrayMap<C>(o, n) = f.array(ConstArrayMap<C>(a, n));
      return;
    }
  }
  if (so == 1 && sa == 1) {
    for (int64_t k = 0; k < n; ++k) o[k] = cast<R>(f(cast<C>(a[k])));
  } else {
    for (int64_t k = 0; k < n; ++k) o[k * so] = cast<R>(f(cast<C>(a[k * sa])));
  }
}

// Integer +, -, * wrap around (two's complement) as in PyTorch. Signed
// overflow is undefined in C++, so they compute in an unsigned type at least
// as wide as unsigned int (uint16 * uint16 would promote to a signed int).
template <class V>
using wrap_t = std::conditional_t<(sizeof(V) < sizeof(unsigned)), unsigned, std::make_unsigned_t<V>>;
template <class V>
inline constexpr bool wraps_v = std::is_integral_v<V> && std::is_signed_v<V>;
template <class V>
inline V wrap_add(V a, V b) {
  if constexpr (wraps_v<V>) return static_cast<V>(static_cast<wrap_t<V>>(a) + static_cast<wrap_t<V>>(b));
  else return static_cast<V>(a + b);
}
template <class V>
inline V wrap_sub(V a, V b) {
  if constexpr (wraps_v<V>) return static_cast<V>(static_cast<wrap_t<V>>(a) - static_cast<wrap_t<V>>(b));
  else return static_cast<V>(a - b);
}
template <class V>
inline V wrap_mul(V a, V b) {
  if constexpr (wraps_v<V>) return static_cast<V>(static_cast<wrap_t<V>>(a) * static_cast<wrap_t<V>>(b));
  else return static_cast<V>(a * b);
}

// NaN-propagating max/min as PyTorch's maximum/minimum/clamp (and Adam's
// amsgrad, optim/adam.hpp).
template <class V>
inline V max_nan(V a, V b) {
  if constexpr (FloatingElement<V>) {
    if (a != a) return a;
    if (b != b) return b;
  }
  return a > b ? a : b;
}
template <class V>
inline V min_nan(V a, V b) {
  if constexpr (FloatingElement<V>) {
    if (a != a) return a;
    if (b != b) return b;
  }
  return a < b ? a : b;
}

// + - * / (the ops of ops/elementwise.hpp, and autograd's gradient sums) also
// have packet forms for contiguous floating rows (Note [Binary packet rows]);
// IEEE arithmetic, so the same numbers.
struct Add {
  template <class V> V operator()(V a, V b) const { return wrap_add(a, b); }
  template <class P> P packet(const P& a, const P& b) const { return Eigen::internal::padd(a, b); }
};
struct Sub {
  template <class V> V operator()(V a, V b) const { return wrap_sub(a, b); }
  template <class P> P packet(const P& a, const P& b) const { return Eigen::internal::psub(a, b); }
};
struct Mul {
  template <class V> V operator()(V a, V b) const {
    if constexpr (std::is_same_v<V, bool>) return a && b;
    else return wrap_mul(a, b);
  }
  template <class P> P packet(const P& a, const P& b) const { return Eigen::internal::pmul(a, b); }
};
struct Div {
  template <class V> V operator()(V a, V b) const { return a / b; }
  template <class P> P packet(const P& a, const P& b) const { return Eigen::internal::pdiv(a, b); }
};
// A binary functor with a packet form, f.packet(x, y) on Eigen packets of C.
template <class F, class C>
concept HasPacket2 = requires(const F& f, typename Eigen::internal::packet_traits<C>::type x) { f.packet(x, x); };

// Note [Binary packet rows]: contiguous floating rows of + - * / (o, a and b
// of one dtype; a or b may be a broadcast scalar, stride 0) of up to
// kPacketRowBytes per operand run on Eigen's packets, the widest vectors the
// build targets. A plain loop vectorises too, but GCC gives it 256-bit
// vectors even under -march=native on AVX-512 CPUs (-mprefer-vector-width=256
// is its default there): rows in L1 are much faster with 512-bit packets,
// while rows from L2 (past L1) are a little slower with them than with the
// 256-bit loop, as Eigen's own are (bench/elementwise_bench.cpp on an
// AVX-512 machine). So longer rows keep the plain loop. The tail takes one half packet and then the scalar form:
// the same IEEE operation, so the numbers do not depend on where an element
// falls. o may be a or b (in place), as every element is read before it is
// written.
inline constexpr int64_t kPacketRowBytes = 16384;
// o[j] = f(a[j * sa], b[j * sb]) for j from k in whole packets Q (sa, sb each
// 0 or 1) while they fit below n; returns where it stopped.
template <class Q, class C, class F>
inline int64_t row2_steps(C* o, const C* a, int64_t sa, const C* b, int64_t sb, int64_t k, int64_t n,
                          const F& f) {
  namespace ei = Eigen::internal;
  constexpr int64_t w = sizeof(Q) / sizeof(C);
  if (sa == 0) {
    const Q av = ei::pset1<Q>(*a);
    for (; k + w <= n; k += w) ei::pstoreu(o + k, f.packet(av, ei::ploadu<Q>(b + k)));
  } else if (sb == 0) {
    const Q bv = ei::pset1<Q>(*b);
    for (; k + w <= n; k += w) ei::pstoreu(o + k, f.packet(ei::ploadu<Q>(a + k), bv));
  } else {
    for (; k + w <= n; k += w) ei::pstoreu(o + k, f.packet(ei::ploadu<Q>(a + k), ei::ploadu<Q>(b + k)));
  }
  return k;
}
// Full packets, then at most one half packet (AVX-512: 8 floats), then scalars.
template <class C, class F>
inline void row2_packets(C* o, const C* a, int64_t sa, const C* b, int64_t sb, int64_t n, const F& f) {
  using P = typename Eigen::internal::packet_traits<C>::type;
  using H = typename Eigen::internal::packet_traits<C>::half;
  int64_t k = row2_steps<P>(o, a, sa, b, sb, 0, n, f);
  if constexpr (sizeof(H) < sizeof(P)) k = row2_steps<H>(o, a, sa, b, sb, k, n, f);
  for (; k < n; ++k) o[k] = f(a[k * sa], b[k * sb]);
}

// out[k*so] = f(a[k*sa], b[k*sb]) for k < n, computing in C. The unit- and
// zero-stride rows get loops of their own so the compiler vectorises them
// (plain loops, or packets for Note [Binary packet rows]; Eigen expressions
// for every op and stride pattern cost much compile time).
template <class R, class C, class A, class B, class F>
inline void row2(R* o, int64_t so, const A* a, int64_t sa, const B* b, int64_t sb, int64_t n,
                 const F& f) {
  if constexpr (std::is_same_v<R, C> && std::is_same_v<A, C> && std::is_same_v<B, C> && FloatingElement<C> &&
                HasPacket2<F, C>) {
    if (so == 1 && (sa == 1 || sa == 0) && (sb == 1 || sb == 0) && (sa | sb) == 1 &&
        n <= kPacketRowBytes / int64_t{sizeof(C)}) {
      row2_packets(o, a, sa, b, sb, n, f);
      return;
    }
  }
  if (so == 1 && sa == 1 && sb == 1) {
    for (int64_t k = 0; k < n; ++k) o[k] = cast<R>(f(cast<C>(a[k]), cast<C>(b[k])));
  } else if (so == 1 && sa == 0 && sb == 1) {
    const C av = cast<C>(*a);
    for (int64_t k = 0; k < n; ++k) o[k] = cast<R>(f(av, cast<C>(b[k])));
  } else if (so == 1 && sa == 1 && sb == 0) {
    const C bv = cast<C>(*b);
    for (int64_t k = 0; k < n; ++k) o[k] = cast<R>(f(cast<C>(a[k]), bv));
  } else {
    for (int64_t k = 0; k < n; ++k)
      o[k * so] = cast<R>(f(cast<C>(a[k * sa]), cast<C>(b[k * sb])));
  }
}

// Note [Parallel elementwise]: a contiguous map over at least 2 *
// kParallelGrain elements runs as one chunk per thread on the pool (Note
// [Thread pool] in core/parallel.hpp), each chunk at least kParallelGrain =
// 32768 elements (PyTorch's grain size) and starting at a multiple of 1024;
// smaller and strided maps stay on the calling thread. Every element's result
// depends on that element only, so the numbers do not depend on the split.
inline constexpr int64_t kParallelGrain = 32768;

/// body(begin, count) over [0, n), split as Note [Parallel elementwise].
template <class Body>
void parallel_range(int64_t n, const Body& body) {
  FlushDenormalScope flush(n >= kFlushMinElements);  // Note [Denormals] in core/denormal.hpp
  const int64_t parts = n < 2 * kParallelGrain ? 1 : std::min<int64_t>(get_num_threads(), n / kParallelGrain);
  if (parts <= 1) {
    body(int64_t{0}, n);
    return;
  }
  const int64_t per = ((n + parts - 1) / parts + 1023) / 1024 * 1024;
  parallel_for(parts, static_cast<int>(parts), [&](int64_t t) {
    const int64_t lo = t * per, hi = std::min(n, lo + per);
    if (lo < hi) body(lo, hi - lo);
  });
}

// Note [Row loop once]: an op's row loop (row1/row2 with its functor) is
// the bulk of the code the op compiles. The strided path reaches it through
// for_each_strided's out-of-line rows, the contiguous path inlines it (the
// unit strides known, the range split by parallel_range). In-place maps use
// the same two instantiations as the out-of-place ones, with o = a, rather
// than two of their own. Sending the contiguous path through the strided
// function as well, so that each op compiled its loop once, made small
// contiguous ops markedly slower (bench/elementwise_bench.cpp; the figures are
// in bench/compile_time.md), so it keeps its own copy.

/// The row functor of a one-operand map: o[k*so] = R(f(C(a[k*sa]))).
template <class R, class C, class A, class F>
struct Rows1 {
  R* o;
  const A* a;
  const F& f;
  void operator()(const Offsets<2>& p, int64_t n, const Offsets<2>& s) const {
    row1<R, C>(o + p[0], s[0], a + p[1], s[1], n, f);
  }
};
/// The row functor of a two-operand map: o[k*so] = R(f(C(a[k*sa]), C(b[k*sb]))).
template <class R, class C, class A, class B, class F>
struct Rows2 {
  R* o;
  const A* a;
  const B* b;
  const F& f;
  void operator()(const Offsets<3>& p, int64_t n, const Offsets<3>& s) const {
    row2<R, C>(o + p[0], s[0], a + p[1], s[1], b + p[2], s[2], n, f);
  }
};
/// o[i] = R(f(C(a[i]))) of memory o and a, of one shape with strides so and sa.
template <Element R, Element C, Element A, class F>
void map1_rows(R* po, const Shape& so, const A* pa, const Shape& sa, const Shape& sizes, bool contiguous,
               const F& f) {
  if (contiguous)
    return parallel_range(shape_numel(sizes),
                          [&](int64_t lo, int64_t n) { row1<R, C>(po + lo, 1, pa + lo, 1, n, f); });
  for_each_strided<2>(sizes, {so, sa}, Rows1<R, C, A, F>{po, pa, f});
}

/// out[i] = R(f(C(a[i]))), out of a's shape (Note [Out variants] in ops/elementwise.hpp).
template <Element R, Element C, Element A, class F>
void map1_into(const Tensor<R>& out, const Tensor<A>& a, const F& f) {
  map1_rows<R, C>(out.data_ptr(), out.strides(), a.data_ptr(), a.strides(), a.sizes(),
                  a.is_contiguous() && out.is_contiguous(), f);
}

/// A fresh tensor R[i] = f(C(a[i])).
template <Element R, Element C, Element A, class F>
Tensor<R> map1(const Tensor<A>& a, const F& f) {
  auto out = make_empty<R>(a.sizes(), a.numel());
  map1_into<R, C>(out, a, f);
  return out;
}

// Note [Contiguous fast path]: most elementwise ops of a training loop see
// operands of one shape, all contiguous. One look at each operand's
// TensorImpl tells them from the general case (broadcast, strided, aliased,
// autograd state) and sends them straight to the row loop. The general path's
// checks (shape compares, broadcast, out and overlap checks) are a large part
// of a small add_out's time, which the fast path skips
// (bench/elementwise_bench.cpp).
// The checks are forced inline: as calls of their own (GCC's choice at -O3)
// their entry and exit were a visible part of a small add_out
// (bench/elementwise_bench.cpp).
/// The layout of t (defined), for the fast path's checks.
template <Element T>
const TensorImpl<T>& layout(const Tensor<T>& t) { return t.impl_ref(); }
template <Element T, Element U>
[[gnu::always_inline]] inline bool same_contiguous(const TensorImpl<T>& x, const TensorImpl<U>& y) {
  return x.contiguous && y.contiguous && x.sizes == y.sizes;
}
template <Element T>
[[gnu::always_inline]] inline T* first_element(const TensorImpl<T>& x) {
  return x.numel == 0 ? nullptr : x.storage->data() + x.offset;
}

// Writing o while reading x is safe elementwise when o is x's memory exactly
// or o is not in x's storage (both contiguous, of one shape).
template <Element R, Element X>
[[gnu::always_inline]] inline bool reads_safely(const TensorImpl<R>& o, const TensorImpl<X>& x) {
  if constexpr (!std::is_same_v<R, X>) return true;
  else return o.storage != x.storage || first_element(o) == first_element(x);
}
/// out, a and b are defined, contiguous, of one shape, have no autograd
/// state, and out is a's (b's) memory exactly or apart from it: every check
/// of an out variant (Note [Out variants]) or in-place op passes.
template <Element R, Element A, Element B>
[[gnu::always_inline]] inline bool plain_contiguous(const Tensor<R>& out, const Tensor<A>& a, const Tensor<B>& b) {
  const TensorImpl<R>* o = out.impl_ptr().get();
  const TensorImpl<A>* x = a.impl_ptr().get();
  const TensorImpl<B>* y = b.impl_ptr().get();
  return o && x && y && !o->autograd && !x->autograd && !y->autograd && same_contiguous(*o, *x) &&
         same_contiguous(*o, *y) && reads_safely(*o, *x) && reads_safely(*o, *y);
}

/// o[i] = R(f(C(a[i]), C(b[i]))) for i < n, contiguous.
template <Element R, Element C, Element A, Element B, class F>
void map2_contiguous(R* po, const A* pa, const B* pb, int64_t n, const F& f) {
  parallel_range(n, [&](int64_t lo, int64_t m) { row2<R, C>(po + lo, 1, pa + lo, 1, pb + lo, 1, m, f); });
}

/// When plain_contiguous(out, a, b): out[i] = R(f(C(a[i]), C(b[i]))) and out's
/// version bumped, for the out variants and in-place ops; false otherwise.
template <Element R, Element C, Element A, Element B, class F>
bool map2_plain_into(const Tensor<R>& out, const Tensor<A>& a, const Tensor<B>& b, const F& f) {
  if (!plain_contiguous(out, a, b)) return false;
  const TensorImpl<R>& io = layout(out);
  map2_contiguous<R, C>(first_element(io), first_element(layout(a)), first_element(layout(b)), io.numel, f);
  io.storage->bump_version();
  return true;
}

/// out[i] = R(f(C(a[i]), C(b[i]))), a and b broadcast to out's shape.
template <Element R, Element C, Element A, Element B, class F>
void map2_into(const Tensor<R>& out, const Tensor<A>& a, const Tensor<B>& b, const F& f) {
  const TensorImpl<R>& io = layout(out);
  const TensorImpl<A>& ia = layout(a);
  const TensorImpl<B>& ib = layout(b);
  R* po = first_element(io);
  const A* pa = first_element(ia);
  const B* pb = first_element(ib);
  if (same_contiguous(io, ia) && same_contiguous(io, ib)) {
    map2_contiguous<R, C>(po, pa, pb, io.numel, f);
    return;
  }
  const Shape& shape = io.sizes;
  for_each_strided<3>(shape, {out.strides(), broadcast_strides(a, shape), broadcast_strides(b, shape)},
                      Rows2<R, C, A, B, F>{po, pa, pb, f});
}

/// A fresh tensor R[i] = f(C(a[i]), C(b[i])) over the broadcast shape.
template <Element R, Element C, Element A, Element B, class F>
Tensor<R> map2(const Tensor<A>& a, const Tensor<B>& b, const F& f, const char* op) {
  const TensorImpl<A>& ia = layout(a);
  const TensorImpl<B>& ib = layout(b);
  if (same_contiguous(ia, ib)) {
    auto out = make_empty<R>(ia.sizes, ia.numel);
    map2_contiguous<R, C>(first_element(layout(out)), first_element(ia), first_element(ib), ia.numel, f);
    return out;
  }
  Shape store;
  auto out = make_empty<R>(broadcast_shapes(a.sizes(), b.sizes(), store, op), op);
  map2_into<R, C>(out, a, b, f);
  return out;
}

/// A fresh tensor R[i] = f(c[i], C(a[i]), C(b[i])) over the broadcast shape.
template <Element R, Element C, Element X, Element A, Element B, class F>
Tensor<R> map3(const Tensor<X>& x, const Tensor<A>& a, const Tensor<B>& b, const F& f,
               const char* op) {
  const Shape shape = broadcast_shapes(broadcast_shapes(x.sizes(), a.sizes(), op), b.sizes(), op);
  auto out = make_empty<R>(shape);
  R* po = out.data_ptr();
  const X* px = x.data_ptr();
  const A* pa = a.data_ptr();
  const B* pb = b.data_ptr();
  for_each_strided<4>(shape,
                      {out.strides(), broadcast_strides(x, shape), broadcast_strides(a, shape),
                       broadcast_strides(b, shape)},
                      [&](const Offsets<4>& o, int64_t n, const Offsets<4>& s) {
                        for (int64_t k = 0; k < n; ++k)
                          po[o[0] + k * s[0]] = cast<R>(f(px[o[1] + k * s[1]], cast<C>(pa[o[2] + k * s[2]]),
                                                          cast<C>(pb[o[3] + k * s[3]])));
                      });
  return out;
}

// An in-place op must not write one memory location twice (expanded dims).
template <Element T>
void check_writable(const Tensor<T>& t, const char* op) {
  if (t.numel() == 0) return;  // nothing is written
  for (int64_t d = 0; d < t.dim(); ++d)
    TAPEGRAD_CHECK(t.strides()[d] != 0 || t.sizes()[d] <= 1, ValueError, op,
                   ": unsupported operation: more than one element of the written-to tensor "
                   "refers to a single memory location (shape ", t.sizes(), ", strides ",
                   t.strides(), "); call clone() first");
}

/// In place: a[i] = A(f(C(a[i]))).
template <Element C, Element A, class F>
void map1_(const Tensor<A>& a, const F& f, const char* op) {
  check_inplace(a, op);
  check_writable(a, op);
  map1_rows<A, C>(a.data_ptr(), a.strides(), a.data_ptr(), a.strides(), a.sizes(), a.is_contiguous(), f);
  a.storage()->bump_version();
}

/// In place: a[i] = A(f(C(a[i]), C(b[i]))), b broadcast to a's shape.
template <Element C, Element A, Element B, class F>
void map2_(const Tensor<A>& a, const Tensor<B>& b, const F& f, const char* op) {
  if (map2_plain_into<A, C>(a, a, b, f)) return;  // Note [Contiguous fast path]
  Shape store;
  const Shape& shape = broadcast_shapes(a.sizes(), b.sizes(), store, op);
  TAPEGRAD_CHECK(shape == a.sizes(), ShapeError, op, ": output with shape ", a.sizes(),
                 " doesn't match the broadcast shape ", shape);
  check_inplace(a, b, op);
  check_writable(a, op);
  if constexpr (std::is_same_v<A, B>) {
    // Reading b while writing a: safe only when both walk the memory alike.
    const bool alike = a.sizes() == b.sizes() && a.strides() == b.strides() &&
                       a.storage_offset() == b.storage_offset();
    if (shares_storage(a, b) && !alike) return map2_<C>(a, copy_of(b), f, op);
  }
  A* pa = a.data_ptr();
  const B* pb = b.data_ptr();
  if (a.sizes() == b.sizes() && a.is_contiguous() && b.is_contiguous()) {
    map2_contiguous<A, C>(pa, pa, pb, a.numel(), f);
  } else {
    for_each_strided<3>(shape, {a.strides(), a.strides(), broadcast_strides(b, shape)},
                        Rows2<A, C, A, B, F>{pa, pa, pb, f});
  }
  a.storage()->bump_version();
}

}  // namespace tapegrad::detail
