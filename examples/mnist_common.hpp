#pragma once
// What the MNIST examples (mnist_mlp.cpp, mnist_cnn.cpp) share: command-line
// flags given as `--flag value` or `--flag=value`, output files checked
// before any training, the training loop and main (run_example) with
// --distributed (distributed_glue.hpp), the test-set accuracy, the progress
// line, per-epoch metrics as JSON, the training-curve SVG, and the dataset
// and preset stored with a saved model. Each example adds its presets, its
// own flags and its network.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <tapegrad/core/error.hpp>
#include <tapegrad/data.hpp>
#include <tapegrad/io.hpp>
#include <tapegrad/tapegrad.hpp>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "distributed_glue.hpp"

namespace mnist_example {

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
namespace optim = tapegrad::optim;
using Clock = std::chrono::steady_clock;

/// argv[1..] with every `--flag=value` split into `--flag`, `value`.
inline std::vector<std::string> split_flags(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const size_t eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      out.push_back(a.substr(0, eq));
      out.push_back(a.substr(eq + 1));
    } else {
      out.push_back(a);
    }
  }
  return out;
}

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

/// Throws IOError naming `flag` unless `path` can be written: its directory
/// exists and is writable, and the file, if there, is writable. Called before
/// training, so a typo in an output path does not cost a whole run.
inline void check_writable(const std::string& flag, const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw tg::IOError(flag + ": cannot write " + path + ": directory " + dir.string() + " does not exist");
  if (fs::exists(p, ec) ? access(path.c_str(), W_OK) != 0 : access(dir.c_str(), W_OK) != 0)
    throw tg::IOError(flag + ": cannot write " + path + ": permission denied");
}

struct EpochStats {
  int64_t epoch;
  double train_loss, train_acc, test_acc, seconds, samples_per_s;
  double eval_seconds;  // the test-set evaluation after the epoch, not in `seconds`
};

inline void write_json(const std::string& path, const std::vector<EpochStats>& stats, double final_acc,
                       double total) {
  std::ofstream out(path);
  out << std::setprecision(10) << "{\"epochs\":[";
  for (size_t i = 0; i < stats.size(); ++i) {
    const auto& s = stats[i];
    out << (i ? "," : "") << "{\"epoch\":" << s.epoch << ",\"train_loss\":" << s.train_loss
        << ",\"train_acc\":" << s.train_acc << ",\"test_acc\":" << s.test_acc << ",\"seconds\":" << s.seconds
        << ",\"eval_seconds\":" << s.eval_seconds << "}";
  }
  out << "],\"final_test_acc\":" << final_acc << ",\"total_seconds\":" << total << "}\n";
  if (!out) throw tg::IOError("--metrics-json: cannot write " + path);
}

namespace detail {
// An axis from lo to hi with about `ticks` round steps (1, 2 or 5 times a
// power of ten) that cover [lo, hi].
struct Axis {
  double lo, hi, step;
};
inline Axis nice_axis(double lo, double hi, int ticks) {
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / ticks, mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * mag;
  for (double m : {1.0, 2.0, 5.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  return {std::floor(lo / step + 1e-9) * step, std::ceil(hi / step - 1e-9) * step, step};
}
inline int decimals(double step) { return std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9))); }
}  // namespace detail

