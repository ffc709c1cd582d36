// RocksReader: the RocksDB implementation of Reader, one snapshot of the
// database and of the in-memory adjacency. Internal to storage/.
#ifndef KG_STORAGE_ROCKSDB_READER_H_
#define KG_STORAGE_ROCKSDB_READER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "rocksdb/db.h"
#include "rocksdb/snapshot.h"
#include "storage/adjacency.h"
#include "storage/compact_adjacency.h"
#include "storage/database.h"
#include "storage/dictionary.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace kg::storage {

// Every read returns UNAVAILABLE when RocksDB reports an I/O error, and
// DATA_LOSS naming the key when a stored key or value does not decode;
// neither is ever turned into the other or into a short answer.
class RocksReader : public Reader {
 public:
  // Call with adjacency->commit_mu() held shared, so the snapshot and the
  // adjacency agree. `compact`: the compact adjacency when it matches this
  // snapshot, else null; `confidences_current`: its confidences are this
  // snapshot's too; `entities`: the entity table when it matches this
  // snapshot, else null. `database` and `adjacency` outlive the reader.
  RocksReader(const Database* database, const Adjacency* adjacency,
              std::shared_ptr<const CompactAdjacency> compact,
              bool confidences_current = false,
              std::shared_ptr<const EntityTable> entities = nullptr);

  absl::StatusOr<Entity> GetEntity(absl::string_view id) override;
  absl::StatusOr<EntityHistory> GetEntityHistory(absl::string_view id) override;
  absl::StatusOr<std::vector<Entity>> FindByName(
      absl::string_view name) override;
  absl::StatusOr<EntityPage> SearchByPrefix(
      absl::string_view prefix, size_t limit,
      absl::string_view page_token) override;
  absl::StatusOr<EntityPage> ListEntities(
      size_t limit, absl::string_view page_token) override;
  absl::StatusOr<bool> HasEntityType(absl::string_view type) override;
  absl::StatusOr<MatchPage> ListStatements(size_t limit,
                                           absl::string_view page_token,
                                           bool include_quoted) override;
  absl::StatusOr<Relation> GetRelation(absl::string_view id) override;
  absl::StatusOr<std::vector<Relation>> ListRelations() override;
  absl::StatusOr<Document> GetDocument(absl::string_view id) override;
  absl::StatusOr<DocumentPage> ListDocuments(
      bool include_text, size_t limit, absl::string_view page_token) override;
  absl::StatusOr<Statement> GetStatement(absl::string_view id) override;
  absl::StatusOr<std::vector<ProvenanceRecord>> GetProvenance(
      absl::string_view statement_id, bool include_retracted) override;
  absl::StatusOr<MatchPage> Match(const Pattern& pattern,
                                  const MatchOptions& options) override;
  absl::Status ScanIds(
      const IdPattern& pattern, bool include_quoted,
      const std::function<bool(const IdStatement&)>& fn) override;
  absl::StatusOr<uint64_t> Count(const Pattern& pattern) override;
  absl::StatusOr<uint64_t> EstimateCount(const Pattern& pattern) override;
  absl::StatusOr<StoreStats> Stats() override;
  absl::StatusOr<StoreStats> Counts() override;
  const std::string& base_iri() const override { return database_->base_iri(); }
  const PageTokenCodec& page_tokens() const override {
    return database_->page_tokens();
  }
  absl::StatusOr<NodeId> NodeOf(const Term& term) override;
  absl::StatusOr<NodeId> RelationNodeOf(absl::string_view id) override;
  void Neighbors(NodeId node, Direction direction,
                 std::vector<Edge>* out) const override;
  const CompactAdjacency* compact_adjacency() const override {
    return compact_.get();
  }
  bool compact_confidences_current() const override {
    return confidences_current_;
  }
  const EntityTable* entity_table() const override { return entities_.get(); }
  absl::StatusOr<TermValue> TermAt(NodeId node) override {
    return TermOf(node);
  }
  absl::StatusOr<Statement> StatementAt(NodeId statement) override {
    return StatementOf(statement);
  }
  absl::StatusOr<std::string> RelationAt(NodeId relation) override {
    return RelationIdOf(relation);
  }
  absl::StatusOr<std::vector<ProvenanceRecord>> ProvenanceAt(
      NodeId statement, bool include_retracted) override;
  absl::StatusOr<ProvenancePage> ProvenanceByDocument(
      absl::string_view document_id, size_t limit,
      absl::string_view page_token) override;
  absl::Status ForEachStatement(
      const std::function<bool(NodeId, const Statement&)>& fn) override;
  absl::StatusOr<std::vector<ContestedEntry>> ListContestedIndex(
      uint32_t after_distinct, absl::string_view after_id,
      size_t limit) override;

