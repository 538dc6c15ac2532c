// libFuzzer target for load_npy_any: arbitrary bytes through the magic, the
// header length, the header dict (Note [npy header]) and the data, Fortran
// order included. Any outcome but a tensor or a tapegrad::Error is a bug, as
// is a tensor with more bytes than the input. Built and run by tools/fuzz.sh
// (the fuzz stage of tools/run-tests.sh).
#include <tapegrad/io.hpp>

#include <cstdint>
#include <cstdlib>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace tg = tapegrad;
  const std::vector<char> file(data, data + size);
  try {
    const tg::io::AnyTensor t = tg::io::detail::parse_npy(file, "fuzz");
    std::visit([&](const auto& x) {
      using T = typename std::decay_t<decltype(x)>::value_type;
      const auto* p = reinterpret_cast<const uint8_t*>(x.data_ptr());
      const uint64_t bytes = static_cast<uint64_t>(x.numel()) * sizeof(T);
      if (bytes > size) std::abort();
      if (!x.is_contiguous()) std::abort();
      uint64_t bits = 0;
      for (uint64_t i = 0; i < bytes; ++i) bits += p[i];
      volatile uint64_t sink = bits;
      (void)sink;
    }, t);
  } catch (const tg::Error&) {
    // A clear error is the expected outcome for most inputs.
  }
  return 0;
}
