// Path queries (query/path.h) on real stores: every mode against a
// brute-force reference on random graphs, and the contracts one by one
// (support, contested, claim walks, determinism, budget, cancellation, time
// travel, errors, neighbourhoods).
#include "query/path.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/model.h"
#include "storage/store.h"
#include "tests/support/test_util.h"

namespace kg::query {
namespace {

using ::kg::testing::IsOk;
using ::kg::testing::StatusIs;
using storage::Date;
using storage::Document;
using storage::Entity;
using storage::Polarity;
using storage::ProvenanceInput;
using storage::Relation;
using storage::StatementIdOf;
using storage::StatementInput;
using storage::Store;
using storage::StoreOptions;
using storage::Term;
using storage::TermValue;
using storage::Triple;
using storage::ValidTime;
using storage::WriteBatch;
using ::testing::HasSubstr;

constexpr char kText[] =
    "One thing happened. Another thing happened. A third thing happened.";
const char* const kSentences[] = {"One thing happened.",
                                  "Another thing happened.",
                                  "A third thing happened."};

// A record quoting sentence `n` of kText (ASCII: code points are bytes).
ProvenanceInput Evidence(const std::string& doc, int n, double confidence = 1.0,
                         ValidTime valid = {}) {
  const std::string text(kText);
  ProvenanceInput p;
  p.document_id = doc;
  p.evidence = kSentences[n];
  p.evidence_start = static_cast<uint32_t>(text.find(kSentences[n]));
  p.evidence_end = p.evidence_start + static_cast<uint32_t>(p.evidence.size());
  p.confidence = confidence;
  p.valid_time = valid;
  return p;
}

Date D(int y, int m = 0, int d = 0) { return Date{y, m, d}; }

// The spec's node keys, written independently of the engine's.
std::string KeyOfTerm(const Term& t) {
  switch (t.kind()) {
    case Term::Kind::kEntity:
      return "E" + t.id();
    case Term::Kind::kLiteral:
      return absl::StrCat("L", static_cast<int>(t.literal().type),
                          t.literal().lexical);
    case Term::Kind::kStatement:
      return "S" + (t.triple() ? StatementIdOf(*t.triple()) : t.id());
    case Term::Kind::kIri:
      return "I" + t.id();
    case Term::Kind::kBlank:
      return "B" + t.id();
  }
  return "";
}

std::string KeyOfValue(const TermValue& v) {
  switch (v.kind) {
    case Term::Kind::kEntity:
      return "E" + v.id;
    case Term::Kind::kLiteral:
      return absl::StrCat("L", static_cast<int>(v.literal.type),
                          v.literal.lexical);
    case Term::Kind::kStatement:
      return "S" + v.id;
    case Term::Kind::kIri:
      return "I" + v.id;
    case Term::Kind::kBlank:
      return "B" + v.id;
  }
  return "";
}

Term TermOfKey(const std::string& key) {
  if (key[0] == 'E') return Term::Entity(key.substr(1));
  if (key[0] == 'L') {
    return Term::Literal(static_cast<storage::LiteralType>(key[1] - '0'),
                         key.substr(2));
  }
  return Term::StatementId(key.substr(1));
}

// A hop as the tests compare it: from, to, statement id, kind.
using HopTuple = std::tuple<std::string, std::string, std::string, int>;
using PathTuples = std::vector<HopTuple>;

PathTuples TuplesOf(const Path& p) {
  PathTuples out;
  for (const Hop& h : p.hops) {
    out.emplace_back(KeyOfValue(h.from.term), KeyOfValue(h.to.term),
                     h.statement.id, static_cast<int>(h.kind));
  }
  return out;
}

std::vector<PathTuples> TuplesOf(const std::vector<Path>& paths) {
  std::vector<PathTuples> out;
  for (const Path& p : paths) out.push_back(TuplesOf(p));
  return out;
}

std::string Show(const PathTuples& p) {
  std::string out;
  for (const auto& [from, to, st, kind] : p) {
    absl::StrAppend(&out, from, " -[", st.substr(0, 7), "/", kind, "]-> ", to,
                    "; ");
  }
  return out.empty() ? "(empty)" : out;
}

std::string Show(const std::vector<PathTuples>& paths) {
  std::string out;
  for (const PathTuples& p : paths) absl::StrAppend(&out, "  ", Show(p), "\n");
  return out;
}

// ---------------------------------------------------------------------------
// The model: what the random test wrote, with every record's times.

struct MRecord {
  std::string doc;
  double confidence = 1;
  ValidTime valid;
  absl::Time recorded;
  std::optional<absl::Time> retracted;
};

struct MStatement {
  Triple triple;
  std::string id;
  std::string subject;  // node keys
  std::string object;
  std::vector<MRecord> records;
};

struct Model {
  std::map<std::string, std::string> entity_type;  // id -> type
  std::map<std::string, bool> symmetric;
  std::map<std::string, Polarity> polarity;
  std::map<std::string, std::optional<Date>> published;
  std::vector<MStatement> statements;
  std::map<std::string, size_t> by_id;

  MStatement& Get(const Triple& t) {
    const std::string id = StatementIdOf(t);
    auto it = by_id.find(id);
    if (it != by_id.end()) return statements[it->second];
    MStatement st;
    st.triple = t;
    st.id = id;
    st.subject = KeyOfTerm(t.subject);
    st.object = KeyOfTerm(t.object);
    by_id[id] = statements.size();
    statements.push_back(std::move(st));
    return statements.back();
  }
};

// ---------------------------------------------------------------------------
// The brute-force reference: the walkable arcs computed from the model by
// the rules of docs/query.md, then plain enumeration.

struct RefArc {
  std::string from, to, statement, relation;
  HopKind kind;
  int64_t cost;  // micro-units of -ln(confidence)
};

class Reference {
 public:
  Reference(const Model& m, const PathOptions& o) : m_(m), o_(o) {
    for (const MStatement& st : m.statements) Walk(st);
  }

  bool Passable(const std::string& key) const {
    if (key[0] == 'E') {
      return o_.allowed_entity_types.empty() ||
             Contains(o_.allowed_entity_types,
                      m_.entity_type.at(key.substr(1)));
    }
    if (key[0] == 'L') return o_.allowed_entity_types.empty();
    return o_.walk_claims;
  }

  // Every simple path of at most max_hops hops (arc indices), in result
  // order: hops, then keys.
  std::vector<std::vector<int>> AllSimple(const std::string& s,
                                          const std::string& t) const {
    std::vector<std::vector<int>> out;
    if (s == t) return {{}};
    std::vector<int> path;
    std::set<std::string> on_path = {s};
    Dfs(s, t, &path, &on_path, &out);
    std::sort(out.begin(), out.end(), [&](const auto& a, const auto& b) {
      if (a.size() != b.size()) return a.size() < b.size();
      return Keys(a) < Keys(b);
    });
    return out;
  }

  PathTuples Tuples(const std::vector<int>& path) const {
    PathTuples out;
    for (int i : path) {
      const RefArc& a = arcs_[i];
      out.emplace_back(a.from, a.to, a.statement, static_cast<int>(a.kind));
    }
    return out;
  }

  int64_t Cost(const std::vector<int>& path) const {
    int64_t c = 0;
    for (int i : path) c += arcs_[i].cost;
    return c;
  }

  // The least path in (cost, hops, keys) order, or nullptr.
  const std::vector<int>* Cheapest(
      const std::vector<std::vector<int>>& all) const {
    const std::vector<int>* best = nullptr;
    for (const auto& p : all) {
      if (best == nullptr || Cost(p) < Cost(*best) ||
          (Cost(p) == Cost(*best) &&
           (p.size() < best->size() ||
            (p.size() == best->size() && Keys(p) < Keys(*best))))) {
        best = &p;
      }
    }
    return best;
  }

  bool HasArc(const HopTuple& h) const {
    for (const RefArc& a : arcs_) {
      if (std::make_tuple(a.from, a.to, a.statement,
                          static_cast<int>(a.kind)) == h) {
        return true;
      }
    }
    return false;
  }

  // Breadth-first neighbourhood: node keys and statement ids.
  std::pair<std::set<std::string>, std::set<std::string>> Neighborhood(
      const std::string& center, int hops) const {
    std::set<std::string> nodes = {center};
    std::set<std::string> statements;
    std::vector<std::string> frontier = {center};
    for (int d = 0; d < hops; ++d) {
      std::vector<std::string> next;
      for (const std::string& u : frontier) {
        auto it = out_.find(u);
        if (it == out_.end()) continue;
        for (int i : it->second) {
          const RefArc& a = arcs_[i];
          const bool known = nodes.contains(a.to);
          if (!known && !Passable(a.to)) continue;
          statements.insert(a.statement);
          if (!known) {
            nodes.insert(a.to);
            next.push_back(a.to);
          }
        }
      }
      frontier = std::move(next);
    }
    return {nodes, statements};
  }

  // What the hop of a statement shows (the view only).
  struct Shown {
    bool contested;
    uint32_t records, documents, supporting, opposing;
  };
  Shown Show(const std::string& id) const {
    const MStatement& st = m_.statements[m_.by_id.at(id)];
    Shown s{};
    std::set<std::string> docs;
    for (const MRecord& r : st.records) {
      if (!InView(r)) continue;
      ++s.records;
      docs.insert(r.doc);
    }
    s.documents = static_cast<uint32_t>(docs.size());
    for (const MStatement& c : m_.statements) {
      const Polarity p = m_.polarity.at(c.triple.relation);
      if (p == Polarity::kNone || c.object != "S" + id) continue;
      bool any = false;
      for (const MRecord& r : c.records) any = any || InView(r);
      if (!any) continue;
      ++(p == Polarity::kSupports ? s.supporting : s.opposing);
    }
    s.contested = s.supporting > 0 && s.opposing > 0;
    return s;
  }

  // Nodes some path from `s` reaches within max_hops (s excluded).
  std::vector<std::string> Reachable(const std::string& s) const {
    std::set<std::string> seen = {s};
    std::vector<std::string> frontier = {s};
    std::vector<std::string> out;
    for (int d = 0; d < o_.max_hops; ++d) {
      std::vector<std::string> next;
      for (const std::string& u : frontier) {
        if (u != s && !Passable(u)) continue;
        auto it = out_.find(u);
        if (it == out_.end()) continue;
        for (int i : it->second) {
          if (seen.insert(arcs_[i].to).second) {
            next.push_back(arcs_[i].to);
            out.push_back(arcs_[i].to);
          }
        }
      }
      frontier = std::move(next);
    }
    return out;
  }

