// Model::forward properties the runtime relies on: batching several sequences in one call,
// chunked prefill and decode all give the same logits as one sequence alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <vector>

#include "abstractllm/errors.hpp"
#include "engine/model/model.hpp"

namespace fs = std::filesystem;
using abstractllm::engine::model::KVCache;
using abstractllm::engine::model::Model;
using abstractllm::engine::model::SequenceChunk;

namespace {

std::unique_ptr<Model> load(const std::string& name) {
  return Model::load(fs::path(ABSTRACTLLM_FIXTURES_DIR) / "model" / "reference_models" / name);
}

std::vector<float> logits_of(const Model& m, const std::vector<int32_t>& toks,
                             abstractllm::engine::ops::ThreadPool& pool) {
  KVCache c = m.make_cache(static_cast<int64_t>(toks.size()));
  std::vector<float> out(static_cast<size_t>(m.spec().vocab));
  SequenceChunk ch{&c, toks, out.data()};
  m.forward({&ch, 1}, pool);
  return out;
}

void expect_close(const std::vector<float>& a, const std::vector<float>& b, float tol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], tol) << i;
}

class Forward : public ::testing::TestWithParam<std::string> {
 protected:
  // Float models: only summation order may differ. Quantized ones: the ops layer may take
  // different kernels for one row (decode) and many (prefill) — e.g. 8-bit paths differ by up
  // to ~1e-3 — while a batching/caching bug would show as O(1) differences.
  float tol() const { return GetParam().find("-q") != std::string::npos ? 5e-3f : 1e-4f; }
};

TEST_P(Forward, BatchOfTwoSequencesEqualsEachAlone) {
  auto m = load(GetParam());
  abstractllm::engine::ops::ThreadPool pool(2);
  const std::vector<int32_t> a = {1, 7, 9, 33, 100, 21, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                  16, 17, 18, 19, 20};  // longer than gemma3's window (16)
  const std::vector<int32_t> b = {1, 200, 3};
  KVCache ca = m->make_cache(32), cb = m->make_cache(32);
  std::vector<float> la(static_cast<size_t>(m->spec().vocab)), lb(la.size());
  SequenceChunk batch[2] = {{&ca, a, la.data()}, {&cb, b, lb.data()}};
  m->forward(batch, pool);
  expect_close(la, logits_of(*m, a, pool), tol());
  expect_close(lb, logits_of(*m, b, pool), tol());
  EXPECT_EQ(ca.size(), static_cast<int64_t>(a.size()));
  EXPECT_EQ(cb.tokens(), b);
}

TEST_P(Forward, ChunkedPrefillAndDecodeEqualOneShot) {
  auto m = load(GetParam());
  abstractllm::engine::ops::ThreadPool pool(2);
  std::vector<int32_t> toks;
  for (int i = 0; i < 30; ++i) toks.push_back((i * 37 + 5) % 256);
  KVCache c = m->make_cache(30);
  std::vector<float> out(static_cast<size_t>(m->spec().vocab));
  for (size_t begin = 0; begin < toks.size();) {
    const size_t n = begin < 20 ? 7 : 1;  // chunks of 7, then token by token
    const size_t len = std::min(n, toks.size() - begin);
    SequenceChunk ch{&c, std::span<const int32_t>(toks).subspan(begin, len), out.data()};
    m->forward({&ch, 1}, pool);
    begin += len;
  }
  expect_close(out, logits_of(*m, toks, pool), tol());
}

TEST_P(Forward, WeightsReadIntoMemoryGiveTheMappedLogits) {
  // FileLoad::Read (--no-mmap) holds the same bytes elsewhere: bit-identical logits, and the
  // images the bench inspects point at the copy, not at a mapping of the file.
  const fs::path dir = fs::path(ABSTRACTLLM_FIXTURES_DIR) / "model" / "reference_models" / GetParam();
  auto mapped = Model::load(dir);
  auto read = Model::load(dir, abstractllm::engine::FileLoad::Read);
  abstractllm::engine::ops::ThreadPool pool(2);
  const std::vector<int32_t> toks = {1, 7, 9, 33, 100, 21};
  EXPECT_EQ(logits_of(*mapped, toks, pool), logits_of(*read, toks, pool));
  ASSERT_EQ(mapped->weights().images.size(), read->weights().images.size());
  ASSERT_FALSE(read->weights().images.empty());
  for (size_t i = 0; i < read->weights().images.size(); ++i) {
    const auto& a = mapped->weights().images[i];
    const auto& b = read->weights().images[i];
    ASSERT_EQ(a.size(), b.size());
    EXPECT_NE(a.data(), b.data());
    EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin()));
  }
}

INSTANTIATE_TEST_SUITE_P(Archs, Forward,
                         ::testing::Values("llama-bf16", "gemma3_text-q4g64", "phi3-bf16",
                                           "gemma2-bf16", "qwen2-q8g32"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n) ch = (ch == '-') ? '_' : ch;
                           return n;
                         });

TEST(ForwardErrors, TokenOutsideVocabularyAndFullCache) {
  auto m = load("llama-bf16");
  abstractllm::engine::ops::ThreadPool pool(1);
  KVCache c = m->make_cache(2);
  const std::vector<int32_t> bad = {1, 256};
  SequenceChunk ch{&c, bad, nullptr};
  EXPECT_THROW(m->forward({&ch, 1}, pool), abstractllm::InvalidParameterError);
  const std::vector<int32_t> three = {1, 2, 3};
  SequenceChunk ch3{&c, three, nullptr};
  EXPECT_THROW(m->forward({&ch3, 1}, pool), abstractllm::InvalidParameterError);
  EXPECT_EQ(c.size(), 0);
}

TEST(Forward, LongRopeReplaysTheSequenceWhenItOutgrowsTheOriginalContext) {
  // phi3 fixture: original_max_position_embeddings 64. Decoding across position 64 must give
  // what a fresh full pass (long factors for every position) gives.
  auto m = load("phi3-bf16");
  abstractllm::engine::ops::ThreadPool pool(2);
  std::vector<int32_t> toks;
  for (int i = 0; i < 66; ++i) toks.push_back((i * 11 + 3) % 256);
  KVCache c = m->make_cache(66);
  std::vector<float> out(static_cast<size_t>(m->spec().vocab));
  SequenceChunk pre{&c, std::span<const int32_t>(toks).first(64), out.data()};
  m->forward({&pre, 1}, pool);
  for (size_t i = 64; i < toks.size(); ++i) {
    SequenceChunk step{&c, std::span<const int32_t>(toks).subspan(i, 1), out.data()};
    m->forward({&step, 1}, pool);
  }
  EXPECT_EQ(c.size(), 66);
  expect_close(out, logits_of(*m, toks, pool), 1e-4f);
}

}  // namespace
