// Norms of ops/norm.hpp and nn/distance.hpp against
// tests/reference/reduce_extra.txt (tools/gen_ref_arith.py, PyTorch 1.13),
// rtol 1e-6 (float32) / 1e-12 (float64): the summation order differs.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "support/golden.hpp"
#include "support/reference.hpp"
#include "support/tensor_check.hpp"

namespace {

namespace tg = tapegrad;
using tapegrad_test::mismatch;
using tapegrad_test::reversed_layout;
using tapegrad_test::strided_copy;
using Tol = tapegrad_test::Tol;

const tapegrad_test::Golden kGolden{"reduce_extra.txt"};
template <class T>
constexpr Tol kTol = std::is_same_v<T, float> ? Tol{2e-6, 1e-6} : Tol{1e-12, 1e-12};

constexpr double kInf = std::numeric_limits<double>::infinity();
const std::vector<std::pair<double, std::string>> kOrds = {{2, "2"},        {1, "1"},     {kInf, "inf"},
                                                           {-kInf, "minf"}, {0, "0"},     {3.5, "3.5"},
                                                           {0.5, "0.5"},    {-1, "m1"}};

}  // namespace

TEST_CASE_TEMPLATE("linalg::vector_norm/norm: every ord over all elements, a dim and two dims matches PyTorch", T,
                   float, double) {
  const std::string t = std::is_same_v<T, float> ? "f32" : "f64";
  const auto x0 = kGolden.load<T>("x." + t);
  for (const auto& x : {x0, reversed_layout(x0)}) {
    CAPTURE(tg::to_string(x.strides()));
    for (const auto& ord : kOrds) {  // (no structured binding: clang before 16 cannot capture one)
      const double p = ord.first;
      const std::string& tag = ord.second;
      CAPTURE(tag);
      CHECK_REF(tg::linalg::vector_norm(x, p), "vector_norm.p" + tag + "." + t, kTol<T>);
      CHECK_REF(tg::norm(x, p, {2}), "vector_norm.p" + tag + ".d2." + t, kTol<T>);
      CHECK_REF(x.norm(p, {0, 1}, true), "vector_norm.p" + tag + ".d01_keep." + t, kTol<T>);
    }
  }
}

TEST_CASE("dist/cdist/F::normalize/F::cosine_similarity: match PyTorch") {
  const auto a = kGolden.load<double>("a"), b = kGolden.load<double>("b");
  const Tol tol{1e-12, 1e-12};
  CHECK_REF(tg::cdist(a, b), "cdist", tol);
  CHECK_REF(tg::cdist(strided_copy(a), b, 1), "cdist.p1", tol);
  CHECK_REF(tg::dist(a, b.narrow(0, 0, 4)), "dist", tol);
  CHECK_REF(tg::dist(a, b.narrow(0, 0, 4), 3), "dist.p3", tol);
  CHECK_REF(tg::F::normalize(a), "normalize", tol);
  CHECK_REF(tg::F::normalize(reversed_layout(a), 1, 2), "normalize.p1_d2", tol);
  CHECK_REF(tg::F::cosine_similarity(a, b.narrow(0, 0, 4), 2), "cosine_similarity", tol);
  CHECK_REF(tg::F::cosine_similarity(tg::tensor<double>({{1e-9, 0.0}, {3.0, 4.0}}),
                                     tg::tensor<double>({{1e-9, 0.0}, {4.0, -3.0}})),
            "cosine_similarity.tiny", tol);
}

TEST_CASE("linalg::vector_norm/cdist: errors name the op") {
  CHECK_THROWS_WITH_AS(tg::linalg::vector_norm(tg::zeros<float>({0}), kInf),
                       "linalg.vector_norm: cannot compute the inf norm on an empty tensor because the operation "
                       "does not have an identity",
                       tg::IndexError);
  CHECK(tg::linalg::vector_norm(tg::zeros<float>({0})).item() == 0.f);
  CHECK_THROWS_WITH_AS(tg::cdist(tg::zeros<float>({2, 3}), tg::zeros<float>({2, 4})),
                       "cdist: X1 and X2 must have the same number of columns, got [2, 3] and [2, 4]", tg::ShapeError);
  CHECK_THROWS_WITH_AS(tg::cdist(tg::zeros<float>({3}), tg::zeros<float>({2, 3})),
                       "cdist: only supports at least 2D tensors, got [3] and [2, 3]", tg::ShapeError);
}

