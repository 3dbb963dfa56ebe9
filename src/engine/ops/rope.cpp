#include "engine/ops/rope.hpp"

#include <cmath>

namespace abstractllm::engine::ops {

void apply_rope(float* x, int64_t n_heads, int64_t head_dim, int64_t rotary_dim,
                const float* inv_freq, int64_t pos, float scale) {
  const int64_t half = rotary_dim / 2;
  // cos/sin computed once per block of frequencies and reused for every head.
  constexpr int64_t kBlock = 128;
  float cs[kBlock], sn[kBlock];
  for (int64_t i0 = 0; i0 < half; i0 += kBlock) {
    const int64_t i1 = i0 + kBlock < half ? i0 + kBlock : half;
    for (int64_t i = i0; i < i1; ++i) {
      // transformers: freqs = inv_freq(float32) * position(float32), cos/sin in float32.
      const float angle = inv_freq[i] * static_cast<float>(pos);
      cs[i - i0] = static_cast<float>(std::cos(static_cast<double>(angle))) * scale;
      sn[i - i0] = static_cast<float>(std::sin(static_cast<double>(angle))) * scale;
    }
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = x + h * head_dim;
      for (int64_t i = i0; i < i1; ++i) {
        const float a = v[i], b = v[i + half];
        v[i] = a * cs[i - i0] - b * sn[i - i0];
        v[i + half] = b * cs[i - i0] + a * sn[i - i0];
      }
    }
  }
}

}  // namespace abstractllm::engine::ops
