#include "storage/database.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/echo.h"
#include "rocksdb/convenience.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "storage/coding.h"
#include "storage/descriptor_errors.h"
#include "storage/fault_env.h"
#include "storage/rocksdb_status.h"
#include "storage/status_macros.h"

namespace kg::storage {

namespace {

namespace fs = std::filesystem;

rocksdb::CompressionType BestCompression(bool bottommost) {
  const auto supported = rocksdb::GetSupportedCompressions();
  const auto has = [&](rocksdb::CompressionType t) {
    return std::find(supported.begin(), supported.end(), t) != supported.end();
  };
  if (bottommost && has(rocksdb::kZSTD)) return rocksdb::kZSTD;
  if (has(rocksdb::kLZ4Compression)) return rocksdb::kLZ4Compression;
  if (has(rocksdb::kSnappyCompression)) return rocksdb::kSnappyCompression;
  return rocksdb::kNoCompression;
}

rocksdb::ColumnFamilyOptions CfOptions(int cf,
                                       std::shared_ptr<rocksdb::Cache> cache,
                                       size_t write_buffer_bytes) {
  rocksdb::ColumnFamilyOptions o;
  o.write_buffer_size = write_buffer_bytes;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = std::move(cache);
  table.format_version = 5;
  // Point lookups (dictionary, records) benefit from bloom filters; the
  // index and provenance families are only ever prefix-scanned.
  const bool point_lookups = cf == kTermCf || cf == kTidCf || cf == kEntityCf ||
                             cf == kRelationCf || cf == kDocumentCf ||
                             cf == kStmtCf;
  if (point_lookups) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  }
  // Read by seeks and scans only: larger blocks compress better (WordNet's
  // indexes ~9% smaller, doc_prov 45%) and cost a scan nothing, which
  // reads whole blocks anyway. prov and default keep 4 KiB: a document's
  // listing and the contested index read them a key at a time.
  if (cf == kSpoCf || cf == kPosCf || cf == kOspCf || cf == kDocProvCf ||
      cf == kNameCf) {
    table.block_size = 16 * 1024;
  }
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  o.compression = BestCompression(false);
  o.bottommost_compression = BestCompression(true);
  return o;
}

// FAILED_PRECONDITION unless the RocksDB database in `path` has every kg
// column family.
absl::Status CheckKgColumnFamilies(absl::string_view what,
                                   const std::string& path) {
  std::vector<std::string> names;
  rocksdb::Status s =
      rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names);
  if (!s.ok())
    return FromRocksDb(s, absl::StrCat(what, ": open ", EchoValue(path)));
  for (const char* want : kCfNames) {
    if (std::find(names.begin(), names.end(), want) == names.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat(what, ": ", EchoValue(path), " is not a kg store (no '",
                       want, "' column family)"));
    }
  }
  return absl::OkStatus();
}

// Present in a store's directory while Open creates it, removed once the
// store is whole (its format key written): a directory that has it holds
// a creation cut short, which the next open makes again from nothing.
constexpr char kCreatingFile[] = "KG_CREATING";

// Creates directory `path` and its missing parents, each durably: a new
// directory is an entry in its parent, which a power loss may drop until
// the parent is fsynced. RocksDB fsyncs the store's directory for the files
// in it, never its parent, so without this a store's first writes could
// vanish with the directory that holds them.
absl::Status CreateDirectory(rocksdb::FileSystem& file_system,
                             absl::string_view what, const std::string& path) {
  fs::path p = fs::path(path).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();  // "a/b/"
  std::vector<fs::path> missing;
  std::error_code ec;
  for (; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    missing.push_back(p);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    rocksdb::IOStatus s = file_system.CreateDirIfMissing(
        it->string(), rocksdb::IOOptions(), nullptr);
    if (s.ok()) s = SyncParentDirectory(file_system, it->string());
    if (!s.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create ", what, " ", EchoValue(path), ": ",
                       EchoValue(s.ToString())));
    }
  }
  return absl::OkStatus();
}

