// The path-query rpcs of KnowledgeGraphService: FindPaths (a server stream;
// small searches inline, larger ones on a thread of their own, streaming
// paths as they are found, so a long query never holds a gRPC callback
// thread) and GetNeighborhood.
#include <deque>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/alarm.h"
#include "query/path.h"
#include "query/provenance_as_of.h"
#include "server/convert.h"
#include "server/grpc_status.h"
#include "server/query_memory.h"
#include "server/service.h"
#include "server/stream_reactor.h"
#include "server/unary.h"
#include "storage/status_macros.h"

namespace kg::server {

namespace {

namespace v1 = ::kg::v1;

// PathOptions.profile: the query's phases, in order.
void AddProfile(absl::Duration queue, const query::SearchPhases& phases,
                uint64_t expanded_edges,
                google::protobuf::RepeatedPtrField<v1::QueryPhase>* out) {
  const std::pair<const char*, absl::Duration> all[] = {
      {"queue", queue},
      {"resolve", phases.resolve},
      {"search", phases.search},
      {"build", phases.build},
      {"send", phases.sink}};
  for (const auto& [name, took] : all) {
    v1::QueryPhase* p = out->Add();
    p->set_name(name);
    p->set_micros(absl::ToInt64Microseconds(took));
    if (std::string_view(name) == "search")
      p->set_expanded_edges(expanded_edges);
  }
}

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

absl::StatusOr<query::PathOptions> PathOptionsFrom(const v1::PathOptions& in,
                                                   const ServiceLimits& limits,
                                                   bool for_paths) {
  query::PathOptions out;
  switch (in.mode()) {
    case v1::PATH_MODE_UNSPECIFIED:
    case v1::PATH_MODE_SHORTEST:
      out.mode = query::PathMode::kShortest;
      break;
    case v1::PATH_MODE_K_SHORTEST:
      out.mode = query::PathMode::kKShortest;
      break;
    case v1::PATH_MODE_ALL_SIMPLE:
      out.mode = query::PathMode::kAllSimple;
      break;
    case v1::PATH_MODE_WEIGHTED:
      out.mode = query::PathMode::kWeighted;
      break;
    default:
      return Invalid("options.mode", absl::StrCat("unknown value ", in.mode()));
  }
  if (for_paths) {
    if (in.k() < 0 || in.k() > 100) {
      return Invalid("options.k",
                     absl::StrCat("must be in 1..100, got ", in.k()));
    }
    out.k = in.k() == 0 ? 3 : in.k();
    if (in.limit() < 0 || in.limit() > 10000) {
      return Invalid("options.limit",
                     absl::StrCat("must be in 1..10000, got ", in.limit()));
    }
    out.limit = in.limit() == 0 ? 100 : in.limit();
    const int max_hops = std::min(limits.max_path_hops, query::kMaxHops);
    if (in.max_hops() < 0 || in.max_hops() > max_hops) {
      return Invalid("options.max_hops",
                     absl::StrCat("must be in 1..", max_hops,
                                  " (--max_path_hops), got ", in.max_hops()));
    }
    out.max_hops = in.max_hops() == 0 ? std::min(6, max_hops) : in.max_hops();
  }
  switch (in.direction()) {
    case v1::DIRECTION_UNSPECIFIED:
    case v1::DIRECTION_BOTH:
      out.direction = query::PathDirection::kBoth;
      break;
    case v1::DIRECTION_OUTGOING:
      out.direction = query::PathDirection::kOutgoing;
      break;
    case v1::DIRECTION_INCOMING:
      out.direction = query::PathDirection::kIncoming;
      break;
    default:
      return Invalid("options.direction",
                     absl::StrCat("unknown value ", in.direction()));
  }
  out.allowed_relations = {in.allowed_relations().begin(),
                           in.allowed_relations().end()};
  out.excluded_relations = {in.excluded_relations().begin(),
                            in.excluded_relations().end()};
  out.allowed_entity_types = {in.allowed_entity_types().begin(),
                              in.allowed_entity_types().end()};
  if (!(in.min_confidence() >= 0.0 && in.min_confidence() <= 1.0)) {
    return Invalid(
        "options.min_confidence",
        absl::StrCat("must be in [0, 1], got ", in.min_confidence()));
  }
  out.min_confidence = in.min_confidence();
  out.include_opposed = in.include_opposed();
  out.only_documents = {in.only_documents().begin(), in.only_documents().end()};
  out.only_claimants = {in.only_claimants().begin(), in.only_claimants().end()};
  KG_ASSIGN_OR_RETURN(
      out.valid_time.start,
      ParseDateField("options.valid_time.start", in.valid_time().start()));
  KG_ASSIGN_OR_RETURN(
      out.valid_time.end,
      ParseDateField("options.valid_time.end", in.valid_time().end()));
  out.walk_claims = in.walk_claims();
  switch (in.provenance()) {
    case v1::PROVENANCE_DETAIL_UNSPECIFIED:
    case v1::PROVENANCE_DETAIL_SUMMARY:
      out.provenance = query::ProvenanceDetail::kSummary;
      break;
    case v1::PROVENANCE_DETAIL_FULL:
      out.provenance = query::ProvenanceDetail::kFull;
      break;
    case v1::PROVENANCE_DETAIL_NONE:
      out.provenance = query::ProvenanceDetail::kNone;
      break;
    default:
      return Invalid("options.provenance",
                     absl::StrCat("unknown value ", in.provenance()));
  }
  if (in.max_expanded_edges() < 0 ||
      in.max_expanded_edges() > limits.max_traversal_budget) {
    return Invalid("options.max_expanded_edges",
                   absl::StrCat("must be in 1..", limits.max_traversal_budget,
                                " (--max_traversal_budget), got ",
                                in.max_expanded_edges()));
  }
  out.max_expanded_edges = in.max_expanded_edges() == 0
                               ? limits.max_traversal_budget
                               : in.max_expanded_edges();
  if (in.as_of().has_recorded_at()) {
    KG_ASSIGN_OR_RETURN(
        out.as_of.recorded_at,
        query::TimeFromTimestamp("options.as_of.recorded_at",
                                 in.as_of().recorded_at().seconds(),
                                 in.as_of().recorded_at().nanos()));
  }
  KG_ASSIGN_OR_RETURN(
      out.as_of.reported_by,
      ParseDateField("options.as_of.reported_by", in.as_of().reported_by()));
  return out;
}

// Fills response nodes, reading each entity once per response: a path names
// every inner node four times (as the end of two hops and in their two
// statements), a neighbourhood each node once per statement at it.
class NodeFiller {
 public:
  explicit NodeFiller(storage::Reader& reader) : reader_(reader) {}

