// Microbenchmarks for ops::attention on Llama-3.2-1B's shape (32 query heads, 8 KV heads,
// head_dim 64) and, for decode, Qwen3-0.6B's (16 query heads, 8 KV heads, head_dim 128), with a
// float or a half-precision KV cache. Reported as GFLOP/s: 4 FLOP per (query head, visible key,
// dimension): 2 for q·k and 2 for p·v. Decode also reports the GB/s of keys and values read
// (in the cache's type; one layer's cache, which stays in the CPU's caches).
//
//   build/bench/bench_ops_attention
//   build/bench/bench_ops_attention --benchmark_filter=Prefill
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "bench_pools.hpp"
#include "engine/ops/attention.hpp"
#include "engine/ops/thread_pool.hpp"

namespace ops = abstractllm::engine::ops;

namespace {

using abstractllm::bench::pool_for;

struct Problem {
  std::vector<float> q, k, v, out;
  std::vector<uint16_t> k16, v16;  // the half-precision cache
  std::vector<ops::AttentionRow> rows;
  ops::AttentionShape shape;
  double flops = 0;
  double kv_bytes = 0;
};

// n_rows query rows at positions context - n_rows .. context - 1 of one sequence; head_dim 64:
// Llama-3.2-1B's heads, 128: Qwen3-0.6B's.
Problem make_problem(int64_t context, int64_t n_rows, int64_t head_dim = 64,
                     ops::KVType kv = ops::KVType::F32) {
  Problem p;
  const int64_t heads = head_dim == 64 ? 32 : 16, kv_heads = 8;
  p.shape = {heads, kv_heads, head_dim, 1.0f / std::sqrt(static_cast<float>(head_dim)), 0, 0};
  std::mt19937 rng(7);
  std::normal_distribution<float> nd;
  p.k.resize(static_cast<size_t>(context * kv_heads * head_dim));
  p.v.resize(p.k.size());
  p.q.resize(static_cast<size_t>(n_rows * heads * head_dim));
  p.out.resize(p.q.size());
  for (auto* vec : {&p.k, &p.v, &p.q})
    for (float& x : *vec) x = nd(rng);
  const void* keys = p.k.data();
  const void* values = p.v.data();
  if (kv == ops::KVType::F16) {
    p.k16.resize(p.k.size());
    p.v16.resize(p.v.size());
    ops::store_kv(p.k.data(), static_cast<int64_t>(p.k.size()), kv, p.k16.data());
    ops::store_kv(p.v.data(), static_cast<int64_t>(p.v.size()), kv, p.v16.data());
    keys = p.k16.data();
    values = p.v16.data();
  }
  for (int64_t r = 0; r < n_rows; ++r) {
    const int64_t pos = context - n_rows + r;
    p.rows.push_back({keys, values, pos, kv});
    p.flops += 4.0 * static_cast<double>(heads * (pos + 1) * head_dim);
  }
  p.kv_bytes = 2.0 * static_cast<double>(context * kv_heads * head_dim) *
               static_cast<double>(ops::kv_element_bytes(kv));
  return p;
}

void run(benchmark::State& state, int64_t context, int64_t n_rows, int threads,
         int64_t head_dim = 64, ops::KVType kv = ops::KVType::F32) {
  Problem p = make_problem(context, n_rows, head_dim, kv);
  ops::ThreadPool& pool = pool_for(threads);
  for (auto _ : state) {
    ops::attention(p.q.data(), p.rows.data(), n_rows, p.shape, p.out.data(), pool);
    benchmark::DoNotOptimize(p.out.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(p.flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  if (n_rows == 1) {
    state.counters["KV_GB/s"] =
        benchmark::Counter(p.kv_bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  }
}

// Causal prefill of a whole prompt. Args: tokens, threads.
void BM_AttentionPrefill(benchmark::State& state) {
  run(state, state.range(0), state.range(0), static_cast<int>(state.range(1)));
}
BENCHMARK(BM_AttentionPrefill)
    ->ArgNames({"tokens", "threads"})
    ->Args({512, 1})
    ->Args({512, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// One new token against a filled cache. Args: context, threads, head_dim (64: Llama-3.2-1B,
// 128: Qwen3-0.6B), kv (0: float cache, 1: half precision).
void BM_AttentionDecode(benchmark::State& state) {
  run(state, state.range(0), 1, static_cast<int>(state.range(1)), state.range(2),
      state.range(3) == 1 ? ops::KVType::F16 : ops::KVType::F32);
}
BENCHMARK(BM_AttentionDecode)
    ->ArgNames({"context", "threads", "head_dim", "kv"})
    ->Args({128, 1, 64, 0})
    ->Args({128, 2, 64, 0})
    ->Args({300, 2, 64, 0})
    ->Args({512, 1, 64, 0})
    ->Args({512, 2, 64, 0})
    ->ArgsProduct({{2048}, {1, 2}, {64, 128}, {0, 1}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// One decode step's attention over every layer of a model at depth, as a decode step runs it:
// n_layers separate caches, 235 MB for Qwen3-0.6B's 28 layers at 2048 tokens in half precision,
// far beyond the CPU's caches, so the keys and values come from memory (BM_AttentionDecode's one
// layer stays in cache). Args: context, threads, head_dim (64: Llama-3.2-1B's 16 layers, 128:
// Qwen3-0.6B's 28), kv (0: float cache, 1: half precision). KV_GB/s: keys and values read per
// second, to set against the read bandwidth (BM_ReadBandwidth in bench_ops_linear).
void BM_AttentionDecodeLayers(benchmark::State& state) {
  const int64_t context = state.range(0), head_dim = state.range(2);
  const auto kv = state.range(3) == 1 ? ops::KVType::F16 : ops::KVType::F32;
  const int64_t n_layers = head_dim == 64 ? 16 : 28;
  std::vector<Problem> layers;
  for (int64_t l = 0; l < n_layers; ++l) layers.push_back(make_problem(context, 1, head_dim, kv));
  ops::ThreadPool& pool = pool_for(static_cast<int>(state.range(1)));
  for (auto _ : state) {
    for (Problem& p : layers) {
      ops::attention(p.q.data(), p.rows.data(), 1, p.shape, p.out.data(), pool);
      benchmark::DoNotOptimize(p.out.data());
    }
    benchmark::ClobberMemory();
  }
  double bytes = 0;
  for (const Problem& p : layers) bytes += p.kv_bytes;
  state.counters["KV_GB/s"] =
      benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_AttentionDecodeLayers)
    ->ArgNames({"context", "threads", "head_dim", "kv"})
    ->ArgsProduct({{2048}, {1, 2}, {64, 128}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
