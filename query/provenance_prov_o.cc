#include "query/provenance_prov_o.h"

#include <cstdio>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

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
  if (!term.datatype.empty()) absl::StrAppend(out, "^^<", term.datatype, ">");
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

}  // namespace kg::query
