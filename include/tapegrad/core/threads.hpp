#pragma once
// Intra-op threads, as torch.set_num_threads / torch.get_num_threads.
// Note [Threads]: tapegrad's parallel kernels (the GEMM, large elementwise ops
// and optimizer updates) run on its own thread pool (core/parallel.hpp, Note
// [Thread pool]), with or without -fopenmp. The count defaults to
// OMP_NUM_THREADS when that is set to a positive number, as in PyTorch, else
// to the number of online processors.
#include <atomic>
#include <cstdlib>
#include <mutex>

#include <Eigen/Core>

#if defined(__unix__) || defined(__APPLE__)
#define TAPEGRAD_POSIX_THREADS 1
#include <unistd.h>  // sysconf
#else
#define TAPEGRAD_POSIX_THREADS 0
#include <thread>  // std::thread::hardware_concurrency
#endif

#include "error.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace tapegrad {

namespace detail {
inline int default_num_threads() {
  if (const char* env = std::getenv("OMP_NUM_THREADS")) {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);  // "4" or the first of "4,2"
    if (end != env && n > 0 && n <= 4096) return static_cast<int>(n);
  }
#if TAPEGRAD_POSIX_THREADS
  const long hw = sysconf(_SC_NPROCESSORS_ONLN);
#else
  const long hw = static_cast<long>(std::thread::hardware_concurrency());
#endif
  return hw > 0 ? static_cast<int>(hw) : 1;
}
inline std::atomic<int>& num_threads_state() {
  static std::atomic<int> n{default_num_threads()};
  return n;
}
}  // namespace detail

/// The number of threads tapegrad's kernels may use (Note [Threads]).
inline int get_num_threads() { return detail::num_threads_state().load(std::memory_order_relaxed); }

/// Sets the number of intra-op threads (n >= 1) for tapegrad's kernels, and
/// for Eigen's (Eigen::setNbThreads) and OpenMP's default when the program
/// uses OpenMP.
/// Safe to call from several threads at once: the calls are serialised, as
/// Eigen's setNbThreads writes a plain static (Note [Threads]).
inline void set_num_threads(int n) {
  TAPEGRAD_CHECK(n >= 1, ValueError, "set_num_threads: expected a positive number of threads, got ", n);
  static std::mutex m;
  const std::lock_guard<std::mutex> lock(m);
  detail::num_threads_state().store(n, std::memory_order_relaxed);
  Eigen::setNbThreads(n);
#if defined(_OPENMP)
  omp_set_num_threads(n);
#endif
}

}  // namespace tapegrad
