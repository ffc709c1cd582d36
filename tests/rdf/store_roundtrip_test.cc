// Every file of the W3C suites that parses goes into an empty store and
// comes back out isomorphic: nothing of RDF 1.2 is lost in the store (IRIs,
// blank nodes, literals as written, triple terms nested, named graphs as
// data documents). The readers and the kg RDF view on top are tested by
// conformance_test.cc and kgctl_test.cc.
#include <filesystem>
#include <set>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rdf/format.h"
#include "rdf/isomorphism.h"
#include "storage/store.h"
#include "tests/support/test_util.h"

namespace kg {
namespace {

namespace fs = std::filesystem;

storage::Term ToStore(const rdf::Term& t) {
  switch (t.kind()) {
    case rdf::Term::Kind::kIri:
      return storage::Term::Iri(t.value());
    case rdf::Term::Kind::kBlank:
      return storage::Term::Blank(t.value());
    case rdf::Term::Kind::kLiteral: {
      const storage::LiteralDirection dir =
          t.direction() == rdf::Direction::kLtr   ? storage::LiteralDirection::kLtr
          : t.direction() == rdf::Direction::kRtl ? storage::LiteralDirection::kRtl
                                                  : storage::LiteralDirection::kNone;
      return storage::Term::RdfLiteral(
          t.value(), t.language().empty() ? t.datatype() : "", t.language(),
          dir);
    }
    case rdf::Term::Kind::kTriple:
      return storage::Term::Quoted(storage::Triple{
          ToStore(t.triple().subject), t.triple().predicate.value(),
          ToStore(t.triple().object)});
  }
  return storage::Term::Iri("urn:x:unreachable");
}

std::string DocumentOf(const std::optional<rdf::Term>& graph) {
  if (!graph) return "default_graph";
  return graph->is_blank() ? "_:" + graph->value() : graph->value();
}

class StoreToRdf {
 public:
  explicit StoreToRdf(storage::Reader& reader) : reader_(reader) {}

  absl::StatusOr<rdf::Term> Node(const storage::TermValue& v, int depth) {
    switch (v.kind) {
      case storage::Term::Kind::kIri:
      case storage::Term::Kind::kEntity:
        return rdf::Term::Iri(v.id);
      case storage::Term::Kind::kBlank:
        return rdf::Term::Blank(v.id);
      case storage::Term::Kind::kLiteral: {
        const storage::Literal& l = v.literal;
        return rdf::Term::Literal(
            l.lexical, storage::RdfDatatype(l), l.language,
            l.direction == storage::LiteralDirection::kLtr   ? rdf::Direction::kLtr
            : l.direction == storage::LiteralDirection::kRtl ? rdf::Direction::kRtl
                                                             : rdf::Direction::kNone);
      }
      case storage::Term::Kind::kStatement: {
        if (depth > 16) return absl::InternalError("too deep");
        absl::StatusOr<storage::Statement> st = reader_.GetStatement(v.id);
        if (!st.ok()) return st.status();
        absl::StatusOr<rdf::Triple> t = Triple(*st, depth + 1);
        if (!t.ok()) return t.status();
        return rdf::Term::TripleTerm(*std::move(t));
      }
    }
    return absl::InternalError("unknown kind");
  }

  absl::StatusOr<rdf::Triple> Triple(const storage::Statement& st, int depth) {
    rdf::Triple t;
    absl::StatusOr<rdf::Term> s = Node(st.subject, depth);
    if (!s.ok()) return s.status();
    absl::StatusOr<rdf::Term> o = Node(st.object, depth);
    if (!o.ok()) return o.status();
    t.subject = *s;
    t.predicate = rdf::Term::Iri(st.relation);
    t.object = *o;
    return t;
  }

