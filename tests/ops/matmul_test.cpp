// The matmul family (mm, mv, dot, bmm, outer, matmul, addmm) against
// tests/reference/matmul.txt (PyTorch 1.13). The inputs are multiples of 0.25
// with inner dimensions <= 5, so every product and sum is exact in float32:
// results must match PyTorch exactly, in any operand layout.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "support/reference.hpp"
#include "support/tensor_check.hpp"

namespace {

namespace tg = tapegrad;
using tapegrad_test::RefTensor;

const char* const kFile = "matmul.txt";

using tapegrad_test::mismatch;  // with the default Tol: exact values
using tapegrad_test::tag;

const RefTensor& rec(const std::string& name) { return tapegrad_test::ref(kFile, name); }

template <class T>
tg::Tensor<T> load(const std::string& name) {
  return tapegrad_test::load<T>(kFile, name);
}

#define CHECK_REF(got, record)                                   \
  do {                                                           \
    const std::string mm_ = mismatch((got), rec(record));        \
    CHECK_MESSAGE(mm_.empty(), (record), ": ", mm_);             \
  } while (0)

// Tensors with t's values in other memory layouts, each with a name:
//  2-D: transposed (column-major), row-sliced (rows of a wider buffer, leading
//       dim > cols), column-strided (every other column: no unit stride);
//  1-D: every other element;  3-D: each matrix transposed, and every other
//       element of the last dim.
template <class T>
std::vector<std::pair<std::string, tg::Tensor<T>>> layouts(const tg::Tensor<T>& t) {
  std::vector<std::pair<std::string, tg::Tensor<T>>> out{{"contiguous", t}};
  if (t.dim() == 0 || t.numel() == 0) return out;
  const int64_t last = t.sizes().back();
  // every other element of the last dim
  tg::Shape wide = t.sizes();
  wide.back() = 2 * last;
  auto strided = tg::zeros<T>(wide).slice(-1, 0, 2 * last, 2);
  strided.copy_(t);
  if (t.dim() == 1) {
    out.push_back({"strided", strided});
    return out;
  }
  // the last two dims swapped in memory
  auto transposed = t.transpose(-2, -1).contiguous().transpose(-2, -1);
  out.push_back({"transposed", transposed});
  out.push_back({"column-strided", strided});
  // the first `last` columns of a buffer 3 columns wider
  tg::Shape padded = t.sizes();
  padded.back() = last + 3;
  auto row_sliced = tg::full<T>(padded, T(7)).slice(-1, 0, last);
  row_sliced.copy_(t);
  out.push_back({"row-sliced", row_sliced});
  return out;
}

template <class T>
using BinaryOp = std::function<tg::Tensor<T>(const tg::Tensor<T>&, const tg::Tensor<T>&)>;

// op(a, b) on every pair of layouts matches the record `name`.<tag>.out.
template <class T>
void check_case(const std::string& name, const BinaryOp<T>& op) {
  const std::string base = name + "." + tag<T>();
  auto a = load<T>(base + ".a"), b = load<T>(base + ".b");
  // (no structured bindings: clang 14 cannot capture them in CAPTURE's lambda)
  for (const auto& la : layouts(a)) {
    for (const auto& lb : layouts(b)) {
      CAPTURE(base);
      CAPTURE(la.first);
      CAPTURE(lb.first);
      CHECK_REF(op(la.second, lb.second), base + ".out");
    }
  }
  // the inputs are never written
  CHECK(tg::equal(a, load<T>(base + ".a")));
  CHECK(tg::equal(b, load<T>(base + ".b")));
}

const char* const kMatmulCases[] = {"matmul_4_4",       "matmul_4_4x3",         "matmul_3x4_4",
                                    "matmul_3x4_4x5",   "matmul_2x3x4_2x4x5",   "matmul_2x1x3x4_3x4x2",
                                    "matmul_5x3x4_4",   "matmul_4_5x4x3",       "matmul_1x3x4_2x4x2"};

}  // namespace

