// The graph a path query walks: a storage::Reader's adjacency seen through
// the query's options. PathGraph turns stored edges into *arcs* (one way a
// statement may be walked, with its HopKind), applies the filters while
// doing so (relations, support, provenance records, time travel), decides
// which nodes a path may pass through (entity types, statement nodes), keys
// arcs for the deterministic tie-break, and counts every edge it expands
// against the budget. Everything it learns is cached for the query's life.
// Internal to query/: path.h is the public surface.
//
//   KG_ASSIGN_OR_RETURN(std::unique_ptr<PathGraph> g,
//                       PathGraph::Create(reader, options));
//   std::vector<Arc> arcs;
//   KG_RETURN_IF_ERROR(g->ArcsFrom(node, &arcs));
#ifndef KG_QUERY_PATH_GRAPH_H_
#define KG_QUERY_PATH_GRAPH_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "query/path.h"
#include "storage/compact_adjacency.h"
#include "storage/model.h"
#include "storage/store.h"

namespace kg::query {

using storage::NodeId;

// One way to walk one statement: from `from` to `to` through `statement`
// (whose relation is `relation`). For kStatementToPart and kPartToStatement
// hops, `statement` is the statement node itself.
struct Arc {
  NodeId from = 0;
  NodeId to = 0;
  NodeId statement = 0;
  NodeId relation = 0;
  // The statement's subject, and whether it came from the indexes; what
  // PathGraph::Admit needs. Not part of the arc's identity.
  NodeId subject = 0;
  bool indexed = true;
  HopKind kind = HopKind::kForward;

  friend bool operator==(const Arc& a, const Arc& b) {
    return a.from == b.from && a.to == b.to && a.statement == b.statement &&
           a.kind == b.kind;
  }
  template <typename H>
  friend H AbslHashValue(H h, const Arc& a) {
    return H::combine(std::move(h), a.from, a.to, a.statement, a.kind);
  }
};

// The tie-break key of an arc: (relation id, key of the node reached,
// statement id, kind), compared in that order. The strings are owned by the
// PathGraph that made the key and live as long as it.
struct HopKey {
  const std::string* relation = nullptr;
  const std::string* to = nullptr;
  const std::string* statement = nullptr;
  HopKind kind = HopKind::kForward;
};

// <0, 0, >0 as a is before, equal to, after b.
int CompareHopKeys(const HopKey& a, const HopKey& b);
// Lexicographic order of key sequences (a proper prefix comes first).
int CompareKeySequences(const std::vector<HopKey>& a,
                        const std::vector<HopKey>& b);

// The bytes that order a node in tie-breaks and results: "E" + entity id,
// "L" + literal type digit + lexical form, "S" + statement id.
std::string NodeKeyOf(const storage::TermValue& term);

// Counts expanded edges and polls the deadline and the cancellation
// callback. Not thread-safe.
class Budget {
 public:
  // `max_edges` 0: no limit.
  Budget(uint64_t max_edges, absl::Time deadline,
         std::function<bool()> is_cancelled);

  // Charges `n` edges about to be expanded. RESOURCE_EXHAUSTED (and
  // exhausted() true) when that would pass the limit; DEADLINE_EXCEEDED or
  // CANCELLED, checked on the first charge and every kPollEvery edges.
  absl::Status Charge(uint64_t n);

  uint64_t expanded() const { return expanded_; }
  // Edges that may still be expanded; the largest uint64_t without limit.
  uint64_t remaining() const {
    return max_edges_ == 0 ? std::numeric_limits<uint64_t>::max()
                           : max_edges_ - std::min(max_edges_, expanded_);
  }
  bool exhausted() const { return exhausted_; }

 private:
  static constexpr uint64_t kPollEvery = 256;

  uint64_t max_edges_;
  absl::Time deadline_;
  std::function<bool()> is_cancelled_;
  uint64_t expanded_ = 0;
  uint64_t next_poll_ = 0;
  bool exhausted_ = false;
};

// What a result hop shows of its statement (ProvenanceSummary's rules).
struct StatementDescription {
  bool contested = false;
  ProvenanceSummary summary;
  std::vector<storage::ProvenanceRecord> records;  // own, as the view sees
};

// Not thread-safe; one per query. The Reader must outlive it.
class PathGraph {
 public:
  // Validates and resolves the options' names (relations, documents,
  // claimants). With as_of.recorded_at set, also scans every statement ever
  // stored (Reader::ForEachStatement) to add the edges of statements that
  // have left the indexes since. NOT_FOUND names the unknown item's field.
  static absl::StatusOr<std::unique_ptr<PathGraph>> Create(
      storage::Reader& reader, const PathOptions& options);

  const PathOptions& options() const { return options_; }
  Budget& budget() { return budget_; }

  // The candidate arcs leaving `node`, or entering it, in storage order:
  // those the relation filters and the direction allow. Each must pass
  // Admit before it is walked; searches admit late, after cheaper checks
  // (a node already reached), since admission may read provenance.
  // Charges the budget for every stored edge looked at. Whether `node`
  // itself may be passed through is the caller's business (Passable).
  absl::Status ArcsFrom(NodeId node, std::vector<Arc>* out);
  absl::Status ArcsInto(NodeId node, std::vector<Arc>* out);

