#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

#include "abstractllm/errors.hpp"
#include "engine/runtime/sampler.hpp"

using abstractllm::InvalidParameterError;
using abstractllm::engine::Sampler;
using abstractllm::engine::SamplingParams;

namespace {

std::vector<float> logits5() { return {1.0f, 3.0f, 2.0f, -1.0f, 0.5f}; }

int32_t sample_once(const SamplingParams& p, std::vector<float> logits,
                    std::vector<int32_t> prompt = {}) {
  Sampler s(p, static_cast<int64_t>(logits.size()));
  s.set_prompt(prompt);
  return s.sample(logits);
}

TEST(Sampler, GreedyAtTemperatureZeroTakesTheArgmaxLowestIdOnTies) {
  SamplingParams p;
  EXPECT_EQ(sample_once(p, logits5()), 1);
  EXPECT_EQ(sample_once(p, {2.0f, 5.0f, 5.0f}), 1);
}

TEST(Sampler, LogitBiasIsAppliedFirst) {
  SamplingParams p;
  p.logit_bias = {{3, 10.0f}};
  EXPECT_EQ(sample_once(p, logits5()), 3);
  p.logit_bias = {{1, -INFINITY}};
  EXPECT_EQ(sample_once(p, logits5()), 2);
}

TEST(Sampler, RepetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsInTheWindow) {
  SamplingParams p;
  p.repetition_penalty = 2.0f;
  // Token 1 (logit 3) seen in the window → 1.5 < 2 (token 2) → greedy picks 2.
  EXPECT_EQ(sample_once(p, logits5(), {1}), 2);
  // Outside the window (size 1: only the last token counts) → no penalty on token 1.
  p.repetition_context_size = 1;
  EXPECT_EQ(sample_once(p, logits5(), {1, 4}), 1);
  // Negative logits are multiplied: token 3 becomes less likely, never more.
  p.repetition_context_size = 20;
  Sampler s(p, 5);
  s.set_prompt(std::vector<int32_t>{3});
  std::vector<float> l = {-1.0f, -1.5f, -3.0f, -1.2f, -4.0f};
  EXPECT_EQ(s.sample(l), 0);
  EXPECT_FLOAT_EQ(l[3], -2.4f);
}

TEST(Sampler, PresenceAndFrequencyPenaltiesCountGeneratedTokensOnly) {
  SamplingParams p;
  p.presence_penalty = 0.6f;
  p.frequency_penalty = 0.3f;
  Sampler s(p, 3);
  s.set_prompt(std::vector<int32_t>{0, 0, 0});  // the prompt is not penalised
  std::vector<float> l = {2.0f, 1.9f, 0.0f};
  EXPECT_EQ(s.sample(l), 0);  // generated: {0: 1}
  l = {2.0f, 1.9f, 0.0f};
  EXPECT_EQ(s.sample(l), 1);  // 0 → 2 - 0.6 - 0.3 = 1.1
  EXPECT_FLOAT_EQ(l[0], 1.1f);
}

TEST(Sampler, SameSeedSameSequenceDifferentSeedDifferentSequence) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.seed = 42;
  std::vector<float> base(50);
  for (size_t i = 0; i < base.size(); ++i) base[i] = std::sin(static_cast<float>(i));
  auto run = [&](uint64_t seed) {
    p.seed = seed;
    Sampler s(p, 50);
    s.set_prompt({});
    std::vector<int32_t> out;
    for (int i = 0; i < 40; ++i) {
      auto l = base;
      out.push_back(s.sample(l));
    }
    return out;
  };
  EXPECT_EQ(run(42), run(42));
  EXPECT_NE(run(42), run(43));
}

TEST(Sampler, TopKOneIsGreedy) {
  SamplingParams p;
  p.temperature = 5.0f;
  p.top_k = 1;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    p.seed = seed;
    EXPECT_EQ(sample_once(p, logits5()), 1);
  }
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingTheMass) {
  // Probabilities ≈ {0.665, 0.245, 0.090}: top_p 0.6 keeps only the first.
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_p = 0.6f;
  for (uint64_t seed = 0; seed < 30; ++seed) {
    p.seed = seed;
    EXPECT_EQ(sample_once(p, {2.0f, 1.0f, 0.0f}), 0);
  }
  // top_p 0.8 keeps two tokens: both appear, the third never.
  p.top_p = 0.8f;
  std::map<int32_t, int> seen;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    p.seed = seed;
    ++seen[sample_once(p, {2.0f, 1.0f, 0.0f})];
  }
  EXPECT_GT(seen[0], 0);
  EXPECT_GT(seen[1], 0);
  EXPECT_EQ(seen.count(2), 0u);
}

TEST(Sampler, MinPDropsTokensBelowTheFractionOfTheBest) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.min_p = 0.3f;  // keeps p >= 0.3 · 0.665: tokens 0 and 1 (0.245), not 2 (0.090)
  std::map<int32_t, int> seen;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    p.seed = seed;
    ++seen[sample_once(p, {2.0f, 1.0f, 0.0f})];
  }
  EXPECT_GT(seen[1], 0);
  EXPECT_EQ(seen.count(2), 0u);
}

TEST(Sampler, SamplingFrequenciesFollowTheSoftmax) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.seed = 1;
  Sampler s(p, 2);
  s.set_prompt({});
  int ones = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    std::vector<float> l = {0.0f, std::log(3.0f)};  // P(1) = 0.75
    ones += s.sample(l) == 1;
  }
  EXPECT_NEAR(static_cast<double>(ones) / n, 0.75, 0.03);
}

TEST(Sampler, InvalidParametersNameTheParameter) {
  auto expect_param = [](SamplingParams p, const std::string& name) {
    try {
      Sampler s(p, 5);
      FAIL() << "expected InvalidParameterError for " << name;
    } catch (const InvalidParameterError& e) {
      EXPECT_EQ(e.parameter(), name);
    }
  };
  SamplingParams p;
  p.temperature = -1;
  expect_param(p, "temperature");
  p = {};
  p.top_p = 0;
  expect_param(p, "top_p");
  p = {};
  p.top_k = -2;
  expect_param(p, "top_k");
  p = {};
  p.min_p = 1.5f;
  expect_param(p, "min_p");
  p = {};
  p.repetition_penalty = 0;
  expect_param(p, "repetition_penalty");
  p = {};
  p.logit_bias = {{99, 1.0f}};
  expect_param(p, "logit_bias");
}

TEST(Logprobs, LogSoftmaxOfTheChosenAndTopK) {
  const std::vector<float> l = {0.0f, std::log(3.0f)};
  EXPECT_NEAR(abstractllm::engine::token_logprob(l, 1), std::log(0.75), 1e-6);
  const auto top = abstractllm::engine::top_logprobs(logits5(), 3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].first, 1);
  EXPECT_EQ(top[1].first, 2);
  EXPECT_EQ(top[2].first, 0);
  double z = 0;
  for (float v : logits5()) z += std::exp(v);
  EXPECT_NEAR(top[0].second, 3.0 - std::log(z), 1e-6);
}

}  // namespace
