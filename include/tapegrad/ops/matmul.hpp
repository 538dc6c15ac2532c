#pragma once
// The matmul family with PyTorch's semantics: matmul (1-D, 2-D, batched with
// broadcast batch dims), mm, mv, dot, bmm, outer, addmm.
// Note [GEMM without copies]: float and double products go to tapegrad's own
// packed GEMM (kernels/gemm.hpp), which reads each operand through its two
// strides while packing, so transposed views (x.t()), slices and any other
// strided 2-D operand cost no copy. It replaced Eigen's GEMM after measuring
// both (bench/matmul_kernels_bench.cpp; bench/history/2026-11-22_to_2026-12-05.md):
// faster on the mid-sized and the MNIST-MLP products, close elsewhere;
// dropping Eigen's product templates also cut compile time.
#include "../kernels/gemm.hpp"
#include "elementwise.hpp"
#include "shape.hpp"

namespace tapegrad {

// Note [Refusals come first]: a refused dtype mix must be the first error the
// compiler prints, with nothing after it. A static_assert in a helper
// function template called from the op's body came after the body's own
// errors (gemm_into and SavedTensor of mixed dtypes): the helper is only
// instantiated once the body is done. So the op is constrained to the mixes
// it accepts, and a second overload for the others holds the static_asserts
// and nothing else (elementwise ops write them in the body and discard the
// rest with `if constexpr`).
#define TAPEGRAD_MATMUL_DTYPE_ASSERTS(A, B)                                                     \
  static_assert(std::is_same_v<A, B>,                                                           \
                "matmul/mm/mv/dot/bmm: both operands must have the same dtype (PyTorch raises " \
                "'expected scalar type ... but found ...'); convert one with .to<T>()");        \
  static_assert(!std::is_same_v<A, bool>,                                                       \
                "matmul/mm/mv/dot/bmm: bool tensors are refused (PyTorch has no bool matrix product)")

namespace detail {
template <class A, class B>
inline constexpr bool matmul_dtypes_ok = std::is_same_v<A, B> && !std::is_same_v<A, bool>;

template <class A, class B>
constexpr void check_matmul_dtypes() {
  TAPEGRAD_MATMUL_DTYPE_ASSERTS(A, B);
}

/// C = alpha * A @ B + beta * C on raw strided memory, C [m, n] with rows rsc
/// apart and unit column stride. beta == 0 ignores C's contents (even NaN),
/// as PyTorch's addmm. Sparse: through kernels::gemm, which may take the
/// sparse path, else kernels::gemm_dense (Note [Dense and sparse entries] in
/// kernels/gemm.hpp).
template <Element T, bool Sparse = false>
void gemm_strided(int64_t m, int64_t n, int64_t k, T alpha, const T* pa, int64_t rsa, int64_t csa, const T* pb,
                  int64_t rsb, int64_t csb, T beta, T* pc, int64_t rsc) {
  if constexpr (FloatingElement<T>) {
    if constexpr (Sparse)
      kernels::gemm<T>(m, n, k, alpha, pa, rsa, csa, pb, rsb, csb, beta, pc, rsc, 1);
    else
      kernels::gemm_dense<T>(m, n, k, alpha, pa, rsa, csa, pb, rsb, csb, beta, pc, rsc, 1);
  } else {
    // Integer products (PyTorch's CPU mm supports them): a dot product per element.
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        T acc(0);
        for (int64_t p = 0; p < k; ++p) acc += pa[i * rsa + p * csa] * pb[p * rsb + j * csb];
        T& o = pc[i * rsc + j];
        o = static_cast<T>((beta == T(0) ? T(0) : static_cast<T>(beta * o)) + alpha * acc);
      }
  }
}

/// out = beta * out + alpha * a @ b for 2-D tensors; out is contiguous [m, n].
template <Element T, bool Sparse = false>
void gemm_into(const Tensor<T>& out, const Tensor<T>& a, const Tensor<T>& b, T alpha, T beta) {
  gemm_strided<T, Sparse>(a.sizes()[0], b.sizes()[1], a.sizes()[1], alpha, a.data_ptr(), a.strides()[0], a.strides()[1],
               b.data_ptr(), b.strides()[0], b.strides()[1], beta, out.data_ptr(), b.sizes()[1]);
}

// Note [Unrecorded matmul]: matmul's 1-D and batched cases work on raw
// strides (the views below are not recorded ops) and record one
// MatmulBackward node, whose backward uses the same functions. Built from
// recorded unsqueeze/squeeze/reshape/expand/select/view, matmul compiled
// each of those ops' autograd nodes into every program that called it, a
// compile time well above mm's (bench/compile_time.sh --breakdown).

/// x's last two dims swapped, as an unrecorded view.
template <Element T>
Tensor<T> transposed_view(const Tensor<T>& x) {
  return swapped_view(x, x.dim() - 2, x.dim() - 1);
}
/// x with `shape` (same numel): an unrecorded view, or a view of a contiguous copy.
template <Element T>
Tensor<T> reshaped_view(const Tensor<T>& x, const Shape& shape) {
  if (auto st = view_strides(x.sizes(), x.strides(), shape)) return make_view(x, shape, *st, x.storage_offset());
  return make_view(copy_of(x), shape, contiguous_strides(shape), 0);
}
/// A 1-D matmul operand as a matrix: [k] -> [1, k] (left) or [k, 1] (right).
template <Element T>
Tensor<T> as_matrix(const Tensor<T>& x, bool left) {
  if (x.dim() != 1) return x;
  const int64_t k = x.sizes()[0], s = x.strides()[0];
  return left ? make_view(x, {1, k}, {k * s, s}, x.storage_offset()) : make_view(x, {k, 1}, {s, 1}, x.storage_offset());
}

/// [..., n, k] @ [..., k, m] with broadcast batch dims (both at least 2-D), not
/// recorded. A 2-D right operand whose left operand's batch folds into its
/// rows is one GEMM.
template <Element T>
Tensor<T> batched_matmul(const Tensor<T>& a, const Tensor<T>& b) {
  const int64_t da = a.dim(), db = b.dim();
  const Shape batch_a(a.sizes().begin(), a.sizes().end() - 2), batch_b(b.sizes().begin(), b.sizes().end() - 2);
  const Shape batch = broadcast_shapes(batch_a, batch_b, "matmul");
  const int64_t n = a.sizes()[da - 2], k = a.sizes()[da - 1], m = b.sizes()[db - 1];
  Shape out_shape = batch;
  out_shape.push_back(n), out_shape.push_back(m);
  auto out = make_empty<T>(out_shape);
  const int64_t nb = shape_numel(batch);
  if (out.numel() == 0) return out;
  if (k == 0) return out.zero_();  // (an empty operand has no memory to offset into)
  const int64_t rsb = b.strides()[db - 2], csb = b.strides()[db - 1];
  if (db == 2 && da > 2) {
    if (auto st = view_strides(a.sizes(), a.strides(), {nb * n, k})) {
      gemm_strided(nb * n, m, k, T(1), a.data_ptr(), (*st)[0], (*st)[1], b.data_ptr(), rsb, csb, T(0),
                   out.data_ptr(), m);
      return out;
    }
  }
  // Each operand's strides over the batch dims (the first nd), 0 where it is broadcast.
  const int64_t nd = batch.size();
  Shape shape_a = batch, shape_b = batch;
  shape_a.push_back(n), shape_a.push_back(k), shape_b.push_back(k), shape_b.push_back(m);
  const Shape sta = broadcast_strides(a, shape_a), stb = broadcast_strides(b, shape_b);
  Shape idx(nd, 0);  // row-major multi-index into the batch
  int64_t oa = 0, ob = 0;
  for (int64_t i = 0; i < nb; ++i) {
    gemm_strided(n, m, k, T(1), a.data_ptr() + oa, a.strides()[da - 2], a.strides()[da - 1], b.data_ptr() + ob, rsb,
                 csb, T(0), out.data_ptr() + i * n * m, m);
    for (int64_t d = nd - 1; d >= 0; --d) {
      oa += sta[d], ob += stb[d];
      if (++idx[d] < batch[d]) break;
      oa -= sta[d] * batch[d], ob -= stb[d] * batch[d];
      idx[d] = 0;
    }
  }
  return out;
}

// Note [Gradient layout]: the gradient of an operand that is a transposed
// matrix (weight.t() in linear) is computed as the transpose of a row-major
// product, l @ r = (r^T @ l^T)^T, so that after TransposeBackward it reaches
// the weight contiguous, as PyTorch's mm_mat2_backward does. Accumulating it
// into weight.grad() and the optimizer's step then run over contiguous
// memory instead of striding across rows (bench/train_step.md).
template <Element T>
bool is_transposed_matrix(const Tensor<T>& x) {
  const Shape& s = x.sizes();
  return s[0] > 1 && s[1] > 1 && x.strides()[0] == 1 && x.strides()[1] == s[0];
}
/// alpha * l @ r as a new [m, n] tensor, column-major when `transposed`.
template <FloatingElement T, bool Sparse = false>
Tensor<T> gemm_grad(const Shape& s, bool transposed, const Tensor<T>& l, const Tensor<T>& r, T alpha) {
  if (transposed) {
    auto out = make_empty<T>({s[1], s[0]});
    gemm_into<T, Sparse>(out, transposed_view(r), transposed_view(l), alpha, T(0));
    return transposed_view(out);
  }
  auto out = make_empty<T>(s);
  gemm_into<T, Sparse>(out, l, r, alpha, T(0));
  return out;
}

// Note [One matmul record]: mm, addmm and matmul's other ranks record one
// backward type, so a program calling two of them (matmul of 2-D operands
// goes through mm, F::linear through addmm or mm) compiles one autograd node
// and one record() for them, not one each. mm's gradients are computed
// inline; addmm and the other ranks hand over to a function of their own
// through a pointer, so that only a program calling them compiles it (mm
// alone never instantiates batched_matmul). The products of F::linear and
// mm_skip_zeros, which may take the sparse path, record the same type with a
// backward of their own (Note [Dense and sparse entries] in kernels/gemm.hpp).
template <FloatingElement T>
struct MatmulBackward;
/// mm's gradients: grad_a = g b^T, grad_b = a^T g, each in its operand's
/// layout (Note [Gradient layout]).
template <FloatingElement T, bool Sparse>
autograd::Grads<T> mm_backward(const MatmulBackward<T>& s, const Tensor<T>& g, autograd::Needs n) {
  return {n[0] ? gemm_grad<T, Sparse>(s.a_shape, s.a_t, g, transposed_view(s.sb.get()), T(1)) : Tensor<T>(),
          n[1] ? gemm_grad<T, Sparse>(s.b_shape, s.b_t, transposed_view(s.sa.get()), g, T(1)) : Tensor<T>(), {}};
}
/// The backward of mm, addmm and matmul: grad_a = alpha g b^T, grad_b =
/// alpha a^T g (per batch entry, summed over broadcast batch dims).
template <FloatingElement T>
struct MatmulBackward {
  autograd::SavedTensor<T> sa, sb;  // mm saves an operand only when the other requires grad
  Shape a_shape, b_shape;
  bool a_t, b_t;  // the operand is a transposed matrix (Note [Gradient layout])
  /// addmm's and matmul's other ranks' backward; nullptr for mm's
  autograd::Grads<T> (*other)(const MatmulBackward& self, const Tensor<T>& g, autograd::Needs n);
  Shape shape;  // addmm: bias's shape; matmul: the batched product's, before the added dims were dropped
  T alpha, beta;  // addmm's
  autograd::Grads<T> operator()(const Tensor<T>& g, autograd::Needs n) const {
    return other != nullptr ? other(*this, g, n) : mm_backward<T, false>(*this, g, n);
  }
};
/// addmm's backward: d(beta bias + alpha a b) = beta dbias + alpha (da b + a db).
template <FloatingElement T, bool Sparse>
autograd::Grads<T> addmm_backward(const MatmulBackward<T>& s, const Tensor<T>& g, autograd::Needs n) {
  autograd::Grads<T> r;
  if (n[0]) r[0] = sum_to(s.beta == T(1) ? g : mul(g, tensor<T>(s.beta)), s.shape);
  if (n[1]) r[1] = gemm_grad<T, Sparse>(s.a_shape, s.a_t, g, transposed_view(s.sb.get()), s.alpha);
  if (n[2]) r[2] = gemm_grad<T, Sparse>(s.b_shape, s.b_t, transposed_view(s.sa.get()), g, s.alpha);
  return r;
}
/// matmul's backward for operands other than two matrices.
template <FloatingElement T>
autograd::Grads<T> batched_matmul_backward(const MatmulBackward<T>& s, const Tensor<T>& g, autograd::Needs n) {
  const auto a2 = as_matrix(s.sa.get(), true), b2 = as_matrix(s.sb.get(), false);
  const auto g2 = reshaped_view(g, s.shape);
  autograd::Grads<T> r;
  if (n[0]) r[0] = reshaped_view(sum_to(batched_matmul(g2, transposed_view(b2)), a2.sizes()), s.a_shape);
  if (n[1]) {
    if (b2.dim() == 2 && a2.dim() > 2) {  // folded: one GEMM over all rows
      int64_t rows = 1;  // (not numel / k: k may be 0)
      for (int64_t d = 0; d + 1 < a2.dim(); ++d) rows *= a2.sizes()[d];
      const auto af = reshaped_view(a2, {rows, a2.sizes()[a2.dim() - 1]});
      const auto gf = reshaped_view(g2, {rows, g2.sizes()[g2.dim() - 1]});
      r[1] = reshaped_view(gemm_grad(b2.sizes(), is_transposed_matrix(b2), transposed_view(af), gf, T(1)),
                           s.b_shape);
    } else {
      r[1] = reshaped_view(sum_to(batched_matmul(transposed_view(a2), g2), b2.sizes()), s.b_shape);
    }
  }
  return r;
}

inline void check_inner(const Shape& a, const Shape& b, int64_t ka, int64_t kb, const char* op) {
  TAPEGRAD_CHECK(ka == kb, ShapeError, op, ": inner dimensions must match, got ", a, " @ ", b, " (",
                 ka, " != ", kb, ")");
}
}  // namespace detail