TEST_CASE_TEMPLATE("mm/mv/dot/bmm/outer: match PyTorch for every operand layout", T, float, double) {
  check_case<T>("mm", [](const auto& a, const auto& b) { return tg::mm(a, b); });
  check_case<T>("mm", [](const auto& a, const auto& b) { return a.mm(b); });
  check_case<T>("mv", [](const auto& a, const auto& b) { return tg::mv(a, b); });
  check_case<T>("mv", [](const auto& a, const auto& b) { return a.mv(b); });
  check_case<T>("dot", [](const auto& a, const auto& b) { return tg::dot(a, b); });
  check_case<T>("dot", [](const auto& a, const auto& b) { return a.dot(b); });
  check_case<T>("bmm", [](const auto& a, const auto& b) { return tg::bmm(a, b); });
  check_case<T>("bmm", [](const auto& a, const auto& b) { return a.bmm(b); });
  check_case<T>("outer", [](const auto& a, const auto& b) { return tg::outer(a, b); });
}

TEST_CASE_TEMPLATE("matmul: every shape pair matches PyTorch, batch dims broadcast", T, float, double) {
  for (const char* c : kMatmulCases) {
    check_case<T>(c, [](const auto& a, const auto& b) { return tg::matmul(a, b); });
    check_case<T>(c, [](const auto& a, const auto& b) { return a.matmul(b); });
  }
}

TEST_CASE_TEMPLATE("matmul: a transposed view on either side (a.t() @ b, a @ b.t())", T, float, double) {
  check_case<T>("tmm", [](const auto& a, const auto& b) { return tg::matmul(a.t(), b); });
  check_case<T>("tmm", [](const auto& a, const auto& b) { return tg::mm(a.t(), b); });
  check_case<T>("mmt", [](const auto& a, const auto& b) { return tg::matmul(a, b.t()); });
  check_case<T>("mmt", [](const auto& a, const auto& b) { return tg::mm(a, b.t()); });
  auto a = load<T>("tmm." + tag<T>() + ".a");
  CHECK_FALSE(a.t().is_contiguous());
}

TEST_CASE_TEMPLATE("matmul: expanded (stride-0) operands give the result of their copies", T, float,
                   double) {
  // [1, 3, 4] @ [2, 4, 2]: the batch of a broadcast by matmul or by expand first
  const std::string base = "matmul_1x3x4_2x4x2." + tag<T>();
  auto a = load<T>(base + ".a"), b = load<T>(base + ".b");
  CHECK_REF(tg::matmul(a.expand({2, 3, 4}), b), base + ".out");
  CHECK_REF(tg::bmm(a.expand({2, 3, 4}), b), base + ".out");
  CHECK_REF(tg::matmul(a.expand({2, 3, 4}).contiguous(), b), base + ".out");
  // a matrix whose rows are all one row (stride 0 along dim 0) times a matrix
  auto m = load<T>("mm." + tag<T>() + ".a"), n = load<T>("mm." + tag<T>() + ".b");
  auto row = m.slice(0, 1, 2);  // [1, 4]
  auto rows = row.expand({3, 4});
  REQUIRE(rows.strides()[0] == 0);
  auto want = tg::mm(rows.contiguous(), n);
  CHECK(tg::equal(tg::mm(rows, n), want));
  CHECK(tg::equal(tg::mm(rows, n)[2], tg::mm(row, n)[0]));
  // a vector expanded to a matrix on the right
  auto v = load<T>("mv." + tag<T>() + ".b");  // [4]
  auto cols = v.unsqueeze(1).expand({4, 3});  // strides [1, 0]
  CHECK(tg::equal(tg::mm(m, cols), tg::mm(m, cols.contiguous())));
}

