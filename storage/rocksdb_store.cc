// The RocksDB implementation of Store: opening (database.h), readers
// (rocksdb_reader.h), writes committed in groups that share one synced WAL
// write, bulk loads through SST files, checkpoints, verification and the
// read-only state after an I/O error. Key grammar: keys.h; batch validation
// and index maintenance: write_txn.h.
#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <filesystem>
#include <functional>
#include <limits>
#include <system_error>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "common/echo.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/snapshot.h"
#include "rocksdb/sst_file_writer.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"
#include "storage/adjacency.h"
#include "storage/compact_adjacency.h"
#include "storage/compact_adjacency_keeper.h"
#include "storage/database.h"
#include "storage/fresh_load.h"
#include "storage/keys.h"
#include "storage/rocksdb_reader.h"
#include "storage/rocksdb_status.h"
#include "storage/status_macros.h"
#include "storage/store.h"
#include "storage/validate.h"
#include "storage/verify.h"
#include "storage/write_txn.h"

namespace kg::storage {

namespace {

namespace fs = std::filesystem;

// A bulk load writes its SST files into a directory of this name (and the
// load's time) inside the data directory; ingesting moves them out.
constexpr char kBulkDirPrefix[] = "bulk-";

// CheckpointInDataDir writes into a directory of this name and a number
// inside the data directory.
constexpr char kScratchCheckpointPrefix[] = "checkpoint-";

// Removes the scratch directories a process that died left behind: what a
// bulk load killed before its ingest wrote (files that were never part of
// the store: ingestion is all or nothing), and checkpoints being copied.
void RemoveScratchDirectories(const std::string& data_dir) {
  std::error_code ec;
  for (fs::directory_iterator it(data_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    absl::string_view number = name;
    // RocksDB writes a checkpoint as "<dir>.tmp", then renames it.
    absl::ConsumeSuffix(&number, ".tmp");
    // Only the prefix and digits: nothing an operator named.
    if (!(absl::ConsumePrefix(&number, kBulkDirPrefix) ||
          absl::ConsumePrefix(&number, kScratchCheckpointPrefix)) ||
        number.empty() ||
        !std::all_of(number.begin(), number.end(), absl::ascii_isdigit)) {
      continue;
    }
    std::error_code ignored;
    if (it->is_directory(ignored)) fs::remove_all(it->path(), ignored);
  }
}

// Rolls back the fresh load in parts that `database` holds under way
// (kFreshPartsKey), if any: one synced batch deletes every family's keys
// (the store held no term before its first part) and restores the
// counters; then the files go. The counters before it, or nullopt when
// no load in parts was under way.
absl::StatusOr<std::optional<Counters>> RollBackFreshLoadParts(
    const Database& database) {
  rocksdb::DB* db = database.db();
  std::string value;
  const rocksdb::Status got = db->Get(
      rocksdb::ReadOptions(), database.cf(kDefaultCf), kFreshPartsKey, &value);
  if (got.IsNotFound()) return std::nullopt;
  KG_RETURN_IF_ERROR(FromRocksDb(got, "roll back a fresh load"));
  FreshParts parts;
  if (!DecodeFreshParts(value, &parts)) {
    return absl::DataLossError(absl::StrCat("data directory ", database.path(),
                                            ": corrupt ", kFreshPartsKey));
  }
  rocksdb::WriteBatch wb;
  for (int cf = kDefaultCf + 1; cf < kNumCfs; ++cf) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(
        rocksdb::ReadOptions(), database.cf(static_cast<Cf>(cf))));
    it->SeekToLast();
    KG_RETURN_IF_ERROR(FromRocksDb(it->status(), "roll back a fresh load"));
    if (!it->Valid()) continue;
    const std::string last = it->key().ToString();
    rocksdb::ColumnFamilyHandle* handle = database.cf(static_cast<Cf>(cf));
    KG_RETURN_IF_ERROR(FromRocksDb(
        wb.DeleteRange(handle, rocksdb::Slice(), last), "roll back"));
    KG_RETURN_IF_ERROR(FromRocksDb(wb.Delete(handle, last), "roll back"));
  }
  rocksdb::ColumnFamilyHandle* meta = database.cf(kDefaultCf);
  KG_RETURN_IF_ERROR(FromRocksDb(
      wb.Put(meta, kCountersKey, EncodeCounters(parts.before)), "roll back"));
  KG_RETURN_IF_ERROR(FromRocksDb(wb.Delete(meta, kFreshPartsKey), "roll back"));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  KG_RETURN_IF_ERROR(FromRocksDb(db->Write(wo, &wb), "roll back a fresh load"));
  // Rolled back; now the space. The files the range deletions cover whole
  // go at once, the rest in a compaction; nothing is left in the log.
  KG_RETURN_IF_ERROR(FromRocksDb(
      db->Flush(rocksdb::FlushOptions(), database.cfs()), "roll back"));
  for (int cf = kDefaultCf + 1; cf < kNumCfs; ++cf) {
    rocksdb::ColumnFamilyHandle* handle = database.cf(static_cast<Cf>(cf));
    KG_RETURN_IF_ERROR(
        FromRocksDb(rocksdb::DeleteFilesInRange(db, handle, nullptr, nullptr),
                    "roll back a fresh load"));
    KG_RETURN_IF_ERROR(
        FromRocksDb(db->CompactRange(rocksdb::CompactRangeOptions(), handle,
                                     nullptr, nullptr),
                    "roll back a fresh load"));
  }
  return parts.before;
}

// At most this many writes share one commit, so one group's latency stays
// bounded however many writers queue.
constexpr size_t kMaxGroupWrites = 64;

// One caller of Write or Retract waiting in the commit queue.
struct PendingWrite {
  // Applies the caller's change to the transaction (Apply or Retract).
  std::function<absl::Status(WriteTxn&)> apply;
  ReplicaStamp replica;  // the caller's time and log position, if any
  absl::Status status;
  bool done = false;
};

class RocksBulkLoader;

class RocksStore : public Store {
 public:
  // `rolled_back`: the counters before a fresh load in parts that the
  // open rolled back, if it did.
  RocksStore(const StoreOptions& options, std::unique_ptr<Database> database,
             std::unique_ptr<Adjacency> adjacency,
             std::optional<Counters> rolled_back)
      : options_(options),
        database_(std::move(database)),
        adjacency_(std::move(adjacency)),
        rolled_back_fresh_load_(rolled_back.has_value()),
        counters_(rolled_back.value_or(database_->counters_at_open())),
        log_position_(database_->log_position_at_open()),
        log_time_(database_->log_time_at_open()) {
    if (options_.compact_adjacency) {
      // A reader without the copies (this is what builds them), taken
      // with commit_mu() held shared, as NewReader's.
      compact_ = std::make_unique<CompactAdjacencyKeeper>(
          database_->db(), database_->cf(kProvCf), database_->cf(kStmtCf),
          adjacency_.get(), options_.compact_adjacency_delay,
          [this] {
            return std::make_unique<RocksReader>(database_.get(),
                                                 adjacency_.get(), nullptr);
          },
          options_.entity_table_max_entities);
    }
  }
  // The keeper stops first (it reads the database and the adjacency), the
  // database closes last.
  ~RocksStore() override { compact_.reset(); }

