#include "storage/rocksdb_reader.h"

#include <filesystem>
#include <system_error>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/echo.h"
#include "storage/coding.h"
#include "storage/dictionary.h"
#include "storage/entity_table.h"
#include "storage/match_plan.h"
#include "storage/page_token.h"
#include "storage/rocksdb_status.h"
#include "storage/status_macros.h"
#include "storage/validate.h"
#include "storage/write_txn.h"

namespace kg::storage {

namespace {

rocksdb::Slice ToSlice(absl::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}

// DATA_LOSS for a stored key (or the value under it) that does not decode.
absl::Status Corrupt(Cf cf, absl::string_view what, absl::string_view key) {
  return absl::DataLossError(
      absl::StrCat("corrupt ", what, " in column family '", kCfNames[cf],
                   "' at key \"", absl::CHexEscape(key), "\""));
}

PageTokenKind MatchTokenKind(Cf index) {
  switch (index) {
    case kPosCf:
      return PageTokenKind::kMatchPos;
    case kOspCf:
      return PageTokenKind::kMatchOsp;
    default:
      return PageTokenKind::kMatchSpo;
  }
}

absl::Status RequirePositive(size_t limit) {
  if (limit == 0) return absl::InvalidArgumentError("limit: must be positive");
  return absl::OkStatus();
}

}  // namespace

RocksReader::RocksReader(const Database* database, const Adjacency* adjacency,
                         std::shared_ptr<const CompactAdjacency> compact,
                         bool confidences_current,
                         std::shared_ptr<const EntityTable> entities)
    : database_(database),
      adjacency_(adjacency),
      compact_(std::move(compact)),
      confidences_current_(confidences_current && compact_ != nullptr),
      entities_(std::move(entities)),
      snapshot_(database->db()) {
  ro_.snapshot = snapshot_.snapshot();
  seq_ = ro_.snapshot->GetSequenceNumber();
}

void RocksReader::Neighbors(NodeId node, Direction direction,
                            std::vector<Edge>* out) const {
  if (compact_ != nullptr) {
    for (const CompactEdge& e : compact_->Edges(node, direction)) {
      out->push_back(e.ToEdge());
    }
    return;
  }
  adjacency_->Collect(node, direction, seq_, out);
}

absl::StatusOr<std::optional<std::string>> RocksReader::Get(
    Cf cf, absl::string_view key) {
  std::string value;
  rocksdb::Status s =
      database_->db()->Get(ro_, database_->cf(cf), ToSlice(key), &value);
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
  std::unique_ptr<rocksdb::Iterator> it(
      database_->db()->NewIterator(ro, database_->cf(cf)));
  if (start.empty()) {
    it->Seek(ToSlice(prefix));
  } else {
    it->Seek(ToSlice(start));
    if (it->Valid() && it->key() == ToSlice(start)) it->Next();
  }
  for (; it->Valid(); it->Next()) {
    absl::StatusOr<bool> more =
        fn(absl::string_view(it->key().data(), it->key().size()),
           absl::string_view(it->value().data(), it->value().size()));
    if (!more.ok()) return more.status();
    if (!*more) break;
  }
  return FromRocksDb(it->status(), "scan");
}

absl::StatusOr<uint64_t> RocksReader::TidOf(const std::string& term_key) {
  return LookupTid(
      [this](Cf cf, const std::string& key) { return Get(cf, key); },
      [&](uint64_t holder) -> absl::StatusOr<bool> {
        KG_ASSIGN_OR_RETURN(std::string key, TermKeyOf(holder));
        return key == TermIdentityKey(term_key);
      },
      term_key, database_->short_statement_keys());
}

absl::StatusOr<TermValue> RocksReader::TermOf(uint64_t tid) {
  auto it = term_cache_.find(tid);
  if (it != term_cache_.end()) return it->second;
  KG_ASSIGN_OR_RETURN(std::string key, TermKeyOf(tid));
  TermValue term;
  if (!DecodeTermKey(key, &term)) return Corrupt(kTidCf, "term", TidKey(tid));
  term_cache_.emplace(tid, term);
  return term;
}

absl::StatusOr<std::string> RocksReader::TermKeyOf(uint64_t tid) {
  KG_ASSIGN_OR_RETURN(
      std::optional<std::string> key,
      ReverseTermKey([this](Cf cf, const std::string& k) { return Get(cf, k); },
                     tid, &key_cache_));
  if (!key) return Corrupt(kTidCf, "missing term", TidKey(tid));
  return *std::move(key);
}

absl::StatusOr<std::string> RocksReader::StatementKeyOf(uint64_t tid,
                                                        const StmtValue& row) {
  KG_ASSIGN_OR_RETURN(std::string subject, TermKeyOf(row.subject));
  KG_ASSIGN_OR_RETURN(std::string predicate, TermKeyOf(row.relation));
  KG_ASSIGN_OR_RETURN(std::string object, TermKeyOf(row.object));
  return StatementTermKeyOf(tid, subject, predicate, object);
}

absl::StatusOr<std::string> RocksReader::RelationIdOf(uint64_t tid) {
  auto it = relation_cache_.find(tid);
  if (it != relation_cache_.end()) return it->second;
  const std::string tid_key = TidKey(tid);
  KG_ASSIGN_OR_RETURN(std::optional<std::string> key, Get(kTidCf, tid_key));
  std::string id;
  if (!key || !DecodePredicateTermKey(*key, &id)) {
    return Corrupt(kTidCf, "relation term", tid_key);
  }
  relation_cache_.emplace(tid, id);
  return id;
}

absl::StatusOr<StmtValue> RocksReader::StmtRow(uint64_t tid) {
  const std::string key = TidKey(tid);
  KG_ASSIGN_OR_RETURN(std::optional<std::string> v, Get(kStmtCf, key));
  StmtValue row;
  if (!v) return Corrupt(kStmtCf, "missing statement row", key);
  if (!DecodeStmt(*v, &row)) return Corrupt(kStmtCf, "statement row", key);
  return row;
}

absl::StatusOr<Statement> RocksReader::StatementOf(uint64_t tid,
                                                   const StmtValue* known) {
  StmtValue row;
  if (known != nullptr) {
    row = *known;
  } else {
    KG_ASSIGN_OR_RETURN(row, StmtRow(tid));
  }
  Statement st;
  // Its key from its parts' (which are read next anyway), whether or not
  // the reverse dictionary has it too.
  KG_ASSIGN_OR_RETURN(std::string key, StatementKeyOf(tid, row));
  TermValue self;
  if (!DecodeTermKey(key, &self))
    return Corrupt(kStmtCf, "statement", TidKey(tid));
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
    return absl::NotFoundError(
        absl::StrCat("entity_id: no entity '", EchoValue(id), "'"));
  }
  Entity e;
  uint64_t tid;
  if (!DecodeEntity(id, *v, &tid, &e)) return Corrupt(kEntityCf, "entity", id);
  entity_cache_.emplace(std::string(id), e);
  return e;
}

