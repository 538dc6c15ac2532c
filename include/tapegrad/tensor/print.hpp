#pragma once
// Printing: `std::cout << t` writes exactly what PyTorch 1.13's str(t) gives
// under the same print options (torch/_tensor_str.py; set_printoptions below):
//   tensor([[1., 0.],
//           [0., 1.]])
//   tensor([ 1.5000, -2.2500,  3.0000])
//   tensor([1, 2, 3], dtype=torch.int32)
// Note [Print formatter]: one formatter is built over the values that will be
// shown (all of them, or the edge items of a summarised tensor) and picks one
// style and one width for every element: floats whose nonzero finite values
// are all integral print as `1.`; otherwise `%.4f`, or `%.4e` when the
// nonzero finite magnitudes span more than 1000x, exceed 1e8 or go below
// 1e-4 (4 is the precision). Only nonzero finite values decide the style and
// the width; zeros, nan and inf are padded to that width but never widen it.
// A sci_mode set by set_printoptions overrides the style but not the width
// measured for the automatic one, as in PyTorch.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tensor.hpp"

namespace tapegrad {

/// torch.set_printoptions's arguments, in its order; a field left unset keeps
/// its current value, except sci_mode, which (as in PyTorch) is always
/// assigned: unset is automatic. profile is "default", "short" or "full" and
/// is applied before the other fields.
struct PrintOptions {
  std::optional<int> precision = std::nullopt;      // digits after the point (default 4)
  std::optional<int64_t> threshold = std::nullopt;  // more elements than this are summarised (1000)
  std::optional<int64_t> edgeitems = std::nullopt;  // items shown at each end of a summarised dim (3)
  std::optional<int64_t> linewidth = std::nullopt;  // characters per line (80)
  std::optional<std::string_view> profile = std::nullopt;
  std::optional<bool> sci_mode = std::nullopt;  // true: always %e, false: never, unset: automatic
};

namespace detail::print {

// Note [Print options]: one process-wide set, as PyTorch's PRINT_OPTS; set
// them before printing from several threads (printing only reads them).
struct Options {
  int precision = 4;
  int64_t threshold = 1000;  // more elements than this: summarise
  int64_t edgeitems = 3;
  int64_t linewidth = 80;
  std::optional<bool> sci_mode;
};
inline Options& options() {
  static Options o;
  return o;
}

inline int64_t len(const std::string& s) { return static_cast<int64_t>(s.size()); }

enum class FloatStyle { Integral, Fixed, Scientific };

// Python's "{:.Nf}" / "{:.Ne}" of a double; nan prints as "nan" whatever its
// sign bit (C's printf would say "-nan").
inline std::string format_float(double v, FloatStyle style, int precision) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  std::ostringstream os;
  os.imbue(std::locale::classic());
  // precision() rather than std::setprecision: <iomanip> brings <locale>
  os << (style == FloatStyle::Scientific ? std::scientific : std::fixed);
  os.precision(style == FloatStyle::Integral ? 0 : precision);
  os << v;
  return os.str();
}

/// Python's "{}" of one element (ints in decimal, bools as True/False).
template <Element T>
std::string format_plain(T v) {
  if constexpr (std::is_same_v<T, bool>) return v ? "True" : "False";
  else return std::to_string(static_cast<int64_t>(v));
}

template <Element T>
class Formatter {
 public:
  Formatter(const std::vector<T>& shown, const Options& opts) : precision_(opts.precision) {
    measure(shown);
    // A forced style keeps the width measured for the automatic one.
    if (opts.sci_mode)
      style_ = *opts.sci_mode ? FloatStyle::Scientific : (integral_ ? FloatStyle::Integral : FloatStyle::Fixed);
  }

  int64_t width() const { return width_; }

  /// One element, right-aligned to the common width.
  std::string format(T v) const {
    std::string s;
    if constexpr (FloatingElement<T>) {
      s = format_float(static_cast<double>(v), style_, precision_);
      if (style_ == FloatStyle::Integral && std::isfinite(v)) s += '.';
    } else {
      s = format_plain(v);
    }
    if (len(s) < width_) s.insert(0, static_cast<size_t>(width_ - len(s)), ' ');
    return s;
  }

