// The "mlx" provider: runs MLX-format models (mlx-community on the Hugging Face hub) with
// abstractllm's own engine, on any CPU. Create it through the factory:
//
//   auto llm = abstractllm::create_llm("mlx", {{ModelParameter::MODEL, "mlx-community/…-4bit"}});
//
// Parameters: every ModelParameter that applies to local generation (MODEL, TEMPERATURE,
// MAX_TOKENS, TOP_P, TOP_K, MIN_P, REPETITION_PENALTY, PRESENCE/FREQUENCY_PENALTY, SEED, STOP,
// LOGIT_BIAS, SYSTEM_PROMPT, CONTEXT_WINDOW, CACHE_DIR, DEVICE, THREADS) plus the provider's own:
//   "quantize"            bool    accepted for compatibility with the Python provider; MLX
//                                 models carry their quantization in config.json
//   "max_cached_models"   int     size of the process-wide model LRU (default 2)
//   "context_overflow"    string  "error" or "truncate" (see docs/mlx.md)
//   "repetition_context_size" int tokens the repetition penalty looks back over (default 20)
// Defaults as the Python provider: temperature 0.7, max_tokens 4096, top_p 0.9; the default
// model is the bundled demo model, so it works offline.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace abstractllm::mlx {

// The model recommended for real use (a 7B chat model, 4-bit), as in the Python provider.
inline constexpr const char* kRecommendedModel = "mlx-community/Nous-Hermes-2-Mistral-7B-DPO-4bit-MLX";

// The bundled demo model's folder ($ABSTRACTLLM_DEFAULT_MODEL overrides it).
std::filesystem::path default_model_path();

// Registers "mlx" with the factory (the library does this at start-up); returns true.
bool register_mlx_provider();

// The compute backend the provider uses.
struct BackendInfo {
  std::string device;       // "cpu"
  std::string simd_target;  // best SIMD target of this CPU, e.g. "AVX3_ZEN4", "AVX2", "NEON"
  int threads = 0;          // worker threads of the engine
  bool cuda_built = false;  // compiled with -DABSTRACTLLM_CUDA=ON
  bool cuda_available = false;
  std::string description;  // one line for humans
};
BackendInfo detect_backend();

// A model repository in the local Hugging Face cache.
struct CachedModelInfo {
  std::string name;  // "org/name"
  std::filesystem::path path;
  std::uint64_t size_bytes = 0;  // on disk, blobs counted once
  std::int64_t last_modified = 0;  // unix seconds
  std::vector<std::string> revisions;
  std::string architecture;  // model_type
  bool is_mlx = false;
  std::string implementation = "mlx";
};
// Every model repo in the cache (cache_dir, else $HF_HUB_CACHE, $HF_HOME/hub,
// ~/.cache/huggingface/hub). Unlike the Python original, models are not filtered by "mlx" in
// their name: is_mlx says whether the files are MLX-format.
std::vector<CachedModelInfo> list_cached_models(const std::optional<std::filesystem::path>& cache_dir = {});

// The in-memory LRU of loaded models, shared by every mlx provider of the process. Models are
// keyed by their resolved folder; two providers on one model share one copy of the weights.
// Evicting or clearing a model only drops the cache's reference: a provider still using it
// keeps it alive until it lets go.
void clear_model_cache(const std::optional<std::string>& model = {});  // a name/path, or all
void set_max_cached_models(std::size_t n);
std::size_t max_cached_models();
std::vector<std::filesystem::path> cached_model_folders();  // most recently used first

}  // namespace abstractllm::mlx
