// Store::Verify and Store::VerifyDirectory: a good store passes, and each
// kind of damage that raw writes into the RocksDB directory can do is
// reported. Also the I/O-error path: FaultInjection makes writes fail with
// UNAVAILABLE, Health reports it, Resume recovers, nothing acknowledged is
// lost.
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/coding.h"
#include "storage/fault_injection.h"
#include "storage/keys.h"
#include "tests/storage/store_fixture.h"

namespace kg::storage {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::IsOk;
using testing::StatusIs;

using Handles = std::vector<rocksdb::ColumnFamilyHandle*>;

class VerifyTest : public StoreTest {
 protected:
  void SetUp() override {
    ASSERT_THAT(store().Write(Vocabulary()), IsOk());
    WriteBatch b;
    b.statements = {Sent(), Denial()};
    ASSERT_THAT(store().Write(b), IsOk());
  }

  // Closes the store, lets `fn` change the raw database, flushes it to SST
  // files, and leaves the store closed.
  void Damage(const std::function<void(rocksdb::DB*, const Handles&)>& fn) {
    Close();
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* name : kCfNames) {
      cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    Handles h;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::Open(rocksdb::DBOptions(), path(), cfs, &h, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    fn(db.get(), h);
    ASSERT_TRUE(db->Flush(rocksdb::FlushOptions(), h).ok());
    for (auto* c : h) db->DestroyColumnFamilyHandle(c);
    ASSERT_TRUE(db->Close().ok());
  }

  // The first entry of a column family.
  static std::pair<std::string, std::string> First(
      rocksdb::DB* db, rocksdb::ColumnFamilyHandle* h) {
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), h));
    it->SeekToFirst();
    EXPECT_TRUE(it->Valid());
    if (!it->Valid()) return {};
    return {it->key().ToString(), it->value().ToString()};
  }

  // Rewrites, through `change`, the row of the statement that another
  // quotes (Sent, quoted by Denial), given its tid.
  static void RewriteQuotedRow(
      rocksdb::DB* db, const Handles& h,
      const std::function<void(uint64_t tid, StmtValue* row)>& change) {
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), h[kStmtCf]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      StmtValue row;
      ASSERT_TRUE(DecodeStmt(it->value().ToString(), &row));
      uint64_t tid = 0;
      ASSERT_TRUE(DecodeTidKey(it->key().ToString(), &tid));
      if (row.quoted == 1) {
        change(tid, &row);
        ASSERT_TRUE(db->Put({}, h[kStmtCf], it->key(), EncodeStmt(row)).ok());
        return;
      }
    }
    FAIL() << "no quoted statement";
  }

  // The problems VerifyDirectory finds, and (reopened) Verify finds too.
  std::vector<std::string> Problems() {
    absl::StatusOr<VerifyReport> offline = Store::VerifyDirectory(path());
    EXPECT_THAT(offline, IsOk());
    if (!offline.ok()) return {};
    Reopen();
    absl::StatusOr<VerifyReport> online = store().Verify();
    EXPECT_THAT(online, IsOk());
    if (online.ok()) {
      EXPECT_EQ(online->problems, offline->problems);
    }
    EXPECT_FALSE(offline->ok());
    EXPECT_EQ(offline->problems_total, offline->problems.size());
    return offline->problems;
  }

  std::string AllProblems() { return absl::StrJoin(Problems(), "\n"); }
};

