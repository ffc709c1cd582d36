#include "query/path_graph.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/echo.h"
#include "query/resolve.h"
#include "storage/error_context.h"
#include "storage/status_macros.h"

namespace kg::query {

namespace {

using storage::Direction;
using storage::Edge;
using storage::Polarity;
using storage::ProvenanceRecord;
using storage::Term;
using storage::TermValue;

Term TermFromValue(const TermValue& v) {
  switch (v.kind) {
    case Term::Kind::kEntity:
      return Term::Entity(v.id);
    case Term::Kind::kLiteral:
      if (v.literal.type == storage::LiteralType::kTyped ||
          v.literal.type == storage::LiteralType::kLangString) {
        return Term::RdfLiteral(v.literal.lexical, v.literal.datatype,
                                v.literal.language, v.literal.direction);
      }
      return Term::Literal(v.literal.type, v.literal.lexical);
    case Term::Kind::kStatement:
      return Term::StatementId(v.id);
    case Term::Kind::kIri:
      return Term::Iri(v.id);
    case Term::Kind::kBlank:
      return Term::Blank(v.id);
  }
  return Term::Entity(v.id);
}

// Records in content order: statement, document, span, recorded time.
bool RecordBefore(const ProvenanceRecord& a, const ProvenanceRecord& b) {
  return std::tie(a.statement_id, a.input.document_id, a.input.evidence_start,
                  a.input.evidence_end, a.recorded_at) <
         std::tie(b.statement_id, b.input.document_id, b.input.evidence_start,
                  b.input.evidence_end, b.recorded_at);
}

// Whether `a` is a better "best record" than `b`: higher confidence, then
// content order.
bool BetterRecord(const ProvenanceRecord& a, const ProvenanceRecord& b) {
  if (a.input.confidence != b.input.confidence) {
    return a.input.confidence > b.input.confidence;
  }
  return RecordBefore(a, b);
}

int CompareStrings(const std::string* a, const std::string* b) {
  const int c = a->compare(*b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

int CompareHopKeys(const HopKey& a, const HopKey& b) {
  if (int c = CompareStrings(a.relation, b.relation); c != 0) return c;
  if (int c = CompareStrings(a.to, b.to); c != 0) return c;
  if (int c = CompareStrings(a.statement, b.statement); c != 0) return c;
  if (a.kind != b.kind) return a.kind < b.kind ? -1 : 1;
  return 0;
}

int CompareKeySequences(const std::vector<HopKey>& a,
                        const std::vector<HopKey>& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (int c = CompareHopKeys(a[i], b[i]); c != 0) return c;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

std::string NodeKeyOf(const TermValue& term) {
  switch (term.kind) {
    case Term::Kind::kEntity:
      return absl::StrCat("E", term.id);
    case Term::Kind::kLiteral: {
      const storage::Literal& l = term.literal;
      const bool rdf = l.type == storage::LiteralType::kTyped ||
                       l.type == storage::LiteralType::kLangString;
      return absl::StrCat(
          "L",
          std::string(1, static_cast<char>('0' + static_cast<int>(l.type))),
          rdf ? absl::StrCat(l.datatype, "\x01",
                             absl::AsciiStrToLower(l.language), "\x01",
                             static_cast<int>(l.direction), "\x01")
              : "",
          l.lexical);
    }
    case Term::Kind::kStatement:
      return absl::StrCat("S", term.id);
    case Term::Kind::kIri:
      return absl::StrCat("I", term.id);
    case Term::Kind::kBlank:
      return absl::StrCat("B", term.id);
  }
  return "";
}

Budget::Budget(uint64_t max_edges, absl::Time deadline,
               std::function<bool()> is_cancelled)
    : max_edges_(max_edges),
      deadline_(deadline),
      is_cancelled_(std::move(is_cancelled)) {}

absl::Status Budget::Charge(uint64_t n) {
  if (expanded_ >= next_poll_) {
    next_poll_ = expanded_ + kPollEvery;
    if (is_cancelled_ && is_cancelled_()) {
      return absl::CancelledError("path search cancelled");
    }
    if (absl::Now() >= deadline_) {
      return absl::DeadlineExceededError(
          absl::StrCat("path search passed its deadline after expanding ",
                       expanded_, " edges"));
    }
  }
  if (max_edges_ != 0 && expanded_ + n > max_edges_) {
    exhausted_ = true;
    return absl::ResourceExhaustedError(
        absl::StrCat("options.max_expanded_edges: the budget of ", max_edges_,
                     " expanded edges ran out"));
  }
  expanded_ += n;
  return absl::OkStatus();
}

PathGraph::PathGraph(storage::Reader& reader, const PathOptions& options)
    : reader_(reader),
      options_(options),
      budget_(options.max_expanded_edges, options.deadline,
              options.is_cancelled),
      walk_out_(options.direction != PathDirection::kIncoming),
      walk_in_(options.direction != PathDirection::kOutgoing) {}

absl::StatusOr<std::unique_ptr<PathGraph>> PathGraph::Create(
    storage::Reader& reader, const PathOptions& options) {
  std::unique_ptr<PathGraph> graph(new PathGraph(reader, options));
  KG_RETURN_IF_ERROR(graph->Init());
  return graph;
}

absl::Status PathGraph::Init() {
  const auto relation_nodes =
      [&](absl::string_view field, const std::vector<std::string>& ids,
          absl::flat_hash_set<NodeId>* out) -> absl::Status {
    for (size_t i = 0; i < ids.size(); ++i) {
      const std::string f = absl::StrCat("options.", field, "[", i, "]");
      absl::StatusOr<storage::Relation> r = reader_.GetRelation(ids[i]);
      if (!r.ok()) {
        if (r.status().code() == absl::StatusCode::kNotFound) {
          return absl::NotFoundError(
              absl::StrCat(f, ": no relation '", EchoValue(ids[i]), "'"));
        }
        if (r.status().code() == absl::StatusCode::kInvalidArgument) {
          return absl::InvalidArgumentError(absl::StrCat(
              f, ": '", EchoValue(ids[i]), "' is not a relation id"));
        }
        return r.status();
      }
      KG_ASSIGN_OR_RETURN(NodeId node, reader_.RelationNodeOf(ids[i]));
      out->insert(node);
    }
    return absl::OkStatus();
  };
  KG_RETURN_IF_ERROR(relation_nodes(
      "allowed_relations", options_.allowed_relations, &allowed_relations_));
  KG_RETURN_IF_ERROR(relation_nodes(
      "excluded_relations", options_.excluded_relations, &excluded_relations_));
  // A type no entity has is unknown, like a relation: NOT_FOUND rather
  // than a filter that silently lets no entity through.
  for (size_t i = 0; i < options_.allowed_entity_types.size(); ++i) {
    const std::string& type = options_.allowed_entity_types[i];
    const std::string f = absl::StrCat("options.allowed_entity_types[", i, "]");
    KG_ASSIGN_OR_RETURN(
        const bool known,
        storage::WithFieldRenamed(reader_.HasEntityType(type), "type", f));
    if (!known) {
      return absl::NotFoundError(
          absl::StrCat(f, ": no entity has the type '", EchoValue(type), "'"));
    }
    allowed_types_.insert(type);
  }
  for (size_t i = 0; i < options_.only_documents.size(); ++i) {
    const std::string& id = options_.only_documents[i];
    absl::StatusOr<storage::Document> d = reader_.GetDocument(id);
    if (!d.ok()) {
      const std::string f = absl::StrCat("options.only_documents[", i, "]");
      if (d.status().code() == absl::StatusCode::kNotFound) {
        return absl::NotFoundError(
            absl::StrCat(f, ": no document '", EchoValue(id), "'"));
      }
      if (d.status().code() == absl::StatusCode::kInvalidArgument) {
        return absl::InvalidArgumentError(
            absl::StrCat(f, ": '", EchoValue(id), "' is not a document id"));
      }
      return d.status();
    }
    only_documents_.insert(id);
  }
  for (size_t i = 0; i < options_.only_claimants.size(); ++i) {
    KG_ASSIGN_OR_RETURN(
        storage::Entity e,
        ResolveEntity(reader_, absl::StrCat("options.only_claimants[", i, "]"),
                      options_.only_claimants[i]));
    absl::StatusOr<NodeId> node = reader_.NodeOf(Term::Entity(e.id));
    if (node.ok()) {
      claimants_.insert(*node);
    } else if (node.status().code() != absl::StatusCode::kNotFound) {
      return node.status();
    }
  }
  if (options_.as_of.reported_by) {
    std::string cursor;
    do {
      KG_ASSIGN_OR_RETURN(storage::DocumentPage page,
                          reader_.ListDocuments(false, 1000, cursor));
      for (storage::Document& d : page.documents) {
        published_.emplace(std::move(d.id), d.published);
      }
      cursor = std::move(page.next_page_token);
    } while (!cursor.empty());
  }
  has_window_ = options_.valid_time.start || options_.valid_time.end;
  // The current state, every record of every document.
  const bool current_view = !options_.as_of.recorded_at &&
                            !options_.as_of.reported_by &&
                            only_documents_.empty() && !has_window_ &&
                            options_.only_claimants.empty();
  fast_support_ = current_view && options_.min_confidence <= 0 &&
                  options_.mode != PathMode::kWeighted;
  if (options_.as_of.recorded_at) {
    KG_RETURN_IF_ERROR(AddRetractedEdges());
  } else {
    compact_ = reader_.compact_adjacency();
  }
  memory_confidence_ = current_view && compact_ != nullptr &&
                       reader_.compact_confidences_current();
  return absl::OkStatus();
}

absl::Status PathGraph::AddRetractedEdges() {
  // The indexes (and so Reader::Neighbors) hold only today's statements; a
  // statement retracted since the as-recorded time has left them but may
  // have been live then.
  std::vector<std::pair<NodeId, storage::Statement>> gone;
  KG_RETURN_IF_ERROR(
      reader_.ForEachStatement([&](NodeId node, const storage::Statement& st) {
        if (st.live_provenance == 0 && st.quoted_by == 0) {
          gone.emplace_back(node, st);
        }
        return true;
      }));
  for (const auto& [node, st] : gone) {
    KG_ASSIGN_OR_RETURN(NodeId subject,
                        reader_.NodeOf(TermFromValue(st.subject)));
    KG_ASSIGN_OR_RETURN(NodeId object,
                        reader_.NodeOf(TermFromValue(st.object)));
    KG_ASSIGN_OR_RETURN(NodeId relation, reader_.RelationNodeOf(st.relation));
    extra_out_[subject].push_back(Edge{relation, object, node});
    extra_in_[object].push_back(Edge{relation, subject, node});
  }
  return absl::OkStatus();
}

void PathGraph::Edges(NodeId node, Direction direction,
                      std::vector<Edge>* out) const {
  reader_.Neighbors(node, direction, out);
  const auto& extra =
      direction == Direction::kOutgoing ? extra_out_ : extra_in_;
  if (extra.empty()) return;
  auto it = extra.find(node);
  if (it != extra.end()) {
    out->insert(out->end(), it->second.begin(), it->second.end());
  }
}

absl::StatusOr<const PathGraph::RelationInfo*> PathGraph::Relation(
    NodeId relation) {
  // Graphs have few relations: a linear look through the first ones beats
  // hashing on every edge.
  for (const auto& [id, info] : recent_relations_) {
    if (id == relation) return info;
  }
  auto it = relations_.find(relation);
  if (it != relations_.end()) return &it->second;
  KG_ASSIGN_OR_RETURN(std::string id, reader_.RelationAt(relation));
  KG_ASSIGN_OR_RETURN(storage::Relation r, reader_.GetRelation(id));
  RelationInfo info;
  info.id = std::move(id);
  info.symmetric = r.symmetric;
  info.polarity = r.polarity;
  info.walk =
      (allowed_relations_.empty() || allowed_relations_.contains(relation)) &&
      !excluded_relations_.contains(relation);
  const RelationInfo* stored =
      &relations_.emplace(relation, std::move(info)).first->second;
  if (recent_relations_.size() < kRecentRelations) {
    recent_relations_.emplace_back(relation, stored);
  }
  return stored;
}

absl::StatusOr<PathGraph::NodeInfo*> PathGraph::Node(NodeId node) {
  NodeInfo& info = nodes_[node];
  if (!info.has_term) {
    KG_ASSIGN_OR_RETURN(info.term, reader_.TermAt(node));
    info.key = NodeKeyOf(info.term);
    info.has_term = true;
  }
  return &info;
}

absl::StatusOr<PathGraph::NodeInfo*> PathGraph::Parts(NodeId statement) {
  KG_ASSIGN_OR_RETURN(NodeInfo * info, Node(statement));
  if (!info->has_parts) {
    KG_ASSIGN_OR_RETURN(storage::Statement st, reader_.StatementAt(statement));
    KG_ASSIGN_OR_RETURN(info->subject,
                        reader_.NodeOf(TermFromValue(st.subject)));
    KG_ASSIGN_OR_RETURN(info->object, reader_.NodeOf(TermFromValue(st.object)));
    KG_ASSIGN_OR_RETURN(info->relation, reader_.RelationNodeOf(st.relation));
    info->indexed = st.live_provenance > 0 || st.quoted_by > 0;
    info->has_parts = true;
  }
  return info;
}

size_t PathGraph::Degree(NodeId node) {
  if (compact_ != nullptr) return compact_->Degree(node);
  auto it = degrees_.find(node);
  if (it != degrees_.end()) return it->second;
  scratch_degree_.clear();
  Edges(node, Direction::kOutgoing, &scratch_degree_);
  Edges(node, Direction::kIncoming, &scratch_degree_);
  degrees_.emplace(node, scratch_degree_.size());
  return scratch_degree_.size();
}

absl::StatusOr<bool> PathGraph::IsStatementNode(NodeId node) {
  KG_ASSIGN_OR_RETURN(NodeInfo * info, Node(node));
  return info->term.kind == Term::Kind::kStatement;
}

absl::StatusOr<bool> PathGraph::Passable(NodeId node) {
  // Every kind of node passes; no need to learn which this is.
  if (allowed_types_.empty() && options_.walk_claims) return true;
  // Entities and literals pass, statements do not; every node an edge
  // leads to is known to the compact adjacency.
  if (allowed_types_.empty() && compact_ != nullptr) {
    return !compact_->IsStatement(node);
  }
  KG_ASSIGN_OR_RETURN(NodeInfo * info, Node(node));
  if (info->passable < 0) {
    bool passable = false;
    switch (info->term.kind) {
      case Term::Kind::kEntity:
        if (allowed_types_.empty()) {
          passable = true;
        } else {
          KG_ASSIGN_OR_RETURN(storage::Entity e,
                              reader_.GetEntity(info->term.id));
          passable = allowed_types_.contains(e.type);
        }
        break;
      case Term::Kind::kLiteral:
      case Term::Kind::kIri:
      case Term::Kind::kBlank:
        passable = allowed_types_.empty();
        break;
      case Term::Kind::kStatement:
        passable = options_.walk_claims;
        break;
    }
    info->passable = passable ? 1 : 0;
  }
  return info->passable == 1;
}

absl::StatusOr<const std::vector<ProvenanceRecord>*> PathGraph::Records(
    NodeId statement) {
  auto it = records_.find(statement);
  if (it != records_.end()) return &it->second;
  KG_ASSIGN_OR_RETURN(
      std::vector<ProvenanceRecord> all,
      reader_.ProvenanceAt(statement, options_.as_of.recorded_at.has_value()));
  std::vector<ProvenanceRecord> seen;
  for (ProvenanceRecord& r : all) {
    if (!InView(r)) continue;
    // As recorded at T, a record retracted after T stands as it was then.
    if (options_.as_of.recorded_at) r.retracted_at.reset();
    seen.push_back(std::move(r));
  }
  return &records_.emplace(statement, std::move(seen)).first->second;
}

bool PathGraph::InView(const ProvenanceRecord& r) const {
  if (options_.as_of.recorded_at) {
    if (!r.LiveAt(*options_.as_of.recorded_at)) return false;
  } else if (r.retracted_at) {
    return false;
  }
  if (options_.as_of.reported_by) {
    auto it = published_.find(r.input.document_id);
    if (it == published_.end() || !it->second ||
        it->second->LastDay() > options_.as_of.reported_by->LastDay()) {
      return false;
    }
  }
  return true;
}

bool PathGraph::Qualifies(const ProvenanceRecord& r) const {
  if (r.input.confidence < options_.min_confidence) return false;
  if (!only_documents_.empty() &&
      !only_documents_.contains(r.input.document_id)) {
    return false;
  }
  if (has_window_) {
    const storage::ValidTime& w = options_.valid_time;
    const storage::ValidTime& v = r.input.valid_time;
    if (w.end && v.start && v.start->FirstDay() > w.end->LastDay()) {
      return false;
    }
    if (w.start && v.end && v.end->LastDay() < w.start->FirstDay()) {
      return false;
    }
  }
  return true;  // InView was applied when the records were read
}

std::optional<double> PathGraph::MemoryConfidence(NodeId statement) const {
  // The records that qualify are the live ones at min_confidence or
  // above, so the best of them is the best of all when there are any.
  std::optional<double> best = compact_->BestConfidence(statement);
  if (best && *best < options_.min_confidence) return std::nullopt;
  return best;
}

absl::StatusOr<std::optional<double>> PathGraph::ClaimConfidence(NodeId claim) {
  // A claim reached by an edge of the compact adjacency is in it.
  if (memory_confidence_) return MemoryConfidence(claim);
  if (fast_support_) {
    scratch_check_.clear();
    reader_.Neighbors(claim, Direction::kIncoming, &scratch_check_);
    reader_.Neighbors(claim, Direction::kOutgoing, &scratch_check_);
    if (scratch_check_.empty()) return std::optional<double>(1.0);
  }
  KG_ASSIGN_OR_RETURN(const std::vector<ProvenanceRecord>* records,
                      Records(claim));
  std::optional<double> best;
  for (const ProvenanceRecord& r : *records) {
    if (Qualifies(r) && (!best || r.input.confidence > *best)) {
      best = r.input.confidence;
    }
  }
  return best;
}

absl::StatusOr<PathGraph::Support> PathGraph::SupportOf(NodeId statement,
                                                        NodeId relation,
                                                        NodeId subject,
                                                        bool indexed) {
  if (std::optional<Support> quick =
          MemorySupport(statement, relation, indexed)) {
    return *quick;
  }
  auto it = support_.find(statement);
  if (it != support_.end()) return it->second;
  Support support;
  if (!options_.include_opposed) {
    // An opposing claim (nato found_no_evidence_of <<...>>) is not a
    // supported connection between its claimant and what it quotes.
    KG_ASSIGN_OR_RETURN(const RelationInfo* r, Relation(relation));
    if (r->polarity == Polarity::kOpposes) {
      support_.emplace(statement, support);
      return support;
    }
  }
  if (fast_support_ && !indexed) {
    // Out of the indexes today: no live record, and no live claim (which
    // would keep it in). Only as-of views (no fast path) can see it.
    support_.emplace(statement, support);
    return support;
  }
  if (fast_support_) {
    // In the indexes and quoted by nothing: it has a live record of its
    // own (docs/storage.md), and no claim is about it.
    if (compact_ != nullptr && compact_->Degree(statement) == 0) {
      support = {true, 1.0};
      support_.emplace(statement, support);
      return support;
    }
    scratch_check_.clear();
    reader_.Neighbors(statement, Direction::kIncoming, &scratch_check_);
    if (scratch_check_.empty()) {
      reader_.Neighbors(statement, Direction::kOutgoing, &scratch_check_);
    }
    if (scratch_check_.empty()) {
      support = {true, 1.0};
      support_.emplace(statement, support);
      return support;
    }
  }
  std::optional<double> own;
  if (memory_confidence_ && indexed) {
    own = MemoryConfidence(statement);
  } else {
    KG_ASSIGN_OR_RETURN(const std::vector<ProvenanceRecord>* records,
                        Records(statement));
    for (const ProvenanceRecord& r : *records) {
      if (Qualifies(r) && (!own || r.input.confidence > *own)) {
        own = r.input.confidence;
      }
    }
  }
  std::vector<Edge> claims;
  Edges(statement, Direction::kIncoming, &claims);
  int supporting = 0;
  int opposing = 0;
  std::optional<double> claimed;
  for (const Edge& e : claims) {
    KG_ASSIGN_OR_RETURN(const RelationInfo* r, Relation(e.relation));
    if (r->polarity == Polarity::kNone) continue;
    if (r->polarity == Polarity::kSupports && !claimants_.empty() &&
        !claimants_.contains(e.neighbor)) {
      continue;
    }
    KG_ASSIGN_OR_RETURN(std::optional<double> conf,
                        ClaimConfidence(e.statement));
    if (!conf) continue;
    if (r->polarity == Polarity::kSupports) {
      ++supporting;
      if (!claimed || *conf > *claimed) claimed = conf;
    } else {
      ++opposing;
    }
  }
  bool own_counts = own.has_value();
  if (own_counts && !options_.only_claimants.empty()) {
    // Only a listed claimant's own claim stands on its own records.
    KG_ASSIGN_OR_RETURN(const RelationInfo* r, Relation(relation));
    own_counts = r->polarity != Polarity::kNone && claimants_.contains(subject);
  }
  const bool supported = own_counts || supporting > 0;
  support.walkable = supported || (options_.include_opposed && opposing > 0);
  support.confidence =
      supported ? std::max(own.value_or(0.0), claimed.value_or(0.0)) : 0.0;
  support_.emplace(statement, support);
  return support;
}

absl::StatusOr<bool> PathGraph::Admit(const Arc& arc) {
  KG_ASSIGN_OR_RETURN(Support support, SupportOf(arc.statement, arc.relation,
                                                 arc.subject, arc.indexed));
  return support.walkable;
}

absl::Status PathGraph::ArcsFrom(NodeId node, std::vector<Arc>* out) {
  return Candidates(node, /*into=*/false, out);
}

absl::Status PathGraph::ArcsInto(NodeId node, std::vector<Arc>* out) {
  return Candidates(node, /*into=*/true, out);
}

absl::Status PathGraph::Candidates(NodeId node, bool into,
                                   std::vector<Arc>* out) {
  if (cache_arcs_) {
    auto it = arc_cache_.find(std::make_pair(node, into));
    if (it != arc_cache_.end()) {
      KG_RETURN_IF_ERROR(budget_.Charge(it->second.first));
      out->insert(out->end(), it->second.second.begin(),
                  it->second.second.end());
      return absl::OkStatus();
    }
  }
  const size_t first = out->size();
  KG_RETURN_IF_ERROR(Scan(node, into, out));
  if (cache_arcs_) {
    arc_cache_.emplace(
        std::make_pair(node, into),
        std::make_pair(last_scanned_,
                       std::vector<Arc>(out->begin() + first, out->end())));
  }
  return absl::OkStatus();
}

absl::Status PathGraph::Scan(NodeId node, bool into, std::vector<Arc>* out) {
  if (compact_ != nullptr && !options_.walk_claims) {
    return ScanCompact(node, into, out);
  }
  scratch_out_.clear();
  scratch_in_.clear();
  Edges(node, Direction::kOutgoing, &scratch_out_);
  Edges(node, Direction::kIncoming, &scratch_in_);
  bool statement_node = false;
  if (options_.walk_claims) {
    KG_ASSIGN_OR_RETURN(statement_node, IsStatementNode(node));
  }
  last_scanned_ =
      scratch_out_.size() + scratch_in_.size() + (statement_node ? 2 : 0);
  KG_RETURN_IF_ERROR(budget_.Charge(last_scanned_));
  const bool claims = options_.walk_claims;
  // An arc walking `e` away from `node` (or, into, toward it); `node` is
  // the statement's subject when `node_is_subject`.
  const auto add = [&](const Edge& e, bool node_is_subject, HopKind kind) {
    const NodeId subject = node_is_subject ? node : e.neighbor;
    if (into) {
      out->push_back(
          {e.neighbor, node, e.statement, e.relation, subject, true, kind});
    } else {
      out->push_back(
          {node, e.neighbor, e.statement, e.relation, subject, true, kind});
    }
  };
  // The statement node of `e`: reached from `node`, or left for it.
  const auto add_part = [&](const Edge& e, bool node_is_subject) {
    const NodeId subject = node_is_subject ? node : e.neighbor;
    if (into) {
      out->push_back({e.statement, node, e.statement, e.relation, subject, true,
                      HopKind::kStatementToPart});
    } else {
      out->push_back({node, e.statement, e.statement, e.relation, subject, true,
                      HopKind::kPartToStatement});
    }
  };
  for (const Edge& e : scratch_out_) {  // node is the subject
    KG_ASSIGN_OR_RETURN(const RelationInfo* r, Relation(e.relation));
    if (!r->walk) continue;
    // Leaving the subject walks forward; arriving at it, backward.
    if (into ? (walk_in_ || r->symmetric) : (walk_out_ || r->symmetric)) {
      add(e, true, into ? HopKind::kBackward : HopKind::kForward);
    }
    if (claims) add_part(e, true);
  }
  for (const Edge& e : scratch_in_) {  // node is the object
    KG_ASSIGN_OR_RETURN(const RelationInfo* r, Relation(e.relation));
    if (!r->walk) continue;
    if (into ? (walk_out_ || r->symmetric) : (walk_in_ || r->symmetric)) {
      add(e, false, into ? HopKind::kForward : HopKind::kBackward);
    }
    // A self-loop's statement node came with the outgoing edge.
    if (claims && e.neighbor != node) add_part(e, false);
  }
  if (statement_node) {
    KG_ASSIGN_OR_RETURN(NodeInfo * parts, Parts(node));
    const NodeId subject = parts->subject;
    const NodeId object = parts->object;
    const NodeId relation = parts->relation;
    const bool indexed = parts->indexed;
    KG_ASSIGN_OR_RETURN(const RelationInfo* r, Relation(relation));
    if (r->walk) {
      const int parts_count = object == subject ? 1 : 2;
      for (int i = 0; i < parts_count; ++i) {
        const NodeId part = i == 0 ? subject : object;
        if (into) {
          out->push_back({part, node, node, relation, subject, indexed,
                          HopKind::kPartToStatement});
        } else {
          out->push_back({node, part, node, relation, subject, indexed,
                          HopKind::kStatementToPart});
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status PathGraph::ScanCompact(NodeId node, bool into,
                                    std::vector<Arc>* out) {
  return VisitArcs(node, into, /*charge=*/true,
                   [out](const Arc& arc) { out->push_back(arc); });
}

absl::StatusOr<const std::string*> PathGraph::NodeKey(NodeId node) {
  KG_ASSIGN_OR_RETURN(NodeInfo * info, Node(node));
  return &info->key;
}

absl::StatusOr<HopKey> PathGraph::KeyOf(const Arc& arc) {
  HopKey key;
  KG_ASSIGN_OR_RETURN(const RelationInfo* r, Relation(arc.relation));
  key.relation = &r->id;
  KG_ASSIGN_OR_RETURN(key.to, NodeKey(arc.to));
  KG_ASSIGN_OR_RETURN(key.statement, NodeKey(arc.statement));
  key.kind = arc.kind;
  return key;
}

absl::StatusOr<std::vector<HopKey>> PathGraph::KeysOf(
    const std::vector<Arc>& arcs) {
  std::vector<HopKey> keys;
  keys.reserve(arcs.size());
  for (const Arc& a : arcs) {
    KG_ASSIGN_OR_RETURN(HopKey k, KeyOf(a));
    keys.push_back(k);
  }
  return keys;
}

absl::StatusOr<int64_t> PathGraph::CostOf(const Arc& arc) {
  double confidence;
  if (std::optional<Support> quick =
          MemorySupport(arc.statement, arc.relation, arc.indexed)) {
    confidence = quick->confidence;
  } else {
    auto it = support_.find(arc.statement);
    if (it == support_.end()) {
      return absl::InternalError("cost of an arc that was never admitted");
    }
    confidence = it->second.confidence;
  }
  return std::llround(-std::log(std::max(confidence, kMinConfidence)) /
                      kCostUnit);
}

std::optional<PathGraph::Support> PathGraph::MemorySupport(NodeId statement,
                                                           NodeId relation,
                                                           bool indexed) {
  if (!memory_confidence_ || !indexed || compact_->Degree(statement) != 0) {
    return std::nullopt;
  }
  // Quoted by nothing: no claim is about it, so its own records decide.
  if (!options_.include_opposed) {
    absl::StatusOr<const RelationInfo*> r = Relation(relation);
    if (!r.ok()) return std::nullopt;  // SupportOf reports it
    if ((*r)->polarity == Polarity::kOpposes) return Support{};
  }
  std::optional<double> best = MemoryConfidence(statement);
  if (!best) return Support{};
  return Support{true, *best};
}

absl::StatusOr<TermValue> PathGraph::TermOf(NodeId node) {
  KG_ASSIGN_OR_RETURN(NodeInfo * info, Node(node));
  return info->term;
}

absl::StatusOr<StatementDescription> PathGraph::Describe(NodeId statement) {
  StatementDescription d;
  KG_ASSIGN_OR_RETURN(const std::vector<ProvenanceRecord>* own,
                      Records(statement));
  d.records = *own;
  std::sort(d.records.begin(), d.records.end(), RecordBefore);
  absl::flat_hash_set<std::string> documents;
  for (const ProvenanceRecord& r : d.records) {
    documents.insert(r.input.document_id);
    if (!d.summary.best || BetterRecord(r, *d.summary.best)) {
      d.summary.best = r;
    }
  }
  d.summary.records = static_cast<uint32_t>(d.records.size());
  d.summary.documents = static_cast<uint32_t>(documents.size());
  std::vector<Edge> claims;
  Edges(statement, Direction::kIncoming, &claims);
  std::optional<ProvenanceRecord> claimed;
  for (const Edge& e : claims) {
    KG_ASSIGN_OR_RETURN(const RelationInfo* r, Relation(e.relation));
    if (r->polarity == Polarity::kNone) continue;
    KG_ASSIGN_OR_RETURN(const std::vector<ProvenanceRecord>* records,
                        Records(e.statement));
    if (records->empty()) continue;
    if (r->polarity == Polarity::kSupports) {
      ++d.summary.supporting_claims;
      for (const ProvenanceRecord& rec : *records) {
        if (!claimed || BetterRecord(rec, *claimed)) {
          claimed = rec;
        }
      }
    } else {
      ++d.summary.opposing_claims;
    }
  }
  if (!d.summary.best) d.summary.best = std::move(claimed);
  d.contested =
      d.summary.supporting_claims > 0 && d.summary.opposing_claims > 0;
  return d;
}

}  // namespace kg::query
