#include "client/exporter.h"

#include <algorithm>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace kg::client {

namespace {

// Pages of this many statements; with provenance and evidence a page stays
// well under the channel's message limit.
constexpr int kStatementPage = 500;
constexpr int kPage = 1000;
// Forget cached quoted statements beyond this many (memory bound).
constexpr size_t kMaxCached = 100000;
constexpr int kMaxDepth = 8;

bool RecordOrder(const kg::v1::Provenance& a, const kg::v1::Provenance& b) {
  auto key = [](const kg::v1::Provenance& p) {
    return std::make_tuple(
        std::cref(p.document_id()), p.evidence_start(), p.evidence_end(),
        static_cast<int>(p.hedge()), p.has_confidence() ? p.confidence() : 1.0,
        std::cref(p.valid_time().start()), std::cref(p.valid_time().end()),
        std::cref(p.evidence()));
  };
  return key(a) < key(b);
}

// Live records in the export order, without output-only fields.
std::vector<kg::v1::Provenance> ExportedRecords(const kg::v1::Statement& s) {
  std::vector<kg::v1::Provenance> out(s.provenance().begin(),
                                      s.provenance().end());
  for (kg::v1::Provenance& p : out) {
    p.clear_recorded_at();
    p.clear_retracted_at();
    p.clear_statement_id();
    if (p.valid_time().start().empty() && p.valid_time().end().empty()) {
      p.clear_valid_time();
    }
  }
  std::sort(out.begin(), out.end(), RecordOrder);
  return out;
}

}  // namespace

Exporter::Exporter(Connection& conn, ExportFormat format, std::FILE* out,
                   std::string default_graph_document)
    : conn_(conn),
      format_(format),
      default_graph_document_(std::move(default_graph_document)),
      out_(out) {}

Exporter::~Exporter() = default;

grpc::Status Exporter::Run() {
  if (format_ != ExportFormat::kJsonl) {
    kg::v1::GetStatsResponse stats;
    auto ctx = conn_.Context();
    grpc::Status s =
        conn_.kg().GetStats(ctx.get(), kg::v1::GetStatsRequest(), &stats);
    if (!s.ok()) return s;
    iris_ = std::make_unique<KgIris>(stats.stats().base_iri().empty()
                                         ? kDefaultBaseIri
                                         : stats.stats().base_iri());
    const rdf::Format rdf_format =
        format_ == ExportFormat::kNTriples ? rdf::Format::kNTriples
        : format_ == ExportFormat::kNQuads ? rdf::Format::kNQuads
        : format_ == ExportFormat::kTurtle ? rdf::Format::kTurtle
                                           : rdf::Format::kTriG;
    rdf::WriteOptions options;
    if (rdf_format == rdf::Format::kTurtle ||
        rdf_format == rdf::Format::kTriG) {
      options.prefixes = iris_->Prefixes();
    }
    rdf_writer_ =
        std::make_unique<rdf::Writer>(rdf_format, &rdf_text_, options);
    rdf_ =
        std::make_unique<RdfExport>(*iris_, rdf::HasGraphs(rdf_format),
                                    default_graph_document_, rdf_writer_.get());
  }
  grpc::Status s = Entities();
  if (s.ok()) s = Relations();
  if (s.ok()) s = Documents();
  if (s.ok()) s = Statements();
  if (s.ok() && rdf_writer_ != nullptr) {
    rdf_writer_->Finish();
    s = Drain();
  }
  return s;
}

grpc::Status Exporter::Drain() {
  grpc::Status s = Write(rdf_text_);
  rdf_text_.clear();
  return s;
}

grpc::Status Exporter::Write(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), out_) != text.size()) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        "cannot write the output (disk full?)");
  }
  return grpc::Status::OK;
}

grpc::Status Exporter::WriteRecord(const kg::v1::Record& record) {
  std::string line;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(record, &line, options);
  line += '\n';
  return Write(line);
}

grpc::Status Exporter::Entities() {
  std::string token;
  do {
    kg::v1::ListEntitiesRequest req;
    req.set_page_size(kPage);
    req.set_page_token(token);
    kg::v1::ListEntitiesResponse resp;
    auto ctx = conn_.Context();
    grpc::Status s = conn_.kg().ListEntities(ctx.get(), req, &resp);
    if (!s.ok()) return s;
    for (const auto& e : resp.entities()) {
      ++counts_.entities;
      if (format_ == ExportFormat::kJsonl) {
        kg::v1::Record r;
        *r.mutable_entity() = e;
        if (s = WriteRecord(r); !s.ok()) return s;
      } else if (absl::Status w = rdf_->Entity(e); !w.ok()) {
        return ToGrpc(w);
      }
    }
    if (rdf_ != nullptr) {
      if (s = Drain(); !s.ok()) return s;
    }
    token = resp.next_page_token();
  } while (!token.empty());
  return grpc::Status::OK;
}

grpc::Status Exporter::Relations() {
  kg::v1::ListRelationsRequest req;
  kg::v1::ListRelationsResponse resp;
  auto ctx = conn_.Context();
  grpc::Status s = conn_.kg().ListRelations(ctx.get(), req, &resp);
  if (!s.ok()) return s;
  for (const auto& rel : resp.relations()) {
    ++counts_.relations;
    if (format_ == ExportFormat::kJsonl) {
      kg::v1::Record r;
      *r.mutable_relation() = rel;
      if (s = WriteRecord(r); !s.ok()) return s;
    } else if (absl::Status w = rdf_->Relation(rel); !w.ok()) {
      return ToGrpc(w);
    }
  }
  return rdf_ != nullptr ? Drain() : grpc::Status::OK;
}

