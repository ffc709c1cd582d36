// RDF 1.2 terms in the store (format 2): IRIs, blank nodes, literals with
// any datatype, language and direction, IRI predicates, data documents; the
// canonical forms that keep one node one key; bad input; and the upgrade of
// a format-1 store.
#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "tests/storage/store_fixture.h"
#include "tests/support/test_util.h"

namespace kg::storage {
namespace {

using ::testing::HasSubstr;

constexpr char kXsdInteger[] = "http://www.w3.org/2001/XMLSchema#integer";
constexpr char kEx[] = "http://example.org/";

std::string Ex(const std::string& local) { return kEx + local; }

ProvenanceInput Data(const std::string& doc = "http://example.org/g") {
  ProvenanceInput p;
  p.document_id = doc;
  p.evidence_start = 0;
  p.evidence_end = 0;
  return p;
}

WriteBatch DataBatch(std::vector<StatementInput> statements) {
  WriteBatch b;
  Document d;
  d.id = "http://example.org/g";
  b.documents.push_back(d);
  b.statements = std::move(statements);
  return b;
}

StatementInput St(Term s, std::string p, Term o) {
  return StatementInput{Triple{std::move(s), std::move(p), std::move(o)},
                        {Data()}};
}

class RdfTermsTest : public StoreTest {
 protected:
  Statement Get(const std::string& id) {
    absl::StatusOr<Statement> st = store().NewReader()->GetStatement(id);
    EXPECT_TRUE(st.ok()) << st.status();
    return st.ok() ? *st : Statement();
  }
};

TEST_F(RdfTermsTest, EveryKindOfTermIsWrittenAndReadBack) {
  ASSERT_TRUE(store().Write(Vocabulary()).ok());
  absl::StatusOr<WriteResult> r = store().Write(DataBatch({
      St(Term::Iri(Ex("alice")), Ex("name"),
         Term::RdfLiteral("Alice", "", "en-GB")),
      St(Term::Blank("x"), Ex("name"),
         Term::RdfLiteral("أليس", "", "ar", LiteralDirection::kRtl)),
      St(Term::Blank("x"), Ex("age"), Term::RdfLiteral("030", kXsdInteger)),
      St(Term::Iri(Ex("alice")), Ex("shoe"),
         Term::RdfLiteral("42.50", Ex("units#eu"))),
      St(Term::Iri(Ex("bob")), Ex("said"),
         Term::Quoted(
             Triple{Term::Blank("x"), Ex("knows"), Term::Iri(Ex("alice"))})),
  }));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->statement_ids.size(), 5u);

