// Anonymous memory and file mappings in 2 MiB pages (see huge_pages.hpp).
#include "engine/io/huge_pages.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace abstractllm::engine {
namespace {

std::size_t round_to_pages(std::size_t n) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return (n + page - 1) & ~(page - 1);
}

}  // namespace

void* map_aligned(std::size_t bytes, int prot) {
  // Reserve 2 MiB more, then give back the unused head and tail.
  const std::size_t reserve = bytes + kHugePageBytes;
  void* r = ::mmap(nullptr, reserve, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r == MAP_FAILED) return r;
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const auto base = reinterpret_cast<uintptr_t>(r);
  const uintptr_t aligned = (base + kHugePageBytes - 1) & ~uintptr_t{kHugePageBytes - 1};
  const uintptr_t end = aligned + ((bytes + page - 1) & ~(page - 1));
  if (aligned > base) ::munmap(r, aligned - base);
  if (base + reserve > end) ::munmap(reinterpret_cast<void*>(end), base + reserve - end);
  return reinterpret_cast<void*>(aligned);
}

void advise_huge_pages(void* p, std::size_t bytes) {
#ifdef MADV_HUGEPAGE
  ::madvise(p, bytes, MADV_HUGEPAGE);
#else
  (void)p, (void)bytes;
#endif
}

void* map_huge_pages(std::size_t bytes) {
  void* p = map_aligned(bytes, PROT_READ | PROT_WRITE);
  if (p == MAP_FAILED) return nullptr;
  advise_huge_pages(p, bytes);
  return p;
}

// Maps the whole file read-only at a 2 MiB-aligned address and asks for transparent huge
// pages. Why: a decode step streams every weight once, and with 4 KiB pages it takes a TLB
// miss and a restart of the hardware prefetcher at every page. Where the page cache holds the
// file in 2 MiB folios (Linux >= 6.16 on ext4, or xfs; a file read cold through this mapping is
// read that way because of MADV_HUGEPAGE, and our writer writes 2 MiB blocks, see
// safetensors.cpp) the kernel maps them whole: Llama-3.2-1B 4-bit decode on Zen 4, interleaved
// runs, 1 thread +5-11 %, 2 threads +6-8 % (docs/performance.md). Elsewhere the advice is
// ignored and this is a plain mapping.
void* map_file_huge(int fd, std::size_t size) {
  if (size < kHugePageBytes) return ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  void* at = map_aligned(size, PROT_NONE);
  if (at == MAP_FAILED) return ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  void* p = ::mmap(at, size, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
  if (p == MAP_FAILED) {
    const int err = errno;
    ::munmap(at, round_to_pages(size));
    errno = err;
    return MAP_FAILED;
  }
  advise_huge_pages(p, size);
  return p;
}

}  // namespace abstractllm::engine
