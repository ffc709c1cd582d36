// Backup, verify and restore over the real API: CreateBackup while writers
// write, VerifyStore on the backup and the live store, a second server
// started on the backup (the restore), and the I/O-error path (writes
// UNAVAILABLE, health NOT_SERVING, nothing acknowledged lost), and a
// checkpoint fetched over the wire by `kgctl backup --local`. In-process
// KgServers on 127.0.0.1 port 0 with real gRPC channels.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "kg/v1/kg.grpc.pb.h"
#include "server/server.h"
#include "storage/fault_injection.h"
#include "tests/support/known_batches.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"

namespace kg::server {
namespace {

using ::testing::HasSubstr;
using testing::KnownBatch;
using testing::KnownVocabulary;
using testing::kPartsPerBatch;
using testing::kStatementsPerBatch;
namespace v1 = ::kg::v1;
using HealthStatus = grpc::health::v1::HealthCheckResponse;

std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 30) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(seconds));
  return ctx;
}

// A KgServer with a client.
struct Running {
  std::unique_ptr<KgServer> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::KnowledgeGraph::Stub> stub;

  HealthStatus::ServingStatus Health() {
    auto health = grpc::health::v1::Health::NewStub(channel);
    grpc::health::v1::HealthCheckRequest req;
    HealthStatus resp;
    grpc::Status s = health->Check(Ctx().get(), req, &resp);
    return s.ok() ? resp.status() : HealthStatus::UNKNOWN;
  }
  // Waits up to `timeout` for the health status to become `want`.
  bool WaitForHealth(HealthStatus::ServingStatus want, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (Health() != want) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return true;
  }
  v1::Stats Stats() {
    v1::GetStatsResponse resp;
    EXPECT_TRUE(stub->GetStats(Ctx().get(), {}, &resp).ok());
    return resp.stats();
  }
  v1::VerifyStoreResponse Verify(const std::string& dir = "") {
    v1::VerifyStoreRequest req;
    req.set_directory(dir);
    v1::VerifyStoreResponse resp;
    grpc::Status s = stub->VerifyStore(Ctx(120).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
};

Running Start(ServerOptions options) {
  Running r;
  options.listen_address = "127.0.0.1:0";
  absl::StatusOr<std::unique_ptr<KgServer>> server = KgServer::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return r;
  r.server = *std::move(server);
  r.channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", r.server->port()),
                                  grpc::InsecureChannelCredentials());
  r.stub = v1::KnowledgeGraph::NewStub(r.channel);
  return r;
}

// A server whose store fails as `faults` says, holding the known vocabulary;
// its `server` is null when it did not start or took no write.
Running StartFaulty(ServerOptions options,
                    std::shared_ptr<storage::FaultInjection> faults) {
  options.store.fault_injection = std::move(faults);
  Running r = Start(options);
  if (r.server == nullptr) return r;
  v1::WriteStatementsResponse ignored;
  const grpc::Status s =
      r.stub->WriteStatements(Ctx().get(), KnownVocabulary(), &ignored);
  EXPECT_TRUE(s.ok()) << s.error_message();
  if (!s.ok()) r.server.reset();
  return r;
}

ServerOptions OptionsFor(const std::string& dir) {
  ServerOptions options;
  options.data_dir = dir;
  options.health_interval = absl::Milliseconds(20);
  return options;
}

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    live_ = Start(OptionsFor(dir_.Sub("data")));
    ASSERT_NE(live_.server, nullptr);
    v1::WriteStatementsResponse ignored;
    ASSERT_TRUE(
        live_.stub->WriteStatements(Ctx().get(), KnownVocabulary(), &ignored)
            .ok());
  }

  testing::ScopedTempDir dir_;
  Running live_;
};

