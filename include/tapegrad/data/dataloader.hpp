#pragma once
// DataLoader: mini-batches over a pair of tensors (samples along dim 0), like
// torch.utils.data.DataLoader over a TensorDataset, with shuffle and
// drop_last.
//
//   data::DataLoader loader(images, labels, {.batch_size = 256, .shuffle = true});
//   for (auto& [x, y] : loader) { ... }   // x: [B, 784] float, y: [B] int64
//
// Note [DataLoader batches]: each batch is a fresh contiguous tensor pair
// gathered with one memcpy per sample (one per batch without shuffle); there
// are no other allocations per batch. A large shuffled batch is gathered by
// get_num_threads() threads (the pool of core/parallel.hpp), each a share of
// its rows.
//
// Data may be kept in a compact dtype and converted per batch, as
// torchvision's ToTensor does per sample:
//
//   data::DataLoader loader(mnist.pixels(), mnist.labels(), {...}, 255.0f);
//   // x = float(pixel) / 255: the same values as mnist.images(), but each
//   // epoch reads 47 MB of uint8 instead of 188 MB of float
//
// The shuffled gather is bound by memory traffic (rows scattered over the
// whole data set), so reading a quarter of the bytes makes it faster. Each begin() starts an epoch: with
// shuffle it draws a new randperm from the generator, so a seeded generator
// gives the same sequence of epochs run to run.
#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <utility>

#include "../core/error.hpp"
#include "../core/generator.hpp"
#include "../core/parallel.hpp"
#include "../core/shape.hpp"
#include "../ops/shape.hpp"
#include "../tensor/factory.hpp"
#include "../tensor/tensor.hpp"

namespace tapegrad::data {

/// The indices an epoch reads, in order (torch.utils.data.Sampler), e.g.
/// DistributedSampler (data/distributed_sampler.hpp).
class Sampler {
 public:
  virtual ~Sampler() = default;
  /// Number of indices per epoch (len(sampler)).
  virtual int64_t size() const = 0;
  /// This epoch's indices: [size()] int64, each in [0, number of samples).
  virtual Tensor<int64_t> indices() const = 0;
};

struct DataLoaderOptions {
  int64_t batch_size = 1;
  /// A new random order every epoch.
  bool shuffle = false;
  /// Leave out the last batch when it would be smaller than batch_size.
  bool drop_last = false;
  /// The generator shuffling draws from; null means default_generator().
  Generator* generator = nullptr;
  /// Where the indices come from instead (not owned; excludes shuffle).
  const Sampler* sampler = nullptr;
};

/// One mini-batch: x [B, ...] and y [B, ...], both contiguous copies.
template <Element X, Element Y>
struct Batch {
  Tensor<X> x;
  Tensor<Y> y;
};

/// X, Y: the batch dtypes; S: the dtype the data is kept in (X unless the
/// converting constructor is used).
template <Element X, Element Y, Element S = X>
class DataLoader {
  struct end_tag {};

 public:
  using batch_type = Batch<X, Y>;

  /// data: [N, ...], targets: [N, ...]; sample i is (data[i], targets[i]).
  /// Non-contiguous inputs are copied once here, never per batch.
  DataLoader(const Tensor<X>& data, const Tensor<Y>& targets, DataLoaderOptions options = {})
    requires std::same_as<S, X>
      : DataLoader(data, targets, options, X(1), 0) {}

  /// data: [N, ...] of dtype S, kept as it is; each batch's x is
  /// X(data[i]) / divisor (ToTensor: float(uint8) / 255).
  DataLoader(const Tensor<S>& data, const Tensor<Y>& targets, DataLoaderOptions options, X divisor)
    requires(!std::same_as<S, X>)
      : DataLoader(data, targets, options, divisor, 0) {}

 private:
  DataLoader(const Tensor<S>& data, const Tensor<Y>& targets, DataLoaderOptions options, X divisor, int)
      : divisor_(divisor), options_(options) {
    using tapegrad::detail::throw_error;
    if (!data.defined() || !targets.defined())
      throw_error<ValueError>("DataLoader: data and targets must be defined tensors");
    if (data.dim() == 0 || targets.dim() == 0)
      throw_error<ShapeError>("DataLoader: data and targets need a sample dimension (dim 0), got ",
                              data.sizes(), " and ", targets.sizes());
    if (data.size(0) != targets.size(0))
      throw_error<ShapeError>("DataLoader: data has ", data.size(0), " samples but targets has ",
                              targets.size(0), " (dim 0 of ", data.sizes(), " and ",
                              targets.sizes(), ")");
    if (options_.batch_size <= 0)
      throw_error<ValueError>("DataLoader: batch_size must be positive, got ",
                              options_.batch_size);
    if (options_.sampler && options_.shuffle)
      throw_error<ValueError>("DataLoader: sampler option is mutually exclusive with shuffle");
    if constexpr (!std::same_as<S, X>)
      if (!(divisor != X(0)))
        throw_error<ValueError>("DataLoader: the divisor must be non-zero, got ", divisor);
    data_ = data.contiguous();
    targets_ = targets.contiguous();
  }

