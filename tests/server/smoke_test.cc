// End to end: the real kg-server binary on a free loopback port, the real
// kgctl binary against it.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "absl/base/config.h"  // ABSL_HAVE_ADDRESS_SANITIZER (GCC and clang)
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "kg/v1/kg.grpc.pb.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"

namespace kg {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::RunCommand;
using testing::ScopedTempDir;
using testing::ServerProcess;
using testing::WalBytes;

grpc::health::v1::HealthCheckResponse::ServingStatus CheckHealth(
    const std::string& address) {
  auto channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status status = stub->Check(&ctx, req, &resp);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return resp.status();
}

// Resident memory of a process, bytes (VmRSS in /proc/<pid>/status).
int64_t RssBytes(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "VmRSS:")) continue;
    rest = absl::StripAsciiWhitespace(rest);
    absl::ConsumeSuffix(&rest, " kB");
    int64_t kb = 0;
    if (absl::SimpleAtoi(rest, &kb)) return kb * 1024;
  }
  return -1;
}

// A request above --max_receive_message_bytes is RESOURCE_EXHAUSTED, and
// the memory it took comes back (docs/operations.md, "Memory").
TEST(ServerSmokeTest, OversizedRequestsAreRefusedAndLeaveNoMemoryBehind) {
  ScopedTempDir dir;
  ServerProcess server(dir.Sub("data"), dir.path());
  ASSERT_TRUE(server.started()) << server.process().Stderr();
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(-1);
  auto stub = kg::v1::KnowledgeGraph::NewStub(grpc::CreateCustomChannel(
      server.address(), grpc::InsecureChannelCredentials(), args));
  auto create = [&](size_t text_bytes) {
    kg::v1::CreateDocumentRequest req;
    req.mutable_document()->set_id("big");
    req.mutable_document()->set_title("Big");
    req.mutable_document()->set_text(std::string(text_bytes, 'a'));
    kg::v1::Document resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(60));
    return stub->CreateDocument(&ctx, req, &resp);
  };
  // Warm up: the first calls allocate what every call reuses.
  for (int i = 0; i < 3; ++i) {
    kg::v1::GetStatsResponse stats;
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub->GetStats(&ctx, {}, &stats).ok());
  }
  const int64_t before = RssBytes(server.process().pid());
  // Room for what the calls allocate and keep (gRPC's per-call state).
  constexpr int64_t kMargin = int64_t{32} << 20;
  int64_t peak = before;
  for (int i = 0; i < 5; ++i) {
    grpc::Status s = create(size_t{100} << 20);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << s.error_message();
    peak = std::max(peak, RssBytes(server.process().pid()));
  }
  // gRPC 1.51 buffers a whole message before it checks its size, so each
  // request passed through memory; what it took is freed, and the server's
  // MemoryTrimmer gives it back to the system: within a second or two,
  // at worst at its retry ten seconds after its last trim. The connection
  // is closed first: under load, its read buffers were seen to hold tens of
  // MiB for as long as it stayed open.
  stub.reset();
  int64_t after = RssBytes(server.process().pid());
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (after > before + kMargin && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
    after = RssBytes(server.process().pid());
  }
  std::fprintf(
      stderr, "kg-server RSS: before %lld MiB, peak %lld MiB, after %lld MiB\n",
      static_cast<long long>(before >> 20), static_cast<long long>(peak >> 20),
      static_cast<long long>(after >> 20));
#ifdef ABSL_HAVE_ADDRESS_SANITIZER
  // ASan's allocator keeps freed memory in quarantine: nothing to measure.
#else
  EXPECT_LE(after, before + kMargin);
