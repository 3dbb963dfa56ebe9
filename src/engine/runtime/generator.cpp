// The generation loop: validate → size the KV cache → chunked prefill → sample / stop / stream.
#include "engine/runtime/generator.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <string>

#include "abstractllm/errors.hpp"
#include "engine/runtime/stop_matcher.hpp"
#include "engine/tokenizer/tokenizer.hpp"

namespace abstractllm::engine {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::size_t peak_rss_bytes() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<std::size_t>(ru.ru_maxrss) * 1024;  // Linux reports KiB
}

void check_finite(const std::vector<float>& logits, int64_t position) {
  for (size_t i = 0; i < logits.size(); ++i) {
    if (!std::isfinite(logits[i])) {
      throw GenerationError("the forward pass produced a non-finite logit (" +
                            std::to_string(logits[i]) + " for token " + std::to_string(i) +
                            ") at position " + std::to_string(position) +
                            "; the weights or the quantization may be corrupt");
    }
  }
}

}  // namespace

struct Generator::State {
  model::KVCache cache;
};

Generator::Generator(std::shared_ptr<const LoadedModel> model)
    : model_(std::move(model)), state_(std::make_unique<State>()) {
  if (!model_) throw InvalidParameterError("model", "Generator: no model given");
}

Generator::~Generator() = default;

std::vector<float> Generator::forward_logits(std::span<const int32_t> tokens) {
  const model::Model& m = model_->model();
  if (tokens.empty()) throw InvalidParameterError("tokens", "forward_logits: no tokens given");
  state_->cache = m.make_cache(static_cast<int64_t>(tokens.size()));
  std::vector<float> logits(static_cast<size_t>(m.spec().vocab));
  model::SequenceChunk chunk{&state_->cache, tokens, logits.data()};
  m.forward({&chunk, 1}, model_->pool());
  return logits;
}

