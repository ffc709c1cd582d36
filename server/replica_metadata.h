// The replica set's metadata on every reply (proto/kg/v1/kg.proto,
// "Replica sets"): a gRPC interceptor that adds kg-log-position (the
// position this replica had applied when it replied) and, on a follower
// that knows the writer, kg-writer-address, to each call's trailing
// metadata. Reads of the request's kg-min-log-position are the service's
// (KnowledgeGraphService::Admit).
//
//   std::vector<std::unique_ptr<ServerInterceptorFactoryInterface>> all = ...;
//   all.push_back(ReplicaMetadataInterceptor(replica));
#ifndef KG_SERVER_REPLICA_METADATA_H_
#define KG_SERVER_REPLICA_METADATA_H_

#include <memory>

#include "grpcpp/support/server_interceptor.h"
#include "replica/replicated_store.h"

namespace kg::server {

inline constexpr char kLogPositionHeader[] = "kg-log-position";
inline constexpr char kWriterAddressHeader[] = "kg-writer-address";
inline constexpr char kMinLogPositionHeader[] = "kg-min-log-position";

// `replica` must outlive the server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
ReplicaMetadataInterceptor(replica::ReplicatedStore* replica);

}  // namespace kg::server

#endif  // KG_SERVER_REPLICA_METADATA_H_
