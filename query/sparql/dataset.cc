#include "query/sparql/dataset.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace kg::sparql {
std::string TermKey(const rdf::Term& term) {
  if (term.is_literal() && !term.language().empty()) {
    rdf::Term lowered = rdf::Term::Literal(
        term.value(), "", absl::AsciiStrToLower(term.language()),
        term.direction());
    return rdf::ToNTriples(lowered);
  }
  return rdf::ToNTriples(term);
}

Id MemoryDataset::Intern(const rdf::Term& term) {
  const std::string key = TermKey(term);
  auto it = ids_.find(key);
  if (it != ids_.end()) return it->second;
  Triple parts{0, 0, 0};
  if (term.is_triple()) {
    parts.s = Intern(term.triple().subject);
    parts.p = Intern(term.triple().predicate);
    parts.o = Intern(term.triple().object);
  }
  terms_.push_back(term);
  const Id id = terms_.size();
  ids_.emplace(key, id);
  if (term.is_triple()) triple_terms_.emplace(id, parts);
  return id;
}

MemoryDataset::Graph& MemoryDataset::GraphAt(Id graph) {
  auto [it, inserted] = graphs_.try_emplace(graph);
  if (inserted && graph != kDefaultGraph) named_.push_back(graph);
  return it->second;
}

void MemoryDataset::AddNamedGraph(const rdf::Term& name) {
  GraphAt(Intern(name));
}

void MemoryDataset::Add(const rdf::Quad& quad) {
  const Id g = quad.graph.has_value() ? Intern(*quad.graph) : kDefaultGraph;
  const Triple t{Intern(quad.subject), Intern(quad.predicate),
                 Intern(quad.object)};
  Graph& graph = GraphAt(g);
  if (!graph.seen.emplace(absl::StrCat(t.s, " ", t.p, " ", t.o), true).second) {
    return;
  }
  const auto index = static_cast<uint32_t>(graph.triples.size());
  graph.triples.push_back(t);
  graph.by_s[t.s].push_back(index);
  graph.by_p[t.p].push_back(index);
  graph.by_o[t.o].push_back(index);
}

Id MemoryDataset::Lookup(const rdf::Term& term) {
  auto it = ids_.find(TermKey(term));
  return it == ids_.end() ? 0 : it->second;
}

rdf::Term MemoryDataset::TermOf(Id id) { return terms_[id - 1]; }

bool MemoryDataset::TripleOf(Id id, Id* s, Id* p, Id* o) {
  auto it = triple_terms_.find(id);
  if (it == triple_terms_.end()) return false;
  *s = it->second.s;
  *p = it->second.p;
  *o = it->second.o;
  return true;
}

void MemoryDataset::Match(Id graph, Id s, Id p, Id o,
                          const std::function<bool(Id, Id, Id)>& fn) {
  auto g = graphs_.find(graph);
  if (g == graphs_.end()) return;
  const Graph& data = g->second;
  // The smallest index among the bound positions; all triples when none.
  const std::vector<uint32_t>* rows = nullptr;
  auto narrow =
      [&](Id id, const absl::flat_hash_map<Id, std::vector<uint32_t>>& index) {
        if (id == 0) return true;
        auto it = index.find(id);
        if (it == index.end()) return false;
        if (rows == nullptr || it->second.size() < rows->size())
          rows = &it->second;
        return true;
      };
  if (!narrow(s, data.by_s) || !narrow(p, data.by_p) || !narrow(o, data.by_o)) {
    return;
  }
  auto visit = [&](const Triple& t) {
    if ((s != 0 && t.s != s) || (p != 0 && t.p != p) || (o != 0 && t.o != o)) {
      return true;
    }
    return fn(t.s, t.p, t.o);
  };
  if (rows == nullptr) {
    for (const Triple& t : data.triples) {
      if (!visit(t)) return;
    }
    return;
  }
  for (uint32_t i : *rows) {
    if (!visit(data.triples[i])) return;
  }
}

std::vector<Id> MemoryDataset::NamedGraphs() { return named_; }

uint64_t MemoryDataset::Estimate(Id graph, Id s, Id p, Id o) {
  auto it = graphs_.find(graph);
  if (it == graphs_.end()) return 0;
  const Graph& g = it->second;
  uint64_t n = g.triples.size();
  for (auto [id, index] :
       {std::pair{s, &g.by_s}, std::pair{p, &g.by_p}, std::pair{o, &g.by_o}}) {
    if (id == 0) continue;
    auto at = index->find(id);
    n = std::min<uint64_t>(n, at == index->end() ? 0 : at->second.size());
  }
  return n;
}

}  // namespace kg::sparql
