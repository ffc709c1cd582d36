// Database: an open RocksDB database with kg's column families, and the one
// place that closes it. Opening checks that a directory holds a kg store
// (its column families and format version) or creates one; the destructor
// releases the column family handles and closes the database, so no error
// path closes anything by hand. Internal to storage/.
//
//   KG_ASSIGN_OR_RETURN(std::unique_ptr<Database> db,
//                       Database::Open(path, Database::Options{}));
//   db->db()->Get(rocksdb::ReadOptions(), db->cf(kEntityCf), key, &value);
#ifndef KG_STORAGE_DATABASE_H_
#define KG_STORAGE_DATABASE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "rocksdb/listener.h"
#include "rocksdb/statistics.h"
#include "storage/fault_injection.h"
#include "storage/keys.h"
#include "storage/page_token.h"

namespace kg::storage {

using CfHandles = std::vector<rocksdb::ColumnFamilyHandle*>;

// Whether RocksDB has stopped writes after an I/O error (a "background
// error": a failed WAL write, flush or compaction), and why. RocksDB calls
// the listener from its own threads. Thread-safe.
class ErrorState : public rocksdb::EventListener {
 public:
  void OnBackgroundError(rocksdb::BackgroundErrorReason,
                         rocksdb::Status* bg_error) override;
  void OnErrorRecoveryEnd(
      const rocksdb::BackgroundErrorRecoveryInfo& info) override;

  void Set(std::string error) ABSL_LOCKS_EXCLUDED(mu_);
  void Clear() ABSL_LOCKS_EXCLUDED(mu_);
  // Empty while writes work.
  std::string error() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::string error_ ABSL_GUARDED_BY(mu_);
};

// Fsyncs the directory that holds `path`'s entry, which makes a new file or
// directory at `path`, or a rename to it, survive a power loss.
rocksdb::IOStatus SyncParentDirectory(rocksdb::FileSystem& file_system,
                                      const std::string& path);

// Thread-safe as rocksdb::DB is; the object itself is immutable after Open.
class Database {
 public:
  struct Options {
    // Open read-only (no writes, no recovery writes): for verifying a copy.
    bool read_only = false;
    // Create an empty store when the directory holds none (not read-only).
    bool create_if_missing = true;
    size_t block_cache_bytes = size_t{256} << 20;
    int max_open_files = -1;  // StoreOptions::max_open_files
    size_t write_buffer_bytes = size_t{64} << 20;  // per column family
    // For a store created now (StoreOptions::base_iri).
    std::string base_iri = kDefaultBaseIri;
    // Tests only: fail file I/O while it says so. May be null.
    std::shared_ptr<FaultInjection> fault_injection;
  };

  // Opens the kg store in `path`, or creates an empty one there (format
  // version and zero counters written, synced).
  //   INVALID_ARGUMENT: `path` is empty.
  //   NOT_FOUND: read-only and `path` does not exist.
  //   FAILED_PRECONDITION: `path` is a file, a directory that holds
  //     something else, a RocksDB database without kg's column families, a
  //     store of another format version, or holds no store and
  //     create_if_missing is off.
  //   UNAVAILABLE: another process has it open (its LOCK is held), or I/O
  //     failed. DATA_LOSS: its counters are corrupt.
  // Every message starts with `what`, which names the directory: "data
  // directory: /srv/kg is in use by another process ...", "directory: ...".
  static absl::StatusOr<std::unique_ptr<Database>> Open(absl::string_view what,
                                                        const std::string& path,
                                                        const Options& options);

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  rocksdb::DB* db() const { return db_.get(); }
  // RocksDB's tickers (block cache hits and misses, stall time), kept
  // without histograms or timers, whose cost is measurable.
  rocksdb::Statistics* statistics() const { return statistics_.get(); }
  const CfHandles& cfs() const { return cfs_; }
  rocksdb::ColumnFamilyHandle* cf(Cf cf) const { return cfs_[cf]; }
  const rocksdb::ColumnFamilyOptions& cf_options(Cf cf) const {
    return cf_options_[cf];
  }
  ErrorState& errors() const { return *errors_; }
  const std::string& path() const { return path_; }
  // The counters stored when the database was opened.
  const Counters& counters_at_open() const { return counters_at_open_; }
  // The log position the store held (ReplicaStamp), 0 for none.
  uint64_t log_position_at_open() const { return log_position_at_open_; }
  // Its time in µs, when the store recorded one.
  std::optional<int64_t> log_time_at_open() const { return log_time_at_open_; }
  const std::string& base_iri() const { return base_iri_; }
  // Encodes and checks page tokens under the store's key (empty in a
  // read-only open of a store that has none yet).
  const PageTokenCodec& page_tokens() const { return page_tokens_; }
  // The format this open upgraded the store from; nullopt if none.
  std::optional<uint32_t> upgraded_from() const { return upgraded_from_; }
  // Whether the store was created with short statement keys only
  // (kShortStatementKeysKey).
  bool short_statement_keys() const { return short_statement_keys_; }

 private:
  Database() = default;
  // Reads the page token key, or makes and keeps one (not read-only).
  absl::Status LoadPageTokenKey(absl::string_view what, bool read_only);

  std::string path_;
  // Declared before db_: destroyed after it.
  // The Env RocksDB uses: the default file system, or the fault-injecting
  // one (fault_env_), under DescriptorErrorsRetryableFileSystem.
  std::unique_ptr<rocksdb::Env> env_;
  std::shared_ptr<rocksdb::Statistics> statistics_;
  std::unique_ptr<rocksdb::Env> fault_env_;  // tests only
  std::shared_ptr<ErrorState> errors_;
  std::vector<rocksdb::ColumnFamilyOptions> cf_options_;
  std::unique_ptr<rocksdb::DB> db_;
  CfHandles cfs_;
  Counters counters_at_open_;
  uint64_t log_position_at_open_ = 0;
  std::optional<int64_t> log_time_at_open_;
  std::string base_iri_;
  PageTokenCodec page_tokens_{""};
  std::optional<uint32_t> upgraded_from_;
  bool short_statement_keys_ = false;
};

}  // namespace kg::storage

#endif  // KG_STORAGE_DATABASE_H_
