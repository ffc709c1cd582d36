#include "query/path_search.h"

#include <algorithm>
#include <climits>
#include <functional>
#include <limits>
#include <numeric>
#include <queue>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "storage/status_macros.h"

namespace kg::query {

namespace {

// Sorts `arcs` by key.
absl::Status SortByKey(PathGraph& g, std::vector<Arc>* arcs) {
  KG_ASSIGN_OR_RETURN(std::vector<HopKey> keys, g.KeysOf(*arcs));
  std::vector<size_t> order(arcs->size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return CompareHopKeys(keys[a], keys[b]) < 0;
  });
  std::vector<Arc> sorted;
  sorted.reserve(arcs->size());
  for (size_t i : order) sorted.push_back((*arcs)[i]);
  *arcs = std::move(sorted);
  return absl::OkStatus();
}

// One side of the bidirectional search. Arcs are admitted (their support
// checked, which may read provenance) only when it matters: a node reached
// only through unadmitted arcs is "tentative", and is checked when its
// layer is about to be expanded or when it would join the two halves. The
// last layer of a search, usually the largest, is then hardly checked.
struct Side {
  struct Reached {
    int depth;
    int head;     // its first link, -1 for none
    int8_t live;  // 1 reached through an admitted arc, 0 not known yet
  };
  // An arc from the layer before into `v` (forward side), or from `v` to
  // the layer before (backward side); links of one node form a list.
  struct Link {
    Arc arc;
    int next;
  };

  explicit Side(NodeId root_node) : root(root_node) {
    reached[root] = {0, -1, 1};
    frontier.push_back(root);
  }

  void AddLink(NodeId v, const Arc& arc) {
    Reached& r = reached.at(v);
    links.push_back({arc, r.head});
    r.head = static_cast<int>(links.size() - 1);
  }

  // Whether `v`, reached at its recorded depth, is reached through an
  // admitted arc. A node that is not is forgotten, so that it can be
  // reached again deeper. Precondition: `v` is reached.
  absl::StatusOr<bool> Live(PathGraph& g, NodeId v) {
    Reached& r = reached.at(v);
    if (r.live) return true;
    for (int i = r.head; i >= 0; i = links[i].next) {
      KG_ASSIGN_OR_RETURN(bool admitted, g.Admit(links[i].arc));
      if (admitted) {
        reached.at(v).live = 1;
        return true;
      }
    }
    reached.erase(v);
    return false;
  }

  // The admitted links of `v`, appended to `out`.
  absl::Status AdmittedLinks(PathGraph& g, NodeId v, std::vector<Arc>* out) {
    auto it = reached.find(v);
    if (it == reached.end()) return absl::OkStatus();
    for (int i = it->second.head; i >= 0; i = links[i].next) {
      KG_ASSIGN_OR_RETURN(bool admitted, g.Admit(links[i].arc));
      if (admitted) out->push_back(links[i].arc);
    }
    return absl::OkStatus();
  }

  NodeId root;
  absl::flat_hash_map<NodeId, Reached> reached;
  std::vector<Link> links;
  std::vector<NodeId> frontier;
  int depth = 0;
};

}  // namespace