/// The dtype mixes matmul/mm/mv/dot/bmm refuse: only the static_asserts
/// (Note [Refusals come first]).
#define TAPEGRAD_REFUSED_MATMUL(name)                  \
  template <Element A, Element B>                      \
    requires(!detail::matmul_dtypes_ok<A, B>)          \
  Tensor<A> name(const Tensor<A>&, const Tensor<B>&) { \
    TAPEGRAD_MATMUL_DTYPE_ASSERTS(A, B);               \
    return {};                                         \
  }
TAPEGRAD_REFUSED_MATMUL(mm)
TAPEGRAD_REFUSED_MATMUL(mv)
TAPEGRAD_REFUSED_MATMUL(dot)
TAPEGRAD_REFUSED_MATMUL(bmm)
TAPEGRAD_REFUSED_MATMUL(matmul)
TAPEGRAD_REFUSED_MATMUL(mm_skip_zeros)
#undef TAPEGRAD_REFUSED_MATMUL

namespace detail {
/// mm by kernels::gemm (Sparse) or gemm_dense; op names the caller in errors.
template <bool Sparse, Element T>
Tensor<T> mm_impl(const Tensor<T>& a, const Tensor<T>& b, const char* op) {
  TAPEGRAD_CHECK(a.dim() == 2 && b.dim() == 2, ShapeError, op, ": expected 2-D tensors, got ",
                 a.sizes(), " and ", b.sizes());
  check_inner(a.sizes(), b.sizes(), a.sizes()[1], b.sizes()[0], op);
  auto out = make_empty<T>({a.sizes()[0], b.sizes()[1]});
  gemm_into<T, Sparse>(out, a, b, T(1), T(0));
  if constexpr (FloatingElement<T>) {
    autograd::Grads<T> (*backward)(const MatmulBackward<T>&, const Tensor<T>&, autograd::Needs) = nullptr;
    if constexpr (Sparse) backward = &mm_backward<T, true>;  // (mm's own is inline: no pointer to compile)
    if (autograd::needs_grad(a, b))
      // d(a b) = da b + a db: grad_a = g b^T, grad_b = a^T g (transposed views, no copies)
      autograd::record(out, "MmBackward0",
          MatmulBackward<T>{b.requires_grad() ? autograd::save(a) : autograd::SavedTensor<T>(),
                            a.requires_grad() ? autograd::save(b) : autograd::SavedTensor<T>(),
                            a.sizes(), b.sizes(), is_transposed_matrix(a), is_transposed_matrix(b),
                            backward, {}, T(1), T(1)},
          a, b);
  }
  return out;
}
}  // namespace detail

