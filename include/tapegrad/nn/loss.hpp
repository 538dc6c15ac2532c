#pragma once
// Loss modules: CrossEntropyLoss, NLLLoss, MSELoss, BCELoss, BCEWithLogitsLoss,
// L1Loss, SmoothL1Loss, HuberLoss, KLDivLoss, MarginRankingLoss,
// CosineEmbeddingLoss, TripletMarginLoss. Each holds its options and calls
// the functional form: loss(input, target), or loss(x1, x2, y).
#include <ostream>
#include <string>

#include "functional.hpp"
#include "functional_loss.hpp"

namespace tapegrad::nn {

namespace detail {
// Note [Loss repr]: PyTorch 1.13's loss modules define no extra_repr, so each
// prints as its class name and "()" whatever its options:
// nn.MSELoss(reduction='sum') prints MSELoss(). repr() returns that, and
// `os << loss` writes it.
template <class Loss>
struct PrintsRepr {
  friend std::ostream& operator<<(std::ostream& os, const Loss& loss) { return os << loss.repr(); }
};
}  // namespace detail

template <FloatingElement T = float>
class CrossEntropyLoss : public detail::PrintsRepr<CrossEntropyLoss<T>> {
 public:
  /// "CrossEntropyLoss()", as PyTorch prints it (Note [Loss repr]).
  std::string repr() const { return "CrossEntropyLoss()"; }
  explicit CrossEntropyLoss(CrossEntropyOptions<T> options = {}) : options_(std::move(options)) {}
  Tensor<T> operator()(const Tensor<T>& logits, const Tensor<int64_t>& target) const {
    return F::cross_entropy(logits, target, options_);
  }
  /// With class probabilities as the target (of the logits' shape).
  Tensor<T> operator()(const Tensor<T>& logits, const Tensor<T>& target) const {
    return F::cross_entropy(logits, target, options_);
  }
  const CrossEntropyOptions<T>& options() const { return options_; }

 private:
  CrossEntropyOptions<T> options_;
};

template <FloatingElement T = float>
class NLLLoss : public detail::PrintsRepr<NLLLoss<T>> {
 public:
  /// "NLLLoss()", as PyTorch prints it (Note [Loss repr]).
  std::string repr() const { return "NLLLoss()"; }
  explicit NLLLoss(CrossEntropyOptions<T> options = {}) : options_(std::move(options)) {}
  Tensor<T> operator()(const Tensor<T>& log_probs, const Tensor<int64_t>& target) const {
    return F::nll_loss(log_probs, target, options_);
  }

 private:
  CrossEntropyOptions<T> options_;
};

template <FloatingElement T = float>
class MSELoss : public detail::PrintsRepr<MSELoss<T>> {
 public:
  /// "MSELoss()", as PyTorch prints it (Note [Loss repr]).
  std::string repr() const { return "MSELoss()"; }
  explicit MSELoss(Reduction reduction = Reduction::mean) : reduction_(reduction) {}
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) const {
    return F::mse_loss(input, target, reduction_);
  }

 private:
  Reduction reduction_;
};

template <FloatingElement T = float>
class BCELoss : public detail::PrintsRepr<BCELoss<T>> {
 public:
  /// "BCELoss()", as PyTorch prints it (Note [Loss repr]).
  std::string repr() const { return "BCELoss()"; }
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
class BCEWithLogitsLoss : public detail::PrintsRepr<BCEWithLogitsLoss<T>> {
 public:
  /// "BCEWithLogitsLoss()", as PyTorch prints it (Note [Loss repr]).
  std::string repr() const { return "BCEWithLogitsLoss()"; }
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

// Losses of (input, target) whose options are a reduction and one number.
#define TAPEGRAD_PAIR_LOSS(Name, fn, Arg, default_value)                                  \
  template <FloatingElement T = float>                                                   \
  class Name : public detail::PrintsRepr<Name<T>> {                                      \
   public:                                                                               \
    std::string repr() const { return #Name "()"; }                                      \
    explicit Name(Reduction reduction = Reduction::mean, double Arg = default_value)    \
        : reduction_(reduction), arg_(Arg) {}                                            \
    Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) const {        \
      return F::fn(input, target, reduction_, arg_);                                     \
    }                                                                                    \
                                                                                         \
   private:                                                                              \
    Reduction reduction_;                                                                \
    double arg_;                                                                         \
  };
TAPEGRAD_PAIR_LOSS(SmoothL1Loss, smooth_l1_loss, beta, 1.0)
TAPEGRAD_PAIR_LOSS(HuberLoss, huber_loss, delta, 1.0)
#undef TAPEGRAD_PAIR_LOSS

template <FloatingElement T = float>
class L1Loss : public detail::PrintsRepr<L1Loss<T>> {
 public:
  /// "L1Loss()", as PyTorch prints it (Note [Loss repr]).
  std::string repr() const { return "L1Loss()"; }
  explicit L1Loss(Reduction reduction = Reduction::mean) : reduction_(reduction) {}
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) const {
    return F::l1_loss(input, target, reduction_);
  }

