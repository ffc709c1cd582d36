#include "storage/store.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/coding.h"
#include "storage/keys.h"
#include "storage/page_token.h"
#include "tests/storage/store_fixture.h"

namespace kg::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::SizeIs;
using testing::StatusIs;

TEST_F(StoreTest, WritesAndReadsBackTheVocabulary) {
  ASSERT_THAT(store().Write(Vocabulary()), IsOk());
  auto reader = store().NewReader();
  absl::StatusOr<Entity> nk = reader->GetEntity("north_korea");
  ASSERT_THAT(nk, IsOk());
  EXPECT_EQ(*nk, Vocabulary().entities[0]);
  absl::StatusOr<Relation> denied = reader->GetRelation("denied");
  ASSERT_THAT(denied, IsOk());
  EXPECT_EQ(denied->polarity, Polarity::kOpposes);
  absl::StatusOr<Document> doc = reader->GetDocument("doc1");
  ASSERT_THAT(doc, IsOk());
  EXPECT_EQ(*doc, Vocabulary().documents[0]);
  absl::StatusOr<DocumentPage> docs = reader->ListDocuments(false, 10, "");
  ASSERT_THAT(docs, IsOk());
  ASSERT_THAT(docs->documents, SizeIs(1));
  EXPECT_EQ(docs->documents[0].text, "");
  EXPECT_EQ(docs->documents[0].title, "Test article");
  EXPECT_THAT(reader->ListDocuments(false, 10, "junk"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(reader->ListRelations(), IsOk());
  EXPECT_THAT(*reader->ListRelations(), SizeIs(4));
  EXPECT_THAT(reader->GetEntity("atlantis"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("entity_id")));
}

// Batches stamped by the caller (as a replica applies the writer's) make
// the same store whatever the store's clock says: the same keys, the same
// times, the same log position. A stamp is used exactly, even one before
// the last write's; a position not after the store's is refused.
TEST_F(StoreTest, BatchesStampedByTheCallerMakeTheSameStoreWhateverTheClock) {
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  auto replay = [&]() -> std::string {
    WriteBatch vocabulary = Vocabulary();
    vocabulary.replica = {t0, 1};
    EXPECT_THAT(store().Write(vocabulary), IsOk());
    WriteBatch claims;
    claims.statements = {Sent(), Denial()};
    StatementInput blank;
    blank.triple =
        Triple{Term::Blank("x"), "allied_with", Term::Entity("russia")};
    blank.provenance.push_back(Evidence(2));
    claims.statements.push_back(blank);
    claims.blank_scope = "0123456789abcdef";
    claims.replica = {t0 + absl::Seconds(1), 2};
    absl::StatusOr<WriteResult> written = store().Write(claims);
    EXPECT_THAT(written, IsOk());
    if (!written.ok()) return "";
    EXPECT_THAT(store().Retract(written->statement_ids[0], "doc1",
                                {t0 + absl::Seconds(2), 3}),
                IsOk());
    WriteBatch merge;
    merge.merges.push_back({"nis", "kremlin"});
    merge.replica = {t0 + absl::Seconds(3), 5};  // 4 failed
    EXPECT_THAT(store().Write(merge), IsOk());
    std::unique_ptr<Reader> reader = store().NewReader();
    absl::StatusOr<std::vector<ProvenanceRecord>> records =
        reader->GetProvenance(written->statement_ids[0], true);
    EXPECT_THAT(records, IsOk());
    if (records.ok() && !records->empty()) {
      EXPECT_EQ(records->front().recorded_at, t0 + absl::Seconds(1));
      EXPECT_EQ(records->front().retracted_at, t0 + absl::Seconds(2));
    }
    reader.reset();
    Close();
    std::string dump = Dump();
    Reopen();
    return dump;
  };
  const std::string first = replay();
  Close();
  std::filesystem::remove_all(path());
  now_ += absl::Hours(5);  // another clock
  Reopen();
  EXPECT_EQ(replay(), first);

  // Before the last write's time: used as it is (the writer keeps stamps
  // increasing; every replica must record the same).
  WriteBatch later;
  later.entities = {{"spy", "Spy", "Person", {}}};
  later.replica = {t0 + absl::Seconds(10), 6};
  ASSERT_THAT(store().Write(later), IsOk());
  WriteBatch late;
  StatementInput st = Sent();
  st.provenance[0] = Evidence(0, 0.5, "doc1");
  st.triple = Triple{Term::Entity("russia"), "allied_with",
                     Term::Entity("north_korea")};
  late.statements.push_back(st);
  late.replica.at = t0;
  late.replica.log_position = 6;  // applied already
  EXPECT_THAT(store().Write(late),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("log_position: 6 is applied already")));
  late.replica.log_position = 7;
  absl::StatusOr<WriteResult> written = store().Write(late);
  ASSERT_THAT(written, IsOk());
  EXPECT_EQ(store().log_position(), 7u);
  EXPECT_EQ(store().log_time(), t0);  // the stamp's, as given
  std::unique_ptr<Reader> reader = store().NewReader();
  absl::StatusOr<std::vector<ProvenanceRecord>> records =
      reader->GetProvenance(written->statement_ids[0], false);
  ASSERT_THAT(records, IsOk());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ(records->front().recorded_at, t0);  // exactly, not after
  reader.reset();
  Reopen();
  EXPECT_EQ(store().log_position(), 7u);  // kept, with its time
  EXPECT_EQ(store().log_time(), t0);

  // A store from before the time was kept (a bare fixed64 position)
  // opens, with its position and no time.
  Close();
  EditRawStore(path(), [](rocksdb::DB* db,
                          std::vector<rocksdb::ColumnFamilyHandle*>& cfs) {
    std::string position;
    PutFixed64(&position, 7);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), cfs[kDefaultCf],
                        kLogPositionKey, position)
                    .ok());
  });
  Reopen();
  EXPECT_EQ(store().log_position(), 7u);
  EXPECT_EQ(store().log_time(), std::nullopt);

  // A bulk load is stamped when it begins: a time is refused, by name.
  WriteBatch bulk;
  bulk.replica.at = t0;
  EXPECT_THAT(store().BulkLoad(bulk),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("replica: a bulk load")));
  EXPECT_EQ(store().log_position(), 7u);
}

TEST_F(StoreTest, FindsEntitiesByIdLabelOrAliasIgnoringCase) {
  ASSERT_THAT(store().Write(Vocabulary()), IsOk());
  auto reader = store().NewReader();
  for (const char* name : {"north_korea", "North Korea", "dprk", "PYONGYANG"}) {
    absl::StatusOr<std::vector<Entity>> found = reader->FindByName(name);
    ASSERT_THAT(found, IsOk());
    ASSERT_THAT(*found, SizeIs(1)) << name;
    EXPECT_EQ((*found)[0].id, "north_korea") << name;
  }
  EXPECT_THAT(*reader->FindByName("Atlantis"), SizeIs(0));
  absl::StatusOr<EntityPage> prefix = reader->SearchByPrefix("n", 10, "");
  ASSERT_THAT(prefix, IsOk());
  std::vector<std::string> ids;
  for (const auto& e : prefix->entities) ids.push_back(e.id);
  // "national intelligence service" < "nis" < "north korea" < "north_korea".
  EXPECT_THAT(ids, ElementsAre("nis", "north_korea"));
  EXPECT_EQ(prefix->next_page_token, "");
  // One per page, resumed by cursor.
  absl::StatusOr<EntityPage> first = reader->SearchByPrefix("N", 1, "");
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(first->entities, SizeIs(1));
  EXPECT_EQ(first->entities[0].id, "nis");
  absl::StatusOr<EntityPage> second =
      reader->SearchByPrefix("N", 1, first->next_page_token);
  ASSERT_THAT(second, IsOk());
  ASSERT_THAT(second->entities, SizeIs(1));
  EXPECT_EQ(second->entities[0].id, "north_korea");
  EXPECT_EQ(second->next_page_token, "");
  EXPECT_THAT(
      reader->SearchByPrefix("r", 1, first->next_page_token),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token:")));
}

// Page tokens carry a MAC under a key kept in the store: any change to a
// token, a token made up from its format, and a token of another store are
// all INVALID_ARGUMENT naming page_token; a real one works, also after a
// reopen.
TEST_F(StoreTest, PageTokensAreAuthenticatedByTheStore) {
  ASSERT_THAT(store().Write(Vocabulary()), IsOk());
  std::unique_ptr<Reader> reader = store().NewReader();
  absl::StatusOr<EntityPage> first = reader->ListEntities(1, "");
  ASSERT_THAT(first, IsOk());
  const std::string token = first->next_page_token;
  ASSERT_FALSE(token.empty());
  ASSERT_THAT(reader->ListEntities(1, token), IsOk());
  const auto refused = StatusIs(absl::StatusCode::kInvalidArgument,
                                ::testing::StartsWith("page_token: "));
  // Every bit of every character of the token.
  for (size_t i = 0; i < token.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = token;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      SCOPED_TRACE(absl::StrCat("character ", i, " bit ", bit));
      EXPECT_THAT(reader->ListEntities(1, flipped), refused);
    }
  }
  // Every bit of every byte of what the token encodes, re-encoded.
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token, &raw));
  for (size_t i = 0; i < raw.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = raw;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      SCOPED_TRACE(absl::StrCat("byte ", i, " bit ", bit));
      EXPECT_THAT(reader->ListEntities(1, absl::WebSafeBase64Escape(flipped)),
                  refused);
    }
  }
  // Shortened, lengthened, and made with another key.
  EXPECT_THAT(reader->ListEntities(1, token.substr(0, token.size() - 1)),
              refused);
  EXPECT_THAT(reader->ListEntities(1, token + "A"), refused);
  const PageTokenCodec forger(std::string(PageTokenCodec::kKeyBytes, 'k'));
  EXPECT_THAT(reader->ListEntities(
                  1, forger.Encode(PageTokenKind::kEntityList, 0, "nis")),
              refused);

  // Another store with the same content issues other tokens.
  std::unique_ptr<Store> other =
      *Store::Open(StoreOptions(), dir_.Sub("other"));
  ASSERT_THAT(other->Write(Vocabulary()), IsOk());
  std::unique_ptr<Reader> other_reader = other->NewReader();
  absl::StatusOr<EntityPage> other_first = other_reader->ListEntities(1, "");
  ASSERT_THAT(other_first, IsOk());
  EXPECT_NE(other_first->next_page_token, token);
  EXPECT_THAT(other_reader->ListEntities(1, token), refused);
  EXPECT_THAT(reader->ListEntities(1, other_first->next_page_token), refused);
  other_reader.reset();
  other.reset();

  // The key is kept: tokens outlive a restart.
  reader.reset();
  Reopen();
  reader = store().NewReader();
  EXPECT_THAT(reader->ListEntities(1, token), IsOk());
}

