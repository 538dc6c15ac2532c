#pragma once
// The MPI process group behind tapegrad::distributed (torch.distributed's
// default group): init_process_group(), get_rank(), get_world_size(),
// barrier(), destroy_process_group(), and Work, the handle of an
// asynchronous operation. Part of the CMake target tapegrad::distributed,
// which links MPI; <tapegrad/tapegrad.hpp> does not include it.
//
// Note [MPI-3 only]: only the MPI-3 standard's C API is used (non-blocking
// collectives, MPI_C_BOOL, fixed-width integer types, MPI_Comm_dup with
// MPI_ERRORS_RETURN), nothing of one implementation, so that Open MPI and
// MPICH (and its derivatives) both build it.
//
// Note [Distributed faults]: a rank that fails must not leave the others
// waiting forever in a collective. Three mechanisms, each documented in
// README.md's "Distributed training":
//  1. An exception that leaves main (std::terminate) prints
//     "tapegrad.distributed: rank R: <what()>" and calls MPI_Abort, which
//     ends every rank of the job (the terminate handler installed by
//     init_process_group).
//  2. A rank that exits, by return or exit(), without destroy_process_group()
//     (e.g. main caught the error and returned 1) calls MPI_Abort from an
//     atexit handler for the same reason; a rank that dies (a signal) is
//     noticed by the launcher (mpirun / mpiexec), which ends the job.
//  3. Every wait polls its requests and throws DistributedError after the
//     group's timeout (30 minutes by default, as PyTorch's), which then
//     aborts the job through 1: the case of a rank that hangs or never
//     joins a collective.
// Errors MPI itself returns (MPI_ERRORS_RETURN on the group's communicator)
// become DistributedError with MPI's text.
// Only MPI's C API is used: leave out the C++ bindings that Open MPI's and
// MPICH's <mpi.h> otherwise pull in (removed from the standard in MPI-3, and
// warning under -Wextra), as CMake's MPI_CXX_SKIP_MPICXX does.
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../core/dtype.hpp"
#include "../core/error.hpp"

namespace tapegrad::distributed {

/// A failure of the communication (an MPI error, a timeout), as PyTorch's
/// DistBackendError.
class DistributedError : public Error {
 public:
  using Error::Error;
};

/// torch.distributed.ReduceOp (PRODUCT is PyTorch's name for the product).
enum class ReduceOp { SUM, AVG, PRODUCT, MIN, MAX };

inline const char* reduce_op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::SUM: return "SUM";
    case ReduceOp::AVG: return "AVG";
    case ReduceOp::PRODUCT: return "PRODUCT";
    case ReduceOp::MIN: return "MIN";
    case ReduceOp::MAX: return "MAX";
  }
  return "?";
}

struct ProcessGroupOptions {
  /// How long any wait for the other ranks may take before it throws
  /// DistributedError (Note [Distributed faults]); PyTorch's default.
  std::chrono::milliseconds timeout = std::chrono::minutes(30);
};

namespace detail {

struct GroupState {
  MPI_Comm comm = MPI_COMM_NULL;
  // tapegrad's own point-to-point messages (Note [Ring all-reduce]), apart
  // from the user's send/recv on comm, whatever their tags
  MPI_Comm internal = MPI_COMM_NULL;
  int next_internal_tag = 0;  // handed out in the same order on every rank
  int rank = 0;
  int world = 1;
  bool initialized = false;      // between init_process_group and destroy_process_group
  bool we_started_mpi = false;   // MPI_Init was ours, so MPI_Finalize is too
  bool handlers_installed = false;
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};
  std::terminate_handler previous_terminate = nullptr;
};

inline GroupState& group() {
  static GroupState state;
  return state;
}

inline std::string mpi_error_text(int rc) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) return "MPI error " + std::to_string(rc);
  return std::string(text, static_cast<size_t>(len));
}

/// Throws DistributedError "<op>: <MPI's text>" unless rc is MPI_SUCCESS.
inline void check_mpi(int rc, const char* op) {
  if (rc != MPI_SUCCESS) [[unlikely]]
    tapegrad::detail::throw_error<DistributedError>(op, ": MPI error: ", mpi_error_text(rc));
}

inline const GroupState& require_group(const char* op) {
  const GroupState& g = group();
  TAPEGRAD_CHECK(g.initialized, ValueError, op,
                 ": the default process group has not been initialized; call "
                 "tapegrad::distributed::init_process_group() first");
  return g;
}

