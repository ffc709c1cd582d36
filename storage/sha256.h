// SHA-256 for the content-derived ids (statements, blank nodes).
//
// OpenSSL 3's one-shot SHA256() fetches the algorithm by name on every
// call, which cost more than the hashing itself in a load (8% of a
// statement's apply time went to StatementHash); this fetches it once and
// keeps one digest context per thread.
#ifndef KG_STORAGE_SHA256_H_
#define KG_STORAGE_SHA256_H_

#include <array>

#include "absl/strings/string_view.h"

namespace kg::storage {

std::array<unsigned char, 32> Sha256(absl::string_view bytes);

}  // namespace kg::storage

#endif  // KG_STORAGE_SHA256_H_
