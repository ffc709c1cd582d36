// The store as a SPARQL dataset (query/sparql/store_dataset.h) on a real
// store in a temporary directory with an injected clock: the description
// graph (entities, relations, documents, reifiers, provenance records),
// provenance questions as one query, FROM and kg:descriptions, and time
// travel (as recorded and as reported).
#include "query/sparql/store_dataset.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/sparql/eval.h"
#include "query/sparql/parser.h"
#include "storage/store.h"
#include "tests/support/test_util.h"

namespace kg::sparql {
namespace {

using ::kg::testing::IsOk;
using storage::Document;
using storage::ProvenanceInput;
using storage::Term;
using storage::Triple;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kPrologue[] =
    "PREFIX e: <https://kg.invalid/entity/> "
    "PREFIX r: <https://kg.invalid/relation/> "
    "PREFIX kg: <https://kg.invalid/ns#> "
    "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> "
    "PREFIX prov: <http://www.w3.org/ns/prov#> "
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
    "PREFIX dcterms: <http://purl.org/dc/terms/> ";

constexpr char kMonday[] =
    "South Korea's spy agency said North Korea sent troops to Russia. "
    "The Kremlin denied that North Korea sent troops to Russia.";
constexpr char kFriday[] = "NATO confirmed that North Korea sent troops.";

ProvenanceInput Ev(const Document& doc, absl::string_view sentence,
                   storage::Hedge hedge = storage::Hedge::kAsserted) {
  const size_t at = absl::string_view(doc.text).find(sentence);
  EXPECT_NE(at, std::string::npos) << sentence;
  ProvenanceInput p;
  p.document_id = doc.id;
  p.evidence = std::string(sentence);
  p.evidence_start = static_cast<uint32_t>(at);  // ASCII: bytes are points
  p.evidence_end = static_cast<uint32_t>(at + sentence.size());
  p.hedge = hedge;
  p.confidence = 0.75;
  return p;
}

Triple T(absl::string_view s, absl::string_view r, const Term& o) {
  return Triple{Term::Entity(std::string(s)), std::string(r), o};
}
Term E(absl::string_view id) { return Term::Entity(std::string(id)); }

// Passes every call on to another dataset, counting the walks in object
// order it answered and the full reads of one predicate's triples.
class WatchedDataset : public Dataset {
 public:
  explicit WatchedDataset(Dataset& inner) : inner_(inner) {}
  int walks = 0;  // MatchInObjectOrder calls the dataset answered
  int scans = 0;  // Match calls with only the predicate known

  Id Lookup(const rdf::Term& term) override { return inner_.Lookup(term); }
  rdf::Term TermOf(Id id) override { return inner_.TermOf(id); }
  bool TripleOf(Id id, Id* s, Id* p, Id* o) override {
    return inner_.TripleOf(id, s, p, o);
  }
  void Match(Id graph, Id s, Id p, Id o,
             const std::function<bool(Id, Id, Id)>& fn) override {
    scans += s == 0 && o == 0 && p != 0;
    inner_.Match(graph, s, p, o, fn);
  }
  std::vector<Id> NamedGraphs() override { return inner_.NamedGraphs(); }
  bool MatchTripleTerms(Id s, Id p, Id o,
                        const std::function<bool(Id)>& fn) override {
    return inner_.MatchTripleTerms(s, p, o, fn);
  }
  bool ObjectsOf(Id graph, Id p, const std::function<bool(Id)>& fn) override {
    return inner_.ObjectsOf(graph, p, fn);
  }
  bool MatchObjectPrefix(Id graph, Id p, absl::string_view prefix,
                         const std::function<bool(Id, Id, Id)>& fn) override {
    return inner_.MatchObjectPrefix(graph, p, prefix, fn);
  }
  bool MatchInObjectOrder(Id graph, Id p, absl::string_view prefix,
                          const std::function<bool(Id, Id, Id)>& fn) override {
    const bool walked = inner_.MatchInObjectOrder(graph, p, prefix, fn);
    walks += walked;
    return walked;
  }
  std::optional<uint64_t> EstimateObjectPrefix(
      Id graph, Id p, absl::string_view prefix) override {
    return inner_.EstimateObjectPrefix(graph, p, prefix);
  }
  absl::StatusOr<std::optional<uint64_t>> Count(
      Id graph, Id s, Id p, Id o,
      const std::function<absl::Status()>& check) override {
    return inner_.Count(graph, s, p, o, check);
  }
  absl::StatusOr<std::optional<GroupCounts>> CountByEnd(
      Id graph, Id p, bool by_subject, size_t max_groups,
      const std::function<absl::Status()>& check) override {
    return inner_.CountByEnd(graph, p, by_subject, max_groups, check);
  }
  bool IsCanonical(Id id) override { return inner_.IsCanonical(id); }
  uint64_t Estimate(Id graph, Id s, Id p, Id o) override {
    return inner_.Estimate(graph, s, p, o);
  }
  double MatchesPerBinding(Id graph, Id s, Id p, Id o, bool subject_bound,
                           bool object_bound) override {
    return inner_.MatchesPerBinding(graph, s, p, o, subject_bound,
                                    object_bound);
  }
  bool JoinsById(Id p) override { return inner_.JoinsById(p); }
  double LookupCost(Id graph) override { return inner_.LookupCost(graph); }
  bool ProvidesService(const std::string& iri) override {
    return inner_.ProvidesService(iri);
  }
  absl::StatusOr<std::vector<ServiceSolution>> Service(
      const std::string& iri, const std::vector<ServiceArgument>& arguments,
      const std::function<absl::Status()>& check) override {
    return inner_.Service(iri, arguments, check);
  }

 private:
  Dataset& inner_;
};

class StoreDatasetTest : public ::testing::Test {
 protected:
  StoreDatasetTest() {
    storage::StoreOptions options;
    options.clock = [this] { return now_; };
    options.sync_writes = false;
    absl::StatusOr<std::unique_ptr<storage::Store>> s =
        storage::Store::Open(options, dir_.Sub("db"));
    EXPECT_THAT(s.status(), IsOk());
    if (s.ok()) store_ = *std::move(s);
  }

