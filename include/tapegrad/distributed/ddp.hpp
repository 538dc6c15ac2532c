#pragma once
// nn::parallel::DistributedDataParallel: data-parallel training as PyTorch's
// DDP. Each rank runs the same model on its share of the batch; backward()
// leaves every rank with the gradients averaged over the ranks, so the
// optimizer steps stay identical.
//
// Note [DDP buckets]: the parameters are grouped, in reverse registration
// order (roughly the order backward produces their gradients), into buckets
// of about bucket_cap_mb (the first one first_bucket_cap_mb, so that
// communication starts early), as PyTorch's Reducer does. A post-accumulate-
// grad hook on each parameter (Note [Post-accumulate-grad hooks]) copies its
// gradient into its bucket's flat buffer; when a bucket is full it is summed
// over the ranks (Note [Ring all-reduce]) while backward goes on with the
// earlier layers. Buckets are launched strictly in bucket order, so every
// rank issues the same sequence of collectives even when gradients arrive in
// a different order. When the last bucket has been launched (the last parameter's
// gradient is in), the hook waits for all of them and writes grad = sum /
// world back.
//
// Note [DDP progress]: MPI implementations move a message only when the
// process calls into MPI (Open MPI has no progress thread by default): a
// large message sent to a rank that is busy computing waits until that rank
// tests it. Rather than a progress thread (which would need
// MPI_THREAD_MULTIPLE and take a core from the computation), every hook call
// advances every bucket in flight as far as the arrived messages allow
// (RingAllReduce::progress: test, add the received chunk, post the next
// step), so the ring moves between the backward functions that compute the
// next gradients. How much is hidden depends on the model: only the backward
// that remains after a bucket is launched can overlap it, so the last bucket
// (the first layers' parameters) is never hidden.
//
// Every parameter that requires grad must receive a gradient in every
// synchronized backward (PyTorch's find_unused_parameters=False): otherwise
// the next forward() throws, naming the parameters that got none.
#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "../autograd/engine.hpp"
#include "../nn/module.hpp"
#include "collectives.hpp"
#include "ring.hpp"

namespace tapegrad::nn::parallel {

struct DistributedDataParallelOptions {
  /// Bucket size in MiB (PyTorch's bucket_cap_mb).
  double bucket_cap_mb = 25;
  /// The first bucket's size, smaller so that communication starts early.
  double first_bucket_cap_mb = 1;
  /// Broadcast rank 0's buffers at every forward (PyTorch's default).
  bool broadcast_buffers = true;
};

template <FloatingElement T = float>
class DistributedDataParallel : public Module<T> {
 public:
  /// Wraps module (its parameters appear as "module.<name>"); broadcasts
  /// rank 0's parameters and buffers. Needs init_process_group().
  explicit DistributedDataParallel(std::shared_ptr<Module<T>> module, DistributedDataParallelOptions options = {})
      : module_(std::move(module)), options_(options) {
    const char* op = "DistributedDataParallel";
    TAPEGRAD_CHECK(module_ != nullptr, ValueError, op, ": module is null");
    TAPEGRAD_CHECK(options_.bucket_cap_mb > 0 && options_.first_bucket_cap_mb > 0, ValueError, op,
                   ": bucket sizes must be positive, got bucket_cap_mb=", options_.bucket_cap_mb,
                   " and first_bucket_cap_mb=", options_.first_bucket_cap_mb);
    const auto& g = distributed::detail::require_group(op);
    this->register_module("module", module_);
    for (auto& [name, p] : this->named_parameters())
      if (p.requires_grad()) {
        names_.push_back(name);
        params_.push_back(p);
      }
    check_same_model(g);
    {
      NoGradGuard no_grad;
      for (auto& p : this->parameters()) distributed::broadcast(p, 0);
      for (auto& b : this->buffers()) distributed::broadcast(b, 0);
    }
    world_ = g.world;
    make_buckets();
    // the ring's tags (the same on every rank: construction is collective)
    auto& state = distributed::detail::group();
    tag_base_ = state.next_internal_tag;
    state.next_internal_tag = (state.next_internal_tag + static_cast<int>(buckets_.size())) % kTagSpan;
    for (size_t i = 0; i < params_.size(); ++i)
      hooks_.push_back(autograd::register_post_accumulate_grad_hook<T>(
          params_[i], [this, i](const Tensor<T>&) { on_grad_ready(i); }));
  }
  ~DistributedDataParallel() override {
    for (auto& h : hooks_) h.remove();
  }
  DistributedDataParallel(const DistributedDataParallel&) = delete;
  DistributedDataParallel& operator=(const DistributedDataParallel&) = delete;

