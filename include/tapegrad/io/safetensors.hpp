#pragma once
// The safetensors format (what Python's safetensors and PyTorch read and
// write): an 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
// "__metadata__": {"key": "value"}}, then the raw little-endian data.
// Loading validates everything before touching the data (Note [Untrusted files]).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "any_tensor.hpp"

namespace tapegrad::io {

using NamedTensors = std::vector<std::pair<std::string, AnyTensor>>;

namespace detail {
// A JSON value, only as much as safetensors headers need.
struct Json {
  struct Member;
  enum Kind { null, boolean, number, string, array, object } kind = null;
  double num = 0;
  bool integral = false;
  int64_t integer = 0;
  std::string str;
  std::vector<Json> items;
  std::vector<Member> members;  // an object's keys and values, in file order
};
// Not std::pair<std::string, Json>: instantiating that pair while Json is
// still incomplete is a hard error with clang and libstdc++ 12.
struct Json::Member {
  std::string first;
  Json second;
};

// Note [Untrusted files]: a model file may be truncated, corrupt or hostile.
// The parser bounds its recursion and every read; sizes are checked against
// the file before anything is allocated from them.
class JsonParser {
 public:
  /// max_members bounds every object and array (Note [Header parsing time]).
  JsonParser(const char* p, size_t n, std::string where, size_t max_members)
      : p_(p), end_(p + n), where_(std::move(where)), max_members_(max_members) {}
  Json parse() {
    Json v = value(0);
    skip_ws();
    if (p_ != end_) fail("trailing characters after the JSON header");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw IOError(where_ + ": invalid JSON header: " + what);
  }
  void skip_ws() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  void expect(char c) {
    skip_ws();
    if (p_ == end_ || *p_ != c) fail(std::string("expected '") + c + "'");
    ++p_;
  }
  Json value(int depth) {
    if (depth > 16) fail("nesting too deep");
    skip_ws();
    if (p_ == end_) fail("unexpected end");
    Json v;
    if (*p_ == '{') {
      v.kind = Json::object;
      ++p_;
      skip_ws();
      if (p_ != end_ && *p_ == '}') return ++p_, v;
      // Note [Header parsing time]: duplicate keys are found with an ordered
      // set (O(n log n) whatever the keys; a hash set could be flooded), and
      // the number of members is bounded, so a header parses in time and
      // memory linear in its size, up to a log factor.
      std::set<std::string_view> keys;
      for (;;) {
        skip_ws();
        std::string key = string_literal();
        if (v.members.size() >= max_members_) fail("more than " + std::to_string(max_members_) + " members in an object");
        expect(':');
        v.members.push_back(Json::Member{std::move(key), value(depth + 1)});
        skip_ws();
        if (p_ != end_ && *p_ == ',') { ++p_; continue; }
        expect('}');
        // the keys are checked once the members stop moving (string_views into them)
        for (const auto& m : v.members)
          if (!keys.insert(m.first).second) fail("duplicate key \"" + m.first + "\"");
        return v;
      }
    }
    if (*p_ == '[') {
      v.kind = Json::array;
      ++p_;
      skip_ws();
      if (p_ != end_ && *p_ == ']') return ++p_, v;
      for (;;) {
        if (v.items.size() >= max_members_) fail("more than " + std::to_string(max_members_) + " items in an array");
        v.items.push_back(value(depth + 1));
        skip_ws();
        if (p_ != end_ && *p_ == ',') { ++p_; continue; }
        expect(']');
        return v;
      }
    }
    if (*p_ == '"') {
      v.kind = Json::string;
      v.str = string_literal();
      return v;
    }
    if (literal("true")) return v.kind = Json::boolean, v.num = 1, v;
    if (literal("false")) return v.kind = Json::boolean, v;
    if (literal("null")) return v;
    return number();
  }
  bool literal(const char* word) {
    const size_t n = std::strlen(word);
    if (static_cast<size_t>(end_ - p_) >= n && std::memcmp(p_, word, n) == 0) {
      p_ += n;
      return true;
    }
    return false;
  }
  std::string string_literal() {
    if (p_ == end_ || *p_ != '"') fail("expected a string");
    ++p_;
    std::string s;
    while (p_ != end_ && *p_ != '"') {
      char c = *p_++;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
      if (c == '\\') {
        if (p_ == end_) fail("unterminated escape");
        char e = *p_++;
        switch (e) {
          case '"': case '\\': case '/': s += e; break;
          case 'b': s += '\b'; break;
          case 'f': s += '\f'; break;
          case 'n': s += '\n'; break;
          case 'r': s += '\r'; break;
          case 't': s += '\t'; break;
          case 'u': {
            if (end_ - p_ < 4) fail("bad \\u escape");
            unsigned cp = 0;
            for (int i = 0; i < 4; ++i) {
              const char h = *p_++;
              if (!std::isxdigit(static_cast<unsigned char>(h))) fail("bad \\u escape");
              cp = cp * 16 + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
            }
            // UTF-8 encode (surrogate pairs are kept as two code units)
            if (cp < 0x80) s += static_cast<char>(cp);
            else if (cp < 0x800) s += static_cast<char>(0xC0 | (cp >> 6)), s += static_cast<char>(0x80 | (cp & 0x3F));
            else s += static_cast<char>(0xE0 | (cp >> 12)), s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), s += static_cast<char>(0x80 | (cp & 0x3F));
            break;
          }
          default: fail("bad escape");
        }
      } else {
        s += c;
      }
    }
    if (p_ == end_) fail("unterminated string");
    ++p_;
    return s;
  }
  Json number() {
    const char* start = p_;
    if (p_ != end_ && *p_ == '-') ++p_;
    bool integral = true;
    while (p_ != end_ && (std::isdigit(static_cast<unsigned char>(*p_)) || *p_ == '.' || *p_ == 'e' || *p_ == 'E' || *p_ == '+' || *p_ == '-')) {
      if (!std::isdigit(static_cast<unsigned char>(*p_))) integral = false;
      ++p_;
    }
    if (p_ == start || (p_ - start == 1 && *start == '-')) fail("unexpected character");
    Json v;
    v.kind = Json::number;
    const std::string text(start, p_);
    v.num = std::strtod(text.c_str(), nullptr);
    if (integral && text.size() <= 18) {
      v.integral = true;
      v.integer = std::stoll(text);
    }
    return v;
  }

