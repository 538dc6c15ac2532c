#pragma once
// AnyTensor: a tensor whose dtype is known only at run time (files hold
// several dtypes), and the byte-level helpers the file formats share.
#include <bit>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "../tensor/factory.hpp"

namespace tapegrad::io {

using AnyTensor = std::variant<Tensor<bool>, Tensor<uint8_t>, Tensor<int8_t>, Tensor<int16_t>,
                               Tensor<int32_t>, Tensor<int64_t>, Tensor<float>, Tensor<double>>;

/// The dtype name ("float32") of whatever an AnyTensor holds.
inline const char* dtype_name(const AnyTensor& t) {
  return std::visit([](const auto& x) { return tapegrad::dtype_name<typename std::decay_t<decltype(x)>::value_type>(); }, t);
}
inline Shape sizes(const AnyTensor& t) {
  return std::visit([](const auto& x) { return x.sizes(); }, t);
}

/// The Tensor<T> inside, or a DTypeError naming `what` and both dtypes.
template <Element T>
Tensor<T> get_as(const AnyTensor& t, const std::string& what) {
  const auto* p = std::get_if<Tensor<T>>(&t);
  TAPEGRAD_CHECK(p != nullptr, DTypeError, what, " has dtype ", dtype_name(t), ", expected ",
                 tapegrad::dtype_name<T>());
  return *p;
}

namespace detail {
inline std::vector<char> read_file(const std::string& path, const char* op) {
  std::ifstream in(path, std::ios::binary);
  TAPEGRAD_CHECK(in.good(), IOError, op, ": cannot open '", path, "'");
  // a directory opens, and then reports a size near 2^63
  std::error_code ec;
  TAPEGRAD_CHECK(std::filesystem::is_regular_file(path, ec), IOError, op, ": '", path, "' is not a regular file");
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::streamoff>(in.tellg());
  TAPEGRAD_CHECK(size >= 0, IOError, op, ": cannot read '", path, "'");
  in.seekg(0);
  std::vector<char> bytes(static_cast<size_t>(size));
  in.read(bytes.data(), size);
  TAPEGRAD_CHECK(in.gcount() == size, IOError, op, ": short read from '", path, "'");
  return bytes;
}

/// Write `bytes` to path atomically: a temporary file in the same directory,
/// renamed over the target only once complete, so a crash or a full disk
/// never leaves half a file.
inline void write_file_atomic(const std::string& path, const std::vector<char>& bytes, const char* op) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path tmp = target.string() + ".tmp" + std::to_string(std::random_device{}() % 1000000);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    TAPEGRAD_CHECK(out.good(), IOError, op, ": cannot create '", tmp.string(), "'");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out.good()) {
      out.close();
      std::error_code ec;
      fs::remove(tmp, ec);
      throw IOError(std::string(op) + ": writing '" + path + "' failed (disk full?)");
    }
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw IOError(std::string(op) + ": cannot rename the temporary file to '" + path + "'");
  }
}

// Element bytes in little-endian order, whatever the host.
template <Element T>
void append_le(std::vector<char>& out, const Tensor<T>& t) {
  // unrecorded copy: saving needs no autograd, and t.contiguous() would
  // compile a recorded clone for each of the eight dtypes
  const Tensor<T> c = t.is_contiguous() ? t : tapegrad::detail::copy_of(t);
  const size_t n = static_cast<size_t>(c.numel()) * sizeof(T);
  const size_t at = out.size();
  out.resize(at + n);
  if (n) std::memcpy(out.data() + at, c.data_ptr(), n);
  if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1)
    for (size_t i = at; i < at + n; i += sizeof(T)) std::reverse(out.begin() + static_cast<long>(i), out.begin() + static_cast<long>(i + sizeof(T)));
}
template <Element T>
Tensor<T> from_le(const char* data, const Shape& shape) {
  auto t = empty<T>(shape);
  const size_t n = static_cast<size_t>(t.numel()) * sizeof(T);
  if (n) std::memcpy(static_cast<void*>(t.data_ptr()), data, n);
  if constexpr (std::is_same_v<T, bool>) {
    // Any byte other than 0/1 is not a valid bool: normalise it.
    auto* raw = reinterpret_cast<unsigned char*>(t.data_ptr());
    for (size_t i = 0; i < n; ++i) raw[i] = raw[i] != 0;
  }
  if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1) {
    auto* b = reinterpret_cast<char*>(t.data_ptr());
    for (size_t i = 0; i < n; i += sizeof(T)) std::reverse(b + i, b + i + sizeof(T));
  }
  return t;
}

inline int64_t itemsize(const AnyTensor& t) {
  return std::visit([](const auto& x) { return static_cast<int64_t>(sizeof(typename std::decay_t<decltype(x)>::value_type)); }, t);
}
}  // namespace detail
}  // namespace tapegrad::io
