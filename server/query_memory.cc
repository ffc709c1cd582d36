#include "server/query_memory.h"

#include "absl/strings/str_cat.h"

namespace kg::server {

absl::Status QueryMemory::Account::Charge(int64_t bytes) {
  if (owner_ == nullptr || bytes <= 0) return absl::OkStatus();
  if (owner_->per_query_ > 0 && held_ + bytes > owner_->per_query_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the query's answer needs more than its memory budget of ",
        owner_->per_query_, " bytes held at once (--max_query_memory_bytes)"));
  }
  const int64_t before = owner_->held_.fetch_add(bytes);
  if (owner_->total_ > 0 && before + bytes > owner_->total_) {
    owner_->held_.fetch_sub(bytes);
    return absl::ResourceExhaustedError(absl::StrCat(
        "the server's memory budget for query answers, ", owner_->total_,
        " bytes, is in use by other queries "
        "(--max_total_query_memory_bytes); try again"));
  }
  held_ += bytes;
  return absl::OkStatus();
}

void QueryMemory::Account::Release(int64_t bytes) {
  if (owner_ == nullptr || bytes <= 0) return;
  if (bytes > held_) bytes = held_;
  held_ -= bytes;
  owner_->held_.fetch_sub(bytes);
}

}  // namespace kg::server
