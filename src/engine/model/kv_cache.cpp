#include "engine/model/kv_cache.hpp"

namespace abstractllm::engine::model {

KVCache::KVCache(int64_t n_layers, int64_t capacity, int64_t n_kv_heads, int64_t head_dim,
                 ops::KVType type)
    : capacity_(capacity), n_kv_heads_(n_kv_heads), head_dim_(head_dim), type_(type) {
  const int64_t bytes = capacity * n_kv_heads * head_dim * ops::kv_element_bytes(type);
  const std::size_t floats = static_cast<size_t>((bytes + 3) / 4);
  k_.assign(static_cast<size_t>(n_layers), std::vector<float>(floats));
  v_.assign(static_cast<size_t>(n_layers), std::vector<float>(floats));
}

std::size_t KVCache::bytes() const {
  std::size_t total = 0;
  for (const auto& l : k_) total += l.size() * sizeof(float);
  for (const auto& l : v_) total += l.size() * sizeof(float);
  return total;
}

void KVCache::store(int64_t layer, int64_t pos, const float* keys, const float* values) {
  const int64_t off = pos * row_stride() * ops::kv_element_bytes(type_);
  auto* k = reinterpret_cast<std::byte*>(k_[static_cast<size_t>(layer)].data()) + off;
  auto* v = reinterpret_cast<std::byte*>(v_[static_cast<size_t>(layer)].data()) + off;
  ops::store_kv(keys, row_stride(), type_, k);
  ops::store_kv(values, row_stride(), type_, v);
}

void KVCache::load(int64_t layer, int64_t pos, float* keys, float* values) const {
  const int64_t off = pos * row_stride() * ops::kv_element_bytes(type_);
  const auto* k = reinterpret_cast<const std::byte*>(k_[static_cast<size_t>(layer)].data()) + off;
  const auto* v = reinterpret_cast<const std::byte*>(v_[static_cast<size_t>(layer)].data()) + off;
  ops::load_kv(k, row_stride(), type_, keys);
  ops::load_kv(v, row_stride(), type_, values);
}

}  // namespace abstractllm::engine::model
