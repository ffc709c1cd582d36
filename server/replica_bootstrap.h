// A replica the replica set's trimmed log no longer reaches (a new one, or
// one away too long) starts from a copy of a live peer's store, fetched
// over gRPC (FetchCheckpoint) before the store opens for good
// (docs/replicas.md, "Trimming and new replicas"). Internal to server/.
#ifndef KG_SERVER_REPLICA_BOOTSTRAP_H_
#define KG_SERVER_REPLICA_BOOTSTRAP_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "replica/replicated_store.h"
#include "storage/store.h"

namespace kg::server {

// How this replica reaches its peers to copy a store.
struct PeerAccess {
  // A file holding a bearer token with the admin role on the peers; ""
  // sends none.
  std::string token_file;
  // The CA that signed the peers' certificates (PEM); "" is plaintext.
  std::string tls_ca_file;
  // A client certificate and its key (PEM) for peers that require one;
  // both or neither, with tls_ca_file.
  std::string tls_cert_file;
  std::string tls_key_file;
};

// How a replica fetches a log payload file from a peer
// (ReplicaOptions::fetch_payload): FetchLogPayload over gRPC.
std::function<absl::Status(const std::string& address, const std::string& name,
                           const std::string& path)>
PayloadFetcher(PeerAccess peers);

// Opens the store in `data_dir` for a replica. When the log no longer
// reaches it (replica::PeerToCopy), closes it, fetches a live peer's
// checkpoint beside it, moves the old store aside to
// "<data_dir>.replaced-<unix seconds>" (or removes it when this call
// created it, empty), puts the copy in its place and opens that. Nothing
// is moved unless the copy arrived whole.
absl::StatusOr<std::unique_ptr<storage::Store>> OpenReplicaStore(
    const storage::StoreOptions& store_options, const std::string& data_dir,
    const replica::ReplicaOptions& replica, const PeerAccess& peers);

}  // namespace kg::server

#endif  // KG_SERVER_REPLICA_BOOTSTRAP_H_
