#include "storage/verify.h"

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/sha256_stream.h"
#include "storage/coding.h"
#include "storage/dictionary.h"
#include "storage/keys.h"
#include "storage/rocksdb_status.h"
#include "storage/status_macros.h"
#include "storage/write_txn.h"

namespace kg::storage {

namespace {

absl::string_view View(const rocksdb::Slice& s) {
  return absl::string_view(s.data(), s.size());
}

std::string Printable(absl::string_view key) { return absl::CHexEscape(key); }

class Verifier {
 public:
  Verifier(rocksdb::DB* db,
           const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
           const rocksdb::Snapshot* snapshot, VerifyReport* report,
           const std::function<bool()>& should_stop)
      : db_(db), cfs_(cfs), report_(report), should_stop_(should_stop) {
    ro_.snapshot = snapshot;
    ro_.verify_checksums = true;
    // Full scans read each block once: they should not push the working
    // set out of the block cache. Point lookups do hit the same blocks
    // again and again, so they use it.
    scan_ro_ = ro_;
    scan_ro_.fill_cache = false;
  }

  absl::Status Run() {
    KG_RETURN_IF_ERROR(CheckFormat());
    KG_RETURN_IF_ERROR(CheckTerms());
    KG_RETURN_IF_ERROR(CheckTids());
    KG_RETURN_IF_ERROR(CheckEntities());
    KG_RETURN_IF_ERROR(CheckNames());
    KG_RETURN_IF_ERROR(CheckRelationsAndDocuments());
    KG_RETURN_IF_ERROR(CheckStatements());
    for (Cf cf : {kSpoCf, kPosCf, kOspCf}) KG_RETURN_IF_ERROR(CheckIndex(cf));
    KG_RETURN_IF_ERROR(CheckProvenance());
    KG_RETURN_IF_ERROR(CheckDocProvenance());
    KG_RETURN_IF_ERROR(CheckContested());
    CheckCounters();
    return DigestContent();
  }

 private:
  void Problem(std::string p) { report_->AddProblem(std::move(p)); }

