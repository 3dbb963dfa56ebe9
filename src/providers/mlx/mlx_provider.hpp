// MlxProvider: the "mlx" provider — AbstractLLM's MLXProvider on abstractllm's own engine.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "abstractllm/llm.hpp"
#include "engine/runtime/generator.hpp"
#include "engine/runtime/loaded_model.hpp"

namespace abstractllm::mlx {

class MlxProvider : public LLM {
 public:
  // Validates the config and the device; the model itself is loaded lazily (or by load_model()).
  explicit MlxProvider(const Config& config);
  ~MlxProvider() override;

  void load_model() override;
  Capabilities get_capabilities() const override;
  std::string provider_name() const override { return "mlx"; }

  // The provider's defaults (temperature 0.7, max_tokens 4096, top_p 0.9, the bundled model).
  static Config defaults();

 protected:
  GenerateResponse generate_impl(const GenerateRequest& request, const ChunkCallback& on_chunk) override;

 private:
  // The model of the current config, from the process-wide LRU (loading it if needed).
  std::shared_ptr<const engine::LoadedModel> model() const;

  Config user_config_;  // as given, to tell an explicit max_tokens from the default
  // The Generator kept across requests, so that a conversation's next turn (which re-sends the
  // history) reuses the KV cache of the prefix it shares with the previous request; a request
  // arriving while another runs gets a Generator of its own.
  std::mutex generator_mutex_;
  std::unique_ptr<engine::Generator> generator_;
  mutable std::mutex model_mutex_;
  mutable std::shared_ptr<const engine::LoadedModel> model_;
  mutable std::string model_key_;  // MODEL + CACHE_DIR the model was resolved from
};

}  // namespace abstractllm::mlx
