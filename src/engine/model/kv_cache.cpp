#include "engine/model/kv_cache.hpp"

namespace abstractllm::engine::model {

KVCache::KVCache(int64_t n_layers, int64_t capacity, int64_t n_kv_heads, int64_t head_dim)
    : capacity_(capacity), n_kv_heads_(n_kv_heads), head_dim_(head_dim) {
  const std::size_t per_layer = static_cast<size_t>(capacity * n_kv_heads * head_dim);
  k_.assign(static_cast<size_t>(n_layers), std::vector<float>(per_layer));
  v_.assign(static_cast<size_t>(n_layers), std::vector<float>(per_layer));
}

std::size_t KVCache::bytes() const {
  std::size_t total = 0;
  for (const auto& l : k_) total += l.size() * sizeof(float);
  for (const auto& l : v_) total += l.size() * sizeof(float);
  return total;
}

}  // namespace abstractllm::engine::model