TEST_CASE_TEMPLATE("addmm: beta * bias + alpha * a @ b matches PyTorch", T, float, double) {
  const std::string base = "addmm." + tag<T>();
  auto bias = load<T>(base + ".bias"), a = load<T>(base + ".a"), b = load<T>(base + ".b");
  for (const auto& la : layouts(a)) {
    for (const auto& lb : layouts(b)) {
      CAPTURE(la.first);
      CAPTURE(lb.first);
      CHECK_REF(tg::addmm(bias, la.second, lb.second, 0.5, 2.0), base + ".out");
    }
  }
  // beta = 1, alpha = 1 is bias + a @ b; a [3, 5] bias and a [3, 1] bias broadcast too
  CHECK(tg::equal(tg::addmm(bias, a, b), bias + tg::mm(a, b)));
  auto full_bias = tg::mm(a, b) * T(0.25);
  CHECK(tg::equal(tg::addmm(full_bias, a, b, 2.0, 1.0), full_bias * T(2) + tg::mm(a, b)));
  auto col_bias = tg::tensor<T>({{T(1)}, {T(-2)}, {T(0.5)}});
  CHECK(tg::equal(tg::addmm(col_bias, a, b), col_bias + tg::mm(a, b)));
  // beta = 0 ignores the bias, even NaN (as PyTorch)
  auto nan_bias = tg::full<T>({5}, std::numeric_limits<T>::quiet_NaN());
  CHECK(tg::equal(tg::addmm(nan_bias, a, b, 0.0, 1.0), tg::mm(a, b)));
}

TEST_CASE_TEMPLATE("mm/matmul: an inner dimension of 0 gives zeros", T, float, double) {
  const std::string base = "mm_empty_k." + tag<T>();
  auto a = load<T>(base + ".a"), b = load<T>(base + ".b");
  CHECK_REF(tg::mm(a, b), base + ".out");
  CHECK_REF(tg::matmul(a, b), base + ".out");
  CHECK(tg::mm(tg::zeros<T>({0, 3}), tg::zeros<T>({3, 2})).sizes() == tg::Shape{0, 2});
  CHECK(tg::matmul(tg::zeros<T>({2, 0, 3}), tg::zeros<T>({3, 4})).sizes() == tg::Shape{2, 0, 4});
  CHECK(tg::bmm(tg::zeros<T>({0, 2, 3}), tg::zeros<T>({0, 3, 4})).sizes() == tg::Shape{0, 2, 4});
  CHECK(tg::dot(tg::zeros<T>({0}), tg::zeros<T>({0})).item() == T(0));
  CHECK(tg::equal(tg::addmm(tg::ones<T>({3}), tg::zeros<T>({2, 0}), tg::zeros<T>({0, 3})), tg::ones<T>({2, 3})));
}

TEST_CASE("mm/matmul: int64 matrices multiply exactly") {
  check_case<int64_t>("mm", [](const auto& a, const auto& b) { return tg::mm(a, b); });
  check_case<int64_t>("mm", [](const auto& a, const auto& b) { return tg::matmul(a, b); });
  static_assert(std::is_same_v<decltype(tg::mm(tg::Tensor<int64_t>(), tg::Tensor<int64_t>())), tg::Tensor<int64_t>>);
  // (mm of float32 and float64 does not compile, where PyTorch raises at run time:)
  CHECK(rec("mm_dtype_mismatch.error").text == "RuntimeError: expected scalar type Float but found Double");
}

TEST_CASE("matmul: the shapes PyTorch rejects throw ShapeError") {
  struct Bad {
    const char* name;
    const char* ours;
  };
  const Bad bad[] = {
      {"2x3_4x2", "matmul: inner dimensions must match, got [2, 3] @ [4, 2] (3 != 4)"},
      {"3_4x2", "matmul: inner dimensions must match, got [3] @ [4, 2] (3 != 4)"},
      {"3x4_3", "matmul: inner dimensions must match, got [3, 4] @ [3] (4 != 3)"},
      {"3_4", "matmul: inner dimensions must match, got [3] @ [4] (3 != 4)"},
      {"2x3x4_3x4x2", "matmul: shapes [2] and [3] are not broadcastable: dim 0 is 2 vs 3"},
      {"0d_3", "matmul: both arguments need to be at least 1-D, got [] and [3]"},
  };
  for (const Bad& c : bad) {
    const std::string base = std::string("matmul_error.") + c.name;
    CAPTURE(base);
    REQUIRE(rec(base).text.rfind("RuntimeError: ", 0) == 0);  // PyTorch refuses it too
    const RefTensor& sa = rec(base + ".shape_a");
    const RefTensor& sb = rec(base + ".shape_b");
    auto a = tg::zeros<float>(tg::Shape(sa.ints.begin(), sa.ints.end()));
    auto b = tg::zeros<float>(tg::Shape(sb.ints.begin(), sb.ints.end()));
    CHECK_THROWS_WITH_AS(tg::matmul(a, b), c.ours, tg::ShapeError);
  }
}