  Statement name = Get(r->statement_ids[0]);
  EXPECT_EQ(name.subject.kind, Term::Kind::kIri);
  EXPECT_EQ(name.subject.id, Ex("alice"));
  EXPECT_EQ(name.relation, Ex("name"));
  EXPECT_EQ(name.object.literal.type, LiteralType::kLangString);
  EXPECT_EQ(name.object.literal.language, "en-GB");
  EXPECT_EQ(RdfDatatype(name.object.literal),
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString");

  Statement arabic = Get(r->statement_ids[1]);
  EXPECT_EQ(arabic.subject.kind, Term::Kind::kBlank);
  EXPECT_THAT(arabic.subject.id, ::testing::MatchesRegex("b[0-9a-f]{32}"));
  EXPECT_EQ(arabic.object.literal.direction, LiteralDirection::kRtl);

  Statement age = Get(r->statement_ids[2]);
  EXPECT_EQ(age.subject.id, arabic.subject.id);  // one label, one node
  EXPECT_EQ(age.object.literal.type, LiteralType::kTyped);
  EXPECT_EQ(age.object.literal.lexical, "030");
  EXPECT_EQ(age.object.literal.datatype, kXsdInteger);

  Statement shoe = Get(r->statement_ids[3]);
  EXPECT_EQ(shoe.object.literal.datatype, Ex("units#eu"));
  EXPECT_EQ(shoe.object.literal.lexical, "42.50");

  Statement said = Get(r->statement_ids[4]);
  EXPECT_EQ(said.object.kind, Term::Kind::kStatement);
  EXPECT_EQ(Get(said.object.id).subject.id, arabic.subject.id);
  EXPECT_EQ(Get(said.object.id).live_provenance, 0u);  // quoted, not asserted

  // Match by IRI, by IRI predicate, by blank node id, by typed literal.
  auto reader = store().NewReader();
  Pattern by_iri;
  by_iri.subject = Term::Iri(Ex("alice"));
  EXPECT_EQ(*reader->Count(by_iri), 2u);
  Pattern by_predicate;
  by_predicate.relation = Ex("name");
  EXPECT_EQ(*reader->Count(by_predicate), 2u);
  Pattern by_blank;
  by_blank.subject = Term::Blank(arabic.subject.id);
  // Two asserted statements and the one bob's quotes (in the indexes too).
  EXPECT_EQ(*reader->Count(by_blank), 3u);
  Pattern by_literal;
  by_literal.object = Term::RdfLiteral("030", kXsdInteger);
  EXPECT_EQ(*reader->Count(by_literal), 1u);
  by_literal.object = Term::RdfLiteral("30", kXsdInteger);
  EXPECT_EQ(*reader->Count(by_literal), 0u);  // another term
  Pattern unknown;
  unknown.subject = Term::Iri(Ex("nobody"));
  EXPECT_EQ(*reader->Count(unknown), 0u);
  absl::StatusOr<VerifyReport> v = store().Verify();
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->ok()) << v->problems.front();
}

TEST_F(RdfTermsTest, OneNodeHasOneKey) {
  ASSERT_TRUE(store().Write(Vocabulary()).ok());
  const std::string base = store().base_iri();
  EXPECT_EQ(base, "https://kg.invalid/");
  // <base>entity/russia is the entity russia; <base>relation/denied the
  // relation; an xsd:string literal a simple one; "1"^^xsd:integer kg's
  // integer 1; "@EN" and "@en" one tag (first spelling kept).
  absl::StatusOr<WriteResult> r = store().Write(DataBatch({
      St(Term::Iri(base + "entity/kremlin"), base + "relation/denied",
         Term::Iri(base + "entity/russia")),
      St(Term::Entity("kremlin"), "denied", Term::Entity("russia")),
      St(Term::Iri(Ex("a")), Ex("p"),
         Term::RdfLiteral("x", "http://www.w3.org/2001/XMLSchema#string")),
      St(Term::Iri(Ex("a")), Ex("p"), Term::Literal(LiteralType::kString, "x")),
      St(Term::Iri(Ex("a")), Ex("p"), Term::RdfLiteral("1", kXsdInteger)),
      St(Term::Iri(Ex("a")), Ex("p"),
         Term::Literal(LiteralType::kInteger, "1")),
      St(Term::Iri(Ex("a")), Ex("p"), Term::RdfLiteral("hi", "", "EN")),
      St(Term::Iri(Ex("a")), Ex("p"), Term::RdfLiteral("hi", "", "en")),
  }));
  ASSERT_TRUE(r.ok()) << r.status();
  for (int i = 0; i < 8; i += 2) {
    EXPECT_EQ(r->statement_ids[i], r->statement_ids[i + 1]) << i;
  }
  EXPECT_EQ(Get(r->statement_ids[0]).subject.kind, Term::Kind::kEntity);
  EXPECT_EQ(Get(r->statement_ids[0]).relation, "denied");
  EXPECT_EQ(Get(r->statement_ids[4]).object.literal.type,
            LiteralType::kInteger);
  EXPECT_EQ(Get(r->statement_ids[6]).object.literal.language, "EN");
  // Two records (one per spelling) on one statement.
  EXPECT_EQ(Get(r->statement_ids[0]).live_provenance, 1u);
  // The same IRI of a kg name, as a statement IRI, is the statement.
  absl::StatusOr<WriteResult> about = store().Write(
      DataBatch({St(Term::Iri(base + "statement/" + r->statement_ids[0]),
                    Ex("source"), Term::Iri(Ex("tass")))}));
  ASSERT_TRUE(about.ok()) << about.status();
  EXPECT_EQ(Get(about->statement_ids[0]).subject.kind, Term::Kind::kStatement);
  // Statement ids of kg's own vocabulary do not change.
  EXPECT_EQ(r->statement_ids[0],
            StatementIdOf(Triple{Term::Entity("kremlin"), "denied",
                                 Term::Entity("russia")}));
  EXPECT_EQ(
      r->statement_ids[0],
      StatementIdOf(Triple{Term::Iri(base + "entity/kremlin"),
                           base + "relation/denied", Term::Entity("russia")},
                    base));
}

TEST_F(RdfTermsTest, BlankNodesAreScopedToTheirBatch) {
  WriteBatch a =
      DataBatch({St(Term::Blank("b0"), Ex("p"), Term::Iri(Ex("o")))});
  WriteBatch b = a;
  absl::StatusOr<WriteResult> first = store().Write(a);
  absl::StatusOr<WriteResult> second = store().Write(b);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first->statement_ids[0], second->statement_ids[0]);
  // One scope for both (an import): one node.
  a.blank_scope = b.blank_scope = "import-1";
  absl::StatusOr<WriteResult> third = store().Write(a);
  absl::StatusOr<WriteResult> fourth = store().Write(b);
  ASSERT_TRUE(third.ok() && fourth.ok());
  EXPECT_EQ(third->statement_ids[0], fourth->statement_ids[0]);
  EXPECT_EQ(fourth->provenance_unchanged, 1u);
}

