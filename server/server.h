// KgServer: a running kg server — the store, the gRPC server with the
// kg.v1 service, health checking and reflection. main.cc turns flags into
// ServerOptions; tests start one in-process on port 0.
//
//   KG_ASSIGN_OR_RETURN(auto server, KgServer::Start(options));
//   ... server->port() ...
//   server->Shutdown(absl::Seconds(5));
//
// Thread-safe.
#ifndef KG_SERVER_SERVER_H_
#define KG_SERVER_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/server.h"
#include "http/http_server.h"
#include "replica/replicated_store.h"
#include "server/auth.h"
#include "server/memory_trimmer.h"
#include "server/metrics.h"
#include "server/replica_bootstrap.h"
#include "server/service.h"
#include "storage/store.h"

namespace kg::server {

// Who may connect and how (docs/operations.md). The defaults serve
// plaintext without tokens, which Start allows on loopback addresses only.
struct SecurityOptions {
  // Bearer tokens with roles (auth.h); "" serves without tokens.
  std::string tokens_file;
  // TLS certificate chain and private key (PEM); both or neither.
  std::string tls_cert_file;
  std::string tls_key_file;
  // When set, clients must present a certificate this CA (PEM) signed.
  std::string tls_client_ca_file;
  // Serve plaintext on an address that is not loopback.
  bool allow_insecure_remote = false;
};

// Whether a listen address only accepts local connections: 127.0.0.0/8,
// ::1, localhost, or a unix: socket.
bool IsLoopbackAddress(absl::string_view listen_address);

struct ServerOptions {
  // host:port; port 0 picks a free port (see KgServer::port()). "" listens
  // nowhere: only InProcessChannel() reaches the service (kg-server --load).
  std::string listen_address = "127.0.0.1:50051";
  // The HTTP listener (docs/http.md): host:port, port 0 for a free one
  // (KgServer::http_port()); "" for none. It follows `security` as the
  // gRPC listener does (tokens, TLS, loopback only without them), and
  // takes bodies up to max_receive_message_bytes.
  std::string http_listen_address;
  int http_threads = 16;
  // The explorer's files, served at / on the HTTP listener; empty: none.
  std::string web_root;
  // Queries and path searches that take longer are logged (at info) with
  // their request, rows, edges and caller; zero: none.
  absl::Duration slow_query = absl::ZeroDuration();
  std::string data_dir;
  // Joins a replica set (docs/replicas.md) when its etcd endpoints are
  // given. An empty address is 127.0.0.1 and the port listened on.
  std::optional<replica::ReplicaOptions> replica;
  // How a replica the log no longer reaches copies a peer's store.
  PeerAccess peers;
  // JSON Lines file loaded into a store that holds nothing yet; "" for none.
  std::string seed_file;
  ServiceLimits limits;
  SecurityOptions security;
  int max_receive_message_bytes = 16 << 20;
  storage::StoreOptions store;
  // A connection that has not sent its HTTP/2 preface and settings (and,
  // with TLS, finished its handshake) this long after it was accepted is
  // closed.
  absl::Duration handshake_timeout = absl::Seconds(10);
  // How often the store's health is mirrored into the gRPC health service.
  // After an I/O error it is NOT_SERVING until the store has recovered:
  // RocksDB recovers by itself from a full disk once it has room, and the
  // server asks it to resume after any other error (a descriptor shortage,
  // a failing disk) every `resume_interval` until it does.
  absl::Duration health_interval = absl::Milliseconds(100);
  absl::Duration resume_interval = absl::Seconds(1);
};

class KgServer {
 public:
  // Opens the store and starts serving; health is SERVING when this
  // returns, and NOT_SERVING while an I/O error keeps the store read-only
  // (reads are still answered; writes fail with UNAVAILABLE).
  // INVALID_ARGUMENT / NOT_FOUND for security options that cannot be used
  // (plaintext or no tokens off loopback, unreadable files, a bad tokens
  // file), checked before anything is opened; FAILED_PRECONDITION /
  // UNAVAILABLE from Store::Open, or UNAVAILABLE when the address cannot be
  // bound.
  static absl::StatusOr<std::unique_ptr<KgServer>> Start(
      const ServerOptions& options);

  // Whether Start loaded the seed file into an empty store.
  bool seeded() const { return seeded_; }

  ~KgServer();

  int port() const { return port_; }
  // A channel to this server's services inside this process, past every
  // listener (no tokens, no TLS, no message size cap).
  std::shared_ptr<grpc::Channel> InProcessChannel();
  // The HTTP listener's port; 0 without one.
  int http_port() const { return http_ == nullptr ? 0 : http_->port(); }
  storage::Store* store() { return store_.get(); }

  // Health goes NOT_SERVING, new calls are refused, in-flight calls get
  // until `drain` to finish (then are cancelled), and the store is flushed
  // (nothing left to replay at the next start) and closed.
  // Idempotent.
  void Shutdown(absl::Duration drain);

 private:
  KgServer() = default;
  // Mirrors the store's health into the gRPC health service until
  // Shutdown, asking the store to resume while it is not healthy.
  void WatchHealth(absl::Duration interval, absl::Duration resume_interval);
  void SetServing(bool serving);

  std::unique_ptr<storage::Store> store_;
  replica::ReplicatedStore* replica_ = nullptr;  // store_, in a replica set
  Authenticator auth_ = Authenticator::Disabled();
  std::unique_ptr<KnowledgeGraphService> service_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<http::HttpServer> http_;
  // Returns heap pages freed after large requests (memory_trimmer.h).
  std::unique_ptr<MemoryTrimmer> trimmer_;
  int port_ = 0;
  bool seeded_ = false;
  bool stopped_ = false;
  absl::Mutex watch_mu_;
  absl::CondVar watch_cv_;
  bool watch_stop_ ABSL_GUARDED_BY(watch_mu_) = false;
  std::thread watcher_;
};

}  // namespace kg::server

#endif  // KG_SERVER_SERVER_H_
