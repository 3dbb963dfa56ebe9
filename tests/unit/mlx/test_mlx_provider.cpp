// The mlx provider end to end on tiny random-weight models: registration, defaults, generation,
// streaming, async, cancellation, finish reasons and every error path.
#include <fstream>
#include <thread>

#include "provider_fixture.hpp"

using namespace abstractllm;
using abstractllm::test::MlxProviderTest;

TEST_F(MlxProviderTest, SeedTestCreateLoadGenerate) {
  // Sampled at the default temperature (0.7), seeded, with EOS suppressed: the random-weight
  // model could otherwise end at once and the test would depend on luck.
  auto llm = create_llm("mlx", {{ModelParameter::MODEL, model()},
                                {ModelParameter::MAX_TOKENS, 10},
                                {ModelParameter::SEED, 7},
                                {ModelParameter::LOGIT_BIAS,
                                 Value::from_json({{std::to_string(test::kImEnd), -100.0}})}});
  ASSERT_NE(llm, nullptr);
  llm->load_model();
  auto r = llm->generate("Hello, world!");
  EXPECT_FALSE(r.token_ids.empty());
  EXPECT_EQ(r.usage.completion_tokens, static_cast<int64_t>(r.token_ids.size()));
  EXPECT_EQ(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  EXPECT_GT(r.timing.peak_memory_bytes, 0u);
  EXPECT_EQ(r.model, model());
}

TEST_F(MlxProviderTest, RegisteredAndDefaults) {
  auto names = available_providers();
  EXPECT_NE(std::find(names.begin(), names.end(), "mlx"), names.end());
  auto llm = create_llm("mlx", {{ModelParameter::MODEL, model()}});
  Config c = llm->config();
  EXPECT_EQ(c.get_double(ModelParameter::TEMPERATURE), 0.7);
  EXPECT_EQ(c.get_int(ModelParameter::MAX_TOKENS), 4096);
  EXPECT_EQ(c.get_double(ModelParameter::TOP_P), 0.9);
  auto d = create_llm("mlx");
  EXPECT_EQ(d->config().get_string(ModelParameter::MODEL), mlx::default_model_path().string());
}

TEST_F(MlxProviderTest, Capabilities) {
  auto llm = create_llm("mlx", greedy());
  auto caps = llm->get_capabilities();
  EXPECT_TRUE(caps.supports(ModelCapability::STREAMING));
  EXPECT_TRUE(caps.supports(ModelCapability::ASYNC));
  EXPECT_TRUE(caps.supports(ModelCapability::SYSTEM_PROMPT));
  EXPECT_FALSE(caps.supports(ModelCapability::VISION));
  EXPECT_FALSE(caps.supports(ModelCapability::TOOL_USE));
  EXPECT_FALSE(caps.supports(ModelCapability::FUNCTION_CALLING));
  EXPECT_EQ(caps.get(ModelCapability::MAX_TOKENS).as_int(), 8);
  EXPECT_EQ(caps.get(ModelCapability::CONTEXT_WINDOW).as_int(), 256);
}

TEST_F(MlxProviderTest, DeviceSelection) {
  EXPECT_NO_THROW(
      create_llm("mlx", {{ModelParameter::MODEL, model()}, {ModelParameter::DEVICE, "cpu"}}));
  try {
    create_llm("mlx", {{ModelParameter::MODEL, model()}, {ModelParameter::DEVICE, "cuda"}});
    FAIL();
  } catch (const UnsupportedFeatureError& e) {
    EXPECT_EQ(e.feature(), "cuda");
  }
  try {
    create_llm("mlx", {{ModelParameter::MODEL, model()}, {ModelParameter::DEVICE, "metal"}});
    FAIL();
  } catch (const UnsupportedFeatureError& e) {
    EXPECT_EQ(e.feature(), "metal");
  }
  auto b = mlx::detect_backend();
  EXPECT_EQ(b.device, "cpu");
  EXPECT_FALSE(b.simd_target.empty());
}

TEST_F(MlxProviderTest, GreedyIsDeterministicAndLengthFinish) {
  auto llm = create_llm("mlx", greedy("tiny-a", 6));
  auto a = llm->generate("abc");
  auto b = llm->generate("abc");
  EXPECT_EQ(a.token_ids, b.token_ids);
  EXPECT_EQ(a.token_ids.size(), 6u);
  EXPECT_EQ(a.finish_reason, "length");
}

namespace {
// Whether this process maps a file whose path ends with `suffix` (/proc/self/maps, Linux).
bool maps_file_ending_with(const std::string& suffix) {
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    if (line.size() >= suffix.size() &&
        line.compare(line.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return true;
    }
  }
  return false;
}
}  // namespace

TEST_F(MlxProviderTest, UseMmapFalseReadsTheWeightsAndGeneratesTheSame) {
  const std::string weights = "tiny-a/model.safetensors";
  auto mapped_llm = create_llm("mlx", greedy("tiny-a", 6));
  const auto mapped = mapped_llm->generate("abc");
  EXPECT_TRUE(maps_file_ending_with(weights));
  mapped_llm.reset();
  mlx::clear_model_cache();  // the LRU keys by folder: load again, this time read into memory
  ASSERT_FALSE(maps_file_ending_with(weights));
  Config c = greedy("tiny-a", 6);
  c.set("use_mmap", false);
  auto read_llm = create_llm("mlx", c);
  const auto read = read_llm->generate("abc");
  EXPECT_FALSE(maps_file_ending_with(weights));  // in memory, not mapped
  EXPECT_EQ(read.token_ids, mapped.token_ids);
  EXPECT_EQ(read.content, mapped.content);
  EXPECT_THROW(create_llm("mlx", {{"use_mmap", "no"}}), InvalidParameterError);
}

// repack_weights (4-bit matrices repacked for decoding; this float model has none, so the
// answer must not change) and its cache folder are accepted and checked by type.
TEST_F(MlxProviderTest, RepackWeightsIsAcceptedAndKeepsTheAnswer) {
  const auto plain = create_llm("mlx", greedy("tiny-a", 6))->generate("abc");
  mlx::clear_model_cache();
  Config c = greedy("tiny-a", 6);
  c.set("repack_weights", true);
  c.set("repack_cache_dir", (root_ / "repacked").string());
  const auto repacked = create_llm("mlx", c)->generate("abc");
  EXPECT_EQ(repacked.token_ids, plain.token_ids);
  EXPECT_THROW(create_llm("mlx", {{"repack_weights", "yes"}}), InvalidParameterError);
  EXPECT_THROW(create_llm("mlx", {{"repack_cache_dir", 3}}), InvalidParameterError);
}

// A conversation's next turn re-sends the history: the provider's kept KV cache serves the
// prefix the two prompts share, and the answer is a fresh provider's.
TEST_F(MlxProviderTest, NextTurnReusesTheSharedPrefix) {
  auto llm = create_llm("mlx", greedy("tiny-a", 6));
  const auto first = llm->generate("Tell me a story");
  EXPECT_EQ(first.usage.cached_prompt_tokens, 0);
  GenerateOptions next;
  next.messages = {Message::user("Tell me a story"), Message::assistant(first.content)};
  const auto second = llm->generate("And another one", next);
  EXPECT_GT(second.usage.cached_prompt_tokens, 5);
  EXPECT_LT(second.usage.cached_prompt_tokens, second.usage.prompt_tokens);
  const auto fresh = create_llm("mlx", greedy("tiny-a", 6))->generate("And another one", next);
  EXPECT_EQ(fresh.usage.cached_prompt_tokens, 0);
  EXPECT_EQ(second.token_ids, fresh.token_ids);
  EXPECT_EQ(second.content, fresh.content);
}

TEST_F(MlxProviderTest, KvCacheTypeF16GeneratesAndBadTypesNameTheParameter) {
  Config c = greedy("tiny-a", 6);
  c.set("kv_cache_type", "f16");
  const auto r = create_llm("mlx", c)->generate("abc");
  EXPECT_EQ(r.token_ids.size(), 6u);
  try {
    create_llm("mlx", {{"kv_cache_type", "q8_0"}});
    FAIL() << "expected InvalidParameterError";
  } catch (const InvalidParameterError& e) {
    EXPECT_NE(std::string(e.what()).find("kv_cache_type"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("q8_0"), std::string::npos) << e.what();
  }
  EXPECT_THROW(create_llm("mlx", {{"kv_cache_type", int64_t{16}}}), InvalidParameterError);
}

TEST_F(MlxProviderTest, EosFinishesWithStopAndNeverLeaks) {
  Config c = greedy();
  c.set(ModelParameter::LOGIT_BIAS, Value::from_json({{std::to_string(test::kImEnd), 100.0}}));
  auto r = create_llm("mlx", c)->generate("hi");
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(r.content, "");
  EXPECT_EQ(r.content.find("<|im_end|>"), std::string::npos);
}

TEST_F(MlxProviderTest, StopStringIsNeverEmitted) {
  Config c = greedy("tiny-a", 20);
  c.set(ModelParameter::LOGIT_BIAS,
        Value::from_json({{std::to_string(test::kImEnd), -100.0}, {std::to_string('x'), 100.0}}));
  c.set(ModelParameter::STOP, std::vector<std::string>{"xxx"});
  std::string streamed;
  auto r = create_llm("mlx", c)->generate("hi", {},
                                          [&](const StreamChunk& ch) { streamed += ch.delta; });
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(r.content, "");
  EXPECT_EQ(streamed, "");
}

TEST_F(MlxProviderTest, StreamingEqualsNonStreamingForTheSameSeed) {
  Config c = greedy("tiny-a", 16);
  c.set(ModelParameter::TEMPERATURE, 0.9);
  c.set(ModelParameter::SEED, 1234);
  auto llm = create_llm("mlx", c);
  auto whole = llm->generate("tell me");
  std::string streamed;
  std::vector<int32_t> ids;
  std::string finish;
  for (const auto& chunk : llm->stream("tell me")) {
    streamed += chunk.delta;
    ids.insert(ids.end(), chunk.token_ids.begin(), chunk.token_ids.end());
    if (chunk.is_final()) finish = chunk.finish_reason;
  }
  EXPECT_EQ(streamed, whole.content);
  EXPECT_EQ(ids, whole.token_ids);
  EXPECT_EQ(finish, whole.finish_reason);
}

TEST_F(MlxProviderTest, AsyncAndAsyncStream) {
  auto llm = create_llm("mlx", greedy());
  auto expected = llm->generate("async");
  auto f = llm->generate_async("async");
  EXPECT_EQ(f.get().token_ids, expected.token_ids);
  auto s = llm->stream_async("async");
  EXPECT_EQ(s.response().content, expected.content);
}

TEST_F(MlxProviderTest, Cancellation) {
  auto llm = create_llm("mlx", greedy("tiny-a", 200));
  GenerateOptions o;
  int n = 0;
  auto r = llm->generate("go", o, [&](const StreamChunk& c) {
    if (!c.is_final() && ++n == 3) o.cancel.cancel();
  });
  EXPECT_EQ(r.finish_reason, "cancelled");
  EXPECT_EQ(r.usage.completion_tokens, 3);
}

TEST_F(MlxProviderTest, LogprobsWhenAsked) {
  auto llm = create_llm("mlx", greedy("tiny-a", 4));
  GenerateOptions o;
  o.top_logprobs = 3;
  auto r = llm->generate("x", o);
  ASSERT_TRUE(r.logprobs);
  ASSERT_EQ(r.logprobs->size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const auto& lp = (*r.logprobs)[i];
    EXPECT_EQ(lp.token, r.token_ids[i]);
    EXPECT_LE(lp.logprob, 0.0);
    ASSERT_EQ(lp.top_logprobs.size(), 3u);
    EXPECT_GE(lp.top_logprobs[0].second, lp.top_logprobs[1].second);
  }
}

TEST_F(MlxProviderTest, SystemPromptHistoryAndRawChangeThePrompt) {
  auto llm = create_llm("mlx", greedy("tiny-a", 1));
  auto plain = llm->generate("question");
  GenerateOptions sys;
  sys.system_prompt = "be brief";
  auto with_system = llm->generate("question", sys);
  EXPECT_GT(with_system.usage.prompt_tokens, plain.usage.prompt_tokens);
  GenerateOptions hist;
  hist.messages = {Message::user("first"), Message::assistant("answer")};
  auto with_history = llm->generate("question", hist);
  EXPECT_GT(with_history.usage.prompt_tokens, plain.usage.prompt_tokens);
  GenerateOptions raw;
  raw.raw = true;
  auto r = llm->generate("question", raw);
  // Raw completion: just the bytes of the prompt, no ChatML markers.
  EXPECT_EQ(r.usage.prompt_tokens, 8);
  EXPECT_EQ(
      std::count(plain.prompt_token_ids.begin(), plain.prompt_token_ids.end(), test::kImStart), 2);
}

TEST_F(MlxProviderTest, TextFilesAreAppended) {
  auto path = root_ / "notes.txt";
  std::ofstream(path) << "secret";
  auto llm = create_llm("mlx", greedy("tiny-a", 1));
  GenerateOptions o;
  o.files = {path};
  auto r = llm->generate("read", o);
  auto plain = llm->generate("read");
  const std::string block = "\n\nFile content from " + path.string() + ":\nsecret";
  EXPECT_EQ(r.usage.prompt_tokens, plain.usage.prompt_tokens + static_cast<int64_t>(block.size()));
}

TEST_F(MlxProviderTest, ErrorPaths) {
  auto llm = create_llm("mlx", greedy());
  GenerateOptions tools;
  tools.tools = nlohmann::json::array({{{"type", "function"}, {"function", {{"name", "f"}}}}});
  try {
    llm->generate("x", tools);
    FAIL();
  } catch (const UnsupportedFeatureError& e) {
    EXPECT_EQ(e.feature(), "tool_use");
  }
  auto png = root_ / "pic.png";
  std::ofstream(png, std::ios::binary) << std::string("\x89PNG\r\n\x1a\n\0\0\0\0", 12);
  GenerateOptions image;
  image.files = {png};
  try {
    llm->generate("x", image);
    FAIL();
  } catch (const UnsupportedFeatureError& e) {
    EXPECT_EQ(e.feature(), "vision");
  }
  GenerateOptions missing;
  missing.files = {root_ / "nope.txt"};
  EXPECT_THROW(llm->generate("x", missing), FileProcessingError);
  EXPECT_THROW(
      create_llm("mlx", {{ModelParameter::MODEL, (root_ / "absent").string()}})->generate("x"),
      ModelNotFoundError);
  EXPECT_THROW(create_llm("mlx", {{ModelParameter::MODEL, "org/not-in-cache"},
                                  {ModelParameter::CACHE_DIR, root_.string()}})
                   ->load_model(),
               ModelNotFoundError);
  EXPECT_THROW(create_llm("mlx", {{"quantize", "yes"}}), InvalidParameterError);
  EXPECT_THROW(create_llm("mlx", {{"context_overflow", "ignore"}}), InvalidParameterError);
}

TEST_F(MlxProviderTest, ContextWindowPolicy) {
  // An explicit max_tokens that does not fit is refused...
  auto strict = create_llm("mlx", greedy("tiny-a", 300));
  try {
    strict->generate("x");
    FAIL();
  } catch (const ContextWindowExceededError& e) {
    EXPECT_EQ(e.context_window(), 256);
  }
  // ...the provider default (4096) is a ceiling clamped to the window.
  Config c = greedy();
  c.erase(ModelParameter::MAX_TOKENS);
  c.set(ModelParameter::CONTEXT_WINDOW, 40);
  auto lenient = create_llm("mlx", c);
  auto r = lenient->generate("abc");
  EXPECT_EQ(r.usage.total_tokens, 40);
  EXPECT_EQ(r.finish_reason, "length");
  // A prompt longer than the window is always an error.
  EXPECT_THROW(lenient->generate(std::string(50, 'a')), ContextWindowExceededError);
}
