// A model ready to generate: weights (mmapped, validated), tokenizer, chat template, limits.
//
// Immutable after load and shared by many Generators / threads through shared_ptr.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "engine/chat/chat_template.hpp"
#include "engine/model/model.hpp"
#include "engine/tokenizer/tokenizer.hpp"

namespace abstractllm::engine {

struct LoadOptions {
  int threads = 0;  // 0 = all cores (the process-wide pool); else a pool of its own
  // Load a folder without tokenizer.json (tiny test models): tokenizer() then throws, and
  // Generator produces token ids with empty text (stop strings are refused).
  bool allow_missing_tokenizer = false;
  // Map the weight files (default) or read them into memory in huge pages (see FileLoad).
  FileLoad weights = FileLoad::Map;
  // Repack the 4-bit matrices for decoding at load (model::Model::tile_weights): a faster
  // decode, one copy of the weights still, the load slower by the repacking. Off by default.
  bool repack_weights = false;
  // Where repacked weights are kept between loads (model::TilingOptions::cache_dir); unset: the
  // default folder (model::default_repack_cache_dir), empty: memory only.
  std::optional<std::filesystem::path> repack_cache_dir;
};

class LoadedModel {
 public:
  // Loads config.json, the weights, tokenizer.json (+ tokenizer_config.json) and the chat
  // template from a model folder. Throws ModelNotFoundError, ModelLoadingError,
  // UnsupportedModelError.
  static std::shared_ptr<LoadedModel> load(const std::filesystem::path& folder,
                                           const LoadOptions& options = {});
  // Assembles a model from parts (tests, or a caller that loaded them itself). `tokenizer` may
  // be null; `chat_template` null means ChatML.
  static std::shared_ptr<LoadedModel> from_parts(std::unique_ptr<model::Model> model,
                                                 std::unique_ptr<Tokenizer> tokenizer,
                                                 std::unique_ptr<ChatTemplate> chat_template,
                                                 const LoadOptions& options = {});
  ~LoadedModel();

  // Throws InvalidRequestError for a hand-built model without a config.
  const ModelConfig& config() const;
  bool has_tokenizer() const { return tokenizer_ != nullptr; }
  // Throws InvalidRequestError when the model was loaded without one.
  const Tokenizer& tokenizer() const;
  // The model's template (chat_template.jinja or tokenizer_config.json's), or the documented
  // ChatML default when the model has none.
  const ChatTemplate& chat_template() const;
  // max_position_embeddings of the config (the spec's, for hand-built models); when absent,
  // tokenizer_config's model_max_length; 0 = unknown (not enforced).
  int64_t context_window() const;
  std::size_t weight_bytes() const;
  // Union of config.json's, generation_config.json's and the tokenizer's EOS ids, sorted.
  std::vector<int32_t> eos_token_ids() const;

  const model::Model& model() const { return *model_; }
  // What repacking did at load (all zero when it was off or found nothing to repack).
  const model::TilingReport& tiling() const { return tiling_; }
  ops::ThreadPool& pool() const { return *pool_; }

 private:
  LoadedModel();
  std::filesystem::path folder_;
  std::unique_ptr<model::Model> model_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<ChatTemplate> chat_template_;
  std::unique_ptr<ops::ThreadPool> own_pool_;
  ops::ThreadPool* pool_ = nullptr;
  std::vector<int32_t> eos_ids_;
  model::TilingReport tiling_;
};

}  // namespace abstractllm::engine
