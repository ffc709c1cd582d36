#include "client/connection.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace kg::client {

static_assert(static_cast<int>(absl::StatusCode::kNotFound) ==
              static_cast<int>(grpc::StatusCode::NOT_FOUND));
static_assert(static_cast<int>(absl::StatusCode::kUnauthenticated) ==
              static_cast<int>(grpc::StatusCode::UNAUTHENTICATED));
static_assert(static_cast<int>(absl::StatusCode::kUnavailable) ==
              static_cast<int>(grpc::StatusCode::UNAVAILABLE));

namespace {

const char* g_program_name = "kgctl";

absl::StatusOr<std::string> ReadPem(absl::string_view flag,
                                    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in || text.str().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": cannot read ", path));
  }
  return text.str();
}

// Whether `server` names this machine: a token may cross plaintext only to
// it.
bool IsLocalServer(absl::string_view server) {
  if (absl::StartsWith(server, "unix:")) return true;
  absl::ConsumePrefix(&server, "dns:///");
  std::string host(server);
  if (absl::StartsWith(host, "[")) {
    host = host.substr(1, host.find(']') - 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  return absl::EqualsIgnoreCase(host, "localhost") || host == "::1" ||
         absl::StartsWith(host, "127.");
}

}  // namespace

void SetProgramName(const char* name) { g_program_name = name; }
const char* ProgramName() { return g_program_name; }

std::unique_ptr<Connection> Connection::InProcess(
    std::shared_ptr<grpc::Channel> channel, std::string name,
    absl::Duration timeout) {
  ConnectionOptions options;
  options.server = std::move(name);
  options.timeout = timeout;
  std::unique_ptr<Connection> conn(new Connection(options));
  conn->channel_ = std::move(channel);
  conn->in_process_ = true;
  conn->kg_ = kg::v1::KnowledgeGraph::NewStub(conn->channel_);
  conn->health_ = grpc::health::v1::Health::NewStub(conn->channel_);
  return conn;
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    const ConnectionOptions& options) {
  std::unique_ptr<Connection> conn(new Connection(options));
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  const bool tls = !options.tls_ca_file.empty();
  if (!tls) {
    if (!options.tls_cert_file.empty() || !options.tls_key_file.empty() ||
        !options.tls_server_name.empty()) {
      return absl::InvalidArgumentError(
          "--tls-ca: required with --tls-cert, --tls-key and "
          "--tls-server-name");
    }
    credentials = grpc::InsecureChannelCredentials();
  } else {
    if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
      return absl::InvalidArgumentError(
          options.tls_cert_file.empty()
              ? "--tls-cert: required with --tls-key"
              : "--tls-key: required with --tls-cert");
    }
    grpc::SslCredentialsOptions ssl;
    absl::StatusOr<std::string> ca = ReadPem("tls-ca", options.tls_ca_file);
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *std::move(ca);
    if (!options.tls_cert_file.empty()) {
      absl::StatusOr<std::string> cert =
          ReadPem("tls-cert", options.tls_cert_file);
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key =
          ReadPem("tls-key", options.tls_key_file);
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *std::move(cert);
      ssl.pem_private_key = *std::move(key);
    }
    if (!options.tls_server_name.empty()) {
      args.SetSslTargetNameOverride(options.tls_server_name);
    }
    credentials = grpc::SslCredentials(ssl);
  }
  if (!options.token.empty()) {
    if (options.token.find_first_of(" \t\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(
          "--token: must not contain spaces or line breaks");
    }
    if (!tls && !IsLocalServer(options.server)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--token: not sent in plaintext to ", options.server,
                       ", which is not this machine; pass --tls-ca"));
    }
    conn->authorization_ = absl::StrCat("Bearer ", options.token);
  }
  conn->channel_ = grpc::CreateCustomChannel(options.server, credentials, args);
  conn->kg_ = kg::v1::KnowledgeGraph::NewStub(conn->channel_);
  conn->health_ = grpc::health::v1::Health::NewStub(conn->channel_);
  return conn;
}

Connection::Connection(const ConnectionOptions& options)
    : options_(options),
      server_(options.server),
      timeout_(options.timeout),
      min_log_position_(options.min_log_position == 0
                            ? ""
                            : absl::StrCat(options.min_log_position)) {}

std::unique_ptr<grpc::ClientContext> Connection::Context() const {
  std::unique_ptr<grpc::ClientContext> ctx = StreamContext();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  return ctx;
}

