// The SPARQL results writers: JSON, XML, CSV and TSV (results.h has the
// rules each follows).
#include "query/sparql/results.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "rdf/term.h"

namespace kg::sparql {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr char kXsdInteger[] = "http://www.w3.org/2001/XMLSchema#integer";
constexpr char kXsdDecimal[] = "http://www.w3.org/2001/XMLSchema#decimal";
constexpr char kXsdDouble[] = "http://www.w3.org/2001/XMLSchema#double";
constexpr char kXsdBoolean[] = "http://www.w3.org/2001/XMLSchema#boolean";

absl::string_view DirectionName(rdf::Direction d) {
  switch (d) {
    case rdf::Direction::kLtr:
      return "ltr";
    case rdf::Direction::kRtl:
      return "rtl";
    case rdf::Direction::kNone:
      break;
  }
  return "";
}

// Literals written with an explicit datatype: not xsd:string, and not the
// language-tagged kinds, whose datatype the tag implies.
bool HasExplicitDatatype(const rdf::Term& literal) {
  return literal.language().empty() && literal.datatype() != rdf::kXsdString;
}

// ---- JSON ----

void AppendJsonString(absl::string_view s, std::string* out) {
  out->push_back('"');
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xf]);
        break;
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void AppendJsonTerm(const rdf::Term& t, std::string* out) {
  switch (t.kind()) {
    case rdf::Term::Kind::kIri:
      out->append("{\"type\":\"uri\",\"value\":");
      AppendJsonString(t.value(), out);
      break;
    case rdf::Term::Kind::kBlank:
      out->append("{\"type\":\"bnode\",\"value\":");
      AppendJsonString(t.value(), out);
      break;
    case rdf::Term::Kind::kLiteral:
      out->append("{\"type\":\"literal\",\"value\":");
      AppendJsonString(t.value(), out);
      if (!t.language().empty()) {
        out->append(",\"xml:lang\":");
        AppendJsonString(t.language(), out);
        if (t.direction() != rdf::Direction::kNone) {
          absl::StrAppend(out, ",\"its:dir\":\"", DirectionName(t.direction()),
                          "\"");
        }
      } else if (HasExplicitDatatype(t)) {
        out->append(",\"datatype\":");
        AppendJsonString(t.datatype(), out);
      }
      break;
    case rdf::Term::Kind::kTriple:
      out->append("{\"type\":\"triple\",\"value\":{\"subject\":");
      AppendJsonTerm(t.triple().subject, out);
      out->append(",\"predicate\":");
      AppendJsonTerm(t.triple().predicate, out);
      out->append(",\"object\":");
      AppendJsonTerm(t.triple().object, out);
      out->push_back('}');
      break;
  }
  out->push_back('}');
}

// ---- XML ----

// Characters XML 1.0 does not allow at all (below U+0020 other than TAB,
// LF, CR). U+FFFE and U+FFFF are not allowed either, but no character
// reference can write them, so they pass as they are.
bool XmlForbidden(unsigned char c) {
  return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

void AppendXmlEscaped(absl::string_view s, bool attribute, std::string* out) {
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const char* esc = nullptr;
    switch (c) {
      case '&':
        esc = "&amp;";
        break;
      case '<':
        esc = "&lt;";
        break;
      case '>':
        esc = "&gt;";
        break;
      case '"':
        if (attribute) esc = "&quot;";
        break;
      case '\r':
        esc = "&#xD;";
        break;
      case '\n':
        if (attribute) esc = "&#xA;";
        break;
      case '\t':
        if (attribute) esc = "&#x9;";
        break;
      default:
        break;
    }
    if (esc == nullptr && !XmlForbidden(c)) continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    if (esc != nullptr) {
      out->append(esc);
    } else {
      absl::StrAppend(out, "&#x", absl::Hex(c), ";");
    }
  }
  out->append(s.data() + run, s.size() - run);
}

