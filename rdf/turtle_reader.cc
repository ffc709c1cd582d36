// The Turtle 1.2 and TriG 1.2 reader (and thereby 1.1): a recursive-descent
// parser with one function per grammar rule, scanning the input in place
// and reporting each triple the moment its object is complete.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "rdf/format.h"
#include "rdf/iri.h"
#include "rdf/term.h"
#include "rdf/text.h"
#include "rdf/turtle.h"

namespace kg::rdf {
namespace {

using text::AppendUtf8;
using text::DecodeUtf8;
using text::HexValue;
using text::IsAlnum;
using text::IsAlpha;
using text::IsDigit;
using text::IsPnChars;
using text::IsPnCharsBase;
using text::IsPnCharsU;

// Nesting of [ ], ( ), << >>, <<( )>> and {| |} beyond this is refused, so
// a hostile input cannot exhaust the stack.
constexpr int kMaxDepth = 256;

constexpr char kRdfFirst[] = "http://www.w3.org/1999/02/22-rdf-syntax-ns#first";
constexpr char kRdfRest[] = "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest";
constexpr char kRdfNil[] = "http://www.w3.org/1999/02/22-rdf-syntax-ns#nil";
constexpr char kXsdInteger[] = "http://www.w3.org/2001/XMLSchema#integer";
constexpr char kXsdDecimal[] = "http://www.w3.org/2001/XMLSchema#decimal";
constexpr char kXsdDouble[] = "http://www.w3.org/2001/XMLSchema#double";
constexpr char kXsdBoolean[] = "http://www.w3.org/2001/XMLSchema#boolean";

bool IsLocalEscapable(char c) {
  return std::strchr("_~.-!$&'()*+,;=/?#@%", c) != nullptr && c != '\0';
}

class Parser {
 public:
  Parser(bool trig, absl::string_view input, const ReadOptions& options,
         const QuadCallback& on_quad)
      : trig_(trig),
        begin_(input.data()),
        p_(input.data()),
        end_(input.data() + input.size()),
        base_(options.base),
        on_quad_(on_quad),
        cache_ptr_(input.data()),
        cache_line_start_(input.data()) {}

  absl::Status Run();

 private:
  // --- positions and errors
  Position PositionOf(const char* at);
  bool Fail(const char* at, absl::string_view what);
  bool FailHere(absl::string_view what) { return Fail(p_, what); }