// One rule for every kind of item: a batch may repeat an item only
// identically (a retry or a duplicate quad does); a repeat with other
// content is INVALID_ARGUMENT naming both positions, and nothing is written.
TEST_F(StoreTest, ABatchRepeatsAnItemOnlyIdentically) {
  ASSERT_THAT(store().Write(Vocabulary()), IsOk());
  const std::string before = Dump();
  WriteBatch entities;
  entities.entities = {{"ukraine", "Ukraine", "Country", {}},
                       {"poland", "Poland", "Country", {}},
                       {"ukraine", "Ukraina", "Country", {}}};
  EXPECT_THAT(store().Write(entities),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::StartsWith(
                           "entities[2]: duplicates entities[0] with other "
                           "content (id 'ukraine')")));
  WriteBatch relations;
  relations.relations = {{"borders", "borders", true, Polarity::kNone},
                         {"borders", "borders", false, Polarity::kNone}};
  EXPECT_THAT(
      store().Write(relations),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::StartsWith("relations[1]: duplicates relations[0]")));
  WriteBatch documents;
  documents.documents = {{"doc2", "A", "Wire", std::nullopt, "Text."},
                         {"doc2", "B", "Wire", std::nullopt, "Text."}};
  EXPECT_THAT(
      store().Write(documents),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::StartsWith("documents[1]: duplicates documents[0]")));
  // The same document under its IRI is the same document.
  documents.documents[1] = documents.documents[0];
  documents.documents[1].id = "https://kg.invalid/document/doc2";
  documents.documents[1].title = "C";
  EXPECT_THAT(
      store().Write(documents),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::StartsWith("documents[1]: duplicates documents[0]")));
  // Records: the same statement, document and span with another confidence.
  WriteBatch records;
  records.statements = {Sent(), Sent()};
  records.statements[1].provenance[0].confidence = 0.5;
  EXPECT_THAT(
      store().Write(records),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::StartsWith("statements[1].provenance[0]: duplicates "
                                     "statements[0].provenance[0]")));
  records.statements = {Sent()};
  records.statements[0].provenance.push_back(Evidence(0, 0.5));
  EXPECT_THAT(
      store().Write(records),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::StartsWith("statements[0].provenance[1]: duplicates "
                                     "statements[0].provenance[0]")));
  EXPECT_EQ(Dump(), before);

  // Identical repeats are one item.
  WriteBatch same;
  same.entities = {{"ukraine", "Ukraine", "Country", {}},
                   {"ukraine", "Ukraine", "Country", {}}};
  same.relations = {{"borders", "borders", true, Polarity::kNone},
                    {"borders", "borders", true, Polarity::kNone}};
  same.documents = {{"doc2", "A", "Wire", std::nullopt, "Text."},
                    {"doc2", "A", "Wire", std::nullopt, "Text."}};
  same.statements = {Sent(), Sent()};
  absl::StatusOr<WriteResult> r = store().Write(same);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->provenance_added, 1u);
  EXPECT_EQ(r->provenance_unchanged, 1u);
  EXPECT_EQ(store().NewReader()->Stats()->entities, 5u);
}

TEST_F(StoreTest, ReplacingAnEntityReplacesItsNames) {
  ASSERT_THAT(store().Write(Vocabulary()), IsOk());
  WriteBatch update;
  update.entity_mode = WriteBatch::EntityMode::kReplace;
  update.entities = {{"north_korea", "DPRK", "Country", {"Kim's state"}}};
  ASSERT_THAT(store().Write(update), IsOk());
  auto reader = store().NewReader();
  EXPECT_THAT(*reader->FindByName("Pyongyang"), SizeIs(0));
  EXPECT_THAT(*reader->FindByName("kim's state"), SizeIs(1));
  EXPECT_EQ(reader->Stats()->entities, 4u);
}

TEST_F(StoreTest, SameStatementFromTwoSourcesIsOneEdgeWithTwoRecords) {
  WriteBatch b = Vocabulary();
  b.statements = {Sent()};
  absl::StatusOr<WriteResult> first = store().Write(b);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->statements_created, 1u);

  WriteBatch second;
  StatementInput again = Sent();
  again.provenance = {Evidence(2, 0.5)};
  second.statements = {again};
  absl::StatusOr<WriteResult> r = store().Write(second);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->statements_created, 0u);
  EXPECT_EQ(r->provenance_added, 1u);
  EXPECT_EQ(r->statement_ids, first->statement_ids);
  EXPECT_EQ(first->statement_ids[0], StatementIdOf(Sent().triple));

  auto reader = store().NewReader();
  EXPECT_THAT(*reader->GetProvenance(first->statement_ids[0], false),
              SizeIs(2));
  EXPECT_EQ(reader->Stats()->statements, 1u);
  EXPECT_EQ(reader->Stats()->provenance_records, 2u);
  // Nothing is flushed yet: the writes are in the memtables.
  EXPECT_GT(reader->Stats()->memtable_bytes, 0u);
}

// The block cache holds what reads brought in from table files.
TEST_F(StoreTest, StatsReportTheBlockCacheOnceTablesAreRead) {
  WriteBatch b = Vocabulary();
  b.statements = {Sent()};
  ASSERT_THAT(store().Write(b), IsOk());
  Reopen();  // the memtables become table files
  auto reader = store().NewReader();
  ASSERT_THAT(reader->GetEntity("north_korea"), IsOk());
  EXPECT_GT(reader->Stats()->block_cache_bytes, 0u);
}

TEST_F(StoreTest, IdenticalRecordWrittenTwiceIsANoOp) {
  WriteBatch b = Vocabulary();
  b.statements = {Sent()};
  ASSERT_THAT(store().Write(b), IsOk());
  const std::string before_stats =
      absl::StrCat(store().NewReader()->Stats()->provenance_records);
  now_ += absl::Hours(1);
  WriteBatch retry;
  retry.statements = {Sent()};
  absl::StatusOr<WriteResult> r = store().Write(retry);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->provenance_added, 0u);
  EXPECT_EQ(r->provenance_unchanged, 1u);
  auto reader = store().NewReader();
  EXPECT_EQ(absl::StrCat(reader->Stats()->provenance_records), before_stats);
  auto records = reader->GetProvenance(r->statement_ids[0], true);
  ASSERT_THAT(records, IsOk());
  ASSERT_THAT(*records, SizeIs(1));
  EXPECT_EQ((*records)[0].recorded_at, absl::FromUnixSeconds(1729209600));
}

TEST_F(StoreTest, DifferentRecordForTheSameSpanIsAlreadyExists) {
  WriteBatch b = Vocabulary();
  b.statements = {Sent()};
  ASSERT_THAT(store().Write(b), IsOk());
  Close();
  const std::string before = Dump();
  Reopen();
  WriteBatch changed;
  StatementInput st = Sent();
  st.provenance[0].confidence = 0.2;
  changed.statements = {st};
  EXPECT_THAT(store().Write(changed),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("statements[0].provenance[0]")));
  Close();
  EXPECT_EQ(Dump(), before);
}

TEST_F(StoreTest, QuotedIsNotAsserted) {
  WriteBatch b = Vocabulary();
  b.statements = {Denial()};
  absl::StatusOr<WriteResult> r = store().Write(b);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->statements_created, 2u);  // the denial and what it quotes
  auto reader = store().NewReader();
  const std::string sent_id = StatementIdOf(Sent().triple);
  absl::StatusOr<Statement> sent = reader->GetStatement(sent_id);
  ASSERT_THAT(sent, IsOk());
  EXPECT_EQ(sent->live_provenance, 0u);
  EXPECT_EQ(sent->quoted_by, 1u);

  Pattern p;
  p.subject = Term::Entity("north_korea");
  MatchOptions asserted;
  EXPECT_THAT(reader->Match(p, asserted)->statements, SizeIs(0));
  MatchOptions quoted;
  quoted.include_quoted = true;
  absl::StatusOr<MatchPage> page = reader->Match(p, quoted);
  ASSERT_THAT(page, IsOk());
  ASSERT_THAT(page->statements, SizeIs(1));
  EXPECT_EQ(page->statements[0].id, sent_id);

  // The denial's object is the quoted statement.
  absl::StatusOr<Statement> denial = reader->GetStatement(r->statement_ids[0]);
  ASSERT_THAT(denial, IsOk());
  EXPECT_EQ(denial->object.kind, Term::Kind::kStatement);
  EXPECT_EQ(denial->object.id, sent_id);
  // Naming the quoted statement by id or by content is the same pattern.
  Pattern by_id;
  by_id.object = Term::StatementId(sent_id);
  Pattern by_content;
  by_content.object = Term::Quoted(Sent().triple);
  EXPECT_EQ(reader->Count(by_id).value(), 1u);
  EXPECT_EQ(reader->Count(by_content).value(), 1u);
}

