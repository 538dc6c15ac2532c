// tapegrad::detail::libm (Note [Portable libm], Note [Portable sin and cos]):
// erf, exp and log in float and double, sin and cos in double, give x86-64
// glibc's bits on every platform, checked against
// tests/reference/libm.txt (tools/gen_libm.py: 100000 results per function
// as a hash, the first ones written out).
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <string>
#include <tapegrad/core/libm.hpp>
#include <vector>

#include "support/reference.hpp"

namespace {
namespace libm = tapegrad::detail::libm;

constexpr int kN = 100000;

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

struct Range {
  double lo, hi;
};

// tools/gen_libm.py's inputs: by i % 4, a narrow range, raw bits, a wide range, raw bits
// (finite raw doubles of magnitude fold or more replaced by fmod(x, fold) when fold > 0)
template <class T>
std::vector<T> inputs(int salt, Range narrow, Range wide, double fold) {
  std::vector<T> xs;
  xs.reserve(kN);
  for (int i = 0; i < kN; ++i) {
    const uint64_t u = splitmix64((static_cast<uint64_t>(salt) << 32) + static_cast<uint64_t>(i));
    const int k = i % 4;
    if (k == 1 || k == 3) {
      if constexpr (sizeof(T) == 8) {
        const double x = std::bit_cast<double>(u);
        xs.push_back(fold > 0 && std::isfinite(x) && std::fabs(x) >= fold ? std::fmod(x, fold) : x);
      } else
        xs.push_back(std::bit_cast<float>(static_cast<uint32_t>(u >> 32)));
    } else {
      const Range r = k == 0 ? narrow : wide;
      const double t = static_cast<double>(u >> 11) * 0x1p-53;  // exact
      xs.push_back(static_cast<T>(r.lo + tapegrad::detail::unfused((r.hi - r.lo) * t)));
    }
  }
  return xs;
}

template <class T>
uint64_t bits_of(T y) {
  if (std::isnan(y)) return sizeof(T) == 8 ? 0x7ff8000000000000ULL : 0x7fc00000ULL;
  if constexpr (sizeof(T) == 8)
    return std::bit_cast<uint64_t>(y);
  else
    return std::bit_cast<uint32_t>(y);
}

// the hash of f over the inputs, and the inputs/results the golden writes out
template <class T, class F>
void check_against_glibc(const std::string& name, F f, int salt, Range narrow, Range wide, double fold = 0) {
  const std::vector<T> xs = inputs<T>(salt, narrow, wide, fold);
  uint64_t h = 0xcbf29ce484222325ULL;
  for (T x : xs) h = (h ^ bits_of(f(x))) * 0x100000001b3ULL;
  const auto& hash = tapegrad_test::ref("libm.txt", name + ".hash");
  CHECK_MESSAGE(static_cast<int64_t>(h) == hash.ints.at(0), name, ": the hash of 100000 results differs");
  const auto& want_x = tapegrad_test::ref("libm.txt", name + ".x");
  const auto& want_y = tapegrad_test::ref("libm.txt", name + ".y");
  REQUIRE(want_x.values.size() == 16);
  for (size_t j = 0; j < 16; ++j) {
    const T x = xs[4 * j];
    CHECK_MESSAGE(bits_of(x) == bits_of(static_cast<T>(want_x.values[j])), name, " input ", j);
    CHECK_MESSAGE(bits_of(f(x)) == bits_of(static_cast<T>(want_y.values[j])), name, "(", x, ") = ", f(x),
                  " want ", want_y.values[j]);
  }
}
}  // namespace

TEST_CASE("libm::erf gives x86-64 glibc's erf and erff bits on 100000 inputs each") {
  check_against_glibc<double>("libm.erf.f64", [](double x) { return libm::erf(x); }, 1, {-4, 4}, {-7, 7});
  check_against_glibc<float>("libm.erf.f32", [](float x) { return libm::erf(x); }, 1, {-4, 4}, {-7, 7});
}

TEST_CASE("libm::exp gives x86-64 glibc's exp and expf bits on 100000 inputs each") {
  check_against_glibc<double>("libm.exp.f64", [](double x) { return libm::exp(x); }, 2, {-40, 1}, {-746, 710});
  check_against_glibc<float>("libm.exp.f32", [](float x) { return libm::exp(x); }, 2, {-40, 1}, {-104, 89});
}

TEST_CASE("libm::log gives x86-64 glibc's log and logf bits on 100000 inputs each") {
  check_against_glibc<double>("libm.log.f64", [](double x) { return libm::log(x); }, 3, {0, 1}, {0.9, 1.15});
  check_against_glibc<float>("libm.log.f32", [](float x) { return libm::log(x); }, 3, {0, 1}, {0.9, 1.15});
}

