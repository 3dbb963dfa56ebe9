// Compact token <-> id tables: token strings live in one arena, lookups go through an
// open-addressing hash table of ids (no per-token allocation, fast to build, memory-lean).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace abstractllm::engine::tok {

inline uint64_t mix64(uint64_t x) {
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 32;
  return x;
}

// A fast string hash with full avalanche (tables index by its low bits, fingerprints use the
// high bits).
inline uint64_t hash_bytes(std::string_view s) {
  uint64_t h = 0x9E3779B97F4A7C15ULL * (s.size() + 1);
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    __builtin_memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
  }
  uint64_t tail = 0;
  if (i < s.size()) __builtin_memcpy(&tail, s.data() + i, s.size() - i);
  return mix64(h ^ tail);
}

class Vocab {
 public:
  // Reserve room for n tokens with ids in [0, n) (ids may be sparse beyond that).
  void reserve(size_t n);
  // Adds token with id; a later add of the same token string replaces its id (last one wins,
  // like a JSON object read into a map). Returns false if id is negative.
  bool add(std::string_view token, int32_t id);
  int32_t find(std::string_view token) const;  // -1 if absent
  // The same in two steps, so that a batch of lookups can overlap their cache misses.
  void prefetch(uint64_t h) const {
    if (!table_.empty()) __builtin_prefetch(&table_[h & (table_.size() - 1)]);
  }
  int32_t find_hashed(std::string_view token, uint64_t h) const;
  std::string_view token(int32_t id) const;    // empty if absent
  bool has_id(int32_t id) const {
    return id >= 0 && static_cast<size_t>(id) < spans_.size() && spans_[id].len != kNone;
  }
  int64_t id_end() const { return static_cast<int64_t>(spans_.size()); }  // max id + 1
  size_t count() const { return count_; }

 private:
  static constexpr uint32_t kNone = 0xFFFFFFFFu;
  struct SpanRef {
    uint32_t off = 0, len = kNone;
  };
  void grow();
  void erase_slot(size_t j);
  size_t slot_of(std::string_view tok, uint64_t h) const;
  std::string arena_;
  std::vector<SpanRef> spans_;   // by id
  // A slot holds the token's length and first 8 bytes, so that tokens of up to 8 bytes (most of
  // them) are found without touching the arena: one cache miss per lookup instead of three.
  struct Slot {
    int32_t id;    // -1: empty
    uint32_t len;
    uint64_t head;  // first min(len, 8) bytes, zero-padded
  };
  static uint64_t head_of(std::string_view s) {
    uint64_t w = 0;
    __builtin_memcpy(&w, s.data(), s.size() < 8 ? s.size() : 8);
    return w;
  }
  bool slot_is(const Slot& sl, std::string_view tok, uint64_t head) const {
    if (sl.len != tok.size() || sl.head != head) return false;
    if (tok.size() <= 8) return true;
    const SpanRef& r = spans_[sl.id];
    return arena_.compare(r.off + 8, r.len - 8, tok.substr(8)) == 0;
  }
  std::vector<Slot> table_;  // open addressing
  size_t count_ = 0;
};

// (left id, right id) -> (rank, merged id), for BPE merges.
class MergeMap {
 public:
  struct Entry {
    uint64_t key;
    uint32_t rank;
    int32_t id;
  };
  void reserve(size_t n);
  void put(int32_t a, int32_t b, uint32_t rank, int32_t id);  // last put wins
  void prefetch(int32_t a, int32_t b) const {
    if (table_.empty()) return;
    const uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) |
                         static_cast<uint32_t>(b);
    __builtin_prefetch(&table_[mix(key) & (table_.size() - 1)]);
  }
  const Entry* get(int32_t a, int32_t b) const {
    if (table_.empty()) return nullptr;
    const uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) |
                         static_cast<uint32_t>(b);
    size_t mask = table_.size() - 1, i = mix(key) & mask;
    while (true) {
      const Entry& e = table_[i];
      if (e.key == key) return &e;
      if (e.key == kEmpty) return nullptr;
      i = (i + 1) & mask;
    }
  }
  size_t size() const { return count_; }

 private:
  static constexpr uint64_t kEmpty = ~0ULL;
  static uint64_t mix(uint64_t x) { return mix64(x); }
  std::vector<Entry> table_;
  size_t count_ = 0;
};

}  // namespace abstractllm::engine::tok
