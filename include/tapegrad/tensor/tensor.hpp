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
#include <string_view>
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

namespace indexing {
class TensorIndex;
}

namespace detail {
// Note [grad_fn in the tensor layer]: a tensor holds its grad_fn as a
// GradFnBase, the part of autograd::Node (autograd/node.hpp derives it) that
// the tensor layer needs: its name, for grad_fn_name() and printing's
// grad_fn=<...>. The tensor layer so never includes the autograd layer above it.
class GradFnBase {
 public:
  explicit GradFnBase(const char* name) : name_(name) {}
  virtual ~GradFnBase() = default;
  GradFnBase(const GradFnBase&) = delete;
  GradFnBase& operator=(const GradFnBase&) = delete;
  /// The op's backward name, "MulBackward0", ...
  const char* name() const { return name_; }

 protected:
  const char* name_;
};

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
  std::shared_ptr<GradFnBase> grad_fn;          // the op that made it (an autograd::Node); null for leaves
  std::weak_ptr<autograd::Node> grad_accumulator;  // a leaf's sink for gradients
  // register_post_accumulate_grad_hook (autograd/node.hpp); null when none
  std::shared_ptr<autograd::PostAccumulateGradHooks<T>> post_accumulate_grad_hooks;
};

/// Tag of Tensor's unchecked constructor: the library's own views, whose
/// layouts lie in their storage by construction.
struct UncheckedLayout {
  explicit UncheckedLayout() = default;
};
inline constexpr UncheckedLayout unchecked_layout{};

