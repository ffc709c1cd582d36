#include "client/connection.h"

#include <cstdio>

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace kg::client {

Connection::Connection(const std::string& server, absl::Duration timeout)
    : server_(server), timeout_(timeout) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  channel_ = grpc::CreateCustomChannel(
      server, grpc::InsecureChannelCredentials(), args);
  kg_ = kg::v1::KnowledgeGraph::NewStub(channel_);
  health_ = grpc::health::v1::Health::NewStub(channel_);
}

std::unique_ptr<grpc::ClientContext> Connection::Context() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  return ctx;
}

int ReportError(const grpc::Status& status, const std::string& server) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      std::fprintf(stderr, "kgctl: server %s is unavailable: %s\n",
                   server.c_str(), status.error_message().c_str());
      return kExitUnavailable;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      std::fprintf(stderr, "kgctl: server %s did not answer in time\n",
                   server.c_str());
      return kExitUnavailable;
    case grpc::StatusCode::NOT_FOUND:
      std::fprintf(stderr, "kgctl: not found: %s\n",
                   status.error_message().c_str());
      return kExitNotFound;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::OUT_OF_RANGE:
      std::fprintf(stderr, "kgctl: invalid: %s\n",
                   status.error_message().c_str());
      return kExitInvalid;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      std::fprintf(stderr, "kgctl: denied: %s\n",
                   status.error_message().c_str());
      return kExitDenied;
    default:
      std::fprintf(stderr, "kgctl: %s\n", status.error_message().c_str());
      return kExitFailure;
  }
}

}  // namespace kg::client
