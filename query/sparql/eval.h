// Evaluates a parsed query (query/sparql/parser.h) over a Dataset
// (query/sparql/dataset.h), following W3C SPARQL 1.1 section 18.5 with
// SPARQL 1.2's triple terms. Rows are arrays of ids, one slot per
// variable; terms are decoded only for expressions and for the rows
// returned (docs/query.md "SPARQL").
//
//   absl::StatusOr<QueryResult> r = Evaluate(query, dataset, {});
//   for (const auto& row : r->rows) ...   // one term or nullopt per variable
//
// Solutions stream from the scans through filter, extend, project,
// distinct, reduced, slice and union to the answer (a basic graph pattern
// runs depth first), so LIMIT stops the scans and the first row leaves
// before the last is found; joins, OPTIONAL, MINUS, ORDER BY, GROUP BY
// with aggregates other than COUNT, and paths hold their inputs whole
// (docs/query.md "SPARQL").
#ifndef KG_QUERY_SPARQL_EVAL_H_
#define KG_QUERY_SPARQL_EVAL_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "query/sparql/algebra.h"
#include "query/sparql/dataset.h"
#include "rdf/term.h"

namespace kg::sparql {

struct EvalOptions {
  // The cap on solutions: those the answer gives, and those any stage
  // holds (DISTINCT's, groups, a sort's or a join's input): past it the
  // query ends RESOURCE_EXHAUSTED naming the cap.
  uint64_t max_rows = 10'000'000;
  // The cap on the memory the solutions one stage holds take (8 bytes per
  // variable per row): past it the query ends RESOURCE_EXHAUSTED naming
  // the cap. 0: none.
  uint64_t max_bytes = 0;
  // Checked between operators and every 1,024 rows: DEADLINE_EXCEEDED
  // (or CANCELLED) when it answers non-OK.
  std::function<absl::Status()> check;
  // NOW()'s value for the whole query.
  absl::Time now = absl::Now();
  // PROFILE: count each operator's rows and time, and return the plan
  // with them in QueryResult::profile.
  bool profile = false;
  // How a basic graph pattern's steps join (docs/query.md "Join methods"):
  // kCost chooses per step from the estimates; kLookups makes every step an
  // index nested loop; kJoins a hash or merge join wherever one may run
  // (tests: every method answers alike).
  enum class JoinMethods { kCost, kLookups, kJoins };
  JoinMethods join_methods = JoinMethods::kCost;
  // SELECT: when set, each solution is decoded and passed to it in order,
  // instead of gathered in QueryResult::rows, so that a large answer is
  // never held decoded all at once; returning false stops the answer.
  std::function<bool(std::vector<std::optional<rdf::Term>>&& row)> on_row;
};

struct QueryResult {
  Query::Form form = Query::Form::kSelect;
  // SELECT: the variables and one row per solution (nullopt: unbound).
  std::vector<std::string> variables;
  std::vector<std::vector<std::optional<rdf::Term>>> rows;
  // ASK.
  bool boolean = false;
  // CONSTRUCT and DESCRIBE: the graph.
  std::vector<rdf::Triple> triples;
  // With EvalOptions::profile: the plan, one operator a line, each with
  // its rows and time; a basic graph pattern's triples in the order run,
  // each with its estimate and the rows after it.
  std::string profile;
};

absl::StatusOr<QueryResult> Evaluate(const Query& query, Dataset& dataset,
                                     const EvalOptions& options);

// EXPLAIN: the plan without running it, as Evaluate's profile prints it,
// each basic graph pattern's triples in the order they would run with the
// dataset's estimates.
std::string Explain(const Query& query, Dataset& dataset);

// About how many solutions evaluating `query` makes along the way: each
// basic graph pattern's steps' estimated solutions (its first triple's
// matches included), a property path or a SERVICE counted as 1,000. For
// deciding whether a query is small (the server runs those inline).
double EstimatedWork(const Query& query, Dataset& dataset);

}  // namespace kg::sparql

#endif  // KG_QUERY_SPARQL_EVAL_H_