/// The checks of the public Tensor(storage, sizes, strides, offset), as
/// PyTorch's as_strided: the smallest (offset; strides are non-negative) and
/// the largest reachable element lie in the storage.
template <Element T>
void check_layout(const Storage<T>* storage, const Shape& sizes, const Shape& strides, int64_t offset,
                  const char* op) {
  TAPEGRAD_CHECK(storage != nullptr, ValueError, op, ": the storage is null");
  TAPEGRAD_CHECK(sizes.size() == strides.size(), ShapeError, op, ": sizes ", sizes, " and strides ", strides,
                 " have different lengths");
  TAPEGRAD_CHECK(offset >= 0, ValueError, op, ": invalid storage offset ", offset);
  const int64_t extent = storage_extent(sizes, strides, op);
  int64_t need = 0;
  TAPEGRAD_CHECK(extent == 0 || checked_add(offset, extent, need), ValueError, op, ": sizes ", sizes, ", strides ",
                 strides, " and storage offset ", offset, " reach past 2^63 - 1 elements");
  TAPEGRAD_CHECK(need <= storage->size(), ValueError, op, ": sizes ", sizes, ", strides ", strides,
                 " and storage offset ", offset, " need a storage of ", need, " elements, but the storage has ",
                 storage->size());
}

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
// and each was a loop over the dims, a visible part of a small add_out
// (bench/elementwise_bench.cpp). Only
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
  Size sizes;  // Note [Size prints as torch.Size]
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
  /// A tensor over `storage` with these sizes, strides (non-negative) and
  /// storage offset; throws unless every element it reaches lies in the
  /// storage (as PyTorch's as_strided).
  Tensor(std::shared_ptr<Storage<T>> storage, Shape sizes, Shape strides, int64_t offset) {
    detail::check_layout(storage.get(), sizes, strides, offset, "Tensor");
    impl_ = std::allocate_shared<detail::TensorImpl<T>>(detail::CachingAllocator<detail::TensorImpl<T>>(),
                                                        std::move(storage), std::move(sizes), std::move(strides),
                                                        offset);
  }
  /// Internal: the same without the checks, for the library's own views.
  Tensor(detail::UncheckedLayout, std::shared_ptr<Storage<T>> storage, Shape sizes, Shape strides, int64_t offset)
      : impl_(std::allocate_shared<detail::TensorImpl<T>>(detail::CachingAllocator<detail::TensorImpl<T>>(),
                                                          std::move(storage), std::move(sizes), std::move(strides),
                                                          offset)) {}

  // ---- metadata -------------------------------------------------------------
  bool defined() const noexcept { return impl_ != nullptr; }
  int64_t dim() const { return impl().sizes.size(); }
  int64_t ndimension() const { return dim(); }
  int64_t numel() const { return impl().numel; }
  const Size& sizes() const { return impl().sizes; }
  const Size& shape() const { return impl().sizes; }
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
  /// x.tolist() of a 2-D tensor: its rows as nested vectors.
  std::vector<std::vector<T>> to_vector2d() const;

  // ---- autograd (autograd/node.hpp; backward: autograd/engine.hpp) --------------
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
  /// The op that produced x, or null for a leaf (autograd/engine.hpp).
  std::shared_ptr<autograd::Node> grad_fn() const;
  /// Name of grad_fn ("MulBackward0", ...), or "" for a leaf.
  std::string grad_fn_name() const { return is_leaf() ? "" : impl().autograd->grad_fn->name(); }
  /// The same data without autograd history (shares storage).
  Tensor detach() const {
    return Tensor(detail::unchecked_layout, impl().storage, impl().sizes, impl().strides, impl().offset);
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

  // ---- conversion (ops/shape.hpp: recorded) and in-place fills (tensor/factory.hpp)
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
  const Tensor& bernoulli_(double p = 0.5, Generator& gen = default_generator()) const;
  const Tensor& exponential_(double lambd = 1, Generator& gen = default_generator()) const;

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
  Tensor clamp_min(double min) const;
  Tensor clamp_max(double max) const;
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

  // ---- arithmetic (ops/arith.hpp) -------------------------------------------------
  template <Element U>
  Tensor<promote_t<T, U>> floor_divide(const Tensor<U>& other) const;
  template <Scalar S>
  Tensor<scalar_promote_t<T, S>> floor_divide(S other) const;
  template <Element U>
  Tensor<promote_t<T, U>> div(const Tensor<U>& other, std::string_view rounding_mode) const;
  template <Element U>
  Tensor<promote_t<T, U>> remainder(const Tensor<U>& other) const;
  template <Scalar S>
  Tensor<scalar_promote_t<T, S>> remainder(S other) const;
  template <Element U>
  Tensor<promote_t<T, U>> fmod(const Tensor<U>& other) const;
  template <Scalar S>
  Tensor<scalar_promote_t<T, S>> fmod(S other) const;
  Tensor floor() const;
  Tensor ceil() const;
  Tensor trunc() const;
  Tensor frac() const;
  Tensor round(int64_t decimals = 0) const;
  Tensor sign() const;
  Tensor<bool> isnan() const;
  Tensor<bool> isinf() const;
  Tensor<bool> isfinite() const;
  Tensor nan_to_num(double nan = 0, std::optional<double> posinf = std::nullopt,
                    std::optional<double> neginf = std::nullopt) const;
  Tensor bitwise_not() const;

  // ---- ordering (ops/sort.hpp) -----------------------------------------------------
  ValuesIndices<T> sort(int64_t dim = -1, bool descending = false, bool stable = false) const;
  Tensor<int64_t> argsort(int64_t dim = -1, bool descending = false, bool stable = false) const;
  ValuesIndices<T> topk(int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true) const;
  ValuesIndices<T> kthvalue(int64_t k, int64_t dim = -1, bool keepdim = false) const;
  Tensor median() const;
  ValuesIndices<T> median(int64_t dim, bool keepdim = false) const;
  ValuesIndices<T> mode(int64_t dim = -1, bool keepdim = false) const;

  // ---- scans (ops/cumulative.hpp) ---------------------------------------------------
  Tensor<sum_t<T>> cumsum(int64_t dim) const;
  Tensor<sum_t<T>> cumprod(int64_t dim) const;
  ValuesIndices<T> cummax(int64_t dim) const;
  ValuesIndices<T> cummin(int64_t dim) const;
  Tensor logcumsumexp(int64_t dim) const;

  // ---- more reductions (ops/reduce_extra.hpp, ops/norm.hpp) ------------------------
  Tensor amax(const Shape& dims = {}, bool keepdim = false) const;
  Tensor amin(const Shape& dims = {}, bool keepdim = false) const;
  Tensor<to_floating_t<T>> logsumexp(const Shape& dims, bool keepdim = false) const;
  Tensor<sum_t<T>> nansum(const Shape& dims = {}, bool keepdim = false) const;
  Tensor nanmean(const Shape& dims = {}, bool keepdim = false) const;
  Tensor<int64_t> count_nonzero(const Shape& dims = {}) const;
  Tensor<int64_t> argmax(std::optional<int64_t> dim, bool keepdim) const;
  Tensor<int64_t> argmin(std::optional<int64_t> dim, bool keepdim) const;
  Tensor norm(double p = 2, const Shape& dims = {}, bool keepdim = false) const;

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

  // ---- indexing (ops/index.hpp, ops/indexer.hpp) ----------------------------------
  Tensor gather(int64_t dim, const Tensor<int64_t>& index) const;
  Tensor scatter(int64_t dim, const Tensor<int64_t>& index, const Tensor& src) const;
  template <Scalar S>
  Tensor scatter(int64_t dim, const Tensor<int64_t>& index, S value) const;
  Tensor scatter_add(int64_t dim, const Tensor<int64_t>& index, const Tensor& src) const;
  const Tensor& scatter_(int64_t dim, const Tensor<int64_t>& index, const Tensor& src) const;
  template <Scalar S>
  const Tensor& scatter_(int64_t dim, const Tensor<int64_t>& index, S value) const;
  const Tensor& scatter_add_(int64_t dim, const Tensor<int64_t>& index, const Tensor& src) const;
  template <Element I>
  Tensor index_select(int64_t dim, const Tensor<I>& index) const;
  template <Element I, Scalar S = int>
  Tensor index_add(int64_t dim, const Tensor<I>& index, const Tensor& source, S alpha = 1) const;
  template <Element I, Scalar S = int>
  const Tensor& index_add_(int64_t dim, const Tensor<I>& index, const Tensor& source, S alpha = 1) const;
  Tensor index_copy(int64_t dim, const Tensor<int64_t>& index, const Tensor& source) const;
  const Tensor& index_copy_(int64_t dim, const Tensor<int64_t>& index, const Tensor& source) const;
  template <Scalar S>
  Tensor index_fill(int64_t dim, const Tensor<int64_t>& index, S value) const;
  template <Scalar S>
  const Tensor& index_fill_(int64_t dim, const Tensor<int64_t>& index, S value) const;
  template <Scalar S>
  Tensor masked_fill(const Tensor<bool>& mask, S value) const;
  Tensor masked_fill(const Tensor<bool>& mask, const Tensor& value) const;
  template <Scalar S>
  const Tensor& masked_fill_(const Tensor<bool>& mask, S value) const;
  Tensor masked_select(const Tensor<bool>& mask) const;
  Tensor<int64_t> nonzero() const;
  Tensor<int64_t> argwhere() const;
  Tensor take_along_dim(const Tensor<int64_t>& indices, std::optional<int64_t> dim = std::nullopt) const;
  /// x.index({0, Slice(1, None, 2), None, Ellipsis, idx, mask}): PyTorch's x[...].
  Tensor index(std::initializer_list<indexing::TensorIndex> indices) const;
  Tensor index(const std::vector<indexing::TensorIndex>& indices) const;
  /// x.index_put_({...}, values): PyTorch's x[...] = values (or += with accumulate).
  const Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, const Tensor& values,
                           bool accumulate = false) const;
  const Tensor& index_put_(const std::vector<indexing::TensorIndex>& indices, const Tensor& values,
                           bool accumulate = false) const;
  template <Scalar S>
  const Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, S value) const;
  template <Scalar S>
  const Tensor& index_put_(const std::vector<indexing::TensorIndex>& indices, S value) const;
  /// x[mask], x[idx]: advanced indexing along dim 0 (a copy).
  Tensor operator[](const Tensor<bool>& mask) const;
  Tensor operator[](const Tensor<int64_t>& index) const;

  // ---- shape and composition (ops/compose.hpp) ---------------------------------------
  std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0) const;
  std::vector<Tensor> split(int64_t split_size, int64_t dim = 0) const;
  std::vector<Tensor> split(const std::vector<int64_t>& split_sizes, int64_t dim = 0) const;
  std::vector<Tensor> unbind(int64_t dim = 0) const;
  std::vector<Tensor> tensor_split(int64_t sections, int64_t dim = 0) const;
  std::vector<Tensor> tensor_split(const std::vector<int64_t>& indices, int64_t dim = 0) const;
  Tensor repeat(const Shape& repeats) const;
  Tensor tile(const Shape& reps) const;
  Tensor repeat_interleave(int64_t repeats, std::optional<int64_t> dim = std::nullopt) const;
  Tensor repeat_interleave(const Tensor<int64_t>& repeats, std::optional<int64_t> dim = std::nullopt) const;
  Tensor flip(const Shape& dims) const;
  Tensor roll(const Shape& shifts, const Shape& dims = {}) const;
  Tensor tril(int64_t diagonal = 0) const;
  Tensor triu(int64_t diagonal = 0) const;
  Tensor diag(int64_t diagonal = 0) const;
  Tensor diagonal(int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1) const;
  Tensor movedim(const Shape& source, const Shape& destination) const;
  Tensor movedim(int64_t source, int64_t destination) const;
  Tensor moveaxis(const Shape& source, const Shape& destination) const { return movedim(source, destination); }
  Tensor moveaxis(int64_t source, int64_t destination) const { return movedim(source, destination); }
  Tensor unflatten(int64_t dim, const Shape& sizes) const;
  Tensor broadcast_to(const Shape& shape) const;
  template <Element U>
  const Tensor& resize_as_(const Tensor<U>& other) const { return resize_(other.sizes()); }

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
/// A fresh, contiguous, uninitialised tensor; sizes from outside are checked
/// (Note [Checked sizes] in core/shape.hpp) and `op` named in the error.
template <Element T>
Tensor<T> make_empty(const Shape& sizes, const char* op = "empty") {
  const int64_t n = checked_numel(sizes, op);
  check_nbytes(n, sizeof(T), sizes, dtype_name<T>(), op);
  return make_empty<T>(sizes, n);
}
}  // namespace detail

// requires_grad_ is defined here, in the tensor layer, not with the records
// (autograd/node.hpp): it only sets the tensor's AutogradMeta, and the
// factories' {.requires_grad = true} (tensor/factory.hpp) use it.
template <Element T>
const Tensor<T>& Tensor<T>::requires_grad_(bool on) const {
  static_assert(FloatingElement<T>,
                "requires_grad_: only floating tensors (float, double) can require gradients "
                "(as PyTorch); convert with to<float>() first");
  TAPEGRAD_CHECK(is_leaf() || on, ValueError,
                 "requires_grad_: you can only change requires_grad flags of leaf tensors; use "
                 "detach() to get a tensor without history");
  auto& meta = impl().autograd;
  if (!meta) {
    if (!on) return *this;
    meta = std::make_unique<detail::AutogradMeta<T>>();
  }
  meta->requires_grad = on;
  return *this;
}

}  // namespace tapegrad
