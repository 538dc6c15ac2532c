#include <doctest/doctest.h>
#include <tapegrad/tapegrad.hpp>

#include <string>

#define TAPEGRAD_TEST_STR_(x) #x
#define TAPEGRAD_TEST_STR(x) TAPEGRAD_TEST_STR_(x)

TEST_CASE("version_string: matches the TAPEGRAD_VERSION_* macros") {
  const std::string from_macros = TAPEGRAD_TEST_STR(TAPEGRAD_VERSION_MAJOR) "." TAPEGRAD_TEST_STR(
      TAPEGRAD_VERSION_MINOR) "." TAPEGRAD_TEST_STR(TAPEGRAD_VERSION_PATCH);
  CHECK(std::string(tapegrad::version_string) == from_macros);
  CHECK(tapegrad::version_major == TAPEGRAD_VERSION_MAJOR);
  CHECK(tapegrad::version_minor == TAPEGRAD_VERSION_MINOR);
  CHECK(tapegrad::version_patch == TAPEGRAD_VERSION_PATCH);
}
