// Values that flow through the API: messages in, responses and stream chunks out.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "abstractllm/config.hpp"
#include "abstractllm/enums.hpp"

namespace abstractllm {

struct Usage {
  int64_t prompt_tokens = 0;
  // Of prompt_tokens, those whose keys and values the provider kept from the previous request
  // (the prefix they share) instead of processing them again (OpenAI's cached_tokens).
  int64_t cached_prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t total_tokens = 0;
};

// Real clocks and counters of one generation.
struct Timing {
  double time_to_first_token = 0;  // seconds from the call to the first generated token
  double prompt_tps = 0;           // prompt tokens per second (prefill)
  double generation_tps = 0;       // generated tokens per second (decode)
  std::size_t peak_memory_bytes = 0;  // peak resident memory of the process
  double total_seconds = 0;
};

// The log-probability of a generated token and, when asked, of the K most likely alternatives.
struct TokenLogprob {
  int32_t token = 0;
  std::string text;
  double logprob = 0;
  std::vector<std::pair<int32_t, double>> top_logprobs;
};

struct ToolCall {
  std::string id;
  std::string name;
  nlohmann::json arguments;
};

// One message of a conversation. `content` is a string or a list of parts
// ([{"type": "text", "text": "..."}]); `extra` carries any other fields the chat template reads
// (tool_calls, tool_call_id, name, …).
struct Message {
  std::string role;
  nlohmann::json content;
  nlohmann::json extra = nlohmann::json::object();

  static Message system(std::string text) { return {"system", std::move(text)}; }
  static Message user(std::string text) { return {"user", std::move(text)}; }
  static Message assistant(std::string text) { return {"assistant", std::move(text)}; }
  nlohmann::json to_json() const;
};

struct GenerateResponse {
  std::string content;        // the generated text (never includes EOS text or a stop string)
  std::string model;          // the model as configured
  std::string finish_reason;  // "stop" (EOS or stop string), "length" (max_tokens), "cancelled"
  Usage usage;
  Timing timing;
  std::vector<ToolCall> tool_calls;                  // empty until tool calling exists
  std::optional<std::vector<TokenLogprob>> logprobs;  // when asked for
  std::vector<int32_t> prompt_token_ids;
  std::vector<int32_t> token_ids;  // the generated tokens
};

// A piece of a streamed response: a text delta (possibly empty, e.g. while a multi-byte
// character or a possible stop string is held back). The last chunk has finish_reason set and
// carries usage and timing.
struct StreamChunk {
  std::string delta;
  std::vector<int32_t> token_ids;
  std::vector<TokenLogprob> logprobs;
  std::string finish_reason;
  std::optional<Usage> usage;
  std::optional<Timing> timing;
  bool is_final() const noexcept { return !finish_reason.empty(); }
};

// Cooperative cancellation: copies share one flag. A generation checks it between tokens and
// finishes with finish_reason "cancelled".
class CancellationToken {
 public:
  CancellationToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}
  void cancel() const noexcept { flag_->store(true); }
  bool is_cancelled() const noexcept { return flag_->load(); }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

// Everything about one request besides the prompt text.
struct GenerateOptions {
  std::optional<std::string> system_prompt;
  std::vector<std::filesystem::path> files;  // text/tabular appended to the prompt; images need vision
  nlohmann::json tools = nullptr;            // tool definitions (JSON schema), or null
  std::vector<Message> messages;             // earlier turns; the prompt (if non-empty) is the last user turn
  Config parameters;                         // per-call overrides of the provider's config
  bool raw = false;                          // plain completion: no chat template
  std::optional<int> top_logprobs;           // return logprobs with this many alternatives (0 = chosen only)
  nlohmann::json template_kwargs = nlohmann::json::object();  // extra chat-template variables
  CancellationToken cancel;
};

// What a provider reports it can do; values are bools or numbers (MAX_TOKENS, CONTEXT_WINDOW).
class Capabilities {
 public:
  void set(ModelCapability c, Value v) { values_[c] = std::move(v); }
  const Value& get(ModelCapability c) const;
  // true for a true bool or a positive number.
  bool supports(ModelCapability c) const;
  const std::map<ModelCapability, Value>& all() const noexcept { return values_; }
  nlohmann::json to_json() const;  // {"streaming": true, "max_tokens": 4096, …}

 private:
  std::map<ModelCapability, Value> values_;
};

}  // namespace abstractllm
