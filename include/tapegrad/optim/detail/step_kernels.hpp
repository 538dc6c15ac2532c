#pragma once
// Building blocks of the optimizer steps that need a square root (Adam and
// AdamW today; Adagrad, RMSprop, Adadelta's updates have the same form).
// Internal: namespace tapegrad::optim::detail.
//
// Note [Vectorised optimizer steps]: an update loop that calls std::sqrt does
// not vectorise unless the program is built with -fno-math-errno (which is
// the user's choice, not ours): the compiler must keep a call to sqrt() for
// errno's sake, so the whole loop stays scalar, and Adam's step becomes the
// largest part of an epoch (bench/breakdown.md). Eigen's packet sqrt is no
// way out either: with EIGEN_FAST_MATH (its default) float on SSE/AVX and
// float and double on AVX-512 are an rsqrt approximation, not IEEE's sqrt
// (Note in ops/elementwise.hpp above Sqrt). So zip_apply_sqrt runs an update
// in blocks of kSqrtBlock elements and three passes per block:
//   1. pre(elements...) for each element: everything up to the sqrt's
//      argument, stored in a small buffer (a loop without calls, which the
//      compiler vectorises);
//   2. sqrt_n over the buffer: the CPU's vector square root instruction
//      where there is one (SSE2 or AVX on x86-64, NEON on aarch64),
//      std::sqrt elsewhere (AVX's 8 lanes, not AVX-512's 16: the sqrt is a
//      small part of the update, and GCC 12 warns -Wmaybe-uninitialized
//      inside its own _mm512_sqrt_ps);
//   3. post(root, elements...) for each element: the rest of the update.
// IEEE 754 square root is correctly rounded, and so are sqrtps/sqrtpd and
// NEON's fsqrt, so every element gets the bits std::sqrt would give it and
// the update is the one written as a single scalar loop, bit for bit; the
// non-contiguous fallback is that scalar loop (zip_apply of
// post(std::sqrt(pre(...)))), and tests/optim/detail/step_kernels_test.cpp
// checks that both layouts agree exactly. In flush-to-zero mode (Note
// [Denormals]) the vector and scalar instructions both read a denormal as
// zero. Large parameters are split over the pool's threads as any
// elementwise loop (Note [Parallel elementwise]).
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>

// Only the intrinsics sqrt_n uses: <immintrin.h> declares those of every x86
// extension and costs a default build's every translation unit more to
// parse than the rest of this header (bench/compile_time.md); SSE2's are in
// <emmintrin.h>, which Eigen includes anyway.
#if defined(__AVX__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#endif

#include "../../core/denormal.hpp"
#include "../../tensor/map.hpp"
#include "../optimizer.hpp"

#if defined(__clang__) || !defined(__GNUC__)
#define TAPEGRAD_STEP_OPAQUE [[gnu::noinline]]
#else
#define TAPEGRAD_STEP_OPAQUE [[gnu::noipa]]
#endif

namespace tapegrad::optim::detail {

/// x[i] = sqrt(x[i]) for 0 <= i < n, correctly rounded (the bits of std::sqrt).
/// Opaque to the optimiser (TAPEGRAD_STEP_OPAQUE): inlined or cloned for a
/// block loop's constant n, GCC 12 warns about the (dead) scalar tail
/// (-Waggressive-loop-optimizations); a call per block of kSqrtBlock elements
/// costs nothing measurable.
TAPEGRAD_STEP_OPAQUE inline void sqrt_n(float* x, int64_t n) {
  int64_t i = 0;
#if defined(__AVX__)
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_sqrt_ps(_mm256_loadu_ps(x + i)));
#elif defined(__SSE2__)
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(x + i, _mm_sqrt_ps(_mm_loadu_ps(x + i)));
#elif defined(__aarch64__) && defined(__ARM_NEON)
  for (; i + 4 <= n; i += 4) vst1q_f32(x + i, vsqrtq_f32(vld1q_f32(x + i)));
#endif
  for (; i < n; ++i) x[i] = std::sqrt(x[i]);
}
/// x[i] = sqrt(x[i]) for 0 <= i < n, correctly rounded (the bits of std::sqrt).
TAPEGRAD_STEP_OPAQUE inline void sqrt_n(double* x, int64_t n) {
  int64_t i = 0;
#if defined(__AVX__)
  for (; i + 4 <= n; i += 4) _mm256_storeu_pd(x + i, _mm256_sqrt_pd(_mm256_loadu_pd(x + i)));
#elif defined(__SSE2__)
  for (; i + 2 <= n; i += 2) _mm_storeu_pd(x + i, _mm_sqrt_pd(_mm_loadu_pd(x + i)));
#elif defined(__aarch64__) && defined(__ARM_NEON)
  for (; i + 2 <= n; i += 2) vst1q_f64(x + i, vsqrtq_f64(vld1q_f64(x + i)));
#endif
  for (; i < n; ++i) x[i] = std::sqrt(x[i]);
}

