#pragma once
// NumPy's .npy format for single tensors, the C++ side of the tutorials'
// from_numpy()/.numpy() round trips: np.save / np.load read and write these.
#include <sstream>
#include <string>

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

// The value after 'key': in numpy's header dict (a Python literal).
inline std::string npy_field(const std::string& header, const std::string& key, const std::string& where) {
  const std::string quoted = "'" + key + "'";
  const auto k = header.find(quoted);
  TAPEGRAD_CHECK(k != std::string::npos, IOError, where, ": header has no '", key, "' field");
  auto p = header.find(':', k + quoted.size());
  TAPEGRAD_CHECK(p != std::string::npos, IOError, where, ": malformed header");
  ++p;
  while (p < header.size() && header[p] == ' ') ++p;
  size_t e = p;
  if (p < header.size() && header[p] == '(') e = header.find(')', p) + 1;
  else if (p < header.size() && header[p] == '\'') e = header.find('\'', p + 1) + 1;
  else while (e < header.size() && header[e] != ',' && header[e] != '}') ++e;
  TAPEGRAD_CHECK(e != std::string::npos && e > p && e <= header.size(), IOError, where, ": malformed '", key, "' field");
  return header.substr(p, e - p);
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

/// Read a .npy file whatever its dtype.
inline AnyTensor load_npy_any(const std::string& path) {
  const std::vector<char> file = detail::read_file(path, "load_npy");
  const std::string where = "load_npy: " + path;
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
  const std::string header(file.data() + start, hlen);
  const std::string descr = detail::npy_field(header, "descr", where);
  const std::string fortran = detail::npy_field(header, "fortran_order", where);
  const std::string shape_text = detail::npy_field(header, "shape", where);
  TAPEGRAD_CHECK(fortran == "False" || fortran == "True", IOError, where, ": invalid fortran_order ", fortran);
  Shape shape;
  uint64_t numel = 1;
  for (size_t p = 1; p < shape_text.size();) {
    while (p < shape_text.size() && (shape_text[p] == ' ' || shape_text[p] == ',')) ++p;
    if (p >= shape_text.size() || shape_text[p] == ')') break;
    size_t e = p;
    while (e < shape_text.size() && std::isdigit(static_cast<unsigned char>(shape_text[e]))) ++e;
    TAPEGRAD_CHECK(e > p && e - p < 13, IOError, where, ": invalid shape ", shape_text);
    shape.push_back(std::stoll(shape_text.substr(p, e - p)));
    numel *= static_cast<uint64_t>(shape.back());
    TAPEGRAD_CHECK(numel < (uint64_t{1} << 48), IOError, where, ": shape ", shape_text, " is too large");
    p = e;
  }
  const size_t item = descr.size() == 5 ? static_cast<size_t>(descr[3] - '0') : 0;
  TAPEGRAD_CHECK(item == 1 || item == 2 || item == 4 || item == 8, IOError, where, ": unsupported dtype ", descr);
  const uint64_t need = numel * item, have = file.size() - start - hlen;
  TAPEGRAD_CHECK(need == have, IOError, where, ": data has ", have, " bytes, shape ", shape, " and dtype ", descr,
                 " need ", need);
  if (fortran == "True") {
    // Column-major data: read with reversed shape, then transpose back.
    Shape rev(std::make_reverse_iterator(shape.end()), std::make_reverse_iterator(shape.begin()));
    AnyTensor t = detail::npy_make(descr, file.data() + start + hlen, rev, where);
    return std::visit([&](const auto& x) -> AnyTensor {  // reversed dims, unrecorded
      Shape sizes(std::make_reverse_iterator(x.sizes().end()), std::make_reverse_iterator(x.sizes().begin()));
      Shape strides(std::make_reverse_iterator(x.strides().end()), std::make_reverse_iterator(x.strides().begin()));
      using X = std::decay_t<decltype(x)>;
      return tapegrad::detail::copy_of(X(x.storage(), std::move(sizes), std::move(strides), x.storage_offset()));
    }, t);
  }
  return detail::npy_make(descr, file.data() + start + hlen, shape, where);
}

/// Read a .npy file holding dtype T (DTypeError otherwise).
template <Element T>
Tensor<T> load_npy(const std::string& path) {
  return get_as<T>(load_npy_any(path), "load_npy: " + path);
}

}  // namespace tapegrad::io
