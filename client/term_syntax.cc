#include "client/term_syntax.h"

#include <cctype>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "rdf/format.h"
#include "rdf/term.h"

namespace kg::client {

namespace {

constexpr int kMaxNesting = 8;

bool IsDecimal(absl::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  const size_t dot = s.find('.');
  absl::string_view whole = s.substr(0, dot);
  absl::string_view frac =
      dot == absl::string_view::npos ? absl::string_view() : s.substr(dot + 1);
  auto digits = [](absl::string_view d) {
    if (d.empty()) return false;
    for (char c : d) {
      if (!absl::ascii_isdigit(c)) return false;
    }
    return true;
  };
  return digits(whole) && (dot == absl::string_view::npos || digits(frac));
}

bool IsDate(absl::string_view s) {
  // YYYY, YYYY-MM or YYYY-MM-DD; the server checks the calendar.
  auto digits = [&](size_t from, size_t n) {
    for (size_t i = from; i < from + n; ++i) {
      if (!absl::ascii_isdigit(s[i])) return false;
    }
    return true;
  };
  if (s.size() == 4) return digits(0, 4);
  if (s.size() == 7) return digits(0, 4) && s[4] == '-' && digits(5, 2);
  if (s.size() == 10) {
    return digits(0, 4) && s[4] == '-' && digits(5, 2) && s[7] == '-' &&
           digits(8, 2);
  }
  return false;
}

// An RDF term in N-Triples syntax (<iri>, _:label, "lexical"@lang--dir,
// "lexical"^^<datatype>), read by rdf/'s N-Triples reader.
absl::StatusOr<kg::v1::Term> RdfTerm(absl::string_view text) {
  const std::string line =
      absl::StrCat("<urn:kgctl:s> <urn:kgctl:p> ", text, " .");
  std::optional<rdf::Term> object;
  absl::Status s = rdf::Read(rdf::Format::kNTriples, line, {},
                             [&](const rdf::Quad& q, const rdf::Position&) {
                               object = q.object;
                               return absl::OkStatus();
                             });
  if (!s.ok() || !object.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not an RDF term in N-Triples syntax"));
  }
  kg::v1::Term term;
  switch (object->kind()) {
    case rdf::Term::Kind::kIri:
      term.set_iri(object->value());
      break;
    case rdf::Term::Kind::kBlank:
      term.set_blank_node(object->value());
      break;
    case rdf::Term::Kind::kLiteral: {
      kg::v1::RdfLiteral* l = term.mutable_literal()->mutable_rdf();
      l->set_lexical_form(object->value());
      if (object->language().empty() && object->datatype() != rdf::kXsdString) {
        l->set_datatype(object->datatype());
      }
      l->set_language(object->language());
      if (object->direction() == rdf::Direction::kLtr) {
        l->set_direction(kg::v1::TEXT_DIRECTION_LTR);
      } else if (object->direction() == rdf::Direction::kRtl) {
        l->set_direction(kg::v1::TEXT_DIRECTION_RTL);
      }
      break;
    }
    case rdf::Term::Kind::kTriple:
      return absl::InvalidArgumentError(
          absl::StrCat("'", text, "': write quoted statements as << s r o >>"));
  }
  return term;
}

// The end of an RDF term that starts at `text`: an IRI up to its '>', a
// blank node or a literal up to whitespace or ">>" (a literal's quoted
// part may hold either).
size_t RdfTermLength(absl::string_view text) {
  size_t i = 0;
  if (!text.empty() && text[0] == '<') {
    const size_t close = text.find('>');
    return close == absl::string_view::npos ? text.size() : close + 1;
  }
  if (!text.empty() && text[0] == '"') {
    for (i = 1; i < text.size() && text[i] != '"'; ++i) {
      if (text[i] == '\\') ++i;
    }
    if (i < text.size()) ++i;
  }
  while (i < text.size() && !absl::ascii_isspace(text[i]) &&
         !absl::StartsWith(text.substr(i), ">>")) {
    ++i;
  }
  return i;
}

bool StartsRdfTerm(absl::string_view text) {
  return (absl::StartsWith(text, "<") && !absl::StartsWith(text, "<<")) ||
         absl::StartsWith(text, "_:") || absl::StartsWith(text, "lit:");
}

// A recursive-descent parser over one argument.
class Parser {
 public:
  explicit Parser(absl::string_view text) : text_(text) {}

