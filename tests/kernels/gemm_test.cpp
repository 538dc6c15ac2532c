// kernels::gemm (include/tapegrad/kernels/gemm.hpp) against a naive triple
// loop accumulating in double: every micro-kernel this CPU can run (forced
// with set_gemm_isa, so an AVX-512 machine also tests AVX2 and the portable
// kernel), float and double, odd shapes (1, 7, 33, 257, 1000 mixed over m, n,
// k), transposed operands, alpha/beta, leading dimensions larger than the
// row, and operands with no unit stride at all; the split of a product over
// threads (Note [GEMM threads]) along n and along m; and the path for a
// mostly-zero operand (Note [Sparse operand GEMM]).
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

namespace tg = tapegrad;
namespace tk = tapegrad::kernels;

struct Shape3 {
  int64_t m, n, k;
};

// Every combination of {1, 7, 33}, then 257 and 1000 in each position.
std::vector<Shape3> shapes() {
  std::vector<Shape3> s;
  for (int64_t m : {1, 7, 33})
    for (int64_t n : {1, 7, 33})
      for (int64_t k : {1, 7, 33}) s.push_back({m, n, k});
  for (Shape3 x : {Shape3{257, 33, 7}, Shape3{7, 257, 33}, Shape3{33, 7, 257}, Shape3{257, 257, 33},
                   Shape3{1000, 7, 33}, Shape3{33, 1000, 7}, Shape3{7, 33, 1000}, Shape3{1000, 1, 257},
                   Shape3{1, 1000, 257}, Shape3{257, 1000, 7}})
    s.push_back(x);
  return s;
}

// A matrix of rows x cols stored with strides (rs, cs) in a buffer of random
// values in [-1, 1); the gaps between elements hold other random values.
template <class T>
struct Strided {
  std::vector<T> buf;
  int64_t rs, cs;
  const T* data() const { return buf.data(); }
  T& at(int64_t i, int64_t j) { return buf[static_cast<size_t>(i * rs + j * cs)]; }
  T at(int64_t i, int64_t j) const { return buf[static_cast<size_t>(i * rs + j * cs)]; }
};

enum class Layout { row, col, row_padded, strided };

// zeros: the share of the matrix's elements set to 0 (for the sparse path).
template <class T>
Strided<T> make(int64_t rows, int64_t cols, Layout layout, std::mt19937& gen, double zeros = 0) {
  Strided<T> s;
  switch (layout) {
    case Layout::row: s.rs = cols, s.cs = 1; break;
    case Layout::col: s.rs = 1, s.cs = rows; break;                    // a transposed view
    case Layout::row_padded: s.rs = cols + 3, s.cs = 1; break;         // leading dim > cols
    case Layout::strided: s.rs = 2 * cols + 1, s.cs = 2; break;        // no unit stride
  }
  const int64_t size = (rows - 1) * s.rs + (cols - 1) * s.cs + 1;
  std::uniform_real_distribution<double> u(-1, 1);
  s.buf.resize(static_cast<size_t>(size));
  for (T& x : s.buf) x = static_cast<T>(u(gen));
  if (zeros > 0)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        if (u(gen) < 2 * zeros - 1) s.at(i, j) = T(0);
  return s;
}

