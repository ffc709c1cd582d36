// The claims triple store: entities, relations, documents, statements and
// their provenance, persisted durably. This header is the whole public
// surface of storage/; the RocksDB implementation stays behind Store::Open.
//
//   KG_ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
//                       Store::Open(StoreOptions{}, "/var/lib/kg"));
//   WriteBatch batch;
//   batch.entities.push_back({"russia", "Russia", "Country", {"Moscow"}});
//   KG_ASSIGN_OR_RETURN(WriteResult r, store->Write(batch));
//   std::unique_ptr<Reader> reader = store->NewReader();  // one snapshot
//   KG_ASSIGN_OR_RETURN(Entity e, reader->GetEntity("russia"));
//
// Errors: INVALID_ARGUMENT names the bad field ("statements[3].provenance[0]
// .confidence: ..."); NOT_FOUND a named item that is absent; ALREADY_EXISTS a
// conflicting record; FAILED_PRECONDITION a directory that is not a kg store
// or has another format version; UNAVAILABLE an I/O failure or a store
// already opened by another process; DATA_LOSS corruption. A failed write
// changes nothing.
#ifndef KG_STORAGE_STORE_H_
#define KG_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/model.h"

namespace kg::storage {

// Graph access for the path engine. Nodes (entities, literals, statements)
// and relations are named by their dictionary ids: fixed-width, stable for
// the life of the store, and cheap to hash.
using NodeId = uint64_t;

enum class Direction : uint8_t { kOutgoing, kIncoming };

// One edge at a node: the statement (node, relation, neighbor) walked
// outgoing, or (neighbor, relation, node) walked incoming.
struct Edge {
  NodeId relation = 0;
  NodeId neighbor = 0;
  NodeId statement = 0;
  friend bool operator==(const Edge&, const Edge&) = default;
};

// One indexed statement as node ids, nothing decoded: what a query engine
// joins on (query/sparql). The relation is the predicate's node id: a
// relation's, or an IRI's for a predicate without a relation record.
struct IdStatement {
  NodeId subject = 0;
  NodeId relation = 0;
  NodeId object = 0;
  NodeId statement = 0;
  friend bool operator==(const IdStatement&, const IdStatement&) = default;
};

// A pattern over node ids; 0 leaves a position open.
struct IdPattern {
  NodeId subject = 0;
  NodeId relation = 0;
  NodeId object = 0;
};

// The index a pattern's bound positions pick, and so the order its rows come
// in (docs/storage.md, "Index orders"): s, s+p, s+p+o and nothing bound scan
// SPO; p and p+o scan POS; o and o+s scan OSP. Within it, rows are ordered by
// node id, position by position.
enum class IdOrder : uint8_t { kSpo, kPos, kOsp };
IdOrder OrderOf(const IdPattern& pattern);

class FaultInjection;    // storage/fault_injection.h
class CompactAdjacency;  // storage/compact_adjacency.h
class EntityTable;       // storage/entity_table.h
class PageTokenCodec;    // storage/page_token.h

struct StoreOptions {
  // Create an empty store when the directory holds none.
  bool create_if_missing = true;
  // The base IRI of kg's names (<base>entity/<id>, ...; docs/rdf.md) for a
  // store created now: an absolute IRI ending in '/' or '#'. A store keeps
  // the one it was created with; opening it ignores this.
  std::string base_iri = "https://kg.invalid/";
  // fsync the write-ahead log before a write is acknowledged, so that an
  // acknowledged write survives kill -9 and power loss (docs/storage.md).
  bool sync_writes = true;
  // RocksDB block cache, bytes.
  size_t block_cache_bytes = size_t{256} << 20;
  // At most this many table files open at once (RocksDB's max_open_files;
  // -1 for no bound). kg-server bounds it by its descriptor limit
  // (docs/operations.md, "Descriptors").
  int max_open_files = -1;
  // RocksDB memtable size, bytes per column family: a column family's recent
  // writes go to a new SST file (a flush) when its memtable is this big.
  // RocksDB's default; tests make it small to flush and switch write-ahead
  // log files often.
  size_t write_buffer_bytes = size_t{64} << 20;
  // The clock that stamps recorded and retraction times. Tests inject one.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  // Tests only: file writes under the store fail while this says so
  // (storage/fault_injection.h). Null in production.
  std::shared_ptr<FaultInjection> fault_injection;
  // Keep a compact, read-only copy of the adjacency for path search
  // (storage/compact_adjacency.h): built in the background from the
  // open, and rebuilt there once no write has changed the indexes for
  // `compact_adjacency_delay` (InfiniteDuration: no background thread;
  // built by the open before it returns, and by
  // Store::RefreshCompactAdjacency). Costs ~30 bytes per statement
  // (docs/storage.md).
  bool compact_adjacency = true;
  // Keep the in-memory adjacency that path search and neighbour lookups
  // read (about 100 bytes a statement). False only for a process that
  // loads and serves no reads (kg-server --load): they would find no edge.
  bool adjacency = true;
  absl::Duration compact_adjacency_delay = absl::Seconds(1);
  // With the compact adjacency, and at the same times, an in-memory table
  // of every live entity's node, type and label (storage/entity_table.h)
  // for queries about types and labels, when the store has at most this
  // many entities (~200 bytes each; 0: none).
  size_t entity_table_max_entities = 2'000'000;
  // A bulk loader (Store::BeginBulkLoad) holds other writes off; one that
  // has given no part for this long while a write waits is abandoned.
  absl::Duration bulk_load_idle_timeout = absl::Seconds(60);
};

// Limits on values, enforced on every write (docs/storage.md).
struct Limits {
  static constexpr size_t kMaxIdBytes = 128;
  static constexpr size_t kMaxIriBytes = 4096;
  static constexpr size_t kMaxLanguageBytes = 64;
  static constexpr size_t kMaxLabelBytes = 1024;
  static constexpr size_t kMaxAliases = 64;
  static constexpr size_t kMaxLiteralBytes = 64 * 1024;
  static constexpr size_t kMaxEvidenceBytes = 16 * 1024;
  static constexpr size_t kMaxDocumentBytes = 16 * 1024 * 1024;
  static constexpr int kMaxQuoteDepth = 8;
};

// One asserted statement and the provenance records that yield it.
struct StatementInput {
  Triple triple;
  // At least one. Identical records already stored are skipped.
  std::vector<ProvenanceInput> provenance;
};

// A change to some of an entity's names (docs/storage.md, "Editing the
// vocabulary"); what is not given stays.
struct EntityEdit {
  std::string id;
  std::optional<std::string> label;
  std::optional<std::string> type;
  std::vector<std::string> add_aliases;
  std::vector<std::string> remove_aliases;  // NOT_FOUND when not an alias
};

// `from` becomes an alias of `into`: its statements and their live
// provenance move to `into` (their old records are retracted, the moved ones
// recorded now), its names become aliases of `into`, and its id resolves to
// `into`. Time travel to before the merge sees the entities apart.
struct EntityMerge {
  std::string from;
  std::string into;
};

// A failure of the storage engine (RocksDB: I/O, corruption, a refusal of
// its own) carries this payload, whatever its code: it says nothing of the
// data, and another store may not fail alike. Statuses without it come
// from the data or the store's own checks (docs/replicas.md).
inline constexpr char kEnginePayload[] = "type.kg.invalid/storage.engine";
inline bool FromTheEngine(const absl::Status& status) {
  return status.GetPayload(kEnginePayload).has_value();
}

// A write as a replica applies it (docs/replicas.md): stamped with the
// writer's time instead of the store's clock (records, retractions, entity
// versions), so every replica applies it the same, and kept with its
// position in the replicated log, atomically, so a replica knows what it
// applied after a restart.
struct ReplicaStamp {
  // Used exactly, whatever the store's last time: the writer keeps its
  // stamps increasing, and every replica must record the same times.
  std::optional<absl::Time> at;
  // 0: none. Otherwise above the store's log_position(); FAILED_PRECONDITION
  // when not (applied already), changing nothing.
  uint64_t log_position = 0;
};

// Everything one logical write touches; applied atomically or not at all.
// Items are applied in the order of the fields below, so a batch may define
// the entities and documents its statements use.
struct WriteBatch {
  // What writing an entity or relation whose id exists may do. Writing one
  // identical to the stored one is always a no-op.
  enum class EntityMode : uint8_t {
    kCreate,   // create; ALREADY_EXISTS naming what differs when it exists
    kReplace,  // create, or replace the one with that id
    kUpdate,   // replace; NOT_FOUND when the id does not exist
  };
  EntityMode entity_mode = EntityMode::kCreate;
  // Let a label or alias also name another entity; without it such a name
  // is ALREADY_EXISTS naming both entities (one name, one entity, keeps
  // lookups by name unambiguous).
  bool shared_names = false;
  std::vector<Entity> entities;
  std::vector<EntityEdit> entity_edits;
  std::vector<Relation> relations;
  std::vector<Document> documents;  // created; the text can never change
  std::vector<StatementInput> statements;
  std::vector<EntityMerge> merges;
  // Entities deleted; FAILED_PRECONDITION when a statement uses one.
  std::vector<std::string> entity_deletes;
  // Scopes the blank node labels (and blank graph names) of this batch:
  // the same label with the same scope is one node. Empty: the store draws
  // a random scope for the batch, so its blank nodes are new.
  std::string blank_scope;
  // Set when a replica applies the writer's batch (docs/replicas.md).
  ReplicaStamp replica;
};

struct WriteResult {
  // The id of each statement of the batch, in order.
  std::vector<std::string> statement_ids;
  uint64_t statements_created = 0;  // new to the indexes
  uint64_t provenance_added = 0;
  uint64_t provenance_unchanged = 0;  // identical records already present
  // By merges: statements given a new subject or object, and their records.
  uint64_t statements_moved = 0;
  uint64_t provenance_moved = 0;
};

struct RetractResult {
  uint64_t provenance_retracted = 0;
  bool statement_removed = false;  // it left the indexes
};

// A (subject?, relation?, object?) pattern; an unset position matches all.
struct Pattern {
  std::optional<Term> subject;
  std::optional<std::string> relation;
  std::optional<Term> object;
};

struct MatchOptions {
  size_t limit = 100;
  // Opaque page token from a previous MatchPage of the same pattern and
  // options.
  std::string page_token;
  // Keep only statements with a live provenance record from this document.
  std::optional<std::string> document_id;
  // Keep only statements with a live provenance record of this confidence
  // or more.
  double min_confidence = 0.0;
  // Also return statements that are only quoted (no live provenance).
  bool include_quoted = false;
};

struct MatchPage {
  std::vector<Statement> statements;
  std::string next_page_token;  // empty at the end
};

struct EntityPage {
  std::vector<Entity> entities;
  // Each entity's node id (its dictionary tid), parallel to `entities`.
  std::vector<NodeId> node_ids;
  std::string next_page_token;  // empty at the end
};

struct DocumentPage {
  std::vector<Document> documents;
  std::string next_page_token;  // empty at the end
};

struct ProvenancePage {
  // Each record with the node id of its statement.
  std::vector<std::pair<NodeId, ProvenanceRecord>> records;
  std::string next_page_token;  // empty at the end
};

struct StoreStats {
  uint64_t entities = 0;
  uint64_t relations = 0;
  uint64_t documents = 0;
  uint64_t statements = 0;          // in the indexes
  uint64_t provenance_records = 0;  // live ones
  uint64_t terms = 0;               // dictionary size
  // Every file in the data directory: SST, WAL, MANIFEST, OPTIONS, LOG.
  uint64_t bytes_on_disk = 0;
  // Memory RocksDB holds: writes not yet flushed to table files (the
  // memtables of every column family, each bounded by
  // StoreOptions::write_buffer_bytes), and the block cache's contents
  // (bounded by StoreOptions::block_cache_bytes).
  uint64_t memtable_bytes = 0;
  uint64_t block_cache_bytes = 0;
};

// What the engine underneath is doing, for monitoring (kg-server's
// /metrics). Counts are since the store was opened.
struct EngineFigures {
  uint64_t block_cache_hits = 0;
  uint64_t block_cache_misses = 0;
  uint64_t block_cache_bytes = 0;
  uint64_t memtable_bytes = 0;
  // Bytes RocksDB estimates compaction must still rewrite; large values
  // come before write stalls.
  uint64_t pending_compaction_bytes = 0;
  uint64_t live_sst_bytes = 0;
  // Time writes were delayed or stopped to let compaction catch up.
  uint64_t write_stall_micros = 0;
  bool writes_stopped = false;
  // The compact adjacency (docs/storage.md): builds completed, how long
  // the last took, and when it finished (InfinitePast before the first).
  uint64_t compact_adjacency_builds = 0;
  absl::Duration last_compact_adjacency_build;
  absl::Time compact_adjacency_built_at = absl::InfinitePast();
};

// What Store::Verify checked and what it found wrong. docs/storage.md lists
// the checks.
struct VerifyReport {
  static constexpr size_t kMaxProblems = 100;
  // Rows checked, by column family.
  uint64_t terms = 0;  // dictionary entries, both directions
  uint64_t entities = 0;
  uint64_t names = 0;  // name index entries
  uint64_t relations = 0;
  uint64_t documents = 0;
  uint64_t statements = 0;     // statement rows (indexed, quoted, retracted)
  uint64_t index_entries = 0;  // SPO + POS + OSP
  uint64_t provenance_records = 0;   // live and retracted
  uint64_t document_provenance = 0;  // by-document index entries
  // The first kMaxProblems problems, one line each.
  std::vector<std::string> problems;
  // All problems found, including those not listed.
  uint64_t problems_total = 0;
  // SHA-256 (hex) of what the store holds, every record of every family
  // but the store's own page token key and log position: two stores with
  // the same content, such as the replicas of a set at one log position,
  // have the same digest. Meaningful only when ok().
  std::string content_sha256;

