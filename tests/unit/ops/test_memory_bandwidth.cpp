// measure_read_bandwidth: the roofline probe and its diagnostic variant with the decode
// kernels' software prefetch both read the whole buffer and report consistent figures.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "engine/ops/memory_bandwidth.hpp"
#include "engine/ops/thread_pool.hpp"

namespace ops = abstractllm::engine::ops;

TEST(MemoryBandwidth, ReportsTheBufferAndConsistentFigures) {
  for (int threads : {1, 2, 3}) {
    ops::ThreadPool pool(threads);
    for (int64_t distance : {int64_t{0}, int64_t{64}, int64_t{8192}}) {
      // An odd size: the slices do not end on a line, the last words go through the scalar tail.
      const std::size_t asked = (std::size_t{3} << 20) + 8 * 13;
      const ops::BandwidthResult r = ops::measure_read_bandwidth(pool, asked, 3, distance);
      EXPECT_EQ(r.threads, threads);
      EXPECT_EQ(r.bytes, asked);
      EXPECT_TRUE(std::isfinite(r.best_gbps));
      EXPECT_GT(r.median_gbps, 0.0);
      EXPECT_GE(r.best_gbps, r.median_gbps);
    }
  }
}

TEST(MemoryBandwidth, SmallRequestsReadAtLeastOneMebibyte) {
  ops::ThreadPool pool(2);
  EXPECT_EQ(ops::measure_read_bandwidth(pool, 100, 1).bytes, std::size_t{1} << 20);
  EXPECT_EQ(ops::measure_read_bandwidth(pool, 100, 1, 8192).bytes, std::size_t{1} << 20);
}
