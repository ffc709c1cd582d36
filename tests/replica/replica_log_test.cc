// The replicated log against a real etcd on loopback: the writer's
// election, fenced appends (a writer that lost its lease appends nothing),
// reads in order, and what it refuses.
#include "replica/replica_log.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "replica/etcd.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/test_util.h"

namespace kg::replica {
namespace {

using ::kg::testing::EtcdCluster;
using ::kg::testing::IsOk;
using ::kg::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

class ReplicaLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = std::make_unique<EtcdCluster>(dir_.path(), members());
    ASSERT_TRUE(cluster_->started()) << "etcd did not start";
    absl::StatusOr<std::unique_ptr<Etcd>> etcd =
        Etcd::Connect(cluster_->endpoints(), absl::Seconds(5));
    ASSERT_THAT(etcd, IsOk());
    etcd_ = *std::move(etcd);
  }
  virtual int members() const { return 1; }

  ::kg::testing::ScopedTempDir dir_;
  std::unique_ptr<EtcdCluster> cluster_;
  std::unique_ptr<Etcd> etcd_;
};

TEST_F(ReplicaLogTest, OneWriterAppendsInOrderAndAStaleOneIsFenced) {
  absl::StatusOr<ReplicaLog> log = ReplicaLog::Open(etcd_.get(), "team-a");
  ASSERT_THAT(log, IsOk());
  absl::StatusOr<int64_t> lease_a = etcd_->GrantLease(absl::Seconds(5));
  absl::StatusOr<int64_t> lease_b = etcd_->GrantLease(absl::Seconds(5));
  ASSERT_THAT(lease_a, IsOk());
  ASSERT_THAT(lease_b, IsOk());

  absl::StatusOr<ReplicaLog::Writer> a =
      log->Campaign("a", "127.0.0.1:1001", *lease_a);
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->member, "a");
  EXPECT_EQ(a->address, "127.0.0.1:1001");
  EXPECT_GT(a->term, 0);
  // A second candidate finds the writer there.
  absl::StatusOr<ReplicaLog::Writer> b =
      log->Campaign("b", "127.0.0.1:1002", *lease_b);
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(b->member, "a");
  EXPECT_EQ(b->term, a->term);

  EXPECT_EQ(log->NextPosition().value(), 1u);
  ASSERT_THAT(log->Append(a->term, 1, "first"), IsOk());
  ASSERT_THAT(log->Append(a->term, 2, "second"), IsOk());
  EXPECT_EQ(log->NextPosition().value(), 3u);
  EXPECT_THAT(log->Append(a->term, 2, "again"),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("log position 2 is taken")));
  EXPECT_THAT(log->Append(a->term + 1, 3, "not the writer"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("the writer is a at 127.0.0.1:1001")));
  EXPECT_THAT(log->Read(1, 0).value(),
              ElementsAre(Pair(1u, "first"), Pair(2u, "second")));
  EXPECT_THAT(log->Read(2, 1).value(), ElementsAre(Pair(2u, "second")));

  // The writer's lease ends: its key goes, and with it its appends, even
  // before it notices; the next candidate wins with a later term.
  ASSERT_THAT(etcd_->RevokeLease(*lease_a), IsOk());
  EXPECT_THAT(etcd_->KeepAlive(*lease_a),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(log->CurrentWriter().value(), std::nullopt);
  EXPECT_THAT(log->Append(a->term, 3, "stale"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("there is no writer now")));
  b = log->Campaign("b", "127.0.0.1:1002", *lease_b);
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(b->member, "b");
  EXPECT_GT(b->term, a->term);
  EXPECT_THAT(log->Append(a->term, 3, "stale"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("the writer is b")));
  ASSERT_THAT(log->Append(b->term, 3, "third"), IsOk());
  EXPECT_THAT(
      log->Read(1, 0).value(),
      ElementsAre(Pair(1u, "first"), Pair(2u, "second"), Pair(3u, "third")));
  EXPECT_THAT(etcd_->KeepAlive(*lease_b), IsOk());

  // Applied positions, per member.
  // Applied positions and addresses, per member; a member whose lease
  // goes drops out.
  ASSERT_THAT(log->SetApplied("a", "127.0.0.1:1", 2, 0), IsOk());
  ASSERT_THAT(log->SetApplied("b", "127.0.0.1:2", 3, *lease_b), IsOk());
  using Member = ReplicaLog::Member;
  EXPECT_THAT(log->Applied().value(),
              ElementsAre(Member{"a", "127.0.0.1:1", 2},
                          Member{"b", "127.0.0.1:2", 3}));
  absl::StatusOr<int64_t> lease_c = etcd_->GrantLease(absl::Seconds(5));
  ASSERT_THAT(lease_c, IsOk());
  ASSERT_THAT(log->SetApplied("c", "127.0.0.1:3", 1, *lease_c), IsOk());
  EXPECT_EQ(log->Applied()->size(), 3u);
  ASSERT_THAT(etcd_->RevokeLease(*lease_c), IsOk());
  EXPECT_THAT(log->Applied().value(),
              ElementsAre(Member{"a", "127.0.0.1:1", 2},
                          Member{"b", "127.0.0.1:2", 3}));

  // Another cluster's log is another set of keys.
  absl::StatusOr<ReplicaLog> other = ReplicaLog::Open(etcd_.get(), "team_b");
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(other->NextPosition().value(), 1u);
  EXPECT_THAT(other->CurrentWriter().value(), std::nullopt);
}

