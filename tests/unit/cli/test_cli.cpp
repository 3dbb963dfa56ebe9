// The `abstractllm` command end to end on the bundled demo model: each subcommand the user
// reaches first, its output format, and its exit status on bad input.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

namespace {

struct Result {
  int status;
  std::string out;
};

// Runs the CLI with `args` (shell-quoted by the caller); stdout only, stderr discarded unless
// `with_stderr`.
Result run(const std::string& args, bool with_stderr = false) {
  std::string cmd = std::string(ABSTRACTLLM_CLI_PATH) + " " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {-1, ""};
  std::string out;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  int rc = pclose(p);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out};
}

const std::string kModel = std::string(ABSTRACTLLM_SOURCE_DIR) + "/models/abstractllm-demo-chat";

}  // namespace

TEST(Cli, GenerateStreamsTheAnswerWithTheDefaultModel) {
  auto r = run("generate --temp 0 --prompt 'What is 12 + 7?'");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "12 + 7 = 19.\n");
}

TEST(Cli, GenerateJson) {
  auto r = run("generate --model " + kModel + " --temp 0 --json --logprobs 2 --prompt 'What is 3 + 4?'");
  ASSERT_EQ(r.status, 0);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["text"], "3 + 4 = 7.");
  EXPECT_EQ(j["finish_reason"], "stop");
  EXPECT_EQ(j["completion_tokens"], j["tokens"].size());
  EXPECT_EQ(j["prompt_tokens"], j["prompt_ids"].size());
  ASSERT_EQ(j["logprobs"].size(), j["tokens"].size());
  EXPECT_EQ(j["logprobs"][0]["top"].size(), 2u);
}

TEST(Cli, GenerateStatsLineAndStdinPrompt) {
  auto r = run("generate --temp 0 --max-tokens 3 < /dev/null", true);
  EXPECT_NE(r.status, 0);  // empty prompt: nothing to generate from
  auto s = run("generate --temp 0 --prompt 'Hello!'", true);
  EXPECT_EQ(s.status, 0);
  EXPECT_NE(s.out.find("Generation:"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("tokens-per-sec"), std::string::npos) << s.out;
}

TEST(Cli, TokenizeDetokenizeRoundTrip) {
  auto t = run("tokenize --model " + kModel + " --no-special --text 'Spell banana.'");
  ASSERT_EQ(t.status, 0);
  auto ids = nlohmann::json::parse(t.out);
  ASSERT_TRUE(ids.is_array());
  ASSERT_FALSE(ids.empty());
  std::string args;
  for (const auto& id : ids) {  // += in two steps: GCC 12's false -Wrestrict on " " + string&&
    args += ' ';
    args += std::to_string(id.get<int>());
  }
  auto d = run("detokenize --model " + kModel + args);
  EXPECT_EQ(d.status, 0);
  EXPECT_NE(d.out.find("Spell banana."), std::string::npos) << d.out;
}

TEST(Cli, ErrorsExitNonZeroWithAMessage) {
  auto missing = run("generate --model /nonexistent/model --prompt hi", true);
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.out.find("error:"), std::string::npos) << missing.out;
  auto bad = run("generate --temp -1 --prompt hi", true);
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.out.find("temperature"), std::string::npos) << bad.out;
  EXPECT_NE(run("no-such-subcommand").status, 0);
}

// A half-precision KV cache through generate and bench, bench at a depth, and their errors.
TEST(Cli, HalfKvCacheAndBenchDepth) {
  auto g = run("generate --temp 0 --kv-type f16 --prompt 'What is 12 + 7?'");
  EXPECT_EQ(g.status, 0);
  EXPECT_EQ(g.out, "12 + 7 = 19.\n");
  auto bad = run("generate --kv-type q8_0 --prompt hi", true);
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.out.find("kv_cache_type"), std::string::npos) << bad.out;

  auto b = run("bench --model " + kModel + " -p 8 -n 4 -r 1 -d 16 --kv-type f16 --json");
  ASSERT_EQ(b.status, 0);
  auto j = nlohmann::json::parse(b.out);
  EXPECT_EQ(j["depth"], 16);
  EXPECT_EQ(j["kv_cache_type"], "f16");
  EXPECT_GT(j["tg"]["tps_mean"].get<double>(), 0.0);
  EXPECT_GT(j["pp"]["tps_mean"].get<double>(), 0.0);
  // One decode run (-r 1): a bandwidth probe before and after it, and its own fraction.
  EXPECT_EQ(j["read_bandwidth_gbps"]["around_tg_runs"].size(), 2u);
  ASSERT_EQ(j["tg"]["roofline_fraction_runs"].size(), 1u);
  EXPECT_GT(j["tg"]["roofline_fraction"].get<double>(), 0.0);
  EXPECT_EQ(j["tg"]["roofline_fraction"], j["tg"]["roofline_fraction_runs"][0]);
  // The probes next to the run are never above the best of all (equal when one of them is it).
  EXPECT_GE(j["tg"]["roofline_fraction"].get<double>(),
            j["tg"]["roofline_fraction_of_best"].get<double>() * (1 - 1e-12));
  auto bad_type = run("bench --model " + kModel + " -p 0 -n 2 --kv-type bf16", true);
  EXPECT_EQ(bad_type.status, 1);
  EXPECT_NE(bad_type.out.find("--kv-type"), std::string::npos) << bad_type.out;
  auto too_deep = run("bench --model " + kModel + " -p 0 -n 2 -d 100000000", true);
  EXPECT_EQ(too_deep.status, 1);
  EXPECT_NE(too_deep.out.find("positions"), std::string::npos) << too_deep.out;
}

TEST(Cli, EverySubcommandHasHelp) {
  for (const char* sub : {"generate", "tokenize", "detokenize", "template", "convert", "bench", "synth", "cache"}) {
    auto r = run(std::string(sub) + " --help");
    EXPECT_EQ(r.status, 0) << sub;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << sub << ": " << r.out;
  }
}