TEST_F(StoreTest, RetractionKeepsTheStatementWhileOtherRecordsRemain) {
  WriteBatch b = Vocabulary();
  b.documents.push_back({"doc2", "Second", "", std::nullopt, kText});
  StatementInput st = Sent();
  st.provenance.push_back(Evidence(0, 0.8, "doc2"));
  b.statements = {st};
  ASSERT_THAT(store().Write(b), IsOk());
  const std::string id = StatementIdOf(st.triple);

  now_ += absl::Hours(1);
  absl::StatusOr<RetractResult> r = store().Retract(id, "doc1");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->provenance_retracted, 1u);
  EXPECT_FALSE(r->statement_removed);
  Pattern p;
  p.subject = Term::Entity("north_korea");
  EXPECT_EQ(store().NewReader()->Count(p).value(), 1u);

  now_ += absl::Hours(1);
  r = store().Retract(id, "doc2");
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->statement_removed);
  auto reader = store().NewReader();
  EXPECT_EQ(reader->Count(p).value(), 0u);
  Pattern by_relation;
  by_relation.relation = "sent_troops_to";
  EXPECT_EQ(reader->Count(by_relation).value(), 0u);
  Pattern by_object;
  by_object.object = Term::Entity("russia");
  EXPECT_EQ(reader->Count(by_object).value(), 0u);
  EXPECT_EQ(reader->Stats()->statements, 0u);
  EXPECT_EQ(reader->Stats()->provenance_records, 0u);

  // History stays: both records, with recorded and retraction times.
  absl::StatusOr<std::vector<ProvenanceRecord>> all =
      reader->GetProvenance(id, /*include_retracted=*/true);
  ASSERT_THAT(all, IsOk());
  ASSERT_THAT(*all, SizeIs(2));
  EXPECT_EQ((*all)[0].recorded_at, absl::FromUnixSeconds(1729209600));
  EXPECT_EQ((*all)[0].retracted_at,
            absl::FromUnixSeconds(1729209600) + absl::Hours(1));
  EXPECT_EQ((*all)[1].retracted_at,
            absl::FromUnixSeconds(1729209600) + absl::Hours(2));
  EXPECT_TRUE((*all)[0].LiveAt(absl::FromUnixSeconds(1729209600)));
  EXPECT_FALSE((*all)[0].LiveAt((*all)[0].retracted_at.value()));
  EXPECT_THAT(*reader->GetProvenance(id, false), SizeIs(0));

  EXPECT_THAT(store().Retract(id, "doc2"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("document_id")));
  // Re-asserting after retraction adds a new live record.
  WriteBatch again;
  again.statements = {Sent()};
  ASSERT_THAT(store().Write(again), IsOk());
  EXPECT_EQ(store().NewReader()->Count(p).value(), 1u);
  EXPECT_THAT(*store().NewReader()->GetProvenance(id, true), SizeIs(3));
}

TEST_F(StoreTest, RetractingTheLastClaimRemovesTheQuotedStatementToo) {
  WriteBatch b = Vocabulary();
  b.statements = {Denial()};
  absl::StatusOr<WriteResult> r = store().Write(b);
  ASSERT_THAT(r, IsOk());
  ASSERT_THAT(store().Retract(r->statement_ids[0], "doc1"), IsOk());
  auto reader = store().NewReader();
  EXPECT_EQ(reader->Stats()->statements, 0u);
  EXPECT_EQ(reader->Count(Pattern{}).value(), 0u);
  // Both stay resolvable by id for history.
  EXPECT_THAT(reader->GetStatement(StatementIdOf(Sent().triple)), IsOk());
}

TEST_F(StoreTest, AssertedAndQuotedStatementLeavesOnlyWhenBothGo) {
  WriteBatch b = Vocabulary();
  b.statements = {Sent(), Denial()};
  absl::StatusOr<WriteResult> r = store().Write(b);
  ASSERT_THAT(r, IsOk());
  const std::string sent = r->statement_ids[0];
  const std::string denial = r->statement_ids[1];
  ASSERT_THAT(store().Retract(sent, "doc1"), IsOk());
  EXPECT_EQ(store().NewReader()->Stats()->statements, 2u);  // still quoted
  ASSERT_THAT(store().Retract(denial, "doc1"), IsOk());
  EXPECT_EQ(store().NewReader()->Stats()->statements, 0u);
}

TEST_F(StoreTest, ABatchWithOneBadItemIsRejectedWholeAndChangesNothing) {
  ASSERT_THAT(store().Write(Vocabulary()), IsOk());
  Close();
  const std::string before = Dump();
  Reopen();
  WriteBatch b;
  b.entities = {{"ukraine", "Ukraine", "Country", {}}};
  StatementInput bad = Sent();
  bad.triple.object = Term::Entity("atlantis");
  b.statements = {Sent(), bad};
  EXPECT_THAT(
      store().Write(b),
      StatusIs(absl::StatusCode::kNotFound,
               HasSubstr("statements[1].triple.object: no entity 'atlantis'")));
  EXPECT_THAT(store().NewReader()->GetEntity("ukraine"),
              StatusIs(absl::StatusCode::kNotFound));
  Close();
  EXPECT_EQ(Dump(), before);
}

struct BadInput {
  std::string name;
  std::function<void(WriteBatch&)> mutate;
  absl::StatusCode code;
  std::string field;
};

class StoreBadInputTest : public StoreTest,
                          public ::testing::WithParamInterface<int> {};

std::vector<BadInput> BadInputs() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  auto stmt = [](WriteBatch& b) -> StatementInput& {
    return b.statements.back();
  };
  using C = absl::StatusCode;
  return {
      {"empty entity id",
       [](WriteBatch& b) {
         b.entities.push_back({"", "X", "Country", {}});
       },
       C::kInvalidArgument, "entities[0].id"},
      {"id with whitespace",
       [](WriteBatch& b) {
         b.entities.push_back({"north korea", "X", "Country", {}});
       },
       C::kInvalidArgument, "entities[0].id"},
      {"id with control character",
       [](WriteBatch& b) {
         b.entities.push_back({"a\tb", "X", "Country", {}});
       },
       C::kInvalidArgument, "entities[0].id"},
      {"uppercase id",
       [](WriteBatch& b) {
         b.entities.push_back({"Russia", "X", "Country", {}});
       },
       C::kInvalidArgument, "entities[0].id"},
      {"over-long id",
       [](WriteBatch& b) {
         b.entities.push_back({std::string(129, 'a'), "X", "Country", {}});
       },
       C::kInvalidArgument, "entities[0].id"},
      {"label not UTF-8",
       [](WriteBatch& b) {
         b.entities.push_back({"x", "bad \xc3\x28", "Country", {}});
       },
       C::kInvalidArgument, "entities[0].label"},
      {"label with NUL",
       [](WriteBatch& b) {
         b.entities.push_back({"x", std::string("a\0b", 3), "Country", {}});
       },
       C::kInvalidArgument, "entities[0].label"},
      {"over-long label",
       [](WriteBatch& b) {
         b.entities.push_back({"x", std::string(1025, 'a'), "Country", {}});
       },
       C::kInvalidArgument, "entities[0].label"},
      {"alias with control character",
       [](WriteBatch& b) {
         b.entities.push_back({"x", "X", "Country", {"ok", "a\x01"}});
       },
       C::kInvalidArgument, "entities[0].aliases[1]"},
      {"empty type",
       [](WriteBatch& b) {
         b.entities.push_back({"x", "X", "", {}});
       },
       C::kInvalidArgument, "entities[0].type"},
      {"relation id empty",
       [](WriteBatch& b) {
         b.relations.push_back({"", "x", false, Polarity::kNone});
       },
       C::kInvalidArgument, "relations[0].id"},
      {"symmetric claim relation",
       [](WriteBatch& b) {
         b.relations.push_back({"said", "said", true, Polarity::kSupports});
       },
       C::kInvalidArgument, "relations[0].symmetric"},
      {"text document without title",
       [](WriteBatch& b) {
         b.documents.push_back({"d", "", "", std::nullopt, "Some text."});
       },
       C::kInvalidArgument, "documents[0].title"},
      {"document id that is neither a slug nor an IRI",
       [](WriteBatch& b) {
         b.documents.push_back({"Not A Slug", "T", "", std::nullopt, ""});
       },
       C::kInvalidArgument, "documents[0].id"},
      {"document text changed",
       [](WriteBatch& b) {
         b.documents.push_back({"doc1", "T", "", std::nullopt, "other"});
       },
       C::kAlreadyExists, "documents[0].text"},
      {"confidence NaN",
       [=](WriteBatch& b) { stmt(b).provenance[0].confidence = nan; },
       C::kInvalidArgument, "statements[0].provenance[0].confidence"},
      {"confidence infinite",
       [=](WriteBatch& b) { stmt(b).provenance[0].confidence = inf; },
       C::kInvalidArgument, "statements[0].provenance[0].confidence"},
      {"confidence above 1",
       [=](WriteBatch& b) { stmt(b).provenance[0].confidence = 1.5; },
       C::kInvalidArgument, "statements[0].provenance[0].confidence"},
      {"confidence negative",
       [=](WriteBatch& b) { stmt(b).provenance[0].confidence = -0.1; },
       C::kInvalidArgument, "statements[0].provenance[0].confidence"},
      {"evidence outside the text",
       [=](WriteBatch& b) { stmt(b).provenance[0].evidence_end = 10000; },
       C::kInvalidArgument, "statements[0].provenance[0].evidence_end"},
      {"evidence reversed",
       [=](WriteBatch& b) {
         stmt(b).provenance[0].evidence_start = 40;
         stmt(b).provenance[0].evidence_end = 3;
       },
       C::kInvalidArgument, "statements[0].provenance[0].evidence_end"},
      {"evidence not the quoted sentence",
       [=](WriteBatch& b) {
         stmt(b).provenance[0].evidence =
             "North Korea sent troops to Ukraine in October.";
       },
       C::kInvalidArgument, "statements[0].provenance[0].evidence"},
      {"evidence with NUL",
       [=](WriteBatch& b) {
         stmt(b).provenance[0].evidence = std::string("a\0", 2);
       },
       C::kInvalidArgument, "statements[0].provenance[0].evidence"},
      {"hedge unspecified",
       [=](WriteBatch& b) {
         stmt(b).provenance[0].hedge = Hedge::kUnspecified;
       },
       C::kInvalidArgument, "statements[0].provenance[0].hedge"},
      {"valid time reversed",
       [=](WriteBatch& b) {
         stmt(b).provenance[0].valid_time = {Date{2024, 6, 0},
                                             Date{2023, 0, 0}};
       },
       C::kInvalidArgument, "statements[0].provenance[0].valid_time"},
      {"unknown subject entity",
       [=](WriteBatch& b) {
         stmt(b).triple.subject = Term::Entity("atlantis");
       },
       C::kNotFound, "statements[0].triple.subject"},
      {"unknown relation",
       [=](WriteBatch& b) { stmt(b).triple.relation = "invaded"; },
       C::kNotFound, "statements[0].triple.relation"},
      {"unknown document",
       [=](WriteBatch& b) { stmt(b).provenance[0].document_id = "doc9"; },
       C::kNotFound, "statements[0].provenance[0].document_id"},
      {"unknown quoted statement",
       [=](WriteBatch& b) {
         stmt(b).triple.object = Term::StatementId("s" + std::string(32, '0'));
       },
       C::kNotFound, "statements[0].triple.object"},
      {"malformed statement id",
       [=](WriteBatch& b) {
         stmt(b).triple.object = Term::StatementId("s-not-an-id");
       },
       C::kInvalidArgument, "statements[0].triple.object"},
      {"literal subject",
       [=](WriteBatch& b) {
         stmt(b).triple.subject = Term::Literal(LiteralType::kString, "x");
       },
       C::kInvalidArgument, "statements[0].triple.subject"},
      {"date that does not parse",
       [=](WriteBatch& b) {
         stmt(b).triple.object =
             Term::Literal(LiteralType::kDate, "2024-02-30");
       },
       C::kInvalidArgument, "statements[0].triple.object"},
      {"integer that does not parse",
       [=](WriteBatch& b) {
         stmt(b).triple.object = Term::Literal(LiteralType::kInteger, "12,000");
       },
       C::kInvalidArgument, "statements[0].triple.object"},
      {"decimal that does not parse",
       [=](WriteBatch& b) {
         stmt(b).triple.object = Term::Literal(LiteralType::kDecimal, "1e5");
       },
       C::kInvalidArgument, "statements[0].triple.object"},
      {"string literal with NUL",
       [=](WriteBatch& b) {
         stmt(b).triple.object =
             Term::Literal(LiteralType::kString, std::string("a\0", 2));
       },
       C::kInvalidArgument, "statements[0].triple.object"},
      {"over-long string literal",
       [=](WriteBatch& b) {
         stmt(b).triple.object =
             Term::Literal(LiteralType::kString, std::string(65537, 'a'));
       },
       C::kInvalidArgument, "statements[0].triple.object"},
      {"no provenance", [=](WriteBatch& b) { stmt(b).provenance.clear(); },
       C::kInvalidArgument, "statements[0].provenance"},
      {"bad entity inside a quoted statement",
       [=](WriteBatch& b) {
         stmt(b).triple.object =
             Term::Quoted(Triple{Term::Entity("atlantis"), "sent_troops_to",
                                 Term::Entity("russia")});
       },
       C::kNotFound, "statements[0].triple.object.quoted.subject"},
  };
}