#endif
  EXPECT_EQ(CheckHealth(server.address()),
            grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST(ServerSmokeTest, ServesHealthAndStopsCleanlyOnSigterm) {
  ScopedTempDir dir;
  ServerProcess server(dir.Sub("data"), dir.path());
  ASSERT_TRUE(server.started()) << server.process().Stderr();
  EXPECT_EQ(CheckHealth(server.address()),
            grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_THAT(
      server.process().Stderr(),
      HasSubstr(absl::StrCat("kg-server listening on 127.0.0.1:0 (port ",
                             server.port(), ")")));

  server.process().Signal(SIGTERM);
  EXPECT_EQ(server.process().Wait(absl::Seconds(30)), 0)
      << server.process().Stderr();
  EXPECT_THAT(server.process().Stderr(), HasSubstr("stopped cleanly"));
}

// A clean stop flushes: the next start has no log to replay
// (docs/operations.md, "Restarts"), and nothing written is lost.
TEST(ServerSmokeTest, ACleanStopLeavesNoLogToReplay) {
  ScopedTempDir dir;
  const std::string data = dir.Sub("data");
  constexpr int kStatements = 300;
  {
    ServerProcess server(data, dir.path());
    ASSERT_TRUE(server.started()) << server.process().Stderr();
    auto stub = kg::v1::KnowledgeGraph::NewStub(grpc::CreateChannel(
        server.address(), grpc::InsecureChannelCredentials()));
    kg::v1::WriteStatementsRequest req;
    kg::v1::Relation* relation = req.add_relations();
    relation->set_id("links_to");
    relation->set_label("links to");
    kg::v1::Document* document = req.add_documents();
    document->set_id("d");
    document->set_title("D");
    for (int i = 0; i < kStatements; ++i) {
      kg::v1::Entity* e = req.add_entities();
      e->set_id(absl::StrCat("e", i));
      e->set_label(absl::StrCat("E", i));
      e->set_type("Thing");
      kg::v1::StatementInput* s = req.add_statements();
      s->mutable_triple()->mutable_subject()->set_entity("e0");
      s->mutable_triple()->set_relation("links_to");
      s->mutable_triple()->mutable_object()->set_entity(absl::StrCat("e", i));
      s->add_provenance()->set_document_id("d");
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(30));
    kg::v1::WriteStatementsResponse resp;
    const grpc::Status status = stub->WriteStatements(&ctx, req, &resp);
    ASSERT_TRUE(status.ok()) << status.error_message();
    // The write is in the log, not yet in table files.
    EXPECT_GT(WalBytes(data), 0);

    server.process().Signal(SIGTERM);
    EXPECT_EQ(server.process().Wait(absl::Seconds(30)), 0)
        << server.process().Stderr();
  }
  EXPECT_EQ(WalBytes(data), 0);

  ServerProcess again(data, dir.path());
  ASSERT_TRUE(again.started()) << again.process().Stderr();
  auto stub = kg::v1::KnowledgeGraph::NewStub(
      grpc::CreateChannel(again.address(), grpc::InsecureChannelCredentials()));
  kg::v1::CountStatementsRequest count;
  count.mutable_subject()->set_entity("e0");
  count.set_exact(true);
  kg::v1::CountStatementsResponse counted;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  ASSERT_TRUE(stub->CountStatements(&ctx, count, &counted).ok());
  EXPECT_EQ(counted.count(), static_cast<uint64_t>(kStatements));
}

TEST(ServerSmokeTest, SigintAlsoStopsCleanlyAndDataSurvivesRestart) {
  ScopedTempDir dir;
  {
    ServerProcess server(dir.Sub("data"), dir.path());
    ASSERT_TRUE(server.started()) << server.process().Stderr();
    server.process().Signal(SIGINT);
    EXPECT_EQ(server.process().Wait(absl::Seconds(30)), 0);
  }
  ServerProcess again(dir.Sub("data"), dir.path());
  ASSERT_TRUE(again.started()) << again.process().Stderr();
  EXPECT_EQ(CheckHealth(again.address()),
            grpc::health::v1::HealthCheckResponse::SERVING);
}

// --help lists every flag defined in server/ (abseil's default lists only
// flags from <program>.cc, which printed "No flags matched.").
TEST(ServerSmokeTest, HelpListsEveryServerFlag) {
  ScopedTempDir dir;
  testing::RunResult r =
      RunCommand({testing::ServerBinary(), "--help"}, dir.path());
  EXPECT_THAT(r.out, Not(HasSubstr("No flags matched")));
  const std::regex flag_definition(R"(ABSL_FLAG\(\s*[\w:<>]+\s*,\s*(\w+))");
  int flags = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::SourceDir() + "/server")) {
    if (entry.path().extension() != ".cc") continue;
    const std::string source = testing::ReadFile(entry.path().string());
    for (std::sregex_iterator it(source.begin(), source.end(), flag_definition);
         it != std::sregex_iterator(); ++it) {
      ++flags;
      EXPECT_THAT(r.out, HasSubstr("--" + (*it)[1].str() + " ("))
          << entry.path();
    }
  }
  EXPECT_GT(flags, 20);
}

TEST(ServerSmokeTest, RefusesAPortThatIsTaken) {
  ScopedTempDir dir;
  ServerProcess first(dir.Sub("a"), dir.path());
  ASSERT_TRUE(first.started());
  testing::RunResult second =
      RunCommand({testing::ServerBinary(), "--no_auth",
                  "--listen=" + first.address(), "--data_dir=" + dir.Sub("b")},
                 dir.path());
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_THAT(second.err, HasSubstr("cannot listen on " + first.address()));
}

TEST(ServerSmokeTest, RefusesADataDirectoryThatIsAFile) {
  ScopedTempDir dir;
  std::ofstream(dir.Sub("file")) << "not a directory";
  testing::RunResult r =
      RunCommand({testing::ServerBinary(), "--no_auth", "--listen=127.0.0.1:0",
                  "--data_dir=" + dir.Sub("file")},
                 dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("is not a directory"));
}

