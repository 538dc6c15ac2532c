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
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mnist_common.hpp"

#include <tapegrad/data.hpp>
#include <tapegrad/io.hpp>
#include <tapegrad/core/threads.hpp>
#include <tapegrad/tapegrad.hpp>
#include <unistd.h>

#include "distributed_glue.hpp"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
namespace optim = tapegrad::optim;
using Clock = std::chrono::steady_clock;

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

using mnist_example::EpochStats;
using mnist_example::one_of;
using mnist_example::parse_double;
using mnist_example::parse_int;

Config parse_args(int argc, char** argv) {
  const std::vector<std::string> args = mnist_example::split_flags(argc, argv);
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
  // --load evaluates a saved model without training: there is no curve to
  // plot and nothing new to save, so say so rather than ignore the flags.
  if (!c.load.empty() && (!c.plot.empty() || !c.save.empty()))
    throw std::invalid_argument(std::string("--load evaluates a saved model without training, so ") +
                                (c.plot.empty() ? "--save" : "--plot") +
                                " has nothing to write; drop it, or drop --load to train");
  return c;
}

// What nn::save stores with the weights, and --load compares with the flags.
std::string hidden_text(const std::vector<int64_t>& hidden) {
  std::string out;
  for (int64_t h : hidden) {
    if (!out.empty()) out += ',';
    out += std::to_string(h);
  }
  return out;
}
std::map<std::string, std::string> model_metadata(const Config& c) {
  return {{"dataset", c.dataset}, {"preset", c.preset}, {"hidden", hidden_text(c.hidden)}};
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

double accuracy(nn::Module<float>& net, const tg::Tensor<float>& x, const tg::Tensor<int64_t>& y) {
  tg::NoGradGuard no_grad;
  net.eval();
  int64_t correct = 0;
  const int64_t n = x.size(0), chunk = 1000;
  for (int64_t s = 0; s < n; s += chunk) {
    const int64_t len = std::min(chunk, n - s);
    auto pred = net(x.narrow(0, s, len)).argmax(1);
    correct += tg::sum(tg::eq(pred, y.narrow(0, s, len))).item();
  }
  net.train();
  return static_cast<double>(correct) / static_cast<double>(n);
}

// A progress line within an epoch: redrawn in place on a terminal.
class Progress {
 public:
  explicit Progress(bool tty) : tty_(tty) {}
  void update(int64_t epoch, int64_t done, int64_t total, double samples_per_s, double loss) {
    if (!tty_) return;
    const auto now = Clock::now();
    if (done != total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const int width = 30, filled = static_cast<int>(width * done / std::max<int64_t>(total, 1));
    std::printf("\repoch %3lld [%s%s] %lld/%lld  %8.0f samples/s  loss %.4f ", static_cast<long long>(epoch),
                std::string(static_cast<size_t>(filled), '#').c_str(),
                std::string(static_cast<size_t>(width - filled), '.').c_str(), static_cast<long long>(done),
                static_cast<long long>(total), samples_per_s, loss);
    std::fflush(stdout);
  }
  void clear() {
    if (tty_) std::printf("\r%80s\r", "");
  }

 private:
  bool tty_;
  Clock::time_point last_{};
};

}  // namespace

int main(int argc, char** argv) {
  examples::DistributedGlue dist(argc, argv);
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
#if defined(__GLIBC__)
    // Keep freed memory in the process: every step allocates and frees the
    // same few-hundred-KB buffers (batch, activations, gradients, GEMM
    // packing). With glibc's defaults the top of the heap is trimmed and
    // faulted in again every step, which costs most with two threads
    // (bench/train_step.md, "Two threads and the allocator"). A process-wide
    // policy, so the application's choice, not the library's.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
    const int threads = cfg.threads > 0 ? static_cast<int>(cfg.threads)
                                         : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    tg::set_num_threads(threads);  // tapegrad's kernels (its thread pool) and Eigen's
    tg::manual_seed(static_cast<uint64_t>(cfg.seed));

    // Output paths are checked now, not after the training that fills them.
    if (!cfg.save.empty()) mnist_example::check_writable("--save", cfg.save);
    if (!cfg.plot.empty()) mnist_example::check_writable("--plot", cfg.plot);
    if (!cfg.metrics_json.empty()) mnist_example::check_writable("--metrics-json", cfg.metrics_json);

    const auto t_load = Clock::now();
    std::optional<tg::data::MNIST> train_set, test_set;
    try {
      train_set.emplace(cfg.data_dir, true);
      test_set.emplace(cfg.data_dir, false);
    } catch (const tg::IOError& e) {
      std::cerr << "mnist_mlp: " << e.what() << "\n"
                << "(fetch the data with tools/fetch-data.sh, or name a directory with --data)\n";
      return 1;
    }
    std::printf("%s: %lld training and %lld test images from %s (%.1f s)\n",
                cfg.dataset == "mnist" ? "MNIST" : "Fashion-MNIST", static_cast<long long>(train_set->size()),
                static_cast<long long>(test_set->size()), cfg.data_dir.c_str(),
                std::chrono::duration<double>(Clock::now() - t_load).count());

    auto net = build_model(cfg);
    auto train_net = dist.wrap(net);
    dist.rank0_only(cfg.save, cfg.plot, cfg.metrics_json);
    std::vector<EpochStats> stats;
    const auto t_start = Clock::now();

    if (!cfg.load.empty()) {
      std::map<std::string, std::string> saved;
      try {
        nn::load(*net, cfg.load, &saved);
      } catch (const tg::ShapeError& e) {
        std::string was = saved.count("preset") ? " (it was saved by --preset " + saved["preset"] +
                                                      (saved.count("hidden") ? ", hidden " + saved["hidden"] : "") + ")"
                                                : "";
        throw tg::ShapeError(std::string(e.what()) + ": the model built here is --preset " + cfg.preset +
                             " (hidden " + hidden_text(cfg.hidden) + "); pass the --preset (or --hidden) the file was "
                             "trained with" + was);
      }
      for (const auto& [key, want] : model_metadata(cfg))
        if (saved.count(key) && saved[key] != want)
          std::fprintf(stderr, "mnist_mlp: warning: %s was trained with %s %s, evaluated here with %s %s\n",
                       cfg.load.c_str(), key.c_str(), saved[key].c_str(), key.c_str(), want.c_str());
      const double acc = accuracy(*net, test_set->images(), test_set->labels());
      std::printf("test accuracy of %s: %.4f\n", cfg.load.c_str(), acc);
      if (!cfg.metrics_json.empty()) {
        mnist_example::write_json(cfg.metrics_json, stats, acc,
                                  std::chrono::duration<double>(Clock::now() - t_start).count());
        std::printf("wrote the metrics to %s\n", cfg.metrics_json.c_str());
      }
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

    nn::CrossEntropyLoss<float> loss_fn;
    // Batches gathered from the uint8 pixels and divided by 255 on the way
    // (the values of images(), with a quarter of the memory traffic).
    tg::data::DataLoader loader(train_set->pixels(), train_set->labels(),
                                {.batch_size = cfg.batch_size, .shuffle = !dist.on(),
                                 .sampler = dist.sampler(train_set->size(), cfg.seed)}, 255.0f);
    Progress progress(isatty(fileno(stdout)) != 0);
    std::printf("%5s %11s %10s %9s %8s %10s\n", "epoch", "train_loss", "train_acc", "test_acc", "seconds", "samples/s");
    for (int64_t epoch = 1; epoch <= cfg.epochs; ++epoch) {
      const auto t0 = Clock::now();
      double loss_sum = 0;
      int64_t seen = 0, correct = 0, batch_no = 0;
      dist.set_epoch(epoch);
      for (auto& batch : loader) {
        auto logits = (*train_net)(batch.x);
        auto loss = loss_fn(logits, batch.y);
        // set_to_none: backward hands its fresh gradients to .grad() instead
        // of adding them into zeroed ones (same values, two passes fewer).
        opt->zero_grad(/*set_to_none=*/true);
        loss.backward();
        opt->step();
        const int64_t b = batch.x.size(0);
        loss_sum += static_cast<double>(loss.item()) * static_cast<double>(b);
        {
          tg::NoGradGuard no_grad;
          correct += tg::sum(tg::eq(logits.argmax(1), batch.y)).item();
        }
        seen += b;
        const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
        progress.update(epoch, ++batch_no, loader.size(), static_cast<double>(seen) / std::max(secs, 1e-9),
                        loss_sum / static_cast<double>(seen));
      }
      if (sched) sched->step();
      const auto t1 = Clock::now();
      const double secs = std::chrono::duration<double>(t1 - t0).count();
      const double test_acc = accuracy(*net, test_set->images(), test_set->labels());
      EpochStats s{epoch, loss_sum / static_cast<double>(std::max<int64_t>(seen, 1)),
                   static_cast<double>(correct) / static_cast<double>(std::max<int64_t>(seen, 1)), test_acc, secs,
                   static_cast<double>(seen) / std::max(secs, 1e-9),
                   std::chrono::duration<double>(Clock::now() - t1).count()};
      stats.push_back(s);
      progress.clear();
      std::printf("%5lld %11.4f %10.4f %9.4f %8.2f %10.0f\n", static_cast<long long>(s.epoch), s.train_loss,
                  s.train_acc, s.test_acc, s.seconds, s.samples_per_s);
      std::fflush(stdout);
    }
    const double total = std::chrono::duration<double>(Clock::now() - t_start).count();
    const double final_acc =
        stats.empty() ? accuracy(*net, test_set->images(), test_set->labels()) : stats.back().test_acc;
    std::printf("final test accuracy %.4f after %lld epochs in %.1f s\n", final_acc,
                static_cast<long long>(cfg.epochs), total);
    if (!cfg.save.empty()) {
      nn::save(*net, cfg.save, model_metadata(cfg));
      std::printf("saved the model to %s\n", cfg.save.c_str());
    }
    if (!cfg.metrics_json.empty()) {
      mnist_example::write_json(cfg.metrics_json, stats, final_acc, total);
      std::printf("wrote the metrics to %s\n", cfg.metrics_json.c_str());
    }
    if (!cfg.plot.empty()) {
      mnist_example::write_svg(cfg.plot, stats, "mnist_mlp --preset " + cfg.preset + " on " + cfg.dataset);
      std::printf("wrote the training curve to %s\n", cfg.plot.c_str());
    }
    return 0;
  } catch (const tg::Error& e) {
    std::cerr << "mnist_mlp: " << e.what() << "\n";
    dist.failed();
    return 1;
  }
}