  // --- lexing
  void SkipWs();
  bool Eat(char c) {
    SkipWs();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  bool Expect(char c, absl::string_view what);
  bool LookingAt(absl::string_view s) const {
    return static_cast<size_t>(end_ - p_) >= s.size() &&
           std::memcmp(p_, s.data(), s.size()) == 0;
  }
  // A keyword matched case-insensitively and not followed by a name
  // character or ':'.
  bool LookingAtKeyword(absl::string_view kw) const;

  // --- statements
  bool Statement();
  bool Directive(bool sparql, absl::string_view kw);
  bool TriplesStatement(bool in_graph, bool* was_graph);
  bool WrappedGraph();
  bool PredicateObjectList(const Term& subject, bool required);
  bool ObjectList(const Term& subject, const Term& predicate);
  bool Annotation(const Term& subject, const Term& predicate,
                  const Term& object);
  bool Verb(Term* out);

  // --- terms
  bool Subject(Term* out);
  bool Object(Term* out);
  bool BlankNodePropertyList(Term* out);
  bool Collection(Term* out);
  bool ReifiedTriple(Term* out);
  bool TripleTermRule(Term* out);
  bool ReifierId(Term* out, bool* present);
  bool Iri(Term* out);
  bool IriRef(std::string* out);
  bool PrefixedName(std::string* out);
  bool PrefixName(absl::string_view* prefix);
  bool BlankLabel(Term* out);
  bool Literal(Term* out);
  bool QuotedString(std::string* out);
  bool LanguageTag(Term* out);
  bool Numeric(Term* out);
  bool Escape(std::string* out, bool uchar_only);
  // ANON `[ ]` at p_ (whitespace allowed inside).
  bool AtAnon() const;
  Term Fresh() { return Term::Blank(absl::StrCat("!", ++blank_counter_)); }

  bool Emit(const Term& s, const Term& p, const Term& o, const char* at);

  const bool trig_;
  const char* const begin_;
  const char* p_;
  const char* const end_;
  std::string base_;
  const QuadCallback& on_quad_;
  absl::flat_hash_map<std::string, std::string> prefixes_;
  std::optional<Term> graph_;
  uint64_t blank_counter_ = 0;
  int depth_ = 0;
  absl::Status status_;
  Quad quad_;
  const char* stmt_start_ = nullptr;
  // Line of cache_ptr_ and the start of that line, so PositionOf scans
  // only from the last position asked for.
  const char* cache_ptr_;
  const char* cache_line_start_;
  int64_t cache_line_ = 1;
  int64_t cache_column_ = 1;
  std::string scratch_;
};

Position Parser::PositionOf(const char* at) {
  // Moves the cached position to `at`, so the cost is the distance moved,
  // not the length of the line (a file may be one long line).
  auto code_points = [](const char* from, const char* to) {
    int64_t n = 0;
    for (const char* q = from; q < to; ++q) {
      if ((static_cast<unsigned char>(*q) & 0xc0) != 0x80) ++n;
    }
    return n;
  };
  if (at < cache_ptr_) {
    if (at >= cache_line_start_) {
      cache_column_ -= code_points(at, cache_ptr_);
    } else {
      for (const char* q = at; q < cache_ptr_; ++q) {
        if (*q == '\n') --cache_line_;
      }
      const char* ls = at;
      while (ls > begin_ && ls[-1] != '\n') --ls;
      cache_line_start_ = ls;
      cache_column_ = 1 + code_points(ls, at);
    }
    cache_ptr_ = at;
  } else {
    const char* from = cache_ptr_;
    while (from < at) {
      const char* nl =
          static_cast<const char*>(std::memchr(from, '\n', at - from));
      if (nl == nullptr) break;
      ++cache_line_;
      cache_line_start_ = nl + 1;
      cache_column_ = 1;
      from = nl + 1;
    }
    cache_column_ += code_points(from, at);
    cache_ptr_ = at;
  }
  Position pos;
  pos.line = cache_line_;
  pos.column = cache_column_;
  return pos;
}

bool Parser::Fail(const char* at, absl::string_view what) {
  if (!status_.ok()) return false;
  if (at > end_) at = end_;
  const Position pos = PositionOf(at);
  status_ = absl::InvalidArgumentError(
      absl::StrCat("line ", pos.line, ", column ", pos.column, ": ", what));
  return false;
}

void Parser::SkipWs() {
  while (p_ < end_) {
    const char c = *p_;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++p_;
    } else if (c == '#') {
      while (p_ < end_ && *p_ != '\n' && *p_ != '\r') ++p_;
    } else {
      break;
    }
  }
}

bool Parser::Expect(char c, absl::string_view what) {
  if (Eat(c)) return true;
  if (p_ == end_)
    return FailHere(
        absl::StrCat("expected ", what, ", found the end of the input"));
  return FailHere(absl::StrCat("expected ", what));
}

bool Parser::LookingAtKeyword(absl::string_view kw) const {
  if (static_cast<size_t>(end_ - p_) < kw.size()) return false;
  for (size_t i = 0; i < kw.size(); ++i) {
    const char c = p_[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    if (lower != kw[i]) return false;
  }
  const char* after = p_ + kw.size();
  if (after == end_) return true;
  const char c = *after;
  return !(IsAlnum(c) || c == '_' || c == '-' || c == ':' || c == '.' ||
           static_cast<unsigned char>(c) >= 0x80);
}

absl::Status Parser::Run() {
  // A byte order mark is not part of the grammar but common in files.
  if (LookingAt("\xEF\xBB\xBF")) p_ += 3;
  while (true) {
    SkipWs();
    if (p_ == end_) break;
    if (!Statement()) break;
  }
  return status_;
}

bool Parser::Statement() {
  if (*p_ == '@') {
    const char* q = p_ + 1;
    while (q < end_ && IsAlpha(*q)) ++q;
    const absl::string_view kw(p_ + 1, q - p_ - 1);
    if (kw == "prefix" || kw == "base" || kw == "version") {
      return Directive(false, kw);
    }
    return FailHere("unknown directive");
  }
  if (LookingAtKeyword("prefix")) return Directive(true, "prefix");
  if (LookingAtKeyword("base")) return Directive(true, "base");
  if (LookingAtKeyword("version")) return Directive(true, "version");
  if (trig_) {
    if (LookingAtKeyword("graph")) {
      p_ += 5;
      SkipWs();
      Term name;
      if (p_ < end_ && *p_ == '_') {
        if (!BlankLabel(&name)) return false;
      } else if (AtAnon()) {
        p_ = static_cast<const char*>(std::memchr(p_, ']', end_ - p_)) + 1;
        name = Fresh();
      } else if (!Iri(&name)) {
        return false;
      }
      graph_ = std::move(name);
      const bool ok = WrappedGraph();
      graph_.reset();
      return ok;
    }
    if (*p_ == '{') {
      return WrappedGraph();
    }
  }
  bool was_graph = false;
  if (!TriplesStatement(false, &was_graph)) return false;
  if (was_graph) return true;
  return Expect('.', "'.' at the end of the statement");
}

bool Parser::Directive(bool sparql, absl::string_view kw) {
  const char* start = p_;
  p_ += kw.size() + (sparql ? 0 : 1);
  SkipWs();
  if (kw == "prefix") {
    absl::string_view prefix;
    if (!PrefixName(&prefix)) return false;
    if (p_ == end_ || *p_ != ':')
      return FailHere("expected ':' after the prefix name");
    ++p_;
    std::string name(prefix);
    SkipWs();
    std::string iri;
    if (!IriRef(&iri)) return false;
    prefixes_[std::move(name)] = std::move(iri);
  } else if (kw == "base") {
    std::string iri;
    if (!IriRef(&iri)) return false;
    base_ = std::move(iri);
  } else {
    if (p_ == end_ || (*p_ != '"' && *p_ != '\'')) {
      return FailHere("expected a quoted version string");
    }
    if (LookingAt("\"\"\"") || LookingAt("'''")) {
      return FailHere("the version must be a short quoted string");
    }
    std::string version;
    if (!QuotedString(&version)) return false;
  }
  if (!sparql) return Expect('.', "'.' after the directive");
  // SPARQL-style directives take no '.'.
  SkipWs();
  if (p_ < end_ && *p_ == '.') {
    return Fail(start,
                absl::StrCat("'", absl::AsciiStrToUpper(kw), "' takes no '.'"));
  }
  return true;
}

// triples, or in TriG a graph block introduced by a label (`<g> { }`).
bool Parser::TriplesStatement(bool in_graph, bool* was_graph) {
  SkipWs();
  stmt_start_ = p_;
  if (p_ == end_) return FailHere("expected a subject");
  const char c = *p_;
  Term subject;
  if (c == '[') {
    if (AtAnon()) {
      p_ = static_cast<const char*>(std::memchr(p_, ']', end_ - p_)) + 1;
      subject = Fresh();
      if (trig_ && !in_graph) {
        SkipWs();
        if (p_ < end_ && *p_ == '{') {
          graph_ = std::move(subject);
          const bool ok = WrappedGraph();
          graph_.reset();
          *was_graph = true;
          return ok;
        }
      }
      return PredicateObjectList(subject, true);
    }
    if (!BlankNodePropertyList(&subject)) return false;
    return PredicateObjectList(subject, false);
  }
  if (c == '<' && LookingAt("<<") && !LookingAt("<<(")) {
    if (!ReifiedTriple(&subject)) return false;
    return PredicateObjectList(subject, false);
  }
  if (c == '(') {
    if (!Collection(&subject)) return false;
    return PredicateObjectList(subject, true);
  }
  if (!Subject(&subject)) return false;
  if (trig_ && !in_graph) {
    SkipWs();
    if (p_ < end_ && *p_ == '{') {
      graph_ = std::move(subject);
      const bool ok = WrappedGraph();
      graph_.reset();
      *was_graph = true;
      return ok;
    }
  }
  return PredicateObjectList(subject, true);
}

bool Parser::WrappedGraph() {
  if (!Expect('{', "'{'")) return false;
  while (true) {
    SkipWs();
    if (p_ == end_) return FailHere("expected '}' to close the graph");
    if (*p_ == '}') {
      ++p_;
      return true;
    }
    bool was_graph = false;
    if (!TriplesStatement(true, &was_graph)) return false;
    SkipWs();
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      continue;
    }
    if (p_ < end_ && *p_ == '}') continue;
    return FailHere("expected '.' or '}'");
  }
}

bool Parser::PredicateObjectList(const Term& subject, bool required) {
  SkipWs();
  if (!required) {
    // Optional after `[ ... ]` and `<< ... >>`: absent when the statement
    // ends here.
    if (p_ == end_ || *p_ == '.' || *p_ == '}' || *p_ == ']' ||
        LookingAt("|}")) {
      return true;
    }
  }
  while (true) {
    Term predicate;
    if (!Verb(&predicate)) return false;
    if (!ObjectList(subject, predicate)) return false;
    SkipWs();
    if (p_ == end_ || *p_ != ';') return true;
    while (p_ < end_ && *p_ == ';') {
      ++p_;
      SkipWs();
    }
    // A trailing ';' may end the list.
    if (p_ == end_ || *p_ == '.' || *p_ == ']' || *p_ == '}' ||
        LookingAt("|}")) {
      return true;
    }
  }
}

bool Parser::Verb(Term* out) {
  SkipWs();
  if (p_ < end_ && *p_ == 'a' && LookingAtKeyword("a")) {
    ++p_;
    *out = Term::Iri(kRdfType);
    return true;
  }
  if (p_ == end_) return FailHere("expected a predicate");
  if (*p_ == '<' && (p_ + 1 < end_ && p_[1] == '<')) {
    return FailHere("a predicate must be an IRI");
  }
  if (*p_ != '<' && *p_ != ':' && !IsAlpha(*p_) &&
      static_cast<unsigned char>(*p_) < 0x80) {
    return FailHere("expected a predicate (an IRI or 'a')");
  }
  return Iri(out);
}

bool Parser::ObjectList(const Term& subject, const Term& predicate) {
  while (true) {
    const char* at = p_;
    Term object;
    if (!Object(&object)) return false;
    if (!Emit(subject, predicate, object, at)) return false;
    if (!Annotation(subject, predicate, object)) return false;
    if (!Eat(',')) return true;
  }
}

bool Parser::Annotation(const Term& subject, const Term& predicate,
                        const Term& object) {
  std::optional<Term> reifier;
  while (true) {
    SkipWs();
    if (p_ < end_ && *p_ == '~') {
      ++p_;
      Term id;
      bool present = false;
      if (!ReifierId(&id, &present)) return false;
      if (!present) id = Fresh();
      Term tt = Term::TripleTerm(Triple{subject, predicate, object});
      if (!Emit(id, Term::Iri(kRdfReifies), tt, p_)) return false;
      reifier = std::move(id);
      continue;
    }
    if (LookingAt("{|")) {
      const char* open = p_;
      p_ += 2;
      if (!reifier) {
        Term id = Fresh();
        Term tt = Term::TripleTerm(Triple{subject, predicate, object});
        if (!Emit(id, Term::Iri(kRdfReifies), tt, open)) return false;
        reifier = std::move(id);
      }
      if (++depth_ > kMaxDepth)
        return Fail(open, "annotations nest too deeply");
      SkipWs();
      if (LookingAt("|}"))
        return FailHere("an annotation block must not be empty");
      if (!PredicateObjectList(*reifier, true)) return false;
      --depth_;
      SkipWs();
      if (!LookingAt("|}"))
        return FailHere("expected '|}' to close the annotation");
      p_ += 2;
      reifier.reset();
      continue;
    }
    return true;
  }
}

bool Parser::ReifierId(Term* out, bool* present) {
  SkipWs();
  *present = false;
  if (p_ == end_) return true;
  const char c = *p_;
  if (c == '_' && p_ + 1 < end_ && p_[1] == ':') {
    *present = true;
    return BlankLabel(out);
  }
  if (c == '[') {
    if (!AtAnon()) return FailHere("a reifier must be an IRI or a blank node");
    p_ = static_cast<const char*>(std::memchr(p_, ']', end_ - p_)) + 1;
    *present = true;
    *out = Fresh();
    return true;
  }
  if ((c == '<' && !(p_ + 1 < end_ && p_[1] == '<')) || c == ':' ||
      IsAlpha(c) || static_cast<unsigned char>(c) >= 0x80) {
    *present = true;
    return Iri(out);
  }
  return true;
}

bool Parser::AtAnon() const {
  if (p_ == end_ || *p_ != '[') return false;
  const char* q = p_ + 1;
  while (q < end_) {
    const char c = *q;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++q;
    } else if (c == '#') {
      while (q < end_ && *q != '\n' && *q != '\r') ++q;
    } else {
      return c == ']';
    }
  }
  return false;
}

bool Parser::Subject(Term* out) {
  SkipWs();
  if (p_ == end_) return FailHere("expected a subject");
  const char c = *p_;
  if (c == '_') return BlankLabel(out);
  if (c == '[') {
    if (!AtAnon()) return FailHere("expected a subject");
    p_ = static_cast<const char*>(std::memchr(p_, ']', end_ - p_)) + 1;
    *out = Fresh();
    return true;
  }
  if (c == '<') {
    if (LookingAt("<<(")) return FailHere("a triple term cannot be a subject");
    if (LookingAt("<<")) return ReifiedTriple(out);
    return Iri(out);
  }
  if (c == '"' || c == '\'' || IsDigit(c) || c == '+' || c == '-' || c == '.') {
    return FailHere("a literal cannot be a subject");
  }
  if (LookingAtKeyword("true") || LookingAtKeyword("false")) {
    return FailHere("a literal cannot be a subject");
  }
  return Iri(out);
}

bool Parser::Object(Term* out) {
  SkipWs();
  if (p_ == end_) return FailHere("expected an object");
  const char c = *p_;
  switch (c) {
    case '_':
      return BlankLabel(out);
    case '[':
      if (AtAnon()) {
        p_ = static_cast<const char*>(std::memchr(p_, ']', end_ - p_)) + 1;
        *out = Fresh();
        return true;
      }
      return BlankNodePropertyList(out);
    case '(':
      return Collection(out);
    case '<':
      if (LookingAt("<<(")) return TripleTermRule(out);
      if (LookingAt("<<")) return ReifiedTriple(out);
      return Iri(out);
    case '"':
    case '\'':
      return Literal(out);
    default:
      break;
  }
  if (IsDigit(c) || c == '+' || c == '-' || c == '.') return Numeric(out);
  if (LookingAtKeyword("true") && LookingAt("true")) {
    p_ += 4;
    *out = Term::Literal("true", kXsdBoolean);
    return true;
  }
  if (LookingAtKeyword("false") && LookingAt("false")) {
    p_ += 5;
    *out = Term::Literal("false", kXsdBoolean);
    return true;
  }
  if (c == ':' || IsAlpha(c) || static_cast<unsigned char>(c) >= 0x80) {
    return Iri(out);
  }
  return FailHere("expected an object");
}

bool Parser::BlankNodePropertyList(Term* out) {
  const char* open = p_;
  ++p_;  // '['
  if (++depth_ > kMaxDepth) return Fail(open, "'[' nests too deeply");
  *out = Fresh();
  if (!PredicateObjectList(*out, true)) return false;
  --depth_;
  if (Eat(']')) return true;
  return FailHere(absl::StrCat("expected ']' to close the '[' opened at line ",
                               PositionOf(open).line, ", column ",
                               PositionOf(open).column));
}

bool Parser::Collection(Term* out) {
  const char* open = p_;
  ++p_;  // '('
  if (++depth_ > kMaxDepth) return Fail(open, "'(' nests too deeply");
  const Term first = Term::Iri(kRdfFirst);
  const Term rest = Term::Iri(kRdfRest);
  Term head;
  Term prev;
  bool empty = true;
  while (true) {
    SkipWs();
    if (p_ == end_) return Fail(open, "unterminated collection");
    if (*p_ == ')') {
      ++p_;
      break;
    }
    const char* at = p_;
    Term node = Fresh();
    if (empty) {
      head = node;
      empty = false;
    } else if (!Emit(prev, rest, node, at)) {
      return false;
    }
    Term item;
    if (!Object(&item)) return false;
    if (!Emit(node, first, item, at)) return false;
    prev = std::move(node);
  }
  --depth_;
  if (empty) {
    *out = Term::Iri(kRdfNil);
    return true;
  }
  if (!Emit(prev, rest, Term::Iri(kRdfNil), p_)) return false;
  *out = std::move(head);
  return true;
}

// '<<' rtSubject verb rtObject reifier? '>>'
bool Parser::ReifiedTriple(Term* out) {
  const char* open = p_;
  p_ += 2;
  if (++depth_ > kMaxDepth) return Fail(open, "'<<' nests too deeply");
  SkipWs();
  Term s;
  if (p_ < end_ && (*p_ == '(' || (*p_ == '[' && !AtAnon()))) {
    return FailHere("expected an IRI, blank node or reified triple");
  }
  if (!Subject(&s)) return false;
  Term p;
  if (!Verb(&p)) return false;
  SkipWs();
  Term o;
  if (p_ < end_ && (*p_ == '(' || (*p_ == '[' && !AtAnon()))) {
    return FailHere("collections and '[ ... ]' are not allowed in '<< >>'");
  }
  if (!Object(&o)) return false;
  SkipWs();
  Term reifier;
  bool present = false;
  if (p_ < end_ && *p_ == '~') {
    ++p_;
    if (!ReifierId(&reifier, &present)) return false;
  }
  if (!present) reifier = Fresh();
  SkipWs();
  if (!LookingAt(">>")) {
    return FailHere("expected '>>' to close the '<<' opened at column " +
                    std::to_string(PositionOf(open).column));
  }
  p_ += 2;
  --depth_;
  Term tt = Term::TripleTerm(Triple{std::move(s), std::move(p), std::move(o)});
  if (!Emit(reifier, Term::Iri(kRdfReifies), tt, open)) return false;
  *out = std::move(reifier);
  return true;
}

// '<<(' ttSubject verb ttObject ')>>'
bool Parser::TripleTermRule(Term* out) {
  const char* open = p_;
  p_ += 3;
  if (++depth_ > kMaxDepth) return Fail(open, "triple terms nest too deeply");
  SkipWs();
  Term s;
  if (p_ < end_ && (*p_ == '(' || *p_ == '"' || *p_ == '\'' ||
                    (*p_ == '[' && !AtAnon()) || LookingAt("<<"))) {
    return FailHere(
        "the subject of a triple term must be an IRI or a blank node");
  }
  if (!Subject(&s)) return false;
  Term p;
  if (!Verb(&p)) return false;
  SkipWs();
  if (p_ < end_ && (*p_ == '(' || (*p_ == '[' && !AtAnon()) ||
                    (LookingAt("<<") && !LookingAt("<<(")))) {
    return FailHere(
        "the object of a triple term must be an IRI, blank node, literal or "
        "triple term");
  }
  Term o;
  if (!Object(&o)) return false;
  SkipWs();
  if (!LookingAt(")>>")) {
    return FailHere(
        "expected ')>>' to close the triple term opened at column " +
        std::to_string(PositionOf(open).column));
  }
  p_ += 3;
  --depth_;
  *out = Term::TripleTerm(Triple{std::move(s), std::move(p), std::move(o)});
  return true;
}

bool Parser::Iri(Term* out) {
  SkipWs();
  std::string iri;
  if (p_ < end_ && *p_ == '<') {
    if (!IriRef(&iri)) return false;
  } else if (!PrefixedName(&iri)) {
    return false;
  }
  *out = Term::Iri(std::move(iri));
  return true;
}

bool Parser::IriRef(std::string* out) {
  const char* start = p_;
  if (p_ == end_ || *p_ != '<') return FailHere("expected an IRI");
  ++p_;
  out->clear();
  while (true) {
    const char* run = p_;
    while (p_ < end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c <= 0x20 || c == '<' || c == '>' || c == '"' || c == '{' ||
          c == '}' || c == '|' || c == '^' || c == '`' || c == '\\' ||
          c >= 0x80) {
        break;
      }
      ++p_;
    }
    out->append(run, p_ - run);
    if (p_ == end_) return Fail(start, "unterminated IRI");
    const auto c = static_cast<unsigned char>(*p_);
    if (c == '>') {
      ++p_;
      break;
    }
    if (c == '\\') {
      if (!Escape(out, true)) return false;
      continue;
    }
    if (c >= 0x80) {
      uint32_t cp;
      const int n = DecodeUtf8(p_, end_, &cp);
      if (n == 0) return FailHere("invalid UTF-8");
      out->append(p_, n);
      p_ += n;
      continue;
    }
    return FailHere(absl::StrCat("character not allowed in an IRI"));
  }
  // Characters IRIREF forbids may not come in through \u escapes either
  // (W3C turtle-syntax-bad-uri-escape-01..03).
  for (const char ch : *out) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == '<' || c == '>' || c == '"' || c == '{' || c == '}' ||
        c == '|' || c == '^' || c == '`' || c == '\\') {
      return Fail(start, "escaped character not allowed in an IRI");
    }
  }
  if (!IsAbsoluteIri(*out)) {
    if (base_.empty()) {
      return Fail(start, "relative IRI with no base IRI");
    }
    *out = ResolveIri(base_, *out);
  }
  return true;
}

