// String names of ModelParameter and ModelCapability (AbstractLLM's spellings).
#include "abstractllm/enums.hpp"

#include <array>
#include <utility>

namespace abstractllm {
namespace {

constexpr std::array<std::pair<ModelParameter, std::string_view>, 20> kParameterNames{{
    {ModelParameter::MODEL, "model"},
    {ModelParameter::TEMPERATURE, "temperature"},
    {ModelParameter::MAX_TOKENS, "max_tokens"},
    {ModelParameter::TOP_P, "top_p"},
    {ModelParameter::TOP_K, "top_k"},
    {ModelParameter::MIN_P, "min_p"},
    {ModelParameter::REPETITION_PENALTY, "repetition_penalty"},
    {ModelParameter::FREQUENCY_PENALTY, "frequency_penalty"},
    {ModelParameter::PRESENCE_PENALTY, "presence_penalty"},
    {ModelParameter::SEED, "seed"},
    {ModelParameter::STOP, "stop"},
    {ModelParameter::LOGIT_BIAS, "logit_bias"},
    {ModelParameter::SYSTEM_PROMPT, "system_prompt"},
    {ModelParameter::CONTEXT_WINDOW, "context_window"},
    {ModelParameter::CACHE_DIR, "cache_dir"},
    {ModelParameter::DEVICE, "device"},
    {ModelParameter::TIMEOUT, "timeout"},
    {ModelParameter::API_KEY, "api_key"},
    {ModelParameter::BASE_URL, "base_url"},
    {ModelParameter::THREADS, "threads"},
}};

constexpr std::array<std::pair<ModelCapability, std::string_view>, 11> kCapabilityNames{{
    {ModelCapability::STREAMING, "streaming"},
    {ModelCapability::MAX_TOKENS, "max_tokens"},
    {ModelCapability::SYSTEM_PROMPT, "supports_system_prompt"},
    {ModelCapability::ASYNC, "supports_async"},
    {ModelCapability::FUNCTION_CALLING, "function_calling"},
    {ModelCapability::TOOL_USE, "tool_use"},
    {ModelCapability::VISION, "vision"},
    {ModelCapability::JSON_MODE, "json_mode"},
    {ModelCapability::MULTI_TURN, "multi_turn"},
    {ModelCapability::EMBEDDINGS, "embeddings"},
    {ModelCapability::CONTEXT_WINDOW, "context_window"},
}};

template <typename Table, typename Enum>
std::string_view name_of(const Table& table, Enum value) noexcept {
  for (const auto& [e, name] : table)
    if (e == value) return name;
  return {};
}

template <typename Enum, typename Table>
std::optional<Enum> parse(const Table& table, std::string_view name) noexcept {
  for (const auto& [e, n] : table)
    if (n == name) return e;
  return std::nullopt;
}

}  // namespace

std::string_view to_string(ModelParameter p) noexcept { return name_of(kParameterNames, p); }
std::string_view to_string(ModelCapability c) noexcept { return name_of(kCapabilityNames, c); }
std::optional<ModelParameter> parse_model_parameter(std::string_view name) noexcept {
  return parse<ModelParameter>(kParameterNames, name);
}
std::optional<ModelCapability> parse_model_capability(std::string_view name) noexcept {
  return parse<ModelCapability>(kCapabilityNames, name);
}

}  // namespace abstractllm
