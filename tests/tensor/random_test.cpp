// rand/randn/normal_/uniform_/randint/randperm/bernoulli_/exponential_/
// multinomial against PyTorch 1.13's numbers for the same seeds, bit for bit
// (tests/reference/rng.txt, tools/gen_rng.py).
#include "support/rng_ref.hpp"

namespace {
namespace tg = tapegrad;
using rng_test::rec;
const uint64_t kSeeds[] = {0, 250, (1ULL << 32) + 7};
const int64_t kSizes[] = {1, 7, 15, 16, 17, 31};
std::string key(const char* fn, uint64_t seed, const std::string& tag, int64_t n) {
  return std::string(fn) + "." + std::to_string(seed) + "." + tag + "." + std::to_string(n);
}
}  // namespace

TEST_CASE("rand: manual_seed(0) starts 0.49625659, 0.76822180, 0.08847743 as PyTorch") {
  tg::manual_seed(0);
  auto x = tg::rand({3}).to_vector();
  CHECK(x[0] == 0.49625659f);
  CHECK(x[1] == 0.76822180f);
  CHECK(x[2] == 0.08847743f);
}

TEST_CASE_TEMPLATE("rand: PyTorch's bits for several seeds and sizes", T, float, double) {
  for (uint64_t seed : kSeeds)
    for (int64_t n : kSizes) {
      tg::manual_seed(seed);
      RNG_CHECK_BITS(tg::rand<T>({n}), key("rand", seed, rng_test::tag<T>(), n));
    }
  tg::manual_seed(1);
  RNG_CHECK_BITS(tg::rand<T>({1000}), key("rand", 1, rng_test::tag<T>(), 1000));
}

TEST_CASE_TEMPLATE("randn: PyTorch's bits on both paths (one at a time below 16, blocks of 16 above)", T, float,
                   double) {
  for (uint64_t seed : kSeeds)
    for (int64_t n : kSizes) {
      tg::manual_seed(seed);
      RNG_CHECK_BITS(tg::randn<T>({n}), key("randn", seed, rng_test::tag<T>(), n));
    }
  tg::manual_seed(1);
  RNG_CHECK_BITS(tg::randn<T>({1000}), key("randn", 1, rng_test::tag<T>(), 1000));
}

TEST_CASE_TEMPLATE("normal_ and uniform_: PyTorch's bits with a mean, std and range", T, float, double) {
  for (int64_t n : {7, 17, 100}) {
    tg::manual_seed(3);
    RNG_CHECK_BITS(tg::empty<T>({n}).normal_(0.5, 2.5), key("normal", 3, rng_test::tag<T>(), n));
    tg::manual_seed(3);
    RNG_CHECK_BITS(tg::empty<T>({n}).uniform_(-1.5, 2.25), key("uniform", 3, rng_test::tag<T>(), n));
  }
}

TEST_CASE_TEMPLATE("normal_, uniform_, randn_like, rand_like: non-contiguous outputs are filled in memory order",
                   T, float, double) {
  const std::string t = rng_test::tag<T>();
  tg::manual_seed(4);
  // 30 elements but not contiguous: PyTorch's one-at-a-time path
  RNG_CHECK_BITS(tg::empty<T>({6, 5}).t().normal_(), "noncontig.normal_t." + t);
  auto base = tg::zeros<T>({4, 8});
  base.slice(1, 0, 8, 2).normal_(1.0, 0.5);
  RNG_CHECK_BITS(base, "noncontig.normal_slice." + t);
  RNG_CHECK_BITS(tg::empty<T>({3, 7}).t().uniform_(-2, 2), "noncontig.uniform_t." + t);
  RNG_CHECK_BITS(tg::randn_like(tg::empty<T>({5, 4}).t()), "noncontig.randn_like_t." + t);
  RNG_CHECK_BITS(tg::rand_like(tg::empty<T>({5, 4}).t()), "noncontig.rand_like_t." + t);
}

