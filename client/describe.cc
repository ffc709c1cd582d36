#include "client/describe.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/format.h"
#include "client/term_syntax.h"

namespace kg::client {

namespace {
constexpr int kMaxDepth = 8;
}  // namespace

std::string Describer::Node(const kg::v1::Node& node) {
  return NodeAt(node, 0);
}

std::string Describer::NodeWithLabel(const kg::v1::Node& node) {
  if (node.has_entity() && !node.entity().label().empty() &&
      node.entity().label() != node.entity().id()) {
    return absl::StrCat(node.entity().id(), " (", node.entity().label(), ")");
  }
  return Node(node);
}

std::string Describer::Triple(const kg::v1::Statement& s) {
  return TripleAt(s, 0);
}

std::string Describer::StatementById(const std::string& id) {
  return StatementAt(id, 0);
}

std::string Describer::NodeAt(const kg::v1::Node& node, int depth) {
  switch (node.kind_case()) {
    case kg::v1::Node::kEntity:
      return FormatName(node.entity().id());
    case kg::v1::Node::kLiteral:
      return FormatLiteral(node.literal());
    case kg::v1::Node::kStatementId:
      return StatementAt(node.statement_id(), depth + 1);
    case kg::v1::Node::kIri:
      return absl::StrCat("<", node.iri(), ">");
    case kg::v1::Node::kBlankNode:
      return absl::StrCat("_:", node.blank_node());
    default:
      return "?";
  }
}

std::string Describer::TripleAt(const kg::v1::Statement& s, int depth) {
  return absl::StrCat("<<", NodeAt(s.subject(), depth), " ",
                      FormatRelation(s.relation()), " ",
                      NodeAt(s.object(), depth), ">>");
}

std::string Describer::StatementAt(const std::string& id, int depth) {
  if (depth > kMaxDepth) return id;
  auto it = statements_.find(id);
  if (it == statements_.end()) {
    kg::v1::GetStatementRequest req;
    req.mutable_statement()->set_statement_id(id);
    kg::v1::Statement resp;
    auto ctx = conn_.Context();
    grpc::Status status = conn_.kg().GetStatement(ctx.get(), req, &resp);
    it = statements_
             .emplace(id, status.ok() ? std::optional<kg::v1::Statement>(resp)
                                      : std::nullopt)
             .first;
  }
  if (!it->second.has_value()) return id;
  // Copy: the recursion may rehash the map.
  const kg::v1::Statement s = *it->second;
  return TripleAt(s, depth);
}

const kg::v1::Relation* Describer::Relation(const std::string& id) {
  if (!relations_.has_value()) {
    relations_.emplace();
    kg::v1::ListRelationsRequest req;
    kg::v1::ListRelationsResponse resp;
    auto ctx = conn_.Context();
    if (conn_.kg().ListRelations(ctx.get(), req, &resp).ok()) {
      for (const auto& r : resp.relations()) (*relations_)[r.id()] = r;
    }
  }
  auto it = relations_->find(id);
  return it == relations_->end() ? nullptr : &it->second;
}

const kg::v1::Document* Describer::Document(const std::string& id) {
  auto it = documents_.find(id);
  if (it == documents_.end()) {
    kg::v1::GetDocumentRequest req;
    req.set_id(id);
    kg::v1::Document resp;
    auto ctx = conn_.Context();
    grpc::Status status = conn_.kg().GetDocument(ctx.get(), req, &resp);
    it = documents_
             .emplace(id, status.ok() ? std::optional<kg::v1::Document>(resp)
                                      : std::nullopt)
             .first;
  }
  return it->second.has_value() ? &*it->second : nullptr;
}

std::string Describer::DocumentName(const std::string& id) {
  const kg::v1::Document* d = Document(id);
  if (d == nullptr || d->published().empty()) return id;
  return absl::StrCat(id, " (", d->published(), ")");
}

std::string Describer::Claimant(const kg::v1::Statement& s) {
  const kg::v1::Relation* r = Relation(s.relation());
  if (r == nullptr || (r->polarity() != kg::v1::POLARITY_SUPPORTS &&
                       r->polarity() != kg::v1::POLARITY_OPPOSES)) {
    return "";
  }
  return Node(s.subject());
}

std::string Describer::Evidence(const kg::v1::Provenance& p,
                                absl::string_view claimant,
                                absl::string_view indent, int width) {
  std::string out;
  if (!p.evidence().empty()) {
    out = Indented(absl::StrCat("\"", p.evidence(), "\""), indent, width);
  }
  std::vector<std::string> parts;
  std::string who;
  if (!claimant.empty()) {
    who = absl::StrCat("claimant ", claimant, ", ");
  } else {
    const kg::v1::Document* doc = Document(p.document_id());
    who = doc != nullptr && !doc->publisher().empty()
              ? absl::StrCat("stated by ", doc->publisher(), " in ")
              : "stated in ";
  }
  absl::StrAppend(&who, DocumentName(p.document_id()), " ", SpanText(p));
  parts.push_back(std::move(who));
  if (!HedgeName(p.hedge()).empty()) parts.push_back(HedgeName(p.hedge()));
  if (p.has_confidence()) {
    parts.push_back(absl::StrCat("confidence ", FormatDouble(p.confidence())));
  }
  const std::string valid = ValidTimeText(p.valid_time());
  if (!valid.empty()) parts.push_back(absl::StrCat("valid ", valid));
  absl::StrAppend(
      &out,
      Indented(absl::StrCat("-- ", absl::StrJoin(parts, ", ")), indent, width));
  return out;
}

}  // namespace kg::client
