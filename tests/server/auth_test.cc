// Bearer tokens with roles and TLS, over real gRPC channels to a KgServer on
// 127.0.0.1 port 0: every kg.v1 method without a token, with a malformed or
// wrong one, with a role too low; TLS with the right CA, the wrong one, and
// client certificates; and the start-up refusals.
#include "server/auth.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "kg/v1/kg.grpc.pb.h"
#include "server/server.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"
#include "tests/support/tls_certs.h"

namespace kg::server {
namespace {

using ::kg::testing::IsOk;
using ::kg::testing::ScopedTempDir;
using ::kg::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
namespace v1 = ::kg::v1;

constexpr char kReaderToken[] = "reader-token-0123456789";
constexpr char kWriterToken[] = "writer-token-abcdefghij";
constexpr char kAdminToken[] = "admin-token-ABCDEFGHIJ";

std::string TokensFile(const std::string& dir) {
  const std::string path = dir + "/tokens";
  std::ofstream(path) << "# name role hash\n"
                      << "analyst reader sha256:" << TokenHash(kReaderToken)
                      << "\n"
                      << "pipeline\twriter\tsha256:" << TokenHash(kWriterToken)
                      << "\n\n"
                      << "ops admin sha256:" << TokenHash(kAdminToken) << "\n";
  return path;
}

const google::protobuf::ServiceDescriptor& KgService() {
  return *v1::CreateEntityRequest::descriptor()->file()->FindServiceByName(
      "KnowledgeGraph");
}

// Calls `method` with an empty request through the generic stub (so every
// method, streaming or not, is reached the same way) and returns the
// status the call ends with.
grpc::Status CallEmpty(grpc::Channel* channel, const std::string& method,
                       const std::string& authorization) {
  grpc::GenericStub stub(channel->shared_from_this());
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&ctx, method, &cq);
  grpc::Status status;
  grpc::ByteBuffer empty;
  grpc::ByteBuffer reply;
  void* tag;
  bool ok;
  // Each step waits for its own completion; a step that fails because the
  // server already finished the call is fine, Finish reports why.
  auto step = [&](intptr_t id) {
    EXPECT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(reinterpret_cast<intptr_t>(tag), id);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  if (step(1)) {
    grpc::Slice nothing;
    empty = grpc::ByteBuffer(&nothing, 1);
    call->WriteLast(empty, grpc::WriteOptions(), reinterpret_cast<void*>(2));
    step(2);
    // Drain replies until the stream ends.
    for (;;) {
      call->Read(&reply, reinterpret_cast<void*>(3));
      if (!step(3)) break;
    }
  }
  call->Finish(&status, reinterpret_cast<void*>(4));
  step(4);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.data_dir = dir_.Sub("data");
    options.store.sync_writes = false;
    options.security.tokens_file = TokensFile(dir_.path());
    absl::StatusOr<std::unique_ptr<KgServer>> server = KgServer::Start(options);
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::KnowledgeGraph::NewStub(channel_);
  }

  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(20));
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    return ctx;
  }

  grpc::Status CreateEntity(const std::string& token, const std::string& id) {
    v1::CreateEntityRequest req;
    req.mutable_entity()->set_id(id);
    req.mutable_entity()->set_label(id);
    req.mutable_entity()->set_type("organization");
    v1::Entity resp;
    return stub_->CreateEntity(Ctx(token).get(), req, &resp);
  }

  uint64_t EntityCount() {
    v1::GetStatsResponse stats;
    grpc::Status s =
        stub_->GetStats(Ctx(kReaderToken).get(), v1::GetStatsRequest(), &stats);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return stats.stats().entities();
  }

  bool Serving() {
    auto health = grpc::health::v1::Health::NewStub(channel_);
    grpc::health::v1::HealthCheckResponse resp;
    grpc::ClientContext ctx;  // no token: health needs none
    return health->Check(&ctx, grpc::health::v1::HealthCheckRequest(), &resp)
               .ok() &&
           resp.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  }

  ScopedTempDir dir_;
  std::unique_ptr<KgServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::KnowledgeGraph::Stub> stub_;
};

