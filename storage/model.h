// The data model of DESIGN.md as plain C++ values: entities, relations,
// documents, terms, statements and provenance records. These are what
// storage/ takes and returns; they carry no encoding and no RocksDB types.
//
// Example: the Kremlin's denial of North Korea's deployment.
//
//   Term deployed = Term::Quoted(Triple{Term::Entity("north_korea"),
//                                       "deployed_troops_to",
//                                       Term::Entity("russia")});
//   StatementInput denial{Triple{Term::Entity("kremlin"), "denied", deployed},
//                         {ProvenanceInput{...}}};
#ifndef KG_STORAGE_MODEL_H_
#define KG_STORAGE_MODEL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace kg::storage {

// Claim polarity of a relation. Stored on disk: DO NOT CHANGE the values.
enum class Polarity : uint8_t {
  kNone = 0,      // an ordinary relation, not a claim
  kSupports = 1,  // reported, stated, confirmed, claimed
  kOpposes = 2,   // denied, rejected, found_no_evidence_of
};

// How the source words a fact. Stored on disk: DO NOT CHANGE the values.
enum class Hedge : uint8_t {
  kUnspecified = 0,
  kAsserted = 1,
  kBelieved = 2,
  kReportedly = 3,
  kPlausible = 4,
  kUnconfirmed = 5,
};

// A calendar date with year, month or day precision: "2024", "2024-06",
// "2024-06-15". month and day are 0 when not given.
struct Date {
  int32_t year = 0;
  int32_t month = 0;  // 1..12, or 0 for year precision
  int32_t day = 0;    // 1..31, or 0 for month or year precision

  // The first and last day the date covers, as days since 1970-01-01.
  int64_t FirstDay() const;
  int64_t LastDay() const;
  std::string ToString() const;
  friend bool operator==(const Date&, const Date&) = default;
};

// Parses "YYYY", "YYYY-MM" or "YYYY-MM-DD" (a real calendar date).
std::optional<Date> ParseDate(absl::string_view text);

// When a fact is said to hold: [start, end], either side open.
struct ValidTime {
  std::optional<Date> start;
  std::optional<Date> end;
  friend bool operator==(const ValidTime&, const ValidTime&) = default;
};

struct Entity {
  std::string id;     // lowercase slug: [a-z0-9_]+, unique; <base>entity/<id>
  std::string label;  // display name
  std::string type;   // Country, Organization, Person, ...
  std::vector<std::string> aliases;
  friend bool operator==(const Entity&, const Entity&) = default;
};

// An entity's life, kept so that time travel sees the names an entity had
// and the entities that were merged or deleted (docs/storage.md, "Entity
// history"). Each version holds from `since` until the next one's.
struct EntityVersion {
  enum class State : uint8_t {
    kLive = 0,     // the entity exists with these names
    kMerged = 1,   // merged into `merged_into`; `entity` keeps its last names
    kDeleted = 2,  // deleted; `entity` keeps its last names
  };
  absl::Time since = absl::InfinitePast();  // unknown for older stores
  State state = State::kLive;
  std::string merged_into;
  Entity entity;
  friend bool operator==(const EntityVersion&, const EntityVersion&) = default;
};

// Every version of one entity, oldest first; never empty.
struct EntityHistory {
  std::vector<EntityVersion> versions;

  const EntityVersion& current() const { return versions.back(); }
  bool live() const { return current().state == EntityVersion::State::kLive; }
  // The version in force at `t`; null before the entity existed.
  const EntityVersion* AsOf(absl::Time t) const;
};

struct Relation {
  std::string id;  // lowercase slug; <base>relation/<id>
  std::string label;
  bool symmetric = false;
  Polarity polarity = Polarity::kNone;
  friend bool operator==(const Relation&, const Relation&) = default;
};

struct Document {
  // A slug; or an absolute IRI (a named graph; <base>document/<slug> is the
  // slug); or "_:" + a blank graph label, scoped like blank nodes and
  // stored as "_:b" + 32 hex digits.
  std::string id;
  std::string title;  // required for a text document
  std::string publisher;
  std::optional<Date> published;
  // Full text, UTF-8. Empty for a data document (a file, a named graph),
  // whose provenance records have no evidence span.
  std::string text;
  friend bool operator==(const Document&, const Document&) = default;
};

// The first four are kg's own literal values, each also one exact RDF
// literal (a simple string; xsd:integer, xsd:decimal in kg's canonical
// form; xsd:date, xsd:gYearMonth, xsd:gYear). The last two are every other
// RDF literal, lexical form as written. Stored on disk: DO NOT CHANGE.
enum class LiteralType : uint8_t {
  kString = 1,
  kInteger = 2,
  kDecimal = 3,
  kDate = 4,
  kTyped = 5,       // any datatype IRI
  kLangString = 6,  // a language tag, and maybe a base direction
};