TEST_F(RdfTermsTest, DataDocumentsHaveRecordsWithoutSpans) {
  ASSERT_TRUE(store().Write(Vocabulary()).ok());
  WriteBatch batch =
      DataBatch({St(Term::Iri(Ex("a")), Ex("p"), Term::Iri(Ex("b")))});
  Document blank_graph;
  blank_graph.id = "_:g1";
  batch.documents.push_back(blank_graph);
  StatementInput in_blank = St(Term::Iri(Ex("a")), Ex("p"), Term::Iri(Ex("c")));
  in_blank.provenance[0].document_id = "_:g1";
  batch.statements.push_back(in_blank);
  absl::StatusOr<WriteResult> r = store().Write(batch);
  ASSERT_TRUE(r.ok()) << r.status();
  auto reader = store().NewReader();
  absl::StatusOr<std::vector<ProvenanceRecord>> records =
      reader->GetProvenance(r->statement_ids[1], false);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_THAT((*records)[0].input.document_id,
              ::testing::MatchesRegex("_:b[0-9a-f]{32}"));
  EXPECT_EQ((*records)[0].input.evidence_end, 0u);
  absl::StatusOr<Document> g = reader->GetDocument("http://example.org/g");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->text, "");
  EXPECT_TRUE(reader->GetDocument((*records)[0].input.document_id).ok());
}

