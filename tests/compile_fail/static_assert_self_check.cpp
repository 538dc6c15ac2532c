// Checks the compile-fail mechanism itself (tests/cmake/compile_fail.cmake):
// this file must compile with -DTAPEGRAD_COMPILE_FAIL_CONTROL, and without
// it must fail with the message below.
#include <tapegrad/tapegrad.hpp>

template <class T>
inline constexpr bool always_false = false;

#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL
static_assert(always_false<int>, "tapegrad compile-fail self check");
#endif

int main() { return 0; }
