#include "storage/write_txn.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/echo.h"
#include "storage/coding.h"
#include "storage/dictionary.h"
#include "storage/quote.h"
#include "storage/rocksdb_status.h"
#include "storage/sha256.h"
#include "storage/status_macros.h"
#include "storage/validate.h"

namespace kg::storage {

namespace {

absl::Status NotFound(absl::string_view field, absl::string_view what) {
  return absl::NotFoundError(absl::StrCat(field, ": ", what));
}

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

bool SameProvenance(const ProvValue& stored, const ProvenanceInput& in) {
  return stored.hedge == in.hedge && stored.confidence == in.confidence &&
         stored.valid_time == in.valid_time && stored.evidence == in.evidence;
}

// What a record says beyond its identity (statement, document, span).
bool SameRecordContent(const ProvenanceInput& a, const ProvenanceInput& b) {
  return a.hedge == b.hedge && a.confidence == b.confidence &&
         a.valid_time == b.valid_time && a.evidence == b.evidence;
}

// The one rule for an item a batch holds twice: the repeat must be
// identical (then it is skipped); else this error, naming both.
absl::Status Repeated(absl::string_view field, absl::string_view first,
                      absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": duplicates ", first, " with other content (", what,
                   "); a write may repeat an item only unchanged"));
}

// A write given in parts: `item`, with id `id`, at `field`, against what
// the earlier parts gave under that id (`given`, which now remembers it).
// True for an identical repeat, to be skipped; false for a new id; an error
// for a repeat with other content.
template <typename T>
absl::StatusOr<bool> RepeatsEarlierPart(
    absl::flat_hash_map<std::string, std::pair<std::string, T>>& given,
    const std::string& id, const std::string& field, const T& item) {
  const auto [earlier, first] = given.try_emplace(id, field, item);
  if (first) return false;
  if (earlier->second.second == item) return true;
  return Repeated(field, earlier->second.first,
                  absl::StrCat("id '", EchoValue(id), "'"));
}

// SHA-256 of `bytes`, as bytes.
std::string DigestOf(absl::string_view bytes) {
  const std::array<unsigned char, 32> digest = Sha256(bytes);
  return std::string(digest.begin(), digest.end());
}

}  // namespace

std::string BlankNodeId(absl::string_view scope, absl::string_view label) {
  std::string input(scope);
  input.push_back('\0');
  input.append(label.data(), label.size());
  const std::array<unsigned char, 32> digest = Sha256(input);
  return std::string(reinterpret_cast<const char*>(digest.data()),
                     kBlankIdBytes);
}

const Term& CanonicalIri(const Term& term, absl::string_view base, Term* made) {
  if (term.kind() != Term::Kind::kIri || base.empty() ||
      !absl::StartsWith(term.id(), base)) {
    return term;
  }
  absl::string_view rest = absl::string_view(term.id()).substr(base.size());
  if (absl::ConsumePrefix(&rest, "entity/") && ValidateId("", rest).ok()) {
    return *made = Term::Entity(std::string(rest));
  }
  rest = absl::string_view(term.id()).substr(base.size());
  if (absl::ConsumePrefix(&rest, "statement/") && HashFromStatementId(rest)) {
    return *made = Term::StatementId(std::string(rest));
  }
  return term;
}

std::string CanonicalPredicate(absl::string_view relation,
                               absl::string_view base) {
  absl::string_view rest = relation;
  if (!base.empty() && absl::ConsumePrefix(&rest, base) &&
      absl::ConsumePrefix(&rest, "relation/") && ValidateId("", rest).ok()) {
    return std::string(rest);
  }
  return std::string(relation);
}

std::string CanonicalTermKey(const Term& in, absl::string_view base,
                             absl::string_view blank_scope) {
  Term made;
  const Term& term = CanonicalIri(in, base, &made);
  switch (term.kind()) {
    case Term::Kind::kEntity:
      return EntityTermKey(term.id());
    case Term::Kind::kLiteral: {
      absl::StatusOr<Literal> lit = CanonicalLiteral("", term.literal());
      return TermIdentityKey(LiteralTermKey(lit.ok() ? *lit : term.literal()));
    }
    case Term::Kind::kIri:
      return IriTermKey(term.id());
    case Term::Kind::kBlank: {
      if (blank_scope.empty()) {
        std::optional<std::string> bytes = BlankBytesFromId(term.id());
        return BlankTermKey(bytes ? *bytes : term.id());
      }
      return BlankTermKey(BlankNodeId(blank_scope, term.id()));
    }
    case Term::Kind::kStatement:
      if (term.triple() == nullptr) {
        std::optional<std::string> hash = HashFromStatementId(term.id());
        return StatementTermKey(hash ? *hash : term.id());
      }
      return StatementTermKey(StatementHash(
          CanonicalTermKey(term.triple()->subject, base, blank_scope),
          CanonicalPredicate(term.triple()->relation, base),
          CanonicalTermKey(term.triple()->object, base, blank_scope)));
  }
  return "";
}

std::string StatementIdOf(const Triple& triple, absl::string_view base_iri) {
  return StatementIdFromHash(
      StatementHash(CanonicalTermKey(triple.subject, base_iri, ""),
                    CanonicalPredicate(triple.relation, base_iri),
                    CanonicalTermKey(triple.object, base_iri, "")));
}

WriteTxn::WriteTxn(rocksdb::DB* db,
                   const std::vector<rocksdb::ColumnFamilyHandle*>* cfs,
                   const Counters& counters, int64_t now_micros,
                   const std::vector<CfChanges>* base,
                   absl::string_view base_iri)
    : db_(db),
      cfs_(cfs),
      base_(base),
      base_iri_(base_iri),
      counters_(counters),
      stored_only_defaults_(counters.next_tid == 1),
      now_micros_(now_micros),
      overlay_(kNumCfs),
      read_cache_(kNumCfs) {}

absl::string_view PendingChanges::Keep(absl::string_view bytes) {
  if (bytes.size() > free_bytes_) {
    // Blocks double up to 4 MiB, so a small write keeps little memory and
    // a large one takes huge pages.
    const size_t size = std::max(bytes.size(), next_block_bytes_);
    next_block_bytes_ =
        std::min<size_t>(next_block_bytes_ * 2, 2 * kHugePageBytes);
    std::unique_ptr<char[], BlockDeleter> block(
        HugePageAllocator<char>().allocate(size), BlockDeleter{size});
    blocks_.push_back(std::move(block));
    free_ = blocks_.back().get();
    free_bytes_ = size;
  }
  if (!bytes.empty()) std::memcpy(free_, bytes.data(), bytes.size());
  const absl::string_view kept(free_, bytes.size());
  free_ += bytes.size();
  free_bytes_ -= bytes.size();
  return kept;
}

void PendingChanges::Set(absl::string_view key,
                         std::optional<absl::string_view> value) {
  if (value) value = Keep(*value);
  if (!indexed_) {
    log_.push_back({Keep(key), value});
    return;
  }
  auto it = values_.find(key);
  if (it != values_.end()) {
    it->second = value;
    return;
  }
  key = Keep(key);
  values_.emplace(key, value);
  unordered_.push_back(key);
}

void PendingChanges::Reserve(size_t n) {
  // At least doubling: a write given in parts reserves for each part, and
  // growing by exactly a part each time would copy everything every time.
  if (indexed_) {
    // (A hash table's capacity counts slots, some always empty: doubling
    // is by size.)
    if (values_.size() + n > values_.capacity()) {
      values_.reserve(std::max(values_.size() + n, 2 * values_.size()));
    }
  } else {
    if (log_.size() + n > log_.capacity()) {
      log_.reserve(std::max(log_.size() + n, 2 * log_.capacity()));
    }
  }
}

void PendingChanges::Index() {
  if (indexed_) return;
  indexed_ = true;
  values_.reserve(log_.capacity());
  for (const Change& change : log_) {
    auto [it, inserted] = values_.insert_or_assign(change.key, change.value);
    if (inserted) unordered_.push_back(change.key);
  }
  decltype(log_)().swap(log_);  // its memory too
}

std::optional<PendingChanges::Change> PendingChanges::Find(
    absl::string_view key) {
  Index();
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return Change{it->first, it->second};
}

void PendingChanges::Order() {
  if (unordered_.empty()) return;
  std::sort(unordered_.begin(), unordered_.end());
  auto hint = ordered_.end();
  for (absl::string_view key : unordered_) {
    hint = ordered_.insert(hint, key);
    ++hint;
  }
  unordered_.clear();
}

std::vector<PendingChanges::Change> PendingChanges::WithPrefix(
    absl::string_view prefix) {
  Index();
  Order();
  std::vector<Change> out;
  for (auto it = ordered_.lower_bound(prefix);
       it != ordered_.end() && absl::StartsWith(*it, prefix); ++it) {
    out.push_back({*it, values_.find(*it)->second});
  }
  return out;
}

