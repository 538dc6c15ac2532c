#pragma once
// Test helpers for tests/data/: IDX files built byte by byte, gzip
// compression (when the including TU has zlib), and a self-deleting
// temporary directory. Include after <tapegrad/data/idx.hpp>.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <tapegrad/data/idx.hpp>

namespace tapegrad_test {

using Bytes = std::vector<uint8_t>;

/// The big-endian bytes of one value, as IDX stores it.
template <class T>
void append_be(Bytes& out, T value) {
  unsigned char raw[sizeof(T)];
  std::memcpy(raw, &value, sizeof(T));
  if constexpr (std::endian::native == std::endian::little) {
    for (size_t i = sizeof(T); i-- > 0;) out.push_back(raw[i]);
  } else {
    for (size_t i = 0; i < sizeof(T); ++i) out.push_back(raw[i]);
  }
}

/// An IDX header (magic, type code, dims) followed by `payload`.
inline Bytes idx_header(uint8_t type, const std::vector<uint32_t>& dims) {
  Bytes b = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) append_be(b, d);
  return b;
}
inline Bytes idx_file(uint8_t type, const std::vector<uint32_t>& dims, const Bytes& payload) {
  Bytes b = idx_header(type, dims);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}
/// An IDX file of T values, with the type code and element order of T.
template <class T>
Bytes idx_of(const std::vector<uint32_t>& dims, const std::vector<T>& values) {
  Bytes b = idx_header(static_cast<uint8_t>(tapegrad::data::detail::idx_type_of<T>()), dims);
  for (T v : values) append_be(b, v);
  return b;
}

inline Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

#if TAPEGRAD_DATA_HAS_ZLIB
/// A gzip member holding `raw`. Level 0 (stored blocks) makes the layout
/// exact: a 10-byte gzip header, then per block of up to 65535 bytes a 5-byte
/// block header and the bytes themselves, then an 8-byte trailer (CRC, size).
inline Bytes gzip(const Bytes& raw, int level = Z_BEST_COMPRESSION) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("gzip: deflateInit2 failed");
  Bytes out(deflateBound(&zs, static_cast<uLong>(raw.size())) + 64);
  zs.next_in = const_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("gzip: deflate failed");
  return out;
}
#endif

/// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    namespace fs = std::filesystem;
    static std::atomic<uint64_t> counter{0};
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    for (int attempt = 0;; ++attempt) {
      path_ = fs::temp_directory_path() /
              ("tapegrad_" + tag + "_" + std::to_string(stamp) + "_" +
               std::to_string(counter++));
      if (fs::create_directory(path_)) break;
      if (attempt > 100) throw std::runtime_error("TempDir: cannot create " + path_.string());
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  const std::filesystem::path& path() const { return path_; }
  /// Write `bytes` to <dir>/<name>; returns the full path.
  std::filesystem::path write(const std::string& name, const Bytes& bytes) const {
    const auto p = path_ / name;
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!f) throw std::runtime_error("TempDir: cannot write " + p.string());
    return p;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace tapegrad_test
