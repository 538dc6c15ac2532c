#pragma once
// The random number generator behind rand/randn/randint/randperm/normal_/
// uniform_/bernoulli_/dropout, nn::init and DataLoader shuffling.
//
// Note [PyTorch's random numbers]: manual_seed(s) gives PyTorch 1.13's CPU
// numbers bit for bit. The engine is MT19937 seeded as PyTorch seeds it (the
// low 32 bits of the seed through the standard init_genrand recurrence);
// random() is one 32-bit output, random64() two of them, the first as the
// high word. A float uniform takes the low 24 bits of random() times 2^-24, a
// double one the low 53 bits of random64() times 2^-53. The cached second
// sample of a Box-Muller pair and the state layout of get_state() (5056
// bytes, torch.get_rng_state()'s) are PyTorch's too, so a state can be moved
// between the two. The standard library's engines and distributions are not
// used: their output differs between implementations.
//
// Note [Generator locking]: as PyTorch's CPU generator, a Generator carries a
// mutex. Every public draw locks it; a bulk fill takes the lock once through
// a Generator::Draws and then draws without further locking, so concurrent
// users of one generator (the default one above all) are safe and a bulk fill
// pays one lock.
#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "error.hpp"

namespace tapegrad {

namespace detail {
/// MT19937 as PyTorch's at::mt19937: init_genrand seeding, lazily twisted.
class MT19937 {
 public:
  static constexpr int kN = 624;
  static constexpr int kM = 397;

  explicit MT19937(uint64_t seed = 5489) { seed_with(seed); }

  void seed_with(uint64_t seed) {
    seed_ = seed;
    state_[0] = static_cast<uint32_t>(seed & 0xffffffffU);
    for (int j = 1; j < kN; ++j)
      state_[j] = 1812433253U * (state_[j - 1] ^ (state_[j - 1] >> 30)) + static_cast<uint32_t>(j);
    left_ = 1;
    next_ = 0;
  }

  uint32_t operator()() {
    if (--left_ == 0) twist();
    uint32_t y = state_[static_cast<size_t>(next_++)];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    return y ^ (y >> 18);
  }

  /// out[i] = the next n outputs of operator(), in order; the state ends as
  /// after n calls. The tempering runs over runs of untwisted words at once
  /// (a loop the compiler vectorises) instead of one word per call.
  void fill(uint32_t* out, int64_t n) {
    while (n > 0) {
      if (left_ <= 1) {  // the next word twists first
        *out++ = (*this)();
        --n;
        continue;
      }
      const int64_t m = n < left_ - 1 ? n : int64_t{left_} - 1;
      const uint32_t* src = state_.data() + next_;
      for (int64_t i = 0; i < m; ++i) {
        uint32_t y = src[i];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680U;
        y ^= (y << 15) & 0xefc60000U;
        out[i] = y ^ (y >> 18);
      }
      next_ += static_cast<uint64_t>(m);
      left_ -= static_cast<int32_t>(m);
      out += m;
      n -= m;
    }
  }

  uint64_t seed_ = 5489;
  int32_t left_ = 1;
  uint64_t next_ = 0;
  std::array<uint32_t, kN> state_{};

 private:
  static uint32_t mix(uint32_t u, uint32_t v) {
    const uint32_t y = (u & 0x80000000U) | (v & 0x7fffffffU);
    return (y >> 1) ^ ((v & 1U) ? 0x9908b0dfU : 0U);
  }
  void twist() {
    left_ = kN;
    next_ = 0;
    // the recurrence over the ring of kN words, split where it wraps so that
    // no index needs a modulo
    int j = 0;
    for (; j < kN - kM; ++j) state_[j] = state_[j + kM] ^ mix(state_[j], state_[j + 1]);
    for (; j < kN - 1; ++j) state_[j] = state_[j + kM - kN] ^ mix(state_[j], state_[j + 1]);
    state_[kN - 1] = state_[kM - 1] ^ mix(state_[kN - 1], state_[0]);
  }
};
}  // namespace detail

class Generator {
 public:
  /// torch.Generator()'s seed (c10's default_rng_seed_val).
  static constexpr uint64_t kDefaultSeed = 67280421310721ULL;
  /// Bytes of get_state(): torch.get_rng_state().numel().
  static constexpr size_t kStateBytes = 5056;

  explicit Generator(uint64_t seed = kDefaultSeed) { set_seed_unlocked(seed); }
  /// A copy has the same state and draws the same numbers (torch's clone_state).
  Generator(const Generator& other) { copy_state(other); }
  Generator& operator=(const Generator& other) {
    if (this != &other) copy_state(other);
    return *this;
  }

  /// torch.Generator.manual_seed: restart the stream from `seed`.
  void manual_seed(uint64_t seed) {
    std::lock_guard lock(mutex_);
    set_seed_unlocked(seed);
  }
  /// torch.Generator.seed: reseed from a nondeterministic source; returns the seed.
  uint64_t seed() {
    // the clock, a per-process counter and this object's address, mixed by
    // splitmix64's finaliser: distinct per call, not reproducible
    // (std::timespec_get: <chrono> is C++20's calendar and time zones)
    static std::atomic<uint64_t> calls{0};
    std::timespec ts{};
    std::timespec_get(&ts, TIME_UTC);
    uint64_t z = (static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec)) ^
                 (calls.fetch_add(1) * 0x9e3779b97f4a7c15ULL) ^ reinterpret_cast<uintptr_t>(this);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    const uint64_t s = z ^ (z >> 31);
    manual_seed(s);
    return s;
  }
  /// torch.Generator.initial_seed: the last seed given.
  uint64_t initial_seed() const {
    std::lock_guard lock(mutex_);
    return engine_.seed_;
  }