// Largest error of kernels::gemm against the naive loop, relative to the
// bound eps * (k + 2) * (|alpha| (1 + sqrt(k)) + |beta|) that a correct kernel
// stays under (entries in [-1, 1): partial sums grow like sqrt(k)).
template <class T>
double relative_error(Shape3 s, Layout la, Layout lb, T alpha, T beta, bool nan_c, std::mt19937& gen,
                      double zeros_a = 0, double zeros_b = 0, bool dense_entry = false) {
  const Strided<T> a = make<T>(s.m, s.k, la, gen, zeros_a), b = make<T>(s.k, s.n, lb, gen, zeros_b);
  Strided<T> c = make<T>(s.m, s.n, Layout::row_padded, gen);
  if (nan_c)
    for (T& x : c.buf) x = std::numeric_limits<T>::quiet_NaN();
  Strided<T> want = c;
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = 0; j < s.n; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < s.k; ++p) acc += static_cast<double>(a.at(i, p)) * static_cast<double>(b.at(p, j));
      want.at(i, j) = static_cast<T>(beta == T(0) ? alpha * acc : alpha * acc + beta * static_cast<double>(c.at(i, j)));
    }
  (dense_entry ? tk::gemm_dense<T> : tk::gemm<T>)(s.m, s.n, s.k, alpha, a.data(), a.rs, a.cs, b.data(), b.rs, b.cs,
                                                   beta, c.buf.data(), c.rs, c.cs);
  const double bound = std::numeric_limits<T>::epsilon() * static_cast<double>(s.k + 2) *
                       (std::abs(static_cast<double>(alpha)) * (1 + std::sqrt(static_cast<double>(s.k))) +
                        std::abs(static_cast<double>(beta)));
  double worst = 0;
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = 0; j < s.n; ++j) {
      const double e = std::abs(static_cast<double>(c.at(i, j)) - static_cast<double>(want.at(i, j)));
      worst = std::max(worst, std::isnan(e) ? std::numeric_limits<double>::infinity() : e / bound);
    }
  // the padding between C's rows is untouched
  for (int64_t i = 0; i + 1 < s.m; ++i)
    for (int64_t j = s.n; j < c.rs; ++j)
      if (!(c.buf[static_cast<size_t>(i * c.rs + j)] == want.buf[static_cast<size_t>(i * c.rs + j)]) &&
          !(nan_c && std::isnan(c.buf[static_cast<size_t>(i * c.rs + j)])))
        worst = std::numeric_limits<double>::infinity();
  return worst;
}

// Runs every shape with every operand layout pair under one micro-kernel.
template <class T>
void check_all_shapes(tk::GemmIsa isa) {
  std::mt19937 gen(42);
  const Layout layouts[] = {Layout::row, Layout::col, Layout::row_padded, Layout::strided};
  const T alphas[] = {T(1), T(1.5), T(-2), T(0.5)};
  const T betas[] = {T(0), T(0.5), T(1), T(0)};
  int variant = 0;
  for (const Shape3 s : shapes())
    for (Layout la : layouts)
      for (Layout lb : layouts) {
        const int v = variant++ % 4;
        // the big shapes with the two common layouts only, to keep the naive loop short
        if (s.m * s.n * s.k > 100000 && (la == Layout::strided || lb == Layout::row_padded)) continue;
        const double err = relative_error<T>(s, la, lb, alphas[v], betas[v], v == 3, gen);
        CHECK_MESSAGE(err <= 1.0, tk::to_string(isa), " m=", s.m, " n=", s.n, " k=", s.k, " layouts ",
                      static_cast<int>(la), "/", static_cast<int>(lb), " alpha=", alphas[v], " beta=", betas[v],
                      ": error ", err, " x bound");
      }
}

// Restores the micro-kernel chosen at start-up when a test case ends.
struct IsaGuard {
  tk::GemmIsa saved = tk::gemm_isa();
  ~IsaGuard() { tk::set_gemm_isa(saved); }
};

}  // namespace

TEST_CASE_TEMPLATE("gemm: every micro-kernel matches the naive product (odd shapes, layouts, alpha/beta)", T,
                   float, double) {
  IsaGuard guard;
  for (tk::GemmIsa isa : {tk::GemmIsa::generic, tk::GemmIsa::avx2, tk::GemmIsa::avx512}) {
    if (isa > tk::best_gemm_isa()) continue;    // this CPU cannot run it
    if (isa < tk::lowest_gemm_isa()) continue;  // this build's flags left it out
    CAPTURE(tk::to_string(isa));
    tk::set_gemm_isa(isa);
    REQUIRE(tk::gemm_isa() == isa);
    check_all_shapes<T>(isa);
  }
}

