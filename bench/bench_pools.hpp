// Shared by the benchmarks: one persistent ThreadPool per thread count, created on first use
// (pool start-up is not what the benchmarks measure).
#pragma once

#include <map>
#include <memory>

#include "engine/ops/thread_pool.hpp"

namespace abstractllm::bench {

inline engine::ops::ThreadPool& pool_for(int threads) {
  static std::map<int, std::unique_ptr<engine::ops::ThreadPool>> pools;
  auto& p = pools[threads];
  if (!p) p = std::make_unique<engine::ops::ThreadPool>(threads);
  return *p;
}

}  // namespace abstractllm::bench
