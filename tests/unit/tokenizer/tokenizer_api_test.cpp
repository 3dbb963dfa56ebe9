// Unit tests of the tokenizer API around the pipeline: loading errors, configuration files,
// invalid input, thread safety, streaming. (Token-level behaviour is checked against the Rust
// library by the conformance suite.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "abstractllm/errors.hpp"
#include "engine/tokenizer/tokenizer.hpp"
#include "engine/tokenizer/unicode.hpp"

namespace fs = std::filesystem;
using abstractllm::engine::Tokenizer;
namespace tok = abstractllm::engine::tok;

namespace {

// A tiny byte-fallback BPE in the SentencePiece style (like llama2's pipeline).
const char* kSpm = R"({
  "added_tokens": [
    {"id": 0, "content": "<unk>", "special": true, "normalized": false},
    {"id": 1, "content": "<s>", "special": true, "normalized": false},
    {"id": 2, "content": "</s>", "special": true, "normalized": false}],
  "normalizer": {"type": "Sequence", "normalizers": [
    {"type": "Prepend", "prepend": "▁"},
    {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
  "pre_tokenizer": null,
  "post_processor": {"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
    "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
  "decoder": {"type": "Sequence", "decoders": [
    {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
    {"type": "ByteFallback"}, {"type": "Fuse"},
    {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
  "model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true,
    "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "<0xC3>": 3, "<0xA9>": 4, "<0xE2>": 5,
              "<0x82>": 6, "<0xAC>": 7, "▁": 8, "h": 9, "i": 10, "▁h": 11, "▁hi": 12},
    "merges": ["▁ h", "▁h i"]}
})";

std::string with_model(const std::string& model) {
  return R"({"added_tokens": [], "normalizer": null, "pre_tokenizer": null,
             "post_processor": null, "decoder": null, "model": )" +
         model + "}";
}

template <class E>
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("wrong exception type: ") + e.what();
  }
  return "no exception";
}

TEST(TokenizerLoad, MalformedJsonIsAModelLoadingError) {
  const auto msg = error_of<abstractllm::ModelLoadingError>(
      [] { Tokenizer::from_json("{\"model\": ", {}, "x/tokenizer.json"); });
  EXPECT_NE(msg.find("x/tokenizer.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("JSON"), std::string::npos) << msg;
}

TEST(TokenizerLoad, MissingModelNamesTheField) {
  const auto msg = error_of<abstractllm::ModelLoadingError>([] { Tokenizer::from_json("{}"); });
  EXPECT_NE(msg.find("model"), std::string::npos) << msg;
}

TEST(TokenizerLoad, UnknownComponentTypeNamesTheComponent) {
  const std::string j = R"({"normalizer": null, "pre_tokenizer": {"type": "Sequence",
    "pretokenizers": [{"type": "Whitespace"}, {"type": "Frobnicate"}]},
    "model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"}})";
  const auto msg = error_of<abstractllm::UnsupportedModelError>([&] { Tokenizer::from_json(j); });
  EXPECT_NE(msg.find("pre_tokenizer.pretokenizers[1]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Frobnicate"), std::string::npos) << msg;
}

TEST(TokenizerLoad, PrecompiledNormalizerIsRecognisedWithAClearError) {
  const std::string j = R"({"normalizer": {"type": "Precompiled", "precompiled_charsmap": ""},
    "model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"}})";
  const auto msg = error_of<abstractllm::UnsupportedModelError>([&] { Tokenizer::from_json(j); });
  EXPECT_NE(msg.find("Precompiled"), std::string::npos) << msg;
}

TEST(TokenizerLoad, MergeWithMissingTokenIsNamed) {
  const auto msg = error_of<abstractllm::ModelLoadingError>([] {
    Tokenizer::from_json(with_model(R"({"type": "BPE", "vocab": {"a": 0, "b": 1},
                                        "merges": ["a b"]})"));
  });
  EXPECT_NE(msg.find("merges[0]"), std::string::npos) << msg;
}

