#include "query/sparql/lexer.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "rdf/text.h"

namespace kg::sparql {
namespace {

using rdf::text::AppendUtf8;
using rdf::text::DecodeUtf8;
using rdf::text::HexValue;
using rdf::text::IsAlnum;
using rdf::text::IsAlpha;
using rdf::text::IsDigit;
using rdf::text::IsPnChars;
using rdf::text::IsPnCharsBase;
using rdf::text::IsPnCharsU;

bool IsWs(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// PN_LOCAL_ESC: '\' followed by one of these stands for the character.
bool IsLocalEscapable(char c) {
  static constexpr absl::string_view kChars = "_~.-!$&'()*+,;=/?#@%";
  return kChars.find(c) != absl::string_view::npos;
}

class Lexer {
 public:
  explicit Lexer(absl::string_view text)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

  absl::StatusOr<std::vector<Token>> Run();

 private:
  // The code point at p (0 at the end or on bad UTF-8) and its length.
  uint32_t Peek(const char* p, int* len) const {
    if (p >= end_) {
      *len = 0;
      return 0;
    }
    uint32_t cp;
    *len = DecodeUtf8(p, end_, &cp);
    return *len == 0 ? 0 : cp;
  }
  bool Fail(const char* at, absl::string_view what);
  void Locate(const char* at, int* line, int* column);
  void SkipWsAndComments();
  bool Next(Token* t);
  bool IriRef(Token* t, bool* is_iri);
  bool Escape(std::string* out, bool uchar_only);
  bool String(Token* t);
  bool Name(const char* start, Token* t);
  bool PrefixedLocal(Token* t);
  bool Variable(Token* t);
  bool BlankLabel(Token* t);
  bool LangTag(Token* t);
  bool Number(Token* t);

  const char* const begin_;
  const char* p_;
  const char* const end_;
  // Locate() scans forward from the last position it reported.
  const char* located_ = nullptr;
  int located_line_ = 1;
  int located_column_ = 1;
  absl::Status error_;
};

void Lexer::Locate(const char* at, int* line, int* column) {
  if (located_ == nullptr || at < located_) {
    located_ = begin_;
    located_line_ = 1;
    located_column_ = 1;
  }
  while (located_ < at) {
    if (*located_ == '\n') {
      ++located_line_;
      located_column_ = 1;
      ++located_;
      continue;
    }
    uint32_t cp;
    const int n = DecodeUtf8(located_, end_, &cp);
    located_ += n == 0 ? 1 : n;
    ++located_column_;
  }
  *line = located_line_;
  *column = located_column_;
}

bool Lexer::Fail(const char* at, absl::string_view what) {
  int line, column;
  Locate(at, &line, &column);
  error_ = absl::InvalidArgumentError(
      absl::StrCat("line ", line, ", column ", column, ": ", what));
  return false;
}

void Lexer::SkipWsAndComments() {
  while (p_ < end_) {
    if (IsWs(*p_)) {
      ++p_;
    } else if (*p_ == '#') {
      while (p_ < end_ && *p_ != '\n' && *p_ != '\r') ++p_;
    } else {
      return;
    }
  }
}

absl::StatusOr<std::vector<Token>> Lexer::Run() {
  std::vector<Token> tokens;
  while (true) {
    SkipWsAndComments();
    Token t;
    Locate(p_, &t.line, &t.column);
    if (p_ == end_) {
      tokens.push_back(std::move(t));
      return tokens;
    }
    if (!Next(&t)) return error_;
    tokens.push_back(std::move(t));
  }
}

bool Lexer::Next(Token* t) {
  const char* start = p_;
  const char c = *p_;
  auto punct = [&](absl::string_view text) {
    t->kind = Token::Kind::kPunct;
    t->text = std::string(text);
    p_ += text.size();
    return true;
  };
  auto at = [&](absl::string_view s) {
    return static_cast<size_t>(end_ - p_) >= s.size() &&
           absl::string_view(p_, s.size()) == s;
  };
  switch (c) {
    case '<': {
      if (at("<<(")) return punct("<<(");
      if (at("<<")) return punct("<<");
      bool is_iri = false;
      if (!IriRef(t, &is_iri)) return false;
      if (is_iri) return true;
      if (at("<=")) return punct("<=");
      return punct("<");
    }
    case '>':
      if (at(">>")) return punct(">>");
      if (at(">=")) return punct(">=");
      return punct(">");
    case ')':
      if (at(")>>")) return punct(")>>");
      return punct(")");
    case '(': {
      const char* q = p_ + 1;
      while (q < end_ && (IsWs(*q) || *q == '#')) {
        if (*q == '#') {
          while (q < end_ && *q != '\n') ++q;
        } else {
          ++q;
        }
      }
      if (q < end_ && *q == ')') {
        p_ = q + 1;
        t->kind = Token::Kind::kNil;
        return true;
      }
      return punct("(");
    }
    case '[': {
      const char* q = p_ + 1;
      while (q < end_ && IsWs(*q)) ++q;
      if (q < end_ && *q == ']') {
        p_ = q + 1;
        t->kind = Token::Kind::kAnon;
        return true;
      }
      return punct("[");
    }
    case '{':
      if (at("{|")) return punct("{|");
      return punct("{");
    case '|':
      if (at("|}")) return punct("|}");
      if (at("||")) return punct("||");
      return punct("|");
    case '&':
      if (at("&&")) return punct("&&");
      return Fail(start, "unexpected '&' (did you mean '&&'?)");
    case '!':
      if (at("!=")) return punct("!=");
      return punct("!");
    case '^':
      if (at("^^")) return punct("^^");
      return punct("^");
    case '}':
    case ']':
    case ',':
    case ';':
    case '*':
    case '/':
    case '+':
    case '-':
    case '=':
    case '~':
      return punct(absl::string_view(p_, 1));
    case '.':
      if (p_ + 1 < end_ && IsDigit(p_[1])) return Number(t);
      return punct(".");
    case '?':
      if (p_ + 1 < end_) {
        int len;
        const uint32_t n = Peek(p_ + 1, &len);
        if (len > 0 && (IsPnCharsU(n) || IsDigit(static_cast<char>(n)))) {
          return Variable(t);
        }
      }
      return punct("?");
    case '$':
      return Variable(t);
    case '"':
    case '\'':
      return String(t);
    case '@':
      return LangTag(t);
    case '_':
      if (p_ + 1 < end_ && p_[1] == ':') return BlankLabel(t);
      break;
    case ':':
      t->kind = Token::Kind::kPrefixName;
      ++p_;
      return PrefixedLocal(t);
    default:
      break;
  }
  if (IsDigit(c)) return Number(t);
  int len;
  const uint32_t cp = Peek(p_, &len);
  if (len == 0) return Fail(start, "invalid UTF-8");
  if (IsPnCharsBase(cp)) return Name(start, t);
  return Fail(start, absl::StrCat("unexpected character '",
                                  absl::string_view(p_, len), "'"));
}

// IRIREF ::= '<' ([^<>"{}|^`\]-[#x00-#x20] | UCHAR)* '>'. Sets *is_iri to
// false, consuming nothing, when the '<' starts no IRI (it is then the
// less-than operator).
bool Lexer::IriRef(Token* t, bool* is_iri) {
  const char* q = p_ + 1;
  while (q < end_) {
    const auto c = static_cast<unsigned char>(*q);
    if (c == '>') break;
    if (c <= 0x20 || c == '<' || c == '"' || c == '{' || c == '}' || c == '|' ||
        c == '^' || c == '`') {
      *is_iri = false;
      return true;
    }
    ++q;
  }
  if (q == end_) {
    *is_iri = false;
    return true;
  }
  *is_iri = true;
  const char* start = p_;
  ++p_;
  std::string iri;
  while (*p_ != '>') {
    if (*p_ == '\\') {
      const size_t before = iri.size();
      if (!Escape(&iri, /*uchar_only=*/true)) return false;
      for (size_t i = before; i < iri.size(); ++i) {
        const auto e = static_cast<unsigned char>(iri[i]);
        if (e <= 0x20 || e == '<' || e == '>' || e == '"' || e == '{' ||
            e == '}' || e == '|' || e == '^' || e == '`' || e == '\\') {
          return Fail(start,
                      "an escape in an IRI stands for a character "
                      "IRIs may not contain");
        }
      }
      continue;
    }
    uint32_t cp;
    const int n = DecodeUtf8(p_, end_, &cp);
    if (n == 0) return Fail(p_, "invalid UTF-8 in an IRI");
    iri.append(p_, n);
    p_ += n;
  }
  ++p_;
  t->kind = Token::Kind::kIri;
  t->text = std::move(iri);
  return true;
}

bool Lexer::Escape(std::string* out, bool uchar_only) {
  const char* start = p_;
  if (p_ + 1 >= end_) return Fail(start, "bad escape");
  const char e = p_[1];
  int digits = 0;
  if (e == 'u') {
    digits = 4;
  } else if (e == 'U') {
    digits = 8;
  } else if (uchar_only) {
    return Fail(start, "bad escape (only \\u and \\U are allowed here)");
  } else {
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
        return Fail(start, absl::StrCat("bad escape '\\",
                                        absl::string_view(&e, 1), "'"));
    }
    out->push_back(c);
    p_ += 2;
    return true;
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

bool Lexer::String(Token* t) {
  const char* start = p_;
  const char q = *p_;
  const bool long_form = end_ - p_ >= 3 && p_[1] == q && p_[2] == q;
  p_ += long_form ? 3 : 1;
  std::string value;
  while (true) {
    if (p_ == end_) return Fail(start, "unterminated string");
    const char c = *p_;
    if (c == q) {
      if (!long_form) {
        ++p_;
        break;
      }
      if (end_ - p_ >= 3 && p_[1] == q && p_[2] == q) {
        p_ += 3;
        break;
      }
      value.push_back(c);
      ++p_;
    } else if (c == '\\') {
      if (!Escape(&value, false)) return false;
    } else if (!long_form && (c == '\n' || c == '\r')) {
      return Fail(start, "line break in a short string (use \"\"\" or \\n)");
    } else {
      uint32_t cp;
      const int n = DecodeUtf8(p_, end_, &cp);
      if (n == 0) return Fail(p_, "invalid UTF-8 in a string");
      value.append(p_, n);
      p_ += n;
    }
  }
  t->kind = Token::Kind::kString;
  t->text = std::move(value);
  t->long_string = long_form;
  return true;
}

// A keyword, a function name, or a prefix before ':'. PN_PREFIX ::=
// PN_CHARS_BASE ((PN_CHARS|'.')* PN_CHARS)?
bool Lexer::Name(const char* start, Token* t) {
  const char* q = start;
  const char* last_ok = start;
  while (q < end_) {
    int len;
    const uint32_t cp = Peek(q, &len);
    if (len == 0) break;
    if (IsPnChars(cp)) {
      q += len;
      last_ok = q;
    } else if (cp == '.') {
      q += len;
    } else {
      break;
    }
  }
  if (last_ok < end_ && *last_ok == ':') {
    t->kind = Token::Kind::kPrefixName;
    t->text = std::string(start, last_ok - start);
    p_ = last_ok + 1;
    return PrefixedLocal(t);
  }
  // A keyword: letters, digits and '_' (GROUP_CONCAT, SHA256).
  q = start;
  while (q < end_ && (IsAlnum(*q) || *q == '_')) ++q;
  if (q == start) return Fail(start, "unexpected character");
  t->kind = Token::Kind::kWord;
  t->text = std::string(start, q - start);
  p_ = q;
  return true;
}

// After "prefix:": PN_LOCAL ::= (PN_CHARS_U | ':' | [0-9] | PLX)
// ((PN_CHARS | '.' | ':' | PLX)* (PN_CHARS | ':' | PLX))?
bool Lexer::PrefixedLocal(Token* t) {
  std::string local;
  size_t local_ok = 0;
  const char* last_ok = p_;
  bool first = true;
  while (p_ < end_) {
    const char c = *p_;
    if (c == '%') {
      if (end_ - p_ < 3 || HexValue(p_[1]) < 0 || HexValue(p_[2]) < 0) {
        return Fail(p_, "bad percent encoding in a prefixed name");
      }
      local.append(p_, 3);
      p_ += 3;
    } else if (c == '\\') {
      if (p_ + 1 >= end_ || !IsLocalEscapable(p_[1])) {
        return Fail(p_, "bad escape in a prefixed name");
      }
      local.push_back(p_[1]);
      p_ += 2;
    } else if (c == ':') {
      local.push_back(c);
      ++p_;
    } else if (c == '.' && !first) {
      local.push_back(c);
      ++p_;
      continue;  // may not end the name
    } else {
      int len;
      const uint32_t cp = Peek(p_, &len);
      if (len == 0) break;
      const bool ok = first ? (IsPnCharsU(cp) || IsDigit(static_cast<char>(cp)))
                            : IsPnChars(cp);
      if (!ok) break;
      local.append(p_, len);
      p_ += len;
    }
    first = false;
    local_ok = local.size();
    last_ok = p_;
  }
  p_ = last_ok;
  local.resize(local_ok);
  t->local = std::move(local);
  t->pname_ns = t->local.empty();
  return true;
}

// VARNAME ::= (PN_CHARS_U | [0-9]) (PN_CHARS_U | [0-9] | #x00B7 |
// [#x0300-#x036F] | [#x203F-#x2040])*
bool Lexer::Variable(Token* t) {
  const char* start = p_;
  ++p_;
  const char* name = p_;
  while (p_ < end_) {
    int len;
    const uint32_t cp = Peek(p_, &len);
    if (len == 0) break;
    const bool ok =
        IsPnCharsU(cp) || IsDigit(static_cast<char>(cp)) ||
        (p_ != name && (cp == 0xb7 || (cp >= 0x300 && cp <= 0x36f) ||
                        (cp >= 0x203f && cp <= 0x2040)));
    if (!ok) break;
    p_ += len;
  }
  if (p_ == name) return Fail(start, "empty variable name");
  t->kind = Token::Kind::kVariable;
  t->text = std::string(name, p_ - name);
  return true;
}

// BLANK_NODE_LABEL ::= '_:' (PN_CHARS_U | [0-9]) ((PN_CHARS|'.')* PN_CHARS)?
bool Lexer::BlankLabel(Token* t) {
  const char* start = p_;
  p_ += 2;
  const char* label = p_;
  const char* last_ok = p_;
  bool first = true;
  while (p_ < end_) {
    int len;
    const uint32_t cp = Peek(p_, &len);
    if (len == 0) break;
    if (first ? (IsPnCharsU(cp) || IsDigit(static_cast<char>(cp)))
              : IsPnChars(cp)) {
      p_ += len;
      last_ok = p_;
    } else if (!first && cp == '.') {
      p_ += len;
    } else {
      break;
    }
    first = false;
  }
  p_ = last_ok;
  if (p_ == label) return Fail(start, "empty blank node label");
  t->kind = Token::Kind::kBlankLabel;
  t->text = std::string(label, p_ - label);
  return true;
}

// LANG_DIR ::= '@' [a-zA-Z]+ ('-' [a-zA-Z0-9]+)* ('--' [a-zA-Z]+)?
bool Lexer::LangTag(Token* t) {
  const char* start = p_;
  ++p_;
  const char* tag = p_;
  while (p_ < end_ && IsAlpha(*p_)) ++p_;
  if (p_ == tag) return Fail(start, "bad language tag");
  while (p_ < end_ && *p_ == '-') {
    if (p_ + 1 < end_ && p_[1] == '-') {
      p_ += 2;
      const char* d = p_;
      while (p_ < end_ && IsAlpha(*p_)) ++p_;
      const absl::string_view dir(d, p_ - d);
      if (dir != "ltr" && dir != "rtl") {
        return Fail(d, "base direction must be ltr or rtl");
      }
      break;
    }
    const char* sub = ++p_;
    while (p_ < end_ && IsAlnum(*p_)) ++p_;
    if (p_ == sub) return Fail(start, "bad language tag");
  }
  t->kind = Token::Kind::kLangTag;
  t->text = std::string(tag, p_ - tag);
  return true;
}

// INTEGER ::= [0-9]+; DECIMAL ::= [0-9]* '.' [0-9]+; DOUBLE ::= [0-9]+ '.'
// [0-9]* EXPONENT | '.' ([0-9])+ EXPONENT | ([0-9])+ EXPONENT.
bool Lexer::Number(Token* t) {
  const char* start = p_;
  while (p_ < end_ && IsDigit(*p_)) ++p_;
  bool dot = false;
  if (p_ < end_ && *p_ == '.') {
    const char* after = p_ + 1;
    const char* q = after;
    while (q < end_ && IsDigit(*q)) ++q;
    const bool exponent_follows = q < end_ && (*q == 'e' || *q == 'E');
    // "1." followed by no digit and no exponent is INTEGER then '.'.
    if (q > after || (exponent_follows && p_ > start)) {
      dot = true;
      p_ = q;
    }
  }
  bool exponent = false;
  if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
    const char* q = p_ + 1;
    if (q < end_ && (*q == '+' || *q == '-')) ++q;
    const char* digits = q;
    while (q < end_ && IsDigit(*q)) ++q;
    if (q > digits) {
      exponent = true;
      p_ = q;
    }
  }
  t->text = std::string(start, p_ - start);
  t->kind = exponent ? Token::Kind::kDouble
            : dot    ? Token::Kind::kDecimal
                     : Token::Kind::kInteger;
  return true;
}

}  // namespace

absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view text) {
  return Lexer(text).Run();
}

}  // namespace kg::sparql
