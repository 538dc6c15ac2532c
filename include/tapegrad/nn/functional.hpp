#pragma once
// torch.nn.functional: activations, linear, dropout and the losses, stateless.
// Also reachable as tapegrad::F (`F::cross_entropy(logits, target)`).
#include <cmath>
#include <optional>

#include "../ops/compare.hpp"
#include "../ops/elementwise.hpp"
#include "../ops/matmul.hpp"
#include "../ops/reduce.hpp"
#include "../ops/shape.hpp"

namespace tapegrad::nn {

/// How a loss combines its per-element values (PyTorch's reduction='mean').
enum class Reduction { none, mean, sum };

inline const char* to_string(Reduction r) {
  return r == Reduction::none ? "none" : (r == Reduction::mean ? "mean" : "sum");
}

/// Options of cross_entropy and nll_loss, as PyTorch's keyword arguments.
template <FloatingElement T>
struct CrossEntropyOptions {
  Reduction reduction = Reduction::mean;
  int64_t ignore_index = -100;
  double label_smoothing = 0.0;
  Tensor<T> weight{};  // per-class weight [C], or undefined
};

namespace functional {

template <Element T> Tensor<T> relu(const Tensor<T>& x) { return tapegrad::relu(x); }
template <Element T> auto sigmoid(const Tensor<T>& x) { return tapegrad::sigmoid(x); }
template <Element T> auto tanh(const Tensor<T>& x) { return tapegrad::tanh(x); }
template <Element T> Tensor<T> softmax(const Tensor<T>& x, int64_t dim) { return tapegrad::softmax(x, dim); }
template <Element T> Tensor<T> log_softmax(const Tensor<T>& x, int64_t dim) { return tapegrad::log_softmax(x, dim); }

/// linear(x, weight, bias): x @ weight^T + bias, as one GEMM with the bias
/// added by its beta term (addmm). x: [..., in], weight: [out, in], bias: [out].
template <FloatingElement T>
Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& bias = Tensor<T>()) {
  TAPEGRAD_CHECK(weight.dim() == 2, ShapeError, "linear: weight must be 2-D [out, in], got shape ",
                 weight.sizes());
  TAPEGRAD_CHECK(x.dim() >= 1 && x.sizes()[x.dim() - 1] == weight.sizes()[1], ShapeError,
                 "linear: input of shape ", x.sizes(), " does not fit weight of shape ", weight.sizes(),
                 " (expected input [..., ", weight.sizes()[1], "])");
  if (bias.defined())
    TAPEGRAD_CHECK(bias.dim() == 1 && bias.sizes()[0] == weight.sizes()[0], ShapeError,
                   "linear: bias of shape ", bias.sizes(), " does not fit weight of shape ",
                   weight.sizes(), " (expected [", weight.sizes()[0], "])");
  // The GEMM entry that may skip the zeros of a mostly-zero input (Note
  // [Dense and sparse entries] in kernels/gemm.hpp), forward and backward.
  const auto product = [&](const Tensor<T>& x2) {
    return bias.defined() ? tapegrad::detail::addmm_impl<true>(bias, x2, weight.t(), 1, 1)
                          : tapegrad::detail::mm_impl<true>(x2, weight.t(), "mm");
  };
  if (x.dim() == 2) return product(x);
  // Fold leading dims into rows: [..., in] -> [rows, in] -> [..., out].
  Shape out_shape = x.sizes();
  out_shape.back() = weight.sizes()[0];
  return product(x.reshape({-1, weight.sizes()[1]})).view(out_shape);
}

namespace detail {
// Note [Dropout's mask]: PyTorch fills a contiguous noise tensor by
// bernoulli_(1 - p), one double uniform (two generator words) per element in
// memory order, and scales it by 1 / (1 - p) in T. dropout_noise makes the
// same values in one pass: the words are drawn in blocks
// (Generator::Draws::random_fill) and the comparison is done on integers:
// uniform_double() < keep is x 2^-53 < keep for the 53-bit integer x, both
// sides exact in double (a power-of-two scale), i.e. x < ceil(keep 2^53).
// A kept element is 1 * scale = scale, a dropped one 0 * scale = 0, so the
// noise is scale or 0 exactly as bernoulli_ then the product gave it.

/// noise[0..n) = scale where the next double uniform of gen is < keep, else 0.
template <FloatingElement T>
void dropout_noise(T* noise, int64_t n, double keep, T scale, Generator& gen) {
  const auto thr = static_cast<uint64_t>(std::ceil(keep * 0x1.0p53));
  constexpr int64_t kBlock = 512;
  uint32_t w[2 * kBlock];
  Generator::Draws d(gen);
  for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
    const int64_t m = n - i0 < kBlock ? n - i0 : kBlock;
    d.random_fill(w, 2 * m);
    T* out = noise + i0;
    for (int64_t i = 0; i < m; ++i) {
      // random64(): the first word high; uniform_double keeps its low 53 bits
      const uint64_t x = (static_cast<uint64_t>(w[2 * i] & 0x1fffffU) << 32) | w[2 * i + 1];
      out[i] = x < thr ? scale : T(0);
    }
  }
}
}  // namespace detail