PendingChanges::Changes PendingChanges::Sorted() {
  if (!indexed_) {
    // Stable, so that of two changes to one key the later comes last and
    // is the one kept.
    std::stable_sort(
        log_.begin(), log_.end(),
        [](const Change& a, const Change& b) { return a.key < b.key; });
    Changes out;
    out.reserve(log_.size());
    for (const Change& change : log_) {
      if (!out.empty() && out.back().key == change.key) out.pop_back();
      out.push_back(change);
    }
    return out;
  }
  // The keys not yet ordered are sorted and merged with the ordered ones,
  // not inserted into ordered_: a load's output is its only ordered read.
  std::sort(unordered_.begin(), unordered_.end());
  Changes out;
  out.reserve(ordered_.size() + unordered_.size());
  auto o = ordered_.begin();
  auto u = unordered_.begin();
  while (o != ordered_.end() || u != unordered_.end()) {
    const absl::string_view key =
        u == unordered_.end() || (o != ordered_.end() && *o < *u) ? *o++ : *u++;
    out.push_back({key, values_.find(key)->second});
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> WriteTxn::Get(
    Cf cf, const std::string& key) {
  if (std::optional<PendingChanges::Change> own = overlay_[cf].Find(key)) {
    if (!own->value) return std::nullopt;
    return std::string(*own->value);
  }
  return GetStored(cf, key);
}

absl::StatusOr<std::optional<std::string>> WriteTxn::GetStored(
    Cf cf, const std::string& key) {
  if (base_ != nullptr) {
    auto b = (*base_)[cf].find(key);
    if (b != (*base_)[cf].end()) return b->second;
  }
  // A store that never had a term holds nothing but its default family:
  // a load into a new store reads no misses from RocksDB, nor caches them.
  if (stored_only_defaults_ && cf != kDefaultCf) return std::nullopt;
  auto cached = read_cache_[cf].find(key);
  if (cached != read_cache_[cf].end()) return cached->second;
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), (*cfs_)[cf], key, &value);
  std::optional<std::string> result;
  if (s.ok()) {
    result = std::move(value);
  } else if (!s.IsNotFound()) {
    return FromRocksDb(s, "read");
  }
  read_cache_[cf].emplace(key, result);
  return result;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> WriteTxn::Scan(
    Cf cf, const std::string& prefix, bool overlay_only) {
  KG_ASSIGN_OR_RETURN(KeyValues merged, ScanStored(cf, prefix, overlay_only));
  for (const PendingChanges::Change& change : overlay_[cf].WithPrefix(prefix)) {
    if (change.value) {
      merged[std::string(change.key)] = std::string(*change.value);
    } else {
      merged.erase(std::string(change.key));
    }
  }
  return std::vector<std::pair<std::string, std::string>>(merged.begin(),
                                                          merged.end());
}

absl::StatusOr<WriteTxn::KeyValues> WriteTxn::ScanStored(
    Cf cf, const std::string& prefix, bool skip_database) {
  KeyValues merged;
  const std::string upper = PrefixSuccessor(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
  if (!skip_database && !(stored_only_defaults_ && cf != kDefaultCf)) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, (*cfs_)[cf]));
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      merged.emplace(it->key().ToString(), it->value().ToString());
    }
    if (!it->status().ok()) return FromRocksDb(it->status(), "scan");
  }
  // The group's earlier transactions first, then this one's changes.
  const auto apply = [&merged](const std::string& key,
                               const std::optional<std::string>& value) {
    if (value) {
      merged[key] = *value;
    } else {
      merged.erase(key);
    }
  };
  if (base_ != nullptr) {
    const CfChanges& changes = (*base_)[cf];
    for (auto o = changes.lower_bound(prefix);
         o != changes.end() && absl::StartsWith(o->first, prefix); ++o) {
      apply(o->first, o->second);
    }
  }
  return merged;
}

void WriteTxn::Put(Cf cf, std::string key, std::string value) {
  overlay_[cf].Set(key, absl::string_view(value));
}

void WriteTxn::Delete(Cf cf, std::string key) {
  overlay_[cf].Set(key, std::nullopt);
}

absl::StatusOr<std::optional<std::string>> WriteTxn::ReverseKey(uint64_t tid) {
  return ReverseTermKey(
      [this](Cf cf, const std::string& key) { return Get(cf, key); }, tid);
}

absl::StatusOr<uint64_t> WriteTxn::LookupTid(const std::string& term_key,
                                             const StmtValue* content) {
  if (!short_statement_keys_.has_value()) {
    KG_ASSIGN_OR_RETURN(std::optional<std::string> flag,
                        GetStored(kDefaultCf, kShortStatementKeysKey));
    short_statement_keys_ = flag.has_value();
  }
  const bool short_statement_keys = *short_statement_keys_;
  return storage::LookupTid(
      [this](Cf cf, const std::string& key) { return Get(cf, key); },
      [&](uint64_t holder) -> absl::StatusOr<bool> {
        if (content != nullptr) {
          // The same parts are the same statement: one row read, where
          // deriving the holder's key would read its parts' too.
          KG_ASSIGN_OR_RETURN(StmtValue row, LoadStmt(holder));
          return row.subject == content->subject &&
                 row.relation == content->relation &&
                 row.object == content->object;
        }
        KG_ASSIGN_OR_RETURN(std::optional<std::string> key, ReverseKey(holder));
        return key.has_value() && *key == TermIdentityKey(term_key);
      },
      term_key, short_statement_keys);
}

absl::StatusOr<uint64_t> WriteTxn::InternTerm(const std::string& term_key) {
  KG_ASSIGN_OR_RETURN(uint64_t tid, LookupTid(term_key));
  if (tid != 0) return tid;
  return AddTerm(term_key);
}

absl::StatusOr<uint64_t> WriteTxn::AddTerm(const std::string& term_key) {
  const uint64_t tid = counters_.next_tid++;
  ++counters_.terms;
  // The dictionary is keyed by identity (a language tag ignoring case); the
  // reverse dictionary keeps the term as first written, except a
  // statement's, which its statement row implies (dictionary.h).
  KG_ASSIGN_OR_RETURN(std::string key, NewTermFamilyKey(
                                           [this](Cf cf, const std::string& k) {
                                             return Get(cf, k);
                                           },
                                           term_key));
  Put(kTermCf, std::move(key), TidValue(tid));
  if (term_key.empty() ||
      term_key[0] != static_cast<char>(TermTag::kStatement)) {
    Put(kTidCf, TidKey(tid), term_key);
  }
  return tid;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
WriteTxn::ScanUpTo(Cf cf, const std::string& prefix, size_t n) {
  // The overlay layers under the prefix, this transaction's last.
  absl::btree_map<std::string, std::optional<std::string>> changed;
  if (base_ != nullptr) {
    const CfChanges& changes = (*base_)[cf];
    for (auto o = changes.lower_bound(prefix);
         o != changes.end() && absl::StartsWith(o->first, prefix); ++o) {
      changed[o->first] = o->second;
    }
  }
  for (const PendingChanges::Change& change : overlay_[cf].WithPrefix(prefix)) {
    changed[std::string(change.key)] =
        change.value ? std::optional<std::string>(*change.value) : std::nullopt;
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, value] : changed) {
    if (out.size() == n) return out;
    if (value) out.emplace_back(key, *value);
  }
  const std::string upper = PrefixSuccessor(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, (*cfs_)[cf]));
  for (it->Seek(prefix); it->Valid() && out.size() < n; it->Next()) {
    if (changed.contains(it->key().ToString())) continue;
    out.emplace_back(it->key().ToString(), it->value().ToString());
  }
  if (!it->status().ok()) return FromRocksDb(it->status(), "scan");
  return out;
}

namespace {

std::string TimeText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

std::string QuotedList(const std::vector<std::string>& names) {
  return absl::StrCat("[",
                      absl::StrJoin(names, ", ",
                                    [](std::string* out, const std::string& n) {
                                      absl::StrAppend(out, "\"", EchoEscaped(n),
                                                      "\"");
                                    }),
                      "]");
}

// What differs between a stored entity and the one a write gives, field by
// field: "label "X" (this write: "Y"), ...".
std::string EntityDifferences(const Entity& stored, const Entity& wanted) {
  std::vector<std::string> parts;
  if (stored.label != wanted.label) {
    parts.push_back(absl::StrCat("label \"", EchoEscaped(stored.label),
                                 "\" (this write: \"",
                                 EchoEscaped(wanted.label), "\")"));
  }
  if (stored.type != wanted.type) {
    parts.push_back(absl::StrCat("type ", EchoValue(stored.type),
                                 " (this write: ", EchoValue(wanted.type),
                                 ")"));
  }
  if (stored.aliases != wanted.aliases) {
    parts.push_back(absl::StrCat("aliases ", QuotedList(stored.aliases),
                                 " (this write: ", QuotedList(wanted.aliases),
                                 ")"));
  }
  return absl::StrJoin(parts, ", ");
}

absl::string_view PolarityName(Polarity p) {
  switch (p) {
    case Polarity::kNone:
      return "none";
    case Polarity::kSupports:
      return "supports";
    case Polarity::kOpposes:
      return "opposes";
  }
  return "?";
}

std::string RelationDifferences(const Relation& stored,
                                const Relation& wanted) {
  std::vector<std::string> parts;
  if (stored.label != wanted.label) {
    parts.push_back(absl::StrCat("label \"", EchoEscaped(stored.label),
                                 "\" (this write: \"",
                                 EchoEscaped(wanted.label), "\")"));
  }
  if (stored.symmetric != wanted.symmetric) {
    parts.push_back(absl::StrCat("symmetric ", stored.symmetric,
                                 " (this write: ", wanted.symmetric, ")"));
  }
  if (stored.polarity != wanted.polarity) {
    parts.push_back(
        absl::StrCat("polarity ", PolarityName(stored.polarity),
                     " (this write: ", PolarityName(wanted.polarity), ")"));
  }
  return absl::StrJoin(parts, ", ");
}

}  // namespace

std::vector<std::string> UniqueAliases(const std::vector<std::string>& in) {
  absl::flat_hash_set<std::string> seen;
  std::vector<std::string> out;
  for (const auto& a : in) {
    if (seen.insert(a).second) out.push_back(a);
  }
  return out;
}

