// The second main job: train a convolutional network on MNIST or Fashion-MNIST.
//
//   mnist_cnn                              LeNet-5 (ReLU, max pooling), Adam
//   mnist_cnn --preset pytorch-example     PyTorch's examples/mnist network
//   mnist_cnn --dataset fashion --epochs 3 --plot curve.svg --metrics-json m.json
//   mnist_cnn --help
//
// Data comes from tools/fetch-data.sh (data/mnist, data/fashion-mnist).
// bench/compare_pytorch_cnn.sh runs the same recipes in PyTorch.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
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
                   Linear(84, 10); Adam lr 0.001, batch 64, 10 epochs
  pytorch-example  PyTorch's examples/mnist network: Conv2d(1, 32, 3) -> ReLU
                   -> Conv2d(32, 64, 3) -> ReLU -> MaxPool2d(2) -> Dropout(0.25)
                   -> Flatten -> Linear(9216, 128) -> ReLU -> Dropout(0.5) ->
                   Linear(128, 10); Adadelta lr 1.0, batch 64, 14 epochs,
                   StepLR(1, gamma 0.7), as PyTorch's example

Options:
  --preset NAME          lenet5 | pytorch-example
  --dataset NAME         mnist | fashion (default mnist)
  --data DIR             directory with the four IDX files
                         (default data/mnist or data/fashion-mnist)
  --epochs N             training epochs
  --batch-size N         mini-batch size
  --lr X                 learning rate
  --momentum X           SGD momentum
  --optimizer NAME       sgd | adam | adamw | rmsprop | adagrad | adadelta |
                         nadam | radam
  --schedule NAME        none | step (StepLR, step 1, gamma --gamma)
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
    c.optimizer = "adam", c.lr = 1e-3, c.batch_size = 64, c.epochs = 10, c.schedule = "none";
  } else if (c.preset == "pytorch-example") {
    c.optimizer = "adadelta", c.lr = 1.0, c.batch_size = 64, c.epochs = 14, c.schedule = "step", c.gamma = 0.7;
  } else {
    throw std::invalid_argument("unknown preset '" + c.preset + "' (lenet5 or pytorch-example)");
  }
}

Config parse_args(int argc, char** argv) {
  return parse_flags<Config>(argc, argv, "lenet5", apply_preset, {"none", "step"},
                             [](Config& c, const std::string& f, const std::string& v) {
                               if (f != "--gamma") return false;
                               c.gamma = parse_double(f, v, 0, 1);
                               return true;
                             });
}

// The presets' networks as one nn.Sequential with PyTorch's default init, so
// that --save writes the names (0.weight, 3.bias, ...) of the same
// nn.Sequential in PyTorch (bench/mnist_cnn_pytorch.py).
std::shared_ptr<nn::Sequential<float>> build_model(const Config& c) {
  using std::make_shared;
  auto net = make_shared<nn::Sequential<float>>();
  auto add = [&](std::shared_ptr<nn::Module<float>> m) { net->push_back(std::move(m)); };
  if (c.preset == "lenet5") {
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
  } else {
    add(make_shared<nn::Conv2d<float>>(1, 32, 3));
    add(make_shared<nn::ReLU<float>>());
    add(make_shared<nn::Conv2d<float>>(32, 64, 3));
    add(make_shared<nn::ReLU<float>>());
    add(make_shared<nn::MaxPool2d<float>>(2));
    add(make_shared<nn::Dropout<float>>(0.25));
    add(make_shared<nn::Flatten<float>>());
    add(make_shared<nn::Linear<float>>(9216, 128));
    add(make_shared<nn::ReLU<float>>());
    add(make_shared<nn::Dropout<float>>(0.5));
    add(make_shared<nn::Linear<float>>(128, 10));
  }
  return net;
}

}  // namespace

int main(int argc, char** argv) {
  return run_example<Config>(
      "mnist_cnn", kUsage, argc, argv, parse_args, tg::data::MNIST::Layout::nchw, build_model,
      [](const Config& c, optim::Optimizer<float>& opt) -> std::unique_ptr<optim::LRScheduler<float>> {
        if (c.schedule == "step") return std::make_unique<optim::StepLR<float>>(opt, 1, c.gamma);
        return nullptr;
      });
}
