// Knobs of the decode (one-token) kernels that benchmarks change while a model runs.
//
// Their defaults come from the environment, read once: ABSTRACTLLM_PREFETCH_BYTES (how far
// ahead each line of weights is prefetched, default 8192; 0 asks for the line being read, i.e.
// no look-ahead), ABSTRACTLLM_DECODE_BLOCKS (row blocks per thread in a decode region,
// default 4) and ABSTRACTLLM_TILED_PREFETCH_BYTES (the tiled kernel's distance, default 0:
// none). set_decode_tuning() lets one process alternate settings token by token
// (BM_DecodeAB in bench/bench_model_forward.cpp): on a host whose memory bandwidth moves from
// one minute to the next, tokens run side by side compare settings where separate runs cannot.
#pragma once

#include <cstdint>

namespace abstractllm::engine::ops {

struct DecodeTuning {
  int64_t prefetch_bytes = 8192;  // >= 0
  int64_t blocks_per_thread = 4;  // >= 1
  // The same distance for the Tiles16 kernel (tiled_weights.hpp), whose one stream a thread
  // the hardware prefetcher carries alone; 0 = no software prefetch (the default).
  int64_t tiled_prefetch_bytes = 0;  // >= 0
};

// The settings the next decode kernel call will use.
DecodeTuning decode_tuning() noexcept;

// Replaces them for every later kernel call (a call already running keeps the values it read).
// Throws InvalidParameterError naming the field for a negative prefetch distance or fewer than
// one block per thread.
void set_decode_tuning(const DecodeTuning& tuning);

}  // namespace abstractllm::engine::ops
