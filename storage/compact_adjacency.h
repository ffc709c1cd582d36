// CompactAdjacency: a read-only copy of the Adjacency at one snapshot, laid
// out for traversal. Per direction, one array of 12-byte edges grouped by
// node and one offsets array indexed by node id (CSR): a node's edges are a
// contiguous span, found without a lock, a hash or a version check. It also
// knows which node ids are indexed statements, so a search can tell a
// statement node from an entity without reading the dictionary, and each
// statement's best live confidence, so that weighted paths read no
// provenance.
//
// The store builds one on open and again in the background once writes
// have paused (StoreOptions::compact_adjacency_delay), and hands it to a
// Reader only when no index change has been committed since it was built:
// then its edges are exactly the reader's (Reader::compact_adjacency()).
// Otherwise the reader has none and path search reads the versioned
// Adjacency, which is always exact. docs/storage.md has the design.
//
// Immutable after Build; safe to share between threads.
#ifndef KG_STORAGE_COMPACT_ADJACENCY_H_
#define KG_STORAGE_COMPACT_ADJACENCY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "storage/store.h"

namespace kg::storage {

class Adjacency;

// An Edge with 32-bit node ids.
struct CompactEdge {
  uint32_t relation;
  uint32_t neighbor;
  uint32_t statement;

  Edge ToEdge() const { return Edge{relation, neighbor, statement}; }
};

class CompactAdjacency {
 public:
  // The edges of `adjacency` visible at sequence number `seq`, which a
  // snapshot must hold while this runs (so none of them is pruned);
  // `generation` is adjacency.generation() read at that snapshot.
  //   OUT_OF_RANGE: an id, or the number of edges, does not fit in 32 bits
  //     (over four billion terms): callers keep using the Adjacency.
  //   CANCELLED: `should_stop` (may be empty; polled every few thousand
  //     nodes) turned true.
  //   `confidences`: indexed by statement id, the best confidence among
  //     the statement's live records at the same snapshot, below 0 for
  //     none (may be shorter than the ids: the rest have none);
  //     `records_generation` is adjacency.records_generation() then.
  static absl::StatusOr<std::unique_ptr<const CompactAdjacency>> Build(
      const Adjacency& adjacency, uint64_t seq, uint64_t generation,
      std::vector<double> confidences = {}, uint64_t records_generation = 0,
      const std::function<bool()>& should_stop = {});

  // The edges of `node` in `direction`, in the order Adjacency::Collect
  // gives them (the order the statements entered the indexes).
  absl::Span<const CompactEdge> Edges(NodeId node, Direction direction) const {
    const Side& side = direction == Direction::kOutgoing ? out_ : in_;
    if (node + 1 >= side.offsets.size()) return {};
    return absl::MakeConstSpan(side.edges.data() + side.offsets[node],
                               side.offsets[node + 1] - side.offsets[node]);
  }
  // One past the largest node id that can have edges in `direction`: the
  // range to walk for every node's.
  NodeId node_limit(Direction direction) const {
    const Side& side = direction == Direction::kOutgoing ? out_ : in_;
    return side.offsets.empty() ? 0 : side.offsets.size() - 1;
  }
  // Both directions.
  size_t Degree(NodeId node) const {
    return Edges(node, Direction::kOutgoing).size() +
           Edges(node, Direction::kIncoming).size();
  }
  // Whether `node` is a statement in the indexes. Every statement node a
  // search can reach by an edge is: a claim keeps what it quotes indexed.
  bool IsStatement(NodeId node) const {
    return node < is_statement_.size() && is_statement_[node] != 0;
  }

  // The best confidence among the live records of `statement` when the
  // copy was built; nullopt for a statement with none (quoted only) and
  // for any other node. Exact while no record has been added or retracted
  // since: records_generation() equal to the adjacency's.
  std::optional<double> BestConfidence(NodeId statement) const {
    if (statement >= confidences_.size() || confidences_[statement] < 0) {
      return std::nullopt;
    }
    return confidences_[statement];
  }

  // How many statements of `relation` had a live record when the copy was
  // built (asserted ones; 0 for a relation no statement has), so that a
  // count of one relation's triples reads no index. Exact while
  // records_generation() is the adjacency's, as for BestConfidence.
  uint64_t AssertedCount(NodeId relation) const {
    const RelationCounts* c = CountsOf(relation);
    return c == nullptr ? 0 : c->asserted;
  }
  // How many indexed statements, asserted or only quoted, have `relation`
  // (exact, as the edges are).
  uint64_t IndexedCount(NodeId relation) const {
    const RelationCounts* c = CountsOf(relation);
    return c == nullptr ? 0 : c->indexed;
  }
  // How many nodes have edges in `direction`: the distinct subjects
  // (outgoing) or objects (incoming) of every indexed statement.
  uint64_t NodesWithEdges(Direction direction) const {
    return direction == Direction::kOutgoing ? nodes_out_ : nodes_in_;
  }

  uint64_t seq() const { return seq_; }
  uint64_t generation() const { return generation_; }
  uint64_t records_generation() const { return records_generation_; }
  size_t edge_count() const { return out_.edges.size(); }
  size_t memory_bytes() const;

 private:
  struct Side {
    std::vector<uint32_t> offsets;  // node id -> first edge; one past the end
    std::vector<CompactEdge> edges;
  };

  CompactAdjacency(uint64_t seq, uint64_t generation)
      : seq_(seq), generation_(generation) {}

  enum class FillResult { kDone, kStopped, kTooLarge };
  static FillResult Fill(const Adjacency& adjacency, Direction direction,
                         uint64_t seq, const std::function<bool()>& should_stop,
                         Side* side);

  uint64_t seq_;
  uint64_t generation_;
  uint64_t records_generation_ = 0;
  Side out_;
  Side in_;
  std::vector<uint8_t> is_statement_;
  std::vector<double> confidences_;  // by statement id; < 0: none
  struct RelationCounts {
    uint64_t indexed = 0;
    uint64_t asserted = 0;
  };
  // A relation's counts, or null when no edge has it.
  const RelationCounts* CountsOf(NodeId relation) const {
    if (relation > UINT32_MAX) return nullptr;  // in no edge
    auto it = by_relation_.find(static_cast<uint32_t>(relation));
    return it == by_relation_.end() ? nullptr : &it->second;
  }
  uint64_t nodes_out_ = 0;
  uint64_t nodes_in_ = 0;
  absl::flat_hash_map<uint32_t, RelationCounts> by_relation_;
};

}  // namespace kg::storage

#endif  // KG_STORAGE_COMPACT_ADJACENCY_H_