absl::StatusOr<std::optional<std::vector<Arc>>> ShortestPath(PathGraph& g,
                                                             NodeId s, NodeId t,
                                                             int max_hops,
                                                             const Bans* bans) {
  using Result = std::optional<std::vector<Arc>>;
  Side fwd(s);
  Side bwd(t);
  // A node may join the two halves if it is an endpoint or passable.
  const auto can_meet = [&](NodeId v) -> absl::StatusOr<bool> {
    if (v == s || v == t) return true;
    return g.Passable(v);
  };
  const auto banned = [&](const Arc& arc, NodeId v) {
    return bans != nullptr &&
           (bans->nodes.contains(v) || bans->arcs.contains(arc));
  };
  int best = INT_MAX;
  std::vector<Arc> arcs;
  // Expand whole layers, the cheaper frontier first. The first layer that
  // joins the halves gives the distance (docs/query.md).
  while (best == INT_MAX) {
    if (fwd.depth + bwd.depth + 1 > max_hops || fwd.frontier.empty() ||
        bwd.frontier.empty()) {
      return Result();
    }
    // Expand the side whose frontier has fewer edges (on power-law graphs
    // one hub outweighs many small nodes); counting stops once the second
    // side is the dearer. The choice changes the cost, never the result.
    const auto edges_of = [&](const Side& x, uint64_t stop_above) {
      uint64_t sum = 0;
      for (NodeId u : x.frontier) {
        sum += g.Degree(u);
        if (sum > stop_above) break;
      }
      return sum;
    };
    const bool fwd_first = fwd.frontier.size() <= bwd.frontier.size();
    const uint64_t first_edges =
        edges_of(fwd_first ? fwd : bwd, std::numeric_limits<uint64_t>::max());
    const uint64_t second_edges = edges_of(fwd_first ? bwd : fwd, first_edges);
    const bool forward =
        fwd_first ? first_edges <= second_edges : second_edges < first_edges;
    Side& side = forward ? fwd : bwd;
    Side& other = forward ? bwd : fwd;
    const int next_depth = side.depth + 1;
    // Settle the layer: tentative nodes that are not live leave it (and
    // may be reached again deeper); live nodes that may not be passed
    // through stay reached but are not expanded.
    std::vector<NodeId> layer;
    for (NodeId u : side.frontier) {
      auto r = side.reached.find(u);
      if (r == side.reached.end() || r->second.depth != side.depth) continue;
      KG_ASSIGN_OR_RETURN(bool live, side.Live(g, u));
      if (!live) continue;
      if (u != side.root) {
        KG_ASSIGN_OR_RETURN(bool passable, g.Passable(u));
        if (!passable) continue;
      }
      layer.push_back(u);
    }
    // The layer in two passes. The first records only arcs into nodes the
    // other side has reached: if one of them joins the halves, that is all
    // the DAG of shortest paths needs, and the layer (usually the largest
    // of the search) costs a probe per arc instead of an insert. If none
    // joins, the first pass is undone and the second records every arc.
    // Over the compact adjacency the arcs are visited where they lie, twice
    // at most; otherwise they are collected once for both passes.
    const bool visit = g.can_visit_arcs();
    // Room for the layer, within what the budget still allows.
    uint64_t layer_edges = 0;
    for (NodeId u : layer) layer_edges += g.Degree(u);
    layer_edges = std::min(layer_edges, g.budget().remaining());
    arcs.clear();
    if (!visit) {
      arcs.reserve(layer_edges);
      for (NodeId u : layer) {
        if (forward) {
          KG_RETURN_IF_ERROR(g.ArcsFrom(u, &arcs));
        } else {
          KG_RETURN_IF_ERROR(g.ArcsInto(u, &arcs));
        }
      }
    }
    const size_t links_before = side.links.size();
    std::vector<NodeId> next;
    bool joining_pass = true;
    const auto step = [&](const Arc& arc) -> absl::Status {
      const NodeId v = forward ? arc.to : arc.from;
      if (v == side.root || banned(arc, v)) return absl::OkStatus();
      auto o = other.reached.find(v);
      if (joining_pass && o == other.reached.end()) return absl::OkStatus();
      auto it = side.reached.find(v);
      if (it == side.reached.end()) {
        side.reached.emplace(v, Side::Reached{next_depth, -1, 0});
        next.push_back(v);
      } else if (it->second.depth != next_depth) {
        return absl::OkStatus();
      }
      side.AddLink(v, arc);
      if (o == other.reached.end()) return absl::OkStatus();
      const int total = next_depth + o->second.depth;
      if (total >= best) return absl::OkStatus();
      KG_ASSIGN_OR_RETURN(bool admitted, g.Admit(arc));
      if (!admitted) return absl::OkStatus();
      side.reached.at(v).live = 1;
      KG_ASSIGN_OR_RETURN(bool other_live, other.Live(g, v));
      if (!other_live) return absl::OkStatus();
      KG_ASSIGN_OR_RETURN(bool ok, can_meet(v));
      if (ok) best = total;
      return absl::OkStatus();
    };
    for (;; joining_pass = false) {
      if (visit) {
        absl::Status failed;
        for (NodeId u : layer) {
          // The budget is charged once, in the first pass.
          KG_RETURN_IF_ERROR(g.VisitArcs(u, /*into=*/!forward, joining_pass,
                                         [&](const Arc& arc) {
                                           if (failed.ok()) failed = step(arc);
                                         }));
          KG_RETURN_IF_ERROR(failed);
        }
      } else {
        for (const Arc& arc : arcs) KG_RETURN_IF_ERROR(step(arc));
      }
      if (best != INT_MAX || !joining_pass) break;
      // Nothing joined: forget what the first pass recorded (only nodes of
      // the new depth, all reached in it).
      for (NodeId v : next) side.reached.erase(v);
      side.links.resize(links_before);
      next.clear();
      side.reached.reserve(side.reached.size() + layer_edges);
    }
    side.frontier = std::move(next);
    side.depth = next_depth;
  }

  // Nodes where shortest paths cross from the forward half to the backward
  // half; every shortest path has one.
  std::vector<NodeId> candidates;
  {
    const Side& small = fwd.reached.size() <= bwd.reached.size() ? fwd : bwd;
    const Side& large = &small == &fwd ? bwd : fwd;
    for (const auto& [v, r] : small.reached) {
      auto o = large.reached.find(v);
      if (o != large.reached.end() && r.depth + o->second.depth == best) {
        candidates.push_back(v);
      }
    }
  }
  std::vector<NodeId> meets;
  for (NodeId v : candidates) {
    KG_ASSIGN_OR_RETURN(bool forward_live, fwd.Live(g, v));
    if (!forward_live) continue;
    KG_ASSIGN_OR_RETURN(bool backward_live, bwd.Live(g, v));
    if (!backward_live) continue;
    KG_ASSIGN_OR_RETURN(bool ok, can_meet(v));
    if (ok) meets.push_back(v);
  }
  // The DAG of shortest paths: admitted forward links back from the meeting
  // nodes, admitted backward links on from them.
  absl::flat_hash_map<NodeId, std::vector<Arc>> children;
  absl::flat_hash_set<NodeId> on_forward(meets.begin(), meets.end());
  absl::flat_hash_set<NodeId> on_backward(meets.begin(), meets.end());
  std::vector<NodeId> stack = meets;
  while (!stack.empty()) {
    const NodeId v = stack.back();
    stack.pop_back();
    arcs.clear();
    KG_RETURN_IF_ERROR(fwd.AdmittedLinks(g, v, &arcs));
    for (const Arc& arc : arcs) {
      children[arc.from].push_back(arc);
      if (on_forward.insert(arc.from).second) stack.push_back(arc.from);
    }
  }
  stack = meets;
  while (!stack.empty()) {
    const NodeId v = stack.back();
    stack.pop_back();
    arcs.clear();
    KG_RETURN_IF_ERROR(bwd.AdmittedLinks(g, v, &arcs));
    for (const Arc& arc : arcs) {
      if (on_backward.insert(arc.to).second) stack.push_back(arc.to);
    }
  }
  // Greedy walk: at each node the least key among the arcs that stay on a
  // shortest path gives the least key sequence.
  std::vector<Arc> path;
  NodeId u = s;
  while (u != t) {
    arcs.clear();
    auto c = children.find(u);
    if (c != children.end()) arcs = c->second;
    if (on_backward.contains(u)) {
      KG_RETURN_IF_ERROR(bwd.AdmittedLinks(g, u, &arcs));
    }
    if (arcs.empty() || static_cast<int>(path.size()) >= best) {
      return absl::InternalError("shortest path DAG is broken");
    }
    KG_RETURN_IF_ERROR(SortByKey(g, &arcs));
    path.push_back(arcs.front());
    u = arcs.front().to;
  }
  if (static_cast<int>(path.size()) != best) {
    return absl::InternalError("shortest path has the wrong length");
  }
  return Result(std::move(path));
}

