// Parity with PyTorch on a whole model: Sequential(Linear(6,5), ReLU,
// Linear(5,3)) with fixed weights, CrossEntropyLoss, backward; the logits,
// the loss and every parameter's gradient (tests/reference/nn.txt, mlp.*).
#include "nn/nn_ref.hpp"

#include <string>

namespace {

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
using nn_test::load;
using nn_test::tag;

template <class T>
nn::Sequential<T> mlp_with_reference_weights() {
  auto net = nn::Sequential<T>(nn::Linear<T>(6, 5), nn::ReLU<T>(), nn::Linear<T>(5, 3));
  tg::NoGradGuard no_grad;
  net[0].template as<nn::Linear<T>>()->weight.copy_(load<T>("mlp.w1"));
  net[0].template as<nn::Linear<T>>()->bias.copy_(load<T>("mlp.b1"));
  net[2].template as<nn::Linear<T>>()->weight.copy_(load<T>("mlp.w2"));
  net[2].template as<nn::Linear<T>>()->bias.copy_(load<T>("mlp.b2"));
  return net;
}

}  // namespace

TEST_CASE_TEMPLATE("Sequential(Linear, ReLU, Linear): logits, loss and all gradients match PyTorch", T, float,
                   double) {
  auto net = mlp_with_reference_weights<T>();
  const std::string base = "mlp." + tag<T>();
  auto logits = net(load<T>("mlp.x"));
  auto loss = nn::CrossEntropyLoss<T>()(logits, nn_test::load_index("mlp.target"));
  loss.backward();
  NN_CHECK_REF(logits, base + ".logits");
  NN_CHECK_REF(loss, base + ".loss");
  const auto params = net.named_parameters();
  REQUIRE(params.size() == 4);
  for (const auto& np : params) {
    const std::string& name = np.first;
    const auto& p = np.second;
    CAPTURE(name);
    NN_CHECK_REF(p.grad(), base + ".grad." + name);  // names "0.weight" ... as PyTorch's
  }
}

TEST_CASE_TEMPLATE("Sequential(Linear, ReLU, Linear): a second backward accumulates, zero_grad resets", T, float,
                   double) {
  auto net = mlp_with_reference_weights<T>();
  const std::string base = "mlp." + tag<T>();
  auto x = load<T>("mlp.x");
  auto target = nn_test::load_index("mlp.target");
  nn::CrossEntropyLoss<T> loss_fn;
  loss_fn(net(x), target).backward();
  loss_fn(net(x), target).backward();
  for (const auto& np : net.named_parameters()) {
    const std::string& name = np.first;
    const auto& p = np.second;
    CAPTURE(name);
    NN_CHECK_REF(p.grad() / T(2), base + ".grad." + name);
  }
  net.zero_grad();
  loss_fn(net(x), target).backward();
  for (const auto& np : net.named_parameters()) NN_CHECK_REF(np.second.grad(), base + ".grad." + np.first);
}

TEST_CASE("Sequential(Linear, ReLU, Linear): the same model in float and double agree after to<double>()") {
  auto net = mlp_with_reference_weights<float>();
  auto d = net.to<double>();
  auto logits = (*d)(load<double>("mlp.x"));
  NN_CHECK_REF(logits, "mlp.f64.logits");  // the weights are exact in float, so this is the float64 answer
}
