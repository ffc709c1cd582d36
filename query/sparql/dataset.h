// What the SPARQL evaluator reads: an RDF dataset whose terms are numbered
// (docs/query.md "SPARQL", "Ids, not terms"). kg's store is one (its node
// ids), the in-memory dataset below another (as-of queries, tests).
//
//   MemoryDataset data;
//   data.Add(quad);                    // default graph when quad.graph is
//   unset Id s = data.Lookup(rdf::Term::Iri("http://x/a"));   // 0: not in the
//   data data.Match(kDefaultGraph, s, 0, 0, [](Id s, Id p, Id o) { ...; return
//   true; });
#ifndef KG_QUERY_SPARQL_DATASET_H_
#define KG_QUERY_SPARQL_DATASET_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "rdf/term.h"

namespace kg::sparql {

// A term's number. 0 is no term (an unbound variable, an open position).
using Id = uint64_t;
// The graph argument of Match for the default graph.
inline constexpr Id kDefaultGraph = 0;

// The key equal terms share: the N-Triples form, with the language tag
// lower-cased (RDF compares tags case-insensitively). Datasets and the
// evaluator's own vocabulary intern terms under it.
std::string TermKey(const rdf::Term& term);

// One triple `[] predicate object` of a SERVICE pattern that the dataset
// answers itself: the predicate's IRI, and the object, a constant or a
// variable.
struct ServiceArgument {
  std::string predicate;
  std::optional<rdf::Term> constant;
  std::string variable;  // without '?', when there is no constant
};
// A solution of such a service: values of its variables, as ids of the
// dataset.
using ServiceSolution = std::vector<std::pair<std::string, Id>>;

class Dataset {
 public:
  virtual ~Dataset() = default;

  // The id of `term` when the dataset holds it, else 0.
  virtual Id Lookup(const rdf::Term& term) = 0;
  // The term an id stands for (the id came from this dataset).
  virtual rdf::Term TermOf(Id id) = 0;
  // The components of a triple term's id; false when `id` is no triple
  // term.
  virtual bool TripleOf(Id id, Id* s, Id* p, Id* o) = 0;
  // Calls fn(s, p, o) for each triple of `graph` (kDefaultGraph or a named
  // graph's id) matching the pattern, 0 leaving a position open, until fn
  // returns false.
  virtual void Match(Id graph, Id s, Id p, Id o,
                     const std::function<bool(Id, Id, Id)>& fn) = 0;
  // The named graphs' ids.
  virtual std::vector<Id> NamedGraphs() = 0;
  // Calls fn(id) for the triple terms the dataset holds whose subject,
  // predicate and object are s, p and o (0 leaving a position open), until
  // fn returns false, so that `?r rdf:reifies <<( ?x :p :o )>>` needs no
  // scan of every reifier. Returns false when the dataset cannot list them
  // (the default): the evaluator then matches the open triple term
  // against every triple.
  virtual bool MatchTripleTerms(Id s, Id p, Id o,
                                const std::function<bool(Id)>& fn) {
    (void)s, (void)p, (void)o, (void)fn;
    return false;
  }

  // Calls fn(o) for the objects of the triples of `graph` with predicate
  // `p` (the subject open), each at least once and perhaps more often,
  // until fn returns false, for `SELECT DISTINCT ?o WHERE { ?s p ?o }`
  // ("which types are there?") when the dataset knows them without
  // matching each triple. Returns false, having called fn never, when it
  // does not (the default): the evaluator then matches every triple.
  virtual bool ObjectsOf(Id graph, Id p, const std::function<bool(Id)>& fn) {
    (void)graph, (void)p, (void)fn;
    return false;
  }

  // Calls fn(s, p, o) for the triples of `graph` with predicate `p` whose
  // object is a literal whose lexical form starts with `prefix`, and
  // perhaps for others (the caller filters), each once, until fn returns
  // false, when the dataset finds them without reading every triple of
  // `p` (kg's store: labels, from the entity table in label order), for
  // `?s rdfs:label ?l FILTER(STRSTARTS(?l, "dog"))` or a regex anchored by
  // `^`. Returns false, having called fn never, when it does not (the
  // default): the evaluator then matches every triple.
  virtual bool MatchObjectPrefix(Id graph, Id p, absl::string_view prefix,
                                 const std::function<bool(Id, Id, Id)>& fn) {
    (void)graph, (void)p, (void)prefix, (void)fn;
    return false;
  }
  // Calls fn(s, p, o) for every triple of `graph` with predicate `p` (and,
  // when `prefix` is not empty, at least those whose object is a literal
  // that starts with it), in ascending ORDER BY order of the object (ties
  // in any order), until fn returns false, when the dataset keeps them in
  // that order (kg's store: labels, from the entity table), for
  // `ORDER BY ?l LIMIT k` over `?s rdfs:label ?l`. Returns false, having
  // called fn never, when it does not (the default).
  virtual bool MatchInObjectOrder(Id graph, Id p, absl::string_view prefix,
                                  const std::function<bool(Id, Id, Id)>& fn) {
    (void)graph, (void)p, (void)prefix, (void)fn;
    return false;
  }
  // About how many triples MatchObjectPrefix would pass on, without
  // reading them, for ordering joins; nullopt when it would answer false.
  virtual std::optional<uint64_t> EstimateObjectPrefix(
      Id graph, Id p, absl::string_view prefix) {
    (void)graph, (void)p, (void)prefix;
    return std::nullopt;
  }
  // How many triples of `graph` match the pattern (0 leaving a position
  // open), for `COUNT(*)` of one triple, when the dataset knows without
  // passing each on (kg's store: from the compact adjacency's per-relation
  // counts, or an ids-only index scan). nullopt when it does not (the
  // default): the evaluator then counts the matches. A long count calls
  // `check` (EvalOptions::check, may be null) and stops with its error.
  virtual absl::StatusOr<std::optional<uint64_t>> Count(
      Id graph, Id s, Id p, Id o, const std::function<absl::Status()>& check) {
    (void)graph, (void)s, (void)p, (void)o, (void)check;
    return std::nullopt;
  }