/// dropout(x, p, training): zero each element with probability p and scale
/// the rest by 1 / (1 - p); identity when not training. The mask is
/// PyTorch's: a contiguous noise tensor filled by bernoulli_(1 - p), divided
/// by 1 - p in T, so manual_seed(s) drops the elements PyTorch drops
/// (made in one pass, Note [Dropout's mask]).
template <FloatingElement T>
Tensor<T> dropout(const Tensor<T>& x, double p = 0.5, bool training = true,
                  Generator& gen = default_generator()) {
  TAPEGRAD_CHECK(p >= 0 && p <= 1, ValueError,
                 "dropout: probability has to be between 0 and 1, but got ", p);
  if (!training || p == 0 || x.numel() == 0) return x;
  if (p == 1) return mul(x, zeros<T>({}));
  auto noise = empty<T>(x.sizes());
  const T keep = static_cast<T>(1 - p), scale = T(1) / keep;
  detail::dropout_noise(noise.data_ptr(), noise.numel(), 1 - p, scale, gen);
  return mul(x, noise);
}

namespace detail {
template <FloatingElement T>
void check_class_targets(const Tensor<T>& input, const Tensor<int64_t>& target, const Tensor<T>& weight,
                         int64_t ignore_index, const char* op) {
  TAPEGRAD_CHECK(input.dim() == 2 && target.dim() == 1 && target.sizes()[0] == input.sizes()[0],
                 ShapeError, op, ": expected input [N, C] and target [N], got input ", input.sizes(),
                 " and target ", target.sizes());
  const int64_t n = input.sizes()[0], c = input.sizes()[1];
  if (weight.defined())
    TAPEGRAD_CHECK(weight.dim() == 1 && weight.sizes()[0] == c, ShapeError, op,
                   ": weight must have one entry per class, got shape ", weight.sizes(), " for ", c,
                   " classes");
  auto t = target.contiguous();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t v = t.data_ptr()[i];
    TAPEGRAD_CHECK(v == ignore_index || (v >= 0 && v < c), IndexError, op, ": target ", v,
                   " is out of bounds for ", c, " classes (row ", i, ")");
  }
}

