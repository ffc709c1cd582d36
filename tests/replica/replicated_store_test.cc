// Two replicas of one replica set, each a real RocksDB store, sharing a
// real etcd: one is elected writer, the other applies its log; a write to
// the follower is refused naming the writer; when the writer goes, the
// follower takes over; a replica that comes back catches up from its
// stored log position. Both end with the same content.
#include "replica/replicated_store.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "replica/entry.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/test_util.h"

namespace kg::replica {
namespace {

using ::kg::testing::EtcdCluster;
using ::kg::testing::IsOk;
using ::kg::testing::StatusIs;
using storage::Term;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kText[] = "North Korea sent troops to Russia in October.";

storage::WriteBatch Vocabulary() {
  storage::WriteBatch b;
  b.entities = {{"north_korea", "North Korea", "Country", {}},
                {"russia", "Russia", "Country", {}},
                {"kremlin", "Kremlin", "Organization", {}}};
  b.relations = {
      {"sent_troops_to", "sent troops to", false, storage::Polarity::kNone},
      {"denied", "denied", false, storage::Polarity::kOpposes}};
  b.documents = {{"doc1", "Article", "Wire", std::nullopt, kText}};
  return b;
}

storage::WriteBatch Claim(int i) {
  storage::WriteBatch b;
  storage::StatementInput st;
  st.triple = storage::Triple{Term::Blank(absl::StrCat("unit", i)),
                              "sent_troops_to", Term::Entity("russia")};
  storage::ProvenanceInput p;
  p.document_id = "doc1";
  p.evidence = kText;
  p.evidence_start = 0;
  p.evidence_end = sizeof(kText) - 1;
  p.confidence = 0.5 + i / 1000.0;
  st.provenance.push_back(p);
  b.statements.push_back(st);
  return b;
}

// Claim(i) for any i: the same statement shape, a confidence in range.
storage::WriteBatch ClaimAbout(int i) {
  storage::WriteBatch b = Claim(i % 400);
  b.statements[0].triple.subject = Term::Blank(absl::StrCat("unit", i));
  return b;
}

class ReplicatedStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    etcd_ = std::make_unique<EtcdCluster>(dir_.Sub("etcd"), 1);
    ASSERT_TRUE(etcd_->started()) << "etcd did not start";
  }

  absl::StatusOr<std::unique_ptr<ReplicatedStore>> Join(
      const std::string& member,
      std::function<void(absl::Duration)> applied_after = nullptr) {
    storage::StoreOptions store_options;
    absl::StatusOr<std::unique_ptr<storage::Store>> store =
        storage::Store::Open(store_options, dir_.Sub(member));
    if (!store.ok()) return store.status();
    ReplicaOptions options;
    options.etcd_endpoints = etcd_->endpoints();
    options.cluster = "test";
    options.member = member;
    options.address = absl::StrCat(member, ".example:50051");
    options.lease_ttl = absl::Seconds(1);
    options.applied_after = std::move(applied_after);
    options.log_retention = log_retention_;
    options.trim_interval = trim_interval_;
    if (with_payloads_) {
      // Each replica's payloads in a directory of its own; a payload is
      // fetched by copying it from the directory of the replica at that
      // address (kg-server fetches it over gRPC: FetchLogPayload).
      options.payload_dir = PayloadDir(member);
      options.fetch_payload = [this, member](const std::string& address,
                                             const std::string& name,
                                             const std::string& path) {
        if (Refusing(member)) return absl::UnavailableError("refused");
        while (Holding(member)) absl::SleepFor(absl::Milliseconds(10));
        ++fetched_;
        const std::string from = absl::StrCat(
            PayloadDir(address.substr(0, address.find('.'))), "/", name);
        std::error_code ec;
        std::filesystem::copy_file(from, path, ec);
        return ec ? absl::UnavailableError(ec.message()) : absl::OkStatus();
      };
      options.bulk_load_idle_timeout = absl::Milliseconds(300);
      options.payload_copy_timeout = absl::Seconds(3);
    }
    absl::StatusOr<std::unique_ptr<ReplicatedStore>> replica =
        ReplicatedStore::Start(*std::move(store), options);
    if (replica.ok()) (*replica)->Run();
    return replica;
  }

