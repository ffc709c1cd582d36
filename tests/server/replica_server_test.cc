// kg-servers in a replica set over a real etcd, driven with kgctl as a
// user would, and with gRPC calls where the metadata matters: one is
// elected writer, the other serves reads of what the writer wrote and
// answers writes with UNAVAILABLE naming the writer (kgctl follows it); a
// writer killed with SIGKILL is replaced; a replica that restarts catches
// up; reads wait for a log position (read your writes); kgctl cluster
// status and /metrics show the set; a replica the trimmed log no longer
// reaches copies a peer's store. The flags that cannot work are refused by
// name.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "kg/v1/kg.grpc.pb.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"
#include "tests/support/tls_certs.h"

namespace kg::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Trailers = std::multimap<grpc::string_ref, grpc::string_ref>;

std::unique_ptr<v1::KnowledgeGraph::Stub> Stub(const ServerProcess& server) {
  return v1::KnowledgeGraph::NewStub(grpc::CreateChannel(
      server.address(), grpc::InsecureChannelCredentials()));
}

// The value of trailing metadata `key`, "" when absent.
std::string Trailer(const grpc::ClientContext& ctx, const std::string& key) {
  const Trailers& trailers = ctx.GetServerTrailingMetadata();
  const auto it = trailers.find(key);
  return it == trailers.end()
             ? ""
             : std::string(it->second.data(), it->second.size());
}

// Creates entity `id` with a gRPC call straight to `server` (kgctl would
// follow the writer).
grpc::Status CreateEntity(const ServerProcess& server, const std::string& id,
                          std::string* log_position = nullptr) {
  v1::CreateEntityRequest req;
  req.mutable_entity()->set_id(id);
  req.mutable_entity()->set_label(id);
  req.mutable_entity()->set_type("Thing");
  v1::Entity resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  const grpc::Status status = Stub(server)->CreateEntity(&ctx, req, &resp);
  if (log_position != nullptr) *log_position = Trailer(ctx, "kg-log-position");
  return status;
}

class ReplicaServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    etcd_ = std::make_unique<EtcdCluster>(dir_.Sub("etcd"), 1);
    ASSERT_TRUE(etcd_->started()) << "etcd did not start";
  }

  std::unique_ptr<ServerProcess> Start(const std::string& member,
                                       std::vector<std::string> extra = {}) {
    std::vector<std::string> flags = {
        "--etcd_endpoints=" + etcd_->endpoints()[0], "--cluster=team",
        "--member=" + member, "--writer_lease_ms=1000"};
    flags.insert(flags.end(), extra.begin(), extra.end());
    return std::make_unique<ServerProcess>(dir_.Sub(member), dir_.path(),
                                           flags);
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
  EXPECT_THAT(CreateEntity(*b, "two").error_message(),
              HasSubstr(absl::StrCat("the writer is a at ", a->address())));
  const std::vector<std::string> add_two = {
      "entity", "add", "two", "--label", "Two", "--type", "Thing"};

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
  const grpc::Status refused = CreateEntity(*a, "three");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(refused.error_message(),
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
  const grpc::Status stale = CreateEntity(*a, "stale");
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(stale.error_message(), HasSubstr("follower"));
  // `a` catches up with `b`; the stale write is nowhere.
  r = KgctlUntilOk(*a, {"entity", "get", "two"}, absl::Seconds(10));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(Kgctl(*a, {"entity", "get", "stale"}).exit_code, 0);
  EXPECT_NE(Kgctl(*b, {"entity", "get", "stale"}).exit_code, 0);
  EXPECT_THAT(CreateEntity(*a, "three").error_message(),
              HasSubstr(absl::StrCat("the writer is b at ", b->address())));
}

// Read your writes: a write's reply carries its log position; a follower
// asked for it answers once it applied it, and past its deadline says
// so. kgctl follows the writer, shows the set, and /metrics its lag.
TEST_F(ReplicaServerTest, ReadYourWritesClusterStatusAndMetrics) {
  std::unique_ptr<ServerProcess> a = Start("a");
  ASSERT_TRUE(a->started());
  RunResult r = KgctlUntilOk(
      *a, {"entity", "add", "one", "--label", "One", "--type", "Thing"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string port_file = dir_.Sub("b.http_port");
  std::unique_ptr<ServerProcess> b =
      Start("b", {"--http_listen=127.0.0.1:0", "--http_port_file=" + port_file,
                  "--max_waiting_reads=1"});
  ASSERT_TRUE(b->started());

  std::string written_at;
  ASSERT_TRUE(CreateEntity(*a, "two", &written_at).ok());
  uint64_t position = 0;
  ASSERT_TRUE(absl::SimpleAtoi(written_at, &position)) << written_at;
  EXPECT_GE(position, 2u);

  auto get_two = [&](const std::string& min_position, absl::Duration timeout,
                     grpc::ClientContext* ctx) {
    v1::GetEntityRequest req;
    req.set_name("two");
    v1::Entity resp;
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    ctx->AddMetadata("kg-min-log-position", min_position);
    return Stub(*b)->GetEntity(ctx, req, &resp);
  };
  {
    grpc::ClientContext ctx;
    const grpc::Status read = get_two(written_at, absl::Seconds(10), &ctx);
    EXPECT_TRUE(read.ok()) << read.error_message();
    uint64_t answered_at = 0;
    EXPECT_TRUE(
        absl::SimpleAtoi(Trailer(ctx, "kg-log-position"), &answered_at));
    EXPECT_GE(answered_at, position);
    EXPECT_EQ(Trailer(ctx, "kg-writer-address"), a->address());
  }
  {
    grpc::ClientContext ctx;
    const absl::Time start = absl::Now();
    const grpc::Status late =
        get_two(absl::StrCat(position + 1000), absl::Milliseconds(500), &ctx);
    EXPECT_EQ(late.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
    EXPECT_GE(absl::Now() - start, absl::Milliseconds(400));  // it waited
  }
  {
    // One call may wait at a time (--max_waiting_reads=1): a second is
    // refused at once rather than hold another gRPC thread.
    grpc::Status first_status;
    std::thread first([&] {
      grpc::ClientContext ctx;
      first_status =
          get_two(absl::StrCat(position + 1000), absl::Seconds(2), &ctx);
    });
    absl::SleepFor(absl::Milliseconds(500));
    grpc::ClientContext ctx;
    const grpc::Status second =
        get_two(absl::StrCat(position + 1000), absl::Seconds(2), &ctx);
    first.join();
    EXPECT_EQ(second.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(second.error_message(), HasSubstr("--max_waiting_reads"));
    EXPECT_EQ(first_status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  {
    grpc::ClientContext ctx;
    const grpc::Status bad = get_two("soon", absl::Seconds(5), &ctx);
    EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(bad.error_message(), HasSubstr("kg-min-log-position"));
  }
  {
    grpc::ClientContext ctx;
    const grpc::Status refused = [&] {
      v1::CreateEntityRequest req;
      req.mutable_entity()->set_id("nope");
      v1::Entity resp;
      return Stub(*b)->CreateEntity(&ctx, req, &resp);
    }();
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(Trailer(ctx, "kg-writer-address"), a->address());
  }

  // kgctl sent to the follower writes through the writer, and reads its
  // write back from the follower.
  r = Kgctl(*b, {"entity", "add", "three", "--label", "Three", "--type", "T"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat(
                         "written; the replica set had applied log position ",
                         position + 1, " when it answered (--min-log-position ",
                         position + 1, " reads it on any replica)")));
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat("is a follower in replica set "
                                            "'team'; writing to the writer a "
                                            "at ",
                                            a->address())));
  r = KgctlUntilOk(*a, {"cluster", "status", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"log_end\""));
  r = Kgctl(*b, {"--min-log-position", absl::StrCat(position + 1), "entity",
                 "get", "three"});
  EXPECT_EQ(r.exit_code, 0) << r.err;

  // The set as the follower sees it: both members caught up (each
  // publishes its position within a poll).
  r = Kgctl(*b, {"cluster", "status"});
  for (const absl::Time until = absl::Now() + absl::Seconds(10);
       absl::Now() < until &&
       r.out.find(absl::StrCat("b       ", b->address())) == std::string::npos;
       r = Kgctl(*b, {"cluster", "status"})) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("replica set 'team', answered by b"));
  EXPECT_THAT(r.out,
              HasSubstr(absl::StrCat("writer      a at ", a->address())));
  EXPECT_THAT(r.out, HasSubstr("log start   1\n"));  // nothing trimmed yet
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat("log end     ", position + 1)));
  EXPECT_THAT(r.out, HasSubstr("MEMBER  ADDRESS"));
  EXPECT_THAT(r.out, HasSubstr("writer\n"));
  EXPECT_THAT(r.out, HasSubstr("follower\n"));

  // The follower's metrics: its role, its lag, the writers it saw.
  ASSERT_TRUE(WaitForFile(port_file, absl::Seconds(10)));
  const RunResult metrics = RunCommand(
      {"/usr/bin/curl", "-sS",
       absl::StrCat(
           "http://127.0.0.1:", absl::StripAsciiWhitespace(ReadFile(port_file)),
           "/metrics")},
      dir_.path());
  ASSERT_EQ(metrics.exit_code, 0) << metrics.err;
  EXPECT_THAT(metrics.out, HasSubstr("\nkg_replica_writer 0\n"));
  EXPECT_THAT(metrics.out, HasSubstr("\nkg_replica_writer_changes_total 1\n"));
  EXPECT_THAT(metrics.out, HasSubstr("\nkg_replica_lag_seconds_count "));
  EXPECT_THAT(metrics.out, HasSubstr("\nkg_replica_applied_position "));
  EXPECT_THAT(metrics.out, HasSubstr("\nkg_replica_lag_entries "));

  // Over HTTP the same headers: the read waits for the position, and the
  // answer names the position and the writer.
  const std::string http = absl::StrCat(
      "http://127.0.0.1:", absl::StripAsciiWhitespace(ReadFile(port_file)));
  auto curl = [&](const std::string& min_position, const std::string& url,
                  const std::string& body) {
    std::vector<std::string> argv = {
        "/usr/bin/curl", "-sS", "-D", "-",
        "--max-time",    "30",  "-H", "kg-min-log-position: " + min_position};
    if (!body.empty()) {
      argv.insert(argv.end(),
                  {"-X", "POST", "-H", "Content-Type: application/json",
                   "--data-binary", body});
    }
    argv.push_back(http + url);
    return RunCommand(argv, dir_.path());
  };
  const std::string get_entity = "/kg.v1.KnowledgeGraph/GetEntity";
  RunResult got = curl(written_at, get_entity, R"({"name": "two"})");
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_THAT(got.out, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(got.out, HasSubstr("kg-log-position: "));
  EXPECT_THAT(got.out, HasSubstr("kg-writer-address: " + a->address()));
  got = curl("soon", get_entity, R"({"name": "two"})");
  EXPECT_THAT(got.out, HasSubstr("HTTP/1.1 400"));
  EXPECT_THAT(got.out, HasSubstr("kg-min-log-position: must be"));
  got = curl("soon", "/sparql?query=ASK%7B%7D", "");
  EXPECT_THAT(got.out, HasSubstr("HTTP/1.1 400"));
  EXPECT_THAT(got.out, HasSubstr("kg-min-log-position"));
}

// A server alone answers the replica set's questions plainly.
// FetchLogPayload's answer: the stream's status once read to its end.
grpc::Status FetchPayload(const ServerProcess& server,
                          const std::string& name) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::FetchLogPayloadRequest req;
  req.set_name(name);
  auto reader = Stub(server)->FetchLogPayload(&ctx, req);
  v1::FetchCheckpointResponse message;
  while (reader->Read(&message)) {
  }
  return reader->Finish();
}

// An import large enough for the bulk path (here from 50 statements) is
// logged by reference: the follower fetches its payload from the writer
// (FetchLogPayload) and ends with the same store. A payload asked for by a
// bad name, or one the replica does not hold, is refused by name.
TEST_F(ReplicaServerTest, ABulkImportReachesEveryReplicaByReference) {
  std::unique_ptr<ServerProcess> a =
      Start("a", {"--bulk_import_statements=50"});
  ASSERT_TRUE(a->started());
  std::unique_ptr<ServerProcess> b =
      Start("b", {"--bulk_import_statements=50"});
  ASSERT_TRUE(b->started());
  RunResult r = KgctlUntilOk(
      *a, {"entity", "add", "one", "--label", "One", "--type", "Thing"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string file = dir_.Sub("claims.nt");
  {
    std::ofstream out(file);
    for (int i = 0; i < 3000; ++i) {
      out << "<http://example.org/unit" << i
          << "> <http://example.org/deployedTo> <http://example.org/region"
          << i % 17 << "> .\n";
    }
  }
  // Sent to the follower: kgctl follows the writer.
  r = Kgctl(*b, {"import", file, "--document", "claims"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // kgctl says where the import went in the log, and a read on the
  // follower that asks for that position sees it.
  const std::string said = "had applied log position ";
  const size_t at = r.err.find(said);
  ASSERT_NE(at, std::string::npos) << r.err;
  const std::string position = r.err.substr(
      at + said.size(), r.err.find(' ', at + said.size()) - (at + said.size()));
  r = Kgctl(*b, {"--min-log-position", position, "export"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("unit2999"));
  r = KgctlUntilOk(*b, {"entity", "get", "one"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  RunResult mine, theirs;
  do {
    mine = Kgctl(*b, {"export"});
    theirs = Kgctl(*a, {"export"});
    if (mine.out == theirs.out) break;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < deadline);
  EXPECT_EQ(mine.exit_code, 0) << mine.err;
  EXPECT_THAT(theirs.out, HasSubstr("unit2999"));
  EXPECT_EQ(mine.out, theirs.out);
  int payloads = 0;
  std::string payload;
  for (const auto& entry :
       std::filesystem::directory_iterator(dir_.Sub("b") + "/log-payloads")) {
    ++payloads;
    payload = entry.path().filename().string();
  }
  EXPECT_EQ(payloads, 1) << "the follower fetched the load's payload";
  EXPECT_TRUE(FetchPayload(*a, payload).ok());
  r = Kgctl(*b, {"verify"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  grpc::Status s = FetchPayload(*a, "../a/CURRENT");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("name:"));
  s = FetchPayload(*a, "00000000000000009999-1.payload");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("holds no payload"));
}

TEST_F(ReplicaServerTest, AServerAloneIsNoReplicaSet) {
  ServerProcess alone(dir_.Sub("alone"), dir_.path());
  ASSERT_TRUE(alone.started());
  RunResult r = Kgctl(alone, {"cluster", "status"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, HasSubstr("not in a replica set"));
  r = Kgctl(alone, {"--min-log-position", "5", "stats"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, HasSubstr("kg-min-log-position"));
  r = Kgctl(alone, {"--min-log-position", "0", "stats"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const grpc::Status payload =
      FetchPayload(alone, "00000000000000000001-1.payload");
  EXPECT_EQ(payload.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(payload.error_message(), HasSubstr("not in a replica set"));
  // No replica metadata on its replies; its writes are its own.
  std::string position = "unset";
  ASSERT_TRUE(CreateEntity(alone, "one", &position).ok());
  EXPECT_EQ(position, "");
  r = Kgctl(alone, {"entity", "add", "two", "--label", "Two", "--type", "T"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("follower")));
}

// The log is trimmed past what a replica holds: a new replica, and one
// away for longer than the log keeps, copy a live peer's store
// (FetchCheckpoint, with the admin token of --peer_token_file) before they
// open it, and then follow the log from the copy's position. A token
// without the admin role fetches nothing, and the replica does not start.
TEST_F(ReplicaServerTest, AReplicaTheTrimmedLogNoLongerReachesCopiesAPeer) {
  const std::string tokens = dir_.Sub("tokens");
  {
    std::ofstream out(tokens);
    out << "root admin sha256:" << Sha256Hex("root-secret") << "\n"
        << "analyst reader sha256:" << Sha256Hex("analyst-secret") << "\n";
  }
  std::ofstream(dir_.Sub("admin.token")) << "root-secret\n";
  std::ofstream(dir_.Sub("reader.token")) << "analyst-secret\n";
  const std::vector<std::string> set = {
      "--tokens_file=" + tokens, "--log_retention_entries=1",
      "--log_trim_interval=100ms",
      "--peer_token_file=" + dir_.Sub("admin.token")};
  const auto as_root = [](std::vector<std::string> args) {
    args.insert(args.begin(), {"--token", "root-secret"});
    return args;
  };
  const auto add = [&](const ServerProcess& server, int i) {
    const std::string id = absl::StrCat("e", i);
    return KgctlUntilOk(server, as_root({"entity", "add", id, "--label", id,
                                         "--type", "Thing"}));
  };
  // The log's start and end, as kgctl cluster status says.
  const auto log_bounds = [&](const ServerProcess& server) {
    const RunResult r = Kgctl(server, as_root({"--json", "cluster", "status"}));
    std::smatch start, end;
    uint64_t first = 0, last = 0;
    if (std::regex_search(r.out, start,
                          std::regex(R"re("log_start":"(\d+)")re")) &&
        std::regex_search(r.out, end, std::regex(R"re("log_end":"(\d+)")re"))) {
      EXPECT_TRUE(absl::SimpleAtoi(start[1].str(), &first));
      EXPECT_TRUE(absl::SimpleAtoi(end[1].str(), &last));
    }
    return std::make_pair(first, last);
  };
  // Waits until the log starts after `position`.
  const auto trimmed_past = [&](const ServerProcess& server,
                                uint64_t position) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (log_bounds(server).first <= position + 1) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return true;
  };
  const auto same_as = [&](const ServerProcess& server,
                           const ServerProcess& writer, int last) {
    const RunResult got = KgctlUntilOk(
        server, as_root({"entity", "get", absl::StrCat("e", last)}));
    EXPECT_EQ(got.exit_code, 0) << got.err;
    const RunResult mine = Kgctl(server, as_root({"export"}));
    const RunResult theirs = Kgctl(writer, as_root({"export"}));
    EXPECT_EQ(mine.exit_code, 0) << mine.err;
    EXPECT_FALSE(mine.out.empty());
    EXPECT_EQ(mine.out, theirs.out);
  };

  std::unique_ptr<ServerProcess> a = Start("a", set);
  ASSERT_TRUE(a->started()) << a->process().Stderr();
  std::unique_ptr<ServerProcess> b = Start("b", set);
  ASSERT_TRUE(b->started()) << b->process().Stderr();
  for (int i = 0; i < 6; ++i) ASSERT_EQ(add(*a, i).exit_code, 0);
  ASSERT_TRUE(trimmed_past(*a, 2)) << "the log was not trimmed";

  // A token of the reader role may not copy a store: the new replica says
  // so and does not start, and leaves no directory behind.
  std::vector<std::string> reader_flags = set;
  reader_flags.back() = "--peer_token_file=" + dir_.Sub("reader.token");
  std::unique_ptr<ServerProcess> denied = Start("c", reader_flags);
  EXPECT_FALSE(denied->started());
  EXPECT_NE(denied->process().Wait(absl::Seconds(20)), 0);
  EXPECT_THAT(denied->process().Stderr(),
              HasSubstr("data_dir: copying the store of replica"));
  EXPECT_THAT(denied->process().Stderr(), HasSubstr("needs the admin role"));
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("c")));

  // A new replica copies a peer's store and follows the log from there.
  std::unique_ptr<ServerProcess> c = Start("c", set);
  ASSERT_TRUE(c->started()) << c->process().Stderr();
  EXPECT_THAT(c->process().Stderr(), HasSubstr("copied the store of replica"));
  same_as(*c, *a, 5);
  ASSERT_EQ(add(*a, 6).exit_code, 0);
  same_as(*c, *a, 6);

  // A start cut off between moving the old store aside and moving the
  // whole copy in leaves only the copy: the next start takes it.
  c->process().Signal(SIGKILL);
  c->process().Wait(absl::Seconds(10));
  std::filesystem::rename(dir_.Sub("c"), dir_.Sub("c.copy"));
  c = Start("c", set);
  ASSERT_TRUE(c->started()) << c->process().Stderr();
  EXPECT_THAT(c->process().Stderr(), HasSubstr("took the copy"));
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("c.copy")));
  same_as(*c, *a, 6);

  // b goes away while the log moves on past it: back, it moves its old
  // store aside and copies a peer's.
  const uint64_t b_left_at = log_bounds(*a).second;
  b->process().Signal(SIGKILL);
  b->process().Wait(absl::Seconds(10));
  for (int i = 7; i < 11; ++i) ASSERT_EQ(add(*a, i).exit_code, 0);
  ASSERT_TRUE(trimmed_past(*a, b_left_at)) << "the log was not trimmed";
  b = Start("b", set);
  ASSERT_TRUE(b->started()) << b->process().Stderr();
  EXPECT_THAT(b->process().Stderr(), HasSubstr("moved the old store aside"));
  int replaced = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    if (absl::StartsWith(entry.path().filename().string(), "b.replaced-")) {
      ++replaced;
    }
  }
  EXPECT_EQ(replaced, 1);
  same_as(*b, *a, 10);
  RunResult r = Kgctl(*b, as_root({"verify"}));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// Replicas that require client certificates (--tls_client_ca_file): a new
// replica copies a peer's store showing the certificate of
// --peer_tls_cert_file, and one without it is refused by the peer, naming
// the flags to look at.
TEST_F(ReplicaServerTest, APeerThatRequiresAClientCertificateIsCopiedWithOne) {
  const TlsFiles& tls = TestTls();
  const std::vector<std::string> tls_server = {
      "--tls_cert_file=" + tls.server_cert,
      "--tls_key_file=" + tls.server_key,
      "--tls_client_ca_file=" + tls.ca_cert,
      "--log_retention_entries=1",
      "--log_trim_interval=100ms",
      "--peer_tls_ca_file=" + tls.ca_cert};
  std::vector<std::string> with_cert = tls_server;
  with_cert.push_back("--peer_tls_cert_file=" + tls.client_cert);
  with_cert.push_back("--peer_tls_key_file=" + tls.client_key);
  const auto kgctl = [&](const ServerProcess& server,
                         std::vector<std::string> args) {
    args.insert(args.begin(), {"--tls-ca", tls.ca_cert, "--tls-cert",
                               tls.client_cert, "--tls-key", tls.client_key});
    return KgctlUntilOk(server, args);
  };
  std::unique_ptr<ServerProcess> a = Start("a", with_cert);
  ASSERT_TRUE(a->started()) << a->process().Stderr();
  for (int i = 0; i < 4; ++i) {
    const std::string id = absl::StrCat("e", i);
    ASSERT_EQ(kgctl(*a, {"entity", "add", id, "--label", id, "--type", "T"})
                  .exit_code,
              0);
  }
  // Trimmed past a new replica's empty store: it must copy a's.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  bool trimmed = false;
  while (!trimmed && absl::Now() < deadline) {
    trimmed = kgctl(*a, {"--json", "cluster", "status"})
                  .out.find("\"log_start\":\"1\"") == std::string::npos;
    if (!trimmed) absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(trimmed) << "the log was not trimmed";

  std::unique_ptr<ServerProcess> refused = Start("b", tls_server);
  EXPECT_FALSE(refused->started());
  EXPECT_NE(refused->process().Wait(absl::Seconds(30)), 0);
  EXPECT_THAT(refused->process().Stderr(), HasSubstr("--peer_tls_cert_file"));
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("b")));

  std::unique_ptr<ServerProcess> b = Start("b", with_cert);
  ASSERT_TRUE(b->started()) << b->process().Stderr();
  EXPECT_THAT(b->process().Stderr(), HasSubstr("copied the store of replica"));
  const RunResult got = kgctl(*b, {"entity", "get", "e3"});
  EXPECT_EQ(got.exit_code, 0) << got.err;
}

TEST_F(ReplicaServerTest, FlagsThatCannotWorkAreRefusedByName) {
  const std::string endpoints = "--etcd_endpoints=" + etcd_->endpoints()[0];
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{endpoints}, "--member"},
      {{endpoints, "--member=a", "--writer_lease_ms=10"}, "--writer_lease_ms"},
      {{endpoints, "--member=a", "--log_retention_entries=0"},
       "--log_retention_entries"},
      {{endpoints, "--member=a", "--seed_file=" + dir_.Sub("seed.jsonl")},
       "--seed_file"},
      {{"--etcd_endpoints=http://127.0.0.1:1", "--member=a"}, "etcd_endpoints"},
      {{endpoints, "--member=a", "--log_trim_interval=0s"},
       "--log_trim_interval"},
      {{endpoints, "--member=a", "--peer_token_file=" + dir_.Sub("missing")},
       "--peer_token_file: cannot read"},
      {{endpoints, "--member=a", "--peer_tls_ca_file=" + dir_.Sub("missing")},
       "--peer_tls_ca_file: cannot read"},
      {{endpoints, "--member=a", "--peer_tls_ca_file=" + TestTls().ca_cert,
        "--peer_tls_cert_file=" + dir_.Sub("missing"),
        "--peer_tls_key_file=" + TestTls().client_key},
       "--peer_tls_cert_file: cannot read"},
      {{endpoints, "--member=a", "--peer_tls_ca_file=" + TestTls().ca_cert,
        "--peer_tls_cert_file=" + TestTls().client_cert},
       "--peer_tls_cert_file: needs --peer_tls_key_file"},
      {{endpoints, "--member=a",
        "--peer_tls_cert_file=" + TestTls().client_cert,
        "--peer_tls_key_file=" + TestTls().client_key},
       "--peer_tls_cert_file: needs --peer_tls_ca_file"},
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
