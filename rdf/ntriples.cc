// The N-Triples and N-Quads reader and writer (RDF 1.1 and 1.2).
//
// The reader is a hand-written scanner over the input buffer, one function
// per grammar rule of https://www.w3.org/TR/rdf12-n-triples/ . A line's
// quad goes to the callback only once the whole line is known to be
// well-formed. One Quad is reused from line to line and its strings are
// assigned in place, so a line with no escapes costs no allocation once
// the strings have grown.
#include "rdf/ntriples.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "rdf/text.h"

namespace kg::rdf {
namespace {

using text::AppendUtf8;
using text::DecodeUtf8;
using text::HexValue;
using text::IsAlnum;
using text::IsAlpha;
using text::IsPnChars;
using text::IsPnCharsU;

// Nested triple terms deeper than this are refused (bounds the recursion).
constexpr int kMaxTripleTermDepth = 64;

// Bytes allowed as themselves in an IRIREF (ASCII only; >= 0x80 is UTF-8
// checked separately).
constexpr std::array<bool, 256> MakeIriTable() {
  std::array<bool, 256> t{};
  for (int c = 0x21; c < 0x80; ++c) t[c] = true;  // U+007F is allowed
  for (char c : absl::string_view("<>\"{}|^`\\")) {
    t[static_cast<unsigned char>(c)] = false;
  }
  return t;
}
constexpr std::array<bool, 256> kIriPlain = MakeIriTable();

// Bytes allowed as themselves in STRING_LITERAL_QUOTE (ASCII only).
constexpr std::array<bool, 256> MakeStringTable() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x80; ++c) t[c] = true;
  t['"'] = t['\\'] = t['\n'] = t['\r'] = false;
  return t;
}
constexpr std::array<bool, 256> kStringPlain = MakeStringTable();

// Reads one code point at p (p < end): ASCII directly, else UTF-8. Returns
// the length, 0 when not well-formed.
int NextCodePoint(const char* p, const char* end, uint32_t* cp) {
  const auto b = static_cast<unsigned char>(*p);
  if (b < 0x80) {
    *cp = b;
    return 1;
  }
  return DecodeUtf8(p, end, cp);
}