GenerationResult Generator::generate(std::span<const int32_t> prompt,
                                     const GenerationParams& params,
                                     const std::function<bool(const TokenEvent&)>& on_token) {
  const auto t0 = Clock::now();
  const model::Model& m = model_->model();
  const int64_t vocab = m.spec().vocab;

  // Validate everything before any work.
  if (prompt.empty()) throw InvalidParameterError("prompt", "the prompt has no tokens");
  if (params.max_tokens < 0) throw InvalidParameterError("max_tokens", "max_tokens must be >= 0");
  if (params.top_logprobs < 0 || params.top_logprobs > 100) {
    throw InvalidParameterError("top_logprobs", "top_logprobs must be in [0, 100]");
  }
  if (params.prefill_chunk <= 0) {
    throw InvalidParameterError("prefill_chunk", "prefill_chunk must be > 0");
  }
  for (int32_t t : prompt) {
    if (t < 0 || t >= vocab) {
      throw InvalidParameterError("prompt", "prompt token id " + std::to_string(t) +
                                                " is outside the vocabulary [0, " +
                                                std::to_string(vocab) + ")");
    }
  }
  if (!params.stop.empty() && !model_->has_tokenizer()) {
    throw InvalidParameterError("stop", "stop strings need a tokenizer; this model has none");
  }
  Sampler sampler(params.sampling, vocab);  // validates the sampling parameters
  const int64_t window = model_->context_window();
  const int64_t needed = static_cast<int64_t>(prompt.size()) + params.max_tokens;
  if (window > 0 && needed > window) {
    throw ContextWindowExceededError(
        needed, window,
        "prompt (" + std::to_string(prompt.size()) + " tokens) + max_tokens (" +
            std::to_string(params.max_tokens) + ") = " + std::to_string(needed) +
            " exceeds the model's context window of " + std::to_string(window) + " tokens");
  }

  GenerationResult result;
  result.prompt_tokens = static_cast<int64_t>(prompt.size());

  // KV cache sized to what this request can reach (grown when too small). Kept when of the
  // requested type, with the prefix this prompt shares with the tokens it holds.
  int64_t kept = 0;
  if (state_->cache.type() != params.kv_type || state_->cache.capacity() == 0) {
    state_->cache = model::KVCache();  // free the old one first
    state_->cache = m.make_cache(needed, params.kv_type);
  } else {
    kept = m.reusable_prefix(state_->cache, prompt);
    state_->cache.truncate(kept);
    state_->cache.grow(needed);
  }
  result.cached_prompt_tokens = kept;

  // Chunked prefill of the rest: bounded activation memory for long prompts; logits only for
  // the last chunk.
  std::vector<float> logits(static_cast<size_t>(vocab));
  for (size_t begin = static_cast<size_t>(kept); begin < prompt.size();
       begin += static_cast<size_t>(params.prefill_chunk)) {
    const size_t n = std::min(prompt.size() - begin, static_cast<size_t>(params.prefill_chunk));
    const bool last = begin + n == prompt.size();
    model::SequenceChunk chunk{&state_->cache, prompt.subspan(begin, n),
                               last ? logits.data() : nullptr};
    m.forward({&chunk, 1}, model_->pool());
  }
  check_finite(logits, result.prompt_tokens - 1);
  sampler.set_prompt(prompt);

  const std::vector<int32_t> eos = model_->eos_token_ids();
  auto is_eos = [&](int32_t id) { return std::binary_search(eos.begin(), eos.end(), id); };
  std::optional<StreamingDetokenizer> detok;
  if (model_->has_tokenizer()) detok.emplace(model_->tokenizer().streaming_detokenizer());
  StopMatcher stops(params.stop);
  const bool want_logprobs = params.logprobs || params.top_logprobs > 0;

  std::vector<float> work(logits.size());
  Clock::time_point t_first{};
  result.finish_reason = "length";
  for (int i = 0; i < params.max_tokens; ++i) {
    work = logits;
    const int32_t id = sampler.sample(work);
    if (i == 0) {
      t_first = Clock::now();
      result.time_to_first_token = std::chrono::duration<double>(t_first - t0).count();
      result.prefill_seconds = result.time_to_first_token;
    }
    TokenEvent ev;
    ev.id = id;
    if (want_logprobs) {
      ev.logprob = token_logprob(logits, id);
      ev.top_logprobs = top_logprobs(logits, params.top_logprobs);
    }
    if (!params.ignore_eos && is_eos(id)) {
      result.finish_reason = "stop";
      // Text held back as a possible stop-string prefix is released with the EOS event.
      ev.text = stops.push(detok ? detok->finish() : std::string());
      ev.text += stops.flush();
      if (!ev.text.empty()) {
        result.text += ev.text;
        if (on_token) on_token(ev);
      }
      break;
    }
    result.tokens.push_back(id);
    const bool at_limit = static_cast<int>(result.tokens.size()) == params.max_tokens;
    if (detok) {
      ev.text = stops.push(detok->add(id));
      if (at_limit && !stops.stopped()) {
        ev.text += stops.push(detok->finish());
        ev.text += stops.flush();
      }
    }
    result.text += ev.text;
    if (stops.stopped()) {
      result.finish_reason = "stop";
      if (on_token) on_token(ev);
      break;
    }
    if (on_token && !on_token(ev)) {
      result.finish_reason = "cancelled";
      break;
    }
    if (at_limit) break;

    const int32_t next = id;
    model::SequenceChunk chunk{&state_->cache, {&next, 1}, logits.data()};
    m.forward({&chunk, 1}, model_->pool());
    check_finite(logits, state_->cache.size() - 1);
  }

  result.completion_tokens = static_cast<int64_t>(result.tokens.size());
  if (result.prefill_seconds == 0) result.prefill_seconds = seconds_since(t0);
  const int64_t prefilled = result.prompt_tokens - result.cached_prompt_tokens;
  result.prefill_tps =
      result.prefill_seconds > 0 ? static_cast<double>(prefilled) / result.prefill_seconds : 0;
  if (t_first != Clock::time_point{}) {
    result.decode_seconds = seconds_since(t_first);
    // The first token came from the prefill; the decode rate counts the forwards after it.
    const int64_t decoded = std::max<int64_t>(0, result.completion_tokens - 1);
    result.decode_tps =
        result.decode_seconds > 0 ? static_cast<double>(decoded) / result.decode_seconds : 0;
  }
  result.peak_memory_bytes = peak_rss_bytes();
  return result;
}

}  // namespace abstractllm::engine