// Note [Fused cross-entropy]: with logp = log_softmax(x) and per-row target
// weights g_i (the one-hot part scaled by the class weight, plus the label
// smoothing part spread over all classes), the loss is -sum_ij g_ij logp_ij
// and its gradient is softmax(x)_i * sum_j g_ij - g_i: one pass over the rows,
// finite for any logits because logp never overflows.
template <FloatingElement T>
Tensor<T> cross_entropy_impl(const Tensor<T>& input, const Tensor<int64_t>& target,
                             const CrossEntropyOptions<T>& o, bool input_is_log_prob, const char* op,
                             const char* backward_name) {
  check_class_targets(input, target, o.weight, o.ignore_index, op);
  TAPEGRAD_CHECK(o.label_smoothing >= 0 && o.label_smoothing <= 1, ValueError, op,
                 ": label_smoothing must be between 0.0 and 1.0, got ", o.label_smoothing);
  const int64_t n = input.sizes()[0], c = input.sizes()[1];
  auto logp = input_is_log_prob ? input.detach().contiguous()
                                : tapegrad::detail::softmax_impl<T, true>(input.detach(), 1);
  auto tgt = target.contiguous();
  auto w = o.weight.defined() ? o.weight.detach().contiguous() : Tensor<T>();
  const T eps = static_cast<T>(o.label_smoothing);
  const T* lp = logp.data_ptr();
  const int64_t* tp = tgt.data_ptr();
  auto wc = [&](int64_t k) { return w.defined() ? w.data_ptr()[k] : T(1); };

  // Per-row nll and smoothing terms, and the normalisers of the mean.
  std::vector<T> nll(static_cast<size_t>(n), T(0)), smooth(static_cast<size_t>(n), T(0));
  T weight_total = 0;
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t t = tp[i];
    if (t == o.ignore_index) continue;
    ++kept;
    weight_total += wc(t);
    nll[static_cast<size_t>(i)] = -wc(t) * lp[i * c + t];
    if (eps > 0) {
      T s = 0;
      for (int64_t j = 0; j < c; ++j) s -= wc(j) * lp[i * c + j];
      smooth[static_cast<size_t>(i)] = s;
    }
  }
  // PyTorch 1.13: the nll part is averaged over the target weights; the
  // smoothing part over the same weights when a weight is given, else over
  // the rows not ignored.
  const T nll_norm = o.reduction == Reduction::mean ? T(1) / weight_total : T(1);
  const T smooth_norm = o.reduction == Reduction::mean ? (w.defined() ? T(1) / weight_total : T(1) / static_cast<T>(kept)) : T(1);
  const T a = T(1) - eps, b = eps / static_cast<T>(c);

  Tensor<T> out;
  if (o.reduction == Reduction::none) {
    out = tapegrad::detail::make_empty<T>({n});
    for (int64_t i = 0; i < n; ++i)
      out.data_ptr()[i] = a * nll[static_cast<size_t>(i)] + b * smooth[static_cast<size_t>(i)];
  } else {
    T sn = 0, ss = 0;
    for (int64_t i = 0; i < n; ++i) sn += nll[static_cast<size_t>(i)], ss += smooth[static_cast<size_t>(i)];
    out = tensor<T>(a * sn * nll_norm + (eps > 0 ? b * ss * smooth_norm : T(0)));
  }

  if (autograd::needs_grad(input, o.weight)) {
    TAPEGRAD_CHECK(!o.weight.defined() || !o.weight.requires_grad(), ValueError, op,
                   ": gradients with respect to the class weight are not supported");
    autograd::record(out, backward_name,
        [logp, tgt, w, a, b, nll_norm, smooth_norm, c, n, ignore = o.ignore_index, input_is_log_prob,
         reduction = o.reduction](const Tensor<T>& g, autograd::Needs) {
          auto gin = tapegrad::detail::make_empty<T>({n, c});
          const T* lp = logp.data_ptr();
          const int64_t* tp = tgt.data_ptr();
          const Tensor<T> gc = g.contiguous();  // g may be a broadcast view (sum's backward)
          const T* gp = gc.data_ptr();
          T* out = gin.data_ptr();
          for (int64_t i = 0; i < n; ++i) {
            T* row = out + i * c;
            const int64_t t = tp[i];
            const T up = reduction == Reduction::none ? gp[i] : gp[0];
            if (t == ignore) {
              std::fill(row, row + c, T(0));
              continue;
            }
            // g_ij: the target distribution of row i (Note [Fused cross-entropy])
            const T an = a * nll_norm * up, bs = b * smooth_norm * up;
            T total = 0;
            for (int64_t j = 0; j < c; ++j) {
              const T wj = w.defined() ? w.data_ptr()[j] : T(1);
              row[j] = bs * wj;
              total += row[j];
            }
            const T wt = w.defined() ? w.data_ptr()[t] : T(1);
            row[t] += an * wt;
            total += an * wt;
            for (int64_t j = 0; j < c; ++j)
              row[j] = input_is_log_prob ? -row[j] : std::exp(lp[i * c + j]) * total - row[j];
          }
          return autograd::Grads<T>{gin, {}, {}};
        },
        input);
  }
  return out;
}
}  // namespace detail

