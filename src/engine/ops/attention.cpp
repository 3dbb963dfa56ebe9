#include "engine/ops/attention.hpp"

namespace abstractllm::engine::ops {

void attention(const float* q, const AttentionRow* rows, int64_t n_rows, const AttentionShape& s,
               float* out, ThreadPool& pool) {
  if (n_rows <= 0 || s.n_heads <= 0 || s.head_dim <= 0) return;
  kernels::attention(q, rows, n_rows, s, out, pool);
}

}  // namespace abstractllm::engine::ops
