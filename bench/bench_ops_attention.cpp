// Microbenchmarks for ops::attention on Llama-3.2-1B's shape (32 query heads, 8 KV heads,
// head_dim 64). Reported as GFLOP/s: 4 FLOP per (query head, visible key, dimension): 2 for
// q·k and 2 for p·v. Decode also reports the GB/s of keys and values read.
//
//   build/bench/bench_ops_attention
//   build/bench/bench_ops_attention --benchmark_filter=Prefill
#include <benchmark/benchmark.h>

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

constexpr int64_t kHeads = 32, kKvHeads = 8, kHeadDim = 64;

struct Problem {
  std::vector<float> q, k, v, out;
  std::vector<ops::AttentionRow> rows;
  ops::AttentionShape shape{kHeads, kKvHeads, kHeadDim, 0.125f, 0, 0};
  double flops = 0;
  double kv_bytes = 0;
};

// n_rows query rows at positions context - n_rows .. context - 1 of one sequence.
Problem make_problem(int64_t context, int64_t n_rows) {
  Problem p;
  std::mt19937 rng(7);
  std::normal_distribution<float> nd;
  p.k.resize(static_cast<size_t>(context * kKvHeads * kHeadDim));
  p.v.resize(p.k.size());
  p.q.resize(static_cast<size_t>(n_rows * kHeads * kHeadDim));
  p.out.resize(p.q.size());
  for (auto* vec : {&p.k, &p.v, &p.q})
    for (float& x : *vec) x = nd(rng);
  for (int64_t r = 0; r < n_rows; ++r) {
    const int64_t pos = context - n_rows + r;
    p.rows.push_back({p.k.data(), p.v.data(), pos});
    p.flops += 4.0 * static_cast<double>(kHeads * (pos + 1) * kHeadDim);
  }
  p.kv_bytes = 2.0 * static_cast<double>(context * kKvHeads * kHeadDim) * sizeof(float);
  return p;
}

void run(benchmark::State& state, int64_t context, int64_t n_rows, int threads) {
  Problem p = make_problem(context, n_rows);
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

// One new token against a filled cache. Args: context, threads.
void BM_AttentionDecode(benchmark::State& state) {
  run(state, state.range(0), 1, static_cast<int>(state.range(1)));
}
BENCHMARK(BM_AttentionDecode)
    ->ArgNames({"context", "threads"})
    ->Args({128, 1})
    ->Args({128, 2})
    ->Args({300, 2})
    ->Args({512, 1})
    ->Args({512, 2})
    ->Args({2048, 1})
    ->Args({2048, 2})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