// Note [Distributed faults] 1 and 2: end the whole job, naming this rank.
[[noreturn]] inline void abort_job(const std::string& why) {
  const GroupState& g = group();
  std::fprintf(stderr, "tapegrad.distributed: rank %d: %s\n", g.rank, why.c_str());
  std::fflush(stderr);
  int mpi_up = 0, mpi_down = 0;
  MPI_Initialized(&mpi_up);
  MPI_Finalized(&mpi_down);
  if (mpi_up && !mpi_down) MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);
}

inline void on_terminate() {
  std::string why = "terminate called";
  if (std::exception_ptr e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      why = std::string("uncaught exception: ") + ex.what();
    } catch (...) {
      why = "uncaught exception of an unknown type";
    }
  }
  abort_job(why + "; aborting the job so that the other ranks do not wait forever");
}

inline void on_exit() {
  GroupState& g = group();
  if (!g.initialized) return;
  if (g.world > 1)
    abort_job("exited without destroy_process_group(); aborting the job so that the other ranks "
              "do not wait forever");
  // A single process has nobody waiting for it: finish quietly.
  MPI_Comm_free(&g.internal);
  MPI_Comm_free(&g.comm);
  g.initialized = false;
  if (g.we_started_mpi) MPI_Finalize();
}

/// The MPI datatype of T (Note [MPI-3 only]).
template <Element T>
MPI_Datatype mpi_type() {
  if constexpr (std::is_same_v<T, float>) return MPI_FLOAT;
  else if constexpr (std::is_same_v<T, double>) return MPI_DOUBLE;
  else if constexpr (std::is_same_v<T, int64_t>) return MPI_INT64_T;
  else if constexpr (std::is_same_v<T, int32_t>) return MPI_INT32_T;
  else if constexpr (std::is_same_v<T, int16_t>) return MPI_INT16_T;
  else if constexpr (std::is_same_v<T, int8_t>) return MPI_INT8_T;
  else if constexpr (std::is_same_v<T, uint8_t>) return MPI_UINT8_T;
  else {
    static_assert(std::is_same_v<T, bool> && sizeof(bool) == 1,
                  "tapegrad::distributed: bool is sent as MPI_C_BOOL, which needs a one-byte bool");
    return MPI_C_BOOL;
  }
}

/// Calls done() until it returns true; false if the group's timeout passed
/// first (Note [Distributed faults] 3). Polling rather than MPI_Waitall: a
/// bounded wait, and the same progress (Open MPI's and MPICH's waits poll
/// too).
template <class Done>
[[nodiscard]] bool poll_until(Done&& done) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const auto timeout = group().timeout;
  for (int spins = 0; !done(); ++spins) {
    if ((spins & 255) == 255) {
      if (clock::now() - start > timeout) return false;
      std::this_thread::yield();
    }
  }
  return true;
}

[[noreturn]] inline void throw_timeout(const char* op) {
  const GroupState& g = group();
  tapegrad::detail::throw_error<DistributedError>(
      op, ": timed out after ", g.timeout.count(), " ms waiting for the other ranks (rank ", g.rank, " of ", g.world,
      "); a rank failed, hangs, or called a different collective");
}

}  // namespace detail

/// Joins the default process group: all ranks started by mpirun/mpiexec, or
/// this process alone (world size 1) when started without one. Initializes
/// MPI unless the program did; installs Note [Distributed faults]' handlers.
inline void init_process_group(const ProcessGroupOptions& options = {}) {
  detail::GroupState& g = detail::group();
  TAPEGRAD_CHECK(!g.initialized, ValueError,
                 "init_process_group: trying to initialize the default process group twice");
  TAPEGRAD_CHECK(options.timeout.count() > 0, ValueError,
                 "init_process_group: timeout must be positive, got ", options.timeout.count(), " ms");
  int up = 0, down = 0;
  MPI_Initialized(&up);
  MPI_Finalized(&down);
  TAPEGRAD_CHECK(!down, ValueError, "init_process_group: MPI has already been finalized in this process");
  if (!up) {
    // Every MPI call is made by the thread that calls tapegrad::distributed.
    int provided = 0;
    detail::check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "init_process_group");
    g.we_started_mpi = true;
  }
  MPI_Comm comm = MPI_COMM_NULL;
  detail::check_mpi(MPI_Comm_dup(MPI_COMM_WORLD, &comm), "init_process_group");
  MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
  g.comm = comm;
  detail::check_mpi(MPI_Comm_dup(comm, &g.internal), "init_process_group");
  g.next_internal_tag = 0;
  MPI_Comm_rank(comm, &g.rank);
  MPI_Comm_size(comm, &g.world);
  g.timeout = options.timeout;
  g.initialized = true;
  if (!g.handlers_installed) {
    g.previous_terminate = std::set_terminate(detail::on_terminate);
    std::atexit(detail::on_exit);
    g.handlers_installed = true;
  }
}

