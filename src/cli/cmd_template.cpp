// `abstractllm template`: renders a model's chat template over a conversation and prints exactly
// the prompt text (no trailing newline added), as transformers' apply_chat_template(tokenize=False)
// would produce it.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>

#include "abstractllm/errors.hpp"
#include "cli/commands.hpp"
#include "engine/chat/chat_template.hpp"
#include "engine/io/model_locator.hpp"

namespace abstractllm::cli {
namespace {

std::string read_text(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileProcessingError(path, "cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::ordered_json read_json(const std::string& path, const char* what) {
  try {
    return nlohmann::ordered_json::parse(read_text(path));
  } catch (const nlohmann::json::exception& e) {
    throw FileProcessingError(
        path, std::string(what) + " file " + path + " is not valid JSON: " + e.what());
  }
}

struct TemplateArgs {
  std::string model;
  std::string messages;
  std::string tools;
  std::string kwargs;
  std::string chat_template;
  std::string name;
  bool add_generation_prompt = false;
  bool continue_final_message = false;
};

void run(const TemplateArgs& a) {
  // A folder is used as is (it may hold only tokenizer_config.json); anything else is a hub id
  // looked up in the local Hugging Face cache.
  std::filesystem::path dir = a.model;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) dir = engine::resolve_model(a.model).folder;

  engine::ChatTemplate tmpl = engine::ChatTemplate::from_folder(dir, a.name);
  if (!a.chat_template.empty()) {
    // --chat-template overrides the model's: "chatml" (built in) or a template file.
    engine::ChatTemplate override_tmpl = a.chat_template == "chatml"
                                             ? engine::ChatTemplate::chatml()
                                             : engine::ChatTemplate(read_text(a.chat_template));
    override_tmpl.set_special_tokens(tmpl.special_tokens());
    tmpl = std::move(override_tmpl);
  }

  nlohmann::ordered_json messages = read_json(a.messages, "messages");
  if (messages.is_object() && messages.contains("messages")) messages = messages["messages"];
  if (!messages.is_array())
    throw InvalidParameterError("--messages",
                                "the messages file must hold a JSON array of "
                                "{\"role\", \"content\"} objects (or {\"messages\": [...]})");
  engine::ChatTemplateOptions options;
  options.add_generation_prompt = a.add_generation_prompt;
  options.continue_final_message = a.continue_final_message;
  if (!a.tools.empty()) {
    options.tools = read_json(a.tools, "tools");
    if (options.tools.is_object() && options.tools.contains("tools"))
      options.tools = options.tools["tools"];
  }
  if (!a.kwargs.empty()) {
    try {
      options.extra = nlohmann::ordered_json::parse(a.kwargs);
    } catch (const nlohmann::json::exception& e) {
      throw InvalidParameterError("--kwargs",
                                  std::string("--kwargs must be a JSON object: ") + e.what());
    }
    if (!options.extra.is_object())
      throw InvalidParameterError(
          "--kwargs", "--kwargs must be a JSON object, e.g. '{\"enable_thinking\": false}'");
  }
  const std::string text = tmpl.apply(messages, options);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace

void add_template_command(CLI::App& app) {
  auto args = std::make_shared<TemplateArgs>();
  auto* cmd = app.add_subcommand(
      "template", "Render a model's chat template over a conversation and print the prompt");
  cmd->add_option("--model,-m", args->model,
                  "Model folder (tokenizer_config.json and/or chat_template.jinja) or hub id")
      ->required();
  cmd->add_option("--messages", args->messages,
                  "JSON file with the messages array ('-' reads stdin)")
      ->required();
  cmd->add_option("--tools", args->tools, "JSON file with an array of tool definitions");
  cmd->add_flag("--add-generation-prompt", args->add_generation_prompt,
                "End with the header that starts the assistant's reply");
  cmd->add_flag("--continue-final-message", args->continue_final_message,
                "Leave the last message open so generation continues it");
  cmd->add_option("--kwargs", args->kwargs,
                  "Extra template variables as a JSON object, e.g. '{\"enable_thinking\": false}'");
  cmd->add_option("--template-name", args->name,
                  "Named template from a tokenizer_config.json list (e.g. tool_use)");
  cmd->add_option("--chat-template", args->chat_template,
                  "Override the model's template: a .jinja file, or 'chatml'");
  cmd->callback([args] { run(*args); });
}

}  // namespace abstractllm::cli
