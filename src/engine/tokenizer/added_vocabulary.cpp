#include "engine/tokenizer/added_vocabulary.hpp"

#include "engine/tokenizer/unicode.hpp"

namespace abstractllm::engine::tok {

void TokenMatcher::add(std::string_view s, int32_t token_index) {
  if (s.empty()) return;
  first_[static_cast<unsigned char>(s[0])] = true;
  int32_t node = 0;
  for (unsigned char c : s) {
    const uint64_t key = (static_cast<uint64_t>(node) << 8) | c;
    auto it = edges_.find(key);
    if (it == edges_.end()) {
      nodes_.push_back(Node{});
      it = edges_.emplace(key, static_cast<int32_t>(nodes_.size() - 1)).first;
    }
    node = it->second;
  }
  // A duplicate content keeps the first token (the Rust library maps content -> one token).
  if (nodes_[node].token < 0) nodes_[node].token = token_index;
}

std::pair<size_t, int32_t> TokenMatcher::longest_at(std::string_view s, size_t pos) const {
  int32_t node = 0;
  std::pair<size_t, int32_t> best{0, -1};
  for (size_t i = pos; i < s.size(); ++i) {
    const uint64_t key = (static_cast<uint64_t>(node) << 8) | static_cast<unsigned char>(s[i]);
    auto it = edges_.find(key);
    if (it == edges_.end()) break;
    node = it->second;
    if (nodes_[node].token >= 0) best = {i + 1 - pos, nodes_[node].token};
  }
  return best;
}

namespace {

bool is_word_char(char32_t c) { return c == '_' || is_alphanumeric(c); }

char32_t last_cp(std::string_view s) {
  size_t b = s.size() - 1;
  while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
  size_t i = b;
  return next_cp(s, i);
}

}  // namespace

void AddedVocabulary::split(Piece&& piece, const TokenMatcher& m, std::vector<Piece>& out) const {
  const std::string& s = piece.text;
  if (m.empty() || s.empty()) {
    if (!s.empty()) out.push_back(std::move(piece));
    return;
  }
  size_t start_offset = 0;
  bool any = false;
  auto push_text = [&](size_t b, size_t e) {
    if (e <= b) return;
    Piece p;
    p.text = s.substr(b, e - b);
    p.at_origin = piece.at_origin && b == 0;
    out.push_back(std::move(p));
  };
  size_t pos = 0;
  while (pos < s.size()) {
    if (!m.may_start(static_cast<unsigned char>(s[pos]))) {
      ++pos;
      continue;
    }
    auto [len, idx] = m.longest_at(s, pos);
    if (len == 0) {
      ++pos;
      continue;
    }
    const AddedToken& t = tokens[static_cast<size_t>(idx)];
    size_t start = pos, stop = pos + len;
    pos = stop;  // matches do not overlap, even when one is discarded below
    if (split_special && t.special) continue;
    if (t.single_word) {
      const bool start_space = start == 0 || !is_word_char(last_cp(s.substr(0, start)));
      size_t k = stop;
      const bool stop_space = stop == s.size() || !is_word_char(next_cp(s, k));
      if (!start_space || !stop_space) continue;
    }
    if (t.lstrip) {
      size_t ns = start;
      while (ns > 0) {
        size_t b = ns - 1;
        while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
        size_t k = b;
        if (!is_whitespace(next_cp(s, k))) break;
        ns = b;
      }
      start = std::max(ns, start_offset);
    }
    if (t.rstrip) {
      while (stop < s.size()) {
        size_t k = stop;
        if (!is_whitespace(next_cp(s, k))) break;
        stop = k;
      }
      pos = std::max(pos, stop);
    }
    push_text(start_offset, start);
    Piece tokp;
    tokp.text = s.substr(start, stop - start);
    tokp.id = t.id;
    out.push_back(std::move(tokp));
    start_offset = stop;
    any = true;
  }
  if (!any) {
    out.push_back(std::move(piece));
    return;
  }
  push_text(start_offset, s.size());
}

}  // namespace abstractllm::engine::tok
