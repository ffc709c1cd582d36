// Provenance as W3C PROV-O (query/provenance.h,
// ProvenanceEngine::ExportProvenance): the mapping of a statement's
// provenance to an RDF graph (docs/query.md lists the IRIs kg mints), a
// minimal RDF graph, and its two serializations: RDF 1.1 N-Triples, and
// JSON-LD 1.1 in compacted form (one @context, one @graph of node objects).
//
//   RdfGraph g = ProvOGraph(statement, own, claims, documents, true);
//   std::string nt = WriteNTriples(g);
//   std::string jsonld = WriteJsonLd(g);
#ifndef KG_QUERY_PROVENANCE_PROV_O_H_
#define KG_QUERY_PROVENANCE_PROV_O_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "query/provenance.h"
#include "storage/model.h"

namespace kg::query {

// Namespaces used by the export.
inline constexpr absl::string_view kRdfNs =
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
inline constexpr absl::string_view kRdfsNs =
    "http://www.w3.org/2000/01/rdf-schema#";
inline constexpr absl::string_view kXsdNs = "http://www.w3.org/2001/XMLSchema#";
inline constexpr absl::string_view kProvNs = "http://www.w3.org/ns/prov#";
inline constexpr absl::string_view kDctermsNs = "http://purl.org/dc/terms/";
// kg's own vocabulary (hedge, confidence, evidence offsets, polarity, ...).
inline constexpr absl::string_view kKgNs = "https://kg.invalid/ns#";
// Base of the IRIs kg mints for its nodes: <base>entity/<id>,
// <base>statement/<id>, <base>relation/<id>, <base>document/<id>,
// <base>record/<statement id>/<document id>/<start>-<end>/<recorded µs>.
inline constexpr absl::string_view kKgBase = "https://kg.invalid/";

// An IRI or a literal (plain string when datatype is empty).
struct RdfTerm {
  enum class Kind { kIri, kLiteral };
  Kind kind = Kind::kIri;
  std::string value;     // the IRI, or the literal's lexical form (UTF-8)
  std::string datatype;  // literal datatype IRI; empty: xsd:string
  // Literals: a language tag, with an RDF 1.2 base direction after "--"
  // ("ar--rtl"); the datatype is then empty.
  std::string language;

  static RdfTerm Iri(std::string iri) {
    return {Kind::kIri, std::move(iri), "", ""};
  }
  static RdfTerm String(std::string text) {
    return {Kind::kLiteral, std::move(text), "", ""};
  }
  static RdfTerm Typed(std::string lexical, std::string datatype) {
    return {Kind::kLiteral, std::move(lexical), std::move(datatype), ""};
  }
  static RdfTerm Tagged(std::string lexical, std::string language) {
    return {Kind::kLiteral, std::move(lexical), "", std::move(language)};
  }
  friend bool operator==(const RdfTerm&, const RdfTerm&) = default;
};

struct RdfTriple {
  std::string subject;    // IRI
  std::string predicate;  // IRI
  RdfTerm object;
  friend bool operator==(const RdfTriple&, const RdfTriple&) = default;
};

// A set of triples that keeps insertion order (so output is deterministic)
// and drops duplicates. Not thread-safe.
class RdfGraph {
 public:
  void Add(std::string subject, std::string predicate, RdfTerm object);
  const std::vector<RdfTriple>& triples() const { return triples_; }

 private:
  std::vector<RdfTriple> triples_;
  absl::flat_hash_set<std::string> seen_;
};

// The graph as N-Triples: one "<s> <p> o ." line per triple, in order.
// Literals are escaped per the N-Triples grammar (\" \\ \n \r \t \b \f, and
// \uXXXX for other control characters); IRIs must already be valid
// (characters outside IRIREF are %-encoded by EscapeIriPart).
std::string WriteNTriples(const RdfGraph& graph);

// The graph as compacted JSON-LD: {"@context": {prefixes}, "@graph": [one
// node object per subject, in first-appearance order]}. rdf:type becomes
// "@type"; IRIs are {"@id": full IRI}; plain strings are JSON strings; typed
// literals are {"@value", "@type"}. Properties and types are compacted to
// prefix:local with the namespaces above. Ends with a newline.
std::string WriteJsonLd(const RdfGraph& graph);

// The PROV-O graph of one statement's visible provenance: the statement
// (a prov:Entity and rdf:Statement), each of its own records (`own`) and
// each claim in `claims` with the claim's records, claimant (a prov:Agent
// when an entity) and polarity. Every record is a prov:Entity the statement
// or claim wasDerivedFrom, quoted from its document; `documents` gives the
// title, publisher and date of those it holds (text unused). Without
// `include_evidence` the records carry no prov:value. Triples come in that
// order, without duplicates.
RdfGraph ProvOGraph(
    const storage::Statement& statement,
    const std::vector<storage::ProvenanceRecord>& own,
    const std::vector<Claim>& claims,
    const absl::flat_hash_map<std::string, storage::Document>& documents,
    bool include_evidence);

// `text` with every byte outside [A-Za-z0-9_.~-] %-encoded, so that it can
// be one path segment of an IRI.
std::string EscapeIriPart(absl::string_view text);

// The pieces of the mapping that the SPARQL view of the store
// (query/sparql/store_dataset.h) shares, so both say the same thing.
//
// A hedge's name: "asserted", "believed", "reportedly", "plausible",
// "unconfirmed" or "unspecified".
absl::string_view HedgeName(storage::Hedge hedge);
// The shortest decimal text that reads back as `d` (an xsd:double).
std::string DoubleLexical(double d);
// An instant as xsd:dateTime in UTC, with as many fraction digits as it has.
std::string DateTimeLexical(absl::Time t);
// The XSD datatype local name of a date of kg's: "gYear", "gYearMonth" or
// "date".
absl::string_view DateDatatype(const storage::Date& d);
// A record's IRI under `base`:
// <base>record/<statement id>/<document id>/<start>-<end>/<recorded µs>.
std::string RecordIri(absl::string_view base,
                      const storage::ProvenanceRecord& record);

}  // namespace kg::query

#endif  // KG_QUERY_PROVENANCE_PROV_O_H_
