#include "client/rdf_mapping.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/format.h"
#include "common/status_macros.h"

namespace kg::client {

namespace {

constexpr int kMaxDepth = 8;
// The restate key of a record's triple whatever its graph (no document id
// can be this: it is not a slug, an IRI or a blank graph name).
constexpr char kAnyDocument[] = " any";

std::string Rdf(absl::string_view local) {
  return absl::StrCat(rdf::kRdfNs, local);
}
std::string Xsd(absl::string_view local) {
  return absl::StrCat(rdf::kXsdNs, local);
}
std::string Rdfs(absl::string_view local) { return absl::StrCat(kRdfs, local); }

rdf::Term Iri(std::string iri) { return rdf::Term::Iri(std::move(iri)); }
rdf::Term Plain(std::string text) {
  return rdf::Term::Literal(std::move(text));
}

bool IsSlug(absl::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_') {
      return false;
    }
  }
  return true;
}

// The rest of an IRI term under `prefix`; false for anything else.
bool Under(const rdf::Term& t, absl::string_view prefix, std::string* rest) {
  if (!t.is_iri() || !absl::StartsWith(t.value(), prefix)) return false;
  if (rest != nullptr) *rest = t.value().substr(prefix.size());
  return true;
}

bool IsIri(const rdf::Term& t, absl::string_view iri) {
  return t.is_iri() && t.value() == iri;
}

// A simple literal's text (xsd:string, no language).
bool PlainText(const rdf::Term& t, std::string* out) {
  if (!t.is_literal() || !t.language().empty() ||
      t.datatype() != rdf::kXsdString) {
    return false;
  }
  *out = t.value();
  return true;
}

// The lexical form of a literal of any datatype but with no language.
bool LexicalForm(const rdf::Term& t, std::string* out) {
  if (!t.is_literal() || !t.language().empty()) return false;
  *out = t.value();
  return true;
}

rdf::Term DateTerm(absl::string_view date) {
  const char* type = date.size() == 4   ? "gYear"
                     : date.size() == 7 ? "gYearMonth"
                                        : "date";
  return rdf::Term::Literal(std::string(date), Xsd(type));
}

rdf::Term LiteralTerm(const kg::v1::Literal& l) {
  switch (l.value_case()) {
    case kg::v1::Literal::kStringValue:
      return Plain(l.string_value());
    case kg::v1::Literal::kIntegerValue:
      return rdf::Term::Literal(absl::StrCat(l.integer_value()),
                                Xsd("integer"));
    case kg::v1::Literal::kDecimalValue:
      return rdf::Term::Literal(l.decimal_value(), Xsd("decimal"));
    case kg::v1::Literal::kDateValue:
      return DateTerm(l.date_value());
    case kg::v1::Literal::kRdf: {
      const kg::v1::RdfLiteral& r = l.rdf();
      rdf::Direction dir = rdf::Direction::kNone;
      if (r.direction() == kg::v1::TEXT_DIRECTION_LTR)
        dir = rdf::Direction::kLtr;
      if (r.direction() == kg::v1::TEXT_DIRECTION_RTL)
        dir = rdf::Direction::kRtl;
      return rdf::Term::Literal(r.lexical_form(), r.datatype(), r.language(),
                                dir);
    }
    default:
      return Plain("");
  }
}

// Percent-encodes what may not stand in an IRI path segment.
std::string Segment(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '_' || c == '-' || c == '.') {
      out += static_cast<char>(c);
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

}  // namespace

KgIris::KgIris(absl::string_view b)
    : base(b),
      entity(absl::StrCat(b, "entity/")),
      relation(absl::StrCat(b, "relation/")),
      document(absl::StrCat(b, "document/")),
      statement(absl::StrCat(b, "statement/")),
      provenance(absl::StrCat(b, "provenance/")),
      type(absl::StrCat(b, "type/")),
      ns(absl::StrCat(b, "ns#")) {}