grpc::Status Exporter::Documents() {
  std::string token;
  do {
    kg::v1::ListDocumentsRequest req;
    req.set_page_size(kPage);
    req.set_page_token(token);
    kg::v1::ListDocumentsResponse resp;
    auto ctx = conn_.Context();
    grpc::Status s = conn_.kg().ListDocuments(ctx.get(), req, &resp);
    if (!s.ok()) return s;
    for (const auto& listed : resp.documents()) {
      kg::v1::GetDocumentRequest dreq;
      dreq.set_id(listed.id());
      dreq.set_include_text(true);
      kg::v1::Record r;
      auto dctx = conn_.Context();
      s = conn_.kg().GetDocument(dctx.get(), dreq, r.mutable_document());
      if (!s.ok()) return s;
      ++counts_.documents;
      if (format_ == ExportFormat::kJsonl) {
        s = WriteRecord(r);
      } else if (absl::Status w = rdf_->Document(r.document()); !w.ok()) {
        return ToGrpc(w);
      } else {
        s = Drain();
      }
      if (!s.ok()) return s;
    }
    token = resp.next_page_token();
  } while (!token.empty());
  return grpc::Status::OK;
}

const kg::v1::Statement* Exporter::Lookup(const std::string& id) {
  auto it = quoted_.find(id);
  if (it != quoted_.end()) return &it->second;
  if (quoted_.size() >= kMaxCached) quoted_.clear();
  kg::v1::GetStatementRequest req;
  req.mutable_statement()->set_statement_id(id);
  kg::v1::Statement resp;
  auto ctx = conn_.Context();
  grpc::Status s = conn_.kg().GetStatement(ctx.get(), req, &resp);
  if (!s.ok()) {
    lookup_status_ = s;
    return nullptr;
  }
  auto inserted = quoted_.insert_or_assign(id, std::move(resp));
  return &inserted.first->second;
}

grpc::Status Exporter::ToTerm(const kg::v1::Node& node, int depth,
                              kg::v1::Term* out) {
  switch (node.kind_case()) {
    case kg::v1::Node::kEntity:
      out->set_entity(node.entity().id());
      return grpc::Status::OK;
    case kg::v1::Node::kLiteral:
      *out->mutable_literal() = node.literal();
      return grpc::Status::OK;
    case kg::v1::Node::kIri:
      out->set_iri(node.iri());
      return grpc::Status::OK;
    case kg::v1::Node::kBlankNode:
      // Within one export file the stored id is the label.
      out->set_blank_node(node.blank_node());
      return grpc::Status::OK;
    case kg::v1::Node::kStatementId: {
      if (depth > kMaxDepth) {
        return grpc::Status(grpc::StatusCode::DATA_LOSS,
                            "quoted statements nest too deep");
      }
      const kg::v1::Statement* q = Lookup(node.statement_id());
      if (q == nullptr) return lookup_status_;
      // Copy: the recursion may evict the cache entry.
      const kg::v1::Statement quoted = *q;
      kg::v1::Triple* t = out->mutable_quoted();
      grpc::Status s =
          ToTerm(quoted.subject(), depth + 1, t->mutable_subject());
      if (!s.ok()) return s;
      t->set_relation(quoted.relation());
      return ToTerm(quoted.object(), depth + 1, t->mutable_object());
    }
    default:
      return grpc::Status(grpc::StatusCode::DATA_LOSS,
                          "a statement with an empty node");
  }
}

grpc::Status Exporter::Statements() {
  std::string token;
  do {
    kg::v1::ListStatementsRequest req;
    req.set_include_provenance(true);
    req.set_page_size(kStatementPage);
    req.set_page_token(token);
    kg::v1::ListStatementsResponse resp;
    auto ctx = conn_.Context();
    grpc::Status s = conn_.kg().ListStatements(ctx.get(), req, &resp);
    if (!s.ok()) return s;
    for (const kg::v1::Statement& st : resp.statements()) {
      std::vector<kg::v1::Provenance> records = ExportedRecords(st);
      if (records.empty()) continue;  // only quoted: written inline
      ++counts_.statements;
      counts_.provenance += records.size();
      if (format_ == ExportFormat::kJsonl) {
        kg::v1::Record r;
        kg::v1::StatementInput* in = r.mutable_statement();
        kg::v1::Triple* t = in->mutable_triple();
        if (s = ToTerm(st.subject(), 0, t->mutable_subject()); !s.ok()) {
          return s;
        }
        t->set_relation(st.relation());
        if (s = ToTerm(st.object(), 0, t->mutable_object()); !s.ok()) {
          return s;
        }
        for (auto& p : records) *in->add_provenance() = std::move(p);
        s = WriteRecord(r);
      } else {
        absl::Status w = rdf_->Statement(
            st, records, [this](const std::string& id) { return Lookup(id); });
        if (!w.ok()) {
          return lookup_status_.ok() ? ToGrpc(w) : lookup_status_;
        }
        s = Drain();
      }
      if (!s.ok()) return s;
    }
    token = resp.next_page_token();
  } while (!token.empty());
  return grpc::Status::OK;
}

}  // namespace kg::client
