// kg's store as a SPARQL dataset (docs/query.md "The RDF view of kg"):
// named graphs are documents, the graph of document D holds the statements
// a visible record of D yields (asserted only: a statement that is only
// quoted appears only as a triple term), and terms are the store's node
// ids, so the evaluator joins on them without decoding. The default graph
// also holds the description graph: entity, relation and document records,
// one `<stmt> rdf:reifies <<( s p o )>>` per statement, and each
// provenance record as triples with the PROV-O export's names.
//
//   StoreDatasetOptions o;      // default graph: every document and the
//   StoreDataset data(*reader, o);          // descriptions
//   absl::StatusOr<QueryResult> r = Evaluate(query, data, {});
//   KG_RETURN_IF_ERROR(data.status());
#ifndef KG_QUERY_SPARQL_STORE_DATASET_H_
#define KG_QUERY_SPARQL_STORE_DATASET_H_

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "query/provenance_as_of.h"
#include "query/sparql/dataset.h"
#include "storage/entity_table.h"
#include "storage/store.h"

namespace kg::sparql {

// The name, under the store's base IRI, of the description graph in FROM
// and default-graph-uri: <base>ns#descriptions (kg:descriptions).
inline constexpr char kDescriptionsGraph[] = "ns#descriptions";

struct StoreDatasetOptions {
  // The graphs whose triples make the default graph (FROM): document ids,
  // and the description graph's IRI to include it. nullopt: every
  // document and the descriptions.
  std::optional<std::vector<std::string>> default_documents;
  // The documents that are named graphs (FROM NAMED); nullopt: every
  // document.
  std::optional<std::vector<std::string>> named_documents;
  // Which provenance records count: the current state unless the query
  // travels in time (the provenance rpcs' rule, query/provenance_as_of.h).
  query::RecordFilter as_of;
  // SERVICE kg:paths: the longest path it may ask for, and the most edges
  // one search expands (the server's --max_path_hops and
  // --max_traversal_budget).
  int max_path_hops = 12;
  uint64_t max_path_edges = 1'000'000;
  // Polled every so many items by the scans that may be long and pass
  // few matches on (every entity, statement or record described, rows a
  // graph leaves out, an as-recorded load): an error stops the scan, and
  // status() is it. May be empty.
  std::function<absl::Status()> check;
};

class StoreDataset : public Dataset {
 public:
  StoreDataset(storage::Reader& reader, StoreDatasetOptions options);

  Id Lookup(const rdf::Term& term) override;
  rdf::Term TermOf(Id id) override;
  bool TripleOf(Id id, Id* s, Id* p, Id* o) override;
  // The statements, asserted or only quoted, in the current state; false
  // (unsupported) as recorded.
  bool MatchTripleTerms(Id s, Id p, Id o,
                        const std::function<bool(Id)>& fn) override;
  void Match(Id graph, Id s, Id p, Id o,
             const std::function<bool(Id, Id, Id)>& fn) override;
  // rdf:type in the current state's default graph: the entities' types
  // from one pass over the entities, and the other kinds' fixed types
  // when the kind has a member, instead of describing every subject.
  bool ObjectsOf(Id graph, Id p, const std::function<bool(Id)>& fn) override;
  std::vector<Id> NamedGraphs() override;
  // In the current state's default graph, for a predicate that is no
  // description's: the compact adjacency's count of the relation's
  // asserted statements when it is current and both ends are open, else
  // an ids-only scan of the index.
  absl::StatusOr<std::optional<uint64_t>> Count(
      Id graph, Id s, Id p, Id o,
      const std::function<absl::Status()>& check) override;
  // From the compact adjacency while it and its confidences are current,
  // in the current state's default graph, for a predicate that is no
  // description's and has at least 1/16 of the edges (a rarer one is
  // cheaper through its index): the edges of the relation that a live
  // record asserts.
  absl::StatusOr<std::optional<GroupCounts>> CountByEnd(
      Id graph, Id p, bool by_subject, size_t max_groups,
      const std::function<absl::Status()>& check) override;
  // A store node that is no relation: its term looks up to it again.
  bool IsCanonical(Id id) override {
    return !(id & (kMintedBit | kReifierBit)) && !predicates_.contains(id);
  }
  // rdfs:label in the current state's default graph with the entity table:
  // the entities whose label has the prefix, every relation's label and
  // every statement whose relation is rdfs:label itself.
  bool MatchObjectPrefix(Id graph, Id p, absl::string_view prefix,
                         const std::function<bool(Id, Id, Id)>& fn) override;
  // rdfs:label as for MatchObjectPrefix, when no statement has relation
  // rdfs:label itself: the entities in the table's label order merged
  // with the relations' labels (all plain strings, whose order is their
  // code points').
  bool MatchInObjectOrder(Id graph, Id p, absl::string_view prefix,
                          const std::function<bool(Id, Id, Id)>& fn) override;
  // Its count without reading a match: the relation's statements, the
  // entities by prefix (a range of the table), and every relation.
  std::optional<uint64_t> EstimateObjectPrefix(
      Id graph, Id p, absl::string_view prefix) override;
  // A relation's statements, which carry store nodes; not a predicate of
  // the description graph, whose records are minted ids.
  bool JoinsById(Id p) override;
  // A lookup reads the compact adjacency's edges when it is current and
  // the graph takes every statement (about one match's time, as
  // bench/sparql_join_bench measures); otherwise it seeks an index (about
  // twelve).
  double LookupCost(Id graph) override;
  // The index's estimate (exact under 10,000) plus, in the default graph,
  // one from the store's counts for the descriptions.
  uint64_t Estimate(Id graph, Id s, Id p, Id o) override;
  // From the compact adjacency's counts (a relation's statements over the
  // nodes that are subjects or objects) and, for the descriptions, their shape
  // (an entity has one type and one label); the default without the copy.
  double MatchesPerBinding(Id graph, Id s, Id p, Id o, bool subject_bound,
                           bool object_bound) override;
  // SERVICE kg:paths (<base>ns#paths): the path engine, one row per hop
  // (docs/query.md "Paths with evidence").
  bool ProvidesService(const std::string& iri) override;
  absl::StatusOr<std::vector<ServiceSolution>> Service(
      const std::string& iri, const std::vector<ServiceArgument>& arguments,
      const std::function<absl::Status()>& check) override;

