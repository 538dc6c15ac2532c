#pragma once
// The autograd tape. Note [Tape ownership]: each differentiable op that sees
// an input requiring grad appends one record, a Node holding the edges to its
// inputs' nodes, the values it saved and its backward function, stamped with a
// process-wide sequence number: the order of the Wengert list. The records are
// owned by the tensors they produced (grad_fn) and by later records, not by a
// global list, so a graph that is dropped without backward() (an evaluation
// loop that forgot NoGradGuard) frees itself. backward() visits the records
// reachable from the output in reverse sequence order.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../tensor/map.hpp"
#include "../tensor/tensor.hpp"

namespace tapegrad::autograd {

/// Most inputs an op has (addmm: bias, a, b; where: cond, a, b).
inline constexpr int kMaxInputs = 3;

/// Input gradients returned by a backward function; undefined where none.
template <FloatingElement T>
using Grads = std::array<Tensor<T>, kMaxInputs>;
/// needs[i]: input i requires grad, so its gradient must be computed.
using Needs = std::array<bool, kMaxInputs>;

namespace detail {
// One counter for all threads: a record made in another thread from a tensor
// made here must still sort after that tensor's record.
inline uint64_t next_sequence_nr() {
  static std::atomic<uint64_t> n{0};
  return n.fetch_add(1, std::memory_order_relaxed) + 1;
}
// The node whose backward function is running (for error messages).
inline const char*& current_node_name() {
  thread_local const char* name = "backward";
  return name;
}
}  // namespace detail

namespace detail {
// g as a Tensor<T>: itself, or a converted copy for mixed-dtype graphs
// (not recorded, and cheap to instantiate: graphs of one dtype never use it).
template <FloatingElement T, FloatingElement U>
Tensor<T> as_dtype(const Tensor<U>& g) {
  if constexpr (std::is_same_v<T, U>) {
    return g;
  } else {
    auto out = tapegrad::detail::make_empty<T>(g.sizes());
    tapegrad::detail::copy_into(out, g);
    return out;
  }
}
// Nothing but the caller's handle refers to t or its memory, and the memory
// is tapegrad's own, contiguous and exactly t's size: t may be kept as is.
template <FloatingElement T>
bool sole_owner(const Tensor<T>& t) {
  const auto& impl = t.impl_ptr();
  return impl.use_count() == 1 && !impl->autograd && impl->storage.use_count() == 1 &&
         impl->storage->resizable() && impl->offset == 0 && impl->storage->size() == t.numel() &&
         t.is_contiguous();
}
template <FloatingElement T>
Tensor<T> plus(const Tensor<T>& a, const Tensor<T>& b) {
  return tapegrad::detail::map2<T, T>(a, b, tapegrad::detail::Add{}, "backward");
}
}  // namespace detail

// Note [grad_fn names]: a node is named as PyTorch 1.13 names the grad_fn of
// the same expression, overload number included ("SumBackward0" for x.sum(),
// "SumBackward1" for x.sum(1), "TBackward0" for x.t()), so printed tensors
// and error messages read as PyTorch's (tools/gen_ref_surface2.py records
// them). An op that tapegrad builds from others (x.t() from transpose,
// mse_loss from sub, mul and mean) renames the last node it records with
// rename(), so its output's grad_fn is PyTorch's name for the whole op.

/// One record of the tape; its name is kept by the tensor layer's base
/// (Note [grad_fn in the tensor layer]).
class Node : public tapegrad::detail::GradFnBase {
 public:
  explicit Node(const char* name) : GradFnBase(name), seq_(detail::next_sequence_nr()) {}
  /// PyTorch's name for the composite op whose last record this is (Note [grad_fn names]).
  void rename(const char* name) { name_ = name; }
  // Note [Node allocation] (in FunctionNodeBase::own)
  static void* operator new(size_t bytes) { return tapegrad::detail::allocate_bytes(bytes); }
  static void operator delete(void* p, size_t bytes) noexcept { tapegrad::detail::deallocate_bytes(p, bytes); }
  // Releases the records only this one owns with a loop, not by recursion:
  // dropping a chain of 10^5..10^6 records would otherwise overflow the stack.
  virtual ~Node() {
    std::vector<std::shared_ptr<Node>> doomed;
    auto take_sole = [&doomed](std::array<std::shared_ptr<Node>, kMaxInputs>& edges) {
      for (auto& e : edges)
        if (e && e.use_count() == 1) doomed.push_back(std::move(e));
    };
    take_sole(next_);
    while (!doomed.empty()) {
      std::shared_ptr<Node> n = std::move(doomed.back());
      doomed.pop_back();
      take_sole(n->next_);
    }  // n is destroyed here with no sole-owned edges left
  }
  uint64_t sequence_nr() const { return seq_; }
  const std::array<std::shared_ptr<Node>, kMaxInputs>& next() const { return next_; }