  absl::StatusOr<std::optional<std::string>> Get(Cf cf, absl::string_view key) {
    std::string value;
    rocksdb::Status s =
        db_->Get(ro_, cfs_[cf], rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (s.IsCorruption()) {
      Problem(absl::StrCat(kCfNames[cf], ": unreadable (", s.ToString(), ")"));
      return std::optional<std::string>();
    }
    if (!s.ok()) return FromRocksDb(s, "verify: read");
    return std::optional<std::string>(std::move(value));
  }

  // Calls fn(key, value) for every entry of `cf`.
  template <typename Fn>
  absl::Status ForEach(Cf cf, Fn fn) {
    return ForEachWithPrefix(cf, "", fn);
  }

  // The term key of `tid`: its reverse entry, or a statement's derived from
  // its row (dictionary.h); nullopt (reported) when it has neither, or
  // when deriving it found a corrupt row (reported; *unreadable set).
  absl::StatusOr<std::optional<std::string>> TermKeyOf(
      uint64_t tid, absl::string_view who, bool report_missing = true,
      bool* unreadable = nullptr) {
    // Keys derived once, not for every statement quoting them; bounded,
    // since a store's dictionary need not fit in memory.
    if (keys_.size() > (1u << 20)) keys_.clear();
    absl::StatusOr<std::optional<std::string>> key = ReverseTermKey(
        [this](Cf cf, const std::string& k) { return Get(cf, k); }, tid,
        &keys_);
    if (absl::IsDataLoss(key.status())) {
      Problem(absl::StrCat(who, ": term ", tid, ": ", key.status().message()));
      if (unreadable != nullptr) *unreadable = true;
      return std::optional<std::string>();
    }
    if (key.ok() && !*key && report_missing) {
      Problem(absl::StrCat(who, ": term ", tid,
                           " is neither in tid nor a statement"));
    }
    return key;
  }

  // The tid the dictionary gives `term_key`; 0 when it has none.
  // A statement's is found as a reader finds it (dictionary.h), and a
  // corrupt entry on the way is reported.
  absl::StatusOr<uint64_t> TidOf(absl::string_view term_key) {
    const std::string identity = TermIdentityKey(term_key);
    absl::StatusOr<uint64_t> tid = LookupTid(
        [this](Cf cf, const std::string& k) { return Get(cf, k); },
        [&](uint64_t holder) -> absl::StatusOr<bool> {
          KG_ASSIGN_OR_RETURN(
              std::optional<std::string> key,
              ReverseTermKey(
                  [this](Cf cf, const std::string& k) { return Get(cf, k); },
                  holder, &keys_));
          return key.has_value() && *key == identity;
        },
        identity, short_statement_keys_);
    if (absl::IsDataLoss(tid.status())) {
      Problem(absl::StrCat("term '", Printable(term_key),
                           "': ", tid.status().message()));
      return uint64_t{0};
    }
    return tid;
  }

  absl::Status CheckFormat() {
    KG_ASSIGN_OR_RETURN(std::optional<std::string> format,
                        Get(kDefaultCf, kFormatKey));
    absl::string_view in =
        format ? absl::string_view(*format) : absl::string_view();
    uint32_t version = 0;
    // An older format is read as it is (an offline check of a store no
    // newer kg has opened yet); a newer one is refused when opened.
    if (!format || !GetFixed32(&in, &version) || version == 0 ||
        version > kFormatVersion) {
      Problem("default: missing or wrong format version");
    }
    KG_ASSIGN_OR_RETURN(std::optional<std::string> parts,
                        Get(kDefaultCf, kFreshPartsKey));
    if (parts.has_value()) {
      Problem(
          "default: a fresh load in parts was cut off before its last part "
          "(kg-server --load); the store holds some of its parts until the "
          "next open rolls them back");
    }
    KG_ASSIGN_OR_RETURN(std::optional<std::string> short_keys,
                        Get(kDefaultCf, kShortStatementKeysKey));
    short_statement_keys_ = short_keys.has_value();
    KG_ASSIGN_OR_RETURN(std::optional<std::string> counters,
                        Get(kDefaultCf, kCountersKey));
    if (!counters || !DecodeCounters(*counters, &counters_)) {
      Problem("default: missing or corrupt counters");
      counters_valid_ = false;
    }
    return absl::OkStatus();
  }

  // term: term_key -> tid, and tid -> the same term_key.
  absl::Status CheckTerms() {
    return ForEach(
        kTermCf,
        [&](absl::string_view key, absl::string_view value) -> absl::Status {
          ++report_->terms;
          ++terms_;
          const std::string who = absl::StrCat("term '", Printable(key), "'");
          uint64_t tid = 0;
          if (!DecodeTidValue(value, &tid)) {
            Problem(absl::StrCat(who, ": value is not a tid"));
            return absl::OkStatus();
          }
          max_tid_ = std::max(max_tid_, tid);
          if (tid == 0) Problem(absl::StrCat(who, ": tid 0"));
          bool unreadable = false;
          KG_ASSIGN_OR_RETURN(
              std::optional<std::string> back,
              TermKeyOf(tid, who, /*report_missing=*/false, &unreadable));
          // A statement's short key (format 6) is the start of its whole
          // one.
          const bool short_statement_key =
              key.size() == 1 + kStatementShortHashBytes &&
              key[0] == static_cast<char>(TermTag::kStatement);
          if (!back) {
            if (!unreadable) {
              Problem(
                  absl::StrCat(who, ": tid ", tid, " has no reverse entry"));
            }
          } else if (short_statement_key ? !absl::StartsWith(*back, key)
                                         : TermIdentityKey(*back) != key) {
            // The reverse entry keeps a language tag as first written.
            Problem(absl::StrCat(who, ": tid ", tid, " maps back to '",
                                 Printable(*back), "'"));
          }
          TermTag tag;
          absl::string_view rest;
          if (!SplitTermKey(key, &tag, &rest)) {
            Problem(absl::StrCat(who, ": empty term key"));
            return absl::OkStatus();
          }
          // Entity, relation, document and statement terms are interned only
          // together with their record or row.
          switch (tag) {
            case TermTag::kEntity:
              return Expect(kEntityCf, rest, who, "entity");
            case TermTag::kRelation:
              return Expect(kRelationCf, rest, who, "relation");
            case TermTag::kDocument:
              return Expect(kDocumentCf, rest, who, "document");
            case TermTag::kStatement:
              if (rest.size() != kStatementHashBytes &&
                  rest.size() != kStatementShortHashBytes) {
                Problem(
                    absl::StrCat(who, ": statement hash is not 8 or 16 bytes"));
                return absl::OkStatus();
              }
              if (short_statement_keys_ && rest.size() == kStatementHashBytes) {
                // Lookups there stop at a missing short key.
                KG_ASSIGN_OR_RETURN(std::optional<std::string> holder,
                                    Get(kTermCf, ShortStatementTermKey(key)));
                if (!holder) {
                  Problem(absl::StrCat(
                      who,
                      ": a whole statement key whose short key is free, "
                      "in a store created with short keys only"));
                }
              }
              return Expect(kStmtCf, TidKey(tid), who, "statement row");
            case TermTag::kLiteral: {
              TermValue literal;
              if (rest.empty() || !DecodeTermKey(key, &literal)) {
                Problem(absl::StrCat(who, ": literal does not decode"));
              }
              return absl::OkStatus();
            }
            case TermTag::kIri:
              if (rest.empty()) Problem(absl::StrCat(who, ": empty IRI"));
              return absl::OkStatus();
            case TermTag::kBlank:
              if (rest.size() != kBlankIdBytes) {
                Problem(absl::StrCat(who, ": blank node id is not 16 bytes"));
              }
              return absl::OkStatus();
          }
          Problem(absl::StrCat(who, ": unknown term tag"));
          return absl::OkStatus();
        });
  }

  absl::Status Expect(Cf cf, absl::string_view key, absl::string_view who,
                      absl::string_view what) {
    KG_ASSIGN_OR_RETURN(std::optional<std::string> v, Get(cf, key));
    if (!v) Problem(absl::StrCat(who, ": no ", what, " record"));
    return absl::OkStatus();
  }

  // tid: every reverse entry has its forward entry.
  absl::Status CheckTids() {
    return ForEach(
        kTidCf,
        [&](absl::string_view key, absl::string_view value) -> absl::Status {
          ++report_->terms;
          uint64_t tid = 0;
          if (!DecodeTidKey(key, &tid)) {
            Problem(
                absl::StrCat("tid '", Printable(key), "': key is not a tid"));
            return absl::OkStatus();
          }
          max_tid_ = std::max(max_tid_, tid);
          KG_ASSIGN_OR_RETURN(uint64_t forward, TidOf(TermIdentityKey(value)));
          if (forward != tid) {
            Problem(absl::StrCat("tid ", tid, ": term '", Printable(value),
                                 "' is not in term or has tid ", forward));
          }
          return absl::OkStatus();
        });
  }

  // entity: decodes, its tid is its dictionary entry's, and each of its
  // names (id, label, aliases) is in the name index.
  absl::Status CheckEntities() {
    return ForEach(
        kEntityCf,
        [&](absl::string_view id, absl::string_view value) -> absl::Status {
          const std::string who = absl::StrCat("entity '", Printable(id), "'");
          EntityHistory history;
          uint64_t tid = 0;
          if (!DecodeEntityHistory(id, value, &tid, &history)) {
            Problem(absl::StrCat(who, ": corrupt record"));
            return absl::OkStatus();
          }
          // A merged or deleted entity keeps its tid and history, not its
          // names.
          const bool live = history.live();
          if (live) {
            ++report_->entities;
            ++entities_;
          }
          const Entity& e = history.current().entity;
          KG_ASSIGN_OR_RETURN(uint64_t term, TidOf(EntityTermKey(id)));
          if (term != tid) {
            Problem(absl::StrCat(who, ": record says tid ", tid,
                                 ", dictionary says ", term));
          }
          std::vector<std::string> names;
          if (live) names = {e.id, e.label};
          if (live)
            names.insert(names.end(), e.aliases.begin(), e.aliases.end());
          for (const std::string& name : names) {
            KG_ASSIGN_OR_RETURN(std::optional<std::string> v,
                                Get(kNameCf, NameKey(name, id)));
            if (!v) {
              Problem(absl::StrCat(who, ": name '", Printable(name),
                                   "' is not in the name index"));
            }
          }
          return absl::OkStatus();
        });
  }

  // name: every entry names an entity that has that name.
  absl::Status CheckNames() {
    return ForEach(
        kNameCf, [&](absl::string_view key, absl::string_view) -> absl::Status {
          ++report_->names;
          const std::string who = absl::StrCat("name '", Printable(key), "'");
          std::string name, id;
          if (!DecodeNameKey(key, &id, &name)) {
            Problem(absl::StrCat(who, ": no separator"));
            return absl::OkStatus();
          }
          KG_ASSIGN_OR_RETURN(std::optional<std::string> v, Get(kEntityCf, id));
          EntityHistory history;
          uint64_t tid;
          if (!v || !DecodeEntityHistory(id, *v, &tid, &history) ||
              !history.live()) {
            Problem(absl::StrCat(who, ": entity '", Printable(id),
                                 "' does not exist"));
            return absl::OkStatus();
          }
          const Entity& e = history.current().entity;
          bool has = LowerAscii(e.id) == name || LowerAscii(e.label) == name;
          for (const auto& a : e.aliases) has = has || LowerAscii(a) == name;
          if (!has) {
            Problem(absl::StrCat(who, ": entity '", Printable(id),
                                 "' has no such name"));
          }
          return absl::OkStatus();
        });
  }

  absl::Status CheckRelationsAndDocuments() {
    KG_RETURN_IF_ERROR(ForEach(
        kRelationCf,
        [&](absl::string_view id, absl::string_view value) -> absl::Status {
          ++report_->relations;
          ++relations_;
          Relation r;
          uint64_t tid = 0;
          const std::string who =
              absl::StrCat("relation '", Printable(id), "'");
          if (!DecodeRelation(id, value, &tid, &r)) {
            Problem(absl::StrCat(who, ": corrupt record"));
            return absl::OkStatus();
          }
          KG_ASSIGN_OR_RETURN(uint64_t term, TidOf(RelationTermKey(id)));
          if (term != tid) {
            Problem(absl::StrCat(who, ": record says tid ", tid,
                                 ", dictionary says ", term));
          }
          return absl::OkStatus();
        }));
    return ForEach(
        kDocumentCf,
        [&](absl::string_view id, absl::string_view value) -> absl::Status {
          ++report_->documents;
          ++documents_;
          Document d;
          uint64_t tid = 0;
          const std::string who =
              absl::StrCat("document '", Printable(id), "'");
          if (!DecodeDocument(id, value, /*include_text=*/false, &tid, &d)) {
            Problem(absl::StrCat(who, ": corrupt record"));
            return absl::OkStatus();
          }
          KG_ASSIGN_OR_RETURN(uint64_t term, TidOf(DocumentTermKey(id)));
          if (term != tid) {
            Problem(absl::StrCat(who, ": record says tid ", tid,
                                 ", dictionary says ", term));
          }
          return absl::OkStatus();
        });
  }

  // stmt: each row's parts exist with the right kinds, its id is the hash
  // of its content, its live count is its live provenance records, it is in
  // all three indexes exactly when live or quoted, and (afterwards) its
  // quoted count is the number of indexed statements quoting it.
  absl::Status CheckStatements() {
    std::unique_ptr<rocksdb::Iterator> prov(
        db_->NewIterator(ro_, cfs_[kProvCf]));
    KG_RETURN_IF_ERROR(ForEach(
        kStmtCf,
        [&](absl::string_view key, absl::string_view value) -> absl::Status {
          ++report_->statements;
          uint64_t tid = 0;
          if (!DecodeTidKey(key, &tid)) {
            Problem(
                absl::StrCat("stmt '", Printable(key), "': key is not a tid"));
            return absl::OkStatus();
          }
          StmtValue row;
          if (!DecodeStmt(value, &row)) {
            Problem(absl::StrCat("statement ", tid, ": corrupt row"));
            return absl::OkStatus();
          }
          KG_ASSIGN_OR_RETURN(std::optional<std::string> self,
                              TermKeyOf(tid, absl::StrCat("statement ", tid)));
          std::string who = absl::StrCat("statement ", tid);
          TermValue self_term;
          if (self && DecodeTermKey(*self, &self_term) &&
              self_term.kind == Term::Kind::kStatement) {
            who = absl::StrCat("statement ", self_term.id, " (tid ", tid, ")");
          } else if (self) {
            Problem(absl::StrCat(who, ": its term is not a statement"));
          }
          KG_ASSIGN_OR_RETURN(std::optional<std::string> s,
                              TermKeyOf(row.subject, who + " subject"));
          KG_ASSIGN_OR_RETURN(std::optional<std::string> p,
                              TermKeyOf(row.relation, who + " relation"));
          KG_ASSIGN_OR_RETURN(std::optional<std::string> o,
                              TermKeyOf(row.object, who + " object"));
          auto tag = [](const std::optional<std::string>& k) {
            TermTag t = static_cast<TermTag>(0);
            absl::string_view rest;
            if (k) SplitTermKey(*k, &t, &rest);
            return t;
          };
          const auto node = [&](const std::optional<std::string>& k) {
            return tag(k) == TermTag::kEntity ||
                   tag(k) == TermTag::kStatement || tag(k) == TermTag::kIri ||
                   tag(k) == TermTag::kBlank;
          };
          if (s && !node(s)) {
            Problem(who +
                    ": subject is not an entity, IRI, blank node or statement");
          }
          if (p && tag(p) != TermTag::kRelation && tag(p) != TermTag::kIri) {
            Problem(who + ": relation is not a relation or an IRI");
          }
          if (o && !node(o) && tag(o) != TermTag::kLiteral) {
            Problem(who +
                    ": object is not an entity, IRI, blank node, "
                    "literal or statement");
          }
          std::string relation_id;
          if (self && s && p && o && DecodePredicateTermKey(*p, &relation_id) &&
              StatementTermKey(StatementHash(TermIdentityKey(*s), relation_id,
                                             TermIdentityKey(*o))) != *self) {
            Problem(who + ": id is not the hash of its content");
          }
          // A statement without a reverse entry (format 6) is named by its
          // content's hash: the dictionary must map that hash back to it.
          if (self) {
            KG_ASSIGN_OR_RETURN(uint64_t forward, TidOf(*self));
            if (forward == 0) {
              Problem(who +
                      ": id is not the hash of its content: the dictionary has "
                      "no term with its content's hash");
            } else if (forward != tid) {
              Problem(absl::StrCat(who,
                                   ": id is not the hash of its content (the "
                                   "dictionary gives that hash tid ",
                                   forward, ")"));
            }
          }

          // Live provenance records of this statement.
          const std::string prefix = ProvPrefix(tid);
          uint32_t live = 0;
          for (prov->Seek(prefix);
               prov->Valid() && prov->key().starts_with(prefix); prov->Next()) {
            ProvValue pv;
            if (DecodeProv(View(prov->value()), &pv) && !pv.retracted_micros) {
              ++live;
            }
          }
          KG_RETURN_IF_ERROR(FromRocksDb(prov->status(), "verify: scan"));
          if (row.shared != 0) {
            // Its document's shared record, live, under a key no record of
            // its own has.
            ++report_->provenance_records;
            ++live_provenance_;
            ++live;
            auto cached = shared_records_.find(row.shared);
            if (cached == shared_records_.end()) {
              KG_ASSIGN_OR_RETURN(std::optional<std::string> value,
                                  Get(kProvCf, SharedRecordKey(row.shared)));
              std::optional<SharedRecord> record;
              if (value && !DecodeSharedRecord(*value, &record.emplace())) {
                record.reset();
              }
              cached = shared_records_.emplace(row.shared, record).first;
            }
            if (!cached->second) {
              Problem(absl::StrCat(who, ": document ", row.shared,
                                   " has no shared record, or a corrupt one"));
            } else {
              const SharedRecord& shared = *cached->second;
              if (tid < shared.first || tid > shared.last) {
                Problem(absl::StrCat(who, ": outside the bounds of document ",
                                     row.shared, "'s shared record"));
              }
              KG_ASSIGN_OR_RETURN(
                  std::optional<std::string> own,
                  Get(kProvCf,
                      ProvKey(tid, row.shared, 0, 0, shared.recorded_micros)));
              if (own) {
                Problem(absl::StrCat(who,
                                     ": a record of its own has the key of "
                                     "its shared record"));
              }
            }
          }
          if (live != row.live) {
            Problem(absl::StrCat(who, ": row counts ", row.live,
                                 " live provenance records, prov holds ",
                                 live));
          }
          if (row.quoted > 0) recorded_quoted_[tid] = row.quoted;

          // The three index entries, present exactly when indexed.
          const std::string keys[3] = {
              IndexKey(row.subject, row.relation, row.object),
              IndexKey(row.relation, row.object, row.subject),
              IndexKey(row.object, row.subject, row.relation)};
          const Cf index[3] = {kSpoCf, kPosCf, kOspCf};
          for (int i = 0; i < 3; ++i) {
            KG_ASSIGN_OR_RETURN(std::optional<std::string> entry,
                                Get(index[i], keys[i]));
            if (row.indexed() && !entry) {
              Problem(absl::StrCat(who, ": missing from ", kCfNames[index[i]]));
            } else if (row.indexed() &&
                       absl::string_view(*entry).substr(0, 8) != TidKey(tid)) {
              Problem(absl::StrCat(who, ": ", kCfNames[index[i]],
                                   " entry names another statement"));
            } else if (!row.indexed() && entry &&
                       absl::string_view(*entry).substr(0, 8) == TidKey(tid)) {
              Problem(absl::StrCat(who, ": neither live nor quoted, yet in ",
                                   kCfNames[index[i]]));
            }
          }
          if (!row.indexed()) return absl::OkStatus();
          ++indexed_;
          // An indexed statement holds each statement it quotes, once.
          if (tag(s) == TermTag::kStatement) ++computed_quoted_[row.subject];
          if (tag(o) == TermTag::kStatement && row.object != row.subject) {
            ++computed_quoted_[row.object];
          }
          return absl::OkStatus();
        }));
    for (const auto& [tid, n] : computed_quoted_) {
      auto it = recorded_quoted_.find(tid);
      const uint32_t recorded = it == recorded_quoted_.end() ? 0 : it->second;
      if (recorded != n) {
        Problem(absl::StrCat("statement ", tid, ": row says quoted by ",
                             recorded, ", indexed statements quoting it: ", n));
      }
    }
    for (const auto& [tid, n] : recorded_quoted_) {
      if (!computed_quoted_.contains(tid)) {
        Problem(absl::StrCat("statement ", tid, ": row says quoted by ", n,
                             ", no indexed statement quotes it"));
      }
    }
    return absl::OkStatus();
  }

  // spo/pos/osp: every entry belongs to an indexed statement row whose
  // parts are the entry's key in that index's order.
  absl::Status CheckIndex(Cf cf) {
    uint64_t entries = 0;
    KG_RETURN_IF_ERROR(ForEach(
        cf,
        [&](absl::string_view key, absl::string_view value) -> absl::Status {
          ++report_->index_entries;
          ++entries;
          const std::string who =
              absl::StrCat(kCfNames[cf], " '", Printable(key), "'");
          IndexEntry entry;
          if (!DecodeIndexEntry(key, value, &entry)) {
            Problem(who + ": malformed entry");
            return absl::OkStatus();
          }
          const uint64_t a = entry.a, b = entry.b, c = entry.c;
          const uint64_t stmt = entry.stmt;
          uint64_t s = a, p = b, o = c;
          if (cf == kPosCf) p = a, o = b, s = c;
          if (cf == kOspCf) o = a, s = b, p = c;
          KG_ASSIGN_OR_RETURN(std::optional<std::string> v,
                              Get(kStmtCf, TidKey(stmt)));
          StmtValue row;
          if (!v || !DecodeStmt(*v, &row)) {
            Problem(absl::StrCat(who, ": statement ", stmt, " has no row"));
          } else if (row.subject != s || row.relation != p || row.object != o) {
            Problem(
                absl::StrCat(who, ": statement ", stmt, " has other parts"));
          } else if (!row.indexed()) {
            Problem(absl::StrCat(who, ": statement ", stmt,
                                 " is neither live nor quoted"));
          } else if (entry.asserted.has_value() &&
                     *entry.asserted != (row.live > 0)) {
            Problem(absl::StrCat(who, ": statement ", stmt, " is marked ",
                                 *entry.asserted ? "asserted" : "quoted only",
                                 " but has ", row.live, " live records"));
          }
          return absl::OkStatus();
        }));
    index_entries_[cf] = entries;
    return absl::OkStatus();
  }

  // prov: the statement and the document exist, and the by-document index
  // holds the record.
  absl::Status CheckProvenance() {
    return ForEach(
        kProvCf,
        [&](absl::string_view key, absl::string_view value) -> absl::Status {
          uint64_t shared_doc;
          if (DecodeSharedRecordKey(key, &shared_doc)) {
            SharedRecord shared;
            if (!DecodeSharedRecord(value, &shared)) {
              Problem(absl::StrCat("shared provenance record of document ",
                                   shared_doc, ": corrupt value"));
            }
            KG_ASSIGN_OR_RETURN(std::optional<std::string> doc,
                                Get(kTidCf, TidKey(shared_doc)));
            const std::string doc_key = doc.value_or(std::string());
            if (doc_key.empty() ||
                doc_key[0] != static_cast<char>(TermTag::kDocument)) {
              Problem(absl::StrCat("shared provenance record of document ",
                                   shared_doc,
                                   ": the document does not exist"));
            }
            return absl::OkStatus();
          }
          ++report_->provenance_records;
          ProvKeyParts k;
          if (!DecodeProvKey(key, &k)) {
            Problem(absl::StrCat("prov '", Printable(key), "': malformed key"));
            return absl::OkStatus();
          }
          const std::string who =
              absl::StrCat("provenance record of statement ", k.stmt,
                           " from document ", k.doc, " at [", k.start, ", ",
                           k.end, ") recorded ", k.recorded_micros);
          ProvValue pv;
          if (!DecodeProv(value, &pv)) {
            Problem(who + ": corrupt value");
          } else if (!pv.retracted_micros) {
            ++live_provenance_;
          }
          KG_ASSIGN_OR_RETURN(std::optional<std::string> row,
                              Get(kStmtCf, TidKey(k.stmt)));
          if (!row) Problem(who + ": the statement does not exist");
          KG_ASSIGN_OR_RETURN(std::optional<std::string> doc,
                              Get(kTidCf, TidKey(k.doc)));
          if (!doc || doc->empty() ||
              (*doc)[0] != static_cast<char>(TermTag::kDocument)) {
            Problem(who + ": the document does not exist");
          }
          KG_ASSIGN_OR_RETURN(
              std::optional<std::string> mirror,
              Get(kDocProvCf, DocProvKey(k.doc, k.start, k.end, k.stmt,
                                         k.recorded_micros)));
          if (!mirror) Problem(who + ": missing from doc_prov");
          return absl::OkStatus();
        });
  }

  // doc_prov: every entry has its provenance record.
  absl::Status CheckDocProvenance() {
    return ForEach(
        kDocProvCf,
        [&](absl::string_view key, absl::string_view) -> absl::Status {
          ++report_->document_provenance;
          ProvKeyParts k;
          if (!DecodeDocProvKey(key, &k)) {
            Problem(
                absl::StrCat("doc_prov '", Printable(key), "': malformed key"));
            return absl::OkStatus();
          }
          KG_ASSIGN_OR_RETURN(std::optional<std::string> record,
                              Get(kProvCf, ProvKey(k.stmt, k.doc, k.start,
                                                   k.end, k.recorded_micros)));
          if (!record) {
            Problem(absl::StrCat("doc_prov entry of statement ", k.stmt,
                                 " from document ", k.doc, " at [", k.start,
                                 ", ", k.end, ") has no provenance record"));
          }
          return absl::OkStatus();
        });
  }

  // Calls fn(key, value) for every entry of `cf` that starts with `prefix`.
  template <typename Fn>
  absl::Status ForEachWithPrefix(Cf cf, absl::string_view prefix, Fn fn) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(scan_ro_, cfs_[cf]));
    const rocksdb::Slice start(prefix.data(), prefix.size());
    uint64_t seen = 0;
    for (it->Seek(start); it->Valid() && it->key().starts_with(start);
         it->Next()) {
      if (++seen % 4096 == 0 && should_stop_ && should_stop_()) {
        return absl::CancelledError("verify: stopped before the end");
      }
      KG_RETURN_IF_ERROR(fn(View(it->key()), View(it->value())));
    }
    if (it->status().IsCorruption()) {
      Problem(absl::StrCat(kCfNames[cf], ": scan stopped by corruption (",
                           it->status().ToString(), ")"));
      return absl::OkStatus();
    }
    return FromRocksDb(it->status(), "verify: scan");
  }

