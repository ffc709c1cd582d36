#include "server/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "server/log.h"
#include "server/replica_bootstrap.h"
#include "server/replica_metadata.h"
#include "server/seed.h"
#include "server/tls.h"
#include "storage/status_macros.h"

namespace kg::server {

namespace {

absl::StatusOr<std::string> ReadPem(absl::string_view flag,
                                    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in || text.str().empty()) {
    return absl::NotFoundError(
        absl::StrCat("--", flag, ": cannot read ", path));
  }
  if (!absl::StrContains(text.str(), "-----BEGIN ")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": ", path, " is not a PEM file"));
  }
  return text.str();
}

// The credentials to listen with: TLS when a certificate is given, else
// plaintext, which only loopback addresses get unless explicitly allowed.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(
    const std::string& listen_address, const SecurityOptions& security) {
  const bool tls =
      !security.tls_cert_file.empty() || !security.tls_key_file.empty();
  if (!tls) {
    if (!security.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "--tls_client_ca_file: needs --tls_cert_file and --tls_key_file");
    }
    if (!IsLoopbackAddress(listen_address) && !security.allow_insecure_remote) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--listen: ", listen_address,
          " is not a loopback address; serve it with --tls_cert_file and "
          "--tls_key_file, or pass --allow_insecure_remote to send "
          "plaintext over the network"));
    }
    return grpc::InsecureServerCredentials();
  }
  if (security.tls_cert_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert_file: required with --tls_key_file");
  }
  if (security.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_key_file: required with --tls_cert_file");
  }
  grpc::SslServerCredentialsOptions ssl;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  KG_ASSIGN_OR_RETURN(pair.cert_chain,
                      ReadPem("tls_cert_file", security.tls_cert_file));
  KG_ASSIGN_OR_RETURN(pair.private_key,
                      ReadPem("tls_key_file", security.tls_key_file));
  if (!security.tls_client_ca_file.empty()) {
    KG_ASSIGN_OR_RETURN(
        ssl.pem_root_certs,
        ReadPem("tls_client_ca_file", security.tls_client_ca_file));
    ssl.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  // What gRPC would only find when binding the port (and report as a
  // failure to listen), checked now and naming the file.
  const TlsFile client_ca{"tls_client_ca_file", security.tls_client_ca_file,
                          ssl.pem_root_certs};
  KG_RETURN_IF_ERROR(CheckTlsMaterial(
      {"tls_cert_file", security.tls_cert_file, pair.cert_chain},
      {"tls_key_file", security.tls_key_file, pair.private_key},
      security.tls_client_ca_file.empty() ? nullptr : &client_ca));
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

bool IsLoopbackAddress(absl::string_view listen_address) {
  if (absl::StartsWith(listen_address, "unix:")) return true;
  absl::string_view host = listen_address;
  if (absl::ConsumePrefix(&host, "[")) {
    host = host.substr(0, host.find(']'));
  } else if (size_t colon = host.rfind(':'); colon != host.npos) {
    host = host.substr(0, colon);
  }
  if (absl::EqualsIgnoreCase(host, "localhost")) return true;
  const std::string h(host);
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

absl::StatusOr<std::unique_ptr<KgServer>> KgServer::Start(
    const ServerOptions& options) {
  std::unique_ptr<KgServer> server(new KgServer());
  if (options.limits.max_concurrent_path_queries < 0) {
    return absl::InvalidArgumentError(
        "--max_concurrent_path_queries: must not be negative");
  }
  if (options.limits.max_queued_path_queries < 0) {
    return absl::InvalidArgumentError(
        "--max_queued_path_queries: must not be negative");
  }
  if (options.limits.max_query_memory_bytes < 0) {
    return absl::InvalidArgumentError(
        "--max_query_memory_bytes: must be 0 (no bound) or more");
  }
  if (options.limits.max_total_query_memory_bytes < 0) {
    return absl::InvalidArgumentError(
        "--max_total_query_memory_bytes: must be 0 (no bound) or more");
  }
  if (options.limits.max_import_bytes < 1) {
    return absl::InvalidArgumentError("--max_import_bytes: must be at least 1");
  }
  if (options.limits.write_threads < 1) {
    return absl::InvalidArgumentError("--write_threads: must be at least 1");
  }
  if (options.store.bulk_load_idle_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--bulk_import_idle_timeout: must be more than 0 (e.g. 60s)");
  }
  // Security first: a server that would be open to the wrong people does
  // not touch its data directory.
  const SecurityOptions& security = options.security;
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (!options.listen_address.empty()) {
    KG_ASSIGN_OR_RETURN(credentials,
                        Credentials(options.listen_address, security));
  }
  if (!options.http_listen_address.empty()) {
    // The same rule for the HTTP listener, with its own flag named.
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> http_credentials =
        Credentials(options.http_listen_address, security);
    if (!http_credentials.ok()) {
      return absl::InvalidArgumentError(
          absl::StrReplaceAll(http_credentials.status().message(),
                              {{"--listen:", "--http_listen:"}}));
    }
  }
  if (security.tokens_file.empty()) {
    for (const std::string* address :
         {&options.listen_address, &options.http_listen_address}) {
      if (!address->empty() && !IsLoopbackAddress(*address)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--tokens_file: required on ", *address,
            ", which is not a loopback address (serving without tokens is "
            "allowed on loopback only)"));
      }
    }
  } else {
    KG_ASSIGN_OR_RETURN(server->auth_,
                        Authenticator::FromFile(security.tokens_file));
  }

  absl::StatusOr<std::unique_ptr<storage::Store>> store =
      options.replica.has_value()
          ? OpenReplicaStore(options.store, options.data_dir, *options.replica,
                             options.peers)
          : storage::Store::Open(options.store, options.data_dir);
  if (!store.ok()) return store.status();
  server->store_ = *std::move(store);
  if (std::optional<uint32_t> from = server->store_->upgraded_from_format()) {
    KG_LOG(kInfo) << "upgraded the store in " << options.data_dir
                  << " from format " << *from << " (docs/storage.md)";
  }
  if (server->store_->rolled_back_fresh_load()) {
    KG_LOG(kInfo) << "rolled back a load into " << options.data_dir
                  << " that was cut off between its parts (kg-server "
                     "--load); the store is as it was before that load";
  }
  if (options.replica.has_value()) {
    if (!options.seed_file.empty()) {
      return absl::InvalidArgumentError(
          "--seed_file: a replica takes all its data from the replica set's "
          "log; write the seed through the writer (docs/operations.md, "
          "\"Replica sets\")");
    }
    replica::ReplicaOptions replica = *options.replica;
    replica.log = [](const std::string& line) { KG_LOG(kInfo) << line; };
    // Entries too large for etcd (bulk loads) refer to payload files kept
    // beside the store, fetched from peers.
    replica.payload_dir = options.data_dir + "/log-payloads";
    replica.fetch_payload = PayloadFetcher(options.peers);
    replica.bulk_load_idle_timeout = options.store.bulk_load_idle_timeout;
    // Told only once Run starts the tail, after the metrics exist.
    replica.applied_after = [s = server.get()](absl::Duration lag) {
      s->metrics_->ReplicaApplied(lag);
    };
    absl::StatusOr<std::unique_ptr<replica::ReplicatedStore>> replicated =
        replica::ReplicatedStore::Start(std::move(server->store_),
                                        std::move(replica));
    if (!replicated.ok()) return replicated.status();
    server->replica_ = replicated->get();
    server->store_ = *std::move(replicated);
  }
  server->service_ = std::make_unique<KnowledgeGraphService>(
      server->store_.get(), options.limits, &server->auth_, server->replica_);
  if (!options.seed_file.empty()) {
    absl::StatusOr<bool> seeded =
        LoadSeedIfEmpty(*server->store_, *server->service_, options.seed_file);
    if (!seeded.ok()) return seeded.status();
    server->seeded_ = *seeded;
  }

  server->metrics_ = std::make_unique<ServerMetrics>(
      server->store_.get(), server->service_.get(), options.slow_query,
      server->replica_);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Without this, a second server could share the port through SO_REUSEPORT
  // instead of failing to start.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.AddChannelArgument(
      GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.handshake_timeout)));
  if (!options.listen_address.empty()) {
    builder.AddListeningPort(options.listen_address, credentials,
                             &server->port_);
  }
  builder.RegisterService(server->service_.get());
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors = server->metrics_->Interceptors();
  if (server->replica_ != nullptr) {
    interceptors.push_back(ReplicaMetadataInterceptor(server->replica_));
  }
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr ||
      (!options.listen_address.empty() && server->port_ == 0)) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address,
                     " (address in use, or not a valid host:port)"));
  }
  if (server->replica_ != nullptr) {
    // Campaign and tail the log now that clients can reach this server.
    server->replica_->Run(options.replica->address.empty()
                              ? absl::StrCat("127.0.0.1:", server->port_)
                              : std::string());
  }
  if (!options.http_listen_address.empty()) {
    http::HttpOptions http;
    http.listen_address = options.http_listen_address;
    http.threads = options.http_threads;
    http.web_root = options.web_root;
    http.max_body_bytes =
        static_cast<size_t>(options.max_receive_message_bytes);
    http.tls_cert_file = security.tls_cert_file;
    http.tls_key_file = security.tls_key_file;
    http.tls_client_ca_file = security.tls_client_ca_file;
    http.registry = server->metrics_->registry();
    http.collectables = server->metrics_->collectables();
    KG_ASSIGN_OR_RETURN(server->http_, http::HttpServer::Start(
                                           http, server->InProcessChannel()));
  }
  server->SetServing(true);
  server->trimmer_ = std::make_unique<MemoryTrimmer>(MemoryTrimmer::Options{});
  KgServer* raw = server.get();
  raw->watcher_ = std::thread([raw, interval = options.health_interval,
                               resume = options.resume_interval] {
    raw->WatchHealth(interval, resume);
  });
  return server;
}