TEST_P(StoreBadInputTest, IsRejectedNamingTheFieldAndChangesNothing) {
  const BadInput bad = BadInputs()[GetParam()];
  SCOPED_TRACE(bad.name);
  ASSERT_THAT(store().Write(Vocabulary()), IsOk());
  Close();
  const std::string before = Dump();
  Reopen();
  WriteBatch b;
  b.statements = {Sent()};
  bad.mutate(b);
  if (!b.entities.empty() || !b.relations.empty() || !b.documents.empty()) {
    b.statements.clear();
  }
  EXPECT_THAT(store().Write(b), StatusIs(bad.code, HasSubstr(bad.field + ":")));
  // The bulk path validates the same way.
  EXPECT_THAT(store().BulkLoad(b), StatusIs(bad.code, HasSubstr(bad.field)));
  Close();
  EXPECT_EQ(Dump(), before);
}

INSTANTIATE_TEST_SUITE_P(All, StoreBadInputTest,
                         ::testing::Range(0,
                                          static_cast<int>(BadInputs().size())),
                         [](const ::testing::TestParamInfo<int>& info) {
                           std::string name = BadInputs()[info.param].name;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c)))
                               c = '_';
                           }
                           return name;
                         });

TEST_F(StoreTest, NestingDeeperThanTheLimitIsRejected) {
  ASSERT_THAT(store().Write(Vocabulary()), IsOk());
  Term t = Term::Quoted(Sent().triple);
  for (int i = 0; i < Limits::kMaxQuoteDepth + 1; ++i) {
    t = Term::Quoted(Triple{Term::Entity("kremlin"), "denied", t});
  }
  WriteBatch b;
  b.statements = {{Triple{Term::Entity("nis"), "reported", t}, {Evidence(2)}}};
  EXPECT_THAT(store().Write(b), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("nest deeper")));
}

TEST_F(StoreTest, LiteralsAreStoredInCanonicalForm) {
  WriteBatch b = Vocabulary();
  b.relations.push_back({"troop_count", "troop count", false, Polarity::kNone});
  b.statements = {{Triple{Term::Entity("north_korea"), "troop_count",
                          Term::Literal(LiteralType::kInteger, "+012000")},
                   {Evidence(0)}}};
  absl::StatusOr<WriteResult> r = store().Write(b);
  ASSERT_THAT(r, IsOk());
  absl::StatusOr<Statement> st =
      store().NewReader()->GetStatement(r->statement_ids[0]);
  ASSERT_THAT(st, IsOk());
  EXPECT_EQ(st->object.literal.lexical, "12000");
  // The same number written differently is the same statement.
  EXPECT_EQ(
      r->statement_ids[0],
      StatementIdOf(Triple{Term::Entity("north_korea"), "troop_count",
                           Term::Literal(LiteralType::kInteger, "12000")}));
}

TEST_F(StoreTest, EverythingSurvivesReopen) {
  WriteBatch b = Vocabulary();
  b.statements = {Sent(), Denial()};
  ASSERT_THAT(store().Write(b), IsOk());
  const StoreStats before = *store().NewReader()->Stats();
  Reopen();
  auto reader = store().NewReader();
  const StoreStats after = *reader->Stats();
  EXPECT_EQ(after.entities, before.entities);
  EXPECT_EQ(after.statements, before.statements);
  EXPECT_EQ(after.provenance_records, before.provenance_records);
  EXPECT_EQ(after.terms, before.terms);
  EXPECT_EQ(after.statements, 2u);
  // New terms after reopen do not reuse ids.
  WriteBatch more;
  more.entities = {{"ukraine", "Ukraine", "Country", {}}};
  more.statements = {{Triple{Term::Entity("russia"), "sent_troops_to",
                             Term::Entity("ukraine")},
                      {Evidence(0)}}};
  ASSERT_THAT(store().Write(more), IsOk());
  EXPECT_EQ(store().NewReader()->Count(Pattern{}).value(), 3u);
}

TEST_F(StoreTest, AReaderSeesOneSnapshot) {
  ASSERT_THAT(store().Write(Vocabulary()), IsOk());
  auto reader = store().NewReader();
  WriteBatch b;
  b.statements = {Sent()};
  ASSERT_THAT(store().Write(b), IsOk());
  EXPECT_EQ(reader->Count(Pattern{}).value(), 0u);
  EXPECT_EQ(reader->Stats()->statements, 0u);
  EXPECT_EQ(store().NewReader()->Count(Pattern{}).value(), 1u);
}

TEST_F(StoreTest, ConcurrentReadersNeverSeeHalfABatch) {
  WriteBatch vocab = Vocabulary();
  for (int i = 0; i < 200; ++i) {
    vocab.entities.push_back(
        {absl::StrCat("e", i), absl::StrCat("E", i), "Thing", {}});
  }
  ASSERT_THAT(store().Write(vocab), IsOk());
  std::atomic<bool> done{false};
  std::thread writer([&] {
    // Every batch adds two statements and two records.
    for (int i = 0; i < 100; ++i) {
      WriteBatch b;
      for (int k = 0; k < 2; ++k) {
        b.statements.push_back(
            {Triple{Term::Entity(absl::StrCat("e", 2 * i + k)), "allied_with",
                    Term::Entity("russia")},
             {Evidence(0)}});
      }
      ASSERT_THAT(store().Write(b), IsOk());
    }
    done = true;
  });
  int checks = 0;
  while (!done || checks == 0) {
    auto reader = store().NewReader();
    Pattern p;
    p.relation = "allied_with";
    const uint64_t n = reader->Count(p).value();
    EXPECT_EQ(n % 2, 0u);
    const StoreStats stats = *reader->Stats();
    EXPECT_EQ(stats.statements, n);
    EXPECT_EQ(stats.provenance_records, n);
    ++checks;
  }
  writer.join();
  EXPECT_EQ(store().NewReader()->Count(Pattern{}).value(), 200u);
}

TEST_F(StoreTest, BulkLoadGivesTheSameStoreAsOnlineWrites) {
  auto batches = [this] {
    std::vector<WriteBatch> out(2);
    out[0] = Vocabulary();
    // Quoted before it is asserted, and asserted twice: statements the load
    // makes, one record found again.
    const Triple allied{Term::Entity("russia"), "allied_with",
                        Term::Entity("north_korea")};
    out[0].statements = {
        Sent(),
        Denial(),
        {Triple{Term::Entity("nis"), "reported", Term::Quoted(allied)},
         {Evidence(1)}},
        {allied, {Evidence(1, 0.6)}},
        {allied, {Evidence(1, 0.6)}},
    };
    out[1].entities = {{"ukraine", "Ukraine", "Country", {"Kyiv"}}};
    out[1].statements = {
        {Triple{Term::Entity("russia"), "sent_troops_to",
                Term::Entity("ukraine")},
         {Evidence(0), Evidence(2, 0.4)}},
        {Triple{Term::Entity("nis"), "reported", Term::Quoted(Sent().triple)},
         {Evidence(2, 0.7)}},
        Sent(),  // a retry: unchanged
    };
    return out;
  };
  for (const WriteBatch& b : batches()) ASSERT_THAT(store().Write(b), IsOk());
  Close();
  const std::string online = Dump();

  testing::ScopedTempDir other;
  std::filesystem::remove_all(path());
  Reopen();
  for (const WriteBatch& b : batches())
    ASSERT_THAT(store().BulkLoad(b), IsOk());
  Close();
  EXPECT_EQ(Dump(), online);
}

