#include "engine/chat/chat_template.hpp"

#include <fstream>
#include <sstream>

#include "abstractllm/errors.hpp"

namespace abstractllm::engine {
namespace {

// transformers' former default_chat_template (ChatML), used when a tokenizer has none.
constexpr const char* kChatML =
    "{% for message in messages %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileProcessingError(path.string(), "cannot open " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw FileProcessingError(path.string(), "cannot read " + path.string());
  return ss.str();
}

// A special token in tokenizer_config.json is a string or an AddedToken {"content": ...}.
std::optional<std::string> token_content(const nlohmann::ordered_json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object()) {
    auto it = v.find("content");
    if (it != v.end() && it->is_string()) return it->get<std::string>();
  }
  return std::nullopt;
}

bool is_python_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string py_strip(const std::string& s, bool left, bool right) {
  std::size_t b = 0, e = s.size();
  if (left)
    while (b < e && is_python_space(s[b])) ++b;
  if (right)
    while (e > b && is_python_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

}  // namespace

ChatTemplate::ChatTemplate(std::string source, jinja::TemplateOptions options)
    : template_(std::make_shared<const jinja::Template>(std::move(source), std::move(options))) {}

ChatTemplate ChatTemplate::chatml() {
  ChatTemplate t{std::string(kChatML)};
  t.is_default_ = true;
  return t;
}

ChatTemplate ChatTemplate::from_folder(const std::filesystem::path& dir, std::string_view name) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw FileProcessingError(dir.string(), "model folder " + dir.string() + " does not exist");
  const auto config_path = dir / "tokenizer_config.json";
  nlohmann::ordered_json config = nlohmann::ordered_json::object();
  if (std::filesystem::exists(config_path, ec)) {
    try {
      config = nlohmann::ordered_json::parse(read_file(config_path));
    } catch (const nlohmann::json::exception& e) {
      throw FileProcessingError(config_path.string(),
                                config_path.string() + " is not valid JSON: " + e.what());
    }
    if (!config.is_object())
      throw FileProcessingError(config_path.string(),
                                config_path.string() + " must hold a JSON object");
  }

  std::optional<std::string> source;
  const std::string wanted = name.empty() ? "default" : std::string(name);
  // transformers: chat_template.jinja (saved by recent versions) wins over the config field.
  const auto jinja_path = dir / "chat_template.jinja";
  if (name.empty() && std::filesystem::exists(jinja_path, ec)) source = read_file(jinja_path);
  if (!name.empty()) {
    const auto extra = dir / "additional_chat_templates" / (wanted + ".jinja");
    if (std::filesystem::exists(extra, ec)) source = read_file(extra);
  }
  if (!source) {
    auto it = config.find("chat_template");
    if (it != config.end() && it->is_string()) {
      if (!name.empty() && name != "default")
        throw InvalidParameterError("chat_template", "no chat template named '" + wanted + "' in " +
                                                         config_path.string() +
                                                         " (it has a single template)");
      source = it->get<std::string>();
    } else if (it != config.end() && it->is_array()) {
      std::string names;
      for (const auto& entry : *it) {
        if (!entry.is_object() || !entry.contains("name") || !entry.contains("template") ||
            !entry["name"].is_string() || !entry["template"].is_string())
          throw FileProcessingError(config_path.string(),
                                    config_path.string() +
                                        ": chat_template list entries must be {\"name\": string, "
                                        "\"template\": string}");
        names += (names.empty() ? "" : ", ") + entry["name"].get<std::string>();
        if (entry["name"] == wanted) source = entry["template"].get<std::string>();
      }
      if (!source)
        throw InvalidParameterError("chat_template", "no chat template named '" + wanted + "' in " +
                                                         config_path.string() +
                                                         " (available: " + names + ")");
    } else if (it != config.end() && !it->is_null()) {
      throw FileProcessingError(
          config_path.string(),
          config_path.string() + ": chat_template must be a string or a list of {name, template}");
    }
  }

  ChatTemplate result = source ? ChatTemplate(std::move(*source)) : chatml();
  nlohmann::ordered_json tokens = nlohmann::ordered_json::object();
  for (const char* key : {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token",
                          "cls_token", "mask_token"}) {
    auto it = config.find(key);
    if (it == config.end()) continue;
    if (auto content = token_content(*it)) tokens[key] = *content;
  }
  auto extra_it = config.find("additional_special_tokens");
  if (extra_it != config.end() && extra_it->is_array() && !extra_it->empty()) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& t : *extra_it)
      if (auto content = token_content(t)) list.push_back(*content);
    tokens["additional_special_tokens"] = std::move(list);
  }
  result.special_tokens_ = std::move(tokens);
  return result;
}