  // The graph of the tests: a spy agency says North Korea sent troops to
  // Russia (Monday), the Kremlin denies it (Monday), NATO confirms it
  // (Friday, written a day later).
  void WriteClaims() {
    storage::WriteBatch b;
    b.entities = {
        {"nis", "National Intelligence Service", "Organization", {"NIS"}},
        {"kremlin", "Kremlin", "Organization", {}},
        {"nato", "NATO", "Organization", {}},
        {"north_korea", "North Korea", "Country", {"Pyongyang"}},
        {"russia", "Russia", "Country", {}}};
    b.relations = {
        {"sent_troops_to", "sent troops to", false, storage::Polarity::kNone},
        {"said", "said", false, storage::Polarity::kSupports},
        {"denied", "denied", false, storage::Polarity::kOpposes},
        {"confirmed", "confirmed", false, storage::Polarity::kSupports}};
    monday_ = {"monday", "Spy agency report", "Yonhap",
               storage::ParseDate("2024-10-14"), kMonday};
    b.documents = {monday_};
    const Triple sent = T("north_korea", "sent_troops_to", E("russia"));
    b.statements = {
        {sent, {Ev(monday_, "North Korea sent troops to Russia.")}},
        {T("nis", "said", Term::Quoted(sent)),
         {Ev(monday_,
             "South Korea's spy agency said North Korea sent troops to "
             "Russia.",
             storage::Hedge::kReportedly)}},
        {T("kremlin", "denied", Term::Quoted(sent)),
         {Ev(monday_,
             "The Kremlin denied that North Korea sent troops to Russia.")}}};
    ASSERT_THAT(store_->Write(b).status(), IsOk());
    monday_written_ = now_;
    now_ += absl::Hours(24);
    storage::WriteBatch f;
    friday_ = {"friday", "NATO briefing", "NATO",
               storage::ParseDate("2024-10-18"), kFriday};
    f.documents = {friday_};
    f.statements = {
        {T("nato", "confirmed", Term::Quoted(sent)), {Ev(friday_, kFriday)}}};
    ASSERT_THAT(store_->Write(f).status(), IsOk());
    now_ += absl::Hours(24);
  }

  // The rows of a SELECT, each as its terms' N-Triples forms joined by
  // spaces ("-" for unbound).
  std::vector<std::string> Select(const std::string& text,
                                  StoreDatasetOptions options = {}) {
    ParseOptions parse;
    parse.base_iri = "https://kg.invalid/";
    absl::StatusOr<Query> query = Parse(absl::StrCat(kPrologue, text), parse);
    EXPECT_THAT(query.status(), IsOk());
    if (!query.ok()) return {};
    std::unique_ptr<storage::Reader> reader = store_->NewReader();
    StoreDataset data(*reader, std::move(options));
    absl::StatusOr<QueryResult> result = Evaluate(*query, data, eval_options_);
    EXPECT_THAT(result.status(), IsOk());
    EXPECT_THAT(data.status(), IsOk());
    std::vector<std::string> rows;
    if (!result.ok()) return rows;
    for (const auto& row : result->rows) {
      std::vector<std::string> cells;
      for (const auto& v : row) {
        cells.push_back(v.has_value() ? rdf::ToNTriples(*v) : "-");
      }
      rows.push_back(absl::StrJoin(cells, " "));
    }
    return rows;
  }

