#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "abstractllm/errors.hpp"
#include "engine/runtime/generator.hpp"
#include "tiny_model.hpp"

namespace fs = std::filesystem;
using abstractllm::engine::GenerationParams;
using abstractllm::engine::Generator;
using abstractllm::engine::LoadedModel;
using abstractllm::engine::LoadOptions;
using abstractllm::engine::TokenEvent;
using abstractllm::engine::testing::make_tiny_model;

namespace {

std::shared_ptr<LoadedModel> tiny(int64_t max_pos = 128, float poison = 0) {
  LoadOptions o;
  o.threads = 2;
  return LoadedModel::from_parts(make_tiny_model(64, max_pos, 7, poison), nullptr, nullptr, o);
}

const std::vector<int32_t> kPrompt = {1, 5, 9, 17, 33, 2, 40};

TEST(Generator, GreedyIsDeterministicAndReportsCounts) {
  auto m = tiny();
  GenerationParams p;
  p.max_tokens = 12;
  p.ignore_eos = true;
  Generator g1(m), g2(m);
  auto a = g1.generate(kPrompt, p);
  auto b = g2.generate(kPrompt, p);
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_EQ(a.tokens.size(), 12u);
  EXPECT_EQ(a.finish_reason, "length");
  EXPECT_EQ(a.prompt_tokens, 7);
  EXPECT_EQ(a.completion_tokens, 12);
  EXPECT_GT(a.peak_memory_bytes, 0u);
  EXPECT_GE(a.decode_seconds, 0);
  // A generator can be reused: the second run starts from a clean cache.
  auto c = g1.generate(kPrompt, p);
  EXPECT_EQ(a.tokens, c.tokens);
}

TEST(Generator, ChunkedPrefillGivesTheSameTokensAsOneShot) {
  auto m = tiny();
  GenerationParams p;
  p.max_tokens = 8;
  p.ignore_eos = true;
  Generator g(m);
  auto whole = g.generate(kPrompt, p);
  p.prefill_chunk = 2;
  auto chunked = g.generate(kPrompt, p);
  EXPECT_EQ(whole.tokens, chunked.tokens);
}

TEST(Generator, GreedyTokensMatchArgmaxOfForwardLogits) {
  auto m = tiny();
  GenerationParams p;
  p.max_tokens = 5;
  p.ignore_eos = true;
  Generator g(m);
  auto r = g.generate(kPrompt, p);
  std::vector<int32_t> seq = kPrompt;
  for (int32_t tok : r.tokens) {
    auto logits = g.forward_logits(seq);
    const auto best = std::max_element(logits.begin(), logits.end()) - logits.begin();
    EXPECT_EQ(tok, best);
    seq.push_back(tok);
  }
}

TEST(Generator, SeededSamplingIsReproducible) {
  auto m = tiny();
  GenerationParams p;
  p.max_tokens = 16;
  p.ignore_eos = true;
  p.sampling.temperature = 1.5f;
  p.sampling.seed = 99;
  Generator g(m);
  auto a = g.generate(kPrompt, p);
  auto b = g.generate(kPrompt, p);
  EXPECT_EQ(a.tokens, b.tokens);
  p.sampling.seed = 100;
  auto c = g.generate(kPrompt, p);
  EXPECT_NE(a.tokens, c.tokens);
}

TEST(Generator, CallbackSeesEveryTokenWithLogprobsAndCanCancel) {
  auto m = tiny();
  GenerationParams p;
  p.max_tokens = 10;
  p.ignore_eos = true;
  p.logprobs = true;
  p.top_logprobs = 3;
  Generator g(m);
  std::vector<TokenEvent> events;
  auto r = g.generate(kPrompt, p, [&](const TokenEvent& e) {
    events.push_back(e);
    return events.size() < 4;
  });
  EXPECT_EQ(r.finish_reason, "cancelled");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(r.tokens.size(), 4u);
  for (const auto& e : events) {
    EXPECT_LE(e.logprob, 0.0f);
    ASSERT_EQ(e.top_logprobs.size(), 3u);
    // Greedy: the chosen token is the most likely one.
    EXPECT_EQ(e.top_logprobs[0].first, e.id);
    EXPECT_FLOAT_EQ(e.top_logprobs[0].second, e.logprob);
    EXPECT_GE(e.top_logprobs[0].second, e.top_logprobs[1].second);
  }
}

std::shared_ptr<LoadedModel> fixture(const std::string& name) {
  LoadOptions o;
  o.allow_missing_tokenizer = true;
  o.threads = 2;
  return LoadedModel::load(
      fs::path(ABSTRACTLLM_FIXTURES_DIR) / "model" / "reference_models" / name, o);
}

TEST(Generator, StopsAtEosWithoutReportingIt) {
  auto m = fixture("llama-bf16");  // config.json: eos_token_id 2
  ASSERT_EQ(m->eos_token_ids(), std::vector<int32_t>{2});
  GenerationParams p;
  p.max_tokens = 5;
  p.sampling.logit_bias = {{2, 1000.0f}};  // force EOS
  Generator g(m);
  int events = 0;
  auto r = g.generate(kPrompt, p, [&](const TokenEvent&) { return ++events > 0; });
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_TRUE(r.tokens.empty());
  EXPECT_EQ(events, 0);
  p.ignore_eos = true;
  r = g.generate(kPrompt, p);
  EXPECT_EQ(r.finish_reason, "length");
  EXPECT_EQ(r.tokens, std::vector<int32_t>(5, 2));
}

TEST(Generator, ContextWindowIsEnforcedBeforeAnyWork) {
  auto m = tiny(/*max_pos=*/16);
  GenerationParams p;
  p.max_tokens = 10;  // 7 + 10 > 16
  Generator g(m);
  try {
    g.generate(kPrompt, p);
    FAIL() << "expected ContextWindowExceededError";
  } catch (const abstractllm::ContextWindowExceededError& e) {
    EXPECT_EQ(e.requested_tokens(), 17);
    EXPECT_EQ(e.context_window(), 16);
  }
  p.max_tokens = 9;  // exactly the window
  EXPECT_EQ(g.generate(kPrompt, p).completion_tokens, 9);
}

TEST(Generator, BadInputsAreInvalidParameters) {
  auto m = tiny();
  Generator g(m);
  GenerationParams p;
  EXPECT_THROW(g.generate(std::vector<int32_t>{}, p), abstractllm::InvalidParameterError);
  EXPECT_THROW(g.generate(std::vector<int32_t>{1, 64}, p), abstractllm::InvalidParameterError);
  p.sampling.top_p = 2;
  EXPECT_THROW(g.generate(kPrompt, p), abstractllm::InvalidParameterError);
  p = {};
  p.stop = {"x"};  // no tokenizer → stop strings cannot be matched
  EXPECT_THROW(g.generate(kPrompt, p), abstractllm::InvalidParameterError);
}

TEST(Generator, NonFiniteLogitsAreAGenerationError) {
  auto m = tiny(128, /*poison=*/NAN);
  Generator g(m);
  GenerationParams p;
  p.max_tokens = 3;
  EXPECT_THROW(g.generate(kPrompt, p), abstractllm::GenerationError);
}

// End to end through LoadedModel::load on a transformers reference fixture: the Generator's
// greedy continuation (with chunked prefill) is transformers' continuation.
TEST(Generator, ReproducesTransformersGreedyContinuation) {
  const fs::path dir =
      fs::path(ABSTRACTLLM_FIXTURES_DIR) / "model" / "reference_models" / "qwen3-bf16";
  auto m = fixture("qwen3-bf16");
  EXPECT_FALSE(m->has_tokenizer());
  EXPECT_EQ(m->context_window(), 256);
  EXPECT_EQ(m->eos_token_ids(), std::vector<int32_t>{2});
  EXPECT_GT(m->weight_bytes(), 0u);
  std::ifstream in(dir / "reference.json");
  const auto ref = nlohmann::json::parse(in);
  const auto& pr = ref["prompts"][2];
  const auto prompt = pr["prompt"].get<std::vector<int32_t>>();
  std::vector<int32_t> expect;
  for (const auto& s : pr["steps"]) expect.push_back(s["token"].get<int32_t>());
  GenerationParams p;
  p.max_tokens = static_cast<int>(expect.size());
  p.prefill_chunk = 16;
  p.ignore_eos = true;
  Generator g(m);
  auto r = g.generate(prompt, p);
  EXPECT_EQ(r.tokens, expect);
  // With a half-precision KV cache too (the same Generator: its cache is remade in the new
  // type), and back to float.
  p.kv_type = abstractllm::engine::ops::KVType::F16;
  EXPECT_EQ(g.generate(prompt, p).tokens, expect);
  p.kv_type = abstractllm::engine::ops::KVType::F32;
  EXPECT_EQ(g.generate(prompt, p).tokens, expect);
}

}  // namespace