  absl::Status Fill(const storage::TermValue& t, v1::Node* out) {
    if (t.kind != storage::Term::Kind::kEntity) return ToProto(reader_, t, out);
    auto it = entities_.find(t.id);
    if (it == entities_.end()) {
      v1::Node node;
      KG_RETURN_IF_ERROR(ToProto(reader_, t, &node));
      it = entities_.emplace(t.id, std::move(node)).first;
    }
    *out = it->second;
    return absl::OkStatus();
  }

  // As ToProto(reader, statement, out), through the cache.
  absl::Status Fill(const storage::Statement& s, v1::Statement* out) {
    out->set_id(s.id);
    KG_RETURN_IF_ERROR(Fill(s.subject, out->mutable_subject()));
    out->set_relation(s.relation);
    KG_RETURN_IF_ERROR(Fill(s.object, out->mutable_object()));
    out->set_live_provenance(s.live_provenance);
    out->set_quoted_by(s.quoted_by);
    return absl::OkStatus();
  }

 private:
  storage::Reader& reader_;
  absl::flat_hash_map<std::string, v1::Node> entities_;
};

absl::Status HopToProto(NodeFiller& nodes, const query::Hop& hop,
                        v1::Hop* out) {
  KG_RETURN_IF_ERROR(nodes.Fill(hop.from.term, out->mutable_from()));
  KG_RETURN_IF_ERROR(nodes.Fill(hop.to.term, out->mutable_to()));
  KG_RETURN_IF_ERROR(nodes.Fill(hop.statement, out->mutable_statement()));
  out->set_kind(static_cast<v1::HopKind>(static_cast<int>(hop.kind) + 1));
  out->set_contested(hop.contested);
  v1::ProvenanceSummary* summary = out->mutable_summary();
  summary->set_records(hop.summary.records);
  summary->set_documents(hop.summary.documents);
  summary->set_supporting_claims(hop.summary.supporting_claims);
  summary->set_opposing_claims(hop.summary.opposing_claims);
  if (hop.summary.best)
    ToProto(*hop.summary.best, true, summary->mutable_best());
  for (const auto& r : hop.provenance) ToProto(r, true, out->add_provenance());
  return absl::OkStatus();
}

// Most searches are small: they run inline, in the reactor's constructor on
// the callback thread that took the call, within
// ServiceLimits::inline_path_edges expanded edges. A search that needs more
// starts again from scratch on a thread of its own once it gets one of the
// --max_concurrent_path_queries slots, so a long query never holds a
// callback thread for long, a burst of them cannot take every core, and a
// short one pays no thread start and hand-off (docs/benchmarks.md, §8).
// The default, 50,000 edges, is about a millisecond over the compact
// adjacency: the p99 of shortest on 10M statements fits, and a search that
// outgrows it repeats at most that much.
//
// The stream itself (queue, back-pressure, deadline, slot) is
// StreamReactor's (server/stream_reactor.h): the paths come in result
// order, then a summary; an error ends the stream after the paths found.
class FindPathsReactor : public StreamReactor<v1::FindPathsResponse> {
 public:
  FindPathsReactor(storage::Store* store, const ServiceLimits& limits,
                   QuerySlots* slots, QueryMemory* memory,
                   grpc::CallbackServerContext* ctx,
                   const v1::FindPathsRequest* request,
                   const absl::Status& allowed)
      : StreamReactor(slots, memory, ctx),
        store_(store),
        limits_(limits),
        request_(*request) {
    Start(allowed);
  }