 private:
  static bool Contains(const std::vector<std::string>& v,
                       const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  }

  bool InView(const MRecord& r) const {
    if (o_.as_of.recorded_at) {
      const absl::Time t = *o_.as_of.recorded_at;
      if (!(r.recorded <= t && (!r.retracted || *r.retracted > t))) {
        return false;
      }
    } else if (r.retracted) {
      return false;
    }
    if (o_.as_of.reported_by) {
      const std::optional<Date>& p = m_.published.at(r.doc);
      if (!p || p->LastDay() > o_.as_of.reported_by->LastDay()) return false;
    }
    return true;
  }

  bool Qualifies(const MRecord& r) const {
    if (!InView(r) || r.confidence < o_.min_confidence) return false;
    if (!o_.only_documents.empty() && !Contains(o_.only_documents, r.doc)) {
      return false;
    }
    const ValidTime& w = o_.valid_time;
    if (w.end && r.valid.start && r.valid.start->FirstDay() > w.end->LastDay())
      return false;
    if (w.start && r.valid.end && r.valid.end->LastDay() < w.start->FirstDay())
      return false;
    return true;
  }

  // Best qualifying confidence, or -1.
  double Best(const MStatement& st) const {
    double best = -1;
    for (const MRecord& r : st.records) {
      if (Qualifies(r)) best = std::max(best, r.confidence);
    }
    return best;
  }

  bool Claimant(const std::string& key) const {
    return key[0] == 'E' && Contains(o_.only_claimants, key.substr(1));
  }

  void Walk(const MStatement& st) {
    const std::string& rel = st.triple.relation;
    if (!o_.allowed_relations.empty() && !Contains(o_.allowed_relations, rel))
      return;
    if (Contains(o_.excluded_relations, rel)) return;
    // An opposing claim connects nothing unless opposition is asked for.
    if (m_.polarity.at(rel) == Polarity::kOpposes && !o_.include_opposed) {
      return;
    }
    const double own = Best(st);
    double claimed = -1;
    int supporting = 0, opposing = 0;
    for (const MStatement& c : m_.statements) {
      const Polarity p = m_.polarity.at(c.triple.relation);
      if (p == Polarity::kNone || c.object != "S" + st.id) continue;
      const double conf = Best(c);
      if (conf < 0) continue;
      if (p == Polarity::kSupports) {
        if (!o_.only_claimants.empty() && !Claimant(c.subject)) continue;
        ++supporting;
        claimed = std::max(claimed, conf);
      } else {
        ++opposing;
      }
    }
    bool own_counts = own >= 0;
    if (own_counts && !o_.only_claimants.empty()) {
      own_counts =
          m_.polarity.at(rel) != Polarity::kNone && Claimant(st.subject);
    }
    const bool supported = own_counts || supporting > 0;
    if (!supported && !(o_.include_opposed && opposing > 0)) return;
    const double conf = supported ? std::max({own, claimed, 0.0}) : 0.0;
    const int64_t cost = std::llround(-std::log(std::max(conf, 1e-6)) * 1e6);
    const bool sym = m_.symmetric.at(rel);
    const std::string& a = st.subject;
    const std::string& b = st.object;
    const std::string self = "S" + st.id;
    if (o_.direction != PathDirection::kIncoming || sym) {
      Add({a, b, st.id, rel, HopKind::kForward, cost});
    }
    if (o_.direction != PathDirection::kOutgoing || sym) {
      Add({b, a, st.id, rel, HopKind::kBackward, cost});
    }
    if (o_.walk_claims) {
      Add({a, self, st.id, rel, HopKind::kPartToStatement, cost});
      Add({self, a, st.id, rel, HopKind::kStatementToPart, cost});
      if (b != a) {
        Add({b, self, st.id, rel, HopKind::kPartToStatement, cost});
        Add({self, b, st.id, rel, HopKind::kStatementToPart, cost});
      }
    }
  }

  void Add(RefArc arc) {
    out_[arc.from].push_back(static_cast<int>(arcs_.size()));
    arcs_.push_back(std::move(arc));
  }

  using Key = std::tuple<std::string, std::string, std::string, int>;
  std::vector<Key> Keys(const std::vector<int>& path) const {
    std::vector<Key> keys;
    for (int i : path) {
      const RefArc& a = arcs_[i];
      keys.emplace_back(a.relation, a.to, "S" + a.statement,
                        static_cast<int>(a.kind));
    }
    return keys;
  }

  void Dfs(const std::string& u, const std::string& t, std::vector<int>* path,
           std::set<std::string>* on_path,
           std::vector<std::vector<int>>* out) const {
    if (static_cast<int>(path->size()) >= o_.max_hops) return;
    auto it = out_.find(u);
    if (it == out_.end()) return;
    for (int i : it->second) {
      const std::string& v = arcs_[i].to;
      if (on_path->contains(v)) continue;
      path->push_back(i);
      if (v == t) {
        out->push_back(*path);
      } else if (Passable(v)) {
        on_path->insert(v);
        Dfs(v, t, path, on_path, out);
        on_path->erase(v);
      }
      path->pop_back();
    }
  }

  const Model& m_;
  const PathOptions& o_;
  std::vector<RefArc> arcs_;
  std::map<std::string, std::vector<int>> out_;
};

// ---------------------------------------------------------------------------
// Fixture.

class PathTest : public ::testing::Test {
 protected:
  // Opens a fresh store in its own subdirectory.
  std::unique_ptr<Store> NewStore(const std::string& name) {
    StoreOptions options;
    options.sync_writes = false;
    options.clock = [this] { return now_; };
    // Tests choose when the compact adjacency is rebuilt
    // (RefreshCompactAdjacency), so each knows which one it searches.
    options.compact_adjacency_delay = absl::InfiniteDuration();
    absl::StatusOr<std::unique_ptr<Store>> s =
        Store::Open(options, dir_.Sub(name));
    EXPECT_THAT(s, IsOk());
    return s.ok() ? *std::move(s) : nullptr;
  }

  // The vocabulary of the targeted tests.
  static WriteBatch Vocabulary() {
    WriteBatch b;
    b.entities = {
        {"north_korea", "North Korea", "Country", {"DPRK"}},
        {"russia", "Russia", "Country", {}},
        {"ukraine", "Ukraine", "Country", {}},
        {"kremlin", "Kremlin", "Organization", {}},
        {"nis", "National Intelligence Service", "Organization", {"NIS"}},
        {"nato", "NATO", "Organization", {}},
        {"putin", "Vladimir Putin", "Person", {}},
    };
    b.relations = {
        {"deployed_troops_to", "deployed troops to", false, Polarity::kNone},
        {"attacked", "attacked", false, Polarity::kNone},
        {"leads", "leads", false, Polarity::kNone},
        {"allied_with", "allied with", true, Polarity::kNone},
        {"reported", "reported", false, Polarity::kSupports},
        {"denied", "denied", false, Polarity::kOpposes},
    };
    b.documents = {
        {"early", "Early", "Wire", D(2024, 10, 1), kText},
        {"late", "Late", "Wire", D(2024, 10, 20), kText},
        {"undated", "Undated", "Wire", std::nullopt, kText},
    };
    return b;
  }

  static Triple T(const std::string& s, const std::string& r,
                  const std::string& o) {
    return Triple{Term::Entity(s), r, Term::Entity(o)};
  }
  static Triple Claim(const std::string& who, const std::string& r,
                      const Triple& what) {
    return Triple{Term::Entity(who), r, Term::Quoted(what)};
  }
  static StatementInput Stated(const Triple& t, double confidence = 1.0,
                               const std::string& doc = "early",
                               int sentence = 0) {
    return {t, {Evidence(doc, sentence, confidence)}};
  }

  void Write(Store& store, const WriteBatch& batch) {
    ASSERT_THAT(store.Write(batch), IsOk());
  }

  // The weighted gadgets' vocabulary: a relation "next", a document "doc",
  // and each name as an entity of copy "a" and of copy "b" (the latter in
  // reverse order when `reverse_b`).
  static WriteBatch NextVocabulary(const std::vector<std::string>& names,
                                   bool reverse_b) {
    WriteBatch vocab;
    vocab.relations = {{"next", "next", false, Polarity::kNone}};
    vocab.documents = {{"doc", "Doc", "Wire", D(2024, 10, 1), kText}};
    for (const std::string g : {"a", "b"}) {
      std::vector<std::string> order = names;
      if (g == "b" && reverse_b) std::reverse(order.begin(), order.end());
      for (const std::string& n : order) {
        vocab.entities.push_back({g + n, g + n, "Thing", {}});
      }
    }
    return vocab;
  }
  // from -next-> to in copy g.
  static StatementInput Next(const std::string& g, const std::string& from,
                             const std::string& to, double confidence) {
    return Stated(T(g + from, "next", g + to), confidence, "doc");
  }
  // One statement a batch: the adjacency keeps the order they came in.
  void WriteOneByOne(Store& store, const std::vector<StatementInput>& all) {
    for (const StatementInput& st : all) {
      WriteBatch one;
      one.statements = {st};
      Write(store, one);
    }
  }

  static std::vector<PathTuples> Run(Store& store, const Term& from,
                                     const Term& to,
                                     const PathOptions& options) {
    std::unique_ptr<storage::Reader> reader = store.NewReader();
    absl::StatusOr<PathResult> r = FindPaths(*reader, from, to, options);
    EXPECT_THAT(r, IsOk());
    if (!r.ok()) return {};
    return TuplesOf(r->paths);
  }

