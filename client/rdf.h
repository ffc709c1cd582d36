// kg's RDF mapping, shared by `kgctl export --format nt|nq` and
// `kgctl import` of N-Triples/N-Quads (docs/cli.md has the full table).
//
// IRIs, under the base https://kg.invalid/ (".invalid" never resolves):
//   entity      https://kg.invalid/entity/<id>
//   relation    https://kg.invalid/relation/<id>     (the predicate)
//   statement   https://kg.invalid/statement/<id>    ("s" + 32 hex)
//   document    https://kg.invalid/document/<id>
//   provenance
//   https://kg.invalid/provenance/<statement>/<document>/<start>-<end> type
//   https://kg.invalid/type/<Type> vocabulary  https://kg.invalid/ns#
//   (kg:evidence, ...)
//
// A statement is written as a plain triple (subject, relation, object) and
// described by standard RDF reification under its statement IRI
// (rdf:Statement, rdf:subject, rdf:predicate, rdf:object); a quoted
// statement in subject or object position is its statement IRI. Every
// provenance record is a resource linked to the statement by kg:statement.
// In N-Quads the plain triple and the record sit in the graph named by the
// record's document; the rest is in the default graph.
//
// Thread-compatible.
#ifndef KG_CLIENT_RDF_H_
#define KG_CLIENT_RDF_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "kg/v1/model.pb.h"

namespace kg::client::rdf {

inline constexpr char kBase[] = "https://kg.invalid/";
inline constexpr char kEntity[] = "https://kg.invalid/entity/";
inline constexpr char kRelation[] = "https://kg.invalid/relation/";
inline constexpr char kStatement[] = "https://kg.invalid/statement/";
inline constexpr char kDocument[] = "https://kg.invalid/document/";
inline constexpr char kProvenance[] = "https://kg.invalid/provenance/";
inline constexpr char kType[] = "https://kg.invalid/type/";
inline constexpr char kNs[] = "https://kg.invalid/ns#";

inline constexpr char kRdf[] = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
inline constexpr char kRdfs[] = "http://www.w3.org/2000/01/rdf-schema#";
inline constexpr char kXsd[] = "http://www.w3.org/2001/XMLSchema#";
inline constexpr char kSkos[] = "http://www.w3.org/2004/02/skos/core#";
inline constexpr char kDcterms[] = "http://purl.org/dc/terms/";

// ---- Writing ----

// "<iri>".
std::string Iri(absl::string_view iri);
// A literal in N-Triples syntax with `datatype` (a full IRI; empty: a
// simple literal, which is xsd:string).
std::string Literal(absl::string_view lexical, absl::string_view datatype);
// A date as xsd:date, xsd:gYearMonth or xsd:gYear by its precision.
std::string DateLiteral(absl::string_view date);
// A kg literal typed xsd:integer, xsd:decimal, a date type or xsd:string.
std::string KgLiteral(const kg::v1::Literal& literal);

// Looks a statement up by id; null when unknown.
using StatementLookup =
    std::function<const kg::v1::Statement*(const std::string& id)>;

// Appends N-Triples (quads: N-Quads) lines in kg's mapping to `out`.
class Writer {
 public:
  Writer(bool quads, std::string* out) : quads_(quads), out_(out) {}

  void Entity(const kg::v1::Entity& e);
  void Relation(const kg::v1::Relation& r);
  void Document(const kg::v1::Document& d);
  // One asserted statement's block: the reification of every statement it
  // quotes and its own, the plain triple, then each record. `provenance`
  // in the order to write. NOT_FOUND when a quoted statement is unknown.
  absl::Status Statement(const kg::v1::Statement& s,
                         const std::vector<kg::v1::Provenance>& provenance,
                         const StatementLookup& lookup);

 private:
  void Line(absl::string_view s, absl::string_view p, absl::string_view o,
            absl::string_view graph = "");
  absl::Status Reify(const kg::v1::Statement& s, const StatementLookup& lookup,
                     int depth, absl::flat_hash_set<std::string>* done);

  bool quads_;
  std::string* out_;
};

// ---- Reading ----

// An RDF term as a parser reports it.
struct Term {
  enum class Kind { kIri, kBlank, kLiteral };
  Kind kind = Kind::kIri;
  std::string value;     // IRI, blank node label, or lexical form
  std::string datatype;  // literals: full datatype IRI, empty when none
  std::string language;  // literals: language tag, empty when none
};

// What the builder makes of the input: a record, or an error, each with the
// line it starts on.
struct Item {
  int64_t line = 0;
  std::optional<kg::v1::Record> record;
  std::string error;  // set when record is not
};

// Turns triples in kg's mapping back into records. The triples that
// describe one entity, relation, document or provenance record must be
// contiguous (as kgctl export writes them), and a statement must be
// described (reified) before its records. After a record, the next
// reification starts a new block and earlier descriptions are forgotten,
// so memory stays bounded on any size of file.
class RecordBuilder {
 public:
  // Takes one triple; `graph` is null for N-Triples or the default graph.
  // Completed records and errors are appended to `out`.
  void Add(const Term& s, const Term& p, const Term& o, const Term* graph,
           int64_t line, std::vector<Item>* out);
  // Completes the open group at the end of the input.
  void Finish(std::vector<Item>* out);
  // Plain (subject relation object) triples seen; they restate what the
  // reification says, so they are checked for form only.
  uint64_t plain_triples() const { return plain_triples_; }

 private:
  enum class GroupKind { kNone, kEntity, kRelation, kDocument, kProvenance };
  struct Reified {
    std::optional<Term> subject, object;
    std::string relation;
  };

  void Close(std::vector<Item>* out);
  void GroupTriple(const Term& p, const Term& o, const Term* graph);
  absl::Status ToKgTerm(const Term& t, int depth, kg::v1::Term* out) const;
  absl::Status ToTriple(const std::string& key, int depth,
                        kg::v1::Triple* out) const;

  GroupKind kind_ = GroupKind::kNone;
  std::string subject_;  // key of the open group
  int64_t first_line_ = 0;
  std::string error_;
  kg::v1::Record record_;
  std::string statement_key_;  // provenance group: its kg:statement
  std::string graph_document_;

  absl::flat_hash_map<std::string, Reified> reified_;
  bool record_since_clear_ = false;
  uint64_t plain_triples_ = 0;
};

}  // namespace kg::client::rdf

#endif  // KG_CLIENT_RDF_H_