TEST_F(BackupTest, BackupUnderConcurrentWritesHoldsAConsistentPrefix) {
  constexpr int kWriters = 4;
  std::atomic<bool> stop{false};
  std::atomic<bool> failed{false};
  std::atomic<int> acked_total{0};
  // Per writer: when each acknowledged batch was acknowledged.
  std::vector<std::vector<absl::Time>> acked(kWriters);
  std::vector<std::thread> writers;
  for (int c = 0; c < kWriters; ++c) {
    writers.emplace_back([&, c] {
      auto stub = v1::KnowledgeGraph::NewStub(live_.channel);
      for (int seq = 0; !stop; ++seq) {
        v1::WriteStatementsResponse resp;
        grpc::Status s =
            stub->WriteStatements(Ctx().get(), KnownBatch(c, seq), &resp);
        if (!s.ok()) {
          ADD_FAILURE() << "writer " << c << ": " << s.error_message();
          failed = true;
          return;
        }
        acked[c].push_back(absl::Now());
        ++acked_total;
      }
    });
  }
  // Waits for `n` acknowledged batches, or a failed writer, or a minute.
  auto wait_for_acks = [&](int n) {
    const absl::Time limit = absl::Now() + absl::Minutes(1);
    while (acked_total < n && !failed && absl::Now() < limit) {
      absl::SleepFor(absl::Milliseconds(5));
    }
  };
  wait_for_acks(40);
  const absl::Time before = absl::Now();
  v1::CreateBackupRequest req;
  req.set_directory(dir_.Sub("backup"));
  req.set_verify(true);
  v1::CreateBackupResponse resp;
  grpc::Status s = live_.stub->CreateBackup(Ctx().get(), req, &resp);
  const int acked_at_backup = acked_total;
  wait_for_acks(acked_at_backup + 40);
  stop = true;
  for (auto& t : writers) t.join();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(resp.verification().ok())
      << absl::StrJoin(resp.verification().problems(), "\n");
  EXPECT_GT(resp.verification().checked().statements(), 0u);

  // The live store, still written a moment ago, verifies too.
  v1::VerifyStoreResponse live = live_.Verify();
  EXPECT_TRUE(live.ok()) << absl::StrJoin(live.problems(), "\n");
  EXPECT_EQ(live.checked().entities(),
            testing::kHubs + static_cast<uint64_t>(acked_total.load()));
  // And the backup verified on its own.
  v1::VerifyStoreResponse backup = live_.Verify(dir_.Sub("backup"));
  EXPECT_TRUE(backup.ok()) << absl::StrJoin(backup.problems(), "\n");
  EXPECT_EQ(backup.directory(), dir_.Sub("backup"));

  // Restore: a server on the backup directory.
  Running restored = Start(OptionsFor(dir_.Sub("backup")));
  ASSERT_NE(restored.server, nullptr);
  int present_batches = 0;
  for (int c = 0; c < kWriters; ++c) {
    // A writer writes one batch after another, so the backup holds a
    // prefix of its batches: all of them up to some point, none after.
    bool gap = false;
    for (int seq = 0; seq < static_cast<int>(acked[c].size()); ++seq) {
      std::string missing;
      const int parts = testing::PartsPresent(*restored.stub, c, seq, &missing);
      SCOPED_TRACE(absl::StrCat("writer ", c, " batch ", seq, ": ", missing));
      ASSERT_TRUE(parts == 0 || parts == kPartsPerBatch) << "half a batch";
      if (acked[c][seq] < before) {
        EXPECT_EQ(parts, kPartsPerBatch) << "acknowledged before the backup";
      }
      if (parts == 0) gap = true;
      if (parts == kPartsPerBatch) {
        EXPECT_FALSE(gap) << "not a prefix";
        ++present_batches;
      }
    }
  }
  EXPECT_GE(present_batches, 40);
  EXPECT_LT(present_batches, acked_total.load());
  const v1::Stats stats = restored.Stats();
  EXPECT_EQ(stats.documents(), static_cast<uint64_t>(present_batches));
  EXPECT_EQ(stats.statements(),
            static_cast<uint64_t>(present_batches * kStatementsPerBatch));
  EXPECT_EQ(stats.provenance_records(),
            static_cast<uint64_t>(present_batches * kStatementsPerBatch));
  // The restored server takes writes.
  v1::WriteStatementsResponse written;
  EXPECT_TRUE(
      restored.stub->WriteStatements(Ctx().get(), KnownBatch(99, 0), &written)
          .ok());
}