TEST(TokenizerLoad, NegativeOrHugeIdsAreRejected) {
  EXPECT_THROW(Tokenizer::from_json(with_model(R"({"type": "BPE", "vocab": {"a": -1}, "merges": []})")),
               abstractllm::ModelLoadingError);
  EXPECT_THROW(Tokenizer::from_json(with_model(
                   R"({"type": "BPE", "vocab": {"a": 99999999999}, "merges": []})")),
               abstractllm::ModelLoadingError);
}

TEST(TokenizerLoad, BadRegexIsAModelLoadingError) {
  const std::string j = R"({"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(["},
    "behavior": "Isolated", "invert": false},
    "model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"}})";
  const auto msg = error_of<abstractllm::ModelLoadingError>([&] { Tokenizer::from_json(j); });
  EXPECT_NE(msg.find("pre_tokenizer"), std::string::npos) << msg;
}

TEST(TokenizerLoad, MissingFolderOrFileIsModelNotFound) {
  EXPECT_THROW(Tokenizer::from_folder("/nonexistent/dir"), abstractllm::ModelNotFoundError);
  const auto dir = fs::temp_directory_path() / "abstractllm_tok_empty";
  fs::create_directories(dir);
  EXPECT_THROW(Tokenizer::from_folder(dir), abstractllm::ModelNotFoundError);
  EXPECT_THROW(Tokenizer::from_files(dir / "tokenizer.json", {}), abstractllm::ModelNotFoundError);
}

TEST(TokenizerConfig, ReadsConfigSpecialTokensMapAndJinjaTemplate) {
  const auto dir = fs::temp_directory_path() / "abstractllm_tok_cfg";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "tokenizer.json") << kSpm;
  std::ofstream(dir / "tokenizer_config.json") << R"({
    "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false},
    "eos_token": "</s>", "model_max_length": 1000000000000000019884624838656,
    "add_bos_token": true, "add_eos_token": false,
    "chat_template": [{"name": "default", "template": "A"}, {"name": "tool_use", "template": "B"}]
  })";
  std::ofstream(dir / "special_tokens_map.json") << R"({"unk_token": "<unk>", "eos_token": "x"})";
  {
    const Tokenizer t = Tokenizer::from_folder(dir);
    const auto& c = t.config();
    EXPECT_EQ(c.bos.content, "<s>");
    EXPECT_EQ(c.bos.id, 1);
    EXPECT_EQ(c.eos.content, "</s>");  // tokenizer_config.json wins over the map
    EXPECT_EQ(c.eos.id, 2);
    EXPECT_EQ(c.unk.content, "<unk>");  // from special_tokens_map.json
    EXPECT_EQ(c.unk.id, 0);
    EXPECT_FALSE(c.pad.present());
    EXPECT_FALSE(c.model_max_length.has_value());  // the "infinite" sentinel
    EXPECT_EQ(c.add_bos_token, true);
    EXPECT_EQ(c.chat_template, "A");
    EXPECT_EQ(c.chat_templates.at("tool_use"), "B");
  }
  std::ofstream(dir / "chat_template.jinja") << "{{ messages }}";
  const Tokenizer t = Tokenizer::from_folder(dir);
  EXPECT_EQ(t.config().chat_template, "{{ messages }}");
}

TEST(TokenizerConfig, SplitSpecialTokensLeavesSpecialStringsAsText) {
  const Tokenizer normal = Tokenizer::from_json(kSpm, "{}");
  const Tokenizer split = Tokenizer::from_json(kSpm, R"({"split_special_tokens": true})");
  const auto a = normal.encode("hi</s>", false);
  const auto b = split.encode("hi</s>", false);
  EXPECT_NE(std::find(a.begin(), a.end(), 2), a.end());
  EXPECT_EQ(std::find(b.begin(), b.end(), 2), b.end());
}

