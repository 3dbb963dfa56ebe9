// Fuzzes the Jinja lexer, parser and evaluator: the input up to the first NUL byte is the
// template; what follows the NUL, if it parses as a JSON object, is the context (else a fixed
// chat context with tools is used). Any outcome but a render or a TemplateError is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "abstractllm/errors.hpp"
#include "engine/chat/template.hpp"

namespace {

const nlohmann::ordered_json& default_context() {
  static const nlohmann::ordered_json ctx = nlohmann::ordered_json::parse(R"({
    "messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "user", "content": [{"type": "text", "text": "hi"}]},
      {"role": "assistant", "content": null, "tool_calls": [{"id": "abc123xyz", "type": "function",
        "function": {"name": "f", "arguments": {"a": 1, "b": [true, null, 2.5]}}}]},
      {"role": "tool", "tool_call_id": "abc123xyz", "content": "{\"ok\": 1}"}
    ],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
    "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>"
  })");
  return ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  std::string source = input;
  nlohmann::ordered_json context = default_context();
  if (auto nul = input.find('\0'); nul != std::string::npos && size - nul < 4096) {
    source = input.substr(0, nul);
    auto parsed = nlohmann::ordered_json::parse(input.substr(nul + 1), nullptr, false);
    if (!parsed.is_discarded() && parsed.is_object()) context = std::move(parsed);
  }
  abstractllm::engine::jinja::TemplateOptions options;
  options.limits.max_output_bytes = 1 << 20;
  options.limits.max_loop_iterations = 100000;
  options.limits.max_recursion_depth = 64;
  options.now = [] { return 0LL; };
  try {
    abstractllm::engine::jinja::Template t(source, options);
    (void)t.render(context);
  } catch (const abstractllm::TemplateError&) {
  }
  return 0;
}
