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
//
// zlib: tapegrad::data links it (CMake target tapegrad::data). Without it
// (TAPEGRAD_NO_ZLIB, or no <zlib.h>) raw files still work and a .gz file gives
// "read_idx: <file>: gzip support needs zlib". The functions live in an inline
// namespace named after that choice, so translation units built both ways can
// share one program.
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

  /// Up to n bytes; fewer only at the end.
  size_t read(uint8_t* dst, size_t n) {
    if (file_) {
      size_t got = n ? std::fread(dst, 1, n, file_) : 0;
      if (got < n && std::ferror(file_))
        throw_error<IOError>("read_idx: ", name_, ": read error: ", std::strerror(errno));
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
      throw_error<IOError>("read_idx: ", in_.name(), ": file is longer than the ", promised,
                           " bytes the header promises");
  }

 private:
  IdxInput& in_;
};

