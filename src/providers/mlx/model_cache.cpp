#include "providers/mlx/model_cache.hpp"

#include <algorithm>
#include <future>

namespace abstractllm::mlx {

ModelCache& ModelCache::instance() {
  static ModelCache cache;
  return cache;
}

std::shared_ptr<const engine::LoadedModel> ModelCache::get_or_load(
    const std::filesystem::path& folder, const Loader& load) {
  std::promise<std::shared_ptr<const engine::LoadedModel>> promise;
  {
    std::unique_lock lock(mutex_);
    auto it = std::find_if(lru_.begin(), lru_.end(), [&](const Entry& e) { return e.folder == folder; });
    if (it != lru_.end()) {
      lru_.splice(lru_.begin(), lru_, it);  // now the most recently used
      return it->model;
    }
    auto in_flight = std::find_if(loading_.begin(), loading_.end(),
                                  [&](const auto& l) { return l.first == folder; });
    if (in_flight != loading_.end()) {
      auto fut = in_flight->second;
      lock.unlock();
      return fut.get();  // rethrows the first loader's error
    }
    loading_.emplace_back(folder, promise.get_future().share());
  }
  std::shared_ptr<const engine::LoadedModel> model;
  try {
    model = load();
  } catch (...) {
    std::lock_guard lock(mutex_);
    promise.set_exception(std::current_exception());
    loading_.remove_if([&](const auto& l) { return l.first == folder; });
    throw;
  }
  std::lock_guard lock(mutex_);
  promise.set_value(model);
  loading_.remove_if([&](const auto& l) { return l.first == folder; });
  lru_.push_front({folder, model});
  evict_locked();
  return model;
}

void ModelCache::evict_locked() {
  // Dropping the cache's shared_ptr frees a model only when no provider holds it.
  while (lru_.size() > capacity_) lru_.pop_back();
}

void ModelCache::set_capacity(std::size_t n) {
  std::lock_guard lock(mutex_);
  capacity_ = n;
  evict_locked();
}

std::size_t ModelCache::capacity() const {
  std::lock_guard lock(mutex_);
  return capacity_;
}

bool ModelCache::erase(const std::filesystem::path& folder) {
  std::lock_guard lock(mutex_);
  auto before = lru_.size();
  lru_.remove_if([&](const Entry& e) { return e.folder == folder; });
  return lru_.size() != before;
}

void ModelCache::clear() {
  std::lock_guard lock(mutex_);
  lru_.clear();
}

std::vector<std::filesystem::path> ModelCache::folders() const {
  std::lock_guard lock(mutex_);
  std::vector<std::filesystem::path> out;
  for (const auto& e : lru_) out.push_back(e.folder);
  return out;
}

}  // namespace abstractllm::mlx
