// Store::LoadFresh: the store a bulk load of one batch makes, key for key,
// without a write transaction; and what it refuses, leaving the store as
// it was.
#include "storage/fresh_load.h"

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/compact_adjacency.h"
#include "storage/keys.h"
#include "storage/status_macros.h"
#include "storage/store.h"
#include "tests/storage/store_fixture.h"
#include "tests/support/test_util.h"

namespace kg::storage {
namespace {

using ::kg::testing::IsOk;
using ::kg::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kXsd[] = "http://www.w3.org/2001/XMLSchema#";
constexpr char kScope[] = "0123456789abcdef";

std::string Ex(absl::string_view local) {
  return absl::StrCat("http://example.org/", local);
}
std::string Kg(absl::string_view local) {
  return absl::StrCat("https://kg.invalid/", local);
}

// A data document: an id, no title, no text.
Document Data(std::string id) {
  Document d;
  d.id = std::move(id);
  return d;
}

class FreshLoadTest : public StoreTest {
 protected:
  // The vocabulary and statements both loads take: every kind of term,
  // IRIs that name kg's entities and relations, literals that become kg's
  // compact ones and literals that do not, two spellings of one language
  // tag, blank nodes, four documents (one by a blank graph name), and
  // repeats: the same record again, and the same triple from another
  // document.
  struct Content {
    std::vector<Entity> entities = {
        {"north_korea", "North Korea", "Country", {"DPRK", "dprk"}},
        {"russia", "Russia", "Country", {}},
        {"kremlin", "Kremlin", "Organization", {"the Kremlin"}},
        {"russia", "Russia", "Country", {}},  // again, the same
    };
    std::vector<Relation> relations = {
        {"sent_troops_to", "sent troops to", false, Polarity::kNone},
        {"denied", "denied", false, Polarity::kOpposes},
        {"allied_with", "allied with", true, Polarity::kNone},
        {"denied", "denied", false, Polarity::kOpposes},  // again
    };
    std::vector<Document> documents = {
        {"wordnet", "WordNet 3.0", "Princeton University", ParseDate("2006-12"),
         ""},
        Data(Ex("graph/g1")),
        Data("_:g2"),
        Data(Kg("document/d3")),
    };
    struct Statement {
      Term subject;
      std::string relation;
      Term object;
      uint32_t document;
    };
    std::vector<Statement> statements;

    Content() {
      auto add = [&](Term s, std::string p, Term o, uint32_t doc) {
        statements.push_back({std::move(s), std::move(p), std::move(o), doc});
      };
      add(Term::Entity("north_korea"), "sent_troops_to", Term::Entity("russia"),
          0);
      add(Term::Iri(Kg("entity/kremlin")), Kg("relation/denied"),
          Term::Entity("north_korea"), 0);
      add(Term::Entity("russia"), "allied_with",
          Term::Iri(Kg("entity/north_korea")), 1);
      add(Term::Iri(Ex("alice")), Ex("name"),
          Term::RdfLiteral("Alice", "", "en-GB"), 0);
      add(Term::Iri(Ex("alice")), Ex("nick"),
          Term::RdfLiteral("Ally", "", "EN-gb"), 0);
      add(Term::Iri(Ex("alice")), Ex("name"),
          Term::RdfLiteral("أليس", "", "ar", LiteralDirection::kRtl), 2);
      add(Term::Blank("x"), Ex("age"),
          Term::RdfLiteral("030", absl::StrCat(kXsd, "integer")), 0);
      add(Term::Blank("x"), Ex("age2"),
          Term::RdfLiteral("30", absl::StrCat(kXsd, "integer")), 0);
      add(Term::Blank("y"), Ex("knows"), Term::Blank("x"), 3);
      add(Term::Iri(Ex("alice")), Ex("born"),
          Term::RdfLiteral("1990-05-01", absl::StrCat(kXsd, "date")), 1);
      add(Term::Iri(Ex("alice")), Ex("likes"), Term::RdfLiteral("tea", "", ""),
          1);
      add(Term::Iri(Ex("alice")), Ex("shoe"),
          Term::RdfLiteral("9.5", Ex("shoeSize")), 1);
      add(Term::Iri(Ex("alice")), Ex("name"),
          Term::RdfLiteral("Alice", "", "en-GB"), 0);  // the same record
      add(Term::Iri(Ex("alice")), Ex("name"),
          Term::RdfLiteral("Alice", "", "en-GB"), 1);  // another document's
      add(Term::Entity("north_korea"), "sent_troops_to", Term::Entity("russia"),
          3);
      add(Term::Entity("russia"), "allied_with",
          Term::Iri(Kg("entity/north_korea")), 1);
      for (int i = 0; i < 50; ++i) {
        add(Term::Iri(Ex(absl::StrCat("n", i % 7))), Ex("next"),
            Term::Iri(Ex(absl::StrCat("n", i % 11))), i % 4);
      }
      // Far from their first spellings (another chunk, past a seal): one
      // literal with its language tag spelled two ways, so the same
      // statement from another document, and a term already numbered.
      add(Term::Iri(Ex("alice")), Ex("name"),
          Term::RdfLiteral("Alice", "", "EN-GB"), 3);
      add(Term::Iri(Ex("bob")), Ex("nick"),
          Term::RdfLiteral("Ally", "", "en-gb"), 0);
    }