void AppendXmlTerm(const rdf::Term& t, std::string* out) {
  switch (t.kind()) {
    case rdf::Term::Kind::kIri:
      out->append("<uri>");
      AppendXmlEscaped(t.value(), false, out);
      out->append("</uri>");
      return;
    case rdf::Term::Kind::kBlank:
      out->append("<bnode>");
      AppendXmlEscaped(t.value(), false, out);
      out->append("</bnode>");
      return;
    case rdf::Term::Kind::kLiteral:
      out->append("<literal");
      if (!t.language().empty()) {
        out->append(" xml:lang=\"");
        AppendXmlEscaped(t.language(), true, out);
        out->push_back('"');
        if (t.direction() != rdf::Direction::kNone) {
          absl::StrAppend(out, " its:dir=\"", DirectionName(t.direction()),
                          "\"");
        }
      } else if (HasExplicitDatatype(t)) {
        out->append(" datatype=\"");
        AppendXmlEscaped(t.datatype(), true, out);
        out->push_back('"');
      }
      out->push_back('>');
      AppendXmlEscaped(t.value(), false, out);
      out->append("</literal>");
      return;
    case rdf::Term::Kind::kTriple:
      out->append("<triple><subject>");
      AppendXmlTerm(t.triple().subject, out);
      out->append("</subject><predicate>");
      AppendXmlTerm(t.triple().predicate, out);
      out->append("</predicate><object>");
      AppendXmlTerm(t.triple().object, out);
      out->append("</object></triple>");
      return;
  }
}

// ---- TSV and CSV ----

bool IsAsciiLabelChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '-' || c == '.';
}

// The label as CSV and TSV write it (results.h, "Blank node labels").
void AppendSafeLabel(absl::string_view label, std::string* out) {
  bool safe = !label.empty() && !absl::StartsWith(label, "kg_") &&
              label.front() != '-' && label.front() != '.' &&
              label.back() != '.';
  for (size_t i = 0; safe && i < label.size(); ++i) {
    safe = IsAsciiLabelChar(label[i]);
  }
  out->append("_:");
  if (safe) {
    out->append(label.data(), label.size());
    return;
  }
  out->append("kg_");
  for (char ch : label) {
    const auto c = static_cast<unsigned char>(ch);
    out->push_back(kHex[c >> 4]);
    out->push_back(kHex[c & 0xf]);
  }
}

bool ConsumeDigits(absl::string_view* s) {
  size_t n = 0;
  while (n < s->size() && absl::ascii_isdigit((*s)[n])) ++n;
  s->remove_prefix(n);
  return n > 0;
}

void ConsumeSign(absl::string_view* s) {
  if (!s->empty() && (s->front() == '+' || s->front() == '-')) {
    s->remove_prefix(1);
  }
}

// Turtle's INTEGER, DECIMAL and DOUBLE productions.
bool IsTurtleInteger(absl::string_view s) {
  ConsumeSign(&s);
  return ConsumeDigits(&s) && s.empty();
}

bool IsTurtleDecimal(absl::string_view s) {
  ConsumeSign(&s);
  ConsumeDigits(&s);
  if (s.empty() || s.front() != '.') return false;
  s.remove_prefix(1);
  return ConsumeDigits(&s) && s.empty();
}

bool IsTurtleDouble(absl::string_view s) {
  ConsumeSign(&s);
  const bool int_digits = ConsumeDigits(&s);
  bool frac_digits = false;
  if (!s.empty() && s.front() == '.') {
    s.remove_prefix(1);
    frac_digits = ConsumeDigits(&s);
  }
  if (!int_digits && !frac_digits) return false;
  if (s.empty() || (s.front() != 'e' && s.front() != 'E')) return false;
  s.remove_prefix(1);
  ConsumeSign(&s);
  return ConsumeDigits(&s) && s.empty();
}

