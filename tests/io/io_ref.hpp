#pragma once
// Helpers of the tests of io/ (safetensors, .npy, nn::save/nn::load): file
// bytes, bitwise tensor comparisons, a small model and its snapshots. The
// test files say `using namespace io_test;` (it also brings the tg, nn and io
// aliases).
#include "nn/nn_ref.hpp"

#include <tapegrad/io.hpp>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace io_test {

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
namespace io = tapegrad::io;
using nn_test::read_bytes;
using nn_test::st_file;
using nn_test::TempDir;
using nn_test::write_bytes;

// The bytes of a tensor in memory (for bitwise comparisons: nan, -0.0).
template <class T>
std::string bytes_of(const tg::Tensor<T>& t) {
  auto c = t.contiguous();
  return std::string(reinterpret_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.numel()) * sizeof(T));
}

template <class T>
void check_same_tensor(const io::AnyTensor& got, const tg::Tensor<T>& want) {
  const auto* t = std::get_if<tg::Tensor<T>>(&got);
  REQUIRE_MESSAGE(t != nullptr, "dtype ", io::dtype_name(got), " instead of ", tg::dtype_name<T>());
  CHECK(t->sizes() == want.sizes());
  CHECK(bytes_of(*t) == bytes_of(want));
}

inline auto small_mlp() { return nn::Sequential(nn::Flatten(), nn::Linear(6, 5), nn::ReLU(), nn::Linear(5, 3)); }

template <class T>
std::vector<tg::Tensor<T>> snapshot(const nn::Module<T>& m) {
  std::vector<tg::Tensor<T>> out;
  for (const auto& p : m.parameters()) out.push_back(p.detach().clone());
  return out;
}
template <class T>
bool unchanged(const nn::Module<T>& m, const std::vector<tg::Tensor<T>>& before) {
  const auto now = m.parameters();
  for (size_t i = 0; i < now.size(); ++i)
    if (!tg::equal(now[i], before[i])) return false;
  return true;
}

}  // namespace io_test
