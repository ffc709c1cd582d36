#include "storage/dictionary.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/coding.h"
#include "storage/sha256.h"
#include "storage/status_macros.h"

namespace kg::storage {

absl::StatusOr<std::optional<std::string>> ReverseTermKey(CfGetter get,
                                                          uint64_t tid,
                                                          TermKeyCache* cache) {
  TermKeyCache local;
  TermKeyCache& keys = cache != nullptr ? *cache : local;
  if (auto it = keys.find(tid); it != keys.end()) return it->second;
  // Statements whose keys wait for their parts', innermost last. Along the
  // stack tids strictly decrease (checked), so nothing is pushed twice and
  // the walk ends.
  struct Pending {
    uint64_t tid;
    StmtValue row;
  };
  std::vector<Pending> pending;
  // Puts t's key in `keys` when the tid family has it, or pushes t's row;
  // false when t has neither.
  const auto visit = [&](uint64_t t) -> absl::StatusOr<bool> {
    const std::string tid_key = TidKey(t);
    KG_ASSIGN_OR_RETURN(std::optional<std::string> key, get(kTidCf, tid_key));
    if (key) {
      keys.emplace(t, *std::move(key));
      return true;
    }
    KG_ASSIGN_OR_RETURN(std::optional<std::string> value,
                        get(kStmtCf, tid_key));
    if (!value) return false;
    Pending p{t, {}};
    if (!DecodeStmt(*value, &p.row)) {
      return absl::DataLossError(absl::StrCat("corrupt statement row ", t));
    }
    pending.push_back(p);
    return true;
  };
  KG_ASSIGN_OR_RETURN(bool found, visit(tid));
  if (!found) return std::nullopt;
  while (!pending.empty()) {
    const Pending top = pending.back();
    bool ready = true;
    for (uint64_t part : {top.row.subject, top.row.relation, top.row.object}) {
      if (keys.contains(part)) continue;
      if (part >= top.tid) {
        return absl::DataLossError(
            absl::StrCat("statement ", top.tid, ": its part ", part,
                         " is not older than it (a corrupt statement row)"));
      }
      KG_ASSIGN_OR_RETURN(bool part_found, visit(part));
      if (!part_found) {
        return absl::DataLossError(absl::StrCat("statement ", top.tid,
                                                ": its part ", part,
                                                " is not in the dictionary"));
      }
      if (!keys.contains(part)) {  // pushed: its parts first
        ready = false;
        break;
      }
    }
    if (!ready) continue;
    KG_ASSIGN_OR_RETURN(
        std::string key,
        StatementTermKeyOf(top.tid, keys.at(top.row.subject),
                           keys.at(top.row.relation), keys.at(top.row.object)));
    keys.emplace(top.tid, std::move(key));
    pending.pop_back();
  }
  return keys.at(tid);
}

absl::StatusOr<uint64_t> LookupTid(CfGetter get, HolderCheck is_it,
                                   const std::string& term_key,
                                   bool short_keys_only) {
  const std::string identity = TermIdentityKey(term_key);
  const auto tid_at = [&](const std::string& key) -> absl::StatusOr<uint64_t> {
    KG_ASSIGN_OR_RETURN(std::optional<std::string> value, get(kTermCf, key));
    if (!value) return uint64_t{0};
    uint64_t tid;
    if (!DecodeTidValue(*value, &tid) || tid == 0) {
      return absl::DataLossError(absl::StrCat("corrupt dictionary entry \"",
                                              absl::CHexEscape(key), "\""));
    }
    return tid;
  };
  TermTag tag;
  absl::string_view rest;
  if (!SplitTermKey(identity, &tag, &rest) || tag != TermTag::kStatement ||
      rest.size() != kStatementHashBytes) {
    return tid_at(identity);
  }
  KG_ASSIGN_OR_RETURN(uint64_t tid, tid_at(ShortStatementTermKey(identity)));
  if (tid != 0) {
    KG_ASSIGN_OR_RETURN(bool found, is_it(tid));
    if (found) return tid;
  } else if (short_keys_only) {
    return uint64_t{0};
  }
  return tid_at(identity);
}

absl::StatusOr<std::string> NewTermFamilyKey(CfGetter get,
                                             const std::string& term_key) {
  std::string identity = TermIdentityKey(term_key);
  TermTag tag;
  absl::string_view rest;
  if (!SplitTermKey(identity, &tag, &rest) || tag != TermTag::kStatement ||
      rest.size() != kStatementHashBytes) {
    return identity;
  }
  std::string short_key = ShortStatementTermKey(identity);
  KG_ASSIGN_OR_RETURN(std::optional<std::string> holder,
                      get(kTermCf, short_key));
  return holder ? identity : short_key;
}

absl::StatusOr<std::string> StatementTermKeyOf(uint64_t tid,
                                               absl::string_view subject_key,
                                               absl::string_view predicate_key,
                                               absl::string_view object_key) {
  std::string predicate;
  if (!DecodePredicateTermKey(predicate_key, &predicate)) {
    return absl::DataLossError(absl::StrCat(
        "statement ", tid, ": its predicate is not a relation or an IRI"));
  }
  return StatementTermKey(StatementHash(TermIdentityKey(subject_key), predicate,
                                        TermIdentityKey(object_key)));
}

std::string StatementHash(absl::string_view subject_key,
                          absl::string_view predicate,
                          absl::string_view object_key) {
  std::string canonical;
  PutLengthPrefixed(&canonical, subject_key);
  PutLengthPrefixed(&canonical, predicate);
  PutLengthPrefixed(&canonical, object_key);
  const std::array<unsigned char, 32> digest = Sha256(canonical);
  return std::string(reinterpret_cast<const char*>(digest.data()),
                     kStatementHashBytes);
}

}  // namespace kg::storage