  absl::StatusOr<kg::v1::Term> ParseTop() {
    absl::string_view t = absl::StripAsciiWhitespace(text_);
    if (t.empty()) return Error(0, "empty term");
    if (absl::StartsWith(t, "<<")) {
      pos_ = t.data() - text_.data();
      absl::StatusOr<kg::v1::Term> term = ParseItem(0);
      if (!term.ok()) return term;
      SkipSpace();
      if (pos_ != text_.size()) {
        return Error(pos_, "unexpected text after the closing '>>'");
      }
      return term;
    }
    if (StartsRdfTerm(t)) {
      absl::ConsumePrefix(&t, "lit:");
      absl::StatusOr<kg::v1::Term> term = RdfTerm(t);
      if (!term.ok()) return Error(0, term.status().message());
      return term;
    }
    // Outside << >> the whole argument is one term, spaces and all.
    pos_ = t.data() - text_.data();
    return ParseWholeWord(t);
  }

 private:
  absl::Status Error(size_t at, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("term '", text_, "': ", what,
                                                   " (at character ", at + 1,
                                                   "); see kgctl terms"));
  }

  void SkipSpace() {
    while (pos_ < text_.size() && absl::ascii_isspace(text_[pos_])) ++pos_;
  }

  // A double-quoted string starting at pos_.
  absl::StatusOr<std::string> ParseQuoted() {
    const size_t start = pos_;
    ++pos_;  // the opening quote
    std::string out;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (c == '\\' && pos_ < text_.size()) {
        out += text_[pos_++];
        continue;
      }
      out += c;
    }
    return Error(start, "unclosed double quote");
  }