TEST_F(VerifyTest, AGoodStorePassesAndCountsWhatItChecked) {
  absl::StatusOr<VerifyReport> r = store().Verify();
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->ok()) << absl::StrJoin(r->problems, "\n");
  EXPECT_EQ(r->entities, 4u);
  EXPECT_EQ(r->relations, 4u);
  EXPECT_EQ(r->documents, 1u);
  // Sent, Denial: two rows, both indexed (Sent live and quoted).
  EXPECT_EQ(r->statements, 2u);
  EXPECT_EQ(r->index_entries, 6u);
  EXPECT_EQ(r->provenance_records, 2u);
  EXPECT_EQ(r->document_provenance, 2u);
  // Distinct lower-cased names: north_korea 4, russia 2 (id = label),
  // kremlin 1, nis 2 (id = alias).
  EXPECT_EQ(r->names, 9u);
  EXPECT_GT(r->terms, 0u);

  // Retracted and quoted-only statements are consistent too.
  ASSERT_THAT(store().Retract(StatementIdOf(Sent().triple), "doc1"), IsOk());
  r = store().Verify();
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->ok()) << absl::StrJoin(r->problems, "\n");
  ASSERT_THAT(store().Retract(StatementIdOf(Denial().triple), "doc1"), IsOk());
  r = store().Verify();
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->ok()) << absl::StrJoin(r->problems, "\n");
  EXPECT_EQ(r->index_entries, 0u);

  Close();
  absl::StatusOr<VerifyReport> offline = Store::VerifyDirectory(path());
  ASSERT_THAT(offline, IsOk());
  EXPECT_TRUE(offline->ok()) << absl::StrJoin(offline->problems, "\n");
  EXPECT_EQ(offline->statements, 2u);
}

// Two stores given the same writes at the same times hold the same content,
// whatever their page token keys (drawn at random) and log positions: the
// digest replicas are compared with. One more write changes it.
TEST_F(VerifyTest, TheContentDigestIsWhatTheStoreHolds) {
  absl::StatusOr<VerifyReport> mine = store().Verify();
  ASSERT_THAT(mine, IsOk());
  ASSERT_TRUE(mine->ok());
  EXPECT_THAT(mine->content_sha256, ::testing::MatchesRegex("[0-9a-f]{64}"));

  StoreOptions options;
  options.clock = [this] { return now_; };
  absl::StatusOr<std::unique_ptr<Store>> other =
      Store::Open(options, dir_.Sub("other"));
  ASSERT_THAT(other, IsOk());
  ASSERT_THAT((*other)->Write(Vocabulary()), IsOk());
  WriteBatch b;
  b.statements = {Sent(), Denial()};
  b.replica.log_position = 7;  // the store's own clock, as in SetUp
  ASSERT_THAT((*other)->Write(b), IsOk());
  absl::StatusOr<VerifyReport> theirs = (*other)->Verify();
  ASSERT_THAT(theirs, IsOk());
  EXPECT_EQ(theirs->content_sha256, mine->content_sha256);

  WriteBatch more;
  more.statements = {Sent()};
  more.statements[0].provenance = {Evidence(2)};
  ASSERT_THAT((*other)->Write(more), IsOk());
  theirs = (*other)->Verify();
  ASSERT_THAT(theirs, IsOk());
  EXPECT_NE(theirs->content_sha256, mine->content_sha256);

  // Offline, the same digest as online.
  Close();
  absl::StatusOr<VerifyReport> offline = Store::VerifyDirectory(path());
  ASSERT_THAT(offline, IsOk());
  EXPECT_EQ(offline->content_sha256, mine->content_sha256);
}

