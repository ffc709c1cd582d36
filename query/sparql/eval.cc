#include "query/sparql/eval.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "query/sparql/functions.h"
#include "rdf/iri.h"

namespace kg::sparql {
namespace {

// Ids the query makes itself (BIND, functions, VALUES, constants the data
// lacks) have the top bit set: an index into the local vocabulary.
constexpr Id kLocal = Id{1} << 63;

using Row = std::vector<Id>;
using Rows = std::vector<Row>;

class Evaluator {
 public:
  Evaluator(const Query& query, Dataset& dataset, const EvalOptions& options)
      : query_(query), data_(dataset), options_(options) {}

  absl::StatusOr<QueryResult> Run();
  // EXPLAIN: the plan, with estimates, without running it.
  std::string Plan();
  // EstimatedWork.
  double Work() {
    CollectAllSlots();
    return Work(query_.pattern, kDefaultGraph);
  }

 private:
  void CollectAllSlots();
  // Notes, for each triple `?s p ?v` of a basic graph pattern that a
  // FILTER requires ?v of to start with a literal prefix (STRSTARTS, or a
  // regex anchored by ^), that prefix: its matches are then asked of the
  // dataset by prefix (Dataset::MatchObjectPrefix) instead of all read.
  void CollectObjectPrefixes(const GraphPattern& p);
  absl::flat_hash_map<const TriplePattern*, std::string> object_prefix_;
  // ---- Variables and terms ----
  int Slot(const std::string& name) {
    auto [it, inserted] = slots_.emplace(name, static_cast<int>(names_.size()));
    if (inserted) names_.push_back(name);
    return it->second;
  }
  void CollectSlots(const GraphPattern& p);
  void CollectSlots(const Expression& e);
  void CollectSlots(const PatternTerm& t);
  // A variable's slot: the one CollectSlots noted, else by its name (a
  // pattern the evaluator made itself).
  int SlotOf(const PatternTerm& t) const {
    return t.slot >= 0 ? t.slot : slots_.at(t.variable);
  }
  Row EmptyRow() const { return Row(names_.size(), 0); }

  Id Intern(const rdf::Term& term) {
    if (const Id id = data_.Lookup(term); id != 0) return id;
    const std::string key = TermKey(term);
    auto [it, inserted] = local_ids_.emplace(key, kLocal | local_.size());
    if (inserted) local_.push_back(term);
    return it->second;
  }
  // The id `id`'s term interns to: one term can have two ids in a row (an
  // IRI a store holds both as a node and as a relation), and comparing
  // terms must see them equal. Decodes each id once per query.
  Id Canonical(Id id) {
    if (id == 0 || (!(id & kLocal) && data_.IsCanonical(id))) return id;
    auto [it, inserted] = canonical_.try_emplace(id, 0);
    if (inserted) it->second = Intern(Decode(id));
    return it->second;
  }
  rdf::Term Decode(Id id) {
    if (id & kLocal) return local_[id & ~kLocal];
    return data_.TermOf(id);
  }
  // The dataset's id of a constant; 0 when the data does not hold it.
  Id DataId(const rdf::Term& term) { return data_.Lookup(term); }

  absl::Status Check(size_t rows) {
    if (rows > options_.max_rows) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the query's solutions exceed the cap of ",
                       options_.max_rows, " rows (max_rows)"));
    }
    const uint64_t bytes = rows * names_.size() * sizeof(Id);
    if (options_.max_bytes != 0 && bytes > options_.max_bytes) {
      auto size = [](uint64_t b) {
        return b >= (1 << 20) ? absl::StrCat(b >> 20, " MiB")
                              : absl::StrCat(b >> 10, " KiB");
      };
      return absl::ResourceExhaustedError(absl::StrCat(
          "the query's solutions would take ", size(bytes),
          ", more than its memory cap of ", size(options_.max_bytes),
          " (the server's --max_query_memory_bytes)"));
    }
    if (options_.check) return options_.check();
    return absl::OkStatus();
  }
  // Whether `rows` solutions pass a cap: the loops that make solutions
  // stop there (every 1,024 rows they look), and the Check that follows
  // says why.
  bool Exceeded(size_t rows) const {
    if ((rows & 1023) != 0) return false;
    return rows > options_.max_rows ||
           (options_.max_bytes != 0 &&
            rows * names_.size() * sizeof(Id) > options_.max_bytes);
  }

  // ---- Patterns ----
  // A consumer of solutions, one at a time; false: it wants no more.
  using RowSink = std::function<bool(Row&&)>;
  absl::StatusOr<Rows> Eval(const GraphPattern& p, Id graph);
  absl::StatusOr<Rows> EvalOperator(const GraphPattern& p, Id graph);
  // Passes the solutions of `p` to `sink` in order. The operators that need
  // not see all their input first (basic graph patterns, filter, extend,
  // project, distinct, reduced, slice, union) pass each solution on as it
  // is made, so a LIMIT stops the scans under it, DISTINCT keeps only the
  // distinct rows and the first row leaves before the last is found; the
  // others are evaluated whole (Eval) and then passed on.
  absl::Status Stream(const GraphPattern& p, Id graph, const RowSink& sink);
  absl::Status StreamOperator(const GraphPattern& p, Id graph,
                              const RowSink& sink);
  static bool Streams(GraphPattern::Kind kind);
  // The most triples of a basic graph pattern evaluated by recursion (one
  // level each); the rest run in a loop.
  static constexpr size_t kMaxDepthFirst = 32;
  // DISTINCT over the objects of one triple pattern with a known predicate
  // and an open subject (`SELECT DISTINCT ?o WHERE { ?s p ?o }`), when the
  // dataset lists them itself (Dataset::ObjectsOf); nullopt when the
  // shape or the dataset does not fit.
  std::optional<absl::Status> StreamDistinctObjects(
      const GraphPattern& p, Id graph, const RowSink& sink,
      absl::flat_hash_set<Row>& seen);
  // A step of a basic graph pattern: which triple, and the dataset's
  // estimate of its matches with only its constants bound.
  // How a step extends the solutions before it (docs/query.md "Join
  // methods"): a lookup of the triple per solution (an index nested loop),
  // or a probe of the triple's matches, read once, by the join variables:
  // hashed, or sorted on the one join variable that the solutions come
  // sorted on (a merge join: the probes walk the matches forward).
  enum class JoinMethod { kLookup, kHash, kMerge };
  struct BgpStep {
    size_t triple = 0;
    uint64_t estimate = 0;  // the triple's matches alone
    // The solutions expected after this step: those before it times the
    // triple's matches per solution (Dataset::MatchesPerBinding).
    double solutions = 0;
    uint64_t rows = 0;  // PROFILE: the solutions after this step
    // PROFILE: the dataset lookups (index seeks or scans, description
    // lookups) the step made: one per solution it looked up, and one scan
    // of the triple when a hash or merge join read its matches.
    uint64_t lookups = 0;
    JoinMethod method = JoinMethod::kLookup;
    std::vector<size_t> key;  // kHash, kMerge: the join variable's slot
    // kHash, kMerge: the lookups to make before reading the triple's
    // matches: as many as reading them costs, at most kLookupsFirst (so a
    // LIMIT or ASK that needs few solutions never reads them, and an
    // estimate too small costs a bounded number of lookups).
    uint64_t lookups_first = 0;
  };
  static constexpr double kLookupsFirst = 1024;
  // A hash or merge join step's triple matches, read at its first probe.
  struct JoinTable {
    bool built = false;
    // The triple's matches: per match, the ids of its variables' slots.
    std::vector<size_t> slots;
    std::vector<Id> values;  // matches × slots.size()
    size_t key_column = 0;   // the join variable's column
    // kHash: per key, its first match, each match the next of that key.
    absl::flat_hash_map<Id, uint32_t> first;
    std::vector<uint32_t> next;
    // kMerge: (key, match), ascending; the first entry not below the last
    // probe's key.
    std::vector<std::pair<Id, uint32_t>> sorted;
    size_t cursor = 0;
    uint64_t looked_up = 0;  // solutions looked up before it was read
  };
  // Reads the triple's matches into `table` for a hash or merge join.
  absl::Status BuildJoinTable(const TriplePattern& t, const BgpStep& step,
                              Id graph, JoinTable& table);
  // Calls emit with each extension of `row` by the step's triple, until it
  // answers false (then false): a lookup, or a probe of `table`, which
  // the first probe fills. An error (a cap, the deadline) is put in
  // `failed`, and false returned.
  bool Extend(const TriplePattern& t, BgpStep& step, JoinTable& table,
              const Row& row, Id graph, const RowSink& emit,
              absl::Status* failed);
  // The slots of a triple's join variables when a hash or merge join may
  // run it: its positions plain variables and constants, its predicate a
  // constant whose matches join by id (Dataset::JoinsById), and the
  // variables it shares with the steps before all bound by them.
  std::optional<std::vector<size_t>> JoinKeyOf(
      const TriplePattern& t, const absl::flat_hash_set<std::string>& bound);
  // ", hash join on ?x" for EXPLAIN, "" for a lookup.
  std::string JoinText(const BgpStep& step) const;
  // The order a basic graph pattern runs in: first the triple with the
  // fewest estimated matches, then, among the triples that share a
  // variable with those before, the one with the fewest, each variable
  // already bound dividing its estimate by 1,000.
  // `bound`: variables every solution it starts from binds (a bind
  // join's).
  // `seeds`: how many solutions it starts from, for the estimates.
  std::vector<BgpStep> PlanBgp(const std::vector<TriplePattern>& triples,
                               Id graph,
                               const absl::flat_hash_set<std::string>& bound =
                                   absl::flat_hash_set<std::string>(),
                               double seeds = 1);
  absl::StatusOr<Rows> EvalBgp(const GraphPattern& p, Id graph);
  // Runs `steps` of a basic graph pattern from `rows` (the solutions it
  // extends).
  absl::StatusOr<Rows> RunBgp(const GraphPattern& p, Id graph, Rows rows,
                              std::vector<BgpStep> steps);
  // A bind join: when one side of a join or the left of an OPTIONAL
  // answers at most kBindJoinRows solutions that all bind variables every
  // triple of the other side, a basic graph pattern, is connected to, the
  // pattern runs from those solutions (index lookups) instead of on its
  // own (scans). nullopt when the shapes do not fit: evaluate both sides.
  static constexpr size_t kBindJoinRows = 1000;
  std::optional<absl::flat_hash_set<std::string>> BindJoinVariables(
      const GraphPattern& bgp, const Rows& seeds) const;
  absl::StatusOr<Rows> EvalJoin(const GraphPattern& p, Id graph);
  // ORDER BY ?v (one key, ascending) under a LIMIT that wants its first
  // `k` rows, over a basic graph pattern (perhaps filtered) with a triple
  // `?s <p> ?v`, when the dataset lists that triple's matches in ?v's
  // order (Dataset::MatchInObjectOrder): each match in that order,
  // extended by the rest of the pattern, until k solutions; no sort.
  // nullopt when the shape or the dataset does not fit.
  std::optional<absl::StatusOr<Rows>> TopKInObjectOrder(const GraphPattern& p,
                                                        size_t k, Id graph);
  // A hash join of `a`'s solutions, hashed on the variables of `b` they
  // all bind, with `b`'s as they stream (never held).
  absl::StatusOr<Rows> JoinStreamed(Rows a, const GraphPattern& b, Id graph);
  double Work(const GraphPattern& p, Id graph);
  double WorkOf(const GraphPattern& p, Id graph);
  // Appends the plan under `p` at `depth`, with PROFILE's figures when
  // they were collected.
  void PrintPlan(const GraphPattern& p, Id graph, int depth, std::string* out);
  // Calls emit with each extension of `row` by a match of `t` until it
  // answers false; false when it did.
  bool MatchTriple(const TriplePattern& t, const Row& row, Id graph,
                   const RowSink& emit);
  void MatchTriple(const TriplePattern& t, const Row& row, Id graph,
                   Rows* out) {
    MatchTriple(t, row, graph, [&](Row&& r) {
      out->push_back(std::move(r));
      return !Exceeded(out->size());
    });
  }
  // Whether a triple of these ids (0: open) with an open triple term as
  // object is matched through the triple terms that fit
  // (`?r rdf:reifies <<( ?s :p :o )>>`): only with the subject open and the
  // predicate known; a known subject is one lookup already, and an open
  // predicate would scan every triple once per term.
  static bool ListsTripleTerms(Id s, Id p, Id o) {
    return o == 0 && s == 0 && p != 0;
  }
  static constexpr size_t kMaxListedTripleTerms = 100'000;
  // Whether `t` is a triple term pattern with some parts known under `row`
  // and some open; then its parts' ids (0: open).
  bool OpenTripleTermParts(const PatternTerm& t, const Row& row, Id* s, Id* p,
                           Id* o);
  // The id a position stands for under `row`: a bound value, or 0 (open);
  // *impossible when it names something the data cannot hold.
  Id Resolve(const PatternTerm& t, const Row& row, bool* impossible);
  bool Unify(const PatternTerm& t, Id id, Row* row);
  Rows LeftJoin(Rows a, Rows b, const std::optional<Expression>& filter,
                Id graph);
  Rows Minus(Rows a, const Rows& b);
  absl::StatusOr<Rows> Group(const GraphPattern& p, Rows in, Id graph);
  // GROUP BY whose aggregates are all COUNT(*) or COUNT([DISTINCT] ?v):
  // the input streams past per-group counters (and, for DISTINCT, the
  // group's distinct values) instead of being held whole.
  static bool OnlyCounts(const GraphPattern& p);
  absl::StatusOr<Rows> CountGroups(const GraphPattern& p, Id graph);
  // COUNT(*) (or COUNT(?v) of its variables) of one triple, without GROUP
  // BY, when the dataset counts it itself (Dataset::Count): its one row;
  // nullopt when the shape or the dataset does not fit.
  absl::StatusOr<std::optional<Rows>> CountOneTriple(const GraphPattern& p,
                                                     Id graph);
  // GROUP BY one end of one triple `?s :p ?o` counting its matches
  // (COUNT(*), or COUNT(?v) of its variables), when the dataset counts by
  // that end itself (Dataset::CountByEnd): the groups' rows; nullopt when
  // the shape or the dataset does not fit.
  absl::StatusOr<std::optional<Rows>> CountByEnd(const GraphPattern& p,
                                                 Id graph);
  // The group key of a solution: each key expression's value, interned.
  std::vector<Id> GroupKey(const GraphPattern& p, const Row& row, Id graph);
  // A group's output row: its keys, and its aggregates' values (0:
  // unbound).
  Row GroupRow(const GraphPattern& p, const std::vector<Id>& key,
               const std::vector<Id>& values);
  // Intern(IntegerTerm(n)), remembered: counts repeat across groups.
  Id IntegerId(int64_t n) {
    auto [it, inserted] = integer_ids_.try_emplace(n, 0);
    if (inserted) it->second = Intern(IntegerTerm(n));
    return it->second;
  }
  // SERVICE <iri> { ... } that the dataset answers itself.
  absl::StatusOr<Rows> LocalService(const GraphPattern& p);
  absl::StatusOr<Rows> EvalPath(const GraphPattern& p, Id graph);
  std::vector<Id> Forward(const PropertyPath& path, Id graph, Id from);
  std::vector<Id> Backward(const PropertyPath& path, Id graph, Id to);
  std::vector<Id> Closure(const PropertyPath& path, Id graph, Id start,
                          bool forward, bool include_start);
  std::vector<Id> Nodes(Id graph);
  // Polls options_.check every 1,024 calls, for loops that make no rows
  // (a path's closure, the nodes of a graph): true once it failed, and
  // interrupted_ keeps its error.
  bool Interrupted();
  absl::Status interrupted_;
  uint64_t polled_ = 0;

  // ---- Expressions ----
  Value EvalExpr(const Expression& e, const Row& row, Id graph);
  std::optional<bool> Ebv(const Expression& e, const Row& row, Id graph) {
    const Value v = EvalExpr(e, row, graph);
    if (!v) return std::nullopt;
    return EffectiveBooleanValue(*v);
  }
  Value Aggregate(const Expression& agg, const Rows& rows,
                  const std::vector<size_t>& members, Id graph);

  // ---- Forms ----
  void Instantiate(const std::vector<TriplePattern>& tmpl, const Row& row,
                   int solution, absl::flat_hash_set<std::string>* seen,
                   std::vector<rdf::Triple>* out);
  std::optional<rdf::Term> TemplateTerm(const PatternTerm& t, const Row& row,
                                        int solution);

  const Query& query_;
  Dataset& data_;
  const EvalOptions& options_;
  // PROFILE: per operator, its solutions and time (all its calls).
  struct OperatorStats {
    uint64_t calls = 0;
    uint64_t rows = 0;
    absl::Duration time;
  };
  absl::flat_hash_map<const GraphPattern*, OperatorStats> stats_;
  absl::flat_hash_map<const GraphPattern*, std::vector<BgpStep>> bgp_steps_;
  absl::flat_hash_map<std::string, int> slots_;
  std::vector<std::string> names_;
  std::vector<rdf::Term> local_;
  absl::flat_hash_map<std::string, Id> local_ids_;
  absl::flat_hash_map<Id, Id> canonical_;         // Canonical()'s memo
  absl::flat_hash_map<int64_t, Id> integer_ids_;  // IntegerId()'s memo
  // ORDER BY operators under a LIMIT: how many of their first rows it can
  // take (the rest need not be sorted).
  absl::flat_hash_map<const GraphPattern*, size_t> top_k_;
  int bnodes_ = 0;
};

