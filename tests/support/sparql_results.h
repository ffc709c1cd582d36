// Reading the W3C SPARQL suites' expected results (.srx XML, .srj JSON)
// and comparing solutions the way the suites define: as a multiset unless
// the query orders them, blank nodes equal up to a consistent renaming
// (inside triple terms too), literals as RDF terms.
#ifndef KG_TESTS_SUPPORT_SPARQL_RESULTS_H_
#define KG_TESTS_SUPPORT_SPARQL_RESULTS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rdf/term.h"

namespace kg::testing {

struct ResultTable {
  std::vector<std::string> variables;
  std::vector<std::vector<std::optional<rdf::Term>>> rows;
  std::optional<bool> boolean;  // ASK
};

// SPARQL 1.1 Query Results XML (with RDF 1.2's <triple>).
absl::StatusOr<ResultTable> ReadResultsXml(absl::string_view text);
// SPARQL 1.1 Query Results JSON (with RDF 1.2's "triple").
absl::StatusOr<ResultTable> ReadResultsJson(absl::string_view text);

// "" when `actual` equals `expected`, else what differs. Variables compare
// as sets; rows as a multiset, or in order when `ordered`; blank nodes up
// to a bijection.
std::string CompareResults(const ResultTable& expected,
                           const ResultTable& actual, bool ordered);

}  // namespace kg::testing

#endif  // KG_TESTS_SUPPORT_SPARQL_RESULTS_H_
