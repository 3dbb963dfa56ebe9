// The provider registry behind create_llm.
#include "abstractllm/factory.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include "abstractllm/errors.hpp"

namespace abstractllm {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, ProviderFactory, std::less<>> factories;
};

Registry& registry() {
  static Registry r;  // function-local: safe to use from other static initializers
  return r;
}

}  // namespace

void register_provider(std::string name, ProviderFactory factory) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.factories[std::move(name)] = std::move(factory);
}

bool unregister_provider(std::string_view name) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.factories.find(name);
  if (it == r.factories.end()) return false;
  r.factories.erase(it);
  return true;
}

std::vector<std::string> available_providers() {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& [name, f] : r.factories) names.push_back(name);
  return names;
}

std::unique_ptr<LLM> create_llm(std::string_view provider, const Config& config) {
  ProviderFactory factory;
  {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.factories.find(provider);
    if (it != r.factories.end()) factory = it->second;
  }
  if (!factory) {
    std::string list;
    for (const auto& n : available_providers()) list += (list.empty() ? "" : ", ") + ("'" + n + "'");
    throw UnsupportedProviderError("unknown provider '" + std::string(provider) +
                                   "'; registered providers: " + (list.empty() ? "(none)" : list));
  }
  return factory(config);
}

}  // namespace abstractllm
