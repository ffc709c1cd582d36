// Conversion of rocksdb::Status into absl::Status, with context.
#ifndef KG_STORAGE_ROCKSDB_STATUS_H_
#define KG_STORAGE_ROCKSDB_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace kg::storage {

// IOError and Busy -> UNAVAILABLE; Corruption -> DATA_LOSS; NotFound ->
// NOT_FOUND; InvalidArgument -> FAILED_PRECONDITION; the rest -> INTERNAL.
// Each carries kEnginePayload (store.h): it is the engine's, not the
// data's.
absl::Status FromRocksDb(const rocksdb::Status& s, absl::string_view context);

}  // namespace kg::storage

#endif  // KG_STORAGE_ROCKSDB_STATUS_H_
