#pragma once
// Element types and PyTorch's type-promotion rules, at compile time.
// Note [Compile-time dtypes]: a Tensor<T> knows its dtype statically, so
// promotion is a type computation (promote_t) and a dtype mix PyTorch refuses
// (mm of float and double, bool - bool) does not compile. The one deviation:
// PyTorch lets a 0-d tensor act like a scalar in promotion (float32[3] +
// float64[] is float32); here the dtypes alone decide (float64).
#include <concepts>
#include <cstdint>
#include <type_traits>

namespace tapegrad {

/// The element types a Tensor may hold (PyTorch's bool, uint8, int8, int16,
/// int32, int64, float32, float64).
template <class T>
concept Element =
    std::same_as<T, bool> || std::same_as<T, uint8_t> || std::same_as<T, int8_t> ||
    std::same_as<T, int16_t> || std::same_as<T, int32_t> || std::same_as<T, int64_t> ||
    std::same_as<T, float> || std::same_as<T, double>;

template <class T>
concept FloatingElement = std::same_as<T, float> || std::same_as<T, double>;

template <class T>
concept IntegralElement = Element<T> && !FloatingElement<T> && !std::same_as<T, bool>;

/// A C++ number used as the other operand of a tensor op (`x * 2.0`).
template <class S>
concept Scalar = std::is_arithmetic_v<S>;

namespace detail {
// Rank in PyTorch's promotion lattice; uint8 + int8 is the one pair whose
// result (int16) is neither operand.
template <class T> inline constexpr int dtype_rank = -1;
template <> inline constexpr int dtype_rank<bool> = 0;
template <> inline constexpr int dtype_rank<uint8_t> = 1;
template <> inline constexpr int dtype_rank<int8_t> = 2;
template <> inline constexpr int dtype_rank<int16_t> = 3;
template <> inline constexpr int dtype_rank<int32_t> = 4;
template <> inline constexpr int dtype_rank<int64_t> = 5;
template <> inline constexpr int dtype_rank<float> = 6;
template <> inline constexpr int dtype_rank<double> = 7;

// 0 bool, 1 integral, 2 floating: a scalar only widens across categories.
template <class S>
inline constexpr int category =
    std::is_same_v<S, bool> ? 0 : (std::is_floating_point_v<S> ? 2 : 1);

template <class A, class B>
struct promote {
  using type = std::conditional_t<(dtype_rank<A> >= dtype_rank<B>), A, B>;
};
template <> struct promote<uint8_t, int8_t> { using type = int16_t; };
template <> struct promote<int8_t, uint8_t> { using type = int16_t; };

template <class T, class S>
struct scalar_promote {
  using type = std::conditional_t<
      (category<S> <= category<T>), T,
      std::conditional_t<category<S> == 2, float, int64_t>>;
};
}  // namespace detail

/// Result dtype of a binary op between Tensor<A> and Tensor<B> (torch.result_type).
template <Element A, Element B>
using promote_t = typename detail::promote<A, B>::type;

/// Result dtype of Tensor<T> op scalar S: a scalar does not widen a tensor of
/// the same category (float32 * 2.0 is float32, int8 + 1000 is int8).
template <Element T, Scalar S>
using scalar_promote_t = typename detail::scalar_promote<T, S>::type;

/// Floating dtype of unary math on T (exp of an int tensor is float32).
template <Element T>
using to_floating_t = std::conditional_t<FloatingElement<T>, T, float>;

/// Result dtype of sum/prod: integers and bool accumulate in int64.
template <Element T>
using sum_t = std::conditional_t<FloatingElement<T>, T, int64_t>;

/// Result dtype of true division (int / int is float32).
template <Element A, Element B>
using true_div_t = to_floating_t<promote_t<A, B>>;

/// PyTorch's can_cast: no floating -> integral, no non-bool -> bool.
template <Element From, Element To>
inline constexpr bool can_cast_v =
    !(FloatingElement<From> && !FloatingElement<To>) &&
    !(!std::is_same_v<From, bool> && std::is_same_v<To, bool>);

namespace detail {
// Note [No FMA contraction]: where tapegrad promises PyTorch's exact numbers
// or the same numbers on every platform (arange, linspace, the schedulers'
// recursions), a + b * c must round the product before the sum, as
// PyTorch's scalar code and Python do. (The sampling kernels are the
// opposite case: PyTorch's x86-64 build fuses them, so they fuse explicitly
// on every platform, Note [PyTorch's AVX2 normal path].) GCC
// fuses such a pair into one fused multiply-add wherever the target has one
// (its default -ffp-contract=fast outside strict ISO modes: always on
// aarch64, on x86 with -mfma or -march=native), which changes the last bit:
// linspace(0, 1, 16)[12] was 0.80000001 instead of 0.79999995 on aarch64.
// unfused(b * c) hides the product from the optimiser, so it is rounded
// first; it costs no instruction (the value stays in its register).
template <class F>
inline F unfused(F x) {
  static_assert(std::is_same_v<F, float> || std::is_same_v<F, double>);
#if defined(__GNUC__) && defined(__x86_64__)
  __asm__("" : "+x"(x));
#elif defined(__GNUC__) && defined(__aarch64__)
  __asm__("" : "+w"(x));
#else
  volatile F v = x;
  x = v;
#endif
  return x;
}
}  // namespace detail

/// PyTorch's name of a dtype without the "torch." prefix ("float32").
template <Element T>
constexpr const char* dtype_name() {
  if constexpr (std::is_same_v<T, bool>) return "bool";
  else if constexpr (std::is_same_v<T, uint8_t>) return "uint8";
  else if constexpr (std::is_same_v<T, int8_t>) return "int8";
  else if constexpr (std::is_same_v<T, int16_t>) return "int16";
  else if constexpr (std::is_same_v<T, int32_t>) return "int32";
  else if constexpr (std::is_same_v<T, int64_t>) return "int64";
  else if constexpr (std::is_same_v<T, float>) return "float32";
  else return "float64";
}

}  // namespace tapegrad
