#include "server/query_slots.h"

#include <algorithm>

namespace kg::server {

QuerySlots::Slot::~Slot() {
  if (owner_ != nullptr) owner_->Release();
}

QuerySlots::Ticket::~Ticket() {
  if (owner_ != nullptr) owner_->Leave();
}

absl::StatusOr<QuerySlots::Ticket> QuerySlots::Admit() {
  absl::MutexLock lock(&mu_);
  if (places_ == 0) {
    return absl::ResourceExhaustedError(
        "too many path and neighbourhood queries running and queued "
        "(--max_concurrent_path_queries, --max_queued_path_queries); retry "
        "later");
  }
  --places_;
  return Ticket(this);
}

void QuerySlots::Leave() {
  absl::MutexLock lock(&mu_);
  ++places_;
}

absl::StatusOr<QuerySlots::Slot> QuerySlots::Acquire(
    const Ticket&, absl::Time deadline,
    const std::function<bool()>& is_cancelled) {
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

int QuerySlots::in_use() const {
  absl::MutexLock lock(&mu_);
  return slots_ - free_;
}

}  // namespace kg::server
