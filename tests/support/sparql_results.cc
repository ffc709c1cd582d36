// Test-side SPARQL results readers and the comparison (sparql_results.h).
#include "tests/support/sparql_results.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "query/sparql/results.h"
#include "rdf/format.h"
#include "rdf/term.h"
#include "rdf/text.h"

namespace kg::testing {
namespace {

using sparql::ResultsFormat;
using sparql::Solution;

constexpr char kItsNs[] = "http://www.w3.org/2005/11/its";

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(what);
}

absl::StatusOr<rdf::Direction> DirectionNamed(absl::string_view name) {
  if (name == "ltr") return rdf::Direction::kLtr;
  if (name == "rtl") return rdf::Direction::kRtl;
  return Invalid(
      absl::StrCat("base direction '", name, "' is neither 'ltr' nor 'rtl'"));
}

// Builds a table's rows from (variable, term) bindings, checking that each
// variable is declared and bound once.
class RowBuilder {
 public:
  explicit RowBuilder(const std::vector<std::string>& variables) {
    for (size_t i = 0; i < variables.size(); ++i) {
      index_.emplace(variables[i], i);
    }
    row_.resize(variables.size());
  }
  absl::Status Bind(const std::string& name, rdf::Term term) {
    auto it = index_.find(name);
    if (it == index_.end()) {
      return Invalid(
          absl::StrCat("binding of undeclared variable '", name, "'"));
    }
    if (row_[it->second].has_value()) {
      return Invalid(absl::StrCat("variable '", name, "' bound twice"));
    }
    row_[it->second] = std::move(term);
    return absl::OkStatus();
  }
  Solution Take() {
    Solution out = std::move(row_);
    row_.assign(index_.size(), std::nullopt);
    return out;
  }

 private:
  absl::flat_hash_map<std::string, size_t> index_;
  Solution row_;
};

// ---- XML ----

// A parsed element: local names, attributes by qualified name with the
// namespace their prefix resolves to.
struct XmlAttribute {
  std::string qname;
  std::string ns;     // resolved namespace of the prefix ("" for none)
  std::string local;  // name after the prefix
  std::string value;
};

struct XmlElement {
  std::string local;
  int line = 0;
  std::vector<XmlAttribute> attributes;
  std::vector<XmlElement> children;
  std::string text;  // all character data directly inside, concatenated

  const XmlAttribute* Attribute(absl::string_view local_name,
                                absl::string_view ns) const {
    for (const XmlAttribute& a : attributes) {
      if (a.local == local_name && a.ns == ns) return &a;
    }
    return nullptr;
  }
};

// A small non-validating XML reader: elements, attributes, character and
// entity references, CDATA, comments, processing instructions, a DOCTYPE
// (skipped), namespace prefixes. Enough for SPARQL results documents.
class XmlReader {
 public:
  explicit XmlReader(absl::string_view in) : in_(in) {}

  absl::StatusOr<XmlElement> Document() {
    if (absl::StartsWith(in_, "\xEF\xBB\xBF")) pos_ = 3;
    KG_RETURN_IF_ERROR(SkipMisc());
    if (!Peek("<")) return Error("expected the root element");
    std::vector<std::map<std::string, std::string>> scopes;
    scopes.push_back({{"xml", "http://www.w3.org/XML/1998/namespace"}});
    XmlElement root;
    KG_RETURN_IF_ERROR(Element(&scopes, &root));
    KG_RETURN_IF_ERROR(SkipMisc());
    if (pos_ != in_.size()) return Error("content after the root element");
    return root;
  }

 private:
  using Scopes = std::vector<std::map<std::string, std::string>>;

  absl::Status Error(absl::string_view what) const {
    return Invalid(absl::StrCat("XML line ", line_, ": ", what));
  }
  bool Peek(absl::string_view s) const {
    return absl::StartsWith(in_.substr(pos_), s);
  }
  void Advance(size_t n) {
    for (size_t i = 0; i < n && pos_ < in_.size(); ++i) {
      if (in_[pos_++] == '\n') ++line_;
    }
  }
  void SkipSpace() {
    while (pos_ < in_.size() && absl::ascii_isspace(in_[pos_])) Advance(1);
  }
  // Advances past the next `end`; false when there is none.
  bool SkipPast(absl::string_view end) {
    const size_t at = in_.find(end, pos_);
    if (at == absl::string_view::npos) return false;
    Advance(at + end.size() - pos_);
    return true;
  }

  // Whitespace, comments, processing instructions and a DOCTYPE.
  absl::Status SkipMisc() {
    while (true) {
      SkipSpace();
      if (Peek("<?")) {
        if (!SkipPast("?>")) return Error("unterminated <?");
      } else if (Peek("<!--")) {
        if (!SkipPast("-->")) return Error("unterminated comment");
      } else if (Peek("<!DOCTYPE")) {
        int depth = 0;
        while (pos_ < in_.size()) {
          const char c = in_[pos_];
          Advance(1);
          if (c == '[') ++depth;
          if (c == ']') --depth;
          if (c == '>' && depth == 0) break;
        }
      } else {
        return absl::OkStatus();
      }
    }
  }

  std::string Name() {
    const size_t start = pos_;
    while (pos_ < in_.size()) {
      const char c = in_[pos_];
      if (absl::ascii_isspace(c) || c == '/' || c == '>' || c == '=') break;
      ++pos_;
    }
    return std::string(in_.substr(start, pos_ - start));
  }

