// Added tokens (tokenizer.json "added_tokens"): found in the text before the model runs, the way
// the Rust library's AddedVocabulary does it — leftmost-longest matching, first on the raw text
// for tokens with normalized=false, then on the normalized text for the others; honouring
// single_word, lstrip and rstrip; special tokens left as text when split_special_tokens is set.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizer/components.hpp"

namespace abstractllm::engine::tok {

struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool single_word = false, lstrip = false, rstrip = false, normalized = false, special = false;
};

// Leftmost-longest matcher over a set of strings (a byte trie).
class TokenMatcher {
 public:
  void add(std::string_view s, int32_t token_index);
  bool empty() const { return nodes_.size() <= 1; }
  // Longest match starting at s[pos]: returns its length and token index, or length 0.
  std::pair<size_t, int32_t> longest_at(std::string_view s, size_t pos) const;
  bool may_start(unsigned char b) const { return first_[b]; }

 private:
  struct Node {
    int32_t token = -1;
  };
  std::vector<Node> nodes_{Node{}};
  std::unordered_map<uint64_t, int32_t> edges_;  // (node << 8 | byte) -> child
  std::array<bool, 256> first_{};
};

class AddedVocabulary {
 public:
  std::vector<AddedToken> tokens;
  TokenMatcher raw, normalized;  // token indexes into `tokens`
  bool split_special = false;    // split_special_tokens: do not match special tokens

  // Splits `piece` (unresolved) into resolved added tokens and remaining text pieces.
  void split(Piece&& piece, const TokenMatcher& m, std::vector<Piece>& out) const;
};

}  // namespace abstractllm::engine::tok
