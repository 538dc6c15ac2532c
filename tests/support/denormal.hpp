#pragma once
// Helpers of the denormal tests (Note [Denormals] in core/denormal.hpp).
#include <tapegrad/tapegrad.hpp>

#include <cstdint>

namespace tapegrad_test {

/// A float denormal: below the smallest normal float, 1.18e-38.
inline constexpr float kDenormal = 1e-39f;

/// Whether the calling thread is in flush-to-zero mode: half a denormal,
/// computed here, comes out as zero.
inline bool caller_flushes() {
  volatile float d = kDenormal;
  volatile float half = d * 0.5f;
  return half == 0.0f;
}

/// Whether every element of contiguous t equals v, compared here in the
/// caller's mode (a comparison inside tapegrad's kernels may read a denormal
/// as zero).
template <class T>
bool all_equal(const tapegrad::Tensor<T>& t, T v) {
  const tapegrad::Tensor<T> c = t.contiguous();
  const T* p = c.data_ptr();
  for (int64_t i = 0; i < t.numel(); ++i)
    if (!(p[i] == v)) return false;
  return true;
}

/// Whether contiguous-or-not a and b have equal values, compared here.
template <class T>
bool same_values(const tapegrad::Tensor<T>& a, const tapegrad::Tensor<T>& b) {
  const tapegrad::Tensor<T> ca = a.contiguous(), cb = b.contiguous();
  if (ca.sizes() != cb.sizes()) return false;
  for (int64_t i = 0; i < ca.numel(); ++i)
    if (!(ca.data_ptr()[i] == cb.data_ptr()[i])) return false;
  return true;
}

/// Gives back, at the end of a scope, the calling thread's flush bits and
/// whether tapegrad's scopes flush (set_flush_denormal changes both).
class DenormalModeRestorer {
 public:
  DenormalModeRestorer()
      : bits_(tapegrad::detail::flush_bits()), kernels_(tapegrad::detail::flush_denormal_in_kernels.load()) {}
  ~DenormalModeRestorer() {
    tapegrad::detail::set_flush_bits(bits_);
    tapegrad::detail::flush_denormal_in_kernels.store(kernels_);
  }
  DenormalModeRestorer(const DenormalModeRestorer&) = delete;
  DenormalModeRestorer& operator=(const DenormalModeRestorer&) = delete;

 private:
  uint32_t bits_;
  bool kernels_;
};

}  // namespace tapegrad_test
