#pragma once
// gradcheck: compare autograd's gradients with central finite differences.
// Above ops/ (it differentiates through them), so not in autograd/; the
// umbrella <tapegrad/tapegrad.hpp> includes it.
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "autograd/engine.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"
#include "tensor/factory.hpp"

namespace tapegrad {

/// What gradcheck found: ok, and on failure the worst element.
struct GradcheckResult {
  bool ok = true;
  std::string message;  // names the input, the element, both values
  explicit operator bool() const { return ok; }
};

/// gradcheck(f, inputs, eps, atol, rtol): for a function of double tensors,
/// checks d sum(f(inputs) * w) / d inputs against central differences, where w
/// is a fixed pseudo-random weight (so every output element matters). Each
/// input must require grad. Reports the element with the largest violation of
/// |analytic - numeric| <= atol + rtol * |numeric|. f: any callable taking
/// `const std::vector<Tensor<double>>&` and returning a Tensor<double>.
// A template, not an inline function of std::function: an inline function's
// body instantiates every double op it uses in every program that includes
// the umbrella header, whether it calls gradcheck or not.
// D is always double; it makes the body dependent, so that nothing in it is
// instantiated before a call (GCC instantiates non-dependent calls early).
template <class F, FloatingElement D = double>
GradcheckResult gradcheck(const F& f, const std::vector<Tensor<D>>& inputs, double eps = 1e-6,
                          double atol = 1e-5, double rtol = 1e-3) {
  for (const auto& x : inputs)
    TAPEGRAD_CHECK(x.requires_grad(), ValueError,
                   "gradcheck: every input must require grad, got one of shape ", x.sizes(),
                   " that does not");
  // Analytic: one backward of the weighted sum.
  Tensor<D> out = f(inputs);
  Generator gen(1234);
  auto weight = empty<D>(out.sizes());
  weight.uniform_(0.5, 1.5, gen);
  auto scalar = [&](const Tensor<D>& y) {
    NoGradGuard g;
    return (y * weight).sum().item();
  };
  for (const auto& x : inputs) x.mutable_grad() = Tensor<D>();
  (out * weight).sum().backward();

  GradcheckResult result;
  double worst = 0;
  NoGradGuard no_grad;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& x = inputs[i];
    const std::vector<D> analytic =
        x.grad().defined() ? x.grad().to_vector() : std::vector<D>(static_cast<size_t>(x.numel()), 0.0);
    for (int64_t k = 0; k < x.numel(); ++k) {
      // Address element k in row-major order through x's own strides.
      int64_t off = 0, rem = k;
      for (int64_t d = x.dim() - 1; d >= 0; --d) {
        off += (rem % x.sizes()[d]) * x.strides()[d];
        rem /= x.sizes()[d];
      }
      D& v = x.data_ptr()[off];
      const D saved = v;
      v = saved + eps;
      const double plus = scalar(f(inputs));
      v = saved - eps;
      const double minus = scalar(f(inputs));
      v = saved;
      const double numeric = (plus - minus) / (2 * eps);
      const double got = analytic[static_cast<size_t>(k)];
      const double excess = std::abs(got - numeric) - (atol + rtol * std::abs(numeric));
      if (excess > worst || (std::isnan(got) != std::isnan(numeric))) {
        worst = std::isnan(excess) ? INFINITY : excess;
        std::ostringstream os;
        os << "gradcheck: input " << i << " (shape " << static_cast<const Shape&>(x.sizes()) << "), element " << k
           << ": analytic " << got << " vs numeric " << numeric << " (atol " << atol << ", rtol "
           << rtol << ")";
        result.ok = false;
        result.message = os.str();
      }
    }
  }
  return result;
}

}  // namespace tapegrad