  absl::StatusOr<WriteResult> Write(const WriteBatch& batch) override;
  absl::StatusOr<WriteResult> BulkLoad(const WriteBatch& batch) override;
  using Store::BeginBulkLoad;
  absl::StatusOr<std::unique_ptr<BulkLoader>> BeginBulkLoad(
      std::optional<absl::Time> at) override;
  absl::StatusOr<WriteResult> LoadFresh(FreshLoad load) override;
  absl::Status AbandonFreshLoad() override;
  using Store::Retract;
  absl::StatusOr<RetractResult> Retract(absl::string_view statement_id,
                                        absl::string_view document_id,
                                        const ReplicaStamp& replica) override;
  uint64_t log_position() override {
    absl::MutexLock lock(&commit_mu_);
    return log_position_;
  }
  std::optional<absl::Time> log_time() override {
    absl::MutexLock lock(&commit_mu_);
    if (!log_time_.has_value()) return std::nullopt;
    return absl::FromUnixMicros(*log_time_);
  }
  std::unique_ptr<Reader> NewReader() override;
  void RefreshCompactAdjacency() override {
    if (compact_ != nullptr) compact_->Refresh();
  }
  absl::Status Flush() override;
  absl::Status Checkpoint(absl::string_view dir) override;
  absl::StatusOr<std::unique_ptr<ScratchCheckpoint>> CheckpointInDataDir()
      override;
  absl::StatusOr<VerifyReport> Verify(
      const std::function<bool()>& should_stop) override;
  absl::Status Health() override;
  EngineFigures Engine() override;
  absl::Status Resume() override;
  const std::string& base_iri() const override { return database_->base_iri(); }
  std::optional<uint32_t> upgraded_from_format() const override {
    return database_->upgraded_from();
  }
  bool rolled_back_fresh_load() const override {
    return rolled_back_fresh_load_;
  }

 private:
  friend class RocksBulkLoader;