// A bulk load that is a replica set's log entry (stamped with the entry's
// time when it begins, committed at its position) makes the store a write
// with the same stamp makes, key for key, the log position and its time
// included; the same position again is refused.
TEST_F(StoreTest, AStampedBulkLoadIsTheStampedWrite) {
  const absl::Time at = absl::FromUnixSeconds(1729000000);
  WriteBatch batch = Vocabulary();
  batch.statements = {Sent(), Denial()};
  WriteBatch stamped = batch;
  stamped.replica = ReplicaStamp{at, 7};
  ASSERT_THAT(store().Write(stamped), IsOk());
  Close();
  const std::string written = Dump();

  std::filesystem::remove_all(path());
  Reopen();
  absl::StatusOr<std::unique_ptr<BulkLoader>> loader =
      store().BeginBulkLoad(at);
  ASSERT_THAT(loader, IsOk());
  WriteResult result;
  ASSERT_THAT((*loader)->Add(batch, "", &result), IsOk());
  ASSERT_THAT((*loader)->Commit(7), IsOk());
  EXPECT_EQ(store().log_position(), 7u);
  EXPECT_EQ(store().log_time(), at);
  loader = store().BeginBulkLoad(at + absl::Seconds(1));
  ASSERT_THAT(loader, IsOk());
  ASSERT_THAT((*loader)->Add(Vocabulary(), "", &result), IsOk());
  EXPECT_THAT((*loader)->Commit(7),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("log_position: 7 is applied already")));
  loader->reset();  // a loader never outlives its store
  Close();
  EXPECT_EQ(Dump(), written);
}

// A load given in parts (an import stream's batches) is the load of the
// parts joined: blank labels shared across parts are one node, a statement
// quoted in one part is asserted in another, a claim and its denial come in
// different parts and the statement is contested, repeats are unchanged.
TEST_F(StoreTest, ABulkLoadInPartsGivesTheSameStoreAsOneBatch) {
  auto parts = [this] {
    std::vector<WriteBatch> out(3);
    out[0] = Vocabulary();
    const Triple allied{Term::Entity("russia"), "allied_with",
                        Term::Entity("north_korea")};
    out[0].statements = {
        {Triple{Term::Entity("nis"), "reported", Term::Quoted(Sent().triple)},
         {Evidence(2, 0.7)}},
        {Triple{Term::Entity("nis"), "reported", Term::Quoted(allied)},
         {Evidence(1)}},
        {Triple{Term::Blank("b1"), "allied_with", Term::Entity("russia")},
         {Evidence(0)}},
    };
    out[0].entities.push_back({"ukraine", "Ukraine", "Country", {"Kyiv"}});
    // Repeated unchanged. (A new item in a later part would get its term
    // id after the earlier parts' statements: the same store but for the
    // numbering.)
    out[1].entities = {Vocabulary().entities[0]};
    out[1].statements = {
        Denial(),
        {allied, {Evidence(1, 0.6)}},
        {Triple{Term::Blank("b1"), "allied_with", Term::Entity("ukraine")},
         {Evidence(0)}},
    };
    out[2].statements = {Sent(), {allied, {Evidence(1, 0.6)}}};
    return out;
  };
  WriteBatch joined;
  for (WriteBatch& part : parts()) {
    for (Entity& e : part.entities) joined.entities.push_back(std::move(e));
    for (Relation& r : part.relations) joined.relations.push_back(std::move(r));
    for (Document& d : part.documents) joined.documents.push_back(std::move(d));
    for (StatementInput& st : part.statements)
      joined.statements.push_back(std::move(st));
  }
  // The blank scope is drawn at random: the same for both loads here.
  joined.blank_scope = "scope";
  ASSERT_THAT(store().BulkLoad(joined), IsOk());
  Close();
  const std::string one_batch = Dump();

  std::filesystem::remove_all(path());
  Reopen();
  {
    absl::StatusOr<std::unique_ptr<BulkLoader>> loader =
        store().BeginBulkLoad();
    ASSERT_THAT(loader, IsOk());
    uint64_t created = 0, unchanged = 0;
    std::vector<WriteBatch> given = parts();
    for (size_t i = 0; i < given.size(); ++i) {
      given[i].blank_scope = "scope";
      WriteResult result;
      ASSERT_THAT(
          (*loader)->Add(given[i], absl::StrCat("batches[", i, "]"), &result),
          IsOk());
      EXPECT_EQ(result.statement_ids.size(), given[i].statements.size());
      created += result.statements_created;
      unchanged += result.provenance_unchanged;
    }
    EXPECT_EQ(created, 7u);  // 8 given, `allied` twice
    EXPECT_EQ(unchanged, 1u);
    // Nothing is in the store before the commit.
    EXPECT_EQ(store().NewReader()->Stats().value().statements, 0u);
    ASSERT_THAT((*loader)->Commit(), IsOk());
  }
  auto reader = store().NewReader();
  absl::StatusOr<std::vector<ContestedEntry>> contested =
      reader->ListContestedIndex(0, "", 10);
  ASSERT_THAT(contested, IsOk());
  ASSERT_EQ(contested->size(), 1u);
  EXPECT_EQ(contested->front().supporting, 1u);
  EXPECT_EQ(contested->front().opposing, 1u);
  reader.reset();
  Close();
  EXPECT_EQ(Dump(), one_batch);

  // Without a scope of their own, the parts share one: b1 is one node.
  std::filesystem::remove_all(path());
  Reopen();
  {
    auto loader = store().BeginBulkLoad().value();
    std::vector<WriteBatch> given = parts();
    for (size_t i = 0; i < given.size(); ++i) {
      WriteResult result;
      ASSERT_THAT(loader->Add(given[i], absl::StrCat("part", i), &result),
                  IsOk());
    }
    ASSERT_THAT(loader->Commit(), IsOk());
  }
  Pattern p;
  p.relation = "allied_with";
  std::set<std::string> subjects;
  const MatchPage page = store().NewReader()->Match(p, {}).value();
  for (const Statement& st : page.statements) {
    if (st.subject.kind == Term::Kind::kBlank) subjects.insert(st.subject.id);
  }
  EXPECT_EQ(subjects.size(), 1u);
}

