// Floods, against the real kg-server binary on 127.0.0.1:
//
// - Descriptors: the server runs under a low RLIMIT_NOFILE (prlimit) and is
//   flooded with idle TCP connections that never send the HTTP/2 preface,
//   beyond its limit. A backup is taken meanwhile over a connection made
//   before the flood. Once the sockets close, new clients connect, health
//   is SERVING and writes succeed within seconds, and nothing acknowledged
//   was lost. The idle connections are closed by the server once its
//   handshake timeout passes.
// - Memory: many concurrent all-simple-paths streams walking claims, and
//   clients that stop reading, while a separate client looks entities up:
//   the server's RSS stays under a bound and the lookups keep answering.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/config.h"  // ABSL_HAVE_ADDRESS_SANITIZER (GCC and clang)
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "kg/v1/kg.grpc.pb.h"
#include "tests/support/known_batches.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"

namespace kg::testing {
namespace {

namespace v1 = ::kg::v1;
using HealthStatus = grpc::health::v1::HealthCheckResponse;

std::unique_ptr<grpc::ClientContext> Ctx(absl::Duration timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return ctx;
}

std::shared_ptr<grpc::Channel> NewChannel(const std::string& address) {
  // A channel argument no other channel has: a channel of its own, with a
  // connection of its own, not one shared through gRPC's subchannel pool.
  static std::atomic<int> unique{0};
  grpc::ChannelArguments args;
  args.SetInt("kg.test.unique", ++unique);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                   args);
}

HealthStatus::ServingStatus Health(const std::shared_ptr<grpc::Channel>& ch,
                                   const std::string& service = "") {
  auto stub = grpc::health::v1::Health::NewStub(ch);
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(service);
  HealthStatus resp;
  grpc::Status s = stub->Check(Ctx(absl::Seconds(2)).get(), req, &resp);
  return s.ok() ? resp.status() : HealthStatus::UNKNOWN;
}

// A TCP connection to 127.0.0.1:port that sends nothing; -1 when connect
// fails.
int IdleConnection(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// True when the peer has closed `fd`: reading what it sent (an HTTP/2
// settings frame and a GOAWAY, say) ends with end-of-file or an error.
bool ClosedByPeer(int fd) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n > 0) continue;
    return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
  }
}

