// ModelConfig (config.json, typed by io) → ModelSpec (what the forward pass reads), including
// the RoPE tables of each scaling type computed as transformers' modeling_rope_utils does.
#pragma once

#include "engine/io/model_config.hpp"
#include "engine/model/spec.hpp"

namespace abstractllm::engine::model {

// Throws UnsupportedModelError / ModelLoadingError for configurations the engine cannot run
// (e.g. heads not dividing evenly), naming the config field.
ModelSpec spec_from_config(const ModelConfig& config);

// The table for one RopeConfig (exposed for tests). rotary_dim even, > 0.
RopeSpec make_rope(const RopeConfig& rope, int64_t rotary_dim, int64_t max_position_embeddings);

}  // namespace abstractllm::engine::model
