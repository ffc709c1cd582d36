#include "storage/adjacency.h"

#include <algorithm>
#include <system_error>
#include <thread>

namespace kg::storage {

void Adjacency::Add(uint64_t subject, uint64_t relation, uint64_t object,
                    uint64_t statement, uint64_t seq) {
  absl::MutexLock lock(&mu_);
  out_[subject].push_back({{relation, object, statement}, seq, kForever});
  in_[object].push_back({{relation, subject, statement}, seq, kForever});
  ++edges_;
}

namespace {

// Fills `lists` with one list per run of `triples` that share key(t), in
// order: `triples` sorted on the key, their order kept within a run.
template <typename Key, typename EdgeOf, typename Versioned>
void FillRuns(const std::vector<Adjacency::Triple>& triples,
              const std::vector<uint32_t>& order, Key key, EdgeOf edge_of,
              absl::flat_hash_map<uint64_t, std::vector<Versioned>>* lists) {
  size_t runs = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || key(triples[order[i]]) != key(triples[order[i - 1]])) ++runs;
  }
  lists->reserve(runs);
  for (size_t begin = 0; begin < order.size();) {
    const uint64_t node = key(triples[order[begin]]);
    size_t end = begin + 1;
    while (end < order.size() && key(triples[order[end]]) == node) ++end;
    std::vector<Versioned>& list = (*lists)[node];
    list.reserve(end - begin);
    for (size_t i = begin; i < end; ++i) {
      list.push_back({edge_of(triples[order[i]]), 0, Adjacency::kForever});
    }
    begin = end;
  }
}

}  // namespace

void Adjacency::Load(std::vector<Triple> triples) {
  absl::MutexLock lock(&mu_);
  // Outgoing lists: the triples are in subject order already. Incoming
  // ones: a stable sort on the object keeps SPO order within each list,
  // as one Add per triple would.
  std::vector<uint32_t> by_subject(triples.size());
  for (uint32_t i = 0; i < by_subject.size(); ++i) by_subject[i] = i;
  const auto fill_out = [&] {
    FillRuns(
        triples, by_subject, [](const Triple& t) { return t.subject; },
        [](const Triple& t) {
          return Edge{t.relation, t.object, t.statement};
        },
        &out_);
  };
  // On a second thread when one can be had (none: one after the other).
  std::thread out;
  try {
    out = std::thread(fill_out);
  } catch (const std::system_error&) {
    fill_out();
  }
  std::vector<uint32_t> by_object(triples.size());
  {
    // Sorted by (object, position), the keys side by side: a 10M store
    // started in 5.5 s with an indirect stable sort, in 4.2 s with this.
    std::vector<std::pair<uint64_t, uint32_t>> keyed(triples.size());
    for (uint32_t i = 0; i < keyed.size(); ++i) {
      keyed[i] = {triples[i].object, i};
    }
    std::sort(keyed.begin(), keyed.end());
    for (size_t i = 0; i < keyed.size(); ++i) by_object[i] = keyed[i].second;
  }
  FillRuns(
      triples, by_object, [](const Triple& t) { return t.object; },
      [](const Triple& t) {
        return Edge{t.relation, t.subject, t.statement};
      },
      &in_);
  if (out.joinable()) out.join();
  edges_ += triples.size();
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
