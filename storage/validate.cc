#include "storage/validate.h"

#include <cmath>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/echo.h"
#include "common/status_macros.h"
#include "storage/store.h"

namespace kg::storage {

namespace {

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

// "b" + 32 lowercase hex digits.
bool BlankBytesFromHex(absl::string_view id) {
  if (id.size() != 33 || id[0] != 'b') return false;
  for (char c : id.substr(1)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += len;
  }
  return true;
}

std::optional<std::pair<size_t, size_t>> CodePointSpan(absl::string_view text,
                                                       uint32_t start,
                                                       uint32_t end) {
  if (start > end) return std::nullopt;
  size_t byte = 0;
  uint32_t cp = 0;
  size_t begin_byte = std::string::npos;
  while (true) {
    if (cp == start) begin_byte = byte;
    if (cp == end) return std::make_pair(begin_byte, byte);
    if (byte >= text.size()) return std::nullopt;
    ++byte;
    while (byte < text.size() &&
           (static_cast<unsigned char>(text[byte]) & 0xc0) == 0x80) {
      ++byte;
    }
    ++cp;
  }
}

CodePointIndex::CodePointIndex(absl::string_view text) : text_(text) {
  for (size_t byte = 0; byte < text.size(); ++byte) {
    if ((static_cast<unsigned char>(text[byte]) & 0xc0) == 0x80) continue;
    if (code_points_ % kStride == 0) checkpoints_.push_back(byte);
    ++code_points_;
  }
}

std::optional<size_t> CodePointIndex::Locate(uint32_t cp) const {
  if (cp > code_points_) return std::nullopt;
  if (cp == code_points_) return text_.size();
  size_t byte = checkpoints_[cp / kStride];
  for (uint32_t k = cp - cp % kStride; k < cp; ++k) {
    ++byte;
    while (byte < text_.size() &&
           (static_cast<unsigned char>(text_[byte]) & 0xc0) == 0x80) {
      ++byte;
    }
  }
  return byte;
}

std::optional<std::pair<size_t, size_t>> CodePointIndex::Span(
    uint32_t start, uint32_t end) const {
  if (start > end) return std::nullopt;
  std::optional<size_t> a = Locate(start), b = Locate(end);
  if (!a || !b) return std::nullopt;
  return std::make_pair(*a, *b);
}

absl::Status ValidateId(absl::string_view field, absl::string_view id) {
  if (id.empty()) return Invalid(field, "must not be empty");
  if (id.size() > Limits::kMaxIdBytes) {
    return Invalid(field,
                   absl::StrCat("longer than ", Limits::kMaxIdBytes, " bytes"));
  }
  for (char c : id) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) {
      return Invalid(field, absl::StrCat("\"", EchoEscaped(id),
                                         "\" is not a lowercase slug "
                                         "([a-z0-9_], e.g. north_korea)"));
    }
  }
  if (id[0] == '_') return Invalid(field, "must start with [a-z0-9]");
  return absl::OkStatus();
}