// An estimate of solutions as EXPLAIN prints it: whole from 10 up, two
// significant digits below.
std::string EstimateText(double n) {
  if (n >= 10 && n < 1e15) {
    return absl::StrCat(static_cast<uint64_t>(std::llround(n)));
  }
  return absl::StrFormat("%.2g", n);
}

bool Compatible(const Row& a, const Row& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != 0 && b[i] != 0 && a[i] != b[i]) return false;
  }
  return true;
}

Row Merge(const Row& a, const Row& b) {
  Row r = a;
  for (size_t i = 0; i < r.size(); ++i) {
    if (r[i] == 0) r[i] = b[i];
  }
  return r;
}

// The slots bound in every row of both sides: a hash join's key.
std::vector<size_t> JoinKey(const Rows& a, const Rows& b, size_t width) {
  std::vector<size_t> key;
  for (size_t i = 0; i < width; ++i) {
    bool all = true;
    for (const Row& r : a) {
      if (r[i] == 0) {
        all = false;
        break;
      }
    }
    if (!all) continue;
    for (const Row& r : b) {
      if (r[i] == 0) {
        all = false;
        break;
      }
    }
    if (all) key.push_back(i);
  }
  return key;
}

std::vector<Id> KeyOf(const Row& r, const std::vector<size_t>& key) {
  std::vector<Id> k;
  k.reserve(key.size());
  for (size_t i : key) k.push_back(r[i]);
  return k;
}

void Evaluator::CollectSlots(const PatternTerm& t) {
  if (t.kind == PatternTerm::Kind::kVariable) {
    t.slot = Slot(t.variable);
  } else if (t.kind == PatternTerm::Kind::kTerm) {
    t.constant_resolved = false;
  } else if (t.kind == PatternTerm::Kind::kTriple) {
    CollectSlots(t.triple->subject);
    CollectSlots(t.triple->predicate);
    CollectSlots(t.triple->object);
  }
}

void Evaluator::CollectSlots(const Expression& e) {
  if (e.kind == Expression::Kind::kVariable) Slot(e.name);
  for (const Expression& o : e.operands) CollectSlots(o);
  if (e.pattern) CollectSlots(*e.pattern);
}

void Evaluator::CollectSlots(const GraphPattern& p) {
  for (const TriplePattern& t : p.triples) {
    CollectSlots(t.subject);
    CollectSlots(t.predicate);
    CollectSlots(t.object);
  }
  CollectSlots(p.path_subject);
  CollectSlots(p.path_object);
  CollectSlots(p.name);
  if (p.expression) CollectSlots(*p.expression);
  if (!p.variable.empty()) Slot(p.variable);
  for (const std::string& v : p.variables) Slot(v);
  for (const auto& k : p.group_keys) {
    CollectSlots(k.expression);
    if (!k.variable.empty()) Slot(k.variable);
  }
  for (const auto& a : p.aggregates) {
    Slot(a.variable);
    CollectSlots(a.aggregate);
  }
  for (const OrderCondition& c : p.order) CollectSlots(c.expression);
  for (const GraphPattern& o : p.operands) CollectSlots(o);
}

// ---- Basic graph patterns ----

Id Evaluator::Resolve(const PatternTerm& t, const Row& row, bool* impossible) {
  switch (t.kind) {
    case PatternTerm::Kind::kTerm: {
      if (!t.constant_resolved) {
        t.constant_id = DataId(t.term);
        t.constant_resolved = true;
      }
      if (t.constant_id == 0) *impossible = true;
      return t.constant_id;
    }
    case PatternTerm::Kind::kVariable: {
      const Id id = row[SlotOf(t)];
      if (id & kLocal) *impossible = true;
      return id;
    }
    case PatternTerm::Kind::kTriple: {
      bool inner_impossible = false;
      const Id s = Resolve(t.triple->subject, row, &inner_impossible);
      const Id p = Resolve(t.triple->predicate, row, &inner_impossible);
      const Id o = Resolve(t.triple->object, row, &inner_impossible);
      if (inner_impossible) {
        *impossible = true;
        return 0;
      }
      if (s == 0 || p == 0 || o == 0) return 0;  // open: unified later
      const Id id = DataId(
          rdf::Term::TripleTerm(rdf::Triple{Decode(s), Decode(p), Decode(o)}));
      if (id == 0) *impossible = true;
      return id;
    }
  }
  return 0;
}

bool Evaluator::Unify(const PatternTerm& t, Id id, Row* row) {
  switch (t.kind) {
    case PatternTerm::Kind::kTerm:
      return true;  // matched by the scan
    case PatternTerm::Kind::kVariable: {
      Id& slot = (*row)[SlotOf(t)];
      if (slot == 0) {
        slot = id;
        return true;
      }
      return slot == id;
    }
    case PatternTerm::Kind::kTriple: {
      Id s, p, o;
      if (!data_.TripleOf(id, &s, &p, &o)) return false;
      auto constant_ok = [&](const PatternTerm& part, Id value) {
        return part.kind != PatternTerm::Kind::kTerm ||
               DataId(part.term) == value;
      };
      return constant_ok(t.triple->subject, s) &&
             constant_ok(t.triple->predicate, p) &&
             constant_ok(t.triple->object, o) &&
             Unify(t.triple->subject, s, row) &&
             Unify(t.triple->predicate, p, row) &&
             Unify(t.triple->object, o, row);
    }
  }
  return false;
}

bool Evaluator::OpenTripleTermParts(const PatternTerm& t, const Row& row, Id* s,
                                    Id* p, Id* o) {
  if (t.kind != PatternTerm::Kind::kTriple) return false;
  bool impossible = false;
  *s = Resolve(t.triple->subject, row, &impossible);
  *p = Resolve(t.triple->predicate, row, &impossible);
  *o = Resolve(t.triple->object, row, &impossible);
  // Impossible parts match nothing; the ordinary match finds that out.
  return !impossible && (*s != 0 || *p != 0 || *o != 0) &&
         (*s == 0 || *p == 0 || *o == 0);
}

bool Evaluator::MatchTriple(const TriplePattern& t, const Row& row, Id graph,
                            const RowSink& emit) {
  bool impossible = false;
  const Id s = Resolve(t.subject, row, &impossible);
  const Id p = Resolve(t.predicate, row, &impossible);
  const Id o = Resolve(t.object, row, &impossible);
  if (impossible) return true;
  Id ts, tp, to;
  if (ListsTripleTerms(s, p, o) &&
      OpenTripleTermParts(t.object, row, &ts, &tp, &to)) {
    // The triple terms that fit first, then the triples that have one of
    // them as object; past kMaxListedTripleTerms, the ordinary match (one
    // pass over the predicate) instead.
    std::vector<Id> terms;
    bool cut = false;
    const bool listed = data_.MatchTripleTerms(ts, tp, to, [&](Id id) {
      if (terms.size() == kMaxListedTripleTerms) {
        cut = true;
        return false;
      }
      terms.push_back(id);
      return true;
    });
    if (listed && !cut) {
      for (Id term : terms) {
        Row bound = row;
        if (!Unify(t.object, term, &bound)) continue;
        bool go_on = true;
        data_.Match(graph, s, p, term, [&](Id ms, Id mp, Id) {
          Row r = bound;
          if (Unify(t.subject, ms, &r) && Unify(t.predicate, mp, &r)) {
            go_on = emit(std::move(r));
          }
          return go_on;
        });
        if (!go_on) return false;
      }
      return true;
    }
  }
  bool go_on = true;
  auto each = [&](Id ms, Id mp, Id mo) {
    Row r = row;
    if (Unify(t.subject, ms, &r) && Unify(t.predicate, mp, &r) &&
        Unify(t.object, mo, &r)) {
      go_on = emit(std::move(r));
    }
    return go_on;
  };
  if (o == 0 && s == 0 && p != 0) {
    auto it = object_prefix_.find(&t);
    if (it != object_prefix_.end() &&
        data_.MatchObjectPrefix(graph, p, it->second, each)) {
      return go_on;
    }
  }
  data_.Match(graph, s, p, o, each);
  return go_on;
}

namespace {

// The variables of a pattern position, triple terms' included.
void AddVariables(const PatternTerm& t, std::vector<std::string>* out) {
  if (t.kind == PatternTerm::Kind::kVariable) out->push_back(t.variable);
  if (t.kind == PatternTerm::Kind::kTriple) {
    AddVariables(t.triple->subject, out);
    AddVariables(t.triple->predicate, out);
    AddVariables(t.triple->object, out);
  }
}

}  // namespace

double Evaluator::Work(const GraphPattern& p, Id graph) {
  // Planning a pattern of very many triples is itself work (the greedy
  // order is quadratic): such a query is not small.
  constexpr size_t kMaxTriples = 64;
  size_t triples = 0;
  std::vector<const GraphPattern*> todo = {&p};
  while (!todo.empty()) {
    const GraphPattern* q = todo.back();
    todo.pop_back();
    triples += q->triples.size();
    if (triples > kMaxTriples) return std::numeric_limits<double>::infinity();
    for (const GraphPattern& o : q->operands) todo.push_back(&o);
  }
  return WorkOf(p, graph);
}

double Evaluator::WorkOf(const GraphPattern& p, Id graph) {
  double work = 0;
  if (p.kind == GraphPattern::Kind::kBgp && !p.triples.empty()) {
    const std::vector<BgpStep> steps = PlanBgp(p.triples, graph);
    work += static_cast<double>(steps[0].estimate);
    for (const BgpStep& step : steps) work += step.solutions;
  } else if (p.kind == GraphPattern::Kind::kPath &&
             p.path_subject.is_variable() && p.path_object.is_variable()) {
    return std::numeric_limits<double>::infinity();  // from every node
  } else if (p.kind == GraphPattern::Kind::kPath ||
             p.kind == GraphPattern::Kind::kService) {
    work += 1000;
  }
  if (p.kind == GraphPattern::Kind::kLeftJoin &&
      p.operands[0].kind == GraphPattern::Kind::kBgp &&
      p.operands[1].kind == GraphPattern::Kind::kBgp &&
      !p.operands[0].triples.empty() && !p.operands[1].triples.empty()) {
    // An OPTIONAL runs its pattern from each solution on its left, with
    // the left's variables bound (a bind join).
    const std::vector<BgpStep> left = PlanBgp(p.operands[0].triples, graph);
    absl::flat_hash_set<std::string> bound;
    for (const TriplePattern& t : p.operands[0].triples) {
      std::vector<std::string> vars;
      for (const PatternTerm* pt : {&t.subject, &t.predicate, &t.object}) {
        AddVariables(*pt, &vars);
      }
      bound.insert(vars.begin(), vars.end());
    }
    work += static_cast<double>(left[0].estimate);
    for (const BgpStep& step : left) work += step.solutions;
    for (const BgpStep& step :
         PlanBgp(p.operands[1].triples, graph, bound, left.back().solutions)) {
      work += step.solutions;
    }
    return work;
  }
  for (const GraphPattern& o : p.operands) work += WorkOf(o, graph);
  return work;
}