// The literal written bare, as Turtle abbreviates it, reads back as the
// same term.
bool IsBareLiteral(const rdf::Term& t) {
  const std::string& dt = t.datatype();
  const std::string& v = t.value();
  if (dt == kXsdInteger) return IsTurtleInteger(v);
  if (dt == kXsdDecimal) return IsTurtleDecimal(v);
  if (dt == kXsdDouble) return IsTurtleDouble(v);
  if (dt == kXsdBoolean) return v == "true" || v == "false";
  return false;
}

void AppendTsvTerm(const rdf::Term& t, std::string* out) {
  switch (t.kind()) {
    case rdf::Term::Kind::kIri:
      out->append(rdf::ToNTriples(t));
      return;
    case rdf::Term::Kind::kBlank:
      AppendSafeLabel(t.value(), out);
      return;
    case rdf::Term::Kind::kLiteral:
      if (IsBareLiteral(t)) {
        out->append(t.value());
      } else {
        out->append(rdf::ToNTriples(t));
      }
      return;
    case rdf::Term::Kind::kTriple:
      out->append("<<( ");
      AppendTsvTerm(t.triple().subject, out);
      out->push_back(' ');
      AppendTsvTerm(t.triple().predicate, out);
      out->push_back(' ');
      AppendTsvTerm(t.triple().object, out);
      out->append(" )>>");
      return;
  }
}

void AppendCsvField(absl::string_view field, std::string* out) {
  if (field.find_first_of("\",\r\n") == absl::string_view::npos) {
    out->append(field.data(), field.size());
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendCsvTerm(const rdf::Term& t, std::string* out) {
  std::string field;
  switch (t.kind()) {
    case rdf::Term::Kind::kIri:
    case rdf::Term::Kind::kLiteral:
      AppendCsvField(t.value(), out);
      return;
    case rdf::Term::Kind::kBlank:
      AppendSafeLabel(t.value(), out);  // never needs quoting
      return;
    case rdf::Term::Kind::kTriple:
      AppendTsvTerm(t, &field);
      AppendCsvField(field, out);
      return;
  }
}

constexpr char kXmlRoot[] =
    "<?xml version=\"1.0\"?>\n"
    "<sparql xmlns=\"http://www.w3.org/2005/sparql-results#\" "
    "xmlns:its=\"http://www.w3.org/2005/11/its\" its:version=\"2.0\">\n";

}  // namespace

absl::StatusOr<ResultsFormat> ResultsFormatNamed(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "json") return ResultsFormat::kJson;
  if (lower == "xml") return ResultsFormat::kXml;
  if (lower == "csv") return ResultsFormat::kCsv;
  if (lower == "tsv") return ResultsFormat::kTsv;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown results format '", name, "': expected json, xml, csv or tsv"));
}

absl::string_view ResultsFormatName(ResultsFormat format) {
  switch (format) {
    case ResultsFormat::kJson:
      return "json";
    case ResultsFormat::kXml:
      return "xml";
    case ResultsFormat::kCsv:
      return "csv";
    case ResultsFormat::kTsv:
      return "tsv";
  }
  return "";
}

absl::string_view MediaType(ResultsFormat format) {
  switch (format) {
    case ResultsFormat::kJson:
      return "application/sparql-results+json";
    case ResultsFormat::kXml:
      return "application/sparql-results+xml";
    case ResultsFormat::kCsv:
      return "text/csv; charset=utf-8";
    case ResultsFormat::kTsv:
      return "text/tab-separated-values; charset=utf-8";
  }
  return "";
}

SolutionsWriter::SolutionsWriter(ResultsFormat format,
                                 std::vector<std::string> variables)
    : format_(format), variables_(std::move(variables)) {}