 private:
  // Runs the search, passing each path and then the summary to `emit` as
  // they come. With `inline_budget`, a search that would expand more than
  // limits_.inline_path_edges edges stops and sets retry_ instead (what it
  // emitted is then to be dropped); without, it first takes a slot.
  absl::Status Run(
      bool inline_budget,
      const std::function<absl::Status(v1::FindPathsResponse)>& emit) override {
    if (!request_.has_from()) return Invalid("from", "is required");
    if (!request_.has_to()) return Invalid("to", "is required");
    KG_ASSIGN_OR_RETURN(storage::Term from, FromProto("from", request_.from()));
    KG_ASSIGN_OR_RETURN(storage::Term to, FromProto("to", request_.to()));
    KG_ASSIGN_OR_RETURN(query::PathOptions options,
                        PathOptionsFrom(request_.options(), limits_, true));
    options.deadline = DeadlineOf(ctx_, limits_.default_deadline);
    options.is_cancelled = [this] { return ctx_->IsCancelled(); };
    deadline_ = options.deadline;
    // A small inline search runs at once; a larger one waits for a slot
    // (QuerySlots), on its own thread, and keeps it until the stream ends.
    const absl::Time queued = absl::Now();
    if (!inline_budget) {
      KG_RETURN_IF_ERROR(AcquireSlot(options.deadline));
    }
    const absl::Duration queue = absl::Now() - queued;
    std::unique_ptr<storage::Reader> reader = store_->NewReader();
    // The caller's own budget, when no larger, is final either way.
    const uint64_t inline_edges = InlineEdges(*reader, options);
    if (inline_budget && inline_edges == 0) {
      retry_ = true;
      return absl::OkStatus();
    }
    const bool capped =
        inline_budget && (options.max_expanded_edges == 0 ||
                          options.max_expanded_edges > inline_edges);
    if (capped) options.max_expanded_edges = inline_edges;
    NodeFiller nodes(*reader);
    absl::StatusOr<query::PathSearchSummary> summary = query::FindPaths(
        *reader, from, to, options, [&](query::Path path) -> absl::Status {
          v1::FindPathsResponse response;
          v1::Path* out = response.mutable_path();
          out->set_cost(path.cost);
          for (const query::Hop& hop : path.hops) {
            KG_RETURN_IF_ERROR(HopToProto(nodes, hop, out->add_hops()));
          }
          return emit(std::move(response));
        });
    if (inline_overflow_ ||
        (capped &&
         (summary.ok() ? summary->budget_exhausted
                       : absl::IsResourceExhausted(summary.status())))) {
      retry_ = true;
      return absl::OkStatus();
    }
    if (!summary.ok()) return summary.status();
    v1::FindPathsResponse last;
    last.mutable_summary()->set_paths(summary->paths);
    last.mutable_summary()->set_expanded_edges(summary->expanded_edges);
    last.mutable_summary()->set_budget_exhausted(summary->budget_exhausted);
    if (request_.options().profile()) {
      AddProfile(queue, summary->phases, summary->expanded_edges,
                 last.mutable_summary()->mutable_profile());
    }
    return emit(std::move(last));
  }

  // The inline share of a search on `reader`: the whole of
  // limits_.inline_path_edges where an edge is cheap (the reader has the
  // compact adjacency and the search needs no provenance per edge), a tenth
  // of it elsewhere; 0 for none.
  uint64_t InlineEdges(const storage::Reader& reader,
                       const query::PathOptions& options) const {
    if (limits_.inline_path_edges <= 0) return 0;
    const uint64_t share = static_cast<uint64_t>(limits_.inline_path_edges);
    const bool cheap = reader.compact_adjacency() != nullptr &&
                       options.mode != query::PathMode::kWeighted &&
                       !options.as_of.recorded_at;
    return cheap ? share : share / 10;
  }

