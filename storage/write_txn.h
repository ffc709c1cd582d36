// WriteTxn: applies a WriteBatch or a retraction to a read-through overlay
// of the database, validating every item, and then emits the resulting puts
// and deletes, sorted per column family, to a sink (a RocksDB WriteBatch for
// online writes, SST files for bulk loads). Nothing reaches the database
// unless the whole batch is valid.
//
// Transactions that commit together in one group (docs/storage.md, "Group
// commit") are applied one after another: each reads through the changes of
// the group's earlier, successful transactions (`base`), so the group's
// result is the same as committing them one by one; a transaction that
// fails leaves nothing in the base.
//
// Not thread-safe; the caller is the store's only committer for the
// transaction's whole life, so the database does not change under it.
#ifndef KG_STORAGE_WRITE_TXN_H_
#define KG_STORAGE_WRITE_TXN_H_

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rocksdb/db.h"
#include "storage/adjacency.h"
#include "storage/huge_page_allocator.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "storage/validate.h"

namespace kg::storage {

// Pending changes of one column family: key -> value, or nullopt to delete.
using CfChanges = absl::btree_map<std::string, std::optional<std::string>>;

// Where a column family's keys go, in order (an SST file of a bulk load).
class KeySink {
 public:
  virtual ~KeySink() = default;
  virtual absl::Status Put(absl::string_view key, absl::string_view value) = 0;
  virtual absl::Status Delete(absl::string_view key) = 0;
};

// One transaction's changes to one column family: a hash map for point
// reads, and an index of its keys in order for prefix scans and for the
// sorted output, brought up to date only when one of those needs it. So a
// family the transaction only writes (the indexes and provenance of a
// load) is sorted once, and a point read never walks an ordered map of
// millions of keys. Keys and values are copied into blocks of memory that
// grow with the transaction, not allocated one by one: a load of millions
// of keys neither mallocs nor frees each. Until the first read, changes are
// only logged: a family no read ever needs (the indexes in a load) is
// sorted once at the end and never hashed.
class PendingChanges {
 public:
  // A change: the key, and the new value or none for a delete. Views into
  // this object's memory, valid while it lives.
  struct Change {
    absl::string_view key;
    std::optional<absl::string_view> value;
  };
  // A load's millions of changes, in huge pages (huge_page_allocator.h).
  using Changes = std::vector<Change, HugePageAllocator<Change>>;

  void Set(absl::string_view key, std::optional<absl::string_view> value);
  // Room for `n` more changes.
  void Reserve(size_t n);
  // The change to `key`, if the transaction made one.
  std::optional<Change> Find(absl::string_view key);
  // The changes whose keys start with `prefix`, in key order.
  std::vector<Change> WithPrefix(absl::string_view prefix);
  // Every change, in key order.
  Changes Sorted();

 private:
  // Copies `bytes` into blocks_.
  absl::string_view Keep(absl::string_view bytes);
  // Moves log_ into values_ and unordered_ (from the first read on).
  void Index();
  // Moves unordered_ into ordered_.
  void Order();

  struct BlockDeleter {
    size_t bytes;
    void operator()(char* p) const {
      HugePageAllocator<char>().deallocate(p, bytes);
    }
  };
  std::vector<std::unique_ptr<char[], BlockDeleter>> blocks_;
  char* free_ = nullptr;  // in the last block
  size_t free_bytes_ = 0;
  size_t next_block_bytes_ = 4096;
  bool indexed_ = false;
  std::vector<Change, HugePageAllocator<Change>> log_;  // until indexed_
  absl::flat_hash_map<
      absl::string_view, std::optional<absl::string_view>,
      absl::Hash<absl::string_view>, std::equal_to<absl::string_view>,
      HugePageAllocator<
          std::pair<const absl::string_view, std::optional<absl::string_view>>>>
      values_;
  absl::btree_set<absl::string_view> ordered_;
  // Keys not yet in ordered_.
  std::vector<absl::string_view, HugePageAllocator<absl::string_view>>
      unordered_;
};

class WriteTxn {
 public:
  // `base`: changes of earlier transactions of the same group, not yet in
  // the database (may be null); must outlive the transaction. `counters`
  // are the counters after them.
  WriteTxn(rocksdb::DB* db,
           const std::vector<rocksdb::ColumnFamilyHandle*>* cfs,
           const Counters& counters, int64_t now_micros,
           const std::vector<CfChanges>* base = nullptr,
           absl::string_view base_iri = "");

