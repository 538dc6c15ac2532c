// autograd/node.hpp: register_post_accumulate_grad_hook (Note
// [Post-accumulate-grad hooks]).
#include <doctest/doctest.h>

#include <tapegrad/tapegrad.hpp>

#include <string>
#include <vector>

using tapegrad::Tensor;
namespace autograd = tapegrad::autograd;

TEST_CASE("register_post_accumulate_grad_hook: runs once per backward, after all of the leaf's gradients are summed") {
  Tensor<double> x = tapegrad::tensor<double>({1.0, 2.0}).requires_grad_();
  std::vector<std::vector<double>> seen;
  auto h = autograd::register_post_accumulate_grad_hook<double>(
      x, [&](const Tensor<double>& t) { seen.push_back(t.grad().to_vector()); });
  // x is used three times: d/dx (x * x + x) = 2x + 1
  (x * x + x).sum().backward();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == std::vector<double>{3.0, 5.0});
  // a second backward accumulates into grad(), and the hook sees the sum
  (x * 2.0).sum().backward();
  REQUIRE(seen.size() == 2);
  CHECK(seen[1] == std::vector<double>{5.0, 7.0});
  h.remove();
  (x * 2.0).sum().backward();
  CHECK(seen.size() == 2);
}

TEST_CASE("register_post_accumulate_grad_hook: a later layer's leaf is ready before an earlier one's") {
  Tensor<float> w1 = tapegrad::ones<float>({3, 3}).requires_grad_();
  Tensor<float> w2 = tapegrad::ones<float>({3, 3}).requires_grad_();
  Tensor<float> unused = tapegrad::ones<float>({3}).requires_grad_();
  std::vector<std::string> order;
  auto h1 = autograd::register_post_accumulate_grad_hook<float>(w1, [&](const Tensor<float>&) { order.push_back("w1"); });
  auto h2 = autograd::register_post_accumulate_grad_hook<float>(w2, [&](const Tensor<float>&) { order.push_back("w2"); });
  auto h3 = autograd::register_post_accumulate_grad_hook<float>(
      unused, [&](const Tensor<float>&) { order.push_back("unused"); });
  Tensor<float> x = tapegrad::ones<float>({2, 3});
  // w2 is used after w1 in forward: its gradient is final first, while w1's
  // still needs the backward of the first matmul
  tapegrad::matmul(tapegrad::matmul(x, w1).relu(), w2).sum().backward();
  CHECK(order == std::vector<std::string>{"w2", "w1"});
}

TEST_CASE("register_post_accumulate_grad_hook: hooks run in registration order and may remove themselves") {
  Tensor<float> x = tapegrad::ones<float>({2}).requires_grad_();
  std::vector<int> calls;
  autograd::HookHandle<float> first;
  first = autograd::register_post_accumulate_grad_hook<float>(x, [&](const Tensor<float>&) {
    calls.push_back(1);
    first.remove();
  });
  auto second = autograd::register_post_accumulate_grad_hook<float>(x, [&](const Tensor<float>&) { calls.push_back(2); });
  x.sum().backward();
  x.sum().backward();
  CHECK(calls == std::vector<int>{1, 2, 2});
}

TEST_CASE("register_post_accumulate_grad_hook: refuses non-leaf tensors and tensors that do not require grad") {
  Tensor<float> x = tapegrad::ones<float>({2}).requires_grad_();
  CHECK_THROWS_WITH_AS(autograd::register_post_accumulate_grad_hook<float>(x * 2.0f, [](const Tensor<float>&) {}),
                       "register_post_accumulate_grad_hook: post accumulate grad hooks cannot be registered on "
                       "non-leaf tensors",
                       tapegrad::ValueError);
  CHECK_THROWS_WITH_AS(
      autograd::register_post_accumulate_grad_hook<float>(tapegrad::ones<float>({2}), [](const Tensor<float>&) {}),
      "register_post_accumulate_grad_hook: cannot register a hook on a tensor that doesn't require gradient",
      tapegrad::ValueError);
}

TEST_CASE("register_post_accumulate_grad_hook: a backward that fails before the leaf's sink runs calls no hook") {
  Tensor<double> x = tapegrad::tensor<double>({1.0, -1.0}).requires_grad_();
  Tensor<double> x2 = tapegrad::tensor<double>({2.0, 3.0}).requires_grad_();
  Tensor<double> c = tapegrad::tensor<double>({4.0, 5.0});
  int calls = 0;
  auto h = autograd::register_post_accumulate_grad_hook<double>(x2, [&](const Tensor<double>&) { ++calls; });
  Tensor<double> d = x2 * 1.0;  // x2's sink is made here, before the failing record
  Tensor<double> t = x * c;     // saves c
  Tensor<double> out = (x2 * t + d).sum();
  c.add_(1.0);
  // x2 * t hands x2 a gradient; then x * c's backward finds c modified
  CHECK_THROWS_AS(out.backward(), tapegrad::ValueError);
  CHECK(calls == 0);
  (x2 * 2.0).sum().backward();
  CHECK(calls == 1);
}
