// The compact adjacency (storage/compact_adjacency.h): the same edges as the
// versioned adjacency at its snapshot, handed only to readers it matches,
// rebuilt on request and in the background.
#include "storage/compact_adjacency.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/adjacency.h"
#include "storage/store.h"
#include "tests/storage/store_fixture.h"
#include "tests/support/test_util.h"

namespace kg::storage {
namespace {

using testing::IsOk;

class CompactAdjacencyTest : public StoreTest {
 protected:
  // Random statements among 40 entities, claims about earlier ones, and
  // retractions, so edges come and go and statement nodes get edges.
  std::vector<std::string> WriteRandomGraph(uint64_t seed);
};

std::vector<std::string> CompactAdjacencyTest::WriteRandomGraph(uint64_t seed) {
  WriteBatch vocab = Vocabulary();
  for (int i = 0; i < 40; ++i) {
    vocab.entities.push_back(
        {absl::StrCat("e", i), absl::StrCat("E", i), "Thing", {}});
  }
  EXPECT_THAT(store().Write(vocab), IsOk());
  std::mt19937_64 rng(seed);
  const char* relations[] = {"sent_troops_to", "allied_with", "denied",
                             "reported"};
  std::vector<std::string> ids;
  for (int round = 0; round < 8; ++round) {
    WriteBatch b;
    for (int k = 0; k < 40; ++k) {
      Term object = Term::Entity(absl::StrCat("e", rng() % 40));
      if (!ids.empty() && rng() % 4 == 0) {
        object = Term::StatementId(ids[rng() % ids.size()]);
      }
      b.statements.push_back(
          {Triple{Term::Entity(absl::StrCat("e", rng() % 40)),
                  relations[rng() % 4], object},
           {Evidence(static_cast<int>(rng() % 3))}});
    }
    absl::StatusOr<WriteResult> r = store().Write(b);
    EXPECT_THAT(r, IsOk()) << "seed " << seed;
    if (!r.ok()) return ids;
    ids.insert(ids.end(), r->statement_ids.begin(), r->statement_ids.end());
    for (int k = 0; k < 4; ++k) {
      (void)store().Retract(ids[rng() % ids.size()], "doc1");
    }
  }
  return ids;
}

TEST_F(CompactAdjacencyTest, HoldsExactlyTheEdgesOfItsSnapshot) {
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    Close();
    std::filesystem::remove_all(path());
    Reopen();
    const std::vector<std::string> ids = WriteRandomGraph(seed);
    // After the writes the compact copy is stale: this reader walks the
    // versioned adjacency.
    std::unique_ptr<Reader> versioned = store().NewReader();
    ASSERT_EQ(versioned->compact_adjacency(), nullptr);
    store().RefreshCompactAdjacency();
    std::unique_ptr<Reader> compact = store().NewReader();
    const CompactAdjacency* c = compact->compact_adjacency();
    ASSERT_NE(c, nullptr);
    // Every node id the store has handed out, and some beyond.
    NodeId max_node = 0;
    for (const std::string& id : ids) {
      absl::StatusOr<NodeId> n = versioned->NodeOf(Term::StatementId(id));
      if (n.ok()) max_node = std::max(max_node, *n);
    }
    ASSERT_GT(max_node, 40u);
    size_t edges = 0;
    for (NodeId node = 0; node <= max_node + 10; ++node) {
      for (Direction d : {Direction::kOutgoing, Direction::kIncoming}) {
        std::vector<Edge> want, got, direct;
        versioned->Neighbors(node, d, &want);
        compact->Neighbors(node, d, &got);
        for (const CompactEdge& e : c->Edges(node, d)) {
          direct.push_back(e.ToEdge());
        }
        // Same edges in the same order (the order searches expand them).
        EXPECT_EQ(got, want) << "node " << node;
        EXPECT_EQ(direct, want) << "node " << node;
        if (d == Direction::kOutgoing) edges += want.size();
      }
      // A statement node is one with a statement in the indexes.
      absl::StatusOr<TermValue> term = versioned->TermAt(node);
      bool indexed_statement = false;
      if (term.ok() && term->kind == Term::Kind::kStatement) {
        absl::StatusOr<Statement> st = versioned->StatementAt(node);
        ASSERT_THAT(st, IsOk());
        indexed_statement = st->live_provenance > 0 || st->quoted_by > 0;
      }
      EXPECT_EQ(c->IsStatement(node), indexed_statement) << "node " << node;
    }
    EXPECT_EQ(c->edge_count(), edges);
    EXPECT_GT(edges, 100u);
  }
}

TEST_F(CompactAdjacencyTest, OnlyReadersItMatchesGetIt) {
  WriteBatch b = Vocabulary();
  b.statements = {Sent()};
  absl::StatusOr<WriteResult> r = store().Write(b);
  ASSERT_THAT(r, IsOk());
  store().RefreshCompactAdjacency();
  std::unique_ptr<Reader> before = store().NewReader();
  ASSERT_NE(before->compact_adjacency(), nullptr);
  const NodeId nk = before->NodeOf(Term::Entity("north_korea")).value();

  // Writes that leave the indexes as they are keep it: an entity's label,
  // another record of a statement already indexed.
  WriteBatch label;
  label.entities = {{"nis", "NIS", "Organization", {}}};
  ASSERT_THAT(store().Write(label), IsOk());
  WriteBatch again;
  again.statements = {{Sent().triple, {Evidence(1)}}};
  ASSERT_THAT(store().Write(again), IsOk());
  EXPECT_NE(store().NewReader()->compact_adjacency(), nullptr);

  // Retracting the statement changes the indexes: newer readers walk the
  // versioned adjacency, the older one keeps its copy and its edges.
  ASSERT_THAT(store().Retract(r->statement_ids[0], "doc1"), IsOk());
  std::unique_ptr<Reader> after = store().NewReader();
  EXPECT_EQ(after->compact_adjacency(), nullptr);
  std::vector<Edge> edges;
  before->Neighbors(nk, Direction::kOutgoing, &edges);
  EXPECT_EQ(edges.size(), 1u);
  edges.clear();
  after->Neighbors(nk, Direction::kOutgoing, &edges);
  EXPECT_TRUE(edges.empty());

  // Rebuilt, it matches again; readers made before keep theirs.
  store().RefreshCompactAdjacency();
  std::unique_ptr<Reader> rebuilt = store().NewReader();
  ASSERT_NE(rebuilt->compact_adjacency(), nullptr);
  EXPECT_NE(rebuilt->compact_adjacency(), before->compact_adjacency());
  EXPECT_EQ(after->compact_adjacency(), nullptr);
  edges.clear();
  rebuilt->Neighbors(nk, Direction::kOutgoing, &edges);
  EXPECT_TRUE(edges.empty());
  // Up to date already: nothing to do, the same copy.
  store().RefreshCompactAdjacency();
  EXPECT_EQ(store().NewReader()->compact_adjacency(),
            rebuilt->compact_adjacency());
}

TEST_F(CompactAdjacencyTest, IsBuiltOnOpen) {
  WriteBatch b = Vocabulary();
  b.statements = {Sent(), Denial()};
  ASSERT_THAT(store().Write(b), IsOk());
  EXPECT_EQ(store().NewReader()->compact_adjacency(), nullptr);
  Reopen();
  std::unique_ptr<Reader> reader = store().NewReader();
  ASSERT_NE(reader->compact_adjacency(), nullptr);
  EXPECT_EQ(reader->compact_adjacency()->edge_count(), 2u);
}

TEST_F(CompactAdjacencyTest, IsRebuiltInTheBackgroundOnceWritesPause) {
  compact_adjacency_delay_ = absl::Milliseconds(20);
  Reopen();
  WriteBatch b = Vocabulary();
  b.statements = {Sent()};
  ASSERT_THAT(store().Write(b), IsOk());
  // Nothing is asserted about how soon: only that it comes.
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  std::unique_ptr<Reader> reader = store().NewReader();
  while (reader->compact_adjacency() == nullptr && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
    reader = store().NewReader();
  }
  ASSERT_NE(reader->compact_adjacency(), nullptr);
  EXPECT_EQ(reader->compact_adjacency()->edge_count(), 1u);
  // Closing the store stops the background thread (no hang, no leak).
  reader.reset();
  Close();
}

TEST_F(CompactAdjacencyTest, CanBeTurnedOff) {
  compact_adjacency_ = false;
  Reopen();
  WriteBatch b = Vocabulary();
  b.statements = {Sent()};
  ASSERT_THAT(store().Write(b), IsOk());
  store().RefreshCompactAdjacency();
  EXPECT_EQ(store().NewReader()->compact_adjacency(), nullptr);
  Reopen();
  std::unique_ptr<Reader> reader = store().NewReader();
  EXPECT_EQ(reader->compact_adjacency(), nullptr);
  std::vector<Edge> edges;
  reader->Neighbors(reader->NodeOf(Term::Entity("north_korea")).value(),
                    Direction::kOutgoing, &edges);
  EXPECT_EQ(edges.size(), 1u);
}

TEST(CompactAdjacencyBuildTest, RefusesIdsBeyond32Bits) {
  Adjacency small;
  small.Add(1, 2, 3, 4, 0);
  EXPECT_NE(CompactAdjacency::Build(small, 0, 0), nullptr);
  const uint64_t big = uint64_t{std::numeric_limits<uint32_t>::max()} + 1;
  for (int field = 0; field < 4; ++field) {
    Adjacency a;
    uint64_t ids[4] = {1, 2, 3, 4};
    ids[field] = big;
    a.Add(ids[0], ids[1], ids[2], ids[3], 0);
    EXPECT_EQ(CompactAdjacency::Build(a, 0, 0), nullptr) << "field " << field;
  }
}

TEST(CompactAdjacencyBuildTest, SeesOnlyEdgesVisibleAtItsSequence) {
  Adjacency a;
  a.Add(1, 9, 2, 100, 0);
  a.Apply({{1, 9, 3, 101, true}}, /*seq=*/10, /*oldest_seq=*/0);
  a.Apply({{1, 9, 2, 100, false}}, /*seq=*/20, /*oldest_seq=*/0);
  const auto neighbors = [](const CompactAdjacency& c) {
    std::vector<NodeId> out;
    for (const CompactEdge& e : c.Edges(1, Direction::kOutgoing)) {
      out.push_back(e.neighbor);
    }
    return out;
  };
  EXPECT_THAT(neighbors(*CompactAdjacency::Build(a, 5, 0)),
              ::testing::ElementsAre(2));
  EXPECT_THAT(neighbors(*CompactAdjacency::Build(a, 15, 1)),
              ::testing::ElementsAre(2, 3));
  EXPECT_THAT(neighbors(*CompactAdjacency::Build(a, 25, 2)),
              ::testing::ElementsAre(3));
  EXPECT_EQ(a.generation(), 2u);
  // Nodes with no edges, and ids past the end, have none.
  const auto c = CompactAdjacency::Build(a, 25, 2);
  EXPECT_TRUE(c->Edges(0, Direction::kOutgoing).empty());
  EXPECT_TRUE(c->Edges(2, Direction::kOutgoing).empty());
  EXPECT_TRUE(c->Edges(1000, Direction::kIncoming).empty());
  EXPECT_EQ(c->Degree(3), 1u);
  EXPECT_TRUE(c->IsStatement(101));
  EXPECT_FALSE(c->IsStatement(100));
  EXPECT_FALSE(c->IsStatement(5000));
}

}  // namespace
}  // namespace kg::storage
