#pragma once
// The host allocator behind Storage: 64-byte aligned buffers, and a bounded
// cache of freed large blocks.
//
// Note [Caching allocator]: glibc returns large freed blocks to the kernel
// (munmap above its mmap threshold, heap trimming below it), so the next op of
// the same shape faults in and zeroes every page again, which costs more than
// a large add itself and a visible part of a training step that re-faults its
// gradient buffers (measured in bench/train_step.md). Training and
// inference loops allocate the same sizes every iteration, so, like PyTorch's
// caching allocators, freed blocks of at least kCacheMinBytes are kept in
// per-size-class free lists and handed out again. Size classes round a request
// up to 1/8 of its power of two (at most 12.5% slack). The cache holds at most
// cache_limit() bytes (default 256 MiB; set_cache_limit(0) turns it off);
// when a freed block would exceed the limit, the cache is emptied first, so it
// follows a change of shapes rather than keeping stale blocks. empty_cache()
// gives everything back, as torch.cuda.empty_cache() does.
//
// Note [Thread block cache]: freed blocks of kThreadCacheMinBytes (64 B) up
// to the large blocks' classes go to a cache of the freeing thread, in the
// same size classes, without a lock: the small tensors of a loop (a bias, a
// row of logits, a 1000-element add) reuse their blocks, and so do the
// records of every tensor and autograd node (TensorImpl, Storage,
// AutogradMeta, Node and their shared_ptr control blocks, through
// CachingAllocator and class operator new). glibc's tcache stops at about
// 1 KiB, and above it a malloc/free pair is a large part of the cost of a
// fresh small tensor (bench/elementwise_bench.cpp; measurements in
// bench/history/2026-11-22_to_2026-12-05.md). Each thread keeps at most
// kThreadCacheBytes (1 MiB), given back when the thread exits; empty_cache()
// empties the calling thread's, and set_cache_limit(0) turns these caches off
// too. Smaller buffers go straight to malloc with the alignment done by hand:
// aligned operator new goes through glibc's memalign, which bypasses tcache
// (a cost per op that bench/elementwise_bench.cpp shows). Under AddressSanitizer both
// caches are off and buffers come from aligned operator new, so
// use-after-free and overflows stay visible to ASan.
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#ifdef _WIN32
#include <malloc.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define TAPEGRAD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TAPEGRAD_ASAN 1
#endif
#endif

namespace tapegrad {
namespace detail {

inline constexpr size_t kAlignment = 64;
inline constexpr size_t kCacheMinBytes = size_t(64) << 10;
inline constexpr int kCacheMinLog2 = 16;
inline constexpr size_t kThreadCacheMinBytes = 64;
inline constexpr int kThreadCacheMinLog2 = 6;
inline constexpr size_t kThreadCacheBytes = size_t(1) << 20;

// Request size (>= 8) -> size class: the next multiple of 1/8 of its power of
// two. Shifts and masks, not divisions: this runs for every tensor.
inline size_t cache_class_bytes(size_t bytes) {
  const size_t step = size_t(1) << (std::bit_width(bytes) - 4);
  return (bytes + step - 1) & ~(step - 1);
}
// Class index of a rounded size: 8 classes per power of two from 2^min_log2.
inline int cache_class_index(size_t rounded, int min_log2 = kCacheMinLog2) {
  const int lg = std::bit_width(rounded) - 1;
  return (lg - min_log2) * 8 + static_cast<int>(rounded >> (lg - 3)) - 8;
}

class BlockCache {
 public:
  static constexpr int kClasses = (64 - kCacheMinLog2) * 8;

  /// A cached block of exactly this class, or null.
  void* take(size_t rounded) {
    Lock lock(flag_);
    void*& head = heads_[cache_class_index(rounded)];
    void* p = head;
    if (p) {
      head = *static_cast<void**>(p);
      bytes_ -= rounded;
    }
    return p;
  }
  /// Keep a freed block; false when the cache is off or the block is larger
  /// than the limit (the caller frees it).
  bool put(void* p, size_t rounded) {
    void* evicted[kClasses];
    bool evict = false;
    {
      Lock lock(flag_);
      if (rounded > limit_) return false;
      if (bytes_ + rounded > limit_) {
        detach_all(evicted);
        evict = true;
      }
      void*& head = heads_[cache_class_index(rounded)];
      *static_cast<void**>(p) = head;
      head = p;
      bytes_ += rounded;
    }
    if (evict) free_lists(evicted);
    return true;
  }
  void empty() {
    void* lists[kClasses];
    {
      Lock lock(flag_);
      detach_all(lists);
    }
    free_lists(lists);
  }
  void set_limit(size_t bytes) {
    {
      Lock lock(flag_);
      limit_ = bytes;
    }
    empty();
  }
  size_t limit() const {
    Lock lock(flag_);
    return limit_;
  }
  size_t bytes() const {
    Lock lock(flag_);
    return bytes_;
  }

