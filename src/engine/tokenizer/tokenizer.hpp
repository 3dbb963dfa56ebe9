// Hugging Face tokenizer.json, run as written: normalizer -> added-token split -> pre-tokenizer ->
// model (BPE / WordPiece / Unigram) -> post-processor; decoder; streaming detokenizer.
// The goal is token-for-token identity with the Rust `tokenizers` library (see docs/tokenizer.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace abstractllm::engine {

namespace tokenizer_detail {
struct TokenizerImpl;
}

// What tokenizer_config.json (+ special_tokens_map.json, chat_template.jinja) says. Token
// strings are resolved to ids against the tokenizer's vocabulary when it has them.
struct TokenizerConfig {
  struct NamedToken {
    std::string content;            // empty when the config does not name it
    std::optional<int32_t> id;      // its id, when the vocabulary has it
    bool present() const { return !content.empty(); }
  };
  NamedToken bos, eos, pad, unk;
  // The default chat template ("default" of a named list, or the only one); empty if none.
  std::string chat_template;
  // All named templates ({"default": ..., "tool_use": ...}); a single template is "default".
  std::map<std::string, std::string> chat_templates;
  std::optional<int64_t> model_max_length;  // absent when missing or the "infinite" sentinel
  std::optional<bool> add_bos_token, add_eos_token;  // informational: the post-processor rules
  bool split_special_tokens = false;  // true: special-token strings in text are not matched
  std::string tokenizer_class;
};

class Tokenizer;

// Turns a stream of ids into text deltas. add() returns only complete UTF-8 (never half a
// character); finish() returns what is left. Linear in output length: it re-decodes only the
// ids since the last emitted boundary. Holds a reference to the tokenizer's shared data.
class StreamingDetokenizer {
 public:
  std::string add(int32_t id);
  std::string finish();
  // All text emitted so far (add() deltas concatenated).
  const std::string& text() const { return text_; }
  void reset();

 private:
  friend class Tokenizer;
  StreamingDetokenizer(std::shared_ptr<const tokenizer_detail::TokenizerImpl> impl,
                       bool skip_special_tokens);

  std::shared_ptr<const tokenizer_detail::TokenizerImpl> impl_;
  bool skip_special_;
  std::vector<int32_t> pending_;     // ids whose text is not yet complete
  std::string pending_text_;         // what of their text was already emitted
  std::vector<int32_t> prefix_;      // the last completed id: context for the decoder
  std::string pending_text_prefix_;  // decode(prefix_)
  size_t prefix_len_ = 0;            // its length
  std::string text_;
  bool first_ = true;
};

class Tokenizer {
 public:
  // tokenizer.json + tokenizer_config.json (+ special_tokens_map.json, chat_template.jinja) in
  // dir. Throws ModelNotFoundError if tokenizer.json is missing, ModelLoadingError if malformed,
  // UnsupportedModelError for unknown component types (the message names the component).
  static Tokenizer from_folder(const std::filesystem::path& dir);
  // tokenizer_config may be empty (defaults apply).
  static Tokenizer from_files(const std::filesystem::path& tokenizer_json,
                              const std::filesystem::path& tokenizer_config);
  // From in-memory JSON texts (config_json may be empty). `origin` names the source in errors.
  static Tokenizer from_json(std::string_view tokenizer_json, std::string_view config_json = {},
                             std::string_view origin = "tokenizer.json");

  // Invalid UTF-8 in `text` is replaced with U+FFFD per maximal subpart (as Rust's
  // String::from_utf8_lossy, which is what Python/Node callers hand `tokenizers`).
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens = true) const;
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens = false) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  std::string id_to_token(int32_t id) const;  // empty if out of range
  int64_t vocab_size() const;                 // incl. added tokens
  bool is_special(int32_t id) const;
  const TokenizerConfig& config() const;
  StreamingDetokenizer streaming_detokenizer(bool skip_special_tokens = false) const;

  Tokenizer(Tokenizer&&) noexcept = default;
  Tokenizer& operator=(Tokenizer&&) noexcept = default;
  Tokenizer(const Tokenizer&) = default;  // shares the immutable data
  Tokenizer& operator=(const Tokenizer&) = default;

 private:
  explicit Tokenizer(std::shared_ptr<const tokenizer_detail::TokenizerImpl> impl)
      : impl_(std::move(impl)) {}
  std::shared_ptr<const tokenizer_detail::TokenizerImpl> impl_;
};

}  // namespace abstractllm::engine