 private:
  Reduction reduction_;
};

/// KLDivLoss(reduction = mean, log_target = false); input: log-probabilities.
template <FloatingElement T = float>
class KLDivLoss : public detail::PrintsRepr<KLDivLoss<T>> {
 public:
  /// "KLDivLoss()", as PyTorch prints it (Note [Loss repr]).
  std::string repr() const { return "KLDivLoss()"; }
  explicit KLDivLoss(F::KLDivReduction reduction = F::KLDivReduction::mean, bool log_target = false)
      : reduction_(reduction), log_target_(log_target) {}
  Tensor<T> operator()(const Tensor<T>& input, const Tensor<T>& target) const {
    return F::kl_div(input, target, reduction_, log_target_);
  }

 private:
  F::KLDivReduction reduction_;
  bool log_target_;
};

/// MarginRankingLoss(margin = 0): loss(x1, x2, y).
template <FloatingElement T = float>
class MarginRankingLoss : public detail::PrintsRepr<MarginRankingLoss<T>> {
 public:
  /// "MarginRankingLoss()", as PyTorch prints it (Note [Loss repr]).
  std::string repr() const { return "MarginRankingLoss()"; }
  explicit MarginRankingLoss(double margin = 0, Reduction reduction = Reduction::mean)
      : margin_(margin), reduction_(reduction) {}
  Tensor<T> operator()(const Tensor<T>& x1, const Tensor<T>& x2, const Tensor<T>& y) const {
    return F::margin_ranking_loss(x1, x2, y, margin_, reduction_);
  }

 private:
  double margin_;
  Reduction reduction_;
};

/// CosineEmbeddingLoss(margin = 0): loss(x1, x2, y).
template <FloatingElement T = float>
class CosineEmbeddingLoss : public detail::PrintsRepr<CosineEmbeddingLoss<T>> {
 public:
  /// "CosineEmbeddingLoss()", as PyTorch prints it (Note [Loss repr]).
  std::string repr() const { return "CosineEmbeddingLoss()"; }
  explicit CosineEmbeddingLoss(double margin = 0, Reduction reduction = Reduction::mean)
      : margin_(margin), reduction_(reduction) {}
  Tensor<T> operator()(const Tensor<T>& x1, const Tensor<T>& x2, const Tensor<T>& y) const {
    return F::cosine_embedding_loss(x1, x2, y, margin_, reduction_);
  }

 private:
  double margin_;
  Reduction reduction_;
};

/// Options of TripletMarginLoss, as PyTorch's keywords.
struct TripletMarginLossOptions {
  double margin = 1.0, p = 2, eps = 1e-6;
  bool swap = false;
  Reduction reduction = Reduction::mean;
};

/// TripletMarginLoss({.margin, .p, .eps, .swap, .reduction}): loss(anchor, positive, negative).
template <FloatingElement T = float>
class TripletMarginLoss : public detail::PrintsRepr<TripletMarginLoss<T>> {
 public:
  /// "TripletMarginLoss()", as PyTorch prints it (Note [Loss repr]).
  std::string repr() const { return "TripletMarginLoss()"; }
  explicit TripletMarginLoss(TripletMarginLossOptions o = {}) : o_(o) {}
  Tensor<T> operator()(const Tensor<T>& anchor, const Tensor<T>& positive, const Tensor<T>& negative) const {
    return F::triplet_margin_loss(anchor, positive, negative, o_.margin, o_.p, o_.eps, o_.swap, o_.reduction);
  }

 private:
  TripletMarginLossOptions o_;
};

}  // namespace tapegrad::nn