  // Whether the arc's statement may be walked: supported (or opposed, with
  // include_opposed) by records and claims that pass the filters.
  absl::StatusOr<bool> Admit(const Arc& arc);

  // Whether VisitArcs may be used: the reader's compact adjacency is there,
  // the query walks no claims (so every arc is a plain forward or backward
  // hop of an edge) and arcs are not cached.
  bool can_visit_arcs() const {
    return compact_ != nullptr && !options_.walk_claims && !cache_arcs_;
  }
  // Calls fn(arc) for each candidate arc leaving `node` (or, `into`,
  // entering it), the arcs ArcsFrom/ArcsInto would list in the same order,
  // without collecting them. Charges the budget when `charge` (a search that
  // visits a node twice charges once). Requires can_visit_arcs().
  template <typename Fn>
  absl::Status VisitArcs(NodeId node, bool into, bool charge, Fn&& fn);

  // Keep every node's candidate arcs once scanned, for searches that expand
  // the same nodes again and again (Yen's spur searches). Memory grows with
  // the edges scanned, which the budget bounds. Expanding a node again is
  // charged to the budget as the first time was.
  void set_cache_arcs(bool cache) { cache_arcs_ = cache; }

  // The number of stored edges at `node`, both directions: what expanding
  // it would scan. Read from memory (a copy of its edges), cached.
  size_t Degree(NodeId node);

  // Whether a path may pass through `node` as an intermediate node: an
  // entity of an allowed type, a literal when no types are required, a
  // statement node with walk_claims. Endpoints are exempt; callers check.
  absl::StatusOr<bool> Passable(NodeId node);
  absl::StatusOr<bool> IsStatementNode(NodeId node);

  absl::StatusOr<HopKey> KeyOf(const Arc& arc);
  absl::StatusOr<std::vector<HopKey>> KeysOf(const std::vector<Arc>& arcs);
  absl::StatusOr<const std::string*> NodeKey(NodeId node);
  // The cost of walking an admitted arc, in kCostUnit: -ln(c) rounded to
  // the unit, c the best confidence among the statement's qualifying
  // records and those of its qualifying supporting claims, floored at
  // kMinConfidence (so opposed-only statements cost the most). Integers,
  // so that sums are exact and ties are ties.
  absl::StatusOr<int64_t> CostOf(const Arc& arc);

  absl::StatusOr<storage::TermValue> TermOf(NodeId node);
  absl::StatusOr<StatementDescription> Describe(NodeId statement);

  static constexpr double kMinConfidence = 1e-6;
  static constexpr double kCostUnit = 1e-6;

 private:
  struct RelationInfo {
    std::string id;
    bool symmetric = false;
    storage::Polarity polarity = storage::Polarity::kNone;
    bool walk = false;  // allowed and not excluded
  };
  struct NodeInfo {
    bool has_term = false;
    storage::TermValue term;
    std::string key;
    int passable = -1;  // -1 unknown
    bool has_parts = false;
    bool indexed = false;  // in the indexes (has a live record or a quoter)
    NodeId subject = 0;
    NodeId object = 0;
    NodeId relation = 0;
  };
  // Whether a statement may be walked, and its best qualifying confidence.
  struct Support {
    bool walkable = false;
    double confidence = 0;
  };

  PathGraph(storage::Reader& reader, const PathOptions& options);

  absl::Status Init();
  absl::Status Candidates(NodeId node, bool into, std::vector<Arc>* out);
  absl::Status Scan(NodeId node, bool into, std::vector<Arc>* out);
  // Scan over the compact adjacency, without walk_claims.
  absl::Status ScanCompact(NodeId node, bool into, std::vector<Arc>* out);
  absl::Status AddRetractedEdges();
  // Stored edges at `node`, the retracted ones of as-recorded queries
  // included.
  void Edges(NodeId node, storage::Direction direction,
             std::vector<storage::Edge>* out) const;
  absl::StatusOr<const RelationInfo*> Relation(NodeId relation);
  absl::StatusOr<NodeInfo*> Node(NodeId node);
  absl::StatusOr<NodeInfo*> Parts(NodeId statement);
  absl::StatusOr<const std::vector<storage::ProvenanceRecord>*> Records(
      NodeId statement);
  bool InView(const storage::ProvenanceRecord& r) const;
  bool Qualifies(const storage::ProvenanceRecord& r) const;
  // Whether the statement (with this relation and subject) may be walked.
  // `indexed`: it is known to be in the reader's indexes (it came from
  // Neighbors), which the fast support check relies on.
  absl::StatusOr<Support> SupportOf(NodeId statement, NodeId relation,
                                    NodeId subject, bool indexed);
  // With memory_confidence_, for an indexed statement that nothing quotes:
  // its support from memory alone, not cached (cheaper than the cache);
  // nullopt otherwise.
  std::optional<Support> MemorySupport(NodeId statement, NodeId relation,
                                       bool indexed);
  // With memory_confidence_: the best confidence among the qualifying
  // records of an indexed statement, from the compact adjacency.
  std::optional<double> MemoryConfidence(NodeId statement) const;
  // The best confidence among a claim's qualifying records, or nullopt.
  absl::StatusOr<std::optional<double>> ClaimConfidence(NodeId claim);