  // A bare word inside << >>: up to whitespace or ">>".
  absl::string_view ParseBare() {
    const size_t start = pos_;
    while (pos_ < text_.size() && !absl::ascii_isspace(text_[pos_]) &&
           !absl::StartsWith(text_.substr(pos_), ">>") &&
           !absl::StartsWith(text_.substr(pos_), "<<")) {
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }

  absl::StatusOr<kg::v1::Term> Literal(absl::string_view prefix,
                                       absl::string_view value, size_t at) {
    kg::v1::Term term;
    kg::v1::Literal* l = term.mutable_literal();
    if (prefix == "int") {
      int64_t v = 0;
      if (!absl::SimpleAtoi(value, &v)) {
        return Error(at, absl::StrCat("'", value,
                                      "' is not a 64-bit integer (int:12000)"));
      }
      l->set_integer_value(v);
    } else if (prefix == "dec") {
      if (!IsDecimal(value)) {
        return Error(at,
                     absl::StrCat("'", value, "' is not a decimal (dec:1.5)"));
      }
      l->set_decimal_value(std::string(value));
    } else if (prefix == "date") {
      if (!IsDate(value)) {
        return Error(at, absl::StrCat("'", value,
                                      "' is not a date (YYYY, YYYY-MM or "
                                      "YYYY-MM-DD)"));
      }
      l->set_date_value(std::string(value));
    } else {
      l->set_string_value(std::string(value));
    }
    return term;
  }

  static kg::v1::Term Name(absl::string_view name) {
    kg::v1::Term term;
    if (IsStatementId(name)) {
      term.set_statement_id(std::string(name));
    } else {
      term.set_entity(std::string(name));
    }
    return term;
  }

  // Splits "int:12" into ("int", "12"); false when there is no known prefix.
  static bool SplitPrefix(absl::string_view word, absl::string_view* prefix,
                          absl::string_view* rest) {
    for (absl::string_view p : {"int", "dec", "date", "str", "entity"}) {
      if (word.size() > p.size() && absl::StartsWith(word, p) &&
          word[p.size()] == ':') {
        *prefix = p;
        *rest = word.substr(p.size() + 1);
        return true;
      }
    }
    return false;
  }

  absl::StatusOr<kg::v1::Term> PrefixedValue(absl::string_view prefix,
                                             std::string value, size_t at) {
    if (prefix == "entity") {
      if (value.empty()) return Error(at, "empty entity name");
      kg::v1::Term term;
      term.set_entity(std::move(value));
      return term;
    }
    return Literal(prefix, value, at);
  }

  absl::StatusOr<kg::v1::Term> ParseWholeWord(absl::string_view word) {
    const size_t at = pos_;
    absl::string_view prefix, rest;
    if (SplitPrefix(word, &prefix, &rest)) {
      std::string value(rest);
      if (absl::StartsWith(rest, "\"")) {
        pos_ = rest.data() - text_.data();
        absl::StatusOr<std::string> q = ParseQuoted();
        if (!q.ok()) return q.status();
        if (pos_ != static_cast<size_t>(word.end() - text_.data())) {
          return Error(pos_, "unexpected text after the closing quote");
        }
        value = *std::move(q);
      }
      return PrefixedValue(prefix, std::move(value), at);
    }
    if (word.front() == '"') {
      absl::StatusOr<std::string> q = ParseQuoted();
      if (!q.ok()) return q.status();
      if (pos_ != static_cast<size_t>(word.end() - text_.data())) {
        return Error(pos_, "unexpected text after the closing quote");
      }
      if (q->empty()) return Error(at, "empty entity name");
      kg::v1::Term term;
      term.set_entity(*std::move(q));
      return term;
    }
    return Name(word);
  }

  // One term inside or at the start of << >>.
  absl::StatusOr<kg::v1::Term> ParseItem(int depth) {
    SkipSpace();
    if (pos_ >= text_.size()) return Error(pos_, "missing term before the end");
    const size_t at = pos_;
    if (absl::StartsWith(text_.substr(pos_), "<<")) {
      if (depth >= kMaxNesting) {
        return Error(at, "quoted statements nest at most 8 levels");
      }
      pos_ += 2;
      kg::v1::Term term;
      kg::v1::Triple* triple = term.mutable_quoted();
      absl::StatusOr<kg::v1::Term> s = ParseItem(depth + 1);
      if (!s.ok()) return s;
      *triple->mutable_subject() = *std::move(s);
      SkipSpace();
      if (pos_ >= text_.size() || absl::StartsWith(text_.substr(pos_), ">>")) {
        return Error(pos_, "missing relation in << subject relation object >>");
      }
      if (text_[pos_] == '"') {
        absl::StatusOr<std::string> r = ParseQuoted();
        if (!r.ok()) return r.status();
        triple->set_relation(*std::move(r));
      } else if (text_[pos_] == '<') {
        const size_t n = RdfTermLength(text_.substr(pos_));
        absl::StatusOr<kg::v1::Term> r = RdfTerm(text_.substr(pos_, n));
        if (!r.ok() || !r->has_iri()) {
          return Error(pos_, "a relation is a name or an <iri>");
        }
        triple->set_relation(r->iri());
        pos_ += n;
      } else {
        absl::string_view r = ParseBare();
        if (r.empty()) return Error(pos_, "missing relation");
        triple->set_relation(std::string(r));
      }
      absl::StatusOr<kg::v1::Term> o = ParseItem(depth + 1);
      if (!o.ok()) return o;
      *triple->mutable_object() = *std::move(o);
      SkipSpace();
      if (!absl::StartsWith(text_.substr(pos_), ">>")) {
        return Error(pos_, "expected '>>' after the object");
      }
      pos_ += 2;
      return term;
    }
    if (absl::StartsWith(text_.substr(pos_), ">>")) {
      return Error(at, "missing term before '>>'");
    }
    if (text_[pos_] == '"') {
      absl::StatusOr<std::string> q = ParseQuoted();
      if (!q.ok()) return q.status();
      if (q->empty()) return Error(at, "empty entity name");
      kg::v1::Term term;
      term.set_entity(*std::move(q));
      return term;
    }
    if (StartsRdfTerm(text_.substr(pos_))) {
      if (absl::StartsWith(text_.substr(pos_), "lit:")) pos_ += 4;
      const size_t n = RdfTermLength(text_.substr(pos_));
      absl::StatusOr<kg::v1::Term> term = RdfTerm(text_.substr(pos_, n));
      if (!term.ok()) return Error(at, term.status().message());
      pos_ += n;
      return term;
    }
    // A prefix with a quoted value: str:"a >> b".
    for (absl::string_view p : {"int", "dec", "date", "str", "entity"}) {
      if (absl::StartsWith(text_.substr(pos_), absl::StrCat(p, ":\""))) {
        pos_ += p.size() + 1;
        absl::StatusOr<std::string> q = ParseQuoted();
        if (!q.ok()) return q.status();
        return PrefixedValue(p, *std::move(q), at);
      }
    }
    absl::string_view word = ParseBare();
    absl::string_view prefix, rest;
    if (SplitPrefix(word, &prefix, &rest)) {
      return PrefixedValue(prefix, std::string(rest), at);
    }
    return Name(word);
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

bool IsBareSafe(absl::string_view s) {
  if (s.empty() || IsStatementId(s)) return false;
  for (absl::string_view p :
       {"int:", "dec:", "date:", "str:", "entity:", "lit:", "_:", "<"}) {
    if (absl::StartsWith(s, p)) return false;
  }
  if (absl::StrContains(s, "<<") || absl::StrContains(s, ">>")) return false;
  for (char c : s) {
    if (absl::ascii_isspace(c) || c == '"' || c == '\\') return false;
  }
  return true;
}

std::string Quote(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string FormatTermAt(const kg::v1::Term& term, int depth);

std::string FormatTripleAt(const kg::v1::Triple& t, int depth) {
  return absl::StrCat("<<", FormatTermAt(t.subject(), depth + 1), " ",
                      FormatRelation(t.relation()), " ",
                      FormatTermAt(t.object(), depth + 1), ">>");
}

std::string FormatTermAt(const kg::v1::Term& term, int depth) {
  switch (term.kind_case()) {
    case kg::v1::Term::kEntity:
      return FormatName(term.entity());
    case kg::v1::Term::kLiteral:
      return FormatLiteral(term.literal());
    case kg::v1::Term::kStatementId:
      return term.statement_id();
    case kg::v1::Term::kIri:
      return absl::StrCat("<", term.iri(), ">");
    case kg::v1::Term::kBlankNode:
      return absl::StrCat("_:", term.blank_node());
    case kg::v1::Term::kQuoted:
      if (depth > kMaxNesting) return "<<...>>";
      return FormatTripleAt(term.quoted(), depth);
    default:
      return "?";
  }
}

}  // namespace

bool IsStatementId(absl::string_view text) {
  if (text.size() != 33 || text[0] != 's') return false;
  for (char c : text.substr(1)) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

absl::StatusOr<kg::v1::Term> ParseTerm(absl::string_view text) {
  return Parser(text).ParseTop();
}

absl::StatusOr<kg::v1::Term> ParseStatementTerm(absl::string_view text) {
  absl::StatusOr<kg::v1::Term> term = ParseTerm(text);
  if (!term.ok()) return term;
  if (!term->has_statement_id() && !term->has_quoted()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text,
                     "' is not a statement: give its id (s + 32 hex digits) or "
                     "<<subject relation object>>"));
  }
  return term;
}

std::string FormatTerm(const kg::v1::Term& term) {
  return FormatTermAt(term, 0);
}

std::string FormatTriple(const kg::v1::Triple& triple) {
  return FormatTripleAt(triple, 0);
}

std::string FormatLiteral(const kg::v1::Literal& l) {
  switch (l.value_case()) {
    case kg::v1::Literal::kIntegerValue:
      return absl::StrCat("int:", l.integer_value());
    case kg::v1::Literal::kDecimalValue:
      return absl::StrCat("dec:", l.decimal_value());
    case kg::v1::Literal::kDateValue:
      return absl::StrCat("date:", l.date_value());
    case kg::v1::Literal::kStringValue:
      return absl::StrCat("str:", IsBareSafe(l.string_value())
                                      ? l.string_value()
                                      : Quote(l.string_value()));
    case kg::v1::Literal::kRdf: {
      const kg::v1::RdfLiteral& r = l.rdf();
      rdf::Direction dir = rdf::Direction::kNone;
      if (r.direction() == kg::v1::TEXT_DIRECTION_LTR)
        dir = rdf::Direction::kLtr;
      if (r.direction() == kg::v1::TEXT_DIRECTION_RTL)
        dir = rdf::Direction::kRtl;
      return absl::StrCat(
          "lit:", rdf::ToNTriples(rdf::Term::Literal(
                      r.lexical_form(), r.datatype(), r.language(), dir)));
    }
    default:
      return "?";
  }
}

std::string FormatName(absl::string_view name) {
  return IsBareSafe(name) ? std::string(name) : Quote(name);
}

std::string FormatRelation(absl::string_view relation) {
  // Relation ids are slugs; anything with a colon is a predicate's IRI.
  if (absl::StrContains(relation, ":")) return absl::StrCat("<", relation, ">");
  return FormatName(relation);
}

}  // namespace kg::client
