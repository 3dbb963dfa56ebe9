// A provider that exists only in tests: it "generates" the words of its prompt back, one word
// per token, so the streaming / async / cancellation plumbing of LLM can be tested exactly.
// Parameters: max_tokens (limit), "echo_delay_ms" (sleep per token), "echo_prefix".
#pragma once

#include <chrono>
#include <sstream>
#include <thread>

#include "abstractllm/llm.hpp"

namespace abstractllm::test {

class EchoProvider : public LLM {
 public:
  explicit EchoProvider(const Config& config)
      : LLM(config, Config{{ModelParameter::TEMPERATURE, 0.7}, {ModelParameter::MAX_TOKENS, 100}},
            {{"echo_delay_ms", ValueType::Integer, "sleep per token"},
             {"echo_prefix", ValueType::String, "prefix of each word"}}) {}

  Capabilities get_capabilities() const override {
    Capabilities c;
    c.set(ModelCapability::STREAMING, true);
    c.set(ModelCapability::MAX_TOKENS, config().get_or(ModelParameter::MAX_TOKENS, int64_t{100}));
    return c;
  }
  std::string provider_name() const override { return "test-echo"; }

 protected:
  GenerateResponse generate_impl(const GenerateRequest& req, const ChunkCallback& on_chunk) override {
    GenerateResponse r;
    r.model = "echo";
    std::istringstream words(req.prompt);
    std::vector<std::string> toks;
    for (std::string w; words >> w;) toks.push_back(w);
    const int64_t max_tokens = req.parameters.get_or(ModelParameter::MAX_TOKENS, int64_t{100});
    const int64_t delay = req.parameters.get_or("echo_delay_ms", int64_t{0});
    const std::string prefix = req.parameters.get_or("echo_prefix", "");
    r.finish_reason = "stop";
    for (size_t i = 0; i < toks.size(); ++i) {
      if (req.options.cancel.is_cancelled()) {
        r.finish_reason = "cancelled";
        break;
      }
      if (static_cast<int64_t>(i) >= max_tokens) {
        r.finish_reason = "length";
        break;
      }
      if (delay) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
      StreamChunk c;
      c.delta = (i ? " " : "") + prefix + toks[i];
      c.token_ids = {static_cast<int32_t>(i)};
      r.content += c.delta;
      r.token_ids.push_back(static_cast<int32_t>(i));
      if (on_chunk) on_chunk(c);
    }
    r.usage.prompt_tokens = static_cast<int64_t>(toks.size());
    r.usage.completion_tokens = static_cast<int64_t>(r.token_ids.size());
    r.usage.total_tokens = r.usage.prompt_tokens + r.usage.completion_tokens;
    if (on_chunk) {
      StreamChunk last;
      last.finish_reason = r.finish_reason;
      last.usage = r.usage;
      last.timing = r.timing;
      on_chunk(last);
    }
    return r;
  }
};

}  // namespace abstractllm::test
