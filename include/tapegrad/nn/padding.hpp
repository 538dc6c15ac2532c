#pragma once
// torch.nn.functional.pad and one_hot in tapegrad::nn::functional
// (tapegrad::F), and the padding modules ZeroPad2d, ConstantPad1d/2d/3d,
// ReflectionPad1d/2d/3d, ReplicationPad1d/2d/3d and CircularPad1d/2d/3d, all
// on the one pad of ops/pad.hpp (Note [One pad]).
#include <initializer_list>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "../ops/conv.hpp"
#include "../ops/index.hpp"
#include "../ops/pad.hpp"
#include "functional.hpp"
#include "module.hpp"

namespace tapegrad::nn {

namespace functional {
using tapegrad::one_hot;
using tapegrad::pad;
}  // namespace functional

enum class PadKind { zero, constant, reflect, replicate, circular };

/// The padding modules (ZeroPad2d, ConstantPad1d ... CircularPad3d below):
/// x -> F::pad(x, padding, mode, value), padding an int (every side) or 2 * D
/// values (left, right of the last dim, then of the dim before, ...).
template <FloatingElement T, int D, PadKind K>
class PadNd : public Module<T> {
 public:
  explicit PadNd(ExpandingArray<2 * D> padding) requires(K != PadKind::constant) : p_(padding) {}
  explicit PadNd(std::initializer_list<int64_t> padding) requires(K != PadKind::constant) : p_(padding) {}
  PadNd(ExpandingArray<2 * D> padding, double value) requires(K == PadKind::constant) : p_(padding), value_(value) {}
  Tensor<T> forward(const Tensor<T>& x) override {
    static constexpr const char* modes[5] = {"constant", "constant", "reflect", "replicate", "circular"};
    return F::pad(x, std::vector<int64_t>(p_.v.begin(), p_.v.end()), modes[static_cast<int>(K)], value_);
  }
  std::shared_ptr<Module<T>> clone() const override { return this->clone_as(*this); }
  std::string name() const override {
    static constexpr const char* kinds[5] = {"Zero", "Constant", "Reflection", "Replication", "Circular"};
    return std::string(kinds[static_cast<int>(K)]) + "Pad" + std::to_string(D) + "d";
  }
  std::string extra_repr() const override {
    std::ostringstream os;
    if (K == PadKind::constant) os << "padding=" << p_ << ", value=" << detail::py_float(value_);
    else os << p_;
    return os.str();
  }
  const ExpandingArray<2 * D>& padding() const { return p_; }
  double value() const { return value_; }

 private:
  ExpandingArray<2 * D> p_;
  double value_ = 0;
};

/// ZeroPad2d(padding): the last two dims padded with zeros.
template <FloatingElement T = float>
using ZeroPad2d = PadNd<T, 2, PadKind::zero>;
/// ConstantPad1d/2d/3d(padding, value): the last 1, 2 or 3 dims padded with value.
template <FloatingElement T = float>
using ConstantPad1d = PadNd<T, 1, PadKind::constant>;
template <FloatingElement T = float>
using ConstantPad2d = PadNd<T, 2, PadKind::constant>;
template <FloatingElement T = float>
using ConstantPad3d = PadNd<T, 3, PadKind::constant>;
/// ReflectionPad1d/2d/3d(padding): x [(N,) C, *] mirrored about its edges (F::pad "reflect").
template <FloatingElement T = float>
using ReflectionPad1d = PadNd<T, 1, PadKind::reflect>;
template <FloatingElement T = float>
using ReflectionPad2d = PadNd<T, 2, PadKind::reflect>;
template <FloatingElement T = float>
using ReflectionPad3d = PadNd<T, 3, PadKind::reflect>;
/// ReplicationPad1d/2d/3d(padding): x [(N,) C, *] with its edges repeated (F::pad "replicate").
template <FloatingElement T = float>
using ReplicationPad1d = PadNd<T, 1, PadKind::replicate>;
template <FloatingElement T = float>
using ReplicationPad2d = PadNd<T, 2, PadKind::replicate>;
template <FloatingElement T = float>
using ReplicationPad3d = PadNd<T, 3, PadKind::replicate>;
/// CircularPad1d/2d/3d(padding), PyTorch 2.1's modules over 1.13's F::pad
/// "circular" (so a batched input [N, C, *]): x wrapped around.
template <FloatingElement T = float>
using CircularPad1d = PadNd<T, 1, PadKind::circular>;
template <FloatingElement T = float>
using CircularPad2d = PadNd<T, 2, PadKind::circular>;
template <FloatingElement T = float>
using CircularPad3d = PadNd<T, 3, PadKind::circular>;

}  // namespace tapegrad::nn
