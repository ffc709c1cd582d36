#include "storage/dictionary.h"

#include <openssl/sha.h>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/coding.h"
#include "storage/status_macros.h"
#include "storage/store.h"

namespace kg::storage {

namespace {

absl::StatusOr<std::optional<std::string>> ReverseTermKeyAt(CfGetter get,
                                                            uint64_t tid,
                                                            int depth) {
  const std::string tid_key = TidKey(tid);
  KG_ASSIGN_OR_RETURN(std::optional<std::string> key, get(kTidCf, tid_key));
  if (key) return key;
  KG_ASSIGN_OR_RETURN(std::optional<std::string> value, get(kStmtCf, tid_key));
  if (!value) return std::nullopt;
  StmtValue row;
  if (!DecodeStmt(*value, &row)) {
    return absl::DataLossError(absl::StrCat("corrupt statement row ", tid));
  }
  KG_RETURN_IF_ERROR(CheckDerivationDepth(tid, depth));
  const auto part = [&](uint64_t part_tid) -> absl::StatusOr<std::string> {
    KG_ASSIGN_OR_RETURN(std::optional<std::string> part_key,
                        ReverseTermKeyAt(get, part_tid, depth + 1));
    if (!part_key) {
      return absl::DataLossError(absl::StrCat("statement ", tid, ": its part ",
                                              part_tid,
                                              " is not in the dictionary"));
    }
    return *std::move(part_key);
  };
  KG_ASSIGN_OR_RETURN(std::string subject, part(row.subject));
  KG_ASSIGN_OR_RETURN(std::string predicate, part(row.relation));
  KG_ASSIGN_OR_RETURN(std::string object, part(row.object));
  return StatementTermKeyOf(tid, subject, predicate, object);
}

}  // namespace

absl::StatusOr<uint64_t> LookupTid(CfGetter get, ReverseGetter reverse,
                                   const std::string& term_key) {
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
    KG_ASSIGN_OR_RETURN(std::optional<std::string> holder, reverse(tid));
    if (!holder) {
      return absl::DataLossError(absl::StrCat(
          "the dictionary names statement term ", tid, ", which has no row"));
    }
    if (*holder == identity) return tid;
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

absl::Status CheckDerivationDepth(uint64_t tid, int depth) {
  if (depth <= Limits::kMaxQuoteDepth) return absl::OkStatus();
  return absl::DataLossError(
      absl::StrCat("statement ", tid, " quotes statements nested deeper than ",
                   Limits::kMaxQuoteDepth));
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

absl::StatusOr<std::optional<std::string>> ReverseTermKey(CfGetter get,
                                                          uint64_t tid) {
  return ReverseTermKeyAt(get, tid, 0);
}

std::string StatementHash(absl::string_view subject_key,
                          absl::string_view predicate,
                          absl::string_view object_key) {
  std::string canonical;
  PutLengthPrefixed(&canonical, subject_key);
  PutLengthPrefixed(&canonical, predicate);
  PutLengthPrefixed(&canonical, object_key);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()),
         canonical.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest),
                     kStatementHashBytes);
}

}  // namespace kg::storage
