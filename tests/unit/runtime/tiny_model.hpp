// A hand-built random-weight llama-style model (f32 weights in memory), for runtime tests that
// need no files.
#pragma once

#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "engine/model/model.hpp"

namespace abstractllm::engine::testing {

inline std::unique_ptr<model::Model> make_tiny_model(int64_t vocab = 64, int64_t max_pos = 128,
                                                     uint32_t seed = 7, float poison = 0) {
  model::ModelSpec s;
  s.model_type = "llama";
  s.hidden = 16;
  s.intermediate = 32;
  s.n_heads = 4;
  s.n_kv_heads = 2;
  s.head_dim = 4;
  s.vocab = vocab;
  s.max_position = max_pos;
  s.attn_scale = 0.5f;
  s.layers.resize(2);
  model::RopeSpec r;
  r.rotary_dim = 4;
  r.inv_freq = model::rope_inv_freq(10000.0, 4);
  s.ropes.push_back(r);

  auto buffers = std::make_shared<std::vector<std::vector<float>>>();
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 0.5f);
  auto mat = [&](int64_t rows, int64_t cols) {
    buffers->emplace_back(static_cast<size_t>(rows * cols));
    for (float& v : buffers->back()) v = nd(rng);
    ops::WeightMatrix w;
    w.format = ops::WeightFormat::F32;
    w.rows = rows;
    w.cols = cols;
    w.data = buffers->back().data();
    return w;
  };
  buffers->reserve(64);  // views point into these vectors: no reallocation
  model::ModelWeights w;
  w.embed = mat(vocab, s.hidden);
  w.lm_head = w.embed;
  w.final_norm.assign(static_cast<size_t>(s.hidden), 1.0f);
  if (poison != 0) w.final_norm[0] = poison;
  for (int l = 0; l < 2; ++l) {
    model::LayerWeights L;
    L.q = mat(16, 16);
    L.k = mat(8, 16);
    L.v = mat(8, 16);
    L.o = mat(16, 16);
    L.gate = mat(32, 16);
    L.up = mat(32, 16);
    L.down = mat(16, 32);
    L.input_norm.assign(16, 1.0f);
    L.post_attention_norm.assign(16, 1.0f);
    w.layers.push_back(std::move(L));
  }
  w.storage = buffers;
  return std::make_unique<model::Model>(std::move(s), std::move(w));
}

}  // namespace abstractllm::engine::testing
