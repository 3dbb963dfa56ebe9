// Anonymous memory in 2 MiB pages (see huge_pages.hpp).
#include "engine/io/huge_pages.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace abstractllm::engine {

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

}  // namespace abstractllm::engine
