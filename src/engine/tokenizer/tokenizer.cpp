// Tokenizer: the encode/decode pipeline and the public API.
#include "engine/tokenizer/tokenizer.hpp"

#include <fstream>
#include <sstream>

#include "abstractllm/errors.hpp"
#include "engine/tokenizer/tokenizer_impl.hpp"
#include "engine/tokenizer/unicode.hpp"

namespace abstractllm::engine {
namespace tokenizer_detail {

std::string_view TokenizerImpl::token_of(int32_t id) const {
  if (id >= 0 && static_cast<size_t>(id) < added_by_id.size() && added_by_id[id] >= 0)
    return added.tokens[static_cast<size_t>(added_by_id[id])].content;
  return model->id_to_token(id);
}

std::vector<int32_t> TokenizerImpl::encode(std::string_view raw, bool add_special) const {
  std::string text;
  if (tok::is_valid_utf8(raw)) {
    text.assign(raw);
  } else {
    text = tok::utf8_lossy(raw);
  }
  std::vector<tok::Piece> pieces;
  if (!text.empty()) {
    // 1. Added tokens on the raw text; 2. normalize the rest, then normalized added tokens.
    tok::Piece whole;
    whole.text = std::move(text);
    whole.at_origin = true;
    std::vector<tok::Piece> first;
    added.split(std::move(whole), added.raw, first);
    pieces.reserve(first.size());
    for (auto& p : first) {
      if (p.id >= 0) {
        pieces.push_back(std::move(p));
        continue;
      }
      if (normalizer) normalizer->normalize(p.text);
      added.split(std::move(p), added.normalized, pieces);
    }
    if (pre_tokenizer) pre_tokenizer->pre_tokenize(pieces);
  }
  std::vector<int32_t> ids;
  ids.reserve(raw.size() / 3 + 4);
  for (const auto& p : pieces) {
    if (p.id >= 0)
      ids.push_back(p.id);
    else
      model->tokenize(p.text, ids);
  }
  if (post_processor) post_processor->process(ids, add_special);
  return ids;
}

std::string TokenizerImpl::decode(std::span<const int32_t> ids, bool skip_special) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    const std::string_view t = token_of(id);
    if (t.empty() && !(id >= 0 && id < id_end)) continue;  // unknown ids are dropped
    if (skip_special && special(id)) continue;
    tokens.emplace_back(t);
  }
  if (decoder) {
    decoder->decode_chain(tokens);
    std::string out;
    for (const auto& t : tokens) out += t;
    return out;
  }
  std::string out;
  for (size_t k = 0; k < tokens.size(); ++k) {
    if (k) out += ' ';
    out += tokens[k];
  }
  return out;
}

}  // namespace tokenizer_detail

namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw FileProcessingError(p.string(), "cannot open " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string read_if_exists(const std::filesystem::path& p) {
  std::error_code ec;
  if (p.empty() || !std::filesystem::is_regular_file(p, ec)) return {};
  return read_file(p);
}

}  // namespace

Tokenizer Tokenizer::from_json(std::string_view tokenizer_json, std::string_view config_json,
                               std::string_view origin) {
  auto impl = tokenizer_detail::load_tokenizer_json(tokenizer_json, origin);
  tokenizer_detail::load_config(*impl, config_json, {}, {});
  return Tokenizer(std::move(impl));
}

Tokenizer Tokenizer::from_files(const std::filesystem::path& tokenizer_json,
                                const std::filesystem::path& tokenizer_config) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(tokenizer_json, ec))
    throw ModelNotFoundError("tokenizer file not found: " + tokenizer_json.string());
  const std::string text = read_file(tokenizer_json);
  auto impl = tokenizer_detail::load_tokenizer_json(text, tokenizer_json.string());
  const auto dir = tokenizer_config.empty() ? std::filesystem::path() : tokenizer_config.parent_path();
  tokenizer_detail::load_config(
      *impl, read_if_exists(tokenizer_config),
      dir.empty() ? std::string() : read_if_exists(dir / "special_tokens_map.json"),
      dir.empty() ? std::string() : read_if_exists(dir / "chat_template.jinja"));
  return Tokenizer(std::move(impl));
}

Tokenizer Tokenizer::from_folder(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw ModelNotFoundError("tokenizer folder not found: " + dir.string());
  const auto tj = dir / "tokenizer.json";
  if (!std::filesystem::is_regular_file(tj, ec))
    throw ModelNotFoundError("no tokenizer.json in " + dir.string() +
                             " (only Hugging Face tokenizer.json tokenizers are supported)");
  const std::string text = read_file(tj);
  auto impl = tokenizer_detail::load_tokenizer_json(text, tj.string());
  tokenizer_detail::load_config(*impl, read_if_exists(dir / "tokenizer_config.json"),
                                read_if_exists(dir / "special_tokens_map.json"),
                                read_if_exists(dir / "chat_template.jinja"));
  return Tokenizer(std::move(impl));
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  return impl_->encode(text, add_special_tokens);
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  return impl_->decode(ids, skip_special_tokens);
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  for (const auto& t : impl_->added.tokens)
    if (t.content == token) return t.id;
  const int32_t id = impl_->model->token_to_id(token);
  if (id < 0) return std::nullopt;
  return id;
}

std::string Tokenizer::id_to_token(int32_t id) const { return std::string(impl_->token_of(id)); }
int64_t Tokenizer::vocab_size() const { return impl_->id_end; }
bool Tokenizer::is_special(int32_t id) const { return impl_->special(id); }
const TokenizerConfig& Tokenizer::config() const { return impl_->config; }

StreamingDetokenizer Tokenizer::streaming_detokenizer(bool skip_special_tokens) const {
  return StreamingDetokenizer(impl_, skip_special_tokens);
}

}  // namespace abstractllm::engine
