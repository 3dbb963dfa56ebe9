// Convert throughput: MLX affine quantization of bf16 weights, per core, and a whole convert
// of a synthetic HF folder (llama-1b layer shapes) on one thread.
//   build-io/bench/bench_quant_convert --benchmark_counters_tabular=true
// bytes_per_second counts INPUT bytes (bf16), as the target "≥ 200 MB/s of input per core".
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "engine/io/half.hpp"
#include "engine/io/safetensors.hpp"
#include "engine/quant/affine.hpp"
#include "engine/quant/convert.hpp"
#include "engine/quant/synth.hpp"

namespace {

using namespace abstractllm::engine;

// Quantize rows of a 2048-wide bf16 matrix (widen, round, quantize, pack) on one thread.
void BM_QuantizeBf16Rows(benchmark::State& state) {
  const int bits = static_cast<int>(state.range(0));
  const int group = static_cast<int>(state.range(1));
  const int64_t rows = 256, cols = 2048;
  std::vector<uint16_t> in(static_cast<size_t>(rows * cols));
  std::mt19937 rng(1);
  std::normal_distribution<float> d(0, 0.02f);
  for (auto& v : in) v = f32_to_bf16(d(rng));
  std::vector<float> f(static_cast<size_t>(cols));
  std::vector<uint32_t> packed(static_cast<size_t>(quant::packed_words_per_row(cols, bits)));
  std::vector<uint16_t> s(static_cast<size_t>(cols / group)), b(s.size());
  for (auto _ : state) {
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) f[static_cast<size_t>(c)] = bf16_to_f32(in[static_cast<size_t>(r * cols + c)]);
      quant::quantize_row(f.data(), cols, bits, group, DType::BF16, packed.data(), s.data(),
                          b.data());
      benchmark::DoNotOptimize(packed.data());
    }
  }
  state.SetBytesProcessed(state.iterations() * rows * cols * 2);
}
BENCHMARK(BM_QuantizeBf16Rows)
    ->ArgsProduct({{2, 3, 4, 5, 6, 8}, {64}})
    ->Args({4, 32})
    ->Args({4, 128})
    ->Unit(benchmark::kMillisecond);

// End to end: a bf16 HF folder with 2 llama-1b layers + embedding (~0.75 GB of input),
// converted to 4-bit on ONE thread (reads via mmap, writes shards, copies files).
void BM_ConvertModel4bitOneThread(benchmark::State& state) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / "abstractllm-bench-convert";
  const fs::path hf = root / "hf", out = root / "mlx";
  if (!fs::exists(hf / "config.json")) {
    // synth writes MLX layout, which for bf16 (no --bits) is also a valid HF float folder.
    const fs::path tok = root / "tok";
    fs::create_directories(tok);
    std::ofstream(tok / "tokenizer.json") << "{}";
    quant::SynthOptions o;
    o.preset = "llama-1b";
    o.out = hf;
    o.tokenizer_dir = tok;
    o.layers_override = 2;
    o.force = true;
    quant::synthesize_model(o);
  }
  uint64_t input = 0;
  for (auto _ : state) {
    quant::ConvertOptions c;
    c.hf_path = hf;
    c.mlx_path = out;
    c.quantize = true;
    c.bits = 4;
    c.group_size = 64;
    c.force = true;
    c.threads = 1;
    const auto r = quant::convert_model(c);
    input = r.input_bytes;
    state.SetIterationTime(r.seconds);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input));
}
BENCHMARK(BM_ConvertModel4bitOneThread)->UseManualTime()->Iterations(2)->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