  /// A gradient for this node's output arrives (in either floating dtype).
  virtual void accumulate(const Tensor<float>& g) = 0;
  virtual void accumulate(const Tensor<double>& g) = 0;
  /// Pass the accumulated gradient to the inputs.
  virtual void run(bool retain_graph) = 0;
  /// Forget a partly accumulated gradient (after a failed backward).
  virtual void clear() = 0;

  uint64_t visit_mark = 0;  // engine bookkeeping

 protected:
  uint64_t seq_;
  std::array<std::shared_ptr<Node>, kMaxInputs> next_{};
};

/// A node whose output is a Tensor<T>: buffers its gradient.
template <FloatingElement T>
class OutputNode : public Node {
 public:
  using Node::Node;
  // The other dtype converts first: one instantiation of add() per T.
  void accumulate(const Tensor<float>& g) override { add(detail::as_dtype<T>(g)); }
  void accumulate(const Tensor<double>& g) override { add(detail::as_dtype<T>(g)); }
  void clear() override { grad_ = Tensor<T>(); }
  /// retain_grad(): also store the gradient in this tensor's grad().
  void retain(const std::shared_ptr<tapegrad::detail::TensorImpl<T>>& out) { retained_ = out; }

 protected:
  void add(const Tensor<T>& g) {
    // Buffers are never written in place: the same gradient tensor may have
    // been handed to several inputs (AddBackward gives both the same one).
    grad_ = grad_.defined() ? detail::plus(grad_, g) : g;
  }
  Tensor<T> take_grad() {
    Tensor<T> g = std::move(grad_);
    grad_ = Tensor<T>();
    if (auto out = retained_.lock()) {
      Tensor<T> owner(out);
      auto& slot = owner.mutable_grad();
      slot = slot.defined() ? detail::plus(slot, g) : tapegrad::detail::copy_of(g);
    }
    return g;
  }

  Tensor<T> grad_;
  std::weak_ptr<tapegrad::detail::TensorImpl<T>> retained_;
};

/// The part of a differentiable op's record that does not depend on its
/// backward function: running it, the edges, what is needed.
// Note [Node code per op]: only FunctionNode<T, Fn>'s three small overrides
// (and record's allocation) are compiled per op; run(), the edges and the
// output's autograd state are compiled once per dtype. With all of it in the
// per-op template, each recorded op's node and record were several times
// the code in every program that used the op.
template <FloatingElement T>
class FunctionNodeBase : public OutputNode<T> {
 public:
  void run(bool retain_graph) final {
    if (!this->grad_.defined()) return;
    TAPEGRAD_CHECK(has_fn(), ValueError, "backward: trying to backward through the graph a second time (",
                   this->name_,
                   "); its saved values were freed by the first backward(). Pass retain_graph=true "
                   "to the first backward() if you need to backward twice");
    Tensor<T> g = this->take_grad();
    detail::current_node_name() = this->name_;
    Grads<T> grads = apply(g, needs_);
    // drop this node's handle first, so that a gradient which is a view of g
    // (a transpose's) can be the sole owner of its memory in AccumulateGrad
    g = Tensor<T>();
    if (!retain_graph) release();  // frees the saved tensors
    for (size_t i = 0; i < kMaxInputs; ++i)
      if (this->next_[i] && grads[i].defined()) this->next_[i]->accumulate(grads[i]);
  }

  /// Makes `node` (just allocated) out's grad_fn, with edges `next`.
  static void attach(const Tensor<T>& out, FunctionNodeBase* node,
                     const std::array<std::shared_ptr<Node>, kMaxInputs>& next) {
    std::shared_ptr<Node> owner = own(node, next);
    auto& impl = *out.impl_ptr();
    if (!impl.autograd) impl.autograd = std::make_unique<tapegrad::detail::AutogradMeta<T>>();
    impl.autograd->requires_grad = true;
    impl.autograd->grad_fn = std::move(owner);
  }

