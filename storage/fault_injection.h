// FaultInjection: switches, for tests, that make the store's file writes or
// file reads fail with an I/O error, as a full or failing disk would, or
// that cut the power. Set StoreOptions::fault_injection before Store::Open;
// flip them at any time.
//
//   auto faults = std::make_shared<FaultInjection>();
//   options.fault_injection = faults;
//   ... Store::Open(options, dir) ...
//   faults->set_failing(true);         // writes, flushes and syncs now fail
//   faults->set_failing(false);        // the disk "recovers"
//   faults->set_failing_reads(true);   // reads of SST files now fail
//
// A read fails only when it reaches a file: what the block cache or the
// memtable already holds is still served.
//
// Power loss: every file the store writes is tracked, how much of it is
// synced and whether its directory entry is durable (storage/sync_ledger.h
// has the model). PowerOff() is the moment the power goes; the store is
// then destroyed (its process would be gone) and DropUnsyncedData() leaves
// on disk only what a real disk would still hold:
//
//   faults->PowerOff();                // every write, sync, create, rename
//                                      // and delete now fails
//   store.reset();
//   faults->DropUnsyncedData({});      // unsynced data and entries are gone
//   ... Store::Open(StoreOptions{}, dir) ...   // recovery, as after a reboot
//
// Thread-safe.
#ifndef KG_STORAGE_FAULT_INJECTION_H_
#define KG_STORAGE_FAULT_INJECTION_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"

namespace kg::storage {

class SyncLedger;  // storage/sync_ledger.h

struct PowerLossOptions {
  // Keep a random part of what was not durable, as a disk may have written
  // some of it before the power went: each file's unsynced tail is cut at
  // a random point, and each directory entry that was not durable is kept
  // or removed at random. Otherwise all of it is dropped.
  bool keep_random_part = false;
  uint64_t seed = 0;  // for keep_random_part
};

// What DropUnsyncedData did.
struct PowerLossReport {
  // New files and directories whose directory was not fsynced since.
  uint64_t entries_removed = 0;
  uint64_t files_restored = 0;   // files a rename had replaced, brought back
  uint64_t files_truncated = 0;  // files cut back to their durable size
  uint64_t bytes_dropped = 0;    // by the truncations
};

class FaultInjection {
 public:
  FaultInjection();
  ~FaultInjection();
  FaultInjection(const FaultInjection&) = delete;
  FaultInjection& operator=(const FaultInjection&) = delete;

  void set_failing(bool failing) { failing_.store(failing); }
  bool failing() const { return failing_.load(); }
  void set_failing_reads(bool failing) { failing_reads_.store(failing); }
  // While on, opening a file fails as it does when the process is out of
  // descriptors (EMFILE); files already open work.
  void set_out_of_descriptors(bool out) { out_of_descriptors_.store(out); }
  bool out_of_descriptors() const { return out_of_descriptors_.load(); }
  bool failing_reads() const { return failing_reads_.load(); }
  // Operations failed so far.
  uint64_t failures() const { return failures_.load(); }
  void CountFailure() { failures_.fetch_add(1); }

  // The power goes: from now on every write, sync, file creation, rename
  // and deletion fails with an I/O error and changes nothing on disk. Reads
  // still work. A write acknowledged before this returned stays durable
  // (if it was synced); none can be acknowledged after.
  void PowerOff();
  bool powered_off() const;
  // The power loss's effect on the disk, once the store opened with this is
  // destroyed (no file open for writing): each file the store wrote is cut
  // back to its synced size (or, with keep_random_part, somewhere between
  // that and its size), new entries (files, directories with all in them)
  // in directories that were not fsynced since are removed, and a file replaced
  // by such an entry (a rename) is brought back. Then the power is back on and
  // all that remains counts as durable. UNAVAILABLE when a file cannot be cut
  // or removed.
  absl::StatusOr<PowerLossReport> DropUnsyncedData(
      const PowerLossOptions& options);

  // For the file system wrapper (storage/fault_env.cc).
  SyncLedger& ledger() { return *ledger_; }

 private:
  std::atomic<bool> failing_{false};
  std::atomic<bool> failing_reads_{false};
  std::atomic<bool> out_of_descriptors_{false};
  std::atomic<uint64_t> failures_{0};
  const std::unique_ptr<SyncLedger> ledger_;
};

}  // namespace kg::storage

#endif  // KG_STORAGE_FAULT_INJECTION_H_
