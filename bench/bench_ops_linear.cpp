// Microbenchmarks for the linear kernels, the thread pool dispatch and read bandwidth.
//
// Decode (batch 1) is memory-bound: reported as GB/s of weight bytes streamed (packed weights +
// scales + biases), to compare with BM_ReadBandwidth on the same machine. The matrices are
// rotated among enough copies (>= 256 MiB in all) that every iteration reads from DRAM, not
// from the last-level cache. Prefill is compute-bound: reported as GFLOP/s (2 per MAC).
// Shapes are Llama-3.2-1B's: 2048x2048 (q/o), 8192x2048 (gate/up), 2048x8192 (down),
// 128256x2048 (tied output embedding).
//
//   build-perf/bench/bench_ops_linear --benchmark_filter=Decode
//   ABSTRACTLLM_BENCH_SIMD=AVX2 build-perf/bench/bench_ops_linear ...   (another SIMD target)
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <hwy/targets.h>

#include "bench_pools.hpp"
#include "huge_page_buffer.hpp"
#include "engine/ops/kernel_common.hpp"
#include "engine/ops/linear.hpp"
#include "engine/ops/memory_bandwidth.hpp"
#include "engine/ops/thread_pool.hpp"
#include "engine/ops/tiled_weights.hpp"

namespace ops = abstractllm::engine::ops;

namespace {

using abstractllm::bench::HugePageBytes;
using abstractllm::bench::pool_for;

void fill_random(HugePageBytes& v, uint64_t seed) {
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i + 8 <= v.size(); i += 8) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    for (int k = 0; k < 8; ++k) v[i + k] = static_cast<uint8_t>(s >> (8 * k));
  }
}

struct Copy {
  HugePageBytes data, scales, biases;  // 2 MiB pages, as the engine maps model files
  HugePageBytes tiled;                 // the Tiles16 form, when asked for
  ops::WeightMatrix w;
};

// Replaces c.w by its Tiles16 form (the layout argument 1 of the benchmarks below; 0 = Rows).
// False when it has none or this CPU has no Tiles16 kernel: the benchmark skips itself.
bool use_tiles(Copy& c, ops::ThreadPool& pool) {
  if (!ops::tileable(c.w) || !ops::tiled_decode_supported()) return false;
  c.tiled.resize(static_cast<size_t>(ops::tiled_bytes(c.w)));
  c.w = ops::tile(c.w, c.tiled.data(), pool);
  c.data = HugePageBytes();
  c.scales = HugePageBytes();
  c.biases = HugePageBytes();
  return true;
}

// Copies of one matrix shape, enough to exceed the caches.
struct MatrixSet {
  std::vector<Copy> copies;
  size_t bytes_each = 0;
};

MatrixSet make_set(int64_t rows, int64_t cols, ops::WeightFormat format, int bits, int group) {
  MatrixSet set;
  size_t data_bytes, sb_bytes = 0;
  if (format == ops::WeightFormat::Affine) {
    data_bytes = static_cast<size_t>(rows * cols * bits / 8);
    sb_bytes = static_cast<size_t>(rows * (cols / group) * 2);  // f16
  } else {
    data_bytes = static_cast<size_t>(rows * cols) * (format == ops::WeightFormat::F32 ? 4 : 2);
  }
  set.bytes_each = data_bytes + 2 * sb_bytes;
  const size_t n = std::max<size_t>(2, (size_t{256} << 20) / set.bytes_each + 1);
  set.copies.resize(n);
  for (size_t i = 0; i < n; ++i) {
    Copy& c = set.copies[i];
    c.data.resize(data_bytes);
    fill_random(c.data, i + 1);
    if (format == ops::WeightFormat::F16 || format == ops::WeightFormat::BF16) {
      // Keep values finite and small: 0x2xxx-0x3bff f16, 0x3cxx bf16.
      for (size_t k = 1; k < data_bytes; k += 2)
        c.data[k] = static_cast<uint8_t>(0x30 | (c.data[k] & 7));
    } else if (format == ops::WeightFormat::F32) {
      for (size_t k = 3; k < data_bytes; k += 4) c.data[k] = 0x3c;
    }
    c.scales.assign(sb_bytes, 0);
    c.biases.assign(sb_bytes, 0);
    for (size_t k = 1; k < sb_bytes; k += 2) {
      c.scales[k] = 0x20;  // small positive f16
      c.biases[k] = 0xa0;  // small negative f16
    }
    c.w.format = format;
    c.w.rows = rows;
    c.w.cols = cols;
    c.w.data = c.data.data();
    c.w.bits = bits;
    c.w.group_size = group;
    c.w.scale_type = ops::ScaleType::F16;
    c.w.scales = c.scales.data();
    c.w.biases = c.biases.data();
  }
  return set;
}

std::vector<float> make_x(int64_t n) {
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    x[static_cast<size_t>(i)] = static_cast<float>((i * 7919) % 200 - 100) / 100.0f;
  return x;
}