  // VerifyReport::content_sha256: every entry of every family, in family
  // then key order, each as (family, key, value) with lengths, except the
  // default family's entries that are this store's own rather than what
  // it holds: its page token key (drawn when it was created) and its log
  // position.
  absl::Status DigestContent() {
    Sha256Stream digest;
    std::string entry;
    for (int cf = 0; cf < kNumCfs; ++cf) {
      KG_RETURN_IF_ERROR(
          ForEach(static_cast<Cf>(cf),
                  [&](absl::string_view key, absl::string_view value) {
                    if (cf == kDefaultCf &&
                        (key == kPageTokenKeyKey || key == kLogPositionKey)) {
                      return absl::OkStatus();
                    }
                    entry.clear();
                    PutVarint32(&entry, static_cast<uint32_t>(cf));
                    PutLengthPrefixed(&entry, key);
                    PutLengthPrefixed(&entry, value);
                    digest.Update(entry);
                    return absl::OkStatus();
                  }));
    }
    report_->content_sha256 = absl::BytesToHexString(digest.Finish());
    return absl::OkStatus();
  }

  // The contested index (format 5) against the claims in the indexes.
  absl::Status CheckContested() {
    KG_ASSIGN_OR_RETURN(std::optional<std::string> built,
                        Get(kDefaultCf, kContestedBuiltKey));
    if (!built) return absl::OkStatus();  // older; built on the next open
    // Each statement's asserted claimants, by side.
    struct Sides {
      absl::flat_hash_set<uint64_t> supporting, opposing;
    };
    absl::flat_hash_map<uint64_t, Sides> claimed;
    KG_RETURN_IF_ERROR(ForEach(
        kRelationCf,
        [&](absl::string_view id, absl::string_view value) -> absl::Status {
          Relation r;
          uint64_t tid = 0;
          if (!DecodeRelation(id, value, &tid, &r) ||
              r.polarity == Polarity::kNone) {
            return absl::OkStatus();  // CheckRelationsAndDocuments reports
          }
          return ForEachWithPrefix(
              kPosCf, IndexPrefix({tid}),
              [&](absl::string_view key, absl::string_view v) -> absl::Status {
                IndexEntry e;  // p o s
                if (!DecodeIndexEntry(key, v, &e)) return absl::OkStatus();
                bool asserted = e.asserted.value_or(false);
                if (!e.asserted) {
                  KG_ASSIGN_OR_RETURN(std::optional<std::string> row,
                                      Get(kStmtCf, TidKey(e.stmt)));
                  StmtValue st;
                  asserted = row && DecodeStmt(*row, &st) && st.live > 0;
                }
                if (!asserted) return absl::OkStatus();
                Sides& sides = claimed[e.b];
                (r.polarity == Polarity::kSupports ? sides.supporting
                                                   : sides.opposing)
                    .insert(e.c);
                return absl::OkStatus();
              });
        }));
    absl::flat_hash_map<uint64_t, ContestedFigures> expected;
    for (const auto& [stmt, sides] : claimed) {
      if (sides.supporting.empty() || sides.opposing.empty()) continue;
      // Claims about an entity or a literal contest nothing.
      KG_ASSIGN_OR_RETURN(std::optional<std::string> row,
                          Get(kStmtCf, TidKey(stmt)));
      if (!row) continue;
      ContestedFigures f;
      f.supporting = static_cast<uint32_t>(sides.supporting.size());
      f.opposing = static_cast<uint32_t>(sides.opposing.size());
      f.distinct = f.supporting;
      for (uint64_t c : sides.opposing) {
        f.distinct += sides.supporting.contains(c) ? 0 : 1;
      }
      expected.emplace(stmt, f);
    }
    // By statement.
    size_t listed = 0;
    KG_RETURN_IF_ERROR(ForEachWithPrefix(
        kDefaultCf, ContestedStatementPrefix(),
        [&](absl::string_view key, absl::string_view value) -> absl::Status {
          ++listed;
          uint64_t stmt = 0;
          ContestedFigures f;
          std::string hash;
          if (!DecodeContestedStatementKey(key, &stmt) ||
              !DecodeContestedStatementValue(value, &f, &hash)) {
            Problem(
                absl::StrCat("contested: malformed entry ", Printable(key)));
            return absl::OkStatus();
          }
          auto want = expected.find(stmt);
          if (want == expected.end()) {
            Problem(absl::StrCat("contested: statement ", stmt,
                                 " is listed but is not contested"));
            return absl::OkStatus();
          }
          if (!(want->second == f)) {
            Problem(absl::StrCat(
                "contested: statement ", stmt, " is listed with ", f.supporting,
                " supporting, ", f.opposing, " opposing, ", f.distinct,
                " distinct claimants; its claims say ", want->second.supporting,
                ", ", want->second.opposing, ", ", want->second.distinct));
          }
          KG_ASSIGN_OR_RETURN(std::optional<std::string> term,
                              TermKeyOf(stmt, "contested"));
          if (!term || *term != StatementTermKey(hash)) {
            Problem(absl::StrCat("contested: statement ", stmt,
                                 " is listed under another hash"));
          }
          KG_ASSIGN_OR_RETURN(
              std::optional<std::string> rank,
              Get(kDefaultCf, ContestedRankKey(f.distinct, hash)));
          if (!rank || *rank != ContestedRankValue(stmt, f)) {
            Problem(absl::StrCat("contested: statement ", stmt,
                                 " is missing from the ranking"));
          }
          return absl::OkStatus();
        }));
    for (const auto& [stmt, f] : expected) {
      KG_ASSIGN_OR_RETURN(std::optional<std::string> listed_value,
                          Get(kDefaultCf, ContestedStatementKey(stmt)));
      if (!listed_value) {
        Problem(absl::StrCat("contested: statement ", stmt,
                             " is contested but not listed"));
      }
    }
    size_t ranked = 0;
    KG_RETURN_IF_ERROR(ForEachWithPrefix(
        kDefaultCf, ContestedRankPrefix(),
        [&](absl::string_view, absl::string_view) -> absl::Status {
          ++ranked;
          return absl::OkStatus();
        }));
    if (ranked != listed) {
      Problem(absl::StrCat("contested: ", ranked, " ranking entries for ",
                           listed, " listed statements"));
    }
    return absl::OkStatus();
  }

