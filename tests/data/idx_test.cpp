// read_idx / read_idx_bytes: IDX files of every element type, raw and
// gzip-compressed, written by the tests themselves; and every malformed file
// with its exact message (Note [Reading untrusted IDX files]).
#include <doctest/doctest.h>
#include <tapegrad/data/idx.hpp>
#include <tapegrad/tapegrad.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "support/idx_files.hpp"

using namespace tapegrad;
using tapegrad::data::read_idx;
using tapegrad::data::read_idx_bytes;
using tapegrad_test::Bytes;
using tapegrad_test::concat;
using tapegrad_test::idx_file;
using tapegrad_test::idx_header;
using tapegrad_test::idx_of;
using tapegrad_test::TempDir;

namespace {

// read_idx_bytes with a fixed name, for the exact messages.
data::IdxData parse(const Bytes& b, const char* name = "f") {
  return read_idx_bytes(b.data(), b.size(), name);
}

// Values that exercise every byte of the big-endian encoding.
template <class T>
std::vector<T> sample_values() {
  return {T(0), T(1), std::numeric_limits<T>::lowest(), std::numeric_limits<T>::max(), T(5),
          static_cast<T>(-6)};
}

// Pseudo-random bytes (deterministic, compress poorly).
Bytes noise(size_t n, uint32_t seed = 1) {
  Bytes b(n);
  for (auto& x : b) {
    seed = seed * 1664525u + 1013904223u;
    x = static_cast<uint8_t>(seed >> 24);
  }
  return b;
}

}  // namespace

// ---- well-formed files -------------------------------------------------------------------------
TEST_CASE_TEMPLATE("read_idx: reads every IDX element type with the header's dims, big-endian",
                   T, uint8_t, int8_t, int16_t, int32_t, float, double) {
  TempDir dir("idx");
  const std::vector<T> values = sample_values<T>();
  const auto path = dir.write("x-idx2", idx_of<T>({2, 3}, values));

  const Tensor<T> t = read_idx<T>(path);
  CHECK(t.sizes() == Shape{2, 3});
  CHECK(t.is_contiguous());
  const std::vector<T> got = t.to_vector();
  REQUIRE(got.size() == values.size());
  CHECK(std::memcmp(got.data(), values.data(), sizeof(T) * values.size()) == 0);

  const data::IdxData any = read_idx(path);
  CHECK(any.holds<T>());
  CHECK(std::string(any.dtype_name()) == dtype_name<T>());
  CHECK(any.sizes() == Shape{2, 3});
  CHECK(any.get<T>().to_vector() == t.to_vector());
}

TEST_CASE("read_idx: reads 1-d to 8-d files, and a zero dim as an empty tensor") {
  SUBCASE("1-d") { CHECK(parse(idx_of<uint8_t>({3}, {7, 8, 9})).sizes() == Shape{3}); }
  SUBCASE("8-d") {
    const auto d = parse(idx_of<int16_t>({1, 2, 1, 1, 1, 1, 1, 2}, {1, -2, 3, -4}));
    CHECK(d.sizes() == Shape{1, 2, 1, 1, 1, 1, 1, 2});
    CHECK(d.get<int16_t>().to_vector() == std::vector<int16_t>{1, -2, 3, -4});
  }
  SUBCASE("zero dim next to huge dims") {
    const auto d = parse(idx_header(0x08, {0, 1u << 20, 1u << 10}));
    CHECK(d.sizes() == Shape{0, 1 << 20, 1 << 10});
    CHECK(d.get<uint8_t>().numel() == 0);
  }
}

TEST_CASE("read_idx_bytes: reads from memory; read_idx<T> and read_idx_bytes<T> agree") {
  const Bytes b = idx_of<int32_t>({2, 2}, {1, -1, 70000, -70000});
  const Tensor<int32_t> t = read_idx_bytes<int32_t>(b.data(), b.size());
  CHECK(t.to_vector() == std::vector<int32_t>{1, -1, 70000, -70000});
  TempDir dir("idx");
  CHECK(read_idx<int32_t>(dir.write("m", b)).to_vector() == t.to_vector());
}

TEST_CASE("read_idx: a large file is read whole (several read chunks)") {
  TempDir dir("idx");
  const Bytes pixels = noise(300 * 28 * 28);
  const Bytes file = idx_file(0x08, {300, 28, 28}, pixels);
  const Tensor<uint8_t> t = read_idx<uint8_t>(dir.write("big", file));
  CHECK(t.sizes() == Shape{300, 28, 28});
  CHECK(t.to_vector() == std::vector<uint8_t>(pixels.begin(), pixels.end()));
#if TAPEGRAD_DATA_HAS_ZLIB
  const Bytes gz = tapegrad_test::gzip(file);
  REQUIRE(gz.size() > 64 * 1024);  // more than one input chunk
  CHECK(read_idx<uint8_t>(dir.write("big.gz", gz)).to_vector() == t.to_vector());
#endif
}

