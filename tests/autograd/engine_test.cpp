// The autograd engine and the autograd state of tensors: accumulation and
// retain_graph, the errors of backward (second backward, saved tensors changed
// in place, non-scalar roots, tensors without grad), leaves and retain_grad,
// NoGradGuard/EnableGradGuard/no_grad, detach, in-place ops on tensors that
// require grad, mixed dtypes, integer operands, freeing of dropped graphs and
// of saved values, long chains, and recovery after a failed backward.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

namespace tg = tapegrad;

template <class T>
tg::Tensor<T> leaf(std::vector<T> values, const tg::Shape& shape) {
  auto t = tg::from_vector(values, shape);
  t.requires_grad_();
  return t;
}
template <class T>
tg::Tensor<T> leaf(std::vector<T> values) {
  return leaf(values, tg::Shape{static_cast<int64_t>(values.size())});
}

}  // namespace

// ---- leaves, requires_grad, is_leaf --------------------------------------------------------------

TEST_CASE_TEMPLATE("requires_grad_: makes a leaf require grad; results of recorded ops are not leaves", T, float,
                   double) {
  auto x = tg::ones<T>({2, 3});
  CHECK_FALSE(x.requires_grad());
  CHECK(x.is_leaf());
  CHECK(x.grad_fn() == nullptr);
  CHECK(&x.requires_grad_() == &x);  // returns itself, for chaining
  CHECK(x.requires_grad());
  CHECK(x.is_leaf());
  CHECK(x.grad_fn() == nullptr);
  CHECK_FALSE(x.grad().defined());

  auto y = x * T(2);
  CHECK(y.requires_grad());
  CHECK_FALSE(y.is_leaf());
  CHECK(y.grad_fn() != nullptr);

  // an op on tensors that need no grad records nothing: a leaf without grad
  auto z = tg::ones<T>({2}) * T(2);
  CHECK_FALSE(z.requires_grad());
  CHECK(z.is_leaf());
  CHECK(z.grad_fn() == nullptr);

  x.requires_grad_(false);
  CHECK_FALSE(x.requires_grad());
  CHECK_FALSE((x * T(2)).requires_grad());
  // requires_grad_(false) on a tensor that never required grad is a no-op
  z.requires_grad_(false);
  CHECK_FALSE(z.requires_grad());
}

TEST_CASE("requires_grad_: a non-leaf can't be switched off, only detached") {
  auto x = leaf<float>({1, 2});
  auto y = x * 2.0f;
  CHECK_THROWS_WITH_AS(y.requires_grad_(false),
                       "requires_grad_: you can only change requires_grad flags of leaf tensors; use "
                       "detach() to get a tensor without history",
                       tg::ValueError);
  CHECK(y.requires_grad());
  y.requires_grad_(true);  // already true: allowed, as in PyTorch
  CHECK_FALSE(y.is_leaf());
}

TEST_CASE("grad_fn_name: names the op that made the tensor, empty for a leaf") {
  auto x = leaf<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  auto w = leaf<double>({1, 2, 3}, {3, 1});
  CHECK(x.grad_fn_name().empty());
  CHECK((x + x).grad_fn_name() == "AddBackward0");
  CHECK((x - 1.0).grad_fn_name() == "SubBackward0");
  CHECK((x * x).grad_fn_name() == "MulBackward0");
  CHECK((x / 2.0).grad_fn_name() == "DivBackward0");
  CHECK(x.exp().grad_fn_name() == "ExpBackward0");
  CHECK(x.relu().grad_fn_name() == "ReluBackward0");
  CHECK(x.sum().grad_fn_name() == "SumBackward0");
  CHECK(x.mean(1).grad_fn_name() == "MeanBackward1");
  CHECK(x.max(0).values.grad_fn_name() == "MaxBackward0");
  CHECK(x.softmax(1).grad_fn_name() == "SoftmaxBackward0");
  CHECK(tg::mm(x, w).grad_fn_name() == "MmBackward0");
  CHECK(x.view({6}).grad_fn_name() == "ViewBackward0");
  CHECK(x.t().grad_fn_name() == "TBackward0");
  CHECK(x[1].grad_fn_name() == "SelectBackward0");
  CHECK(x.to<float>().grad_fn_name() == "ToCopyBackward0");
  CHECK(x.detach().grad_fn_name().empty());
  CHECK(std::string(x.sum().grad_fn()->name()) == "SumBackward0");
}

