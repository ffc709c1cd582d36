#include "query/path_search.h"

#include <algorithm>
#include <climits>
#include <functional>
#include <limits>
#include <numeric>
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

// The path of least weight (cost, then hops) of at most `max_hops` hops,
// searched from both ends at once; ties by keys.
//
// Each side grows *labels* (node, hops, cost) one layer of hops at a time,
// from its end (s forward, t backward): a label holds the least cost of
// the walks of that many hops between the end and its node, and every arc
// that gives it that cost. A label is dropped when one of its node with
// fewer hops costs no more (no least path has such a prefix). Each step
// expands the layer of the side whose labels to expand have fewer stored
// edges (as ShortestPath does), in weight order, until the two sides'
// layers add up to `max_hops`; a label of one side and a label of the
// other on the same node (or at the two ends of an arc) make a path, the
// lightest so far bounds the rest. A label is not expanded, nor made,
// when its weight and a lower bound on the rest (Rest) are beyond that
// bound, which spares most admissions and cost reads. A label whose hops
// and the other side's layers add up to the limit is never expanded, and
// the other side already has every label it could pair with: it is not
// stored, only paired. In the end the lightest pairs, with the labels'
// arcs back to each end, hold the DAG of least paths, and a greedy walk
// picks the least key at each step, as in ShortestPath.
class HopBoundedSearch {
 public:
  HopBoundedSearch(PathGraph& g, NodeId s, NodeId t, int max_hops)
      : g_(g), max_hops_(max_hops), fwd_(s, true), bwd_(t, false) {}

  absl::StatusOr<std::optional<std::pair<std::vector<Arc>, int64_t>>> Run();

 private:
  // A path's weight is its cost times 64 plus its hops (< 64), so that one
  // integer orders paths by cost, then hops.
  static constexpr int kHopBits = 6;
  static_assert(kMaxHops < (1 << kHopBits));
  // Beyond any weight: no path can be light enough.
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::max() / 4;

  struct Label {
    NodeId node;
    int hops;
    int64_t cost;
    int next_at;  // the next label of the same node, -1 for none
    int links;    // the first link, -1 for none
  };
  // An arc that gives a label its cost, from the label `from` of the same
  // side at the arc's other end; the links of a label form a list.
  struct Link {
    Arc arc;
    int from;
    int next;
  };
  struct Side {
    Side(NodeId root_node, bool is_forward)
        : root(root_node), forward(is_forward) {
      labels.push_back({root, 0, 0, -1, -1});
      at[root] = 0;
      frontier.push_back(0);
    }
    NodeId root;
    bool forward;
    std::vector<Label> labels;  // the root's first
    std::vector<Link> links;
    absl::flat_hash_map<NodeId, int> at;  // node -> its first label
    int depth = 0;                        // layers expanded
    std::vector<int> frontier;            // the labels of `depth` hops
    int64_t frontier_min = 0;             // their least weight, or kNever
  };
  // A forward label and a backward label that make a path: of the same
  // node, or (`bridge`) at the two ends of `arc`.
  struct Meeting {
    int f;
    int b;
    bool bridge;
    Arc arc;
    int64_t arc_cost;
  };

  static int64_t Weight(const Label& l) {
    return (l.cost << kHopBits) + l.hops;
  }
  // The weight of the path, with the labels' costs as they are now.
  int64_t WeightOf(const Meeting& m) const {
    int64_t w = Weight(fwd_.labels[m.f]) + Weight(bwd_.labels[m.b]);
    if (m.bridge) w += (m.arc_cost << kHopBits) + 1;
    return w;
  }
  // The first label of `v` on side `y`, -1 for none.
  static int Head(const Side& y, NodeId v) {
    auto it = y.at.find(v);
    return it == y.at.end() ? -1 : it->second;
  }
  // A lower bound on the weight of the rest of a path whose label on the
  // other side has `hops` hops and ends at a node whose labels on side `y`
  // start at `y_head`; kNever when no rest fits. Side y has every label of
  // at most y.depth hops that may matter, so a rest that fits in as many
  // hops is no lighter than one of them; a longer rest ends with y.depth
  // hops from a node whose label of y.depth hops (or one of fewer hops,
  // by induction) is no heavier, after at least one more arc. (Labels
  // left out for their weight lead only to paths beyond the bound.)
  int64_t Rest(const Side& y, int y_head, int hops) const {
    const int left = max_hops_ - hops;
    int64_t rest =
        left > y.depth && y.frontier_min < kNever ? y.frontier_min + 1 : kNever;
    for (int k = y_head; k >= 0; k = y.labels[k].next_at) {
      if (y.labels[k].hops <= left) rest = std::min(rest, Weight(y.labels[k]));
    }
    return rest;
  }
  // Whether a path of `weight` so far and at least `rest` to come is
  // heavier than the lightest found.
  bool Beyond(int64_t weight, int64_t rest) const {
    return rest >= kNever || weight + rest > mu_;
  }
  // The stored edges of the frontier labels of `x` worth expanding, plus
  // one per label (a node without stored edges may have arcs: a statement
  // node's parts), counted no further than past `stop_above`.
  uint64_t FrontierEdges(const Side& x, const Side& y, uint64_t stop_above);
  absl::Status ExpandLayer(Side& x, Side& y);
  absl::Status Expand(Side& x, Side& y, int li);
  void Meet(const Meeting& m);
  absl::StatusOr<std::optional<std::pair<std::vector<Arc>, int64_t>>> Walk();

