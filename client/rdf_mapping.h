// kg's RDF view (docs/rdf.md), both ways: kg.v1 records to RDF quads for
// `kgctl export --format nt|nq|ttl|trig`, and RDF quads back to kg.v1
// records for `kgctl import`. The syntaxes themselves are rdf/'s.
//
// Export:
//   rdf::Writer writer(rdf::Format::kNQuads, &text);
//   RdfExport out(KgIris(base), /*graphs=*/true, "", &writer);
//   out.Entity(e); ... out.Statement(s, records, lookup);
//
// Import, in two passes over the same quads, so that line order does not
// matter:
//   RdfImport in(KgIris(base), "wordnet");
//   for each quad: in.Collect(quad, line);     // kg's own descriptions
//   in.Finish(emit);                           // entities, relations,
//                                              // documents, text records
//   for each quad: in.Data(quad, &statement);  // every other triple
//   in.CheckRestated();
//
// Thread-compatible.
#ifndef KG_CLIENT_RDF_MAPPING_H_
#define KG_CLIENT_RDF_MAPPING_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kg/v1/kg.pb.h"
#include "rdf/format.h"
#include "rdf/term.h"

namespace kg::client {

inline constexpr char kDefaultBaseIri[] = "https://kg.invalid/";
inline constexpr char kRdfs[] = "http://www.w3.org/2000/01/rdf-schema#";
inline constexpr char kSkos[] = "http://www.w3.org/2004/02/skos/core#";
inline constexpr char kDcterms[] = "http://purl.org/dc/terms/";

// The IRIs of kg's names under a store's base IRI.
struct KgIris {
  explicit KgIris(absl::string_view base);
  std::string base, entity, relation, document, statement, provenance, type, ns;
  // The prefixes a Turtle or TriG export declares.
  std::vector<std::pair<std::string, std::string>> Prefixes() const;
};

// Writes kg.v1 records as quads in kg's RDF view.
class RdfExport {
 public:
  // `graphs`: the format has named graphs (N-Quads, TriG). With graphs, the
  // records of `default_graph_document` go to the default graph.
  RdfExport(const KgIris& iris, bool graphs, std::string default_graph_document,
            rdf::Writer* writer);

  absl::Status Entity(const kg::v1::Entity& e);
  absl::Status Relation(const kg::v1::Relation& r);
  absl::Status Document(const kg::v1::Document& d);
  // Looks a statement up by id; null when it cannot be read.
  using StatementLookup =
      std::function<const kg::v1::Statement*(const std::string& id)>;
  // One asserted statement and its live records, in the order to write.
  absl::Status Statement(const kg::v1::Statement& s,
                         const std::vector<kg::v1::Provenance>& records,
                         const StatementLookup& lookup);

 private:
  absl::StatusOr<rdf::Term> NodeTerm(const kg::v1::Node& node, bool subject,
                                     const StatementLookup& lookup, int depth);
  absl::StatusOr<rdf::Triple> TripleOf(const kg::v1::Statement& s,
                                       const StatementLookup& lookup,
                                       int depth);
  // Writes `<stmt> rdf:reifies <<( s p o )>>` once per statement.
  absl::Status Declare(const std::string& id, const rdf::Triple& triple);
  std::optional<rdf::Term> Graph(const std::string& document_id) const;
  absl::Status Put(rdf::Term s, rdf::Term p, rdf::Term o,
                   std::optional<rdf::Term> g = std::nullopt);

  const KgIris& iris_;
  const bool graphs_;
  const std::string default_graph_document_;
  rdf::Writer* writer_;
  absl::flat_hash_set<std::string> declared_;
};

// The document a quad's graph stands for: its IRI (or <base>document/<id>),
// "_:" + label for a blank graph name, `default_document` for the default
// graph.
std::string GraphDocument(const std::optional<rdf::Term>& graph,
                          const std::string& default_document);

// Reads quads in kg's RDF view back into kg.v1 records.
class RdfImport {
 public:
  RdfImport(const KgIris& iris, std::string default_document);

  // Pass 1. Keeps what describes kg's records (entities, relations,
  // documents, provenance records, statement reifiers); notes the graphs
  // used. An error names what is wrong with the description.
  absl::Status Collect(const rdf::Quad& q, int64_t line);
  // After pass 1: every record the descriptions make, with the line it
  // starts on. Stops at the first error `emit` returns, or at a record
  // that is incomplete (its line and what is missing).
  // Descriptions that start on a line `skipped` says is skipped are left
  // out.
  using Emit = std::function<absl::Status(kg::v1::Record record, int64_t line)>;
  absl::Status Finish(const Emit& emit,
                      const std::function<bool(int64_t line)>& skipped);

  // Pass 2: the statement a data quad stands for, with one provenance record
  // of its graph's data document. False for a quad that describes a record
  // (handled by Finish) or restates a text document's record.
  // `new_document` is set to the id of the graph's data document the first
  // time a graph the file does not describe is used (the caller creates
  // it), and cleared otherwise.
  absl::StatusOr<bool> Data(const rdf::Quad& q, int64_t line,
                            kg::v1::StatementInput* out,
                            std::string* new_document);
  // After pass 2: every triple in a text document's graph was backed by a
  // provenance record; the error names the first line that was not.
  absl::Status CheckRestated() const;

  // Whether `q` describes one of kg's records (pass 1's), rather than
  // being data.
  bool Describes(const rdf::Quad& q) const {
    return Classify(q) != Role::kData;
  }
  // After pass 1: whether the quads described statements (reifiers or
  // provenance records), which turn other quads' IRIs into quoted triples.
  bool DescribesStatements() const {
    return !reifiers_.empty() || !records_.empty();
  }
  // The document a quad's graph stands for.
  std::string DocumentId(const std::optional<rdf::Term>& graph) const;

  uint64_t described_quads() const { return described_; }
  uint64_t restated_quads() const { return restated_; }

 private:
  enum class Role { kData, kEntity, kRelation, kDocument, kRecord, kReifier };
  Role Classify(const rdf::Quad& q) const;
  absl::StatusOr<kg::v1::Term> ToTerm(const rdf::Term& t, int depth) const;
  absl::StatusOr<kg::v1::Triple> ToTriple(const rdf::Triple& t,
                                          int depth) const;
  std::string DocumentIdOf(const rdf::Term& iri) const;
  // The key that matches a record's statement with its restating quad.
  static std::string RestateKey(const rdf::Triple& t,
                                const std::string& document);

  template <typename T>
  struct Described {
    T record;
    int64_t line = 0;
    std::string error;
  };

  const KgIris& iris_;
  const std::string default_document_;
  absl::flat_hash_map<std::string, Described<kg::v1::Entity>> entities_;
  absl::flat_hash_map<std::string, Described<kg::v1::Relation>> relations_;
  absl::flat_hash_map<std::string, Described<kg::v1::Document>> documents_;
  struct Record {
    std::string statement;  // the reifier IRI
    kg::v1::Provenance provenance;
    int64_t line = 0;
    std::string error;
    bool has_start = false, has_end = false;
  };
  absl::flat_hash_map<std::string, Record> records_;
  absl::flat_hash_map<std::string, rdf::Triple> reifiers_;
  absl::flat_hash_set<std::string> graphs_;  // data documents made
  absl::flat_hash_set<std::string> text_documents_;
  absl::flat_hash_set<std::string> restate_keys_;
  std::optional<int64_t> unbacked_line_;
  uint64_t described_ = 0;
  uint64_t restated_ = 0;
};

}  // namespace kg::client

#endif  // KG_CLIENT_RDF_MAPPING_H_