absl::StatusOr<std::optional<EntityHistory>> WriteTxn::LoadEntity(
    const std::string& id, uint64_t* tid) {
  KG_ASSIGN_OR_RETURN(std::optional<std::string> v, Get(kEntityCf, id));
  if (!v) return std::optional<EntityHistory>();
  EntityHistory h;
  if (!DecodeEntityHistory(id, *v, tid, &h)) {
    return absl::DataLossError(absl::StrCat("corrupt entity ", id));
  }
  return std::optional<EntityHistory>(std::move(h));
}

absl::Status WriteTxn::CheckNamesFree(const std::string& field, const Entity& e,
                                      const Entity* previous, bool shared) {
  if (shared) return absl::OkStatus();
  auto had = [&](const std::string& name) {
    if (previous == nullptr) return false;
    const std::string lower = LowerAscii(name);
    if (LowerAscii(previous->label) == lower) return true;
    for (const auto& a : previous->aliases) {
      if (LowerAscii(a) == lower) return true;
    }
    return false;
  };
  auto check = [&](const std::string& name_field,
                   const std::string& name) -> absl::Status {
    if (had(name)) return absl::OkStatus();
    KG_ASSIGN_OR_RETURN(auto named, ScanUpTo(kNameCf, NamePrefix(name), 2));
    for (const auto& [key, value] : named) {
      std::string other;
      if (!DecodeNameKey(key, &other)) {
        return absl::DataLossError("corrupt name index entry");
      }
      if (other == e.id) continue;
      Entity o;
      uint64_t otid;
      KG_ASSIGN_OR_RETURN(std::optional<std::string> ov, Get(kEntityCf, other));
      std::string label = other;
      if (ov && DecodeEntity(other, *ov, &otid, &o)) label = o.label;
      return absl::AlreadyExistsError(absl::StrCat(
          name_field, ": \"", EchoEscaped(name), "\" already names entity '",
          EchoValue(other), "' (", EchoEscaped(label),
          "), so a lookup by that name would match both it and '",
          EchoValue(e.id),
          "'; say that the name is shared (shared_names; "
          "kgctl --shared-name) if it is meant to name both"));
    }
    return absl::OkStatus();
  };
  KG_RETURN_IF_ERROR(check(absl::StrCat(field, ".label"), e.label));
  for (size_t i = 0; i < e.aliases.size(); ++i) {
    KG_RETURN_IF_ERROR(
        check(absl::StrCat(field, ".aliases[", i, "]"), e.aliases[i]));
  }
  return absl::OkStatus();
}

void WriteTxn::IndexNames(const Entity& e, bool index) {
  auto apply = [&](const std::string& name) {
    if (index) {
      Put(kNameCf, NameKey(name, e.id), "");
    } else {
      Delete(kNameCf, NameKey(name, e.id));
    }
  };
  apply(e.id);
  apply(e.label);
  for (const auto& a : e.aliases) apply(a);
}

void WriteTxn::PutEntityVersion(uint64_t tid, EntityHistory* history,
                                EntityVersion version) {
  const std::string id = version.entity.id;
  if (!history->versions.empty() && history->live()) {
    IndexNames(history->current().entity, false);
  }
  version.since = absl::FromUnixMicros(now_micros_);
  // Two changes in one transaction: the later one is the version.
  if (!history->versions.empty() && history->current().since == version.since) {
    history->versions.pop_back();
  }
  history->versions.push_back(std::move(version));
  if (history->live()) IndexNames(history->current().entity, true);
  Put(kEntityCf, id, EncodeEntityHistory(tid, *history));
}

absl::Status WriteTxn::PutEntity(const std::string& field, const Entity& in,
                                 WriteBatch::EntityMode mode, bool shared) {
  KG_RETURN_IF_ERROR(ValidateEntity(field, in));
  Entity e = in;
  e.aliases = UniqueAliases(in.aliases);
  uint64_t tid = 0;
  KG_ASSIGN_OR_RETURN(std::optional<EntityHistory> history,
                      LoadEntity(e.id, &tid));
  const bool live = history && history->live();
  if (history && !live &&
      history->current().state == EntityVersion::State::kMerged) {
    return absl::FailedPreconditionError(absl::StrCat(
        field, ".id: entity '", EchoValue(e.id), "' was merged into '",
        EchoValue(history->current().merged_into), "' at ",
        TimeText(history->current().since), "; its id names that entity now"));
  }
  if (live) {
    const Entity& stored = history->current().entity;
    if (stored == e) return absl::OkStatus();  // unchanged
    if (mode == WriteBatch::EntityMode::kCreate) {
      return absl::AlreadyExistsError(absl::StrCat(
          field, ": entity '", EchoValue(e.id),
          "' already exists with other content: ", EntityDifferences(stored, e),
          "; replacing it is a separate operation (UpdateEntity; kgctl "
          "entity update)"));
    }
    KG_RETURN_IF_ERROR(CheckNamesFree(field, e, &stored, shared));
  } else {
    if (mode == WriteBatch::EntityMode::kUpdate) {
      return NotFound(
          absl::StrCat(field, ".id"),
          history
              ? absl::StrCat("entity '", EchoValue(e.id), "' was deleted at ",
                             TimeText(history->current().since))
              : absl::StrCat("no entity '", EchoValue(e.id), "'"));
    }
    KG_RETURN_IF_ERROR(CheckNamesFree(field, e, nullptr, shared));
    if (!history) {
      KG_ASSIGN_OR_RETURN(tid, InternTerm(EntityTermKey(e.id)));
      history.emplace();
    }
    ++counters_.entities;
  }
  EntityVersion version;
  version.entity = std::move(e);
  PutEntityVersion(tid, &*history, std::move(version));
  return absl::OkStatus();
}

absl::Status WriteTxn::EditEntity(const std::string& field,
                                  const EntityEdit& edit, bool shared) {
  KG_RETURN_IF_ERROR(ValidateId(absl::StrCat(field, ".id"), edit.id));
  uint64_t tid = 0;
  KG_ASSIGN_OR_RETURN(std::optional<EntityHistory> history,
                      LoadEntity(edit.id, &tid));
  if (!history || !history->live()) {
    return NotFound(absl::StrCat(field, ".id"),
                    absl::StrCat("no entity '", EchoValue(edit.id), "'"));
  }
  Entity e = history->current().entity;
  if (edit.label) e.label = *edit.label;
  if (edit.type) e.type = *edit.type;
  for (size_t i = 0; i < edit.remove_aliases.size(); ++i) {
    auto it =
        std::find(e.aliases.begin(), e.aliases.end(), edit.remove_aliases[i]);
    if (it == e.aliases.end()) {
      return NotFound(
          absl::StrCat(field, ".remove_aliases[", i, "]"),
          absl::StrCat("\"", EchoEscaped(edit.remove_aliases[i]),
                       "\" is not an alias of entity '", EchoValue(e.id),
                       "' (its aliases: ", QuotedList(e.aliases), ")"));
    }
    e.aliases.erase(it);
  }
  for (const auto& a : edit.add_aliases) e.aliases.push_back(a);
  e.aliases = UniqueAliases(e.aliases);
  KG_RETURN_IF_ERROR(ValidateEntity(field, e));
  const Entity& stored = history->current().entity;
  if (stored == e) return absl::OkStatus();
  KG_RETURN_IF_ERROR(CheckNamesFree(field, e, &stored, shared));
  EntityVersion version;
  version.entity = std::move(e);
  PutEntityVersion(tid, &*history, std::move(version));
  return absl::OkStatus();
}

