// data/distributed_sampler.hpp: PyTorch's index lists without shuffle
// (tests/reference/distributed_sampler.txt, tools/gen_distributed_sampler.py),
// the coverage of an epoch with shuffle, set_epoch, and DataLoader's sampler.
#include <doctest/doctest.h>

#include <tapegrad/data.hpp>
#include <tapegrad/data/distributed_sampler.hpp>
#include <tapegrad/tapegrad.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "support/reference.hpp"

using tapegrad::Tensor;
using tapegrad::data::DistributedSampler;

namespace {
std::vector<int64_t> indices(const DistributedSampler& s) { return s.indices().to_vector(); }
}  // namespace

TEST_CASE("DistributedSampler: without shuffle, each rank's indices are PyTorch's (padding and drop_last)") {
  const int cases[][2] = {{10, 2}, {10, 3}, {10, 4}, {7, 3}, {5, 8}, {2, 5}, {1, 3}, {12, 4}, {0, 2}};
  for (const auto& c : cases)
    for (bool drop : {false, true})
      for (int r = 0; r < c[1]; ++r) {
        const std::string name = "n" + std::to_string(c[0]) + ".w" + std::to_string(c[1]) + "." +
                                 (drop ? "drop" : "keep") + ".r" + std::to_string(r);
        CAPTURE(name);
        DistributedSampler s(c[0], r, c[1], false, 0, drop);
        const auto want = tapegrad_test::ref("distributed_sampler.txt", name).as<int64_t>();
        CHECK(s.size() == static_cast<int64_t>(want.size()));
        CHECK(indices(s) == want);
      }
}

TEST_CASE("DistributedSampler: with shuffle, the ranks together see every sample once per epoch") {
  for (int world : {1, 2, 3, 4}) {
    const int64_t n = 24;  // divisible: no padding
    for (int64_t epoch : {0, 1}) {
      std::vector<int64_t> all;
      for (int r = 0; r < world; ++r) {
        DistributedSampler s(n, r, world, true, 5);
        s.set_epoch(epoch);
        const auto idx = indices(s);
        CHECK(static_cast<int64_t>(idx.size()) == n / world);
        all.insert(all.end(), idx.begin(), idx.end());
      }
      std::sort(all.begin(), all.end());
      std::vector<int64_t> want(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) want[static_cast<size_t>(i)] = i;
      CHECK(all == want);
    }
  }
}

TEST_CASE("DistributedSampler: uneven sizes are padded by repeating samples, so every rank has the same count") {
  const int64_t n = 10;
  const int world = 4;
  std::vector<int64_t> count(n, 0);
  for (int r = 0; r < world; ++r) {
    DistributedSampler s(n, r, world, true, 1);
    CHECK(s.size() == 3);
    for (int64_t i : indices(s)) ++count[static_cast<size_t>(i)];
  }
  // 12 slots for 10 samples: each seen once, two of them twice
  CHECK(std::count(count.begin(), count.end(), 1) == 8);
  CHECK(std::count(count.begin(), count.end(), 2) == 2);
  // drop_last cuts to 8: eight distinct samples
  std::vector<int64_t> seen;
  for (int r = 0; r < world; ++r) {
    auto idx = indices(DistributedSampler(n, r, world, true, 1, true));
    seen.insert(seen.end(), idx.begin(), idx.end());
  }
  std::sort(seen.begin(), seen.end());
  CHECK(seen.size() == 8);
  CHECK(std::unique(seen.begin(), seen.end()) == seen.end());
}

TEST_CASE("DistributedSampler: set_epoch changes the order; the same seed and epoch give the same order") {
  DistributedSampler a(100, 0, 2, true, 3), b(100, 0, 2, true, 3);
  const auto e0 = indices(a);
  CHECK(indices(b) == e0);
  a.set_epoch(1);
  CHECK(a.epoch() == 1);
  CHECK(indices(a) != e0);
  b.set_epoch(1);
  CHECK(indices(b) == indices(a));
  CHECK(indices(DistributedSampler(100, 0, 2, true, 4)) != e0);
}

TEST_CASE("DistributedSampler: an invalid rank or world size is refused") {
  CHECK_THROWS_WITH_AS(DistributedSampler(10, 2, 2), "DistributedSampler: invalid rank 2, rank should be in the interval [0, 1]",
                       tapegrad::ValueError);
  CHECK_THROWS_WITH_AS(DistributedSampler(10, 0, 0), "DistributedSampler: num_replicas must be positive, got 0",
                       tapegrad::ValueError);
  CHECK_THROWS_WITH_AS(DistributedSampler(-1, 0, 1), "DistributedSampler: dataset_size must be non-negative, got -1",
                       tapegrad::ValueError);
}

TEST_CASE("DataLoader: with a sampler, batches are the sampler's indices in order") {
  Tensor<float> x = tapegrad::arange<float>(10).view({10, 1});
  Tensor<int64_t> y = tapegrad::arange<int64_t>(10);
  DistributedSampler s(10, 1, 3, false);  // PyTorch: 1 4 7 0
  tapegrad::data::DataLoader loader(x, y, {.batch_size = 3, .sampler = &s});
  CHECK(loader.size() == 2);
  CHECK(loader.epoch_samples() == 4);
  std::vector<int64_t> got;
  std::vector<int64_t> sizes;
  for (auto& [xb, yb] : loader) {
    sizes.push_back(yb.numel());
    for (int64_t v : yb.to_vector()) got.push_back(v);
    CHECK(tapegrad::equal(xb.view({-1}), yb.to<float>()));
  }
  CHECK(got == std::vector<int64_t>{1, 4, 7, 0});
  CHECK(sizes == std::vector<int64_t>{3, 1});
  tapegrad::data::DataLoader dropping(x, y, {.batch_size = 3, .drop_last = true, .sampler = &s});
  CHECK(dropping.size() == 1);
}

TEST_CASE("DataLoader: a sampler together with shuffle is refused") {
  Tensor<float> x = tapegrad::zeros<float>({4, 1});
  Tensor<int64_t> y = tapegrad::zeros<int64_t>({4});
  DistributedSampler s(4, 0, 1);
  CHECK_THROWS_WITH_AS(tapegrad::data::DataLoader(x, y, {.batch_size = 2, .shuffle = true, .sampler = &s}),
                       "DataLoader: sampler option is mutually exclusive with shuffle", tapegrad::ValueError);
}