namespace {

std::vector<int32_t> concat(std::vector<int32_t> a, const std::vector<int32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<int32_t> iota_tokens(int n, int32_t first) {
  std::vector<int32_t> t;
  for (int i = 0; i < n; ++i) t.push_back((first + 7 * i) % 250 + 3);
  return t;
}

}  // namespace

// The KV cache outlives a call: a prompt that extends the previous prompt and completion (a
// chat's next turn) prefills only what is new, and generates what a fresh Generator does.
TEST(Generator, NextTurnReusesTheCachedPrefix) {
  for (const char* name : {"qwen3-bf16", "phi3-bf16", "gemma2-q4g64"}) {
    SCOPED_TRACE(name);
    auto m = fixture(name);
    GenerationParams p;
    p.max_tokens = 8;
    p.ignore_eos = true;
    p.sampling.temperature = 0;
    Generator g(m);
    const std::vector<int32_t> prompt = iota_tokens(9, 5);
    const auto first = g.generate(prompt, p);
    EXPECT_EQ(first.cached_prompt_tokens, 0);
    const auto next = concat(concat(prompt, first.tokens), {31, 37, 41});
    const auto second = g.generate(next, p);
    // The cache held the prompt and all but the last generated token (never fed back).
    EXPECT_EQ(second.cached_prompt_tokens,
              static_cast<int64_t>(prompt.size() + first.tokens.size()) - 1);
    Generator fresh(m);
    const auto expect = fresh.generate(next, p);
    EXPECT_EQ(expect.cached_prompt_tokens, 0);
    EXPECT_EQ(second.tokens, expect.tokens);
    // The same prompt again: all but its last token kept.
    const auto again = g.generate(next, p);
    EXPECT_EQ(again.cached_prompt_tokens, static_cast<int64_t>(next.size()) - 1);
    EXPECT_EQ(again.tokens, expect.tokens);
    // A prompt that diverges after three tokens keeps three.
    EXPECT_EQ(g.generate(std::vector<int32_t>{prompt[0], prompt[1], prompt[2], 99, 98}, p)
                  .cached_prompt_tokens,
              3);
  }
}

// longrope (phi3, original context 64): a cache that went past 64 positions holds keys made
// with the long factors; a prompt within 64 must not reuse them, one past 64 may.
TEST(Generator, LongRopeReusesOnlyOnTheSameSideOfTheOriginalContext) {
  auto m = fixture("phi3-bf16");
  GenerationParams p;
  p.max_tokens = 4;
  p.ignore_eos = true;
  p.sampling.temperature = 0;
  const std::vector<int32_t> long_prompt = iota_tokens(70, 11);
  Generator g(m);
  g.generate(long_prompt, p);
  const std::vector<int32_t> short_prompt(long_prompt.begin(), long_prompt.begin() + 40);
  const auto s = g.generate(short_prompt, p);
  EXPECT_EQ(s.cached_prompt_tokens, 0);
  Generator fresh(m);
  EXPECT_EQ(s.tokens, fresh.generate(short_prompt, p).tokens);
  // Now the cache is short (40 + 3 positions); a long prompt sharing its start reuses them
  // and the forward replays the sequence when it crosses 64, as without reuse.
  const auto l = g.generate(concat(short_prompt, iota_tokens(30, 2)), p);
  EXPECT_EQ(l.cached_prompt_tokens, 40);
  Generator fresh2(m);
  EXPECT_EQ(l.tokens, fresh2.generate(concat(short_prompt, iota_tokens(30, 2)), p).tokens);
  // And from that long cache, a long prompt sharing 50 tokens reuses them.
  const auto l2 = g.generate(concat(std::vector<int32_t>(long_prompt.begin(), long_prompt.begin() + 40),
                                    concat(iota_tokens(30, 2), {5, 6, 7})),
                             p);
  EXPECT_GT(l2.cached_prompt_tokens, 64);
}
