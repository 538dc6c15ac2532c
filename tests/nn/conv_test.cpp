// The convolutional layers of nn/conv.hpp: PyTorch's printed form and
// state_dict names, default initialisation, padding modes, BatchNorm's
// running statistics over training steps then eval, Dropout2d, and a LeNet
// saved by PyTorch that loads and gives PyTorch's logits
// (tests/reference/conv.txt and lenet.safetensors, tools/gen_ref_conv.py).
#include "support/conv_ref.hpp"

#include <tapegrad/io.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <unistd.h>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
using tg::Tensor;
using conv_test::leaf;
using conv_test::load;

std::string names_of(const nn::Module<float>& m) {
  std::string out;
  for (const auto& [n, t] : m.named_parameters()) out += (out.empty() ? "" : "\n") + n;
  for (const auto& [n, t] : m.named_buffers()) out += (out.empty() ? "" : "\n") + n;
  return out;
}

// LeNet-5 as tools/gen_ref_conv.py's (with a BatchNorm2d after conv1).
struct LeNet : nn::Module<float> {
  std::shared_ptr<nn::Conv2d<float>> conv1, conv2;
  std::shared_ptr<nn::BatchNorm2d<float>> bn1;
  std::shared_ptr<nn::Linear<float>> fc1, fc2, fc3;
  LeNet() {
    conv1 = register_module("conv1", std::make_shared<nn::Conv2d<float>>(1, 6, 5, 1, 2));
    bn1 = register_module("bn1", std::make_shared<nn::BatchNorm2d<float>>(6));
    conv2 = register_module("conv2", std::make_shared<nn::Conv2d<float>>(6, 16, 5));
    fc1 = register_module("fc1", std::make_shared<nn::Linear<float>>(400, 120));
    fc2 = register_module("fc2", std::make_shared<nn::Linear<float>>(120, 84));
    fc3 = register_module("fc3", std::make_shared<nn::Linear<float>>(84, 10));
  }
  Tensor<float> forward(const Tensor<float>& x) override {
    auto h = tg::F::max_pool2d(tg::relu((*bn1)((*conv1)(x))), 2);
    h = tg::F::max_pool2d(tg::relu((*conv2)(h)), 2).flatten(1);
    return (*fc3)(tg::relu((*fc2)(tg::relu((*fc1)(h)))));
  }
  std::string name() const override { return "LeNet"; }
};

}  // namespace

TEST_CASE("Conv2d, pooling, BatchNorm, GroupNorm, InstanceNorm2d, Dropout2d: printed as PyTorch prints them") {
  auto check = [](const nn::Module<float>& m, const std::string& name) {
    CHECK(m.repr() == conv_test::rec("repr." + name).text);
  };
  check(nn::Conv2d<float>(1, 6, 5, 1, 2), "conv2d");
  check(nn::Conv2d<float>(4, 8, {3, 5}, {2, 1}, {4, 2}, {3, 1}, 2, false, "reflect"), "conv2d_full");
  check(nn::Conv2d<float>(3, 3, 3, 1, "same", 1, 1, true, "circular"), "conv2d_same");
  check(nn::Conv2d<float>(16, 33, 3), "conv2d_plain");
  check(nn::Conv1d<float>(16, 33, 3, 2), "conv1d");
  check(nn::ConvTranspose2d<float>(16, 33, {3, 5}, {2, 1}, {4, 2}, {1, 0}), "conv_transpose2d");
  check(nn::MaxPool2d<float>(2), "maxpool2d");
  check(nn::MaxPool2d<float>({3, 2}, {2, 1}, 1, 2, false, true), "maxpool2d_full");
  check(nn::MaxUnpool2d<float>(2), "maxunpool2d");
  check(nn::AvgPool2d<float>(3, 2), "avgpool2d");
  check(nn::AvgPool2d<float>(3, 2, 1, true, false, 4), "avgpool2d_full");
  check(nn::AdaptiveAvgPool2d<float>({5, 7}), "adaptiveavg");
  check(nn::AdaptiveAvgPool2d<float>(1), "adaptiveavg1");
  check(nn::AdaptiveMaxPool2d<float>(3), "adaptivemax");
  check(nn::MaxPool1d<float>(3, 2), "maxpool1d");
  check(nn::AvgPool1d<float>(3), "avgpool1d");
  check(nn::BatchNorm2d<float>(6), "batchnorm2d");
  check(nn::BatchNorm1d<float>(10, 1e-3, std::nullopt, false, false), "batchnorm1d");
  check(nn::GroupNorm<float>(2, 6), "groupnorm");
  check(nn::InstanceNorm2d<float>(3), "instancenorm2d");
  check(nn::InstanceNorm2d<float>(3, 1e-5, 0.1, true, true), "instancenorm2d_full");
  check(nn::Dropout2d<float>(0.25), "dropout2d");
}