  // Character data up to `stop` (not consumed), with references decoded
  // and, for text, line ends normalised; attribute values normalise
  // TAB, CR and LF to spaces, as XML says.
  absl::Status CharData(char stop, bool attribute, std::string* out) {
    while (pos_ < in_.size() && in_[pos_] != stop) {
      const char c = in_[pos_];
      if (c == '&') {
        KG_RETURN_IF_ERROR(Reference(out));
      } else if (c == '<') {
        if (attribute) return Error("'<' in an attribute value");
        return absl::OkStatus();
      } else if (c == '\r') {
        Advance(1);
        if (pos_ < in_.size() && in_[pos_] == '\n') Advance(1);
        out->push_back(attribute ? ' ' : '\n');
      } else if (attribute && (c == '\t' || c == '\n')) {
        Advance(1);
        out->push_back(' ');
      } else {
        out->push_back(c);
        Advance(1);
      }
    }
    return absl::OkStatus();
  }

  absl::Status Reference(std::string* out) {
    const size_t end = in_.find(';', pos_);
    if (end == absl::string_view::npos || end - pos_ > 12) {
      return Error("bad reference");
    }
    const absl::string_view ref = in_.substr(pos_ + 1, end - pos_ - 1);
    Advance(end + 1 - pos_);
    if (ref == "lt") {
      out->push_back('<');
    } else if (ref == "gt") {
      out->push_back('>');
    } else if (ref == "amp") {
      out->push_back('&');
    } else if (ref == "quot") {
      out->push_back('"');
    } else if (ref == "apos") {
      out->push_back('\'');
    } else if (absl::StartsWith(ref, "#x")) {
      uint32_t cp = 0;
      if (!absl::SimpleHexAtoi(ref.substr(2), &cp) || cp > 0x10ffff) {
        return Error(absl::StrCat("bad character reference &", ref, ";"));
      }
      rdf::text::AppendUtf8(cp, out);
    } else if (absl::StartsWith(ref, "#")) {
      uint32_t cp = 0;
      if (!absl::SimpleAtoi(ref.substr(1), &cp) || cp > 0x10ffff) {
        return Error(absl::StrCat("bad character reference &", ref, ";"));
      }
      rdf::text::AppendUtf8(cp, out);
    } else {
      return Error(absl::StrCat("unknown entity &", ref, ";"));
    }
    return absl::OkStatus();
  }

  static std::string Resolve(const Scopes& scopes, absl::string_view prefix) {
    for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
      auto found = it->find(std::string(prefix));
      if (found != it->end()) return found->second;
    }
    return "";
  }

  // At '<': one element and its content, through its end tag.
  absl::Status Element(Scopes* scopes, XmlElement* out) {
    out->line = line_;
    Advance(1);
    const std::string qname = Name();
    if (qname.empty()) return Error("expected an element name");
    std::vector<std::pair<std::string, std::string>> raw;
    std::map<std::string, std::string> scope;
    bool empty = false;
    while (true) {
      SkipSpace();
      if (pos_ >= in_.size()) return Error("unterminated start tag");
      if (Peek("/>")) {
        Advance(2);
        empty = true;
        break;
      }
      if (Peek(">")) {
        Advance(1);
        break;
      }
      std::string name = Name();
      if (name.empty()) return Error("expected an attribute name");
      SkipSpace();
      if (!Peek("=")) return Error(absl::StrCat("expected '=' after ", name));
      Advance(1);
      SkipSpace();
      if (pos_ >= in_.size() || (in_[pos_] != '"' && in_[pos_] != '\'')) {
        return Error("expected a quoted attribute value");
      }
      const char quote = in_[pos_];
      Advance(1);
      std::string value;
      KG_RETURN_IF_ERROR(CharData(quote, true, &value));
      if (pos_ >= in_.size()) return Error("unterminated attribute value");
      Advance(1);
      if (name == "xmlns") {
        scope[""] = value;
      } else if (absl::StartsWith(name, "xmlns:")) {
        scope[name.substr(6)] = value;
      }
      raw.emplace_back(std::move(name), std::move(value));
    }
    scopes->push_back(std::move(scope));
    const size_t colon = qname.find(':');
    out->local = colon == std::string::npos ? qname : qname.substr(colon + 1);
    for (auto& [name, value] : raw) {
      XmlAttribute a;
      const size_t c = name.find(':');
      if (c != std::string::npos) {
        a.ns = Resolve(*scopes, name.substr(0, c));
        a.local = name.substr(c + 1);
      } else {
        a.local = name;
      }
      a.qname = std::move(name);
      a.value = std::move(value);
      out->attributes.push_back(std::move(a));
    }
    if (!empty) KG_RETURN_IF_ERROR(Content(scopes, qname, out));
    scopes->pop_back();
    return absl::OkStatus();
  }