  bool ok() const { return problems_total == 0; }
  void AddProblem(std::string problem) {
    ++problems_total;
    if (problems.size() < kMaxProblems) problems.push_back(std::move(problem));
  }
};

// A read-only view of the store at one snapshot: every call on it sees the
// same state, whatever is written meanwhile. Not thread-safe; use one per
// thread or per query.
// One statement of the contested index (Reader::ListContestedIndex).
struct ContestedEntry {
  NodeId statement = 0;
  std::string id;  // the statement id, "s" + 32 hex digits
  uint32_t supporting = 0;
  uint32_t opposing = 0;
  uint32_t distinct = 0;
};

class Reader {
 public:
  virtual ~Reader() = default;

  // The entity's current names, also when it was merged or deleted (so old
  // statements can still be shown); GetEntityHistory tells which.
  virtual absl::StatusOr<Entity> GetEntity(absl::string_view id) = 0;
  virtual absl::StatusOr<EntityHistory> GetEntityHistory(
      absl::string_view id) = 0;
  // Entities whose id, label or alias equals `name`, ignoring ASCII case;
  // ordered by id. Empty when there is none.
  virtual absl::StatusOr<std::vector<Entity>> FindByName(
      absl::string_view name) = 0;
  // Entities with a name (id, label or alias) starting with `prefix`,
  // ignoring ASCII case; ordered by name then id; at most `limit`, each
  // once per page; resumed from `page_token` (INVALID_ARGUMENT when it is not
  // from this prefix).
  virtual absl::StatusOr<EntityPage> SearchByPrefix(
      absl::string_view prefix, size_t limit, absl::string_view page_token) = 0;

