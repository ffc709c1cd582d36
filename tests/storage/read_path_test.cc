// Every read path of storage::Reader under failing reads: UNAVAILABLE while
// the disk fails, the right answer after (FaultInjection::set_failing_reads).
// And keys that do not decode: DATA_LOSS naming the key, never a short page.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/fault_injection.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "tests/storage/store_fixture.h"
#include "tests/support/test_util.h"

namespace kg::storage {
namespace {

using ::testing::HasSubstr;
using testing::IsOk;
using testing::StatusIs;

// One read, named for the failure message. Returns the answer printed, or
// the status.
struct ReadPath {
  std::string name;
  std::function<absl::StatusOr<std::string>(Reader&)> read;
};

template <typename T>
absl::StatusOr<std::string> Print(const absl::StatusOr<T>& v,
                                  std::function<std::string(const T&)> show) {
  if (!v.ok()) return v.status();
  return show(*v);
}

std::string Ids(const std::vector<Statement>& statements) {
  std::string out;
  for (const Statement& s : statements) absl::StrAppend(&out, s.id, ";");
  return out;
}

std::string Records(const std::vector<ProvenanceRecord>& records) {
  std::string out;
  for (const ProvenanceRecord& r : records) {
    absl::StrAppend(&out, r.statement_id, "@", r.input.document_id, "[",
                    r.input.evidence_start, ",", r.input.evidence_end, ");");
  }
  return out;
}

class ReadPathTest : public StoreTest {
 protected:
  void SetUp() override {
    ASSERT_THAT(store().Write(Vocabulary()), IsOk());
    WriteBatch b;
    b.statements = {Sent(), Denial()};
    absl::StatusOr<WriteResult> r = store().Write(b);
    ASSERT_THAT(r, IsOk());
    sent_id_ = r->statement_ids[0];
    // Reopened: the data is in SST files (RocksDB flushes what it recovers
    // from the log) and no block is cached, so every read reaches a file.
    Close();
    StoreOptions options;
    options.fault_injection = faults_;
    options.block_cache_bytes = 0;
    options.compact_adjacency = false;
    absl::StatusOr<std::unique_ptr<Store>> s = Store::Open(options, path());
    ASSERT_THAT(s, IsOk());
    store_ = *std::move(s);
    std::unique_ptr<Reader> reader = store().NewReader();
    absl::StatusOr<NodeId> node = reader->NodeOf(Term::StatementId(sent_id_));
    ASSERT_THAT(node, IsOk());
    sent_node_ = *node;
  }

  std::vector<ReadPath> Paths() {
    const std::string sent = sent_id_;
    const NodeId node = sent_node_;
    auto stmt = [](const Statement& s) { return s.id; };
    return {
        {"GetEntity",
         [](Reader& r) {
           return Print<Entity>(r.GetEntity("russia"),
                                [](const Entity& e) { return e.label; });
         }},
        {"FindByName",
         [](Reader& r) {
           return Print<std::vector<Entity>>(
               r.FindByName("Russia"), [](const std::vector<Entity>& v) {
                 return absl::StrCat(v.size(), v.empty() ? "" : v[0].id);
               });
         }},
        {"SearchByPrefix",
         [](Reader& r) {
           return Print<EntityPage>(r.SearchByPrefix("r", 10, ""),
                                    [](const EntityPage& p) {
                                      return absl::StrCat(p.entities.size());
                                    });
         }},
        {"ListEntities",
         [](Reader& r) {
           return Print<EntityPage>(r.ListEntities(10, ""),
                                    [](const EntityPage& p) {
                                      return absl::StrCat(p.entities.size());
                                    });
         }},
        {"GetRelation",
         [](Reader& r) {
           return Print<Relation>(r.GetRelation("denied"),
                                  [](const Relation& x) { return x.label; });
         }},
        {"ListRelations",
         [](Reader& r) {
           return Print<std::vector<Relation>>(
               r.ListRelations(), [](const std::vector<Relation>& v) {
                 return absl::StrCat(v.size());
               });
         }},
        {"GetDocument",
         [](Reader& r) {
           return Print<Document>(r.GetDocument("doc1"),
                                  [](const Document& d) { return d.text; });
         }},
        {"ListDocuments",
         [](Reader& r) {
           return Print<DocumentPage>(r.ListDocuments(true, 10, ""),
                                      [](const DocumentPage& p) {
                                        return absl::StrCat(p.documents.size());
                                      });
         }},
        {"GetStatement",
         [sent, stmt](Reader& r) {
           return Print<Statement>(r.GetStatement(sent), stmt);
         }},
        {"GetProvenance",
         [sent](Reader& r) {
           return Print<std::vector<ProvenanceRecord>>(
               r.GetProvenance(sent, true), Records);
         }},
        {"Match",
         [](Reader& r) {
           Pattern p;
           p.subject = Term::Entity("north_korea");
           return Print<MatchPage>(
               r.Match(p, MatchOptions()),
               [](const MatchPage& m) { return Ids(m.statements); });
         }},
        {"Match with filters",
         [](Reader& r) {
           Pattern p;
           p.relation = "sent_troops_to";
           MatchOptions o;
           o.document_id = "doc1";
           o.min_confidence = 0.5;
           return Print<MatchPage>(r.Match(p, o), [](const MatchPage& m) {
             return Ids(m.statements);
           });
         }},
        {"ListStatements",
         [](Reader& r) {
           return Print<MatchPage>(
               r.ListStatements(10, "", true),
               [](const MatchPage& m) { return Ids(m.statements); });
         }},
        {"Count",
         [](Reader& r) {
           Pattern p;
           p.relation = "denied";
           return Print<uint64_t>(
               r.Count(p), [](const uint64_t& n) { return absl::StrCat(n); });
         }},
        {"EstimateCount",
         [](Reader& r) {
           Pattern p;
           p.object = Term::Entity("russia");
           return Print<uint64_t>(r.EstimateCount(p), [](const uint64_t& n) {
             return absl::StrCat(n);
           });
         }},
        {"Stats",
         [](Reader& r) {
           return Print<StoreStats>(r.Stats(), [](const StoreStats& s) {
             return absl::StrCat(s.statements, "/", s.provenance_records);
           });
         }},
        {"NodeOf",
         [](Reader& r) {
           return Print<NodeId>(
               r.NodeOf(Term::Entity("kremlin")),
               [](const NodeId& n) { return absl::StrCat(n); });
         }},
        {"RelationNodeOf",
         [](Reader& r) {
           return Print<NodeId>(
               r.RelationNodeOf("reported"),
               [](const NodeId& n) { return absl::StrCat(n); });
         }},
        {"TermAt",
         [node](Reader& r) {
           return Print<TermValue>(r.TermAt(node),
                                   [](const TermValue& t) { return t.id; });
         }},
        {"StatementAt",
         [node, stmt](Reader& r) {
           return Print<Statement>(r.StatementAt(node), stmt);
         }},
        {"ProvenanceAt",
         [node](Reader& r) {
           return Print<std::vector<ProvenanceRecord>>(
               r.ProvenanceAt(node, true), Records);
         }},
        {"ProvenanceByDocument",
         [](Reader& r) {
           return Print<ProvenancePage>(r.ProvenanceByDocument("doc1", 10, ""),
                                        [](const ProvenancePage& p) {
                                          return absl::StrCat(p.records.size());
                                        });
         }},
        {"ForEachStatement",
         [](Reader& r) -> absl::StatusOr<std::string> {
           std::string seen;
           absl::Status s =
               r.ForEachStatement([&](NodeId, const Statement& st) {
                 absl::StrAppend(&seen, st.id, ";");
                 return true;
               });
           if (!s.ok()) return s;
           return seen;
         }},
    };
  }

