// A replica set under faults (issue 22): three etcd members and three
// kg-servers on loopback. A client writes batches of known content
// (tests/support/known_batches.h) to whichever replica is the writer,
// following the kg-writer-address trailer; another reads from every
// replica that is up. Cycles rotate through four faults:
//   0  SIGKILL the kg writer (restarted once another is elected)
//   1  SIGKILL etcd's Raft leader (restarted after a while)
//   2  SIGKILL a follower, then restart it
//   3  SIGSTOP the writer past its lease; once another is elected,
//      SIGCONT it and send it a write straight away (a stale writer's)
// After every cycle, with writes paused and the replicas caught up: every
// acknowledged batch is on every replica in full, every other batch is all
// there or not at all (and a refused or stale one not at all), the
// replicas' contents are the same (VerifyStore's content digest; their
// exports byte for byte too every 20th cycle and after the last), their
// figures are what the batches add up to, and VerifyStore passes on each.
// Reads on a replica that was up never failed.
//
//   KG_REPLICA_FAULT_CYCLES=200 build/tests/replica_fault_test  # 50 of each
//
// (with KG_TEST_BINARY_DIR=DIR, kg-server and kgctl come from DIR/server
// and DIR/client: a copy, so that the build can go on meanwhile).
//
// Default: 4 cycles, one of each fault.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "kg/v1/kg.grpc.pb.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/known_batches.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"

namespace kg::testing {
namespace {

namespace v1 = ::kg::v1;

constexpr int kReplicas = 3;
constexpr int kClient = 0;       // KnownBatch's client of the writes
constexpr int kStaleClient = 1;  // of the writes sent to a stale writer

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  int n = 0;
  return v != nullptr && absl::SimpleAtoi(v, &n) ? n : fallback;
}

std::unique_ptr<v1::KnowledgeGraph::Stub> Stub(const std::string& address) {
  return v1::KnowledgeGraph::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

void SetDeadline(grpc::ClientContext* ctx, absl::Duration timeout) {
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

// What the writing client learned of a batch.
enum class Fate {
  kAcknowledged,
  kRefused,  // a follower's or a fenced writer's refusal: never logged
  kUnknown,  // the call failed otherwise: in the log or not
};

class ReplicaFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    etcd_ = std::make_unique<EtcdCluster>(dir_.Sub("etcd"), 3);
    ASSERT_TRUE(etcd_->started()) << "etcd did not start";
    endpoints_ = absl::StrJoin(etcd_->endpoints(), ",");
    for (int i = 0; i < kReplicas; ++i) {
      kg_.emplace_back();
      ASSERT_TRUE(StartReplica(i));
    }
  }

  void TearDown() override {
    stop_ = true;
    if (writer_.joinable()) writer_.join();
    if (reader_.joinable()) reader_.join();
    for (auto& kg : kg_) {
      if (kg != nullptr) kg->process().Signal(SIGCONT);
    }
  }

  bool StartReplica(int i) {
    kg_[i] = std::make_unique<ServerProcess>(
        dir_.Sub(absl::StrCat("r", i)), dir_.path(),
        std::vector<std::string>{
            "--etcd_endpoints=" + endpoints_, "--cluster=fault",
            absl::StrCat("--member=r", i), "--writer_lease_ms=1000"});
    if (!kg_[i]->started()) return false;
    absl::MutexLock lock(&mu_);
    addresses_[i] = kg_[i]->address();
    up_[i] = true;
    return true;
  }

  void SetUp(int i, bool up) {
    absl::MutexLock lock(&mu_);
    up_[i] = up;
    ++generation_[i];
  }

  std::string Address(int i) {
    absl::MutexLock lock(&mu_);
    return addresses_[i];
  }

  // The replica the set elected, as a replica that is up tells it, once
  // it is not `not_this` (-1: any); -1 when none within `timeout`.
  int Writer(int not_this = -1, absl::Duration timeout = absl::Seconds(20)) {
    const absl::Time deadline = absl::Now() + timeout;
    do {
      for (int i = 0; i < kReplicas; ++i) {
        if (i == not_this || !Up(i)) continue;
        v1::GetClusterStatusResponse status;
        grpc::ClientContext ctx;
        SetDeadline(&ctx, absl::Seconds(2));
        if (!Stub(Address(i))->GetClusterStatus(&ctx, {}, &status).ok()) {
          continue;
        }
        for (int w = 0; w < kReplicas; ++w) {
          if (w != not_this && Address(w) == status.writer_address()) return w;
        }
      }
      absl::SleepFor(absl::Milliseconds(50));
    } while (absl::Now() < deadline);
    return -1;
  }

  bool Up(int i) {
    absl::MutexLock lock(&mu_);
    return up_[i];
  }

  // The client: writes one batch after another to the writer as it
  // learns it, until stopped; pauses while asked to.
  void WriteLoop() {
    int seq = 0;
    int target = 0;
    while (!stop_) {
      {
        absl::MutexLock lock(&mu_);
        writer_idle_ = pause_writes_;
        if (pause_writes_) {
          mu_.AwaitWithTimeout(
              absl::Condition(
                  +[](bool* paused) { return !*paused; }, &pause_writes_),
              absl::Milliseconds(20));
          continue;
        }
      }
      const std::string address = Address(target);
      grpc::ClientContext ctx;
      SetDeadline(&ctx, absl::Seconds(5));
      v1::WriteStatementsResponse resp;
      const int s = seq++;
      const grpc::Status status =
          Stub(address)->WriteStatements(&ctx, KnownBatch(kClient, s), &resp);
      Fate fate = Fate::kUnknown;
      if (status.ok()) {
        fate = Fate::kAcknowledged;
      } else if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
                 status.error_message().find("follower") != std::string::npos) {
        fate = Fate::kRefused;
      }
      std::string writer;
      const auto& trailers = ctx.GetServerTrailingMetadata();
      const auto it = trailers.find("kg-writer-address");
      if (it != trailers.end())
        writer.assign(it->second.data(), it->second.size());
      {
        absl::MutexLock lock(&mu_);
        fates_[s] = fate;
        if (fate == Fate::kAcknowledged && kill_time_ != absl::InfinitePast()) {
          failovers_.push_back(absl::Now() - kill_time_);
          kill_time_ = absl::InfinitePast();
        }
      }
      if (status.ok()) continue;
      // Elsewhere: the writer the replica named, else the next replica.
      int next = (target + 1) % kReplicas;
      for (int i = 0; i < kReplicas; ++i) {
        if (!writer.empty() && Address(i) == writer) next = i;
      }
      target = next;
      absl::SleepFor(absl::Milliseconds(10));
    }
  }

