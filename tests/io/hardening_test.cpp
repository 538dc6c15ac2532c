// io under hostile input and faults (issue 31): the reproducers of the
// overflowing shapes in .npy and safetensors files, safetensors headers with
// very many keys (Note [Header parsing time]), .npy headers held to NumPy's
// rules (Note [npy header]), and durable saves (Note [Durable saves]): the
// file's mode kept, stale temporaries of crashed saves removed, the OS's
// reason in every error.
#include "io/io_ref.hpp"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace {

using namespace io_test;

// A version 1.0 .npy file with this header dict, padded as NumPy pads it.
std::string npy_file(std::string header, const std::string& data) {
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xFF);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

// What load_npy_any says about a file, after "load_npy: <path>".
std::string npy_error(const std::string& path, const std::string& bytes) {
  write_bytes(path, bytes);
  try {
    io::load_npy_any(path);
  } catch (const tg::IOError& e) {
    const std::string m = e.what(), where = "load_npy: " + path;
    return m.rfind(where, 0) == 0 ? m.substr(where.size()) : m;
  }
  return "no IOError";
}

std::string st_error(const std::string& path, const std::string& bytes) {
  write_bytes(path, bytes);
  try {
    io::load_safetensors(path);
  } catch (const tg::IOError& e) {
    const std::string m = e.what(), where = "load_safetensors: " + path;
    return m.rfind(where, 0) == 0 ? m.substr(where.size()) : m;
  }
  return "no IOError";
}

// A safetensors header of n one-byte U8 tensors "t0".."t<n-1>" and their data.
std::pair<std::string, std::string> many_tensors(size_t n) {
  std::string h = "{";
  for (size_t i = 0; i < n; ++i) {
    if (i) h += ',';
    h += "\"t" + std::to_string(i) + "\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[" + std::to_string(i) + "," +
         std::to_string(i + 1) + "]}";
  }
  return {h + "}", std::string(n, '\x07')};
}

auto tiny_mlp() { return nn::Sequential(nn::Linear(4, 3), nn::ReLU(), nn::Linear(3, 2)); }

}  // namespace

// ---- overflowing shapes in files (defect 1) ----------------------------------------------------

TEST_CASE("load_safetensors: the 82-byte file with shape [2^39, 2^25] and empty data is refused") {
  TempDir dir;
  const std::string path = dir.file("big.safetensors");
  const std::string bytes = st_file(R"({"w":{"dtype":"F32","shape":[549755813888,33554432],"data_offsets":[0,0]}})", "");
  CHECK(bytes.size() == 82);
  CHECK(st_error(path, bytes) == ": tensor 'w': shape is too large");
  // through nn::load as well, leaving the model as it was
  auto net = tiny_mlp();
  const auto before = net.parameters()[0].detach().clone();
  CHECK_THROWS_WITH_AS(nn::load(net, path), ("load_safetensors: " + path + ": tensor 'w': shape is too large").c_str(),
                       tg::IOError);
  CHECK(tg::equal(net.parameters()[0], before));
  // a zero with sizes whose product overflows (the strides would) is refused too
  CHECK(st_error(path, st_file(R"({"w":{"dtype":"F32","shape":[0,1099511627775,1099511627775],"data_offsets":[0,0]}})",
                               "")) == ": tensor 'w': shape is too large");
}

TEST_CASE("load_safetensors: shapes of more than 64 dimensions are refused") {
  TempDir dir;
  const std::string path = dir.file("dims.safetensors");
  std::string dims = "1";
  for (int i = 1; i < 65; ++i) dims += ",1";
  CHECK(st_error(path, st_file(R"({"w":{"dtype":"U8","shape":[)" + dims + R"(],"data_offsets":[0,1]}})", "x")) ==
        ": tensor 'w': shape has 65 dimensions, more than 64");
  dims = "1";
  for (int i = 1; i < 64; ++i) dims += ",1";
  write_bytes(path, st_file(R"({"w":{"dtype":"U8","shape":[)" + dims + R"(],"data_offsets":[0,1]}})", "x"));
  CHECK(io::sizes(io::load_safetensors(path)[0].second).size() == 64);
}

