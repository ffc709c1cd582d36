#include "storage/compact_adjacency_keeper.h"

#include <algorithm>
#include <system_error>
#include <utility>

namespace kg::storage {

CompactAdjacencyKeeper::CompactAdjacencyKeeper(rocksdb::DB* db,
                                               Adjacency* adjacency,
                                               absl::Duration delay)
    : db_(db), adjacency_(adjacency), delay_(delay) {
  if (delay_ == absl::InfiniteDuration()) {
    Refresh();
    return;
  }
  // The first copy too is built on the thread: the store serves at once,
  // its readers walking the versioned adjacency until the copy is there
  // (~2 s for 10M statements), instead of opening that much later.
  try {
    thread_ = std::thread([this] {
      Refresh();
      RefreshWhenQuiet();
    });
  } catch (const std::system_error&) {
    // No thread to be had: a first copy now, rebuilt only by Refresh.
    Refresh();
  }
}

CompactAdjacencyKeeper::~CompactAdjacencyKeeper() {
  {
    absl::MutexLock lock(&refresh_mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const CompactAdjacency> CompactAdjacencyKeeper::CurrentAt(
    uint64_t generation) {
  absl::MutexLock lock(&compact_mu_);
  if (compact_ == nullptr || compact_->generation() != generation) {
    return nullptr;
  }
  return compact_;
}

bool CompactAdjacencyKeeper::stopping() {
  absl::MutexLock lock(&refresh_mu_);
  return stop_;
}

void CompactAdjacencyKeeper::Refresh() {
  absl::MutexLock build(&build_mu_);
  if (impossible_) return;
  const rocksdb::Snapshot* snapshot;
  uint64_t generation;
  {
    absl::ReaderMutexLock lock(&adjacency_->commit_mu());
    generation = adjacency_->generation();
    {
      absl::MutexLock compact_lock(&compact_mu_);
      if (compact_ != nullptr && compact_->generation() == generation) return;
    }
    // Held while building, so that no edge visible at it is pruned.
    snapshot = db_->GetSnapshot();
  }
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<const CompactAdjacency>> built =
      CompactAdjacency::Build(*adjacency_, snapshot->GetSequenceNumber(),
                              generation, [this] { return stopping(); });
  db_->ReleaseSnapshot(snapshot);
  if (!built.ok()) {
    // Ids only grow: a store too large once stays too large. A stopped
    // build is the store closing.
    if (absl::IsOutOfRange(built.status())) impossible_ = true;
    return;
  }
  {
    absl::MutexLock lock(&refresh_mu_);
    built_at_ = absl::Now();
    last_build_time_ = built_at_ - start;
    ++builds_;
  }
  absl::MutexLock compact_lock(&compact_mu_);
  compact_ = *std::move(built);
}

CompactAdjacencyKeeper::BuildFigures CompactAdjacencyKeeper::Figures() {
  absl::MutexLock lock(&refresh_mu_);
  return BuildFigures{builds_, last_build_time_, built_at_};
}

void CompactAdjacencyKeeper::NoteIndexChange() {
  absl::MutexLock lock(&refresh_mu_);
  due_ = true;
  last_index_change_ = absl::Now();
}

void CompactAdjacencyKeeper::RefreshWhenQuiet() {
  refresh_mu_.Lock();
  while (!stop_) {
    if (!due_) {
      refresh_mu_.Await(absl::Condition(
          +[](CompactAdjacencyKeeper* k) ABSL_EXCLUSIVE_LOCKS_REQUIRED(
               k->refresh_mu_) { return k->due_ || k->stop_; },
          this));
      continue;
    }
    // Writes a little more than `delay` apart would otherwise have the
    // thread rebuilding all the time: wait at least twice the last build.
    const absl::Time quiet_at =
        last_index_change_ + std::max(delay_, 2 * last_build_time_);
    if (absl::Now() < quiet_at) {
      refresh_mu_.AwaitWithDeadline(absl::Condition(&stop_), quiet_at);
      continue;
    }
    due_ = false;
    refresh_mu_.Unlock();
    Refresh();
    refresh_mu_.Lock();
  }
  refresh_mu_.Unlock();
}

}  // namespace kg::storage