TEST_CASE_TEMPLATE("randn: interleaved calls share one stream and the cached normal, as PyTorch", T, float, double) {
  const std::string t = "interleaved." + rng_test::tag<T>() + ".";
  tg::manual_seed(5);
  RNG_CHECK_BITS(tg::rand<T>({3}), t + "rand3");
  RNG_CHECK_BITS(tg::randn<T>({5}), t + "randn5");  // leaves its pair's second sample cached
  RNG_CHECK_BITS(tg::randint(0, 10, {4}), t + "randint4");
  RNG_CHECK_BITS(tg::randn<double>({3}), t + "randn3_f64");  // starts with the cached sample
  RNG_CHECK_BITS(tg::randn<T>({20}), t + "randn20");
  RNG_CHECK_BITS(tg::rand<double>({2}), t + "rand2_f64");
}

TEST_CASE_TEMPLATE("bernoulli_ and exponential_: PyTorch's bits", T, float, double) {
  tg::manual_seed(6);
  RNG_CHECK_BITS(tg::empty<T>({40}).bernoulli_(0.3), "bernoulli." + rng_test::tag<T>());
  RNG_CHECK_BITS(tg::empty<T>({20}).exponential_(1.5), "exponential." + rng_test::tag<T>());
}

TEST_CASE_TEMPLATE("randn, normal_ and exponential_: PyTorch's bits on 100000 draws each (the double log, sin, cos)",
                   T, float, double) {
  // tools/gen_rng.py's bits_hash of the contiguous result
  auto hash = [](const tg::Tensor<T>& t) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (T v : t.contiguous().to_vector()) {
      uint64_t b;
      if constexpr (sizeof(T) == 8) {
        std::memcpy(&b, &v, 8);
      } else {
        uint32_t b32;
        std::memcpy(&b32, &v, 4);
        b = b32;
      }
      h = (h ^ b) * 0x100000001b3ULL;
    }
    return static_cast<int64_t>(h);
  };
  const std::string t = rng_test::tag<T>();
  tg::manual_seed(9);
  CHECK(hash(tg::randn<T>({100000})) == rec("bulk.randn." + t + ".hash").ints.at(0));
  tg::manual_seed(10);
  CHECK(hash(tg::empty<T>({400, 250}).t().normal_()) == rec("bulk.normal_t." + t + ".hash").ints.at(0));
  tg::manual_seed(11);
  CHECK(hash(tg::empty<T>({100000}).exponential_(0.75)) == rec("bulk.exponential." + t + ".hash").ints.at(0));
}

TEST_CASE("bernoulli_ and exponential_: reject p outside [0, 1] and a negative lambda") {
  auto x = tg::empty<float>({3});
  CHECK_THROWS_WITH_AS(x.bernoulli_(1.5), "bernoulli_: expects p to be in [0, 1], but got p=1.5", tg::ValueError);
  CHECK_THROWS_WITH_AS(x.exponential_(-1), "exponential_: expects lambda >= 0.0, but found lambda=-1",
                       tg::ValueError);
  auto i = tg::empty<int64_t>({100}).bernoulli_(0.5);  // any dtype takes 0/1
  CHECK(i.min().item() == 0);
  CHECK(i.max().item() == 1);
}

TEST_CASE("randint, randint_like: PyTorch's values, 32-bit draws below 2^32 and 64-bit ones above") {
  tg::manual_seed(8);
  RNG_CHECK_BITS(tg::randint(0, 10, {20}), "randint.0_10");
  RNG_CHECK_BITS(tg::randint(-5, 5, {7}), "randint.m5_5");
  RNG_CHECK_BITS(tg::randint(0, int64_t{1} << 33, {5}), "randint.wide");
  RNG_CHECK_BITS(tg::randint(-(int64_t{1} << 40), 3, {5}), "randint.wide_neg");
  RNG_CHECK_BITS(tg::randint(6, {9}), "randint.high");
  RNG_CHECK_BITS(tg::randint<float>(0, int64_t{1} << 33, {4}), "randint.f32");
  RNG_CHECK_BITS(tg::randint_like(tg::empty<int64_t>({3, 2}).t(), -3, 4), "randint_like");
  CHECK_THROWS_WITH_AS(tg::randint(3, 3, {2}), "randint: expected low < high, but got low=3 high=3", tg::ValueError);
}

TEST_CASE("randperm: PyTorch 1.13's swaps for small and large n") {
  for (int64_t n : {1, 2, 7, 16, 100}) {
    tg::manual_seed(9);
    RNG_CHECK_BITS(tg::randperm(n), "randperm." + std::to_string(n));
  }
  tg::manual_seed(9);
  RNG_CHECK_BITS(tg::randperm(100000).slice(0, 0, 100000, 997), "randperm.100000.every997");
  CHECK(tg::randperm(0).numel() == 0);
}