  testing::ScopedTempDir dir_;
  absl::Time now_ = absl::FromUnixSeconds(1729209600);  // 2024-10-18
};

// ---------------------------------------------------------------------------
// Random graphs against the reference.

struct RandomGraph {
  Model model;
  std::vector<std::string> entities;
  std::vector<std::string> statement_keys;
  absl::Time t0, t1, t2, t3;  // before, first batch, second batch, retractions
};

// Writes a random graph into `store`: entities of three types, plain,
// symmetric and claim relations, self-loops, parallel edges, literals,
// quoted-only statements with supporting and opposing claims, statements
// about statements, records from dated and undated documents with valid
// times, written in two batches, then some retracted. Entity ids start with
// "g<index>" and literals are index * 10 + 0 or 1, so graphs sharing a store
// are disconnected from each other. Graph 0 writes the relations and
// documents too.
void BuildRandomGraph(uint64_t seed, int index, Store& store, absl::Time* now,
                      RandomGraph* g) {
  std::mt19937_64 rng(seed);
  const auto pick = [&](int n) {
    return std::uniform_int_distribution<int>(0, n - 1)(rng);
  };
  const auto chance = [&](double p) {
    return std::bernoulli_distribution(p)(rng);
  };
  Model& m = g->model;
  WriteBatch vocab;
  const char* const kTypes[] = {"Country", "Organization", "Person"};
  const int n_entities = 5 + pick(5);
  for (int i = 0; i < n_entities; ++i) {
    const std::string id = absl::StrCat("g", index, "e", i);
    // Every type has an entity: options may name any of them, and a type
    // no entity has is NOT_FOUND.
    const std::string type = i < 3 ? kTypes[i] : kTypes[pick(3)];
    vocab.entities.push_back({id, id, type, {}});
    m.entity_type[id] = type;
    g->entities.push_back(id);
  }
  vocab.relations = {{"r0", "r0", false, Polarity::kNone},
                     {"r1", "r1", false, Polarity::kNone},
                     {"sym", "sym", true, Polarity::kNone},
                     {"says", "says", false, Polarity::kSupports},
                     {"denies", "denies", false, Polarity::kOpposes}};
  for (const Relation& r : vocab.relations) {
    m.symmetric[r.id] = r.symmetric;
    m.polarity[r.id] = r.polarity;
  }
  const std::vector<std::pair<std::string, std::optional<Date>>> docs = {
      {"d0", D(2024, 10, 1)},
      {"d1", D(2024, 10, 10)},
      {"d2", D(2024, 10)},
      {"d3", std::nullopt}};
  for (const auto& [id, date] : docs) {
    vocab.documents.push_back({id, id, "Wire", date, kText});
    m.published[id] = date;
  }
  if (index > 0) {
    vocab.relations.clear();
    vocab.documents.clear();
  }
  g->t0 = *now;
  *now += absl::Hours(1);
  ASSERT_THAT(store.Write(vocab), IsOk());

  const ValidTime kValid[] = {{},
                              {D(2024, 1), D(2024, 6)},
                              {D(2024, 6), std::nullopt},
                              {std::nullopt, D(2023, 12)},
                              {D(2024, 9, 15), D(2024, 10)}};
  const double kConfidence[] = {0.2, 0.5, 0.8, 1.0};
  // Records for one statement: each (document, sentence) slot once per
  // statement, so that no write conflicts with or repeats another.
  std::map<std::string, std::set<std::pair<int, int>>> used;
  const auto records = [&](const Triple& t, int n) {
    std::vector<ProvenanceInput> out;
    std::set<std::pair<int, int>>& slots = used[StatementIdOf(t)];
    for (int i = 0; i < n; ++i) {
      const int doc = pick(4);
      const int sentence = pick(3);
      if (!slots.insert({doc, sentence}).second) continue;
      out.push_back(Evidence(docs[doc].first, sentence, kConfidence[pick(4)],
                             kValid[pick(5)]));
    }
    return out;
  };
  const auto entity = [&] {
    return Term::Entity(g->entities[pick(n_entities)]);
  };

  std::vector<WriteBatch> batches(2);
  std::vector<Triple> base;
  const int n_base = 7 + pick(8);
  for (int i = 0; i < n_base; ++i) {
    const char* const kRel[] = {"r0", "r1", "sym"};
    Triple t{entity(), kRel[pick(3)], entity()};
    if (chance(0.1)) {
      t.object = Term::Literal(storage::LiteralType::kInteger,
                               absl::StrCat(index * 10 + pick(2)));
    } else if (chance(0.1) && !base.empty()) {
      // A parallel edge: same ends, another relation.
      t = base[pick(static_cast<int>(base.size()))];
      t.relation = t.relation == "r0" ? "r1" : "r0";
    }
    base.push_back(t);
    if (chance(0.7)) {
      std::vector<ProvenanceInput> p = records(t, 1 + pick(2));
      if (!p.empty()) batches[pick(2)].statements.push_back({t, p});
    }
  }
  const int n_claims = 2 + pick(5);
  for (int i = 0; i < n_claims; ++i) {
    Triple what = base[pick(static_cast<int>(base.size()))];
    Triple claim{entity(), chance(0.6) ? "says" : "denies", Term::Quoted(what)};
    std::vector<ProvenanceInput> p = records(claim, 1 + pick(2));
    if (!p.empty()) batches[pick(2)].statements.push_back({claim, p});
  }
  if (chance(0.5)) {
    // A statement about a statement that is not a claim.
    Triple t{Term::Quoted(base[pick(static_cast<int>(base.size()))]), "r0",
             entity()};
    std::vector<ProvenanceInput> p = records(t, 1);
    if (!p.empty()) batches[pick(2)].statements.push_back({t, p});
  }
  const absl::Time times[2] = {*now, *now + absl::Hours(1)};
  g->t1 = times[0];
  g->t2 = times[1];
  for (int b = 0; b < 2; ++b) {
    *now = times[b];
    ASSERT_THAT(store.Write(batches[b]), IsOk());
    for (const StatementInput& in : batches[b].statements) {
      MStatement& st = m.Get(in.triple);
      for (const ProvenanceInput& p : in.provenance) {
        st.records.push_back(
            {p.document_id, p.confidence, p.valid_time, times[b], {}});
      }
      // A statement's quoted parts exist as nodes too.
      if (in.triple.subject.kind() == Term::Kind::kStatement) {
        m.Get(*in.triple.subject.triple());
      }
      if (in.triple.object.kind() == Term::Kind::kStatement) {
        m.Get(*in.triple.object.triple());
      }
    }
  }
  // Retract some documents' records.
  *now = times[1] + absl::Hours(1);
  g->t3 = *now;
  for (MStatement& st : m.statements) {
    for (MRecord& r : st.records) {
      if (r.retracted || !chance(0.15)) continue;
      ASSERT_THAT(store.Retract(st.id, r.doc), IsOk());
      for (MRecord& same : st.records) {
        if (same.doc == r.doc && !same.retracted) same.retracted = *now;
      }
    }
  }
  *now += absl::Hours(1);
  for (const MStatement& st : m.statements) {
    g->statement_keys.push_back("S" + st.id);
  }
}

PathOptions RandomOptions(std::mt19937_64& rng, const RandomGraph& g) {
  const auto pick = [&](int n) {
    return std::uniform_int_distribution<int>(0, n - 1)(rng);
  };
  const auto chance = [&](double p) {
    return std::bernoulli_distribution(p)(rng);
  };
  const std::vector<std::string> relations = {"r0", "r1", "sym", "says",
                                              "denies"};
  PathOptions o;
  o.max_hops = 1 + pick(5);
  o.direction = static_cast<PathDirection>(pick(3));
  if (chance(0.2)) {
    for (const std::string& r : relations) {
      if (chance(0.6)) o.allowed_relations.push_back(r);
    }
  }
  if (chance(0.2)) o.excluded_relations.push_back(relations[pick(5)]);
  if (chance(0.2)) {
    o.allowed_entity_types = {chance(0.5) ? "Country" : "Person",
                              "Organization"};
  }
  if (chance(0.2)) o.min_confidence = chance(0.5) ? 0.5 : 0.8;
  o.include_opposed = chance(0.5);
  if (chance(0.15)) o.only_documents = {chance(0.5) ? "d0" : "d2", "d3"};
  if (chance(0.15)) {
    o.only_claimants = {g.entities[pick(static_cast<int>(g.entities.size()))]};
  }
  if (chance(0.15)) {
    const ValidTime kWindows[] = {{D(2024, 5), std::nullopt},
                                  {std::nullopt, D(2024, 3)},
                                  {D(2024, 7), D(2024, 8)}};
    o.valid_time = kWindows[pick(3)];
  }
  o.walk_claims = chance(0.5);
  if (chance(0.25)) {
    const absl::Time kTimes[] = {g.t0, g.t1 + absl::Minutes(30),
                                 g.t2 + absl::Minutes(30),
                                 g.t3 + absl::Minutes(30)};
    o.as_of.recorded_at = kTimes[pick(4)];
  }
  if (chance(0.2)) {
    const Date kDates[] = {D(2024, 10, 5), D(2024, 10, 15), D(2024, 10),
                           D(2024, 11, 1)};
    o.as_of.reported_by = kDates[pick(4)];
  }
  return o;
}

std::string Describe(const PathOptions& o) {
  std::string s = absl::StrCat(
      "max_hops=", o.max_hops, " direction=", static_cast<int>(o.direction),
      " allowed=[", absl::StrJoin(o.allowed_relations, ","), "] excluded=[",
      absl::StrJoin(o.excluded_relations, ","), "] types=[",
      absl::StrJoin(o.allowed_entity_types, ","),
      "] min_conf=", o.min_confidence, " include_opposed=", o.include_opposed,
      " docs=[", absl::StrJoin(o.only_documents, ","), "] claimants=[",
      absl::StrJoin(o.only_claimants, ","), "] walk_claims=", o.walk_claims);
  if (o.valid_time.start)
    absl::StrAppend(&s, " from=", o.valid_time.start->ToString());
  if (o.valid_time.end)
    absl::StrAppend(&s, " to=", o.valid_time.end->ToString());
  if (o.as_of.recorded_at) {
    absl::StrAppend(&s,
                    " recorded_at=", absl::FormatTime(*o.as_of.recorded_at));
  }
  if (o.as_of.reported_by) {
    absl::StrAppend(&s, " reported_by=", o.as_of.reported_by->ToString());
  }
  return s;
}

TEST_F(PathTest, EveryModeMatchesBruteForceOnRandomGraphs) {
  // Opening a store costs more than everything else here, so each store
  // holds several disconnected graphs.
  constexpr int kSeeds = 100;
  constexpr int kGraphsPerStore = 5;
  constexpr int kOptionSets = 6;
  constexpr int kPairs = 5;
  int compared = 0;
  int nonempty = 0;
  std::unique_ptr<Store> store;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed=", seed));
    const int index = static_cast<int>((seed - 1) % kGraphsPerStore);
    if (index == 0) {
      store.reset();
      store = NewStore(absl::StrCat("random", seed));
    }
    ASSERT_NE(store, nullptr);
    RandomGraph g;
    ASSERT_NO_FATAL_FAILURE(BuildRandomGraph(seed, index, *store, &now_, &g));
    // Every query runs on both adjacencies: the versioned one (the compact
    // copy is stale after the writes) and the compact one. Their answers,
    // and the edges they expand, must be the same; the compact one's are
    // then checked against the reference.
    std::unique_ptr<storage::Reader> versioned = store->NewReader();
    ASSERT_EQ(versioned->compact_adjacency(), nullptr);
    store->RefreshCompactAdjacency();
    std::unique_ptr<storage::Reader> reader = store->NewReader();
    ASSERT_NE(reader->compact_adjacency(), nullptr);
    const auto find = [&](const Term& from, const Term& to,
                          const PathOptions& o) {
      absl::StatusOr<PathResult> got = FindPaths(*reader, from, to, o);
      absl::StatusOr<PathResult> other = FindPaths(*versioned, from, to, o);
      EXPECT_EQ(got.status(), other.status()) << "compact vs versioned";
      if (got.ok() && other.ok()) {
        EXPECT_EQ(TuplesOf(got->paths), TuplesOf(other->paths))
            << "compact vs versioned";
        for (size_t i = 0; i < std::min(got->paths.size(), other->paths.size());
             ++i) {
          EXPECT_EQ(got->paths[i].cost, other->paths[i].cost);
        }
        EXPECT_EQ(got->summary.expanded_edges, other->summary.expanded_edges)
            << "compact vs versioned";
        EXPECT_EQ(got->summary.budget_exhausted,
                  other->summary.budget_exhausted);
        EXPECT_EQ(got->summary.limit_reached, other->summary.limit_reached);
      }
      return got;
    };
    std::mt19937_64 rng(seed * 7919);
    for (int o = 0; o < kOptionSets; ++o) {
      PathOptions options = RandomOptions(rng, g);
      SCOPED_TRACE(absl::StrCat("options #", o, ": ", Describe(options)));
      const Reference ref(g.model, options);
      std::vector<std::string> nodes;
      for (const std::string& e : g.entities) nodes.push_back("E" + e);
      if (options.walk_claims) {
        nodes.insert(nodes.end(), g.statement_keys.begin(),
                     g.statement_keys.end());
      }
      for (int p = 0; p < kPairs; ++p) {
        // Mostly pairs that are connected, some that may not be.
        const std::string s = nodes[rng() % nodes.size()];
        std::vector<std::string> reachable = ref.Reachable(s);
        // Statement endpoints need walk_claims.
        std::erase_if(reachable, [&](const std::string& key) {
          return key[0] == 'S' && !options.walk_claims;
        });
        const std::string t = !reachable.empty() && rng() % 4 != 0
                                  ? reachable[rng() % reachable.size()]
                                  : nodes[rng() % nodes.size()];
        SCOPED_TRACE(absl::StrCat("from ", s, " to ", t));
        const std::vector<std::vector<int>> all = ref.AllSimple(s, t);
        std::vector<PathTuples> expected;
        for (const auto& path : all) expected.push_back(ref.Tuples(path));
        ++compared;
        if (!all.empty()) ++nonempty;

        // Shortest: the first path in result order.
        options.mode = PathMode::kShortest;
        absl::StatusOr<PathResult> r =
            find(TermOfKey(s), TermOfKey(t), options);
        ASSERT_THAT(r, IsOk());
        const std::vector<PathTuples> first(
            expected.begin(),
            expected.begin() + std::min<size_t>(1, expected.size()));
        EXPECT_EQ(TuplesOf(r->paths), first) << "shortest; reference:\n"
                                             << Show(first) << "engine:\n"
                                             << Show(TuplesOf(r->paths));
        for (const Path& path : r->paths) {
          EXPECT_EQ(path.cost, static_cast<double>(path.hops.size()));
          for (const Hop& hop : path.hops) {
            const Reference::Shown shown = ref.Show(hop.statement.id);
            EXPECT_EQ(hop.contested, shown.contested);
            EXPECT_EQ(hop.summary.records, shown.records);
            EXPECT_EQ(hop.summary.documents, shown.documents);
            EXPECT_EQ(hop.summary.supporting_claims, shown.supporting);
            EXPECT_EQ(hop.summary.opposing_claims, shown.opposing);
          }
        }

        // K shortest: the first k in result order.
        options.mode = PathMode::kKShortest;
        options.k = 1 + static_cast<int>(rng() % 6);
        r = find(TermOfKey(s), TermOfKey(t), options);
        ASSERT_THAT(r, IsOk());
        const std::vector<PathTuples> first_k(
            expected.begin(),
            expected.begin() + std::min<size_t>(options.k, expected.size()));
        EXPECT_EQ(TuplesOf(r->paths), first_k)
            << "k=" << options.k << "; reference:\n"
            << Show(first_k) << "engine:\n"
            << Show(TuplesOf(r->paths));

        // All simple paths, up to a limit.
        options.mode = PathMode::kAllSimple;
        options.limit =
            rng() % 3 == 0 ? 1 + static_cast<int>(rng() % 4) : 100000;
        r = find(TermOfKey(s), TermOfKey(t), options);
        ASSERT_THAT(r, IsOk());
        const std::vector<PathTuples> limited(
            expected.begin(),
            expected.begin() +
                std::min<size_t>(options.limit, expected.size()));
        EXPECT_EQ(TuplesOf(r->paths), limited)
            << "all simple, limit " << options.limit << "; reference:\n"
            << Show(limited) << "engine:\n"
            << Show(TuplesOf(r->paths));
        EXPECT_EQ(r->summary.limit_reached,
                  static_cast<int64_t>(expected.size()) >= options.limit);
        for (const PathTuples& path : TuplesOf(r->paths)) {
          for (const HopTuple& hop : path) {
            EXPECT_TRUE(ref.HasArc(hop)) << "a hop the filters forbid";
          }
        }

        // Weighted: the first path in (cost, hops, keys) order.
        options.mode = PathMode::kWeighted;
        r = find(TermOfKey(s), TermOfKey(t), options);
        ASSERT_THAT(r, IsOk());
        const std::vector<int>* cheapest = ref.Cheapest(all);
        if (cheapest == nullptr) {
          EXPECT_TRUE(r->paths.empty());
        } else {
          ASSERT_EQ(r->paths.size(), 1u);
          EXPECT_EQ(r->paths[0].cost,
                    static_cast<double>(ref.Cost(*cheapest)) * 1e-6);
          EXPECT_EQ(TuplesOf(r->paths[0]), ref.Tuples(*cheapest))
              << "weighted; reference: " << Show(ref.Tuples(*cheapest))
              << " engine: " << Show(TuplesOf(r->paths[0]));
        }
      }
      // The neighbourhood of one node, untruncated.
      const std::string center = nodes[rng() % nodes.size()];
      const int hops = 1 + static_cast<int>(rng() % 3);
      absl::StatusOr<Neighborhood> n =
          GetNeighborhood(*reader, TermOfKey(center), hops, 100000, options);
      ASSERT_THAT(n, IsOk());
      absl::StatusOr<Neighborhood> n_versioned =
          GetNeighborhood(*versioned, TermOfKey(center), hops, 100000, options);
      ASSERT_THAT(n_versioned, IsOk());
      EXPECT_EQ(n->expanded_edges, n_versioned->expanded_edges);
      EXPECT_EQ(n->nodes.size(), n_versioned->nodes.size());
      EXPECT_EQ(n->statements.size(), n_versioned->statements.size());
      EXPECT_FALSE(n->truncated);
      std::set<std::string> got_nodes;
      std::set<std::string> got_statements;
      for (const PathNode& node : n->nodes) {
        got_nodes.insert(KeyOfValue(node.term));
      }
      for (const auto& st : n->statements)
        got_statements.insert(st.statement.id);
      const auto [want_nodes, want_statements] = ref.Neighborhood(center, hops);
      EXPECT_EQ(got_nodes, want_nodes) << "neighbourhood of " << center;
      EXPECT_EQ(got_statements, want_statements)
          << "neighbourhood of " << center;
    }
  }
  // The generator must exercise the engine, not only empty answers.
  EXPECT_GT(nonempty, compared / 3);
}

// ---------------------------------------------------------------------------
// Targeted contracts.

TEST_F(PathTest, OpposedOnlyStatementsAreWalkedOnlyWhenAsked) {
  std::unique_ptr<Store> store = NewStore("opposed");
  WriteBatch b = Vocabulary();
  // Only the Kremlin's denial quotes the deployment; nobody states it.
  b.statements = {Stated(Claim(
      "kremlin", "denied", T("north_korea", "deployed_troops_to", "russia")))};
  Write(*store, b);
  PathOptions options;
  EXPECT_TRUE(
      Run(*store, Term::Entity("north_korea"), Term::Entity("russia"), options)
          .empty());
  options.include_opposed = true;
  const std::vector<PathTuples> paths =
      Run(*store, Term::Entity("north_korea"), Term::Entity("russia"), options);
  ASSERT_EQ(paths.size(), 1u);
  EXPECT_EQ(paths[0].size(), 1u);
}

TEST_F(PathTest, QuotedStatementIsWalkedWhenAClaimSupportsIt) {
  std::unique_ptr<Store> store = NewStore("supported");
  WriteBatch b = Vocabulary();
  const Triple deployed = T("north_korea", "deployed_troops_to", "russia");
  b.statements = {
      Stated(Claim("nis", "reported", deployed)),
      Stated(Claim("kremlin", "denied", deployed), 1.0, "early", 1)};
  Write(*store, b);
  std::unique_ptr<storage::Reader> reader = store->NewReader();
  absl::StatusOr<PathResult> r =
      FindPaths(*reader, Term::Entity("north_korea"), Term::Entity("russia"),
                PathOptions{});
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->paths.size(), 1u);
  const Hop& hop = r->paths[0].hops[0];
  EXPECT_EQ(hop.statement.id, StatementIdOf(deployed));
  EXPECT_EQ(hop.kind, HopKind::kForward);
  EXPECT_TRUE(hop.contested);
  EXPECT_EQ(hop.summary.records, 0u);
  EXPECT_EQ(hop.summary.supporting_claims, 1u);
  EXPECT_EQ(hop.summary.opposing_claims, 1u);
  // Without an own record, the best record is the supporting claim's.
  ASSERT_TRUE(hop.summary.best.has_value());
  EXPECT_EQ(hop.summary.best->statement_id,
            StatementIdOf(Claim("nis", "reported", deployed)));
}

