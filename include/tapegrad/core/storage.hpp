#pragma once
// Storage<T>: the buffer that tensors and their views share. Owned buffers are
// 64-byte aligned (SIMD loads, cache lines) and come from the caching
// allocator (Note [Caching allocator] in allocator.hpp); from_blob wraps user memory
// without owning it. The version counter lives here because views share it:
// autograd uses it to notice in-place changes to saved tensors.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>

#include "allocator.hpp"
#include "dtype.hpp"
#include "error.hpp"

namespace tapegrad {

template <Element T>
class Storage {
 public:
  /// An owned, uninitialised buffer of n elements.
  explicit Storage(int64_t n) : size_(n), owned_(true) { data_ = allocate(n); }
  /// A view of user memory; `deleter` (may be empty) runs when the last tensor
  /// using it goes away.
  Storage(T* data, int64_t n, std::function<void(T*)> deleter)
      : data_(data), size_(n), owned_(false), deleter_(std::move(deleter)) {}
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage() { release(); }

  T* data() const { return data_; }
  int64_t size() const { return size_; }
  bool resizable() const { return owned_; }
  uint64_t version() const { return version_; }
  void bump_version() { ++version_; }

  /// Grow to at least n elements, keeping the old contents (resize_).
  void grow(int64_t n, const char* op) {
    if (n <= size_) return;
    TAPEGRAD_CHECK(owned_, ValueError, op,
                   ": trying to resize storage that is not resizable (memory from from_blob)");
    T* p = allocate(n);
    if (size_ > 0) std::memcpy(p, data_, sizeof(T) * static_cast<size_t>(size_));
    std::memset(static_cast<void*>(p + size_), 0, sizeof(T) * static_cast<size_t>(n - size_));
    release();
    data_ = p;
    size_ = n;
  }

 private:
  static T* allocate(int64_t n) {
    // A backstop (Note [Checked sizes] in shape.hpp): callers check sizes
    // with the op's name first; a negative n is caught too.
    TAPEGRAD_CHECK(static_cast<uint64_t>(n) <= static_cast<uint64_t>(INT64_MAX) / sizeof(T), ValueError,
                   "storage: ", n, " elements of ", dtype_name<T>(), " do not fit in 2^63 - 1 bytes");
    if (n == 0) return nullptr;
    return static_cast<T*>(detail::allocate_bytes(sizeof(T) * static_cast<size_t>(n)));
  }
  void release() {
    if (owned_) {
      if (data_) detail::deallocate_bytes(data_, sizeof(T) * static_cast<size_t>(size_));
    } else if (deleter_) {
      deleter_(data_);
    }
    data_ = nullptr;
  }

  T* data_ = nullptr;
  int64_t size_ = 0;
  bool owned_ = true;
  uint64_t version_ = 0;
  std::function<void(T*)> deleter_;
};

}  // namespace tapegrad
