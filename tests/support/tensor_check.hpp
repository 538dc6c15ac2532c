#pragma once
// Comparing tapegrad tensors with PyTorch reference records, shared by the
// tests under tests/ops/ and tests/nn/: shape, NaN positions, infinities and
// values within a tolerance (integers exactly), reported as text naming the
// first misfits; and the non-contiguous layouts the op tests run through.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <type_traits>
#include <variant>
#include <vector>

#include "support/reference.hpp"

namespace tapegrad_test {

/// "f32" / "f64" / "i64": the dtype part of record names.
template <class T>
std::string tag() {
  if constexpr (std::is_same_v<T, float>) return "f32";
  else if constexpr (std::is_same_v<T, double>) return "f64";
  else return "i64";
}

inline tapegrad::Shape shape_of(const RefTensor& r) { return tapegrad::Shape(r.shape.begin(), r.shape.end()); }

/// Record `name` of `file` as a Tensor<T>.
template <class T>
tapegrad::Tensor<T> load(const std::string& file, const std::string& name) {
  const RefTensor& r = ref(file, name);
  return tapegrad::from_vector(r.as<T>(), shape_of(r));
}

/// |got - want| <= atol + rtol * |want|. With signed_zeros, a zero reference
/// compared at atol 0 also needs the same sign (PyTorch keeps -0. in places).
struct Tol {
  double rtol = 0, atol = 0;
  bool signed_zeros = false;
};

/// Empty when `got` has the reference's shape and values: NaN exactly where it
/// has NaN, the same infinities, values within `tol` (exact for integers);
/// otherwise a description of the first mismatches.
template <class T>
std::string mismatch(const tapegrad::Tensor<T>& got, const RefTensor& want, Tol tol = {}) {
  std::ostringstream os;
  if (!got.defined()) return "tensor is undefined";
  if (!(got.sizes() == shape_of(want))) {
    os << "shape " << got.sizes() << " != " << shape_of(want);
    return os.str();
  }
  const std::vector<T> g = got.to_vector();
  int shown = 0;
  for (size_t i = 0; i < g.size() && shown < 4; ++i) {
    bool ok;
    if constexpr (tapegrad::FloatingElement<T>) {
      const double x = static_cast<double>(g[i]), w = want.values[i];
      if (std::isnan(w) || std::isnan(x)) ok = std::isnan(w) && std::isnan(x);
      else if (std::isinf(w) || std::isinf(x)) ok = x == w;
      else if (tol.signed_zeros && w == 0 && tol.atol == 0) ok = x == 0 && std::signbit(x) == std::signbit(w);
      else ok = std::abs(x - w) <= tol.atol + tol.rtol * std::abs(w);
    } else {
      ok = static_cast<int64_t>(g[i]) == want.ints[i];
    }
    if (!ok) {
      os.precision(10);
      os << "[" << i << "] got " << +g[i] << " want " << want.values[i] << "; ";
      ++shown;
    }
  }
  return os.str();
}

/// The same values as t, every other element of a buffer twice as long in the
/// last dim (a non-contiguous tensor).
template <class T>
tapegrad::Tensor<T> strided_copy(const tapegrad::Tensor<T>& t) {
  if (t.dim() == 0) return t;
  tapegrad::Shape big = t.sizes();
  big.back() *= 2;
  auto view = tapegrad::zeros<T>(big).slice(-1, 0, std::nullopt, 2);
  view.copy_(t);
  return view;
}

/// The same values as t laid out with reversed strides (column-major for 2-D).
template <class T>
tapegrad::Tensor<T> reversed_layout(const tapegrad::Tensor<T>& t) {
  tapegrad::Shape perm(t.dim());
  for (int64_t d = 0; d < t.dim(); ++d) perm[d] = t.dim() - 1 - d;
  return t.permute(perm).contiguous().permute(perm);
}

/// "2x3x1" as a shape ("" is 0-d): the fuzz generators' spelling.
inline tapegrad::Shape parse_x_shape(const std::string& s) {
  tapegrad::Shape out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, 'x'))
    if (!part.empty()) out.push_back(std::stoll(part));
  return out;
}

/// base laid out as the fuzz generators' layout() does
/// (tools/gen_fuzz_elementwise.py): c as it is, t reversed strides, s every
/// other element of a longer buffer, o at storage offset 1, e:<shape>
/// expanded to that shape.
template <class T>
tapegrad::Tensor<T> laid_out(const tapegrad::Tensor<T>& base, const std::string& view) {
  if (view == "c") return base;
  if (view == "t") return reversed_layout(base);
  if (view == "s") return strided_copy(base);
  if (view == "o") {
    auto v = tapegrad::zeros<T>({base.numel() + 1}).slice(0, 1).view(base.sizes());
    v.copy_(base);
    return v;
  }
  if (view.rfind("e:", 0) == 0) return base.expand(parse_x_shape(view.substr(2)));
  throw std::invalid_argument("fuzz spec: unknown view '" + view + "'");
}
/// Record r's values as T, laid out so.
template <class T>
tapegrad::Tensor<T> laid_out(const RefTensor& r, const std::string& view) {
  return laid_out(tapegrad::from_vector(r.as<T>(), shape_of(r)), view);
}

/// A tensor of any element type (the fuzz replays' operands).
using AnyTensor = std::variant<tapegrad::Tensor<bool>, tapegrad::Tensor<uint8_t>, tapegrad::Tensor<int8_t>,
                               tapegrad::Tensor<int16_t>, tapegrad::Tensor<int32_t>, tapegrad::Tensor<int64_t>,
                               tapegrad::Tensor<float>, tapegrad::Tensor<double>>;
/// Record r in its own dtype, laid out so.
inline AnyTensor laid_out_any(const RefTensor& r, const std::string& view) {
  const std::string& d = r.dtype;
  if (d == "bool") return laid_out<bool>(r, view);
  if (d == "uint8") return laid_out<uint8_t>(r, view);
  if (d == "int8") return laid_out<int8_t>(r, view);
  if (d == "int16") return laid_out<int16_t>(r, view);
  if (d == "int32") return laid_out<int32_t>(r, view);
  if (d == "int64") return laid_out<int64_t>(r, view);
  if (d == "float32") return laid_out<float>(r, view);
  if (d == "float64") return laid_out<double>(r, view);
  throw std::invalid_argument("fuzz spec: unknown dtype '" + d + "'");
}

/// The elements of got off want by more than rtol (|want| + scale), scale
/// the record's largest finite |want| but at least `floor` (NaN where want is
/// NaN, the same infinities), at most max_shown, as "<what>[k] got x want w; ".
template <class T>
std::string tolerance_mismatches(const tapegrad::Tensor<T>& got, const RefTensor& want, double rtol,
                                 double floor, int max_shown, const std::string& what = "") {
  double scale = floor;
  for (double w : want.values)
    if (std::isfinite(w)) scale = std::max(scale, std::abs(w));
  const std::vector<T> g = got.to_vector();
  std::ostringstream os;
  os.precision(12);
  int shown = 0;
  for (size_t k = 0; k < g.size() && shown < max_shown; ++k) {
    const double x = static_cast<double>(g[k]), w = want.values[k];
    bool ok;
    if (std::isnan(w) || std::isnan(x)) ok = std::isnan(w) && std::isnan(x);
    else if (std::isinf(w) || std::isinf(x)) ok = x == w;
    else ok = std::abs(x - w) <= rtol * (std::abs(w) + scale);
    if (!ok) {
      os << what << "[" << k << "] got " << x << " want " << w << "; ";
      ++shown;
    }
  }
  return os.str();
}

}  // namespace tapegrad_test
