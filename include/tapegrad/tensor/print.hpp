#pragma once
// Printing: `std::cout << t` writes exactly what PyTorch 1.13's str(t) gives
// with the default print options (torch/_tensor_str.py):
//   tensor([[1., 0.],
//           [0., 1.]])
//   tensor([ 1.5000, -2.2500,  3.0000])
//   tensor([1, 2, 3], dtype=torch.int32)
// Note [Print formatter]: one formatter is built over the values that will be
// shown (all of them, or the edge items of a summarised tensor) and picks one
// style and one width for every element: floats whose nonzero finite values
// are all integral print as `1.`; otherwise `%.4f`, or `%.4e` when the
// nonzero finite magnitudes span more than 1000x, exceed 1e8 or go below
// 1e-4. Only nonzero finite values decide the style and the width; zeros,
// nan and inf are padded to that width but never widen it.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "tensor.hpp"

namespace tapegrad {

namespace detail::print {

// PyTorch's default PRINT_OPTS.
inline constexpr int kPrecision = 4;
inline constexpr int64_t kThreshold = 1000;  // more elements than this: summarise
inline constexpr int64_t kEdgeItems = 3;
inline constexpr int64_t kLineWidth = 80;

inline int64_t len(const std::string& s) { return static_cast<int64_t>(s.size()); }

enum class FloatStyle { Integral, Fixed, Scientific };

// Python's "{:.Nf}" / "{:.Ne}" of a double; nan prints as "nan" whatever its
// sign bit (C's printf would say "-nan").
inline std::string format_float(double v, FloatStyle style) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  std::ostringstream os;
  os.imbue(std::locale::classic());
  // precision() rather than std::setprecision: <iomanip> brings <locale>
  os << (style == FloatStyle::Scientific ? std::scientific : std::fixed);
  os.precision(style == FloatStyle::Integral ? 0 : kPrecision);
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
  explicit Formatter(const std::vector<T>& shown) {
    if constexpr (!FloatingElement<T>) {
      for (T v : shown) width_ = std::max(width_, len(format_plain(v)));
    } else {
      std::vector<double> vals;  // nonzero finite values, as Python floats
      for (T v : shown)
        if (std::isfinite(v) && v != 0) vals.push_back(static_cast<double>(v));
      if (vals.empty()) return;  // Integral style, width 1
      double lo = std::abs(vals[0]), hi = lo;
      bool integral = true;
      for (double v : vals) {
        lo = std::min(lo, std::abs(v));
        hi = std::max(hi, std::abs(v));
        integral = integral && v == std::ceil(v);
      }
      const bool wide = hi / lo > 1000.0 || hi > 1.0e8;
      style_ = integral ? (wide ? FloatStyle::Scientific : FloatStyle::Integral)
                        : (wide || lo < 1.0e-4 ? FloatStyle::Scientific : FloatStyle::Fixed);
      // Integral style appends "." after measuring, hence the + 1.
      const int64_t extra = style_ == FloatStyle::Integral ? 1 : 0;
      for (double v : vals) width_ = std::max(width_, len(format_float(v, style_)) + extra);
    }
  }

  int64_t width() const { return width_; }

  /// One element, right-aligned to the common width.
  std::string format(T v) const {
    std::string s;
    if constexpr (FloatingElement<T>) {
      s = format_float(static_cast<double>(v), style_);
      if (style_ == FloatStyle::Integral && std::isfinite(v)) s += '.';
    } else {
      s = format_plain(v);
    }
    if (len(s) < width_) s.insert(0, static_cast<size_t>(width_ - len(s)), ' ');
    return s;
  }

 private:
  FloatStyle style_ = FloatStyle::Integral;
  int64_t width_ = 1;
};

// Whether a dim of this size shows only its first and last kEdgeItems, with
// "..." between the two halves.
inline bool elided(int64_t size, bool summarize) { return summarize && size > 2 * kEdgeItems; }

template <Element T>
struct Printer {
  const T* data;
  const Shape& sizes;
  const Shape& strides;
  bool summarize;

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
      if (elided(n, summarize) && i == kEdgeItems) i = n - kEdgeItems;
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
    const bool elide = elided(n, summarize);
    out += '[';
    if (ndim == 1) {
      const int64_t per_line = std::max<int64_t>(1, (kLineWidth - indent) / (fmt.width() + 2));
      std::string line_break = ",\n";
      line_break.append(static_cast<size_t>(indent + 1), ' ');
      int64_t k = 0;  // items so far, "..." included
      auto item = [&](const std::string& s) {
        if (k > 0) out += k % per_line == 0 ? line_break : std::string(", ");
        out += s;
        ++k;
      };
      for (int64_t i = 0; i < n; ++i) {
        if (elide && i == kEdgeItems) {
          item(" ...");
          i = n - kEdgeItems;
        }
        item(fmt.format(data[offset + i * strides[d]]));
      }
    } else {
      std::string sep = ",";  // append(): "lit" + string&& trips GCC 12's -Wrestrict (bug 105329)
      sep.append(static_cast<size_t>(ndim - 1), '\n').append(static_cast<size_t>(indent + 1), ' ');
      for (int64_t i = 0; i < n; ++i) {
        if (i > 0) out += sep;
        if (elide && i == kEdgeItems) {
          out += "...";
          out += sep;
          i = n - kEdgeItems;
        }
        write(out, d + 1, offset + i * strides[d], indent + 1, fmt);
      }
    }
    out += ']';
  }
};

// PyTorch's _add_suffixes: ", dtype=..." stays on the last line while it fits
// in the line width, else it starts a new line indented under "tensor(".
inline void add_suffixes(std::string& s, const std::vector<std::string>& suffixes, int64_t indent) {
  const size_t nl = s.rfind('\n');
  int64_t last_line = len(s) - (nl == std::string::npos ? -1 : static_cast<int64_t>(nl)) + 1;
  for (const std::string& suffix : suffixes) {
    const int64_t n = len(suffix);
    if (last_line + n + 2 > kLineWidth) {
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

/// str(t) of PyTorch 1.13 with default print options; "tensor(undefined)" for
/// a default-constructed tensor.
template <Element T>
std::string to_string(const Tensor<T>& t) {
  namespace p = detail::print;
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
    const p::Printer<T> printer{t.data_ptr(), t.sizes(), t.strides(), t.numel() > p::kThreshold};
    std::vector<T> shown;
    printer.each_shown(0, 0, [&](T v) { shown.push_back(v); });
    printer.write(s, 0, 0, indent, p::Formatter<T>(shown));
  }
  // PyTorch's autograd suffixes; its node names carry an overload number,
  // which tapegrad's do not track: always 0 (PyTorch's sum over dims is
  // SumBackward1, tapegrad prints SumBackward0)
  if (!t.is_leaf()) suffixes.push_back("grad_fn=<" + t.grad_fn_name() + "0>");
  else if (t.requires_grad()) suffixes.push_back("requires_grad=True");
  p::add_suffixes(s, suffixes, indent);
  return s;
}

template <Element T>
std::ostream& operator<<(std::ostream& os, const Tensor<T>& t) {
  return os << to_string(t);
}

}  // namespace tapegrad
