// The entity table (storage/entity_table.h) on a real store: it holds
// exactly the live entities of its snapshot with their node ids, types and
// labels, numbers each label as the literal the dictionary holds, and is
// handed only to readers whose entities and dictionary it matches.
#include "storage/entity_table.h"

#include <atomic>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "tests/storage/store_fixture.h"
#include "tests/support/test_util.h"

namespace kg::storage {
namespace {

using testing::IsOk;
using ::testing::UnorderedElementsAre;

Term PlainLiteral(const std::string& s) {
  return Term::RdfLiteral(s, absl::StrCat(kXsdNamespace, "string"), "",
                          LiteralDirection::kNone);
}

class EntityTableTest : public StoreTest {
 protected:
  // The vocabulary, a second entity named "Russia", and a statement whose
  // object is the literal "Russia" (so that label is also a term).
  void WriteGraph() {
    WriteBatch b = Vocabulary();
    b.entities.push_back({"rossiya", "Russia", "Place", {}});
    b.shared_names = true;
    b.statements = {
        Sent(),
        {Triple{Term::Entity("nis"), "reported", PlainLiteral("Russia")},
         {Evidence(1)}}};
    ASSERT_THAT(store().Write(b), IsOk());
  }
};

TEST_F(EntityTableTest, HoldsTheLiveEntitiesOfItsSnapshot) {
  WriteGraph();
  WriteBatch deletion;
  deletion.entity_deletes = {"kremlin"};  // no statement uses it
  ASSERT_THAT(store().Write(deletion), IsOk());
  store().RefreshCompactAdjacency();
  std::unique_ptr<Reader> reader = store().NewReader();
  const EntityTable* t = reader->entity_table();
  ASSERT_NE(t, nullptr);
  absl::StatusOr<EntityPage> page = reader->ListEntities(100, "");
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(t->entries().size(), page->entities.size());
  ASSERT_EQ(t->entries().size(), 4u);  // the Kremlin is gone
  for (size_t i = 0; i < page->entities.size(); ++i) {
    const EntityTable::Entry& e = t->entries()[i];
    const Entity& want = page->entities[i];
    EXPECT_EQ(e.node, page->node_ids[i]) << want.id;
    EXPECT_EQ(t->types()[e.type], want.type) << want.id;
    EXPECT_EQ(t->label(e.label), want.label) << want.id;
    EXPECT_EQ(t->Find(e.node), &e) << want.id;
  }
  // Types, each with its entities.
  EXPECT_THAT(t->types(),
              UnorderedElementsAre("Country", "Organization", "Place"));
  ASSERT_TRUE(t->TypeIndex("Country").has_value());
  EXPECT_EQ(t->OfType(*t->TypeIndex("Country")).size(), 2u);
  EXPECT_FALSE(t->TypeIndex("Person").has_value());
  // One label, two entities; it is a statement's object too, so it has
  // that literal's node id. A name no statement has has none.
  const std::optional<uint32_t> russia = t->LabelIndex("Russia");
  ASSERT_TRUE(russia.has_value());
  EXPECT_EQ(t->label_count(), 3u);  // North Korea, Russia, the NIS
  absl::StatusOr<NodeId> literal = reader->NodeOf(PlainLiteral("Russia"));
  ASSERT_THAT(literal, IsOk());
  EXPECT_EQ(t->label_node(*russia), *literal);
  const std::optional<uint32_t> nis =
      t->LabelIndex("National Intelligence Service");
  ASSERT_TRUE(nis.has_value());
  EXPECT_EQ(t->label_node(*nis), 0u);
  EXPECT_FALSE(t->LabelIndex("Kremlin").has_value());
  EXPECT_GT(t->memory_bytes(), 0u);
}

// Entities by label prefix: those whose label starts with it, in label
// order, two entities of one label both, none for a prefix no label has.
TEST_F(EntityTableTest, FindsEntitiesByLabelPrefix) {
  WriteGraph();
  store().RefreshCompactAdjacency();
  std::unique_ptr<Reader> reader = store().NewReader();
  const EntityTable* t = reader->entity_table();
  ASSERT_NE(t, nullptr);
  auto labels = [t](absl::string_view prefix) {
    std::vector<std::string> out;
    for (uint32_t i : t->WithLabelPrefix(prefix)) {
      out.push_back(t->label(t->entries()[i].label));
    }
    return out;
  };
  EXPECT_THAT(labels("Russia"), ::testing::ElementsAre("Russia", "Russia"));
  EXPECT_THAT(labels("N"), ::testing::ElementsAre(
                               "National Intelligence Service", "North Korea"));
  EXPECT_THAT(labels("No"), ::testing::ElementsAre("North Korea"));
  EXPECT_THAT(labels("Norway"), ::testing::IsEmpty());
  EXPECT_THAT(labels("ZZ"), ::testing::IsEmpty());
  EXPECT_THAT(labels(""),
              ::testing::ElementsAre("Kremlin", "National Intelligence Service",
                                     "North Korea", "Russia", "Russia"));
}

TEST_F(EntityTableTest, OnlyReadersItMatchesGetIt) {
  WriteGraph();
  store().RefreshCompactAdjacency();
  std::unique_ptr<Reader> before = store().NewReader();
  ASSERT_NE(before->entity_table(), nullptr);

  // Another record of a statement already there changes neither the
  // entities nor the dictionary: the table stays.
  WriteBatch again;
  again.statements = {{Sent().triple, {Evidence(2)}}};
  ASSERT_THAT(store().Write(again), IsOk());
  EXPECT_EQ(store().NewReader()->entity_table(), before->entity_table());

  // A new statement among known entities adds only its statement term.
  WriteBatch claim;
  claim.statements = {Denial()};
  ASSERT_THAT(store().Write(claim), IsOk());
  EXPECT_EQ(store().NewReader()->entity_table(), before->entity_table());

  // A new name: newer readers have no table until it is rebuilt; the older
  // reader keeps its own.
  WriteBatch label;
  label.entity_mode = WriteBatch::EntityMode::kReplace;
  label.entities = {{"nis", "NIS", "Organization", {}}};
  ASSERT_THAT(store().Write(label), IsOk());
  EXPECT_EQ(store().NewReader()->entity_table(), nullptr);
  ASSERT_NE(before->entity_table(), nullptr);
  EXPECT_TRUE(
      before->entity_table()->LabelIndex("National Intelligence Service"));
  store().RefreshCompactAdjacency();
  std::unique_ptr<Reader> renamed = store().NewReader();
  ASSERT_NE(renamed->entity_table(), nullptr);
  EXPECT_TRUE(renamed->entity_table()->LabelIndex("NIS").has_value());

  // A new literal equal to a name changes what its label's id is.
  WriteBatch literal;
  literal.statements = {
      {Triple{Term::Entity("russia"), "reported", PlainLiteral("NIS")},
       {Evidence(0)}}};
  ASSERT_THAT(store().Write(literal), IsOk());
  EXPECT_EQ(store().NewReader()->entity_table(), nullptr);
  store().RefreshCompactAdjacency();
  std::unique_ptr<Reader> after = store().NewReader();
  const EntityTable* t = after->entity_table();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->label_node(*t->LabelIndex("NIS")),
            after->NodeOf(PlainLiteral("NIS")).value());
}

TEST_F(EntityTableTest, ABulkLoadOfEntitiesAgesIt) {
  WriteGraph();
  store().RefreshCompactAdjacency();
  ASSERT_NE(store().NewReader()->entity_table(), nullptr);
  WriteBatch more;
  more.entities = {{"nato", "NATO", "Organization", {}}};
  ASSERT_THAT(store().BulkLoad(more), IsOk());
  EXPECT_EQ(store().NewReader()->entity_table(), nullptr);
  store().RefreshCompactAdjacency();
  std::unique_ptr<Reader> reader = store().NewReader();
  ASSERT_NE(reader->entity_table(), nullptr);
  EXPECT_TRUE(reader->entity_table()->LabelIndex("NATO").has_value());
}

// While a writer renames entities, gives them new types and writes claims
// with literal objects, every reader that gets a table gets its own
// snapshot's: the entities, types and labels it lists, and each label's
// literal node.
TEST_F(EntityTableTest, ReadersGetExactTablesWhileWritesGoOn) {
  WriteBatch vocab = Vocabulary();
  for (int i = 0; i < 20; ++i) {
    vocab.entities.push_back(
        {absl::StrCat("e", i), absl::StrCat("E", i), "Thing", {}});
  }
  ASSERT_THAT(store().Write(vocab), IsOk());
  std::atomic<bool> done{false};
  std::thread writer([&] {
    std::mt19937_64 rng(17);
    for (int round = 0; round < 150; ++round) {
      WriteBatch b;
      const uint64_t e = rng() % 20;
      const uint64_t name = rng() % 40;
      switch (rng() % 3) {
        case 0:  // a new name or type
          b.entity_mode = WriteBatch::EntityMode::kReplace;
          b.entities = {{absl::StrCat("e", e),
                         absl::StrCat("E", name),
                         rng() % 2 ? "Thing" : "Place",
                         {}}};
          b.shared_names = true;
          break;
        case 1:  // a literal that may equal a name
          b.statements = {
              {Triple{Term::Entity(absl::StrCat("e", e)), "reported",
                      PlainLiteral(absl::StrCat("E", name))},
               {Evidence(0)}}};
          break;
        default:  // a claim among known entities
          b.statements = {
              {Triple{Term::Entity(absl::StrCat("e", e)), "allied_with",
                      Term::Entity(absl::StrCat("e", name % 20))},
               {Evidence(1)}}};
          break;
      }
      if (!store().Write(b).ok()) break;
    }
    done = true;
  });
  int compared = 0;
  while (!done) {
    store().RefreshCompactAdjacency();
    std::unique_ptr<Reader> reader = store().NewReader();
    const EntityTable* t = reader->entity_table();
    if (t == nullptr) continue;
    ++compared;
    absl::StatusOr<EntityPage> page = reader->ListEntities(1000, "");
    ASSERT_THAT(page, IsOk());
    ASSERT_EQ(t->entries().size(), page->entities.size());
    for (size_t i = 0; i < page->entities.size(); ++i) {
      const EntityTable::Entry& e = t->entries()[i];
      ASSERT_EQ(e.node, page->node_ids[i]);
      ASSERT_EQ(t->types()[e.type], page->entities[i].type);
      ASSERT_EQ(t->label(e.label), page->entities[i].label);
      absl::StatusOr<NodeId> literal =
          reader->NodeOf(PlainLiteral(page->entities[i].label));
      ASSERT_EQ(t->label_node(e.label), literal.ok() ? *literal : 0)
          << page->entities[i].label;
    }
  }
  writer.join();
  store().RefreshCompactAdjacency();
  EXPECT_NE(store().NewReader()->entity_table(), nullptr);
  std::printf("compared %d tables during the writes\n", compared);
}

TEST_F(EntityTableTest, IsBuiltOnOpen) {
  WriteGraph();
  Reopen();
  std::unique_ptr<Reader> reader = store().NewReader();
  ASSERT_NE(reader->entity_table(), nullptr);
  EXPECT_EQ(reader->entity_table()->entries().size(), 5u);
}

TEST_F(EntityTableTest, NonePastItsEntityCapOrWithoutTheCompactAdjacency) {
  entity_table_max_entities_ = 4;
  Reopen();
  WriteGraph();  // five entities
  store().RefreshCompactAdjacency();
  std::unique_ptr<Reader> reader = store().NewReader();
  EXPECT_NE(reader->compact_adjacency(), nullptr);
  EXPECT_EQ(reader->entity_table(), nullptr);
  reader.reset();  // before its store closes

  entity_table_max_entities_ = 5;
  Reopen();
  EXPECT_NE(store().NewReader()->entity_table(), nullptr);

  compact_adjacency_ = false;
  Reopen();
  store().RefreshCompactAdjacency();
  EXPECT_EQ(store().NewReader()->entity_table(), nullptr);
}

}  // namespace
}  // namespace kg::storage