  absl::Status Apply(const WriteBatch& batch, WriteResult* result);
  // A write given in parts, each applied as it comes (a bulk import's
  // batches, so that applying one overlaps receiving the next): the same
  // as Apply of the parts joined, with fields named "<name>.statements[3]"
  // and FinishParts called once after the last part. An item repeating an
  // earlier part's with other content is refused as within one batch;
  // parts without a blank scope share one, drawn for the transaction.
  absl::Status ApplyPart(const WriteBatch& part, absl::string_view name,
                         WriteResult* result);
  absl::Status FinishParts() { return UpdateContested(); }
  absl::Status Retract(absl::string_view statement_id,
                       absl::string_view document_id, RetractResult* result);
  // Rewrites the contested index (keys.h) from the indexes and marks it
  // complete: the first writable open of a store made before format 5.
  absl::Status RebuildContested();

  // The changes to write, counters included, per column family in key
  // order; valid after a successful Apply or Retract, while the
  // transaction lives.
  std::vector<PendingChanges::Changes> changes();
  // The same one column family at a time, for writing them in parallel:
  // call SealCounters() once first, then ChangesOf on different families
  // from different threads.
  void SealCounters();
  // Keeps the replicated log's position with this transaction's changes
  // (ReplicaStamp).
  // The write's log position and the time it was stamped with (µs).
  void SetLogPosition(uint64_t position, std::optional<int64_t> at);
  PendingChanges::Changes ChangesOf(Cf cf) { return overlay_[cf].Sorted(); }
  const Counters& counters() const { return counters_; }
  // Statements that entered or left the indexes, in order.
  const std::vector<Adjacency::Change>& index_changes() const {
    return index_changes_;
  }

 private:
  struct ResolvedTerm {
    uint64_t tid = 0;
    std::string key;  // term key
  };

  using KeyValues = absl::btree_map<std::string, std::string>;

  absl::StatusOr<std::optional<std::string>> Get(Cf cf, const std::string& key);
  // The term key of `tid` as this transaction sees it (dictionary.h).
  absl::StatusOr<std::optional<std::string>> ReverseKey(uint64_t tid);
  // The same before this transaction's own changes: the group's earlier
  // transactions, then the database.
  absl::StatusOr<std::optional<std::string>> GetStored(Cf cf,
                                                       const std::string& key);
  // Keys and values in [prefix, successor) after the overlay is applied.
  // With overlay_only, the database is known to hold nothing there.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Scan(
      Cf cf, const std::string& prefix, bool overlay_only = false);
  // The same before this transaction's own changes: the database (unless
  // skip_database) with the group's earlier transactions applied.
  absl::StatusOr<KeyValues> ScanStored(Cf cf, const std::string& prefix,
                                       bool skip_database = false);
  void Put(Cf cf, std::string key, std::string value);
  void Delete(Cf cf, std::string key);

  // The tid of a term key, 0 when the dictionary does not hold it. For a
  // statement's key, `content` (its parts' tids), when known, confirms a
  // statement found under a short key by its row alone.
  absl::StatusOr<uint64_t> LookupTid(const std::string& term_key,
                                     const StmtValue* content = nullptr);
  // Returns the term's tid, allocating one for a new term.
  absl::StatusOr<uint64_t> InternTerm(const std::string& term_key);
  // Allocates a tid for a term LookupTid did not find, and puts its
  // dictionary entries.
  absl::StatusOr<uint64_t> AddTerm(const std::string& term_key);

