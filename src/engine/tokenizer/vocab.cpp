#include "engine/tokenizer/vocab.hpp"

namespace abstractllm::engine::tok {

void Vocab::reserve(size_t n) {
  spans_.reserve(n);
  arena_.reserve(n * 8);
  size_t cap = 16;
  while (cap < n * 2) cap <<= 1;
  if (cap > table_.size()) {
    table_.assign(cap, -1);
    for (int32_t id = 0; id < static_cast<int32_t>(spans_.size()); ++id) {
      if (!has_id(id)) continue;
      size_t mask = cap - 1, i = hash_bytes(token(id)) & mask;
      while (table_[i] >= 0) i = (i + 1) & mask;
      table_[i] = id;
    }
  }
}

void Vocab::grow() { reserve(std::max<size_t>(count_ * 2, 16)); }

// Removes the id stored at table slot j (backward-shift deletion keeps probe chains intact).
void Vocab::erase_slot(size_t j) {
  const size_t mask = table_.size() - 1;
  spans_[table_[j]].len = kNone;
  --count_;
  size_t hole = j;
  table_[hole] = -1;
  for (size_t k = (hole + 1) & mask; table_[k] >= 0; k = (k + 1) & mask) {
    const size_t home = hash_bytes(token(table_[k])) & mask;
    if (((k - home) & mask) >= ((k - hole) & mask)) {
      table_[hole] = table_[k];
      table_[k] = -1;
      hole = k;
    }
  }
}

size_t Vocab::slot_of(std::string_view tok) const {
  const size_t mask = table_.size() - 1;
  size_t i = hash_bytes(tok) & mask;
  while (table_[i] >= 0) {
    if (token(table_[i]) == tok) return i;
    i = (i + 1) & mask;
  }
  return i;  // the empty slot where tok would go
}

bool Vocab::add(std::string_view tok, int32_t id) {
  if (id < 0) return false;
  if ((count_ + 1) * 2 > table_.size()) grow();
  size_t i = slot_of(tok);
  if (table_[i] == id) return true;
  // Last one wins: a string seen again moves to the new id, an id seen again names the new
  // string (as when a JSON object is read into a map).
  if (table_[i] >= 0) erase_slot(i);
  if (has_id(id)) erase_slot(slot_of(token(id)));
  if (static_cast<size_t>(id) >= spans_.size()) spans_.resize(static_cast<size_t>(id) + 1);
  i = slot_of(tok);
  spans_[id] = {static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(tok.size())};
  arena_.append(tok);
  table_[i] = id;
  ++count_;
  return true;
}

int32_t Vocab::find(std::string_view tok) const {
  if (table_.empty()) return -1;
  const size_t mask = table_.size() - 1;
  size_t i = hash_bytes(tok) & mask;
  while (true) {
    const int32_t id = table_[i];
    if (id < 0) return -1;
    const SpanRef& s = spans_[id];
    if (s.len == tok.size() && arena_.compare(s.off, s.len, tok) == 0) return id;
    i = (i + 1) & mask;
  }
}

std::string_view Vocab::token(int32_t id) const {
  if (!has_id(id)) return {};
  const SpanRef& s = spans_[id];
  return std::string_view(arena_).substr(s.off, s.len);
}

void MergeMap::reserve(size_t n) {
  size_t cap = 16;
  while (cap < n * 2) cap <<= 1;
  if (cap <= table_.size()) return;
  std::vector<Entry> old = std::move(table_);
  table_.assign(cap, Entry{kEmpty, 0, 0});
  count_ = 0;
  for (const auto& e : old) {
    if (e.key != kEmpty)
      put(static_cast<int32_t>(e.key >> 32), static_cast<int32_t>(e.key & 0xFFFFFFFFu), e.rank,
          e.id);
  }
}

void MergeMap::put(int32_t a, int32_t b, uint32_t rank, int32_t id) {
  if ((count_ + 1) * 2 > table_.size()) reserve(std::max<size_t>(count_ * 2, 16));
  const uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) |
                       static_cast<uint32_t>(b);
  size_t mask = table_.size() - 1, i = mix(key) & mask;
  while (table_[i].key != kEmpty && table_[i].key != key) i = (i + 1) & mask;
  if (table_[i].key == kEmpty) ++count_;
  table_[i] = Entry{key, rank, id};
}

}  // namespace abstractllm::engine::tok
