// The storage allocator (core/allocator.hpp, Note [Caching allocator]):
// alignment, reuse of freed large blocks by size class, the byte limit,
// empty_cache(), and concurrent use. Under AddressSanitizer the cache is off
// (so ASan still sees use-after-free); the reuse checks then assert that.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cstdint>
#include <thread>
#include <vector>

namespace {

namespace tg = tapegrad;

// Restores the default limit and an empty cache around each test.
struct CacheScope {
  size_t limit = tg::cache_limit();
  CacheScope() { tg::empty_cache(); }
  ~CacheScope() {
    tg::set_cache_limit(limit);
    tg::empty_cache();
  }
};

bool aligned64(const void* p) { return reinterpret_cast<uintptr_t>(p) % 64 == 0; }

}  // namespace

TEST_CASE("allocator: every owned buffer is 64-byte aligned, small and large") {
  CacheScope scope;
  for (int64_t n : {1, 3, 15, 16, 17, 1000, 4097, (1 << 14) + 1, (1 << 17) + 5, 1 << 20}) {
    CAPTURE(n);
    auto f = tg::empty<float>({n});
    auto d = tg::empty<double>({n});
    auto b = tg::empty<bool>({n});
    CHECK(aligned64(f.data_ptr()));
    CHECK(aligned64(d.data_ptr()));
    CHECK(aligned64(b.data_ptr()));
    f.fill_(1.5f);  // the whole buffer is writable
    CHECK(f(n - 1) == 1.5f);
  }
}

TEST_CASE("allocator: a freed large block is reused by the next tensor of its size class") {
  CacheScope scope;
  const float* first = nullptr;
  {
    auto a = tg::ones<float>({1 << 18});  // 1 MiB
    first = a.data_ptr();
  }
#ifdef TAPEGRAD_ASAN
  (void)first;
  CHECK(tg::cached_bytes() == 0);
  CHECK(tg::cache_limit() == 0);
#else
  CHECK(tg::cached_bytes() == size_t(1) << 20);
  auto b = tg::zeros<float>({1 << 18});
  CHECK(b.data_ptr() == first);
  CHECK(tg::cached_bytes() == 0);
  CHECK(b.sum().item() == 0.0f);  // handed out as memory, zeros<> still fills it
  // 280 000 and 284 000 bytes share the class 294 912 (1/8 steps of 256 KiB)
  const float* p = nullptr;
  { p = tg::empty<float>({70000}).data_ptr(); }
  auto c = tg::empty<float>({71000});
  CHECK(c.data_ptr() == p);
  // a different class is not served from it
  { p = tg::empty<float>({70000}).data_ptr(); }
  auto d = tg::empty<float>({1 << 19});
  CHECK(d.data_ptr() != p);
  CHECK(tg::cached_bytes() > 0);
#endif
}

// Note [Thread block cache]: blocks below the large classes go to the
// freeing thread's cache, not the shared one.
TEST_CASE("allocator: a freed small block is reused by this thread's next tensor of its class") {
  CacheScope scope;
  const float* p = nullptr;
  { p = tg::ones<float>({1000}).data_ptr(); }
  CHECK(tg::cached_bytes() == 0);  // the shared cache holds large blocks only
#ifdef TAPEGRAD_ASAN
  (void)p;
  CHECK(tg::detail::thread_cached_bytes() == 0);
#else
  CHECK(tg::detail::thread_cached_bytes() >= 4096);  // the data (class 4096) and the records
  auto b = tg::empty<float>({1010});  // 4000 and 4040 bytes share the class 4096
  CHECK(b.data_ptr() == p);
  { p = tg::empty<float>({1000}).data_ptr(); }
  auto c = tg::empty<float>({2000});  // another class
  CHECK(c.data_ptr() != p);
  CHECK(tg::detail::thread_cached_bytes() >= 4096);
  tg::empty_cache();
  CHECK(tg::detail::thread_cached_bytes() == 0);
  // a tensor's TensorImpl and Storage records come from it too
  { auto tiny = tg::ones<float>({2}); }  // 8 bytes of data: below the cached sizes
  CHECK(tg::detail::thread_cached_bytes() > 0);
#endif
}

TEST_CASE("allocator: this thread's small-block cache keeps to 1 MiB; a zero limit turns it off") {
  CacheScope scope;
  {
    std::vector<tg::Tensor<float>> many;
    for (int i = 0; i < 600; ++i) many.push_back(tg::full<float>({1000}, float(i)));  // 2.4 MB
    for (int i = 0; i < 600; ++i) CHECK(many[static_cast<size_t>(i)](999) == float(i));
  }
  CHECK(tg::detail::thread_cached_bytes() <= tg::detail::kThreadCacheBytes);
#ifndef TAPEGRAD_ASAN
  CHECK(tg::detail::thread_cached_bytes() > tg::detail::kThreadCacheBytes / 2);
  tg::set_cache_limit(0);
  CHECK(tg::detail::thread_cached_bytes() == 0);
  { auto a = tg::ones<float>({1000}); }
  CHECK(tg::detail::thread_cached_bytes() == 0);
#endif
}

TEST_CASE("allocator: blocks freed on another thread go to that thread's cache") {
  CacheScope scope;
  auto a = tg::full<float>({1000}, 3.0f);
  size_t freed = 0, reused = 0;
  bool ok = false;
  std::thread t([&] {
    auto mine = std::move(a);
    ok = mine(0) == 3.0f;
    mine = tg::Tensor<float>();  // freed on this thread
    freed = tg::detail::thread_cached_bytes();
    auto again = tg::empty<float>({1000});  // served from this thread's cache
    reused = tg::detail::thread_cached_bytes();
  });
  t.join();
  CHECK(ok);
#ifdef TAPEGRAD_ASAN
  CHECK(freed == 0);
#else
  CHECK(freed >= 4096);
  CHECK(reused < freed);
#endif
}

