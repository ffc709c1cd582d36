#include "query/sparql/functions.h"

#include <openssl/evp.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "rdf/text.h"
#include "re2/re2.h"

namespace kg::sparql {
namespace {

constexpr absl::string_view kXsd = "http://www.w3.org/2001/XMLSchema#";

std::string Xsd(absl::string_view local) { return absl::StrCat(kXsd, local); }

// Whether the datatype IRI `dt` is xsd:`local`, without making the IRI.
bool IsXsdIri(absl::string_view dt, absl::string_view local) {
  return dt.size() == kXsd.size() + local.size() &&
         absl::StartsWith(dt, kXsd) && absl::EndsWith(dt, local);
}

bool IsXsd(const rdf::Term& t, absl::string_view local) {
  return t.is_literal() && IsXsdIri(t.datatype(), local);
}

// ---- Numbers ----

enum class NumType { kInteger, kDecimal, kFloat, kDouble };

using int128 = __int128;
// xsd:decimal values are exact: fixed point with 18 fractional digits in
// 128 bits (|value| < 1.7e20), the precision the suites' results assume.
constexpr int kScaleDigits = 18;
constexpr int128 kScale = static_cast<int128>(1'000'000'000'000'000'000LL);

struct Number {
  NumType type;
  int64_t integer = 0;  // kInteger
  double value = 0;     // all types (the integer's too)
  // kInteger and kDecimal: the value times 10^18, when it fits.
  bool exact = false;
  int128 scaled = 0;
};

// Parses [+-]digits[.digits] into a scaled value; false when it does not
// fit (the caller falls back to a double).
bool ParseScaled(absl::string_view s, int128* out) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  int128 v = 0;
  size_t i = 0;
  for (; i < s.size() && s[i] != '.'; ++i) {
    if (__builtin_mul_overflow(v, 10, &v) ||
        __builtin_add_overflow(v, s[i] - '0', &v)) {
      return false;
    }
  }
  if (__builtin_mul_overflow(v, kScale, &v)) return false;
  int128 unit = kScale / 10;
  if (i < s.size()) ++i;  // '.'
  for (; i < s.size() && unit > 0; ++i, unit /= 10) v += (s[i] - '0') * unit;
  *out = negative ? -v : v;
  return true;
}

// xsd:decimal's canonical form: no exponent, no leading or trailing
// zeros, at least one digit after the point ("3.0", "-1.5").
std::string FormatScaled(int128 v) {
  const bool negative = v < 0;
  if (negative) v = -v;
  int128 whole = v / kScale;
  int128 frac = v % kScale;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + whole % 10));
    whole /= 10;
  } while (whole > 0);
  std::string out = negative && (v != 0) ? "-" + digits : digits;
  if (frac != 0) {
    std::string f(kScaleDigits, '0');
    for (int i = kScaleDigits - 1; i >= 0; --i) {
      f[i] = static_cast<char>('0' + frac % 10);
      frac /= 10;
    }
    while (f.back() == '0') f.pop_back();
    out += "." + f;
  } else {
    out += ".0";
  }
  return out;
}

// A scaled decimal from a double, through its shortest decimal digits.
bool ScaledFromDouble(double d, int128* out) {
  if (std::isnan(d) || std::isinf(d)) return false;
  return ParseScaled(absl::StrFormat("%.18f", d), out);
}

bool IsIntegerType(absl::string_view dt) {
  static constexpr const char* kTypes[] = {"integer",
                                           "int",
                                           "long",
                                           "short",
                                           "byte",
                                           "nonNegativeInteger",
                                           "positiveInteger",
                                           "negativeInteger",
                                           "nonPositiveInteger",
                                           "unsignedLong",
                                           "unsignedInt",
                                           "unsignedShort",
                                           "unsignedByte"};
  if (!absl::StartsWith(dt, kXsd)) return false;
  dt.remove_prefix(kXsd.size());
  for (const char* t : kTypes) {
    if (dt == t) return true;
  }
  return false;
}

bool ValidInteger(absl::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

bool ValidDecimal(absl::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  bool digits = false;
  bool dot = false;
  for (char c : s) {
    if (absl::ascii_isdigit(c)) {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      return false;
    }
  }
  return digits;
}

bool ValidDouble(absl::string_view s) {
  if (s == "INF" || s == "-INF" || s == "+INF" || s == "NaN") return true;
  const size_t e = s.find_first_of("eE");
  if (e == absl::string_view::npos) return ValidDecimal(s);
  return ValidDecimal(s.substr(0, e)) && ValidInteger(s.substr(e + 1));
}

double ParseDouble(absl::string_view s) {
  if (s == "INF" || s == "+INF") return HUGE_VAL;
  if (s == "-INF") return -HUGE_VAL;
  if (s == "NaN") return std::nan("");
  double d = 0;
  if (!absl::SimpleAtod(s, &d)) return std::nan("");
  return d;
}

std::optional<Number> NumberOf(const rdf::Term& t) {
  if (!t.is_literal()) return std::nullopt;
  const std::string& dt = t.datatype();
  const std::string& lex = t.value();
  Number n;
  if (IsIntegerType(dt)) {
    if (!ValidInteger(lex)) return std::nullopt;
    n.type = NumType::kInteger;
    if (!absl::SimpleAtoi(lex, &n.integer)) {
      // Beyond 64 bits: held as a decimal value.
      n.type = NumType::kDecimal;
      n.value = ParseDouble(lex);
      n.exact = ParseScaled(lex, &n.scaled);
      return n;
    }
    n.value = static_cast<double>(n.integer);
    n.exact = true;
    n.scaled = static_cast<int128>(n.integer) * kScale;
    return n;
  }
  if (IsXsdIri(dt, "decimal")) {
    if (!ValidDecimal(lex)) return std::nullopt;
    n.type = NumType::kDecimal;
  } else if (IsXsdIri(dt, "double")) {
    if (!ValidDouble(lex)) return std::nullopt;
    n.type = NumType::kDouble;
  } else if (IsXsdIri(dt, "float")) {
    if (!ValidDouble(lex)) return std::nullopt;
    n.type = NumType::kFloat;
  } else {
    return std::nullopt;
  }
  n.value = ParseDouble(lex);
  if (n.type == NumType::kDecimal) n.exact = ParseScaled(lex, &n.scaled);
  return n;
}

// xsd:decimal's canonical form, for a value that is not exact: no exponent, no
// trailing zeros, at least one digit after the point ("2.0", "0.5").
std::string DecimalLexical(double v) {
  std::string s = absl::StrFormat("%.18f", v);
  // Keep at most 18 significant digits after trimming.
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (s.back() == '.') s.push_back('0');
  if (s == "-0.0") s = "0.0";
  return s;
}

// The shortest "%.{p}E" form of v that reads back as the same double (or
// float): its mantissa digits and exponent.
void ShortestDigits(double v, bool is_float, std::string* mantissa,
                    int* exponent) {
  std::string s;
  for (int p = 0; p <= 17; ++p) {
    s = absl::StrFormat("%.*E", p, v);
    double back = 0;
    (void)absl::SimpleAtod(s, &back);
    if (is_float ? static_cast<float>(back) == static_cast<float>(v)
                 : back == v) {
      break;
    }
  }
  const size_t e = s.find('E');
  *mantissa = s.substr(0, e);
  *exponent = 0;
  (void)absl::SimpleAtoi(s.substr(e + 1), exponent);
}

// The canonical form of xsd:double and xsd:float: a mantissa with one
// digit before the point, the fewest digits that keep the value, and an
// exponent ("1.5E2", "3.333E1").
std::string DoubleLexical(double v, bool is_float = false) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "INF" : "-INF";
  std::string mantissa;
  int exponent;
  ShortestDigits(v, is_float, &mantissa, &exponent);
  if (mantissa.find('.') == std::string::npos) mantissa += ".0";
  return absl::StrCat(mantissa, "E", exponent);
}