// Note [Dot GEMM]: C of at least two columns fewer than a vector, with A's
// rows contiguous along k. The shapes straddle the kernel's edges: m around
// its 8 rows, n odd and even around its 2 columns, k around a whole vector
// (16 floats, 8 doubles), the 8-vector minimum and the 2 KiB K block, plus
// k = 1, n = 15 floats and a column-major A (these take other kernels, for
// comparison).
TEST_CASE_TEMPLATE("gemm: the dot kernel matches the naive product at its tile and block edges", T, float, double) {
  IsaGuard guard;
  std::mt19937 gen(11);
  const int64_t w = 64 / static_cast<int64_t>(sizeof(T));  // AVX-512 lanes
  const int64_t block = 2048 / static_cast<int64_t>(sizeof(T));
  const T alphas[] = {T(1), T(-1.5), T(0.5)};
  const T betas[] = {T(0), T(0.5), T(0)};
  for (tk::GemmIsa isa : {tk::GemmIsa::generic, tk::GemmIsa::avx2, tk::GemmIsa::avx512}) {
    if (isa > tk::best_gemm_isa() || isa < tk::lowest_gemm_isa()) continue;
    tk::set_gemm_isa(isa);
    const auto& g = tk::detail::gemm_config<T>(isa);
    int dot = 0, variant = 0;
    for (int64_t m : {1, 7, 8, 9, 17})
      for (int64_t n : {1, 2, 3, 10, 15})
        for (int64_t k : {int64_t(1), 8 * w - 1, 8 * w, 8 * w + 1, 8 * w + w - 1, block - 1, block, block + 1,
                          2 * block + w + 3})
          for (Layout la : {Layout::row, Layout::row_padded, Layout::col}) {
            const Layout lb = variant % 2 == 0 ? Layout::row : Layout::col;  // B row-major, or a transposed view
            const int v = variant++ % 3;
            if (la != Layout::col && tk::detail::use_dot(g, n, k, 1)) ++dot;
            const double err = relative_error<T>({m, n, k}, la, lb, alphas[v], betas[v], v == 2, gen);
            CHECK_MESSAGE(err <= 1.0, tk::to_string(isa), " m=", m, " n=", n, " k=", k, " layouts ",
                          static_cast<int>(la), "/", static_cast<int>(lb), ": error ", err, " x bound");
          }
    // the AVX-512 path has the dot kernel and these shapes reach it
    if (isa == tk::GemmIsa::avx512) CHECK(dot >= 5 * 3 * 7 * 2);
  }
}

TEST_CASE("gemm: set_gemm_isa caps at the CPU's best kernel and reports the previous one") {
  IsaGuard guard;
  tk::set_gemm_isa(tk::GemmIsa::generic);
  CHECK(tk::set_gemm_isa(tk::GemmIsa::avx512) == tk::lowest_gemm_isa());
  CHECK(tk::gemm_isa() == tk::best_gemm_isa());
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  // x86-64 CPUs from 2013 on have AVX2 + FMA; the CI and bench machines do.
  if (__builtin_cpu_supports("avx512f")) CHECK(tk::best_gemm_isa() == tk::GemmIsa::avx512);
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) CHECK(tk::best_gemm_isa() == tk::GemmIsa::avx2);
#endif
}

TEST_CASE("gemm: TAPEGRAD_GEMM_ISA selects a kernel, never above the CPU's best") {
  using tk::GemmIsa;
  const char* old = std::getenv("TAPEGRAD_GEMM_ISA");
  const std::string saved = old ? old : "";
  // never below this build's lowest path either (generic unless built with
  // -mavx2 -mfma or -mavx512f: Note [Kernels the flags rule out])
  const auto floor = [](GemmIsa isa) { return std::max(isa, tk::lowest_gemm_isa()); };
  ::setenv("TAPEGRAD_GEMM_ISA", "generic", 1);
  CHECK(tk::detail::isa_from_env(GemmIsa::avx512) == floor(GemmIsa::generic));
  ::setenv("TAPEGRAD_GEMM_ISA", "avx2", 1);
  CHECK(tk::detail::isa_from_env(GemmIsa::avx512) == floor(GemmIsa::avx2));
  CHECK(tk::detail::isa_from_env(GemmIsa::generic) == floor(GemmIsa::generic));
  ::setenv("TAPEGRAD_GEMM_ISA", "avx512", 1);
  CHECK(tk::detail::isa_from_env(GemmIsa::avx2) == floor(GemmIsa::avx2));
  ::setenv("TAPEGRAD_GEMM_ISA", "nonsense", 1);
  CHECK(tk::detail::isa_from_env(GemmIsa::avx2) == floor(GemmIsa::avx2));
  if (old) ::setenv("TAPEGRAD_GEMM_ISA", saved.c_str(), 1);
  else ::unsetenv("TAPEGRAD_GEMM_ISA");
}

TEST_CASE_TEMPLATE("gemm: k = 0 or alpha = 0 scales C by beta, and beta = 0 clears NaN", T, float, double) {
  std::vector<T> c = {T(1), T(2), std::numeric_limits<T>::quiet_NaN(), T(4)};
  const T a[2] = {T(1), T(1)}, b[2] = {T(1), T(1)};
  tk::gemm<T>(2, 2, 0, T(1), a, 1, 1, b, 1, 1, T(2), c.data(), 2, 1);
  CHECK(c[0] == T(2));
  CHECK(c[3] == T(8));
  CHECK(std::isnan(c[2]));
  tk::gemm<T>(2, 2, 1, T(0), a, 1, 1, b, 1, 1, T(0), c.data(), 2, 1);
  CHECK(c == std::vector<T>{T(0), T(0), T(0), T(0)});
}