TEST_CASE("load_npy: the 128-byte Fortran-order file with shape (2^39, 2^25) is refused, not a segfault") {
  TempDir dir;
  const std::string path = dir.file("big.npy");
  const std::string fortran =
      npy_file("{'descr': '<f4', 'fortran_order': True, 'shape': (549755813888, 33554432), }", "");
  CHECK(fortran.size() == 128);
  CHECK(npy_error(path, fortran) == ": shape has more than 2^63 - 1 elements");
  CHECK(npy_error(path, npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (549755813888, 33554432), }", "")) ==
        ": shape has more than 2^63 - 1 elements");
  // an empty shape whose other sizes overflow the strides
  CHECK(npy_error(path, npy_file("{'descr': '|u1', 'fortran_order': False, 'shape': (0, 4294967296, 4294967296), }",
                                 "")) == ": shape has more than 2^63 - 1 elements");
  // fits in int64, but the data is not there: the size check cannot wrap
  CHECK(npy_error(path, npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (576460752303423488,), }", "")) ==
        ": data has 0 bytes, shape [576460752303423488] and dtype '<f8' need 4611686018427387904");
  CHECK(npy_error(path, npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (999999999999999999, 9), }", "")) ==
        ": data has 0 bytes, shape [999999999999999999, 9] and dtype '<f8' need more than 2^64");
  CHECK(npy_error(path, npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000000000,), }", "")) ==
        ": shape entry 1000000000000000000 is too large");
}

// ---- safetensors header parsing time and bounds (defect 2) ------------------------------------

TEST_CASE("load_safetensors: a header of 200,000 keys loads (duplicate check in O(n log n))") {
  // bench/io_header_bench.sh times this header; quadratic duplicate checks took minutes.
  TempDir dir;
  const std::string path = dir.file("many.safetensors");
  const auto [header, data] = many_tensors(200000);
  write_bytes(path, st_file(header, data));
  const auto loaded = io::load_safetensors(path);
  REQUIRE(loaded.size() == 200000);
  CHECK(loaded[123456].first == "t123456");
  CHECK(io::get_as<uint8_t>(loaded[199999].second, "t").item() == 7);
}

TEST_CASE("load_safetensors: a duplicate key among 200,000 is found, in file order") {
  TempDir dir;
  const std::string path = dir.file("dup.safetensors");
  auto [header, data] = many_tensors(200000);
  header.back() = ',';
  header += R"("t150000":{"dtype":"U8","shape":[1],"data_offsets":[200000,200001]},)"
            R"("t7":{"dtype":"U8","shape":[1],"data_offsets":[200001,200002]}})";
  CHECK(st_error(path, st_file(header, data + "xx")) == ": invalid JSON header: duplicate key \"t150000\"");
}

TEST_CASE("load_safetensors: more tensors than kSafetensorsMaxTensors are refused while parsing") {
  TempDir dir;
  const std::string path = dir.file("over.safetensors");
  const auto [header, data] = many_tensors(io::kSafetensorsMaxTensors + 2);
  CHECK(st_error(path, st_file(header, data)) == ": invalid JSON header: more than 262145 members in an object");
  // and arrays are bounded the same way
  std::string shape = "0";
  for (size_t i = 0; i < io::kSafetensorsMaxTensors + 1; ++i) shape += ",0";
  CHECK(st_error(path, st_file(R"({"w":{"dtype":"U8","shape":[)" + shape + R"(],"data_offsets":[0,0]}})", "")) ==
        ": invalid JSON header: more than 262145 items in an array");
}

TEST_CASE("save_safetensors: refuses more tensors than load_safetensors reads, and duplicates in O(n log n)") {
  TempDir dir;
  io::NamedTensors many;
  const auto one = tg::zeros<uint8_t>({1});
  for (size_t i = 0; i < 100000; ++i) many.emplace_back("t" + std::to_string(i), one);
  many.emplace_back("t99999", one);
  CHECK_THROWS_WITH_AS(io::save_safetensors(dir.file("d.safetensors"), many),
                       "save_safetensors: duplicate tensor name 't99999'", tg::ValueError);
  many.resize(io::kSafetensorsMaxTensors + 1, {"x", one});
  CHECK_THROWS_WITH_AS(io::save_safetensors(dir.file("d.safetensors"), many),
                       "save_safetensors: 262145 tensors, more than the 262144 load_safetensors reads", tg::ValueError);
  CHECK(dir.entries().empty());
}

