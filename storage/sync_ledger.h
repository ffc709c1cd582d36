// SyncLedger: what a power loss would leave of the files a store writes.
// The fault file system (fault_env.cc) reports to it every file it creates,
// writes, syncs, renames, links, truncates or deletes and every directory it
// fsyncs; DropUnsynced then makes the real files what the disk would hold
// after the power went. Internal to storage/; tests reach it through
// FaultInjection::PowerOff and DropUnsyncedData (fault_injection.h).
//
// The model, a POSIX file system as ext4 or xfs behaves:
// - A file's data is durable up to the size it had when its last successful
//   Sync or Fsync began. Nothing else makes data durable: not Flush, not
//   Close, not RangeSync (sync_file_range writes pages back but neither the
//   metadata nor the disk's cache; RocksDB uses it only to spread
//   write-back, and syncs before it relies on the data).
// - A new directory entry (a file created, or renamed or linked into a
//   name) is durable once its directory has been fsynced after it was
//   made. Until then a power loss removes it and brings back the durable
//   data of the file it replaced, if any.
// - Removing an entry (a delete, or the old name of a rename) counts as
//   durable at once: a deleted file never comes back. A real disk may bring
//   one back; RocksDB deletes only files its MANIFEST no longer refers to,
//   and ignores such a file on open.
// - A directory made through the ledger (CreateDir) is an entry in its
//   parent like a file: until the parent is fsynced, a power loss removes
//   it with everything in it. A renamed directory takes its files along.
// - Files and directories that existed before the ledger first saw them
//   are durable.
// On a power loss the unsynced tail of a file is dropped whole, or, when
// asked, cut at a random point (the disk may have written part of it), and
// an entry that was not durable is removed, or, when asked, kept at random.
//
// Thread-safe.
#ifndef KG_STORAGE_SYNC_LEDGER_H_
#define KG_STORAGE_SYNC_LEDGER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "storage/fault_injection.h"

namespace kg::storage {

class SyncLedger {
 public:
  // One file's data, shared by its names (a hard link is a second name).
  struct File {
    uint64_t size = 0;    // bytes written so far
    uint64_t synced = 0;  // the durable prefix
  };
  // The real operation on the file system; true when it succeeded.
  using Op = std::function<bool()>;

  // From now on every change below fails (returns false, `op` not run).
  void PowerOff() ABSL_LOCKS_EXCLUDED(mu_);
  bool powered_off() const { return off_.load(); }

  // Changes to directories. Each runs `op` unless the power is off, with no
  // other change recorded in between, and records what it did if `op`
  // succeeded. Each returns false, without running `op`, when the power is
  // off; true otherwise, whatever `op` returned.
  //
  // `path` is created, or truncated when it exists. `*file` (when `op`
  // succeeded) is what its writer reports to.
  bool Create(const std::string& path, const Op& op,
              std::shared_ptr<File>* file) ABSL_LOCKS_EXCLUDED(mu_);
  // `path` is opened to append to it (created when it does not exist).
  bool Reopen(const std::string& path, const Op& op,
              std::shared_ptr<File>* file) ABSL_LOCKS_EXCLUDED(mu_);
  // RocksDB's file recycling: `from` is renamed to `path` and rewritten
  // from its start. Its old bytes past what is written anew are not kept.
  bool Reuse(const std::string& from, const std::string& path, const Op& op,
             std::shared_ptr<File>* file) ABSL_LOCKS_EXCLUDED(mu_);
  // A file or a directory.
  bool Rename(const std::string& from, const std::string& to, const Op& op)
      ABSL_LOCKS_EXCLUDED(mu_);
  bool Link(const std::string& from, const std::string& to, const Op& op)
      ABSL_LOCKS_EXCLUDED(mu_);
  // A file, or an empty directory.
  bool Delete(const std::string& path, const Op& op) ABSL_LOCKS_EXCLUDED(mu_);
  // A directory, created unless it exists.
  bool CreateDir(const std::string& path, const Op& op)
      ABSL_LOCKS_EXCLUDED(mu_);
  bool Truncate(const std::string& path, uint64_t size, const Op& op)
      ABSL_LOCKS_EXCLUDED(mu_);
  // An fsync of directory `dir`: its entries made so far become durable.
  bool SyncDir(const std::string& dir, const Op& op) ABSL_LOCKS_EXCLUDED(mu_);

  // Changes to a file's data, reported by its writer after the write
  // succeeded (the power may have gone meanwhile: the data is not durable
  // either way).
  void Appended(File& file, uint64_t n) ABSL_LOCKS_EXCLUDED(mu_);
  void WroteTo(File& file, uint64_t end) ABSL_LOCKS_EXCLUDED(mu_);
  void Truncated(File& file, uint64_t size) ABSL_LOCKS_EXCLUDED(mu_);
  // Runs `op`, a Sync or Fsync of `file`, outside the ledger's lock. If it
  // succeeds and the power is still on when it returns, what was written
  // before it began is durable. False when the power was off before or
  // when `op` returned (then nothing more is durable, whatever `op` said).
  bool Sync(File& file, const Op& op) ABSL_LOCKS_EXCLUDED(mu_);

  // The power loss itself (FaultInjection::DropUnsyncedData): cuts the
  // files back to what is durable, then forgets everything and switches
  // the power back on. No file may be open for writing.
  absl::StatusOr<PowerLossReport> DropUnsynced(const PowerLossOptions& options)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // What a power loss brings back at `path` if an entry made now is not
  // made durable: the durable data of the file there, or nullopt for none.
  std::optional<std::string> Replaced(const std::string& path)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records a new entry at `path`; `replaced` is Replaced(path) from before
  // the operation that made it.
  void AddEntry(const std::string& path, std::optional<std::string> replaced)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records that the entry at `path` is gone.
  void RemoveEntry(const std::string& path) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::atomic<bool> off_{false};  // written under mu_
  // Every file written through the ledger, by path.
  std::map<std::string, std::shared_ptr<File>> files_ ABSL_GUARDED_BY(mu_);
  // Entries not durable yet, by path: what a power loss brings back there.
  std::map<std::string, std::optional<std::string>> pending_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace kg::storage

#endif  // KG_STORAGE_SYNC_LEDGER_H_