// XPath's string of a double or float (what xsd:string(x) and STR of a
// computed number give): plain decimal notation for 1e-6 <= |v| < 1e6,
// integers without a point; else the canonical exponent form.
std::string DoubleString(double v, bool is_float) {
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  const double a = std::fabs(v);
  if (std::isnan(v) || std::isinf(v) || a < 1e-6 || a >= 1e6) {
    return DoubleLexical(v, is_float);
  }
  std::string mantissa;
  int exponent;
  ShortestDigits(v, is_float, &mantissa, &exponent);
  const bool negative = mantissa[0] == '-';
  std::string digits;
  for (char c : mantissa) {
    if (absl::ascii_isdigit(c)) digits += c;
  }
  // digits d0 d1 d2 ... with the point after position exponent + 1.
  std::string out;
  const int point = exponent + 1;
  if (point <= 0) {
    out = "0." + std::string(-point, '0') + digits;
  } else if (point >= static_cast<int>(digits.size())) {
    out = digits + std::string(point - digits.size(), '0');
  } else {
    out = digits.substr(0, point) + "." + digits.substr(point);
  }
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  return negative ? "-" + out : out;
}

rdf::Term NumberTerm(const Number& n) {
  switch (n.type) {
    case NumType::kInteger:
      return rdf::Term::Literal(absl::StrCat(n.integer), Xsd("integer"));
    case NumType::kDecimal:
      return rdf::Term::Literal(
          n.exact ? FormatScaled(n.scaled) : DecimalLexical(n.value),
          Xsd("decimal"));
    case NumType::kFloat:
      return rdf::Term::Literal(
          DoubleLexical(static_cast<float>(n.value), /*is_float=*/true),
          Xsd("float"));
    case NumType::kDouble:
      return rdf::Term::Literal(DoubleLexical(n.value), Xsd("double"));
  }
  return rdf::Term();
}

// ---- Strings ----

bool IsSimpleOrString(const rdf::Term& t) {
  return t.is_literal() && t.language().empty() &&
         IsXsdIri(t.datatype(), "string");
}

bool IsStringLiteral(const rdf::Term& t) {
  return t.is_literal() &&
         (IsXsdIri(t.datatype(), "string") || !t.language().empty());
}

// Argument compatibility of the two-string functions (section 17.4.3.1).
bool Compatible(const rdf::Term& a, const rdf::Term& b) {
  if (!IsStringLiteral(a) || !IsStringLiteral(b)) return false;
  if (b.language().empty()) return true;
  return absl::EqualsIgnoreCase(a.language(), b.language()) &&
         a.direction() == b.direction();
}

// A string result with the language (and direction) of `like`.
rdf::Term StringLike(const rdf::Term& like, std::string value) {
  if (!like.language().empty()) {
    return rdf::Term::Literal(std::move(value), "", like.language(),
                              like.direction());
  }
  return rdf::Term::Literal(std::move(value));
}

std::vector<uint32_t> CodePoints(absl::string_view s) {
  std::vector<uint32_t> out;
  const char* p = s.data();
  const char* end = p + s.size();
  while (p < end) {
    uint32_t cp;
    int n = rdf::text::DecodeUtf8(p, end, &cp);
    if (n == 0) {
      cp = static_cast<unsigned char>(*p);
      n = 1;
    }
    out.push_back(cp);
    p += n;
  }
  return out;
}

std::string Utf8(const std::vector<uint32_t>& cps, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to && i < cps.size(); ++i) {
    rdf::text::AppendUtf8(cps[i], &out);
  }
  return out;
}

uint32_t ToUpper(uint32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if ((c >= 0xe0 && c <= 0xfe && c != 0xf7)) return c - 32;
  if (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2) return c - 32;  // Greek
  if (c >= 0x430 && c <= 0x44f) return c - 32;                // Cyrillic
  return c;
}
uint32_t ToLower(uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if ((c >= 0xc0 && c <= 0xde && c != 0xd7)) return c + 32;
  if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) return c + 32;
  if (c >= 0x410 && c <= 0x42f) return c + 32;
  return c;
}

