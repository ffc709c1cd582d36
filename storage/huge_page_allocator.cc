#include "storage/huge_page_allocator.h"

#include <sys/mman.h>

#include <cstdint>
#include <new>

namespace kg::storage {
namespace {

size_t Rounded(size_t bytes) {
  return (bytes + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
}

}  // namespace

void* MapHugePages(size_t bytes) {
  if (bytes > SIZE_MAX - 2 * kHugePageBytes) throw std::bad_alloc();
  const size_t size = Rounded(bytes);
  // Mapped one huge page larger, then trimmed to an aligned start: the
  // kernel backs only aligned 2 MiB ranges with huge pages.
  void* mapped = mmap(nullptr, size + kHugePageBytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t start = reinterpret_cast<uintptr_t>(mapped);
  const uintptr_t aligned =
      (start + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  if (aligned > start) munmap(mapped, aligned - start);
  const uintptr_t end = start + size + kHugePageBytes;
  if (end > aligned + size) {
    munmap(reinterpret_cast<void*>(aligned + size), end - (aligned + size));
  }
  void* p = reinterpret_cast<void*>(aligned);
  // Advice only: without huge pages the mapping works as any other.
  madvise(p, size, MADV_HUGEPAGE);
  return p;
}

void UnmapHugePages(void* p, size_t bytes) { munmap(p, Rounded(bytes)); }

}  // namespace kg::storage