  std::shared_ptr<FaultInjection> faults_ = std::make_shared<FaultInjection>();
  std::string sent_id_;
  NodeId sent_node_ = 0;
};

TEST_F(ReadPathTest, EveryReadIsUnavailableWhileReadsFailAndRightAfter) {
  for (const ReadPath& path : Paths()) {
    SCOPED_TRACE(path.name);
    absl::StatusOr<std::string> want = path.read(*store().NewReader());
    ASSERT_THAT(want, IsOk());
    faults_->set_failing_reads(true);
    const uint64_t failures = faults_->failures();
    // A fresh reader: nothing of this read is cached yet.
    EXPECT_THAT(path.read(*store().NewReader()),
                StatusIs(absl::StatusCode::kUnavailable,
                         HasSubstr("injected read fault")));
    EXPECT_GT(faults_->failures(), failures) << "no read reached a file";
    faults_->set_failing_reads(false);
    absl::StatusOr<std::string> after = path.read(*store().NewReader());
    ASSERT_THAT(after, IsOk());
    EXPECT_EQ(*after, *want);
  }
}

// The scan itself succeeds (its blocks are cached) and the statement rows
// it then reads fail: that is an I/O error, UNAVAILABLE, not corruption.
TEST_F(ReadPathTest, ARowReadFailingInsideAScanIsUnavailableNotDataLoss) {
  Close();
  StoreOptions options;
  options.fault_injection = faults_;
  options.compact_adjacency = false;
  absl::StatusOr<std::unique_ptr<Store>> s = Store::Open(options, path());
  ASSERT_THAT(s, IsOk());
  store_ = *std::move(s);
  std::unique_ptr<Reader> reader = store().NewReader();
  Pattern p;
  p.subject = Term::Entity("north_korea");
  // Caches the dictionary and SPO blocks, not the statement rows (a
  // statement id's lookup would read its row since format 6, to check the
  // short key it is found by).
  ASSERT_THAT(reader->Count(p), IsOk());
  faults_->set_failing_reads(true);
  EXPECT_THAT(store().NewReader()->Match(p, MatchOptions()),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(store().NewReader()->ListStatements(10, "", false),
              StatusIs(absl::StatusCode::kUnavailable));
  faults_->set_failing_reads(false);
  absl::StatusOr<MatchPage> page =
      store().NewReader()->Match(p, MatchOptions());
  ASSERT_THAT(page, IsOk());
  EXPECT_EQ(page->statements.size(), 1u);
}

TEST_F(StoreTest, UndecodableDocumentIndexKeyIsDataLossNamingTheKey) {
  ASSERT_THAT(store().Write(Vocabulary()), IsOk());
  WriteBatch b;
  b.statements = {Sent(), Denial()};
  ASSERT_THAT(store().Write(b), IsOk());
  {
    std::unique_ptr<Reader> reader = store().NewReader();
    absl::StatusOr<ProvenancePage> page =
        reader->ProvenanceByDocument("doc1", 10, "");
    ASSERT_THAT(page, IsOk());
    ASSERT_EQ(page->records.size(), 2u);
  }
  Close();
  EditRawStore(path(), [&](rocksdb::DB* db, auto& h) {
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), h[kDocProvCf]));
    it->SeekToFirst();
    ASSERT_TRUE(it->Valid());
    // A key of the document's prefix, cut short: it sorts before the
    // document's real keys.
    const std::string bad = it->key().ToString().substr(0, 12);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), h[kDocProvCf], bad, "").ok());
  });
  Reopen();
  EXPECT_THAT(store().NewReader()->ProvenanceByDocument("doc1", 10, ""),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("document provenance key")));
}

}  // namespace
}  // namespace kg::storage
