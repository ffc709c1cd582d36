// The SPARQL rpc of KnowledgeGraphService: Query (a server stream). The
// query is validated and parsed on the callback thread; it is evaluated on
// a thread of its own once it has a query slot, and its answer streams
// through StreamReactor (server/stream_reactor.h): a header, batches of
// rows or triples (or the ASK boolean), then a trailer.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "query/path.h"
#include "query/provenance_as_of.h"
#include "query/sparql/eval.h"
#include "query/sparql/parser.h"
#include "query/sparql/store_dataset.h"
#include "rdf_proto/rdf_term.h"
#include "server/convert.h"
#include "server/service.h"
#include "server/stream_reactor.h"
#include "storage/status_macros.h"

namespace kg::server {
namespace {

namespace v1 = ::kg::v1;

// At most 1 MiB of query text.
constexpr size_t kMaxQueryBytes = size_t{1} << 20;
// Rows or triples per response message.
constexpr size_t kBatch = 1000;
// A store with more documents than this runs no query inline: the dataset
// names every document as a graph first.
constexpr uint64_t kInlineDocuments = 1000;

v1::QueryForm FormOf(sparql::Query::Form form) {
  switch (form) {
    case sparql::Query::Form::kSelect:
      return v1::QUERY_FORM_SELECT;
    case sparql::Query::Form::kAsk:
      return v1::QUERY_FORM_ASK;
    case sparql::Query::Form::kConstruct:
      return v1::QUERY_FORM_CONSTRUCT;
    case sparql::Query::Form::kDescribe:
      return v1::QUERY_FORM_DESCRIBE;
  }
  return v1::QUERY_FORM_UNSPECIFIED;
}

// The document a graph name stands for: <base>document/D is D; any other
// IRI names the document of that id (named graphs imported from RDF).
std::string DocumentOf(const std::string& graph, const std::string& base) {
  const std::string prefix = absl::StrCat(base, "document/");
  if (absl::StartsWith(graph, prefix)) return graph.substr(prefix.size());
  return graph;
}

class QueryReactor : public StreamReactor<v1::QueryResponse> {
 public:
  QueryReactor(storage::Store* store, const ServiceLimits& limits,
               QuerySlots* slots, QueryMemory* memory,
               grpc::CallbackServerContext* ctx,
               const v1::QueryRequest* request, const absl::Status& allowed)
      : StreamReactor(slots, memory, ctx),
        store_(store),
        limits_(limits),
        request_(*request) {
    Start(allowed);
  }

