// A log entry (docs/replicas.md): one write batch or one retraction, with
// the time the writer stamped it, in a versioned binary codec. Every
// replica applies the decoded entry, the writer too, so all apply the same
// thing whatever the codec normalizes.
#ifndef KG_REPLICA_ENTRY_H_
#define KG_REPLICA_ENTRY_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/store.h"

namespace kg::replica {

// What an entry too large for etcd refers to: a file of the writer's,
// which every replica fetches from a peer that holds it.
struct PayloadRef {
  std::string name;     // a file name in each replica's payload directory
  uint64_t size = 0;    // bytes
  std::string sha256;   // of the whole file, 32 bytes
  std::string address;  // the writer that made it
};

struct Entry {
  enum class Kind : uint8_t { kWrite = 1, kRetract = 2, kByReference = 3 };
  Kind kind = Kind::kWrite;
  absl::Time at;              // the writer's stamp
  storage::WriteBatch batch;  // kWrite; decoded, its replica.at is `at`
  std::string statement_id;   // kRetract
  std::string document_id;    // kRetract
  // kByReference: the payload's parts are one bulk load
  // (Store::BeginBulkLoad), or, not `bulk`, one write of its only part.
  bool bulk = false;
  PayloadRef payload;
};

std::string EncodeEntry(const Entry& entry);
// DATA_LOSS when `bytes` is not an entry this kg reads (a newer codec
// version, or damaged).
absl::StatusOr<Entry> DecodeEntry(absl::string_view bytes);

// One part of a payload: a write batch and the name its errors carry
// ("batches[2]"; "" for a payload of one write).
struct PayloadPart {
  std::string name;
  storage::WriteBatch batch;
};
// A part as a record of a payload file (length-prefixed); a payload file is
// its parts' records one after the other.
std::string EncodePayloadPart(const PayloadPart& part);
// The part EncodePayloadPart made (its record, length prefix included).
// DATA_LOSS when `record` is not one.
absl::StatusOr<PayloadPart> DecodePayloadPart(absl::string_view record);
// Calls `part` for each part of the payload file `path`, in order, until
// it returns an error. DATA_LOSS when the file does not decode; the error
// `part` returned; INTERNAL when the file cannot be read.
absl::Status ForEachPayloadPart(
    const std::string& path,
    const std::function<absl::Status(PayloadPart part)>& part);

}  // namespace kg::replica

#endif  // KG_REPLICA_ENTRY_H_
