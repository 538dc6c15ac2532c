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
  --save FILE            save the trained model (safetensors)
  --load FILE            evaluate a saved model only (no training)
  --plot FILE            write an SVG of loss and accuracy per epoch
  --metrics-json FILE    write per-epoch metrics as JSON
  --distributed          data-parallel over the ranks of mpirun (--batch-size per rank)
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

int64_t parse_int(const std::string& flag, const std::string& v, int64_t min) {
  size_t used = 0;
  int64_t x = 0;
  try {
    x = std::stoll(v, &used);
  } catch (...) {
    used = 0;
  }
  if (used != v.size() || x < min)
    throw std::invalid_argument(flag + " expects an integer >= " + std::to_string(min) + ", got '" + v + "'");
  return x;
}
double parse_double(const std::string& flag, const std::string& v, double min, double max) {
  size_t used = 0;
  double x = 0;
  try {
    x = std::stod(v, &used);
  } catch (...) {
    used = 0;
  }
  if (used != v.size() || !(x >= min && x <= max))
    throw std::invalid_argument(flag + " expects a number in [" + std::to_string(min) + ", " +
                                std::to_string(max) + "], got '" + v + "'");
  return x;
}
std::string one_of(const std::string& flag, const std::string& v, std::initializer_list<const char*> ok) {
  for (const char* o : ok)
    if (v == o) return v;
  std::string list;
  for (const char* o : ok) list += std::string(list.empty() ? "" : ", ") + o;
  throw std::invalid_argument(flag + " expects one of " + list + ", got '" + v + "'");
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

struct EpochStats {
  int64_t epoch;
  double train_loss, train_acc, test_acc, seconds, samples_per_s;
  double eval_seconds;  // the test-set evaluation after the epoch, not in `seconds`
};

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

void write_json(const std::string& path, const std::vector<EpochStats>& stats, double final_acc, double total) {
  std::ofstream out(path);
  out << std::setprecision(6) << "{\"epochs\":[";
  for (size_t i = 0; i < stats.size(); ++i) {
    const auto& s = stats[i];
    out << (i ? "," : "") << "{\"epoch\":" << s.epoch << ",\"train_loss\":" << s.train_loss
        << ",\"train_acc\":" << s.train_acc << ",\"test_acc\":" << s.test_acc << ",\"seconds\":" << s.seconds
        << ",\"eval_seconds\":" << s.eval_seconds << "}";
  }
  out << "],\"final_test_acc\":" << final_acc << ",\"total_seconds\":" << total << "}\n";
  if (!out) throw tg::IOError("mnist_mlp: cannot write " + path);
}

// The d2l train_ch3 picture: train loss, train acc and test acc per epoch.
void write_svg(const std::string& path, const std::vector<EpochStats>& stats, const std::string& title) {
  const double W = 640, H = 420, L = 60, R = 20, T = 40, B = 50;
  const double n = static_cast<double>(std::max<size_t>(stats.size(), 1));
  double ymax = 1;
  for (const auto& s : stats) ymax = std::max(ymax, s.train_loss);
  ymax = std::ceil(ymax * 10) / 10;
  auto X = [&](double e) { return L + (W - L - R) * (stats.size() <= 1 ? 0.5 : (e - 1) / (n - 1)); };
  auto Y = [&](double v) { return H - B - (H - T - B) * v / ymax; };
  std::ostringstream svg;
  svg << std::fixed << std::setprecision(2);
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg << "<text x=\"" << W / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">" << title << "</text>\n";
  for (int i = 0; i <= 5; ++i) {  // horizontal grid and y labels
    const double v = ymax * i / 5;
    svg << "<line x1=\"" << L << "\" x2=\"" << W - R << "\" y1=\"" << Y(v) << "\" y2=\"" << Y(v)
        << "\" stroke=\"#ddd\"/><text x=\"" << L - 6 << "\" y=\"" << Y(v) + 4 << "\" text-anchor=\"end\">" << v
        << "</text>\n";
  }
  for (size_t i = 0; i < stats.size(); ++i)  // x labels
    svg << "<text x=\"" << X(static_cast<double>(i + 1)) << "\" y=\"" << H - B + 18 << "\" text-anchor=\"middle\">"
        << i + 1 << "</text>\n";
  svg << "<text x=\"" << (L + W - R) / 2 << "\" y=\"" << H - 12 << "\" text-anchor=\"middle\">epoch</text>\n";
  svg << "<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << W - L - R << "\" height=\"" << H - T - B
      << "\" fill=\"none\" stroke=\"#333\"/>\n";
  struct Series { const char* name; const char* color; double EpochStats::*field; const char* dash; };
  const Series series[] = {{"train loss", "#1f77b4", &EpochStats::train_loss, ""},
                           {"train acc", "#ff7f0e", &EpochStats::train_acc, "6,3"},
                           {"test acc", "#2ca02c", &EpochStats::test_acc, "2,2"}};
  int k = 0;
  for (const auto& s : series) {
    svg << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"2\" stroke-dasharray=\"" << s.dash
        << "\" points=\"";
    for (size_t i = 0; i < stats.size(); ++i) svg << X(static_cast<double>(i + 1)) << "," << Y(stats[i].*s.field) << " ";
    svg << "\"/>\n";
    for (size_t i = 0; i < stats.size(); ++i)
      svg << "<circle cx=\"" << X(static_cast<double>(i + 1)) << "\" cy=\"" << Y(stats[i].*s.field)
          << "\" r=\"2.5\" fill=\"" << s.color << "\"/>\n";
    const double ly = T + 16 + 18 * k++;
    svg << "<line x1=\"" << W - R - 110 << "\" x2=\"" << W - R - 85 << "\" y1=\"" << ly - 4 << "\" y2=\"" << ly - 4
        << "\" stroke=\"" << s.color << "\" stroke-width=\"2\" stroke-dasharray=\"" << s.dash << "\"/><text x=\""
        << W - R - 80 << "\" y=\"" << ly << "\">" << s.name << "</text>\n";
  }
  svg << "</svg>\n";
  std::ofstream out(path);
  out << svg.str();
  if (!out) throw tg::IOError("mnist_mlp: cannot write " + path);
}

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

    const auto t_load = Clock::now();
    tg::data::MNIST train_set(cfg.data_dir, true), test_set(cfg.data_dir, false);
    std::printf("%s: %lld training and %lld test images from %s (%.1f s)\n",
                cfg.dataset == "mnist" ? "MNIST" : "Fashion-MNIST", static_cast<long long>(train_set.size()),
                static_cast<long long>(test_set.size()), cfg.data_dir.c_str(),
                std::chrono::duration<double>(Clock::now() - t_load).count());

    auto net = build_model(cfg);
    auto train_net = dist.wrap(net);
    dist.rank0_only(cfg.save, cfg.plot, cfg.metrics_json);
    std::vector<EpochStats> stats;
    const auto t_start = Clock::now();

    if (!cfg.load.empty()) {
      nn::load(*net, cfg.load);
      const double acc = accuracy(*net, test_set.images(), test_set.labels());
      std::printf("test accuracy of %s: %.4f\n", cfg.load.c_str(), acc);
      if (!cfg.metrics_json.empty())
        write_json(cfg.metrics_json, stats, acc, std::chrono::duration<double>(Clock::now() - t_start).count());
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
    tg::data::DataLoader loader(train_set.pixels(), train_set.labels(),
                                {.batch_size = cfg.batch_size, .shuffle = !dist.on(),
                                 .sampler = dist.sampler(train_set.size(), cfg.seed)}, 255.0f);
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
      const double test_acc = accuracy(*net, test_set.images(), test_set.labels());
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
    const double final_acc = stats.empty() ? accuracy(*net, test_set.images(), test_set.labels()) : stats.back().test_acc;
    std::printf("final test accuracy %.4f after %lld epochs in %.1f s\n", final_acc,
                static_cast<long long>(cfg.epochs), total);
    if (!cfg.save.empty()) {
      nn::save(*net, cfg.save);
      std::printf("saved the model to %s\n", cfg.save.c_str());
    }
    if (!cfg.metrics_json.empty()) write_json(cfg.metrics_json, stats, final_acc, total);
    if (!cfg.plot.empty()) {
      write_svg(cfg.plot, stats, "mnist_mlp --preset " + cfg.preset + " on " + cfg.dataset);
      std::printf("wrote the training curve to %s\n", cfg.plot.c_str());
    }
    return 0;
  } catch (const tg::Error& e) {
    std::cerr << "mnist_mlp: " << e.what() << "\n";
    dist.failed();
    if (dynamic_cast<const tg::IOError*>(&e))
      std::cerr << "(fetch the data with tools/fetch-data.sh, or name a directory with --data)\n";
    return 1;
  }
}
