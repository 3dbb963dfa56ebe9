// apply_chat_template: renders a model's chat template the way Hugging Face transformers does
// (ImmutableSandboxedEnvironment, trim_blocks + lstrip_blocks, loopcontrols, its tojson,
// raise_exception, strftime_now), so the prompt matches the format the model was trained on
// byte for byte.
//
// Key order: Python dicts keep insertion order and templates print them (`tools | tojson`,
// `message.items()`), so pass nlohmann::ordered_json to keep your order. nlohmann::json is
// accepted too, but its objects are sorted by key.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "engine/chat/template.hpp"

namespace abstractllm::engine {

struct ChatTemplateOptions {
  nlohmann::ordered_json tools = nullptr;  // array of tool definitions, or null (passed as None)
  bool add_generation_prompt = true;
  // Cut the output right after the last message's content so generation continues it
  // (transformers' semantics); cannot be combined with add_generation_prompt.
  bool continue_final_message = false;
  // Extra template variables (enable_thinking, date_string, ...); they override special tokens.
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
};

class ChatTemplate {
 public:
  // Parses once; throws TemplateError (with line and column) on a syntax error.
  explicit ChatTemplate(std::string source, jinja::TemplateOptions options = {});

  // Reads `dir/tokenizer_config.json`'s chat_template (a string, or a list of {name, template}:
  // "default" unless `name` is given), else `dir/chat_template.jinja`, and the special tokens
  // (bos_token, eos_token, unk_token, sep_token, pad_token, cls_token, mask_token,
  // additional_special_tokens) as transformers passes them. Without any template: ChatML
  // (see chatml()), and is_default() is true. Throws FileProcessingError on unreadable or
  // malformed files, InvalidParameterError when `name` names no template.
  static ChatTemplate from_folder(const std::filesystem::path& dir, std::string_view name = {});

  // The documented fallback: ChatML (`<|im_start|>role\ncontent<|im_end|>\n` per message and
  // `<|im_start|>assistant\n` as the generation prompt).
  static ChatTemplate chatml();

  // Renders messages (array of {role, content, ...}); const and thread-safe.
  // Throws TemplateError for template failures (raise_exception included, with its message) and
  // InvalidParameterError for contradictory options.
  std::string apply(const nlohmann::ordered_json& messages,
                    const ChatTemplateOptions& options = {}) const;
  std::string apply(const nlohmann::json& messages, const ChatTemplateOptions& options = {}) const;

  // True when no template was found and ChatML was used.
  bool is_default() const { return is_default_; }
  const std::string& source() const { return template_->source(); }
  // Variables passed to every render (special tokens); may be replaced.
  const nlohmann::ordered_json& special_tokens() const { return special_tokens_; }
  void set_special_tokens(nlohmann::ordered_json tokens) { special_tokens_ = std::move(tokens); }

 private:
  std::shared_ptr<const jinja::Template> template_;
  nlohmann::ordered_json special_tokens_ = nlohmann::ordered_json::object();
  bool is_default_ = false;
};

}  // namespace abstractllm::engine
