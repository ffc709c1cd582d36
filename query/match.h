// Pattern matching with the symmetric rule: a symmetric relation's statement
// (a agreed_with b) also answers the pattern with its subject and object
// swapped, as paths already walk it both ways (docs/query.md, "Symmetric
// relations").
//
//   KG_ASSIGN_OR_RETURN(storage::MatchPage page,
//                       MatchBothWays(reader, pattern, options));
#ifndef KG_QUERY_MATCH_H_
#define KG_QUERY_MATCH_H_

#include "absl/status/statusor.h"
#include "storage/store.h"

namespace kg::query {

// The statements matching `pattern` as stored, then those of a symmetric
// relation that match it with subject and object swapped, each shown as
// stored. Paged as one sequence; the page token carries which half it is in.
// With the relation unset, the second half keeps only symmetric relations'
// statements. A page may hold fewer than `options.limit` statements and
// still have a next page (the second half filters).
absl::StatusOr<storage::MatchPage> MatchBothWays(
    storage::Reader& reader, const storage::Pattern& pattern,
    const storage::MatchOptions& options);

// How many statements MatchBothWays returns: exact, or (with `exact`
// false) the store's estimate of each half (a relation-less pattern's
// swapped half then counts as none). The exact count of a relation-less
// swapped half reads its rows.
absl::StatusOr<uint64_t> CountBothWays(storage::Reader& reader,
                                       const storage::Pattern& pattern,
                                       bool exact);

}  // namespace kg::query

#endif  // KG_QUERY_MATCH_H_
