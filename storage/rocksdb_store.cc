// The RocksDB implementation of Store and Reader. Key grammar: keys.h;
// batch validation and index maintenance: write_txn.h.
#include <atomic>
#include <filesystem>
#include <system_error>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/listener.h"
#include "rocksdb/options.h"
#include "rocksdb/snapshot.h"
#include "rocksdb/sst_file_writer.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"
#include "storage/adjacency.h"
#include "storage/coding.h"
#include "storage/compact_adjacency.h"
#include "storage/cursor.h"
#include "storage/fault_env.h"
#include "storage/fault_injection.h"
#include "storage/keys.h"
#include "storage/rocksdb_status.h"
#include "storage/status_macros.h"
#include "storage/store.h"
#include "storage/validate.h"
#include "storage/verify.h"
#include "storage/write_txn.h"

namespace kg::storage {

namespace {

namespace fs = std::filesystem;

using CfHandles = std::vector<rocksdb::ColumnFamilyHandle*>;

rocksdb::Slice ToSlice(absl::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}

rocksdb::CompressionType BestCompression(bool bottommost) {
  const auto supported = rocksdb::GetSupportedCompressions();
  const auto has = [&](rocksdb::CompressionType t) {
    return std::find(supported.begin(), supported.end(), t) != supported.end();
  };
  if (bottommost && has(rocksdb::kZSTD)) return rocksdb::kZSTD;
  if (has(rocksdb::kLZ4Compression)) return rocksdb::kLZ4Compression;
  if (has(rocksdb::kSnappyCompression)) return rocksdb::kSnappyCompression;
  return rocksdb::kNoCompression;
}

rocksdb::ColumnFamilyOptions CfOptions(int cf,
                                       std::shared_ptr<rocksdb::Cache> cache) {
  rocksdb::ColumnFamilyOptions o;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = std::move(cache);
  table.format_version = 5;
  // Point lookups (dictionary, records) benefit from bloom filters; the
  // index and provenance families are only ever prefix-scanned.
  const bool point_lookups = cf == kTermCf || cf == kTidCf || cf == kEntityCf ||
                             cf == kRelationCf || cf == kDocumentCf ||
                             cf == kStmtCf;
  if (point_lookups) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  }
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  o.compression = BestCompression(false);
  o.bottommost_compression = BestCompression(true);
  return o;
}

// Whether RocksDB has stopped writes after an I/O error (a "background
// error": a failed WAL write, flush or compaction), and why. RocksDB calls
// the listener from its own threads.
class ErrorState : public rocksdb::EventListener {
 public:
  void OnBackgroundError(rocksdb::BackgroundErrorReason,
                         rocksdb::Status* bg_error) override {
    Set(bg_error->ToString());
  }
  void OnErrorRecoveryEnd(
      const rocksdb::BackgroundErrorRecoveryInfo& info) override {
    if (info.new_bg_error.ok()) Clear();
  }

  void Set(std::string error) {
    absl::MutexLock lock(&mu_);
    error_ = std::move(error);
  }
  void Clear() {
    absl::MutexLock lock(&mu_);
    error_.clear();
  }
  // Empty while writes work.
  std::string error() const {
    absl::MutexLock lock(&mu_);
    return error_;
  }

 private:
  mutable absl::Mutex mu_;
  std::string error_ ABSL_GUARDED_BY(mu_);
};

// Cursor kinds besides Match's, which uses its index's Cf number.
constexpr uint8_t kSearchCursor = 100;
constexpr uint8_t kDocumentCursor = 101;
constexpr uint8_t kDocProvCursor = 102;
constexpr uint8_t kEntityCursor = 103;
constexpr uint8_t kStatementListCursor = 104;

class RocksReader : public Reader {
 public:
  // Call with adjacency->commit_mu() held shared.
  // `compact`: the compact adjacency, when it matches this snapshot.
  RocksReader(rocksdb::DB* db, const CfHandles* cfs, const Adjacency* adjacency,
              std::shared_ptr<const CompactAdjacency> compact)
      : db_(db),
        cfs_(cfs),
        adjacency_(adjacency),
        compact_(std::move(compact)),
        snapshot_(db) {
    ro_.snapshot = snapshot_.snapshot();
    seq_ = ro_.snapshot->GetSequenceNumber();
  }

  absl::StatusOr<Entity> GetEntity(absl::string_view id) override;
  absl::StatusOr<std::vector<Entity>> FindByName(
      absl::string_view name) override;
  absl::StatusOr<EntityPage> SearchByPrefix(absl::string_view prefix,
                                            size_t limit,
                                            absl::string_view cursor) override;
  absl::StatusOr<EntityPage> ListEntities(size_t limit,
                                          absl::string_view cursor) override;
  absl::StatusOr<MatchPage> ListStatements(size_t limit,
                                           absl::string_view cursor,
                                           bool include_quoted) override;
  absl::StatusOr<Relation> GetRelation(absl::string_view id) override;
  absl::StatusOr<std::vector<Relation>> ListRelations() override;
  absl::StatusOr<Document> GetDocument(absl::string_view id) override;
  absl::StatusOr<DocumentPage> ListDocuments(bool include_text, size_t limit,
                                             absl::string_view cursor) override;
  absl::StatusOr<Statement> GetStatement(absl::string_view id) override;
  absl::StatusOr<std::vector<ProvenanceRecord>> GetProvenance(
      absl::string_view statement_id, bool include_retracted) override;
  absl::StatusOr<MatchPage> Match(const Pattern& pattern,
                                  const MatchOptions& options) override;
  absl::StatusOr<uint64_t> Count(const Pattern& pattern) override;
  absl::StatusOr<uint64_t> EstimateCount(const Pattern& pattern) override;
  absl::StatusOr<StoreStats> Stats() override;
  absl::StatusOr<NodeId> NodeOf(const Term& term) override;
  absl::StatusOr<NodeId> RelationNodeOf(absl::string_view id) override;
  void Neighbors(NodeId node, Direction direction,
                 std::vector<Edge>* out) const override {
    if (compact_ != nullptr) {
      for (const CompactEdge& e : compact_->Edges(node, direction)) {
        out->push_back(e.ToEdge());
      }
      return;
    }
    adjacency_->Collect(node, direction, seq_, out);
  }
  const CompactAdjacency* compact_adjacency() const override {
    return compact_.get();
  }
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
      absl::string_view cursor) override;
  absl::Status ForEachStatement(
      const std::function<bool(NodeId, const Statement&)>& fn) override;

 private:
  // Where a pattern's rows live: one index and one key prefix.
  struct Plan {
    Cf index = kSpoCf;
    std::string prefix;
    bool empty = false;  // a bound literal that is in no statement
  };