/// mm(a, b): [n, k] @ [k, m] -> [n, m]; 2-D only.
template <Element A, Element B>
  requires detail::matmul_dtypes_ok<A, B>
Tensor<A> mm(const Tensor<A>& a, const Tensor<B>& b) {
  detail::check_matmul_dtypes<A, B>();
  return detail::mm_impl<false>(a, b, "mm");
}

/// mm_skip_zeros(a, b): mm(a, b), [n, k] @ [k, m] -> [n, m], and its
/// gradients by the GEMM that skips the zeros of a mostly-zero operand (Note
/// [Sparse operand GEMM]), as F::linear's; the same values as mm up to the
/// order of the additions. For products of mostly-zero inputs, ReLU or
/// dropout outputs written by hand; mm and matmul never take that path (Note
/// [Dense and sparse entries] in kernels/gemm.hpp). Not in PyTorch.
template <Element A, Element B>
  requires detail::matmul_dtypes_ok<A, B>
Tensor<A> mm_skip_zeros(const Tensor<A>& a, const Tensor<B>& b) {
  detail::check_matmul_dtypes<A, B>();
  return detail::mm_impl<true>(a, b, "mm_skip_zeros");
}

namespace detail {
/// addmm by kernels::gemm (Sparse: F::linear's) or gemm_dense.
template <bool Sparse, Element T>
Tensor<T> addmm_impl(const Tensor<T>& bias, const Tensor<T>& a, const Tensor<T>& b, double beta, double alpha) {
  TAPEGRAD_CHECK(a.dim() == 2 && b.dim() == 2, ShapeError, "addmm: expected 2-D matrices, got ",
                 a.sizes(), " and ", b.sizes());
  check_inner(a.sizes(), b.sizes(), a.sizes()[1], b.sizes()[0], "addmm");
  const Shape shape{a.sizes()[0], b.sizes()[1]};
  // bias must broadcast *to* shape (one message whether it has too many dims or a wrong size)
  bool bias_fits = bias.dim() <= 2;
  for (int64_t i = 0; bias_fits && i < bias.dim(); ++i) {
    const int64_t have = bias.sizes()[i], want = shape[2 - bias.dim() + i];
    bias_fits = have == want || have == 1;
  }
  TAPEGRAD_CHECK(bias_fits, ShapeError, "addmm: bias of shape ", bias.sizes(),
                 " cannot be broadcast to the product's shape ", shape);
  auto out = make_empty<T>(shape);
  if (beta != 0) copy_into(out, bias);  // beta = 0 ignores bias, even NaN (as PyTorch)
  gemm_into<T, Sparse>(out, a, b, static_cast<T>(alpha), static_cast<T>(beta));
  if constexpr (FloatingElement<T>) {
    if (autograd::needs_grad(bias, a, b))
      autograd::record(out, "AddmmBackward0",
                       MatmulBackward<T>{autograd::save(a), autograd::save(b), a.sizes(), b.sizes(),
                                         is_transposed_matrix(a), is_transposed_matrix(b),
                                         &addmm_backward<T, Sparse>, bias.sizes(), static_cast<T>(alpha),
                                         static_cast<T>(beta)},
                       bias, a, b);
  }
  return out;
}
}  // namespace detail

