// + - * / on contiguous floating rows run on SIMD packets up to a length, and
// as plain loops past it (Note [Binary packet rows] in tensor/map.hpp). Every
// element must be the one IEEE operation on its two operands, whatever the
// row's length, start, operand order (a scalar on either side) or whether the
// output is an input: checked here bit for bit against the same operation in
// plain C++ (in flush-to-zero mode where tapegrad's map runs in it), over every length up to a few packets, misaligned starts, and
// rows past the packet limit. This file is also built with -march=native
// (tests/CMakeLists.txt: native/packet_rows), where the packets are as wide as
// the machine's vectors (512-bit on AVX-512) rather than the baseline's 128.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace {

namespace tg = tapegrad;

template <class T>
bool same_bits(T x, T y) {
  if (std::isnan(x) && std::isnan(y)) return true;
  return std::memcmp(&x, &y, sizeof(T)) == 0;
}

// n values cycling through specials (NaN, infinities, signed zeros, a
// denormal, huge values) and ordinary ones; `seed` shifts the pattern so two
// operands pair different values.
template <class T>
std::vector<T> values(int64_t n, int seed) {
  using L = std::numeric_limits<T>;
  const T special[] = {L::quiet_NaN(), L::infinity(), -L::infinity(), T(0), -T(0), L::denorm_min(),
                       L::max(), -L::max(), T(1), T(-3)};
  std::vector<T> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t j = i + seed;
    v[i] = j % 7 == 3 ? special[(j / 7) % 10] : static_cast<T>(std::sin(0.37 * static_cast<double>(j)) * 100.0);
  }
  return v;
}

// The first index where got differs from f(a, b) in bits, or -1. Rows of
// kFlushMinElements or more run with denormals flushed (Note [Denormals] in
// core/denormal.hpp), so their reference is computed in that mode too; the
// volatiles keep the operations inside the scope.
template <class T, class F>
int64_t first_misfit(const tg::Tensor<T>& got, const std::vector<T>& a, const std::vector<T>& b, F f) {
  REQUIRE(got.numel() == static_cast<int64_t>(a.size()));
  const tg::Tensor<T> c = got.contiguous();
  std::vector<T> want(a.size());
  {
    tg::detail::FlushDenormalScope flush(got.numel() >= tg::detail::kFlushMinElements);
    for (size_t i = 0; i < a.size(); ++i) {
      volatile T x = a[i], y = b[i];
      volatile T r = static_cast<T>(f(T(x), T(y)));
      want[i] = r;
    }
  }
  for (size_t i = 0; i < a.size(); ++i)
    if (!same_bits(c.data_ptr()[i], want[i])) return static_cast<int64_t>(i);
  return -1;
}

// A contiguous 1-D tensor of v starting `offset` elements into its storage.
template <class T>
tg::Tensor<T> at_offset(const std::vector<T>& v, int64_t offset) {
  const int64_t n = static_cast<int64_t>(v.size());
  auto base = tg::zeros<T>({n + offset});
  auto x = base.narrow(0, offset, n);
  x.copy_(tg::from_vector(v, tg::Shape{n}));
  return x;
}

template <class T>
void check_length(int64_t n, int64_t offset) {
  CAPTURE(n);
  CAPTURE(offset);
  const auto av = values<T>(n, 0), bv = values<T>(n, 5);
  const auto a = at_offset(av, offset), b = at_offset(bv, (offset + 1) % 4);
  const std::vector<T> sv(static_cast<size_t>(n), T(2.5));  // the scalar, spread out
  auto add = [](T x, T y) { return x + y; };
  auto sub = [](T x, T y) { return x - y; };
  auto mul = [](T x, T y) { return x * y; };
  auto div = [](T x, T y) { return x / y; };
  CHECK(first_misfit(a + b, av, bv, add) == -1);
  CHECK(first_misfit(a - b, av, bv, sub) == -1);
  CHECK(first_misfit(a * b, av, bv, mul) == -1);
  CHECK(first_misfit(a / b, av, bv, div) == -1);
  // a scalar on the left and on the right (a 0-d operand of stride 0)
  CHECK(first_misfit(T(2.5) - a, sv, av, sub) == -1);
  CHECK(first_misfit(a - T(2.5), av, sv, sub) == -1);
  CHECK(first_misfit(T(2.5) / a, sv, av, div) == -1);
  CHECK(first_misfit(a / T(2.5), av, sv, div) == -1);
  CHECK(first_misfit(T(2.5) + a, sv, av, add) == -1);
  CHECK(first_misfit(a * T(2.5), av, sv, mul) == -1);
  // into an out, and in place (the output is the first operand)
  auto out = tg::empty<T>({n});
  tg::sub_out(out, a, b);
  CHECK(first_misfit(out, av, bv, sub) == -1);
  auto x = a.clone();
  x.div_(b);
  CHECK(first_misfit(x, av, bv, div) == -1);
  x = a.clone();
  x.mul_(T(2.5));
  CHECK(first_misfit(x, av, sv, mul) == -1);
}

TEST_CASE_TEMPLATE("add/sub/mul/div on contiguous rows: every length, start and operand order, bit for bit", T,
                   float, double) {
  for (int64_t n = 0; n <= 70; ++n)
    for (int64_t offset = 0; offset < 4; ++offset) check_length<T>(n, offset);
  // around the packet limit (16 KiB per operand), and past it
  const int64_t limit = 16384 / static_cast<int64_t>(sizeof(T));
  for (int64_t n : {limit - 1, limit, limit + 1, 3 * limit + 5}) check_length<T>(n, 1);
}

TEST_CASE("add on contiguous rows: a row in the middle of a 2-D tensor's storage leaves its neighbours alone") {
  auto m = tg::full<float>({3, 37}, -1.0f);
  auto row = m.select(0, 1);
  row.add_(tg::ones<float>({37}));
  row.mul_(3.0f);
  for (int64_t j = 0; j < 37; ++j) {
    CAPTURE(j);
    CHECK(m(0, j) == -1.0f);
    CHECK(m(1, j) == 0.0f);
    CHECK(m(2, j) == -1.0f);
  }
}

}  // namespace
