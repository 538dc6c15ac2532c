// nn::parallel::DistributedDataParallel on 1, 2 and 3 ranks: the same
// training as one process with the whole batch, buckets, no_sync, and the
// errors for unused parameters and models that differ across ranks.
#include <doctest/doctest.h>

#include <tapegrad/distributed.hpp>
#include <tapegrad/tapegrad.hpp>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

namespace dist = tapegrad::distributed;
namespace nn = tapegrad::nn;
using tapegrad::Tensor;
using DDP = nn::parallel::DistributedDataParallel<float>;

namespace {
int rank() { return dist::get_rank(); }
int world() { return dist::get_world_size(); }

std::shared_ptr<nn::Sequential<float>> make_mlp(uint64_t seed, int64_t hidden = 32) {
  tapegrad::manual_seed(seed);
  auto m = std::make_shared<nn::Sequential<float>>();
  m->push_back(std::make_shared<nn::Linear<float>>(10, hidden));
  m->push_back(std::make_shared<nn::Linear<float>>(hidden, hidden));
  m->push_back(std::make_shared<nn::Linear<float>>(hidden, 3));
  return m;
}

// Synthetic data set: N samples of 10 features, 3 classes, the same on every rank.
struct Data {
  Tensor<float> x;
  Tensor<int64_t> y;
};
Data make_data(int64_t n) {
  tapegrad::Generator gen(42);
  return {tapegrad::randn<float>({n, 10}, gen), tapegrad::randint<int64_t>(0, 3, {n}, gen)};
}

// Loss per step of SGD with momentum on batches of `batch` rows, rows
// [rank * share, (rank + 1) * share) of each batch on this process.
std::vector<double> train(nn::Module<float>& model, const Data& d, int64_t batch, int64_t share, int64_t first,
                          int steps) {
  tapegrad::optim::SGD<float> opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
  std::vector<double> losses;
  for (int s = 0; s < steps; ++s) {
    const int64_t start = (s * batch) % d.x.size(0);
    Tensor<float> x = d.x.narrow(0, start + first, share);
    Tensor<int64_t> y = d.y.narrow(0, start + first, share);
    Tensor<float> loss = nn::functional::cross_entropy(model.forward(x), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    // the global batch's loss: the mean of the ranks' means
    Tensor<double> l = tapegrad::full<double>({1}, static_cast<double>(loss.item()));
    if (dist::is_initialized()) dist::all_reduce(l, dist::ReduceOp::AVG);
    losses.push_back(l.item());
  }
  return losses;
}
}  // namespace

TEST_CASE("DistributedDataParallel: ranks with batch B / world match one process with batch B") {
  const int64_t per_rank = 4, batch = per_rank * world();
  const Data d = make_data(batch * 8);
  // the reference: this process alone, the whole batch
  auto single = make_mlp(7);
  std::vector<double> want;
  {
    tapegrad::optim::SGD<float> opt(single->parameters(), {.lr = 0.1, .momentum = 0.9});
    for (int s = 0; s < 12; ++s) {
      const int64_t start = (s * batch) % d.x.size(0);
      Tensor<float> loss =
          nn::functional::cross_entropy(single->forward(d.x.narrow(0, start, batch)), d.y.narrow(0, start, batch));
      opt.zero_grad();
      loss.backward();
      opt.step();
      want.push_back(loss.item());
    }
  }
  // every rank starts from different weights: DDP broadcasts rank 0's
  auto model = make_mlp(7 + static_cast<uint64_t>(rank()));
  // a bucket per parameter, so that several are in flight
  DDP ddp(model, {.bucket_cap_mb = 1e-6, .first_bucket_cap_mb = 1e-6});
  CHECK(ddp.bucket_parameter_names().size() == 6);
  const std::vector<double> got = train(ddp, d, batch, per_rank, rank() * per_rank, 12);
  for (size_t s = 0; s < want.size(); ++s) {
    CAPTURE(s);
    CHECK(std::abs(got[s] - want[s]) <= 1e-5 * std::abs(want[s]));
  }
  // and the weights agree
  auto p = ddp.parameters(), q = single->parameters();
  for (size_t i = 0; i < p.size(); ++i)
    CHECK(tapegrad::allclose(p[i], q[i], 1e-5, 1e-6));
}

TEST_CASE("DistributedDataParallel: parameters are named module.<name> and bucketed last layer first") {
  auto model = make_mlp(1);
  DDP ddp(model);
  auto names = ddp.named_parameters();
  REQUIRE(names.size() == 6);
  CHECK(names[0].first == "module.0.weight");
  auto buckets = ddp.bucket_parameter_names();
  REQUIRE(buckets.size() == 1);  // 1.6k floats fit in the first bucket
  CHECK(buckets[0].front() == "module.2.bias");
  CHECK(buckets[0].back() == "module.0.weight");
}

TEST_CASE("DistributedDataParallel: construction gives every rank rank 0's parameters") {
  auto model = make_mlp(100 + static_cast<uint64_t>(rank()));
  DDP ddp(model);
  auto ref = make_mlp(100);
  auto p = model->parameters(), q = ref->parameters();
  for (size_t i = 0; i < p.size(); ++i) CHECK(tapegrad::equal(p[i], q[i]));
}

TEST_CASE("DistributedDataParallel: gradients are averaged over the ranks") {
  auto model = make_mlp(3);
  DDP ddp(model);
  // rank r's loss is (r + 1) * sum(output): the average gradient is the
  // gradient of sum(output) times the mean of 1..world
  Tensor<float> x = tapegrad::ones<float>({2, 10});
  (ddp.forward(x).sum() * static_cast<float>(rank() + 1)).backward();
  auto ref = make_mlp(3);
  ref->forward(x).sum().backward();
  const float mean = static_cast<float>(world() + 1) / 2;
  auto p = ddp.parameters(), q = ref->parameters();
  for (size_t i = 0; i < p.size(); ++i) CHECK(tapegrad::allclose(p[i].grad(), q[i].grad() * mean, 1e-5, 1e-6));
}

TEST_CASE("DistributedDataParallel: no_sync accumulates locally; the next backward averages the sum") {
  auto model = make_mlp(5);
  DDP ddp(model);
  Tensor<float> x = tapegrad::ones<float>({2, 10});
  {
    auto guard = ddp.no_sync();
    (ddp.forward(x).sum() * static_cast<float>(rank() + 1)).backward();
    // local only: the gradient of rank (r + 1) * sum
    auto ref = make_mlp(5);
    ref->forward(x).sum().backward();
    auto p = ddp.parameters(), q = ref->parameters();
    for (size_t i = 0; i < p.size(); ++i)
      CHECK(tapegrad::allclose(p[i].grad(), q[i].grad() * static_cast<float>(rank() + 1), 1e-5, 1e-6));
  }
  (ddp.forward(x).sum()).backward();
  // mean over ranks of (r + 2) * g
  auto ref = make_mlp(5);
  ref->forward(x).sum().backward();
  const float mean = static_cast<float>(world() + 1) / 2 + 1;
  auto p = ddp.parameters(), q = ref->parameters();
  for (size_t i = 0; i < p.size(); ++i) CHECK(tapegrad::allclose(p[i].grad(), q[i].grad() * mean, 1e-5, 1e-6));
}

namespace {
// A module whose layer b is unused by forward; registered after a, or
// before it (then b's parameters go in the last buckets).
struct Unused : nn::Module<float> {
  std::shared_ptr<nn::Linear<float>> a, b;
  explicit Unused(bool b_first = false) {
    tapegrad::manual_seed(9);
    if (b_first) b = register_module("b", std::make_shared<nn::Linear<float>>(4, 2));
    a = register_module("a", std::make_shared<nn::Linear<float>>(4, 2));
    if (!b_first) b = register_module("b", std::make_shared<nn::Linear<float>>(4, 2));
  }
  Tensor<float> forward(const Tensor<float>& x) override { return a->forward(x); }
  std::string name() const override { return "Unused"; }
};
const char* const kUnusedError =
    "DistributedDataParallel: expected to have finished reduction in the prior iteration before starting a new one; "
    "parameters that received no gradient in backward(): 'module.b.weight', 'module.b.bias'. Every parameter that "
    "requires grad must take part in the loss (unused parameters are not supported: set requires_grad_(false) on "
    "them)";
}  // namespace

TEST_CASE("DistributedDataParallel: a parameter without gradient is reported at the next forward") {
  DDP ddp(std::make_shared<Unused>());
  Tensor<float> x = tapegrad::ones<float>({1, 4});
  ddp.forward(x).sum().backward();
  CHECK_THROWS_WITH_AS(ddp.forward(x), kUnusedError, tapegrad::ValueError);
}

TEST_CASE("DistributedDataParallel: after a missing gradient, the buckets launched before it finish and are reused") {
  // a bucket per parameter: a's two are launched (their sums in flight), b's never
  DDP ddp(std::make_shared<Unused>(true), {.bucket_cap_mb = 1e-6, .first_bucket_cap_mb = 1e-6});
  REQUIRE(ddp.bucket_parameter_names().size() == 4);
  CHECK(ddp.bucket_parameter_names()[0][0] == "module.a.bias");
  Tensor<float> x = tapegrad::ones<float>({1, 4});
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    ddp.forward(x).sum().backward();
    // the same error every time, not a bucket still busy from the last one
    CHECK_THROWS_WITH_AS(ddp.forward(x), kUnusedError, tapegrad::ValueError);
  }
}

TEST_CASE("DistributedDataParallel: a model that differs across ranks is refused, naming the parameter and ranks") {
  if (world() == 1) return;
  auto model = make_mlp(1, rank() == 1 ? 16 : 32);
  if (rank() == 1)
    CHECK_THROWS_WITH_AS(DDP{model},
                         "DistributedDataParallel: the model differs across ranks: parameter module.0.weight [32, 10] "
                         "on rank 0 but parameter module.0.weight [16, 10] on rank 1",
                         tapegrad::ValueError);
  else
    CHECK_THROWS_WITH_AS(DDP{model},
                         "DistributedDataParallel: the model differs across ranks (see the error of the other ranks)",
                         tapegrad::ValueError);
}