TEST_F(BackupTest, VerifyStoreAndBackupRejectBadDirectories) {
  struct Case {
    std::string dir;
    grpc::StatusCode code;
    std::string message;
  };
  std::filesystem::create_directories(dir_.Sub("not_a_store"));
  std::ofstream(dir_.Sub("file")) << "x";
  const std::vector<Case> verify_cases = {
      {"relative/backup", grpc::StatusCode::INVALID_ARGUMENT,
       "directory: must be an absolute path"},
      {std::string("/tmp/a\0b", 8), grpc::StatusCode::INVALID_ARGUMENT,
       "directory: contains a NUL byte"},
      {"/tmp/" + std::string(300, 'z'), grpc::StatusCode::INVALID_ARGUMENT,
       "directory: a name of 300 bytes in the path; at most 255"},
      {"/" + std::string(5000, 'z'), grpc::StatusCode::INVALID_ARGUMENT,
       "directory: a path of 5001 bytes; at most 4096"},
      {dir_.Sub("missing"), grpc::StatusCode::NOT_FOUND,
       "directory: " + dir_.Sub("missing") + " does not exist"},
      {dir_.Sub("not_a_store"), grpc::StatusCode::FAILED_PRECONDITION,
       "directory: " + dir_.Sub("not_a_store") + " holds no kg store"},
      {dir_.Sub("file"), grpc::StatusCode::FAILED_PRECONDITION,
       "is not a directory"},
  };
  for (const Case& c : verify_cases) {
    SCOPED_TRACE(c.dir);
    v1::VerifyStoreRequest req;
    req.set_directory(c.dir);
    v1::VerifyStoreResponse resp;
    grpc::Status s = live_.stub->VerifyStore(Ctx().get(), req, &resp);
    EXPECT_EQ(s.error_code(), c.code) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(c.message));
  }
  const std::vector<Case> backup_cases = {
      {"", grpc::StatusCode::INVALID_ARGUMENT, "directory: is required"},
      {"relative/backup", grpc::StatusCode::INVALID_ARGUMENT,
       "directory: must be an absolute path"},
      {dir_.Sub("not_a_store"), grpc::StatusCode::FAILED_PRECONDITION,
       "directory: " + dir_.Sub("not_a_store") + " already exists"},
      {dir_.Sub("no/such/parent"), grpc::StatusCode::FAILED_PRECONDITION,
       "directory: the parent directory"},
      {dir_.Sub("no/such/parent/"), grpc::StatusCode::FAILED_PRECONDITION,
       "directory: the parent directory " + dir_.Sub("no/such")},
  };
  for (const Case& c : backup_cases) {
    SCOPED_TRACE(c.dir);
    v1::CreateBackupRequest req;
    req.set_directory(c.dir);
    v1::CreateBackupResponse resp;
    grpc::Status s = live_.stub->CreateBackup(Ctx().get(), req, &resp);
    EXPECT_EQ(s.error_code(), c.code) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(c.message));
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("no")));
  v1::CreateBackupRequest slash;
  slash.set_directory(dir_.Sub("with_slash/"));
  v1::CreateBackupResponse written;
  grpc::Status s = live_.stub->CreateBackup(Ctx().get(), slash, &written);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(live_.Verify(dir_.Sub("with_slash")).ok());
  EXPECT_TRUE(std::filesystem::is_empty(dir_.Sub("not_a_store")));
}

// `kgctl backup --local` fetches the checkpoint over FetchCheckpoint into
// a directory of the client's: a store a server starts on, as the live one
// was, with no scratch directory left in the live store's; a directory
// that exists, or whose parent does not, is refused before anything is
// written.
TEST_F(BackupTest, ACheckpointFetchedOverTheWireIsTheStore) {
  const std::string address = absl::StrCat("127.0.0.1:", live_.server->port());
  const auto kgctl = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {testing::KgctlBinary(), "--server",
                                     address};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunCommand(argv, dir_.path());
  };
  const std::string fetched = dir_.Sub("fetched");
  testing::RunResult r = kgctl({"--json", "backup", "--local", fetched});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"files\":"));
  EXPECT_FALSE(std::filesystem::exists(fetched + ".partial"));
  for (const auto& entry :
       std::filesystem::directory_iterator(dir_.Sub("data"))) {
    EXPECT_THAT(entry.path().filename().string(),
                ::testing::Not(HasSubstr("checkpoint-")))
        << "a scratch checkpoint was left in the live store";
  }
  EXPECT_TRUE(live_.Verify(fetched).ok());

  // Scratch checkpoints a process died holding go at the next open; a
  // directory an operator named is kept.
  for (const char* name : {"checkpoint-42", "checkpoint-43.tmp", "notes"}) {
    std::filesystem::create_directory(fetched + "/" + name);
  }
  const v1::Stats live = live_.Stats();
  Running restored = Start(OptionsFor(fetched));
  ASSERT_NE(restored.server, nullptr);
  EXPECT_EQ(restored.Stats().statements(), live.statements());
  EXPECT_EQ(restored.Stats().provenance_records(), live.provenance_records());
  EXPECT_EQ(restored.Stats().entities(), live.entities());
  EXPECT_FALSE(std::filesystem::exists(fetched + "/checkpoint-42"));
  EXPECT_FALSE(std::filesystem::exists(fetched + "/checkpoint-43.tmp"));
  EXPECT_TRUE(std::filesystem::exists(fetched + "/notes"));

  // Refused before anything is written.
  r = kgctl({"backup", "--local", fetched});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err,
              HasSubstr("directory: \"" + fetched + "\" already exists"));
  r = kgctl({"backup", "--local", dir_.Sub("no/such/parent")});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, HasSubstr("directory: the parent directory"));
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("no")));
  r = kgctl({"backup", "--local", "--verify", dir_.Sub("both")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("both")));
}

