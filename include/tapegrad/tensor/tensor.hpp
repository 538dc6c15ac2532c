#pragma once
// Tensor<T>: a handle to (storage, sizes, strides, offset), like LibTorch's
// at::Tensor. Copying a Tensor copies the handle, not the data; views share
// the storage and differ in sizes/strides/offset.
//
// The methods that compute (x.exp(), x.sum(1), x.view({2, 3}), ...) are
// declared here and defined with their free-function twins in ops/*.hpp;
// include <tapegrad/tapegrad.hpp> to get them.
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "../core/dtype.hpp"
#include "../core/error.hpp"
#include "../core/generator.hpp"
#include "../core/grad_mode.hpp"
#include "../core/shape.hpp"
#include "../core/storage.hpp"

namespace tapegrad {

template <Element T>
class Tensor;

template <Element T>
struct ValuesIndices;

namespace autograd {
class Node;
template <class T>
struct PostAccumulateGradHooks;  // autograd/node.hpp
}

namespace detail {
// Autograd state of a tensor; absent (null) for tensors that need no gradient,
// so they pay one null pointer.
template <Element T>
struct AutogradMeta {
  // from the thread block cache (Note [Thread block cache] in core/allocator.hpp)
  static void* operator new(size_t bytes) { return allocate_bytes(bytes); }
  static void operator delete(void* p, size_t bytes) noexcept { deallocate_bytes(p, bytes); }
  bool requires_grad = false;
  bool retains_grad = false;
  Tensor<T> grad;                                // .grad of a leaf (or retained non-leaf)
  std::shared_ptr<autograd::Node> grad_fn;      // the op that made it; null for leaves
  std::weak_ptr<autograd::Node> grad_accumulator;  // a leaf's sink for gradients
  // register_post_accumulate_grad_hook (autograd/node.hpp); null when none
  std::shared_ptr<autograd::PostAccumulateGradHooks<T>> post_accumulate_grad_hooks;
};

/// Row-major contiguity: sizes with these strides walk memory in order
/// without gaps (dims of size 1 may have any stride; no elements is contiguous).
inline bool contiguous_layout(const Shape& s, const Shape& st) {
  for (int64_t i = 0; i < s.size(); ++i)
    if (s[i] == 0) return true;
  int64_t expected = 1;
  for (int64_t i = s.size() - 1; i >= 0; --i) {
    if (s[i] != 1 && st[i] != expected) return false;
    expected *= s[i];
  }
  return true;
}

// numel and contiguity are kept with the sizes, as c10::TensorImpl keeps
// numel_ and is_contiguous_: an elementwise op asks for them several times,
// and each was a loop over the dims (is_contiguous on three tensors was 8 %
// of a 1000-float add_out in perf, bench/README.md section 1). Only
// set_sizes changes a TensorImpl's layout (resize_).
template <Element T>
struct TensorImpl {
  TensorImpl(std::shared_ptr<Storage<T>> st, Shape sz, Shape str, int64_t off)
      : storage(std::move(st)), sizes(std::move(sz)), strides(std::move(str)), offset(off),
        numel(shape_numel(sizes)), contiguous(contiguous_layout(sizes, strides)) {}
  /// A fresh contiguous layout of n = numel(sz) elements at offset 0.
  TensorImpl(std::shared_ptr<Storage<T>> st, const Shape& sz, int64_t n)
      : storage(std::move(st)), sizes(sz), strides(contiguous_strides(sz)), numel(n) {}
  void set_sizes(const Shape& sz, Shape str) {
    sizes = sz;
    strides = std::move(str);
    numel = shape_numel(sizes);
    contiguous = contiguous_layout(sizes, strides);
  }
  std::shared_ptr<Storage<T>> storage;
  Shape sizes;
  Shape strides;
  int64_t offset = 0;
  int64_t numel = 1;
  bool contiguous = true;
  std::unique_ptr<AutogradMeta<T>> autograd;
};
}  // namespace detail

template <Element T>
class Tensor {
 public:
  using value_type = T;

  /// An undefined tensor (like a default-constructed at::Tensor).
  Tensor() = default;
  Tensor(std::shared_ptr<Storage<T>> storage, Shape sizes, Shape strides, int64_t offset)
      : impl_(std::allocate_shared<detail::TensorImpl<T>>(detail::CachingAllocator<detail::TensorImpl<T>>(),
                                                          std::move(storage), std::move(sizes), std::move(strides),
                                                          offset)) {}

