#include "engine/model/kv_cache.hpp"

#include <algorithm>

namespace abstractllm::engine::model {
namespace {

std::size_t floats_for(int64_t capacity, int64_t row_stride, ops::KVType type) {
  const int64_t bytes = capacity * row_stride * ops::kv_element_bytes(type);
  return static_cast<size_t>((bytes + 3) / 4);
}

}  // namespace

KVCache::KVCache(int64_t n_layers, int64_t capacity, int64_t n_kv_heads, int64_t head_dim,
                 ops::KVType type)
    : capacity_(capacity), n_kv_heads_(n_kv_heads), head_dim_(head_dim), type_(type) {
  floats_ = floats_for(capacity, row_stride(), type);
  for (int64_t l = 0; l < n_layers; ++l) {
    k_.emplace_back(new float[floats_]);
    v_.emplace_back(new float[floats_]);
  }
}

void KVCache::grow(int64_t capacity) {
  if (capacity <= capacity_) return;
  const std::size_t floats = floats_for(capacity, row_stride(), type_);
  const std::size_t used = floats_for(size_, row_stride(), type_);
  for (auto* layers : {&k_, &v_}) {
    for (auto& l : *layers) {
      std::unique_ptr<float[]> bigger(new float[floats]);
      std::copy(l.get(), l.get() + used, bigger.get());
      l = std::move(bigger);
    }
  }
  capacity_ = capacity;
  floats_ = floats;
}

std::size_t KVCache::bytes() const { return (k_.size() + v_.size()) * floats_ * sizeof(float); }

std::byte* KVCache::at(const std::vector<std::unique_ptr<float[]>>& layers, int64_t layer,
                       int64_t pos) const {
  return reinterpret_cast<std::byte*>(layers[static_cast<size_t>(layer)].get()) +
         pos * row_stride() * ops::kv_element_bytes(type_);
}

void KVCache::store(int64_t layer, int64_t pos, const float* keys, const float* values) {
  ops::store_kv(keys, row_stride(), type_, at(k_, layer, pos));
  ops::store_kv(values, row_stride(), type_, at(v_, layer, pos));
}

void KVCache::load(int64_t layer, int64_t pos, float* keys, float* values) const {
  ops::load_kv(at(k_, layer, pos), row_stride(), type_, keys);
  ops::load_kv(at(v_, layer, pos), row_stride(), type_, values);
}

}  // namespace abstractllm::engine::model