// ---- type mismatches -------------------------------------------------------------------------
TEST_CASE("read_idx<T>: rejects a file of another element type") {
  TempDir dir("idx");
  const auto path = dir.write("labels", idx_of<uint8_t>({2}, {1, 2}));
  const std::string msg = "read_idx: " + path.string() + ": file holds uint8 data, not float32";
  CHECK_THROWS_WITH_AS(read_idx<float>(path), msg.c_str(), DTypeError);
  const Bytes b = idx_of<double>({1}, {1.0});
  CHECK_THROWS_WITH_AS(read_idx_bytes<int32_t>(b.data(), b.size(), "x"),
                       "read_idx: x: file holds float64 data, not int32", DTypeError);
  CHECK_THROWS_WITH_AS(parse(b).get<float>(), "IdxData::get: holds float64 data, not float32",
                       DTypeError);
}

// ---- malformed raw files -----------------------------------------------------------------------
TEST_CASE("read_idx: names a missing file, a directory and an empty file") {
  TempDir dir("idx");
  const auto missing = dir.path() / "train-images-idx3-ubyte";
  CHECK_THROWS_WITH_AS(read_idx(missing), ("read_idx: " + missing.string() + ": no such file").c_str(),
                       IOError);
  CHECK_THROWS_WITH_AS(read_idx(dir.path()),
                       ("read_idx: " + dir.path().string() + ": is a directory, not a file").c_str(),
                       IOError);
  const auto empty = dir.write("empty", {});
  CHECK_THROWS_WITH_AS(
      read_idx(empty),
      ("read_idx: " + empty.string() + ": file has 0 bytes, too short for an IDX header (4 bytes)")
          .c_str(),
      IOError);
}

TEST_CASE("read_idx: rejects a bad magic, an unknown type code and a bad number of dims") {
  CHECK_THROWS_WITH_AS(parse({0, 0, 8}), "read_idx: f: file has 3 bytes, too short for an IDX header (4 bytes)",
                       IOError);
  CHECK_THROWS_WITH_AS(parse({'P', 'K', 3, 4, 0, 0, 0, 0}),
                       "read_idx: f: bad magic: the first two bytes of an IDX file must be 0, got 0x50 0x4b",
                       IOError);
  CHECK_THROWS_WITH_AS(parse({0, 1, 8, 1, 0, 0, 0, 0}),
                       "read_idx: f: bad magic: the first two bytes of an IDX file must be 0, got 0x00 0x01",
                       IOError);
  CHECK_THROWS_WITH_AS(parse(idx_header(0x0A, {1})),
                       "read_idx: f: unknown element type code 0x0a (IDX has 0x08 uint8, 0x09 int8, "
                       "0x0b int16, 0x0c int32, 0x0d float32, 0x0e float64)",
                       IOError);
  CHECK_THROWS_WITH_AS(parse({0, 0, 8, 0}), "read_idx: f: header has 0 dimensions, expected 1 to 8",
                       IOError);
  CHECK_THROWS_WITH_AS(parse(idx_header(0x08, {1, 1, 1, 1, 1, 1, 1, 1, 1})),
                       "read_idx: f: header has 9 dimensions, expected 1 to 8", IOError);
}

TEST_CASE("read_idx: rejects a header cut short in its dims") {
  Bytes b = idx_header(0x08, {60000, 28, 28});
  b.resize(10);
  CHECK_THROWS_WITH_AS(parse(b),
                       "read_idx: f: file has 10 bytes, too short for the header of a "
                       "3-dimensional IDX file (16 bytes)",
                       IOError);
}

TEST_CASE("read_idx: rejects a file whose size does not match the header (truncated or trailing)") {
  // The design notes' example: 1000 bytes of what claims to be MNIST.
  Bytes b = idx_header(0x08, {60000, 28, 28});
  b.resize(1000, 7);
  CHECK_THROWS_WITH_AS(
      parse(b, "train-images-idx3-ubyte"),
      "read_idx: train-images-idx3-ubyte: file has 1000 bytes, header promises 47040016", IOError);
  TempDir dir("idx");
  const auto path = dir.write("train-images-idx3-ubyte", b);
  CHECK_THROWS_WITH_AS(
      read_idx(path),
      ("read_idx: " + path.string() + ": file has 1000 bytes, header promises 47040016").c_str(),
      IOError);

  // Trailing garbage.
  CHECK_THROWS_WITH_AS(parse(concat(idx_of<int16_t>({2}, {1, 2}), {0xde, 0xad, 0xbe, 0xef})),
                       "read_idx: f: file has 16 bytes, header promises 12 (4 bytes of trailing garbage)",
                       IOError);
  CHECK_THROWS_WITH_AS(parse(concat(idx_of<uint8_t>({1}, {1}), {0})),
                       "read_idx: f: file has 10 bytes, header promises 9 (1 byte of trailing garbage)",
                       IOError);
  // One element short.
  CHECK_THROWS_WITH_AS(parse(idx_file(0x0C, {3}, Bytes(8, 0))),
                       "read_idx: f: file has 16 bytes, header promises 20", IOError);
}