// ---- .npy headers as NumPy reads them (defect 9) -----------------------------------------------

TEST_CASE("load_npy: refuses the headers NumPy refuses (tools/gen_npy_hardening.py checks each with NumPy)") {
  TempDir dir;
  const std::string path = dir.file("h.npy");
  const std::string f4(16, '\0');
  auto err = [&](const std::string& header) { return npy_error(path, npy_file(header, f4)); };
  CHECK(err("{'descr': '<f4', 'fortran_order': False, 'shape': 12, }") == ": shape must be a tuple of ints, got 12");
  CHECK(err("{'descr': '<f4', 'fortran_order': False, 'shape': (3 4), }") ==
        ": malformed header (expected ',' or ')' at byte 53)");
  CHECK(err("{'descr': '<f4', 'fortran_order': False, 'shape': (4), }") == ": shape must be a tuple of ints, got 4");
  CHECK(err("{'descr': '<f4', 'fortran_order': 'False', 'shape': (4,), }") ==
        ": fortran_order must be True or False, got 'False'");
  CHECK(err("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'extra': 1, }") ==
        ": header has an unknown key 'extra'");
  CHECK(err("{'descr': '<f4', 'fortran_order': False, 'shape': (-4,), }") ==
        ": malformed header (unexpected character at byte 51)");
  CHECK(err("{'descr': '<f4', 'fortran_order': False, 'shape': (04,), }") ==
        ": malformed header (leading zeros in an integer at byte 53)");
  CHECK(err("{'descr': '<f4', 'fortran_order': False, 'shape': (4.0,), }") ==
        ": malformed header (unsupported number at byte 52)");
  CHECK(err("{'descr': '<f4', 'fortran_order': False}") == ": header has no 'shape' field");
  CHECK(err("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'shape': (4,)}") ==
        ": header has the key 'shape' twice");
  CHECK(err("{'descr': '<f4', 'fortran_order': False, 'shape': ('4',), }") ==
        ": shape must be a tuple of ints, got '4' in it");
  CHECK(err("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }") ==
        ": unsupported dtype of a list (a structured dtype) (tapegrad reads little-endian b1 u1 i1 i2 i4 i8 f4 f8)");
  CHECK(err("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), } x") ==
        ": malformed header (unexpected text after the dict at byte 58)");
  CHECK(err("{'descr': '<f4', 'fortran_order': False, 'shape': (((((((((((4,),),),),),),),),),),), }") ==
        ": malformed header (nesting too deep at byte 58)");
  CHECK(err("['descr', '<f4']") == ": malformed header (expected a dict at byte 0)");
}

TEST_CASE("load_npy: accepts the header forms literal_eval reads, and NumPy's own files of versions 1 to 3") {
  TempDir dir;
  const std::string path = dir.file("h.npy");
  std::string f4(16, '\0');
  const float one = 1.0f;
  std::memcpy(f4.data() + 12, &one, 4);
  auto shape_of = [&](const std::string& header) {
    write_bytes(path, npy_file(header, f4));
    return io::sizes(io::load_npy_any(path));
  };
  CHECK(shape_of("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)}") == tg::Shape{2, 2});
  CHECK(shape_of("{'shape': (4,), 'fortran_order': False, 'descr': '<f4', }") == tg::Shape{4});
  CHECK(shape_of(R"({"descr": "<f4", "fortran_order": False, "shape": ( 2 , 2 , ), })") == tg::Shape{2, 2});
  CHECK(shape_of("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 4, 1, 1)}") == tg::Shape{1, 4, 1, 1});
  CHECK(tg::io::load_npy<float>(path)(0, 3, 0, 0) == 1.0f);

  auto npy = [](const char* name) { return nn_test::reference_file(std::string("npy/") + name); };
  CHECK(tg::equal(io::load_npy<float>(npy("v2_f32.npy")), tg::arange<float>(0, 6).view({3, 2})));
  CHECK(tg::equal(io::load_npy<int16_t>(npy("v3_i16.npy")), tg::tensor<int16_t>({-2, 7, 300})));
  CHECK(io::load_npy<uint8_t>(npy("u8_1x0x3.npy")).sizes() == tg::Shape{1, 0, 3});
}