std::vector<std::pair<std::string, std::string>> KgIris::Prefixes() const {
  return {{"rdf", rdf::kRdfNs}, {"rdfs", kRdfs},        {"xsd", rdf::kXsdNs},
          {"skos", kSkos},      {"dcterms", kDcterms},  {"kg", ns},
          {"entity", entity},   {"relation", relation}, {"document", document},
          {"stmt", statement},  {"type", type}};
}

// ---- Export ----

RdfExport::RdfExport(const KgIris& iris, bool graphs,
                     std::string default_graph_document, rdf::Writer* writer)
    : iris_(iris),
      graphs_(graphs),
      default_graph_document_(std::move(default_graph_document)),
      writer_(writer) {}

absl::Status RdfExport::Put(rdf::Term s, rdf::Term p, rdf::Term o,
                            std::optional<rdf::Term> g) {
  return writer_->Write(
      rdf::Quad{std::move(s), std::move(p), std::move(o), std::move(g)});
}

absl::Status RdfExport::Entity(const kg::v1::Entity& e) {
  rdf::Term s = Iri(absl::StrCat(iris_.entity, e.id()));
  KG_RETURN_IF_ERROR(
      Put(s, Iri(Rdf("type")), Iri(absl::StrCat(iris_.type, e.type()))));
  KG_RETURN_IF_ERROR(Put(s, Iri(Rdfs("label")), Plain(e.label())));
  for (const std::string& a : e.aliases()) {
    KG_RETURN_IF_ERROR(Put(s, Iri(absl::StrCat(kSkos, "altLabel")), Plain(a)));
  }
  return absl::OkStatus();
}

absl::Status RdfExport::Relation(const kg::v1::Relation& r) {
  rdf::Term s = Iri(absl::StrCat(iris_.relation, r.id()));
  KG_RETURN_IF_ERROR(Put(s, Iri(Rdf("type")), Iri(Rdf("Property"))));
  KG_RETURN_IF_ERROR(Put(s, Iri(Rdfs("label")), Plain(r.label())));
  if (r.symmetric()) {
    KG_RETURN_IF_ERROR(Put(s, Iri(absl::StrCat(iris_.ns, "symmetric")),
                           rdf::Term::Literal("true", Xsd("boolean"))));
  }
  if (r.polarity() != kg::v1::POLARITY_NONE) {
    KG_RETURN_IF_ERROR(
        Put(s, Iri(absl::StrCat(iris_.ns, "polarity")),
            Iri(absl::StrCat(iris_.ns, PolarityName(r.polarity())))));
  }
  return absl::OkStatus();
}

absl::Status RdfExport::Document(const kg::v1::Document& d) {
  // A data document without a title is only its graph.
  std::optional<rdf::Term> name = Graph(d.id());
  rdf::Term s = name ? *name : Iri(absl::StrCat(iris_.document, d.id()));
  if (!d.title().empty()) {
    KG_RETURN_IF_ERROR(
        Put(s, Iri(absl::StrCat(kDcterms, "title")), Plain(d.title())));
  }
  if (!d.publisher().empty()) {
    KG_RETURN_IF_ERROR(
        Put(s, Iri(absl::StrCat(kDcterms, "publisher")), Plain(d.publisher())));
  }
  if (!d.published().empty()) {
    KG_RETURN_IF_ERROR(
        Put(s, Iri(absl::StrCat(kDcterms, "date")), DateTerm(d.published())));
  }
  if (!d.text().empty()) {
    KG_RETURN_IF_ERROR(
        Put(s, Iri(absl::StrCat(iris_.ns, "text")), Plain(d.text())));
  }
  return absl::OkStatus();
}

std::optional<rdf::Term> RdfExport::Graph(const std::string& id) const {
  if (!graphs_ || id == default_graph_document_) return std::nullopt;
  if (absl::StartsWith(id, "_:")) return rdf::Term::Blank(id.substr(2));
  if (absl::StrContains(id, ":")) return Iri(id);
  return Iri(absl::StrCat(iris_.document, id));
}