  storage::Store* store_;
  const ServiceLimits limits_;
  const v1::FindPathsRequest request_;
};

}  // namespace

grpc::ServerWriteReactor<v1::FindPathsResponse>*
KnowledgeGraphService::FindPaths(grpc::CallbackServerContext* ctx,
                                 const v1::FindPathsRequest* request) {
  return new FindPathsReactor(store_, limits_, &path_slots_, &query_memory_,
                              ctx, request, Admit(ctx, __func__));
}

// Validated on the callback thread; searched on a thread of its own once
// admitted (QuerySlots bounds how many such threads wait), so a queue of
// neighbourhood queries never holds gRPC's callback threads.
grpc::ServerUnaryReactor* KnowledgeGraphService::GetNeighborhood(
    grpc::CallbackServerContext* ctx, const v1::GetNeighborhoodRequest* request,
    v1::GetNeighborhoodResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  struct Job {
    storage::Term node;
    query::PathOptions options;
    std::optional<QuerySlots::Ticket> ticket;
  };
  const absl::Status allowed = Admit(ctx, __func__);  // not in a lambda
  absl::StatusOr<Job> job = [&]() -> absl::StatusOr<Job> {
    KG_RETURN_IF_ERROR(allowed);
    if (!request->has_node()) return Invalid("node", "is required");
    KG_ASSIGN_OR_RETURN(storage::Term node, FromProto("node", request->node()));
    const int max_hops = std::min(limits_.max_path_hops, query::kMaxHops);
    if (request->hops() < 0 || request->hops() > max_hops) {
      return Invalid("hops",
                     absl::StrCat("must be in 1..", max_hops,
                                  " (--max_path_hops), got ", request->hops()));
    }
    if (request->limit() < 0 || request->limit() > 10000) {
      return Invalid(
          "limit", absl::StrCat("must be in 1..10000, got ", request->limit()));
    }
    KG_ASSIGN_OR_RETURN(query::PathOptions options,
                        PathOptionsFrom(request->options(), limits_, false));
    options.deadline = DeadlineOf(ctx, limits_.default_deadline);
    options.is_cancelled = [ctx] { return ctx->IsCancelled(); };
    KG_ASSIGN_OR_RETURN(QuerySlots::Ticket ticket, path_slots_.Admit());
    return Job{std::move(node), std::move(options),
               std::optional<QuerySlots::Ticket>(std::move(ticket))};
  }();
  if (!job.ok()) {
    reactor->Finish(ToGrpcStatus(job.status()));
    return reactor;
  }
  std::thread([this, request, response, reactor,
               job = *std::move(job)]() mutable {
    absl::Status status = [&]() -> absl::Status {
      const absl::Time queued = absl::Now();
      KG_ASSIGN_OR_RETURN(QuerySlots::Slot slot,
                          path_slots_.Acquire(*job.ticket, job.options.deadline,
                                              job.options.is_cancelled));
      const absl::Duration queue = absl::Now() - queued;
      std::unique_ptr<storage::Reader> reader = store_->NewReader();
      KG_ASSIGN_OR_RETURN(
          query::Neighborhood hood,
          query::GetNeighborhood(
              *reader, job.node, request->hops() == 0 ? 2 : request->hops(),
              request->limit() == 0 ? 1000 : request->limit(), job.options));
      NodeFiller nodes(*reader);
      for (const auto& n : hood.nodes) {
        KG_RETURN_IF_ERROR(nodes.Fill(n.term, response->add_nodes()));
      }
      for (const auto& st : hood.statements) {
        KG_RETURN_IF_ERROR(
            nodes.Fill(st.statement, response->add_statements()));
      }
      response->set_truncated(hood.truncated || hood.budget_exhausted);
      if (request->options().profile()) {
        // "send" is the encoding into the response, done just above.
        query::SearchPhases phases = hood.phases;
        phases.sink = absl::Now() - queued - queue - phases.resolve -
                      phases.search - phases.build;
        AddProfile(queue, phases, hood.expanded_edges,
                   response->mutable_profile());
      }
      return absl::OkStatus();
    }();
    // The ticket and slot are released before the call ends.
    job.ticket.reset();
    reactor->Finish(ToGrpcStatus(status));
  }).detach();
  return reactor;
}

}  // namespace kg::server