 private:
  // A spin lock: the critical sections are a few loads and stores.
  struct Lock {
    explicit Lock(std::atomic_flag& f) : f_(f) {
      while (f_.test_and_set(std::memory_order_acquire))
        while (f_.test(std::memory_order_relaxed)) {
        }
    }
    ~Lock() { f_.clear(std::memory_order_release); }
    std::atomic_flag& f_;
  };
  // Moves every list into out[kClasses] (under the lock); free them outside.
  void detach_all(void** out) {
    for (int i = 0; i < kClasses; ++i) {
      out[i] = heads_[i];
      heads_[i] = nullptr;
    }
    bytes_ = 0;
  }
  static void free_lists(void** lists);

  mutable std::atomic_flag flag_;
  void* heads_[kClasses] = {};
  size_t bytes_ = 0;
#ifdef TAPEGRAD_ASAN
  size_t limit_ = 0;
#else
  size_t limit_ = size_t(256) << 20;
#endif
};

// Constant-initialised and never destroyed: tensors freed during static
// destruction still find it.
inline constinit BlockCache block_cache;

// Note [Page-aligned blocks]: a streaming loop such as c[k] = a[k] + b[k]
// slows down when a load's address matches a still-pending store's in its
// low 12 bits (4 KiB aliasing): the CPU takes the load for dependent on the
// store. That happens when the output starts a little past an input modulo
// 4 KiB (a 1000-element add with c 64 or 128 bytes past a or b is markedly
// slower than with any other placement). Where a malloc'ed block lands within
// its page depends on every allocation and free before it (blocks of one
// class taken one after the other are the class plus 80 bytes apart), so the
// cost came and went with the program's history. Blocks of at least
// kPageAlignMinBytes therefore start on a page: elements of one index in
// fresh tensors share their page offset, and a store never matches a later
// load of another index. They come from posix_memalign (glibc gives the
// slack in front back to the heap), paid only when no cached block fits.
// Smaller blocks come from malloc(n + kAlignment); the pointer malloc
// returned is kept in the 8 bytes before the aligned one (malloc aligns to
// 16, so there is room).
inline constexpr size_t kPageAlignMinBytes = 4096;
inline void* aligned_malloc(size_t bytes) {
  if (bytes >= kPageAlignMinBytes) {
#ifdef _WIN32
    void* p = _aligned_malloc(bytes, kPageAlignMinBytes);
    if (!p) throw std::bad_alloc();
#else
    void* p = nullptr;
    if (posix_memalign(&p, kPageAlignMinBytes, bytes) != 0) throw std::bad_alloc();
#endif
    return p;
  }
  void* raw = std::malloc(bytes + kAlignment);
  if (!raw) throw std::bad_alloc();
  auto a = (reinterpret_cast<uintptr_t>(raw) + kAlignment) & ~uintptr_t(kAlignment - 1);
  reinterpret_cast<void**>(a)[-1] = raw;
  return reinterpret_cast<void*>(a);
}
/// Frees what aligned_malloc(bytes) returned.
inline void aligned_free(void* p, size_t bytes) {
#ifdef _WIN32
  if (bytes >= kPageAlignMinBytes) return _aligned_free(p);
#endif
  std::free(bytes >= kPageAlignMinBytes ? p : static_cast<void**>(p)[-1]);
}
// The block size of class index i (the inverse of cache_class_index).
inline size_t cache_class_size(int i, int min_log2) {
  return size_t(8 + i % 8) << (min_log2 + i / 8 - 3);
}
// Frees a cached list of blocks of `rounded` bytes each.
inline void free_list(void* p, size_t rounded) {
  while (p) {
    void* next = *static_cast<void**>(p);
    aligned_free(p, rounded);
    p = next;
  }
}
inline void BlockCache::free_lists(void** lists) {
  for (int i = 0; i < kClasses; ++i) free_list(lists[i], cache_class_size(i, kCacheMinLog2));
}

// Note [Thread block cache]. The lists are plain thread-local data (constant
// initialised, trivially destructible), so a tensor freed while the thread's
// destructors run, or during static destruction, still finds them; the
// reaper, a thread_local with a destructor, is set up by the first put and
// gives the blocks back at thread exit (afterwards `dead` sends frees to
// free()).
struct ThreadBlockCache {
  static constexpr int kClasses = (kCacheMinLog2 - kThreadCacheMinLog2) * 8;
  void* heads[kClasses];
  size_t bytes;
  bool armed;  // the reaper is registered
  bool dead;   // the reaper has run
  void empty() {
    for (int i = 0; i < kClasses; ++i) {
      free_list(heads[i], cache_class_size(i, kThreadCacheMinLog2));
      heads[i] = nullptr;
    }
    bytes = 0;
  }
};
inline constinit thread_local ThreadBlockCache thread_block_cache{};
// Cleared by set_cache_limit(0).
inline constinit std::atomic<bool> thread_caches_on{true};

struct ThreadCacheReaper {
  bool armed = false;
  ~ThreadCacheReaper() {
    thread_block_cache.empty();
    thread_block_cache.dead = true;
  }
};
inline thread_local ThreadCacheReaper thread_cache_reaper;

inline void* thread_cache_take(size_t rounded) {
  ThreadBlockCache& c = thread_block_cache;
  void*& head = c.heads[cache_class_index(rounded, kThreadCacheMinLog2)];
  void* p = head;
  if (p) {
    head = *static_cast<void**>(p);
    c.bytes -= rounded;
  }
  return p;
}
inline bool thread_cache_put(void* p, size_t rounded) {
  ThreadBlockCache& c = thread_block_cache;
  if (c.dead || c.bytes + rounded > kThreadCacheBytes || !thread_caches_on.load(std::memory_order_relaxed))
    return false;
  if (!c.armed) {
    thread_cache_reaper.armed = true;  // constructs it, so its destructor runs at thread exit
    c.armed = true;
  }
  void*& head = c.heads[cache_class_index(rounded, kThreadCacheMinLog2)];
  *static_cast<void**>(p) = head;
  head = p;
  c.bytes += rounded;
  return true;
}

/// A 64-byte aligned buffer of `bytes` (> 0) bytes.
inline void* allocate_bytes(size_t bytes) {
#ifdef TAPEGRAD_ASAN
  return ::operator new(bytes, std::align_val_t{kAlignment});
#else
  if (bytes >= kThreadCacheMinBytes) {
    const size_t rounded = cache_class_bytes(bytes);
    void* p = rounded >= kCacheMinBytes ? block_cache.take(rounded) : thread_cache_take(rounded);
    return p ? p : aligned_malloc(rounded);
  }
  return aligned_malloc(bytes);
#endif
}
/// Frees what allocate_bytes(bytes) returned.
inline void deallocate_bytes(void* p, size_t bytes) {
#ifdef TAPEGRAD_ASAN
  (void)bytes;
  ::operator delete(p, std::align_val_t{kAlignment});
#else
  if (bytes >= kThreadCacheMinBytes) {
    const size_t rounded = cache_class_bytes(bytes);
    if (rounded >= kCacheMinBytes ? block_cache.put(p, rounded) : thread_cache_put(p, rounded)) return;
    bytes = rounded;  // the size aligned_malloc was given
  }
  aligned_free(p, bytes);
#endif
}
/// Bytes held by the calling thread's cache of freed small blocks (Note [Thread block cache]).
inline size_t thread_cached_bytes() { return thread_block_cache.bytes; }

/// A std allocator over allocate_bytes, for the records std::allocate_shared
/// and shared_ptr make (TensorImpl, Storage, autograd's control blocks): they
/// come from the thread block cache.
template <class U>
struct CachingAllocator {
  using value_type = U;
  CachingAllocator() = default;
  template <class V>
  CachingAllocator(const CachingAllocator<V>&) noexcept {}
  U* allocate(size_t n) { return static_cast<U*>(allocate_bytes(n * sizeof(U))); }
  void deallocate(U* p, size_t n) noexcept { deallocate_bytes(p, n * sizeof(U)); }
  template <class V>
  bool operator==(const CachingAllocator<V>&) const noexcept { return true; }
};

}  // namespace detail

/// Bytes held by the cache of freed large blocks (Note [Caching allocator]).
inline size_t cached_bytes() { return detail::block_cache.bytes(); }
/// Give every cached block back to the system (torch.cuda.empty_cache()):
/// the large blocks, and the calling thread's small ones.
inline void empty_cache() {
  detail::block_cache.empty();
  detail::thread_block_cache.empty();
}
/// Most bytes the cache may hold (default 256 MiB; 0 turns it off and empties
/// it, and turns the threads' small-block caches off). Always 0 under
/// AddressSanitizer.
inline void set_cache_limit(size_t bytes) {
#ifndef TAPEGRAD_ASAN
  detail::block_cache.set_limit(bytes);
  detail::thread_caches_on.store(bytes > 0, std::memory_order_relaxed);
  detail::thread_block_cache.empty();
#else
  (void)bytes;
#endif
}
inline size_t cache_limit() { return detail::block_cache.limit(); }

}  // namespace tapegrad