 private:
  absl::Status Run(
      bool inline_budget,
      const std::function<absl::Status(v1::QueryResponse)>& emit) override {
    // Once: a query that starts again on a thread keeps the call's
    // deadline, not a fresh default one.
    if (deadline_ == absl::InfiniteFuture()) {
      deadline_ = DeadlineOf(ctx_, limits_.default_deadline);
    }
    const std::string& text = request_.query();
    if (text.empty()) return absl::InvalidArgumentError("query: is required");
    if (text.size() > kMaxQueryBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("query: ", text.size(), " bytes; at most ",
                       kMaxQueryBytes, " are accepted"));
    }
    query::RecordFilter as_of;
    if (request_.has_as_of()) {
      KG_ASSIGN_OR_RETURN(query::TimeTravel t,
                          TimeTravelFrom(request_.as_of()));
      KG_ASSIGN_OR_RETURN(as_of, query::RecordFilter::Create(t));
    }
    if (request_.mode() != v1::QUERY_MODE_UNSPECIFIED &&
        request_.mode() != v1::QUERY_MODE_RUN &&
        request_.mode() != v1::QUERY_MODE_EXPLAIN &&
        request_.mode() != v1::QUERY_MODE_PROFILE) {
      return absl::InvalidArgumentError(
          absl::StrCat("mode: unknown value ", request_.mode()));
    }
    sparql::ParseOptions parse;
    parse.base_iri =
        request_.base_iri().empty() ? store_->base_iri() : request_.base_iri();
    absl::StatusOr<sparql::Query> query = sparql::Parse(text, parse);
    if (!query.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("query: ", query.status().message()));
    }
    v1::QueryResponse header;
    header.mutable_header()->set_form(FormOf(query->form));
    for (const std::string& v : query->variables) {
      if (query->form == sparql::Query::Form::kSelect) {
        header.mutable_header()->add_variables(v);
      }
    }
    sparql::StoreDatasetOptions dataset;
    const std::string& base = store_->base_iri();
    auto documents = [&](const auto& graphs) {
      std::vector<std::string> docs;
      for (const std::string& g : graphs) docs.push_back(DocumentOf(g, base));
      return docs;
    };
    if (request_.default_graph_size() > 0) {
      dataset.default_documents = documents(request_.default_graph());
    } else if (!query->default_graphs.empty() || !query->named_graphs.empty()) {
      dataset.default_documents = documents(query->default_graphs);
    }
    if (request_.named_graph_size() > 0) {
      dataset.named_documents = documents(request_.named_graph());
    } else if (!query->default_graphs.empty() || !query->named_graphs.empty()) {
      dataset.named_documents = documents(query->named_graphs);
    }
    dataset.as_of = as_of;
    dataset.max_path_hops = std::min(limits_.max_path_hops, query::kMaxHops);
    dataset.max_path_edges = static_cast<uint64_t>(
        std::max<int64_t>(1, limits_.max_traversal_budget));
    if (request_.mode() == v1::QUERY_MODE_EXPLAIN) {
      // The plan with the store's estimates (cheap: index sizes, small
      // ranges counted), without running it.
      std::unique_ptr<storage::Reader> reader = store_->NewReader();
      sparql::StoreDataset data(*reader, std::move(dataset));
      v1::QueryResponse trailer;
      trailer.mutable_trailer()->set_plan(
          sparql::ToSExpression(query->pattern));
      trailer.mutable_trailer()->set_profile(sparql::Explain(*query, data));
      KG_RETURN_IF_ERROR(data.status());
      KG_RETURN_IF_ERROR(emit(std::move(header)));
      return emit(std::move(trailer));
    }
    // A query first runs inline, on the callback thread that took the
    // call, for at most limits_.inline_query_time (and an answer of the
    // inline size);
    // one that needs more starts again on a thread of its own, once it has
    // a query slot (StreamReactor), so a long query never holds a callback
    // thread and a short one pays no thread.
    if (!inline_budget) KG_RETURN_IF_ERROR(AcquireSlot(deadline_));
    const absl::Time inline_until = absl::Now() + limits_.inline_query_time;
    bool share_spent = false;

    std::unique_ptr<storage::Reader> reader = store_->NewReader();
    // Every loop that may be long polls this: the deadline, a cancelled
    // call, and inline, the share.
    auto check = [&, this]() -> absl::Status {
      if (ctx_->IsCancelled()) return absl::CancelledError("cancelled");
      if (inline_budget && absl::Now() > inline_until) {
        share_spent = true;
        return absl::AbortedError("the inline share is spent");
      }
      if (absl::Now() > deadline_) {
        return absl::DeadlineExceededError(
            "the deadline passed while the query ran");
      }
      return absl::OkStatus();
    };
    dataset.check = check;
    sparql::StoreDataset data(*reader, std::move(dataset));
    if (inline_budget && !InlineWorthy(*query, as_of, *reader, data)) {
      retry_ = true;  // to a thread at once
      return absl::OkStatus();
    }
    sparql::EvalOptions options;
    options.profile = request_.mode() == v1::QUERY_MODE_PROFILE;
    options.max_rows = limits_.max_query_rows;
    options.max_bytes = static_cast<uint64_t>(
        std::max<int64_t>(0, limits_.max_query_memory_bytes));
    options.check = check;
    // SELECT rows are decoded and sent a batch at a time as the evaluator
    // hands them over, the header first.
    const uint64_t cap = request_.max_results();
    uint64_t sent = 0;
    bool truncated = false;
    bool header_sent = false;
    absl::Status sending;
    v1::QueryResponse batch;
    auto send_header = [&]() -> absl::Status {
      if (header_sent) return absl::OkStatus();
      header_sent = true;
      return emit(std::move(header));
    };
    if (query->form == sparql::Query::Form::kSelect) {
      options.on_row = [&](std::vector<std::optional<rdf::Term>>&& row) {
        if (cap != 0 && sent == cap) {
          truncated = true;
          return false;
        }
        if (sending = send_header(); !sending.ok()) return false;
        v1::QueryRow* out = batch.mutable_rows()->add_rows();
        for (const auto& value : row) {
          v1::RdfTerm* term = out->add_values();
          if (value.has_value()) rdf_proto::ToProto(*value, term);
        }
        ++sent;
        if (batch.rows().rows_size() == static_cast<int>(kBatch)) {
          sending = emit(std::move(batch));
          batch = v1::QueryResponse();
          if (!sending.ok()) return false;
        }
        return true;
      };
    }
    const absl::Time started = absl::Now();
    absl::StatusOr<sparql::QueryResult> result =
        sparql::Evaluate(*query, data, options);
    if (inline_budget && (share_spent || inline_overflow_)) {
      retry_ = true;  // what it emitted is dropped
      return absl::OkStatus();
    }
    KG_RETURN_IF_ERROR(data.status());
    if (!result.ok()) return result.status();
    KG_RETURN_IF_ERROR(sending);
    const int64_t elapsed = absl::ToInt64Microseconds(absl::Now() - started);