  // Up to `n` keys and values in [prefix, successor) after the overlay is
  // applied, in no particular order: for "is there any" questions about
  // prefixes that may hold millions of keys.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ScanUpTo(
      Cf cf, const std::string& prefix, size_t n);
  // For refusals of a term that is in use: nullopt when no statement has
  // index prefix `prefix` in `cf`; otherwise " (<id> among them)" naming
  // one, or "" when it cannot be named.
  absl::StatusOr<std::optional<std::string>> ExampleUse(
      Cf cf, const std::string& prefix);

  // The entity's history and tid; nullopt when the id was never used.
  absl::StatusOr<std::optional<EntityHistory>> LoadEntity(const std::string& id,
                                                          uint64_t* tid);
  // Refuses a name of `e` that is not one of `previous`'s and already names
  // another entity, unless `shared`.
  absl::Status CheckNamesFree(const std::string& field, const Entity& e,
                              const Entity* previous, bool shared);
  void IndexNames(const Entity& e, bool index);
  // Appends `version` to the history (the names index follows the current
  // version) and stores it.
  void PutEntityVersion(uint64_t tid, EntityHistory* history,
                        EntityVersion version);
  absl::Status PutEntity(const std::string& field, const Entity& e,
                         WriteBatch::EntityMode mode, bool shared);
  absl::Status EditEntity(const std::string& field, const EntityEdit& edit,
                          bool shared);
  absl::Status PutRelation(const std::string& field, const Relation& r,
                           WriteBatch::EntityMode mode);
  absl::Status MergeEntity(const std::string& field, const EntityMerge& merge,
                           WriteResult* result);
  absl::Status DeleteEntity(const std::string& field, const std::string& id);
  // The statement (s, predicate, o), made if new; `rel_tid` is the
  // predicate's tid.
  absl::StatusOr<ResolvedTerm> EnsureStatementOf(const std::string& field,
                                                 const ResolvedTerm& s,
                                                 uint64_t rel_tid,
                                                 const std::string& predicate,
                                                 const ResolvedTerm& o);
  absl::Status PutDocument(const std::string& field, const Document& d);
  absl::StatusOr<ResolvedTerm> ResolveTerm(const std::string& field,
                                           const Term& term, bool is_subject,
                                           int depth);
  absl::StatusOr<ResolvedTerm> EnsureStatement(const std::string& field,
                                               const Triple& triple, int depth);
  absl::Status AddProvenance(const std::string& field, uint64_t stmt_tid,
                             const ProvenanceInput& p, WriteResult* result);
  absl::StatusOr<StmtValue> LoadStmt(uint64_t tid);
  // Document `doc`'s shared record (keys.h); DATA_LOSS when it has none.
  absl::StatusOr<SharedRecord> LoadShared(uint64_t doc);
  // Gives statement `tid` the shared record its row names (if any, and if
  // from `doc` when `doc` is not 0) as a record of its own, under the same
  // key and live, so that it can change as any record does; the row stops
  // naming it. The counts stay.
  absl::Status OwnSharedRecord(uint64_t tid, uint64_t doc = 0);
  // Adjusts a statement's live and quoted counts and keeps the indexes and
  // the quoted counts of the statements it quotes in step.
  absl::Status ChangeCounts(uint64_t tid, int live_delta, int quoted_delta);
  // The polarity of the relation with term id `tid` (none for an IRI
  // predicate), cached for the transaction.
  absl::StatusOr<Polarity> PolarityOf(uint64_t tid);
  // Brings the contested index up to date for the statements whose claims
  // this transaction changed (claim_entries_): called once at the end of
  // Apply and Retract, so a statement with many new claims is counted once.
  absl::Status UpdateContested();
  absl::StatusOr<std::optional<ContestedFigures>> CountClaims(uint64_t stmt);

  rocksdb::DB* db_;
  const std::vector<rocksdb::ColumnFamilyHandle*>* cfs_;
  const std::vector<CfChanges>* const base_;
  const std::string base_iri_;
  // Whether the store was created with short statement keys only
  // (kShortStatementKeysKey); read on the first lookup.
  std::optional<bool> short_statement_keys_;
  std::string scope_;  // the batch's blank node scope
  // Whether the write is given in parts (ApplyPart with a name), and what
  // a missing relation or document's error adds then.
  bool in_parts_ = false;
  const char* LaterPartsHint() const {
    return in_parts_ ? " (a write given in parts, as an import past its bulk "
                       "size is, applies each part as it comes: relations "
                       "and documents must come in or before the part that "
                       "uses them)"
                     : "";
  }
  // Of a write given in parts (ApplyPart): the scope of parts without one,
  // and each entity, relation and document given so far, where it was (a
  // document's text as its SHA-256).
  std::string parts_scope_;
  absl::flat_hash_map<std::string, std::pair<std::string, Entity>>
      parts_entities_;
  absl::flat_hash_map<std::string, std::pair<std::string, Relation>>
      parts_relations_;
  absl::flat_hash_map<std::string, std::pair<std::string, Document>>
      parts_documents_;
  Counters counters_;
  // The database had never assigned a term id when the transaction began:
  // every family but the default one is empty there.
  const bool stored_only_defaults_;
  const int64_t now_micros_;
  // A document's text and a code-point index over it, decoded once per
  // transaction (texts never change).
  struct CachedDocument {
    uint64_t tid = 0;
    std::string text;
    std::unique_ptr<CodePointIndex> index;
  };
  absl::StatusOr<const CachedDocument*> LoadDocument(const std::string& field,
                                                     const std::string& id);
  // A document id as stored: a blank graph name scoped, <base>document/<id>
  // as <id>.
  std::string CanonicalDocumentId(absl::string_view id) const;

  std::vector<PendingChanges> overlay_;
  // What this transaction read from the database, misses included.
  std::vector<absl::flat_hash_map<std::string, std::optional<std::string>>>
      read_cache_;
  absl::flat_hash_map<std::string, std::unique_ptr<CachedDocument>> documents_;
  // Statements created by this transaction: none of their provenance is in
  // the database yet. True once this transaction gave one a record: every
  // record written goes through NoteRecordOf, since AddProvenance looks
  // for a new statement's earlier records only then.
  absl::flat_hash_map<uint64_t, bool> new_statements_;
  void NoteRecordOf(uint64_t stmt) {
    auto made = new_statements_.find(stmt);
    if (made != new_statements_.end()) made->second = true;
  }
  std::vector<Adjacency::Change> index_changes_;
  absl::flat_hash_map<uint64_t, Polarity> polarity_;
  // The osp entries (object, subject, relation) of claims (statements
  // whose relation has a polarity) that this transaction wrote: whether
  // each is asserted, nullopt when deleted. They mirror the osp family's
  // overlay, so that counting a statement's claims does not make that
  // overlay sort itself (a load writes millions of osp keys).
  using ClaimKey = std::tuple<uint64_t, uint64_t, uint64_t>;  // o s p
  absl::btree_map<ClaimKey, std::optional<bool>> claim_entries_;
};

