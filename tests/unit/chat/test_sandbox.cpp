// Sandbox and API behaviour that has no Jinja2 output to compare with: limits, error positions,
// thread safety, template selection from a model folder, argument checks.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "abstractllm/errors.hpp"
#include "engine/chat/chat_template.hpp"
#include "engine/chat/template.hpp"
#include "golden_util.hpp"

namespace {

namespace fs = std::filesystem;
using abstractllm::FileProcessingError;
using abstractllm::InvalidParameterError;
using abstractllm::TemplateError;
using abstractllm::engine::ChatTemplate;
using abstractllm::engine::ChatTemplateOptions;
using abstractllm::engine::jinja::Template;
using abstractllm::engine::jinja::TemplateOptions;

std::string error_of(const std::string& source, const nlohmann::ordered_json& ctx,
                     TemplateOptions options = {}, int* line = nullptr) {
  try {
    Template t(source, options);
    t.render(ctx);
  } catch (const TemplateError& e) {
    if (line) *line = e.line();
    return e.what();
  }
  return "";
}

TEST(Sandbox, OutputLimit) {
  TemplateOptions o;
  o.limits.max_output_bytes = 1000;
  EXPECT_NE(
      error_of("{% for i in range(1000) %}0123456789{% endfor %}", {}, o).find("output size limit"),
      std::string::npos);
  // Under the limit renders.
  Template ok("{% for i in range(10) %}0123456789{% endfor %}", o);
  EXPECT_EQ(ok.render({}).size(), 100u);
}

TEST(Sandbox, LoopIterationLimit) {
  TemplateOptions o;
  o.limits.max_loop_iterations = 5000;
  EXPECT_NE(
      error_of("{% for i in range(100) %}{% for j in range(100) %}{% endfor %}{% endfor %}", {}, o)
          .find("loop iteration limit"),
      std::string::npos);
}

TEST(Sandbox, RecursionLimit) {
  TemplateOptions o;
  o.limits.max_recursion_depth = 50;
  EXPECT_NE(error_of("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", {}, o)
                .find("recursion depth"),
            std::string::npos);
  EXPECT_NE(error_of("{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}", {}, o)
                .find("recursion depth"),
            std::string::npos);
}

TEST(Sandbox, DeepNestingIsASyntaxErrorNotACrash) {
  std::string deep(100000, '(');
  EXPECT_FALSE(error_of("{{ " + deep + "1 }}", {}).empty());
  std::string blocks;
  for (int i = 0; i < 5000; ++i) blocks += "{% if true %}";
  EXPECT_FALSE(error_of(blocks, {}).empty());
  std::string nots;
  for (int i = 0; i < 100000; ++i) nots += "not ";
  EXPECT_FALSE(error_of("{{ " + nots + "x }}", {}).empty());
}

TEST(Sandbox, HugeRepetitionIsRefused) {
  EXPECT_FALSE(error_of("{{ 'x' * 100000000000 }}", {}).empty());
  EXPECT_FALSE(error_of("{{ [1] * 100000000000 }}", {}).empty());
}

TEST(Sandbox, ErrorsCarryLineAndColumn) {
  int line = 0;
  EXPECT_EQ(error_of("a\nb\n  {{ 1 + 'x' }}", {}, {}, &line),
            "unsupported operand type(s) for +: 'int' and 'str'");
  EXPECT_EQ(line, 3);
  try {
    Template t("ok\n{% if %}");
    FAIL();
  } catch (const TemplateError& e) {
    EXPECT_EQ(e.line(), 2);
    EXPECT_GT(e.column(), 0);
  }
  EXPECT_EQ(error_of("{{ raise_exception('boom') }}", {}), "boom");
}

TEST(Sandbox, RenderIsThreadSafe) {
  Template t(
      "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}"
      "{{ m.role }}:{{ m.content | upper }}|{% endfor %}{{ ns.n }}");
  nlohmann::ordered_json ctx = {{"messages", nlohmann::ordered_json::array()}};
  for (int i = 0; i < 50; ++i)
    ctx["messages"].push_back({{"role", "user"}, {"content", "hello " + std::to_string(i)}});
  const std::string expected = t.render(ctx);
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i)
        if (t.render(ctx) != expected) ++mismatches;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("chat_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  fs::path dir_;
};

TEST_F(TempDir, FolderWithoutTemplateFallsBackToChatML) {
  write("tokenizer_config.json", R"({"eos_token": "</s>"})");
  ChatTemplate t = ChatTemplate::from_folder(dir_);
  EXPECT_TRUE(t.is_default());
  EXPECT_EQ(t.source(), ChatTemplate::chatml().source());
  EXPECT_EQ(t.special_tokens()["eos_token"], "</s>");
}

TEST_F(TempDir, JinjaFileBesideConfigWins) {
  write("tokenizer_config.json", R"({"chat_template": "from config"})");
  write("chat_template.jinja", "from file");
  ChatTemplate t = ChatTemplate::from_folder(dir_);
  EXPECT_FALSE(t.is_default());
  EXPECT_EQ(t.source(), "from file");
}

TEST_F(TempDir, NamedTemplatesFromList) {
  write(
      "tokenizer_config.json",
      R"({"chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"}]})");
  EXPECT_EQ(ChatTemplate::from_folder(dir_).source(), "D");
  EXPECT_EQ(ChatTemplate::from_folder(dir_, "tool_use").source(), "T");
  try {
    ChatTemplate::from_folder(dir_, "rag");
    FAIL();
  } catch (const InvalidParameterError& e) {
    EXPECT_NE(std::string(e.what()).find("available: default, tool_use"), std::string::npos);
  }
}

TEST_F(TempDir, MalformedConfigIsAFileError) {
  write("tokenizer_config.json", "{not json");
  EXPECT_THROW(ChatTemplate::from_folder(dir_), FileProcessingError);
  write("tokenizer_config.json", R"({"chat_template": 5})");
  EXPECT_THROW(ChatTemplate::from_folder(dir_), FileProcessingError);
  EXPECT_THROW(ChatTemplate::from_folder(dir_ / "missing"), FileProcessingError);
}

TEST(ChatTemplateApi, RejectsContradictoryOptions) {
  ChatTemplate t = ChatTemplate::chatml();
  ChatTemplateOptions o;
  o.continue_final_message = true;
  o.add_generation_prompt = true;
  nlohmann::ordered_json msgs =
      nlohmann::ordered_json::parse(R"([{"role": "user", "content": "x"}])");
  EXPECT_THROW(t.apply(msgs, o), InvalidParameterError);
  ChatTemplateOptions bad_extra;
  bad_extra.extra = {{"messages", 1}};
  EXPECT_THROW(t.apply(msgs, bad_extra), InvalidParameterError);
  EXPECT_THROW(t.apply(nlohmann::ordered_json::object(), {}), InvalidParameterError);
}

TEST(ChatTemplateApi, UnorderedJsonOverloadRenders) {
  ChatTemplate t = ChatTemplate::chatml();
  nlohmann::json msgs = nlohmann::json::parse(R"([{"role": "user", "content": "x"}])");
  nlohmann::ordered_json omsgs =
      nlohmann::ordered_json::parse(R"([{"role": "user", "content": "x"}])");
  EXPECT_EQ(t.apply(msgs), t.apply(omsgs));
}

}  // namespace

