#include "storage/adjacency.h"

#include <algorithm>
#include <limits>
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

// The positions of `items` in order of key(item), ties in their order:
// 0, 1, ... when `items` are in that order already.
template <typename T, typename Key>
std::vector<uint32_t> OrderBy(const std::vector<T>& items, Key key) {
  std::vector<uint32_t> order(items.size());
  bool sorted = true;
  for (size_t i = 1; i < items.size() && sorted; ++i) {
    sorted = key(items[i - 1]) <= key(items[i]);
  }
  if (sorted) {
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    return order;
  }
  // Sorted by (key, position), the keys side by side: a 10M store started
  // in 5.5 s with an indirect stable sort, in 4.2 s with this.
  std::vector<std::pair<uint64_t, uint32_t>> keyed(items.size());
  for (uint32_t i = 0; i < keyed.size(); ++i) keyed[i] = {key(items[i]), i};
  std::sort(keyed.begin(), keyed.end());
  for (size_t i = 0; i < keyed.size(); ++i) order[i] = keyed[i].second;
  return order;
}

// Appends to `lists` each run of `items` (taken in `order`) that share
// key(item), as edges added at `seq`: each list grows once, and each node
// is looked up once.
template <typename T, typename Key, typename EdgeOf, typename Versioned>
void AppendRuns(const std::vector<T>& items, const std::vector<uint32_t>& order,
                Key key, EdgeOf edge_of, uint64_t seq,
                absl::flat_hash_map<uint64_t, std::vector<Versioned>>* lists) {
  size_t runs = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || key(items[order[i]]) != key(items[order[i - 1]])) ++runs;
  }
  if (lists->empty()) lists->reserve(runs);  // else grown as needed
  for (size_t begin = 0; begin < order.size();) {
    const uint64_t node = key(items[order[begin]]);
    size_t end = begin + 1;
    while (end < order.size() && key(items[order[end]]) == node) ++end;
    std::vector<Versioned>& list = (*lists)[node];
    // Grown by doubling at least: a list that later loads add to again is
    // not copied at each one.
    const size_t need = list.size() + (end - begin);
    if (list.capacity() < need) {
      list.reserve(std::max(need, 2 * list.capacity()));
    }
    for (size_t i = begin; i < end; ++i) {
      list.push_back({edge_of(items[order[i]]), seq, Adjacency::kForever});
    }
    begin = end;
  }
}

}  // namespace

template <typename T>
void Adjacency::AddAll(const std::vector<T>& items, uint64_t seq) {
  const auto fill_out = [&] {
    AppendRuns(
        items, OrderBy(items, [](const T& t) { return t.subject; }),
        [](const T& t) { return t.subject; },
        [](const T& t) {
          return Edge{t.relation, t.object, t.statement};
        },
        seq, &out_);
  };
  // On a second thread when one can be had (none: one after the other).
  std::thread out;
  try {
    out = std::thread(fill_out);
  } catch (const std::system_error&) {
    fill_out();
  }
  AppendRuns(
      items, OrderBy(items, [](const T& t) { return t.object; }),
      [](const T& t) { return t.object; },
      [](const T& t) {
        return Edge{t.relation, t.subject, t.statement};
      },
      seq, &in_);
  if (out.joinable()) out.join();
  edges_ += items.size();
}

void Adjacency::Load(std::vector<Triple> triples) {
  absl::MutexLock lock(&mu_);
  AddAll(triples, 0);
}

void Adjacency::Clear() {
  absl::MutexLock lock(&mu_);
  out_ = {};
  in_ = {};
  edges_ = 0;
  ++generation_;
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
  // Many additions and nothing else (a bulk or fresh load): as one Add per
  // change, built as the open builds its lists.
  if (changes.size() >= kManyChanges &&
      changes.size() < std::numeric_limits<uint32_t>::max() &&
      std::all_of(changes.begin(), changes.end(),
                  [](const Change& c) { return c.added; })) {
    AddAll(changes, seq);
    return;
  }
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
