// Terms on kgctl's command line, parsed into kg.v1.Term and printed back.
//
//   north_korea  "North Korea"  DPRK   an entity by id, label or alias
//   entity:NAME                        an entity, whatever NAME looks like
//   s0123456789abcdef0123456789abcdef  a statement by id ("s" + 32 hex)
//   int:12000  dec:1.5  date:2024-06   literals: integer, decimal, date
//   str:text  str:"two words"          a string literal
//   <<subject relation object>>        a quoted statement; nesting allowed:
//                                      <<nis reported <<north_korea
//                                        deployed_troops_to russia>>>>
//   <http://example.org/x>             an IRI (also as a relation in << >>)
//   _:b0123...                         a blank node by its id in the store
//   lit:"chat"@fr  lit:"01"^^<http://www.w3.org/2001/XMLSchema#integer>
//                                      any RDF literal, N-Triples syntax
//
// A whole command-line argument is one term, so `North Korea` (one shell
// word) names an entity. Inside << >> the parts are separated by spaces;
// names with spaces are written in double quotes, with \" and \\ escapes.
//
// Thread-compatible.
#ifndef KG_CLIENT_TERM_SYNTAX_H_
#define KG_CLIENT_TERM_SYNTAX_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kg/v1/model.pb.h"

namespace kg::client {

// Parses one command-line argument. INVALID_ARGUMENT naming the problem
// and its position for malformed input (an unclosed <<, a bad integer).
absl::StatusOr<kg::v1::Term> ParseTerm(absl::string_view text);

// Parses a statement: an id or <<s r o>>. INVALID_ARGUMENT for any other
// term.
absl::StatusOr<kg::v1::Term> ParseStatementTerm(absl::string_view text);

// True for "s" followed by 32 lowercase hex digits.
bool IsStatementId(absl::string_view text);

// Prints a term so that ParseTerm reads it back.
std::string FormatTerm(const kg::v1::Term& term);
std::string FormatTriple(const kg::v1::Triple& triple);  // "<<s r o>>"
// A literal in term syntax: int:12000, str:"two words".
std::string FormatLiteral(const kg::v1::Literal& literal);
// A name (entity or relation) bare when that reads back, else in quotes.
std::string FormatName(absl::string_view name);
// A relation: its name, or <iri> for a predicate without a record.
std::string FormatRelation(absl::string_view relation);

}  // namespace kg::client

#endif  // KG_CLIENT_TERM_SYNTAX_H_
