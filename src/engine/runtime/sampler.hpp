// Token sampling with mlx-lm / llama.cpp semantics.
//
// Order in which a step's logits are transformed (documented contract, tested):
//   1. logit_bias            logits[id] += bias
//   2. repetition_penalty    over the last `repetition_context_size` tokens of (prompt + output):
//                            positive logits divided by the penalty, negative ones multiplied
//                            (CTRL / mlx-lm / llama.cpp rule); each id penalised once
//   3. presence / frequency  logits[id] -= presence * [count > 0] + frequency * count, counts over
//                            the generated tokens only (OpenAI semantics)
//   4. temperature           0 → greedy argmax (steps 5–7 skipped); else logits / temperature
//   5. top_k                 keep the k largest (0 = off)
//   6. top_p                 keep the smallest set whose probability mass reaches top_p (1 = off)
//   7. min_p                 drop tokens whose probability < min_p × max probability (0 = off)
//   8. sample                from the renormalised distribution with a seeded std::mt19937_64
//                            (same seed + same inputs → same output; no seed → random_device)
// Log-probabilities reported to callers are the log-softmax of the model's *unmodified* logits
// (before bias, penalties and temperature), as mlx-lm's `logprobs` field is.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

namespace abstractllm::engine {

struct SamplingParams {
  float temperature = 0;  // 0 = greedy
  float top_p = 1;        // (0, 1]; 1 = off
  int top_k = 0;          // 0 = off
  float min_p = 0;        // [0, 1]; 0 = off
  float repetition_penalty = 1;  // 1 = off; must be > 0
  int repetition_context_size = 20;
  float presence_penalty = 0;
  float frequency_penalty = 0;
  std::unordered_map<int32_t, float> logit_bias;
  std::optional<uint64_t> seed;
};

// Throws InvalidParameterError naming the parameter when a value is out of range.
void validate(const SamplingParams& params, int64_t vocab_size);

// Per-sequence sampler state: the RNG and the token history the penalties look at.
class Sampler {
 public:
  Sampler(SamplingParams params, int64_t vocab_size);

  // The prompt (for the repetition-penalty window); call once before the first sample().
  void set_prompt(std::span<const int32_t> prompt);
  // Choose the next token from `logits` (vocab_size values, modified in place as scratch) and
  // record it in the history.
  int32_t sample(std::span<float> logits);

  const SamplingParams& params() const noexcept { return params_; }

 private:
  void apply_penalties(std::span<float> logits) const;

  SamplingParams params_;
  int64_t vocab_size_;
  std::mt19937_64 rng_;
  std::vector<int32_t> history_;  // prompt + generated
  std::unordered_map<int32_t, int> generated_counts_;
  std::vector<std::pair<float, int32_t>> scratch_;
};

// log-softmax of `logits` at `id` (numerically stable, in double).
float token_logprob(std::span<const float> logits, int32_t id);
// The k most likely tokens as (id, logprob), most likely first (ties: lower id first).
std::vector<std::pair<int32_t, float>> top_logprobs(std::span<const float> logits, int k);

}  // namespace abstractllm::engine