  absl::Status Content(Scopes* scopes, const std::string& qname,
                       XmlElement* out) {
    while (true) {
      KG_RETURN_IF_ERROR(CharData('<', false, &out->text));
      if (pos_ >= in_.size()) {
        return Error(absl::StrCat("element <", qname, "> is not closed"));
      }
      if (Peek("</")) {
        Advance(2);
        const std::string end = Name();
        SkipSpace();
        if (end != qname || !Peek(">")) {
          return Error(
              absl::StrCat("</", end, "> does not close <", qname, ">"));
        }
        Advance(1);
        return absl::OkStatus();
      }
      if (Peek("<!--")) {
        if (!SkipPast("-->")) return Error("unterminated comment");
      } else if (Peek("<![CDATA[")) {
        Advance(9);
        const size_t end = in_.find("]]>", pos_);
        if (end == absl::string_view::npos) return Error("unterminated CDATA");
        out->text.append(in_.data() + pos_, end - pos_);
        Advance(end + 3 - pos_);
      } else if (Peek("<?")) {
        if (!SkipPast("?>")) return Error("unterminated <?");
      } else {
        out->children.emplace_back();
        KG_RETURN_IF_ERROR(Element(scopes, &out->children.back()));
      }
    }
  }

  absl::string_view in_;
  size_t pos_ = 0;
  int line_ = 1;
};

absl::Status XmlError(const XmlElement& e, absl::string_view what) {
  return Invalid(absl::StrCat("XML line ", e.line, ": ", what));
}

// The one element child of `e` (term wrappers such as <binding>, <subject>).
absl::StatusOr<const XmlElement*> OnlyChild(const XmlElement& e) {
  if (e.children.size() != 1) {
    return XmlError(e, absl::StrCat("<", e.local, "> must hold one term, has ",
                                    e.children.size()));
  }
  return &e.children[0];
}

absl::StatusOr<rdf::Term> XmlTerm(const XmlElement& e) {
  if (e.local == "uri") return rdf::Term::Iri(e.text);
  if (e.local == "bnode") return rdf::Term::Blank(e.text);
  if (e.local == "literal") {
    std::string language, datatype;
    rdf::Direction direction = rdf::Direction::kNone;
    for (const XmlAttribute& a : e.attributes) {
      if (a.qname == "xml:lang") {
        language = a.value;
      } else if (a.local == "datatype" && a.ns.empty()) {
        datatype = a.value;
      } else if (a.local == "dir" && (a.ns == kItsNs || a.qname == "its:dir")) {
        auto d = DirectionNamed(a.value);
        if (!d.ok()) return XmlError(e, d.status().message());
        direction = *d;
      }
    }
    if (direction != rdf::Direction::kNone && language.empty()) {
      return XmlError(e, "its:dir without xml:lang");
    }
    return rdf::Term::Literal(e.text, datatype, language, direction);
  }
  if (e.local == "triple") {
    const XmlElement* parts[3] = {nullptr, nullptr, nullptr};
    for (const XmlElement& c : e.children) {
      const int i = c.local == "subject"     ? 0
                    : c.local == "predicate" ? 1
                    : c.local == "object"    ? 2
                                             : -1;
      if (i < 0 || parts[i] != nullptr) {
        return XmlError(c,
                        absl::StrCat("unexpected <", c.local, "> in <triple>"));
      }
      parts[i] = &c;
    }
    rdf::Term terms[3];
    for (int i = 0; i < 3; ++i) {
      if (parts[i] == nullptr) {
        return XmlError(e, "<triple> needs <subject>, <predicate>, <object>");
      }
      KG_ASSIGN_OR_RETURN(const XmlElement* child, OnlyChild(*parts[i]));
      KG_ASSIGN_OR_RETURN(terms[i], XmlTerm(*child));
    }
    return rdf::Term::TripleTerm(rdf::Triple{terms[0], terms[1], terms[2]});
  }
  return XmlError(e, absl::StrCat("unknown term element <", e.local, ">"));
}

absl::StatusOr<ResultTable> ReadXml(absl::string_view text) {
  KG_ASSIGN_OR_RETURN(XmlElement root, XmlReader(text).Document());
  if (root.local != "sparql") {
    return XmlError(root,
                    absl::StrCat("root is <", root.local, ">, not <sparql>"));
  }
  ResultTable table;
  bool have_head = false;
  bool have_body = false;
  for (const XmlElement& part : root.children) {
    if (part.local == "head") {
      have_head = true;
      for (const XmlElement& v : part.children) {
        if (v.local == "link") continue;
        if (v.local != "variable") {
          return XmlError(v,
                          absl::StrCat("unexpected <", v.local, "> in <head>"));
        }
        const XmlAttribute* name = v.Attribute("name", "");
        if (name == nullptr) return XmlError(v, "<variable> without name");
        table.variables.push_back(name->value);
      }
    } else if (part.local == "boolean") {
      have_body = true;
      const std::string value(absl::StripAsciiWhitespace(part.text));
      if (value != "true" && value != "false") {
        return XmlError(part, absl::StrCat("<boolean> holds '", value, "'"));
      }
      table.boolean = value == "true";
    } else if (part.local == "results") {
      have_body = true;
      RowBuilder builder(table.variables);
      for (const XmlElement& result : part.children) {
        if (result.local != "result") {
          return XmlError(result, absl::StrCat("unexpected <", result.local,
                                               "> in <results>"));
        }
        for (const XmlElement& binding : result.children) {
          const XmlAttribute* name = binding.Attribute("name", "");
          if (binding.local != "binding" || name == nullptr) {
            return XmlError(binding, "expected <binding name=...>");
          }
          KG_ASSIGN_OR_RETURN(const XmlElement* term, OnlyChild(binding));
          KG_ASSIGN_OR_RETURN(rdf::Term t, XmlTerm(*term));
          absl::Status s = builder.Bind(name->value, std::move(t));
          if (!s.ok()) return XmlError(binding, s.message());
        }
        table.rows.push_back(builder.Take());
      }
    } else {
      return XmlError(
          part, absl::StrCat("unexpected <", part.local, "> in <sparql>"));
    }
  }
  if (!have_head) return XmlError(root, "no <head>");
  if (!have_body) return XmlError(root, "neither <results> nor <boolean>");
  return table;
}

