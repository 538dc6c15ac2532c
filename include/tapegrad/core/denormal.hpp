#pragma once
// Denormal (subnormal) floats: tapegrad's kernels flush them to zero, and
// set_flush_denormal() as torch.set_flush_denormal.
//
// Note [Denormals]: a float below 1.2e-38 (double: 2.2e-308) in magnitude is
// denormal, and on many CPUs an arithmetic instruction that reads or produces
// one takes a microcode assist, tens to hundreds of times slower than the
// same instruction on normal numbers. Training makes them without anyone
// asking: Adam's first moment of a weight whose gradient is always zero
// (MNIST's border pixels) decays by beta1 per step into the denormal range,
// where every later step of that optimizer pays the assist; the same happens
// to momentum buffers, to exp() of very negative logits and to what the
// backward pass and the GEMM then compute from them. So tapegrad runs its own
// loops in flush-to-zero mode: a denormal input reads as zero (x86 DAZ) and a
// denormal result is written as zero (FTZ; on aarch64 FPCR.FZ does both),
// which costs nothing per element. The difference from PyTorch (whose
// default keeps denormals) is confined to values below the smallest normal
// number: an Adam state that PyTorch would keep at 9e-40 is 0 here, and since
// such a state moves its parameter by less than 1e-30 the parameters train
// the same.
//
// The mode is set by an RAII scope (FlushDenormalScope) around tapegrad's
// loops, never left behind: the calling thread's floating-point environment
// is as it was when a tapegrad call returns (flags raised inside are kept).
// The scopes sit where the work is, not around every op, because setting
// MXCSR is not free next to a 1000-element op:
//   - Optimizer::step() through detail::zip_apply, the update loop every
//     optimizer uses (Note [Optimizer steps]), so an optimizer added later
//     gets it by using the helper;
//   - backward(), once around the whole pass (every backward kernel);
//   - kernels::gemm (dense and sparse);
//   - elementwise maps of at least kFlushMinElements elements: parallel_range
//     (tensor/map.hpp) for contiguous operands, the strided loop nest
//     (for_each_block, tensor/iterator.hpp) for the others, which also
//     carries copies and most reductions.
//   Smaller maps outside backward() and step() run in the caller's mode:
//   there the switch (two reads and two writes of the control register)
//   would be a sizeable part of every call's time, to save assists that only
//   denormal inputs cause (bench/denormal.md). A denormal there is kept, as
//   by PyTorch.
// A scope that finds the mode already on does nothing but read the control
// register. The pool's workers (core/parallel.hpp) run every chunk in the
// calling thread's mode, so results do not depend on the thread count.
//
// set_flush_denormal(true), as PyTorch's, sets the mode on the calling thread
// for everything it runs, tapegrad or not; set_flush_denormal(false) clears it
// there and turns tapegrad's scopes off, for PyTorch's exact bits (and its
// slowdown). On x86 the mode is MXCSR's FTZ and DAZ bits, on aarch64 FPCR.FZ;
// elsewhere there is no portable switch: the scopes do nothing and
// set_flush_denormal returns false.
#include <atomic>
#include <cstdint>

#if defined(_MSC_VER) && !defined(__clang__) && (defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 1))
#include <xmmintrin.h>
#endif

namespace tapegrad {
namespace detail {

// The control word of the calling thread (fp_control) and the bits that make
// it flush denormals (kFlushBits).
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || (defined(__i386__) && defined(__SSE__)))
inline constexpr uint32_t kFlushBits = 0x8040;  // MXCSR: FTZ (bit 15) | DAZ (bit 6)
inline uint32_t fp_control() {
  uint32_t c;
  asm volatile("stmxcsr %0" : "=m"(c));
  return c;
}
// The "memory" clobber keeps the compiler from moving the loop's loads and
// stores across the switch.
inline void set_fp_control(uint32_t c) { asm volatile("ldmxcsr %0" : : "m"(c) : "memory"); }
#elif defined(_MSC_VER) && !defined(__clang__) && (defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 1))
inline constexpr uint32_t kFlushBits = 0x8040;
inline uint32_t fp_control() { return _mm_getcsr(); }
inline void set_fp_control(uint32_t c) { _mm_setcsr(c); }
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
inline constexpr uint32_t kFlushBits = uint32_t{1} << 24;  // FPCR.FZ (the upper 32 bits are reserved)
inline uint32_t fp_control() {
  uint64_t c;
  asm volatile("mrs %0, fpcr" : "=r"(c));
  return static_cast<uint32_t>(c);
}
inline void set_fp_control(uint32_t c) { asm volatile("msr fpcr, %0" : : "r"(uint64_t{c}) : "memory"); }
#else
inline constexpr uint32_t kFlushBits = 0;  // no portable switch: denormals stay
inline uint32_t fp_control() { return 0; }
inline void set_fp_control(uint32_t) {}
#endif

/// Elementwise maps of fewer elements run in the caller's mode (Note [Denormals]).
inline constexpr int64_t kFlushMinElements = 8192;

/// Whether this build can flush denormals (x86 SSE, aarch64).
inline constexpr bool kCanFlushDenormal = kFlushBits != 0;

/// Whether tapegrad's scopes flush (Note [Denormals]); set_flush_denormal(false) clears it.
inline std::atomic<bool> flush_denormal_in_kernels{true};

/// The calling thread's flush bits (kFlushBits or 0, as the register holds them).
inline uint32_t flush_bits() { return fp_control() & kFlushBits; }
/// Sets the calling thread's flush bits to `bits` (kFlushBits or 0), keeping the rest.
inline void set_flush_bits(uint32_t bits) {
  const uint32_t c = fp_control();
  if ((c & kFlushBits) != bits) set_fp_control((c & ~kFlushBits) | bits);
}

/// Flush-to-zero mode on the calling thread until the end of the scope
/// (Note [Denormals]); nothing when it is on already or turned off.
class FlushDenormalScope {
 public:
  FlushDenormalScope() noexcept : FlushDenormalScope(true) {}
  /// A scope that does nothing unless `engage` (the size check of a small op).
  explicit FlushDenormalScope(bool engage) noexcept {
    if constexpr (kCanFlushDenormal) {
      if (!engage || !flush_denormal_in_kernels.load(std::memory_order_relaxed)) return;
      const uint32_t c = fp_control();
      if ((c & kFlushBits) == kFlushBits) return;
      saved_ = c & kFlushBits;
      active_ = true;
      set_fp_control(c | kFlushBits);
    }
  }
  // Only the flush bits go back: exception flags raised inside stay raised.
  ~FlushDenormalScope() {
    if (active_) set_fp_control((fp_control() & ~kFlushBits) | saved_);
  }
  FlushDenormalScope(const FlushDenormalScope&) = delete;
  FlushDenormalScope& operator=(const FlushDenormalScope&) = delete;

 private:
  uint32_t saved_ = 0;
  bool active_ = false;
};

}  // namespace detail

/// As torch.set_flush_denormal: true makes the calling thread treat denormal
/// floats as zero (in and out) in all the code it runs from now on; false
/// keeps them, there and in tapegrad's kernels on every thread (Note
/// [Denormals]). Returns whether this CPU and build support it (x86 with
/// SSE, aarch64); when not, nothing changes.
inline bool set_flush_denormal(bool on) {
  if constexpr (!detail::kCanFlushDenormal) {
    (void)on;
    return false;
  } else {
    detail::flush_denormal_in_kernels.store(on, std::memory_order_relaxed);
    detail::set_flush_bits(on ? detail::kFlushBits : 0);
    return true;
  }
}

}  // namespace tapegrad