  EvalOptions eval_options_;  // Select's
  kg::testing::ScopedTempDir dir_;
  absl::Time now_ = absl::FromUnixSeconds(1728900000);  // 2024-10-14
  absl::Time monday_written_;
  Document monday_, friday_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(StoreDatasetTest, EntitiesRelationsAndDocumentsAreDescribed) {
  WriteClaims();
  EXPECT_THAT(
      Select("SELECT ?l ?t ?alias WHERE { e:north_korea rdfs:label ?l ; "
             "kg:entityType ?t ; skos:altLabel ?alias }"),
      ElementsAre("\"North Korea\" \"Country\" \"Pyongyang\""));
  // By alias, and by type as rdf:type.
  EXPECT_THAT(Select("SELECT ?e WHERE { ?e skos:altLabel \"Pyongyang\" }"),
              ElementsAre("<https://kg.invalid/entity/north_korea>"));
  EXPECT_THAT(
      Select("SELECT ?e WHERE { ?e a <https://kg.invalid/type/Country> }"),
      UnorderedElementsAre("<https://kg.invalid/entity/north_korea>",
                           "<https://kg.invalid/entity/russia>"));
  EXPECT_THAT(Select("SELECT ?r WHERE { ?r kg:polarity kg:opposes }"),
              // The relation, and the one claim made with it.
              UnorderedElementsAre(
                  "<https://kg.invalid/relation/denied>",
                  ::testing::StartsWith("<https://kg.invalid/statement/s")));
  EXPECT_THAT(Select("SELECT ?title ?date WHERE { "
                     "<https://kg.invalid/document/friday> dcterms:title "
                     "?title ; dcterms:issued ?date }"),
              ElementsAre("\"NATO briefing\" "
                          "\"2024-10-18\"^^<http://www.w3.org/2001/"
                          "XMLSchema#date>"));
}

TEST_F(StoreDatasetTest, EachStatementHasItsReifierAndEachRecordItsTriples) {
  WriteClaims();
  const std::string sent =
      storage::StatementIdOf(T("north_korea", "sent_troops_to", E("russia")));
  // The reifier, found from the triple term and by its IRI.
  EXPECT_THAT(
      Select("SELECT ?st WHERE { ?st rdf:reifies "
             "<<( e:north_korea r:sent_troops_to e:russia )>> }"),
      ElementsAre(absl::StrCat("<https://kg.invalid/statement/", sent, ">")));
  EXPECT_THAT(
      Select(absl::StrCat("SELECT ?id WHERE { <https://kg.invalid/statement/",
                          sent, "> kg:statementId ?id }")),
      ElementsAre(absl::StrCat("\"", sent, "\"")));
  // Its one record, with PROV-O's names.
  EXPECT_THAT(
      Select("SELECT ?text ?start ?end ?doc ?hedge ?confidence ?at WHERE { "
             "<< e:north_korea r:sent_troops_to e:russia >> "
             "prov:wasDerivedFrom ?rec . ?rec prov:value ?text ; "
             "kg:evidenceStart ?start ; kg:evidenceEnd ?end ; "
             "prov:wasQuotedFrom ?doc ; kg:hedge ?hedge ; kg:confidence "
             "?confidence ; prov:generatedAtTime ?at }"),
      ElementsAre(absl::StrCat(
          "\"North Korea sent troops to Russia.\" ",
          "\"30\"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger> ",
          "\"64\"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger> ",
          "<https://kg.invalid/document/monday> \"asserted\" ",
          "\"0.75\"^^<http://www.w3.org/2001/XMLSchema#double> ",
          "\"2024-10-14T10:00:00Z\"^^<http://www.w3.org/2001/"
          "XMLSchema#dateTime>")));
  // A record's IRI as a constant describes it.
  std::vector<std::string> records =
      Select(absl::StrCat("SELECT ?rec WHERE { <https://kg.invalid/statement/",
                          sent, "> prov:wasDerivedFrom ?rec }"));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_THAT(
      Select(absl::StrCat("SELECT ?st ?hedge WHERE { ?st prov:wasDerivedFrom ",
                          records[0], " . ", records[0], " kg:hedge ?hedge }")),
      ElementsAre(absl::StrCat("<https://kg.invalid/statement/", sent,
                               "> \"asserted\"")));
  // The records of a document, from the document.
  EXPECT_THAT(
      Select("SELECT (COUNT(?rec) AS ?n) WHERE { ?rec prov:wasQuotedFrom "
             "<https://kg.invalid/document/monday> }"),
      ElementsAre("\"3\"^^<http://www.w3.org/2001/XMLSchema#integer>"));
}

TEST_F(StoreDatasetTest, WhoDeniesWhatInWhichSentenceIsOneQuery) {
  WriteClaims();
  EXPECT_THAT(
      Select("SELECT ?who ?sentence WHERE { "
             "?who ?r <<( ?s ?p ?o )>> {| prov:wasDerivedFrom ?rec |} . "
             "?r kg:polarity kg:opposes . ?rec prov:value ?sentence }"),
      ElementsAre("<https://kg.invalid/entity/kremlin> \"The Kremlin denied "
                  "that North Korea sent troops to Russia.\""));
  // And every stance on the deployment, with the claimant's label.
  EXPECT_THAT(
      Select("SELECT ?label ?polarity WHERE { "
             "?who ?r <<( e:north_korea r:sent_troops_to e:russia )>> . "
             "?r kg:polarity ?polarity . ?who rdfs:label ?label } "
             "ORDER BY ?label"),
      ElementsAre("\"Kremlin\" <https://kg.invalid/ns#opposes>",
                  "\"NATO\" <https://kg.invalid/ns#supports>",
                  "\"National Intelligence Service\" "
                  "<https://kg.invalid/ns#supports>"));
}

TEST_F(StoreDatasetTest,
       FromChoosesWhetherTheDescriptionsAreInTheDefaultGraph) {
  WriteClaims();
  const std::string count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }";
  StoreDatasetOptions data_only;
  data_only.default_documents = {"monday", "friday"};
  EXPECT_THAT(Select(count, data_only),
              ElementsAre("\"4\"^^<http://www.w3.org/2001/XMLSchema#integer>"));
  StoreDatasetOptions descriptions_only;
  descriptions_only.default_documents = {"https://kg.invalid/ns#descriptions"};
  const std::vector<std::string> d = Select(
      "SELECT ?s WHERE { ?s ?p ?o FILTER(?p = r:said) }", descriptions_only);
  EXPECT_THAT(d, IsEmpty());
  EXPECT_THAT(
      Select("SELECT ?l WHERE { e:nato rdfs:label ?l }", descriptions_only),
      ElementsAre("\"NATO\""));
  // The default: both.
  EXPECT_THAT(Select("SELECT ?l WHERE { ?who r:said ?what . ?who rdfs:label "
                     "?l }"),
              ElementsAre("\"National Intelligence Service\""));
}

TEST_F(StoreDatasetTest, AGraphOfAnotherNameIsEmptyEvenInAOneDocumentStore) {
  storage::WriteBatch b;
  b.entities = {{"nato", "NATO", "Organization", {}},
                {"russia", "Russia", "Country", {}}};
  b.relations = {{"warned", "warned", false, storage::Polarity::kNone}};
  Document d{"only", "The only document", "", std::nullopt,
             "NATO warned Russia."};
  b.documents = {d};
  b.statements = {{T("nato", "warned", E("russia")), {Ev(d, "NATO warned")}}};
  ASSERT_THAT(store_->Write(b).status(), IsOk());
  StoreDatasetOptions other;
  other.named_documents = {"another"};
  other.default_documents = {"another"};
  EXPECT_THAT(Select("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", other),
              IsEmpty());
  EXPECT_THAT(Select("SELECT * WHERE { ?s ?p ?o }", other), IsEmpty());
  StoreDatasetOptions itself;
  itself.named_documents = {"only"};
  itself.default_documents = {"only"};
  EXPECT_THAT(Select("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", itself),
              ElementsAre("<https://kg.invalid/document/only>"));
  EXPECT_THAT(Select("SELECT ?s WHERE { ?s ?p ?o }", itself),
              ElementsAre("<https://kg.invalid/entity/nato>"));
}

TEST_F(StoreDatasetTest, AsRecordedSeesTheStoreAsItStoodThen) {
  WriteClaims();
  const Triple denied =
      T("kremlin", "denied",
        Term::Quoted(T("north_korea", "sent_troops_to", E("russia"))));
  ASSERT_THAT(
      store_->Retract(storage::StatementIdOf(denied), "monday").status(),
      IsOk());
  // (Claims only: the statement's reifier is also a subject with the
  // triple term as object, through rdf:reifies.)
  const std::string who =
      "SELECT ?who WHERE { ?who ?r <<( e:north_korea r:sent_troops_to "
      "e:russia )>> . ?r kg:polarity ?polarity } ORDER BY ?who";
  // Now: the denial is retracted.
  EXPECT_THAT(Select(who), ElementsAre("<https://kg.invalid/entity/nato>",
                                       "<https://kg.invalid/entity/nis>"));
  // Just after Monday's write: the denial stood, NATO had not spoken.
  StoreDatasetOptions then;
  absl::StatusOr<query::RecordFilter> filter =
      query::RecordFilter::Create({monday_written_ + absl::Minutes(1), ""});
  ASSERT_THAT(filter.status(), IsOk());
  then.as_of = *filter;
  EXPECT_THAT(Select(who, then),
              ElementsAre("<https://kg.invalid/entity/kremlin>",
                          "<https://kg.invalid/entity/nis>"));
  // Its record too, and the retracted statement's reifier.
  EXPECT_THAT(Select("SELECT ?sentence WHERE { e:kremlin r:denied ?x "
                     "{| prov:wasDerivedFrom ?rec |} . ?rec prov:value "
                     "?sentence }",
                     then),
              ElementsAre("\"The Kremlin denied that North Korea sent troops "
                          "to Russia.\""));
  EXPECT_THAT(Select("SELECT ?rec WHERE { ?st prov:wasDerivedFrom ?rec ; "
                     "kg:polarity kg:opposes }"),
              IsEmpty());
}

// COUNT of one triple, and counts grouped by one of its ends, are answered
// from the store's counts (the compact
// adjacency's per relation while it is current, else an ids-only index
// scan) and equals the count of the matches, which a FILTER forces: only
// asserted statements count, in the current state as after a retraction,
// and time travel counts the matches.
TEST_F(StoreDatasetTest, ACountOfOneTripleEqualsTheCountOfItsMatches) {
  WriteClaims();
  // A statement only quoted: in the indexes, not asserted.
  storage::WriteBatch quoted;
  quoted.statements = {
      {T("kremlin", "said",
         Term::Quoted(T("russia", "sent_troops_to", E("north_korea")))),
       {Ev(monday_,
           "The Kremlin denied that North Korea sent troops to "
           "Russia.")}}};
  ASSERT_THAT(store_->Write(quoted).status(), IsOk());
  store_->RefreshCompactAdjacency();
  ASSERT_NE(store_->NewReader()->compact_adjacency(), nullptr);
  ASSERT_TRUE(store_->NewReader()->compact_confidences_current());
  const std::vector<std::string> counts = {
      "SELECT (COUNT(*) AS ?n) WHERE { ?s r:sent_troops_to ?o }",
      "SELECT (COUNT(?o) AS ?n) (COUNT(*) AS ?m) WHERE { ?s r:said ?o }",
      "SELECT (COUNT(*) AS ?n) WHERE { ?s r:sent_troops_to e:russia }",
      "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p e:russia }",
      "SELECT (COUNT(*) AS ?n) WHERE { ?s r:nothing_like_it ?o }",
      "SELECT (COUNT(*) AS ?n) WHERE { ?s rdfs:label ?o }",
  };
  auto matched = [](const std::string& q) {
    return absl::StrCat(q.substr(0, q.size() - 1), "FILTER(BOUND(?s)) }");
  };
  // NIS and the Kremlin said; five entities and four relations have labels.
  const std::vector<std::string> expected = {"\"1\"^^", "\"2\"^^", "\"1\"^^",
                                             "\"1\"^^", "\"0\"^^", "\"9\"^^"};
  for (size_t i = 0; i < counts.size(); ++i) {
    const std::vector<std::string> fast = Select(counts[i]);
    ASSERT_EQ(fast.size(), 1u) << counts[i];
    EXPECT_THAT(fast[0], ::testing::StartsWith(expected[i])) << counts[i];
    EXPECT_EQ(fast, Select(matched(counts[i]))) << counts[i];
  }
  // Shapes the dataset's counts do not answer count the matches: a graph,
  // a default graph that leaves documents out (FROM), a repeated variable.
  StoreDatasetOptions monday;
  monday.default_documents = std::vector<std::string>{"monday"};
  const std::string graph =
      "SELECT (COUNT(*) AS ?n) WHERE { GRAPH "
      "<https://kg.invalid/document/friday> { ?s ?p ?o } }";
  const std::string confirmed =
      "SELECT (COUNT(*) AS ?n) WHERE { ?s r:confirmed ?o }";
  const std::string repeated = "SELECT (COUNT(*) AS ?n) WHERE { ?s r:said ?s }";
  EXPECT_THAT(Select(graph), ElementsAre(::testing::StartsWith("\"1\"^^")));
  EXPECT_EQ(Select(graph), Select(matched(graph)));
  EXPECT_THAT(Select(confirmed, monday),
              ElementsAre(::testing::StartsWith("\"0\"^^")));
  EXPECT_EQ(Select(confirmed, monday), Select(matched(confirmed), monday));
  EXPECT_THAT(Select(confirmed), ElementsAre(::testing::StartsWith("\"1\"^^")));
  EXPECT_THAT(Select(repeated), ElementsAre(::testing::StartsWith("\"0\"^^")));
  // Counts grouped by one end come from the compact adjacency too.
  const std::vector<std::string> grouped = {
      "SELECT ?o (COUNT(*) AS ?n) WHERE { ?s r:sent_troops_to ?o } GROUP BY ?o",
      "SELECT ?s (COUNT(?o) AS ?n) WHERE { ?s r:said ?o } GROUP BY ?s",
      "SELECT ?o (COUNT(?s) AS ?n) WHERE { ?s r:said ?o } GROUP BY ?o",
      "SELECT ?s (COUNT(*) AS ?n) WHERE { ?s r:nothing_like_it ?o } "
      "GROUP BY ?s",
  };
  auto matched_grouped = [](const std::string& q) {
    const size_t at = q.find("} GROUP BY");
    return absl::StrCat(q.substr(0, at), "FILTER(BOUND(?s)) ", q.substr(at));
  };
  EXPECT_THAT(Select(grouped[0]),
              ElementsAre("<https://kg.invalid/entity/russia> "
                          "\"1\"^^<http://www.w3.org/2001/XMLSchema#integer>"));
  EXPECT_THAT(Select(grouped[3]), IsEmpty());
  for (const std::string& q : grouped) {
    EXPECT_THAT(Select(q), ::testing::UnorderedElementsAreArray(
                               Select(matched_grouped(q))))
        << q;
  }
  // Retracted, the statement stays indexed (claims quote it) but is no
  // longer asserted; the counts read the index now.
  const Triple sent = T("north_korea", "sent_troops_to", E("russia"));
  ASSERT_THAT(store_->Retract(storage::StatementIdOf(sent), "monday").status(),
              IsOk());
  ASSERT_FALSE(store_->NewReader()->compact_confidences_current());
  for (const std::string& q : counts) {
    EXPECT_EQ(Select(q), Select(matched(q))) << q;
  }
  EXPECT_THAT(Select(grouped[0]), IsEmpty());
  for (const std::string& q : grouped) {
    EXPECT_THAT(Select(q), ::testing::UnorderedElementsAreArray(
                               Select(matched_grouped(q))))
        << q;
  }
  EXPECT_THAT(Select(counts[0]), ElementsAre(::testing::StartsWith("\"0\"^^")));
  // Before the retraction, as recorded: the match's count.
  StoreDatasetOptions then;
  absl::StatusOr<query::RecordFilter> filter =
      query::RecordFilter::Create({monday_written_ + absl::Minutes(1), ""});
  ASSERT_THAT(filter.status(), IsOk());
  then.as_of = *filter;
  EXPECT_THAT(Select(counts[0], then),
              ElementsAre(::testing::StartsWith("\"1\"^^")));
}

// With a current compact adjacency, a triple's estimate is exact: the
// indexed statements (asserted or only quoted) that fit, counted on its
// edges without reading the index.
TEST_F(StoreDatasetTest, EstimatesFromTheCompactAdjacencyAreExact) {
  WriteClaims();
  store_->RefreshCompactAdjacency();
  std::unique_ptr<storage::Reader> reader = store_->NewReader();
  ASSERT_NE(reader->compact_adjacency(), nullptr);
  StoreDatasetOptions options;
  options.default_documents = std::vector<std::string>{"monday", "friday"};
  StoreDataset data(*reader, options);  // no descriptions: the data alone
  auto id = [&](const std::string& iri) {
    return data.Lookup(
        rdf::Term::Iri(absl::StrCat("https://kg.invalid/", iri)));
  };
  const Id nk = id("entity/north_korea");
  const Id russia = id("entity/russia");
  const Id sent = id("relation/sent_troops_to");
  const Id said = id("relation/said");
  const Id confirmed = id("relation/confirmed");
  ASSERT_NE(nk, 0u);
  ASSERT_NE(sent, 0u);
  struct Case {
    Id s, p, o;
    uint64_t want;
  };
  // Four statements: the troops (quoted by three claims), three claims.
  for (const Case& c : std::vector<Case>{{0, 0, 0, 4},
                                         {0, sent, 0, 1},
                                         {0, said, 0, 1},
                                         {nk, 0, 0, 1},
                                         {nk, sent, russia, 1},
                                         {nk, said, russia, 0},
                                         {0, 0, russia, 1},
                                         {0, confirmed, 0, 1}}) {
    uint64_t indexed = 0;
    ASSERT_THAT(reader->ScanIds(storage::IdPattern{c.s, c.p, c.o},
                                /*include_quoted=*/true,
                                [&](const storage::IdStatement&) {
                                  ++indexed;
                                  return true;
                                }),
                IsOk());
    EXPECT_EQ(indexed, c.want) << c.s << " " << c.p << " " << c.o;
    EXPECT_EQ(data.Estimate(kDefaultGraph, c.s, c.p, c.o), c.want)
        << c.s << " " << c.p << " " << c.o;
  }
  EXPECT_THAT(data.status(), IsOk());
}

// Every join method answers alike over the store: relations' statements,
// the description graph (which joins only by lookups), named graphs, time
// travel, with and without a current compact adjacency.
TEST_F(StoreDatasetTest, EveryJoinMethodAnswersAlike) {
  WriteClaims();
  storage::WriteBatch more;
  more.statements = {
      {T("nis", "said", E("russia")), {Ev(monday_, kMonday)}},
      {T("kremlin", "said", E("nato")), {Ev(monday_, kMonday)}},
      {T("russia", "sent_troops_to", E("nato")), {Ev(monday_, kMonday)}}};
  ASSERT_THAT(store_->Write(more).status(), IsOk());
  const std::vector<std::string> queries = {
      "SELECT * WHERE { ?s r:said ?o . ?o r:sent_troops_to ?x }",
      "SELECT * WHERE { ?s r:said e:russia . ?s r:said ?o }",
      "SELECT * WHERE { ?a r:sent_troops_to ?b . ?c r:said ?b }",
      "SELECT ?who ?sentence WHERE { "
      "?who ?r <<( ?s ?p ?o )>> {| prov:wasDerivedFrom ?rec |} . "
      "?r kg:polarity kg:opposes . ?rec prov:value ?sentence }",
      "SELECT * WHERE { ?s r:said ?o . ?s rdfs:label ?l }",
      "SELECT * WHERE { GRAPH ?g { ?s r:said ?o . ?o r:sent_troops_to ?x } }",
      "SELECT * WHERE { GRAPH <https://kg.invalid/document/friday> { "
      "?s ?p ?o . ?s r:confirmed ?x } }",
  };
  StoreDatasetOptions then;
  absl::StatusOr<query::RecordFilter> filter =
      query::RecordFilter::Create({monday_written_ + absl::Minutes(1), ""});
  ASSERT_THAT(filter.status(), IsOk());
  then.as_of = *filter;
  for (bool compact : {false, true}) {
    if (compact) store_->RefreshCompactAdjacency();
    for (const std::string& q : queries) {
      for (const StoreDatasetOptions& options : {StoreDatasetOptions(), then}) {
        eval_options_.join_methods = EvalOptions::JoinMethods::kLookups;
        const std::vector<std::string> lookups = Select(q, options);
        eval_options_.join_methods = EvalOptions::JoinMethods::kJoins;
        EXPECT_THAT(Select(q, options),
                    ::testing::UnorderedElementsAreArray(lookups))
            << q;
        eval_options_.join_methods = EvalOptions::JoinMethods::kCost;
        EXPECT_THAT(Select(q, options),
                    ::testing::UnorderedElementsAreArray(lookups))
            << q;
      }
    }
  }
  eval_options_.join_methods = EvalOptions::JoinMethods::kLookups;
  EXPECT_THAT(Select(queries[0]), ::testing::SizeIs(1));  // NIS said Russia
}

// A FILTER that requires a label to start with a literal prefix (STRSTARTS,
// or a regex anchored by ^) finds the labels by prefix in the entity table
// instead of reading every label: the same rows as the filter over every
// label (which `|| false` forces), and an estimate of the matches by
// prefix.
TEST_F(StoreDatasetTest, ALabelPrefixFilterFindsTheLabelsByPrefix) {
  WriteClaims();
  store_->RefreshCompactAdjacency();
  ASSERT_NE(store_->NewReader()->entity_table(), nullptr);
  const std::vector<std::pair<std::string, size_t>> filters = {
      {"regex(?l, \"^N\")", 3},               // NIS, NATO, North Korea
      {"regex(?l, \"^No\")", 1},              // North Korea
      {"regex(?l, \"^Rx?ussia\")", 1},        // "x" optional: prefix "R"
      {"regex(?l, \"^N.T\")", 1},             // NATO: prefix "N"
      {"regex(?l, \"^Russia$\")", 1},         //
      {"regex(?l, \"^(Kremlin|NATO)\")", 2},  // no prefix
      {"regex(?l, \"^\\\\.\")", 0},           // a literal dot
      {"regex(?l, \"^kremlin\", \"i\")", 1},  // flags: no prefix
      {"regex(?l, \"^sent\")", 1},            // a relation's label
      {"regex(?l, \"^\\\\d\")", 0},           // a class: no prefix
      {"regex(?l, \"^NA+?\")", 1},            // "A" at least once: "NA"
      {"regex(?l, \"^Nx{0,}A\")", 1},         // "x" maybe never: "N"
      {"regex(?l, \"^[N]\")", 3},             // a class: no prefix
      {"regex(?l, \"^(?i)n\")", 3},           // a group: no prefix
      {"STRSTARTS(?l, \"Nat\")", 1},
      {"STRSTARTS(STR(?l), \"N\")", 3},
      {"STRSTARTS(?l, \"N\") && regex(?l, \"^NA\")", 1},
  };
  for (const auto& [filter, rows] : filters) {
    const std::string q = absl::StrCat(
        "SELECT ?s ?l WHERE { ?s rdfs:label ?l FILTER(", filter, ") }");
    const std::string every =
        absl::StrCat("SELECT ?s ?l WHERE { ?s rdfs:label ?l FILTER((", filter,
                     ") || false) }");
    const std::vector<std::string> found = Select(q);
    EXPECT_EQ(found.size(), rows) << filter;
    EXPECT_THAT(found, ::testing::UnorderedElementsAreArray(Select(every)))
        << filter;
  }
  // With a second triple, and where the triple is not a label's.
  EXPECT_THAT(
      Select("SELECT ?s WHERE { ?s rdfs:label ?l ; kg:entityType \"Country\" "
             "FILTER(STRSTARTS(?l, \"N\")) }"),
      ElementsAre("<https://kg.invalid/entity/north_korea>"));
  EXPECT_THAT(Select("SELECT ?o WHERE { ?s r:sent_troops_to ?o "
                     "FILTER(STRSTARTS(STR(?o), \"https://kg.invalid/e\")) }"),
              ElementsAre("<https://kg.invalid/entity/russia>"));
  // The estimate is the matches by prefix, without reading them.
  ParseOptions parse;
  parse.base_iri = "https://kg.invalid/";
  absl::StatusOr<Query> query =
      Parse(absl::StrCat(kPrologue,
                         "SELECT * WHERE { ?s rdfs:label ?l FILTER(regex(?l, "
                         "\"^N\")) }"),
            parse);
  ASSERT_THAT(query.status(), IsOk());
  std::unique_ptr<storage::Reader> reader = store_->NewReader();
  StoreDataset data(*reader, {});
  // The estimate: the three entities by prefix, and at most every relation
  // (four), rather than every one of the nine labels.
  EXPECT_THAT(Explain(*query, data), ::testing::HasSubstr("alone 7]"));
  // And the evaluation reads only those: the step's rows are the three
  // labels that start with "N", not all nine.
  EvalOptions profile;
  profile.profile = true;
  absl::StatusOr<QueryResult> profiled = Evaluate(*query, data, profile);
  ASSERT_THAT(profiled.status(), IsOk());
  EXPECT_THAT(profiled->profile, ::testing::HasSubstr("rows 3, lookups 1"));
}

// ORDER BY a label under a LIMIT reads the labels in the entity table's
// order (merged with the relations' labels) and extends each by the rest
// of the pattern until it has its rows: the same labels, in the same
// order, as sorting every solution.
TEST_F(StoreDatasetTest, ATopKByLabelReadsTheLabelsInOrder) {
  WriteClaims();
  store_->RefreshCompactAdjacency();
  ASSERT_NE(store_->NewReader()->entity_table(), nullptr);
  const std::vector<std::string> patterns = {
      "?s rdfs:label ?l",
      "?s rdfs:label ?l FILTER(STRSTARTS(?l, \"N\") || STRSTARTS(?l, \"s\"))",
      "?s rdfs:label ?l ; kg:entityType \"Organization\"",
      "?s rdfs:label ?l ; r:said ?o",
  };
  // The labels of a SELECT ?l, in order.
  auto labels = [&](const std::string& q) {
    std::vector<std::string> out;
    for (const std::string& row : Select(q)) out.push_back(row);
    return out;
  };
  for (const std::string& where : patterns) {
    const std::vector<std::string> sorted =
        labels(absl::StrCat("SELECT ?l WHERE { ", where, " } ORDER BY ?l"));
    ASSERT_FALSE(sorted.empty()) << where;
    for (size_t limit = 1; limit <= sorted.size() + 1; ++limit) {
      for (size_t offset : {size_t{0}, size_t{2}}) {
        const std::vector<std::string> top = labels(
            absl::StrCat("SELECT ?l WHERE { ", where, " } ORDER BY ?l LIMIT ",
                         limit, " OFFSET ", offset));
        std::vector<std::string> want;
        for (size_t i = offset; i < std::min(sorted.size(), offset + limit);
             ++i) {
          want.push_back(sorted[i]);
        }
        EXPECT_EQ(top, want)
            << where << " LIMIT " << limit << " OFFSET " << offset;
      }
    }
  }
  // Entities' labels and relations' merged: capitals sort first.
  EXPECT_THAT(
      labels("SELECT ?l WHERE { ?s rdfs:label ?l } ORDER BY ?l LIMIT 9"),
      ElementsAre("\"Kremlin\"", "\"NATO\"",
                  "\"National Intelligence Service\"", "\"North Korea\"",
                  "\"Russia\"", "\"confirmed\"", "\"denied\"", "\"said\"",
                  "\"sent troops to\""));
  // The walk in label order ran, and no read of every label; without a
  // LIMIT, or as recorded (no entity table), every label is read instead.
  auto watch = [&](const std::string& text, StoreDatasetOptions options) {
    ParseOptions parse;
    parse.base_iri = "https://kg.invalid/";
    absl::StatusOr<Query> query = Parse(absl::StrCat(kPrologue, text), parse);
    EXPECT_THAT(query.status(), IsOk());
    std::unique_ptr<storage::Reader> reader = store_->NewReader();
    StoreDataset data(*reader, std::move(options));
    WatchedDataset watched(data);
    absl::StatusOr<QueryResult> result = Evaluate(*query, watched, {});
    EXPECT_THAT(result.status(), IsOk());
    return std::make_pair(watched.walks, watched.scans);
  };
  const std::string top =
      "SELECT ?l WHERE { ?s rdfs:label ?l FILTER(STRSTARTS(?l, \"N\")) } "
      "ORDER BY ?l LIMIT 2";
  EXPECT_EQ(watch(top, {}), std::make_pair(1, 0));
  EXPECT_EQ(watch("SELECT ?l WHERE { ?s rdfs:label ?l } ORDER BY ?l", {}),
            std::make_pair(0, 1));
  StoreDatasetOptions then;
  absl::StatusOr<query::RecordFilter> filter =
      query::RecordFilter::Create({now_, ""});
  ASSERT_THAT(filter.status(), IsOk());
  then.as_of = *filter;
  EXPECT_EQ(watch(top, then), std::make_pair(0, 1));
  EXPECT_THAT(Select(top, then),
              ElementsAre("\"NATO\"", "\"National Intelligence Service\""));
}

// With a current compact adjacency, a lookup from a known subject or
// object reads that node's edges in memory instead of seeking the index:
// its matches are exactly the index's asserted ones, for every shape of
// pattern with a bound end, a retracted (only quoted) statement, a loop
// and a statement as an end included.
TEST_F(StoreDatasetTest, LookupsFromTheCompactAdjacencyAreTheIndexes) {
  WriteClaims();
  storage::WriteBatch more;
  more.statements = {
      {T("russia", "said", E("russia")), {Ev(monday_, kMonday)}},
      {T("kremlin", "said",
         Term::Quoted(T("russia", "sent_troops_to", E("north_korea")))),
       {Ev(monday_, kMonday)}}};
  ASSERT_THAT(store_->Write(more).status(), IsOk());
  ASSERT_THAT(store_
                  ->Retract(storage::StatementIdOf(T(
                                "north_korea", "sent_troops_to", E("russia"))),
                            "monday")
                  .status(),
              IsOk());
  store_->RefreshCompactAdjacency();
  std::unique_ptr<storage::Reader> reader = store_->NewReader();
  ASSERT_NE(reader->compact_adjacency(), nullptr);
  ASSERT_TRUE(reader->compact_confidences_current());
  StoreDatasetOptions options;
  options.default_documents = std::vector<std::string>{"monday", "friday"};
  StoreDataset data(*reader, options);  // no descriptions: the data alone
  // Every node of the indexes, statements included, and 0 (open).
  absl::flat_hash_set<Id> nodes = {0}, relations = {0};
  ASSERT_THAT(
      reader->ScanIds({}, /*include_quoted=*/true,
                      [&](const storage::IdStatement& st) {
                        nodes.insert({st.subject, st.object, st.statement});
                        relations.insert(st.relation);
                        return true;
                      }),
      IsOk());
  ASSERT_GE(nodes.size(), 8u);
  size_t matched = 0;
  for (Id s : nodes) {
    for (Id p : relations) {
      for (Id o : nodes) {
        if (s == 0 && o == 0) continue;
        std::vector<std::string> want, got;
        ASSERT_THAT(reader->ScanIds(storage::IdPattern{s, p, o},
                                    /*include_quoted=*/false,
                                    [&](const storage::IdStatement& st) {
                                      want.push_back(absl::StrCat(
                                          st.subject, " ", st.relation, " ",
                                          st.object));
                                      return true;
                                    }),
                    IsOk());
        data.Match(kDefaultGraph, s, p, o, [&](Id ms, Id mp, Id mo) {
          got.push_back(absl::StrCat(ms, " ", mp, " ", mo));
          return true;
        });
        EXPECT_THAT(got, ::testing::UnorderedElementsAreArray(want))
            << s << " " << p << " " << o;
        matched += got.size();
      }
    }
  }
  EXPECT_GT(matched, 0u);
  EXPECT_THAT(data.status(), IsOk());
}

// With the entity table (storage/entity_table.h), types and labels come
// from memory: the answers are those of reading the entity records, which
// a query as recorded at the present does. Labels that are also
// statements' literals, and labels two entities share, join as the same
// term.
TEST_F(StoreDatasetTest, TheEntityTableAnswersAsTheEntityRecordsDo) {
  WriteClaims();
  storage::WriteBatch b;
  b.entities = {{"dprk", "North Korea", "Place", {}}};
  b.shared_names = true;
  b.statements = {
      {T("nis", "said",
         Term::RdfLiteral("Russia", "http://www.w3.org/2001/XMLSchema#string",
                          "", storage::LiteralDirection::kNone)),
       {Ev(monday_, "North Korea sent troops to Russia.")}}};
  ASSERT_THAT(store_->Write(b).status(), IsOk());
  now_ += absl::Hours(1);
  store_->RefreshCompactAdjacency();
  ASSERT_NE(store_->NewReader()->entity_table(), nullptr);
  StoreDatasetOptions records;  // as recorded now: no table
  absl::StatusOr<query::RecordFilter> filter =
      query::RecordFilter::Create({now_, ""});
  ASSERT_THAT(filter.status(), IsOk());
  records.as_of = *filter;
  for (const std::string& q : std::vector<std::string>{
           "SELECT DISTINCT ?t WHERE { ?s a ?t }",
           "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?t }",
           "SELECT ?s ?l WHERE { ?s a <https://kg.invalid/type/Country> ; "
           "rdfs:label ?l } ORDER BY ?l",
           "SELECT ?s ?l WHERE { ?s rdfs:label ?l FILTER regex(?l, \"^N\") }",
           "SELECT ?a ?b WHERE { ?a rdfs:label ?l . ?b rdfs:label ?l "
           "FILTER(?a != ?b) }",
           "SELECT ?s ?x WHERE { ?s rdfs:label ?l . ?x r:said ?l }",
           "SELECT ?s ?x WHERE { ?s rdfs:label ?l OPTIONAL { ?x r:said ?l } }",
           "SELECT ?s WHERE { ?s rdfs:label \"Russia\" }",
           "SELECT ?l WHERE { e:nato rdfs:label ?l }",
           "SELECT ?t WHERE { e:dprk a ?t }",
           "SELECT ?s ?t WHERE { ?s a ?t } ORDER BY ?s ?t",
       }) {
    const std::vector<std::string> table = Select(q);
    EXPECT_FALSE(table.empty()) << q;
    EXPECT_THAT(table, ::testing::UnorderedElementsAreArray(Select(q, records)))
        << q;
  }
  // The literal joins its label, both ways round (the OPTIONAL reads the
  // labels first); the shared name joins the two entities.
  EXPECT_THAT(Select("SELECT ?s ?x WHERE { ?s rdfs:label ?l . ?x r:said ?l }"),
              ElementsAre("<https://kg.invalid/entity/russia> "
                          "<https://kg.invalid/entity/nis>"));
  EXPECT_THAT(Select("SELECT ?s ?x WHERE { ?s rdfs:label ?l "
                     "OPTIONAL { ?x r:said ?l } FILTER(BOUND(?x)) }"),
              ElementsAre("<https://kg.invalid/entity/russia> "
                          "<https://kg.invalid/entity/nis>"));
  EXPECT_THAT(Select("SELECT ?b WHERE { e:north_korea rdfs:label ?l . "
                     "?b rdfs:label ?l FILTER(?b != e:north_korea) }"),
              ElementsAre("<https://kg.invalid/entity/dprk>"));
}

// ORDER BY under a LIMIT sorts only the rows it keeps, evaluating a later
// key only for rows the earlier ones tie: its rows are the full sort's
// first ones. Each order ends on ?s, so that rows tied on the earlier keys
// (types shared, labels of one length) still have one order: the order
// solutions come in, which ties keep, may differ from one evaluation to
// the next (hash maps).
TEST_F(StoreDatasetTest, ATopKIsTheFullSortsFirstRows) {
  WriteClaims();
  for (const std::string& order :
       {std::string("?t DESC(?l) ?s"), std::string("DESC(?t) ?s"),
        std::string("STRLEN(?l) ?l ?s"), std::string("?t ?s")}) {
    const std::string q = absl::StrCat(
        "SELECT ?s ?t ?l WHERE { ?s a ?t ; rdfs:label ?l } ORDER BY ", order);
    const std::vector<std::string> all = Select(q);
    ASSERT_GE(all.size(), 5u) << q;
    for (size_t k : {1, 2, 3, 4}) {
      EXPECT_EQ(Select(absl::StrCat(q, " LIMIT ", k)),
                std::vector<std::string>(all.begin(), all.begin() + k))
          << q << " LIMIT " << k;
    }
  }
}

// The scans that pass few matches on (here every entity's aliases, none
// kept) poll StoreDatasetOptions::check, so a deadline or a spent share
// stops them: the dataset's status is the check's error.
TEST_F(StoreDatasetTest, LongScansStopWhenTheCheckSaysSo) {
  storage::WriteBatch b;
  for (int i = 0; i < 3000; ++i) {
    b.entities.push_back({absl::StrCat("e", i),
                          absl::StrCat("E", i),
                          "Thing",
                          {absl::StrCat("alias ", i)}});
  }
  ASSERT_THAT(store_->Write(b).status(), IsOk());
  ParseOptions parse;
  parse.base_iri = "https://kg.invalid/";
  absl::StatusOr<Query> query = Parse(
      absl::StrCat(kPrologue,
                   "SELECT ?s WHERE { ?s skos:altLabel ?a FILTER(false) }"),
      parse);
  ASSERT_THAT(query.status(), IsOk());
  int checks = 0;
  StoreDatasetOptions options;
  options.check = [&]() -> absl::Status {
    return ++checks < 2 ? absl::OkStatus()
                        : absl::DeadlineExceededError("the deadline passed");
  };
  std::unique_ptr<storage::Reader> reader = store_->NewReader();
  StoreDataset data(*reader, options);
  absl::StatusOr<QueryResult> result = Evaluate(*query, data, {});
  EXPECT_EQ(data.status().code(), absl::StatusCode::kDeadlineExceeded)
      << data.status();
  EXPECT_EQ(checks, 2);  // the 1,024th and the 2,048th entity
  // Without a check the scan ends, with no row.
  StoreDataset all(*reader, {});
  absl::StatusOr<QueryResult> whole = Evaluate(*query, all, {});
  ASSERT_THAT(whole.status(), IsOk());
  EXPECT_THAT(all.status(), IsOk());
  EXPECT_TRUE(whole->rows.empty());
}

// A property path's closure polls EvalOptions::check as it walks (it
// makes no rows until it ends): a deadline stops it with its error.
TEST_F(StoreDatasetTest, APathsClosureStopsWhenTheCheckSaysSo) {
  WriteClaims();
  storage::WriteBatch b;
  for (int i = 0; i <= 3000; ++i) {
    b.entities.push_back(
        {absl::StrCat("c", i), absl::StrCat("C", i), "Thing", {}});
  }
  for (int i = 0; i < 3000; ++i) {
    b.statements.push_back(
        {T(absl::StrCat("c", i), "sent_troops_to", E(absl::StrCat("c", i + 1))),
         {Ev(monday_, "North Korea sent troops to Russia.")}});
  }
  ASSERT_THAT(store_->Write(b).status(), IsOk());
  ParseOptions parse;
  parse.base_iri = "https://kg.invalid/";
  absl::StatusOr<Query> query = Parse(
      absl::StrCat(kPrologue, "SELECT ?x WHERE { e:c0 r:sent_troops_to+ ?x }"),
      parse);
  ASSERT_THAT(query.status(), IsOk());
  std::unique_ptr<storage::Reader> reader = store_->NewReader();
  StoreDataset data(*reader, {});
  absl::StatusOr<QueryResult> whole = Evaluate(*query, data, {});
  ASSERT_THAT(whole.status(), IsOk());
  EXPECT_EQ(whole->rows.size(), 3000u);
  // The checks of a one-node walk (the operators'); the long one's rows
  // add one per 1,024 (two), and its walk one per 1,024 nodes (two more).
  auto checks_of = [&](const std::string& from) {
    absl::StatusOr<Query> q =
        Parse(absl::StrCat(kPrologue, "SELECT ?x WHERE { e:", from,
                           " r:sent_troops_to+ ?x }"),
              parse);
    EXPECT_THAT(q.status(), IsOk());
    int calls = 0;
    EvalOptions counting;
    counting.check = [&] {
      ++calls;
      return absl::OkStatus();
    };
    StoreDataset counted(*reader, {});
    EXPECT_THAT(Evaluate(*q, counted, counting).status(), IsOk());
    return calls;
  };
  const int short_walk = checks_of("c2999");
  const int without_walk = short_walk + 2;
  ASSERT_EQ(checks_of("c0"), without_walk + 2);
  // A check that fails only past the checks the walk does not make stops
  // the query: the walk's own polls reach it.
  int calls = 0;
  EvalOptions stopping;
  stopping.check = [&]() -> absl::Status {
    return ++calls > without_walk ? absl::DeadlineExceededError("too late")
                                  : absl::OkStatus();
  };
  StoreDataset again(*reader, {});
  absl::StatusOr<QueryResult> stopped = Evaluate(*query, again, stopping);
  EXPECT_EQ(stopped.status().code(), absl::StatusCode::kDeadlineExceeded)
      << stopped.status();
}

// The descriptions follow the entity's history: as of an earlier time, its
// names then; a merged entity is described only while it stood alone.
TEST_F(StoreDatasetTest, AsRecordedSeesTheNamesEntitiesHadThen) {
  WriteClaims();
  const absl::Time before = now_;
  now_ += absl::Hours(1);
  storage::WriteBatch rename;
  rename.entity_edits = {{"nis", "NIS of Korea", std::nullopt, {}, {}}};
  ASSERT_THAT(store_->Write(rename).status(), IsOk());
  const std::string label = "SELECT ?l WHERE { e:nis rdfs:label ?l }";
  EXPECT_THAT(Select(label), ElementsAre("\"NIS of Korea\""));
  StoreDatasetOptions then;
  absl::StatusOr<query::RecordFilter> filter =
      query::RecordFilter::Create({before, ""});
  ASSERT_THAT(filter.status(), IsOk());
  then.as_of = *filter;
  EXPECT_THAT(Select(label, then),
              ElementsAre("\"National Intelligence Service\""));
}

TEST_F(StoreDatasetTest, AsReportedLeavesOutLaterDocuments) {
  WriteClaims();
  StoreDatasetOptions by_wednesday;
  absl::StatusOr<query::RecordFilter> filter =
      query::RecordFilter::Create({std::nullopt, "2024-10-16"});
  ASSERT_THAT(filter.status(), IsOk());
  by_wednesday.as_of = *filter;
  EXPECT_THAT(Select("SELECT ?who WHERE { ?who r:confirmed ?x }", by_wednesday),
              IsEmpty());
  EXPECT_THAT(
      Select(
          "SELECT (COUNT(?rec) AS ?n) WHERE { ?st prov:wasDerivedFrom ?rec }",
          by_wednesday),
      ElementsAre("\"3\"^^<http://www.w3.org/2001/XMLSchema#integer>"));
  EXPECT_THAT(Select("SELECT ?who WHERE { ?who r:confirmed ?x }"),
              ElementsAre("<https://kg.invalid/entity/nato>"));
}

}  // namespace
}  // namespace kg::sparql