  // Waits for `replica` to be (or not be) the writer.
  static bool AwaitRole(ReplicatedStore& replica, ReplicaStatus::Role role) {
    const absl::Time deadline = absl::Now() + absl::Seconds(15);
    while (absl::Now() < deadline) {
      if (replica.status().role == role) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  // What a reader sees: every statement and its records, in order.
  static std::string Content(storage::Store& store) {
    std::unique_ptr<storage::Reader> reader = store.NewReader();
    std::string out;
    EXPECT_THAT(reader->ForEachStatement([&](storage::NodeId tid,
                                             const storage::Statement& st) {
      absl::StrAppend(&out, tid, " ", st.id, " ", st.subject.id, "\n");
      absl::StatusOr<std::vector<storage::ProvenanceRecord>> records =
          reader->ProvenanceAt(tid, true);
      EXPECT_THAT(records, IsOk());
      if (!records.ok()) return false;
      for (const storage::ProvenanceRecord& r : *records) {
        absl::StrAppend(
            &out, "  ", r.input.document_id, " ", r.input.confidence, " ",
            absl::FormatTime(r.recorded_at),
            r.retracted_at ? " retracted " : "",
            r.retracted_at ? absl::FormatTime(*r.retracted_at) : "", "\n");
      }
      return true;
    }),
                IsOk());
    return out;
  }

  std::string PayloadDir(const std::string& member) {
    return dir_.Sub(member + "-payloads");
  }

  // The sizes of the payload files of `member` still being written.
  std::vector<uint64_t> Writing(const std::string& member) {
    std::vector<uint64_t> sizes;
    for (const auto& file :
         std::filesystem::directory_iterator(PayloadDir(member))) {
      if (file.path().extension() == ".writing") {
        sizes.push_back(file.file_size());
      }
    }
    return sizes;
  }

  ::kg::testing::ScopedTempDir dir_;
  std::unique_ptr<EtcdCluster> etcd_;
  bool with_payloads_ = false;
  std::atomic<int> fetched_{0};
  // The members whose payload fetches fail.
  void Refuse(const std::string& member, bool refuse) {
    absl::MutexLock lock(&refusing_mu_);
    if (refuse) {
      refusing_.insert(member);
    } else {
      refusing_.erase(member);
    }
  }
  bool Refusing(const std::string& member) {
    absl::MutexLock lock(&refusing_mu_);
    return refusing_.contains(member);
  }
  // The member whose payload fetches wait, while `hold`.
  void Hold(const std::string& member, bool hold) {
    absl::MutexLock lock(&refusing_mu_);
    held_ = hold ? member : "";
  }
  bool Holding(const std::string& member) {
    absl::MutexLock lock(&refusing_mu_);
    return held_ == member;
  }
  absl::Mutex refusing_mu_;
  absl::flat_hash_set<std::string> refusing_ ABSL_GUARDED_BY(refusing_mu_);
  std::string held_ ABSL_GUARDED_BY(refusing_mu_);
  uint64_t log_retention_ = 10'000;
  absl::Duration trim_interval_ = absl::Seconds(10);
};

TEST_F(ReplicatedStoreTest, OneWriterItsFollowersApplyItsLogAndTakeOver) {
  absl::StatusOr<std::unique_ptr<ReplicatedStore>> a = Join("a");
  ASSERT_THAT(a, IsOk());
  ASSERT_TRUE(AwaitRole(**a, ReplicaStatus::Role::kWriter));
  std::atomic<int> lags_told{0};
  std::atomic<int64_t> longest_lag_us{0};
  absl::StatusOr<std::unique_ptr<ReplicatedStore>> b =
      Join("b", [&](absl::Duration lag) {
        ++lags_told;
        longest_lag_us =
            std::max<int64_t>(longest_lag_us, absl::ToInt64Microseconds(lag));
      });
  ASSERT_THAT(b, IsOk());

  ASSERT_THAT((*a)->Write(Vocabulary()), IsOk());
  for (int i = 0; i < 20; ++i) ASSERT_THAT((*a)->Write(Claim(i)), IsOk());
  // A write the data refuses is refused on the writer, and skipped alike
  // by the follower.
  storage::WriteBatch bad = Claim(99);
  bad.statements[0].provenance[0].document_id = "no_such_doc";
  EXPECT_THAT((*a)->Write(bad), StatusIs(absl::StatusCode::kNotFound));
  absl::StatusOr<storage::WriteResult> last = (*a)->Write(Claim(20));
  ASSERT_THAT(last, IsOk());
  const uint64_t applied = (*a)->status().applied;
  EXPECT_EQ(applied, 23u);
  ASSERT_THAT((*b)->AwaitApplied(applied, absl::Now() + absl::Seconds(10)),
              IsOk());
  EXPECT_EQ((*b)->status().entries_failed, 1u);
  EXPECT_EQ((*b)->log_position(), applied);
  EXPECT_EQ((*b)->applied_position(), applied);
  EXPECT_EQ((*b)->status().log_end, applied);
  // The follower told the lag of each entry it applied, the refused one
  // too; the writer tells none.
  EXPECT_EQ(lags_told, 23);
  EXPECT_GT(longest_lag_us, 0);
  EXPECT_LT(longest_lag_us, 10'000'000);
  EXPECT_EQ(Content(**b), Content(**a));
  EXPECT_FALSE(Content(**a).empty());

  // The follower refuses writes, naming the writer.
  const ReplicaStatus follower = (*b)->status();
  EXPECT_EQ(follower.role, ReplicaStatus::Role::kFollower);
  EXPECT_EQ(follower.writer_member, "a");
  EXPECT_EQ(follower.writer_changes, 1u);
  EXPECT_EQ((*b)->writer_address_for_clients(), "a.example:50051");
  EXPECT_EQ((*a)->writer_address_for_clients(), "");  // it is the writer
  EXPECT_EQ((*a)->status().elections_won, 1u);
  // The set as etcd has it, from either replica: both members (their
  // applied positions are published within a poll), the writer, the log.
  const absl::Time published_by = absl::Now() + absl::Seconds(10);
  absl::StatusOr<ClusterView> view;
  do {
    view = (*b)->Cluster();
    ASSERT_THAT(view, IsOk());
  } while (absl::Now() < published_by &&
           (view->members.size() != 2 || view->members[0].applied != applied ||
            view->members[1].applied != applied));
  EXPECT_EQ(view->cluster, "test");
  EXPECT_EQ(view->member, "b");
  ASSERT_TRUE(view->writer.has_value());
  EXPECT_EQ(view->writer->member, "a");
  EXPECT_EQ(view->writer->address, "a.example:50051");
  EXPECT_EQ(view->log_end, applied);
  using Member = ReplicaLog::Member;
  EXPECT_THAT(view->members,
              ElementsAre(Member{"a", "a.example:50051", applied},
                          Member{"b", "b.example:50051", applied}));
  EXPECT_THAT((*b)->Write(Claim(50)),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("the writer is a at a.example:50051")));
  EXPECT_THAT((*b)->AwaitApplied(applied + 100, absl::Now()),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("kg-min-log-position")));

