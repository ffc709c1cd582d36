// Fuzz target: the SPARQL 1.2 parser of query/sparql/.
//
// Input: a query's text, parsed with a base IRI (so relative IRIs resolve).
//
// Checked on every input:
//   - no crash, no sanitizer report, no stack exhaustion (the parser bounds
//     nesting and chains; docs/query.md "SPARQL");
//   - an error is INVALID_ARGUMENT with "line L, column C: " naming a
//     position inside the input;
//   - what parses prints as an S-expression (the EXPLAIN form) and parses
//     the same way a second time: the parser keeps no state between
//     queries.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "fuzz/error_position.h"
#include "query/sparql/algebra.h"
#include "query/sparql/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  kg::sparql::ParseOptions options;
  options.base_iri = "http://fuzz.example/base/query.rq";
  const absl::StatusOr<kg::sparql::Query> q = kg::sparql::Parse(input, options);
  if (!q.ok()) {
    kg::fuzz::CheckErrorPosition("sparql_parser_fuzzer", input, q.status());
    return 0;
  }
  const std::string algebra = kg::sparql::ToSExpression(q->pattern);
  (void)kg::sparql::InScopeVariables(q->pattern);
  const absl::StatusOr<kg::sparql::Query> again =
      kg::sparql::Parse(input, options);
  if (!again.ok() || kg::sparql::ToSExpression(again->pattern) != algebra) {
    std::fprintf(stderr, "sparql_parser_fuzzer: a second parse differs\n");
    std::abort();
  }
  return 0;
}
