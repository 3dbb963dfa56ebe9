#include "engine/runtime/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

#include "abstractllm/errors.hpp"

namespace abstractllm::engine {

void validate(const SamplingParams& p, int64_t vocab_size) {
  auto bad = [](const std::string& name, const std::string& msg) {
    throw InvalidParameterError(name, name + " " + msg);
  };
  if (!std::isfinite(p.temperature) || p.temperature < 0) bad("temperature", "must be >= 0");
  if (!(p.top_p > 0 && p.top_p <= 1)) bad("top_p", "must be in (0, 1]");
  if (p.top_k < 0) bad("top_k", "must be >= 0 (0 disables it)");
  if (!(p.min_p >= 0 && p.min_p <= 1)) bad("min_p", "must be in [0, 1]");
  if (!std::isfinite(p.repetition_penalty) || p.repetition_penalty <= 0) {
    bad("repetition_penalty", "must be > 0 (1 disables it)");
  }
  if (p.repetition_context_size < 0) bad("repetition_context_size", "must be >= 0");
  if (!std::isfinite(p.presence_penalty)) bad("presence_penalty", "must be finite");
  if (!std::isfinite(p.frequency_penalty)) bad("frequency_penalty", "must be finite");
  for (const auto& [id, bias] : p.logit_bias) {
    if (id < 0 || id >= vocab_size) {
      bad("logit_bias", "has token id " + std::to_string(id) + " outside the vocabulary [0, " +
                            std::to_string(vocab_size) + ")");
    }
    if (std::isnan(bias)) bad("logit_bias", "has a NaN bias for token " + std::to_string(id));
  }
}

Sampler::Sampler(SamplingParams params, int64_t vocab_size)
    : params_(std::move(params)), vocab_size_(vocab_size) {
  validate(params_, vocab_size_);
  rng_.seed(params_.seed ? *params_.seed : std::random_device{}());
}

void Sampler::set_prompt(std::span<const int32_t> prompt) {
  history_.assign(prompt.begin(), prompt.end());
  generated_counts_.clear();
}

void Sampler::apply_penalties(std::span<float> logits) const {
  for (const auto& [id, bias] : params_.logit_bias) logits[static_cast<size_t>(id)] += bias;
  if (params_.repetition_penalty != 1.0f && params_.repetition_context_size > 0) {
    const size_t n = std::min(history_.size(), static_cast<size_t>(params_.repetition_context_size));
    std::unordered_set<int32_t> seen(history_.end() - static_cast<std::ptrdiff_t>(n),
                                     history_.end());
    for (int32_t id : seen) {
      if (id < 0 || id >= vocab_size_) continue;
      float& l = logits[static_cast<size_t>(id)];
      l = l > 0 ? l / params_.repetition_penalty : l * params_.repetition_penalty;
    }
  }
  if (params_.presence_penalty != 0 || params_.frequency_penalty != 0) {
    for (const auto& [id, count] : generated_counts_) {
      logits[static_cast<size_t>(id)] -=
          params_.presence_penalty + params_.frequency_penalty * static_cast<float>(count);
    }
  }
}

namespace {

int32_t argmax(std::span<const float> logits) {
  // Ties resolve to the lowest id (as torch.argmax / mx.argmax).
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

// A uniform double in [0, 1) from 53 random bits: identical on every platform for a given seed
// (std::uniform_real_distribution is implementation-defined).
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

}  // namespace

int32_t Sampler::sample(std::span<float> logits) {
  apply_penalties(logits);
  int32_t chosen = 0;
  if (params_.temperature == 0) {
    chosen = argmax(logits);
  } else {
    const float inv_t = 1.0f / params_.temperature;
    auto& cand = scratch_;
    cand.clear();
    cand.reserve(logits.size());
    for (size_t i = 0; i < logits.size(); ++i) {
      if (!std::isinf(logits[i]) || logits[i] > 0) {  // -inf (a banned token) never sampled
        cand.emplace_back(logits[i] * inv_t, static_cast<int32_t>(i));
      }
    }
    if (cand.empty() || std::isinf(logits[static_cast<size_t>(argmax(logits))])) {
      // Everything banned, or a +inf bias: the only sensible choice is the maximum.
      cand.assign(1, {0.0f, argmax(logits)});
    }
    auto by_logit = [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    };
    const bool filtering = params_.top_k > 0 || params_.top_p < 1 || params_.min_p > 0;
    if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < cand.size()) {
      std::partial_sort(cand.begin(), cand.begin() + params_.top_k, cand.end(), by_logit);
      cand.resize(static_cast<size_t>(params_.top_k));
    } else if (filtering) {
      std::sort(cand.begin(), cand.end(), by_logit);
    }
    // Probabilities (softmax over the candidates); with filtering, cand is sorted descending.
    const float mx = filtering ? cand.front().first
                               : std::max_element(cand.begin(), cand.end(), [](auto& a, auto& b) {
                                   return a.first < b.first;
                                 })->first;
    double sum = 0;
    for (auto& c : cand) {
      c.first = std::exp(c.first - mx);
      sum += c.first;
    }
    for (auto& c : cand) c.first = static_cast<float>(c.first / sum);
    if (params_.top_p < 1) {
      double cum = 0;
      size_t keep = 0;
      while (keep < cand.size()) {
        cum += cand[keep].first;
        ++keep;
        if (cum >= params_.top_p) break;
      }
      cand.resize(std::max<size_t>(keep, 1));
    }
    if (params_.min_p > 0) {
      const float threshold = params_.min_p * cand.front().first;
      size_t keep = 1;
      while (keep < cand.size() && cand[keep].first >= threshold) ++keep;
      cand.resize(keep);
    }
    double total = 0;
    for (const auto& c : cand) total += c.first;
    const double u = uniform01(rng_) * total;
    double acc = 0;
    chosen = cand.back().second;
    for (const auto& c : cand) {
      acc += c.first;
      if (u < acc) {
        chosen = c.second;
        break;
      }
    }
  }
  history_.push_back(chosen);
  ++generated_counts_[chosen];
  return chosen;
}

float token_logprob(std::span<const float> logits, int32_t id) {
  double mx = -INFINITY;
  for (float v : logits) mx = std::max(mx, static_cast<double>(v));
  double sum = 0;
  for (float v : logits) sum += std::exp(static_cast<double>(v) - mx);
  return static_cast<float>(static_cast<double>(logits[static_cast<size_t>(id)]) - mx -
                            std::log(sum));
}

std::vector<std::pair<int32_t, float>> top_logprobs(std::span<const float> logits, int k) {
  std::vector<std::pair<int32_t, float>> out;
  if (k <= 0 || logits.empty()) return out;
  double mx = -INFINITY;
  for (float v : logits) mx = std::max(mx, static_cast<double>(v));
  double sum = 0;
  for (float v : logits) sum += std::exp(static_cast<double>(v) - mx);
  const double log_z = mx + std::log(sum);
  std::vector<int32_t> ids(logits.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i);
  const size_t n = std::min(static_cast<size_t>(k), ids.size());
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n), ids.end(),
                    [&](int32_t a, int32_t b) {
                      const float la = logits[static_cast<size_t>(a)];
                      const float lb = logits[static_cast<size_t>(b)];
                      return la > lb || (la == lb && a < b);
                    });
  for (size_t i = 0; i < n; ++i) {
    out.emplace_back(ids[i],
                     static_cast<float>(static_cast<double>(logits[static_cast<size_t>(ids[i])]) -
                                        log_z));
  }
  return out;
}

}  // namespace abstractllm::engine