// ---- JSON ----

using google::protobuf::Struct;
using google::protobuf::Value;

const Value* Field(const Struct& s, const std::string& name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? nullptr : &it->second;
}

absl::StatusOr<std::string> StringField(const Struct& s,
                                        const std::string& name) {
  const Value* v = Field(s, name);
  if (v == nullptr || v->kind_case() != Value::kStringValue) {
    return Invalid(absl::StrCat("JSON: term without string \"", name, "\""));
  }
  return v->string_value();
}

absl::StatusOr<rdf::Term> JsonTerm(const Value& value) {
  if (value.kind_case() != Value::kStructValue) {
    return Invalid("JSON: a term is not an object");
  }
  const Struct& s = value.struct_value();
  KG_ASSIGN_OR_RETURN(const std::string type, StringField(s, "type"));
  if (type == "triple") {
    const Value* v = Field(s, "value");
    if (v == nullptr || v->kind_case() != Value::kStructValue) {
      return Invalid("JSON: triple term without an object \"value\"");
    }
    const Struct& parts = v->struct_value();
    rdf::Term terms[3];
    const char* names[3] = {"subject", "predicate", "object"};
    for (int i = 0; i < 3; ++i) {
      const Value* part = Field(parts, names[i]);
      if (part == nullptr) {
        return Invalid(
            absl::StrCat("JSON: triple term without \"", names[i], "\""));
      }
      KG_ASSIGN_OR_RETURN(terms[i], JsonTerm(*part));
    }
    return rdf::Term::TripleTerm(rdf::Triple{terms[0], terms[1], terms[2]});
  }
  KG_ASSIGN_OR_RETURN(std::string text, StringField(s, "value"));
  if (type == "uri") return rdf::Term::Iri(std::move(text));
  if (type == "bnode") return rdf::Term::Blank(std::move(text));
  if (type == "literal" || type == "typed-literal") {
    std::string language, datatype;
    rdf::Direction direction = rdf::Direction::kNone;
    if (Field(s, "xml:lang") != nullptr) {
      KG_ASSIGN_OR_RETURN(language, StringField(s, "xml:lang"));
    }
    if (Field(s, "datatype") != nullptr) {
      KG_ASSIGN_OR_RETURN(datatype, StringField(s, "datatype"));
    }
    if (Field(s, "its:dir") != nullptr) {
      KG_ASSIGN_OR_RETURN(const std::string dir, StringField(s, "its:dir"));
      KG_ASSIGN_OR_RETURN(direction, DirectionNamed(dir));
      if (language.empty()) return Invalid("JSON: its:dir without xml:lang");
    }
    return rdf::Term::Literal(std::move(text), std::move(datatype),
                              std::move(language), direction);
  }
  return Invalid(absl::StrCat("JSON: unknown term type \"", type, "\""));
}

absl::StatusOr<ResultTable> ReadJson(absl::string_view text) {
  Struct root;
  const auto parsed =
      google::protobuf::util::JsonStringToMessage(std::string(text), &root);
  if (!parsed.ok()) return Invalid(absl::StrCat("JSON: ", parsed.ToString()));
  ResultTable table;
  const Value* head = Field(root, "head");
  if (head == nullptr || head->kind_case() != Value::kStructValue) {
    return Invalid("JSON: no \"head\" object");
  }
  if (const Value* vars = Field(head->struct_value(), "vars")) {
    if (vars->kind_case() != Value::kListValue) {
      return Invalid("JSON: \"vars\" is not an array");
    }
    for (const Value& v : vars->list_value().values()) {
      if (v.kind_case() != Value::kStringValue) {
        return Invalid("JSON: a variable name is not a string");
      }
      table.variables.push_back(v.string_value());
    }
  }
  const Value* boolean = Field(root, "boolean");
  const Value* results = Field(root, "results");
  if (boolean != nullptr) {
    if (boolean->kind_case() != Value::kBoolValue) {
      return Invalid("JSON: \"boolean\" is not true or false");
    }
    table.boolean = boolean->bool_value();
    return table;
  }
  if (results == nullptr || results->kind_case() != Value::kStructValue) {
    return Invalid("JSON: neither \"results\" nor \"boolean\"");
  }
  const Value* bindings = Field(results->struct_value(), "bindings");
  if (bindings == nullptr || bindings->kind_case() != Value::kListValue) {
    return Invalid("JSON: no \"bindings\" array");
  }
  RowBuilder builder(table.variables);
  for (const Value& row : bindings->list_value().values()) {
    if (row.kind_case() != Value::kStructValue) {
      return Invalid("JSON: a solution is not an object");
    }
    // Sorted, so that an error names the same variable every time.
    std::map<std::string, const Value*> sorted;
    for (const auto& [name, v] : row.struct_value().fields()) {
      sorted.emplace(name, &v);
    }
    for (const auto& [name, v] : sorted) {
      KG_ASSIGN_OR_RETURN(rdf::Term t, JsonTerm(*v));
      KG_RETURN_IF_ERROR(builder.Bind(name, std::move(t)));
    }
    table.rows.push_back(builder.Take());
  }
  return table;
}

