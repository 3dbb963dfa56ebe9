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

struct AttentionRow {
  const float* keys = nullptr;    // position p's keys at keys + p * n_kv_heads * head_dim
  const float* values = nullptr;  // same layout
  int64_t pos = 0;                // the query's position; keys [lo, pos] must be filled
};

// q: n_rows × (n_heads · head_dim); out: same shape.
void attention(const float* q, const AttentionRow* rows, int64_t n_rows, const AttentionShape& s,
               float* out, ThreadPool& pool);

namespace kernels {
// The SIMD implementation behind attention() (kernel_attention.cpp); call attention() instead.
void attention(const float* q, const AttentionRow* rows, int64_t n_rows, const AttentionShape& s,
               float* out, ThreadPool& pool);
}  // namespace kernels

}  // namespace abstractllm::engine::ops