/// addmm(bias, a, b, beta, alpha): beta * bias + alpha * (a @ b); bias broadcasts to [n, m].
template <Element T>
Tensor<T> addmm(const Tensor<T>& bias, const Tensor<T>& a, const Tensor<T>& b, double beta = 1,
                double alpha = 1) {
  detail::check_matmul_dtypes<T, T>();
  return detail::addmm_impl<false>(bias, a, b, beta, alpha);
}

template <Element A, Element B>
  requires detail::matmul_dtypes_ok<A, B>
Tensor<A> matmul(const Tensor<A>& a, const Tensor<B>& b);

/// mv(a, v): [n, m] @ [m] -> [n].
template <Element A, Element B>
  requires detail::matmul_dtypes_ok<A, B>
Tensor<A> mv(const Tensor<A>& a, const Tensor<B>& v) {
  detail::check_matmul_dtypes<A, B>();
  TAPEGRAD_CHECK(a.dim() == 2 && v.dim() == 1, ShapeError,
                 "mv: expected a 2-D matrix and a 1-D vector, got ", a.sizes(), " and ", v.sizes());
  detail::check_inner(a.sizes(), v.sizes(), a.sizes()[1], v.sizes()[0], "mv");
  return matmul(a, v);
}

/// dot(a, b): sum(a * b) of two 1-D tensors of equal length, as a 0-d tensor.
template <Element A, Element B>
  requires detail::matmul_dtypes_ok<A, B>
