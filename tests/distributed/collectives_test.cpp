// tapegrad::distributed collectives on any number of ranks (1, 2, 3 in CTest):
// each rank builds inputs from its rank, and the expected results are
// computed locally from the same formulas.
#include <doctest/doctest.h>

#include <tapegrad/distributed.hpp>
#include <tapegrad/tapegrad.hpp>

#include <string>
#include <vector>

namespace dist = tapegrad::distributed;
using tapegrad::Shape;
using tapegrad::Tensor;

namespace {
int rank() { return dist::get_rank(); }
int world() { return dist::get_world_size(); }

// Element i of rank r's input: small integers, exact in every dtype.
template <class T>
T value(int r, int64_t i) {
  if constexpr (std::is_same_v<T, bool>) return ((r + i) % 3) == 0;
  else return static_cast<T>((r * 7 + i * 3) % 11 + 1);
}
template <class T>
Tensor<T> input(int r, const Shape& shape) {
  Tensor<T> t = tapegrad::zeros<T>(shape);
  T* p = t.data_ptr();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = value<T>(r, i);
  return t;
}
// The same values laid out as a transposed view (non-contiguous).
template <class T>
Tensor<T> input_noncontiguous(int r, int64_t rows, int64_t cols) {
  Tensor<T> base = tapegrad::zeros<T>({cols, rows});
  Tensor<T> t = base.t();
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) t(i, j) = value<T>(r, i * cols + j);
  return t;
}
template <class T>
std::vector<T> values_of(const Tensor<T>& t) {
  return t.contiguous().to_vector();
}
}  // namespace

TEST_CASE_TEMPLATE("all_reduce: SUM, PRODUCT, MIN, MAX of every rank's tensor, contiguous or not", T, float, double,
                   int64_t, int32_t, int16_t, int8_t, uint8_t) {
  for (bool contiguous : {true, false}) {
    for (dist::ReduceOp op : {dist::ReduceOp::SUM, dist::ReduceOp::PRODUCT, dist::ReduceOp::MIN, dist::ReduceOp::MAX}) {
      CAPTURE(contiguous);
      CAPTURE(dist::reduce_op_name(op));
      Tensor<T> t = contiguous ? input<T>(rank(), {3, 4}) : input_noncontiguous<T>(rank(), 3, 4);
      dist::all_reduce(t, op);
      CHECK(t.sizes() == Shape{3, 4});
      std::vector<T> got = values_of(t);
      for (int64_t i = 0; i < 12; ++i) {
        T want = value<T>(0, i);
        for (int r = 1; r < world(); ++r) {
          const T v = value<T>(r, i);
          switch (op) {
            case dist::ReduceOp::SUM: want = static_cast<T>(want + v); break;
            case dist::ReduceOp::PRODUCT: want = static_cast<T>(want * v); break;
            case dist::ReduceOp::MIN: want = std::min(want, v); break;
            default: want = std::max(want, v); break;
          }
        }
        CHECK(got[static_cast<size_t>(i)] == want);
      }
    }
  }
}

TEST_CASE_TEMPLATE("all_reduce: AVG divides the sum by the world size", T, float, double) {
  Tensor<T> t = input<T>(rank(), {5});
  dist::all_reduce(t, dist::ReduceOp::AVG);
  for (int64_t i = 0; i < 5; ++i) {
    T sum = 0;
    for (int r = 0; r < world(); ++r) sum += value<T>(r, i);
    CHECK(t(i) == doctest::Approx(sum / static_cast<T>(world())));
  }
}

TEST_CASE("all_reduce: bool tensors reduce logically (SUM and MAX: or, PRODUCT and MIN: and)") {
  for (dist::ReduceOp op : {dist::ReduceOp::SUM, dist::ReduceOp::MAX, dist::ReduceOp::PRODUCT, dist::ReduceOp::MIN}) {
    Tensor<bool> t = input<bool>(rank(), {7});
    dist::all_reduce(t, op);
    const bool any = op == dist::ReduceOp::SUM || op == dist::ReduceOp::MAX;
    for (int64_t i = 0; i < 7; ++i) {
      bool want = !any;
      for (int r = 0; r < world(); ++r) want = any ? (want || value<bool>(r, i)) : (want && value<bool>(r, i));
      CHECK(t(i) == want);
    }
  }
}

TEST_CASE("all_reduce: 0-d and empty tensors") {
  Tensor<float> s = tapegrad::full<float>({}, static_cast<float>(rank() + 1));
  dist::all_reduce(s);
  CHECK(s.item() == static_cast<float>(world() * (world() + 1) / 2));
  Tensor<double> e = tapegrad::zeros<double>({0, 3});
  dist::all_reduce(e);
  CHECK(e.sizes() == Shape{0, 3});
}

