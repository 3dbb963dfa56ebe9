// Per-sequence key/value cache: for each layer, keys and values of every past position,
// [capacity][n_kv_heads][head_dim] elements of the cache's type (float, or IEEE half: half the
// memory and the bytes a decode step reads), sized to the context the sequence actually needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <vector>

#include "engine/ops/attention.hpp"

namespace abstractllm::engine::model {

class KVCache {
 public:
  KVCache() = default;
  KVCache(int64_t n_layers, int64_t capacity, int64_t n_kv_heads, int64_t head_dim,
          ops::KVType type = ops::KVType::F32);

  int64_t capacity() const { return capacity_; }
  int64_t size() const { return size_; }  // positions filled (the next token's position)
  int64_t row_stride() const { return n_kv_heads_ * head_dim_; }  // elements per position
  ops::KVType type() const { return type_; }
  std::size_t bytes() const;

  // Raises the capacity to at least `capacity` positions, keeping the ones filled (a layer's
  // positions are contiguous, so each layer's storage just grows; one layer is copied at a time).
  void grow(int64_t capacity);

  // Writes position pos's keys and values of one layer (row_stride() floats each), converted
  // to the cache's type.
  void store(int64_t layer, int64_t pos, const float* keys, const float* values);
  // Reads them back as floats (tests, tools).
  void load(int64_t layer, int64_t pos, float* keys, float* values) const;
  // The layer's cache as attention reads it, for a query at position pos.
  ops::AttentionRow attention_row(int64_t layer, int64_t pos) const {
    return {k_[static_cast<size_t>(layer)].get(), v_[static_cast<size_t>(layer)].get(), pos,
            type_};
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
  // Forgets the positions from n on (n <= size()): the cache then continues after its first n
  // tokens, as for a shared prefix.
  void truncate(int64_t n) {
    if (n < 0 || n > size_) throw std::out_of_range("KVCache::truncate beyond the cache's size");
    size_ = n;
    tokens_.resize(static_cast<size_t>(n));
  }
  // The tokens whose keys/values the cache holds (a longrope model replays them when the
  // sequence outgrows the original context).
  const std::vector<int32_t>& tokens() const { return tokens_; }

 private:
  int64_t capacity_ = 0, size_ = 0, n_kv_heads_ = 0, head_dim_ = 0;
  ops::KVType type_ = ops::KVType::F32;
  // Per layer, capacity · row_stride() elements; float storage keeps any type aligned. Left
  // uninitialised: only written positions are ever read, and untouched pages of a large cache
  // (sized to prompt + max_tokens) cost no memory and no time to zero.
  std::size_t floats_ = 0;  // per layer
  // Position pos of one layer's keys (k_) or values (v_).
  std::byte* at(const std::vector<std::unique_ptr<float[]>>& layers, int64_t layer,
                int64_t pos) const;
  std::vector<std::unique_ptr<float[]>> k_, v_;
  std::vector<int32_t> tokens_;
};

}  // namespace abstractllm::engine::model