  // The first store error a call met (reads go on, matching nothing, so
  // the caller must check it after evaluating).
  const absl::Status& status() const { return status_; }

 private:
  // Terms that are no store node (graph names, descriptions' labels and
  // numbers, record IRIs) get ids of their own: kMintedBit | index.
  static constexpr Id kMintedBit = Id{1} << 62;
  // A statement's reifier IRI <base>statement/<id>: kReifierBit | the
  // statement's node (the node alone is its triple term).
  static constexpr Id kReifierBit = Id{1} << 61;
  // An entity's label the store holds only as a name (no statement has
  // that literal), from the entity table: kLabelBit | its label index.
  static constexpr Id kLabelBit = Id{1} << 60;
  // Ids of terms that are in no statement.
  static constexpr Id kNotInStatements = kMintedBit | kLabelBit;

  // The description graph's predicates.
  enum Predicate {
    kType,
    kLabel,
    kAltLabel,
    kEntityType,
    kSymmetric,
    kPolarity,
    kIdentifier,
    kTitle,
    kPublisher,
    kIssued,
    kReifies,
    kStatementId,
    kDerivedFrom,
    kValue,
    kQuotedFrom,
    kEvidenceStart,
    kEvidenceEnd,
    kHedge,
    kConfidence,
    kValidFrom,
    kValidUntil,
    kGeneratedAt,
    kPredicateCount
  };
  struct Triple {
    Id s, p, o;
  };
  // The kinds of subject the description graph has.
  enum Kind {
    kEntities = 1,
    kRelations = 2,
    kDocuments = 4,
    kStatements = 8,  // their reifiers
    kRecords = 16,
    kClaims = 32,  // the reifiers of statements whose relation has polarity
  };
  // The statements visible as of a past instant (as-recorded queries):
  // they may have left the indexes since, so a full scan collects them.
  struct Visible {
    std::vector<storage::IdStatement> rows;
    absl::flat_hash_map<Id, std::vector<uint32_t>> by_s, by_p, by_o;
  };

  void Fail(const absl::Status& s) {
    if (status_.ok()) status_ = s;
  }
  // Counts an item of a long scan; every 1,024th asks options_.check.
  // True when the scan must stop (status() says why).
  bool Stopped() {
    if (!status_.ok()) return true;
    if ((++scanned_ & 1023) != 0 || !options_.check) return false;
    Fail(options_.check());
    return !status_.ok();
  }
  rdf::Term FromStore(const storage::TermValue& v, int depth);
  rdf::Term PredicateTerm(const std::string& relation) const;
  std::optional<storage::Term> ToStore(const rdf::Term& term) const;
  Id Mint(const rdf::Term& term);
  // Lookup, minting an id when the store does not hold the term.
  Id Intern(const rdf::Term& term);
  Id StoreLookup(const rdf::Term& term);
  void LoadDocuments();
  // The statement's records this query sees.
  using Records = std::shared_ptr<const std::vector<storage::ProvenanceRecord>>;
  Records RecordsOf(Id statement);
  bool InGraph(Id statement, const std::optional<std::string>& only,
               const absl::flat_hash_set<std::string>* among);
  bool MatchData(Id graph, Id s, Id p, Id o,
                 const std::function<bool(Id, Id, Id)>& fn);
  void ScanVisible(Id s, Id p, Id o,
                   const std::function<bool(const storage::IdStatement&)>& fn);
  void LoadVisible();
  // Calls fn(entity, its node id) for each live entity as it is now, in id
  // order, until fn returns false; false then, or when a page cannot be
  // read (Fail has the error).
  bool ForEachEntity(const std::function<bool(const storage::Entity&, Id)>& fn);

