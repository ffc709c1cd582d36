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
#include "server/unary.h"
#include "storage/status_macros.h"

namespace kg::server {

namespace {

namespace v1 = ::kg::v1;

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

// The call's deadline: the client's, or the server's default when the
// client sent none.
absl::Time DeadlineOf(grpc::CallbackServerContext* ctx,
                      absl::Duration default_deadline) {
  const absl::Time client = absl::FromChrono(ctx->deadline());
  const absl::Time fallback = absl::Now() + default_deadline;
  return client < fallback ? client : fallback;
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
// An inline search's paths are kept until it ends (it may have to start
// again), then written; an inline search whose answer outgrows
// kInlineResponses messages or kInlineBytes starts again on a thread too,
// so what an inline call holds is small, and a client that stops reading
// it has it cancelled at its deadline (an alarm). A search on a thread streams:
// each path goes into a queue as soon as the engine has it, and the reactor
// writes the queue one message at a time. The queue holds at most
// kQueuedResponses messages; while it is full the search waits, so a client
// that reads slowly slows the search down instead of growing the server's
// memory. The thread holds its query slot until the stream has ended and is the
// one to finish the call. The deadline covers the whole stream: paths not yet
// written when it passes are dropped, and a write that the client has not
// taken a second later is cancelled, so a client that stops reading cannot
// keep a slot. Either way the messages held count against the query's and
// the server's memory budgets (QueryMemory) until written, the paths come
// in result order, then a summary, the summary with the status; an error
// ends the stream after the paths already found.
class FindPathsReactor
    : public grpc::ServerWriteReactor<v1::FindPathsResponse> {
 public:
  FindPathsReactor(storage::Store* store, const ServiceLimits& limits,
                   QuerySlots* slots, QueryMemory* memory,
                   grpc::CallbackServerContext* ctx,
                   const v1::FindPathsRequest* request,
                   const absl::Status& allowed)
      : store_(store),
        limits_(limits),
        slots_(slots),
        memory_(memory),
        account_(memory->Open()),
        ctx_(ctx),
        request_(*request) {
    if (!allowed.ok()) {
      Finish(ToGrpcStatus(allowed));
      return;
    }
    std::deque<Queued> found;
    int64_t found_bytes = 0;
    absl::Status status = Run(
        /*inline_budget=*/true,
        [&](v1::FindPathsResponse response) -> absl::Status {
          const int64_t bytes = static_cast<int64_t>(response.ByteSizeLong());
          found_bytes += bytes;
          if (found.size() >= kInlineResponses || found_bytes > kInlineBytes) {
            inline_overflow_ = true;
            return absl::AbortedError("the answer outgrew the inline share");
          }
          absl::MutexLock lock(&mu_);
          KG_RETURN_IF_ERROR(account_.Charge(bytes));
          found.push_back(Queued{std::move(response), bytes});
          return absl::OkStatus();
        });
    if (retry_) {
      found.clear();
      {
        absl::MutexLock lock(&mu_);
        account_.Release(account_.held());
      }
      // A place in the queue before a thread: parked threads are bounded.
      absl::StatusOr<QuerySlots::Ticket> ticket = slots_->Admit();
      if (!ticket.ok()) {
        Finish(ToGrpcStatus(ticket.status()));
        return;
      }
      ticket_.emplace(*std::move(ticket));
      {
        absl::MutexLock lock(&mu_);
        on_thread_ = true;
      }
      std::thread([this] { Search(); }).detach();
      return;
    }
    Next next;
    {
      absl::MutexLock lock(&mu_);
      queue_ = std::move(found);
      final_status_ = ToGrpcStatus(status);
      next = TakeNext();
    }
    // A client that stops reading an inline answer has its call cancelled
    // a little after the deadline, as on a thread (Drain).
    if (next.action == Next::kWrite || next.action == Next::kWriteAndFinish) {
      alarm_state_ = std::make_shared<AlarmState>();
      {
        absl::MutexLock lock(&alarm_state_->mu);
        alarm_state_->ctx = ctx_;
      }
      alarm_.Set(absl::ToChronoTime(deadline_ + kStuckWriteGrace),
                 [state = alarm_state_](bool fired) {
                   if (!fired) return;
                   absl::MutexLock lock(&state->mu);
                   if (state->ctx != nullptr) state->ctx->TryCancel();
                 });
    }
    Do(next);
  }

  void OnWriteDone(bool ok) override {
    Next next;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      account_.Release(current_bytes_);
      current_bytes_ = 0;
      if (!ok) broken_ = true;
      next = TakeNext();
    }
    Do(next);
  }

  void OnDone() override {
    if (alarm_state_ != nullptr) {
      absl::MutexLock lock(&alarm_state_->mu);
      alarm_state_->ctx = nullptr;
    }
    delete this;
  }

 private:
  // At most this many responses wait to be written.
  static constexpr size_t kQueuedResponses = 32;
  // An inline answer larger than this goes to a thread (see above).
  static constexpr size_t kInlineResponses = kQueuedResponses;
  static constexpr int64_t kInlineBytes = int64_t{256} << 10;

  // A response waiting to be written, and its size as charged.
  struct Queued {
    v1::FindPathsResponse response;
    int64_t bytes = 0;
  };

  // What the inline stream's alarm may touch after the reactor is gone.
  struct AlarmState {
    absl::Mutex mu;
    grpc::CallbackServerContext* ctx ABSL_GUARDED_BY(mu) = nullptr;
  };
  // How long after the deadline a write may stay pending before the call
  // is cancelled.
  static constexpr absl::Duration kStuckWriteGrace = absl::Seconds(1);

  // What the reactor does next with the stream.
  struct Next {
    enum { kNothing, kWrite, kWriteAndFinish, kFinish } action = kNothing;
    grpc::Status status;  // for kWriteAndFinish and kFinish
  };

  // The search on its own thread, streaming; the last use of `this` on it
  // is Finish.
  void Search() {
    absl::Status status = Run(
        /*inline_budget=*/false, [this](v1::FindPathsResponse response) {
          return Push(std::move(response));
        });
    const grpc::Status end = Drain(status);
    // The place in the queue first: whoever gets the slot next finds it
    // free.
    ticket_.reset();
    slot_.reset();
    Finish(end);
  }

  // Queues a response for writing, waiting while the queue is full (in
  // messages, or in bytes by the query's memory budget).
  // DEADLINE_EXCEEDED when the deadline passes first, CANCELLED when the
  // stream is broken, RESOURCE_EXHAUSTED past a memory budget.
  absl::Status Push(v1::FindPathsResponse response) {
    const int64_t bytes = static_cast<int64_t>(response.ByteSizeLong());
    Next next;
    {
      absl::MutexLock lock(&mu_);
      const auto room = [this, bytes]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return broken_ || (queue_.size() < kQueuedResponses &&
                           (account_.held() == 0 || memory_->per_query() <= 0 ||
                            account_.held() + bytes <= memory_->per_query()));
      };
      if (!mu_.AwaitWithDeadline(absl::Condition(&room), deadline_)) {
        return absl::DeadlineExceededError(
            "the deadline passed while the client was not reading the paths");
      }
      if (broken_) return absl::CancelledError("the stream is broken");
      KG_RETURN_IF_ERROR(account_.Charge(bytes));
      queue_.push_back(Queued{std::move(response), bytes});
      next = TakeNext();
    }
    Do(next);
    return absl::OkStatus();
  }