  /// Takes `node` (just allocated) with edges `next`, as no tensor's grad_fn:
  /// an inner step of one op's backward (Note [Cat backward] in ops/shape.hpp).
  static std::shared_ptr<Node> own(FunctionNodeBase* node, const std::array<std::shared_ptr<Node>, kMaxInputs>& next) {
    // Note [Node allocation]: a Node* into shared_ptr<Node>, not make_shared of
    // each FunctionNode type: the shared_ptr machinery is then instantiated once
    // for Node instead of once per op and lambda (one more allocation per
    // recorded op at run time). Both the node (Node::operator new) and the
    // control block (CachingAllocator) come from the thread block cache, as a
    // tensor's records do (Note [Thread block cache] in core/allocator.hpp).
    std::shared_ptr<Node> owner(static_cast<Node*>(node), std::default_delete<Node>(),
                                tapegrad::detail::CachingAllocator<Node>());
    node->next_ = next;
    for (size_t i = 0; i < kMaxInputs; ++i) node->needs_[i] = next[i] != nullptr;
    return owner;
  }

 protected:
  using OutputNode<T>::OutputNode;
  virtual bool has_fn() const = 0;
  virtual Grads<T> apply(const Tensor<T>& g, const Needs& needs) = 0;
  virtual void release() = 0;

 private:
  Needs needs_{};
};

/// The record of one differentiable op: `fn(grad_out, needs) -> Grads<T>`.
// The backward function lives in a union slot rather than a std::optional<Fn>:
// std::optional's layers (payload, base, storage) are each a template of Fn,
// about thirty functions per recorded op in an unoptimised build, where this
// slot costs Fn's own destructor (Note [Node code per op]).
template <FloatingElement T, class Fn>
class FunctionNode final : public FunctionNodeBase<T> {
 public:
  FunctionNode(const char* name, Fn fn) : FunctionNodeBase<T>(name) { ::new (static_cast<void*>(&fn_)) Fn(std::move(fn)); }
  FunctionNode(const FunctionNode&) = delete;
  FunctionNode& operator=(const FunctionNode&) = delete;
  ~FunctionNode() override { drop(); }

 private:
  bool has_fn() const override { return live_; }
  Grads<T> apply(const Tensor<T>& g, const Needs& needs) override { return fn_(g, needs); }
  void release() override { drop(); }
  void drop() {
    if (live_) {
      live_ = false;
      fn_.~Fn();
    }
  }

  union {
    Fn fn_;  // alive while live_
  };
  bool live_ = true;
};

// Note [Post-accumulate-grad hooks]: a leaf's hooks (PyTorch 2.1's
// register_post_accumulate_grad_hook) live in its AutogradMeta, not in its
// AccumulateGrad, which is made afresh for every graph (gradient_edge holds
// it weakly). They run in AccumulateGrad::run: the engine runs a leaf's
// sink after every record that uses the leaf (the sink is made when the
// first of them is recorded, so its sequence number is smaller), so by then
// all of this backward's gradients are summed into grad(), and the hooks run
// once per backward, as soon as that leaf's gradient is final. A leaf with no
// hooks pays one flag and one null pointer test per backward.
template <class T>
struct PostAccumulateGradHooks {
  std::vector<std::pair<uint64_t, std::function<void(const Tensor<T>&)>>> fns;
  uint64_t next_id = 0;
};

/// Removes the hook it was returned for (RemovableHandle.remove()).
template <FloatingElement T>
class HookHandle {
 public:
  HookHandle() = default;
  HookHandle(const Tensor<T>& t, uint64_t id) : impl_(t.impl_ptr()), id_(id) {}
  void remove() {
    auto impl = impl_.lock();
    impl_.reset();
    if (!impl || !impl->autograd || !impl->autograd->post_accumulate_grad_hooks) return;
    auto& fns = impl->autograd->post_accumulate_grad_hooks->fns;
    std::erase_if(fns, [this](const auto& f) { return f.first == id_; });
    if (fns.empty()) impl->autograd->post_accumulate_grad_hooks.reset();
  }