/// The d2l train_ch3 picture as two panels over the epochs: the training loss
/// above, from 0, and the train and test accuracy below, on an axis zoomed to
/// their range (in %), each with its legend to the right of the plot.
inline void write_svg(const std::string& path, const std::vector<EpochStats>& stats, const std::string& title) {
  const double W = 720, L = 64, R = 140, T = 44, P = 170, Gap = 44, B = 46;
  const double H = T + P + Gap + P + B, plot_w = W - L - R;
  const double n = static_cast<double>(stats.size());
  auto X = [&](double e) { return L + plot_w * (stats.size() <= 1 ? 0.5 : (e - 1) / (n - 1)); };

  double loss_max = 0, acc_lo = 1, acc_hi = 0;
  for (const auto& s : stats) {
    loss_max = std::max(loss_max, s.train_loss);
    acc_lo = std::min({acc_lo, s.train_acc, s.test_acc});
    acc_hi = std::max({acc_hi, s.train_acc, s.test_acc});
  }
  const detail::Axis loss_axis = detail::nice_axis(0, loss_max > 0 ? loss_max : 1, 4);
  const double pad = std::max(acc_hi - acc_lo, 0.002) * 0.1;
  detail::Axis acc_axis = detail::nice_axis(std::max(0.0, acc_lo - pad) * 100, std::min(1.0, acc_hi + pad) * 100, 4);
  if (acc_lo > acc_hi) acc_axis = {0, 100, 25};  // no epochs

  struct Series {
    const char* name;
    const char* color;
    double EpochStats::*field;
    const char* dash;
    double scale;
  };
  struct Panel {
    double top;
    detail::Axis axis;
    const char* label;
    std::vector<Series> series;
  };
  const Panel panels[] = {
      {T, loss_axis, "loss", {{"train loss", "#1f77b4", &EpochStats::train_loss, "", 1}}},
      {T + P + Gap, acc_axis, "accuracy [%]",
       {{"train acc", "#ff7f0e", &EpochStats::train_acc, "6,3", 100},
        {"test acc", "#2ca02c", &EpochStats::test_acc, "", 100}}}};

  std::ostringstream svg;
  svg << std::fixed << std::setprecision(2);
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg << "<text x=\"" << L + plot_w / 2 << "\" y=\"24\" text-anchor=\"middle\" font-size=\"14\">" << title
      << "</text>\n";
  for (const Panel& p : panels) {
    const detail::Axis& a = p.axis;
    auto Y = [&](double v) { return p.top + P - P * (v - a.lo) / (a.hi - a.lo); };
    const int dec = detail::decimals(a.step);
    for (double v = a.lo; v <= a.hi + a.step / 2; v += a.step) {  // grid and y labels
      svg << "<line x1=\"" << L << "\" x2=\"" << L + plot_w << "\" y1=\"" << Y(v) << "\" y2=\"" << Y(v)
          << "\" stroke=\"#ddd\"/><text x=\"" << L - 6 << "\" y=\"" << Y(v) + 4 << "\" text-anchor=\"end\">"
          << std::setprecision(dec) << v << std::setprecision(2) << "</text>\n";
    }
    svg << "<text transform=\"translate(16," << p.top + P / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
        << p.label << "</text>\n";
    svg << "<rect x=\"" << L << "\" y=\"" << p.top << "\" width=\"" << plot_w << "\" height=\"" << P
        << "\" fill=\"none\" stroke=\"#333\"/>\n";
    int k = 0;
    for (const Series& s : p.series) {
      svg << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"2\" stroke-dasharray=\"" << s.dash
          << "\" points=\"";
      for (size_t i = 0; i < stats.size(); ++i)
        svg << X(static_cast<double>(i + 1)) << "," << Y(stats[i].*s.field * s.scale) << " ";
      svg << "\"/>\n";
      for (size_t i = 0; i < stats.size(); ++i)
        svg << "<circle cx=\"" << X(static_cast<double>(i + 1)) << "\" cy=\"" << Y(stats[i].*s.field * s.scale)
            << "\" r=\"2.5\" fill=\"" << s.color << "\"/>\n";
      const double lx = L + plot_w + 14, ly = p.top + 14 + 18 * k++;  // legend, right of the plot
      svg << "<line x1=\"" << lx << "\" x2=\"" << lx + 26 << "\" y1=\"" << ly - 4 << "\" y2=\"" << ly - 4
          << "\" stroke=\"" << s.color << "\" stroke-width=\"2\" stroke-dasharray=\"" << s.dash << "\"/><text x=\""
          << lx + 32 << "\" y=\"" << ly << "\">" << s.name << "</text>\n";
    }
  }
  const double axis_y = T + P + Gap + P;
  const size_t every = std::max<size_t>(1, (stats.size() + 19) / 20);  // at most about 20 epoch labels
  for (size_t i = 0; i < stats.size(); i += every)
    svg << "<text x=\"" << X(static_cast<double>(i + 1)) << "\" y=\"" << axis_y + 18
        << "\" text-anchor=\"middle\">" << i + 1 << "</text>\n";
  svg << "<text x=\"" << L + plot_w / 2 << "\" y=\"" << H - 8 << "\" text-anchor=\"middle\">epoch</text>\n";
  svg << "</svg>\n";
  std::ofstream out(path);
  out << svg.str();
  if (!out) throw tg::IOError("--plot: cannot write " + path);
}

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

