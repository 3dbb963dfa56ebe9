// Scalar helpers shared by the linear kernels: half/bfloat16 conversion, scale loads, and
// extraction of one MLX affine-quantized value.
//
// MLX packing (mlx/backend/cpu/quantized.cpp, extract_bits; mlx/ops.cpp quantize): a row's
// quantized values form one little-endian, LSB-first bit stream. For 2/4/8 bits this is the
// same as "value j of a uint32 word sits at bits [j*b, j*b+b)"; for 3/5/6 bits MLX packs 8, 8
// and 4 values into 3, 5 and 3 bytes, LSB first, which is again the same continuous stream
// (values cross byte boundaries but never the 3- or 5-byte pack). So value c of a row is at
// bit offset c*bits of the row's bytes, and a row holds cols*bits/8 bytes.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "engine/ops/decode_tuning.hpp"
#include "engine/ops/linear.hpp"

namespace abstractllm::engine::ops::detail {

inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400u) == 0);
      bits = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

inline float bf16_to_f32(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

inline float load_scalar(const void* base, ScaleType type, int64_t index) {
  switch (type) {
    case ScaleType::F32:
      return static_cast<const float*>(base)[index];
    case ScaleType::F16:
      return f16_to_f32(static_cast<const uint16_t*>(base)[index]);
    case ScaleType::BF16:
      return bf16_to_f32(static_cast<const uint16_t*>(base)[index]);
  }
  return 0.0f;
}

// Bytes of one packed row.
inline int64_t affine_row_bytes(int64_t cols, int bits) { return cols * bits / 8; }

// Quantized value c of a packed row of `row_bytes` bytes (never reads past the row).
inline uint32_t affine_value(const uint8_t* row, int64_t row_bytes, int64_t c, int bits) {
  const int64_t bit = c * bits;
  const int64_t byte = bit >> 3;
  uint32_t v = row[byte];
  if (byte + 1 < row_bytes) v |= static_cast<uint32_t>(row[byte + 1]) << 8;
  return (v >> (bit & 7)) & ((1u << bits) - 1u);
}

// True when $ABSTRACTLLM_INT8_ACTIVATIONS is set to anything but "" or "0": the 4-bit kernels
// then round activations to int8 per group (llama.cpp's Q8_0 precision, faster, but outside
// the model conformance tolerances on our random-weight reference models) instead of int16
// (decode) or float (prefill). Read once.
inline bool int8_activations_enabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("ABSTRACTLLM_INT8_ACTIVATIONS");
    return v != nullptr && v[0] != '\0' && !(v[0] == '0' && v[1] == '\0');
  }();
  return enabled;
}

// Blocks of rows per thread in a decode region (ParallelDecodeRows; DecodeTuning, default 4):
// fewer blocks are fewer restarts of each thread's stream, more blocks even out a slow or
// descheduled thread. Measured on Zen 4 and Zen 5 (docs/performance.md, "Blocks per thread").
inline int64_t decode_blocks_per_thread() { return decode_tuning().blocks_per_thread; }

// Software prefetch for the decode kernels: the hardware prefetcher alone leaves a streaming
// matvec well short of the read bandwidth, so each kernel asks for its weights `distance`
// bytes ahead (rows are contiguous, so this runs across row boundaries).
inline int64_t prefetch_distance() { return decode_tuning().prefetch_bytes; }
// A prefetch into L2 (prefetcht1) that the compiler keeps: GCC 12 deletes loops whose only
// statements are __builtin_prefetch calls, and, depending on the code around it, dropped the
// prefetch in a decode kernel's loop (13 % slower streaming); an asm volatile is never removed.
// Into L2 rather than non-temporal: on Zen 4, with the VNNI decode kernel, prefetchnta 4 KiB
// ahead streamed Llama-1B's linears at 20-22 t/s on one thread and 34-37 on two, prefetcht1
// 8 KiB ahead at 24-29 and 38-47 (BM_Llama1BDecodeLinears, four interleaved rounds); prefetcht0
// was the slowest. (A prefetch of each row's scales and biases 4 rows ahead measured slower on
// the device host's Xeon and within noise on Zen 3, so there is none.)
inline void prefetch(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetcht1 %0" : : "m"(*static_cast<const char*>(p)));
#elif defined(__aarch64__)
  asm volatile("prfm pldl2keep, %0" : : "Q"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p, 0, 0);
#endif
}
// Prefetches, `distance` bytes ahead, each 64-byte line that starts within bytes
// [begin, begin + n) of base: a kernel calling it for consecutive spans asks for every line once.
inline void prefetch_ahead(const void* base, int64_t begin, int64_t n, int64_t distance) {
  const char* b = static_cast<const char*>(base);
  for (int64_t o = (begin + 63) & ~int64_t{63}; o < begin + n; o += 64) prefetch(b + o + distance);
}
// Prefetches, `distance` bytes ahead, the kSpan bytes at p: one prefetch per 64 bytes (a span
// under 64 bytes gets one, so consecutive spans ask for a line more than once, which costs less
// than finding out whether it was asked for). Unrolled at compile time, where prefetch_ahead's
// run-time loop costs a hot loop about a dozen scalar instructions per cache line.
template <int64_t kSpan>
inline void prefetch_span(const void* p, int64_t distance) {
  const char* b = static_cast<const char*>(p) + distance;
  for (int64_t o = 0; o < kSpan || o == 0; o += 64) prefetch(b + o);
}

// Validates a WeightMatrix (throws InvalidParameterError naming the field).
void validate(const WeightMatrix& w);

}  // namespace abstractllm::engine::ops::detail
