// The search algorithms of path queries, over a PathGraph (which applies the
// filters and counts the budget). Paths are sequences of arcs; result order
// is (cost, hops, key sequence), keys as CompareKeySequences. Internal to
// query/: path.h is the public surface.
//
// Every function returns the budget's status (RESOURCE_EXHAUSTED,
// DEADLINE_EXCEEDED, CANCELLED) when it stops early, a sink's status when a
// sink fails, and storage errors as they come.
#ifndef KG_QUERY_PATH_SEARCH_H_
#define KG_QUERY_PATH_SEARCH_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "query/path_graph.h"

namespace kg::query {

// Nodes and arcs a search must avoid (Yen's spur searches).
struct Bans {
  absl::flat_hash_set<NodeId> nodes;
  absl::flat_hash_set<Arc> arcs;
};

// Receives a path (its arcs and cost); a non-OK status stops the search.
using ArcPathSink =
    std::function<absl::Status(const std::vector<Arc>& arcs, double cost)>;

// The first path from `s` to `t` (s != t) of at most `max_hops` hops in
// result order: fewest hops, then least key sequence; nullopt when there is
// none. Bidirectional breadth-first search, then a greedy walk down the DAG
// of shortest paths picking the least key at each step. `bans` may be null.
absl::StatusOr<std::optional<std::vector<Arc>>> ShortestPath(PathGraph& g,
                                                             NodeId s, NodeId t,
                                                             int max_hops,
                                                             const Bans* bans);

// The `k` first loopless paths of at most `max_hops` hops in result order
// (Yen's algorithm over ShortestPath), each passed to `sink` as soon as it
// is final.
absl::Status KShortestPaths(PathGraph& g, NodeId s, NodeId t, int k,
                            int max_hops, const ArcPathSink& sink);

// Every simple path of at most `max_hops` hops, in result order (iterative
// deepening; a backward search from `t` prunes nodes that cannot reach it in
// the hops left), at most `limit`; `*limit_reached` tells whether it
// stopped there.
absl::Status AllSimplePaths(PathGraph& g, NodeId s, NodeId t, int max_hops,
                            int64_t limit, const ArcPathSink& sink,
                            bool* limit_reached);

// The path of least cost (the sum of PathGraph::CostOf, in
// PathGraph::kCostUnit) of at most `max_hops` hops, ties by hops then keys;
// nullopt when there is none. A search from both ends over (node, hops)
// labels, one layer of hops at a time on the side whose layer scans fewer
// stored edges, the two sides' layers adding up to `max_hops`, labels cut
// by a lower bound on the rest of a path; then a greedy walk down the DAG
// of least paths.
absl::StatusOr<std::optional<std::pair<std::vector<Arc>, int64_t>>>
LeastCostPath(PathGraph& g, NodeId s, NodeId t, int max_hops);

struct NeighborhoodIds {
  std::vector<NodeId> nodes;       // in the order reached, centre first
  std::vector<NodeId> statements;  // in the order walked
  bool truncated = false;
};

// Breadth-first from `center` up to `hops` hops, at most `limit`
// statements. The budget running out truncates the result instead of
// failing (Budget::exhausted() tells).
absl::Status NeighborhoodOf(PathGraph& g, NodeId center, int hops, size_t limit,
                            NeighborhoodIds* out);

}  // namespace kg::query

#endif  // KG_QUERY_PATH_SEARCH_H_
