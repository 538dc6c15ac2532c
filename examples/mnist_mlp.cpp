// The main job: train the tutorials' MLP on MNIST or Fashion-MNIST.
//
//   mnist_mlp                          the d2l tutorial: 784-256-10, SGD lr 0.1
//   mnist_mlp --preset fc500           784-500-10, Adam lr 1e-3, batch 100
//   mnist_mlp --preset best            the best MLP we train here in minutes
//   mnist_mlp --dataset fashion --plot curve.svg --metrics-json m.json
//   mnist_mlp --help
//
// Data comes from tools/fetch-data.sh (data/mnist, data/fashion-mnist).
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "mnist_common.hpp"

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
namespace optim = tapegrad::optim;
using namespace mnist_example;

namespace {

const char* kUsage = R"(Usage: mnist_mlp [options]

Trains a multilayer perceptron on MNIST or Fashion-MNIST and reports its test
accuracy after every epoch.

Presets (each value can be overridden by the flags below):
  d2l    (default) Flatten -> Linear(784, 256) -> ReLU -> Linear(256, 10),
         weights N(0, 0.01), bias 0, SGD lr 0.1, batch 256, 10 epochs
  fc500  the tutorial's class NeuralNet: fc1 = Linear(784, 500) -> ReLU ->
         fc2 = Linear(500, 10), PyTorch's default init, Adam lr 0.001,
         batch 100, 5 epochs (with several --hidden widths or --dropout: the
         Sequential below instead)
  best   784 -> 1024 -> 1024 -> 10 with dropout 0.2, AdamW lr 0.001 with a
         cosine schedule, batch 128, 20 epochs

Options:
  --preset NAME          d2l | fc500 | best
  --dataset NAME         mnist | fashion (default mnist)
  --data DIR             directory with the four IDX files
                         (default data/mnist or data/fashion-mnist)
  --epochs N             training epochs
  --batch-size N         mini-batch size
  --lr X                 learning rate
  --momentum X           SGD momentum
  --optimizer NAME       sgd | adam | adamw | rmsprop | adagrad | adadelta |
                         nadam | radam
  --hidden LIST          hidden layer widths, e.g. 256 or 512,256
  --dropout P            dropout after each hidden ReLU (0 = none)
  --schedule NAME        none | cosine | step (learning-rate schedule)
  --init NAME            tutorial (N(0, 0.01), bias 0) | default (PyTorch's)
  --seed N               random seed (default 42)
  --threads N            threads for the matrix products (default: all cores)
  --save FILE            save the trained model (safetensors, with the dataset,
                         preset and hidden widths as metadata)
  --load FILE            evaluate a saved model only (no training; warns when
                         the file was trained with another dataset or preset)
  --plot FILE            write an SVG of loss and accuracy per epoch
  --metrics-json FILE    write per-epoch metrics as JSON
  --distributed          data-parallel over the ranks of mpirun (--batch-size per rank)
  --help                 this text
Flags take their value as `--flag value` or `--flag=value`.
)";

struct Config : CommonConfig {
  std::string init = "tutorial";
  double dropout = 0;
  std::vector<int64_t> hidden = {256};

