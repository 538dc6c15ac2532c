#pragma once
// mnist_cnn's copy of the shared example code (merged from two branches; to be folded into mnist_common.hpp).
// What the MNIST examples (mnist_mlp, mnist_cnn) share: flag parsing, the
// training loop and main (run_example), the test-set accuracy, the progress
// line and the JSON and SVG outputs. Each example adds its presets, its own
// flags and its network.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <initializer_list>
#include <iomanip>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <tapegrad/data.hpp>
#include <tapegrad/io.hpp>
#include <tapegrad/tapegrad.hpp>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace mnist_example {

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
namespace optim = tapegrad::optim;
using Clock = std::chrono::steady_clock;

inline int64_t parse_int(const std::string& flag, const std::string& v, int64_t min) {
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
inline double parse_double(const std::string& flag, const std::string& v, double min, double max) {
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
inline std::string one_of(const std::string& flag, const std::string& v, std::initializer_list<const char*> ok) {
  for (const char* o : ok)
    if (v == o) return v;
  std::string list;
  for (const char* o : ok) list += std::string(list.empty() ? "" : ", ") + o;
  throw std::invalid_argument(flag + " expects one of " + list + ", got '" + v + "'");
}

struct EpochStats {
  int64_t epoch;
  double train_loss, train_acc, test_acc, seconds, samples_per_s;
  double eval_seconds;  // the test-set evaluation after the epoch, not in `seconds`
};

inline double accuracy(nn::Module<float>& net, const tg::Tensor<float>& x, const tg::Tensor<int64_t>& y) {
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

inline void write_json(const std::string& program, const std::string& path, const std::vector<EpochStats>& stats,
                       double final_acc, double total) {
  std::ofstream out(path);
  out << std::setprecision(6) << "{\"epochs\":[";
  for (size_t i = 0; i < stats.size(); ++i) {
    const auto& s = stats[i];
    out << (i ? "," : "") << "{\"epoch\":" << s.epoch << ",\"train_loss\":" << s.train_loss
        << ",\"train_acc\":" << s.train_acc << ",\"test_acc\":" << s.test_acc << ",\"seconds\":" << s.seconds
        << ",\"eval_seconds\":" << s.eval_seconds << "}";
  }
  out << "],\"final_test_acc\":" << final_acc << ",\"total_seconds\":" << total << "}\n";
  if (!out) throw tg::IOError(program + ": cannot write " + path);
}

// The d2l train_ch3 picture: train loss, train acc and test acc per epoch.
inline void write_svg(const std::string& program, const std::string& path, const std::vector<EpochStats>& stats,
                      const std::string& title) {
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
  if (!out) throw tg::IOError(program + ": cannot write " + path);
}

/// Trains net for `epochs` epochs over loader's batches (x, y) with
/// cross-entropy, stepping sched (if any) after every epoch, and prints a
/// line per epoch with the accuracy on (test_x, test_y).
template <class Loader>
std::vector<EpochStats> train_epochs(nn::Module<float>& net, optim::Optimizer<float>& opt,
                                     optim::LRScheduler<float>* sched, Loader& loader, int64_t epochs,
                                     const tg::Tensor<float>& test_x, const tg::Tensor<int64_t>& test_y) {
  std::vector<EpochStats> stats;
  nn::CrossEntropyLoss<float> loss_fn;
  Progress progress(isatty(fileno(stdout)) != 0);
  std::printf("%5s %11s %10s %9s %8s %10s\n", "epoch", "train_loss", "train_acc", "test_acc", "seconds", "samples/s");
  for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
    const auto t0 = Clock::now();
    double loss_sum = 0;
    int64_t seen = 0, correct = 0, batch_no = 0;
    for (auto& batch : loader) {
      auto logits = net(batch.x);
      auto loss = loss_fn(logits, batch.y);
      // set_to_none: backward hands its fresh gradients to .grad() instead
      // of adding them into zeroed ones (same values, two passes fewer).
      opt.zero_grad(/*set_to_none=*/true);
      loss.backward();
      opt.step();
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
    if (sched != nullptr) sched->step();
    const auto t1 = Clock::now();
    const double secs = std::chrono::duration<double>(t1 - t0).count();
    const double test_acc = accuracy(net, test_x, test_y);
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
  return stats;
}

/// The process-wide settings of a training run: the heap policy below and
/// tapegrad's threads (threads <= 0: all cores); returns the thread count.
inline int setup_process(int64_t threads) {
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
  const int n = threads > 0 ? static_cast<int>(threads)
                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  tg::set_num_threads(n);  // tapegrad's kernels (its thread pool) and Eigen's
  return n;
}

/// After training: the final accuracy line, then --save, --metrics-json and --plot.
inline void finish_run(const std::string& program, nn::Module<float>& net, const std::vector<EpochStats>& stats,
                       double final_acc, double total, int64_t epochs, const std::string& save,
                       const std::string& metrics_json, const std::string& plot, const std::string& title) {
  std::printf("final test accuracy %.4f after %lld epochs in %.1f s\n", final_acc, static_cast<long long>(epochs),
              total);
  if (!save.empty()) {
    nn::save(net, save);
    std::printf("saved the model to %s\n", save.c_str());
  }
  if (!metrics_json.empty()) write_json(program, metrics_json, stats, final_acc, total);
  if (!plot.empty()) {
    write_svg(program, plot, stats, title);
    std::printf("wrote the training curve to %s\n", plot.c_str());
  }
}

/// The flags both examples take; each example's Config derives from it.
struct CommonConfig {
  std::string preset, dataset = "mnist", data_dir, optimizer, schedule = "none";
  std::string save, load, plot, metrics_json;
  int64_t epochs = 10, batch_size = 64, seed = 42, threads = 0;
  double lr = 1e-3, momentum = 0, weight_decay = 0;
};

/// argv as a Config: the preset first (apply_preset(c), so that every other
/// flag overrides it), then the shared flags, then extra(c, flag, value) for
/// the example's own (false: an unknown flag). schedules: the accepted --schedule values.
template <class Config, class Preset, class Extra>
Config parse_flags(int argc, char** argv, const std::string& default_preset, Preset apply_preset,
                   std::initializer_list<const char*> schedules, Extra extra) {
  std::vector<std::string> args(argv + 1, argv + argc);
  Config c;
  c.preset = default_preset;
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
    else if (f == "--schedule") c.schedule = one_of(f, v, schedules);
    else if (f == "--seed") c.seed = parse_int(f, v, 0);
    else if (f == "--threads") c.threads = parse_int(f, v, 1);
    else if (f == "--save") c.save = v;
    else if (f == "--load") c.load = v;
    else if (f == "--plot") c.plot = v;
    else if (f == "--metrics-json") c.metrics_json = v;
    else if (!extra(c, f, v)) throw std::invalid_argument("unknown flag '" + f + "'");
  }
  if (c.data_dir.empty()) c.data_dir = c.dataset == "mnist" ? "data/mnist" : "data/fashion-mnist";
  return c;
}

/// cfg = parse(argc, argv); on --help prints usage and gives 0, on a bad flag
/// the message and usage and gives 2; nullopt when cfg is ready.
template <class Config, class Parse>
std::optional<int> parse_command_line(const char* program, const char* usage, Parse parse, int argc, char** argv,
                                      Config& cfg) {
  try {
    cfg = parse(argc, argv);
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()) == "help") {
      std::cout << usage;
      return 0;
    }
    std::cerr << program << ": " << e.what() << "\n\n" << usage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << "\n\n" << usage;
    return 2;
  }
  return std::nullopt;
}

/// The training and test sets of dataset (mnist | fashion) from dir, with a line saying so.
struct MnistSets {
  Clock::time_point t0 = Clock::now();  // first: initialized before the sets load
  tg::data::MNIST train, test;
  MnistSets(const std::string& dir, const std::string& dataset, tg::data::MNIST::Layout layout)
      : train(dir, true, layout), test(dir, false, layout) {
    std::printf("%s: %lld training and %lld test images from %s (%.1f s)\n",
                dataset == "mnist" ? "MNIST" : "Fashion-MNIST", static_cast<long long>(train.size()),
                static_cast<long long>(test.size()), dir.c_str(),
                std::chrono::duration<double>(Clock::now() - t0).count());
  }
};

/// --load: evaluates the saved model on the test set (and writes --metrics-json).
inline int evaluate_saved(const std::string& program, nn::Module<float>& net, const std::string& path,
                          const MnistSets& data, const std::string& metrics_json) {
  const auto t0 = Clock::now();
  nn::load(net, path);
  const double acc = accuracy(net, data.test.images(), data.test.labels());
  std::printf("test accuracy of %s: %.4f\n", path.c_str(), acc);
  if (!metrics_json.empty())
    write_json(program, metrics_json, {}, acc, std::chrono::duration<double>(Clock::now() - t0).count());
  return 0;
}

/// sgd | adam | adamw over params.
inline std::unique_ptr<optim::Optimizer<float>> make_optimizer(const std::string& name,
                                                               std::vector<tg::Tensor<float>> params, double lr,
                                                               double momentum, double weight_decay) {
  if (name == "sgd")
    return std::make_unique<optim::SGD<float>>(std::move(params), optim::SGDOptions{.lr = lr, .momentum = momentum});
  if (name == "adam") return std::make_unique<optim::Adam<float>>(std::move(params), optim::AdamOptions{.lr = lr});
  return std::make_unique<optim::AdamW<float>>(std::move(params),
                                               optim::AdamWOptions{.lr = lr, .weight_decay = weight_decay});
}

/// The network and the run's settings, before training.
inline void print_setup(const nn::Module<float>& net, const std::string& preset, const std::string& optimizer,
                        double lr, int64_t batch_size, int64_t epochs, int threads, int64_t seed) {
  std::cout << net << "\n";
  std::printf("preset %s: %s lr %g, batch %lld, %lld epochs, %d thread%s, seed %lld\n", preset.c_str(),
              optimizer.c_str(), lr, static_cast<long long>(batch_size), static_cast<long long>(epochs), threads,
              threads == 1 ? "" : "s", static_cast<long long>(seed));
}

/// A tapegrad error in main: its message, and where the data comes from when it is missing.
inline int report_error(const std::string& program, const tg::Error& e) {
  std::cerr << program << ": " << e.what() << "\n";
  if (dynamic_cast<const tg::IOError*>(&e))
    std::cerr << "(fetch the data with tools/fetch-data.sh, or name a directory with --data)\n";
  return 1;
}

/// An example's main: parse the flags, load the data in `layout`, build the
/// network (build(cfg)), then evaluate a --load model, or train with
/// make_optimizer's optimizer and schedule(cfg, optimizer) (null: none) over
/// [B, ...] batches of the uint8 pixels divided by 255 on the way (the values
/// of images(), with a quarter of the memory traffic), and finish_run.
template <class Config, class Parse, class Build, class Schedule>
int run_example(const char* program, const char* usage, int argc, char** argv, Parse parse,
                tg::data::MNIST::Layout layout, Build build, Schedule schedule) {
  Config cfg;
  if (auto code = parse_command_line(program, usage, parse, argc, argv, cfg)) return *code;
  try {
    const int threads = setup_process(cfg.threads);
    tg::manual_seed(static_cast<uint64_t>(cfg.seed));
    const MnistSets data(cfg.data_dir, cfg.dataset, layout);
    auto net = build(cfg);
    if (!cfg.load.empty()) return evaluate_saved(program, *net, cfg.load, data, cfg.metrics_json);

    print_setup(*net, cfg.preset, cfg.optimizer, cfg.lr, cfg.batch_size, cfg.epochs, threads, cfg.seed);
    const auto t_start = Clock::now();
    auto opt = make_optimizer(cfg.optimizer, net->parameters(), cfg.lr, cfg.momentum, cfg.weight_decay);
    std::unique_ptr<optim::LRScheduler<float>> sched = schedule(cfg, *opt);
    tg::data::DataLoader loader(data.train.pixels(), data.train.labels(),
                                {.batch_size = cfg.batch_size, .shuffle = true}, 255.0f);
    const auto stats =
        train_epochs(*net, *opt, sched.get(), loader, cfg.epochs, data.test.images(), data.test.labels());
    const double total = std::chrono::duration<double>(Clock::now() - t_start).count();
    const double final_acc =
        stats.empty() ? accuracy(*net, data.test.images(), data.test.labels()) : stats.back().test_acc;
    finish_run(program, *net, stats, final_acc, total, cfg.epochs, cfg.save, cfg.metrics_json, cfg.plot,
               std::string(program) + " --preset " + cfg.preset + " on " + cfg.dataset);
    return 0;
  } catch (const tg::Error& e) {
    return report_error(program, e);
  }
}

}  // namespace mnist_example