TEST_F(PathTest, ContestedIsFalseWithoutBothPolarities) {
  std::unique_ptr<Store> store = NewStore("uncontested");
  WriteBatch b = Vocabulary();
  const Triple attacked = T("russia", "attacked", "ukraine");
  b.statements = {Stated(attacked), Stated(Claim("nis", "reported", attacked))};
  Write(*store, b);
  std::unique_ptr<storage::Reader> reader = store->NewReader();
  PathOptions options;
  options.provenance = ProvenanceDetail::kFull;
  absl::StatusOr<PathResult> r = FindPaths(*reader, Term::Entity("russia"),
                                           Term::Entity("Ukraine"), options);
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->paths.size(), 1u);
  const Hop& hop = r->paths[0].hops[0];
  EXPECT_FALSE(hop.contested);
  EXPECT_EQ(hop.summary.records, 1u);
  EXPECT_EQ(hop.summary.supporting_claims, 1u);
  ASSERT_EQ(hop.provenance.size(), 1u);
  EXPECT_EQ(hop.provenance[0].input.document_id, "early");
  EXPECT_EQ(hop.from.term.id, "russia");
  EXPECT_EQ(hop.to.term.id, "ukraine");

  options.provenance = ProvenanceDetail::kNone;
  r = FindPaths(*reader, Term::Entity("russia"), Term::Entity("ukraine"),
                options);
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->paths.size(), 1u);
  EXPECT_TRUE(r->paths[0].hops[0].provenance.empty());
  EXPECT_EQ(r->paths[0].hops[0].summary.records, 0u);
}