absl::Status KShortestPaths(PathGraph& g, NodeId s, NodeId t, int k,
                            int max_hops, const ArcPathSink& sink) {
  struct Candidate {
    std::vector<Arc> arcs;
    std::vector<HopKey> keys;
    // Where it leaves the path it was found from (Lawler): spurs before
    // this index were searched from that path already.
    size_t deviation = 0;
  };
  struct Before {
    bool operator()(const Candidate& a, const Candidate& b) const {
      if (a.arcs.size() != b.arcs.size()) return a.arcs.size() < b.arcs.size();
      return CompareKeySequences(a.keys, b.keys) < 0;
    }
  };
  g.set_cache_arcs(true);
  KG_ASSIGN_OR_RETURN(std::optional<std::vector<Arc>> first,
                      ShortestPath(g, s, t, max_hops, nullptr));
  if (!first) return absl::OkStatus();
  std::vector<Candidate> found;
  found.push_back({*std::move(first), {}, 0});
  KG_RETURN_IF_ERROR(
      sink(found.back().arcs, static_cast<double>(found.back().arcs.size())));
  // Candidates, ordered; a path's keys identify it, so the set dedupes.
  std::set<Candidate, Before> candidates;
  while (static_cast<int>(found.size()) < k) {
    const std::vector<Arc> last = found.back().arcs;
    for (size_t i = found.back().deviation; i < last.size(); ++i) {
      const NodeId spur = i == 0 ? s : last[i - 1].to;
      Bans bans;
      bans.nodes.insert(s);
      for (size_t j = 0; j + 1 < i; ++j) bans.nodes.insert(last[j].to);
      bans.nodes.erase(spur);
      for (const Candidate& p : found) {
        if (p.arcs.size() > i &&
            std::equal(last.begin(), last.begin() + i, p.arcs.begin())) {
          bans.arcs.insert(p.arcs[i]);
        }
      }
      KG_ASSIGN_OR_RETURN(
          std::optional<std::vector<Arc>> tail,
          ShortestPath(g, spur, t, max_hops - static_cast<int>(i), &bans));
      if (!tail) continue;
      Candidate c;
      c.deviation = i;
      c.arcs.assign(last.begin(), last.begin() + i);
      c.arcs.insert(c.arcs.end(), tail->begin(), tail->end());
      KG_ASSIGN_OR_RETURN(c.keys, g.KeysOf(c.arcs));
      candidates.insert(std::move(c));
    }
    if (candidates.empty()) break;
    found.push_back(std::move(candidates.extract(candidates.begin()).value()));
    KG_RETURN_IF_ERROR(
        sink(found.back().arcs, static_cast<double>(found.back().arcs.size())));
  }
  return absl::OkStatus();
}