TEST(RoleTableTest, EveryMethodHasTheRoleWeMeant) {
  // Written out by hand, not derived from RequiredRole: a method given the
  // wrong role in server/auth.cc, or a new method nobody classified, fails
  // here.
  const std::map<std::string, Role> expected = {
      {"GetEntity", Role::kReader},         {"ResolveEntity", Role::kReader},
      {"SearchEntities", Role::kReader},    {"ListEntities", Role::kReader},
      {"GetRelation", Role::kReader},       {"ListRelations", Role::kReader},
      {"GetDocument", Role::kReader},       {"ListDocuments", Role::kReader},
      {"GetStatement", Role::kReader},      {"MatchStatements", Role::kReader},
      {"ListStatements", Role::kReader},    {"CountStatements", Role::kReader},
      {"FindPaths", Role::kReader},         {"Query", Role::kReader},
      {"GetNeighborhood", Role::kReader},   {"Why", Role::kReader},
      {"ListByDocument", Role::kReader},    {"ListByClaimant", Role::kReader},
      {"ListContested", Role::kReader},     {"GetClaimTimeline", Role::kReader},
      {"ExportProvenance", Role::kReader},  {"GetStats", Role::kReader},
      {"CreateEntity", Role::kWriter},      {"UpdateEntity", Role::kWriter},
      {"MergeEntities", Role::kWriter},     {"DeleteEntity", Role::kWriter},
      {"GetEntityHistory", Role::kReader},  {"CreateRelation", Role::kWriter},
      {"CreateDocument", Role::kWriter},    {"WriteStatements", Role::kWriter},
      {"IngestStatements", Role::kWriter},  {"ImportStatements", Role::kWriter},
      {"RetractProvenance", Role::kWriter}, {"CreateBackup", Role::kAdmin},
      {"VerifyStore", Role::kAdmin},        {"GetClusterStatus", Role::kReader},
      {"FetchCheckpoint", Role::kAdmin},    {"FetchLogPayload", Role::kAdmin},
  };
  const auto& service = KgService();
  std::set<std::string> methods;
  for (int i = 0; i < service.method_count(); ++i) {
    const std::string name = service.method(i)->name();
    methods.insert(name);
    auto it = expected.find(name);
    ASSERT_NE(it, expected.end())
        << name << " is new: give it a role in server/auth.cc and here";
    EXPECT_EQ(RequiredRole(name), it->second) << name;
  }
  EXPECT_EQ(methods.size(), expected.size())
      << "this test lists a method the service no longer has";
  EXPECT_EQ(RequiredRole("SomethingNew"), Role::kAdmin);
}

std::string Upper(std::string s) {
  for (char& c : s) c = absl::ascii_toupper(c);
  return s;
}

SecurityOptions Security(std::string tokens, std::string cert = "",
                         std::string key = "", std::string client_ca = "",
                         bool allow_insecure_remote = false) {
  SecurityOptions s;
  s.tokens_file = std::move(tokens);
  s.tls_cert_file = std::move(cert);
  s.tls_key_file = std::move(key);
  s.tls_client_ca_file = std::move(client_ca);
  s.allow_insecure_remote = allow_insecure_remote;
  return s;
}