  PathGraph& g_;
  const int max_hops_;
  Side fwd_;
  Side bwd_;
  int64_t mu_ = std::numeric_limits<int64_t>::max();  // the lightest path
  std::vector<Meeting> meetings_;  // the pairs that were the lightest
  std::vector<Arc> arcs_;
};

uint64_t HopBoundedSearch::FrontierEdges(const Side& x, const Side& y,
                                         uint64_t stop_above) {
  uint64_t sum = 0;
  for (int li : x.frontier) {
    const Label& l = x.labels[li];
    if (Beyond(Weight(l), Rest(y, Head(y, l.node), l.hops))) continue;
    sum += g_.Degree(l.node) + 1;
    if (sum > stop_above) break;
  }
  return sum;
}

void HopBoundedSearch::Meet(const Meeting& m) {
  const int64_t w = WeightOf(m);
  if (w > mu_) return;
  mu_ = w;
  meetings_.push_back(m);
}

absl::Status HopBoundedSearch::ExpandLayer(Side& x, Side& y) {
  std::vector<int> layer = std::move(x.frontier);
  x.frontier.clear();
  // The lighter labels first: the paths they find bound the rest.
  std::stable_sort(layer.begin(), layer.end(), [&](int a, int b) {
    return Weight(x.labels[a]) < Weight(x.labels[b]);
  });
  for (int li : layer) {
    const Label& l = x.labels[li];
    if (Beyond(Weight(l), Rest(y, Head(y, l.node), l.hops))) continue;
    KG_RETURN_IF_ERROR(Expand(x, y, li));
  }
  ++x.depth;
  x.frontier_min = kNever;
  for (int li : x.frontier) {
    x.frontier_min = std::min(x.frontier_min, Weight(x.labels[li]));
  }
  return absl::OkStatus();
}

