// io/npy.hpp: round trips of every dtype (0-d and size-0 included), numpy's
// own .npy files, and truncated or corrupt files, which are IOErrors.
#include "io/io_ref.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

using namespace io_test;

// ---- .npy ------------------------------------------------------------------------------------

TEST_CASE_TEMPLATE("save_npy/load_npy: every dtype round-trips in 0-d, 1-d, 2-d, non-contiguous and size-0 shapes", T,
                   bool, uint8_t, int8_t, int16_t, int32_t, int64_t, float, double) {
  TempDir dir;
  const std::string path = dir.file("t.npy");
  auto base = tg::arange<int64_t>(12).view({3, 4});
  std::vector<tg::Tensor<T>> cases = {
      base.select(0, 1).select(0, 2).to<T>(),  // 0-d
      base.view({12}).to<T>(),                 // 1-d
      base.to<T>(),                            // 2-d
      base.to<T>().t(),                        // non-contiguous
      tg::zeros<T>({0, 3}),                    // size 0
  };
  if constexpr (std::is_signed_v<T> && !std::is_same_v<T, bool>)
    cases.push_back(tg::tensor<T>({std::numeric_limits<T>::lowest(), std::numeric_limits<T>::max(), T(-1)}));
  for (const auto& t : cases) {
    CAPTURE(t.sizes());
    tg::io::save_npy(path, t);
    auto back = tg::io::load_npy<T>(path);
    CHECK(back.sizes() == t.sizes());
    CHECK(back.is_contiguous());
    CHECK(bytes_of(back) == bytes_of(t));
    // the layout numpy writes: magic, version 1.0, header padded to 64 bytes with '\n'
    const std::string bytes = read_bytes(path);
    REQUIRE(bytes.size() >= 10);
    CHECK(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
    const size_t hlen = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    CHECK((10 + hlen) % 64 == 0);
    CHECK(bytes[10 + hlen - 1] == '\n');
  }
}

TEST_CASE("save_npy: the header is numpy's, shape tuples included") {
  TempDir dir;
  auto header = [&](const auto& t) {
    tg::io::save_npy(dir.file("h.npy"), t);
    const std::string bytes = read_bytes(dir.file("h.npy"));
    const size_t hlen = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    std::string h = bytes.substr(10, hlen);
    return h.substr(0, h.find_last_not_of(" \n") + 1);
  };
  CHECK(header(tg::zeros<float>({2, 3})) == "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
  CHECK(header(tg::zeros<double>({5})) == "{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }");
  CHECK(header(tg::zeros<int64_t>({})) == "{'descr': '<i8', 'fortran_order': False, 'shape': (), }");
  CHECK(header(tg::zeros<bool>({1, 2, 0})) == "{'descr': '|b1', 'fortran_order': False, 'shape': (1, 2, 0), }");
  CHECK(header(tg::zeros<uint8_t>({3})) == "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }");
}

TEST_CASE("load_npy: files written by numpy, Fortran order included") {
  auto npy = [](const char* name) { return nn_test::reference_file(std::string("npy/") + name); };
  auto f = tg::io::load_npy<double>(npy("f64_fortran.npy"));
  CHECK(tg::equal(f, tg::arange<double>(6).view({2, 3})));
  auto i = tg::io::load_npy<int32_t>(npy("i32_fortran.npy"));
  CHECK(tg::equal(i, tg::arange<int32_t>(24).view({2, 3, 4})));
  CHECK(i.is_contiguous());
  CHECK(tg::equal(tg::io::load_npy<bool>(npy("bool_1d.npy")), tg::tensor<bool>({true, false, true})));
  auto s = tg::io::load_npy<float>(npy("f32_0d.npy"));
  CHECK(s.dim() == 0);
  CHECK(s.item() == 2.5f);
  auto e = tg::io::load_npy_any(npy("i64_empty.npy"));
  CHECK(io::sizes(e) == tg::Shape{0, 3});
  CHECK(std::string(io::dtype_name(e)) == "int64");
  const std::string be = npy("f8_bigendian.npy");
  CHECK_THROWS_WITH_AS(tg::io::load_npy_any(be),
                       ("load_npy: " + be + ": unsupported dtype '>f8' (tapegrad reads little-endian b1 u1 i1 i2 i4 i8 f4 f8)").c_str(),
                       tg::IOError);
  CHECK_THROWS_WITH_AS(tg::io::load_npy<float>(npy("f64_fortran.npy")),
                       ("load_npy: " + npy("f64_fortran.npy") + " has dtype float64, expected float32").c_str(),
                       tg::DTypeError);
}

TEST_CASE("load_npy: truncated and corrupt files are IOErrors") {
  TempDir dir;
  const std::string path = dir.file("t.npy");
  tg::io::save_npy(path, tg::arange<double>(6).view({2, 3}));
  const std::string good = read_bytes(path);
  const size_t hlen = static_cast<unsigned char>(good[8]) | (static_cast<unsigned char>(good[9]) << 8);
  REQUIRE(good.size() == 10 + hlen + 48);
  auto err = [&](const std::string& bytes) {
    write_bytes(path, bytes);
    try {
      tg::io::load_npy_any(path);
    } catch (const tg::IOError& e) {
      return std::string(e.what());
    }
    return std::string("no IOError");
  };
  const std::string where = "load_npy: " + path + ": ";
  CHECK(err(good.substr(0, good.size() - 8)) == where + "data has 40 bytes, shape [2, 3] and dtype '<f8' need 48");
  CHECK(err(good + "x") == where + "data has 49 bytes, shape [2, 3] and dtype '<f8' need 48");
  CHECK(err(good.substr(0, 40)) == where + "header length " + std::to_string(hlen) + " exceeds the file size (40 bytes)");
  CHECK(err(good.substr(0, 9)) == where + "not a .npy file (bad magic)");
  CHECK(err("PK\x03\x04 a zip file, not npy") == where + "not a .npy file (bad magic)");
  std::string v9 = good;
  v9[6] = 9;
  CHECK(err(v9) == where + "unsupported .npy version 9");
  std::string no_shape = good;
  no_shape.replace(no_shape.find("'shape'"), 7, "'shap_'");
  CHECK(err(no_shape) == where + "header has no 'shape' field");
  std::string bad_dtype = good;
  bad_dtype.replace(bad_dtype.find("<f8"), 3, "<c8");
  CHECK(err(bad_dtype) == where + "unsupported dtype '<c8' (tapegrad reads little-endian b1 u1 i1 i2 i4 i8 f4 f8)");
  int not_io = 0;
  for (size_t len = 0; len < good.size(); ++len)
    if (err(good.substr(0, len)).rfind(where, 0) != 0) ++not_io;
  CHECK(not_io == 0);
  // random byte flips in the header: a tapegrad error or a valid load, never a crash
  std::mt19937 rng(7);
  int other = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string bad = good;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) bad[rng() % (10 + hlen)] = static_cast<char>(rng() % 256);
    write_bytes(path, bad);
    try {
      tg::io::load_npy_any(path);
    } catch (const tg::Error&) {
    } catch (...) {
      ++other;
    }
  }
  CHECK(other == 0);
  CHECK_THROWS_WITH_AS(tg::io::save_npy(dir.file("missing/x.npy"), tg::zeros<float>({1})),
                       doctest::Contains("save_npy: cannot create '"), tg::IOError);
}
