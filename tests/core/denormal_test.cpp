// Denormal floats (core/denormal.hpp, Note [Denormals]): set_flush_denormal,
// the scope around tapegrad's loops, the pool's workers following the
// caller's mode, and what the GEMM, elementwise maps and backward() compute
// from denormal inputs. The optimizers' side is tests/optim/denormal_test.cpp.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <atomic>
#include <cfenv>
#include <chrono>
#include <cstdint>
#include <thread>

#include "support/denormal.hpp"

namespace {

namespace tg = tapegrad;
using tapegrad_test::all_equal;
using tapegrad_test::caller_flushes;
using tapegrad_test::DenormalModeRestorer;
using tapegrad_test::kDenormal;

// Runs a two-chunk job on two threads in which both chunks wait (up to 20 s)
// until the other has started, so one of them surely runs on a worker; sets
// flushed[i] to whether chunk i ran in flush-to-zero mode.
void two_chunks(bool flushed[2]) {
  std::atomic<int> inside{0};
  tg::detail::parallel_for(2, 2, [&](int64_t i) {
    inside.fetch_add(1);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (inside.load() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    flushed[i] = caller_flushes();
  });
}

}  // namespace

TEST_CASE("set_flush_denormal: sets and clears flush-to-zero on the calling thread") {
#if defined(__x86_64__) || defined(_M_X64) || defined(__aarch64__)
  CHECK(tg::detail::kCanFlushDenormal);
#endif
  if (!tg::detail::kCanFlushDenormal) {
    CHECK_FALSE(tg::set_flush_denormal(true));
    CHECK_FALSE(caller_flushes());
    return;
  }
  DenormalModeRestorer restore;
  REQUIRE_FALSE(caller_flushes());
  CHECK(tg::set_flush_denormal(true));
  CHECK(caller_flushes());
  CHECK(tg::set_flush_denormal(false));
  CHECK_FALSE(caller_flushes());
  // false also turns tapegrad's own scopes off (PyTorch's bits)
  CHECK_FALSE(tg::detail::flush_denormal_in_kernels.load());
  {
    tg::detail::FlushDenormalScope scope;
    CHECK_FALSE(caller_flushes());
  }
}

TEST_CASE("FlushDenormalScope: flushes inside and gives the caller's mode back") {
  if (!tg::detail::kCanFlushDenormal) return;
  REQUIRE_FALSE(caller_flushes());
  {
    tg::detail::FlushDenormalScope outer;
    CHECK(caller_flushes());
    {
      tg::detail::FlushDenormalScope inner;
      CHECK(caller_flushes());
    }
    CHECK(caller_flushes());  // the inner scope found it on and left it on
    tg::detail::FlushDenormalScope off(false);
    CHECK(caller_flushes());
  }
  CHECK_FALSE(caller_flushes());
  {
    tg::detail::FlushDenormalScope off(false);
    CHECK_FALSE(caller_flushes());
  }

  SUBCASE("a mode the caller set stays set") {
    DenormalModeRestorer restore;
    tg::detail::set_flush_bits(tg::detail::kFlushBits);
    { tg::detail::FlushDenormalScope scope; }
    CHECK(caller_flushes());
  }
  SUBCASE("exception flags raised inside stay raised") {
    std::feclearexcept(FE_ALL_EXCEPT);
    {
      tg::detail::FlushDenormalScope scope;
      volatile float one = 1.0f, zero = 0.0f;
      volatile float inf = one / zero;
      (void)inf;
    }
    CHECK(std::fetestexcept(FE_DIVBYZERO) != 0);
    std::feclearexcept(FE_ALL_EXCEPT);
  }
}

TEST_CASE("parallel_for: every chunk runs in the calling thread's denormal mode") {
  if (!tg::detail::kCanFlushDenormal) return;
  bool flushed[2] = {false, false};
  {
    tg::detail::FlushDenormalScope scope;
    two_chunks(flushed);
  }
  CHECK(flushed[0]);
  CHECK(flushed[1]);
  // and a worker that ran a flushed job runs the next, unflushed one unflushed
  two_chunks(flushed);
  CHECK_FALSE(flushed[0]);
  CHECK_FALSE(flushed[1]);
  CHECK_FALSE(caller_flushes());
}

TEST_CASE("mm: denormal inputs read as zero, and the caller's mode is kept") {
  if (!tg::detail::kCanFlushDenormal) return;
  const auto a = tg::full<float>({64, 64}, kDenormal), b = tg::ones<float>({64, 64});
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    tg::set_num_threads(threads);
    const auto c = tg::mm(a, b);
    CHECK(all_equal(c, 0.0f));
    CHECK_FALSE(caller_flushes());
    {
      DenormalModeRestorer restore;
      tg::set_flush_denormal(false);  // PyTorch's default: 64 denormals add up to a normal number
      CHECK(all_equal(tg::mm(a, b), 64 * kDenormal));
    }
  }
  tg::set_num_threads(tg::detail::default_num_threads());
}

TEST_CASE("mul: maps of at least kFlushMinElements elements flush denormals, smaller ones keep them") {
  if (!tg::detail::kCanFlushDenormal) return;
  const int64_t big = 4 * tg::detail::kParallelGrain;  // split over the pool with 2 threads
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    tg::set_num_threads(threads);
    CHECK(all_equal(tg::full<float>({big}, kDenormal) * 2.0f, 0.0f));
    CHECK(all_equal(tg::full<float>({tg::detail::kFlushMinElements}, kDenormal) * 2.0f, 0.0f));
    CHECK(all_equal(tg::full<float>({100}, kDenormal) * 2.0f, 2 * kDenormal));
    CHECK_FALSE(caller_flushes());
    {
      DenormalModeRestorer restore;
      tg::set_flush_denormal(false);
      CHECK(all_equal(tg::full<float>({big}, kDenormal) * 2.0f, 2 * kDenormal));
    }
  }
  tg::set_num_threads(tg::detail::default_num_threads());
}

TEST_CASE("backward: the whole pass flushes denormals") {
  if (!tg::detail::kCanFlushDenormal) return;
  const auto c = tg::full<float>({4}, kDenormal);
  auto x = tg::ones<float>({4}).requires_grad_();
  (x * c).sum().backward();  // d/dx = c, computed as ones * c
  CHECK(all_equal(x.grad(), 0.0f));
  CHECK_FALSE(caller_flushes());
  DenormalModeRestorer restore;
  tg::set_flush_denormal(false);
  x.mutable_grad() = tg::Tensor<float>();
  (x * c).sum().backward();
  CHECK(all_equal(x.grad(), kDenormal));
}