TEST_F(VerifyTest, VerifyDirectoryRejectsWhatIsNotAStore) {
  EXPECT_THAT(Store::VerifyDirectory(dir_.Sub("missing")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Store::VerifyDirectory(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  fs::create_directories(dir_.Sub("empty"));
  EXPECT_THAT(Store::VerifyDirectory(dir_.Sub("empty")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  std::ofstream(dir_.Sub("file")) << "x";
  EXPECT_THAT(Store::VerifyDirectory(dir_.Sub("file")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(VerifyTest, StopsWhenAsked) {
  // Enough entities that a column family has more keys than the verifier
  // reads between two looks at should_stop.
  WriteBatch many;
  for (int i = 0; i < 5000; ++i) {
    Entity e;
    e.id = absl::StrCat("e", i);
    e.label = absl::StrCat("Entity ", i);
    e.type = "Thing";
    many.entities.push_back(e);
  }
  ASSERT_THAT(store().Write(many), IsOk());
  EXPECT_THAT(store().Verify([] { return true; }),
              StatusIs(absl::StatusCode::kCancelled,
                       HasSubstr("stopped before the start")));
  int looks = 0;
  EXPECT_THAT(store().Verify([&] { return ++looks > 1; }),
              StatusIs(absl::StatusCode::kCancelled,
                       HasSubstr("stopped before the end")));
  Close();
  looks = 0;
  EXPECT_THAT(Store::VerifyDirectory(path(), [&] { return ++looks > 1; }),
              StatusIs(absl::StatusCode::kCancelled));
  // Without a stop, it runs to the end and passes.
  absl::StatusOr<VerifyReport> full = Store::VerifyDirectory(path());
  ASSERT_THAT(full, IsOk());
  EXPECT_TRUE(full->ok()) << absl::StrJoin(full->problems, "\n");
  EXPECT_EQ(full->entities, 5004u);
}

TEST_F(VerifyTest, VerifyDirectoryLeavesTheStoreUnchanged) {
  Close();
  const std::string before = Dump();
  ASSERT_THAT(Store::VerifyDirectory(path()), IsOk());
  EXPECT_EQ(Dump(), before);
}

TEST_F(VerifyTest, DetectsAMissingPosEntry) {
  Damage([](rocksdb::DB* db, const Handles& h) {
    ASSERT_TRUE(db->Delete({}, h[kPosCf], First(db, h[kPosCf]).first).ok());
  });
  const std::string p = AllProblems();
  EXPECT_THAT(p, HasSubstr("missing from pos"));
  EXPECT_THAT(p, HasSubstr("counters: pos is 2, counted 1"));
}

TEST_F(VerifyTest, DetectsAnOspEntryWithoutItsStatement) {
  Damage([](rocksdb::DB* db, const Handles& h) {
    ASSERT_TRUE(db->Put({}, h[kOspCf], IndexKey(1, 2, 3), TidKey(999999)).ok());
  });
  EXPECT_THAT(AllProblems(), HasSubstr("statement 999999 has no row"));
}

TEST_F(VerifyTest, DetectsAnSpoEntryWhoseStatementHasOtherParts) {
  Damage([](rocksdb::DB* db, const Handles& h) {
    auto [key, value] = First(db, h[kSpoCf]);
    ASSERT_TRUE(db->Delete({}, h[kSpoCf], key).ok());
    key[23] ^= 1;  // another object
    ASSERT_TRUE(db->Put({}, h[kSpoCf], key, value).ok());
  });
  const std::string p = AllProblems();
  EXPECT_THAT(p, HasSubstr("has other parts"));
  EXPECT_THAT(p, HasSubstr("missing from spo"));
}

TEST_F(VerifyTest, DetectsAnIndexEntryWrongAboutBeingAsserted) {
  Damage([](rocksdb::DB* db, const Handles& h) {
    auto [key, value] = First(db, h[kPosCf]);
    ASSERT_EQ(value.size(), 9u);
    value[8] ^= 1;  // asserted <-> quoted only
    ASSERT_TRUE(db->Put({}, h[kPosCf], key, value).ok());
  });
  EXPECT_THAT(AllProblems(), ::testing::ContainsRegex(
                                 "pos '.*': statement [0-9]+ is marked "
                                 "(asserted|quoted only) but has [0-9]+ live"));
}

TEST_F(VerifyTest, DetectsAContestedIndexEntryThatTheClaimsDoNotBackUp) {
  Damage([](rocksdb::DB* db, const Handles& h) {
    uint64_t stmt = 0;
    ASSERT_TRUE(DecodeTidKey(First(db, h[kStmtCf]).first, &stmt));
    const ContestedFigures f{1, 1, 2};
    const std::string hash(kStatementHashBytes, 'x');
    ASSERT_TRUE(db->Put({}, h[kDefaultCf], ContestedStatementKey(stmt),
                        ContestedStatementValue(f, hash))
                    .ok());
  });
  const std::string p = AllProblems();
  EXPECT_THAT(p, ::testing::ContainsRegex(
                     "contested: statement [0-9]+ is listed but is not "
                     "contested"));
  EXPECT_THAT(p, HasSubstr("0 ranking entries for 1 listed statements"));
}

TEST_F(VerifyTest, DetectsAnOrphanProvenanceRecord) {
  Damage([](rocksdb::DB* db, const Handles& h) {
    // A copy of a real record, moved to a statement that does not exist.
    auto [key, value] = First(db, h[kProvCf]);
    ProvKeyParts k;
    ASSERT_TRUE(DecodeProvKey(key, &k));
    ASSERT_TRUE(
        db->Put({}, h[kProvCf],
                ProvKey(888888, k.doc, k.start, k.end, k.recorded_micros),
                value)
            .ok());
  });
  const std::string p = AllProblems();
  EXPECT_THAT(p, HasSubstr("statement 888888 from document"));
  EXPECT_THAT(p, HasSubstr("the statement does not exist"));
  EXPECT_THAT(p, HasSubstr("missing from doc_prov"));
}

TEST_F(VerifyTest, DetectsAMissingProvenanceRecord) {
  Damage([](rocksdb::DB* db, const Handles& h) {
    ASSERT_TRUE(db->Delete({}, h[kProvCf], First(db, h[kProvCf]).first).ok());
  });
  const std::string p = AllProblems();
  EXPECT_THAT(p, HasSubstr("has no provenance record"));  // doc_prov side
  EXPECT_THAT(p, HasSubstr("live provenance records, prov holds 0"));
  EXPECT_THAT(p, HasSubstr("counters: provenance is 2, counted 1"));
}

TEST_F(VerifyTest, DetectsAMissingDocumentIndexEntry) {
  Damage([](rocksdb::DB* db, const Handles& h) {
    ASSERT_TRUE(
        db->Delete({}, h[kDocProvCf], First(db, h[kDocProvCf]).first).ok());
  });
  EXPECT_THAT(AllProblems(), HasSubstr("missing from doc_prov"));
}

TEST_F(VerifyTest, DetectsAWrongLiveCount) {
  Damage([](rocksdb::DB* db, const Handles& h) {
    auto [key, value] = First(db, h[kStmtCf]);
    StmtValue row;
    ASSERT_TRUE(DecodeStmt(value, &row));
    row.live += 1;
    ASSERT_TRUE(db->Put({}, h[kStmtCf], key, EncodeStmt(row)).ok());
  });
  EXPECT_THAT(AllProblems(), HasSubstr("live provenance records, prov holds"));
}

TEST_F(VerifyTest, DetectsAWrongQuotedCount) {
  Damage([](rocksdb::DB* db, const Handles& h) {
    RewriteQuotedRow(db, h, [](uint64_t, StmtValue* row) { row->quoted = 0; });
  });
  EXPECT_THAT(AllProblems(),
              HasSubstr("row says quoted by 0, indexed statements quoting it: "
                        "1"));
}

TEST_F(VerifyTest, DetectsAStatementRowThatIsNotItsHash) {
  Damage([](rocksdb::DB* db, const Handles& h) {
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), h[kStmtCf]));
    it->SeekToFirst();
    ASSERT_TRUE(it->Valid());
    StmtValue row;
    ASSERT_TRUE(DecodeStmt(it->value().ToString(), &row));
    std::swap(row.subject, row.object);
    ASSERT_TRUE(db->Put({}, h[kStmtCf], it->key(), EncodeStmt(row)).ok());
  });
  EXPECT_THAT(AllProblems(), HasSubstr("id is not the hash of its content"));
}

// Since format 6 a statement's term has no reverse (tid family) entry: its
// key is derived from its row. Neither a write nor a bulk load leaves one,
// and ids read back, nested ones too, are still the hashes of the content.
TEST_F(VerifyTest, StatementTermsAreReadBackWithoutAReverseEntry) {
  const Triple nested{Term::Entity("russia"), "denied",
                      Term::Quoted(Denial().triple)};
  WriteBatch b;
  b.statements = {{nested, {Evidence(2)}}};
  ASSERT_THAT(store().BulkLoad(b), IsOk());
  {
    std::unique_ptr<Reader> reader = store().NewReader();
    for (const Triple& t : {Sent().triple, Denial().triple, nested}) {
      absl::StatusOr<Statement> st = reader->GetStatement(StatementIdOf(t));
      ASSERT_THAT(st, IsOk());
      EXPECT_EQ(st->id, StatementIdOf(t));
    }
    absl::StatusOr<Statement> outer =
        reader->GetStatement(StatementIdOf(nested));
    ASSERT_THAT(outer, IsOk());
    EXPECT_EQ(outer->object.kind, Term::Kind::kStatement);
    EXPECT_EQ(outer->object.id, StatementIdOf(Denial().triple));
  }
  int statement_terms = 0, short_keys = 0;
  Damage([&](rocksdb::DB* db, const Handles& h) {  // reads only
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), h[kTidCf]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      EXPECT_NE(it->value().ToString()[0], 'S') << it->value().ToString();
    }
    it.reset(db->NewIterator(rocksdb::ReadOptions(), h[kTermCf]));
    for (it->Seek("S"); it->Valid() && it->key().starts_with("S"); it->Next()) {
      ++statement_terms;
      if (it->key().size() == 1 + kStatementShortHashBytes) ++short_keys;
    }
  });
  EXPECT_EQ(statement_terms, 3);
  EXPECT_EQ(short_keys, 3);
  absl::StatusOr<VerifyReport> offline = Store::VerifyDirectory(path());
  ASSERT_THAT(offline, IsOk());
  EXPECT_THAT(offline->problems, IsEmpty());
  Reopen();
  absl::StatusOr<VerifyReport> online = store().Verify();
  ASSERT_THAT(online, IsOk());
  EXPECT_THAT(online->problems, IsEmpty());
}

// Two statements whose hashes share their first 8 bytes cannot be made
// here, so the second one's state is built by hand: Sent's short key held
// by another statement (Denial's tid), Sent under its whole key. Reads and
// writes still find each statement, and Verify, which checks that a short
// key starts its holder's hash, reports the forgery.
TEST_F(VerifyTest, AStatementKeyedByItsWholeHashIsFound) {
  const std::string sent_id = StatementIdOf(Sent().triple);
  const std::string denial_id = StatementIdOf(Denial().triple);
  const std::string sent_key = StatementTermKey(*HashFromStatementId(sent_id));
  const std::string denial_key =
      StatementTermKey(*HashFromStatementId(denial_id));
  Damage([&](rocksdb::DB* db, const Handles& h) {
    std::string sent_tid, denial_tid;
    ASSERT_TRUE(
        db->Get({}, h[kTermCf], ShortStatementTermKey(sent_key), &sent_tid)
            .ok());
    ASSERT_TRUE(
        db->Get({}, h[kTermCf], ShortStatementTermKey(denial_key), &denial_tid)
            .ok());
    ASSERT_TRUE(db->Put({}, h[kTermCf], sent_key, sent_tid).ok());
    ASSERT_TRUE(
        db->Put({}, h[kTermCf], ShortStatementTermKey(sent_key), denial_tid)
            .ok());
  });
  Reopen();
  {
    std::unique_ptr<Reader> reader = store().NewReader();
    absl::StatusOr<Statement> sent = reader->GetStatement(sent_id);
    ASSERT_THAT(sent, IsOk());
    EXPECT_EQ(sent->id, sent_id);
    EXPECT_EQ(sent->object.id, "russia");
    absl::StatusOr<Statement> denial = reader->GetStatement(denial_id);
    ASSERT_THAT(denial, IsOk());
    EXPECT_EQ(denial->object.id, sent_id);
  }
  // Sent again, from another sentence: found, not created twice.
  WriteBatch again;
  again.statements = {{Sent().triple, {Evidence(2)}}};
  absl::StatusOr<WriteResult> r = store().Write(again);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->statements_created, 0u);
  EXPECT_EQ(r->provenance_added, 1u);
  EXPECT_EQ(r->statement_ids[0], sent_id);
  Close();
  EXPECT_THAT(AllProblems(), HasSubstr("maps back to"));
}

// Quoting by id has no depth limit (only nesting by content has), so a
// statement's key may derive from a long chain of rows: it is read, looked
// up and written to at any depth, and such a store verifies clean.
TEST_F(VerifyTest, AChainOfStatementsQuotingByIdReadsAtAnyDepth) {
  std::vector<std::string> ids = {StatementIdOf(Sent().triple)};
  for (int i = 0; i < 40; ++i) {
    WriteBatch b;
    b.statements = {{Triple{Term::Entity("kremlin"), "denied",
                            Term::StatementId(ids.back())},
                     {Evidence(1)}}};
    absl::StatusOr<WriteResult> r = store().Write(b);
    ASSERT_THAT(r, IsOk());
    ids.push_back(r->statement_ids[0]);
  }
  Reopen();  // no reader cache, no memtable
  absl::StatusOr<Statement> last =
      store().NewReader()->GetStatement(ids.back());
  ASSERT_THAT(last, IsOk());
  EXPECT_EQ(last->object.id, ids[ids.size() - 2]);
  // The same statement again: found, not created.
  WriteBatch again;
  again.statements = {{Triple{Term::Entity("kremlin"), "denied",
                              Term::StatementId(ids[ids.size() - 2])},
                       {Evidence(2)}}};
  absl::StatusOr<WriteResult> r = store().Write(again);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->statements_created, 0u);
  EXPECT_EQ(r->statement_ids[0], ids.back());
  absl::StatusOr<VerifyReport> report = store().Verify();
  ASSERT_THAT(report, IsOk());
  EXPECT_THAT(report->problems, IsEmpty());
}

// A store created at format 6 puts a statement under its whole key only
// when another holds its short one, so lookups there stop at a free short
// key; a whole key without one breaks that rule and is reported.
TEST_F(VerifyTest, DetectsAWholeStatementKeyWhoseShortKeyIsFree) {
  const std::string sent_key =
      StatementTermKey(*HashFromStatementId(StatementIdOf(Sent().triple)));
  Damage([&](rocksdb::DB* db, const Handles& h) {
    std::string value;
    ASSERT_TRUE(
        db->Get({}, h[kDefaultCf], kShortStatementKeysKey, &value).ok());
    ASSERT_TRUE(
        db->Get({}, h[kTermCf], ShortStatementTermKey(sent_key), &value).ok());
    ASSERT_TRUE(
        db->Delete({}, h[kTermCf], ShortStatementTermKey(sent_key)).ok());
    ASSERT_TRUE(db->Put({}, h[kTermCf], sent_key, value).ok());
  });
  EXPECT_THAT(AllProblems(), HasSubstr("a whole statement key whose short "
                                       "key is free"));
}

TEST_F(VerifyTest, DetectsAStatementWhoseTermIsGone) {
  Damage([](rocksdb::DB* db, const Handles& h) {
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), h[kTermCf]));
    it->Seek("S");
    ASSERT_TRUE(it->Valid() && it->key().starts_with("S"));
    ASSERT_TRUE(db->Delete({}, h[kTermCf], it->key()).ok());
  });
  EXPECT_THAT(AllProblems(),
              HasSubstr("the dictionary has no term with its content's hash"));
}

