// The dictionary's two directions: a term key's id (LookupTid), and a term
// id's key (ReverseTermKey).
//
// Until format 6 every term had an entry in the tid family. A statement's
// term key is 'S' and the hash of its parts' keys, which its statement row
// already names, so since format 6 a statement's reverse entry is not
// written: its key is derived from the row (docs/storage.md "Statement
// terms without a reverse entry"). Stores written before keep theirs, and
// both read the same.
#ifndef KG_STORAGE_DICTIONARY_H_
#define KG_STORAGE_DICTIONARY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/keys.h"

namespace kg::storage {

// Reads one entry of a column family: a snapshot's, or a write's overlay.
using CfGetter = absl::FunctionRef<absl::StatusOr<std::optional<std::string>>(
    Cf cf, const std::string& key)>;

// Reads a term's key back from its tid: ReverseTermKey, or a reader's
// cache of what it read.
using ReverseGetter =
    absl::FunctionRef<absl::StatusOr<std::optional<std::string>>(uint64_t)>;

// The tid of `term_key`, 0 when the dictionary does not hold it. The
// dictionary is keyed by identity (TermIdentityKey). A statement is looked
// up by its short key (keys.h), the tid found there checked against the key
// `reverse` gives it, then by its whole key: a collision's, or any
// statement of a store written before format 6.
absl::StatusOr<uint64_t> LookupTid(CfGetter get, ReverseGetter reverse,
                                   const std::string& term_key);

// The term family key a term new to the dictionary is put under: its
// identity key, or, for a statement, its short key unless another
// statement holds it.
absl::StatusOr<std::string> NewTermFamilyKey(CfGetter get,
                                             const std::string& term_key);

// The term key of `tid`: its tid family entry, or, for a statement term
// that has none, 'S' and the hash of its parts (read through their own
// reverse entries and the statement row). nullopt when `tid` is neither;
// DATA_LOSS when a statement row or one of its parts is corrupt or missing.
absl::StatusOr<std::optional<std::string>> ReverseTermKey(CfGetter get,
                                                          uint64_t tid);

// The term key of statement `tid` from its parts' term keys: 'S' and
// StatementHash. DATA_LOSS when the predicate's key is not a relation's or
// an IRI's.
absl::StatusOr<std::string> StatementTermKeyOf(uint64_t tid,
                                               absl::string_view subject_key,
                                               absl::string_view predicate_key,
                                               absl::string_view object_key);

// A statement quotes at most Limits::kMaxQuoteDepth levels: a deeper chain
// of statement rows can only be a corrupt store (a cycle), and deriving a
// key stops there with DATA_LOSS rather than recurse forever.
absl::Status CheckDerivationDepth(uint64_t tid, int depth);

// The 16-byte content hash of a statement from its parts: the identity
// keys of its subject and object (TermIdentityKey) and its predicate (a
// relation id or an IRI).
std::string StatementHash(absl::string_view subject_key,
                          absl::string_view predicate,
                          absl::string_view object_key);

}  // namespace kg::storage

#endif  // KG_STORAGE_DICTIONARY_H_
