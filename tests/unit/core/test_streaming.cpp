// The streaming, async and cancellation plumbing of LLM, driven by the test-only EchoProvider.
#include <gtest/gtest.h>

#include <atomic>

#include "abstractllm/errors.hpp"
#include "echo_provider.hpp"

using namespace abstractllm;
using test::EchoProvider;

TEST(Streaming, CallbackChunksConcatenateToTheResponse) {
  EchoProvider llm(Config{});
  std::string streamed;
  int finals = 0;
  auto r = llm.generate("one two three", {}, [&](const StreamChunk& c) {
    streamed += c.delta;
    finals += c.is_final();
  });
  EXPECT_EQ(streamed, "one two three");
  EXPECT_EQ(r.content, streamed);
  EXPECT_EQ(finals, 1);
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(r.usage.total_tokens, 6);
}

TEST(Streaming, PullIteratorInRangeFor) {
  EchoProvider llm(Config{});
  std::string text;
  std::string finish;
  for (const auto& chunk : llm.stream("a b c d")) {
    text += chunk.delta;
    if (chunk.is_final()) {
      finish = chunk.finish_reason;
      ASSERT_TRUE(chunk.usage.has_value());
      EXPECT_EQ(chunk.usage->completion_tokens, 4);
    }
  }
  EXPECT_EQ(text, "a b c d");
  EXPECT_EQ(finish, "stop");
}

TEST(Streaming, PerCallOverridesAndLength) {
  EchoProvider llm(Config{});
  GenerateOptions o;
  o.parameters.set(ModelParameter::MAX_TOKENS, 2);
  auto r = llm.generate("a b c d", o);
  EXPECT_EQ(r.content, "a b");
  EXPECT_EQ(r.finish_reason, "length");
  o.parameters.set("top_p", 7.0);
  EXPECT_THROW(llm.generate("a", o), InvalidParameterError);
}

TEST(Streaming, StreamResponseAggregates) {
  EchoProvider llm(Config{});
  auto s = llm.stream("x y");
  EXPECT_EQ(s.response().content, "x y");
}

TEST(Async, FutureDeliversResponse) {
  EchoProvider llm(Config{});
  auto f1 = llm.generate_async("p q r");
  auto f2 = llm.generate_async("s t");
  EXPECT_EQ(f1.get().content, "p q r");
  EXPECT_EQ(f2.get().content, "s t");
}

TEST(Async, FutureCarriesExceptions) {
  EchoProvider llm(Config{});
  GenerateOptions o;
  o.parameters.set("temperature", -1.0);
  auto f = llm.generate_async("x", o);
  EXPECT_THROW(f.get(), InvalidParameterError);
}

TEST(Async, StreamExceptionsSurfaceAtPull) {
  EchoProvider llm(Config{});
  GenerateOptions o;
  o.parameters.set("max_tokens", 0);
  auto s = llm.stream("x", o);
  EXPECT_THROW(s.next(), InvalidParameterError);
  EXPECT_FALSE(s.next().has_value());
}

TEST(Async, StreamAsyncStartsAtOnce) {
  EchoProvider llm(Config{});
  auto s = llm.stream_async("1 2 3 4 5");
  // Chunks are produced without anyone pulling.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::string text;
  while (auto c = s.next()) text += c->delta;
  EXPECT_EQ(text, "1 2 3 4 5");
}

TEST(Cancel, CancellationStopsBetweenTokens) {
  EchoProvider llm(Config{{"echo_delay_ms", 5}});
  GenerateOptions o;
  std::string words;
  for (int i = 0; i < 200; ++i) words += "w ";
  int seen = 0;
  auto r = llm.generate(words, o, [&](const StreamChunk& c) {
    if (!c.is_final() && ++seen == 3) o.cancel.cancel();
  });
  EXPECT_EQ(r.finish_reason, "cancelled");
  EXPECT_EQ(r.usage.completion_tokens, 3);
}

TEST(Cancel, StreamCancelAndDestroyJoinPromptly) {
  EchoProvider llm(Config{{"echo_delay_ms", 5}});
  std::string words;
  for (int i = 0; i < 1000; ++i) words += "w ";
  auto start = std::chrono::steady_clock::now();
  {
    auto s = llm.stream(words);
    auto first = s.next();
    ASSERT_TRUE(first);
    s.cancel();
    std::string finish;
    while (auto c = s.next()) finish = c->finish_reason;
    EXPECT_EQ(finish, "cancelled");
  }
  {
    auto s = llm.stream_async(words);  // destroyed mid-generation: must cancel and join
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(Config, UpdateConfigValidates) {
  EchoProvider llm(Config{});
  llm.update_config({{"max_tokens", 1}});
  EXPECT_EQ(llm.generate("a b").content, "a");
  EXPECT_THROW(llm.update_config({{"max_tokens", -1}}), InvalidParameterError);
  EXPECT_EQ(llm.config().get_int("max_tokens"), 1);
}

TEST(Capabilities, SupportsAndJson) {
  EchoProvider llm(Config{{"max_tokens", 9}});
  auto caps = llm.get_capabilities();
  EXPECT_TRUE(caps.supports(ModelCapability::STREAMING));
  EXPECT_FALSE(caps.supports(ModelCapability::VISION));
  EXPECT_EQ(caps.to_json()["max_tokens"], 9);
}