// ---- CSV and TSV ----

// Records of a CSV document (RFC 4180; LF or CRLF line ends), each a list
// of fields with the line it starts on. A final empty line is not a record.
absl::Status SplitCsv(
    absl::string_view text,
    std::vector<std::pair<int, std::vector<std::string>>>* records) {
  int line = 1;
  size_t i = 0;
  while (i < text.size()) {
    std::vector<std::string> fields;
    const int start_line = line;
    while (true) {
      std::string field;
      if (i < text.size() && text[i] == '"') {
        ++i;
        while (true) {
          if (i >= text.size()) {
            return Invalid(absl::StrCat("CSV line ", start_line,
                                        ": unterminated quoted field"));
          }
          if (text[i] == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              field.push_back('"');
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (text[i] == '\n') ++line;
          field.push_back(text[i++]);
        }
        if (i < text.size() && text[i] != ',' && text[i] != '\r' &&
            text[i] != '\n') {
          return Invalid(
              absl::StrCat("CSV line ", line, ": text after a quoted field"));
        }
      } else {
        while (i < text.size() && text[i] != ',' && text[i] != '\r' &&
               text[i] != '\n') {
          if (text[i] == '"') {
            return Invalid(
                absl::StrCat("CSV line ", line, ": '\"' in an unquoted field"));
          }
          field.push_back(text[i++]);
        }
      }
      fields.push_back(std::move(field));
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      break;
    }
    if (i < text.size() && text[i] == '\r') ++i;
    if (i < text.size() && text[i] == '\n') {
      ++i;
      ++line;
    }
    records->emplace_back(start_line, std::move(fields));
  }
  return absl::OkStatus();
}

// A table of one "_askResult" column and one true/false row is a boolean.
void RecogniseAskTable(ResultTable* table) {
  if (table->variables.size() != 1 ||
      table->variables[0] != sparql::kAskResultVariable ||
      table->rows.size() != 1 || !table->rows[0][0].has_value()) {
    return;
  }
  const rdf::Term& t = *table->rows[0][0];
  if (!t.is_literal() || (t.value() != "true" && t.value() != "false")) return;
  table->boolean = t.value() == "true";
  table->variables.clear();
  table->rows.clear();
}

absl::StatusOr<ResultTable> ReadCsv(absl::string_view text) {
  std::vector<std::pair<int, std::vector<std::string>>> records;
  KG_RETURN_IF_ERROR(SplitCsv(text, &records));
  if (records.empty()) return Invalid("CSV: no header line");
  ResultTable table;
  // An empty header line is a table of no variables.
  if (records[0].second != std::vector<std::string>{""}) {
    table.variables = records[0].second;
  }
  for (size_t r = 1; r < records.size(); ++r) {
    auto& [line, fields] = records[r];
    if (table.variables.empty() && fields == std::vector<std::string>{""}) {
      fields.clear();
    }
    if (fields.size() != table.variables.size()) {
      return Invalid(absl::StrCat("CSV line ", line, ": ", fields.size(),
                                  " fields for ", table.variables.size(),
                                  " variables"));
    }
    Solution row(fields.size());
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].empty()) continue;
      if (absl::StartsWith(fields[i], "_:")) {
        row[i] = rdf::Term::Blank(fields[i].substr(2));
      } else {
        row[i] = rdf::Term::Literal(std::move(fields[i]));
      }
    }
    table.rows.push_back(std::move(row));
  }
  RecogniseAskTable(&table);
  return table;
}

// One TSV field, in Turtle's syntax for a term, read by rdf/'s Turtle
// reader as the object of a triple.
absl::StatusOr<rdf::Term> TsvTerm(absl::string_view field, int line) {
  const std::string doc = absl::StrCat("<urn:kg:s> <urn:kg:p> ", field, " .");
  std::vector<rdf::Term> objects;
  const absl::Status s =
      rdf::Read(rdf::Format::kTurtle, doc, rdf::ReadOptions{},
                [&objects](const rdf::Quad& q, const rdf::Position&) {
                  objects.push_back(q.object);
                  return absl::OkStatus();
                });
  if (!s.ok() || objects.size() != 1) {
    return Invalid(
        absl::StrCat("TSV line ", line, ": '", field, "' is not one RDF term",
                     s.ok() ? "" : absl::StrCat(" (", s.message(), ")")));
  }
  return std::move(objects[0]);
}

