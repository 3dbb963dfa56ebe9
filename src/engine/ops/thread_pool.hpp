// A persistent pool of worker threads for the engine's data-parallel kernels.
//
// Contract (implementation: thread_pool.cpp, owned by the CPU-performance work):
//  - parallel_for(n, fn) calls fn(begin, end) over disjoint chunks covering [0, n), using the
//    calling thread as one of the workers, and returns when all chunks are done.
//  - Cheap dispatch (spin briefly, then block) so a busy neighbour process does not stall it.
//  - Safe to call from several threads at once (calls are serialised internally), so two
//    generations sharing one model cannot corrupt each other.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace abstractllm::engine::ops {

class ThreadPool {
 public:
  // threads <= 0 means "one per available core".
  explicit ThreadPool(int threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const noexcept;
  void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn);

  // A process-wide default pool (one thread per core), created on first use.
  static ThreadPool& global();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace abstractllm::engine::ops