  // Queues `apply` and returns once it has committed or failed. The writer
  // at the front of the queue leads: it commits its own and the queued
  // writes after it as one group (CommitGroup), then wakes them.
  absl::Status Enqueue(std::function<absl::Status(WriteTxn&)> apply,
                       const ReplicaStamp& replica = ReplicaStamp())
      ABSL_LOCKS_EXCLUDED(queue_mu_, commit_mu_);
  // Applies each write of `group` in order, each reading through the
  // changes of the ones before it; a write that fails is left out alone.
  // The rest reach RocksDB in one batch with one synced WAL write.
  void CommitGroup(const std::vector<PendingWrite*>& group)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_);
  // Writes `changes` (one RocksDB batch) and brings the adjacency up to it.
  absl::Status CommitChanges(const std::vector<CfChanges>& changes,
                             const std::vector<Adjacency::Change>& index)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_);
  // Returns once no bulk loader holds the store's writes: it committed, was
  // destroyed, or was abandoned here for being idle too long.
  void AwaitNoBulkLoader() ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_);
  // FAILED_PRECONDITION while a fresh load in parts is under way: no other
  // write may come between its parts.
  absl::Status NoFreshParts() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_);
  // Deletes what the parts of a fresh load wrote, restoring the counters
  // before it; the store had no statement and no term before.
  absl::Status RollBackFreshParts() ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_);
  // Writes `txn`'s changes as SST files and ingests them at once.
  absl::Status IngestBulk(WriteTxn& txn)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_);
  // The same for any keys: `write_family` puts each column family's keys
  // in order into the sink it is given (called once per family, from two
  // threads, the largest families first), `index` the statements that
  // entered or left the indexes, `counters` the store's after the load
  // (already among the default family's keys).
  using FamilyWriter = std::function<absl::Status(Cf, KeySink&)>;
  absl::Status IngestFamilies(const FamilyWriter& write_family,
                              const std::vector<Adjacency::Change>& index,
                              const Counters& counters)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_);
  // Writes one column family's keys (`write_family`'s) into an SST file at
  // `file`, if it has any (`*has_file`). Thread-safe for different
  // families.
  absl::Status WriteSstFile(Cf cf, const FamilyWriter& write_family,
                            const std::string& file, bool* has_file);
  // Brings the adjacency up to the database after a commit that made
  // these index changes and, when `records_changed`, added or retracted
  // provenance records, when `entities_changed`, changed an entity or the
  // dictionary; called with adjacency_->commit_mu() held.
  void ApplyToAdjacency(const std::vector<Adjacency::Change>& index,
                        bool records_changed, bool entities_changed);
  // Recorded times strictly increase, so two writes never share a key.
  // A replica's stamp is used exactly (ReplicaStamp): the writer keeps
  // them increasing, and every replica must record the same times.
  int64_t NextMicros(std::optional<int64_t> at = std::nullopt)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(commit_mu_) {
    if (at.has_value()) {
      last_micros_ = std::max(last_micros_, *at);
      return *at;
    }
    last_micros_ = std::max(ToMicros(options_.clock()), last_micros_ + 1);
    return last_micros_;
  }

  const StoreOptions options_;
  const std::unique_ptr<Database> database_;
  const std::unique_ptr<Adjacency> adjacency_;
  const bool rolled_back_fresh_load_;
  std::unique_ptr<CompactAdjacencyKeeper> compact_;  // null: option off

  // Orders writers: held only to queue and to hand over the lead.
  absl::Mutex queue_mu_ ABSL_ACQUIRED_BEFORE(commit_mu_);
  std::deque<PendingWrite*> queue_ ABSL_GUARDED_BY(queue_mu_);
  // Held by the one committer (a group's leader, a bulk load, a resume)
  // while it reads and writes the store's state; never while waiting.
  absl::Mutex commit_mu_;
  Counters counters_ ABSL_GUARDED_BY(commit_mu_);
  uint64_t log_position_ ABSL_GUARDED_BY(commit_mu_) = 0;  // ReplicaStamp's
  std::optional<int64_t> log_time_ ABSL_GUARDED_BY(commit_mu_);  // µs
  int64_t last_micros_ ABSL_GUARDED_BY(commit_mu_) = 0;
  // The bulk loader holding writes off, if any; whether it is applying a
  // part now, and since when it is idle otherwise.
  RocksBulkLoader* bulk_loader_ ABSL_GUARDED_BY(commit_mu_) = nullptr;
  bool bulk_busy_ ABSL_GUARDED_BY(commit_mu_) = false;
  absl::Time bulk_idle_since_ ABSL_GUARDED_BY(commit_mu_);
  // The fresh load in parts under way, if any (kFreshPartsKey).
  std::optional<FreshParts> fresh_parts_ ABSL_GUARDED_BY(commit_mu_);
  // Its parts' new keys, which spare a later part most lookups; null when
  // this process did not see its first part (it has none then).
  std::unique_ptr<FreshPartsFilter> fresh_filter_ ABSL_GUARDED_BY(commit_mu_);
};

// Store::BeginBulkLoad's loader: the transaction of the parts so far.
// Holds no lock between calls; the store keeps other writes off while it
// is the store's bulk_loader_.
class RocksBulkLoader : public BulkLoader {
 public:
  RocksBulkLoader(RocksStore* store, std::unique_ptr<WriteTxn> txn,
                  std::optional<int64_t> at)
      : store_(store), txn_(std::move(txn)), at_(at) {}
  ~RocksBulkLoader() override {
    absl::MutexLock lock(&store_->commit_mu_);
    if (store_->bulk_loader_ == this) store_->bulk_loader_ = nullptr;
  }

  absl::Status Add(const WriteBatch& part, absl::string_view name,
                   WriteResult* result) override {
    if (part.replica.at.has_value() || part.replica.log_position != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          name.empty() ? "" : absl::StrCat(name, "."),
          "replica: a bulk load is stamped when it begins and is not a "
          "log entry; give no time or position"));
    }
    {
      absl::MutexLock lock(&store_->commit_mu_);
      KG_RETURN_IF_ERROR(Usable());
      store_->bulk_busy_ = true;
    }
    // Not abandoned while busy: txn_ stays.
    absl::Status status = txn_->ApplyPart(part, name, result);
    absl::MutexLock lock(&store_->commit_mu_);
    store_->bulk_busy_ = false;
    store_->bulk_idle_since_ = absl::Now();
    if (!status.ok()) {
      // A failed load holds nothing off.
      failed_ = true;
      store_->bulk_loader_ = nullptr;
    }
    return status;
  }

  using BulkLoader::Commit;
  absl::Status Commit(uint64_t log_position) override {
    absl::MutexLock lock(&store_->commit_mu_);
    KG_RETURN_IF_ERROR(Usable());
    failed_ = true;  // whatever happens, nothing more
    absl::Status status = txn_->FinishParts();
    if (status.ok() && log_position != 0) {
      if (log_position <= store_->log_position_) {
        status = absl::FailedPreconditionError(
            absl::StrCat("log_position: ", log_position,
                         " is applied already (the store is at ",
                         store_->log_position_, ")"));
      } else {
        txn_->SetLogPosition(log_position, at_);
      }
    }
    if (status.ok()) status = store_->IngestBulk(*txn_);
    if (status.ok() && log_position != 0) {
      store_->log_position_ = log_position;
      store_->log_time_ = at_;
    }
    txn_.reset();
    store_->bulk_loader_ = nullptr;
    return status;
  }

  // Called by a write that found this loader idle too long: its later calls
  // are refused, and what it held is freed now rather than when its owner
  // next calls or lets it go.
  void Abandon() ABSL_EXCLUSIVE_LOCKS_REQUIRED(store_->commit_mu_) {
    abandoned_ = true;
    txn_.reset();
  }

 private:
  absl::Status Usable() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(store_->commit_mu_) {
    if (abandoned_) {
      return absl::AbortedError(absl::StrCat(
          "the bulk load was abandoned: it gave nothing for ",
          absl::FormatDuration(store_->options_.bulk_load_idle_timeout),
          " while other writes waited; nothing was written"));
    }
    if (failed_) {
      return absl::FailedPreconditionError(
          "the bulk load failed or ended already; nothing more is taken");
    }
    return absl::OkStatus();
  }

  RocksStore* const store_;
  std::unique_ptr<WriteTxn> txn_;
  const std::optional<int64_t> at_;  // a log entry's time, in micros
  bool failed_ = false;
  bool abandoned_ = false;
};

