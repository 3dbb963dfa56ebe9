// One sequence's generation: prefill (chunked), decode loop, sampling, stops, statistics.
//
// A Generator owns the sequence state (KV cache, sampler); it is not thread-safe itself, but
// many Generators may share one LoadedModel from different threads. Its KV cache outlives a
// generate() call: the next call keeps the prefix its prompt shares with the tokens the cache
// holds (the previous prompt and completion — a chat's history) and prefills only the rest.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/ops/attention.hpp"
#include "engine/runtime/loaded_model.hpp"
#include "engine/runtime/sampler.hpp"

namespace abstractllm::engine {

struct GenerationParams {
  SamplingParams sampling;
  int max_tokens = 256;
  std::vector<std::string> stop;  // stop strings, matched on decoded text, never emitted
  int top_logprobs = 0;           // K alternatives per token (needs logprobs or K > 0)
  bool logprobs = false;
  bool ignore_eos = false;
  int prefill_chunk = 512;  // prompt tokens per forward call during prefill
  // Element type of the KV cache: F16 halves its memory and what decoding reads from it at long
  // contexts (keys and values rounded to half precision).
  ops::KVType kv_type = ops::KVType::F32;
};

struct TokenEvent {
  int32_t id = 0;
  // The new complete UTF-8 text this token releases (may be empty: a partial character, or
  // text held back as a possible stop-string prefix). Never contains EOS text or a stop string.
  std::string text;
  float logprob = 0;  // log-softmax of the unmodified logits (see sampler.hpp)
  std::vector<std::pair<int32_t, float>> top_logprobs;
};

struct GenerationResult {
  std::vector<int32_t> tokens;  // generated ids (the EOS id that ended it is not included)
  std::string text;
  std::string finish_reason;  // "stop" | "length" | "cancelled"
  int64_t prompt_tokens = 0;
  int64_t cached_prompt_tokens = 0;  // of prompt_tokens, those whose KV the cache kept (not prefilled)
  int64_t completion_tokens = 0;
  double time_to_first_token = 0;  // seconds from generate() to the first sampled token
  double prefill_seconds = 0;
  double decode_seconds = 0;
  double prefill_tps = 0;
  double decode_tps = 0;
  std::size_t peak_memory_bytes = 0;  // process peak RSS (getrusage)
};

class Generator {
 public:
  explicit Generator(std::shared_ptr<const LoadedModel> model);
  ~Generator();
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  // Runs prompt → completion. on_token returns false to cancel (finish_reason "cancelled").
  // Throws ContextWindowExceededError if prompt + max_tokens exceeds the context window,
  // InvalidParameterError for bad parameters, GenerationError on NaN/inf logits.
  GenerationResult generate(std::span<const int32_t> prompt, const GenerationParams& params,
                            const std::function<bool(const TokenEvent&)>& on_token = {});

  // Logits of the last position after feeding `tokens` from an empty cache (tests/conformance).
  std::vector<float> forward_logits(std::span<const int32_t> tokens);

  const std::shared_ptr<const LoadedModel>& model() const { return model_; }

 private:
  struct State;
  std::shared_ptr<const LoadedModel> model_;
  std::unique_ptr<State> state_;
};

}  // namespace abstractllm::engine
