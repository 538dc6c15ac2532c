// DataLoader: batch sizes, the last partial batch and drop_last; batches are
// contiguous copies that keep samples and targets paired; shuffling draws a
// new randperm from the generator every epoch (reproducible with a seed) and
// visits every sample exactly once.
#include <doctest/doctest.h>

#include "support/reference.hpp"
#include <tapegrad/data.hpp>
#include <tapegrad/tapegrad.hpp>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

using namespace tapegrad;
using data::DataLoader;

namespace {

// n samples of shape [2, 3]: sample i holds 100*i + 0..5; target i is i.
Tensor<float> samples(int64_t n) {
  return arange<float>(0, static_cast<double>(n * 6)).view({n, 2, 3}) +
         arange<float>(0, static_cast<double>(n)).view({n, 1, 1}) * 94.0f;
}

// The sample indices of one epoch, in order, checking each batch's x against
// its y on the way.
template <class Loader>
std::vector<int64_t> epoch_order(const Loader& loader, std::vector<int64_t>* batch_sizes = nullptr) {
  std::vector<int64_t> order;
  for (auto& [x, y] : loader) {
    REQUIRE(x.is_contiguous());
    REQUIRE(x.size(0) == y.size(0));
    if (batch_sizes) batch_sizes->push_back(x.size(0));
    for (int64_t k = 0; k < y.size(0); ++k) {
      const int64_t i = y(k);
      for (int64_t a = 0; a < 2; ++a)
        for (int64_t b = 0; b < 3; ++b) REQUIRE(x(k, a, b) == static_cast<float>(100 * i + 3 * a + b));
      order.push_back(i);
    }
  }
  return order;
}

std::vector<int64_t> iota(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = i;
  return v;
}

}  // namespace

TEST_CASE("DataLoader: size() counts batches, with and without drop_last") {
  const auto x = samples(10);
  const auto y = arange<int64_t>(0, 10);
  CHECK(DataLoader(x, y, {.batch_size = 3}).size() == 4);
  CHECK(DataLoader(x, y, {.batch_size = 3, .drop_last = true}).size() == 3);
  CHECK(DataLoader(x, y, {.batch_size = 5}).size() == 2);
  CHECK(DataLoader(x, y, {.batch_size = 5, .drop_last = true}).size() == 2);
  CHECK(DataLoader(x, y, {.batch_size = 11}).size() == 1);
  CHECK(DataLoader(x, y, {.batch_size = 11, .drop_last = true}).size() == 0);
  CHECK(DataLoader(x, y).size() == 10);  // PyTorch's default batch_size 1
  CHECK(DataLoader(x, y).num_samples() == 10);
}

TEST_CASE("DataLoader: batches in order, the last one partial unless drop_last") {
  const auto x = samples(10);
  const auto y = arange<int64_t>(0, 10);
  std::vector<int64_t> sizes;
  CHECK(epoch_order(DataLoader(x, y, {.batch_size = 4}), &sizes) == iota(10));
  CHECK(sizes == std::vector<int64_t>{4, 4, 2});

  sizes.clear();
  CHECK(epoch_order(DataLoader(x, y, {.batch_size = 4, .drop_last = true}), &sizes) == iota(8));
  CHECK(sizes == std::vector<int64_t>{4, 4});

  DataLoader loader(x, y, {.batch_size = 4});
  auto it = loader.begin();
  CHECK(it->x.sizes() == Shape{4, 2, 3});
  CHECK(it->y.sizes() == Shape{4});
  ++it;
  ++it;
  CHECK(it->x.sizes() == Shape{2, 2, 3});
  ++it;
  CHECK(it == loader.end());
}

TEST_CASE("DataLoader: batches are copies, not views of the data") {
  const auto x = samples(4);
  const auto y = arange<int64_t>(0, 4);
  DataLoader loader(x, y, {.batch_size = 2});
  auto it = loader.begin();
  it->x.fill_(-1.0f);
  it->y.fill_(-1);
  CHECK(x(0, 0, 0) == 0.0f);
  CHECK(y(0) == 0);
  CHECK(it->x.storage() != x.storage());
}