 private:
  storage::Reader& reader_;
};

struct Outcome {
  int round_tripped = 0;
  std::vector<std::string> failures;
};

// Imports `quads` into a fresh store in `dir` and reads them back.
absl::StatusOr<std::vector<rdf::Quad>> RoundTrip(
    const std::vector<rdf::Quad>& quads, const std::string& dir) {
  storage::StoreOptions options;
  options.sync_writes = false;
  options.compact_adjacency = false;
  absl::StatusOr<std::unique_ptr<storage::Store>> store =
      storage::Store::Open(options, dir);
  if (!store.ok()) return store.status();
  storage::WriteBatch batch;
  std::set<std::string> documents;
  for (const rdf::Quad& q : quads) {
    const std::string doc = DocumentOf(q.graph);
    if (documents.insert(doc).second) {
      storage::Document d;
      d.id = doc;
      batch.documents.push_back(d);
    }
    storage::StatementInput in;
    in.triple = storage::Triple{ToStore(q.subject), q.predicate.value(),
                                ToStore(q.object)};
    storage::ProvenanceInput p;
    p.document_id = doc;
    in.provenance.push_back(p);
    batch.statements.push_back(std::move(in));
  }
  absl::StatusOr<storage::WriteResult> written = (*store)->Write(batch);
  if (!written.ok()) return written.status();
  auto reader = (*store)->NewReader();
  StoreToRdf out(*reader);
  std::vector<rdf::Quad> back;
  std::string token;
  do {
    absl::StatusOr<storage::MatchPage> page =
        reader->ListStatements(1000, token, /*include_quoted=*/false);
    if (!page.ok()) return page.status();
    for (const storage::Statement& st : page->statements) {
      absl::StatusOr<rdf::Triple> t = out.Triple(st, 0);
      if (!t.ok()) return t.status();
      absl::StatusOr<std::vector<storage::ProvenanceRecord>> records =
          reader->GetProvenance(st.id, /*include_retracted=*/false);
      if (!records.ok()) return records.status();
      for (const storage::ProvenanceRecord& r : *records) {
        std::optional<rdf::Term> graph;
        const std::string& doc = r.input.document_id;
        if (doc != "default_graph") {
          graph = doc.rfind("_:", 0) == 0 ? rdf::Term::Blank(doc.substr(2))
                                          : rdf::Term::Iri(doc);
        }
        back.push_back(rdf::Quad{t->subject, t->predicate, t->object, graph});
      }
    }
    token = page->next_page_token;
  } while (!token.empty());
  return back;
}

TEST(StoreRoundTripTest, EveryW3cFileComesBackIsomorphicFromAnEmptyStore) {
  const fs::path root = fs::path(KG_W3C_TESTS_DIR) / "rdf";
  if (!fs::exists(root)) {
    GTEST_SKIP() << root << " is absent: no W3C suites to read";
  }
  testing::ScopedTempDir dir;
  int n = 0, skipped = 0;
  std::vector<std::string> failures;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    std::optional<rdf::Format> format = rdf::FormatFromPath(entry.path().string());
    if (!format || !entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::vector<rdf::Quad> quads;
    const std::string base =
        "https://w3c.github.io/rdf-tests/" +
        fs::relative(entry.path(), root.parent_path()).string();
    absl::Status parsed = rdf::Read(*format, text.str(), {.base = base},
                                    [&](const rdf::Quad& q, const rdf::Position&) {
                                      quads.push_back(q);
                                      return absl::OkStatus();
                                    });
    if (!parsed.ok()) {  // a negative test
      ++skipped;
      continue;
    }
    ++n;
    const std::string name = fs::relative(entry.path(), root).string();
    absl::StatusOr<std::vector<rdf::Quad>> back =
        RoundTrip(quads, dir.Sub(absl::StrCat("s", n)));
    std::string why;
    if (!back.ok()) {
      failures.push_back(absl::StrCat(name, ": ", back.status().ToString()));
    } else if (!rdf::Isomorphic(quads, *back, &why)) {
      failures.push_back(absl::StrCat(name, ": not isomorphic: ", why));
    }
    std::error_code ec;
    fs::remove_all(dir.Sub(absl::StrCat("s", n)), ec);
  }
  std::printf("store round trip: %d passed, %zu failed (%d files that do not "
              "parse skipped)\n",
              n - static_cast<int>(failures.size()), failures.size(), skipped);
  for (const std::string& f : failures) std::printf("  %s\n", f.c_str());
  EXPECT_GT(n, 500);
  EXPECT_TRUE(failures.empty());
}

}  // namespace
}  // namespace kg