    WriteBatch Batch() const {
      WriteBatch b;
      b.blank_scope = kScope;
      b.entities = entities;
      b.relations = relations;
      b.documents = documents;
      for (const Statement& s : statements) {
        StatementInput in;
        in.triple = Triple{s.subject, s.relation, s.object};
        ProvenanceInput p;
        p.document_id = documents[s.document].id;
        in.provenance.push_back(p);
        b.statements.push_back(std::move(in));
      }
      return b;
    }

    // The statements in chunks of `size`, each chunk sealed after every
    // `seal_every` statements (0: never; a term used again after a seal is
    // kept again); an error from FreshChunk::Add.
    absl::StatusOr<FreshLoad> Load(size_t size, size_t seal_every = 0,
                                   bool share = true) const {
      FreshLoad load;
      load.share_records = share;
      load.blank_scope = kScope;
      load.entities = entities;
      load.relations = relations;
      load.documents = documents;
      for (size_t i = 0; i < statements.size(); ++i) {
        if (i % size == 0) {
          load.chunks.emplace_back(absl::StrCat("chunks[", i / size, "]"),
                                   "https://kg.invalid/", kScope);
        }
        const Statement& s = statements[i];
        KG_RETURN_IF_ERROR(load.chunks.back().Add(s.subject, s.relation,
                                                  s.object, s.document));
        if (seal_every != 0 && i % seal_every == 0) load.chunks.back().Seal();
      }
      return load;
    }
  };

  // The statements in parts that start at `starts` (the first at 0), each
  // a FreshLoad with the whole vocabulary and chunks of 3, numbered on
  // across the parts.
  static absl::StatusOr<std::vector<FreshLoad>> Parts(
      const Content& content, const std::vector<size_t>& starts,
      bool share = true) {
    std::vector<FreshLoad> parts;
    size_t chunk = 0;
    for (size_t p = 0; p < starts.size(); ++p) {
      const size_t end =
          p + 1 < starts.size() ? starts[p + 1] : content.statements.size();
      FreshLoad& load = parts.emplace_back();
      load.share_records = share;
      load.blank_scope = kScope;
      load.entities = content.entities;
      load.relations = content.relations;
      load.documents = content.documents;
      load.part = p == 0                   ? FreshLoad::Part::kFirst
                  : p + 1 == starts.size() ? FreshLoad::Part::kLast
                                           : FreshLoad::Part::kNext;
      for (size_t i = starts[p]; i < end; ++i) {
        if ((i - starts[p]) % 3 == 0) {
          load.chunks.emplace_back(absl::StrCat("chunks[", chunk++, "]"),
                                   "https://kg.invalid/", kScope);
        }
        const Content::Statement& s = content.statements[i];
        KG_RETURN_IF_ERROR(load.chunks.back().Add(s.subject, s.relation,
                                                  s.object, s.document));
      }
    }
    return parts;
  }

  absl::StatusOr<WriteResult> LoadFresh(const Content& content, size_t size,
                                        size_t seal_every = 0,
                                        bool share = true) {
    absl::StatusOr<FreshLoad> load = content.Load(size, seal_every, share);
    if (!load.ok()) return load.status();
    return store().LoadFresh(*std::move(load));
  }

  void Restart() {
    Close();
    std::filesystem::remove_all(path());
    Reopen();
  }