TEST_CASE("libm::sin and libm::cos give x86-64 glibc's bits on 100000 inputs each") {
  // the narrow range is the generator's Box-Muller angles 2 pi u
  constexpr double two_pi = 2 * std::numbers::pi, limit = 105414350;
  check_against_glibc<double>("libm.sin.f64", [](double x) { return libm::sin(x); }, 4, {0, two_pi}, {-limit, limit},
                              limit);
  check_against_glibc<double>("libm.cos.f64", [](double x) { return libm::cos(x); }, 5, {0, two_pi}, {-limit, limit},
                              limit);
}

TEST_CASE("libm::sin and libm::cos at the ends of their branches as x86-64 glibc") {
  // (values of the machine's glibc: tiny arguments, the Taylor/table switch
  // at 0.126, the reduction bounds 0.855469, 2.426265 and 105414350)
  struct Case {
    double x, sin, cos;
  };
  const Case cases[] = {
      {0x1.fffffffffffffp-28, 0x1.fffffffffffffp-28, 0x1p+0},
      {0x1.fffffffffffffp-27, 0x1.fffffffffffffp-27, 0x1.fffffffffffffp-1},
      {0x1p-26, 0x1p-26, 0x1.fffffffffffffp-1},
      {0x1.020c49ba5e353p-3, 0x1.015da194e500dp-3, 0x1.fbf0ed1ec08edp-1},
      {0x1.020c49ba5e354p-3, 0x1.015da194e500ep-3, 0x1.fbf0ed1ec08edp-1},
      {0x1.b5fffffffffffp-1, 0x1.827f6d2325577p-1, 0x1.4fcd8091b8f24p-1},
      {0x1.b6p-1, 0x1.827f6d2325578p-1, 0x1.4fcd8091b8f24p-1},
      {0x1.368fcffffffffp+1, 0x1.4fcda0ad3a77dp-1, -0x1.827f513dbe3a0p-1},
      {0x1.368fdp+1, 0x1.4fcda0ad3a77ap-1, -0x1.827f513dbe3a2p-1},
      {0x1.921fb54442d18p+1, 0x1.1a62633145c07p-53, -0x1p+0},
      {0x1.921fb54442d18p+2, -0x1.1a62633145c07p-52, 0x1p+0},
      {0x1.921faffffffffp+26, -0x1.98c2e9e72d9dfp-1, -0x1.3450a32bcc1acp-1},
  };
  for (const Case& c : cases) {
    CHECK_MESSAGE(libm::sin(c.x) == c.sin, "sin(", c.x, ")");
    CHECK_MESSAGE(libm::cos(c.x) == c.cos, "cos(", c.x, ")");
    CHECK_MESSAGE(libm::sin(-c.x) == -c.sin, "sin(", -c.x, ")");
    CHECK_MESSAGE(libm::cos(-c.x) == c.cos, "cos(", -c.x, ")");
  }
}

TEST_CASE("libm: special values as the C library") {
  constexpr double inf = std::numeric_limits<double>::infinity();
  constexpr float inff = std::numeric_limits<float>::infinity();
  CHECK(libm::erf(inf) == 1.0);
  CHECK(libm::erf(-inf) == -1.0);
  CHECK(libm::erf(-inff) == -1.0f);
  CHECK(std::isnan(libm::erf(std::nan(""))));
  CHECK(std::signbit(libm::erf(-0.0)));
  CHECK(libm::erf(6.0) == 1.0);
  CHECK(libm::exp(-inf) == 0.0);
  CHECK(libm::exp(inf) == inf);
  CHECK(libm::exp(710.0) == inf);
  CHECK(libm::exp(89.0f) == inff);
  CHECK(libm::exp(0.0) == 1.0);
  CHECK(libm::log(0.0) == -inf);
  CHECK(libm::log(0.0f) == -inff);
  CHECK(std::isnan(libm::log(-1.0)));
  CHECK(std::isnan(libm::log(-1.0f)));
  CHECK(libm::log(1.0) == 0.0);
  CHECK(libm::log(inf) == inf);
  CHECK(libm::log(std::numeric_limits<double>::denorm_min()) == -0x1.74385446d71c3p+9);  // subnormal input
  CHECK(std::signbit(libm::sin(-0.0)));
  CHECK(libm::sin(std::numeric_limits<double>::denorm_min()) == std::numeric_limits<double>::denorm_min());
  CHECK(libm::cos(-0.0) == 1.0);
  CHECK(std::isnan(libm::sin(inf)));
  CHECK(std::isnan(libm::cos(-inf)));
  CHECK(std::isnan(libm::sin(std::nan(""))));
  CHECK(std::isnan(libm::cos(std::nan(""))));
}
