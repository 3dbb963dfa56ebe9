#include "engine/tokenizer/vocab.hpp"

namespace abstractllm::engine::tok {

void Vocab::reserve(size_t n) {
  spans_.reserve(n);
  arena_.reserve(n * 8);
  size_t cap = 16;
  while (cap < n + n / 2) cap <<= 1;  // load factor <= 2/3
  if (cap > table_.size()) {
    table_.assign(cap, Slot{-1, 0, 0});
    for (int32_t id = 0; id < static_cast<int32_t>(spans_.size()); ++id) {
      if (!has_id(id)) continue;
      const std::string_view t = token(id);
      size_t mask = cap - 1, i = hash_bytes(t) & mask;
      while (table_[i].id >= 0) i = (i + 1) & mask;
      table_[i] = {id, static_cast<uint32_t>(t.size()), head_of(t)};
    }
  }
}

void Vocab::grow() { reserve(std::max<size_t>(count_ * 2, 16)); }

// Removes the id stored at table slot j (backward-shift deletion keeps probe chains intact).
void Vocab::erase_slot(size_t j) {
  const size_t mask = table_.size() - 1;
  spans_[table_[j].id].len = kNone;
  --count_;
  size_t hole = j;
  table_[hole] = {-1, 0, 0};
  for (size_t k = (hole + 1) & mask; table_[k].id >= 0; k = (k + 1) & mask) {
    const size_t home = hash_bytes(token(table_[k].id)) & mask;
    if (((k - home) & mask) >= ((k - hole) & mask)) {
      table_[hole] = table_[k];
      table_[k] = {-1, 0, 0};
      hole = k;
    }
  }
}

size_t Vocab::slot_of(std::string_view tok, uint64_t h) const {
  const size_t mask = table_.size() - 1;
  const uint64_t head = head_of(tok);
  size_t i = h & mask;
  while (table_[i].id >= 0) {
    if (slot_is(table_[i], tok, head)) return i;
    i = (i + 1) & mask;
  }
  return i;  // the empty slot where tok would go
}

bool Vocab::add(std::string_view tok, int32_t id) {
  if (id < 0) return false;
  if ((count_ + 1) * 3 > table_.size() * 2) grow();
  const uint64_t h = hash_bytes(tok);
  size_t i = slot_of(tok, h);
  if (table_[i].id == id) return true;
  // Last one wins: a string seen again moves to the new id, an id seen again names the new
  // string (as when a JSON object is read into a map).
  if (table_[i].id >= 0) erase_slot(i);
  if (has_id(id)) {
    const std::string_view old = token(id);
    erase_slot(slot_of(old, hash_bytes(old)));
  }
  if (static_cast<size_t>(id) >= spans_.size()) spans_.resize(static_cast<size_t>(id) + 1);
  i = slot_of(tok, h);
  spans_[id] = {static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(tok.size())};
  arena_.append(tok);
  table_[i] = {id, static_cast<uint32_t>(tok.size()), head_of(tok)};
  ++count_;
  return true;
}

int32_t Vocab::find(std::string_view tok) const { return find_hashed(tok, hash_bytes(tok)); }

int32_t Vocab::find_hashed(std::string_view tok, uint64_t h) const {
  if (table_.empty()) return -1;
  const size_t mask = table_.size() - 1;
  const uint64_t head = head_of(tok);
  size_t i = h & mask;
  while (true) {
    const Slot& s = table_[i];
    if (s.id < 0) return -1;
    if (slot_is(s, tok, head)) return s.id;
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
  while (cap < n + n / 2) cap <<= 1;  // load factor <= 2/3
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
  if ((count_ + 1) * 3 > table_.size() * 2) reserve(std::max<size_t>(count_ * 2, 16));
  const uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) |
                       static_cast<uint32_t>(b);
  size_t mask = table_.size() - 1, i = mix(key) & mask;
  while (table_[i].key != kEmpty && table_[i].key != key) i = (i + 1) & mask;
  if (table_[i].key == kEmpty) ++count_;
  table_[i] = Entry{key, rank, id};
}

}  // namespace abstractllm::engine::tok