/// Elements per block of zip_apply_step/zip_apply_sqrt: a block's sqrt
/// buffer (1 KiB of floats) stays in L1 next to the operands' blocks.
inline constexpr int64_t kSqrtBlock = 256;

// Note [Optimizer loops at -O2]: GCC 12 at -O2 vectorises a loop only when
// the vector code replaces the scalar loop entirely (its "very cheap" cost
// model): no run-time alias check between the operands, no scalar epilogue.
// So the steps run over whole blocks of kSqrtBlock elements, a constant
// trip count, with TAPEGRAD_STEP_IVDEP telling the compiler that the
// operands do not overlap (they are distinct tensors: parameter, gradient,
// state), and the last partial block as a scalar loop. The updates fuse
// multiply-adds where PyTorch's kernels do (std::fma, Note [Optimizer
// rounding] in optim/common.hpp). std::fma is one instruction where the
// target has FMA (aarch64, x86-64 with -mfma or -march=native); a default
// x86-64 build (baseline SSE2) calls libm's fmaf/fma per element instead,
// which is exact but keeps the loop scalar. So there, when the CPU has AVX2
// and FMA (checked once at run time, as the GEMM does), the blocks run in a
// copy of the loop compiled for AVX2+FMA (run_step_range): the same
// operations, one vfmadd each, 8 floats a vector. std::fma rounds once
// either way, and the loops contain no a * b + c that the compiler could
// contract in one copy and not the other, so both copies and the scalar
// tail give the same bits (tests/optim/detail/step_kernels_test.cpp).
// (Clang vectorises these loops at -O2 with a run-time alias check; its
// assume_safety pragma would turn every loop it cannot vectorise, such as
// the libm-fma copy or a -O0 build, into a -Wpass-failed warning.)
#if defined(__GNUC__) && !defined(__clang__)
#define TAPEGRAD_STEP_IVDEP _Pragma("GCC ivdep")
#else
#define TAPEGRAD_STEP_IVDEP
#endif
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__FMA__)
#define TAPEGRAD_STEP_FMA_CLONE 1
#else
#define TAPEGRAD_STEP_FMA_CLONE 0
#endif

/// The mask of pick(): all ones when c, else zero.
template <FloatingElement T>
auto pick_mask(bool c) {
  using U = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  return c ? ~U{0} : U{0};
}
/// mask ? a : b (mask from pick_mask<T>), bit by bit. An option of a step
/// (maximize, weight decay, nesterov, ...) selects between values computed
/// for every element: GCC 12 at -O2 does not vectorise a loop with a
/// condition in it, even a loop-invariant one, but does vectorise and/or.
template <FloatingElement T, class U>
T pick(U mask, T a, T b) {
  static_assert(sizeof(U) == sizeof(T));
  return std::bit_cast<T>(static_cast<U>((std::bit_cast<U>(a) & mask) | (std::bit_cast<U>(b) & ~mask)));
}

/// elem(e[k]...) for the elements k in [lo, lo + n) of the operands ptr (Note [Optimizer loops at -O2]).
template <class T, size_t N, class Elem, size_t... I>
[[gnu::always_inline]] inline void step_range(const Elem& elem, const std::array<T*, N>& ptr, int64_t lo, int64_t n,
                                              std::index_sequence<I...>) {
  int64_t b = lo;
  for (; b + kSqrtBlock <= lo + n; b += kSqrtBlock) {
    const std::array<T*, N> q{(ptr[I] + b)...};
    TAPEGRAD_STEP_IVDEP
    for (int64_t k = 0; k < kSqrtBlock; ++k) elem(q[I][k]...);
  }
  for (; b < lo + n; ++b) elem(ptr[I][b]...);
}

