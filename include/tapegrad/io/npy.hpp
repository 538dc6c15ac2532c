#pragma once
// NumPy's .npy format for single tensors, the C++ side of the tutorials'
// from_numpy()/.numpy() round trips: np.save / np.load read and write these.
#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>
#include <vector>

#include "any_tensor.hpp"

namespace tapegrad::io {

namespace detail {
template <Element T>
constexpr const char* npy_descr() {
  if constexpr (std::is_same_v<T, bool>) return "|b1";
  else if constexpr (std::is_same_v<T, uint8_t>) return "|u1";
  else if constexpr (std::is_same_v<T, int8_t>) return "|i1";
  else if constexpr (std::is_same_v<T, int16_t>) return "<i2";
  else if constexpr (std::is_same_v<T, int32_t>) return "<i4";
  else if constexpr (std::is_same_v<T, int64_t>) return "<i8";
  else if constexpr (std::is_same_v<T, float>) return "<f4";
  else return "<f8";
}

// Note [npy header]: the header is a Python dict literal that NumPy reads
// with ast.literal_eval, e.g. {'descr': '<f4', 'fortran_order': False,
// 'shape': (2, 3), }. It is parsed here as literal_eval would for the forms
// NumPy writes (quoted strings without escapes, True/False/None, decimal
// integers, tuples, lists, nested dicts), then held to NumPy's rules: exactly
// the keys descr, fortran_order and shape, a bool, a tuple of non-negative
// ints. What literal_eval would refuse ('shape': (3 4)) is refused, and so is
// what NumPy refuses after it ('shape': 12, (3) is an int, not a tuple);
// duplicate keys, which a dict literal would silently resolve, too.
struct NpyValue {
  enum Kind { str, boolean, none, integer, tuple, list, dict } kind = none;
  std::string text;            // str: the contents; integer: the digits
  bool flag = false;           // boolean
  std::vector<NpyValue> items;  // tuple, list; dict: key, value, key, value, ...
};

class NpyHeaderParser {
 public:
  NpyHeaderParser(const std::string& h, const std::string& where) : h_(h), where_(where) {}
  NpyValue parse() {
    if (h_.empty() || h_[0] != '{') fail("expected a dict");
    NpyValue v = value(0);
    skip_ws();  // NumPy's padding: spaces and a newline
    if (p_ != h_.size()) fail("unexpected text after the dict");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    tapegrad::detail::throw_error<IOError>(where_, ": malformed header (", what, " at byte ", p_, ")");
  }
  void skip_ws() {
    // (inside brackets Python joins lines)
    while (p_ < h_.size() && (h_[p_] == ' ' || h_[p_] == '\t' || h_[p_] == '\n' || h_[p_] == '\r')) ++p_;
  }
  bool eat(char c) {
    skip_ws();
    if (p_ < h_.size() && h_[p_] == c) return ++p_, true;
    return false;
  }
  bool word(const char* w) {
    const size_t n = std::strlen(w);
    if (h_.compare(p_, n, w) != 0) return false;
    if (p_ + n < h_.size() && (std::isalnum(static_cast<unsigned char>(h_[p_ + n])) || h_[p_ + n] == '_')) return false;
    p_ += n;
    return true;
  }
  // Items up to `close`, comma separated, an optional trailing comma; sets
  // `comma` when any comma was seen ((3) is an int, (3,) a tuple).
  void sequence(NpyValue& v, char close, int depth, bool pairs, bool& comma) {
    comma = false;
    for (;;) {
      if (eat(close)) return;
      v.items.push_back(value(depth + 1));
      if (pairs) {
        if (!eat(':')) fail("expected ':'");
        v.items.push_back(value(depth + 1));
      }
      if (eat(',')) {
        comma = true;
        continue;
      }
      if (!eat(close)) fail(std::string("expected ',' or '") + close + "'");
      return;
    }
  }
  NpyValue value(int depth) {
    if (depth > 8) fail("nesting too deep");
    skip_ws();
    if (p_ >= h_.size()) fail("unexpected end");
    NpyValue v;
    const char c = h_[p_];
    bool comma = false;
    if (c == '{') {
      ++p_;
      v.kind = NpyValue::dict;
      sequence(v, '}', depth, true, comma);
    } else if (c == '[') {
      ++p_;
      v.kind = NpyValue::list;
      sequence(v, ']', depth, false, comma);
    } else if (c == '(') {
      ++p_;
      v.kind = NpyValue::tuple;
      sequence(v, ')', depth, false, comma);
      if (v.items.size() == 1 && !comma) {  // parentheses around one value
        NpyValue inner = std::move(v.items[0]);
        return inner;
      }
    } else if (c == '\'' || c == '"') {
      const size_t close = h_.find(c, p_ + 1);
      if (close == std::string::npos) fail("unterminated string");
      v.kind = NpyValue::str;
      v.text = h_.substr(p_ + 1, close - p_ - 1);
      for (char ch : v.text)
        if (ch == '\\' || ch == '\n') fail("unsupported character in a string");
      p_ = close + 1;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      const size_t b = p_;
      while (p_ < h_.size() && std::isdigit(static_cast<unsigned char>(h_[p_]))) ++p_;
      v.kind = NpyValue::integer;
      v.text = h_.substr(b, p_ - b);
      // Python 3 has no leading zeros ("012" is a syntax error), and "3L" or
      // "3.0" are not ints
      if (v.text.size() > 1 && v.text[0] == '0' && v.text.find_first_not_of('0') != std::string::npos)
        fail("leading zeros in an integer");
      if (p_ < h_.size() && (std::isalnum(static_cast<unsigned char>(h_[p_])) || h_[p_] == '.' || h_[p_] == '_'))
        fail("unsupported number");
    } else if (word("True")) {
      v.kind = NpyValue::boolean;
      v.flag = true;
    } else if (word("False")) {
      v.kind = NpyValue::boolean;
    } else if (word("None")) {
      v.kind = NpyValue::none;
    } else {
      fail("unexpected character");
    }
    return v;
  }

