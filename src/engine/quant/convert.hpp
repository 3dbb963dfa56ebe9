// Hugging Face folder -> MLX folder, like `mlx_lm.convert --hf-path DIR --mlx-path OUT [-q]`
// from a local folder.
//
// Output: config.json (+ "quantization" and an identical "quantization_config" when
// quantizing), weights sharded at max_shard_bytes with model.safetensors.index.json
// (a single model.safetensors when it fits; metadata {"format": "mlx"} in every shard),
// tokenizer files copied (tokenizer.json, tokenizer_config.json, special_tokens_map.json,
// chat_template.jinja, generation_config.json, tokenizer.model, ... whichever exist).
// Quantized: every Linear weight (2-D "*.weight" of a module whose input dim is a multiple of
// group_size, except norms) and the embedding; norms, biases and 1-D tensors stay float.
// A tied lm_head (tie_word_embeddings) is dropped. Streams tensor by tensor: peak memory is
// about one tensor in f32, not the model.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "engine/io/safetensors.hpp"

namespace abstractllm::engine::quant {

struct ConvertOptions {
  std::filesystem::path hf_path;
  std::filesystem::path mlx_path;
  bool quantize = false;
  int bits = 4;
  int group_size = 64;
  // Float dtype of the output's float tensors (and of scales/biases). nullopt: the config's
  // dtype/torch_dtype when it is float16/bfloat16/float32, else float16 (mlx_lm's default).
  std::optional<DType> dtype;
  bool force = false;  // replace an existing mlx_path
  uint64_t max_shard_bytes = 5ull << 30;
  // Called after each tensor: (input bytes done, input bytes total, tensor name).
  std::function<void(uint64_t, uint64_t, const std::string&)> progress;
  int threads = 0;  // 0 = hardware concurrency
};

struct ConvertReport {
  uint64_t input_bytes = 0;
  uint64_t output_bytes = 0;
  int64_t tensors = 0;
  int64_t quantized = 0;
  int shards = 0;
  double seconds = 0;
};

// Throws ModelNotFoundError (no hf_path / no config.json), ModelLoadingError (bad input),
// FileProcessingError (OUT exists without force, I/O), InvalidParameterError (bits, group).
ConvertReport convert_model(const ConvertOptions& options);

// True when `name` (a tensor of an HF/MLX llama-family checkpoint) would be quantized by
// convert: a 2-D ".weight" of a Linear or Embedding whose last dim is a multiple of
// group_size. Exposed for tests.
bool should_quantize(const std::string& name, const std::vector<int64_t>& shape, int group_size);

}  // namespace abstractllm::engine::quant
