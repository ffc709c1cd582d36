#include "server/replica_bootstrap.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/checkpoint_download.h"
#include "client/connection.h"
#include "server/log.h"
#include "storage/status_macros.h"

namespace kg::server {

namespace {

namespace fs = std::filesystem;

absl::StatusOr<std::string> ReadToken(const std::string& file) {
  std::ifstream in(file);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--peer_token_file: cannot read \"", file, "\""));
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(text.str()));
  if (token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--peer_token_file: \"", file, "\" holds no token"));
  }
  return token;
}

// Fetches `peer`'s checkpoint into `dir` (which must not exist).
absl::Status FetchFrom(const replica::PeerCheckpoint& peer,
                       const PeerAccess& access, const std::string& dir) {
  client::ConnectionOptions options;
  options.server = peer.address;
  options.tls_ca_file = access.tls_ca_file;
  if (!access.token_file.empty()) {
    KG_ASSIGN_OR_RETURN(options.token, ReadToken(access.token_file));
  }
  absl::StatusOr<std::unique_ptr<client::Connection>> conn =
      client::Connection::Open(options);
  if (!conn.ok()) {
    // Its messages name kgctl's flags.
    return absl::InvalidArgumentError(
        absl::StrCat("--peer_tls_ca_file: ", conn.status().message()));
  }
  const absl::Time start = absl::Now();
  absl::StatusOr<client::DownloadedCheckpoint> got =
      client::DownloadCheckpoint(**conn, dir);
  if (!got.ok()) {
    return absl::Status(got.status().code(),
                        absl::StrCat("data_dir: copying the store of replica '",
                                     peer.member, "' at ", peer.address,
                                     " (the log of this replica set "
                                     "now starts at ",
                                     peer.log_start, ", past this store): ",
                                     got.status().message()));
  }
  KG_LOG(kInfo) << "copied the store of replica '" << peer.member << "' at "
                << peer.address << ": " << got->files << " files, "
                << got->bytes << " bytes, log position " << got->log_position
                << " or later, in " << absl::Now() - start;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<storage::Store>> OpenReplicaStore(
    const storage::StoreOptions& store_options, const std::string& data_dir,
    const replica::ReplicaOptions& replica, const PeerAccess& peers) {
  // Refused at start, not when a copy is first needed.
  if (!peers.token_file.empty()) {
    KG_RETURN_IF_ERROR(ReadToken(peers.token_file).status());
  }
  if (!peers.tls_ca_file.empty() && !std::ifstream(peers.tls_ca_file)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--peer_tls_ca_file: cannot read \"", peers.tls_ca_file, "\""));
  }
  std::error_code ec;
  const bool existed = fs::exists(data_dir, ec);
  KG_ASSIGN_OR_RETURN(std::unique_ptr<storage::Store> store,
                      storage::Store::Open(store_options, data_dir));
  const uint64_t position = store->log_position();
  KG_ASSIGN_OR_RETURN(storage::StoreStats counts, store->NewReader()->Counts());
  const bool has_data = counts.entities + counts.relations + counts.documents +
                            counts.statements >
                        0;
  KG_ASSIGN_OR_RETURN(std::optional<replica::PeerCheckpoint> peer,
                      replica::PeerToCopy(replica, position, has_data));
  if (!peer.has_value()) return store;

  KG_LOG(kInfo) << "the log of replica set '" << replica.cluster
                << "' now starts at " << peer->log_start
                << ", past this store's position " << position
                << ": copying the store of replica '" << peer->member << "' at "
                << peer->address;
  store.reset();  // closed: its directory may move
  fs::path target = fs::path(data_dir).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();  // "a/b/"
  const std::string copy = target.string() + ".copy";
  fs::remove_all(copy, ec);  // an earlier attempt's, never used
  const bool created_empty = !existed && !has_data && position == 0;
  if (absl::Status fetched = FetchFrom(*peer, peers, copy); !fetched.ok()) {
    if (created_empty) fs::remove_all(target, ec);
    return fetched;
  }
  if (created_empty) {
    fs::remove_all(target, ec);  // the empty store opened above
  } else {
    const std::string aside = absl::StrCat(target.string(), ".replaced-",
                                           absl::ToUnixSeconds(absl::Now()));
    fs::rename(target, aside, ec);
    if (ec) {
      return absl::InternalError(
          absl::StrCat("data_dir: cannot move the old store aside to ", aside,
                       ": ", ec.message(), " (the copy is in ", copy, ")"));
    }
    KG_LOG(kInfo) << "moved the old store aside to " << aside
                  << "; remove it once the replica runs";
  }
  fs::rename(copy, target, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("data_dir: cannot move the copy ",
                                            copy, " to ", target.string(), ": ",
                                            ec.message()));
  }
  return storage::Store::Open(store_options, data_dir);
}

}  // namespace kg::server