  // For `SELECT ?x (COUNT(*) AS ?n) WHERE { ?s p ?o } GROUP BY ?x`, ?x the
  // subject (`by_subject`) or the object, both ends open and `p` known:
  // each value of ?x with its number of triples, when the dataset counts
  // them itself (kg's store: from the compact adjacency); nullopt when it
  // does not (the default). A long count calls `check` as Count does; past
  // `max_groups` groups it may stop with max_groups + 1 of them (the
  // caller's cap then says so).
  using GroupCounts = std::vector<std::pair<Id, uint64_t>>;
  virtual absl::StatusOr<std::optional<GroupCounts>> CountByEnd(
      Id graph, Id p, bool by_subject, size_t max_groups,
      const std::function<absl::Status()>& check) {
    (void)graph, (void)p, (void)by_subject, (void)max_groups, (void)check;
    return std::nullopt;
  }

  // Whether Lookup(TermOf(id)) is `id` itself, known without decoding it,
  // so that the evaluator compares such ids as they are (GROUP BY keys,
  // COUNT(DISTINCT)). False, the default, makes it decode and intern.
  virtual bool IsCanonical(Id id) {
    (void)id;
    return false;
  }

  // About how many triples of `graph` match the pattern (0 leaving a
  // position open), for ordering joins; exact or an upper bound when
  // cheap. The default knows nothing: every pattern alike.
  virtual uint64_t Estimate(Id graph, Id s, Id p, Id o) {
    (void)graph, (void)s, (void)p, (void)o;
    return 1'000'000;
  }

  // About how many triples match the pattern for each solution that binds
  // its subject and/or its object (`subject_bound`, `object_bound`) to
  // some value, the other positions' constants as given (0: open): the
  // fan-out of a join step, for the estimate of its solutions. The
  // default divides Estimate by 1,000 per bound end.
  virtual double MatchesPerBinding(Id graph, Id s, Id p, Id o,
                                   bool subject_bound, bool object_bound) {
    double n = static_cast<double>(Estimate(graph, s, p, o));
    if (subject_bound) n /= 1000;
    if (object_bound) n /= 1000;
    return n;
  }

  // Whether the matches of triples with predicate `p` carry, as their
  // subjects and objects, ids that IsCanonical holds for or that no
  // canonical id equals as a term, so that matches of them join with other
  // solutions by comparing ids (a hash or merge join) as a lookup would.
  // The default: no (every step a lookup).
  virtual bool JoinsById(Id p) {
    (void)p;
    return false;
  }
  // What a lookup from a bound end costs (an index nested loop's price per
  // solution) in matches a scan reads in the same time, for choosing
  // between a lookup per solution and a hash or merge join over the
  // triple's matches. The default: alike.
  virtual double LookupCost(Id graph) {
    (void)graph;
    return 1;
  }

  // Whether the dataset answers SERVICE <iri> itself (kg's kg:paths); the
  // evaluator refuses any other SERVICE.
  virtual bool ProvidesService(const std::string& iri) {
    (void)iri;
    return false;
  }
  // Answers SERVICE <iri> { [] p1 o1 ; p2 o2 ... } for a service it
  // provides. `check` is EvalOptions::check (may be null): a long service
  // calls it and stops with its error.
  virtual absl::StatusOr<std::vector<ServiceSolution>> Service(
      const std::string& iri, const std::vector<ServiceArgument>& arguments,
      const std::function<absl::Status()>& check) {
    (void)arguments;
    (void)check;
    return absl::UnimplementedError(absl::StrCat("SERVICE <", iri, ">"));
  }
};

// A dataset held in memory: quads as they are added, indexed by each
// position. Not thread-safe.
class MemoryDataset : public Dataset {
 public:
  // Adds a quad (a duplicate is kept once); the graph is the default graph
  // when unset.
  void Add(const rdf::Quad& quad);
  // Declares a named graph even when it has no triples.
  void AddNamedGraph(const rdf::Term& name);

  Id Lookup(const rdf::Term& term) override;
  rdf::Term TermOf(Id id) override;
  bool TripleOf(Id id, Id* s, Id* p, Id* o) override;
  void Match(Id graph, Id s, Id p, Id o,
             const std::function<bool(Id, Id, Id)>& fn) override;
  std::vector<Id> NamedGraphs() override;
  uint64_t Estimate(Id graph, Id s, Id p, Id o) override;
  // Every term has one id here.
  bool IsCanonical(Id id) override {
    (void)id;
    return true;
  }
  bool JoinsById(Id p) override {
    (void)p;
    return true;
  }

 private:
  struct Triple {
    Id s, p, o;
  };
  struct Graph {
    std::vector<Triple> triples;
    absl::flat_hash_map<std::string, bool> seen;  // "s p o" of each triple
    absl::flat_hash_map<Id, std::vector<uint32_t>> by_s, by_p, by_o;
  };
  Id Intern(const rdf::Term& term);
  Graph& GraphAt(Id graph);

  std::vector<rdf::Term> terms_;              // id - 1
  absl::flat_hash_map<std::string, Id> ids_;  // by N-Triples form
  absl::flat_hash_map<Id, Triple> triple_terms_;
  absl::flat_hash_map<Id, Graph> graphs_;
  std::vector<Id> named_;
};

}  // namespace kg::sparql

#endif  // KG_QUERY_SPARQL_DATASET_H_