TEST_CASE("BatchNorm2d, BatchNorm1d, InstanceNorm2d, Conv2d, GroupNorm: state_dict names as PyTorch's") {
  CHECK(names_of(nn::BatchNorm2d<float>(6)) == conv_test::rec("state.batchnorm2d").text);
  CHECK(names_of(nn::BatchNorm1d<float>(10, 1e-3, std::nullopt, false, false)) ==
        conv_test::rec("state.batchnorm1d").text);
  CHECK(names_of(nn::InstanceNorm2d<float>(3, 1e-5, 0.1, true, true)) ==
        conv_test::rec("state.instancenorm2d_full").text);
  CHECK(names_of(nn::Conv2d<float>(4, 8, {3, 5}, {2, 1}, {4, 2}, {3, 1}, 2, false, "reflect")) ==
        conv_test::rec("state.conv2d_full").text);
  CHECK(names_of(nn::GroupNorm<float>(2, 6)) == conv_test::rec("state.groupnorm").text);
}

TEST_CASE("Conv2d: default init is PyTorch's kaiming_uniform(a = sqrt(5)) with fan_in = in / groups * kH * kW") {
  tg::manual_seed(7);
  for (int64_t groups : {1, 4}) {
    nn::Conv2d<float> conv(8, 16, {3, 2}, 1, 0, 1, groups);
    const double bound = 1 / std::sqrt(8.0 / static_cast<double>(groups) * 6);
    CHECK(conv.weight.sizes() == tg::Shape{16, 8 / groups, 3, 2});
    for (const auto* t : {&conv.weight, &conv.bias}) {
      const auto v = t->to_vector();
      double lo = 0, hi = 0;
      for (float e : v) lo = std::min<double>(lo, e), hi = std::max<double>(hi, e);
      CHECK(hi <= bound);
      CHECK(lo >= -bound);
      // the draws reach the bound's neighbourhood on both sides: the bound is not smaller
      CHECK(hi > 0.8 * bound);
      CHECK(lo < -0.8 * bound);
    }
  }
}

TEST_CASE_TEMPLATE("Conv2d: padding_mode reflect, replicate, circular and 'same' match PyTorch", T, float, double) {
  struct Case {
    const char* mode;
    std::function<nn::Conv2d<T>()> make;
  };
  const std::vector<Case> cases{
      {"reflect", [] { return nn::Conv2d<T>(2, 3, 3, 1, {1, 2}, 1, 1, true, "reflect"); }},
      {"replicate", [] { return nn::Conv2d<T>(2, 3, 3, 1, {1, 2}, 1, 1, true, "replicate"); }},
      {"circular", [] { return nn::Conv2d<T>(2, 3, 3, 1, {1, 2}, 1, 1, true, "circular"); }},
      {"same_circular", [] { return nn::Conv2d<T>(2, 3, {2, 3}, 1, "same", {2, 1}, 1, true, "circular"); }},
  };
  for (const auto& c : cases) {
    const std::string base = std::string("conv2d_mode.") + c.mode;
    CAPTURE(base);
    auto conv = c.make();
    {
      tg::NoGradGuard no_grad;
      conv.weight.copy_(load<T>(base + ".w"));
      conv.bias.copy_(load<T>(base + ".b"));
    }
    auto x = leaf<T>(base + ".x");
    auto y = conv(x);
    CONV_CHECK_REF(y, base + ".out");
    y.backward(load<T>(base + ".gout"));
    CONV_CHECK_REF(x.grad(), base + ".gx");
    CONV_CHECK_REF(conv.weight.grad(), base + ".gw");
    CONV_CHECK_REF(conv.bias.grad(), base + ".gb");
  }
}

