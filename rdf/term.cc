// Term constructors, RDF 1.2 term equality and the N-Triples form of a term
// (canonical RDF 1.2 N-Triples, as the N-Triples writer writes it).
#include "rdf/term.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "rdf/ntriples.h"

namespace kg::rdf {
namespace {

void AppendNTriples(const Term& term, std::string* out) {
  switch (term.kind()) {
    case Term::Kind::kIri:
      AppendIriRef(term.value(), out);
      return;
    case Term::Kind::kBlank:
      out->append("_:");
      out->append(term.value());
      return;
    case Term::Kind::kLiteral:
      AppendQuotedString(term.value(), out);
      if (!term.language().empty()) {
        AppendLanguage(term, out);
      } else if (term.datatype() != kXsdString) {
        out->append("^^");
        AppendIriRef(term.datatype(), out);
      }
      return;
    case Term::Kind::kTriple:
      out->append("<<( ");
      AppendNTriples(term.triple().subject, out);
      out->push_back(' ');
      AppendNTriples(term.triple().predicate, out);
      out->push_back(' ');
      AppendNTriples(term.triple().object, out);
      out->append(" )>>");
      return;
  }
}

}  // namespace

Term Term::Iri(std::string iri) {
  Term t;
  t.kind_ = Kind::kIri;
  t.value_ = std::move(iri);
  return t;
}

Term Term::Blank(std::string label) {
  Term t;
  t.kind_ = Kind::kBlank;
  t.value_ = std::move(label);
  return t;
}

Term Term::Literal(std::string lexical, std::string datatype,
                   std::string language, Direction direction) {
  Term t;
  t.kind_ = Kind::kLiteral;
  t.value_ = std::move(lexical);
  t.language_ = std::move(language);
  t.direction_ = t.language_.empty() ? Direction::kNone : direction;
  if (!datatype.empty()) {
    t.datatype_ = std::move(datatype);
  } else if (t.language_.empty()) {
    t.datatype_ = kXsdString;
  } else if (t.direction_ == Direction::kNone) {
    t.datatype_ = kRdfLangString;
  } else {
    t.datatype_ = kRdfDirLangString;
  }
  return t;
}

Term Term::TripleTerm(Triple triple) {
  Term t;
  t.kind_ = Kind::kTriple;
  t.triple_ = std::make_shared<const Triple>(std::move(triple));
  return t;
}

bool operator==(const Term& a, const Term& b) {
  if (a.kind_ != b.kind_) return false;
  switch (a.kind_) {
    case Term::Kind::kIri:
    case Term::Kind::kBlank:
      return a.value_ == b.value_;
    case Term::Kind::kLiteral:
      return a.value_ == b.value_ && a.datatype_ == b.datatype_ &&
             a.direction_ == b.direction_ &&
             absl::EqualsIgnoreCase(a.language_, b.language_);
    case Term::Kind::kTriple:
      return a.triple_ == b.triple_ || *a.triple_ == *b.triple_;
  }
  return false;
}

std::string ToNTriples(const Term& term) {
  std::string out;
  AppendNTriples(term, &out);
  return out;
}

}  // namespace kg::rdf
