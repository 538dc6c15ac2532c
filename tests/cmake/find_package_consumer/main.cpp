// Packaging test consumer: must build with only tapegrad::tapegrad linked
// (C++20 comes from the target's compile features, not from this project).
#include <tapegrad/tapegrad.hpp>

#include <iostream>

static_assert(__cplusplus >= 202002L, "tapegrad::tapegrad must bring C++20 with it");

int main() {
  std::cout << tapegrad::version_string << '\n';
  return 0;
}
