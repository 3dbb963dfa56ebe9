#include "engine/ops/attention.hpp"

#include <algorithm>

namespace abstractllm::engine::ops {

void attention(const float* q, const AttentionRow* rows, int64_t n_rows, const AttentionShape& s,
               float* out, ThreadPool& pool) {
  if (n_rows <= 0 || s.n_heads <= 0 || s.head_dim <= 0) return;
  kernels::attention(q, rows, n_rows, s, out, pool);
}

void store_kv(const float* src, int64_t n, KVType type, void* dst) {
  if (n <= 0) return;
  if (type == KVType::F32) {
    std::copy_n(src, n, static_cast<float*>(dst));
  } else {
    kernels::store_kv_f16(src, n, dst);
  }
}

void load_kv(const void* src, int64_t n, KVType type, float* dst) {
  if (n <= 0) return;
  if (type == KVType::F32) {
    std::copy_n(static_cast<const float*>(src), n, dst);
  } else {
    kernels::load_kv_f16(src, n, dst);
  }
}

}  // namespace abstractllm::engine::ops