namespace detail {
// Note [Class dimension]: PyTorch's cross_entropy and nll_loss take input
// [C] (one sample), [N, C] or [N, C, d1, ...] with target [], [N] or
// [N, d1, ...]. The fused kernel works on rows: the class dim is moved last
// and the positions become rows ([N * d1 * ..., C]), which gives PyTorch's
// mean (over all positions, weighted) unchanged; reduction none gets the
// target's shape back.
template <FloatingElement T>
Tensor<T> class_loss(const Tensor<T>& input, const Tensor<int64_t>& target, const CrossEntropyOptions<T>& o,
                     bool log_probs, const char* op, const char* backward_name) {
  if (input.dim() == 2) return cross_entropy_impl(input, target, o, log_probs, op, backward_name);
  const bool fits = input.dim() == 1 ? target.dim() == 0
                                     : input.dim() >= 3 && target.dim() == input.dim() - 1 && target.sizes()[0] == input.sizes()[0] &&
                                           Shape(input.sizes().begin() + 2, input.sizes().end()) ==
                                               Shape(target.sizes().begin() + 1, target.sizes().end());
  TAPEGRAD_CHECK(fits, ShapeError, op, ": expected input [C], [N, C] or [N, C, d1, ...] and target [], [N] or "
                 "[N, d1, ...], got input ", input.sizes(), " and target ", target.sizes());
  if (input.dim() == 1) {
    auto out = cross_entropy_impl(input.unsqueeze(0), target.reshape({1}), o, log_probs, op, backward_name);
    return o.reduction == Reduction::none ? out.view({}) : out;
  }
  Shape perm{0};
  for (int64_t d = 2; d < input.dim(); ++d) perm.push_back(d);
  perm.push_back(1);
  const int64_t c = input.sizes()[1];
  auto out = cross_entropy_impl(input.permute(perm).reshape({-1, c}), target.reshape({-1}), o, log_probs, op,
                                backward_name);
  return o.reduction == Reduction::none ? out.view(target.sizes()) : out;
}
}  // namespace detail

/// cross_entropy(logits [N, C] or [N, C, d1, ...] or [C], target class
/// indices [N] / [N, d1, ...] / []): log_softmax and the negative
/// log-likelihood fused (Note [Fused cross-entropy], Note [Class dimension]);
/// with reduction, ignore_index, label_smoothing and a class weight as PyTorch.
template <FloatingElement T>
Tensor<T> cross_entropy(const Tensor<T>& logits, const Tensor<int64_t>& target,
                        const CrossEntropyOptions<T>& options = {}) {
  return detail::class_loss(logits, target, options, false, "cross_entropy", "NllLossBackward0");
}