// Whether `path` holds a kg store (true), nothing yet (false, after creating
// the directory through `file_system` when allowed), or something else (an
// error).
absl::StatusOr<bool> CheckDirectory(absl::string_view what,
                                    const std::string& path,
                                    const Database::Options& options,
                                    rocksdb::FileSystem& file_system) {
  std::error_code ec;
  if (path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": must not be empty"));
  }
  if (options.read_only && !fs::exists(path, ec)) {
    return absl::NotFoundError(
        absl::StrCat(what, ": ", EchoValue(path), " does not exist"));
  }
  if (fs::exists(path, ec) && !fs::is_directory(path, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": ", EchoValue(path), " is not a directory"));
  }
  if (!options.read_only && fs::exists(fs::path(path) / kCreatingFile, ec)) {
    // A creation cut short: made again from nothing, but not while another
    // process holds it. The LOCK file stays: another process may be
    // waiting on it.
    rocksdb::FileLock* lock = nullptr;
    if (!rocksdb::Env::Default()
             ->LockFile(absl::StrCat(path, "/LOCK"), &lock)
             .ok()) {
      return absl::UnavailableError(absl::StrCat(
          what, ": ", EchoValue(path),
          " is in use by another process (its LOCK file is held)"));
    }
    std::error_code failed;
    fs::directory_iterator it(path, failed);
    for (; !failed && it != fs::directory_iterator(); it.increment(failed)) {
      if (it->path().filename() == "LOCK" ||
          it->path().filename() == kCreatingFile) {
        continue;
      }
      std::error_code removed;
      fs::remove_all(it->path(), removed);
      if (removed) failed = removed;
    }
    (void)rocksdb::Env::Default()->UnlockFile(lock);
    if (failed) {
      return absl::UnavailableError(
          absl::StrCat(what, ": cannot clear the unfinished store in ",
                       EchoValue(path), ": ", failed.message()));
    }
    return false;  // a new store, its mark already there
  }
  if (fs::exists(fs::path(path) / "CURRENT", ec)) {
    KG_RETURN_IF_ERROR(CheckKgColumnFamilies(what, path));
    return true;
  }
  if (options.read_only) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": ", EchoValue(path), " holds no kg store"));
  }
  if (fs::exists(path, ec) && !fs::is_empty(path, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, ": ", EchoValue(path), " is not empty and holds no kg store"));
  }
  if (!options.create_if_missing) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": ", EchoValue(path), " holds no kg store"));
  }
  KG_RETURN_IF_ERROR(CreateDirectory(file_system, what, path));
  return false;
}

}  // namespace

rocksdb::IOStatus SyncParentDirectory(rocksdb::FileSystem& file_system,
                                      const std::string& path) {
  fs::path p = fs::path(path).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();  // "a/b/"
  std::string parent = p.parent_path().string();
  if (parent.empty()) parent = ".";
  std::unique_ptr<rocksdb::FSDirectory> dir;
  rocksdb::IOStatus s =
      file_system.NewDirectory(parent, rocksdb::IOOptions(), &dir, nullptr);
  if (s.ok()) s = dir->Fsync(rocksdb::IOOptions(), nullptr);
  return s;
}

void ErrorState::OnBackgroundError(rocksdb::BackgroundErrorReason,
                                   rocksdb::Status* bg_error) {
  Set(bg_error->ToString());
}

void ErrorState::OnErrorRecoveryEnd(
    const rocksdb::BackgroundErrorRecoveryInfo& info) {
  if (info.new_bg_error.ok()) Clear();
}

void ErrorState::Set(std::string error) {
  absl::MutexLock lock(&mu_);
  error_ = std::move(error);
}

void ErrorState::Clear() {
  absl::MutexLock lock(&mu_);
  error_.clear();
}