TEST_CASE("mm/mv/dot/bmm/outer/addmm: wrong ranks and sizes throw ShapeError naming both shapes") {
  auto z = [](tg::Shape s) { return tg::zeros<float>(s); };
  CHECK_THROWS_WITH_AS(tg::mm(z({3}), z({3, 4})), "mm: expected 2-D tensors, got [3] and [3, 4]", tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::mm(z({2, 3, 4}), z({4, 5})), "mm: expected 2-D tensors, got [2, 3, 4] and [4, 5]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::mm(z({32, 784}), z({128, 10})),
                       "mm: inner dimensions must match, got [32, 784] @ [128, 10] (784 != 128)", tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::mv(z({3}), z({3})), "mv: expected a 2-D matrix and a 1-D vector, got [3] and [3]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::mv(z({3, 4}), z({4, 1})),
                       "mv: expected a 2-D matrix and a 1-D vector, got [3, 4] and [4, 1]", tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::mv(z({3, 4}), z({3})), "mv: inner dimensions must match, got [3, 4] @ [3] (4 != 3)",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::dot(z({2, 2}), z({2})), "dot: expected 1-D tensors, got [2, 2] and [2]", tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::dot(z({3}), z({4})), "dot: inner dimensions must match, got [3] @ [4] (3 != 4)",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::bmm(z({2, 3}), z({2, 3, 4})), "bmm: expected 3-D tensors, got [2, 3] and [2, 3, 4]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::bmm(z({2, 3, 4}), z({3, 4, 5})),
                       "bmm: batch sizes must match, got [2, 3, 4] and [3, 4, 5] (2 != 3)", tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::bmm(z({2, 3, 4}), z({2, 5, 6})),
                       "bmm: inner dimensions must match, got [2, 3, 4] @ [2, 5, 6] (4 != 5)", tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::outer(z({2, 2}), z({3})), "outer: expected 1-D tensors, got [2, 2] and [3]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::addmm(z({5}), z({3}), z({3, 5})), "addmm: expected 2-D matrices, got [3] and [3, 5]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::addmm(z({5}), z({3, 4}), z({3, 5})),
                       "addmm: inner dimensions must match, got [3, 4] @ [3, 5] (4 != 3)", tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::addmm(z({4}), z({3, 4}), z({4, 5})),
                       "addmm: bias of shape [4] cannot be broadcast to the product's shape [3, 5]", tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::addmm(z({2, 3, 5}), z({3, 4}), z({4, 5})),
                       "addmm: bias of shape [2, 3, 5] cannot be broadcast to the product's shape [3, 5]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::addmm(z({5, 3}), z({3, 4}), z({4, 5})),
                       "addmm: bias of shape [5, 3] cannot be broadcast to the product's shape [3, 5]",
                       tg::ShapeError);
}

// ---- out variants (Note [Out variants] in ops/elementwise.hpp) -------------------------------

TEST_CASE_TEMPLATE("mm_out/matmul_out: match PyTorch for every operand layout and out layout", T, float,
                   double) {
  const auto into_empty = [](auto fn) {
    return [fn](const tg::Tensor<T>& a, const tg::Tensor<T>& b) {
      auto out = tg::empty<T>({0});
      const tg::Tensor<T>& ret = fn(out, a, b);
      CHECK(&ret == &out);
      return out;
    };
  };
  check_case<T>("mm", into_empty([](auto& o, auto& a, auto& b) -> const tg::Tensor<T>& { return tg::mm_out(o, a, b); }));
  check_case<T>("tmm", [&](const auto& a, const auto& b) {
    return into_empty([](auto& o, auto& x, auto& y) -> const tg::Tensor<T>& { return tg::mm_out(o, x, y); })(a.t(), b);
  });
  for (const char* c : kMatmulCases)
    check_case<T>(c, into_empty([](auto& o, auto& a, auto& b) -> const tg::Tensor<T>& {
      return tg::matmul_out(o, a, b);
    }));
  // an existing out in every layout is written through its strides
  const std::string base = "mm." + tag<T>();
  auto a = load<T>(base + ".a"), b = load<T>(base + ".b");
  const auto want = load<T>(base + ".out");
  for (const auto& lo : layouts(tg::full_like(want, T(9)))) {
    CAPTURE(lo.first);
    const T* data = lo.second.data_ptr();
    tg::mm_out(lo.second, a, b);
    CHECK(lo.second.data_ptr() == data);
    CHECK_REF(lo.second, base + ".out");
  }
}