/// cross_entropy(logits, probabilities): target of the input's shape holding
/// class probabilities (PyTorch's "soft labels"): -sum_c w_c t_c log_softmax(x)_c
/// per position, t smoothed by label_smoothing; mean divides by the number of
/// positions (N * d1 * ...). ignore_index does not apply.
template <FloatingElement T>
Tensor<T> cross_entropy(const Tensor<T>& logits, const Tensor<T>& target, const CrossEntropyOptions<T>& o = {}) {
  TAPEGRAD_CHECK(logits.dim() >= 1 && target.sizes() == logits.sizes(), ShapeError,
                 "cross_entropy: probability targets must have the input's shape, got input ", logits.sizes(),
                 " and target ", target.sizes());
  TAPEGRAD_CHECK(o.label_smoothing >= 0 && o.label_smoothing <= 1, ValueError,
                 "cross_entropy: label_smoothing must be between 0.0 and 1.0, got ", o.label_smoothing);
  const int64_t cdim = logits.dim() == 1 ? 0 : 1, c = logits.sizes()[cdim];
  auto t = o.label_smoothing > 0 ? target * static_cast<T>(1 - o.label_smoothing) + static_cast<T>(o.label_smoothing / double(c))
                                 : target;
  auto prod = tapegrad::log_softmax(logits, cdim) * t;
  if (o.weight.defined()) {
    TAPEGRAD_CHECK(o.weight.dim() == 1 && o.weight.sizes()[0] == c, ShapeError,
                   "cross_entropy: weight must have one entry per class, got shape ", o.weight.sizes(), " for ", c,
                   " classes");
    Shape ws(logits.dim() - cdim, 1);
    ws[0] = c;
    prod = prod * o.weight.reshape(ws);
  }
  auto per = neg(sum(prod, cdim));
  if (o.reduction == Reduction::none) return per;
  return o.reduction == Reduction::sum ? sum(per) : mean(per);
}

/// nll_loss(log_probs [N, C] (or [N, C, d1, ...], [C]), target [N] (...)):
/// -log_probs[i, target[i]], reduced.
template <FloatingElement T>
Tensor<T> nll_loss(const Tensor<T>& log_probs, const Tensor<int64_t>& target,
                   CrossEntropyOptions<T> options = {}) {
  TAPEGRAD_CHECK(options.label_smoothing == 0, ValueError,
                 "nll_loss: label_smoothing is an option of cross_entropy, not nll_loss");
  return detail::class_loss(log_probs, target, options, true, "nll_loss", "NllLossBackward0");
}

namespace detail {
template <FloatingElement T>
Tensor<T> reduce_loss(const Tensor<T>& per_element, Reduction r) {
  if (r == Reduction::none) return per_element;
  return r == Reduction::mean ? mean(per_element) : sum(per_element);
}
// Note [Loss target shapes]: PyTorch 1.13's elementwise losses (mse_loss,
// l1_loss, smooth_l1_loss, huber_loss) broadcast a target of another shape
// and warn that this "will likely lead to incorrect results"; a prediction
// [N] against a target [N, 1] silently becomes an [N, N] loss. tapegrad
// refuses every shape mismatch instead: an error, never a wrong answer.
template <Element A, Element B>
void check_same_shape(const Tensor<A>& input, const Tensor<B>& target, const char* op) {
  TAPEGRAD_CHECK(input.sizes() == target.sizes(), ShapeError, op,
                 ": target shape ", target.sizes(), " must match input shape ", input.sizes());
}
}  // namespace detail

/// mse_loss(input, target): (input - target)^2, reduced.
template <FloatingElement T>
Tensor<T> mse_loss(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction = Reduction::mean) {
  detail::check_same_shape(input, target, "mse_loss");
  auto d = input - target;
  return autograd::renamed(detail::reduce_loss(d * d, reduction), "MseLossBackward0");
}