    KG_RETURN_IF_ERROR(send_header());
    if (query->form == sparql::Query::Form::kAsk) {
      v1::QueryResponse answer;
      answer.set_boolean(result->boolean);
      KG_RETURN_IF_ERROR(emit(std::move(answer)));
    } else if (query->form == sparql::Query::Form::kSelect) {
      if (batch.has_rows()) KG_RETURN_IF_ERROR(emit(std::move(batch)));
    } else {
      for (const rdf::Triple& t : result->triples) {
        if (cap != 0 && sent == cap) {
          truncated = true;
          break;
        }
        v1::RdfTriple* out = batch.mutable_triples()->add_triples();
        rdf_proto::ToProto(t.subject, out->mutable_subject());
        rdf_proto::ToProto(t.predicate, out->mutable_predicate());
        rdf_proto::ToProto(t.object, out->mutable_object());
        ++sent;
        if (batch.triples().triples_size() == static_cast<int>(kBatch)) {
          KG_RETURN_IF_ERROR(emit(std::move(batch)));
          batch = v1::QueryResponse();
        }
      }
      if (batch.has_triples()) KG_RETURN_IF_ERROR(emit(std::move(batch)));
    }
    v1::QueryResponse trailer;
    trailer.mutable_trailer()->set_results(sent);
    trailer.mutable_trailer()->set_truncated(truncated);
    trailer.mutable_trailer()->set_elapsed_micros(elapsed);
    if (options.profile) {
      trailer.mutable_trailer()->set_plan(
          sparql::ToSExpression(query->pattern));
      trailer.mutable_trailer()->set_profile(std::move(result->profile));
    }
    return emit(std::move(trailer));
  }

  // Whether a query may try inline: its plan expects little work, and
  // nothing outside the plan is large (a time-travel load of the store,
  // DESCRIBE's descriptions, many documents to name as graphs).
  bool InlineWorthy(const sparql::Query& query,
                    const query::RecordFilter& as_of, storage::Reader& reader,
                    sparql::StoreDataset& data) {
    if (limits_.inline_query_time <= absl::ZeroDuration() || !as_of.current() ||
        query.form == sparql::Query::Form::kDescribe) {
      return false;
    }
    absl::StatusOr<storage::StoreStats> counts = reader.Counts();
    if (!counts.ok() || counts->documents > kInlineDocuments) return false;
    // NaN (an estimate that overflowed) is not small either.
    return sparql::EstimatedWork(query, data) <= limits_.inline_query_work;
  }

  storage::Store* store_;
  const ServiceLimits limits_;
  const v1::QueryRequest request_;
};

}  // namespace

grpc::ServerWriteReactor<v1::QueryResponse>* KnowledgeGraphService::Query(
    grpc::CallbackServerContext* ctx, const v1::QueryRequest* request) {
  return new QueryReactor(store_, limits_, &path_slots_, &query_memory_, ctx,
                          request, Admit(ctx, __func__));
}

}  // namespace kg::server
