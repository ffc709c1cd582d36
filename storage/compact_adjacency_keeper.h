// CompactAdjacencyKeeper: keeps the compact adjacency (compact_adjacency.h)
// in step with the versioned one, and the entity table (entity_table.h) in
// step with the entities. It builds them on open and, on a background
// thread, rebuilds what is stale once no write has changed the indexes,
// the records, the entities or the dictionary for a delay (at least twice
// the last build); with a background thread, the copies of the open are
// built there too. Internal to storage/.
#ifndef KG_STORAGE_COMPACT_ADJACENCY_KEEPER_H_
#define KG_STORAGE_COMPACT_ADJACENCY_KEEPER_H_

#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "rocksdb/db.h"
#include "storage/adjacency.h"
#include "storage/compact_adjacency.h"
#include "storage/entity_table.h"
#include "storage/store.h"

namespace kg::storage {

// Thread-safe.
class CompactAdjacencyKeeper {
 public:
  // `db`, `prov` (its provenance column family, read for each statement's
  // best confidence) and `adjacency` must outlive the keeper. `delay`
  // InfiniteDuration: no background thread (rebuilt only by Refresh), and
  // the first copy is built before the constructor returns; otherwise the
  // background thread builds the first copy at once.
  // `new_reader` (may be empty: no entity table) makes a reader at the
  // store's latest state; called with the adjacency's commit_mu() held
  // shared, so it must not take it. No table when the store has more than
  // `max_entities` entities.
  CompactAdjacencyKeeper(
      rocksdb::DB* db, rocksdb::ColumnFamilyHandle* prov,
      rocksdb::ColumnFamilyHandle* stmt, Adjacency* adjacency,
      absl::Duration delay,
      std::function<std::unique_ptr<Reader>()> new_reader = nullptr,
      size_t max_entities = 0);
  // Stops the thread and any build under way.
  ~CompactAdjacencyKeeper();
  CompactAdjacencyKeeper(const CompactAdjacencyKeeper&) = delete;
  CompactAdjacencyKeeper& operator=(const CompactAdjacencyKeeper&) = delete;

  // The copy when it was built at `generation` (its edges; its
  // confidences may be older: CompactAdjacency::records_generation), else
  // null. Call with the
  // adjacency's commit_mu() held, so no index change comes between the
  // check and the caller's snapshot.
  std::shared_ptr<const CompactAdjacency> CurrentAt(uint64_t generation)
      ABSL_LOCKS_EXCLUDED(compact_mu_);
  // The entity table when it was built at `entities_generation` (the
  // adjacency's), else null. Call with the adjacency's commit_mu() held,
  // as CurrentAt.
  std::shared_ptr<const EntityTable> EntitiesAt(uint64_t entities_generation)
      ABSL_LOCKS_EXCLUDED(compact_mu_);
  // Rebuilds now what is stale.
  void Refresh() ABSL_LOCKS_EXCLUDED(build_mu_, compact_mu_, refresh_mu_);
  // An index change, a record added or retracted, or an entity or term
  // change was committed: a rebuild is due once writes are quiet.
  void NoteChange() ABSL_LOCKS_EXCLUDED(refresh_mu_);

  struct BuildFigures {
    uint64_t builds = 0;
    absl::Duration last_build;
    absl::Time built_at = absl::InfinitePast();
  };
  BuildFigures Figures() ABSL_LOCKS_EXCLUDED(refresh_mu_);

 private:
  void RefreshWhenQuiet();
  // Each rebuilds its copy when stale, with build_mu_ held; true when it
  // built one.
  bool RefreshCompact() ABSL_EXCLUSIVE_LOCKS_REQUIRED(build_mu_);
  bool RefreshEntities() ABSL_EXCLUSIVE_LOCKS_REQUIRED(build_mu_);
  bool stopping() ABSL_LOCKS_EXCLUDED(refresh_mu_);

  // Each statement's best live confidence at `snapshot`, by statement id.
  absl::StatusOr<std::vector<double>> ReadConfidences(
      const rocksdb::Snapshot* snapshot);

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const prov_;
  rocksdb::ColumnFamilyHandle* const stmt_;  // rows naming shared records
  Adjacency* const adjacency_;
  const absl::Duration delay_;
  const std::function<std::unique_ptr<Reader>()> new_reader_;
  const size_t max_entities_;

  // One build at a time.
  absl::Mutex build_mu_ ABSL_ACQUIRED_BEFORE(compact_mu_);
  // A build found ids too large for 32 bits; no more attempts.
  bool impossible_ ABSL_GUARDED_BY(build_mu_) = false;
  absl::Mutex compact_mu_;
  std::shared_ptr<const CompactAdjacency> compact_ ABSL_GUARDED_BY(compact_mu_);
  std::shared_ptr<const EntityTable> entities_ ABSL_GUARDED_BY(compact_mu_);
  absl::Mutex refresh_mu_;
  bool stop_ ABSL_GUARDED_BY(refresh_mu_) = false;
  // A change since the last rebuild, and when the last one came.
  bool due_ ABSL_GUARDED_BY(refresh_mu_) = false;
  absl::Time last_change_ ABSL_GUARDED_BY(refresh_mu_);
  absl::Duration last_build_time_ ABSL_GUARDED_BY(refresh_mu_);
  uint64_t builds_ ABSL_GUARDED_BY(refresh_mu_) = 0;
  absl::Time built_at_ ABSL_GUARDED_BY(refresh_mu_) = absl::InfinitePast();
  std::thread thread_;
};

}  // namespace kg::storage

#endif  // KG_STORAGE_COMPACT_ADJACENCY_KEEPER_H_