std::vector<Evaluator::BgpStep> Evaluator::PlanBgp(
    const std::vector<TriplePattern>& triples, Id graph,
    const absl::flat_hash_set<std::string>& bound_at_start, double seeds) {
  std::vector<BgpStep> steps;
  std::vector<uint64_t> base(triples.size());
  const Row none = EmptyRow();
  for (size_t i = 0; i < triples.size(); ++i) {
    const TriplePattern& t = triples[i];
    bool impossible = false;
    const Id s = Resolve(t.subject, none, &impossible);
    const Id p = Resolve(t.predicate, none, &impossible);
    const Id o = Resolve(t.object, none, &impossible);
    base[i] = impossible ? 0 : data_.Estimate(graph, s, p, o);
    // A triple a FILTER gives an object prefix: its matches by prefix.
    if (auto it = object_prefix_.find(&t); !impossible && s == 0 && o == 0 &&
                                           p != 0 &&
                                           it != object_prefix_.end()) {
      if (std::optional<uint64_t> n =
              data_.EstimateObjectPrefix(graph, p, it->second)) {
        base[i] = std::min(base[i], *n);
      }
    }
    // An open triple term's known parts bound the triples about it (as
    // many as the triple terms that fit, for a reifier).
    Id ts, tp, to;
    if (!impossible && ListsTripleTerms(s, p, o) &&
        OpenTripleTermParts(t.object, none, &ts, &tp, &to)) {
      base[i] = std::min(base[i], data_.Estimate(graph, ts, tp, to) + 1);
    }
  }
  std::vector<bool> done(triples.size(), false);
  absl::flat_hash_set<std::string> bound = bound_at_start;
  // Hash and merge joins key on variables this pattern binds itself (a
  // bind join's seeds may hold ids the query made), so not in a bind join.
  const bool joins =
      bound_at_start.empty() &&
      options_.join_methods != EvalOptions::JoinMethods::kLookups;
  int first_variable = -1;
  // Per triple, its positions (and its triple terms' direct parts) whose
  // variable is bound, kept up to date as variables get bound, so that a
  // pattern of many triples plans in time linear in its size per step.
  std::vector<int> shared(triples.size(), 0);
  absl::flat_hash_map<std::string, std::vector<size_t>> occurrences;
  for (size_t i = 0; i < triples.size(); ++i) {
    const TriplePattern& t = triples[i];
    for (const PatternTerm* pt : {&t.subject, &t.predicate, &t.object}) {
      if (pt->kind == PatternTerm::Kind::kVariable) {
        occurrences[pt->variable].push_back(i);
      }
      if (pt->kind == PatternTerm::Kind::kTriple) {
        for (const PatternTerm* q :
             {&pt->triple->subject, &pt->triple->predicate,
              &pt->triple->object}) {
          if (q->kind == PatternTerm::Kind::kVariable) {
            occurrences[q->variable].push_back(i);
          }
        }
      }
    }
  }
  for (const std::string& v : bound) {
    auto it = occurrences.find(v);
    if (it == occurrences.end()) continue;
    for (size_t i : it->second) ++shared[i];
  }
  // An end is bound by the solutions when it is a bound variable, or a
  // triple term whose every variable is (the solutions then name one
  // triple there).
  std::function<bool(const PatternTerm&, bool)> determined =
      [&](const PatternTerm& pt, bool top) {
        switch (pt.kind) {
          case PatternTerm::Kind::kTerm:
            return !top;
          case PatternTerm::Kind::kVariable:
            return bound.contains(pt.variable);
          case PatternTerm::Kind::kTriple: {
            // One with no variable at the top is a constant, no binding.
            std::vector<std::string> variables;
            AddVariables(pt, &variables);
            return determined(pt.triple->subject, false) &&
                   determined(pt.triple->predicate, false) &&
                   determined(pt.triple->object, false) &&
                   (!top || !variables.empty());
          }
        }
        return false;
      };
  // The matches of triple i per solution before it: given what the
  // solutions bind (its ends), or its own matches per bound variable
  // elsewhere divided by 1,000.
  // Memoized on what it depends on, so that planning asks the dataset
  // about each triple a few times, not once per step.
  absl::flat_hash_map<std::tuple<size_t, bool, bool, bool, int>, double>
      per_memo;
  auto per_solution = [&](size_t i) {
    const TriplePattern& t = triples[i];
    const bool subject_bound = determined(t.subject, true);
    const bool object_bound = determined(t.object, true);
    const bool predicate_bound = determined(t.predicate, false);
    const auto memo_key =
        std::make_tuple(i, subject_bound, object_bound, predicate_bound,
                        subject_bound || object_bound ? 0 : shared[i]);
    if (auto it = per_memo.find(memo_key); it != per_memo.end()) {
      return it->second;
    }
    double per = static_cast<double>(base[i]) / std::pow(1000.0, shared[i]);
    if (base[i] > 0 && subject_bound && object_bound && predicate_bound &&
        t.predicate.kind == PatternTerm::Kind::kVariable) {
      per = 1.0;  // all three bound: the triple is there or not
    } else if (base[i] > 0 && (subject_bound || object_bound)) {
      bool impossible = false;
      const Id s = subject_bound ? 0 : Resolve(t.subject, none, &impossible);
      const Id pr = Resolve(t.predicate, none, &impossible);
      const Id o = object_bound ? 0 : Resolve(t.object, none, &impossible);
      per = impossible ? 0.0
                       : data_.MatchesPerBinding(graph, s, pr, o, subject_bound,
                                                 object_bound);
    }
    per_memo.emplace(memo_key, per);
    return per;
  };
  // Past kMaxCostedTriples, the next triple is the one with the fewest
  // matches per bound variable (linear per step); up to it, the one that
  // leaves the fewest solutions (the estimates' join sizes).
  constexpr size_t kMaxCostedTriples = 64;
  const bool costed = triples.size() <= kMaxCostedTriples;
  for (size_t step = 0; step < triples.size(); ++step) {
    int best = -1;
    double best_cost = 0;
    bool best_connected = false;
    for (size_t i = 0; i < triples.size(); ++i) {
      if (done[i]) continue;
      const bool connected = shared[i] > 0;
      const double cost = connected ? (costed ? per_solution(i)
                                              : static_cast<double>(base[i]) /
                                                    std::pow(1000.0, shared[i]))
                                    : static_cast<double>(base[i]);
      // Connected triples first (no cross products while one joins),
      // then the cheapest, then the fewest matches alone; ties keep the
      // query's order.
      if (best < 0 || (connected && !best_connected) ||
          (connected == best_connected &&
           (cost < best_cost || (cost == best_cost && base[i] < base[best])))) {
        best = static_cast<int>(i);
        best_cost = cost;
        best_connected = connected;
      }
    }
    done[best] = true;
    const TriplePattern& t = triples[best];
    const double per =
        costed && best_connected ? best_cost : per_solution(best);
    const double before = seeds;
    seeds *= per;
    steps.emplace_back();
    steps.back().triple = static_cast<size_t>(best);
    steps.back().estimate = base[best];
    steps.back().solutions = seeds;
    if (step == 0 && joins) {
      // The first step's one variable, when it has one: its matches come
      // in that variable's order from an index (and usually from the
      // compact adjacency, in the order statements were written), and
      // every later step keeps the order of the solutions it extends.
      std::optional<std::vector<size_t>> own = JoinKeyOf(t, {});
      std::vector<std::string> variables;
      for (const PatternTerm* pt : {&t.subject, &t.predicate, &t.object}) {
        AddVariables(*pt, &variables);
      }
      if (own.has_value() && variables.size() == 1) {
        first_variable = static_cast<int>(slots_.at(variables[0]));
      }
    } else if (joins) {
      std::optional<std::vector<size_t>> key = JoinKeyOf(t, bound);
      // One join variable: a triple bound at both ends is one short
      // lookup already.
      if (key.has_value() && key->size() == 1) {
        // Costs in matches read (Dataset::LookupCost): a lookup per
        // solution; or the triple's matches read once, then a probe per
        // solution, a hash's dearer than a merge's forward step. A table
        // that the caps on what a stage holds would refuse is not built.
        const bool merge = static_cast<int>((*key)[0]) == first_variable;
        const double alone = static_cast<double>(base[best]);
        const double lookup_cost = data_.LookupCost(graph);
        const double lookup = before * lookup_cost;
        const double build = alone * (merge ? 0.6 : 1.5);
        const double joined = build + before * (merge ? 0.2 : 0.5);
        const bool fits =
            alone <= static_cast<double>(
                         std::min<uint64_t>(options_.max_rows, 1u << 30)) &&
            (options_.max_bytes == 0 ||
             alone * 3 * sizeof(Id) <= static_cast<double>(options_.max_bytes));
        BgpStep& planned = steps.back();
        const bool forced =
            options_.join_methods == EvalOptions::JoinMethods::kJoins;
        if (fits && (forced || joined < lookup)) {
          planned.method = merge ? JoinMethod::kMerge : JoinMethod::kHash;
          planned.key = *std::move(key);
          planned.lookups_first =
              forced ? 0
                     : static_cast<uint64_t>(
                           std::min(build / lookup_cost, kLookupsFirst));
        }
      }
    }
    std::vector<const PatternTerm*> positions = {&t.subject, &t.predicate,
                                                 &t.object};
    for (size_t k = 0; k < positions.size(); ++k) {
      const PatternTerm* pt = positions[k];
      if (pt->kind == PatternTerm::Kind::kVariable &&
          bound.insert(pt->variable).second) {
        auto it = occurrences.find(pt->variable);
        if (it != occurrences.end()) {
          for (size_t o : it->second) ++shared[o];
        }
      }
      if (pt->kind == PatternTerm::Kind::kTriple) {
        positions.push_back(&pt->triple->subject);
        positions.push_back(&pt->triple->predicate);
        positions.push_back(&pt->triple->object);
      }
    }
  }
  return steps;
}

absl::StatusOr<Rows> Evaluator::EvalBgp(const GraphPattern& p, Id graph) {
  return RunBgp(p, graph, Rows{EmptyRow()}, PlanBgp(p.triples, graph));
}

absl::StatusOr<Rows> Evaluator::RunBgp(const GraphPattern& p, Id graph,
                                       Rows rows, std::vector<BgpStep> steps) {
  const std::vector<TriplePattern>& triples = p.triples;
  std::vector<JoinTable> tables(steps.size());
  for (size_t k = 0; k < steps.size(); ++k) {
    BgpStep& step = steps[k];
    const TriplePattern& t = triples[step.triple];
    Rows next;
    absl::Status failed;
    auto add = [&](Row&& r) {
      next.push_back(std::move(r));
      return !Exceeded(next.size());
    };
    for (size_t i = 0; i < rows.size(); ++i) {
      Extend(t, step, tables[k], rows[i], graph, add, &failed);
      if (!failed.ok()) return failed;
      if ((i & 1023) == 1023 || next.size() >= 1024) {
        if (absl::Status st = Check(next.size()); !st.ok()) return st;
      }
    }
    if (absl::Status st = Check(next.size()); !st.ok()) return st;
    rows = std::move(next);
    step.rows = rows.size();
    if (rows.empty()) break;
  }
  if (options_.profile) {
    std::vector<BgpStep>& kept = bgp_steps_[&p];
    if (kept.empty()) {
      kept = std::move(steps);
    } else {
      // By triple: a bind join's plan may order them otherwise.
      for (const BgpStep& step : steps) {
        for (BgpStep& k : kept) {
          if (k.triple == step.triple) {
            k.rows += step.rows;
            k.lookups += step.lookups;
          }
        }
      }
    }
  }
  return rows;
}

std::optional<std::vector<size_t>> Evaluator::JoinKeyOf(
    const TriplePattern& t, const absl::flat_hash_set<std::string>& bound) {
  std::vector<size_t> key;
  for (const PatternTerm* pt : {&t.subject, &t.predicate, &t.object}) {
    if (pt->kind == PatternTerm::Kind::kTriple) return std::nullopt;
  }
  if (t.predicate.kind != PatternTerm::Kind::kTerm) return std::nullopt;
  bool impossible = false;
  const Id p = Resolve(t.predicate, EmptyRow(), &impossible);
  if (impossible || !data_.JoinsById(p)) return std::nullopt;
  for (const PatternTerm* pt : {&t.subject, &t.object}) {
    if (pt->kind != PatternTerm::Kind::kVariable ||
        !bound.contains(pt->variable)) {
      continue;
    }
    const size_t slot = slots_.at(pt->variable);
    if (std::find(key.begin(), key.end(), slot) == key.end()) {
      key.push_back(slot);
    }
  }
  return key;
}

absl::Status Evaluator::BuildJoinTable(const TriplePattern& t,
                                       const BgpStep& step, Id graph,
                                       JoinTable& table) {
  // The positions' constants (0: a variable) and variables' columns.
  const PatternTerm* positions[3] = {&t.subject, &t.predicate, &t.object};
  Id constant[3] = {0, 0, 0};
  int column[3] = {-1, -1, -1};
  for (int i = 0; i < 3; ++i) {
    if (positions[i]->kind == PatternTerm::Kind::kTerm) {
      bool impossible = false;
      constant[i] = Resolve(*positions[i], EmptyRow(), &impossible);
      if (impossible) return absl::OkStatus();  // no matches
      continue;
    }
    const size_t slot = SlotOf(*positions[i]);
    auto at = std::find(table.slots.begin(), table.slots.end(), slot);
    column[i] = static_cast<int>(at - table.slots.begin());
    if (at == table.slots.end()) table.slots.push_back(slot);
  }
  const size_t width = table.slots.size();
  table.key_column =
      std::find(table.slots.begin(), table.slots.end(), step.key[0]) -
      table.slots.begin();
  std::vector<Id> match(width);
  absl::Status stopped;
  size_t n = 0;
  data_.Match(
      graph, constant[0], constant[1], constant[2], [&](Id s, Id p, Id o) {
        const Id ids[3] = {s, p, o};
        std::fill(match.begin(), match.end(), 0);
        for (int i = 0; i < 3; ++i) {
          if (column[i] < 0) continue;
          Id& m = match[column[i]];
          if (m != 0 && m != ids[i]) return true;  // (?x p ?x)
          m = ids[i];
        }
        table.values.insert(table.values.end(), match.begin(), match.end());
        if ((++n & 1023) == 0) {
          stopped = Check(n);
          if (!stopped.ok()) return false;
        }
        return true;
      });
  if (!stopped.ok()) return stopped;
  if (absl::Status st = Check(n); !st.ok()) return st;
  if (step.method == JoinMethod::kHash) {
    table.next.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const Id key = table.values[i * width + table.key_column];
      auto [it, inserted] =
          table.first.try_emplace(key, static_cast<uint32_t>(i));
      table.next[i] = inserted ? UINT32_MAX : it->second;
      it->second = static_cast<uint32_t>(i);
    }
  } else {
    table.sorted.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      table.sorted.emplace_back(table.values[i * width + table.key_column],
                                static_cast<uint32_t>(i));
    }
    if (!std::is_sorted(table.sorted.begin(), table.sorted.end())) {
      std::sort(table.sorted.begin(), table.sorted.end());
    }
  }
  return absl::OkStatus();
}

