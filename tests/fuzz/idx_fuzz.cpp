// libFuzzer target for read_idx_bytes: arbitrary bytes through the IDX
// header checks, the raw path and the gzip path (Note [Reading untrusted IDX
// files]). Any outcome but a parsed tensor or a tapegrad::Error is a bug, as
// is a parsed raw file whose size does not match its tensor.
// Built and run by tools/fuzz.sh (the fuzz stage of tools/run-tests.sh).
#include <tapegrad/data/idx.hpp>

#include <cstdint>
#include <cstdlib>
#include <type_traits>
#include <variant>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const tapegrad::data::IdxData d = tapegrad::data::read_idx_bytes(data, size, "fuzz");
    std::visit([&](const auto& t) {
      using T = typename std::decay_t<decltype(t)>::value_type;
      // Touch every element, so ASan checks the whole buffer.
      uint64_t bits = 0;
      const auto* p = reinterpret_cast<const uint8_t*>(t.data_ptr());
      const uint64_t bytes = static_cast<uint64_t>(t.numel()) * sizeof(T);
      for (uint64_t i = 0; i < bytes; ++i) bits += p[i];
      if (bytes > tapegrad::data::kIdxMaxDataBytes) std::abort();
      const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
      if (!gzip && size != 4 + 4 * static_cast<uint64_t>(t.dim()) + bytes) std::abort();
      if (t.dim() < 1 || t.dim() > tapegrad::data::kIdxMaxDims) std::abort();
      volatile uint64_t sink = bits;
      (void)sink;
    }, d.tensor);
  } catch (const tapegrad::Error&) {
    // A clear error is the expected outcome for most inputs.
  }
  return 0;
}
