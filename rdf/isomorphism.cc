// Dataset isomorphism: ground quads compared as sets; blank nodes matched by
// colour refinement (each node's colour is refined by the colours of the
// quads it occurs in until the partition is stable), then by backtracking
// over the candidates of the smallest ambiguous colour, individualising one
// pair at a time. A complete mapping is always checked against the quads,
// so hash collisions can cost time but never give a wrong answer.
#include "rdf/isomorphism.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "rdf/term.h"

namespace kg::rdf {
namespace {

// A quad as text with holes for its blank nodes: pieces[0] b[0] pieces[1]
// b[1] ... pieces[n].
struct Template {
  std::vector<std::string> pieces;
  std::vector<int> blanks;             // node indices
  std::vector<uint64_t> piece_hashes;  // of pieces, for refinement
};

class Graph {
 public:
  // Adds the quads, once each.
  explicit Graph(const std::vector<Quad>& quads) {
    absl::flat_hash_set<std::string> seen;
    for (const Quad& q : quads) {
      Template t;
      t.pieces.emplace_back();
      AddTerm(q.subject, &t);
      AddTerm(q.predicate, &t);
      AddTerm(q.object, &t);
      if (q.graph.has_value()) AddTerm(*q.graph, &t);
      std::string key = Render(t, [&](int b) { return names_[b]; });
      if (!seen.insert(key).second) continue;
      if (t.blanks.empty()) {
        ground_.insert(std::move(key));
      } else {
        for (const std::string& piece : t.pieces) {
          t.piece_hashes.push_back(absl::HashOf(piece));
        }
        templates_.push_back(std::move(t));
      }
    }
    occurs_.resize(names_.size());
    for (size_t i = 0; i < templates_.size(); ++i) {
      for (int b : templates_[i].blanks) {
        if (occurs_[b].empty() || occurs_[b].back() != static_cast<int>(i)) {
          occurs_[b].push_back(static_cast<int>(i));
        }
      }
    }
  }

  template <typename Name>
  static std::string Render(const Template& t, Name name) {
    std::string s = t.pieces[0];
    for (size_t i = 0; i < t.blanks.size(); ++i) {
      s += name(t.blanks[i]);
      s += t.pieces[i + 1];
    }
    return s;
  }

  size_t size() const { return ground_.size() + templates_.size(); }
  size_t blank_count() const { return names_.size(); }
  const absl::flat_hash_set<std::string>& ground() const { return ground_; }
  const std::vector<Template>& templates() const { return templates_; }
  const std::vector<int>& occurs(int b) const { return occurs_[b]; }

 private:
  void AddTerm(const Term& term, Template* t) {
    std::string& text = t->pieces.back();
    switch (term.kind()) {
      case Term::Kind::kIri:
        absl::StrAppend(&text, "<", term.value(), "> ");
        return;
      case Term::Kind::kBlank: {
        auto [it, inserted] = ids_.emplace(term.value(), names_.size());
        if (inserted) names_.push_back("_:" + term.value());
        t->blanks.push_back(it->second);
        t->pieces.emplace_back(" ");
        return;
      }
      case Term::Kind::kLiteral:
        absl::StrAppend(&text, "\"", term.value().size(), ":", term.value(),
                        "\"", absl::AsciiStrToLower(term.language()), "/",
                        static_cast<int>(term.direction()), "^^<",
                        term.datatype(), "> ");
        return;
      case Term::Kind::kTriple:
        text += "<<( ";
        AddTerm(term.triple().subject, t);
        AddTerm(term.triple().predicate, t);
        AddTerm(term.triple().object, t);
        t->pieces.back() += ")>> ";
        return;
    }
  }