  // Entities ordered by id, at most `limit`, resumed from `page_token`.
  virtual absl::StatusOr<EntityPage> ListEntities(
      size_t limit, absl::string_view page_token) = 0;
  // Whether some entity has exactly this type. INVALID_ARGUMENT naming
  // "type" when `type` is not one an entity could have. Reads entities in
  // id order until one has it: a type no entity has costs a scan of all.
  virtual absl::StatusOr<bool> HasEntityType(absl::string_view type) = 0;

  virtual absl::StatusOr<Relation> GetRelation(absl::string_view id) = 0;
  virtual absl::StatusOr<std::vector<Relation>> ListRelations() = 0;
  virtual absl::StatusOr<Document> GetDocument(absl::string_view id) = 0;
  // Documents ordered by id, at most `limit`, resumed from `page_token`.
  virtual absl::StatusOr<DocumentPage> ListDocuments(
      bool include_text, size_t limit, absl::string_view page_token) = 0;

  // NOT_FOUND when no statement has this id (indexed, quoted or retracted
  // statements all have one).
  virtual absl::StatusOr<Statement> GetStatement(absl::string_view id) = 0;
  // The statement's provenance records in key order (document, span,
  // recorded time); retracted ones too when asked.
  virtual absl::StatusOr<std::vector<ProvenanceRecord>> GetProvenance(
      absl::string_view statement_id, bool include_retracted) = 0;

