// Match planning: which index and which key prefix hold the statements of a
// (subject?, relation?, object?) pattern (docs/storage.md, "Indexes").
// Internal to storage/.
#ifndef KG_STORAGE_MATCH_PLAN_H_
#define KG_STORAGE_MATCH_PLAN_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace kg::storage {

// Where a pattern's rows live.
struct MatchPlan {
  Cf index = kSpoCf;
  std::string prefix;
  // A bound literal, IRI or blank node that is in no statement: nothing
  // matches, and nothing is scanned.
  bool empty = false;
};

// Looks a term key up in the dictionary: its tid, or 0 when absent.
using TermLookup =
    std::function<absl::StatusOr<uint64_t>(const std::string& term_key)>;

// The plan for `pattern`. INVALID_ARGUMENT names the bad position
// ("subject", "relation", "object"); NOT_FOUND an entity, relation or
// statement that the dictionary does not hold (a literal in no statement
// gives an empty plan instead); lookup errors are returned as they are.
// IRIs under `base_iri` are the kg names they stand for.
absl::StatusOr<MatchPlan> PlanMatch(const Pattern& pattern,
                                    const TermLookup& lookup,
                                    absl::string_view base_iri);

// The index and prefix of a pattern of node ids (0: open); never empty.
// OrderOf(pattern) names the index.
MatchPlan PlanIds(const IdPattern& pattern);

// The tid of a bound term for `field`: nullopt for a literal, IRI or blank
// node in no statement; NOT_FOUND for an unknown entity or statement.
absl::StatusOr<std::optional<uint64_t>> BindTerm(absl::string_view field,
                                                 const Term& term,
                                                 const TermLookup& lookup,
                                                 absl::string_view base_iri);

}  // namespace kg::storage

#endif  // KG_STORAGE_MATCH_PLAN_H_