  const std::string& h_;
  const std::string& where_;
  size_t p_ = 0;
};

/// descr (as written, quoted), fortran_order and shape from a header.
struct NpyHeader {
  std::string descr;
  bool fortran = false;
  Shape shape;
};

inline std::string npy_repr(const NpyValue& v) {
  switch (v.kind) {
    case NpyValue::str: return "'" + v.text + "'";
    case NpyValue::boolean: return v.flag ? "True" : "False";
    case NpyValue::none: return "None";
    case NpyValue::integer: return v.text;
    case NpyValue::tuple: return "a tuple";
    case NpyValue::list: return "a list";
    default: return "a dict";
  }
}

inline NpyHeader parse_npy_header(const std::string& text, const std::string& where) {
  const NpyValue d = NpyHeaderParser(text, where).parse();
  const NpyValue *descr = nullptr, *fortran = nullptr, *shape = nullptr;
  std::string unknown;
  for (size_t i = 0; i < d.items.size(); i += 2) {
    const NpyValue& k = d.items[i];
    TAPEGRAD_CHECK(k.kind == NpyValue::str, IOError, where, ": header key ", npy_repr(k), " is not a string");
    const NpyValue** slot = k.text == "descr" ? &descr : k.text == "fortran_order" ? &fortran : k.text == "shape" ? &shape : nullptr;
    if (!slot) {
      if (unknown.empty()) unknown = k.text;
      continue;
    }
    TAPEGRAD_CHECK(*slot == nullptr, IOError, where, ": header has the key '", k.text, "' twice");
    *slot = &d.items[i + 1];
  }
  TAPEGRAD_CHECK(descr, IOError, where, ": header has no 'descr' field");
  TAPEGRAD_CHECK(fortran, IOError, where, ": header has no 'fortran_order' field");
  TAPEGRAD_CHECK(shape, IOError, where, ": header has no 'shape' field");
  TAPEGRAD_CHECK(unknown.empty(), IOError, where, ": header has an unknown key '", unknown, "'");
  NpyHeader h;
  // (a list descr is a structured dtype, which tapegrad does not read)
  h.descr = descr->kind == NpyValue::str ? npy_repr(*descr) : "of " + npy_repr(*descr) + " (a structured dtype)";
  TAPEGRAD_CHECK(fortran->kind == NpyValue::boolean, IOError, where, ": fortran_order must be True or False, got ",
                 npy_repr(*fortran));
  h.fortran = fortran->flag;
  TAPEGRAD_CHECK(shape->kind == NpyValue::tuple, IOError, where, ": shape must be a tuple of ints, got ", npy_repr(*shape));
  int64_t numel = 1;
  for (const NpyValue& e : shape->items) {
    TAPEGRAD_CHECK(e.kind == NpyValue::integer, IOError, where, ": shape must be a tuple of ints, got ", npy_repr(e),
                   " in it");
    // Note [Checked sizes] (core/shape.hpp): 18 digits fit in int64; the
    // product (of the nonzero sizes, for the strides) must too
    TAPEGRAD_CHECK(e.text.size() <= 18, IOError, where, ": shape entry ", e.text, " is too large");
    const int64_t n = std::stoll(e.text);
    TAPEGRAD_CHECK(tapegrad::detail::checked_mul(numel, std::max<int64_t>(n, 1), numel), IOError, where,
                   ": shape has more than 2^63 - 1 elements");
    h.shape.push_back(n);
  }
  TAPEGRAD_CHECK(h.shape.size() <= 64, IOError, where, ": shape has ", h.shape.size(), " dimensions, more than 64");
  return h;
}

template <size_t I = 0>
AnyTensor npy_make(const std::string& descr, const char* data, const Shape& shape, const std::string& where) {
  if constexpr (I == std::variant_size_v<AnyTensor>) {
    throw IOError(where + ": unsupported dtype " + descr + " (tapegrad reads little-endian b1 u1 i1 i2 i4 i8 f4 f8)");
  } else {
    using T = typename std::variant_alternative_t<I, AnyTensor>::value_type;
    std::string want = npy_descr<T>();
    // '<' and '|' (and '=' on little-endian hosts) mean the same for one-byte types.
    if (descr == "'" + want + "'" || (sizeof(T) == 1 && descr == "'<" + want.substr(1) + "'"))
      return from_le<T>(data, shape);
    return npy_make<I + 1>(descr, data, shape, where);
  }
}
}  // namespace detail

/// Write t as a .npy file (version 1.0, C order), atomically.
template <Element T>
void save_npy(const std::string& path, const Tensor<T>& t) {
  // Python's tuple: "()", "(5,)", "(2, 3)" (appends only: see save_safetensors)
  // (GCC 12 -O3 reports a false -Wrestrict for std::string += here; a stream avoids it.)
  std::ostringstream dims;
  dims << '(';
  for (int64_t d = 0; d < t.dim(); ++d) dims << (d ? ", " : "") << t.sizes()[d];
  dims << (t.dim() == 1 ? ",)" : ")");
  const std::string shape = dims.str();
  std::string header = std::string("{'descr': '") + detail::npy_descr<T>() + "', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  // Filled with memcpy: vector::insert here trips a false -Warray-bounds in GCC 12 -O3.
  std::vector<char> file(10 + header.size());
  std::memcpy(file.data(), "\x93NUMPY\x01\x00", 8);
  file[8] = static_cast<char>(header.size() & 0xFF);
  file[9] = static_cast<char>(header.size() >> 8);
  std::memcpy(file.data() + 10, header.data(), header.size());
  detail::append_le(file, t);
  detail::write_file_atomic(path, file, "save_npy");
}

/// Longest .npy header load_npy reads (NumPy's default max_header_size).
inline constexpr size_t kNpyMaxHeaderBytes = 10000;

namespace detail {
/// load_npy_any on a file's bytes; `where` starts every error (the fuzz
/// target, tests/fuzz/npy_fuzz.cpp, calls this directly).
inline AnyTensor parse_npy(const std::vector<char>& file, const std::string& where) {
  TAPEGRAD_CHECK(file.size() >= 10 && std::memcmp(file.data(), "\x93NUMPY", 6) == 0, IOError, where,
                 ": not a .npy file (bad magic)");
  const int major = file[6];
  TAPEGRAD_CHECK(major >= 1 && major <= 3, IOError, where, ": unsupported .npy version ", major);
  const size_t len_bytes = major == 1 ? 2 : 4, start = 8 + len_bytes;
  TAPEGRAD_CHECK(file.size() >= start, IOError, where, ": truncated header");
  size_t hlen = 0;
  for (size_t i = 0; i < len_bytes; ++i) hlen |= static_cast<size_t>(static_cast<unsigned char>(file[8 + i])) << (8 * i);
  TAPEGRAD_CHECK(hlen <= file.size() - start, IOError, where, ": header length ", hlen, " exceeds the file size (",
                 file.size(), " bytes)");
  TAPEGRAD_CHECK(hlen <= kNpyMaxHeaderBytes, IOError, where, ": header length ", hlen, " is over the ",
                 kNpyMaxHeaderBytes, "-byte limit");
  const detail::NpyHeader h = detail::parse_npy_header(std::string(file.data() + start, hlen), where);
  const std::string& descr = h.descr;
  const Shape& shape = h.shape;
  const size_t item = descr.size() == 5 ? static_cast<size_t>(descr[3] - '0') : 0;
  TAPEGRAD_CHECK(item == 1 || item == 2 || item == 4 || item == 8, IOError, where, ": unsupported dtype ", descr,
                 " (tapegrad reads little-endian b1 u1 i1 i2 i4 i8 f4 f8)");
  // numel fits in int64 (parse_npy_header) and the file is in memory, so
  // need cannot overflow once it is compared with what the file holds
  const int64_t numel = shape_numel(shape);
  const uint64_t have = file.size() - start - hlen;
  TAPEGRAD_CHECK(static_cast<uint64_t>(numel) <= have / item && static_cast<uint64_t>(numel) * item == have, IOError,
                 where, ": data has ", have, " bytes, shape ", shape, " and dtype ", descr, " need ",
                 static_cast<uint64_t>(numel) <= UINT64_MAX / item ? std::to_string(static_cast<uint64_t>(numel) * item)
                                                                    : std::string("more than 2^64"));
  if (h.fortran) {
    // Column-major data: read with reversed shape, then transpose back.
    Shape rev(std::make_reverse_iterator(shape.end()), std::make_reverse_iterator(shape.begin()));
    AnyTensor t = detail::npy_make(descr, file.data() + start + hlen, rev, where);
    return std::visit([&](const auto& x) -> AnyTensor {  // reversed dims, unrecorded
      Shape sizes(std::make_reverse_iterator(x.sizes().end()), std::make_reverse_iterator(x.sizes().begin()));
      Shape strides(std::make_reverse_iterator(x.strides().end()), std::make_reverse_iterator(x.strides().begin()));
      using X = std::decay_t<decltype(x)>;
      return tapegrad::detail::copy_of(X(tapegrad::detail::unchecked_layout, x.storage(), std::move(sizes),
                                         std::move(strides), x.storage_offset()));
    }, t);
  }
  return detail::npy_make(descr, file.data() + start + hlen, shape, where);
}
}  // namespace detail

/// Read a .npy file whatever its dtype. The header is checked as NumPy
/// checks it (Note [npy header]), the data size against the shape.
inline AnyTensor load_npy_any(const std::string& path) {
  return detail::parse_npy(detail::read_file(path, "load_npy"), "load_npy: " + path);
}

/// Read a .npy file holding dtype T (DTypeError otherwise).
template <Element T>
Tensor<T> load_npy(const std::string& path) {
  return get_as<T>(load_npy_any(path), "load_npy: " + path);
}

}  // namespace tapegrad::io
