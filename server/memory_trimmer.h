// MemoryTrimmer: gives memory that the process freed back to the system.
//
// glibc keeps what its per-thread arenas free: after gRPC buffered an
// oversized request (gRPC 1.51 reads the whole message before it checks
// --max_receive_message_bytes; grpc/grpc#43012) and dropped it, a 100 MB
// request left ~65 MB resident for good, all of it free inside an arena.
// malloc_trim(0) returns such pages; this calls it from a thread of its own
// when the heap holds at least `min_freed_bytes` free and the free heap or
// the process has grown by as much since the last trim, or `retry` has
// passed since it; checked every `interval` (docs/operations.md,
// "Memory"). A trim costs a walk of the free chunks (~a millisecond).
//
//   MemoryTrimmer trimmer(MemoryTrimmer::Options{});  // until destroyed
//
// A no-op without glibc. Thread-safe.
#ifndef KG_SERVER_MEMORY_TRIMMER_H_
#define KG_SERVER_MEMORY_TRIMMER_H_

#include <cstddef>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace kg::server {

class MemoryTrimmer {
 public:
  struct Options {
    absl::Duration interval = absl::Seconds(1);
    absl::Duration retry = absl::Seconds(10);
    size_t min_freed_bytes = size_t{16} << 20;
  };

  explicit MemoryTrimmer(const Options& options);
  // Stops the thread (at most one interval's wait).
  ~MemoryTrimmer();
  MemoryTrimmer(const MemoryTrimmer&) = delete;
  MemoryTrimmer& operator=(const MemoryTrimmer&) = delete;

 private:
  void Run(Options options);

  absl::Mutex mu_;
  absl::CondVar cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace kg::server

#endif  // KG_SERVER_MEMORY_TRIMMER_H_
