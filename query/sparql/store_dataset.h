// kg's store as a SPARQL dataset (docs/query.md "The RDF view of kg"):
// named graphs are documents, the graph of document D holds the statements
// a live record of D yields (asserted only: a statement that is only
// quoted appears only as a triple term), and terms are the store's node
// ids, so the evaluator joins on them without decoding.
//
//   StoreDatasetOptions o;                       // default graph: every
//   document StoreDataset data(*reader, o); absl::StatusOr<QueryResult> r =
//   Evaluate(query, data, {});
//
// Built so far: the documents' graphs, FROM / FROM NAMED by document. The
// description graph of docs/query.md (entity, relation and document
// records, rdf:reifies per statement, provenance records as triples) is
// the next step.
#ifndef KG_QUERY_SPARQL_STORE_DATASET_H_
#define KG_QUERY_SPARQL_STORE_DATASET_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "query/sparql/dataset.h"
#include "storage/store.h"

namespace kg::sparql {

struct StoreDatasetOptions {
  // The documents whose statements make the default graph (FROM); nullopt:
  // every document.
  std::optional<std::vector<std::string>> default_documents;
  // The documents that are named graphs (FROM NAMED); nullopt: every
  // document.
  std::optional<std::vector<std::string>> named_documents;
};

class StoreDataset : public Dataset {
 public:
  StoreDataset(storage::Reader& reader, StoreDatasetOptions options);

  Id Lookup(const rdf::Term& term) override;
  rdf::Term TermOf(Id id) override;
  bool TripleOf(Id id, Id* s, Id* p, Id* o) override;
  void Match(Id graph, Id s, Id p, Id o,
             const std::function<bool(Id, Id, Id)>& fn) override;
  std::vector<Id> NamedGraphs() override;

  // The first store error a call met (reads go on, matching nothing, so
  // the caller must check it after evaluating).
  const absl::Status& status() const { return status_; }

 private:
  // Graph names that are not store nodes get ids of their own.
  static constexpr Id kGraphBit = Id{1} << 62;

  void Fail(const absl::Status& s) {
    if (status_.ok()) status_ = s;
  }
  rdf::Term FromStore(const storage::TermValue& v, int depth);
  rdf::Term PredicateTerm(const std::string& relation) const;
  std::optional<storage::Term> ToStore(const rdf::Term& term) const;
  void LoadDocuments();
  // The documents of the statement's live records.
  const std::vector<std::string>& DocumentsOf(Id statement);

  storage::Reader& reader_;
  StoreDatasetOptions options_;
  bool documents_loaded_ = false;
  std::vector<std::string> all_documents_;
  absl::flat_hash_set<std::string> default_documents_;
  // Named graphs: by id, the document; ids of names that are no node of
  // the store are kGraphBit | index into minted_.
  absl::flat_hash_map<Id, std::string> graph_documents_;
  std::vector<Id> graph_order_;
  std::vector<rdf::Term> minted_;
  absl::flat_hash_map<std::string, Id> graph_ids_;  // by TermKey
  absl::flat_hash_set<Id> predicates_;              // ids seen as predicates
  absl::flat_hash_map<Id, Id> predicate_alias_;     // IRI's node -> relation's
  absl::flat_hash_map<Id, rdf::Term> terms_;        // decoded, cached
  absl::flat_hash_map<Id, std::vector<std::string>> documents_of_;
  absl::Status status_;
};

}  // namespace kg::sparql

#endif  // KG_QUERY_SPARQL_STORE_DATASET_H_