  const char* p_;
  const char* end_;
  std::string where_;
  size_t max_members_;
};

inline std::string json_escape(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else out += c;
  }
  return out + '"';
}

// safetensors dtype codes <-> AnyTensor alternatives.
inline const char* safetensors_dtype(const AnyTensor& t) {
  static const char* names[] = {"BOOL", "U8", "I8", "I16", "I32", "I64", "F32", "F64"};
  return names[t.index()];
}
template <size_t I = 0>
AnyTensor tensor_from_bytes(const std::string& dtype, const char* data, const Shape& shape, const std::string& where) {
  if constexpr (I == std::variant_size_v<AnyTensor>) {
    throw IOError(where + ": unsupported dtype \"" + dtype + "\" (tapegrad reads BOOL, U8, I8, I16, I32, I64, F32, F64)");
  } else {
    static const char* names[] = {"BOOL", "U8", "I8", "I16", "I32", "I64", "F32", "F64"};
    using T = typename std::variant_alternative_t<I, AnyTensor>::value_type;
    if (dtype == names[I]) return from_le<T>(data, shape);
    return tensor_from_bytes<I + 1>(dtype, data, shape, where);
  }
}
inline int64_t safetensors_itemsize(const std::string& dtype) {
  if (dtype == "BOOL" || dtype == "U8" || dtype == "I8") return 1;
  if (dtype == "I16" || dtype == "F16" || dtype == "BF16") return 2;
  if (dtype == "I32" || dtype == "F32") return 4;
  if (dtype == "I64" || dtype == "F64") return 8;
  return 0;
}
}  // namespace detail

/// Most tensors a safetensors file may hold (Note [Header parsing time]).
inline constexpr size_t kSafetensorsMaxTensors = size_t{1} << 18;