TEST(FloodTest, DescriptorFloodIsSurvivedAndABackupMeanwhileHarmsNothing) {
  ScopedTempDir dir;
  // 256 descriptors in all; the flood opens four times that many.
  ServerProcess server(dir.Sub("data"), dir.path(),
                       {"--handshake_timeout_ms=3000"},
                       {"/usr/bin/prlimit", "--nofile=256:256", "--"});
  ASSERT_TRUE(server.started()) << server.process().Stderr();

  // A client connected before the flood writes some batches.
  std::shared_ptr<grpc::Channel> early = NewChannel(server.address());
  auto stub = v1::KnowledgeGraph::NewStub(early);
  v1::WriteStatementsResponse ignored;
  ASSERT_TRUE(stub->WriteStatements(Ctx(absl::Seconds(10)).get(),
                                    KnownVocabulary(), &ignored)
                  .ok());
  for (int seq = 0; seq < 5; ++seq) {
    grpc::Status s = stub->WriteStatements(Ctx(absl::Seconds(10)).get(),
                                           KnownBatch(0, seq), &ignored);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  std::vector<int> flood;
  for (int i = 0; i < 1024; ++i) {
    const int fd = IdleConnection(server.port());
    if (fd >= 0) flood.push_back(fd);
  }
  absl::SleepFor(absl::Milliseconds(500));

  // A backup in the flood, over the connection made before it: it may fail
  // (the process is short of descriptors), but it must not hurt the store.
  v1::CreateBackupRequest backup;
  backup.set_directory(dir.Sub("backup"));
  v1::CreateBackupResponse backup_response;
  grpc::Status backup_status = stub->CreateBackup(Ctx(absl::Seconds(20)).get(),
                                                  backup, &backup_response);
  std::printf(
      "backup in the flood: %s\n",
      backup_status.ok() ? "OK" : backup_status.error_message().c_str());

  // Connections that never speak are closed once the handshake timeout
  // (3 s here) passes.
  absl::SleepFor(absl::Seconds(5));
  const auto closed = std::count_if(flood.begin(), flood.end(), ClosedByPeer);
  EXPECT_EQ(closed, static_cast<long>(flood.size()))
      << "of " << flood.size() << " idle connections";
  for (int fd : flood) close(fd);

  // New clients get in, health is SERVING, writes succeed: within seconds.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  grpc::Status write;
  HealthStatus::ServingStatus health = HealthStatus::UNKNOWN;
  while (absl::Now() < deadline) {
    std::shared_ptr<grpc::Channel> fresh = NewChannel(server.address());
    health = Health(fresh);
    if (health == HealthStatus::SERVING) {
      write = v1::KnowledgeGraph::NewStub(fresh)->WriteStatements(
          Ctx(absl::Seconds(2)).get(), KnownBatch(0, 5), &ignored);
      if (write.ok()) break;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(health, HealthStatus::SERVING);
  EXPECT_TRUE(write.ok()) << write.error_message();

  // Nothing acknowledged was lost.
  std::shared_ptr<grpc::Channel> check = NewChannel(server.address());
  auto check_stub = v1::KnowledgeGraph::NewStub(check);
  for (int seq = 0; seq <= 5; ++seq) {
    std::string missing;
    EXPECT_EQ(PartsPresent(*check_stub, 0, seq, &missing), kPartsPerBatch)
        << "batch " << seq << ": " << missing;
  }
  // A backup now succeeds.
  backup.set_directory(dir.Sub("backup-after"));
  grpc::Status after = check_stub->CreateBackup(Ctx(absl::Seconds(20)).get(),
                                                backup, &backup_response);
  EXPECT_TRUE(after.ok()) << after.error_message();
}

// The server's resident memory, bytes (VmRSS); 0 when unknown.
int64_t ResidentBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (!absl::StartsWith(line, "VmRSS:")) continue;
    std::vector<std::string> parts =
        absl::StrSplit(line, ' ', absl::SkipWhitespace());
    int64_t kb = 0;
    if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kb)) return kb << 10;
  }
  return 0;
}

v1::FindPathsRequest AllSimplePathsWalkingClaims() {
  v1::FindPathsRequest req;
  // 4,429 paths with every record of every hop: about 30 MB of answer,
  // found within 41k expanded edges (small enough to run inline).
  req.mutable_from()->set_entity("nis");
  req.mutable_to()->set_entity("russia");
  v1::PathOptions* o = req.mutable_options();
  o->set_mode(v1::PATH_MODE_ALL_SIMPLE);
  o->set_max_hops(6);
  o->set_limit(10000);
  o->set_walk_claims(true);
  o->set_provenance(v1::PROVENANCE_DETAIL_FULL);
  return req;
}

