// KnowledgeGraphService: the kg.v1.KnowledgeGraph rpcs on gRPC's callback
// API. Each method validates its request, converts it to storage/ or query/
// types, calls the core and maps the result back; nothing else.
// Thread-safe.
#ifndef KG_SERVER_SERVICE_H_
#define KG_SERVER_SERVICE_H_

#include <atomic>

#include "absl/time/time.h"
#include "kg/v1/kg.grpc.pb.h"
#include "replica/replicated_store.h"
#include "server/auth.h"
#include "server/query_memory.h"
#include "server/query_slots.h"
#include "server/write_pool.h"
#include "storage/store.h"

namespace kg::server {

// Limits the service enforces; docs/api.md documents the defaults.
struct ServiceLimits {
  int max_page_size = 1000;
  int default_page_size = 100;
  // Entities + relations + documents + statements in one write or ingest
  // batch.
  int max_batch_items = 10000;
  // Applied to calls that arrive without a deadline.
  absl::Duration default_deadline = absl::Seconds(30);
  // Path queries (see PathOptions in proto/kg/v1/query.proto).
  int max_path_hops = 12;
  int64_t max_traversal_budget = 1'000'000;
  // Path and neighbourhood queries running at once; the others wait for a
  // slot until their deadline. 0: one per core.
  int max_concurrent_path_queries = 0;
  // Path and neighbourhood queries that may wait for a slot; beyond that a
  // query is RESOURCE_EXHAUSTED at once.
  int max_queued_path_queries = 64;
  // A FindPaths search runs on the gRPC callback thread that took the call
  // while it expands at most this many edges (about a millisecond for a
  // shortest path over the compact adjacency), or a tenth as many when an
  // edge costs more (no compact adjacency, weighted or as-recorded
  // queries); one that needs more starts again on a thread of its own once
  // it has a slot (server/service_paths.cc). 0: every search on a thread.
  int64_t inline_path_edges = 50000;
  // A SPARQL query whose plan expects at most `inline_query_work`
  // solutions along the way (sparql::EstimatedWork) runs inline for at
  // most `inline_query_time`, then starts again on a thread; a larger one
  // goes to a thread at once. 0 time: every query on a thread.
  double inline_query_work = 10'000;
  absl::Duration inline_query_time = absl::Milliseconds(2);
  // Threads that run the rpcs that wait on the disk (writes, retractions,
  // ingest batches, backups, verification) instead of gRPC's callback
  // threads; also the most writes that can share one commit.
  int write_threads = 16;
  // Bytes of requests one ImportStatements call may stage before it
  // commits (docs/rdf.md, "The import guarantee").
  int64_t max_import_bytes = int64_t{4} << 30;
  // From this many statements on, an import is a bulk load
  // (Store::BeginBulkLoad): each batch is applied as it arrives, and the
  // load commits as SST files ingested at once rather than through the
  // write-ahead log; 0: never.
  uint64_t bulk_import_statements = 20'000;
  // Bytes of answers one query, and all queries together, may hold before
  // they are sent (QueryMemory); <= 0 for no bound.
  int64_t max_query_memory_bytes = int64_t{64} << 20;
  // A SPARQL query whose solutions pass this many rows at any stage ends
  // RESOURCE_EXHAUSTED (the evaluator holds each stage's rows).
  uint64_t max_query_rows = 10'000'000;
  int64_t max_total_query_memory_bytes = int64_t{256} << 20;
  // Calls that may wait at once for this replica to apply their
  // kg-min-log-position (each holds a gRPC thread); beyond that a call
  // that would wait is RESOURCE_EXHAUSTED at once.
  int max_waiting_reads = 8;
};

class KnowledgeGraphService final
    : public kg::v1::KnowledgeGraph::CallbackService {
 public:
  // `store` and `auth` must outlive the service. `replica`: `store` itself
  // when the server is one replica of a replica set, else null.
  KnowledgeGraphService(storage::Store* store, ServiceLimits limits,
                        const Authenticator* auth,
                        replica::ReplicatedStore* replica = nullptr);

  using Ctx = grpc::CallbackServerContext;
  using Unary = grpc::ServerUnaryReactor;

  Unary* CreateEntity(Ctx* ctx, const kg::v1::CreateEntityRequest* request,
                      kg::v1::Entity* response) override;
  Unary* UpdateEntity(Ctx* ctx, const kg::v1::UpdateEntityRequest* request,
                      kg::v1::Entity* response) override;
  Unary* MergeEntities(Ctx* ctx, const kg::v1::MergeEntitiesRequest* request,
                       kg::v1::MergeEntitiesResponse* response) override;
  Unary* DeleteEntity(Ctx* ctx, const kg::v1::DeleteEntityRequest* request,
                      kg::v1::Entity* response) override;
  Unary* GetEntityHistory(Ctx* ctx,
                          const kg::v1::GetEntityHistoryRequest* request,
                          kg::v1::GetEntityHistoryResponse* response) override;
  Unary* GetEntity(Ctx* ctx, const kg::v1::GetEntityRequest* request,
                   kg::v1::Entity* response) override;
  Unary* ResolveEntity(Ctx* ctx, const kg::v1::ResolveEntityRequest* request,
                       kg::v1::ResolveEntityResponse* response) override;
  Unary* SearchEntities(Ctx* ctx, const kg::v1::SearchEntitiesRequest* request,
                        kg::v1::SearchEntitiesResponse* response) override;
  Unary* ListEntities(Ctx* ctx, const kg::v1::ListEntitiesRequest* request,
                      kg::v1::ListEntitiesResponse* response) override;
  Unary* ListStatements(Ctx* ctx, const kg::v1::ListStatementsRequest* request,
                        kg::v1::ListStatementsResponse* response) override;
  Unary* CreateRelation(Ctx* ctx, const kg::v1::CreateRelationRequest* request,
                        kg::v1::Relation* response) override;
  Unary* GetRelation(Ctx* ctx, const kg::v1::GetRelationRequest* request,
                     kg::v1::Relation* response) override;
  Unary* ListRelations(Ctx* ctx, const kg::v1::ListRelationsRequest* request,
                       kg::v1::ListRelationsResponse* response) override;
  Unary* CreateDocument(Ctx* ctx, const kg::v1::CreateDocumentRequest* request,
                        kg::v1::Document* response) override;
  Unary* GetDocument(Ctx* ctx, const kg::v1::GetDocumentRequest* request,
                     kg::v1::Document* response) override;
  Unary* ListDocuments(Ctx* ctx, const kg::v1::ListDocumentsRequest* request,
                       kg::v1::ListDocumentsResponse* response) override;
  Unary* WriteStatements(Ctx* ctx,
                         const kg::v1::WriteStatementsRequest* request,
                         kg::v1::WriteStatementsResponse* response) override;
  grpc::ServerBidiReactor<kg::v1::IngestStatementsRequest,
                          kg::v1::IngestStatementsResponse>*
  IngestStatements(Ctx* ctx) override;
  grpc::ServerReadReactor<kg::v1::ImportStatementsRequest>* ImportStatements(
      Ctx* ctx, kg::v1::ImportStatementsResponse* response) override;
  Unary* GetStatement(Ctx* ctx, const kg::v1::GetStatementRequest* request,
                      kg::v1::Statement* response) override;
  Unary* MatchStatements(Ctx* ctx,
                         const kg::v1::MatchStatementsRequest* request,
                         kg::v1::MatchStatementsResponse* response) override;
  Unary* CountStatements(Ctx* ctx,
                         const kg::v1::CountStatementsRequest* request,
                         kg::v1::CountStatementsResponse* response) override;
  Unary* RetractProvenance(
      Ctx* ctx, const kg::v1::RetractProvenanceRequest* request,
      kg::v1::RetractProvenanceResponse* response) override;
  grpc::ServerWriteReactor<kg::v1::FindPathsResponse>* FindPaths(
      Ctx* ctx, const kg::v1::FindPathsRequest* request) override;
  grpc::ServerWriteReactor<kg::v1::QueryResponse>* Query(
      Ctx* ctx, const kg::v1::QueryRequest* request) override;
  Unary* GetNeighborhood(Ctx* ctx,
                         const kg::v1::GetNeighborhoodRequest* request,
                         kg::v1::GetNeighborhoodResponse* response) override;
  Unary* Why(Ctx* ctx, const kg::v1::WhyRequest* request,
             kg::v1::WhyResponse* response) override;
  Unary* ListByDocument(Ctx* ctx, const kg::v1::ListByDocumentRequest* request,
                        kg::v1::ListByDocumentResponse* response) override;
  Unary* ListByClaimant(Ctx* ctx, const kg::v1::ListByClaimantRequest* request,
                        kg::v1::ListByClaimantResponse* response) override;
  Unary* ListContested(Ctx* ctx, const kg::v1::ListContestedRequest* request,
                       kg::v1::ListContestedResponse* response) override;
  Unary* GetClaimTimeline(Ctx* ctx,
                          const kg::v1::GetClaimTimelineRequest* request,
                          kg::v1::GetClaimTimelineResponse* response) override;
  Unary* ExportProvenance(Ctx* ctx,
                          const kg::v1::ExportProvenanceRequest* request,
                          kg::v1::ExportProvenanceResponse* response) override;
  Unary* GetStats(Ctx* ctx, const kg::v1::GetStatsRequest* request,
                  kg::v1::GetStatsResponse* response) override;
  Unary* CreateBackup(Ctx* ctx, const kg::v1::CreateBackupRequest* request,
                      kg::v1::CreateBackupResponse* response) override;
  Unary* VerifyStore(Ctx* ctx, const kg::v1::VerifyStoreRequest* request,
                     kg::v1::VerifyStoreResponse* response) override;
  grpc::ServerWriteReactor<kg::v1::FetchCheckpointResponse>* FetchCheckpoint(
      Ctx* ctx, const kg::v1::FetchCheckpointRequest* request) override;
  grpc::ServerWriteReactor<kg::v1::FetchCheckpointResponse>* FetchLogPayload(
      Ctx* ctx, const kg::v1::FetchLogPayloadRequest* request) override;
  Unary* GetClusterStatus(Ctx* ctx,
                          const kg::v1::GetClusterStatusRequest* request,
                          kg::v1::GetClusterStatusResponse* response) override;

  // Whether the call's bearer token may call `method` (auth.h); denials
  // are logged at --v=2 with the peer and the method, never the token.
  absl::Status Authorize(grpc::CallbackServerContext* ctx,
                         absl::string_view method) const;
  // What every rpc passes before it runs: Authorize, then read your writes
  // (the request's kg-min-log-position, proto/kg/v1/kg.proto): on a
  // replica, waits until it applied that position, up to the call's
  // deadline.
  absl::Status Admit(grpc::CallbackServerContext* ctx,
                     absl::string_view method) const;

  // Where the rpcs that wait on the disk run.
  WritePool& writes() { return writes_; }
  // Where a bulk import's batches run once its load has begun: writes
  // wait for the load meanwhile, and may fill every thread of writes().
  // Loads run one at a time, so one thread serves them.
  WritePool& bulk_writes() { return bulk_writes_; }

  // Applies one write batch (WriteStatements and each ingest batch).
  absl::StatusOr<storage::WriteResult> ApplyBatch(
      const kg::v1::WriteStatementsRequest& request);
  // Checks and converts one batch, appending it to `out` (an import stages
  // many). `defined` says whether an entity id is defined by what `out`
  // holds already, so that names may refer to it.
  absl::Status ConvertBatch(
      const kg::v1::WriteStatementsRequest& request,
      const std::function<bool(absl::string_view)>& defined,
      storage::WriteBatch* out);
  storage::Store& store() { return *store_; }
  const ServiceLimits& limits() const { return limits_; }

  // Path and neighbourhood queries running, and waiting for a slot
  // (/metrics).
  int path_queries_running() const { return path_slots_.in_use(); }
  int path_queries_waiting() const { return path_slots_.waiting(); }

 private:
  absl::StatusOr<size_t> PageSize(int32_t requested) const;
  // Fills WriteStatementsResponse.statements: each statement as stored,
  // names resolved, with the records the request gave.
  absl::Status EchoStatements(const kg::v1::WriteStatementsRequest& request,
                              kg::v1::WriteStatementsResponse* response);
  // CreateEntity and UpdateEntity: one entity written with `mode`.
  absl::Status WriteEntity(bool has_entity, const kg::v1::Entity& entity,
                           storage::WriteBatch::EntityMode mode,
                           bool shared_names, kg::v1::Entity* response);

  storage::Store* store_;
  replica::ReplicatedStore* replica_;  // null: not in a replica set
  ServiceLimits limits_;
  const Authenticator* auth_;
  QuerySlots path_slots_;
  QueryMemory query_memory_;
  // Declared last: destroyed first, so that the calls it still runs find
  // the rest of the service alive.
  WritePool writes_;
  WritePool bulk_writes_{1};
  WritePool maintenance_{2};                   // backups and verification
  WritePool cluster_{1};                       // GetClusterStatus: etcd reads
  mutable std::atomic<int> waiting_reads_{0};  // in Admit
  std::atomic<int> checkpoint_streams_{0};     // FetchCheckpoint
  std::atomic<int> payload_streams_{0};        // FetchLogPayload
};

}  // namespace kg::server

#endif  // KG_SERVER_SERVICE_H_