absl::StatusOr<ResultTable> ReadTsv(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) return Invalid("TSV: no header line");
  for (absl::string_view& l : lines) absl::ConsumeSuffix(&l, "\r");
  ResultTable table;
  if (!lines[0].empty()) {
    for (absl::string_view v : absl::StrSplit(lines[0], '\t')) {
      if (v.size() < 2 || (v[0] != '?' && v[0] != '$')) {
        return Invalid(
            absl::StrCat("TSV line 1: '", v, "' is not a variable (?name)"));
      }
      table.variables.emplace_back(v.substr(1));
    }
  }
  for (size_t r = 1; r < lines.size(); ++r) {
    const int line = static_cast<int>(r) + 1;
    std::vector<absl::string_view> fields;
    if (!table.variables.empty() || !lines[r].empty()) {
      fields = absl::StrSplit(lines[r], '\t');
    }
    if (fields.size() != table.variables.size()) {
      return Invalid(absl::StrCat("TSV line ", line, ": ", fields.size(),
                                  " fields for ", table.variables.size(),
                                  " variables"));
    }
    Solution row(fields.size());
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].empty()) continue;
      KG_ASSIGN_OR_RETURN(row[i], TsvTerm(fields[i], line));
    }
    table.rows.push_back(std::move(row));
  }
  RecogniseAskTable(&table);
  return table;
}

// ---- Comparison ----

std::string RowToString(const std::vector<std::string>& variables,
                        const Solution& row) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < variables.size(); ++i) {
    parts.push_back(absl::StrCat("?", variables[i], "=",
                                 i < row.size() && row[i].has_value()
                                     ? rdf::ToNTriples(*row[i])
                                     : "UNBOUND"));
  }
  return absl::StrJoin(parts, " ");
}

// The row with every blank node label erased: rows that can match under
// some blank node mapping have equal shapes.
void AppendShape(const rdf::Term& t, std::string* out) {
  switch (t.kind()) {
    case rdf::Term::Kind::kBlank:
      out->append("_:");
      return;
    case rdf::Term::Kind::kTriple:
      out->append("<<( ");
      AppendShape(t.triple().subject, out);
      out->push_back(' ');
      AppendShape(t.triple().predicate, out);
      out->push_back(' ');
      AppendShape(t.triple().object, out);
      out->append(" )>>");
      return;
    default:
      // Terms equal as rdf::Term == but spelt differently (language tags
      // compare case-insensitively) must share a shape.
      if (t.is_literal() && !t.language().empty()) {
        out->append(rdf::ToNTriples(rdf::Term::Literal(
            t.value(), "", absl::AsciiStrToLower(t.language()),
            t.direction())));
      } else {
        out->append(rdf::ToNTriples(t));
      }
      return;
  }
}

// With numbers_by_value, numeric literals are rewritten to one form per
// value and datatype before comparing.
rdf::Term CanonicalNumber(const rdf::Term& t) {
  static constexpr absl::string_view kXsd = "http://www.w3.org/2001/XMLSchema#";
  if (t.is_triple()) {
    return rdf::Term::TripleTerm(
        rdf::Triple{CanonicalNumber(t.triple().subject), t.triple().predicate,
                    CanonicalNumber(t.triple().object)});
  }
  if (!t.is_literal() || !absl::StartsWith(t.datatype(), kXsd)) return t;
  const absl::string_view type =
      absl::string_view(t.datatype()).substr(kXsd.size());
  if (type != "integer" && type != "decimal" && type != "double" &&
      type != "float") {
    return t;
  }
  double v = 0;
  if (!absl::SimpleAtod(t.value(), &v)) return t;
  return rdf::Term::Literal(absl::StrFormat("%.17g", v), t.datatype());
}

ResultTable CanonicalNumbers(const ResultTable& table) {
  ResultTable out = table;
  for (Solution& row : out.rows) {
    for (std::optional<rdf::Term>& v : row) {
      if (v.has_value()) v = CanonicalNumber(*v);
    }
  }
  return out;
}

bool HasBlank(const rdf::Term& t) {
  if (t.is_blank()) return true;
  if (!t.is_triple()) return false;
  return HasBlank(t.triple().subject) || HasBlank(t.triple().object);
}

// A partial bijection between expected and actual blank node labels, with
// undo for backtracking.
class BlankMapping {
 public:
  bool Match(const rdf::Term& e, const rdf::Term& a) {
    if (e.kind() != a.kind()) return false;
    if (e.is_blank()) {
      auto f = forward_.find(e.value());
      if (f != forward_.end()) return f->second == a.value();
      if (backward_.contains(a.value())) return false;
      forward_.emplace(e.value(), a.value());
      backward_.insert(a.value());
      trail_.push_back(e.value());
      return true;
    }
    if (e.is_triple()) {
      return Match(e.triple().subject, a.triple().subject) &&
             Match(e.triple().predicate, a.triple().predicate) &&
             Match(e.triple().object, a.triple().object);
    }
    return e == a;
  }
  bool MatchRow(const Solution& e, const Solution& a) {
    for (size_t i = 0; i < e.size(); ++i) {
      if (e[i].has_value() != a[i].has_value()) return false;
      if (e[i].has_value() && !Match(*e[i], *a[i])) return false;
    }
    return true;
  }
  size_t Mark() const { return trail_.size(); }
  void Undo(size_t mark) {
    while (trail_.size() > mark) {
      auto f = forward_.find(trail_.back());
      backward_.erase(f->second);
      forward_.erase(f);
      trail_.pop_back();
    }
  }

 private:
  absl::flat_hash_map<std::string, std::string> forward_;
  absl::flat_hash_set<std::string> backward_;
  std::vector<std::string> trail_;
};