TEST_CASE_TEMPLATE("gemm: products split over 1 to 4 threads match the naive product", T, float, double) {
  IsaGuard guard;
  const int before = tg::get_num_threads();
  std::mt19937 gen(7);
  // n wide: split along n; n narrow and m large: split along m; uneven parts.
  const Shape3 big[] = {{300, 200, 100}, {500, 20, 200}, {97, 1000, 33}, {1000, 7, 257}, {129, 129, 129}};
  for (int threads : {1, 2, 3, 4})
    for (const Shape3 s : big)
      for (Layout la : {Layout::row, Layout::col}) {
        tg::set_num_threads(threads);
        const double err = relative_error<T>(s, la, Layout::row, T(1.5), T(0.5), false, gen);
        CHECK_MESSAGE(err <= 1.0, threads, " threads, m=", s.m, " n=", s.n, " k=", s.k, ": error ", err, " x bound");
      }
  tg::set_num_threads(before);
}

TEST_CASE("set_num_threads: round-trips and rejects n < 1") {
  const int before = tg::get_num_threads();
  CHECK(before >= 1);
  tg::set_num_threads(3);
  CHECK(tg::get_num_threads() == 3);
  CHECK(Eigen::nbThreads() >= 1);  // Eigen without OpenMP reports 1 whatever it is told
  CHECK_THROWS_WITH_AS(tg::set_num_threads(0), "set_num_threads: expected a positive number of threads, got 0",
                       tg::ValueError);
  tg::set_num_threads(before);
  CHECK(tg::get_num_threads() == before);
}

TEST_CASE_TEMPLATE("mm: operands with no unit stride and large odd shapes match the naive product", T, float,
                   double) {
  tg::manual_seed(3);
  // every other column of a [257, 2000] matrix: strides (2000, 2)
  const auto a = tg::randn<T>({257, 2000}).slice(1, 0, std::nullopt, 2);
  const auto b = tg::randn<T>({33, 1000}).t();  // [1000, 33], column-major
  const auto c = tg::mm(a, b);
  REQUIRE(c.sizes() == tg::Shape{257, 33});
  double worst = 0;
  for (int64_t i = 0; i < 257; ++i)
    for (int64_t j = 0; j < 33; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < 1000; ++p)
        acc += static_cast<double>(a.data_ptr()[i * a.strides()[0] + p * a.strides()[1]]) *
               static_cast<double>(b.data_ptr()[p * b.strides()[0] + j * b.strides()[1]]);
      worst = std::max(worst, std::abs(acc - static_cast<double>(c.data_ptr()[i * 33 + j])));
    }
  CHECK(worst <= 1002 * std::numeric_limits<T>::epsilon() * 40);  // |sum| of 1000 products of N(0,1)
}

// Note [Sparse operand GEMM]: every kernel, both operand positions, every
// layout, alpha/beta, threads; gemm_sparse_count() proves the path was taken.
namespace {
struct SparseGuard {
  bool saved = tk::set_gemm_sparse(true);
  int threads = tg::get_num_threads();
  ~SparseGuard() {
    tk::set_gemm_sparse(saved);
    tg::set_num_threads(threads);
  }
};
// Shapes over kSparseMinWork with k past one L1 block of D and n off the panel widths (32, 64, 128).
const Shape3 kSparseShapes[] = {{256, 100, 200}, {70, 257, 300}, {300, 33, 257}, {1000, 65, 40}, {40, 1000, 65}};
}  // namespace