std::string ErrorState::error() const {
  absl::MutexLock lock(&mu_);
  return error_;
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(
    absl::string_view what, const std::string& path, const Options& options) {
  std::unique_ptr<Database> d(new Database());
  rocksdb::DBOptions db_options;
  std::shared_ptr<rocksdb::FileSystem> fs = rocksdb::FileSystem::Default();
  if (options.fault_injection != nullptr) {
    d->fault_env_ = NewFaultInjectionEnv(options.fault_injection);
    fs = d->fault_env_->GetFileSystem();
  }
  d->env_ =
      rocksdb::NewCompositeEnv(NewDescriptorErrorsRetryableFileSystem(fs));
  db_options.env = d->env_.get();
  KG_ASSIGN_OR_RETURN(
      const bool existing,
      CheckDirectory(what, path, options, *db_options.env->GetFileSystem()));
  d->path_ = path;
  const std::string creating = absl::StrCat(path, "/", kCreatingFile);
  if (!existing && !options.read_only) {
    // Marks the directory, durably, until the store is whole.
    rocksdb::FileSystem& file_system = *db_options.env->GetFileSystem();
    std::unique_ptr<rocksdb::FSWritableFile> mark;
    rocksdb::IOStatus s = file_system.NewWritableFile(
        creating, rocksdb::FileOptions(), &mark, nullptr);
    if (s.ok()) s = mark->Close(rocksdb::IOOptions(), nullptr);
    if (s.ok()) s = SyncParentDirectory(file_system, creating);
    if (!s.ok()) {
      return absl::UnavailableError(
          absl::StrCat(what, ": cannot mark ", EchoValue(path),
                       " while creating it: ", EchoValue(s.ToString())));
    }
  }
  d->errors_ = std::make_shared<ErrorState>();

  db_options.listeners.push_back(d->errors_);
  db_options.create_if_missing = !existing;
  db_options.create_missing_column_families = !existing;
  db_options.IncreaseParallelism(2);
  db_options.max_background_jobs = 2;
  db_options.paranoid_checks = true;
  db_options.max_open_files = options.max_open_files;
  // No recovery thread of RocksDB's own after a retryable I/O error: in
  // 7.8 a close while that thread waits to retry never returns (the thread
  // leaves without clearing "recovery in progress"). Store::Resume, which
  // kg-server calls every second while the store is unhealthy, recovers
  // instead. A full disk still recovers by itself (SstFileManager).
  db_options.max_bgerror_resume_count = 0;
  // The MANIFEST records each write-ahead log file and its synced size, so
  // that a log file lost or cut short (a power loss, a bad copy) stops the
  // open with an error instead of silently losing its writes.
  db_options.track_and_verify_wals_in_manifest = true;
  d->statistics_ = rocksdb::CreateDBStatistics();
  d->statistics_->set_stats_level(
      rocksdb::StatsLevel::kExceptHistogramOrTimers);
  db_options.statistics = d->statistics_;
  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  // Only kg's column families are opened, in Cf order.
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (int cf = 0; cf < kNumCfs; ++cf) {
    d->cf_options_.push_back(CfOptions(cf, cache, options.write_buffer_bytes));
    descriptors.emplace_back(kCfNames[cf], d->cf_options_.back());
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  if (options.read_only) {
    s = rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &d->cfs_,
                                     &raw);
  } else if (existing) {
    s = rocksdb::DB::Open(db_options, path, descriptors, &d->cfs_, &raw);
  } else {
    // A new store: RocksDB 7.8's Open creates missing column families one
    // at a time, writing and re-reading the OPTIONS file after each (13
    // times, each longer: ~40 ms of a new store's open). Creating them in
    // one CreateColumnFamilies writes it once. The store is not usable
    // before the format key below is written; a crash in between leaves
    // kCreatingFile, and the next open makes the store again from nothing.
    db_options.create_missing_column_families = false;
    s = rocksdb::DB::Open(db_options, path, {descriptors[0]}, &d->cfs_, &raw);
    if (s.ok()) {
      d->db_.reset(raw);
      std::vector<rocksdb::ColumnFamilyHandle*> created;
      s = raw->CreateColumnFamilies(
          std::vector<rocksdb::ColumnFamilyDescriptor>(descriptors.begin() + 1,
                                                       descriptors.end()),
          &created);
      d->cfs_.insert(d->cfs_.end(), created.begin(), created.end());
    }
  }
  if (!s.ok()) {
    // RocksDB names the LOCK file when another holder keeps it ("While
    // lock file: <dir>/LOCK: ..." or "... <dir>/LOCK: No locks
    // available"); a read-only open takes no lock.
    if (!options.read_only && s.IsIOError() &&
        absl::StrContains(s.ToString(), "/LOCK:")) {
      return absl::UnavailableError(absl::StrCat(
          what, ": ", EchoValue(path),
          " is in use by another process (its LOCK file is held)"));
    }
    return FromRocksDb(s, absl::StrCat(what, ": open ", EchoValue(path)));
  }
  if (d->db_ == nullptr) d->db_.reset(raw);
  // The base IRI (format 2); a format-1 store has the default one.
  std::string base;
  const rocksdb::Status got_base =
      d->db_->Get(rocksdb::ReadOptions(), d->cf(kDefaultCf), kBaseKey, &base);
  d->base_iri_ = got_base.ok() ? base : std::string(kDefaultBaseIri);
  std::string ignored;
  d->short_statement_keys_ =
      d->db_
          ->Get(rocksdb::ReadOptions(), d->cf(kDefaultCf),
                kShortStatementKeysKey, &ignored)
          .ok();
  // A read-only copy is opened to be checked: what its format and counters
  // say is for the checks to report, not a reason to refuse it.
  if (options.read_only) {
    KG_RETURN_IF_ERROR(d->LoadPageTokenKey(what, /*read_only=*/true));
    return d;
  }

  std::string format;
  const rocksdb::Status got = d->db_->Get(
      rocksdb::ReadOptions(), d->cf(kDefaultCf), kFormatKey, &format);
  if (got.IsNotFound() && !existing) {
    std::string version;
    PutFixed32(&version, kFormatVersion);
    rocksdb::WriteBatch wb;
    KG_RETURN_IF_ERROR(FromRocksDb(
        wb.Put(d->cf(kDefaultCf), kFormatKey, version), "initialize"));
    KG_RETURN_IF_ERROR(FromRocksDb(
        wb.Put(d->cf(kDefaultCf), kBaseKey, options.base_iri), "initialize"));
    d->base_iri_ = options.base_iri;
    KG_RETURN_IF_ERROR(FromRocksDb(
        wb.Put(d->cf(kDefaultCf), kCountersKey, EncodeCounters(Counters{})),
        "initialize"));
    // A new store's contested index is complete: empty.
    KG_RETURN_IF_ERROR(FromRocksDb(
        wb.Put(d->cf(kDefaultCf), kContestedBuiltKey, ""), "initialize"));
    KG_RETURN_IF_ERROR(FromRocksDb(
        wb.Put(d->cf(kDefaultCf), kShortStatementKeysKey, ""), "initialize"));
    d->short_statement_keys_ = true;
    KG_ASSIGN_OR_RETURN(std::string token_key, PageTokenCodec::NewKey());
    KG_RETURN_IF_ERROR(FromRocksDb(
        wb.Put(d->cf(kDefaultCf), kPageTokenKeyKey, token_key), "initialize"));
    d->page_tokens_ = PageTokenCodec(std::move(token_key));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    KG_RETURN_IF_ERROR(
        FromRocksDb(d->db_->Write(wo, &wb),
                    absl::StrCat(what, ": initialize ", EchoValue(path))));
    // The store is whole: its mark goes, durably, or the open fails (a
    // mark left would make the next open start the store again).
    rocksdb::FileSystem& file_system = *db_options.env->GetFileSystem();
    rocksdb::IOStatus removed =
        file_system.DeleteFile(creating, rocksdb::IOOptions(), nullptr);
    if (removed.ok()) removed = SyncParentDirectory(file_system, creating);
    if (!removed.ok()) {
      return absl::UnavailableError(
          absl::StrCat(what, ": cannot unmark ", EchoValue(path),
                       " once created: ", EchoValue(removed.ToString())));
    }
    return d;
  }
  if (got.IsNotFound()) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, ": ", EchoValue(path), " is not a kg store (no format version)"));
  }
  KG_RETURN_IF_ERROR(
      FromRocksDb(got, absl::StrCat(what, ": open ", EchoValue(path))));
  absl::string_view in(format);
  uint32_t version = 0;
  if (!GetFixed32(&in, &version) || version == 0 || version > kFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": ", EchoValue(path), " holds kg store format ",
                     version, "; this kg reads formats 1 to ", kFormatVersion,
                     " (a newer kg wrote it)"));
  }
  if (version < kFormatVersion) {
    // Format 1 is format 2 without the new kinds of term and without the
    // base IRI, which was always the default: the upgrade writes both keys.
    // Format 2 is format 3 without entity histories: nothing to rewrite.
    // Format 3 is format 4 whose index values lack the asserted byte,
    // which readers then take from the statement row: nothing to rewrite.
    // Format 4 is format 5 without the contested index, which Store::Open
    // builds (the key kContestedBuiltKey says when it is complete).
    // Format 5 is format 6 whose statements all have a reverse dictionary
    // entry, which format 6 reads as it reads one derived: nothing to do.
    // Format 6 is format 7 without shared provenance records: nothing.
    std::string current;
    PutFixed32(&current, kFormatVersion);
    rocksdb::WriteBatch wb;
    KG_RETURN_IF_ERROR(
        FromRocksDb(wb.Put(d->cf(kDefaultCf), kFormatKey, current), "upgrade"));
    KG_RETURN_IF_ERROR(FromRocksDb(
        wb.Put(d->cf(kDefaultCf), kBaseKey, d->base_iri_), "upgrade"));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    KG_RETURN_IF_ERROR(
        FromRocksDb(d->db_->Write(wo, &wb),
                    absl::StrCat(what, ": upgrade ", EchoValue(path))));
    d->upgraded_from_ = version;
  }
  std::string counters;
  const rocksdb::Status read = d->db_->Get(
      rocksdb::ReadOptions(), d->cf(kDefaultCf), kCountersKey, &counters);
  if (!read.ok() && !read.IsNotFound()) {
    return FromRocksDb(read, absl::StrCat(what, ": open ", EchoValue(path)));
  }
  if (!read.ok() || !DecodeCounters(counters, &d->counters_at_open_)) {
    return absl::DataLossError(
        absl::StrCat(what, ": ", EchoValue(path), ": counters are corrupt"));
  }
  std::string position;
  const rocksdb::Status got_position = d->db_->Get(
      rocksdb::ReadOptions(), d->cf(kDefaultCf), kLogPositionKey, &position);
  if (!got_position.ok() && !got_position.IsNotFound()) {
    return FromRocksDb(got_position,
                       absl::StrCat(what, ": open ", EchoValue(path)));
  }
  if (got_position.ok()) {
    absl::string_view in(position);
    uint64_t at = 0;
    if (!GetFixed64(&in, &d->log_position_at_open_) ||
        (!in.empty() && (!GetFixed64(&in, &at) || !in.empty()))) {
      return absl::DataLossError(absl::StrCat(what, ": ", EchoValue(path),
                                              ": the log position is corrupt"));
    }
    if (position.size() == 16) d->log_time_at_open_ = static_cast<int64_t>(at);
  }
  KG_RETURN_IF_ERROR(d->LoadPageTokenKey(what, /*read_only=*/false));
  return d;
}

