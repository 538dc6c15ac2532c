#pragma once
// Collectives on tensors, in place like torch.distributed's: all_reduce,
// broadcast, all_gather, all_gather_into_tensor, reduce_scatter,
// reduce_scatter_tensor, gather, scatter, send/recv, isend/irecv. Every dtype;
// any layout (a non-contiguous tensor goes through a contiguous copy). Each
// returns a Work: complete already, or with async_op = true, in flight until
// wait().
//
// Note [Collective argument check]: before a collective moves data, the ranks
// exchange each tensor's dtype and shape and whether their other arguments
// were valid (one small MPI_Iallgather). So a mismatch across ranks (sizes
// that would make MPI read or write past a buffer) or a bad argument on one
// rank throws on every rank, with the same text naming the ranks, instead of
// corrupting memory or leaving the other ranks waiting. The check is
// synchronous even for async_op = true.
#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "../tensor/factory.hpp"
#include "../tensor/tensor.hpp"
#include "process_group.hpp"

namespace tapegrad::distributed {

namespace detail {

inline constexpr int kRecordDims = 8;
// What a rank tells the others about its tensor: error flag, dtype, dim,
// numel and the first kRecordDims sizes.
inline constexpr int kRecordLen = 4 + kRecordDims;

inline const char* dtype_name_of_rank(int64_t r) {
  static const char* const names[] = {"bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64"};
  return r >= 0 && r < 8 ? names[r] : "?";
}

inline std::string describe_record(const int64_t* rec) {
  std::ostringstream os;
  os << dtype_name_of_rank(rec[1]) << " [";
  const int64_t n = std::min<int64_t>(rec[2], kRecordDims);
  for (int64_t i = 0; i < n; ++i) os << (i ? ", " : "") << rec[4 + i];
  if (rec[2] > kRecordDims) os << ", ...";
  os << "]";
  return os.str();
}

/// Note [Collective argument check]: throws on every rank if any rank's
/// local_error is set (that rank throws it as ValueError) or if the ranks'
/// tensors t differ in dtype or shape (ShapeError).
template <Element T>
void agree(const char* op, const GroupState& g, const Tensor<T>& t, std::string local_error) {
  if (local_error.empty() && t.defined() && t.numel() > INT_MAX)
    local_error = std::string(op) + ": tensors of more than " + std::to_string(INT_MAX) +
                  " elements are not supported (MPI counts are int)";
  if (local_error.empty() && !t.defined()) local_error = std::string(op) + ": the tensor is undefined";
  int64_t mine[kRecordLen] = {};
  mine[0] = local_error.empty() ? 0 : 1;
  mine[1] = tapegrad::detail::dtype_rank<T>;
  if (t.defined()) {
    mine[2] = t.dim();
    mine[3] = t.numel();
    for (int64_t i = 0; i < std::min<int64_t>(t.dim(), kRecordDims); ++i) mine[4 + i] = t.size(i);
  }
  if (g.world > 1) {
    std::vector<int64_t> all(static_cast<size_t>(kRecordLen) * static_cast<size_t>(g.world));
    MPI_Request r;
    check_mpi(MPI_Iallgather(mine, kRecordLen, MPI_INT64_T, all.data(), kRecordLen, MPI_INT64_T, g.comm, &r), op);
    Work(op, {r}, nullptr).wait();
    if (!local_error.empty()) throw ValueError(local_error);
    for (int q = 0; q < g.world; ++q)
      if (all[static_cast<size_t>(q) * kRecordLen] != 0)
        tapegrad::detail::throw_error<ValueError>(op, ": rank ", q, " rejected its arguments (see its error)");
    for (int q = 1; q < g.world; ++q) {
      const int64_t* a = all.data();
      const int64_t* b = all.data() + static_cast<size_t>(q) * kRecordLen;
      if (!std::equal(a + 1, a + kRecordLen, b + 1))
        tapegrad::detail::throw_error<ShapeError>(
            op, ": the tensors differ across ranks: rank 0 has ", describe_record(a), " but rank ", q, " has ",
            describe_record(b), "; every rank must pass a tensor of the same dtype and shape");
    }
  } else if (!local_error.empty()) {
    throw ValueError(local_error);
  }
}

/// t itself when contiguous, else a contiguous copy (not recorded).
template <Element T>
Tensor<T> staged(const Tensor<T>& t, bool copy_values = true) {
  if (t.is_contiguous()) return t;
  Tensor<T> buf = tapegrad::detail::make_empty<T>(t.sizes());
  if (copy_values) tapegrad::detail::copy_into(buf, t);
  return buf;
}

/// After a collective wrote buf: copy it into t unless it is t, and count
/// the in-place write (autograd's saved-tensor check).
template <Element T>
void written(const Tensor<T>& t, const Tensor<T>& buf) {
  if (!buf.is_same(t)) tapegrad::detail::copy_into(t, buf);
  t.storage()->bump_version();
}

template <Element T>
std::string check_op(const char* op, ReduceOp rop) {
  if constexpr (!FloatingElement<T>)
    if (rop == ReduceOp::AVG)
      return std::string(op) + ": ReduceOp::AVG needs a floating tensor, got " + dtype_name<T>();
  return {};
}

/// The MPI operation for rop on T; bool reduces logically (SUM and MAX as
/// or, PRODUCT and MIN as and), AVG sums and divides afterwards.
template <Element T>
MPI_Op mpi_op(ReduceOp rop) {
  if constexpr (std::is_same_v<T, bool>) {
    return rop == ReduceOp::SUM || rop == ReduceOp::MAX ? MPI_LOR : MPI_LAND;
  } else {
    switch (rop) {
      case ReduceOp::SUM:
      case ReduceOp::AVG: return MPI_SUM;
      case ReduceOp::PRODUCT: return MPI_PROD;
      case ReduceOp::MIN: return MPI_MIN;
      case ReduceOp::MAX: return MPI_MAX;
    }
    return MPI_SUM;
  }
}

template <Element T>
void divide_by_world(const Tensor<T>& buf, ReduceOp rop, int world) {
  if constexpr (FloatingElement<T>) {
    if (rop != ReduceOp::AVG) return;
    T* p = buf.data_ptr();
    for (int64_t i = 0; i < buf.numel(); ++i) p[i] /= static_cast<T>(world);
  }
}

inline std::string check_rank(const char* op, const char* what, int r, int world) {
  if (r >= 0 && r < world) return {};
  return std::string(op) + ": " + what + " rank " + std::to_string(r) + " is out of range for world size " +
         std::to_string(world);
}

/// Checks that a list holds `n` defined tensors of t's shape.
template <Element T>
std::string check_list(const char* op, const char* what, const std::vector<Tensor<T>>& list, size_t n,
                       const Shape& shape) {
  if (list.size() != n)
    return std::string(op) + ": " + what + " must hold world size (" + std::to_string(n) + ") tensors, got " +
           std::to_string(list.size());
  for (size_t i = 0; i < list.size(); ++i)
    if (!list[i].defined() || list[i].sizes() != shape) {
      std::ostringstream os;
      os << op << ": " << what << "[" << i << "] has shape ";
      if (list[i].defined()) os << static_cast<const Shape&>(list[i].sizes());
      else os << "(undefined)";
      os << " but the tensor has shape " << shape;
      return os.str();
    }
  return {};
}

/// [world, sizes...]: the shape of world stacked tensors of shape sizes.
inline Shape stacked_shape(int world, const Shape& sizes) {
  Shape out;
  out.push_back(world);
  for (int64_t s : sizes) out.push_back(s);
  return out;
}

/// Checks that the big tensor has world times the small one's elements.
template <Element T>
std::string check_world_multiple(const char* op, const char* big_name, const Tensor<T>& big, const char* small_name,
                                 const Tensor<T>& small, int world) {
  if (!big.defined() || !small.defined() || big.numel() == small.numel() * world) return {};
  std::ostringstream os;
  os << op << ": " << big_name << " of shape " << static_cast<const Shape&>(big.sizes()) << " must have world size (" << world << ") times the "
     << small_name << "'s " << small.numel() << " elements, got " << big.numel();
  return os.str();
}

inline Work launched(const char* op, MPI_Request r, std::function<void()> finish, bool async_op) {
  Work w(op, {r}, std::move(finish));
  if (!async_op) w.wait();
  return w;
}

}  // namespace detail

/// tensor = op(tensor of every rank), in place on every rank. tensor: any
/// shape, the same on all ranks.
///
/// Note [Blocking all_reduce]: without async_op the reduction is the MPI
/// library's blocking MPI_Allreduce, not its non-blocking MPI_Iallreduce
/// waited for: libraries tune the blocking one (Open MPI 4.1's coll/tuned)
/// far more than the non-blocking one (coll/libnbc): the latter took about
/// 1.5-2x the time for 1-256 MiB (bench/distributed.md). The blocking call gives up
/// Note [Distributed faults] 3's timeout only once every rank has passed
/// Note [Collective argument check] (which is bounded by it) and so has
/// entered this same all_reduce: a rank that dies in between is noticed by
/// the launcher.
template <Element T>
Work all_reduce(const Tensor<T>& tensor, ReduceOp op = ReduceOp::SUM, bool async_op = false) {
  const auto& g = detail::require_group("all_reduce");
  detail::agree("all_reduce", g, tensor, detail::check_op<T>("all_reduce", op));
  Tensor<T> buf = detail::staged(tensor);
  auto finish = [tensor, buf, op, world = g.world] {
    detail::divide_by_world(buf, op, world);
    detail::written(tensor, buf);
  };
  const int n = static_cast<int>(buf.numel());
  if (!async_op) {
    if (g.world > 1)
      detail::check_mpi(
          MPI_Allreduce(MPI_IN_PLACE, buf.data_ptr(), n, detail::mpi_type<T>(), detail::mpi_op<T>(op), g.comm),
          "all_reduce");
    finish();
    return Work();
  }
  MPI_Request r;
  detail::check_mpi(
      MPI_Iallreduce(MPI_IN_PLACE, buf.data_ptr(), n, detail::mpi_type<T>(), detail::mpi_op<T>(op), g.comm, &r),
      "all_reduce");
  return Work("all_reduce", {r}, std::move(finish));
}

/// tensor = src's tensor on every rank.
template <Element T>
Work broadcast(const Tensor<T>& tensor, int src, bool async_op = false) {
  const auto& g = detail::require_group("broadcast");
  detail::agree("broadcast", g, tensor, detail::check_rank("broadcast", "source", src, g.world));
  Tensor<T> buf = detail::staged(tensor, g.rank == src);
  MPI_Request r;
  detail::check_mpi(MPI_Ibcast(buf.data_ptr(), static_cast<int>(buf.numel()), detail::mpi_type<T>(), src, g.comm, &r),
                    "broadcast");
  return detail::launched("broadcast", r, [tensor, buf, mine = g.rank == src] {
    if (!mine) detail::written(tensor, buf);
  }, async_op);
}

/// output = every rank's input, concatenated along dim 0 in rank order:
/// input [n, ...] -> output [world * n, ...] (or any shape of world * numel
/// elements, such as [world, n, ...]).
template <Element T>
Work all_gather_into_tensor(const Tensor<T>& output, const Tensor<T>& input, bool async_op = false) {
  const auto& g = detail::require_group("all_gather_into_tensor");
  std::string err;
  if (!output.defined()) err = "all_gather_into_tensor: the output tensor is undefined";
  else err = detail::check_world_multiple("all_gather_into_tensor", "output", output, "input", input, g.world);
  detail::agree("all_gather_into_tensor", g, input, err);
  Tensor<T> in = detail::staged(input), out = detail::staged(output, false);
  const int n = static_cast<int>(in.numel());
  MPI_Request r;
  detail::check_mpi(MPI_Iallgather(in.data_ptr(), n, detail::mpi_type<T>(), out.data_ptr(), n, detail::mpi_type<T>(),
                                   g.comm, &r),
                    "all_gather_into_tensor");
  return detail::launched("all_gather_into_tensor", r, [output, out, in] { detail::written(output, out); }, async_op);
}

/// tensor_list[q] = rank q's tensor. tensor_list: world size tensors of
/// tensor's shape, or empty (then filled with new tensors).
template <Element T>
Work all_gather(std::vector<Tensor<T>>& tensor_list, const Tensor<T>& tensor, bool async_op = false) {
  const auto& g = detail::require_group("all_gather");
  std::string err;
  if (tensor.defined()) {
    if (tensor_list.empty())
      for (int q = 0; q < g.world; ++q) tensor_list.push_back(tapegrad::detail::make_empty<T>(tensor.sizes()));
    err = detail::check_list("all_gather", "tensor_list", tensor_list, static_cast<size_t>(g.world), tensor.sizes());
  }
  detail::agree("all_gather", g, tensor, err);
  Tensor<T> in = detail::staged(tensor),
            out = tapegrad::detail::make_empty<T>(detail::stacked_shape(g.world, tensor.sizes()));
  const int n = static_cast<int>(in.numel());
  MPI_Request r;
  detail::check_mpi(MPI_Iallgather(in.data_ptr(), n, detail::mpi_type<T>(), out.data_ptr(), n, detail::mpi_type<T>(),
                                   g.comm, &r),
                    "all_gather");
  return detail::launched("all_gather", r, [list = tensor_list, out, in] {
    for (size_t q = 0; q < list.size(); ++q) detail::written(list[q], out.select(0, static_cast<int64_t>(q)));
  }, async_op);
}

/// output = rank's share of op(input of every rank): input [world * n, ...]
/// (world * output.numel() elements), split along dim 0 in rank order.
template <Element T>
Work reduce_scatter_tensor(const Tensor<T>& output, const Tensor<T>& input, ReduceOp op = ReduceOp::SUM,
                           bool async_op = false) {
  const auto& g = detail::require_group("reduce_scatter_tensor");
  std::string err = detail::check_op<T>("reduce_scatter_tensor", op);
  if (err.empty() && !input.defined()) err = "reduce_scatter_tensor: the input tensor is undefined";
  else if (err.empty()) err = detail::check_world_multiple("reduce_scatter_tensor", "input", input, "output", output, g.world);
  detail::agree("reduce_scatter_tensor", g, output, err);
  Tensor<T> in = detail::staged(input), out = detail::staged(output, false);
  MPI_Request r;
  detail::check_mpi(MPI_Ireduce_scatter_block(in.data_ptr(), out.data_ptr(), static_cast<int>(out.numel()),
                                              detail::mpi_type<T>(), detail::mpi_op<T>(op), g.comm, &r),
                    "reduce_scatter_tensor");
  return detail::launched("reduce_scatter_tensor", r, [output, out, in, op, world = g.world] {
    detail::divide_by_world(out, op, world);
    detail::written(output, out);
  }, async_op);
}

/// output = op(input_list[rank] of every rank). input_list: world size
/// tensors of output's shape.
template <Element T>
Work reduce_scatter(const Tensor<T>& output, const std::vector<Tensor<T>>& input_list, ReduceOp op = ReduceOp::SUM,
                    bool async_op = false) {
  const auto& g = detail::require_group("reduce_scatter");
  std::string err = detail::check_op<T>("reduce_scatter", op);
  if (err.empty() && output.defined())
    err = detail::check_list("reduce_scatter", "input_list", input_list, static_cast<size_t>(g.world), output.sizes());
  Tensor<T> packed;
  if (err.empty() && output.defined()) {
    packed = tapegrad::detail::make_empty<T>(detail::stacked_shape(g.world, output.sizes()));
    for (int q = 0; q < g.world; ++q) tapegrad::detail::copy_into(packed.select(0, q), input_list[static_cast<size_t>(q)]);
  }
  detail::agree("reduce_scatter", g, output, err);
  return reduce_scatter_tensor(output, packed, op, async_op);
}

/// On dst: gather_list[q] = rank q's tensor (gather_list: world size tensors
/// of tensor's shape); other ranks pass an empty gather_list.
template <Element T>
Work gather(const Tensor<T>& tensor, const std::vector<Tensor<T>>& gather_list, int dst = 0, bool async_op = false) {
  const auto& g = detail::require_group("gather");
  std::string err = detail::check_rank("gather", "destination", dst, g.world);
  if (err.empty() && tensor.defined()) {
    if (g.rank == dst)
      err = detail::check_list("gather", "gather_list", gather_list, static_cast<size_t>(g.world), tensor.sizes());
    else if (!gather_list.empty())
      err = "gather: gather_list must be empty on non-destination ranks (rank " + std::to_string(g.rank) + ")";
  }
  detail::agree("gather", g, tensor, err);
  Tensor<T> in = detail::staged(tensor), out;
  if (g.rank == dst) out = tapegrad::detail::make_empty<T>(detail::stacked_shape(g.world, tensor.sizes()));
  const int n = static_cast<int>(in.numel());
  MPI_Request r;
  detail::check_mpi(MPI_Igather(in.data_ptr(), n, detail::mpi_type<T>(), out.defined() ? out.data_ptr() : nullptr, n,
                                detail::mpi_type<T>(), dst, g.comm, &r),
                    "gather");
  return detail::launched("gather", r, [list = gather_list, out, in] {
    for (size_t q = 0; q < list.size(); ++q) detail::written(list[q], out.select(0, static_cast<int64_t>(q)));
  }, async_op);
}

/// tensor = scatter_list[rank] of src (scatter_list: world size tensors of
/// tensor's shape on src, empty elsewhere).
template <Element T>
Work scatter(const Tensor<T>& tensor, const std::vector<Tensor<T>>& scatter_list, int src = 0, bool async_op = false) {
  const auto& g = detail::require_group("scatter");
  std::string err = detail::check_rank("scatter", "source", src, g.world);
  Tensor<T> packed;
  if (err.empty() && tensor.defined()) {
    if (g.rank == src)
      err = detail::check_list("scatter", "scatter_list", scatter_list, static_cast<size_t>(g.world), tensor.sizes());
    else if (!scatter_list.empty())
      err = "scatter: scatter_list must be empty on non-source ranks (rank " + std::to_string(g.rank) + ")";
    if (err.empty() && g.rank == src) {
      packed = tapegrad::detail::make_empty<T>(detail::stacked_shape(g.world, tensor.sizes()));
      for (int q = 0; q < g.world; ++q)
        tapegrad::detail::copy_into(packed.select(0, q), scatter_list[static_cast<size_t>(q)]);
    }
  }
  detail::agree("scatter", g, tensor, err);
  Tensor<T> out = detail::staged(tensor, false);
  const int n = static_cast<int>(out.numel());
  MPI_Request r;
  detail::check_mpi(MPI_Iscatter(packed.defined() ? packed.data_ptr() : nullptr, n, detail::mpi_type<T>(),
                                 out.data_ptr(), n, detail::mpi_type<T>(), src, g.comm, &r),
                    "scatter");
  return detail::launched("scatter", r, [tensor, out, packed] { detail::written(tensor, out); }, async_op);
}

namespace detail {
inline std::string check_peer(const char* op, const char* what, int peer, const GroupState& g, bool any_ok) {
  if (any_ok && peer == MPI_ANY_SOURCE) return {};
  std::string err = check_rank(op, what, peer, g.world);
  if (err.empty() && peer == g.rank)
    err = std::string(op) + ": invalid " + what + " rank " + std::to_string(peer) +
          ": should not be the same as the rank of the current process";
  return err;
}
}  // namespace detail

/// Sends tensor to rank dst (matched by recv/irecv with the same tag).
template <Element T>
Work isend(const Tensor<T>& tensor, int dst, int tag = 0) {
  const auto& g = detail::require_group("isend");
  std::string err = detail::check_peer("isend", "destination", dst, g, false);
  TAPEGRAD_CHECK(err.empty(), ValueError, err);
  TAPEGRAD_CHECK(tensor.defined(), ValueError, "isend: the tensor is undefined");
  TAPEGRAD_CHECK(tensor.numel() * static_cast<int64_t>(sizeof(T)) <= INT_MAX, ValueError,
                 "isend: tensors of more than ", INT_MAX, " bytes are not supported (MPI counts are int)");
  Tensor<T> buf = detail::staged(tensor);
  MPI_Request r;
  detail::check_mpi(MPI_Isend(buf.data_ptr(), static_cast<int>(buf.numel() * sizeof(T)), MPI_BYTE, dst, tag, g.comm, &r),
                    "isend");
  return Work("isend", {r}, [buf] {});
}

template <Element T>
void send(const Tensor<T>& tensor, int dst, int tag = 0) {
  isend(tensor, dst, tag).wait();
}

/// Receives into tensor from rank src (or any rank, src = -1); returns the
/// sender's rank. The message must have exactly tensor's size in bytes
/// (ShapeError otherwise, after the message was taken off the wire).
template <Element T>
int recv(const Tensor<T>& tensor, int src = -1, int tag = 0) {
  const auto& g = detail::require_group("recv");
  if (src == -1) src = MPI_ANY_SOURCE;
  std::string err = detail::check_peer("recv", "source", src, g, true);
  TAPEGRAD_CHECK(err.empty(), ValueError, err);
  TAPEGRAD_CHECK(tensor.defined(), ValueError, "recv: the tensor is undefined");
  // Probe first (bounded by the group's timeout) to learn the size.
  MPI_Status st;
  int flag = 0;
  const bool arrived = detail::poll_until([&] {
    detail::check_mpi(MPI_Iprobe(src, tag, g.comm, &flag, &st), "recv");
    return flag != 0;
  });
  TAPEGRAD_CHECK(arrived, distributed::DistributedError, "recv: timed out after ", g.timeout.count(),
                 " ms waiting for a message from ",
                 src == MPI_ANY_SOURCE ? std::string("any rank") : "rank " + std::to_string(src));
  int bytes = 0;
  MPI_Get_count(&st, MPI_BYTE, &bytes);
  const int64_t want = tensor.numel() * static_cast<int64_t>(sizeof(T));
  const int from = st.MPI_SOURCE;
  if (bytes != want) {
    std::vector<char> scratch(static_cast<size_t>(bytes));
    detail::check_mpi(MPI_Recv(scratch.data(), bytes, MPI_BYTE, from, st.MPI_TAG, g.comm, MPI_STATUS_IGNORE), "recv");
    tapegrad::detail::throw_error<ShapeError>("recv: rank ", from, " sent ", bytes, " bytes but the ",
                                              dtype_name<T>(), " tensor of shape ", tensor.sizes(), " holds ", want);
  }
  Tensor<T> buf = detail::staged(tensor, false);
  detail::check_mpi(MPI_Recv(buf.data_ptr(), bytes, MPI_BYTE, from, st.MPI_TAG, g.comm, MPI_STATUS_IGNORE), "recv");
  detail::written(tensor, buf);
  return from;
}

/// Asynchronous recv: tensor holds the message after wait(). A message larger
/// than tensor fails in wait() (MPI's truncation error); a smaller one
/// throws ShapeError there.
template <Element T>
Work irecv(const Tensor<T>& tensor, int src = -1, int tag = 0) {
  const auto& g = detail::require_group("irecv");
  if (src == -1) src = MPI_ANY_SOURCE;
  std::string err = detail::check_peer("irecv", "source", src, g, true);
  TAPEGRAD_CHECK(err.empty(), ValueError, err);
  TAPEGRAD_CHECK(tensor.defined(), ValueError, "irecv: the tensor is undefined");
  const int64_t want = tensor.numel() * static_cast<int64_t>(sizeof(T));
  TAPEGRAD_CHECK(want <= INT_MAX, ValueError, "irecv: tensors of more than ", INT_MAX,
                 " bytes are not supported (MPI counts are int)");
  Tensor<T> buf = detail::staged(tensor, false);
  MPI_Request r;
  detail::check_mpi(MPI_Irecv(buf.data_ptr(), static_cast<int>(want), MPI_BYTE, src, tag, g.comm, &r), "irecv");
  return Work("irecv", {r}, Work::Finish([tensor, buf, want](const std::vector<MPI_Status>& st) {
    int bytes = 0;
    MPI_Get_count(&st[0], MPI_BYTE, &bytes);
    if (bytes != want)
      tapegrad::detail::throw_error<ShapeError>("irecv: rank ", st[0].MPI_SOURCE, " sent ", bytes, " bytes but the ",
                                                dtype_name<T>(), " tensor of shape ", tensor.sizes(), " holds ", want);
    detail::written(tensor, buf);
  }));
}

}  // namespace tapegrad::distributed