TEST_CASE("Conv2d, Conv1d: padding_mode on an unbatched input gives the batched result's sample") {
  // PyTorch 1.13's circular F::pad takes only batched input; the layers pad a batch of one
  for (const char* mode : {"reflect", "replicate", "circular"}) {
    CAPTURE(mode);
    nn::Conv2d<double> conv(2, 3, 3, 1, {1, 2}, 1, 1, true, mode);
    const auto x = tg::randn<double>({1, 2, 4, 5});
    CHECK(tg::allclose(conv(x.select(0, 0)), conv(x).select(0, 0)));
    nn::Conv1d<double> conv1(2, 3, 3, 1, 2, 1, 1, true, mode);
    const auto x1 = tg::randn<double>({1, 2, 5});
    CHECK(tg::allclose(conv1(x1.select(0, 0)), conv1(x1).select(0, 0)));
  }
}

TEST_CASE("BatchNorm2d: running statistics over three training steps, then eval, match PyTorch (momentum 0.1 and None)") {
  for (const char* tag : {"m01", "none"}) {
    CAPTURE(tag);
    const std::string base = std::string("bn_steps.") + tag;
    nn::BatchNorm2d<double> bn(3, 1e-5, std::string(tag) == "none" ? std::optional<double>() : 0.1);
    for (int k = 0; k < 3; ++k) {
      const std::string step = base + ".step" + std::to_string(k);
      CONV_CHECK_REF(bn(load<double>("bn_steps.x" + std::to_string(k))), step + ".out");
      CONV_CHECK_REF(bn.running_mean, step + ".rm");
      CONV_CHECK_REF(bn.running_var, step + ".rv");
      CHECK(bn.num_batches_tracked.item() == conv_test::rec(step + ".nbt").ints[0]);
    }
    bn.eval();
    const auto rm = bn.running_mean.to_vector();
    CONV_CHECK_REF(bn(load<double>("bn_steps.x3")), base + ".eval.out");
    CHECK(bn.running_mean.to_vector() == rm);  // eval leaves the statistics alone
    CHECK(bn.num_batches_tracked.item() == 3);
  }
}

TEST_CASE("BatchNorm2d: without track_running_stats it uses the batch's statistics in eval too") {
  tg::manual_seed(8);
  nn::BatchNorm2d<double> bn(2, 1e-5, 0.1, false, false);
  bn.eval();
  auto x = tg::randn<double>({4, 2, 3, 3});
  auto y = bn(x);
  const auto m = y.mean(tg::Shape{0, 2, 3}).to_vector();
  CHECK(std::abs(m[0]) < 1e-12);
  CHECK(std::abs(m[1]) < 1e-12);
  CHECK(bn.buffers().empty());
  CHECK(bn.parameters().empty());
}