  // Statements matching `pattern`, ordered by the index the pattern uses
  // (docs/storage.md). NOT_FOUND when the pattern names an unknown entity,
  // relation or statement; INVALID_ARGUMENT for a page_token that is not from
  // this pattern.
  virtual absl::StatusOr<MatchPage> Match(const Pattern& pattern,
                                          const MatchOptions& options) = 0;
  // Statements ordered by id — an order that does not depend on the order
  // of writes, so two stores with the same content list the same way. Only
  // statements with live provenance, unless include_quoted (then every
  // indexed statement). At most `limit`, resumed from `page_token`.
  virtual absl::StatusOr<MatchPage> ListStatements(size_t limit,
                                                   absl::string_view page_token,
                                                   bool include_quoted) = 0;
  // The indexed statements matching `pattern`, by node id, in the order
  // OrderOf(pattern) names: asserted ones (with a live record) only, unless
  // `include_quoted`. `fn` returns false to stop. A row costs one index
  // key, plus a point read of the statement row when quoted statements are
  // left out. Node ids come from NodeOf and RelationNodeOf.
  virtual absl::Status ScanIds(
      const IdPattern& pattern, bool include_quoted,
      const std::function<bool(const IdStatement&)>& fn) = 0;
  // Exact number of indexed statements matching `pattern`.
  virtual absl::StatusOr<uint64_t> Count(const Pattern& pattern) = 0;
  // Cheap estimate from the index sizes; exact for small results.
  virtual absl::StatusOr<uint64_t> EstimateCount(const Pattern& pattern) = 0;