// A corrupt row that quotes itself must not send the derivation of its key
// round forever: it is reported, and reading it is DATA_LOSS.
TEST_F(VerifyTest, DetectsAStatementRowThatQuotesItself) {
  std::string sent_id = StatementIdOf(Sent().triple);
  Damage([](rocksdb::DB* db, const Handles& h) {
    RewriteQuotedRow(db, h,
                     [](uint64_t tid, StmtValue* row) { row->object = tid; });
  });
  EXPECT_THAT(AllProblems(), HasSubstr("is not older than it"));
  EXPECT_THAT(
      store().NewReader()->GetStatement(sent_id),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("is not older than it")));
}

TEST_F(VerifyTest, DetectsABrokenDictionaryInBothDirections) {
  std::string term_key;
  Damage([&](rocksdb::DB* db, const Handles& h) {
    std::string value;
    ASSERT_TRUE(db->Get({}, h[kTermCf], EntityTermKey("russia"), &value).ok());
    uint64_t tid = 0;
    ASSERT_TRUE(DecodeTidValue(value, &tid));
    ASSERT_TRUE(db->Delete({}, h[kTidCf], TidKey(tid)).ok());
    // And a reverse entry whose forward entry is missing.
    ASSERT_TRUE(
        db->Put({}, h[kTidCf], TidKey(777777), EntityTermKey("ghost")).ok());
  });
  const std::string p = AllProblems();
  EXPECT_THAT(p, HasSubstr("term 'Erussia': tid"));
  EXPECT_THAT(p, HasSubstr("has no reverse entry"));
  EXPECT_THAT(p, HasSubstr("tid 777777: term 'Eghost' is not in term"));
  EXPECT_THAT(p, HasSubstr("counters: next tid"));
}