TEST_F(PathTest, WalkClaimsGoesThroughTheQuotedStatement) {
  std::unique_ptr<Store> store = NewStore("claims");
  WriteBatch b = Vocabulary();
  const Triple deployed = T("north_korea", "deployed_troops_to", "russia");
  b.statements = {Stated(Claim("nis", "reported", deployed))};
  Write(*store, b);
  PathOptions options;
  options.direction = PathDirection::kOutgoing;
  EXPECT_TRUE(Run(*store, Term::Entity("nis"), Term::Entity("russia"), options)
                  .empty());
  options.walk_claims = true;
  const std::vector<PathTuples> paths =
      Run(*store, Term::Entity("NIS"), Term::Entity("russia"), options);
  const std::string claim_id =
      StatementIdOf(Claim("nis", "reported", deployed));
  const std::string deployed_id = StatementIdOf(deployed);
  const std::vector<PathTuples> want = {
      {{"Enis", "S" + deployed_id, claim_id,
        static_cast<int>(HopKind::kForward)},
       {"S" + deployed_id, "Erussia", deployed_id,
        static_cast<int>(HopKind::kStatementToPart)}}};
  EXPECT_EQ(paths, want) << Show(paths);

  // A statement is an endpoint too, with walk_claims.
  const std::vector<PathTuples> to_statement =
      Run(*store, Term::Entity("nis"), Term::Quoted(deployed), options);
  ASSERT_EQ(to_statement.size(), 1u);
  EXPECT_EQ(to_statement[0].size(), 1u);
}

TEST_F(PathTest, SymmetricRelationsAreWalkedBothWays) {
  std::unique_ptr<Store> store = NewStore("symmetric");
  WriteBatch b = Vocabulary();
  b.statements = {Stated(T("russia", "allied_with", "north_korea")),
                  Stated(T("russia", "attacked", "ukraine"))};
  Write(*store, b);
  PathOptions options;
  options.direction = PathDirection::kOutgoing;
  const std::vector<PathTuples> paths = Run(*store, Term::Entity("north_korea"),
                                            Term::Entity("ukraine"), options);
  ASSERT_EQ(paths.size(), 1u);
  EXPECT_EQ(std::get<3>(paths[0][0]), static_cast<int>(HopKind::kBackward));
  EXPECT_EQ(std::get<3>(paths[0][1]), static_cast<int>(HopKind::kForward));
  options.direction = PathDirection::kIncoming;
  EXPECT_TRUE(
      Run(*store, Term::Entity("north_korea"), Term::Entity("ukraine"), options)
          .empty());
}

TEST_F(PathTest, OnlyClaimantsKeepsWhatTheyAssert) {
  std::unique_ptr<Store> store = NewStore("claimants");
  WriteBatch b = Vocabulary();
  const Triple deployed = T("north_korea", "deployed_troops_to", "russia");
  b.statements = {
      Stated(Claim("nis", "reported", deployed)),
      Stated(T("north_korea", "attacked", "russia"), 1.0, "early", 1)};
  Write(*store, b);
  PathOptions options;
  options.mode = PathMode::kAllSimple;
  options.max_hops = 1;
  EXPECT_EQ(
      Run(*store, Term::Entity("north_korea"), Term::Entity("russia"), options)
          .size(),
      2u);
  options.only_claimants = {"NIS"};
  const std::vector<PathTuples> paths =
      Run(*store, Term::Entity("north_korea"), Term::Entity("russia"), options);
  ASSERT_EQ(paths.size(), 1u);
  EXPECT_EQ(std::get<2>(paths[0][0]), StatementIdOf(deployed));
  // The claimant's own claim stands too.
  options.walk_claims = true;
  EXPECT_EQ(
      Run(*store, Term::Entity("nis"), Term::Quoted(deployed), options).size(),
      1u);
}

TEST_F(PathTest, WeightedPrefersConfidentHops) {
  std::unique_ptr<Store> store = NewStore("weighted");
  WriteBatch b = Vocabulary();
  b.statements = {Stated(T("north_korea", "attacked", "ukraine"), 0.1),
                  Stated(T("north_korea", "allied_with", "russia"), 0.9),
                  Stated(T("russia", "attacked", "ukraine"), 0.9, "early", 1)};
  Write(*store, b);
  std::unique_ptr<storage::Reader> reader = store->NewReader();
  PathOptions options;
  options.mode = PathMode::kWeighted;
  absl::StatusOr<PathResult> r = FindPaths(*reader, Term::Entity("north_korea"),
                                           Term::Entity("ukraine"), options);
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->paths.size(), 1u);
  EXPECT_EQ(r->paths[0].hops.size(), 2u);
  EXPECT_NEAR(r->paths[0].cost, -2 * std::log(0.9), 1e-5);
  options.max_hops = 1;  // the hop limit holds in weighted mode too
  r = FindPaths(*reader, Term::Entity("north_korea"), Term::Entity("ukraine"),
                options);
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->paths.size(), 1u);
  EXPECT_NEAR(r->paths[0].cost, -std::log(0.1), 1e-5);
}

// Weighted mode takes an unquoted statement's best confidence from the
// compact adjacency, and only while no record has been added or retracted
// since it was built: a new, better record counts at once.
TEST_F(PathTest, WeightedSeesRecordsAddedSinceTheCompactCopy) {
  std::unique_ptr<Store> store = NewStore("weighted_memory");
  WriteBatch b = Vocabulary();
  b.statements = {Stated(T("north_korea", "attacked", "ukraine"), 0.7),
                  Stated(T("north_korea", "allied_with", "russia"), 0.8),
                  Stated(T("russia", "attacked", "ukraine"), 0.8)};
  Write(*store, b);
  store->RefreshCompactAdjacency();
  PathOptions options;
  options.mode = PathMode::kWeighted;
  const auto cost = [&]() -> double {
    std::unique_ptr<storage::Reader> reader = store->NewReader();
    EXPECT_NE(reader->compact_adjacency(), nullptr);
    absl::StatusOr<PathResult> r = FindPaths(
        *reader, Term::Entity("north_korea"), Term::Entity("ukraine"), options);
    EXPECT_THAT(r, IsOk());
    if (!r.ok() || r->paths.size() != 1) return -1;
    return r->paths[0].cost;
  };
  EXPECT_TRUE(store->NewReader()->compact_confidences_current());
  EXPECT_NEAR(cost(), -std::log(0.7), 1e-5);  // -ln 0.7 < -2 ln 0.8
  // Another record of the direct statement: the indexes do not change, the
  // compact copy stays, its confidences do not count.
  WriteBatch more;
  more.statements = {
      Stated(T("north_korea", "attacked", "ukraine"), 0.9, "late", 1)};
  Write(*store, more);
  EXPECT_FALSE(store->NewReader()->compact_confidences_current());
  EXPECT_NEAR(cost(), -std::log(0.9), 1e-5);
  store->RefreshCompactAdjacency();
  EXPECT_TRUE(store->NewReader()->compact_confidences_current());
  EXPECT_NEAR(cost(), -std::log(0.9), 1e-5);
  // Retracting it: back to 0.7, before and after the rebuild.
  ASSERT_THAT(
      store->Retract(StatementIdOf(T("north_korea", "attacked", "ukraine")),
                     "late"),
      IsOk());
  EXPECT_NEAR(cost(), -std::log(0.7), 1e-5);
  store->RefreshCompactAdjacency();
  EXPECT_NEAR(cost(), -std::log(0.7), 1e-5);
  // min_confidence is answered from memory too: the direct hop's best
  // record is below it, so the path goes through russia.
  options.min_confidence = 0.75;
  EXPECT_NEAR(cost(), -2 * std::log(0.8), 1e-5);
}

