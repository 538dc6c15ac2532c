#pragma once
// Replaying the cases of a differential fuzz file (tests/ops/fuzz_*_test.cpp):
// each case is a string record `<name>.spec` with the records it names.
#include <doctest/doctest.h>

#include <exception>
#include <string>

#include "reference.hpp"

namespace tapegrad_test {

/// Calls run(name) for every case of `file` whose name starts with `prefix`;
/// run returns what differs from PyTorch (empty when nothing does). Each case
/// is one check, with its spec text as context. Returns how many ran.
template <class Run>
int replay_specs(const char* file, const std::string& prefix, Run run) {
  int n = 0;
  const std::string suffix = ".spec";
  for (const auto& entry : ref_file(file)) {
    const std::string& rname = entry.first;
    const std::string& text = entry.second.text;  // (clang 14: INFO cannot capture a structured binding)
    if (rname.rfind(prefix, 0) != 0 || rname.size() <= suffix.size() ||
        rname.compare(rname.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const std::string name = rname.substr(0, rname.size() - suffix.size());
    std::string msg;
    try {
      msg = run(name);
    } catch (const std::exception& e) {
      msg = std::string("test harness error or non-tapegrad exception: ") + e.what();
    }
    INFO("spec:\n", text);
    CHECK_MESSAGE(msg.empty(), name, ": ", msg);
    ++n;
  }
  return n;
}

}  // namespace tapegrad_test
