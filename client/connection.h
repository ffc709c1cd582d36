// Connection: kgctl's channel to kg-server and the context every call uses
// (deadline). Also maps gRPC failures to kgctl's exit codes and one-line
// messages. Not thread-safe.
#ifndef KG_CLIENT_CONNECTION_H_
#define KG_CLIENT_CONNECTION_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"
#include "kg/v1/kg.grpc.pb.h"

namespace kg::client {

// kgctl's documented exit codes (kgctl --help, docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // any other error, UNIMPLEMENTED
inline constexpr int kExitUsage = 2;     // bad command line, malformed term
inline constexpr int kExitNotFound = 3;  // NOT_FOUND
// INVALID_ARGUMENT, FAILED_PRECONDITION, ALREADY_EXISTS, OUT_OF_RANGE,
// RESOURCE_EXHAUSTED; a bad line in an imported file.
inline constexpr int kExitInvalid = 4;
// Server unreachable, UNAVAILABLE, DEADLINE_EXCEEDED.
inline constexpr int kExitUnavailable = 5;
inline constexpr int kExitDenied = 6;  // UNAUTHENTICATED, PERMISSION_DENIED

// The name error messages start with ("kgctl: ..."); kg-server --load
// runs the importer under its own name.
void SetProgramName(const char* name);
const char* ProgramName();

// How to reach the server: address, deadline, and the credentials
// (docs/operations.md).
struct ConnectionOptions {
  std::string server = "127.0.0.1:50051";
  absl::Duration timeout = absl::Seconds(10);
  // Sent as `authorization: Bearer <token>` on every call; "" sends none.
  std::string token;
  // TLS: the CA that signed the server's certificate (PEM). "" is plaintext.
  std::string tls_ca_file;
  // A client certificate and key (PEM) for servers that require one.
  std::string tls_cert_file;
  std::string tls_key_file;
  // The name the server's certificate must carry, when it is not the host
  // in `server` (for example connecting by IP to a certificate for a name).
  std::string tls_server_name;
  // Read your writes in a replica set: sent as kg-min-log-position with
  // every call, so that a replica answers once it applied this position.
  // 0 sends none.
  uint64_t min_log_position = 0;
};

class Connection {
 public:
  // INVALID_ARGUMENT naming the flag when a TLS file cannot be read or the
  // options do not fit together.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const ConnectionOptions& options);
  // Over an in-process channel (kg-server's, for --load); `name` stands
  // for the server in messages.
  static std::unique_ptr<Connection> InProcess(
      std::shared_ptr<grpc::Channel> channel, std::string name,
      absl::Duration timeout);

  kg::v1::KnowledgeGraph::Stub& kg() { return *kg_; }
  grpc::health::v1::Health::Stub& health() { return *health_; }
  // A fresh context with the call deadline (--timeout).
  std::unique_ptr<grpc::ClientContext> Context() const;
  // A context without a deadline, for long streams (import).
  std::unique_ptr<grpc::ClientContext> StreamContext() const;
  // Waits up to the call timeout for the channel to connect. UNAVAILABLE
  // when it does not.
  grpc::Status WaitForConnected();
  // Before a write: when the server is a follower in a replica set, the
  // connection moves to the writer it names, saying so on stderr. A
  // server that is not in a replica set, or cannot tell, is kept (the
  // write's own status then says what is wrong).
  void FollowWriter();
  // After a write the server acknowledged in `ctx`: when a replica set
  // took it (the kg-log-position trailer), says on stderr at which log
  // position, so that a read elsewhere can ask for it
  // (--min-log-position). Nothing otherwise.
  static void ReportWritten(const grpc::ClientContext& ctx);
  const std::string& server() const { return server_; }
  absl::Duration timeout() const { return timeout_; }

 private:
  explicit Connection(const ConnectionOptions& options);

  ConnectionOptions options_;  // as opened, for FollowWriter
  std::string server_;
  absl::Duration timeout_;
  std::string authorization_;     // "Bearer <token>", or ""
  std::string min_log_position_;  // "" sends none
  std::shared_ptr<grpc::Channel> channel_;
  bool in_process_ = false;  // made by InProcess
  std::unique_ptr<kg::v1::KnowledgeGraph::Stub> kg_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

// The exit code for a failed call with this code.
int ExitCodeFor(grpc::StatusCode code);

// Prints one readable line for a failed call to stderr and returns the exit
// code for it. `rpc` names the call for UNIMPLEMENTED ("FindPaths").
int ReportError(const grpc::Status& status, const std::string& server,
                absl::string_view rpc = "");

// Converts between absl and gRPC statuses (the codes share numbers).
grpc::Status ToGrpc(const absl::Status& status);
absl::Status ToAbsl(const grpc::Status& status);

// Folds a message onto one line: newlines and tabs become spaces.
std::string OneLine(absl::string_view text);

}  // namespace kg::client

#endif  // KG_CLIENT_CONNECTION_H_
