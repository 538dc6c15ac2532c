#pragma once
// The three in-place tensor updates that torch.optim's single-tensor loops are
// written with, rounded as PyTorch 1.13's CPU kernels round them, for the
// optimizers written after SGD and Adam (RMSprop, Adagrad, Adadelta, NAdam,
// RAdam).
//
// Note [Optimizer rounding]: PyTorch's vectorised CPU kernels (AVX2/AVX-512,
// what x86-64 users run) compute a.add_(b, alpha=s) as one fused multiply-add
// fma(s, b, a), a.addcmul_(b, c, value=s) as fma(s * b, c, a), and
// a.addcdiv_(b, c, value=s) as a + (s * b) / c without fusion; tensor * scalar,
// tensor / scalar and tensor + scalar round once (the scalar cast to the
// tensor's dtype first), and `scalar / tensor` is tensor.reciprocal() * scalar.
// Checked bit for bit in float32 and float64 by tools/gen_ref_optim2.py (its
// gradients are recorded, not recomputed, so nothing else differs). std::fma
// is exact on every platform (one instruction with -march=native or on
// aarch64, a libm call otherwise), so the updates round as PyTorch's on x86-64
// builds of PyTorch whatever tapegrad is compiled for.
#include <cmath>
#include <cstddef>

#include "../core/dtype.hpp"
#include "../core/error.hpp"

namespace tapegrad::optim::detail {

/// a.add_(b, alpha=s)
template <FloatingElement T>
T torch_add(T a, T b, T s) {
  return std::fma(s, b, a);
}
/// a.addcmul_(b, c, value=s)
template <FloatingElement T>
T torch_addcmul(T a, T b, T c, T s) {
  return std::fma(s * b, c, a);
}
/// a.addcdiv_(b, c, value=s)
template <FloatingElement T>
T torch_addcdiv(T a, T b, T c, T s) {
  return a + s * b / c;
}

/// The option checks NAdam and RAdam share with Adam, in PyTorch's order and words.
template <class Options>
void check_adam_like_options(const Options& o, const char* name) {
  TAPEGRAD_CHECK(0.0 <= o.lr, ValueError, name, ": invalid learning rate: ", o.lr);
  TAPEGRAD_CHECK(0.0 <= o.eps, ValueError, name, ": invalid epsilon value: ", o.eps);
  for (size_t k = 0; k < 2; ++k)
    TAPEGRAD_CHECK(0.0 <= o.betas[k] && o.betas[k] < 1.0, ValueError, name, ": invalid beta parameter at index ", k,
                   ": ", o.betas[k]);
  TAPEGRAD_CHECK(0.0 <= o.weight_decay, ValueError, name, ": invalid weight_decay value: ", o.weight_decay);
}

}  // namespace tapegrad::optim::detail