TEST_CASE("all_reduce: async_op returns a Work whose wait() completes it") {
  Tensor<float> t = input<float>(rank(), {1000});
  dist::Work w = dist::all_reduce(t, dist::ReduceOp::SUM, true);
  w.wait();
  CHECK(w.is_completed());
  float want = 0;
  for (int r = 0; r < world(); ++r) want += value<float>(r, 999);
  CHECK(t(999) == want);
}

TEST_CASE("all_reduce: AVG of an integer tensor is refused") {
  Tensor<int64_t> t = input<int64_t>(rank(), {2});
  CHECK_THROWS_WITH_AS(dist::all_reduce(t, dist::ReduceOp::AVG),
                       "all_reduce: ReduceOp::AVG needs a floating tensor, got int64", tapegrad::ValueError);
}

TEST_CASE("all_reduce: tensors of different shapes across ranks throw on every rank") {
  if (world() == 1) return;
  Tensor<float> t = tapegrad::zeros<float>({rank() == 1 ? int64_t(2) : int64_t(3), 4});
  CHECK_THROWS_WITH_AS(dist::all_reduce(t),
                       "all_reduce: the tensors differ across ranks: rank 0 has float32 [3, 4] but rank 1 has "
                       "float32 [2, 4]; every rank must pass a tensor of the same dtype and shape",
                       tapegrad::ShapeError);
  // the group still works afterwards
  Tensor<float> ok = tapegrad::ones<float>({2});
  dist::all_reduce(ok);
  CHECK(ok(1) == static_cast<float>(world()));
}

TEST_CASE("broadcast: every rank gets src's tensor, for each src") {
  for (int src = 0; src < world(); ++src) {
    Tensor<int32_t> a = input<int32_t>(rank(), {4, 2});
    dist::broadcast(a, src);
    CHECK(values_of(a) == values_of(input<int32_t>(src, {4, 2})));
    Tensor<double> b = input_noncontiguous<double>(rank(), 2, 3);
    dist::broadcast(b, src);
    CHECK(values_of(b) == values_of(input<double>(src, {2, 3})));
  }
}

TEST_CASE("broadcast: a source rank out of range is refused on every rank") {
  Tensor<float> t = tapegrad::zeros<float>({2});
  const std::string msg = "broadcast: source rank " + std::to_string(world()) + " is out of range for world size " +
                          std::to_string(world());
  CHECK_THROWS_WITH_AS(dist::broadcast(t, world()), msg.c_str(), tapegrad::ValueError);
}

TEST_CASE_TEMPLATE("all_gather: tensor_list[q] is rank q's tensor", T, float, int64_t, uint8_t, bool) {
  std::vector<Tensor<T>> list;
  dist::all_gather(list, input_noncontiguous<T>(rank(), 2, 3));
  REQUIRE(list.size() == static_cast<size_t>(world()));
  for (int q = 0; q < world(); ++q) CHECK(values_of(list[q]) == values_of(input<T>(q, {2, 3})));
  // into given (here non-contiguous) tensors
  std::vector<Tensor<T>> given;
  for (int q = 0; q < world(); ++q) given.push_back(tapegrad::zeros<T>({3, 2}).t());
  dist::all_gather(given, input<T>(rank(), {2, 3}));
  for (int q = 0; q < world(); ++q) CHECK(values_of(given[q]) == values_of(input<T>(q, {2, 3})));
}

TEST_CASE("all_gather: a tensor_list of the wrong length is refused") {
  std::vector<Tensor<float>> list(static_cast<size_t>(world()) + 1, tapegrad::zeros<float>({2}));
  const std::string msg = "all_gather: tensor_list must hold world size (" + std::to_string(world()) +
                          ") tensors, got " + std::to_string(world() + 1);
  CHECK_THROWS_WITH_AS(dist::all_gather(list, tapegrad::zeros<float>({2})), msg.c_str(), tapegrad::ValueError);
}

TEST_CASE_TEMPLATE("all_gather_into_tensor: output is the ranks' inputs along dim 0", T, double, int16_t) {
  Tensor<T> out = tapegrad::zeros<T>({world() * 2, 3});
  dist::all_gather_into_tensor(out, input<T>(rank(), {2, 3}));
  for (int q = 0; q < world(); ++q) CHECK(values_of(out.narrow(0, 2 * q, 2)) == values_of(input<T>(q, {2, 3})));
  Tensor<T> bad = tapegrad::zeros<T>({world() * 2 + 1, 3});
  CHECK_THROWS_AS(dist::all_gather_into_tensor(bad, input<T>(rank(), {2, 3})), tapegrad::ValueError);
}

TEST_CASE_TEMPLATE("reduce_scatter: rank r gets op of every rank's input_list[r]", T, float, int32_t) {
  std::vector<Tensor<T>> inputs;
  for (int q = 0; q < world(); ++q) inputs.push_back(input<T>(rank() + 10 * q, {2, 2}));
  Tensor<T> out = tapegrad::zeros<T>({2, 2});
  dist::reduce_scatter(out, inputs, dist::ReduceOp::SUM);
  std::vector<T> got = values_of(out);
  for (int64_t i = 0; i < 4; ++i) {
    T want = 0;
    for (int r = 0; r < world(); ++r) want = static_cast<T>(want + value<T>(r + 10 * rank(), i));
    CHECK(got[static_cast<size_t>(i)] == want);
  }
}

