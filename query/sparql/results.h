// SPARQL query results as the W3C formats write them: SPARQL 1.1 Query
// Results JSON, XML, CSV and TSV, with SPARQL 1.2's additions (triple terms,
// literals with a base direction). kg's server, kgctl and the HTTP endpoint
// share these writers (docs/query.md, "API"). Depends on rdf/term.h and absl
// only.
//
// A SELECT result is streamed: Begin, then Row for each solution as the
// engine produces it (in batches, a server flushing `out` between them),
// then End.
//
//   SolutionsWriter w(ResultsFormat::kJson, {"s", "label"});
//   std::string out;
//   w.Begin(&out);
//   w.Row({rdf::Term::Iri("http://example.org/a"), std::nullopt}, &out);
//   w.End(&out);
//
// An ASK result is one call: BooleanResult(ResultsFormat::kXml, true).
//
// What each format writes, per term kind:
//
//   JSON  {"type":"uri","value":I}  {"type":"bnode","value":L}
//         {"type":"literal","value":V[,"datatype":D][,"xml:lang":T
//          [,"its:dir":"ltr"|"rtl"]]}          (no datatype for xsd:string
//                                               and language-tagged strings)
//         {"type":"triple","value":{"subject":..,"predicate":..,"object":..}}
//   XML   <uri>I</uri>  <bnode>L</bnode>  <literal datatype="D">V</literal>
//         <literal xml:lang="T" its:dir="rtl">V</literal>
//         <triple><subject>..</subject><predicate>..</predicate>
//         <object>..</object></triple>
//         (the root declares xmlns:its and its:version="2.0" always, since a
//         stream cannot know in advance whether a direction will occur)
//   TSV   terms in N-Triples/Turtle syntax: <I>, _:L, "V"@T--rtl, "V"^^<D>,
//         <<( s p o )>>; xsd:integer, xsd:decimal, xsd:double and
//         xsd:boolean literals whose lexical form is a Turtle number or
//         boolean are written bare (42, 4.2, 4.2E1, true), as the spec's
//         examples do. Header "?a\t?b"; lines end with "\n".
//   CSV   the IRI, the lexical form alone, _:L; a triple term as in TSV
//         (the CSV spec has no rule for it). Fields containing '"', ',',
//         CR or LF are quoted with '"' doubled (RFC 4180). Header "a,b";
//         lines end with CRLF. CSV loses datatypes, languages and the
//         difference between IRIs and literals, as the spec says.
//   All   an unbound variable is omitted (JSON, XML) or an empty field
//         (CSV, TSV; so is an empty literal in CSV).
//
// Blank node labels: JSON and XML write the label as it is. CSV and TSV
// write labels that are well-formed Turtle labels of the ASCII letters,
// digits, '_', '-' and '.' as they are, except those beginning with "kg_";
// any other label L is written as "kg_" followed by the lowercase hex of
// its bytes. The mapping is injective, so distinct nodes stay distinct.
//
// Escaping: JSON escapes '"', '\\' and every control character below
// U+0020. XML escapes & < > and, in attributes, '"'; CR, and in attributes
// TAB and LF, as character references so that parsers do not normalise
// them; the control characters XML 1.0 cannot carry (U+0000-U+0008, U+000B,
// U+000C, U+000E-U+001F) become character references too: valid XML 1.1,
// rejected by strict XML 1.0 parsers, but nothing is lost. TSV escapes as
// canonical N-Triples does (\t \n \r \" \\ and \uXXXX), so a field never
// holds a TAB or a line break.
//
// Input strings are assumed to be UTF-8 (rdf::Term's are); none of the
// writers checks.
#ifndef KG_QUERY_SPARQL_RESULTS_H_
#define KG_QUERY_SPARQL_RESULTS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rdf/term.h"

namespace kg::sparql {

// One solution: the value of each variable, by the variable's position in
// the result's variable list; nullopt when the variable is unbound.
using Solution = std::vector<std::optional<rdf::Term>>;

enum class ResultsFormat { kJson, kXml, kCsv, kTsv };

// "json", "xml", "csv", "tsv" (ASCII case-insensitive).
// INVALID_ARGUMENT naming the four otherwise.
absl::StatusOr<ResultsFormat> ResultsFormatNamed(absl::string_view name);

// "json", "xml", "csv" or "tsv": the name ResultsFormatNamed accepts.
absl::string_view ResultsFormatName(ResultsFormat format);

// The media type to send with the format (HTTP Content-Type):
// application/sparql-results+json, application/sparql-results+xml,
// text/csv; charset=utf-8, text/tab-separated-values; charset=utf-8.
absl::string_view MediaType(ResultsFormat format);

// Writes the solutions of one SELECT query, as a stream. Each call appends
// to `out` (which it does not clear), so the caller may send and clear
// `out` between calls. Begin must come first and once, End last and once.
// Not thread-safe: one writer per result stream.
class SolutionsWriter {
 public:
  // `variables` are the names without '?', in the result's order.
  SolutionsWriter(ResultsFormat format, std::vector<std::string> variables);

  ResultsFormat format() const { return format_; }
  const std::vector<std::string>& variables() const { return variables_; }

  // The header (JSON's and XML's opening, CSV's and TSV's header line).
  void Begin(std::string* out);
  // One solution. `row[i]` is the value of variables()[i]; positions past
  // the end of a shorter row are unbound, values past variables().size()
  // are ignored.
  void Row(const Solution& row, std::string* out);
  // The closing (JSON, XML); nothing for CSV and TSV.
  void End(std::string* out);

 private:
  ResultsFormat format_;
  std::vector<std::string> variables_;
  bool first_row_ = true;
};

// The whole result of a SELECT query in one string: Begin, every row, End.
std::string WriteSolutions(ResultsFormat format,
                           std::vector<std::string> variables,
                           const std::vector<Solution>& rows);

// The result of an ASK query. JSON {"head":{},"boolean":true} and XML
// <boolean>true</boolean> as the specs say. The CSV and TSV specs define
// no boolean form; these write a one-column table of one row, the variable
// "_askResult" bound to the boolean (CSV "_askResult\r\ntrue\r\n", TSV
// "?_askResult\ntrue\n", where `true` is Turtle's xsd:boolean), as Jena
// does, so that spreadsheet users still get an answer.
std::string BooleanResult(ResultsFormat format, bool value);

// The variable name of CSV's and TSV's boolean table.
inline constexpr char kAskResultVariable[] = "_askResult";

}  // namespace kg::sparql

#endif  // KG_QUERY_SPARQL_RESULTS_H_