std::unique_ptr<Reader> RocksStore::NewReader() {
  absl::ReaderMutexLock lock(&adjacency_->commit_mu());
  // Under the commit lock, so no index change can come between this check
  // and the reader's snapshot.
  std::shared_ptr<const CompactAdjacency> compact;
  if (compact_ != nullptr)
    compact = compact_->CurrentAt(adjacency_->generation());
  const bool confidences_current =
      compact != nullptr &&
      compact->records_generation() == adjacency_->records_generation();
  std::shared_ptr<const EntityTable> entities;
  if (compact_ != nullptr) {
    entities = compact_->EntitiesAt(adjacency_->entities_generation());
  }
  return std::make_unique<RocksReader>(database_.get(), adjacency_.get(),
                                       std::move(compact), confidences_current,
                                       std::move(entities));
}

absl::Status RocksStore::Enqueue(std::function<absl::Status(WriteTxn&)> apply,
                                 const ReplicaStamp& replica) {
  PendingWrite w;
  w.apply = std::move(apply);
  w.replica = replica;
  std::vector<PendingWrite*> group;
  {
    absl::MutexLock lock(&queue_mu_);
    queue_.push_back(&w);
    const auto done_or_front = [this, &w]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return w.done || queue_.front() == &w;
    };
    queue_mu_.Await(absl::Condition(&done_or_front));
    if (w.done) return w.status;
    // The leader: take the writes queued behind it, as they are now.
    const size_t n = std::min(queue_.size(), kMaxGroupWrites);
    group.assign(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
  }
  {
    // Writers that arrive meanwhile queue up behind the group.
    absl::MutexLock commit(&commit_mu_);
    AwaitNoBulkLoader();
    CommitGroup(group);
  }
  absl::MutexLock lock(&queue_mu_);
  for (PendingWrite* member : group) {
    queue_.pop_front();
    member->done = true;  // the leader's own too
  }
  // The next writer, if any, now sees itself at the front and leads.
  return w.status;
}

void RocksStore::CommitGroup(const std::vector<PendingWrite*>& group) {
  if (absl::Status parts = NoFreshParts(); !parts.ok()) {
    for (PendingWrite* w : group) w->status = parts;
    return;
  }
  // The changes of the group's successful writes so far, which the next
  // write reads through, and what they did to the indexes.
  std::vector<CfChanges> merged(kNumCfs);
  std::vector<Adjacency::Change> index;
  Counters counters = counters_;
  uint64_t log_position = log_position_;
  std::optional<int64_t> log_time = log_time_;
  std::vector<PendingWrite*> applied;
  for (PendingWrite* w : group) {
    if (w->replica.log_position != 0 &&
        w->replica.log_position <= log_position) {
      w->status = absl::FailedPreconditionError(absl::StrCat(
          "log_position: ", w->replica.log_position,
          " is applied already (the store is at ", log_position, ")"));
      continue;
    }
    std::optional<int64_t> at;
    if (w->replica.at) at = ToMicros(*w->replica.at);
    WriteTxn txn(database_->db(), &database_->cfs(), counters, NextMicros(at),
                 &merged, database_->base_iri());
    w->status = w->apply(txn);
    if (w->status.ok() && w->replica.log_position != 0) {
      txn.SetLogPosition(w->replica.log_position, at);
      log_position = w->replica.log_position;
      log_time = at;
    }
    if (!w->status.ok()) continue;
    for (int cf = 0; const auto& changes : txn.changes()) {
      for (const PendingChanges::Change& change : changes) {
        merged[cf][std::string(change.key)] =
            change.value ? std::optional<std::string>(*change.value)
                         : std::nullopt;
      }
      ++cf;
    }
    index.insert(index.end(), txn.index_changes().begin(),
                 txn.index_changes().end());
    counters = txn.counters();
    applied.push_back(w);
  }
  if (applied.empty()) return;
  const absl::Status committed = CommitChanges(merged, index);
  if (!committed.ok()) {
    for (PendingWrite* w : applied) w->status = committed;
    return;
  }
  counters_ = counters;
  log_position_ = log_position;
  log_time_ = log_time;
}