// Weighted mode with the hop limit binding and ties left to the keys. The
// cheapest path, five certain hops s -> c1 -> .. -> c4 -> t, is too long
// for max_hops 4; four routes of one 0.9 hop remain, s -> {x, y} -> m ->
// {p, q} -> t, and the least keys pick x, then p. On each half two routes
// reach m at the same cost through certain hops, so the search must keep
// both arcs that give m's label its cost. The gadget is written twice,
// once with the preferred routes first and once with them last, so that
// on either half one of the two copies meets the preferred route after
// the other, whatever order the adjacency gives; both adjacencies run.
TEST_F(PathTest, WeightedHopLimitBindsAndTiesGoByKeys) {
  std::unique_ptr<Store> store = NewStore("weighted_ties");
  Write(*store, NextVocabulary(
                    {"s", "x", "y", "m", "p", "q", "t", "c1", "c2", "c3", "c4"},
                    /*reverse_b=*/true));
  const auto edge = &PathTest::Next;
  for (const std::string g : {"a", "b"}) {
    std::vector<StatementInput> preferred = {
        edge(g, "s", "x", 1.0), edge(g, "x", "m", 1.0), edge(g, "m", "p", 0.9),
        edge(g, "p", "t", 1.0)};
    std::vector<StatementInput> other = {
        edge(g, "s", "y", 1.0), edge(g, "y", "m", 1.0), edge(g, "m", "q", 0.9),
        edge(g, "q", "t", 1.0)};
    std::vector<StatementInput> all = g == "a" ? preferred : std::move(other);
    const std::vector<StatementInput>& rest = g == "a" ? other : preferred;
    all.insert(all.end(), rest.begin(), rest.end());
    const std::vector<std::string> chain = {"s", "c1", "c2", "c3", "c4", "t"};
    for (size_t i = 0; i + 1 < chain.size(); ++i) {
      all.push_back(edge(g, chain[i], chain[i + 1], 1.0));
    }
    WriteOneByOne(*store, all);
  }
  const auto hop = [](const std::string& g, const std::string& from,
                      const std::string& to) {
    return HopTuple{"E" + g + from, "E" + g + to,
                    StatementIdOf(T(g + from, "next", g + to)),
                    static_cast<int>(HopKind::kForward)};
  };
  for (bool compact : {false, true}) {
    SCOPED_TRACE(compact ? "compact" : "versioned");
    if (compact) store->RefreshCompactAdjacency();
    std::unique_ptr<storage::Reader> reader = store->NewReader();
    ASSERT_EQ(reader->compact_adjacency() != nullptr, compact);
    for (const std::string g : {"a", "b"}) {
      SCOPED_TRACE(g);
      PathOptions options;
      options.mode = PathMode::kWeighted;
      options.max_hops = 4;
      absl::StatusOr<PathResult> r = FindPaths(*reader, Term::Entity(g + "s"),
                                               Term::Entity(g + "t"), options);
      ASSERT_THAT(r, IsOk());
      ASSERT_EQ(r->paths.size(), 1u);
      const PathTuples want = {hop(g, "s", "x"), hop(g, "x", "m"),
                               hop(g, "m", "p"), hop(g, "p", "t")};
      EXPECT_EQ(TuplesOf(r->paths[0]), want) << Show(TuplesOf(r->paths[0]));
      EXPECT_NEAR(r->paths[0].cost, -std::log(0.9), 1e-5);
      // From t against the arcs: the ties fall on the other half.
      options.direction = PathDirection::kIncoming;
      r = FindPaths(*reader, Term::Entity(g + "t"), Term::Entity(g + "s"),
                    options);
      ASSERT_THAT(r, IsOk());
      ASSERT_EQ(r->paths.size(), 1u);
      std::vector<std::string> nodes;
      for (const Hop& h : r->paths[0].hops) nodes.push_back(h.to.term.id);
      EXPECT_THAT(nodes,
                  ::testing::ElementsAre(g + "p", g + "m", g + "x", g + "s"));
      EXPECT_NEAR(r->paths[0].cost, -std::log(0.9), 1e-5);
      options.direction = PathDirection::kOutgoing;
      // One more hop allowed: the certain chain.
      options.max_hops = 5;
      r = FindPaths(*reader, Term::Entity(g + "s"), Term::Entity(g + "t"),
                    options);
      ASSERT_THAT(r, IsOk());
      ASSERT_EQ(r->paths.size(), 1u);
      EXPECT_EQ(r->paths[0].hops.size(), 5u);
      EXPECT_EQ(r->paths[0].cost, 0.0);
      // One less: none.
      options.max_hops = 3;
      r = FindPaths(*reader, Term::Entity(g + "s"), Term::Entity(g + "t"),
                    options);
      ASSERT_THAT(r, IsOk());
      EXPECT_TRUE(r->paths.empty());
    }
  }
}

// Weighted mode where the two halves of the search meet on several nodes:
// s -> u -> {m1, m2, m3} -> w -> t. Through m1 the first half is certain
// and the second costs 0.8; through m2 and m3 each half costs 0.9, which
// is less in all (2 × 0.105 < 0.223), and m2's key is the lesser. Written
// twice, m3's route first in one copy and last in the other.
TEST_F(PathTest, WeightedHalvesMeetOnSeveralNodes) {
  std::unique_ptr<Store> store = NewStore("weighted_meet");
  Write(*store, NextVocabulary({"s", "u", "m1", "m2", "m3", "w", "t"},
                               /*reverse_b=*/false));
  const auto edge = &PathTest::Next;
  for (const std::string g : {"a", "b"}) {
    std::vector<StatementInput> all = {edge(g, "s", "u", 1.0),
                                       edge(g, "w", "t", 1.0)};
    std::vector<std::vector<StatementInput>> routes = {
        {edge(g, "u", "m1", 1.0), edge(g, "m1", "w", 0.8)},
        {edge(g, "u", "m2", 0.9), edge(g, "m2", "w", 0.9)},
        {edge(g, "u", "m3", 0.9), edge(g, "m3", "w", 0.9)}};
    if (g == "b") std::reverse(routes.begin(), routes.end());
    for (const auto& route : routes) {
      all.insert(all.end(), route.begin(), route.end());
    }
    WriteOneByOne(*store, all);
  }
  for (bool compact : {false, true}) {
    SCOPED_TRACE(compact ? "compact" : "versioned");
    if (compact) store->RefreshCompactAdjacency();
    std::unique_ptr<storage::Reader> reader = store->NewReader();
    for (const std::string g : {"a", "b"}) {
      SCOPED_TRACE(g);
      // At 4 hops the halves meet across an arc; from 5 on, labels of
      // both halves are stored at m1..m3 and meet there.
      for (const auto& [direction, max_hops] :
           std::vector<std::pair<PathDirection, int>>{
               {PathDirection::kOutgoing, 4},
               {PathDirection::kOutgoing, 5},
               {PathDirection::kOutgoing, 6},
               {PathDirection::kBoth, 4},
               {PathDirection::kBoth, 6}}) {
        SCOPED_TRACE(max_hops);
        PathOptions options;
        options.mode = PathMode::kWeighted;
        options.max_hops = max_hops;
        options.direction = direction;
        absl::StatusOr<PathResult> r = FindPaths(
            *reader, Term::Entity(g + "s"), Term::Entity(g + "t"), options);
        ASSERT_THAT(r, IsOk());
        ASSERT_EQ(r->paths.size(), 1u);
        std::vector<std::string> nodes;
        for (const Hop& h : r->paths[0].hops) nodes.push_back(h.to.term.id);
        EXPECT_THAT(
            nodes, ::testing::ElementsAre(g + "u", g + "m2", g + "w", g + "t"));
        EXPECT_NEAR(r->paths[0].cost, -2 * std::log(0.9), 1e-5);
        // From the other end, against the arcs.
        options.direction = direction == PathDirection::kOutgoing
                                ? PathDirection::kIncoming
                                : direction;
        r = FindPaths(*reader, Term::Entity(g + "t"), Term::Entity(g + "s"),
                      options);
        ASSERT_THAT(r, IsOk());
        ASSERT_EQ(r->paths.size(), 1u);
        nodes.clear();
        for (const Hop& h : r->paths[0].hops) nodes.push_back(h.to.term.id);
        EXPECT_THAT(
            nodes, ::testing::ElementsAre(g + "w", g + "m2", g + "u", g + "s"));
      }
    }
  }
}

// Weighted mode against the reference on small dense graphs whose hops
// cost nothing or -ln 0.9, so that many paths tie on cost and hops and the
// keys decide: every ordered pair of entities, hop limits 1 to 5, every
// direction, on both adjacencies (whose answers and expanded edges must
// agree).
TEST_F(PathTest, WeightedMatchesBruteForceOnGraphsFullOfTies) {
  constexpr int kGraphs = 30;
  int connected = 0;
  int tied = 0;
  for (uint64_t seed = 1; seed <= kGraphs; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed=", seed));
    std::mt19937_64 rng(seed);
    const auto pick = [&](int n) {
      return std::uniform_int_distribution<int>(0, n - 1)(rng);
    };
    std::unique_ptr<Store> store = NewStore(absl::StrCat("ties", seed));
    ASSERT_NE(store, nullptr);
    Model m;
    WriteBatch b;
    b.relations = {{"r0", "r0", false, Polarity::kNone},
                   {"r1", "r1", false, Polarity::kNone},
                   {"sym", "sym", true, Polarity::kNone}};
    b.documents = {{"doc", "Doc", "Wire", D(2024, 10, 1), kText}};
    m.published["doc"] = D(2024, 10, 1);
    for (const Relation& r : b.relations) {
      m.symmetric[r.id] = r.symmetric;
      m.polarity[r.id] = r.polarity;
    }
    const int n = 5 + pick(3);
    std::vector<std::string> entities;
    for (int i = 0; i < n; ++i) {
      entities.push_back(absl::StrCat("e", i));
      b.entities.push_back({entities.back(), entities.back(), "Thing", {}});
      m.entity_type[entities.back()] = "Thing";
    }
    const int statements = 2 * n + pick(n);
    for (int i = 0; i < statements; ++i) {
      const Triple t =
          T(entities[pick(n)], b.relations[pick(3)].id, entities[pick(n)]);
      if (m.by_id.contains(StatementIdOf(t))) continue;
      const double confidence = pick(2) == 0 ? 1.0 : 0.9;
      b.statements.push_back(Stated(t, confidence, "doc"));
      m.Get(t).records.push_back({"doc", confidence, {}, now_, {}});
    }
    Write(*store, b);
    std::unique_ptr<storage::Reader> versioned = store->NewReader();
    store->RefreshCompactAdjacency();
    std::unique_ptr<storage::Reader> compact = store->NewReader();
    ASSERT_NE(compact->compact_adjacency(), nullptr);
    for (int direction = 0; direction < 3; ++direction) {
      for (int max_hops = 1; max_hops <= 5; ++max_hops) {
        PathOptions options;
        options.mode = PathMode::kWeighted;
        options.direction = static_cast<PathDirection>(direction);
        options.max_hops = max_hops;
        SCOPED_TRACE(Describe(options));
        const Reference ref(m, options);
        for (const std::string& s : entities) {
          for (const std::string& t : entities) {
            if (s == t) continue;
            SCOPED_TRACE(absl::StrCat("from ", s, " to ", t));
            const std::vector<std::vector<int>> all =
                ref.AllSimple("E" + s, "E" + t);
            const std::vector<int>* cheapest = ref.Cheapest(all);
            absl::StatusOr<PathResult> r =
                FindPaths(*compact, Term::Entity(s), Term::Entity(t), options);
            ASSERT_THAT(r, IsOk());
            absl::StatusOr<PathResult> other = FindPaths(
                *versioned, Term::Entity(s), Term::Entity(t), options);
            ASSERT_THAT(other, IsOk());
            EXPECT_EQ(TuplesOf(r->paths), TuplesOf(other->paths));
            EXPECT_EQ(r->summary.expanded_edges, other->summary.expanded_edges);
            if (cheapest == nullptr) {
              EXPECT_TRUE(r->paths.empty());
              continue;
            }
            ++connected;
            int ties = 0;
            for (const auto& p : all) {
              ties += ref.Cost(p) == ref.Cost(*cheapest) &&
                      p.size() == cheapest->size();
            }
            if (ties > 1) ++tied;
            ASSERT_EQ(r->paths.size(), 1u);
            EXPECT_EQ(r->paths[0].cost,
                      static_cast<double>(ref.Cost(*cheapest)) * 1e-6);
            EXPECT_EQ(TuplesOf(r->paths[0]), ref.Tuples(*cheapest))
                << "reference: " << Show(ref.Tuples(*cheapest))
                << " engine: " << Show(TuplesOf(r->paths[0]));
          }
        }
      }
    }
  }
  // The graphs must be full of ties, or the keys decide nothing.
  EXPECT_GT(tied, connected / 5) << connected;
}

