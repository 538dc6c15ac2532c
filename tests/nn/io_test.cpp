// io: safetensors and .npy files. Round trips of every dtype (0-d and size-0
// included), nn::save/nn::load, a model written by PyTorch, numpy's own .npy
// files, and corrupt or hostile files: each gives a clear error (never a
// crash or an out-of-bounds read: truncations at every length and random
// byte flips run under ASan in CI), and a failed load leaves the model as it
// was. Writes are atomic: a failed save leaves nothing behind.
#include "nn/nn_ref.hpp"

#include <tapegrad/io.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
namespace io = tapegrad::io;
using nn_test::read_bytes;
using nn_test::st_file;
using nn_test::TempDir;
using nn_test::write_bytes;

// The bytes of a tensor in memory (for bitwise comparisons: nan, -0.0).
template <class T>
std::string bytes_of(const tg::Tensor<T>& t) {
  auto c = t.contiguous();
  return std::string(reinterpret_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.numel()) * sizeof(T));
}

template <class T>
void check_same_tensor(const io::AnyTensor& got, const tg::Tensor<T>& want) {
  const auto* t = std::get_if<tg::Tensor<T>>(&got);
  REQUIRE_MESSAGE(t != nullptr, "dtype ", io::dtype_name(got), " instead of ", tg::dtype_name<T>());
  CHECK(t->sizes() == want.sizes());
  CHECK(bytes_of(*t) == bytes_of(want));
}

auto small_mlp() { return nn::Sequential(nn::Flatten(), nn::Linear(6, 5), nn::ReLU(), nn::Linear(5, 3)); }

template <class T>
std::vector<tg::Tensor<T>> snapshot(const nn::Module<T>& m) {
  std::vector<tg::Tensor<T>> out;
  for (const auto& p : m.parameters()) out.push_back(p.detach().clone());
  return out;
}
template <class T>
bool unchanged(const nn::Module<T>& m, const std::vector<tg::Tensor<T>>& before) {
  const auto now = m.parameters();
  for (size_t i = 0; i < now.size(); ++i)
    if (!tg::equal(now[i], before[i])) return false;
  return true;
}

// A module with a buffer, which nn::save/nn::load carry as well.
template <tg::FloatingElement T = float>
class Scaler : public nn::Cloneable<Scaler, T> {
 public:
  tg::Tensor<T> gain, count;
  Scaler() {
    gain = this->register_parameter("gain", tg::ones<T>({3}));
    count = this->register_buffer("count", tg::zeros<T>({}));
  }
  template <tg::FloatingElement U>
  explicit Scaler(const Scaler<U>& other) : Scaler() {
    this->convert_from(other);
  }
  tg::Tensor<T> forward(const tg::Tensor<T>& x) override { return x * gain; }
  std::string name() const override { return "Scaler"; }
};

}  // namespace

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

// ---- nn::save / nn::load ---------------------------------------------------------------------

TEST_CASE("nn::save/nn::load: a model's parameters round-trip under PyTorch's names") {
  TempDir dir;
  const std::string path = dir.file("mlp.safetensors");
  tg::manual_seed(1);
  auto a = small_mlp();
  tg::manual_seed(2);
  auto b = small_mlp();
  REQUIRE_FALSE(tg::equal(a.parameters()[0], b.parameters()[0]));
  nn::save(a, path);
  std::vector<std::string> names;
  for (const auto& [name, t] : io::load_safetensors(path)) names.push_back(name);
  CHECK(names == std::vector<std::string>{"1.weight", "1.bias", "3.weight", "3.bias"});
  nn::load(b, path);
  for (size_t i = 0; i < 4; ++i) CHECK(tg::equal(a.parameters()[i], b.parameters()[i]));
  for (const auto& p : b.parameters()) {
    CHECK(p.requires_grad());  // still trainable leaves
    CHECK(p.is_leaf());
  }
  auto x = tg::rand<float>({2, 2, 3});
  CHECK(tg::equal(a(x), b(x)));
  // double models too
  auto ad = a.to<double>();
  auto bd = small_mlp().to<double>();
  nn::save(*ad, dir.file("mlp64.safetensors"));
  nn::load(*bd, dir.file("mlp64.safetensors"));
  CHECK(tg::equal(bd->parameters()[2], ad->parameters()[2]));
  // buffers as well
  Scaler<float> s1, s2;
  tg::no_grad([&] {
    s1.gain.fill_(2.5f);
    s1.count.fill_(7.0f);
  });
  nn::save(s1, dir.file("scaler.safetensors"));
  nn::load(s2, dir.file("scaler.safetensors"));
  CHECK(s2.gain.max().item() == 2.5f);
  CHECK(s2.count.item() == 7.0f);
}