/// Write named tensors (and optional string metadata) as a safetensors file,
/// atomically (a temporary file renamed into place).
inline void save_safetensors(const std::string& path, const NamedTensors& tensors,
                             const std::map<std::string, std::string>& metadata = {}) {
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata) {
      if (!first) header += ',';
      header += detail::json_escape(k);  // appends only: see below (GCC 12 -Wrestrict)
      header += ':';
      header += detail::json_escape(v);
      first = false;
    }
    header += "}";
  }
  std::vector<char> data;
  std::set<std::string_view> names;  // (Note [Header parsing time])
  TAPEGRAD_CHECK(tensors.size() <= kSafetensorsMaxTensors, ValueError, "save_safetensors: ", tensors.size(),
                 " tensors, more than the ", kSafetensorsMaxTensors, " load_safetensors reads");
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& [name, t] = tensors[i];
    TAPEGRAD_CHECK(!name.empty() && name != "__metadata__", ValueError, "save_safetensors: invalid tensor name '", name, "'");
    TAPEGRAD_CHECK(names.insert(name).second, ValueError, "save_safetensors: duplicate tensor name '", name, "'");
    const size_t begin = data.size();
    std::visit([&](const auto& x) { detail::append_le(data, x); }, t);
    // Appends only: GCC 12 warns (-Wrestrict, a false positive, bug 105329)
    // on "literal" + std::string temporaries at -O2 and above.
    std::string shape = "[";
    const Shape s = io::sizes(t);
    for (int64_t d = 0; d < s.size(); ++d) {
      if (d) shape += ',';
      shape += std::to_string(s[d]);
    }
    if (header.size() > 1) header += ',';
    header += detail::json_escape(name);
    header += ":{\"dtype\":\"";
    header += detail::safetensors_dtype(t);
    header += "\",\"shape\":";
    header += shape;
    header += "],\"data_offsets\":[";
    header += std::to_string(begin);
    header += ',';
    header += std::to_string(data.size());
    header += "]}";
  }
  header += "}";
  while (header.size() % 8) header += ' ';  // the data starts 8-byte aligned, as Python's writer does
  // One buffer, filled with memcpy (vector::insert here trips a false
  // -Warray-bounds in GCC 12 at -O3).
  const uint64_t n = header.size();
  std::vector<char> file(8 + header.size() + data.size());
  for (int i = 0; i < 8; ++i) file[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  std::memcpy(file.data() + 8, header.data(), header.size());
  if (!data.empty()) std::memcpy(file.data() + 8 + header.size(), data.data(), data.size());
  detail::write_file_atomic(path, file, "save_safetensors");
}

