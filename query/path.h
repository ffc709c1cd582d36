// Path queries: how is X connected to Y, and why should I believe each step?
// The engine walks the graph of a storage::Reader (one snapshot) and returns
// paths whose hops carry their statement, the way it was walked and its
// provenance. Modes: the shortest path (bidirectional BFS), the k shortest
// loopless paths (Yen), every simple path up to N hops (streamed), and the
// path of least cost where a hop costs -ln(confidence). Also the
// neighbourhood of one node within N hops. Design and rules: docs/query.md,
// "Path queries".
//
//   PathOptions options;
//   options.mode = PathMode::kKShortest;
//   options.k = 5;
//   options.walk_claims = true;
//   KG_ASSIGN_OR_RETURN(
//       PathResult result,
//       FindPaths(*reader, Term::Entity("nis"), Term::Entity("ukraine"),
//                 options));
//   for (const Path& path : result.paths) { ... path.hops[i].statement ... }
//
// What is walked: a statement is walked when it is *supported* (a live
// provenance record of its own, or a supporting claim about it) and passes
// every filter of the options; opposed-only statements (only opposing claims)
// and opposing claims themselves (kremlin denied <<...>>: not a supported
// connection between the Kremlin and what it denies) only with
// include_opposed. Quoted is not asserted: a statement that is only quoted is
// walked only when a claim supports it.
//
// Determinism: results are ordered by (cost, hops, the hops' keys compared in
// order), a hop's key being (relation id, the id of the node it reaches, its
// statement id, its kind). Ties are therefore broken by content ids, never by
// storage order, so the same query on the same data returns the same paths
// in the same order.
#ifndef KG_QUERY_PATH_H_
#define KG_QUERY_PATH_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/model.h"
#include "storage/store.h"

