// Views of a model's tensors in their stored format (pointing into the mmapped files).
//
// Matrices are ops::WeightMatrix views (f32/f16/bf16 or MLX affine). Vectors (norm weights,
// biases) are small and converted to float at load.
#pragma once

#include <cstdint>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "engine/ops/linear.hpp"

namespace abstractllm::engine::model {

struct LayerWeights {
  // Attention: either q/k/v separately or fused qkv (phi3), rows [q | k | v].
  ops::WeightMatrix q, k, v, qkv, o;
  std::vector<float> q_bias, k_bias, v_bias, o_bias;
  std::vector<float> q_norm, k_norm;  // per-head RMSNorm weights (head_dim), qwen3 / gemma3
  // MLP: gate/up separately or fused gate_up (phi3), rows [gate | up].
  ops::WeightMatrix gate, up, gate_up, down;
  std::vector<float> input_norm;           // before attention
  std::vector<float> post_attention_norm;  // llama: before the MLP; gemma2/3: after attention
  std::vector<float> pre_ffn_norm, post_ffn_norm;  // gemma2/3 only
};

struct ModelWeights {
  ops::WeightMatrix embed;    // [vocab][hidden]
  ops::WeightMatrix lm_head;  // [vocab][hidden]; the embedding when tied
  std::vector<float> final_norm;
  std::vector<LayerWeights> layers;
  std::size_t weight_bytes = 0;  // the weight files' tensor bytes (mapped or read)
  // The memory of each weight file (mapped or read; empty for hand-built models), then the
  // repacked matrices' buffer when there is one: where the bench looks for how the weights are
  // paged.
  std::vector<std::span<const std::byte>> images;
  // Keeps the memory the views point into alive (the mmapped files, or test buffers).
  std::shared_ptr<const void> storage;
  // The repacked (Tiles16) matrices' memory, when Model::tile_weights made any.
  std::shared_ptr<const void> tiled_storage;
};

}  // namespace abstractllm::engine::model