TEST_CASE("read_idx: refuses dims beyond 2 GiB or whose product overflows, before allocating") {
  CHECK_THROWS_WITH_AS(parse(idx_header(0x08, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF})),
                       "read_idx: f: dims [4294967295, 4294967295, 4294967295] of uint8 exceed the "
                       "2 GiB limit on IDX data",
                       IOError);
  // 2^29 + 1 float32 values are 4 bytes over the limit.
  CHECK_THROWS_WITH_AS(parse(idx_header(0x0D, {(1u << 29) + 1})),
                       "read_idx: f: dims [536870913] of float32 exceed the 2 GiB limit on IDX data",
                       IOError);
  // Exactly 2 GiB passes the limit, and then fails the size check without allocating.
  CHECK_THROWS_WITH_AS(parse(idx_header(0x0D, {1u << 29})),
                       "read_idx: f: file has 8 bytes, header promises 2147483656", IOError);
  // A zero dim does not excuse the others.
  CHECK_THROWS_WITH_AS(parse(idx_header(0x0E, {0, 1u << 30})),
                       "read_idx: f: dims [0, 1073741824] of float64 exceed the 2 GiB limit on IDX data",
                       IOError);
}

// ---- gzip ------------------------------------------------------------------------------------------
#if TAPEGRAD_DATA_HAS_ZLIB
using tapegrad_test::gzip;

TEST_CASE("read_idx: reads gzip files, detected by their magic, not their name") {
  TempDir dir("idx");
  const std::vector<float> values = {0.5f, -1.25f, 3e38f, -0.0f, 1e-40f, 7.0f};
  const Bytes raw = idx_of<float>({3, 2}, values);
  const auto gz_path = dir.write("no-extension", gzip(raw));
  const auto raw_path = dir.write("misleading.gz", raw);
  const Tensor<float> a = read_idx<float>(gz_path);
  const Tensor<float> b = read_idx<float>(raw_path);
  CHECK(a.sizes() == Shape{3, 2});
  CHECK(std::memcmp(a.to_vector().data(), values.data(), sizeof(float) * 6) == 0);
  CHECK(std::memcmp(b.to_vector().data(), values.data(), sizeof(float) * 6) == 0);
  CHECK(read_idx<float>(dir.write("stored.gz", gzip(raw, 0))).to_vector() == b.to_vector());
}

TEST_CASE("read_idx: reads concatenated gzip members as one stream") {
  const Bytes raw = idx_of<int16_t>({4}, {1, -1, 300, -300});
  // Split inside the header and inside the data; an empty member in between.
  const Bytes a(raw.begin(), raw.begin() + 3), b(raw.begin() + 3, raw.begin() + 11),
      c(raw.begin() + 11, raw.end());
  const Bytes gz = concat(concat(concat(gzip(a), gzip(b)), gzip({})), gzip(c));
  CHECK(parse(gz).get<int16_t>().to_vector() == std::vector<int16_t>{1, -1, 300, -300});
}

TEST_CASE("read_idx: rejects a corrupt gzip stream (bad block, bad CRC, bad method)") {
  const Bytes raw = idx_of<uint8_t>({100}, std::vector<uint8_t>(100, 42));
  Bytes bad_block = gzip(raw);
  bad_block[10] = 0x07;  // BFINAL = 1, BTYPE = 11: reserved
  CHECK_THROWS_WITH_AS(parse(bad_block), "read_idx: f: corrupt gzip stream: invalid block type",
                       IOError);
  Bytes bad_crc = gzip(raw);
  bad_crc[bad_crc.size() - 8] ^= 0xFF;
  CHECK_THROWS_WITH_AS(parse(bad_crc), "read_idx: f: corrupt gzip stream: incorrect data check",
                       IOError);
  Bytes bad_method = gzip(raw);
  bad_method[2] = 9;
  CHECK_THROWS_WITH_AS(parse(bad_method),
                       "read_idx: f: corrupt gzip stream: unknown compression method", IOError);
}