absl::Status RocksStore::CommitChanges(
    const std::vector<CfChanges>& changes,
    const std::vector<Adjacency::Change>& index) {
  rocksdb::WriteBatch wb;
  for (int cf = 0; cf < kNumCfs; ++cf) {
    rocksdb::ColumnFamilyHandle* handle = database_->cf(static_cast<Cf>(cf));
    for (const auto& [key, value] : changes[cf]) {
      KG_RETURN_IF_ERROR(FromRocksDb(
          value ? wb.Put(handle, key, *value) : wb.Delete(handle, key),
          "batch"));
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  absl::MutexLock commit(&adjacency_->commit_mu());
  KG_RETURN_IF_ERROR(FromRocksDb(database_->db()->Write(wo, &wb), "write"));
  // A statement's term (new with nearly every write) is no entity's name
  // nor id: only other new terms, and entity changes, age the entity table.
  const bool entities_changed =
      !changes[kEntityCf].empty() ||
      std::any_of(changes[kTermCf].begin(), changes[kTermCf].end(),
                  [](const auto& change) {
                    return change.first.empty() ||
                           change.first[0] !=
                               static_cast<char>(TermTag::kStatement);
                  });
  ApplyToAdjacency(index, !changes[kProvCf].empty(), entities_changed);
  return absl::OkStatus();
}

void RocksStore::ApplyToAdjacency(const std::vector<Adjacency::Change>& index,
                                  bool records_changed, bool entities_changed) {
  if (records_changed) adjacency_->NoteRecordsChange();
  if (entities_changed) adjacency_->NoteEntitiesChange();
  if (compact_ != nullptr && index.empty() &&
      (records_changed || entities_changed)) {
    compact_->NoteChange();
  }
  if (index.empty() || !options_.adjacency) return;
  rocksdb::DB* db = database_->db();
  const uint64_t seq = db->GetLatestSequenceNumber();
  uint64_t oldest = 0;
  if (!db->GetIntProperty("rocksdb.oldest-snapshot-sequence", &oldest) ||
      oldest == 0) {
    oldest = seq;
  }
  adjacency_->Apply(index, seq, std::min(oldest, seq));
  if (compact_ != nullptr) compact_->NoteChange();
}

absl::StatusOr<WriteResult> RocksStore::Write(const WriteBatch& batch) {
  WriteResult result;
  KG_RETURN_IF_ERROR(Enqueue(
      [&](WriteTxn& txn) {
        result = WriteResult();
        return txn.Apply(batch, &result);
      },
      batch.replica));
  return result;
}

absl::StatusOr<RetractResult> RocksStore::Retract(
    absl::string_view statement_id, absl::string_view document_id,
    const ReplicaStamp& replica) {
  RetractResult result;
  KG_RETURN_IF_ERROR(Enqueue(
      [&](WriteTxn& txn) {
        result = RetractResult();
        return txn.Retract(statement_id, document_id, &result);
      },
      replica));
  return result;
}

absl::StatusOr<WriteResult> RocksStore::BulkLoad(const WriteBatch& batch) {
  KG_ASSIGN_OR_RETURN(std::unique_ptr<BulkLoader> loader, BeginBulkLoad());
  WriteResult result;
  KG_RETURN_IF_ERROR(loader->Add(batch, "", &result));
  KG_RETURN_IF_ERROR(loader->Commit());
  return result;
}

absl::StatusOr<std::unique_ptr<BulkLoader>> RocksStore::BeginBulkLoad(
    std::optional<absl::Time> at) {
  absl::MutexLock lock(&commit_mu_);
  AwaitNoBulkLoader();
  KG_RETURN_IF_ERROR(NoFreshParts());
  std::optional<int64_t> at_micros;
  if (at) at_micros = ToMicros(*at);
  // Writes wait until the loader is done, so these counters and this time
  // stay the store's latest until it commits.
  auto loader = std::make_unique<RocksBulkLoader>(
      this,
      std::make_unique<WriteTxn>(database_->db(), &database_->cfs(), counters_,
                                 NextMicros(at_micros), /*base=*/nullptr,
                                 database_->base_iri()),
      at_micros);
  bulk_loader_ = loader.get();
  bulk_busy_ = false;
  bulk_idle_since_ = absl::Now();
  return loader;
}

void RocksStore::AwaitNoBulkLoader() {
  const absl::Duration idle = options_.bulk_load_idle_timeout;
  while (bulk_loader_ != nullptr) {
    const absl::Time now = absl::Now();
    if (!bulk_busy_ && now - bulk_idle_since_ >= idle) {
      bulk_loader_->Abandon();
      bulk_loader_ = nullptr;
      break;
    }
    const absl::Time check = bulk_busy_ ? now + idle : bulk_idle_since_ + idle;
    const auto done = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return bulk_loader_ == nullptr;
    };
    commit_mu_.AwaitWithDeadline(absl::Condition(&done), check);
  }
}

absl::Status RocksStore::IngestBulk(WriteTxn& txn) {
  txn.SealCounters();
  return IngestFamilies(
      [&txn](Cf cf, KeySink& sink) -> absl::Status {
        for (const PendingChanges::Change& change : txn.ChangesOf(cf)) {
          KG_RETURN_IF_ERROR(change.value ? sink.Put(change.key, *change.value)
                                          : sink.Delete(change.key));
        }
        return absl::OkStatus();
      },
      txn.index_changes(), txn.counters());
}

absl::StatusOr<WriteResult> RocksStore::LoadFresh(FreshLoad load) {
  using Part = FreshLoad::Part;
  absl::MutexLock lock(&commit_mu_);
  AwaitNoBulkLoader();
  FreshLoadContext context;
  context.base_iri = database_->base_iri();
  context.counters = counters_;
  const Part load_part = load.part;
  const bool first = load_part == Part::kWhole || load_part == Part::kFirst;
  if (first) {
    KG_RETURN_IF_ERROR(NoFreshParts());
    if (counters_.next_tid != 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          "a fresh load needs a store that has never held a term; this one "
          "has numbered ",
          counters_.next_tid - 1));
    }
    context.now_micros = NextMicros();
  } else {
    if (!fresh_parts_.has_value()) {
      return absl::FailedPreconditionError(
          "part: no fresh load in parts is under way; its first part "
          "(FreshLoad::Part::kFirst) comes first");
    }
    context.now_micros = fresh_parts_->now_micros;
    rocksdb::DB* db = database_->db();
    const Database* database = database_.get();
    context.stored = [db, database](Cf cf, const std::string& key)
        -> absl::StatusOr<std::optional<std::string>> {
      std::string value;
      const rocksdb::Status s =
          db->Get(rocksdb::ReadOptions(), database->cf(cf), key, &value);
      if (s.IsNotFound()) return std::nullopt;
      KG_RETURN_IF_ERROR(FromRocksDb(s, "fresh load lookup"));
      return value;
    };
    context.short_statement_keys = database_->short_statement_keys();
    context.earlier = fresh_filter_.get();
  }
  // What the default family says of the parts once this one is in.
  std::optional<FreshParts> after;
  if (load.part == Part::kFirst) {
    after = FreshParts{context.now_micros, counters_};
  } else if (load.part == Part::kNext) {
    after = fresh_parts_;
  }
  if (after.has_value()) {
    context.parts = FreshLoadContext::Parts::kUnderWay;
    context.parts_value = EncodeFreshParts(*after);
  } else if (load.part == Part::kLast) {
    context.parts = FreshLoadContext::Parts::kDone;
  }
  absl::StatusOr<std::unique_ptr<FreshFamilies>> out =
      BuildFreshLoad(std::move(load), context);
  absl::Status status = out.status();
  if (status.ok()) {
    status = IngestFamilies(
        [&out](Cf cf, KeySink& sink) { return (*out)->Write(cf, sink); },
        (*out)->index_changes(), (*out)->counters());
  }
  if (!status.ok()) {
    if (first) return status;  // nothing of it is in
    const absl::Status rolled_back = RollBackFreshParts();
    return absl::Status(
        status.code(),
        absl::StrCat(status.message(),
                     rolled_back.ok()
                         ? "; the load's parts before it were rolled back"
                         : absl::StrCat("; rolling back the load's parts "
                                        "before it failed too (the next "
                                        "open does): ",
                                        rolled_back.message())));
  }
  fresh_parts_ = after;
  if (load_part == Part::kFirst) {
    fresh_filter_ = std::make_unique<FreshPartsFilter>();
  }
  if (!after.has_value()) {
    fresh_filter_.reset();
  } else if (fresh_filter_ != nullptr) {
    fresh_filter_->AddPart((*out)->NewKeys());
  }
  return (*out)->result();
}