  // The writer leaves: the follower is elected and takes writes.
  a->reset();
  ASSERT_TRUE(AwaitRole(**b, ReplicaStatus::Role::kWriter));
  EXPECT_EQ((*b)->status().writer_changes, 2u);
  EXPECT_EQ((*b)->status().elections_won, 1u);
  EXPECT_EQ((*b)->writer_address_for_clients(), "");
  ASSERT_THAT((*b)->Write(Claim(21)), IsOk());
  absl::StatusOr<storage::RetractResult> retracted =
      (*b)->Retract(last->statement_ids[0], "doc1");
  ASSERT_THAT(retracted, IsOk());
  EXPECT_EQ(retracted->provenance_retracted, 1u);

  // Back, `a` follows from where its store was, and catches up.
  a = Join("a");
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT((*a)->AwaitApplied((*b)->status().applied,
                                 absl::Now() + absl::Seconds(10)),
              IsOk());
  EXPECT_EQ((*a)->status().role, ReplicaStatus::Role::kFollower);
  EXPECT_EQ(Content(**a), Content(**b));
  absl::StatusOr<storage::VerifyReport> report = (*a)->Verify();
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->ok());
}

// The writer trims what every live replica applied but the last
// log_retention entries; a new replica cannot start on the trimmed log,
// and starts from a backup of a live one instead.
TEST_F(ReplicatedStoreTest, TheLogIsTrimmedAndANewReplicaStartsFromABackup) {
  log_retention_ = 3;
  trim_interval_ = absl::Milliseconds(100);
  absl::StatusOr<std::unique_ptr<ReplicatedStore>> a = Join("a");
  ASSERT_THAT(a, IsOk());
  ASSERT_TRUE(AwaitRole(**a, ReplicaStatus::Role::kWriter));
  absl::StatusOr<std::unique_ptr<ReplicatedStore>> b = Join("b");
  ASSERT_THAT(b, IsOk());
  ASSERT_THAT((*a)->Write(Vocabulary()), IsOk());
  for (int i = 0; i < 20; ++i) ASSERT_THAT((*a)->Write(Claim(i)), IsOk());
  ASSERT_THAT((*b)->AwaitApplied(21, absl::Now() + absl::Seconds(10)), IsOk());
  // Both published 21: the log keeps 19..21.
  absl::StatusOr<ClusterView> view;
  for (const absl::Time until = absl::Now() + absl::Seconds(10);
       absl::Now() < until; absl::SleepFor(absl::Milliseconds(50))) {
    view = (*b)->Cluster();
    ASSERT_THAT(view, IsOk());
    if (view->log_start == 19) break;
  }
  EXPECT_EQ(view->log_start, 19u);
  EXPECT_EQ(view->log_end, 21u);

  // A new replica would need entries 1..18.
  EXPECT_THAT(Join("c"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("data_dir"), HasSubstr("starts at 19"),
                             HasSubstr("copies the store of a live replica"))));
  // So it copies a peer's store first (kg-server does, through
  // PeerToCopy): a follower's rather than the writer's. A store the log
  // still reaches copies nothing, and one with data of its own at
  // position 0 is left for Start to refuse.
  ReplicaOptions c_options;
  c_options.etcd_endpoints = etcd_->endpoints();
  c_options.cluster = "test";
  c_options.member = "c";
  absl::StatusOr<std::optional<PeerCheckpoint>> peer =
      PeerToCopy(c_options, 0, /*has_data=*/false);
  ASSERT_THAT(peer, IsOk());
  ASSERT_TRUE(peer->has_value());
  EXPECT_EQ((*peer)->member, "b");
  EXPECT_EQ((*peer)->address, "b.example:50051");
  EXPECT_EQ((*peer)->log_start, 19u);
  EXPECT_GE((*peer)->applied, 18u);
  // nullopt: nothing to copy.
  const auto nothing =
      [](const absl::StatusOr<std::optional<PeerCheckpoint>>& got) {
        return got.ok() && !got->has_value();
      };
  EXPECT_TRUE(nothing(PeerToCopy(c_options, 18, false)));
  EXPECT_TRUE(nothing(PeerToCopy(c_options, 0, /*has_data=*/true)));
  ReplicaOptions b_options = c_options;
  b_options.member = "b";  // never itself: the writer is the only other
  peer = PeerToCopy(b_options, 0, false);
  ASSERT_THAT(peer, IsOk());
  ASSERT_TRUE(peer->has_value());
  EXPECT_EQ((*peer)->member, "a");
  ReplicaOptions elsewhere = c_options;
  elsewhere.cluster = "nobody-here";
  EXPECT_TRUE(nothing(PeerToCopy(elsewhere, 0, false)));
  // From a backup of `b`, it starts at b's position, with b's time, and
  // follows.
  ASSERT_THAT((*b)->Checkpoint(dir_.Sub("d")), IsOk());
  absl::StatusOr<std::unique_ptr<ReplicatedStore>> d = Join("d");
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ((*d)->log_position(), 21u);
  EXPECT_EQ((*d)->log_time(), (*b)->log_time());
  ASSERT_TRUE((*d)->log_time().has_value());
  ASSERT_THAT((*a)->Write(Claim(30)), IsOk());
  ASSERT_THAT((*d)->AwaitApplied(22, absl::Now() + absl::Seconds(10)), IsOk());
  ASSERT_THAT((*b)->AwaitApplied(22, absl::Now() + absl::Seconds(10)), IsOk());
  EXPECT_EQ(Content(**d), Content(**a));
  EXPECT_EQ(Content(**b), Content(**a));

  // A replica restarted within the retention catches up from the log.
  b->reset();
  ASSERT_THAT((*a)->Write(Claim(31)), IsOk());
  b = Join("b");
  ASSERT_THAT(b, IsOk());
  ASSERT_THAT((*b)->AwaitApplied(23, absl::Now() + absl::Seconds(10)), IsOk());
  EXPECT_EQ(Content(**b), Content(**a));
}

