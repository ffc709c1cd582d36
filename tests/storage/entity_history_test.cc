// Editing the vocabulary (docs/storage.md, "Editing the vocabulary"): what
// exists is never replaced by accident, a name names one entity unless said
// otherwise, every version of an entity is kept, and entities can be merged
// and deleted with time travel seeing what was before.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "tests/storage/store_fixture.h"

namespace kg::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::SizeIs;
using testing::StatusIs;

class EntityHistoryTest : public StoreTest {
 protected:
  void SetUp() override { ASSERT_THAT(store().Write(Vocabulary()), IsOk()); }

  absl::Status Write(WriteBatch b) { return store().Write(b).status(); }

  EntityHistory History(const std::string& id) {
    absl::StatusOr<EntityHistory> h = store().NewReader()->GetEntityHistory(id);
    EXPECT_THAT(h, IsOk());
    return h.ok() ? *h : EntityHistory{};
  }
};

TEST_F(EntityHistoryTest, CreatingAnIdenticalEntityChangesNothing) {
  const std::string before = Dump();
  WriteBatch again;
  again.entities = {Vocabulary().entities[0]};
  ASSERT_THAT(Write(again), IsOk());
  EXPECT_EQ(Dump(), before);
}

TEST_F(EntityHistoryTest,
       CreatingAnEntityThatExistsDifferentlyNamesWhatDiffers) {
  const std::string before = Dump();
  WriteBatch b;
  b.entities = {{"north_korea", "DPRK", "Country", {}}};
  EXPECT_THAT(
      Write(b),
      StatusIs(absl::StatusCode::kAlreadyExists,
               AllOf(HasSubstr("entities[0]: entity 'north_korea' already "
                               "exists"),
                     HasSubstr("label \"North Korea\" (this write: \"DPRK\")"),
                     HasSubstr("aliases [\"DPRK\", \"Pyongyang\"] (this "
                               "write: [])"))));
  EXPECT_EQ(Dump(), before);
  // Replacing is a separate, explicit operation.
  b.entity_mode = WriteBatch::EntityMode::kReplace;
  ASSERT_THAT(Write(b), IsOk());
  EXPECT_EQ(store().NewReader()->GetEntity("north_korea")->label, "DPRK");
}

TEST_F(EntityHistoryTest, ANameOfAnotherEntityIsRefusedNamingBoth) {
  const std::string before = Dump();
  WriteBatch b;
  b.entities = {{"dprk_army",
                 "Korean People's Army",
                 "MilitaryUnit",
                 {"KPA", "Pyongyang"}}};
  EXPECT_THAT(
      Write(b),
      StatusIs(absl::StatusCode::kAlreadyExists,
               AllOf(HasSubstr("entities[0].aliases[1]: \"Pyongyang\" "
                               "already names entity 'north_korea' "
                               "(North Korea)"),
                     HasSubstr("'dprk_army'"), HasSubstr("shared_names"))));
  EXPECT_EQ(Dump(), before);
  // Case does not make a name another: lookups ignore ASCII case.
  b.entities[0].aliases = {"KPA"};
  b.entities[0].label = "PYONGYANG";
  EXPECT_THAT(Write(b), StatusIs(absl::StatusCode::kAlreadyExists,
                                 HasSubstr("entities[0].label")));
  // Said to be shared, the name names both.
  b.shared_names = true;
  ASSERT_THAT(Write(b), IsOk());
  EXPECT_THAT(*store().NewReader()->FindByName("pyongyang"), SizeIs(2));
}