absl::StatusOr<rdf::Triple> RdfExport::TripleOf(const kg::v1::Statement& s,
                                                const StatementLookup& lookup,
                                                int depth) {
  if (depth > kMaxDepth) {
    return absl::DataLossError(absl::StrCat(
        "statement ", s.id(), ": quoted statements nest too deep"));
  }
  rdf::Triple t;
  KG_ASSIGN_OR_RETURN(t.subject, NodeTerm(s.subject(), true, lookup, depth));
  t.predicate = Iri(absl::StrContains(s.relation(), ":")
                        ? s.relation()
                        : absl::StrCat(iris_.relation, s.relation()));
  KG_ASSIGN_OR_RETURN(t.object, NodeTerm(s.object(), false, lookup, depth));
  return t;
}

absl::StatusOr<rdf::Term> RdfExport::NodeTerm(const kg::v1::Node& n,
                                              bool subject,
                                              const StatementLookup& lookup,
                                              int depth) {
  switch (n.kind_case()) {
    case kg::v1::Node::kEntity:
      return Iri(absl::StrCat(iris_.entity, n.entity().id()));
    case kg::v1::Node::kLiteral:
      return LiteralTerm(n.literal());
    case kg::v1::Node::kIri:
      return Iri(n.iri());
    case kg::v1::Node::kBlankNode:
      return rdf::Term::Blank(n.blank_node());
    case kg::v1::Node::kStatementId: {
      const kg::v1::Statement* q = lookup(n.statement_id());
      if (q == nullptr) {
        return absl::NotFoundError(
            absl::StrCat("statement ", n.statement_id(), " could not be read"));
      }
      const kg::v1::Statement quoted = *q;  // the lookup may evict it
      KG_ASSIGN_OR_RETURN(rdf::Triple t, TripleOf(quoted, lookup, depth + 1));
      if (!subject) return rdf::Term::TripleTerm(std::move(t));
      // RDF 1.2 has no triple terms in subject position: its reifier.
      KG_RETURN_IF_ERROR(Declare(quoted.id(), t));
      return Iri(absl::StrCat(iris_.statement, quoted.id()));
    }
    default:
      return absl::DataLossError("a statement with an empty node");
  }
}

absl::Status RdfExport::Declare(const std::string& id,
                                const rdf::Triple& triple) {
  if (!declared_.insert(id).second) return absl::OkStatus();
  return Put(Iri(absl::StrCat(iris_.statement, id)), Iri(rdf::kRdfReifies),
             rdf::Term::TripleTerm(triple));
}

