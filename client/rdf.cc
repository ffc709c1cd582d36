#include "client/rdf.h"

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/format.h"

namespace kg::client::rdf {

namespace {

constexpr int kMaxDepth = 8;

std::string Rdf(absl::string_view local) { return absl::StrCat(kRdf, local); }
std::string Ns(absl::string_view local) { return absl::StrCat(kNs, local); }
std::string Xsd(absl::string_view local) { return absl::StrCat(kXsd, local); }

std::string Escape(absl::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04X",
                        static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string NodeNt(const kg::v1::Node& n) {
  switch (n.kind_case()) {
    case kg::v1::Node::kEntity:
      return Iri(absl::StrCat(kEntity, n.entity().id()));
    case kg::v1::Node::kLiteral:
      return KgLiteral(n.literal());
    case kg::v1::Node::kStatementId:
      return Iri(absl::StrCat(kStatement, n.statement_id()));
    default:
      return Literal("", "");
  }
}

std::string HedgeLocal(kg::v1::Hedge h) { return HedgeName(h); }

std::string Key(const Term& t) {
  switch (t.kind) {
    case Term::Kind::kIri:
      return t.value;
    case Term::Kind::kBlank:
      return absl::StrCat("_:", t.value);
    default:
      return "";
  }
}

bool IsIriUnder(const Term& t, absl::string_view base, std::string* rest) {
  if (t.kind != Term::Kind::kIri || !absl::StartsWith(t.value, base)) {
    return false;
  }
  if (rest != nullptr) *rest = t.value.substr(base.size());
  return true;
}

bool IsIri(const Term& t, absl::string_view iri) {
  return t.kind == Term::Kind::kIri && t.value == iri;
}

bool IsDateType(absl::string_view datatype) {
  return datatype == Xsd("date") || datatype == Xsd("gYearMonth") ||
         datatype == Xsd("gYear");
}

// The lexical form of a literal term; false for non-literals.
bool LiteralText(const Term& t, std::string* out) {
  if (t.kind != Term::Kind::kLiteral) return false;
  *out = t.value;
  return true;
}

absl::Status LiteralOf(const Term& t, kg::v1::Literal* out) {
  const std::string& dt = t.datatype;
  if (dt.empty() || dt == Xsd("string") || dt == Rdf("langString")) {
    out->set_string_value(t.value);
  } else if (dt == Xsd("integer") || dt == Xsd("long") || dt == Xsd("int")) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(t.value, &v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", t.value, "' is not a 64-bit xsd:integer"));
    }
    out->set_integer_value(v);
  } else if (dt == Xsd("decimal")) {
    out->set_decimal_value(t.value);
  } else if (IsDateType(dt)) {
    out->set_date_value(t.value);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported literal datatype <", dt,
                     "> (kg has xsd:string, xsd:integer, xsd:decimal, "
                     "xsd:date, xsd:gYearMonth, xsd:gYear)"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string Iri(absl::string_view iri) { return absl::StrCat("<", iri, ">"); }

std::string Literal(absl::string_view lexical, absl::string_view datatype) {
  std::string out = absl::StrCat("\"", Escape(lexical), "\"");
  if (!datatype.empty()) absl::StrAppend(&out, "^^", Iri(datatype));
  return out;
}

std::string DateLiteral(absl::string_view date) {
  const char* type = date.size() == 4   ? "gYear"
                     : date.size() == 7 ? "gYearMonth"
                                        : "date";
  return Literal(date, Xsd(type));
}

std::string KgLiteral(const kg::v1::Literal& l) {
  switch (l.value_case()) {
    case kg::v1::Literal::kIntegerValue:
      return Literal(absl::StrCat(l.integer_value()), Xsd("integer"));
    case kg::v1::Literal::kDecimalValue:
      return Literal(l.decimal_value(), Xsd("decimal"));
    case kg::v1::Literal::kDateValue:
      return DateLiteral(l.date_value());
    default:
      return Literal(l.string_value(), Xsd("string"));
  }
}

// ---- Writer ----

void Writer::Line(absl::string_view s, absl::string_view p, absl::string_view o,
                  absl::string_view graph) {
  absl::StrAppend(out_, s, " ", p, " ", o);
  if (quads_ && !graph.empty()) absl::StrAppend(out_, " ", graph);
  absl::StrAppend(out_, " .\n");
}

void Writer::Entity(const kg::v1::Entity& e) {
  const std::string s = Iri(absl::StrCat(kEntity, e.id()));
  Line(s, Iri(Rdf("type")), Iri(absl::StrCat(kType, e.type())));
  Line(s, Iri(absl::StrCat(kRdfs, "label")), Literal(e.label(), ""));
  for (const auto& a : e.aliases()) {
    Line(s, Iri(absl::StrCat(kSkos, "altLabel")), Literal(a, ""));
  }
}

void Writer::Relation(const kg::v1::Relation& r) {
  const std::string s = Iri(absl::StrCat(kRelation, r.id()));
  Line(s, Iri(Rdf("type")), Iri(Rdf("Property")));
  Line(s, Iri(absl::StrCat(kRdfs, "label")), Literal(r.label(), ""));
  if (r.symmetric()) {
    Line(s, Iri(Ns("symmetric")), Literal("true", Xsd("boolean")));
  }
  if (r.polarity() == kg::v1::POLARITY_SUPPORTS ||
      r.polarity() == kg::v1::POLARITY_OPPOSES) {
    Line(s, Iri(Ns("polarity")), Iri(Ns(PolarityName(r.polarity()))));
  }
}

void Writer::Document(const kg::v1::Document& d) {
  const std::string s = Iri(absl::StrCat(kDocument, d.id()));
  Line(s, Iri(absl::StrCat(kDcterms, "title")), Literal(d.title(), ""));
  if (!d.publisher().empty()) {
    Line(s, Iri(absl::StrCat(kDcterms, "publisher")),
         Literal(d.publisher(), ""));
  }
  if (!d.published().empty()) {
    Line(s, Iri(absl::StrCat(kDcterms, "date")), DateLiteral(d.published()));
  }
  Line(s, Iri(Ns("text")), Literal(d.text(), ""));
}

absl::Status Writer::Reify(const kg::v1::Statement& s,
                           const StatementLookup& lookup, int depth,
                           absl::flat_hash_set<std::string>* done) {
  if (!done->insert(s.id()).second) return absl::OkStatus();
  if (depth > kMaxDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat("statement ", s.id(), " nests too deep"));
  }
  for (const kg::v1::Node* n : {&s.subject(), &s.object()}) {
    if (!n->has_statement_id()) continue;
    const kg::v1::Statement* q = lookup(n->statement_id());
    if (q == nullptr) {
      return absl::NotFoundError(absl::StrCat("quoted statement ",
                                              n->statement_id(), " of ", s.id(),
                                              " could not be read"));
    }
    absl::Status st = Reify(*q, lookup, depth + 1, done);
    if (!st.ok()) return st;
  }
  const std::string id = Iri(absl::StrCat(kStatement, s.id()));
  Line(id, Iri(Rdf("type")), Iri(Rdf("Statement")));
  Line(id, Iri(Rdf("subject")), NodeNt(s.subject()));
  Line(id, Iri(Rdf("predicate")), Iri(absl::StrCat(kRelation, s.relation())));
  Line(id, Iri(Rdf("object")), NodeNt(s.object()));
  return absl::OkStatus();
}

absl::Status Writer::Statement(
    const kg::v1::Statement& s,
    const std::vector<kg::v1::Provenance>& provenance,
    const StatementLookup& lookup) {
  absl::flat_hash_set<std::string> done;
  absl::Status st = Reify(s, lookup, 0, &done);
  if (!st.ok()) return st;
  const std::string plain_s = NodeNt(s.subject());
  const std::string plain_p = Iri(absl::StrCat(kRelation, s.relation()));
  const std::string plain_o = NodeNt(s.object());
  const std::string statement = Iri(absl::StrCat(kStatement, s.id()));
  if (!quads_) Line(plain_s, plain_p, plain_o);
  std::string last_document;
  for (const kg::v1::Provenance& p : provenance) {
    const std::string graph = Iri(absl::StrCat(kDocument, p.document_id()));
    if (quads_ && p.document_id() != last_document) {
      Line(plain_s, plain_p, plain_o, graph);
      last_document = p.document_id();
    }
    const std::string r =
        Iri(absl::StrCat(kProvenance, s.id(), "/", p.document_id(), "/",
                         p.evidence_start(), "-", p.evidence_end()));
    Line(r, Iri(Ns("statement")), statement, graph);
    Line(r, Iri(Ns("document")), graph, graph);
    Line(r, Iri(Ns("evidenceStart")),
         Literal(absl::StrCat(p.evidence_start()), Xsd("integer")), graph);
    Line(r, Iri(Ns("evidenceEnd")),
         Literal(absl::StrCat(p.evidence_end()), Xsd("integer")), graph);
    Line(r, Iri(Ns("evidence")), Literal(p.evidence(), ""), graph);
    if (!HedgeLocal(p.hedge()).empty()) {
      Line(r, Iri(Ns("hedge")), Iri(Ns(HedgeLocal(p.hedge()))), graph);
    }
    if (p.has_confidence()) {
      Line(r, Iri(Ns("confidence")),
           Literal(FormatDouble(p.confidence()), Xsd("decimal")), graph);
    }
    if (!p.valid_time().start().empty()) {
      Line(r, Iri(Ns("validFrom")), DateLiteral(p.valid_time().start()), graph);
    }
    if (!p.valid_time().end().empty()) {
      Line(r, Iri(Ns("validTo")), DateLiteral(p.valid_time().end()), graph);
    }
  }
  return absl::OkStatus();
}

// ---- RecordBuilder ----

void RecordBuilder::Add(const Term& s, const Term& p, const Term& o,
                        const Term* graph, int64_t line,
                        std::vector<Item>* out) {
  GroupKind kind = GroupKind::kNone;
  std::string rest;
  std::string error;
  bool reification = false;
  if (IsIriUnder(p, kRelation, nullptr)) {
    ++plain_triples_;
    if (s.kind == Term::Kind::kLiteral) error = "a literal cannot be a subject";
  } else if ((IsIri(p, Rdf("type")) && IsIri(o, Rdf("Statement"))) ||
             IsIri(p, Rdf("subject")) || IsIri(p, Rdf("predicate")) ||
             IsIri(p, Rdf("object"))) {
    reification = true;
  } else if (IsIriUnder(s, kEntity, nullptr)) {
    kind = GroupKind::kEntity;
  } else if (IsIriUnder(s, kRelation, nullptr)) {
    kind = GroupKind::kRelation;
  } else if (IsIriUnder(p, kNs, &rest) &&
             (rest == "statement" || rest == "document" ||
              rest == "evidenceStart" || rest == "evidenceEnd" ||
              rest == "evidence" || rest == "hedge" || rest == "confidence" ||
              rest == "validFrom" || rest == "validTo")) {
    kind = GroupKind::kProvenance;
  } else if (IsIriUnder(s, kDocument, nullptr)) {
    kind = GroupKind::kDocument;
  } else {
    error = absl::StrCat("triple outside kg's RDF mapping (predicate <",
                         p.value, ">; see docs/cli.md)");
  }
  const std::string key = Key(s);
  if (kind_ != GroupKind::kNone && (kind != kind_ || key != subject_)) {
    Close(out);
  }
  if (!error.empty()) {
    out->push_back(Item{line, std::nullopt, std::move(error)});
    return;
  }
  if (reification) {
    if (record_since_clear_) {
      reified_.clear();
      record_since_clear_ = false;
    }
    Reified& r = reified_[key];
    if (IsIri(p, Rdf("subject"))) r.subject = o;
    if (IsIri(p, Rdf("object"))) r.object = o;
    if (IsIri(p, Rdf("predicate"))) {
      if (!IsIriUnder(o, kRelation, &rest)) {
        out->push_back(Item{
            line, std::nullopt,
            absl::StrCat("rdf:predicate <", o.value,
                         "> is not a kg relation IRI (", kRelation, "<id>)")});
        return;
      }
      r.relation = rest;
    }
    return;
  }
  if (kind == GroupKind::kNone) return;
  if (kind_ == GroupKind::kNone) {
    kind_ = kind;
    subject_ = key;
    first_line_ = line;
    error_.clear();
    record_.Clear();
    statement_key_.clear();
    graph_document_.clear();
    switch (kind) {
      case GroupKind::kEntity:
        IsIriUnder(s, kEntity, &rest);
        record_.mutable_entity()->set_id(rest);
        break;
      case GroupKind::kRelation:
        IsIriUnder(s, kRelation, &rest);
        record_.mutable_relation()->set_id(rest);
        record_.mutable_relation()->set_polarity(kg::v1::POLARITY_NONE);
        break;
      case GroupKind::kDocument:
        IsIriUnder(s, kDocument, &rest);
        record_.mutable_document()->set_id(rest);
        break;
      default:
        record_.mutable_statement()->add_provenance();
        break;
    }
  }
  if (graph != nullptr && IsIriUnder(*graph, kDocument, &rest)) {
    graph_document_ = rest;
  }
  if (error_.empty()) GroupTriple(p, o, graph);
}

void RecordBuilder::GroupTriple(const Term& p, const Term& o, const Term*) {
  std::string text;
  std::string rest;
  auto bad = [&](absl::string_view what) {
    error_ = absl::StrCat("<", p.value, ">: ", what);
  };
  switch (kind_) {
    case GroupKind::kEntity: {
      kg::v1::Entity* e = record_.mutable_entity();
      if (IsIri(p, Rdf("type"))) {
        if (!IsIriUnder(o, kType, &rest)) {
          return bad(absl::StrCat("the type must be an IRI under ", kType));
        }
        e->set_type(rest);
      } else if (IsIri(p, absl::StrCat(kRdfs, "label"))) {
        if (!LiteralText(o, &text)) return bad("must be a literal");
        e->set_label(text);
      } else if (IsIri(p, absl::StrCat(kSkos, "altLabel"))) {
        if (!LiteralText(o, &text)) return bad("must be a literal");
        e->add_aliases(text);
      } else {
        bad("not a property of a kg entity (rdf:type, rdfs:label, "
            "skos:altLabel)");
      }
      return;
    }
    case GroupKind::kRelation: {
      kg::v1::Relation* r = record_.mutable_relation();
      if (IsIri(p, Rdf("type"))) {
        if (!IsIri(o, Rdf("Property"))) return bad("must be rdf:Property");
      } else if (IsIri(p, absl::StrCat(kRdfs, "label"))) {
        if (!LiteralText(o, &text)) return bad("must be a literal");
        r->set_label(text);
      } else if (IsIri(p, Ns("symmetric"))) {
        if (!LiteralText(o, &text)) return bad("must be a literal");
        r->set_symmetric(text == "true" || text == "1");
      } else if (IsIri(p, Ns("polarity"))) {
        if (IsIri(o, Ns("supports"))) {
          r->set_polarity(kg::v1::POLARITY_SUPPORTS);
        } else if (IsIri(o, Ns("opposes"))) {
          r->set_polarity(kg::v1::POLARITY_OPPOSES);
        } else if (IsIri(o, Ns("none"))) {
          r->set_polarity(kg::v1::POLARITY_NONE);
        } else {
          bad("must be kg:supports, kg:opposes or kg:none");
        }
      } else {
        bad("not a property of a kg relation (rdfs:label, kg:symmetric, "
            "kg:polarity)");
      }
      return;
    }
    case GroupKind::kDocument: {
      kg::v1::Document* d = record_.mutable_document();
      if (!LiteralText(o, &text)) return bad("must be a literal");
      if (IsIri(p, absl::StrCat(kDcterms, "title"))) {
        d->set_title(text);
      } else if (IsIri(p, absl::StrCat(kDcterms, "publisher"))) {
        d->set_publisher(text);
      } else if (IsIri(p, absl::StrCat(kDcterms, "date"))) {
        d->set_published(text);
      } else if (IsIri(p, Ns("text"))) {
        d->set_text(text);
      } else {
        bad("not a property of a kg document (dcterms:title, "
            "dcterms:publisher, dcterms:date, kg:text)");
      }
      return;
    }
    case GroupKind::kProvenance: {
      kg::v1::Provenance* pr =
          record_.mutable_statement()->mutable_provenance(0);
      IsIriUnder(p, kNs, &rest);
      if (rest == "statement") {
        if (o.kind == Term::Kind::kLiteral) return bad("must be an IRI");
        statement_key_ = Key(o);
      } else if (rest == "document") {
        if (!IsIriUnder(o, kDocument, &text)) {
          return bad(absl::StrCat("must be an IRI under ", kDocument));
        }
        pr->set_document_id(text);
      } else if (rest == "evidenceStart" || rest == "evidenceEnd") {
        uint32_t v = 0;
        if (!LiteralText(o, &text) || !absl::SimpleAtoi(text, &v)) {
          return bad("must be a non-negative integer");
        }
        if (rest == "evidenceStart") {
          pr->set_evidence_start(v);
        } else {
          pr->set_evidence_end(v);
        }
      } else if (rest == "evidence") {
        if (!LiteralText(o, &text)) return bad("must be a literal");
        pr->set_evidence(text);
      } else if (rest == "hedge") {
        std::string h;
        IsIriUnder(o, kNs, &h);
        kg::v1::Hedge value = kg::v1::HEDGE_UNSPECIFIED;
        for (int i = kg::v1::HEDGE_ASSERTED; i <= kg::v1::HEDGE_UNCONFIRMED;
             ++i) {
          if (HedgeName(static_cast<kg::v1::Hedge>(i)) == h) {
            value = static_cast<kg::v1::Hedge>(i);
          }
        }
        if (value == kg::v1::HEDGE_UNSPECIFIED) {
          return bad(
              "must be kg:asserted, kg:believed, kg:reportedly, "
              "kg:plausible or kg:unconfirmed");
        }
        pr->set_hedge(value);
      } else if (rest == "confidence") {
        double v = 0;
        if (!LiteralText(o, &text) || !absl::SimpleAtod(text, &v)) {
          return bad("must be a decimal number");
        }
        pr->set_confidence(v);
      } else if (rest == "validFrom" || rest == "validTo") {
        if (!LiteralText(o, &text)) return bad("must be a date literal");
        if (rest == "validFrom") {
          pr->mutable_valid_time()->set_start(text);
        } else {
          pr->mutable_valid_time()->set_end(text);
        }
      }
      return;
    }
    case GroupKind::kNone:
      return;
  }
}

absl::Status RecordBuilder::ToKgTerm(const Term& t, int depth,
                                     kg::v1::Term* out) const {
  std::string rest;
  if (t.kind == Term::Kind::kLiteral) {
    return LiteralOf(t, out->mutable_literal());
  }
  if (IsIriUnder(t, kEntity, &rest)) {
    out->set_entity(rest);
    return absl::OkStatus();
  }
  const std::string key = Key(t);
  if (reified_.contains(key)) {
    return ToTriple(key, depth + 1, out->mutable_quoted());
  }
  if (IsIriUnder(t, kStatement, &rest)) {
    // Not described here: the server may know it by id.
    out->set_statement_id(rest);
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("<", t.value, "> is neither a kg entity (", kEntity,
                   "<id>) nor a described statement"));
}

absl::Status RecordBuilder::ToTriple(const std::string& key, int depth,
                                     kg::v1::Triple* out) const {
  if (depth > kMaxDepth) {
    return absl::InvalidArgumentError(
        "quoted statements nest more than 8 levels");
  }
  auto it = reified_.find(key);
  if (it == reified_.end() || !it->second.subject.has_value() ||
      !it->second.object.has_value() || it->second.relation.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "statement ", key,
        " is not described (rdf:subject, rdf:predicate, rdf:object) in the "
        "block before its record"));
  }
  const Reified& r = it->second;
  absl::Status s = ToKgTerm(*r.subject, depth, out->mutable_subject());
  if (!s.ok()) return s;
  out->set_relation(r.relation);
  return ToKgTerm(*r.object, depth, out->mutable_object());
}

void RecordBuilder::Close(std::vector<Item>* out) {
  const GroupKind kind = kind_;
  kind_ = GroupKind::kNone;
  if (!error_.empty()) {
    out->push_back(Item{first_line_, std::nullopt, error_});
    return;
  }
  if (kind == GroupKind::kProvenance) {
    kg::v1::StatementInput* in = record_.mutable_statement();
    if (in->provenance(0).document_id().empty()) {
      in->mutable_provenance(0)->set_document_id(graph_document_);
    }
    if (statement_key_.empty()) {
      out->push_back(Item{first_line_, std::nullopt,
                          absl::StrCat("provenance record ", subject_,
                                       " has no kg:statement")});
      return;
    }
    absl::Status s = ToTriple(statement_key_, 0, in->mutable_triple());
    record_since_clear_ = true;
    if (!s.ok()) {
      out->push_back(Item{first_line_, std::nullopt, std::string(s.message())});
      return;
    }
  }
  out->push_back(Item{first_line_, std::move(record_), ""});
  record_.Clear();
}

void RecordBuilder::Finish(std::vector<Item>* out) {
  if (kind_ != GroupKind::kNone) Close(out);
}

}  // namespace kg::client::rdf
