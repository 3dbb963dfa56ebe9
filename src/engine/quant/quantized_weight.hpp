// Resolving one (possibly quantized) linear/embedding module of a model from its weights,
// with every check MLX's quantized_matmul would make, so model code gets either a validated
// view or a clear ModelLoadingError.
//
// Rule (mlx-lm): module `path` is quantized iff "<path>.scales" exists. Then:
//   <path>.weight  U32 [rows, cols * bits / 32]
//   <path>.scales  F16/BF16/F32 [rows, cols / group_size]
//   <path>.biases  same dtype and shape as scales (affine mode)
// with bits/group_size from the config (QuantizationConfig::for_module). Otherwise
// <path>.weight is a float tensor (F32/F16/BF16) [rows, cols].
#pragma once

#include <cstdint>
#include <string>

#include "engine/io/quantization_config.hpp"
#include "engine/io/safetensors.hpp"
#include "engine/io/weights.hpp"

namespace abstractllm::engine::quant {

struct LinearWeight {
  bool quantized = false;
  int64_t rows = 0;  // output features
  int64_t cols = 0;  // input features (logical)
  const TensorView* weight = nullptr;  // float [rows, cols] or U32 packed [rows, words]
  const TensorView* scales = nullptr;  // quantized only
  const TensorView* biases = nullptr;  // quantized only
  QuantParams params;                  // quantized only
  const TensorView* bias = nullptr;    // "<path>.bias" if present (any mode)
};

// Looks up module `path` ("model.layers.0.self_attn.q_proj") in `store`. Throws
// ModelLoadingError naming the tensor and what was expected on any mismatch (missing weight,
// wrong dtype, scales shape inconsistent with bits/group size, config says `false` but scales
// exist, non-affine mode -> UnsupportedModelError).
LinearWeight resolve_linear(const WeightStore& store, const std::string& path,
                            const QuantizationConfig& config);

// Dequantizes/converts row `row` of `w` to f32 (embedding lookup, tests).
void linear_row_to_f32(const LinearWeight& w, int64_t row, float* out);

}  // namespace abstractllm::engine::quant