  // What readers see of the records: each statement's, retracted ones too,
  // and each document's in pages of `page`.
  std::string Seen(const Content& content, size_t page = 2) {
    std::unique_ptr<Reader> reader = store().NewReader();
    std::string out;
    auto record = [&](const ProvenanceRecord& r) {
      absl::StrAppend(
          &out, "  ", r.statement_id, " ", r.input.document_id, " [",
          r.input.evidence_start, ", ", r.input.evidence_end, ") ",
          static_cast<int>(r.input.hedge), " ", r.input.confidence, " ",
          absl::FormatTime(r.recorded_at), r.retracted_at ? " retracted " : "",
          r.retracted_at ? absl::FormatTime(*r.retracted_at) : "", "\n");
    };
    EXPECT_THAT(reader->ForEachStatement([&](NodeId tid, const Statement& st) {
      absl::StrAppend(&out, st.id, " live ", st.live_provenance, "\n");
      absl::StatusOr<std::vector<ProvenanceRecord>> records =
          reader->ProvenanceAt(tid, /*include_retracted=*/true);
      EXPECT_THAT(records, IsOk());
      if (records.ok()) {
        for (const ProvenanceRecord& r : *records) record(r);
      }
      return true;
    }),
                IsOk());
    for (const Document& d : content.documents) {
      if (absl::StartsWith(d.id, "_:")) continue;  // stored under its scope
      absl::StrAppend(&out, "document ", d.id, "\n");
      std::string token;
      do {
        absl::StatusOr<ProvenancePage> got =
            reader->ProvenanceByDocument(d.id, page, token);
        EXPECT_THAT(got, IsOk());
        if (!got.ok()) break;
        EXPECT_LE(got->records.size(), page);
        for (const auto& [node, r] : got->records) record(r);
        token = got->next_page_token;
      } while (!token.empty());
    }
    return out;
  }
};

// Without shared records, key for key; with them, the same records to
// readers (and then key for key whatever the chunks).
TEST_F(FreshLoadTest, GivesTheStoreABulkLoadOfOneBatchGives) {
  const Content content;
  absl::StatusOr<WriteResult> bulk = store().BulkLoad(content.Batch());
  ASSERT_THAT(bulk, IsOk());
  const std::string seen = Seen(content);
  Close();
  const std::string expected = Dump();
  std::string expected_shared;

  const std::tuple<size_t, size_t, bool> chunkings[] = {
      {1000, 0, false}, {7, 0, false}, {1, 0, false}, {1000, 3, false},
      {1000, 0, true},  {7, 0, true},  {1, 0, true},  {1000, 3, true}};
  for (const auto& [size, seal_every, share] : chunkings) {
    SCOPED_TRACE(absl::StrCat("chunks of ", size, ", sealed every ", seal_every,
                              share ? ", shared records" : ""));
    Restart();
    absl::StatusOr<WriteResult> fresh =
        LoadFresh(content, size, seal_every, share);
    ASSERT_THAT(fresh, IsOk());
    EXPECT_EQ(fresh->statements_created, bulk->statements_created);
    EXPECT_EQ(fresh->provenance_added, bulk->provenance_added);
    EXPECT_EQ(fresh->provenance_unchanged, bulk->provenance_unchanged);
    EXPECT_EQ(fresh->provenance_unchanged, 2u);
    // Readers see it at once, through the indexes and the adjacency.
    std::unique_ptr<Reader> reader = store().NewReader();
    EXPECT_EQ(reader->Count(Pattern{}).value(), bulk->statements_created);
    absl::StatusOr<VerifyReport> report = store().Verify([] { return false; });
    ASSERT_THAT(report, IsOk());
    EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->problems);
    EXPECT_EQ(report->provenance_records,
              bulk->provenance_added);  // shared ones counted
    reader.reset();
    EXPECT_EQ(Seen(content), seen);
    EXPECT_EQ(Seen(content, /*page=*/1), Seen(content, 100));
    Close();
    if (!share) {
      EXPECT_EQ(Dump(), expected);
    } else if (expected_shared.empty()) {
      expected_shared = Dump();
      EXPECT_NE(expected_shared, expected);
    } else {
      EXPECT_EQ(Dump(), expected_shared);
    }
  }
}

// A load in parts makes the store the whole load makes, key for key: terms
// and statements of earlier parts keep their numbers, and a statement met
// again gains a record from another document only (its row written
// again), whichever part it is in.
TEST_F(FreshLoadTest, InPartsGivesTheStoreOneLoadGives) {
  const Content content;
  absl::StatusOr<WriteResult> bulk = store().BulkLoad(content.Batch());
  ASSERT_THAT(bulk, IsOk());
  const std::string seen = Seen(content);
  Close();
  const std::string expected = Dump();
  // With shared records (a document's bounds span the parts), the whole
  // fresh load's.
  Restart();
  ASSERT_THAT(LoadFresh(content, 3), IsOk());
  Close();
  const std::string expected_shared = Dump();

  // Statement 3 comes again in 12 (the same record), 13 and the last but
  // one (other documents, one with its tag spelled EN-GB); 0 in 14.
  const std::vector<std::vector<size_t>> splits = {
      {0, 4, 13, 40, 67}, {0, 1, 2, 3, 4, 12, 13, 14, 15, 66, 67}, {0, 60}};
  for (const bool share : {false, true}) {
    for (const std::vector<size_t>& starts : splits) {
      SCOPED_TRACE(::testing::PrintToString(starts) +
                   (share ? ", shared records" : ""));
      Restart();
      absl::StatusOr<std::vector<FreshLoad>> parts =
          Parts(content, starts, share);
      ASSERT_THAT(parts, IsOk());
      WriteResult sum;
      for (FreshLoad& part : *parts) {
        absl::StatusOr<WriteResult> r = store().LoadFresh(std::move(part));
        ASSERT_THAT(r, IsOk());
        sum.statements_created += r->statements_created;
        sum.provenance_added += r->provenance_added;
        sum.provenance_unchanged += r->provenance_unchanged;
      }
      EXPECT_EQ(sum.statements_created, bulk->statements_created);
      EXPECT_EQ(sum.provenance_added, bulk->provenance_added);
      EXPECT_EQ(sum.provenance_unchanged, bulk->provenance_unchanged);
      std::unique_ptr<Reader> reader = store().NewReader();
      EXPECT_EQ(reader->Count(Pattern{}).value(), bulk->statements_created);
      reader.reset();
      absl::StatusOr<VerifyReport> report =
          store().Verify([] { return false; });
      ASSERT_THAT(report, IsOk());
      EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->problems);
      EXPECT_EQ(Seen(content), seen);
      Close();
      EXPECT_EQ(Dump(), share ? expected_shared : expected);
    }
  }
}