TEST(TokensFileTest, RejectsEachKindOfBadLine) {
  const std::string hash = TokenHash("t");
  struct Case {
    std::string text;
    std::string message;
  } cases[] = {
      {"alice reader\n", "tokens:1: expected `NAME ROLE sha256:HEX`"},
      {"# c\nalice reader sha256:" + hash + " extra\n", "tokens:2: expected"},
      {"alice superuser sha256:" + hash,
       "tokens:1: unknown role \"superuser\""},
      {"alice reader t", "sha256: and 64 hex digits"},
      {"alice reader sha256:" + hash.substr(1), "64 hex digits"},
      {"alice reader sha256:" + hash.substr(1) + "g", "64 hex digits"},
      {"alice reader sha256:" + hash +
           "\nalice writer sha256:" + TokenHash("u"),
       "tokens:2: name \"alice\" appears twice"},
      {"alice reader sha256:" + hash + "\nbob writer sha256:" + hash,
       "tokens:2: this token hash appears twice"},
      {"# nothing\n\n", "holds no tokens"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(
        Authenticator::FromText(c.text, "tokens"),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.text;
  }
  EXPECT_THAT(Authenticator::FromFile("/nonexistent/tokens"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("--tokens_file: cannot read")));
  absl::StatusOr<Authenticator> upper =
      Authenticator::FromText("a admin sha256:" + Upper(hash), "tokens");
  ASSERT_THAT(upper, IsOk());
  EXPECT_EQ(upper->token_count(), 1u);
}

TEST_F(AuthTest, EveryMethodWithoutATokenIsUnauthenticated) {
  const auto& service = KgService();
  ASSERT_GT(service.method_count(), 20);
  for (int i = 0; i < service.method_count(); ++i) {
    const std::string method =
        absl::StrCat("/kg.v1.KnowledgeGraph/", service.method(i)->name());
    grpc::Status status = CallEmpty(channel_.get(), method, "");
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << method << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr("authorization: missing"));
  }
  EXPECT_TRUE(Serving());
}

TEST_F(AuthTest, EachRoleReachesExactlyItsMethods) {
  const auto& service = KgService();
  const std::pair<const char*, Role> tokens[] = {{kReaderToken, Role::kReader},
                                                 {kWriterToken, Role::kWriter},
                                                 {kAdminToken, Role::kAdmin}};
  for (const auto& [token, role] : tokens) {
    for (int i = 0; i < service.method_count(); ++i) {
      const std::string name = service.method(i)->name();
      grpc::Status status =
          CallEmpty(channel_.get(), "/kg.v1.KnowledgeGraph/" + name,
                    absl::StrCat("Bearer ", token));
      // Past auth, an empty request fails validation or succeeds; it is
      // never turned away for who the caller is.
      EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
          << name << ": " << status.error_message();
      if (RequiredRole(name) > role) {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << name << " with " << RoleName(role);
        EXPECT_THAT(status.error_message(),
                    HasSubstr(absl::StrCat(name, " needs the ",
                                           RoleName(RequiredRole(name)))));
      } else {
        EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << name << " with " << RoleName(role) << ": "
            << status.error_message();
      }
    }
  }
}

TEST_F(AuthTest, MalformedAndWrongTokensAreUnauthenticated) {
  const std::pair<std::string, std::string> cases[] = {
      {"Basic dXNlcjpwYXNz", "malformed"},
      {"Bearer", "malformed"},
      {"Bearer ", "malformed"},
      {"Bearer  " + std::string(kAdminToken), "malformed"},
      {std::string(kAdminToken), "malformed"},
      {"Bearer not-a-token", "unknown token"},
      {"Bearer " + std::string(kAdminToken) + "x", "unknown token"},
      {"Bearer " + TokenHash(kAdminToken), "unknown token"},
  };
  for (const auto& [value, message] : cases) {
    grpc::Status status =
        CallEmpty(channel_.get(), "/kg.v1.KnowledgeGraph/GetStats", value);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << value;
    EXPECT_THAT(status.error_message(), HasSubstr(message)) << value;
    // The server never echoes what it was sent.
    EXPECT_THAT(status.error_message(), Not(HasSubstr("not-a-token")));
    EXPECT_THAT(status.error_message(), Not(HasSubstr(kAdminToken)));
  }
  // The scheme is case-insensitive (RFC 6750).
  EXPECT_TRUE(CallEmpty(channel_.get(), "/kg.v1.KnowledgeGraph/GetStats",
                        absl::StrCat("bearer ", kReaderToken))
                  .ok());
}

TEST_F(AuthTest, ManyBadTokensInARowLeaveTheServerServing) {
  for (int i = 0; i < 300; ++i) {
    v1::GetStatsResponse resp;
    grpc::Status s = stub_->GetStats(Ctx(absl::StrCat("guess-", i)).get(),
                                     v1::GetStatsRequest(), &resp);
    ASSERT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << i;
  }
  EXPECT_TRUE(Serving());
  grpc::Status created = CreateEntity(kWriterToken, "after_the_storm");
  EXPECT_TRUE(created.ok()) << created.error_message();
}

TEST_F(AuthTest, AReaderWritingChangesNothing) {
  const uint64_t before = EntityCount();
  grpc::Status s = CreateEntity(kReaderToken, "intruder");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(),
              HasSubstr("CreateEntity needs the writer role; token "
                        "\"analyst\" has reader"));
  v1::WriteStatementsRequest write;
  auto* e = write.add_entities();
  e->set_id("intruder");
  e->set_label("intruder");
  e->set_type("organization");
  v1::WriteStatementsResponse resp;
  EXPECT_EQ(stub_->WriteStatements(Ctx(kReaderToken).get(), write, &resp)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(EntityCount(), before);
  // The writer may.
  grpc::Status created = CreateEntity(kWriterToken, "pipeline_entity");
  EXPECT_TRUE(created.ok()) << created.error_message();
  EXPECT_EQ(EntityCount(), before + 1);
}

TEST_F(AuthTest, AWriterCannotBackUpAnAdminCan) {
  v1::CreateBackupRequest req;
  req.set_directory(dir_.Sub("backup"));
  v1::CreateBackupResponse resp;
  grpc::Status s = stub_->CreateBackup(Ctx(kWriterToken).get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("needs the admin role"));
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("backup")));
  s = stub_->CreateBackup(Ctx(kAdminToken).get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(std::filesystem::exists(dir_.Sub("backup")));
}