const RE2* CompiledRegex(const std::string& pattern, const std::string& flags) {
  // Per thread, a bounded cache: a FILTER calls REGEX once per row with the
  // same pattern.
  thread_local absl::flat_hash_map<std::string, std::unique_ptr<RE2>> cache;
  const std::string key = absl::StrCat(flags, "/", pattern);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second.get();
  RE2::Options options;
  options.set_log_errors(false);
  std::string p = pattern;
  for (char f : flags) {
    switch (f) {
      case 'i':
        options.set_case_sensitive(false);
        break;
      case 's':
        options.set_dot_nl(true);
        break;
      case 'm':
        p = "(?m)" + p;
        break;
      case 'x': {
        std::string stripped;
        for (char c : p) {
          if (c != ' ' && c != '\t' && c != '\n' && c != '\r') stripped += c;
        }
        p = std::move(stripped);
        break;
      }
      case 'q':
        p = RE2::QuoteMeta(p);
        break;
      default:
        return nullptr;
    }
  }
  auto re = std::make_unique<RE2>(p, options);
  if (!re->ok()) return nullptr;
  if (cache.size() > 256) cache.clear();
  return cache.emplace(key, std::move(re)).first->second.get();
}

std::string Hash(const EVP_MD* md, absl::string_view s) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), out, &len, md, nullptr);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i)
    absl::StrAppendFormat(&hex, "%02x", out[i]);
  return hex;
}

// ---- Dates ----

struct DateTime {
  int64_t year = 0;
  int month = 0, day = 0, hour = 0, minute = 0;
  double second = 0;
  bool has_tz = false;
  int tz_minutes = 0;
  std::string seconds_lexical;
  std::string tz_lexical;  // "Z", "-05:00", or ""
};

std::optional<DateTime> ParseDateTime(absl::string_view s) {
  DateTime d;
  int sign = 1;
  if (!s.empty() && s[0] == '-') {
    sign = -1;
    s.remove_prefix(1);
  }
  const size_t dash = s.find('-');
  if (dash == absl::string_view::npos || dash < 4) return std::nullopt;
  if (!absl::SimpleAtoi(s.substr(0, dash), &d.year)) return std::nullopt;
  d.year *= sign;
  s.remove_prefix(dash + 1);
  if (s.size() < 14 || s[2] != '-' || s[5] != 'T' || s[8] != ':' ||
      s[11] != ':') {
    return std::nullopt;
  }
  if (!absl::SimpleAtoi(s.substr(0, 2), &d.month) ||
      !absl::SimpleAtoi(s.substr(3, 2), &d.day) ||
      !absl::SimpleAtoi(s.substr(6, 2), &d.hour) ||
      !absl::SimpleAtoi(s.substr(9, 2), &d.minute)) {
    return std::nullopt;
  }
  s.remove_prefix(12);
  size_t end = 0;
  while (end < s.size() && (absl::ascii_isdigit(s[end]) || s[end] == '.'))
    ++end;
  d.seconds_lexical = std::string(s.substr(0, end));
  if (!absl::SimpleAtod(d.seconds_lexical, &d.second)) return std::nullopt;
  s.remove_prefix(end);
  d.tz_lexical = std::string(s);
  if (s == "Z") {
    d.has_tz = true;
  } else if (s.size() == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':') {
    int h = 0, m = 0;
    if (!absl::SimpleAtoi(s.substr(1, 2), &h) ||
        !absl::SimpleAtoi(s.substr(4, 2), &m)) {
      return std::nullopt;
    }
    d.has_tz = true;
    d.tz_minutes = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
  } else if (!s.empty()) {
    return std::nullopt;
  }
  if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31 || d.hour > 24 ||
      d.minute > 59 || d.second >= 61) {
    return std::nullopt;
  }
  return d;
}

// An xsd:date ("2006-08-23", "2006-08-23Z", "2006-08-23+01:00") as the
// start of its day.
std::optional<DateTime> ParseDate(absl::string_view s) {
  size_t digits = s.size() > 0 && s[0] == '-' ? 1 : 0;
  while (digits < s.size() && absl::ascii_isdigit(s[digits])) ++digits;
  const size_t day_end = digits + 6;  // "-MM-DD"
  if (s.size() < day_end) return std::nullopt;
  return ParseDateTime(
      absl::StrCat(s.substr(0, day_end), "T00:00:00", s.substr(day_end)));
}

