// Real chat templates (npm tokenizer packages fetched by scripts/fetch-test-data) and templates of
// other families written for this project (tests/fixtures/chat/templates), each rendered over a
// set of conversations and compared byte for byte with transformers' rendering through Python
// Jinja2 (tests/fixtures/chat/goldens/<family>.json, made by tools/chat_templates/make_goldens.py).
#include <gtest/gtest.h>

#include <filesystem>

#include "../../unit/chat/golden_util.hpp"
#include "abstractllm/errors.hpp"
#include "engine/chat/chat_template.hpp"

namespace {

namespace fs = std::filesystem;
using abstractllm::engine::ChatTemplate;
using abstractllm::engine::ChatTemplateOptions;

std::vector<std::string> families() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(ABSTRACTLLM_FIXTURES_DIR "/chat/goldens")) {
    std::string stem = e.path().stem().string();
    if (e.path().extension() == ".json" && stem != "constructs") out.push_back(stem);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class RealTemplate : public ::testing::TestWithParam<std::string> {};

TEST_P(RealTemplate, MatchesTransformers) {
  chat_test::pin_utc();
  const auto golden =
      chat_test::load_json(ABSTRACTLLM_FIXTURES_DIR "/chat/goldens/" + GetParam() + ".json");
  const fs::path folder = fs::path(ABSTRACTLLM_SOURCE_DIR) / golden["folder"].get<std::string>();
  if (!fs::exists(folder)) GTEST_SKIP() << folder << " missing: run scripts/fetch-test-data";
  const std::string name =
      golden["template_name"].is_null() ? "" : golden["template_name"].get<std::string>();
  ChatTemplate base = ChatTemplate::from_folder(folder, name);
  // Same source and special tokens, with strftime_now pinned to the goldens' instant.
  abstractllm::engine::jinja::TemplateOptions options;
  const long long epoch = golden["strftime_now_epoch"].get<long long>();
  options.now = [epoch] { return epoch; };
  ChatTemplate tmpl(base.source(), options);
  tmpl.set_special_tokens(base.special_tokens());
  EXPECT_EQ(base.special_tokens(), golden["special_tokens"]);

  int matched = 0;
  for (const auto& c : golden["cases"]) {
    SCOPED_TRACE(GetParam() + " / " + c["name"].get<std::string>());
    ChatTemplateOptions o;
    o.tools = c["tools"];
    o.add_generation_prompt = c["add_generation_prompt"].get<bool>();
    o.continue_final_message = c["continue_final_message"].get<bool>();
    o.extra = c["extra"];
    if (c.contains("expected")) {
      try {
        EXPECT_EQ(tmpl.apply(c["messages"], o), c["expected"].get<std::string>());
        ++matched;
      } catch (const abstractllm::Error& e) {
        ADD_FAILURE() << "unexpected error: " << e.what();
      }
      continue;
    }
    const std::string type = c["error"]["type"].get<std::string>();
    if (type == "ValueError") {  // apply_chat_template's own checks (continue_final_message)
      EXPECT_THROW(tmpl.apply(c["messages"], o), abstractllm::InvalidParameterError);
      continue;
    }
    try {
      std::string out = tmpl.apply(c["messages"], o);
      ADD_FAILURE() << "expected " << type << ": " << c["error"]["message"] << "; got " << out;
    } catch (const abstractllm::TemplateError& e) {
      EXPECT_EQ(std::string(e.what()), c["error"]["message"].get<std::string>());
      ++matched;
    }
  }
  EXPECT_GT(matched, 0);
}

INSTANTIATE_TEST_SUITE_P(Goldens, RealTemplate, ::testing::ValuesIn(families()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