TEST_F(AuthTest, StreamingCallsAreCheckedToo) {
  // IngestStatements (bidi) with a reader token ends before any batch is
  // applied.
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kReaderToken));
  auto stream = stub_->IngestStatements(&ctx);
  v1::IngestStatementsRequest batch;
  batch.set_batch_id(1);
  auto* e = batch.mutable_batch()->add_entities();
  e->set_id("streamed");
  e->set_label("streamed");
  e->set_type("organization");
  const uint64_t before = EntityCount();
  stream->Write(batch);
  stream->WritesDone();
  v1::IngestStatementsResponse ack;
  EXPECT_FALSE(stream->Read(&ack));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(EntityCount(), before);
}

TEST(LoopbackTest, KnowsLoopbackAddresses) {
  for (const char* a : {"127.0.0.1:50051", "127.1.2.3:1", "localhost:1",
                        "LOCALHOST:1", "[::1]:50051", "unix:/tmp/kg.sock"}) {
    EXPECT_TRUE(IsLoopbackAddress(a)) << a;
  }
  for (const char* a : {"0.0.0.0:50051", "[::]:50051", ":50051", "10.0.0.5:1",
                        "kg.example.org:443", "128.0.0.1:1", "[::2]:1"}) {
    EXPECT_FALSE(IsLoopbackAddress(a)) << a;
  }
}

// Refusals happen before the data directory is touched or a port bound.
TEST(StartRefusalTest, RefusesInsecureOrBrokenSecurityOptions) {
  ScopedTempDir dir;
  const std::string tokens = TokensFile(dir.path());
  std::ofstream(dir.Sub("not.pem")) << "hello";
  struct Case {
    std::string listen;
    SecurityOptions security;
    absl::StatusCode code;
    std::string message;
  };
  const auto& tls = testing::TestTls();
  const Case cases[] = {
      {"0.0.0.0:0", Security(""), absl::StatusCode::kInvalidArgument,
       "--listen: 0.0.0.0:0 is not a loopback address"},
      {"0.0.0.0:0", Security("", "", "", "", /*allow_insecure_remote=*/true),
       absl::StatusCode::kInvalidArgument,
       "--tokens_file: required on 0.0.0.0:0"},
      {"127.0.0.1:0", Security(dir.Sub("missing")), absl::StatusCode::kNotFound,
       "--tokens_file: cannot read"},
      {"127.0.0.1:0", Security(tokens, tls.server_cert),
       absl::StatusCode::kInvalidArgument, "--tls_key_file: required"},
      {"127.0.0.1:0", Security(tokens, "", tls.server_key),
       absl::StatusCode::kInvalidArgument, "--tls_cert_file: required"},
      {"127.0.0.1:0", Security(tokens, dir.Sub("not.pem"), tls.server_key),
       absl::StatusCode::kInvalidArgument, "--tls_cert_file: "},
      {"127.0.0.1:0", Security(tokens, tls.server_cert, dir.Sub("missing.key")),
       absl::StatusCode::kNotFound, "--tls_key_file: cannot read"},
      {"127.0.0.1:0", Security(tokens, "", "", tls.ca_cert),
       absl::StatusCode::kInvalidArgument,
       "--tls_client_ca_file: needs --tls_cert_file"},
  };
  for (const Case& c : cases) {
    ServerOptions options;
    options.listen_address = c.listen;
    options.data_dir = dir.Sub("data");
    options.security = c.security;
    EXPECT_THAT(KgServer::Start(options),
                StatusIs(c.code, HasSubstr(c.message)))
        << c.message;
    EXPECT_FALSE(std::filesystem::exists(dir.Sub("data"))) << c.message;
  }
  // Query-slot limits below zero.
  ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.data_dir = dir.Sub("data");
  options.limits.max_concurrent_path_queries = -1;
  EXPECT_THAT(KgServer::Start(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--max_concurrent_path_queries: must not be "
                                 "negative")));
  options.limits.max_concurrent_path_queries = 0;
  options.limits.max_queued_path_queries = -1;
  EXPECT_THAT(KgServer::Start(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--max_queued_path_queries: must not be "
                                 "negative")));
  options.limits.max_queued_path_queries = 64;
  options.limits.write_threads = 0;
  EXPECT_THAT(KgServer::Start(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--write_threads: must be at least 1")));
  options.limits.write_threads = 1;
  options.store.bulk_load_idle_timeout = absl::ZeroDuration();
  EXPECT_THAT(KgServer::Start(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--bulk_import_idle_timeout: must be more "
                                 "than 0")));
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("data")));
}

