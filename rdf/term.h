// RDF 1.2 terms and quads as plain values: what the readers produce, what the
// writers take. No storage, no gRPC: kgctl, the server and the bulk loader
// share this library (docs/rdf.md).
//
//   Term s = Term::Iri("http://example.org/alice");
//   Term o = Term::Literal("chat", "", "fr");               // "chat"@fr
//   Term q = Term::TripleTerm(Triple{s, Term::Iri(kRdfType), o});  // <<( ... )>>
#ifndef KG_RDF_TERM_H_
#define KG_RDF_TERM_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace kg::rdf {

inline constexpr char kRdfNs[] = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
inline constexpr char kXsdNs[] = "http://www.w3.org/2001/XMLSchema#";
inline constexpr char kRdfType[] =
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
inline constexpr char kRdfReifies[] =
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#reifies";
inline constexpr char kXsdString[] = "http://www.w3.org/2001/XMLSchema#string";
inline constexpr char kRdfLangString[] =
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString";
inline constexpr char kRdfDirLangString[] =
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#dirLangString";

// RDF 1.2 base direction of a language-tagged string ("@en--ltr").
enum class Direction : uint8_t { kNone = 0, kLtr = 1, kRtl = 2 };

struct Triple;

class Term {
 public:
  enum class Kind : uint8_t { kIri, kBlank, kLiteral, kTriple };

  Term() = default;  // the IRI "" (a placeholder; never produced by a reader)
  static Term Iri(std::string iri);
  // `label` is the label without "_:". Labels that readers generate for
  // `[]`, `[ ... ]` and collections contain '!', which no label in a
  // document can, so they never collide with the document's own.
  static Term Blank(std::string label);
  // An empty `datatype` means xsd:string, or rdf:langString /
  // rdf:dirLangString when `language` is set; datatype() reports the full
  // IRI either way.
  static Term Literal(std::string lexical, std::string datatype = "",
                      std::string language = "",
                      Direction direction = Direction::kNone);
  static Term TripleTerm(Triple triple);

  Kind kind() const { return kind_; }
  bool is_iri() const { return kind_ == Kind::kIri; }
  bool is_blank() const { return kind_ == Kind::kBlank; }
  bool is_literal() const { return kind_ == Kind::kLiteral; }
  bool is_triple() const { return kind_ == Kind::kTriple; }

  // The IRI, the blank node's label, or the literal's lexical form.
  const std::string& value() const { return value_; }
  // Literals: the datatype IRI, never empty.
  const std::string& datatype() const { return datatype_; }
  // Literals: the language tag as written, empty when none.
  const std::string& language() const { return language_; }
  Direction direction() const { return direction_; }
  // Triple terms: the triple. Must not be called on other kinds.
  const Triple& triple() const { return *triple_; }

  // Term equality as RDF 1.2 defines it (language tags compare
  // case-insensitively; blank nodes by label).
  friend bool operator==(const Term& a, const Term& b);

 private:
  // The N-Triples reader assigns into a reused Term's strings to keep their
  // capacity across lines (rdf/ntriples.cc); nothing else may.
  friend struct TermMutator;

  Kind kind_ = Kind::kIri;
  Direction direction_ = Direction::kNone;
  std::string value_;
  std::string datatype_;
  std::string language_;
  std::shared_ptr<const Triple> triple_;
};

struct Triple {
  Term subject;    // IRI or blank node (a triple term is not allowed here)
  Term predicate;  // IRI
  Term object;     // any term
  friend bool operator==(const Triple&, const Triple&) = default;
};

struct Quad {
  Term subject;
  Term predicate;
  Term object;
  std::optional<Term> graph;  // IRI or blank node; nullopt: default graph
  friend bool operator==(const Quad&, const Quad&) = default;
};

// The term in N-Triples syntax: <iri>, _:label, "lexical"@lang--dir,
// "lexical"^^<datatype> (xsd:string literals without it), <<( s p o )>>.
std::string ToNTriples(const Term& term);

}  // namespace kg::rdf

#endif  // KG_RDF_TERM_H_
