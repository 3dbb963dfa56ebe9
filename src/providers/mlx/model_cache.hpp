// The process-wide LRU of loaded models (the seed's class-level _model_cache, made safe):
// keyed by resolved folder, bounded by max_cached_models, thread-safe, and loading each model
// once even when several threads ask for it at the same moment.
#pragma once

#include <filesystem>
#include <functional>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/runtime/loaded_model.hpp"

namespace abstractllm::mlx {

class ModelCache {
 public:
  using Loader = std::function<std::shared_ptr<const engine::LoadedModel>()>;

  static ModelCache& instance();

  // The cached model for `folder`, or the result of `load()` (called outside the lock, once per
  // folder even under concurrency), which becomes the most recently used entry.
  std::shared_ptr<const engine::LoadedModel> get_or_load(const std::filesystem::path& folder,
                                                        const Loader& load);
  void set_capacity(std::size_t n);
  std::size_t capacity() const;
  bool erase(const std::filesystem::path& folder);
  void clear();
  std::vector<std::filesystem::path> folders() const;  // most recently used first

 private:
  struct Entry {
    std::filesystem::path folder;
    std::shared_ptr<const engine::LoadedModel> model;
  };
  void evict_locked();

  mutable std::mutex mutex_;
  std::list<Entry> lru_;  // front = most recently used
  std::size_t capacity_ = 2;
  // Loads in flight, so a second caller waits for the first instead of loading again.
  std::list<std::pair<std::filesystem::path, std::shared_future<std::shared_ptr<const engine::LoadedModel>>>>
      loading_;
};

}  // namespace abstractllm::mlx