absl::Status RocksStore::AbandonFreshLoad() {
  absl::MutexLock lock(&commit_mu_);
  if (!fresh_parts_.has_value()) {
    return absl::FailedPreconditionError("no fresh load in parts is under way");
  }
  return RollBackFreshParts();
}

absl::Status RocksStore::NoFreshParts() const {
  if (!fresh_parts_.has_value()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "a fresh load in parts is under way (kg-server --load): the store "
      "takes no other write until its last part is in");
}

absl::Status RocksStore::RollBackFreshParts() {
  KG_ASSIGN_OR_RETURN(std::optional<Counters> before,
                      RollBackFreshLoadParts(*database_));
  if (!before.has_value()) {
    return absl::InternalError("a fresh load in parts had no kFreshPartsKey");
  }
  {
    absl::MutexLock commit(&adjacency_->commit_mu());
    adjacency_->Clear();
    ApplyToAdjacency({}, /*records_changed=*/true, /*entities_changed=*/true);
  }
  counters_ = *before;
  fresh_parts_.reset();
  fresh_filter_.reset();
  return absl::OkStatus();
}

absl::Status RocksStore::IngestFamilies(
    const FamilyWriter& write_family,
    const std::vector<Adjacency::Change>& index, const Counters& counters) {
  const std::string tmp =
      absl::StrCat(database_->path(), "/", kBulkDirPrefix, last_micros_);
  std::error_code ec;
  fs::create_directories(tmp, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("bulk load: cannot create ", tmp, ": ", ec.message()));
  }
  // Each column family's changes are sorted and written to an SST file of
  // their own, on two threads (this one and a helper), the largest
  // families first.
  static constexpr Cf kOrder[] = {
      kTermCf,    kTidCf,      kStmtCf,    kOspCf,  kSpoCf,
      kPosCf,     kProvCf,     kEntityCf,  kNameCf, kDocProvCf,
      kDefaultCf, kRelationCf, kDocumentCf};
  static_assert(std::size(kOrder) == kNumCfs);
  // One slot per family, each written by the thread that took it.
  std::array<absl::Status, kNumCfs> written;
  std::array<bool, kNumCfs> has_file{};
  std::atomic<size_t> next{0};
  const auto write = [&] {
    for (size_t n; (n = next.fetch_add(1)) < kNumCfs;) {
      const Cf cf = kOrder[n];
      written[cf] = WriteSstFile(cf, write_family,
                                 absl::StrCat(tmp, "/", kCfNames[cf], ".sst"),
                                 &has_file[cf]);
    }
  };
  {
    std::thread helper;
    try {
      helper = std::thread(write);
    } catch (const std::system_error&) {
      // No thread to be had: this one writes them all.
    }
    write();
    if (helper.joinable()) helper.join();
  }
  std::vector<rocksdb::IngestExternalFileArg> args;
  absl::Status status;
  for (int cf = 0; cf < kNumCfs; ++cf) {
    if (!written[cf].ok() && status.ok()) status = written[cf];
    if (!has_file[cf]) continue;
    rocksdb::IngestExternalFileArg arg;
    arg.column_family = database_->cf(static_cast<Cf>(cf));
    arg.external_files = {absl::StrCat(tmp, "/", kCfNames[cf], ".sst")};
    arg.options.move_files = true;
    args.push_back(std::move(arg));
  }
  // The ingest overlaps what the memtables hold (the counters at least),
  // which it would flush under the adjacency's lock, holding up every new
  // reader meanwhile; flushed here first, only writers wait (commit_mu_).
  if (status.ok()) status = Flush();
  if (status.ok()) {
    absl::MutexLock commit(&adjacency_->commit_mu());
    status = FromRocksDb(database_->db()->IngestExternalFiles(args),
                         "bulk load ingest");
    if (status.ok()) {
      ApplyToAdjacency(index, has_file[kProvCf],
                       has_file[kEntityCf] || has_file[kTermCf]);
    }
  }
  fs::remove_all(tmp, ec);
  KG_RETURN_IF_ERROR(status);
  counters_ = counters;
  return absl::OkStatus();
}

