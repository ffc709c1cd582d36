#include "server/metrics.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/message.h"
#include "http/gateway.h"
#include "kg/v1/kg.pb.h"
#include "server/log.h"

namespace kg::server {

namespace {

namespace v1 = ::kg::v1;

using metrics::Single;
using metrics::Type;

// The queries and path searches the slow-query log and the row and edge
// counters follow.
bool IsQuery(const std::string& method) {
  return method == "/kg.v1.KnowledgeGraph/Query" ||
         method == "/kg.v1.KnowledgeGraph/FindPaths" ||
         method == "/kg.v1.KnowledgeGraph/GetNeighborhood";
}

// One call, watched from start to status.
class CallInterceptor : public grpc::experimental::Interceptor {
 public:
  CallInterceptor(grpc::experimental::ServerRpcInfo* info,
                  ServerMetrics* metrics)
      : info_(info),
        method_(info->method()),
        query_(IsQuery(method_)),
        start_(absl::Now()),
        metrics_(metrics) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (query_ && methods->QueryInterceptionHookPoint(
                      InterceptionHookPoints::POST_RECV_MESSAGE)) {
      // The request, for the slow-query log (tokens travel in metadata,
      // never in a message).
      const auto* request = static_cast<const google::protobuf::Message*>(
          methods->GetRecvMessage());
      if (request != nullptr) request_ = request->ShortDebugString();
    }
    if (query_ && methods->QueryInterceptionHookPoint(
                      InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      Count(methods->GetSendMessage());
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      metrics_->CallEnded(method_, status.error_code(), absl::Now() - start_,
                          rows_, edges_, request_,
                          info_->server_context() != nullptr
                              ? info_->server_context()->peer()
                              : std::string());
    }
    methods->Proceed();
  }

 private:
  void Count(const void* message) {
    if (message == nullptr) return;
    if (method_ == "/kg.v1.KnowledgeGraph/Query") {
      const auto* m = static_cast<const v1::QueryResponse*>(message);
      rows_ += m->rows().rows_size() + m->triples().triples_size();
    } else if (method_ == "/kg.v1.KnowledgeGraph/FindPaths") {
      const auto* m = static_cast<const v1::FindPathsResponse*>(message);
      if (m->has_path()) ++rows_;
      if (m->has_summary()) edges_ += m->summary().expanded_edges();
    } else {
      const auto* m = static_cast<const v1::GetNeighborhoodResponse*>(message);
      rows_ += m->statements_size();
    }
  }

  grpc::experimental::ServerRpcInfo* info_;
  const std::string method_;
  const bool query_;
  const absl::Time start_;
  ServerMetrics* metrics_;
  std::string request_;
  uint64_t rows_ = 0;
  uint64_t edges_ = 0;
};

class InterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit InterceptorFactory(ServerMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new CallInterceptor(info, metrics_);
  }

 private:
  ServerMetrics* metrics_;
};

}  // namespace

// The figures read at each scrape: the store's counts, RocksDB's, the
// compact adjacency's builds, the path query slots.
class ServerMetrics::Figures : public metrics::Collectable {
 public:
  Figures(storage::Store* store, const KnowledgeGraphService* service,
          replica::ReplicatedStore* replica)
      : store_(store), service_(service), replica_(replica) {}

  std::vector<metrics::Family> Collect() const override {
    std::vector<metrics::Family> out;
    const Type gauge = Type::kGauge;
    const Type counter = Type::kCounter;
    out.push_back(Single("kg_path_queries_running",
                         "Path and neighbourhood queries holding a slot.",
                         gauge, service_->path_queries_running()));
    out.push_back(Single("kg_path_queries_waiting",
                         "Path and neighbourhood queries waiting for a slot.",
                         gauge, service_->path_queries_waiting()));
    absl::StatusOr<storage::StoreStats> stats = store_->NewReader()->Stats();
    if (stats.ok()) {
      const std::pair<const char*, uint64_t> counts[] = {
          {"entities", stats->entities},
          {"relations", stats->relations},
          {"documents", stats->documents},
          {"statements", stats->statements},
          {"provenance_records", stats->provenance_records},
          {"terms", stats->terms}};
      metrics::Family f{
          "kg_store_items", "What the store holds, by kind.", gauge, {}};
      for (const auto& [kind, n] : counts) {
        f.samples.push_back(
            metrics::Sample{"", {{"kind", kind}}, static_cast<double>(n)});
      }
      out.push_back(std::move(f));
      out.push_back(Single("kg_store_disk_bytes",
                           "Bytes of every file in the data directory.", gauge,
                           static_cast<double>(stats->bytes_on_disk)));
    }
    const storage::EngineFigures e = store_->Engine();
    out.push_back(Single("kg_rocksdb_block_cache_hits_total",
                         "Block cache hits since the store opened.", counter,
                         static_cast<double>(e.block_cache_hits)));
    out.push_back(Single("kg_rocksdb_block_cache_misses_total",
                         "Block cache misses since the store opened.", counter,
                         static_cast<double>(e.block_cache_misses)));
    out.push_back(Single("kg_rocksdb_block_cache_bytes",
                         "Bytes in the block cache.", gauge,
                         static_cast<double>(e.block_cache_bytes)));
    out.push_back(Single("kg_rocksdb_memtable_bytes",
                         "Bytes in memtables, all column families.", gauge,
                         static_cast<double>(e.memtable_bytes)));
    out.push_back(Single("kg_rocksdb_pending_compaction_bytes",
                         "Bytes compaction is estimated to still rewrite.",
                         gauge,
                         static_cast<double>(e.pending_compaction_bytes)));
    out.push_back(Single("kg_rocksdb_live_sst_bytes",
                         "Bytes of the live table files.", gauge,
                         static_cast<double>(e.live_sst_bytes)));
    out.push_back(Single("kg_rocksdb_write_stall_seconds_total",
                         "Time writes were delayed or stopped for compaction.",
                         counter,
                         static_cast<double>(e.write_stall_micros) / 1e6));
    out.push_back(Single("kg_rocksdb_writes_stopped",
                         "1 while RocksDB stops writes.", gauge,
                         e.writes_stopped ? 1 : 0));
    out.push_back(Single("kg_compact_adjacency_builds_total",
                         "Builds of the compact adjacency since the store "
                         "opened.",
                         counter,
                         static_cast<double>(e.compact_adjacency_builds)));
    out.push_back(
        Single("kg_compact_adjacency_last_build_seconds",
               "How long the last build of the compact adjacency took.", gauge,
               absl::ToDoubleSeconds(e.last_compact_adjacency_build)));
    if (e.compact_adjacency_built_at != absl::InfinitePast()) {
      out.push_back(Single(
          "kg_compact_adjacency_age_seconds",
          "Time since the compact adjacency in use was built.", gauge,
          absl::ToDoubleSeconds(absl::Now() - e.compact_adjacency_built_at)));
    }
    if (replica_ != nullptr) Replica(&out);
    return out;
  }

