#pragma once
// read_idx: the IDX files of MNIST and Fashion-MNIST ("train-images-idx3-ubyte"),
// raw or gzip-compressed (detected by the 1f 8b magic, not the file name).
//
// An IDX file is: two zero bytes, an element type code, the number of
// dimensions, one big-endian uint32 per dimension, then the elements in
// row-major order, big-endian.
//
// Note [Reading untrusted IDX files]: a malformed file is a user mistake, so
// every problem is a tapegrad::IOError naming the file and what is wrong,
//   read_idx: train-images-idx3-ubyte: file has 1000 bytes, header promises 47040016
// and never a crash, an out-of-bounds read or a huge allocation:
//  - the header is read and checked field by field before anything is
//    allocated; dims whose product overflows or exceeds kIdxMaxDataBytes are
//    refused;
//  - a raw file's size must equal what the header promises before the tensor
//    is allocated; the data is then read straight into it;
//  - a gzip stream's decompressed size is unknown up front, but deflate
//    expands at most 1032:1, so a header promising more than that of the
//    compressed size is refused before allocating. The stream is inflated
//    straight into the tensor; it must end (CRC checked) exactly where the
//    header says, with nothing but further gzip members after it.
// tools/fuzz.sh runs libFuzzer with ASan/UBSan on read_idx_bytes
// (tests/fuzz/idx_fuzz.cpp) to keep it that way.
//
// zlib: tapegrad::data links it (CMake target tapegrad::data). Without it
// (TAPEGRAD_NO_ZLIB, or no <zlib.h>) raw files still work and a .gz file gives
// "read_idx: <file>: gzip support needs zlib". The functions live in an inline
// namespace named after that choice, so translation units built both ways can
// share one program.
#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <variant>

#include "../core/error.hpp"
#include "../core/shape.hpp"
#include "../tensor/factory.hpp"
#include "../tensor/tensor.hpp"

#if defined(TAPEGRAD_NO_ZLIB)
#define TAPEGRAD_DATA_HAS_ZLIB 0
#elif defined(__has_include)
#if __has_include(<zlib.h>)
#define TAPEGRAD_DATA_HAS_ZLIB 1
#else
#define TAPEGRAD_DATA_HAS_ZLIB 0
#endif
#else
#define TAPEGRAD_DATA_HAS_ZLIB 1
#endif

#if TAPEGRAD_DATA_HAS_ZLIB
#include <zlib.h>
#define TAPEGRAD_DATA_ZLIB_NS with_zlib
#else
#define TAPEGRAD_DATA_ZLIB_NS without_zlib
#endif

namespace tapegrad::data {

/// The element type codes of the IDX format.
enum class IdxType : uint8_t {
  uint8 = 0x08,
  int8 = 0x09,
  int16 = 0x0B,
  int32 = 0x0C,
  float32 = 0x0D,
  float64 = 0x0E,
};

/// Largest data section read_idx accepts (2 GiB; MNIST's largest file is 47 MB).
inline constexpr uint64_t kIdxMaxDataBytes = uint64_t{1} << 31;
/// Most dimensions read_idx accepts.
inline constexpr int kIdxMaxDims = 8;

/// What read_idx_header returns.
struct IdxHeader {
  IdxType type;
  Shape dims;
};

/// What read_idx returns: the tensor in the file's own element type.
struct IdxData {
  using Variant = std::variant<Tensor<uint8_t>, Tensor<int8_t>, Tensor<int16_t>,
                               Tensor<int32_t>, Tensor<float>, Tensor<double>>;
  Variant tensor;