 private:
  std::weak_ptr<tapegrad::detail::TensorImpl<T>> impl_;
  uint64_t id_ = 0;
};

/// hook(t) runs in every backward() after t's gradient is accumulated into
/// t.grad() (Note [Post-accumulate-grad hooks]); t must be a leaf requiring
/// grad. Hooks run in registration order, in the thread running backward().
template <FloatingElement T>
HookHandle<T> register_post_accumulate_grad_hook(const Tensor<T>& t, std::function<void(const Tensor<T>&)> hook) {
  TAPEGRAD_CHECK(t.requires_grad(), ValueError,
                 "register_post_accumulate_grad_hook: cannot register a hook on a tensor that doesn't require "
                 "gradient");
  TAPEGRAD_CHECK(t.is_leaf(), ValueError,
                 "register_post_accumulate_grad_hook: post accumulate grad hooks cannot be registered on "
                 "non-leaf tensors");
  auto& hooks = t.impl_ptr()->autograd->post_accumulate_grad_hooks;
  if (!hooks) hooks = std::make_shared<PostAccumulateGradHooks<T>>();
  const uint64_t id = hooks->next_id++;
  hooks->fns.emplace_back(id, std::move(hook));
  return HookHandle<T>(t, id);
}

/// The sink of a leaf: adds incoming gradients into leaf.grad().
template <FloatingElement T>
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(Tensor<T> leaf) : Node("AccumulateGrad"), leaf_(std::move(leaf)) {}
  void accumulate(const Tensor<float>& g) override { add(g); }
  void accumulate(const Tensor<double>& g) override { add(g); }
  void run(bool) override {
    if (!received_) return;
    received_ = false;
    // Note [Post-accumulate-grad hooks]; a copy of the list, so that a hook
    // may remove itself
    if (auto hooks = leaf_.impl_ptr()->autograd->post_accumulate_grad_hooks) [[unlikely]]
      for (const auto& [id, fn] : std::vector(hooks->fns)) fn(leaf_);
  }
  void clear() override { received_ = false; }

 private:
  template <FloatingElement U>
  void add(const Tensor<U>& g) {
    received_ = true;
    // the other dtype converts first (a fresh tensor): one instantiation per T
    if constexpr (!std::is_same_v<T, U>) {
      return add(detail::as_dtype<T>(g));
    } else {
      Tensor<T>& slot = leaf_.mutable_grad();
      if (!slot.defined()) {
        // Own the buffer: an optimizer may update grad() in place later, and g
        // may be shared with other parts of the graph, or be an expanded view.
        // A fresh gradient that no other handle reaches (the sole result of a
        // backward function) is taken as it is, as PyTorch's AccumulateGrad does.
        if (detail::sole_owner(g)) return void(slot = g);
        slot = tapegrad::detail::make_empty<T>(g.sizes());
        tapegrad::detail::copy_into(slot, g);
      } else {
        // accumulate across backward calls, as PyTorch
        NoGradGuard no_grad;
        tapegrad::detail::map2_<T>(slot, g, tapegrad::detail::Add{}, "backward");
      }
    }
  }
  Tensor<T> leaf_;
  bool received_ = false;  // a gradient arrived in this backward
};

/// A tensor saved for backward, with the version of its storage at the time:
/// get() throws if an in-place op changed it since.
template <Element T>
class SavedTensor {
 public:
  SavedTensor() = default;
  explicit SavedTensor(const Tensor<T>& t) : t_(t.detach()), version_(t.storage()->version()) {}
  const Tensor<T>& get() const {
    TAPEGRAD_CHECK(t_.storage()->version() == version_, ValueError,
                   "backward: one of the variables needed for gradient computation has been "
                   "modified by an inplace operation: ", detail::current_node_name(),
                   " saved a tensor of shape ", t_.sizes(), " at version ", version_,
                   "; it is now at version ", t_.storage()->version());
    return t_;
  }
  const Shape& sizes() const { return t_.sizes(); }

 private:
  Tensor<T> t_;
  uint64_t version_ = 0;
};

template <Element T>
SavedTensor<T> save(const Tensor<T>& t) {
  return SavedTensor<T>(t);
}

/// True when an op on these inputs must be recorded.
template <Element... In>
bool needs_grad(const Tensor<In>&... inputs) {
  return GradMode::is_enabled() && (inputs.requires_grad() || ...);
}