// ---- accumulation, retain_graph, backward twice --------------------------------------------------

TEST_CASE_TEMPLATE("backward: gradients of two backward calls add up, as PyTorch", T, float, double) {
  auto x = leaf<T>({1, 2, 3});
  (x * x).sum().backward();
  CHECK(x.grad().to_vector() == std::vector<T>{2, 4, 6});
  (x * T(3)).sum().backward();  // a fresh graph
  CHECK(x.grad().to_vector() == std::vector<T>{5, 7, 9});
  // the gradient is a plain tensor: it has no history and needs no grad
  CHECK_FALSE(x.grad().requires_grad());
  CHECK(x.grad().grad_fn() == nullptr);
}

TEST_CASE("backward: retain_graph keeps the saved values for a second backward") {
  auto x = leaf<double>({1, 2, 3});
  auto y = (x * x).sum();
  y.backward({}, true);
  CHECK(x.grad().to_vector() == std::vector<double>{2, 4, 6});
  y.backward({}, true);
  CHECK(x.grad().to_vector() == std::vector<double>{4, 8, 12});
  y.backward();  // the last one may free the graph
  CHECK(x.grad().to_vector() == std::vector<double>{6, 12, 18});
}

TEST_CASE("backward: a second backward without retain_graph throws") {
  auto x = leaf<double>({3}, {});
  auto y = x * x;
  y.backward();
  CHECK(x.grad().item() == 6.0);
  CHECK_THROWS_WITH_AS(y.backward(),
                       "backward: trying to backward through the graph a second time (MulBackward0); its "
                       "saved values were freed by the first backward(). Pass retain_graph=true to the "
                       "first backward() if you need to backward twice",
                       tg::ValueError);
  CHECK(x.grad().item() == 6.0);  // unchanged by the failed call
}

TEST_CASE("backward: the gradient is the leaf's own buffer, not the one passed in") {
  auto x = leaf<float>({1, 2});
  auto g = tg::from_vector<float>({10, 20});
  x.backward(g);  // backward on a leaf itself
  CHECK(x.grad().to_vector() == std::vector<float>{10, 20});
  g.fill_(0);
  CHECK(x.grad().to_vector() == std::vector<float>{10, 20});
  CHECK_FALSE(tg::shares_storage(x.grad(), g));
  // an expanded gradient (stride 0) is stored as a real tensor
  auto s = leaf<float>({1, 2, 3}, {3, 1});
  s.expand({3, 4}).sum().backward();
  CHECK(s.grad().is_contiguous());
  CHECK(s.grad().to_vector() == std::vector<float>{4, 4, 4});
}

// ---- saved tensors modified in place ----------------------------------------------------------

TEST_CASE("backward: a saved tensor modified in place makes backward throw, naming the op") {
  auto a = tg::from_vector<float>({1, 2, 3});
  auto w = leaf<float>({4, 5, 6});
  auto y = (a * w).sum();  // MulBackward saves a for w's gradient
  a.add_(1.0f);            // a needs no grad: allowed, but bumps its version
  CHECK_THROWS_WITH_AS(y.backward(),
                       "backward: one of the variables needed for gradient computation has been "
                       "modified by an inplace operation: MulBackward0 saved a tensor of shape [3] at "
                       "version 0; it is now at version 1",
                       tg::ValueError);
  CHECK_FALSE(w.grad().defined());
}

TEST_CASE("backward: a parameter updated under NoGradGuard invalidates graphs that saved it") {
  auto w = leaf<double>({1, 2});
  auto y = (w.exp() * w).sum();  // ExpBackward saves its output, MulBackward saves w and exp(w)
  {
    tg::NoGradGuard no_grad;
    w.mul_(2.0);
  }
  CHECK_THROWS_WITH_AS(y.backward(),
                       "backward: one of the variables needed for gradient computation has been "
                       "modified by an inplace operation: MulBackward0 saved a tensor of shape [2] at "
                       "version 0; it is now at version 1",
                       tg::ValueError);
}