  // ---- metadata -------------------------------------------------------------
  bool defined() const noexcept { return impl_ != nullptr; }
  int64_t dim() const { return impl().sizes.size(); }
  int64_t ndimension() const { return dim(); }
  int64_t numel() const { return impl().numel; }
  const Shape& sizes() const { return impl().sizes; }
  const Shape& shape() const { return impl().sizes; }
  const Shape& strides() const { return impl().strides; }
  int64_t size(int64_t d) const { return sizes()[wrap_dim(d, dim(), "size")]; }
  int64_t stride(int64_t d) const { return strides()[wrap_dim(d, dim(), "stride")]; }
  int64_t storage_offset() const { return impl().offset; }
  /// Pointer to the first element (storage data + offset); null for a
  /// tensor of no elements, as c10's (its storage may have no memory).
  T* data_ptr() const {
    const auto& i = impl();
    return i.numel == 0 ? nullptr : i.storage->data() + i.offset;
  }
  const std::shared_ptr<Storage<T>>& storage() const { return impl().storage; }
  /// True when both handles refer to the same tensor (not merely the same data).
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }
  bool is_contiguous() const { return impl().contiguous; }

  // ---- element access ---------------------------------------------------------
  /// The value of a one-element tensor.
  T item() const {
    TAPEGRAD_CHECK(numel() == 1, ValueError, "item: a tensor with ", numel(),
                   " elements cannot be converted to a scalar (shape ", sizes(), ")");
    return *data_ptr();
  }
  /// Reference to one element: x(i, j). Negative indices count from the end.
  template <std::integral... I>
  T& operator()(I... idx) const {
    const int64_t ix[] = {static_cast<int64_t>(idx)..., 0};
    return element(ix, static_cast<int64_t>(sizeof...(I)));
  }
  T& at(std::initializer_list<int64_t> idx) const {
    return element(idx.begin(), static_cast<int64_t>(idx.size()));
  }
  /// x[i]: the sub-tensor at index i of dim 0 (a view), as in PyTorch.
  Tensor operator[](int64_t i) const;
  /// The elements in row-major order, as a std::vector (a copy).
  std::vector<T> to_vector() const;