 private:
  void measure(const std::vector<T>& shown) {
    if constexpr (!FloatingElement<T>) {
      for (T v : shown) width_ = std::max(width_, len(format_plain(v)));
    } else {
      std::vector<double> vals;  // nonzero finite values, as Python floats
      for (T v : shown)
        if (std::isfinite(v) && v != 0) vals.push_back(static_cast<double>(v));
      if (vals.empty()) return;  // Integral style, width 1
      double lo = std::abs(vals[0]), hi = lo;
      for (double v : vals) {
        lo = std::min(lo, std::abs(v));
        hi = std::max(hi, std::abs(v));
        integral_ = integral_ && v == std::ceil(v);
      }
      const bool wide = hi / lo > 1000.0 || hi > 1.0e8;
      style_ = integral_ ? (wide ? FloatStyle::Scientific : FloatStyle::Integral)
                         : (wide || lo < 1.0e-4 ? FloatStyle::Scientific : FloatStyle::Fixed);
      // Integral style appends "." after measuring, hence the + 1.
      const int64_t extra = style_ == FloatStyle::Integral ? 1 : 0;
      for (double v : vals) width_ = std::max(width_, len(format_float(v, style_, precision_)) + extra);
    }
  }

  FloatStyle style_ = FloatStyle::Integral;
  bool integral_ = true;  // every nonzero finite value is a whole number
  int precision_;
  int64_t width_ = 1;
};

// Whether a dim of this size shows only its first and last `edge` items, with
// "..." between the two halves.
inline bool elided(int64_t size, bool summarize, int64_t edge) { return summarize && size > 2 * edge; }

template <Element T>
struct Printer {
  const T* data;
  const Shape& sizes;
  const Shape& strides;
  bool summarize;
  const Options& opts;

  // Visit the shown elements of the sub-tensor at `offset` starting at dim d
  // in row-major order (PyTorch's get_summarized_data).
  template <class F>
  void each_shown(int64_t d, int64_t offset, F&& f) const {
    if (d == sizes.size()) {
      f(data[offset]);
      return;
    }
    const int64_t n = sizes[d];
    for (int64_t i = 0; i < n; ++i) {
      if (elided(n, summarize, opts.edgeitems) && i == opts.edgeitems) i = n - opts.edgeitems;
      each_shown(d + 1, offset + i * strides[d], f);
    }
  }

  // PyTorch's _tensor_str_with_formatter / _vector_str.
  void write(std::string& out, int64_t d, int64_t offset, int64_t indent,
             const Formatter<T>& fmt) const {
    const int64_t ndim = sizes.size() - d;
    if (ndim == 0) {
      out += fmt.format(data[offset]);
      return;
    }
    const int64_t n = sizes[d];
    const bool elide = elided(n, summarize, opts.edgeitems);
    out += '[';
    if (ndim == 1) {
      const int64_t per_line = std::max<int64_t>(1, (opts.linewidth - indent) / (fmt.width() + 2));
      std::string line_break = ",\n";
      line_break.append(static_cast<size_t>(indent + 1), ' ');
      int64_t k = 0;  // items so far, "..." included
      auto item = [&](const std::string& s) {
        if (k > 0) out += k % per_line == 0 ? line_break : std::string(", ");
        out += s;
        ++k;
      };
      for (int64_t i = 0; i < n; ++i) {
        if (elide && i == opts.edgeitems) {
          item(" ...");
          i = n - opts.edgeitems;
        }
        item(fmt.format(data[offset + i * strides[d]]));
      }
    } else {
      std::string sep = ",";  // append(): "lit" + string&& trips GCC 12's -Wrestrict (bug 105329)
      sep.append(static_cast<size_t>(ndim - 1), '\n').append(static_cast<size_t>(indent + 1), ' ');
      for (int64_t i = 0; i < n; ++i) {
        if (i > 0) out += sep;
        if (elide && i == opts.edgeitems) {
          out += "...";
          out += sep;
          i = n - opts.edgeitems;
        }
        write(out, d + 1, offset + i * strides[d], indent + 1, fmt);
      }
    }
    out += ']';
  }
};

// PyTorch's _add_suffixes: ", dtype=..." stays on the last line while it fits
// in the line width, else it starts a new line indented under "tensor(".
inline void add_suffixes(std::string& s, const std::vector<std::string>& suffixes, int64_t indent,
                         int64_t linewidth) {
  const size_t nl = s.rfind('\n');
  int64_t last_line = len(s) - (nl == std::string::npos ? -1 : static_cast<int64_t>(nl)) + 1;
  for (const std::string& suffix : suffixes) {
    const int64_t n = len(suffix);
    if (last_line + n + 2 > linewidth) {
      s.append(",\n").append(static_cast<size_t>(indent), ' ').append(suffix);
      last_line = indent + n;
    } else {
      s.append(", ").append(suffix);
      last_line += n + 2;
    }
  }
  s += ')';
}

}  // namespace detail::print

