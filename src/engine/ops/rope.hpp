// Rotary position embeddings, rotate-half (NeoX) pairing as transformers' apply_rotary_pos_emb:
// for i < rotary_dim/2, dims (i, i + rotary_dim/2) of a head rotate by angle pos · inv_freq[i].
// Dimensions >= rotary_dim (partial rotary, phi3) pass through unchanged. `scale` multiplies cos
// and sin (yarn / longrope attention factor), as transformers folds it into cos/sin.
#pragma once

#include <cstdint>

namespace abstractllm::engine::ops {

// x: n_heads heads of head_dim floats, contiguous. inv_freq: rotary_dim/2 values.
void apply_rope(float* x, int64_t n_heads, int64_t head_dim, int64_t rotary_dim,
                const float* inv_freq, int64_t pos, float scale = 1.0f);

}  // namespace abstractllm::engine::ops
