// Progress: a one-line progress bar with rate and ETA, redrawn in place on
// stderr. Disabled (every call a no-op) unless asked for; kgctl asks only
// when stderr is a terminal and --quiet is not given. Not thread-safe.
//
//   [##########..........]  52%  14.2 MiB/27.3 MiB  61,000 records
//   12,400/s  ETA 0:01
#ifndef KG_CLIENT_PROGRESS_H_
#define KG_CLIENT_PROGRESS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace kg::client {

class Progress {
 public:
  // `total_bytes` 0: unknown (stdin); then no bar and no ETA. `unit`
  // names what Update counts besides bytes.
  Progress(bool enabled, uint64_t total_bytes,
           absl::string_view unit = "records");
  ~Progress();

  // Redraws, at most ten times a second.
  void Update(uint64_t bytes, uint64_t records);
  // Clears the line (before other output, and at the end).
  void Clear();

  // The line for these figures; exposed for tests.
  static std::string Line(uint64_t bytes, uint64_t total_bytes,
                          uint64_t records, absl::Duration elapsed, int width,
                          absl::string_view unit = "records");

 private:
  bool enabled_;
  uint64_t total_;
  std::string unit_;
  absl::Time start_;
  absl::Time last_draw_;
  bool drawn_ = false;
};

}  // namespace kg::client

#endif  // KG_CLIENT_PROGRESS_H_
