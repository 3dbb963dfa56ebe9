// Whole-model forward benchmarks (model library only: no tokenizer, chat or CLI needed):
// decode (tg: one token per forward, cache reset every 128 tokens, like llama-bench's tg128) and
// prefill (pp: 512 tokens in one forward), with the read bandwidth measured in the same process
// and decode's fraction of the roofline (bandwidth / weight bytes).
//
//   ABSTRACTLLM_BENCH_MODEL=/tmp/perfwork/llama-1b-q4g64 build-perf/bench/bench_model_forward
//
// If the folder does not exist and ABSTRACTLLM_BENCH_SYNTH=<preset>:<bits> is set, the model is
// first written with quant::synthesize_model (tokenizer.json from ABSTRACTLLM_BENCH_TOKENIZER).
// `abstractllm bench` reports the same figures from the CLI.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench_pools.hpp"
#include "engine/model/model.hpp"
#include "engine/ops/memory_bandwidth.hpp"
#include "engine/ops/thread_pool.hpp"
#include "engine/quant/synth.hpp"

namespace model = abstractllm::engine::model;
namespace ops = abstractllm::engine::ops;

namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

model::Model* the_model() {
  static std::unique_ptr<model::Model> m = [] {
    const char* dir = env("ABSTRACTLLM_BENCH_MODEL");
    if (dir == nullptr) return std::unique_ptr<model::Model>();
    if (!std::filesystem::exists(std::filesystem::path(dir) / "config.json")) {
      const char* synth = env("ABSTRACTLLM_BENCH_SYNTH");
      if (synth == nullptr) return std::unique_ptr<model::Model>();
      std::string spec = synth;
      abstractllm::engine::quant::SynthOptions o;
      o.preset = spec.substr(0, spec.find(':'));
      if (spec.find(':') != std::string::npos) o.bits = std::stoi(spec.substr(spec.find(':') + 1));
      for (const auto& p : abstractllm::engine::quant::synth_presets()) {
        if (p.name == o.preset) o.arch = p.arch;
      }
      o.out = dir;
      if (const char* tok = env("ABSTRACTLLM_BENCH_TOKENIZER")) o.tokenizer_dir = tok;
      abstractllm::engine::quant::synthesize_model(o);
    }
    return model::Model::load(dir);
  }();
  return m.get();
}

using abstractllm::bench::pool_for;

double bandwidth(int threads) {
  static double bw[65] = {};
  if (bw[threads] == 0.0) {
    bw[threads] =
        ops::measure_read_bandwidth(pool_for(threads), std::size_t{512} << 20, 5).best_gbps;
  }
  return bw[threads];
}

std::vector<int32_t> random_tokens(int64_t n, int64_t vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> d(0, vocab - 1);
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (auto& v : t) v = static_cast<int32_t>(d(rng));
  return t;
}

void BM_Decode(benchmark::State& state) {
  model::Model* m = the_model();
  if (m == nullptr) {
    state.SkipWithError("set ABSTRACTLLM_BENCH_MODEL (and ABSTRACTLLM_BENCH_SYNTH) to run");
    return;
  }
  const int threads = static_cast<int>(state.range(0));
  ops::ThreadPool& pool = pool_for(threads);
  const double bw = bandwidth(threads);
  model::KVCache cache = m->make_cache(129);
  std::vector<float> logits(static_cast<size_t>(m->spec().vocab));
  const auto tokens = random_tokens(128, m->spec().vocab, 2);
  size_t i = 0;
  for (auto _ : state) {
    if (i == tokens.size()) {
      state.PauseTiming();
      cache.clear();
      i = 0;
      state.ResumeTiming();
    }
    model::SequenceChunk c{&cache, std::span<const int32_t>(&tokens[i], 1), logits.data()};
    m->forward(std::span<const model::SequenceChunk>(&c, 1), pool);
    ++i;
  }
  state.counters["tok/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["model_MB"] = static_cast<double>(m->weight_bytes()) / 1e6;
  state.counters["read_GB/s"] = bw;
  state.counters["roofline_tok/s"] = bw * 1e9 / static_cast<double>(m->weight_bytes());
}

void BM_Prefill(benchmark::State& state) {
  model::Model* m = the_model();
  if (m == nullptr) {
    state.SkipWithError("set ABSTRACTLLM_BENCH_MODEL (and ABSTRACTLLM_BENCH_SYNTH) to run");
    return;
  }
  const int threads = static_cast<int>(state.range(0));
  const int64_t n = state.range(1);
  ops::ThreadPool& pool = pool_for(threads);
  model::KVCache cache = m->make_cache(n + 1);
  std::vector<float> logits(static_cast<size_t>(m->spec().vocab));
  const auto tokens = random_tokens(n, m->spec().vocab, 1);
  for (auto _ : state) {
    cache.clear();
    model::SequenceChunk c{&cache, std::span<const int32_t>(tokens), logits.data()};
    m->forward(std::span<const model::SequenceChunk>(&c, 1), pool);
  }
  state.counters["tok/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * n), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_Decode)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->MinTime(3.0)->Unit(
    benchmark::kMillisecond);
BENCHMARK(BM_Prefill)
    ->ArgNames({"threads", "tokens"})
    ->Args({2, 512})
    ->Args({1, 512})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