TEST_CASE_TEMPLATE("gemm: a mostly-zero A or B takes the sparse path and matches the naive product", T, float,
                   double) {
  IsaGuard guard;
  SparseGuard sparse;
  std::mt19937 gen(11);
  const Layout layouts[] = {Layout::row, Layout::col, Layout::row_padded, Layout::strided};
  const T alphas[] = {T(1), T(1.5), T(-2), T(0.5)};
  const T betas[] = {T(0), T(0.5), T(1), T(0)};
  int variant = 0;
  for (tk::GemmIsa isa : {tk::GemmIsa::generic, tk::GemmIsa::avx2, tk::GemmIsa::avx512}) {
    if (isa > tk::best_gemm_isa() || isa < tk::lowest_gemm_isa()) continue;
    tk::set_gemm_isa(isa);
    for (const Shape3 s : kSparseShapes)
      for (Layout la : layouts)
        for (Layout lb : layouts)
          for (const bool sparse_a : {true, false}) {
            const int v = variant++ / 2 % 4;  // each alpha/beta with a sparse A and a sparse B
            tg::set_num_threads(1 + variant % 3);
            const uint64_t before = tk::gemm_sparse_count();
            const double err = relative_error<T>(s, la, lb, alphas[v], betas[v], v == 3, gen, sparse_a ? 0.85 : 0,
                                                 sparse_a ? 0 : 0.85);
            CHECK_MESSAGE(err <= 1.0, tk::to_string(isa), " m=", s.m, " n=", s.n, " k=", s.k, " layouts ",
                          static_cast<int>(la), "/", static_cast<int>(lb), " sparse ", sparse_a ? "A" : "B",
                          ": error ", err, " x bound");
            CHECK_MESSAGE(tk::gemm_sparse_count() == before + 1, tk::to_string(isa), " m=", s.m, " n=", s.n,
                          " k=", s.k, " sparse ", sparse_a ? "A" : "B", ": the sparse path was not taken");
          }
  }
}

TEST_CASE_TEMPLATE("gemm: the sparse path is skipped for dense, small or switched-off products", T, float, double) {
  SparseGuard sparse;
  std::mt19937 gen(12);
  const uint64_t before = tk::gemm_sparse_count();
  // half zeros: over kSparseMaxDensity
  CHECK(relative_error<T>({256, 100, 200}, Layout::row, Layout::col, T(1), T(0), false, gen, 0.5, 0.5) <= 1.0);
  // too little work, and C too narrow for either operand
  CHECK(relative_error<T>({33, 33, 33}, Layout::row, Layout::row, T(1), T(0), false, gen, 0.9, 0.9) <= 1.0);
  CHECK(relative_error<T>({20, 20, 20000}, Layout::row, Layout::row, T(1), T(0), false, gen, 0.9, 0.9) <= 1.0);
  CHECK(tk::gemm_sparse_count() == before);
  CHECK(tk::set_gemm_sparse(false) == true);
  CHECK_FALSE(tk::gemm_sparse_enabled());
  CHECK(relative_error<T>({256, 100, 200}, Layout::row, Layout::col, T(1), T(0), false, gen, 0.9, 0) <= 1.0);
  CHECK(tk::gemm_sparse_count() == before);
  CHECK(tk::set_gemm_sparse(true) == false);
  CHECK(relative_error<T>({256, 100, 200}, Layout::row, Layout::col, T(1), T(0), false, gen, 0.9, 0) <= 1.0);
  CHECK(tk::gemm_sparse_count() == before + 1);
}

TEST_CASE_TEMPLATE("gemm_dense: never the sparse path, on a mostly-zero A or B, with the same bound", T, float,
                   double) {
  SparseGuard sparse;
  std::mt19937 gen(13);
  const uint64_t before = tk::gemm_sparse_count();
  for (const Shape3 s : kSparseShapes) {
    CHECK(relative_error<T>(s, Layout::row, Layout::col, T(1), T(0), false, gen, 0.9, 0, true) <= 1.0);
    CHECK(relative_error<T>(s, Layout::row, Layout::row, T(1.5), T(0.5), false, gen, 0, 0.9, true) <= 1.0);
  }
  CHECK(tk::gemm_sparse_count() == before);
  // the control: gemm takes the sparse path on the first of them
  CHECK(relative_error<T>(kSparseShapes[0], Layout::row, Layout::col, T(1), T(0), false, gen, 0.9, 0) <= 1.0);
  CHECK(tk::gemm_sparse_count() == before + 1);
}

