#include "server/query_slots.h"

#include <algorithm>

namespace kg::server {

QuerySlots::Slot::~Slot() {
  if (owner_ != nullptr) owner_->Release();
}

absl::StatusOr<QuerySlots::Slot> QuerySlots::Acquire(
    absl::Time deadline, const std::function<bool()>& is_cancelled) {
  absl::MutexLock lock(&mu_);
  ++waiting_;
  auto has_free = [this]()
                      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return free_ > 0; };
  while (!has_free()) {
    // Wake up now and then to notice a cancelled call.
    const absl::Time until =
        std::min(deadline, absl::Now() + absl::Milliseconds(20));
    mu_.AwaitWithDeadline(absl::Condition(&has_free), until);
    if (has_free()) break;
    if (absl::Now() >= deadline) {
      --waiting_;
      return absl::DeadlineExceededError(
          "the deadline passed while waiting for one of the "
          "--max_concurrent_path_queries slots");
    }
    if (is_cancelled && is_cancelled()) {
      --waiting_;
      return absl::CancelledError("cancelled while waiting for a query slot");
    }
  }
  --waiting_;
  --free_;
  return Slot(this);
}

void QuerySlots::Release() {
  absl::MutexLock lock(&mu_);
  ++free_;
}

int QuerySlots::waiting() const {
  absl::MutexLock lock(&mu_);
  return waiting_;
}

}  // namespace kg::server