// An item of a later part repeating an earlier part's with other content
// is refused as within one batch, naming both; the store is as before.
TEST_F(StoreTest, ABulkLoadRefusesAPartRepeatingAnEarlierOneWithOtherContent) {
  ASSERT_THAT(store().Write(Vocabulary()), IsOk());
  const std::string before = [&] {
    Close();
    std::string dump = Dump();
    Reopen();
    return dump;
  }();
  struct Case {
    std::string name;
    std::function<void(WriteBatch&)> later;  // the second part
    std::string message;
  };
  const std::vector<Case> cases = {
      {"entity",
       [](WriteBatch& b) {
         b.entities = {{"ukraine", "Ukraina", "Country", {}}};
       },
       "batches[1].entities[0]: duplicates batches[0].entities[0] with other "
       "content (id 'ukraine')"},
      {"record",
       [this](WriteBatch& b) {
         b.statements = {{Sent().triple, {Evidence(0, 0.2)}}};
       },
       "batches[1].statements[0].provenance[0]: duplicates a record of an "
       "earlier part of this write with other content"},
      {"document",
       [](WriteBatch& b) {
         b.documents = {{.id = "doc2",
                         .title = "Two",
                         .publisher = "",
                         .published = std::nullopt,
                         .text = "Other text."}};
       },
       "batches[1].documents[0]: duplicates batches[0].documents[0]"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto loader = store().BeginBulkLoad().value();
    WriteBatch first;
    first.entities = {{"ukraine", "Ukraine", "Country", {}}};
    first.documents = {{.id = "doc2",
                        .title = "Two",
                        .publisher = "",
                        .published = std::nullopt,
                        .text = "A text."}};
    first.statements = {Sent()};
    WriteResult result;
    ASSERT_THAT(loader->Add(first, "batches[0]", &result), IsOk());
    WriteBatch second;
    c.later(second);
    EXPECT_THAT(
        loader->Add(second, "batches[1]", &result),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
    // Nothing more is taken, and nothing was written.
    EXPECT_THAT(loader->Commit(),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  // A relation given only in a later part is not there yet, and the error
  // says why.
  {
    auto loader = store().BeginBulkLoad().value();
    WriteBatch first;
    first.statements = {
        {Triple{Term::Entity("nis"), "visited", Term::Entity("russia")},
         {Evidence(0)}}};
    WriteResult result;
    EXPECT_THAT(loader->Add(first, "batches[0]", &result),
                StatusIs(absl::StatusCode::kNotFound,
                         ::testing::AllOf(
                             HasSubstr("batches[0].statements[0]"),
                             HasSubstr("no relation 'visited'"),
                             HasSubstr("before the part that uses them"))));
  }
  Close();
  EXPECT_EQ(Dump(), before);
}

// Writes wait while a bulk loader is open and go in after it commits; a
// loader idle past StoreOptions::bulk_load_idle_timeout while a write waits
// is abandoned, and its commit is refused with nothing written.
TEST_F(StoreTest, WritesWaitForABulkLoaderAndAnIdleOneIsAbandoned) {
  bulk_load_idle_timeout_ = absl::Seconds(60);
  Reopen();
  ASSERT_THAT(store().Write(Vocabulary()), IsOk());
  WriteBatch part;
  part.statements = {Sent()};
  WriteBatch other;
  other.statements = {Denial()};
  {
    auto loader = store().BeginBulkLoad().value();
    WriteResult result;
    ASSERT_THAT(loader->Add(part, "batches[0]", &result), IsOk());
    std::atomic<bool> written{false};
    std::thread writer([&] {
      EXPECT_THAT(store().Write(other), IsOk());
      written = true;
    });
    absl::SleepFor(absl::Milliseconds(300));
    EXPECT_FALSE(written) << "a write went in while the loader was open";
    ASSERT_THAT(loader->Commit(), IsOk());
    writer.join();
    EXPECT_TRUE(written);
  }
  EXPECT_EQ(store().NewReader()->Stats().value().statements, 2u);

  bulk_load_idle_timeout_ = absl::Milliseconds(200);
  Reopen();
  auto loader = store().BeginBulkLoad().value();
  WriteBatch more;
  more.statements = {
      {Triple{Term::Entity("nis"), "reported", Term::Quoted(Sent().triple)},
       {Evidence(2)}}};
  WriteResult result;
  ASSERT_THAT(loader->Add(more, "batches[0]", &result), IsOk());
  WriteBatch late;
  late.statements = {{Triple{Term::Entity("russia"), "allied_with",
                             Term::Entity("north_korea")},
                      {Evidence(1)}}};
  // Returns once the loader has been idle for 200 ms.
  ASSERT_THAT(store().Write(late), IsOk());
  EXPECT_THAT(loader->Add(more, "batches[1]", &result),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("abandoned")));
  EXPECT_THAT(loader->Commit(), StatusIs(absl::StatusCode::kAborted,
                                         HasSubstr("nothing was written")));
  loader.reset();
  EXPECT_EQ(store().NewReader()->Stats().value().statements, 3u);
  // The next loader is not held up by the abandoned one.
  auto next = store().BeginBulkLoad().value();
  ASSERT_THAT(next->Add(more, "batches[0]", &result), IsOk());
  ASSERT_THAT(next->Commit(), IsOk());
  EXPECT_EQ(store().NewReader()->Stats().value().statements, 4u);
}

// A kill while a store is being created leaves its directory marked
// (KG_CREATING, with a RocksDB of some of kg's families): the next open
// makes the store again from nothing, where it used to refuse it.
TEST_F(StoreTest, AStoreWhoseCreationWasCutShortIsMadeAgain) {
  Close();
  EXPECT_FALSE(std::filesystem::exists(path() + "/KG_CREATING"));
  const std::string cut = dir_.Sub("cut");
  {
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* raw;
    ASSERT_TRUE(rocksdb::DB::Open(o, cut, &raw).ok());
    delete raw;
    std::ofstream(cut + "/KG_CREATING").flush();
  }
  absl::StatusOr<std::unique_ptr<Store>> reopened =
      Store::Open(StoreOptions{}, cut);
  ASSERT_THAT(reopened, IsOk());
  EXPECT_FALSE(std::filesystem::exists(cut + "/KG_CREATING"));
  ASSERT_THAT((*reopened)->Write(Vocabulary()), IsOk());
  EXPECT_EQ((*reopened)->NewReader()->Stats().value().entities, 4u);
}

TEST_F(StoreTest, OpensOnlyKgStoresOfItsFormat) {
  ASSERT_THAT(store().Write(Vocabulary()), IsOk());
  Close();
  // A RocksDB that is not a kg store.
  const std::string foreign = dir_.Sub("foreign");
  {
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* raw;
    ASSERT_TRUE(rocksdb::DB::Open(o, foreign, &raw).ok());
    delete raw;
  }
  EXPECT_THAT(Store::Open(StoreOptions{}, foreign),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("not a kg store")));
  // A kg store of another format version.
  {
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* name : kCfNames)
      cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw;
    ASSERT_TRUE(
        rocksdb::DB::Open(rocksdb::DBOptions(), path(), cfs, &handles, &raw)
            .ok());
    ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), handles[0], kFormatKey,
                         std::string("\0\0\0\x63", 4))
                    .ok());
    for (auto* h : handles) raw->DestroyColumnFamilyHandle(h);
    delete raw;
  }
  const std::string before = Dump();
  EXPECT_THAT(
      Store::Open(StoreOptions{}, path()),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("format 99")));
  EXPECT_EQ(Dump(), before);
  // A file, and a non-empty directory of other things.
  std::ofstream(dir_.Sub("file")) << "x";
  EXPECT_THAT(Store::Open(StoreOptions{}, dir_.Sub("file")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("not a directory")));
  std::filesystem::create_directories(dir_.Sub("other"));
  std::ofstream(dir_.Sub("other/x")) << "x";
  EXPECT_THAT(Store::Open(StoreOptions{}, dir_.Sub("other")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("holds no kg store")));
}

TEST_F(StoreTest, ACorruptStoreFailsToOpenClearly) {
  ASSERT_THAT(store().Write(Vocabulary()), IsOk());
  Close();
  // Point CURRENT at a manifest that does not exist.
  std::ofstream(path() + "/CURRENT", std::ios::trunc) << "MANIFEST-999999\n";
  absl::StatusOr<std::unique_ptr<Store>> s =
      Store::Open(StoreOptions{}, path());
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr(path()));
}

TEST_F(StoreTest, ASecondOpenOfTheSameDirectoryIsUnavailable) {
  EXPECT_THAT(Store::Open(StoreOptions{}, path()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("in use")));
}

TEST_F(StoreTest, CheckpointIsAnOpenableCopy) {
  WriteBatch b = Vocabulary();
  b.statements = {Sent(), Denial()};
  ASSERT_THAT(store().Write(b), IsOk());
  const std::string copy = dir_.Sub("backup");
  ASSERT_THAT(store().Checkpoint(copy), IsOk());
  absl::StatusOr<std::unique_ptr<Store>> restored =
      Store::Open(StoreOptions{}, copy);
  ASSERT_THAT(restored, IsOk());
  EXPECT_EQ((*restored)->NewReader()->Stats()->statements, 2u);
  EXPECT_FALSE(store().Checkpoint(copy).ok());  // must not exist yet
}

}  // namespace
}  // namespace kg::storage

namespace kg::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::IsOk;

std::vector<std::string> Describe(Reader& reader, NodeId node, Direction d) {
  std::vector<Edge> edges;
  reader.Neighbors(node, d, &edges);
  std::vector<std::string> out;
  for (const Edge& e : edges) {
    TermValue neighbor = reader.TermAt(e.neighbor).value();
    out.push_back(reader.RelationAt(e.relation).value() + " " + neighbor.id +
                  " via " + reader.StatementAt(e.statement)->id);
  }
  return out;
}

TEST_F(StoreTest, NeighborsMirrorTheIndexesFromMemory) {
  WriteBatch b = Vocabulary();
  b.statements = {Sent(), Denial()};
  absl::StatusOr<WriteResult> r = store().Write(b);
  ASSERT_THAT(r, IsOk());
  const std::string sent = r->statement_ids[0], denial = r->statement_ids[1];
  auto reader = store().NewReader();
  const NodeId nk = reader->NodeOf(Term::Entity("north_korea")).value();
  const NodeId ru = reader->NodeOf(Term::Entity("russia")).value();
  const NodeId st = reader->NodeOf(Term::StatementId(sent)).value();
  EXPECT_THAT(Describe(*reader, nk, Direction::kOutgoing),
              ElementsAre("sent_troops_to russia via " + sent));
  EXPECT_THAT(Describe(*reader, nk, Direction::kIncoming), IsEmpty());
  EXPECT_THAT(Describe(*reader, ru, Direction::kIncoming),
              ElementsAre("sent_troops_to north_korea via " + sent));
  // The claim edge arrives at the quoted statement's node.
  EXPECT_THAT(Describe(*reader, st, Direction::kIncoming),
              ElementsAre("denied kremlin via " + denial));
  EXPECT_EQ(
      reader->RelationAt(reader->RelationNodeOf("denied").value()).value(),
      "denied");
  EXPECT_THAT(reader->RelationNodeOf("invaded"),
              testing::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(reader->NodeOf(Term::Entity("atlantis")),
              testing::StatusIs(absl::StatusCode::kNotFound));

  // Rebuilt from the SPO index on open.
  reader.reset();
  Reopen();
  auto again = store().NewReader();
  EXPECT_THAT(Describe(*again, st, Direction::kIncoming),
              ElementsAre("denied kremlin via " + denial));
  EXPECT_THAT(Describe(*again, nk, Direction::kOutgoing),
              ElementsAre("sent_troops_to russia via " + sent));
}

TEST_F(StoreTest, NeighborsFollowTheReadersSnapshot) {
  WriteBatch b = Vocabulary();
  b.statements = {Sent()};
  absl::StatusOr<WriteResult> r = store().Write(b);
  ASSERT_THAT(r, IsOk());
  auto before = store().NewReader();
  const NodeId nk = before->NodeOf(Term::Entity("north_korea")).value();
  ASSERT_THAT(store().Retract(r->statement_ids[0], "doc1"), IsOk());
  auto after = store().NewReader();
  EXPECT_THAT(Describe(*before, nk, Direction::kOutgoing),
              ::testing::SizeIs(1));
  EXPECT_THAT(Describe(*after, nk, Direction::kOutgoing), IsEmpty());
  // Re-asserted: visible to new readers only.
  WriteBatch again;
  again.statements = {Sent()};
  ASSERT_THAT(store().Write(again), IsOk());
  EXPECT_THAT(Describe(*after, nk, Direction::kOutgoing), IsEmpty());
  EXPECT_THAT(Describe(*store().NewReader(), nk, Direction::kOutgoing),
              ::testing::SizeIs(1));
  before.reset();
  after.reset();
  // Pruned history does not resurface.
  ASSERT_THAT(store().Retract(r->statement_ids[0], "doc1"), IsOk());
  EXPECT_THAT(Describe(*store().NewReader(), nk, Direction::kOutgoing),
              IsEmpty());
}

TEST_F(StoreTest, NeighborsAgreeWithPatternScansOnRandomData) {
  WriteBatch vocab = Vocabulary();
  for (int i = 0; i < 30; ++i) {
    vocab.entities.push_back(
        {absl::StrCat("e", i), absl::StrCat("E", i), "Thing", {}});
  }
  ASSERT_THAT(store().Write(vocab), IsOk());
  std::mt19937 rng(7);
  const char* relations[] = {"sent_troops_to", "allied_with", "denied",
                             "reported"};
  std::vector<std::string> ids;
  for (int round = 0; round < 10; ++round) {
    WriteBatch b;
    for (int k = 0; k < 30; ++k) {
      Term object = Term::Entity(absl::StrCat("e", rng() % 30));
      if (!ids.empty() && rng() % 4 == 0) {
        object = Term::StatementId(ids[rng() % ids.size()]);
      }
      b.statements.push_back(
          {Triple{Term::Entity(absl::StrCat("e", rng() % 30)),
                  relations[rng() % 4], object},
           {Evidence(rng() % 3)}});
    }
    absl::StatusOr<WriteResult> r = store().Write(b);
    ASSERT_THAT(r, IsOk()) << "seed 7";
    ids.insert(ids.end(), r->statement_ids.begin(), r->statement_ids.end());
    for (int k = 0; k < 3; ++k) {
      (void)store().Retract(ids[rng() % ids.size()], "doc1");
    }
  }
  auto reader = store().NewReader();
  for (int i = 0; i < 30; ++i) {
    const std::string id = absl::StrCat("e", i);
    const NodeId node = reader->NodeOf(Term::Entity(id)).value();
    for (Direction d : {Direction::kOutgoing, Direction::kIncoming}) {
      std::vector<Edge> edges;
      reader->Neighbors(node, d, &edges);
      std::set<std::string> from_memory, from_index;
      for (const Edge& e : edges) {
        from_memory.insert(reader->StatementAt(e.statement)->id);
      }
      Pattern p;
      (d == Direction::kOutgoing ? p.subject : p.object) = Term::Entity(id);
      MatchOptions all;
      all.include_quoted = true;
      all.limit = 10000;
      absl::StatusOr<MatchPage> page = reader->Match(p, all);
      ASSERT_THAT(page, IsOk());
      for (const Statement& s : page->statements) from_index.insert(s.id);
      EXPECT_EQ(from_memory, from_index) << "seed 7, node " << id;
    }
  }
}

}  // namespace
}  // namespace kg::storage

