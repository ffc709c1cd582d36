#include "storage/rocksdb_status.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/echo.h"
#include "storage/store.h"

namespace kg::storage {

absl::Status FromRocksDb(const rocksdb::Status& s, absl::string_view context) {
  if (s.ok()) return absl::OkStatus();
  // RocksDB's text names files, and so any path a request gave: bounded,
  // with room for a few file names.
  std::string msg =
      absl::StrCat(context, ": ", EchoValue(s.ToString(), 4 * kEchoBytes));
  absl::Status out;
  if (s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) {
    out = absl::UnavailableError(msg);
  } else if (s.IsCorruption()) {
    out = absl::DataLossError(msg);
  } else if (s.IsNotFound()) {
    out = absl::NotFoundError(msg);
  } else if (s.IsInvalidArgument()) {
    out = absl::FailedPreconditionError(msg);
  } else {
    out = absl::InternalError(msg);
  }
  out.SetPayload(kEnginePayload, absl::Cord());
  return out;
}

}  // namespace kg::storage