  absl::StatusOr<std::optional<std::string>> Get(Cf cf, absl::string_view key);
  // Calls fn(key, value) for each key with `prefix` after `start` (or from
  // the prefix's start when `start` is empty) until fn returns false.
  template <typename Fn>
  absl::Status Scan(Cf cf, absl::string_view prefix, absl::string_view start,
                    Fn fn);
  absl::StatusOr<uint64_t> TidOf(const std::string& term_key);
  absl::StatusOr<TermValue> TermOf(uint64_t tid);
  absl::StatusOr<std::string> RelationIdOf(uint64_t tid);
  // `row`, when given, saves reading the statement's row again.
  absl::StatusOr<Statement> StatementOf(uint64_t tid,
                                        const StmtValue* row = nullptr);
  absl::StatusOr<ProvenanceRecord> DecodeRecord(const ProvKeyParts& parts,
                                                absl::string_view value);
  absl::StatusOr<std::optional<uint64_t>> BindTerm(absl::string_view field,
                                                   const Term& term);
  absl::StatusOr<Plan> PlanFor(const Pattern& pattern);
  // Whether the statement passes the provenance filters of `options`.
  absl::StatusOr<bool> PassesFilters(uint64_t stmt_tid, const StmtValue& row,
                                     const MatchOptions& options,
                                     uint64_t doc_tid);

  rocksdb::DB* db_;
  const CfHandles* cfs_;
  const Adjacency* adjacency_;
  const std::shared_ptr<const CompactAdjacency> compact_;
  rocksdb::ManagedSnapshot snapshot_;
  rocksdb::ReadOptions ro_;
  uint64_t seq_ = 0;
  absl::flat_hash_map<uint64_t, TermValue> term_cache_;
  absl::flat_hash_map<uint64_t, std::string> relation_cache_;
  absl::flat_hash_map<uint64_t, std::string> doc_cache_;
  // Entities read through this reader (one snapshot: they cannot change).
  absl::flat_hash_map<std::string, Entity> entity_cache_;
};