// Health answers for the empty service name (the server) and for the
// service's own name, both the same.
void KgServer::SetServing(bool serving) {
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  health->SetServingStatus(::kg::v1::KnowledgeGraph::service_full_name(),
                           serving);
  health->SetServingStatus(serving);
}

// After an I/O error the store stays read-only until RocksDB resumes.
// RocksDB resumes by itself from a full disk (once it has room) and from
// retryable errors; after any other transient error (EMFILE from a
// descriptor flood, a disk that failed for a while) it waits to be asked,
// so the watcher asks every `resume_interval`. While the cause lasts the
// resume fails and the store stays as it was; errors RocksDB deems
// unrecoverable (corruption) are never resumed.
void KgServer::WatchHealth(absl::Duration interval,
                           absl::Duration resume_interval) {
  bool serving = true;
  absl::Time next_resume = absl::InfinitePast();
  absl::MutexLock lock(&watch_mu_);
  while (!watch_stop_) {
    absl::Status health = store_->Health();
    if (!health.ok() && absl::Now() >= next_resume) {
      next_resume = absl::Now() + resume_interval;
      const absl::Status resumed = store_->Resume();
      if (resumed.ok()) {
        health = store_->Health();
      } else {
        KG_LOG(kDebug) << "resume: " << resumed.message();
      }
    }
    if (health.ok() != serving) {
      serving = health.ok();
      if (serving) {
        KG_LOG(kInfo) << "health SERVING: the store recovered and takes "
                         "writes again";
      } else {
        KG_LOG(kError) << "health NOT_SERVING: " << health.message();
      }
      SetServing(serving);
    }
    watch_cv_.WaitWithTimeout(&watch_mu_, interval);
  }
}