bool Evaluator::Extend(const TriplePattern& t, BgpStep& step, JoinTable& table,
                       const Row& row, Id graph, const RowSink& emit,
                       absl::Status* failed) {
  if (step.method == JoinMethod::kLookup) {
    ++step.lookups;
    return MatchTriple(t, row, graph, emit);
  }
  // The first solutions look their matches up (step.lookups_first), and
  // so does one whose value is not its term's own id (Dataset::IsCanonical:
  // it may name the same term as another id).
  const Id x = row[step.key[0]];
  if (!data_.IsCanonical(x) ||
      (!table.built && table.looked_up < step.lookups_first)) {
    ++table.looked_up;
    ++step.lookups;
    return MatchTriple(t, row, graph, emit);
  }
  if (!table.built) {
    table.built = true;
    ++step.lookups;
    const absl::Status st = BuildJoinTable(t, step, graph, table);
    if (absl::IsResourceExhausted(st)) {
      // More matches than the caps let a stage hold: look the rest up.
      table = JoinTable();
      table.built = true;
      step.method = JoinMethod::kLookup;
      return MatchTriple(t, row, graph, emit);
    }
    if (!st.ok()) {
      *failed = st;
      return false;
    }
  }
  const size_t width = table.slots.size();
  // The solution extended by match i, unless a variable it binds already
  // (besides the key) has another value.
  auto extend = [&](uint32_t i) {
    Row r = row;
    const Id* m = &table.values[static_cast<size_t>(i) * width];
    for (size_t c = 0; c < width; ++c) {
      Id& v = r[table.slots[c]];
      if (v != 0 && v != m[c]) return true;
      v = m[c];
    }
    return emit(std::move(r));
  };
  if (step.method == JoinMethod::kHash) {
    auto it = table.first.find(x);
    if (it == table.first.end()) return true;
    for (uint32_t i = it->second; i != UINT32_MAX; i = table.next[i]) {
      if (!extend(i)) return false;
    }
    return true;
  }
  // A merge: solutions in order of the key walk the matches forward; one
  // out of order (the first step's matches need not come sorted) searches.
  std::vector<std::pair<Id, uint32_t>>& sorted = table.sorted;
  size_t& at = table.cursor;
  if (at > 0 && sorted[at - 1].first >= x) {
    at = std::lower_bound(sorted.begin(), sorted.end(),
                          std::pair<Id, uint32_t>{x, 0}) -
         sorted.begin();
  }
  while (at < sorted.size() && sorted[at].first < x) ++at;
  for (size_t i = at; i < sorted.size() && sorted[i].first == x; ++i) {
    if (!extend(sorted[i].second)) return false;
  }
  return true;
}

// ---- Joins ----

std::optional<absl::flat_hash_set<std::string>> Evaluator::BindJoinVariables(
    const GraphPattern& bgp, const Rows& seeds) const {
  if (bgp.kind != GraphPattern::Kind::kBgp || seeds.empty() ||
      seeds.size() > kBindJoinRows || bgp.triples.empty()) {
    return std::nullopt;
  }
  // The pattern's variables that every seed binds.
  absl::flat_hash_set<std::string> bound;
  std::vector<std::vector<std::string>> vars(bgp.triples.size());
  for (size_t i = 0; i < bgp.triples.size(); ++i) {
    const TriplePattern& t = bgp.triples[i];
    for (const PatternTerm* pt : {&t.subject, &t.predicate, &t.object}) {
      AddVariables(*pt, &vars[i]);
    }
    for (const std::string& v : vars[i]) {
      const size_t slot = slots_.at(v);
      if (std::all_of(seeds.begin(), seeds.end(),
                      [&](const Row& r) { return r[slot] != 0; })) {
        bound.insert(v);
      }
    }
  }
  if (bound.empty()) return std::nullopt;
  // Every triple reachable from them through shared variables: else a
  // part of the pattern would run again for each seed.
  absl::flat_hash_set<std::string> reached = bound;
  std::vector<bool> connected(bgp.triples.size(), false);
  for (bool grew = true; grew;) {
    grew = false;
    for (size_t i = 0; i < vars.size(); ++i) {
      if (connected[i]) continue;
      if (std::none_of(
              vars[i].begin(), vars[i].end(),
              [&](const std::string& v) { return reached.contains(v); })) {
        continue;
      }
      connected[i] = grew = true;
      reached.insert(vars[i].begin(), vars[i].end());
    }
  }
  if (std::find(connected.begin(), connected.end(), false) != connected.end()) {
    return std::nullopt;
  }
  return bound;
}

absl::StatusOr<Rows> Evaluator::EvalJoin(const GraphPattern& p, Id graph) {
  const bool left_join = p.kind == GraphPattern::Kind::kLeftJoin;
  // Which side to run first: for OPTIONAL the left; for a join the side
  // that is not a basic graph pattern, when the other is one.
  const bool right_first = !left_join &&
                           p.operands[0].kind == GraphPattern::Kind::kBgp &&
                           p.operands[1].kind != GraphPattern::Kind::kBgp;
  const GraphPattern& first = p.operands[right_first ? 1 : 0];
  const GraphPattern& second = p.operands[right_first ? 0 : 1];
  absl::StatusOr<Rows> a = Eval(first, graph);
  if (!a.ok()) return a.status();
  const std::optional<absl::flat_hash_set<std::string>> bound =
      BindJoinVariables(second, *a);
  if (!bound.has_value() && !left_join) {
    absl::StatusOr<Rows> out = JoinStreamed(*std::move(a), second, graph);
    if (!out.ok()) return out.status();
    if (absl::Status st = Check(out->size()); !st.ok()) return st;
    return out;
  }
  if (!bound.has_value()) {  // an OPTIONAL: its right side whole
    absl::StatusOr<Rows> b = Eval(second, graph);
    if (!b.ok()) return b.status();
    Rows out = LeftJoin(*std::move(a), *std::move(b), p.expression, graph);
    if (absl::Status st = Check(out.size()); !st.ok()) return st;
    return out;
  }
  const absl::Time start = absl::Now();
  const std::vector<BgpStep> plan =
      PlanBgp(second.triples, graph, *bound, static_cast<double>(a->size()));
  Rows out;
  size_t extended_rows = 0;  // the pattern's solutions, for PROFILE
  if (!left_join) {
    absl::StatusOr<Rows> joined = RunBgp(second, graph, *std::move(a), plan);
    if (!joined.ok()) return joined.status();
    out = *std::move(joined);
    extended_rows = out.size();
  } else {
    // Each left solution extended by the pattern (and the filter), or
    // kept as it is when nothing extends it.
    for (Row& left : *a) {
      absl::StatusOr<Rows> extended = RunBgp(second, graph, Rows{left}, plan);
      if (!extended.ok()) return extended.status();
      extended_rows += extended->size();
      bool matched = false;
      for (Row& r : *extended) {
        if (p.expression.has_value() && Ebv(*p.expression, r, graph) != true) {
          continue;
        }
        out.push_back(std::move(r));
        matched = true;
      }
      if (!matched) out.push_back(std::move(left));
      if (absl::Status st = Check(out.size()); !st.ok()) return st;
    }
  }
  if (options_.profile) {
    OperatorStats& stats = stats_[&second];
    ++stats.calls;
    stats.time += absl::Now() - start;
    stats.rows += extended_rows;
  }
  if (absl::Status st = Check(out.size()); !st.ok()) return st;
  return out;
}

absl::StatusOr<Rows> Evaluator::JoinStreamed(Rows a, const GraphPattern& b,
                                             Id graph) {
  Rows out;
  if (a.empty()) return out;
  // The key: the variables of `b` that every solution of `a` binds.
  std::vector<size_t> key;
  for (const std::string& v : InScopeVariables(b)) {
    auto it = slots_.find(v);
    if (it == slots_.end()) continue;
    const size_t slot = it->second;
    if (std::all_of(a.begin(), a.end(),
                    [&](const Row& r) { return r[slot] != 0; })) {
      key.push_back(slot);
    }
  }
  absl::flat_hash_map<std::vector<Id>, std::vector<uint32_t>> index;
  if (!key.empty()) {
    for (size_t i = 0; i < a.size(); ++i) {
      index[KeyOf(a[i], key)].push_back(static_cast<uint32_t>(i));
    }
  }
  const absl::Status st = Stream(b, graph, [&](Row&& rb) {
    auto join = [&](const Row& ra) {
      if (!Compatible(ra, rb)) return true;
      out.push_back(Merge(ra, rb));
      return !Exceeded(out.size());
    };
    // A solution of `b` that leaves a key variable unbound meets every
    // solution of `a`.
    const bool keyed =
        !key.empty() && std::all_of(key.begin(), key.end(),
                                    [&](size_t slot) { return rb[slot] != 0; });
    if (!keyed) {
      for (const Row& ra : a) {
        if (!join(ra)) return false;
      }
      return true;
    }
    auto it = index.find(KeyOf(rb, key));
    if (it == index.end()) return true;
    for (uint32_t i : it->second) {
      if (!join(a[i])) return false;
    }
    return true;
  });
  if (!st.ok()) return st;
  return out;
}

Rows Evaluator::LeftJoin(Rows a, Rows b,
                         const std::optional<Expression>& filter, Id graph) {
  Rows out;
  const std::vector<size_t> key =
      b.empty() ? std::vector<size_t>() : JoinKey(a, b, names_.size());
  absl::flat_hash_map<std::vector<Id>, std::vector<size_t>> index;
  if (!key.empty()) {
    for (size_t i = 0; i < b.size(); ++i) index[KeyOf(b[i], key)].push_back(i);
  }
  std::vector<size_t> all(b.size());
  for (size_t i = 0; i < b.size(); ++i) all[i] = i;
  for (const Row& ra : a) {
    const std::vector<size_t>* candidates = &all;
    if (!key.empty()) {
      auto it = index.find(KeyOf(ra, key));
      static const std::vector<size_t> kNone;
      candidates = it == index.end() ? &kNone : &it->second;
    }
    bool matched = false;
    for (size_t i : *candidates) {
      if (!Compatible(ra, b[i])) continue;
      Row merged = Merge(ra, b[i]);
      if (filter.has_value() && Ebv(*filter, merged, graph) != true) continue;
      out.push_back(std::move(merged));
      matched = true;
      if (Exceeded(out.size())) return out;
    }
    if (!matched) out.push_back(ra);
  }
  return out;
}

Rows Evaluator::Minus(Rows a, const Rows& b) {
  Rows out;
  for (Row& ra : a) {
    bool removed = false;
    for (const Row& rb : b) {
      bool shared = false;
      bool compatible = true;
      for (size_t i = 0; i < ra.size(); ++i) {
        if (ra[i] != 0 && rb[i] != 0) {
          shared = true;
          if (ra[i] != rb[i]) {
            compatible = false;
            break;
          }
        }
      }
      if (shared && compatible) {
        removed = true;
        break;
      }
    }
    if (!removed) out.push_back(std::move(ra));
  }
  return out;
}

// ---- Property paths ----

std::vector<Id> Evaluator::Nodes(Id graph) {
  std::vector<Id> out;
  absl::flat_hash_set<Id> seen;
  data_.Match(graph, 0, 0, 0, [&](Id s, Id, Id o) {
    if (seen.insert(s).second) out.push_back(s);
    if (seen.insert(o).second) out.push_back(o);
    return !Interrupted();
  });
  return out;
}

bool Evaluator::Interrupted() {
  if (!interrupted_.ok()) return true;
  if ((++polled_ & 1023) != 0 || !options_.check) return false;
  interrupted_ = options_.check();
  return !interrupted_.ok();
}

std::vector<Id> Evaluator::Closure(const PropertyPath& path, Id graph, Id start,
                                   bool forward, bool include_start) {
  std::vector<Id> out;
  absl::flat_hash_set<Id> seen;
  std::vector<Id> frontier{start};
  if (include_start) {
    seen.insert(start);
    out.push_back(start);
  }
  while (!frontier.empty()) {
    std::vector<Id> next;
    for (Id x : frontier) {
      if (Interrupted()) return out;  // EvalPath reports it
      for (Id y :
           forward ? Forward(path, graph, x) : Backward(path, graph, x)) {
        if (seen.insert(y).second) {
          out.push_back(y);
          next.push_back(y);
        }
      }
    }
    frontier = std::move(next);
  }
  return out;
}

std::vector<Id> Evaluator::Forward(const PropertyPath& path, Id graph,
                                   Id from) {
  std::vector<Id> out;
  if (from & kLocal) {
    // Only a zero-length step leaves a node the data lacks.
    if (path.kind == PropertyPath::Kind::kZeroOrMore ||
        path.kind == PropertyPath::Kind::kZeroOrOne) {
      out.push_back(from);
    }
    return out;
  }
  switch (path.kind) {
    case PropertyPath::Kind::kLink: {
      const Id p = DataId(rdf::Term::Iri(path.iri));
      if (p == 0) return out;
      data_.Match(graph, from, p, 0, [&](Id, Id, Id o) {
        out.push_back(o);
        return true;
      });
      return out;
    }
    case PropertyPath::Kind::kInverse:
      return Backward(path.operands[0], graph, from);
    case PropertyPath::Kind::kSequence: {
      std::vector<Id> current{from};
      for (const PropertyPath& step : path.operands) {
        std::vector<Id> next;
        for (Id x : current) {
          for (Id y : Forward(step, graph, x)) next.push_back(y);
        }
        current = std::move(next);
      }
      return current;
    }
    case PropertyPath::Kind::kAlternative:
      for (const PropertyPath& alt : path.operands) {
        for (Id y : Forward(alt, graph, from)) out.push_back(y);
      }
      return out;
    case PropertyPath::Kind::kZeroOrMore:
      return Closure(path.operands[0], graph, from, true, true);
    case PropertyPath::Kind::kOneOrMore:
      return Closure(path.operands[0], graph, from, true, false);
    case PropertyPath::Kind::kZeroOrOne: {
      absl::flat_hash_set<Id> seen{from};
      out.push_back(from);
      for (Id y : Forward(path.operands[0], graph, from)) {
        if (seen.insert(y).second) out.push_back(y);
      }
      return out;
    }
    case PropertyPath::Kind::kNegated: {
      absl::flat_hash_set<Id> excluded_fwd, excluded_inv;
      for (const std::string& iri : path.negated_forward) {
        excluded_fwd.insert(DataId(rdf::Term::Iri(iri)));
      }
      for (const std::string& iri : path.negated_inverse) {
        excluded_inv.insert(DataId(rdf::Term::Iri(iri)));
      }
      const bool forward =
          !path.negated_forward.empty() || path.negated_inverse.empty();
      if (forward) {
        data_.Match(graph, from, 0, 0, [&](Id, Id p, Id o) {
          if (!excluded_fwd.contains(p)) out.push_back(o);
          return true;
        });
      }
      if (!path.negated_inverse.empty()) {
        data_.Match(graph, 0, 0, from, [&](Id s, Id p, Id) {
          if (!excluded_inv.contains(p)) out.push_back(s);
          return true;
        });
      }
      return out;
    }
  }
  return out;
}

