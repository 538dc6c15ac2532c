#pragma once
// The random number generator behind rand/randn/randint/normal_/uniform_ and
// DataLoader shuffling. Note [Reproducible random numbers]: the standard
// library's distributions differ between implementations, so tapegrad writes
// its own: xoshiro256** seeded by splitmix64, uniforms from the top bits,
// normals by Box-Muller in double. The same seed gives the same numbers with
// any compiler and standard library.
#include <cmath>
#include <cstdint>
#include <numbers>

#include "error.hpp"

namespace tapegrad {

class Generator {
 public:
  /// PyTorch's default CPU seed, so an unseeded program is still repeatable.
  static constexpr uint64_t kDefaultSeed = 67280421310721ULL;

  explicit Generator(uint64_t seed = kDefaultSeed) { manual_seed(seed); }

  void manual_seed(uint64_t seed) {
    seed_ = seed;
    uint64_t x = seed;
    for (auto& s : s_) s = splitmix64(x);
    has_spare_normal_ = false;
  }
  uint64_t initial_seed() const { return seed_; }

  uint64_t next_u64() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform in [0, 1) with 53 random bits.
  double uniform_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  /// Uniform in [0, 1) with 24 random bits (exactly representable in float).
  float uniform_float() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }

  /// Standard normal (Box-Muller; the second value of each pair is kept).
  double normal() {
    if (has_spare_normal_) {
      has_spare_normal_ = false;
      return spare_normal_;
    }
    double u1 = 1.0 - uniform_double();  // (0, 1]: log is finite
    double u2 = uniform_double();
    double r = std::sqrt(-2.0 * std::log(u1));
    double theta = 2.0 * std::numbers::pi * u2;
    spare_normal_ = r * std::sin(theta);
    has_spare_normal_ = true;
    return r * std::cos(theta);
  }

  /// Uniform integer in [0, n), without modulo bias.
  uint64_t below(uint64_t n) {
    TAPEGRAD_ASSERT(n > 0);
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = next_u64(); while (x >= limit);
    return x % n;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  uint64_t s_[4] = {};
  uint64_t seed_ = kDefaultSeed;
  double spare_normal_ = 0;
  bool has_spare_normal_ = false;
};

/// The global generator used when none is passed (torch.default_generator).
/// Not synchronised: seed and draw from one thread, as with most PyTorch code.
inline Generator& default_generator() {
  static Generator gen;
  return gen;
}

/// torch.manual_seed: reseed the global generator.
inline void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace tapegrad