TEST_CASE("mm_out: an out sharing memory with an operand gives the out-of-place result") {
  auto m = tg::arange<float>(0, 9).view({3, 3}) * 0.5f - 1.0f;
  auto x = m.clone();
  tg::mm_out(x, x, x.t());
  CHECK(tg::equal(x, tg::mm(m, m.t())));
  auto y = m.clone();
  tg::mm_out(y, m, y);
  CHECK(tg::equal(y, tg::mm(m, m)));
}

TEST_CASE("mm_out/matmul_out: wrong shapes and arguments that require grad throw, out untouched") {
  auto a = tg::ones<float>({2, 3}), b = tg::ones<float>({4, 5});
  auto out = tg::zeros<float>({2, 5});
  CHECK_THROWS_WITH_AS(tg::mm_out(out, a, b), "mm_out: inner dimensions must match, got [2, 3] @ [4, 5] (3 != 4)",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::mm_out(out, tg::ones<float>({3}), b), "mm_out: expected 2-D tensors, got [3] and [4, 5]",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::mm_out(out, a, tg::ones<float>({3, 4})),
                       "mm_out: out has shape [2, 5] but the result has shape [2, 4] (only an out with no "
                       "elements is resized)",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::matmul_out(out, tg::ones<float>({2, 2, 3}), tg::ones<float>({3, 5})),
                       "matmul_out: out has shape [2, 5] but the result has shape [2, 2, 5] (only an out with "
                       "no elements is resized)",
                       tg::ShapeError);
  auto w = tg::ones<float>({3, 5}).requires_grad_();
  CHECK_THROWS_WITH_AS(tg::mm_out(out, a, w),
                       "mm_out: functions with out=... arguments don't support automatic differentiation, but "
                       "one of the arguments requires grad",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::matmul_out(out, tg::ones<float>({3}), w),
                       "matmul_out: functions with out=... arguments don't support automatic differentiation, "
                       "but one of the arguments requires grad",
                       tg::ValueError);
  CHECK(tg::equal(out, tg::zeros<float>({2, 5})));
  tg::NoGradGuard guard;
  tg::mm_out(out, a, w);
  CHECK(tg::equal(out, tg::full<float>({2, 5}, 3.0f)));
  // (an out of another dtype than the operands' does not compile: "mm_out/matmul_out: out must have the
  // operands' dtype")
}

// Note [Dense and sparse entries] (kernels/gemm.hpp): mm, matmul and addmm
// run the dense GEMM even on a mostly-zero operand; mm_skip_zeros and
// F::linear may skip its zeros, forward and backward, and give mm's values
// up to the order of the additions.
namespace {
// MNIST-like: about 80 % zeros, the rest in (0, 1]; large enough for the sparse path.
template <class T>
tg::Tensor<T> mostly_zeros(const tg::Shape& shape) {
  return tg::rand<T>(shape) * (tg::rand<T>(shape) > T(0.8)).template to<T>();
}
struct SparseOn {
  bool saved = tg::kernels::set_gemm_sparse(true);
  ~SparseOn() { tg::kernels::set_gemm_sparse(saved); }
};
}  // namespace

TEST_CASE_TEMPLATE("mm/matmul/addmm: a mostly-zero operand takes the dense GEMM, forward and backward", T, float,
                   double) {
  SparseOn on;
  tg::manual_seed(3);
  const auto x = mostly_zeros<T>({256, 784});
  const auto w = tg::randn<T>({128, 784}).requires_grad_();
  const auto bias = tg::randn<T>({128}).requires_grad_();
  const uint64_t before = tg::kernels::gemm_sparse_count();
  for (const auto& y : {tg::mm(x, w.t()), tg::matmul(x, w.t()), tg::addmm(bias, x, w.t()),
                        tg::matmul(x.reshape({2, 128, 784}), w.t())}) {
    y.sum().backward();
  }
  CHECK(tg::kernels::gemm_sparse_count() == before);
  CHECK(w.grad().defined());
}

