// HugePageAllocator: an allocator whose large allocations ask the kernel for
// transparent huge pages.
//
// A load's write transaction holds hash tables and key blocks of hundreds of
// megabytes that it reads at random. With 4 KiB pages nearly every probe of
// such a table misses the TLB, and every page's first touch is a page
// fault; on a virtual machine each fault is an exit to the hypervisor
// (docs/benchmarks.md §20). Allocations of `kHugePageBytes` or more are
// mapped on their own, aligned to 2 MiB and advised MADV_HUGEPAGE (Linux's
// default `madvise` mode grants huge pages only to such regions); smaller
// ones go to std::allocator. Without huge pages the mapping is an ordinary
// one.
//
//   absl::flat_hash_map<K, V, absl::Hash<K>, std::equal_to<K>,
//                       HugePageAllocator<std::pair<const K, V>>> table;
#ifndef KG_STORAGE_HUGE_PAGE_ALLOCATOR_H_
#define KG_STORAGE_HUGE_PAGE_ALLOCATOR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#include "absl/base/config.h"

namespace kg::storage {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

// Under AddressSanitizer every allocation stays on the heap, where it
// checks bounds.
#if defined(ABSL_HAVE_ADDRESS_SANITIZER)
inline constexpr bool kMapsHugePages = false;
#else
inline constexpr bool kMapsHugePages = true;
#endif

// `bytes` (≥ kHugePageBytes) of zeroed memory aligned to kHugePageBytes,
// advised MADV_HUGEPAGE; throws std::bad_alloc when the mapping fails.
void* MapHugePages(size_t bytes);
// Unmaps what MapHugePages(bytes) returned.
void UnmapHugePages(void* p, size_t bytes);

template <typename T>
struct HugePageAllocator {
  using value_type = T;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT: rebinding

  T* allocate(size_t n) {
    if (n > SIZE_MAX / sizeof(T)) throw std::bad_alloc();
    if (kMapsHugePages && n * sizeof(T) >= kHugePageBytes) {
      return static_cast<T*>(MapHugePages(n * sizeof(T)));
    }
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, size_t n) {
    if (kMapsHugePages && n * sizeof(T) >= kHugePageBytes) {
      UnmapHugePages(p, n * sizeof(T));
    } else {
      std::allocator<T>().deallocate(p, n);
    }
  }

  template <typename U>
  friend bool operator==(const HugePageAllocator&,
                         const HugePageAllocator<U>&) {
    return true;
  }
};

}  // namespace kg::storage

#endif  // KG_STORAGE_HUGE_PAGE_ALLOCATOR_H_
