#pragma once
// --distributed for the examples (mnist_mlp and mnist_cnn, through
// run_example in mnist_common.hpp): data-parallel training with
// tapegrad::distributed when the example was built with MPI (CMake defines
// TAPEGRAD_EXAMPLE_MPI when tapegrad::distributed exists).
//
//   mpirun -np 2 build/examples/mnist_mlp --distributed --batch-size 128
//
// trains with a global batch of 256: each rank reads its share of every
// epoch (data::DistributedSampler) in batches of 128, and
// DistributedDataParallel averages the gradients, so the ranks' models stay
// identical. The epoch's train_loss and train_acc are summed over the ranks;
// every rank evaluates the same model on the whole test set; only rank 0
// prints, plots and saves (the other ranks' stdout goes to /dev/null).
// Built without MPI, --distributed says it is unavailable.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>

#include <tapegrad/data/distributed_sampler.hpp>
#include <tapegrad/tapegrad.hpp>
#if TAPEGRAD_EXAMPLE_MPI
#include <tapegrad/distributed.hpp>
#endif

namespace examples {

class DistributedGlue {
 public:
  /// Takes --distributed out of argv (so the example's own parser never sees
  /// it) and, if it was there, joins the process group.
  DistributedGlue(int& argc, char** argv) {
    int out = 1;
    for (int i = 1; i < argc; ++i) {
      if (std::strcmp(argv[i], "--distributed") == 0) on_ = true;
      else argv[out++] = argv[i];
    }
    argc = out;
    argv[argc] = nullptr;
    if (!on_) return;
#if TAPEGRAD_EXAMPLE_MPI
    tapegrad::distributed::init_process_group();
    rank_ = tapegrad::distributed::get_rank();
    world_ = tapegrad::distributed::get_world_size();
    if (rank_ != 0 && !std::freopen("/dev/null", "w", stdout))
      throw std::runtime_error("--distributed: cannot silence stdout on rank " + std::to_string(rank_));
#else
    std::fprintf(stderr, "--distributed is unavailable: this example was built without MPI "
                         "(install Open MPI or MPICH and reconfigure)\n");
    std::exit(2);
#endif
  }
  ~DistributedGlue() {
#if TAPEGRAD_EXAMPLE_MPI
    // After a failure, leave the process group alone: exiting without
    // destroy_process_group() aborts the whole job (Note [Distributed faults]).
    if (on_ && !failed_ && std::uncaught_exceptions() == 0) tapegrad::distributed::destroy_process_group();
#endif
  }
  DistributedGlue(const DistributedGlue&) = delete;
  DistributedGlue& operator=(const DistributedGlue&) = delete;

  bool on() const { return on_; }
  int rank() const { return rank_; }
  int world() const { return world_; }

  /// The model to train: net itself, or net under DistributedDataParallel.
  std::shared_ptr<tapegrad::nn::Module<float>> wrap(std::shared_ptr<tapegrad::nn::Module<float>> net) {
#if TAPEGRAD_EXAMPLE_MPI
    if (on_) return std::make_shared<tapegrad::nn::parallel::DistributedDataParallel<float>>(std::move(net));
#endif
    return net;
  }

  /// The DataLoader's sampler: this rank's share of each epoch, or null.
  const tapegrad::data::Sampler* sampler(int64_t dataset_size, int64_t seed) {
    if (!on_) return nullptr;
    sampler_ = std::make_unique<tapegrad::data::DistributedSampler>(dataset_size, rank_, world_, true,
                                                                   static_cast<uint64_t>(seed));
    return sampler_.get();
  }
  void set_epoch(int64_t epoch) {
    if (sampler_) sampler_->set_epoch(epoch);
  }

  /// The epoch's training loss sum, sample count and correct count summed
  /// over the ranks (in place), so that rank 0 prints the whole epoch's
  /// train_loss and train_acc, not its share's; unchanged on one process.
  void sum_over_ranks(double& loss_sum, int64_t& seen, int64_t& correct) {
#if TAPEGRAD_EXAMPLE_MPI
    if (!on_ || world_ == 1) return;
    // counts below 2^53 add exactly in double
    auto t = tapegrad::from_vector<double>({loss_sum, static_cast<double>(seen), static_cast<double>(correct)});
    tapegrad::distributed::all_reduce(t);
    loss_sum = t(0);
    seen = static_cast<int64_t>(t(1));
    correct = static_cast<int64_t>(t(2));
#else
    (void)loss_sum, (void)seen, (void)correct;
#endif
  }

  /// Clears the output paths on ranks other than 0 (only rank 0 writes files).
  template <class... Paths>
  void rank0_only(Paths&... paths) {
    if (rank_ != 0) (paths.clear(), ...);
  }

  /// The example failed: do not wait for the other ranks on the way out.
  void failed() { failed_ = true; }

 private:
  bool on_ = false;
  bool failed_ = false;
  int rank_ = 0;
  int world_ = 1;
  std::unique_ptr<tapegrad::data::DistributedSampler> sampler_;
};

}  // namespace examples
