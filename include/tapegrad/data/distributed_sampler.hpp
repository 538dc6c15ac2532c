#pragma once
// DistributedSampler: the share of a data set's indices that one rank of a
// data-parallel job reads in an epoch, as torch.utils.data.DistributedSampler
// (PyTorch's padding and striding rules). No MPI here: rank and world size
// are given (tapegrad::distributed::get_rank() / get_world_size()).
//
//   data::DistributedSampler sampler(train.size(), rank, world, /*shuffle=*/true, /*seed=*/0);
//   data::DataLoader loader(x, y, {.batch_size = 128, .sampler = &sampler});
//   for (int epoch = 0; epoch < n; ++epoch) {
//     sampler.set_epoch(epoch);   // a new order every epoch, the same on every rank
//     for (auto& [xb, yb] : loader) { ... }
//   }
//
// Note [DistributedSampler order]: all ranks draw the same permutation (from
// a Generator seeded with seed + epoch), pad it (drop_last = false) by
// repeating its head, or cut it (drop_last = true), to a multiple of the
// world size, and rank r takes elements r, r + world, r + 2 world, ... So
// together the ranks see every sample once per epoch (plus the padding). The
// permutation is tapegrad's randperm, not torch's (Note [Reproducible random
// numbers]): the same rules, a different order than PyTorch's shuffle.
#include <cstdint>
#include <string>

#include "../core/error.hpp"
#include "../core/generator.hpp"
#include "../tensor/factory.hpp"
#include "dataloader.hpp"

namespace tapegrad::data {

class DistributedSampler : public Sampler {
 public:
  /// The indices of a data set of dataset_size samples that rank (of world)
  /// reads; see Note [DistributedSampler order].
  DistributedSampler(int64_t dataset_size, int rank, int world, bool shuffle = true, uint64_t seed = 0,
                     bool drop_last = false)
      : n_(dataset_size), rank_(rank), world_(world), shuffle_(shuffle), seed_(seed), drop_last_(drop_last) {
    TAPEGRAD_CHECK(world > 0, ValueError, "DistributedSampler: num_replicas must be positive, got ", world);
    TAPEGRAD_CHECK(rank >= 0 && rank < world, ValueError, "DistributedSampler: invalid rank ", rank,
                   ", rank should be in the interval [0, ", world - 1, "]");
    TAPEGRAD_CHECK(dataset_size >= 0, ValueError, "DistributedSampler: dataset_size must be non-negative, got ",
                   dataset_size);
    // PyTorch's ceil((n - world) / world) with drop_last when world does not divide n
    per_rank_ = drop_last_ ? n_ / world_ : (n_ + world_ - 1) / world_;
  }

  /// The epoch whose order indices() gives (seeds the shuffle with seed + epoch).
  void set_epoch(int64_t epoch) { epoch_ = epoch; }
  int64_t epoch() const { return epoch_; }

  /// Number of indices per rank and epoch (len(sampler)).
  int64_t size() const override { return per_rank_; }

  /// This rank's indices for the current epoch: [size()] int64.
  Tensor<int64_t> indices() const override {
    Tensor<int64_t> all;
    if (shuffle_) {
      Generator gen(seed_ + static_cast<uint64_t>(epoch_));
      all = randperm(n_, gen);
    } else {
      all = arange<int64_t>(n_);
    }
    Tensor<int64_t> out = zeros<int64_t>({per_rank_});
    const int64_t* a = all.data_ptr();
    int64_t* o = out.data_ptr();
    // element k of the padded (or cut) list is a[k % n]: the padding repeats the head
    for (int64_t j = 0; j < per_rank_; ++j) {
      o[j] = a[(rank_ + j * world_) % n_];
    }
    return out;
  }

 private:
  int64_t n_;
  int rank_, world_;
  bool shuffle_;
  uint64_t seed_;
  bool drop_last_;
  int64_t epoch_ = 0;
  int64_t per_rank_ = 0;
};

}  // namespace tapegrad::data