absl::Status AllSimplePaths(PathGraph& g, NodeId s, NodeId t, int max_hops,
                            int64_t limit, const ArcPathSink& sink,
                            bool* limit_reached) {
  *limit_reached = false;
  // Hops from each node to t, up to max_hops - 1 (an intermediate node is
  // at least one hop from s).
  absl::flat_hash_map<NodeId, int> to_t;
  to_t[t] = 0;
  std::vector<NodeId> frontier = {t};
  std::vector<Arc> arcs;
  for (int depth = 0; depth < max_hops && !frontier.empty(); ++depth) {
    std::vector<NodeId> next;
    for (NodeId w : frontier) {
      if (w == s) continue;  // a simple path never passes through s
      if (w != t) {
        KG_ASSIGN_OR_RETURN(bool passable, g.Passable(w));
        if (!passable) continue;
      }
      arcs.clear();
      KG_RETURN_IF_ERROR(g.ArcsInto(w, &arcs));
      for (const Arc& arc : arcs) {
        if (to_t.contains(arc.from)) continue;
        KG_ASSIGN_OR_RETURN(bool admitted, g.Admit(arc));
        if (!admitted) continue;
        to_t.emplace(arc.from, depth + 1);
        next.push_back(arc.from);
      }
    }
    frontier = std::move(next);
  }
  auto start = to_t.find(s);
  if (start == to_t.end()) return absl::OkStatus();

  // Per node, the arcs that may lead on to t, sorted by key.
  absl::node_hash_map<NodeId, std::vector<Arc>> useful;
  const auto useful_arcs =
      [&](NodeId u) -> absl::StatusOr<const std::vector<Arc>*> {
    auto it = useful.find(u);
    if (it != useful.end()) {
      KG_RETURN_IF_ERROR(g.budget().Charge(it->second.size()));
      return &it->second;
    }
    std::vector<Arc> all;
    KG_RETURN_IF_ERROR(g.ArcsFrom(u, &all));
    std::vector<Arc> kept;
    for (const Arc& arc : all) {
      if (arc.to != t) {
        if (arc.to == s || !to_t.contains(arc.to)) continue;
        KG_ASSIGN_OR_RETURN(bool passable, g.Passable(arc.to));
        if (!passable) continue;
      }
      KG_ASSIGN_OR_RETURN(bool admitted, g.Admit(arc));
      if (admitted) kept.push_back(arc);
    }
    KG_RETURN_IF_ERROR(SortByKey(g, &kept));
    return &useful.emplace(u, std::move(kept)).first->second;
  };

  std::vector<Arc> path;
  absl::flat_hash_set<NodeId> on_path = {s};
  int64_t emitted = 0;
  // Depth-first search for paths of exactly `left` more hops from u.
  std::function<absl::Status(NodeId, int)> dfs = [&](NodeId u,
                                                     int left) -> absl::Status {
    // Stable while `useful` grows (node_hash_map).
    KG_ASSIGN_OR_RETURN(const std::vector<Arc>* out, useful_arcs(u));
    for (const Arc& arc : *out) {
      if (*limit_reached) return absl::OkStatus();
      const NodeId v = arc.to;
      if (v == t) {
        if (left != 1) continue;
        path.push_back(arc);
        absl::Status st = sink(path, static_cast<double>(path.size()));
        path.pop_back();
        KG_RETURN_IF_ERROR(st);
        if (++emitted >= limit) *limit_reached = true;
        continue;
      }
      if (left < 2 || on_path.contains(v) || to_t.at(v) > left - 1) continue;
      on_path.insert(v);
      path.push_back(arc);
      absl::Status st = dfs(v, left - 1);
      path.pop_back();
      on_path.erase(v);
      KG_RETURN_IF_ERROR(st);
    }
    return absl::OkStatus();
  };
  for (int hops = start->second; hops <= max_hops && !*limit_reached; ++hops) {
    KG_RETURN_IF_ERROR(dfs(s, hops));
  }
  return absl::OkStatus();
}