Tensor<A> dot(const Tensor<A>& a, const Tensor<B>& b) {
  detail::check_matmul_dtypes<A, B>();
  TAPEGRAD_CHECK(a.dim() == 1 && b.dim() == 1, ShapeError, "dot: expected 1-D tensors, got ",
                 a.sizes(), " and ", b.sizes());
  detail::check_inner(a.sizes(), b.sizes(), a.sizes()[0], b.sizes()[0], "dot");
  return matmul(a, b);
}

/// outer(a, b): [n] x [m] -> [n, m], a[i] * b[j].
template <Element A, Element B>
Tensor<promote_t<A, B>> outer(const Tensor<A>& a, const Tensor<B>& b) {
  TAPEGRAD_CHECK(a.dim() == 1 && b.dim() == 1, ShapeError, "outer: expected 1-D tensors, got ",
                 a.sizes(), " and ", b.sizes());
  return mul(a.unsqueeze(1), b.unsqueeze(0));
}

/// bmm(a, b): [B, n, k] @ [B, k, m] -> [B, n, m]; batch sizes must be equal.
template <Element A, Element B>
  requires detail::matmul_dtypes_ok<A, B>
Tensor<A> bmm(const Tensor<A>& a, const Tensor<B>& b) {
  detail::check_matmul_dtypes<A, B>();
  TAPEGRAD_CHECK(a.dim() == 3 && b.dim() == 3, ShapeError, "bmm: expected 3-D tensors, got ",
                 a.sizes(), " and ", b.sizes());
  TAPEGRAD_CHECK(a.sizes()[0] == b.sizes()[0], ShapeError, "bmm: batch sizes must match, got ",
                 a.sizes(), " and ", b.sizes(), " (", a.sizes()[0], " != ", b.sizes()[0], ")");
  detail::check_inner(a.sizes(), b.sizes(), a.sizes()[2], b.sizes()[1], "bmm");
  auto out = detail::batched_matmul(a, b);
  if constexpr (FloatingElement<A>) {
    if (autograd::needs_grad(a, b))
      // per batch entry: grad_a = g b^T, grad_b = a^T g
      autograd::record(out, "BmmBackward0", [sa = autograd::save(a), sb = autograd::save(b)](const Tensor<A>& g, autograd::Needs n) {
        return autograd::Grads<A>{n[0] ? detail::batched_matmul(g, detail::transposed_view(sb.get())) : Tensor<A>(),
                                  n[1] ? detail::batched_matmul(detail::transposed_view(sa.get()), g) : Tensor<A>(), {}};
      }, a, b);
  }
  return out;
}

