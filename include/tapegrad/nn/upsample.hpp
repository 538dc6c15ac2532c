#pragma once
// Upsample, UpsamplingNearest2d and UpsamplingBilinear2d (modules over
// F::interpolate, ops/interpolate.hpp) with PyTorch 1.13's arguments and
// printed form.
#include <optional>
#include <string>
#include <utility>

#include "../ops/interpolate.hpp"
#include "functional.hpp"
#include "module.hpp"

namespace tapegrad::nn {

namespace functional {
using tapegrad::interpolate;
}  // namespace functional

/// Upsample(size, scale_factor, mode = "nearest", align_corners, recompute_scale_factor):
/// x [N, C, *spatial] -> F::interpolate(x, size, scale_factor, ...). As PyTorch, the
/// scale factors are kept as floats and printed as such.
template <FloatingElement T = float>
class Upsample : public Module<T> {
 public:
  explicit Upsample(ScalarOrTuple<int64_t> size = {}, ScalarOrTuple<double> scale_factor = {},
                    std::string mode = "nearest", std::optional<bool> align_corners = std::nullopt,
                    std::optional<bool> recompute_scale_factor = std::nullopt)
      : size_(std::move(size)), scale_(std::move(scale_factor)), mode_(std::move(mode)), align_(align_corners),
        recompute_(recompute_scale_factor) {}
  // a lone size tuple, `Upsample<>({3, 4})` (else ambiguous with the copy constructor)
  explicit Upsample(std::initializer_list<int64_t> size) : Upsample(ScalarOrTuple<int64_t>(size)) {}
  template <FloatingElement U>
  explicit Upsample(const Upsample<U>& o)
      : size_(o.size()), scale_(o.scale_factor()), mode_(o.mode()), align_(o.align_corners()),
        recompute_(o.recompute_scale_factor()), name_(o.name()) {
    this->convert_from(o);
  }
  Tensor<T> forward(const Tensor<T>& x) override {
    return F::interpolate(x, size_, scale_, mode_, align_, recompute_);
  }
  std::shared_ptr<Module<T>> clone() const override { return this->clone_as(*this); }
  std::string name() const override { return name_; }
  std::string extra_repr() const override {
    return (scale_.has_value() ? "scale_factor=" + scale_.repr() : "size=" + size_.repr()) + ", mode=" + mode_;
  }
  const ScalarOrTuple<int64_t>& size() const { return size_; }
  const ScalarOrTuple<double>& scale_factor() const { return scale_; }
  const std::string& mode() const { return mode_; }
  std::optional<bool> align_corners() const { return align_; }
  std::optional<bool> recompute_scale_factor() const { return recompute_; }

 protected:
  Upsample(std::string name, ScalarOrTuple<int64_t> size, ScalarOrTuple<double> scale_factor, std::string mode,
           std::optional<bool> align_corners)
      : Upsample(std::move(size), std::move(scale_factor), std::move(mode), align_corners) {
    name_ = std::move(name);
  }

 private:
  ScalarOrTuple<int64_t> size_;
  ScalarOrTuple<double> scale_;
  std::string mode_;
  std::optional<bool> align_, recompute_;
  std::string name_ = "Upsample";
};

/// UpsamplingNearest2d(size, scale_factor): Upsample in mode nearest, for [N, C, H, W].
template <FloatingElement T = float>
class UpsamplingNearest2d : public Upsample<T> {
 public:
  explicit UpsamplingNearest2d(ScalarOrTuple<int64_t> size = {}, ScalarOrTuple<double> scale_factor = {})
      : Upsample<T>("UpsamplingNearest2d", std::move(size), std::move(scale_factor), "nearest", std::nullopt) {}
  explicit UpsamplingNearest2d(std::initializer_list<int64_t> size) : UpsamplingNearest2d(ScalarOrTuple<int64_t>(size)) {}
};

/// UpsamplingBilinear2d(size, scale_factor): Upsample in mode bilinear with
/// align_corners = true, for [N, C, H, W].
template <FloatingElement T = float>
class UpsamplingBilinear2d : public Upsample<T> {
 public:
  explicit UpsamplingBilinear2d(ScalarOrTuple<int64_t> size = {}, ScalarOrTuple<double> scale_factor = {})
      : Upsample<T>("UpsamplingBilinear2d", std::move(size), std::move(scale_factor), "bilinear", true) {}
  explicit UpsamplingBilinear2d(std::initializer_list<int64_t> size) : UpsamplingBilinear2d(ScalarOrTuple<int64_t>(size)) {}
};

}  // namespace tapegrad::nn
