// Read bandwidth with SIMD sums (Highway, runtime dispatch); one contiguous slice per thread,
// as a decode kernel streams its rows.
#include "engine/ops/memory_bandwidth.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include <sys/mman.h>

#include "engine/io/huge_pages.hpp"
#include "engine/ops/kernel_common.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "engine/ops/memory_bandwidth.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace abstractllm::engine::ops {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Sums n 64-bit words (n a multiple of 4 vectors) with four independent accumulators.
uint64_t SumWords(const uint64_t* p, int64_t n) {
  const hn::ScalableTag<uint64_t> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    a0 = hn::Add(a0, hn::LoadU(d, p + i));
    a1 = hn::Add(a1, hn::LoadU(d, p + i + N));
    a2 = hn::Add(a2, hn::LoadU(d, p + i + 2 * N));
    a3 = hn::Add(a3, hn::LoadU(d, p + i + 3 * N));
  }
  uint64_t s = hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(a0, a1), hn::Add(a2, a3))));
  for (; i < n; ++i) s += p[i];
  return s;
}

// The same with the decode kernels' software prefetch: every 64-byte line asked for into L2
// `distance` bytes ahead (detail::prefetch) before it is read. How much that costs a core that
// does nothing else is what it measures (docs/performance.md, Known limits).
uint64_t SumWordsPrefetching(const uint64_t* p, int64_t n, int64_t distance) {
  const hn::ScalableTag<uint64_t> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t line_words = 64 / 8;
  auto a0 = hn::Zero(d), a1 = hn::Zero(d);
  int64_t i = 0;
  for (; i + line_words <= n; i += line_words) {
    detail::prefetch(reinterpret_cast<const char*>(p + i) + distance);
    for (int64_t k = 0; k < line_words; k += 2 * N) {
      a0 = hn::Add(a0, hn::LoadU(d, p + i + k));
      if (k + N < line_words) a1 = hn::Add(a1, hn::LoadU(d, p + i + k + N));
    }
  }
  uint64_t s = hn::GetLane(hn::SumOfLanes(d, hn::Add(a0, a1)));
  for (; i < n; ++i) s += p[i];
  return s;
}

}  // namespace HWY_NAMESPACE
}  // namespace abstractllm::engine::ops
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace abstractllm::engine::ops {

HWY_EXPORT(SumWords);
HWY_EXPORT(SumWordsPrefetching);

namespace {
struct HugePagesRelease {
  std::size_t bytes;
  void operator()(uint64_t* p) const { ::munmap(p, bytes); }
};
}  // namespace

BandwidthResult measure_read_bandwidth(ThreadPool& pool, std::size_t bytes, int reps,
                                       int64_t prefetch_distance) {
  BandwidthResult result;
  result.threads = pool.size();
  const int64_t words = static_cast<int64_t>(std::max<std::size_t>(bytes, 1 << 20) / 8);
  result.bytes = static_cast<std::size_t>(words) * 8;
  // The test buffer in 2 MiB pages where the system allows them, as the weights are mapped
  // (engine/io/file_image.cpp), so the roofline is what memory delivers, not what 4 KiB pages
  // let through (on Zen 4 one thread reads ~15 % more with 2 MiB pages).
  std::unique_ptr<uint64_t, HugePagesRelease> mem(
      static_cast<uint64_t*>(map_huge_pages(result.bytes)), HugePagesRelease{result.bytes});
  if (!mem) throw std::bad_alloc();
  uint64_t* const data = mem.get();
  // First touch from the threads that will read, so pages are spread like a model's would be.
  const int64_t slice = (words + pool.size() - 1) / pool.size();
  pool.parallel_for_grain(words, slice, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) data[i] = static_cast<uint64_t>(i);
  });
  std::vector<double> gbps;
  std::vector<uint64_t> sums(static_cast<std::size_t>(pool.size()) + 1);
  for (int r = 0; r < std::max(reps, 1); ++r) {
    auto t0 = std::chrono::steady_clock::now();
    pool.parallel_for_grain(words, slice, [&](int64_t b, int64_t e) {
      sums[static_cast<std::size_t>(b / slice)] +=
          prefetch_distance > 0
              ? HWY_DYNAMIC_DISPATCH(SumWordsPrefetching)(data + b, e - b, prefetch_distance)
              : HWY_DYNAMIC_DISPATCH(SumWords)(data + b, e - b);
    });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    gbps.push_back(static_cast<double>(result.bytes) / s / 1e9);
  }
  // Keep the sums observable so the reads cannot be optimised away.
  volatile uint64_t sink = 0;
  for (uint64_t v : sums) sink = sink + v;
  (void)sink;
  std::sort(gbps.begin(), gbps.end());
  result.best_gbps = gbps.back();
  result.median_gbps = gbps[gbps.size() / 2];
  return result;
}

}  // namespace abstractllm::engine::ops
#endif  // HWY_ONCE
