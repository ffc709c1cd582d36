// Opaque resumable cursors for paged reads: URL-safe base64 of a version
// byte, a kind byte (which listing), a fingerprint of the query, and the
// last key returned. A cursor is accepted only by the same kind of listing
// with the same query, and only with a key inside the query's range.
#ifndef KG_STORAGE_CURSOR_H_
#define KG_STORAGE_CURSOR_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace kg::storage {

// FNV-1a over `data`: stable across processes and builds.
uint64_t Fingerprint(absl::string_view data);

std::string EncodeCursor(uint8_t kind, uint64_t fingerprint,
                         absl::string_view last_key);
// The last key, or nullopt when `token` is not a cursor of this kind and
// query or its key does not start with `prefix`.
std::optional<std::string> DecodeCursor(absl::string_view token, uint8_t kind,
                                        uint64_t fingerprint,
                                        absl::string_view prefix);

}  // namespace kg::storage

#endif  // KG_STORAGE_CURSOR_H_
