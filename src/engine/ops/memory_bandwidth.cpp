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

}  // namespace HWY_NAMESPACE
}  // namespace abstractllm::engine::ops
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace abstractllm::engine::ops {

HWY_EXPORT(SumWords);

namespace {

// The test buffer: anonymous memory in transparent huge pages where the system allows them,
// as the weights are mapped (see engine/io/file_image.cpp), so the roofline is what the
// memory can deliver, not what 4 KiB pages let through (on Zen 4 one thread reads ~15 % more
// with 2 MiB pages). Falls back to plain pages.
class HugePageBuffer {
 public:
  explicit HugePageBuffer(std::size_t bytes) : size_(bytes + kHuge) {
    void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    base_ = p;
    const auto a = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~uintptr_t{kHuge - 1};
    data_ = reinterpret_cast<uint64_t*>(a);
#ifdef MADV_HUGEPAGE
    ::madvise(data_, bytes, MADV_HUGEPAGE);
#endif
  }
  ~HugePageBuffer() { ::munmap(base_, size_); }
  HugePageBuffer(const HugePageBuffer&) = delete;
  HugePageBuffer& operator=(const HugePageBuffer&) = delete;
  uint64_t* words() const { return data_; }

 private:
  static constexpr std::size_t kHuge = std::size_t{2} << 20;
  std::size_t size_;
  void* base_ = nullptr;
  uint64_t* data_ = nullptr;
};

}  // namespace

BandwidthResult measure_read_bandwidth(ThreadPool& pool, std::size_t bytes, int reps) {
  BandwidthResult result;
  result.threads = pool.size();
  const int64_t words = static_cast<int64_t>(std::max<std::size_t>(bytes, 1 << 20) / 8);
  result.bytes = static_cast<std::size_t>(words) * 8;
  HugePageBuffer mem(result.bytes);
  uint64_t* const data = mem.words();
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
          HWY_DYNAMIC_DISPATCH(SumWords)(data + b, e - b);
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
