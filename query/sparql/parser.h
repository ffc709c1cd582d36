// The SPARQL 1.2 query parser: text to the algebra of query/sparql/algebra.h
// (W3C SPARQL 1.1 sections 18.2, with SPARQL 1.2's triple terms, reifiers
// and annotations). Hand-written recursive descent over the grammar of
// section 19; the anchors (Oxigraph, QLever, Jena) hand-write theirs too.
//
//   absl::StatusOr<sparql::Query> q =
//       sparql::Parse("SELECT * { ?s ?p ?o }", {.base_iri = "http://x/"});
//   // A syntax error: INVALID_ARGUMENT "line 1, column 12: expected '}'".
#ifndef KG_QUERY_SPARQL_PARSER_H_
#define KG_QUERY_SPARQL_PARSER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "query/sparql/algebra.h"

namespace kg::sparql {

struct ParseOptions {
  // The base IRI relative IRIs resolve against when the query has no BASE.
  // Empty: a relative IRI without BASE is an error.
  std::string base_iri;
};

// Parses a query (SELECT, CONSTRUCT, ASK, DESCRIBE). SPARQL Update is
// refused (INVALID_ARGUMENT naming it). Errors are INVALID_ARGUMENT
// "line L, column C: what", including the rules the grammar alone does
// not say (variable scope of BIND and SELECT expressions, grouping,
// blank node labels shared by two graph patterns, ...).
absl::StatusOr<Query> Parse(absl::string_view text,
                            const ParseOptions& options = {});

}  // namespace kg::sparql

#endif  // KG_QUERY_SPARQL_PARSER_H_
