// libFuzzer target: safetensors header parsing and validation on arbitrary bytes. Any input
// must either parse into entries whose byte ranges lie inside the buffer and do not overlap,
// or throw ModelLoadingError — never crash, hang or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "abstractllm/errors.hpp"
#include "engine/io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace abstractllm::engine;
  std::vector<std::byte> bytes(reinterpret_cast<const std::byte*>(data),
                               reinterpret_cast<const std::byte*>(data) + size);
  try {
    auto f = SafetensorsFile::from_bytes(std::move(bytes), "fuzz.safetensors");
    const std::byte* lo = nullptr;
    for (const auto& t : f.tensors()) {
      // Touch first and last byte of every tensor: ASan flags any range outside the buffer.
      if (t.nbytes > 0) {
        volatile std::byte a = t.data[0];
        volatile std::byte b = t.data[t.nbytes - 1];
        (void)a;
        (void)b;
      }
      if (static_cast<uint64_t>(t.numel()) * dtype_size(t.dtype) != t.nbytes) std::abort();
      lo = t.data;
    }
    (void)lo;
  } catch (const abstractllm::ModelLoadingError&) {
  }
  return 0;
}
