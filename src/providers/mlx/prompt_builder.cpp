#include "providers/mlx/prompt_builder.hpp"

#include "abstractllm/errors.hpp"
#include "abstractllm/media.hpp"
#include "engine/chat/chat_template.hpp"

namespace abstractllm::mlx {

std::string append_files(const std::string& prompt, const GenerateOptions& options) {
  std::string out = prompt;
  bool has_image = false;
  for (const auto& path : options.files) {
    MediaInput media = MediaFactory::from_source(path);  // throws FileProcessingError
    if (media.kind == MediaKind::Image) {
      has_image = true;
      continue;
    }
    out += "\n\nFile content from " + path.string() + ":\n" + media.text;
  }
  if (has_image)
    throw UnsupportedFeatureError("vision",
                                  "an image was given but the mlx provider supports no vision "
                                  "model yet; pass text or tabular files only",
                                  "mlx");
  return out;
}

nlohmann::ordered_json build_messages(const std::string& prompt_with_files,
                                      const GenerateOptions& options, const Config& parameters) {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  std::optional<std::string> system = options.system_prompt;
  if (!system) system = parameters.get_string(ModelParameter::SYSTEM_PROMPT);
  const bool history_has_system = !options.messages.empty() && options.messages.front().role == "system";
  if (system && !system->empty() && !history_has_system)
    messages.push_back({{"role", "system"}, {"content", *system}});
  for (const auto& m : options.messages) {
    if (m.role.empty())
      throw InvalidRequestError("every message needs a role (system, user, assistant or tool)", "mlx");
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    j["role"] = m.role;
    j["content"] = m.content;
    if (m.extra.is_object())
      for (const auto& [k, v] : m.extra.items()) j[k] = v;
    messages.push_back(std::move(j));
  }
  if (!prompt_with_files.empty()) messages.push_back({{"role", "user"}, {"content", prompt_with_files}});
  if (messages.empty())
    throw InvalidRequestError("nothing to generate from: the prompt and the messages are empty", "mlx");
  return messages;
}

std::string render_prompt(const engine::ChatTemplate& chat_template, const GenerateRequest& request) {
  const GenerateOptions& options = request.options;
  const std::string prompt = append_files(request.prompt, options);
  if (options.raw) {
    if (!options.messages.empty())
      throw InvalidRequestError("raw completion takes a prompt, not a list of messages", "mlx");
    std::optional<std::string> system = options.system_prompt;
    if (!system) system = request.parameters.get_string(ModelParameter::SYSTEM_PROMPT);
    return system && !system->empty() ? *system + "\n\n" + prompt : prompt;
  }
  engine::ChatTemplateOptions t;
  t.add_generation_prompt = true;
  if (options.template_kwargs.is_object())
    for (const auto& [k, v] : options.template_kwargs.items()) t.extra[k] = v;
  return chat_template.apply(build_messages(prompt, options, request.parameters), t);
}

}  // namespace abstractllm::mlx