std::string ChatTemplate::apply(const nlohmann::json& messages,
                                const ChatTemplateOptions& options) const {
  return apply(nlohmann::ordered_json(messages), options);
}

std::string ChatTemplate::apply(const nlohmann::ordered_json& messages,
                                const ChatTemplateOptions& options) const {
  if (!messages.is_array())
    throw InvalidParameterError("messages", "messages must be a JSON array of {role, content}");
  if (options.continue_final_message && options.add_generation_prompt)
    throw InvalidParameterError(
        "continue_final_message",
        "continue_final_message and add_generation_prompt are not compatible. Use "
        "continue_final_message when you want the model to continue the final message, and "
        "add_generation_prompt when you want to add a header that will prompt it to start a new "
        "assistant message instead.");
  if (!options.extra.is_null() && !options.extra.is_object())
    throw InvalidParameterError("extra", "extra template variables must be a JSON object");
  if (!options.tools.is_null() && !options.tools.is_array())
    throw InvalidParameterError("tools", "tools must be a JSON array of tool definitions or null");

  // The keyword arguments transformers passes: messages, tools, documents,
  // add_generation_prompt, then {**special_tokens_map, **kwargs}.
  nlohmann::ordered_json context = nlohmann::ordered_json::object();
  context["messages"] = messages;
  context["tools"] = options.tools;
  context["documents"] = nullptr;
  context["add_generation_prompt"] = options.add_generation_prompt;
  for (auto it = special_tokens_.begin(); it != special_tokens_.end(); ++it)
    context[it.key()] = it.value();
  if (options.extra.is_object()) {
    for (auto it = options.extra.begin(); it != options.extra.end(); ++it) {
      const std::string& k = it.key();
      if (k == "messages" || k == "tools" || k == "documents" || k == "add_generation_prompt")
        throw InvalidParameterError("extra", "extra template variable '" + k +
                                                 "' collides with an apply_chat_template argument");
      context[k] = it.value();
    }
  }
  std::string rendered = template_->render(context);
  if (!options.continue_final_message) return rendered;

  if (messages.empty() || !messages.back().is_object())
    throw InvalidParameterError("continue_final_message",
                                "continue_final_message is set but there is no final message");
  const auto& last = messages.back();
  std::string final_message;
  auto content = last.find("content");
  if (content != last.end() && content->is_string()) {
    final_message = content->get<std::string>();
  } else if (content != last.end() && content->is_array()) {
    bool found = false;
    for (auto it = content->rbegin(); it != content->rend(); ++it) {
      if (it->is_object() && it->contains("text") && (*it)["text"].is_string()) {
        final_message = (*it)["text"].get<std::string>();
        found = true;
        break;
      }
    }
    if (!found)
      throw InvalidParameterError("continue_final_message",
                                  "continue_final_message is set but we could not find any text "
                                  "to continue in the final message!");
  } else {
    throw InvalidParameterError("continue_final_message",
                                "continue_final_message is set but the final message has no "
                                "string content");
  }
  const std::string stripped = py_strip(final_message, true, true);
  std::size_t loc = rendered.rfind(stripped);
  if (loc == std::string::npos)
    throw InvalidParameterError(
        "continue_final_message",
        "continue_final_message is set but the final message does not appear in the chat after "
        "applying the chat template! This can happen if the chat template deletes portions of "
        "the final message. Please verify the chat template and final message in your chat to "
        "ensure they are compatible.");
  const std::size_t lstripped_len = py_strip(final_message, true, false).size();
  if (rendered.compare(loc, lstripped_len, final_message) == 0 &&
      lstripped_len == final_message.size())
    return rendered.substr(0, loc + lstripped_len);
  if (rendered.substr(loc, lstripped_len) == final_message)
    return rendered.substr(0, loc + lstripped_len);
  return rendered.substr(0, loc + stripped.size());
}

}  // namespace abstractllm::engine