absl::Status HopBoundedSearch::Expand(Side& x, Side& y, int li) {
  const Label from = x.labels[li];  // a copy: labels grow below
  const int hops = from.hops + 1;
  // Whether labels of `hops` hops are stored: this side may expand them,
  // or the other side reach their nodes later with few enough hops.
  const bool keep = hops + y.depth < max_hops_;
  const int64_t least = (from.cost << kHopBits) + hops;  // whatever the arc
  const auto step = [&](const Arc& arc) -> absl::Status {
    const NodeId v = x.forward ? arc.to : arc.from;
    if (v == x.root) return absl::OkStatus();
    // A label of the other end, or one not stored, is only paired.
    const bool end = v == y.root;
    const int y_head = Head(y, v);
    if ((end || !keep) && y_head < 0) return absl::OkStatus();
    const int64_t rest = Rest(y, y_head, hops);
    if (Beyond(least, rest)) return absl::OkStatus();
    if (keep && !end) {
      // A label of v with no more hops that costs less, or as much with
      // fewer hops, than `from` does better than any this arc could give.
      for (int k = Head(x, v); k >= 0; k = x.labels[k].next_at) {
        const Label& o = x.labels[k];
        if (o.cost <= from.cost && o.hops <= hops &&
            (o.hops < hops || o.cost < from.cost)) {
          return absl::OkStatus();
        }
      }
    }
    if (!end) {
      KG_ASSIGN_OR_RETURN(bool passable, g_.Passable(v));
      if (!passable) return absl::OkStatus();
    }
    KG_ASSIGN_OR_RETURN(bool admitted, g_.Admit(arc));
    if (!admitted) return absl::OkStatus();
    KG_ASSIGN_OR_RETURN(int64_t arc_cost, g_.CostOf(arc));
    const int64_t cost = from.cost + arc_cost;
    // Every pair fits in max_hops: while x expands a layer, the two
    // sides' layers add up to less, and y has no label of more hops than
    // its layers.
    if (end || !keep) {
      for (int k = y_head; k >= 0; k = y.labels[k].next_at) {
        Meet(x.forward ? Meeting{li, k, true, arc, arc_cost}
                       : Meeting{k, li, true, arc, arc_cost});
      }
      return absl::OkStatus();
    }
    if (Beyond((cost << kHopBits) + hops, rest)) return absl::OkStatus();
    auto [it, inserted] = x.at.try_emplace(v, -1);
    int same = -1;  // v's label of `hops` hops
    for (int k = it->second; k >= 0; k = x.labels[k].next_at) {
      const Label& o = x.labels[k];
      if (o.hops == hops) {
        same = k;
      } else if (o.hops < hops && o.cost <= cost) {
        return absl::OkStatus();
      }
    }
    if (same >= 0 && x.labels[same].cost < cost) return absl::OkStatus();
    const int link = static_cast<int>(x.links.size());
    if (same >= 0 && x.labels[same].cost == cost) {
      // Another arc to the same cost; the label's pairs are known.
      x.links.push_back({arc, li, x.labels[same].links});
      x.labels[same].links = link;
      return absl::OkStatus();
    }
    x.links.push_back({arc, li, -1});
    if (same >= 0) {
      // Cheaper with as many hops: the label's arcs so far go.
      x.labels[same].cost = cost;
      x.labels[same].links = link;
    } else {
      same = static_cast<int>(x.labels.size());
      x.labels.push_back({v, hops, cost, it->second, link});
      it->second = same;
      x.frontier.push_back(same);
    }
    for (int k = y_head; k >= 0; k = y.labels[k].next_at) {
      Meet(x.forward ? Meeting{same, k, false, Arc{}, 0}
                     : Meeting{k, same, false, Arc{}, 0});
    }
    return absl::OkStatus();
  };
  if (g_.can_visit_arcs()) {
    absl::Status failed;
    KG_RETURN_IF_ERROR(g_.VisitArcs(from.node, /*into=*/!x.forward,
                                    /*charge=*/true, [&](const Arc& arc) {
                                      if (failed.ok()) failed = step(arc);
                                    }));
    return failed;
  }
  arcs_.clear();
  if (x.forward) {
    KG_RETURN_IF_ERROR(g_.ArcsFrom(from.node, &arcs_));
  } else {
    KG_RETURN_IF_ERROR(g_.ArcsInto(from.node, &arcs_));
  }
  for (const Arc& arc : arcs_) KG_RETURN_IF_ERROR(step(arc));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::pair<std::vector<Arc>, int64_t>>>
HopBoundedSearch::Run() {
  while (fwd_.depth + bwd_.depth < max_hops_) {
    // A side with no label worth expanding has found all it can: every
    // path light enough has its labels up to that side's layers, and its
    // last arc was walked from one of them.
    const uint64_t fwd_edges =
        FrontierEdges(fwd_, bwd_, std::numeric_limits<uint64_t>::max());
    if (fwd_edges == 0) break;
    // Both ends first; then the side whose layer costs less, counting the
    // backward one no further than past the forward one.
    const bool roots = fwd_.depth == 0 || bwd_.depth == 0;
    const uint64_t bwd_edges = FrontierEdges(bwd_, fwd_, roots ? 0 : fwd_edges);
    if (bwd_edges == 0) break;
    const bool forward = roots ? fwd_.depth == 0 : fwd_edges <= bwd_edges;
    if (forward) {
      KG_RETURN_IF_ERROR(ExpandLayer(fwd_, bwd_));
    } else {
      KG_RETURN_IF_ERROR(ExpandLayer(bwd_, fwd_));
    }
  }
  if (mu_ == std::numeric_limits<int64_t>::max()) {
    return std::optional<std::pair<std::vector<Arc>, int64_t>>();
  }
  return Walk();
}

absl::StatusOr<std::optional<std::pair<std::vector<Arc>, int64_t>>>
HopBoundedSearch::Walk() {
  // The DAG of least paths: the labels of the lightest pairs, and those
  // their links lead back to (forward labels to s, backward ones to t).
  std::vector<char> on_fwd(fwd_.labels.size(), 0);
  std::vector<char> on_bwd(bwd_.labels.size(), 0);
  // Per forward label of the DAG, the arcs on along a least path.
  absl::flat_hash_map<int, std::vector<Arc>> next;
  std::vector<int> stack_f;
  std::vector<int> stack_b;
  for (const Meeting& m : meetings_) {
    if (WeightOf(m) != mu_) continue;
    if (!on_fwd[m.f]) {
      on_fwd[m.f] = 1;
      stack_f.push_back(m.f);
    }
    if (!on_bwd[m.b]) {
      on_bwd[m.b] = 1;
      stack_b.push_back(m.b);
    }
    if (m.bridge) next[m.f].push_back(m.arc);
  }
  while (!stack_f.empty()) {
    const int li = stack_f.back();
    stack_f.pop_back();
    for (int k = fwd_.labels[li].links; k >= 0; k = fwd_.links[k].next) {
      const Link& link = fwd_.links[k];
      next[link.from].push_back(link.arc);
      if (!on_fwd[link.from]) {
        on_fwd[link.from] = 1;
        stack_f.push_back(link.from);
      }
    }
  }
  while (!stack_b.empty()) {
    const int li = stack_b.back();
    stack_b.pop_back();
    for (int k = bwd_.labels[li].links; k >= 0; k = bwd_.links[k].next) {
      const int from = bwd_.links[k].from;
      if (!on_bwd[from]) {
        on_bwd[from] = 1;
        stack_b.push_back(from);
      }
    }
  }
  // The label of `v` with `hops` hops if it is on the DAG, else -1.
  const auto on_dag = [](const Side& side, const std::vector<char>& on,
                         NodeId v, int hops) {
    for (int k = Head(side, v); k >= 0; k = side.labels[k].next_at) {
      if (side.labels[k].hops == hops) return on[k] ? k : -1;
    }
    return -1;
  };
  // Greedy walk: at each node, the least key among the arcs that stay on a
  // least path: those on from the node's forward label, and those of its
  // backward label, with the hops walked and left (every least path has
  // the same hops).
  const int hops = static_cast<int>(mu_ & ((1 << kHopBits) - 1));
  std::vector<Arc> path;
  NodeId u = fwd_.root;
  int f = 0;
  int b = -1;  // an end has no label on the other side: it is only paired
  while (u != bwd_.root) {
    arcs_.clear();
    if (f >= 0) {
      auto it = next.find(f);
      if (it != next.end()) arcs_ = it->second;
    }
    if (b >= 0) {
      for (int k = bwd_.labels[b].links; k >= 0; k = bwd_.links[k].next) {
        arcs_.push_back(bwd_.links[k].arc);
      }
    }
    if (arcs_.empty() || static_cast<int>(path.size()) >= hops) {
      return absl::InternalError("least-cost path DAG is broken");
    }
    KG_RETURN_IF_ERROR(SortByKey(g_, &arcs_));
    path.push_back(arcs_.front());
    u = arcs_.front().to;
    const int walked = static_cast<int>(path.size());
    f = on_dag(fwd_, on_fwd, u, walked);
    b = on_dag(bwd_, on_bwd, u, hops - walked);
  }
  if (static_cast<int>(path.size()) != hops) {
    return absl::InternalError("least-cost path has the wrong length");
  }
  return std::optional<std::pair<std::vector<Arc>, int64_t>>(
      {std::move(path), mu_ >> kHopBits});
}

}  // namespace

absl::StatusOr<std::optional<std::pair<std::vector<Arc>, int64_t>>>
LeastCostPath(PathGraph& g, NodeId s, NodeId t, int max_hops) {
  // The search pairs labels of two different roots.
  if (s == t) {
    return std::optional<std::pair<std::vector<Arc>, int64_t>>(
        {std::vector<Arc>(), 0});
  }
  return HopBoundedSearch(g, s, t, max_hops).Run();
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