namespace {

// Least cost under a hop limit: Dijkstra over (node, hops) labels, a label
// dropped when one of the same node with no more hops and no more cost was
// pushed or popped before it; ties by hops, then keys (read only then).
absl::StatusOr<std::optional<std::pair<std::vector<Arc>, int64_t>>>
HopLimitedLeastCost(PathGraph& g, NodeId s, NodeId t, int max_hops) {
  using Result = std::optional<std::pair<std::vector<Arc>, int64_t>>;
  struct Label {
    NodeId node;
    int hops;
    int64_t cost;
    int parent;  // -1 for the start
    Arc arc;
    bool has_key = false;
    HopKey key;
  };
  std::vector<Label> labels;
  labels.push_back({s, 0, 0, -1, Arc{}, false, HopKey{}});
  // Keys are read only to break ties of cost and hops; a failed read is
  // reported after the heap operation that needed it.
  static const std::string kNone;
  absl::Status key_error;
  const auto key_of = [&](int i) {
    Label& l = labels[i];
    if (!l.has_key) {
      l.key = HopKey{&kNone, &kNone, &kNone, HopKind::kForward};
      absl::StatusOr<HopKey> key = g.KeyOf(l.arc);
      if (key.ok()) {
        l.key = *key;
      } else if (key_error.ok()) {
        key_error = key.status();
      }
      l.has_key = true;
    }
    return l.key;
  };
  const auto keys_of = [&](int i) {
    std::vector<HopKey> keys;
    for (; labels[i].parent >= 0; i = labels[i].parent) {
      keys.push_back(key_of(i));
    }
    std::reverse(keys.begin(), keys.end());
    return keys;
  };
  // "a after b", for a min-heap in result order.
  const auto after = [&](int a, int b) {
    const Label& x = labels[a];
    const Label& y = labels[b];
    if (x.cost != y.cost) return x.cost > y.cost;
    if (x.hops != y.hops) return x.hops > y.hops;
    return CompareKeySequences(keys_of(a), keys_of(b)) > 0;
  };
  // A lower bound on each node's hops to t: breadth-first from t over the
  // arcs before admission (no reads), while the ball stays small and its
  // next layer cheap; nodes outside it are farther than its radius (any
  // radius gives a true bound: the answer is the same, only the pruning
  // differs). Labels that cannot reach t in
  // the hops left are never pushed, which spares their cost reads.
  constexpr size_t kMaxBall = 200000;
  constexpr size_t kMaxBallEdges = 50000;
  absl::flat_hash_map<NodeId, int> to_t = {{t, 0}};
  int radius = 0;
  {
    std::vector<NodeId> frontier = {t};
    std::vector<Arc> into;
    while (radius < max_hops - 1 && !frontier.empty() &&
           to_t.size() < kMaxBall) {
      // A layer that would scan more than kMaxBallEdges stored edges is
      // not expanded: on a small-world graph the ball soon holds most of
      // it and bounds nothing, at the cost of a full scan.
      size_t layer_edges = 0;
      for (NodeId w : frontier) layer_edges += g.Degree(w);
      if (radius > 0 && layer_edges > kMaxBallEdges) break;
      std::vector<NodeId> next;
      for (NodeId w : frontier) {
        into.clear();
        KG_RETURN_IF_ERROR(g.ArcsInto(w, &into));
        for (const Arc& arc : into) {
          if (to_t.emplace(arc.from, radius + 1).second) {
            next.push_back(arc.from);
          }
        }
      }
      frontier = std::move(next);
      ++radius;
    }
    // An empty frontier means the ball is all that can reach t.
    if (frontier.empty()) radius = max_hops;
  }
  const auto hops_to_t = [&](NodeId v) {
    auto it = to_t.find(v);
    return it != to_t.end() ? it->second : radius + 1;
  };
  std::priority_queue<int, std::vector<int>, decltype(after)> heap(after);
  heap.push(0);
  // The fewest hops of a label popped so far, per node.
  absl::flat_hash_map<NodeId, int> settled;
  // (hops, cost) of the labels pushed, per node: a label that one of them
  // beats on both counts is not pushed.
  absl::flat_hash_map<NodeId, std::vector<std::pair<int, int64_t>>> pushed;
  std::vector<Arc> arcs;
  while (!heap.empty()) {
    const int i = heap.top();
    heap.pop();
    KG_RETURN_IF_ERROR(key_error);
    const NodeId u = labels[i].node;
    const int hops = labels[i].hops;
    auto [it, inserted] = settled.emplace(u, hops);
    if (!inserted) {
      if (it->second <= hops) continue;
      it->second = hops;
    }
    if (u == t) {
      std::vector<Arc> path;
      for (int j = i; labels[j].parent >= 0; j = labels[j].parent) {
        path.push_back(labels[j].arc);
      }
      std::reverse(path.begin(), path.end());
      return Result({std::move(path), labels[i].cost});
    }
    if (hops >= max_hops) continue;
    if (u != s) {
      KG_ASSIGN_OR_RETURN(bool passable, g.Passable(u));
      if (!passable) continue;
    }
    arcs.clear();
    KG_RETURN_IF_ERROR(g.ArcsFrom(u, &arcs));
    for (const Arc& arc : arcs) {
      const NodeId v = arc.to;
      if (v == s || hops + 1 + hops_to_t(v) > max_hops) continue;
      auto done = settled.find(v);
      if (done != settled.end() && done->second <= hops + 1) continue;
      if (v != t) {
        KG_ASSIGN_OR_RETURN(bool passable, g.Passable(v));
        if (!passable) continue;
      }
      KG_ASSIGN_OR_RETURN(bool admitted, g.Admit(arc));
      if (!admitted) continue;
      KG_ASSIGN_OR_RETURN(int64_t cost, g.CostOf(arc));
      const int64_t total = labels[i].cost + cost;
      std::vector<std::pair<int, int64_t>>& seen = pushed[v];
      const bool beaten = std::any_of(
          seen.begin(), seen.end(), [&](const std::pair<int, int64_t>& p) {
            return p.first <= hops + 1 && p.second <= total &&
                   (p.first < hops + 1 || p.second < total);
          });
      if (beaten) continue;
      seen.emplace_back(hops + 1, total);
      labels.push_back({v, hops + 1, total, i, arc, false, HopKey{}});
      heap.push(static_cast<int>(labels.size() - 1));
      KG_RETURN_IF_ERROR(key_error);
    }
  }
  return Result();
}

// One side of the bidirectional Dijkstra search.
struct WeightSide {
  explicit WeightSide(NodeId root_node) : root(root_node) {
    best[root] = 0;
    heap.push({0, root});
  }
  // The least key still in the heap, stale entries dropped; nullopt when
  // the heap is empty.
  std::optional<int64_t> Top() {
    while (!heap.empty()) {
      const auto [w, v] = heap.top();
      if (!settled.contains(v) && best.at(v) == w) return w;
      heap.pop();
    }
    return std::nullopt;
  }

