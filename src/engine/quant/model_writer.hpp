// Writing a model's weights in MLX layout, tensor by tensor, shared by convert and synth.
//
// Each OutTensor produces its logical rows as f32 on demand (so nothing model-sized is ever in
// memory); the writer rounds them to the output float dtype (as MLX casts before quantizing),
// quantizes when asked (-> <base>.weight U32, <base>.scales, <base>.biases), plans shards of at
// most max_shard_bytes like mlx-lm (a new shard when the next tensor would overflow), writes
// "model.safetensors" or "model-0000i-of-0000n.safetensors" with metadata {"format": "mlx"},
// and always writes model.safetensors.index.json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "engine/io/safetensors.hpp"

namespace abstractllm::engine::quant {

struct OutTensor {
  std::string name;             // final name of the (float) tensor, e.g. "...q_proj.weight"
  std::vector<int64_t> shape;   // logical shape
  bool quantize = false;        // needs ndim == 2 and shape[1] % group_size == 0
  // Fills rows [r0, r1) of the tensor viewed as [rows, cols] (cols = last dim) into out,
  // f32, row-major. Called from several threads at once for disjoint ranges.
  std::function<void(int64_t r0, int64_t r1, float* out)> rows;
  // Alternatively: raw bytes copied as is (non-float tensors).
  const std::byte* raw = nullptr;
  DType raw_dtype = DType::U8;
  uint64_t input_bytes = 0;  // for progress reporting
  // True when `rows` already yields values representable in the output float dtype (e.g. bf16
  // input written as bf16): skips the rounding pass.
  bool exact_in_float_dtype = false;
};

struct WriterOptions {
  DType float_dtype = DType::F16;  // float tensors, scales and biases
  int bits = 4;
  int group_size = 64;
  uint64_t max_shard_bytes = 5ull << 30;
  int threads = 0;  // 0: hardware concurrency
  std::function<void(uint64_t done, uint64_t total, const std::string& name)> progress;
};

struct WriterReport {
  uint64_t output_bytes = 0;
  int shards = 0;
  int64_t tensors_written = 0;  // output tensors (a quantized one counts 3)
  int64_t quantized = 0;
};

WriterReport write_mlx_weights(const std::filesystem::path& dir,
                               const std::vector<OutTensor>& tensors,
                               const WriterOptions& options);

// Rounds v through `dtype` (F16/BF16: to nearest even; F32: unchanged).
float round_to_dtype(float v, DType dtype);
// The same over an array, in place.
void round_to_dtype(float* v, int64_t n, DType dtype);

}  // namespace abstractllm::engine::quant
