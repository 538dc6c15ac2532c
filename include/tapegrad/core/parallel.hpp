#pragma once
// tapegrad's intra-op thread pool: parallel_for(n, threads, f) runs f(i) for i
// in [0, n) on the calling thread and up to threads - 1 pool workers.
//
// Note [Thread pool]: why not OpenMP. An OpenMP parallel region ends in a
// barrier that waits for every thread of the team, including one whose core
// another process holds: that thread first waits for a scheduler time slice
// (milliseconds), so on a busy or shared machine a short GEMM on two threads
// took several times its length, and training on two threads ran slower than
// on one (bench/mnist.md). Here the chunks are claimed, not assigned: the caller
// claims chunks itself right after publishing the job and waits only for
// chunks a worker has actually claimed and is running. A worker that wakes
// late finds nothing left and goes back to waiting. A busy machine then costs
// at most the parallelism, never the caller's own progress. It also needs no
// -fopenmp: every program that includes tapegrad gets threaded kernels.
//
// The pool is one process-wide object, made on first use and never destroyed
// (its workers are detached and sleep at exit, so no static-destruction order
// or exit-from-a-task deadlock can arise). Workers are started on demand, up
// to the largest thread count asked for. Between jobs a worker spins briefly,
// then yields, then sleeps on a futex, so an idle process
// uses no CPU, and back-to-back kernels (a training step) see no wake-up
// latency.
//
// One job at a time: a call made while the pool is busy (from a task, or from
// another user thread) runs its chunks serially on its own thread. A child
// process made by fork() has no workers, and needs none: its caller claims
// every chunk itself.
//
// The job's ticket packs (generation << 32 | chunks not yet claimed) into one
// atomic word; a worker claims chunk r - 1 by moving (g, r) to (g, r - 1), so
// a worker holding a stale view of an earlier job can never claim a chunk of
// a later one (its compare-exchange fails), and the task pointer it read is
// the current job's whenever its claim succeeds (the caller rewrites it only
// after every claimed chunk has reported done).
//
// A worker runs each chunk with the caller's denormal mode (the flush bits of
// its floating-point control register, Note [Denormals] in core/denormal.hpp),
// published with the job, so a chunk computes the same bits on any thread.
#include <atomic>
#include <cstdint>
#include <exception>

#include "denormal.hpp"
#include "error.hpp"
#include "threads.hpp"  // TAPEGRAD_POSIX_THREADS

#if TAPEGRAD_POSIX_THREADS
#include <pthread.h>
#include <sched.h>
#include <time.h>
#else
#include <chrono>
#include <thread>
#endif
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

namespace tapegrad::detail {

inline void cpu_relax() {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
  __builtin_ia32_pause();
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// Thread primitives through POSIX where it exists: <thread> and <chrono>
// would add about 6000 lines (C++20's calendar and time zones) to every
// program that includes tapegrad, for three calls.
inline void yield_cpu() {
#if TAPEGRAD_POSIX_THREADS
  sched_yield();
#else
  std::this_thread::yield();
#endif
}
inline int64_t monotonic_ns() {
#if TAPEGRAD_POSIX_THREADS
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
#else
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
#endif
}
// Sleep until *word != expected (or a spurious wake-up), and wake all such
// sleepers: a futex on Linux; std::atomic::wait elsewhere (its libstdc++
// templates cost a tenth of a second of -O2 compile time per program).
inline void wait_while_equal(std::atomic<uint32_t>& word, uint32_t expected) {
#if defined(__linux__)
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
#else
  word.wait(expected, std::memory_order_seq_cst);
#endif
}
inline void wake_all(std::atomic<uint32_t>& word) {
#if defined(__linux__)
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 0x7fffffff, nullptr, nullptr, 0);
#else
  word.notify_all();
#endif
}

/// Starts fn(arg) on a new detached thread; false if the system refused.
inline bool start_detached(void (*fn)(void*), void* arg) {
#if TAPEGRAD_POSIX_THREADS
  struct Start {
    void (*fn)(void*);
    void* arg;
    static void* entry(void* p) {
      const Start s = *static_cast<Start*>(p);
      delete static_cast<Start*>(p);
      s.fn(s.arg);
      return nullptr;
    }
  };
  auto* start = new Start{fn, arg};
  pthread_t thread;
  if (pthread_create(&thread, nullptr, &Start::entry, start) != 0) {
    delete start;
    return false;
  }
  pthread_detach(thread);
  return true;
#else
  try {
    std::thread(fn, arg).detach();
    return true;
  } catch (...) {
    return false;
  }
#endif
}

class ThreadPool {
 public:
  using Task = void (*)(void* ctx, int64_t chunk);

