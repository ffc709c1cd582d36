#include "storage/quote.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/echo.h"

namespace kg::storage {

namespace {

// At most this many occurrences are listed, and this many characters of
// context shown on each side.
constexpr size_t kListed = 10;
constexpr size_t kContext = 24;
// A prefix or suffix of the quote must match at least this many characters
// of the text for the text there to count as "the nearest passage".
constexpr size_t kMinNear = 12;

// One code point of valid UTF-8 at `s[i]`; its length in `*len`.
uint32_t Decode(absl::string_view s, size_t i, size_t* len) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80 || i + 1 >= s.size()) {
    *len = 1;
    return c;
  }
  if ((c & 0xe0) == 0xc0) {
    *len = 2;
    return ((c & 0x1fu) << 6) | (b(1) & 0x3fu);
  }
  if ((c & 0xf0) == 0xe0 && i + 2 < s.size()) {
    *len = 3;
    return ((c & 0x0fu) << 12) | ((b(1) & 0x3fu) << 6) | (b(2) & 0x3fu);
  }
  if (i + 3 < s.size()) {
    *len = 4;
    return ((c & 0x07u) << 18) | ((b(1) & 0x3fu) << 12) |
           ((b(2) & 0x3fu) << 6) | (b(3) & 0x3fu);
  }
  *len = 1;
  return c;
}

// A passage of the (valid UTF-8) text as a message shows it: on one line,
// its characters as they are, so that ’ and ' stay distinguishable.
std::string Shown(absl::string_view s) {
  std::string out = EchoValue(s, 512);
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return out;
}

uint32_t CodePointsIn(absl::string_view s) {
  uint32_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return n;
}

// What Normalize folds: each is one likely cause of a quote not matching.
enum Fold : unsigned {
  kQuotes = 1,  // ‘ ’ ‛ ′ to ', “ ” ‟ ″ to "
  kDashes = 2,  // ‐ ‑ ‒ – — ― − to -
  kSpace = 4,   // runs of spaces, tabs, newlines and no-break spaces to one
  kCase = 8,    // ASCII case
  kAll = 15,
};

// `s` with the folds applied; `from[k]`, when asked, is the byte of `s`
// that byte k of the result came from (one past the end at the end).
std::string Normalize(absl::string_view s, unsigned folds,
                      std::vector<uint32_t>* from = nullptr) {
  std::string out;
  out.reserve(s.size());
  if (from != nullptr) {
    from->clear();
    from->reserve(s.size() + 1);
  }
  bool in_space = false;
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    const uint32_t cp = Decode(s, i, &len);
    const bool space =
        cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xa0;
    std::string piece;
    if ((folds & kSpace) && space) {
      if (!in_space) piece = " ";
    } else if ((folds & kQuotes) &&
               (cp == 0x2018 || cp == 0x2019 || cp == 0x201b || cp == 0x2032)) {
      piece = "'";
    } else if ((folds & kQuotes) &&
               (cp == 0x201c || cp == 0x201d || cp == 0x201f || cp == 0x2033)) {
      piece = "\"";
    } else if ((folds & kDashes) &&
               ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212)) {
      piece = "-";
    } else if ((folds & kCase) && cp >= 'A' && cp <= 'Z') {
      piece = std::string(1, static_cast<char>(cp - 'A' + 'a'));
    } else {
      piece = std::string(s.substr(i, len));
    }
    in_space = space;
    for (char c : piece) {
      out.push_back(c);
      if (from != nullptr) from->push_back(static_cast<uint32_t>(i));
    }
    i += len;
  }
  if (from != nullptr) from->push_back(static_cast<uint32_t>(s.size()));
  return out;
}

// The causes that explain why `quote` and `passage` differ although they
// agree once everything is folded: each fold without which they differ.
std::vector<std::string> Causes(absl::string_view quote,
                                absl::string_view passage) {
  std::vector<std::string> causes;
  const std::pair<Fold, const char*> names[] = {
      {kQuotes, "curly and straight quotes or apostrophes (’ ' “ \")"},
      {kDashes, "dashes (– — -)"},
      {kSpace, "whitespace (spaces, line breaks)"},
      {kCase, "upper and lower case"},
  };
  for (const auto& [fold, name] : names) {
    const unsigned others = kAll & ~fold;
    if (Normalize(quote, others) != Normalize(passage, others)) {
      causes.push_back(name);
    }
  }
  return causes;
}

// `text` around [begin, end) bytes: "…before[passage]after…".
std::string InContext(absl::string_view text, size_t begin, size_t end) {
  size_t from = begin, to = end;
  for (size_t n = 0; n < kContext && from > 0; ++n) {
    do --from;
    while (from > 0 && (static_cast<unsigned char>(text[from]) & 0xc0) == 0x80);
  }
  for (size_t n = 0; n < kContext && to < text.size(); ++n) {
    do ++to;
    while (to < text.size() &&
           (static_cast<unsigned char>(text[to]) & 0xc0) == 0x80);
  }
  return absl::StrCat(
      from > 0 ? "…" : "", Shown(text.substr(from, begin - from)), "[",
      Shown(text.substr(begin, end - begin)), "]",
      Shown(text.substr(end, to - end)), to < text.size() ? "…" : "");
}