// PN_PREFIX ::= PN_CHARS_BASE ((PN_CHARS | '.')* PN_CHARS)?, possibly empty;
// leaves p_ at the ':' (not consumed).
bool Parser::PrefixName(absl::string_view* prefix) {
  const char* start = p_;
  const char* last_ok = p_;
  bool first = true;
  while (p_ < end_) {
    uint32_t cp;
    const int n = DecodeUtf8(p_, end_, &cp);
    if (n == 0) return FailHere("invalid UTF-8");
    if (first ? IsPnCharsBase(cp) : (IsPnChars(cp) || cp == '.')) {
      p_ += n;
      if (cp != '.') last_ok = p_;
      first = false;
    } else {
      break;
    }
  }
  if (p_ != last_ok) return Fail(last_ok, "a prefix name cannot end with '.'");
  *prefix = absl::string_view(start, p_ - start);
  return true;
}

bool Parser::PrefixedName(std::string* out) {
  const char* start = p_;
  absl::string_view prefix;
  if (!PrefixName(&prefix)) return false;
  if (p_ == end_ || *p_ != ':') {
    return Fail(start, "expected an IRI, a prefixed name or a keyword");
  }
  ++p_;
  const auto it = prefixes_.find(prefix);
  if (it == prefixes_.end()) {
    return Fail(start, absl::StrCat("undeclared prefix '", prefix, ":'"));
  }
  out->assign(it->second);
  // PN_LOCAL, with a trailing '.' left for the statement.
  bool first = true;
  size_t ok_len = out->size();
  const char* ok_p = p_;
  while (p_ < end_) {
    const char c = *p_;
    if (c == '%') {
      if (end_ - p_ < 3 || HexValue(p_[1]) < 0 || HexValue(p_[2]) < 0) {
        return FailHere("'%' must be followed by two hex digits");
      }
      out->append(p_, 3);
      p_ += 3;
    } else if (c == '\\') {
      if (p_ + 1 == end_ || !IsLocalEscapable(p_[1])) {
        return FailHere("bad escape in a local name");
      }
      out->push_back(p_[1]);
      p_ += 2;
    } else if (c == ':' || (first && IsDigit(c))) {
      out->push_back(c);
      ++p_;
    } else if (c == '.' && !first) {
      out->push_back(c);
      ++p_;
      first = false;
      continue;  // not a valid end
    } else {
      uint32_t cp;
      const int n = DecodeUtf8(p_, end_, &cp);
      if (n == 0) return FailHere("invalid UTF-8");
      if (!(first ? IsPnCharsU(cp) : IsPnChars(cp))) break;
      out->append(p_, n);
      p_ += n;
    }
    first = false;
    ok_len = out->size();
    ok_p = p_;
  }
  out->resize(ok_len);
  p_ = ok_p;
  return true;
}

