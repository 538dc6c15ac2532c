#pragma once
// Intra-op threads, as torch.set_num_threads / torch.get_num_threads.
// Note [Threads]: tapegrad's kernels run in parallel through OpenMP only when
// the program is compiled with it (-fopenmp, or linking OpenMP::OpenMP_CXX),
// as Eigen's do. Without OpenMP every kernel is single-threaded: a header-only
// library has no thread pool of its own, and starting std::threads per call
// costs tens of microseconds, more than a whole MLP-sized GEMM. The count
// defaults to omp_get_max_threads() (OMP_NUM_THREADS, else the number of
// cores), or 1 without OpenMP.
#include <atomic>

#include <Eigen/Core>

#include "error.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace tapegrad {

namespace detail {
inline std::atomic<int>& num_threads_state() {
#if defined(_OPENMP)
  static std::atomic<int> n{omp_get_max_threads() > 0 ? omp_get_max_threads() : 1};
#else
  static std::atomic<int> n{1};
#endif
  return n;
}
}  // namespace detail

/// The number of threads tapegrad's kernels (its GEMM and Eigen's) may use.
inline int get_num_threads() { return detail::num_threads_state().load(std::memory_order_relaxed); }

/// Sets the number of intra-op threads (n >= 1) for tapegrad's kernels, Eigen's
/// (Eigen::setNbThreads) and OpenMP's default; without OpenMP it is recorded
/// but kernels stay single-threaded (Note [Threads]).
inline void set_num_threads(int n) {
  TAPEGRAD_CHECK(n >= 1, ValueError, "set_num_threads: expected a positive number of threads, got ", n);
  detail::num_threads_state().store(n, std::memory_order_relaxed);
  Eigen::setNbThreads(n);
#if defined(_OPENMP)
  omp_set_num_threads(n);
#endif
}

}  // namespace tapegrad
