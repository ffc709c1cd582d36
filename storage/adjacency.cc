#include "storage/adjacency.h"

#include <algorithm>

namespace kg::storage {

void Adjacency::Add(uint64_t subject, uint64_t relation, uint64_t object,
                    uint64_t statement, uint64_t seq) {
  absl::MutexLock lock(&mu_);
  out_[subject].push_back({{relation, object, statement}, seq, kForever});
  in_[object].push_back({{relation, subject, statement}, seq, kForever});
  ++edges_;
}

void Adjacency::Remove(Lists& lists, uint64_t node, uint64_t statement,
                       uint64_t seq, uint64_t oldest_seq) {
  auto it = lists.find(node);
  if (it == lists.end()) return;
  std::vector<Versioned>& edges = it->second;
  for (Versioned& v : edges) {
    if (v.edge.statement == statement && v.removed_seq == kForever) {
      v.removed_seq = seq;
    }
  }
  // Edges removed before every live snapshot are invisible to all.
  edges.erase(std::remove_if(edges.begin(), edges.end(),
                             [&](const Versioned& v) {
                               return v.removed_seq <= oldest_seq;
                             }),
              edges.end());
  if (edges.empty()) lists.erase(it);
}

void Adjacency::Apply(const std::vector<Change>& changes, uint64_t seq,
                      uint64_t oldest_seq) {
  absl::MutexLock lock(&mu_);
  if (!changes.empty()) ++generation_;
  for (const Change& c : changes) {
    if (c.added) {
      out_[c.subject].push_back(
          {{c.relation, c.object, c.statement}, seq, kForever});
      in_[c.object].push_back(
          {{c.relation, c.subject, c.statement}, seq, kForever});
      ++edges_;
    } else {
      Remove(out_, c.subject, c.statement, seq, oldest_seq);
      Remove(in_, c.object, c.statement, seq, oldest_seq);
      --edges_;
    }
  }
}

void Adjacency::Collect(uint64_t node, Direction direction, uint64_t seq,
                        std::vector<Edge>* out) const {
  absl::ReaderMutexLock lock(&mu_);
  const Lists& lists = direction == Direction::kOutgoing ? out_ : in_;
  auto it = lists.find(node);
  if (it == lists.end()) return;
  for (const Versioned& v : it->second) {
    if (v.added_seq <= seq && seq < v.removed_seq) out->push_back(v.edge);
  }
}

size_t Adjacency::edge_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return edges_;
}

uint64_t Adjacency::generation() const {
  absl::ReaderMutexLock lock(&mu_);
  return generation_;
}

std::vector<uint64_t> Adjacency::Nodes(Direction direction) const {
  std::vector<uint64_t> nodes;
  {
    absl::ReaderMutexLock lock(&mu_);
    const Lists& lists = direction == Direction::kOutgoing ? out_ : in_;
    nodes.reserve(lists.size());
    for (const auto& [node, edges] : lists) nodes.push_back(node);
  }
  std::sort(nodes.begin(), nodes.end());
  return nodes;
}

}  // namespace kg::storage