  virtual absl::StatusOr<StoreStats> Stats() = 0;
  // Stats' counts alone (entities, relations, documents, statements,
  // records, terms), without sizing the files and caches: one read.
  virtual absl::StatusOr<StoreStats> Counts() = 0;
  // The store's base IRI (Store::base_iri).
  virtual const std::string& base_iri() const = 0;
  // The codec of the store's page tokens, for listings built on a reader
  // (query/): tokens are bound to the store by its key.
  virtual const PageTokenCodec& page_tokens() const = 0;

  // The node id of a term. NOT_FOUND when no statement or record uses it.
  virtual absl::StatusOr<NodeId> NodeOf(const Term& term) = 0;
  // The node id of a relation. NOT_FOUND for an unknown relation.
  virtual absl::StatusOr<NodeId> RelationNodeOf(absl::string_view id) = 0;
  // Appends the edges of the indexed statements at `node` in `direction`,
  // in the order they entered the indexes. Served from memory (no I/O),
  // consistent with this reader's snapshot. Thread-safe unlike the rest.
  virtual void Neighbors(NodeId node, Direction direction,
                         std::vector<Edge>* out) const = 0;
  // The compact adjacency when its edges are exactly this reader's (no
  // index change committed since it was built), else null. Lives as long as
  // the reader. Thread-safe.
  virtual const CompactAdjacency* compact_adjacency() const = 0;
  // Whether the compact adjacency's best confidences are this reader's
  // too: no record added or retracted since it was built.
  virtual bool compact_confidences_current() const = 0;
  // The entity table when it is exactly this reader's (no entity or term
  // changed since it was built), else null. Lives as long as the reader.
  // Thread-safe.
  virtual const EntityTable* entity_table() const = 0;
  // What a node id stands for.
  virtual absl::StatusOr<TermValue> TermAt(NodeId node) = 0;
  virtual absl::StatusOr<Statement> StatementAt(NodeId statement) = 0;
  virtual absl::StatusOr<std::string> RelationAt(NodeId relation) = 0;