TEST(TokenizerApi, VocabularyLookupsAndSpecialFlags) {
  const Tokenizer t = Tokenizer::from_json(kSpm);
  EXPECT_EQ(t.vocab_size(), 13);
  EXPECT_EQ(t.token_to_id("▁hi"), 12);
  EXPECT_EQ(t.token_to_id("</s>"), 2);
  EXPECT_FALSE(t.token_to_id("nope").has_value());
  EXPECT_EQ(t.id_to_token(11), "▁h");
  EXPECT_EQ(t.id_to_token(12345), "");
  EXPECT_TRUE(t.is_special(1));
  EXPECT_FALSE(t.is_special(12));
  EXPECT_FALSE(t.is_special(-5));
  // Out-of-range ids are dropped by decode, as the Rust library does.
  const std::vector<int32_t> ids{12, 99999, -1};
  EXPECT_EQ(t.decode(ids), t.decode(std::vector<int32_t>{12}));
}

TEST(TokenizerApi, InvalidUtf8IsEncodedAsItsLossyRepair) {
  const Tokenizer t = Tokenizer::from_json(kSpm);
  const std::string bad = "h\xC3\x28i\xE2\x82 \xFF";
  EXPECT_EQ(t.encode(bad), t.encode(tok::utf8_lossy(bad)));
}

TEST(TokenizerApi, CopiesShareDataAndMovesLeaveAUsableTarget) {
  Tokenizer a = Tokenizer::from_json(kSpm);
  const Tokenizer b = a;
  Tokenizer c = std::move(a);
  EXPECT_EQ(b.encode("hi hi"), c.encode("hi hi"));
}

TEST(TokenizerApi, ConcurrentEncodeGivesTheSameIds) {
  const Tokenizer t = Tokenizer::from_json(kSpm);
  std::string text;
  for (int i = 0; i < 500; ++i) text += i % 3 ? "hi h i é€ " : "hih ";
  const auto want = t.encode(text);
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&] {
      for (int r = 0; r < 20; ++r)
        if (t.encode(text) != want) ++bad;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(StreamingDetokenizer, EmitsOnlyCompleteCharactersAndKeepsSpaces) {
  const Tokenizer t = Tokenizer::from_json(kSpm);
  const auto ids = t.encode("hi é€ hi", false);
  auto s = t.streaming_detokenizer();
  std::string all;
  for (int32_t id : ids) {
    const std::string d = s.add(id);
    EXPECT_TRUE(tok::is_valid_utf8(d)) << id;
    all += d;
  }
  all += s.finish();
  EXPECT_EQ(all, t.decode(ids));
  EXPECT_EQ(s.text(), all);
}

TEST(StreamingDetokenizer, RandomIdsNeverProduceBrokenUtf8) {
  const Tokenizer t = Tokenizer::from_json(kSpm);
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    auto s = t.streaming_detokenizer(round % 2 == 0);
    for (int k = 0; k < 30; ++k) {
      const std::string d = s.add(static_cast<int32_t>(rng() % 14));
      ASSERT_TRUE(tok::is_valid_utf8(d));
    }
    ASSERT_TRUE(tok::is_valid_utf8(s.finish()));
  }
}

TEST(Unicode, LossyRepairReplacesMaximalSubparts) {
  EXPECT_EQ(tok::utf8_lossy("a\xE2\x82" "b"), "a\xEF\xBF\xBD" "b");  // one truncated sequence
  EXPECT_EQ(tok::utf8_lossy("\xC0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong: two bytes
  EXPECT_EQ(tok::utf8_lossy("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(tok::utf8_lossy("ok \xF0\x9F\x98\x80"), "ok \xF0\x9F\x98\x80");
  EXPECT_TRUE(tok::is_valid_utf8("é€😀"));
  EXPECT_FALSE(tok::is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
}

TEST(Unicode, CompletePrefixStopsBeforeATruncatedCharacter) {
  EXPECT_EQ(tok::complete_utf8_prefix("ab\xE2\x82"), 2u);
  EXPECT_EQ(tok::complete_utf8_prefix("ab\xE2\x82\xAC"), 5u);
  EXPECT_EQ(tok::complete_utf8_prefix(""), 0u);
}

}  // namespace
