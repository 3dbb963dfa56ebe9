// Memory for streaming reads in 2 MiB pages: anonymous mappings at a 2 MiB-aligned address, and
// the advice that asks the kernel to back a range with transparent huge pages. Used for weight
// files (file_image.cpp), the bandwidth probe (ops/memory_bandwidth.cpp) and the kernel
// benchmarks' buffers, so all of them read memory through the same page size.
#pragma once

#include <cstddef>

namespace abstractllm::engine {

inline constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

// `bytes` of anonymous memory (MAP_PRIVATE, protection `prot`: PROT_NONE only reserves address
// space) starting at a 2 MiB-aligned address; MAP_FAILED when mmap fails. Release it with
// munmap(p, bytes).
void* map_aligned(std::size_t bytes, int prot);

// MADV_HUGEPAGE on [p, p + bytes): advice only — where it is refused or unsupported the memory
// keeps working with 4 KiB pages.
void advise_huge_pages(void* p, std::size_t bytes);

// map_aligned read-write plus advise_huge_pages, before anything touches it (huge pages are
// given at first touch); nullptr when mmap fails. Release with munmap(p, bytes).
void* map_huge_pages(std::size_t bytes);

// The whole of file `fd` (`size` bytes) mapped read-only and shared, at a 2 MiB-aligned address
// with MADV_HUGEPAGE when it is that large (see the comment in huge_pages.cpp); MAP_FAILED (errno
// set) when mmap fails. Release with munmap(p, size). Weight files and repacked-weight caches.
void* map_file_huge(int fd, std::size_t size);

}  // namespace abstractllm::engine