absl::Status RdfExport::Statement(
    const kg::v1::Statement& s, const std::vector<kg::v1::Provenance>& records,
    const StatementLookup& lookup) {
  KG_ASSIGN_OR_RETURN(rdf::Triple t, TripleOf(s, lookup, 0));
  bool wrote_plain = false;
  std::string last_graph_document;
  bool first = true;
  for (const kg::v1::Provenance& p : records) {
    // The triple itself, once per graph (once in a triple format).
    if (graphs_ ? (first || p.document_id() != last_graph_document)
                : !wrote_plain) {
      KG_RETURN_IF_ERROR(
          Put(t.subject, t.predicate, t.object, Graph(p.document_id())));
      wrote_plain = true;
    }
    first = false;
    last_graph_document = p.document_id();
    if (p.evidence_end() == 0 && p.evidence().empty()) continue;  // data
    // A record from a text: the reifier and the record's description.
    KG_RETURN_IF_ERROR(Declare(s.id(), t));
    rdf::Term r = Iri(absl::StrCat(iris_.provenance, s.id(), "/",
                                   Segment(p.document_id()), "/",
                                   p.evidence_start(), "-", p.evidence_end()));
    auto ns = [this](absl::string_view local) {
      return Iri(absl::StrCat(iris_.ns, local));
    };
    rdf::Term doc = absl::StrContains(p.document_id(), ":") &&
                            !absl::StartsWith(p.document_id(), "_:")
                        ? Iri(p.document_id())
                        : Iri(absl::StrCat(iris_.document, p.document_id()));
    KG_RETURN_IF_ERROR(
        Put(r, ns("statement"), Iri(absl::StrCat(iris_.statement, s.id()))));
    KG_RETURN_IF_ERROR(Put(r, ns("document"), doc));
    KG_RETURN_IF_ERROR(Put(
        r, ns("evidenceStart"),
        rdf::Term::Literal(absl::StrCat(p.evidence_start()), Xsd("integer"))));
    KG_RETURN_IF_ERROR(Put(
        r, ns("evidenceEnd"),
        rdf::Term::Literal(absl::StrCat(p.evidence_end()), Xsd("integer"))));
    KG_RETURN_IF_ERROR(Put(r, ns("evidence"), Plain(p.evidence())));
    if (!HedgeName(p.hedge()).empty()) {
      KG_RETURN_IF_ERROR(Put(r, ns("hedge"), ns(HedgeName(p.hedge()))));
    }
    if (p.has_confidence()) {
      KG_RETURN_IF_ERROR(Put(
          r, ns("confidence"),
          rdf::Term::Literal(FormatDouble(p.confidence()), Xsd("decimal"))));
    }
    if (!p.valid_time().start().empty()) {
      KG_RETURN_IF_ERROR(
          Put(r, ns("validFrom"), DateTerm(p.valid_time().start())));
    }
    if (!p.valid_time().end().empty()) {
      KG_RETURN_IF_ERROR(Put(r, ns("validTo"), DateTerm(p.valid_time().end())));
    }
  }
  return absl::OkStatus();
}

// ---- Import ----

std::string GraphDocument(const std::optional<rdf::Term>& graph,
                          const std::string& default_document) {
  if (!graph.has_value()) return default_document;
  if (graph->is_blank()) return absl::StrCat("_:", graph->value());
  return graph->value();
}

RdfImport::RdfImport(const KgIris& iris, std::string default_document)
    : iris_(iris), default_document_(std::move(default_document)) {}

std::string RdfImport::DocumentIdOf(const rdf::Term& iri) const {
  std::string rest;
  if (Under(iri, iris_.document, &rest) && IsSlug(rest)) return rest;
  return iri.is_blank() ? absl::StrCat("_:", iri.value()) : iri.value();
}

std::string RdfImport::DocumentId(const std::optional<rdf::Term>& graph) const {
  if (!graph.has_value()) return default_document_;
  return DocumentIdOf(*graph);
}

RdfImport::Role RdfImport::Classify(const rdf::Quad& q) const {
  // Called for every quad of an import, twice: no string is made.
  const rdf::Term& s = q.subject;
  const rdf::Term& p = q.predicate;
  const rdf::Term& o = q.object;
  // Whether `t` is the IRI prefix + local.
  auto is = [](const rdf::Term& t, absl::string_view prefix,
               absl::string_view local) {
    if (!t.is_iri()) return false;
    absl::string_view v = t.value();
    return v.size() == prefix.size() + local.size() &&
           absl::StartsWith(v, prefix) && absl::EndsWith(v, local);
  };
  auto under = [](const rdf::Term& t, absl::string_view prefix) {
    return t.is_iri() && absl::StartsWith(t.value(), prefix);
  };
  auto slug_under = [&](const rdf::Term& t, absl::string_view prefix) {
    return under(t, prefix) &&
           IsSlug(absl::string_view(t.value()).substr(prefix.size()));
  };
  const bool plain =
      o.is_literal() && o.language().empty() && o.datatype() == rdf::kXsdString;
  if (slug_under(s, iris_.entity)) {
    if ((is(p, rdf::kRdfNs, "type") && under(o, iris_.type)) ||
        ((is(p, kRdfs, "label") || is(p, kSkos, "altLabel")) && plain)) {
      return Role::kEntity;
    }
  } else if (slug_under(s, iris_.relation)) {
    if ((is(p, rdf::kRdfNs, "type") && is(o, rdf::kRdfNs, "Property")) ||
        (is(p, kRdfs, "label") && plain) || is(p, iris_.ns, "polarity") ||
        is(p, iris_.ns, "symmetric")) {
      return Role::kRelation;
    }
  } else if (slug_under(s, iris_.document)) {
    if (((is(p, kDcterms, "title") || is(p, kDcterms, "publisher") ||
          is(p, iris_.ns, "text")) &&
         plain) ||
        is(p, kDcterms, "date")) {
      return Role::kDocument;
    }
  } else if (under(s, iris_.provenance) && under(p, iris_.ns)) {
    return Role::kRecord;
  } else if (under(s, iris_.statement) && is(p, rdf::kRdfReifies, "") &&
             o.is_triple()) {
    return Role::kReifier;
  }
  return Role::kData;
}