  /// The dims from the header.
  const Shape& sizes() const {
    return std::visit([](const auto& t) -> const Shape& { return t.sizes(); }, tensor);
  }
  /// "uint8", "int16", "float32", ...
  const char* dtype_name() const {
    return std::visit([](const auto& t) {
      return tapegrad::dtype_name<typename std::decay_t<decltype(t)>::value_type>();
    }, tensor);
  }
  template <Element T>
  bool holds() const { return std::holds_alternative<Tensor<T>>(tensor); }
  /// The tensor as Tensor<T>; a DTypeError if the file holds another type.
  template <Element T>
  Tensor<T> get() const {
    TAPEGRAD_CHECK(holds<T>(), DTypeError, "IdxData::get: holds ", dtype_name(), " data, not ",
                   tapegrad::dtype_name<T>());
    return std::get<Tensor<T>>(tensor);
  }
};

namespace detail {

template <class T>
inline constexpr bool is_idx_element =
    std::is_same_v<T, uint8_t> || std::is_same_v<T, int8_t> || std::is_same_v<T, int16_t> ||
    std::is_same_v<T, int32_t> || std::is_same_v<T, float> || std::is_same_v<T, double>;

template <class T>
constexpr IdxType idx_type_of() {
  if constexpr (std::is_same_v<T, uint8_t>) return IdxType::uint8;
  else if constexpr (std::is_same_v<T, int8_t>) return IdxType::int8;
  else if constexpr (std::is_same_v<T, int16_t>) return IdxType::int16;
  else if constexpr (std::is_same_v<T, int32_t>) return IdxType::int32;
  else if constexpr (std::is_same_v<T, float>) return IdxType::float32;
  else return IdxType::float64;
}

/// Name and element size of a type code; nullptr / 0 for an unknown code.
inline const char* idx_type_name(uint8_t code) {
  switch (code) {
    case 0x08: return "uint8";
    case 0x09: return "int8";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return nullptr;
  }
}
inline uint64_t idx_type_size(uint8_t code) {
  switch (code) {
    case 0x08: case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C: case 0x0D: return 4;
    case 0x0E: return 8;
    default: return 0;
  }
}

/// "0x0b": a byte as it appears in a hex dump.
inline std::string idx_hex(uint8_t b) {
  const char* digits = "0123456789abcdef";
  return std::string{'0', 'x', digits[b >> 4], digits[b & 15]};
}

/// "1 byte", "4 bytes".
inline std::string count_bytes(uint64_t n) {
  return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

/// Big-endian file order to host order, in place.
template <class T>
void idx_from_big_endian(T* p, int64_t n) {
  if constexpr (sizeof(T) > 1 && std::endian::native == std::endian::little) {
    using U = std::conditional_t<sizeof(T) == 2, uint16_t,
                                 std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>;
    auto* bytes = reinterpret_cast<unsigned char*>(p);
    for (int64_t i = 0; i < n; ++i) {
      unsigned char* b = bytes + i * static_cast<int64_t>(sizeof(T));
      U v = 0;
      for (size_t k = 0; k < sizeof(T); ++k) v = static_cast<U>((v << 8) | b[k]);
      std::memcpy(b, &v, sizeof(T));
    }
  }
}

/// The bytes of an IDX file: a memory buffer or an open file, with the total
/// size known up front.
class IdxInput {
 public:
  IdxInput(const uint8_t* data, size_t size, const std::string& name)
      : mem_(data), size_(size), name_(name) {}
  IdxInput(std::FILE* file, uint64_t size, const std::string& name)
      : file_(file), size_(size), name_(name) {}

  uint64_t size() const { return size_; }
  const std::string& name() const { return name_; }

  /// The first n bytes (fewer if the input is shorter), leaving the
  /// position at the start.
  size_t peek(uint8_t* dst, size_t n) {
    const size_t got = read(dst, n);
    if (file_) {
      if (std::fseek(file_, 0, SEEK_SET) != 0)
        tapegrad::detail::throw_error<IOError>("read_idx: ", name_, ": cannot seek: ",
                                               std::strerror(errno));
    } else {
      pos_ = 0;
    }
    return got;
  }

  /// Up to n bytes; fewer only at the end.
  size_t read(uint8_t* dst, size_t n) {
    if (file_) {
      size_t got = n ? std::fread(dst, 1, n, file_) : 0;
      if (got < n && std::ferror(file_))
        tapegrad::detail::throw_error<IOError>("read_idx: ", name_, ": read error: ", std::strerror(errno));
      return got;
    }
    size_t got = std::min<size_t>(n, size_ - pos_);
    if (got) std::memcpy(dst, mem_ + pos_, got);
    pos_ += got;
    return got;
  }

 private:
  const uint8_t* mem_ = nullptr;
  std::FILE* file_ = nullptr;
  uint64_t size_ = 0;
  size_t pos_ = 0;
  const std::string& name_;
};

/// Raw IDX bytes: the input itself.
class IdxRawReader {
 public:
  explicit IdxRawReader(IdxInput& in) : in_(in) {}
  static constexpr bool kGzip = false;
  size_t read(uint8_t* dst, size_t n) { return in_.read(dst, n); }
  bool truncated() const { return false; }
  /// After the data: anything left is an error (the size check already
  /// covers it unless the file changed while being read).
  void expect_end(uint64_t promised) {
    uint8_t extra;
    if (in_.read(&extra, 1) != 0)
      tapegrad::detail::throw_error<IOError>("read_idx: ", in_.name(), ": file is longer than the ", promised,
                           " bytes the header promises");
  }

 private:
  IdxInput& in_;
};


}  // namespace detail

inline namespace TAPEGRAD_DATA_ZLIB_NS {
namespace idx_impl {

#if TAPEGRAD_DATA_HAS_ZLIB
/// Gzip-compressed IDX bytes, inflated on demand. Several concatenated gzip
/// members (as `cat a.gz b.gz` makes, and gunzip accepts) are one stream.
class GzipReader {
 public:
  static constexpr bool kGzip = true;
  static constexpr size_t kChunk = 64 * 1024;

  explicit GzipReader(detail::IdxInput& in) : in_(in), buf_(new uint8_t[kChunk]) {
    // 16 + MAX_WBITS: the gzip wrapper only (no zlib wrapper, no raw deflate).
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK)
      tapegrad::detail::throw_error<IOError>("read_idx: ", in_.name(), ": cannot initialise zlib");
  }
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;
  ~GzipReader() { inflateEnd(&zs_); }

  /// Up to n decompressed bytes; fewer when the stream ends or, with
  /// truncated() set, when the input ends inside the stream.
  size_t read(uint8_t* dst, size_t n) {
    size_t done = 0;
    while (done < n && !ended_ && !truncated_) {
      if (zs_.avail_in == 0 && !refill()) {
        truncated_ = true;
        break;
      }
      const size_t want = std::min<size_t>(n - done, size_t{1} << 30);  // uInt is 32 bits
      zs_.next_out = dst + done;
      zs_.avail_out = static_cast<uInt>(want);
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      done += want - zs_.avail_out;
      if (rc == Z_STREAM_END) {
        next_member();
      } else if (rc == Z_BUF_ERROR) {
        // No progress possible: inflate needs input, and avail_in is 0 here.
        if (zs_.avail_in != 0) corrupt("inflate made no progress");
      } else if (rc != Z_OK) {
        corrupt(zs_.msg ? zs_.msg : "zlib error " + std::to_string(rc));
      }
    }
    return done;
  }
  bool truncated() const { return truncated_; }

  /// After the data: the stream must end here, which also checks its CRC.
  void expect_end(uint64_t promised) {
    uint8_t extra;
    if (read(&extra, 1) != 0)
      tapegrad::detail::throw_error<IOError>("read_idx: ", in_.name(),
                                             ": decompressed data is longer than the ", promised,
                                             " bytes the header promises");
    if (truncated_)
      tapegrad::detail::throw_error<IOError>(
          "read_idx: ", in_.name(),
          ": truncated gzip stream: the data is complete but the stream's end and checksum are "
          "missing");
  }

 private:
  // Read more input after the bytes zlib has not consumed yet.
  bool refill() {
    const size_t keep = zs_.avail_in;
    if (keep && zs_.next_in != buf_.get()) std::memmove(buf_.get(), zs_.next_in, keep);
    const size_t got = in_.read(buf_.get() + keep, kChunk - keep);
    fed_ += got;
    zs_.next_in = buf_.get();
    zs_.avail_in = static_cast<uInt>(keep + got);
    return got > 0;
  }
  // A gzip member ended (its CRC and length matched). Another member may
  // follow; anything else is trailing garbage.
  void next_member() {
    while (zs_.avail_in < 2 && refill()) {
    }
    if (zs_.avail_in == 0) {
      ended_ = true;
      return;
    }
    if (zs_.avail_in < 2 || zs_.next_in[0] != 0x1f || zs_.next_in[1] != 0x8b)
      tapegrad::detail::throw_error<IOError>("read_idx: ", in_.name(),
                                             ": trailing garbage after the gzip stream (",
                                             detail::count_bytes(zs_.avail_in + (in_.size() > fed_ ? in_.size() - fed_ : 0)),
                                             ")");
    if (inflateReset(&zs_) != Z_OK) corrupt("cannot reset zlib for the next gzip member");
  }
  [[noreturn]] void corrupt(const std::string& what) {
    tapegrad::detail::throw_error<IOError>("read_idx: ", in_.name(), ": corrupt gzip stream: ",
                                           what);
  }

  detail::IdxInput& in_;
  std::unique_ptr<uint8_t[]> buf_;
  z_stream zs_{};
  uint64_t fed_ = 0;  // input bytes handed to buf_ so far
  bool ended_ = false;
  bool truncated_ = false;
};
#endif

// The header: magic, type code, dims. Checked field by field (Note [Reading
// untrusted IDX files]).
struct Header {
  uint8_t type = 0;
  Shape dims;
  uint64_t header_bytes = 0;
  uint64_t data_bytes = 0;
  uint64_t total() const { return header_bytes + data_bytes; }
};

template <class Reader>
[[noreturn]] void short_input(const std::string& name, const Reader& r, uint64_t got,
                              const std::string& needed) {
  const char* what = Reader::kGzip ? "decompressed data has " : "file has ";
  if (r.truncated())
    tapegrad::detail::throw_error<IOError>("read_idx: ", name,
                                           ": truncated gzip stream: it ends after ", got,
                                           " bytes of decompressed data, ", needed);
  tapegrad::detail::throw_error<IOError>("read_idx: ", name, ": ", what, got, " bytes, ", needed);
}

template <class Reader>
Header read_header(Reader& r, const std::string& name) {
  using tapegrad::detail::throw_error;
  uint8_t head[4 + 4 * kIdxMaxDims];
  const size_t got = r.read(head, 4);
  if (got < 4) short_input(name, r, got, "too short for an IDX header (4 bytes)");
  if (head[0] != 0 || head[1] != 0)
    throw_error<IOError>("read_idx: ", name,
                         ": bad magic: the first two bytes of an IDX file must be 0, got ",
                         detail::idx_hex(head[0]), " ", detail::idx_hex(head[1]));
  Header h;
  h.type = head[2];
  const uint64_t elem = detail::idx_type_size(h.type);
  if (elem == 0)
    throw_error<IOError>("read_idx: ", name, ": unknown element type code ",
                         detail::idx_hex(h.type),
                         " (IDX has 0x08 uint8, 0x09 int8, 0x0b int16, 0x0c int32, "
                         "0x0d float32, 0x0e float64)");
  const int ndim = head[3];
  if (ndim < 1 || ndim > kIdxMaxDims)
    throw_error<IOError>("read_idx: ", name, ": header has ", ndim, " dimensions, expected 1 to ",
                         kIdxMaxDims);
  h.header_bytes = 4 + 4 * static_cast<uint64_t>(ndim);
  const size_t dims_got = r.read(head + 4, 4 * static_cast<size_t>(ndim));
  if (dims_got < 4 * static_cast<size_t>(ndim))
    short_input(name, r, 4 + dims_got,
                "too short for the header of a " + std::to_string(ndim) + "-dimensional IDX file (" +
                    std::to_string(h.header_bytes) + " bytes)");
  // The limit applies to the product of the nonzero dims too, so that an
  // empty tensor's strides cannot overflow either. Each factor is < 2^32 and
  // bytes <= 2^31 before it: no overflow.
  bool too_big = false, empty = false;
  uint64_t bytes = elem;
  for (int i = 0; i < ndim; ++i) {
    const uint8_t* b = head + 4 + 4 * i;
    const uint64_t d =
        (uint64_t{b[0]} << 24) | (uint64_t{b[1]} << 16) | (uint64_t{b[2]} << 8) | uint64_t{b[3]};
    h.dims.push_back(static_cast<int64_t>(d));
    if (d == 0) empty = true;
    else if (!too_big && (bytes *= d) > kIdxMaxDataBytes) too_big = true;
  }
  if (too_big)
    throw_error<IOError>("read_idx: ", name, ": dims ", h.dims, " of ",
                         detail::idx_type_name(h.type), " exceed the 2 GiB limit on IDX data");
  h.data_bytes = empty ? 0 : bytes;
  return h;
}

template <Element T, class Reader>
Tensor<T> read_data(Reader& r, const std::string& name, const Header& h) {
  auto t = tapegrad::detail::make_empty<T>(h.dims);
  auto* p = reinterpret_cast<uint8_t*>(t.data_ptr());
  const uint64_t got = h.data_bytes ? r.read(p, static_cast<size_t>(h.data_bytes)) : 0;
  if (got < h.data_bytes)
    short_input(name, r, h.header_bytes + got,
                "header promises " + std::to_string(h.total()));
  r.expect_end(h.total());
  detail::idx_from_big_endian(t.data_ptr(), t.numel());
  return t;
}

// The data after a header the caller has checked against the input size.
template <class Reader>
IdxData read_body(Reader& r, const std::string& name, const Header& h) {
  switch (h.type) {
    case 0x08: return {read_data<uint8_t>(r, name, h)};
    case 0x09: return {read_data<int8_t>(r, name, h)};
    case 0x0B: return {read_data<int16_t>(r, name, h)};
    case 0x0C: return {read_data<int32_t>(r, name, h)};
    case 0x0D: return {read_data<float>(r, name, h)};
    default: return {read_data<double>(r, name, h)};
  }
}

// Deflate expands at most 1032:1 (a 258-byte match coded in 2 bits); a
// little slack covers the gzip header and tiny streams.
inline uint64_t gzip_max_output(uint64_t compressed) {
  return compressed > (UINT64_MAX - 4096) / 1032 ? UINT64_MAX : compressed * 1032 + 4096;
}

inline void check_dtype(const std::string& name, const Header& h, uint8_t expected) {
  if (expected && h.type != expected)
    tapegrad::detail::throw_error<DTypeError>("read_idx: ", name, ": file holds ",
                                              detail::idx_type_name(h.type), " data, not ",
                                              detail::idx_type_name(expected));
}

// Runs f(reader) with the reader the input's first bytes call for: gzip
// (1f 8b) or raw.
template <class F>
auto with_reader(detail::IdxInput& in, F f) {
  uint8_t magic[2] = {0, 0};
  if (in.peek(magic, 2) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
#if TAPEGRAD_DATA_HAS_ZLIB
    GzipReader r(in);
    return f(r);
#else
    tapegrad::detail::throw_error<IOError>("read_idx: ", in.name(), ": gzip support needs zlib");
#endif
  }
  detail::IdxRawReader r(in);
  return f(r);
}

// `expected`: the type code read_idx<T> wants, or 0 for any.
inline IdxData read_any(detail::IdxInput& in, uint8_t expected) {
  using tapegrad::detail::throw_error;
  const std::string& name = in.name();
  return with_reader(in, [&](auto& r) {
    const Header h = read_header(r, name);
    check_dtype(name, h, expected);
    if constexpr (std::decay_t<decltype(r)>::kGzip) {
      if (h.total() > gzip_max_output(in.size()))
        throw_error<IOError>("read_idx: ", name, ": a gzip stream of ", in.size(),
                             " bytes cannot hold the ", h.total(), " bytes the header promises");
    } else {
      if (in.size() < h.total())
        throw_error<IOError>("read_idx: ", name, ": file has ", in.size(), " bytes, header promises ",
                             h.total());
      if (in.size() > h.total())
        throw_error<IOError>("read_idx: ", name, ": file has ", in.size(), " bytes, header promises ",
                             h.total(), " (", detail::count_bytes(in.size() - h.total()),
                             " of trailing garbage)");
    }
    return read_body(r, name, h);
  });
}

inline IdxData read_bytes(const uint8_t* data, size_t size, std::string_view name,
                          uint8_t expected) {
  const std::string n(name);
  detail::IdxInput in(data, size, n);
  return read_any(in, expected);
}

// Opens path (checked: exists, regular) and runs f on it as an IdxInput.
template <class F>
auto with_file(const std::filesystem::path& path, F fn) {
  using tapegrad::detail::throw_error;
  namespace fs = std::filesystem;
  const std::string name = path.string();
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) throw_error<IOError>("read_idx: ", name, ": no such file");
  if (fs::is_directory(st)) throw_error<IOError>("read_idx: ", name, ": is a directory, not a file");
  if (!fs::is_regular_file(st)) throw_error<IOError>("read_idx: ", name, ": not a regular file");
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) throw_error<IOError>("read_idx: ", name, ": cannot get the file size: ", ec.message());
#ifdef _WIN32
  std::FILE* f = ::_wfopen(path.c_str(), L"rb");
#else
  std::FILE* f = std::fopen(path.c_str(), "rb");
#endif
  if (!f) throw_error<IOError>("read_idx: ", name, ": cannot open: ", std::strerror(errno));
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(f, &std::fclose);
  detail::IdxInput in(f, static_cast<uint64_t>(size), name);
  return fn(in);
}

inline IdxData read_file(const std::filesystem::path& path, uint8_t expected) {
  return with_file(path, [&](detail::IdxInput& in) { return read_any(in, expected); });
}

// The header alone (a gzip stream is inflated only as far as the header).
inline IdxHeader read_header_file(const std::filesystem::path& path) {
  return with_file(path, [](detail::IdxInput& in) {
    return with_reader(in, [&](auto& r) {
      const Header h = read_header(r, in.name());
      return IdxHeader{static_cast<IdxType>(h.type), h.dims};
    });
  });
}

}  // namespace idx_impl

