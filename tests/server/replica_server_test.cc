// kg-servers in a replica set over a real etcd, driven with kgctl as a
// user would: one is elected writer, the other serves reads of what the
// writer wrote and answers writes with UNAVAILABLE naming the writer; a
// writer killed with SIGKILL is replaced; a replica that restarts catches
// up. The flags that cannot work are refused by name.
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"

namespace kg::testing {
namespace {

using ::testing::HasSubstr;

class ReplicaServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    etcd_ = std::make_unique<EtcdCluster>(dir_.Sub("etcd"), 1);
    ASSERT_TRUE(etcd_->started()) << "etcd did not start";
  }

  std::unique_ptr<ServerProcess> Start(const std::string& member) {
    return std::make_unique<ServerProcess>(
        dir_.Sub(member), dir_.path(),
        std::vector<std::string>{"--etcd_endpoints=" + etcd_->endpoints()[0],
                                 "--cluster=team", "--member=" + member,
                                 "--writer_lease_ms=1000"});
  }

  RunResult Kgctl(const ServerProcess& server, std::vector<std::string> args) {
    std::vector<std::string> argv = {KgctlBinary(), "--server",
                                     server.address()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, dir_.path());
  }

  // Runs `args` until it exits 0, up to `timeout`; the last run.
  RunResult KgctlUntilOk(const ServerProcess& server,
                         const std::vector<std::string>& args,
                         absl::Duration timeout = absl::Seconds(20)) {
    const absl::Time deadline = absl::Now() + timeout;
    RunResult r = Kgctl(server, args);
    while (r.exit_code != 0 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(50));
      r = Kgctl(server, args);
    }
    return r;
  }

  ScopedTempDir dir_;
  std::unique_ptr<EtcdCluster> etcd_;
};

TEST_F(ReplicaServerTest, AWriterItsFollowerAndFailover) {
  std::unique_ptr<ServerProcess> a = Start("a");
  ASSERT_TRUE(a->started());
  std::unique_ptr<ServerProcess> b = Start("b");
  ASSERT_TRUE(b->started());
  const std::vector<std::string> add_one = {
      "entity", "add", "one", "--label", "One", "--type", "Thing"};
  RunResult r = KgctlUntilOk(*a, add_one);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // The follower serves the writer's write.
  r = KgctlUntilOk(*b, {"entity", "get", "one"}, absl::Seconds(10));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("One"));
  // And refuses writes, naming the writer.
  const std::vector<std::string> add_two = {
      "entity", "add", "two", "--label", "Two", "--type", "Thing"};
  r = Kgctl(*b, add_two);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err,
              HasSubstr(absl::StrCat("the writer is a at ", a->address())));

  // The writer dies without a word: its lease runs out, and the follower
  // is elected and takes the write.
  a->process().Signal(SIGKILL);
  a->process().Wait(absl::Seconds(10));
  const absl::Time killed = absl::Now();
  r = KgctlUntilOk(*b, add_two);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::printf("failover after SIGKILL: %.2f s (lease 1 s)\n",
              absl::ToDoubleSeconds(absl::Now() - killed));

  // Back, `a` follows `b` and catches up.
  a = Start("a");
  ASSERT_TRUE(a->started());
  r = KgctlUntilOk(*a, {"entity", "get", "two"}, absl::Seconds(10));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Kgctl(*a, {"entity", "add", "three", "--label", "Three", "--type", "T"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err,
              HasSubstr(absl::StrCat("the writer is b at ", b->address())));
  r = Kgctl(*a, {"verify"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// A writer paused past its lease (SIGSTOP) is replaced; resumed, it
// still believes it writes, but etcd refuses its append: the write is
// refused naming the new writer, and nothing of it reaches any replica.
TEST_F(ReplicaServerTest, AWriterPausedPastItsLeaseIsFenced) {
  std::unique_ptr<ServerProcess> a = Start("a");
  ASSERT_TRUE(a->started());
  std::unique_ptr<ServerProcess> b = Start("b");
  ASSERT_TRUE(b->started());
  RunResult r = KgctlUntilOk(
      *a, {"entity", "add", "one", "--label", "One", "--type", "Thing"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  a->process().Signal(SIGSTOP);
  r = KgctlUntilOk(
      *b, {"entity", "add", "two", "--label", "Two", "--type", "Thing"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  a->process().Signal(SIGCONT);
  r = Kgctl(*a, {"entity", "add", "stale", "--label", "Stale", "--type", "T"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("follower"));
  // `a` catches up with `b`; the stale write is nowhere.
  r = KgctlUntilOk(*a, {"entity", "get", "two"}, absl::Seconds(10));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(Kgctl(*a, {"entity", "get", "stale"}).exit_code, 0);
  EXPECT_NE(Kgctl(*b, {"entity", "get", "stale"}).exit_code, 0);
  r = Kgctl(*a, {"entity", "add", "three", "--label", "Three", "--type", "T"});
  EXPECT_THAT(r.err,
              HasSubstr(absl::StrCat("the writer is b at ", b->address())));
}

TEST_F(ReplicaServerTest, FlagsThatCannotWorkAreRefusedByName) {
  const std::string endpoints = "--etcd_endpoints=" + etcd_->endpoints()[0];
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{endpoints}, "--member"},
      {{endpoints, "--member=a", "--writer_lease_ms=10"}, "--writer_lease_ms"},
      {{endpoints, "--member=a", "--seed_file=" + dir_.Sub("seed.jsonl")},
       "--seed_file"},
      {{"--etcd_endpoints=http://127.0.0.1:1", "--member=a"}, "etcd_endpoints"},
  };
  for (const auto& [flags, named] : cases) {
    std::vector<std::string> argv = {ServerBinary(), "--listen=127.0.0.1:0",
                                     "--no_auth",
                                     "--data_dir=" + dir_.Sub("refused")};
    argv.insert(argv.end(), flags.begin(), flags.end());
    RunResult r = RunCommand(argv, dir_.path(), absl::Seconds(30));
    EXPECT_NE(r.exit_code, 0) << named;
    EXPECT_THAT(r.err, HasSubstr(named));
  }
}

}  // namespace
}  // namespace kg::testing
