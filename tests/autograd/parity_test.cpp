// Gradients of composite expressions against torch.autograd (PyTorch 1.13,
// tests/reference/autograd.txt): a logistic unit, softmax + NLL, a small MLP
// with a cross-entropy written from primitives, broadcasting with expand and
// multi-dim sums, var/std/logsumexp/prod, attention-style batched matmuls,
// a mix of elementwise ops, and the matmul shapes (broadcast batch, fold,
// 1-D operands, addmm).
//
// Tolerances: the same inputs in each dtype, computed by PyTorch in that
// dtype; our sums and GEMMs round in a different order, so float32 is held to
// rtol 1e-5 / atol 1e-6 and float64 to rtol 1e-12 / atol 1e-13.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "support/reference.hpp"

namespace {

namespace tg = tapegrad;
using tapegrad_test::RefTensor;

const RefTensor& rec(const std::string& name) { return tapegrad_test::ref("autograd.txt", name); }

template <class T>
std::string tag() {
  return std::is_same_v<T, float> ? "f32" : "f64";
}

template <class T>
tg::Tensor<T> load(const std::string& name, bool requires_grad) {
  const RefTensor& r = rec(name);
  auto t = tg::from_vector(r.as<T>(), tg::Shape(r.shape.begin(), r.shape.end()));
  if (requires_grad) t.requires_grad_();
  return t;
}

// One reference case: its inputs (as leaves) and the int64 target if any.
template <class T>
struct Case {
  std::string name;
  std::map<std::string, tg::Tensor<T>> in;
  std::vector<int64_t> target;

  Case(std::string case_name, const std::vector<std::string>& inputs, const std::vector<std::string>& wrt)
      : name(std::move(case_name)) {
    for (const auto& n : inputs) {
      bool needs = false;
      for (const auto& w : wrt) needs = needs || w == n;
      in.emplace(n, load<T>(name + "." + n, needs));
    }
    if (tapegrad_test::has_ref("autograd.txt", name + ".target")) target = rec(name + ".target").ints;
  }
  const tg::Tensor<T>& operator[](const std::string& n) const { return in.at(n); }

  // Compare a value with the reference record `<case>.<tag>.<what>`.
  void expect(const tg::Tensor<T>& got, const std::string& what) const {
    const std::string record = name + "." + tag<T>() + "." + what;
    INFO("record: ", record);
    const RefTensor& want = rec(record);
    REQUIRE(got.defined());
    REQUIRE(got.sizes() == tg::Shape(want.shape.begin(), want.shape.end()));
    const double rtol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
    const double atol = std::is_same_v<T, float> ? 1e-6 : 1e-13;
    const auto values = got.to_vector();
    for (size_t k = 0; k < values.size(); ++k) {
      const double g = values[k], w = want.values[k];
      const bool close = std::abs(g - w) <= atol + rtol * std::abs(w);
      if (!close) {
        std::ostringstream os;
        os << "element " << k << ": got " << g << ", PyTorch " << w << " (diff " << g - w << ")";
        FAIL_CHECK(os.str());
      }
    }
  }
  // Backward from the loss, then compare it and the gradients of `wrt`.
  void check(const tg::Tensor<T>& loss, const std::vector<std::string>& wrt) const {
    REQUIRE(loss.dim() == 0);
    loss.backward();
    expect(loss.detach(), "out");
    for (const auto& n : wrt) expect(in.at(n).grad(), "grad_" + n);
  }
};

// onehot[i, target[i]] = 1: picks z[range(N), target] as (z * onehot).sum(1).
template <class T>
tg::Tensor<T> one_hot(const std::vector<int64_t>& target, int64_t classes) {
  auto m = tg::zeros<T>({static_cast<int64_t>(target.size()), classes});
  for (size_t i = 0; i < target.size(); ++i) m(static_cast<int64_t>(i), target[i]) = T(1);
  return m;
}

}  // namespace

TEST_CASE_TEMPLATE("parity: a logistic unit sigmoid(w * x + b).sum() matches PyTorch's gradients", T, float,
                   double) {
  Case<T> c("logistic", {"w", "x", "b"}, {"w", "b"});
  c.check((c["w"] * c["x"] + c["b"]).sigmoid().sum(), {"w", "b"});
  CHECK_FALSE(c["x"].grad().defined());
}