  // Provenance by node id: the records of one statement in key order
  // (document, span, recorded time); retracted ones too when asked.
  virtual absl::StatusOr<std::vector<ProvenanceRecord>> ProvenanceAt(
      NodeId statement, bool include_retracted) = 0;
  // Every provenance record a document yields, live and retracted, in the
  // order of their evidence in its text (start, end, statement, recorded
  // time); resumed from `page_token`. NOT_FOUND for an unknown document.
  virtual absl::StatusOr<ProvenancePage> ProvenanceByDocument(
      absl::string_view document_id, size_t limit,
      absl::string_view page_token) = 0;
  // Calls fn(node, statement) for every statement the store has ever held —
  // indexed, quoted, or fully retracted — in node order, until fn returns
  // false. A full scan: for as-recorded queries and audits.
  virtual absl::Status ForEachStatement(
      const std::function<bool(NodeId, const Statement&)>& fn) = 0;
  // The contested index, kept on write (docs/storage.md): the statements
  // that have, now, at least one supporting and one opposing claim (a claim
  // counts while it is asserted, claimants are counted distinct), ranked by
  // distinct claimants descending, then statement id. Up to `limit` entries
  // after the one ranked (after_distinct, after_id), or from the first when
  // after_id is empty.
  virtual absl::StatusOr<std::vector<ContestedEntry>> ListContestedIndex(
      uint32_t after_distinct, absl::string_view after_id, size_t limit) = 0;
};

// A fresh load's statements (Store::LoadFresh), checked and keyed as they
// are given, so that a chunk keeps only their keys (about 100 bytes a
// statement) and a reader can fill one chunk per thread. Each statement is
// a triple with one provenance record from a data document (hedge
// asserted, confidence 1, no span, no valid time), as an import of an RDF
// file's data gives. Whether its entities and relations exist is checked
// by LoadFresh. Thread-compatible; one per thread.
class FreshChunk {
 public:
  // `name` is the chunk's in errors ("chunks[2]" gives
  // "chunks[2].statements[5].triple.object: ..."); `base_iri` is the
  // store's (Store::base_iri), `blank_scope` the load's, 16 bytes that
  // every chunk of the load shares.
  FreshChunk(std::string name, std::string base_iri, std::string blank_scope);
  ~FreshChunk();
  FreshChunk(FreshChunk&&) noexcept;
  FreshChunk& operator=(FreshChunk&&) noexcept;

  // `relation`: a relation id, or any absolute IRI (<base>relation/<id> is
  // that relation); `document`: an index into FreshLoad::documents.
  // INVALID_ARGUMENT naming the field when a term is not valid, a literal
  // is the subject, or a term quotes a statement (a fresh load takes
  // none); the chunk is unchanged then.
  absl::Status Add(const Term& subject, absl::string_view relation,
                   const Term& object, uint32_t document);
  size_t size() const;
  void Reserve(size_t statements);
  // Frees the table Add finds its kept keys in; call it when the chunk is
  // complete. An Add after it still works: a key it cannot find by its
  // last subject or a remembered predicate, it keeps again.
  void Seal();
  // The `document` numbers given to Add are the chunk's own: `to_load[n]`
  // is FreshLoad::documents' index of the chunk's number n (so a reader
  // numbers the graphs of its chunk as it meets them).
  void MapDocuments(std::vector<uint32_t> to_load);

  struct Rep;
  Rep& rep() { return *rep_; }
  const Rep& rep() const { return *rep_; }

 private:
  std::unique_ptr<Rep> rep_;
};

// A load into a store that has never held a term (Store::LoadFresh).
struct FreshLoad {
  std::vector<Entity> entities;
  std::vector<Relation> relations;
  std::vector<Document> documents;  // data documents (no text)
  std::vector<FreshChunk> chunks;   // the statements, in order
  std::string blank_scope;          // the chunks' (16 bytes)
  bool shared_names = false;
  // A load too large to hold in memory at once is given in parts, in
  // order: the first, any number of next ones, the last. Every part has
  // the whole load's entities, relations, documents and blank scope (the
  // first part writes them; the others find them), and its own chunks,
  // which follow the part before's. After the last, the store is the one
  // a whole load of all the chunks makes, key for key. Until then the
  // store refuses every other write (readers see the parts so far: this is
  // for a store no one reads, kg-server --load's), and a part that fails,
  // AbandonFreshLoad, or the next open after a crash or a close between
  // parts rolls back the parts before it.
  enum class Part { kWhole, kFirst, kNext, kLast };
  Part part = Part::kWhole;
  // The record each statement is first given, from its first document, is
  // that document's one shared record (docs/storage.md, "Shared provenance
  // records"), not a record of its own: every record of a fresh load is
  // alike but for its statement. False stores one record each, as Write
  // and BulkLoad do (the same store key for key).
  bool share_records = true;
};

// A bulk load given in parts (Store::BeginBulkLoad): each part is applied
// as it comes to one transaction held in memory, and Commit writes it as
// SST files ingested at once. All or nothing: destroyed before Commit, or
// after any error, it leaves the store as it was. Calls come one at a time.
class BulkLoader {
 public:
  virtual ~BulkLoader() = default;
  // Applies `part` after the parts before it (an item repeating an earlier
  // part's must be identical). Errors name fields "<name>.statements[3]"
  // (`name` non-empty, e.g. "batches[2]"), or "statements[3]" when `name`
  // is empty, which only a load of one part may use. `result` is this
  // part's. After an error the loader takes nothing more.
  virtual absl::Status Add(const WriteBatch& part, absl::string_view name,
                           WriteResult* result) = 0;
  // Writes and ingests the load; the loader takes nothing more.
  absl::Status Commit() { return Commit(0); }
  // The same for a load that is a replica set's log entry
  // (docs/replicas.md): `log_position` is written with the load,
  // atomically (ReplicaStamp::log_position), and FAILED_PRECONDITION when
  // it is applied already. 0: none.
  virtual absl::Status Commit(uint64_t log_position) = 0;
};

// A checkpoint in a directory of the store's (Store::CheckpointInDataDir):
// its files, for copying; removed on destruction.
class ScratchCheckpoint {
 public:
  explicit ScratchCheckpoint(std::string dir) : dir_(std::move(dir)) {}
  ScratchCheckpoint(const ScratchCheckpoint&) = delete;
  ScratchCheckpoint& operator=(const ScratchCheckpoint&) = delete;
  ~ScratchCheckpoint();

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

// Thread-safe: writes are serialized inside; readers are independent.
class Store {
 public:
  virtual ~Store() = default;