TEST_CASE("DataLoader: shuffle visits every sample exactly once per epoch, x and y paired") {
  const auto x = samples(23);
  const auto y = arange<int64_t>(0, 23);
  Generator gen(1);
  DataLoader loader(x, y, {.batch_size = 5, .shuffle = true, .generator = &gen});
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::vector<int64_t> sizes;
    std::vector<int64_t> order = epoch_order(loader, &sizes);
    CHECK(sizes == std::vector<int64_t>{5, 5, 5, 5, 3});
    CHECK(order != iota(23));
    std::sort(order.begin(), order.end());
    CHECK(order == iota(23));
  }
  // drop_last with shuffle: a random 20 of the 23, each at most once.
  DataLoader dropping(x, y, {.batch_size = 5, .shuffle = true, .drop_last = true, .generator = &gen});
  std::vector<int64_t> order = epoch_order(dropping);
  CHECK(order.size() == 20);
  std::sort(order.begin(), order.end());
  CHECK(std::adjacent_find(order.begin(), order.end()) == order.end());
}

TEST_CASE("DataLoader: shuffle is randperm from the generator, new each epoch, same for the same seed") {
  const auto x = samples(50);
  const auto y = arange<int64_t>(0, 50);
  Generator g1(42), g2(42), ref(42);
  DataLoader a(x, y, {.batch_size = 8, .shuffle = true, .generator = &g1});
  DataLoader b(x, y, {.batch_size = 8, .shuffle = true, .generator = &g2});
  const auto a1 = epoch_order(a), a2 = epoch_order(a);
  ref.random64();  // each epoch first draws PyTorch's worker base seed (Note [DataLoader draws as PyTorch's])
  CHECK(a1 == randperm(50, ref).to_vector());
  (void)randperm(50, ref);  // RandomSampler's trailing (empty) randperm at the epoch's end
  ref.random64();
  CHECK(a2 == randperm(50, ref).to_vector());
  CHECK(a1 != a2);
  CHECK(epoch_order(b) == a1);
  CHECK(epoch_order(b) == a2);
}

TEST_CASE("DataLoader: without a generator, shuffle follows manual_seed") {
  const auto x = samples(30);
  const auto y = arange<int64_t>(0, 30);
  DataLoader loader(x, y, {.batch_size = 7, .shuffle = true});
  manual_seed(7);
  const auto first = epoch_order(loader);
  manual_seed(7);
  CHECK(epoch_order(loader) == first);
  // as PyTorch's RandomSampler: a base seed, then a seed for a fresh generator
  Generator ref(7);
  ref.random64();
  Generator sampler(ref.random64() % (1ULL << 63));
  CHECK(first == randperm(30, sampler).to_vector());
}

TEST_CASE("DataLoader: shuffled epochs and the draws after them match PyTorch's DataLoader for the same seed") {
  const auto x = samples(10);
  const auto y = arange<int64_t>(0, 10);
  auto want = [](const std::string& name) { return tapegrad_test::ref("rng.txt", name).ints; };
  manual_seed(15);
  DataLoader loader(x, y, {.batch_size = 4, .shuffle = true});
  CHECK(epoch_order(loader) == want("dataloader.default.epoch0"));
  CHECK(epoch_order(loader) == want("dataloader.default.epoch1"));
  CHECK(rand({2}).to_vector() == tapegrad_test::ref("rng.txt", "dataloader.default.after").as<float>());
  manual_seed(15);
  Generator g(16);
  DataLoader with_gen(x, y, {.batch_size = 3, .shuffle = true, .generator = &g});
  CHECK(epoch_order(with_gen) == want("dataloader.gen.epoch0"));
  CHECK(epoch_order(with_gen) == want("dataloader.gen.epoch1"));
  CHECK(rand({2}, g).to_vector() == tapegrad_test::ref("rng.txt", "dataloader.gen.after").as<float>());
  manual_seed(15);
  DataLoader plain(x, y, {.batch_size = 4});
  for (auto& batch : plain) (void)batch;
  CHECK(rand({2}).to_vector() == tapegrad_test::ref("rng.txt", "dataloader.noshuffle.after").as<float>());
}