std::unique_ptr<grpc::ClientContext> Connection::StreamContext() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!authorization_.empty()) {
    ctx->AddMetadata("authorization", authorization_);
  }
  if (!min_log_position_.empty()) {
    ctx->AddMetadata("kg-min-log-position", min_log_position_);
  }
  return ctx;
}

void Connection::FollowWriter() {
  if (in_process_) return;
  kg::v1::GetClusterStatusResponse cluster;
  std::unique_ptr<grpc::ClientContext> ctx = Context();
  if (!kg_->GetClusterStatus(ctx.get(), kg::v1::GetClusterStatusRequest(),
                             &cluster)
           .ok() ||
      cluster.writer_address().empty() ||
      cluster.writer_member() == cluster.member()) {
    return;
  }
  ConnectionOptions writer = options_;
  writer.server = cluster.writer_address();
  // The writer's certificate names the writer, not --server.
  writer.tls_server_name.clear();
  if (IsLocalServer(writer.server) && !IsLocalServer(server_)) {
    // A writer left to advertise its loopback address: this machine's
    // loopback is not it.
    std::fprintf(stderr,
                 "%s: %s is a follower; its writer %s advertises %s, a "
                 "loopback address (start it with --advertise_address)\n",
                 ProgramName(), server_.c_str(),
                 cluster.writer_member().c_str(), writer.server.c_str());
    return;
  }
  absl::StatusOr<std::unique_ptr<Connection>> moved = Open(writer);
  if (!moved.ok()) {
    std::fprintf(stderr, "%s: %s is a follower; cannot use the writer %s: %s\n",
                 ProgramName(), server_.c_str(), writer.server.c_str(),
                 OneLine(moved.status().message()).c_str());
    return;
  }
  std::fprintf(stderr,
               "%s: %s is a follower in replica set '%s'; writing to "
               "the writer %s at %s\n",
               ProgramName(), server_.c_str(), cluster.cluster().c_str(),
               cluster.writer_member().c_str(), writer.server.c_str());
  *this = std::move(**moved);
}

void Connection::ReportWritten(const grpc::ClientContext& ctx) {
  const auto& trailers = ctx.GetServerTrailingMetadata();
  const auto it = trailers.find("kg-log-position");
  if (it == trailers.end()) return;
  const std::string position(it->second.data(), it->second.size());
  std::fprintf(stderr,
               "%s: written; the replica set had applied log position %s "
               "when it answered (--min-log-position %s reads it on any "
               "replica)\n",
               ProgramName(), position.c_str(), position.c_str());
}

grpc::Status Connection::WaitForConnected() {
  // An in-process channel has no connectivity state to watch.
  if (in_process_) return grpc::Status::OK;
  if (channel_->WaitForConnected(absl::ToChronoTime(absl::Now() + timeout_))) {
    return grpc::Status::OK;
  }
  return grpc::Status(
      grpc::StatusCode::UNAVAILABLE,
      absl::StrCat("cannot connect within ", absl::FormatDuration(timeout_)));
}

int ExitCodeFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return kExitOk;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kExitUnavailable;
    case grpc::StatusCode::NOT_FOUND:
      return kExitNotFound;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return kExitInvalid;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return kExitDenied;
    default:
      return kExitFailure;
  }
}

std::string OneLine(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return out;
}

int ReportError(const grpc::Status& status, const std::string& server,
                absl::string_view rpc) {
  const std::string message = OneLine(status.error_message());
  std::string line;
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      line = absl::StrCat("server ", server, " is unavailable: ", message);
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      line = absl::StrCat("server ", server,
                          " did not answer in time (--timeout)");
      break;
    case grpc::StatusCode::NOT_FOUND:
      line = absl::StrCat("not found: ", message);
      break;
    case grpc::StatusCode::ALREADY_EXISTS:
      line = absl::StrCat("already exists: ", message);
      break;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      line = absl::StrCat("invalid: ", message);
      break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      line = absl::StrCat("limit reached: ", message);
      break;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      line = absl::StrCat("denied: ", message);
      break;
    case grpc::StatusCode::UNIMPLEMENTED:
      line = rpc.empty()
                 ? absl::StrCat("not implemented by this server: ", message)
                 : absl::StrCat(rpc, " not implemented by this server");
      break;
    default:
      line = message.empty()
                 ? absl::StrCat("call failed with status ",
                                static_cast<int>(status.error_code()))
                 : message;
      break;
  }
  std::fprintf(stderr, "%s: %s\n", ProgramName(), line.c_str());
  return ExitCodeFor(status.error_code());
}

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

absl::Status ToAbsl(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

}  // namespace kg::client