absl::Status RdfImport::Collect(const rdf::Quad& q, int64_t line) {
  std::string rest, text;
  const rdf::Term& p = q.predicate;
  const rdf::Term& o = q.object;
  auto local = [&] {
    Under(p, iris_.ns, &rest);
    return rest;
  };
  switch (Classify(q)) {
    case Role::kData:
      return absl::OkStatus();
    case Role::kEntity: {
      Under(q.subject, iris_.entity, &rest);
      auto [it, fresh] = entities_.try_emplace(rest);
      auto& d = it->second;
      if (fresh) {
        d.record.set_id(rest);
        d.line = line;
      }
      if (IsIri(p, Rdf("type"))) {
        Under(o, iris_.type, &text);
        d.record.set_type(text);
      } else if (IsIri(p, Rdfs("label"))) {
        d.record.set_label(o.value());
      } else {
        d.record.add_aliases(o.value());
      }
      break;
    }
    case Role::kRelation: {
      Under(q.subject, iris_.relation, &rest);
      auto [it, fresh] = relations_.try_emplace(rest);
      auto& d = it->second;
      if (fresh) {
        d.record.set_id(rest);
        d.record.set_polarity(kg::v1::POLARITY_NONE);
        d.line = line;
      }
      if (IsIri(p, Rdfs("label"))) {
        d.record.set_label(o.value());
      } else if (IsIri(p, absl::StrCat(iris_.ns, "symmetric"))) {
        if (!LexicalForm(o, &text) ||
            (text != "true" && text != "false" && text != "1" && text != "0")) {
          return absl::InvalidArgumentError(
              "kg:symmetric must be \"true\" or \"false\"");
        }
        d.record.set_symmetric(text == "true" || text == "1");
      } else if (IsIri(p, absl::StrCat(iris_.ns, "polarity"))) {
        if (IsIri(o, absl::StrCat(iris_.ns, "supports"))) {
          d.record.set_polarity(kg::v1::POLARITY_SUPPORTS);
        } else if (IsIri(o, absl::StrCat(iris_.ns, "opposes"))) {
          d.record.set_polarity(kg::v1::POLARITY_OPPOSES);
        } else if (!IsIri(o, absl::StrCat(iris_.ns, "none"))) {
          return absl::InvalidArgumentError(
              "kg:polarity must be kg:supports, kg:opposes or kg:none");
        }
      }
      break;
    }
    case Role::kDocument: {
      Under(q.subject, iris_.document, &rest);
      auto [it, fresh] = documents_.try_emplace(rest);
      auto& d = it->second;
      if (fresh) {
        d.record.set_id(rest);
        d.line = line;
      }
      if (IsIri(p, absl::StrCat(kDcterms, "title"))) {
        d.record.set_title(o.value());
      } else if (IsIri(p, absl::StrCat(kDcterms, "publisher"))) {
        d.record.set_publisher(o.value());
      } else if (IsIri(p, absl::StrCat(kDcterms, "date"))) {
        if (!LexicalForm(o, &text)) {
          return absl::InvalidArgumentError(
              "dcterms:date must be a date literal (YYYY, YYYY-MM or "
              "YYYY-MM-DD)");
        }
        d.record.set_published(text);
      } else {
        d.record.set_text(o.value());
        text_documents_.insert(rest);
      }
      break;
    }
    case Role::kRecord: {
      auto [it, fresh] = records_.try_emplace(q.subject.value());
      Record& r = it->second;
      if (fresh) r.line = line;
      const std::string name = local();
      kg::v1::Provenance& pr = r.provenance;
      int64_t n = 0;
      if (name == "statement") {
        if (!Under(o, iris_.statement, nullptr)) {
          return absl::InvalidArgumentError(
              absl::StrCat("kg:statement must be a statement IRI (",
                           iris_.statement, "<id>)"));
        }
        r.statement = o.value();
      } else if (name == "document") {
        if (!o.is_iri()) {
          return absl::InvalidArgumentError("kg:document must be an IRI");
        }
        pr.set_document_id(DocumentIdOf(o));
      } else if (name == "evidenceStart" || name == "evidenceEnd") {
        if (!LexicalForm(o, &text) || !absl::SimpleAtoi(text, &n) || n < 0 ||
            n > UINT32_MAX) {
          return absl::InvalidArgumentError(
              absl::StrCat("kg:", name, " must be a non-negative integer"));
        }
        if (name == "evidenceStart") {
          pr.set_evidence_start(static_cast<uint32_t>(n));
          r.has_start = true;
        } else {
          pr.set_evidence_end(static_cast<uint32_t>(n));
          r.has_end = true;
        }
      } else if (name == "evidence") {
        if (!PlainText(o, &text)) {
          return absl::InvalidArgumentError(
              "kg:evidence must be a string literal");
        }
        pr.set_evidence(text);
      } else if (name == "hedge") {
        std::string h;
        kg::v1::Hedge value = kg::v1::HEDGE_UNSPECIFIED;
        if (Under(o, iris_.ns, &h)) {
          for (int i = 1; kg::v1::Hedge_IsValid(i); ++i) {
            if (HedgeName(static_cast<kg::v1::Hedge>(i)) == h) {
              value = static_cast<kg::v1::Hedge>(i);
            }
          }
        }
        if (value == kg::v1::HEDGE_UNSPECIFIED) {
          return absl::InvalidArgumentError(
              "kg:hedge must be kg:asserted, kg:believed, kg:reportedly, "
              "kg:plausible or kg:unconfirmed");
        }
        pr.set_hedge(value);
      } else if (name == "confidence") {
        double v = 0;
        if (!LexicalForm(o, &text) || !absl::SimpleAtod(text, &v)) {
          return absl::InvalidArgumentError("kg:confidence must be a number");
        }
        pr.set_confidence(v);
      } else if (name == "validFrom" || name == "validTo") {
        if (!LexicalForm(o, &text)) {
          return absl::InvalidArgumentError(
              absl::StrCat("kg:", name, " must be a date literal"));
        }
        if (name == "validFrom") {
          pr.mutable_valid_time()->set_start(text);
        } else {
          pr.mutable_valid_time()->set_end(text);
        }
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "<", p.value(),
            "> is not a property of a kg provenance record (kg:statement, "
            "kg:document, kg:evidenceStart, kg:evidenceEnd, kg:evidence, "
            "kg:hedge, kg:confidence, kg:validFrom, kg:validTo)"));
      }
      break;
    }
    case Role::kReifier: {
      auto [it, fresh] = reifiers_.try_emplace(q.subject.value(), o.triple());
      if (!fresh && !(it->second == o.triple())) {
        return absl::InvalidArgumentError(absl::StrCat(
            "<", q.subject.value(), "> reifies two different triples"));
      }
      break;
    }
  }
  ++described_;
  return absl::OkStatus();
}