bool Parser::BlankLabel(Term* out) {
  const char* start = p_;
  if (end_ - p_ < 2 || p_[0] != '_' || p_[1] != ':') {
    return FailHere("expected a blank node label '_:'");
  }
  p_ += 2;
  const char* label = p_;
  const char* last_ok = p_;
  bool first = true;
  while (p_ < end_) {
    uint32_t cp;
    const int n = DecodeUtf8(p_, end_, &cp);
    if (n == 0) return FailHere("invalid UTF-8");
    const bool ok = first ? (IsPnCharsU(cp) || (cp >= '0' && cp <= '9'))
                          : (IsPnChars(cp) || cp == '.');
    if (!ok) break;
    p_ += n;
    if (cp != '.') last_ok = p_;
    first = false;
  }
  p_ = last_ok;
  if (p_ == label) return Fail(start, "empty blank node label");
  *out = Term::Blank(std::string(label, p_ - label));
  return true;
}

bool Parser::Escape(std::string* out, bool uchar_only) {
  const char* start = p_;
  if (p_ + 1 >= end_) return Fail(start, "bad escape");
  const char e = p_[1];
  int digits = 0;
  if (e == 'u') {
    digits = 4;
  } else if (e == 'U') {
    digits = 8;
  } else if (!uchar_only) {
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
        return Fail(start, "bad escape");
    }
    out->push_back(c);
    p_ += 2;
    return true;
  } else {
    return Fail(start, "bad escape (only \\u and \\U are allowed here)");
  }
  p_ += 2;
  if (end_ - p_ < digits) return Fail(start, "bad \\u escape");
  uint32_t cp = 0;
  for (int i = 0; i < digits; ++i) {
    const int h = HexValue(p_[i]);
    if (h < 0) return Fail(start, "bad \\u escape");
    cp = cp * 16 + h;
  }
  p_ += digits;
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    return Fail(start, "escape of a surrogate or beyond U+10FFFF");
  }
  AppendUtf8(cp, out);
  return true;
}

