// Dtype promotion (core/dtype.hpp) against PyTorch's table in
// tests/reference/promotion.txt: all 64 pairs of promote_t and of true
// division, tensor-scalar promotion, the dtype of unary math, and the one
// documented deviation (0-d tensors, Note [Compile-time dtypes]).
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cstdint>
#include <string>
#include <type_traits>

#include "support/reference.hpp"

using namespace tapegrad;

namespace {

template <class... Ts>
struct TypeList {};
using AllDTypes = TypeList<bool, uint8_t, int8_t, int16_t, int32_t, int64_t, float, double>;

// f.template operator()<T>() for each T of the list.
template <class... Ts, class F>
void for_each_dtype(TypeList<Ts...>, F&& f) {
  (f.template operator()<Ts>(), ...);
}

std::string record(const std::string& name) { return tapegrad_test::ref("promotion.txt", name).text; }

template <Element A, Element B>
std::string pair_key() {
  return std::string(dtype_name<A>()) + "." + dtype_name<B>();
}

template <class TensorType>
using dtype_of = typename std::remove_cvref_t<TensorType>::value_type;

// ---- compile time: the table's structure, for all 64 pairs ------------------------------------
template <class A, class... Bs>
constexpr bool symmetric_row(TypeList<Bs...>) {
  return (std::is_same_v<promote_t<A, Bs>, promote_t<Bs, A>> && ...);
}
template <class... As>
constexpr bool symmetric(TypeList<As...> all) {
  return (symmetric_row<As>(all) && ...);
}
static_assert(symmetric(AllDTypes{}), "promote_t must be symmetric");

template <class... As>
constexpr bool idempotent(TypeList<As...>) {
  return (std::is_same_v<promote_t<As, As>, As> && ...);
}
static_assert(idempotent(AllDTypes{}), "promote_t<T, T> must be T");

// The lattice's corner cases, spelled out.
static_assert(std::is_same_v<promote_t<uint8_t, int8_t>, int16_t>);
static_assert(std::is_same_v<promote_t<bool, uint8_t>, uint8_t>);
static_assert(std::is_same_v<promote_t<int64_t, float>, float>);
static_assert(std::is_same_v<promote_t<int32_t, int64_t>, int64_t>);
static_assert(std::is_same_v<promote_t<float, double>, double>);
static_assert(std::is_same_v<true_div_t<int64_t, int64_t>, float>);
static_assert(std::is_same_v<true_div_t<bool, bool>, float>);
static_assert(std::is_same_v<scalar_promote_t<float, double>, float>);
static_assert(std::is_same_v<scalar_promote_t<int8_t, int>, int8_t>);
static_assert(std::is_same_v<scalar_promote_t<bool, int>, int64_t>);
static_assert(std::is_same_v<scalar_promote_t<int64_t, double>, float>);

}  // namespace

TEST_CASE("promote_t: all 64 dtype pairs match torch.result_type of a + b") {
  int checked = 0;
  for_each_dtype(AllDTypes{}, [&]<class A>() {
    for_each_dtype(AllDTypes{}, [&]<class B>() {
      const std::string key = pair_key<A, B>();
      INFO("promote.", key);
      const std::string expected = record("promote." + key);
      CHECK(dtype_name<promote_t<A, B>>() == expected);
      // The operator and the named op use the same rule, at run time too.
      auto sum = ones<A>({2}) + ones<B>({2});
      CHECK(dtype_name<dtype_of<decltype(sum)>>() == expected);
      CHECK(dtype_name<dtype_of<decltype(mul(ones<A>({2}), ones<B>({2})))>>() == expected);
      ++checked;
    });
  });
  CHECK(checked == 64);
}

TEST_CASE("div: all 64 dtype pairs of a / b match PyTorch's true division") {
  int checked = 0;
  for_each_dtype(AllDTypes{}, [&]<class A>() {
    for_each_dtype(AllDTypes{}, [&]<class B>() {
      const std::string key = pair_key<A, B>();
      INFO("truediv.", key);
      const std::string expected = record("truediv." + key);
      using Q = dtype_of<decltype(std::declval<Tensor<A>>() / std::declval<Tensor<B>>())>;
      CHECK(dtype_name<Q>() == expected);
      CHECK(dtype_name<true_div_t<A, B>>() == expected);
      // 1 / 2 is 0.5 in every result dtype: no integer division anywhere.
      auto q = full<A>({2}, A(1)) / full<B>({2}, static_cast<B>(std::is_same_v<B, bool> ? 1 : 2));
      CHECK(q(0) == static_cast<Q>(std::is_same_v<B, bool> ? 1.0 : 0.5));
      ++checked;
    });
  });
  CHECK(checked == 64);
}

