// Consistency checks over the kg key grammar (keys.h): the dictionary both
// ways, records against their dictionary entries, statement rows against
// the three indexes and the provenance records, provenance against its
// by-document mirror, and the counters against what is stored. Used by
// Store::Verify and Store::VerifyDirectory; internal to storage/.
#ifndef KG_STORAGE_VERIFY_H_
#define KG_STORAGE_VERIFY_H_

#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "rocksdb/db.h"
#include "storage/store.h"

namespace kg::storage {

// Runs RocksDB's block checksum verification and then every logical check
// at `snapshot` (nullptr: the current state, for a database nothing else
// writes to). Problems go into `report`; the status is an error only when
// the checks themselves could not run (an I/O error while scanning), or
// CANCELLED when `should_stop` (may be empty) turns true.
absl::Status VerifyDatabase(
    rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
    const rocksdb::Snapshot* snapshot, VerifyReport* report,
    const std::function<bool()>& should_stop);

}  // namespace kg::storage

#endif  // KG_STORAGE_VERIFY_H_