absl::StatusOr<EntityHistory> RocksReader::GetEntityHistory(
    absl::string_view id) {
  KG_RETURN_IF_ERROR(ValidateId("entity_id", id));
  KG_ASSIGN_OR_RETURN(std::optional<std::string> v, Get(kEntityCf, id));
  if (!v) {
    return absl::NotFoundError(
        absl::StrCat("entity_id: no entity '", EchoValue(id), "'"));
  }
  EntityHistory h;
  uint64_t tid;
  if (!DecodeEntityHistory(id, *v, &tid, &h)) {
    return Corrupt(kEntityCf, "entity", id);
  }
  return h;
}

absl::StatusOr<std::vector<Entity>> RocksReader::FindByName(
    absl::string_view name) {
  KG_RETURN_IF_ERROR(ValidateText("name", name, Limits::kMaxLabelBytes));
  const std::string prefix = NamePrefix(name);
  std::vector<std::string> ids;
  KG_RETURN_IF_ERROR(Scan(
      kNameCf, prefix, "",
      [&](absl::string_view key, absl::string_view) -> absl::StatusOr<bool> {
        std::string id;
        if (!DecodeNameKey(key, &id)) return Corrupt(kNameCf, "name", key);
        ids.push_back(std::move(id));
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
    absl::string_view prefix, size_t limit, absl::string_view page_token) {
  KG_RETURN_IF_ERROR(ValidateText("prefix", prefix, Limits::kMaxLabelBytes,
                                  /*allow_empty=*/true));
  KG_RETURN_IF_ERROR(RequirePositive(limit));
  const std::string lower = LowerAscii(prefix);
  const uint64_t fingerprint = QueryFingerprint().Add(lower).value();
  KG_ASSIGN_OR_RETURN(
      std::string start,
      database_->page_tokens().Decode(page_token, PageTokenKind::kEntitySearch,
                                      fingerprint, lower));
  EntityPage page;
  std::vector<std::string> ids;
  absl::flat_hash_set<std::string> seen;
  std::string last_key;
  KG_RETURN_IF_ERROR(Scan(
      kNameCf, lower, start,
      [&](absl::string_view key, absl::string_view) -> absl::StatusOr<bool> {
        std::string id;
        if (!DecodeNameKey(key, &id)) return Corrupt(kNameCf, "name", key);
        if (!seen.contains(id)) {
          if (ids.size() == limit) {
            page.next_page_token = database_->page_tokens().Encode(
                PageTokenKind::kEntitySearch, fingerprint, last_key);
            return false;
          }
          seen.insert(id);
          ids.push_back(std::move(id));
        }
        last_key = std::string(key);
        return true;
      }));
  for (const auto& id : ids) {
    KG_ASSIGN_OR_RETURN(Entity e, GetEntity(id));
    page.entities.push_back(std::move(e));
  }
  return page;
}

absl::StatusOr<EntityPage> RocksReader::ListEntities(
    size_t limit, absl::string_view page_token) {
  KG_RETURN_IF_ERROR(RequirePositive(limit));
  KG_ASSIGN_OR_RETURN(std::string start,
                      database_->page_tokens().Decode(
                          page_token, PageTokenKind::kEntityList, 0));
  EntityPage page;
  KG_RETURN_IF_ERROR(
      Scan(kEntityCf, "", start,
           [&](absl::string_view key,
               absl::string_view value) -> absl::StatusOr<bool> {
             if (page.entities.size() == limit) {
               page.next_page_token = database_->page_tokens().Encode(
                   PageTokenKind::kEntityList, 0, page.entities.back().id);
               return false;
             }
             EntityHistory h;
             uint64_t tid;
             if (!DecodeEntityHistory(key, value, &tid, &h)) {
               return Corrupt(kEntityCf, "entity", key);
             }
             if (h.live()) {
               page.entities.push_back(h.current().entity);
               page.node_ids.push_back(tid);
             }
             return true;
           }));
  return page;
}

absl::StatusOr<bool> RocksReader::HasEntityType(absl::string_view type) {
  KG_RETURN_IF_ERROR(ValidateType("type", type));
  bool found = false;
  KG_RETURN_IF_ERROR(Scan(kEntityCf, "", "",
                          [&](absl::string_view key,
                              absl::string_view value) -> absl::StatusOr<bool> {
                            EntityHistory h;
                            uint64_t tid;
                            if (!DecodeEntityHistory(key, value, &tid, &h)) {
                              return Corrupt(kEntityCf, "entity", key);
                            }
                            found = h.live() && h.current().entity.type == type;
                            return !found;
                          }));
  return found;
}

absl::StatusOr<MatchPage> RocksReader::ListStatements(
    size_t limit, absl::string_view page_token, bool include_quoted) {
  KG_RETURN_IF_ERROR(RequirePositive(limit));
  const std::string prefix = StatementTermPrefix();
  const uint64_t fingerprint = QueryFingerprint().Add(include_quoted).value();
  KG_ASSIGN_OR_RETURN(
      std::string start,
      database_->page_tokens().Decode(page_token, PageTokenKind::kStatementList,
                                      fingerprint, prefix));
  MatchPage page;
  std::string last_key;
  KG_RETURN_IF_ERROR(
      Scan(kTermCf, prefix, start,
           [&](absl::string_view key,
               absl::string_view value) -> absl::StatusOr<bool> {
             uint64_t tid;
             if (!DecodeTidValue(value, &tid))
               return Corrupt(kTermCf, "term", key);
             KG_ASSIGN_OR_RETURN(StmtValue row, StmtRow(tid));
             if (!(row.live > 0 || (include_quoted && row.indexed())))
               return true;
             if (page.statements.size() == limit) {
               page.next_page_token = database_->page_tokens().Encode(
                   PageTokenKind::kStatementList, fingerprint, last_key);
               return false;
             }
             KG_ASSIGN_OR_RETURN(Statement st, StatementOf(tid, &row));
             page.statements.push_back(std::move(st));
             last_key = std::string(key);
             return true;
           }));
  return page;
}

absl::StatusOr<Relation> RocksReader::GetRelation(absl::string_view id) {
  KG_RETURN_IF_ERROR(ValidateId("relation_id", id));
  KG_ASSIGN_OR_RETURN(std::optional<std::string> v, Get(kRelationCf, id));
  if (!v) {
    return absl::NotFoundError(
        absl::StrCat("relation_id: no relation '", EchoValue(id), "'"));
  }
  Relation r;
  uint64_t tid;
  if (!DecodeRelation(id, *v, &tid, &r)) {
    return Corrupt(kRelationCf, "relation", id);
  }
  return r;
}

absl::StatusOr<std::vector<Relation>> RocksReader::ListRelations() {
  std::vector<Relation> out;
  KG_RETURN_IF_ERROR(Scan(kRelationCf, "", "",
                          [&](absl::string_view key,
                              absl::string_view value) -> absl::StatusOr<bool> {
                            Relation r;
                            uint64_t tid;
                            if (!DecodeRelation(key, value, &tid, &r)) {
                              return Corrupt(kRelationCf, "relation", key);
                            }
                            out.push_back(std::move(r));
                            return true;
                          }));
  return out;
}

absl::StatusOr<Document> RocksReader::GetDocument(absl::string_view written) {
  const std::string id = CanonicalDocumentIri(written, database_->base_iri());
  KG_RETURN_IF_ERROR(ValidateDocumentId("document_id", id));
  KG_ASSIGN_OR_RETURN(std::optional<std::string> v, Get(kDocumentCf, id));
  if (!v) {
    return absl::NotFoundError(
        absl::StrCat("document_id: no document '", EchoValue(id), "'"));
  }
  Document d;
  uint64_t tid;
  if (!DecodeDocument(id, *v, /*include_text=*/true, &tid, &d)) {
    return Corrupt(kDocumentCf, "document", id);
  }
  return d;
}

absl::StatusOr<DocumentPage> RocksReader::ListDocuments(
    bool include_text, size_t limit, absl::string_view page_token) {
  KG_RETURN_IF_ERROR(RequirePositive(limit));
  const uint64_t fingerprint = QueryFingerprint().Add(include_text).value();
  KG_ASSIGN_OR_RETURN(
      std::string start,
      database_->page_tokens().Decode(page_token, PageTokenKind::kDocumentList,
                                      fingerprint));
  DocumentPage page;
  KG_RETURN_IF_ERROR(
      Scan(kDocumentCf, "", start,
           [&](absl::string_view key,
               absl::string_view value) -> absl::StatusOr<bool> {
             if (page.documents.size() == limit) {
               page.next_page_token = database_->page_tokens().Encode(
                   PageTokenKind::kDocumentList, fingerprint,
                   page.documents.back().id);
               return false;
             }
             Document d;
             uint64_t tid;
             if (!DecodeDocument(key, value, include_text, &tid, &d)) {
               return Corrupt(kDocumentCf, "document", key);
             }
             page.documents.push_back(std::move(d));
             return true;
           }));
  return page;
}

absl::StatusOr<Statement> RocksReader::GetStatement(absl::string_view id) {
  std::optional<std::string> hash = HashFromStatementId(id);
  if (!hash) {
    return absl::InvalidArgumentError(
        absl::StrCat("statement_id: \"", EchoEscaped(id),
                     "\" is not a statement id (s + 32 hex digits)"));
  }
  KG_ASSIGN_OR_RETURN(uint64_t tid, TidOf(StatementTermKey(*hash)));
  if (tid == 0) {
    return absl::NotFoundError(
        absl::StrCat("statement_id: no statement '", EchoValue(id), "'"));
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
    return Corrupt(kProvCf, "provenance record",
                   ProvKey(parts.stmt, parts.doc, parts.start, parts.end,
                           parts.recorded_micros));
  }
  return MakeRecord(parts, std::move(v));
}

absl::StatusOr<ProvenanceRecord> RocksReader::MakeRecord(
    const ProvKeyParts& parts, ProvValue v) {
  KG_ASSIGN_OR_RETURN(TermValue self, TermOf(parts.stmt));
  auto doc = doc_cache_.find(parts.doc);
  if (doc == doc_cache_.end()) {
    const std::string tid_key = TidKey(parts.doc);
    KG_ASSIGN_OR_RETURN(std::optional<std::string> doc_key,
                        Get(kTidCf, tid_key));
    std::string id;
    if (!doc_key || !DecodeIdTermKey(*doc_key, TermTag::kDocument, &id)) {
      return Corrupt(kTidCf, "document term named by provenance", tid_key);
    }
    doc = doc_cache_.emplace(parts.doc, std::move(id)).first;
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

absl::StatusOr<const SharedRecord*> RocksReader::SharedOf(uint64_t doc) {
  auto it = shared_cache_.find(doc);
  if (it == shared_cache_.end()) {
    const std::string key = SharedRecordKey(doc);
    KG_ASSIGN_OR_RETURN(std::optional<std::string> value, Get(kProvCf, key));
    std::optional<SharedRecord> record;
    if (value) {
      if (!DecodeSharedRecord(*value, &record.emplace())) {
        return Corrupt(kProvCf, "shared provenance record", key);
      }
    }
    it = shared_cache_.emplace(doc, std::move(record)).first;
  }
  return it->second ? &*it->second : nullptr;
}

absl::StatusOr<std::pair<ProvKeyParts, const ProvValue*>>
RocksReader::SharedRecordOf(uint64_t stmt_tid, const StmtValue& row) {
  KG_ASSIGN_OR_RETURN(const SharedRecord* shared, SharedOf(row.shared));
  if (shared == nullptr) {
    return Corrupt(kProvCf, "shared provenance record named by a statement",
                   SharedRecordKey(row.shared));
  }
  ProvKeyParts parts;
  parts.stmt = stmt_tid;
  parts.doc = row.shared;
  parts.recorded_micros = shared->recorded_micros;
  return std::make_pair(parts, &shared->value);
}

absl::StatusOr<std::vector<ProvenanceRecord>> RocksReader::ProvenanceAt(
    NodeId tid, bool include_retracted) {
  if (tid == 0) return std::vector<ProvenanceRecord>();  // 0: shared records
  std::vector<std::pair<ProvKeyParts, std::string>> rows;
  KG_RETURN_IF_ERROR(Scan(kProvCf, ProvPrefix(tid), "",
                          [&](absl::string_view key,
                              absl::string_view value) -> absl::StatusOr<bool> {
                            ProvKeyParts parts;
                            if (!DecodeProvKey(key, &parts)) {
                              return Corrupt(kProvCf, "provenance key", key);
                            }
                            rows.emplace_back(parts, value);
                            return true;
                          }));
  std::vector<ProvenanceRecord> out;
  // A statement's shared record goes where its key would.
  std::optional<std::pair<ProvKeyParts, const ProvValue*>> shared;
  {
    const std::string key = TidKey(tid);
    KG_ASSIGN_OR_RETURN(std::optional<std::string> value, Get(kStmtCf, key));
    StmtValue row;
    if (value && !DecodeStmt(*value, &row)) {
      return Corrupt(kStmtCf, "statement row", key);
    }
    if (value && row.shared != 0) {
      KG_ASSIGN_OR_RETURN(shared, SharedRecordOf(tid, row));
    }
  }
  const auto key_of = [](const ProvKeyParts& p) {
    return ProvKey(p.stmt, p.doc, p.start, p.end, p.recorded_micros);
  };
  auto emit_shared = [&]() -> absl::Status {
    KG_ASSIGN_OR_RETURN(ProvenanceRecord r,
                        MakeRecord(shared->first, *shared->second));
    out.push_back(std::move(r));
    shared.reset();
    return absl::OkStatus();
  };
  for (const auto& [parts, value] : rows) {
    if (shared && key_of(shared->first) < key_of(parts)) {
      KG_RETURN_IF_ERROR(emit_shared());
    }
    KG_ASSIGN_OR_RETURN(ProvenanceRecord r, DecodeRecord(parts, value));
    if (r.retracted_at && !include_retracted) continue;
    out.push_back(std::move(r));
  }
  if (shared) KG_RETURN_IF_ERROR(emit_shared());
  return out;
}

absl::StatusOr<ProvenancePage> RocksReader::ProvenanceByDocument(
    absl::string_view written, size_t limit, absl::string_view page_token) {
  const std::string document_id =
      CanonicalDocumentIri(written, database_->base_iri());
  KG_RETURN_IF_ERROR(ValidateDocumentId("document_id", document_id));
  KG_RETURN_IF_ERROR(RequirePositive(limit));
  KG_ASSIGN_OR_RETURN(uint64_t doc, TidOf(DocumentTermKey(document_id)));
  if (doc == 0) {
    return absl::NotFoundError(absl::StrCat("document_id: no document '",
                                            EchoValue(document_id), "'"));
  }
  const std::string prefix = TidKey(doc);
  const uint64_t fingerprint = QueryFingerprint().Add(doc).value();
  KG_ASSIGN_OR_RETURN(
      std::string start,
      database_->page_tokens().Decode(
          page_token, PageTokenKind::kDocumentProvenance, fingerprint, prefix));
  // Two lists in the by-document order, each up to `limit` after `start`:
  // the document index's entries, and the statements given the document's
  // shared record, whose keys would be (doc, 0, 0, statement, recorded).
  struct Entry {
    std::string key;  // as in doc_prov
    ProvKeyParts parts;
    bool shared = false;
  };
  std::vector<Entry> entries;
  bool more = false;
  KG_RETURN_IF_ERROR(Scan(
      kDocProvCf, prefix, start,
      [&](absl::string_view key, absl::string_view) -> absl::StatusOr<bool> {
        ProvKeyParts parts;
        if (!DecodeDocProvKey(key, &parts)) {
          return Corrupt(kDocProvCf, "document provenance key", key);
        }
        if (entries.size() == limit) {
          more = true;
          return false;
        }
        entries.push_back({std::string(key), parts, false});
        return true;
      }));
  KG_ASSIGN_OR_RETURN(const SharedRecord* shared, SharedOf(doc));
  if (shared != nullptr) {
    uint64_t from = shared->first;
    if (!start.empty()) {
      ProvKeyParts after;
      if (!DecodeDocProvKey(start, &after)) {
        return absl::InvalidArgumentError("page_token: not this query's");
      }
      from = (after.start != 0 || after.end != 0)
                 ? UINT64_MAX  // past every shared one
                 : std::max(from, after.stmt);
    }
    size_t found = 0;
    // When the index filled the page, no row past its last entry can be
    // on it.
    const std::optional<std::string> bound =
        more ? std::optional<std::string>(entries.back().key) : std::nullopt;
    if (from <= shared->last) {
      KG_RETURN_IF_ERROR(
          Scan(kStmtCf, "", TidKey(from - 1),
               [&](absl::string_view key,
                   absl::string_view value) -> absl::StatusOr<bool> {
                 uint64_t tid;
                 StmtValue row;
                 if (!DecodeTidKey(key, &tid) || !DecodeStmt(value, &row)) {
                   return Corrupt(kStmtCf, "statement row", key);
                 }
                 if (tid > shared->last) return false;
                 if (row.shared != doc) return true;
                 std::string entry_key =
                     DocProvKey(doc, 0, 0, tid, shared->recorded_micros);
                 if (entry_key <= start) return true;
                 if (bound && entry_key > *bound) return false;
                 if (found == limit) {
                   more = true;
                   return false;
                 }
                 ++found;
                 ProvKeyParts parts;
                 parts.stmt = tid;
                 parts.doc = doc;
                 parts.recorded_micros = shared->recorded_micros;
                 entries.push_back({std::move(entry_key), parts, true});
                 return true;
               }));
    }
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.key < b.key; });
    if (entries.size() > limit) {
      entries.resize(limit);
      more = true;
    }
  }
  ProvenancePage page;
  for (const Entry& e : entries) {
    const ProvKeyParts& parts = e.parts;
    if (e.shared) {
      KG_ASSIGN_OR_RETURN(ProvenanceRecord r, MakeRecord(parts, shared->value));
      page.records.emplace_back(parts.stmt, std::move(r));
      continue;
    }
    const std::string key = ProvKey(parts.stmt, parts.doc, parts.start,
                                    parts.end, parts.recorded_micros);
    KG_ASSIGN_OR_RETURN(std::optional<std::string> value, Get(kProvCf, key));
    if (!value) {
      return Corrupt(kProvCf, "missing record named by the document index",
                     key);
    }
    KG_ASSIGN_OR_RETURN(ProvenanceRecord r, DecodeRecord(parts, *value));
    page.records.emplace_back(parts.stmt, std::move(r));
  }
  if (more) {
    page.next_page_token = database_->page_tokens().Encode(
        PageTokenKind::kDocumentProvenance, fingerprint, entries.back().key);
  }
  return page;
}

absl::Status RocksReader::ForEachStatement(
    const std::function<bool(NodeId, const Statement&)>& fn) {
  std::vector<uint64_t> tids;
  KG_RETURN_IF_ERROR(Scan(
      kStmtCf, "", "",
      [&](absl::string_view key, absl::string_view) -> absl::StatusOr<bool> {
        uint64_t tid;
        if (!DecodeTidKey(key, &tid)) return Corrupt(kStmtCf, "key", key);
        tids.push_back(tid);
        return true;
      }));
  for (uint64_t tid : tids) {
    KG_ASSIGN_OR_RETURN(Statement st, StatementOf(tid));
    if (!fn(tid, st)) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> RocksReader::PassesFilters(uint64_t stmt_tid,
                                                const StmtValue& row,
                                                const MatchOptions& options,
                                                uint64_t doc_tid) {
  if (row.live == 0) {
    return options.include_quoted && !options.document_id &&
           options.min_confidence <= 0.0;
  }
  if (!options.document_id && options.min_confidence <= 0.0) return true;
  if (row.shared != 0 && (!options.document_id || row.shared == doc_tid)) {
    KG_ASSIGN_OR_RETURN(auto shared, SharedRecordOf(stmt_tid, row));
    if (shared.second->confidence >= options.min_confidence) return true;
  }
  const std::string prefix = options.document_id ? ProvPrefix(stmt_tid, doc_tid)
                                                 : ProvPrefix(stmt_tid);
  bool pass = false;
  KG_RETURN_IF_ERROR(Scan(kProvCf, prefix, "",
                          [&](absl::string_view key,
                              absl::string_view value) -> absl::StatusOr<bool> {
                            ProvValue v;
                            if (!DecodeProv(value, &v)) {
                              return Corrupt(kProvCf, "provenance record", key);
                            }
                            pass = !v.retracted_micros &&
                                   v.confidence >= options.min_confidence;
                            return !pass;
                          }));
  return pass;
}

absl::StatusOr<MatchPage> RocksReader::Match(const Pattern& pattern,
                                             const MatchOptions& options) {
  KG_RETURN_IF_ERROR(RequirePositive(options.limit));
  if (!(options.min_confidence >= 0.0 && options.min_confidence <= 1.0)) {
    return absl::InvalidArgumentError("min_confidence: must be in [0, 1]");
  }
  KG_ASSIGN_OR_RETURN(
      MatchPlan plan,
      PlanMatch(
          pattern, [this](const std::string& k) { return TidOf(k); },
          database_->base_iri()));
  uint64_t doc_tid = 0;
  if (options.document_id) {
    const std::string document_id =
        CanonicalDocumentIri(*options.document_id, database_->base_iri());
    KG_RETURN_IF_ERROR(ValidateDocumentId("document_id", document_id));
    KG_ASSIGN_OR_RETURN(doc_tid, TidOf(DocumentTermKey(document_id)));
    if (doc_tid == 0) {
      return absl::NotFoundError(absl::StrCat(
          "document_id: no document '", EchoValue(*options.document_id), "'"));
    }
  }
  // The token is bound to the index, the prefix and the filters.
  const PageTokenKind token_kind = MatchTokenKind(plan.index);
  const uint64_t fingerprint = QueryFingerprint()
                                   .Add(plan.prefix)
                                   .Add(options.document_id.value_or(""))
                                   .Add(options.min_confidence)
                                   .Add(options.include_quoted)
                                   .value();
  KG_ASSIGN_OR_RETURN(std::string start,
                      database_->page_tokens().Decode(
                          options.page_token, token_kind, fingerprint,
                          plan.prefix, kIndexKeyBytes));

  MatchPage page;
  if (plan.empty) return page;
  std::string last_key;
  KG_RETURN_IF_ERROR(
      Scan(plan.index, plan.prefix, start,
           [&](absl::string_view key,
               absl::string_view value) -> absl::StatusOr<bool> {
             IndexEntry entry;
             if (!DecodeIndexEntry(key, value, &entry)) {
               return Corrupt(plan.index, "index entry", key);
             }
             KG_ASSIGN_OR_RETURN(StmtValue row, StmtRow(entry.stmt));
             KG_ASSIGN_OR_RETURN(
                 bool pass, PassesFilters(entry.stmt, row, options, doc_tid));
             if (!pass) return true;
             if (page.statements.size() == options.limit) {
               // One more row exists: the page is full and has a successor.
               page.next_page_token = database_->page_tokens().Encode(
                   token_kind, fingerprint, last_key);
               return false;
             }
             KG_ASSIGN_OR_RETURN(Statement st, StatementOf(entry.stmt, &row));
             page.statements.push_back(std::move(st));
             last_key = std::string(key);
             return true;
           }));
  return page;
}

absl::Status RocksReader::ScanIds(
    const IdPattern& p, bool include_quoted,
    const std::function<bool(const IdStatement&)>& fn) {
  const IdOrder order = OrderOf(p);
  const MatchPlan plan = PlanIds(p);
  const Cf cf = plan.index;
  return Scan(cf, plan.prefix, "",
              [&](absl::string_view key,
                  absl::string_view value) -> absl::StatusOr<bool> {
                IndexEntry e;
                if (!DecodeIndexEntry(key, value, &e)) {
                  return Corrupt(cf, "index entry", key);
                }
                IdStatement st;
                switch (order) {
                  case IdOrder::kSpo:
                    st = {e.a, e.b, e.c, e.stmt};
                    break;
                  case IdOrder::kPos:
                    st = {e.c, e.a, e.b, e.stmt};
                    break;
                  case IdOrder::kOsp:
                    st = {e.b, e.c, e.a, e.stmt};
                    break;
                }
                if (!include_quoted) {
                  if (e.asserted.has_value()) {
                    if (!*e.asserted) return true;
                  } else {  // written before format 4
                    KG_ASSIGN_OR_RETURN(StmtValue row, StmtRow(e.stmt));
                    if (row.live == 0) return true;
                  }
                }
                return fn(st);
              });
}

absl::StatusOr<uint64_t> RocksReader::Count(const Pattern& pattern) {
  KG_ASSIGN_OR_RETURN(
      MatchPlan plan,
      PlanMatch(
          pattern, [this](const std::string& k) { return TidOf(k); },
          database_->base_iri()));
  if (plan.empty) return uint64_t{0};
  uint64_t n = 0;
  KG_RETURN_IF_ERROR(
      Scan(plan.index, plan.prefix, "",
           [&](absl::string_view, absl::string_view) -> absl::StatusOr<bool> {
             ++n;
             return true;
           }));
  return n;
}

absl::StatusOr<uint64_t> RocksReader::EstimateCount(const Pattern& pattern) {
  KG_ASSIGN_OR_RETURN(
      MatchPlan plan,
      PlanMatch(
          pattern, [this](const std::string& k) { return TidOf(k); },
          database_->base_iri()));
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
  KG_RETURN_IF_ERROR(
      FromRocksDb(database_->db()->GetApproximateSizes(
                      sao, database_->cf(plan.index), &range, 1, &bytes),
                  "estimate"));
  // An index entry is a 24-byte key and an 8-byte value before compression;
  // small ranges are cheaper to count than to guess.
  constexpr uint64_t kEntryBytes = kIndexKeyBytes + 8;
  if (bytes / kEntryBytes < 10000) return Count(pattern);
  return bytes / kEntryBytes;
}

absl::StatusOr<NodeId> RocksReader::NodeOf(const Term& term) {
  KG_ASSIGN_OR_RETURN(
      std::optional<uint64_t> tid,
      BindTerm(
          "term", term, [this](const std::string& k) { return TidOf(k); },
          database_->base_iri()));
  if (!tid) return absl::NotFoundError("term: no statement uses this term");
  return *tid;
}

absl::StatusOr<NodeId> RocksReader::RelationNodeOf(absl::string_view written) {
  const std::string id = CanonicalPredicate(written, database_->base_iri());
  if (absl::StrContains(id, ":")) {
    KG_RETURN_IF_ERROR(ValidateIri("relation", id));
    KG_ASSIGN_OR_RETURN(uint64_t tid, TidOf(IriTermKey(id)));
    if (tid == 0) {
      return absl::NotFoundError(absl::StrCat(
          "relation: no statement has the predicate <", EchoValue(id), ">"));
    }
    return tid;
  }
  KG_RETURN_IF_ERROR(ValidateId("relation", id));
  KG_ASSIGN_OR_RETURN(uint64_t tid, TidOf(RelationTermKey(id)));
  if (tid == 0) {
    return absl::NotFoundError(
        absl::StrCat("relation: no relation '", EchoValue(id), "'"));
  }
  return tid;
}

absl::StatusOr<StoreStats> RocksReader::Counts() {
  KG_ASSIGN_OR_RETURN(std::optional<std::string> v,
                      Get(kDefaultCf, kCountersKey));
  Counters c;
  if (!v || !DecodeCounters(*v, &c)) {
    return Corrupt(kDefaultCf, "counters", kCountersKey);
  }
  StoreStats stats;
  stats.entities = c.entities;
  stats.relations = c.relations;
  stats.documents = c.documents;
  stats.statements = c.statements;
  stats.provenance_records = c.provenance;
  stats.terms = c.terms;
  return stats;
}

absl::StatusOr<StoreStats> RocksReader::Stats() {
  KG_ASSIGN_OR_RETURN(StoreStats stats, Counts());
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(database_->path(), ec)) {
    if (entry.is_regular_file(ec)) stats.bytes_on_disk += entry.file_size(ec);
  }
  rocksdb::DB* db = database_->db();
  // Summed over the column families; the block cache is one, shared.
  db->GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables,
                               &stats.memtable_bytes);
  db->GetIntProperty(rocksdb::DB::Properties::kBlockCacheUsage,
                     &stats.block_cache_bytes);
  return stats;
}

absl::StatusOr<std::vector<ContestedEntry>> RocksReader::ListContestedIndex(
    uint32_t after_distinct, absl::string_view after_id, size_t limit) {
  std::string start;
  if (!after_id.empty()) {
    std::optional<std::string> hash = HashFromStatementId(after_id);
    if (!hash) {
      return absl::InvalidArgumentError(absl::StrCat(
          "after_id: \"", EchoEscaped(after_id), "\" is not a statement id"));
    }
    start = ContestedRankKey(after_distinct, *hash);
  }
  std::vector<ContestedEntry> out;
  if (limit == 0) return out;
  KG_RETURN_IF_ERROR(Scan(kDefaultCf, ContestedRankPrefix(), start,
                          [&](absl::string_view key,
                              absl::string_view value) -> absl::StatusOr<bool> {
                            ContestedRankEntry e;
                            if (!DecodeContestedRankEntry(key, value, &e)) {
                              return Corrupt(kDefaultCf,
                                             "contested index entry", key);
                            }
                            ContestedEntry c;
                            c.statement = e.stmt;
                            c.id = StatementIdFromHash(e.hash16);
                            c.supporting = e.figures.supporting;
                            c.opposing = e.figures.opposing;
                            c.distinct = e.figures.distinct;
                            out.push_back(std::move(c));
                            return out.size() < limit;
                          }));
  return out;
}

}  // namespace kg::storage