// Seconds since an epoch, in UTC when the value has a time zone.
double Seconds(const DateTime& d) {
  // Days from civil (Howard Hinnant's algorithm).
  int64_t y = d.year - (d.month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t mp = (d.month + 9) % 12;
  const int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = era * 146097 + doe - 719468;
  return static_cast<double>(days) * 86400 + d.hour * 3600 + d.minute * 60 +
         d.second - d.tz_minutes * 60;
}

bool IsDateTime(const rdf::Term& t) { return IsXsd(t, "dateTime"); }

// ---- Comparison ----

enum class Order { kLess, kEqual, kGreater, kUnordered };

// Value order of two literals of comparable types; nullopt when their
// types do not compare.
std::optional<Order> ValueOrder(const rdf::Term& a, const rdf::Term& b) {
  if (!a.is_literal() || !b.is_literal()) return std::nullopt;
  const std::optional<Number> na = NumberOf(a);
  const std::optional<Number> nb = NumberOf(b);
  if (na && nb) {
    if (na->exact && nb->exact) {
      return na->scaled < nb->scaled   ? Order::kLess
             : na->scaled > nb->scaled ? Order::kGreater
                                       : Order::kEqual;
    }
    if (std::isnan(na->value) || std::isnan(nb->value))
      return Order::kUnordered;
    return na->value < nb->value   ? Order::kLess
           : na->value > nb->value ? Order::kGreater
                                   : Order::kEqual;
  }
  if (IsSimpleOrString(a) && IsSimpleOrString(b)) {
    const int c = a.value().compare(b.value());
    return c < 0 ? Order::kLess : c > 0 ? Order::kGreater : Order::kEqual;
  }
  if (IsXsd(a, "boolean") && IsXsd(b, "boolean")) {
    const std::optional<bool> x = EffectiveBooleanValue(a);
    const std::optional<bool> y = EffectiveBooleanValue(b);
    if (!x || !y) return std::nullopt;
    return *x == *y ? Order::kEqual : !*x ? Order::kLess : Order::kGreater;
  }
  const bool dates = IsXsd(a, "date") && IsXsd(b, "date");
  if ((IsDateTime(a) && IsDateTime(b)) || dates) {
    const std::optional<DateTime> x =
        dates ? ParseDate(a.value()) : ParseDateTime(a.value());
    const std::optional<DateTime> y =
        dates ? ParseDate(b.value()) : ParseDateTime(b.value());
    if (!x || !y) return std::nullopt;
    const double sx = Seconds(*x), sy = Seconds(*y);
    if (x->has_tz != y->has_tz) {
      // A value without a time zone lies within 14 hours of UTC either
      // way (XSD 3.2.7.4): the order is known only beyond that.
      constexpr double k14h = 14 * 3600;
      const double without = x->has_tz ? sy : sx;
      const double with = x->has_tz ? sx : sy;
      if (with < without - k14h)
        return x->has_tz ? Order::kLess : Order::kGreater;
      if (with > without + k14h)
        return x->has_tz ? Order::kGreater : Order::kLess;
      return std::nullopt;
    }
    return sx < sy ? Order::kLess : sx > sy ? Order::kGreater : Order::kEqual;
  }
  return std::nullopt;
}

// A literal of a type kg compares by value, with a valid lexical form.
bool KnownValue(const rdf::Term& t) {
  if (IsSimpleOrString(t)) return true;
  if (NumberOf(t).has_value()) return true;
  if (IsXsd(t, "boolean")) return EffectiveBooleanValue(t).has_value();
  if (IsDateTime(t)) return ParseDateTime(t.value()).has_value();
  if (IsXsd(t, "date")) return ParseDate(t.value()).has_value();
  return false;
}

std::optional<bool> TermEqual(const rdf::Term& a, const rdf::Term& b) {
  if (a.is_triple() && b.is_triple()) {
    std::optional<bool> s = TermEqual(a.triple().subject, b.triple().subject);
    std::optional<bool> p =
        TermEqual(a.triple().predicate, b.triple().predicate);
    std::optional<bool> o = TermEqual(a.triple().object, b.triple().object);
    if (s == false || p == false || o == false) return false;
    if (!s || !p || !o) return std::nullopt;
    return true;
  }
  if (a.is_literal() && b.is_literal()) {
    const std::optional<Order> order = ValueOrder(a, b);
    if (order.has_value()) {
      return *order == Order::kEqual;
    }
    if (a == b) return true;
    // Two dates (or dateTimes) whose order is indeterminate (one has a time
    // zone, the other not, within 14 hours) cannot be told equal or not.
    if ((IsDateTime(a) && IsDateTime(b)) ||
        (IsXsd(a, "date") && IsXsd(b, "date"))) {
      return std::nullopt;
    }
    // A language-tagged string differs from every other literal; other
    // literals of types that do not compare cannot be told equal or not
    // (a type error).
    if (!a.language().empty() || !b.language().empty()) return false;
    if (IsStringLiteral(a) && IsStringLiteral(b)) return false;
    // Two valid values of different types kg knows (a date and a
    // dateTime, a number and a boolean) are different values.
    if (KnownValue(a) && KnownValue(b)) return false;
    return std::nullopt;
  }
  return a == b;
}

}  // namespace

rdf::Term BooleanTerm(bool b) {
  return rdf::Term::Literal(b ? "true" : "false", Xsd("boolean"));
}

rdf::Term IntegerTerm(int64_t v) {
  return rdf::Term::Literal(absl::StrCat(v), Xsd("integer"));
}

std::optional<double> NumericValue(const rdf::Term& term) {
  const std::optional<Number> n = NumberOf(term);
  if (!n) return std::nullopt;
  return n->value;
}

std::optional<bool> EffectiveBooleanValue(const rdf::Term& t) {
  if (!t.is_literal()) return std::nullopt;
  if (IsXsd(t, "boolean")) {
    if (t.value() == "true" || t.value() == "1") return true;
    if (t.value() == "false" || t.value() == "0") return false;
    return std::nullopt;  // an invalid lexical form has no value
  }
  if (IsStringLiteral(t) && t.language().empty()) return !t.value().empty();
  if (IsIntegerType(t.datatype()) || IsXsd(t, "decimal") ||
      IsXsd(t, "double") || IsXsd(t, "float")) {
    const std::optional<Number> n = NumberOf(t);
    if (!n) return false;
    return n->value != 0 && !std::isnan(n->value);
  }
  return std::nullopt;
}

std::optional<bool> Compare(Expression::Kind op, const rdf::Term& a,
                            const rdf::Term& b) {
  switch (op) {
    case Expression::Kind::kEqual:
      return TermEqual(a, b);
    case Expression::Kind::kNotEqual: {
      const std::optional<bool> eq = TermEqual(a, b);
      if (!eq) return std::nullopt;
      return !*eq;
    }
    default:
      break;
  }
  const std::optional<Order> order = ValueOrder(a, b);
  if (!order) return std::nullopt;
  if (*order == Order::kUnordered) return false;
  switch (op) {
    case Expression::Kind::kLess:
      return *order == Order::kLess;
    case Expression::Kind::kGreater:
      return *order == Order::kGreater;
    case Expression::Kind::kLessOrEqual:
      return *order != Order::kGreater;
    case Expression::Kind::kGreaterOrEqual:
      return *order != Order::kLess;
    default:
      return std::nullopt;
  }
}