TEST_F(VerifyTest, DetectsNameIndexAndEntityDisagreeing) {
  Damage([](rocksdb::DB* db, const Handles& h) {
    ASSERT_TRUE(
        db->Delete({}, h[kNameCf], NameKey("DPRK", "north_korea")).ok());
    ASSERT_TRUE(db->Put({}, h[kNameCf], NameKey("Narnia", "russia"), "").ok());
    ASSERT_TRUE(db->Put({}, h[kNameCf], NameKey("Nobody", "nobody"), "").ok());
  });
  const std::string p = AllProblems();
  EXPECT_THAT(p, HasSubstr("entity 'north_korea': name 'DPRK' is not in the "
                           "name index"));
  EXPECT_THAT(p, HasSubstr("entity 'russia' has no such name"));
  EXPECT_THAT(p, HasSubstr("entity 'nobody' does not exist"));
}

TEST_F(VerifyTest, DetectsAnEntityWithoutItsDictionaryEntry) {
  Damage([](rocksdb::DB* db, const Handles& h) {
    std::string value;
    ASSERT_TRUE(db->Get({}, h[kTermCf], EntityTermKey("nis"), &value).ok());
    uint64_t tid = 0;
    ASSERT_TRUE(DecodeTidValue(value, &tid));
    ASSERT_TRUE(db->Delete({}, h[kTermCf], EntityTermKey("nis")).ok());
    ASSERT_TRUE(db->Delete({}, h[kTidCf], TidKey(tid)).ok());
  });
  const std::string p = AllProblems();
  EXPECT_THAT(p, HasSubstr("entity 'nis': record says tid"));
  EXPECT_THAT(p, HasSubstr("counters: terms is"));
}

