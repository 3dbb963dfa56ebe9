// Per-sequence key/value cache: for each layer, keys and values of every past position,
// [capacity][n_kv_heads][head_dim] floats, sized to the context the sequence actually needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace abstractllm::engine::model {

class KVCache {
 public:
  KVCache() = default;
  KVCache(int64_t n_layers, int64_t capacity, int64_t n_kv_heads, int64_t head_dim);

  int64_t capacity() const { return capacity_; }
  int64_t size() const { return size_; }  // positions filled (the next token's position)
  int64_t row_stride() const { return n_kv_heads_ * head_dim_; }
  std::size_t bytes() const;

  float* keys(int64_t layer, int64_t pos) { return k_[layer].data() + pos * row_stride(); }
  float* values(int64_t layer, int64_t pos) { return v_[layer].data() + pos * row_stride(); }
  const float* keys(int64_t layer, int64_t pos) const {
    return k_[layer].data() + pos * row_stride();
  }
  const float* values(int64_t layer, int64_t pos) const {
    return v_[layer].data() + pos * row_stride();
  }

  // Called by Model::forward once all layers have written the new positions.
  void commit(std::span<const int32_t> tokens) {
    size_ += static_cast<int64_t>(tokens.size());
    tokens_.insert(tokens_.end(), tokens.begin(), tokens.end());
  }
  void clear() {
    size_ = 0;
    tokens_.clear();
  }
  // The tokens whose keys/values the cache holds (a longrope model replays them when the
  // sequence outgrows the original context).
  const std::vector<int32_t>& tokens() const { return tokens_; }

 private:
  int64_t capacity_ = 0, size_ = 0, n_kv_heads_ = 0, head_dim_ = 0;
  std::vector<std::vector<float>> k_, v_;
  std::vector<int32_t> tokens_;
};

}  // namespace abstractllm::engine::model