namespace kg::query {

// Mirrors kg.v1 PathMode.
enum class PathMode : uint8_t {
  kShortest,   // one path with the fewest hops
  kKShortest,  // the k shortest loopless paths, in order of hops
  kAllSimple,  // every simple path of at most max_hops hops, up to limit
  kWeighted,   // the path of least cost, a hop costing -ln(confidence)
};

// Which way a statement (subject -> object) may be walked. Symmetric
// relations are walked both ways whatever the direction.
enum class PathDirection : uint8_t { kOutgoing, kIncoming, kBoth };

// How much provenance each hop of a result carries.
enum class ProvenanceDetail : uint8_t {
  kSummary,  // counts and the best record
  kFull,     // the summary and every record
  kNone,     // statements only
};

// How a hop walks its statement. Mirrors kg.v1 HopKind.
enum class HopKind : uint8_t {
  kForward = 0,          // from the statement's subject to its object
  kBackward = 1,         // from the statement's object to its subject
  kStatementToPart = 2,  // from a statement node to its subject or object
  kPartToStatement = 3,  // from a subject or object to its statement node
};

// Time travel. Both may be set.
struct AsOf {
  // As-recorded: a provenance record counts only if
  // recorded_at <= T < retracted_at (ProvenanceRecord::LiveAt).
  std::optional<absl::Time> recorded_at;
  // As-reported: a record counts only if its document was certainly
  // published on or before the last day `reported_by` covers ("2024-10" is
  // all of October): the document's date, at its own precision, ends no
  // later. Documents without a publication date then never count.
  std::optional<storage::Date> reported_by;
};

// Options of a path or neighbourhood query; mirrors kg.v1 PathOptions plus
// the request's deadline and cancellation. Filters apply during traversal,
// to every hop (endpoints are exempt from allowed_entity_types only).
struct PathOptions {
  PathMode mode = PathMode::kShortest;
  // kKShortest: how many paths, >= 1.
  int k = 3;
  // Longest path in hops, 1..kMaxHops.
  int max_hops = 6;
  // kAllSimple: most paths returned, >= 1.
  int64_t limit = 100;
  PathDirection direction = PathDirection::kBoth;
  // Walk only statements of these relations (ids); empty: all.
  std::vector<std::string> allowed_relations;
  // Never walk statements of these relations.
  std::vector<std::string> excluded_relations;
  // Pass only through entities of these types; empty: all. Literal nodes
  // are then never passed through; statement nodes are (see walk_claims).
  // A type no entity has is NOT_FOUND, as an unknown relation is.
  std::vector<std::string> allowed_entity_types;
  // Count only provenance records of at least this confidence, in [0, 1].
  double min_confidence = 0.0;
  // Also walk statements that are only opposed, and opposing claims.
  bool include_opposed = false;
  // Count only records from these documents (ids); empty: all. A statement
  // supported by a claim counts when the claim's record qualifies.
  std::vector<std::string> only_documents;
  // Walk a statement only if one of these entities (id, label or alias)
  // supports it through a claim, or it is itself a claim of one of them.
  std::vector<std::string> only_claimants;
  // Count only records whose valid time overlaps this window (open sides
  // unbounded; a record without valid time always overlaps). Both sides
  // unset: no filter.
  storage::ValidTime valid_time;
  // Walk claim edges into statement nodes, statements about statements, and
  // from a statement node to its subject and object and back. Required when
  // an endpoint is a statement.
  bool walk_claims = false;
  ProvenanceDetail provenance = ProvenanceDetail::kSummary;
  // Stop after expanding this many edges; 0: no limit.
  uint64_t max_expanded_edges = 0;
  AsOf as_of;
  // The request's deadline: DEADLINE_EXCEEDED once it has passed.
  absl::Time deadline = absl::InfiniteFuture();
  // Polled every few hundred expanded edges; returning true stops the
  // search with CANCELLED. May be null.
  std::function<bool()> is_cancelled;
};

// The longest max_hops the engine accepts (the server may allow fewer).
inline constexpr int kMaxHops = 32;

// The provenance of a hop's statement, as the time-travel view (AsOf) sees
// it; the other filters decide whether a hop is walked, not what it shows.
struct ProvenanceSummary {
  uint32_t records = 0;    // its own records
  uint32_t documents = 0;  // distinct documents among them
  uint32_t supporting_claims = 0;
  uint32_t opposing_claims = 0;
  // Its own record of highest confidence; without one, the best record of
  // a supporting claim. Ties go to the first in content order (statement
  // id, document id, evidence span, recorded time).
  std::optional<storage::ProvenanceRecord> best;
};

struct PathNode {
  storage::NodeId node = 0;
  storage::TermValue term;
};

struct Hop {
  PathNode from;
  PathNode to;
  // The statement walked; for statement/part hops, the statement node's own
  // statement.
  storage::NodeId statement_node = 0;
  storage::Statement statement;
  HopKind kind = HopKind::kForward;
  // Both supporting and opposing claims exist about the statement.
  bool contested = false;
  // Unless ProvenanceDetail::kNone.
  ProvenanceSummary summary;
  // With ProvenanceDetail::kFull: every own record the view sees, in
  // content order (document id, evidence span, recorded time). As recorded
  // at T, records stand as they did then (a later retraction is cleared).
  std::vector<storage::ProvenanceRecord> provenance;
};

struct Path {
  std::vector<Hop> hops;
  // Hops for unweighted modes; for kWeighted the sum of hop costs, a hop
  // costing -ln(c) rounded to 1e-6 (c: the best qualifying confidence of its
  // statement or of a supporting claim, at least 1e-6).
  double cost = 0;
};

// Where a search's time went (PathOptions.profile; docs/query.md).
struct SearchPhases {
  // Options checked, endpoints resolved, the graph view set up.
  absl::Duration resolve;
  // The walk itself; the summary's expanded_edges are its edges.
  absl::Duration search;
  // What was found turned into statements and nodes.
  absl::Duration build;
  // FindPaths: time spent in the caller's sink.
  absl::Duration sink;
};

struct PathSearchSummary {
  uint64_t paths = 0;
  uint64_t expanded_edges = 0;
  SearchPhases phases;
  // The budget ran out: the paths returned are correct paths, but more (or,
  // for kShortest and kWeighted, shorter) ones may exist.
  bool budget_exhausted = false;
  // kAllSimple stopped at `limit` paths.
  bool limit_reached = false;
};

// Receives each path as soon as it is final, in result order: k shortest
// and all simple paths as the search finds them, shortest and weighted when
// it ends. A non-OK status stops the search and is returned by FindPaths.
using PathSink = std::function<absl::Status(Path path)>;

// Finds paths from `from` to `to` (entities by id, label or alias;
// statements quoted or by id; literals) and passes them to `sink` in order.
// `from` == `to` yields one path without hops.
//   INVALID_ARGUMENT: a bad option ("options.k: ..."), or a statement
//     endpoint without walk_claims.
//   NOT_FOUND: an endpoint, relation, entity type, document or claimant
//     that does not exist ("from: ...", "options.allowed_relations[0]:
//     ...").
//   RESOURCE_EXHAUSTED: the budget ran out before any path was found (with
//     paths found, the summary is flagged instead).
//   DEADLINE_EXCEEDED, CANCELLED: the deadline passed or the caller
//     cancelled; paths already passed to `sink` stand.
// Not thread-safe: one Reader per call.
absl::StatusOr<PathSearchSummary> FindPaths(storage::Reader& reader,
                                            const storage::Term& from,
                                            const storage::Term& to,
                                            const PathOptions& options,
                                            const PathSink& sink);

struct PathResult {
  std::vector<Path> paths;
  PathSearchSummary summary;
};

// FindPaths collecting the paths. Same errors.
absl::StatusOr<PathResult> FindPaths(storage::Reader& reader,
                                     const storage::Term& from,
                                     const storage::Term& to,
                                     const PathOptions& options);

struct NeighborhoodStatement {
  storage::NodeId node = 0;
  storage::Statement statement;
};

struct Neighborhood {
  // The centre and every node reached, ordered by content id (entities by
  // id, then literals, then statements by id).
  std::vector<PathNode> nodes;
  // The statements walked, ordered by id.
  std::vector<NeighborhoodStatement> statements;
  // More statements were within reach than `limit`, or the budget ran out.
  bool truncated = false;
  bool budget_exhausted = false;
  uint64_t expanded_edges = 0;
  SearchPhases phases;  // sink unused
};

// The nodes and statements within `hops` hops of `center`, walked as paths
// are (same filters; mode, k and limit of `options` are ignored), breadth
// first, at most `limit` statements. When truncated, the statements kept are
// those met first by a breadth-first walk that expands each layer's nodes in
// storage order (deterministic for a store, not across stores).
//   INVALID_ARGUMENT: hops outside 1..kMaxHops, limit 0, or a bad option.
//   NOT_FOUND, DEADLINE_EXCEEDED, CANCELLED: as FindPaths. Budget
//   exhaustion is not an error here: the result is flagged.
absl::StatusOr<Neighborhood> GetNeighborhood(storage::Reader& reader,
                                             const storage::Term& center,
                                             int hops, size_t limit,
                                             const PathOptions& options);

}  // namespace kg::query

#endif  // KG_QUERY_PATH_H_
