// Parameter and capability names, as AbstractLLM spells them ("temperature", "max_tokens", …).
// Config keys may be given as these enums or as their string names interchangeably.
#pragma once

#include <optional>
#include <string_view>

namespace abstractllm {

enum class ModelParameter {
  MODEL,               // "model": a local folder or a Hugging Face hub id (org/name[@revision])
  TEMPERATURE,         // "temperature": >= 0; 0 is greedy
  MAX_TOKENS,          // "max_tokens": > 0, tokens to generate at most
  TOP_P,               // "top_p": in (0, 1]
  TOP_K,               // "top_k": >= 0; 0 disables
  MIN_P,               // "min_p": in [0, 1]
  REPETITION_PENALTY,  // "repetition_penalty": > 0; 1 disables
  FREQUENCY_PENALTY,   // "frequency_penalty": in [-2, 2]
  PRESENCE_PENALTY,    // "presence_penalty": in [-2, 2]
  SEED,                // "seed": integer; same seed and inputs give the same output
  STOP,                // "stop": list of strings (a single string is accepted)
  LOGIT_BIAS,          // "logit_bias": JSON object {"token id": bias}
  SYSTEM_PROMPT,       // "system_prompt": default system prompt
  CONTEXT_WINDOW,      // "context_window": cap on prompt + generated tokens
  CACHE_DIR,           // "cache_dir": Hugging Face hub cache folder
  DEVICE,              // "device": "auto", "cpu" or "cuda"
  TIMEOUT,             // "timeout": seconds (remote providers)
  API_KEY,             // "api_key" (remote providers)
  BASE_URL,            // "base_url" (remote providers)
  THREADS,             // "threads": CPU threads for the engine; 0 = all cores
};

enum class ModelCapability {
  STREAMING,         // "streaming"
  MAX_TOKENS,        // "max_tokens": the configured generation limit
  SYSTEM_PROMPT,     // "supports_system_prompt"
  ASYNC,             // "supports_async"
  FUNCTION_CALLING,  // "function_calling"
  TOOL_USE,          // "tool_use"
  VISION,            // "vision"
  JSON_MODE,         // "json_mode"
  MULTI_TURN,        // "multi_turn"
  EMBEDDINGS,        // "embeddings"
  CONTEXT_WINDOW,    // "context_window": the model's window, in tokens
};

std::string_view to_string(ModelParameter p) noexcept;
std::string_view to_string(ModelCapability c) noexcept;
std::optional<ModelParameter> parse_model_parameter(std::string_view name) noexcept;
std::optional<ModelCapability> parse_model_capability(std::string_view name) noexcept;

}  // namespace abstractllm