// A shared record is a record like any other to writers: the same record
// again is unchanged, a different one from its document is refused, and a
// retraction or a merge gives the statement a record of its own in its
// place, under the same key, which then changes as records do.
TEST_F(FreshLoadTest, SharedRecordsChangeAsRecordsOfTheirOwnDo) {
  const Content content;
  ASSERT_THAT(LoadFresh(content, 1000), IsOk());
  const absl::Time loaded = now_;
  now_ += absl::Hours(1);
  // north_korea sent_troops_to russia: from wordnet (shared) and d3 (its
  // own); russia allied_with north_korea: from g1 (shared) only.
  std::string sent, allied;
  NodeId allied_node = 0;
  store().RefreshCompactAdjacency();
  {
    std::unique_ptr<Reader> reader = store().NewReader();
    ASSERT_THAT(reader->ForEachStatement([&](NodeId tid, const Statement& st) {
      if (st.subject.id == "north_korea" && st.relation == "sent_troops_to") {
        sent = st.id;
      }
      if (st.subject.id == "russia" && st.relation == "allied_with") {
        allied = st.id;
        allied_node = tid;
      }
      return true;
    }),
                IsOk());
    ASSERT_FALSE(sent.empty());
    ASSERT_FALSE(allied.empty());
    absl::StatusOr<std::vector<ProvenanceRecord>> records =
        reader->GetProvenance(sent, false);
    ASSERT_THAT(records, IsOk());
    ASSERT_EQ(records->size(), 2u);
    EXPECT_EQ((*records)[0].input.document_id, "wordnet");
    EXPECT_EQ((*records)[0].recorded_at, loaded);
    EXPECT_EQ((*records)[1].input.document_id, "d3");
    // The compact adjacency counts a shared record's confidence.
    ASSERT_NE(reader->compact_adjacency(), nullptr);
    EXPECT_EQ(reader->compact_adjacency()->BestConfidence(allied_node), 1.0);
    // Filters by document and confidence see it.
    MatchOptions options;
    options.document_id = "wordnet";
    options.min_confidence = 0.9;
    absl::StatusOr<MatchPage> page = reader->Match(
        Pattern{Term::Entity("north_korea"), std::nullopt, std::nullopt},
        options);
    ASSERT_THAT(page, IsOk());
    ASSERT_EQ(page->statements.size(), 1u);
    EXPECT_EQ(page->statements[0].id, sent);
    options.document_id = Ex("graph/g1");
    page = reader->Match(
        Pattern{Term::Entity("north_korea"), std::nullopt, std::nullopt},
        options);
    ASSERT_THAT(page, IsOk());
    EXPECT_TRUE(page->statements.empty());
  }
  // Stamped now: the store keeps its times increasing, by a microsecond.
  auto now = [&](std::optional<absl::Time> t) {
    return t.has_value() && *t >= now_ && *t < now_ + absl::Seconds(1);
  };
  auto verify = [&] {
    absl::StatusOr<VerifyReport> report = store().Verify();
    ASSERT_THAT(report, IsOk());
    EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->problems);
  };

  // The same record again: unchanged, nothing written.
  const std::string seen = Seen(content);
  WriteBatch again;
  StatementInput in;
  in.triple = Triple{Term::Entity("north_korea"), "sent_troops_to",
                     Term::Entity("russia")};
  in.provenance.emplace_back().document_id = "wordnet";
  again.statements.push_back(in);
  absl::StatusOr<WriteResult> w = store().Write(again);
  ASSERT_THAT(w, IsOk());
  EXPECT_EQ(w->provenance_unchanged, 1u);
  EXPECT_EQ(w->provenance_added, 0u);
  EXPECT_EQ(Seen(content), seen);
  // A different one from the same document: retract the shared one first.
  again.statements[0].provenance[0].confidence = 0.5;
  EXPECT_THAT(store().Write(again),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("a different live record from document "
                                 "'wordnet'")));
  EXPECT_EQ(Seen(content), seen);

  // Retracted: a record of its own, retracted, under the shared one's key.
  absl::StatusOr<RetractResult> r = store().Retract(sent, "wordnet");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->provenance_retracted, 1u);
  EXPECT_FALSE(r->statement_removed);  // d3's record holds it
  EXPECT_THAT(store().Retract(sent, "wordnet"),
              StatusIs(absl::StatusCode::kNotFound));
  verify();
  {
    std::unique_ptr<Reader> reader = store().NewReader();
    absl::StatusOr<std::vector<ProvenanceRecord>> records =
        reader->GetProvenance(sent, true);
    ASSERT_THAT(records, IsOk());
    ASSERT_EQ(records->size(), 2u);
    EXPECT_EQ((*records)[0].input.document_id, "wordnet");
    EXPECT_EQ((*records)[0].recorded_at, loaded);
    EXPECT_TRUE(now((*records)[0].retracted_at));
    // Listed once by its document, retracted.
    size_t listed = 0;
    std::string token;
    do {
      absl::StatusOr<ProvenancePage> got =
          reader->ProvenanceByDocument("wordnet", 1, token);
      ASSERT_THAT(got, IsOk());
      for (const auto& [node, record] : got->records) {
        if (record.statement_id != sent) continue;
        ++listed;
        EXPECT_TRUE(record.retracted_at.has_value());
      }
      token = got->next_page_token;
    } while (!token.empty());
    EXPECT_EQ(listed, 1u);
  }
  // Now the same record again is a new one, recorded now.
  again.statements[0].provenance[0].confidence = 1.0;
  w = store().Write(again);
  ASSERT_THAT(w, IsOk());
  EXPECT_EQ(w->provenance_added, 1u);
  verify();

  // Merged away: russia's shared record moves to the statement about the
  // Kremlin; the old statement keeps its own, retracted.
  WriteBatch merge;
  merge.merges.push_back({"russia", "kremlin"});
  ASSERT_THAT(store().Write(merge), IsOk());
  verify();
  {
    std::unique_ptr<Reader> reader = store().NewReader();
    absl::StatusOr<std::vector<ProvenanceRecord>> records =
        reader->GetProvenance(allied, true);
    ASSERT_THAT(records, IsOk());
    ASSERT_EQ(records->size(), 1u);
    EXPECT_EQ((*records)[0].input.document_id, Ex("graph/g1"));
    EXPECT_EQ((*records)[0].recorded_at, loaded);
    EXPECT_TRUE(now((*records)[0].retracted_at));
    absl::StatusOr<MatchPage> page = reader->Match(
        Pattern{Term::Entity("kremlin"), "allied_with", std::nullopt}, {});
    ASSERT_THAT(page, IsOk());
    ASSERT_EQ(page->statements.size(), 1u);
    records = reader->GetProvenance(page->statements[0].id, false);
    ASSERT_THAT(records, IsOk());
    ASSERT_EQ(records->size(), 1u);
    EXPECT_EQ((*records)[0].input.document_id, Ex("graph/g1"));
    EXPECT_TRUE(now((*records)[0].recorded_at));
  }
  Reopen();
  verify();

  // A row naming a shared record that is not there: verify says so, and
  // a reader answers DATA_LOSS rather than fewer records.
  Close();
  EditRawStore(path(), [&](rocksdb::DB* db, auto& h) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}, h[kProvCf]));
    it->Seek(SharedRecordPrefix());
    ASSERT_TRUE(it->Valid());
    uint64_t doc = 0;
    ASSERT_TRUE(DecodeSharedRecordKey(it->key().ToString(), &doc));
    ASSERT_TRUE(db->Delete({}, h[kProvCf], it->key()).ok());
  });
  Reopen();
  absl::StatusOr<VerifyReport> report = store().Verify();
  ASSERT_THAT(report, IsOk());
  EXPECT_THAT(report->problems,
              ::testing::Contains(HasSubstr("has no shared record")));
  std::unique_ptr<Reader> reader = store().NewReader();
  size_t lost = 0;
  ASSERT_THAT(reader->ForEachStatement([&](NodeId tid, const Statement&) {
    lost += reader->ProvenanceAt(tid, true).status().code() ==
            absl::StatusCode::kDataLoss;
    return true;
  }),
              IsOk());
  EXPECT_GT(lost, 0u);
}