  // ---- autograd (autograd/*.hpp) -------------------------------------------------
  /// x.requires_grad_(): make x a leaf whose gradient backward() computes.
  /// Only floating tensors can require grad (a compile error otherwise).
  const Tensor& requires_grad_(bool on = true) const;
  bool requires_grad() const { return impl_ && impl_->autograd && impl_->autograd->requires_grad; }
  /// A leaf is a tensor not produced by a recorded op (PyTorch's is_leaf).
  bool is_leaf() const { return !impl().autograd || !impl().autograd->grad_fn; }
  /// The accumulated gradient; undefined until a backward reaches x.
  Tensor grad() const;
  /// The gradient slot itself, to assign or reset (`x.mutable_grad() = Tensor<float>()`).
  Tensor& mutable_grad() const;
  /// Keep this non-leaf's gradient in grad() during backward.
  const Tensor& retain_grad() const;
  bool retains_grad() const { return impl().autograd && impl().autograd->retains_grad; }
  /// The op that produced x, or null for a leaf.
  const std::shared_ptr<autograd::Node>& grad_fn() const;
  /// Name of grad_fn ("MulBackward", ...), or "" for a leaf.
  std::string grad_fn_name() const;
  /// The same data without autograd history (shares storage).
  Tensor detach() const {
    return Tensor(impl().storage, impl().sizes, impl().strides, impl().offset);
  }
  /// Backpropagate from x: x must be 0-d/one-element unless `gradient` is given.
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false) const;
  /// Internal: the shared implementation, for the autograd engine.
  const std::shared_ptr<detail::TensorImpl<T>>& impl_ptr() const { return impl_; }
  /// Internal: the implementation itself (throws for an undefined tensor), for kernels.
  const detail::TensorImpl<T>& impl_ref() const { return impl(); }
  explicit Tensor(std::shared_ptr<detail::TensorImpl<T>> impl) : impl_(std::move(impl)) {}

  // ---- views (ops/shape.hpp) --------------------------------------------------
  Tensor view(const Shape& shape) const;
  Tensor reshape(const Shape& shape) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor t() const;
  Tensor permute(const Shape& dims) const;
  Tensor expand(const Shape& shape) const;
  template <Element U>
  Tensor expand_as(const Tensor<U>& other) const { return expand(other.sizes()); }
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor slice(int64_t dim = 0, std::optional<int64_t> start = std::nullopt,
               std::optional<int64_t> end = std::nullopt, int64_t step = 1) const;
  Tensor contiguous() const;
  Tensor clone() const;
  const Tensor& resize_(const Shape& shape) const;

  // ---- conversion and in-place fills (tensor/factory.hpp) ---------------------
  template <Element U>
  Tensor<U> to() const;
  const Tensor& fill_(T value) const;
  const Tensor& zero_() const { return fill_(T(0)); }
  template <Element U>
  const Tensor& copy_(const Tensor<U>& src) const;
  const Tensor& normal_(double mean = 0, double std = 1,
                        Generator& gen = default_generator()) const;
  const Tensor& uniform_(double from = 0, double to = 1,
                         Generator& gen = default_generator()) const;

  // ---- elementwise (ops/elementwise.hpp) -------------------------------------
  Tensor<to_floating_t<T>> exp() const;
  Tensor<to_floating_t<T>> log() const;
  Tensor<to_floating_t<T>> log1p() const;
  Tensor<to_floating_t<T>> sqrt() const;
  Tensor<to_floating_t<T>> rsqrt() const;
  Tensor<to_floating_t<T>> sigmoid() const;
  Tensor<to_floating_t<T>> tanh() const;
  Tensor abs() const;
  Tensor neg() const;
  Tensor relu() const;
  Tensor clamp(std::optional<double> min, std::optional<double> max = std::nullopt) const;
  Tensor clamp_min(double min) const { return clamp(min, std::nullopt); }
  Tensor clamp_max(double max) const { return clamp(std::nullopt, max); }
  template <Element U>
  Tensor<promote_t<T, U>> pow(const Tensor<U>& exponent) const;
  template <Scalar S>
  Tensor<scalar_promote_t<T, S>> pow(S exponent) const;
  template <Element U>
  Tensor<promote_t<T, U>> maximum(const Tensor<U>& other) const;
  template <Element U>
  Tensor<promote_t<T, U>> minimum(const Tensor<U>& other) const;
  Tensor<bool> logical_not() const;

  // in-place forms: the result must fit the destination's shape and dtype
  template <Element U>
  const Tensor& add_(const Tensor<U>& other) const;
  template <Element U>
  const Tensor& sub_(const Tensor<U>& other) const;
  template <Element U>
  const Tensor& mul_(const Tensor<U>& other) const;
  template <Element U>
  const Tensor& div_(const Tensor<U>& other) const;
  template <Scalar S>
  const Tensor& add_(S other) const;
  template <Scalar S>
  const Tensor& sub_(S other) const;
  template <Scalar S>
  const Tensor& mul_(S other) const;
  template <Scalar S>
  const Tensor& div_(S other) const;
  const Tensor& clamp_(std::optional<double> min, std::optional<double> max = std::nullopt) const;
  const Tensor& relu_() const;

  // ---- reductions (ops/reduce.hpp) --------------------------------------------
  Tensor<sum_t<T>> sum() const;
  Tensor<sum_t<T>> sum(int64_t dim, bool keepdim = false) const;
  Tensor<sum_t<T>> sum(const Shape& dims, bool keepdim = false) const;
  Tensor<to_floating_t<T>> mean() const;
  Tensor<to_floating_t<T>> mean(int64_t dim, bool keepdim = false) const;
  Tensor<to_floating_t<T>> mean(const Shape& dims, bool keepdim = false) const;
  Tensor<sum_t<T>> prod() const;
  Tensor<sum_t<T>> prod(int64_t dim, bool keepdim = false) const;
  Tensor max() const;
  ValuesIndices<T> max(int64_t dim, bool keepdim = false) const;
  Tensor min() const;
  ValuesIndices<T> min(int64_t dim, bool keepdim = false) const;
  Tensor<int64_t> argmax() const;
  Tensor<int64_t> argmax(int64_t dim, bool keepdim = false) const;
  Tensor<int64_t> argmin() const;
  Tensor<int64_t> argmin(int64_t dim, bool keepdim = false) const;
  Tensor<to_floating_t<T>> var(int64_t correction = 1) const;
  Tensor<to_floating_t<T>> var(int64_t dim, int64_t correction, bool keepdim = false) const;
  Tensor<to_floating_t<T>> std(int64_t correction = 1) const;
  Tensor<to_floating_t<T>> std(int64_t dim, int64_t correction, bool keepdim = false) const;
  Tensor<to_floating_t<T>> logsumexp(int64_t dim, bool keepdim = false) const;
  Tensor<to_floating_t<T>> softmax(int64_t dim) const;
  Tensor<to_floating_t<T>> log_softmax(int64_t dim) const;

  // ---- matmul family (ops/matmul.hpp); both operands must share a dtype -------
  template <Element U>
  Tensor matmul(const Tensor<U>& other) const;
  template <Element U>
  Tensor mm(const Tensor<U>& other) const;
  template <Element U>
  Tensor mv(const Tensor<U>& vec) const;
  template <Element U>
  Tensor dot(const Tensor<U>& other) const;
  template <Element U>
  Tensor bmm(const Tensor<U>& other) const;

 private:
  detail::TensorImpl<T>& impl() const {
    TAPEGRAD_CHECK(impl_ != nullptr, ValueError,
                   "tensor: operation on an undefined tensor (default-constructed Tensor)");
    return *impl_;
  }
  T& element(const int64_t* idx, int64_t n) const {
    TAPEGRAD_CHECK(n == dim(), IndexError, "index: expected ", dim(), " indices for a tensor of shape ",
                   sizes(), ", got ", n);
    int64_t off = impl().offset;
    for (int64_t d = 0; d < n; ++d) {
      int64_t i = idx[d], s = sizes()[d];
      TAPEGRAD_CHECK(i >= -s && i < s, IndexError, "index: index ", i,
                     " is out of bounds for dimension ", d, " with size ", s);
      off += (i < 0 ? i + s : i) * strides()[d];
    }
    return impl().storage->data()[off];
  }

  std::shared_ptr<detail::TensorImpl<T>> impl_;
};