bool Parser::QuotedString(std::string* out) {
  const char* start = p_;
  const char q = *p_;
  const bool long_form = end_ - p_ >= 3 && p_[1] == q && p_[2] == q;
  p_ += long_form ? 3 : 1;
  out->clear();
  while (true) {
    const char* run = p_;
    while (p_ < end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == static_cast<unsigned char>(q) || c == '\\' || c >= 0x80 ||
          (!long_form && (c == '\n' || c == '\r'))) {
        break;
      }
      ++p_;
    }
    out->append(run, p_ - run);
    if (p_ == end_) return Fail(start, "unterminated string");
    const char c = *p_;
    if (c == q) {
      if (!long_form) {
        ++p_;
        return true;
      }
      // The first three quotes in a row close the string: inside, at most
      // two may follow each other.
      if (end_ - p_ >= 3 && p_[1] == q && p_[2] == q) {
        p_ += 3;
        return true;
      }
      out->push_back(c);
      ++p_;
    } else if (c == '\\') {
      if (!Escape(out, false)) return false;
    } else if (c == '\n' || c == '\r') {
      return Fail(start, "line break in a short string (use \"\"\" or \\n)");
    } else {
      uint32_t cp;
      const int n = DecodeUtf8(p_, end_, &cp);
      if (n == 0) return FailHere("invalid UTF-8");
      out->append(p_, n);
      p_ += n;
    }
  }
}