TEST_F(EntityHistoryTest, EditsChangeOnlyWhatTheyNameAndKeepEveryVersion) {
  now_ += absl::Hours(1);
  WriteBatch add;
  add.entity_edits = {{"nis",
                       std::nullopt,
                       std::nullopt,
                       {"Korean NIS", "Korean NIS"},
                       {"NIS"}}};
  ASSERT_THAT(Write(add), IsOk());
  Entity nis = *store().NewReader()->GetEntity("nis");
  EXPECT_EQ(nis.label, "National Intelligence Service");
  EXPECT_THAT(nis.aliases, ElementsAre("Korean NIS"));
  EXPECT_THAT(*store().NewReader()->FindByName("NIS"), SizeIs(0));

  const absl::Time edited = now_;
  now_ += absl::Hours(1);
  WriteBatch relabel;
  relabel.entity_edits = {{"nis", "NIS of Korea", std::nullopt, {}, {}}};
  ASSERT_THAT(Write(relabel), IsOk());

  EntityHistory h = History("nis");
  ASSERT_THAT(h.versions, SizeIs(3));
  EXPECT_EQ(h.versions[0].since, absl::FromUnixSeconds(1729209600));
  EXPECT_THAT(h.versions[0].entity.aliases, ElementsAre("NIS"));
  EXPECT_EQ(h.versions[2].entity.label, "NIS of Korea");
  EXPECT_EQ(h.AsOf(edited)->entity.label, "National Intelligence Service");
  EXPECT_THAT(h.AsOf(edited)->entity.aliases, ElementsAre("Korean NIS"));
  EXPECT_EQ(h.AsOf(absl::FromUnixSeconds(0)), nullptr);  // before it existed

  // The history survives a reopen.
  Reopen();
  EXPECT_THAT(History("nis").versions, SizeIs(3));
}

TEST_F(EntityHistoryTest, EditsOfWhatIsNotThereAreRefused) {
  const std::string before = Dump();
  WriteBatch b;
  b.entity_edits = {{"nis", std::nullopt, std::nullopt, {}, {"Spies"}}};
  EXPECT_THAT(Write(b), StatusIs(absl::StatusCode::kNotFound,
                                 HasSubstr("entity_edits[0].remove_aliases[0]: "
                                           "\"Spies\" is not an alias of "
                                           "entity 'nis' (its aliases: "
                                           "[\"NIS\"])")));
  b.entity_edits = {{"nobody", "Nobody", std::nullopt, {}, {}}};
  EXPECT_THAT(Write(b), StatusIs(absl::StatusCode::kNotFound,
                                 HasSubstr("entity_edits[0].id: no entity "
                                           "'nobody'")));
  b.entity_edits = {{"nis", std::nullopt, "not a type!", {}, {}}};
  EXPECT_THAT(Write(b), StatusIs(absl::StatusCode::kInvalidArgument,
                                 HasSubstr("entity_edits[0].type")));
  b.entity_edits = {{"nis", std::nullopt, std::nullopt, {"Pyongyang"}, {}}};
  EXPECT_THAT(Write(b), StatusIs(absl::StatusCode::kAlreadyExists,
                                 HasSubstr("already names entity "
                                           "'north_korea'")));
  EXPECT_EQ(Dump(), before);
}

TEST_F(EntityHistoryTest, ARelationIsReplacedOnlyOnPurposeAndKeepsItsMeaning) {
  WriteBatch b;
  b.relations = {{"denied", "denied", false, Polarity::kNone}};
  EXPECT_THAT(Write(b),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("relations[0]: relation 'denied' already "
                                 "exists with other content: polarity opposes "
                                 "(this write: none)")));
  // Unused, its polarity may change on purpose.
  b.entity_mode = WriteBatch::EntityMode::kReplace;
  ASSERT_THAT(Write(b), IsOk());
  EXPECT_EQ(store().NewReader()->GetRelation("denied")->polarity,
            Polarity::kNone);

  // Used, its label may change but not its meaning.
  WriteBatch used;
  used.statements = {Sent()};
  ASSERT_THAT(Write(used), IsOk());
  const std::string before = Dump();
  WriteBatch change;
  change.entity_mode = WriteBatch::EntityMode::kReplace;
  change.relations = {
      {"sent_troops_to", "sent troops to", true, Polarity::kNone}};
  EXPECT_THAT(Write(change),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("relations[0]: relation "
                                       "'sent_troops_to' is used by "
                                       "statements"),
                             HasSubstr("symmetry"),
                             HasSubstr("add a relation with a new id"))));
  EXPECT_EQ(Dump(), before);
  change.relations = {
      {"sent_troops_to", "dispatched troops to", false, Polarity::kNone}};
  ASSERT_THAT(Write(change), IsOk());
  EXPECT_EQ(store().NewReader()->GetRelation("sent_troops_to")->label,
            "dispatched troops to");
}