TEST_CASE_TEMPLATE("mm_skip_zeros: mm's values and gradients, by the sparse path on a mostly-zero operand", T,
                   float, double) {
  SparseOn on;
  tg::manual_seed(4);
  const auto x = mostly_zeros<T>({256, 784});
  const auto w = tg::randn<T>({128, 784}).requires_grad_();
  const auto g = tg::randn<T>({256, 128});
  const auto dense = tg::mm(x, w.t());
  dense.backward(g);
  const auto dense_grad = w.grad().clone();
  w.grad().zero_();
  const uint64_t before = tg::kernels::gemm_sparse_count();
  const auto y = tg::mm_skip_zeros(x, w.t());
  CHECK(std::string(y.grad_fn()->name()) == "MmBackward0");
  y.backward(g);
  CHECK(tg::kernels::gemm_sparse_count() == before + 2);  // x @ W^T and the weight gradient x^T g
  const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-12;
  CHECK(tg::allclose(y, dense, tol, tol));
  CHECK(tg::allclose(w.grad(), dense_grad, tol, tol));
  CHECK(w.grad().is_contiguous());  // the weight gradient in the weight's layout (Note [Gradient layout])
  // turned off, it is mm
  tg::kernels::set_gemm_sparse(false);
  const auto off = tg::mm_skip_zeros(x, w.t());
  CHECK(tg::kernels::gemm_sparse_count() == before + 2);
  CHECK(tg::equal(off, dense.detach()));
}

TEST_CASE("mm_skip_zeros: gradcheck in double, both operands, a transposed operand") {
  tg::manual_seed(5);
  auto a = tg::randn<double>({4, 3}).requires_grad_(), b = tg::randn<double>({5, 3}).requires_grad_();
  const auto r = tg::gradcheck(
      [](const std::vector<tg::Tensor<double>>& in) { return tg::mm_skip_zeros(in[0], in[1].t()); }, {a, b});
  CHECK_MESSAGE(r.ok, r.message);
}

TEST_CASE("mm_skip_zeros: integer matrices multiply exactly; wrong ranks and sizes throw ShapeError") {
  const auto a = tg::arange<int64_t>(0, 6).reshape({2, 3}), b = tg::arange<int64_t>(0, 12).reshape({3, 4});
  CHECK(tg::equal(tg::mm_skip_zeros(a, b), tg::mm(a, b)));
  CHECK_THROWS_WITH_AS(tg::mm_skip_zeros(tg::ones<float>({3}), tg::ones<float>({4, 5})),
                       "mm_skip_zeros: expected 2-D tensors, got [3] and [4, 5]", tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::mm_skip_zeros(tg::ones<float>({2, 3}), tg::ones<float>({4, 5})),
                       "mm_skip_zeros: inner dimensions must match, got [2, 3] @ [4, 5] (3 != 4)", tg::ShapeError);
}

TEST_CASE("F::linear: without a bias, and on a 3-D input, skips the zeros of a mostly-zero input") {
  SparseOn on;
  tg::manual_seed(6);
  const auto x = mostly_zeros<float>({256, 784});
  const auto w = tg::randn<float>({128, 784}).requires_grad_();
  const uint64_t before = tg::kernels::gemm_sparse_count();
  const auto y = tg::nn::functional::linear(x, w);
  y.sum().backward();
  CHECK(tg::kernels::gemm_sparse_count() == before + 2);
  CHECK(tg::allclose(y, tg::mm(x, w.t()), 1e-4, 1e-4));
  const auto y3 = tg::nn::functional::linear(x.reshape({4, 64, 784}), w);
  CHECK(tg::kernels::gemm_sparse_count() == before + 3);
  CHECK(tg::equal(y3.reshape({256, 128}), y));
}