// An absolute IRI starts with a scheme: ALPHA *( ALPHA / DIGIT / "+" / "-"
// / "." ) ":".
bool HasScheme(absl::string_view iri) {
  if (iri.empty() || !IsAlpha(iri[0])) return false;
  for (size_t i = 1; i < iri.size(); ++i) {
    const char c = iri[i];
    if (c == ':') return true;
    if (!IsAlnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return false;
}

class Parser {
 public:
  Parser(bool quads, absl::string_view input, const ReadOptions& options,
         const QuadCallback& on_quad, const SkipCallback& on_skipped)
      : quads_(quads),
        begin_(input.data()),
        end_(input.data() + input.size()),
        options_(options),
        on_quad_(on_quad),
        on_skipped_(on_skipped) {}

  absl::Status Run();

 private:
  // Each Parse* function starts at p, advances it past what it read and
  // returns true, or records the error (Fail) and returns false.
  bool ParseLine(const char*& p, bool* have_quad);
  bool ParseSubject(const char*& p, Term* t);
  bool ParseObject(const char*& p, Term* t, int depth);
  bool ParseIriTerm(const char*& p, Term* t);
  bool ParseIri(const char*& p, std::string* out);
  bool ParseBlank(const char*& p, Term* t);
  bool ParseLiteral(const char*& p, Term* t);
  bool ParseString(const char*& p, std::string* out);
  bool ParseLanguage(const char*& p, Term* t);
  bool ParseTripleTerm(const char*& p, Term* t, int depth);
  bool ParseEscape(const char*& p, std::string* out, bool in_iri);
  bool SkipComment(const char*& p);

  void SkipWs(const char*& p) const {
    while (p < end_ && (*p == ' ' || *p == '\t')) ++p;
  }
  bool AtEol(const char* p) const {
    return p == end_ || *p == '\n' || *p == '\r';
  }
  bool Fail(const char* at, absl::string_view what) {
    error_at_ = at;
    error_ = std::string(what);
    return false;
  }
  int64_t ColumnOf(const char* at) const {
    int64_t col = 1;
    for (const char* q = line_start_; q < at; ++q) {
      if ((static_cast<unsigned char>(*q) & 0xc0) != 0x80) ++col;
    }
    return col;
  }

  const bool quads_;
  const char* const begin_;
  const char* const end_;
  const ReadOptions& options_;
  const QuadCallback& on_quad_;
  const SkipCallback& on_skipped_;

  const char* line_start_ = nullptr;
  int64_t line_ = 1;
  const char* error_at_ = nullptr;
  std::string error_;
  Quad quad_;
  Term graph_;
};

absl::Status Parser::Run() {
  const char* p = begin_;
  // A UTF-8 byte order mark is not part of the grammar, but is harmless.
  if (end_ - p >= 3 && std::memcmp(p, "\xef\xbb\xbf", 3) == 0) p += 3;
  while (true) {
    line_start_ = p;
    bool have_quad = false;
    const char* start = p;
    if (ParseLine(p, &have_quad)) {
      if (have_quad) {
        SkipWs(start);
        const Position at{line_, ColumnOf(start)};
        absl::Status s = on_quad_(quad_, at);
        if (!s.ok()) return s;
      }
    } else {
      absl::Status error = absl::InvalidArgumentError(absl::StrFormat(
          "line %d, column %d: %s", line_, ColumnOf(error_at_), error_));
      if (!options_.skip_invalid) return error;
      if (on_skipped_) on_skipped_(Position{line_, ColumnOf(error_at_)}, error);
      p = error_at_;
      while (p < end_ && *p != '\n' && *p != '\r') ++p;
    }
    if (p == end_) break;
    // One line break: LF, CR LF or a lone CR.
    if (*p == '\r' && p + 1 < end_ && p[1] == '\n') ++p;
    ++p;
    ++line_;
    if (p == end_) break;
  }
  return absl::OkStatus();
}

bool Parser::ParseLine(const char*& p, bool* have_quad) {
  SkipWs(p);
  if (AtEol(p)) return true;
  if (*p == '#') return SkipComment(p);
  if (*p == 'V' && end_ - p >= 7 && std::memcmp(p, "VERSION", 7) == 0) {
    // RDF 1.2: VERSION "1.2" on a line of its own.
    p += 7;
    SkipWs(p);
    std::string version;
    if (p == end_ || *p != '"') return Fail(p, "expected a version string");
    if (!ParseString(p, &version)) return false;
  } else {
    if (!ParseSubject(p, &quad_.subject)) return false;
    SkipWs(p);
    if (p == end_ || *p != '<' || (p + 1 < end_ && p[1] == '<')) {
      return Fail(p, "expected a predicate IRI");
    }
    if (!ParseIriTerm(p, &quad_.predicate)) return false;
    SkipWs(p);
    if (!ParseObject(p, &quad_.object, 0)) return false;
    SkipWs(p);
    bool has_graph = false;
    if (quads_ && p < end_ && (*p == '<' || *p == '_')) {
      if (*p == '<' && p + 1 < end_ && p[1] == '<') {
        return Fail(p, "a triple term cannot name a graph");
      }
      if (!ParseSubject(p, &graph_)) return false;
      has_graph = true;
      SkipWs(p);
    }
    if (p == end_ || *p != '.') return Fail(p, "expected '.'");
    ++p;
    if (has_graph) {
      if (quad_.graph.has_value()) {
        std::swap(*quad_.graph, graph_);
      } else {
        quad_.graph = std::move(graph_);
        graph_ = Term();
      }
    } else {
      quad_.graph.reset();
    }
    *have_quad = true;
  }
  SkipWs(p);
  if (p < end_ && *p == '#') return SkipComment(p);
  if (!AtEol(p)) return Fail(p, "expected the end of the line");
  return true;
}

bool Parser::SkipComment(const char*& p) {
  ++p;  // '#'
  while (p < end_ && *p != '\n' && *p != '\r') {
    if (static_cast<unsigned char>(*p) < 0x80) {
      ++p;
      continue;
    }
    uint32_t cp;
    const int n = DecodeUtf8(p, end_, &cp);
    if (n == 0) return Fail(p, "invalid UTF-8");
    p += n;
  }
  return true;
}

bool Parser::ParseSubject(const char*& p, Term* t) {
  if (p < end_ && *p == '<') {
    if (p + 1 < end_ && p[1] == '<') {
      return Fail(p, "a triple term can only be an object");
    }
    return ParseIriTerm(p, t);
  }
  if (p < end_ && *p == '_') return ParseBlank(p, t);
  return Fail(p, "expected an IRI or a blank node");
}

bool Parser::ParseObject(const char*& p, Term* t, int depth) {
  if (p == end_) return Fail(p, "expected an object");
  switch (*p) {
    case '<':
      if (p + 1 < end_ && p[1] == '<') return ParseTripleTerm(p, t, depth);
      return ParseIriTerm(p, t);
    case '_':
      return ParseBlank(p, t);
    case '"':
      return ParseLiteral(p, t);
    default:
      return Fail(p,
                  "expected an IRI, a blank node, a literal or a triple term");
  }
}

bool Parser::ParseIriTerm(const char*& p, Term* t) {
  TermMutator::Reset(*t, Term::Kind::kIri);
  return ParseIri(p, &TermMutator::Value(*t));
}

bool Parser::ParseIri(const char*& p, std::string* out) {
  const char* start = p;
  ++p;  // '<'
  const char* run = p;
  out->clear();
  while (true) {
    while (p < end_ && kIriPlain[static_cast<unsigned char>(*p)]) ++p;
    if (p == end_) return Fail(start, "unterminated IRI");
    const auto c = static_cast<unsigned char>(*p);
    if (c == '>') break;
    if (c == '\\') {
      out->append(run, p - run);
      if (!ParseEscape(p, out, true)) return false;
      run = p;
      continue;
    }
    if (c >= 0x80) {
      uint32_t cp;
      const int n = DecodeUtf8(p, end_, &cp);
      if (n == 0) return Fail(p, "invalid UTF-8");
      p += n;
      continue;
    }
    return Fail(
        p, absl::StrFormat("character U+%04X is not allowed in an IRI", c));
  }
  out->append(run, p - run);
  ++p;  // '>'
  if (!HasScheme(*out)) {
    return Fail(start,
                "relative IRI (N-Triples and N-Quads need absolute IRIs)");
  }
  return true;
}

bool Parser::ParseEscape(const char*& p, std::string* out, bool in_iri) {
  const char* start = p;
  if (p + 1 >= end_) return Fail(p, "incomplete escape");
  const char e = p[1];
  int digits = 0;
  if (e == 'u') {
    digits = 4;
  } else if (e == 'U') {
    digits = 8;
  } else if (!in_iri) {
    char c;
    switch (e) {
      case 't':
        c = '\t';
        break;
      case 'b':
        c = '\b';
        break;
      case 'n':
        c = '\n';
        break;
      case 'r':
        c = '\r';
        break;
      case 'f':
        c = '\f';
        break;
      case '"':
        c = '"';
        break;
      case '\'':
        c = '\'';
        break;
      case '\\':
        c = '\\';
        break;
      default:
        return Fail(start, "unknown escape");
    }
    out->push_back(c);
    p += 2;
    return true;
  } else {
    return Fail(start, "only \\u and \\U escapes are allowed in an IRI");
  }
  p += 2;
  if (end_ - p < digits) return Fail(start, "incomplete \\u or \\U escape");
  uint32_t cp = 0;
  for (int i = 0; i < digits; ++i) {
    const int h = HexValue(p[i]);
    if (h < 0) return Fail(start, "bad hex digit in a \\u or \\U escape");
    cp = (cp << 4) | static_cast<uint32_t>(h);
  }
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    return Fail(start, "escape of a surrogate or of no code point");
  }
  p += digits;
  AppendUtf8(cp, out);
  return true;
}

bool Parser::ParseBlank(const char*& p, Term* t) {
  const char* start = p;
  if (end_ - p < 2 || p[1] != ':') return Fail(p, "expected '_:'");
  p += 2;
  uint32_t cp;
  int n = p < end_ ? NextCodePoint(p, end_, &cp) : 0;
  if (n == 0 || !(IsPnCharsU(cp) || (cp >= '0' && cp <= '9'))) {
    return Fail(p, "bad blank node label");
  }
  p += n;
  const char* last_non_dot = p;
  while (p < end_) {
    n = NextCodePoint(p, end_, &cp);
    if (n == 0 || !(IsPnChars(cp) || cp == '.')) break;
    p += n;
    if (cp != '.') last_non_dot = p;
  }
  // A label cannot end with '.': the dots belong to what follows.
  p = last_non_dot;
  TermMutator::Reset(*t, Term::Kind::kBlank);
  TermMutator::Value(*t).assign(start + 2, p - start - 2);
  return true;
}

bool Parser::ParseString(const char*& p, std::string* out) {
  const char* start = p;
  ++p;  // '"'
  out->clear();
  const char* run = p;
  while (true) {
    while (p < end_ && kStringPlain[static_cast<unsigned char>(*p)]) ++p;
    if (p == end_) return Fail(start, "unterminated string");
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"') break;
    if (c == '\\') {
      out->append(run, p - run);
      if (!ParseEscape(p, out, false)) return false;
      run = p;
      continue;
    }
    if (c >= 0x80) {
      uint32_t cp;
      const int n = DecodeUtf8(p, end_, &cp);
      if (n == 0) return Fail(p, "invalid UTF-8");
      p += n;
      continue;
    }
    return Fail(start,
                "unterminated string (a line break in a string must "
                "be written \\n or \\r)");
  }
  out->append(run, p - run);
  ++p;  // '"'
  return true;
}

bool Parser::ParseLiteral(const char*& p, Term* t) {
  TermMutator::Reset(*t, Term::Kind::kLiteral);
  if (!ParseString(p, &TermMutator::Value(*t))) return false;
  const char* after = p;
  SkipWs(p);
  if (p < end_ && *p == '@') return ParseLanguage(p, t);
  if (p < end_ && *p == '^') {
    if (p + 1 == end_ || p[1] != '^') return Fail(p, "expected '^^'");
    p += 2;
    SkipWs(p);
    if (p == end_ || *p != '<' || (p + 1 < end_ && p[1] == '<')) {
      return Fail(p, "expected a datatype IRI");
    }
    const char* dt_start = p;
    std::string& dt = TermMutator::Datatype(*t);
    if (!ParseIri(p, &dt)) return false;
    if (dt == kRdfLangString || dt == kRdfDirLangString) {
      return Fail(dt_start,
                  "a literal with datatype rdf:langString or "
                  "rdf:dirLangString needs a language tag");
    }
    return true;
  }
  p = after;
  TermMutator::Datatype(*t).assign(kXsdString, sizeof(kXsdString) - 1);
  return true;
}

// LANG_DIR ::= '@' [a-zA-Z]+ ('-' [a-zA-Z0-9]+)* ('--' [a-zA-Z]+)?, with
// subtags of at most 8 characters (BCP 47) and a direction of ltr or rtl.
bool Parser::ParseLanguage(const char*& p, Term* t) {
  const char* start = p;
  ++p;  // '@'
  const char* tag = p;
  while (p < end_ && IsAlpha(*p)) ++p;
  if (p == tag || p - tag > 8) return Fail(start, "bad language tag");
  Direction dir = Direction::kNone;
  const char* tag_end = p;
  while (p < end_ && *p == '-') {
    if (p + 1 < end_ && p[1] == '-') {
      p += 2;
      const char* d = p;
      while (p < end_ && IsAlpha(*p)) ++p;
      const absl::string_view name(d, p - d);
      if (name == "ltr") {
        dir = Direction::kLtr;
      } else if (name == "rtl") {
        dir = Direction::kRtl;
      } else {
        return Fail(d, "base direction must be ltr or rtl");
      }
      break;
    }
    ++p;
    const char* sub = p;
    while (p < end_ && IsAlnum(*p)) ++p;
    if (p == sub || p - sub > 8) return Fail(start, "bad language tag");
    tag_end = p;
  }
  if (p < end_ && (IsAlnum(*p) || *p == '-')) {
    return Fail(start, "bad language tag");
  }
  TermMutator::Language(*t).assign(tag, tag_end - tag);
  TermMutator::SetDirection(*t, dir);
  if (dir == Direction::kNone) {
    TermMutator::Datatype(*t).assign(kRdfLangString,
                                     sizeof(kRdfLangString) - 1);
  } else {
    TermMutator::Datatype(*t).assign(kRdfDirLangString,
                                     sizeof(kRdfDirLangString) - 1);
  }
  return true;
}

bool Parser::ParseTripleTerm(const char*& p, Term* t, int depth) {
  const char* start = p;
  if (end_ - p < 3 || p[2] != '(') {
    return Fail(p,
                "expected '<<(' (reified triples '<< >>' are not "
                "N-Triples)");
  }
  if (depth >= kMaxTripleTermDepth)
    return Fail(p, "triple terms nest too deeply");
  p += 3;
  Triple triple;
  SkipWs(p);
  if (!ParseSubject(p, &triple.subject)) return false;
  SkipWs(p);
  if (p == end_ || *p != '<' || (p + 1 < end_ && p[1] == '<')) {
    return Fail(p, "expected a predicate IRI");
  }
  if (!ParseIriTerm(p, &triple.predicate)) return false;
  SkipWs(p);
  if (!ParseObject(p, &triple.object, depth + 1)) return false;
  SkipWs(p);
  if (end_ - p < 3 || std::memcmp(p, ")>>", 3) != 0) {
    return Fail(p, "expected ')>>' to close the triple term opened at column " +
                       std::to_string(ColumnOf(start)));
  }
  p += 3;
  TermMutator::Reset(*t, Term::Kind::kTriple);
  TermMutator::SetTriple(*t, std::move(triple));
  return true;
}

// Characters IRIREF does not allow as themselves.
bool IriNeedsEscape(unsigned char c) {
  return c <= 0x20 || c == '<' || c == '>' || c == '"' || c == '{' ||
         c == '}' || c == '|' || c == '^' || c == '`' || c == '\\';
}

void AppendTerm(const Term& t, BlankLabeler* labels, std::string* out) {
  switch (t.kind()) {
    case Term::Kind::kIri:
      AppendIriRef(t.value(), out);
      return;
    case Term::Kind::kBlank:
      out->append("_:");
      {
        const absl::string_view l = labels->Label(t.value());
        out->append(l.data(), l.size());
      }
      return;
    case Term::Kind::kLiteral:
      AppendQuotedString(t.value(), out);
      if (!t.language().empty()) {
        AppendLanguage(t, out);
      } else if (t.datatype() != kXsdString) {
        out->append("^^");
        AppendIriRef(t.datatype(), out);
      }
      return;
    case Term::Kind::kTriple:
      out->append("<<( ");
      AppendTerm(t.triple().subject, labels, out);
      out->push_back(' ');
      AppendTerm(t.triple().predicate, labels, out);
      out->push_back(' ');
      AppendTerm(t.triple().object, labels, out);
      out->append(" )>>");
      return;
  }
}

class NTriplesWriter : public QuadWriter {
 public:
  NTriplesWriter(bool quads, std::string* out) : quads_(quads), out_(out) {}

  absl::Status Write(const Quad& quad) override {
    absl::Status s = CheckQuadShape(quad, quads_);
    if (!s.ok()) return s;
    AppendTerm(quad.subject, &labels_, out_);
    out_->push_back(' ');
    AppendTerm(quad.predicate, &labels_, out_);
    out_->push_back(' ');
    AppendTerm(quad.object, &labels_, out_);
    if (quad.graph.has_value()) {
      out_->push_back(' ');
      AppendTerm(*quad.graph, &labels_, out_);
    }
    out_->append(" .\n");
    return absl::OkStatus();
  }
  void Finish() override {}

 private:
  const bool quads_;
  std::string* const out_;
  BlankLabeler labels_;
};

absl::Status CheckTripleShape(const Term& s, const Term& p, const Term& o) {
  if (!s.is_iri() && !s.is_blank()) {
    return absl::InvalidArgumentError(
        "the subject must be an IRI or a blank node: " + ToNTriples(s));
  }
  if (!p.is_iri()) {
    return absl::InvalidArgumentError("the predicate must be an IRI: " +
                                      ToNTriples(p));
  }
  if (o.is_triple()) {
    const Triple& t = o.triple();
    return CheckTripleShape(t.subject, t.predicate, t.object);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ReadNTriples(bool quads, absl::string_view input,
                          const ReadOptions& options,
                          const QuadCallback& on_quad,
                          const SkipCallback& on_skipped) {
  Parser parser(quads, input, options, on_quad, on_skipped);
  return parser.Run();
}

bool IsValidBlankLabel(absl::string_view label) {
  const char* p = label.data();
  const char* end = p + label.size();
  if (p == end) return false;
  uint32_t cp;
  int n = NextCodePoint(p, end, &cp);
  if (n == 0 || !(IsPnCharsU(cp) || (cp >= '0' && cp <= '9'))) return false;
  p += n;
  uint32_t last = cp;
  while (p < end) {
    n = NextCodePoint(p, end, &cp);
    if (n == 0 || !(IsPnChars(cp) || cp == '.')) return false;
    p += n;
    last = cp;
  }
  return last != '.';
}

// PN_LOCAL ::= (PN_CHARS_U | ':' | [0-9]) ((PN_CHARS | '.' | ':')*
// (PN_CHARS | ':'))?, without PLX (escapes and %xx): names needing them
// are written as <iri>.
bool IsValidPnLocal(absl::string_view name) {
  const char* p = name.data();
  const char* end = p + name.size();
  if (p == end) return true;  // "ex:" is a prefixed name too
  uint32_t cp;
  int n = NextCodePoint(p, end, &cp);
  if (n == 0 || !(IsPnCharsU(cp) || cp == ':' || (cp >= '0' && cp <= '9'))) {
    return false;
  }
  p += n;
  uint32_t last = cp;
  while (p < end) {
    n = NextCodePoint(p, end, &cp);
    if (n == 0 || !(IsPnChars(cp) || cp == '.' || cp == ':')) return false;
    p += n;
    last = cp;
  }
  return last != '.';
}

absl::string_view BlankLabeler::Label(const std::string& label) {
  if (auto it = mapped_.find(label); it != mapped_.end()) return it->second;
  if (IsValidBlankLabel(label)) {
    if (label.size() < 2 || label[0] != 'b' || label[1] != '_') return label;
    if (!generated_.contains(label)) {
      kept_fresh_shaped_.insert(label);
      return label;
    }
  }
  auto [it, inserted] = mapped_.emplace(label, Fresh());
  return it->second;
}

std::string BlankLabeler::Fresh() {
  while (true) {
    std::string candidate = absl::StrCat("b_", next_++);
    if (kept_fresh_shaped_.contains(candidate)) continue;
    generated_.insert(candidate);
    return candidate;
  }
}

void AppendIriRef(absl::string_view iri, std::string* out) {
  out->push_back('<');
  size_t run = 0;
  for (size_t i = 0; i < iri.size(); ++i) {
    const auto c = static_cast<unsigned char>(iri[i]);
    if (!IriNeedsEscape(c)) continue;
    out->append(iri.data() + run, i - run);
    absl::StrAppendFormat(out, "\\u%04X", c);
    run = i + 1;
  }
  out->append(iri.data() + run, iri.size() - run);
  out->push_back('>');
}

void AppendQuotedString(absl::string_view s, std::string* out) {
  out->push_back('"');
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const char* esc = nullptr;
    if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
      // U+FFFE and U+FFFF (EF BF BE, EF BF BF) are escaped too.
      if (c != 0xef || i + 2 >= s.size() ||
          static_cast<unsigned char>(s[i + 1]) != 0xbf ||
          (static_cast<unsigned char>(s[i + 2]) & 0xfe) != 0xbe) {
        continue;
      }
      out->append(s.data() + run, i - run);
      out->append(static_cast<unsigned char>(s[i + 2]) == 0xbe ? "\\uFFFE"
                                                               : "\\uFFFF");
      i += 2;
      run = i + 1;
      continue;
    }
    switch (c) {
      case '"':
        esc = "\\\"";
        break;
      case '\\':
        esc = "\\\\";
        break;
      case '\n':
        esc = "\\n";
        break;
      case '\r':
        esc = "\\r";
        break;
      case '\t':
        esc = "\\t";
        break;
      case '\b':
        esc = "\\b";
        break;
      case '\f':
        esc = "\\f";
        break;
      default:
        break;
    }
    out->append(s.data() + run, i - run);
    if (esc != nullptr) {
      out->append(esc);
    } else {
      absl::StrAppendFormat(out, "\\u%04X", c);
    }
    run = i + 1;
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void AppendLanguage(const Term& literal, std::string* out) {
  out->push_back('@');
  for (char c : literal.language()) out->push_back(absl::ascii_tolower(c));
  if (literal.direction() == Direction::kLtr) out->append("--ltr");
  if (literal.direction() == Direction::kRtl) out->append("--rtl");
}

absl::Status CheckQuadShape(const Quad& quad, bool graphs_allowed) {
  if (quad.graph.has_value()) {
    if (!graphs_allowed) {
      return absl::InvalidArgumentError(
          "a quad with a graph cannot be written in a triple format: " +
          ToNTriples(*quad.graph));
    }
    if (!quad.graph->is_iri() && !quad.graph->is_blank()) {
      return absl::InvalidArgumentError(
          "the graph name must be an IRI or a blank node: " +
          ToNTriples(*quad.graph));
    }
  }
  return CheckTripleShape(quad.subject, quad.predicate, quad.object);
}

std::unique_ptr<QuadWriter> NewNTriplesWriter(bool quads, std::string* out) {
  return std::make_unique<NTriplesWriter>(quads, out);
}

}  // namespace kg::rdf