// Matches the expected rows `todo` (all containing blank nodes) one to one
// with actual rows of equal shape, extending `mapping`; backtracks.
class RowMatcher {
 public:
  RowMatcher(const std::vector<Solution>& expected,
             const std::vector<Solution>& actual,
             const std::vector<std::string>& expected_shape,
             const absl::flat_hash_map<std::string, std::vector<size_t>>&
                 actual_by_shape)
      : expected_(expected),
        actual_(actual),
        expected_shape_(expected_shape),
        actual_by_shape_(actual_by_shape),
        used_(actual.size(), false) {}

  // True when every row in `todo` found a partner; false when none can, or
  // when the search gave up (gave_up()).
  bool Solve(const std::vector<size_t>& todo, size_t k) {
    if (k == todo.size()) return true;
    if (++steps_ > kMaxSteps) {
      gave_up_ = true;
      return false;
    }
    const size_t e = todo[k];
    for (size_t a : actual_by_shape_.at(expected_shape_[e])) {
      if (used_[a]) continue;
      const size_t mark = mapping_.Mark();
      if (mapping_.MatchRow(expected_[e], actual_[a])) {
        used_[a] = true;
        if (Solve(todo, k + 1)) return true;
        used_[a] = false;
        if (gave_up_) return false;
      }
      mapping_.Undo(mark);
    }
    return false;
  }
  bool gave_up() const { return gave_up_; }

 private:
  static constexpr int64_t kMaxSteps = 2'000'000;
  const std::vector<Solution>& expected_;
  const std::vector<Solution>& actual_;
  const std::vector<std::string>& expected_shape_;
  const absl::flat_hash_map<std::string, std::vector<size_t>>& actual_by_shape_;
  std::vector<bool> used_;
  BlankMapping mapping_;
  int64_t steps_ = 0;
  bool gave_up_ = false;
};

void CollectLabels(const rdf::Term& t, std::vector<std::string>* out) {
  if (t.is_blank()) out->push_back(t.value());
  if (t.is_triple()) {
    CollectLabels(t.triple().subject, out);
    CollectLabels(t.triple().object, out);
  }
}

// Orders the rows so that each shares blank nodes with earlier ones where
// it can: a wrong choice then fails early instead of rows later.
std::vector<size_t> ConnectedOrder(const std::vector<Solution>& rows,
                                   std::vector<size_t> todo) {
  std::vector<std::vector<std::string>> labels(rows.size());
  for (size_t r : todo) {
    for (const auto& v : rows[r]) {
      if (v.has_value()) CollectLabels(*v, &labels[r]);
    }
  }
  std::vector<size_t> order;
  absl::flat_hash_set<std::string> seen;
  std::vector<bool> done(rows.size(), false);
  for (size_t n = 0; n < todo.size(); ++n) {
    size_t best = rows.size();
    size_t best_score = 0;
    for (size_t r : todo) {
      if (done[r]) continue;
      size_t score = 1;
      for (const std::string& l : labels[r]) score += seen.contains(l);
      if (best == rows.size() || score > best_score) {
        best = r;
        best_score = score;
      }
    }
    done[best] = true;
    order.push_back(best);
    for (const std::string& l : labels[best]) seen.insert(l);
  }
  return order;
}

constexpr size_t kMaxRowsShown = 30;

std::string TableRows(const std::vector<std::string>& variables,
                      const std::vector<Solution>& rows) {
  std::string out;
  for (size_t i = 0; i < rows.size() && i < kMaxRowsShown; ++i) {
    absl::StrAppend(&out, "  ", RowToString(variables, rows[i]), "\n");
  }
  if (rows.size() > kMaxRowsShown) {
    absl::StrAppend(&out, "  ... ", rows.size() - kMaxRowsShown, " more\n");
  }
  return out;
}

}  // namespace

absl::StatusOr<ResultTable> ReadResults(absl::string_view text,
                                        ResultsFormat format) {
  switch (format) {
    case ResultsFormat::kJson:
      return ReadJson(text);
    case ResultsFormat::kXml:
      return ReadXml(text);
    case ResultsFormat::kCsv:
      return ReadCsv(text);
    case ResultsFormat::kTsv:
      return ReadTsv(text);
  }
  return Invalid("unknown results format");
}

std::string WriteResults(const ResultTable& table, ResultsFormat format) {
  if (table.boolean.has_value()) {
    return sparql::BooleanResult(format, *table.boolean);
  }
  return sparql::WriteSolutions(format, table.variables, table.rows);
}

ResultTable CsvView(const ResultTable& table) {
  absl::StatusOr<ResultTable> view = ReadResults(
      WriteResults(table, ResultsFormat::kCsv), ResultsFormat::kCsv);
  // The writer's CSV always reads back; anything else is a bug here.
  if (!view.ok()) {
    ResultTable broken;
    broken.variables = {
        absl::StrCat("CsvView failed: ", view.status().message())};
    return broken;
  }
  return *std::move(view);
}

std::string ResultTableToString(const ResultTable& table) {
  if (table.boolean.has_value()) {
    return absl::StrCat("boolean: ", *table.boolean ? "true" : "false", "\n");
  }
  std::string out = "variables:";
  for (const std::string& v : table.variables) absl::StrAppend(&out, " ?", v);
  absl::StrAppend(&out, "\n", TableRows(table.variables, table.rows));
  return out;
}