namespace {

// A map's entries in the order of their lines, so that records go out, and
// the first incomplete one is reported, in file order.
template <typename Map, typename LineOf>
std::vector<typename Map::pointer> InLineOrder(Map& map, LineOf line_of) {
  std::vector<typename Map::pointer> out;
  out.reserve(map.size());
  for (auto& entry : map) out.push_back(&entry);
  std::sort(out.begin(), out.end(), [&](const auto* a, const auto* b) {
    return line_of(a->second) != line_of(b->second)
               ? line_of(a->second) < line_of(b->second)
               : a->first < b->first;
  });
  return out;
}

}  // namespace

absl::Status RdfImport::Finish(
    const Emit& emit, const std::function<bool(int64_t line)>& skipped) {
  const auto line = [](const auto& d) { return d.line; };
  auto missing = [](int64_t line, absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", what));
  };
  for (auto* entry : InLineOrder(entities_, line)) {
    auto& [id, d] = *entry;
    if (skipped(d.line)) continue;
    if (d.record.label().empty() || d.record.type().empty()) {
      return missing(d.line, absl::StrCat("entity <", iris_.entity, id,
                                          "> needs rdf:type and rdfs:label"));
    }
    kg::v1::Record r;
    *r.mutable_entity() = std::move(d.record);
    KG_RETURN_IF_ERROR(emit(std::move(r), d.line));
  }
  for (auto* entry : InLineOrder(relations_, line)) {
    auto& [id, d] = *entry;
    if (skipped(d.line)) continue;
    if (d.record.label().empty()) d.record.set_label(id);
    kg::v1::Record r;
    *r.mutable_relation() = std::move(d.record);
    KG_RETURN_IF_ERROR(emit(std::move(r), d.line));
  }
  for (auto* entry : InLineOrder(documents_, line)) {
    auto& [id, d] = *entry;
    if (skipped(d.line)) continue;
    kg::v1::Record r;
    *r.mutable_document() = std::move(d.record);
    KG_RETURN_IF_ERROR(emit(std::move(r), d.line));
  }
  for (auto* entry : InLineOrder(records_, line)) {
    auto& [iri, rec] = *entry;
    if (skipped(rec.line)) continue;
    if (rec.statement.empty() || rec.provenance.document_id().empty() ||
        !rec.has_start || !rec.has_end) {
      return missing(rec.line,
                     absl::StrCat("provenance record <", iri,
                                  "> needs kg:statement, kg:document, "
                                  "kg:evidenceStart and kg:evidenceEnd"));
    }
    auto decl = reifiers_.find(rec.statement);
    if (decl == reifiers_.end()) {
      return missing(rec.line,
                     absl::StrCat("statement <", rec.statement,
                                  "> has no rdf:reifies <<( s p o )>> in the "
                                  "file, so its triple is unknown"));
    }
    kg::v1::Record r;
    kg::v1::StatementInput* in = r.mutable_statement();
    absl::StatusOr<kg::v1::Triple> t = ToTriple(decl->second, 0);
    if (!t.ok()) return missing(rec.line, t.status().message());
    *in->mutable_triple() = *std::move(t);
    *in->add_provenance() = rec.provenance;
    restate_keys_.insert(
        RestateKey(decl->second, rec.provenance.document_id()));
    // N-Triples and Turtle have no graphs: there the triple restates the
    // record from the default graph.
    restate_keys_.insert(RestateKey(decl->second, kAnyDocument));
    KG_RETURN_IF_ERROR(emit(std::move(r), rec.line));
  }
  return absl::OkStatus();
}

