#include "storage/compact_adjacency.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <utility>

#include "storage/adjacency.h"

namespace kg::storage {

namespace {

// The largest id an edge may hold: one less than 32 bits allow, so that
// "one past" an id (array sizes) still fits.
constexpr uint64_t kMaxId = std::numeric_limits<uint32_t>::max() - 1;
// How many nodes are copied between two looks at `should_stop`.
constexpr size_t kStopCheckEvery = 4096;

}  // namespace

CompactAdjacency::FillResult CompactAdjacency::Fill(
    const Adjacency& adjacency, Direction direction, uint64_t seq,
    const std::function<bool()>& should_stop, Side* side) {
  const std::vector<uint64_t> nodes = adjacency.Nodes(direction);
  // (node, one past its last edge), ascending by node.
  std::vector<std::pair<uint64_t, uint64_t>> ends;
  ends.reserve(nodes.size());
  // The live count: the snapshot's, give or take the commits since.
  side->edges.reserve(adjacency.edge_count());
  std::vector<Edge> scratch;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (i % kStopCheckEvery == 0 && should_stop && should_stop()) {
      return FillResult::kStopped;
    }
    const uint64_t node = nodes[i];
    scratch.clear();
    adjacency.Collect(node, direction, seq, &scratch);
    if (scratch.empty()) continue;
    if (node > kMaxId) return FillResult::kTooLarge;
    for (const Edge& e : scratch) {
      if (e.relation > kMaxId || e.neighbor > kMaxId || e.statement > kMaxId) {
        return FillResult::kTooLarge;
      }
      side->edges.push_back({static_cast<uint32_t>(e.relation),
                             static_cast<uint32_t>(e.neighbor),
                             static_cast<uint32_t>(e.statement)});
    }
    ends.emplace_back(node, side->edges.size());
  }
  if (side->edges.size() > kMaxId) return FillResult::kTooLarge;
  const uint64_t last = ends.empty() ? 0 : ends.back().first;
  side->offsets.assign(last + 2, 0);
  uint64_t next = 0;  // the first node whose offset is not set yet
  uint32_t begin = 0;
  for (const auto& [node, end] : ends) {
    // Nodes without edges up to this one start (and end) where it starts.
    for (; next <= node; ++next) side->offsets[next] = begin;
    begin = static_cast<uint32_t>(end);
  }
  for (; next < side->offsets.size(); ++next) side->offsets[next] = begin;
  return FillResult::kDone;
}

absl::StatusOr<std::unique_ptr<const CompactAdjacency>> CompactAdjacency::Build(
    const Adjacency& adjacency, uint64_t seq, uint64_t generation,
    std::vector<double> confidences, uint64_t records_generation,
    const std::function<bool()>& should_stop) {
  std::unique_ptr<CompactAdjacency> c(new CompactAdjacency(seq, generation));
  c->records_generation_ = records_generation;
  for (Direction d : {Direction::kOutgoing, Direction::kIncoming}) {
    switch (Fill(adjacency, d, seq, should_stop,
                 d == Direction::kOutgoing ? &c->out_ : &c->in_)) {
      case FillResult::kDone:
        break;
      case FillResult::kStopped:
        return absl::CancelledError("compact adjacency: build stopped");
      case FillResult::kTooLarge:
        return absl::OutOfRangeError(
            "compact adjacency: an id or the edge count does not fit in 32 "
            "bits");
    }
  }
  uint32_t last = 0;
  for (const CompactEdge& e : c->out_.edges) last = std::max(last, e.statement);
  c->is_statement_.assign(c->out_.edges.empty() ? 0 : size_t{last} + 1, 0);
  // Each indexed statement is one outgoing edge of its subject.
  for (const CompactEdge& e : c->out_.edges) c->is_statement_[e.statement] = 1;
  // Only statements' entries mean anything; nothing past the last.
  if (confidences.size() > c->is_statement_.size()) {
    confidences.resize(c->is_statement_.size());
  }
  confidences.shrink_to_fit();
  c->confidences_ = std::move(confidences);
  for (const CompactEdge& e : c->out_.edges) {
    RelationCounts& counts = c->by_relation_[e.relation];
    ++counts.indexed;
    if (c->BestConfidence(e.statement).has_value()) ++counts.asserted;
  }
  // The nodes that are some statement's subject, or object.
  for (Direction d : {Direction::kOutgoing, Direction::kIncoming}) {
    const NodeId limit = c->node_limit(d);
    for (NodeId node = 0; node < limit; ++node) {
      if (!c->Edges(node, d).empty()) {
        (d == Direction::kOutgoing ? c->nodes_out_ : c->nodes_in_) += 1;
      }
    }
  }
  return std::unique_ptr<const CompactAdjacency>(std::move(c));
}

size_t CompactAdjacency::memory_bytes() const {
  return sizeof(*this) +
         (out_.offsets.capacity() + in_.offsets.capacity()) * sizeof(uint32_t) +
         (out_.edges.capacity() + in_.edges.capacity()) * sizeof(CompactEdge) +
         is_statement_.capacity() + confidences_.capacity() * sizeof(double) +
         by_relation_.capacity() *
             (sizeof(uint32_t) + sizeof(RelationCounts) + 1);
}

}  // namespace kg::storage
