// The RocksDB side of FaultInjection (fault_injection.h): an Env whose file
// system fails writes, or SST reads, while a switch is on. Internal to
// storage/.
#ifndef KG_STORAGE_FAULT_ENV_H_
#define KG_STORAGE_FAULT_ENV_H_

#include <memory>

#include "rocksdb/env.h"
#include "storage/fault_injection.h"

namespace kg::storage {

// An Env on the default file system that fails every write, flush, sync,
// file creation and rename with an I/O error while `faults` is failing, and
// every read of an open file while it is failing reads.
// Must outlive the database opened with it.
std::unique_ptr<rocksdb::Env> NewFaultInjectionEnv(
    std::shared_ptr<FaultInjection> faults);

}  // namespace kg::storage

#endif  // KG_STORAGE_FAULT_ENV_H_