  /// The wrapped module's forward; first checks that the previous backward
  /// reduced every gradient, and broadcasts rank 0's buffers.
  Tensor<T> forward(const Tensor<T>& x) override {
    check_previous_reduction();
    if (options_.broadcast_buffers && world_ > 1) {
      NoGradGuard no_grad;
      for (auto& b : module_->buffers()) distributed::broadcast(b, 0);
    }
    return module_->forward(x);
  }
  std::string name() const override { return "DistributedDataParallel"; }

  const std::shared_ptr<Module<T>>& module() const { return module_; }
  /// Number of gradient buckets and the parameter names in each (bucket 0 first).
  std::vector<std::vector<std::string>> bucket_parameter_names() const {
    std::vector<std::vector<std::string>> out;
    for (const auto& b : buckets_) {
      out.emplace_back();
      for (size_t i : b.params) out.back().push_back(names_[i]);
    }
    return out;
  }

  /// While alive, backward() accumulates gradients locally without
  /// communication (PyTorch's no_sync()); the first backward after it
  /// averages the accumulated gradients.
  class NoSync {
   public:
    explicit NoSync(DistributedDataParallel& ddp) : ddp_(&ddp), was_(ddp.sync_) { ddp.sync_ = false; }
    NoSync(const NoSync&) = delete;
    NoSync& operator=(const NoSync&) = delete;
    ~NoSync() { ddp_->sync_ = was_; }

   private:
    DistributedDataParallel* ddp_;
    bool was_;
  };
  [[nodiscard]] NoSync no_sync() { return NoSync(*this); }

 private:
  struct Bucket {
    std::vector<size_t> params;    // indices into params_
    std::vector<int64_t> offsets;  // of each in buffer
    Tensor<T> buffer;              // flat, the params' numels summed
    size_t pending = 0;            // gradients not yet copied in
    distributed::detail::RingAllReduce<T> sum;
  };

  void make_buckets() {
    const double mib = 1024.0 * 1024.0;
    Bucket cur;
    int64_t elems = 0;
    bucket_of_.resize(params_.size());
    pos_of_.resize(params_.size());
    auto close = [&] {
      if (cur.params.empty()) return;
      cur.buffer = tapegrad::detail::make_empty<T>({elems});
      buckets_.push_back(std::move(cur));
      cur = Bucket();
      elems = 0;
    };
    for (size_t k = params_.size(); k-- > 0;) {
      const double cap = (buckets_.empty() ? options_.first_bucket_cap_mb : options_.bucket_cap_mb) * mib;
      bucket_of_[k] = buckets_.size();
      pos_of_[k] = cur.params.size();
      cur.params.push_back(k);
      cur.offsets.push_back(elems);
      elems += params_[k].numel();
      if (static_cast<double>(elems) * sizeof(T) >= cap) close();
    }
    close();
    reset_iteration();
  }

  void reset_iteration() {
    ready_.assign(params_.size(), false);
    for (auto& b : buckets_) b.pending = b.params.size();
    next_launch_ = 0;
    started_ = false;
  }

  // Note [DDP buckets]
  void on_grad_ready(size_t i) {
    if (!sync_ || ready_[i]) return;
    started_ = true;
    ready_[i] = true;
    Bucket& b = buckets_[bucket_of_[i]];
    const size_t pos = pos_of_[i];
    const Tensor<T>& p = params_[i];
    tapegrad::detail::copy_into(b.buffer.narrow(0, b.offsets[pos], p.numel()).view(p.sizes()), p.grad());
    --b.pending;
    while (next_launch_ < buckets_.size() && buckets_[next_launch_].pending == 0) {
      const size_t k = next_launch_++;
      buckets_[k].sum.start(buckets_[k].buffer, (tag_base_ + static_cast<int>(k)) % kTagSpan);
    }
    progress();
    if (next_launch_ == buckets_.size()) finish();
  }

  // Note [DDP progress]: true when every launched bucket is summed.
  bool progress() {
    bool all = true;
    for (size_t k = 0; k < next_launch_; ++k) all = buckets_[k].sum.progress() && all;
    return all;
  }

  void finish() {
    NoGradGuard no_grad;
    const T scale = T(1) / static_cast<T>(world_);
    if (!distributed::detail::poll_until([this] { return progress(); })) {
      for (auto& b : buckets_) b.sum.abandon();
      distributed::detail::throw_timeout("DistributedDataParallel: all_reduce");
    }
    for (auto& b : buckets_) {
      T* d = b.buffer.data_ptr();
      for (int64_t e = 0; e < b.buffer.numel(); ++e) d[e] *= scale;
      for (size_t j = 0; j < b.params.size(); ++j) {
        const Tensor<T>& p = params_[b.params[j]];
        tapegrad::detail::copy_into(p.grad(), b.buffer.narrow(0, b.offsets[j], p.numel()).view(p.sizes()));
        p.grad().storage()->bump_version();
      }
    }
    reset_iteration();
  }

