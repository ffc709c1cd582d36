// WritePool: a fixed set of threads for the rpcs that wait on the disk (a
// store write waits for its synced commit). gRPC's callback threads must not
// block: while one waits for an fsync it serves no other call, and writes
// that wait on them reach the store one or two at a time instead of
// together. On the pool, concurrent writes reach the store at once and
// commit as one group with one fsync (docs/storage.md, "Group commit").
//
//   WritePool pool(16);
//   pool.Run([=] { ...; reactor->Finish(status); });
//
// Thread-safe.
#ifndef KG_SERVER_WRITE_POOL_H_
#define KG_SERVER_WRITE_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace kg::server {

class WritePool {
 public:
  // `threads` >= 1.
  explicit WritePool(int threads);
  // Runs what is queued, then joins the threads.
  ~WritePool();
  WritePool(const WritePool&) = delete;
  WritePool& operator=(const WritePool&) = delete;

  // Queues `fn`; a free thread runs it. The queue has no bound of its own:
  // each entry is an rpc in flight, and calls that end while they wait are
  // not applied (RunUnaryOn), but nothing yet bounds how many calls a
  // client may have in flight (docs/operations.md).
  void Run(std::function<void()> fn) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Work() ABSL_LOCKS_EXCLUDED(mu_);

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace kg::server

#endif  // KG_SERVER_WRITE_POOL_H_
