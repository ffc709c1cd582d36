// Stateless checks of values that enter the store: ids, labels, UTF-8,
// literals, confidences. Each returns OK or INVALID_ARGUMENT with a message
// that starts with `field` ("statements[2].provenance[0].confidence: ...").
// Checks that need the store (does the entity exist?) live in the writer.
#ifndef KG_STORAGE_VALIDATE_H_
#define KG_STORAGE_VALIDATE_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/model.h"

namespace kg::storage {

// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates).
bool IsValidUtf8(absl::string_view s);

// The byte range of code points [start, end) of UTF-8 `text`, or nullopt
// when the range is outside the text or reversed.
std::optional<std::pair<size_t, size_t>> CodePointSpan(absl::string_view text,
                                                       uint32_t start,
                                                       uint32_t end);

// CodePointSpan over one text many times: remembers the byte offset of
// every 256th code point, so a span costs at most 256 steps plus its length
// instead of a walk from the start. `text` must outlive the index.
class CodePointIndex {
 public:
  explicit CodePointIndex(absl::string_view text);
  std::optional<std::pair<size_t, size_t>> Span(uint32_t start,
                                                uint32_t end) const;

 private:
  // Byte offset of code point k * kStride, and where walking from a
  // checkpoint reaches code point `cp`.
  static constexpr uint32_t kStride = 256;
  std::optional<size_t> Locate(uint32_t cp) const;

  absl::string_view text_;
  std::vector<size_t> checkpoints_;
  uint32_t code_points_ = 0;
};

// A slug: 1..Limits::kMaxIdBytes of [a-z0-9_], starting with [a-z0-9].
absl::Status ValidateId(absl::string_view field, absl::string_view id);
// Non-empty valid UTF-8 up to max_bytes without control characters.
absl::Status ValidateText(absl::string_view field, absl::string_view text,
                          size_t max_bytes, bool allow_empty = false,
                          bool allow_newlines = false);
// An entity type: [A-Za-z][A-Za-z0-9_]*, at most 64 bytes.
absl::Status ValidateType(absl::string_view field, absl::string_view type);
absl::Status ValidateConfidence(absl::string_view field, double confidence);
absl::Status ValidateValidTime(absl::string_view field, const ValidTime& vt);
absl::Status ValidateEntity(absl::string_view field, const Entity& e);
absl::Status ValidateRelation(absl::string_view field, const Relation& r);
absl::Status ValidateDocument(absl::string_view field, const Document& d);

// Checks a literal and returns it in canonical form: integers without
// leading zeros or '+', decimals as [-]digits[.digits] without superfluous
// zeros, dates as YYYY[-MM[-DD]].
// An absolute IRI (scheme ':' ...), valid UTF-8, at most kMaxIriBytes, with
// none of the characters N-Triples forbids in an IRI.
absl::Status ValidateIri(absl::string_view field, absl::string_view iri);
// [a-zA-Z]+ ('-' [a-zA-Z0-9]+)*, at most kMaxLanguageBytes.
absl::Status ValidateLanguageTag(absl::string_view field,
                                 absl::string_view tag);
// A document id: a slug, an absolute IRI, or "_:b" + 32 hex digits (a
// blank graph name once scoped).
absl::Status ValidateDocumentId(absl::string_view field, absl::string_view id);
// An RDF literal (kTyped or kLangString as Term::RdfLiteral makes them):
// validated, and turned into kg's compact type when it is exactly one
// (a simple string; an xsd:integer or xsd:decimal already in kg's canonical
// form; an xsd:date, xsd:gYearMonth or xsd:gYear that is a valid date of
// that precision). Lexical forms are never changed.
absl::StatusOr<Literal> CanonicalRdfLiteral(absl::string_view field,
                                            const Literal& literal);
absl::StatusOr<Literal> CanonicalLiteral(absl::string_view field,
                                         const Literal& literal);

}  // namespace kg::storage

#endif  // KG_STORAGE_VALIDATE_H_