TEST_F(VerifyTest, DetectsWrongCounters) {
  Damage([](rocksdb::DB* db, const Handles& h) {
    std::string value;
    ASSERT_TRUE(db->Get({}, h[kDefaultCf], kCountersKey, &value).ok());
    Counters c;
    ASSERT_TRUE(DecodeCounters(value, &c));
    c.entities += 1;
    ASSERT_TRUE(
        db->Put({}, h[kDefaultCf], kCountersKey, EncodeCounters(c)).ok());
  });
  EXPECT_THAT(Problems(), Contains("counters: entities is 5, counted 4"));
}

TEST_F(VerifyTest, DetectsAFlippedByteInAnSstFile) {
  Damage([](rocksdb::DB*, const Handles&) {});  // flushed to SST files
  std::string largest;
  uintmax_t size = 0;
  for (const auto& e : fs::directory_iterator(path())) {
    if (e.path().extension() == ".sst" && e.file_size() > size) {
      size = e.file_size();
      largest = e.path().string();
    }
  }
  ASSERT_FALSE(largest.empty());
  {
    std::fstream f(largest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(10);
    char c;
    f.read(&c, 1);
    c ^= 0x5a;
    f.seekp(10);
    f.write(&c, 1);
  }
  absl::StatusOr<VerifyReport> r = Store::VerifyDirectory(path());
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->ok());
  EXPECT_THAT(absl::StrJoin(r->problems, "\n"), HasSubstr("checksums: "));
}

