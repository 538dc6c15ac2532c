// Printing against PyTorch 1.13's str(tensor) (tests/reference/printing.txt).
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cstdint>
#include <sstream>
#include <string>

#include "support/reference.hpp"

namespace {

using tapegrad::Shape;
using tapegrad::Tensor;
using tapegrad_test::RefTensor;

constexpr const char* kFile = "printing.txt";

template <tapegrad::Element T>
Tensor<T> rebuild_as(const RefTensor& r) {
  return tapegrad::from_vector(r.as<T>(), Shape(r.shape.begin(), r.shape.end()));
}

// The tensor of a numeric record, in the record's dtype.
std::string print_record(const RefTensor& r) {
  if (r.dtype == "float32") return to_string(rebuild_as<float>(r));
  if (r.dtype == "float64") return to_string(rebuild_as<double>(r));
  if (r.dtype == "int64") return to_string(rebuild_as<int64_t>(r));
  if (r.dtype == "int32") return to_string(rebuild_as<int32_t>(r));
  if (r.dtype == "int16") return to_string(rebuild_as<int16_t>(r));
  if (r.dtype == "int8") return to_string(rebuild_as<int8_t>(r));
  if (r.dtype == "uint8") return to_string(rebuild_as<uint8_t>(r));
  if (r.dtype == "bool") return to_string(rebuild_as<bool>(r));
  FAIL("unexpected dtype " << r.dtype);
  return {};
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

TEST_CASE("to_string: matches PyTorch's str(tensor) for every reference record") {
  int checked = 0;
  for (const auto& entry : tapegrad_test::ref_file(kFile)) {
    const std::string& name = entry.first;
    const RefTensor& rec = entry.second;
    if (name.rfind("print.", 0) != 0 || !rec.is_str()) continue;
    CAPTURE(name);
    const RefTensor& in = tapegrad_test::ref(kFile, name + ".in");
    CHECK(print_record(in) == rec.text);
    ++checked;
  }
  CHECK(checked == 45);
}

TEST_CASE("operator<<: writes the same text as to_string") {
  const auto t = rebuild_as<float>(tapegrad_test::ref(kFile, "print.mixed_2x2.in"));
  std::ostringstream os;
  os << t;
  CHECK(os.str() == tapegrad_test::ref(kFile, "print.mixed_2x2").text);
}

TEST_CASE_TEMPLATE("to_string: a transposed view prints its logical values", T, float, double) {
  const auto x = rebuild_as<T>(tapegrad_test::ref(kFile, "print.randn_3x3_f64.in"));
  const auto xt = x.t();
  REQUIRE_FALSE(xt.is_contiguous());
  CHECK(to_string(xt) == to_string(xt.contiguous()));
  CHECK(to_string(xt) != to_string(x));
  // Transposing back through a second view restores the reference text.
  if constexpr (std::is_same_v<T, double>)
    CHECK(to_string(xt.t()) == tapegrad_test::ref(kFile, "print.randn_3x3_f64").text);
}

TEST_CASE("to_string: a transposed int view prints its columns as rows") {
  const auto x = tapegrad::tensor<int64_t>({{1, 2}, {3, 4}});
  CHECK(to_string(x.t()) == "tensor([[1, 3],\n        [2, 4]])");
}

TEST_CASE("to_string: a summarised non-contiguous view shows its own edge items") {
  const auto x = rebuild_as<int64_t>(tapegrad_test::ref(kFile, "print.arange10000_100x100.in"));
  const auto xt = x.t();
  REQUIRE_FALSE(xt.is_contiguous());
  // (x.t()).t() is x again, through two views: the reference text.
  CHECK(to_string(xt.t()) == tapegrad_test::ref(kFile, "print.arange10000_100x100").text);
  CHECK(to_string(xt) == to_string(xt.contiguous()));
  CHECK(to_string(xt).rfind("tensor([[   0,  100,  200,  ..., 9700, 9800, 9900],", 0) == 0);
}

TEST_CASE("to_string: a 0-d int tensor prints its value and a non-default dtype") {
  const auto i32 = tapegrad::from_vector<int32_t>({-5}, Shape{});
  REQUIRE(i32.dim() == 0);
  CHECK(to_string(i32) == "tensor(-5, dtype=torch.int32)");
  const auto i64 = rebuild_as<int64_t>(tapegrad_test::ref(kFile, "print.scalar_i64.in"));
  REQUIRE(i64.dim() == 0);
  CHECK(to_string(i64) == tapegrad_test::ref(kFile, "print.scalar_i64").text);
  CHECK(to_string(i64.to<int8_t>()) == "tensor(7, dtype=torch.int8)");
}

TEST_CASE("to_string: a sliced view prints only its elements") {
  const auto x = rebuild_as<float>(tapegrad_test::ref(kFile, "print.wide_row.in"));
  // The last element of the 1x30 row is 1, the first -1: a step-29 slice.
  const auto ends = x.slice(1, 0, 30, 29);
  CHECK(to_string(ends) == "tensor([[-1.,  1.]])");
}

TEST_CASE("to_string: an undefined tensor prints without throwing") {
  const Tensor<float> undefined;
  CHECK(to_string(undefined) == "tensor(undefined)");
  std::ostringstream os;
  CHECK_NOTHROW(os << undefined);
  CHECK(os.str() == "tensor(undefined)");
}

TEST_CASE("to_string: the dtype suffix is named after the element type") {
  const auto r = tapegrad_test::ref(kFile, "print.int32.in");
  CHECK(ends_with(to_string(rebuild_as<int16_t>(r)), ", dtype=torch.int16)"));
  CHECK(ends_with(to_string(rebuild_as<uint8_t>(r)), ", dtype=torch.uint8)"));
  CHECK(ends_with(to_string(rebuild_as<double>(r)), ", dtype=torch.float64)"));
  CHECK(ends_with(to_string(rebuild_as<int64_t>(r)), "3])"));
  CHECK(ends_with(to_string(rebuild_as<float>(r)), "3.])"));
}
