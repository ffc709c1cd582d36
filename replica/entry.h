// A log entry (docs/replicas.md): one write batch or one retraction, with
// the time the writer stamped it, in a versioned binary codec. Every
// replica applies the decoded entry, the writer too, so all apply the same
// thing whatever the codec normalizes.
#ifndef KG_REPLICA_ENTRY_H_
#define KG_REPLICA_ENTRY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/store.h"

namespace kg::replica {

struct Entry {
  enum class Kind : uint8_t { kWrite = 1, kRetract = 2 };
  Kind kind = Kind::kWrite;
  absl::Time at;              // the writer's stamp
  storage::WriteBatch batch;  // kWrite; decoded, its replica.at is `at`
  std::string statement_id;   // kRetract
  std::string document_id;    // kRetract
};

std::string EncodeEntry(const Entry& entry);
// DATA_LOSS when `bytes` is not an entry this kg reads (a newer codec
// version, or damaged).
absl::StatusOr<Entry> DecodeEntry(absl::string_view bytes);

}  // namespace kg::replica

#endif  // KG_REPLICA_ENTRY_H_