TEST_F(VerifyTest, ProblemsAreCappedButCounted) {
  Damage([](rocksdb::DB* db, const Handles& h) {
    for (uint64_t i = 0; i < VerifyReport::kMaxProblems + 50; ++i) {
      ASSERT_TRUE(
          db->Put({}, h[kSpoCf], IndexKey(1, 2, i), TidKey(500000 + i)).ok());
    }
  });
  absl::StatusOr<VerifyReport> r = Store::VerifyDirectory(path());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->problems.size(), VerifyReport::kMaxProblems);
  EXPECT_GT(r->problems_total, VerifyReport::kMaxProblems + 50);
}

TEST_F(VerifyTest, VerifiesAtOneSnapshotWhileWritesGoOn) {
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      WriteBatch b;
      b.entities.push_back(
          {absl::StrCat("e", i), absl::StrCat("E ", i), "Person", {}});
      b.statements.push_back({Triple{Term::Entity(absl::StrCat("e", i)),
                                     "allied_with", Term::Entity("russia")},
                              {Evidence(i % 3)}});
      ASSERT_THAT(store().Write(b), IsOk());
    }
  });
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<VerifyReport> r = store().Verify();
    ASSERT_THAT(r, IsOk());
    EXPECT_TRUE(r->ok()) << absl::StrJoin(r->problems, "\n");
  }
  stop = true;
  writer.join();
}

