// Reads tokenizer.json (simdjson: an 11 MB file parses in milliseconds) into a TokenizerImpl,
// and tokenizer_config.json / special_tokens_map.json / chat_template.jinja into its config.
#include <nlohmann/json.hpp>

#include "engine/tokenizer/factories.hpp"
#include "engine/tokenizer/tokenizer_impl.hpp"
#include "engine/tokenizer/unicode.hpp"

namespace abstractllm::engine::tokenizer_detail {

namespace tj = tok::json;

std::shared_ptr<TokenizerImpl> load_tokenizer_json(std::string_view text, std::string_view origin) {
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(text);
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root)) {
    throw ModelLoadingError(std::string(origin) + ": not valid JSON (" +
                            simdjson::error_message(err) + ")");
  }
  if (!root.is_object()) throw ModelLoadingError(std::string(origin) + ": expected a JSON object");
  auto impl = std::make_shared<TokenizerImpl>();
  try {
    auto model = tj::field(root, "model");
    if (!model) tj::fail("model", "missing (every tokenizer.json has a \"model\")");
    impl->model = tok::make_model(*model, "model");
    if (auto n = tj::field(root, "normalizer")) impl->normalizer = tok::make_normalizer(*n, "normalizer");
    if (auto p = tj::field(root, "pre_tokenizer"))
      impl->pre_tokenizer = tok::make_pre_tokenizer(*p, "pre_tokenizer");
    if (auto p = tj::field(root, "post_processor"))
      impl->post_processor = tok::make_post_processor(*p, "post_processor");
    if (auto d = tj::field(root, "decoder")) impl->decoder = tok::make_decoder(*d, "decoder");

    impl->id_end = impl->model->size();
    if (auto added = tj::field(root, "added_tokens")) {
      if (!added->is_array()) tj::fail("added_tokens", "must be an array");
      size_t i = 0;
      const simdjson::dom::array list = added->get_array().value_unsafe();
      for (auto t : list) {
        const std::string where = "added_tokens[" + std::to_string(i++) + "]";
        tok::AddedToken a;
        const int64_t id = tj::integer(t, "id", where, -1);
        if (id < 0 || id > INT32_MAX - 1) tj::fail(where, "\"id\" must be a non-negative integer");
        a.id = static_cast<int32_t>(id);
        a.content = std::string(tj::str(t, "content", where));
        if (!tok::is_valid_utf8(a.content)) tj::fail(where, "content is not valid UTF-8");
        a.single_word = tj::boolean(t, "single_word", where, false);
        a.lstrip = tj::boolean(t, "lstrip", where, false);
        a.rstrip = tj::boolean(t, "rstrip", where, false);
        a.special = tj::boolean(t, "special", where, false);
        a.normalized = tj::boolean(t, "normalized", where, !a.special);
        impl->added.tokens.push_back(std::move(a));
      }
    }
  } catch (const ModelLoadingError& e) {
    throw ModelLoadingError(std::string(origin) + ": " + e.what());
  } catch (const UnsupportedModelError& e) {
    throw UnsupportedModelError(std::string(origin) + ": " + e.what());
  }
  auto& av = impl->added;
  for (size_t k = 0; k < av.tokens.size(); ++k) {
    const auto& t = av.tokens[k];
    impl->id_end = std::max<int64_t>(impl->id_end, static_cast<int64_t>(t.id) + 1);
    if (t.normalized && impl->normalizer) {
      std::string n = t.content;
      impl->normalizer->normalize(n);
      av.normalized.add(n, static_cast<int32_t>(k));
    } else if (t.normalized) {
      av.normalized.add(t.content, static_cast<int32_t>(k));
    } else {
      av.raw.add(t.content, static_cast<int32_t>(k));
    }
  }
  impl->added_by_id.assign(static_cast<size_t>(impl->id_end), -1);
  for (size_t k = 0; k < av.tokens.size(); ++k)
    impl->added_by_id[static_cast<size_t>(av.tokens[k].id)] = static_cast<int32_t>(k);
  return impl;
}

namespace {

using Json = nlohmann::json;

// A token given as "text" or as an AddedToken object {"content": "text", ...}.
std::string token_string(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_object() && j.contains("content") && j["content"].is_string())
    return j["content"].get<std::string>();
  return {};
}

Json parse_optional(std::string_view text, std::string_view name) {
  if (text.empty()) return Json::object();
  try {
    Json j = Json::parse(text);
    if (!j.is_object()) throw ModelLoadingError(std::string(name) + ": expected a JSON object");
    return j;
  } catch (const Json::exception& e) {
    throw ModelLoadingError(std::string(name) + ": not valid JSON (" + e.what() + ")");
  }
}

}  // namespace

void load_config(TokenizerImpl& impl, std::string_view config_text, std::string_view map_text,
                 std::string_view jinja) {
  const Json cfg = parse_optional(config_text, "tokenizer_config.json");
  const Json map = parse_optional(map_text, "special_tokens_map.json");
  TokenizerConfig& c = impl.config;
  auto resolve = [&](const char* key, TokenizerConfig::NamedToken& out) {
    std::string s;
    if (cfg.contains(key)) s = token_string(cfg[key]);
    if (s.empty() && map.contains(key)) s = token_string(map[key]);
    out.content = s;
    out.id.reset();
    if (s.empty()) return;
    for (const auto& t : impl.added.tokens) {
      if (t.content == s) {
        out.id = t.id;
        return;
      }
    }
    const int32_t id = impl.model->token_to_id(s);
    if (id >= 0) out.id = id;
  };
  resolve("bos_token", c.bos);
  resolve("eos_token", c.eos);
  resolve("pad_token", c.pad);
  resolve("unk_token", c.unk);
  if (cfg.contains("chat_template")) {
    const Json& t = cfg["chat_template"];
    if (t.is_string()) {
      c.chat_templates["default"] = t.get<std::string>();
    } else if (t.is_array()) {
      for (const auto& item : t) {
        if (item.is_object() && item.contains("name") && item["name"].is_string() &&
            item.contains("template") && item["template"].is_string())
          c.chat_templates[item["name"].get<std::string>()] = item["template"].get<std::string>();
      }
    }
  }
  if (!jinja.empty()) c.chat_templates["default"] = std::string(jinja);
  if (auto it = c.chat_templates.find("default"); it != c.chat_templates.end()) {
    c.chat_template = it->second;
  } else if (c.chat_templates.size() == 1) {
    c.chat_template = c.chat_templates.begin()->second;
  }
  if (cfg.contains("model_max_length") && cfg["model_max_length"].is_number()) {
    const double v = cfg["model_max_length"].get<double>();
    if (v > 0 && v < 1e18) c.model_max_length = static_cast<int64_t>(v);
  }
  if (cfg.contains("add_bos_token") && cfg["add_bos_token"].is_boolean())
    c.add_bos_token = cfg["add_bos_token"].get<bool>();
  if (cfg.contains("add_eos_token") && cfg["add_eos_token"].is_boolean())
    c.add_eos_token = cfg["add_eos_token"].get<bool>();
  if (cfg.contains("split_special_tokens") && cfg["split_special_tokens"].is_boolean())
    c.split_special_tokens = cfg["split_special_tokens"].get<bool>();
  if (cfg.contains("tokenizer_class") && cfg["tokenizer_class"].is_string())
    c.tokenizer_class = cfg["tokenizer_class"].get<std::string>();
  impl.added.split_special = c.split_special_tokens;
}

}  // namespace abstractllm::engine::tokenizer_detail