/// torch.set_printoptions: how tensors print from now on (Note [Print options]),
/// `set_printoptions({.precision = 2, .sci_mode = false})`.
inline void set_printoptions(const PrintOptions& o) {
  auto& cur = detail::print::options();
  if (o.profile) {
    const std::string_view p = *o.profile;
    TAPEGRAD_CHECK(p == "default" || p == "short" || p == "full", ValueError,
                   "set_printoptions: profile must be \"default\", \"short\" or \"full\", got \"", std::string(p),
                   "\"");
    cur.precision = p == "short" ? 2 : 4;
    cur.threshold = p == "full" ? std::numeric_limits<int64_t>::max() : 1000;
    cur.edgeitems = p == "short" ? 2 : 3;
    cur.linewidth = 80;
  }
  if (o.precision) {
    TAPEGRAD_CHECK(*o.precision >= 0, ValueError, "set_printoptions: precision must be non-negative, got ",
                   *o.precision);
    cur.precision = *o.precision;
  }
  if (o.threshold) cur.threshold = *o.threshold;
  if (o.edgeitems) cur.edgeitems = *o.edgeitems;
  if (o.linewidth) cur.linewidth = *o.linewidth;
  cur.sci_mode = o.sci_mode;
}
/// The current print options, every field set (a copy to restore later).
inline PrintOptions get_printoptions() {
  const auto& cur = detail::print::options();
  return {cur.precision, cur.threshold, cur.edgeitems, cur.linewidth, std::nullopt, cur.sci_mode};
}

/// str(t) of PyTorch 1.13 under the current print options (set_printoptions);
/// "tensor(undefined)" for a default-constructed tensor.
template <Element T>
std::string to_string(const Tensor<T>& t) {
  namespace p = detail::print;
  const p::Options& opts = p::options();
  if (!t.defined()) return "tensor(undefined)";
  const std::string prefix = "tensor(";
  const int64_t indent = p::len(prefix);
  const std::string dtype = std::string("dtype=torch.") + dtype_name<T>();
  std::string s = prefix;
  std::vector<std::string> suffixes;
  if (t.numel() == 0) {
    // As NumPy: the shape is shown unless it is (0,), and the dtype unless it
    // is float32 (an empty tensor has no values to tell int64 from float).
    if (t.dim() != 1) {
      std::string size = "size=(";
      for (int64_t i = 0; i < t.dim(); ++i) size.append(i ? ", " : "").append(std::to_string(t.size(i)));
      suffixes.push_back(size + ")");
    }
    if (!std::is_same_v<T, float>) suffixes.push_back(dtype);
    s += "[]";
  } else {
    if (!(std::is_same_v<T, float> || std::is_same_v<T, int64_t> || std::is_same_v<T, bool>))
      suffixes.push_back(dtype);
    const p::Printer<T> printer{t.data_ptr(), t.sizes(), t.strides(), t.numel() > opts.threshold, opts};
    std::vector<T> shown;
    printer.each_shown(0, 0, [&](T v) { shown.push_back(v); });
    printer.write(s, 0, 0, indent, p::Formatter<T>(shown, opts));
  }
  // PyTorch's autograd suffixes; node names are PyTorch's, overload number
  // included (Note [grad_fn names] in autograd/node.hpp).
  if (!t.is_leaf()) suffixes.push_back("grad_fn=<" + t.grad_fn_name() + ">");
  else if (t.requires_grad()) suffixes.push_back("requires_grad=True");
  p::add_suffixes(s, suffixes, indent, opts.linewidth);
  return s;
}

template <Element T>
std::ostream& operator<<(std::ostream& os, const Tensor<T>& t) {
  return os << to_string(t);
}

}  // namespace tapegrad
