// FaultInjection: switches, for tests, that make the store's file writes or
// file reads fail with an I/O error, as a full or failing disk would. Set
// StoreOptions::fault_injection before Store::Open; flip them at any time.
//
//   auto faults = std::make_shared<FaultInjection>();
//   options.fault_injection = faults;
//   ... Store::Open(options, dir) ...
//   faults->set_failing(true);         // writes, flushes and syncs now fail
//   faults->set_failing(false);        // the disk "recovers"
//   faults->set_failing_reads(true);   // reads of SST files now fail
//
// A read fails only when it reaches a file: what the block cache or the
// memtable already holds is still served. Thread-safe.
#ifndef KG_STORAGE_FAULT_INJECTION_H_
#define KG_STORAGE_FAULT_INJECTION_H_

#include <atomic>
#include <cstdint>

namespace kg::storage {

class FaultInjection {
 public:
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

 private:
  std::atomic<bool> failing_{false};
  std::atomic<bool> failing_reads_{false};
  std::atomic<bool> out_of_descriptors_{false};
  std::atomic<uint64_t> failures_{0};
};

}  // namespace kg::storage

#endif  // KG_STORAGE_FAULT_INJECTION_H_
