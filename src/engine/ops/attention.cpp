#include "engine/ops/attention.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace abstractllm::engine::ops {

namespace {

void attend_one(const float* q, const AttentionRow& row, int64_t head, const AttentionShape& s,
                std::vector<float>& scores, float* out) {
  const int64_t hd = s.head_dim;
  const int64_t kv_stride = s.n_kv_heads * hd;
  const int64_t kv_head = head / (s.n_heads / s.n_kv_heads);
  const int64_t lo = s.window > 0 ? std::max<int64_t>(0, row.pos - s.window + 1) : 0;
  const int64_t n = row.pos - lo + 1;
  scores.resize(static_cast<size_t>(n));
  float mx = -INFINITY;
  for (int64_t j = 0; j < n; ++j) {
    const float* k = row.keys + (lo + j) * kv_stride + kv_head * hd;
    float dot = 0;
    for (int64_t d = 0; d < hd; ++d) dot += q[d] * k[d];
    float sc = dot * s.scale;
    if (s.softcap > 0) sc = s.softcap * std::tanh(sc / s.softcap);
    scores[j] = sc;
    mx = std::max(mx, sc);
  }
  double sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    scores[j] = std::exp(scores[j] - mx);
    sum += scores[j];
  }
  const float inv = static_cast<float>(1.0 / sum);
  std::fill(out, out + hd, 0.0f);
  for (int64_t j = 0; j < n; ++j) {
    const float p = scores[j] * inv;
    const float* v = row.values + (lo + j) * kv_stride + kv_head * hd;
    for (int64_t d = 0; d < hd; ++d) out[d] += p * v[d];
  }
}

}  // namespace

void attention(const float* q, const AttentionRow* rows, int64_t n_rows, const AttentionShape& s,
               float* out, ThreadPool& pool) {
  const int64_t width = s.n_heads * s.head_dim;
  const int64_t tasks = n_rows * s.n_heads;
  auto run = [&](int64_t begin, int64_t end) {
    std::vector<float> scores;
    for (int64_t t = begin; t < end; ++t) {
      const int64_t r = t / s.n_heads, h = t % s.n_heads;
      attend_one(q + r * width + h * s.head_dim, rows[r], h, s, scores,
                 out + r * width + h * s.head_dim);
    }
  };
  if (tasks >= 4 && pool.size() > 1) {
    pool.parallel_for(tasks, run);
  } else {
    run(0, tasks);
  }
}

}  // namespace abstractllm::engine::ops