TEST_CASE("DataLoader: with a generator, RandomSampler's trailing randperm is drawn where PyTorch draws it") {
  // a draw from the loader's generator after every batch shows when the
  // sampler's last randperm happens: kept partial batch, dropped one, none
  const auto x = samples(10);
  const auto y = arange<int64_t>(0, 10);
  auto run = [&](int64_t batch_size, bool drop_last) {
    Generator g(17);
    DataLoader loader(x, y, {.batch_size = batch_size, .shuffle = true, .drop_last = drop_last, .generator = &g});
    std::vector<int64_t> seen;
    for (auto& [bx, by] : loader) {
      for (const int64_t i : by.to_vector()) seen.push_back(i);
      seen.push_back(randint(1000, {1}, g).item());
    }
    return seen;
  };
  auto want = [](const std::string& name) { return tapegrad_test::ref("rng.txt", name).ints; };
  CHECK(run(3, false) == want("dataloader.gen_partial.interleaved"));
  CHECK(run(4, true) == want("dataloader.gen_droplast.interleaved"));
  CHECK(run(5, false) == want("dataloader.gen_exact.interleaved"));
  // an epoch left after its first batch draws no trailing randperm
  Generator g(18);
  DataLoader loader(x, y, {.batch_size = 4, .shuffle = true, .generator = &g});
  for (auto it = loader.begin(); it != loader.end(); ++it) break;
  CHECK(rand({2}, g).to_vector() == tapegrad_test::ref("rng.txt", "dataloader.gen_break.after").as<float>());
}

TEST_CASE("DataLoader: non-contiguous inputs and other dtypes") {
  // x^T of a [3, n] tensor: a non-contiguous [n, 3]; targets as float.
  const auto base = arange<double>(0, 18).view({3, 6});
  const auto xt = base.t();
  REQUIRE(!xt.is_contiguous());
  const auto yf = arange<float>(0, 6) * 2.0f;
  Generator gen(3);
  DataLoader loader(xt, yf, {.batch_size = 4, .shuffle = true, .generator = &gen});
  int64_t seen = 0;
  for (auto& batch : loader) {
    static_assert(std::is_same_v<decltype(batch.x), Tensor<double>>);
    static_assert(std::is_same_v<decltype(batch.y), Tensor<float>>);
    for (int64_t k = 0; k < batch.y.size(0); ++k) {
      const auto i = static_cast<int64_t>(batch.y(k) / 2.0f);
      CHECK(batch.x(k, 0) == static_cast<double>(i));
      CHECK(batch.x(k, 2) == static_cast<double>(12 + i));
      ++seen;
    }
  }
  CHECK(seen == 6);
}

TEST_CASE("DataLoader: an empty dataset has no batches") {
  DataLoader loader(zeros<float>({0, 4}), zeros<int64_t>({0}), {.batch_size = 2, .shuffle = true});
  CHECK(loader.size() == 0);
  CHECK(loader.begin() == loader.end());
}

TEST_CASE("DataLoader: rejects a bad batch_size and mismatched sample counts") {
  const auto x = samples(4);
  const auto y = arange<int64_t>(0, 3);
  CHECK_THROWS_WITH_AS(DataLoader(x, arange<int64_t>(0, 4), {.batch_size = 0}),
                       "DataLoader: batch_size must be positive, got 0", ValueError);
  CHECK_THROWS_WITH_AS(DataLoader(x, y),
                       "DataLoader: data has 4 samples but targets has 3 (dim 0 of [4, 2, 3] and [3])",
                       ShapeError);
  CHECK_THROWS_WITH_AS(DataLoader(tensor<float>(1.0f), y),
                       "DataLoader: data and targets need a sample dimension (dim 0), got [] and [3]",
                       ShapeError);
  CHECK_THROWS_WITH_AS(DataLoader(Tensor<float>(), y),
                       "DataLoader: data and targets must be defined tensors", ValueError);
}

TEST_CASE("DataLoader: iterates MNIST-shaped data") {
  // [N, 784] float and [N] int64, as data::MNIST gives them.
  const auto x = rand<float>({300, 784});
  const auto y = randint<int64_t>(0, 10, {300});
  Generator gen(0);
  DataLoader loader(x, y, {.batch_size = 256, .shuffle = true, .generator = &gen});
  CHECK(loader.size() == 2);
  int64_t n = 0;
  float sum_batches = 0, sum_all = x.sum().item();
  for (const auto& [bx, by] : loader) {
    CHECK(bx.size(1) == 784);
    n += by.size(0);
    sum_batches += bx.sum().item();
  }
  CHECK(n == 300);
  CHECK(sum_batches == doctest::Approx(sum_all).epsilon(1e-4));
}