bool Parser::Literal(Term* out) {
  std::string lexical;
  if (!QuotedString(&lexical)) return false;
  if (p_ < end_ && *p_ == '@') {
    *out = Term::Literal(std::move(lexical), "", "x");
    return LanguageTag(out);
  }
  if (end_ - p_ >= 2 && p_[0] == '^' && p_[1] == '^') {
    p_ += 2;
    if (p_ < end_ &&
        (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) {
      return FailHere("no space allowed after '^^'");
    }
    Term dt;
    if (!Iri(&dt)) return false;
    *out = Term::Literal(std::move(lexical), dt.value());
    return true;
  }
  *out = Term::Literal(std::move(lexical));
  return true;
}

// LANG_DIR ::= '@' [a-zA-Z]+ ('-' [a-zA-Z0-9]+)* ('--' [a-zA-Z]+)?
bool Parser::LanguageTag(Term* out) {
  const char* start = p_;
  ++p_;
  const char* tag = p_;
  while (p_ < end_ && IsAlpha(*p_)) ++p_;
  if (p_ == tag) return Fail(start, "bad language tag");
  const char* tag_end = p_;
  Direction dir = Direction::kNone;
  while (p_ < end_ && *p_ == '-') {
    if (p_ + 1 < end_ && p_[1] == '-') {
      p_ += 2;
      const char* d = p_;
      while (p_ < end_ && IsAlpha(*p_)) ++p_;
      const absl::string_view name(d, p_ - d);
      if (name == "ltr") {
        dir = Direction::kLtr;
      } else if (name == "rtl") {
        dir = Direction::kRtl;
      } else {
        return Fail(d, "base direction must be ltr or rtl");
      }
      break;
    }
    ++p_;
    const char* sub = p_;
    while (p_ < end_ && IsAlnum(*p_)) ++p_;
    if (p_ == sub) return Fail(start, "bad language tag");
    tag_end = p_;
  }
  if (p_ < end_ && (IsAlnum(*p_) || *p_ == '-')) {
    return Fail(start, "bad language tag");
  }
  *out = Term::Literal(out->value(), "", std::string(tag, tag_end - tag), dir);
  return true;
}

// INTEGER, DECIMAL or DOUBLE, the lexical form exactly as written.
bool Parser::Numeric(Term* out) {
  const char* start = p_;
  const char* q = p_;
  if (q < end_ && (*q == '+' || *q == '-')) ++q;
  const char* int_start = q;
  while (q < end_ && IsDigit(*q)) ++q;
  const bool int_digits = q > int_start;
  bool frac_digits = false;
  const char* after_int = q;
  const char* dot_end = nullptr;
  if (q < end_ && *q == '.') {
    const char* f = q + 1;
    while (f < end_ && IsDigit(*f)) ++f;
    frac_digits = f > q + 1;
    dot_end = f;
  }
  auto exponent = [&](const char* e) -> const char* {
    if (e < end_ && (*e == 'e' || *e == 'E')) {
      const char* x = e + 1;
      if (x < end_ && (*x == '+' || *x == '-')) ++x;
      const char* xd = x;
      while (x < end_ && IsDigit(*x)) ++x;
      if (x > xd) return x;
    }
    return nullptr;
  };
  const char* dt = nullptr;
  if (dot_end != nullptr && (int_digits || frac_digits)) {
    if (const char* e = exponent(dot_end)) {
      q = e;
      dt = kXsdDouble;
    } else if (frac_digits) {
      q = dot_end;
      dt = kXsdDecimal;
    }
  }
  if (dt == nullptr && int_digits) {
    if (const char* e = exponent(after_int)) {
      q = e;
      dt = kXsdDouble;
    } else {
      q = after_int;
      dt = kXsdInteger;
    }
  }
  if (dt == nullptr) return Fail(start, "expected an object");
  p_ = q;
  *out = Term::Literal(std::string(start, q - start), dt);
  return true;
}

bool Parser::Emit(const Term& s, const Term& p, const Term& o, const char* at) {
  if (s.is_literal()) return Fail(at, "a literal cannot be a subject");
  quad_.subject = s;
  quad_.predicate = p;
  quad_.object = o;
  quad_.graph = graph_;
  absl::Status st =
      on_quad_(quad_, PositionOf(stmt_start_ != nullptr && stmt_start_ <= at
                                     ? stmt_start_
                                     : at));
  if (!st.ok()) {
    if (status_.ok()) status_ = std::move(st);
    return false;
  }
  return true;
}

}  // namespace

absl::Status ReadTurtle(bool trig, absl::string_view input,
                        const ReadOptions& options,
                        const QuadCallback& on_quad) {
  Parser parser(trig, input, options, on_quad);
  return parser.Run();
}

}  // namespace kg::rdf
