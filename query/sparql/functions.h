// Internal to query/sparql/: SPARQL's operators and built-in functions on
// RDF terms (W3C SPARQL 1.1 section 17, with SPARQL 1.2's triple and
// direction functions). A result is a term, or nullopt for SPARQL's
// "error" (an unbound value, a type error), which FILTER treats as false
// and BIND leaves unbound. The evaluator (query/sparql/eval.cc) handles
// what needs its rows: variables, BOUND, IF, COALESCE, &&, ||, EXISTS.
#ifndef KG_QUERY_SPARQL_FUNCTIONS_H_
#define KG_QUERY_SPARQL_FUNCTIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "query/sparql/algebra.h"
#include "rdf/term.h"

namespace kg::sparql {

using Value = std::optional<rdf::Term>;

// The effective boolean value (section 17.2.2); nullopt when it has none.
std::optional<bool> EffectiveBooleanValue(const rdf::Term& term);

// RDFterm-equal and the value comparisons of = != < > <= >=: nullopt is
// a type error (incomparable values).
std::optional<bool> Compare(Expression::Kind op, const rdf::Term& a,
                            const rdf::Term& b);

// ORDER BY's order (section 15.1): unbound, blank nodes, IRIs, literals;
// literals by value where comparable, else by their lexical form. <0, 0,
// >0.
int OrderCompare(const Value& a, const Value& b);

// + - * / and unary + -.
Value Arithmetic(Expression::Kind op, const rdf::Term& a, const rdf::Term& b);
Value Negate(const rdf::Term& a, bool minus);

// A built-in by its canonical upper-case name (parser.cc's table) or a
// cast by its XSD IRI, on evaluated arguments (errors already removed by
// the caller where the function is strict).
Value CallFunction(absl::string_view name, bool is_iri,
                   const std::vector<rdf::Term>& args);

// A typed literal's numeric value when it is numeric.
std::optional<double> NumericValue(const rdf::Term& term);

rdf::Term BooleanTerm(bool b);
rdf::Term IntegerTerm(int64_t v);

}  // namespace kg::sparql

#endif  // KG_QUERY_SPARQL_FUNCTIONS_H_