TEST_CASE("linalg::vector_norm/cdist/F::normalize/F::cosine_similarity: gradients match PyTorch, 0 at zero") {
  const auto g = kGolden.load<double>("g"), w = kGolden.load<double>("gw");
  const Tol tol{1e-12, 1e-14};
  for (const auto& ord : kOrds) {
    const double p = ord.first;
    const std::string& tag = ord.second;
    CAPTURE(tag);
    auto x = g.clone();
    x.requires_grad_();
    (tg::linalg::vector_norm(x, p, {1}) * w.select(1, 0)).sum().backward();
    CHECK_REF(x.grad(), "grad.vector_norm_p" + tag + "_d1.0", tol);  // row 1 is all zeros: gradient 0
  }
  auto a = kGolden.load<double>("a"), b = kGolden.load<double>("b");
  a.requires_grad_();
  b.requires_grad_();
  tg::cdist(a, b).sum().backward();
  CHECK_REF(a.grad(), "grad.cdist.0", tol);
  CHECK_REF(b.grad(), "grad.cdist.1", tol);
  a.mutable_grad() = tg::Tensor<double>();
  tg::F::normalize(a).sum().backward();
  CHECK_REF(a.grad(), "grad.normalize.0", tol);
  a.mutable_grad() = tg::Tensor<double>();
  b.mutable_grad() = tg::Tensor<double>();
  auto b4 = b.narrow(0, 0, 4);
  tg::F::cosine_similarity(a, b4, 2).sum().backward();
  CHECK_REF(a.grad(), "grad.cosine_similarity.0", tol);
  CHECK_REF(b.grad().narrow(0, 0, 4), "grad.cosine_similarity.1", tol);
}

TEST_CASE("linalg::vector_norm/dist/cdist: gradcheck incl. non-contiguous, broadcast, empty and 0-d inputs") {
  using V = std::vector<tg::Tensor<double>>;
  auto gc = [](auto f, V in) {
    for (auto& t : in) t.requires_grad_();
    const auto r = tg::gradcheck(f, in);
    CHECK_MESSAGE(r.ok, r.message);
  };
  const auto x = tg::tensor<double>({{0.3, -1.2, 2.5, 0.9}, {1.7, 0.1, -0.4, 3.3}, {-2.2, 0.8, 1.1, 0.6}});
  for (double p : {2.0, 1.0, kInf, -kInf, 3.5, 0.5, -1.0}) {
    CAPTURE(p);
    gc([p](const V& v) { return tg::linalg::vector_norm(v[0], p, {1}); }, {x.clone()});
    gc([p](const V& v) { return tg::linalg::vector_norm(v[0], p); }, {reversed_layout(x)});
  }
  gc([](const V& v) { return tg::dist(v[0], v[1]); }, {x.clone(), strided_copy(tg::tensor<double>({0.5, 0.2, -0.1, 1.0}))});
  gc([](const V& v) { return tg::cdist(v[0], v[1]); }, {x.clone(), x.narrow(0, 0, 2).clone() + 0.25});
  gc([](const V& v) { return tg::F::normalize(v[0], 2, 0); }, {x.clone()});
  gc([](const V& v) { return tg::F::cosine_similarity(v[0], v[1], 1); }, {x.clone(), x.narrow(0, 1, 1).clone()});
  gc([](const V& v) { return tg::linalg::vector_norm(v[0]); }, {tg::tensor<double>(-1.5)});
  gc([](const V& v) { return tg::linalg::vector_norm(v[0], 2, {1}); }, {tg::zeros<double>({0, 3})});
}