/// post(sqrt(pre(e[k]...)), e[k]...) for k in [lo, lo + n) (Note [Vectorised optimizer steps]).
template <class T, size_t N, class Pre, class Post, size_t... I>
[[gnu::always_inline]] inline void sqrt_range(const Pre& pre, const Post& post, const std::array<T*, N>& ptr,
                                              int64_t lo, int64_t n, std::index_sequence<I...>) {
  alignas(64) T root[kSqrtBlock];
  int64_t b = lo;
  for (; b + kSqrtBlock <= lo + n; b += kSqrtBlock) {
    const std::array<T*, N> q{(ptr[I] + b)...};
    TAPEGRAD_STEP_IVDEP
    for (int64_t k = 0; k < kSqrtBlock; ++k) root[k] = pre(q[I][k]...);
    sqrt_n(root, kSqrtBlock);
    TAPEGRAD_STEP_IVDEP
    for (int64_t k = 0; k < kSqrtBlock; ++k) post(root[k], q[I][k]...);
  }
  for (; b < lo + n; ++b) post(std::sqrt(pre(ptr[I][b]...)), ptr[I][b]...);
}

#if TAPEGRAD_STEP_FMA_CLONE
/// Whether this CPU runs the AVX2+FMA copy of the loops (Note [Optimizer loops at -O2]).
inline bool step_cpu_has_fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}
/// range(lo, n) compiled for AVX2+FMA; range and what it calls are inlined into it.
template <class Range>
__attribute__((target("avx2,fma"))) void run_step_range_fma(const Range& range, int64_t lo, int64_t n) {
  range(lo, n);
}
#endif

/// range(lo, n), in the AVX2+FMA copy where that is faster and gives the same bits.
template <class Range>
void run_step_range(const Range& range, int64_t lo, int64_t n) {
#if TAPEGRAD_STEP_FMA_CLONE
  if (step_cpu_has_fma()) {
    run_step_range_fma(range, lo, n);
    return;
  }
#endif
  range(lo, n);
}

/// range(ptr, lo, n) over the parts of contiguous, same-shaped operands
/// (ptr: their data), split over the pool's threads as any elementwise loop
/// (Note [Parallel elementwise]: an element's update touches that element
/// only), in flush-to-zero mode (Note [Denormals] in core/denormal.hpp).
template <FloatingElement T, class Range, class... Rest>
void run_step_parts(const Range& range, const Tensor<T>& first, const Rest&... rest) {
  tapegrad::detail::FlushDenormalScope flush;
  const std::array<T*, 1 + sizeof...(Rest)> ptr{first.data_ptr(), rest.data_ptr()...};
  tapegrad::detail::parallel_range(first.numel(), [&](int64_t lo, int64_t n) {
    run_step_range([&](int64_t lo2, int64_t n2) __attribute__((always_inline)) { range(ptr, lo2, n2); }, lo, n);
  });
}

/// For every element of same-shaped tensors, by reference: elem(a[i], b[i], ...),
/// vectorised at -O2 (Note [Optimizer loops at -O2]), in flush-to-zero mode
/// (Note [Denormals] in core/denormal.hpp). elem must be free of calls other
/// than std::fma, and must not make one element depend on another.
template <FloatingElement T, class Elem, class... Rest>
void zip_apply_step(const Elem& elem, const Tensor<T>& first, const Rest&... rest) {
  if (!(first.is_contiguous() && ... && rest.is_contiguous())) {  // the scalar loop
    zip_apply(elem, first, rest...);
    return;
  }
  run_step_parts(
      [&](const auto& ptr, int64_t lo, int64_t n) __attribute__((always_inline)) {
        step_range(elem, ptr, lo, n, std::make_index_sequence<1 + sizeof...(Rest)>{});
      },
      first, rest...);
}

/// For every element of same-shaped tensors, by reference:
///   post(std::sqrt(pre(a[i], b[i], ...)), a[i], b[i], ...)
/// with pre and post free of calls other than std::fma, vectorised (Note
/// [Vectorised optimizer steps], Note [Optimizer loops at -O2]), in
/// flush-to-zero mode (Note [Denormals] in core/denormal.hpp). pre may write
/// the elements; post sees what pre wrote.
template <FloatingElement T, class Pre, class Post, class... Rest>
void zip_apply_sqrt(const Pre& pre, const Post& post, const Tensor<T>& first, const Rest&... rest) {
  if (!(first.is_contiguous() && ... && rest.is_contiguous())) {  // the scalar loop
    zip_apply([&](auto&... e) { post(std::sqrt(pre(e...)), e...); }, first, rest...);
    return;
  }
  run_step_parts(
      [&](const auto& ptr, int64_t lo, int64_t n) __attribute__((always_inline)) {
        sqrt_range(pre, post, ptr, lo, n, std::make_index_sequence<1 + sizeof...(Rest)>{});
      },
      first, rest...);
}

}  // namespace tapegrad::optim::detail
