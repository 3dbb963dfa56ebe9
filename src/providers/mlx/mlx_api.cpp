// The provider's public free functions: registration, the default model, and the caches.
#include <cstdlib>

#include "abstractllm/factory.hpp"
#include "abstractllm/providers/mlx.hpp"
#include "engine/io/hf_cache.hpp"
#include "engine/io/model_locator.hpp"
#include "providers/mlx/mlx_provider.hpp"
#include "providers/mlx/model_cache.hpp"

#ifndef ABSTRACTLLM_BUNDLED_MODEL_DIR
#define ABSTRACTLLM_BUNDLED_MODEL_DIR "models/abstractllm-demo-chat"
#endif

namespace abstractllm::mlx {

std::filesystem::path default_model_path() {
  if (const char* env = std::getenv("ABSTRACTLLM_DEFAULT_MODEL"); env && *env) return env;
  return ABSTRACTLLM_BUNDLED_MODEL_DIR;
}

bool register_mlx_provider() {
  register_provider("mlx", [](const Config& config) { return std::make_unique<MlxProvider>(config); });
  return true;
}

std::vector<CachedModelInfo> list_cached_models(const std::optional<std::filesystem::path>& cache_dir) {
  std::vector<CachedModelInfo> out;
  for (const auto& m : engine::list_cached_models(cache_dir)) {
    CachedModelInfo info;
    info.name = m.id;
    info.path = m.path;
    info.size_bytes = m.size_on_disk;
    info.last_modified = m.last_modified;
    info.revisions = m.revisions;
    info.architecture = m.architecture;
    info.is_mlx = m.is_mlx;
    out.push_back(std::move(info));
  }
  return out;
}

void clear_model_cache(const std::optional<std::string>& model) {
  auto& cache = ModelCache::instance();
  if (!model) {
    cache.clear();
    return;
  }
  // The cache is keyed by resolved folder: accept what the user configured (path or hub id).
  std::error_code ec;
  std::filesystem::path folder = std::filesystem::weakly_canonical(*model, ec);
  if (!ec && cache.erase(folder)) return;
  try {
    auto resolved = engine::resolve_model(*model);
    folder = std::filesystem::weakly_canonical(resolved.folder, ec);
    cache.erase(ec ? resolved.folder : folder);
  } catch (const std::exception&) {
    // Not resolvable, so not cached: nothing to clear.
  }
}

void set_max_cached_models(std::size_t n) { ModelCache::instance().set_capacity(n); }
std::size_t max_cached_models() { return ModelCache::instance().capacity(); }
std::vector<std::filesystem::path> cached_model_folders() { return ModelCache::instance().folders(); }

}  // namespace abstractllm::mlx