  // Reads from every replica that is up, and counts the reads that failed
  // on a replica that stayed up throughout.
  void ReadLoop() {
    while (!stop_) {
      for (int i = 0; i < kReplicas; ++i) {
        uint64_t generation;
        std::string address;
        {
          absl::MutexLock lock(&mu_);
          if (!up_[i]) continue;
          generation = generation_[i];
          address = addresses_[i];
        }
        grpc::ClientContext ctx;
        SetDeadline(&ctx, absl::Seconds(3));
        v1::GetStatsResponse stats;
        const grpc::Status status = Stub(address)->GetStats(&ctx, {}, &stats);
        absl::MutexLock lock(&mu_);
        if (status.ok()) {
          ++reads_ok_;
        } else if (up_[i] && generation_[i] == generation) {
          read_failures_.push_back(absl::StrCat(
              "r", i, ": ", status.error_code(), " ", status.error_message()));
        }
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
  }

  void PauseWrites(bool pause) {
    absl::MutexLock lock(&mu_);
    pause_writes_ = pause;
    if (pause) {
      writer_idle_ = false;
      mu_.Await(absl::Condition(
          +[](bool* idle) { return *idle; }, &writer_idle_));
    }
  }

  // Waits until every replica applied the whole log.
  bool AwaitCaughtUp(absl::Duration timeout = absl::Seconds(60)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      v1::GetClusterStatusResponse status;
      grpc::ClientContext ctx;
      SetDeadline(&ctx, absl::Seconds(2));
      if (Stub(Address(0))->GetClusterStatus(&ctx, {}, &status).ok() &&
          status.members_size() == kReplicas &&
          std::all_of(status.members().begin(), status.members().end(),
                      [&](const v1::ClusterMember& m) {
                        return m.applied_position() == status.log_end();
                      })) {
        return true;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

  // The checks after a cycle (writes paused, every replica caught up).
  // Each new batch is looked for once; the replicas' contents are compared
  // by VerifyStore's content digest every cycle, and by their whole
  // exports, byte for byte, when `compare_exports` (the digest covers
  // every record, so the exports are the slower, independent second look).
  void CheckReplicasAgree(bool compare_exports) {
    std::map<int, Fate> fates;
    {
      absl::MutexLock lock(&mu_);
      fates = fates_;
    }
    auto first = Stub(Address(0));
    uint64_t present = 0;
    for (const auto& [seq, fate] : fates) {
      const auto it = present_.find(seq);
      if (it != present_.end()) {
        present += it->second;
        continue;
      }
      std::string missing;
      const int parts = PartsPresent(*first, kClient, seq, &missing);
      SCOPED_TRACE(absl::StrCat("batch ", seq, ": ", missing));
      ASSERT_TRUE(parts == 0 || parts == kPartsPerBatch) << "a torn batch";
      if (fate == Fate::kAcknowledged) {
        ASSERT_EQ(parts, kPartsPerBatch) << "an acknowledged batch was lost";
      }
      if (fate == Fate::kRefused) {
        ASSERT_EQ(parts, 0) << "a refused batch was applied";
      }
      present_[seq] = parts == kPartsPerBatch;
      present += present_[seq];
    }
    for (int stale = 0; stale < stale_writes_; ++stale) {
      std::string missing;
      EXPECT_EQ(PartsPresent(*first, kStaleClient, stale, &missing), 0)
          << "a stale writer's batch " << stale << " was applied";
    }
    std::string export0, digest0;
    for (int i = 0; i < kReplicas; ++i) {
      SCOPED_TRACE(absl::StrCat("replica r", i));
      auto stub = Stub(Address(i));
      grpc::ClientContext ctx;
      SetDeadline(&ctx, absl::Seconds(10));
      v1::GetStatsResponse stats;
      ASSERT_TRUE(stub->GetStats(&ctx, {}, &stats).ok());
      EXPECT_EQ(stats.stats().documents(), present);
      EXPECT_EQ(stats.stats().entities(), kHubs + present);
      EXPECT_EQ(stats.stats().statements(), kStatementsPerBatch * present);
      EXPECT_EQ(stats.stats().provenance_records(),
                kStatementsPerBatch * present);
      grpc::ClientContext verify_ctx;
      SetDeadline(&verify_ctx, absl::Seconds(60));
      v1::VerifyStoreResponse verify;
      ASSERT_TRUE(stub->VerifyStore(&verify_ctx, {}, &verify).ok());
      EXPECT_TRUE(verify.ok()) << absl::StrJoin(verify.problems(), "\n");
      ASSERT_EQ(verify.content_sha256().size(), 64u);
      if (i == 0) {
        digest0 = verify.content_sha256();
      } else {
        EXPECT_EQ(verify.content_sha256(), digest0)
            << "r" << i << "'s content differs from r0's";
      }
      if (!compare_exports) continue;
      const RunResult exported = RunCommand(
          {KgctlBinary(), "--server", Address(i), "export"}, dir_.path());
      ASSERT_EQ(exported.exit_code, 0) << exported.err;
      if (i == 0) {
        export0 = exported.out;
        EXPECT_FALSE(export0.empty());
      } else {
        EXPECT_TRUE(exported.out == export0)
            << "r" << i << "'s export differs from r0's";
      }
    }
  }

  ScopedTempDir dir_;
  std::unique_ptr<EtcdCluster> etcd_;
  std::string endpoints_;
  std::vector<std::unique_ptr<ServerProcess>> kg_;
  std::atomic<bool> stop_{false};
  std::thread writer_;
  std::thread reader_;

  absl::Mutex mu_;
  std::string addresses_[kReplicas] ABSL_GUARDED_BY(mu_);
  bool up_[kReplicas] ABSL_GUARDED_BY(mu_) = {};
  uint64_t generation_[kReplicas] ABSL_GUARDED_BY(mu_) = {};
  bool pause_writes_ ABSL_GUARDED_BY(mu_) = false;
  bool writer_idle_ ABSL_GUARDED_BY(mu_) = false;
  std::map<int, Fate> fates_ ABSL_GUARDED_BY(mu_);
  absl::Time kill_time_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::vector<absl::Duration> failovers_ ABSL_GUARDED_BY(mu_);
  uint64_t reads_ok_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> read_failures_ ABSL_GUARDED_BY(mu_);

  std::map<int, bool> present_;  // batches checked, and whether present
  int stale_writes_ = 0;
};

TEST_F(ReplicaFaultTest, NoAcknowledgedWriteIsLostAndReplicasAgree) {
  const int cycles = EnvInt("KG_REPLICA_FAULT_CYCLES", 4);
  std::printf("replica_fault_test: %d cycles\n", cycles);
  std::fflush(stdout);
  const int elected = Writer();
  ASSERT_GE(elected, 0) << "no writer elected";
  {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, absl::Seconds(10));
    v1::WriteStatementsResponse ignored;
    const grpc::Status s =
        Stub(Address(elected))
            ->WriteStatements(&ctx, KnownVocabulary(), &ignored);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  writer_ = std::thread([this] { WriteLoop(); });
  reader_ = std::thread([this] { ReadLoop(); });
  uint64_t stale_refused = 0;
  const absl::Time began = absl::Now();

  for (int cycle = 0; cycle < cycles; ++cycle) {
    const int fault = cycle % 4;
    SCOPED_TRACE(absl::StrCat("cycle ", cycle, ", fault ", fault));
    absl::SleepFor(absl::Milliseconds(300));  // writes flow
    const int writer = Writer();
    ASSERT_GE(writer, 0) << "no writer elected";
    switch (fault) {
      case 0: {  // SIGKILL the writer; restart it once replaced
        SetUp(writer, false);
        {
          absl::MutexLock lock(&mu_);
          kill_time_ = absl::Now();
        }
        kg_[writer]->process().Signal(SIGKILL);
        kg_[writer]->process().Wait(absl::Seconds(10));
        ASSERT_GE(Writer(writer), 0) << "no writer after the kill";
        ASSERT_TRUE(StartReplica(writer));
        break;
      }
      case 1: {  // SIGKILL etcd's leader; restart it later
        const int leader = etcd_->Leader();
        ASSERT_GE(leader, 0) << "etcd has no leader";
        etcd_->Kill(leader);
        absl::SleepFor(absl::Milliseconds(1500));
        ASSERT_TRUE(etcd_->Restart(leader)) << "etcd member did not restart";
        break;
      }
      case 2: {  // SIGKILL a follower, restart it
        const int follower = (writer + 1 + cycle / 4 % 2) % kReplicas;
        SetUp(follower, false);
        kg_[follower]->process().Signal(SIGKILL);
        kg_[follower]->process().Wait(absl::Seconds(10));
        absl::SleepFor(absl::Milliseconds(500));
        ASSERT_TRUE(StartReplica(follower));
        break;
      }
      case 3: {  // SIGSTOP the writer past its lease, resume it
        SetUp(writer, false);
        {
          absl::MutexLock lock(&mu_);
          kill_time_ = absl::Now();
        }
        kg_[writer]->process().Signal(SIGSTOP);
        ASSERT_GE(Writer(writer), 0) << "no writer replaced the paused one";
        kg_[writer]->process().Signal(SIGCONT);
        // At once, before it may notice: its write is refused (etcd fences
        // its appends), and is on no replica (checked below).
        grpc::ClientContext ctx;
        SetDeadline(&ctx, absl::Seconds(10));
        v1::WriteStatementsResponse resp;
        const grpc::Status s =
            Stub(Address(writer))
                ->WriteStatements(
                    &ctx, KnownBatch(kStaleClient, stale_writes_++), &resp);
        EXPECT_FALSE(s.ok()) << "a stale writer's write was acknowledged";
        stale_refused += !s.ok();
        SetUp(writer, true);
        break;
      }
    }
    absl::SleepFor(absl::Milliseconds(500));  // writes flow again
    PauseWrites(true);
    ASSERT_TRUE(AwaitCaughtUp()) << "the replicas did not catch up";
    const absl::Time checks_began = absl::Now();
    CheckReplicasAgree(/*compare_exports=*/cycle % 20 == 19 ||
                       cycle == cycles - 1);
    if (HasFatalFailure()) return;
    std::printf(
        "replica_fault_test: cycle %d (fault %d) checked in %s: %zu "
        "batches so far, %s since the start\n",
        cycle, fault, absl::FormatDuration(absl::Now() - checks_began).c_str(),
        present_.size(), absl::FormatDuration(absl::Now() - began).c_str());
    std::fflush(stdout);
    PauseWrites(false);
  }
  stop_ = true;
  PauseWrites(false);
  writer_.join();
  reader_.join();

  absl::MutexLock lock(&mu_);
  uint64_t acked = 0, refused = 0, unknown = 0;
  for (const auto& [seq, fate] : fates_) {
    acked += fate == Fate::kAcknowledged;
    refused += fate == Fate::kRefused;
    unknown += fate == Fate::kUnknown;
  }
  std::sort(failovers_.begin(), failovers_.end());
  std::printf(
      "replica_fault_test: %d cycles: %llu batches acknowledged, %llu refused "
      "by a follower, %llu unknown (%llu of all present); %llu stale writes "
      "refused; %llu reads, %zu failed on a replica that was up; writer "
      "failover (kill to next acknowledged write): %s\n",
      cycles, static_cast<unsigned long long>(acked),
      static_cast<unsigned long long>(refused),
      static_cast<unsigned long long>(unknown),
      static_cast<unsigned long long>(
          std::count_if(present_.begin(), present_.end(),
                        [](const auto& p) { return p.second; })),
      static_cast<unsigned long long>(stale_refused),
      static_cast<unsigned long long>(reads_ok_), read_failures_.size(),
      failovers_.empty()
          ? "none"
          : absl::StrCat(
                "median ",
                absl::FormatDuration(failovers_[failovers_.size() / 2]),
                ", p99 ",
                absl::FormatDuration(failovers_[std::min(
                    failovers_.size() - 1, failovers_.size() * 99 / 100)]),
                ", max ", absl::FormatDuration(failovers_.back()), " over ",
                failovers_.size())
                .c_str());
  EXPECT_GT(acked, 0u);
  EXPECT_GT(reads_ok_, 0u);
  EXPECT_THAT(read_failures_, ::testing::IsEmpty());
}

}  // namespace
}  // namespace kg::testing