TEST_F(RdfTermsTest, BadTermsAreRefusedNamingTheFieldAndChangeNothing) {
  ASSERT_TRUE(store().Write(Vocabulary()).ok());
  const std::string before = Dump();
  struct Case {
    std::string name;
    StatementInput statement;
    std::string field;
  };
  StatementInput spanless_on_text = Sent();
  spanless_on_text.provenance = {Data("doc1")};
  StatementInput span_on_data =
      St(Term::Iri(Ex("a")), Ex("p"), Term::Iri(Ex("b")));
  span_on_data.provenance[0] = Evidence(0);
  span_on_data.provenance[0].document_id = "http://example.org/g";
  std::vector<Case> cases = {
      {"relative IRI", St(Term::Iri("a/b"), Ex("p"), Term::Iri(Ex("b"))),
       "statements[0].triple.subject"},
      {"IRI with a space",
       St(Term::Iri(Ex("a b")), Ex("p"), Term::Iri(Ex("b"))),
       "statements[0].triple.subject"},
      {"IRI too long",
       St(Term::Iri(Ex(std::string(5000, 'a'))), Ex("p"), Term::Iri(Ex("b"))),
       "statements[0].triple.subject"},
      {"relative predicate", St(Term::Iri(Ex("a")), "p q:", Term::Iri(Ex("b"))),
       "statements[0].triple.relation"},
      {"bad language tag",
       St(Term::Iri(Ex("a")), Ex("p"), Term::RdfLiteral("x", "", "en_US")),
       "statements[0].triple.object.language"},
      {"direction without language",
       St(Term::Iri(Ex("a")), Ex("p"),
          Term::RdfLiteral("x", "", "", LiteralDirection::kLtr)),
       "statements[0].triple.object.direction"},
      {"rdf:langString without language",
       St(Term::Iri(Ex("a")), Ex("p"),
          Term::RdfLiteral(
              "x", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString")),
       "statements[0].triple.object.datatype"},
      {"relative datatype",
       St(Term::Iri(Ex("a")), Ex("p"), Term::RdfLiteral("x", "integer")),
       "statements[0].triple.object.datatype"},
      {"literal subject",
       St(Term::RdfLiteral("x", ""), Ex("p"), Term::Iri(Ex("b"))),
       "statements[0].triple.subject"},
      {"empty blank label", St(Term::Blank(""), Ex("p"), Term::Iri(Ex("b"))),
       "statements[0].triple.subject"},
      {"entity IRI of no entity",
       St(Term::Iri(store().base_iri() + "entity/atlantis"), Ex("p"),
          Term::Iri(Ex("b"))),
       "statements[0].triple.subject"},
      {"spanless record on a text document", spanless_on_text,
       "statements[0].provenance[0].evidence"},
      {"span on a data document", span_on_data,
       "statements[0].provenance[0].evidence"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    WriteBatch batch = DataBatch({c.statement});
    absl::StatusOr<WriteResult> r = store().Write(batch);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.status().message(), HasSubstr(c.field));
    EXPECT_EQ(Dump(), before);
  }
}

TEST(StoreUpgradeTest, AFormatOneStoreOpensUpgradedAndKeepsItsData) {
  testing::ScopedTempDir dir;
  const std::string path = dir.Sub("store");
  std::filesystem::copy(
      std::string(testing::SourceDir()) + "/tests/testdata/store_format1", path,
      std::filesystem::copy_options::recursive);
  std::filesystem::remove(path + "/README.md");
  StoreOptions options;
  options.sync_writes = false;
  {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(options, path);
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ((*store)->upgraded_from_format(), std::optional<uint32_t>(1));
    EXPECT_EQ((*store)->base_iri(), "https://kg.invalid/");
    auto reader = (*store)->NewReader();
    absl::StatusOr<Entity> nk = reader->GetEntity("north_korea");
    ASSERT_TRUE(nk.ok()) << nk.status();
    EXPECT_EQ(nk->label, "North Korea");
    absl::StatusOr<StoreStats> stats = reader->Stats();
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->statements, 87u);
    EXPECT_EQ(stats->provenance_records, 70u);
    // The same statement ids as the format-1 code gave.
    const std::string deployed =
        StatementIdOf(Triple{Term::Entity("north_korea"), "deployed_troops_to",
                             Term::Entity("russia")});
    absl::StatusOr<Statement> st = reader->GetStatement(deployed);
    ASSERT_TRUE(st.ok()) << st.status();
    EXPECT_GT(st->quoted_by, 0u);
    // Its index entries predate the asserted byte (format 4): an ids-only
    // scan of asserted statements reads the statement rows instead, and
    // finds what Match finds.
    uint64_t asserted = 0, all = 0;
    ASSERT_TRUE(reader
                    ->ScanIds({}, /*include_quoted=*/false,
                              [&](const IdStatement&) { return ++asserted; })
                    .ok());
    ASSERT_TRUE(reader
                    ->ScanIds({}, /*include_quoted=*/true,
                              [&](const IdStatement&) { return ++all; })
                    .ok());
    MatchOptions everything;
    everything.limit = 1000;
    absl::StatusOr<MatchPage> matched = reader->Match(Pattern{}, everything);
    ASSERT_TRUE(matched.ok()) << matched.status();
    EXPECT_EQ(asserted, matched->statements.size());
    EXPECT_EQ(all, 87u);
    EXPECT_LT(asserted, all);
    // Writes work, RDF terms included.
    WriteBatch batch;
    Document d;
    d.id = "http://example.org/g";
    batch.documents.push_back(d);
    batch.statements.push_back(St(Term::Entity("north_korea"),
                                  "http://example.org/p",
                                  Term::RdfLiteral("x", "", "en")));
    EXPECT_TRUE((*store)->Write(batch).ok());
    absl::StatusOr<VerifyReport> v = (*store)->Verify();
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_TRUE(v->ok()) << v->problems.front();
  }
  absl::StatusOr<std::unique_ptr<Store>> again = Store::Open(options, path);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->upgraded_from_format(), std::nullopt);
}

TEST(StoreBaseIriTest, ABaseIsChosenAtCreationAndKept) {
  testing::ScopedTempDir dir;
  StoreOptions options;
  options.sync_writes = false;
  options.base_iri = "http://example.org/kg/";
  {
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Open(options, dir.Sub("s"));
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ((*store)->base_iri(), "http://example.org/kg/");
  }
  options.base_iri = "https://kg.invalid/";  // ignored for an existing store
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Open(options, dir.Sub("s"));
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->base_iri(), "http://example.org/kg/");
  options.base_iri = "not an iri";
  EXPECT_EQ(Store::Open(options, dir.Sub("t")).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.base_iri = "http://example.org/no-slash";
  EXPECT_EQ(Store::Open(options, dir.Sub("t")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kg::storage