std::string RdfImport::RestateKey(const rdf::Triple& t,
                                  const std::string& document) {
  return absl::StrCat(rdf::ToNTriples(t.subject), " ",
                      rdf::ToNTriples(t.predicate), " ",
                      rdf::ToNTriples(t.object), " ", document);
}

absl::StatusOr<kg::v1::Term> RdfImport::ToTerm(const rdf::Term& t,
                                               int depth) const {
  kg::v1::Term out;
  switch (t.kind()) {
    case rdf::Term::Kind::kIri: {
      // A kg statement IRI stands for the triple its reifier declares.
      auto decl = reifiers_.find(t.value());
      if (decl != reifiers_.end()) {
        if (depth > kMaxDepth) {
          return absl::InvalidArgumentError("statements nest too deep");
        }
        KG_ASSIGN_OR_RETURN(*out.mutable_quoted(),
                            ToTriple(decl->second, depth + 1));
      } else {
        out.set_iri(t.value());
      }
      break;
    }
    case rdf::Term::Kind::kBlank:
      out.set_blank_node(t.value());
      break;
    case rdf::Term::Kind::kLiteral: {
      kg::v1::RdfLiteral* l = out.mutable_literal()->mutable_rdf();
      l->set_lexical_form(t.value());
      if (t.language().empty() && t.datatype() != rdf::kXsdString) {
        l->set_datatype(t.datatype());
      }
      l->set_language(t.language());
      if (t.direction() == rdf::Direction::kLtr) {
        l->set_direction(kg::v1::TEXT_DIRECTION_LTR);
      } else if (t.direction() == rdf::Direction::kRtl) {
        l->set_direction(kg::v1::TEXT_DIRECTION_RTL);
      }
      break;
    }
    case rdf::Term::Kind::kTriple:
      if (depth > kMaxDepth) {
        return absl::InvalidArgumentError("triple terms nest too deep");
      }
      KG_ASSIGN_OR_RETURN(*out.mutable_quoted(),
                          ToTriple(t.triple(), depth + 1));
      break;
  }
  return out;
}

