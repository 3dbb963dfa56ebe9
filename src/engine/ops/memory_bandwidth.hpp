// Read-bandwidth measurement: the roofline for batch-1 decoding (tokens/s <= bandwidth /
// bytes of weights read per token). Used by `abstractllm bench` and the microbenchmarks.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/ops/thread_pool.hpp"

namespace abstractllm::engine::ops {

struct BandwidthResult {
  double best_gbps = 0.0;    // best of the repetitions, GB/s (1e9 bytes per second)
  double median_gbps = 0.0;  // median of the repetitions
  std::size_t bytes = 0;     // buffer size read per repetition
  int threads = 0;
};

// Reads a `bytes`-sized buffer (made larger than any cache) `reps` times with SIMD loads, each
// of pool.size() threads reading one contiguous slice, and reports GB/s. With
// prefetch_distance > 0 each 64-byte line is also prefetched that many bytes ahead, as the
// decode kernels do (a diagnostic: what the software prefetch costs a core; the roofline is
// measured without it).
BandwidthResult measure_read_bandwidth(ThreadPool& pool, std::size_t bytes = std::size_t{512} << 20,
                                       int reps = 5, int64_t prefetch_distance = 0);

}  // namespace abstractllm::engine::ops
