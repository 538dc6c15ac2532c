// The second main job: train a convolutional network on MNIST or Fashion-MNIST.
//
//   mnist_cnn                              LeNet-5 (ReLU, max pooling), Adam, cosine lr
//   mnist_cnn --preset pytorch-example     PyTorch's examples/mnist network
//   mnist_cnn --preset best                a small VGG-style network with BatchNorm
//   mnist_cnn --dataset fashion --epochs 3 --plot curve.svg --metrics-json m.json
//   mnist_cnn --help
//
// Data comes from tools/fetch-data.sh (data/mnist, data/fashion-mnist).
// bench/compare_pytorch_cnn.sh runs the same recipes in PyTorch.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <tapegrad/data.hpp>
#include <tapegrad/io.hpp>
#include <tapegrad/tapegrad.hpp>

#include "mnist_common.hpp"

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
namespace optim = tapegrad::optim;
using namespace mnist_example;

namespace {

const char* kUsage = R"(Usage: mnist_cnn [options]

Trains a convolutional network on MNIST or Fashion-MNIST and reports its test
accuracy after every epoch.

Presets (each value can be overridden by the flags below):
  lenet5           (default) LeNet-5 with ReLU and max pooling:
                   Conv2d(1, 6, 5, padding=2) -> ReLU -> MaxPool2d(2) ->
                   Conv2d(6, 16, 5) -> ReLU -> MaxPool2d(2) -> Flatten ->
                   Linear(400, 120) -> ReLU -> Linear(120, 84) -> ReLU ->
                   Linear(84, 10); Adam lr 0.002, batch 64, 10 epochs,
                   cosine schedule (CosineAnnealingLR, T_max = the epochs)
  pytorch-example  PyTorch's examples/mnist class Net: Conv2d(1, 32, 3) -> ReLU
                   -> Conv2d(32, 64, 3) -> ReLU -> MaxPool2d(2) -> Dropout(0.25)
                   -> Flatten -> Linear(9216, 128) -> ReLU -> Dropout(0.5) ->
                   Linear(128, 10) -> LogSoftmax, nll_loss; Adadelta lr 1.0,
                   batch 64, 14 epochs, StepLR(1, gamma 0.7), as PyTorch's example
  best             a small VGG-style network: two blocks of [Conv2d(3x3,
                   padding=1) -> BatchNorm2d -> ReLU] x 2 -> MaxPool2d(2) ->
                   Dropout(0.25), 32 then 64 channels, -> Flatten ->
                   Linear(3136, 128) -> ReLU -> Dropout(0.5) -> Linear(128, 10);
                   AdamW lr 0.001, weight decay 0.01, batch 128, 15 epochs,
                   cosine schedule (CosineAnnealingLR, T_max = the epochs)

Options:
  --preset NAME          lenet5 | pytorch-example | best
  --dataset NAME         mnist | fashion (default mnist)
  --data DIR             directory with the four IDX files
                         (default data/mnist or data/fashion-mnist)
  --epochs N             training epochs
  --batch-size N         mini-batch size
  --lr X                 learning rate
  --momentum X           SGD momentum
  --optimizer NAME       sgd | adam | adamw | rmsprop | adagrad | adadelta |
                         nadam | radam
  --schedule NAME        none | step (StepLR, step 1, gamma --gamma) |
                         cosine (CosineAnnealingLR, T_max = --epochs)
  --gamma X              StepLR's factor per epoch (default 0.7)
  --seed N               random seed (default 42)
  --threads N            threads for the kernels (default: all cores)
  --save FILE            save the trained model (safetensors, PyTorch's names,
                         with the dataset and preset as metadata)
  --load FILE            evaluate a saved model only (no training; warns when
                         the file was trained with another dataset or preset)
  --plot FILE            write an SVG of loss and accuracy per epoch
  --metrics-json FILE    write per-epoch metrics as JSON
  --distributed          data-parallel over the ranks of mpirun (--batch-size per rank)
  --help                 this text
Flags take their value as `--flag value` or `--flag=value`.
)";

struct Config : CommonConfig {
  double gamma = 0.7;
};

void apply_preset(Config& c) {
  if (c.preset == "lenet5") {
    c.optimizer = "adam", c.lr = 2e-3, c.batch_size = 64, c.epochs = 10, c.schedule = "cosine";
  } else if (c.preset == "pytorch-example") {
    c.optimizer = "adadelta", c.lr = 1.0, c.batch_size = 64, c.epochs = 14, c.schedule = "step", c.gamma = 0.7;
    c.log_probs = true;  // Net ends in log_softmax and trains with nll_loss, as PyTorch's example
  } else if (c.preset == "best") {
    c.optimizer = "adamw", c.lr = 1e-3, c.weight_decay = 1e-2, c.batch_size = 128, c.epochs = 15;
    c.schedule = "cosine";
  } else {
    throw std::invalid_argument("unknown preset '" + c.preset + "' (lenet5, pytorch-example or best)");
  }
}