  // Opens or creates the store in directory `path`.
  //   FAILED_PRECONDITION: `path` is a file, holds something other than a kg
  //     store, or a store of another format version.
  //   UNAVAILABLE: another process has the store open, or I/O failed.
  static absl::StatusOr<std::unique_ptr<Store>> Open(
      const StoreOptions& options, absl::string_view path);

  // Applies the batch atomically and durably (StoreOptions::sync_writes).
  virtual absl::StatusOr<WriteResult> Write(const WriteBatch& batch) = 0;

  // Loads a large batch through sorted SST files instead of the write-ahead
  // log: the same validation and the same resulting state as Write, faster
  // for big imports. Writes wait meanwhile. BeginBulkLoad with one part.
  virtual absl::StatusOr<WriteResult> BulkLoad(const WriteBatch& batch) = 0;

  // The same, given in parts as they come (an import stream): see
  // BulkLoader. From this call until the loader commits or is destroyed,
  // other writes wait; a loader that has given nothing for
  // StoreOptions::bulk_load_idle_timeout while one waits is abandoned
  // (ABORTED from then on, nothing written). Waits for a loader begun
  // earlier in the same way.
  absl::StatusOr<std::unique_ptr<BulkLoader>> BeginBulkLoad() {
    return BeginBulkLoad(std::nullopt);
  }
  // `at`: the time the load's records carry, for a load that is a replica
  // set's log entry (ReplicaStamp::at); the store's clock when nullopt.
  virtual absl::StatusOr<std::unique_ptr<BulkLoader>> BeginBulkLoad(
      std::optional<absl::Time> at) = 0;

  // Loads `load` into a store that has never held a term, without a write
  // transaction: its terms numbered in one pass, each column family's keys
  // made from the numbers in order, written as SST files and ingested at
  // once (docs/storage.md, "Fresh loads"). The result is the store a
  // BulkLoad of one batch with the same entities, relations, documents
  // and statements (in that order) would make, key for key, at a fraction
  // of the time and memory. All or nothing. FAILED_PRECONDITION when the
  // store has held a term; an item that BulkLoad would refuse is refused
  // (the first found, with its field, which may not be the one BulkLoad
  // names first). WriteResult::statement_ids stays empty.
  virtual absl::StatusOr<WriteResult> LoadFresh(FreshLoad load) = 0;
  // Rolls back the parts of a load in parts given so far (FreshLoad::part),
  // leaving the store as it was before the first: also what the next Open
  // does when a load in parts was not finished (a crash, a kill, a close
  // between parts). FAILED_PRECONDITION when no load in parts is under way.
  virtual absl::Status AbandonFreshLoad() = 0;

  // Retracts the live provenance records of `statement_id` from
  // `document_id`. The statement leaves the indexes when no live record
  // remains and no indexed statement quotes it. NOT_FOUND when there is no
  // such live record.
  absl::StatusOr<RetractResult> Retract(absl::string_view statement_id,
                                        absl::string_view document_id) {
    return Retract(statement_id, document_id, ReplicaStamp());
  }
  // The same, as a replica applies the writer's retraction.
  virtual absl::StatusOr<RetractResult> Retract(
      absl::string_view statement_id, absl::string_view document_id,
      const ReplicaStamp& replica) = 0;
  // The position in the replicated log of the last write applied with one
  // (ReplicaStamp); 0 for none.
  virtual uint64_t log_position() = 0;
  // That write's ReplicaStamp::at, as given (before any bump past the
  // store's last time); none when log_position() is 0 or the store
  // recorded no time with it.
  virtual std::optional<absl::Time> log_time() = 0;