  /// The process-wide pool (Note [Thread pool]).
  static ThreadPool& instance() {
    static ThreadPool* pool = new ThreadPool;  // never destroyed: workers may outlive main
    return *pool;
  }

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Runs task(ctx, i) for every i in [0, n), on this thread and up to
  /// threads - 1 workers; returns when all have run. The first exception a
  /// chunk throws is rethrown here (the other chunks still run).
  void run(int64_t n, int threads, Task task, void* ctx) {
    if (n <= 0) return;
    TAPEGRAD_CHECK(n < (int64_t{1} << 31), ValueError, "parallel_for: too many chunks (", n, ")");
    if (n == 1 || threads <= 1 || busy_.exchange(true, std::memory_order_acquire)) {
      for (int64_t i = 0; i < n; ++i) task(ctx, i);
      return;
    }
    struct Release {
      std::atomic<bool>& busy;
      ~Release() { busy.store(false, std::memory_order_release); }
    } release{busy_};
    start_workers(threads - 1);
    task_.store(task, std::memory_order_relaxed);
    ctx_.store(ctx, std::memory_order_relaxed);
    flush_bits_.store(flush_bits(), std::memory_order_relaxed);
    max_workers_.store(threads - 1, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    error_ = nullptr;
    error_claimed_.store(false, std::memory_order_relaxed);
    const uint64_t gen = ++generation_ & 0xffffffffu;
    ticket_.store(gen << 32 | static_cast<uint64_t>(n), std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      wake_.fetch_add(1, std::memory_order_seq_cst);
      wake_all(wake_);
    }
    claim_all(gen, task, ctx);
    // Only chunks a worker has claimed remain; wait for them.
    while (done_.load(std::memory_order_acquire) < n) cpu_relax();
    if (error_) std::rethrow_exception(error_);
  }

  /// Workers started so far (for tests).
  int workers() const { return static_cast<int>(threads_started_.load(std::memory_order_relaxed)); }

 private:
  ThreadPool() = default;
  ~ThreadPool() = default;

  static uint64_t gen_of(uint64_t t) { return t >> 32; }
  static int64_t left_of(uint64_t t) { return static_cast<int64_t>(t & 0xffffffffu); }

  // Claims and runs chunks of job `gen` until none is left.
  void claim_all(uint64_t gen, Task task, void* ctx) {
    uint64_t cur = ticket_.load(std::memory_order_relaxed);
    for (;;) {
      if (gen_of(cur) != gen || left_of(cur) == 0) return;
      if (!ticket_.compare_exchange_weak(cur, cur - 1, std::memory_order_acquire, std::memory_order_relaxed))
        continue;
      try {
        task(ctx, left_of(cur) - 1);
      } catch (...) {
        bool expected = false;
        if (error_claimed_.compare_exchange_strong(expected, true)) error_ = std::current_exception();
      }
      done_.fetch_add(1, std::memory_order_release);
      cur = ticket_.load(std::memory_order_relaxed);
    }
  }

  // Called only by the thread that holds busy_. If the system refuses a
  // thread, the pool keeps the workers it has (the caller runs what they
  // do not claim) and tries no more.
  void start_workers(int want) {
    while (!start_failed_ && threads_started_.load(std::memory_order_relaxed) < want) {
      const int index = threads_started_.load(std::memory_order_relaxed);
      // The worker starts waiting for the job after the current ticket's (it
      // may first run after run() has published the job it was started for).
      auto* start = new WorkerStart{this, index, generation_ & 0xffffffffu};
      if (!start_detached(&WorkerStart::entry, start)) {
        delete start;
        start_failed_ = true;
        return;
      }
      threads_started_.store(index + 1, std::memory_order_relaxed);
    }
  }
  struct WorkerStart {
    ThreadPool* pool;
    int index;
    uint64_t seen;
    static void entry(void* p) {
      const WorkerStart s = *static_cast<WorkerStart*>(p);
      delete static_cast<WorkerStart*>(p);
      s.pool->worker_loop(s.index, s.seen);
    }
  };

  [[noreturn]] void worker_loop(int index, uint64_t seen) {
    for (;;) {
      const uint64_t t = wait_for_job(seen);
      seen = gen_of(t);
      if (index >= max_workers_.load(std::memory_order_relaxed)) continue;
      set_flush_bits(flush_bits_.load(std::memory_order_relaxed));
      claim_all(seen, task_.load(std::memory_order_relaxed), ctx_.load(std::memory_order_relaxed));
    }
  }

  // Returns a ticket of a generation other than `seen`: spin ~50 us, then
  // yield the core until ~2 ms have passed, then sleep until run() wakes us.
  uint64_t wait_for_job(uint64_t seen) {
    int64_t start = monotonic_ns();
    for (;;) {
      for (int i = 0; i < 64; ++i) {
        const uint64_t t = ticket_.load(std::memory_order_acquire);
        if (gen_of(t) != seen) return t;
        cpu_relax();
      }
      const int64_t waited = monotonic_ns() - start;
      if (waited < 50000) continue;
      if (waited < 2000000) {
        yield_cpu();
        continue;
      }
      // run() publishes the ticket, then reads sleepers_; we count ourselves
      // in sleepers_, then read the ticket (all seq_cst): one of the two sees
      // the other, so no wake-up is lost.
      const uint32_t w = wake_.load(std::memory_order_seq_cst);
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      if (gen_of(ticket_.load(std::memory_order_seq_cst)) == seen) wait_while_equal(wake_, w);
      sleepers_.fetch_sub(1, std::memory_order_seq_cst);
      start = monotonic_ns();
    }
  }

  std::atomic<uint64_t> ticket_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<Task> task_{nullptr};
  std::atomic<void*> ctx_{nullptr};
  std::atomic<uint32_t> flush_bits_{0};
  std::atomic<int> max_workers_{0};
  std::atomic<bool> busy_{false};
  std::atomic<bool> error_claimed_{false};
  std::exception_ptr error_;
  uint64_t generation_ = 0;
  std::atomic<int> threads_started_{0};
  bool start_failed_ = false;
  std::atomic<int> sleepers_{0};
  std::atomic<uint32_t> wake_{0};
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "a futex word is 32 bits");
};

/// Runs f(i) for every i in [0, n) on up to `threads` threads (the caller and
/// pool workers, Note [Thread pool]); returns when all have run.
template <class F>
void parallel_for(int64_t n, int threads, F&& f) {
  using Fn = std::remove_reference_t<F>;
  ThreadPool::instance().run(
      n, threads, [](void* ctx, int64_t i) { (*static_cast<Fn*>(ctx))(i); },
      const_cast<void*>(static_cast<const void*>(&f)));
}

}  // namespace tapegrad::detail
