#pragma once
// Shape: the sizes (or strides) of a tensor, a small vector of int64 that
// keeps up to kInline dims without a heap allocation (most tensors have <= 4).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <ostream>
#include <string>
#include <utility>

#include "error.hpp"

namespace tapegrad {

class Shape {
 public:
  using value_type = int64_t;
  using iterator = int64_t*;
  using const_iterator = const int64_t*;
  static constexpr int64_t kInline = 6;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) { assign(dims.begin(), dims.end()); }
  explicit Shape(int64_t n, int64_t value = 0) {
    reserve(n);
    size_ = n;
    std::fill(begin(), end(), value);
  }
  template <class It>
  Shape(It first, It last) { assign(first, last); }
  Shape(const Shape& o) { copy_from(o); }
  Shape(Shape&& o) noexcept { take(o); }
  Shape& operator=(const Shape& o) {
    if (this != &o) copy_from(o);
    return *this;
  }
  Shape& operator=(Shape&& o) noexcept {
    if (this != &o) { release(); take(o); }
    return *this;
  }
  ~Shape() { release(); }

  int64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int64_t* data() { return heap_ ? heap_ : inline_; }
  const int64_t* data() const { return heap_ ? heap_ : inline_; }
  int64_t* begin() { return data(); }
  int64_t* end() { return data() + size_; }
  const int64_t* begin() const { return data(); }
  const int64_t* end() const { return data() + size_; }
  int64_t& operator[](int64_t i) { return data()[i]; }
  int64_t operator[](int64_t i) const { return data()[i]; }
  int64_t& back() { return data()[size_ - 1]; }
  int64_t back() const { return data()[size_ - 1]; }

  void push_back(int64_t v) {
    reserve(size_ + 1);
    data()[size_++] = v;
  }
  void insert(int64_t pos, int64_t v) {
    reserve(size_ + 1);
    int64_t* d = data();
    std::memmove(d + pos + 1, d + pos, sizeof(int64_t) * static_cast<size_t>(size_ - pos));
    d[pos] = v;
    ++size_;
  }
  void erase(int64_t pos) {
    int64_t* d = data();
    std::memmove(d + pos, d + pos + 1, sizeof(int64_t) * static_cast<size_t>(size_ - pos - 1));
    --size_;
  }
  void resize(int64_t n, int64_t value = 0) {
    reserve(n);
    for (int64_t i = size_; i < n; ++i) data()[i] = value;
    size_ = n;
  }

  // A plain loop: std::equal on int64 becomes a call to memcmp, too costly
  // for a few dims next to a small elementwise op (bench/elementwise_bench.cpp).
  friend bool operator==(const Shape& a, const Shape& b) {
    if (a.size_ != b.size_) return false;
    const int64_t *p = a.data(), *q = b.data();
    for (int64_t i = 0; i < a.size_; ++i)
      if (p[i] != q[i]) return false;
    return true;
  }

 private:
  void reserve(int64_t n) {
    if (n <= capacity_) return;
    int64_t cap = std::max<int64_t>(n, 2 * capacity_);
    auto* p = new int64_t[static_cast<size_t>(cap)];
    std::copy(begin(), end(), p);
    delete[] heap_;
    heap_ = p;
    capacity_ = cap;
  }
  template <class It>
  void assign(It first, It last) {
    reserve(static_cast<int64_t>(std::distance(first, last)));
    size_ = 0;
    for (; first != last; ++first) data()[size_++] = static_cast<int64_t>(*first);
  }
  // Copies and moves of a shape kept inline copy the whole inline array,
  // a fixed 48 bytes the compiler does with a few vector moves; std::copy of
  // size_ elements is a call to memmove, three per fresh tensor, a visible
  // part of making one (bench/elementwise_bench.cpp).
  void copy_from(const Shape& o) {
    if (!heap_ && !o.heap_) {
      std::memcpy(inline_, o.inline_, sizeof inline_);  // every slot is initialised
      size_ = o.size_;
      return;
    }
    size_ = 0;
    assign(o.begin(), o.end());
  }
  void take(Shape& o) {
    size_ = o.size_;
    if (o.heap_) {
      heap_ = o.heap_;
      capacity_ = o.capacity_;
      o.heap_ = nullptr;
      o.capacity_ = kInline;
    } else {
      std::memcpy(inline_, o.inline_, sizeof inline_);
    }
    o.size_ = 0;
  }
  void release() {
    delete[] heap_;
    heap_ = nullptr;
    capacity_ = kInline;
  }