Config parse_args(int argc, char** argv) {
  return parse_flags<Config>(argc, argv, "lenet5", apply_preset, {"none", "step", "cosine"},
                             [](Config& c, const std::string& f, const std::string& v) {
                               if (f != "--gamma") return false;
                               c.gamma = parse_double(f, v, 0, 1);
                               return true;
                             });
}

// PyTorch's examples/mnist `class Net(nn.Module)` written as a C++ struct:
// the same members, created in the order of its __init__ (so manual_seed
// gives PyTorch's initial weights), hence its state_dict names (conv1.weight,
// ..., fc2.bias), and its forward, which ends in log_softmax (the example
// trains it with nll_loss).
struct Net : nn::Module<float> {
  nn::Conv2d<> conv1{nullptr}, conv2{nullptr};
  nn::Dropout<> dropout1{nullptr}, dropout2{nullptr};
  nn::Linear<> fc1{nullptr}, fc2{nullptr};

  Net() {
    conv1 = register_module("conv1", nn::Conv2d(1, 32, 3, 1));
    conv2 = register_module("conv2", nn::Conv2d(32, 64, 3, 1));
    dropout1 = register_module("dropout1", nn::Dropout(0.25));
    dropout2 = register_module("dropout2", nn::Dropout(0.5));
    fc1 = register_module("fc1", nn::Linear(9216, 128));
    fc2 = register_module("fc2", nn::Linear(128, 10));
  }
  tg::Tensor<float> forward(const tg::Tensor<float>& input) override {
    auto x = tg::F::relu(conv1(input));
    x = tg::F::relu(conv2(x));
    x = tg::F::max_pool2d(x, 2);
    x = dropout1(x);
    x = x.flatten(1);
    x = tg::F::relu(fc1(x));
    x = dropout2(x);
    x = fc2(x);
    return tg::F::log_softmax(x, 1);
  }
};

// lenet5 and best are each one nn.Sequential with PyTorch's default init, so
// that --save writes the names (0.weight, 3.bias, ...) of the same
// nn.Sequential in PyTorch (bench/compare_pytorch_cnn.py); pytorch-example is Net.
std::shared_ptr<nn::Module<float>> build_model(const Config& c) {
  if (c.preset == "pytorch-example") return std::make_shared<Net>();
  using std::make_shared;
  auto net = make_shared<nn::Sequential<float>>();
  auto add = [&](std::shared_ptr<nn::Module<float>> m) { net->push_back(std::move(m)); };
  if (c.preset == "best") {
    // 3x3 convolutions with padding 1 keep the size; each block halves it (28 -> 14 -> 7)
    auto conv_bn_relu = [&](int64_t in, int64_t out) {
      add(make_shared<nn::Conv2d<float>>(in, out, 3, 1, 1));
      add(make_shared<nn::BatchNorm2d<float>>(out));
      add(make_shared<nn::ReLU<float>>());
    };
    for (auto [in, out] : {std::pair<int64_t, int64_t>{1, 32}, {32, 64}}) {
      conv_bn_relu(in, out);
      conv_bn_relu(out, out);
      add(make_shared<nn::MaxPool2d<float>>(2));
      add(make_shared<nn::Dropout<float>>(0.25));
    }
    add(make_shared<nn::Flatten<float>>());
    add(make_shared<nn::Linear<float>>(64 * 7 * 7, 128));
    add(make_shared<nn::ReLU<float>>());
    add(make_shared<nn::Dropout<float>>(0.5));
    add(make_shared<nn::Linear<float>>(128, 10));
    return net;
  }
  add(make_shared<nn::Conv2d<float>>(1, 6, 5, 1, 2));
  add(make_shared<nn::ReLU<float>>());
  add(make_shared<nn::MaxPool2d<float>>(2));
  add(make_shared<nn::Conv2d<float>>(6, 16, 5));
  add(make_shared<nn::ReLU<float>>());
  add(make_shared<nn::MaxPool2d<float>>(2));
  add(make_shared<nn::Flatten<float>>());
  add(make_shared<nn::Linear<float>>(16 * 5 * 5, 120));
  add(make_shared<nn::ReLU<float>>());
  add(make_shared<nn::Linear<float>>(120, 84));
  add(make_shared<nn::ReLU<float>>());
  add(make_shared<nn::Linear<float>>(84, 10));
  return net;
}

}  // namespace

int main(int argc, char** argv) {
  return run_example<Config>(
      "mnist_cnn", kUsage, argc, argv, parse_args, tg::data::MNIST::Layout::nchw, build_model,
      [](const Config& c, optim::Optimizer<float>& opt) -> std::unique_ptr<optim::LRScheduler<float>> {
        if (c.schedule == "step") return std::make_unique<optim::StepLR<float>>(opt, 1, c.gamma);
        // T_max = the epochs run (at least 1: --epochs 0 only evaluates), as mnist_mlp
        if (c.schedule == "cosine")
          return std::make_unique<optim::CosineAnnealingLR<float>>(opt, std::max<int64_t>(c.epochs, 1));
        return nullptr;
      });
}