 private:
  void Replica(std::vector<metrics::Family>* out) const {
    const replica::ReplicaStatus r = replica_->status();
    const Type gauge = Type::kGauge;
    const Type counter = Type::kCounter;
    out->push_back(
        Single("kg_replica_writer",
               "1 while this replica is the replica set's writer.", gauge,
               r.role == replica::ReplicaStatus::Role::kWriter ? 1 : 0));
    out->push_back(Single("kg_replica_applied_position",
                          "The last log position this replica applied.", gauge,
                          static_cast<double>(r.applied)));
    out->push_back(Single(
        "kg_replica_lag_entries",
        "Log entries this replica has yet to apply, as of its last read of "
        "the log.",
        gauge,
        static_cast<double>(r.log_end > r.applied ? r.log_end - r.applied
                                                  : 0)));
    out->push_back(Single("kg_replica_term",
                          "The writer's term (grows with each election); 0 "
                          "while none is known.",
                          gauge, static_cast<double>(r.term)));
    out->push_back(Single("kg_replica_elections_won_total",
                          "Elections this replica won.", counter,
                          static_cast<double>(r.elections_won)));
    out->push_back(Single("kg_replica_writer_changes_total",
                          "New writers (terms) this replica saw.", counter,
                          static_cast<double>(r.writer_changes)));
    out->push_back(Single("kg_replica_entries_refused_total",
                          "Log entries the data refused (alike on every "
                          "replica), skipped.",
                          counter, static_cast<double>(r.entries_failed)));
  }

  storage::Store* store_;
  const KnowledgeGraphService* service_;
  replica::ReplicatedStore* replica_;
};

ServerMetrics::ServerMetrics(storage::Store* store,
                             const KnowledgeGraphService* service,
                             absl::Duration slow_query,
                             replica::ReplicatedStore* replica)
    : registry_(std::make_shared<metrics::Registry>()),
      calls_(registry_->AddCounter(
          "kg_rpc_calls_total",
          "gRPC calls (HTTP gateway and SPARQL calls included) by method and "
          "status code.")),
      latency_(registry_->AddHistogram(
          "kg_rpc_duration_seconds",
          "gRPC call time, from its start to its status.",
          metrics::LatencyBuckets())),
      rows_(registry_
                ->AddCounter("kg_query_rows_total",
                             "Rows, triples, paths and statements sent by "
                             "Query, FindPaths and GetNeighborhood.")
                .Get({})),
      edges_(registry_
                 ->AddCounter("kg_path_edges_expanded_total",
                              "Edges expanded by path searches.")
                 .Get({})),
      slow_(registry_
                ->AddCounter("kg_slow_queries_total",
                             "Queries and path searches slower than "
                             "--slow_query_ms.")
                .Get({})),
      replica_lag_(
          registry_
              ->AddHistogram("kg_replica_lag_seconds",
                             "On a follower, the time from the writer stamping "
                             "a log entry to this replica applying it.",
                             metrics::LatencyBuckets())
              .Get({})),
      figures_(std::make_shared<Figures>(store, service, replica)),
      slow_query_(slow_query) {}

ServerMetrics::~ServerMetrics() = default;

void ServerMetrics::ReplicaApplied(absl::Duration lag) {
  replica_lag_.Observe(absl::ToDoubleSeconds(lag));
}

std::vector<std::shared_ptr<const metrics::Collectable>>
ServerMetrics::collectables() const {
  return {registry_, figures_};
}

std::vector<
    std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
ServerMetrics::Interceptors() {
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      out;
  out.push_back(std::make_unique<InterceptorFactory>(this));
  return out;
}

void ServerMetrics::CallEnded(const std::string& method, grpc::StatusCode code,
                              absl::Duration took, uint64_t rows,
                              uint64_t edges, const std::string& request,
                              const std::string& peer) {
  calls_.Get({{"method", method}, {"code", http::CodeName(code)}}).Increment();
  latency_.Get({{"method", method}}).Observe(absl::ToDoubleSeconds(took));
  if (!IsQuery(method)) return;
  rows_.Increment(static_cast<double>(rows));
  edges_.Increment(static_cast<double>(edges));
  if (slow_query_ > absl::ZeroDuration() && took >= slow_query_) {
    slow_.Increment();
    KG_LOG(kInfo) << "slow query: " << method << " took "
                  << absl::FormatDuration(took) << ", " << rows << " rows, "
                  << edges << " edges expanded, " << http::CodeName(code)
                  << ", from " << peer << ": " << request;
  }
}

}  // namespace kg::server