// The nearest passage when the quote does not occur even folded: the text
// at the longest prefix (or else suffix) of the folded quote that occurs.
std::string NotFound(absl::string_view field, absl::string_view document_id,
                     absl::string_view text, absl::string_view quote) {
  std::vector<uint32_t> from;
  const std::string t = Normalize(text, kAll, &from);
  const std::string q = Normalize(quote, kAll);
  const std::string where =
      absl::StrCat(field, ": not found in the text of document '",
                   EchoValue(document_id), "'");
  // Folded, does it occur? Then the folds are the cause.
  if (size_t at = t.find(q); !q.empty() && at != std::string::npos) {
    const size_t begin = from[at];
    const size_t end = from[at + q.size()];
    const absl::string_view passage = text.substr(begin, end - begin);
    const uint32_t start = CodePointsIn(text.substr(0, begin));
    return absl::StrCat(where, "; it differs from the text at [", start, ", ",
                        start + CodePointsIn(passage), ") only in ",
                        absl::StrJoin(Causes(quote, passage), " and "), ": \"",
                        Shown(passage),
                        "\" (quote the text exactly, or give its offsets)");
  }
  // The longest prefix, else suffix, of the folded quote that occurs.
  auto longest = [&](bool prefix, size_t* at) {
    size_t lo = 0, hi = q.size();
    while (lo < hi) {
      const size_t mid = (lo + hi + 1) / 2;
      const std::string part =
          prefix ? q.substr(0, mid) : q.substr(q.size() - mid);
      const size_t found = t.find(part);
      if (found != std::string::npos) {
        lo = mid;
        *at = found;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  };
  size_t prefix_at = 0, suffix_at = 0;
  const size_t prefix = longest(true, &prefix_at);
  const size_t suffix = longest(false, &suffix_at);
  if (std::max(prefix, suffix) < kMinNear) {
    return absl::StrCat(where,
                        ", nor anything close to it (is it the right "
                        "document? kgctl document get ",
                        EchoValue(document_id), " --text shows its text)");
  }
  size_t begin, end, agree;
  if (prefix >= suffix) {
    begin = from[prefix_at];
    end = from[std::min(t.size(), prefix_at + q.size())];
    agree = prefix;
  } else {
    const size_t start =
        suffix_at + suffix >= q.size() ? suffix_at + suffix - q.size() : 0;
    begin = from[start];
    end = from[suffix_at + suffix];
    agree = suffix;
  }
  const uint32_t start = CodePointsIn(text.substr(0, begin));
  return absl::StrCat(
      where, "; the nearest passage is at [", start, ", ",
      start + CodePointsIn(text.substr(begin, end - begin)),
      "): ", InContext(text, begin, end), " (the evidence agrees with it for ",
      agree, " characters from its ", prefix >= suffix ? "start" : "end",
      ", then differs: a changed word, or a cut across sentences?)");
}

}  // namespace

absl::StatusOr<std::pair<uint32_t, uint32_t>> LocateQuote(
    absl::string_view field, absl::string_view document_id,
    absl::string_view text, absl::string_view quote) {
  std::vector<size_t> found;
  size_t total = 0;
  for (size_t pos = text.find(quote); pos != absl::string_view::npos;
       pos = text.find(quote, pos + 1)) {
    if (found.size() < kListed) found.push_back(pos);
    ++total;
  }
  if (total == 0) {
    return absl::InvalidArgumentError(
        NotFound(field, document_id, text, quote));
  }
  // Byte offsets to code points, walking forward once.
  std::vector<uint32_t> starts;
  uint32_t cp = 0;
  size_t at = 0;
  for (size_t pos : found) {
    cp += CodePointsIn(text.substr(at, pos - at));
    at = pos;
    starts.push_back(cp);
  }
  const uint32_t length = CodePointsIn(quote);
  if (total == 1) return std::make_pair(starts[0], starts[0] + length);
  std::vector<std::string> listed;
  for (size_t i = 0; i < found.size(); ++i) {
    listed.push_back(absl::StrCat(
        starts[i], " ", InContext(text, found[i], found[i] + quote.size())));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": occurs ", total, " times in the text of document '",
      EchoValue(document_id), "', at code points ", absl::StrJoin(listed, "; "),
      total > found.size() ? "; ..." : "",
      "; choose one by giving its evidence_start (kgctl --evidence-start), "
      "or quote more words"));
}

}  // namespace kg::storage
