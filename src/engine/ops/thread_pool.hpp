// A persistent pool of worker threads for the engine's data-parallel kernels.
//
// Contract (implementation: thread_pool.cpp, owned by the CPU-performance work):
//  - parallel_for(n, fn) calls fn(begin, end) over disjoint chunks covering [0, n), using the
//    calling thread as one of the workers, and returns when all chunks are done.
//  - Cheap dispatch (spin briefly, then block) so a busy neighbour process does not stall it.
//  - Safe to call from several threads at once (calls are serialised internally), so two
//    generations sharing one model cannot corrupt each other.
//
// Contention policy: chunks are handed out dynamically (an atomic counter), so when a worker
// is descheduled by a competing process the other threads (the caller included) take its
// share instead of waiting at a barrier; idle workers spin for a short while (cheap dispatch
// between back-to-back kernels) and then sleep on a futex.
// A parallel_for issued from inside a task of the same pool runs inline on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace abstractllm::engine::ops {

class ThreadPool {
 public:
  // threads <= 0 means "one per available core" (or $ABSTRACTLLM_THREADS when set).
  explicit ThreadPool(int threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const noexcept;
  void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn);

  // As parallel_for, with chunks of `grain` items (the last may be shorter). Use it when the
  // kernel knows a cache-friendly block size; parallel_for picks a few chunks per thread.
  void parallel_for_grain(int64_t n, int64_t grain,
                          const std::function<void(int64_t begin, int64_t end)>& fn);

  // How long an idle worker spins before sleeping, in microseconds (default 100, or
  // $ABSTRACTLLM_SPIN_US). 0 sleeps at once (best when the cores are oversubscribed).
  void set_spin_us(int us) noexcept;

  // A process-wide default pool (one thread per core), created on first use.
  static ThreadPool& global();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace abstractllm::engine::ops
