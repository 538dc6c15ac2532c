// The kernels' thread pool (core/parallel.hpp, Note [Thread pool]): every
// chunk runs exactly once, chunks really run on several threads, sleeping
// workers wake up, nested and concurrent calls, exceptions, and many
// back-to-back jobs (the pattern of a training loop).
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/wait.h>
#include <unistd.h>
#endif

namespace {

namespace tg = tapegrad;
using tg::detail::parallel_for;

// Runs a job of `chunks` chunks whose first chunks each wait (up to 20 s)
// until `want` distinct threads are inside the job; returns how many were.
int threads_inside(int threads, int want) {
  std::atomic<int> inside{0};
  std::mutex m;
  std::set<std::thread::id> ids;
  parallel_for(want, threads, [&](int64_t) {
    {
      std::lock_guard<std::mutex> lock(m);
      ids.insert(std::this_thread::get_id());
    }
    inside.fetch_add(1);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (inside.load() < want && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  });
  return static_cast<int>(ids.size());
}

}  // namespace

TEST_CASE("parallel_for: every chunk runs exactly once, for any chunk and thread count") {
  for (int threads : {1, 2, 3, 4})
    for (int64_t n : {0, 1, 2, 3, 7, 64, 1000}) {
      CAPTURE(threads);
      CAPTURE(n);
      std::vector<std::atomic<int>> count(static_cast<size_t>(n));
      parallel_for(n, threads, [&](int64_t i) { count[static_cast<size_t>(i)].fetch_add(1); });
      int wrong = 0;
      for (auto& c : count) wrong += c.load() != 1;
      CHECK(wrong == 0);
    }
}

TEST_CASE("parallel_for: chunks run on several threads at once, also after the workers fell asleep") {
  CHECK(threads_inside(2, 2) == 2);
  CHECK(threads_inside(3, 3) == 3);
  CHECK(tg::detail::ThreadPool::instance().workers() >= 2);
  // Workers sleep after ~2 ms without work; a job must wake them.
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  CHECK(threads_inside(2, 2) == 2);
  // threads = 1 never leaves the calling thread, even with workers around.
  const auto self = std::this_thread::get_id();
  std::atomic<int> elsewhere{0};
  parallel_for(16, 1, [&](int64_t) { elsewhere += std::this_thread::get_id() != self; });
  CHECK(elsewhere.load() == 0);
}

TEST_CASE("parallel_for: 20000 back-to-back small jobs give the right sums") {
  int64_t bad = 0;
  for (int job = 0; job < 20000; ++job) {
    const int64_t n = 1 + job % 5;
    std::atomic<int64_t> sum{0};
    parallel_for(n, 2 + job % 2, [&](int64_t i) { sum.fetch_add(i + 1 + job); });
    bad += sum.load() != n * (n + 1) / 2 + n * job;
  }
  CHECK(bad == 0);
}

TEST_CASE("parallel_for: a call inside a chunk, or from another thread meanwhile, runs serially and correctly") {
  std::atomic<int64_t> total{0};
  parallel_for(4, 2, [&](int64_t i) {
    parallel_for(10, 2, [&](int64_t j) { total.fetch_add(i * 10 + j); });
  });
  CHECK(total.load() == 780);  // sum of 0..39

  std::atomic<int64_t> a{0}, b{0};
  std::thread other([&] {
    for (int r = 0; r < 2000; ++r) parallel_for(8, 2, [&](int64_t i) { a.fetch_add(i); });
  });
  for (int r = 0; r < 2000; ++r) parallel_for(8, 2, [&](int64_t i) { b.fetch_add(i); });
  other.join();
  CHECK(a.load() == 2000 * 28);
  CHECK(b.load() == 2000 * 28);
}

TEST_CASE("parallel_for: an exception in a chunk reaches the caller, the other chunks still run, the pool goes on") {
  std::atomic<int> ran{0};
  CHECK_THROWS_WITH_AS(parallel_for(8, 2,
                                    [&](int64_t i) {
                                      ran.fetch_add(1);
                                      if (i == 3) throw std::runtime_error("chunk 3 failed");
                                    }),
                       "chunk 3 failed", std::runtime_error);
  CHECK(ran.load() == 8);
  std::atomic<int> after{0};
  parallel_for(8, 2, [&](int64_t) { after.fetch_add(1); });
  CHECK(after.load() == 8);
  CHECK_THROWS_WITH_AS(parallel_for(int64_t{1} << 31, 2, [](int64_t) {}),
                       "parallel_for: too many chunks (2147483648)", tg::ValueError);
}

#if defined(__unix__) || defined(__APPLE__)
TEST_CASE("parallel_for: a forked child, which has no workers, still runs every chunk") {
  parallel_for(4, 2, [](int64_t) {});  // the parent's workers exist
  REQUIRE(tg::detail::ThreadPool::instance().workers() >= 1);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    alarm(20);  // a child that waits for absent workers dies here, and the CHECKs below fail
    std::atomic<int64_t> sum{0};
    for (int r = 0; r < 100; ++r) parallel_for(8, 2, [&](int64_t i) { sum.fetch_add(i); });
    _exit(sum.load() == 100 * 28 ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
#endif
