// Connection: kgctl's channel to kg-server and the context every call uses
// (deadline). Also maps gRPC failures to kgctl's exit codes and one-line
// messages. Not thread-safe.
#ifndef KG_CLIENT_CONNECTION_H_
#define KG_CLIENT_CONNECTION_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"
#include "kg/v1/kg.grpc.pb.h"

namespace kg::client {

// kgctl's documented exit codes (kgctl --help).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,   // any other error
  kExitUsage = 2,     // bad command line
  kExitNotFound = 3,  // NOT_FOUND
  kExitInvalid = 4,   // INVALID_ARGUMENT, FAILED_PRECONDITION, ALREADY_EXISTS
  kExitUnavailable = 5,  // server unreachable, UNAVAILABLE, DEADLINE_EXCEEDED
  kExitDenied = 6,       // UNAUTHENTICATED, PERMISSION_DENIED
};

class Connection {
 public:
  Connection(const std::string& server, absl::Duration timeout);

  kg::v1::KnowledgeGraph::Stub& kg() { return *kg_; }
  grpc::health::v1::Health::Stub& health() { return *health_; }
  // A fresh context with the call deadline.
  std::unique_ptr<grpc::ClientContext> Context() const;
  const std::string& server() const { return server_; }

 private:
  std::string server_;
  absl::Duration timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<kg::v1::KnowledgeGraph::Stub> kg_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

// Prints one readable line for a failed call to stderr and returns the exit
// code for it.
int ReportError(const grpc::Status& status, const std::string& server);

}  // namespace kg::client

#endif  // KG_CLIENT_CONNECTION_H_
