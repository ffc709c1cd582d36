#include "query/provenance_prov_o.h"

#include <charconv>
#include <cstdio>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace kg::query {

namespace {

void AppendHex4(std::string* out, unsigned value) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04X", value & 0xffff);
  out->append(buf);
}

// N-Triples STRING_LITERAL_QUOTE body.
void AppendNTriplesString(std::string* out, absl::string_view text) {
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
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
        if (u < 0x20 || u == 0x7f) {
          out->append("\\u");
          AppendHex4(out, u);
        } else {
          out->push_back(c);  // UTF-8 passes through: N-Triples is UTF-8
        }
    }
  }
}

void AppendNTriplesTerm(std::string* out, const RdfTerm& term) {
  if (term.kind == RdfTerm::Kind::kIri) {
    absl::StrAppend(out, "<", term.value, ">");
    return;
  }
  out->push_back('"');
  AppendNTriplesString(out, term.value);
  out->push_back('"');
  if (!term.language.empty()) {
    absl::StrAppend(out, "@", term.language);
  } else if (!term.datatype.empty()) {
    absl::StrAppend(out, "^^<", term.datatype, ">");
  }
}

// A JSON string, quoted.
void AppendJsonString(std::string* out, absl::string_view text) {
  out->push_back('"');
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
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
        if (u < 0x20) {
          out->append("\\u");
          AppendHex4(out, u);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

struct Prefix {
  absl::string_view name;
  absl::string_view ns;
};

constexpr Prefix kPrefixes[] = {
    {"rdf", kRdfNs},   {"rdfs", kRdfsNs},       {"xsd", kXsdNs},
    {"prov", kProvNs}, {"dcterms", kDctermsNs}, {"kg", kKgNs},
};

// prefix:local when `iri` is in a known namespace, else the IRI itself.
std::string Compact(absl::string_view iri) {
  for (const Prefix& p : kPrefixes) {
    if (absl::StartsWith(iri, p.ns) && iri.size() > p.ns.size()) {
      return absl::StrCat(p.name, ":", iri.substr(p.ns.size()));
    }
  }
  return std::string(iri);
}

void AppendJsonLdValue(std::string* out, const RdfTerm& term) {
  if (term.kind == RdfTerm::Kind::kIri) {
    out->append("{\"@id\": ");
    AppendJsonString(out, term.value);
    out->push_back('}');
  } else if (!term.language.empty()) {
    // JSON-LD 1.1 has no base direction in a plain value: "@direction".
    const size_t dir = term.language.find("--");
    out->append("{\"@value\": ");
    AppendJsonString(out, term.value);
    out->append(", \"@language\": ");
    AppendJsonString(out, term.language.substr(0, dir));
    if (dir != std::string::npos) {
      out->append(", \"@direction\": ");
      AppendJsonString(out, term.language.substr(dir + 2));
    }
    out->push_back('}');
  } else if (term.datatype.empty()) {
    AppendJsonString(out, term.value);
  } else {
    out->append("{\"@value\": ");
    AppendJsonString(out, term.value);
    out->append(", \"@type\": ");
    AppendJsonString(out, Compact(term.datatype));
    out->push_back('}');
  }
}

}  // namespace

void RdfGraph::Add(std::string subject, std::string predicate, RdfTerm object) {
  RdfTriple t{std::move(subject), std::move(predicate), std::move(object)};
  std::string key;
  AppendNTriplesTerm(&key, RdfTerm::Iri(t.subject));
  AppendNTriplesTerm(&key, RdfTerm::Iri(t.predicate));
  AppendNTriplesTerm(&key, t.object);
  if (!seen_.insert(std::move(key)).second) return;
  triples_.push_back(std::move(t));
}

std::string WriteNTriples(const RdfGraph& graph) {
  std::string out;
  for (const RdfTriple& t : graph.triples()) {
    AppendNTriplesTerm(&out, RdfTerm::Iri(t.subject));
    out.push_back(' ');
    AppendNTriplesTerm(&out, RdfTerm::Iri(t.predicate));
    out.push_back(' ');
    AppendNTriplesTerm(&out, t.object);
    out.append(" .\n");
  }
  return out;
}

std::string WriteJsonLd(const RdfGraph& graph) {
  // Node objects in first-appearance order; per node, properties in
  // first-appearance order, each with its values in order.
  struct Node {
    std::string id;
    std::vector<std::string> types;
    std::vector<std::pair<std::string, std::vector<RdfTerm>>> properties;
  };
  std::vector<Node> nodes;
  absl::flat_hash_map<std::string, size_t> index;
  const std::string rdf_type = absl::StrCat(kRdfNs, "type");
  for (const RdfTriple& t : graph.triples()) {
    auto [it, inserted] = index.try_emplace(t.subject, nodes.size());
    if (inserted) nodes.push_back(Node{t.subject, {}, {}});
    Node& node = nodes[it->second];
    if (t.predicate == rdf_type && t.object.kind == RdfTerm::Kind::kIri) {
      node.types.push_back(Compact(t.object.value));
      continue;
    }
    const std::string key = Compact(t.predicate);
    auto prop = node.properties.begin();
    while (prop != node.properties.end() && prop->first != key) ++prop;
    if (prop == node.properties.end()) {
      node.properties.emplace_back(key, std::vector<RdfTerm>{});
      prop = node.properties.end() - 1;
    }
    prop->second.push_back(t.object);
  }

  std::string out = "{\n  \"@context\": {";
  for (size_t i = 0; i < std::size(kPrefixes); ++i) {
    out.append(i == 0 ? "\n    " : ",\n    ");
    AppendJsonString(&out, kPrefixes[i].name);
    out.append(": ");
    AppendJsonString(&out, kPrefixes[i].ns);
  }
  out.append("\n  },\n  \"@graph\": [");
  for (size_t n = 0; n < nodes.size(); ++n) {
    const Node& node = nodes[n];
    out.append(n == 0 ? "\n    {" : ",\n    {");
    out.append("\n      \"@id\": ");
    AppendJsonString(&out, node.id);
    if (!node.types.empty()) {
      out.append(",\n      \"@type\": [");
      for (size_t i = 0; i < node.types.size(); ++i) {
        if (i > 0) out.append(", ");
        AppendJsonString(&out, node.types[i]);
      }
      out.push_back(']');
    }
    for (const auto& [key, values] : node.properties) {
      out.append(",\n      ");
      AppendJsonString(&out, key);
      out.append(": ");
      if (values.size() == 1) {
        AppendJsonLdValue(&out, values[0]);
        continue;
      }
      out.push_back('[');
      for (size_t i = 0; i < values.size(); ++i) {
        if (i > 0) out.append(", ");
        AppendJsonLdValue(&out, values[i]);
      }
      out.push_back(']');
    }
    out.append("\n    }");
  }
  out.append(nodes.empty() ? "]\n}\n" : "\n  ]\n}\n");
  return out;
}

std::string EscapeIriPart(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                       c == '~' || c == '-';
    if (plain) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    }
  }
  return out;
}

