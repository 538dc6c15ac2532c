#pragma once
// The differential fuzz tests' shared parts (tests/*/fuzz_*_test.cpp):
// reading their spec texts, and replaying the cases of a file whose cases
// are string records `<name>.spec`.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "reference.hpp"

namespace tapegrad_test {

/// s cut at every sep (empty fields kept: "a,,b" is three).
inline std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}
/// The whitespace-separated words of s.
inline std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}
/// s as a whole integer / number; a spec that is not one is a harness error.
inline int64_t to_int(const std::string& s) {
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0') throw std::runtime_error("fuzz spec: bad integer '" + s + "'");
  return v;
}
inline double to_double(const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0') throw std::runtime_error("fuzz spec: bad number '" + s + "'");
  return v;
}

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
