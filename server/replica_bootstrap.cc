#include "server/replica_bootstrap.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

// What to look at when a peer cannot be reached: a TLS handshake the peer
// refused looks like a closed socket.
std::string UnreachableHint(const PeerAccess& access) {
  if (access.tls_ca_file.empty()) {
    return " (is it up? does it serve TLS? then give --peer_tls_ca_file)";
  }
  return access.tls_cert_file.empty()
             ? " (is it up? if it requires a client certificate, give "
               "--peer_tls_cert_file and --peer_tls_key_file)"
             : " (is it up? do --peer_tls_ca_file and --peer_tls_cert_file "
               "fit its TLS?)";
}

absl::Status Moved(absl::string_view what, const std::string& from,
                   const std::string& to, const std::error_code& ec) {
  return absl::InternalError(absl::StrCat("data_dir: cannot move ", what, " ",
                                          from, " to ", to, ": ",
                                          ec.message()));
}

// Whether two paths are on one file system; nullopt when either cannot be
// looked at.
std::optional<bool> SameDevice(const fs::path& a, const fs::path& b) {
  struct stat sa {};
  struct stat sb {};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) {
    return std::nullopt;
  }
  return sa.st_dev == sb.st_dev;
}

// So that the renames of a directory's entries survive a power loss.
absl::Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("data_dir: cannot open ", dir, ": ",
                                            std::strerror(errno)));
  }
  const int synced = ::fsync(fd);
  ::close(fd);
  if (synced != 0) {
    return absl::InternalError(absl::StrCat("data_dir: cannot sync ", dir, ": ",
                                            std::strerror(errno)));
  }
  return absl::OkStatus();
}

// Fetches `peer`'s checkpoint into `dir` (which must not exist); the log
// position it holds at least.
// A connection to the peer at `address`, with this replica's token and CA
// for its peers.
absl::StatusOr<std::unique_ptr<client::Connection>> ConnectToPeer(
    const PeerAccess& access, const std::string& address) {
  client::ConnectionOptions options;
  options.server = address;
  options.timeout = absl::Seconds(30);
  options.tls_ca_file = access.tls_ca_file;
  options.tls_cert_file = access.tls_cert_file;
  options.tls_key_file = access.tls_key_file;
  if (!access.token_file.empty()) {
    KG_ASSIGN_OR_RETURN(options.token, ReadToken(access.token_file));
  }
  return client::Connection::Open(options);
}

absl::StatusOr<uint64_t> FetchFrom(const replica::PeerCheckpoint& peer,
                                   const PeerAccess& access,
                                   const std::string& dir) {
  absl::StatusOr<std::unique_ptr<client::Connection>> conn =
      ConnectToPeer(access, peer.address);
  if (!conn.ok()) {
    // Its messages name kgctl's flags; this names the peer.
    return absl::Status(conn.status().code(),
                        absl::StrCat("data_dir: cannot reach replica '",
                                     peer.member, "' at ", peer.address,
                                     " to copy its store (--peer_token_file, "
                                     "--peer_tls_ca_file, "
                                     "--peer_tls_cert_file): ",
                                     conn.status().message()));
  }
  const absl::Time start = absl::Now();
  absl::StatusOr<client::DownloadedCheckpoint> got =
      client::DownloadCheckpoint(**conn, dir);
  if (!got.ok()) {
    return absl::Status(
        got.status().code(),
        absl::StrCat(
            "data_dir: copying the store of replica '", peer.member, "' at ",
            peer.address,
            " (the log of this replica set "
            "now starts at ",
            peer.log_start, ", past this store): ", got.status().message(),
            absl::IsUnavailable(got.status()) ? UnreachableHint(access) : ""));
  }
  KG_LOG(kInfo) << "copied the store of replica '" << peer.member << "' at "
                << peer.address << ": " << got->files << " files, "
                << got->bytes << " bytes, log position " << got->log_position
                << " or later, in " << absl::Now() - start;
  return got->log_position;
}

}  // namespace

std::function<absl::Status(const std::string& address, const std::string& name,
                           const std::string& path)>