// The canonical term key of a term as the store would intern it, without
// looking anything up (quoted statements are hashed recursively).
// The term key of `term` as the store would intern it, without reading the
// store: IRIs under `base_iri` as the entity or statement they name, blank
// labels scoped by `blank_scope` (empty: the label is a stored id).
std::string CanonicalTermKey(const Term& term, absl::string_view base_iri,
                             absl::string_view blank_scope);
// <base>entity/<id> as Term::Entity(id), <base>statement/<id> as
// Term::StatementId(id), either made in `*made`; any other term as it is,
// not copied.
const Term& CanonicalIri(const Term& term ABSL_ATTRIBUTE_LIFETIME_BOUND,
                         absl::string_view base_iri,
                         Term* made ABSL_ATTRIBUTE_LIFETIME_BOUND);
// <base>relation/<id> as <id>; any other predicate as it is.
std::string CanonicalPredicate(absl::string_view relation,
                               absl::string_view base_iri);
// <base>document/<id> as <id>; any other document id as it is.
std::string CanonicalDocumentIri(absl::string_view id,
                                 absl::string_view base_iri);
// The 16-byte id of the blank node `label` in `scope`.
std::string BlankNodeId(absl::string_view scope, absl::string_view label);
// An entity's aliases as a set: exact repeats dropped, the writer's order
// kept.
std::vector<std::string> UniqueAliases(const std::vector<std::string>& in);

}  // namespace kg::storage

#endif  // KG_STORAGE_WRITE_TXN_H_
