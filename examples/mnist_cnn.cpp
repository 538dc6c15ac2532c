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
                   Linear(128, 10); batch 64, 14 epochs, StepLR(1, gamma 0.7).
                   PyTorch's example uses Adadelta lr 1.0, which tapegrad does
                   not have yet: Adam lr 0.001 here

Options:
  --preset NAME          lenet5 | pytorch-example
  --dataset NAME         mnist | fashion (default mnist)
  --data DIR             directory with the four IDX files
                         (default data/mnist or data/fashion-mnist)
  --epochs N             training epochs
  --batch-size N         mini-batch size
  --lr X                 learning rate
  --momentum X           SGD momentum
  --optimizer NAME       sgd | adam | adamw
  --schedule NAME        none | step (StepLR, step 1, gamma --gamma)
  --gamma X              StepLR's factor per epoch (default 0.7)
  --seed N               random seed (default 42)
  --threads N            threads for the kernels (default: all cores)
  --save FILE            save the trained model (safetensors, PyTorch's names)
  --load FILE            evaluate a saved model only (no training)
  --plot FILE            write an SVG of loss and accuracy per epoch
  --metrics-json FILE    write per-epoch metrics as JSON
  --help                 this text
)";

struct Config {
  std::string preset = "lenet5", dataset = "mnist", data_dir, optimizer = "adam", schedule = "none";
  std::string save, load, plot, metrics_json;
  int64_t epochs = 10, batch_size = 64, seed = 42, threads = 0;
  double lr = 1e-3, momentum = 0, gamma = 0.7;
};

void apply_preset(Config& c) {
  if (c.preset == "lenet5") {
    c.optimizer = "adam", c.lr = 1e-3, c.batch_size = 64, c.epochs = 10, c.schedule = "none";
  } else if (c.preset == "pytorch-example") {
    c.optimizer = "adam", c.lr = 1e-3, c.batch_size = 64, c.epochs = 14, c.schedule = "step", c.gamma = 0.7;
  } else {
    throw std::invalid_argument("unknown preset '" + c.preset + "' (lenet5 or pytorch-example)");
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
    else if (f == "--schedule") c.schedule = one_of(f, v, {"none", "step"});
    else if (f == "--gamma") c.gamma = parse_double(f, v, 0, 1);
    else if (f == "--seed") c.seed = parse_int(f, v, 0);
    else if (f == "--threads") c.threads = parse_int(f, v, 1);
    else if (f == "--save") c.save = v;
    else if (f == "--load") c.load = v;
    else if (f == "--plot") c.plot = v;
    else if (f == "--metrics-json") c.metrics_json = v;
    else throw std::invalid_argument("unknown flag '" + f + "'");
  }
  if (c.data_dir.empty()) c.data_dir = c.dataset == "mnist" ? "data/mnist" : "data/fashion-mnist";
  return c;
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
  Config cfg;
  try {
    cfg = parse_args(argc, argv);
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()) == "help") {
      std::cout << kUsage;
      return 0;
    }
    std::cerr << "mnist_cnn: " << e.what() << "\n\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "mnist_cnn: " << e.what() << "\n\n" << kUsage;
    return 2;
  }

  try {
    const int threads = setup_process(cfg.threads);
    tg::manual_seed(static_cast<uint64_t>(cfg.seed));

    const auto t_load = Clock::now();
    using Layout = tg::data::MNIST::Layout;
    tg::data::MNIST train_set(cfg.data_dir, true, Layout::nchw), test_set(cfg.data_dir, false, Layout::nchw);
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
        write_json("mnist_cnn", cfg.metrics_json, stats, acc,
                   std::chrono::duration<double>(Clock::now() - t_start).count());
      return 0;
    }

    std::cout << *net << "\n";
    std::printf("preset %s: %s lr %g, batch %lld, %lld epochs, %d thread%s, seed %lld\n", cfg.preset.c_str(),
                cfg.optimizer.c_str(), cfg.lr, static_cast<long long>(cfg.batch_size),
                static_cast<long long>(cfg.epochs), threads, threads == 1 ? "" : "s",
                static_cast<long long>(cfg.seed));

    std::unique_ptr<optim::Optimizer<float>> opt;
    if (cfg.optimizer == "sgd")
      opt = std::make_unique<optim::SGD<float>>(net->parameters(),
                                                optim::SGDOptions{.lr = cfg.lr, .momentum = cfg.momentum});
    else if (cfg.optimizer == "adam")
      opt = std::make_unique<optim::Adam<float>>(net->parameters(), optim::AdamOptions{.lr = cfg.lr});
    else
      opt = std::make_unique<optim::AdamW<float>>(net->parameters(), optim::AdamWOptions{.lr = cfg.lr});
    std::unique_ptr<optim::LRScheduler<float>> sched;
    if (cfg.schedule == "step") sched = std::make_unique<optim::StepLR<float>>(*opt, 1, cfg.gamma);

    // [B, 1, 28, 28] batches from the uint8 pixels, divided by 255 on the way.
    tg::data::DataLoader loader(train_set.pixels(), train_set.labels(),
                                {.batch_size = cfg.batch_size, .shuffle = true}, 255.0f);
    stats = train_epochs(*net, *opt, sched.get(), loader, cfg.epochs, test_set.images(), test_set.labels());
    const double total = std::chrono::duration<double>(Clock::now() - t_start).count();
    const double final_acc =
        stats.empty() ? accuracy(*net, test_set.images(), test_set.labels()) : stats.back().test_acc;
    finish_run("mnist_cnn", *net, stats, final_acc, total, cfg.epochs, cfg.save, cfg.metrics_json, cfg.plot,
               "mnist_cnn --preset " + cfg.preset + " on " + cfg.dataset);
    return 0;
  } catch (const tg::Error& e) {
    std::cerr << "mnist_cnn: " << e.what() << "\n";
    if (dynamic_cast<const tg::IOError*>(&e))
      std::cerr << "(fetch the data with tools/fetch-data.sh, or name a directory with --data)\n";
    return 1;
  }
}
