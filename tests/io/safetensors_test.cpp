// io/safetensors.hpp: round trips of every dtype (0-d and size-0 included)
// and corrupt or hostile files: each gives a clear error (never a crash or an
// out-of-bounds read: truncations at every length and random byte flips run
// under ASan in CI). Writes are atomic: a failed save leaves nothing behind.
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

// ---- safetensors: round trips ----------------------------------------------------------------

TEST_CASE("save_safetensors: every dtype, 0-d, size-0 and non-contiguous tensors and metadata round-trip") {
  TempDir dir;
  const std::string path = dir.file("all.safetensors");
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  auto b = tg::tensor<bool>({{true, false, true}, {false, false, true}});
  auto u8 = tg::tensor<uint8_t>({0, 1, 254, 255});
  auto i8 = tg::full<int8_t>({}, int8_t{-128});
  auto i16 = tg::tensor<int16_t>({{-32768, 32767}, {0, -1}});
  auto i32 = tg::zeros<int32_t>({0});
  auto i64 = tg::tensor<int64_t>({std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 0});
  auto f32 = tg::tensor<float>({{1.5f, -0.0f, nan}, {inf, -inf, 1e-45f}}).t();  // non-contiguous [3, 2]
  auto f64 = tg::empty<double>({3, 0, 2});
  auto f64b = tg::tensor<double>({3.141592653589793});
  REQUIRE_FALSE(f32.is_contiguous());
  io::NamedTensors tensors = {{"b", b}, {"u8", u8}, {"i8 0-d", i8}, {"i16", i16}, {"i32 empty", i32},
                              {"i64", i64}, {"f32/t", f32}, {"f64 empty", f64}, {"f64", f64b}};
  const std::map<std::string, std::string> meta = {
      {"format", "pt"}, {"note", "quote \" backslash \\ newline \n tab \t unicode \xc3\xa9"}};
  io::save_safetensors(path, tensors, meta);

  const std::string bytes = read_bytes(path);
  REQUIRE(bytes.size() > 8);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
  CHECK(n % 8 == 0);  // the data starts 8-byte aligned, as Python's writer does it
  CHECK(bytes[8] == '{');
  const size_t data = 6 + 4 + 1 + 8 + 0 + 24 + 24 + 0 + 8;
  CHECK(bytes.size() == 8 + n + data);

  std::map<std::string, std::string> meta_back;
  const io::NamedTensors back = io::load_safetensors(path, &meta_back);
  CHECK(meta_back == meta);
  REQUIRE(back.size() == tensors.size());
  // returned in data order, which is the order they were saved in (size-0
  // tensors sort before a tensor starting at the same offset)
  std::vector<std::string> names;
  for (const auto& [name, t] : back) names.push_back(name);
  std::map<std::string, io::AnyTensor> by_name(back.begin(), back.end());
  CHECK(by_name.size() == tensors.size());
  check_same_tensor(by_name.at("b"), b);
  check_same_tensor(by_name.at("u8"), u8);
  check_same_tensor(by_name.at("i8 0-d"), i8);
  CHECK(io::sizes(by_name.at("i8 0-d")).size() == 0);
  check_same_tensor(by_name.at("i16"), i16);
  check_same_tensor(by_name.at("i32 empty"), i32);
  check_same_tensor(by_name.at("i64"), i64);
  check_same_tensor(by_name.at("f32/t"), f32);
  check_same_tensor(by_name.at("f64 empty"), f64);
  check_same_tensor(by_name.at("f64"), f64b);
  CHECK(io::get_as<float>(by_name.at("f32/t"), "x").sizes() == tg::Shape{3, 2});
  CHECK_THROWS_WITH_AS(io::get_as<float>(by_name.at("f64"), "tensor 'f64'"),
                       "tensor 'f64' has dtype float64, expected float32", tg::DTypeError);
}

TEST_CASE("save_safetensors: an empty list writes a valid file; names must be unique and not __metadata__") {
  TempDir dir;
  io::save_safetensors(dir.file("empty.safetensors"), {});
  CHECK(io::load_safetensors(dir.file("empty.safetensors")).empty());
  CHECK_THROWS_WITH_AS(io::save_safetensors(dir.file("x"), {{"a", tg::zeros<float>({1})}, {"a", tg::zeros<float>({1})}}),
                       "save_safetensors: duplicate tensor name 'a'", tg::ValueError);
  CHECK_THROWS_WITH_AS(io::save_safetensors(dir.file("x"), {{"__metadata__", tg::zeros<float>({1})}}),
                       "save_safetensors: invalid tensor name '__metadata__'", tg::ValueError);
  CHECK_THROWS_WITH_AS(io::save_safetensors(dir.file("x"), {{"", tg::zeros<float>({1})}}),
                       "save_safetensors: invalid tensor name ''", tg::ValueError);
  CHECK(dir.entries() == std::vector<std::string>{"empty.safetensors"});
}