TEST_CASE("Conv2d, BatchNorm2d, InstanceNorm2d: reject inputs of the wrong rank or channel count, naming the shapes") {
  nn::Conv2d<float> conv(1, 6, 5);
  CHECK_THROWS_WITH_AS(conv(tg::zeros<float>({8, 3, 32, 32})),
                       "Conv2d: expected input[8, 3, 32, 32] to have 1 channel, got 3", tg::ShapeError);
  CHECK_THROWS_WITH_AS(conv(tg::zeros<float>({32, 32})),
                       "Conv2d: expected a 3-D (unbatched) or 4-D (batched) input, got input[32, 32]", tg::ShapeError);
  CHECK_THROWS_WITH_AS(nn::Conv2d<float>(3, 6, 3, 1, 0, 1, 2),
                       "Conv2d: in_channels must be divisible by groups, got 3 and groups 2", tg::ValueError);
  CHECK_THROWS_WITH_AS(nn::Conv2d<float>(3, 6, 3, 1, 0, 1, 1, true, "mirror"),
                       "Conv2d: padding_mode must be one of ['zeros', 'reflect', 'replicate', 'circular'], but got "
                       "padding_mode='mirror'",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(nn::Conv2d<float>(3, 6, 3, 2, "same"),
                       "Conv2d: padding='same' is not supported for strided convolutions", tg::ValueError);
  nn::BatchNorm2d<float> bn(6);
  CHECK_THROWS_WITH_AS(bn(tg::zeros<float>({2, 3, 4, 4})), "BatchNorm2d: expected input[2, 3, 4, 4] to have 6 channels, got 3",
                       tg::ShapeError);
  CHECK_THROWS_WITH_AS(bn(tg::zeros<float>({2, 6})), "BatchNorm2d: expected a 4-D input, got input[2, 6]", tg::ShapeError);
  nn::MaxUnpool2d<float> unpool(2);
  CHECK_THROWS_AS(unpool(tg::zeros<float>({1, 1, 2, 2})), tg::ValueError);
}

TEST_CASE("Dropout2d: zeroes whole channels with probability p and scales the rest; identity in eval") {
  tg::manual_seed(9);
  nn::Dropout2d<float> drop(0.5);
  auto x = tg::ones<float>({64, 16, 3, 3});
  auto y = drop(x).contiguous();
  const auto v = y.to_vector();
  int64_t dropped = 0;
  for (int64_t ch = 0; ch < 64 * 16; ++ch) {
    const float first = v[static_cast<size_t>(ch * 9)];
    CHECK((first == 0.0f || first == 2.0f));
    for (int64_t i = 1; i < 9; ++i) CHECK(v[static_cast<size_t>(ch * 9 + i)] == first);  // whole channel
    dropped += first == 0.0f;
  }
  CHECK(dropped > 400);  // ~512 of 1024 (binomial sd 16)
  CHECK(dropped < 624);
  drop.eval();
  CHECK(drop(x).is_same(x));
}

TEST_CASE("Sequential of Conv2d, ReLU, MaxPool2d, GroupNorm, InstanceNorm2d, AvgPool2d, Flatten: trains one step") {
  tg::manual_seed(10);
  nn::Sequential<float> net(nn::Conv2d<float>(1, 4, 3, 1, 1), nn::GroupNorm<float>(2, 4), nn::ReLU<float>(),
                            nn::MaxPool2d<float>(2), nn::InstanceNorm2d<float>(4, 1e-5, 0.1, true),
                            nn::AvgPool2d<float>(2), nn::Flatten<float>(), nn::Linear<float>(16, 3));
  auto x = tg::randn<float>({5, 1, 8, 8});
  auto target = tg::tensor<int64_t>({0, 1, 2, 1, 0});
  auto loss = tg::F::cross_entropy(net(x), target);
  loss.backward();
  for (const auto& named : net.named_parameters()) {
    const std::string& n = named.first;  // not a structured binding: CAPTURE's lambda takes it (clang)
    const auto& p = named.second;
    CAPTURE(n);
    REQUIRE(p.grad().defined());
    CHECK(p.grad().abs().sum().item() > 0);
  }
}

TEST_CASE("LeNet saved by PyTorch (safetensors): loads by PyTorch's names and gives PyTorch's logits") {
  LeNet net;
  // the same names; the order differs (tapegrad lists all parameters, then all buffers)
  auto sorted_lines = [](const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  CHECK(sorted_lines(names_of(net)) == sorted_lines(conv_test::rec("lenet.names").text));
  nn::load(net, std::string(TAPEGRAD_REFERENCE_DIR) + "/lenet.safetensors");
  net.eval();
  CONV_CHECK_REF(net(load<float>("lenet.x")), "lenet.logits");
  // and back: a save/load round trip keeps every parameter and buffer
  const auto path = std::filesystem::temp_directory_path() / ("tapegrad_lenet_" + std::to_string(::getpid()));
  nn::save(net, path.string());
  LeNet again;
  nn::load(again, path.string());
  std::filesystem::remove(path);
  again.eval();
  CONV_CHECK_REF(again(load<float>("lenet.x")), "lenet.logits");
  CHECK(again.bn1->num_batches_tracked.item() == net.bn1->num_batches_tracked.item());
  CHECK(again.bn1->running_var.to_vector() == net.bn1->running_var.to_vector());
}

TEST_CASE("Conv1d, Conv2d, ConvTranspose2d: an explicit generator gives the weights manual_seed gives the default one") {
  auto params = [](const nn::Module<float>& m) {
    std::vector<float> out;
    for (const auto& [n, t] : m.named_parameters()) {
      const auto v = t.to_vector();
      out.insert(out.end(), v.begin(), v.end());
    }
    return out;
  };
  // Each layer built twice, from the default generator after manual_seed(11)
  // and from an explicit Generator(11); the default generator must be left
  // where it was by the explicit one.
  auto check = [&](const char* what, auto make) {
    CAPTURE(what);
    tg::manual_seed(11);
    const float first_default = tg::rand<float>({1}).item();
    tg::manual_seed(11);
    const auto seeded = params(*make(tg::default_generator()));
    tg::manual_seed(11);
    tg::Generator g(11);
    const auto explicit_gen = params(*make(g));
    CHECK(explicit_gen == seeded);
    CHECK(tg::rand<float>({1}).item() == first_default);  // the default one drew nothing for make(g)
    tg::Generator other(12);
    CHECK(params(*make(other)) != seeded);
    // reset_parameters(gen) draws the same again from a fresh Generator(11)
    auto m = make(other);
    tg::Generator again(11);
    m->reset_parameters(again);
    CHECK(params(*m) == seeded);
  };
  check("Conv1d", [](tg::Generator& g) {
    return std::make_shared<nn::Conv1d<float>>(3, 4, 5, 1, 0, 1, 1, true, "zeros", g);
  });
  check("Conv2d", [](tg::Generator& g) {
    return std::make_shared<nn::Conv2d<float>>(4, 6, 3, 1, 0, 1, 2, true, "zeros", g);
  });
  check("ConvTranspose2d", [](tg::Generator& g) {
    return std::make_shared<nn::ConvTranspose2d<float>>(2, 3, 3, 2, 1, 1, 1, true, 1, "zeros", g);
  });
}

namespace {
// A module written as the README's "Writing a module" shows, with the
// convolution layers as members that start as empty handles.
struct ConvHandles : nn::Module<float> {
  nn::Conv2d<> conv{nullptr};
  nn::Conv1d<> conv1d{nullptr};
  nn::ConvTranspose2d<> deconv{nullptr};
  bool were_empty = false;
  ConvHandles() {
    were_empty = conv.is_empty() && conv1d.is_empty() && deconv.is_empty();
    conv = register_module("conv", nn::Conv2d(1, 2, 3));
    conv1d = register_module("conv1d", nn::Conv1d(2, 2, 1));
    deconv = register_module("deconv", nn::ConvTranspose2d(2, 1, 2));
  }
};
}  // namespace

TEST_CASE("Conv2d, Conv1d, ConvTranspose2d: an empty handle member takes the registered layer and shares its parameters") {
  tg::manual_seed(3);
  ConvHandles net;
  CHECK(net.were_empty);
  CHECK_FALSE(net.conv.is_empty());
  CHECK(names_of(net) == "conv.weight\nconv.bias\nconv1d.weight\nconv1d.bias\ndeconv.weight\ndeconv.bias");
  tg::manual_seed(3);
  nn::Conv2d<float> direct(1, 2, 3);  // the same draws: the first layer made after the seed
  CHECK(tg::equal(net.conv.weight, direct.weight));
  // the member is the registered child: its parameters are the module's
  const auto params = net.named_parameters();
  CHECK(params[0].second.data_ptr() == net.conv.weight.data_ptr());
  CHECK(params[5].second.data_ptr() == net.deconv.bias.data_ptr());
  const auto x = tg::randn<float>({1, 1, 5, 5});
  CHECK(tg::equal(net.conv(x), direct(x)));
}
