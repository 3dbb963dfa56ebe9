// Generator text path with a real (tiny, in-memory) tokenizer: streamed text equals the
// decoded tokens, stop strings end generation and are never emitted.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/runtime/generator.hpp"
#include "tiny_model.hpp"

using abstractllm::engine::GenerationParams;
using abstractllm::engine::Generator;
using abstractllm::engine::LoadedModel;
using abstractllm::engine::LoadOptions;
using abstractllm::engine::TokenEvent;
using abstractllm::engine::Tokenizer;

namespace {

// 64 single-character tokens "a".."z", "A".."Z", "0".."9", " ", "." joined by a Fuse decoder.
std::string tokenizer_json() {
  std::string chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .";
  std::string vocab;
  for (size_t i = 0; i < chars.size(); ++i) {
    if (i) vocab += ',';
    vocab += '"';
    vocab += chars[i];
    vocab += "\":";
    vocab += std::to_string(i);
  }
  // Built with += : GCC 12 warns (-Wrestrict, a false positive) on `const char* + std::string&&`.
  std::string json = R"({"version":"1.0","truncation":null,"padding":null,"added_tokens":[],)"
                     R"("normalizer":null,"pre_tokenizer":null,"post_processor":null,)"
                     R"("decoder":{"type":"Fuse"},"model":{"type":"WordLevel","vocab":{)";
  json += vocab;
  json += R"(},"unk_token":"a"}})";
  return json;
}

std::shared_ptr<LoadedModel> model_with_tokenizer() {
  LoadOptions o;
  o.threads = 2;
  auto tok = std::make_unique<Tokenizer>(Tokenizer::from_json(tokenizer_json()));
  return LoadedModel::from_parts(abstractllm::engine::testing::make_tiny_model(64), std::move(tok),
                                 nullptr, o);
}

const std::vector<int32_t> kPrompt = {1, 5, 9, 17, 33, 2, 40};

TEST(GeneratorText, StreamedTextIsTheDecodedTokens) {
  auto m = model_with_tokenizer();
  GenerationParams p;
  p.max_tokens = 20;
  Generator g(m);
  std::string streamed;
  auto r = g.generate(kPrompt, p, [&](const TokenEvent& e) {
    streamed += e.text;
    return true;
  });
  EXPECT_EQ(r.finish_reason, "length");
  EXPECT_EQ(streamed, r.text);
  EXPECT_EQ(r.text, m->tokenizer().decode(r.tokens));
  EXPECT_EQ(r.text.size(), 20u);  // one character per token
}

TEST(GeneratorText, StopStringEndsGenerationAndIsNotEmitted) {
  auto m = model_with_tokenizer();
  GenerationParams p;
  p.max_tokens = 20;
  Generator g(m);
  const auto free_run = g.generate(kPrompt, p);
  ASSERT_GE(free_run.text.size(), 8u);
  // A stop string spanning tokens 5..7 of the free run.
  const std::string stop = free_run.text.substr(5, 3);
  const size_t first = free_run.text.find(stop);
  p.stop = {stop};
  std::string streamed;
  auto r = g.generate(kPrompt, p, [&](const TokenEvent& e) {
    streamed += e.text;
    return true;
  });
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(r.text, free_run.text.substr(0, first));
  EXPECT_EQ(streamed, r.text);
  EXPECT_EQ(r.text.find(stop), std::string::npos);
  EXPECT_EQ(r.tokens.size(), first + stop.size());
}

}  // namespace
