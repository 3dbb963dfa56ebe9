// A std::vector allocator for the benchmarks' weight buffers: allocations of 2 MiB and more
// come from engine::map_huge_pages, as the engine's weights and the bandwidth probe do, so
// kernel GB/s and the probe's GB/s are measured on the same page size. Smaller ones: 64-byte
// aligned.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

#include "engine/io/huge_pages.hpp"

namespace abstractllm::bench {

template <class T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    void* p = bytes >= engine::kHugePageBytes
                  ? engine::map_huge_pages(bytes)
                  : std::aligned_alloc(64, bytes == 0 ? 64 : (bytes + 63) / 64 * 64);
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    const std::size_t bytes = n * sizeof(T);
    if (bytes >= engine::kHugePageBytes) {
      ::munmap(p, bytes);
    } else {
      std::free(p);
    }
  }

  template <class U>
  bool operator==(const HugePageAllocator<U>&) const noexcept { return true; }
};

using HugePageBytes = std::vector<unsigned char, HugePageAllocator<unsigned char>>;

}  // namespace abstractllm::bench
