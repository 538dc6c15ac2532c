// detail::RingAllReduce (Note [Ring all-reduce]), DDP's bucket sum, on 1, 2
// and 3 ranks: the sum for lengths below, at and above the number of ranks,
// the same bits on every rank, several sums in flight, and its messages kept
// apart from the user's.
#include <doctest/doctest.h>

#include <tapegrad/distributed.hpp>
#include <tapegrad/tapegrad.hpp>

#include <cmath>
#include <vector>

namespace dist = tapegrad::distributed;
using tapegrad::Tensor;
using dist::detail::RingAllReduce;

namespace {
int rank() { return dist::get_rank(); }
int world() { return dist::get_world_size(); }

// Element i of rank r's buffer: not exact in binary, so that the order of
// the additions shows in the last bits.
template <class T>
T value(int r, int64_t i) {
  return static_cast<T>(0.1 * (r + 1) + 1e-3 * static_cast<double>(i % 97) + 1.0 / (3.0 + static_cast<double>(r)));
}
template <class T>
Tensor<T> buffer_of(int r, int64_t n) {
  Tensor<T> t = tapegrad::zeros<T>({n});
  for (int64_t i = 0; i < n; ++i) t.data_ptr()[i] = value<T>(r, i);
  return t;
}
template <class T>
void check_sum(const Tensor<T>& got, int64_t n) {
  REQUIRE(got.numel() == n);
  for (int64_t i = 0; i < n; ++i) {
    double want = 0;
    for (int r = 0; r < world(); ++r) want += static_cast<double>(value<T>(r, i));
    CHECK(std::abs(static_cast<double>(got.data_ptr()[i]) - want) <= 1e-6 * want);
  }
}
}  // namespace

TEST_CASE_TEMPLATE("RingAllReduce: every rank gets the sum, bit for bit the same, for any length", T, float,
                   double) {
  for (int64_t n : {0, 1, 2, 3, 4, 7, 1001}) {
    CAPTURE(n);
    Tensor<T> buf = buffer_of<T>(rank(), n);
    RingAllReduce<T> ring;
    ring.start(buf, 5);
    while (!ring.progress()) {
    }
    CHECK(ring.done());
    check_sum(buf, n);
    // rank 0's result on every rank, compared bit for bit
    Tensor<T> first = buf.clone();
    dist::broadcast(first, 0);
    CHECK(tapegrad::equal(first, buf));
  }
}

TEST_CASE("RingAllReduce: a ring reused for another buffer, and sums in flight together, waited in any order") {
  RingAllReduce<float> a, b;
  Tensor<float> x = buffer_of<float>(rank(), 10), y = buffer_of<float>(rank(), 1000);
  a.start(x, 1);
  b.start(y, 2);
  b.wait("test");
  a.wait("test");
  check_sum(x, 10);
  check_sum(y, 1000);
  // the same ring, a larger buffer than before (its scratch grows)
  Tensor<float> z = buffer_of<float>(rank(), 3000);
  a.start(z, 1);
  a.wait("test");
  check_sum(z, 3000);
}

TEST_CASE("RingAllReduce: start while the previous sum is in flight is refused") {
  RingAllReduce<double> ring;
  Tensor<double> x = buffer_of<double>(rank(), 8);
  // rank 0 starts first: its sum cannot finish before the others start theirs
  if (rank() == 0) {
    ring.start(x, 3);
    if (world() > 1) {
      CHECK_FALSE(ring.done());
      CHECK_THROWS_WITH_AS(ring.start(x, 3), "RingAllReduce: start() while the previous sum is in flight",
                           tapegrad::ValueError);
    }
  }
  dist::barrier();
  if (rank() != 0) ring.start(x, 3);
  ring.wait("test");
  check_sum(x, 8);
}

TEST_CASE("RingAllReduce: its messages never match the user's recv of any source and tag") {
  if (world() == 1) return;
  const int next = (rank() + 1) % world();
  RingAllReduce<float> ring;
  Tensor<float> x = buffer_of<float>(rank(), 64);
  ring.start(x, 0);  // sends its first chunk with tag 0 before the user's message
  dist::Work s = dist::isend(tapegrad::full<float>({3}, static_cast<float>(rank())), next, 0);
  Tensor<float> got = tapegrad::zeros<float>({3});
  const int from = dist::recv(got, -1, 0);
  CHECK(from == (rank() + world() - 1) % world());
  CHECK(tapegrad::equal(got, tapegrad::full<float>({3}, static_cast<float>(from))));
  s.wait();
  ring.wait("test");
  check_sum(x, 64);
}
