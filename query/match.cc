#include "query/match.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "storage/status_macros.h"

namespace kg::query {

namespace {

// Page tokens: "a" + the store's token in the as-stored half, "b" + the
// store's token in the swapped half. Each inner token is authenticated by
// the store against its own pattern.
constexpr char kStored = 'a';
constexpr char kSwapped = 'b';
// Store pages read per call in the swapped half before a short page is
// returned, so that a relation-less pattern over many non-symmetric
// statements stays bounded.
constexpr int kMaxSwappedReads = 64;

}  // namespace

// Whether `pattern` has a swapped half, and whether that half keeps only
// symmetric relations' statements (the relation is unset).
struct Halves {
  bool swap = false;
  bool only_symmetric = false;
};

Halves HalvesOf(storage::Reader& reader, const storage::Pattern& pattern) {
  Halves h;
  bool& swap = h.swap;
  bool& only_symmetric = h.only_symmetric;
  const bool literal_object =
      pattern.object && pattern.object->kind() == storage::Term::Kind::kLiteral;
  if ((pattern.subject || pattern.object) && !literal_object &&
      !(pattern.subject && pattern.object &&
        pattern.subject->id() == pattern.object->id() &&
        pattern.subject->kind() == pattern.object->kind() &&
        pattern.subject->kind() != storage::Term::Kind::kStatement)) {
    if (pattern.relation) {
      absl::StatusOr<storage::Relation> r =
          reader.GetRelation(*pattern.relation);
      swap = r.ok() && r->symmetric;
    } else {
      swap = true;
      only_symmetric = true;
    }
  }
  return h;
}

absl::StatusOr<storage::MatchPage> MatchBothWays(
    storage::Reader& reader, const storage::Pattern& pattern,
    const storage::MatchOptions& options) {
  const Halves halves = HalvesOf(reader, pattern);
  const bool swap = halves.swap;
  const bool only_symmetric = halves.only_symmetric;
  absl::string_view token = options.page_token;
  char half = kStored;
  if (!token.empty()) {
    half = token[0];
    token.remove_prefix(1);
    if ((half != kStored && half != kSwapped) || (half == kSwapped && !swap)) {
      return absl::InvalidArgumentError(
          "page_token: not a token of this query");
    }
  }

  storage::MatchPage out;
  storage::MatchOptions o = options;
  if (half == kStored) {
    o.page_token = std::string(token);
    KG_ASSIGN_OR_RETURN(storage::MatchPage page, reader.Match(pattern, o));
    out.statements = std::move(page.statements);
    if (!page.next_page_token.empty()) {
      out.next_page_token =
          absl::StrCat(std::string(1, kStored), page.next_page_token);
      return out;
    }
    if (!swap) return out;
    token = "";
    if (out.statements.size() == options.limit) {
      out.next_page_token = std::string(1, kSwapped);
      return out;
    }
  }

  storage::Pattern swapped = pattern;
  swapped.subject = pattern.object;
  swapped.object = pattern.subject;
  std::string inner(token);
  for (int reads = 0; reads < kMaxSwappedReads; ++reads) {
    o.limit = options.limit - out.statements.size();
    o.page_token = inner;
    absl::StatusOr<storage::MatchPage> page = reader.Match(swapped, o);
    if (!page.ok()) {
      // Nothing can be stored with the swapped pattern (a statement never
      // quoted as a subject, say): the swapped half is empty.
      if (page.status().code() == absl::StatusCode::kNotFound) return out;
      return page.status();
    }
    for (storage::Statement& st : page->statements) {
      if (only_symmetric) {
        absl::StatusOr<storage::Relation> r = reader.GetRelation(st.relation);
        if (!r.ok() || !r->symmetric) continue;
      }
      out.statements.push_back(std::move(st));
    }
    inner = std::move(page->next_page_token);
    if (inner.empty()) return out;
    if (out.statements.size() == options.limit) break;
  }
  out.next_page_token = absl::StrCat(std::string(1, kSwapped), inner);
  return out;
}

absl::StatusOr<uint64_t> CountBothWays(storage::Reader& reader,
                                       const storage::Pattern& pattern,
                                       bool exact) {
  KG_ASSIGN_OR_RETURN(uint64_t n, exact ? reader.Count(pattern)
                                        : reader.EstimateCount(pattern));
  const Halves halves = HalvesOf(reader, pattern);
  if (!halves.swap) return n;
  storage::Pattern swapped = pattern;
  swapped.subject = pattern.object;
  swapped.object = pattern.subject;
  if (!halves.only_symmetric) {
    absl::StatusOr<uint64_t> m =
        exact ? reader.Count(swapped) : reader.EstimateCount(swapped);
    if (!m.ok() && m.status().code() == absl::StatusCode::kNotFound) return n;
    if (!m.ok()) return m.status();
    return n + *m;
  }
  if (!exact) return n;
  storage::MatchOptions o;
  o.limit = 1000;
  o.include_quoted = true;  // as Count counts: everything indexed
  do {
    absl::StatusOr<storage::MatchPage> page = reader.Match(swapped, o);
    if (!page.ok() && page.status().code() == absl::StatusCode::kNotFound) {
      return n;
    }
    if (!page.ok()) return page.status();
    for (const storage::Statement& st : page->statements) {
      absl::StatusOr<storage::Relation> r = reader.GetRelation(st.relation);
      if (r.ok() && r->symmetric) ++n;
    }
    o.page_token = std::move(page->next_page_token);
  } while (!o.page_token.empty());
  return n;
}

}  // namespace kg::query