KgServer::~KgServer() { Shutdown(absl::ZeroDuration()); }

std::shared_ptr<grpc::Channel> KgServer::InProcessChannel() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  return server_->InProcessChannel(args);
}

void KgServer::Shutdown(absl::Duration drain) {
  if (stopped_) return;
  stopped_ = true;
  if (watcher_.joinable()) {
    {
      absl::MutexLock lock(&watch_mu_);
      watch_stop_ = true;
      watch_cv_.Signal();
    }
    watcher_.join();
  }
  if (server_ != nullptr) {
    SetServing(false);
    // HTTP stops taking requests; those in progress are gRPC calls, which
    // the drain below ends like any other.
    if (http_ != nullptr) http_->StopAccepting();
    server_->Shutdown(absl::ToChronoTime(absl::Now() + drain));
    server_->Wait();
  }
  if (http_ != nullptr) http_->Shutdown();
  http_.reset();
  server_.reset();
  // The replica applies nothing more (it would tell metrics_), and its
  // successor as writer need not wait for its lease to expire.
  if (replica_ != nullptr) replica_->Stop();
  metrics_.reset();
  service_.reset();
  if (store_ != nullptr) {
    // No request is left: what is only in the write-ahead log goes into
    // table files, so the next start has no log to replay (a large log
    // took seconds; docs/operations.md "Restarts").
    const absl::Time start = absl::Now();
    const absl::Status flushed = store_->Flush();
    if (flushed.ok()) {
      KG_LOG(kDebug) << "flushed the store in " << absl::Now() - start;
    } else {
      KG_LOG(kError) << flushed.message()
                     << "; the next start replays the write-ahead log";
    }
  }
  store_.reset();
}

}  // namespace kg::server
