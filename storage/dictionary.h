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

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/keys.h"

namespace kg::storage {

// Reads one entry of a column family: a snapshot's, or a write's overlay.
using CfGetter = absl::FunctionRef<absl::StatusOr<std::optional<std::string>>(
    Cf cf, const std::string& key)>;

// Whether the statement term with tid `holder`, found under a short key,
// is the one looked up (LookupTid).
using HolderCheck = absl::FunctionRef<absl::StatusOr<bool>(uint64_t holder)>;

// The tid of `term_key`, 0 when the dictionary does not hold it. The
// dictionary is keyed by identity (TermIdentityKey). A statement is looked
// up by its short key (keys.h), the tid found there confirmed by `is_it`,
// then by its whole key: a collision's, or any statement of a store
// written before format 6.
// `short_keys_only`: the store was created so (kShortStatementKeysKey),
// and a statement with no short key is not there at all.
absl::StatusOr<uint64_t> LookupTid(CfGetter get, HolderCheck is_it,
                                   const std::string& term_key,
                                   bool short_keys_only);

// The term family key a term new to the dictionary is put under: its
// identity key, or, for a statement, its short key unless another
// statement holds it.
absl::StatusOr<std::string> NewTermFamilyKey(CfGetter get,
                                             const std::string& term_key);

// Term keys by tid, kept by a caller across ReverseTermKey calls (a
// reader's, for its snapshot's life).
using TermKeyCache = absl::flat_hash_map<uint64_t, std::string>;

// The term key of `tid`: its tid family entry, or, for a statement term
// that has none, 'S' and the hash of its parts' keys, read through its
// statement row (and theirs, for quoted statements, however deep: the
// walk keeps its own stack, not the call stack). Keys read or derived are
// added to `cache` when one is given. nullopt when `tid` is neither a term
// nor a statement; DATA_LOSS when a statement row is corrupt, a part is
// missing, or a part is not older than its statement (a part's tid is
// always allocated first, so anything else is a corrupt row, perhaps a
// cycle).
absl::StatusOr<std::optional<std::string>> ReverseTermKey(
    CfGetter get, uint64_t tid, TermKeyCache* cache = nullptr);

// The term key of statement `tid` from its parts' term keys: 'S' and
// StatementHash. DATA_LOSS when the predicate's key is not a relation's or
// an IRI's.
absl::StatusOr<std::string> StatementTermKeyOf(uint64_t tid,
                                               absl::string_view subject_key,
                                               absl::string_view predicate_key,
                                               absl::string_view object_key);

// The 16-byte content hash of a statement from its parts: the identity
// keys of its subject and object (TermIdentityKey) and its predicate (a
// relation id or an IRI).
std::string StatementHash(absl::string_view subject_key,
                          absl::string_view predicate,
                          absl::string_view object_key);

}  // namespace kg::storage

#endif  // KG_STORAGE_DICTIONARY_H_