TEST_CASE("nn::load: a model saved by PyTorch loads into the same Sequential and gives PyTorch's outputs") {
  const std::string path = nn_test::reference_file("torch_model.safetensors");
  std::map<std::string, std::string> meta;
  const auto tensors = io::load_safetensors(path, &meta);
  CHECK(meta == std::map<std::string, std::string>{{"format", "pt"}});
  CHECK(tensors.size() == 4);
  auto net = small_mlp();
  nn::load(net, path);
  for (const auto& np : net.named_parameters()) {
    const std::string& name = np.first;
    const auto& p = np.second;
    CAPTURE(name);
    NN_CHECK_REF(p, "torch_model." + name, nn_test::Tol{0, 0});
  }
  NN_CHECK_REF(net(nn_test::load<float>("torch_model.x")), "torch_model.out");
}

TEST_CASE("nn::load: wrong dtype, wrong shape, missing and unexpected tensors are errors that change nothing") {
  TempDir dir;
  auto net = small_mlp();
  const auto before = snapshot(net);

  const std::string f64 = dir.file("f64.safetensors");
  nn::save(*small_mlp().to<double>(), f64);
  CHECK_THROWS_WITH_AS(nn::load(net, f64), ("load: " + f64 + ": tensor '1.weight' has dtype float64, expected float32").c_str(),
                       tg::DTypeError);
  CHECK(unchanged(net, before));

  // the last tensor is the wrong one: the first three must not have been copied
  const std::string shape = dir.file("shape.safetensors");
  auto narrow = nn::Sequential(nn::Flatten(), nn::Linear(6, 5), nn::ReLU(), nn::Linear(5, 2));
  auto file = io::load_safetensors(nn_test::reference_file("torch_model.safetensors"));
  nn::save(narrow, shape);
  CHECK_THROWS_WITH_AS(nn::load(net, shape),
                       ("load: " + shape + ": tensor '3.weight' has shape [2, 5] but the model's has shape [3, 5]").c_str(),
                       tg::ShapeError);
  CHECK(unchanged(net, before));

  const std::string missing = dir.file("missing.safetensors");
  io::NamedTensors three(file.begin(), file.end());
  three.erase(three.begin() + 2);  // "3.bias"
  io::save_safetensors(missing, three);
  CHECK_THROWS_WITH_AS(nn::load(net, missing),
                       ("load: " + missing + " has no tensor '3.bias' (Sequential expects it with shape [3])").c_str(),
                       tg::IOError);
  CHECK(unchanged(net, before));

  const std::string extra = dir.file("extra.safetensors");
  io::NamedTensors five(file.begin(), file.end());
  five.emplace_back("4.weight", tg::zeros<float>({1}));
  io::save_safetensors(extra, five);
  CHECK_THROWS_WITH_AS(nn::load(net, extra),
                       ("load: " + extra + " has an unexpected tensor '4.weight' that Sequential does not have").c_str(),
                       tg::IOError);
  CHECK(unchanged(net, before));

  CHECK_THROWS_WITH_AS(nn::load(net, dir.file("nope.safetensors")),
                       ("load_safetensors: cannot open '" + dir.file("nope.safetensors") + "'").c_str(), tg::IOError);
  const std::string a_dir = dir.path().string();
  CHECK_THROWS_WITH_AS(nn::load(net, a_dir), ("load_safetensors: '" + a_dir + "' is not a regular file").c_str(),
                       tg::IOError);
  CHECK_THROWS_WITH_AS(tg::io::load_npy_any(a_dir), ("load_npy: '" + a_dir + "' is not a regular file").c_str(),
                       tg::IOError);
  CHECK(unchanged(net, before));
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
