// KnowledgeGraphService: the kg.v1.KnowledgeGraph rpcs on gRPC's callback
// API. Each method validates its request, converts it to storage/ or query/
// types, calls the core and maps the result back. Thread-safe.
#ifndef KG_SERVER_SERVICE_H_
#define KG_SERVER_SERVICE_H_

#include "kg/v1/kg.grpc.pb.h"
#include "storage/store.h"

namespace kg::server {

// Limits the service enforces; defaults are documented in docs/api.md.
struct ServiceLimits {
  int max_page_size = 1000;
  int default_page_size = 100;
  int max_batch_items = 10000;
};

class KnowledgeGraphService final
    : public kg::v1::KnowledgeGraph::CallbackService {
 public:
  // `store` must outlive the service.
  KnowledgeGraphService(storage::Store* store, ServiceLimits limits)
      : store_(store), limits_(limits) {}

  grpc::ServerUnaryReactor* GetStats(
      grpc::CallbackServerContext* ctx, const kg::v1::GetStatsRequest* request,
      kg::v1::GetStatsResponse* response) override;

 private:
  storage::Store* store_;
  ServiceLimits limits_;
};

}  // namespace kg::server

#endif  // KG_SERVER_SERVICE_H_
