#include "query/path.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "query/path_graph.h"
#include "query/path_search.h"
#include "query/resolve.h"
#include "storage/error_context.h"
#include "storage/status_macros.h"

namespace kg::query {

namespace {

using storage::NodeId;
using storage::Term;

absl::Status ValidateOptions(const PathOptions& o) {
  if (o.k < 1) return absl::InvalidArgumentError("options.k: must be >= 1");
  if (o.max_hops < 1 || o.max_hops > kMaxHops) {
    return absl::InvalidArgumentError(
        absl::StrCat("options.max_hops: must be in 1..", kMaxHops));
  }
  if (o.limit < 1) {
    return absl::InvalidArgumentError("options.limit: must be >= 1");
  }
  if (!std::isfinite(o.min_confidence) || o.min_confidence < 0 ||
      o.min_confidence > 1) {
    return absl::InvalidArgumentError(
        "options.min_confidence: must be in [0, 1]");
  }
  if (o.valid_time.start && o.valid_time.end &&
      o.valid_time.start->FirstDay() > o.valid_time.end->LastDay()) {
    return absl::InvalidArgumentError("options.valid_time: start is after end");
  }
  return absl::OkStatus();
}

// The node an endpoint names. Entity names are resolved (id, label, alias).
absl::StatusOr<NodeId> ResolveEndpoint(storage::Reader& reader,
                                       absl::string_view field,
                                       const Term& term,
                                       const PathOptions& options) {
  Term resolved = term;
  switch (term.kind()) {
    case Term::Kind::kEntity:
    case Term::Kind::kStatement:
      if (term.kind() == Term::Kind::kStatement && !options.walk_claims) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ": a statement endpoint needs options.walk_claims"));
      }
      KG_RETURN_IF_ERROR(ResolveTermNames(reader, field, &resolved));
      break;
    case Term::Kind::kLiteral:
    case Term::Kind::kIri:
    case Term::Kind::kBlank:
      break;
  }
  absl::StatusOr<NodeId> node = reader.NodeOf(resolved);
  if (node.ok()) return node;
  if (node.status().code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(absl::StrCat(
        field, ": ",
        term.kind() == Term::Kind::kLiteral ? "no statement uses this literal"
                                            : "no such node in the store"));
  }
  if (node.status().code() == absl::StatusCode::kInvalidArgument) {
    // The reader names its parameter "term"; the request's field replaces it.
    return storage::WithFieldRenamed(node.status(), "term", field);
  }
  return node.status();
}

absl::StatusOr<Path> BuildPath(storage::Reader& reader, PathGraph& g,
                               const std::vector<Arc>& arcs, double cost) {
  Path path;
  path.cost = cost;
  path.hops.reserve(arcs.size());
  for (const Arc& arc : arcs) {
    Hop hop;
    hop.from.node = arc.from;
    KG_ASSIGN_OR_RETURN(hop.from.term, g.TermOf(arc.from));
    hop.to.node = arc.to;
    KG_ASSIGN_OR_RETURN(hop.to.term, g.TermOf(arc.to));
    hop.statement_node = arc.statement;
    KG_ASSIGN_OR_RETURN(hop.statement, reader.StatementAt(arc.statement));
    hop.kind = arc.kind;
    KG_ASSIGN_OR_RETURN(StatementDescription d, g.Describe(arc.statement));
    hop.contested = d.contested;
    switch (g.options().provenance) {
      case ProvenanceDetail::kNone:
        break;
      case ProvenanceDetail::kFull:
        hop.provenance = std::move(d.records);
        hop.summary = std::move(d.summary);
        break;
      case ProvenanceDetail::kSummary:
        hop.summary = std::move(d.summary);
        break;
    }
    path.hops.push_back(std::move(hop));
  }
  return path;
}

}  // namespace