// ---- The PROV-O mapping of provenance (docs/query.md) ---------------------

namespace {

using storage::Document;
using storage::Hedge;
using storage::Polarity;
using storage::ProvenanceRecord;
using storage::Statement;
using storage::Term;
using storage::TermValue;

std::string Iri(absl::string_view kind, absl::string_view id) {
  return absl::StrCat(kKgBase, kind, "/", EscapeIriPart(id));
}

std::string Ns(absl::string_view ns, absl::string_view local) {
  return absl::StrCat(ns, local);
}

RdfTerm DateLiteral(const storage::Date& d) {
  return RdfTerm::Typed(d.ToString(), Ns(kXsdNs, DateDatatype(d)));
}

RdfTerm LiteralTerm(const storage::Literal& lit) {
  switch (lit.type) {
    case storage::LiteralType::kString:
      return RdfTerm::String(lit.lexical);
    case storage::LiteralType::kInteger:
      return RdfTerm::Typed(lit.lexical, Ns(kXsdNs, "integer"));
    case storage::LiteralType::kDecimal:
      return RdfTerm::Typed(lit.lexical, Ns(kXsdNs, "decimal"));
    case storage::LiteralType::kDate: {
      std::optional<storage::Date> d = storage::ParseDate(lit.lexical);
      if (d) return DateLiteral(*d);
      return RdfTerm::String(lit.lexical);
    }
    case storage::LiteralType::kTyped:
      return RdfTerm::Typed(lit.lexical, lit.datatype);
    case storage::LiteralType::kLangString:
      return RdfTerm::Tagged(
          lit.lexical,
          absl::StrCat(
              lit.language,
              lit.direction == storage::LiteralDirection::kLtr   ? "--ltr"
              : lit.direction == storage::LiteralDirection::kRtl ? "--rtl"
                                                                 : ""));
  }
  return RdfTerm::String(lit.lexical);
}

RdfTerm NodeTerm(const TermValue& t) {
  switch (t.kind) {
    case Term::Kind::kEntity:
      return RdfTerm::Iri(Iri("entity", t.id));
    case Term::Kind::kStatement:
      return RdfTerm::Iri(Iri("statement", t.id));
    case Term::Kind::kLiteral:
      return LiteralTerm(t.literal);
    case Term::Kind::kIri:
      return RdfTerm::Iri(t.id);
    case Term::Kind::kBlank:
      // A skolem IRI (RDF 1.1 Concepts, 3.5): this document has no blank
      // nodes of its own.
      return RdfTerm::Iri(Iri(".well-known/genid", t.id));
  }
  return RdfTerm::String(t.id);
}

class ProvBuilder {
 public:
  ProvBuilder(bool include_evidence,
              const absl::flat_hash_map<std::string, Document>* documents)
      : include_evidence_(include_evidence), documents_(documents) {}