absl::StatusOr<kg::v1::Triple> RdfImport::ToTriple(const rdf::Triple& t,
                                                   int depth) const {
  kg::v1::Triple out;
  KG_ASSIGN_OR_RETURN(*out.mutable_subject(), ToTerm(t.subject, depth));
  out.set_relation(t.predicate.value());
  KG_ASSIGN_OR_RETURN(*out.mutable_object(), ToTerm(t.object, depth));
  return out;
}

absl::StatusOr<bool> RdfImport::Data(const rdf::Quad& q, int64_t line,
                                     kg::v1::StatementInput* out,
                                     std::string* new_document) {
  new_document->clear();
  if (Classify(q) != Role::kData) return false;
  const std::string document = DocumentId(q.graph);
  rdf::Triple t{q.subject, q.predicate, q.object};
  if (!q.graph.has_value() &&
      restate_keys_.contains(RestateKey(t, kAnyDocument))) {
    ++restated_;  // a record's triple, written once for RDF tools
    return false;
  }
  if (text_documents_.contains(document)) {
    // The triple restates a record of a text document (export writes it
    // for RDF tools); the record itself carries the statement.
    if (!restate_keys_.contains(RestateKey(t, document))) {
      if (!unbacked_line_) unbacked_line_ = line;
    }
    ++restated_;
    return false;
  }
  out->Clear();
  KG_ASSIGN_OR_RETURN(*out->mutable_triple(), ToTriple(t, 0));
  out->add_provenance()->set_document_id(document);
  // The first triple of a graph the file does not describe: its data
  // document.
  if (!documents_.contains(document) && graphs_.insert(document).second) {
    *new_document = document;
  }
  return true;
}

absl::Status RdfImport::CheckRestated() const {
  if (!unbacked_line_) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "line ", *unbacked_line_,
      ": a triple in the graph of a text document with no provenance record "
      "for it (a text document's statements need evidence: kg:evidence and "
      "its span; docs/rdf.md)"));
}

}  // namespace kg::client
