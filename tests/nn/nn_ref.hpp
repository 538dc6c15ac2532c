#pragma once
// Helpers for the tests of nn/, functional and io/ against tests/reference/nn.txt
// (tools/gen_reference.py, gen_nn): load a record as a tensor, compare a tensor
// with a record, temporary files.
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include <unistd.h>

#include "support/golden.hpp"

namespace nn_test {

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
namespace F = tapegrad::nn::functional;
using tapegrad_test::RefTensor;
using tapegrad_test::shape_of;
using tapegrad_test::tag;
using Tol = tapegrad_test::Tol;

inline const tapegrad_test::Golden kNnGolden{"nn.txt"};
// rec, has, load<T> (float32 records are exact in both dtypes), load_index, leaf<T>
GOLDEN_RECORDS(kNnGolden)

// Our summation order differs from PyTorch's (Eigen's GEMM, row-wise loops):
// float32 to about 4 ulp of O(1) values, float64 to 1e-12.
template <class T>
constexpr Tol kTol = std::is_same_v<T, float> ? Tol{4e-6, 2e-6} : Tol{1e-12, 1e-12};

/// Empty when `got` has the shape and values of the record (see
/// tapegrad_test::mismatch); otherwise the first mismatches.
template <class T>
std::string mismatch(const tg::Tensor<T>& got, const RefTensor& want, Tol tol = kTol<T>) {
  return tapegrad_test::mismatch(got, want, tol);
}

#define NN_CHECK_REF(got, name, ...) \
  CHECK_NO_MISMATCH(name, ::nn_test::mismatch((got), ::nn_test::rec(name) __VA_OPT__(, ) __VA_ARGS__))

/// A fresh, empty directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("tapegrad_nn_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }
  /// Names of the files in the directory (to see what a failed write left).
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(path_)) out.push_back(e.path().filename().string());
    return out;
  }

 private:
  std::filesystem::path path_;
};

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
// A safetensors file from its parts: length, JSON header, data.
inline std::string st_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

inline std::string reference_file(const std::string& name) { return std::string(TAPEGRAD_REFERENCE_DIR) + "/" + name; }

}  // namespace nn_test
