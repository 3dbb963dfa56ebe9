#include "engine/ops/decode_tuning.hpp"

#include <atomic>
#include <cstdlib>
#include <string>

#include "abstractllm/errors.hpp"

namespace abstractllm::engine::ops {
namespace {

int64_t env_or(const char* name, int64_t fallback, int64_t min) {
  const char* v = std::getenv(name);
  if (v == nullptr || v[0] == '\0') return fallback;
  const int64_t n = std::atoll(v);
  return n >= min ? n : fallback;
}

// Relaxed atomics: each kernel call reads them once; a change needs no ordering with anything
// but the next call, which the thread pool's hand-off of the call already provides.
std::atomic<int64_t>& prefetch_bytes() {
  static std::atomic<int64_t> v{env_or("ABSTRACTLLM_PREFETCH_BYTES", 8192, 0)};
  return v;
}
std::atomic<int64_t>& tiled_prefetch_bytes() {
  static std::atomic<int64_t> v{env_or("ABSTRACTLLM_TILED_PREFETCH_BYTES", 0, 0)};
  return v;
}
std::atomic<int64_t>& blocks_per_thread() {
  static std::atomic<int64_t> v{env_or("ABSTRACTLLM_DECODE_BLOCKS", 4, 1)};
  return v;
}

}  // namespace

DecodeTuning decode_tuning() noexcept {
  return {prefetch_bytes().load(std::memory_order_relaxed),
          blocks_per_thread().load(std::memory_order_relaxed),
          tiled_prefetch_bytes().load(std::memory_order_relaxed)};
}

void set_decode_tuning(const DecodeTuning& tuning) {
  if (tuning.prefetch_bytes < 0) {
    throw InvalidParameterError(
        "prefetch_bytes",
        "decode tuning: prefetch_bytes must be >= 0, got " + std::to_string(tuning.prefetch_bytes));
  }
  if (tuning.blocks_per_thread < 1) {
    throw InvalidParameterError("blocks_per_thread",
                                "decode tuning: blocks_per_thread must be >= 1, got " +
                                    std::to_string(tuning.blocks_per_thread));
  }
  if (tuning.tiled_prefetch_bytes < 0) {
    throw InvalidParameterError("tiled_prefetch_bytes",
                                "decode tuning: tiled_prefetch_bytes must be >= 0, got " +
                                    std::to_string(tuning.tiled_prefetch_bytes));
  }
  prefetch_bytes().store(tuning.prefetch_bytes, std::memory_order_relaxed);
  tiled_prefetch_bytes().store(tuning.tiled_prefetch_bytes, std::memory_order_relaxed);
  blocks_per_thread().store(tuning.blocks_per_thread, std::memory_order_relaxed);
}

}  // namespace abstractllm::engine::ops