 private:
  absl::StatusOr<std::optional<std::string>> Get(Cf cf, absl::string_view key);
  // Calls fn(key, value) for each key with `prefix` after `start` (or from
  // the prefix's start when `start` is empty). fn returns true to go on,
  // false to stop, or an error, which stops the scan and is returned.
  template <typename Fn>
  absl::Status Scan(Cf cf, absl::string_view prefix, absl::string_view start,
                    Fn fn);
  // The tid of a term key; 0 when the dictionary does not hold it.
  absl::StatusOr<uint64_t> TidOf(const std::string& term_key);
  absl::StatusOr<TermValue> TermOf(uint64_t tid);
  // The term key of `tid`, from this reader's cache, the reverse dictionary,
  // or a statement's row (dictionary.h); DATA_LOSS when it has none.
  absl::StatusOr<std::string> TermKeyOf(uint64_t tid);
  // The term key of statement `tid`, whose row is `row`, from its parts'.
  absl::StatusOr<std::string> StatementKeyOf(uint64_t tid,
                                             const StmtValue& row);
  absl::StatusOr<std::string> RelationIdOf(uint64_t tid);
  // The statement row of `tid`; DATA_LOSS when there is none.
  absl::StatusOr<StmtValue> StmtRow(uint64_t tid);
  // `row`, when given, saves reading the statement's row again.
  absl::StatusOr<Statement> StatementOf(uint64_t tid,
                                        const StmtValue* row = nullptr);
  absl::StatusOr<ProvenanceRecord> DecodeRecord(const ProvKeyParts& parts,
                                                absl::string_view value);
  absl::StatusOr<ProvenanceRecord> MakeRecord(const ProvKeyParts& parts,
                                              ProvValue v);
  // Document `doc`'s shared record (keys.h), nullptr when it has none.
  absl::StatusOr<const SharedRecord*> SharedOf(uint64_t doc);
  // The shared record a statement's row names, as a record of it: its key's
  // parts and its value. DATA_LOSS when the document has none.
  absl::StatusOr<std::pair<ProvKeyParts, const ProvValue*>> SharedRecordOf(
      uint64_t stmt_tid, const StmtValue& row);
  // Whether the statement passes the provenance filters of `options`.
  absl::StatusOr<bool> PassesFilters(uint64_t stmt_tid, const StmtValue& row,
                                     const MatchOptions& options,
                                     uint64_t doc_tid);

  const Database* const database_;
  const Adjacency* const adjacency_;
  const std::shared_ptr<const CompactAdjacency> compact_;
  const bool confidences_current_;
  const std::shared_ptr<const EntityTable> entities_;
  rocksdb::ManagedSnapshot snapshot_;
  rocksdb::ReadOptions ro_;
  uint64_t seq_ = 0;
  absl::flat_hash_map<uint64_t, TermValue> term_cache_;
  TermKeyCache key_cache_;  // dictionary.h
  absl::flat_hash_map<uint64_t, std::string> relation_cache_;
  absl::flat_hash_map<uint64_t, std::string> doc_cache_;
  absl::flat_hash_map<uint64_t, std::optional<SharedRecord>> shared_cache_;
  // Entities read through this reader (one snapshot: they cannot change).
  absl::flat_hash_map<std::string, Entity> entity_cache_;
};

}  // namespace kg::storage

#endif  // KG_STORAGE_ROCKSDB_READER_H_
