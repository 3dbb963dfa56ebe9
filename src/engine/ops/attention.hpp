// Scaled dot-product attention of new query rows against a KV cache, with grouped-query heads
// (n_heads / n_kv_heads query heads share one KV head), causal and sliding-window masks and
// optional logit soft-capping (gemma2):
//
//   s_j = scale · q·k_j ;  s_j = cap · tanh(s_j / cap) if cap > 0 ;  p = softmax(s over visible j)
//   out = Σ_j p_j v_j,  visible: lo <= j <= pos with lo = max(0, pos - window + 1) if window > 0
//
// (transformers' sliding mask: key j visible from query i iff i - j < window.) Each row brings
// its own cache pointers, so rows of different sequences can share one call (batching).
//
// Implementation: kernel_attention.cpp (Highway SIMD, runtime dispatch): tiles of the queries
// that share a KV head, online softmax over blocks of 64 keys, threads over row blocks × KV
// heads (and over key chunks when a call has few rows, as in decode).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "engine/ops/thread_pool.hpp"

namespace abstractllm::engine::ops {

struct AttentionShape {
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;
  float scale = 1;
  float softcap = 0;   // 0 = off
  int64_t window = 0;  // 0 = full causal
};

// Element type of a KV cache's keys and values. F16 (IEEE half, as llama.cpp's default cache and
// mlx-lm's caches of half-precision models) halves the cache's memory and the bytes a decode
// step reads from it; keys and values are rounded to nearest even when stored, and values beyond
// ±65504 saturate there. The arithmetic stays in float.
enum class KVType : uint8_t { F32, F16 };

struct AttentionRow {
  const void* keys = nullptr;    // position p's keys at element p * n_kv_heads * head_dim
  const void* values = nullptr;  // same layout
  int64_t pos = 0;               // the query's position; keys [lo, pos] must be filled
  KVType type = KVType::F32;     // element type of keys and values
};

// q: n_rows × (n_heads · head_dim); out: same shape.
void attention(const float* q, const AttentionRow* rows, int64_t n_rows, const AttentionShape& s,
               float* out, ThreadPool& pool);

// The type named "f32" or "f16" (the provider's kv_cache_type, the CLI's --kv-type); nullopt
// for any other name.
inline std::optional<KVType> kv_type_named(std::string_view name) {
  if (name == "f32") return KVType::F32;
  if (name == "f16") return KVType::F16;
  return std::nullopt;
}

// Bytes of one KV element of `type`.
constexpr int64_t kv_element_bytes(KVType type) { return type == KVType::F16 ? 2 : 4; }

// Writes n floats as KV elements of `type` at dst (F16: rounded to nearest even, saturating at
// ±65504 so that no key becomes infinite).
void store_kv(const float* src, int64_t n, KVType type, void* dst);

// Reads n KV elements of `type` at src as floats.
void load_kv(const void* src, int64_t n, KVType type, float* dst);

namespace kernels {
// The SIMD implementations behind attention() (kernel_attention.cpp), store_kv() and load_kv()
// (kernel_kv_store.cpp); call those instead.
void attention(const float* q, const AttentionRow* rows, int64_t n_rows, const AttentionShape& s,
               float* out, ThreadPool& pool);
void store_kv_f16(const float* src, int64_t n, void* dst);
void load_kv_f16(const void* src, int64_t n, float* dst);
}  // namespace kernels

}  // namespace abstractllm::engine::ops