TEST_CASE("reduce_scatter_tensor: rank r gets the r-th slice of the reduced input") {
  Tensor<double> in = input<double>(rank(), {world() * 3});
  Tensor<double> out = tapegrad::zeros<double>({3});
  dist::reduce_scatter_tensor(out, in, dist::ReduceOp::MAX);
  for (int64_t i = 0; i < 3; ++i) {
    double want = value<double>(0, rank() * 3 + i);
    for (int r = 1; r < world(); ++r) want = std::max(want, value<double>(r, rank() * 3 + i));
    CHECK(out(i) == want);
  }
}

TEST_CASE("gather: dst's gather_list[q] is rank q's tensor, for each dst") {
  for (int dst = 0; dst < world(); ++dst) {
    std::vector<Tensor<int64_t>> list;
    if (rank() == dst)
      for (int q = 0; q < world(); ++q) list.push_back(tapegrad::zeros<int64_t>({3}));
    dist::gather(input_noncontiguous<int64_t>(rank(), 3, 1).view({3}), list, dst);
    for (int q = 0; q < static_cast<int>(list.size()); ++q)
      CHECK(values_of(list[q]) == values_of(input<int64_t>(q, {3})));
  }
}

TEST_CASE("gather: a gather_list on a non-destination rank is refused on every rank") {
  if (world() == 1) return;
  std::vector<Tensor<float>> list;
  if (rank() == 0)
    for (int q = 0; q < world(); ++q) list.push_back(tapegrad::zeros<float>({1}));
  if (rank() == 1) list.push_back(tapegrad::zeros<float>({1}));
  if (rank() == 1)
    CHECK_THROWS_WITH_AS(dist::gather(tapegrad::zeros<float>({1}), list, 0),
                         "gather: gather_list must be empty on non-destination ranks (rank 1)", tapegrad::ValueError);
  else
    CHECK_THROWS_WITH_AS(dist::gather(tapegrad::zeros<float>({1}), list, 0),
                         "gather: rank 1 rejected its arguments (see its error)", tapegrad::ValueError);
}

TEST_CASE("scatter: rank q gets src's scatter_list[q]") {
  for (int src = 0; src < world(); ++src) {
    std::vector<Tensor<float>> list;
    if (rank() == src)
      for (int q = 0; q < world(); ++q) list.push_back(input<float>(100 + q, {2, 2}));
    Tensor<float> out = tapegrad::zeros<float>({2, 2}).t();
    dist::scatter(out, list, src);
    CHECK(values_of(out) == values_of(input<float>(100 + rank(), {2, 2})));
  }
}

TEST_CASE("send/recv: a ring of messages, blocking and async") {
  if (world() == 1) return;
  const int next = (rank() + 1) % world(), prev = (rank() + world() - 1) % world();
  Tensor<double> out = input<double>(rank(), {4});
  Tensor<double> in = tapegrad::zeros<double>({2, 2}).t();
  dist::Work s = dist::isend(out, next, 7);
  CHECK(dist::recv(in, prev, 7) == prev);
  s.wait();
  CHECK(values_of(in) == values_of(input<double>(prev, {2, 2})));
  Tensor<uint8_t> in2 = tapegrad::zeros<uint8_t>({3});
  dist::Work r = dist::irecv(in2, -1, 3);
  dist::send(input<uint8_t>(rank(), {3}), next, 3);
  r.wait();
  CHECK(values_of(in2) == values_of(input<uint8_t>(prev, {3})));
}

TEST_CASE("recv: a message of another size throws ShapeError naming the sender") {
  if (world() == 1) return;
  if (rank() == 0) dist::send(tapegrad::zeros<float>({5}), 1);
  if (rank() == 1)
    CHECK_THROWS_WITH_AS(dist::recv(tapegrad::zeros<float>({4}), 0),
                         "recv: rank 0 sent 20 bytes but the float32 tensor of shape [4] holds 16",
                         tapegrad::ShapeError);
  dist::barrier();
}

TEST_CASE("send: to oneself is refused") {
  const std::string msg = "isend: invalid destination rank " + std::to_string(rank()) +
                          ": should not be the same as the rank of the current process";
  CHECK_THROWS_WITH_AS(dist::send(tapegrad::zeros<float>({1}), rank()), msg.c_str(), tapegrad::ValueError);
}

TEST_CASE("init_process_group: a second call is refused") {
  CHECK_THROWS_WITH_AS(dist::init_process_group(),
                       "init_process_group: trying to initialize the default process group twice",
                       tapegrad::ValueError);
  CHECK(dist::is_initialized());
  CHECK(rank() < world());
}
