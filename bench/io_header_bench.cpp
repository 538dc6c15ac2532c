// Safetensors header parsing time against the number of tensors (issue 31,
// defect 2; Note [Header parsing time] in io/safetensors.hpp).
//
//   BM_load_safetensors/<n>    io::load_safetensors of a file of n one-byte
//                              tensors (written once to the temp directory,
//                              so it is read from the page cache)
//
// bytes_per_second is the header's bytes parsed per second; with the
// duplicate-key check in O(n log n) it stays about flat from 1,000 to
// 200,000 keys, where the former O(n^2) check grew with n (82 s at 200,000
// keys on the machine of the issue). It uses only load_safetensors, so the
// same file builds against an older tree for comparison (bench/io_header.md).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <benchmark/benchmark.h>

#include <tapegrad/io.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

std::vector<char> file_of(int64_t n, size_t& header_bytes) {
  std::string h = "{";
  for (int64_t i = 0; i < n; ++i) {
    if (i) h += ',';
    h += "\"model.layers." + std::to_string(i) + ".weight\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[" +
         std::to_string(i) + "," + std::to_string(i + 1) + "]}";
  }
  h += '}';
  header_bytes = h.size();
  std::vector<char> out(8 + h.size() + static_cast<size_t>(n), '\x01');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((h.size() >> (8 * i)) & 0xFF);
  std::copy(h.begin(), h.end(), out.begin() + 8);
  return out;
}

void BM_load_safetensors(benchmark::State& state) {
  size_t header = 0;
  const auto file = file_of(state.range(0), header);
  const auto path = std::filesystem::temp_directory_path() /
                    ("tapegrad_io_header_bench_" + std::to_string(state.range(0)) + ".safetensors");
  std::ofstream(path, std::ios::binary).write(file.data(), static_cast<std::streamsize>(file.size()));
  for (auto _ : state) {
    auto tensors = tapegrad::io::load_safetensors(path.string());
    benchmark::DoNotOptimize(tensors.data());
  }
  std::filesystem::remove(path);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(header));
  state.counters["keys"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_load_safetensors)->Arg(1000)->Arg(10000)->Arg(100000)->Arg(200000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