TEST_F(ReplicaLogTest, RefusesWhatEtcdCouldNotHoldNamingTheField) {
  EXPECT_THAT(
      ReplicaLog::Open(etcd_.get(), ""),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cluster")));
  EXPECT_THAT(ReplicaLog::Open(etcd_.get(), "a/b"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cluster: 'a/b'")));
  absl::StatusOr<ReplicaLog> log = ReplicaLog::Open(etcd_.get(), "c");
  ASSERT_THAT(log, IsOk());
  absl::StatusOr<int64_t> lease = etcd_->GrantLease(absl::Seconds(5));
  ASSERT_THAT(lease, IsOk());
  EXPECT_THAT(
      log->Campaign("", "x", *lease),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("member")));
  absl::StatusOr<ReplicaLog::Writer> w = log->Campaign("w", "x", *lease);
  ASSERT_THAT(w, IsOk());
  EXPECT_THAT(
      log->Append(w->term, 0, "x"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("position")));
  EXPECT_THAT(log->Append(w->term, 1, std::string(kMaxEntryBytes + 1, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("entry: 1048577 bytes")));
  EXPECT_EQ(log->NextPosition().value(), 1u);  // nothing written
  EXPECT_THAT(etcd_->GrantLease(absl::Milliseconds(500)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lease")));
  EXPECT_THAT(Etcd::Connect({}, absl::Seconds(1)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("etcd_endpoints")));
  EXPECT_THAT(Etcd::Connect({"http://127.0.0.1:2379"}, absl::Seconds(1)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is not host:port")));
}

TEST(EtcdTest, NoEtcdIsUnavailableWithinTheTimeout) {
  const int port = ::kg::testing::FreeLoopbackPort();
  absl::StatusOr<std::unique_ptr<Etcd>> etcd = Etcd::Connect(
      {absl::StrCat("127.0.0.1:", port)}, absl::Milliseconds(300));
  ASSERT_THAT(etcd, IsOk());
  const absl::Time start = absl::Now();
  absl::StatusOr<std::optional<Etcd::Kv>> got = (*etcd)->Get("k");
  EXPECT_FALSE(got.ok());
  EXPECT_THAT(got.status().code(),
              ::testing::AnyOf(absl::StatusCode::kUnavailable,
                               absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

// Three members: losing the one the client talks to loses nothing
// acknowledged, and the log goes on through the others.
class ThreeMemberLogTest : public ReplicaLogTest {
 protected:
  int members() const override { return 3; }
};

TEST_F(ThreeMemberLogTest, AppendsGoOnWhenAMemberDies) {
  absl::StatusOr<ReplicaLog> log = ReplicaLog::Open(etcd_.get(), "three");
  ASSERT_THAT(log, IsOk());
  absl::StatusOr<int64_t> lease = etcd_->GrantLease(absl::Seconds(10));
  ASSERT_THAT(lease, IsOk());
  absl::StatusOr<ReplicaLog::Writer> w = log->Campaign("w", "x", *lease);
  ASSERT_THAT(w, IsOk());
  for (uint64_t p = 1; p <= 5; ++p) {
    ASSERT_THAT(log->Append(w->term, p, absl::StrCat("entry ", p)), IsOk());
  }
  cluster_->Kill(0);  // the first endpoint: the one in use
  for (uint64_t p = 6; p <= 10; ++p) {
    ASSERT_THAT(log->Append(w->term, p, absl::StrCat("entry ", p)), IsOk());
  }
  absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> all =
      log->Read(1, 0);
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 10u);
  for (uint64_t p = 1; p <= 10; ++p) {
    EXPECT_EQ((*all)[p - 1], std::make_pair(p, absl::StrCat("entry ", p)));
  }
  // Back, it catches up from the others.
  cluster_->Restart(0);
  absl::StatusOr<std::unique_ptr<Etcd>> first =
      Etcd::Connect({cluster_->endpoints()[0]}, absl::Seconds(10));
  ASSERT_THAT(first, IsOk());
  absl::StatusOr<ReplicaLog> again = ReplicaLog::Open(first->get(), "three");
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->NextPosition().value(), 11u);
}

}  // namespace
}  // namespace kg::replica