TEST_CASE("detach: writes through a detached view are seen by the graph (shared version)") {
  auto x = leaf<double>({0, 1});
  auto y = x.exp();  // saves y
  y.detach().add_(1.0);
  CHECK_THROWS_WITH_AS(y.sum().backward(),
                       "backward: one of the variables needed for gradient computation has been "
                       "modified by an inplace operation: ExpBackward0 saved a tensor of shape [2] at "
                       "version 0; it is now at version 1",
                       tg::ValueError);
}

TEST_CASE("backward: an exception leaves no stale gradient behind for the next backward") {
  auto w = leaf<double>({1, 2});
  auto a = tg::from_vector<double>({3, 4});
  auto h = w * 2.0;
  // out = h * a + exp(h): reverse order runs exp's backward (filling h's
  // buffer) before the product's, which fails on the modified a.
  auto out = (h * a + h.exp()).sum();
  auto other = h.sum();
  a.add_(1.0);
  CHECK_THROWS_AS(out.backward({}, true), tg::ValueError);
  CHECK_FALSE(w.grad().defined());
  // h's half-accumulated gradient from exp was dropped: only other's reaches w
  other.backward();
  CHECK(w.grad().to_vector() == std::vector<double>{2, 2});
  // and a fresh graph works
  w.mutable_grad() = tg::Tensor<double>();
  (w * a).sum().backward();
  CHECK(w.grad().to_vector() == std::vector<double>{4, 5});
}

// ---- retain_grad ---------------------------------------------------------------------------------

TEST_CASE("retain_grad: a non-leaf's grad() is undefined unless retained") {
  auto x = leaf<double>({1, 2, 3});
  auto y = x * 2.0;
  auto z = x * 3.0;
  z.retain_grad();
  CHECK(z.retains_grad());
  CHECK_FALSE(y.retains_grad());
  (y * y + z * z).sum().backward();
  CHECK_FALSE(y.grad().defined());
  REQUIRE(z.grad().defined());
  CHECK(z.grad().to_vector() == std::vector<double>{6, 12, 18});  // 2 z
  CHECK(x.grad().to_vector() == std::vector<double>{26, 52, 78});  // 8 x + 18 x
}

TEST_CASE("retain_grad: the retained gradient accumulates across backward calls") {
  auto x = leaf<float>({1, 2});
  auto y = x * 2.0f;
  y.retain_grad();
  auto loss = (y * y).sum();
  loss.backward({}, true);
  CHECK(y.grad().to_vector() == std::vector<float>{4, 8});
  loss.backward();
  CHECK(y.grad().to_vector() == std::vector<float>{8, 16});
  CHECK(x.grad().to_vector() == std::vector<float>{16, 32});
  // on a leaf it is a no-op (leaves keep their gradient anyway)
  x.retain_grad();
  CHECK_FALSE(x.retains_grad());
}

TEST_CASE("retain_grad: refuses a tensor that does not require grad") {
  auto x = tg::ones<float>({2});
  CHECK_THROWS_WITH_AS(x.retain_grad(),
                       "retain_grad: can't retain_grad on a tensor that has requires_grad=false",
                       tg::ValueError);
}

// ---- the root of backward --------------------------------------------------------------------------