namespace detail {
// Note [matmul grad_fn names]: PyTorch 1.13's matmul is a composite whose
// output node depends on the ranks: dot (1-D @ 1-D), mv (2-D @ 1-D), a
// squeezed mm (1-D @ 2-D), and for a 3-D or larger operand a product folded
// into one mm or a bmm, whose result is reshaped by _unsafe_view. Only a 2-D
// left operand times a batch folds the other way (b^T @ a^T, transposed back,
// then .contiguous(): a clone unless the transpose is already contiguous),
// except for a 3-D right operand whose last two dims are transposed in
// memory (it takes the bmm). tapegrad computes all of these with one node and
// names it after PyTorch's output node; backward is the same either way.
inline const char* matmul_node_name(const Shape& a, const Shape& b, const Shape& b_strides) {
  const size_t da = a.size(), db = b.size();
  if (da == 1 && db == 1) return "DotBackward0";
  if (da == 2 && db == 1) return "MvBackward0";
  if (da == 1 && db == 2) return "SqueezeBackward3";
  if (da != 2) return "UnsafeViewBackward0";
  if (db == 3 && b_strides[2] != 1 && b_strides[0] == b[1] * b[2]) return "UnsafeViewBackward0";
  // the folded result [..., n, p] transposed from [..., p, n]: contiguous if n or p is 1 or it is empty
  int64_t out_numel = a[0] * b[db - 1];
  for (size_t d = 0; d + 2 < db; ++d) out_numel *= b[d];
  return a[0] == 1 || b[db - 1] == 1 || out_numel == 0 ? "TransposeBackward0" : "CloneBackward0";
}
}  // namespace detail

