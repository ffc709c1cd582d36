// kgctl against a real kg-server that speaks TLS and wants bearer tokens:
// --tls-ca, --token and KG_TOKEN work, a missing or low token is exit code
// 6 with one line, bad TLS options are usage errors, and the server's log
// never shows a token.
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/kgctl_harness.h"
#include "tests/support/tls_certs.h"

namespace kg::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kReader[] = "kgctl-reader-secret-1";
constexpr char kWriter[] = "kgctl-writer-secret-2";

class KgctlSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string tokens = dir_.Sub("tokens");
    WriteFile(tokens, absl::StrCat("analyst reader sha256:", Sha256Hex(kReader),
                                   "\npipeline writer ",
                                   "sha256:", Sha256Hex(kWriter), "\n"));
    const TlsFiles& tls = TestTls();
    server_ = std::make_unique<ServerProcess>(
        dir_.Sub("data"), dir_.path(),
        std::vector<std::string>{
            "--tokens_file=" + tokens, "--tls_cert_file=" + tls.server_cert,
            "--tls_key_file=" + tls.server_key, "--v=2",
            "--seed_file=" + SourceDir() + "/data/seed.jsonl"});
    ASSERT_TRUE(server_->started()) << server_->process().Stderr();
  }

  RunResult Run(std::vector<std::string> args) {
    return Kgctl(server_->address(), args, dir_.path());
  }

  ScopedTempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(KgctlSecurityTest, TlsAndATokenReachTheServer) {
  const std::string ca = TestTls().ca_cert;
  RunResult r = Run({"--tls-ca", ca, "--token", kReader, "path", "NIS",
                     "Ukraine", "--walk-claims"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Ukraine"));

  setenv("KG_TOKEN", kWriter, 1);
  setenv("KG_TLS_CA", ca.c_str(), 1);
  r = Run({"entity", "add", "pipeline_made", "--label", "Pipeline made",
           "--type", "organization"});
  unsetenv("KG_TOKEN");
  unsetenv("KG_TLS_CA");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(KgctlSecurityTest, MissingOrLowTokensAreDeniedWithExitCode6) {
  const std::string ca = TestTls().ca_cert;
  RunResult r = Run({"--tls-ca", ca, "stats"});
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_EQ(r.err,
            "kgctl: denied: authorization: missing; send `authorization: "
            "Bearer <token>`\n");

  r = Run({"--tls-ca", ca, "--token", "guessed", "stats"});
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_THAT(r.err, HasSubstr("unknown token"));

  r = Run({"--tls-ca", ca, "--token", kReader, "entity", "add", "sneaky",
           "--label", "Sneaky", "--type", "organization"});
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_THAT(r.err, HasSubstr("CreateEntity needs the writer role; token "
                               "\"analyst\" has reader"));
  r = Run({"--tls-ca", ca, "--token", kReader, "entity", "get", "sneaky"});
  EXPECT_EQ(r.exit_code, 3) << "the denied write must not have happened";

  // Denials are logged (--v=2) without the tokens.
  const std::string log = server_->process().Stderr();
  EXPECT_THAT(log, HasSubstr("denied CreateEntity"));
  EXPECT_THAT(log, Not(HasSubstr(kReader)));
  EXPECT_THAT(log, Not(HasSubstr("guessed")));
}

TEST_F(KgctlSecurityTest, PlaintextToATlsServerIsUnavailable) {
  RunResult r = Run({"--token", kReader, "--timeout", "3", "stats"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
}

TEST_F(KgctlSecurityTest, BadTlsOptionsAreUsageErrors) {
  RunResult r = Run({"--tls-ca", dir_.Sub("missing.pem"), "stats"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--tls-ca: cannot read"));
  r = Run({"--tls-cert", TestTls().client_cert, "stats"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--tls-ca: required with --tls-cert"));
  r = Run({"--tls-ca", TestTls().ca_cert, "--tls-cert", TestTls().client_cert,
           "stats"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--tls-key: required with --tls-cert"));
  // A token never crosses the network in plaintext.
  r = RunCommand({KgctlBinary(), "--server", "10.255.255.1:50051", "--token",
                  kReader, "stats"},
                 dir_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--token: not sent in plaintext to "
                               "10.255.255.1:50051"));
  EXPECT_THAT(r.err, Not(HasSubstr(kReader)));
  r = Run({"--token", "two words", "stats"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--token: must not contain spaces"));
}

}  // namespace
}  // namespace kg::testing