// ---- safetensors: corrupt files --------------------------------------------------------------

TEST_CASE("load_safetensors: truncated files and impossible header lengths are IOErrors") {
  TempDir dir;
  const std::string path = dir.file("t.safetensors");
  const std::string good = st_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", std::string(8, '\x01'));
  auto err = [&](const std::string& bytes) {
    write_bytes(path, bytes);
    try {
      io::load_safetensors(path);
    } catch (const tg::IOError& e) {
      return std::string(e.what());
    }
    return std::string("no IOError");
  };
  const std::string where = "load_safetensors: " + path + ": ";
  CHECK(err(good.substr(0, 5)) == where + "file has 5 bytes, too short for the 8-byte header length");
  CHECK(err("") == where + "file has 0 bytes, too short for the 8-byte header length");
  CHECK(err(good.substr(0, 30)) == where + "header length 54 exceeds the file size (30 bytes)");
  CHECK(err(good.substr(0, good.size() - 1)) ==
        where + "tensor 'a': data_offsets [0, 8] lie outside the data section of 7 bytes");
  CHECK(err(std::string(8, '\xff') + "{}") ==
        where + "header length 18446744073709551615 exceeds the file size (10 bytes)");
  std::string three = st_file("{}", "");
  three[0] = '\x03';
  CHECK(err(three) == where + "header length 3 exceeds the file size (10 bytes)");
  // every truncation is an IOError, never a crash or an out-of-bounds read
  int not_io = 0;
  for (size_t len = 0; len < good.size(); ++len)
    if (err(good.substr(0, len)).rfind(where, 0) != 0) ++not_io;
  CHECK(not_io == 0);
}

