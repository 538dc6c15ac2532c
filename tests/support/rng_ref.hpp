#pragma once
// Bit-exact comparison with tests/reference/rng.txt (tools/gen_rng.py):
// PyTorch's seeded random numbers. A float matches only with the same bit
// pattern (sign of zero included), an integer only with the same value.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "support/reference.hpp"
#include "support/tensor_check.hpp"

namespace rng_test {

namespace tg = tapegrad;
using tapegrad_test::tag;

inline const tapegrad_test::RefTensor& rec(const std::string& name) { return tapegrad_test::ref("rng.txt", name); }

/// Empty when `got` has record `name`'s shape and exactly its bits; else the first misfits.
template <class T>
std::string bits_mismatch(const tg::Tensor<T>& got, const std::string& name) {
  const auto& want = rec(name);
  std::ostringstream os;
  if (!(got.sizes() == tapegrad_test::shape_of(want))) {
    os << name << ": shape " << got.sizes() << " != " << tapegrad_test::shape_of(want);
    return os.str();
  }
  const std::vector<T> g = got.to_vector();
  int bad = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    bool same;
    if constexpr (tg::FloatingElement<T>) {
      const T w = static_cast<T>(want.values[i]);  // exact: the file round-trips
      same = std::memcmp(&g[i], &w, sizeof(T)) == 0;
    } else {
      same = static_cast<int64_t>(g[i]) == want.ints[i];
    }
    if (!same && bad++ < 4) {
      os.precision(17);
      os << name << "[" << i << "] got " << +g[i] << " want " << want.values[i] << "; ";
    }
  }
  if (bad > 0) os << bad << " of " << g.size() << " differ";
  return os.str();
}

/// Empty when every element of `got` is within `max_ulps` units in the last
/// place of record `name` (for results that go through the C library's erf,
/// whose bits differ between glibc's x86-64 and aarch64 builds).
template <tg::FloatingElement T>
std::string ulps_mismatch(const tg::Tensor<T>& got, const std::string& name, int64_t max_ulps) {
  const auto& want = rec(name);
  const std::vector<T> g = got.to_vector();
  if (g.size() != want.values.size()) return name + ": size differs";
  using Bits = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
  auto ordered = [](T v) {  // monotonic integer image of a float
    Bits b;
    std::memcpy(&b, &v, sizeof b);
    return b < 0 ? static_cast<int64_t>(std::numeric_limits<Bits>::min()) - b : static_cast<int64_t>(b);
  };
  std::ostringstream os;
  for (size_t i = 0; i < g.size(); ++i) {
    const int64_t d = ordered(g[i]) - ordered(static_cast<T>(want.values[i]));
    if (d > max_ulps || d < -max_ulps) {
      os.precision(17);
      os << name << "[" << i << "] got " << g[i] << " want " << want.values[i] << " (" << d << " ulps); ";
    }
  }
  return os.str();
}

}  // namespace rng_test

#define RNG_CHECK_BITS(t, name)                              \
  do {                                                       \
    const std::string rng_why_ = rng_test::bits_mismatch(t, name); \
    CHECK_MESSAGE(rng_why_.empty(), rng_why_);               \
  } while (0)