  // A reader at the current state. It must be destroyed before the store.
  virtual std::unique_ptr<Reader> NewReader() = 0;

  // Brings the compact adjacency up to date now, if it is stale (readers
  // made afterwards have one, until the next index change). For tests and
  // benchmarks; the store does it by itself in the background. A no-op
  // when StoreOptions::compact_adjacency is off.
  virtual void RefreshCompactAdjacency() = 0;

  // Writes what so far is only in the write-ahead log into table files and
  // lets RocksDB drop that log, so the next open has nothing to replay.
  // For a clean stop (kg-server calls it after its last request); the
  // store stays usable. An error leaves the store as it was: the log is
  // replayed at the next open, as after a crash.
  virtual absl::Status Flush() = 0;

  // Writes a consistent, openable copy of the store into `dir`, which must
  // not exist yet. The copy holds every write acknowledged before the call
  // and no part of a write that was not: writes are atomic and the copy is
  // taken at one sequence number. SST files are hard-linked when `dir` is on
  // the same file system, so a checkpoint is cheap.
  virtual absl::Status Checkpoint(absl::string_view dir) = 0;

  // A checkpoint as Checkpoint writes it, in a directory of its own inside
  // the data directory (so its SST files are hard links), for copying
  // elsewhere (kg-server streams it: FetchCheckpoint). The directory goes
  // when the result is destroyed, and Open removes one a process left
  // behind when it died.
  virtual absl::StatusOr<std::unique_ptr<ScratchCheckpoint>>
  CheckpointInDataDir() = 0;

  // Checks block checksums and that the indexes agree with each other, at
  // one snapshot, while writes go on. Problems are reported, not returned
  // as errors; the status is an error only when the check could not run,
  // or CANCELLED when `should_stop` (polled every few thousand keys; may be
  // empty) turned true.
  absl::StatusOr<VerifyReport> Verify() { return Verify(nullptr); }
  virtual absl::StatusOr<VerifyReport> Verify(
      const std::function<bool()>& should_stop) = 0;

  // Verifies the store in directory `path`, which this process must not
  // have open: opened read-only, so a backup stays byte-for-byte as it was.
  // Error messages start with "directory: ".
  //   NOT_FOUND: no such directory.
  //   FAILED_PRECONDITION: not a directory, or not a kg store.
  //   CANCELLED: `should_stop` turned true.
  static absl::StatusOr<VerifyReport> VerifyDirectory(
      absl::string_view path, const std::function<bool()>& should_stop = {});

  // OK while the store accepts writes; UNAVAILABLE, with the cause, after
  // an I/O error has made it read-only (reads still work). Cheap.
  virtual absl::Status Health() = 0;
  // The engine's own figures. Cheap: counters and in-memory properties.
  virtual EngineFigures Engine() = 0;
  // Tries to leave the read-only state after an I/O error. RocksDB recovers
  // by itself from a full disk once it has room, and from retryable errors;
  // call this only once the cause is known to be gone: a resume that fails
  // while it lasts can make the error permanent (then reopen the store).
  // UNAVAILABLE while RocksDB's own recovery is under way. OK when writes
  // work again.
  virtual absl::Status Resume() = 0;

  // The base IRI of kg's names in this store (docs/rdf.md).
  virtual const std::string& base_iri() const = 0;
  // The format the store had when this open upgraded it; nullopt when it
  // needed no upgrade.
  virtual std::optional<uint32_t> upgraded_from_format() const = 0;
  // Whether this open rolled back a fresh load in parts that was not
  // finished (AbandonFreshLoad).
  virtual bool rolled_back_fresh_load() const = 0;
};

// The content-derived id of a statement: "s" followed by 32 hex digits of
// the SHA-256 of its canonical form. Quoted statements inside are reduced to
// their ids first, so a quoted triple and its id name the same statement.
// Validates nothing. IRIs under `base_iri` count as the kg names they are
// (pass the store's, Store::base_iri()).
std::string StatementIdOf(const Triple& triple,
                          absl::string_view base_iri = "");

}  // namespace kg::storage

#endif  // KG_STORAGE_STORE_H_
