#include "server/service.h"

#include "server/grpc_status.h"

namespace kg::server {

namespace {

grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* ctx,
                                 const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

void ToProto(const storage::StoreStats& s, kg::v1::Stats* out) {
  out->set_entities(s.entities);
  out->set_relations(s.relations);
  out->set_documents(s.documents);
  out->set_statements(s.statements);
  out->set_provenance_records(s.provenance_records);
  out->set_terms(s.terms);
  out->set_bytes_on_disk(s.bytes_on_disk);
}

}  // namespace

grpc::ServerUnaryReactor* KnowledgeGraphService::GetStats(
    grpc::CallbackServerContext* ctx, const kg::v1::GetStatsRequest*,
    kg::v1::GetStatsResponse* response) {
  absl::StatusOr<storage::StoreStats> stats = store_->NewReader()->Stats();
  if (stats.ok()) ToProto(*stats, response->mutable_stats());
  return Finish(ctx, stats.status());
}

}  // namespace kg::server
