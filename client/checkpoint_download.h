// Fetches a server's checkpoint (the FetchCheckpoint stream) into a
// directory on this machine: `kgctl backup --local`, and kg-server's start
// of a replica from a peer (docs/replicas.md).
#ifndef KG_CLIENT_CHECKPOINT_DOWNLOAD_H_
#define KG_CLIENT_CHECKPOINT_DOWNLOAD_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/connection.h"

namespace kg::client {

struct DownloadedCheckpoint {
  uint32_t files = 0;
  uint64_t bytes = 0;
  // The replica set's log position the checkpoint holds at least (0 from a
  // server that is not a replica).
  uint64_t log_position = 0;
};

class OpenCheckpointFile;

// What DownloadCheckpoint does with the stream's messages, the call aside:
// each file written into `dir` (which exists) and checked as it ends.
class CheckpointReceiver {
 public:
  // `store`: what arrives must be a store (Finish checks for CURRENT).
  explicit CheckpointReceiver(std::string dir, bool store = true);
  ~CheckpointReceiver();
  CheckpointReceiver(const CheckpointReceiver&) = delete;
  CheckpointReceiver& operator=(const CheckpointReceiver&) = delete;

  // The next message. DATA_LOSS when it comes out of turn (bytes outside a
  // file, a file begun within another or twice, anything after the end),
  // names a file other than one plain name, or disagrees with what the
  // server announced (more bytes than the size, another SHA-256).
  absl::Status Take(const kg::v1::FetchCheckpointResponse& message);
  // Once the stream has ended: DATA_LOSS without the end message, when
  // its counts disagree with what arrived, or when what arrived has no
  // CURRENT file (it is not a store).
  absl::StatusOr<DownloadedCheckpoint> Finish();
  uint64_t bytes() const { return got_.bytes; }

 private:
  std::string dir_;
  bool store_;
  std::unique_ptr<OpenCheckpointFile> file_;
  DownloadedCheckpoint got_;
  std::optional<kg::v1::FetchCheckpointResponse::CheckpointEnd> end_;
};

// Writes the server's checkpoint into `dir`, which must not exist (its
// parent must). The files go into "<dir>.partial" first, each checked
// against the size and SHA-256 the server sent and synced; only a complete
// checkpoint is renamed to `dir`, so `dir` either holds all of it or does
// not exist. A "<dir>.partial" an earlier attempt left is replaced.
// FAILED_PRECONDITION for `dir`; DATA_LOSS when what arrived does not
// match what the server said it sent; otherwise the call's status.
// `progress`, when set, is told the bytes received so far after each
// message. A server that sends nothing for `stall` is given up
// (DEADLINE_EXCEEDED naming it); the whole transfer has no deadline.
absl::StatusOr<DownloadedCheckpoint> DownloadCheckpoint(
    Connection& conn, const std::string& dir,
    const std::function<void(uint64_t bytes)>& progress = nullptr,
    absl::Duration stall = absl::Seconds(60));

// Fetches log payload file `name` from a replica (FetchLogPayload) into
// `path`, which must not exist: whole or not at all. DATA_LOSS when what
// arrived is not the one file sent; DEADLINE_EXCEEDED when the replica
// sends nothing for `stall`; otherwise the call's status.
absl::Status DownloadLogPayload(Connection& conn, const std::string& name,
                                const std::string& path,
                                absl::Duration stall = absl::Seconds(60));

}  // namespace kg::client

#endif  // KG_CLIENT_CHECKPOINT_DOWNLOAD_H_
