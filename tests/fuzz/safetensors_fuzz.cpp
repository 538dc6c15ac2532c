// libFuzzer target for load_safetensors and nn::load: arbitrary bytes through
// the length, the JSON header (Note [Untrusted files], Note [Header parsing
// time]), the offsets and the tensors, then into a small model. Any outcome
// but tensors or a tapegrad::Error is a bug, as is a tensor whose bytes do
// not lie in the input. Built and run by tools/fuzz.sh (the fuzz stage of
// tools/run-tests.sh).
#include <tapegrad/io.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace tg = tapegrad;
  const std::vector<char> file(data, data + size);
  try {
    const tg::io::NamedTensors tensors = tg::io::detail::parse_safetensors(file, "fuzz", nullptr);
    uint64_t total = 0;
    for (const auto& [name, t] : tensors)
      std::visit([&](const auto& x) {
        // Touch every element, so ASan checks the whole buffer.
        using T = typename std::decay_t<decltype(x)>::value_type;
        const auto* p = reinterpret_cast<const uint8_t*>(x.data_ptr());
        const uint64_t bytes = static_cast<uint64_t>(x.numel()) * sizeof(T);
        uint64_t bits = 0;
        for (uint64_t i = 0; i < bytes; ++i) bits += p[i];
        volatile uint64_t sink = bits;
        (void)sink;
        total += bytes;
      }, t);
    if (total > size) std::abort();  // the tensors tile the data section, which is in the input
    // nn::load's name, dtype and shape checks on the same tensors
    tg::nn::Sequential<float> net(tg::nn::Linear<float>(2, 2));
    tg::nn::detail::load_named(net, tensors, "fuzz");
  } catch (const tg::Error&) {
    // A clear error is the expected outcome for most inputs.
  }
  return 0;
}
