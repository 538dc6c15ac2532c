// MNIST's memory bound (Note [MNIST memory bound], issue 31 defect 4): a
// small file whose header promises a huge dataset is refused from its header,
// before anything is inflated or allocated; max_bytes moves the limit.
#include <doctest/doctest.h>
#include <tapegrad/data.hpp>
#include <tapegrad/tapegrad.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

#include "support/idx_files.hpp"

using namespace tapegrad;
using data::MNIST;
using tapegrad_test::Bytes;
using tapegrad_test::idx_file;
using tapegrad_test::idx_header;
using tapegrad_test::idx_of;
using tapegrad_test::TempDir;

namespace {
Bytes images(uint32_t n) { return idx_file(0x08, {n, 28, 28}, Bytes(size_t{n} * 784, 9)); }

// The error for the 1.37 M-image reproducers, naming the images file.
std::string too_many_images(const std::filesystem::path& path) {
  return "MNIST: " + path.string() +
         ": 1370000 images of 28x28 need 5381360000 bytes in memory (float images, uint8 pixels, labels), over the "
         "limit of 1073741824 bytes (the max_bytes argument)";
}
}  // namespace

TEST_CASE("MNIST: a header promising 1.37 M images is refused from the header alone") {
  TempDir dir("mnist_limits");
  // 16 bytes: no data at all, so anything that read past the header would
  // report a short file instead
  const auto path = dir.write("train-images-idx3-ubyte", idx_header(0x08, {1370000, 28, 28}));
  dir.write("train-labels-idx1-ubyte", idx_header(0x08, {1370000}));
  CHECK_THROWS_WITH_AS(MNIST(dir.path()), too_many_images(path).c_str(), IOError);
}

#if TAPEGRAD_DATA_HAS_ZLIB
TEST_CASE("MNIST: the gzip reproducer (a tiny .gz inflating to 1.37 M images) is refused before inflating") {
  TempDir dir("mnist_limits");
  const auto path = dir.write("train-images-idx3-ubyte.gz", tapegrad_test::gzip(idx_header(0x08, {1370000, 28, 28})));
  dir.write("train-labels-idx1-ubyte.gz", tapegrad_test::gzip(idx_header(0x08, {1370000})));
  CHECK_THROWS_WITH_AS(MNIST(dir.path()), too_many_images(path).c_str(), IOError);
}
#endif

TEST_CASE("MNIST: max_bytes moves the limit both ways; exactly at the limit loads") {
  TempDir dir("mnist_limits");
  const auto path = dir.write("train-images-idx3-ubyte", images(10));
  dir.write("train-labels-idx1-ubyte", idx_of<uint8_t>({10}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  const int64_t need = 10 * (5 * 784 + 8);
  CHECK(MNIST(dir.path(), true, MNIST::Layout::flat, need).size() == 10);
  CHECK_THROWS_WITH_AS(MNIST(dir.path(), true, MNIST::Layout::flat, need - 1),
                       ("MNIST: " + path.string() + ": 10 images of 28x28 need 39280 bytes in memory (float images, "
                        "uint8 pixels, labels), over the limit of 39279 bytes (the max_bytes argument)")
                           .c_str(),
                       IOError);
  CHECK(MNIST(dir.path()).images().sizes() == Shape{10, 784});
}

TEST_CASE("MNIST: a labels file promising more labels than images is refused from the headers, before inflating") {
  TempDir dir("mnist_limits");
  dir.write("train-images-idx3-ubyte", images(10));
  // a header alone: reading the labels' data would report a short file instead
  dir.write("train-labels-idx1-ubyte", idx_header(0x08, {2000000000}));
  CHECK_THROWS_WITH_AS(MNIST(dir.path()),
                       ("MNIST: " + dir.path().string() +
                        ": 10 images but 2000000000 labels (train-images-idx3-ubyte, train-labels-idx1-ubyte)")
                           .c_str(),
                       IOError);
#if TAPEGRAD_DATA_HAS_ZLIB
  // the same from the headers: a ~2 MB stream of deflated zeros that does
  // hold its 2 GB was inflated before the counts were compared
  TempDir gz("mnist_limits_gz");
  gz.write("train-images-idx3-ubyte", images(10));
  gz.write("train-labels-idx1-ubyte.gz", tapegrad_test::gzip(idx_header(0x08, {2000000000})));
  CHECK_THROWS_WITH_AS(MNIST(gz.path()),
                       ("MNIST: " + gz.path().string() +
                        ": 10 images but 2000000000 labels (train-images-idx3-ubyte, train-labels-idx1-ubyte.gz)")
                           .c_str(),
                       IOError);
#endif
}

TEST_CASE("read_idx_header: type and dims without the data, raw or gzip") {
  TempDir dir("mnist_limits");
  const auto raw = dir.write("a", idx_header(0x0D, {3, 4}));
  const auto h = data::read_idx_header(raw);
  CHECK(h.type == data::IdxType::float32);
  CHECK(h.dims == Shape{3, 4});
#if TAPEGRAD_DATA_HAS_ZLIB
  const auto gz = dir.write("b.gz", tapegrad_test::gzip(idx_header(0x08, {7})));
  CHECK(data::read_idx_header(gz).dims == Shape{7});
#endif
  const auto bad = dir.write("c", Bytes{0, 0, 0x08});
  CHECK_THROWS_WITH_AS(data::read_idx_header(bad),
                       ("read_idx: " + bad.string() + ": file has 3 bytes, too short for an IDX header (4 bytes)").c_str(),
                       IOError);
}
