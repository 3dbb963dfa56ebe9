// Every interpreter construct, checked against Python Jinja2's output for the same template and
// context (tests/fixtures/chat/goldens/constructs.json, made by tools/chat_templates/).
#include <gtest/gtest.h>

#include "abstractllm/errors.hpp"
#include "engine/chat/template.hpp"
#include "golden_util.hpp"

namespace {

using abstractllm::TemplateError;
using abstractllm::engine::jinja::Template;
using abstractllm::engine::jinja::TemplateOptions;

const nlohmann::ordered_json& goldens() {
  static const nlohmann::ordered_json g =
      chat_test::load_json(ABSTRACTLLM_FIXTURES_DIR "/chat/goldens/constructs.json");
  return g;
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const auto& c : goldens()["cases"]) names.push_back(c["name"].get<std::string>());
  return names;
}

class Construct : public ::testing::TestWithParam<std::string> {};

TEST_P(Construct, MatchesJinja2) {
  chat_test::pin_utc();
  const nlohmann::ordered_json* found = nullptr;
  for (const auto& c : goldens()["cases"])
    if (c["name"] == GetParam()) found = &c;
  ASSERT_NE(found, nullptr);
  const auto& c = *found;
  TemplateOptions options;
  const long long epoch = goldens()["strftime_now_epoch"].get<long long>();
  options.now = [epoch] { return epoch; };
  const std::string source = c["template"].get<std::string>();
  if (c.contains("expected")) {
    try {
      Template t(source, options);
      EXPECT_EQ(t.render(c["context"]), c["expected"].get<std::string>()) << "template: " << source;
    } catch (const TemplateError& e) {
      FAIL() << "unexpected TemplateError: " << e.what() << " at " << e.line() << ":" << e.column()
             << "\ntemplate: " << source;
    }
    return;
  }
  const auto& error = c["error"];
  try {
    Template t(source, options);
    std::string out = t.render(c["context"]);
    FAIL() << "expected " << error["type"] << ": " << error["message"] << ", got output: " << out;
  } catch (const TemplateError& e) {
    EXPECT_EQ(std::string(e.what()), error["message"].get<std::string>()) << "template: " << source;
    if (error.contains("line") && error["type"] == "TemplateSyntaxError") {
      EXPECT_EQ(e.line(), error["line"].get<int>());
    }
    EXPECT_GT(e.line(), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Jinja2, Construct, ::testing::ValuesIn(case_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
