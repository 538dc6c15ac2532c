#pragma once
// backward(): walk the tape (Note [Tape ownership]) from an output.
#include <algorithm>
#include <atomic>
#include <utility>
#include <vector>

#include "../core/denormal.hpp"
#include "../tensor/factory.hpp"
#include "node.hpp"

namespace tapegrad {

namespace autograd {
namespace detail {
// A fresh mark for one walk of the graph. One counter for every thread and
// both root dtypes: a retained graph may be walked from float and double
// roots, and from several threads, and a stale mark would skip records.
inline uint64_t next_visit_mark() {
  static std::atomic<uint64_t> mark{0};
  return mark.fetch_add(1, std::memory_order_relaxed) + 1;
}
}  // namespace detail

/// Backpropagate `grad` (d loss / d root) through the records reachable from root.
template <FloatingElement T>
void run_backward(const Tensor<T>& root, Tensor<T> grad, bool retain_graph) {
  TAPEGRAD_CHECK(root.requires_grad(), ValueError,
                 "backward: the tensor does not require grad and has no grad_fn (shape ",
                 root.sizes(), "); call requires_grad_() on the inputs you want gradients for");
  if (!grad.defined()) {
    TAPEGRAD_CHECK(root.numel() == 1, ShapeError,
                   "backward: grad can be implicitly created only for scalar outputs, got shape ",
                   root.sizes(), "; pass a gradient of that shape");
    grad = ones<T>(root.sizes());
  } else {
    TAPEGRAD_CHECK(grad.sizes() == root.sizes(), ShapeError, "backward: gradient of shape ",
                   grad.sizes(), " does not match the output's shape ", root.sizes());
  }
  std::shared_ptr<Node> start = gradient_edge(root);

  // The reachable records, latest first: reverse tape order is a reverse
  // topological order, because a record's inputs were made before it.
  const uint64_t visit = detail::next_visit_mark();
  // The lists are kept per thread between calls, so a small backward
  // allocates nothing here (a backward run from inside a backward function
  // finds them taken and makes its own).
  thread_local std::vector<Node*> spare_order, spare_stack;
  std::vector<Node*> order = std::exchange(spare_order, {}), stack = std::exchange(spare_stack, {});
  order.clear();
  stack.assign(1, start.get());
  start->visit_mark = visit;
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    order.push_back(n);
    for (const auto& next : n->next())
      if (next && next->visit_mark != visit) {
        next->visit_mark = visit;
        stack.push_back(next.get());
      }
  }
  std::sort(order.begin(), order.end(),
            [](const Node* a, const Node* b) { return a->sequence_nr() > b->sequence_nr(); });

  NoGradGuard no_grad;  // backward functions are not recorded
  tapegrad::detail::FlushDenormalScope flush;  // one switch for the whole pass (Note [Denormals])
  try {
    start->accumulate(grad);
    for (Node* n : order) n->run(retain_graph);
  } catch (...) {
    for (Node* n : order) n->clear();  // no stale gradients for the next backward
    throw;
  }
  if (order.capacity() <= 4096) {  // a big graph's lists give their memory back
    spare_order = std::move(order);
    spare_stack = std::move(stack);
  }
}
}  // namespace autograd

// ---- Tensor::backward (the other autograd methods are in node.hpp) ----------------------------
template <Element T>
void Tensor<T>::backward(const Tensor<T>& gradient, bool retain_graph) const {
  if constexpr (FloatingElement<T>) {
    autograd::run_backward(*this, gradient, retain_graph);
  } else {
    TAPEGRAD_CHECK(false, ValueError, "backward: only floating tensors can have gradients, got ",
                   dtype_name<T>());
  }
}

}  // namespace tapegrad