TEST(ServerSmokeTest, RefusesAnUnwritableDataDirectory) {
  ScopedTempDir dir;
  // /proc refuses new directories even to root, which chmod cannot do.
  testing::RunResult r =
      RunCommand({testing::ServerBinary(), "--no_auth", "--listen=127.0.0.1:0",
                  "--data_dir=/proc/kg-test/data"},
                 dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot create data directory"));
}

TEST(ServerSmokeTest, RefusesADataDirectoryInUseByAnotherServer) {
  ScopedTempDir dir;
  ServerProcess first(dir.Sub("data"), dir.path());
  ASSERT_TRUE(first.started());
  testing::RunResult second =
      RunCommand({testing::ServerBinary(), "--no_auth", "--listen=127.0.0.1:0",
                  "--data_dir=" + dir.Sub("data")},
                 dir.path());
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_THAT(second.err, HasSubstr("in use by another process"));
  // The first server is unharmed.
  EXPECT_EQ(CheckHealth(first.address()),
            grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST(ServerSmokeTest, RefusesADirectoryThatIsNotAStore) {
  ScopedTempDir dir;
  std::filesystem::create_directories(dir.Sub("other"));
  std::ofstream(dir.Sub("other/notes.txt")) << "someone else's files";
  testing::RunResult r =
      RunCommand({testing::ServerBinary(), "--no_auth", "--listen=127.0.0.1:0",
                  "--data_dir=" + dir.Sub("other")},
                 dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("holds no kg store"));
  EXPECT_EQ(testing::ReadFile(dir.Sub("other/notes.txt")),
            "someone else's files");
}

TEST(KgctlSmokeTest, HealthAndStatsAgainstARealServer) {
  ScopedTempDir dir;
  ServerProcess server(dir.Sub("data"), dir.path());
  ASSERT_TRUE(server.started());
  testing::RunResult health = RunCommand(
      {testing::KgctlBinary(), "--server", server.address(), "health"},
      dir.path());
  EXPECT_EQ(health.exit_code, 0) << health.err;
  EXPECT_EQ(health.out, "SERVING\n");

  testing::RunResult stats = RunCommand(
      {testing::KgctlBinary(), "--server", server.address(), "--json", "stats"},
      dir.path());
  EXPECT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_THAT(stats.out, HasSubstr("\"statements\":"));
}

TEST(KgctlSmokeTest, UnreachableServerIsOneLineAndExitCode5) {
  ScopedTempDir dir;
  // A port nobody listens on: bind a server, stop it, reuse its port.
  int port;
  {
    ServerProcess server(dir.Sub("data"), dir.path());
    ASSERT_TRUE(server.started());
    port = server.port();
    server.process().Signal(SIGTERM);
    ASSERT_EQ(server.process().Wait(absl::Seconds(30)), 0);
  }
  testing::RunResult r =
      RunCommand({testing::KgctlBinary(), "--server",
                  absl::StrCat("127.0.0.1:", port), "--timeout", "2", "stats"},
                 dir.path());
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_THAT(r.err, HasSubstr("kgctl: server 127.0.0.1:"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(KgctlSmokeTest, UsageErrorExitCode2) {
  ScopedTempDir dir;
  testing::RunResult r =
      RunCommand({testing::KgctlBinary(), "no-such-command"}, dir.path());
  EXPECT_EQ(r.exit_code, 2);
}

TEST(ServerSmokeTest, AuthIsOffOnlyWhenSaidSoAndOnlyOnLoopback) {
  ScopedTempDir dir;
  testing::RunResult r =
      RunCommand({testing::ServerBinary(), "--listen=127.0.0.1:0",
                  "--data_dir=" + dir.Sub("data")},
                 dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("--tokens_file: required; pass "
                               "--tokens_file=FILE"));
  std::ofstream(dir.Sub("tokens"))
      << "ops admin sha256:"
      << "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n";
  r = RunCommand(
      {testing::ServerBinary(), "--listen=127.0.0.1:0", "--no_auth",
       "--tokens_file=" + dir.Sub("tokens"), "--data_dir=" + dir.Sub("data")},
      dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("--no_auth: conflicts with --tokens_file"));
  // Refused before anything is bound: no test listens beyond loopback.
  r = RunCommand({testing::ServerBinary(), "--listen=0.0.0.0:0", "--no_auth",
                  "--allow_insecure_remote", "--data_dir=" + dir.Sub("data")},
                 dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("--tokens_file: required on 0.0.0.0:0"));
  r = RunCommand(
      {testing::ServerBinary(), "--listen=0.0.0.0:0",
       "--tokens_file=" + dir.Sub("tokens"), "--data_dir=" + dir.Sub("data")},
      dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("is not a loopback address; serve it with "
                               "--tls_cert_file"));
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("data")));
}

}  // namespace
}  // namespace kg