absl::StatusOr<PathSearchSummary> FindPaths(storage::Reader& reader,
                                            const Term& from, const Term& to,
                                            const PathOptions& options,
                                            const PathSink& sink) {
  const absl::Time start = absl::Now();
  KG_RETURN_IF_ERROR(ValidateOptions(options));
  KG_ASSIGN_OR_RETURN(NodeId s, ResolveEndpoint(reader, "from", from, options));
  KG_ASSIGN_OR_RETURN(NodeId t, ResolveEndpoint(reader, "to", to, options));
  KG_ASSIGN_OR_RETURN(std::unique_ptr<PathGraph> g,
                      PathGraph::Create(reader, options));
  PathSearchSummary summary;
  SearchPhases& phases = summary.phases;
  phases.resolve = absl::Now() - start;
  const ArcPathSink emit = [&](const std::vector<Arc>& arcs,
                               double cost) -> absl::Status {
    const absl::Time built = absl::Now();
    KG_ASSIGN_OR_RETURN(Path path, BuildPath(reader, *g, arcs, cost));
    const absl::Time sunk = absl::Now();
    phases.build += sunk - built;
    ++summary.paths;
    absl::Status status = sink(std::move(path));
    phases.sink += absl::Now() - sunk;
    return status;
  };
  // The walk's time: all of it but what the other phases took.
  const auto walked = [&] {
    phases.search =
        absl::Now() - start - phases.resolve - phases.build - phases.sink;
  };
  absl::Status status;
  if (s == t) {
    status = emit({}, 0.0);
    summary.limit_reached =
        options.mode == PathMode::kAllSimple && options.limit <= 1;
  } else {
    switch (options.mode) {
      case PathMode::kShortest: {
        absl::StatusOr<std::optional<std::vector<Arc>>> path =
            ShortestPath(*g, s, t, options.max_hops, nullptr);
        status = path.status();
        if (path.ok() && path->has_value()) {
          status = emit(**path, static_cast<double>((*path)->size()));
        }
        break;
      }
      case PathMode::kKShortest:
        status = KShortestPaths(*g, s, t, options.k, options.max_hops, emit);
        break;
      case PathMode::kAllSimple:
        status = AllSimplePaths(*g, s, t, options.max_hops, options.limit, emit,
                                &summary.limit_reached);
        break;
      case PathMode::kWeighted: {
        absl::StatusOr<std::optional<std::pair<std::vector<Arc>, int64_t>>>
            path = LeastCostPath(*g, s, t, options.max_hops);
        status = path.status();
        if (path.ok() && path->has_value()) {
          status = emit((*path)->first, static_cast<double>((*path)->second) *
                                            PathGraph::kCostUnit);
        }
        break;
      }
    }
  }
  summary.expanded_edges = g->budget().expanded();
  walked();
  if (!status.ok()) {
    // Paths already given out are correct; with some, running out of budget
    // is a flag, without any an error.
    if (g->budget().exhausted() &&
        status.code() == absl::StatusCode::kResourceExhausted &&
        summary.paths > 0) {
      summary.budget_exhausted = true;
      return summary;
    }
    return status;
  }
  return summary;
}

absl::StatusOr<PathResult> FindPaths(storage::Reader& reader, const Term& from,
                                     const Term& to,
                                     const PathOptions& options) {
  PathResult result;
  KG_ASSIGN_OR_RETURN(result.summary,
                      FindPaths(reader, from, to, options, [&](Path path) {
                        result.paths.push_back(std::move(path));
                        return absl::OkStatus();
                      }));
  return result;
}

absl::StatusOr<Neighborhood> GetNeighborhood(storage::Reader& reader,
                                             const Term& center, int hops,
                                             size_t limit,
                                             const PathOptions& options) {
  if (hops < 1 || hops > kMaxHops) {
    return absl::InvalidArgumentError(
        absl::StrCat("hops: must be in 1..", kMaxHops));
  }
  if (limit == 0) return absl::InvalidArgumentError("limit: must be >= 1");
  const absl::Time start = absl::Now();
  KG_RETURN_IF_ERROR(ValidateOptions(options));
  KG_ASSIGN_OR_RETURN(NodeId c,
                      ResolveEndpoint(reader, "node", center, options));
  KG_ASSIGN_OR_RETURN(std::unique_ptr<PathGraph> g,
                      PathGraph::Create(reader, options));
  const absl::Time resolved = absl::Now();
  NeighborhoodIds ids;
  KG_RETURN_IF_ERROR(NeighborhoodOf(*g, c, hops, limit, &ids));
  const absl::Time searched = absl::Now();
  Neighborhood out;
  out.phases.resolve = resolved - start;
  out.phases.search = searched - resolved;
  out.truncated = ids.truncated;
  out.budget_exhausted = g->budget().exhausted();
  out.expanded_edges = g->budget().expanded();
  std::vector<std::pair<std::string, PathNode>> nodes;
  for (NodeId n : ids.nodes) {
    PathNode node;
    node.node = n;
    KG_ASSIGN_OR_RETURN(node.term, g->TermOf(n));
    KG_ASSIGN_OR_RETURN(const std::string* key, g->NodeKey(n));
    nodes.emplace_back(*key, std::move(node));
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [key, node] : nodes) out.nodes.push_back(std::move(node));
  for (NodeId n : ids.statements) {
    NeighborhoodStatement st;
    st.node = n;
    KG_ASSIGN_OR_RETURN(st.statement, reader.StatementAt(n));
    out.statements.push_back(std::move(st));
  }
  std::sort(out.statements.begin(), out.statements.end(),
            [](const NeighborhoodStatement& a, const NeighborhoodStatement& b) {
              return a.statement.id < b.statement.id;
            });
  out.phases.build = absl::Now() - searched;
  return out;
}

}  // namespace kg::query