// Bulk loads, and writes too large for etcd, are logged by reference to a
// payload file of the writer's, which a follower fetches and applies: the
// same store everywhere. Other writes wait for an open load; one idle too
// long is abandoned; a follower takes no load.
TEST_F(ReplicatedStoreTest, BulkLoadsAndLargeWritesAreLoggedByReference) {
  with_payloads_ = true;
  absl::StatusOr<std::unique_ptr<ReplicatedStore>> a = Join("a");
  ASSERT_THAT(a, IsOk());
  ASSERT_TRUE(AwaitRole(**a, ReplicaStatus::Role::kWriter));
  absl::StatusOr<std::unique_ptr<ReplicatedStore>> b = Join("b");
  ASSERT_THAT(b, IsOk());
  ASSERT_THAT((*a)->Write(Vocabulary()), IsOk());
  // Once b applied it, b knows the writer (its tail learns the writer
  // before it applies).
  ASSERT_THAT((*b)->AwaitApplied((*a)->status().applied,
                                 absl::Now() + absl::Seconds(20)),
              IsOk());

  EXPECT_THAT((*b)->BeginBulkLoad(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("the writer is a at a.example:50051")));
  EXPECT_THAT(
      (*a)->BeginBulkLoad(absl::Now()),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("replica:")));

  // A load of three parts; a write sent meanwhile waits for its commit.
  absl::StatusOr<std::unique_ptr<storage::BulkLoader>> loader =
      (*a)->BeginBulkLoad();
  ASSERT_THAT(loader, IsOk());
  storage::WriteResult part_result;
  for (int part = 0; part < 3; ++part) {
    storage::WriteBatch batch;
    for (int i = 0; i < 50; ++i) {
      batch.statements.push_back(ClaimAbout(part * 100 + i).statements[0]);
    }
    part_result = storage::WriteResult();
    ASSERT_THAT((*loader)->Add(batch, absl::StrCat("batches[", part, "]"),
                               &part_result),
                IsOk());
    EXPECT_EQ(part_result.statements_created, 50u);
  }
  // The parts are in a file as they come, not held in memory.
  EXPECT_THAT(Writing("a"), ElementsAre(::testing::Gt(0u)));
  std::atomic<bool> written{false};
  std::thread writer([&] {
    EXPECT_THAT((*a)->Write(ClaimAbout(999)), IsOk());
    written = true;
  });
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_FALSE(written) << "a write went in while the load was open";
  ASSERT_THAT((*loader)->Commit(), IsOk());
  writer.join();
  EXPECT_THAT(Writing("a"), ::testing::IsEmpty());
  EXPECT_TRUE(written);
  const uint64_t loaded_at = (*a)->status().applied - 1;  // then the write

  // A write too large for an entry goes by reference too.
  storage::WriteBatch huge;
  for (int i = 0; i < 12000; ++i) {
    huge.statements.push_back(ClaimAbout(1000 + i).statements[0]);
  }
  Entry as_entry;
  as_entry.batch = huge;
  ASSERT_GT(EncodeEntry(as_entry).size(), kMaxEntryBytes);
  ASSERT_THAT((*a)->Write(huge), IsOk());
  const uint64_t end = (*a)->status().applied;
  ASSERT_THAT((*b)->AwaitApplied(end, absl::Now() + absl::Seconds(20)), IsOk());
  EXPECT_EQ(Content(**b), Content(**a));
  EXPECT_EQ((*b)->log_position(), end);
  EXPECT_EQ(fetched_.load(), 2);  // the load's payload and the write's
  EXPECT_TRUE(std::filesystem::exists(
      absl::StrCat(PayloadDir("b"), "/", absl::Dec(loaded_at, absl::kZeroPad20),
                   "-", (*a)->status().term, ".payload")));

  // A load that gives nothing while a write waits is abandoned after the
  // idle timeout (300 ms here): the write goes in, the load writes nothing.
  const auto statements = [](storage::Store& store) {
    absl::StatusOr<storage::StoreStats> counts = store.NewReader()->Counts();
    EXPECT_THAT(counts, IsOk());
    return counts.ok() ? counts->statements : 0;
  };
  const uint64_t before = statements(**a);
  loader = (*a)->BeginBulkLoad();
  ASSERT_THAT(loader, IsOk());
  ASSERT_THAT((*loader)->Add(ClaimAbout(5000), "", &part_result), IsOk());
  ASSERT_THAT((*a)->Write(ClaimAbout(5001)), IsOk());
  EXPECT_THAT((*loader)->Commit(),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("abandoned")));
  EXPECT_THAT(Writing("a"), ::testing::IsEmpty())
      << "the abandoned load's file is left";
  ASSERT_THAT((*b)->AwaitApplied((*a)->status().applied,
                                 absl::Now() + absl::Seconds(20)),
              IsOk());
  EXPECT_EQ(Content(**b), Content(**a));
  EXPECT_EQ(statements(**a), before + 1);  // the write, not the load

  // The writer logs a load only once another replica holds its payload:
  // when none can fetch it (3 s here), the load is refused and nothing is
  // written, in the log or in a store.
  Refuse("b", true);
  const uint64_t log_end = (*a)->status().applied;
  const std::string content = Content(**a);
  EXPECT_THAT((*a)->BulkLoad(ClaimAbout(7000)),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("not written"), HasSubstr("(b)"))));
  EXPECT_EQ((*a)->status().applied, log_end);
  EXPECT_EQ(Content(**a), content);
  absl::StatusOr<ClusterView> view = (*a)->Cluster();
  ASSERT_THAT(view, IsOk());
  EXPECT_EQ(view->log_end, log_end);
  EXPECT_FALSE(std::filesystem::exists(absl::StrCat(
      PayloadDir("a"), "/", absl::Dec(log_end + 1, absl::kZeroPad20), "-",
      (*a)->status().term, ".payload")));
  ASSERT_THAT((*a)->Write(ClaimAbout(7001)), IsOk());  // writes go on

  // With a third replica, c, that can: the load is logged once c holds
  // it, and b, which cannot get the payload, does not skip its entry: it
  // waits, and applies it once a peer gives it.
  absl::StatusOr<std::unique_ptr<ReplicatedStore>> c = Join("c");
  ASSERT_THAT(c, IsOk());
  ASSERT_THAT((*c)->AwaitApplied((*a)->status().applied,
                                 absl::Now() + absl::Seconds(20)),
              IsOk());
  Hold("c", true);  // c's fetch waits: so does the load
  std::atomic<bool> loaded{false};
  const uint64_t before_load = (*a)->status().applied;
  std::thread load([&] {
    EXPECT_THAT((*a)->BulkLoad(ClaimAbout(7002)), IsOk());
    loaded = true;
  });
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_FALSE(loaded) << "acknowledged before another replica held it";
  EXPECT_EQ((*a)->status().applied, before_load) << "logged before a copy";
  Hold("c", false);
  load.join();
  ASSERT_TRUE(loaded);
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_LT((*b)->status().applied, (*a)->status().applied);
  Refuse("b", false);
  ASSERT_THAT((*b)->AwaitApplied((*a)->status().applied,
                                 absl::Now() + absl::Seconds(20)),
              IsOk());
  ASSERT_THAT((*c)->AwaitApplied((*a)->status().applied,
                                 absl::Now() + absl::Seconds(20)),
              IsOk());
  EXPECT_EQ(Content(**b), Content(**a));
  EXPECT_EQ(Content(**c), Content(**a));
  EXPECT_EQ((*b)->status().entries_failed, 0u);

  // A replica that restarts past such an entry does not apply it again.
  b->reset();
  b = Join("b");
  ASSERT_THAT(b, IsOk());
  ASSERT_THAT((*a)->Write(ClaimAbout(6000)), IsOk());
  ASSERT_THAT((*b)->AwaitApplied((*a)->status().applied,
                                 absl::Now() + absl::Seconds(20)),
              IsOk());
  EXPECT_EQ(Content(**b), Content(**a));

  // An acknowledged load outlives the writer's disk: b cannot fetch, c
  // can fetch nothing once the load is acknowledged, a stops and its
  // payloads are lost: c applies the copy it took before the
  // acknowledgement, and b gets it from c.
  Refuse("b", true);
  ASSERT_THAT((*a)->BulkLoad(ClaimAbout(7003)), IsOk());
  Refuse("c", true);
  const uint64_t last = (*a)->status().applied;
  const std::string expected = Content(**a);
  (*a)->Stop();
  std::filesystem::remove_all(PayloadDir("a"));
  ASSERT_THAT((*c)->AwaitApplied(last, absl::Now() + absl::Seconds(20)),
              IsOk());
  Refuse("b", false);
  ASSERT_THAT((*b)->AwaitApplied(last, absl::Now() + absl::Seconds(20)),
              IsOk());
  EXPECT_EQ(Content(**b), expected);
  EXPECT_EQ(Content(**c), expected);
  EXPECT_EQ((*b)->status().entries_failed, 0u);
}