// The tie-break uses content ids, not storage order: the same statements
// written in opposite orders into two stores give the same paths.
TEST_F(PathTest, ResultsAreDeterministicAcrossRunsAndStores) {
  std::vector<StatementInput> statements;
  const std::vector<std::string> mids = {"kremlin", "nis", "nato", "putin"};
  for (const std::string& mid : mids) {
    statements.push_back(Stated(T("north_korea", "allied_with", mid)));
    statements.push_back(Stated(T(mid, "attacked", "ukraine")));
    statements.push_back(Stated(T(mid, "leads", "ukraine")));
  }
  std::unique_ptr<Store> a = NewStore("order_a");
  std::unique_ptr<Store> b = NewStore("order_b");
  WriteBatch vocab = Vocabulary();
  WriteBatch reversed = vocab;
  std::reverse(reversed.entities.begin(), reversed.entities.end());
  std::reverse(reversed.relations.begin(), reversed.relations.end());
  Write(*a, vocab);
  Write(*b, reversed);
  for (const StatementInput& st : statements) {
    WriteBatch one;
    one.statements = {st};
    Write(*a, one);
  }
  for (auto it = statements.rbegin(); it != statements.rend(); ++it) {
    WriteBatch one;
    one.statements = {*it};
    Write(*b, one);
  }
  for (PathMode mode : {PathMode::kShortest, PathMode::kKShortest,
                        PathMode::kAllSimple, PathMode::kWeighted}) {
    SCOPED_TRACE(static_cast<int>(mode));
    PathOptions options;
    options.mode = mode;
    options.k = 5;
    const std::vector<PathTuples> first =
        Run(*a, Term::Entity("north_korea"), Term::Entity("ukraine"), options);
    EXPECT_FALSE(first.empty());
    EXPECT_EQ(
        Run(*a, Term::Entity("north_korea"), Term::Entity("ukraine"), options),
        first);
    EXPECT_EQ(
        Run(*b, Term::Entity("north_korea"), Term::Entity("ukraine"), options),
        first);
  }
  // The documented order: relation id, then the node reached.
  PathOptions options;
  options.mode = PathMode::kKShortest;
  options.k = 2;
  const std::vector<PathTuples> two =
      Run(*b, Term::Entity("north_korea"), Term::Entity("ukraine"), options);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(std::get<1>(two[0][0]), "Ekremlin");
  EXPECT_EQ(std::get<3>(two[0][1]), static_cast<int>(HopKind::kForward));
  EXPECT_EQ(std::get<2>(two[0][1]),
            StatementIdOf(T("kremlin", "attacked", "ukraine")));
  EXPECT_EQ(std::get<2>(two[1][1]),
            StatementIdOf(T("kremlin", "leads", "ukraine")));
}

// A ladder: many equally short routes, so searches have work to do.
WriteBatch Ladder(int rungs) {
  WriteBatch b;
  b.shared_names = true;  // every rung is labelled "x"
  b.relations = {{"next", "next", false, Polarity::kNone}};
  b.documents = {{"doc", "Doc", "Wire", D(2024, 10, 1), kText}};
  for (int i = 0; i <= rungs; ++i) {
    for (const char* side : {"a", "b"}) {
      b.entities.push_back({absl::StrCat(side, i), "x", "Thing", {}});
    }
  }
  for (int i = 0; i < rungs; ++i) {
    for (const char* from : {"a", "b"}) {
      for (const char* to : {"a", "b"}) {
        b.statements.push_back(
            {Triple{Term::Entity(absl::StrCat(from, i)), "next",
                    Term::Entity(absl::StrCat(to, i + 1))},
             {Evidence("doc", 0)}});
      }
    }
  }
  return b;
}

TEST_F(PathTest, BudgetExhaustionIsFlaggedOrAnError) {
  std::unique_ptr<Store> store = NewStore("budget");
  Write(*store, Ladder(12));
  std::unique_ptr<storage::Reader> reader = store->NewReader();
  PathOptions options;
  options.max_hops = 12;
  options.direction = PathDirection::kOutgoing;
  options.mode = PathMode::kAllSimple;
  options.limit = 100000;
  absl::StatusOr<PathResult> full =
      FindPaths(*reader, Term::Entity("a0"), Term::Entity("a12"), options);
  ASSERT_THAT(full, IsOk());
  EXPECT_EQ(full->paths.size(), 2048u);  // 2^11 choices of side
  EXPECT_FALSE(full->summary.budget_exhausted);

  options.max_expanded_edges = full->summary.expanded_edges / 2;
  absl::StatusOr<PathResult> partial =
      FindPaths(*reader, Term::Entity("a0"), Term::Entity("a12"), options);
  ASSERT_THAT(partial, IsOk());
  EXPECT_TRUE(partial->summary.budget_exhausted);
  EXPECT_GT(partial->paths.size(), 0u);
  EXPECT_LT(partial->paths.size(), 2048u);
  EXPECT_LE(partial->summary.expanded_edges, options.max_expanded_edges);
  // What was returned is correct: the first paths in result order.
  for (size_t i = 0; i < partial->paths.size(); ++i) {
    EXPECT_EQ(TuplesOf(partial->paths[i]), TuplesOf(full->paths[i]));
  }

  // A shortest search never claims a path it did not finish proving.
  options.mode = PathMode::kShortest;
  options.max_expanded_edges = 10;
  EXPECT_THAT(
      FindPaths(*reader, Term::Entity("a0"), Term::Entity("a12"), options),
      StatusIs(absl::StatusCode::kResourceExhausted,
               HasSubstr("max_expanded_edges")));
  options.mode = PathMode::kWeighted;
  EXPECT_THAT(
      FindPaths(*reader, Term::Entity("a0"), Term::Entity("a12"), options),
      StatusIs(absl::StatusCode::kResourceExhausted));
  options.mode = PathMode::kKShortest;
  options.k = 50;
  options.max_expanded_edges = 0;
  absl::StatusOr<PathResult> all_k =
      FindPaths(*reader, Term::Entity("a0"), Term::Entity("a12"), options);
  ASSERT_THAT(all_k, IsOk());
  ASSERT_EQ(all_k->paths.size(), 50u);
  options.max_expanded_edges = all_k->summary.expanded_edges / 2;
  absl::StatusOr<PathResult> k =
      FindPaths(*reader, Term::Entity("a0"), Term::Entity("a12"), options);
  ASSERT_THAT(k, IsOk());
  EXPECT_TRUE(k->summary.budget_exhausted);
  EXPECT_GT(k->paths.size(), 0u);
  EXPECT_LT(k->paths.size(), 50u);
  for (size_t i = 0; i < k->paths.size(); ++i) {
    EXPECT_EQ(TuplesOf(k->paths[i]), TuplesOf(all_k->paths[i]));
  }

  // The neighbourhood is truncated, not failed.
  options.max_expanded_edges = 20;
  absl::StatusOr<Neighborhood> n =
      GetNeighborhood(*reader, Term::Entity("a0"), 12, 1000, options);
  ASSERT_THAT(n, IsOk());
  EXPECT_TRUE(n->truncated);
  EXPECT_TRUE(n->budget_exhausted);
}

TEST_F(PathTest, CancellationAndDeadlineStopTheSearch) {
  std::unique_ptr<Store> store = NewStore("cancel");
  Write(*store, Ladder(12));
  std::unique_ptr<storage::Reader> reader = store->NewReader();
  PathOptions options;
  options.mode = PathMode::kAllSimple;
  options.max_hops = 12;
  options.limit = 100000;
  int polls = 0;
  options.is_cancelled = [&polls] { return ++polls >= 3; };
  absl::StatusOr<PathSearchSummary> r =
      FindPaths(*reader, Term::Entity("a0"), Term::Entity("a12"), options,
                [](Path) { return absl::OkStatus(); });
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(polls, 3);

  options.is_cancelled = nullptr;
  options.deadline = absl::Now() - absl::Seconds(1);
  EXPECT_THAT(
      FindPaths(*reader, Term::Entity("a0"), Term::Entity("a12"), options),
      StatusIs(absl::StatusCode::kDeadlineExceeded));

  // A failing sink stops the search with its status.
  options.deadline = absl::InfiniteFuture();
  int seen = 0;
  r = FindPaths(*reader, Term::Entity("a0"), Term::Entity("a12"), options,
                [&seen](Path) {
                  return ++seen == 3 ? absl::UnavailableError("client gone")
                                     : absl::OkStatus();
                });
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(seen, 3);
}

// All simple paths reach the sink as the search finds them, not when it
// ends. Here it cannot end: after start -> target and start -> gate ->
// target it walks every simple path through a clique of rooms that lead on
// only to each other and back to the gate, already passed. The sink gets
// both paths, then stops the search.
TEST_F(PathTest, AllSimplePathsReachTheSinkWhileTheSearchRuns) {
  std::unique_ptr<Store> store = NewStore("endless");
  WriteBatch b;
  b.relations = {{"leads_to", "leads to", false, Polarity::kNone}};
  b.documents = {{"doc", "Doc", "Wire", D(2024, 10, 1), kText}};
  const auto edge = [&b](const std::string& s, const std::string& o) {
    b.statements.push_back({T(s, "leads_to", o), {Evidence("doc", 0)}});
  };
  for (const char* id : {"start", "target", "gate"}) {
    b.entities.push_back({id, id, "Thing", {}});
  }
  edge("start", "target");
  edge("start", "gate");
  edge("gate", "target");
  constexpr int kRooms = 20;
  for (int i = 0; i < kRooms; ++i) {
    const std::string room = absl::StrCat("room", i);
    b.entities.push_back({room, room, "Thing", {}});
    edge("gate", room);
    edge(room, "gate");
    for (int j = 0; j < kRooms; ++j) {
      if (j != i) edge(room, absl::StrCat("room", j));
    }
  }
  Write(*store, b);
  std::unique_ptr<storage::Reader> reader = store->NewReader();
  PathOptions options;
  options.mode = PathMode::kAllSimple;
  options.direction = PathDirection::kOutgoing;
  options.max_hops = 16;
  bool stop = false;
  options.is_cancelled = [&stop] { return stop; };
  std::vector<Path> paths;
  absl::StatusOr<PathSearchSummary> r =
      FindPaths(*reader, Term::Entity("start"), Term::Entity("target"), options,
                [&](Path path) {
                  paths.push_back(std::move(path));
                  stop = paths.size() == 2;
                  return absl::OkStatus();
                });
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kCancelled));
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(paths[0].hops.size(), 1u);
  EXPECT_EQ(paths[1].hops.size(), 2u);
}

