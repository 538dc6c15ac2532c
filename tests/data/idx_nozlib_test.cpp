// read_idx built without zlib (TAPEGRAD_NO_ZLIB, as the tapegrad::data target
// sets when CMake finds no zlib): raw files still work, gzip files give a
// clear error. The inline namespace in idx.hpp keeps this translation unit's
// read_idx apart from the zlib one in the same test binary.
#ifndef TAPEGRAD_NO_ZLIB
#define TAPEGRAD_NO_ZLIB
#endif
#include <doctest/doctest.h>
#include <tapegrad/data/idx.hpp>

#include <cstdint>
#include <vector>

#include "support/idx_files.hpp"

static_assert(TAPEGRAD_DATA_HAS_ZLIB == 0);

using namespace tapegrad;
using tapegrad_test::Bytes;

TEST_CASE("read_idx without zlib: reads raw files, and names the missing zlib for gzip files") {
  tapegrad_test::TempDir dir("idx_nozlib");
  const auto raw = dir.write("raw", tapegrad_test::idx_of<uint8_t>({3}, {1, 2, 3}));
  CHECK(data::read_idx<uint8_t>(raw).to_vector() == std::vector<uint8_t>{1, 2, 3});

  // Only the magic matters: a gzip stream is recognised before any inflating.
  const auto gz = dir.write("train-labels-idx1-ubyte.gz", {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3});
  CHECK_THROWS_WITH_AS(data::read_idx(gz),
                       ("read_idx: " + gz.string() + ": gzip support needs zlib").c_str(), IOError);
  const Bytes b = {0x1f, 0x8b};
  CHECK_THROWS_WITH_AS(data::read_idx_bytes<uint8_t>(b.data(), b.size(), "m"),
                       "read_idx: m: gzip support needs zlib", IOError);
}