void SolutionsWriter::Begin(std::string* out) {
  switch (format_) {
    case ResultsFormat::kJson:
      out->append("{\"head\":{\"vars\":[");
      for (size_t i = 0; i < variables_.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendJsonString(variables_[i], out);
      }
      out->append("]},\n\"results\":{\"bindings\":[");
      return;
    case ResultsFormat::kXml:
      out->append(kXmlRoot);
      out->append("<head>\n");
      for (const std::string& v : variables_) {
        out->append("<variable name=\"");
        AppendXmlEscaped(v, true, out);
        out->append("\"/>\n");
      }
      out->append("</head>\n<results>\n");
      return;
    case ResultsFormat::kCsv:
      for (size_t i = 0; i < variables_.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendCsvField(variables_[i], out);
      }
      out->append("\r\n");
      return;
    case ResultsFormat::kTsv:
      for (size_t i = 0; i < variables_.size(); ++i) {
        if (i > 0) out->push_back('\t');
        out->push_back('?');
        out->append(variables_[i]);
      }
      out->push_back('\n');
      return;
  }
}

void SolutionsWriter::Row(const Solution& row, std::string* out) {
  const size_t n = std::min(row.size(), variables_.size());
  switch (format_) {
    case ResultsFormat::kJson: {
      out->append(first_row_ ? "\n{" : ",\n{");
      bool first = true;
      for (size_t i = 0; i < n; ++i) {
        if (!row[i].has_value()) continue;
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(variables_[i], out);
        out->push_back(':');
        AppendJsonTerm(*row[i], out);
      }
      out->push_back('}');
      break;
    }
    case ResultsFormat::kXml:
      out->append("<result>");
      for (size_t i = 0; i < n; ++i) {
        if (!row[i].has_value()) continue;
        out->append("<binding name=\"");
        AppendXmlEscaped(variables_[i], true, out);
        out->append("\">");
        AppendXmlTerm(*row[i], out);
        out->append("</binding>");
      }
      out->append("</result>\n");
      break;
    case ResultsFormat::kCsv:
      for (size_t i = 0; i < variables_.size(); ++i) {
        if (i > 0) out->push_back(',');
        if (i < n && row[i].has_value()) AppendCsvTerm(*row[i], out);
      }
      out->append("\r\n");
      break;
    case ResultsFormat::kTsv:
      for (size_t i = 0; i < variables_.size(); ++i) {
        if (i > 0) out->push_back('\t');
        if (i < n && row[i].has_value()) AppendTsvTerm(*row[i], out);
      }
      out->push_back('\n');
      break;
  }
  first_row_ = false;
}

void SolutionsWriter::End(std::string* out) {
  switch (format_) {
    case ResultsFormat::kJson:
      out->append(first_row_ ? "]}}\n" : "\n]}}\n");
      return;
    case ResultsFormat::kXml:
      out->append("</results>\n</sparql>\n");
      return;
    case ResultsFormat::kCsv:
    case ResultsFormat::kTsv:
      return;
  }
}

std::string WriteSolutions(ResultsFormat format,
                           std::vector<std::string> variables,
                           const std::vector<Solution>& rows) {
  SolutionsWriter writer(format, std::move(variables));
  std::string out;
  writer.Begin(&out);
  for (const Solution& row : rows) writer.Row(row, &out);
  writer.End(&out);
  return out;
}

std::string BooleanResult(ResultsFormat format, bool value) {
  const char* word = value ? "true" : "false";
  switch (format) {
    case ResultsFormat::kJson:
      return absl::StrCat("{\"head\":{},\"boolean\":", word, "}\n");
    case ResultsFormat::kXml:
      return absl::StrCat(kXmlRoot, "<head/>\n<boolean>", word,
                          "</boolean>\n</sparql>\n");
    case ResultsFormat::kCsv:
      return absl::StrCat(kAskResultVariable, "\r\n", word, "\r\n");
    case ResultsFormat::kTsv:
      return absl::StrCat("?", kAskResultVariable, "\n", word, "\n");
  }
  return "";
}

}  // namespace kg::sparql
