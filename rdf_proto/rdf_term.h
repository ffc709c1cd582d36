// RDF terms between the kg.v1 contract and rdf::Term, both ways: the
// server writes SPARQL answers with ToProto, and its clients (kgctl, the
// HTTP SPARQL endpoint) read them back with FromProto.
//
//   v1::RdfTerm p;  rdf_proto::ToProto(term, &p);
//   rdf::Term back = rdf_proto::FromProto(p);
#ifndef KG_RDF_PROTO_RDF_TERM_H_
#define KG_RDF_PROTO_RDF_TERM_H_

#include <optional>
#include <vector>

#include "kg/v1/query.pb.h"
#include "rdf/term.h"

namespace kg::rdf_proto {

void ToProto(const rdf::Term& term, v1::RdfTerm* out);

// A term with no kind set (an unbound value) becomes the default
// rdf::Term; callers check kind_case() first where unbound matters.
rdf::Term FromProto(const v1::RdfTerm& term);

// One row of a Query answer: each value, nullopt where unbound (the shape
// of sparql::Solution).
std::vector<std::optional<rdf::Term>> FromProto(const v1::QueryRow& row);

}  // namespace kg::rdf_proto

#endif  // KG_RDF_PROTO_RDF_TERM_H_
