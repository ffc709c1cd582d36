// The RocksDB side of FaultInjection (fault_injection.h): an Env whose file
// system fails writes, or SST reads, while a switch is on, and reports what
// it writes and syncs to the power-loss ledger (sync_ledger.h). Internal to
// storage/.
#ifndef KG_STORAGE_FAULT_ENV_H_
#define KG_STORAGE_FAULT_ENV_H_

#include <memory>

#include "rocksdb/env.h"
#include "storage/fault_injection.h"

namespace kg::storage {

// An Env on the default file system that fails every write, flush, sync,
// file creation and rename with an I/O error while `faults` is failing,
// every read of an open file while it is failing reads, and every change
// to the disk (deletions and directories too) once it is powered off. Every
// file it writes, and every directory fsync, is recorded in faults.ledger().
// Must outlive the database opened with it.
std::unique_ptr<rocksdb::Env> NewFaultInjectionEnv(
    std::shared_ptr<FaultInjection> faults);

}  // namespace kg::storage

#endif  // KG_STORAGE_FAULT_ENV_H_