absl::Status WriteTxn::PutRelation(const std::string& field, const Relation& r,
                                   WriteBatch::EntityMode mode) {
  KG_RETURN_IF_ERROR(ValidateRelation(field, r));
  KG_ASSIGN_OR_RETURN(std::optional<std::string> old, Get(kRelationCf, r.id));
  uint64_t tid;
  if (old) {
    Relation previous;
    if (!DecodeRelation(r.id, *old, &tid, &previous)) {
      return absl::DataLossError(absl::StrCat("corrupt relation ", r.id));
    }
    if (previous == r) return absl::OkStatus();  // unchanged
    if (mode == WriteBatch::EntityMode::kCreate) {
      return absl::AlreadyExistsError(absl::StrCat(
          field, ": relation '", EchoValue(r.id),
          "' already exists with other content: ",
          RelationDifferences(previous, r),
          "; replacing it is a separate operation (replace; kgctl relation "
          "add --replace)"));
    }
    if (previous.polarity != r.polarity || previous.symmetric != r.symmetric) {
      // The vocabulary is not versioned: a statement's meaning must not
      // change under it (docs/storage.md, "Editing the vocabulary").
      KG_ASSIGN_OR_RETURN(std::optional<std::string> example,
                          ExampleUse(kPosCf, IndexPrefix({tid})));
      if (example) {
        return absl::FailedPreconditionError(absl::StrCat(
            field, ": relation '", EchoValue(r.id), "' is used by statements",
            *example, ", and changing its ",
            previous.polarity != r.polarity ? "polarity" : "symmetry",
            " would change what they mean, today and as of every earlier "
            "time; add a relation with a new id for the new meaning"));
      }
    }
  } else {
    if (mode == WriteBatch::EntityMode::kUpdate) {
      return NotFound(absl::StrCat(field, ".id"),
                      absl::StrCat("no relation '", EchoValue(r.id), "'"));
    }
    KG_ASSIGN_OR_RETURN(tid, InternTerm(RelationTermKey(r.id)));
    ++counters_.relations;
  }
  Put(kRelationCf, r.id, EncodeRelation(tid, r));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> WriteTxn::ExampleUse(
    Cf cf, const std::string& prefix) {
  KG_ASSIGN_OR_RETURN(auto rows, ScanUpTo(cf, prefix, 1));
  if (rows.empty()) return std::nullopt;
  IndexEntry entry;
  if (!DecodeIndexEntry(rows[0].first, rows[0].second, &entry)) {
    return std::string();
  }
  KG_ASSIGN_OR_RETURN(std::optional<std::string> key, ReverseKey(entry.stmt));
  TermValue self;
  if (!key || !DecodeTermKey(*key, &self)) return std::string();
  return absl::StrCat(" (", self.id, " among them)");
}

absl::Status WriteTxn::DeleteEntity(const std::string& field,
                                    const std::string& id) {
  KG_RETURN_IF_ERROR(ValidateId(field, id));
  uint64_t tid = 0;
  KG_ASSIGN_OR_RETURN(std::optional<EntityHistory> history,
                      LoadEntity(id, &tid));
  if (!history || !history->live()) {
    return NotFound(field, absl::StrCat("no entity '", EchoValue(id), "'"));
  }
  for (Cf cf : {kSpoCf, kOspCf}) {
    KG_ASSIGN_OR_RETURN(std::optional<std::string> example,
                        ExampleUse(cf, IndexPrefix({tid})));
    if (!example) continue;
    return absl::FailedPreconditionError(absl::StrCat(
        field, ": entity '", EchoValue(id), "' is the ",
        cf == kSpoCf ? "subject" : "object", " of statements", *example,
        "; retract them, or merge the entity into another, first"));
  }
  EntityVersion version = history->current();
  version.state = EntityVersion::State::kDeleted;
  PutEntityVersion(tid, &*history, std::move(version));
  --counters_.entities;
  return absl::OkStatus();
}

absl::Status WriteTxn::MergeEntity(const std::string& field,
                                   const EntityMerge& merge,
                                   WriteResult* result) {
  KG_RETURN_IF_ERROR(ValidateId(absl::StrCat(field, ".from"), merge.from));
  KG_RETURN_IF_ERROR(ValidateId(absl::StrCat(field, ".into"), merge.into));
  if (merge.from == merge.into) {
    return Invalid(absl::StrCat(field, ".into"),
                   "an entity cannot be merged into itself");
  }
  uint64_t from_tid = 0, into_tid = 0;
  KG_ASSIGN_OR_RETURN(std::optional<EntityHistory> from,
                      LoadEntity(merge.from, &from_tid));
  KG_ASSIGN_OR_RETURN(std::optional<EntityHistory> into,
                      LoadEntity(merge.into, &into_tid));
  if (!from || !from->live()) {
    return NotFound(absl::StrCat(field, ".from"),
                    absl::StrCat("no entity '", EchoValue(merge.from), "'"));
  }
  if (!into || !into->live()) {
    return NotFound(absl::StrCat(field, ".into"),
                    absl::StrCat("no entity '", EchoValue(merge.into), "'"));
  }

  // The statements to move: those with `from` as subject or object, and
  // every statement that quotes one of them, at any depth.
  absl::flat_hash_set<uint64_t> affected;
  std::vector<uint64_t> queue = {from_tid};
  std::vector<uint64_t> order;  // affected statements, as found
  for (size_t i = 0; i < queue.size(); ++i) {
    for (Cf cf : {kSpoCf, kOspCf}) {
      KG_ASSIGN_OR_RETURN(auto rows, Scan(cf, IndexPrefix({queue[i]})));
      for (const auto& [key, value] : rows) {
        IndexEntry entry;
        if (!DecodeIndexEntry(key, value, &entry)) {
          return absl::DataLossError("corrupt index entry");
        }
        if (affected.insert(entry.stmt).second) {
          queue.push_back(entry.stmt);
          order.push_back(entry.stmt);
        }
      }
    }
  }

  // Each affected statement's counterpart with `into` in place of `from`.
  absl::flat_hash_map<uint64_t, ResolvedTerm> moved;
  std::function<absl::StatusOr<ResolvedTerm>(uint64_t)> rewrite =
      [&](uint64_t tid) -> absl::StatusOr<ResolvedTerm> {
    if (tid == from_tid) {
      return ResolvedTerm{into_tid, EntityTermKey(merge.into)};
    }
    if (auto it = moved.find(tid); it != moved.end()) return it->second;
    KG_ASSIGN_OR_RETURN(std::optional<std::string> key, ReverseKey(tid));
    if (!key) return absl::DataLossError(absl::StrCat("missing term ", tid));
    if (!affected.contains(tid)) return ResolvedTerm{tid, *key};
    KG_ASSIGN_OR_RETURN(StmtValue row, LoadStmt(tid));
    KG_ASSIGN_OR_RETURN(ResolvedTerm s, rewrite(row.subject));
    KG_ASSIGN_OR_RETURN(ResolvedTerm o, rewrite(row.object));
    KG_ASSIGN_OR_RETURN(std::optional<std::string> rel_key,
                        Get(kTidCf, TidKey(row.relation)));
    std::string predicate;
    if (!rel_key || !DecodePredicateTermKey(*rel_key, &predicate)) {
      return absl::DataLossError(absl::StrCat("corrupt predicate ", tid));
    }
    KG_ASSIGN_OR_RETURN(
        ResolvedTerm out,
        EnsureStatementOf(field, s, row.relation, predicate, o));
    moved.emplace(tid, out);
    return out;
  };

  for (uint64_t tid : order) {
    KG_ASSIGN_OR_RETURN(StmtValue row, LoadStmt(tid));
    if (row.live == 0) continue;  // only quoted: moves with its quoters
    KG_ASSIGN_OR_RETURN(ResolvedTerm target, rewrite(tid));
    KG_RETURN_IF_ERROR(OwnSharedRecord(tid));  // it moves as the others
    KG_ASSIGN_OR_RETURN(auto records, Scan(kProvCf, ProvPrefix(tid)));
    // The target's shared record, if any, is a live record of it.
    KG_ASSIGN_OR_RETURN(const StmtValue target_row, LoadStmt(target.tid));
    int retracted = 0, added = 0;
    for (const auto& [key, value] : records) {
      ProvKeyParts parts;
      ProvValue stored;
      if (!DecodeProvKey(key, &parts) || !DecodeProv(value, &stored)) {
        return absl::DataLossError("corrupt provenance record");
      }
      if (stored.retracted_micros) continue;
      // The record moves: retracted here, recorded now on the target,
      // unless the target already has a live record for that span.
      ProvValue now = stored;
      stored.retracted_micros = now_micros_;
      Put(kProvCf, key, EncodeProv(stored));
      ++retracted;
      KG_ASSIGN_OR_RETURN(auto there,
                          Scan(kProvCf, ProvPrefix(target.tid, parts.doc,
                                                   parts.start, parts.end)));
      bool present = target_row.shared == parts.doc && parts.start == 0 &&
                     parts.end == 0;  // its shared record is live
      for (const auto& [k, v] : there) {
        ProvValue t;
        if (DecodeProv(v, &t) && !t.retracted_micros) present = true;
      }
      if (present) continue;
      Put(kProvCf,
          ProvKey(target.tid, parts.doc, parts.start, parts.end, now_micros_),
          EncodeProv(now));
      NoteRecordOf(target.tid);
      Put(kDocProvCf,
          DocProvKey(parts.doc, parts.start, parts.end, target.tid,
                     now_micros_),
          "");
      ++added;
    }
    counters_.provenance += added;
    counters_.provenance -= retracted;
    result->provenance_moved += added;
    ++result->statements_moved;
    // Index the target before the source leaves, so that statements both
    // quote stay indexed throughout.
    KG_RETURN_IF_ERROR(ChangeCounts(target.tid, added, 0));
    KG_RETURN_IF_ERROR(ChangeCounts(tid, -retracted, 0));
  }

  // `from`'s names become aliases of `into`; its id resolves to `into`.
  const Entity& gone = from->current().entity;
  Entity grown = into->current().entity;
  grown.aliases.push_back(gone.label);
  for (const auto& a : gone.aliases) grown.aliases.push_back(a);
  {
    // Drop names `into` already has (ignoring case).
    absl::flat_hash_set<std::string> have = {LowerAscii(grown.label)};
    std::vector<std::string> kept;
    for (const auto& a : grown.aliases) {
      if (have.insert(LowerAscii(a)).second) kept.push_back(a);
    }
    grown.aliases = std::move(kept);
  }
  if (grown.aliases.size() > Limits::kMaxAliases) {
    return absl::FailedPreconditionError(absl::StrCat(
        field, ": merging '", EchoValue(merge.from), "' into '",
        EchoValue(merge.into), "' would give '", EchoValue(merge.into), "' ",
        grown.aliases.size(), " aliases, more than ", Limits::kMaxAliases,
        "; remove some first"));
  }
  EntityVersion retired = from->current();
  retired.state = EntityVersion::State::kMerged;
  retired.merged_into = merge.into;
  PutEntityVersion(from_tid, &*from, std::move(retired));
  EntityVersion version;
  version.entity = std::move(grown);
  PutEntityVersion(into_tid, &*into, std::move(version));
  --counters_.entities;
  return absl::OkStatus();
}

std::string WriteTxn::CanonicalDocumentId(absl::string_view id) const {
  absl::string_view rest = id;
  if (absl::ConsumePrefix(&rest, "_:")) {
    // A blank graph name: scoped like blank nodes, unless it is a stored id.
    if (BlankBytesFromId(rest)) return std::string(id);
    return absl::StrCat("_:", BlankIdFromBytes(BlankNodeId(scope_, rest)));
  }
  return CanonicalDocumentIri(id, base_iri_);
}

std::string CanonicalDocumentIri(absl::string_view id,
                                 absl::string_view base_iri) {
  absl::string_view rest = id;
  if (!base_iri.empty() && absl::ConsumePrefix(&rest, base_iri) &&
      absl::ConsumePrefix(&rest, "document/") && ValidateId("", rest).ok()) {
    return std::string(rest);
  }
  return std::string(id);
}

absl::Status WriteTxn::PutDocument(const std::string& field,
                                   const Document& in) {
  Document d = in;
  d.id = CanonicalDocumentId(in.id);
  KG_RETURN_IF_ERROR(ValidateDocument(field, d));
  KG_ASSIGN_OR_RETURN(std::optional<std::string> old, Get(kDocumentCf, d.id));
  uint64_t tid;
  if (old) {
    Document previous;
    if (!DecodeDocument(d.id, *old, /*include_text=*/true, &tid, &previous)) {
      return absl::DataLossError(absl::StrCat("corrupt document ", d.id));
    }
    if (previous.text != d.text) {
      return absl::AlreadyExistsError(absl::StrCat(
          field, ".text: document '", EchoValue(d.id),
          "' already exists with a different text; a document's text never "
          "changes (store the new version under a new id)"));
    }
  } else {
    KG_ASSIGN_OR_RETURN(tid, InternTerm(DocumentTermKey(d.id)));
    ++counters_.documents;
  }
  Put(kDocumentCf, d.id, EncodeDocument(tid, d));
  return absl::OkStatus();
}

absl::StatusOr<WriteTxn::ResolvedTerm> WriteTxn::ResolveTerm(
    const std::string& field, const Term& written, bool is_subject, int depth) {
  ResolvedTerm out;
  // <base>entity/<id> is the entity, <base>statement/<id> the statement.
  Term made;
  const Term& term = CanonicalIri(written, base_iri_, &made);
  switch (term.kind()) {
    case Term::Kind::kIri: {
      KG_RETURN_IF_ERROR(ValidateIri(field, term.id()));
      out.key = IriTermKey(term.id());
      KG_ASSIGN_OR_RETURN(out.tid, InternTerm(out.key));
      return out;
    }
    case Term::Kind::kBlank: {
      if (term.id().empty() || term.id().size() > Limits::kMaxIdBytes ||
          !IsValidUtf8(term.id())) {
        return Invalid(field,
                       absl::StrCat("a blank node label is 1 to ",
                                    Limits::kMaxIdBytes, " bytes of UTF-8"));
      }
      out.key = BlankTermKey(BlankNodeId(scope_, term.id()));
      KG_ASSIGN_OR_RETURN(out.tid, InternTerm(out.key));
      return out;
    }
    case Term::Kind::kEntity: {
      KG_RETURN_IF_ERROR(ValidateId(field, term.id()));
      // A merged entity's id names the entity it was merged into.
      std::string id = term.id();
      for (int hops = 0;; ++hops) {
        KG_ASSIGN_OR_RETURN(std::optional<EntityHistory> h,
                            LoadEntity(id, &out.tid));
        if (!h) {
          return NotFound(field,
                          absl::StrCat("no entity '", EchoValue(id), "'"));
        }
        const EntityVersion& v = h->current();
        if (v.state == EntityVersion::State::kDeleted) {
          return NotFound(field,
                          absl::StrCat("entity '", EchoValue(id),
                                       "' was deleted at ", TimeText(v.since)));
        }
        if (v.state == EntityVersion::State::kLive || hops > 64) break;
        id = v.merged_into;
      }
      out.key = EntityTermKey(id);
      return out;
    }
    case Term::Kind::kLiteral: {
      if (is_subject) {
        return Invalid(field, "a literal cannot be the subject of a statement");
      }
      KG_ASSIGN_OR_RETURN(Literal lit, CanonicalLiteral(field, term.literal()));
      out.key = LiteralTermKey(lit);
      KG_ASSIGN_OR_RETURN(out.tid, InternTerm(out.key));
      return out;
    }
    case Term::Kind::kStatement: {
      if (term.triple() != nullptr) {
        if (depth >= Limits::kMaxQuoteDepth) {
          return Invalid(field, absl::StrCat("statements nest deeper than ",
                                             Limits::kMaxQuoteDepth));
        }
        return EnsureStatement(absl::StrCat(field, ".quoted"), *term.triple(),
                               depth + 1);
      }
      std::optional<std::string> hash = HashFromStatementId(term.id());
      if (!hash) {
        return Invalid(field, absl::StrCat("\"", EchoEscaped(term.id()),
                                           "\" is not a statement id "
                                           "(s + 32 hex digits)"));
      }
      out.key = StatementTermKey(*hash);
      KG_ASSIGN_OR_RETURN(out.tid, LookupTid(out.key));
      if (out.tid == 0) {
        return NotFound(
            field, absl::StrCat("no statement '", EchoValue(term.id()), "'"));
      }
      return out;
    }
  }
  return Invalid(field, "unknown term kind");
}

absl::StatusOr<WriteTxn::ResolvedTerm> WriteTxn::EnsureStatement(
    const std::string& field, const Triple& triple, int depth) {
  KG_ASSIGN_OR_RETURN(ResolvedTerm s,
                      ResolveTerm(absl::StrCat(field, ".subject"),
                                  triple.subject, /*is_subject=*/true, depth));
  const std::string rel_field = absl::StrCat(field, ".relation");
  // A relation id, or any IRI (<base>relation/<id> is the relation).
  const std::string predicate = CanonicalPredicate(triple.relation, base_iri_);
  uint64_t rel_tid;
  if (absl::StrContains(predicate, ":")) {
    KG_RETURN_IF_ERROR(ValidateIri(rel_field, predicate));
    KG_ASSIGN_OR_RETURN(rel_tid, InternTerm(IriTermKey(predicate)));
  } else {
    KG_RETURN_IF_ERROR(ValidateId(rel_field, predicate));
    KG_ASSIGN_OR_RETURN(std::optional<std::string> rel,
                        Get(kRelationCf, predicate));
    if (!rel) {
      return NotFound(rel_field,
                      absl::StrCat("no relation '", EchoValue(predicate), "'",
                                   LaterPartsHint()));
    }
    Relation relation;
    if (!DecodeRelation(predicate, *rel, &rel_tid, &relation)) {
      return absl::DataLossError("corrupt relation " + predicate);
    }
  }
  KG_ASSIGN_OR_RETURN(ResolvedTerm o,
                      ResolveTerm(absl::StrCat(field, ".object"), triple.object,
                                  /*is_subject=*/false, depth));
  return EnsureStatementOf(field, s, rel_tid, predicate, o);
}

absl::StatusOr<WriteTxn::ResolvedTerm> WriteTxn::EnsureStatementOf(
    const std::string& field, const ResolvedTerm& s, uint64_t rel_tid,
    const std::string& predicate, const ResolvedTerm& o) {
  ResolvedTerm out;
  out.key = StatementTermKey(
      StatementHash(TermIdentityKey(s.key), predicate, TermIdentityKey(o.key)));
  if (out.key == s.key || out.key == o.key) {
    return Invalid(field, "a statement cannot quote itself");
  }
  StmtValue row;
  row.subject = s.tid;
  row.relation = rel_tid;
  row.object = o.tid;
  KG_ASSIGN_OR_RETURN(out.tid, LookupTid(out.key, &row));
  if (out.tid == 0) {
    KG_ASSIGN_OR_RETURN(out.tid, AddTerm(out.key));
    new_statements_.emplace(out.tid, false);
    Put(kStmtCf, TidKey(out.tid), EncodeStmt(row));
  }
  return out;
}

absl::StatusOr<StmtValue> WriteTxn::LoadStmt(uint64_t tid) {
  KG_ASSIGN_OR_RETURN(std::optional<std::string> v, Get(kStmtCf, TidKey(tid)));
  StmtValue row;
  if (!v || !DecodeStmt(*v, &row)) {
    return absl::DataLossError(absl::StrCat("missing statement row ", tid));
  }
  return row;
}

absl::StatusOr<SharedRecord> WriteTxn::LoadShared(uint64_t doc) {
  KG_ASSIGN_OR_RETURN(std::optional<std::string> v,
                      Get(kProvCf, SharedRecordKey(doc)));
  SharedRecord record;
  if (!v || !DecodeSharedRecord(*v, &record)) {
    return absl::DataLossError(
        absl::StrCat("missing or corrupt shared record of document ", doc));
  }
  return record;
}

absl::Status WriteTxn::OwnSharedRecord(uint64_t tid, uint64_t doc) {
  KG_ASSIGN_OR_RETURN(StmtValue row, LoadStmt(tid));
  if (row.shared == 0 || (doc != 0 && row.shared != doc)) {
    return absl::OkStatus();
  }
  KG_ASSIGN_OR_RETURN(SharedRecord shared, LoadShared(row.shared));
  Put(kProvCf, ProvKey(tid, row.shared, 0, 0, shared.recorded_micros),
      EncodeProv(shared.value));
  Put(kDocProvCf, DocProvKey(row.shared, 0, 0, tid, shared.recorded_micros),
      "");
  row.shared = 0;
  Put(kStmtCf, TidKey(tid), EncodeStmt(row));
  return absl::OkStatus();
}

absl::Status WriteTxn::ChangeCounts(uint64_t tid, int live_delta,
                                    int quoted_delta) {
  KG_ASSIGN_OR_RETURN(StmtValue row, LoadStmt(tid));
  const bool was_indexed = row.indexed();
  const bool was_asserted = row.live > 0;
  row.live = static_cast<uint32_t>(static_cast<int64_t>(row.live) + live_delta);
  row.quoted =
      static_cast<uint32_t>(static_cast<int64_t>(row.quoted) + quoted_delta);
  Put(kStmtCf, TidKey(tid), EncodeStmt(row));
  const bool indexed = row.indexed();
  const bool asserted = row.live > 0;
  const std::string value = IndexValue(tid, asserted);
  std::string spo = IndexKey(row.subject, row.relation, row.object);
  std::string pos = IndexKey(row.relation, row.object, row.subject);
  std::string osp = IndexKey(row.object, row.subject, row.relation);
  if (was_indexed != indexed || (indexed && was_asserted != asserted)) {
    // A claim about a statement (a polar relation may also take an entity
    // or a literal object, which nothing contests).
    KG_ASSIGN_OR_RETURN(Polarity polarity, PolarityOf(row.relation));
    bool about_statement = false;
    if (polarity != Polarity::kNone) {
      KG_ASSIGN_OR_RETURN(std::optional<std::string> object_row,
                          Get(kStmtCf, TidKey(row.object)));
      about_statement = object_row.has_value();
    }
    if (about_statement) {
      claim_entries_[{row.object, row.subject, row.relation}] =
          indexed ? std::optional<bool>(asserted) : std::optional<bool>();
    }
  }
  if (was_indexed == indexed) {
    // Still in the indexes: their entries say whether it is asserted.
    if (indexed && was_asserted != asserted) {
      Put(kSpoCf, std::move(spo), value);
      Put(kPosCf, std::move(pos), value);
      Put(kOspCf, std::move(osp), value);
    }
    return absl::OkStatus();
  }
  index_changes_.push_back(
      {row.subject, row.relation, row.object, tid, indexed});
  if (indexed) {
    Put(kSpoCf, std::move(spo), value);
    Put(kPosCf, std::move(pos), value);
    Put(kOspCf, std::move(osp), value);
    ++counters_.statements;
  } else {
    Delete(kSpoCf, std::move(spo));
    Delete(kPosCf, std::move(pos));
    Delete(kOspCf, std::move(osp));
    --counters_.statements;
  }
  // A statement in the indexes holds the statements it quotes there, once
  // each even when it quotes one as both subject and object.
  const uint64_t parts[] = {row.subject, row.object};
  for (int i = 0; i < (row.subject == row.object ? 1 : 2); ++i) {
    const uint64_t part = parts[i];
    KG_ASSIGN_OR_RETURN(std::optional<std::string> child,
                        Get(kStmtCf, TidKey(part)));
    if (child) KG_RETURN_IF_ERROR(ChangeCounts(part, 0, indexed ? 1 : -1));
  }
  return absl::OkStatus();
}

absl::StatusOr<Polarity> WriteTxn::PolarityOf(uint64_t tid) {
  if (auto it = polarity_.find(tid); it != polarity_.end()) return it->second;
  // A tid's term never changes: the stored one is the answer, and reading
  // it does not make a load's tid overlay leave its log-only mode. Only a
  // relation new in this transaction is read from the overlay.
  KG_ASSIGN_OR_RETURN(std::optional<std::string> key,
                      GetStored(kTidCf, TidKey(tid)));
  if (!key) {
    KG_ASSIGN_OR_RETURN(key, Get(kTidCf, TidKey(tid)));
  }
  if (!key) return absl::DataLossError(absl::StrCat("missing term ", tid));
  Polarity polarity = Polarity::kNone;
  std::string id;
  if (DecodeIdTermKey(*key, TermTag::kRelation, &id)) {
    KG_ASSIGN_OR_RETURN(std::optional<std::string> value, Get(kRelationCf, id));
    Relation r;
    uint64_t stored_tid = 0;
    if (!value || !DecodeRelation(id, *value, &stored_tid, &r)) {
      return absl::DataLossError(
          absl::StrCat("missing relation '", EchoValue(id), "'"));
    }
    polarity = r.polarity;
  }
  polarity_.emplace(tid, polarity);
  return polarity;
}

absl::StatusOr<std::optional<ContestedFigures>> WriteTxn::CountClaims(
    uint64_t stmt) {
  // The claims on `stmt` are the osp entries under its tid whose relation
  // has a polarity: the stored ones (in key order), with this transaction's
  // over them. A statement this transaction made has no stored claims:
  // nothing stored can quote a tid that did not exist.
  std::vector<std::pair<ClaimKey, bool>> stored;
  if (!new_statements_.contains(stmt)) {
    KG_ASSIGN_OR_RETURN(KeyValues entries,
                        ScanStored(kOspCf, IndexPrefix({stmt})));
    for (const auto& [key, value] : entries) {
      IndexEntry e;  // o s p
      if (!DecodeIndexEntry(key, value, &e)) {
        return absl::DataLossError("corrupt osp index entry");
      }
      KG_ASSIGN_OR_RETURN(Polarity polarity, PolarityOf(e.c));
      if (polarity == Polarity::kNone) continue;
      if (!e.asserted) {  // written before format 4
        KG_ASSIGN_OR_RETURN(StmtValue row, LoadStmt(e.stmt));
        e.asserted = row.live > 0;
      }
      stored.emplace_back(ClaimKey{e.a, e.b, e.c}, *e.asserted);
    }
  }
  // The claimants of the asserted claims, by side (a quoted-only claim is
  // not said).
  std::vector<uint64_t> supporting, opposing;
  auto count = [&](const ClaimKey& key, bool asserted) -> absl::Status {
    if (!asserted) return absl::OkStatus();
    const auto [object, claimant, relation] = key;
    KG_ASSIGN_OR_RETURN(Polarity polarity, PolarityOf(relation));
    (polarity == Polarity::kSupports ? supporting : opposing)
        .push_back(claimant);
    return absl::OkStatus();
  };
  auto mine = claim_entries_.lower_bound({stmt, 0, 0});
  const auto mine_end = claim_entries_.lower_bound({stmt + 1, 0, 0});
  for (auto theirs = stored.begin();
       theirs != stored.end() || mine != mine_end;) {
    if (mine == mine_end ||
        (theirs != stored.end() && theirs->first < mine->first)) {
      KG_RETURN_IF_ERROR(count(theirs->first, theirs->second));
      ++theirs;
      continue;
    }
    if (theirs != stored.end() && theirs->first == mine->first) ++theirs;
    KG_RETURN_IF_ERROR(count(mine->first, mine->second.value_or(false)));
    ++mine;
  }
  if (supporting.empty() || opposing.empty()) return std::nullopt;
  for (std::vector<uint64_t>* side : {&supporting, &opposing}) {
    std::sort(side->begin(), side->end());
    side->erase(std::unique(side->begin(), side->end()), side->end());
  }
  ContestedFigures f;
  f.supporting = static_cast<uint32_t>(supporting.size());
  f.opposing = static_cast<uint32_t>(opposing.size());
  size_t both = 0;
  for (auto a = supporting.begin(), b = opposing.begin();
       a != supporting.end() && b != opposing.end();) {
    if (*a < *b) {
      ++a;
    } else if (*b < *a) {
      ++b;
    } else {
      ++both, ++a, ++b;
    }
  }
  f.distinct = f.supporting + f.opposing - static_cast<uint32_t>(both);
  return f;
}

absl::Status WriteTxn::UpdateContested() {
  // The statements whose claims changed, each once.
  std::vector<uint64_t> touched;
  for (const auto& [key, asserted] : claim_entries_) {
    const uint64_t object = std::get<0>(key);
    if (touched.empty() || touched.back() != object) touched.push_back(object);
  }
  for (uint64_t stmt : touched) {
    KG_ASSIGN_OR_RETURN(std::optional<ContestedFigures> now, CountClaims(stmt));
    // A statement this transaction made is not listed yet.
    std::optional<std::string> before_value;
    if (!new_statements_.contains(stmt)) {
      KG_ASSIGN_OR_RETURN(before_value,
                          Get(kDefaultCf, ContestedStatementKey(stmt)));
    }
    std::optional<ContestedFigures> before;
    std::string hash;
    if (before_value) {
      before.emplace();
      if (!DecodeContestedStatementValue(*before_value, &*before, &hash)) {
        return absl::DataLossError("corrupt contested index entry");
      }
    }
    if (before == now) continue;
    if (before) Delete(kDefaultCf, ContestedRankKey(before->distinct, hash));
    if (!now) {
      Delete(kDefaultCf, ContestedStatementKey(stmt));
      continue;
    }
    if (hash.empty()) {
      KG_ASSIGN_OR_RETURN(std::optional<std::string> key, ReverseKey(stmt));
      TermTag tag;
      absl::string_view rest;
      if (!key || !SplitTermKey(*key, &tag, &rest) ||
          tag != TermTag::kStatement || rest.size() != kStatementHashBytes) {
        // A claim's object that is not a statement: nothing to contest.
        continue;
      }
      hash = std::string(rest);
    }
    Put(kDefaultCf, ContestedStatementKey(stmt),
        ContestedStatementValue(*now, hash));
    Put(kDefaultCf, ContestedRankKey(now->distinct, hash),
        ContestedRankValue(stmt, *now));
  }
  claim_entries_.clear();
  return absl::OkStatus();
}

absl::Status WriteTxn::RebuildContested() {
  KG_ASSIGN_OR_RETURN(KeyValues old, ScanStored(kDefaultCf, "contested:"));
  for (const auto& [key, value] : old) Delete(kDefaultCf, key);
  // Every claim, as if this transaction had just written it.
  KG_ASSIGN_OR_RETURN(KeyValues relations, ScanStored(kRelationCf, ""));
  for (const auto& [id, value] : relations) {
    Relation r;
    uint64_t tid = 0;
    if (!DecodeRelation(id, value, &tid, &r)) {
      return absl::DataLossError(
          absl::StrCat("corrupt relation '", EchoValue(id), "'"));
    }
    if (r.polarity == Polarity::kNone) continue;
    KG_ASSIGN_OR_RETURN(KeyValues claims,
                        ScanStored(kPosCf, IndexPrefix({tid})));
    for (const auto& [key, value] : claims) {
      IndexEntry e;  // p o s
      if (!DecodeIndexEntry(key, value, &e)) {
        return absl::DataLossError("corrupt pos index entry");
      }
      bool asserted = e.asserted.value_or(false);
      if (!e.asserted) {
        KG_ASSIGN_OR_RETURN(StmtValue row, LoadStmt(e.stmt));
        asserted = row.live > 0;
      }
      KG_ASSIGN_OR_RETURN(std::optional<std::string> object_row,
                          Get(kStmtCf, TidKey(e.b)));
      if (!object_row) continue;  // about an entity or a literal
      claim_entries_[{e.b, e.c, e.a}] = asserted;  // p o s -> o s p
    }
  }
  KG_RETURN_IF_ERROR(UpdateContested());
  Put(kDefaultCf, kContestedBuiltKey, "");
  return absl::OkStatus();
}

absl::StatusOr<const WriteTxn::CachedDocument*> WriteTxn::LoadDocument(
    const std::string& field, const std::string& written_id) {
  const std::string id = CanonicalDocumentId(written_id);
  auto it = documents_.find(id);
  if (it != documents_.end()) return it->second.get();
  KG_RETURN_IF_ERROR(ValidateDocumentId(field, id));
  KG_ASSIGN_OR_RETURN(std::optional<std::string> value, Get(kDocumentCf, id));
  if (!value) {
    return NotFound(field, absl::StrCat("no document '", EchoValue(id), "'",
                                        LaterPartsHint()));
  }
  auto cached = std::make_unique<CachedDocument>();
  Document doc;
  if (!DecodeDocument(id, *value, /*include_text=*/true, &cached->tid, &doc)) {
    return absl::DataLossError("corrupt document " + id);
  }
  cached->text = std::move(doc.text);
  cached->index = std::make_unique<CodePointIndex>(cached->text);
  return documents_.emplace(id, std::move(cached)).first->second.get();
}

absl::Status WriteTxn::AddProvenance(const std::string& field,
                                     uint64_t stmt_tid,
                                     const ProvenanceInput& p,
                                     WriteResult* result) {
  KG_ASSIGN_OR_RETURN(
      const CachedDocument* doc,
      LoadDocument(absl::StrCat(field, ".document_id"), p.document_id));
  const uint64_t doc_tid = doc->tid;
  if (p.hedge == Hedge::kUnspecified || static_cast<uint8_t>(p.hedge) > 5) {
    return Invalid(absl::StrCat(field, ".hedge"), "unknown or unspecified");
  }
  KG_RETURN_IF_ERROR(
      ValidateConfidence(absl::StrCat(field, ".confidence"), p.confidence));
  KG_RETURN_IF_ERROR(
      ValidateValidTime(absl::StrCat(field, ".valid_time"), p.valid_time));
  const bool spanless =
      p.evidence_start == 0 && p.evidence_end == 0 && p.evidence.empty();
  if (doc->text.empty() && !spanless) {
    return Invalid(absl::StrCat(field, ".evidence"),
                   absl::StrCat("document '", EchoValue(p.document_id),
                                "' is a data document (no text): its records "
                                "have no evidence span"));
  }
  if (!doc->text.empty()) {
    KG_RETURN_IF_ERROR(ValidateText(absl::StrCat(field, ".evidence"),
                                    p.evidence, Limits::kMaxEvidenceBytes,
                                    /*allow_empty=*/false,
                                    /*allow_newlines=*/true));
    auto span = doc->index->Span(p.evidence_start, p.evidence_end);
    if (!span || p.evidence_start == p.evidence_end) {
      return Invalid(
          absl::StrCat(field, ".evidence_end"),
          absl::StrCat("span [", p.evidence_start, ", ", p.evidence_end,
                       ") is empty or outside the text of document '",
                       EchoValue(p.document_id), "'"));
    }
    if (absl::string_view(doc->text).substr(
            span->first, span->second - span->first) != p.evidence) {
      return Invalid(absl::StrCat(field, ".evidence"),
                     absl::StrCat("does not match the text of document '",
                                  EchoValue(p.document_id), "' at [",
                                  p.evidence_start, ", ", p.evidence_end, ")"));
    }
  }  // a text document

  // A statement this transaction made has no records but its own: none to
  // compare with before its first (a load's statements are nearly all new;
  // scanning would make the prov family's changes ordered at each record).
  const auto made = new_statements_.find(stmt_tid);
  std::vector<std::pair<std::string, std::string>> records;
  if (made == new_statements_.end() || made->second) {
    const std::string identity =
        ProvPrefix(stmt_tid, doc_tid, p.evidence_start, p.evidence_end);
    KG_ASSIGN_OR_RETURN(records,
                        Scan(kProvCf, identity,
                             /*overlay_only=*/made != new_statements_.end()));
  }
  if (made == new_statements_.end() && spanless) {
    // A shared record from this document is one of them (it has no span).
    KG_ASSIGN_OR_RETURN(StmtValue row, LoadStmt(stmt_tid));
    if (row.shared == doc_tid) {
      KG_ASSIGN_OR_RETURN(SharedRecord shared, LoadShared(doc_tid));
      records.emplace_back(
          ProvKey(stmt_tid, doc_tid, 0, 0, shared.recorded_micros),
          EncodeProv(shared.value));
    }
  }
  for (const auto& [key, value] : records) {
    ProvValue stored;
    if (!DecodeProv(value, &stored)) {
      return absl::DataLossError("corrupt provenance record");
    }
    if (stored.retracted_micros) continue;
    if (SameProvenance(stored, p)) {
      ++result->provenance_unchanged;
      return absl::OkStatus();
    }
    if (overlay_[kProvCf].Find(key).has_value()) {
      // Recorded by this transaction: an earlier part of the same write
      // (within one part, ApplyPart finds the repeat first).
      return Repeated(
          field, "a record of an earlier part of this write",
          absl::StrCat("the same statement, document '",
                       EchoValue(p.document_id), "' and span [",
                       p.evidence_start, ", ", p.evidence_end, ")"));
    }
    return absl::AlreadyExistsError(absl::StrCat(
        field, ": a different live record from document '",
        EchoValue(p.document_id), "' at [", p.evidence_start, ", ",
        p.evidence_end, ") already supports this statement; retract it first"));
  }
  ProvValue value;
  value.hedge = p.hedge;
  value.confidence = p.confidence;
  value.valid_time = p.valid_time;
  value.evidence = p.evidence;
  Put(kProvCf,
      ProvKey(stmt_tid, doc_tid, p.evidence_start, p.evidence_end, now_micros_),
      EncodeProv(value));
  Put(kDocProvCf,
      DocProvKey(doc_tid, p.evidence_start, p.evidence_end, stmt_tid,
                 now_micros_),
      "");
  NoteRecordOf(stmt_tid);
  ++counters_.provenance;
  ++result->provenance_added;
  return ChangeCounts(stmt_tid, 1, 0);
}

absl::Status WriteTxn::Apply(const WriteBatch& batch, WriteResult* result) {
  KG_RETURN_IF_ERROR(ApplyPart(batch, "", result));
  return UpdateContested();
}

absl::Status WriteTxn::ApplyPart(const WriteBatch& batch,
                                 absl::string_view name, WriteResult* result) {
  const bool parts = !name.empty();
  in_parts_ = parts;
  // Field names: "statements[3]", or "batches[2].statements[3]" in a part.
  const std::string in = parts ? absl::StrCat(name, ".") : "";
  scope_ = batch.blank_scope;
  if (scope_.empty()) {
    // Blank nodes of this batch are new: a scope no other batch has (and
    // no other transaction: the parts of one write share theirs).
    if (parts && !parts_scope_.empty()) {
      scope_ = parts_scope_;
    } else {
      scope_.resize(16);
      if (RAND_bytes(reinterpret_cast<unsigned char*>(scope_.data()), 16) !=
          1) {
        return absl::UnavailableError("cannot draw random bytes for a scope");
      }
      if (parts) parts_scope_ = scope_;
    }
  }
  // An item given twice (same id; a record: same statement, document and
  // span) is one item when the two are identical, and an error otherwise,
  // whatever its kind: no repeat silently replaces another.
  absl::flat_hash_map<absl::string_view, size_t> entity_at, relation_at;
  for (size_t i = 0; i < batch.entities.size(); ++i) {
    const Entity& e = batch.entities[i];
    const std::string field = absl::StrCat(in, "entities[", i, "]");
    const auto [at, first] = entity_at.try_emplace(e.id, i);
    if (!first) {
      if (e == batch.entities[at->second]) continue;
      return Repeated(field, absl::StrCat(in, "entities[", at->second, "]"),
                      absl::StrCat("id '", EchoValue(e.id), "'"));
    }
    if (parts) {
      KG_ASSIGN_OR_RETURN(const bool repeat,
                          RepeatsEarlierPart(parts_entities_, e.id, field, e));
      if (repeat) continue;
    }
    KG_RETURN_IF_ERROR(
        PutEntity(field, e, batch.entity_mode, batch.shared_names));
  }
  for (size_t i = 0; i < batch.entity_edits.size(); ++i) {
    KG_RETURN_IF_ERROR(EditEntity(absl::StrCat(in, "entity_edits[", i, "]"),
                                  batch.entity_edits[i], batch.shared_names));
  }
  for (size_t i = 0; i < batch.relations.size(); ++i) {
    const Relation& r = batch.relations[i];
    const std::string field = absl::StrCat(in, "relations[", i, "]");
    const auto [at, first] = relation_at.try_emplace(r.id, i);
    if (!first) {
      if (r == batch.relations[at->second]) continue;
      return Repeated(field, absl::StrCat(in, "relations[", at->second, "]"),
                      absl::StrCat("id '", EchoValue(r.id), "'"));
    }
    if (parts) {
      KG_ASSIGN_OR_RETURN(const bool repeat,
                          RepeatsEarlierPart(parts_relations_, r.id, field, r));
      if (repeat) continue;
    }
    KG_RETURN_IF_ERROR(PutRelation(field, r, batch.entity_mode));
  }
  // By canonical id: "doc" and <base>document/doc are one document.
  absl::flat_hash_map<std::string, size_t> document_at;
  for (size_t i = 0; i < batch.documents.size(); ++i) {
    const std::string field = absl::StrCat(in, "documents[", i, "]");
    Document d = batch.documents[i];
    d.id = CanonicalDocumentId(d.id);
    const auto [at, first] = document_at.try_emplace(d.id, i);
    if (!first) {
      Document earlier = batch.documents[at->second];
      earlier.id = d.id;
      if (d == earlier) continue;
      return Repeated(field, absl::StrCat(in, "documents[", at->second, "]"),
                      absl::StrCat("id '", EchoValue(d.id), "'"));
    }
    if (parts) {
      // Texts are kept as their digests: a load may give many long ones.
      d.text = DigestOf(d.text);
      KG_ASSIGN_OR_RETURN(const bool repeat,
                          RepeatsEarlierPart(parts_documents_, d.id, field, d));
      if (repeat) continue;
    }
    KG_RETURN_IF_ERROR(PutDocument(field, batch.documents[i]));
  }
  // Records by (statement, document, span): where each was first given.
  struct RecordAt {
    size_t statement = 0, record = 0;
  };
  absl::flat_hash_map<std::tuple<uint64_t, std::string, uint32_t, uint32_t>,
                      RecordAt>
      record_at;
  // A large batch's tables are sized once, not doubled (and their pages
  // touched again) a dozen times on the way: about one statement row,
  // dictionary entry and record per statement.
  const size_t n = batch.statements.size();
  record_at.reserve(n);
  for (Cf cf : {kTermCf, kTidCf, kStmtCf, kSpoCf, kPosCf, kOspCf, kProvCf,
                kDocProvCf}) {
    overlay_[cf].Reserve(n);
  }
  if (!stored_only_defaults_) read_cache_[kTermCf].reserve(n);
  for (size_t i = 0; i < batch.statements.size(); ++i) {
    const std::string field = absl::StrCat(in, "statements[", i, "]");
    const StatementInput& st = batch.statements[i];
    if (st.provenance.empty()) {
      return Invalid(absl::StrCat(field, ".provenance"),
                     "at least one provenance record is required");
    }
    const uint64_t before = counters_.statements;
    KG_ASSIGN_OR_RETURN(ResolvedTerm stmt,
                        EnsureStatement(absl::StrCat(field, ".triple"),
                                        st.triple, /*depth=*/0));
    for (size_t j = 0; j < st.provenance.size(); ++j) {
      ProvenanceInput p = st.provenance[j];
      const std::string record_field =
          absl::StrCat(field, ".provenance[", j, "]");
      if (p.evidence_start == 0 && p.evidence_end == 0 && !p.evidence.empty()) {
        // Evidence by quote: find it in the document's text.
        KG_ASSIGN_OR_RETURN(
            const CachedDocument* doc,
            LoadDocument(absl::StrCat(record_field, ".document_id"),
                         p.document_id));
        if (!doc->text.empty()) {
          const std::string evidence_field =
              absl::StrCat(record_field, ".evidence");
          KG_RETURN_IF_ERROR(ValidateText(evidence_field, p.evidence,
                                          Limits::kMaxEvidenceBytes,
                                          /*allow_empty=*/false,
                                          /*allow_newlines=*/true));
          KG_ASSIGN_OR_RETURN(
              auto span, LocateQuote(evidence_field, p.document_id, doc->text,
                                     p.evidence));
          p.evidence_start = span.first;
          p.evidence_end = span.second;
        }
      }
      const auto [at, first] = record_at.try_emplace(
          std::make_tuple(stmt.tid, CanonicalDocumentId(p.document_id),
                          p.evidence_start, p.evidence_end),
          RecordAt{i, j});
      if (!first) {
        const RecordAt was = at->second;
        if (!SameRecordContent(
                p, batch.statements[was.statement].provenance[was.record])) {
          return Repeated(
              record_field,
              absl::StrCat(in, "statements[", was.statement, "].provenance[",
                           was.record, "]"),
              absl::StrCat("the same statement, document '",
                           EchoValue(p.document_id), "' and span [",
                           p.evidence_start, ", ", p.evidence_end, ")"));
        }
      }
      // An identical repeat is found as already there: counted unchanged.
      KG_RETURN_IF_ERROR(AddProvenance(record_field, stmt.tid, p, result));
    }
    result->statements_created += counters_.statements - before;
    TermValue self;
    DecodeTermKey(stmt.key, &self);  // a statement key built just above
    result->statement_ids.push_back(std::move(self.id));
  }
  for (size_t i = 0; i < batch.merges.size(); ++i) {
    KG_RETURN_IF_ERROR(MergeEntity(absl::StrCat(in, "merges[", i, "]"),
                                   batch.merges[i], result));
  }
  for (size_t i = 0; i < batch.entity_deletes.size(); ++i) {
    KG_RETURN_IF_ERROR(DeleteEntity(absl::StrCat(in, "entity_deletes[", i, "]"),
                                    batch.entity_deletes[i]));
  }
  return absl::OkStatus();
}

absl::Status WriteTxn::Retract(absl::string_view statement_id,
                               absl::string_view document_id,
                               RetractResult* result) {
  std::optional<std::string> hash = HashFromStatementId(statement_id);
  if (!hash) {
    return Invalid("statement_id", absl::StrCat("\"", EchoEscaped(statement_id),
                                                "\" is not a statement id"));
  }
  KG_RETURN_IF_ERROR(ValidateDocumentId("document_id", document_id));
  KG_ASSIGN_OR_RETURN(uint64_t stmt_tid, LookupTid(StatementTermKey(*hash)));
  if (stmt_tid == 0) {
    return NotFound("statement_id", absl::StrCat("no statement '",
                                                 EchoValue(statement_id), "'"));
  }
  KG_ASSIGN_OR_RETURN(uint64_t doc_tid,
                      LookupTid(DocumentTermKey(document_id)));
  if (doc_tid == 0) {
    return NotFound("document_id",
                    absl::StrCat("no document '", EchoValue(document_id), "'"));
  }
  KG_RETURN_IF_ERROR(OwnSharedRecord(stmt_tid, doc_tid));
  KG_ASSIGN_OR_RETURN(auto records,
                      Scan(kProvCf, ProvPrefix(stmt_tid, doc_tid)));
  int retracted = 0;
  for (const auto& [key, value] : records) {
    ProvValue stored;
    if (!DecodeProv(value, &stored)) {
      return absl::DataLossError("corrupt provenance record");
    }
    if (stored.retracted_micros) continue;
    stored.retracted_micros = now_micros_;
    Put(kProvCf, key, EncodeProv(stored));
    ++retracted;
  }
  if (retracted == 0) {
    return NotFound("document_id",
                    absl::StrCat("statement '", EchoValue(statement_id),
                                 "' has no live provenance record from "
                                 "document '",
                                 EchoValue(document_id), "'"));
  }
  counters_.provenance -= retracted;
  KG_RETURN_IF_ERROR(ChangeCounts(stmt_tid, -retracted, 0));
  KG_ASSIGN_OR_RETURN(StmtValue row, LoadStmt(stmt_tid));
  result->provenance_retracted = retracted;
  result->statement_removed = !row.indexed();
  return UpdateContested();
}

void WriteTxn::SetLogPosition(uint64_t position, std::optional<int64_t> at) {
  std::string value;
  PutFixed64(&value, position);
  if (at.has_value()) PutFixed64(&value, static_cast<uint64_t>(*at));
  Put(kDefaultCf, kLogPositionKey, value);
}

void WriteTxn::SealCounters() {
  Put(kDefaultCf, kCountersKey, EncodeCounters(counters_));
}

std::vector<PendingChanges::Changes> WriteTxn::changes() {
  SealCounters();
  std::vector<PendingChanges::Changes> out;
  out.reserve(kNumCfs);
  for (PendingChanges& cf : overlay_) out.push_back(cf.Sorted());
  return out;
}

}  // namespace kg::storage