// args: rows, cols, bits (0 = f16, 1 = bf16, 32 = f32), threads, layout (1 = Tiles16)
void BM_Decode(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1);
  const int bits = static_cast<int>(state.range(2));
  const int threads = static_cast<int>(state.range(3));
  const ops::WeightFormat f = bits == 0    ? ops::WeightFormat::F16
                              : bits == 1  ? ops::WeightFormat::BF16
                              : bits == 32 ? ops::WeightFormat::F32
                                           : ops::WeightFormat::Affine;
  MatrixSet set = make_set(rows, cols, f, bits, 64);
  auto x = make_x(cols);
  std::vector<float> y(static_cast<size_t>(rows));
  ops::ThreadPool& pool = pool_for(threads);
  if (state.range(4) == 1) {
    for (Copy& c : set.copies) {
      if (!use_tiles(c, pool)) {
        state.SkipWithError("no Tiles16 form or kernel here");
        return;
      }
    }
  }
  size_t i = 0;
  for (auto _ : state) {
    ops::linear(set.copies[i].w, x.data(), 1, y.data(), pool);
    benchmark::DoNotOptimize(y.data());
    i = (i + 1) % set.copies.size();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(set.bytes_each));
}

// The same kernel on one small matrix that stays in cache: the kernel's compute speed, without
// DRAM. Args: rows, cols, bits, threads.
void BM_DecodeHot(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1);
  const int bits = static_cast<int>(state.range(2));
  MatrixSet set = make_set(rows, cols, ops::WeightFormat::Affine, bits, 64);
  set.copies.resize(1);
  auto x = make_x(cols);
  std::vector<float> y(static_cast<size_t>(rows));
  ops::ThreadPool& pool = pool_for(static_cast<int>(state.range(3)));
  if (state.range(4) == 1 && !use_tiles(set.copies[0], pool)) {
    state.SkipWithError("no Tiles16 form or kernel here");
    return;
  }
  for (auto _ : state) {
    ops::linear(set.copies[0].w, x.data(), 1, y.data(), pool);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(set.bytes_each));
}

// args: rows, cols, bits, threads, tokens
void BM_Prefill(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1);
  const int bits = static_cast<int>(state.range(2));
  const int threads = static_cast<int>(state.range(3));
  const int64_t tokens = state.range(4);
  MatrixSet set = make_set(rows, cols, ops::WeightFormat::Affine, bits, 64);
  set.copies.resize(1);
  auto x = make_x(cols * tokens);
  std::vector<float> y(static_cast<size_t>(rows * tokens));
  ops::ThreadPool& pool = pool_for(threads);
  for (auto _ : state) {
    ops::linear(set.copies[0].w, x.data(), tokens, y.data(), pool);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(rows * cols * tokens) *
                                                     static_cast<double>(state.iterations()) / 1e9,
                                                 benchmark::Counter::kIsRate);
}

// Every linear of one Llama-3.2-1B decode step (16 layers x q,k,v,o,gate,up,down, plus the
// 128256x2048 output matrix), each with its own weights (~0.7 GB at 4-bit g64, like the real
// model), at batch 1: the matrix part of tg, in tokens/s and GB/s. Args: bits, threads.
void BM_Llama1BDecodeLinears(benchmark::State& state) {
  const int bits = static_cast<int>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  const bool tiles = state.range(2) == 1;
  struct Shape {
    int64_t rows, cols;
  };
  std::vector<Shape> shapes;
  for (int l = 0; l < 16; ++l) {
    for (Shape sh : {Shape{2048, 2048}, Shape{512, 2048}, Shape{512, 2048}, Shape{2048, 2048},
                     Shape{8192, 2048}, Shape{8192, 2048}, Shape{2048, 8192}}) {
      shapes.push_back(sh);
    }
  }
  shapes.push_back({128256, 2048});
  std::vector<Copy> mats;
  mats.reserve(shapes.size());
  size_t total = 0;
  uint64_t seed = 1;
  for (Shape sh : shapes) {
    Copy c;
    c.data.resize(static_cast<size_t>(sh.rows * sh.cols * bits / 8));
    fill_random(c.data, seed++);
    const size_t sb = static_cast<size_t>(sh.rows * (sh.cols / 64) * 2);
    c.scales.assign(sb, 0x20);
    c.biases.assign(sb, 0xa0);
    total += c.data.size() + 2 * sb;
    c.w.format = ops::WeightFormat::Affine;
    c.w.rows = sh.rows;
    c.w.cols = sh.cols;
    c.w.bits = bits;
    c.w.group_size = 64;
    c.w.scale_type = ops::ScaleType::F16;
    mats.push_back(std::move(c));
  }
  ops::ThreadPool& pool = pool_for(threads);
  for (auto& c : mats) {
    c.w.data = c.data.data();
    c.w.scales = c.scales.data();
    c.w.biases = c.biases.data();
    if (tiles && !use_tiles(c, pool)) {
      state.SkipWithError("no Tiles16 form or kernel here");
      return;
    }
  }
  auto x = make_x(8192);
  std::vector<float> y(128256);
  for (auto _ : state) {
    for (auto& c : mats) ops::linear(c.w, x.data(), 1, y.data(), pool);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(total));
  state.counters["tok/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["MB/token"] = static_cast<double>(total) / 1e6;
}

// The cost of one parallel_for with trivial work: the per-op dispatch overhead.
void BM_PoolDispatch(benchmark::State& state) {
  ops::ThreadPool& pool = pool_for(static_cast<int>(state.range(0)));
  std::vector<int64_t> sink(64);
  for (auto _ : state) {
    pool.parallel_for(pool.size() * 4, [&](int64_t b, int64_t e) { sink[b] += e; });
  }
  benchmark::DoNotOptimize(sink.data());
}

// Args: threads, prefetch (1: every line also prefetched into L2 as far ahead as the decode
// kernels ask, ABSTRACTLLM_PREFETCH_BYTES or 8 KiB; what that costs a core with no arithmetic).
void BM_ReadBandwidth(benchmark::State& state) {
  ops::ThreadPool& pool = pool_for(static_cast<int>(state.range(0)));
  const int64_t distance = state.range(1) != 0 ? ops::detail::prefetch_distance() : 0;
  ops::BandwidthResult r;
  for (auto _ : state) r = ops::measure_read_bandwidth(pool, size_t{512} << 20, 5, distance);
  state.counters["best_GB/s"] = r.best_gbps;
  state.counters["median_GB/s"] = r.median_gbps;
}

}  // namespace