// TLS material that gRPC would only refuse when binding the port is
// checked at start, before the data directory is touched, and the message
// names the file: a key that is not the certificate's, a file that holds no
// certificate or no key, a client CA that holds no certificate.
TEST(StartRefusalTest, RefusesTlsMaterialThatDoesNotFitNamingTheFile) {
  ScopedTempDir dir;
  const std::string tokens = TokensFile(dir.path());
  const auto& tls = testing::TestTls();
  struct Case {
    SecurityOptions security;
    std::string message;
  };
  const Case cases[] = {
      {Security(tokens, tls.server_cert, tls.client_key),
       "--tls_key_file: " + tls.client_key +
           " is not the private key of the certificate in " + tls.server_cert},
      {Security(tokens, tls.server_key, tls.server_key),
       "--tls_cert_file: " + tls.server_key + " holds no PEM certificate"},
      {Security(tokens, tls.server_cert, tls.server_cert),
       "--tls_key_file: " + tls.server_cert + " holds no PEM private key"},
      {Security(tokens, tls.server_cert, tls.server_key, tls.server_key),
       "--tls_client_ca_file: " + tls.server_key + " holds no PEM certificate"},
  };
  for (const Case& c : cases) {
    ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.data_dir = dir.Sub("data");
    options.security = c.security;
    EXPECT_THAT(KgServer::Start(options),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         ::testing::StartsWith(c.message)))
        << c.message;
    EXPECT_FALSE(std::filesystem::exists(dir.Sub("data"))) << c.message;
  }
  // The real binary says so and exits 1.
  testing::RunResult run = testing::RunCommand(
      {testing::ServerBinary(), "--listen=127.0.0.1:0",
       "--data_dir=" + dir.Sub("data"), "--tokens_file=" + tokens,
       "--tls_cert_file=" + tls.server_cert,
       "--tls_key_file=" + tls.client_key},
      dir.path());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("--tls_key_file: " + tls.client_key));
  EXPECT_THAT(run.err, Not(HasSubstr("address in use")));
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("data")));
}

class TlsTest : public ::testing::Test {
 protected:
  void Start(bool require_client_cert) {
    const auto& tls = testing::TestTls();
    ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.data_dir = dir_.Sub("data");
    options.store.sync_writes = false;
    options.security.tokens_file = TokensFile(dir_.path());
    options.security.tls_cert_file = tls.server_cert;
    options.security.tls_key_file = tls.server_key;
    if (require_client_cert) {
      options.security.tls_client_ca_file = tls.ca_cert;
    }
    absl::StatusOr<std::unique_ptr<KgServer>> server = KgServer::Start(options);
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
  }

  // GetStats with the reader token over `credentials`.
  grpc::Status Stats(std::shared_ptr<grpc::ChannelCredentials> credentials) {
    auto channel = grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), credentials);
    auto stub = v1::KnowledgeGraph::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(5));
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kReaderToken));
    v1::GetStatsResponse resp;
    return stub->GetStats(&ctx, v1::GetStatsRequest(), &resp);
  }

  static std::shared_ptr<grpc::ChannelCredentials> Tls(
      const std::string& ca, const std::string& cert = "",
      const std::string& key = "") {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = testing::ReadFile(ca);
    if (!cert.empty()) {
      ssl.pem_cert_chain = testing::ReadFile(cert);
      ssl.pem_private_key = testing::ReadFile(key);
    }
    return grpc::SslCredentials(ssl);
  }

  ScopedTempDir dir_;
  std::unique_ptr<KgServer> server_;
};

TEST_F(TlsTest, TheRightCaConnectsPlaintextAndTheWrongCaDoNot) {
  Start(/*require_client_cert=*/false);
  const auto& tls = testing::TestTls();
  grpc::Status ok = Stats(Tls(tls.ca_cert));
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(Stats(grpc::InsecureChannelCredentials()).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Stats(Tls(tls.other_ca_cert)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, ClientCertificatesAreVerifiedWhenRequired) {
  Start(/*require_client_cert=*/true);
  const auto& tls = testing::TestTls();
  grpc::Status with_cert =
      Stats(Tls(tls.ca_cert, tls.client_cert, tls.client_key));
  EXPECT_TRUE(with_cert.ok()) << with_cert.error_message();
  EXPECT_EQ(Stats(Tls(tls.ca_cert)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Stats(Tls(tls.ca_cert, tls.other_client_cert, tls.other_client_key))
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace kg::server