namespace kg::storage {
namespace {

// Runs a child process that opens the store at `path` and calls step(store,
// n) for n = 0 .. steps-1, reporting each step that succeeded through a
// pipe. The parent waits for `min_reported` reports, then for
// `before_kill` (may be empty), kills the child with SIGKILL and returns
// the last step it reported; -1 when it reported none.
int RunChildAndKill(const std::string& path, int steps,
                    const std::function<bool(Store&, int)>& step,
                    int min_reported,
                    const std::function<void()>& before_kill = {}) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    close(fds[0]);
    absl::StatusOr<std::unique_ptr<Store>> s =
        Store::Open(StoreOptions{}, path);
    if (!s.ok()) _exit(2);
    for (int n = 0; n < steps; ++n) {
      if (!step(**s, n)) _exit(3);
      if (write(fds[1], &n, sizeof n) != sizeof n) _exit(4);
    }
    _exit(0);
  }
  close(fds[1]);
  int last = -1, got;
  while (last + 1 < min_reported &&
         read(fds[0], &got, sizeof got) == sizeof got) {
    last = got;
  }
  if (before_kill) before_kill();
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
  while (read(fds[0], &got, sizeof got) == sizeof got) last = got;
  close(fds[0]);
  return last;
}

// A child process writes batches and reports each acknowledgement through
// a pipe; the parent kills it with SIGKILL mid-stream and checks that every
// acknowledged batch is there in full after reopening.
// SIGKILL ends the process but not the kernel's page cache: this shows that
// nothing is acknowledged before it reaches the log and that recovery keeps
// batches whole, not that the log is synced (power_loss_test.cc does).
TEST_F(StoreTest, AcknowledgedWritesSurviveKill9) {
  WriteBatch vocab = Vocabulary();
  for (int i = 0; i < 400; ++i) {
    vocab.entities.push_back(
        {absl::StrCat("e", i), absl::StrCat("E", i), "Thing", {}});
  }
  ASSERT_THAT(store().Write(vocab), testing::IsOk());
  Close();
  auto batch_for = [](int i) {
    WriteBatch b;
    for (int k = 0; k < 2; ++k) {
      b.statements.push_back(
          {Triple{Term::Entity(absl::StrCat("e", i)), "allied_with",
                  Term::Entity(absl::StrCat("e", i + k + 1))},
           {}});
    }
    return b;
  };
  const int last = RunChildAndKill(
      path(), 398,
      [&](Store& s, int i) {
        WriteBatch b = batch_for(i);
        for (auto& st : b.statements) st.provenance = {Evidence(0)};
        return s.Write(b).ok();
      },
      /*min_reported=*/31);
  ASSERT_GE(last, 30);

  Reopen();
  auto reader = store().NewReader();
  Pattern p;
  p.relation = "allied_with";
  const uint64_t n = reader->Count(p).value();
  EXPECT_GE(n, 2u * (last + 1)) << "acknowledged batches lost";
  EXPECT_EQ(n % 2, 0u) << "half a batch survived";
  EXPECT_EQ(reader->Stats()->statements, n);
  for (int i = 0; i <= last; ++i) {
    for (const StatementInput& st : batch_for(i).statements) {
      EXPECT_THAT(reader->GetStatement(StatementIdOf(st.triple)),
                  testing::IsOk())
          << "batch " << i;
    }
  }
}

// The index entries say whether their statement is asserted (format 4), so
// an ids-only scan of asserted statements reads no statement rows; they
// follow a quoted statement that gains its first live record and loses its
// last, and Verify checks them.
TEST_F(StoreTest, IdsOnlyScansOfAssertedStatementsFollowRecordsComingAndGoing) {
  WriteBatch b = Vocabulary();
  b.statements = {Denial()};  // kremlin denied <<Sent>>: Sent is quoted only
  ASSERT_THAT(store().Write(b), testing::IsOk());
  const std::string denial = StatementIdOf(Denial().triple);
  const std::string sent = StatementIdOf(Sent().triple);
  auto scan = [&](bool include_quoted) {
    std::unique_ptr<Reader> reader = store().NewReader();
    std::set<NodeId> got;
    EXPECT_THAT(reader->ScanIds({}, include_quoted,
                                [&](const IdStatement& st) {
                                  got.insert(st.statement);
                                  return true;
                                }),
                testing::IsOk());
    std::set<std::string> ids;
    for (NodeId node : got) ids.insert(reader->StatementAt(node)->id);
    return ids;
  };
  auto verified = [&] {
    absl::StatusOr<VerifyReport> report = store().Verify([] { return false; });
    return report.ok() && report->ok();
  };
  using Ids = std::set<std::string>;
  EXPECT_EQ(scan(false), Ids{denial});
  EXPECT_EQ(scan(true), (Ids{denial, sent}));

  WriteBatch assert_it;
  assert_it.statements = {Sent()};
  ASSERT_THAT(store().Write(assert_it), testing::IsOk());
  EXPECT_EQ(scan(false), (Ids{denial, sent}));
  EXPECT_TRUE(verified());

  ASSERT_THAT(store().Retract(sent, "doc1"), testing::IsOk());
  EXPECT_EQ(scan(false), Ids{denial});
  EXPECT_EQ(scan(true), (Ids{denial, sent}));
  EXPECT_TRUE(verified());

  ASSERT_THAT(store().Retract(denial, "doc1"), testing::IsOk());
  EXPECT_EQ(scan(true), Ids{});
  EXPECT_TRUE(verified());
}