/// Read an IDX file (raw, or gzip-compressed: detected by its first bytes)
/// into a tensor of the file's element type with the header's dims.
/// Malformed files throw IOError (Note [Reading untrusted IDX files]).
inline IdxData read_idx(const std::filesystem::path& path) {
  return idx_impl::read_file(path, 0);
}

/// The element type and dims of an IDX file (raw or gzip), read without
/// reading (or inflating) the data: to check what read_idx would allocate.
inline IdxHeader read_idx_header(const std::filesystem::path& path) {
  return idx_impl::read_header_file(path);
}

/// read_idx for a file that must hold T elements (DTypeError otherwise):
/// `Tensor<uint8_t> images = read_idx<uint8_t>("data/mnist/train-images-idx3-ubyte")`.
template <Element T>
Tensor<T> read_idx(const std::filesystem::path& path) {
  static_assert(detail::is_idx_element<T>,
                "read_idx<T>: IDX files hold uint8, int8, int16, int32, float or double");
  return idx_impl::read_file(path, static_cast<uint8_t>(detail::idx_type_of<T>()))
      .template get<T>();
}

/// read_idx on the bytes of an IDX file already in memory; `name` is used in
/// error messages in place of the file name.
inline IdxData read_idx_bytes(const uint8_t* data, size_t size,
                              std::string_view name = "<memory>") {
  return idx_impl::read_bytes(data, size, name, 0);
}

template <Element T>
Tensor<T> read_idx_bytes(const uint8_t* data, size_t size, std::string_view name = "<memory>") {
  static_assert(detail::is_idx_element<T>,
                "read_idx_bytes<T>: IDX files hold uint8, int8, int16, int32, float or double");
  return idx_impl::read_bytes(data, size, name, static_cast<uint8_t>(detail::idx_type_of<T>()))
      .template get<T>();
}

}  // namespace TAPEGRAD_DATA_ZLIB_NS

}  // namespace tapegrad::data