  NodeId root;
  // The stored edges of the nodes reached and not settled: what expanding
  // this side's frontier would scan.
  uint64_t frontier_degree = 0;
  absl::flat_hash_map<NodeId, int64_t> best;
  absl::flat_hash_set<NodeId> settled;
  // Forward side: the arcs into v that give best[v]; backward side: the
  // arcs out of v that do.
  absl::flat_hash_map<NodeId, std::vector<Arc>> links;
  std::priority_queue<std::pair<int64_t, NodeId>,
                      std::vector<std::pair<int64_t, NodeId>>,
                      std::greater<std::pair<int64_t, NodeId>>>
      heap;
};

// A path's weight: its cost times 64 plus its hops (< 64), so that one
// integer orders paths by cost, then hops.
constexpr int kHopBits = 6;
static_assert(kMaxHops < (1 << kHopBits));

// The least path in result order without a hop limit, with its weight:
// bidirectional Dijkstra on weights, stopped once the two heaps' least keys
// add up to more than the best meeting found; then, as for ShortestPath, a
// greedy walk down the DAG of least-weight paths.
absl::StatusOr<std::optional<std::pair<std::vector<Arc>, int64_t>>>
LeastWeightPath(PathGraph& g, NodeId s, NodeId t) {
  using Result = std::optional<std::pair<std::vector<Arc>, int64_t>>;
  WeightSide fwd(s);
  WeightSide bwd(t);
  const auto can_meet = [&](NodeId v) -> absl::StatusOr<bool> {
    if (v == s || v == t) return true;
    return g.Passable(v);
  };
  int64_t mu = std::numeric_limits<int64_t>::max();
  // Arcs from a node settled forward to one settled backward, and nodes
  // settled on both sides, with the weight of the paths through them.
  std::vector<std::pair<Arc, int64_t>> bridges;
  std::vector<std::pair<NodeId, int64_t>> joins;
  std::vector<Arc> arcs;
  while (true) {
    const std::optional<int64_t> top_f = fwd.Top();
    const std::optional<int64_t> top_b = bwd.Top();
    if (!top_f || !top_b) break;
    if (mu != std::numeric_limits<int64_t>::max() && *top_f + *top_b > mu) {
      break;
    }
    // Either side may settle next (the stopping rule above keeps the
    // result exact) once both have settled their root (a side that never
    // did would miss the paths that reach it); then the one whose
    // frontier has fewer stored edges costs less, as in ShortestPath.
    // (Without the compact adjacency a degree costs a copy of the node's
    // edges, cached; the same choice keeps both adjacencies' searches
    // identical, edge for edge, which PathTest checks.)
    const bool forward =
        fwd.settled.empty() ||
        (!bwd.settled.empty() && fwd.frontier_degree <= bwd.frontier_degree);
    WeightSide& side = forward ? fwd : bwd;
    WeightSide& other = forward ? bwd : fwd;
    const auto [w, u] = side.heap.top();
    side.heap.pop();
    side.settled.insert(u);
    side.frontier_degree -=
        std::min<uint64_t>(side.frontier_degree, g.Degree(u));
    if (other.settled.contains(u)) {
      KG_ASSIGN_OR_RETURN(bool ok, can_meet(u));
      if (ok) {
        const int64_t total = w + other.best.at(u);
        joins.emplace_back(u, total);
        mu = std::min(mu, total);
      }
    }
    if (u != side.root) {
      KG_ASSIGN_OR_RETURN(bool passable, g.Passable(u));
      if (!passable) continue;
    }
    arcs.clear();
    if (forward) {
      KG_RETURN_IF_ERROR(g.ArcsFrom(u, &arcs));
    } else {
      KG_RETURN_IF_ERROR(g.ArcsInto(u, &arcs));
    }
    for (const Arc& arc : arcs) {
      const NodeId v = forward ? arc.to : arc.from;
      if (v == side.root || side.settled.contains(v)) continue;
      const bool bridge = other.settled.contains(v);
      auto it = side.best.find(v);
      if (!bridge && it != side.best.end() && it->second <= w) {
        continue;  // cannot improve: every arc weighs at least 1
      }
      KG_ASSIGN_OR_RETURN(bool admitted, g.Admit(arc));
      if (!admitted) continue;
      KG_ASSIGN_OR_RETURN(int64_t cost, g.CostOf(arc));
      const int64_t nw = w + (cost << kHopBits) + 1;
      if (bridge) {
        KG_ASSIGN_OR_RETURN(bool ok, can_meet(v));
        if (ok) {
          const int64_t total = nw + other.best.at(v);
          bridges.emplace_back(arc, total);
          mu = std::min(mu, total);
        }
      }
      it = side.best.find(v);
      if (it == side.best.end()) side.frontier_degree += g.Degree(v);
      if (it == side.best.end() || nw < it->second) {
        side.best[v] = nw;
        side.links[v] = {arc};
        side.heap.push({nw, v});
      } else if (nw == it->second) {
        side.links[v].push_back(arc);
      }
    }
  }
  if (mu == std::numeric_limits<int64_t>::max()) return Result();

  // The DAG of least-weight paths, as in ShortestPath: forward links back
  // from where the halves join, bridges across, backward links on.
  absl::flat_hash_map<NodeId, std::vector<Arc>> children;
  absl::flat_hash_set<NodeId> on_forward;
  absl::flat_hash_set<NodeId> on_backward;
  std::vector<NodeId> ends_f;
  std::vector<NodeId> ends_b;
  for (const auto& [v, total] : joins) {
    if (total != mu) continue;
    ends_f.push_back(v);
    ends_b.push_back(v);
  }
  for (const auto& [arc, total] : bridges) {
    if (total != mu) continue;
    children[arc.from].push_back(arc);
    ends_f.push_back(arc.from);
    ends_b.push_back(arc.to);
  }
  for (NodeId v : ends_f) {
    if (!on_forward.insert(v).second) continue;
    std::vector<NodeId> stack = {v};
    while (!stack.empty()) {
      const NodeId x = stack.back();
      stack.pop_back();
      auto it = fwd.links.find(x);
      if (x == s || it == fwd.links.end()) continue;
      for (const Arc& arc : it->second) {
        children[arc.from].push_back(arc);
        if (on_forward.insert(arc.from).second) stack.push_back(arc.from);
      }
    }
  }
  for (NodeId v : ends_b) {
    if (!on_backward.insert(v).second) continue;
    std::vector<NodeId> stack = {v};
    while (!stack.empty()) {
      const NodeId x = stack.back();
      stack.pop_back();
      auto it = bwd.links.find(x);
      if (x == t || it == bwd.links.end()) continue;
      for (const Arc& arc : it->second) {
        if (on_backward.insert(arc.to).second) stack.push_back(arc.to);
      }
    }
  }
  std::vector<Arc> path;
  NodeId u = s;
  const int hops = static_cast<int>(mu & ((1 << kHopBits) - 1));
  while (u != t) {
    arcs.clear();
    auto c = children.find(u);
    if (c != children.end()) arcs = c->second;
    if (on_backward.contains(u) && u != t) {
      auto b = bwd.links.find(u);
      if (b != bwd.links.end()) {
        arcs.insert(arcs.end(), b->second.begin(), b->second.end());
      }
    }
    if (arcs.empty() || static_cast<int>(path.size()) >= hops) {
      return absl::InternalError("least-cost path DAG is broken");
    }
    KG_RETURN_IF_ERROR(SortByKey(g, &arcs));
    path.push_back(arcs.front());
    u = arcs.front().to;
  }
  return Result({std::move(path), mu >> kHopBits});
}

}  // namespace

