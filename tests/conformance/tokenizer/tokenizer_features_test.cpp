// Feature conformance: one small tokenizer.json per pipeline feature (split behaviours,
// normalizers, pre-tokenizers, added-token flags, post-processors, decoders), with ids and
// decodes recorded from the Rust `tokenizers` library by tools/tokenizer/make_features.js.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/tokenizer/tokenizer.hpp"

namespace fs = std::filesystem;
using abstractllm::engine::Tokenizer;
using nlohmann::json;

namespace {

const json& features() {
  static const json j = [] {
    std::ifstream in(fs::path(ABSTRACTLLM_FIXTURES_DIR) / "tokenizer" / "expected_features.json");
    return json::parse(in);
  }();
  return j;
}

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const auto& f : features()) out.push_back(f["name"]);
  return out;
}

class Feature : public ::testing::TestWithParam<std::string> {};

TEST_P(Feature, MatchesTheRustLibrary) {
  const json* f = nullptr;
  for (const auto& x : features())
    if (x["name"] == GetParam()) f = &x;
  ASSERT_NE(f, nullptr);
  const Tokenizer tok = Tokenizer::from_json((*f)["tokenizer"].dump());
  for (const auto& c : (*f)["cases"]) {
    const std::string text = c["text"];
    EXPECT_EQ(tok.encode(text, true), c["with_special"].get<std::vector<int32_t>>())
        << GetParam() << ": \"" << text << "\" with special tokens";
    EXPECT_EQ(tok.encode(text, false), c["without_special"].get<std::vector<int32_t>>())
        << GetParam() << ": \"" << text << "\" without special tokens";
    const auto ids = c["with_special"].get<std::vector<int32_t>>();
    EXPECT_EQ(tok.decode(ids, false), c["decoded"].get<std::string>())
        << GetParam() << ": decode of \"" << text << "\"";
    EXPECT_EQ(tok.decode(ids, true), c["decoded_skip_special"].get<std::string>())
        << GetParam() << ": decode(skip_special) of \"" << text << "\"";
  }
}

INSTANTIATE_TEST_SUITE_P(Tokenizer, Feature, ::testing::ValuesIn(names()),
                         [](const auto& info) { return info.param; });

}  // namespace