TEST_CASE("read_idx: rejects a truncated gzip stream, saying how far it got") {
  // Stored blocks: gzip header 10 bytes, block header 5, then the IDX bytes.
  const Bytes raw = idx_of<uint8_t>({100}, std::vector<uint8_t>(100, 42));  // 108 bytes
  const Bytes gz = gzip(raw, 0);
  REQUIRE(gz.size() == 10 + 5 + 108 + 8);
  const auto cut = [&](size_t n) { return Bytes(gz.begin(), gz.begin() + static_cast<long>(n)); };
  CHECK_THROWS_WITH_AS(parse(cut(15 + 50)),
                       "read_idx: f: truncated gzip stream: it ends after 50 bytes of decompressed "
                       "data, header promises 108",
                       IOError);
  CHECK_THROWS_WITH_AS(parse(cut(15 + 2)),
                       "read_idx: f: truncated gzip stream: it ends after 2 bytes of decompressed "
                       "data, too short for an IDX header (4 bytes)",
                       IOError);
  CHECK_THROWS_WITH_AS(parse(cut(2)),
                       "read_idx: f: truncated gzip stream: it ends after 0 bytes of decompressed "
                       "data, too short for an IDX header (4 bytes)",
                       IOError);
  CHECK_THROWS_WITH_AS(parse(cut(gz.size() - 8)),
                       "read_idx: f: truncated gzip stream: the data is complete but the stream's "
                       "end and checksum are missing",
                       IOError);
  TempDir dir("idx");
  const auto path = dir.write("t.gz", cut(15 + 50));
  CHECK_THROWS_WITH_AS(read_idx(path),
                       ("read_idx: " + path.string() +
                        ": truncated gzip stream: it ends after 50 bytes of decompressed data, "
                        "header promises 108")
                           .c_str(),
                       IOError);
}

TEST_CASE("read_idx: rejects gzip data shorter or longer than the header, or trailing garbage") {
  const Bytes raw = idx_of<uint8_t>({100}, std::vector<uint8_t>(100, 42));
  CHECK_THROWS_WITH_AS(parse(gzip(Bytes(raw.begin(), raw.begin() + 60))),
                       "read_idx: f: decompressed data has 60 bytes, header promises 108", IOError);
  CHECK_THROWS_WITH_AS(parse(gzip({})),
                       "read_idx: f: decompressed data has 0 bytes, too short for an IDX header (4 bytes)",
                       IOError);
  CHECK_THROWS_WITH_AS(parse(gzip(concat(raw, {1, 2, 3}))),
                       "read_idx: f: decompressed data is longer than the 108 bytes the header promises",
                       IOError);
  CHECK_THROWS_WITH_AS(parse(concat(gzip(raw), {'j', 'u', 'n', 'k'})),
                       "read_idx: f: trailing garbage after the gzip stream (4 bytes)", IOError);
  CHECK_THROWS_WITH_AS(parse(concat(gzip(raw), {0x1f})),
                       "read_idx: f: trailing garbage after the gzip stream (1 byte)", IOError);
  TempDir dir("idx");
  const auto path = dir.write("g.gz", concat(gzip(raw), Bytes(70000, 0)));
  CHECK_THROWS_WITH_AS(
      read_idx(path),
      ("read_idx: " + path.string() + ": trailing garbage after the gzip stream (70000 bytes)").c_str(),
      IOError);
}

TEST_CASE("read_idx: rejects a small gzip stream whose header promises more than it can hold") {
  // Deflate expands at most 1032:1; 39 bytes of gzip cannot hold MNIST.
  const Bytes gz = gzip(idx_header(0x08, {60000, 28, 28}), 0);
  REQUIRE(gz.size() == 10 + 5 + 16 + 8);
  CHECK_THROWS_WITH_AS(parse(gz, "train-images-idx3-ubyte.gz"),
                       "read_idx: train-images-idx3-ubyte.gz: a gzip stream of 39 bytes cannot hold "
                       "the 47040016 bytes the header promises",
                       IOError);
  // The header checks apply inside gzip too.
  CHECK_THROWS_WITH_AS(parse(gzip({'P', 'K', 3, 4})),
                       "read_idx: f: bad magic: the first two bytes of an IDX file must be 0, got 0x50 0x4b",
                       IOError);
  CHECK_THROWS_WITH_AS(parse(gzip(idx_header(0x08, {0xFFFFFFFF, 0xFFFFFFFF}))),
                       "read_idx: f: dims [4294967295, 4294967295] of uint8 exceed the 2 GiB limit "
                       "on IDX data",
                       IOError);
  const Bytes labels = gzip(idx_of<uint8_t>({2}, {1, 2}));
  CHECK_THROWS_WITH_AS(read_idx_bytes<float>(labels.data(), labels.size(), "f"),
                       "read_idx: f: file holds uint8 data, not float32", DTypeError);
}
#endif
