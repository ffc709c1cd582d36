// Evidence by quote: where a quoted passage is in a document's text, or why
// it is not there. Every write path (WriteStatements, Ingest, Import, JSON
// Lines files) accepts evidence without offsets and locates it here
// (docs/api.md, "Evidence by quote").
#ifndef KG_STORAGE_QUOTE_H_
#define KG_STORAGE_QUOTE_H_

#include <cstdint>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kg::storage {

// [start, end) of `quote` in `text`, in code points, when it occurs exactly
// once. Otherwise INVALID_ARGUMENT naming `field`:
//   - more than once: where (code points, with some context; at most 10
//     listed) and how to choose (give evidence_start, or quote more words);
//   - not at all: the nearest passage of the text and the likely cause
//     (curly and straight quotes or apostrophes, dashes, whitespace, case),
//     or that nothing close exists.
absl::StatusOr<std::pair<uint32_t, uint32_t>> LocateQuote(
    absl::string_view field, absl::string_view document_id,
    absl::string_view text, absl::string_view quote);

}  // namespace kg::storage

#endif  // KG_STORAGE_QUOTE_H_