int OrderCompare(const Value& a, const Value& b) {
  auto rank = [](const Value& v) {
    if (!v) return 0;
    if (v->is_blank()) return 1;
    if (v->is_iri()) return 2;
    if (v->is_triple()) return 4;
    return 3;
  };
  const int ra = rank(a), rb = rank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (!a) return 0;
  if (a->is_literal()) {
    const std::optional<Order> order = ValueOrder(*a, *b);
    if (order == Order::kLess) return -1;
    if (order == Order::kGreater) return 1;
    // Plain strings before typed literals; then by lexical form, datatype
    // and language, for a total order.
    const bool sa = IsSimpleOrString(*a), sb = IsSimpleOrString(*b);
    if (sa != sb) return sa ? -1 : 1;
  }
  if (a->is_triple()) {
    // Component by component, each in this order.
    const rdf::Triple& x = a->triple();
    const rdf::Triple& y = b->triple();
    if (int c = OrderCompare(x.subject, y.subject); c != 0) return c;
    if (int c = OrderCompare(x.predicate, y.predicate); c != 0) return c;
    return OrderCompare(x.object, y.object);
  }
  if (int c = a->value().compare(b->value()); c != 0) return c < 0 ? -1 : 1;
  if (int c = a->datatype().compare(b->datatype()); c != 0)
    return c < 0 ? -1 : 1;
  if (int c = a->language().compare(b->language()); c != 0)
    return c < 0 ? -1 : 1;
  return 0;
}