 public:

  /// Iterator over one epoch's batches (an input iterator: one pass).
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = batch_type;
    using difference_type = std::ptrdiff_t;
    using pointer = batch_type*;
    using reference = batch_type&;

    iterator() = default;
    batch_type& operator*() { return batch_; }
    batch_type* operator->() { return &batch_; }
    iterator& operator++() {
      ++index_;
      load();
      return *this;
    }
    void operator++(int) { ++*this; }
    /// Iterators compare by batch index (end() is index size()).
    bool operator==(const iterator& o) const { return index_ == o.index_; }

   private:
    friend class DataLoader;
    iterator(const DataLoader* loader, Tensor<int64_t> order, int64_t index)
        : loader_(loader), order_(std::move(order)), index_(index) {
      load();
    }
    iterator(const DataLoader* loader, int64_t index, end_tag) : loader_(loader), index_(index) {}
    void load() {
      if (index_ == loader_->sampler_exhausted_at()) loader_->draw_sampler_tail();
      if (index_ < loader_->size()) batch_ = loader_->make_batch(order_, index_);
      else batch_ = batch_type{};  // release the last batch
    }

    const DataLoader* loader_ = nullptr;
    Tensor<int64_t> order_;  // this epoch's permutation; undefined without shuffle
    int64_t index_ = 0;
    batch_type batch_;
  };

  /// Start an epoch (with shuffle: a new permutation from the generator).
  /// Note [DataLoader draws as PyTorch's]: every epoch draws what
  /// torch.utils.data.DataLoader(TensorDataset, shuffle=...) with
  /// num_workers=0 draws, in its order, so the orders and everything drawn
  /// after them (dropout masks, ...) match PyTorch's for the same seed: one
  /// 64-bit base seed (the workers' seed, drawn even without shuffle and
  /// unused here); then, with shuffle, RandomSampler's permutation: without a
  /// generator, a second 64-bit draw taken modulo 2^63 seeds a fresh
  /// Generator for randperm(n); with one, randperm(n) draws from it, and
  /// when the epoch runs to its end RandomSampler draws one more randperm(n)
  /// from it (its `randperm(n)[:num_samples % n]`, empty), at the batch where
  /// PyTorch's BatchSampler exhausts the sampler (sampler_exhausted_at). An
  /// epoch left early does not draw it, as in PyTorch.
  iterator begin() const {
    Generator& gen = options_.generator ? *options_.generator : default_generator();
    gen.random64();  // _BaseDataLoaderIter's _base_seed
    Tensor<int64_t> order;
    if (options_.sampler) {
      order = options_.sampler->indices();
      TAPEGRAD_CHECK(order.numel() == options_.sampler->size(), ValueError, "DataLoader: the sampler gave ",
                     order.numel(), " indices but its size() is ", options_.sampler->size());
      const int64_t* o = order.data_ptr();
      for (int64_t i = 0; i < order.numel(); ++i)
        TAPEGRAD_CHECK(o[i] >= 0 && o[i] < num_samples(), IndexError, "DataLoader: sampler index ", o[i],
                       " is out of range for ", num_samples(), " samples");
    } else if (options_.shuffle) {
      if (options_.generator) {
        order = randperm(num_samples(), gen);
      } else {
        Generator sampler(gen.random64() % (1ULL << 63));
        order = randperm(num_samples(), sampler);
      }
    }
    return iterator(this, std::move(order), 0);
  }
  iterator end() const { return iterator(this, size(), end_tag{}); }

  /// Number of batches per epoch (len(loader)).
  int64_t size() const {
    const int64_t n = epoch_samples(), b = options_.batch_size;
    return options_.drop_last ? n / b : (n + b - 1) / b;
  }
  /// Number of samples (len(loader.dataset)).
  int64_t num_samples() const { return data_.size(0); }
  /// Number of samples an epoch reads: the sampler's size() or num_samples().
  int64_t epoch_samples() const { return options_.sampler ? options_.sampler->size() : num_samples(); }
  const DataLoaderOptions& options() const { return options_; }
  const Tensor<S>& data() const { return data_; }
  const Tensor<Y>& targets() const { return targets_; }

