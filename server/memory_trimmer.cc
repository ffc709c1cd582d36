#include "server/memory_trimmer.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace kg::server {

namespace {

// Bytes free inside malloc's arenas (mallinfo2's fordblks); 0 without
// glibc.
size_t FreeHeapBytes() {
#if defined(__GLIBC__)
  return mallinfo2().fordblks;
#else
  return 0;
#endif
}

// Resident bytes of this process (/proc/self/statm); 0 if unknown.
size_t ResidentBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  const int read = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  if (read != 2) return 0;
  return static_cast<size_t>(resident) *
         static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

void TrimHeap() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace

MemoryTrimmer::MemoryTrimmer(const Options& options)
    : thread_([this, options] { Run(options); }) {}

MemoryTrimmer::~MemoryTrimmer() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    cv_.Signal();
  }
  thread_.join();
}

void MemoryTrimmer::Run(Options options) {
  // Trim when the heap holds `min_freed_bytes` free and, since the last
  // trim, the free heap or the process has grown by as much, or `retry`
  // has passed. Trimmed pages stay counted as free, so the free heap alone
  // would trim a fragmented heap at every check. More free memory is new
  // to give back; a larger process with as much free means pages were
  // touched again (a second large request reusing what the first freed,
  // between two checks). The retry catches memory that was still in use
  // at a trim and freed without either growing (seen in the test). The
  // marks follow each value down, so that growth counts from its low.
  size_t free_mark = FreeHeapBytes();
  size_t resident_mark = ResidentBytes();
  absl::Time last_trim = absl::Now();
  absl::MutexLock lock(&mu_);
  while (!stop_) {
    cv_.WaitWithTimeout(&mu_, options.interval);
    if (stop_) break;
    const size_t free_bytes = FreeHeapBytes();
    const size_t resident = ResidentBytes();
    if (free_bytes >= options.min_freed_bytes &&
        (free_bytes >= free_mark + options.min_freed_bytes ||
         resident >= resident_mark + options.min_freed_bytes ||
         absl::Now() - last_trim >= options.retry)) {
      TrimHeap();
      free_mark = FreeHeapBytes();
      resident_mark = ResidentBytes();
      last_trim = absl::Now();
    } else {
      free_mark = std::min(free_mark, free_bytes);
      resident_mark = std::min(resident_mark, resident);
    }
  }
}

}  // namespace kg::server