TEST_F(BackupTest, VerifyStoreReportsDamageInABackup) {
  v1::WriteStatementsResponse ignored;
  ASSERT_TRUE(
      live_.stub->WriteStatements(Ctx().get(), KnownBatch(0, 0), &ignored)
          .ok());
  v1::CreateBackupRequest req;
  req.set_directory(dir_.Sub("backup"));
  v1::CreateBackupResponse resp;
  ASSERT_TRUE(live_.stub->CreateBackup(Ctx().get(), req, &resp).ok());
  // The backup hard-links the live store's SST files: damage a real copy
  // of it (as a bad transfer would), not the backup itself.
  std::filesystem::copy(dir_.Sub("backup"), dir_.Sub("copy"),
                        std::filesystem::copy_options::recursive);
  std::string largest;
  uintmax_t size = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_.Sub("copy"))) {
    if (e.path().extension() == ".sst" && e.file_size() > size) {
      size = e.file_size();
      largest = e.path().string();
    }
  }
  ASSERT_FALSE(largest.empty());
  {
    std::fstream f(largest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(5);
    f.write("garbage", 7);
  }
  v1::VerifyStoreRequest vreq;
  vreq.set_directory(dir_.Sub("copy"));
  v1::VerifyStoreResponse vresp;
  grpc::Status s = live_.stub->VerifyStore(Ctx().get(), vreq, &vresp);
  // Either the report lists the damage, or the store cannot even be opened.
  if (s.ok()) {
    EXPECT_FALSE(vresp.ok());
    EXPECT_GT(vresp.problems_total(), 0u);
    EXPECT_GT(vresp.problems_size(), 0);
  } else {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL) << s.error_message();
  }
  // The live store and the backup are untouched.
  EXPECT_TRUE(live_.Verify().ok());
  EXPECT_TRUE(live_.Verify(dir_.Sub("backup")).ok());
}

TEST(IoErrorTest, WritesFailUnavailableHealthGoesNotServingNothingIsLost) {
  testing::ScopedTempDir dir;
  auto faults = std::make_shared<storage::FaultInjection>();
  Running r = StartFaulty(OptionsFor(dir.Sub("data")), faults);
  ASSERT_NE(r.server, nullptr);
  v1::WriteStatementsResponse ignored;
  for (int seq = 0; seq < 5; ++seq) {
    ASSERT_TRUE(
        r.stub->WriteStatements(Ctx().get(), KnownBatch(0, seq), &ignored)
            .ok());
  }
  EXPECT_EQ(r.Health(), HealthStatus::SERVING);

  faults->set_failing(true);
  grpc::Status s =
      r.stub->WriteStatements(Ctx().get(), KnownBatch(0, 5), &ignored);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_TRUE(r.WaitForHealth(HealthStatus::NOT_SERVING, absl::Seconds(10)));
  // Every write fails while the fault lasts; reads still work.
  s = r.stub->WriteStatements(Ctx().get(), KnownBatch(0, 6), &ignored);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  std::string missing;
  EXPECT_EQ(testing::PartsPresent(*r.stub, 0, 4, &missing), kPartsPerBatch)
      << missing;
  EXPECT_EQ(testing::PartsPresent(*r.stub, 0, 5, &missing), 0) << missing;
  EXPECT_EQ(r.Health(), HealthStatus::NOT_SERVING);

  // The disk recovers: the server resumes by itself and takes writes again.
  faults->set_failing(false);
  EXPECT_TRUE(r.WaitForHealth(HealthStatus::SERVING, absl::Seconds(30)));
  EXPECT_TRUE(
      r.stub->WriteStatements(Ctx().get(), KnownBatch(0, 7), &ignored).ok());

  // A fault again, and this time a restart instead of a resume.
  faults->set_failing(true);
  s = r.stub->WriteStatements(Ctx().get(), KnownBatch(0, 8), &ignored);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  r.server->Shutdown(absl::Seconds(1));
  r = Running();
  faults->set_failing(false);
  Running again = Start(OptionsFor(dir.Sub("data")));
  ASSERT_NE(again.server, nullptr);
  for (int seq = 0; seq <= 8; ++seq) {
    const bool acknowledged = seq < 5 || seq == 7;
    EXPECT_EQ(testing::PartsPresent(*again.stub, 0, seq, &missing),
              acknowledged ? kPartsPerBatch : 0)
        << "batch " << seq << ": " << missing;
  }
  v1::VerifyStoreResponse v = again.Verify();
  EXPECT_TRUE(v.ok()) << absl::StrJoin(v.problems(), "\n");
}

