// Generator: PyTorch's MT19937 stream and seeding, copies, and the lock that
// makes the default generator safe to share between threads (this file is
// also run under ThreadSanitizer by CI).
#include <doctest/doctest.h>

#include <cstring>
#include <functional>
#include <tapegrad/tapegrad.hpp>
#include <thread>
#include <vector>

namespace {
namespace tg = tapegrad;
namespace nn = tapegrad::nn;
}  // namespace

TEST_CASE("Generator: random() is MT19937 seeded by init_genrand, as PyTorch's CPU generator") {
  tg::Generator g(5489);  // the standard MT19937 seed: its 10000th output is 4123659995
  uint32_t x = 0;
  for (int i = 0; i < 10000; ++i) x = g.random();
  CHECK(x == 4123659995U);
  g.manual_seed(0);
  const uint32_t hi = g.random(), lo = g.random();
  g.manual_seed(0);
  CHECK(g.random64() == (static_cast<uint64_t>(hi) << 32 | lo));  // first draw high
  // rand's first float is the low 24 bits of random() times 2^-24
  tg::manual_seed(0);
  CHECK(tg::rand({1}).item() == static_cast<float>(hi & 0xffffff) * 0x1.0p-24f);
}

TEST_CASE("Generator: random_fill draws the words random() would, from any position, across twists") {
  // starts: fresh (the first word twists), mid-state, one before and at a
  // twist (624 words per twist); lengths: empty, short, longer than a twist
  for (int skip : {0, 1, 300, 622, 623, 624, 625}) {
    for (int64_t n : {0, 1, 7, 623, 624, 625, 2000}) {
      tg::Generator a(11), b(11);
      for (int i = 0; i < skip; ++i) (void)a.random(), (void)b.random();
      std::vector<uint32_t> bulk(static_cast<size_t>(n) + 1, 0xdeadbeefU);
      {
        tg::Generator::Draws d(a);
        d.random_fill(bulk.data(), n);
      }
      int64_t wrong = 0;
      for (int64_t i = 0; i < n; ++i) wrong += bulk[static_cast<size_t>(i)] != b.random();
      CAPTURE(skip);
      CAPTURE(n);
      CHECK(wrong == 0);
      CHECK(bulk[static_cast<size_t>(n)] == 0xdeadbeefU);  // nothing written past n
      CHECK(a.random() == b.random());                      // both generators at the same place
      CHECK(a.get_state() == b.get_state());
    }
  }
}

TEST_CASE("Generator: seeds, initial_seed, copies and state round trips") {
  tg::Generator a;
  CHECK(a.initial_seed() == 67280421310721ULL);
  a.manual_seed(77);
  CHECK(a.initial_seed() == 77);
  a.random();
  tg::randn<double>({1}, a);  // caches a normal, which a copy carries
  tg::Generator b = a;
  CHECK(tg::equal(tg::randn<double>({3}, a), tg::randn<double>({3}, b)));
  tg::Generator c(1);
  c.set_state(a.get_state());
  CHECK(c.initial_seed() == 77);
  CHECK(tg::equal(tg::rand<float>({40}, a), tg::rand<float>({40}, c)));
  CHECK(tg::equal(tg::randn<float>({7}, a), tg::randn<float>({7}, c)));
  auto bad = tg::Generator(1).get_state();
  const int32_t left = 1000;  // MT19937 position out of range
  std::memcpy(bad.data() + 8, &left, sizeof left);
  CHECK_THROWS_WITH_AS(c.set_state(bad), "set_state: invalid MT19937 position (left 1000, next 0)", tg::ValueError);
}

TEST_CASE("Generator: the default generator is safe under concurrent draws and nn::Linear construction") {
  // Each thread's draws interleave with the other's, so the values differ run
  // to run, but every draw is a whole MT19937 step: together the two threads
  // consume exactly as many outputs as one thread drawing all of them.
  constexpr int kLayers = 50;
  tg::manual_seed(3);
  auto work = [] {
    for (int i = 0; i < kLayers; ++i) {
      nn::Linear<float> layer(16, 8);  // 128 + 8 float draws
      tg::randn<float>({5});           // one at a time, with the cached sample
      tg::randint(0, 7, {3});
    }
  };
  std::thread t1(work), t2(work);
  t1.join();
  t2.join();
  const auto after = tg::get_rng_state();
  tg::manual_seed(3);
  work();
  work();
  // the same draws in any interleaving leave the same state (words, position, cached normal)
  CHECK(tg::equal(after, tg::get_rng_state()));

  // an explicit generator per thread: reproducible whatever the scheduling
  auto build = [](uint64_t seed, tg::Tensor<float>& w) {
    tg::Generator g(seed);
    nn::Linear<float> layer(32, 4, true, g);
    w = layer.weight;
  };
  tg::Tensor<float> w1, w2;
  std::thread t3(build, 21, std::ref(w1)), t4(build, 21, std::ref(w2));
  t3.join();
  t4.join();
  CHECK(tg::equal(w1, w2));
}