absl::StatusOr<std::optional<std::pair<std::vector<Arc>, int64_t>>>
LeastCostPath(PathGraph& g, NodeId s, NodeId t, int max_hops) {
  KG_ASSIGN_OR_RETURN(auto best, LeastWeightPath(g, s, t));
  // The least path overall is the least within the hop limit when it fits.
  if (!best || static_cast<int>(best->first.size()) <= max_hops) return best;
  return HopLimitedLeastCost(g, s, t, max_hops);
}

absl::Status NeighborhoodOf(PathGraph& g, NodeId center, int hops, size_t limit,
                            NeighborhoodIds* out) {
  absl::flat_hash_set<NodeId> nodes = {center};
  absl::flat_hash_set<NodeId> statements;
  out->nodes.push_back(center);
  std::vector<NodeId> frontier = {center};
  std::vector<Arc> arcs;
  for (int depth = 0; depth < hops && !frontier.empty(); ++depth) {
    std::vector<NodeId> next;
    for (NodeId u : frontier) {
      arcs.clear();
      absl::Status st = g.ArcsFrom(u, &arcs);
      if (!st.ok()) {
        if (g.budget().exhausted()) {
          out->truncated = true;
          return absl::OkStatus();
        }
        return st;
      }
      for (const Arc& arc : arcs) {
        const NodeId v = arc.to;
        const bool known = nodes.contains(v);
        if (known && statements.contains(arc.statement)) continue;
        if (!known) {
          KG_ASSIGN_OR_RETURN(bool passable, g.Passable(v));
          if (!passable) continue;
        }
        KG_ASSIGN_OR_RETURN(bool admitted, g.Admit(arc));
        if (!admitted) continue;
        if (!statements.contains(arc.statement)) {
          if (statements.size() >= limit) {
            out->truncated = true;
            return absl::OkStatus();
          }
          statements.insert(arc.statement);
          out->statements.push_back(arc.statement);
        }
        if (!known) {
          nodes.insert(v);
          out->nodes.push_back(v);
          next.push_back(v);
        }
      }
    }
    frontier = std::move(next);
  }
  return absl::OkStatus();
}

}  // namespace kg::query
