// Turns a request (system prompt, history, prompt, files) into the exact text the model sees.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "abstractllm/llm.hpp"

namespace abstractllm::engine {
class ChatTemplate;
}

namespace abstractllm::mlx {

// The prompt with each text/tabular file appended as "\n\nFile content from NAME:\n…" (the
// seed's format). Throws FileProcessingError for an unreadable file and
// UnsupportedFeatureError("vision") when a file is an image (no vision model is supported).
std::string append_files(const std::string& prompt, const GenerateOptions& options);

// The conversation as chat-template messages: system prompt (per call, else the configured
// SYSTEM_PROMPT) first, then the history, then the prompt as the last user turn (when non-empty).
nlohmann::ordered_json build_messages(const std::string& prompt_with_files,
                                      const GenerateOptions& options, const Config& parameters);

// The text to tokenize. Chat mode renders the model's chat template with a generation prompt;
// raw mode is plain completion: "system\n\nprompt" (no template, no history).
std::string render_prompt(const engine::ChatTemplate& chat_template, const GenerateRequest& request);

}  // namespace abstractllm::mlx
