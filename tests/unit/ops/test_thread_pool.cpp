// ThreadPool: coverage of [0, n) exactly once, concurrent callers, nested calls, exceptions,
// many back-to-back dispatches (the spin/sleep hand-over), and sleeping workers waking up.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "engine/ops/thread_pool.hpp"

namespace ops = abstractllm::engine::ops;

TEST(ThreadPool, CoversRangeExactlyOnce) {
  for (int threads : {1, 2, 3, 5}) {
    ops::ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t n : {0, 1, 2, 7, 64, 1000, 12345}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.parallel_for(n, [&](int64_t b, int64_t e) {
        ASSERT_LE(0, b);
        ASSERT_LT(b, e);
        ASSERT_LE(e, n);
        for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << i;
    }
  }
}

TEST(ThreadPool, GrainSetsChunkSize) {
  ops::ThreadPool pool(2);
  std::atomic<int> chunks{0};
  pool.parallel_for_grain(100, 30, [&](int64_t b, int64_t e) {
    EXPECT_EQ(b % 30, 0);
    EXPECT_EQ(e - b, b == 90 ? 10 : 30);
    chunks.fetch_add(1);
  });
  EXPECT_EQ(chunks.load(), 4);
}

TEST(ThreadPool, UsesSeveralThreads) {
  ops::ThreadPool pool(2);
  std::atomic<int> seen{0};
  std::mutex m;
  std::vector<std::thread::id> ids;
  pool.parallel_for_grain(2, 1, [&](int64_t, int64_t) {
    {
      std::lock_guard<std::mutex> lock(m);
      ids.push_back(std::this_thread::get_id());
    }
    // Each chunk waits for the other to start, which only terminates if two threads run.
    seen.fetch_add(1);
    auto start = std::chrono::steady_clock::now();
    while (seen.load() < 2 && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    }
  });
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_NE(ids[0], ids[1]);
}

TEST(ThreadPool, ManyBackToBackDispatches) {
  ops::ThreadPool pool(3);
  std::atomic<int64_t> sum{0};
  for (int it = 0; it < 20000; ++it) {
    pool.parallel_for(8, [&](int64_t b, int64_t e) { sum.fetch_add(e - b); });
  }
  EXPECT_EQ(sum.load(), 20000 * 8);
}

TEST(ThreadPool, WakesSleepingWorkers) {
  ops::ThreadPool pool(2);
  pool.set_spin_us(0);
  for (int it = 0; it < 50; ++it) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // workers go to sleep
    std::atomic<int64_t> sum{0};
    pool.parallel_for(100, [&](int64_t b, int64_t e) { sum.fetch_add(e - b); });
    ASSERT_EQ(sum.load(), 100);
  }
}

TEST(ThreadPool, ConcurrentCallersAreSerialised) {
  ops::ThreadPool pool(2);
  std::atomic<int> inside{0};
  std::atomic<bool> overlap{false};
  std::atomic<int64_t> total{0};
  auto caller = [&] {
    for (int it = 0; it < 500; ++it) {
      std::atomic<int64_t> local{0};
      pool.parallel_for(64, [&](int64_t b, int64_t e) {
        local.fetch_add(e - b);
        total.fetch_add(e - b);
      });
      if (local.load() != 64) overlap = true;
    }
  };
  std::thread a(caller), b(caller), c(caller);
  a.join();
  b.join();
  c.join();
  EXPECT_FALSE(overlap.load());
  EXPECT_EQ(total.load(), 3 * 500 * 64);
  (void)inside;
}

TEST(ThreadPool, NestedCallRunsInline) {
  ops::ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  pool.parallel_for(4, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      pool.parallel_for(10, [&](int64_t bb, int64_t ee) { sum.fetch_add(ee - bb); });
    }
  });
  EXPECT_EQ(sum.load(), 40);
}

TEST(ThreadPool, PropagatesExceptions) {
  ops::ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for_grain(10, 1,
                                       [&](int64_t b, int64_t) {
                                         if (b == 7) throw std::runtime_error("boom");
                                       }),
               std::runtime_error);
  // Still usable afterwards.
  std::atomic<int64_t> sum{0};
  pool.parallel_for(10, [&](int64_t b, int64_t e) { sum.fetch_add(e - b); });
  EXPECT_EQ(sum.load(), 10);
}

TEST(ThreadPool, GlobalIsSingleton) {
  EXPECT_EQ(&ops::ThreadPool::global(), &ops::ThreadPool::global());
  EXPECT_GE(ops::ThreadPool::global().size(), 1);
}