  absl::flat_hash_map<std::string, int> ids_;
  std::vector<std::string> names_;
  absl::flat_hash_set<std::string> ground_;
  std::vector<Template> templates_;
  std::vector<std::vector<int>> occurs_;
};

using Colours = std::vector<uint64_t>;

// One refinement round: a node's new colour hashes its colour with the
// sorted hashes of the quads it occurs in, seen from it (itself marked, the
// other blank nodes by their colours).
Colours RefineOnce(const Graph& g, const Colours& c) {
  constexpr uint64_t kSelf = 0x5e1f5e1f5e1f5e1fULL;
  Colours next(c.size());
  std::vector<uint64_t> sigs;
  for (size_t x = 0; x < c.size(); ++x) {
    sigs.clear();
    for (int qi : g.occurs(static_cast<int>(x))) {
      const Template& t = g.templates()[qi];
      uint64_t h = t.piece_hashes[0];
      for (size_t i = 0; i < t.blanks.size(); ++i) {
        const uint64_t b =
            t.blanks[i] == static_cast<int>(x) ? kSelf : c[t.blanks[i]];
        h = absl::HashOf(h, b, t.piece_hashes[i + 1]);
      }
      sigs.push_back(h);
    }
    std::sort(sigs.begin(), sigs.end());
    next[x] = absl::HashOf(c[x], sigs);
  }
  return next;
}

size_t DistinctCount(const Colours& c) {
  return absl::flat_hash_set<uint64_t>(c.begin(), c.end()).size();
}

bool SameMultiset(Colours a, Colours b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

// Refines both colourings together until A's partition stops growing.
// False when the two stop agreeing (no isomorphism respects the colours).
bool Refine(const Graph& ga, const Graph& gb, Colours* ca, Colours* cb) {
  size_t distinct = DistinctCount(*ca);
  while (true) {
    Colours na = RefineOnce(ga, *ca);
    Colours nb = RefineOnce(gb, *cb);
    if (!SameMultiset(na, nb)) return false;
    const size_t d = DistinctCount(na);
    *ca = std::move(na);
    *cb = std::move(nb);
    if (d == distinct) return true;
    distinct = d;
  }
}

// With all colours distinct: whether the mapping they define maps A's
// quads onto B's.
bool Verify(const Graph& ga, const Graph& gb, const Colours& ca,
            const Colours& cb) {
  absl::flat_hash_map<uint64_t, int> b_of;
  for (size_t i = 0; i < cb.size(); ++i) b_of[cb[i]] = static_cast<int>(i);
  absl::flat_hash_set<std::string> b_quads;
  for (const Template& t : gb.templates()) {
    b_quads.insert(Graph::Render(t, [](int b) { return absl::StrCat(b); }));
  }
  for (const Template& t : ga.templates()) {
    const std::string s =
        Graph::Render(t, [&](int a) { return absl::StrCat(b_of.at(ca[a])); });
    if (!b_quads.contains(s)) return false;
  }
  return true;
}

bool Search(const Graph& ga, const Graph& gb, Colours ca, Colours cb,
            int depth) {
  if (!Refine(ga, gb, &ca, &cb)) return false;
  // The smallest colour class with more than one node.
  absl::flat_hash_map<uint64_t, int> count;
  for (uint64_t c : ca) ++count[c];
  uint64_t pick = 0;
  int best = 0;
  for (const auto& [c, n] : count) {
    if (n > 1 && (best == 0 || n < best || (n == best && c < pick))) {
      pick = c;
      best = n;
    }
  }
  if (best == 0) return Verify(ga, gb, ca, cb);
  // First a guess that is right whenever the ambiguous nodes are
  // interchangeable (many `[]` of one shape): pair every class's nodes in
  // order, all at once. Only a verified mapping counts, so a wrong guess
  // just falls through to the search.
  {
    Colours ga2 = ca;
    Colours gb2 = cb;
    absl::flat_hash_map<uint64_t, int> next_a, next_b;
    for (size_t i = 0; i < ga2.size(); ++i) {
      if (count[ca[i]] > 1) {
        ga2[i] = absl::HashOf(ca[i], next_a[ca[i]]++, depth, 0x6e55);
      }
      if (count[cb[i]] > 1) {
        gb2[i] = absl::HashOf(cb[i], next_b[cb[i]]++, depth, 0x6e55);
      }
    }
    if (Refine(ga, gb, &ga2, &gb2) && DistinctCount(ga2) == ga2.size() &&
        Verify(ga, gb, ga2, gb2)) {
      return true;
    }
  }
  const auto a = std::find(ca.begin(), ca.end(), pick) - ca.begin();
  const uint64_t mark = absl::HashOf(pick, depth, 0x1d1d);
  for (size_t b = 0; b < cb.size(); ++b) {
    if (cb[b] != pick) continue;
    Colours na = ca;
    Colours nb = cb;
    na[a] = mark;
    nb[b] = mark;
    if (Search(ga, gb, std::move(na), std::move(nb), depth + 1)) return true;
  }
  return false;
}

}  // namespace

bool Isomorphic(const std::vector<Quad>& a, const std::vector<Quad>& b,
                std::string* why) {
  auto fail = [&](std::string reason) {
    if (why != nullptr) *why = std::move(reason);
    return false;
  };
  const Graph ga(a);
  const Graph gb(b);
  if (ga.size() != gb.size()) {
    return fail(absl::StrCat("the first has ", ga.size(),
                             " distinct quads, the second ", gb.size()));
  }
  for (const std::string& q : ga.ground()) {
    if (!gb.ground().contains(q)) {
      return fail("only the first has the quad " + q);
    }
  }
  for (const std::string& q : gb.ground()) {
    if (!ga.ground().contains(q)) {
      return fail("only the second has the quad " + q);
    }
  }
  if (ga.blank_count() != gb.blank_count()) {
    return fail(absl::StrCat("the first has ", ga.blank_count(),
                             " blank nodes, the second ", gb.blank_count()));
  }
  if (!Search(ga, gb, Colours(ga.blank_count(), 0),
              Colours(gb.blank_count(), 0), 0)) {
    return fail(
        "the quads with blank nodes differ (no mapping of blank nodes "
        "makes them equal)");
  }
  return true;
}

}  // namespace kg::rdf
