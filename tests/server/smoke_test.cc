// End to end: the real kg-server binary on a free loopback port, the real
// kgctl binary against it.
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"

namespace kg {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::RunCommand;
using testing::ScopedTempDir;
using testing::ServerProcess;

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