std::vector<Id> Evaluator::Backward(const PropertyPath& path, Id graph, Id to) {
  std::vector<Id> out;
  if (to & kLocal) {
    if (path.kind == PropertyPath::Kind::kZeroOrMore ||
        path.kind == PropertyPath::Kind::kZeroOrOne) {
      out.push_back(to);
    }
    return out;
  }
  switch (path.kind) {
    case PropertyPath::Kind::kLink: {
      const Id p = DataId(rdf::Term::Iri(path.iri));
      if (p == 0) return out;
      data_.Match(graph, 0, p, to, [&](Id s, Id, Id) {
        out.push_back(s);
        return true;
      });
      return out;
    }
    case PropertyPath::Kind::kInverse:
      return Forward(path.operands[0], graph, to);
    case PropertyPath::Kind::kSequence: {
      std::vector<Id> current{to};
      for (auto it = path.operands.rbegin(); it != path.operands.rend(); ++it) {
        std::vector<Id> next;
        for (Id x : current) {
          for (Id y : Backward(*it, graph, x)) next.push_back(y);
        }
        current = std::move(next);
      }
      return current;
    }
    case PropertyPath::Kind::kAlternative:
      for (const PropertyPath& alt : path.operands) {
        for (Id y : Backward(alt, graph, to)) out.push_back(y);
      }
      return out;
    case PropertyPath::Kind::kZeroOrMore:
      return Closure(path.operands[0], graph, to, false, true);
    case PropertyPath::Kind::kOneOrMore:
      return Closure(path.operands[0], graph, to, false, false);
    case PropertyPath::Kind::kZeroOrOne: {
      absl::flat_hash_set<Id> seen{to};
      out.push_back(to);
      for (Id y : Backward(path.operands[0], graph, to)) {
        if (seen.insert(y).second) out.push_back(y);
      }
      return out;
    }
    case PropertyPath::Kind::kNegated: {
      absl::flat_hash_set<Id> excluded_fwd, excluded_inv;
      for (const std::string& iri : path.negated_forward) {
        excluded_fwd.insert(DataId(rdf::Term::Iri(iri)));
      }
      for (const std::string& iri : path.negated_inverse) {
        excluded_inv.insert(DataId(rdf::Term::Iri(iri)));
      }
      const bool forward =
          !path.negated_forward.empty() || path.negated_inverse.empty();
      if (forward) {
        data_.Match(graph, 0, 0, to, [&](Id s, Id p, Id) {
          if (!excluded_fwd.contains(p)) out.push_back(s);
          return true;
        });
      }
      if (!path.negated_inverse.empty()) {
        data_.Match(graph, to, 0, 0, [&](Id, Id p, Id o) {
          if (!excluded_inv.contains(p)) out.push_back(o);
          return true;
        });
      }
      return out;
    }
  }
  return out;
}

absl::StatusOr<Rows> Evaluator::EvalPath(const GraphPattern& p, Id graph) {
  Rows out;
  const Row empty = EmptyRow();
  auto fixed = [&](const PatternTerm& t) -> std::optional<Id> {
    if (t.kind == PatternTerm::Kind::kTerm) return Intern(t.term);
    return std::nullopt;
  };
  auto emit = [&](Id s, Id o) {
    Row r = empty;
    if (p.path_subject.is_variable()) r[slots_.at(p.path_subject.variable)] = s;
    if (p.path_object.is_variable()) {
      Id& slot = r[slots_.at(p.path_object.variable)];
      if (slot != 0 && slot != o) return;  // ?x path ?x
      slot = o;
    }
    out.push_back(std::move(r));
  };
  const std::optional<Id> s = fixed(p.path_subject);
  const std::optional<Id> o = fixed(p.path_object);
  if (s.has_value()) {
    for (Id y : Forward(p.path, graph, *s)) {
      if (o.has_value() && y != *o) continue;
      emit(*s, y);
    }
  } else if (o.has_value()) {
    for (Id x : Backward(p.path, graph, *o)) emit(x, *o);
  } else {
    for (Id x : Nodes(graph)) {
      if (!interrupted_.ok()) break;
      for (Id y : Forward(p.path, graph, x)) emit(x, y);
      if (absl::Status st = Check(out.size()); !st.ok()) return st;
    }
  }
  // A closure or a scan of the nodes stopped by the deadline, a
  // cancellation or a share spent.
  if (!interrupted_.ok()) return interrupted_;
  return out;
}

// ---- Operators ----

bool Evaluator::Streams(GraphPattern::Kind kind) {
  switch (kind) {
    case GraphPattern::Kind::kBgp:
    case GraphPattern::Kind::kFilter:
    case GraphPattern::Kind::kExtend:
    case GraphPattern::Kind::kProject:
    case GraphPattern::Kind::kDistinct:
    case GraphPattern::Kind::kReduced:
    case GraphPattern::Kind::kSlice:
    case GraphPattern::Kind::kUnion:
      return true;
    default:
      return false;
  }
}

absl::Status Evaluator::Stream(const GraphPattern& p, Id graph,
                               const RowSink& sink) {
  if (absl::Status st = Check(0); !st.ok()) return st;
  if (!Streams(p.kind) ||
      (options_.profile && p.kind == GraphPattern::Kind::kBgp)) {
    // PROFILE keeps a basic graph pattern whole, for its per-triple rows.
    absl::StatusOr<Rows> rows = Eval(p, graph);
    if (!rows.ok()) return rows.status();
    for (Row& r : *rows) {
      if (!sink(std::move(r))) break;
    }
    return absl::OkStatus();
  }
  if (!options_.profile) return StreamOperator(p, graph, sink);
  // PROFILE: the rows this operator passed on, and its time, which
  // includes that of the operators above it that took them.
  const absl::Time start = absl::Now();
  uint64_t rows = 0;
  const absl::Status st = StreamOperator(p, graph, [&](Row&& r) {
    ++rows;
    return sink(std::move(r));
  });
  OperatorStats& stats = stats_[&p];
  ++stats.calls;
  stats.time += absl::Now() - start;
  stats.rows += rows;
  return st;
}

absl::Status Evaluator::StreamOperator(const GraphPattern& p, Id graph,
                                       const RowSink& sink) {
  // Looks at the deadline and the caps every 1,024 rows an operator
  // handles, whether or not it passes them on; `failed` keeps why it
  // stopped.
  absl::Status failed;
  uint64_t seen = 0;
  auto checked = [&]() {
    if ((++seen & 1023) != 0) return true;
    failed = Check(0);
    return failed.ok();
  };
  switch (p.kind) {
    case GraphPattern::Kind::kBgp: {
      std::vector<BgpStep> steps = PlanBgp(p.triples, graph);
      if (steps.empty()) {
        sink(EmptyRow());
        return absl::OkStatus();
      }
      // Depth first, in the planned order: each solution of the first
      // triples is extended by the next triple before the following one is
      // made, so a pattern holds one row per triple at a time and a LIMIT
      // above stops every scan. (The same index lookups as a step at a
      // time: one match of the next triple per solution.) The first
      // kMaxDepthFirst triples are a level of recursion each, streaming
      // their matches; past them, so that no query text can exhaust the
      // stack, the rest run in a loop over each level's matches for the
      // one solution being extended.
      std::vector<JoinTable> tables(steps.size());
      // The matches of step k extending `row` appended to `out`.
      auto extend_into = [&](size_t k, const Row& row, Rows* out) {
        Extend(
            p.triples[steps[k].triple], steps[k], tables[k], row, graph,
            [&](Row&& r) {
              out->push_back(std::move(r));
              return !Exceeded(out->size());
            },
            &failed);
        return failed.ok();
      };
      std::function<bool(size_t, const Row&)> extend;
      auto extend_in_loop = [&](size_t from, const Row& row) {
        std::vector<Rows> level(steps.size() - from);
        std::vector<size_t> next(level.size(), 0);
        if (!extend_into(from, row, &level[0])) return false;
        size_t depth = 0;
        while (true) {
          if (!checked()) return false;
          if (next[depth] == level[depth].size()) {
            if (depth == 0) return true;
            --depth;
            continue;
          }
          Row& r = level[depth][next[depth]++];
          if (from + depth + 1 == steps.size()) {
            if (!sink(std::move(r))) return false;
            continue;
          }
          ++depth;
          level[depth].clear();
          next[depth] = 0;
          if (!extend_into(from + depth, r, &level[depth])) return false;
          if (absl::Status st = Check(level[depth].size()); !st.ok()) {
            failed = st;
            return false;
          }
        }
      };
      extend = [&](size_t k, const Row& row) {
        if (k == kMaxDepthFirst) return extend_in_loop(k, row);
        const bool last = k + 1 == steps.size();
        auto on = [&](Row&& r) {
          if (!checked()) return false;
          return last ? sink(std::move(r)) : extend(k + 1, r);
        };
        return Extend(p.triples[steps[k].triple], steps[k], tables[k], row,
                      graph, on, &failed);
      };
      extend(0, EmptyRow());
      return failed;
    }
    case GraphPattern::Kind::kFilter: {
      absl::Status st = Stream(p.operands[0], graph, [&](Row&& r) {
        if (!checked()) return false;
        if (Ebv(*p.expression, r, graph) != true) return true;
        return sink(std::move(r));
      });
      return st.ok() ? failed : st;
    }
    case GraphPattern::Kind::kExtend: {
      const int slot = slots_.at(p.variable);
      if (p.expression->kind == Expression::Kind::kVariable) {
        // `(?x AS ?y)`, as an aggregate's name is bound: the id's
        // canonical form, decoded at most once per id.
        auto from = slots_.find(p.expression->name);
        return Stream(p.operands[0], graph, [&](Row&& r) {
          if (from != slots_.end() && r[from->second] != 0) {
            r[slot] = Canonical(r[from->second]);
          }
          return sink(std::move(r));
        });
      }
      return Stream(p.operands[0], graph, [&](Row&& r) {
        const Value v = EvalExpr(*p.expression, r, graph);
        if (v.has_value()) r[slot] = Intern(*v);
        return sink(std::move(r));
      });
    }
    case GraphPattern::Kind::kProject: {
      std::vector<bool> keep(names_.size(), false);
      for (const std::string& v : p.variables) keep[slots_.at(v)] = true;
      return Stream(p.operands[0], graph, [&](Row&& r) {
        for (size_t i = 0; i < r.size(); ++i) {
          if (!keep[i]) r[i] = 0;
        }
        return sink(std::move(r));
      });
    }
    case GraphPattern::Kind::kReduced:
      // REDUCED permits, and does not require, dropping duplicates: kg
      // keeps them (no hash set to fill).
      return Stream(p.operands[0], graph, sink);
    case GraphPattern::Kind::kDistinct: {
      // Only the distinct rows are kept, and they count against the caps.
      absl::flat_hash_set<Row> seen_rows;
      if (std::optional<absl::Status> st =
              StreamDistinctObjects(p, graph, sink, seen_rows)) {
        return *st;
      }
      absl::Status st = Stream(p.operands[0], graph, [&](Row&& r) {
        if (!checked()) return false;
        if (seen_rows.contains(r)) return true;
        seen_rows.insert(r);
        if (Exceeded(seen_rows.size())) {
          failed = Check(seen_rows.size());
          if (!failed.ok()) return false;
        }
        return sink(std::move(r));
      });
      return st.ok() ? failed : st;
    }
    case GraphPattern::Kind::kSlice: {
      if (p.limit == 0) return absl::OkStatus();
      if (p.limit > 0) {
        // ORDER BY under it (through projections, which keep the rows)
        // need only sort the rows this slice can take.
        const GraphPattern* below = &p.operands[0];
        while (below->kind == GraphPattern::Kind::kProject) {
          below = &below->operands[0];
        }
        if (below->kind == GraphPattern::Kind::kOrderBy) {
          top_k_[below] = static_cast<size_t>(p.offset + p.limit);
        }
      }
      int64_t skipped = 0;
      int64_t passed = 0;
      return Stream(p.operands[0], graph, [&](Row&& r) {
        if (skipped < p.offset) {
          ++skipped;
          return true;
        }
        if (!sink(std::move(r))) return false;
        return p.limit < 0 || ++passed < p.limit;
      });
    }
    case GraphPattern::Kind::kUnion: {
      bool stopped = false;
      const RowSink pass = [&](Row&& r) {
        stopped = !sink(std::move(r));
        return !stopped;
      };
      absl::Status st = Stream(p.operands[0], graph, pass);
      if (!st.ok() || stopped) return st;
      return Stream(p.operands[1], graph, pass);
    }
    default:
      return absl::InternalError("not a streamed operator");
  }
}

std::optional<absl::Status> Evaluator::StreamDistinctObjects(
    const GraphPattern& p, Id graph, const RowSink& sink,
    absl::flat_hash_set<Row>& seen) {
  if (options_.profile) return std::nullopt;  // PROFILE shows the scan
  const GraphPattern& project = p.operands[0];
  if (project.kind != GraphPattern::Kind::kProject ||
      project.variables.size() != 1 ||
      project.operands[0].kind != GraphPattern::Kind::kBgp ||
      project.operands[0].triples.size() != 1) {
    return std::nullopt;
  }
  const TriplePattern& t = project.operands[0].triples[0];
  const std::string& v = project.variables[0];
  if (t.object.kind != PatternTerm::Kind::kVariable || t.object.variable != v ||
      t.subject.kind != PatternTerm::Kind::kVariable ||
      t.subject.variable == v || t.predicate.kind != PatternTerm::Kind::kTerm) {
    return std::nullopt;
  }
  const Id predicate = DataId(t.predicate.term);
  if (predicate == 0) return absl::OkStatus();  // no such triple
  const int slot = slots_.at(v);
  absl::Status failed;
  uint64_t calls = 0;
  const bool listed = data_.ObjectsOf(graph, predicate, [&](Id o) {
    // The deadline and the caps, every 1,024 values, repeats included.
    if ((++calls & 1023) == 0 || Exceeded(seen.size())) {
      failed = Check(seen.size());
      if (!failed.ok()) return false;
    }
    Row r = EmptyRow();
    r[slot] = o;
    if (!seen.insert(r).second) return true;
    return sink(std::move(r));
  });
  if (!listed) return std::nullopt;
  return failed;
}

absl::StatusOr<Rows> Evaluator::Eval(const GraphPattern& p, Id graph) {
  if (Streams(p.kind) &&
      !(options_.profile && p.kind == GraphPattern::Kind::kBgp)) {
    Rows out;
    absl::Status st = Stream(p, graph, [&](Row&& r) {
      out.push_back(std::move(r));
      return !Exceeded(out.size());
    });
    if (!st.ok()) return st;
    if (absl::Status checked = Check(out.size()); !checked.ok()) {
      return checked;
    }
    return out;
  }
  if (!options_.profile) return EvalOperator(p, graph);
  const absl::Time start = absl::Now();
  absl::StatusOr<Rows> rows = EvalOperator(p, graph);
  OperatorStats& stats = stats_[&p];
  ++stats.calls;
  stats.time += absl::Now() - start;
  if (rows.ok()) stats.rows += rows->size();
  return rows;
}