TEST_CASE_TEMPLATE("multinomial: PyTorch's draws with and without replacement", T, float, double) {
  const std::string t = "multinomial." + rng_test::tag<T>() + ".";
  auto p = tg::tensor<T>({0.1, 0.2, 0.3, 0.4});
  auto p2 = tapegrad_test::load<T>("rng.txt", "multinomial.p2");
  tg::manual_seed(10);
  RNG_CHECK_BITS(tg::multinomial(p, 3), t + "norep");
  RNG_CHECK_BITS(tg::multinomial(p, 1), t + "one");
  RNG_CHECK_BITS(tg::multinomial(p, 12, true), t + "rep");
  RNG_CHECK_BITS(tg::multinomial(p2, 6, true), t + "2d_rep");
  RNG_CHECK_BITS(tg::multinomial(p2.slice(0, 0, 2), 4), t + "2d_norep");
}

TEST_CASE("multinomial: rejects bad distributions and sample counts") {
  CHECK_THROWS_WITH_AS(tg::multinomial(tg::tensor<float>({0.5f, 0.5f}), 3),
                       "multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::multinomial(tg::tensor<float>({0.5f, -0.5f}), 1),
                       "multinomial: probability tensor contains either `inf`, `nan` or element < 0", tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::multinomial(tg::tensor<float>({0.0f, 0.0f}), 1, true),
                       "multinomial: invalid multinomial distribution (sum of probabilities <= 0)", tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::multinomial(tg::zeros<float>({2, 2, 2}), 1),
                       "multinomial: prob_dist must be 1 or 2 dim, got shape [2, 2, 2]", tg::ShapeError);
}

TEST_CASE("Generator: explicit generators draw PyTorch's numbers and leave the default one alone") {
  tg::manual_seed(14);
  tg::Generator g;
  CHECK(static_cast<int64_t>(g.initial_seed()) == rec("generator.default_seed").ints[0]);
  RNG_CHECK_BITS(tg::rand<float>({3}, g), "generator.default_seed.rand");
  g.manual_seed(42);
  RNG_CHECK_BITS(tg::randn<float>({3}, g), "generator.42.randn3");
  RNG_CHECK_BITS(tg::rand<float>({20}, g), "generator.42.rand20");
  RNG_CHECK_BITS(tg::rand<float>({3}), "generator.default.rand");
}

TEST_CASE("get_rng_state / set_rng_state: PyTorch's 5056 bytes, and restoring replays the stream") {
  tg::manual_seed(7);
  tg::rand({10});
  tg::randn<double>({1});  // leaves a cached normal in the state
  auto state = tg::get_rng_state();
  RNG_CHECK_BITS(state, "state.bytes");
  auto a = tg::randn({5});
  RNG_CHECK_BITS(a, "state.next");
  tg::rand({100});
  tg::set_rng_state(state);
  CHECK(tg::equal(tg::randn({5}), a));
  // a state written by PyTorch loads too
  tg::Generator g(0);
  tg::set_rng_state(tapegrad_test::load<uint8_t>("rng.txt", "state.bytes"), g);
  RNG_CHECK_BITS(tg::randn<float>({5}, g), "state.next");
  CHECK_THROWS_WITH_AS(tg::set_rng_state(tg::zeros<uint8_t>({10})),
                       "set_state: expected a state of 5056 bytes (get_state()), got 10", tg::ValueError);
}

TEST_CASE("manual_seed: a 64-bit seed keeps initial_seed() and seeds MT19937 with its low 32 bits, as PyTorch") {
  tg::manual_seed((1ULL << 40) + 5);
  CHECK(static_cast<int64_t>(tg::initial_seed()) == rec("seed.big.initial_seed").ints[0]);
  RNG_CHECK_BITS(tg::rand({4}), "seed.big.rand");
  const uint64_t s = tg::seed();
  CHECK(tg::initial_seed() == s);
  auto x = tg::rand({4});
  tg::manual_seed(s);
  CHECK(tg::equal(tg::rand({4}), x));
}