// ---- I/O errors ----

class FaultTest : public StoreTest {
 protected:
  void OpenWithFaults() {
    Close();
    StoreOptions options;
    options.fault_injection = faults_;
    absl::StatusOr<std::unique_ptr<Store>> s = Store::Open(options, path());
    ASSERT_THAT(s, IsOk());
    store_ = *std::move(s);
  }
  std::shared_ptr<FaultInjection> faults_ = std::make_shared<FaultInjection>();
};

TEST_F(FaultTest, WritesFailUnavailableHealthReportsItAndResumeRecovers) {
  OpenWithFaults();
  ASSERT_THAT(store().Write(Vocabulary()), IsOk());
  WriteBatch sent;
  sent.statements = {Sent()};
  ASSERT_THAT(store().Write(sent), IsOk());
  EXPECT_THAT(store().Health(), IsOk());

  faults_->set_failing(true);
  WriteBatch denial;
  denial.statements = {Denial()};
  EXPECT_THAT(store().Write(denial), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_GT(faults_->failures(), 0u);
  EXPECT_THAT(store().Health(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("read-only")));
  // Reads still work, and see exactly the acknowledged writes.
  EXPECT_THAT(store().NewReader()->GetStatement(StatementIdOf(Sent().triple)),
              IsOk());
  EXPECT_THAT(store().NewReader()->GetStatement(StatementIdOf(Denial().triple)),
              StatusIs(absl::StatusCode::kNotFound));
  // While the fault lasts, every write fails and Resume does too.
  EXPECT_THAT(store().Write(denial), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(store().Resume(), StatusIs(absl::StatusCode::kUnavailable));

  faults_->set_failing(false);
  // RocksDB may be recovering by itself (Resume says UNAVAILABLE, busy,
  // meanwhile); either way the store comes back.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  absl::Status resumed;
  while (!(resumed = store().Resume()).ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_THAT(resumed, IsOk());
  EXPECT_THAT(store().Health(), IsOk());
  ASSERT_THAT(store().Write(denial), IsOk());

  OpenWithFaults();  // reopen: everything acknowledged is there
  auto reader = store().NewReader();
  EXPECT_THAT(reader->GetStatement(StatementIdOf(Sent().triple)), IsOk());
  EXPECT_THAT(reader->GetStatement(StatementIdOf(Denial().triple)), IsOk());
  absl::StatusOr<VerifyReport> r = store().Verify();
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->ok()) << absl::StrJoin(r->problems, "\n");
}

TEST_F(FaultTest, AFailedWriteLeavesNothingAfterARestart) {
  OpenWithFaults();
  ASSERT_THAT(store().Write(Vocabulary()), IsOk());
  faults_->set_failing(true);
  WriteBatch sent;
  sent.statements = {Sent()};
  EXPECT_THAT(store().Write(sent), StatusIs(absl::StatusCode::kUnavailable));
  faults_->set_failing(false);
  OpenWithFaults();  // close without Resume, as after a crash
  EXPECT_THAT(store().NewReader()->GetStatement(StatementIdOf(Sent().triple)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store().NewReader()->GetEntity("russia"), IsOk());
  ASSERT_THAT(store().Write(sent), IsOk());
}

}  // namespace
}  // namespace kg::storage