  // The hidden widths go with the dataset and preset into a saved model's
  // metadata, so that --load can name them when the shapes do not fit.
  std::map<std::string, std::string> metadata() const {
    std::string widths;
    for (int64_t h : hidden) {
      if (!widths.empty()) widths += ',';
      widths += std::to_string(h);
    }
    auto m = CommonConfig::metadata();
    m["hidden"] = widths;
    return m;
  }
};

// Preset values first, then the flags on top of them.
void apply_preset(Config& c) {
  if (c.preset == "d2l") {
    c.hidden = {256}, c.optimizer = "sgd", c.lr = 0.1, c.batch_size = 256, c.epochs = 10, c.init = "tutorial";
  } else if (c.preset == "fc500") {
    c.hidden = {500}, c.optimizer = "adam", c.lr = 1e-3, c.batch_size = 100, c.epochs = 5, c.init = "default";
  } else if (c.preset == "best") {
    c.hidden = {1024, 1024}, c.optimizer = "adamw", c.lr = 1e-3, c.batch_size = 128, c.epochs = 20;
    c.init = "default", c.dropout = 0.2, c.schedule = "cosine", c.weight_decay = 1e-2;
  } else {
    throw std::invalid_argument("unknown preset '" + c.preset + "' (d2l, fc500 or best)");
  }
}

Config parse_args(int argc, char** argv) {
  return parse_flags<Config>(argc, argv, "d2l", apply_preset, {"none", "cosine", "step"},
                             [](Config& c, const std::string& f, const std::string& v) {
                               if (f == "--dropout") c.dropout = parse_double(f, v, 0, 0.99);
                               else if (f == "--init") c.init = one_of(f, v, {"tutorial", "default"});
                               else if (f == "--hidden") {
                                 c.hidden.clear();
                                 std::stringstream ss(v);
                                 for (std::string part; std::getline(ss, part, ',');)
                                   c.hidden.push_back(parse_int(f, part, 1));
                                 if (c.hidden.empty())
                                   throw std::invalid_argument("--hidden expects widths such as 256 or 512,256");
                               } else {
                                 return false;
                               }
                               return true;
                             });
}

// The fc500 tutorial's `class NeuralNet(nn.Module)` (input_size,
// hidden_size, num_classes) written as a C++ struct: fc1 and fc2 created in
// the order of its __init__ (so manual_seed gives PyTorch's initial
// weights), hence its state_dict names fc1.weight ... fc2.bias. The tutorial
// reshapes each batch to [N, 784] before calling it; the loader's flat layout
// gives that shape.
struct NeuralNet : nn::Module<float> {
  nn::Linear<> fc1{nullptr}, fc2{nullptr};
  nn::ReLU<> relu{nullptr};

  NeuralNet(int64_t input_size, int64_t hidden_size, int64_t num_classes) {
    fc1 = register_module("fc1", nn::Linear(input_size, hidden_size));
    relu = register_module("relu", nn::ReLU());
    fc2 = register_module("fc2", nn::Linear(hidden_size, num_classes));
  }
  tg::Tensor<float> forward(const tg::Tensor<float>& x) override { return fc2(relu(fc1(x))); }
};

// fc500 (one hidden width, no dropout) is NeuralNet; otherwise Flatten, then
// (Linear, ReLU[, Dropout]) per hidden width, then Linear to 10 classes: the
// d2l tutorial's nn.Sequential, with PyTorch's parameter names.
std::shared_ptr<nn::Module<float>> build_model(const Config& c) {
  std::shared_ptr<nn::Module<float>> net;
  if (c.preset == "fc500" && c.hidden.size() == 1 && c.dropout == 0) {
    net = std::make_shared<NeuralNet>(784, c.hidden[0], 10);
  } else {
    auto seq = std::make_shared<nn::Sequential<float>>();
    seq->push_back(std::make_shared<nn::Flatten<float>>());
    int64_t width = 784;
    for (int64_t h : c.hidden) {
      seq->push_back(std::make_shared<nn::Linear<float>>(width, h));
      seq->push_back(std::make_shared<nn::ReLU<float>>());
      if (c.dropout > 0) seq->push_back(std::make_shared<nn::Dropout<float>>(c.dropout));
      width = h;
    }
    seq->push_back(std::make_shared<nn::Linear<float>>(width, 10));
    net = seq;
  }
  if (c.init == "tutorial") {
    // d2l: net.apply(init_weights) with nn.init.normal_(m.weight, std=0.01)
    net->apply([](nn::Module<float>& m) {
      if (auto* l = m.as<nn::Linear<float>>()) {
        nn::init::normal_(l->weight, 0, 0.01);
        nn::init::zeros_(l->bias);
      }
    });
  }
  return net;
}

}  // namespace

int main(int argc, char** argv) {
  return run_example<Config>(
      "mnist_mlp", kUsage, argc, argv, parse_args, tg::data::MNIST::Layout::flat, build_model,
      [](const Config& c, optim::Optimizer<float>& opt) -> std::unique_ptr<optim::LRScheduler<float>> {
        if (c.schedule == "cosine")
          return std::make_unique<optim::CosineAnnealingLR<float>>(opt, std::max<int64_t>(c.epochs, 1));
        if (c.schedule == "step")
          return std::make_unique<optim::StepLR<float>>(opt, std::max<int64_t>(c.epochs / 3, 1), 0.1);
        return nullptr;
      });
}