absl::StatusOr<Rows> Evaluator::EvalOperator(const GraphPattern& p, Id graph) {
  if (absl::Status st = Check(0); !st.ok()) return st;
  switch (p.kind) {
    case GraphPattern::Kind::kBgp:
      return EvalBgp(p, graph);
    case GraphPattern::Kind::kPath:
      return EvalPath(p, graph);
    case GraphPattern::Kind::kJoin:
    case GraphPattern::Kind::kLeftJoin:
      return EvalJoin(p, graph);
    case GraphPattern::Kind::kMinus: {
      absl::StatusOr<Rows> a = Eval(p.operands[0], graph);
      if (!a.ok()) return a.status();
      absl::StatusOr<Rows> b = Eval(p.operands[1], graph);
      if (!b.ok()) return b.status();
      Rows out = Minus(*std::move(a), *b);
      if (absl::Status st = Check(out.size()); !st.ok()) return st;
      return out;
    }
    case GraphPattern::Kind::kGraph: {
      Rows out;
      if (p.name.kind == PatternTerm::Kind::kTerm) {
        const Id g = DataId(p.name.term);
        const std::vector<Id> named = data_.NamedGraphs();
        if (g == 0 || std::find(named.begin(), named.end(), g) == named.end()) {
          return out;
        }
        return Eval(p.operands[0], g);
      }
      const int slot = slots_.at(p.name.variable);
      for (Id g : data_.NamedGraphs()) {
        absl::StatusOr<Rows> in = Eval(p.operands[0], g);
        if (!in.ok()) return in.status();
        for (Row& r : *in) {
          if (r[slot] != 0 && r[slot] != g) continue;
          r[slot] = g;
          out.push_back(std::move(r));
        }
        if (absl::Status st = Check(out.size()); !st.ok()) return st;
      }
      return out;
    }
    case GraphPattern::Kind::kTable: {
      Rows out;
      for (const auto& values : p.rows) {
        Row r = EmptyRow();
        for (size_t i = 0; i < values.size(); ++i) {
          if (values[i].has_value()) {
            r[slots_.at(p.variables[i])] = Intern(*values[i]);
          }
        }
        out.push_back(std::move(r));
      }
      return out;
    }
    case GraphPattern::Kind::kService: {
      if (p.name.kind == PatternTerm::Kind::kTerm && p.name.term.is_iri() &&
          data_.ProvidesService(p.name.term.value())) {
        return LocalService(p);
      }
      if (p.silent) return Rows{EmptyRow()};
      return absl::UnimplementedError(absl::StrCat(
          "SERVICE ", ToSExpression(p.name),
          ": kg does not query remote endpoints (SERVICE SILENT gives one "
          "empty solution)"));
    }
    case GraphPattern::Kind::kGroup: {
      if (OnlyCounts(p)) return CountGroups(p, graph);
      absl::StatusOr<Rows> in = Eval(p.operands[0], graph);
      if (!in.ok()) return in.status();
      return Group(p, *std::move(in), graph);
    }
    case GraphPattern::Kind::kOrderBy: {
      if (auto top = top_k_.find(&p); top != top_k_.end()) {
        if (std::optional<absl::StatusOr<Rows>> rows =
                TopKInObjectOrder(p, top->second, graph)) {
          return *std::move(rows);
        }
      }
      absl::StatusOr<Rows> in = Eval(p.operands[0], graph);
      if (!in.ok()) return in.status();
      // Each row's sort keys, evaluated when a comparison first needs
      // them: a later key only for rows the earlier ones tie (under a
      // LIMIT most rows lose on the first key, and a key that decodes a
      // term from the store is the costly kind).
      const size_t width = p.order.size();
      std::vector<Value> keys(in->size() * width);
      // A key that is an xsd:integer in int64's range, parsed once (counts
      // are the common such key), so that two of them compare as numbers
      // without parsing per comparison.
      std::vector<std::optional<int64_t>> integers(in->size() * width);
      std::vector<bool> evaluated(in->size() * width, false);
      const auto key = [&](size_t row, size_t k) -> size_t {
        const size_t at = row * width + k;
        if (!evaluated[at]) {
          keys[at] = EvalExpr(p.order[k].expression, (*in)[row], graph);
          evaluated[at] = true;
          int64_t n;
          if (keys[at].has_value() && keys[at]->is_literal() &&
              keys[at]->datatype() ==
                  "http://www.w3.org/2001/XMLSchema#integer" &&
              absl::SimpleAtoi(keys[at]->value(), &n)) {
            integers[at] = n;
          }
        }
        return at;
      };
      std::vector<size_t> order(in->size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      // Equal keys keep the input's order (the position breaks ties), so
      // a top-k is the sorted answer's first k rows.
      const auto before = [&](size_t a, size_t b) {
        for (size_t k = 0; k < width; ++k) {
          const size_t ka = key(a, k), kb = key(b, k);
          int c = integers[ka].has_value() && integers[kb].has_value()
                      ? (*integers[ka] > *integers[kb]) -
                            (*integers[ka] < *integers[kb])
                      : OrderCompare(keys[ka], keys[kb]);
          if (p.order[k].descending) c = -c;
          if (c != 0) return c < 0;
        }
        return a < b;
      };
      size_t keep = order.size();
      if (auto top = top_k_.find(&p);
          top != top_k_.end() && top->second < order.size()) {
        // A LIMIT above wants the first rows only.
        keep = top->second;
        std::partial_sort(order.begin(), order.begin() + keep, order.end(),
                          before);
      } else {
        std::sort(order.begin(), order.end(), before);
      }
      Rows out;
      out.reserve(keep);
      for (size_t j = 0; j < keep; ++j) {
        out.push_back(std::move((*in)[order[j]]));
      }
      return out;
    }
    case GraphPattern::Kind::kFilter:
    case GraphPattern::Kind::kExtend:
    case GraphPattern::Kind::kProject:
    case GraphPattern::Kind::kDistinct:
    case GraphPattern::Kind::kReduced:
    case GraphPattern::Kind::kSlice:
    case GraphPattern::Kind::kUnion:
      break;  // Stream's
  }
  return absl::InternalError("unknown algebra operator");
}

std::optional<absl::StatusOr<Rows>> Evaluator::TopKInObjectOrder(
    const GraphPattern& p, size_t k, Id graph) {
  if (p.order.size() != 1 || p.order[0].descending ||
      p.order[0].expression.kind != Expression::Kind::kVariable ||
      options_.profile || k == 0) {
    return std::nullopt;
  }
  const std::string& v = p.order[0].expression.name;
  const GraphPattern* in = &p.operands[0];
  const Expression* filter = nullptr;
  if (in->kind == GraphPattern::Kind::kFilter && in->expression.has_value()) {
    filter = &*in->expression;
    in = &in->operands[0];
  }
  if (in->kind != GraphPattern::Kind::kBgp) return std::nullopt;
  size_t at = in->triples.size();
  for (size_t i = 0; i < in->triples.size(); ++i) {
    const TriplePattern& t = in->triples[i];
    if (t.object.kind == PatternTerm::Kind::kVariable &&
        t.object.variable == v &&
        t.predicate.kind == PatternTerm::Kind::kTerm &&
        t.subject.kind == PatternTerm::Kind::kVariable &&
        t.subject.variable != v) {
      at = i;
      break;
    }
  }
  if (at == in->triples.size()) return std::nullopt;
  const TriplePattern& t = in->triples[at];
  bool impossible = false;
  const Id predicate = Resolve(t.predicate, EmptyRow(), &impossible);
  if (impossible) return std::nullopt;
  // The rest of the pattern, run from each match with its ends bound.
  GraphPattern rest = *in;
  rest.triples.erase(rest.triples.begin() + static_cast<ptrdiff_t>(at));
  const std::vector<BgpStep> plan =
      rest.triples.empty()
          ? std::vector<BgpStep>()
          : PlanBgp(rest.triples, graph, {t.subject.variable, v}, 1);
  // A FILTER's prefix on ?l narrows the walk to that range.
  auto prefix = object_prefix_.find(&t);
  // The walk reads at most `budget` matches: past them (a selective rest
  // or filter, or fewer solutions than k), sorting every solution is the
  // cheaper way, and nothing has left yet.
  const uint64_t budget = 65'536 + 64 * static_cast<uint64_t>(k);
  bool over_budget = false;
  Rows out;
  absl::Status failed;
  uint64_t seen = 0;
  const bool listed = data_.MatchInObjectOrder(
      graph, predicate,
      prefix == object_prefix_.end() ? absl::string_view()
                                     : absl::string_view(prefix->second),
      [&](Id s, Id pr, Id o) {
        if (++seen > budget) {
          over_budget = true;
          return false;
        }
        Row r = EmptyRow();
        if (!Unify(t.subject, s, &r) || !Unify(t.predicate, pr, &r) ||
            !Unify(t.object, o, &r)) {
          return true;
        }
        absl::StatusOr<Rows> extended = RunBgp(rest, graph, Rows{r}, plan);
        if (!extended.ok()) {
          failed = extended.status();
          return false;
        }
        for (Row& x : *extended) {
          if (filter != nullptr && Ebv(*filter, x, graph) != true) continue;
          out.push_back(std::move(x));
          if (out.size() >= k) return false;
          if (Exceeded(out.size())) {
            failed = Check(out.size());
            if (!failed.ok()) return false;
          }
        }
        if ((seen & 1023) == 0) {
          failed = Check(out.size());
          if (!failed.ok()) return false;
        }
        return true;
      });
  if (!listed || over_budget) return std::nullopt;
  if (!failed.ok()) return failed;
  return out;
}

absl::StatusOr<Rows> Evaluator::LocalService(const GraphPattern& p) {
  const std::string& iri = p.name.term.value();
  auto invalid = [&](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("SERVICE <", iri, ">: ", what));
  };
  // The pattern: triples about one subject, `[] p o ; p o ...`.
  const GraphPattern* bgp = &p.operands[0];
  if (bgp->kind != GraphPattern::Kind::kBgp || bgp->triples.empty()) {
    return invalid(
        "its pattern must be triples about one blank node: [] p1 o1 ; p2 o2");
  }
  std::vector<ServiceArgument> arguments;
  const TriplePattern& first = bgp->triples[0];
  for (const TriplePattern& t : bgp->triples) {
    if (!first.subject.is_blank_variable() || !t.subject.is_variable() ||
        t.subject.variable != first.subject.variable) {
      return invalid(
          "its pattern must be triples about one blank node: [] p1 o1 ; p2 "
          "o2");
    }
    if (t.predicate.kind != PatternTerm::Kind::kTerm ||
        !t.predicate.term.is_iri()) {
      return invalid("each predicate must be an IRI");
    }
    ServiceArgument a;
    a.predicate = t.predicate.term.value();
    switch (t.object.kind) {
      case PatternTerm::Kind::kTerm:
        a.constant = t.object.term;
        break;
      case PatternTerm::Kind::kVariable:
        a.variable = t.object.variable;
        break;
      case PatternTerm::Kind::kTriple:
        return invalid(
            absl::StrCat("<", a.predicate, ">: a triple term is no argument"));
    }
    arguments.push_back(std::move(a));
  }
  absl::StatusOr<std::vector<ServiceSolution>> solutions =
      data_.Service(iri, arguments, options_.check);
  if (!solutions.ok()) return solutions.status();
  Rows out;
  for (const ServiceSolution& solution : *solutions) {
    Row r = EmptyRow();
    bool consistent = true;
    for (const auto& [variable, id] : solution) {
      Id& slot = r[Slot(variable)];
      if (slot != 0 && slot != id) consistent = false;
      slot = id;
    }
    if (consistent) out.push_back(std::move(r));
    if (absl::Status st = Check(out.size()); !st.ok()) return st;
  }
  return out;
}

std::vector<Id> Evaluator::GroupKey(const GraphPattern& p, const Row& row,
                                    Id graph) {
  std::vector<Id> key;
  key.reserve(p.group_keys.size());
  for (const auto& k : p.group_keys) {
    if (k.expression.kind == Expression::Kind::kVariable) {
      // Each distinct id decoded once, not once per row.
      key.push_back(Canonical(row[slots_.at(k.expression.name)]));
      continue;
    }
    const Value v = EvalExpr(k.expression, row, graph);
    key.push_back(v.has_value() ? Intern(*v) : 0);
  }
  return key;
}

Row Evaluator::GroupRow(const GraphPattern& p, const std::vector<Id>& key,
                        const std::vector<Id>& values) {
  Row r = EmptyRow();
  for (size_t k = 0; k < p.group_keys.size(); ++k) {
    if (!p.group_keys[k].variable.empty()) {
      r[slots_.at(p.group_keys[k].variable)] = key[k];
    }
  }
  for (size_t a = 0; a < p.aggregates.size(); ++a) {
    if (values[a] != 0) r[slots_.at(p.aggregates[a].variable)] = values[a];
  }
  return r;
}

absl::StatusOr<Rows> Evaluator::Group(const GraphPattern& p, Rows in,
                                      Id graph) {
  std::vector<std::vector<Id>> order;
  absl::flat_hash_map<std::vector<Id>, std::vector<size_t>> groups;
  for (size_t i = 0; i < in.size(); ++i) {
    std::vector<Id> key = GroupKey(p, in[i], graph);
    auto [it, inserted] = groups.try_emplace(key);
    if (inserted) order.push_back(std::move(key));
    it->second.push_back(i);
  }
  if (in.empty() && p.group_keys.empty()) {
    order.push_back({});
    groups[{}];
  }
  Rows out;
  for (const std::vector<Id>& key : order) {
    const std::vector<size_t>& members = groups[key];
    std::vector<Id> values;
    for (const auto& a : p.aggregates) {
      const Value v = Aggregate(a.aggregate, in, members, graph);
      values.push_back(v.has_value() ? Intern(*v) : 0);
    }
    out.push_back(GroupRow(p, key, values));
  }
  return out;
}

bool Evaluator::OnlyCounts(const GraphPattern& p) {
  for (const auto& a : p.aggregates) {
    const Expression& agg = a.aggregate;
    if (agg.name != "COUNT") return false;
    if (agg.operands.empty()) {
      if (agg.distinct) return false;  // COUNT(DISTINCT *): whole rows
      continue;
    }
    if (agg.operands[0].kind != Expression::Kind::kVariable) return false;
  }
  return true;
}

absl::StatusOr<std::optional<Rows>> Evaluator::CountOneTriple(
    const GraphPattern& p, Id graph) {
  // PROFILE shows the triple's rows, so it takes the general way.
  if (options_.profile || !p.group_keys.empty() ||
      p.operands[0].kind != GraphPattern::Kind::kBgp ||
      p.operands[0].triples.size() != 1) {
    return std::nullopt;
  }
  const TriplePattern& t = p.operands[0].triples[0];
  std::vector<std::string> variables;
  for (const PatternTerm* pt : {&t.subject, &t.predicate, &t.object}) {
    if (pt->kind == PatternTerm::Kind::kTriple) return std::nullopt;
    if (pt->kind != PatternTerm::Kind::kVariable) continue;
    // A repeated variable (`?x :p ?x`) is a condition the count lacks.
    if (std::find(variables.begin(), variables.end(), pt->variable) !=
        variables.end()) {
      return std::nullopt;
    }
    variables.push_back(pt->variable);
  }
  for (const auto& a : p.aggregates) {
    const Expression& agg = a.aggregate;
    if (agg.distinct) return std::nullopt;
    // COUNT(?v) counts every match when each binds ?v.
    if (!agg.operands.empty() &&
        std::find(variables.begin(), variables.end(), agg.operands[0].name) ==
            variables.end()) {
      return std::nullopt;
    }
  }
  bool impossible = false;
  const Row none = EmptyRow();
  const Id s = Resolve(t.subject, none, &impossible);
  const Id pr = Resolve(t.predicate, none, &impossible);
  const Id o = Resolve(t.object, none, &impossible);
  uint64_t n = 0;
  if (!impossible) {
    absl::StatusOr<std::optional<uint64_t>> counted =
        data_.Count(graph, s, pr, o, options_.check);
    if (!counted.ok()) return counted.status();
    if (!counted->has_value()) return std::nullopt;
    n = **counted;
  }
  const std::vector<Id> values(p.aggregates.size(),
                               IntegerId(static_cast<int64_t>(n)));
  return Rows{GroupRow(p, {}, values)};
}

