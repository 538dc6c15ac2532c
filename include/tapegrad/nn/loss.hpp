#pragma once
// Loss modules: CrossEntropyLoss, NLLLoss, MSELoss, BCELoss, BCEWithLogitsLoss.
// Each holds its options and calls the functional form: loss(input, target).
#include "functional.hpp"

namespace tapegrad::nn {

template <FloatingElement T = float>
class CrossEntropyLoss {
 public:
  explicit CrossEntropyLoss(CrossEntropyOptions<T> options = {}) : options_(std::move(options)) {}
  Tensor<T> operator()(const Tensor<T>& logits, const Tensor<int64_t>& target) const {
    return F::cross_entropy(logits, target, options_);
  }
  const CrossEntropyOptions<T>& options() const { return options_; }

 private:
  CrossEntropyOptions<T> options_;
};

template <FloatingElement T = float>
class NLLLoss {
 public:
  explicit NLLLoss(CrossEntropyOptions<T> options = {}) : options_(std::move(options)) {}
  Tensor<T> operator()(const Tensor<T>& log_probs, const Tensor<int64_t>& target) const {
    return F::nll_loss(log_probs, target, options_);
  }

 private:
  CrossEntropyOptions<T> options_;
};

template <FloatingElement T = float>
class MSELoss {
 public:
  explicit MSELoss(Reduction reduction = Reduction::mean) : reduction_(reduction) {}
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) const {
    return F::mse_loss(input, target, reduction_);
  }

 private:
  Reduction reduction_;
};

template <FloatingElement T = float>
class BCELoss {
 public:
  explicit BCELoss(Tensor<T> weight = {}, Reduction reduction = Reduction::mean)
      : weight_(std::move(weight)), reduction_(reduction) {}
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) const {
    return F::binary_cross_entropy(input, target, weight_, reduction_);
  }

 private:
  Tensor<T> weight_;
  Reduction reduction_;
};

template <FloatingElement T = float>
class BCEWithLogitsLoss {
 public:
  explicit BCEWithLogitsLoss(Tensor<T> weight = {}, Reduction reduction = Reduction::mean,
                             Tensor<T> pos_weight = {})
      : weight_(std::move(weight)), pos_weight_(std::move(pos_weight)), reduction_(reduction) {}
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) const {
    return F::binary_cross_entropy_with_logits(input, target, weight_, pos_weight_, reduction_);
  }

 private:
  Tensor<T> weight_, pos_weight_;
  Reduction reduction_;
};

}  // namespace tapegrad::nn