  void AddStatement(const Statement& st) {
    const std::string s = Iri("statement", st.id);
    graph_.Add(s, Ns(kRdfNs, "type"), RdfTerm::Iri(Ns(kProvNs, "Entity")));
    graph_.Add(s, Ns(kRdfNs, "type"), RdfTerm::Iri(Ns(kRdfNs, "Statement")));
    graph_.Add(s, Ns(kRdfNs, "subject"), NodeTerm(st.subject));
    graph_.Add(s, Ns(kRdfNs, "predicate"),
               RdfTerm::Iri(Iri("relation", st.relation)));
    graph_.Add(s, Ns(kRdfNs, "object"), NodeTerm(st.object));
    graph_.Add(s, Ns(kKgNs, "statementId"), RdfTerm::String(st.id));
  }

  void AddRecord(const std::string& derived, const ProvenanceRecord& r) {
    const std::string rec = RecordIri(kKgBase, r);
    graph_.Add(derived, Ns(kProvNs, "wasDerivedFrom"), RdfTerm::Iri(rec));
    graph_.Add(rec, Ns(kRdfNs, "type"), RdfTerm::Iri(Ns(kProvNs, "Entity")));
    graph_.Add(rec, Ns(kRdfNs, "type"), RdfTerm::Iri(Ns(kKgNs, "Evidence")));
    if (include_evidence_) {
      graph_.Add(rec, Ns(kProvNs, "value"), RdfTerm::String(r.input.evidence));
    }
    const std::string doc = Iri("document", r.input.document_id);
    graph_.Add(rec, Ns(kProvNs, "wasQuotedFrom"), RdfTerm::Iri(doc));
    const std::string nn = Ns(kXsdNs, "nonNegativeInteger");
    graph_.Add(rec, Ns(kKgNs, "evidenceStart"),
               RdfTerm::Typed(absl::StrCat(r.input.evidence_start), nn));
    graph_.Add(rec, Ns(kKgNs, "evidenceEnd"),
               RdfTerm::Typed(absl::StrCat(r.input.evidence_end), nn));
    graph_.Add(rec, Ns(kKgNs, "hedge"),
               RdfTerm::String(std::string(HedgeName(r.input.hedge))));
    graph_.Add(rec, Ns(kKgNs, "confidence"),
               RdfTerm::Typed(DoubleLexical(r.input.confidence),
                              Ns(kXsdNs, "double")));
    if (r.input.valid_time.start) {
      graph_.Add(rec, Ns(kKgNs, "validFrom"),
                 DateLiteral(*r.input.valid_time.start));
    }
    if (r.input.valid_time.end) {
      graph_.Add(rec, Ns(kKgNs, "validUntil"),
                 DateLiteral(*r.input.valid_time.end));
    }
    graph_.Add(
        rec, Ns(kProvNs, "generatedAtTime"),
        RdfTerm::Typed(DateTimeLexical(r.recorded_at), Ns(kXsdNs, "dateTime")));
    AddDocument(r.input.document_id);
  }