BENCHMARK(BM_ReadBandwidth)
    ->ArgNames({"threads", "prefetch"})
    ->ArgsProduct({{1, 2}, {0, 1}})
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PoolDispatch)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Decode)
    ->ArgNames({"rows", "cols", "bits", "threads", "layout"})
    ->ArgsProduct({{2048}, {2048}, {4, 8}, {1, 2}, {0}})
    ->ArgsProduct({{8192}, {2048}, {4, 8}, {1, 2}, {0}})
    ->ArgsProduct({{2048}, {8192}, {4, 8}, {1, 2}, {0}})
    ->ArgsProduct({{128256}, {2048}, {4, 8}, {1, 2}, {0, 1}})
    // Qwen2.5-0.5B's gate/up and down: 896 = 14 groups of 64, 4864 = 76, group counts that
    // are not a multiple of 8.
    ->ArgsProduct({{4864}, {896}, {4, 8}, {1, 2}, {0}})
    ->ArgsProduct({{896}, {4864}, {4, 8}, {1, 2}, {0}})
    ->ArgsProduct({{2048}, {2048}, {2, 3, 5, 6}, {2}, {0}})
    ->ArgsProduct({{2048}, {2048}, {0, 1, 32}, {1, 2}, {0}})
    // Tiles16 on the other Llama-1B shapes, 4- and 8-bit
    ->ArgsProduct({{2048, 8192}, {2048}, {4, 8}, {1, 2}, {1}})
    ->ArgsProduct({{2048}, {8192}, {4, 8}, {1, 2}, {1}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Llama1BDecodeLinears)
    ->ArgNames({"bits", "threads", "layout"})
    ->ArgsProduct({{4, 8}, {1, 2}, {0}})
    ->ArgsProduct({{4, 8}, {1, 2}, {1}})  // Tiles16
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeHot)
    ->ArgNames({"rows", "cols", "bits", "threads", "layout"})
    ->ArgsProduct({{256}, {2048}, {2, 3, 4, 5, 6, 8}, {1}, {0}})
    ->ArgsProduct({{256}, {896}, {4, 8}, {1}, {0}})  // 14 groups a row
    ->ArgsProduct({{256}, {2048, 896}, {4, 8}, {1}, {1}})  // Tiles16
    ->ArgsProduct({{64}, {8192}, {4}, {1}, {0, 1}})     // down_proj's rows
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Prefill)
    ->ArgNames({"rows", "cols", "bits", "threads", "tokens"})
    ->ArgsProduct({{2048}, {2048}, {4}, {1, 2}, {64, 512}})
    // The other Llama-3.2-1B shapes: k/v, gate/up, down (8192-wide rows).
    ->Args({512, 2048, 4, 1, 512})
    ->Args({8192, 2048, 4, 1, 512})
    ->Args({2048, 8192, 4, 1, 512})
    // 3- and 6-bit rows (unpacked with pshufb, not shift/mask).
    ->Args({2048, 2048, 3, 1, 512})
    ->Args({2048, 2048, 6, 1, 512})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// ABSTRACTLLM_BENCH_SIMD=AVX2 (a Highway target name: SSE4, AVX2, AVX3, ...) runs the kernels
// compiled for that target instead of the best one this CPU supports, to compare the targets
// on one machine.
int main(int argc, char** argv) {
  if (const char* want = std::getenv("ABSTRACTLLM_BENCH_SIMD")) {
    int64_t chosen = 0;
    for (int64_t t : hwy::SupportedAndGeneratedTargets()) {
      if (std::string(hwy::TargetName(t)) == want) chosen = t;
    }
    if (chosen == 0) {
      std::fprintf(stderr, "ABSTRACTLLM_BENCH_SIMD=%s: not a target this build has and this CPU runs\n",
                   want);
      return 2;
    }
    hwy::SetSupportedTargetsForTest(chosen);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
