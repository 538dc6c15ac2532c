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

}  // namespace rng_test

#define RNG_CHECK_BITS(t, name)                              \
  do {                                                       \
    const std::string rng_why_ = rng_test::bits_mismatch(t, name); \
    CHECK_MESSAGE(rng_why_.empty(), rng_why_);               \
  } while (0)