// 0 * inf is NaN: an inf or NaN in the dense operand must reach exactly the
// entries the dense product gives NaN, so the sparse path declines; a NaN in
// the sparse operand is a nonzero and spreads as in the dense product.
TEST_CASE_TEMPLATE("gemm: inf and NaN give the dense product's NaNs with a mostly-zero operand", T, float, double) {
  IsaGuard guard;
  SparseGuard sparse;
  const int64_t m = 256, n = 96, k = 200;
  std::mt19937 gen(13);
  for (tk::GemmIsa isa : {tk::GemmIsa::generic, tk::GemmIsa::avx2, tk::GemmIsa::avx512}) {
    if (isa > tk::best_gemm_isa() || isa < tk::lowest_gemm_isa()) continue;
    tk::set_gemm_isa(isa);
    // inf in D, NaN in D, NaN in S; in the first or the last panel of D and
    // rows of S, which with several threads another thread prepares
    for (const int where : {0, 1, 2})
      for (const bool last : {false, true}) {
        CAPTURE(where);
        CAPTURE(last);
        tg::set_num_threads(last ? 3 : 1 + where % 2);
        Strided<T> a = make<T>(m, k, Layout::row, gen, 0.9), b = make<T>(k, n, Layout::col, gen);
        const T bad = where == 0 ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::quiet_NaN();
        if (where < 2) {
          b.at(last ? k - 1 : 17, last ? n - 1 : 5) = bad;
        } else {
          a.at(last ? m - 1 : 3, 17) = bad;
        }
        std::vector<T> c(static_cast<size_t>(m * n), T(7));
        const uint64_t before = tk::gemm_sparse_count();
        tk::gemm<T>(m, n, k, T(1), a.data(), a.rs, a.cs, b.data(), b.rs, b.cs, T(0), c.data(), n, 1);
        CHECK(tk::gemm_sparse_count() == before + (where == 2 ? 1 : 0));
        int64_t wrong = 0;
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            double acc = 0;
            for (int64_t p = 0; p < k; ++p) acc += static_cast<double>(a.at(i, p)) * static_cast<double>(b.at(p, j));
            const double got = static_cast<double>(c[static_cast<size_t>(i * n + j)]);
            if (std::isnan(acc) != std::isnan(got) || (!std::isnan(acc) && std::abs(got - acc) > 1e-3)) ++wrong;
          }
        CHECK_MESSAGE(wrong == 0, tk::to_string(isa), ": ", wrong, " entries differ from the naive product");
      }
  }
}

// Each row of C is summed in the same order whichever thread prepares and
// computes it, so the thread count does not change a bit.
TEST_CASE_TEMPLATE("gemm: the sparse path gives the same bits on 1, 2 and 3 threads", T, float, double) {
  SparseGuard sparse;
  std::mt19937 gen(14);
  for (const bool sparse_a : {true, false}) {
    const int64_t m = 300, n = 200, k = 257;
    const Strided<T> a = make<T>(m, k, Layout::row, gen, sparse_a ? 0.85 : 0);
    const Strided<T> b = make<T>(k, n, Layout::col, gen, sparse_a ? 0 : 0.85);
    std::vector<T> first;
    for (const int threads : {1, 2, 3}) {
      tg::set_num_threads(threads);
      std::vector<T> c(static_cast<size_t>(m * n));
      const uint64_t before = tk::gemm_sparse_count();
      tk::gemm<T>(m, n, k, T(1), a.data(), a.rs, a.cs, b.data(), b.rs, b.cs, T(0), c.data(), n, 1);
      CHECK(tk::gemm_sparse_count() == before + 1);
      if (threads == 1) first = c;
      CHECK_MESSAGE(c == first, "sparse ", sparse_a ? "A" : "B", ", ", threads, " threads");
    }
  }
}

TEST_CASE("nn::Linear on mostly-zero input: forward and weight gradient as with the sparse path off") {
  SparseGuard sparse;
  tg::manual_seed(5);
  // MNIST-like: 80 % zeros, the rest in (0, 1]
  const auto x = tg::rand<float>({256, 784}) * (tg::rand<float>({256, 784}) > 0.8f).to<float>();
  tg::nn::Linear fc(784, 128);
  const auto run = [&] {
    fc.zero_grad(/*set_to_none=*/true);
    const auto y = fc(x);
    (y * y).sum().backward();
    return std::make_pair(y.detach().clone(), fc.weight.grad().clone());
  };
  const uint64_t before = tk::gemm_sparse_count();
  const auto [y1, g1] = run();
  CHECK(tk::gemm_sparse_count() == before + 2);  // x @ W^T and G^T @ x
  tk::set_gemm_sparse(false);
  const auto [y0, g0] = run();
  CHECK(tk::gemm_sparse_count() == before + 2);
  CHECK(tg::allclose(y1, y0, 1e-5, 1e-5));
  CHECK(tg::allclose(g1, g0, 1e-4, 1e-4));
}