// A refusal by the data is skipped alike everywhere; the engine's failure
// (this replica's disk) is not, whatever its code.
TEST(RefusedByTheDataTest, TheDataRefusesTheEngineFails) {
  EXPECT_TRUE(RefusedByTheData(absl::NotFoundError("document: none")));
  EXPECT_TRUE(RefusedByTheData(absl::InvalidArgumentError("label: empty")));
  EXPECT_TRUE(RefusedByTheData(absl::AlreadyExistsError("entity: taken")));
  EXPECT_FALSE(RefusedByTheData(absl::UnavailableError("disk")));
  EXPECT_FALSE(RefusedByTheData(absl::InternalError("bug")));
  absl::Status engine = absl::NotFoundError("rocksdb: file missing");
  engine.SetPayload(storage::kEnginePayload, absl::Cord());
  EXPECT_FALSE(RefusedByTheData(engine));
}

TEST_F(ReplicatedStoreTest, RefusesWhatItCannotReplicate) {
  absl::StatusOr<std::unique_ptr<ReplicatedStore>> a = Join("a");
  ASSERT_THAT(a, IsOk());
  ASSERT_TRUE(AwaitRole(**a, ReplicaStatus::Role::kWriter));
  storage::WriteBatch stamped = Vocabulary();
  stamped.replica.log_position = 7;
  EXPECT_THAT((*a)->Write(stamped), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("replica:")));
  EXPECT_THAT((*a)->BulkLoad(Vocabulary()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("not replicated")));
  storage::WriteBatch huge = Vocabulary();
  huge.documents[0].text = std::string(kMaxEntryBytes + 10, 'x');
  EXPECT_THAT((*a)->Write(huge), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("at most 1048576")));
  EXPECT_EQ((*a)->status().applied, 0u);  // nothing logged

  storage::StoreOptions store_options;
  absl::StatusOr<std::unique_ptr<storage::Store>> store =
      storage::Store::Open(store_options, dir_.Sub("c"));
  ASSERT_THAT(store, IsOk());
  ReplicaOptions options;
  options.etcd_endpoints = etcd_->endpoints();
  options.member = "";
  EXPECT_THAT(
      ReplicatedStore::Start(*std::move(store), options),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("member")));

  // A store with data of its own would never reach the other replicas.
  store = storage::Store::Open(store_options, dir_.Sub("d"));
  ASSERT_THAT(store, IsOk());
  ASSERT_THAT((*store)->Write(Vocabulary()), IsOk());
  options.member = "d";
  options.cluster = "test";
  EXPECT_THAT(ReplicatedStore::Start(*std::move(store), options),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("data_dir: the store holds data that is not "
                                 "from the log")));
  // A store made by one log does not join another.
  ASSERT_THAT((*a)->Write(Vocabulary()), IsOk());
  a->reset();
  store = storage::Store::Open(store_options, dir_.Sub("a"));
  ASSERT_THAT(store, IsOk());
  options.member = "a";
  options.cluster = "other";
  EXPECT_THAT(ReplicatedStore::Start(*std::move(store), options),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("belongs to another log")));
}

}  // namespace
}  // namespace kg::replica