  void CheckCounters() {
    if (!counters_valid_) return;
    auto expect = [&](const char* what, uint64_t counted, uint64_t stored) {
      if (counted != stored) {
        Problem(absl::StrCat("counters: ", what, " is ", stored, ", counted ",
                             counted));
      }
    };
    expect("entities", entities_, counters_.entities);
    expect("relations", relations_, counters_.relations);
    expect("documents", documents_, counters_.documents);
    expect("terms", terms_, counters_.terms);
    expect("statements", indexed_, counters_.statements);
    expect("provenance", live_provenance_, counters_.provenance);
    for (Cf cf : {kSpoCf, kPosCf, kOspCf}) {
      expect(kCfNames[cf], index_entries_[cf], counters_.statements);
    }
    if (max_tid_ >= counters_.next_tid) {
      Problem(absl::StrCat("counters: next tid ", counters_.next_tid,
                           " is not above the largest tid in use, ", max_tid_));
    }
  }

  rocksdb::DB* db_;
  const std::vector<rocksdb::ColumnFamilyHandle*>& cfs_;
  VerifyReport* report_;
  const std::function<bool()>& should_stop_;
  rocksdb::ReadOptions ro_;       // point lookups
  rocksdb::ReadOptions scan_ro_;  // full scans

  Counters counters_;
  bool counters_valid_ = true;
  uint64_t max_tid_ = 0;
  TermKeyCache keys_;                  // dictionary.h; see TermKeyOf
  bool short_statement_keys_ = false;  // kShortStatementKeysKey
  uint64_t terms_ = 0, entities_ = 0, relations_ = 0, documents_ = 0;
  uint64_t indexed_ = 0, live_provenance_ = 0;
  // Shared records by document, as read (nullopt: missing or corrupt).
  absl::flat_hash_map<uint64_t, std::optional<SharedRecord>> shared_records_;
  uint64_t index_entries_[kNumCfs] = {};
  absl::flat_hash_map<uint64_t, uint32_t> recorded_quoted_;
  absl::flat_hash_map<uint64_t, uint32_t> computed_quoted_;
};

}  // namespace

absl::Status VerifyDatabase(
    rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
    const rocksdb::Snapshot* snapshot, VerifyReport* report,
    const std::function<bool()>& should_stop) {
  if (should_stop && should_stop()) {
    return absl::CancelledError("verify: stopped before the start");
  }
  rocksdb::Status s = db->VerifyChecksum();
  if (s.IsCorruption()) {
    report->AddProblem(absl::StrCat("checksums: ", s.ToString()));
  } else if (!s.ok()) {
    return FromRocksDb(s, "verify checksums");
  }
  return Verifier(db, cfs, snapshot, report, should_stop).Run();
}

}  // namespace kg::storage