TEST_CASE("DataLoader: from uint8 data with a divisor, batches are float(x) / divisor, shuffled alike") {
  // Every byte value, 4 per sample: pixels as MNIST keeps them.
  const auto pixels = arange<int64_t>(0, 256).to<uint8_t>().view({64, 4});
  const auto floats = pixels.to<float>() / 255.0f;
  const auto y = arange<int64_t>(0, 64);
  Generator g1(3), g2(3);
  DataLoader a(floats, y, {.batch_size = 10, .shuffle = true, .generator = &g1});
  DataLoader b(pixels, y, {.batch_size = 10, .shuffle = true, .generator = &g2}, 255.0f);
  static_assert(std::is_same_v<decltype(b), DataLoader<float, int64_t, uint8_t>>);
  CHECK(b.size() == 7);
  static_assert(std::is_same_v<std::decay_t<decltype(b.data())>, Tensor<uint8_t>>);
  int64_t batches = 0;
  auto ib = b.begin();
  for (auto& [xa, ya] : a) {
    REQUIRE(ib != b.end());
    CHECK(ib->x.sizes() == xa.sizes());
    CHECK(ib->y.to_vector() == ya.to_vector());
    CHECK(ib->x.to_vector() == xa.to_vector());  // exactly: the same division
    ++ib;
    ++batches;
  }
  CHECK(batches == 7);
  CHECK(ib == b.end());

  SUBCASE("without shuffle, and with drop_last") {
    DataLoader c(pixels, y, {.batch_size = 10, .drop_last = true}, 255.0f);
    CHECK(c.size() == 6);
    int64_t n = 0;
    for (auto& [x, t] : c) {
      CHECK(x.to_vector() == floats.narrow(0, n * 10, 10).contiguous().to_vector());
      CHECK(t(0) == n * 10);
      ++n;
    }
    CHECK(n == 6);
  }
}

TEST_CASE("DataLoader: rejects a zero divisor") {
  const auto pixels = zeros<uint8_t>({4, 2});
  const auto y = zeros<int64_t>({4});
  CHECK_THROWS_WITH_AS(DataLoader(pixels, y, {.batch_size = 2}, 0.0f),
                       "DataLoader: the divisor must be non-zero, got 0", ValueError);
}

TEST_CASE("DataLoader: a large shuffled batch is gathered the same on 1, 2 and 3 threads") {
  // Batches of 257 rows of 100 floats (100 KiB, over kParallelGatherBytes: split
  // between the threads in uneven shares), then one of 43 rows (gathered on one).
  struct ThreadsGuard {
    int before = get_num_threads();
    ~ThreadsGuard() { set_num_threads(before); }
  } guard;
  const auto pixels = randint<int64_t>(0, 256, {300, 100}).to<uint8_t>();
  const auto floats = pixels.to<float>() / 255.0f;
  const auto y = arange<int64_t>(0, 300);
  std::vector<std::vector<float>> first;
  for (const int threads : {1, 2, 3}) {
    CAPTURE(threads);
    set_num_threads(threads);
    Generator g1(5), g2(5);
    DataLoader same(floats, y, {.batch_size = 257, .shuffle = true, .generator = &g1});
    DataLoader converted(pixels, y, {.batch_size = 257, .shuffle = true, .generator = &g2}, 255.0f);
    std::vector<std::vector<float>> got;
    auto ic = converted.begin();
    for (auto& [x, t] : same) {
      REQUIRE(ic != converted.end());
      CHECK(ic->y.to_vector() == t.to_vector());
      CHECK(ic->x.to_vector() == x.to_vector());
      for (int64_t k = 0; k < t.size(0); ++k)
        REQUIRE(x.select(0, k).to_vector() == floats.select(0, t(k)).to_vector());
      got.push_back(x.to_vector());
      ++ic;
    }
    REQUIRE(got.size() == 2);
    if (threads == 1) first = got;
    CHECK(got == first);
  }
}
