// JsonGateway: every rpc of a gRPC service, called with the protobuf JSON
// mapping. Built once from the service's descriptor (no per-method code);
// each call goes through a real channel to the real service (in process in
// kg-server), so authorisation, validation, limits and status codes are
// exactly gRPC's (docs/http.md).
//
//   auto gateway = JsonGateway::Create(channel, {"kg.v1.KnowledgeGraph"});
//   JsonGateway::Answer a = (*gateway)->Start(
//       "/kg.v1.KnowledgeGraph/GetStats", "{}", {.authorization = ...});
//   ... a.status, a.object; or, streaming, while (a.lines->Next(...)) ...
//
// Unary and client-streaming rpcs answer one JSON object; server-streaming
// and bidirectional ones answer JSON Lines. A client-streaming request
// body is JSON Lines, one request message per line.
//
// Thread-safe.
#ifndef KG_HTTP_GATEWAY_H_
#define KG_HTTP_GATEWAY_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/status.h"

namespace kg::http {

// The HTTP status for a gRPC status code (the mapping of Google's
// google/rpc/code.proto, as grpc-gateway uses).
int HttpStatusFor(grpc::StatusCode code);
// "INVALID_ARGUMENT", ...
std::string CodeName(grpc::StatusCode code);
// {"code":"INVALID_ARGUMENT","message":"..."}: the body of an error answer,
// and the last line of a stream that fails after it began.
std::string ErrorJson(const grpc::Status& status);

struct CallOptions {
  // The request's Authorization header ("Bearer ..."), forwarded as the
  // call's authorization metadata; "" for none.
  std::string authorization;
  // Absent: the server's default deadline applies.
  std::optional<absl::Duration> timeout;
  // The request's kg-min-log-position header, forwarded as the call's
  // metadata (read your writes in a replica set); "" for none.
  std::string min_log_position;
};

// The rest of a streaming answer, one JSON line at a time.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // The next line (no newline); false at the end, with `*status` the call's
  // outcome.
  virtual bool Next(std::string* line, grpc::Status* status) = 0;
  // Ends the call early (the HTTP client went away).
  virtual void Cancel() = 0;
};

class JsonGateway {
 public:
  // NOT_FOUND when a service is not in the generated descriptor pool.
  static absl::StatusOr<std::unique_ptr<JsonGateway>> Create(
      std::shared_ptr<grpc::Channel> channel,
      const std::vector<std::string>& services);

  struct Answer {
    // The call's status when it ended before answering anything.
    grpc::Status status;
    // Unary and client-streaming: the response object.
    std::string object;
    // Server-streaming and bidirectional: the lines, read as they come.
    bool streaming = false;
    std::unique_ptr<ResponseStream> lines;
    // A replica's kg-log-position and kg-writer-address trailers, when the
    // call ended before the answer is sent (all but server streaming).
    std::vector<std::pair<std::string, std::string>> replica_headers;
  };

  // Whether `path` is "/<service>/<method>" of a gateway service.
  bool Knows(absl::string_view path) const;

  // Starts the call named by `path` with the request `body`. A body that
  // is not the request message in JSON is INVALID_ARGUMENT naming what is
  // wrong, and no call is made.
  Answer Start(absl::string_view path, absl::string_view body,
               const CallOptions& options) const;

  // "/kg.v1.KnowledgeGraph/GetStats", ...: every method, for docs and tests.
  std::vector<std::string> Paths() const;

 private:
  struct Method {
    std::string path;
    const google::protobuf::MethodDescriptor* descriptor;
  };
  explicit JsonGateway(std::shared_ptr<grpc::Channel> channel)
      : channel_(std::move(channel)) {}

  std::shared_ptr<grpc::Channel> channel_;
  std::map<std::string, Method, std::less<>> methods_;
};

}  // namespace kg::http

#endif  // KG_HTTP_GATEWAY_H_