TEST_CASE("load_npy: a header longer than NumPy's 10000-byte limit is refused") {
  TempDir dir;
  const std::string path = dir.file("long.npy");
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }" + std::string(10050, ' ') + "\n";
  std::string bytes("\x93NUMPY\x02\x00", 8);
  for (int i = 0; i < 4; ++i) bytes += static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  CHECK(npy_error(path, bytes + header + std::string(16, '\0')) ==
        ": header length " + std::to_string(header.size()) + " is over the 10000-byte limit");
}

// ---- saves (defect 8) ----------------------------------------------------------------------------
#if defined(__unix__) || defined(__APPLE__)

TEST_CASE("save_safetensors: saving over a file keeps its permission bits") {
  TempDir dir;
  const std::string path = dir.file("m.safetensors");
  auto net = tiny_mlp();
  nn::save(net, path);
  ::chmod(path.c_str(), 0600);
  nn::save(net, path);
  struct stat st{};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  ::chmod(path.c_str(), 0640);
  io::save_npy(path, tg::zeros<float>({2}));
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
}

TEST_CASE("save_safetensors: a new file gets the usual mode (0666 less the umask)") {
  TempDir dir;
  const std::string path = dir.file("new.safetensors");
  const mode_t old = ::umask(027);
  nn::save(tiny_mlp(), path);
  ::umask(old);
  struct stat st{};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
}

TEST_CASE("save_safetensors: removes the temporaries of crashed saves of the same target, only those") {
  TempDir dir;
  const std::string path = dir.file("m.safetensors");
  // pid 2147483647 is above any pid_max: that process is not running
  const std::string stale = "m.safetensors.tmp-tapegrad-2147483647-123456";
  const std::string live = "m.safetensors.tmp-tapegrad-" + std::to_string(::getppid()) + "-42";  // the running parent
  const std::string mine = "m.safetensors.tmp-tapegrad-" + std::to_string(::getpid()) + "-7";    // this process
  const std::string other_target = "n.safetensors.tmp-tapegrad-2147483647-1";
  const std::string not_ours = "m.safetensors.tmp-tapegrad-x-1";
  for (const auto& f : {stale, live, mine, other_target, not_ours}) write_bytes(dir.file(f), "partial");
  nn::save(tiny_mlp(), path);
  auto entries = dir.entries();
  std::sort(entries.begin(), entries.end());
  auto want = std::vector<std::string>{"m.safetensors", live, mine, not_ours, other_target};
  std::sort(want.begin(), want.end());
  CHECK(entries == want);
}

TEST_CASE("save_safetensors: errors carry the OS's reason") {
  TempDir dir;
  write_bytes(dir.file("plain"), "a file, not a directory");
  const std::string in_file = dir.file("plain/m.safetensors");
  try {
    nn::save(tiny_mlp(), in_file);
    FAIL("no exception");
  } catch (const tg::IOError& e) {
    const std::string m = e.what();
    CHECK(m.rfind("save_safetensors: cannot create '" + in_file + ".tmp-tapegrad-", 0) == 0);
    CHECK(m.substr(m.size() - std::strlen("': Not a directory")) == "': Not a directory");
  }
  try {
    io::save_npy(dir.file("missing/x.npy"), tg::zeros<float>({1}));
    FAIL("no exception");
  } catch (const tg::IOError& e) {
    const std::string m = e.what();
    CHECK(m.substr(m.size() - std::strlen("': No such file or directory")) == "': No such file or directory");
  }
}

TEST_CASE("save_npy: a write that fails midway (file size limit) names the reason and leaves nothing behind") {
  TempDir dir;
  const std::string path = dir.file("big.npy");
  struct rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  void (*old_handler)(int) = ::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of the signal
  struct rlimit small = old;
  small.rlim_cur = 4096;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  std::string error;
  try {
    io::save_npy(path, tg::zeros<double>({10000}));
  } catch (const tg::IOError& e) {
    error = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  ::signal(SIGXFSZ, old_handler);
  CHECK(error == "save_npy: writing '" + path + "' failed: File too large");
  CHECK(dir.entries().empty());
}

#endif
