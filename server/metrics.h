// ServerMetrics: what kg-server counts for /metrics (docs/http.md
// "Metrics"), and the slow-query log. A gRPC interceptor sees every call
// (those of the HTTP gateway too, which are gRPC calls): it counts them by
// method and status code, times them, counts the rows and edges that
// queries send, and logs the queries and path searches slower than
// `slow_query`. The store's and the engine's figures are read when
// Prometheus scrapes, not kept.
//
//   ServerMetrics metrics(store, &service, absl::Milliseconds(500));
//   builder.experimental().SetInterceptorCreators(metrics.Interceptors());
//   ... metrics.registry() serves /metrics ...
//
// Thread-safe.
#ifndef KG_SERVER_METRICS_H_
#define KG_SERVER_METRICS_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/support/server_interceptor.h"
#include "metrics/metrics.h"
#include "replica/replicated_store.h"
#include "server/service.h"
#include "storage/store.h"

namespace kg::server {

class ServerMetrics {
 public:
  // `store` and `service` (and `replica`, the store when in a replica set,
  // else null) must outlive this. `slow_query` zero or less: no slow-query
  // log.
  ServerMetrics(storage::Store* store, const KnowledgeGraphService* service,
                absl::Duration slow_query,
                replica::ReplicatedStore* replica = nullptr);
  ~ServerMetrics();

  std::shared_ptr<metrics::Registry> registry() const { return registry_; }
  // Everything /metrics serves: the registry and the figures read at
  // scrape time.
  std::vector<std::shared_ptr<const metrics::Collectable>> collectables() const;

  // For ServerBuilder::experimental().SetInterceptorCreators.
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
  Interceptors();

  // Called by the interceptor when a call ends.
  void CallEnded(const std::string& method, grpc::StatusCode code,
                 absl::Duration took, uint64_t rows, uint64_t edges,
                 const std::string& request, const std::string& peer);
  // Called by a follower for each entry it applies: how long after the
  // writer stamped it (ReplicaOptions::applied_after).
  void ReplicaApplied(absl::Duration lag);

 private:
  class Figures;

  std::shared_ptr<metrics::Registry> registry_;
  metrics::CounterFamily& calls_;
  metrics::HistogramFamily& latency_;
  metrics::Counter& rows_;
  metrics::Counter& edges_;
  metrics::Counter& slow_;
  metrics::Histogram& replica_lag_;
  std::shared_ptr<Figures> figures_;
  const absl::Duration slow_query_;
};

}  // namespace kg::server

#endif  // KG_SERVER_METRICS_H_
