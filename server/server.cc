#include "server/server.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server_builder.h"
#include "server/log.h"
#include "server/seed.h"

namespace kg::server {

absl::StatusOr<std::unique_ptr<KgServer>> KgServer::Start(
    const ServerOptions& options) {
  std::unique_ptr<KgServer> server(new KgServer());
  absl::StatusOr<std::unique_ptr<storage::Store>> store =
      storage::Store::Open(options.store, options.data_dir);
  if (!store.ok()) return store.status();
  server->store_ = *std::move(store);
  server->service_ = std::make_unique<KnowledgeGraphService>(
      server->store_.get(), options.limits);
  if (!options.seed_file.empty()) {
    absl::StatusOr<bool> seeded =
        LoadSeedIfEmpty(*server->store_, *server->service_, options.seed_file);
    if (!seeded.ok()) return seeded.status();
    server->seeded_ = *seeded;
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Without this, a second server could share the port through SO_REUSEPORT
  // instead of failing to start.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.AddListeningPort(options.listen_address,
                           grpc::InsecureServerCredentials(), &server->port_);
  builder.RegisterService(server->service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address,
                     " (address in use, or not a valid host:port)"));
  }
  auto* health = server->server_->GetHealthCheckService();
  health->SetServingStatus(true);
  KgServer* raw = server.get();
  raw->watcher_ = std::thread([raw, interval = options.health_interval] {
    raw->WatchHealth(interval);
  });
  return server;
}

// The server does not call Store::Resume itself: RocksDB recovers by
// itself from the errors it can recover from (a full disk, once it has
// room again; retryable I/O errors), and a resume attempted while the
// cause lasts can turn a recoverable error into a permanent one.
void KgServer::WatchHealth(absl::Duration interval) {
  bool serving = true;
  absl::MutexLock lock(&watch_mu_);
  while (!watch_stop_) {
    const absl::Status health = store_->Health();
    if (health.ok() != serving) {
      serving = health.ok();
      if (serving) {
        KG_LOG(kInfo) << "health SERVING: the store recovered and takes "
                         "writes again";
      } else {
        KG_LOG(kError) << "health NOT_SERVING: " << health.message();
      }
      server_->GetHealthCheckService()->SetServingStatus(serving);
    }
    watch_cv_.WaitWithTimeout(&watch_mu_, interval);
  }
}

KgServer::~KgServer() { Shutdown(absl::ZeroDuration()); }

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
    server_->GetHealthCheckService()->SetServingStatus(false);
    server_->Shutdown(absl::ToChronoTime(absl::Now() + drain));
    server_->Wait();
  }
  server_.reset();
  service_.reset();
  store_.reset();
}

}  // namespace kg::server