TEST_CASE("allocator: the cache keeps to its limit, empty_cache() and a zero limit empty it") {
  CacheScope scope;
#ifndef TAPEGRAD_ASAN
  tg::set_cache_limit(size_t(1) << 20);
  CHECK(tg::cache_limit() == size_t(1) << 20);
  {
    auto a = tg::empty<float>({150000});  // 600 000 bytes -> class 655 360
    auto b = tg::empty<float>({150000});
  }
  // the second block did not fit with the first: the cache was emptied first
  CHECK(tg::cached_bytes() == 655360);
  { auto big = tg::empty<float>({1 << 19}); }  // 2 MiB > limit: not cached
  CHECK(tg::cached_bytes() <= size_t(1) << 20);
  tg::empty_cache();
  CHECK(tg::cached_bytes() == 0);
  tg::set_cache_limit(size_t(256) << 20);
  { auto a = tg::empty<float>({1 << 18}); }
  CHECK(tg::cached_bytes() == size_t(1) << 20);
  tg::set_cache_limit(0);
  CHECK(tg::cached_bytes() == 0);
  { auto a = tg::empty<float>({1 << 18}); }
  CHECK(tg::cached_bytes() == 0);
#else
  tg::set_cache_limit(size_t(1) << 20);
  CHECK(tg::cache_limit() == 0);
#endif
}

TEST_CASE("allocator: threads allocating and freeing large tensors do not share live blocks") {
  CacheScope scope;
  auto work = [](float tag, int64_t n, bool* ok) {
    for (int it = 0; it < 200; ++it) {
      auto a = tg::full<float>({n}, tag);
      auto b = tg::full<float>({n + 1000}, tag + 1);
      // a block handed to two live tensors at once would be overwritten here
      *ok = *ok && a(0) == tag && a(n - 1) == tag && b(0) == tag + 1 && b(n + 999) == tag + 1;
    }
  };
  bool ok1 = true, ok2 = true;
  std::thread t1(work, 1.0f, int64_t(1) << 16, &ok1);
  std::thread t2(work, 7.0f, int64_t(1) << 16, &ok2);
  t1.join();
  t2.join();
  CHECK(ok1);
  CHECK(ok2);
  CHECK(tg::cached_bytes() <= tg::cache_limit());
}

TEST_CASE("allocator: resize_ keeps the contents when it moves to a larger block") {
  CacheScope scope;
  auto a = tg::arange<float>(0, 1000);
  a.resize_({1 << 17});
  CHECK(aligned64(a.data_ptr()));
  CHECK(a(999) == 999.0f);
  CHECK(a(0) == 0.0f);
}

// Note [Page-aligned blocks]: blocks of 4 KiB and more start on a page, so
// fresh tensors of one size share their offset within a page (an output never
// starts just past an input, where its stores would alias the input's loads).
// Smaller blocks keep the 64-byte alignment only. Under AddressSanitizer
// buffers come from aligned operator new (64 bytes).
TEST_CASE("allocator: buffers of at least 4 KiB start on a page, freed and reused alike") {
  CacheScope scope;
  [[maybe_unused]] auto page_offset = [](const void* p) { return reinterpret_cast<uintptr_t>(p) % 4096; };
  for (int round = 0; round < 2; ++round) {  // fresh blocks, then blocks from the caches
    for (int64_t n : {1000, 1024, 5000, 8193, 20000, 1 << 18}) {
      CAPTURE(round);
      CAPTURE(n);
      auto a = tg::rand<float>({n}), b = tg::rand<float>({n});
      auto c = a + b;
      auto d = tg::empty<double>({n});
      CHECK(aligned64(c.data_ptr()));
#ifndef TAPEGRAD_ASAN
      CHECK(page_offset(a.data_ptr()) == 0);
      CHECK(page_offset(b.data_ptr()) == 0);
      CHECK(page_offset(c.data_ptr()) == 0);
      CHECK(page_offset(d.data_ptr()) == 0);
#endif
      CHECK(c(n - 1) == a(n - 1) + b(n - 1));
    }
  }
  tg::set_cache_limit(0);  // frees the cached page-aligned blocks
  CHECK(tg::detail::thread_cached_bytes() == 0);
  CHECK(tg::cached_bytes() == 0);
  auto e = tg::full<float>({3000}, 2.0f);  // straight from the system again
  CHECK(e.sum().item() == 6000.0f);
  CHECK(aligned64(e.data_ptr()));
}

TEST_CASE("allocator: cache_class_size inverts cache_class_index") {
  for (size_t bytes : {size_t(64), size_t(100), size_t(4000), size_t(4096), size_t(65535)}) {
    CAPTURE(bytes);
    const size_t rounded = tg::detail::cache_class_bytes(bytes);
    const int i = tg::detail::cache_class_index(rounded, tg::detail::kThreadCacheMinLog2);
    CHECK(tg::detail::cache_class_size(i, tg::detail::kThreadCacheMinLog2) == rounded);
  }
  for (size_t bytes : {size_t(65536), size_t(280000), size_t(1) << 30, (size_t(1) << 40) + 12345}) {
    CAPTURE(bytes);
    const size_t rounded = tg::detail::cache_class_bytes(bytes);
    const int i = tg::detail::cache_class_index(rounded);
    CHECK(tg::detail::cache_class_size(i, tg::detail::kCacheMinLog2) == rounded);
  }
}