TEST_CASE("scalar_promote_t: Tensor<T> + true / 2 / 2.5 matches PyTorch") {
  for_each_dtype(AllDTypes{}, [&]<class T>() {
    const std::string name = dtype_name<T>();
    INFO("scalar.", name);
    auto x = ones<T>({2});
    CHECK(dtype_name<dtype_of<decltype(x + true)>>() == record("scalar." + name + ".bool"));
    CHECK(dtype_name<dtype_of<decltype(x + 2)>>() == record("scalar." + name + ".int"));
    CHECK(dtype_name<dtype_of<decltype(x + 2.5)>>() == record("scalar." + name + ".float"));
    // The scalar on the left gives the same dtype.
    CHECK(dtype_name<dtype_of<decltype(2.5 + x)>>() == record("scalar." + name + ".float"));
    CHECK(dtype_name<scalar_promote_t<T, int>>() == record("scalar." + name + ".int"));
    CHECK(dtype_name<scalar_promote_t<T, float>>() == record("scalar." + name + ".float"));
    // and the value is computed in that dtype
    if constexpr (!std::is_same_v<T, bool>) {
      CHECK((x + 2)(1) == T(3));
    }
    CHECK((x + 2.5)(0) == 3.5);
  });
}

TEST_CASE("exp/sqrt/sigmoid: result dtypes match PyTorch for every input dtype") {
  for_each_dtype(AllDTypes{}, [&]<class T>() {
    const std::string name = dtype_name<T>();
    INFO("unary.*.", name);
    auto x = ones<T>({2});
    CHECK(dtype_name<dtype_of<decltype(exp(x))>>() == record("unary.exp." + name));
    CHECK(dtype_name<dtype_of<decltype(x.sqrt())>>() == record("unary.sqrt." + name));
    CHECK(dtype_name<dtype_of<decltype(sigmoid(x))>>() == record("unary.sigmoid." + name));
    CHECK(dtype_name<to_floating_t<T>>() == record("unary.exp." + name));
    CHECK(x.sqrt()(0) == 1);
  });
}

// Note [Compile-time dtypes] (core/dtype.hpp): in PyTorch a 0-d tensor joins
// promotion like a scalar (it only counts when it is of a higher category:
// bool < integral < floating), so float32[2] + float64[] is float32. A
// Tensor<T>'s dtype is a compile-time type and its rank a run-time value, so
// tapegrad cannot do that: the dtypes alone decide, and float32 + 0-d float64
// is float64. The zerodim.* records keep PyTorch's answers; this test shows
// where and how tapegrad differs.
TEST_CASE("promote_t: deliberately ignores PyTorch's 0-d rule (zerodim.* records differ)") {
  SUBCASE("the headline case: float32[2] + float64[]") {
    auto r = ones<float>({2}) + ones<double>({});
    static_assert(std::is_same_v<decltype(r), Tensor<double>>);
    CHECK(std::string(dtype_name<dtype_of<decltype(r)>>()) == "float64");
    CHECK(record("zerodim.float32.float64") == "float32");  // PyTorch
    CHECK(record("zerodim.float32.float64") != dtype_name<dtype_of<decltype(r)>>());
    CHECK(r.sizes() == Shape{2});
  }
  SUBCASE("all 64 pairs: tapegrad uses promote_t; PyTorch's 0-d rule is what the records hold") {
    int differ = 0;
    for_each_dtype(AllDTypes{}, [&]<class A>() {
      for_each_dtype(AllDTypes{}, [&]<class B>() {
        const std::string key = pair_key<A, B>();
        INFO("zerodim.", key);
        const std::string torch = record("zerodim." + key);
        using R = dtype_of<decltype(ones<A>({2}) + ones<B>({}))>;
        CHECK(std::is_same_v<R, promote_t<A, B>>);  // the rank plays no part
        // PyTorch: the 0-d operand counts only when of a higher category.
        constexpr bool higher = detail::category<B> > detail::category<A>;
        CHECK(torch == (higher ? dtype_name<promote_t<A, B>>() : dtype_name<A>()));
        if (torch != dtype_name<R>()) ++differ;
      });
    });
    // The pairs whose 0-d operand of the same category widens the result:
    // 11 integral ones (uint8 with int8/16/32/64, int8 with uint8/int16/32/64,
    // int16 with int32/64, int32 with int64) and float32 with float64.
    CHECK(differ == 12);
  }
}