TEST_CASE("backward: a non-scalar root needs a gradient") {
  auto x = leaf<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  auto y = x * x;
  CHECK_THROWS_WITH_AS(y.backward(),
                       "backward: grad can be implicitly created only for scalar outputs, got shape [2, "
                       "3]; pass a gradient of that shape",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(y.backward(tg::ones<double>({3})),
                       "backward: gradient of shape [3] does not match the output's shape [2, 3]",
                       tg::ShapeError);
  // y.backward(g) equals (y * g).sum().backward()
  auto g = tg::from_vector<double>({1, -1, 0.5, 2, 0, 3}, tg::Shape{2, 3});
  y.backward(g, true);
  const auto direct = x.grad().to_vector();
  x.mutable_grad() = tg::Tensor<double>();
  (y * g).sum().backward();
  CHECK(direct == x.grad().to_vector());
  CHECK(direct == std::vector<double>{2, -4, 3, 16, 0, 36});
  // a one-element root of any shape needs none
  x.mutable_grad() = tg::Tensor<double>();
  x.sum(1, true).sum(0, true).backward();
  CHECK(x.grad().to_vector() == std::vector<double>(6, 1.0));
}

TEST_CASE("backward: a tensor that does not require grad can't be backpropagated") {
  auto x = tg::ones<float>({2});
  CHECK_THROWS_WITH_AS(x.sum().backward(),
                       "backward: the tensor does not require grad and has no grad_fn (shape []); call "
                       "requires_grad_() on the inputs you want gradients for",
                       tg::ValueError);
  auto i = tg::ones<int64_t>({2});
  CHECK_THROWS_WITH_AS(i.sum().backward(), "backward: only floating tensors can have gradients, got int64",
                       tg::ValueError);
}

// ---- grad mode -------------------------------------------------------------------------------------

TEST_CASE("NoGradGuard/no_grad: ops record nothing; guards nest and restore the mode") {
  auto x = leaf<float>({1, 2});
  CHECK(tg::GradMode::is_enabled());
  {
    tg::NoGradGuard outer;
    CHECK_FALSE(tg::GradMode::is_enabled());
    auto y = x * 2.0f;
    CHECK_FALSE(y.requires_grad());
    CHECK(y.grad_fn() == nullptr);
    CHECK(y.is_leaf());
    {
      tg::EnableGradGuard inner;
      CHECK(tg::GradMode::is_enabled());
      auto z = x * 2.0f;
      CHECK(z.requires_grad());
      CHECK(z.grad_fn_name() == "MulBackward0");
      {
        tg::NoGradGuard innermost;
        CHECK_FALSE((x * 2.0f).requires_grad());
      }
      CHECK(tg::GradMode::is_enabled());
    }
    CHECK_FALSE(tg::GradMode::is_enabled());
    CHECK_FALSE(x.exp().requires_grad());
  }
  CHECK(tg::GradMode::is_enabled());
  CHECK((x * 2.0f).requires_grad());

  auto r = tg::no_grad([&] { return (x * x).sum(); });
  static_assert(std::is_same_v<decltype(r), tg::Tensor<float>>);
  CHECK_FALSE(r.requires_grad());
  CHECK(r.item() == 5.0f);
  CHECK(tg::GradMode::is_enabled());
  // no_grad of a void function
  bool ran = false;
  tg::no_grad([&] { ran = !tg::GradMode::is_enabled(); });
  CHECK(ran);
  // the mode is restored when the function throws
  CHECK_THROWS_AS(tg::no_grad([&] { return x.view({3}); }), tg::ShapeError);
  CHECK(tg::GradMode::is_enabled());
}

TEST_CASE("NoGradGuard: the grad mode is per thread") {
  tg::NoGradGuard no_grad;
  bool other_thread_enabled = false;
  std::thread t([&] { other_thread_enabled = tg::GradMode::is_enabled(); });
  t.join();
  CHECK(other_thread_enabled);
  CHECK_FALSE(tg::GradMode::is_enabled());
}

TEST_CASE("backward: backward itself is not recorded") {
  auto x = leaf<double>({1, 2});
  (x.exp() * x).sum().backward();
  CHECK_FALSE(x.grad().requires_grad());
  CHECK(x.grad().grad_fn() == nullptr);
  CHECK(tg::GradMode::is_enabled());  // restored after backward
}

// ---- detach --------------------------------------------------------------------------------------

TEST_CASE("detach: shares storage, has no history and needs no grad") {
  auto x = leaf<float>({1, 2, 3});
  auto y = x * 2.0f;
  auto d = y.detach();
  CHECK(tg::shares_storage(d, y));
  CHECK(d.data_ptr() == y.data_ptr());
  CHECK_FALSE(d.requires_grad());
  CHECK(d.grad_fn() == nullptr);
  CHECK(d.is_leaf());
  CHECK_FALSE((d * 2.0f).requires_grad());
  // no gradient flows through a detached branch
  (y * d).sum().backward();
  CHECK(x.grad().to_vector() == std::vector<float>{4, 8, 12});  // d/dx (2x * const 2x) = 2 * 2x
  // detaching a leaf gives a leaf without grad over the same data
  auto xd = x.detach();
  CHECK_FALSE(xd.requires_grad());
  CHECK(tg::shares_storage(xd, x));
}

// ---- in place ------------------------------------------------------------------------------------

TEST_CASE("in-place ops: refused on a leaf that requires grad, allowed under NoGradGuard") {
  auto w = leaf<float>({1, 2, 3});
  const std::string leaf_msg =
      ": a leaf tensor that requires grad is being used in an in-place operation; wrap the update in "
      "NoGradGuard (torch.no_grad())";
  CHECK_THROWS_WITH_AS(w.add_(1.0f), ("add_" + leaf_msg).c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(w.sub_(tg::ones<float>({3})), ("sub_" + leaf_msg).c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(w *= 2.0f, ("mul_" + leaf_msg).c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(w.div_(2.0f), ("div_" + leaf_msg).c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(w.relu_(), ("relu_" + leaf_msg).c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(w.clamp_(0.0, 1.0), ("clamp_" + leaf_msg).c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(w.fill_(0.0f), ("fill_" + leaf_msg).c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(w.zero_(), ("fill_" + leaf_msg).c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(w.copy_(tg::ones<float>({3})), ("copy_" + leaf_msg).c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(w.uniform_(), ("uniform_" + leaf_msg).c_str(), tg::ValueError);
  CHECK_THROWS_WITH_AS(w.resize_({4}), "resize_: cannot resize a tensor that requires grad (shape [3])",
                       tg::ValueError);
  CHECK(w.to_vector() == std::vector<float>{1, 2, 3});  // nothing was written

  // an SGD step: w -= lr * grad under NoGradGuard
  (w * w).sum().backward();
  {
    tg::NoGradGuard no_grad;
    w.sub_(w.grad() * 0.5f);
    w.grad().zero_();
  }
  CHECK(w.to_vector() == std::vector<float>{0, 0, 0});
  CHECK(w.requires_grad());
  CHECK(w.is_leaf());
  CHECK(w.grad().to_vector() == std::vector<float>{0, 0, 0});
  // the next step sees the updated values
  ((w + 1.0f) * (w + 1.0f)).sum().backward();
  CHECK(w.grad().to_vector() == std::vector<float>{2, 2, 2});
}

TEST_CASE("in-place ops: refused on a non-leaf that requires grad, and from a source that requires grad") {
  auto x = leaf<double>({1, 2});
  auto y = x * 2.0;
  CHECK_THROWS_WITH_AS(y.mul_(2.0),
                       "mul_: in-place operations on tensors that require grad are not recorded by autograd; "
                       "use the out-of-place form (x = x + y)",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(y.relu_(),
                       "relu_: in-place operations on tensors that require grad are not recorded by autograd; "
                       "use the out-of-place form (x = x + y)",
                       tg::ValueError);
  auto buf = tg::zeros<double>({2});
  CHECK_THROWS_WITH_AS(buf.add_(x),
                       "add_: the source requires grad, but in-place operations are not recorded by autograd; "
                       "use the out-of-place form, or NoGradGuard if no gradient should flow",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(buf.copy_(y),
                       "copy_: the source requires grad, but in-place operations are not recorded by autograd; "
                       "use the out-of-place form, or NoGradGuard if no gradient should flow",
                       tg::ValueError);
  CHECK(buf.to_vector() == std::vector<double>{0, 0});
  {
    tg::NoGradGuard no_grad;
    buf.add_(x);
    y.mul_(2.0);
  }
  CHECK(buf.to_vector() == std::vector<double>{1, 2});
  CHECK(y.to_vector() == std::vector<double>{4, 8});
}

TEST_CASE("mutable_grad: assigning an undefined tensor resets the gradient") {
  auto x = leaf<float>({1, 2});
  (x * 3.0f).sum().backward();
  CHECK(x.grad().to_vector() == std::vector<float>{3, 3});
  x.mutable_grad() = tg::Tensor<float>();
  CHECK_FALSE(x.grad().defined());
  (x * 5.0f).sum().backward();
  CHECK(x.grad().to_vector() == std::vector<float>{5, 5});  // not 8: the old one is gone
  // a gradient can also be set by hand; backward adds to it
  x.mutable_grad() = tg::full<float>({2}, 100.0f);
  (x * 1.0f).sum().backward();
  CHECK(x.grad().to_vector() == std::vector<float>{101, 101});
}

// ---- dtypes ----------------------------------------------------------------------------------------

TEST_CASE("mixed dtypes: a float leaf combined with a double leaf gets a float gradient") {
  auto xf = leaf<float>({1.5f, -2.0f, 0.1f});
  auto xd = leaf<double>({3.0, 0.25, 0.375});
  auto y = xf * xd + xf;
  static_assert(std::is_same_v<decltype(y), tg::Tensor<double>>);
  y.sum().backward();
  static_assert(std::is_same_v<decltype(xf.grad()), tg::Tensor<float>>);
  static_assert(std::is_same_v<decltype(xd.grad()), tg::Tensor<double>>);
  // d/dxf = xd + 1 (exact in float); d/dxd = xf exactly (the float value, widened)
  CHECK(xf.grad().to_vector() == std::vector<float>{4.0f, 1.25f, 1.375f});
  CHECK(xd.grad().to_vector() == std::vector<double>{1.5, -2.0, static_cast<double>(0.1f)});
  // through to<double>() as well
  xf.mutable_grad() = tg::Tensor<float>();
  (xf.to<double>() * xd).sum().backward();
  CHECK(xf.grad().to_vector() == std::vector<float>{3.0f, 0.25f, 0.375f});
}

TEST_CASE("integer operands: gradients flow to the floating leaf only") {
  auto i = tg::tensor<int64_t>({1, 2, 3});
  auto w = leaf<float>({0.5f, -1.0f, 4.0f});
  auto y = i * w;
  static_assert(std::is_same_v<decltype(y), tg::Tensor<float>>);
  CHECK(y.requires_grad());
  (y + w / i + i / w).sum().backward();
  // d/dw (i w + w / i + i / w) = i + 1 / i - i / w^2
  const std::vector<float> want{1 + 1.0f - 1 / (0.5f * 0.5f), 2 + 0.5f - 2 / 1.0f, 3 + 1 / 3.0f - 3 / 16.0f};
  const auto got = w.grad().to_vector();
  for (size_t k = 0; k < want.size(); ++k) CHECK(got[k] == doctest::Approx(want[k]).epsilon(1e-6));
  CHECK_FALSE(i.requires_grad());
  CHECK(i.is_leaf());
  // a float leaf added to a bool mask
  auto m = tg::tensor<bool>({true, false, true});
  auto z = leaf<double>({1, 2, 3});
  (tg::where(m, z, 0.0) + m).sum().backward();
  CHECK(z.grad().to_vector() == std::vector<double>{1, 0, 1});
}

// ---- memory ----------------------------------------------------------------------------------------

TEST_CASE("graph: a graph dropped without backward frees its records and saved values") {
  auto x = leaf<double>({1, 2, 3});
  std::weak_ptr<tg::autograd::Node> node, inner;
  std::weak_ptr<tg::Storage<double>> saved;
  {
    auto h = x.exp();
    auto y = (h * h).sum();
    node = y.grad_fn();
    inner = h.grad_fn();
    saved = h.storage();
    CHECK_FALSE(node.expired());
  }
  CHECK(node.expired());
  CHECK(inner.expired());
  CHECK(saved.expired());
  // the leaf's gradient sink goes with the last graph that used it
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("backward: frees the saved values unless retain_graph") {
  auto x = leaf<double>({1, 2, 3});
  std::weak_ptr<tg::Storage<double>> saved;
  tg::Tensor<double> y;
  {
    auto h = x.exp();
    saved = h.storage();
    y = (h * h).sum();
  }
  CHECK_FALSE(saved.expired());  // held by MulBackward and ExpBackward
  y.backward({}, true);
  CHECK_FALSE(saved.expired());
  y.backward();
  CHECK(saved.expired());  // y is alive, its graph's saved values are not
  CHECK(y.grad_fn() != nullptr);
}

TEST_CASE("backward: a chain of 10000 ops does not overflow the stack") {
  auto x = leaf<double>({1, 2});
  auto y = x;
  for (int i = 0; i < 10000; ++i) y = y + 1.0;
  y.sum().backward();
  CHECK(x.grad().to_vector() == std::vector<double>{1, 1});
  CHECK(y.to_vector() == std::vector<double>{10001, 10002});
  // a longer one built and dropped without backward is freed without recursion trouble
  std::weak_ptr<tg::autograd::Node> first;
  {
    auto z = x * 1.0;
    first = z.grad_fn();
    for (int i = 0; i < 100000; ++i) z = z * 1.0;
  }
  CHECK(first.expired());
}

// ---- graphs across threads and dtypes --------------------------------------------------------------

TEST_CASE("backward: a graph continued in another thread gets all its gradients") {
  auto x = leaf<double>({1, 2});
  for (int i = 0; i < 10; ++i) (void)(x * 1.0);  // this thread has made more records than the next
  auto h = x * 2.0;
  tg::Tensor<double> y;
  std::thread t([&] { y = (h * 3.0).sum(); });
  t.join();
  y.backward();
  REQUIRE(x.grad().defined());
  CHECK(x.grad().to_vector() == std::vector<double>{6, 6});
}

TEST_CASE("backward: a retained graph walked from two threads is walked fully each time") {
  auto x = leaf<double>({1, 2});
  auto y = (x * 2.0).exp().sum();
  for (int k = 0; k < 2; ++k) {
    std::thread t([&] { y.backward({}, true); });
    t.join();
  }
  const auto g = x.grad().to_vector();
  CHECK(g[0] == doctest::Approx(2 * 2 * std::exp(2.0)).epsilon(1e-14));
  CHECK(g[1] == doctest::Approx(2 * 2 * std::exp(4.0)).epsilon(1e-14));
}

TEST_CASE("backward: a retained graph walked from a float root, then a double root") {
  auto x = leaf<float>({1, 2});
  auto h = x.to<double>() * 2.0;
  auto from_float = h.to<float>().sum();
  auto from_double = h.sum();
  from_float.backward({}, true);
  CHECK(x.grad().to_vector() == std::vector<float>{2, 2});
  from_double.backward();
  CHECK(x.grad().to_vector() == std::vector<float>{4, 4});
}

// AccumulateGrad keeps a fresh gradient that nothing else refers to instead
// of copying it (as PyTorch's does), also when it arrives through the
// transpose of nn::Linear's x @ w.t(). Seen through the block cache: a copy
// frees the original, 300 KB, into it; taken as it is, nothing large is freed.
TEST_CASE("backward: a leaf's fresh gradient is kept without a copy, also through a transpose") {
#ifndef TAPEGRAD_ASAN  // the cache is off under AddressSanitizer
  tg::manual_seed(3);
  auto w = tg::randn<float>({256, 300}).requires_grad_();
  const auto x = tg::randn<float>({2, 300});
  for (const bool transposed : {true, false}) {
    CAPTURE(transposed);
    w.mutable_grad() = tg::Tensor<float>();
    auto loss = (transposed ? tg::matmul(x, w.t()) : tg::matmul(w, x.t())).sum();
    tg::empty_cache();
    loss.backward();
    CHECK(tg::cached_bytes() == 0);
    REQUIRE(w.grad().defined());
    // the kept gradient is right and is w.grad()'s own memory
    const auto expected = transposed ? tg::ones<float>({2, 256}).t().matmul(x) : tg::ones<float>({256, 2}).matmul(x);
    CHECK(tg::allclose(w.grad(), expected));
    CHECK(w.grad().is_contiguous());
    CHECK_FALSE(tg::shares_storage(w.grad(), x));
  }
#endif
}
