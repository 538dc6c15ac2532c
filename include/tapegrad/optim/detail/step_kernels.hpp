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
#include <cmath>
#include <cstdint>
#include <utility>

#if defined(__SSE2__)
#include <immintrin.h>
#elif defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#endif

#include "../../core/denormal.hpp"
#include "../../tensor/map.hpp"
#include "../optimizer.hpp"

namespace tapegrad::optim::detail {

/// x[i] = sqrt(x[i]) for 0 <= i < n, correctly rounded (the bits of std::sqrt).
inline void sqrt_n(float* x, int64_t n) {
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
inline void sqrt_n(double* x, int64_t n) {
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

/// Elements per block of zip_apply_sqrt: its buffer (1 KiB of floats) stays
/// in L1 next to the operands' blocks.
inline constexpr int64_t kSqrtBlock = 256;

/// For every element of same-shaped tensors, by reference:
///   post(std::sqrt(pre(a[i], b[i], ...)), a[i], b[i], ...)
/// with pre and post free of calls, vectorised (Note [Vectorised optimizer
/// steps]), in flush-to-zero mode (Note [Denormals] in core/denormal.hpp).
/// pre may write the elements; post sees what pre wrote.
template <FloatingElement T, class Pre, class Post, class... Rest>
void zip_apply_sqrt(const Pre& pre, const Post& post, const Tensor<T>& first, const Rest&... rest) {
  if (!(first.is_contiguous() && ... && rest.is_contiguous())) {  // the scalar loop
    zip_apply([&](auto&... e) { post(std::sqrt(pre(e...)), e...); }, first, rest...);
    return;
  }
  tapegrad::detail::FlushDenormalScope flush;  // Note [Denormals] in core/denormal.hpp
  constexpr size_t N = 1 + sizeof...(Rest);
  const std::array<T*, N> ptr{first.data_ptr(), rest.data_ptr()...};
  // Note [Parallel elementwise]: pre and post touch element k of each tensor only
  tapegrad::detail::parallel_range(first.numel(), [&](int64_t lo, int64_t n) {
    alignas(64) T root[kSqrtBlock];
    for (int64_t b = lo; b < lo + n; b += kSqrtBlock) {
      const int64_t m = std::min(kSqrtBlock, lo + n - b);
      [&]<size_t... I>(std::index_sequence<I...>) {
        const std::array<T*, N> q{(ptr[I] + b)...};
        for (int64_t k = 0; k < m; ++k) root[k] = pre(q[I][k]...);
        sqrt_n(root, m);
        for (int64_t k = 0; k < m; ++k) post(root[k], q[I][k]...);
      }(std::make_index_sequence<N>{});
    }
  });
}

}  // namespace tapegrad::optim::detail
