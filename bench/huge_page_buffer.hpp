// A std::vector allocator for the benchmarks' weight buffers: allocations of 2 MiB and more
// come 2 MiB-aligned with MADV_HUGEPAGE, as the engine maps model files (engine/io/
// file_image.cpp) and as the bandwidth probe reads (engine/ops/memory_bandwidth.cpp), so kernel
// GB/s and the probe's GB/s are measured on the same page size. Smaller ones: 64-byte aligned.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

namespace abstractllm::bench {

template <class T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    constexpr std::size_t kHuge = std::size_t{2} << 20;
    const std::size_t bytes = n * sizeof(T);
    const std::size_t align = bytes >= kHuge ? kHuge : 64;
    const std::size_t size = (bytes + align - 1) / align * align;
    void* p = std::aligned_alloc(align, size == 0 ? align : size);
    if (p == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    if (align == kHuge) ::madvise(p, size, MADV_HUGEPAGE);  // before the first touch
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t) noexcept { std::free(p); }

  template <class U>
  bool operator==(const HugePageAllocator<U>&) const noexcept { return true; }
};

using HugePageBytes = std::vector<unsigned char, HugePageAllocator<unsigned char>>;

}  // namespace abstractllm::bench