absl::Status ValidateText(absl::string_view field, absl::string_view text,
                          size_t max_bytes, bool allow_empty,
                          bool allow_newlines) {
  if (text.empty() && !allow_empty) return Invalid(field, "must not be empty");
  if (text.size() > max_bytes) {
    return Invalid(field, absl::StrCat("longer than ", max_bytes, " bytes"));
  }
  if (!IsValidUtf8(text)) return Invalid(field, "is not valid UTF-8");
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u == 0) return Invalid(field, "contains a NUL byte");
    if (allow_newlines && (c == '\n' || c == '\r' || c == '\t')) continue;
    if (u < 0x20 || u == 0x7f) {
      return Invalid(field, "contains a control character");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateType(absl::string_view field, absl::string_view type) {
  if (type.empty()) return Invalid(field, "must not be empty");
  if (type.size() > 64) return Invalid(field, "longer than 64 bytes");
  const auto alpha = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  };
  if (!alpha(type[0])) return Invalid(field, "must start with a letter");
  for (char c : type) {
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '_') {
      return Invalid(field, "must be [A-Za-z][A-Za-z0-9_]* (e.g. Country)");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateConfidence(absl::string_view field, double confidence) {
  if (!std::isfinite(confidence) || confidence < 0.0 || confidence > 1.0) {
    return Invalid(
        field, absl::StrCat("must be a number in [0, 1], got ", confidence));
  }
  return absl::OkStatus();
}

absl::Status ValidateValidTime(absl::string_view field, const ValidTime& vt) {
  if (vt.start && vt.end && vt.start->FirstDay() > vt.end->LastDay()) {
    return Invalid(field, absl::StrCat("start ", vt.start->ToString(),
                                       " is after end ", vt.end->ToString()));
  }
  return absl::OkStatus();
}

absl::Status ValidateEntity(absl::string_view field, const Entity& e) {
  absl::Status s = ValidateId(absl::StrCat(field, ".id"), e.id);
  if (!s.ok()) return s;
  s = ValidateText(absl::StrCat(field, ".label"), e.label,
                   Limits::kMaxLabelBytes);
  if (!s.ok()) return s;
  s = ValidateType(absl::StrCat(field, ".type"), e.type);
  if (!s.ok()) return s;
  if (e.aliases.size() > Limits::kMaxAliases) {
    return Invalid(absl::StrCat(field, ".aliases"),
                   absl::StrCat("more than ", Limits::kMaxAliases));
  }
  for (size_t i = 0; i < e.aliases.size(); ++i) {
    s = ValidateText(absl::StrCat(field, ".aliases[", i, "]"), e.aliases[i],
                     Limits::kMaxLabelBytes);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ValidateRelation(absl::string_view field, const Relation& r) {
  absl::Status s = ValidateId(absl::StrCat(field, ".id"), r.id);
  if (!s.ok()) return s;
  s = ValidateText(absl::StrCat(field, ".label"), r.label,
                   Limits::kMaxLabelBytes);
  if (!s.ok()) return s;
  if (static_cast<uint8_t>(r.polarity) > 2) {
    return Invalid(absl::StrCat(field, ".polarity"), "unknown value");
  }
  if (r.symmetric && r.polarity != Polarity::kNone) {
    return Invalid(absl::StrCat(field, ".symmetric"),
                   "a claim relation (with a polarity) cannot be symmetric");
  }
  return absl::OkStatus();
}

absl::Status ValidateDocument(absl::string_view field, const Document& d) {
  absl::Status s = ValidateDocumentId(absl::StrCat(field, ".id"), d.id);
  if (!s.ok()) return s;
  // A data document (no text) may have no title.
  s = ValidateText(absl::StrCat(field, ".title"), d.title,
                   Limits::kMaxLabelBytes, /*allow_empty=*/d.text.empty());
  if (!s.ok()) return s;
  s = ValidateText(absl::StrCat(field, ".publisher"), d.publisher,
                   Limits::kMaxLabelBytes, /*allow_empty=*/true);
  if (!s.ok()) return s;
  return ValidateText(absl::StrCat(field, ".text"), d.text,
                      Limits::kMaxDocumentBytes, /*allow_empty=*/true,
                      /*allow_newlines=*/true);
}

absl::StatusOr<Literal> CanonicalLiteral(absl::string_view field,
                                         const Literal& literal) {
  const std::string& lex = literal.lexical;
  switch (literal.type) {
    case LiteralType::kString: {
      absl::Status s = ValidateText(field, lex, Limits::kMaxLiteralBytes,
                                    /*allow_empty=*/true,
                                    /*allow_newlines=*/true);
      if (!s.ok()) return s;
      return literal;
    }
    case LiteralType::kInteger: {
      int64_t v;
      absl::string_view digits = lex;
      if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
        digits.remove_prefix(1);
      }
      if (!IsDigits(digits) || !absl::SimpleAtoi(lex, &v)) {
        return Invalid(field, absl::StrCat("\"", EchoEscaped(lex),
                                           "\" is not a 64-bit integer"));
      }
      return Literal{LiteralType::kInteger, absl::StrCat(v)};
    }
    case LiteralType::kDecimal: {
      absl::string_view s = lex;
      bool negative = false;
      if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
      }
      const size_t dot = s.find('.');
      absl::string_view whole = s.substr(0, dot);
      absl::string_view frac =
          dot == absl::string_view::npos ? "" : s.substr(dot + 1);
      if (!IsDigits(whole) ||
          (dot != absl::string_view::npos && !IsDigits(frac)) ||
          lex.size() > 64) {
        return Invalid(field, absl::StrCat("\"", EchoEscaped(lex),
                                           "\" is not a decimal (e.g. -12.5)"));
      }
      while (whole.size() > 1 && whole[0] == '0') whole.remove_prefix(1);
      while (!frac.empty() && frac.back() == '0') frac.remove_suffix(1);
      std::string out = absl::StrCat(whole, frac.empty() ? "" : ".", frac);
      if (negative && out != "0") out = "-" + out;
      return Literal{LiteralType::kDecimal, out};
    }
    case LiteralType::kDate: {
      std::optional<Date> d = ParseDate(lex);
      if (!d) {
        return Invalid(field, absl::StrCat("\"", EchoEscaped(lex),
                                           "\" is not a date (YYYY, YYYY-MM "
                                           "or YYYY-MM-DD)"));
      }
      return Literal{LiteralType::kDate, d->ToString()};
    }
    case LiteralType::kTyped:
    case LiteralType::kLangString:
      return CanonicalRdfLiteral(field, literal);
  }
  return Invalid(field, "unknown literal type");
}

absl::Status ValidateIri(absl::string_view field, absl::string_view iri) {
  if (iri.empty()) return Invalid(field, "empty IRI");
  if (iri.size() > Limits::kMaxIriBytes) {
    return Invalid(field,
                   absl::StrCat("IRI of ", iri.size(), " bytes; at most ",
                                Limits::kMaxIriBytes));
  }
  if (!IsValidUtf8(iri)) return Invalid(field, "IRI is not valid UTF-8");
  // scheme ":" ..., RFC 3987.
  size_t i = 0;
  if (!absl::ascii_isalpha(static_cast<unsigned char>(iri[0]))) i = iri.size();
  while (i < iri.size() && iri[i] != ':') {
    const unsigned char c = iri[i];
    if (!absl::ascii_isalnum(c) && c != '+' && c != '-' && c != '.') break;
    ++i;
  }
  if (i == 0 || i >= iri.size() || iri[i] != ':') {
    return Invalid(field, absl::StrCat("<", EchoEscaped(iri),
                                       "> is not an absolute IRI (it needs a "
                                       "scheme, as in http://...)"));
  }
  for (unsigned char c : iri) {
    if (c <= 0x20 || c == '<' || c == '>' || c == '"' || c == '{' || c == '}' ||
        c == '|' || c == '^' || c == '`' || c == '\\') {
      return Invalid(field, absl::StrCat("IRI <", EchoEscaped(iri),
                                         "> holds a character IRIs may not "
                                         "(space, control, <>\"{}|^`\\)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateLanguageTag(absl::string_view field,
                                 absl::string_view tag) {
  // [a-zA-Z]+ ('-' [a-zA-Z0-9]+)*, as the RDF syntaxes allow.
  bool ok = !tag.empty() && tag.size() <= Limits::kMaxLanguageBytes;
  size_t part = 0;  // characters in the current part
  bool first = true;
  for (size_t i = 0; ok && i < tag.size(); ++i) {
    const unsigned char c = tag[i];
    if (c == '-') {
      ok = part > 0;
      part = 0;
      first = false;
    } else if (absl::ascii_isalpha(c) || (!first && absl::ascii_isdigit(c))) {
      ++part;
    } else {
      ok = false;
    }
  }
  if (!ok || part == 0) {
    return Invalid(field, absl::StrCat("\"", EchoEscaped(tag),
                                       "\" is not a language tag (en, en-US, "
                                       "zh-Hant; at most ",
                                       Limits::kMaxLanguageBytes, " bytes)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Literal> CanonicalRdfLiteral(absl::string_view field,
                                            const Literal& in) {
  const std::string xsd(kXsdNamespace), rdf(kRdfNamespace);
  const std::string& lex = in.lexical;
  if (lex.size() > Limits::kMaxLiteralBytes) {
    return Invalid(field,
                   absl::StrCat("literal of ", lex.size(), " bytes; at most ",
                                Limits::kMaxLiteralBytes));
  }
  if (!IsValidUtf8(lex)) return Invalid(field, "literal is not valid UTF-8");
  if (!in.language.empty()) {
    KG_RETURN_IF_ERROR(
        ValidateLanguageTag(absl::StrCat(field, ".language"), in.language));
    const std::string expected =
        rdf + (in.direction == LiteralDirection::kNone ? "langString"
                                                       : "dirLangString");
    if (!in.datatype.empty() && in.datatype != expected) {
      return Invalid(
          absl::StrCat(field, ".datatype"),
          absl::StrCat("a literal with a language tag has the "
                       "datatype <",
                       expected, ">, not <", EchoEscaped(in.datatype), ">"));
    }
    if (static_cast<uint8_t>(in.direction) > 2) {
      return Invalid(absl::StrCat(field, ".direction"), "unknown direction");
    }
    Literal out;
    out.type = LiteralType::kLangString;
    out.lexical = lex;
    out.language = in.language;
    out.direction = in.direction;
    return out;
  }
  if (in.direction != LiteralDirection::kNone) {
    return Invalid(absl::StrCat(field, ".direction"),
                   "a base direction needs a language tag");
  }
  const std::string& dt = in.datatype;
  if (dt == rdf + "langString" || dt == rdf + "dirLangString") {
    return Invalid(absl::StrCat(field, ".datatype"),
                   absl::StrCat("<", EchoValue(dt), "> needs a language tag"));
  }
  if (dt.empty() || dt == xsd + "string") {
    return Literal{LiteralType::kString, lex};
  }
  KG_RETURN_IF_ERROR(ValidateIri(absl::StrCat(field, ".datatype"), dt));
  // kg's compact types, when they are exactly this RDF term.
  auto same = [&](LiteralType type) {
    absl::StatusOr<Literal> c = CanonicalLiteral(field, Literal{type, lex});
    return c.ok() && c->lexical == lex;
  };
  if (dt == xsd + "integer" && same(LiteralType::kInteger)) {
    return Literal{LiteralType::kInteger, lex};
  }
  if (dt == xsd + "decimal" && same(LiteralType::kDecimal)) {
    return Literal{LiteralType::kDecimal, lex};
  }
  const size_t n = lex.size();
  if (((dt == xsd + "date" && n == 10) ||
       (dt == xsd + "gYearMonth" && n == 7) ||
       (dt == xsd + "gYear" && n == 4)) &&
      same(LiteralType::kDate)) {
    return Literal{LiteralType::kDate, lex};
  }
  Literal out;
  out.type = LiteralType::kTyped;
  out.lexical = lex;
  out.datatype = dt;
  return out;
}

absl::Status ValidateDocumentId(absl::string_view field, absl::string_view id) {
  if (absl::StartsWith(id, "_:")) {
    if (BlankBytesFromHex(id.substr(2))) return absl::OkStatus();
    return Invalid(field,
                   "a blank graph name is stored as _:b + 32 hex digits");
  }
  if (absl::StrContains(id, ":")) return ValidateIri(field, id);
  return ValidateId(field, id);
}

}  // namespace kg::storage