std::string CompareResults(const ResultTable& expected_as_read,
                           const ResultTable& actual_as_made, bool ordered,
                           bool numbers_by_value) {
  const ResultTable expected =
      numbers_by_value ? CanonicalNumbers(expected_as_read) : expected_as_read;
  const ResultTable actual =
      numbers_by_value ? CanonicalNumbers(actual_as_made) : actual_as_made;
  if (expected.boolean.has_value() || actual.boolean.has_value()) {
    if (expected.boolean == actual.boolean) return "";
    return absl::StrCat("expected ", ResultTableToString(expected), "got ",
                        ResultTableToString(actual));
  }
  // Columns by name: actual's column for each of expected's variables.
  std::vector<std::string> ev = expected.variables, av = actual.variables;
  std::sort(ev.begin(), ev.end());
  std::sort(av.begin(), av.end());
  if (ev != av) {
    return absl::StrCat("variables differ: expected {", absl::StrJoin(ev, ", "),
                        "}, got {", absl::StrJoin(av, ", "), "}");
  }
  std::vector<size_t> column;
  for (const std::string& v : expected.variables) {
    column.push_back(
        std::find(actual.variables.begin(), actual.variables.end(), v) -
        actual.variables.begin());
  }
  std::vector<Solution> rows;  // actual's rows in expected's column order
  for (const Solution& r : actual.rows) {
    Solution p(column.size());
    for (size_t i = 0; i < column.size(); ++i) {
      if (column[i] < r.size()) p[i] = r[column[i]];
    }
    rows.push_back(std::move(p));
  }
  const std::vector<std::string>& vars = expected.variables;

  if (ordered) {
    BlankMapping mapping;
    for (size_t i = 0; i < expected.rows.size() && i < rows.size(); ++i) {
      if (!mapping.MatchRow(expected.rows[i], rows[i])) {
        return absl::StrCat("row ", i + 1, " differs (ordered):\n  expected ",
                            RowToString(vars, expected.rows[i]),
                            "\n  got      ", RowToString(vars, rows[i]));
      }
    }
    if (expected.rows.size() != rows.size()) {
      return absl::StrCat("expected ", expected.rows.size(), " rows, got ",
                          rows.size(), "; the first ",
                          std::min(expected.rows.size(), rows.size()),
                          " agree\nexpected:\n", TableRows(vars, expected.rows),
                          "got:\n", TableRows(vars, rows));
    }
    return "";
  }

  // Unordered: rows of equal shape (blank labels erased) must come in equal
  // numbers; rows without blank nodes are then matched; rows with them need
  // one bijection of labels, found by search.
  std::vector<std::string> expected_shape(expected.rows.size());
  std::vector<bool> expected_blank(expected.rows.size(), false);
  std::map<std::string, std::pair<std::vector<size_t>, std::vector<size_t>>>
      by_shape;
  absl::flat_hash_map<std::string, std::vector<size_t>> actual_by_shape;
  auto shape_of = [](const Solution& row, bool* blank) {
    std::string s;
    for (const auto& v : row) {
      if (v.has_value()) {
        AppendShape(*v, &s);
        *blank = *blank || HasBlank(*v);
      } else {
        s.append("UNBOUND");
      }
      s.push_back('\t');
    }
    return s;
  };
  for (size_t i = 0; i < expected.rows.size(); ++i) {
    bool blank = false;
    expected_shape[i] = shape_of(expected.rows[i], &blank);
    expected_blank[i] = blank;
    by_shape[expected_shape[i]].first.push_back(i);
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    bool blank = false;
    const std::string s = shape_of(rows[i], &blank);
    by_shape[s].second.push_back(i);
    actual_by_shape[s].push_back(i);
  }
  std::string missing, unexpected;
  for (const auto& [shape, indices] : by_shape) {
    const auto& [e, a] = indices;
    if (e.size() > a.size()) {
      for (size_t k = a.size(); k < e.size(); ++k) {
        absl::StrAppend(&missing, "  ", RowToString(vars, expected.rows[e[k]]),
                        "\n");
      }
    } else if (a.size() > e.size()) {
      for (size_t k = e.size(); k < a.size(); ++k) {
        absl::StrAppend(&unexpected, "  ", RowToString(vars, rows[a[k]]), "\n");
      }
    }
  }
  if (!missing.empty() || !unexpected.empty()) {
    return absl::StrCat("expected ", expected.rows.size(), " rows, got ",
                        rows.size(), missing.empty() ? "" : "\nmissing:\n",
                        missing, unexpected.empty() ? "" : "\nnot expected:\n",
                        unexpected);
  }
  std::vector<size_t> todo;
  for (size_t i = 0; i < expected.rows.size(); ++i) {
    if (expected_blank[i]) todo.push_back(i);
  }
  if (todo.empty()) return "";
  RowMatcher matcher(expected.rows, rows, expected_shape, actual_by_shape);
  if (matcher.Solve(ConnectedOrder(expected.rows, std::move(todo)), 0)) {
    return "";
  }
  return absl::StrCat(matcher.gave_up()
                          ? "gave up searching for a blank node mapping"
                          : "no one-to-one mapping of blank nodes makes the "
                            "rows equal",
                      "\nexpected:\n", TableRows(vars, expected.rows), "got:\n",
                      TableRows(vars, rows));
}

}  // namespace kg::testing