/// The node a gradient for t flows into: its grad_fn, or its leaf accumulator.
template <Element U>
std::shared_ptr<Node> gradient_edge(const Tensor<U>& t) {
  if constexpr (!FloatingElement<U>) {
    return nullptr;
  } else {
    if (!t.requires_grad()) return nullptr;
    if (!t.is_leaf()) return t.grad_fn();
    auto& meta = *t.impl_ptr()->autograd;
    auto acc = meta.grad_accumulator.lock();
    if (!acc) {
      acc = std::allocate_shared<AccumulateGrad<U>>(tapegrad::detail::CachingAllocator<AccumulateGrad<U>>(), t);
      meta.grad_accumulator = acc;
    }
    return acc;
  }
}

/// A node running `fn(grad_out, needs)` in backward with edges `next`,
/// attached to no tensor (FunctionNodeBase::own).
template <FloatingElement T, class Fn>
std::shared_ptr<Node> make_node(const char* name, Fn&& fn, const std::array<std::shared_ptr<Node>, kMaxInputs>& next) {
  return FunctionNodeBase<T>::own(new FunctionNode<T, std::decay_t<Fn>>(name, std::forward<Fn>(fn)), next);
}

/// out's grad_fn runs `fn(grad_out, needs)` and passes grads[i] to next[i]
/// (record() with the edges given rather than taken from input tensors).
template <FloatingElement T, class Fn>
void record_edges(const Tensor<T>& out, const char* name, Fn&& fn,
                  const std::array<std::shared_ptr<Node>, kMaxInputs>& next) {
  FunctionNodeBase<T>::attach(out, new FunctionNode<T, std::decay_t<Fn>>(name, std::forward<Fn>(fn)), next);
}

/// The edges of a record on `inputs` (gradient_edge of each). Out of line
/// and independent of the op's backward type, so that the records of all ops
/// on the same input dtypes share it rather than each inlining it.
template <Element... In>
[[gnu::noinline]] std::array<std::shared_ptr<Node>, kMaxInputs> input_edges(const Tensor<In>&... inputs) {
  return {gradient_edge(inputs)...};
}

/// Append a record for `out = op(inputs...)` to the tape: out now requires
/// grad and its grad_fn runs `fn(grad_out, needs)` in backward.
template <FloatingElement T, class Fn, Element... In>
void record(const Tensor<T>& out, const char* name, Fn&& fn, const Tensor<In>&... inputs) {
  static_assert(sizeof...(In) <= kMaxInputs, "record: too many inputs");
  const std::array<std::shared_ptr<Node>, kMaxInputs> next = input_edges(inputs...);
  FunctionNodeBase<T>::attach(out, new FunctionNode<T, std::decay_t<Fn>>(name, std::forward<Fn>(fn)), next);
}

}  // namespace tapegrad::autograd

// The Tensor methods that read or set autograd state are defined here, with
// the records, rather than with backward() in engine.hpp: every recording op
// (ops/) uses them, and an op's header must not need the engine to link.
namespace tapegrad {

template <Element T>
Tensor<T> Tensor<T>::grad() const {
  return impl().autograd ? impl().autograd->grad : Tensor<T>();
}

template <Element T>
Tensor<T>& Tensor<T>::mutable_grad() const {
  auto& meta = impl().autograd;
  if (!meta) meta = std::make_unique<tapegrad::detail::AutogradMeta<T>>();
  return meta->grad;
}

template <Element T>
const Tensor<T>& Tensor<T>::retain_grad() const {
  TAPEGRAD_CHECK(requires_grad(), ValueError,
                 "retain_grad: can't retain_grad on a tensor that has requires_grad=false");
  if (is_leaf()) return *this;  // leaves keep their grad anyway
  if constexpr (FloatingElement<T>) {
    impl().autograd->retains_grad = true;
    static_cast<autograd::OutputNode<T>*>(impl().autograd->grad_fn.get())->retain(impl_);
  }
  return *this;
}

template <Element T>
std::shared_ptr<autograd::Node> Tensor<T>::grad_fn() const {
  if (is_leaf()) return nullptr;
  return std::static_pointer_cast<autograd::Node>(impl().autograd->grad_fn);
}

namespace autograd {
/// out, its grad_fn (if any) renamed: for a composite op's output, which the
/// op's own last record made (Note [grad_fn names]).
template <Element T>
Tensor<T> renamed(Tensor<T> out, const char* name) {
  if (!out.is_leaf()) out.grad_fn()->rename(name);
  return out;
}
}  // namespace autograd

}  // namespace tapegrad