  int64_t size_ = 0;
  int64_t capacity_ = kInline;
  int64_t* heap_ = nullptr;
  int64_t inline_[kInline] = {};
};

/// "[2, 3]", the one format every error message uses for shapes.
inline std::ostream& operator<<(std::ostream& os, const Shape& s) {
  os << '[';
  for (int64_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  return os << ']';
}

inline std::string to_string(const Shape& s) {
  std::ostringstream os;
  os << s;
  return os.str();
}

// Note [Size prints as torch.Size]: x.sizes() is a Size, a Shape in every
// other respect (it converts to const Shape& for free), that a user's
// `std::cout << x.sizes()` prints as PyTorch prints x.shape,
// "torch.Size([2, 3])". Error messages keep the one "[2, 3]" format for
// every shape, a Size included: TAPEGRAD_CHECK streams a part through its
// message_type (Note [Error message parts]). A Shape a user builds stays a
// Shape and prints "[2, 3]".
/// The sizes of a tensor, torch.Size.
class Size : public Shape {
 public:
  using message_type = Shape;  // how error messages print it
  using Shape::Shape;
  explicit Size(const Shape& s) : Shape(s) {}
  explicit Size(Shape&& s) noexcept : Shape(std::move(s)) {}
  Size& operator=(const Shape& s) {
    Shape::operator=(s);
    return *this;
  }
  Size& operator=(Shape&& s) noexcept {
    Shape::operator=(std::move(s));
    return *this;
  }
};

/// "torch.Size([2, 3])", as PyTorch prints a size.
inline std::ostream& operator<<(std::ostream& os, const Size& s) {
  return os << "torch.Size(" << static_cast<const Shape&>(s) << ')';
}
inline std::string to_string(const Size& s) {
  std::ostringstream os;
  os << s;
  return os.str();
}

namespace detail {
// Note [Checked sizes]: sizes that come from outside the library (a factory's
// shape, view/reshape/expand/resize_ targets, from_blob, the public Tensor
// constructor, a file's header) go through checked_numel before anything is
// allocated or any stride computed from them: every size >= 0, the element
// count fits in int64, and so does the product of the nonzero sizes (an
// empty [0, 2^40, 2^40] would overflow its contiguous strides), and the byte
// count fits in int64 too (Storage's backstop). Shapes of existing tensors
// are valid by construction, so the hot paths (make_empty(sizes, n),
// shape_numel, contiguous_strides) multiply unchecked.

/// out = a * b for a, b >= 0; false (out unspecified) when it does not fit in int64.
inline bool checked_mul(int64_t a, int64_t b, int64_t& out) {
#if defined(__GNUC__) || defined(__clang__)
  return !__builtin_mul_overflow(a, b, &out);
#else
  if (a != 0 && b > INT64_MAX / a) return false;
  out = a * b;
  return true;
#endif
}
/// out = a + b for a, b >= 0; false when it does not fit in int64.
inline bool checked_add(int64_t a, int64_t b, int64_t& out) {
  if (b > INT64_MAX - a) return false;
  out = a + b;
  return true;
}

/// The number of elements of a new tensor of these sizes (Note [Checked
/// sizes]); `op` names the caller in the ValueError.
inline int64_t checked_numel(const Shape& sizes, const char* op) {
  int64_t numel = 1, nonzero = 1;
  bool fits = true;
  for (int64_t s : sizes) {
    TAPEGRAD_CHECK(s >= 0, ValueError, op, ": negative dimension ", s, " in shape ", sizes);
    fits = fits && checked_mul(nonzero, s == 0 ? 1 : s, nonzero);
    numel = s == 0 ? 0 : numel;
  }
  TAPEGRAD_CHECK(fits, ValueError, op, ": shape ", sizes, " has more than 2^63 - 1 elements",
                 numel == 0 ? " in its nonzero dimensions" : "");
  return numel == 0 ? 0 : nonzero;
}

/// Throws unless numel elements of `itemsize` bytes fit in 2^63 - 1 bytes.
inline void check_nbytes(int64_t numel, int64_t itemsize, const Shape& sizes, const char* dtype, const char* op) {
  TAPEGRAD_CHECK(numel <= INT64_MAX / itemsize, ValueError, op, ": shape ", sizes, " of ", dtype,
                 " needs more than 2^63 - 1 bytes");
}

/// 1 + the largest offset that sizes/strides reach from element 0 (0 when
/// there are no elements): the storage a layout needs. Sizes and strides
/// must be non-negative; `op` names the caller in the ValueError.
inline int64_t storage_extent(const Shape& sizes, const Shape& strides, const char* op) {
  for (int64_t st : strides)
    TAPEGRAD_CHECK(st >= 0, ValueError, op, ": negative strides are not supported, got strides ", strides);
  if (checked_numel(sizes, op) == 0) return 0;
  int64_t extent = 1;
  for (int64_t i = 0; i < sizes.size(); ++i) {
    int64_t reach = 0;
    TAPEGRAD_CHECK(checked_mul(sizes[i] - 1, strides[i], reach) && checked_add(extent, reach, extent), ValueError,
                   op, ": sizes ", sizes, " with strides ", strides, " reach past 2^63 - 1 elements");
  }
  return extent;
}
}  // namespace detail

/// Product of the sizes (1 for a 0-d shape); unchecked, for valid shapes
/// (Note [Checked sizes]).
inline int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

/// Row-major strides of a contiguous tensor of this shape (a valid one:
/// Note [Checked sizes]).
inline Shape contiguous_strides(const Shape& sizes) {
  Shape st(sizes.size(), 1);
  for (int64_t i = sizes.size() - 2; i >= 0; --i)
    st[i] = st[i + 1] * std::max<int64_t>(sizes[i + 1], 1);
  return st;
}

/// Wrap a possibly negative dim into [0, ndim); `op` names the caller in the
/// error. A 0-d tensor accepts dims -1 and 0, as in PyTorch.
inline int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t n = std::max<int64_t>(ndim, 1);
  TAPEGRAD_CHECK(dim >= -n && dim < n, IndexError, op,
                 ": dimension out of range (expected to be in range of [", -n, ", ", n - 1,
                 "], but got ", dim, ")");
  return dim < 0 ? dim + n : dim;
}

/// NumPy/PyTorch broadcasting: align trailing dims; each pair must be equal or
/// contain a 1. Checked from the last dim, so the error names the same dim as
/// PyTorch's when several mismatch.
inline Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  int64_t n = std::max(a.size(), b.size());
  Shape out(n, 1);
  for (int64_t i = n - 1; i >= 0; --i) {
    int64_t ia = a.size() - n + i, ib = b.size() - n + i;
    int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    TAPEGRAD_CHECK(da == db || da == 1 || db == 1, ShapeError, op, ": shapes ", a, " and ", b,
                   " are not broadcastable: dim ", i, " is ", da, " vs ", db);
    out[i] = da == 1 ? db : da;
  }
  return out;
}

/// broadcast_shapes(a, b) without copying a shape when a == b (the common
/// case of an elementwise op): a itself, or the broadcast shape put in `store`.
inline const Shape& broadcast_shapes(const Shape& a, const Shape& b, Shape& store, const char* op) {
  if (a == b) return a;
  store = broadcast_shapes(a, b, op);
  return store;
}

}  // namespace tapegrad