/// matmul(a, b), Python's a @ b: dot for 1-D @ 1-D, mv, mm, and batched
/// products whose batch dims broadcast; a 1-D operand gets a dim of size 1
/// prepended (left) or appended (right) that is removed from the result.
template <Element A, Element B>
  requires detail::matmul_dtypes_ok<A, B>
Tensor<A> matmul(const Tensor<A>& a, const Tensor<B>& b) {
  detail::check_matmul_dtypes<A, B>();
  const int64_t da = a.dim(), db = b.dim();
  TAPEGRAD_CHECK(da >= 1 && db >= 1, ShapeError, "matmul: both arguments need to be at least 1-D, got ",
                 a.sizes(), " and ", b.sizes());
  const int64_t ka = a.sizes()[da - 1], kb = b.sizes()[db == 1 ? 0 : db - 2];
  detail::check_inner(a.sizes(), b.sizes(), ka, kb, "matmul");
  if (da == 2 && db == 2) return mm(a, b);
  // Note [Unrecorded matmul]: 1-D operands as [1, k] / [k, 1] matrices, the
  // product [..., n, m], and the added dims dropped again.
  const auto a2 = detail::as_matrix(a, true), b2 = detail::as_matrix(b, false);
  auto out = detail::batched_matmul(a2, b2);
  const Shape out_shape = out.sizes();
  Shape final_shape = out_shape;
  if (da == 1) final_shape.erase(final_shape.size() - 2);
  if (db == 1) final_shape.erase(final_shape.size() - 1);
  out = detail::make_view(out, final_shape, contiguous_strides(final_shape), 0);
  if constexpr (FloatingElement<A>) {
    if (autograd::needs_grad(a, b))
      autograd::record(out, detail::matmul_node_name(a.sizes(), b.sizes(), b.strides()),
                       detail::MatmulBackward<A>{autograd::save(a), autograd::save(b), a.sizes(), b.sizes(), false,
                                                 false, &detail::batched_matmul_backward<A>, out_shape, A(1), A(1)},
                       a, b);
  }
  return out;
}

