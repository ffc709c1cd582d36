#include "server/convert.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/echo.h"
#include "google/protobuf/util/time_util.h"
#include "storage/status_macros.h"

namespace kg::server {

namespace {

using google::protobuf::util::TimeUtil;

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

}  // namespace

absl::StatusOr<std::optional<storage::Date>> ParseDateField(
    absl::string_view field, absl::string_view text) {
  if (text.empty()) return std::optional<storage::Date>();
  std::optional<storage::Date> d = storage::ParseDate(text);
  if (!d) {
    return Invalid(field, absl::StrCat("\"", EchoEscaped(text),
                                       "\" is not a date (YYYY, YYYY-MM or "
                                       "YYYY-MM-DD)"));
  }
  return d;
}

storage::Entity FromProto(const kg::v1::Entity& e) {
  return storage::Entity{
      e.id(), e.label(), e.type(), {e.aliases().begin(), e.aliases().end()}};
}

absl::StatusOr<storage::Relation> FromProto(absl::string_view field,
                                            const kg::v1::Relation& r) {
  storage::Relation out{r.id(), r.label(), r.symmetric(),
                        storage::Polarity::kNone};
  switch (r.polarity()) {
    case kg::v1::POLARITY_UNSPECIFIED:
    case kg::v1::POLARITY_NONE:
      break;
    case kg::v1::POLARITY_SUPPORTS:
      out.polarity = storage::Polarity::kSupports;
      break;
    case kg::v1::POLARITY_OPPOSES:
      out.polarity = storage::Polarity::kOpposes;
      break;
    default:
      return Invalid(absl::StrCat(field, ".polarity"),
                     absl::StrCat("unknown value ", r.polarity()));
  }
  return out;
}

absl::StatusOr<storage::Document> FromProto(absl::string_view field,
                                            const kg::v1::Document& d) {
  KG_ASSIGN_OR_RETURN(
      std::optional<storage::Date> published,
      ParseDateField(absl::StrCat(field, ".published"), d.published()));
  return storage::Document{d.id(), d.title(), d.publisher(), published,
                           d.text()};
}

absl::StatusOr<storage::Term> FromProto(absl::string_view field,
                                        const kg::v1::Term& t) {
  switch (t.kind_case()) {
    case kg::v1::Term::kEntity:
      if (t.entity().empty()) {
        return Invalid(absl::StrCat(field, ".entity"), "must not be empty");
      }
      return storage::Term::Entity(t.entity());
    case kg::v1::Term::kStatementId:
      return storage::Term::StatementId(t.statement_id());
    case kg::v1::Term::kQuoted: {
      KG_ASSIGN_OR_RETURN(
          storage::Triple triple,
          FromProto(absl::StrCat(field, ".quoted"), t.quoted()));
      return storage::Term::Quoted(std::move(triple));
    }
    case kg::v1::Term::kLiteral: {
      const kg::v1::Literal& l = t.literal();
      const std::string lf = absl::StrCat(field, ".literal");
      switch (l.value_case()) {
        case kg::v1::Literal::kStringValue:
          // An empty string states nothing, and is nearly always a value
          // left out by mistake; RDF's "" goes through `rdf`.
          if (l.string_value().empty()) {
            return absl::InvalidArgumentError(absl::StrCat(
                lf,
                ".string_value: is empty (an empty string says nothing; "
                "to store RDF's empty literal on purpose, send it as "
                "literal.rdf with an empty lexical_form)"));
          }
          return storage::Term::Literal(storage::LiteralType::kString,
                                        l.string_value());
        case kg::v1::Literal::kIntegerValue:
          return storage::Term::Literal(storage::LiteralType::kInteger,
                                        absl::StrCat(l.integer_value()));
        case kg::v1::Literal::kDecimalValue:
          return storage::Term::Literal(storage::LiteralType::kDecimal,
                                        l.decimal_value());
        case kg::v1::Literal::kDateValue:
          return storage::Term::Literal(storage::LiteralType::kDate,
                                        l.date_value());
        case kg::v1::Literal::kRdf: {
          const kg::v1::RdfLiteral& r = l.rdf();
          storage::LiteralDirection direction =
              storage::LiteralDirection::kNone;
          switch (r.direction()) {
            case kg::v1::TEXT_DIRECTION_UNSPECIFIED:
              break;
            case kg::v1::TEXT_DIRECTION_LTR:
              direction = storage::LiteralDirection::kLtr;
              break;
            case kg::v1::TEXT_DIRECTION_RTL:
              direction = storage::LiteralDirection::kRtl;
              break;
            default:
              return Invalid(absl::StrCat(lf, ".rdf.direction"),
                             absl::StrCat("unknown value ", r.direction()));
          }
          return storage::Term::RdfLiteral(r.lexical_form(), r.datatype(),
                                           r.language(), direction);
        }
        case kg::v1::Literal::VALUE_NOT_SET:
          return Invalid(lf, "no value set");
      }
      return Invalid(lf, "unknown value kind");
    }
    case kg::v1::Term::kIri:
      if (t.iri().empty()) {
        return Invalid(absl::StrCat(field, ".iri"), "must not be empty");
      }
      return storage::Term::Iri(t.iri());
    case kg::v1::Term::kBlankNode:
      if (t.blank_node().empty()) {
        return Invalid(absl::StrCat(field, ".blank_node"), "must not be empty");
      }
      return storage::Term::Blank(t.blank_node());
    case kg::v1::Term::KIND_NOT_SET:
      return Invalid(field,
                     "is required (entity, iri, blank_node, literal, quoted "
                     "or statement_id)");
  }
  return Invalid(field, "unknown kind");
}

absl::StatusOr<storage::Triple> FromProto(absl::string_view field,
                                          const kg::v1::Triple& t) {
  storage::Triple out;
  KG_ASSIGN_OR_RETURN(out.subject,
                      FromProto(absl::StrCat(field, ".subject"), t.subject()));
  if (t.relation().empty()) {
    return Invalid(absl::StrCat(field, ".relation"), "is required");
  }
  out.relation = t.relation();
  KG_ASSIGN_OR_RETURN(out.object,
                      FromProto(absl::StrCat(field, ".object"), t.object()));
  return out;
}

absl::StatusOr<storage::ProvenanceInput> FromProto(
    absl::string_view field, const kg::v1::Provenance& p) {
  storage::ProvenanceInput out;
  out.document_id = p.document_id();
  out.evidence_start = p.evidence_start();
  out.evidence_end = p.evidence_end();
  out.evidence = p.evidence();
  const int hedge = p.hedge();
  if (hedge < 0 || hedge > 5) {
    return Invalid(absl::StrCat(field, ".hedge"),
                   absl::StrCat("unknown value ", hedge));
  }
  out.hedge = hedge == 0 ? storage::Hedge::kAsserted
                         : static_cast<storage::Hedge>(hedge);
  out.confidence = p.has_confidence() ? p.confidence() : 1.0;
  // -0.0 is 0 (the JSON mapping does not keep the sign of zero, so an
  // exported record would come back as another record).
  if (out.confidence == 0) out.confidence = 0;
  KG_ASSIGN_OR_RETURN(out.valid_time.start,
                      ParseDateField(absl::StrCat(field, ".valid_time.start"),
                                     p.valid_time().start()));
  KG_ASSIGN_OR_RETURN(out.valid_time.end,
                      ParseDateField(absl::StrCat(field, ".valid_time.end"),
                                     p.valid_time().end()));
  return out;
}

void ToProto(const storage::Entity& e, kg::v1::Entity* out) {
  out->set_id(e.id);
  out->set_label(e.label);
  out->set_type(e.type);
  for (const auto& a : e.aliases) out->add_aliases(a);
}

void ToProto(const storage::EntityVersion& v, kg::v1::EntityVersion* out) {
  ToProto(v.entity, out->mutable_entity());
  if (v.since != absl::InfinitePast()) {
    *out->mutable_since() = ToTimestamp(v.since);
  }
  switch (v.state) {
    case storage::EntityVersion::State::kLive:
      out->set_state(kg::v1::EntityVersion::STATE_LIVE);
      break;
    case storage::EntityVersion::State::kMerged:
      out->set_state(kg::v1::EntityVersion::STATE_MERGED);
      out->set_merged_into(v.merged_into);
      break;
    case storage::EntityVersion::State::kDeleted:
      out->set_state(kg::v1::EntityVersion::STATE_DELETED);
      break;
  }
}

void ToProto(const storage::Relation& r, kg::v1::Relation* out) {
  out->set_id(r.id);
  out->set_label(r.label);
  out->set_symmetric(r.symmetric);
  switch (r.polarity) {
    case storage::Polarity::kNone:
      out->set_polarity(kg::v1::POLARITY_NONE);
      break;
    case storage::Polarity::kSupports:
      out->set_polarity(kg::v1::POLARITY_SUPPORTS);
      break;
    case storage::Polarity::kOpposes:
      out->set_polarity(kg::v1::POLARITY_OPPOSES);
      break;
  }
}

void ToProto(const storage::Document& d, kg::v1::Document* out) {
  out->set_id(d.id);
  out->set_title(d.title);
  out->set_publisher(d.publisher);
  if (d.published) out->set_published(d.published->ToString());
  out->set_text(d.text);
}

void ToProto(const storage::Literal& l, kg::v1::Literal* out) {
  switch (l.type) {
    case storage::LiteralType::kTyped:
    case storage::LiteralType::kLangString: {
      kg::v1::RdfLiteral* r = out->mutable_rdf();
      r->set_lexical_form(l.lexical);
      r->set_datatype(l.datatype);
      r->set_language(l.language);
      r->set_direction(l.direction == storage::LiteralDirection::kLtr
                           ? kg::v1::TEXT_DIRECTION_LTR
                       : l.direction == storage::LiteralDirection::kRtl
                           ? kg::v1::TEXT_DIRECTION_RTL
                           : kg::v1::TEXT_DIRECTION_UNSPECIFIED);
      break;
    }
    case storage::LiteralType::kString:
      out->set_string_value(l.lexical);
      break;
    case storage::LiteralType::kInteger: {
      int64_t v = 0;
      (void)absl::SimpleAtoi(l.lexical, &v);  // canonical on write
      out->set_integer_value(v);
      break;
    }
    case storage::LiteralType::kDecimal:
      out->set_decimal_value(l.lexical);
      break;
    case storage::LiteralType::kDate:
      out->set_date_value(l.lexical);
      break;
  }
}

void ToProto(const storage::ProvenanceRecord& r, bool include_evidence,
             kg::v1::Provenance* out) {
  out->set_statement_id(r.statement_id);
  out->set_document_id(r.input.document_id);
  out->set_evidence_start(r.input.evidence_start);
  out->set_evidence_end(r.input.evidence_end);
  if (include_evidence) out->set_evidence(r.input.evidence);
  out->set_hedge(static_cast<kg::v1::Hedge>(r.input.hedge));
  out->set_confidence(r.input.confidence);
  if (r.input.valid_time.start) {
    out->mutable_valid_time()->set_start(r.input.valid_time.start->ToString());
  }
  if (r.input.valid_time.end) {
    out->mutable_valid_time()->set_end(r.input.valid_time.end->ToString());
  }
  *out->mutable_recorded_at() = ToTimestamp(r.recorded_at);
  if (r.retracted_at)
    *out->mutable_retracted_at() = ToTimestamp(*r.retracted_at);
}

void ToProto(const storage::VerifyReport& r, kg::v1::VerifyStoreResponse* out) {
  out->set_ok(r.ok());
  kg::v1::VerifyCounts* c = out->mutable_checked();
  c->set_terms(r.terms);
  c->set_entities(r.entities);
  c->set_names(r.names);
  c->set_relations(r.relations);
  c->set_documents(r.documents);
  c->set_statements(r.statements);
  c->set_index_entries(r.index_entries);
  c->set_provenance_records(r.provenance_records);
  c->set_document_provenance(r.document_provenance);
  for (const std::string& p : r.problems) out->add_problems(p);
  out->set_problems_total(r.problems_total);
  if (r.ok()) out->set_content_sha256(r.content_sha256);
}

void ToProto(const storage::StoreStats& s, kg::v1::Stats* out) {
  out->set_entities(s.entities);
  out->set_relations(s.relations);
  out->set_documents(s.documents);
  out->set_statements(s.statements);
  out->set_provenance_records(s.provenance_records);
  out->set_terms(s.terms);
  out->set_bytes_on_disk(s.bytes_on_disk);
  out->set_memtable_bytes(s.memtable_bytes);
  out->set_block_cache_bytes(s.block_cache_bytes);
}

void ToProto(const storage::WriteResult& r,
             kg::v1::WriteStatementsResponse* out) {
  for (const auto& id : r.statement_ids) out->add_statement_ids(id);
  out->set_statements_created(r.statements_created);
  out->set_provenance_added(r.provenance_added);
  out->set_provenance_unchanged(r.provenance_unchanged);
}

absl::Status ToProto(storage::Reader& reader, const storage::TermValue& t,
                     kg::v1::Node* out) {
  switch (t.kind) {
    case storage::Term::Kind::kEntity: {
      KG_ASSIGN_OR_RETURN(storage::Entity e, reader.GetEntity(t.id));
      ToProto(e, out->mutable_entity());
      return absl::OkStatus();
    }
    case storage::Term::Kind::kLiteral:
      ToProto(t.literal, out->mutable_literal());
      return absl::OkStatus();
    case storage::Term::Kind::kStatement:
      out->set_statement_id(t.id);
      return absl::OkStatus();
    case storage::Term::Kind::kIri:
      out->set_iri(t.id);
      return absl::OkStatus();
    case storage::Term::Kind::kBlank:
      out->set_blank_node(t.id);
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status ToProto(storage::Reader& reader, const storage::Statement& s,
                     kg::v1::Statement* out) {
  out->set_id(s.id);
  KG_RETURN_IF_ERROR(ToProto(reader, s.subject, out->mutable_subject()));
  out->set_relation(s.relation);
  KG_RETURN_IF_ERROR(ToProto(reader, s.object, out->mutable_object()));
  out->set_live_provenance(s.live_provenance);
  out->set_quoted_by(s.quoted_by);
  return absl::OkStatus();
}

absl::StatusOr<query::TimeTravel> TimeTravelFrom(const kg::v1::AsOf& as_of) {
  query::TimeTravel t;
  if (as_of.has_recorded_at()) {
    KG_ASSIGN_OR_RETURN(t.recorded_at,
                        query::TimeFromTimestamp("as_of.recorded_at",
                                                 as_of.recorded_at().seconds(),
                                                 as_of.recorded_at().nanos()));
  }
  t.reported_by = as_of.reported_by();
  return t;
}

}  // namespace kg::server
