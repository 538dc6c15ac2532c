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
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <tapegrad/data.hpp>
#include <tapegrad/io.hpp>
#include <tapegrad/core/threads.hpp>
#include <tapegrad/tapegrad.hpp>

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
  fc500  Linear(784, 500) -> ReLU -> Linear(500, 10), PyTorch's default init,
         Adam lr 0.001, batch 100, 5 epochs
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
  --optimizer NAME       sgd | adam | adamw
  --hidden LIST          hidden layer widths, e.g. 256 or 512,256
  --dropout P            dropout after each hidden ReLU (0 = none)
  --schedule NAME        none | cosine | step (learning-rate schedule)
  --init NAME            tutorial (N(0, 0.01), bias 0) | default (PyTorch's)
  --seed N               random seed (default 42)
  --threads N            threads for the matrix products (default: all cores)
  --save FILE            save the trained model (safetensors)
  --load FILE            evaluate a saved model only (no training)
  --plot FILE            write an SVG of loss and accuracy per epoch
  --metrics-json FILE    write per-epoch metrics as JSON
  --help                 this text
)";

struct Config {
  std::string preset = "d2l", dataset = "mnist", data_dir, optimizer = "sgd", init = "tutorial";
  std::string schedule = "none", save, load, plot, metrics_json;
  int64_t epochs = 10, batch_size = 256, seed = 42, threads = 0;
  double lr = 0.1, momentum = 0, dropout = 0, weight_decay = 0;
  std::vector<int64_t> hidden = {256};
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
  std::vector<std::string> args(argv + 1, argv + argc);
  Config c;
  // The preset goes first so that every other flag overrides it.
  for (size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == "--preset") c.preset = args[i + 1];
  apply_preset(c);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& f = args[i];
    if (f == "--help" || f == "-h") throw std::runtime_error("help");
    if (i + 1 >= args.size()) throw std::invalid_argument("unknown flag or missing value: '" + f + "'");
    const std::string v = args[++i];
    if (f == "--preset") continue;
    else if (f == "--dataset") c.dataset = one_of(f, v, {"mnist", "fashion"});
    else if (f == "--data") c.data_dir = v;
    else if (f == "--epochs") c.epochs = parse_int(f, v, 0);
    else if (f == "--batch-size") c.batch_size = parse_int(f, v, 1);
    else if (f == "--lr") c.lr = parse_double(f, v, 0, 100);
    else if (f == "--momentum") c.momentum = parse_double(f, v, 0, 1);
    else if (f == "--optimizer") c.optimizer = one_of(f, v, {"sgd", "adam", "adamw"});
    else if (f == "--dropout") c.dropout = parse_double(f, v, 0, 0.99);
    else if (f == "--schedule") c.schedule = one_of(f, v, {"none", "cosine", "step"});
    else if (f == "--init") c.init = one_of(f, v, {"tutorial", "default"});
    else if (f == "--seed") c.seed = parse_int(f, v, 0);
    else if (f == "--threads") c.threads = parse_int(f, v, 1);
    else if (f == "--save") c.save = v;
    else if (f == "--load") c.load = v;
    else if (f == "--plot") c.plot = v;
    else if (f == "--metrics-json") c.metrics_json = v;
    else if (f == "--hidden") {
      c.hidden.clear();
      std::stringstream ss(v);
      for (std::string part; std::getline(ss, part, ',');) c.hidden.push_back(parse_int(f, part, 1));
      if (c.hidden.empty()) throw std::invalid_argument("--hidden expects widths such as 256 or 512,256");
    } else {
      throw std::invalid_argument("unknown flag '" + f + "'");
    }
  }
  if (c.data_dir.empty()) c.data_dir = c.dataset == "mnist" ? "data/mnist" : "data/fashion-mnist";
  return c;
}