/// Result of max/min along a dim: `auto [values, indices] = x.max(1);`
template <Element T>
struct ValuesIndices {
  Tensor<T> values;
  Tensor<int64_t> indices;
};

/// True when a and b view (some of) the same memory.
template <Element A, Element B>
bool shares_storage(const Tensor<A>& a, const Tensor<B>& b) {
  if constexpr (!std::is_same_v<A, B>) return false;
  else return a.storage() == b.storage();
}

namespace detail {
// Note [In-place ops and autograd]: the tape does not record in-place ops, so
// one that would need recording (it writes a tensor that requires grad, or
// reads one into a tensor, while grad mode is on) throws instead of silently
// dropping gradients. Updates of parameters belong under NoGradGuard, as in
// PyTorch's `with torch.no_grad(): w -= lr * w.grad`.
template <Element T>
void check_inplace(const Tensor<T>& dst, const char* op) {
  if (!GradMode::is_enabled() || !dst.requires_grad()) return;
  TAPEGRAD_CHECK(!dst.is_leaf(), ValueError, op,
                 ": a leaf tensor that requires grad is being used in an in-place operation; "
                 "wrap the update in NoGradGuard (torch.no_grad())");
  throw ValueError(std::string(op) +
                   ": in-place operations on tensors that require grad are not recorded by "
                   "autograd; use the out-of-place form (x = x + y)");
}
template <Element T, Element U>
void check_inplace(const Tensor<T>& dst, const Tensor<U>& src, const char* op) {
  check_inplace(dst, op);
  TAPEGRAD_CHECK(!GradMode::is_enabled() || !src.requires_grad(), ValueError, op,
                 ": the source requires grad, but in-place operations are not recorded by "
                 "autograd; use the out-of-place form, or NoGradGuard if no gradient should flow");
}

/// A fresh, contiguous, uninitialised tensor of n = numel(sizes) elements,
/// sizes known to be valid (another tensor's).
template <Element T>
Tensor<T> make_empty(const Shape& sizes, int64_t n) {
  auto storage = std::allocate_shared<Storage<T>>(CachingAllocator<Storage<T>>(), n);
  return Tensor<T>(
      std::allocate_shared<TensorImpl<T>>(CachingAllocator<TensorImpl<T>>(), std::move(storage), sizes, n));
}
/// A fresh, contiguous, uninitialised tensor.
template <Element T>
Tensor<T> make_empty(const Shape& sizes) {
  int64_t n = 1;
  for (int64_t s : sizes) {
    TAPEGRAD_CHECK(s >= 0, ValueError, "empty: negative dimension ", s, " in shape ", sizes);
    n *= s;
  }
  return make_empty<T>(sizes, n);
}
}  // namespace detail

}  // namespace tapegrad