// Until its last part, a load in parts holds every other write off; a
// part that fails, AbandonFreshLoad, or a close rolls the parts back, and
// the store is fresh again.
TEST_F(FreshLoadTest, InPartsAllOrNothing) {
  Close();
  const std::string empty = Dump();
  Reopen();
  const Content content;
  const std::vector<size_t> starts = {0, 4, 13, 40};

  // A next part with no first.
  {
    absl::StatusOr<std::vector<FreshLoad>> parts = Parts(content, starts);
    ASSERT_THAT(parts, IsOk());
    EXPECT_THAT(store().LoadFresh(std::move((*parts)[1])),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         HasSubstr("no fresh load in parts is under way")));
    EXPECT_THAT(store().AbandonFreshLoad(),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  // Other writes between the parts; then a part that fails.
  {
    absl::StatusOr<std::vector<FreshLoad>> parts = Parts(content, starts);
    ASSERT_THAT(parts, IsOk());
    ASSERT_THAT(store().LoadFresh(std::move((*parts)[0])), IsOk());
    ASSERT_THAT(store().LoadFresh(std::move((*parts)[1])), IsOk());
    const auto held_off = StatusIs(absl::StatusCode::kFailedPrecondition,
                                   HasSubstr("a fresh load in parts"));
    EXPECT_THAT(store().Write(content.Batch()), held_off);
    EXPECT_THAT(store().BulkLoad(content.Batch()), held_off);
    absl::StatusOr<FreshLoad> whole = content.Load(3);
    ASSERT_THAT(whole, IsOk());
    EXPECT_THAT(store().LoadFresh(*std::move(whole)), held_off);

    Content spoilt = content;
    spoilt.statements[20].object = Term::Iri(Kg("entity/atlantis"));
    absl::StatusOr<std::vector<FreshLoad>> spoilt_parts = Parts(spoilt, starts);
    ASSERT_THAT(spoilt_parts, IsOk());
    EXPECT_THAT(store().LoadFresh(std::move((*spoilt_parts)[2])),
                StatusIs(absl::StatusCode::kNotFound,
                         HasSubstr("no entity 'atlantis'; the load's parts "
                                   "before it were rolled back")));
    EXPECT_EQ(store().NewReader()->Count(Pattern{}).value(), 0u);
    EXPECT_THAT(store().LoadFresh(std::move((*parts)[3])),
                StatusIs(absl::StatusCode::kFailedPrecondition));
    Close();
    EXPECT_EQ(Dump(), empty);
    Reopen();
    EXPECT_FALSE(store().rolled_back_fresh_load());
  }
  // Abandoned.
  {
    absl::StatusOr<std::vector<FreshLoad>> parts = Parts(content, starts);
    ASSERT_THAT(parts, IsOk());
    ASSERT_THAT(store().LoadFresh(std::move((*parts)[0])), IsOk());
    EXPECT_THAT(store().AbandonFreshLoad(), IsOk());
    EXPECT_EQ(store().NewReader()->Count(Pattern{}).value(), 0u);
    Close();
    EXPECT_EQ(Dump(), empty);
    Reopen();
  }
  // Closed (a kill between the parts is the same to the next open).
  {
    absl::StatusOr<std::vector<FreshLoad>> parts = Parts(content, starts);
    ASSERT_THAT(parts, IsOk());
    ASSERT_THAT(store().LoadFresh(std::move((*parts)[0])), IsOk());
    ASSERT_THAT(store().LoadFresh(std::move((*parts)[1])), IsOk());
    Close();
    EXPECT_NE(Dump(), empty);
    // An offline check tells what it holds.
    absl::StatusOr<VerifyReport> report =
        Store::VerifyDirectory(path(), [] { return false; });
    ASSERT_THAT(report, IsOk());
    EXPECT_THAT(::testing::PrintToString(report->problems),
                HasSubstr("a fresh load in parts was cut off before its last "
                          "part"));
    Reopen();
    EXPECT_TRUE(store().rolled_back_fresh_load());
    EXPECT_EQ(store().NewReader()->Count(Pattern{}).value(), 0u);
    Close();
    EXPECT_EQ(Dump(), empty);
    Reopen();
  }
  // And the store takes a whole load again.
  EXPECT_THAT(LoadFresh(content, 3), IsOk());
}

// The filter that spares a later part its lookups never says no to a key
// an earlier part added, and says yes to few others.
TEST(FreshPartsFilterTest, HoldsEveryKeyOfEveryPartAndFewOthers) {
  FreshPartsFilter filter;
  std::vector<std::string> added;
  for (int part = 0; part < 3; ++part) {
    std::vector<std::string> keys;
    for (int i = 0; i < 20000 * (part + 1); ++i) {
      keys.push_back(absl::StrCat("part", part, "/key", i));
    }
    filter.AddPart(std::vector<absl::string_view>(keys.begin(), keys.end()));
    added.insert(added.end(), keys.begin(), keys.end());
  }
  for (const std::string& key : added) {
    ASSERT_TRUE(filter.MayHold(key)) << key;
  }
  int yes = 0;
  for (int i = 0; i < 100000; ++i) {
    yes += filter.MayHold(absl::StrCat("other/key", i));
  }
  // About 1% for each of the three parts.
  EXPECT_LT(yes, 6000);
  EXPECT_FALSE(FreshPartsFilter().MayHold("anything"));
}

// Each kind of item a bulk load would refuse is refused, naming its field,
// and the store stays as it was: still fresh, so the next load goes in.
TEST_F(FreshLoadTest, RefusesWhatABulkLoadWouldAndLeavesTheStoreAsItWas) {
  Close();
  const std::string empty = Dump();
  Reopen();
  struct Case {
    std::string name;
    std::function<void(Content&)> spoil;
    absl::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"an entity no one gave",
       [](Content& l) {
         l.statements[3].object = Term::Iri(Kg("entity/atlantis"));
       },
       absl::StatusCode::kNotFound,
       "chunks[1].statements[0].triple.object: no entity 'atlantis'"},
      {"a relation no one gave",
       [](Content& l) { l.statements[0].relation = Kg("relation/invaded"); },
       absl::StatusCode::kNotFound,
       "chunks[0].statements[0].triple.relation: no relation 'invaded'"},
      {"a literal subject",
       [](Content& l) {
         l.statements[7].subject = Term::RdfLiteral("x", "", "");
       },
       absl::StatusCode::kInvalidArgument,
       "chunks[2].statements[1].triple.subject: a literal cannot be the "
       "subject"},
      {"a quoted statement",
       [](Content& l) {
         l.statements[1].object = Term::Quoted(
             Triple{Term::Entity("russia"), "denied", Term::Entity("kremlin")});
       },
       absl::StatusCode::kInvalidArgument,
       "chunks[0].statements[1].triple.object: a fresh load takes no quoted "
       "statements"},
      {"a relative IRI",
       [](Content& l) { l.statements[9].relation = "not an iri:"; },
       absl::StatusCode::kInvalidArgument,
       "chunks[3].statements[0].triple.relation"},
      {"a bad literal",
       [](Content& l) {
         l.statements[9].object =
             Term::RdfLiteral("x", absl::StrCat(kXsd, "integer\n"));
       },
       absl::StatusCode::kInvalidArgument,
       "chunks[3].statements[0].triple.object"},
      // Statements 3 to 5 share a subject, 3 and 5 a predicate too: a part
      // that Add remembers does not hide the field of one it does not.
      {"a relative IRI after the same subject",
       [](Content& l) { l.statements[4].relation = "Nick Name"; },
       absl::StatusCode::kInvalidArgument,
       "chunks[1].statements[1].triple.relation"},
      {"a bad literal after the same subject and predicate",
       [](Content& l) {
         l.statements[5].object =
             Term::RdfLiteral("x", absl::StrCat(kXsd, "integer\n"));
       },
       absl::StatusCode::kInvalidArgument,
       "chunks[1].statements[2].triple.object"},
      {"an entity without a label",
       [](Content& l) { l.entities[1].label.clear(); },
       absl::StatusCode::kInvalidArgument, "entities[1].label"},
      {"one name for two entities",
       [](Content& l) { l.entities[2].aliases.push_back("NORTH KOREA"); },
       absl::StatusCode::kAlreadyExists,
       "entities[2].aliases[1]: \"NORTH KOREA\" already names entity "
       "'north_korea'"},
      {"an entity given twice with other content",
       [](Content& l) {
         l.entities.push_back(l.entities[0]);
         l.entities.back().label = "DPR Korea";
       },
       absl::StatusCode::kInvalidArgument,
       "entities[4].id: entity 'north_korea' is given twice with other "
       "content"},
      {"a relation given twice with other content",
       [](Content& l) {
         l.relations.push_back(l.relations[0]);
         l.relations.back().symmetric = true;
       },
       absl::StatusCode::kInvalidArgument,
       "relations[4].id: relation 'sent_troops_to' is given twice with other "
       "content"},
      {"a bad relation", [](Content& l) { l.relations[0].id = "Sent"; },
       absl::StatusCode::kInvalidArgument, "relations[0].id"},
      {"a bad document id", [](Content& l) { l.documents[0].id = "no spaces"; },
       absl::StatusCode::kInvalidArgument, "documents[0]"},
      {"a document with a text",
       [](Content& l) {
         l.documents[1].title = "A tale";
         l.documents[1].text = "Once upon a time.";
       },
       absl::StatusCode::kInvalidArgument,
       "documents[1].text: a fresh load takes data documents only"},
      {"a document given twice with other content",
       [](Content& l) {
         l.documents.push_back(l.documents[0]);
         l.documents.back().title = "WordNet 2.1";
       },
       absl::StatusCode::kInvalidArgument,
       "documents[4]: document 'wordnet' is given twice with other content"},
      {"a document the load does not have",
       [](Content& l) { l.statements[5].document = 9; },
       absl::StatusCode::kInvalidArgument,
       "chunks[1].statements[2].provenance[0].document_id"},
  };
  const Content content;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Content spoilt = content;
    c.spoil(spoilt);
    EXPECT_THAT(LoadFresh(spoilt, 3), StatusIs(c.code, HasSubstr(c.message)));
    Close();
    EXPECT_EQ(Dump(), empty);
    Reopen();
  }
  // Chunks made for another store's base IRI, or another load's scope.
  for (const auto& [base, scope] :
       std::vector<std::pair<std::string, std::string>>{
           {"https://example.org/", kScope},
           {"https://kg.invalid/", "fedcba9876543210"}}) {
    absl::StatusOr<FreshLoad> load = content.Load(3);
    ASSERT_THAT(load, IsOk());
    load->chunks[1] = FreshChunk("chunks[1]", base, scope);
    EXPECT_THAT(store().LoadFresh(*std::move(load)),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("chunks[1]: made for another store")));
  }
  Close();
  EXPECT_EQ(Dump(), empty);
  Reopen();
  ASSERT_THAT(LoadFresh(content, 3), IsOk());
  // Now the store has terms: a fresh load is for an empty store only.
  EXPECT_THAT(LoadFresh(content, 3),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("never held a term")));
}

}  // namespace
}  // namespace kg::storage