/// mm_out(out, a, b): a @ b ([n, k] @ [k, m]) written into out [n, m], which
/// must have the operands' dtype (Note [Out variants] in elementwise.hpp). An
/// out with unit column stride that shares no memory with a or b gets the
/// product straight from the GEMM, with no temporary; returns out.
template <Element O, Element A, Element B>
const Tensor<O>& mm_out(const Tensor<O>& out, const Tensor<A>& a, const Tensor<B>& b) {
  detail::check_matmul_dtypes<A, B>();
  static_assert(std::is_same_v<O, A>, "mm_out/matmul_out: out must have the operands' dtype (PyTorch raises "
                                      "'expected out tensor to have dtype ...')");
  TAPEGRAD_CHECK(a.dim() == 2 && b.dim() == 2, ShapeError, "mm_out: expected 2-D tensors, got ", a.sizes(),
                 " and ", b.sizes());
  detail::check_inner(a.sizes(), b.sizes(), a.sizes()[1], b.sizes()[0], "mm_out");
  detail::prepare_out(out, {a.sizes()[0], b.sizes()[1]}, a.requires_grad() || b.requires_grad(), "mm_out");
  if ((out.strides()[1] == 1 || out.sizes()[1] <= 1) && !shares_storage(out, a) && !shares_storage(out, b))
    detail::gemm_strided(a.sizes()[0], b.sizes()[1], a.sizes()[1], A(1), a.data_ptr(), a.strides()[0],
                         a.strides()[1], b.data_ptr(), b.strides()[0], b.strides()[1], A(0), out.data_ptr(),
                         out.strides()[0]);  // a one-column out's column stride is never used
  else
    detail::copy_into(out, mm(a, b));
  out.storage()->bump_version();
  return out;
}
/// matmul_out(out, a, b): matmul(a, b) written into out (torch.matmul(a, b,
/// out=out)). 2-D @ 2-D runs as mm_out; the other cases compute the product
/// first and copy it.
template <Element O, Element A, Element B>
const Tensor<O>& matmul_out(const Tensor<O>& out, const Tensor<A>& a, const Tensor<B>& b) {
  if (a.dim() == 2 && b.dim() == 2) return mm_out(out, a, b);
  detail::check_matmul_dtypes<A, B>();
  static_assert(std::is_same_v<O, A>, "mm_out/matmul_out: out must have the operands' dtype (PyTorch raises "
                                      "'expected out tensor to have dtype ...')");
  TAPEGRAD_CHECK(!GradMode::is_enabled() || (!a.requires_grad() && !b.requires_grad()), ValueError,
                 "matmul_out: functions with out=... arguments don't support automatic differentiation, "
                 "but one of the arguments requires grad");
  const Tensor<A> product = matmul(a, b);
  detail::prepare_out(out, product.sizes(), false, "matmul_out");
  detail::copy_into(out, product);
  out.storage()->bump_version();
  return out;
}

template <Element T> template <Element U> Tensor<T> Tensor<T>::matmul(const Tensor<U>& o) const { return tapegrad::matmul(*this, o); }
template <Element T> template <Element U> Tensor<T> Tensor<T>::mm(const Tensor<U>& o) const { return tapegrad::mm(*this, o); }
template <Element T> template <Element U> Tensor<T> Tensor<T>::mv(const Tensor<U>& o) const { return tapegrad::mv(*this, o); }
template <Element T> template <Element U> Tensor<T> Tensor<T>::dot(const Tensor<U>& o) const { return tapegrad::dot(*this, o); }
template <Element T> template <Element U> Tensor<T> Tensor<T>::bmm(const Tensor<U>& o) const { return tapegrad::bmm(*this, o); }

}  // namespace tapegrad