/// binary_cross_entropy(p, y): -(y log p + (1 - y) log(1 - p)) with each log
/// clamped at -100 as PyTorch, so p = 0 or 1 gives a finite loss.
template <FloatingElement T>
Tensor<T> binary_cross_entropy(const Tensor<T>& input, const Tensor<T>& target,
                               const Tensor<T>& weight = Tensor<T>(), Reduction reduction = Reduction::mean) {
  detail::check_same_shape(input, target, "binary_cross_entropy");
  {
    auto p = input.detach().contiguous();
    for (int64_t i = 0; i < p.numel(); ++i) {
      const T v = p.data_ptr()[i];
      TAPEGRAD_CHECK(v >= T(0) && v <= T(1), ValueError,
                     "binary_cross_entropy: all elements of input should be between 0 and 1, got ", v);
    }
  }
  Tensor<T> loss = tapegrad::detail::map2<T, T>(input.detach(), target.detach(), [](T p, T y) {
    return -(y * std::max(std::log(p), T(-100)) + (T(1) - y) * std::max(std::log1p(-p), T(-100)));
  }, "binary_cross_entropy");
  if (autograd::needs_grad(input, target)) {
    // d/dp = (p - y) / max(p (1 - p), 1e-12f), as PyTorch (whose epsilon is a float also in double);
    // d/dy = max(log(1 - p), -100) - max(log p, -100)
    autograd::record(loss, "BinaryCrossEntropyBackward0",
        [p = autograd::save(input), y = autograd::save(target)](const Tensor<T>& g, autograd::Needs n) {
          autograd::Grads<T> r;
          if (n[0])
            r[0] = mul(g, tapegrad::detail::map2<T, T>(p.get(), y.get(), [](T pv, T yv) {
              return (pv - yv) / std::max(pv * (T(1) - pv), static_cast<T>(1e-12f));
            }, "binary_cross_entropy"));
          if (n[1])
            r[1] = mul(g, tapegrad::detail::map1<T, T>(p.get(), [](T pv) {
              return std::max(std::log1p(-pv), T(-100)) - std::max(std::log(pv), T(-100));
            }));
          return r;
        }, input, target);
  }
  if (weight.defined()) loss = loss * weight;
  return autograd::renamed(detail::reduce_loss(loss, reduction), "BinaryCrossEntropyBackward0");
}

/// binary_cross_entropy_with_logits(x, y): sigmoid and BCE fused, stable for
/// large |x|: (1 - y) x + l (log1p(exp(-|x|)) + max(-x, 0)), l = 1 + (pos_weight - 1) y.
template <FloatingElement T>
Tensor<T> binary_cross_entropy_with_logits(const Tensor<T>& input, const Tensor<T>& target,
                                           const Tensor<T>& weight = Tensor<T>(),
                                           const Tensor<T>& pos_weight = Tensor<T>(),
                                           Reduction reduction = Reduction::mean) {
  detail::check_same_shape(input, target, "binary_cross_entropy_with_logits");
  auto lw = pos_weight.defined() ? (target.detach() * (pos_weight.detach() - T(1)) + T(1)) : ones_like(target);
  auto loss = tapegrad::detail::map3<T, T>(lw, input.detach(), target.detach(), [](T l, T x, T y) {
    return (T(1) - y) * x + l * (std::log1p(std::exp(-std::abs(x))) + std::max(-x, T(0)));
  }, "binary_cross_entropy_with_logits");
  if (autograd::needs_grad(input, target)) {
    // d/dx = (1 - y) - l (1 - sigmoid(x)) (= sigmoid(x) - y without pos_weight);
    // d/dy = -x + (pos_weight - 1) softplus(-x)
    autograd::record(loss, "BinaryCrossEntropyWithLogitsBackward0",
        [x = autograd::save(input), y = autograd::save(target), lw,
         pw = pos_weight.defined() ? pos_weight.detach() : Tensor<T>()](const Tensor<T>& g, autograd::Needs n) {
          autograd::Grads<T> r;
          if (n[0])
            r[0] = mul(g, tapegrad::detail::map3<T, T>(lw, x.get(), y.get(), [](T l, T xv, T yv) {
              return (T(1) - yv) - l * (T(1) / (T(1) + std::exp(xv)));
            }, "binary_cross_entropy_with_logits"));
          if (n[1]) {
            const Tensor<T> w = pw.defined() ? pw : ones_like(x.get());
            r[1] = mul(g, tapegrad::detail::map2<T, T>(w, x.get(), [](T wv, T xv) {
              return -xv + (wv - T(1)) * (std::log1p(std::exp(-std::abs(xv))) + std::max(-xv, T(0)));
            }, "binary_cross_entropy_with_logits"));
          }
          return r;
        }, input, target);
  }
  if (weight.defined()) loss = loss * weight;
  return autograd::renamed(detail::reduce_loss(loss, reduction), "BinaryCrossEntropyWithLogitsBackward0");
}

}  // namespace functional
}  // namespace tapegrad::nn

namespace tapegrad {
namespace F = nn::functional;
}