absl::StatusOr<std::optional<Rows>> Evaluator::CountByEnd(const GraphPattern& p,
                                                          Id graph) {
  if (options_.profile || p.group_keys.size() != 1 ||
      p.group_keys[0].expression.kind != Expression::Kind::kVariable ||
      p.operands[0].kind != GraphPattern::Kind::kBgp ||
      p.operands[0].triples.size() != 1) {
    return std::nullopt;
  }
  const TriplePattern& t = p.operands[0].triples[0];
  if (!t.subject.is_variable() || !t.object.is_variable() ||
      t.predicate.kind != PatternTerm::Kind::kTerm ||
      t.subject.variable == t.object.variable) {
    return std::nullopt;
  }
  const std::string& key = p.group_keys[0].expression.name;
  if (key != t.subject.variable && key != t.object.variable) {
    return std::nullopt;
  }
  for (const auto& a : p.aggregates) {
    const Expression& agg = a.aggregate;
    if (agg.distinct) return std::nullopt;
    if (!agg.operands.empty() && agg.operands[0].name != t.subject.variable &&
        agg.operands[0].name != t.object.variable) {
      return std::nullopt;
    }
  }
  bool impossible = false;
  const Id predicate = Resolve(t.predicate, EmptyRow(), &impossible);
  if (impossible) return Rows{};  // no triple has it: no group
  absl::StatusOr<std::optional<Dataset::GroupCounts>> counted =
      data_.CountByEnd(graph, predicate, key == t.subject.variable,
                       options_.max_rows, options_.check);
  if (!counted.ok()) return counted.status();
  if (!counted->has_value()) return std::nullopt;
  // Two ids of one term (a node and a relation) are one group.
  absl::flat_hash_map<Id, size_t> group;
  std::vector<std::pair<Id, uint64_t>> groups;
  for (const auto& [id, n] : **counted) {
    auto [it, inserted] = group.try_emplace(Canonical(id), groups.size());
    if (inserted) {
      groups.emplace_back(it->first, n);
    } else {
      groups[it->second].second += n;
    }
  }
  if (absl::Status st = Check(groups.size()); !st.ok()) return st;
  Rows out;
  out.reserve(groups.size());
  for (const auto& [id, n] : groups) {
    const std::vector<Id> values(p.aggregates.size(),
                                 IntegerId(static_cast<int64_t>(n)));
    out.push_back(GroupRow(p, {id}, values));
  }
  return out;
}

absl::StatusOr<Rows> Evaluator::CountGroups(const GraphPattern& p, Id graph) {
  absl::StatusOr<std::optional<Rows>> counted = CountOneTriple(p, graph);
  if (!counted.ok()) return counted.status();
  if (counted->has_value()) return **std::move(counted);
  counted = CountByEnd(p, graph);
  if (!counted.ok()) return counted.status();
  if (counted->has_value()) return **std::move(counted);
  struct Counts {
    std::vector<int64_t> n;
    std::vector<absl::flat_hash_set<Id>> distinct;
  };
  const size_t aggregates = p.aggregates.size();
  std::vector<int> slot(aggregates, -1);  // COUNT(?v)'s variable
  for (size_t a = 0; a < aggregates; ++a) {
    const Expression& agg = p.aggregates[a].aggregate;
    if (!agg.operands.empty()) slot[a] = slots_.at(agg.operands[0].name);
  }
  std::vector<std::vector<Id>> order;
  std::vector<Counts> counts;
  absl::flat_hash_map<std::vector<Id>, size_t> index;
  absl::Status failed;
  uint64_t seen = 0;
  absl::Status st = Stream(p.operands[0], graph, [&](Row&& r) {
    std::vector<Id> key = GroupKey(p, r, graph);
    auto [it, inserted] = index.try_emplace(key, order.size());
    if (inserted) {
      order.push_back(std::move(key));
      counts.push_back({std::vector<int64_t>(aggregates, 0),
                        std::vector<absl::flat_hash_set<Id>>(aggregates)});
      if (Exceeded(order.size())) {
        failed = Check(order.size());
        if (!failed.ok()) return false;
      }
    }
    Counts& c = counts[it->second];
    for (size_t a = 0; a < aggregates; ++a) {
      if (slot[a] < 0) {
        ++c.n[a];
        continue;
      }
      const Id id = r[slot[a]];
      if (id == 0) continue;
      if (p.aggregates[a].aggregate.distinct) {
        c.distinct[a].insert(Canonical(id));
      } else {
        ++c.n[a];
      }
    }
    if ((++seen & 1023) == 0) {
      failed = Check(order.size());
      return failed.ok();
    }
    return true;
  });
  if (!st.ok()) return st;
  if (!failed.ok()) return failed;
  if (absl::Status held = Check(order.size()); !held.ok()) return held;
  if (order.empty() && p.group_keys.empty()) {
    order.push_back({});
    counts.push_back({std::vector<int64_t>(aggregates, 0),
                      std::vector<absl::flat_hash_set<Id>>(aggregates)});
  }
  Rows out;
  out.reserve(order.size());
  for (size_t g = 0; g < order.size(); ++g) {
    std::vector<Id> values;
    for (size_t a = 0; a < aggregates; ++a) {
      const bool distinct = slot[a] >= 0 && p.aggregates[a].aggregate.distinct;
      values.push_back(IntegerId(
          distinct ? static_cast<int64_t>(counts[g].distinct[a].size())
                   : counts[g].n[a]));
    }
    out.push_back(GroupRow(p, order[g], values));
  }
  return out;
}

Value Evaluator::Aggregate(const Expression& agg, const Rows& rows,
                           const std::vector<size_t>& members, Id graph) {
  const std::string& name = agg.name;
  if (name == "COUNT" && agg.operands.empty()) {
    if (!agg.distinct) return IntegerTerm(static_cast<int64_t>(members.size()));
    absl::flat_hash_set<Row> seen;
    for (size_t i : members) seen.insert(rows[i]);
    return IntegerTerm(static_cast<int64_t>(seen.size()));
  }
  if (name == "COUNT" && agg.operands[0].kind == Expression::Kind::kVariable) {
    // COUNT(?x): the solutions that bind it, each distinct id decoded
    // at most once (for DISTINCT).
    const size_t slot = slots_.at(agg.operands[0].name);
    absl::flat_hash_set<Id> distinct;
    int64_t n = 0;
    for (size_t i : members) {
      const Id id = rows[i][slot];
      if (id == 0) continue;
      if (agg.distinct && !distinct.insert(Canonical(id)).second) continue;
      ++n;
    }
    return IntegerTerm(n);
  }
  std::vector<rdf::Term> values;
  bool error = false;
  absl::flat_hash_set<std::string> seen;
  for (size_t i : members) {
    const Value v = EvalExpr(agg.operands[0], rows[i], graph);
    if (!v.has_value()) {
      error = true;
      continue;
    }
    if (agg.distinct && !seen.insert(TermKey(*v)).second) continue;
    values.push_back(*v);
  }
  if (name == "COUNT") return IntegerTerm(static_cast<int64_t>(values.size()));
  if (name == "SAMPLE") {
    if (values.empty()) return std::nullopt;
    return values[0];
  }
  if (name == "SUM" || name == "AVG") {
    if (error) return std::nullopt;
    Value sum = IntegerTerm(0);
    for (const rdf::Term& v : values) {
      sum = Arithmetic(Expression::Kind::kAdd, *sum, v);
      if (!sum.has_value()) return std::nullopt;
    }
    if (name == "SUM") return sum;
    if (values.empty()) return IntegerTerm(0);
    return Arithmetic(Expression::Kind::kDivide, *sum,
                      IntegerTerm(static_cast<int64_t>(values.size())));
  }
  if (name == "MIN" || name == "MAX") {
    if (values.empty()) return std::nullopt;
    const rdf::Term* best = &values[0];
    for (const rdf::Term& v : values) {
      const int c = OrderCompare(v, *best);
      if ((name == "MIN" && c < 0) || (name == "MAX" && c > 0)) best = &v;
    }
    return *best;
  }
  if (name == "GROUP_CONCAT") {
    if (error) return std::nullopt;
    const std::string sep = agg.separator.value_or(" ");
    std::string out;
    std::optional<std::string> lang;
    bool same_lang = true;
    for (size_t i = 0; i < values.size(); ++i) {
      const rdf::Term& v = values[i];
      if (!v.is_literal() || (v.language().empty() &&
                              v.datatype() != std::string(rdf::kXsdString))) {
        return std::nullopt;
      }
      if (i > 0) out += sep;
      out += v.value();
      if (!lang) {
        lang = v.language();
      } else if (*lang != v.language()) {
        same_lang = false;
      }
    }
    // Always a simple literal, whatever the values' languages (the
    // suites' agg-groupconcat-04).
    (void)same_lang;
    return rdf::Term::Literal(std::move(out));
  }
  return std::nullopt;
}

// ---- Expressions ----

Value Evaluator::EvalExpr(const Expression& e, const Row& row, Id graph) {
  using K = Expression::Kind;
  switch (e.kind) {
    case K::kConstant:
      return e.term;
    case K::kVariable: {
      auto it = slots_.find(e.name);
      if (it == slots_.end() || row[it->second] == 0) return std::nullopt;
      return Decode(row[it->second]);
    }
    case K::kTriple: {
      const Value s = EvalExpr(e.operands[0], row, graph);
      const Value p = EvalExpr(e.operands[1], row, graph);
      const Value o = EvalExpr(e.operands[2], row, graph);
      if (!s || !p || !o) return std::nullopt;
      return CallFunction("TRIPLE", false, {*s, *p, *o});
    }
    case K::kOr:
    case K::kAnd: {
      const std::optional<bool> a = Ebv(e.operands[0], row, graph);
      const std::optional<bool> b = Ebv(e.operands[1], row, graph);
      if (e.kind == K::kOr) {
        if (a == true || b == true) return BooleanTerm(true);
        if (a == false && b == false) return BooleanTerm(false);
        return std::nullopt;
      }
      if (a == false || b == false) return BooleanTerm(false);
      if (a == true && b == true) return BooleanTerm(true);
      return std::nullopt;
    }
    case K::kNot: {
      const std::optional<bool> a = Ebv(e.operands[0], row, graph);
      if (!a) return std::nullopt;
      return BooleanTerm(!*a);
    }
    case K::kEqual:
    case K::kNotEqual:
    case K::kLess:
    case K::kGreater:
    case K::kLessOrEqual:
    case K::kGreaterOrEqual: {
      const Value a = EvalExpr(e.operands[0], row, graph);
      const Value b = EvalExpr(e.operands[1], row, graph);
      if (!a || !b) return std::nullopt;
      const std::optional<bool> r = Compare(e.kind, *a, *b);
      if (!r) return std::nullopt;
      return BooleanTerm(*r);
    }
    case K::kIn:
    case K::kNotIn: {
      const Value a = EvalExpr(e.operands[0], row, graph);
      if (!a) return std::nullopt;
      bool error = false;
      for (size_t i = 1; i < e.operands.size(); ++i) {
        const Value b = EvalExpr(e.operands[i], row, graph);
        if (!b) {
          error = true;
          continue;
        }
        const std::optional<bool> eq = Compare(K::kEqual, *a, *b);
        if (eq == true) return BooleanTerm(e.kind == K::kIn);
        if (!eq) error = true;
      }
      if (error) return std::nullopt;
      return BooleanTerm(e.kind == K::kNotIn);
    }
    case K::kAdd:
    case K::kSubtract:
    case K::kMultiply:
    case K::kDivide: {
      const Value a = EvalExpr(e.operands[0], row, graph);
      const Value b = EvalExpr(e.operands[1], row, graph);
      if (!a || !b) return std::nullopt;
      return Arithmetic(e.kind, *a, *b);
    }
    case K::kUnaryPlus:
    case K::kUnaryMinus: {
      const Value a = EvalExpr(e.operands[0], row, graph);
      if (!a) return std::nullopt;
      return Negate(*a, e.kind == K::kUnaryMinus);
    }
    case K::kExists:
    case K::kNotExists: {
      absl::StatusOr<Rows> rows = Eval(*e.pattern, graph);
      if (!rows.ok()) return std::nullopt;
      bool any = false;
      for (const Row& r : *rows) {
        if (Compatible(row, r)) {
          any = true;
          break;
        }
      }
      return BooleanTerm(any == (e.kind == K::kExists));
    }
    case K::kAggregate:
      return std::nullopt;  // replaced by variables in the parser
    case K::kBuiltin:
    case K::kCall:
      break;
  }
  // Functions that take unevaluated or possibly-unbound arguments.
  if (e.kind == K::kBuiltin) {
    if (e.name == "BOUND") {
      auto it = slots_.find(e.operands[0].name);
      return BooleanTerm(it != slots_.end() && row[it->second] != 0);
    }
    if (e.name == "IF") {
      const std::optional<bool> c = Ebv(e.operands[0], row, graph);
      if (!c) return std::nullopt;
      return EvalExpr(e.operands[*c ? 1 : 2], row, graph);
    }
    if (e.name == "COALESCE") {
      for (const Expression& o : e.operands) {
        const Value v = EvalExpr(o, row, graph);
        if (v.has_value()) return v;
      }
      return std::nullopt;
    }
    if (e.name == "BNODE") {
      // BNODE(): fresh each call; BNODE(str): the same per solution and
      // string (keyed by the row's identity).
      if (e.operands.empty()) {
        return rdf::Term::Blank(absl::StrCat("b!", ++bnodes_));
      }
      const Value v = EvalExpr(e.operands[0], row, graph);
      if (!v || !v->is_literal()) return std::nullopt;
      // The solution's identity: its values, less the blank nodes BNODE
      // itself made (BIND adds them to the row between two calls).
      std::string key;
      for (Id id : row) {
        const bool made_here =
            (id & kLocal) && local_[id & ~kLocal].is_blank() &&
            absl::StartsWith(local_[id & ~kLocal].value(), "b!");
        absl::StrAppend(&key, made_here ? 0 : id, ",");
      }
      return rdf::Term::Blank(
          absl::StrCat("b!", absl::Hash<std::string>()(key + v->value())));
    }
    if (e.name == "NOW") {
      return rdf::Term::Literal(
          absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", options_.now,
                           absl::UTCTimeZone()),
          "http://www.w3.org/2001/XMLSchema#dateTime");
    }
  }
  std::vector<rdf::Term> args;
  args.reserve(e.operands.size());
  for (const Expression& o : e.operands) {
    Value v = EvalExpr(o, row, graph);
    if (!v) return std::nullopt;
    args.push_back(*std::move(v));
  }
  Value result = CallFunction(e.name, e.kind == K::kCall, args);
  // IRI("rel") resolves against the query's base IRI.
  if (e.kind == K::kBuiltin && e.name == "IRI" && result.has_value() &&
      !rdf::IsAbsoluteIri(result->value()) && !query_.base_iri.empty()) {
    result = rdf::Term::Iri(rdf::ResolveIri(query_.base_iri, result->value()));
  }
  return result;
}

