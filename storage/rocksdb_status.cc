#include "storage/rocksdb_status.h"

#include "absl/strings/str_cat.h"
#include "common/echo.h"

namespace kg::storage {

absl::Status FromRocksDb(const rocksdb::Status& s, absl::string_view context) {
  if (s.ok()) return absl::OkStatus();
  // RocksDB's text names files, and so any path a request gave: bounded,
  // with room for a few file names.
  std::string msg =
      absl::StrCat(context, ": ", EchoValue(s.ToString(), 4 * kEchoBytes));
  if (s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) {
    return absl::UnavailableError(msg);
  }
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsInvalidArgument()) return absl::FailedPreconditionError(msg);
  return absl::InternalError(msg);
}

}  // namespace kg::storage
