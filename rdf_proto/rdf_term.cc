#include "rdf_proto/rdf_term.h"

namespace kg::rdf_proto {

void ToProto(const rdf::Term& t, v1::RdfTerm* out) {
  switch (t.kind()) {
    case rdf::Term::Kind::kIri:
      out->set_iri(t.value());
      return;
    case rdf::Term::Kind::kBlank:
      out->set_blank_node(t.value());
      return;
    case rdf::Term::Kind::kLiteral: {
      v1::RdfLiteral* l = out->mutable_literal();
      l->set_lexical_form(t.value());
      l->set_datatype(t.datatype());
      l->set_language(t.language());
      l->set_direction(t.direction() == rdf::Direction::kLtr
                           ? v1::TEXT_DIRECTION_LTR
                       : t.direction() == rdf::Direction::kRtl
                           ? v1::TEXT_DIRECTION_RTL
                           : v1::TEXT_DIRECTION_UNSPECIFIED);
      return;
    }
    case rdf::Term::Kind::kTriple: {
      v1::RdfTriple* tr = out->mutable_triple();
      ToProto(t.triple().subject, tr->mutable_subject());
      ToProto(t.triple().predicate, tr->mutable_predicate());
      ToProto(t.triple().object, tr->mutable_object());
      return;
    }
  }
}

rdf::Term FromProto(const v1::RdfTerm& t) {
  switch (t.kind_case()) {
    case v1::RdfTerm::kIri:
      return rdf::Term::Iri(t.iri());
    case v1::RdfTerm::kBlankNode:
      return rdf::Term::Blank(t.blank_node());
    case v1::RdfTerm::kLiteral: {
      const v1::RdfLiteral& l = t.literal();
      if (!l.language().empty()) {
        return rdf::Term::Literal(
            l.lexical_form(), "", l.language(),
            l.direction() == v1::TEXT_DIRECTION_LTR   ? rdf::Direction::kLtr
            : l.direction() == v1::TEXT_DIRECTION_RTL ? rdf::Direction::kRtl
                                                      : rdf::Direction::kNone);
      }
      return rdf::Term::Literal(l.lexical_form(), l.datatype());
    }
    case v1::RdfTerm::kTriple:
      return rdf::Term::TripleTerm(rdf::Triple{
          FromProto(t.triple().subject()), FromProto(t.triple().predicate()),
          FromProto(t.triple().object())});
    default:
      return rdf::Term();
  }
}

std::vector<std::optional<rdf::Term>> FromProto(const v1::QueryRow& row) {
  std::vector<std::optional<rdf::Term>> out;
  out.reserve(row.values_size());
  for (const v1::RdfTerm& v : row.values()) {
    if (v.kind_case() == v1::RdfTerm::KIND_NOT_SET) {
      out.push_back(std::nullopt);
    } else {
      out.push_back(FromProto(v));
    }
  }
  return out;
}

}  // namespace kg::rdf_proto