namespace {

// Keys into an SST file, opened at the first key (a family with none has
// no file).
class SstSink : public KeySink {
 public:
  SstSink(rocksdb::SstFileWriter* writer, std::string file)
      : writer_(writer), file_(std::move(file)) {}
  absl::Status Put(absl::string_view key, absl::string_view value) override {
    KG_RETURN_IF_ERROR(Open());
    return FromRocksDb(writer_->Put(rocksdb::Slice(key.data(), key.size()),
                                    rocksdb::Slice(value.data(), value.size())),
                       "bulk load");
  }
  absl::Status Delete(absl::string_view key) override {
    KG_RETURN_IF_ERROR(Open());
    return FromRocksDb(writer_->Delete(rocksdb::Slice(key.data(), key.size())),
                       "bulk load");
  }
  bool opened() const { return opened_; }

 private:
  absl::Status Open() {
    if (opened_) return absl::OkStatus();
    opened_ = true;
    return FromRocksDb(writer_->Open(file_), "bulk load");
  }
  rocksdb::SstFileWriter* const writer_;
  const std::string file_;
  bool opened_ = false;
};

}  // namespace

absl::Status RocksStore::WriteSstFile(Cf cf, const FamilyWriter& write_family,
                                      const std::string& file, bool* has_file) {
  rocksdb::Options sst_options(rocksdb::DBOptions(), database_->cf_options(cf));
  // The store's file system, so that fault injection and the power-loss
  // ledger see these files too.
  sst_options.env = database_->db()->GetEnv();
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), sst_options,
                                database_->cf(cf));
  SstSink sink(&writer, file);
  KG_RETURN_IF_ERROR(write_family(cf, sink));
  *has_file = sink.opened();
  if (!sink.opened()) return absl::OkStatus();
  return FromRocksDb(writer.Finish(), "bulk load");
}

absl::Status RocksStore::Flush() {
  rocksdb::FlushOptions options;
  options.wait = true;
  // Nothing else writes meanwhile (a clean stop, or a bulk load holding
  // the commit lock): waiting out a stall is fine.
  options.allow_write_stall = true;
  return FromRocksDb(database_->db()->Flush(options, database_->cfs()),
                     "flush the memtables");
}