absl::StatusOr<std::optional<std::string>> RocksReader::Get(
    Cf cf, absl::string_view key) {
  std::string value;
  rocksdb::Status s = db_->Get(ro_, (*cfs_)[cf], ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocksDb(s, "read");
  return std::optional<std::string>(std::move(value));
}

template <typename Fn>
absl::Status RocksReader::Scan(Cf cf, absl::string_view prefix,
                               absl::string_view start, Fn fn) {
  const std::string upper = PrefixSuccessor(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro = ro_;
  if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, (*cfs_)[cf]));
  if (start.empty()) {
    it->Seek(ToSlice(prefix));
  } else {
    it->Seek(ToSlice(start));
    if (it->Valid() && it->key() == ToSlice(start)) it->Next();
  }
  for (; it->Valid(); it->Next()) {
    if (!fn(absl::string_view(it->key().data(), it->key().size()),
            absl::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromRocksDb(it->status(), "scan");
}

absl::StatusOr<uint64_t> RocksReader::TidOf(const std::string& term_key) {
  KG_ASSIGN_OR_RETURN(std::optional<std::string> v, Get(kTermCf, term_key));
  if (!v) return uint64_t{0};
  absl::string_view in(*v);
  uint64_t tid;
  if (!GetFixed64(&in, &tid)) return absl::DataLossError("corrupt term");
  return tid;
}

absl::StatusOr<TermValue> RocksReader::TermOf(uint64_t tid) {
  auto it = term_cache_.find(tid);
  if (it != term_cache_.end()) return it->second;
  KG_ASSIGN_OR_RETURN(std::optional<std::string> key, Get(kTidCf, TidKey(tid)));
  TermValue term;
  if (!key || !DecodeTermKey(*key, &term)) {
    return absl::DataLossError(absl::StrCat("corrupt term ", tid));
  }
  term_cache_.emplace(tid, term);
  return term;
}

absl::StatusOr<std::string> RocksReader::RelationIdOf(uint64_t tid) {
  auto it = relation_cache_.find(tid);
  if (it != relation_cache_.end()) return it->second;
  KG_ASSIGN_OR_RETURN(std::optional<std::string> key, Get(kTidCf, TidKey(tid)));
  if (!key || key->empty() ||
      (*key)[0] != static_cast<char>(TermTag::kRelation)) {
    return absl::DataLossError(absl::StrCat("corrupt relation term ", tid));
  }
  std::string id = key->substr(1);
  relation_cache_.emplace(tid, id);
  return id;
}

absl::StatusOr<Statement> RocksReader::StatementOf(uint64_t tid,
                                                   const StmtValue* known) {
  StmtValue row;
  if (known != nullptr) {
    row = *known;
  } else {
    KG_ASSIGN_OR_RETURN(std::optional<std::string> v,
                        Get(kStmtCf, TidKey(tid)));
    if (!v || !DecodeStmt(*v, &row)) {
      return absl::DataLossError(absl::StrCat("corrupt statement ", tid));
    }
  }
  Statement st;
  KG_ASSIGN_OR_RETURN(TermValue self, TermOf(tid));
  st.id = self.id;
  KG_ASSIGN_OR_RETURN(st.subject, TermOf(row.subject));
  KG_ASSIGN_OR_RETURN(st.relation, RelationIdOf(row.relation));
  KG_ASSIGN_OR_RETURN(st.object, TermOf(row.object));
  st.live_provenance = row.live;
  st.quoted_by = row.quoted;
  return st;
}

absl::StatusOr<Entity> RocksReader::GetEntity(absl::string_view id) {
  auto cached = entity_cache_.find(id);
  if (cached != entity_cache_.end()) return cached->second;
  KG_RETURN_IF_ERROR(ValidateId("entity_id", id));
  KG_ASSIGN_OR_RETURN(std::optional<std::string> v, Get(kEntityCf, id));
  if (!v) {
    return absl::NotFoundError(absl::StrCat("entity_id: no entity '", id, "'"));
  }
  Entity e;
  uint64_t tid;
  if (!DecodeEntity(id, *v, &tid, &e)) {
    return absl::DataLossError(absl::StrCat("corrupt entity ", id));
  }
  entity_cache_.emplace(std::string(id), e);
  return e;
}

absl::StatusOr<std::vector<Entity>> RocksReader::FindByName(
    absl::string_view name) {
  KG_RETURN_IF_ERROR(ValidateText("name", name, Limits::kMaxLabelBytes));
  const std::string prefix = NamePrefix(name);
  std::vector<std::string> ids;
  KG_RETURN_IF_ERROR(
      Scan(kNameCf, prefix, "", [&](absl::string_view key, absl::string_view) {
        ids.emplace_back(key.substr(prefix.size()));
        return true;
      }));
  std::vector<Entity> out;
  for (const auto& id : ids) {
    KG_ASSIGN_OR_RETURN(Entity e, GetEntity(id));
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<EntityPage> RocksReader::SearchByPrefix(
    absl::string_view prefix, size_t limit, absl::string_view cursor) {
  KG_RETURN_IF_ERROR(ValidateText("prefix", prefix, Limits::kMaxLabelBytes,
                                  /*allow_empty=*/true));
  if (limit == 0) return absl::InvalidArgumentError("limit: must be positive");
  const std::string lower = LowerAscii(prefix);
  const uint64_t fingerprint = Fingerprint(lower);
  std::string start;
  if (!cursor.empty()) {
    std::optional<std::string> last =
        DecodeCursor(cursor, kSearchCursor, fingerprint, lower);
    if (!last) {
      return absl::InvalidArgumentError(
          "cursor: not a cursor of this search prefix");
    }
    start = *last;
  }
  EntityPage page;
  std::vector<std::string> ids;
  absl::flat_hash_map<std::string, bool> seen;
  std::string last_key;
  KG_RETURN_IF_ERROR(Scan(
      kNameCf, lower, start, [&](absl::string_view key, absl::string_view) {
        const size_t nul = key.find('\0');
        std::string id(key.substr(nul + 1));
        if (seen.contains(id)) {
          last_key = std::string(key);
          return true;
        }
        if (ids.size() == limit) {
          page.next_cursor = EncodeCursor(kSearchCursor, fingerprint, last_key);
          return false;
        }
        seen.emplace(id, true);
        ids.push_back(std::move(id));
        last_key = std::string(key);
        return true;
      }));
  for (const auto& id : ids) {
    KG_ASSIGN_OR_RETURN(Entity e, GetEntity(id));
    page.entities.push_back(std::move(e));
  }
  return page;
}

absl::StatusOr<EntityPage> RocksReader::ListEntities(size_t limit,
                                                     absl::string_view cursor) {
  if (limit == 0) return absl::InvalidArgumentError("limit: must be positive");
  std::string start;
  if (!cursor.empty()) {
    std::optional<std::string> last =
        DecodeCursor(cursor, kEntityCursor, 0, "");
    if (!last) {
      return absl::InvalidArgumentError("cursor: not an entity list cursor");
    }
    start = *last;
  }
  EntityPage page;
  bool corrupt = false;
  KG_RETURN_IF_ERROR(Scan(kEntityCf, "", start,
                          [&](absl::string_view key, absl::string_view value) {
                            if (page.entities.size() == limit) {
                              page.next_cursor = EncodeCursor(
                                  kEntityCursor, 0, page.entities.back().id);
                              return false;
                            }
                            Entity e;
                            uint64_t tid;
                            corrupt = !DecodeEntity(key, value, &tid, &e);
                            page.entities.push_back(std::move(e));
                            return !corrupt;
                          }));
  if (corrupt) return absl::DataLossError("corrupt entity");
  return page;
}

absl::StatusOr<MatchPage> RocksReader::ListStatements(size_t limit,
                                                      absl::string_view cursor,
                                                      bool include_quoted) {
  if (limit == 0) return absl::InvalidArgumentError("limit: must be positive");
  const std::string prefix(1, static_cast<char>(TermTag::kStatement));
  std::string start;
  if (!cursor.empty()) {
    std::optional<std::string> last = DecodeCursor(
        cursor, kStatementListCursor, include_quoted ? 1 : 0, prefix);
    if (!last) {
      return absl::InvalidArgumentError(
          "cursor: not a cursor of this statement list");
    }
    start = *last;
  }
  MatchPage page;
  std::string last_key;
  absl::Status inner;
  KG_RETURN_IF_ERROR(Scan(
      kTermCf, prefix, start,
      [&](absl::string_view key, absl::string_view value) {
        absl::string_view v = value;
        uint64_t tid;
        if (!GetFixed64(&v, &tid)) {
          inner = absl::DataLossError("corrupt term");
          return false;
        }
        absl::StatusOr<std::optional<std::string>> row_value =
            Get(kStmtCf, TidKey(tid));
        StmtValue row;
        if (!row_value.ok() || !*row_value || !DecodeStmt(**row_value, &row)) {
          inner = absl::DataLossError("statement term without a row");
          return false;
        }
        if (!(row.live > 0 || (include_quoted && row.indexed()))) return true;
        if (page.statements.size() == limit) {
          page.next_cursor = EncodeCursor(kStatementListCursor,
                                          include_quoted ? 1 : 0, last_key);
          return false;
        }
        absl::StatusOr<Statement> st = StatementOf(tid, &row);
        if (!st.ok()) {
          inner = st.status();
          return false;
        }
        page.statements.push_back(*std::move(st));
        last_key = std::string(key);
        return true;
      }));
  KG_RETURN_IF_ERROR(inner);
  return page;
}

absl::StatusOr<Relation> RocksReader::GetRelation(absl::string_view id) {
  KG_RETURN_IF_ERROR(ValidateId("relation_id", id));
  KG_ASSIGN_OR_RETURN(std::optional<std::string> v, Get(kRelationCf, id));
  if (!v) {
    return absl::NotFoundError(
        absl::StrCat("relation_id: no relation '", id, "'"));
  }
  Relation r;
  uint64_t tid;
  if (!DecodeRelation(id, *v, &tid, &r)) {
    return absl::DataLossError(absl::StrCat("corrupt relation ", id));
  }
  return r;
}

absl::StatusOr<std::vector<Relation>> RocksReader::ListRelations() {
  std::vector<Relation> out;
  bool corrupt = false;
  KG_RETURN_IF_ERROR(Scan(kRelationCf, "", "",
                          [&](absl::string_view key, absl::string_view value) {
                            Relation r;
                            uint64_t tid;
                            corrupt = !DecodeRelation(key, value, &tid, &r);
                            out.push_back(std::move(r));
                            return !corrupt;
                          }));
  if (corrupt) return absl::DataLossError("corrupt relation");
  return out;
}

absl::StatusOr<Document> RocksReader::GetDocument(absl::string_view id) {
  KG_RETURN_IF_ERROR(ValidateId("document_id", id));
  KG_ASSIGN_OR_RETURN(std::optional<std::string> v, Get(kDocumentCf, id));
  if (!v) {
    return absl::NotFoundError(
        absl::StrCat("document_id: no document '", id, "'"));
  }
  Document d;
  uint64_t tid;
  if (!DecodeDocument(id, *v, /*include_text=*/true, &tid, &d)) {
    return absl::DataLossError(absl::StrCat("corrupt document ", id));
  }
  return d;
}

absl::StatusOr<DocumentPage> RocksReader::ListDocuments(
    bool include_text, size_t limit, absl::string_view cursor) {
  if (limit == 0) return absl::InvalidArgumentError("limit: must be positive");
  std::string start;
  if (!cursor.empty()) {
    std::optional<std::string> last =
        DecodeCursor(cursor, kDocumentCursor, 0, "");
    if (!last) {
      return absl::InvalidArgumentError("cursor: not a document list cursor");
    }
    start = *last;
  }
  DocumentPage page;
  bool corrupt = false;
  KG_RETURN_IF_ERROR(
      Scan(kDocumentCf, "", start,
           [&](absl::string_view key, absl::string_view value) {
             if (page.documents.size() == limit) {
               page.next_cursor =
                   EncodeCursor(kDocumentCursor, 0, page.documents.back().id);
               return false;
             }
             Document d;
             uint64_t tid;
             corrupt = !DecodeDocument(key, value, include_text, &tid, &d);
             page.documents.push_back(std::move(d));
             return !corrupt;
           }));
  if (corrupt) return absl::DataLossError("corrupt document");
  return page;
}

absl::StatusOr<Statement> RocksReader::GetStatement(absl::string_view id) {
  std::optional<std::string> hash = HashFromStatementId(id);
  if (!hash) {
    return absl::InvalidArgumentError(
        absl::StrCat("statement_id: \"", absl::CHexEscape(id),
                     "\" is not a statement id (s + 32 hex digits)"));
  }
  KG_ASSIGN_OR_RETURN(uint64_t tid, TidOf(StatementTermKey(*hash)));
  if (tid == 0) {
    return absl::NotFoundError(
        absl::StrCat("statement_id: no statement '", id, "'"));
  }
  return StatementOf(tid);
}

absl::StatusOr<std::vector<ProvenanceRecord>> RocksReader::GetProvenance(
    absl::string_view statement_id, bool include_retracted) {
  KG_ASSIGN_OR_RETURN(Statement st, GetStatement(statement_id));
  KG_ASSIGN_OR_RETURN(
      uint64_t tid,
      TidOf(StatementTermKey(*HashFromStatementId(statement_id))));
  return ProvenanceAt(tid, include_retracted);
}

absl::StatusOr<ProvenanceRecord> RocksReader::DecodeRecord(
    const ProvKeyParts& parts, absl::string_view value) {
  ProvValue v;
  if (!DecodeProv(value, &v)) {
    return absl::DataLossError("corrupt provenance record");
  }
  KG_ASSIGN_OR_RETURN(TermValue self, TermOf(parts.stmt));
  auto doc = doc_cache_.find(parts.doc);
  if (doc == doc_cache_.end()) {
    KG_ASSIGN_OR_RETURN(std::optional<std::string> doc_key,
                        Get(kTidCf, TidKey(parts.doc)));
    if (!doc_key || doc_key->empty()) {
      return absl::DataLossError("provenance names an unknown document");
    }
    doc = doc_cache_.emplace(parts.doc, doc_key->substr(1)).first;
  }
  ProvenanceRecord r;
  r.statement_id = self.id;
  r.input.document_id = doc->second;
  r.input.evidence_start = parts.start;
  r.input.evidence_end = parts.end;
  r.input.evidence = std::move(v.evidence);
  r.input.hedge = v.hedge;
  r.input.confidence = v.confidence;
  r.input.valid_time = v.valid_time;
  r.recorded_at = FromMicros(parts.recorded_micros);
  if (v.retracted_micros) r.retracted_at = FromMicros(*v.retracted_micros);
  return r;
}

absl::StatusOr<std::vector<ProvenanceRecord>> RocksReader::ProvenanceAt(
    NodeId tid, bool include_retracted) {
  std::vector<std::pair<std::string, std::string>> rows;
  KG_RETURN_IF_ERROR(Scan(kProvCf, TidKey(tid), "",
                          [&](absl::string_view key, absl::string_view value) {
                            rows.emplace_back(key, value);
                            return true;
                          }));
  std::vector<ProvenanceRecord> out;
  for (const auto& [key, value] : rows) {
    ProvKeyParts parts;
    if (!DecodeProvKey(key, &parts)) {
      return absl::DataLossError("corrupt provenance key");
    }
    KG_ASSIGN_OR_RETURN(ProvenanceRecord r, DecodeRecord(parts, value));
    if (r.retracted_at && !include_retracted) continue;
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<ProvenancePage> RocksReader::ProvenanceByDocument(
    absl::string_view document_id, size_t limit, absl::string_view cursor) {
  KG_RETURN_IF_ERROR(ValidateId("document_id", document_id));
  if (limit == 0) return absl::InvalidArgumentError("limit: must be positive");
  KG_ASSIGN_OR_RETURN(uint64_t doc, TidOf(DocumentTermKey(document_id)));
  if (doc == 0) {
    return absl::NotFoundError(
        absl::StrCat("document_id: no document '", document_id, "'"));
  }
  const std::string prefix = TidKey(doc);
  std::string start;
  if (!cursor.empty()) {
    std::optional<std::string> last =
        DecodeCursor(cursor, kDocProvCursor, doc, prefix);
    if (!last) {
      return absl::InvalidArgumentError(
          "cursor: not a cursor of this document's provenance");
    }
    start = *last;
  }
  std::vector<ProvKeyParts> keys;
  std::string next_after;
  KG_RETURN_IF_ERROR(Scan(kDocProvCf, prefix, start,
                          [&](absl::string_view key, absl::string_view) {
                            ProvKeyParts parts;
                            if (!DecodeDocProvKey(key, &parts)) return false;
                            if (keys.size() == limit) {
                              next_after = "more";
                              return false;
                            }
                            keys.push_back(parts);
                            return true;
                          }));
  ProvenancePage page;
  for (const ProvKeyParts& parts : keys) {
    KG_ASSIGN_OR_RETURN(
        std::optional<std::string> value,
        Get(kProvCf, ProvKey(parts.stmt, parts.doc, parts.start, parts.end,
                             parts.recorded_micros)));
    if (!value) return absl::DataLossError("document index names no record");
    KG_ASSIGN_OR_RETURN(ProvenanceRecord r, DecodeRecord(parts, *value));
    page.records.emplace_back(parts.stmt, std::move(r));
  }
  if (!next_after.empty()) {
    const ProvKeyParts& last = keys.back();
    page.next_cursor =
        EncodeCursor(kDocProvCursor, doc,
                     DocProvKey(last.doc, last.start, last.end, last.stmt,
                                last.recorded_micros));
  }
  return page;
}

absl::Status RocksReader::ForEachStatement(
    const std::function<bool(NodeId, const Statement&)>& fn) {
  std::vector<uint64_t> tids;
  KG_RETURN_IF_ERROR(
      Scan(kStmtCf, "", "", [&](absl::string_view key, absl::string_view) {
        tids.push_back(DecodeFixed64(key.data()));
        return true;
      }));
  for (uint64_t tid : tids) {
    KG_ASSIGN_OR_RETURN(Statement st, StatementOf(tid));
    if (!fn(tid, st)) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<uint64_t>> RocksReader::BindTerm(
    absl::string_view field, const Term& term) {
  std::string key;
  switch (term.kind()) {
    case Term::Kind::kEntity: {
      KG_RETURN_IF_ERROR(ValidateId(field, term.id()));
      key = EntityTermKey(term.id());
      break;
    }
    case Term::Kind::kLiteral: {
      KG_ASSIGN_OR_RETURN(Literal lit, CanonicalLiteral(field, term.literal()));
      KG_ASSIGN_OR_RETURN(uint64_t tid, TidOf(LiteralTermKey(lit)));
      if (tid == 0) return std::optional<uint64_t>();  // in no statement
      return std::optional<uint64_t>(tid);
    }
    case Term::Kind::kStatement: {
      if (term.triple() == nullptr && !HashFromStatementId(term.id())) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ": \"", absl::CHexEscape(term.id()),
                         "\" is not a statement id"));
      }
      key = CanonicalTermKey(term);
      break;
    }
  }
  KG_ASSIGN_OR_RETURN(uint64_t tid, TidOf(key));
  if (tid == 0) {
    return absl::NotFoundError(absl::StrCat(
        field, ": no ",
        term.kind() == Term::Kind::kEntity ? "entity" : "statement", " '",
        term.kind() == Term::Kind::kEntity ? term.id()
                                           : StatementIdFromHash(key.substr(1)),
        "'"));
  }
  return std::optional<uint64_t>(tid);
}

absl::StatusOr<RocksReader::Plan> RocksReader::PlanFor(const Pattern& p) {
  Plan plan;
  std::optional<uint64_t> s, r, o;
  if (p.subject) {
    if (p.subject->kind() == Term::Kind::kLiteral) {
      return absl::InvalidArgumentError(
          "subject: a literal is never a subject");
    }
    KG_ASSIGN_OR_RETURN(s, BindTerm("subject", *p.subject));
  }
  if (p.relation) {
    KG_RETURN_IF_ERROR(ValidateId("relation", *p.relation));
    KG_ASSIGN_OR_RETURN(uint64_t tid, TidOf(RelationTermKey(*p.relation)));
    if (tid == 0) {
      return absl::NotFoundError(
          absl::StrCat("relation: no relation '", *p.relation, "'"));
    }
    r = tid;
  }
  if (p.object) {
    KG_ASSIGN_OR_RETURN(o, BindTerm("object", *p.object));
    if (!o) plan.empty = true;
  }
  std::string& k = plan.prefix;
  if (s) {
    if (r) {
      plan.index = kSpoCf;
      PutFixed64(&k, *s);
      PutFixed64(&k, *r);
      if (o) PutFixed64(&k, *o);
    } else if (o) {
      plan.index = kOspCf;
      PutFixed64(&k, *o);
      PutFixed64(&k, *s);
    } else {
      plan.index = kSpoCf;
      PutFixed64(&k, *s);
    }
  } else if (r) {
    plan.index = kPosCf;
    PutFixed64(&k, *r);
    if (o) PutFixed64(&k, *o);
  } else if (o) {
    plan.index = kOspCf;
    PutFixed64(&k, *o);
  }
  return plan;
}

absl::StatusOr<bool> RocksReader::PassesFilters(uint64_t stmt_tid,
                                                const StmtValue& row,
                                                const MatchOptions& options,
                                                uint64_t doc_tid) {
  if (row.live == 0)
    return options.include_quoted && !options.document_id &&
           options.min_confidence <= 0.0;
  if (!options.document_id && options.min_confidence <= 0.0) return true;
  std::string prefix = TidKey(stmt_tid);
  if (options.document_id) PutFixed64(&prefix, doc_tid);
  bool pass = false;
  bool corrupt = false;
  KG_RETURN_IF_ERROR(Scan(
      kProvCf, prefix, "", [&](absl::string_view, absl::string_view value) {
        ProvValue v;
        if (!DecodeProv(value, &v)) {
          corrupt = true;
          return false;
        }
        pass = !v.retracted_micros && v.confidence >= options.min_confidence;
        return !pass;
      }));
  if (corrupt) return absl::DataLossError("corrupt provenance record");
  return pass;
}

absl::StatusOr<MatchPage> RocksReader::Match(const Pattern& pattern,
                                             const MatchOptions& options) {
  if (options.limit == 0) {
    return absl::InvalidArgumentError("limit: must be positive");
  }
  if (!(options.min_confidence >= 0.0 && options.min_confidence <= 1.0)) {
    return absl::InvalidArgumentError("min_confidence: must be in [0, 1]");
  }
  KG_ASSIGN_OR_RETURN(Plan plan, PlanFor(pattern));
  uint64_t doc_tid = 0;
  if (options.document_id) {
    KG_RETURN_IF_ERROR(ValidateId("document_id", *options.document_id));
    KG_ASSIGN_OR_RETURN(doc_tid, TidOf(DocumentTermKey(*options.document_id)));
    if (doc_tid == 0) {
      return absl::NotFoundError(absl::StrCat("document_id: no document '",
                                              *options.document_id, "'"));
    }
  }
  // The cursor carries the index, a fingerprint of the query, and the last
  // key returned.
  std::string query;
  query.push_back(static_cast<char>(plan.index));
  PutLengthPrefixed(&query, plan.prefix);
  PutLengthPrefixed(&query, options.document_id.value_or(""));
  PutDouble(&query, options.min_confidence);
  query.push_back(options.include_quoted ? 1 : 0);
  const uint64_t fingerprint = Fingerprint(query);

  std::string start;
  if (!options.cursor.empty()) {
    std::optional<std::string> last =
        DecodeCursor(options.cursor, static_cast<uint8_t>(plan.index),
                     fingerprint, plan.prefix);
    if (!last || last->size() != 24) {
      return absl::InvalidArgumentError(
          "cursor: not a cursor of this query (it must come from a previous "
          "page of the same pattern and filters)");
    }
    start = *std::move(last);
  }

  MatchPage page;
  if (plan.empty) return page;
  std::string last_key;
  absl::Status inner;
  KG_RETURN_IF_ERROR(Scan(
      plan.index, plan.prefix, start,
      [&](absl::string_view key, absl::string_view value) {
        absl::string_view v = value;
        uint64_t stmt_tid;
        if (!GetFixed64(&v, &stmt_tid)) {
          inner = absl::DataLossError("corrupt index entry");
          return false;
        }
        absl::StatusOr<std::optional<std::string>> row_value =
            Get(kStmtCf, TidKey(stmt_tid));
        StmtValue row;
        if (!row_value.ok() || !*row_value || !DecodeStmt(**row_value, &row)) {
          inner = absl::DataLossError("index names a missing statement");
          return false;
        }
        absl::StatusOr<bool> pass =
            PassesFilters(stmt_tid, row, options, doc_tid);
        if (!pass.ok()) {
          inner = pass.status();
          return false;
        }
        if (!*pass) return true;
        if (page.statements.size() == options.limit) {
          // One more row exists: the page is full and has a successor.
          page.next_cursor = EncodeCursor(static_cast<uint8_t>(plan.index),
                                          fingerprint, last_key);
          return false;
        }
        absl::StatusOr<Statement> st = StatementOf(stmt_tid, &row);
        if (!st.ok()) {
          inner = st.status();
          return false;
        }
        page.statements.push_back(*std::move(st));
        last_key = std::string(key);
        return true;
      }));
  KG_RETURN_IF_ERROR(inner);
  return page;
}

absl::StatusOr<uint64_t> RocksReader::Count(const Pattern& pattern) {
  KG_ASSIGN_OR_RETURN(Plan plan, PlanFor(pattern));
  if (plan.empty) return uint64_t{0};
  uint64_t n = 0;
  KG_RETURN_IF_ERROR(Scan(plan.index, plan.prefix, "",
                          [&](absl::string_view, absl::string_view) {
                            ++n;
                            return true;
                          }));
  return n;
}

absl::StatusOr<uint64_t> RocksReader::EstimateCount(const Pattern& pattern) {
  KG_ASSIGN_OR_RETURN(Plan plan, PlanFor(pattern));
  if (plan.empty) return uint64_t{0};
  if (plan.prefix.empty()) {
    KG_ASSIGN_OR_RETURN(StoreStats stats, Stats());
    return stats.statements;
  }
  const std::string upper = PrefixSuccessor(plan.prefix);
  rocksdb::Range range(plan.prefix, upper);
  uint64_t bytes = 0;
  rocksdb::SizeApproximationOptions sao;
  sao.include_memtables = true;
  sao.include_files = true;
  rocksdb::Status s =
      db_->GetApproximateSizes(sao, (*cfs_)[plan.index], &range, 1, &bytes);
  if (!s.ok()) return FromRocksDb(s, "estimate");
  // An index entry is a 24-byte key and an 8-byte value before compression;
  // small ranges are cheaper to count than to guess.
  constexpr uint64_t kEntryBytes = 32;
  if (bytes / kEntryBytes < 10000) return Count(pattern);
  return bytes / kEntryBytes;
}

absl::StatusOr<NodeId> RocksReader::NodeOf(const Term& term) {
  KG_ASSIGN_OR_RETURN(std::optional<uint64_t> tid, BindTerm("term", term));
  if (!tid) return absl::NotFoundError("term: no statement uses this literal");
  return *tid;
}

absl::StatusOr<NodeId> RocksReader::RelationNodeOf(absl::string_view id) {
  KG_RETURN_IF_ERROR(ValidateId("relation", id));
  KG_ASSIGN_OR_RETURN(uint64_t tid, TidOf(RelationTermKey(id)));
  if (tid == 0) {
    return absl::NotFoundError(
        absl::StrCat("relation: no relation '", id, "'"));
  }
  return tid;
}

absl::StatusOr<StoreStats> RocksReader::Stats() {
  KG_ASSIGN_OR_RETURN(std::optional<std::string> v,
                      Get(kDefaultCf, kCountersKey));
  Counters c;
  if (!v || !DecodeCounters(*v, &c)) {
    return absl::DataLossError("corrupt counters");
  }
  StoreStats stats;
  stats.entities = c.entities;
  stats.relations = c.relations;
  stats.documents = c.documents;
  stats.statements = c.statements;
  stats.provenance_records = c.provenance;
  stats.terms = c.terms;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(db_->GetName(), ec)) {
    if (entry.is_regular_file(ec)) stats.bytes_on_disk += entry.file_size(ec);
  }
  return stats;
}

class RocksStore : public Store {
 public:
  RocksStore(const StoreOptions& options, std::string path,
             std::unique_ptr<rocksdb::Env> env,
             std::shared_ptr<ErrorState> errors,
             std::unique_ptr<rocksdb::DB> db, CfHandles cfs,
             std::vector<rocksdb::ColumnFamilyOptions> cf_options,
             Counters counters, std::unique_ptr<Adjacency> adjacency)
      : options_(options),
        path_(std::move(path)),
        env_(std::move(env)),
        errors_(std::move(errors)),
        db_(std::move(db)),
        cfs_(std::move(cfs)),
        cf_options_(std::move(cf_options)),
        adjacency_(std::move(adjacency)),
        counters_(counters) {
    if (!options_.compact_adjacency) return;
    RefreshCompactAdjacency();
    if (options_.compact_adjacency_delay != absl::InfiniteDuration()) {
      refresher_ = std::thread([this] { RefreshWhenQuiet(); });
    }
  }

  ~RocksStore() override {
    {
      absl::MutexLock lock(&refresh_mu_);
      refresh_stop_ = true;
    }
    if (refresher_.joinable()) refresher_.join();
    for (auto* h : cfs_) db_->DestroyColumnFamilyHandle(h);
    rocksdb::Status s = db_->Close();
    (void)s;  // Nothing to report to: the destructor has no caller to tell.
  }

  absl::StatusOr<WriteResult> Write(const WriteBatch& batch) override;
  absl::StatusOr<WriteResult> BulkLoad(const WriteBatch& batch) override;
  absl::StatusOr<RetractResult> Retract(absl::string_view statement_id,
                                        absl::string_view document_id) override;
  std::unique_ptr<Reader> NewReader() override {
    absl::ReaderMutexLock lock(&adjacency_->commit_mu());
    std::shared_ptr<const CompactAdjacency> compact;
    {
      absl::MutexLock compact_lock(&compact_mu_);
      compact = compact_;
    }
    // Under the commit lock, so no index change can come between this
    // check and the reader's snapshot.
    if (compact != nullptr &&
        compact->generation() != adjacency_->generation()) {
      compact.reset();
    }
    return std::make_unique<RocksReader>(db_.get(), &cfs_, adjacency_.get(),
                                         std::move(compact));
  }
  void RefreshCompactAdjacency() override;
  absl::Status Checkpoint(absl::string_view dir) override;
  absl::StatusOr<VerifyReport> Verify(
      const std::function<bool()>& should_stop) override;
  absl::Status Health() override;
  absl::Status Resume() override;

 private:
  // Recorded times strictly increase, so two writes never share a key.
  int64_t NextMicros() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    last_micros_ = std::max(ToMicros(options_.clock()), last_micros_ + 1);
    return last_micros_;
  }
  absl::Status Commit(WriteTxn& txn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Brings the adjacency up to the database after a commit; called with
  // adjacency_->commit_mu() held.
  void ApplyToAdjacency(const WriteTxn& txn);
  // The background thread: rebuilds the compact adjacency once the indexes
  // have not changed for options_.compact_adjacency_delay.
  void RefreshWhenQuiet();

  const StoreOptions options_;
  const std::string path_;
  // Declared before db_: destroyed after it.
  std::unique_ptr<rocksdb::Env> env_;  // null: the default Env
  std::shared_ptr<ErrorState> errors_;
  std::unique_ptr<rocksdb::DB> db_;
  CfHandles cfs_;
  std::vector<rocksdb::ColumnFamilyOptions> cf_options_;
  std::unique_ptr<Adjacency> adjacency_;
  absl::Mutex mu_;
  Counters counters_ ABSL_GUARDED_BY(mu_);
  int64_t last_micros_ ABSL_GUARDED_BY(mu_) = 0;

  // One build at a time.
  absl::Mutex build_mu_ ABSL_ACQUIRED_BEFORE(compact_mu_);
  // A build found ids too large for 32 bits; no more attempts.
  bool compact_impossible_ ABSL_GUARDED_BY(build_mu_) = false;
  absl::Mutex compact_mu_;
  std::shared_ptr<const CompactAdjacency> compact_ ABSL_GUARDED_BY(compact_mu_);
  absl::Mutex refresh_mu_;
  bool refresh_stop_ ABSL_GUARDED_BY(refresh_mu_) = false;
  // An index change since the last rebuild, and when the last one came.
  bool refresh_due_ ABSL_GUARDED_BY(refresh_mu_) = false;
  absl::Time last_index_change_ ABSL_GUARDED_BY(refresh_mu_);
  absl::Duration last_build_time_ ABSL_GUARDED_BY(refresh_mu_);
  std::thread refresher_;
};

void RocksStore::RefreshCompactAdjacency() {
  if (!options_.compact_adjacency) return;
  absl::MutexLock build(&build_mu_);
  if (compact_impossible_) return;
  const rocksdb::Snapshot* snapshot;
  uint64_t generation;
  {
    absl::ReaderMutexLock lock(&adjacency_->commit_mu());
    generation = adjacency_->generation();
    {
      absl::MutexLock compact_lock(&compact_mu_);
      if (compact_ != nullptr && compact_->generation() == generation) return;
    }
    // Held while building, so that no edge visible at it is pruned.
    snapshot = db_->GetSnapshot();
  }
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<const CompactAdjacency>> built =
      CompactAdjacency::Build(*adjacency_, snapshot->GetSequenceNumber(),
                              generation, [this] {
                                absl::MutexLock lock(&refresh_mu_);
                                return refresh_stop_;
                              });
  db_->ReleaseSnapshot(snapshot);
  if (!built.ok()) {
    // Ids only grow: a store too large once stays too large. A stopped
    // build is the store closing.
    if (absl::IsOutOfRange(built.status())) compact_impossible_ = true;
    return;
  }
  {
    absl::MutexLock lock(&refresh_mu_);
    last_build_time_ = absl::Now() - start;
  }
  absl::MutexLock compact_lock(&compact_mu_);
  compact_ = *std::move(built);
}

void RocksStore::RefreshWhenQuiet() {
  const absl::Duration delay = options_.compact_adjacency_delay;
  refresh_mu_.Lock();
  while (!refresh_stop_) {
    if (!refresh_due_) {
      refresh_mu_.Await(absl::Condition(
          +[](RocksStore* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->refresh_mu_) {
            return s->refresh_due_ || s->refresh_stop_;
          },
          this));
      continue;
    }
    // Writes a little more than `delay` apart would otherwise have the
    // thread rebuilding all the time: wait at least twice the last build.
    const absl::Time quiet_at =
        last_index_change_ + std::max(delay, 2 * last_build_time_);
    if (absl::Now() < quiet_at) {
      refresh_mu_.AwaitWithDeadline(absl::Condition(&refresh_stop_), quiet_at);
      continue;
    }
    refresh_due_ = false;
    refresh_mu_.Unlock();
    RefreshCompactAdjacency();
    refresh_mu_.Lock();
  }
  refresh_mu_.Unlock();
}

absl::Status RocksStore::Commit(WriteTxn& txn) {
  rocksdb::WriteBatch wb;
  const std::vector<CfChanges>& changes = txn.changes();
  for (int cf = 0; cf < kNumCfs; ++cf) {
    for (const auto& [key, value] : changes[cf]) {
      rocksdb::Status s =
          value ? wb.Put(cfs_[cf], key, *value) : wb.Delete(cfs_[cf], key);
      if (!s.ok()) return FromRocksDb(s, "batch");
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  absl::MutexLock commit(&adjacency_->commit_mu());
  KG_RETURN_IF_ERROR(FromRocksDb(db_->Write(wo, &wb), "write"));
  ApplyToAdjacency(txn);
  counters_ = txn.counters();
  return absl::OkStatus();
}

void RocksStore::ApplyToAdjacency(const WriteTxn& txn) {
  if (txn.index_changes().empty()) return;
  const uint64_t seq = db_->GetLatestSequenceNumber();
  uint64_t oldest = 0;
  if (!db_->GetIntProperty("rocksdb.oldest-snapshot-sequence", &oldest) ||
      oldest == 0) {
    oldest = seq;
  }
  adjacency_->Apply(txn.index_changes(), seq, std::min(oldest, seq));
  absl::MutexLock lock(&refresh_mu_);
  refresh_due_ = true;
  last_index_change_ = absl::Now();
}

absl::StatusOr<WriteResult> RocksStore::Write(const WriteBatch& batch) {
  absl::MutexLock lock(&mu_);
  WriteTxn txn(db_.get(), &cfs_, counters_, NextMicros());
  WriteResult result;
  KG_RETURN_IF_ERROR(txn.Apply(batch, &result));
  KG_RETURN_IF_ERROR(Commit(txn));
  return result;
}

absl::StatusOr<RetractResult> RocksStore::Retract(
    absl::string_view statement_id, absl::string_view document_id) {
  absl::MutexLock lock(&mu_);
  WriteTxn txn(db_.get(), &cfs_, counters_, NextMicros());
  RetractResult result;
  KG_RETURN_IF_ERROR(txn.Retract(statement_id, document_id, &result));
  KG_RETURN_IF_ERROR(Commit(txn));
  return result;
}

absl::StatusOr<WriteResult> RocksStore::BulkLoad(const WriteBatch& batch) {
  absl::MutexLock lock(&mu_);
  WriteTxn txn(db_.get(), &cfs_, counters_, NextMicros());
  WriteResult result;
  KG_RETURN_IF_ERROR(txn.Apply(batch, &result));
  const std::vector<CfChanges>& changes = txn.changes();

  const std::string tmp = absl::StrCat(path_, "/bulk-", last_micros_);
  std::error_code ec;
  fs::create_directories(tmp, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("bulk load: cannot create ", tmp, ": ", ec.message()));
  }
  std::vector<rocksdb::IngestExternalFileArg> args;
  absl::Status status;
  for (int cf = 0; cf < kNumCfs && status.ok(); ++cf) {
    if (changes[cf].empty()) continue;
    rocksdb::Options sst_options(rocksdb::DBOptions(), cf_options_[cf]);
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), sst_options, cfs_[cf]);
    const std::string file = absl::StrCat(tmp, "/", kCfNames[cf], ".sst");
    status = FromRocksDb(writer.Open(file), "bulk load");
    for (auto it = changes[cf].begin(); status.ok() && it != changes[cf].end();
         ++it) {
      status = FromRocksDb(it->second ? writer.Put(it->first, *it->second)
                                      : writer.Delete(it->first),
                           "bulk load");
    }
    if (status.ok()) status = FromRocksDb(writer.Finish(), "bulk load");
    rocksdb::IngestExternalFileArg arg;
    arg.column_family = cfs_[cf];
    arg.external_files = {file};
    arg.options.move_files = true;
    args.push_back(std::move(arg));
  }
  if (status.ok()) {
    absl::MutexLock commit(&adjacency_->commit_mu());
    status = FromRocksDb(db_->IngestExternalFiles(args), "bulk load ingest");
    if (status.ok()) ApplyToAdjacency(txn);
  }
  fs::remove_all(tmp, ec);
  KG_RETURN_IF_ERROR(status);
  counters_ = txn.counters();
  return result;
}

absl::Status RocksStore::Checkpoint(absl::string_view dir) {
  rocksdb::Checkpoint* raw = nullptr;
  KG_RETURN_IF_ERROR(
      FromRocksDb(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush 0: flush the memtables first, so the copy is mostly
  // hard-linked SST files and a short tail of WAL.
  return FromRocksDb(checkpoint->CreateCheckpoint(std::string(dir),
                                                  /*log_size_for_flush=*/0),
                     absl::StrCat("checkpoint into ", dir));
}

absl::StatusOr<VerifyReport> RocksStore::Verify(
    const std::function<bool()>& should_stop) {
  VerifyReport report;
  rocksdb::ManagedSnapshot snapshot(db_.get());
  KG_RETURN_IF_ERROR(VerifyDatabase(db_.get(), cfs_, snapshot.snapshot(),
                                    &report, should_stop));
  return report;
}

absl::Status RocksStore::Health() {
  const std::string error = errors_->error();
  if (error.empty()) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("the store is read-only after an I/O error: ", error));
}

absl::Status RocksStore::Resume() {
  if (errors_->error().empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  rocksdb::Status s = db_->Resume();
  if (s.IsBusy()) {
    // RocksDB is recovering by itself (a full disk, a retryable error);
    // the listener clears the error when it succeeds.
    if (errors_->error().empty()) return absl::OkStatus();
    return absl::UnavailableError(
        "resume after I/O error: RocksDB is recovering; try again");
  }
  KG_RETURN_IF_ERROR(FromRocksDb(s, "resume after I/O error"));
  errors_->Clear();
  return absl::OkStatus();
}

// FAILED_PRECONDITION unless the RocksDB database in `path` has every kg
// column family; `what` names the directory in the message ("data
// directory", "directory").
absl::Status CheckKgColumnFamilies(absl::string_view what,
                                   const std::string& path) {
  std::vector<std::string> names;
  rocksdb::Status s =
      rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names);
  if (!s.ok()) return FromRocksDb(s, absl::StrCat("open ", path));
  for (const char* want : kCfNames) {
    if (std::find(names.begin(), names.end(), want) == names.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat(what, " ", path, " is not a kg store (no '", want,
                       "' column family)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(
    const StoreOptions& options, absl::string_view path_view) {
  const std::string path(path_view);
  std::error_code ec;
  if (path.empty()) {
    return absl::InvalidArgumentError("data directory: must not be empty");
  }
  if (fs::exists(path, ec) && !fs::is_directory(path, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("data directory ", path, " is not a directory"));
  }
  const bool existing = fs::exists(fs::path(path) / "CURRENT", ec);
  if (!existing) {
    if (fs::exists(path, ec) && !fs::is_empty(path, ec)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data directory ", path, " is not empty and holds no kg store"));
    }
    if (!options.create_if_missing) {
      return absl::FailedPreconditionError(
          absl::StrCat("data directory ", path, " holds no kg store"));
    }
    fs::create_directories(path, ec);
    if (ec) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot create data directory ", path, ": ", ec.message()));
    }
  } else {
    KG_RETURN_IF_ERROR(CheckKgColumnFamilies("data directory", path));
  }

  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  rocksdb::DBOptions db_options;
  std::unique_ptr<rocksdb::Env> env;
  if (options.fault_injection != nullptr) {
    env = NewFaultInjectionEnv(options.fault_injection);
    db_options.env = env.get();
  }
  auto errors = std::make_shared<ErrorState>();
  db_options.listeners.push_back(errors);
  db_options.create_if_missing = !existing;
  db_options.create_missing_column_families = !existing;
  db_options.IncreaseParallelism(2);
  db_options.max_background_jobs = 2;
  db_options.paranoid_checks = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  std::vector<rocksdb::ColumnFamilyOptions> cf_options;
  for (int cf = 0; cf < kNumCfs; ++cf) {
    cf_options.push_back(CfOptions(cf, cache));
    descriptors.emplace_back(kCfNames[cf], cf_options.back());
  }
  CfHandles handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(db_options, path, descriptors, &handles, &raw);
  if (!s.ok()) {
    if (s.IsIOError() && absl::StrContains(s.ToString(), "lock")) {
      return absl::UnavailableError(absl::StrCat(
          "data directory ", path,
          " is in use by another process (its LOCK file is held)"));
    }
    return FromRocksDb(s, absl::StrCat("open ", path));
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  auto close = [&] {
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    db->Close().PermitUncheckedError();
  };

  Counters counters;
  std::string format;
  s = db->Get(rocksdb::ReadOptions(), handles[kDefaultCf], kFormatKey, &format);
  if (s.IsNotFound() && !existing) {
    std::string version;
    PutFixed32(&version, kFormatVersion);
    rocksdb::WriteBatch wb;
    wb.Put(handles[kDefaultCf], kFormatKey, version).PermitUncheckedError();
    wb.Put(handles[kDefaultCf], kCountersKey, EncodeCounters(counters))
        .PermitUncheckedError();
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = db->Write(wo, &wb);
    if (!s.ok()) {
      close();
      return FromRocksDb(s, absl::StrCat("initialize ", path));
    }
  } else if (s.IsNotFound()) {
    close();
    return absl::FailedPreconditionError(absl::StrCat(
        "data directory ", path, " is not a kg store (no format version)"));
  } else if (!s.ok()) {
    close();
    return FromRocksDb(s, absl::StrCat("open ", path));
  } else {
    absl::string_view in(format);
    uint32_t version = 0;
    if (!GetFixed32(&in, &version) || version != kFormatVersion) {
      close();
      return absl::FailedPreconditionError(
          absl::StrCat("data directory ", path, " holds kg store format ",
                       version, "; this kg reads format ", kFormatVersion));
    }
    std::string value;
    s = db->Get(rocksdb::ReadOptions(), handles[kDefaultCf], kCountersKey,
                &value);
    if (!s.ok() || !DecodeCounters(value, &counters)) {
      close();
      return absl::DataLossError(
          absl::StrCat("data directory ", path, ": counters are corrupt"));
    }
  }
  // The in-memory adjacency mirrors the SPO index.
  auto adjacency = std::make_unique<Adjacency>();
  {
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), handles[kSpoCf]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const rocksdb::Slice key = it->key();
      if (key.size() != 24 || it->value().size() != 8) {
        it.reset();
        close();
        return absl::DataLossError(
            absl::StrCat("data directory ", path, ": corrupt SPO entry"));
      }
      adjacency->Add(DecodeFixed64(key.data()), DecodeFixed64(key.data() + 8),
                     DecodeFixed64(key.data() + 16),
                     DecodeFixed64(it->value().data()), 0);
    }
    if (!it->status().ok()) {
      absl::Status st = FromRocksDb(it->status(), absl::StrCat("open ", path));
      it.reset();
      close();
      return st;
    }
  }
  return std::unique_ptr<Store>(
      new RocksStore(options, path, std::move(env), std::move(errors),
                     std::move(db), std::move(handles), std::move(cf_options),
                     counters, std::move(adjacency)));
}

}  // namespace kg::storage

namespace kg::storage {

absl::StatusOr<VerifyReport> Store::VerifyDirectory(
    absl::string_view path_view, const std::function<bool()>& should_stop) {
  const std::string path(path_view);
  std::error_code ec;
  if (path.empty()) {
    return absl::InvalidArgumentError("directory: must not be empty");
  }
  if (!fs::exists(path, ec)) {
    return absl::NotFoundError(
        absl::StrCat("directory ", path, " does not exist"));
  }
  if (!fs::is_directory(path, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("directory ", path, " is not a directory"));
  }
  if (!fs::exists(fs::path(path) / "CURRENT", ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("directory ", path, " holds no kg store"));
  }
  KG_RETURN_IF_ERROR(CheckKgColumnFamilies("directory", path));
  rocksdb::DBOptions db_options;
  db_options.paranoid_checks = true;
  // Only kg's column families are opened, in Cf order.
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  auto cache = rocksdb::NewLRUCache(size_t{32} << 20);
  for (int cf = 0; cf < kNumCfs; ++cf) {
    descriptors.emplace_back(kCfNames[cf], CfOptions(cf, cache));
  }
  CfHandles handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(db_options, path,
                                                   descriptors, &handles, &raw);
  if (!s.ok()) return FromRocksDb(s, absl::StrCat("open ", path));
  std::unique_ptr<rocksdb::DB> db(raw);
  VerifyReport report;
  absl::Status status =
      VerifyDatabase(db.get(), handles, nullptr, &report, should_stop);
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  db->Close().PermitUncheckedError();
  KG_RETURN_IF_ERROR(status);
  return report;
}

}  // namespace kg::storage
