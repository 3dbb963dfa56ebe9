// Whole-model forward benchmarks (model library only: no tokenizer, chat or CLI needed):
// decode (tg: one token per forward, cache reset every 128 tokens, like llama-bench's tg128) and
// prefill (pp: 512 tokens in one forward), with the read bandwidth measured in the same process
// and decode's fraction of the roofline (bandwidth / weight bytes).
//
//   ABSTRACTLLM_BENCH_MODEL=/tmp/perfwork/llama-1b-q4g64 build-perf/bench/bench_model_forward
//
// BM_DecodeAB compares decode settings (ops::DecodeTuning) token by token in one process:
//
//   ABSTRACTLLM_BENCH_MODEL=... ABSTRACTLLM_BENCH_AB='prefetch=8192;prefetch=4096,blocks=2' \
//     build/bench/bench_model_forward --benchmark_filter=BM_DecodeAB
//
// Settings are separated by ';', each a ','-separated list of prefetch=BYTES, blocks=N,
// tiled_prefetch=BYTES and repack=0|1 (unset fields keep the environment's defaults; repack=1
// runs the token on a second instance of the model whose 4-bit matrices were repacked,
// Model::tile_weights); without the variable it compares the default prefetch distance against
// none. Consecutive tokens cycle through the settings, so each
// cycle's tokens meet the same memory bandwidth; per setting it reports tokens/s (from the
// median token time) and s<i>_vs_s0, the median over cycles of (setting 0's token time /
// setting i's): above 1 is faster than setting 0.
//
// ABSTRACTLLM_BENCH_REPACK8=1 repacks the 8-bit matrices too (Model::tile_weights leaves them
// in the file's layout by default).
//
// ABSTRACTLLM_BENCH_NO_MMAP=1 reads the weights into anonymous huge pages (FileLoad::Read, the
// CLI's --no-mmap) instead of mapping the files.
//
// If the folder does not exist and ABSTRACTLLM_BENCH_SYNTH=<preset>:<bits> is set, the model is
// first written with quant::synthesize_model (tokenizer.json from ABSTRACTLLM_BENCH_TOKENIZER).
// `abstractllm bench` reports the same figures from the CLI.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench_pools.hpp"
#include "engine/io/safetensors.hpp"
#include "engine/model/model.hpp"
#include "engine/model/tiled_cache.hpp"
#include "engine/ops/decode_tuning.hpp"
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

std::unique_ptr<model::Model> load_bench_model() {
  {
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
    return model::Model::load(dir, env("ABSTRACTLLM_BENCH_NO_MMAP") != nullptr
                                       ? abstractllm::engine::FileLoad::Read
                                       : abstractllm::engine::FileLoad::Map);
  }
}

model::Model* the_model() {
  static std::unique_ptr<model::Model> m = load_bench_model();
  return m.get();
}

// A second instance of the model, its 4-bit matrices repacked (Model::tile_weights): what
// BM_DecodeAB's repack=1 settings run on.
model::Model* the_repacked_model() {
  static std::unique_ptr<model::Model> m = [] {
    std::unique_ptr<model::Model> r = load_bench_model();
    // As users get it: from (or into) the default cache folder of repacked weights.
    model::TilingOptions options;
    options.cache_dir = model::default_repack_cache_dir();
    options.eight_bit = env("ABSTRACTLLM_BENCH_REPACK8") != nullptr;
    if (r) r->tile_weights(ops::ThreadPool::global(), options);
    return r;
  }();
  return m.get();
}

