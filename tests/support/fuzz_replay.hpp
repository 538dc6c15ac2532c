#pragma once
// The differential fuzz tests' shared parts (tests/*/fuzz_*_test.cpp):
// reading their spec texts, and replaying the cases of a file whose cases
// are string records `<name>.spec`.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <map>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
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

// Note [Fuzz registries]: each differential replay looks its ops up by name
// in one registry, the C++ side of the op table tools/fuzz_ops.py (the rows
// of the replay's `fuzz=` name, grouped as the table groups them): op name ->
// the tapegrad call. A registry is a static constexpr array of entries, each a
// captureless lambda stored as a plain function pointer: an entry costs the
// instantiation of its body (what a branch of an `if (op == ...)` chain
// cost), with no std::function wrapper and no std::map or std::string built
// at run time (their initialisation code, once per dtype combination, made a
// std::map version of the elementwise replay compile slower than its
// if-chain); a lookup compares names in order, as the if-chains did.
// `tools/fuzz_ops.py --check` holds each registry's names (the lines
// `{"name", ...` between `// [fuzz registry <fuzz>: <groups>]` and
// `// [end fuzz registry]`) to the table's rows, without a build; an op in a
// golden without an entry fails its case with UnknownOp naming it.
template <class Fn>
struct Entry {
  std::string_view name;
  Fn fn;
};
template <class Fn>
using Registry = std::span<const Entry<Fn>>;

/// An op of a golden that the replay's registry lacks: a failure of the test.
struct UnknownOp : std::logic_error {
  using std::logic_error::logic_error;
};

/// The entry of `op` in `r` (`replay` names the registry in the message).
template <class Fn>
Fn lookup(Registry<Fn> r, const std::string& op, const char* replay) {
  for (const Entry<Fn>& e : r)
    if (e.name == op) return e.fn;
  throw UnknownOp(std::string(replay) + ": op '" + op +
                  "' of the golden has no registry entry (a row of tools/fuzz_ops.py without its C++ call)");
}

/// A case of a fuzz file whose cases are string records `<name>.op`: a line
/// of key=value words.
struct OpCase {
  std::string name;  // "c0012"
  std::string line;  // the op record
  std::map<std::string, std::string> kv;
  std::string get(const std::string& k) const {
    auto it = kv.find(k);
    if (it == kv.end()) throw std::invalid_argument(name + ": no '" + k + "' in '" + line + "'");
    return it->second;
  }
  /// The label of the bug the case was found with (bug=), or "".
  std::string bug() const {
    auto it = kv.find("bug");
    return it == kv.end() ? "" : it->second;
  }
};

/// The `<name>.op` cases of `file` whose names start with `prefix`.
inline std::vector<OpCase> op_cases(const char* file, const std::string& prefix = "") {
  std::vector<OpCase> out;
  const std::string suffix = ".op";
  for (const auto& [name, r] : ref_file(file)) {
    if (name.rfind(prefix, 0) != 0 || name.size() <= suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    OpCase c;
    c.name = name.substr(0, name.size() - suffix.size());
    c.line = r.text;
    for (const std::string& w : words(r.text)) {
      const auto eq = w.find('=');
      if (eq != std::string::npos) c.kv[w.substr(0, eq)] = w.substr(eq + 1);
    }
    out.push_back(std::move(c));
  }
  return out;
}

/// check(c) for every case, which returns what differs from PyTorch (empty
/// when nothing does): each mismatch a failed check naming the case, its bug
/// label and its op line, then one message counting them by label.
template <class Case, class Check>
void check_op_cases(const std::vector<Case>& cases, Check check) {
  REQUIRE(!cases.empty());
  int failed = 0, labelled_passing = 0;
  std::map<std::string, int> by_label;
  for (const Case& c : cases) {
    const std::string mm = check(c);
    if (mm.empty()) {
      if (!c.bug().empty()) ++labelled_passing;
      continue;
    }
    ++failed;
    const std::string label = c.bug().empty() ? "unlabelled" : c.bug();
    ++by_label[label];
    FAIL_CHECK(c.name << " [" << label << "] " << c.line << " | " << mm);
  }
  std::ostringstream summary;
  summary << cases.size() << " cases, " << failed << " mismatches";
  for (const auto& [label, n] : by_label) summary << "; " << label << ": " << n;
  summary << "; " << labelled_passing << " cases of fixed bugs match";
  MESSAGE(summary.str());
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
