#pragma once
// RingAllReduce: a sum over the ranks of a contiguous floating buffer, in
// place, that advances a step at a time when polled. DistributedDataParallel
// reduces its gradient buckets with it (Note [DDP progress]).
//
// Note [Ring all-reduce]: the buffer is cut into p chunks (p ranks). In step
// s = 0 .. p - 2 (reduce-scatter) rank r sends chunk (r - s) mod p to rank
// r + 1 and adds chunk (r - s - 1) mod p, received from rank r - 1, into its
// own; after it rank r holds the sum of chunk (r + 1) mod p over all ranks.
// In steps p - 1 .. 2 p - 3 (all-gather) the summed chunks travel once more
// round the ring and overwrite the others. Each rank sends 2 (p - 1) / p of
// the buffer (the bandwidth-optimal amount, the model of bench/distributed.md)
// and every rank ends with the same bits: each chunk is summed once, along
// one chain, then copied.
// Why not the MPI library's MPI_Iallreduce: its non-blocking collectives
// (Open MPI 4.1: coll/libnbc) are not the tuned blocking ones; for DDP's
// buckets they cost about twice MPI_Allreduce (bench/distributed.md); and a
// ring of our own keeps its receive buffer from one step to the next (a
// fresh temporary per call pays a page fault per page) and lets DDP see
// which step a bucket is at. The messages go over the group's internal
// communicator, so they never match the user's send/recv.
#include <climits>
#include <cstdint>
#include <exception>
#include <string>
#include <utility>

#include "../tensor/factory.hpp"
#include "../tensor/tensor.hpp"
#include "process_group.hpp"

namespace tapegrad::distributed::detail {

template <FloatingElement T>
class RingAllReduce {
 public:
  RingAllReduce() = default;
  RingAllReduce(RingAllReduce&& o) noexcept { *this = std::move(o); }
  RingAllReduce& operator=(RingAllReduce&& o) noexcept {
    if (this != &o) {
      finish_now();
      buffer_ = std::move(o.buffer_);
      scratch_ = std::move(o.scratch_);
      tag_ = o.tag_;
      step_ = o.step_;
      steps_ = o.steps_;
      posted_ = o.posted_;
      requests_[0] = o.requests_[0];
      requests_[1] = o.requests_[1];
      o.step_ = o.steps_ = 0;
      o.posted_ = false;
    }
    return *this;
  }
  RingAllReduce(const RingAllReduce&) = delete;
  RingAllReduce& operator=(const RingAllReduce&) = delete;
  /// Waits for a sum still in flight: its buffers must outlive the transfer.
  ~RingAllReduce() { finish_now(); }

  /// Starts buffer = sum of buffer over the ranks (buffer: contiguous, the
  /// same numel on every rank, fewer than INT_MAX elements; tag: the same on
  /// every rank, different from that of any other sum in flight). Returns
  /// at once; the sum is there when progress() returns true or after wait().
  void start(const Tensor<T>& buffer, int tag) {
    const GroupState& g = require_group("all_reduce");
    TAPEGRAD_CHECK(done(), ValueError, "RingAllReduce: start() while the previous sum is in flight");
    TAPEGRAD_CHECK(buffer.is_contiguous() && buffer.numel() < INT_MAX, ValueError,
                   "RingAllReduce: the buffer must be contiguous with fewer than ", INT_MAX, " elements");
    buffer_ = buffer;
    tag_ = tag;
    step_ = 0;
    posted_ = false;
    steps_ = 2 * (g.world - 1);
    const int64_t chunk = (buffer.numel() + g.world - 1) / g.world;
    if (steps_ > 0 && (!scratch_.defined() || scratch_.numel() < chunk))
      scratch_ = tapegrad::detail::make_empty<T>({chunk});
    progress();
  }

  /// Advances as far as the messages that have arrived allow, without
  /// blocking; true once the sum is complete.
  bool progress() {
    const GroupState& g = group();
    while (step_ < steps_) {
      const int p = g.world, r = g.rank;
      const bool reducing = step_ < p - 1;
      // the chunks sent and received in this step
      const int s = reducing ? step_ : step_ - (p - 1);
      const int send = ((reducing ? r - s : r + 1 - s) % p + p) % p;
      const int recv = ((send - 1) % p + p) % p;
      if (!posted_) {
        T* data = buffer_.data_ptr();
        check_mpi(MPI_Irecv(reducing ? scratch_.data_ptr() : data + lo(recv), count(recv), mpi_type<T>(),
                            (r + p - 1) % p, tag_, g.internal, &requests_[0]),
                  "all_reduce");
        check_mpi(MPI_Isend(data + lo(send), count(send), mpi_type<T>(), (r + 1) % p, tag_, g.internal,
                            &requests_[1]),
                  "all_reduce");
        posted_ = true;
      }
      int complete = 0;
      check_mpi(MPI_Testall(2, requests_, &complete, MPI_STATUSES_IGNORE), "all_reduce");
      if (!complete) return false;
      posted_ = false;
      if (reducing) {
        T* x = buffer_.data_ptr() + lo(recv);
        const T* y = scratch_.data_ptr();
        const int n = count(recv);
        for (int i = 0; i < n; ++i) x[i] += y[i];
      }
      ++step_;
    }
    return true;
  }

  /// True when no sum is in flight (the last one, if any, is complete).
  bool done() const { return step_ >= steps_; }

  /// Blocks until the sum is complete; DistributedError after the group's
  /// timeout (Note [Distributed faults]).
  void wait(const char* op) {
    if (!poll_until([this] { return progress(); })) {
      abandon();
      throw_timeout(op);
    }
  }

  /// Forgets a sum in flight (the job is going to end).
  void abandon() {
    step_ = steps_ = 0;
    posted_ = false;
  }

 private:
  int64_t lo(int chunk) const { return buffer_.numel() * chunk / group().world; }
  int count(int chunk) const { return static_cast<int>(lo(chunk + 1) - lo(chunk)); }
  void finish_now() noexcept {
    if (done()) return;
    try {
      wait("all_reduce");
    } catch (const std::exception& e) {
      abort_job(std::string("an unfinished all_reduce failed in its destructor: ") + e.what());
    }
  }

  Tensor<T> buffer_, scratch_;
  int tag_ = 0;
  int step_ = 0, steps_ = 0;
  bool posted_ = false;
  MPI_Request requests_[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
};

}  // namespace tapegrad::distributed::detail