absl::Status RocksStore::Checkpoint(absl::string_view dir) {
  rocksdb::Checkpoint* raw = nullptr;
  KG_RETURN_IF_ERROR(FromRocksDb(
      rocksdb::Checkpoint::Create(database_->db(), &raw), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush 0: flush the memtables first, so the copy is mostly
  // hard-linked SST files and a short tail of WAL.
  KG_RETURN_IF_ERROR(
      FromRocksDb(checkpoint->CreateCheckpoint(std::string(dir),
                                               /*log_size_for_flush=*/0),
                  absl::StrCat("checkpoint into ", EchoValue(dir))));
  // RocksDB syncs the files and the checkpoint's directory after renaming
  // it into place, but not the parent that holds the new name: until that
  // is synced, a power loss may take the whole backup.
  return FromRocksDb(
      SyncParentDirectory(*database_->db()->GetFileSystem(), std::string(dir)),
      absl::StrCat("checkpoint into ", EchoValue(dir)));
}

absl::StatusOr<std::unique_ptr<ScratchCheckpoint>>
RocksStore::CheckpointInDataDir() {
  static std::atomic<uint64_t> next{0};
  // The time keeps names apart across restarts, the counter within one.
  const std::string dir =
      absl::StrCat(database_->path(), "/", kScratchCheckpointPrefix,
                   absl::ToUnixMicros(absl::Now()), next.fetch_add(1));
  // Made first: a checkpoint that fails part way goes with it.
  auto scratch = std::make_unique<ScratchCheckpoint>(dir);
  KG_RETURN_IF_ERROR(Checkpoint(dir));
  return scratch;
}

absl::StatusOr<VerifyReport> RocksStore::Verify(
    const std::function<bool()>& should_stop) {
  VerifyReport report;
  rocksdb::ManagedSnapshot snapshot(database_->db());
  KG_RETURN_IF_ERROR(VerifyDatabase(database_->db(), database_->cfs(),
                                    snapshot.snapshot(), &report, should_stop));
  return report;
}

absl::Status RocksStore::Health() {
  const std::string error = database_->errors().error();
  if (error.empty()) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("the store is read-only after an I/O error: ", error));
}

absl::Status RocksStore::Resume() {
  ErrorState& errors = database_->errors();
  if (errors.error().empty()) return absl::OkStatus();
  absl::MutexLock lock(&commit_mu_);
  rocksdb::Status s = database_->db()->Resume();
  if (s.IsBusy()) {
    // RocksDB is recovering by itself (a full disk, a retryable error);
    // the listener clears the error when it succeeds.
    if (errors.error().empty()) return absl::OkStatus();
    return absl::UnavailableError(
        "resume after I/O error: RocksDB is recovering; try again");
  }
  KG_RETURN_IF_ERROR(FromRocksDb(s, "resume after I/O error"));
  errors.Clear();
  return absl::OkStatus();
}

// The in-memory adjacency, read from the SPO index.
// Builds the contested index (format 5) of a store that has none: one made
// before it, or whose first build did not finish. The index and the key
// saying it is complete are written in one batch.
absl::Status BuildContestedIndexIfMissing(Database& database) {
  std::string built;
  rocksdb::DB* db = database.db();
  const rocksdb::Status got =
      db->Get(rocksdb::ReadOptions(), database.cf(kDefaultCf),
              kContestedBuiltKey, &built);
  if (got.ok()) return absl::OkStatus();
  if (!got.IsNotFound()) return FromRocksDb(got, "read the contested index");
  WriteTxn txn(db, &database.cfs(), database.counters_at_open(),
               absl::ToUnixMicros(absl::Now()), nullptr, database.base_iri());
  KG_RETURN_IF_ERROR(txn.RebuildContested());
  rocksdb::WriteBatch wb;
  for (int cf = 0; const auto& changes : txn.changes()) {
    rocksdb::ColumnFamilyHandle* handle = database.cf(static_cast<Cf>(cf++));
    for (const PendingChanges::Change& change : changes) {
      const rocksdb::Slice key(change.key.data(), change.key.size());
      KG_RETURN_IF_ERROR(FromRocksDb(
          change.value ? wb.Put(handle, key,
                                rocksdb::Slice(change.value->data(),
                                               change.value->size()))
                       : wb.Delete(handle, key),
          "batch"));
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocksDb(db->Write(wo, &wb), "build the contested index");
}

absl::StatusOr<std::unique_ptr<Adjacency>> LoadAdjacency(
    const Database& database) {
  auto adjacency = std::make_unique<Adjacency>();
  std::vector<Adjacency::Triple> triples;
  triples.reserve(database.counters_at_open().statements);
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // read once, in order
  ro.readahead_size = size_t{2} << 20;
  std::unique_ptr<rocksdb::Iterator> it(
      database.db()->NewIterator(ro, database.cf(kSpoCf)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    IndexEntry e;
    if (!DecodeIndexEntry(
            absl::string_view(it->key().data(), it->key().size()),
            absl::string_view(it->value().data(), it->value().size()), &e)) {
      return absl::DataLossError(absl::StrCat(
          "data directory ", database.path(), ": corrupt SPO entry"));
    }
    triples.push_back({e.a, e.b, e.c, e.stmt});
  }
  KG_RETURN_IF_ERROR(
      FromRocksDb(it->status(), absl::StrCat("open ", database.path())));
  if (triples.size() > std::numeric_limits<uint32_t>::max()) {
    for (const Adjacency::Triple& t : triples) {
      adjacency->Add(t.subject, t.relation, t.object, t.statement, 0);
    }
  } else {
    adjacency->Load(std::move(triples));
  }
  return adjacency;
}

}  // namespace

EngineFigures RocksStore::Engine() {
  EngineFigures f;
  rocksdb::DB* db = database_->db();
  rocksdb::Statistics* stats = database_->statistics();
  f.block_cache_hits = stats->getTickerCount(rocksdb::BLOCK_CACHE_HIT);
  f.block_cache_misses = stats->getTickerCount(rocksdb::BLOCK_CACHE_MISS);
  f.write_stall_micros = stats->getTickerCount(rocksdb::STALL_MICROS);
  db->GetIntProperty(rocksdb::DB::Properties::kBlockCacheUsage,
                     &f.block_cache_bytes);
  // Summed over the column families.
  db->GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables,
                               &f.memtable_bytes);
  db->GetAggregatedIntProperty(
      rocksdb::DB::Properties::kEstimatePendingCompactionBytes,
      &f.pending_compaction_bytes);
  db->GetAggregatedIntProperty(rocksdb::DB::Properties::kLiveSstFilesSize,
                               &f.live_sst_bytes);
  uint64_t stopped = 0;
  db->GetIntProperty(rocksdb::DB::Properties::kIsWriteStopped, &stopped);
  f.writes_stopped = stopped != 0;
  if (compact_ != nullptr) {
    const CompactAdjacencyKeeper::BuildFigures b = compact_->Figures();
    f.compact_adjacency_builds = b.builds;
    f.last_compact_adjacency_build = b.last_build;
    f.compact_adjacency_built_at = b.built_at;
  }
  return f;
}

ScratchCheckpoint::~ScratchCheckpoint() {
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options,
                                                   absl::string_view path) {
  KG_RETURN_IF_ERROR(ValidateIri("base_iri", options.base_iri));
  if (!absl::EndsWith(options.base_iri, "/") &&
      !absl::EndsWith(options.base_iri, "#")) {
    return absl::InvalidArgumentError(
        "base_iri: must end with '/' or '#' (kg's names are appended to it)");
  }
  Database::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.block_cache_bytes = options.block_cache_bytes;
  db_options.max_open_files = options.max_open_files;
  db_options.write_buffer_bytes = options.write_buffer_bytes;
  db_options.fault_injection = options.fault_injection;
  db_options.base_iri = options.base_iri;
  KG_ASSIGN_OR_RETURN(
      std::unique_ptr<Database> database,
      Database::Open("data directory", std::string(path), db_options));
  RemoveScratchDirectories(database->path());
  KG_ASSIGN_OR_RETURN(std::optional<Counters> rolled_back,
                      RollBackFreshLoadParts(*database));
  KG_RETURN_IF_ERROR(BuildContestedIndexIfMissing(*database));
  std::unique_ptr<Adjacency> adjacency = std::make_unique<Adjacency>();
  if (options.adjacency) {
    KG_ASSIGN_OR_RETURN(adjacency, LoadAdjacency(*database));
  }
  return std::unique_ptr<Store>(new RocksStore(
      options, std::move(database), std::move(adjacency), rolled_back));
}

absl::StatusOr<VerifyReport> Store::VerifyDirectory(
    absl::string_view path, const std::function<bool()>& should_stop) {
  Database::Options db_options;
  db_options.read_only = true;
  db_options.block_cache_bytes = size_t{32} << 20;
  KG_ASSIGN_OR_RETURN(
      std::unique_ptr<Database> database,
      Database::Open("directory", std::string(path), db_options));
  VerifyReport report;
  KG_RETURN_IF_ERROR(VerifyDatabase(database->db(), database->cfs(), nullptr,
                                    &report, should_stop));
  return report;
}

}  // namespace kg::storage