namespace {

TEST(Sandbox, LongChainsAreBounded) {
  std::string sum = "{{ 1";
  for (int i = 0; i < 200000; ++i) sum += "+1";
  EXPECT_NE(error_of(sum + " }}", {}).find("too deep"), std::string::npos);
  std::string filters = "{{ 'x'";
  for (int i = 0; i < 200000; ++i) filters += "|trim";
  EXPECT_NE(error_of(filters + " }}", {}).find("too deep"), std::string::npos);
  std::string attrs = "{{ x";
  for (int i = 0; i < 200000; ++i) attrs += ".a";
  EXPECT_NE(error_of(attrs + " }}", {}).find("too deep"), std::string::npos);
  std::string conds = "{{ 1";
  for (int i = 0; i < 200000; ++i) conds += " if 1 else 2";
  EXPECT_FALSE(error_of(conds + " }}", {}).empty());
  // A long but reasonable chain renders.
  std::string ok = "{{ 0";
  for (int i = 0; i < 300; ++i) ok += " + 1";
  EXPECT_EQ(error_of(ok + " }}", {}), "");
}

TEST(Sandbox, SelfReferenceDoesNotCrash) {
  EXPECT_FALSE(error_of("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}", {}).empty());
  EXPECT_FALSE(error_of("{% set ns = namespace(x=[]) %}{% for i in range(2000) %}"
                        "{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}",
                        {})
                   .empty());
}

}  // namespace