  void check_previous_reduction() {
    if (!started_) return;
    // the buckets launched before the missing gradient finish first (their
    // buffers are reused)
    for (size_t k = 0; k < next_launch_; ++k)
      if (!buckets_[k].sum.done()) buckets_[k].sum.wait("DistributedDataParallel: all_reduce");
    std::ostringstream os;
    int n = 0;
    for (size_t i = 0; i < params_.size(); ++i)
      if (!ready_[i]) os << (n++ ? ", " : "") << "'" << names_[i] << "'";
    reset_iteration();  // so a caller that catches this can go on
    tapegrad::detail::throw_error<ValueError>(
        "DistributedDataParallel: expected to have finished reduction in the prior iteration before starting a new "
        "one; parameters that received no gradient in backward(): ", os.str(),
        ". Every parameter that requires grad must take part in the loss (unused parameters are not supported: set "
        "requires_grad_(false) on them)");
  }

  // Every rank must hold the same parameters and buffers: the names and
  // shapes of rank 0's are sent to all, and each rank compares its own.
  void check_same_model(const distributed::detail::GroupState& g) {
    if (g.world == 1) return;
    std::ostringstream mine;
    auto describe = [&mine](const std::string& kind, const std::string& name, const Tensor<T>& t) {
      mine << kind << ' ' << name << ' ' << static_cast<const Shape&>(t.sizes()) << '\n';
    };
    for (size_t i = 0; i < params_.size(); ++i) describe("parameter", names_[i], params_[i]);
    for (auto& [name, b] : this->named_buffers()) describe("buffer", name, b);
    const std::string text = mine.str();
    // rank 0's description to every rank
    Tensor<int64_t> len = tapegrad::full<int64_t>({1}, static_cast<int64_t>(text.size()));
    distributed::broadcast(len, 0);
    Tensor<uint8_t> bytes = tapegrad::zeros<uint8_t>({len.item()});
    if (g.rank == 0) std::memcpy(bytes.data_ptr(), text.data(), text.size());
    distributed::broadcast(bytes, 0);
    const std::string root(reinterpret_cast<const char*>(bytes.data_ptr()), static_cast<size_t>(bytes.numel()));
    auto lines = [](const std::string& s) {
      std::vector<std::string> out;
      std::istringstream is(s);
      for (std::string l; std::getline(is, l);) out.push_back(l);
      return out;
    };
    const auto a = lines(root), b = lines(text);
    std::string err;
    for (size_t k = 0; k < std::min(a.size(), b.size()) && err.empty(); ++k)
      if (a[k] != b[k]) err = a[k] + " on rank 0 but " + b[k] + " on rank " + std::to_string(g.rank);
    if (err.empty() && a.size() != b.size())
      err = std::to_string(a.size()) + " parameters and buffers on rank 0 but " + std::to_string(b.size()) +
            " on rank " + std::to_string(g.rank) + (a.size() > b.size() ? " (missing: " + a[b.size()] + ")"
                                                                         : " (extra: " + b[a.size()] + ")");
    // every rank learns whether any differs, so that all throw together
    Tensor<int32_t> bad = tapegrad::full<int32_t>({1}, err.empty() ? 0 : 1);
    distributed::all_reduce(bad, distributed::ReduceOp::MAX);
    if (!err.empty())
      tapegrad::detail::throw_error<ValueError>("DistributedDataParallel: the model differs across ranks: ", err);
    TAPEGRAD_CHECK(bad.item() == 0, ValueError,
                   "DistributedDataParallel: the model differs across ranks (see the error of the other ranks)");
  }

  std::shared_ptr<Module<T>> module_;
  DistributedDataParallelOptions options_;
  std::vector<std::string> names_;
  std::vector<Tensor<T>> params_;
  std::vector<autograd::HookHandle<T>> hooks_;
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_;  // per parameter: its bucket
  std::vector<size_t> pos_of_;     // and its place in the bucket
  std::vector<bool> ready_;
  size_t next_launch_ = 0;
  bool started_ = false;  // some gradient of this iteration is in
  bool sync_ = true;
  int world_ = 1;
  int tag_base_ = 0;
  // MPI guarantees tags up to 32767
  static constexpr int kTagSpan = 16384;
};

}  // namespace tapegrad::nn::parallel