  /// Draws with the generator's lock held for their lifetime: one lock for a
  /// whole bulk fill (Note [Generator locking]).
  class Draws {
   public:
    explicit Draws(Generator& g) : g_(g), lock_(g.mutex_) {}
    /// 32 random bits (PyTorch's random()).
    uint32_t random() { return g_.engine_(); }
    /// 64 random bits, the first draw high (PyTorch's random64()).
    uint64_t random64() {
      const uint64_t hi = g_.engine_();
      return (hi << 32) | g_.engine_();
    }
    /// out[0..n) = the next n values of random(), drawn in bulk.
    void random_fill(uint32_t* out, int64_t n) { g_.engine_.fill(out, n); }
    /// Uniform on [0, 1) from 24 bits of random(), as PyTorch's float uniform.
    float uniform_float() { return static_cast<float>(random() & 0xffffffU) * 0x1.0p-24f; }
    /// Uniform on [0, 1) from 53 bits of random64(), as PyTorch's double uniform.
    double uniform_double() { return static_cast<double>(random64() & ((1ULL << 53) - 1)) * 0x1.0p-53; }
    /// The cached second normal sample of the last Box-Muller pair, if any; taking it clears it.
    std::optional<double> take_cached_normal() { return std::exchange(g_.next_normal_, std::nullopt); }
    void cache_normal(double v) { g_.next_normal_ = v; }

   private:
    Generator& g_;
    std::lock_guard<std::mutex> lock_;
  };

  /// 32 random bits (locks; for many draws use a Draws).
  uint32_t random() { return Draws(*this).random(); }
  /// 64 random bits (locks).
  uint64_t random64() { return Draws(*this).random64(); }

  /// torch.Generator.get_state: PyTorch's 5056-byte layout (seed, MT19937
  /// position and words, the cached normal samples).
  std::vector<uint8_t> get_state() const {
    std::lock_guard lock(mutex_);
    std::vector<uint8_t> out(kStateBytes, 0);
    auto put = [&](size_t at, auto v) { std::memcpy(out.data() + at, &v, sizeof v); };
    put(0, engine_.seed_);
    put(8, engine_.left_);
    put(12, int32_t{1});  // seeded
    put(16, engine_.next_);
    for (size_t j = 0; j < detail::MT19937::kN; ++j) put(kWordsAt + 8 * j, static_cast<uint64_t>(engine_.state_[j]));
    put(kNormalAt + 8, next_normal_.value_or(0.0));  // PyTorch's normal_y
    put(kNormalAt + 24, int32_t{next_normal_.has_value()});
    put(kNormalAt + 28, next_float_normal_.value_or(0.0f));
    out[kNormalAt + 32] = next_float_normal_.has_value();
    return out;
  }
  /// torch.Generator.set_state: restore a get_state() (or torch.get_rng_state()) byte string.
  void set_state(const std::vector<uint8_t>& state) {
    TAPEGRAD_CHECK(state.size() == kStateBytes, ValueError, "set_state: expected a state of ", kStateBytes,
                   " bytes (get_state()), got ", state.size());
    auto get = [&](size_t at, auto v) {
      std::memcpy(&v, state.data() + at, sizeof v);
      return v;
    };
    const auto left = get(8, int32_t{});
    const auto next = get(16, uint64_t{});
    TAPEGRAD_CHECK(left >= 1 && left <= detail::MT19937::kN && next <= detail::MT19937::kN, ValueError,
                   "set_state: invalid MT19937 position (left ", left, ", next ", next, ")");
    std::lock_guard lock(mutex_);
    engine_.seed_ = get(0, uint64_t{});
    engine_.left_ = left;
    engine_.next_ = next;
    for (size_t j = 0; j < detail::MT19937::kN; ++j)
      engine_.state_[j] = static_cast<uint32_t>(get(kWordsAt + 8 * j, uint64_t{}));
    next_normal_.reset();
    if (get(kNormalAt + 24, int32_t{})) next_normal_ = get(kNormalAt + 8, double{});
    next_float_normal_.reset();
    if (state[kNormalAt + 32]) next_float_normal_ = get(kNormalAt + 28, float{});
  }

 private:
  static constexpr size_t kWordsAt = 24;
  static constexpr size_t kNormalAt = kWordsAt + 8 * detail::MT19937::kN;

  void set_seed_unlocked(uint64_t seed) {
    engine_.seed_with(seed);
    next_normal_.reset();
    next_float_normal_.reset();
  }
  void copy_state(const Generator& other) {
    std::scoped_lock lock(mutex_, other.mutex_);
    engine_ = other.engine_;
    next_normal_ = other.next_normal_;
    next_float_normal_ = other.next_float_normal_;
  }

  mutable std::mutex mutex_;
  detail::MT19937 engine_;
  std::optional<double> next_normal_;
  std::optional<float> next_float_normal_;  // never set by CPU kernels; kept for the state layout
};

/// The global generator used when none is passed (torch.default_generator).
/// Unlike PyTorch's, it starts from kDefaultSeed, so an unseeded program is
/// still repeatable. Safe to share between threads (Note [Generator locking]).
inline Generator& default_generator() {
  static Generator gen;
  return gen;
}

/// torch.manual_seed: reseed the global generator.
inline void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }
/// torch.seed: reseed the global generator nondeterministically; returns the seed.
inline uint64_t seed() { return default_generator().seed(); }
/// torch.initial_seed: the global generator's last seed.
inline uint64_t initial_seed() { return default_generator().initial_seed(); }

}  // namespace tapegrad