// Running out of descriptors while the store opens a file (a backup's
// flush opens a new log and a new table) is an error RocksDB would stop
// writes for until a restart; the store reports it as retryable, so RocksDB
// recovers by itself once descriptors are free again.
TEST(IoErrorTest, OutOfDescriptorsInABackupTheStoreServesAgainByItself) {
  testing::ScopedTempDir dir;
  auto faults = std::make_shared<storage::FaultInjection>();
  ServerOptions options = OptionsFor(dir.Sub("data"));
  options.resume_interval = absl::Milliseconds(200);
  Running r = StartFaulty(options, faults);
  ASSERT_NE(r.server, nullptr);
  v1::WriteStatementsResponse ignored;
  ASSERT_TRUE(
      r.stub->WriteStatements(Ctx().get(), KnownBatch(0, 0), &ignored).ok());

  faults->set_out_of_descriptors(true);
  v1::CreateBackupRequest backup;
  backup.set_directory(dir.Sub("backup"));
  v1::CreateBackupResponse backup_response;
  grpc::Status s = r.stub->CreateBackup(Ctx().get(), backup, &backup_response);
  EXPECT_FALSE(s.ok());
  EXPECT_GT(faults->failures(), 0u);
  // Writes that need no new file may go on or fail meanwhile; none is
  // acknowledged and then lost.
  s = r.stub->WriteStatements(Ctx().get(), KnownBatch(0, 1), &ignored);
  const bool first_acknowledged = s.ok();

  faults->set_out_of_descriptors(false);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    s = r.stub->WriteStatements(Ctx().get(), KnownBatch(0, 2), &ignored);
    if (s.ok()) break;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < deadline);
  EXPECT_TRUE(s.ok()) << s.error_message();
  std::string missing;
  EXPECT_EQ(testing::PartsPresent(*r.stub, 0, 0, &missing), kPartsPerBatch)
      << missing;
  if (first_acknowledged) {
    EXPECT_EQ(testing::PartsPresent(*r.stub, 0, 1, &missing), kPartsPerBatch)
        << missing;
  }
  EXPECT_EQ(testing::PartsPresent(*r.stub, 0, 2, &missing), kPartsPerBatch)
      << missing;
  backup.set_directory(dir.Sub("backup-after"));
  s = r.stub->CreateBackup(Ctx().get(), backup, &backup_response);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// A server stopped while its store is short of descriptors, or has just
// recovered, stops (RocksDB 7.8's own recovery thread could make the close
// wait forever; storage/database.cc).
TEST(IoErrorTest, AServerStoppedWhileTheStoreRecoversStops) {
  for (const absl::Duration fault : {absl::ZeroDuration(), absl::Seconds(1)}) {
    for (const absl::Duration after :
         {absl::ZeroDuration(), absl::Milliseconds(300)}) {
      SCOPED_TRACE(absl::StrCat("fault ", absl::FormatDuration(fault),
                                ", stopped ", absl::FormatDuration(after),
                                " after it ended"));
      testing::ScopedTempDir dir;
      auto faults = std::make_shared<storage::FaultInjection>();
      Running r = StartFaulty(OptionsFor(dir.Sub("data")), faults);
      ASSERT_NE(r.server, nullptr);
      faults->set_out_of_descriptors(true);
      v1::CreateBackupRequest backup;
      backup.set_directory(dir.Sub("backup"));
      v1::CreateBackupResponse backup_response;
      EXPECT_FALSE(
          r.stub->CreateBackup(Ctx().get(), backup, &backup_response).ok());
      absl::SleepFor(fault);
      faults->set_out_of_descriptors(false);
      absl::SleepFor(after);
      std::atomic<bool> stopped{false};
      std::thread stopper([&] {
        r.server->Shutdown(absl::Seconds(1));
        stopped = true;
      });
      const absl::Time deadline = absl::Now() + absl::Seconds(20);
      while (!stopped && absl::Now() < deadline) {
        absl::SleepFor(absl::Milliseconds(10));
      }
      if (!stopped) {
        ADD_FAILURE() << "Shutdown did not return within 20 s";
        std::fflush(nullptr);
        std::_Exit(1);  // the stopper thread cannot be joined
      }
      stopper.join();
    }
  }
}

}  // namespace
}  // namespace kg::server