TEST_CASE_TEMPLATE("parity: softmax regression with a negative log-likelihood matches PyTorch", T, float,
                   double) {
  Case<T> c("softmax_nll", {"x", "W", "b"}, {"W", "b"});
  REQUIRE(c.target.size() == 4);
  auto log_p = tg::log_softmax(c["x"].matmul(c["W"]) + c["b"], 1);
  // -log_p[range(4), target].mean(), one select per row
  auto picked = log_p.select(0, 0).select(0, c.target[0]);
  for (int64_t i = 1; i < 4; ++i) picked = picked + log_p[i][c.target[static_cast<size_t>(i)]];
  c.check(-(picked / T(4)), {"W", "b"});
}

TEST_CASE_TEMPLATE("parity: an MLP with a cross-entropy built from primitives matches PyTorch", T, float,
                   double) {
  Case<T> c("mlp", {"x", "W1", "b1", "W2", "b2"}, {"W1", "b1", "W2", "b2"});
  REQUIRE(c.target.size() == 5);
  auto h = tg::addmm(c["b1"], c["x"], c["W1"]).relu();
  auto z = h.matmul(c["W2"]) + c["b2"];
  auto picked = (z * one_hot<T>(c.target, 3)).sum(1);
  c.check((z.logsumexp(1) - picked).mean(), {"W1", "b1", "W2", "b2"});
}

TEST_CASE_TEMPLATE("parity: broadcasting, expand and sums over several dims match PyTorch", T, float, double) {
  Case<T> c("broadcast", {"a", "b", "c", "e"}, {"a", "b", "c", "e"});
  auto z = c["a"] * c["b"] + c["c"];
  REQUIRE(z.sizes() == tg::Shape{3, 5, 4});
  auto loss = (z.sum(tg::Shape{0, 2}).unsqueeze(0).expand({2, 5}) * c["e"]).sum() + z.sum(1, true).mean();
  c.check(loss, {"a", "b", "c", "e"});
}

TEST_CASE_TEMPLATE("parity: var/std/logsumexp/prod together match PyTorch", T, float, double) {
  Case<T> c("stats", {"x"}, {"x"});
  const auto& x = c["x"];
  // x.var(1, 1) is PyTorch's x.var(1): a lone argument is the correction (x.var(1) = x.var())
  auto loss = x.var(1, 1).sum() + x.std(0, 0).sum() * T(0.5) + x.logsumexp(1).sum() + x.prod(1).sum() + x.var() +
              x.std();
  c.check(loss, {"x"});
}

TEST_CASE_TEMPLATE("parity: attention-style batched matmuls with softmax match PyTorch", T, float, double) {
  Case<T> c("attention", {"q", "k", "v", "w"}, {"q", "k", "v"});
  auto scores = c["q"].matmul(c["k"].transpose(1, 2)) / T(2);
  auto out = tg::softmax(scores, -1).matmul(c["v"]);
  c.check((out * c["w"]).sum(), {"q", "k", "v"});
}

TEST_CASE_TEMPLATE("parity: a mix of elementwise ops matches PyTorch", T, float, double) {
  Case<T> c("elementwise", {"x", "y"}, {"x", "y"});
  const auto& x = c["x"];
  const auto& y = c["y"];
  auto loss = (tg::log(tg::abs(x) + 1) * tg::tanh(y) + tg::clamp(x, -0.5, 0.5) +
               tg::maximum(x, y) * tg::minimum(x, y) + tg::where(x > 0, x * x, tg::exp(x)) +
               tg::sqrt(y * y + 1) / (1 + tg::sigmoid(x)) + tg::pow(y * y + 1, x) + tg::rsqrt(x * x + 2) -
               tg::log1p(y * y) + x.max() - y.min())
                  .sum();
  c.check(loss, {"x", "y"});
}

TEST_CASE_TEMPLATE("parity: matmul with a broadcast batch, the fold case, 1-D operands and addmm match PyTorch",
                   T, float, double) {
  Case<T> c("matmul_shapes", {"a", "b", "c", "d", "u"}, {"a", "b", "c", "d", "u"});
  const auto &a = c["a"], &b = c["b"], &cc = c["c"], &d = c["d"], &u = c["u"];
  auto loss = a.matmul(b).pow(2).sum() + cc.matmul(d).tanh().sum() + cc.matmul(u).sum() +
              u.matmul(d).exp().sum() + tg::addmm(u.slice(0, 0, 1).expand({5}), d.t(), d, 0.5, 2).sum();
  c.check(loss, {"a", "b", "c", "d", "u"});
}