// Flatten, then (Linear, ReLU[, Dropout]) per hidden width, then Linear to 10
// classes: the tutorials' nn.Sequential, with PyTorch's parameter names.
std::shared_ptr<nn::Sequential<float>> build_model(const Config& c) {
  auto net = std::make_shared<nn::Sequential<float>>();
  net->push_back(std::make_shared<nn::Flatten<float>>());
  int64_t width = 784;
  for (int64_t h : c.hidden) {
    net->push_back(std::make_shared<nn::Linear<float>>(width, h));
    net->push_back(std::make_shared<nn::ReLU<float>>());
    if (c.dropout > 0) net->push_back(std::make_shared<nn::Dropout<float>>(c.dropout));
    width = h;
  }
  net->push_back(std::make_shared<nn::Linear<float>>(width, 10));
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
  Config cfg;
  try {
    cfg = parse_args(argc, argv);
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()) == "help") {
      std::cout << kUsage;
      return 0;
    }
    std::cerr << "mnist_mlp: " << e.what() << "\n\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "mnist_mlp: " << e.what() << "\n\n" << kUsage;
    return 2;
  }

  try {
    const int threads = setup_process(cfg.threads);
    tg::manual_seed(static_cast<uint64_t>(cfg.seed));

    const auto t_load = Clock::now();
    tg::data::MNIST train_set(cfg.data_dir, true), test_set(cfg.data_dir, false);
    std::printf("%s: %lld training and %lld test images from %s (%.1f s)\n",
                cfg.dataset == "mnist" ? "MNIST" : "Fashion-MNIST", static_cast<long long>(train_set.size()),
                static_cast<long long>(test_set.size()), cfg.data_dir.c_str(),
                std::chrono::duration<double>(Clock::now() - t_load).count());

    auto net = build_model(cfg);
    std::vector<EpochStats> stats;
    const auto t_start = Clock::now();

    if (!cfg.load.empty()) {
      nn::load(*net, cfg.load);
      const double acc = accuracy(*net, test_set.images(), test_set.labels());
      std::printf("test accuracy of %s: %.4f\n", cfg.load.c_str(), acc);
      if (!cfg.metrics_json.empty())
        write_json("mnist_mlp", cfg.metrics_json, stats, acc, std::chrono::duration<double>(Clock::now() - t_start).count());
      return 0;
    }

    std::cout << *net << "\n";
    std::printf("preset %s: %s lr %g, batch %lld, %lld epochs, %d thread%s, seed %lld\n", cfg.preset.c_str(),
                cfg.optimizer.c_str(), cfg.lr, static_cast<long long>(cfg.batch_size),
                static_cast<long long>(cfg.epochs), threads, threads == 1 ? "" : "s",
                static_cast<long long>(cfg.seed));

    std::unique_ptr<optim::Optimizer<float>> opt;
    if (cfg.optimizer == "sgd")
      opt = std::make_unique<optim::SGD<float>>(net->parameters(), optim::SGDOptions{.lr = cfg.lr, .momentum = cfg.momentum});
    else if (cfg.optimizer == "adam")
      opt = std::make_unique<optim::Adam<float>>(net->parameters(), optim::AdamOptions{.lr = cfg.lr});
    else
      opt = std::make_unique<optim::AdamW<float>>(net->parameters(),
                                                  optim::AdamWOptions{.lr = cfg.lr, .weight_decay = cfg.weight_decay});
    std::unique_ptr<optim::LRScheduler<float>> sched;
    if (cfg.schedule == "cosine") sched = std::make_unique<optim::CosineAnnealingLR<float>>(*opt, std::max<int64_t>(cfg.epochs, 1));
    if (cfg.schedule == "step") sched = std::make_unique<optim::StepLR<float>>(*opt, std::max<int64_t>(cfg.epochs / 3, 1), 0.1);

    // Batches gathered from the uint8 pixels and divided by 255 on the way
    // (the values of images(), with a quarter of the memory traffic).
    tg::data::DataLoader loader(train_set.pixels(), train_set.labels(),
                                {.batch_size = cfg.batch_size, .shuffle = true}, 255.0f);
    stats = train_epochs(*net, *opt, sched.get(), loader, cfg.epochs, test_set.images(), test_set.labels());
    const double total = std::chrono::duration<double>(Clock::now() - t_start).count();
    const double final_acc = stats.empty() ? accuracy(*net, test_set.images(), test_set.labels()) : stats.back().test_acc;
    finish_run("mnist_mlp", *net, stats, final_acc, total, cfg.epochs, cfg.save, cfg.metrics_json, cfg.plot,
               "mnist_mlp --preset " + cfg.preset + " on " + cfg.dataset);
    return 0;
  } catch (const tg::Error& e) {
    std::cerr << "mnist_mlp: " << e.what() << "\n";
    if (dynamic_cast<const tg::IOError*>(&e))
      std::cerr << "(fetch the data with tools/fetch-data.sh, or name a directory with --data)\n";
    return 1;
  }
}