TEST_CASE("load_safetensors: bad JSON, bad fields, bad offsets and dtypes are IOErrors naming the tensor") {
  TempDir dir;
  const std::string path = dir.file("c.safetensors");
  const std::string where = "load_safetensors: " + path;
  auto err = [&](const std::string& header, const std::string& data) {
    write_bytes(path, st_file(header, data));
    try {
      io::load_safetensors(path);
    } catch (const tg::IOError& e) {
      const std::string m = e.what();
      return m.rfind(where, 0) == 0 ? m.substr(where.size()) : m;
    }
    return std::string("no IOError");
  };
  const std::string d8(8, '\0'), d16(16, '\0');
  SUBCASE("JSON") {
    CHECK(err(R"({"a":{"dtype":"F32",)", d8) == ": invalid JSON header: expected a string");
    CHECK(err(R"({"a":{"dtype":"F32")", d8) == ": invalid JSON header: expected '}'");
    CHECK(err(R"({"a")", d8) == ": invalid JSON header: expected ':'");
    CHECK(err("", d8) == ": invalid JSON header: unexpected end");
    CHECK(err("{} x", "") == ": invalid JSON header: trailing characters after the JSON header");
    CHECK(err(R"({"a":tru})", "") == ": invalid JSON header: unexpected character");
    CHECK(err("{\"a\":\"x\ny\"}", "") == ": invalid JSON header: control character in a string");
    CHECK(err(R"({"a":1,"a":2})", "") == ": invalid JSON header: duplicate key \"a\"");
    CHECK(err(std::string(100, '[') + std::string(100, ']'), "") == ": invalid JSON header: nesting too deep");
    CHECK(err("[]", "") == ": the JSON header is not an object");
    CHECK(err(R"({"__metadata__":{"k":1}})", "") == ": __metadata__ value of 'k' is not a string");
    CHECK(err(R"({"__metadata__":[]})", "") == ": __metadata__ must be an object");
  }
  SUBCASE("fields") {
    CHECK(err(R"({"a":[]})", "") == ": tensor 'a': entry is not an object");
    CHECK(err(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", d8) == ": tensor 'a': missing or invalid \"dtype\"");
    CHECK(err(R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", d8) == ": tensor 'a': missing or invalid \"shape\"");
    CHECK(err(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", d8) ==
          ": tensor 'a': missing or invalid \"data_offsets\"");
    CHECK(err(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})", d8) ==
          ": tensor 'a': unknown field \"x\"");
    CHECK(err(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", d8) == ": tensor 'a': invalid shape entry");
    CHECK(err(R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", d8) == ": tensor 'a': invalid shape entry");
    CHECK(err(R"({"a":{"dtype":"F32","shape":[1000000,1000000,1000000],"data_offsets":[0,8]}})", d8) ==
          ": tensor 'a': shape is too large");
    CHECK(err(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", d8) == ": tensor 'a': invalid data_offsets");
  }
  SUBCASE("dtypes") {
    CHECK(err(R"({"a":{"dtype":"X9","shape":[2],"data_offsets":[0,8]}})", d8) ==
          ": tensor 'a': unsupported dtype \"X9\" (tapegrad reads BOOL, U8, I8, I16, I32, I64, F32, F64)");
    CHECK(err(R"({"a":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}})", d8) ==
          ": tensor 'a': unsupported dtype \"F16\" (tapegrad reads BOOL, U8, I8, I16, I32, I64, F32, F64)");
    CHECK(err(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", d8) ==
          ": tensor 'a': data_offsets span 8 bytes but dtype F32 and shape [3] need 12");
  }
  SUBCASE("offsets") {
    CHECK(err(R"({"a":{"dtype":"F32","shape":[16],"data_offsets":[0,64]}})", d8) ==
          ": tensor 'a': data_offsets [0, 64] lie outside the data section of 8 bytes");
    CHECK(err(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", d8) ==
          ": tensor 'a': data_offsets [8, 0] lie outside the data section of 8 bytes");
    CHECK(err(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
              d16) == ": tensor 'b' data_offsets [4, 12] overlap the previous tensor");
    CHECK(err(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I8","shape":[4],"data_offsets":[12,16]}})",
              d16) == ": tensor 'b' data_offsets [12, 16] leave a gap after the previous tensor");
    CHECK(err(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", d16) ==
          ": the data section has 16 bytes but the tensors cover 8");
    CHECK(err(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", d16) ==
          ": tensor 'a' data_offsets [8, 16] leave a gap after the previous tensor");
  }
}

TEST_CASE("load_safetensors: random byte flips in a real file give a tapegrad error or a valid load, never a crash") {
  TempDir dir;
  const std::string path = dir.file("m.safetensors");
  const std::string good = read_bytes(nn_test::reference_file("torch_model.safetensors"));
  REQUIRE(good.size() > 100);
  std::mt19937 rng(2024);
  int other = 0, loaded = 0, rejected = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string bad = good;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < flips; ++k) {
      // mostly the length and the JSON header, where a flip changes the meaning
      const size_t at = rng() % 4 ? rng() % 300 : rng() % bad.size();
      bad[at] = static_cast<char>(rng() % 256);
    }
    write_bytes(path, bad);
    auto net = small_mlp();
    try {
      nn::load(net, path);
      ++loaded;
    } catch (const tg::Error&) {
      ++rejected;
    } catch (...) {
      ++other;
    }
  }
  CHECK(other == 0);
  CHECK(rejected > 100);
  INFO("loaded ", loaded);
}

// ---- atomic writes ---------------------------------------------------------------------------

TEST_CASE("save_safetensors: a path in a missing directory throws and leaves nothing behind") {
  TempDir dir;
  const std::string path = dir.file("no_such_dir/model.safetensors");
  try {
    nn::save(small_mlp(), path);
    FAIL("no exception");
  } catch (const tg::IOError& e) {
    const std::string m = e.what();
    CHECK(m.rfind("save_safetensors: cannot create '" + dir.file("no_such_dir/model.safetensors.tmp"), 0) == 0);
  }
  CHECK(dir.entries().empty());
}

TEST_CASE("save_safetensors: a failed rename removes the temporary file; a good save replaces the old file") {
  TempDir dir;
  std::filesystem::create_directory(dir.path() / "taken");
  const std::string taken = dir.file("taken");
  CHECK_THROWS_WITH_AS(nn::save(small_mlp(), taken),
                       ("save_safetensors: cannot rename the temporary file to '" + taken + "': Is a directory").c_str(),
                       tg::IOError);
  CHECK(dir.entries() == std::vector<std::string>{"taken"});
  CHECK(std::filesystem::is_empty(dir.path() / "taken"));

  const std::string path = dir.file("m.safetensors");
  write_bytes(path, "old contents");
  auto net = small_mlp();
  nn::save(net, path);
  auto back = small_mlp();
  nn::load(back, path);
  CHECK(tg::equal(back.parameters()[0], net.parameters()[0]));
  auto entries = dir.entries();
  std::sort(entries.begin(), entries.end());
  CHECK(entries == std::vector<std::string>{"m.safetensors", "taken"});
}