  // The description graph.
  Id PredicateId(Predicate p);
  std::string PredicateIri(Predicate p) const;
  // Which description predicate `p` is (the Predicate), -1 when none.
  int DescriptionPredicate(Id p);
  bool MatchDescriptions(Id s, Id p, Id o,
                         const std::function<bool(Id, Id, Id)>& fn);
  // Appends the description triples whose subject is `s`; an entity's of
  // predicate `only` alone when not 0 (others may add the rest: callers
  // filter).
  void Describe(Id s, std::vector<Triple>* out, Id only = 0);
  // An entity's description (`s` its IRI's id), from its record as the
  // query sees it; only the triples of predicate `only` when not 0, so
  // that a scan of one predicate looks up no other value.
  void DescribeEntity(Id s, const storage::Entity& e, Id only,
                      std::vector<Triple>* out);
  void DescribeStatement(Id statement, std::vector<Triple>* out);
  void DescribeRecord(Id record, const storage::ProvenanceRecord& r,
                      std::vector<Triple>* out);
  // Calls fn with the description triples of each subject of the kinds
  // in `kinds` (a mask of Kind), one subject at a time, until it returns
  // false.
  // `only`: the one predicate the caller wants (0: all); a hint, the
  // caller still filters.
  // Estimate's parts: the statements that fit (the compact adjacency's
  // edges, else the index's estimate), and the description graph's
  // triples, from the store's counts.
  uint64_t DataEstimate(Id s, Id p, Id o);
  uint64_t DescriptionsEstimate(Id s, Id p, Id o);
  bool DescribeAll(int kinds,
                   const std::function<bool(const std::vector<Triple>&)>& fn,
                   Id only = 0);
  // Every indexed statement's node (as of the query's instant).
  bool ForEachStatement(const std::function<bool(Id)>& fn);
  void LoadRelations();
  // The record a record IRI names, with its statement's node.
  std::optional<std::pair<Id, storage::ProvenanceRecord>> RecordNamed(
      const std::string& iri);
  std::string Ns(absl::string_view local) const;

  // The id of the entity table's label `i`.
  Id LabelId(uint32_t i) const {
    const storage::NodeId node = entities_->label_node(i);
    return node != 0 ? node : kLabelBit | i;
  }
  // Describes the entities from the entity table for `only` (rdf:type or
  // rdfs:label), each one to fn, until it returns false; nullopt when the
  // table cannot (no table, another predicate, as recorded).
  std::optional<bool> DescribeEntitiesFromTable(
      Id only, const std::function<bool(const std::vector<Triple>&)>& fn);

  storage::Reader& reader_;
  StoreDatasetOptions options_;
  // The reader's entity table, when it has one and the query sees the
  // current entities (not as recorded), else null.
  const storage::EntityTable* entities_ = nullptr;
  bool descriptions_ = false;
  bool documents_loaded_ = false;
  std::vector<std::string> all_documents_;
  // Every document, without its text, by id.
  absl::flat_hash_map<std::string, storage::Document> documents_;
  bool relations_loaded_ = false;
  absl::flat_hash_map<std::string, storage::Relation> relations_;
  absl::flat_hash_set<std::string> default_documents_;
  bool every_document_by_default_ = false;
  // Named graphs: by id, the document.
  absl::flat_hash_map<Id, std::string> graph_documents_;
  std::vector<Id> graph_order_;
  std::vector<rdf::Term> minted_;
  absl::flat_hash_map<std::string, Id> ids_;  // by TermKey, every lookup
  // <base>type/X's id by X: a scan of every entity meets few types.
  absl::flat_hash_map<std::string, Id> type_ids_;
  Id TypeId(const std::string& type);
  absl::flat_hash_set<Id> predicates_;           // ids seen as predicates
  absl::flat_hash_map<Id, Id> predicate_alias_;  // IRI's node -> relation's
  absl::flat_hash_map<Id, rdf::Term> terms_;     // decoded, cached
  absl::flat_hash_map<Id, Records> records_;     // bounded cache
  std::optional<Visible> visible_;
  std::array<Id, kPredicateCount> predicate_ids_{};
  std::optional<storage::StoreStats> stats_;
  absl::flat_hash_map<std::string, int> description_iris_;  // IRI -> Predicate
  absl::flat_hash_map<Id, int> description_predicates_;  // DescriptionPredicate

  uint64_t scanned_ = 0;  // Stopped()'s count
  absl::Status status_;
};

}  // namespace kg::sparql

#endif  // KG_QUERY_SPARQL_STORE_DATASET_H_
