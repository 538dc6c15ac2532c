// set_printoptions against PyTorch 1.13's torch.set_printoptions, sizes
// printed as torch.Size, grad_fn names and to_vector2d
// (tests/reference/surface2.txt).
#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <cstdint>
#include <sstream>
#include <string>

#include "support/reference.hpp"

namespace tg = tapegrad;
using tapegrad_test::RefTensor;

namespace {

constexpr const char* kFile = "surface2.txt";

template <tg::Element T>
tg::Tensor<T> rebuild_as(const RefTensor& r) {
  return tg::from_vector(r.as<T>(), tg::Shape(r.shape.begin(), r.shape.end()));
}

std::string print_record(const RefTensor& r, bool requires_grad) {
  if (r.dtype == "float32") {
    auto t = rebuild_as<float>(r);
    if (requires_grad) t.requires_grad_();
    return to_string(t);
  }
  if (r.dtype == "float64") return to_string(rebuild_as<double>(r));
  if (r.dtype == "int64") return to_string(rebuild_as<int64_t>(r));
  if (r.dtype == "int32") return to_string(rebuild_as<int32_t>(r));
  if (r.dtype == "bool") return to_string(rebuild_as<bool>(r));
  FAIL("unexpected dtype " << r.dtype);
  return {};
}

// The key=value lines of a .opts record as PrintOptions.
tg::PrintOptions parse_options(const std::string& text, std::string& profile) {
  tg::PrintOptions o;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    REQUIRE(eq != std::string::npos);
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "precision") o.precision = std::stoi(value);
    else if (key == "threshold") o.threshold = std::stoll(value);
    else if (key == "edgeitems") o.edgeitems = std::stoll(value);
    else if (key == "linewidth") o.linewidth = std::stoll(value);
    else if (key == "profile") profile = value, o.profile = profile;
    else if (key == "sci_mode" && value != "None") o.sci_mode = value == "True";
    else REQUIRE_MESSAGE(key == "sci_mode", "unknown option " << key);
  }
  return o;
}

// Restores PyTorch's defaults when a case ends, whatever it set.
struct DefaultsAfter {
  ~DefaultsAfter() { tg::set_printoptions({.profile = "default"}); }
};

}  // namespace

TEST_CASE("set_printoptions: prints as PyTorch under every recorded set of options") {
  DefaultsAfter restore;
  int checked = 0;
  for (const auto& [name, rec] : tapegrad_test::ref_file(kFile)) {
    if (name.rfind("print.", 0) != 0 || !rec.is_str() || name.find('.', 6) != std::string::npos ||
        name == "print.defaults")
      continue;
    CAPTURE(name);
    std::string profile;
    tg::set_printoptions(parse_options(tapegrad_test::ref(kFile, name + ".opts").text, profile));
    CHECK(print_record(tapegrad_test::ref(kFile, name + ".in"), name == "print.requires_grad") == rec.text);
    tg::set_printoptions({.profile = "default"});
    ++checked;
  }
  CHECK(checked == 28);
}

TEST_CASE("set_printoptions: fields left unset keep their value, sci_mode does not") {
  DefaultsAfter restore;
  tg::set_printoptions({.precision = 2, .sci_mode = true});
  tg::set_printoptions({.linewidth = 100});
  const auto o = tg::get_printoptions();
  CHECK(*o.precision == 2);
  CHECK(*o.linewidth == 100);
  CHECK(*o.threshold == 1000);
  CHECK(*o.edgeitems == 3);
  CHECK_FALSE(o.sci_mode.has_value());
  CHECK(to_string(tg::tensor({1.125, 2.5})) == "tensor([1.12, 2.50])");
  tg::set_printoptions({.profile = "default"});
  CHECK(to_string(tg::tensor({1.125, 2.5})) == "tensor([1.1250, 2.5000])");
}

TEST_CASE("set_printoptions: the defaults are PyTorch's") {
  const auto o = tg::get_printoptions();
  std::string profile;
  const auto want = parse_options(tapegrad_test::ref(kFile, "print.defaults").text, profile);
  CHECK(o.precision == want.precision);
  CHECK(o.threshold == want.threshold);
  CHECK(o.edgeitems == want.edgeitems);
  CHECK(o.linewidth == want.linewidth);
  CHECK(o.sci_mode == want.sci_mode);
}

TEST_CASE("set_printoptions: rejects an unknown profile and a negative precision") {
  DefaultsAfter restore;
  CHECK_THROWS_WITH_AS(tg::set_printoptions({.profile = "long"}),
                       "set_printoptions: profile must be \"default\", \"short\" or \"full\", got \"long\"",
                       tg::ValueError);
  CHECK_THROWS_WITH_AS(tg::set_printoptions({.precision = -1}),
                       "set_printoptions: precision must be non-negative, got -1", tg::ValueError);
}
