// The compact adjacency (storage/compact_adjacency.h): the same edges as the
// versioned adjacency at its snapshot, handed only to readers it matches,
// rebuilt on request and in the background.
#include "storage/compact_adjacency.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_set.h"
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
      const uint64_t o = rng() % 40;
      Term object = Term::Entity(absl::StrCat("e", o));
      if (!ids.empty() && rng() % 4 == 0) {
        object = Term::StatementId(ids[rng() % ids.size()]);
      }
      const uint64_t s = rng() % 40;
      const uint64_t r = rng() % 4;
      const int sentence = static_cast<int>(rng() % 3);
      // Records of one statement differ in confidence; the same record
      // written again must repeat it (another would be a conflict).
      const double confidence =
          0.1 * static_cast<double>(1 + (s + o + r + sentence) % 10);
      b.statements.push_back(
          {Triple{Term::Entity(absl::StrCat("e", s)), relations[r], object},
           {Evidence(sentence, confidence)}});
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
    size_t with_confidence = 0;
    absl::flat_hash_set<NodeId> relations;
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
        // What path search relies on: every node an edge leads to that is
        // a statement is known as one.
        for (const Edge& e : want) {
          absl::StatusOr<TermValue> neighbor = versioned->TermAt(e.neighbor);
          ASSERT_THAT(neighbor, IsOk());
          EXPECT_EQ(c->IsStatement(e.neighbor),
                    neighbor->kind == Term::Kind::kStatement)
              << "neighbour " << e.neighbor << " of node " << node;
        }
        if (d == Direction::kOutgoing) edges += want.size();
        for (const Edge& e : want) relations.insert(e.relation);
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
      // Its best confidence is that of its best live record.
      std::optional<double> best;
      if (indexed_statement) {
        absl::StatusOr<std::vector<ProvenanceRecord>> records =
            versioned->ProvenanceAt(node, /*include_retracted=*/false);
        ASSERT_THAT(records, IsOk());
        for (const ProvenanceRecord& r : *records) {
          if (!best || r.input.confidence > *best) best = r.input.confidence;
        }
      }
      EXPECT_EQ(c->BestConfidence(node), best) << "node " << node;
      if (best) ++with_confidence;
    }
    EXPECT_TRUE(compact->compact_confidences_current());
    EXPECT_GT(with_confidence, 100u);
    // Each relation's statements, asserted and all, as the index counts
    // them.
    ASSERT_FALSE(relations.empty());
    for (NodeId relation : relations) {
      for (bool include_quoted : {false, true}) {
        uint64_t n = 0;
        ASSERT_THAT(
            versioned->ScanIds(IdPattern{0, relation, 0}, include_quoted,
                               [&](const IdStatement&) {
                                 ++n;
                                 return true;
                               }),
            IsOk());
        EXPECT_EQ(include_quoted ? c->IndexedCount(relation)
                                 : c->AssertedCount(relation),
                  n)
            << "relation " << relation << ", quoted too: " << include_quoted;
      }
    }
    EXPECT_EQ(c->AssertedCount(max_node + 1000), 0u);
    EXPECT_EQ(c->IndexedCount(max_node + 1000), 0u);
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

  EXPECT_TRUE(before->compact_confidences_current());
  const NodeId sent =
      before->NodeOf(Term::StatementId(r->statement_ids[0])).value();
  EXPECT_EQ(before->compact_adjacency()->BestConfidence(sent), 0.9);

  // Writes that leave the indexes as they are keep it: an entity's label,
  // another record of a statement already indexed. The record makes its
  // confidences stale (the statement's best is now 0.95) until rebuilt.
  WriteBatch label;
  label.entity_mode = WriteBatch::EntityMode::kReplace;
  label.entities = {{"nis", "NIS", "Organization", {}}};
  ASSERT_THAT(store().Write(label), IsOk());
  EXPECT_TRUE(store().NewReader()->compact_confidences_current());
  WriteBatch again;
  again.statements = {{Sent().triple, {Evidence(1, 0.95)}}};
  ASSERT_THAT(store().Write(again), IsOk());
  std::unique_ptr<Reader> stale = store().NewReader();
  EXPECT_EQ(stale->compact_adjacency(), before->compact_adjacency());
  EXPECT_FALSE(stale->compact_confidences_current());
  EXPECT_TRUE(before->compact_confidences_current());  // its own snapshot's
  store().RefreshCompactAdjacency();
  std::unique_ptr<Reader> fresh = store().NewReader();
  ASSERT_NE(fresh->compact_adjacency(), nullptr);
  EXPECT_TRUE(fresh->compact_confidences_current());
  EXPECT_EQ(fresh->compact_adjacency()->BestConfidence(sent), 0.95);
  before = std::move(fresh);

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