/// True between init_process_group() and destroy_process_group().
inline bool is_initialized() { return detail::group().initialized; }

/// This process's rank in [0, get_world_size()).
inline int get_rank() { return detail::require_group("get_rank").rank; }
inline int get_world_size() { return detail::require_group("get_world_size").world; }

/// Leaves the group and finalizes MPI if init_process_group started it. Every
/// rank must call it (it waits for the others), before returning from main.
inline void destroy_process_group() {
  detail::GroupState& g = detail::group();
  detail::require_group("destroy_process_group");
  // MPI_Comm_free is collective: the ranks leave together
  detail::check_mpi(MPI_Comm_free(&g.internal), "destroy_process_group");
  detail::check_mpi(MPI_Comm_free(&g.comm), "destroy_process_group");
  g.initialized = false;
  g.rank = 0;
  g.world = 1;
  if (g.we_started_mpi) {
    g.we_started_mpi = false;
    MPI_Finalize();
  }
}

/// The handle of an asynchronous operation (torch.distributed's Work): the
/// tensors it writes hold their result after wait() (or once is_completed()).
/// Destroying a Work that is not complete waits for it: its buffers must
/// outlive the transfer.
class Work {
 public:
  Work() = default;
  using Finish = std::function<void(const std::vector<MPI_Status>&)>;
  /// finish runs once, when the requests are complete, with their statuses.
  Work(const char* op, std::vector<MPI_Request> requests, Finish finish)
      : op_(op), requests_(std::move(requests)), statuses_(requests_.size()), finish_(std::move(finish)) {}
  Work(const char* op, std::vector<MPI_Request> requests, std::function<void()> finish)
      : Work(op, std::move(requests), finish ? Finish([f = std::move(finish)](const auto&) { f(); }) : Finish()) {}
  Work(const char* op, std::vector<MPI_Request> requests, std::nullptr_t)
      : Work(op, std::move(requests), Finish()) {}
  Work(Work&& o) noexcept { *this = std::move(o); }
  Work& operator=(Work&& o) noexcept {
    if (this != &o) {
      finish_now();
      op_ = o.op_;
      requests_ = std::move(o.requests_);
      statuses_ = std::move(o.statuses_);
      finish_ = std::move(o.finish_);
      o.requests_.clear();
      o.finish_ = nullptr;
    }
    return *this;
  }
  Work(const Work&) = delete;
  Work& operator=(const Work&) = delete;
  ~Work() { finish_now(); }

  /// Non-blocking: true once the operation is done (its results are written).
  bool is_completed() {
    if (!requests_.empty()) {
      int done = 0;
      detail::check_mpi(MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &done, statuses_.data()),
                        op_);
      if (!done) return false;
      requests_.clear();
    }
    complete();
    return true;
  }

  /// Blocks until the operation is done; DistributedError after the group's
  /// timeout (Note [Distributed faults]).
  void wait() {
    if (!detail::poll_until([this] { return is_completed(); })) {
      requests_.clear();  // abandoned: the job is going to end
      finish_ = nullptr;
      detail::throw_timeout(op_);
    }
  }

 private:
  void complete() {
    if (finish_) {
      auto f = std::move(finish_);
      finish_ = nullptr;
      f(statuses_);
    }
  }
  void finish_now() noexcept {
    if (requests_.empty() && !finish_) return;
    try {
      wait();
    } catch (const std::exception& e) {
      detail::abort_job(std::string("an unfinished Work failed in its destructor: ") + e.what());
    }
  }

  const char* op_ = "";
  std::vector<MPI_Request> requests_;
  std::vector<MPI_Status> statuses_;
  Finish finish_;
};

/// Blocks until every rank has called barrier().
inline void barrier() {
  const auto& g = detail::require_group("barrier");
  MPI_Request r;
  detail::check_mpi(MPI_Ibarrier(g.comm, &r), "barrier");
  Work("barrier", {r}, nullptr).wait();
}

}  // namespace tapegrad::distributed
