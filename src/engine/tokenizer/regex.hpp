// PCRE2 (UTF + UCP, JIT) wrapper that runs tokenizer.json's Split regexes as written. The Rust
// library compiles them with Oniguruma; the dialect differences that matter are `\s` (Oniguruma:
// the White_Space property, which includes U+0085) and `\w` (Oniguruma: letters, marks, numbers,
// connector punctuation), which are widened to match.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace abstractllm::engine::tok {

class Regex {
 public:
  // Throws ModelLoadingError naming `where` (e.g. "pre_tokenizer Split") if it does not compile.
  Regex(std::string_view pattern, std::string_view where);
  // A regex matching `literal` exactly (Split's {"String": ...} pattern).
  static Regex literal(std::string_view literal, std::string_view where);

  // Non-overlapping matches, left to right, as [start, end) byte offsets. `s` must be valid
  // UTF-8. An empty match advances the search by one character (as Oniguruma's find_iter).
  void find_all(std::string_view s, std::vector<std::pair<size_t, size_t>>& out) const;
  const std::string& pattern() const { return pattern_; }

 private:
  struct Code;
  std::shared_ptr<Code> code_;
  std::string pattern_;
};

// Oniguruma -> PCRE2 adjustments (exposed for tests).
std::string onig_to_pcre2(std::string_view pattern);

}  // namespace abstractllm::engine::tok