TEST_F(PathTest, AsRecordedSeesRetractedStatements) {
  std::unique_ptr<Store> store = NewStore("as_recorded");
  Write(*store, Vocabulary());
  const absl::Time before = now_;
  now_ += absl::Hours(1);
  WriteBatch b;
  const Triple attacked = T("russia", "attacked", "ukraine");
  b.statements = {Stated(attacked)};
  Write(*store, b);
  now_ += absl::Hours(1);
  const absl::Time between = now_;
  now_ += absl::Hours(1);
  ASSERT_THAT(store->Retract(StatementIdOf(attacked), "early"), IsOk());
  now_ += absl::Hours(1);

  PathOptions options;
  EXPECT_TRUE(
      Run(*store, Term::Entity("russia"), Term::Entity("ukraine"), options)
          .empty());
  options.as_of.recorded_at = between;
  std::unique_ptr<storage::Reader> reader = store->NewReader();
  options.provenance = ProvenanceDetail::kFull;
  absl::StatusOr<PathResult> r = FindPaths(*reader, Term::Entity("russia"),
                                           Term::Entity("ukraine"), options);
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->paths.size(), 1u);
  ASSERT_EQ(r->paths[0].hops[0].provenance.size(), 1u);
  // Shown as it stood then: not yet retracted.
  EXPECT_FALSE(r->paths[0].hops[0].provenance[0].retracted_at.has_value());
  options.as_of.recorded_at = before;
  EXPECT_TRUE(
      Run(*store, Term::Entity("russia"), Term::Entity("ukraine"), options)
          .empty());
}

TEST_F(PathTest, AsReportedCountsOnlyDocumentsPublishedByThen) {
  std::unique_ptr<Store> store = NewStore("as_reported");
  WriteBatch b = Vocabulary();
  b.statements = {
      Stated(T("russia", "attacked", "ukraine"), 1.0, "late"),
      Stated(T("north_korea", "attacked", "ukraine"), 1.0, "undated")};
  Write(*store, b);
  PathOptions options;
  options.as_of.reported_by = D(2024, 10, 15);
  EXPECT_TRUE(
      Run(*store, Term::Entity("russia"), Term::Entity("ukraine"), options)
          .empty());
  options.as_of.reported_by = D(2024, 10, 20);
  EXPECT_EQ(
      Run(*store, Term::Entity("russia"), Term::Entity("ukraine"), options)
          .size(),
      1u);
  options.as_of.reported_by = D(2024, 10);  // all of October
  EXPECT_EQ(
      Run(*store, Term::Entity("russia"), Term::Entity("ukraine"), options)
          .size(),
      1u);
  // Undated documents never count as reported by a date.
  EXPECT_TRUE(
      Run(*store, Term::Entity("north_korea"), Term::Entity("ukraine"), options)
          .empty());
}

TEST_F(PathTest, FiltersApplyDuringTraversal) {
  std::unique_ptr<Store> store = NewStore("filters");
  WriteBatch b = Vocabulary();
  ValidTime june{D(2024, 6), D(2024, 6)};
  b.statements = {
      Stated(T("nis", "leads", "putin"), 0.9),
      Stated(T("putin", "leads", "russia"), 0.9, "early", 1),
      Stated(T("nis", "attacked", "kremlin"), 0.4, "late"),
      Stated(T("kremlin", "attacked", "russia"), 0.9, "late", 1),
      {T("nis", "allied_with", "nato"), {Evidence("early", 2, 1.0, june)}},
      Stated(T("nato", "allied_with", "russia"), 1.0, "late", 2),
  };
  Write(*store, b);
  PathOptions options;
  options.mode = PathMode::kAllSimple;
  const Term nis = Term::Entity("nis");
  const Term russia = Term::Entity("russia");
  EXPECT_EQ(Run(*store, nis, russia, options).size(), 3u);
  options.allowed_entity_types = {"Organization"};  // not through Putin
  EXPECT_EQ(Run(*store, nis, russia, options).size(), 2u);
  options.allowed_entity_types.clear();
  options.excluded_relations = {"attacked"};
  EXPECT_EQ(Run(*store, nis, russia, options).size(), 2u);
  options.excluded_relations.clear();
  options.allowed_relations = {"leads"};
  EXPECT_EQ(Run(*store, nis, russia, options).size(), 1u);
  options.allowed_relations.clear();
  options.min_confidence = 0.5;
  EXPECT_EQ(Run(*store, nis, russia, options).size(), 2u);
  options.min_confidence = 0;
  options.only_documents = {"late"};
  EXPECT_EQ(Run(*store, nis, russia, options).size(), 1u);
  options.only_documents.clear();
  options.valid_time = {D(2024, 8), std::nullopt};  // NATO hop: June only
  EXPECT_EQ(Run(*store, nis, russia, options).size(), 2u);
}

TEST_F(PathTest, ErrorsNameTheField) {
  std::unique_ptr<Store> store = NewStore("errors");
  WriteBatch b = Vocabulary();
  const Triple attacked = T("russia", "attacked", "ukraine");
  b.statements = {Stated(attacked)};
  Write(*store, b);
  std::unique_ptr<storage::Reader> reader = store->NewReader();
  PathOptions options;
  EXPECT_THAT(FindPaths(*reader, Term::Entity("atlantis"),
                        Term::Entity("russia"), options),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("from")));
  EXPECT_THAT(FindPaths(*reader, Term::Entity("russia"), Term::Quoted(attacked),
                        options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("to: a statement endpoint needs")));
  options.k = 0;
  EXPECT_THAT(
      FindPaths(*reader, Term::Entity("russia"), Term::Entity("nis"), options),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("options.k")));
  options.k = 3;
  options.max_hops = 0;
  EXPECT_THAT(
      FindPaths(*reader, Term::Entity("russia"), Term::Entity("nis"), options),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("options.max_hops")));
  options.max_hops = 6;
  options.allowed_relations = {"teleported"};
  EXPECT_THAT(
      FindPaths(*reader, Term::Entity("russia"), Term::Entity("nis"), options),
      StatusIs(absl::StatusCode::kNotFound,
               HasSubstr("options.allowed_relations[0]")));
  options.allowed_relations.clear();
  options.only_documents = {"nowhere"};
  EXPECT_THAT(
      FindPaths(*reader, Term::Entity("russia"), Term::Entity("nis"), options),
      StatusIs(absl::StatusCode::kNotFound,
               HasSubstr("options.only_documents[0]")));
  options.only_documents.clear();
  options.only_claimants = {"nobody"};
  EXPECT_THAT(
      FindPaths(*reader, Term::Entity("russia"), Term::Entity("nis"), options),
      StatusIs(absl::StatusCode::kNotFound,
               HasSubstr("options.only_claimants[0]")));
  options.only_claimants.clear();
  // An entity type no entity has is unknown, as a relation is.
  options.allowed_entity_types = {"Country", "Planet"};
  EXPECT_THAT(
      FindPaths(*reader, Term::Entity("russia"), Term::Entity("nis"), options),
      StatusIs(absl::StatusCode::kNotFound,
               ::testing::StartsWith("options.allowed_entity_types[1]: no "
                                     "entity has the type 'Planet'")));
  options.allowed_entity_types = {"not a type"};
  EXPECT_THAT(
      FindPaths(*reader, Term::Entity("russia"), Term::Entity("nis"), options),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::StartsWith("options.allowed_entity_types[0]: ")));
  options.allowed_entity_types = {"Country"};
  EXPECT_THAT(
      FindPaths(*reader, Term::Entity("russia"), Term::Entity("nis"), options),
      IsOk());
  PathOptions planets;
  planets.allowed_entity_types = {"Planet"};
  EXPECT_THAT(GetNeighborhood(*reader, Term::Entity("russia"), 1, 10, planets),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("options.allowed_entity_types[0]")));
  options.allowed_entity_types.clear();
  // Same endpoints: one path without hops. No path: OK and empty.
  absl::StatusOr<PathResult> r = FindPaths(*reader, Term::Entity("russia"),
                                           Term::Entity("russia"), options);
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->paths.size(), 1u);
  EXPECT_TRUE(r->paths[0].hops.empty());
  r = FindPaths(*reader, Term::Entity("russia"), Term::Entity("nis"), options);
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->paths.empty());
}

TEST_F(PathTest, NeighborhoodIsLimitedAndFlagged) {
  std::unique_ptr<Store> store = NewStore("neighborhood");
  Write(*store, Ladder(6));
  std::unique_ptr<storage::Reader> reader = store->NewReader();
  PathOptions options;
  absl::StatusOr<Neighborhood> n =
      GetNeighborhood(*reader, Term::Entity("a0"), 2, 1000, options);
  ASSERT_THAT(n, IsOk());
  EXPECT_FALSE(n->truncated);
  // a0 -> a1, b1 -> a2, b2; and back from a1, b1 to b0.
  EXPECT_EQ(n->nodes.size(), 6u);
  EXPECT_EQ(n->statements.size(), 8u);
  EXPECT_EQ(n->nodes[0].term.id, "a0");  // ordered by id
  n = GetNeighborhood(*reader, Term::Entity("a0"), 2, 3, options);
  ASSERT_THAT(n, IsOk());
  EXPECT_TRUE(n->truncated);
  EXPECT_FALSE(n->budget_exhausted);
  EXPECT_EQ(n->statements.size(), 3u);
  EXPECT_THAT(GetNeighborhood(*reader, Term::Entity("a0"), 0, 3, options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hops")));
}

}  // namespace
}  // namespace kg::query
