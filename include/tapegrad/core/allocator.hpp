#pragma once
// The host allocator behind Storage: 64-byte aligned buffers, and a bounded
// cache of freed large blocks.
//
// Note [Caching allocator]: glibc returns large freed blocks to the kernel
// (munmap above its mmap threshold, heap trimming below it), so the next op of
// the same shape faults in and zeroes every page again: a 40 MB add took 2.6x
// the time of the add itself, and a two-thread training step lost 25% to
// re-faulting its gradient buffers (bench/train_step.md). Training and
// inference loops allocate the same sizes every iteration, so, like PyTorch's
// caching allocators, freed blocks of at least kCacheMinBytes are kept in
// per-size-class free lists and handed out again. Size classes round a request
// up to 1/8 of its power of two (at most 12.5% slack). The cache holds at most
// cache_limit() bytes (default 256 MiB; set_cache_limit(0) turns it off);
// when a freed block would exceed the limit, the cache is emptied first, so it
// follows a change of shapes rather than keeping stale blocks. empty_cache()
// gives everything back, as torch.cuda.empty_cache() does.
//
// Small buffers go straight to malloc with the alignment done by hand: aligned
// operator new goes through glibc's memalign, which bypasses tcache and cost
// ~50 ns per op (bench/README.md). Under AddressSanitizer the cache is off and
// buffers come from aligned operator new, so use-after-free and overflows stay
// visible to ASan.
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

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

// Request size -> size class: the next multiple of 1/8 of its power of two.
inline size_t cache_class_bytes(size_t bytes) {
  size_t step = std::bit_floor(bytes) / 8;
  return (bytes + step - 1) / step * step;
}
// Class index of a rounded size: 8 classes per power of two from kCacheMinBytes.
inline int cache_class_index(size_t rounded) {
  int lg = std::bit_width(rounded) - 1;
  size_t step = std::bit_floor(rounded) / 8;
  return (lg - kCacheMinLog2) * 8 + static_cast<int>(rounded / step - 8);
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

// Blocks come from malloc(n + kAlignment); the pointer malloc returned is kept
// in the 8 bytes before the aligned one (malloc aligns to 16, so there is room).
inline void* aligned_malloc(size_t bytes) {
  void* raw = std::malloc(bytes + kAlignment);
  if (!raw) throw std::bad_alloc();
  auto a = (reinterpret_cast<uintptr_t>(raw) + kAlignment) & ~uintptr_t(kAlignment - 1);
  reinterpret_cast<void**>(a)[-1] = raw;
  return reinterpret_cast<void*>(a);
}
inline void aligned_free(void* p) { std::free(static_cast<void**>(p)[-1]); }

inline void BlockCache::free_lists(void** lists) {
  for (int i = 0; i < kClasses; ++i) {
    for (void* p = lists[i]; p;) {
      void* next = *static_cast<void**>(p);
      aligned_free(p);
      p = next;
    }
  }
}

/// A 64-byte aligned buffer of `bytes` (> 0) bytes.
inline void* allocate_bytes(size_t bytes) {
#ifdef TAPEGRAD_ASAN
  return ::operator new(bytes, std::align_val_t{kAlignment});
#else
  if (bytes >= kCacheMinBytes) {
    const size_t rounded = cache_class_bytes(bytes);
    if (void* p = block_cache.take(rounded)) return p;
    return aligned_malloc(rounded);
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
  if (bytes >= kCacheMinBytes && block_cache.put(p, cache_class_bytes(bytes))) return;
  aligned_free(p);
#endif
}

}  // namespace detail

/// Bytes held by the cache of freed large blocks (Note [Caching allocator]).
inline size_t cached_bytes() { return detail::block_cache.bytes(); }
/// Give every cached block back to the system (torch.cuda.empty_cache()).
inline void empty_cache() { detail::block_cache.empty(); }
/// Most bytes the cache may hold (default 256 MiB; 0 turns it off and empties
/// it). Always 0 under AddressSanitizer.
inline void set_cache_limit(size_t bytes) {
#ifndef TAPEGRAD_ASAN
  detail::block_cache.set_limit(bytes);
#else
  (void)bytes;
#endif
}
inline size_t cache_limit() { return detail::block_cache.limit(); }

}  // namespace tapegrad