// The contested index follows claims as they are written, asserted, only
// quoted, retracted and bulk loaded; it survives a reopen, and a store
// without it (made before format 5) has it built on open.
TEST_F(StoreTest, TheContestedIndexFollowsClaimsComingAndGoing) {
  const std::string sent = StatementIdOf(Sent().triple);
  auto claim = [&](const char* who, const char* relation, int sentence) {
    return StatementInput{
        Triple{Term::Entity(who), relation, Term::Quoted(Sent().triple)},
        {Evidence(sentence)}};
  };
  auto contested = [&] {
    std::unique_ptr<Reader> reader = store().NewReader();
    absl::StatusOr<std::vector<ContestedEntry>> got =
        reader->ListContestedIndex(0, "", 100);
    EXPECT_THAT(got, testing::IsOk());
    std::vector<std::string> out;
    if (!got.ok()) return out;
    for (const ContestedEntry& e : *got) {
      EXPECT_EQ(reader->StatementAt(e.statement)->id, e.id);
      out.push_back(absl::StrCat(e.id, " ", e.supporting, "/", e.opposing, "/",
                                 e.distinct));
    }
    return out;
  };
  auto verified = [&] {
    absl::StatusOr<VerifyReport> report = store().Verify([] { return false; });
    EXPECT_THAT(report, testing::IsOk());
    if (report.ok()) {
      EXPECT_THAT(report->problems, ::testing::IsEmpty());
    }
  };
  using Rows = std::vector<std::string>;
  WriteBatch b = Vocabulary();
  b.statements = {Sent(), Denial()};
  ASSERT_THAT(store().Write(b), testing::IsOk());
  EXPECT_EQ(contested(), Rows{});  // denied, not supported

  WriteBatch nis;
  nis.statements = {claim("nis", "reported", 2)};
  ASSERT_THAT(store().Write(nis), testing::IsOk());
  EXPECT_EQ(contested(), Rows{sent + " 1/1/2"});
  verified();

  // Claims about an entity contest nothing (and Verify agrees).
  WriteBatch about_entity;
  about_entity.statements = {
      {Triple{Term::Entity("nis"), "reported", Term::Entity("russia")},
       {Evidence(2)}},
      {Triple{Term::Entity("kremlin"), "denied", Term::Entity("russia")},
       {Evidence(1)}}};
  ASSERT_THAT(store().Write(about_entity), testing::IsOk());
  EXPECT_EQ(contested(), Rows{sent + " 1/1/2"});
  verified();

  // A claimant on both sides counts once among the distinct.
  WriteBatch both;
  both.statements = {claim("kremlin", "reported", 2)};
  ASSERT_THAT(store().Write(both), testing::IsOk());
  EXPECT_EQ(contested(), Rows{sent + " 2/1/2"});

  // Russia's denial, only quoted (North Korea reported it): not said.
  const StatementInput russia = claim("russia", "denied", 1);
  WriteBatch quoted;
  quoted.statements = {{Triple{Term::Entity("north_korea"), "reported",
                               Term::Quoted(russia.triple)},
                        {Evidence(2)}}};
  ASSERT_THAT(store().Write(quoted), testing::IsOk());
  EXPECT_EQ(contested(), Rows{sent + " 2/1/2"});
  verified();

  // The only denial goes: no longer contested.
  ASSERT_THAT(store().Retract(StatementIdOf(Denial().triple), "doc1"),
              testing::IsOk());
  EXPECT_EQ(contested(), Rows{});
  verified();

  // Russia's quoted denial gains a record of its own, through a bulk load.
  WriteBatch load;
  load.statements = {russia, claim("north_korea", "denied", 1)};
  ASSERT_THAT(store().BulkLoad(load), testing::IsOk());
  EXPECT_EQ(contested(), Rows{sent + " 2/2/4"});
  verified();

  // Paged: after the only entry, nothing.
  {
    std::unique_ptr<Reader> reader = store().NewReader();
    absl::StatusOr<std::vector<ContestedEntry>> after =
        reader->ListContestedIndex(4, sent, 10);
    ASSERT_THAT(after, testing::IsOk());
    EXPECT_THAT(*after, ::testing::IsEmpty());
    EXPECT_THAT(reader->ListContestedIndex(4, "not-an-id", 10),
                testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                  ::testing::HasSubstr("after_id")));
  }

  Reopen();
  EXPECT_EQ(contested(), Rows{sent + " 2/2/4"});

  // As a store made before format 5: no index, format 4. Opening builds it.
  Close();
  EditRawStore(path(), [](rocksdb::DB* db, auto& h) {
    std::string format;
    PutFixed32(&format, 4);
    ASSERT_TRUE(db->Put({}, h[kDefaultCf], kFormatKey, format).ok());
    ASSERT_TRUE(db->Delete({}, h[kDefaultCf], kContestedBuiltKey).ok());
    ASSERT_TRUE(db->DeleteRange({}, h[kDefaultCf],
                                "contested:", PrefixSuccessor("contested:"))
                    .ok());
  });
  Reopen();
  EXPECT_EQ(store().upgraded_from_format(), std::optional<uint32_t>(4));
  EXPECT_EQ(contested(), Rows{sent + " 2/2/4"});
  verified();
}

// A bulk load killed at any moment is all or nothing: a child process runs
// bulk loads of 3,000 statements each and reports each one done; the
// parent kills it while a later one writes its SST files. After reopening,
// every reported load is there in full, no load is there in part, the store
// verifies, and the unfinished load's files are gone.
TEST_F(StoreTest, ABulkLoadKilledMidwayLeavesTheStoreAsBeforeIt) {
  constexpr int kPerLoad = 3000;
  WriteBatch vocab = Vocabulary();
  for (int i = 0; i < 100; ++i) {
    vocab.entities.push_back(
        {absl::StrCat("e", i), absl::StrCat("E", i), "Thing", {}});
  }
  ASSERT_THAT(store().Write(vocab), testing::IsOk());
  Close();
  auto load = [this](int n) {
    WriteBatch b;
    for (int k = 0; k < kPerLoad; ++k) {
      const int x = n * kPerLoad + k;
      b.statements.push_back(
          {Triple{Term::Entity(absl::StrCat("e", x % 100)), "allied_with",
                  Term::Literal(LiteralType::kInteger, absl::StrCat(x))},
           {Evidence(0)}});
    }
    return b;
  };
  // While a load writes its SST files, before their ingest.
  const auto writing_files = [&] {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(path(), ec)) {
      if (absl::StartsWith(e.path().filename().string(), "bulk-") &&
          !std::filesystem::is_empty(e.path(), ec)) {
        return true;
      }
    }
    return false;
  };
  const int last = RunChildAndKill(
      path(), 1000, [&](Store& s, int n) { return s.BulkLoad(load(n)).ok(); },
      /*min_reported=*/3,
      [&] {
        const auto give_up =
            std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!writing_files() && std::chrono::steady_clock::now() < give_up) {
        }
      });
  ASSERT_GE(last, 2);

  Reopen();
  for (const auto& e : std::filesystem::directory_iterator(path())) {
    EXPECT_FALSE(absl::StartsWith(e.path().filename().string(), "bulk-"))
        << e.path() << " was left behind";
  }
  auto reader = store().NewReader();
  Pattern p;
  p.relation = "allied_with";
  const uint64_t n = reader->Count(p).value();
  EXPECT_GE(n, uint64_t{kPerLoad} * (last + 1)) << "a finished load was lost";
  EXPECT_EQ(n % kPerLoad, 0u) << "part of a load survived";
  const StoreStats stats = reader->Stats().value();
  EXPECT_EQ(stats.statements, n);
  EXPECT_EQ(stats.provenance_records, n);
  absl::StatusOr<VerifyReport> report = store().Verify([] { return false; });
  ASSERT_THAT(report, testing::IsOk());
  EXPECT_EQ(report->problems_total, 0u)
      << absl::StrJoin(report->problems, "\n");
  // And the store takes writes again, ids going on from the counters.
  ASSERT_THAT(store().BulkLoad(load(999)), testing::IsOk());
  EXPECT_EQ(store().NewReader()->Count(p).value(), n + kPerLoad);
}

}  // namespace
}  // namespace kg::storage

namespace kg::storage {
namespace {

using testing::IsOk;

TEST_F(StoreTest, ProvenanceByDocumentFollowsTheTextAndKeepsHistory) {
  WriteBatch b = Vocabulary();
  StatementInput late = Sent();
  late.provenance = {Evidence(2, 0.5)};
  b.statements = {Denial(), late};  // written out of text order
  absl::StatusOr<WriteResult> r = store().Write(b);
  ASSERT_THAT(r, IsOk());
  ASSERT_THAT(store().Retract(r->statement_ids[0], "doc1"), IsOk());
  auto reader = store().NewReader();
  std::vector<std::string> evidence;
  std::string cursor;
  do {
    absl::StatusOr<ProvenancePage> page =
        reader->ProvenanceByDocument("doc1", 1, cursor);
    ASSERT_THAT(page, IsOk());
    for (const auto& [node, record] : page->records) {
      evidence.push_back(record.input.evidence +
                         (record.retracted_at ? " (retracted)" : ""));
      EXPECT_EQ(reader->StatementAt(node)->id, record.statement_id);
    }
    cursor = page->next_page_token;
  } while (!cursor.empty());
  EXPECT_THAT(evidence,
              ::testing::ElementsAre("The Kremlin denied it. (retracted)",
                                     "Seoul’s spies said so."));
  EXPECT_THAT(reader->ProvenanceByDocument("doc9", 10, ""),
              testing::StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(reader->ProvenanceByDocument("doc1", 10, "garbage"),
              testing::StatusIs(absl::StatusCode::kInvalidArgument));

  // Every statement ever held, retracted ones included.
  std::vector<std::string> ids;
  ASSERT_THAT(reader->ForEachStatement([&](NodeId, const Statement& st) {
    ids.push_back(st.id);
    return true;
  }),
              IsOk());
  EXPECT_THAT(ids, ::testing::UnorderedElementsAre(r->statement_ids[0],
                                                   r->statement_ids[1]));
  EXPECT_EQ(reader->Stats()->statements, 1u);
}

}  // namespace
}  // namespace kg::storage

namespace kg::storage {
namespace {

using testing::IsOk;

std::vector<std::string> AllStatementIds(Store& store, bool include_quoted) {
  auto reader = store.NewReader();
  std::vector<std::string> ids;
  std::string cursor;
  do {
    absl::StatusOr<MatchPage> page =
        reader->ListStatements(1, cursor, include_quoted);
    EXPECT_THAT(page, IsOk());
    if (!page.ok()) break;
    for (const auto& st : page->statements) ids.push_back(st.id);
    cursor = page->next_page_token;
  } while (!cursor.empty());
  return ids;
}

TEST_F(StoreTest, ListsEntitiesAndStatementsInAnOrderIndependentOfWrites) {
  WriteBatch b = Vocabulary();
  b.statements = {Denial(), Sent()};
  ASSERT_THAT(store().Write(b), IsOk());
  const std::vector<std::string> asserted = AllStatementIds(store(), false);
  const std::vector<std::string> all = AllStatementIds(store(), true);
  EXPECT_THAT(asserted, ::testing::SizeIs(2));
  EXPECT_TRUE(std::is_sorted(asserted.begin(), asserted.end()));

  // Another store, same content written the other way round.
  Close();
  std::filesystem::remove_all(path());
  Reopen();
  WriteBatch first = Vocabulary();
  first.statements = {Sent()};
  ASSERT_THAT(store().Write(first), IsOk());
  WriteBatch second;
  second.statements = {Denial()};
  ASSERT_THAT(store().Write(second), IsOk());
  EXPECT_EQ(AllStatementIds(store(), false), asserted);
  EXPECT_EQ(AllStatementIds(store(), true), all);

  auto reader = store().NewReader();
  absl::StatusOr<EntityPage> page = reader->ListEntities(3, "");
  ASSERT_THAT(page, IsOk());
  std::vector<std::string> ids;
  for (const auto& e : page->entities) ids.push_back(e.id);
  EXPECT_THAT(ids, ::testing::ElementsAre("kremlin", "nis", "north_korea"));
  page = reader->ListEntities(3, page->next_page_token);
  ASSERT_THAT(page, IsOk());
  ASSERT_THAT(page->entities, ::testing::SizeIs(1));
  EXPECT_EQ(page->entities[0].id, "russia");
  EXPECT_EQ(page->next_page_token, "");
  EXPECT_THAT(reader->ListStatements(1, "x", false),
              testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace kg::storage