absl::Status Database::LoadPageTokenKey(absl::string_view what,
                                        bool read_only) {
  std::string key;
  const rocksdb::Status got =
      db_->Get(rocksdb::ReadOptions(), cf(kDefaultCf), kPageTokenKeyKey, &key);
  if (!got.ok() && !got.IsNotFound()) {
    return FromRocksDb(got, absl::StrCat(what, ": open ", EchoValue(path_)));
  }
  if (got.ok() && key.size() == PageTokenCodec::kKeyBytes) {
    page_tokens_ = PageTokenCodec(std::move(key));
    return absl::OkStatus();
  }
  // A copy opened to be checked pages nothing: it keeps the empty key.
  if (read_only) return absl::OkStatus();
  // A store made before page tokens carried a MAC (or whose key is not
  // the right size, which would only void the tokens it issued): a new
  // key, kept from now on.
  KG_ASSIGN_OR_RETURN(key, PageTokenCodec::NewKey());
  rocksdb::WriteOptions wo;
  wo.sync = true;
  KG_RETURN_IF_ERROR(FromRocksDb(
      db_->Put(wo, cf(kDefaultCf), kPageTokenKeyKey, key),
      absl::StrCat(what, ": keep the page token key in ", EchoValue(path_))));
  page_tokens_ = PageTokenCodec(std::move(key));
  return absl::OkStatus();
}

Database::~Database() {
  if (db_ == nullptr) return;
  for (rocksdb::ColumnFamilyHandle* h : cfs_) {
    db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
  // Nothing to report to: a destructor has no caller to tell.
  db_->Close().PermitUncheckedError();
}

}  // namespace kg::storage