PayloadFetcher(PeerAccess peers) {
  return [peers](const std::string& address, const std::string& name,
                 const std::string& path) -> absl::Status {
    KG_ASSIGN_OR_RETURN(std::unique_ptr<client::Connection> conn,
                        ConnectToPeer(peers, address));
    return client::DownloadLogPayload(*conn, name, path);
  };
}

absl::StatusOr<std::unique_ptr<storage::Store>> OpenReplicaStore(
    const storage::StoreOptions& store_options, const std::string& data_dir,
    const replica::ReplicaOptions& replica, const PeerAccess& peers) {
  // Refused at start, not when a copy is first needed.
  if (!peers.token_file.empty()) {
    KG_RETURN_IF_ERROR(ReadToken(peers.token_file).status());
  }
  const std::pair<const char*, const std::string*> files[] = {
      {"--peer_tls_ca_file", &peers.tls_ca_file},
      {"--peer_tls_cert_file", &peers.tls_cert_file},
      {"--peer_tls_key_file", &peers.tls_key_file}};
  for (const auto& [flag, file] : files) {
    if (!file->empty() && !std::ifstream(*file)) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": cannot read \"", *file, "\""));
    }
  }
  if (peers.tls_cert_file.empty() != peers.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--peer_tls_cert_file: needs --peer_tls_key_file, and the other way "
        "round");
  }
  if (!peers.tls_cert_file.empty() && peers.tls_ca_file.empty()) {
    return absl::InvalidArgumentError(
        "--peer_tls_cert_file: needs --peer_tls_ca_file (a client "
        "certificate is shown over TLS only)");
  }
  fs::path target = fs::path(data_dir).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();  // "a/b/"
  const fs::path parent =
      target.has_parent_path() ? target.parent_path() : fs::path(".");
  const std::string copy = target.string() + ".copy";
  std::error_code ec;
  if (!fs::exists(target, ec) && fs::is_directory(copy, ec)) {
    // A start cut off between moving the old store aside and moving the
    // copy in: the copy is whole (it is named .copy only then).
    fs::rename(copy, target, ec);
    if (ec) return Moved("the copy", copy, target.string(), ec);
    KG_LOG(kInfo) << "took the copy " << copy
                  << " that a start which was cut off left";
  }
  const bool existed = fs::exists(target, ec);
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
  if (SameDevice(target, parent) == false) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data_dir: ", target.string(),
        " is a mount point, and a replica copying a peer's store puts the "
        "copy beside it, then in its place: use a directory inside the "
        "mount"));
  }
  fs::remove_all(copy, ec);  // an earlier attempt's, never used
  const bool created_empty = !existed && !has_data && position == 0;
  // An empty store this start created goes; anything else is moved aside.
  const std::string aside =
      created_empty ? copy + ".empty"
                    : absl::StrCat(target.string(), ".replaced-",
                                   absl::ToUnixSeconds(absl::Now()));
  absl::StatusOr<uint64_t> copied = FetchFrom(*peer, peers, copy);
  if (copied.ok()) {
    // The log may have moved on past the copy while it was fetched.
    absl::StatusOr<std::optional<replica::PeerCheckpoint>> still =
        replica::PeerToCopy(replica, *copied, /*has_data=*/true);
    if (!still.ok()) {
      copied = still.status();
    } else if (still->has_value()) {
      copied = absl::FailedPreconditionError(absl::StrCat(
          "data_dir: the log of replica set '", replica.cluster,
          "' now starts at ", (*still)->log_start, ", past the copy fetched (",
          *copied,
          "): more than --log_retention_entries entries were written while "
          "it was fetched; raise --log_retention_entries on the writer"));
    }
  }
  if (!copied.ok()) {
    fs::remove_all(copy, ec);
    if (created_empty) fs::remove_all(target, ec);
    return copied.status();
  }
  fs::rename(target, aside, ec);
  if (ec) return Moved("the old store", target.string(), aside, ec);
  if (created_empty) {
    fs::remove_all(aside, ec);
  } else {
    KG_LOG(kInfo) << "moved the old store aside to " << aside
                  << "; remove it once the replica runs";
  }
  fs::rename(copy, target, ec);
  if (ec) return Moved("the copy", copy, target.string(), ec);
  KG_RETURN_IF_ERROR(SyncDirectory(parent.string()));
  return storage::Store::Open(store_options, data_dir);
}

}  // namespace kg::server
