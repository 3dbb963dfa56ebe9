// Streaming detokenizer. Keeps the last emitted id as context (so SentencePiece-style decoders
// keep the leading space of a word that is not the first) plus the ids whose text is not yet
// complete UTF-8; each add() decodes only those few ids, so the total work is linear in the
// output. Incomplete characters show up as trailing U+FFFD (byte-level and byte-fallback
// decoders replace partial sequences), which are held back until the rest arrives.
#include "engine/tokenizer/tokenizer.hpp"
#include "engine/tokenizer/tokenizer_impl.hpp"
#include "engine/tokenizer/unicode.hpp"

namespace abstractllm::engine {

namespace {
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
}

StreamingDetokenizer::StreamingDetokenizer(
    std::shared_ptr<const tokenizer_detail::TokenizerImpl> impl, bool skip_special_tokens)
    : impl_(std::move(impl)), skip_special_(skip_special_tokens) {}

void StreamingDetokenizer::reset() {
  pending_.clear();
  pending_text_.clear();
  prefix_.clear();
  prefix_len_ = 0;
  pending_text_prefix_.clear();
  text_.clear();
  first_ = true;
}

std::string StreamingDetokenizer::add(int32_t id) {
  if (skip_special_ && impl_->special(id)) return {};
  pending_.push_back(id);
  std::vector<int32_t> ids = prefix_;
  ids.insert(ids.end(), pending_.begin(), pending_.end());
  std::string full = impl_->decode(ids, skip_special_);
  // The context's text and what was already emitted must be unchanged. They change only in a
  // broken byte stream (a later byte turns an earlier valid run invalid): emitted text cannot be
  // taken back, so restart the window at this id.
  if (full.compare(0, prefix_len_, pending_text_prefix_) != 0 ||
      full.compare(prefix_len_, pending_text_.size(), pending_text_) != 0) {
    prefix_.clear();
    pending_text_prefix_.clear();
    prefix_len_ = 0;
    pending_.assign(1, id);
    pending_text_.clear();
    full = impl_->decode(pending_, skip_special_);
  }
  std::string_view delta = std::string_view(full).substr(prefix_len_);
  // Hold back a trailing run of U+FFFD: it may be a character whose bytes are still coming.
  size_t keep = delta.size();
  while (keep >= 3 && delta.substr(keep - 3, 3) == kReplacement) keep -= 3;
  const bool complete = keep == delta.size();
  std::string out;
  if (keep > pending_text_.size())
    out = std::string(delta.substr(pending_text_.size(), keep - pending_text_.size()));
  pending_text_ += out;
  if (complete) {
    // The id becomes the context for what follows, unless on its own it decodes to U+FFFD (a
    // byte-fallback token that ends a character): such a token would join the next byte run
    // and change its text, so the window keeps growing until a self-contained token arrives.
    std::vector<int32_t> ctx(1, id);
    std::string ctx_text = impl_->decode(ctx, skip_special_);
    if (ctx_text.find(kReplacement) == std::string::npos) {
      prefix_ = std::move(ctx);
      pending_text_prefix_ = std::move(ctx_text);
      prefix_len_ = pending_text_prefix_.size();
      pending_.clear();
      pending_text_.clear();
    }
  }
  if (!tok::is_valid_utf8(out)) out = tok::utf8_lossy(out);  // never hand out broken UTF-8
  text_ += out;
  first_ = false;
  return out;
}

std::string StreamingDetokenizer::finish() {
  if (pending_.empty()) return {};
  std::vector<int32_t> ids = prefix_;
  ids.insert(ids.end(), pending_.begin(), pending_.end());
  std::string full = impl_->decode(ids, skip_special_);
  std::string out;
  if (full.compare(0, prefix_len_, pending_text_prefix_) == 0) {
    std::string_view delta = std::string_view(full).substr(prefix_len_);
    if (delta.size() > pending_text_.size()) out = std::string(delta.substr(pending_text_.size()));
  } else {
    // The context token's bytes merged into an invalid run: the rest, decoded on its own.
    full = impl_->decode(pending_, skip_special_);
    if (full.size() > pending_text_.size()) out = full.substr(pending_text_.size());
  }
  if (!tok::is_valid_utf8(out)) out = tok::utf8_lossy(out);
  text_ += out;
  prefix_.clear();
  prefix_len_ = 0;
  pending_text_prefix_.clear();
  pending_.clear();
  pending_text_.clear();
  return out;
}

}  // namespace abstractllm::engine