// ---- Forms ----

std::optional<rdf::Term> Evaluator::TemplateTerm(const PatternTerm& t,
                                                 const Row& row, int solution) {
  switch (t.kind) {
    case PatternTerm::Kind::kTerm:
      return t.term;
    case PatternTerm::Kind::kVariable: {
      if (absl::StartsWith(t.variable, "_:")) {
        // A template blank node: fresh for each solution.
        return rdf::Term::Blank(
            absl::StrCat("c", solution, "!", t.variable.substr(2)));
      }
      auto it = slots_.find(t.variable);
      if (it == slots_.end() || row[it->second] == 0) return std::nullopt;
      return Decode(row[it->second]);
    }
    case PatternTerm::Kind::kTriple: {
      std::optional<rdf::Term> s =
          TemplateTerm(t.triple->subject, row, solution);
      std::optional<rdf::Term> p =
          TemplateTerm(t.triple->predicate, row, solution);
      std::optional<rdf::Term> o =
          TemplateTerm(t.triple->object, row, solution);
      if (!s || !p || !o || !(s->is_iri() || s->is_blank()) || !p->is_iri()) {
        return std::nullopt;
      }
      return rdf::Term::TripleTerm(rdf::Triple{*s, *p, *o});
    }
  }
  return std::nullopt;
}

void Evaluator::Instantiate(const std::vector<TriplePattern>& tmpl,
                            const Row& row, int solution,
                            absl::flat_hash_set<std::string>* seen,
                            std::vector<rdf::Triple>* out) {
  for (const TriplePattern& t : tmpl) {
    std::optional<rdf::Term> s = TemplateTerm(t.subject, row, solution);
    std::optional<rdf::Term> p = TemplateTerm(t.predicate, row, solution);
    std::optional<rdf::Term> o = TemplateTerm(t.object, row, solution);
    // Triples that would not be RDF are left out (section 16.2).
    if (!s || !p || !o || !(s->is_iri() || s->is_blank()) || !p->is_iri()) {
      continue;
    }
    rdf::Triple triple{*s, *p, *o};
    const std::string key =
        absl::StrCat(TermKey(triple.subject), " ", TermKey(triple.predicate),
                     " ", TermKey(triple.object));
    if (seen->insert(key).second) out->push_back(std::move(triple));
  }
}

void Evaluator::PrintPlan(const GraphPattern& p, Id graph, int depth,
                          std::string* out) {
  const std::string indent(2 * depth, ' ');
  std::string head;
  auto expr = [](const std::optional<Expression>& e) {
    return e.has_value() ? ToSExpression(*e) : std::string();
  };
  switch (p.kind) {
    case GraphPattern::Kind::kBgp:
      head = "bgp";
      break;
    case GraphPattern::Kind::kPath:
      head = absl::StrCat("path ", ToSExpression(p.path_subject), " ",
                          ToSExpression(p.path), " ",
                          ToSExpression(p.path_object));
      break;
    case GraphPattern::Kind::kJoin:
      head = "join";
      break;
    case GraphPattern::Kind::kLeftJoin:
      head =
          absl::StrCat("leftjoin", p.expression ? " " : "", expr(p.expression));
      break;
    case GraphPattern::Kind::kFilter:
      head = absl::StrCat("filter ", expr(p.expression));
      break;
    case GraphPattern::Kind::kUnion:
      head = "union";
      break;
    case GraphPattern::Kind::kMinus:
      head = "minus";
      break;
    case GraphPattern::Kind::kGraph:
      head = absl::StrCat("graph ", ToSExpression(p.name));
      break;
    case GraphPattern::Kind::kExtend:
      head = absl::StrCat("extend ?", p.variable, " := ", expr(p.expression));
      break;
    case GraphPattern::Kind::kTable:
      head = absl::StrCat("table, ", p.rows.size(), " rows");
      break;
    case GraphPattern::Kind::kService:
      head = absl::StrCat("service ", ToSExpression(p.name));
      break;
    case GraphPattern::Kind::kGroup:
      head = absl::StrCat("group, ", p.group_keys.size(), " keys, ",
                          p.aggregates.size(), " aggregates");
      break;
    case GraphPattern::Kind::kOrderBy:
      head = "order by";
      for (const OrderCondition& c : p.order) {
        absl::StrAppend(&head, c.descending ? " desc " : " ",
                        ToSExpression(c.expression));
      }
      break;
    case GraphPattern::Kind::kProject:
      head = "project";
      for (const std::string& v : p.variables) absl::StrAppend(&head, " ?", v);
      break;
    case GraphPattern::Kind::kDistinct:
      head = "distinct";
      break;
    case GraphPattern::Kind::kReduced:
      head = "reduced";
      break;
    case GraphPattern::Kind::kSlice:
      head =
          absl::StrCat("slice ", p.offset, " ",
                       p.limit < 0 ? std::string("_") : absl::StrCat(p.limit));
      break;
  }
  absl::StrAppend(out, indent, head);
  if (auto it = stats_.find(&p); it != stats_.end()) {
    absl::StrAppend(
        out, "  [rows ", it->second.rows, ", ",
        absl::StrFormat("%.3f ms", absl::ToDoubleMilliseconds(it->second.time)),
        it->second.calls > 1 ? absl::StrCat(", ", it->second.calls, " calls")
                             : std::string(),
        "]");
  }
  absl::StrAppend(out, "\n");
  if (p.kind == GraphPattern::Kind::kBgp) {
    auto ran = bgp_steps_.find(&p);
    const bool profiled = ran != bgp_steps_.end();
    const std::vector<BgpStep> steps =
        profiled ? ran->second : PlanBgp(p.triples, graph);
    for (const BgpStep& step : steps) {
      const TriplePattern& t = p.triples[step.triple];
      absl::StrAppend(out, indent, "  (triple ", ToSExpression(t.subject), " ",
                      ToSExpression(t.predicate), " ", ToSExpression(t.object),
                      ")  [est ", EstimateText(step.solutions),
                      profiled ? absl::StrCat(", rows ", step.rows,
                                              ", lookups ", step.lookups)
                               : "",
                      ", alone ", step.estimate, JoinText(step), "]\n");
    }
  }
  for (const GraphPattern& o : p.operands) PrintPlan(o, graph, depth + 1, out);
}

std::string Evaluator::JoinText(const BgpStep& step) const {
  if (step.method == JoinMethod::kLookup) return "";
  std::vector<std::string> on;
  for (size_t slot : step.key) on.push_back(absl::StrCat("?", names_[slot]));
  return absl::StrCat(
      step.method == JoinMethod::kHash ? ", hash join on " : ", merge join on ",
      absl::StrJoin(on, " "));
}

void Evaluator::CollectAllSlots() {
  CollectSlots(query_.pattern);
  for (const TriplePattern& t : query_.construct_template) {
    CollectSlots(t.subject);
    CollectSlots(t.predicate);
    CollectSlots(t.object);
  }
  for (const PatternTerm& t : query_.describe) CollectSlots(t);
  for (const std::string& v : query_.variables) Slot(v);
  object_prefix_.clear();
  CollectObjectPrefixes(query_.pattern);
}

// The text every match of `pattern`, a regular expression (XPath's, run by
// RE2, where ^ is the start of the text) without flags, starts with: after a
// leading ^, the literal ASCII characters up to the first one that is not (or
// that a quantifier makes optional); "" for none, and for any pattern with an
// alternative.
std::string RegexPrefix(absl::string_view pattern) {
  std::string prefix;
  if (pattern.empty() || pattern[0] != '^' || absl::StrContains(pattern, '|')) {
    return prefix;
  }
  constexpr absl::string_view kSpecial = ".^$?*+()[]{}|\\";
  for (size_t i = 1; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      // An escaped special character is itself; \d, \w and the like are
      // classes.
      if (i + 1 >= pattern.size() ||
          !absl::StrContains(kSpecial, pattern[i + 1])) {
        break;
      }
      c = pattern[++i];
    } else if (absl::StrContains(kSpecial, c)) {
      break;
    }
    if (static_cast<unsigned char>(c) >= 0x80) break;
    if (i + 1 < pattern.size() && absl::StrContains("?*{", pattern[i + 1])) {
      break;  // optional, or repeated maybe never
    }
    prefix.push_back(c);
  }
  return prefix;
}

void Evaluator::CollectObjectPrefixes(const GraphPattern& p) {
  for (const GraphPattern& o : p.operands) CollectObjectPrefixes(o);
  if (p.kind != GraphPattern::Kind::kFilter || !p.expression.has_value() ||
      p.operands.empty() || p.operands[0].kind != GraphPattern::Kind::kBgp) {
    return;
  }
  // The conjuncts of the filter: each must hold for every solution.
  std::vector<const Expression*> conjuncts = {&*p.expression};
  for (size_t i = 0; i < conjuncts.size(); ++i) {
    const Expression& e = *conjuncts[i];
    if (e.kind == Expression::Kind::kAnd) {
      for (const Expression& o : e.operands) conjuncts.push_back(&o);
      continue;
    }
    if (e.kind != Expression::Kind::kBuiltin || e.operands.size() != 2 ||
        (e.name != "STRSTARTS" && e.name != "REGEX") ||
        e.operands[1].kind != Expression::Kind::kConstant ||
        !e.operands[1].term.is_literal()) {
      continue;
    }
    const Expression* v = &e.operands[0];
    if (v->kind == Expression::Kind::kBuiltin && v->name == "STR" &&
        v->operands.size() == 1) {
      v = &v->operands[0];
    }
    if (v->kind != Expression::Kind::kVariable) continue;
    const std::string& text = e.operands[1].term.value();
    const std::string prefix = e.name == "STRSTARTS" ? text : RegexPrefix(text);
    if (prefix.empty()) continue;
    for (const TriplePattern& t : p.operands[0].triples) {
      if (t.object.kind != PatternTerm::Kind::kVariable ||
          t.object.variable != v->name ||
          t.predicate.kind != PatternTerm::Kind::kTerm) {
        continue;
      }
      std::string& kept = object_prefix_[&t];
      if (prefix.size() > kept.size()) kept = prefix;
    }
  }
}

std::string Evaluator::Plan() {
  CollectAllSlots();
  std::string out;
  PrintPlan(query_.pattern, kDefaultGraph, 0, &out);
  return out;
}

absl::StatusOr<QueryResult> Evaluator::Run() {
  CollectAllSlots();
  QueryResult result;
  result.form = query_.form;
  // Solutions are taken as they are made (Stream); each form keeps what
  // it needs of them, and the caps apply to what it keeps.
  absl::Status failed;
  uint64_t solutions = 0;
  auto within_caps = [&](size_t kept) {
    ++solutions;
    if (solutions > options_.max_rows) {
      failed = Check(solutions);
      return false;
    }
    if ((solutions & 1023) == 0 || Exceeded(kept)) {
      failed = Check(kept);
      return failed.ok();
    }
    return true;
  };
  RowSink sink;
  absl::flat_hash_set<std::string> seen;  // CONSTRUCT's triples
  absl::flat_hash_set<Id> resources;      // DESCRIBE's
  switch (query_.form) {
    case Query::Form::kSelect:
      result.variables = query_.variables;
      sink = [&](Row&& r) {
        std::vector<std::optional<rdf::Term>> out;
        for (const std::string& v : query_.variables) {
          const Id id = r[slots_.at(v)];
          out.push_back(id == 0 ? std::nullopt
                                : std::optional<rdf::Term>(Decode(id)));
        }
        if (options_.on_row) {
          // Passed on, not kept.
          return within_caps(0) && options_.on_row(std::move(out));
        }
        result.rows.push_back(std::move(out));
        return within_caps(result.rows.size());
      };
      break;
    case Query::Form::kAsk:
      sink = [&](Row&&) {
        result.boolean = true;
        return false;  // one solution answers it
      };
      break;
    case Query::Form::kConstruct: {
      int solution = 0;
      sink = [&, solution](Row&& r) mutable {
        Instantiate(query_.construct_template, r, ++solution, &seen,
                    &result.triples);
        return within_caps(0);
      };
      break;
    }
    case Query::Form::kDescribe:
      // The concise description: the triples with the resource as subject
      // in the default graph.
      for (const PatternTerm& t : query_.describe) {
        if (t.kind == PatternTerm::Kind::kTerm) {
          if (const Id id = DataId(t.term); id != 0) resources.insert(id);
        }
      }
      sink = [&](Row&& r) {
        if (query_.describe.empty()) {
          for (Id id : r) {
            if (id != 0 && !(id & kLocal)) resources.insert(id);
          }
        }
        for (const PatternTerm& t : query_.describe) {
          if (t.kind != PatternTerm::Kind::kVariable) continue;
          const Id id = r[slots_.at(t.variable)];
          if (id != 0 && !(id & kLocal)) resources.insert(id);
        }
        return within_caps(resources.size());
      };
      break;
  }
  if (absl::Status st = Stream(query_.pattern, kDefaultGraph, sink); !st.ok()) {
    return st;
  }
  if (!failed.ok()) return failed;
  // What was kept, against the caps (the sink looks only every 1,024).
  if (absl::Status st = Check(std::max(result.rows.size(), resources.size()));
      !st.ok()) {
    return st;
  }
  if (options_.profile)
    PrintPlan(query_.pattern, kDefaultGraph, 0, &result.profile);
  // The descriptions, against the row cap and the deadline like rows.
  for (Id id : resources) {
    absl::Status stopped;
    data_.Match(kDefaultGraph, id, 0, 0, [&](Id s, Id p, Id o) {
      result.triples.push_back(rdf::Triple{Decode(s), Decode(p), Decode(o)});
      if ((result.triples.size() & 1023) == 0) {
        stopped = Check(result.triples.size());
      }
      return stopped.ok();
    });
    if (!stopped.ok()) return stopped;
  }
  return result;
}

}  // namespace

absl::StatusOr<QueryResult> Evaluate(const Query& query, Dataset& dataset,
                                     const EvalOptions& options) {
  return Evaluator(query, dataset, options).Run();
}

std::string Explain(const Query& query, Dataset& dataset) {
  const EvalOptions options;
  return Evaluator(query, dataset, options).Plan();
}

double EstimatedWork(const Query& query, Dataset& dataset) {
  const EvalOptions options;
  return Evaluator(query, dataset, options).Work();
}

}  // namespace kg::sparql
