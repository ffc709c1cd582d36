// The W3C SPARQL 1.0, 1.1 and 1.2 query evaluation tests
// (../shared/w3c-rdf-tests/sparql, KG_W3C_TESTS_DIR), run through
// query/sparql's parser and evaluator over an in-memory dataset: each
// test's qt:data is the default graph and each qt:graphData a named graph
// (or, when the query has FROM / FROM NAMED, the files those name).
// Results compare as the suites define: unordered unless the query orders
// them, blank nodes up to renaming; .srx, .srj, Turtle result sets and
// graphs (isomorphism). Each suite runs twice: over the in-memory dataset,
// and through a real store in a temporary directory (each file a document,
// the query over query/sparql/store_dataset.h). Prints "category: N passed, N
// failed" and each failure with its reason.
//
// Every test passes, and any failure fails the suite (no exclusions).
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "query/sparql/dataset.h"
#include "query/sparql/eval.h"
#include "query/sparql/parser.h"
#include "query/sparql/store_dataset.h"
#include "raptor2.h"
#include "rdf/format.h"
#include "rdf/isomorphism.h"
#include "storage/store.h"
#include "tests/support/sparql_results.h"
#include "tests/support/test_util.h"
#include "tests/support/w3c_manifest.h"

namespace kg::sparql {
namespace {

using testing::kMf;
using testing::kQt;
using testing::kW3cUrlRoot;
using testing::LocalPath;
using testing::ManifestEntry;
using testing::ReadFile;
using testing::ResultTable;

constexpr char kRs[] = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#";

std::string Category(absl::string_view url) {
  absl::string_view rest = url;
  absl::ConsumePrefix(&rest, kW3cUrlRoot);
  absl::ConsumePrefix(&rest, "sparql/");
  const size_t slash = rest.rfind('/');
  return std::string(slash == absl::string_view::npos ? rest
                                                      : rest.substr(0, slash));
}

// A blank node of file number `file`: blank nodes of two files are two
// nodes even when their labels are the same.
rdf::Term ScopeBlank(const rdf::Term& t, int file) {
  if (t.is_blank())
    return rdf::Term::Blank(absl::StrCat("f", file, "_", t.value()));
  if (t.is_triple()) {
    return rdf::Term::TripleTerm(
        rdf::Triple{ScopeBlank(t.triple().subject, file), t.triple().predicate,
                    ScopeBlank(t.triple().object, file)});
  }
  return t;
}

// RDF/XML, which some of the SPARQL 1.0 and 1.1 tests' data and results
// are written in, read with Raptor (Debian's libraptor2): rdf/ reads the
// four line- and Turtle-family syntaxes only.
struct RaptorSink {
  std::vector<rdf::Quad>* out;
};

rdf::Term FromRaptor(const raptor_term* t) {
  switch (t->type) {
    case RAPTOR_TERM_TYPE_URI:
      return rdf::Term::Iri(
          reinterpret_cast<const char*>(raptor_uri_as_string(t->value.uri)));
    case RAPTOR_TERM_TYPE_BLANK:
      return rdf::Term::Blank(
          reinterpret_cast<const char*>(t->value.blank.string));
    case RAPTOR_TERM_TYPE_LITERAL: {
      const raptor_term_literal_value& l = t->value.literal;
      std::string lexical(reinterpret_cast<const char*>(l.string),
                          l.string_len);
      if (l.language != nullptr && l.language_len > 0) {
        return rdf::Term::Literal(std::move(lexical), "",
                                  reinterpret_cast<const char*>(l.language));
      }
      std::string datatype;
      if (l.datatype != nullptr) {
        datatype =
            reinterpret_cast<const char*>(raptor_uri_as_string(l.datatype));
      }
      return rdf::Term::Literal(std::move(lexical), std::move(datatype));
    }
    default:
      return rdf::Term();
  }
}

void OnRaptorStatement(void* user, raptor_statement* st) {
  auto* sink = static_cast<RaptorSink*>(user);
  sink->out->push_back(rdf::Quad{FromRaptor(st->subject),
                                 FromRaptor(st->predicate),
                                 FromRaptor(st->object), std::nullopt});
}

absl::Status ReadRdfXml(const std::string& text, const std::string& base,
                        std::vector<rdf::Quad>* out) {
  raptor_world* world = raptor_new_world();
  raptor_parser* parser = raptor_new_parser(world, "rdfxml");
  RaptorSink sink{out};
  raptor_parser_set_statement_handler(parser, &sink, OnRaptorStatement);
  raptor_uri* base_uri = raptor_new_uri(
      world, reinterpret_cast<const unsigned char*>(base.c_str()));
  int rc = raptor_parser_parse_start(parser, base_uri);
  if (rc == 0) {
    rc = raptor_parser_parse_chunk(
        parser, reinterpret_cast<const unsigned char*>(text.data()),
        text.size(), 1);
  }
  raptor_free_uri(base_uri);
  raptor_free_parser(parser);
  raptor_free_world(world);
  if (rc != 0)
    return absl::InvalidArgumentError(absl::StrCat("RDF/XML: ", base));
  return absl::OkStatus();
}

// Reads an RDF file (by extension) into quads; `graph` names the graph
// its default-graph triples go to (nullopt: the default graph).
absl::Status LoadInto(const std::string& url,
                      const std::optional<rdf::Term>& graph,
                      std::vector<rdf::Quad>* out) {
  std::string text;
  if (!ReadFile(LocalPath(url), &text)) {
    return absl::NotFoundError(absl::StrCat("cannot read ", url));
  }
  static int files = 0;
  const int file = ++files;
  if (absl::EndsWith(url, ".rdf")) {
    std::vector<rdf::Quad> quads;
    if (absl::Status st = ReadRdfXml(text, url, &quads); !st.ok()) return st;
    for (rdf::Quad& q : quads) {
      q.subject = ScopeBlank(q.subject, file);
      q.object = ScopeBlank(q.object, file);
      q.graph = graph;
      out->push_back(std::move(q));
    }
    return absl::OkStatus();
  }
  const std::optional<rdf::Format> format = rdf::FormatFromPath(url);
  if (!format) {
    return absl::UnimplementedError(absl::StrCat("no reader for ", url));
  }
  rdf::ReadOptions options;
  options.base = url;
  return rdf::Read(*format, text, options,
                   [&](const rdf::Quad& q, const rdf::Position&) {
                     rdf::Quad copy = q;
                     copy.subject = ScopeBlank(copy.subject, file);
                     copy.object = ScopeBlank(copy.object, file);
                     if (!copy.graph.has_value()) copy.graph = graph;
                     out->push_back(std::move(copy));
                     return absl::OkStatus();
                   });
}

// A result set written in RDF (the DAWG result-set vocabulary).
absl::StatusOr<ResultTable> ResultSetFromGraph(
    const std::vector<rdf::Quad>& quads) {
  testing::ManifestGraph g(quads);
  ResultTable t;
  const rdf::Term* set = nullptr;
  for (const rdf::Quad& q : quads) {
    if (q.predicate.value() == rdf::kRdfType &&
        q.object.value() == absl::StrCat(kRs, "ResultSet")) {
      set = &q.subject;
    }
  }
  if (set == nullptr) return absl::NotFoundError("no rs:ResultSet");
  if (const rdf::Term* b = g.Object(*set, absl::StrCat(kRs, "boolean"))) {
    t.boolean = b->value() == "true";
    return t;
  }
  for (const rdf::Term& v :
       g.Objects(*set, absl::StrCat(kRs, "resultVariable"))) {
    t.variables.push_back(v.value());
  }
  std::vector<std::pair<int64_t, std::vector<std::optional<rdf::Term>>>>
      indexed;
  for (const rdf::Term& s : g.Objects(*set, absl::StrCat(kRs, "solution"))) {
    std::vector<std::optional<rdf::Term>> row(t.variables.size());
    int64_t index = 0;
    if (const rdf::Term* i = g.Object(s, absl::StrCat(kRs, "index"))) {
      (void)absl::SimpleAtoi(i->value(), &index);
    }
    for (const rdf::Term& b : g.Objects(s, absl::StrCat(kRs, "binding"))) {
      const rdf::Term* var = g.Object(b, absl::StrCat(kRs, "variable"));
      const rdf::Term* value = g.Object(b, absl::StrCat(kRs, "value"));
      if (var == nullptr || value == nullptr) continue;
      for (size_t i = 0; i < t.variables.size(); ++i) {
        if (t.variables[i] == var->value()) row[i] = *value;
      }
    }
    indexed.emplace_back(index, std::move(row));
  }
  // Solutions are unordered in RDF; rs:index gives the order when it
  // matters.
  std::stable_sort(
      indexed.begin(), indexed.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [index, row] : indexed) t.rows.push_back(std::move(row));
  return t;
}

bool Ordered(const GraphPattern& p) {
  switch (p.kind) {
    case GraphPattern::Kind::kOrderBy:
      return true;
    case GraphPattern::Kind::kSlice:
    case GraphPattern::Kind::kDistinct:
    case GraphPattern::Kind::kReduced:
    case GraphPattern::Kind::kProject:
      return Ordered(p.operands[0]);
    default:
      return false;
  }
}

#define KG_TEST_RETURN_IF_ERROR(expr) \
  do {                                \
    absl::Status st_ = (expr);        \
    if (!st_.ok()) return st_;        \
  } while (false)

// One file of a test's dataset.
struct DataFile {
  std::string url;
  bool named = false;  // a named graph (its IRI the file's); else default
  std::vector<rdf::Quad> quads;
};

absl::StatusOr<QueryResult> EvaluateInMemory(const Query& query,
                                             const std::vector<DataFile>& files,
                                             const EvalOptions& options) {
  MemoryDataset data;
  for (const DataFile& f : files) {
    if (f.named) data.AddNamedGraph(rdf::Term::Iri(f.url));
    for (const rdf::Quad& q : f.quads) data.Add(q);
  }
  return Evaluate(query, data, options);
}

storage::Term ToStoreTerm(const rdf::Term& t) {
  switch (t.kind()) {
    case rdf::Term::Kind::kIri:
      return storage::Term::Iri(t.value());
    case rdf::Term::Kind::kBlank:
      return storage::Term::Blank(t.value());
    case rdf::Term::Kind::kLiteral:
      return storage::Term::RdfLiteral(
          t.value(), t.language().empty() ? t.datatype() : "", t.language(),
          t.direction() == rdf::Direction::kLtr
              ? storage::LiteralDirection::kLtr
          : t.direction() == rdf::Direction::kRtl
              ? storage::LiteralDirection::kRtl
              : storage::LiteralDirection::kNone);
    case rdf::Term::Kind::kTriple:
      return storage::Term::Quoted(storage::Triple{
          ToStoreTerm(t.triple().subject), t.triple().predicate.value(),
          ToStoreTerm(t.triple().object)});
  }
  return storage::Term::Iri("urn:x:unreachable");
}

// The test's dataset written into a real store in a temporary directory:
// each file is a document (the default graph's, "default_graph", unless
// the query names its files with FROM), one write per file so blank nodes
// are scoped to it; the query runs over StoreDataset.
absl::StatusOr<QueryResult> EvaluateInStore(const Query& query,
                                            const std::vector<DataFile>& files,
                                            bool from_query,
                                            const EvalOptions& options) {
  testing::ScopedTempDir dir;
  storage::StoreOptions store_options;
  store_options.sync_writes = false;
  store_options.compact_adjacency = false;
  absl::StatusOr<std::unique_ptr<storage::Store>> store =
      storage::Store::Open(store_options, dir.path());
  if (!store.ok()) return store.status();
  std::set<std::string> documents;
  StoreDatasetOptions dataset;
  dataset.default_documents.emplace();
  dataset.named_documents.emplace();
  for (const DataFile& f : files) {
    storage::WriteBatch batch;
    batch.blank_scope = absl::StrCat(f.url, f.named ? "#named" : "#default");
    const std::string file_doc =
        f.named || from_query ? f.url : std::string("default_graph");
    auto& list =
        f.named ? *dataset.named_documents : *dataset.default_documents;
    if (std::find(list.begin(), list.end(), file_doc) == list.end()) {
      list.push_back(file_doc);
    }
    for (const rdf::Quad& q : f.quads) {
      std::string doc = file_doc;
      if (q.graph.has_value() && !(f.named && q.graph->value() == f.url)) {
        doc = q.graph->is_blank() ? "_:" + q.graph->value() : q.graph->value();
        if (std::find(dataset.named_documents->begin(),
                      dataset.named_documents->end(),
                      doc) == dataset.named_documents->end()) {
          dataset.named_documents->push_back(doc);
        }
      }
      if (documents.insert(doc).second) {
        storage::Document d;
        d.id = doc;
        batch.documents.push_back(d);
      }
      storage::StatementInput in;
      in.triple = storage::Triple{ToStoreTerm(q.subject), q.predicate.value(),
                                  ToStoreTerm(q.object)};
      storage::ProvenanceInput p;
      p.document_id = doc;
      in.provenance.push_back(p);
      batch.statements.push_back(std::move(in));
    }
    if (batch.statements.empty() && batch.documents.empty()) continue;
    absl::StatusOr<storage::WriteResult> written = (*store)->Write(batch);
    if (!written.ok()) return written.status();
  }
  auto reader = (*store)->NewReader();
  StoreDataset data(*reader, dataset);
  absl::StatusOr<QueryResult> result = Evaluate(query, data, options);
  if (!data.status().ok()) return data.status();
  return result;
}

// Runs one test; "" when it passes, else the reason.
std::string RunTest(const ManifestEntry& e, bool through_store,
                    EvalOptions::JoinMethods joins, std::string* query_url) {
  const rdf::Term* action = e.Get(kMf, "action");
  if (action == nullptr) return "no mf:action";
  const testing::ManifestGraph& g = *e.graph;
  const rdf::Term* query_term = g.Object(*action, absl::StrCat(kQt, "query"));
  if (query_term == nullptr) return "no qt:query";
  *query_url = query_term->value();
  std::string text;
  if (!ReadFile(LocalPath(*query_url), &text)) {
    return absl::StrCat("cannot read ", *query_url);
  }
  ParseOptions parse_options;
  parse_options.base_iri = *query_url;
  absl::StatusOr<Query> query = Parse(text, parse_options);
  if (!query.ok()) return absl::StrCat("parse: ", query.status().message());

  // The dataset's files: with FROM / FROM NAMED, the files they name;
  // else qt:data (the default graph) and qt:graphData (named graphs).
  std::vector<DataFile> files;
  const bool from_query =
      !query->default_graphs.empty() || !query->named_graphs.empty();
  auto load = [&](const std::string& url, bool named) -> absl::Status {
    DataFile f;
    f.url = url;
    f.named = named;
    std::optional<rdf::Term> graph;
    if (named) graph = rdf::Term::Iri(url);
    KG_TEST_RETURN_IF_ERROR(LoadInto(url, graph, &f.quads));
    files.push_back(std::move(f));
    return absl::OkStatus();
  };
  if (from_query) {
    for (const std::string& url : query->default_graphs) {
      if (absl::Status st = load(url, false); !st.ok()) {
        return std::string(st.message());
      }
    }
    for (const std::string& url : query->named_graphs) {
      if (absl::Status st = load(url, true); !st.ok()) {
        return std::string(st.message());
      }
    }
  } else {
    for (const rdf::Term& d : g.Objects(*action, absl::StrCat(kQt, "data"))) {
      if (absl::Status st = load(d.value(), false); !st.ok()) {
        return std::string(st.message());
      }
    }
    for (const rdf::Term& d :
         g.Objects(*action, absl::StrCat(kQt, "graphData"))) {
      if (!d.is_iri()) return "qt:graphData as a node (not yet read)";
      if (absl::Status st = load(d.value(), true); !st.ok()) {
        return std::string(st.message());
      }
    }
  }
  if (std::getenv("KG_SPARQL_VERBOSE") != nullptr) {
    std::cout << "  " << files.size()
              << " files; algebra: " << ToSExpression(query->pattern) << "\n";
  }

  EvalOptions options;
  options.max_rows = 1'000'000;
  options.join_methods = joins;
  absl::StatusOr<QueryResult> result =
      through_store ? EvaluateInStore(*query, files, from_query, options)
                    : EvaluateInMemory(*query, files, options);
  if (!result.ok()) return absl::StrCat("eval: ", result.status().message());

  const std::string result_url = e.Value(kMf, "result");
  std::string expected_text;
  if (!ReadFile(LocalPath(result_url), &expected_text)) {
    return absl::StrCat("cannot read ", result_url);
  }
  const bool graph_form = query->form == Query::Form::kConstruct ||
                          query->form == Query::Form::kDescribe;
  if (graph_form) {
    std::vector<rdf::Quad> expected;
    if (absl::Status st = LoadInto(result_url, std::nullopt, &expected);
        !st.ok()) {
      return std::string(st.message());
    }
    std::vector<rdf::Quad> actual;
    for (const rdf::Triple& t : result->triples) {
      actual.push_back(
          rdf::Quad{t.subject, t.predicate, t.object, std::nullopt});
    }
    std::string why;
    if (!rdf::Isomorphic(expected, actual, &why)) {
      return absl::StrCat("graph differs: ", why);
    }
    return "";
  }
  absl::StatusOr<ResultTable> expected;
  if (absl::EndsWith(result_url, ".srx")) {
    expected = testing::ReadResults(expected_text, ResultsFormat::kXml);
  } else if (absl::EndsWith(result_url, ".srj")) {
    expected = testing::ReadResults(expected_text, ResultsFormat::kJson);
  } else if (absl::EndsWith(result_url, ".tsv")) {
    expected = testing::ReadResults(expected_text, ResultsFormat::kTsv);
  } else if (absl::EndsWith(result_url, ".csv")) {
    expected = testing::ReadResults(expected_text, ResultsFormat::kCsv);
  } else if (absl::EndsWith(result_url, ".ttl") ||
             absl::EndsWith(result_url, ".nt") ||
             absl::EndsWith(result_url, ".rdf")) {
    std::vector<rdf::Quad> rs;
    if (absl::Status st = LoadInto(result_url, std::nullopt, &rs); !st.ok()) {
      return std::string(st.message());
    }
    expected = ResultSetFromGraph(rs);
  } else {
    return absl::StrCat("no reader for the result ", result_url);
  }
  if (!expected.ok()) {
    return absl::StrCat("result file: ", expected.status().message());
  }
  ResultTable actual;
  if (query->form == Query::Form::kAsk) {
    actual.boolean = result->boolean;
  } else {
    actual.variables = result->variables;
    actual.rows = result->rows;
  }
  // CSV has no types: what the query gives is compared as it reads back
  // after being written as CSV.
  if (absl::EndsWith(result_url, ".csv")) actual = testing::CsvView(actual);
  return testing::CompareResults(*expected, actual, Ordered(query->pattern),
                                 /*numbers_by_value=*/true);
}

void RunEvalSuite(
    const std::string& manifest, bool through_store,
    EvalOptions::JoinMethods joins = EvalOptions::JoinMethods::kCost) {
  std::string probe;
  if (!ReadFile(LocalPath(absl::StrCat(kW3cUrlRoot, manifest)), &probe)) {
    std::cout << "W3C tests absent: " << manifest << "; skipping\n";
    GTEST_SKIP();
  }
  std::vector<ManifestEntry> entries;
  std::vector<std::string> errors;
  testing::LoadManifest(absl::StrCat(kW3cUrlRoot, manifest), &entries, &errors);
  for (const std::string& err : errors) ADD_FAILURE() << err;
  const bool verbose = std::getenv("KG_SPARQL_VERBOSE") != nullptr;
  std::map<std::string, std::pair<int, int>> by_category;
  std::set<std::string> seen;
  int passed = 0, failed = 0;
  for (const ManifestEntry& e : entries) {
    if (!absl::EndsWith(e.type, "#QueryEvaluationTest") &&
        !absl::EndsWith(e.type, "#CSVResultFormatTest")) {
      continue;
    }
    // KG_SPARQL_ONLY=name runs the tests whose IRI contains it.
    if (const char* only = std::getenv("KG_SPARQL_ONLY");
        only != nullptr && !absl::StrContains(e.node.value(), only)) {
      continue;
    }
    if (!seen.insert(e.node.value()).second) continue;
    std::string query_url;
    const std::string why = RunTest(e, through_store, joins, &query_url);
    auto& counts = by_category[Category(query_url)];
    if (why.empty()) {
      ++passed;
      ++counts.first;
      continue;
    }
    ++failed;
    ++counts.second;
    if (verbose) {
      std::cout << "FAIL " << e.node.value() << " (" << query_url
                << "): " << why << "\n";
    } else {
      std::cout << "FAIL " << e.node.value() << ": "
                << why.substr(0, why.find('\n')) << "\n";
    }
  }
  for (const auto& [category, counts] : by_category) {
    std::cout << category << ": " << counts.first << " passed, "
              << counts.second << " failed\n";
  }
  std::cout << manifest << (through_store ? " (through the store)" : "")
            << (joins == EvalOptions::JoinMethods::kJoins
                    ? " (hash and merge joins)"
                    : "")
            << ": " << passed << " passed, " << failed << " failed\n";
  EXPECT_GT(passed, 0) << manifest;
  EXPECT_EQ(failed, 0) << manifest;
}

TEST(SparqlEvalConformance, Sparql10) {
  RunEvalSuite("sparql/sparql10/manifest.ttl", /*through_store=*/false);
}
TEST(SparqlEvalConformance, Sparql10ThroughTheStore) {
  RunEvalSuite("sparql/sparql10/manifest.ttl", /*through_store=*/true);
}
TEST(SparqlEvalConformance, Sparql11) {
  RunEvalSuite("sparql/sparql11/manifest-sparql11-query.ttl",
               /*through_store=*/false);
}
TEST(SparqlEvalConformance, Sparql11ThroughTheStore) {
  RunEvalSuite("sparql/sparql11/manifest-sparql11-query.ttl",
               /*through_store=*/true);
}
// The result-format tests: CSV, TSV and JSON answers.
TEST(SparqlEvalConformance, Sparql11ResultFormats) {
  RunEvalSuite("sparql/sparql11/manifest-sparql11-results.ttl",
               /*through_store=*/false);
}
TEST(SparqlEvalConformance, Sparql11ResultFormatsThroughTheStore) {
  RunEvalSuite("sparql/sparql11/manifest-sparql11-results.ttl",
               /*through_store=*/true);
}
TEST(SparqlEvalConformance, Sparql12) {
  RunEvalSuite("sparql/sparql12/manifest.ttl", /*through_store=*/false);
}
TEST(SparqlEvalConformance, Sparql12ThroughTheStore) {
  RunEvalSuite("sparql/sparql12/manifest.ttl", /*through_store=*/true);
}
// Every step that a hash or merge join may run runs as one: the answers
// are the lookups' (docs/query.md "Join methods").
TEST(SparqlEvalConformance, EverySuiteWithHashAndMergeJoins) {
  for (const char* manifest : {"sparql/sparql10/manifest.ttl",
                               "sparql/sparql11/manifest-sparql11-query.ttl",
                               "sparql/sparql12/manifest.ttl"}) {
    for (bool through_store : {false, true}) {
      RunEvalSuite(manifest, through_store, EvalOptions::JoinMethods::kJoins);
    }
  }
}

}  // namespace
}  // namespace kg::sparql