 private:
  // The batch whose loading finds PyTorch's sampler exhausted: the last,
  // partial one if it is kept, else the end (the call that stops iteration).
  int64_t sampler_exhausted_at() const {
    const bool partial_kept = !options_.drop_last && num_samples() % options_.batch_size != 0;
    return partial_kept ? size() - 1 : size();
  }
  // Note [DataLoader draws as PyTorch's]: RandomSampler's trailing randperm.
  void draw_sampler_tail() const {
    if (options_.shuffle && options_.generator) (void)randperm(num_samples(), *options_.generator);
  }

  batch_type make_batch(const Tensor<int64_t>& order, int64_t index) const {
    const int64_t start = index * options_.batch_size;
    const int64_t count = std::min(options_.batch_size, epoch_samples() - start);
    const int64_t* idx = order.defined() ? order.data_ptr() + start : nullptr;
    return {gather<X>(data_, idx, start, count, divisor_), gather<Y>(targets_, idx, start, count, Y(1))};
  }

  // Shuffled rows are scattered over the whole data set (47 MB of MNIST
  // bytes, 188 MB as floats), so each row starts with a cache miss: the
  // gathers fetch the row ahead_rows() ahead while copying this one, about
  // 4 KiB ahead and at least 2 rows: far enough for the miss to be over when
  // the row is copied, for float rows and for MNIST's short byte rows alike.
  static int64_t ahead_rows(size_t row_bytes) {
    return std::max<int64_t>(2, static_cast<int64_t>(4096 / std::max<size_t>(row_bytes, 1)));
  }
  static void prefetch([[maybe_unused]] const void* p, [[maybe_unused]] size_t bytes) {
#if defined(__GNUC__) || defined(__clang__)
    const char* c = static_cast<const char*>(p);
    for (size_t i = 0; i < bytes; i += 64) __builtin_prefetch(c + i);
#endif
  }

  /// Smallest batch (bytes written) whose shuffled gather is split between
  /// threads (Note [DataLoader batches]).
  static constexpr size_t kParallelGatherBytes = 64 * 1024;

  // Rows start..start+count of src, or rows idx[0..count) when idx is given,
  // as T (divided by `divisor` when converting from another dtype). A
  // shuffled gather of at least kParallelGatherBytes runs on get_num_threads()
  // threads, each copying a contiguous share of the batch's rows: each row
  // starts with a cache miss, and two threads keep twice as many in flight
  // (MNIST's batch of 256 on two threads: bench/mnist.md).
  template <Element T, Element U>
  static Tensor<T> gather(const Tensor<U>& src, const int64_t* idx, int64_t start, int64_t count,
                          [[maybe_unused]] T divisor) {
    Shape sizes = src.sizes();
    sizes[0] = count;
    Tensor<T> out = tapegrad::detail::make_empty<T>(sizes);
    const int64_t row = count > 0 ? out.numel() / count : 0;
    if (row == 0) return out;
    const U* in = src.data_ptr();
    T* o = out.data_ptr();
    const size_t row_bytes = sizeof(U) * static_cast<size_t>(row);
    const int64_t ahead = ahead_rows(row_bytes);
    if (!idx) {
      if constexpr (std::same_as<T, U>) {
        std::memcpy(o, in + start * row, row_bytes * static_cast<size_t>(count));
      } else {
        const U* r = in + start * row;
        for (int64_t c = 0; c < count * row; ++c) o[c] = static_cast<T>(r[c]) / divisor;
      }
      return out;
    }
    // rows [k0, k1) of the batch
    const auto rows = [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k) {
        if (k + ahead < k1) prefetch(in + idx[k + ahead] * row, row_bytes);
        const U* r = in + idx[k] * row;
        T* d = o + k * row;
        if constexpr (std::same_as<T, U>) {
          std::memcpy(d, r, row_bytes);
        } else {
          for (int64_t c = 0; c < row; ++c) d[c] = static_cast<T>(r[c]) / divisor;
        }
      }
    };
    const int64_t parts = sizeof(T) * static_cast<size_t>(count * row) >= kParallelGatherBytes
                              ? std::min<int64_t>(get_num_threads(), count)
                              : 1;
    if (parts <= 1) {
      rows(0, count);
    } else {
      tapegrad::detail::parallel_for(parts, static_cast<int>(parts),
                                     [&](int64_t t) { rows(count * t / parts, count * (t + 1) / parts); });
    }
    return out;
  }

  Tensor<S> data_;
  Tensor<Y> targets_;
  X divisor_;
  DataLoaderOptions options_;
};

template <Element X, Element Y>
DataLoader(const Tensor<X>&, const Tensor<Y>&, DataLoaderOptions = {}) -> DataLoader<X, Y>;
template <Element S, Element Y, Element X>
DataLoader(const Tensor<S>&, const Tensor<Y>&, DataLoaderOptions, X) -> DataLoader<X, Y, S>;

}  // namespace tapegrad::data