// 200 streams of every simple path walking claims, and 60 clients that
// read one path and then stop reading, at once; a separate client looks an
// entity up throughout. The server's memory stays bounded and returns
// near where it was; lookups keep answering (their p99 is printed: tests
// do not fail on timing).
TEST(FloodTest, PathStreamsAndStalledReadersKeepMemoryBounded) {
  constexpr int kStreams = 200;
  constexpr int kStalled = 60;
  [[maybe_unused]] constexpr int64_t kBound = int64_t{512} << 20;
  ScopedTempDir dir;
  ServerProcess server(dir.Sub("data"), dir.path(),
                       {"--seed_file=" + SourceDir() + "/data/seed.jsonl",
                        "--default_deadline_ms=20000"});
  ASSERT_TRUE(server.started()) << server.process().Stderr();
  const pid_t pid = server.process().pid();
  const int64_t baseline = ResidentBytes(pid);

  std::atomic<bool> done{false};
  std::atomic<int64_t> peak{baseline};
  std::thread sampler([&] {
    while (!done) {
      const int64_t rss = ResidentBytes(pid);
      int64_t seen = peak.load();
      while (rss > seen && !peak.compare_exchange_weak(seen, rss)) {
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
  });
  std::vector<absl::Duration> lookups;
  int lookup_failures = 0;
  std::string first_failure;  // its code and message
  std::thread looker([&] {
    auto stub = v1::KnowledgeGraph::NewStub(NewChannel(server.address()));
    while (!done) {
      v1::GetEntityRequest req;
      req.set_name("nis");
      v1::Entity resp;
      const absl::Time start = absl::Now();
      grpc::Status s = stub->GetEntity(Ctx(absl::Seconds(5)).get(), req, &resp);
      if (s.ok()) {
        lookups.push_back(absl::Now() - start);
      } else if (++lookup_failures == 1) {
        first_failure =
            absl::StrCat(s.error_code(), " ", s.error_message(), " after ",
                         absl::FormatDuration(absl::Now() - start));
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
  });

  // Streams share a few connections, as clients of one process do.
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < 8; ++i) channels.push_back(NewChannel(server.address()));
  std::atomic<int> codes[17] = {};
  std::atomic<int64_t> paths{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kStreams + kStalled; ++i) {
    const bool stalls = i >= kStreams;
    clients.emplace_back([&, i, stalls] {
      auto stub = v1::KnowledgeGraph::NewStub(channels[i % channels.size()]);
      // The stalled readers ask a moment after the others: had they taken
      // every query slot first (one per core), no stream would have had a
      // path before its deadline (seen under a loaded ctest -j2).
      if (stalls) absl::SleepFor(absl::Milliseconds(500));
      grpc::ClientContext ctx;
      // Past the stalled readers' pause; the streams still running then
      // end at it (the memory peak comes well before).
      ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(12)));
      auto reader = stub->FindPaths(&ctx, AllSimplePathsWalkingClaims());
      v1::FindPathsResponse resp;
      if (stalls) {
        reader->Read(&resp);
        absl::SleepFor(absl::Seconds(8));  // stops reading for a while
        ctx.TryCancel();
      } else {
        while (reader->Read(&resp)) paths += resp.has_path() ? 1 : 0;
      }
      grpc::Status s = reader->Finish();
      codes[s.error_code()]++;
    });
  }
  for (std::thread& t : clients) t.join();
  const int64_t peak_during = peak.load();
  absl::SleepFor(absl::Seconds(3));
  const int64_t after = ResidentBytes(pid);
  done = true;
  sampler.join();
  looker.join();

  std::sort(lookups.begin(), lookups.end());
  const absl::Duration p99 =
      lookups.empty()
          ? absl::ZeroDuration()
          : lookups[std::min(lookups.size() - 1, lookups.size() * 99 / 100)];
  std::printf(
      "RSS baseline %lld MB, peak %lld MB, after %lld MB; %lld paths "
      "streamed; codes OK %d, RESOURCE_EXHAUSTED %d, DEADLINE_EXCEEDED %d, "
      "CANCELLED %d; lookups %zu, p99 %s, failed %d\n",
      static_cast<long long>(baseline >> 20),
      static_cast<long long>(peak_during >> 20),
      static_cast<long long>(after >> 20), static_cast<long long>(paths.load()),
      codes[grpc::StatusCode::OK].load(),
      codes[grpc::StatusCode::RESOURCE_EXHAUSTED].load(),
      codes[grpc::StatusCode::DEADLINE_EXCEEDED].load(),
      codes[grpc::StatusCode::CANCELLED].load(), lookups.size(),
      absl::FormatDuration(p99).c_str(), lookup_failures);
#ifndef ABSL_HAVE_ADDRESS_SANITIZER
  // AddressSanitizer's shadow memory and quarantine make RSS another figure.
  EXPECT_LT(peak_during, kBound);
  EXPECT_LT(after, baseline + (int64_t{64} << 20));
#endif
  EXPECT_EQ(lookup_failures, 0) << "the first: " << first_failure;
  EXPECT_GT(paths.load(), 0);
}

TEST(FloodTest, HealthAnswersForTheServiceNameAndTheEmptyName) {
  ScopedTempDir dir;
  ServerProcess server(dir.Sub("data"), dir.path());
  ASSERT_TRUE(server.started()) << server.process().Stderr();
  std::shared_ptr<grpc::Channel> ch = NewChannel(server.address());
  EXPECT_EQ(Health(ch, ""), HealthStatus::SERVING);
  EXPECT_EQ(Health(ch, "kg.v1.KnowledgeGraph"), HealthStatus::SERVING);
}

}  // namespace
}  // namespace kg::testing
