// Test-side readers for SPARQL query results (.srj JSON, .srx XML, .csv,
// .tsv) and the comparison the W3C conformance runner uses to check an
// engine's answer against the expected one.
//
//   KG_ASSIGN_OR_RETURN(ResultTable expected,
//                       ReadResults(file_text, sparql::ResultsFormat::kXml));
//   std::string diff = CompareResults(expected, actual, /*ordered=*/false);
//   EXPECT_EQ(diff, "");
//
// Comparison (CompareResults):
//   - ASK: both booleans present and equal.
//   - SELECT: the same variables (as a set; columns are matched by name),
//     the same rows as a multiset (or in order, when `ordered`), terms
//     equal as rdf::Term == says (RDF term equality: lexical forms, not
//     values), blank nodes equal up to one bijection between the two
//     tables' labels, kept consistent across all rows and inside triple
//     terms.
//
// CSV is untyped: ReadResults(kCsv) reads `_:x` as the blank node x, an
// empty field as unbound, and any other field as a plain literal of the
// field's text (so IRIs, numbers and tagged strings all become plain
// literals). To check an engine's answer against an expected .csv, compare
// with CsvView(actual): the actual table as it reads after being written as
// CSV. Rows are then compared as above (unordered unless asked, blank
// labels up to bijection). TSV keeps every term and needs no view.
//
// Readers are lenient where the W3C files vary (JSON "typed-literal",
// XML <link> in <head>, comments, CDATA, any namespace prefix) and strict
// where a mistake would hide a bug (unknown term types, a binding of an
// undeclared variable, a bad direction, malformed markup).
#ifndef KG_TESTS_SUPPORT_SPARQL_RESULTS_H_
#define KG_TESTS_SUPPORT_SPARQL_RESULTS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "query/sparql/results.h"

namespace kg::testing {

// A whole SELECT or ASK result. For ASK, `boolean` is set and the rest is
// empty.
struct ResultTable {
  std::vector<std::string> variables;  // without '?'
  std::vector<sparql::Solution> rows;  // each of variables.size()
  std::optional<bool> boolean;
};

// Parses a results document. INVALID_ARGUMENT saying what and where
// (line numbers for XML, CSV and TSV; protobuf's message for JSON).
// CSV and TSV: a table whose only variable is "_askResult" with one row
// "true" or "false" reads as that boolean (results.h, BooleanResult).
absl::StatusOr<ResultTable> ReadResults(absl::string_view text,
                                        sparql::ResultsFormat format);

// Writes the table with kg's writers (SolutionsWriter or BooleanResult).
std::string WriteResults(const ResultTable& table,
                         sparql::ResultsFormat format);

// The table as it reads back after being written as CSV (see above).
ResultTable CsvView(const ResultTable& table);

// "" when `actual` matches `expected` (see above), else a readable account
// of the difference: differing variables, rows missing and rows not
// expected, or the first differing position when `ordered`.
// With `numbers_by_value`, numbers compare by value within a datatype
// ("2.0" and "2" are the same xsd:decimal), as the W3C suites' harnesses
// do: the lexical form a computation yields is not fixed by the
// specification. Without, terms compare exactly.
std::string CompareResults(const ResultTable& expected,
                           const ResultTable& actual, bool ordered,
                           bool numbers_by_value = false);

// The table as text, one row a line: `?x=<iri> ?y=UNBOUND`, for messages.
std::string ResultTableToString(const ResultTable& table);

}  // namespace kg::testing

#endif  // KG_TESTS_SUPPORT_SPARQL_RESULTS_H_