Value Arithmetic(Expression::Kind op, const rdf::Term& a, const rdf::Term& b) {
  const std::optional<Number> x = NumberOf(a);
  const std::optional<Number> y = NumberOf(b);
  if (!x || !y) return std::nullopt;
  NumType type = std::max(x->type, y->type);
  if (op == Expression::Kind::kDivide && type == NumType::kInteger) {
    type = NumType::kDecimal;
  }
  Number r;
  r.type = type;
  if (type == NumType::kInteger) {
    int64_t v = 0;
    bool overflow = false;
    switch (op) {
      case Expression::Kind::kAdd:
        overflow = __builtin_add_overflow(x->integer, y->integer, &v);
        break;
      case Expression::Kind::kSubtract:
        overflow = __builtin_sub_overflow(x->integer, y->integer, &v);
        break;
      case Expression::Kind::kMultiply:
        overflow = __builtin_mul_overflow(x->integer, y->integer, &v);
        break;
      default:
        return std::nullopt;
    }
    if (overflow) return std::nullopt;
    r.integer = v;
    return NumberTerm(r);
  }
  if (type == NumType::kDecimal && x->exact && y->exact) {
    int128 v = 0;
    bool ok = true;
    switch (op) {
      case Expression::Kind::kAdd:
        ok = !__builtin_add_overflow(x->scaled, y->scaled, &v);
        break;
      case Expression::Kind::kSubtract:
        ok = !__builtin_sub_overflow(x->scaled, y->scaled, &v);
        break;
      case Expression::Kind::kMultiply: {
        // (a / s) * (b / s) * s: split b into whole and fraction.
        const int128 bw = y->scaled / kScale, bf = y->scaled % kScale;
        int128 part = 0;
        ok = !__builtin_mul_overflow(x->scaled, bw, &v) &&
             !__builtin_mul_overflow(x->scaled / kScale, bf, &part) &&
             !__builtin_add_overflow(v, part, &v);
        if (ok) {
          const int128 xf = x->scaled % kScale;
          // xf * bf / s without overflow: both < 10^18.
          const int128 lo = (xf / 1'000'000'000) * bf / 1'000'000'000 +
                            (xf % 1'000'000'000) * bf / kScale;
          ok = !__builtin_add_overflow(v, lo, &v);
        }
        break;
      }
      case Expression::Kind::kDivide: {
        if (y->scaled == 0) return std::nullopt;
        // Long division, digit by digit: exact to 18 places.
        const bool negative = (x->scaled < 0) != (y->scaled < 0);
        int128 a = x->scaled < 0 ? -x->scaled : x->scaled;
        const int128 b = y->scaled < 0 ? -y->scaled : y->scaled;
        int128 q = a / b;
        int128 rem = a % b;
        ok = !__builtin_mul_overflow(q, kScale, &v);
        for (int128 unit = kScale / 10; ok && unit > 0; unit /= 10) {
          rem *= 10;
          v += (rem / b) * unit;
          rem %= b;
        }
        if (negative) v = -v;
        break;
      }
      default:
        return std::nullopt;
    }
    if (ok) {
      r.exact = true;
      r.scaled = v;
      r.value = static_cast<double>(v) / 1e18;
      return NumberTerm(r);
    }
  }
  switch (op) {
    case Expression::Kind::kAdd:
      r.value = x->value + y->value;
      break;
    case Expression::Kind::kSubtract:
      r.value = x->value - y->value;
      break;
    case Expression::Kind::kMultiply:
      r.value = x->value * y->value;
      break;
    case Expression::Kind::kDivide:
      if (y->value == 0 && type == NumType::kDecimal) return std::nullopt;
      r.value = x->value / y->value;
      break;
    default:
      return std::nullopt;
  }
  return NumberTerm(r);
}

Value Negate(const rdf::Term& a, bool minus) {
  std::optional<Number> x = NumberOf(a);
  if (!x) return std::nullopt;
  if (!minus) return NumberTerm(*x);
  x->integer = -x->integer;
  x->value = -x->value;
  x->scaled = -x->scaled;
  return NumberTerm(*x);
}

Value CallFunction(absl::string_view name, bool is_iri,
                   const std::vector<rdf::Term>& args) {
  auto arg = [&](size_t i) -> const rdf::Term& { return args[i]; };
  if (is_iri) {
    // Casts (section 17.5): xsd:T(x).
    if (!absl::StartsWith(name, kXsd) || args.size() != 1) return std::nullopt;
    const absl::string_view type = name.substr(kXsd.size());
    const rdf::Term& x = arg(0);
    if (x.is_blank() || x.is_triple()) return std::nullopt;
    if (type == "string") {
      // XPath's casting to string: numbers and booleans in their canonical
      // string forms ("1.0"^^xsd:decimal is "1", "0"^^xsd:boolean "false").
      if (const std::optional<Number> n = NumberOf(x)) {
        switch (n->type) {
          case NumType::kInteger:
            return rdf::Term::Literal(absl::StrCat(n->integer));
          case NumType::kDecimal: {
            std::string d =
                n->exact ? FormatScaled(n->scaled) : DecimalLexical(n->value);
            if (absl::EndsWith(d, ".0")) d.resize(d.size() - 2);
            return rdf::Term::Literal(std::move(d));
          }
          case NumType::kFloat:
          case NumType::kDouble:
            return rdf::Term::Literal(
                DoubleString(n->value, n->type == NumType::kFloat));
        }
      }
      if (IsXsd(x, "boolean")) {
        const std::optional<bool> b = EffectiveBooleanValue(x);
        if (b.has_value()) return rdf::Term::Literal(*b ? "true" : "false");
      }
      return rdf::Term::Literal(x.value());
    }
    if (x.is_iri()) return std::nullopt;
    if (!x.language().empty()) return std::nullopt;
    const std::optional<Number> n = NumberOf(x);
    const bool is_bool = IsXsd(x, "boolean");
    const bool is_string = IsSimpleOrString(x);
    std::string lex(absl::StripAsciiWhitespace(x.value()));
    if (type == "boolean") {
      if (is_bool || is_string) {
        if (lex == "true" || lex == "1") return BooleanTerm(true);
        if (lex == "false" || lex == "0") return BooleanTerm(false);
        return std::nullopt;
      }
      if (n) return BooleanTerm(n->value != 0 && !std::isnan(n->value));
      return std::nullopt;
    }
    if (type == "integer" || IsIntegerType(name)) {
      if (is_bool) return IntegerTerm(lex == "true" || lex == "1");
      if (n) {
        if (n->type == NumType::kInteger) return IntegerTerm(n->integer);
        if (std::isnan(n->value) || std::isinf(n->value)) return std::nullopt;
        return IntegerTerm(static_cast<int64_t>(std::trunc(n->value)));
      }
      if (is_string && ValidInteger(lex)) {
        int64_t v;
        if (!absl::SimpleAtoi(lex, &v)) return std::nullopt;
        return IntegerTerm(v);
      }
      return std::nullopt;
    }
    if (type == "decimal") {
      Number r;
      r.type = NumType::kDecimal;
      if (is_bool) {
        r.value = lex == "true" || lex == "1";
      } else if (n) {
        if (std::isnan(n->value) || std::isinf(n->value)) return std::nullopt;
        r.value = n->value;
        r.exact = n->exact ? (r.scaled = n->scaled, true)
                           : ScaledFromDouble(n->value, &r.scaled);
      } else if (is_string && ValidDecimal(lex)) {
        r.value = ParseDouble(lex);
        r.exact = ParseScaled(lex, &r.scaled);
      } else {
        return std::nullopt;
      }
      if (is_bool)
        r.exact = (r.scaled = static_cast<int128>(r.value) * kScale, true);
      return NumberTerm(r);
    }
    if (type == "double" || type == "float") {
      Number r;
      r.type = type == "double" ? NumType::kDouble : NumType::kFloat;
      if (is_bool) {
        r.value = lex == "true" || lex == "1";
      } else if (n) {
        r.value = n->value;
      } else if (is_string && ValidDouble(lex)) {
        r.value = ParseDouble(lex);
      } else {
        return std::nullopt;
      }
      return NumberTerm(r);
    }
    if (type == "dateTime") {
      if ((is_string || IsDateTime(x)) && ParseDateTime(lex)) {
        return rdf::Term::Literal(lex, Xsd("dateTime"));
      }
      return std::nullopt;
    }
    return std::nullopt;
  }

  const size_t n = args.size();
  if (name == "STR") {
    if (arg(0).is_blank() || arg(0).is_triple()) return std::nullopt;
    return rdf::Term::Literal(arg(0).value());
  }
  if (name == "LANG") {
    if (!arg(0).is_literal()) return std::nullopt;
    return rdf::Term::Literal(absl::AsciiStrToLower(arg(0).language()));
  }
  if (name == "LANGDIR") {
    if (!arg(0).is_literal()) return std::nullopt;
    const rdf::Direction d = arg(0).direction();
    return rdf::Term::Literal(d == rdf::Direction::kLtr   ? "ltr"
                              : d == rdf::Direction::kRtl ? "rtl"
                                                          : "");
  }
  if (name == "HASLANG") {
    return BooleanTerm(arg(0).is_literal() && !arg(0).language().empty());
  }
  if (name == "HASLANGDIR") {
    return BooleanTerm(arg(0).is_literal() &&
                       arg(0).direction() != rdf::Direction::kNone);
  }
  if (name == "DATATYPE") {
    if (!arg(0).is_literal()) return std::nullopt;
    return rdf::Term::Iri(arg(0).datatype());
  }
  if (name == "IRI") {
    if (arg(0).is_iri()) return arg(0);
    if (!IsSimpleOrString(arg(0))) return std::nullopt;
    return rdf::Term::Iri(arg(0).value());
  }
  if (name == "LANGMATCHES") {
    if (!IsSimpleOrString(arg(0)) || !IsSimpleOrString(arg(1))) {
      return std::nullopt;
    }
    const std::string tag = absl::AsciiStrToLower(arg(0).value());
    const std::string range = absl::AsciiStrToLower(arg(1).value());
    if (range == "*") return BooleanTerm(!tag.empty());
    return BooleanTerm(tag == range || (absl::StartsWith(tag, range) &&
                                        tag[range.size()] == '-'));
  }
  if (name == "SAMETERM") {
    return BooleanTerm(arg(0) == arg(1));
  }
  if (name == "ISIRI") return BooleanTerm(arg(0).is_iri());
  if (name == "ISBLANK") return BooleanTerm(arg(0).is_blank());
  if (name == "ISLITERAL") return BooleanTerm(arg(0).is_literal());
  if (name == "ISNUMERIC") return BooleanTerm(NumberOf(arg(0)).has_value());
  if (name == "ISTRIPLE") return BooleanTerm(arg(0).is_triple());
  if (name == "TRIPLE") {
    if (!(arg(0).is_iri() || arg(0).is_blank()) || !arg(1).is_iri()) {
      return std::nullopt;
    }
    return rdf::Term::TripleTerm(rdf::Triple{arg(0), arg(1), arg(2)});
  }
  if (name == "SUBJECT" || name == "PREDICATE" || name == "OBJECT") {
    if (!arg(0).is_triple()) return std::nullopt;
    const rdf::Triple& t = arg(0).triple();
    return name == "SUBJECT"     ? t.subject
           : name == "PREDICATE" ? t.predicate
                                 : t.object;
  }
  if (name == "STRLEN") {
    if (!IsStringLiteral(arg(0))) return std::nullopt;
    return IntegerTerm(static_cast<int64_t>(CodePoints(arg(0).value()).size()));
  }
  if (name == "UCASE" || name == "LCASE") {
    if (!IsStringLiteral(arg(0))) return std::nullopt;
    std::vector<uint32_t> cps = CodePoints(arg(0).value());
    for (uint32_t& c : cps) c = name == "UCASE" ? ToUpper(c) : ToLower(c);
    return StringLike(arg(0), Utf8(cps, 0, cps.size()));
  }
  if (name == "SUBSTR") {
    if (!IsStringLiteral(arg(0))) return std::nullopt;
    const std::optional<Number> start = NumberOf(arg(1));
    if (!start) return std::nullopt;
    const std::vector<uint32_t> cps = CodePoints(arg(0).value());
    // XPath fn:substring: characters at positions p with
    // round(start) <= p < round(start) + round(length), 1-based.
    const double s = std::round(start->value);
    double e = HUGE_VAL;
    if (n == 3) {
      const std::optional<Number> len = NumberOf(arg(2));
      if (!len) return std::nullopt;
      e = s + std::round(len->value);
    }
    if (std::isnan(s) || std::isnan(e)) return StringLike(arg(0), "");
    std::string out;
    for (size_t i = 0; i < cps.size(); ++i) {
      const double p = static_cast<double>(i + 1);
      if (p >= s && p < e) rdf::text::AppendUtf8(cps[i], &out);
    }
    return StringLike(arg(0), std::move(out));
  }
  if (name == "STRSTARTS" || name == "STRENDS" || name == "CONTAINS") {
    if (!Compatible(arg(0), arg(1))) return std::nullopt;
    const std::string& a = arg(0).value();
    const std::string& b = arg(1).value();
    return BooleanTerm(name == "STRSTARTS" ? absl::StartsWith(a, b)
                       : name == "STRENDS" ? absl::EndsWith(a, b)
                                           : absl::StrContains(a, b));
  }
  if (name == "STRBEFORE" || name == "STRAFTER") {
    if (!Compatible(arg(0), arg(1))) return std::nullopt;
    const std::string& a = arg(0).value();
    const std::string& b = arg(1).value();
    const size_t at = a.find(b);
    if (at == std::string::npos) return rdf::Term::Literal("");
    std::string out =
        name == "STRBEFORE" ? a.substr(0, at) : a.substr(at + b.size());
    // An empty result keeps the language only when the match was found
    // with an empty needle.
    if (out.empty() && !b.empty()) return rdf::Term::Literal("");
    return StringLike(arg(0), std::move(out));
  }
  if (name == "CONCAT") {
    // The result keeps a language (and direction) only when every
    // argument has the same.
    std::string out;
    const rdf::Term* first = nullptr;
    bool same = true;
    for (const rdf::Term& a : args) {
      if (!IsStringLiteral(a)) return std::nullopt;
      out += a.value();
      if (first == nullptr) {
        first = &a;
      } else if (!absl::EqualsIgnoreCase(first->language(), a.language()) ||
                 first->direction() != a.direction()) {
        same = false;
      }
    }
    if (same && first != nullptr && !first->language().empty()) {
      return rdf::Term::Literal(std::move(out), "", first->language(),
                                first->direction());
    }
    return rdf::Term::Literal(std::move(out));
  }
  if (name == "ENCODE_FOR_URI") {
    if (!IsStringLiteral(arg(0))) return std::nullopt;
    std::string out;
    for (unsigned char c : arg(0).value()) {
      if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
          c == '~') {
        out += static_cast<char>(c);
      } else {
        absl::StrAppendFormat(&out, "%%%02X", c);
      }
    }
    return rdf::Term::Literal(std::move(out));
  }
  if (name == "REGEX" || name == "REPLACE") {
    if (!IsStringLiteral(arg(0))) return std::nullopt;
    const size_t pattern_at = 1;
    if (!IsSimpleOrString(arg(pattern_at))) return std::nullopt;
    const size_t flags_at = name == "REGEX" ? 2 : 3;
    std::string flags;
    if (n > flags_at) {
      if (!IsSimpleOrString(arg(flags_at))) return std::nullopt;
      flags = arg(flags_at).value();
    }
    const RE2* re = CompiledRegex(arg(pattern_at).value(), flags);
    if (re == nullptr) return std::nullopt;
    if (name == "REGEX") {
      return BooleanTerm(RE2::PartialMatch(arg(0).value(), *re));
    }
    if (!IsSimpleOrString(arg(2))) return std::nullopt;
    // XPath's $1 is RE2's \1.
    std::string rewrite;
    const std::string& r = arg(2).value();
    for (size_t i = 0; i < r.size(); ++i) {
      if (r[i] == '\\' && i + 1 < r.size()) {
        rewrite += r[i + 1] == '\\' ? "\\\\" : std::string(1, r[i + 1]);
        ++i;
      } else if (r[i] == '$') {
        rewrite += '\\';
      } else {
        rewrite += r[i];
      }
    }
    std::string out = arg(0).value();
    RE2::GlobalReplace(&out, *re, rewrite);
    return StringLike(arg(0), std::move(out));
  }
  if (name == "ABS" || name == "CEIL" || name == "FLOOR" || name == "ROUND") {
    std::optional<Number> x = NumberOf(arg(0));
    if (!x) return std::nullopt;
    if (x->type == NumType::kInteger) {
      if (name == "ABS") x->integer = x->integer < 0 ? -x->integer : x->integer;
      return NumberTerm(*x);
    }
    if (x->type == NumType::kDecimal && x->exact) {
      int128 v = x->scaled;
      int128 whole = v / kScale * kScale;  // toward zero
      const int128 frac = v - whole;
      if (name == "ABS") {
        v = v < 0 ? -v : v;
      } else if (name == "CEIL") {
        v = frac > 0 ? whole + kScale : whole;
      } else if (name == "FLOOR") {
        v = frac < 0 ? whole - kScale : whole;
      } else {  // ROUND: half up, toward positive infinity
        const int128 shifted = v + kScale / 2;
        whole = shifted / kScale * kScale;
        v = shifted - whole < 0 ? whole - kScale : whole;
      }
      x->scaled = v;
      x->value = static_cast<double>(v) / 1e18;
      return NumberTerm(*x);
    }
    x->value = name == "ABS"     ? std::fabs(x->value)
               : name == "CEIL"  ? std::ceil(x->value)
               : name == "FLOOR" ? std::floor(x->value)
                                 : std::floor(x->value + 0.5);
    return NumberTerm(*x);
  }
  if (name == "STRDT") {
    if (!IsSimpleOrString(arg(0)) || !arg(1).is_iri()) return std::nullopt;
    return rdf::Term::Literal(arg(0).value(), arg(1).value());
  }
  if (name == "STRLANG" || name == "STRLANGDIR") {
    if (!IsSimpleOrString(arg(0)) || !IsSimpleOrString(arg(1)) ||
        arg(1).value().empty()) {
      return std::nullopt;
    }
    rdf::Direction dir = rdf::Direction::kNone;
    if (name == "STRLANGDIR") {
      if (!IsSimpleOrString(arg(2))) return std::nullopt;
      if (arg(2).value() == "ltr") {
        dir = rdf::Direction::kLtr;
      } else if (arg(2).value() == "rtl") {
        dir = rdf::Direction::kRtl;
      } else {
        return std::nullopt;
      }
    }
    return rdf::Term::Literal(arg(0).value(), "", arg(1).value(), dir);
  }
  if (name == "MD5" || name == "SHA1" || name == "SHA256" || name == "SHA384" ||
      name == "SHA512") {
    if (!IsSimpleOrString(arg(0))) return std::nullopt;
    const EVP_MD* md = name == "MD5"      ? EVP_md5()
                       : name == "SHA1"   ? EVP_sha1()
                       : name == "SHA256" ? EVP_sha256()
                       : name == "SHA384" ? EVP_sha384()
                                          : EVP_sha512();
    return rdf::Term::Literal(Hash(md, arg(0).value()));
  }
  if (name == "YEAR" || name == "MONTH" || name == "DAY" || name == "HOURS" ||
      name == "MINUTES" || name == "SECONDS" || name == "TIMEZONE" ||
      name == "TZ") {
    if (!IsDateTime(arg(0))) return std::nullopt;
    const std::optional<DateTime> d = ParseDateTime(arg(0).value());
    if (!d) return std::nullopt;
    if (name == "YEAR") return IntegerTerm(d->year);
    if (name == "MONTH") return IntegerTerm(d->month);
    if (name == "DAY") return IntegerTerm(d->day);
    if (name == "HOURS") return IntegerTerm(d->hour);
    if (name == "MINUTES") return IntegerTerm(d->minute);
    if (name == "SECONDS") {
      std::string s = d->seconds_lexical;
      if (s.find('.') == std::string::npos) s += ".0";
      Number r;
      r.type = NumType::kDecimal;
      r.value = d->second;
      r.exact = ParseScaled(s, &r.scaled);
      return NumberTerm(r);
    }
    if (name == "TZ") return rdf::Term::Literal(d->tz_lexical);
    if (!d->has_tz) return std::nullopt;
    // TIMEZONE: an xsd:dayTimeDuration.
    const int m = d->tz_minutes < 0 ? -d->tz_minutes : d->tz_minutes;
    std::string out = d->tz_minutes < 0 ? "-PT" : "PT";
    if (m == 0) {
      out += "0S";
    } else {
      if (m / 60) absl::StrAppend(&out, m / 60, "H");
      if (m % 60) absl::StrAppend(&out, m % 60, "M");
    }
    return rdf::Term::Literal(out, Xsd("dayTimeDuration"));
  }
  if (name == "UUID" || name == "STRUUID") {
    thread_local std::mt19937_64 rng(std::random_device{}());
    const uint64_t a = rng(), b = rng();
    std::string u = absl::StrFormat(
        "%08x-%04x-4%03x-%04x-%012x", static_cast<uint32_t>(a >> 32),
        static_cast<uint32_t>((a >> 16) & 0xffff),
        static_cast<uint32_t>(a & 0xfff),
        static_cast<uint32_t>(((b >> 48) & 0x3fff) | 0x8000),
        b & 0xffffffffffffULL);
    if (name == "UUID") return rdf::Term::Iri("urn:uuid:" + u);
    return rdf::Term::Literal(u);
  }
  if (name == "RAND") {
    thread_local std::mt19937_64 rng(std::random_device{}());
    Number r;
    r.type = NumType::kDouble;
    r.value = std::uniform_real_distribution<double>(0, 1)(rng);
    return NumberTerm(r);
  }
  return std::nullopt;
}

}  // namespace kg::sparql