TEST_F(EntityHistoryTest, AnEntityInUseCannotBeDeleted) {
  WriteBatch b;
  b.statements = {Sent()};
  ASSERT_THAT(Write(b), IsOk());
  const std::string before = Dump();
  WriteBatch del;
  del.entity_deletes = {"russia"};
  EXPECT_THAT(Write(del),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("entity_deletes[0]: entity 'russia' "
                                       "is the object of statements"),
                             HasSubstr(StatementIdOf(Sent().triple)))));
  del.entity_deletes = {"nobody"};
  EXPECT_THAT(Write(del), StatusIs(absl::StatusCode::kNotFound,
                                   HasSubstr("no entity 'nobody'")));
  EXPECT_EQ(Dump(), before);
}

TEST_F(EntityHistoryTest, ADeletedEntityIsGoneNowAndThereBefore) {
  const absl::Time before = now_;
  now_ += absl::Hours(1);
  WriteBatch del;
  del.entity_deletes = {"nis"};
  ASSERT_THAT(Write(del), IsOk());
  auto reader = store().NewReader();
  EXPECT_THAT(*reader->FindByName("NIS"), SizeIs(0));
  EXPECT_EQ(reader->Stats()->entities, 3u);
  EntityPage all = *reader->ListEntities(10, "");
  for (const Entity& e : all.entities) EXPECT_NE(e.id, "nis");
  EntityHistory h = History("nis");
  EXPECT_EQ(h.current().state, EntityVersion::State::kDeleted);
  EXPECT_EQ(h.AsOf(before)->state, EntityVersion::State::kLive);
  EXPECT_EQ(h.AsOf(before)->entity.label, "National Intelligence Service");

  // A statement cannot name it; it can be created again.
  WriteBatch uses;
  StatementInput st = Sent();
  st.triple.subject = Term::Entity("nis");
  uses.statements = {st};
  EXPECT_THAT(Write(uses), StatusIs(absl::StatusCode::kNotFound,
                                    HasSubstr("entity 'nis' was deleted at")));
  WriteBatch again;
  again.entities = {{"nis", "NIS", "Organization", {}}};
  ASSERT_THAT(Write(again), IsOk());
  EXPECT_THAT(History("nis").versions, SizeIs(3));
  EXPECT_THAT(store().Verify()->problems, ::testing::IsEmpty());
}

