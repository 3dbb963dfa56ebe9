// The loaded tokenizer: immutable pipeline components shared by Tokenizer copies and streaming
// detokenizers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/tokenizer/added_vocabulary.hpp"
#include "engine/tokenizer/components.hpp"
#include "engine/tokenizer/tokenizer.hpp"

namespace abstractllm::engine::tokenizer_detail {

struct TokenizerImpl {
  std::unique_ptr<tok::Normalizer> normalizer;
  std::unique_ptr<tok::PreTokenizer> pre_tokenizer;
  std::unique_ptr<tok::Model> model;
  std::unique_ptr<tok::PostProcessor> post_processor;
  std::unique_ptr<tok::Decoder> decoder;
  tok::AddedVocabulary added;
  std::vector<int32_t> added_by_id;  // id -> index in added.tokens, or -1 (sized to id_end)
  int64_t id_end = 0;                // max id + 1 over model and added tokens
  TokenizerConfig config;

  std::string_view token_of(int32_t id) const;  // added tokens first, then the model
  bool special(int32_t id) const {
    return id >= 0 && static_cast<size_t>(id) < added_by_id.size() && added_by_id[id] >= 0 &&
           added.tokens[static_cast<size_t>(added_by_id[id])].special;
  }
  std::vector<int32_t> encode(std::string_view text, bool add_special) const;
  std::string decode(std::span<const int32_t> ids, bool skip_special) const;
};

// Parses tokenizer.json text (origin names it in errors).
std::shared_ptr<TokenizerImpl> load_tokenizer_json(std::string_view json, std::string_view origin);
// Fills impl->config from tokenizer_config.json / special_tokens_map.json texts (may be empty).
void load_config(TokenizerImpl& impl, std::string_view config_json,
                 std::string_view special_tokens_map_json, std::string_view chat_template_jinja);

}  // namespace abstractllm::engine::tokenizer_detail
