#pragma once
// What the MNIST examples share (mnist_mlp.cpp, and the next model on the
// same data): command-line flags given as `--flag value` or `--flag=value`,
// output files checked before any training, per-epoch metrics as JSON, and
// the training-curve SVG.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <tapegrad/core/error.hpp>
#include <unistd.h>

namespace mnist_example {

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
    throw tapegrad::IOError(flag + ": cannot write " + path + ": directory " + dir.string() + " does not exist");
  if (fs::exists(p, ec) ? access(path.c_str(), W_OK) != 0 : access(dir.c_str(), W_OK) != 0)
    throw tapegrad::IOError(flag + ": cannot write " + path + ": permission denied");
}

struct EpochStats {
  int64_t epoch;
  double train_loss, train_acc, test_acc, seconds, samples_per_s;
  double eval_seconds;  // the test-set evaluation after the epoch, not in `seconds`
};

inline void write_json(const std::string& path, const std::vector<EpochStats>& stats, double final_acc,
                       double total) {
  std::ofstream out(path);
  out << std::setprecision(6) << "{\"epochs\":[";
  for (size_t i = 0; i < stats.size(); ++i) {
    const auto& s = stats[i];
    out << (i ? "," : "") << "{\"epoch\":" << s.epoch << ",\"train_loss\":" << s.train_loss
        << ",\"train_acc\":" << s.train_acc << ",\"test_acc\":" << s.test_acc << ",\"seconds\":" << s.seconds
        << ",\"eval_seconds\":" << s.eval_seconds << "}";
  }
  out << "],\"final_test_acc\":" << final_acc << ",\"total_seconds\":" << total << "}\n";
  if (!out) throw tapegrad::IOError("--metrics-json: cannot write " + path);
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
  if (!out) throw tapegrad::IOError("--plot: cannot write " + path);
}

}  // namespace mnist_example