// RDF 1.2 base direction of a language-tagged string. Stored on disk.
enum class LiteralDirection : uint8_t { kNone = 0, kLtr = 1, kRtl = 2 };

inline constexpr char kXsdNamespace[] = "http://www.w3.org/2001/XMLSchema#";
inline constexpr char kRdfNamespace[] =
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

struct Literal {
  Literal() = default;
  Literal(LiteralType t, std::string lex) : type(t), lexical(std::move(lex)) {}

  LiteralType type = LiteralType::kString;
  std::string lexical;  // kg's types: canonical; RDF literals: as written
  // kTyped: the datatype IRI; empty for the other types (RdfDatatype gives
  // every literal's).
  std::string datatype;
  std::string language;  // kLangString: the tag as first written
  LiteralDirection direction = LiteralDirection::kNone;
  friend bool operator==(const Literal&, const Literal&) = default;
};

// The datatype IRI of a literal of any type.
std::string RdfDatatype(const Literal& literal);

struct Triple;

// A node of the graph: an entity, a literal, a statement (quoted by its
// content or named by its id), any other IRI, or a blank node.
class Term {
 public:
  enum class Kind : uint8_t { kEntity, kLiteral, kStatement, kIri, kBlank };

  static Term Entity(std::string id);
  // kg's literal values: "+012" and "12" are one integer.
  static Term Literal(LiteralType type, std::string lexical);
  // Any RDF literal, lexical form as written: "012"^^xsd:integer and
  // "12"^^xsd:integer are two terms. An empty datatype is xsd:string (or
  // rdf:langString with a language). The store keeps it in kg's compact
  // types when it is exactly one of them.
  static Term RdfLiteral(std::string lexical, std::string datatype,
                         std::string language = "",
                         LiteralDirection direction = LiteralDirection::kNone);
  static Term Quoted(Triple triple);
  static Term StatementId(std::string statement_id);
  // Any absolute IRI. <base>entity/<id> is the entity <id> (which must
  // exist) and <base>statement/<id> the statement <id>.
  static Term Iri(std::string iri);
  // A blank node. In a write, `label` is scoped by WriteBatch::blank_scope;
  // in a read (Match), it is the node's id in the store, "b" + 32 hex.
  static Term Blank(std::string label);

  Kind kind() const { return kind_; }
  // Entity id, statement id when the statement was named by id, the IRI,
  // or the blank node's label.
  const std::string& id() const { return id_; }
  const struct Literal& literal() const { return literal_; }
  // The quoted triple; null when the statement was named by id.
  const Triple* triple() const { return triple_.get(); }

 private:
  Kind kind_ = Kind::kEntity;
  std::string id_;
  struct Literal literal_;
  std::shared_ptr<const Triple> triple_;
};

struct Triple {
  Term subject;
  // A relation id (a relation record must exist), or any absolute IRI
  // (<base>relation/<id> is that relation id).
  std::string relation;
  Term object;
};

// A provenance record as a writer gives it.
struct ProvenanceInput {
  std::string document_id;
  // Evidence span in the document's text, in Unicode code points,
  // [evidence_start, evidence_end); `evidence` must equal that span. A
  // record from a data document (no text) has no span: 0, 0 and "".
  uint32_t evidence_start = 0;
  uint32_t evidence_end = 0;
  std::string evidence;
  Hedge hedge = Hedge::kAsserted;
  double confidence = 1.0;  // in [0, 1]
  ValidTime valid_time;
};

// A stored provenance record: the input plus what the store adds.
struct ProvenanceRecord {
  std::string statement_id;
  ProvenanceInput input;
  absl::Time recorded_at;
  std::optional<absl::Time> retracted_at;

  bool LiveAt(absl::Time t) const {
    return recorded_at <= t && (!retracted_at || *retracted_at > t);
  }
};

// A resolved term as the store returns it.
struct TermValue {
  Term::Kind kind = Term::Kind::kEntity;
  // Entity id, statement id, the IRI, or the blank node's id in the store
  // ("b" + 32 hex digits).
  std::string id;
  struct Literal literal;  // for kLiteral
  friend bool operator==(const TermValue&, const TermValue&) = default;
};

// A stored statement.
struct Statement {
  std::string id;  // "s" + 32 hex digits, derived from the content
  TermValue subject;
  std::string relation;  // relation id, or the predicate's IRI
  TermValue object;
  uint32_t live_provenance = 0;  // provenance records not retracted
  uint32_t quoted_by = 0;        // indexed statements that quote this one
  friend bool operator==(const Statement&, const Statement&) = default;
};

}  // namespace kg::storage

#endif  // KG_STORAGE_MODEL_H_