// Rebuilds and new readers race with writes and retractions (which prune
// the versioned adjacency): a reader that gets a compact adjacency sees
// exactly its snapshot's edges, which the SPO index at the same snapshot
// tells independently.
TEST_F(CompactAdjacencyTest, ReadersGetExactCopiesWhileWritesGoOn) {
  WriteBatch vocab = Vocabulary();
  for (int i = 0; i < 20; ++i) {
    vocab.entities.push_back(
        {absl::StrCat("e", i), absl::StrCat("E", i), "Thing", {}});
  }
  ASSERT_THAT(store().Write(vocab), IsOk());
  std::atomic<bool> done{false};
  std::thread writer([&] {
    std::mt19937_64 rng(11);
    std::vector<std::string> ids;
    for (int round = 0; round < 150; ++round) {
      WriteBatch b;
      for (int k = 0; k < 5; ++k) {
        b.statements.push_back(
            {Triple{Term::Entity(absl::StrCat("e", rng() % 20)),
                    "sent_troops_to",
                    Term::Entity(absl::StrCat("e", rng() % 20))},
             {Evidence(static_cast<int>(rng() % 3))}});
      }
      absl::StatusOr<WriteResult> r = store().Write(b);
      if (!r.ok()) break;
      ids.insert(ids.end(), r->statement_ids.begin(), r->statement_ids.end());
      (void)store().Retract(ids[rng() % ids.size()], "doc1");
    }
    done = true;
  });
  int compared = 0;
  while (!done) {
    store().RefreshCompactAdjacency();
    std::unique_ptr<Reader> reader = store().NewReader();
    if (reader->compact_adjacency() == nullptr) continue;
    ++compared;
    for (int i = 0; i < 20; ++i) {
      const std::string id = absl::StrCat("e", i);
      absl::StatusOr<NodeId> node = reader->NodeOf(Term::Entity(id));
      ASSERT_THAT(node, IsOk());
      std::vector<Edge> edges;
      reader->Neighbors(*node, Direction::kOutgoing, &edges);
      std::multiset<std::string> from_memory, from_index;
      for (const Edge& e : edges) {
        from_memory.insert(reader->StatementAt(e.statement)->id);
      }
      Pattern p;
      p.subject = Term::Entity(id);
      MatchOptions all;
      all.include_quoted = true;
      all.limit = 10000;
      absl::StatusOr<MatchPage> page = reader->Match(p, all);
      ASSERT_THAT(page, IsOk());
      for (const Statement& st : page->statements) from_index.insert(st.id);
      ASSERT_EQ(from_memory, from_index) << "node " << id;
    }
  }
  writer.join();
  // Whether any round found the copy current depends on timing; the last
  // one after the writes always does.
  store().RefreshCompactAdjacency();
  EXPECT_NE(store().NewReader()->compact_adjacency(), nullptr);
  std::printf("compared %d compact readers during the writes\n", compared);
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

// The open's bulk build gives the lists that one Add per triple, in SPO
// order, gives: the same edges in the same order at every node, both
// directions, and later changes apply to it as to the other.
TEST(AdjacencyLoadTest, GivesTheListsOfOneAddPerTripleInOrder) {
  std::mt19937_64 rng(5);
  std::vector<Adjacency::Triple> triples;
  std::set<std::tuple<uint64_t, uint64_t, uint64_t>> seen;
  while (triples.size() < 5000) {
    const uint64_t s = rng() % 300 + 1, p = rng() % 5 + 1000,
                   o = rng() % 300 + 1;
    if (seen.insert({s, p, o}).second) {
      triples.push_back({s, p, o, 2000 + triples.size()});
    }
  }
  std::sort(triples.begin(), triples.end(), [](const auto& a, const auto& b) {
    return std::tie(a.subject, a.relation, a.object) <
           std::tie(b.subject, b.relation, b.object);
  });
  Adjacency added, loaded;
  for (const Adjacency::Triple& t : triples) {
    added.Add(t.subject, t.relation, t.object, t.statement, 0);
  }
  loaded.Load(triples);
  EXPECT_EQ(loaded.edge_count(), added.edge_count());
  auto lists = [](const Adjacency& a, Direction d, uint64_t seq) {
    std::vector<std::vector<Edge>> out;
    for (uint64_t node : a.Nodes(d)) {
      out.emplace_back();
      a.Collect(node, d, seq, &out.back());
    }
    return out;
  };
  auto same = [&](uint64_t seq) {
    for (Direction d : {Direction::kOutgoing, Direction::kIncoming}) {
      EXPECT_EQ(loaded.Nodes(d), added.Nodes(d));
      EXPECT_TRUE(lists(loaded, d, seq) == lists(added, d, seq));
    }
  };
  same(0);
  const std::vector<Adjacency::Change> changes = {
      {triples[7].subject, triples[7].relation, triples[7].object,
       triples[7].statement, false},
      {1, 1000, 2, 9999, true}};
  added.Apply(changes, 10, 0);
  loaded.Apply(changes, 10, 0);
  same(10);
  same(5);
}

// Many additions at once (a bulk or fresh load's) are applied as the
// open builds its lists, in any order and onto lists that have edges:
// what one Add per change in order gives, visible from their sequence
// number on, and not before.
TEST(AdjacencyLoadTest, ManyAdditionsApplyAsOneAddEach) {
  std::mt19937_64 rng(7);
  auto random_changes = [&](size_t n, uint64_t first_statement) {
    std::vector<Adjacency::Change> changes;
    for (size_t i = 0; i < n; ++i) {
      changes.push_back({rng() % 200 + 1, rng() % 5 + 1000, rng() % 200 + 1,
                         first_statement + i, true});
    }
    return changes;
  };
  const std::vector<Adjacency::Change> before = random_changes(100, 2000);
  const std::vector<Adjacency::Change> many =
      random_changes(Adjacency::kManyChanges + 500, 3000);
  Adjacency added, applied;
  for (const Adjacency::Change& c : before) {
    added.Add(c.subject, c.relation, c.object, c.statement, 5);
  }
  applied.Apply(before, 5, 0);  // few: one at a time
  for (const Adjacency::Change& c : many) {
    added.Add(c.subject, c.relation, c.object, c.statement, 10);
  }
  applied.Apply(many, 10, 0);
  EXPECT_EQ(applied.edge_count(), before.size() + many.size());
  EXPECT_EQ(applied.edge_count(), added.edge_count());
  size_t seen_at_5 = 0;
  for (Direction d : {Direction::kOutgoing, Direction::kIncoming}) {
    ASSERT_EQ(applied.Nodes(d), added.Nodes(d));
    for (uint64_t node : added.Nodes(d)) {
      for (uint64_t seq : {4, 5, 9, 10}) {
        std::vector<Edge> want, got;
        added.Collect(node, d, seq, &want);
        applied.Collect(node, d, seq, &got);
        EXPECT_TRUE(got == want) << node << " at " << seq;
        if (seq == 5) seen_at_5 += got.size();
      }
    }
  }
  EXPECT_EQ(seen_at_5, 2 * before.size());  // the later edges are not seen
}

TEST(CompactAdjacencyBuildTest, RefusesIdsThatDoNotFit) {
  Adjacency small;
  small.Add(1, 2, 3, 4, 0);
  EXPECT_THAT(CompactAdjacency::Build(small, 0, 0), IsOk());
  // 2^32 - 1 is refused too: array sizes are "one past" an id.
  for (const uint64_t big : {uint64_t{std::numeric_limits<uint32_t>::max()},
                             uint64_t{1} << 32, uint64_t{1} << 40}) {
    for (int field = 0; field < 4; ++field) {
      Adjacency a;
      uint64_t ids[4] = {1, 2, 3, 4};
      ids[field] = big;
      a.Add(ids[0], ids[1], ids[2], ids[3], 0);
      EXPECT_THAT(CompactAdjacency::Build(a, 0, 0),
                  testing::StatusIs(absl::StatusCode::kOutOfRange))
          << "field " << field << ", id " << big;
    }
  }
}

TEST(CompactAdjacencyBuildTest, StopsWhenTold) {
  Adjacency a;
  for (uint64_t i = 1; i <= 10000; ++i) a.Add(i, 1, i + 1, 20000 + i, 0);
  int polls = 0;
  EXPECT_THAT(
      CompactAdjacency::Build(a, 0, 0, {}, 0, [&] { return ++polls > 1; }),
      testing::StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(polls, 2);
  EXPECT_THAT(CompactAdjacency::Build(a, 0, 0, {}, 0, [] { return false; }),
              IsOk());
}

TEST(CompactAdjacencyBuildTest, SeesOnlyEdgesVisibleAtItsSequence) {
  Adjacency a;
  a.Add(1, 9, 2, 100, 0);
  a.Apply({{1, 9, 3, 101, true}}, /*seq=*/10, /*oldest_seq=*/0);
  a.Apply({{1, 9, 2, 100, false}}, /*seq=*/20, /*oldest_seq=*/0);
  const auto build = [&](uint64_t seq, uint64_t generation) {
    absl::StatusOr<std::unique_ptr<const CompactAdjacency>> c =
        CompactAdjacency::Build(a, seq, generation);
    EXPECT_THAT(c, IsOk());
    return c.ok() ? *std::move(c) : nullptr;
  };
  const auto neighbors = [](const CompactAdjacency& c) {
    std::vector<NodeId> out;
    for (const CompactEdge& e : c.Edges(1, Direction::kOutgoing)) {
      out.push_back(e.neighbor);
    }
    return out;
  };
  EXPECT_THAT(neighbors(*build(5, 0)), ::testing::ElementsAre(2));
  EXPECT_THAT(neighbors(*build(15, 1)), ::testing::ElementsAre(2, 3));
  EXPECT_THAT(neighbors(*build(25, 2)), ::testing::ElementsAre(3));
  EXPECT_EQ(a.generation(), 2u);
  // Nodes with no edges, and ids past the end, have none.
  const auto c = build(25, 2);
  ASSERT_NE(c, nullptr);
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