// the_model(), or nullptr after marking the benchmark skipped.
model::Model* model_or_skip(benchmark::State& state) {
  model::Model* m = the_model();
  if (m == nullptr) {
    state.SkipWithError("set ABSTRACTLLM_BENCH_MODEL (and ABSTRACTLLM_BENCH_SYNTH) to run");
  }
  return m;
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
  model::Model* m = model_or_skip(state);
  if (m == nullptr) return;
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

// One of BM_DecodeAB's settings: the kernels' tuning, and which instance of the model.
struct ABSetting {
  ops::DecodeTuning tuning;
  bool repacked = false;
};

// ABSTRACTLLM_BENCH_AB's settings (see the top of the file); empty after an error, which is
// reported through `error`.
std::vector<ABSetting> ab_settings(std::string& error) {
  const char* spec = env("ABSTRACTLLM_BENCH_AB");
  const ops::DecodeTuning base = ops::decode_tuning();
  if (spec == nullptr) {
    ops::DecodeTuning none = base;
    none.prefetch_bytes = 0;
    return {{base}, {none}};
  }
  std::vector<ABSetting> out;
  std::string all = spec;
  for (size_t a = 0; a <= all.size();) {
    size_t b = std::min(all.find(';', a), all.size());
    ABSetting t{base};
    const std::string one = all.substr(a, b - a);
    for (size_t c = 0; c < one.size();) {
      size_t d = std::min(one.find(',', c), one.size());
      const std::string kv = one.substr(c, d - c);
      const size_t eq = kv.find('=');
      const std::string key = kv.substr(0, eq);
      char* end = nullptr;
      const long long v =
          eq == std::string::npos ? -1 : std::strtoll(kv.c_str() + eq + 1, &end, 10);
      if (eq == std::string::npos || end == nullptr || *end != '\0' || eq + 1 == kv.size() ||
          (key != "prefetch" && key != "blocks" && key != "tiled_prefetch" &&
           key != "repack")) {
        error =
            "ABSTRACTLLM_BENCH_AB: expected prefetch=BYTES, blocks=N, tiled_prefetch=BYTES or "
            "repack=0|1, got '" + kv + "'";
        return {};
      }
      if (key == "repack") {
        t.repacked = v != 0;
      } else {
        (key == "prefetch"   ? t.tuning.prefetch_bytes
         : key == "blocks"   ? t.tuning.blocks_per_thread
                             : t.tuning.tiled_prefetch_bytes) = v;
      }
      c = d + 1;
    }
    out.push_back(t);
    a = b + 1;
  }
  return out;
}

void BM_DecodeAB(benchmark::State& state) {
  model::Model* m = model_or_skip(state);
  if (m == nullptr) return;
  std::string error;
  const std::vector<ABSetting> settings = ab_settings(error);
  if (settings.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  const ops::DecodeTuning saved = ops::decode_tuning();
  for (const auto& t : settings) {  // refuse a bad setting before any token runs
    try {
      ops::set_decode_tuning(t.tuning);
    } catch (const std::exception& e) {
      ops::set_decode_tuning(saved);  // the settings before it were applied
      state.SkipWithError(e.what());
      return;
    }
  }
  ops::ThreadPool& pool = pool_for(static_cast<int>(state.range(0)));
  // Each instance of the model keeps its own cache; both see the same tokens.
  model::Model* repacked = nullptr;
  for (const auto& t : settings) {
    if (t.repacked) repacked = the_repacked_model();
  }
  model::KVCache cache = m->make_cache(129);
  model::KVCache repacked_cache = (repacked ? repacked : m)->make_cache(129);
  std::vector<float> logits(static_cast<size_t>(m->spec().vocab));
  const auto tokens = random_tokens(128, m->spec().vocab, 2);
  const size_t n = settings.size();
  std::vector<std::vector<double>> seconds(n);
  size_t i = 0, k = 0;
  for (auto _ : state) {
    if (i == tokens.size()) {
      cache.clear();
      repacked_cache.clear();
      i = 0;
    }
    ops::set_decode_tuning(settings[k].tuning);
    // A token runs on one instance; the other instance's cache gets the same token (untimed)
    // when the cycle next reaches it, so both stay at the same position.
    const bool on_repacked = settings[k].repacked;
    model::Model* mk = on_repacked ? repacked : m;
    model::KVCache& ck = on_repacked ? repacked_cache : cache;
    while (ck.size() < static_cast<int64_t>(i)) {
      model::SequenceChunk c{&ck, std::span<const int32_t>(&tokens[ck.size()], 1), nullptr};
      mk->forward(std::span<const model::SequenceChunk>(&c, 1), pool);
    }
    const auto t0 = std::chrono::steady_clock::now();
    model::SequenceChunk c{&ck, std::span<const int32_t>(&tokens[i], 1), logits.data()};
    mk->forward(std::span<const model::SequenceChunk>(&c, 1), pool);
    seconds[k].push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    ++i;
    k = (k + 1) % n;
  }
  ops::set_decode_tuning(saved);
  const size_t cycles = seconds.back().size();  // complete cycles
  if (cycles == 0) return;                      // Google Benchmark's first, one-token pass
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  for (size_t j = 0; j < n; ++j) {
    std::vector<double> ratio(cycles);
    for (size_t q = 0; q < cycles; ++q) ratio[q] = seconds[0][q] / seconds[j][q];
    const std::string name = "s" + std::to_string(j);
    state.counters[name + "_tok/s"] = 1.0 / median(seconds[j]);
    if (j > 0) state.counters[name + "_vs_s0"] = median(ratio);
  }
  state.counters["cycles"] = static_cast<double>(cycles);
}

void BM_Prefill(benchmark::State& state) {
  model::Model* m = model_or_skip(state);
  if (m == nullptr) return;
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
BENCHMARK(BM_DecodeAB)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->MinTime(20.0)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Prefill)
    ->ArgNames({"threads", "tokens"})
    ->Args({2, 512})
    ->Args({1, 512})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
