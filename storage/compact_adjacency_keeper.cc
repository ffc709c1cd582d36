#include "storage/compact_adjacency_keeper.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <system_error>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "storage/keys.h"
#include "storage/status_macros.h"

namespace kg::storage {

namespace {

// Ids past this do not fit the compact adjacency's 32 bits anyway.
constexpr uint64_t kMaxConfidenceId = std::numeric_limits<uint32_t>::max() - 1;
// The records generation of a copy built without confidences: never the
// adjacency's.
constexpr uint64_t kNoConfidences = std::numeric_limits<uint64_t>::max();

}  // namespace

CompactAdjacencyKeeper::CompactAdjacencyKeeper(
    rocksdb::DB* db, rocksdb::ColumnFamilyHandle* prov,
    rocksdb::ColumnFamilyHandle* stmt, Adjacency* adjacency,
    absl::Duration delay, std::function<std::unique_ptr<Reader>()> new_reader,
    size_t max_entities)
    : db_(db),
      prov_(prov),
      stmt_(stmt),
      adjacency_(adjacency),
      delay_(delay),
      new_reader_(std::move(new_reader)),
      max_entities_(max_entities) {
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

std::shared_ptr<const EntityTable> CompactAdjacencyKeeper::EntitiesAt(
    uint64_t entities_generation) {
  absl::MutexLock lock(&compact_mu_);
  if (entities_ == nullptr ||
      entities_->entities_generation() != entities_generation) {
    return nullptr;
  }
  return entities_;
}

bool CompactAdjacencyKeeper::stopping() {
  absl::MutexLock lock(&refresh_mu_);
  return stop_;
}

void CompactAdjacencyKeeper::Refresh() {
  absl::MutexLock build(&build_mu_);
  const absl::Time start = absl::Now();
  const bool compact_built = RefreshCompact();
  const bool entities_built = RefreshEntities();
  if (!compact_built && !entities_built) return;
  absl::MutexLock lock(&refresh_mu_);
  built_at_ = absl::Now();
  // Both builds: the next waits at least twice as long.
  last_build_time_ = built_at_ - start;
  if (compact_built) ++builds_;
}

bool CompactAdjacencyKeeper::RefreshCompact() {
  if (impossible_) return false;
  const rocksdb::Snapshot* snapshot;
  uint64_t generation;
  uint64_t records_generation;
  {
    absl::ReaderMutexLock lock(&adjacency_->commit_mu());
    generation = adjacency_->generation();
    records_generation = adjacency_->records_generation();
    {
      absl::MutexLock compact_lock(&compact_mu_);
      if (compact_ != nullptr && compact_->generation() == generation &&
          compact_->records_generation() == records_generation) {
        return false;
      }
    }
    // Held while building, so that no edge visible at it is pruned.
    snapshot = db_->GetSnapshot();
  }
  absl::StatusOr<std::vector<double>> confidences = ReadConfidences(snapshot);
  absl::StatusOr<std::unique_ptr<const CompactAdjacency>> built =
      absl::CancelledError("compact adjacency: build stopped");
  if (confidences.ok() || !absl::IsCancelled(confidences.status())) {
    // Records that cannot be read (Verify reports them) leave the copy
    // without confidences, which no reader takes for its own: path search
    // reads the records instead, and keeps the copy's edges.
    const bool have = confidences.ok();
    built = CompactAdjacency::Build(
        *adjacency_, snapshot->GetSequenceNumber(), generation,
        have ? *std::move(confidences) : std::vector<double>(),
        have ? records_generation : kNoConfidences,
        [this] { return stopping(); });
  }
  db_->ReleaseSnapshot(snapshot);
  if (!built.ok()) {
    // Ids only grow: a store too large once stays too large. A stopped
    // build is the store closing; a failed read leaves the last copy (or
    // none), and path queries read the store.
    if (absl::IsOutOfRange(built.status())) impossible_ = true;
    return false;
  }
  absl::MutexLock compact_lock(&compact_mu_);
  compact_ = *std::move(built);
  return true;
}

bool CompactAdjacencyKeeper::RefreshEntities() {
  if (new_reader_ == nullptr || max_entities_ == 0) return false;
  std::unique_ptr<Reader> reader;
  uint64_t entities_generation;
  {
    absl::ReaderMutexLock lock(&adjacency_->commit_mu());
    entities_generation = adjacency_->entities_generation();
    {
      absl::MutexLock compact_lock(&compact_mu_);
      if (entities_ != nullptr &&
          entities_->entities_generation() == entities_generation) {
        return false;
      }
    }
    // Its snapshot is the state the count was read at.
    reader = new_reader_();
  }
  absl::StatusOr<std::unique_ptr<const EntityTable>> table =
      EntityTable::Build(*reader, entities_generation, max_entities_,
                         [this] { return stopping(); });
  reader.reset();
  // Too many entities, a build stopped or a read that failed leave none:
  // queries read the entity records.
  std::shared_ptr<const EntityTable> built;
  if (table.ok()) built = *std::move(table);
  absl::MutexLock compact_lock(&compact_mu_);
  entities_ = std::move(built);
  return entities_ != nullptr;
}

absl::StatusOr<std::vector<double>> CompactAdjacencyKeeper::ReadConfidences(
    const rocksdb::Snapshot* snapshot) {
  std::vector<double> best;
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  // One pass over every record: no reason to fill the block cache.
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, prov_));
  auto note = [&](uint64_t stmt, double confidence) -> absl::Status {
    if (stmt >= best.size()) {
      if (stmt > kMaxConfidenceId) {
        return absl::OutOfRangeError(
            "compact adjacency: a statement id does not fit in 32 bits");
      }
      best.resize(std::max<size_t>(stmt + 1, best.size() * 3 / 2), -1);
    }
    best[stmt] = std::max(best[stmt], confidence);
    return absl::OkStatus();
  };
  // Shared records (first, under statement 0) by document.
  absl::flat_hash_map<uint64_t, double> shared;
  uint64_t first = UINT64_MAX, last = 0;  // the statements given them
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (++n % 65536 == 0 && stopping()) {
      return absl::CancelledError("compact adjacency: build stopped");
    }
    const absl::string_view key(it->key().data(), it->key().size());
    const absl::string_view value(it->value().data(), it->value().size());
    uint64_t doc;
    if (DecodeSharedRecordKey(key, &doc)) {
      SharedRecord record;
      if (!DecodeSharedRecord(value, &record)) {
        return absl::DataLossError(
            "compact adjacency: a shared provenance record does not decode");
      }
      shared[doc] = record.value.confidence;
      first = std::min(first, record.first);
      last = std::max(last, record.last);
      continue;
    }
    ProvKeyParts parts;
    double confidence;
    bool live;
    if (!DecodeProvKey(key, &parts) ||
        !DecodeProvConfidence(value, &confidence, &live)) {
      return absl::DataLossError(
          "compact adjacency: a provenance record does not decode");
    }
    if (!live) continue;
    KG_RETURN_IF_ERROR(note(parts.stmt, confidence));
  }
  if (!it->status().ok()) {
    return absl::UnavailableError(absl::StrCat(
        "compact adjacency: reading provenance: ", it->status().ToString()));
  }
  if (shared.empty()) return best;
  // The statements that have one: their rows say so.
  const std::string from = TidKey(first);
  it.reset(db_->NewIterator(ro, stmt_));
  for (it->Seek(from); it->Valid(); it->Next()) {
    if (++n % 65536 == 0 && stopping()) {
      return absl::CancelledError("compact adjacency: build stopped");
    }
    const absl::string_view key(it->key().data(), it->key().size());
    uint64_t tid;
    StmtValue row;
    if (!DecodeTidKey(key, &tid) ||
        !DecodeStmt(absl::string_view(it->value().data(), it->value().size()),
                    &row)) {
      return absl::DataLossError(
          "compact adjacency: a statement row does not decode");
    }
    if (tid > last) break;
    if (row.shared == 0) continue;
    auto record = shared.find(row.shared);
    if (record == shared.end()) {
      return absl::DataLossError(absl::StrCat(
          "compact adjacency: statement ", tid,
          " names a shared record that document ", row.shared, " has not"));
    }
    KG_RETURN_IF_ERROR(note(tid, record->second));
  }
  if (!it->status().ok()) {
    return absl::UnavailableError(absl::StrCat(
        "compact adjacency: reading statements: ", it->status().ToString()));
  }
  return best;
}

CompactAdjacencyKeeper::BuildFigures CompactAdjacencyKeeper::Figures() {
  absl::MutexLock lock(&refresh_mu_);
  return BuildFigures{builds_, last_build_time_, built_at_};
}

void CompactAdjacencyKeeper::NoteChange() {
  absl::MutexLock lock(&refresh_mu_);
  due_ = true;
  last_change_ = absl::Now();
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
        last_change_ + std::max(delay_, 2 * last_build_time_);
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
