#pragma once
// batch_norm, group_norm and instance_norm with PyTorch's semantics on
// [N, C, *] tensors, including the running statistics of batch and instance
// norm (momentum, the unbiased variance in the running estimate). One
// forward and one backward serve all three (Note [Normalization as per-plane
// affine maps] in kernels/norm.hpp).
#include <cmath>
#include <vector>

#include "../kernels/norm.hpp"
#include "conv.hpp"  // detail::contiguous_data

namespace tapegrad {

namespace detail {

/// Which planes of x [n, c, plane] share statistics: per channel over the
/// batch (batch norm, `groups` = 0), or per sample and group of channels.
struct NormLayout {
  int64_t n, c, plane, groups;
  int64_t stats() const { return groups == 0 ? c : n * groups; }
  int64_t stat_of(int64_t p) const { return groups == 0 ? p % c : (p / c) * groups + (p % c) / (c / groups); }
  /// Elements that share one statistic.
  int64_t count() const { return groups == 0 ? n * plane : c / groups * plane; }
};

/// The mean and biased variance of each statistic's elements of x.
template <FloatingElement T>
void norm_stats(const NormLayout& l, const T* x, std::vector<double>& mean, std::vector<double>& var) {
  const int64_t planes = l.n * l.c, k = l.stats();
  std::vector<double> pm(static_cast<size_t>(planes)), pq(static_cast<size_t>(planes));
  kernels::plane_stats<T>(planes, l.plane, x, pm.data(), pq.data());
  mean.assign(static_cast<size_t>(k), 0.0), var.assign(static_cast<size_t>(k), 0.0);
  const double per = static_cast<double>(l.count() / std::max<int64_t>(l.plane, 1));  // planes per statistic
  for (int64_t p = 0; p < planes; ++p) mean[static_cast<size_t>(l.stat_of(p))] += pm[static_cast<size_t>(p)] / per;
  // Chan's combination of the planes' moments (all planes hold `plane` elements)
  for (int64_t p = 0; p < planes; ++p) {
    const auto s = static_cast<size_t>(l.stat_of(p));
    const double d = pm[static_cast<size_t>(p)] - mean[s];
    var[s] += pq[static_cast<size_t>(p)] + static_cast<double>(l.plane) * d * d;
  }
  for (auto& v : var) v /= static_cast<double>(l.count());
}

/// running = (1 - momentum) running + momentum value, in place (not recorded).
template <FloatingElement T>
void update_running(const Tensor<T>& running, const std::vector<double>& value, double momentum) {
  if (!running.defined()) return;
  NoGradGuard no_grad;
  T* r = running.data_ptr();
  const int64_t st = running.strides()[0];
  for (size_t i = 0; i < value.size(); ++i) {
    T& e = r[static_cast<int64_t>(i) * st];
    e = static_cast<T>((1 - momentum) * static_cast<double>(e) + momentum * value[i]);
  }
  running.storage()->bump_version();
}

/// y = (x - mean) * invstd * weight + bias with the statistics of layout l.
/// input_stats: mean and invstd were computed from x (their gradients count).
template <FloatingElement T>
Tensor<T> normalize(const char* node, const Tensor<T>& x, const Tensor<T>& weight, const Tensor<T>& bias,
                    const NormLayout& l, std::vector<double> mean, std::vector<double> invstd, bool input_stats) {
  const Tensor<T> xd = contiguous_data(x);
  const Tensor<T> wd = weight.defined() ? contiguous_data(weight) : Tensor<T>();
  const Tensor<T> bd = bias.defined() ? contiguous_data(bias) : Tensor<T>();
  const int64_t planes = l.n * l.c;
  std::vector<T> scale(static_cast<size_t>(planes)), shift(static_cast<size_t>(planes));
  for (int64_t p = 0; p < planes; ++p) {
    const auto s = static_cast<size_t>(l.stat_of(p));
    const int64_t ch = p % l.c;
    const double w = wd.defined() ? static_cast<double>(wd.data_ptr()[ch]) : 1.0;
    const double b = bd.defined() ? static_cast<double>(bd.data_ptr()[ch]) : 0.0;
    scale[static_cast<size_t>(p)] = static_cast<T>(w * invstd[s]);
    shift[static_cast<size_t>(p)] = static_cast<T>(b - mean[s] * w * invstd[s]);
  }
  auto out = make_empty<T>(x.sizes());
  if (planes > 0) kernels::plane_affine<T>(planes, l.plane, xd.data_ptr(), scale.data(), shift.data(), out.data_ptr());
  if (autograd::needs_grad(x, weight, bias)) {
    // With xhat = (x - mean) invstd: dbias = sum dy, dweight = sum dy xhat,
    // dx = w invstd (dy - mean(dy) - xhat mean(dy xhat)) over the elements
    // that share a statistic when it came from x, else w invstd dy
    autograd::record(out, node,
        [sx = autograd::save(xd), wd, l, mean = std::move(mean), invstd = std::move(invstd),
         input_stats](const Tensor<T>& grad, autograd::Needs n) {
          const Tensor<T> dy = contiguous_data(grad);
          const T* xs = sx.get().data_ptr();
          const int64_t planes = l.n * l.c, k = l.stats();
          std::vector<double> sdy(static_cast<size_t>(planes)), sdyx(static_cast<size_t>(planes));
          if (planes > 0) kernels::plane_grad_sums<T>(planes, l.plane, dy.data_ptr(), xs, sdy.data(), sdyx.data());
          auto w_of = [&](int64_t p) { return wd.defined() ? static_cast<double>(wd.data_ptr()[p % l.c]) : 1.0; };
          // per plane: sum dy xhat; per statistic: the weighted sums S1, S2
          std::vector<double> sxh(static_cast<size_t>(planes)), s1(static_cast<size_t>(k)), s2(static_cast<size_t>(k));
          for (int64_t p = 0; p < planes; ++p) {
            const auto s = static_cast<size_t>(l.stat_of(p)), pi = static_cast<size_t>(p);
            sxh[pi] = invstd[s] * (sdyx[pi] - mean[s] * sdy[pi]);
            s1[s] += w_of(p) * sdy[pi], s2[s] += w_of(p) * sxh[pi];
          }
          autograd::Grads<T> r;
          if (n[0]) {
            const double m = static_cast<double>(l.count());
            std::vector<T> a(static_cast<size_t>(planes)), b(a.size()), c(a.size());
            for (int64_t p = 0; p < planes; ++p) {
              const auto s = static_cast<size_t>(l.stat_of(p)), pi = static_cast<size_t>(p);
              const double is = invstd[s], bp = input_stats ? -is * is * s2[s] / m : 0.0;
              a[pi] = static_cast<T>(w_of(p) * is);
              b[pi] = static_cast<T>(bp);
              c[pi] = static_cast<T>(input_stats ? -is * s1[s] / m - bp * mean[s] : 0.0);
            }
            r[0] = make_empty<T>(sx.sizes());
            if (planes > 0)
              kernels::plane_affine2<T>(planes, l.plane, dy.data_ptr(), xs, a.data(), b.data(), c.data(),
                                        r[0].data_ptr());
          }
          for (int i = 1; i < 3; ++i) {
            if (!n[static_cast<size_t>(i)]) continue;
            auto g = zeros<T>({l.c});
            for (int64_t p = 0; p < planes; ++p)
              g.data_ptr()[p % l.c] += static_cast<T>(i == 1 ? sxh[static_cast<size_t>(p)] : sdy[static_cast<size_t>(p)]);
            r[static_cast<size_t>(i)] = g;
          }
          return r;
        }, x, weight, bias);
  }
  return out;
}

inline NormLayout norm_layout(const char* op, const Shape& s) {
  TAPEGRAD_CHECK(s.size() >= 2, ShapeError, op, ": expected an input [N, C, *] of at least 2 dimensions, got input",
                 s);
  int64_t plane = 1;
  for (int64_t d = 2; d < s.size(); ++d) plane *= s[d];
  return {s[0], s[1], plane, 0};
}

template <FloatingElement T>
void check_channel_vector(const char* op, const char* what, const Tensor<T>& t, int64_t c, const Shape& xs) {
  if (t.defined())
    TAPEGRAD_CHECK(t.dim() == 1 && t.sizes()[0] == c, ShapeError, op, ": expected ", what, " [", c,
                   "] for input", xs, ", got ", what, t.sizes());
}

inline std::vector<double> inverse_std(const std::vector<double>& var, double eps) {
  std::vector<double> out(var.size());
  for (size_t i = 0; i < var.size(); ++i) out[i] = 1 / std::sqrt(var[i] + eps);
  return out;
}

template <FloatingElement T>
std::vector<double> as_doubles(const Tensor<T>& t) {
  std::vector<double> out;
  for (T v : t.to_vector()) out.push_back(static_cast<double>(v));
  return out;
}

}  // namespace detail

/// batch_norm(input [N, C, *], running_mean [C], running_var [C], weight [C], bias [C],
/// training, momentum, eps): normalizes each channel with the batch's statistics
/// (training; running_* updated with momentum, unbiased variance) or the running ones.
template <FloatingElement T>
Tensor<T> batch_norm(const Tensor<T>& input, const Tensor<T>& running_mean, const Tensor<T>& running_var,
                     const Tensor<T>& weight = Tensor<T>(), const Tensor<T>& bias = Tensor<T>(), bool training = false,
                     double momentum = 0.1, double eps = 1e-5) {
  const char* op = "batch_norm";
  const detail::NormLayout l = detail::norm_layout(op, input.sizes());
  detail::check_channel_vector(op, "running_mean", running_mean, l.c, input.sizes());
  detail::check_channel_vector(op, "running_var", running_var, l.c, input.sizes());
  detail::check_channel_vector(op, "weight", weight, l.c, input.sizes());
  detail::check_channel_vector(op, "bias", bias, l.c, input.sizes());
  std::vector<double> mean, var;
  if (training) {
    TAPEGRAD_CHECK(l.count() > 1, ValueError, op, ": expected more than 1 value per channel when training, got input",
                   input.sizes());
    const Tensor<T> xd = detail::contiguous_data(input);
    detail::norm_stats(l, xd.data_ptr(), mean, var);
    detail::update_running(running_mean, mean, momentum);
    std::vector<double> unbiased(var);
    const double m = static_cast<double>(l.count());
    for (auto& v : unbiased) v *= m / (m - 1);
    detail::update_running(running_var, unbiased, momentum);
  } else {
    TAPEGRAD_CHECK(running_mean.defined() && running_var.defined(), ValueError, op,
                   ": running_mean and running_var must be defined in evaluation mode");
    mean = detail::as_doubles(running_mean), var = detail::as_doubles(running_var);
  }
  return detail::normalize("NativeBatchNormBackward0", input, weight, bias, l, mean, detail::inverse_std(var, eps),
                           training);
}

/// group_norm(input [N, C, *], num_groups, weight [C], bias [C], eps): normalizes
/// each sample's groups of C / num_groups channels.
template <FloatingElement T>
Tensor<T> group_norm(const Tensor<T>& input, int64_t num_groups, const Tensor<T>& weight = Tensor<T>(),
                     const Tensor<T>& bias = Tensor<T>(), double eps = 1e-5) {
  const char* op = "group_norm";
  detail::NormLayout l = detail::norm_layout(op, input.sizes());
  TAPEGRAD_CHECK(num_groups > 0 && l.c % num_groups == 0, ValueError, op,
                 ": expected the number of channels of input", input.sizes(), " to be divisible by num_groups (",
                 num_groups, ")");
  detail::check_channel_vector(op, "weight", weight, l.c, input.sizes());
  detail::check_channel_vector(op, "bias", bias, l.c, input.sizes());
  l.groups = num_groups;
  std::vector<double> mean, var;
  const Tensor<T> xd = detail::contiguous_data(input);
  detail::norm_stats(l, xd.data_ptr(), mean, var);
  return detail::normalize("NativeGroupNormBackward0", input, weight, bias, l, mean, detail::inverse_std(var, eps), true);
}

/// instance_norm(input [N, C, *], running_mean [C], running_var [C], weight [C], bias [C],
/// use_input_stats, momentum, eps): normalizes each (sample, channel) plane; the
/// running statistics get the batch's mean of the planes' statistics.
template <FloatingElement T>
Tensor<T> instance_norm(const Tensor<T>& input, const Tensor<T>& running_mean = Tensor<T>(),
                        const Tensor<T>& running_var = Tensor<T>(), const Tensor<T>& weight = Tensor<T>(),
                        const Tensor<T>& bias = Tensor<T>(), bool use_input_stats = true, double momentum = 0.1,
                        double eps = 1e-5) {
  const char* op = "instance_norm";
  detail::NormLayout l = detail::norm_layout(op, input.sizes());
  if (!use_input_stats) return batch_norm(input, running_mean, running_var, weight, bias, false, momentum, eps);
  detail::check_channel_vector(op, "running_mean", running_mean, l.c, input.sizes());
  detail::check_channel_vector(op, "running_var", running_var, l.c, input.sizes());
  detail::check_channel_vector(op, "weight", weight, l.c, input.sizes());
  detail::check_channel_vector(op, "bias", bias, l.c, input.sizes());
  TAPEGRAD_CHECK(l.plane > 1, ValueError, op, ": expected more than 1 spatial element when training, got input",
                 input.sizes());
  l.groups = l.c;
  std::vector<double> mean, var;
  const Tensor<T> xd = detail::contiguous_data(input);
  detail::norm_stats(l, xd.data_ptr(), mean, var);
  if (running_mean.defined() || running_var.defined()) {
    // as PyTorch: each plane's statistics update a copy of the running ones,
    // and the copies are averaged over the batch
    std::vector<double> bm(static_cast<size_t>(l.c)), bv(static_cast<size_t>(l.c));
    const double pl = static_cast<double>(l.plane), n = static_cast<double>(l.n);
    for (int64_t s = 0; s < l.n; ++s)
      for (int64_t c = 0; c < l.c; ++c) {
        const auto i = static_cast<size_t>(s * l.c + c);
        bm[static_cast<size_t>(c)] += mean[i] / n;
        bv[static_cast<size_t>(c)] += var[i] * pl / (pl - 1) / n;
      }
    detail::update_running(running_mean, bm, momentum);
    detail::update_running(running_var, bv, momentum);
  }
  return detail::normalize("NativeBatchNormBackward0", input, weight, bias, l, mean, detail::inverse_std(var, eps), true);
}

}  // namespace tapegrad