namespace detail {
/// load_safetensors on a file's bytes; `where` starts every error (the
/// fuzz target, tests/fuzz/safetensors_fuzz.cpp, calls this directly).
inline NamedTensors parse_safetensors(const std::vector<char>& file, const std::string& where,
                                      std::map<std::string, std::string>* metadata) {
  TAPEGRAD_CHECK(file.size() >= 8, IOError, where, ": file has ", file.size(),
                 " bytes, too short for the 8-byte header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(file[static_cast<size_t>(i)]);
  TAPEGRAD_CHECK(n <= file.size() - 8, IOError, where, ": header length ", n, " exceeds the file size (",
                 file.size(), " bytes)");
  TAPEGRAD_CHECK(n <= 100'000'000, IOError, where, ": header length ", n, " is over the 100 MB limit");
  detail::Json root = detail::JsonParser(file.data() + 8, static_cast<size_t>(n), where, kSafetensorsMaxTensors + 1).parse();
  TAPEGRAD_CHECK(root.kind == detail::Json::object, IOError, where, ": the JSON header is not an object");
  const char* data = file.data() + 8 + n;
  const uint64_t data_size = file.size() - 8 - n;

  struct Entry { std::string name, dtype; Shape shape; uint64_t begin, end; };
  std::vector<Entry> entries;
  for (const auto& [name, v] : root.members) {
    if (name == "__metadata__") {
      TAPEGRAD_CHECK(v.kind == detail::Json::object, IOError, where, ": __metadata__ must be an object");
      for (const auto& [k, mv] : v.members) {
        TAPEGRAD_CHECK(mv.kind == detail::Json::string, IOError, where, ": __metadata__ value of '", k, "' is not a string");
        if (metadata) (*metadata)[k] = mv.str;
      }
      continue;
    }
    const std::string at = where + ": tensor '" + name + "'";
    TAPEGRAD_CHECK(v.kind == detail::Json::object, IOError, at, ": entry is not an object");
    const detail::Json *dtype = nullptr, *shape = nullptr, *offsets = nullptr;
    for (const auto& [k, f] : v.members) {
      if (k == "dtype") dtype = &f;
      else if (k == "shape") shape = &f;
      else if (k == "data_offsets") offsets = &f;
      else throw IOError(at + ": unknown field \"" + k + "\"");
    }
    TAPEGRAD_CHECK(dtype && dtype->kind == detail::Json::string, IOError, at, ": missing or invalid \"dtype\"");
    TAPEGRAD_CHECK(shape && shape->kind == detail::Json::array, IOError, at, ": missing or invalid \"shape\"");
    TAPEGRAD_CHECK(offsets && offsets->kind == detail::Json::array && offsets->items.size() == 2, IOError, at,
                   ": missing or invalid \"data_offsets\"");
    Entry e{name, dtype->str, {}, 0, 0};
    TAPEGRAD_CHECK(shape->items.size() <= 64, IOError, at, ": shape has ", shape->items.size(),
                   " dimensions, more than 64");
    // Note [Checked sizes] (core/shape.hpp): the product of the nonzero sizes
    // too, checked before it is formed
    int64_t numel = 1, nonzero = 1;
    for (const auto& d : shape->items) {
      TAPEGRAD_CHECK(d.kind == detail::Json::number && d.integral && d.integer >= 0 && d.integer < (int64_t{1} << 40),
                     IOError, at, ": invalid shape entry");
      e.shape.push_back(d.integer);
      TAPEGRAD_CHECK(tapegrad::detail::checked_mul(nonzero, std::max<int64_t>(d.integer, 1), nonzero) &&
                         nonzero < (int64_t{1} << 48),
                     IOError, at, ": shape is too large");
      numel = d.integer == 0 ? 0 : numel;
    }
    numel = numel == 0 ? 0 : nonzero;
    for (int i = 0; i < 2; ++i) {
      const auto& o = offsets->items[static_cast<size_t>(i)];
      TAPEGRAD_CHECK(o.kind == detail::Json::number && o.integral && o.integer >= 0, IOError, at,
                     ": invalid data_offsets");
    }
    e.begin = static_cast<uint64_t>(offsets->items[0].integer);
    e.end = static_cast<uint64_t>(offsets->items[1].integer);
    const int64_t item = detail::safetensors_itemsize(e.dtype);
    TAPEGRAD_CHECK(item > 0, IOError, at, ": unsupported dtype \"", e.dtype,
                   "\" (tapegrad reads BOOL, U8, I8, I16, I32, I64, F32, F64)");
    TAPEGRAD_CHECK(e.begin <= e.end && e.end <= data_size, IOError, at, ": data_offsets [", e.begin, ", ", e.end,
                   "] lie outside the data section of ", data_size, " bytes");
    const uint64_t need = static_cast<uint64_t>(numel) * static_cast<uint64_t>(item);  // < 2^51
    TAPEGRAD_CHECK(e.end - e.begin == need, IOError, at, ": data_offsets span ", e.end - e.begin,
                   " bytes but dtype ", e.dtype, " and shape ", e.shape, " need ", need);
    entries.push_back(std::move(e));
  }
  // The tensors must tile the data section exactly: no overlap, no gap.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t expected = 0;
  for (const auto& e : entries) {
    TAPEGRAD_CHECK(e.begin == expected, IOError, where, ": tensor '", e.name, "' data_offsets [", e.begin, ", ",
                   e.end, "] ", e.begin < expected ? "overlap the previous tensor" : "leave a gap after the previous tensor");
    expected = e.end;
  }
  TAPEGRAD_CHECK(expected == data_size, IOError, where, ": the data section has ", data_size,
                 " bytes but the tensors cover ", expected);
  NamedTensors out;
  for (const auto& e : entries)
    out.emplace_back(e.name, detail::tensor_from_bytes(e.dtype, data + e.begin, e.shape, where + ": tensor '" + e.name + "'"));
  return out;
}
}  // namespace detail

/// Read every tensor of a safetensors file, in data order. Throws IOError
/// naming the file (and tensor) on any inconsistency.
inline NamedTensors load_safetensors(const std::string& path,
                                     std::map<std::string, std::string>* metadata = nullptr) {
  return detail::parse_safetensors(detail::read_file(path, "load_safetensors"), "load_safetensors: " + path, metadata);
}

}  // namespace tapegrad::io