  void AddClaim(const Statement& target, const Claim& c) {
    const std::string s = Iri("statement", target.id);
    const std::string cl = Iri("statement", c.claim.id);
    graph_.Add(cl, Ns(kRdfNs, "type"), RdfTerm::Iri(Ns(kProvNs, "Entity")));
    graph_.Add(cl, Ns(kRdfNs, "type"), RdfTerm::Iri(Ns(kRdfNs, "Statement")));
    graph_.Add(cl, Ns(kRdfNs, "subject"), NodeTerm(c.claimant));
    graph_.Add(cl, Ns(kRdfNs, "predicate"),
               RdfTerm::Iri(Iri("relation", c.relation)));
    graph_.Add(cl, Ns(kRdfNs, "object"), RdfTerm::Iri(s));
    graph_.Add(cl, Ns(kKgNs, "statementId"), RdfTerm::String(c.claim.id));
    const bool supports = c.polarity == Polarity::kSupports;
    graph_.Add(cl, Ns(kKgNs, "polarity"),
               RdfTerm::String(supports ? "supports" : "opposes"));
    graph_.Add(s, Ns(kKgNs, supports ? "supportedBy" : "opposedBy"),
               RdfTerm::Iri(cl));
    if (c.claimant_entity) {
      const std::string agent = Iri("entity", c.claimant_entity->id);
      graph_.Add(cl, Ns(kProvNs, "wasAttributedTo"), RdfTerm::Iri(agent));
      if (supports) {
        graph_.Add(s, Ns(kProvNs, "wasAttributedTo"), RdfTerm::Iri(agent));
      }
      graph_.Add(agent, Ns(kRdfNs, "type"), RdfTerm::Iri(Ns(kProvNs, "Agent")));
      graph_.Add(agent, Ns(kRdfsNs, "label"),
                 RdfTerm::String(c.claimant_entity->label));
      graph_.Add(agent, Ns(kKgNs, "entityType"),
                 RdfTerm::String(c.claimant_entity->type));
    }
    for (const ProvenanceRecord& r : c.provenance) AddRecord(cl, r);
  }

  // The graph built so far; the builder is left empty.
  RdfGraph TakeGraph() { return std::move(graph_); }

 private:
  void AddDocument(const std::string& id) {
    const std::string doc = Iri("document", id);
    graph_.Add(doc, Ns(kRdfNs, "type"), RdfTerm::Iri(Ns(kProvNs, "Entity")));
    auto it = documents_->find(id);
    if (it == documents_->end()) return;
    const Document& d = it->second;
    graph_.Add(doc, Ns(kDctermsNs, "identifier"), RdfTerm::String(d.id));
    graph_.Add(doc, Ns(kDctermsNs, "title"), RdfTerm::String(d.title));
    if (!d.publisher.empty()) {
      graph_.Add(doc, Ns(kDctermsNs, "publisher"),
                 RdfTerm::String(d.publisher));
    }
    if (d.published) {
      graph_.Add(doc, Ns(kDctermsNs, "issued"), DateLiteral(*d.published));
    }
  }

  bool include_evidence_;
  const absl::flat_hash_map<std::string, Document>* documents_;
  RdfGraph graph_;
};

}  // namespace

absl::string_view HedgeName(storage::Hedge h) {
  using storage::Hedge;
  switch (h) {
    case Hedge::kUnspecified:
      return "unspecified";
    case Hedge::kAsserted:
      return "asserted";
    case Hedge::kBelieved:
      return "believed";
    case Hedge::kReportedly:
      return "reportedly";
    case Hedge::kPlausible:
      return "plausible";
    case Hedge::kUnconfirmed:
      return "unconfirmed";
  }
  return "unspecified";
}

std::string DoubleLexical(double d) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  if (ec != std::errc()) return "0";
  return std::string(buf, end);
}

std::string DateTimeLexical(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

absl::string_view DateDatatype(const storage::Date& d) {
  return d.month == 0 ? "gYear" : d.day == 0 ? "gYearMonth" : "date";
}

std::string RecordIri(absl::string_view base,
                      const storage::ProvenanceRecord& r) {
  return absl::StrCat(base, "record/", EscapeIriPart(r.statement_id), "/",
                      EscapeIriPart(r.input.document_id), "/",
                      r.input.evidence_start, "-", r.input.evidence_end, "/",
                      absl::ToUnixMicros(r.recorded_at));
}

RdfGraph ProvOGraph(const Statement& statement,
                    const std::vector<ProvenanceRecord>& own,
                    const std::vector<Claim>& claims,
                    const absl::flat_hash_map<std::string, Document>& documents,
                    bool include_evidence) {
  ProvBuilder builder(include_evidence, &documents);
  builder.AddStatement(statement);
  const std::string s = Iri("statement", statement.id);
  for (const ProvenanceRecord& r : own) builder.AddRecord(s, r);
  for (const Claim& c : claims) builder.AddClaim(statement, c);
  return builder.TakeGraph();
}

}  // namespace kg::query
