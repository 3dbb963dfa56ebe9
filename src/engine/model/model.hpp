// A transformer decoder (llama, mistral, qwen2, qwen3, phi3, gemma, gemma2, gemma3_text) over
// weights kept in their stored format in the memory-mapped files.
//
// The forward pass (forward.cpp) reads like llama2.c: embed, then per layer norm → attention →
// residual → norm → MLP → residual, then the final norm and the LM head. All heavy arithmetic is
// in ops/. The batch dimension is explicit: one forward() call takes chunks of several sequences,
// each with its own KV cache; their tokens are concatenated into one matrix for the linears.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/io/model_config.hpp"
#include "engine/io/safetensors.hpp"
#include "engine/model/kv_cache.hpp"
#include "engine/model/spec.hpp"
#include "engine/model/weights.hpp"
#include "engine/ops/thread_pool.hpp"

namespace abstractllm::engine::model {

// A contiguous run of new tokens of one sequence, appended after what its cache holds.
struct SequenceChunk {
  KVCache* cache = nullptr;
  std::span<const int32_t> tokens;
  // Receives the logits of the chunk's last token (spec.vocab floats), or nullptr for none
  // (prefill chunks before the last).
  float* last_logits = nullptr;
};

// How Model::tile_weights keeps the repacked weights.
struct TilingOptions {
  // Folder of repacked copies on disk (tiled_cache.hpp): found there, they are mapped instead
  // of repacked; repacked, they are written there for the next load. Empty: memory only.
  std::filesystem::path cache_dir;
  // 8-bit matrices too. Off: repacked, Llama-1B 8-bit decoded 0.85-1.02x as fast token by
  // token (docs/performance.md, "Tiles16"), so only 4-bit matrices are repacked by default.
  bool eight_bit = false;
};

// What Model::tile_weights did.
struct TilingReport {
  int matrices = 0;          // matrices repacked (a tied embedding and LM head count once)
  std::size_t bytes = 0;     // their bytes (the same before and after)
  std::size_t released = 0;  // bytes of the files' pages given back after repacking
  double seconds = 0.0;
  bool from_cache = false;           // mapped from a cache file: nothing was repacked
  std::filesystem::path cache_file;  // the cache file used or written ("" for memory only)
  std::string cache_note;            // why the cache was not used, when it was not
};

class Model {
 public:
  // Reads config.json and the safetensors weights of `folder`; validates every tensor's
  // presence, shape, dtype and quantization metadata. No tokenizer needed (conformance tests
  // load tiny fixture models this way). Throws ModelNotFoundError, ModelLoadingError,
  // UnsupportedModelError. `how`: map the weight files (default) or read them into memory.
  static std::unique_ptr<Model> load(const std::filesystem::path& folder,
                                     FileLoad how = FileLoad::Map);
  // A model over already-validated weights (unit tests build these by hand).
  Model(ModelSpec spec, ModelWeights weights);
  ~Model();

  const ModelSpec& spec() const { return spec_; }
  // The parsed config.json; null for hand-built models.
  const ModelConfig* config() const { return config_.get(); }
  const ModelWeights& weights() const { return weights_; }
  std::size_t weight_bytes() const { return weights_.weight_bytes; }

  // Repacks every 4-bit matrix (and 8-bit, if asked) that has a Tiles16 form
  // (ops/tiled_weights.hpp) into one
  // buffer (a cache file, see TilingOptions, or anonymous memory in 2 MiB pages), then gives
  // back the weight files' pages they came from, so the model still holds one copy of its
  // weights. Only where this CPU has the Tiles16 decode
  // kernel (ops::tiled_decode_supported()); elsewhere it changes nothing. Not thread-safe: call
  // before the model is shared. Throws ModelLoadingError when the buffer cannot be allocated.
  TilingReport tile_weights(ops::ThreadPool& pool, const TilingOptions& options = {});

  // A cache for one sequence of at most `capacity` tokens, its keys and values stored as `type`.
  KVCache make_cache(int64_t capacity, ops::KVType type = ops::KVType::F32) const;

  // How many of the prompt's first tokens `cache` already holds as a recomputation of this
  // prompt would: their longest common prefix, short of the prompt's last token (whose logits
  // start a generation). A prefix's keys and values do not depend on what follows it (causal
  // attention) — except under longrope, where every position switches to the long factors once
  // the sequence outgrows the original context: a cache past that line serves only prompts
  // past it too.
  int64_t reusable_prefix(const KVCache& cache, std::span<const int32_t> prompt) const;

  // Runs the chunks through the network, appending their keys/values to their caches.
  // Throws InvalidParameterError for a token id outside the vocabulary or a full cache.
  void forward(std::span<const SequenceChunk> batch, ops::ThreadPool& pool) const;

 private:
  bool crosses_long_rope(const KVCache& cache, int64_t new_len) const;

  ModelSpec spec_;
  ModelWeights weights_;
  std::shared_ptr<const ModelConfig> config_;
  std::filesystem::path folder_;  // where load() read it (empty for hand-built models)
};

}  // namespace abstractllm::engine::model