TEST_F(EntityHistoryTest, AMergeMovesStatementsAndClaimsAndKeepsThePast) {
  // dprk: a duplicate of north_korea, with its own statement and a claim
  // quoting it.
  WriteBatch dup;
  dup.entities = {
      {"dprk_dup", "Democratic People's Republic", "Country", {"Best Korea"}}};
  StatementInput sent = Sent();
  sent.triple.subject = Term::Entity("dprk_dup");
  StatementInput denial = Denial();
  denial.triple.object = Term::Quoted(sent.triple);
  dup.statements = {sent, denial};
  ASSERT_THAT(Write(dup), IsOk());
  const std::string old_sent = StatementIdOf(sent.triple);
  const std::string old_denial = StatementIdOf(denial.triple);
  const absl::Time before = now_;

  now_ += absl::Hours(1);
  WriteBatch merge;
  merge.merges = {{"dprk_dup", "north_korea"}};
  absl::StatusOr<WriteResult> r = store().Write(merge);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->statements_moved, 2u);
  EXPECT_EQ(r->provenance_moved, 2u);

  auto reader = store().NewReader();
  // The statements, as north_korea's, with their records recorded now.
  const std::string new_sent = StatementIdOf(Sent().triple);
  const std::string new_denial = StatementIdOf(Denial().triple);
  ASSERT_THAT(reader->GetStatement(new_sent), IsOk());
  EXPECT_EQ(reader->GetStatement(new_sent)->live_provenance, 1u);
  EXPECT_EQ(reader->GetStatement(new_denial)->live_provenance, 1u);
  std::vector<ProvenanceRecord> moved =
      *reader->GetProvenance(new_denial, false);
  ASSERT_THAT(moved, SizeIs(1));
  EXPECT_EQ(moved[0].recorded_at, now_);
  EXPECT_EQ(moved[0].input.evidence, Denial().provenance[0].evidence);
  // The old ones are retracted, so as of before the merge they are live.
  std::vector<ProvenanceRecord> old =
      *reader->GetProvenance(old_denial, /*include_retracted=*/true);
  ASSERT_THAT(old, SizeIs(1));
  EXPECT_TRUE(old[0].LiveAt(before));
  EXPECT_FALSE(old[0].LiveAt(now_));
  EXPECT_EQ(reader->GetStatement(old_sent)->live_provenance, 0u);

  // The names: dprk_dup's are north_korea's aliases; its id resolves there.
  Entity nk = *reader->GetEntity("north_korea");
  EXPECT_THAT(nk.aliases,
              ElementsAre("DPRK", "Pyongyang", "Democratic People's Republic",
                          "Best Korea"));
  EXPECT_THAT(*reader->FindByName("best korea"), SizeIs(1));
  EntityHistory h = History("dprk_dup");
  EXPECT_EQ(h.current().state, EntityVersion::State::kMerged);
  EXPECT_EQ(h.current().merged_into, "north_korea");
  EXPECT_EQ(h.AsOf(before)->state, EntityVersion::State::kLive);
  EXPECT_EQ(reader->Stats()->entities, 4u);

  // A new statement naming the old id is north_korea's.
  WriteBatch later;
  StatementInput allied{
      {Term::Entity("dprk_dup"), "allied_with", Term::Entity("russia")},
      {Evidence(0)}};
  later.statements = {allied};
  absl::StatusOr<WriteResult> w = store().Write(later);
  ASSERT_THAT(w, IsOk());
  allied.triple.subject = Term::Entity("north_korea");
  EXPECT_EQ(w->statement_ids[0], StatementIdOf(allied.triple));
  EXPECT_THAT(store().Verify()->problems, ::testing::IsEmpty());
}

TEST_F(EntityHistoryTest, AMergeOfWhatCannotBeMergedIsRefused) {
  const std::string before = Dump();
  WriteBatch m;
  m.merges = {{"nis", "nis"}};
  EXPECT_THAT(Write(m), StatusIs(absl::StatusCode::kInvalidArgument,
                                 HasSubstr("merges[0].into: an entity cannot "
                                           "be merged into itself")));
  m.merges = {{"nobody", "nis"}};
  EXPECT_THAT(Write(m), StatusIs(absl::StatusCode::kNotFound,
                                 HasSubstr("merges[0].from: no entity "
                                           "'nobody'")));
  m.merges = {{"nis", "nobody"}};
  EXPECT_THAT(Write(m), StatusIs(absl::StatusCode::kNotFound,
                                 HasSubstr("merges[0].into: no entity "
                                           "'nobody'")));
  EXPECT_EQ(Dump(), before);
}

// Stores written before histories hold format-1 entity values: they read as
// one live version since always.
TEST(EntityHistoryCodingTest, AFormatOneValueIsOneLiveVersion) {
  std::string v(1, static_cast<char>(kValueFormat));
  v.append(8, '\0');
  v.back() = 7;  // tid 7
  v.append("\x05Label\x04Type\x01\x03One", 17);
  EntityHistory h;
  uint64_t tid = 0;
  ASSERT_TRUE(DecodeEntityHistory("e", v, &tid, &h));
  EXPECT_EQ(tid, 7u);
  ASSERT_THAT(h.versions, SizeIs(1));
  EXPECT_EQ(h.versions[0].since, absl::InfinitePast());
  EXPECT_EQ(h.versions[0].entity, (Entity{"e", "Label", "Type", {"One"}}));
  // And round-trips in the new format.
  uint64_t again = 0;
  EntityHistory back;
  ASSERT_TRUE(
      DecodeEntityHistory("e", EncodeEntityHistory(7, h), &again, &back));
  EXPECT_EQ(back.versions, h.versions);
}

}  // namespace
}  // namespace kg::storage
