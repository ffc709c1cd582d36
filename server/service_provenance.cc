// The provenance-query rpcs of KnowledgeGraphService: Why, ListByDocument,
// ListByClaimant, ListContested, GetClaimTimeline, ExportProvenance. Each
// validates, converts, runs a query::ProvenanceEngine over one snapshot and
// converts back.
#include "absl/strings/str_cat.h"
#include "query/provenance.h"
#include "query/provenance_as_of.h"
#include "server/convert.h"
#include "server/grpc_status.h"
#include "server/service.h"
#include "server/unary.h"
#include "storage/status_macros.h"

namespace kg::server {

namespace {

namespace v1 = ::kg::v1;

absl::StatusOr<storage::Term> StatementTermFrom(const v1::Term& term) {
  if (term.kind_case() == v1::Term::KIND_NOT_SET) {
    return absl::InvalidArgumentError("statement: is required");
  }
  return FromProto("statement", term);
}

v1::Polarity PolarityToProto(storage::Polarity p) {
  switch (p) {
    case storage::Polarity::kSupports:
      return v1::POLARITY_SUPPORTS;
    case storage::Polarity::kOpposes:
      return v1::POLARITY_OPPOSES;
    case storage::Polarity::kNone:
      break;
  }
  return v1::POLARITY_NONE;
}

absl::Status ClaimToProto(storage::Reader& reader, const query::Claim& c,
                          bool include_evidence, v1::Claim* out) {
  KG_RETURN_IF_ERROR(ToProto(reader, c.claim, out->mutable_claim()));
  if (c.claimant_entity) {
    ToProto(*c.claimant_entity, out->mutable_claimant()->mutable_entity());
  } else {
    KG_RETURN_IF_ERROR(ToProto(reader, c.claimant, out->mutable_claimant()));
  }
  out->set_relation(c.relation);
  out->set_polarity(PolarityToProto(c.polarity));
  for (const auto& r : c.provenance) {
    ToProto(r, include_evidence, out->add_provenance());
  }
  out->set_about_statement_id(c.about_statement_id);
  out->set_entailment_id(c.entailment_id);
  out->set_affiliation_id(c.affiliation_id);
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* KnowledgeGraphService::Why(
    Ctx* ctx, const v1::WhyRequest* request, v1::WhyResponse* response) {
  return RunUnary(ctx, Admit(ctx, __func__), [&]() -> absl::Status {
    KG_ASSIGN_OR_RETURN(storage::Term statement,
                        StatementTermFrom(request->statement()));
    query::WhyOptions options;
    options.include_evidence =
        !request->has_include_evidence() || request->include_evidence();
    options.include_related = request->include_related();
    options.roll_up_affiliations = request->roll_up_affiliations();
    switch (request->order()) {
      case v1::WhyRequest::ORDER_UNSPECIFIED:
        break;
      case v1::WhyRequest::ORDER_DOCUMENT_DATE:
        options.order = query::WhyOptions::Order::kDocumentDate;
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat(
            "order: unknown value ", static_cast<int>(request->order())));
    }
    KG_ASSIGN_OR_RETURN(options.as_of, TimeTravelFrom(request->as_of()));
    KG_ASSIGN_OR_RETURN(options.page_size, PageSize(request->page_size()));
    options.page_token = request->page_token();
    auto reader = store_->NewReader();
    query::ProvenanceEngine engine(reader.get());
    KG_ASSIGN_OR_RETURN(query::WhyResult why, engine.Why(statement, options));
    KG_RETURN_IF_ERROR(
        ToProto(*reader, why.statement, response->mutable_statement()));
    for (const auto& r : why.provenance) {
      ToProto(r, options.include_evidence, response->add_provenance());
    }
    for (const auto& c : why.supporting) {
      KG_RETURN_IF_ERROR(ClaimToProto(*reader, c, options.include_evidence,
                                      response->add_supporting()));
    }
    for (const auto& c : why.opposing) {
      KG_RETURN_IF_ERROR(ClaimToProto(*reader, c, options.include_evidence,
                                      response->add_opposing()));
    }
    response->set_summary(why.summary);
    response->set_distinct_documents(why.distinct_documents);
    response->set_distinct_claimants(why.distinct_claimants);
    response->set_next_page_token(why.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::ListByDocument(
    Ctx* ctx, const v1::ListByDocumentRequest* request,
    v1::ListByDocumentResponse* response) {
  return RunUnary(ctx, Admit(ctx, __func__), [&]() -> absl::Status {
    query::ListByDocumentOptions options;
    options.include_evidence =
        !request->has_include_evidence() || request->include_evidence();
    KG_ASSIGN_OR_RETURN(options.as_of, TimeTravelFrom(request->as_of()));
    KG_ASSIGN_OR_RETURN(options.page_size, PageSize(request->page_size()));
    options.page_token = request->page_token();
    auto reader = store_->NewReader();
    query::ProvenanceEngine engine(reader.get());
    KG_ASSIGN_OR_RETURN(query::DocumentStatementPage page,
                        engine.ListByDocument(request->document_id(), options));
    for (const auto& ds : page.statements) {
      v1::StatementWithProvenance* out = response->add_statements();
      KG_RETURN_IF_ERROR(
          ToProto(*reader, ds.statement, out->mutable_statement()));
      for (const auto& r : ds.provenance) {
        ToProto(r, options.include_evidence, out->add_provenance());
      }
    }
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::ListByClaimant(
    Ctx* ctx, const v1::ListByClaimantRequest* request,
    v1::ListByClaimantResponse* response) {
  return RunUnary(ctx, Admit(ctx, __func__), [&]() -> absl::Status {
    if (request->claimant().empty()) {
      return absl::InvalidArgumentError("claimant: is required");
    }
    query::ListByClaimantOptions options;
    options.include_affiliates = request->include_affiliates();
    switch (request->polarity()) {
      case v1::POLARITY_UNSPECIFIED:
        break;
      case v1::POLARITY_SUPPORTS:
        options.polarity = storage::Polarity::kSupports;
        break;
      case v1::POLARITY_OPPOSES:
        options.polarity = storage::Polarity::kOpposes;
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat(
            "polarity: must be SUPPORTS, OPPOSES or unspecified, got ",
            request->polarity()));
    }
    options.include_evidence =
        !request->has_include_evidence() || request->include_evidence();
    KG_ASSIGN_OR_RETURN(options.as_of, TimeTravelFrom(request->as_of()));
    KG_ASSIGN_OR_RETURN(options.page_size, PageSize(request->page_size()));
    options.page_token = request->page_token();
    auto reader = store_->NewReader();
    query::ProvenanceEngine engine(reader.get());
    KG_ASSIGN_OR_RETURN(
        query::ClaimPage page,
        engine.ListByClaimant(storage::Term::Entity(request->claimant()),
                              options));
    for (const auto& c : page.claims) {
      KG_RETURN_IF_ERROR(ClaimToProto(*reader, c, options.include_evidence,
                                      response->add_claims()));
    }
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::ListContested(
    Ctx* ctx, const v1::ListContestedRequest* request,
    v1::ListContestedResponse* response) {
  return RunUnary(ctx, Admit(ctx, __func__), [&]() -> absl::Status {
    query::ListContestedOptions options;
    options.roll_up_affiliations = request->roll_up_affiliations();
    options.include_related = request->include_related();
    KG_ASSIGN_OR_RETURN(options.as_of, TimeTravelFrom(request->as_of()));
    KG_ASSIGN_OR_RETURN(options.page_size, PageSize(request->page_size()));
    options.page_token = request->page_token();
    auto reader = store_->NewReader();
    query::ProvenanceEngine engine(reader.get());
    KG_ASSIGN_OR_RETURN(query::ContestedPage page,
                        engine.ListContested(options));
    for (const auto& c : page.statements) {
      v1::ContestedStatement* out = response->add_statements();
      KG_RETURN_IF_ERROR(
          ToProto(*reader, c.statement, out->mutable_statement()));
      out->set_supporting_claimants(c.supporting_claimants);
      out->set_opposing_claimants(c.opposing_claimants);
      out->set_distinct_claimants(c.distinct_claimants);
    }
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::GetClaimTimeline(
    Ctx* ctx, const v1::GetClaimTimelineRequest* request,
    v1::GetClaimTimelineResponse* response) {
  return RunUnary(ctx, Admit(ctx, __func__), [&]() -> absl::Status {
    KG_ASSIGN_OR_RETURN(storage::Term statement,
                        StatementTermFrom(request->statement()));
    query::ClaimTimelineOptions options;
    KG_ASSIGN_OR_RETURN(options.as_of, TimeTravelFrom(request->as_of()));
    options.group_by_claimant = request->group_by_claimant();
    options.roll_up_affiliations = request->roll_up_affiliations();
    options.include_related = request->include_related();
    auto reader = store_->NewReader();
    query::ProvenanceEngine engine(reader.get());
    KG_ASSIGN_OR_RETURN(std::vector<query::TimelineEntry> entries,
                        engine.ClaimTimeline(statement, options));
    for (const auto& e : entries) {
      v1::TimelineEntry* out = response->add_entries();
      if (e.claimant_entity) {
        ToProto(*e.claimant_entity, out->mutable_claimant()->mutable_entity());
      } else {
        KG_RETURN_IF_ERROR(
            ToProto(*reader, e.claimant, out->mutable_claimant()));
      }
      out->set_polarity(PolarityToProto(e.polarity));
      out->set_relation(e.relation);
      out->set_organisation_id(e.organisation_id);
      out->set_affiliation_id(e.affiliation_id);
      out->set_about_statement_id(e.about_statement_id);
      out->set_entailment_id(e.entailment_id);
      ToProto(e.document, out->mutable_document());
      ToProto(e.provenance, true, out->mutable_provenance());
      switch (e.stance) {
        case query::Stance::kStated:
          out->set_stance(v1::STANCE_STATED);
          break;
        case query::Stance::kAsserted:
          out->set_stance(v1::STANCE_ASSERTED);
          break;
        case query::Stance::kDenied:
          out->set_stance(v1::STANCE_DENIED);
          break;
        case query::Stance::kUnconfirmed:
          out->set_stance(v1::STANCE_UNCONFIRMED);
          break;
      }
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* KnowledgeGraphService::ExportProvenance(
    Ctx* ctx, const v1::ExportProvenanceRequest* request,
    v1::ExportProvenanceResponse* response) {
  return RunUnary(ctx, Admit(ctx, __func__), [&]() -> absl::Status {
    KG_ASSIGN_OR_RETURN(storage::Term statement,
                        StatementTermFrom(request->statement()));
    query::ExportProvenanceOptions options;
    switch (request->format()) {
      case v1::PROVENANCE_FORMAT_UNSPECIFIED:
      case v1::PROVENANCE_FORMAT_PROV_O_NTRIPLES:
        options.format = query::ProvenanceFormat::kProvONTriples;
        break;
      case v1::PROVENANCE_FORMAT_PROV_O_JSONLD:
        options.format = query::ProvenanceFormat::kProvOJsonLd;
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("format: unknown value ", request->format()));
    }
    auto reader = store_->NewReader();
    query::ProvenanceEngine engine(reader.get());
    KG_ASSIGN_OR_RETURN(query::ProvenanceExport out,
                        engine.ExportProvenance(statement, options));
    response->set_content(out.content);
    response->set_media_type(out.media_type);
    return absl::OkStatus();
  });
}

}  // namespace kg::server
