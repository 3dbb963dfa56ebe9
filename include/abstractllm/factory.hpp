// The provider registry: create_llm("mlx", config) builds an LLM from a registered factory.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "abstractllm/config.hpp"
#include "abstractllm/llm.hpp"

namespace abstractllm {

using ProviderFactory = std::function<std::unique_ptr<LLM>(const Config& config)>;

// Registers (or replaces) a provider under `name`. Thread-safe.
void register_provider(std::string name, ProviderFactory factory);
// Removes a provider; returns whether it was registered.
bool unregister_provider(std::string_view name);
// Names of the registered providers, sorted. The library registers "mlx".
std::vector<std::string> available_providers();
// Builds an LLM. Throws UnsupportedProviderError listing the registered providers when `provider`
// is unknown, and whatever the provider's constructor throws for a bad config.
std::unique_ptr<LLM> create_llm(std::string_view provider, const Config& config = {});

}  // namespace abstractllm
