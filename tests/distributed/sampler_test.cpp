// data::DistributedSampler across the job's real ranks: gathered, the ranks'
// shares of an epoch are every sample once.
#include <doctest/doctest.h>

#include <tapegrad/data/distributed_sampler.hpp>
#include <tapegrad/distributed.hpp>
#include <tapegrad/tapegrad.hpp>

#include <algorithm>
#include <vector>

namespace dist = tapegrad::distributed;

TEST_CASE("DistributedSampler: the ranks' shares of each epoch, gathered, are every sample once") {
  const int world = dist::get_world_size();
  const int64_t n = 6 * 5;  // divisible by 1, 2 and 3: no padding
  tapegrad::data::DistributedSampler sampler(n, dist::get_rank(), world, true, 11);
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    sampler.set_epoch(epoch);
    auto mine = sampler.indices();
    auto all = tapegrad::zeros<int64_t>({n});
    dist::all_gather_into_tensor(all, mine);
    std::vector<int64_t> v = all.to_vector();
    std::sort(v.begin(), v.end());
    for (int64_t i = 0; i < n; ++i) CHECK(v[static_cast<size_t>(i)] == i);
  }
}