  // Once the search on a thread has ended with `status`: waits until every
  // queued response is written or the stream breaks, and returns the status
  // to finish with.
  grpc::Status Drain(const absl::Status& status) {
    absl::MutexLock lock(&mu_);
    const auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !writing_ && (queue_.empty() || broken_);
    };
    bool dropped = false;
    if (!mu_.AwaitWithDeadline(absl::Condition(&drained), deadline_)) {
      dropped = !queue_.empty();
      for (const Queued& q : queue_) account_.Release(q.bytes);
      queue_.clear();
      if (!mu_.AwaitWithTimeout(absl::Condition(&drained), kStuckWriteGrace)) {
        // The client stopped reading; cancelling fails the pending write.
        ctx_->TryCancel();
        mu_.Await(absl::Condition(&drained));
      }
    }
    if (broken_) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "stream broken");
    }
    if (dropped && status.ok()) {
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                          "the deadline passed before every path was sent");
    }
    return ToGrpcStatus(status);
  }

  // Starts the next write when none is pending. Inline, where the queue
  // holds everything from the start, the last message finishes the call;
  // on a thread, the thread finishes it (Drain).
  Next TakeNext() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Next next;
    if (writing_) return next;
    if (!broken_ && !queue_.empty()) {
      current_ = std::move(queue_.front().response);
      current_bytes_ = queue_.front().bytes;
      queue_.pop_front();
      writing_ = true;
      next.action =
          !on_thread_ && queue_.empty() ? Next::kWriteAndFinish : Next::kWrite;
      next.status = final_status_;
    } else if (!on_thread_) {
      next.action = Next::kFinish;
      next.status =
          broken_ ? grpc::Status(grpc::StatusCode::CANCELLED, "stream broken")
                  : final_status_;
    }
    return next;
  }

  // Does what TakeNext chose, without mu_ held (gRPC may run reactions
  // meanwhile).
  void Do(const Next& next) {
    switch (next.action) {
      case Next::kNothing:
        break;
      case Next::kWrite:
        StartWrite(&current_);
        break;
      case Next::kWriteAndFinish:
        StartWriteAndFinish(&current_, grpc::WriteOptions(), next.status);
        break;
      case Next::kFinish:
        Finish(next.status);
        break;
    }
  }

  // Runs the search, passing each path and then the summary to `emit` as
  // they come. With `inline_budget`, a search that would expand more than
  // limits_.inline_path_edges edges stops and sets retry_ instead (what it
  // emitted is then to be dropped); without, it first takes a slot.
  absl::Status Run(
      bool inline_budget,
      const std::function<absl::Status(v1::FindPathsResponse)>& emit) {
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
    if (!inline_budget) {
      absl::StatusOr<QuerySlots::Slot> acquired =
          slots_->Acquire(*ticket_, options.deadline, options.is_cancelled);
      if (!acquired.ok()) return acquired.status();
      slot_.emplace(*std::move(acquired));
    }
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
  QuerySlots* slots_;
  QueryMemory* memory_;
  // The bytes of responses held (queued, or being written); guarded by mu_.
  QueryMemory::Account account_;
  grpc::CallbackServerContext* ctx_;
  const v1::FindPathsRequest request_;
  // Set by Run on the thread that searches.
  absl::Time deadline_ = absl::InfiniteFuture();
  bool retry_ = false;            // the inline search ran out of its budget
  bool inline_overflow_ = false;  // the inline answer outgrew its share
  // Inline only: cancels a stream still being written past the deadline.
  grpc::Alarm alarm_;
  std::shared_ptr<AlarmState> alarm_state_;
  // While searching on a thread and until the stream ends.
  std::optional<QuerySlots::Ticket> ticket_;
  std::optional<QuerySlots::Slot> slot_;
  // The message being written; only whoever started the write (set
  // writing_) touches it until OnWriteDone.
  v1::FindPathsResponse current_;
  int64_t current_bytes_ ABSL_GUARDED_BY(mu_) = 0;

  absl::Mutex mu_;
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;  // a write is pending
  bool broken_ ABSL_GUARDED_BY(mu_) = false;   // a write failed
  bool on_thread_ ABSL_GUARDED_BY(mu_) = false;
  // Inline: the status to finish with.
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::ServerWriteReactor<v1::FindPathsResponse>*
KnowledgeGraphService::FindPaths(grpc::CallbackServerContext* ctx,
                                 const v1::FindPathsRequest* request) {
  return new FindPathsReactor(store_, limits_, &path_slots_, &query_memory_,
                              ctx, request, Authorize(ctx, __func__));
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
  const absl::Status allowed = Authorize(ctx, __func__);  // not in a lambda
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
      KG_ASSIGN_OR_RETURN(QuerySlots::Slot slot,
                          path_slots_.Acquire(*job.ticket, job.options.deadline,
                                              job.options.is_cancelled));
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
      return absl::OkStatus();
    }();
    // The ticket and slot are released before the call ends.
    job.ticket.reset();
    reactor->Finish(ToGrpcStatus(status));
  }).detach();
  return reactor;
}

}  // namespace kg::server