/// Trains `net` (through `train_net`: net itself, or net under
/// DistributedDataParallel) for `epochs` epochs over loader's batches (x, y)
/// with cross-entropy (nll_loss when the network ends in log_softmax:
/// log_probs), stepping sched (if any) after every epoch, and prints
/// a line per epoch with the accuracy on (test_x, test_y).
template <class Loader>
std::vector<EpochStats> train_epochs(nn::Module<float>& net, nn::Module<float>& train_net,
                                     examples::DistributedGlue& dist, optim::Optimizer<float>& opt,
                                     optim::LRScheduler<float>* sched, Loader& loader, int64_t epochs,
                                     const tg::Tensor<float>& test_x, const tg::Tensor<int64_t>& test_y,
                                     bool log_probs) {
  std::vector<EpochStats> stats;
  nn::CrossEntropyLoss<float> loss_fn;
  Progress progress(isatty(fileno(stdout)) != 0);
  std::printf("%5s %11s %10s %9s %8s %10s\n", "epoch", "train_loss", "train_acc", "test_acc", "seconds", "samples/s");
  for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
    const auto t0 = Clock::now();
    double loss_sum = 0;
    int64_t seen = 0, correct = 0, batch_no = 0;
    dist.set_epoch(epoch);
    for (auto& batch : loader) {
      auto logits = train_net(batch.x);
      auto loss = log_probs ? tg::F::nll_loss(logits, batch.y) : loss_fn(logits, batch.y);
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
    dist.sum_over_ranks(loss_sum, seen, correct);
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

/// The flags both examples take; each example's Config derives from it.
struct CommonConfig {
  std::string preset, dataset = "mnist", data_dir, optimizer, schedule = "none";
  std::string save, load, plot, metrics_json;
  int64_t epochs = 10, batch_size = 64, seed = 42, threads = 0;
  double lr = 1e-3, momentum = 0, weight_decay = 0;
  bool log_probs = false;  // the preset's network ends in log_softmax (PyTorch's examples/mnist): train with nll_loss

  /// What --save stores with the weights and --load compares with the flags;
  /// an example's Config hides it to add its architecture flags (keys other
  /// than dataset and preset name a flag: "hidden" is --hidden).
  std::map<std::string, std::string> metadata() const { return {{"dataset", dataset}, {"preset", preset}}; }
};

/// argv as a Config: the preset first (apply_preset(c), so that every other
/// flag overrides it), then the shared flags, then extra(c, flag, value) for
/// the example's own (false: an unknown flag). schedules: the accepted --schedule values.
template <class Config, class Preset, class Extra>
Config parse_flags(int argc, char** argv, const std::string& default_preset, Preset apply_preset,
                   std::initializer_list<const char*> schedules, Extra extra) {
  const std::vector<std::string> args = split_flags(argc, argv);
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
    else if (f == "--optimizer")
      c.optimizer = one_of(f, v, {"sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "nadam", "radam"});
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
  // --load evaluates a saved model without training: there is no curve to
  // plot and nothing new to save, so say so rather than ignore the flags.
  if (!c.load.empty() && (!c.plot.empty() || !c.save.empty()))
    throw std::invalid_argument(std::string("--load evaluates a saved model without training, so ") +
                                (c.plot.empty() ? "--save" : "--plot") +
                                " has nothing to write; drop it, or drop --load to train");
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

/// --metrics-json, saying where it wrote.
inline void report_json(const std::string& path, const std::vector<EpochStats>& stats, double final_acc,
                        double total) {
  if (path.empty()) return;
  write_json(path, stats, final_acc, total);
  std::printf("wrote the metrics to %s\n", path.c_str());
}

/// --load: evaluates the saved model on the test set (and writes
/// --metrics-json). A file whose tensors do not fit the network built here
/// gets an error naming the flags that choose the network; one trained on
/// another dataset or preset a warning.
template <class Config>
int evaluate_saved(const std::string& program, nn::Module<float>& net, const Config& cfg, const MnistSets& data) {
  const auto t0 = Clock::now();
  const std::map<std::string, std::string> want = cfg.metadata();
  std::map<std::string, std::string> saved;
  try {
    nn::load(net, cfg.load, &saved);
  } catch (const tg::ShapeError& e) {
    std::string here = "--preset " + cfg.preset, flags = "--preset", was;
    std::string arch;  // the architecture flags beyond the preset, e.g. ", hidden 256"
    for (const auto& [key, value] : want)
      if (key != "dataset" && key != "preset") arch += ", " + key + " " + value, flags += " (or --" + key + ")";
    if (!arch.empty()) here += " (" + arch.substr(2) + ")";
    if (saved.count("preset")) {
      was = " (it was saved by --preset " + saved["preset"];
      for (const auto& [key, value] : want)
        if (key != "dataset" && key != "preset" && saved.count(key)) was += ", " + key + " " + saved[key];
      was += ")";
    }
    throw tg::ShapeError(std::string(e.what()) + ": the model built here is " + here + "; pass the " + flags +
                         " the file was trained with" + was);
  }
  for (const auto& [key, value] : want)
    if (saved.count(key) && saved[key] != value)
      std::fprintf(stderr, "%s: warning: %s was trained with %s %s, evaluated here with %s %s\n", program.c_str(),
                   cfg.load.c_str(), key.c_str(), saved[key].c_str(), key.c_str(), value.c_str());
  const double acc = accuracy(net, data.test.images(), data.test.labels());
  std::printf("test accuracy of %s: %.4f\n", cfg.load.c_str(), acc);
  report_json(cfg.metrics_json, {}, acc, std::chrono::duration<double>(Clock::now() - t0).count());
  return 0;
}

/// sgd | adam | adamw | rmsprop | adagrad | adadelta | nadam | radam over params
/// (the others' options at PyTorch's defaults).
inline std::unique_ptr<optim::Optimizer<float>> make_optimizer(const std::string& name,
                                                               std::vector<tg::Tensor<float>> params, double lr,
                                                               double momentum, double weight_decay) {
  if (name == "sgd")
    return std::make_unique<optim::SGD<float>>(std::move(params), optim::SGDOptions{.lr = lr, .momentum = momentum});
  if (name == "adam") return std::make_unique<optim::Adam<float>>(std::move(params), optim::AdamOptions{.lr = lr});
  if (name == "rmsprop")
    return std::make_unique<optim::RMSprop<float>>(std::move(params), optim::RMSpropOptions{.lr = lr});
  if (name == "adagrad")
    return std::make_unique<optim::Adagrad<float>>(std::move(params), optim::AdagradOptions{.lr = lr});
  if (name == "adadelta")
    return std::make_unique<optim::Adadelta<float>>(std::move(params), optim::AdadeltaOptions{.lr = lr});
  if (name == "nadam") return std::make_unique<optim::NAdam<float>>(std::move(params), optim::NAdamOptions{.lr = lr});
  if (name == "radam") return std::make_unique<optim::RAdam<float>>(std::move(params), optim::RAdamOptions{.lr = lr});
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

/// After training: the final accuracy line, then --save (with cfg.metadata()),
/// --metrics-json and --plot, each saying where it wrote.
template <class Config>
void finish_run(const std::string& program, nn::Module<float>& net, const Config& cfg,
                const std::vector<EpochStats>& stats, double final_acc, double total) {
  std::printf("final test accuracy %.4f after %lld epochs in %.1f s\n", final_acc,
              static_cast<long long>(cfg.epochs), total);
  if (!cfg.save.empty()) {
    nn::save(net, cfg.save, cfg.metadata());
    std::printf("saved the model to %s\n", cfg.save.c_str());
  }
  report_json(cfg.metrics_json, stats, final_acc, total);
  if (!cfg.plot.empty()) {
    write_svg(cfg.plot, stats, program + " --preset " + cfg.preset + " on " + cfg.dataset);
    std::printf("wrote the training curve to %s\n", cfg.plot.c_str());
  }
}

/// An example's main: take --distributed (distributed_glue.hpp), parse the
/// flags, check the output paths, load the data in `layout`, build the
/// network (build(cfg)), then evaluate a --load model, or train with
/// make_optimizer's optimizer and schedule(cfg, optimizer) (null: none) over
/// [B, ...] batches of the uint8 pixels divided by 255 on the way (the values
/// of images(), with a quarter of the memory traffic), and finish_run.
template <class Config, class Parse, class Build, class Schedule>
int run_example(const char* program, const char* usage, int argc, char** argv, Parse parse,
                tg::data::MNIST::Layout layout, Build build, Schedule schedule) {
  examples::DistributedGlue dist(argc, argv);
  Config cfg;
  if (auto code = parse_command_line(program, usage, parse, argc, argv, cfg)) return *code;
  try {
    const int threads = setup_process(cfg.threads);
    tg::manual_seed(static_cast<uint64_t>(cfg.seed));

    // Output paths are checked now, not after the training that fills them.
    if (!cfg.save.empty()) check_writable("--save", cfg.save);
    if (!cfg.plot.empty()) check_writable("--plot", cfg.plot);
    if (!cfg.metrics_json.empty()) check_writable("--metrics-json", cfg.metrics_json);

    std::optional<MnistSets> data;
    try {
      data.emplace(cfg.data_dir, cfg.dataset, layout);
    } catch (const tg::IOError& e) {
      std::cerr << program << ": " << e.what() << "\n"
                << "(fetch the data with tools/fetch-data.sh, or name a directory with --data)\n";
      dist.failed();
      return 1;
    }
    auto net = build(cfg);
    auto train_net = dist.wrap(net);
    dist.rank0_only(cfg.save, cfg.plot, cfg.metrics_json);
    if (!cfg.load.empty()) return evaluate_saved(program, *net, cfg, *data);

    print_setup(*net, cfg.preset, cfg.optimizer, cfg.lr, cfg.batch_size, cfg.epochs, threads, cfg.seed);
    const auto t_start = Clock::now();
    auto opt = make_optimizer(cfg.optimizer, net->parameters(), cfg.lr, cfg.momentum, cfg.weight_decay);
    std::unique_ptr<optim::LRScheduler<float>> sched = schedule(cfg, *opt);
    tg::data::DataLoader loader(data->train.pixels(), data->train.labels(),
                                {.batch_size = cfg.batch_size, .shuffle = !dist.on(),
                                 .sampler = dist.sampler(data->train.size(), cfg.seed)},
                                255.0f);
    const auto stats = train_epochs(*net, *train_net, dist, *opt, sched.get(), loader, cfg.epochs,
                                    data->test.images(), data->test.labels(), cfg.log_probs);
    const double total = std::chrono::duration<double>(Clock::now() - t_start).count();
    const double final_acc =
        stats.empty() ? accuracy(*net, data->test.images(), data->test.labels()) : stats.back().test_acc;
    finish_run(program, *net, cfg, stats, final_acc, total);
    return 0;
  } catch (const tg::Error& e) {
    std::cerr << program << ": " << e.what() << "\n";
    dist.failed();
    return 1;
  }
}

}  // namespace mnist_example
