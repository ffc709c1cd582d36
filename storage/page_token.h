// Page tokens: the one codec for every paged read, in storage/ and query/.
// A token is the URL-safe base64 (unpadded) of a version byte, a kind byte
// (which listing), a 64-bit fingerprint of the query, the last key the
// previous page returned, and a MAC of all that: HMAC-SHA-256 under the
// store's own random key (kept in the store), cut to 16 bytes. A token is
// accepted only by the store that issued it, unaltered, by the same kind of
// listing with the same query, and only with a key inside the query's
// range; anything else is INVALID_ARGUMENT naming `page_token`, the field
// the API documents.
//
//   const PageTokenCodec& tokens = reader.page_tokens();
//   QueryFingerprint q;
//   q.Add(prefix).Add(min_confidence);
//   KG_ASSIGN_OR_RETURN(std::string after,
//                       tokens.Decode(token, PageTokenKind::kMatchSpo,
//                                     q.value(), prefix));
//   ... scan after `after` ...
//   page.next_page_token = tokens.Encode(PageTokenKind::kMatchSpo,
//                                        q.value(), last_key);
#ifndef KG_STORAGE_PAGE_TOKEN_H_
#define KG_STORAGE_PAGE_TOKEN_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kg::storage {

// Which listing issued a token. Values are inside tokens that clients hold:
// DO NOT CHANGE them; add new kinds at the end.
enum class PageTokenKind : uint8_t {
  // storage::Reader
  kMatchSpo = 1,
  kMatchPos = 2,
  kMatchOsp = 3,
  kEntitySearch = 4,
  kEntityList = 5,
  kDocumentList = 6,
  kDocumentProvenance = 7,
  kStatementList = 8,
  // query::ProvenanceEngine
  kWhy = 9,
  kByDocument = 10,
  kByClaimant = 11,
  kContested = 12,
};

// FNV-1a, 64 bits (offset basis 14695981039346656037, prime 1099511628211):
// stable across processes and builds, unlike absl::Hash.
uint64_t Fingerprint(absl::string_view data);

// The identity of a query that its tokens are bound to. Each part is
// appended unambiguously (length-prefixed or fixed-width), so ("ab", "c")
// and ("a", "bc") differ. Not thread-safe.
class QueryFingerprint {
 public:
  QueryFingerprint& Add(absl::string_view part);
  QueryFingerprint& Add(uint64_t part);
  QueryFingerprint& Add(int64_t part);
  QueryFingerprint& Add(double part);
  QueryFingerprint& Add(bool part);
  // Without these, a string literal would pick the bool overload.
  QueryFingerprint& Add(const char* part) {
    return Add(absl::string_view(part));
  }
  QueryFingerprint& Add(const std::string& part) {
    return Add(absl::string_view(part));
  }
  uint64_t value() const { return Fingerprint(bytes_); }

 private:
  std::string bytes_;
};

// Encodes and checks the page tokens of one store. Immutable, so
// thread-safe.
class PageTokenCodec {
 public:
  // Bytes of a key (NewKey) and of the MAC a token carries.
  static constexpr size_t kKeyBytes = 32;
  static constexpr size_t kMacBytes = 16;

  // A fresh random key, from OpenSSL's generator; UNAVAILABLE when it has
  // no randomness to give.
  static absl::StatusOr<std::string> NewKey();

  // `key`: the store's secret, kKeyBytes bytes from NewKey.
  explicit PageTokenCodec(std::string key) : key_(std::move(key)) {}

  // The token for the page after `last_key`, which must not be empty.
  std::string Encode(PageTokenKind kind, uint64_t fingerprint,
                     absl::string_view last_key) const;

  // The last key of the previous page; "" when `token` is empty (the first
  // page). INVALID_ARGUMENT naming `page_token` when the token is malformed,
  // altered or made up (its MAC does not check under this key: from
  // another store too), was issued by another kind of listing or for
  // another query, or holds a key that does not start with `key_prefix`
  // or (when `key_size` is not 0) is not `key_size` bytes long.
  absl::StatusOr<std::string> Decode(absl::string_view token,
                                     PageTokenKind kind, uint64_t fingerprint,
                                     absl::string_view key_prefix = "",
                                     size_t key_size = 0) const;

 private:
  // HMAC-SHA-256 of `data` under key_, cut to kMacBytes.
  std::string Mac(absl::string_view data) const;

  std::string key_;
};

}  // namespace kg::storage

#endif  // KG_STORAGE_PAGE_TOKEN_H_