  storage::Reader& reader_;
  // The reader's compact adjacency, when it has one and the query adds no
  // edges of its own (as-recorded queries do): exact node kinds and
  // degrees without a dictionary read or a copy.
  const storage::CompactAdjacency* compact_ = nullptr;
  PathOptions options_;
  Budget budget_;
  bool walk_out_;
  bool walk_in_;
  // No filter needs a statement's records: an indexed statement that no
  // statement quotes has a live record of its own, so it is walkable.
  bool fast_support_ = false;
  // The view is the current state with no record filter but
  // min_confidence, and the compact adjacency's best confidences are the
  // reader's: support and cost need no provenance read, in any mode.
  bool memory_confidence_ = false;
  bool has_window_ = false;
  absl::flat_hash_set<NodeId> allowed_relations_;
  absl::flat_hash_set<NodeId> excluded_relations_;
  absl::flat_hash_set<std::string> allowed_types_;
  absl::flat_hash_set<std::string> only_documents_;
  absl::flat_hash_set<NodeId> claimants_;
  // Publication dates, for as_of.reported_by.
  absl::flat_hash_map<std::string, std::optional<storage::Date>> published_;
  // Edges of statements no longer in the indexes (as-recorded queries).
  absl::flat_hash_map<NodeId, std::vector<storage::Edge>> extra_out_;
  absl::flat_hash_map<NodeId, std::vector<storage::Edge>> extra_in_;
  absl::node_hash_map<NodeId, RelationInfo> relations_;
  // The first relations met, searched before relations_ (node_hash_map:
  // the pointers stay valid).
  static constexpr size_t kRecentRelations = 16;
  std::vector<std::pair<NodeId, const RelationInfo*>> recent_relations_;
  absl::node_hash_map<NodeId, NodeInfo> nodes_;
  absl::flat_hash_map<NodeId, Support> support_;
  // Each statement's records that the time-travel view sees, once read.
  absl::node_hash_map<NodeId, std::vector<storage::ProvenanceRecord>> records_;
  std::vector<storage::Edge> scratch_out_;
  std::vector<storage::Edge> scratch_in_;
  std::vector<storage::Edge> scratch_check_;
  std::vector<storage::Edge> scratch_degree_;
  absl::flat_hash_map<NodeId, size_t> degrees_;
  bool cache_arcs_ = false;
  uint64_t last_scanned_ = 0;  // edges the last Scan looked at
  // (node, into) -> (edges scanned, candidate arcs).
  absl::flat_hash_map<std::pair<NodeId, bool>,
                      std::pair<uint64_t, std::vector<Arc>>>
      arc_cache_;
};

template <typename Fn>
absl::Status PathGraph::VisitArcs(NodeId node, bool into, bool charge,
                                  Fn&& fn) {
  const auto outgoing = compact_->Edges(node, storage::Direction::kOutgoing);
  const auto incoming = compact_->Edges(node, storage::Direction::kIncoming);
  if (charge) {
    last_scanned_ = outgoing.size() + incoming.size();
    absl::Status charged = budget_.Charge(last_scanned_);
    if (!charged.ok()) return charged;
  }
  // Edges come in runs of one relation; look each run's relation up once.
  NodeId last_relation = 0;
  const RelationInfo* r = nullptr;
  const auto relation = [&](NodeId id) -> absl::Status {
    if (r == nullptr || id != last_relation) {
      absl::StatusOr<const RelationInfo*> info = Relation(id);
      if (!info.ok()) return info.status();
      r = *info;
      last_relation = id;
    }
    return absl::OkStatus();
  };
  // The forward and backward hops of Scan (no part hops without claims).
  const bool out_walks = into ? walk_in_ : walk_out_;
  const bool in_walks = into ? walk_out_ : walk_in_;
  for (const storage::CompactEdge& e : outgoing) {  // node is the subject
    if (absl::Status st = relation(e.relation); !st.ok()) return st;
    if (!r->walk || !(out_walks || r->symmetric)) continue;
    fn(into ? Arc{e.neighbor, node, e.statement, e.relation, node, true,
                  HopKind::kBackward}
            : Arc{node, e.neighbor, e.statement, e.relation, node, true,
                  HopKind::kForward});
  }
  for (const storage::CompactEdge& e : incoming) {  // node is the object
    if (absl::Status st = relation(e.relation); !st.ok()) return st;
    if (!r->walk || !(in_walks || r->symmetric)) continue;
    fn(into ? Arc{e.neighbor, node, e.statement, e.relation, e.neighbor, true,
                  HopKind::kForward}
            : Arc{node, e.neighbor, e.statement, e.relation, e.neighbor, true,
                  HopKind::kBackward});
  }
  return absl::OkStatus();
}

}  // namespace kg::query

#endif  // KG_QUERY_PATH_GRAPH_H_
